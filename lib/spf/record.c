/*
 * lib/spf/record.c - SPF record syntax, RFC 7208 sections 4.5 (record
 * selection), 4.6.1 (term syntax), 5 (mechanisms), 6 (modifiers; 6.1/6.2
 * at most once each) and 12 (collected ABNF).  Any syntax error fails the
 * whole record (section 4.6).
 */
#include <arpa/inet.h>
#include <string.h>
#include "spf_internal.h"

SK_API const char *
sk_spf_result_str(enum sk_spf_result r)
{
	switch (r) {
	case SK_SPF_NONE:
		return "none";
	case SK_SPF_NEUTRAL:
		return "neutral";
	case SK_SPF_PASS:
		return "pass";
	case SK_SPF_FAIL:
		return "fail";
	case SK_SPF_SOFTFAIL:
		return "softfail";
	case SK_SPF_TEMPERROR:
		return "temperror";
	case SK_SPF_PERMERROR:
		return "permerror";
	}
	return "unknown";
}

static const char *const kind_names[] = {
	[SK_SPF_ALL] = "all",
	[SK_SPF_INCLUDE] = "include",
	[SK_SPF_A] = "a",
	[SK_SPF_MX] = "mx",
	[SK_SPF_PTR] = "ptr",
	[SK_SPF_IP4] = "ip4",
	[SK_SPF_IP6] = "ip6",
	[SK_SPF_EXISTS] = "exists",
	[SK_SPF_REDIRECT] = "redirect",
	[SK_SPF_EXP] = "exp",
	[SK_SPF_UNKNOWN_MODIFIER] = "unknown-modifier",
};

SK_API const char *
sk_spf_term_kind_str(enum sk_spf_term_kind k)
{
	if ((unsigned)k >= sizeof(kind_names) / sizeof(kind_names[0]))
		return "unknown";
	return kind_names[k];
}

SK_API bool
sk_spf_is_record(const char *text, size_t len)
{
	/* Section 4.5: "v=spf1" then SP or the end (ABNF literals are
	 * case-insensitive). */
	if (text == NULL || len < 6 || !sk__eq_nocase_z(text, 6, "v=spf1"))
		return false;
	return len == 6 || text[6] == ' ';
}

SK_API size_t
sk_spf_record_nterms(const struct sk_spf_record *rec)
{
	return rec != NULL ? rec->nterms : 0;
}

SK_API const struct sk_spf_term *
sk_spf_record_term(const struct sk_spf_record *rec, size_t i)
{
	if (rec == NULL || i >= rec->nterms)
		return NULL;
	return &rec->terms[i];
}

SK_API void
sk_spf_record_free(struct sk_spf_record *rec)
{
	if (rec == NULL)
		return;
	sk__free(rec->terms);
	sk__free(rec->text);
	sk__free(rec);
}

/*
 * ip4-cidr-length = "/" ("0" / %x31-39 0*1DIGIT)
 * ip6-cidr-length = "/" ("0" / %x31-39 0*2DIGIT)
 * s[0..n) is the number after the '/'.
 */
static bool
parse_cidr(const char *s, size_t n, unsigned max, int *out)
{
	unsigned long v;

	if (n == 0 || n > 3 || (n > 1 && s[0] == '0'))
		return false;
	if (!sk__parse_uint(s, n, max, &v))
		return false;
	*out = (int)v;
	return true;
}

/* Parse the trailing dual-cidr-length of a/mx, or ip4/ip6 cidr, from
 * p[0..n) which starts with '/'.  which: 'd' dual, '4' or '6'. */
static bool
parse_cidrs(const char *p, size_t n, char which, struct sk_spf_term *t)
{
	const char *s2 = NULL;

	if (n == 0)
		return true;
	if (p[0] != '/')
		return false;
	if (which == '6')
		return parse_cidr(p + 1, n - 1, 128, &t->cidr6);
	if (which == '4') {
		return parse_cidr(p + 1, n - 1, 32, &t->cidr4);
	}
	/* dual-cidr-length = [ ip4-cidr-length ] [ "/" ip6-cidr-length ] */
	if (n >= 2 && p[1] == '/')
		return parse_cidr(p + 2, n - 2, 128, &t->cidr6);
	s2 = memchr(p + 1, '/', n - 1);
	if (s2 == NULL)
		return parse_cidr(p + 1, n - 1, 32, &t->cidr4);
	if (!parse_cidr(p + 1, (size_t)(s2 - p) - 1, 32, &t->cidr4))
		return false;
	n -= (size_t)(s2 - p);
	p = s2;
	if (n < 2 || p[1] != '/')
		return false;
	return parse_cidr(p + 2, n - 2, 128, &t->cidr6);
}

/* Find where a trailing cidr suffix starts in a domain-spec + cidr
 * argument: the first '/' that begins a run of only "/" and digits to the
 * end.  Macro delimiters may contain '/', so search from the right. */
