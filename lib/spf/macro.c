/*
 * lib/spf/macro.c - SPF macros, RFC 7208 section 7 (7.1 syntax, 7.2
 * letters allowed where, 7.3 letters, transformers and delimiters, URL
 * escaping of upper-case letters), section 4.8 (truncation of expanded
 * domain names) and section 4.3 (what counts as a usable domain name);
 * plus the client-address helpers the macros and mechanisms share.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "spf_internal.h"

/* Largest number of parts a value can split into (every byte a
 * delimiter); values are bounded by SK_SPF_MAX_EXPLANATION-ish inputs, but
 * a sender can be long: parts beyond this are refused. */
#define MAX_PARTS 512

static bool
is_letter(char c)
{
	return strchr("slodiphcrtv", c) != NULL && c != '\0';
}

static bool
is_delim(char c)
{
	return c != '\0' && strchr(".-+,/_=", c) != NULL;
}

/* macro-literal = %x21-24 / %x26-7E (section 7.1). */
static bool
is_literal(unsigned char c)
{
	return c >= 0x21 && c <= 0x7e && c != '%';
}

/*
 * One macro-expand token at spec[i] == '%'.  Fills letter (0 for %%, %_
 * and %-), digits, reverse, delims slice.  Returns the token length or 0
 * on a syntax error, with *bad set to the offending offset.
 */
struct tok {
	char letter; /* lower-case letter, or the char of %% %_ %- */
	bool upper;
	unsigned long digits; /* 0 = none given */
	bool reverse;
	const char *delims;
	size_t ndelims;
};

static size_t
scan_token(const char *spec, size_t len, size_t i, bool exp, struct tok *t,
	   size_t *bad, const char **why)
{
	size_t j;

	memset(t, 0, sizeof(*t));
	if (i + 1 >= len) {
		*bad = i;
		*why = "'%' at the end of the macro-string";
		return 0;
	}
	if (spec[i + 1] == '%' || spec[i + 1] == '_' || spec[i + 1] == '-') {
		t->letter = spec[i + 1];
		return 2;
	}
	if (spec[i + 1] != '{') {
		*bad = i + 1;
		*why = "'%' must be followed by '{', '%', '_' or '-'";
		return 0;
	}
	j = i + 2;
	if (j >= len || !is_letter(sk__lower(spec[j]))) {
		*bad = j;
		*why = "invalid macro letter";
		return 0;
	}
	t->letter = sk__lower(spec[j]);
	t->upper = spec[j] >= 'A' && spec[j] <= 'Z';
	if (!exp && (t->letter == 'c' || t->letter == 'r' ||
		     t->letter == 't')) {
		/* Section 7.2: c, r and t only in "exp" text. */
		*bad = j;
		*why = "macro letters c, r and t are allowed only in "
		       "explanation text";
		return 0;
	}
	j++;
	if (j < len && sk__isdigit((unsigned char)spec[j])) {
		size_t d0 = j;

		while (j < len && sk__isdigit((unsigned char)spec[j]))
			j++;
		/* Saturate: more than 999 parts never matters. */
		if (j - d0 > 3 ||
		    !sk__parse_uint(spec + d0, j - d0, 999, &t->digits))
			t->digits = 999;
		if (t->digits == 0) {
			/* Section 7.3: the DIGIT value MUST be nonzero. */
			*bad = d0;
			*why = "macro transformer digit must be nonzero";
			return 0;
		}
	}
	if (j < len && (spec[j] == 'r' || spec[j] == 'R')) {
		t->reverse = true;
		j++;
	}
	t->delims = spec + j;
	while (j < len && is_delim(spec[j]))
		j++;
	t->ndelims = (size_t)(spec + j - t->delims);
	if (j >= len || spec[j] != '}') {
		*bad = j < len ? j : len;
		*why = "macro expansion not closed by '}'";
		return 0;
	}
	return j + 1 - i;
}

sk_status
sk__spf_macro_scan(const char *spec, size_t len, bool exp,
		   struct sk__spf_macro_info *info, struct sk_err *err)
{
	struct sk__spf_macro_info inf = { 0 };
	size_t i = 0;

