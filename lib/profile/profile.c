/*
 * lib/profile/profile.c - provider profiles (senderkit-profile(5)): the
 * loader, lookups, sk_profile_find, and the helpers profile_internal.h
 * declares (domain names, CIDRs, dates, template references).
 *
 * Every string and array of a loaded profile lives in one arena freed by
 * sk_profile_free().  Unknown sections and keys are errors naming the
 * file, the line and the key, so that a typo cannot pass silently.
 */
#include <arpa/inet.h>
#include <assert.h>
#include <errno.h>
#include <regex.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "profile/profile_internal.h"
#include "profile/sk_paths.h"

#ifndef SK_DATADIR
#define SK_DATADIR "/usr/local/share/senderkit"
#endif

/* ------------------------------------------------------------ helpers */

bool
sk__prof_domain_ok(const char *s, size_t n, bool wildcard)
{
	size_t i, lab = 0, labels = 0, last = 0;
	bool digits = true;

	if (wildcard && n >= 2 && s[0] == '*' && s[1] == '.') {
		s += 2;
		n -= 2;
	}
	if (n == 0 || n > 253)
		return false;
	for (i = 0; i <= n; i++) {
		char c = i < n ? s[i] : '.';

		if (c == '.') {
			if (lab == 0 || lab > 63 || s[i - 1] == '-' ||
			    s[last] == '-')
				return false;
			labels++;
			lab = 0;
			last = i + 1;
			continue;
		}
		if (lab == 0)
			digits = true;
		if (!sk__isalnum((unsigned char)c) && c != '-' && c != '_')
			return false;
		if (!sk__isdigit((unsigned char)c))
			digits = false;
		lab++;
	}
	return labels >= 2 && !digits;
}

bool
sk__prof_cidr_ok(const char *s, size_t n)
{
	char buf[65];
	unsigned char addr[16];
	const char *slash;
	unsigned long prefix, max;
	size_t alen;
	int af;

	if (n == 0 || n >= sizeof(buf))
		return false;
	slash = memchr(s, '/', n);
	alen = slash != NULL ? (size_t)(slash - s) : n;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	af = memchr(buf, ':', alen) != NULL ? AF_INET6 : AF_INET;
	if (inet_pton(af, buf, addr) != 1)
		return false;
	if (slash == NULL)
		return true;
	max = af == AF_INET6 ? 128 : 32;
	return sk__parse_uint(slash + 1, n - alen - 1, max, &prefix) &&
	       n - alen - 1 <= 3;
}

static bool
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

bool
sk__prof_date(const char *s, size_t n, int *y, int *m, int *d)
{
	static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31,
				     30, 31 };
	unsigned long yy, mm, dd;

	if (n != 10 || s[4] != '-' || s[7] != '-')
		return false;
	if (!sk__parse_uint(s, 4, 9999, &yy) ||
	    !sk__parse_uint(s + 5, 2, 12, &mm) ||
	    !sk__parse_uint(s + 8, 2, 31, &dd))
		return false;
	if (yy < 1900 || mm < 1 || dd < 1)
		return false;
	if ((int)dd > mdays[mm - 1] + (mm == 2 && leap((int)yy)))
		return false;
	*y = (int)yy;
	*m = (int)mm;
	*d = (int)dd;
	return true;
}

static bool
name_char(char c)
{
	return sk__isalnum((unsigned char)c) || c == '_' || c == '.' ||
	       c == '-';
}

int
sk__prof_tmpl_next(const char *t, size_t len, size_t *pos, size_t *start,
		   const char **name, size_t *nlen)
{
	size_t i, j;

	for (i = *pos; i + 1 < len; i++) {
		if (t[i] != '$' || t[i + 1] != '{')
			continue;
		*start = i;
		for (j = i + 2; j < len && t[j] != '}'; j++)
			if (!name_char(t[j]))
				return -1;
		if (j >= len || j == i + 2)
			return -1;
		*name = t + i + 2;
		*nlen = j - i - 2;
		*pos = j + 1;
		return 1;
	}
	*pos = len;
	return 0;
}

/*
 * Profiles are untrusted input, and glibc's regcomp() builds a copy of a
 * subexpression for every repetition it unrolls, so "a++++..." or nested
 * intervals take memory exponential in the pattern length.  Before
 * compiling, refuse what such blow-ups need: adjacent duplication symbols
 * (undefined in POSIX, XBD 9.4.6), intervals above RE_DUP_MAX's portable
 * minimum 255, back-references (not ERE; exponential to match), nesting
 * over 16 groups, and patterns whose unrolled size estimate is over
 * RE_MAX_COST atoms.
 */
#define RE_MAX_LEN 512
#define RE_MAX_COST 20000
#define RE_MAX_DEPTH 16

struct re_est {
	unsigned long total[RE_MAX_DEPTH + 1];
	unsigned depth;
	unsigned long last;   /* size of the last atom, 0 when none */
	bool after_rep;       /* the last token was a duplication symbol */
};

static bool
re_add(struct re_est *e, unsigned long k)
{
	e->total[e->depth] += k;
	return e->total[e->depth] <= RE_MAX_COST;
}

static bool
re_atom(struct re_est *e, unsigned long k)
{
	e->last = k;
	e->after_rep = false;
	return re_add(e, k);
}

