/*
 * lib/profile/config.c - organization configs (senderkit-config(5)): the
 * loader, sk_config_set, lookups, and the turning of dkim_key.SEL values
 * into key records.
 *
 * The loader hands each "key = value" line to the same function
 * sk_config_set() uses, so a value set by a CLI flag gets exactly the
 * checks a file line gets.  A single-value key may not repeat in a file;
 * a value set with line 0 (not from a file) replaces the previous one.
 *
 * dkim_key.SEL takes a file (relative to the config's directory) holding
 * a key record (a zone line with quoted strings, or the bare value) or a
 * PEM public or private key, or else the base64 of a SubjectPublicKeyInfo
 * as in p= (RFC 6376 section 3.6.1).  Ed25519 keys become k=ed25519 with
 * the raw 32-byte key (RFC 8463 section 4.2).  A key that cannot be used
 * does not fail the load: sk_config_validate() reports it
 * (config-dkim-key), so that one bad key file does not hide the rest.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include <senderkit/dkim.h>
#include "dkim/dkim_internal.h"
#include "profile/profile_internal.h"

/* Key files are small; anything bigger is not a key. */
#define KEY_FILE_MAX (64 * 1024)

static const char *const ckeys[SK__CK__COUNT] = {
	[SK__CK_NAME] = "name",
	[SK__CK_PROFILE] = "profile",
	[SK__CK_IP_MODE] = "ip_mode",
	[SK__CK_MONTHLY_VOLUME] = "monthly_volume",
	[SK__CK_TTL] = "ttl",
	[SK__CK_LANDING_HOST] = "landing_host",
	[SK__CK_TRACKING_HOST] = "tracking_host",
};

static const char *const dkeys[SK__DK__COUNT] = {
	[SK__DK_FROM] = "from",
	[SK__DK_RETURN_PATH] = "return_path",
	[SK__DK_DMARC] = "dmarc",
	[SK__DK_DMARC_PCT] = "dmarc_pct",
	[SK__DK_DMARC_RUA] = "dmarc_rua",
	[SK__DK_DMARC_RUF] = "dmarc_ruf",
	[SK__DK_DMARC_SP] = "dmarc_sp",
};

/* Context of one set: where the value comes from, for messages. */
struct setctx {
	struct sk__cfg *cf;
	const char *key;
	unsigned line;
	struct sk_err *err;
};

/* "FILE:LINE: KEY: message", or "KEY: message" for line 0. */
static sk_status SK_PRINTF(3, 4)
serr(const struct setctx *sc, sk_status st, const char *fmt, ...)
{
	char msg[SK_ERR_MSG_MAX];
	va_list ap;

	if (st == SK_ENOMEM)
		return sk__err_line(sc->err, st, sc->line, "out of memory");
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (sc->line > 0)
		return sk__err_line(sc->err, st, sc->line, "%s:%u: %s: %s",
				    sc->cf->pub.path, sc->line, sc->key, msg);
	return sk__err_line(sc->err, st, 0, "%s: %s", sc->key, msg);
}

static char *
adup(struct sk__cfg *cf, const char *s, size_t n)
{
	return sk__arena_strndup(&cf->arena, s, n);
}

/* A host or domain name as stored: lower case, no trailing dot. */
static char *
name_norm(struct sk__cfg *cf, const char *s, size_t n)
{
	char *p;
	size_t i;

	if (n > 1 && s[n - 1] == '.')
		n--;
	p = adup(cf, s, n);
	if (p == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		p[i] = sk__lower(p[i]);
	return p;
}

/* Mark a single-value key; a repeat from a file is an error. */
static sk_status
mark(const struct setctx *sc, uint32_t *seen, unsigned *lines, int idx)
{
	if (sc->line > 0 && (*seen & (1u << idx)) != 0)
		return serr(sc, SK_ESYNTAX, "repeated (first set on line %u)",
			    lines[idx]);
	if (sc->line > 0)
		*seen |= 1u << idx;
	lines[idx] = sc->line;
	return SK_OK;
}

/* ------------------------------------------------------------ DKIM keys */

/* OpenSSL must never ask for a passphrase on a terminal. */
static int
no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

/* "v=DKIM1; k=rsa|ed25519; p=..." for the public half of pk; *why set
 * (static text) when the key type is not one DKIM uses. */
static sk_status
pkey_record(struct sk__cfg *cf, EVP_PKEY *pk, const char **rec,
	    const char **why)
{
	unsigned char *der = NULL;
	uint8_t raw[32];
	size_t rawlen = sizeof(raw);
	const char *k;
	char *b64;
	struct sk_buf b;
	sk_status st;
	int dlen;

	*rec = NULL;
	if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_RSA) {
		k = "rsa";
		dlen = i2d_PUBKEY(pk, &der);
		if (dlen <= 0) {
			ERR_clear_error();
			*why = "the public key cannot be encoded";
			return SK_OK;
		}
		b64 = sk__base64_encode(der, (size_t)dlen);
		OPENSSL_free(der);
	} else if (EVP_PKEY_get_base_id(pk) == EVP_PKEY_ED25519) {
		/* RFC 8463 section 4.2: p= is the raw public key. */
		k = "ed25519";
		if (EVP_PKEY_get_raw_public_key(pk, raw, &rawlen) != 1 ||
		    rawlen != sizeof(raw)) {
			ERR_clear_error();
			*why = "the Ed25519 public key cannot be read";
			return SK_OK;
		}
		b64 = sk__base64_encode(raw, rawlen);
	} else {
		*why = "not an RSA or Ed25519 key (RFC 6376, RFC 8463)";
		return SK_OK;
	}
	if (b64 == NULL)
		return SK_ENOMEM;
	sk__buf_init(&b, KEY_FILE_MAX);
	st = sk__buf_printf(&b, "v=DKIM1; k=%s; p=%s", k, b64);
	sk__free(b64);
	if (st == SK_OK) {
		*rec = adup(cf, b.p, b.len);
		if (*rec == NULL)
			st = SK_ENOMEM;
	}
	sk__buf_free(&b);
	return st == SK_ETOOBIG ? SK_ENOMEM : st;
}