	while (i < len) {
		unsigned char c = (unsigned char)spec[i];

		if (c == '%') {
			struct tok t;
			size_t bad = i, n;
			const char *why = "";

			n = scan_token(spec, len, i, exp, &t, &bad, &why);
			if (n == 0)
				return sk__err_at(err, SK_ESYNTAX, bad,
						  "invalid macro: %s", why);
			if (spec[i + 1] == '{') {
				inf.has_macro = true;
				inf.letters |= SK__SPF_LETTER(t.letter);
			}
			inf.ends_with_macro = true;
			i += n;
			continue;
		}
		if (!is_literal(c) && !(exp && c == ' '))
			return sk__err_at(err, SK_ESYNTAX, i,
					  "invalid character 0x%02x in "
					  "macro-string", c);
		inf.ends_with_macro = false;
		i++;
	}
	if (info != NULL)
		*info = inf;
	return SK_OK;
}

bool
sk__spf_has_macro(const char *spec, size_t len)
{
	struct sk__spf_macro_info inf;

	if (sk__spf_macro_scan(spec, len, true, &inf, NULL) != SK_OK)
		return memchr(spec, '%', len) != NULL;
	return inf.has_macro;
}

/* toplabel (section 12): alphanumerics and '-', neither first nor last
 * '-', and not all digits unless it has a '-'. */
static bool
is_toplabel(const char *s, size_t n)
{
	bool alpha = false, hyphen = false;

	if (n == 0 || s[0] == '-' || s[n - 1] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		if (s[i] == '-')
			hyphen = true;
		else if (sk__isalpha((unsigned char)s[i]))
			alpha = true;
		else if (!sk__isdigit((unsigned char)s[i]))
			return false;
	}
	return alpha || hyphen;
}

sk_status
sk__spf_domain_spec_check(const char *spec, size_t len, struct sk_err *err)
{
	struct sk__spf_macro_info inf;
	sk_status st;
	size_t end, dot;

	if (len == 0)
		return sk__err_at(err, SK_ESYNTAX, 0, "empty domain-spec");
	st = sk__spf_macro_scan(spec, len, false, &inf, err);
	if (st != SK_OK)
		return st;
	if (inf.ends_with_macro)
		return SK_OK;
	/* domain-end = "." toplabel ["."] */
	end = len;
	if (spec[end - 1] == '.')
		end--;
	dot = end;
	while (dot > 0 && spec[dot - 1] != '.')
		dot--;
	if (dot == 0 || !is_toplabel(spec + dot, end - dot) ||
	    memchr(spec + dot, '%', end - dot) != NULL)
		return sk__err_at(err, SK_ESYNTAX, dot,
				  "domain-spec must end in a macro or in a "
				  "valid top-level label");
	return SK_OK;
}

void
sk__spf_truncate_domain(char *buf, size_t *len)
{
	size_t n = *len, start = 0;

	while (n - start > SK_SPF_MAX_DOMAIN) {
		const char *dot = memchr(buf + start, '.', n - start);

		if (dot == NULL) {
			start = n - SK_SPF_MAX_DOMAIN;
			break;
		}
		start = (size_t)(dot - buf) + 1;
	}
	if (start > 0)
		memmove(buf, buf + start, n - start);
	*len = n - start;
	buf[*len] = '\0';
}

bool
sk__spf_valid_domain(const char *name, size_t len)
{
	size_t labels = 0, i = 0;

	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > SK_SPF_MAX_DOMAIN)
		return false;
	while (i <= len) {
		size_t j = i;

		while (j < len && name[j] != '.')
			j++;
		if (j == i || j - i > SK_DNS_MAX_LABEL)
			return false;
		labels++;
		i = j + 1;
	}
	return labels >= 2;
}

bool
sk__spf_ip_parse(const char *s, struct sk__spf_ip *out)
{
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
					    0xff, 0xff };
	uint8_t b[16];

	memset(out, 0, sizeof(*out));
	if (s == NULL)
		return false;
	if (inet_pton(AF_INET, s, b) == 1) {
		out->family = 4;
		memcpy(out->b, b, 4);
		return true;
	}
	if (inet_pton(AF_INET6, s, b) == 1) {
		if (memcmp(b, mapped, sizeof(mapped)) == 0) {
			out->family = 4;
			memcpy(out->b, b + 12, 4);
		} else {
			out->family = 6;
			memcpy(out->b, b, 16);
		}
		return true;
	}
	return false;
}

