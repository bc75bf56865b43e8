/*
 * lib/https/hsts.c - HTTP Strict Transport Security.
 *
 *   RFC 6797 section 6.1    the STS header field: directive syntax,
 *                           uniqueness, case-insensitive names, unknown
 *                           directives ignored, quoted values;
 *   RFC 6797 section 6.1.1  max-age (required, delta-seconds);
 *   RFC 6797 section 6.1.2  includeSubDomains (valueless);
 *   RFC 7230 section 3.2.6  token, quoted-string, quoted-pair;
 *   hstspreload.org         the "preload" token and the submission
 *                           requirements (max-age >= 1 year,
 *                           includeSubDomains, preload);
 *   Chromium's net/http/transport_security_state_static.json: the
 *                           preload list ("//" comment lines, entries of
 *                           {name, policy, mode, include_subdomains}).
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "https/https_internal.h"

/* ------------------------------------------------------------- header */

static bool
tchar(unsigned char c)
{
	/* RFC 7230 section 3.2.6. */
	return sk__isalnum(c) || (c != 0 && strchr("!#$%&'*+-.^_`|~", c) !=
						    NULL);
}

static bool
ows(unsigned char c)
{
	return c == ' ' || c == '\t';
}

struct hcur {
	const char *p;
	size_t i, n;
};

static void
skip_ows(struct hcur *c)
{
	while (c->i < c->n && ows((unsigned char)c->p[c->i]))
		c->i++;
}

/* A quoted-string starting at the '"'; its unescaped content goes to
 * val (at most valsz - 1 bytes kept; the rest only checked). */
static bool
quoted(struct hcur *c, char *val, size_t valsz, size_t *vlen)
{
	size_t k = 0;

	c->i++;
	while (c->i < c->n) {
		unsigned char ch = (unsigned char)c->p[c->i];

		if (ch == '"') {
			c->i++;
			*vlen = k;
			return true;
		}
		if (ch == '\\') {
			if (c->i + 1 >= c->n)
				return false;
			ch = (unsigned char)c->p[c->i + 1];
			if (ch != '\t' && (ch < 0x20 || ch == 0x7f))
				return false;
			c->i += 2;
		} else {
			/* qdtext: HTAB, SP, %x21, %x23-5B, %x5D-7E,
			 * obs-text */
			if (ch != '\t' && (ch < 0x20 || ch == 0x7f))
				return false;
			c->i++;
		}
		if (k + 1 < valsz)
			val[k] = (char)ch;
		k++;
	}
	return false;
}

static bool
all_digits(const char *s, size_t n)
{
	if (n == 0)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!sk__isdigit((unsigned char)s[i]))
			return false;
	return true;
}

/* delta-seconds; values over ULONG_MAX are capped (RFC 6797 6.1.1 lets
 * a UA cap it; Chromium caps at one year, we keep what was sent). */
static unsigned long
delta_seconds(const char *s, size_t n)
{
	unsigned long v = 0;

	for (size_t i = 0; i < n; i++) {
		unsigned d = (unsigned)(s[i] - '0');

		if (v > (ULONG_MAX - d) / 10)
			return ULONG_MAX;
		v = v * 10 + d;
	}
	return v;
}

SK_API sk_status
sk_hsts_parse(const char *p, size_t len, struct sk_hsts *out,
	      struct sk_err *err)
{
	struct hcur c = { p, 0, len };
	bool seen_age = false, seen_sub = false, seen_pre = false;
	char val[32];