static sk_status
pem_record(struct sk__cfg *cf, const char *data, size_t len,
	   const char **rec, const char **why)
{
	EVP_PKEY *pk = NULL;
	BIO *bio;
	sk_status st;

	if (len > INT32_MAX)
		return SK_ENOMEM;
	bio = BIO_new_mem_buf(data, (int)len);
	if (bio == NULL)
		return SK_ENOMEM;
	pk = PEM_read_bio_PUBKEY(bio, NULL, no_passphrase, NULL);
	if (pk == NULL) {
		ERR_clear_error();
		(void)BIO_reset(bio);
		pk = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	}
	BIO_free(bio);
	if (pk == NULL) {
		ERR_clear_error();
		*why = "PEM file holds no readable public or private key "
		       "(an encrypted private key is not supported)";
		return SK_OK;
	}
	st = pkey_record(cf, pk, rec, why);
	EVP_PKEY_free(pk);
	return st;
}

/* The base64 of a SubjectPublicKeyInfo, as in p=. */
static sk_status
spki_record(struct sk__cfg *cf, const char *v, size_t n, const char **rec,
	    const char **why)
{
	const unsigned char *q;
	uint8_t *der = NULL;
	size_t derlen = 0;
	EVP_PKEY *pk;
	sk_status st;

	st = sk__base64_decode(v, n, &der, &derlen, NULL);
	if (st == SK_ENOMEM)
		return st;
	if (st != SK_OK || derlen == 0 || derlen > LONG_MAX) {
		sk__free(der);
		*why = "neither a readable file nor a base64 public key";
		return SK_OK;
	}
	q = der;
	pk = d2i_PUBKEY(NULL, &q, (long)derlen);
	if (pk == NULL || q != der + derlen) {
		ERR_clear_error();
		EVP_PKEY_free(pk);
		sk__free(der);
		*why = "base64 value is not a SubjectPublicKeyInfo public key";
		return SK_OK;
	}
	sk__free(der);
	st = pkey_record(cf, pk, rec, why);
	EVP_PKEY_free(pk);
	return st;
}

/*
 * A record file: a zone line (the quoted strings are joined, as DNS
 * joins the strings of one TXT record, RFC 7208 section 3.3 / RFC 6376
 * section 3.6.2.2) or the bare value (lines trimmed and joined; '#' and
 * ';' comment lines skipped).  The result must parse as a DKIM key record
 * with a usable key.
 */
