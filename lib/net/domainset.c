/*
 * lib/net/domainset.c - sets of host-name patterns with the three
 * wildcard meanings of include/senderkit/net.h: exact names, "*.x" (every
 * subdomain of x, the provider's meaning) and ".x" (x and every
 * subdomain, squid.conf "acl dstdomain").  Host names per RFC 1123
 * section 2.1 (plus '_', seen in service names); comparison ignores ASCII
 * case (RFC 4343 section 3) and a final dot.
 */
#include <string.h>

#include "net_internal.h"

/* Longest host name (RFC 1035 section 2.3.4: 255 octets on the wire,
 * 253 characters in text without the final dot). */
#define SK_HOST_MAX 253

struct dpat {
	char *name;            /* lower case, no final dot; "" for "*" */
	size_t len;
	enum sk_domain_kind kind;
};

struct sk_domainset {
	struct dpat *v;
	size_t n;
	size_t cap;
};

size_t
sk__host_check(const char *s, size_t len)
{
	size_t i, lab = 0;

	if (len == 0)
		return 0;
	if (len > SK_HOST_MAX)
		return SK_HOST_MAX;
	for (i = 0; i < len; i++) {
		char c = s[i];

		if (c == '.') {
			if (lab == 0)
				return i;
			lab = 0;
			continue;
		}
		if (!sk__isalnum(c) && c != '-' && c != '_')
			return i;
		if (++lab > 63)
			return i;
	}
	return lab > 0 ? SIZE_MAX : len;
}

bool
sk__host_valid(const char *s, size_t len)
{
	return sk__host_check(s, len) == SIZE_MAX;
}