	if ((p == NULL && len > 0) || out == NULL)
		return sk__err(err, SK_EINVAL, "no header or no output");
	memset(out, 0, sizeof(*out));
	if (len > SK_HSTS_MAX_HEADER)
		return sk__err_at(err, SK_ETOOBIG, SK_HSTS_MAX_HEADER,
				  "header longer than %d bytes",
				  SK_HSTS_MAX_HEADER);
	for (;;) {
		size_t nstart, nlen, vstart = 0, vlen = 0;
		bool has_val = false, is_quoted = false;

		skip_ows(&c);
		if (c.i < c.n && c.p[c.i] == ';') {
			/* An empty directive: [ directive ] *( ";" ... ) */
			c.i++;
			continue;
		}
		if (c.i >= c.n)
			break;
		nstart = c.i;
		while (c.i < c.n && tchar((unsigned char)c.p[c.i]))
			c.i++;
		nlen = c.i - nstart;
		if (nlen == 0)
			return sk__err_at(err, SK_ESYNTAX, c.i,
					  "unexpected character 0x%02x "
					  "where a directive name belongs",
					  (unsigned char)c.p[c.i]);
		skip_ows(&c);
		if (c.i < c.n && c.p[c.i] == '=') {
			has_val = true;
			c.i++;
			skip_ows(&c);
			vstart = c.i;
			if (c.i < c.n && c.p[c.i] == '"') {
				is_quoted = true;
				if (!quoted(&c, val, sizeof(val), &vlen))
					return sk__err_at(err, SK_ESYNTAX,
							  vstart,
							  "unterminated or "
							  "invalid quoted "
							  "string");
			} else {
				while (c.i < c.n &&
				       tchar((unsigned char)c.p[c.i]))
					c.i++;
				vlen = c.i - vstart;
				if (vlen == 0)
					return sk__err_at(err, SK_ESYNTAX,
							  vstart,
							  "directive \"%.*s\""
							  " has '=' but no "
							  "value", (int)nlen,
							  p + nstart);
			}
			skip_ows(&c);
		}
		if (c.i < c.n && c.p[c.i] != ';')
			return sk__err_at(err, SK_ESYNTAX, c.i,
					  "expected ';' after directive "
					  "\"%.*s\"", (int)(nlen > 64 ? 64 :
							     nlen),
					  p + nstart);
		if (sk__eq_nocase_z(p + nstart, nlen, "max-age")) {
			const char *v = is_quoted ? val : p + vstart;

			if (seen_age)
				return sk__err_at(err, SK_ESYNTAX, nstart,
						  "max-age appears twice "
						  "(RFC 6797 section 6.1)");
			seen_age = true;
			if (!has_val)
				return sk__err_at(err, SK_ESYNTAX, nstart,
						  "max-age without a value");
			if (is_quoted && vlen >= sizeof(val))
				return sk__err_at(err, SK_ESYNTAX, vstart,
						  "max-age value too long");
			if (!all_digits(v, vlen))
				return sk__err_at(err, SK_ESYNTAX, vstart,
						  "max-age value is not "
						  "delta-seconds (digits "
						  "only)");
			out->max_age = delta_seconds(v, vlen);
		} else if (sk__eq_nocase_z(p + nstart, nlen,
					   "includesubdomains")) {
			if (seen_sub)
				return sk__err_at(err, SK_ESYNTAX, nstart,
						  "includeSubDomains appears "
						  "twice (RFC 6797 section "
						  "6.1)");
			seen_sub = true;
			if (has_val)
				return sk__err_at(err, SK_ESYNTAX, nstart,
						  "includeSubDomains takes no "
						  "value (RFC 6797 section "
						  "6.1.2)");
			out->include_subdomains = true;
		} else if (sk__eq_nocase_z(p + nstart, nlen, "preload")) {
			if (seen_pre)
				return sk__err_at(err, SK_ESYNTAX, nstart,
						  "preload appears twice");
			seen_pre = true;
			if (has_val)
				return sk__err_at(err, SK_ESYNTAX, nstart,
						  "preload takes no value");
			out->preload = true;
		}
		/* Other directives: ignored (RFC 6797 section 6.1 item 4). */
	}
	if (!seen_age)
		return sk__err_at(err, SK_ESYNTAX, len,
				  "no max-age directive (required, RFC 6797 "
				  "section 6.1.1)");
	return SK_OK;
}