static sk_status
text_record(struct sk__cfg *cf, const char *data, size_t len,
	    const char **rec, const char **why)
{
	struct sk_dkim_key *key = NULL;
	struct sk_buf b;
	const char *s, *e, *v;
	size_t i, n;
	sk_status st = SK_OK;

	sk__buf_init(&b, KEY_FILE_MAX);
	if (memchr(data, '"', len) != NULL) {
		bool in = false;

		for (i = 0; i < len && st == SK_OK; i++) {
			char c = data[i];

			if (c == '"') {
				in = !in;
				continue;
			}
			if (!in)
				continue;
			if (c == '\\' && i + 3 < len &&
			    sk__isdigit((unsigned char)data[i + 1]) &&
			    sk__isdigit((unsigned char)data[i + 2]) &&
			    sk__isdigit((unsigned char)data[i + 3])) {
				/* \DDD (RFC 1035 section 5.1) */
				unsigned ch = (unsigned)(data[i + 1] - '0') *
					100 + (unsigned)(data[i + 2] - '0') *
					10 + (unsigned)(data[i + 3] - '0');

				st = sk__buf_addc(&b, (char)(ch & 0xff));
				i += 3;
				continue;
			}
			if (c == '\\' && i + 1 < len)
				c = data[++i];
			st = sk__buf_addc(&b, c);
		}
	} else {
		for (s = data; s < data + len && st == SK_OK; s = e + 1) {
			e = memchr(s, '\n', (size_t)(data + len - s));
			if (e == NULL)
				e = data + len;
			n = (size_t)(e - s);
			while (n > 0 && (sk__ini_blank(*s) || *s == '\r')) {
				s++;
				n--;
			}
			while (n > 0 && (sk__ini_blank(s[n - 1]) ||
					 s[n - 1] == '\r'))
				n--;
			if (n == 0 || *s == '#' || *s == ';')
				continue;
			/* Joined without a blank: a line break may fall
			 * inside the base64 of p=. */
			st = sk__buf_add(&b, s, n);
		}
	}
	if (st == SK_ENOMEM)
		goto out;
	if (st != SK_OK || b.len == 0) {
		*why = "file holds no key record";
		st = SK_OK;
		goto out;
	}
	/* A zone line without quotes: the record starts at "v=DKIM1". */
	v = memmem(b.p, b.len, "v=DKIM1", 7);
	if (v == NULL)
		v = b.p;
	n = b.len - (size_t)(v - b.p);
	st = sk_dkim_key_parse(v, n, &key, NULL);
	if (st == SK_ENOMEM)
		goto out;
	if (st != SK_OK) {
		*why = "file holds no valid DKIM key record (RFC 6376 "
		       "section 3.6.1)";
		st = SK_OK;
	} else if (key->revoked) {
		*why = "the key record is revoked (empty p=)";
	} else if (key->type == SK_DKIM_KEY_UNKNOWN) {
		*why = "the key record has an unknown key type k=";
	} else {
		*rec = adup(cf, v, n);
		if (*rec == NULL)
			st = SK_ENOMEM;
	}
	sk_dkim_key_free(key);
out:
	sk__buf_free(&b);
	return st;
}

static bool
b64_chars(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!sk__isalnum((unsigned char)s[i]) && s[i] != '+' &&
		    s[i] != '/' && s[i] != '=' && !sk__ini_blank(s[i]))
			return false;
	return n > 0;
}

/* Turn a dkim_key value into a record (*rec) or a reason (*why). Only
 * SK_ENOMEM is returned as a failure. */
static sk_status
resolve_key(struct sk__cfg *cf, const char *v, size_t n, const char **rec,
	    const char **why)
{
	struct sk_buf path;
	char *data = NULL;
	size_t len = 0;
	sk_status st;
	struct sk_err e;

	*rec = NULL;
	*why = NULL;
	sk__buf_init(&path, 8192);
	if (v[0] == '/' || cf->dir == NULL)
		st = sk__buf_add(&path, v, n);
	else
		st = sk__buf_printf(&path, "%s/%.*s", cf->dir, (int)n, v);
	if (st != SK_OK) {
		sk__buf_free(&path);
		if (st == SK_ENOMEM)
			return st;
		*why = "file name too long";
		return SK_OK;
	}
	sk_err_clear(&e);
	st = sk__ini_read_file(path.p, &data, &len, &e);
	sk__buf_free(&path);
	if (st == SK_ENOMEM)
		return st;
	/* Not a file (ENOENT, or a name too long: base64 of a 4096-bit
	 * key is 700 characters): the base64 key itself? */
	if (st != SK_OK && b64_chars(v, n))
		return spki_record(cf, v, n, rec, why);
	if (st != SK_OK) {
		*why = adup(cf, e.msg, strlen(e.msg));
		return *why == NULL ? SK_ENOMEM : SK_OK;
	}
	if (len > KEY_FILE_MAX)
		*why = "file too big for a key";
	else if (memmem(data, len, "-----BEGIN ", 11) != NULL)
		st = pem_record(cf, data, len, rec, why);
	else
		st = text_record(cf, data, len, rec, why);
	/* The file may have held a private key. */
	sk__freezero(data, len);
	return st;
}

/* ------------------------------------------------------------ domains */

static struct sk_org_domain *
find_domain(struct sk__cfg *cf, const char *name, size_t *idx)
{
	size_t i;

	for (i = 0; i < cf->pub.ndomains; i++) {
		if (strcmp(cf->pub.domains[i].name, name) == 0) {
			*idx = i;
			return (struct sk_org_domain *)&cf->pub.domains[i];
		}
	}
	return NULL;
}

