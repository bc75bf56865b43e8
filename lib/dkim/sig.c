/*
 * lib/dkim/sig.c - the DKIM-Signature header field, RFC 6376 section 3.5
 * (tags v a b bh c d h i l q s t x z), with the checks of section 6.1.1
 * that need no key and no clock, and the "b= deleted" copy of the field
 * that the header hash covers (section 3.7).  RFC 8301 (rsa-sha1) and
 * RFC 8463 (ed25519-sha256) algorithm names.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "sigcanon.h"

static void SK_PRINTF(3, 4)
set_reason(struct sk__dkim_sig *sig, const char *reason, const char *fmt,
	   ...)
{
	va_list ap;

	if (sig->reason != NULL)
		return;
	sig->reason = reason;
	va_start(ap, fmt);
	vsnprintf(sig->detail, sizeof(sig->detail), fmt, ap);
	va_end(ap);
}

void
sk__dkim_sig_free(struct sk__dkim_sig *sig)
{
	if (sig == NULL)
		return;
	sk__free(sig->v);
	sk__free(sig->a);
	sk__free(sig->d);
	sk__free(sig->s);
	sk__free(sig->i);
	sk__free(sig->q);
	sk__free(sig->z);
	sk__free(sig->h);
	sk__free(sig->b64);
	sk__free(sig->canon_str);
	sk__free(sig->b);
	sk__free(sig->bh);
	sk__free(sig->names);
	sk__free(sig->unsigned_field);
	sk__free(sig);
}

/* A stripped copy of a tag's value, or NULL (absent or ENOMEM: *nomem). */
static char *
tag_copy(const struct sk__dkim_tag *tags, size_t n, const char *name,
	 bool *nomem)
{
	const struct sk__dkim_tag *t = sk__dkim_tag_find(tags, n, name);
	char *s;

	if (t == NULL)
		return NULL;
	s = sk__dkim_strip_fws(t->value, t->value_len);
	if (s == NULL)
		*nomem = true;
	return s;
}

static bool
parse_num(const char *s, long long *out)
{
	unsigned long v;

	if (s == NULL) {
		*out = -1;
		return true;
	}
	/* 3.5: at most 12 digits for t= and x=, 76 bits for l=; we take
	 * what fits a long long. */
	if (!sk__parse_uint(s, strlen(s), (unsigned long)LLONG_MAX, &v))
		return false;
	*out = (long long)v;
	return true;
}

static bool
parse_canon(struct sk__dkim_sig *sig, const char *c)
{
	const char *slash;
	size_t hl;

	sig->hcanon = sig->bcanon = SK_DKIM_SIMPLE;
	if (c == NULL)
		return true;
	slash = strchr(c, '/');
	hl = slash != NULL ? (size_t)(slash - c) : strlen(c);
	if (sk__eq_nocase_z(c, hl, "relaxed"))
		sig->hcanon = SK_DKIM_RELAXED;
	else if (!sk__eq_nocase_z(c, hl, "simple"))
		return false;
	if (slash == NULL)
		return true;
	if (sk__eq_nocase_z(slash + 1, strlen(slash + 1), "relaxed"))
		sig->bcanon = SK_DKIM_RELAXED;
	else if (!sk__eq_nocase_z(slash + 1, strlen(slash + 1), "simple"))
		return false;
	return true;
}