SK_API unsigned
sk_hsts_preload_missing(const struct sk_hsts *h)
{
	unsigned m = 0;

	if (h == NULL)
		return SK_HSTS_PRELOAD_MAXAGE | SK_HSTS_PRELOAD_SUBDOMAINS |
		       SK_HSTS_PRELOAD_TOKEN;
	if (h->max_age < SK_HSTS_PRELOAD_MIN_AGE)
		m |= SK_HSTS_PRELOAD_MAXAGE;
	if (!h->include_subdomains)
		m |= SK_HSTS_PRELOAD_SUBDOMAINS;
	if (!h->preload)
		m |= SK_HSTS_PRELOAD_TOKEN;
	return m;
}

/* -------------------------------------------------------- preload list */

struct pentry {
	char *name;      /* lower case, no trailing dot */
	bool subdomains;
};

struct sk_hsts_preload {
	struct pentry *v;
	size_t n;
};

static int
pentry_cmp(const void *a, const void *b)
{
	return strcmp(((const struct pentry *)a)->name,
		      ((const struct pentry *)b)->name);
}

SK_API void
sk_hsts_preload_free(struct sk_hsts_preload *pl)
{
	if (pl == NULL)
		return;
	for (size_t i = 0; i < pl->n; i++)
		sk__free(pl->v[i].name);
	sk__free(pl->v);
	sk__free(pl);
}

SK_API size_t
sk_hsts_preload_count(const struct sk_hsts_preload *pl)
{
	return pl != NULL ? pl->n : 0;
}

/* A copy with "//" comment lines blanked (the newlines are kept so that
 * jansson's line numbers stay those of the file). */
static char *
strip_comments(const char *data, size_t len)
{
	char *s = sk__malloc(len + 1);
	size_t i = 0;

	if (s == NULL)
		return NULL;
	memcpy(s, data, len);
	s[len] = '\0';
	while (i < len) {
		size_t k = i;

		while (k < len && (s[k] == ' ' || s[k] == '\t'))
			k++;
		if (k + 1 < len && s[k] == '/' && s[k + 1] == '/')
			while (k < len && s[k] != '\n')
				s[k++] = ' ';
		while (k < len && s[k] != '\n')
			k++;
		i = k + 1;
	}
	return s;
}

static sk_status
add_entries(struct sk_hsts_preload *pl, json_t *entries, const char *name,
	    struct sk_err *err)
{
	size_t i, n = json_array_size(entries);

	pl->v = sk__calloc(n ? n : 1, sizeof(*pl->v));
	if (pl->v == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	for (i = 0; i < n; i++) {
		json_t *e = json_array_get(entries, i);
		json_t *jn = json_object_get(e, "name");
		json_t *jm = json_object_get(e, "mode");
		json_t *js = json_object_get(e, "include_subdomains");
		const char *hn;
		size_t hl;
		char *lc;

		if (!json_is_object(e) || !json_is_string(jn))
			return sk__err(err, SK_ESYNTAX, "%s: entry %zu has no "
				       "\"name\" string", name, i);
		if (!json_is_string(jm) ||
		    strcmp(json_string_value(jm), "force-https") != 0)
			continue; /* pinning-only entries */
		hn = json_string_value(jn);
		hl = json_string_length(jn);
		while (hl > 0 && hn[hl - 1] == '.')
			hl--;
		if (hl == 0 || hl > 253 || memchr(hn, '\0', hl) != NULL)
			return sk__err(err, SK_ESYNTAX, "%s: entry %zu: bad "
				       "name", name, i);
		lc = sk__strndup(hn, hl);
		if (lc == NULL)
			return sk__err(err, SK_ENOMEM, "out of memory");
		for (size_t k = 0; k < hl; k++)
			lc[k] = sk__lower(lc[k]);
		pl->v[pl->n].name = lc;
		pl->v[pl->n].subdomains = json_is_true(js);
		pl->n++;
	}
	if (pl->n > 1)
		qsort(pl->v, pl->n, sizeof(pl->v[0]), pentry_cmp);
	return SK_OK;
}

SK_API sk_status
sk_hsts_preload_load_mem(const char *data, size_t len, const char *name,
			 struct sk_hsts_preload **out, struct sk_err *err)
{
	struct sk_hsts_preload *pl;
	json_error_t je;
	json_t *root, *entries;
	char *s;
	sk_status st;