static sk_status
get_domain(struct sk__cfg *cf, const char *arg, size_t alen,
	   unsigned line, size_t *idx, struct sk_err *err)
{
	struct sk_org_domain *d;
	struct sk__cfg_domain_extra *x;
	char *name;

	while (alen > 0 && sk__ini_blank(*arg)) {
		arg++;
		alen--;
	}
	while (alen > 0 && sk__ini_blank(arg[alen - 1]))
		alen--;
	name = name_norm(cf, arg, alen);
	if (name == NULL)
		return sk__err_line(err, SK_ENOMEM, line, "out of memory");
	if (!sk__prof_domain_ok(name, strlen(name), false)) {
		if (line > 0)
			return sk__err_line(err, SK_ESYNTAX, line,
					    "%s:%u: [domain %.*s]: not a "
					    "domain name", cf->pub.path, line,
					    (int)(alen > 64 ? 64 : alen), arg);
		return sk__err(err, SK_ESYNTAX, "domain \"%.*s\": not a "
			       "domain name", (int)(alen > 64 ? 64 : alen),
			       arg);
	}
	if (find_domain(cf, name, idx) != NULL)
		return SK_OK;
	x = sk__arena_push(&cf->arena, &cf->dx, &cf->ndx, sizeof(*x));
	if (x == NULL)
		return sk__err_line(err, SK_ENOMEM, line, "out of memory");
	d = sk__arena_push(&cf->arena, &cf->pub.domains, &cf->pub.ndomains,
			   sizeof(*d));
	if (d == NULL) {
		cf->ndx--;
		return sk__err_line(err, SK_ENOMEM, line, "out of memory");
	}
	d->name = name;
	d->from = true;
	d->dmarc_pct = 100;
	d->line = line;
	*idx = cf->pub.ndomains - 1;
	return SK_OK;
}

/* The selector's entry in domain d, added when absent. */
static sk_status
get_selector(const struct setctx *sc, struct sk_org_domain *d,
	     struct sk__cfg_domain_extra *x, const char *sel, size_t n,
	     size_t *idx)
{
	struct sk__cfg *cf = sc->cf;
	struct sk_org_dkim *k;
	struct sk__cfg_dkim_extra *kx;
	size_t i;
	char *name;

	name = name_norm(cf, sel, n);
	if (name == NULL)
		return serr(sc, SK_ENOMEM, "no memory");
	for (i = 0; i < d->ndkim; i++) {
		if (strcmp(d->dkim[i].selector, name) == 0) {
			*idx = i;
			return SK_OK;
		}
	}
	kx = sk__arena_push(&cf->arena, &x->dkim, &x->ndkim, sizeof(*kx));
	if (kx == NULL)
		return serr(sc, SK_ENOMEM, "no memory");
	k = sk__arena_push(&cf->arena, &d->dkim, &d->ndkim, sizeof(*k));
	if (k == NULL) {
		x->ndkim--;
		return serr(sc, SK_ENOMEM, "no memory");
	}
	k->selector = name;
	k->line = sc->line;
	*idx = d->ndkim - 1;
	return SK_OK;
}

/* A list item as stored (copied into the config's arena). */
typedef char *(*item_norm_fn)(struct sk__cfg *cf, const char *s, size_t n);

/* Append list items, each made by norm, to *arr (and their line to
 * *lines when given). */
static sk_status
add_list(const struct setctx *sc, const char *v, size_t vlen,
	 const char *const **arr, size_t *cnt, unsigned **lines,
	 size_t *nlines, item_norm_fn norm)
{
	struct sk__cfg *cf = sc->cf;
	const char *pos = v, *s;
	const char **slot;
	unsigned *ls;
	size_t n;
	char *copy;

	while (sk__ini_list_next(&pos, v + vlen, &s, &n)) {
		copy = norm(cf, s, n);
		if (copy == NULL)
			return serr(sc, SK_ENOMEM, "no memory");
		if (lines != NULL) {
			ls = sk__arena_push(&cf->arena, lines, nlines,
					    sizeof(*ls));
			if (ls == NULL)
				return serr(sc, SK_ENOMEM, "no memory");
			*ls = sc->line;
		}
		slot = sk__arena_push(&cf->arena, (void *)arr, cnt,
				      sizeof(*slot));
		if (slot == NULL) {
			if (nlines != NULL)
				(*nlines)--;
			return serr(sc, SK_ENOMEM, "no memory");
		}
		*slot = copy;
	}
	return SK_OK;
}

/* An MX item "PREF host": kept as "PREF host" with the host normalized
 * when it has that shape, else as written (validate reports it). */
static char *
mx_norm(struct sk__cfg *cf, const char *s, size_t n)
{
	struct sk_buf b;
	size_t i = 0, hs;
	char *out;

	while (i < n && sk__isdigit((unsigned char)s[i]))
		i++;
	hs = i;
	while (hs < n && sk__ini_blank(s[hs]))
		hs++;
	if (i == 0 || hs == i || hs == n)
		return adup(cf, s, n);
	sk__buf_init(&b, SK_INI_MAX_LINE);
	if (sk__buf_add(&b, s, i) != SK_OK || sk__buf_addc(&b, ' ') != SK_OK)
		goto fail;
	if (n > hs + 1 && s[n - 1] == '.')
		n--;
	for (; hs < n; hs++)
		if (sk__buf_addc(&b, sk__lower(s[hs])) != SK_OK)
			goto fail;
	out = adup(cf, b.p, b.len);
	sk__buf_free(&b);
	return out;
fail:
	sk__buf_free(&b);
	return NULL;
}

