/*
 * lib/dmarc/record.c - DMARC policy records: selection, lenient parsing
 * and building.
 *
 *   RFC 9989 section 4.7   the tags and their defaults;
 *   RFC 9989 section 4.8   the formal definition (tag-value syntax of
 *                          RFC 6376, dmarc-uri with the obsolete !size,
 *                          dmarc-fo); syntax errors after v= are
 *                          discarded in favour of defaults;
 *   RFC 9989 section 4.10.1 and RFC 7489 section 6.6.3 step 6: a record
 *                          without a valid p is read as p=none when rua
 *                          has a valid URI, else it is not used;
 *   RFC 7489 section 6.3/6.4 the obsolete pct, rf and ri.
 */
#include <stdlib.h>
#include <string.h>
#include "dmarc_internal.h"

static const char *const tag_names[] = {
	[SK_DMARC_TAG_V] = "v",
	[SK_DMARC_TAG_P] = "p",
	[SK_DMARC_TAG_SP] = "sp",
	[SK_DMARC_TAG_NP] = "np",
	[SK_DMARC_TAG_PSD] = "psd",
	[SK_DMARC_TAG_T] = "t",
	[SK_DMARC_TAG_RUA] = "rua",
	[SK_DMARC_TAG_RUF] = "ruf",
	[SK_DMARC_TAG_FO] = "fo",
	[SK_DMARC_TAG_ADKIM] = "adkim",
	[SK_DMARC_TAG_ASPF] = "aspf",
	[SK_DMARC_TAG_PCT] = "pct",
	[SK_DMARC_TAG_RF] = "rf",
	[SK_DMARC_TAG_RI] = "ri",
	[SK_DMARC_TAG_UNKNOWN] = "unknown",
};

SK_API const char *
sk_dmarc_tag_str(enum sk_dmarc_tag t)
{
	if ((unsigned)t > SK_DMARC_TAG_UNKNOWN)
		return "unknown";
	return tag_names[t];
}

SK_API const char *
sk_dmarc_policy_str(enum sk_dmarc_policy p)
{
	switch (p) {
	case SK_DMARC_POLICY_NONE:
		return "none";
	case SK_DMARC_POLICY_QUARANTINE:
		return "quarantine";
	case SK_DMARC_POLICY_REJECT:
		return "reject";
	}
	return "none";
}

enum sk_dmarc_policy
sk__dmarc_stage_policy(enum sk_dmarc_stage s)
{
	switch (s) {
	case SK_STAGE_QUARANTINE:
		return SK_DMARC_POLICY_QUARANTINE;
	case SK_STAGE_REJECT:
		return SK_DMARC_POLICY_REJECT;
	default:
		return SK_DMARC_POLICY_NONE;
	}
}

SK_API const char *
sk_dmarc_align_str(enum sk_dmarc_align a)
{
	return a == SK_DMARC_ALIGN_STRICT ? "strict" : "relaxed";
}

SK_API const char *
sk_dmarc_psd_str(enum sk_dmarc_psd p)
{
	switch (p) {
	case SK_DMARC_PSD_Y:
		return "y";
	case SK_DMARC_PSD_N:
		return "n";
	case SK_DMARC_PSD_U:
		break;
	}
	return "u";
}

SK_API const char *
sk_dmarc_method_str(enum sk_dmarc_method m)
{
	return m == SK_DMARC_PSL ? "psl" : "treewalk";
}

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* dmarc-value = %x20-3A / %x3C-7E (section 4.8). */
static bool
is_value_char(unsigned char c)
{
	return (c >= 0x20 && c <= 0x3a) || (c >= 0x3c && c <= 0x7e);
}

SK_API bool
sk_dmarc_is_record(const char *text, size_t len)
{
	size_t i = 0;

	if (text == NULL || len < 1 || text[0] != 'v')
		return false;
	i = 1;
	while (i < len && is_wsp(text[i]))
		i++;
	if (i >= len || text[i] != '=')
		return false;
	i++;
	while (i < len && is_wsp(text[i]))
		i++;
	/* %s"DMARC1": case-sensitive (section 4.8). */
	if (len - i < 6 || memcmp(text + i, "DMARC1", 6) != 0)
		return false;
	i += 6;
	while (i < len && is_wsp(text[i]))
		i++;
	return i == len || text[i] == ';';
}

/* ---------------------------------------------------------- values */

static bool
parse_request(const char *v, size_t n, enum sk_dmarc_policy *out)
{
	if (sk__eq_nocase_z(v, n, "none"))
		*out = SK_DMARC_POLICY_NONE;
	else if (sk__eq_nocase_z(v, n, "quarantine"))
		*out = SK_DMARC_POLICY_QUARANTINE;
	else if (sk__eq_nocase_z(v, n, "reject"))
		*out = SK_DMARC_POLICY_REJECT;
	else
		return false;
	return true;
}