void
sk__spf_ip_str(const struct sk__spf_ip *ip, char *out, size_t outsz)
{
	if (inet_ntop(ip->family == 4 ? AF_INET : AF_INET6, ip->b, out,
		      (socklen_t)outsz) == NULL && outsz > 0)
		out[0] = '\0';
}

void
sk__spf_ip_dotted(const struct sk__spf_ip *ip, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (ip->family == 4) {
		sk__spf_ip_str(ip, out, outsz);
		return;
	}
	/* Section 7.3: "i" for IPv6 is dot-separated nibbles. */
	for (size_t i = 0; i < 16 && o + 4 <= outsz; i++) {
		out[o++] = hex[ip->b[i] >> 4];
		out[o++] = '.';
		out[o++] = hex[ip->b[i] & 15];
		out[o++] = '.';
	}
	if (o > 0)
		o--;
	if (outsz > 0)
		out[o < outsz ? o : outsz - 1] = '\0';
}

bool
sk__spf_prefix_eq(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
	unsigned full = prefix / 8, rest = prefix % 8;

	if (memcmp(a, b, full) != 0)
		return false;
	if (rest == 0)
		return true;
	uint8_t mask = (uint8_t)(0xff << (8 - rest));

	return (a[full] & mask) == (b[full] & mask);
}

/* ---------------------------------------------------------------- expand */

struct out {
	char *p;
	size_t cap; /* bytes usable, NUL excluded */
	size_t len;
	bool over;
};

static void
put(struct out *o, const char *s, size_t n)
{
	if (o->over || n > o->cap - o->len) {
		o->over = true;
		return;
	}
	memcpy(o->p + o->len, s, n);
	o->len += n;
}

/* RFC 3986 unreserved characters stay, others become %XX. */
static void
put_escaped(struct out *o, const char *s, size_t n)
{
	static const char hex[] = "0123456789ABCDEF";

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (sk__isalnum(c) || c == '-' || c == '.' || c == '_' ||
		    c == '~') {
			put(o, s + i, 1);
		} else {
			char e[3] = { '%', hex[c >> 4], hex[c & 15] };

			put(o, e, 3);
		}
	}
}

/* The raw value of a letter (section 7.3). */
static sk_status
letter_value(char letter, const struct sk_spf_macro_vars *v, char *tmp,
	     size_t tmpsz, const char **val, size_t *vlen, struct sk_err *err)
{
	const char *s = v->sender != NULL ? v->sender : "";
	const char *at = strrchr(s, '@');
	struct sk__spf_ip ip;

	switch (letter) {
	case 's':
		*val = s;
		*vlen = strlen(s);
		return SK_OK;
	case 'l':
		if (at == NULL || at == s) {
			*val = "postmaster";
			*vlen = 10;
		} else {
			*val = s;
			*vlen = (size_t)(at - s);
		}
		return SK_OK;
	case 'o':
		*val = at != NULL ? at + 1 : s;
		*vlen = strlen(*val);
		return SK_OK;
	case 'd':
		*val = v->domain != NULL ? v->domain : "";
		*vlen = strlen(*val);
		return SK_OK;
	case 'h':
		*val = v->helo != NULL ? v->helo : "";
		*vlen = strlen(*val);
		return SK_OK;
	case 'p':
		*val = v->validated != NULL ? v->validated : "unknown";
		*vlen = strlen(*val);
		return SK_OK;
	case 'r':
		*val = v->receiver != NULL ? v->receiver : "unknown";
		*vlen = strlen(*val);
		return SK_OK;
	case 't':
		snprintf(tmp, tmpsz, "%lld", (long long)v->now);
		*val = tmp;
		*vlen = strlen(tmp);
		return SK_OK;
	default:
		break;
	}
	/* i, c, v need the address. */
	if (!sk__spf_ip_parse(v->ip, &ip))
		return sk__err(err, SK_EINVAL, "invalid client IP address");
	if (letter == 'i')
		sk__spf_ip_dotted(&ip, tmp, tmpsz);
	else if (letter == 'c')
		sk__spf_ip_str(&ip, tmp, tmpsz);
	else
		snprintf(tmp, tmpsz, "%s", ip.family == 4 ? "in-addr" : "ip6");
	*val = tmp;
	*vlen = strlen(tmp);
	return SK_OK;
}