static sk_status
set_stage(const struct setctx *sc, const char *v, enum sk_dmarc_stage *out)
{
	if (strcmp(v, "none") == 0)
		*out = SK_STAGE_NONE;
	else if (strcmp(v, "quarantine") == 0)
		*out = SK_STAGE_QUARANTINE;
	else if (strcmp(v, "reject") == 0)
		*out = SK_STAGE_REJECT;
	else
		return serr(sc, SK_ESYNTAX, "\"%.64s\" is not one of: none, "
			    "quarantine, reject", v);
	return SK_OK;
}

static sk_status
set_domain_key(const struct setctx *sc, size_t di, const char *v,
	       size_t vlen)
{
	struct sk__cfg *cf = sc->cf;
	struct sk_org_domain *d = (struct sk_org_domain *)&cf->pub.domains[di];
	struct sk__cfg_domain_extra *x = &cf->dx[di];
	const char *key = sc->key;
	enum sk_dmarc_stage stage;
	size_t i, k;
	sk_status st;

	if (strcmp(key, "mail_servers") == 0)
		return add_list(sc, v, vlen, &d->mail_servers,
				&d->nmail_servers, &x->ms_lines,
				&x->nms_lines, adup);
	if (strcmp(key, "spf_includes") == 0)
		return add_list(sc, v, vlen, &d->spf_includes,
				&d->nspf_includes, NULL, NULL, name_norm);
	if (strcmp(key, "mx") == 0)
		return add_list(sc, v, vlen, &d->mx, &d->nmx, &x->mx_lines,
				&x->nmx_lines, mx_norm);
	if (strcmp(key, "dkim_selectors") == 0) {
		const char *pos = v, *s;
		size_t n;

		while (sk__ini_list_next(&pos, v + vlen, &s, &n)) {
			st = get_selector(sc, d, x, s, n, &k);
			if (st != SK_OK)
				return st;
		}
		return SK_OK;
	}
	if (strncmp(key, "dkim_key.", 9) == 0) {
		struct sk__cfg_dkim_extra *kx;
		struct sk_org_dkim *dk;
		const char *rec, *why;

		if (key[9] == '\0')
			return serr(sc, SK_ESYNTAX, "no selector after "
				    "\"dkim_key.\"");
		if (vlen == 0)
			return serr(sc, SK_ESYNTAX, "empty value");
		st = get_selector(sc, d, x, key + 9, strlen(key + 9), &k);
		if (st != SK_OK)
			return st;
		kx = &x->dkim[k];
		dk = (struct sk_org_dkim *)&d->dkim[k];
		if (sc->line > 0 && kx->key_line > 0)
			return serr(sc, SK_ESYNTAX, "repeated (first set on "
				    "line %u)", kx->key_line);
		st = resolve_key(cf, v, vlen, &rec, &why);
		if (st != SK_OK)
			return serr(sc, st, "no memory");
		kx->key_value = adup(cf, v, vlen);
		if (kx->key_value == NULL)
			return serr(sc, SK_ENOMEM, "no memory");
		kx->key_error = why;
		kx->key_line = sc->line;
		dk->record = rec;
		return SK_OK;
	}
	for (i = 0; i < SK__DK__COUNT; i++)
		if (strcmp(key, dkeys[i]) == 0)
			break;
	if (i == SK__DK__COUNT)
		return serr(sc, SK_ESYNTAX, "unknown key in [domain %s]",
			    d->name);
	if (vlen == 0)
		return serr(sc, SK_ESYNTAX, "empty value");
	st = mark(sc, &x->seen, x->lines, (int)i);
	if (st != SK_OK)
		return st;
	switch (i) {
	case SK__DK_FROM:
		if (!sk__ini_bool(v, &d->from))
			return serr(sc, SK_ESYNTAX, "\"%.64s\" is not a "
				    "boolean (yes/no)", v);
		return SK_OK;
	case SK__DK_RETURN_PATH:
		d->return_path = name_norm(cf, v, vlen);
		break;
	case SK__DK_DMARC:
		return set_stage(sc, v, &d->dmarc_stage);
	case SK__DK_DMARC_PCT: {
		unsigned long pct;

		/* RFC 7489 section 6.3: pct is 0..100; 0 is kept out, as
		 * a stage applied to no mail is not a stage. */
		if (!sk__parse_uint(v, vlen, 100, &pct) || pct == 0)
			return serr(sc, SK_ESYNTAX, "\"%.64s\" is not a "
				    "percentage 1..100", v);
		d->dmarc_pct = (unsigned)pct;
		return SK_OK;
	}
	case SK__DK_DMARC_RUA:
		d->dmarc_rua = adup(cf, v, vlen);
		break;
	case SK__DK_DMARC_RUF:
		d->dmarc_ruf = adup(cf, v, vlen);
		break;
	case SK__DK_DMARC_SP:
		st = set_stage(sc, v, &stage);
		if (st != SK_OK)
			return st;
		d->dmarc_sp = stage == SK_STAGE_NONE ? "none" :
			stage == SK_STAGE_QUARANTINE ? "quarantine" :
			"reject";
		return SK_OK;
	default:
		break;
	}
	if ((i == SK__DK_RETURN_PATH && d->return_path == NULL) ||
	    (i == SK__DK_DMARC_RUA && d->dmarc_rua == NULL) ||
	    (i == SK__DK_DMARC_RUF && d->dmarc_ruf == NULL))
		return serr(sc, SK_ENOMEM, "no memory");
	return SK_OK;
}