static bool
parse_rors(const char *v, size_t n, enum sk_dmarc_align *out)
{
	if (n != 1)
		return false;
	if (sk__lower(v[0]) == 'r')
		*out = SK_DMARC_ALIGN_RELAXED;
	else if (sk__lower(v[0]) == 's')
		*out = SK_DMARC_ALIGN_STRICT;
	else
		return false;
	return true;
}

/* Split a colon-separated list (*WSP ":" *WSP) and call fn per item. */
static bool
colon_list(const char *v, size_t n,
	   bool (*fn)(const char *item, size_t len, void *arg), void *arg)
{
	size_t i = 0, s, e;

	for (;;) {
		s = i;
		while (i < n && v[i] != ':')
			i++;
		e = i;
		while (s < e && is_wsp(v[s]))
			s++;
		while (e > s && is_wsp(v[e - 1]))
			e--;
		if (e == s || !fn(v + s, e - s, arg))
			return false;
		if (i >= n)
			return true;
		i++;
	}
}

struct fo_acc {
	unsigned bits;
	bool dup;
};

static bool
fo_item(const char *item, size_t len, void *arg)
{
	struct fo_acc *a = arg;
	unsigned bit;

	if (len != 1)
		return false;
	switch (sk__lower(item[0])) {
	case '0':
		bit = SK_DMARC_FO_0;
		break;
	case '1':
		bit = SK_DMARC_FO_1;
		break;
	case 'd':
		bit = SK_DMARC_FO_D;
		break;
	case 's':
		bit = SK_DMARC_FO_S;
		break;
	default:
		return false;
	}
	if (a->bits & bit)
		a->dup = true;
	a->bits |= bit;
	return true;
}

static bool
rf_item(const char *item, size_t len, void *arg)
{
	unsigned *bits = arg;

	if (sk__eq_nocase_z(item, len, "afrf"))
		*bits |= 1u;
	else if (sk__eq_nocase_z(item, len, "iodef"))
		*bits |= 2u;
	else
		return false;
	return true;
}

static bool
is_hex(char c)
{
	return sk__isdigit(c) || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

/* Characters of an RFC 3986 URI after the scheme: unreserved, reserved
 * and pct-encoded. */
static bool
uri_char(char c)
{
	return sk__isalnum(c) || strchr("-._~:/?#[]@!$&'()*+,;=", c) != NULL;
}

/* One dmarc-uri / obs-dmarc-uri.  Fills u (strings allocated) and
 * returns NULL, or returns the reason it is invalid. */
static const char *
parse_uri(const char *s, size_t n, struct sk_dmarc_uri *u, bool *nomem)
{
	size_t i, ulen = n, hs, he, at;
	const char *bang = NULL, *rest, *p;
	uint64_t v = 0, mult = 1;
	size_t j, rlen;
	char *host;

	memset(u, 0, sizeof(*u));
	/* The obsolete size suffix: "!" 1*DIGIT [k/m/g/t]. */
	for (i = n; i > 0; i--)
		if (s[i - 1] == '!') {
			bang = s + i - 1;
			break;
		}
	if (bang != NULL) {
		ulen = (size_t)(bang - s);
		j = ulen + 1;
		if (j >= n || !sk__isdigit(s[j]))
			return "'!' must be followed by a size (digits, then "
			       "k, m, g or t)";
		for (; j < n && sk__isdigit(s[j]); j++) {
			unsigned d = (unsigned)(s[j] - '0');

			if (v > (UINT64_MAX - d) / 10)
				v = UINT64_MAX;
			else
				v = v * 10 + d;
		}
		if (j < n) {
			switch (sk__lower(s[j])) {
			case 'k':
				mult = 1024;
				break;
			case 'm':
				mult = 1024 * 1024;
				break;
			case 'g':
				mult = 1024ULL * 1024 * 1024;
				break;
			case 't':
				mult = 1024ULL * 1024 * 1024 * 1024;
				break;
			default:
				return "bad unit in the size suffix (k, m, g "
				       "or t)";
			}
			if (j + 1 != n)
				return "junk after the size suffix";
		}
		u->has_size = true;
		u->size = v > UINT64_MAX / mult ? UINT64_MAX : v * mult;
	}
	/* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
	if (ulen == 0 || !sk__isalpha(s[0]))
		return "a URI must begin with a scheme (mailto:)";
	for (i = 1; i < ulen && s[i] != ':'; i++)
		if (!sk__isalnum(s[i]) && s[i] != '+' && s[i] != '-' &&
		    s[i] != '.')
			return "bad character in the URI scheme";
	if (i >= ulen)
		return "no ':' after the URI scheme";
	rest = s + i + 1;
	rlen = ulen - i - 1;
	if (rlen == 0)
		return "nothing after the URI scheme";
	for (j = 0; j < rlen; j++) {
		if (rest[j] == '%') {
			if (j + 2 >= rlen ||
			    !is_hex(rest[j + 1]) || !is_hex(rest[j + 2]))
				return "bad percent-encoding in the URI";
			j += 2;
			continue;
		}
		if (!uri_char(rest[j]))
			return "character not allowed in a URI (encode it)";
	}
	u->mailto = sk__eq_nocase_z(s, i, "mailto");
	if (u->mailto) {
		/* The address: up to '?', domain after the last '@'. */
		p = memchr(rest, '?', rlen);
		he = p != NULL ? (size_t)(p - rest) : rlen;
		at = SIZE_MAX;
		for (j = 0; j < he; j++)
			if (rest[j] == '@')
				at = j;
		if (at == SIZE_MAX || at == 0 || at + 1 >= he)
			return "mailto: URI without a user@domain address";
		hs = at + 1;
	} else if (rlen >= 2 && rest[0] == '/' && rest[1] == '/') {
		hs = 2;
		he = hs;
		while (he < rlen && rest[he] != '/' && rest[he] != '?' &&
		       rest[he] != '#')
			he++;
		for (j = hs; j < he; j++)
			if (rest[j] == '@')
				hs = j + 1;
		if (hs < he && rest[hs] == '[') {
			p = memchr(rest + hs, ']', he - hs);
			if (p != NULL)
				he = (size_t)(p - rest) + 1;
		} else {
			for (j = hs; j < he; j++)
				if (rest[j] == ':') {
					he = j;
					break;
				}
		}
	} else {
		hs = he = 0;
	}
	u->scheme = host = sk__strndup(s, i);
	if (host == NULL) {
		*nomem = true;
		return NULL;
	}
	for (j = 0; host[j] != '\0'; j++)
		host[j] = sk__lower(host[j]);
	u->uri = sk__strndup(s, ulen);
	if (u->uri == NULL) {
		*nomem = true;
		return NULL;
	}
	if (he > hs) {
		host = sk__strndup(rest + hs, he - hs);
		if (host == NULL) {
			*nomem = true;
			return NULL;
		}
		for (j = 0; host[j] != '\0'; j++)
			host[j] = sk__lower(host[j]);
		/* A trailing dot names the same host. */
		if (j > 1 && host[j - 1] == '.')
			host[j - 1] = '\0';
		u->host = host;
	}
	return NULL;
}