/* Apply a duplication symbol that repeats the last atom up to `max`
 * times (0: no repetition unrolled). */
static const char *
re_rep(struct re_est *e, unsigned long max)
{
	if (e->after_rep)
		return "adjacent duplication symbols";
	e->after_rep = true;
	if (e->last == 0)
		return NULL;
	if (max > 1) {
		if (e->last > RE_MAX_COST / max)
			return "pattern too complex";
		if (!re_add(e, e->last * (max - 1)))
			return "pattern too complex";
		e->last *= max;
	}
	return NULL;
}

/* Length of a bracket expression starting at s[0] == '['. */
static size_t
re_bracket(const char *s, size_t n)
{
	size_t j = 1;

	if (j < n && s[j] == '^')
		j++;
	if (j < n && s[j] == ']')
		j++;
	while (j < n && s[j] != ']') {
		if (s[j] == '[' && j + 1 < n &&
		    (s[j + 1] == ':' || s[j + 1] == '.' || s[j + 1] == '=')) {
			char t = s[j + 1];

			for (j += 2; j + 1 < n; j++)
				if (s[j] == t && s[j + 1] == ']')
					break;
			j += 2;
			continue;
		}
		j++;
	}
	return j < n ? j + 1 : n;
}

static const char *
regex_tame(const char *re, size_t n)
{
	struct re_est e;
	unsigned long m, mx;
	size_t i, j;
	const char *why;

	if (n > RE_MAX_LEN)
		return "longer than 512 bytes";
	memset(&e, 0, sizeof(e));
	for (i = 0; i < n; i++) {
		why = NULL;
		switch (re[i]) {
		case '\\':
			if (i + 1 < n && sk__isdigit((unsigned char)re[i + 1]))
				return "back-references are not ERE";
			i++;
			if (!re_atom(&e, 1))
				return "pattern too complex";
			break;
		case '[':
			i += re_bracket(re + i, n - i) - 1;
			if (!re_atom(&e, 1))
				return "pattern too complex";
			break;
		case '(':
			if (e.depth == RE_MAX_DEPTH)
				return "groups nested too deep";
			e.depth++;
			e.total[e.depth] = 0;
			e.last = 0;
			e.after_rep = false;
			break;
		case ')':
			if (e.depth == 0) {
				if (!re_atom(&e, 1))
					return "pattern too complex";
				break;
			}
			m = e.total[e.depth--];
			if (!re_atom(&e, m))
				return "pattern too complex";
			break;
		case '|':
			e.last = 0;
			e.after_rep = false;
			break;
		case '*':
		case '?':
			why = re_rep(&e, 0);
			break;
		case '+':
			why = re_rep(&e, 2);
			break;
		case '{':
			for (j = i + 1; j < n && re[j] != '}'; j++)
				if (!sk__isdigit((unsigned char)re[j]) &&
				    re[j] != ',')
					break;
			if (j >= n || re[j] != '}' || j == i + 1) {
				if (!re_atom(&e, 1))
					return "pattern too complex";
				break;
			}
			/* {m}, {m,} or {m,n}: the largest count unrolled;
			 * at the comma mx takes m + 1 (the {m,} case), and
			 * a following n replaces it when larger. */
			mx = 0;
			for (m = 0; i + 1 < j; i++) {
				if (re[i + 1] == ',') {
					mx = m + 1;
					m = 0;
					continue;
				}
				m = m * 10 + (unsigned long)(re[i + 1] - '0');
				if (m > 255)
					return "interval count over 255";
			}
			i = j;
			why = re_rep(&e, m > mx ? m : mx);
			break;
		default:
			if (!re_atom(&e, 1))
				return "pattern too complex";
			break;
		}
		if (why != NULL)
			return why;
	}
	return NULL;
}

/* ------------------------------------------------------------ schema */

enum sect {
	S_NONE,
	S_PROFILE,
	S_INPUT,
	S_HOST,
	S_SPF,
	S_DKIM,
	S_DMARC,
	S_ENVELOPE,
	S_MX,
	S_POOLS,
	S_LIST,
	S_NOTE,
	S__COUNT
};

static const struct {
	const char *name;
	bool arg;  /* [name ARG] (a named, repeatable section) */
} sections[S__COUNT] = {
	[S_PROFILE] = { "profile", false },
	[S_INPUT] = { "input", true },
	[S_HOST] = { "host", true },
	[S_SPF] = { "spf", false },
	[S_DKIM] = { "dkim", false },
	[S_DMARC] = { "dmarc", false },
	[S_ENVELOPE] = { "envelope", false },
	[S_MX] = { "mx", false },
	[S_POOLS] = { "pools", false },
	[S_LIST] = { "list", true },
	[S_NOTE] = { "note", true },
};

enum ftype {
	T_STR,     /* free text */
	T_URL,     /* http:// or https:// URL */
	T_DATE,    /* YYYY-MM-DD */
	T_DOMAIN,  /* domain name */
	T_CHOICE,  /* one of choices[] */
	T_BOOL,
	T_UINT,    /* unsigned, up to 65536 */
	T_ULONG,   /* unsigned long, up to 10^12 */
	T_LIST,    /* list of strings; cnt_off is the count */
	T_REGEX,   /* POSIX ERE */
	T_TMPL,    /* template with ${input} references */
	T_SEV,     /* info|warning|error */
	T_NAME,    /* [a-z0-9_.-]+ */
};