/* Domain or selector: labels of letters, digits, '-', '_' and dots. */
bool
sk__dkim_name_ok(const char *s)
{
	size_t i, lab = 0;

	if (*s == '\0' || strlen(s) > 253)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (c == '.') {
			if (lab == 0)
				return false;
			lab = 0;
		} else if (sk__isalnum(c) || c == '-' || c == '_') {
			if (++lab > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

bool
sk__dkim_identity_in_domain(const char *i, const char *d)
{
	const char *at = strrchr(i, '@');
	size_t il, dl = strlen(d);

	if (at == NULL)
		return false;
	at++;
	il = strlen(at);
	if (il == dl)
		return sk__eq_nocase(at, il, d, dl);
	/* 3.5 i=: "the same as, or a subdomain of, the value of d=" */
	return il > dl && at[il - dl - 1] == '.' &&
	       sk__eq_nocase(at + il - dl, dl, d, dl);
}

/* Split h= (FWS already removed) into names; 3.5: From must be there. */
static sk_status
split_h(struct sk__dkim_sig *sig)
{
	const char *p = sig->h;
	size_t n = 1, k = 0, i;
	bool from = false;

	for (i = 0; p[i] != '\0'; i++)
		if (p[i] == ':')
			n++;
	sig->names = sk__calloc(n, sizeof(*sig->names));
	if (sig->names == NULL)
		return SK_ENOMEM;
	while (k < n) {
		size_t len = strcspn(p, ":");

		if (len == 0) {
			set_reason(sig, "signature-syntax",
				   "empty header name in h=");
			break;
		}
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)p[i];

			/* RFC 5322 ftext */
			if (c < 33 || c > 126) {
				set_reason(sig, "signature-syntax",
					   "bad header name in h=");
				break;
			}
		}
		sig->names[k].p = p;
		sig->names[k].len = len;
		if (sk__eq_nocase_z(p, len, "from"))
			from = true;
		k++;
		p += len;
		if (*p == ':')
			p++;
	}
	sig->nnames = k;
	if (!from)
		set_reason(sig, "from-not-signed",
			   "h= does not include From (RFC 6376 section 5.4)");
	return SK_OK;
}

/* The field without b='s value (3.7): from just after "b=" to the next
 * ';' or the end, surrounding FWS included; no final CRLF. */
static sk_status
strip_b(struct sk__dkim_sig *sig, const char *field, size_t len,
	size_t vstart, const struct sk__dkim_tag *bt)
{
	size_t from, to, end = len;

	if (end >= 2 && field[end - 2] == '\r' && field[end - 1] == '\n')
		end -= 2;
	from = vstart + bt->offset + bt->name_len;
	while (from < end && field[from] != '=')
		from++;
	from++;
	to = vstart + bt->value_offset + bt->value_len;
	while (to < end && field[to] != ';')
		to++;
	if (from > to)
		from = to;
	sig->unsigned_len = end - (to - from);
	sig->unsigned_field = sk__malloc(sig->unsigned_len + 1);
	if (sig->unsigned_field == NULL)
		return SK_ENOMEM;
	memcpy(sig->unsigned_field, field, from);
	memcpy(sig->unsigned_field + from, field + to, end - to);
	sig->unsigned_field[sig->unsigned_len] = '\0';
	return SK_OK;
}

static const char *const required[] = { "v", "a", "b", "bh", "d", "h",
					"s" };

static sk_status
check(struct sk__dkim_sig *sig, const struct sk__dkim_tag *tags, size_t n)
{
	struct sk_err e;
	size_t k;

	for (k = 0; k < sizeof(required) / sizeof(required[0]); k++)
		if (sk__dkim_tag_find(tags, n, required[k]) == NULL)
			set_reason(sig, "tag-missing",
				   "required tag %s= missing (RFC 6376 "
				   "section 3.5)", required[k]);
	if (sig->v != NULL && strcmp(sig->v, "1") != 0)
		set_reason(sig, "version-unsupported",
			   "v=%s is not 1 (RFC 6376 section 6.1.1)", sig->v);
	if (sig->a != NULL) {
		size_t al = strlen(sig->a);

		sig->alg_known = true;
		if (sk__eq_nocase_z(sig->a, al, "rsa-sha256"))
			sig->alg = SK_DKIM_RSA_SHA256;
		else if (sk__eq_nocase_z(sig->a, al, "ed25519-sha256"))
			sig->alg = SK_DKIM_ED25519_SHA256;
		else if (sk__eq_nocase_z(sig->a, al, "rsa-sha1"))
			sig->alg = SK_DKIM_RSA_SHA1;
		else {
			sig->alg_known = false;
			set_reason(sig, "algorithm-unsupported",
				   "unknown algorithm a=%s", sig->a);
		}
	}
	if (!parse_canon(sig, sig->canon_str))
		set_reason(sig, "signature-syntax", "bad c=%s",
			   sig->canon_str);
	if (sig->q != NULL) {
		const char *p = sig->q;
		bool dns = false;

		while (*p != '\0') {
			size_t ql = strcspn(p, ":");

			if (sk__eq_nocase_z(p, ql, "dns/txt"))
				dns = true;
			p += ql;
			if (*p == ':')
				p++;
		}
		if (!dns)
			set_reason(sig, "signature-syntax",
				   "no supported query method in q=%s",
				   sig->q);
	}
	if (sig->d != NULL && !sk__dkim_name_ok(sig->d))
		set_reason(sig, "signature-syntax", "bad domain d=%s", sig->d);
	if (sig->s != NULL && !sk__dkim_name_ok(sig->s))
		set_reason(sig, "signature-syntax", "bad selector s=%s",
			   sig->s);
	if (sig->b64 != NULL) {
		if (sk__base64_decode(sig->b64, strlen(sig->b64), &sig->b,
				      &sig->blen, &e) == SK_ENOMEM)
			return SK_ENOMEM;
		if (sig->blen == 0)
			set_reason(sig, "signature-syntax",
				   "b= is empty or not base64");
	}
	{
		const struct sk__dkim_tag *t = sk__dkim_tag_find(tags, n, "bh");

		if (t != NULL) {
			if (sk__base64_decode(t->value, t->value_len, &sig->bh,
					      &sig->bhlen, &e) == SK_ENOMEM)
				return SK_ENOMEM;
			if (sig->bhlen == 0)
				set_reason(sig, "signature-syntax",
					   "bh= is empty or not base64");
		}
	}
	if (sig->h != NULL && split_h(sig) != SK_OK)
		return SK_ENOMEM;
	if (sig->i != NULL && sig->d != NULL &&
	    !sk__dkim_identity_in_domain(sig->i, sig->d))
		set_reason(sig, "identity-outside-domain",
			   "i=%s is not within d= (RFC 6376 section 3.5)",
			   sig->i);
	if (sig->x >= 0 && sig->t >= 0 && sig->x < sig->t)
		set_reason(sig, "signature-syntax",
			   "x= is before t= (RFC 6376 section 3.5)");
	return SK_OK;
}

sk_status
sk__dkim_sig_parse(const char *field, size_t len, struct sk__dkim_sig **out)
{
	struct sk__dkim_tag tags[SK__DKIM_MAX_TAGS];
	struct sk__dkim_sig *sig;
	struct sk_err e;
	size_t n = 0, colon, vlen;
	bool nomem = false;
	char *tmp = NULL;

	*out = NULL;
	sig = sk__calloc(1, sizeof(*sig));
	if (sig == NULL)
		return SK_ENOMEM;
	sig->t = sig->x = sig->l = -1;
	for (colon = 0; colon < len && field[colon] != ':'; colon++)
		;
	vlen = len > colon ? len - colon - 1 : 0;
	if (vlen >= 2 && field[len - 2] == '\r' && field[len - 1] == '\n')
		vlen -= 2;
	if (colon >= len) {
		set_reason(sig, "signature-syntax", "no ':' in the field");
		goto done;
	}
	if (vlen > SK_DKIM_MAX_TAGLIST) {
		set_reason(sig, "signature-syntax", "signature too long");
		goto done;
	}
	sk_err_clear(&e);
	if (sk__dkim_tags_parse(field + colon + 1, vlen, tags,
				SK__DKIM_MAX_TAGS, &n, &e) != SK_OK) {
		if (e.code == SK_ENOMEM)
			goto nomem;
		set_reason(sig, "signature-syntax", "%s", e.msg);
		goto done;
	}
	sig->v = tag_copy(tags, n, "v", &nomem);
	sig->a = tag_copy(tags, n, "a", &nomem);
	sig->d = tag_copy(tags, n, "d", &nomem);
	sig->s = tag_copy(tags, n, "s", &nomem);
	sig->i = tag_copy(tags, n, "i", &nomem);
	sig->q = tag_copy(tags, n, "q", &nomem);
	sig->z = tag_copy(tags, n, "z", &nomem);
	sig->h = tag_copy(tags, n, "h", &nomem);
	sig->b64 = tag_copy(tags, n, "b", &nomem);
	tmp = tag_copy(tags, n, "c", &nomem);
	if (nomem)
		goto nomem;
	sig->canon_str = tmp;
	tmp = tag_copy(tags, n, "t", &nomem);
	if (!nomem && !parse_num(tmp, &sig->t))
		set_reason(sig, "signature-syntax", "bad t=%s", tmp);
	sk__free(tmp);
	tmp = tag_copy(tags, n, "x", &nomem);
	if (!nomem && !parse_num(tmp, &sig->x))
		set_reason(sig, "signature-syntax", "bad x=%s", tmp);
	sk__free(tmp);
	tmp = tag_copy(tags, n, "l", &nomem);
	if (!nomem && !parse_num(tmp, &sig->l))
		set_reason(sig, "signature-syntax", "bad l=%s", tmp);
	sk__free(tmp);
	if (nomem)
		goto nomem;
	if (check(sig, tags, n) != SK_OK)
		goto nomem;
	/* "relaxed/simple": normalised for results. */
	tmp = sk__malloc(16);
	if (tmp == NULL)
		goto nomem;
	snprintf(tmp, 16, "%s/%s", sig->hcanon ? "relaxed" : "simple",
		 sig->bcanon ? "relaxed" : "simple");
	sk__free(sig->canon_str);
	sig->canon_str = tmp;
	{
		const struct sk__dkim_tag *bt = sk__dkim_tag_find(tags, n, "b");

		if (bt != NULL &&
		    strip_b(sig, field, len, colon + 1, bt) != SK_OK)
			goto nomem;
	}
done:
	*out = sig;
	return SK_OK;
nomem:
	sk__dkim_sig_free(sig);
	return SK_ENOMEM;
}