static void
uri_clear(struct sk_dmarc_uri *u)
{
	sk__free((void *)u->uri);
	sk__free((void *)u->scheme);
	sk__free((void *)u->host);
	memset(u, 0, sizeof(*u));
}

/* ------------------------------------------------------- the record */

static void
add_problem(struct sk__dmarc_rec *r, enum sk_dmarc_tag tag, size_t off,
	    const char *fmt, ...) SK_PRINTF(4, 5);

static void
add_problem(struct sk__dmarc_rec *r, enum sk_dmarc_tag tag, size_t off,
	    const char *fmt, ...)
{
	struct sk_dmarc_problem *pr;
	struct sk_buf b;
	va_list ap;

	if (r == NULL || r->st != SK_OK)
		return;
	if (r->pub.nproblems == r->problems_alloc) {
		pr = sk__grow(r->problems, &r->problems_alloc, sizeof(*pr), 8);
		if (pr == NULL) {
			r->st = SK_ENOMEM;
			return;
		}
		r->problems = pr;
		r->pub.problems = pr;
	}
	sk__buf_init(&b, 1024);
	va_start(ap, fmt);
	if (sk__buf_vprintf(&b, fmt, ap) == SK_ENOMEM) {
		va_end(ap);
		sk__buf_free(&b);
		r->st = SK_ENOMEM;
		return;
	}
	va_end(ap);
	pr = &r->problems[r->pub.nproblems];
	pr->tag = tag;
	pr->offset = off;
	pr->message = sk__buf_take(&b);
	if (pr->message == NULL) {
		r->st = SK_ENOMEM;
		return;
	}
	r->pub.nproblems++;
}

static enum sk_dmarc_tag
tag_lookup(const char *name, size_t n)
{
	unsigned t;

	for (t = 0; t < SK_DMARC_TAG_UNKNOWN; t++)
		if (sk__eq_nocase_z(name, n, tag_names[t]))
			return (enum sk_dmarc_tag)t;
	return SK_DMARC_TAG_UNKNOWN;
}

/* Parse a URI list into *out (allocated), reporting bad URIs through r
 * (when non-NULL).  Returns the number of valid URIs; *nbad counts the
 * invalid ones, *other those with a scheme other than mailto. */