/* ------------------------------------------------------------ set */

static sk_status
set_provider(const struct setctx *sc, const char *v, size_t vlen)
{
	struct sk__cfg *cf = sc->cf;
	struct sk_org_kv *kv = NULL;
	size_t i;
	char *copy;

	for (i = 0; i < cf->pub.ninputs; i++) {
		if (strcmp(cf->pub.inputs[i].key, sc->key) == 0) {
			kv = (struct sk_org_kv *)&cf->pub.inputs[i];
			break;
		}
	}
	if (kv != NULL && sc->line > 0 && kv->line > 0)
		return serr(sc, SK_ESYNTAX, "repeated (first set on line %u)",
			    kv->line);
	copy = adup(cf, v, vlen);
	if (copy == NULL)
		return serr(sc, SK_ENOMEM, "no memory");
	if (kv == NULL) {
		kv = sk__arena_push(&cf->arena, &cf->pub.inputs,
				    &cf->pub.ninputs, sizeof(*kv));
		if (kv == NULL)
			return serr(sc, SK_ENOMEM, "no memory");
		kv->key = adup(cf, sc->key, strlen(sc->key));
		if (kv->key == NULL) {
			cf->pub.ninputs--;
			return serr(sc, SK_ENOMEM, "no memory");
		}
	}
	kv->value = copy;
	kv->line = sc->line;
	if (strcmp(sc->key, "return_path_mx") == 0) {
		cf->pub.return_path_mx = name_norm(cf, v, vlen);
		if (cf->pub.return_path_mx == NULL)
			return serr(sc, SK_ENOMEM, "no memory");
	}
	return SK_OK;
}

static sk_status
set_org(const struct setctx *sc, bool hosts, const char *v, size_t vlen)
{
	struct sk__cfg *cf = sc->cf;
	struct sk_org_config *c = &cf->pub;
	unsigned long ul;
	size_t i, from = hosts ? SK__CK_LANDING_HOST : 0;
	size_t to = hosts ? SK__CK__COUNT : SK__CK_LANDING_HOST;
	sk_status st;

	for (i = from; i < to; i++)
		if (strcmp(sc->key, ckeys[i]) == 0)
			break;
	if (i == to)
		return serr(sc, SK_ESYNTAX, "unknown key in [%s]",
			    hosts ? "hosts" : "organization");
	if (vlen == 0 && i != SK__CK_NAME)
		return serr(sc, SK_ESYNTAX, "empty value");
	st = mark(sc, &cf->seen, cf->lines, (int)i);
	if (st != SK_OK)
		return st;
	switch (i) {
	case SK__CK_NAME:
		c->name = adup(cf, v, vlen);
		return c->name == NULL ? serr(sc, SK_ENOMEM, "-") : SK_OK;
	case SK__CK_PROFILE:
		c->profile = adup(cf, v, vlen);
		return c->profile == NULL ? serr(sc, SK_ENOMEM, "-") : SK_OK;
	case SK__CK_IP_MODE:
		if (strcmp(v, "shared") == 0)
			c->ip_mode = SK_IP_SHARED;
		else if (strcmp(v, "trusted") == 0)
			c->ip_mode = SK_IP_TRUSTED;
		else if (strcmp(v, "dedicated") == 0)
			c->ip_mode = SK_IP_DEDICATED;
		else
			return serr(sc, SK_ESYNTAX, "\"%.64s\" is not one of: "
				    "shared, trusted, dedicated", v);
		return SK_OK;
	case SK__CK_MONTHLY_VOLUME:
		if (!sk__parse_uint(v, vlen, 1000000000000UL, &ul))
			return serr(sc, SK_ESYNTAX, "\"%.64s\" is not a "
				    "number of messages", v);
		c->monthly_volume = ul;
		return SK_OK;
	case SK__CK_TTL:
		/* RFC 2181 section 8: 0 .. 2^31 - 1. */
		if (!sk__parse_uint(v, vlen, 2147483647UL, &ul))
			return serr(sc, SK_ESYNTAX, "\"%.64s\" is not a TTL "
				    "(0..2147483647 seconds)", v);
		c->ttl = (unsigned)ul;
		return SK_OK;
	case SK__CK_LANDING_HOST:
		c->landing_host = name_norm(cf, v, vlen);
		return c->landing_host == NULL ? serr(sc, SK_ENOMEM, "-") :
			SK_OK;
	case SK__CK_TRACKING_HOST:
		c->tracking_host = name_norm(cf, v, vlen);
		return c->tracking_host == NULL ? serr(sc, SK_ENOMEM, "-") :
			SK_OK;
	default:
		return serr(sc, SK_EINTERNAL, "key table broken");
	}
}