static size_t
cidr_start(const char *s, size_t n)
{
	size_t i = n;

	while (i > 0 &&
	       (s[i - 1] == '/' || sk__isdigit((unsigned char)s[i - 1])))
		i--;
	while (i < n && s[i] != '/')
		i++;
	return i;
}

/* domain-spec must not be followed by a '}'-less cut inside a macro: if
 * the '/' found is inside "%{...}", there is no cidr.  */
static bool
inside_macro(const char *s, size_t pos)
{
	bool in = false;

	for (size_t i = 0; i < pos; i++) {
		if (s[i] == '%' && i + 1 < pos && s[i + 1] == '{')
			in = true;
		else if (s[i] == '}')
			in = false;
		else if (s[i] == '%' && i + 1 < pos)
			i++;
	}
	return in;
}

static sk_status
parse_term(struct sk_spf_record *rec, struct sk_spf_term *t, size_t off,
	   size_t n, struct sk_err *err)
{
	const char *s = rec->text + off;
	size_t i = 0, nl, rest;
	sk_status st;
	struct sk_err e2;
	const char *base;

	memset(t, 0, sizeof(*t));
	t->offset = off;
	t->text = s;
	t->text_len = n;
	t->cidr4 = -1;
	t->cidr6 = -1;
	t->qualifier = '+';

	/* modifier: name "=" ...; name = ALPHA *( ALPHA / DIGIT / - _ . ) */
	if (sk__isalpha((unsigned char)s[0])) {
		nl = 1;
		while (nl < n && (sk__isalnum((unsigned char)s[nl]) ||
				  s[nl] == '-' || s[nl] == '_' ||
				  s[nl] == '.'))
			nl++;
		if (nl < n && s[nl] == '=') {
			const char *v = s + nl + 1;
			size_t vl = n - nl - 1;

			if (sk__eq_nocase_z(s, nl, "redirect") ||
			    sk__eq_nocase_z(s, nl, "exp")) {
				bool red = sk__eq_nocase_z(s, nl, "redirect");

				t->kind = red ? SK_SPF_REDIRECT : SK_SPF_EXP;
				if ((red && rec->redirect != NULL) ||
				    (!red && rec->exp != NULL))
					return sk__err_at(err, SK_ESYNTAX, off,
							  "%s modifier given "
							  "twice (RFC 7208 "
							  "section 6)",
							  red ? "redirect"
							      : "exp");
				t->domain_spec = v;
				t->domain_spec_len = vl;
				st = sk__spf_domain_spec_check(v, vl, &e2);
				if (st != SK_OK)
					goto bad_spec;
				return SK_OK;
			}
			t->kind = SK_SPF_UNKNOWN_MODIFIER;
			t->name = s;
			t->name_len = nl;
			t->value = v;
			t->value_len = vl;
			st = sk__spf_macro_scan(v, vl, false, NULL, &e2);
			if (st != SK_OK) {
				/* c/r/t are harmless in an ignored value;
				 * only the syntax counts. */
				st = sk__spf_macro_scan(v, vl, true, NULL,
							&e2);
				if (st != SK_OK || memchr(v, ' ', vl) != NULL)
					goto bad_spec;
			}
			return SK_OK;
		}
	}

	if (s[0] == '+' || s[0] == '-' || s[0] == '~' || s[0] == '?') {
		t->qualifier = s[0];
		t->explicit_qualifier = true;
		i = 1;
	}
	nl = i;
	while (nl < n && sk__isalnum((unsigned char)s[nl]))
		nl++;
	rest = n - nl;

#define NAME_IS(z) sk__eq_nocase_z(s + i, nl - i, (z))
	if (NAME_IS("all")) {
		t->kind = SK_SPF_ALL;
		if (rest != 0)
			goto bad_term;
		return SK_OK;
	}
	if (NAME_IS("include") || NAME_IS("exists")) {
		t->kind = NAME_IS("include") ? SK_SPF_INCLUDE : SK_SPF_EXISTS;
		if (rest == 0 || s[nl] != ':')
			goto bad_term;
		t->domain_spec = s + nl + 1;
		t->domain_spec_len = rest - 1;
		st = sk__spf_domain_spec_check(t->domain_spec,
					       t->domain_spec_len, &e2);
		if (st != SK_OK)
			goto bad_spec;
		return SK_OK;
	}
	if (NAME_IS("a") || NAME_IS("mx") || NAME_IS("ptr")) {
		bool ptr = NAME_IS("ptr");
		const char *a = s + nl;
		size_t al = rest, c;

		t->kind = NAME_IS("a") ? SK_SPF_A
			  : ptr        ? SK_SPF_PTR
				       : SK_SPF_MX;
		if (al == 0)
			return SK_OK;
		if (a[0] != ':' && (ptr || a[0] != '/'))
			goto bad_term;
		c = ptr ? al : cidr_start(a, al);
		if (!ptr && c < al && inside_macro(a, c))
			c = al;
		if (!ptr && !parse_cidrs(a + c, al - c, 'd', t))
			goto bad_term;
		if (a[0] == ':') {
			t->domain_spec = a + 1;
			t->domain_spec_len = c - 1;
			st = sk__spf_domain_spec_check(t->domain_spec,
						       t->domain_spec_len,
						       &e2);
			if (st != SK_OK)
				goto bad_spec;
		} else if (c != 0) {
			goto bad_term;
		}
		return SK_OK;
	}
	if (NAME_IS("ip4") || NAME_IS("ip6")) {
		bool v4 = NAME_IS("ip4");
		char buf[64];
		const char *a = s + nl + 1;
		size_t al, c;

		t->kind = v4 ? SK_SPF_IP4 : SK_SPF_IP6;
		if (rest < 2 || s[nl] != ':')
			goto bad_term;
		al = rest - 1;
		c = 0;
		while (c < al && a[c] != '/')
			c++;
		if (c == 0 || c >= sizeof(buf))
			goto bad_term;
		memcpy(buf, a, c);
		buf[c] = '\0';
		if (inet_pton(v4 ? AF_INET : AF_INET6, buf, t->addr) != 1)
			goto bad_term;
		if (!parse_cidrs(a + c, al - c, v4 ? '4' : '6', t))
			goto bad_term;
		return SK_OK;
	}
#undef NAME_IS
	if (nl > i && nl < n && s[nl] == '=')
		return sk__err_at(err, SK_ESYNTAX, off,
				  "a modifier cannot have a qualifier: '%.*s'",
				  (int)(n > 64 ? 64 : n), s);
	return sk__err_at(err, SK_ESYNTAX, off, "unknown mechanism '%.*s'",
			  (int)(n > 64 ? 64 : n), s);

bad_term:
	return sk__err_at(err, SK_ESYNTAX, off, "invalid term '%.*s'",
			  (int)(n > 64 ? 64 : n), s);
bad_spec:
	base = t->domain_spec != NULL ? t->domain_spec
	       : t->value != NULL     ? t->value
				      : s;
	return sk__err_at(err, SK_ESYNTAX,
			  e2.offset == SK_NO_OFFSET
				  ? off
				  : (size_t)(base - rec->text) + e2.offset,
			  "in term '%.*s': %s", (int)(n > 64 ? 64 : n), s,
			  e2.msg);
}