static size_t
parse_urilist(struct sk__dmarc_rec *r, enum sk_dmarc_tag tag,
	      const char *v, size_t n, size_t base,
	      struct sk_dmarc_uri **out, size_t *nbad, size_t *other,
	      bool *nomem)
{
	struct sk_dmarc_uri *list = NULL, u;
	size_t i = 0, s, e, count = 0;
	const char *why;

	*nbad = 0;
	*other = 0;
	if (out != NULL) {
		list = sk__calloc(SK_DMARC_MAX_URIS, sizeof(*list));
		if (list == NULL) {
			*nomem = true;
			return 0;
		}
		*out = list;
	}
	for (;;) {
		s = i;
		while (i < n && v[i] != ',')
			i++;
		e = i;
		while (s < e && is_wsp(v[s]))
			s++;
		while (e > s && is_wsp(v[e - 1]))
			e--;
		if (e == s) {
			(*nbad)++;
			add_problem(r, tag, base + s, "%s: empty URI in the "
				    "list", tag_names[tag]);
		} else {
			why = parse_uri(v + s, e - s, &u, nomem);
			if (*nomem) {
				uri_clear(&u);
				return count;
			}
			if (why != NULL) {
				(*nbad)++;
				add_problem(r, tag, base + s, "%s: '%.*s': %s",
					    tag_names[tag], (int)(e - s),
					    v + s, why);
			} else if (count >= SK_DMARC_MAX_URIS) {
				add_problem(r, tag, base + s, "%s: more than "
					    "%d URIs; the rest is ignored",
					    tag_names[tag],
					    SK_DMARC_MAX_URIS);
				uri_clear(&u);
			} else {
				if (!u.mailto)
					(*other)++;
				u.offset = base + s;
				if (list != NULL)
					list[count] = u;
				else
					uri_clear(&u);
				count++;
			}
		}
		if (i >= n)
			break;
		i++;
	}
	return count;
}

/* Validate one value; when rec is non-NULL, store it there. */
static bool
apply_value(struct sk__dmarc_rec *r, enum sk_dmarc_tag tag, const char *v,
	    size_t n, size_t voff, bool *other_scheme, bool *nomem)
{
	struct sk_dmarc_record *p = r != NULL ? &r->pub : NULL;
	enum sk_dmarc_policy pol;
	enum sk_dmarc_align al;
	struct fo_acc fo = {0, false};
	unsigned long ul;
	unsigned rf = 0;
	size_t nbad, other, cnt;
	struct sk_dmarc_uri *list = NULL;

	switch (tag) {
	case SK_DMARC_TAG_V:
		return n == 6 && memcmp(v, "DMARC1", 6) == 0;
	case SK_DMARC_TAG_P:
	case SK_DMARC_TAG_SP:
	case SK_DMARC_TAG_NP:
		if (!parse_request(v, n, &pol))
			return false;
		if (p != NULL && tag == SK_DMARC_TAG_P)
			p->p = pol;
		else if (p != NULL && tag == SK_DMARC_TAG_SP)
			p->sp = pol;
		else if (p != NULL)
			p->np = pol;
		return true;
	case SK_DMARC_TAG_PSD:
		if (n != 1)
			return false;
		switch (sk__lower(v[0])) {
		case 'y':
			if (p != NULL)
				p->psd = SK_DMARC_PSD_Y;
			return true;
		case 'n':
			if (p != NULL)
				p->psd = SK_DMARC_PSD_N;
			return true;
		case 'u':
			if (p != NULL)
				p->psd = SK_DMARC_PSD_U;
			return true;
		}
		return false;
	case SK_DMARC_TAG_T:
		if (n != 1 || (sk__lower(v[0]) != 'y' &&
			       sk__lower(v[0]) != 'n'))
			return false;
		if (p != NULL)
			p->t = sk__lower(v[0]) == 'y';
		return true;
	case SK_DMARC_TAG_ADKIM:
	case SK_DMARC_TAG_ASPF:
		if (!parse_rors(v, n, &al))
			return false;
		if (p != NULL && tag == SK_DMARC_TAG_ADKIM)
			p->adkim = al;
		else if (p != NULL)
			p->aspf = al;
		return true;
	case SK_DMARC_TAG_FO:
		if (!colon_list(v, n, fo_item, &fo))
			return false;
		if (p != NULL) {
			p->fo = fo.bits;
			/* RFC 9989 4.8: "0" and "1" are exclusive, each
			 * value at most once. */
			p->fo_rfc9989_invalid = fo.dup ||
				((fo.bits & SK_DMARC_FO_0) &&
				 (fo.bits & SK_DMARC_FO_1));
		}
		return true;
	case SK_DMARC_TAG_PCT:
		if (!sk__parse_uint(v, n, 100, &ul))
			return false;
		if (p != NULL)
			p->pct = (unsigned)ul;
		return true;
	case SK_DMARC_TAG_RI:
		if (!sk__parse_uint(v, n, UINT32_MAX, &ul))
			return false;
		if (p != NULL)
			p->ri = (uint32_t)ul;
		return true;
	case SK_DMARC_TAG_RF:
		if (!colon_list(v, n, rf_item, &rf))
			return false;
		if (p != NULL)
			p->rf = rf;
		return true;
	case SK_DMARC_TAG_RUA:
	case SK_DMARC_TAG_RUF:
		cnt = parse_urilist(r, tag, v, n, voff,
				    r != NULL ? &list : NULL, &nbad, &other,
				    nomem);
		if (other_scheme != NULL)
			*other_scheme = other > 0;
		if (r == NULL)
			return nbad == 0 && cnt > 0;
		if (*nomem) {
			for (size_t i = 0; list != NULL && i < cnt; i++)
				uri_clear(&list[i]);
			sk__free(list);
			return false;
		}
		if (tag == SK_DMARC_TAG_RUA) {
			r->rua = list;
			p->rua = list;
			p->nrua = cnt;
		} else {
			r->ruf = list;
			p->ruf = list;
			p->nruf = cnt;
		}
		/* 4.10.1: "at least one syntactically valid URI". */
		return cnt > 0 && nbad == 0;
	case SK_DMARC_TAG_UNKNOWN:
		break;
	}
	return false;
}