	if (out != NULL)
		*out = NULL;
	if ((data == NULL && len > 0) || out == NULL)
		return sk__err(err, SK_EINVAL, "no data or no output");
	if (name == NULL)
		name = "(preload list)";
	if (len > SK_HSTS_PRELOAD_MAX_FILE)
		return sk__err(err, SK_ETOOBIG, "%s: larger than %u bytes",
			       name, SK_HSTS_PRELOAD_MAX_FILE);
	s = strip_comments(data != NULL ? data : "", len);
	if (s == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	root = json_loadb(s, len, JSON_REJECT_DUPLICATES, &je);
	sk__free(s);
	if (root == NULL)
		return sk__err_line(err, SK_ESYNTAX, (unsigned)je.line,
				    "%s:%d: %s", name, je.line, je.text);
	entries = json_object_get(root, "entries");
	if (!json_is_array(entries)) {
		json_decref(root);
		return sk__err(err, SK_ESYNTAX, "%s: no \"entries\" array "
			       "(not Chromium's preload list format)", name);
	}
	pl = sk__calloc(1, sizeof(*pl));
	if (pl == NULL) {
		json_decref(root);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	st = add_entries(pl, entries, name, err);
	json_decref(root);
	if (st != SK_OK) {
		sk_hsts_preload_free(pl);
		return st;
	}
	*out = pl;
	return SK_OK;
}

SK_API sk_status
sk_hsts_preload_load(const char *path, struct sk_hsts_preload **out,
		     struct sk_err *err)
{
	struct sk_buf b;
	char chunk[65536];
	size_t n;
	FILE *f;
	sk_status st = SK_OK;

	if (out != NULL)
		*out = NULL;
	if (path == NULL || out == NULL)
		return sk__err(err, SK_EINVAL, "no path or no output");
	f = fopen(path, "rb");
	if (f == NULL)
		return sk__err(err, SK_ENOENT, "%s: cannot open", path);
	sk__buf_init(&b, SK_HSTS_PRELOAD_MAX_FILE);
	for (;;) {
		n = fread(chunk, 1, sizeof(chunk), f);
		if (n == 0)
			break;
		st = sk__buf_add(&b, chunk, n);
		if (st != SK_OK)
			break;
	}
	if (st == SK_OK && ferror(f))
		st = sk__err(err, SK_EIO, "%s: read error", path);
	else if (st == SK_ETOOBIG)
		st = sk__err(err, st, "%s: larger than %u bytes", path,
			     SK_HSTS_PRELOAD_MAX_FILE);
	else if (st != SK_OK)
		st = sk__err(err, st, "out of memory");
	fclose(f);
	if (st == SK_OK)
		st = sk_hsts_preload_load_mem(b.p, b.len, path, out, err);
	sk__buf_free(&b);
	return st;
}

static const struct pentry *
find_exact(const struct sk_hsts_preload *pl, const char *name)
{
	struct pentry key = { (char *)name, false };

	return bsearch(&key, pl->v, pl->n, sizeof(pl->v[0]), pentry_cmp);
}

SK_API bool
sk_hsts_preload_lookup(const struct sk_hsts_preload *pl, const char *host,
		       const char **entry, bool *subdomains)
{
	char name[SK_DNS_MAX_NAME + 1];
	size_t n, i;
	const char *s;

	if (pl == NULL || host == NULL)
		return false;
	n = strlen(host);
	while (n > 0 && host[n - 1] == '.')
		n--;
	if (n == 0 || n >= sizeof(name))
		return false;
	for (i = 0; i < n; i++)
		name[i] = sk__lower(host[i]);
	name[n] = '\0';
	/* The host itself, then each ancestor with include_subdomains. */
	for (s = name; s != NULL; s = strchr(s, '.')) {
		const struct pentry *e;

		if (s != name)
			s++;
		e = find_exact(pl, s);
		if (e != NULL && (s == name || e->subdomains)) {
			if (entry != NULL)
				*entry = e->name;
			if (subdomains != NULL)
				*subdomains = e->subdomains;
			return true;
		}
		if (s[0] == '\0')
			break;
	}
	return false;
}