/* Which section: 0 organization, 1 provider, 2 hosts, 3 domain. */
static int
section_kind(const char *s, size_t n)
{
	if (sk__eq_nocase_z(s, n, "organization"))
		return 0;
	if (sk__eq_nocase_z(s, n, "provider"))
		return 1;
	if (sk__eq_nocase_z(s, n, "hosts"))
		return 2;
	if (sk__eq_nocase_z(s, n, "domain"))
		return 3;
	return -1;
}

static sk_status
cfg_set(struct sk__cfg *cf, const char *section, const char *key,
	const char *value, size_t vlen, unsigned line, struct sk_err *err)
{
	struct setctx sc = { .cf = cf, .key = key, .line = line, .err = err };
	const char *arg;
	size_t slen, alen;
	size_t di;
	int kind;
	sk_status st;

	slen = strcspn(section, " \t");
	arg = section + slen;
	while (sk__ini_blank(*arg))
		arg++;
	alen = strlen(arg);
	kind = section_kind(section, slen);
	if (kind < 0)
		return serr(&sc, SK_ESYNTAX, "unknown section [%.*s]",
			    (int)(slen > 64 ? 64 : slen), section);
	if ((kind == 3) != (alen > 0))
		return serr(&sc, SK_ESYNTAX, kind == 3 ?
			    "[domain] needs a name: [domain NAME]" :
			    "[%.*s] takes no name", (int)slen, section);
	switch (kind) {
	case 0:
		return set_org(&sc, false, value, vlen);
	case 1:
		return set_provider(&sc, value, vlen);
	case 2:
		return set_org(&sc, true, value, vlen);
	default:
		st = get_domain(cf, arg, alen, line, &di, err);
		if (st != SK_OK)
			return st;
		return set_domain_key(&sc, di, value, vlen);
	}
}