SK_API bool
sk_dmarc_tag_value_valid(const char *name, const char *value, size_t len,
			 bool *unsupported_scheme)
{
	enum sk_dmarc_tag tag;
	bool nomem = false;
	unsigned t;
	size_t i;

	if (unsupported_scheme != NULL)
		*unsupported_scheme = false;
	if (name == NULL || value == NULL || len == 0 ||
	    len > SK_DMARC_MAX_RECORD)
		return false;
	for (i = 0; i < len; i++)
		if (!is_value_char((unsigned char)value[i]))
			return false;
	/* Tag names as written in section 4.7: lower case. */
	for (t = 0; t < SK_DMARC_TAG_UNKNOWN; t++)
		if (strcmp(name, tag_names[t]) == 0)
			break;
	if (t == SK_DMARC_TAG_UNKNOWN)
		return false;
	tag = (enum sk_dmarc_tag)t;
	while (len > 0 && is_wsp(value[len - 1]))
		len--;
	while (len > 0 && is_wsp(value[0])) {
		value++;
		len--;
	}
	if (len == 0)
		return false;
	return apply_value(NULL, tag, value, len, 0, unsupported_scheme,
			   &nomem) && !nomem;
}

static struct sk_dmarc_tagval *
add_tag(struct sk__dmarc_rec *r)
{
	struct sk_dmarc_tagval *t;

	if (r->pub.ntags == r->tags_alloc) {
		t = sk__grow(r->tags, &r->tags_alloc, sizeof(*t), 16);
		if (t == NULL) {
			r->st = SK_ENOMEM;
			return NULL;
		}
		r->tags = t;
		r->pub.tags = t;
	}
	t = &r->tags[r->pub.ntags++];
	memset(t, 0, sizeof(*t));
	return t;
}