/* Split, reverse, keep the right-most parts, join with "." (7.3). */
static sk_status
transform(struct out *o, const struct tok *t, const char *val, size_t vlen,
	  struct sk_err *err)
{
	size_t starts[MAX_PARTS], lens[MAX_PARTS];
	size_t nparts = 0, i = 0, first, n;
	const char *dl = t->ndelims ? t->delims : ".";
	size_t ndl = t->ndelims ? t->ndelims : 1;
	struct out tmp;
	char buf[SK_SPF_MAX_EXPLANATION + 1];

	if (t->digits == 0 && !t->reverse && t->ndelims == 0) {
		if (t->upper)
			put_escaped(o, val, vlen);
		else
			put(o, val, vlen);
		return SK_OK;
	}
	for (;;) {
		size_t j = i;

		while (j < vlen && memchr(dl, val[j], ndl) == NULL)
			j++;
		if (nparts == MAX_PARTS)
			return sk__err(err, SK_ETOOBIG,
				       "macro value has too many parts");
		starts[nparts] = i;
		lens[nparts] = j - i;
		nparts++;
		if (j >= vlen)
			break;
		i = j + 1;
	}
	if (t->reverse) {
		for (size_t a = 0, b = nparts - 1; a < b; a++, b--) {
			size_t ts = starts[a], tl = lens[a];

			starts[a] = starts[b];
			lens[a] = lens[b];
			starts[b] = ts;
			lens[b] = tl;
		}
	}
	n = nparts;
	if (t->digits != 0 && t->digits < n)
		n = t->digits;
	first = nparts - n;
	tmp = (struct out){ buf, sizeof(buf) - 1, 0, false };
	for (size_t k = first; k < nparts; k++) {
		if (k > first)
			put(&tmp, ".", 1);
		put(&tmp, val + starts[k], lens[k]);
	}
	if (tmp.over) {
		o->over = true;
		return SK_OK;
	}
	if (t->upper)
		put_escaped(o, buf, tmp.len);
	else
		put(o, buf, tmp.len);
	return SK_OK;
}

SK_API sk_status
sk_spf_macro_expand(const char *spec, size_t len,
		    const struct sk_spf_macro_vars *vars, bool exp, char *out,
		    size_t outsz, size_t *outlen, struct sk_err *err)
{
	struct out o;
	sk_status st;
	size_t i = 0;

	if ((spec == NULL && len > 0) || vars == NULL || out == NULL ||
	    outsz == 0)
		return sk__err(err, SK_EINVAL, "missing argument");
	st = sk__spf_macro_scan(spec, len, exp, NULL, err);
	if (st != SK_OK)
		return st;
	o = (struct out){ out, outsz - 1, 0, false };
	while (i < len) {
		struct tok t;
		size_t bad, n;
		const char *why, *val = "";
		size_t vlen = 0;
		char tmp[80];

		if (spec[i] != '%') {
			put(&o, spec + i, 1);
			i++;
			continue;
		}
		n = scan_token(spec, len, i, exp, &t, &bad, &why);
		if (n == 0)
			return sk__err_at(err, SK_EINTERNAL, bad, "%s", why);
		i += n;
		if (t.letter == '%') {
			put(&o, "%", 1);
			continue;
		}
		if (t.letter == '_') {
			put(&o, " ", 1);
			continue;
		}
		if (t.letter == '-') {
			put(&o, "%20", 3);
			continue;
		}
		st = letter_value(t.letter, vars, tmp, sizeof(tmp), &val,
				  &vlen, err);
		if (st != SK_OK)
			return st;
		st = transform(&o, &t, val, vlen, err);
		if (st != SK_OK)
			return st;
	}
	if (o.over)
		return sk__err(err, SK_ETOOBIG,
			       "macro expansion longer than %zu bytes",
			       outsz - 1);
	out[o.len] = '\0';
	if (outlen != NULL)
		*outlen = o.len;
	return SK_OK;
}