static sk_status
cfg_new(const char *path, struct sk__cfg **out, struct sk_err *err)
{
	struct sk__cfg *cf;
	const char *slash;

	*out = NULL;
	cf = sk__calloc(1, sizeof(*cf));
	if (cf == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	cf->pub.ttl = 3600;
	cf->pub.ip_mode = SK_IP_SHARED;
	cf->pub.name = "";
	cf->pub.path = sk__arena_strdup(&cf->arena, path);
	slash = strrchr(path, '/');
	if (slash == NULL)
		cf->dir = ".";
	else if (slash == path)
		cf->dir = "/";
	else
		cf->dir = sk__arena_strndup(&cf->arena, path,
					    (size_t)(slash - path));
	if (cf->pub.path == NULL || cf->dir == NULL) {
		sk_config_free(&cf->pub);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	*out = cf;
	return SK_OK;
}

SK_API sk_status
sk_config_new(struct sk_org_config **out, struct sk_err *err)
{
	struct sk__cfg *cf;
	sk_status st;

	if (out == NULL)
		return sk__err(err, SK_EINVAL, "invalid argument");
	st = cfg_new("(command line)", &cf, err);
	*out = st == SK_OK ? &cf->pub : NULL;
	return st;
}

SK_API sk_status
sk_config_set(struct sk_org_config *c, const char *section, const char *key,
	      const char *value, unsigned line, struct sk_err *err)
{
	char k[SK__INI_MAX_KEY + 1];
	size_t i, n, vlen;

	if (c == NULL || section == NULL || key == NULL || value == NULL)
		return sk__err(err, SK_EINVAL, "invalid argument");
	n = strlen(key);
	if (n == 0 || n > SK__INI_MAX_KEY)
		return sk__err_line(err, SK_ESYNTAX, line, "bad key \"%.64s\"",
				    key);
	for (i = 0; i < n; i++) {
		if (!sk__isalnum((unsigned char)key[i]) && key[i] != '_' &&
		    key[i] != '.' && key[i] != '-')
			return sk__err_line(err, SK_ESYNTAX, line,
					    "bad key \"%.64s\"", key);
		k[i] = sk__lower(key[i]);
	}
	k[n] = '\0';
	while (sk__ini_blank(*value))
		value++;
	vlen = strlen(value);
	while (vlen > 0 && sk__ini_blank(value[vlen - 1]))
		vlen--;
	if (vlen < strlen(value)) {
		/* A trimmed, NUL-terminated copy (values are read as C
		 * strings by the setters). */
		char *copy = sk__strndup(value, vlen);
		sk_status st;

		if (copy == NULL)
			return sk__err(err, SK_ENOMEM, "out of memory");
		st = cfg_set((struct sk__cfg *)c, section, k, copy, vlen,
			     line, err);
		sk__free(copy);
		return st;
	}
	return cfg_set((struct sk__cfg *)c, section, k, value, vlen, line,
		       err);
}

SK_API sk_status
sk_config_load_mem(const char *data, size_t len, const char *name,
		   struct sk_org_config **out, struct sk_err *err)
{
	struct sk__ini ini;
	struct sk__ini_item it;
	struct sk__cfg *cf;
	struct sk_buf sect;
	size_t di;
	int kind;
	sk_status st;

	if (out == NULL || (data == NULL && len > 0))
		return sk__err(err, SK_EINVAL, "invalid argument");
	*out = NULL;
	if (name == NULL)
		name = "(config)";
	st = cfg_new(name, &cf, err);
	if (st != SK_OK)
		return st;
	sk__buf_init(&sect, SK_INI_MAX_LINE + SK__INI_MAX_KEY + 2);
	st = sk__ini_init(&ini, data != NULL ? data : "", len, name, err);
	while (st == SK_OK) {
		st = sk__ini_next(&ini, &it, err);
		if (st != SK_OK || it.kind == SK__INI_END)
			break;
		if (it.kind == SK__INI_SECTION) {
			kind = section_kind(it.section, strlen(it.section));
			if (kind < 0)
				st = sk__err_line(err, SK_ESYNTAX, it.line,
						  "%s:%u: unknown section "
						  "[%s]", name, it.line,
						  it.section);
			else if ((kind == 3) != (it.arg[0] != '\0'))
				st = sk__err_line(err, SK_ESYNTAX, it.line,
						  "%s:%u: [%s] %s", name,
						  it.line, it.section,
						  kind == 3 ? "needs a name:"
						  " [domain NAME]" :
						  "takes no name");
			else if (kind == 3)
				st = get_domain(cf, it.arg, strlen(it.arg),
						it.line, &di, err);
			if (st != SK_OK)
				break;
			sk__buf_reset(&sect);
			st = sk__buf_printf(&sect, "%s%s%s", it.section,
					    it.arg[0] ? " " : "", it.arg);
			if (st != SK_OK)
				st = sk__err(err, SK_ENOMEM, "out of memory");
			continue;
		}
		st = cfg_set(cf, sect.p, it.key, it.value, it.value_len,
			     it.line, err);
	}
	sk__ini_free(&ini);
	sk__buf_free(&sect);
	if (st != SK_OK) {
		sk_config_free(&cf->pub);
		return st;
	}
	*out = &cf->pub;
	return SK_OK;
}

SK_API sk_status
sk_config_load(const char *path, struct sk_org_config **out,
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
	st = sk_config_load_mem(data, len, path, out, err);
	sk__free(data);
	return st;
}

SK_API void
sk_config_free(struct sk_org_config *c)
{
	struct sk__cfg *cf = (struct sk__cfg *)c;

	if (cf == NULL)
		return;
	sk__arena_free(&cf->arena);
	sk__free(cf);
}

SK_API const char *
sk_config_input(const struct sk_org_config *c, const char *name)
{
	size_t i;

	if (c == NULL || name == NULL)
		return NULL;
	for (i = 0; i < c->ninputs; i++)
		if (sk__eq_nocase_z(name, strlen(name), c->inputs[i].key))
			return c->inputs[i].value;
	return NULL;
}

SK_API const struct sk_org_domain *
sk_config_domain(const struct sk_org_config *c, const char *name)
{
	size_t i, n;

	if (c == NULL || name == NULL)
		return NULL;
	n = strlen(name);
	if (n > 1 && name[n - 1] == '.')
		n--;
	for (i = 0; i < c->ndomains; i++)
		if (sk__eq_nocase_z(name, n, c->domains[i].name))
			return &c->domains[i];
	return NULL;
}

SK_API const char *
sk_ip_mode_str(enum sk_ip_mode m)
{
	switch (m) {
	case SK_IP_SHARED: return "shared";
	case SK_IP_TRUSTED: return "trusted";
	case SK_IP_DEDICATED: return "dedicated";
	}
	return "unknown";
}