static const char *const needed_when_c[] = { "always", "branded_return_path",
					     "never", NULL };
static const char *const all_c[] = { "-all", "~all", NULL };
static const char *const align_c[] = { "dkim", "spf", "both", NULL };
static const char *const stage_c[] = { "none", "quarantine", "reject",
				       NULL };
static const char *const ipmode_c[] = { "shared", "trusted", "dedicated",
					NULL };
static const char *const kind_c[] = { "cidr", "domain", NULL };
/* The org config keys a host can be named by (struct sk_org_config). */
static const char *const cfgkey_c[] = { "landing_host", "tracking_host",
					NULL };

struct field {
	enum sect sect;
	const char *key;
	enum ftype type;
	size_t off;          /* in struct sk_profile, or in the section's
	                        element struct for named sections */
	size_t cnt_off;      /* T_LIST: the count */
	bool required;
	const char *const *choices; /* T_CHOICE, and T_LIST items */
};

#define P(f) offsetof(struct sk_profile, f)
#define I(f) offsetof(struct sk_profile_input, f)
#define H(f) offsetof(struct sk_profile_host, f)
#define L(f) offsetof(struct sk_profile_list, f)
#define N(f) offsetof(struct sk_profile_note, f)

static const struct field fields[] = {
	{ S_PROFILE, "id", T_NAME, P(id), 0, true, NULL },
	{ S_PROFILE, "display_name", T_STR, P(display_name), 0, false, NULL },
	{ S_PROFILE, "as_of", T_DATE, P(as_of), 0, true, NULL },
	{ S_PROFILE, "docs_url", T_URL, P(docs_url), 0, false, NULL },

	{ S_INPUT, "regex", T_REGEX, I(regex), 0, false, NULL },
	{ S_INPUT, "required", T_BOOL, I(required), 0, false, NULL },
	{ S_INPUT, "severity", T_SEV, I(severity), 0, false, NULL },
	{ S_INPUT, "hint", T_STR, I(hint), 0, false, NULL },

	{ S_HOST, "config_key", T_CHOICE, H(config_key), 0, true, cfgkey_c },
	{ S_HOST, "target", T_TMPL, H(target), 0, true, NULL },
	{ S_HOST, "must_differ_from", T_NAME, H(must_differ_from), 0, false,
	  NULL },
	{ S_HOST, "avoid_prefixes", T_LIST, H(avoid_prefixes),
	  H(navoid_prefixes), false, NULL },
	{ S_HOST, "probe_target", T_BOOL, H(probe_target), 0, false, NULL },
	{ S_HOST, "tls_note", T_STR, H(tls_note), 0, false, NULL },
	{ S_HOST, "caa_allow", T_LIST, H(caa_allow), H(ncaa_allow), false,
	  NULL },
	{ S_HOST, "why", T_STR, H(why), 0, false, NULL },
	{ S_HOST, "source", T_URL, H(source), 0, false, NULL },

	{ S_SPF, "include", T_DOMAIN, P(spf.include), 0, false, NULL },
	{ S_SPF, "needed_when", T_CHOICE, P(spf.needed_when), 0, false,
	  needed_when_c },
	{ S_SPF, "branded_all", T_CHOICE, P(spf.branded_all), 0, false,
	  all_c },
	{ S_SPF, "source", T_URL, P(spf.source), 0, false, NULL },

	{ S_DKIM, "min_bits", T_UINT, P(dkim.min_bits), 0, false, NULL },
	{ S_DKIM, "recommended_bits", T_UINT, P(dkim.recommended_bits), 0,
	  false, NULL },
	{ S_DKIM, "fallback_d", T_DOMAIN, P(dkim.fallback_d), 0, false,
	  NULL },
	{ S_DKIM, "all_ns_must_agree", T_BOOL, P(dkim.all_ns_must_agree), 0,
	  false, NULL },
	{ S_DKIM, "rotation_note", T_STR, P(dkim.rotation_note), 0, false,
	  NULL },
	{ S_DKIM, "source", T_URL, P(dkim.source), 0, false, NULL },

	{ S_DMARC, "recommended_alignment", T_CHOICE,
	  P(dmarc.recommended_alignment), 0, false, align_c },
	{ S_DMARC, "aspf_strict_supported", T_BOOL,
	  P(dmarc.aspf_strict_supported), 0, false, NULL },
	{ S_DMARC, "rollout", T_LIST, P(dmarc.rollout), P(dmarc.nrollout),
	  false, stage_c },
	{ S_DMARC, "source", T_URL, P(dmarc.source), 0, false, NULL },

	{ S_ENVELOPE, "default_domain", T_DOMAIN, P(envelope.default_domain),
	  0, false, NULL },
	{ S_ENVELOPE, "branded_for", T_LIST, P(envelope.branded_for),
	  P(envelope.nbranded_for), false, ipmode_c },
	{ S_ENVELOPE, "source", T_URL, P(envelope.source), 0, false, NULL },

	{ S_MX, "required_on_from_domain", T_BOOL,
	  P(mx.required_on_from_domain), 0, false, NULL },
	{ S_MX, "source", T_URL, P(mx.source), 0, false, NULL },

	{ S_POOLS, "shared_max_monthly", T_ULONG, P(pools.shared_max_monthly),
	  0, false, NULL },
	{ S_POOLS, "trusted_max_monthly", T_ULONG,
	  P(pools.trusted_max_monthly), 0, false, NULL },
	{ S_POOLS, "source", T_URL, P(pools.source), 0, false, NULL },

	{ S_LIST, "kind", T_CHOICE, L(kind), 0, true, kind_c },
	{ S_LIST, "purpose", T_STR, L(purpose), 0, false, NULL },
	{ S_LIST, "source", T_URL, L(source), 0, true, NULL },
	{ S_LIST, "as_of", T_DATE, L(as_of), 0, true, NULL },
	{ S_LIST, "spf_domain", T_DOMAIN, L(spf_domain), 0, false, NULL },
	{ S_LIST, "items", T_LIST, L(items), L(count), true, NULL },

	{ S_NOTE, "text", T_STR, N(text), 0, false, NULL },
	{ S_NOTE, "source", T_URL, N(source), 0, false, NULL },
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* ------------------------------------------------------------ loader */

struct profile_impl {
	struct sk_profile pub;   /* first: the handle callers see */
	struct sk__arena arena;
};

/* Lines of keys checked once the whole file is read. */
struct host_lines {
	unsigned target;
	unsigned must_differ_from;
};

struct loader {
	struct profile_impl *pi;
	struct sk__ini ini;
	const char *name;
	enum sect sect;
	void *base;             /* struct the section's fields go to */
	unsigned sect_line;
	uint64_t seen;          /* fields[] indexes set in this section */
	uint32_t singles_seen;  /* unnamed sections met so far */
	/* [list]: the line of each item, for errors found at the end of
	 * the section when kind= comes after items= */
	unsigned *item_lines;
	size_t nitem_lines;
	struct host_lines *hl;  /* parallel to pub.hosts */
	size_t nhl;
};

static_assert(NFIELDS <= 64, "seen mask holds every field");

/* Error "FILE:LINE: KEY: message" (KEY omitted when NULL). */
static sk_status SK_PRINTF(6, 7)
perr(struct loader *ld, struct sk_err *err, sk_status st, unsigned line,
     const char *key, const char *fmt, ...)
{
	char msg[SK_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (st == SK_ENOMEM)
		return sk__err_line(err, st, line, "%s:%u: out of memory",
				    ld->name, line);
	if (key != NULL)
		return sk__err_line(err, st, line, "%s:%u: %s: %s", ld->name,
				    line, key, msg);
	return sk__err_line(err, st, line, "%s:%u: %s", ld->name, line, msg);
}

static const struct field *
find_field(enum sect s, const char *key, size_t *idx)
{
	size_t i;

	for (i = 0; i < NFIELDS; i++) {
		if (fields[i].sect == s && strcmp(fields[i].key, key) == 0) {
			*idx = i;
			return &fields[i];
		}
	}
	return NULL;
}

static bool
in_choices(const char *const *choices, const char *s, size_t n)
{
	size_t i;

	for (i = 0; choices[i] != NULL; i++)
		if (strlen(choices[i]) == n && memcmp(choices[i], s, n) == 0)
			return true;
	return false;
}

static sk_status
bad_choice(struct loader *ld, struct sk_err *err, unsigned line,
	   const char *key, const char *const *choices, const char *s,
	   size_t n)
{
	char list[128];
	size_t i, used = 0;

	list[0] = '\0';
	for (i = 0; choices[i] != NULL && used < sizeof(list); i++)
		used += (size_t)snprintf(list + used, sizeof(list) - used,
					 "%s%s", i ? ", " : "", choices[i]);
	return perr(ld, err, SK_ESYNTAX, line, key,
		    "\"%.*s\" is not one of: %s", (int)(n > 64 ? 64 : n), s,
		    list);
}

/* Lower-cased copy of a section argument naming an element. */
static sk_status
element_name(struct loader *ld, const struct sk__ini_item *it,
	     const char **out, struct sk_err *err)
{
	size_t i, n = strlen(it->arg);
	char *s;

	for (i = 0; i < n; i++)
		if (!name_char(it->arg[i]))
			return perr(ld, err, SK_ESYNTAX, it->line, NULL,
				    "[%s %s]: name may only have letters, "
				    "digits, '_', '.' and '-'", it->section,
				    it->arg);
	if (n > SK__INI_MAX_KEY)
		return perr(ld, err, SK_ESYNTAX, it->line, NULL,
			    "[%s]: name longer than %d characters",
			    it->section, SK__INI_MAX_KEY);
	s = sk__arena_strndup(&ld->pi->arena, it->arg, n);
	if (s == NULL)
		return perr(ld, err, SK_ENOMEM, it->line, NULL, "no memory");
	for (i = 0; i < n; i++)
		s[i] = sk__lower(s[i]);
	*out = s;
	return SK_OK;
}

static sk_status
check_list_items(struct loader *ld, struct sk_profile_list *l,
		 struct sk_err *err)
{
	bool cidr = strcmp(l->kind, "cidr") == 0;
	size_t i;

	for (i = 0; i < l->count; i++) {
		const char *s = l->items[i];
		size_t n = strlen(s);
		unsigned line = i < ld->nitem_lines ? ld->item_lines[i] :
			l->line;

		if (cidr && !sk__prof_cidr_ok(s, n))
			return perr(ld, err, SK_ESYNTAX, line, "items",
				    "\"%.64s\" is not an IP address or CIDR "
				    "block", s);
		if (!cidr && !sk__prof_domain_ok(s, n, true))
			return perr(ld, err, SK_ESYNTAX, line, "items",
				    "\"%.64s\" is not a domain name or "
				    "*.domain", s);
	}
	return SK_OK;
}

static sk_status
close_section(struct loader *ld, struct sk_err *err)
{
	size_t i;

	if (ld->sect == S_NONE)
		return SK_OK;
	for (i = 0; i < NFIELDS; i++) {
		if (fields[i].sect != ld->sect || !fields[i].required ||
		    (ld->seen & ((uint64_t)1 << i)) != 0)
			continue;
		return perr(ld, err, SK_ESYNTAX, ld->sect_line, fields[i].key,
			    "required key missing in [%s]",
			    sections[ld->sect].name);
	}
	if (ld->sect == S_LIST) {
		struct sk_profile_list *l = ld->base;

		if (l->count == 0)
			return perr(ld, err, SK_ESYNTAX, ld->sect_line,
				    "items", "list [list %s] is empty",
				    l->name);
		return check_list_items(ld, l, err);
	}
	if (ld->sect == S_HOST) {
		const struct sk_profile_host *h = ld->base;

		for (i = 0; i < h->ncaa_allow; i++)
			if (!sk__prof_domain_ok(h->caa_allow[i],
						strlen(h->caa_allow[i]),
						false))
				return perr(ld, err, SK_ESYNTAX,
					    ld->sect_line, "caa_allow",
					    "\"%.64s\" is not a CA domain "
					    "name", h->caa_allow[i]);
	}
	return SK_OK;
}

static sk_status
open_section(struct loader *ld, const struct sk__ini_item *it,
	     struct sk_err *err)
{
	struct sk_profile *p = &ld->pi->pub;
	struct sk__arena *a = &ld->pi->arena;
	const char *name = NULL;
	enum sect s;
	size_t i;
	sk_status st;

	st = close_section(ld, err);
	if (st != SK_OK)
		return st;
	for (s = S_PROFILE; s < S__COUNT; s++)
		if (strcmp(sections[s].name, it->section) == 0)
			break;
	if (s == S__COUNT)
		return perr(ld, err, SK_ESYNTAX, it->line, NULL,
			    "unknown section [%s]", it->section);
	if (sections[s].arg && it->arg[0] == '\0')
		return perr(ld, err, SK_ESYNTAX, it->line, NULL,
			    "[%s] needs a name: [%s NAME]", it->section,
			    it->section);
	if (!sections[s].arg && it->arg[0] != '\0')
		return perr(ld, err, SK_ESYNTAX, it->line, NULL,
			    "[%s] takes no name", it->section);
	ld->sect = s;
	ld->sect_line = it->line;
	ld->seen = 0;
	ld->nitem_lines = 0;
	ld->item_lines = NULL;
	if (!sections[s].arg) {
		if (ld->singles_seen & (1u << s))
			return perr(ld, err, SK_ESYNTAX, it->line, NULL,
				    "section [%s] repeated", it->section);
		ld->singles_seen |= 1u << s;
		ld->base = p;
		return SK_OK;
	}
	st = element_name(ld, it, &name, err);
	if (st != SK_OK)
		return st;
#define DUP(arr, n, field)						\
	for (i = 0; i < (n); i++)					\
		if (strcmp((arr)[i].field, name) == 0)			\
			return perr(ld, err, SK_ESYNTAX, it->line, NULL, \
				    "[%s %s] repeated", it->section, name)
	switch (s) {
	case S_INPUT: {
		struct sk_profile_input *in;

		DUP(p->inputs, p->ninputs, name);
		in = sk__arena_push(a, &p->inputs, &p->ninputs, sizeof(*in));
		if (in == NULL)
			break;
		in->name = name;
		in->severity = SK_SEV_WARNING;
		in->line = it->line;
		ld->base = in;
		return SK_OK;
	}
	case S_HOST: {
		struct sk_profile_host *h;
		struct host_lines *hl;

		DUP(p->hosts, p->nhosts, role);
		hl = sk__arena_push(a, &ld->hl, &ld->nhl, sizeof(*hl));
		if (hl == NULL)
			break;
		h = sk__arena_push(a, &p->hosts, &p->nhosts, sizeof(*h));
		if (h == NULL) {
			ld->nhl--;
			break;
		}
		h->role = name;
		h->probe_target = true;
		h->line = it->line;
		ld->base = h;
		return SK_OK;
	}
	case S_LIST: {
		struct sk_profile_list *l;

		DUP(p->lists, p->nlists, name);
		l = sk__arena_push(a, &p->lists, &p->nlists, sizeof(*l));
		if (l == NULL)
			break;
		l->name = name;
		l->line = it->line;
		ld->base = l;
		return SK_OK;
	}
	case S_NOTE: {
		struct sk_profile_note *nt;

		DUP(p->notes, p->nnotes, name);
		nt = sk__arena_push(a, &p->notes, &p->nnotes, sizeof(*nt));
		if (nt == NULL)
			break;
		nt->name = name;
		ld->base = nt;
		return SK_OK;
	}
	default:
		return perr(ld, err, SK_EINTERNAL, it->line, NULL,
			    "section table broken");
	}
#undef DUP
	return perr(ld, err, SK_ENOMEM, it->line, NULL, "no memory");
}

static sk_status
set_list(struct loader *ld, const struct field *f,
	 const struct sk__ini_item *it, struct sk_err *err)
{
	struct sk__arena *a = &ld->pi->arena;
	const char ***arr = (const char ***)((char *)ld->base + f->off);
	size_t *cnt = (size_t *)((char *)ld->base + f->cnt_off);
	const char *pos = it->value, *end = it->value + it->value_len, *s;
	const char **slot;
	unsigned *lslot;
	size_t n;
	char *copy;

	while (sk__ini_list_next(&pos, end, &s, &n)) {
		if (f->choices != NULL && !in_choices(f->choices, s, n))
			return bad_choice(ld, err, it->line, it->key,
					  f->choices, s, n);
		copy = sk__arena_strndup(a, s, n);
		if (copy == NULL)
			goto nomem;
		if (ld->sect == S_LIST) {
			lslot = sk__arena_push(a, &ld->item_lines,
					       &ld->nitem_lines,
					       sizeof(*lslot));
			if (lslot == NULL)
				goto nomem;
			*lslot = it->line;
		}
		slot = sk__arena_push(a, arr, cnt, sizeof(*slot));
		if (slot == NULL)
			goto nomem;
		*slot = copy;
	}
	return SK_OK;
nomem:
	return perr(ld, err, SK_ENOMEM, it->line, NULL, "no memory");
}

static sk_status
set_field(struct loader *ld, const struct sk__ini_item *it,
	  struct sk_err *err)
{
	const struct field *f;
	const char *v = it->value;
	size_t idx, n = it->value_len;
	void *dst;
	char *copy;
	int y, m, d;

	f = find_field(ld->sect, it->key, &idx);
	if (f == NULL)
		return perr(ld, err, SK_ESYNTAX, it->line, it->key,
			    "unknown key in [%s]", sections[ld->sect].name);
	if (f->type != T_LIST && (ld->seen & ((uint64_t)1 << idx)) != 0)
		return perr(ld, err, SK_ESYNTAX, it->line, it->key,
			    "key repeated in [%s]", sections[ld->sect].name);
	ld->seen |= (uint64_t)1 << idx;
	dst = (char *)ld->base + f->off;
	if (f->type == T_LIST)
		return set_list(ld, f, it, err);
	if (n == 0 && f->type != T_STR)
		return perr(ld, err, SK_ESYNTAX, it->line, it->key,
			    "empty value");
	switch (f->type) {
	case T_BOOL:
		if (!sk__ini_bool(v, (bool *)dst))
			return perr(ld, err, SK_ESYNTAX, it->line, it->key,
				    "\"%.64s\" is not a boolean (yes/no)", v);
		return SK_OK;
	case T_UINT:
	case T_ULONG: {
		unsigned long ul;

		if (!sk__parse_uint(v, n, f->type == T_UINT ? 65536 :
				    1000000000000UL, &ul))
			return perr(ld, err, SK_ESYNTAX, it->line, it->key,
				    "\"%.64s\" is not a number in range", v);
		if (f->type == T_UINT)
			*(unsigned *)dst = (unsigned)ul;
		else
			*(unsigned long *)dst = ul;
		return SK_OK;
	}
	case T_SEV:
		if (strcmp(v, "info") == 0)
			*(enum sk_severity *)dst = SK_SEV_INFO;
		else if (strcmp(v, "warning") == 0)
			*(enum sk_severity *)dst = SK_SEV_WARNING;
		else if (strcmp(v, "error") == 0)
			*(enum sk_severity *)dst = SK_SEV_ERROR;
		else
			return perr(ld, err, SK_ESYNTAX, it->line, it->key,
				    "\"%.64s\" is not one of: info, warning, "
				    "error", v);
		return SK_OK;
	case T_DATE:
		if (!sk__prof_date(v, n, &y, &m, &d))
			return perr(ld, err, SK_ESYNTAX, it->line, it->key,
				    "\"%.64s\" is not a date YYYY-MM-DD", v);
		break;
	case T_URL:
		if (strncmp(v, "https://", 8) != 0 &&
		    strncmp(v, "http://", 7) != 0)
			return perr(ld, err, SK_ESYNTAX, it->line, it->key,
				    "\"%.64s\" is not an http(s) URL", v);
		break;
	case T_DOMAIN:
		if (!sk__prof_domain_ok(v, n, false))
			return perr(ld, err, SK_ESYNTAX, it->line, it->key,
				    "\"%.64s\" is not a domain name", v);
		break;
	case T_CHOICE:
		if (!in_choices(f->choices, v, n))
			return bad_choice(ld, err, it->line, it->key,
					  f->choices, v, n);
		break;
	case T_NAME: {
		size_t i;

		for (i = 0; i < n; i++)
			if (!name_char(v[i]))
				return perr(ld, err, SK_ESYNTAX, it->line,
					    it->key, "\"%.64s\": only letters,"
					    " digits, '_', '.', '-'", v);
		break;
	}
	case T_REGEX: {
		regex_t re;
		char why[128];
		const char *bad;
		int rc;

		bad = regex_tame(v, n);
		if (bad != NULL)
			return perr(ld, err, SK_ESYNTAX, it->line, it->key,
				    "regular expression refused: %s", bad);
		rc = regcomp(&re, v, REG_EXTENDED | REG_NOSUB);
		if (rc != 0) {
			regerror(rc, &re, why, sizeof(why));
			return perr(ld, err, SK_ESYNTAX, it->line, it->key,
				    "bad regular expression: %s", why);
		}
		regfree(&re);
		break;
	}
	case T_TMPL: {
		size_t pos = 0, start, nl;
		const char *nm;
		int r;

		do
			r = sk__prof_tmpl_next(v, n, &pos, &start, &nm, &nl);
		while (r == 1);
		if (r < 0)
			return perr(ld, err, SK_ESYNTAX, it->line, it->key,
				    "bad ${name} reference at \"%.32s\"",
				    v + start);
		break;
	}
	default:
		break;
	}
	copy = sk__arena_strndup(&ld->pi->arena, v, n);
	if (copy == NULL)
		return perr(ld, err, SK_ENOMEM, it->line, NULL, "no memory");
	if (f->type == T_NAME && ld->sect == S_HOST) {
		size_t i;

		for (i = 0; i < n; i++)
			copy[i] = sk__lower(copy[i]);
	}
	*(const char **)dst = copy;
	if (ld->sect == S_HOST) {
		struct host_lines *hl = &ld->hl[ld->nhl - 1];

		if (strcmp(f->key, "target") == 0)
			hl->target = it->line;
		else if (strcmp(f->key, "must_differ_from") == 0)
			hl->must_differ_from = it->line;
	}
	return SK_OK;
}

/* Checks that need the whole file. */
static sk_status
finish(struct loader *ld, struct sk_err *err)
{
	struct sk_profile *p = &ld->pi->pub;
	size_t i, j;
	sk_status st;

	st = close_section(ld, err);
	if (st != SK_OK)
		return st;
	if (!(ld->singles_seen & (1u << S_PROFILE)))
		return sk__err_line(err, SK_ESYNTAX, ld->ini.line,
				    "%s:%u: no [profile] section", ld->name,
				    ld->ini.line);
	for (i = 0; i < p->nhosts; i++) {
		const struct sk_profile_host *h = &p->hosts[i];
		size_t pos = 0, start, nl, tl = strlen(h->target);
		const char *nm;

		while (sk__prof_tmpl_next(h->target, tl, &pos, &start, &nm,
					  &nl) == 1) {
			for (j = 0; j < p->ninputs; j++)
				if (strlen(p->inputs[j].name) == nl &&
				    memcmp(p->inputs[j].name, nm, nl) == 0)
					break;
			if (j == p->ninputs)
				return perr(ld, err, SK_ESYNTAX,
					    ld->hl[i].target, "target",
					    "${%.*s} names no [input]",
					    (int)nl, nm);
		}
		if (h->must_differ_from != NULL) {
			if (sk_profile_host(p, h->must_differ_from) == NULL ||
			    strcmp(h->must_differ_from, h->role) == 0)
				return perr(ld, err, SK_ESYNTAX,
					    ld->hl[i].must_differ_from,
					    "must_differ_from",
					    "\"%s\" is not another [host] "
					    "role", h->must_differ_from);
		}
		for (j = 0; j < i; j++)
			if (strcmp(p->hosts[j].config_key,
				   h->config_key) == 0)
				return perr(ld, err, SK_ESYNTAX, h->line,
					    "config_key", "\"%s\" already "
					    "used by [host %s]", h->config_key,
					    p->hosts[j].role);
	}
	if (p->spf.needed_when == NULL)
		p->spf.needed_when = p->spf.include != NULL ? "always" :
			"never";
	if (p->dkim.recommended_bits < p->dkim.min_bits)
		p->dkim.recommended_bits = p->dkim.min_bits;
	return SK_OK;
}

SK_API sk_status
sk_profile_load_mem(const char *data, size_t len, const char *name,
		    struct sk_profile **out, struct sk_err *err)
{
	struct loader ld;
	struct sk__ini_item it;
	struct profile_impl *pi;
	sk_status st;

	if (out == NULL || (data == NULL && len > 0))
		return sk__err(err, SK_EINVAL, "invalid argument");
	*out = NULL;
	if (name == NULL)
		name = "(profile)";
	memset(&ld, 0, sizeof(ld));
	pi = sk__calloc(1, sizeof(*pi));
	if (pi == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	ld.pi = pi;
	ld.name = name;
	pi->pub.dmarc.aspf_strict_supported = true;
	st = sk__ini_init(&ld.ini, data != NULL ? data : "", len, name, err);
	while (st == SK_OK) {
		st = sk__ini_next(&ld.ini, &it, err);
		if (st != SK_OK || it.kind == SK__INI_END)
			break;
		if (it.kind == SK__INI_SECTION)
			st = open_section(&ld, &it, err);
		else
			st = set_field(&ld, &it, err);
	}
	if (st == SK_OK)
		st = finish(&ld, err);
	if (st == SK_OK) {
		pi->pub.path = sk__arena_strdup(&pi->arena, name);
		if (pi->pub.path == NULL)
			st = sk__err(err, SK_ENOMEM, "out of memory");
	}
	sk__ini_free(&ld.ini);
	if (st != SK_OK) {
		sk_profile_free(&pi->pub);
		return st;
	}
	*out = &pi->pub;
	return SK_OK;
}

SK_API sk_status
sk_profile_load(const char *path, struct sk_profile **out,
		struct sk_err *err)
{
	char *data;
	size_t len;
	sk_status st;

	if (out == NULL || path == NULL)
		return sk__err(err, SK_EINVAL, "invalid argument");
	*out = NULL;
	st = sk__ini_read_file(path, &data, &len, err);
	if (st != SK_OK)
		return st;
	st = sk_profile_load_mem(data, len, path, out, err);
	sk__free(data);
	return st;
}

SK_API void
sk_profile_free(struct sk_profile *p)
{
	struct profile_impl *pi = (struct profile_impl *)p;

	if (pi == NULL)
		return;
	sk__arena_free(&pi->arena);
	sk__free(pi);
}

/* ------------------------------------------------------------ lookups */

SK_API const struct sk_profile_host *
sk_profile_host(const struct sk_profile *p, const char *role)
{
	size_t i;

	if (p == NULL || role == NULL)
		return NULL;
	for (i = 0; i < p->nhosts; i++)
		if (strcmp(p->hosts[i].role, role) == 0)
			return &p->hosts[i];
	return NULL;
}

SK_API const struct sk_profile_list *
sk_profile_list(const struct sk_profile *p, const char *name)
{
	size_t i;

	if (p == NULL || name == NULL)
		return NULL;
	for (i = 0; i < p->nlists; i++)
		if (strcmp(p->lists[i].name, name) == 0)
			return &p->lists[i];
	return NULL;
}

SK_API const struct sk_profile_input *
sk_profile_input(const struct sk_profile *p, const char *name)
{
	size_t i;

	if (p == NULL || name == NULL)
		return NULL;
	for (i = 0; i < p->ninputs; i++)
		if (strcmp(p->inputs[i].name, name) == 0)
			return &p->inputs[i];
	return NULL;
}

/* ------------------------------------------------------------ find */

SK_API sk_status
sk_profile_find(const char *name, const char *const *dirs, char **path_out,
		struct sk_err *err)
{
	const char *defdirs[4];
	struct sk_buf b, tried;
	size_t i, n;
	sk_status st = SK_OK;

	if (name == NULL || path_out == NULL || name[0] == '\0')
		return sk__err(err, SK_EINVAL, "invalid argument");
	*path_out = NULL;
	n = strlen(name);
	if (strchr(name, '/') != NULL ||
	    (n > 4 && strcmp(name + n - 4, ".ini") == 0)) {
		if (access(name, R_OK) != 0)
			return sk__err(err, SK_ENOENT, "profile %s: %s",
				       name, strerror(errno));
		*path_out = sk__strdup(name);
		if (*path_out == NULL)
			return sk__err(err, SK_ENOMEM, "out of memory");
		return SK_OK;
	}
	for (i = 0; i < n; i++)
		if (!name_char(name[i]) || name[0] == '.')
			return sk__err(err, SK_EINVAL, "profile name \"%.64s\""
				       " has characters other than letters, "
				       "digits, '_', '.', '-'", name);
	if (dirs == NULL) {
		i = 0;
		if (getenv("SENDERKIT_PROFILES") != NULL &&
		    getenv("SENDERKIT_PROFILES")[0] != '\0')
			defdirs[i++] = getenv("SENDERKIT_PROFILES");
#ifdef SK_SRCDATADIR
		defdirs[i++] = SK_SRCDATADIR "/profiles";
#endif
		defdirs[i++] = SK_DATADIR "/profiles";
		defdirs[i] = NULL;
		dirs = defdirs;
	}
	sk__buf_init(&b, 8192);
	sk__buf_init(&tried, 1024);
	for (i = 0; dirs[i] != NULL; i++) {
		sk__buf_reset(&b);
		st = sk__buf_printf(&b, "%s/%s.ini", dirs[i], name);
		if (st != SK_OK)
			break;
		if (access(b.p, R_OK) == 0) {
			*path_out = sk__buf_take(&b);
			if (*path_out == NULL)
				st = SK_ENOMEM;
			break;
		}
		/* A truncated list of places is still useful. */
		(void)sk__buf_printf(&tried, "%s%s", i ? ", " : "", dirs[i]);
	}
	if (st == SK_OK && *path_out == NULL)
		st = sk__err(err, SK_ENOENT, "no profile \"%.64s\" in %s",
			     name, tried.p != NULL ? tried.p : "(no "
			     "directories)");
	else if (st != SK_OK && st != SK_ENOENT)
		st = sk__err(err, st, "cannot look for profile \"%.64s\"",
			     name);
	sk__buf_free(&b);
	sk__buf_free(&tried);
	return st;
}