SK_API sk_status
sk_domainset_new(struct sk_domainset **out, struct sk_err *err)
{
	if (out == NULL)
		return sk__err(err, SK_EINVAL, "no output");
	*out = sk__calloc(1, sizeof(**out));
	if (*out == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	return SK_OK;
}

SK_API void
sk_domainset_free(struct sk_domainset *s)
{
	size_t i;

	if (s == NULL)
		return;
	for (i = 0; i < s->n; i++)
		sk__free(s->v[i].name);
	sk__free(s->v);
	sk__free(s);
}

SK_API sk_status
sk_domainset_add(struct sk_domainset *s, enum sk_domain_kind kind,
		 const char *name, size_t len, struct sk_err *err)
{
	struct dpat *p;
	size_t i, bad;
	char *copy;

	if (s == NULL || (name == NULL && len > 0) ||
	    ((int)kind != SK_DOMAIN_EXACT && kind != SK_DOMAIN_SUBS &&
	     kind != SK_DOMAIN_TREE))
		return sk__err(err, SK_EINVAL, "no set or bad pattern kind");
	/* Only "" is the root: "." or "x.." is no host name. */
	if (len > 0 && name[len - 1] == '.') {
		if (--len == 0 || name[len - 1] == '.')
			return sk__err_at(err, SK_ESYNTAX, len, "'%.*s' is "
					  "not a host name", (int)(len < 200 ?
								   len + 1 :
								   200),
					  name);
	}
	if (len == 0 && kind == SK_DOMAIN_EXACT)
		return sk__err(err, SK_EINVAL, "empty host name");
	if (len > 0) {
		bad = sk__host_check(name, len);
		if (bad != SIZE_MAX)
			return sk__err_at(err, SK_ESYNTAX, bad, "'%.*s' is "
					  "not a host name", (int)(len < 200 ?
								   len : 200),
					  name);
	}
	if (s->n == s->cap) {
		struct dpat *nv = sk__grow(s->v, &s->cap, sizeof(*nv), 16);

		if (nv == NULL)
			return sk__err(err, SK_ENOMEM, "out of memory");
		s->v = nv;
	}
	copy = sk__strndup(len > 0 ? name : "", len);
	if (copy == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	for (i = 0; i < len; i++)
		copy[i] = sk__lower(copy[i]);
	p = &s->v[s->n++];
	p->name = copy;
	p->len = len;
	p->kind = kind;
	return SK_OK;
}

SK_API sk_status
sk_domainset_add_pattern(struct sk_domainset *s, const char *text,
			 size_t len, struct sk_err *err)
{
	enum sk_domain_kind kind = SK_DOMAIN_EXACT;
	size_t off = 0;
	sk_status st;

	if (text == NULL && len > 0)
		return sk__err(err, SK_EINVAL, "no pattern");
	if (len == 1 && text[0] == '*') {
		kind = SK_DOMAIN_TREE;
		off = 1;
	} else if (len >= 2 && text[0] == '*' && text[1] == '.') {
		kind = SK_DOMAIN_SUBS;
		off = 2;
	} else if (len >= 1 && text[0] == '.') {
		kind = SK_DOMAIN_TREE;
		off = 1;
	}
	if (off > 0 && off == len && !(len == 1 && text[0] == '*'))
		return sk__err_at(err, SK_ESYNTAX, off, "'%.*s' has no name "
				  "after the wildcard", (int)len, text);
	st = sk_domainset_add(s, kind, text + off, len - off, err);
	if (st == SK_ESYNTAX && err != NULL && err->offset != SK_NO_OFFSET)
		err->offset += off;
	return st;
}

SK_API size_t
sk_domainset_count(const struct sk_domainset *s)
{
	return s == NULL ? 0 : s->n;
}

/* a[0..la) is a proper subdomain of b[0..lb) (both lower case); every
 * non-empty name is below the root "". */
static bool
below(const char *a, size_t la, const char *b, size_t lb)
{
	if (lb == 0)
		return la > 0;
	return la > lb + 1 && a[la - lb - 1] == '.' &&
	       memcmp(a + la - lb, b, lb) == 0;
}

static bool
same(const char *a, size_t la, const char *b, size_t lb)
{
	return la == lb && memcmp(a, b, la) == 0;
}

/* Lower-case copy of a host name into buf (SK_HOST_MAX + 1 bytes), final
 * dot dropped; false when it is not a host name ("" is allowed when
 * `root` is). */
static bool
norm_name(const char *s, size_t len, char *buf, size_t *out, bool root)
{
	size_t i;

	if (s == NULL && len > 0)
		return false;
	if (len == 0) {
		*out = 0;
		return root;
	}
	if (s[len - 1] == '.')
		len--;
	if (!sk__host_valid(s, len))
		return false;
	for (i = 0; i < len; i++)
		buf[i] = sk__lower(s[i]);
	*out = len;
	return true;
}

static bool
pat_matches(const struct dpat *p, const char *h, size_t lh)
{
	switch (p->kind) {
	case SK_DOMAIN_EXACT:
		return same(h, lh, p->name, p->len);
	case SK_DOMAIN_SUBS:
		return below(h, lh, p->name, p->len);
	case SK_DOMAIN_TREE:
		return same(h, lh, p->name, p->len) ||
		       below(h, lh, p->name, p->len);
	}
	return false;
}

static bool
matches_norm(const struct sk_domainset *s, const char *h, size_t lh)
{
	size_t i;

	for (i = 0; i < s->n; i++)
		if (pat_matches(&s->v[i], h, lh))
			return true;
	return false;
}

SK_API bool
sk_domainset_matches(const struct sk_domainset *s, const char *host,
		     size_t len)
{
	char h[SK_HOST_MAX + 1];
	size_t lh;

	if (s == NULL || !norm_name(host, len, h, &lh, false))
		return false;
	return matches_norm(s, h, lh);
}

/* Every proper subdomain of n is matched: only a wildcard (SUBS or TREE)
 * at n or above does that, since a fresh label under n escapes every
 * other pattern. */
static bool
covers_subs(const struct sk_domainset *s, const char *n, size_t ln)
{
	size_t i;

	for (i = 0; i < s->n; i++) {
		const struct dpat *p = &s->v[i];

		if (p->kind == SK_DOMAIN_EXACT)
			continue;
		if (same(n, ln, p->name, p->len) ||
		    below(n, ln, p->name, p->len))
			return true;
	}
	return false;
}

SK_API bool
sk_domainset_covers(const struct sk_domainset *s, enum sk_domain_kind kind,
		    const char *name, size_t len)
{
	char n[SK_HOST_MAX + 1];
	size_t ln;

	if (s == NULL || !norm_name(name, len, n, &ln,
				    kind != SK_DOMAIN_EXACT))
		return false;
	switch (kind) {
	case SK_DOMAIN_EXACT:
		return matches_norm(s, n, ln);
	case SK_DOMAIN_SUBS:
		return covers_subs(s, n, ln);
	case SK_DOMAIN_TREE:
		/* The root itself is no host: "*" covers it alone. */
		return covers_subs(s, n, ln) &&
		       (ln == 0 || matches_norm(s, n, ln));
	}
	return false;
}

bool
sk__domainset_any_below(const struct sk_domainset *s, const char *name,
			size_t len)
{
	size_t i;

	if (s == NULL)
		return false;
	for (i = 0; i < s->n; i++)
		if (below(s->v[i].name, s->v[i].len, name, len))
			return true;
	return false;
}