/* One "name = value" segment text[s, e) (already trimmed). */
static void
parse_segment(struct sk__dmarc_rec *r, const char *text, size_t s, size_t e)
{
	struct sk_dmarc_tagval *tv;
	enum sk_dmarc_tag tag;
	size_t i = s, ne, vs, k;
	bool nomem = false, other = false;

	while (i < e && sk__isalpha(text[i]))
		i++;
	ne = i;
	if (ne == s) {
		add_problem(r, SK_DMARC_TAG_UNKNOWN, s, "a tag name (letters) "
			    "was expected at offset %zu", s);
		return;
	}
	while (i < e && is_wsp(text[i]))
		i++;
	if (i >= e || text[i] != '=') {
		add_problem(r, SK_DMARC_TAG_UNKNOWN, i, "'=' expected after "
			    "the tag name '%.*s' at offset %zu", (int)(ne - s),
			    text + s, i);
		return;
	}
	i++;
	while (i < e && is_wsp(text[i]))
		i++;
	vs = i;
	tag = tag_lookup(text + s, ne - s);
	tv = add_tag(r);
	if (tv == NULL)
		return;
	tv->tag = tag;
	tv->offset = s;
	tv->value_offset = vs;
	tv->name = sk__strndup(text + s, ne - s);
	tv->value = sk__strndup(text + vs, e - vs);
	if (tv->name == NULL || tv->value == NULL) {
		r->st = SK_ENOMEM;
		return;
	}
	if (vs >= e) {
		add_problem(r, tag, vs, "%s: empty value", tv->name);
		if (tag != SK_DMARC_TAG_UNKNOWN)
			r->pub.invalid_tags |= 1u << tag;
		return;
	}
	for (k = vs; k < e; k++)
		if (!is_value_char((unsigned char)text[k])) {
			add_problem(r, tag, k, "%s: byte 0x%02x is not "
				    "allowed in a value (printable ASCII "
				    "only)", tv->name,
				    (unsigned char)text[k]);
			if (tag != SK_DMARC_TAG_UNKNOWN)
				r->pub.invalid_tags |= 1u << tag;
			return;
		}
	if (tag == SK_DMARC_TAG_UNKNOWN) {
		/* Section 4.7: unknown tags MUST be ignored (lint says). */
		tv->valid = true;
		return;
	}
	if ((r->pub.explicit_tags | r->pub.invalid_tags) & (1u << tag)) {
		tv->duplicate = true;
		add_problem(r, tag, s, "%s: repeated tag; this one is ignored",
			    tv->name);
		return;
	}
	tv->valid = apply_value(r, tag, text + vs, e - vs, vs, &other,
				&nomem);
	if (nomem) {
		r->st = SK_ENOMEM;
		return;
	}
	if (tv->valid) {
		r->pub.explicit_tags |= 1u << tag;
		return;
	}
	r->pub.invalid_tags |= 1u << tag;
	if (tag == SK_DMARC_TAG_RUA || tag == SK_DMARC_TAG_RUF)
		return; /* the URI problems are already reported */
	add_problem(r, tag, vs, "%s: invalid value '%s'", tv->name, tv->value);
}

static void
apply_defaults(struct sk__dmarc_rec *r)
{
	struct sk_dmarc_record *p = &r->pub;
	uint32_t ex = p->explicit_tags, inv = p->invalid_tags;
	bool p_bad, bad9989, bad7489, rua_ok;

	if (!(ex & (1u << SK_DMARC_TAG_P)))
		p->p = SK_DMARC_POLICY_NONE;
	if (!(ex & (1u << SK_DMARC_TAG_SP)))
		p->sp = p->p;
	if (!(ex & (1u << SK_DMARC_TAG_NP)))
		p->np = p->sp;
	if (!(ex & (1u << SK_DMARC_TAG_FO)))
		p->fo = SK_DMARC_FO_0;
	if (!(ex & (1u << SK_DMARC_TAG_PCT)))
		p->pct = 100;
	if (!(ex & (1u << SK_DMARC_TAG_RF)))
		p->rf = 1;
	if (!(ex & (1u << SK_DMARC_TAG_RI)))
		p->ri = 86400;
	r->raw_p = p->p;
	r->raw_sp = p->sp;
	p->p_missing = !(ex & (1u << SK_DMARC_TAG_P)) &&
		       !(inv & (1u << SK_DMARC_TAG_P));
	p_bad = !(ex & (1u << SK_DMARC_TAG_P));
	/* "at least one syntactically valid reporting URI". */
	rua_ok = p->nrua > 0;
	bad9989 = p_bad || (inv & (1u << SK_DMARC_TAG_SP)) ||
		  (inv & (1u << SK_DMARC_TAG_NP));
	bad7489 = p_bad || (inv & (1u << SK_DMARC_TAG_SP));
	p->usable = !bad9989 || rua_ok;
	p->fallback_none = bad9989 && rua_ok;
	p->usable_7489 = !bad7489 || rua_ok;
	p->fallback_none_7489 = bad7489 && rua_ok;
	if (p->fallback_none) {
		p->p = SK_DMARC_POLICY_NONE;
		p->sp = SK_DMARC_POLICY_NONE;
		p->np = SK_DMARC_POLICY_NONE;
	}
}

SK_API void
sk_dmarc_record_free(struct sk_dmarc_record *rec)
{
	struct sk__dmarc_rec *r = (struct sk__dmarc_rec *)rec;
	size_t i;

	if (r == NULL)
		return;
	for (i = 0; i < r->pub.nrua; i++)
		uri_clear(&r->rua[i]);
	for (i = 0; i < r->pub.nruf; i++)
		uri_clear(&r->ruf[i]);
	sk__free(r->rua);
	sk__free(r->ruf);
	for (i = 0; i < r->pub.ntags; i++) {
		sk__free((void *)r->tags[i].name);
		sk__free((void *)r->tags[i].value);
	}
	sk__free(r->tags);
	for (i = 0; i < r->pub.nproblems; i++)
		sk__free((void *)r->problems[i].message);
	sk__free(r->problems);
	sk__free((void *)r->pub.text);
	sk__free(r);
}