SK_API sk_status
sk_spf_parse(const char *text, size_t len, struct sk_spf_record **out,
	     struct sk_err *err)
{
	struct sk_spf_record *rec;
	size_t i, nmax = 0;
	sk_status st;

	if (out == NULL || (text == NULL && len > 0))
		return sk__err(err, SK_EINVAL, "missing argument");
	*out = NULL;
	if (len > SK_SPF_MAX_RECORD)
		return sk__err(err, SK_ETOOBIG,
			       "record of %zu bytes is over the limit of %d",
			       len, SK_SPF_MAX_RECORD);
	if (!sk_spf_is_record(text, len))
		return sk__err_at(err, SK_ESYNTAX, 0,
				  "record does not start with \"v=spf1\"");
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		/* Section 3.1 (ASCII) and 12: terms are separated by SP. */
		if (c < 0x20 || c > 0x7e)
			return sk__err_at(err, SK_ESYNTAX, i,
					  "invalid byte 0x%02x in record", c);
		if (c == ' ' && (i + 1 == len || text[i + 1] != ' '))
			nmax++;
	}
	rec = sk__calloc(1, sizeof(*rec));
	if (rec == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	rec->text = sk__strndup(text, len);
	rec->terms = sk__calloc(nmax ? nmax : 1, sizeof(*rec->terms));
	if (rec->text == NULL || rec->terms == NULL) {
		sk_spf_record_free(rec);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	rec->len = len;
	i = 6;
	while (i < len) {
		size_t j;
		struct sk_spf_term *t;

		while (i < len && text[i] == ' ')
			i++;
		if (i >= len)
			break;
		j = i;
		while (j < len && text[j] != ' ')
			j++;
		t = &rec->terms[rec->nterms];
		st = parse_term(rec, t, i, j - i, err);
		if (st != SK_OK) {
			sk_spf_record_free(rec);
			return st;
		}
		/* Slices point into rec->text, not the caller's text. */
		if (t->kind == SK_SPF_REDIRECT)
			rec->redirect = t;
		else if (t->kind == SK_SPF_EXP)
			rec->exp = t;
		rec->nterms++;
		i = j;
	}
	*out = rec;
	return SK_OK;
}