static int
cmp_problem(const void *a, const void *b)
{
	const struct sk_dmarc_problem *x = a, *y = b;

	return x->offset < y->offset ? -1 : x->offset > y->offset;
}

SK_API sk_status
sk_dmarc_parse(const char *text, size_t len, struct sk_dmarc_record **out,
	       struct sk_err *err)
{
	struct sk__dmarc_rec *r;
	size_t i, s, e, seg;
	char *copy;

	if (out == NULL || (text == NULL && len > 0))
		return sk__err(err, SK_EINVAL, "no record text");
	*out = NULL;
	if (len > SK_DMARC_MAX_RECORD)
		return sk__err_at(err, SK_ETOOBIG, SK_DMARC_MAX_RECORD,
				  "record of %zu bytes is over the limit of "
				  "%d", len, SK_DMARC_MAX_RECORD);
	if (!sk_dmarc_is_record(text, len))
		return sk__err_at(err, SK_ESYNTAX, 0, "not a DMARC record: it "
				  "must begin with v=DMARC1 (RFC 9989 section "
				  "4.7)");
	r = sk__calloc(1, sizeof(*r));
	if (r == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	copy = sk__malloc(len + 1);
	if (copy == NULL) {
		sk__free(r);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	memcpy(copy, text, len);
	copy[len] = '\0';
	r->pub.text = copy;
	r->pub.len = len;
	i = 0;
	for (seg = 0; r->st == SK_OK; seg++) {
		s = i;
		while (i < len && copy[i] != ';')
			i++;
		e = i;
		while (s < e && is_wsp(copy[s]))
			s++;
		while (e > s && is_wsp(copy[e - 1]))
			e--;
		if (s == e) {
			/* A trailing ";" is allowed (dmarc-record). */
			if (i < len || seg == 0)
				add_problem(r, SK_DMARC_TAG_UNKNOWN, s,
					    "empty tag between semicolons at "
					    "offset %zu", s);
		} else {
			parse_segment(r, copy, s, e);
		}
		if (i >= len)
			break;
		i++;
	}
	if (r->st == SK_OK)
		apply_defaults(r);
	if (r->st != SK_OK) {
		sk_dmarc_record_free(&r->pub);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	if (r->pub.nproblems > 1)
		qsort(r->problems, r->pub.nproblems, sizeof(*r->problems),
		      cmp_problem);
	*out = &r->pub;
	return SK_OK;
}

SK_API bool
sk_dmarc_record_explicit(const struct sk_dmarc_record *rec,
			 enum sk_dmarc_tag tag)
{
	if (rec == NULL || (unsigned)tag >= SK_DMARC_TAG_UNKNOWN)
		return false;
	return (rec->explicit_tags & (1u << tag)) != 0;
}

SK_API bool
sk_dmarc_record_policy(const struct sk_dmarc_record *rec,
		       enum sk_dmarc_rules rules, enum sk_dmarc_tag which,
		       enum sk_dmarc_policy *out)
{
	const struct sk__dmarc_rec *r = (const struct sk__dmarc_rec *)rec;

	if (rec == NULL || out == NULL)
		return false;
	if (rules == SK_DMARC_RFC7489) {
		if (!rec->usable_7489)
			return false;
		if (rec->fallback_none_7489)
			*out = SK_DMARC_POLICY_NONE;
		else
			*out = which == SK_DMARC_TAG_P ? r->raw_p : r->raw_sp;
		return true;
	}
	if (!rec->usable)
		return false;
	switch (which) {
	case SK_DMARC_TAG_SP:
		*out = rec->sp;
		break;
	case SK_DMARC_TAG_NP:
		*out = rec->np;
		break;
	default:
		*out = rec->p;
		break;
	}
	return true;
}

/* ------------------------------------------------------------ build */

static sk_status
build_one(struct sk_buf *b, const char *name, const char *val,
	  struct sk_err *err)
{
	size_t i, n;
	sk_status st;

	if (val == NULL)
		return SK_OK;
	n = strlen(val);
	if (!sk_dmarc_tag_value_valid(name, val, n, NULL)) {
		if (strcmp(name, "p") == 0 || strcmp(name, "sp") == 0 ||
		    strcmp(name, "np") == 0)
			return sk__err(err, SK_EINVAL, "%s: '%s' is not none, "
				       "quarantine or reject", name, val);
		if (strcmp(name, "psd") == 0)
			return sk__err(err, SK_EINVAL, "psd: '%s' is not y, n "
				       "or u", val);
		if (strcmp(name, "t") == 0)
			return sk__err(err, SK_EINVAL, "t: '%s' is not y or n",
				       val);
		if (strcmp(name, "adkim") == 0 || strcmp(name, "aspf") == 0)
			return sk__err(err, SK_EINVAL, "%s: '%s' is not r or "
				       "s", name, val);
		if (strcmp(name, "fo") == 0)
			return sk__err(err, SK_EINVAL, "fo: '%s' is not a "
				       "colon-separated list of 0, 1, d, s",
				       val);
		if (strcmp(name, "pct") == 0)
			return sk__err(err, SK_EINVAL, "pct: '%s' is not a "
				       "number from 0 to 100", val);
		return sk__err(err, SK_EINVAL, "%s: invalid value '%s'", name,
			       val);
	}
	st = sk__buf_printf(b, "; %s=", name);
	for (i = 0; st == SK_OK && i < n; i++)
		st = sk__buf_addc(b, sk__lower(val[i]));
	return st;
}

static sk_status
build_uris(struct sk_buf *b, const char *name, const char *const *uris,
	   size_t n, struct sk_err *err)
{
	struct sk_buf one;
	sk_status st = SK_OK;
	size_t i;

	if (n == 0)
		return SK_OK;
	if (n > SK_DMARC_MAX_URIS)
		return sk__err(err, SK_EINVAL, "%s: more than %d URIs", name,
			       SK_DMARC_MAX_URIS);
	st = sk__buf_printf(b, "; %s=", name);
	for (i = 0; st == SK_OK && i < n; i++) {
		const char *u = uris[i] != NULL ? uris[i] : "";

		sk__buf_init(&one, SK_DMARC_MAX_RECORD);
		/* A bare address gets its scheme. */
		if (strchr(u, ':') == NULL && strchr(u, '@') != NULL)
			st = sk__buf_printf(&one, "mailto:%s", u);
		else
			st = sk__buf_adds(&one, u);
		if (st == SK_OK && !sk_dmarc_tag_value_valid(name, one.p,
							     one.len, NULL)) {
			sk__buf_free(&one);
			return sk__err(err, SK_EINVAL, "%s: '%s' is not a "
				       "valid reporting URI (mailto:user@"
				       "domain; ',' and '!' encoded)", name,
				       u);
		}
		if (st == SK_OK && i > 0)
			st = sk__buf_addc(b, ',');
		if (st == SK_OK)
			st = sk__buf_add(b, one.p, one.len);
		sk__buf_free(&one);
	}
	return st;
}

SK_API sk_status
sk_dmarc_build(const struct sk_dmarc_build *bo, char **out,
	       struct sk_err *err)
{
	struct sk_dmarc_record *check = NULL;
	struct sk_buf b;
	sk_status st;

	if (bo == NULL || out == NULL)
		return sk__err(err, SK_EINVAL, "no build options");
	*out = NULL;
	if (bo->p == NULL)
		return sk__err(err, SK_EINVAL, "p: the policy is required "
			       "(none, quarantine or reject)");
	sk__buf_init(&b, SK_DMARC_MAX_RECORD);
	st = sk__buf_adds(&b, "v=DMARC1");
	if (st == SK_OK)
		st = build_one(&b, "p", bo->p, err);
	if (st == SK_OK)
		st = build_one(&b, "sp", bo->sp, err);
	if (st == SK_OK)
		st = build_one(&b, "np", bo->np, err);
	if (st == SK_OK)
		st = build_one(&b, "psd", bo->psd, err);
	if (st == SK_OK)
		st = build_one(&b, "t", bo->t, err);
	if (st == SK_OK)
		st = build_one(&b, "adkim", bo->adkim, err);
	if (st == SK_OK)
		st = build_one(&b, "aspf", bo->aspf, err);
	if (st == SK_OK)
		st = build_one(&b, "fo", bo->fo, err);
	if (st == SK_OK)
		st = build_one(&b, "pct", bo->pct, err);
	if (st == SK_OK)
		st = build_uris(&b, "rua", bo->rua, bo->nrua, err);
	if (st == SK_OK)
		st = build_uris(&b, "ruf", bo->ruf, bo->nruf, err);
	if (st == SK_ETOOBIG)
		st = sk__err(err, SK_ETOOBIG, "record longer than %d bytes",
			     SK_DMARC_MAX_RECORD);
	else if (st == SK_ENOMEM)
		st = sk__err(err, SK_ENOMEM, "out of memory");
	if (st != SK_OK) {
		sk__buf_free(&b);
		return st;
	}
	/* The output must read back cleanly (STYLE.md 22). */
	st = sk_dmarc_parse(b.p, b.len, &check, err);
	if (st == SK_OK && check->nproblems > 0)
		st = sk__err(err, SK_EINTERNAL, "built record does not parse "
			     "back: %s", check->problems[0].message);
	sk_dmarc_record_free(check);
	if (st != SK_OK) {
		sk__buf_free(&b);
		return st;
	}
	*out = sk__buf_take(&b);
	if (*out == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	return SK_OK;
}
