/*
 * lib/dkim/sign.c - DKIM signing, RFC 6376 section 5 (5.4 headers to
 * sign, 5.4.2 oversigning, 5.5 body hash, 5.6 the DKIM-Signature field)
 * and section 3.7 (the header hash), with rsa-sha256 (RFC 8301) and
 * ed25519-sha256 (RFC 8463 section 3: PureEdDSA over the SHA-256 digest
 * of the header data).
 *
 * This is the only file that touches private keys: they are loaded here
 * into an EVP_PKEY, never copied out, and freed (OpenSSL wipes them) with
 * the signer.  PEM text read from a file is wiped before it is freed.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include "sigcanon.h"

#define FOLD_AT 78
#define PEM_MAX (64 * 1024)

struct sk_dkim_signer {
	EVP_PKEY *pkey;
	enum sk_dkim_keytype type;
	unsigned bits;
};

struct sk_dkim_sign {
	const struct sk_dkim_signer *signer;
	char *domain, *selector, *identity;
	char *headers;                 /* explicit list or NULL */
	enum sk_dkim_canon hcanon, bcanon;
	long long t, x;                /* -1: omitted */
	bool body_length;
	struct sk__msg msg;
	struct sk__dkim_body body;
	EVP_MD *sha256;                /* fetched once per message */
};

/* ------------------------------------------------------------ keys */

SK_API sk_status
sk_dkim_signer_new_pem(struct sk_dkim_signer **out, const char *pem,
		       size_t len, struct sk_err *err)
{
	struct sk_dkim_signer *s;
	BIO *bio;
	EVP_PKEY *pk;
	int id;

	if (out == NULL || pem == NULL)
		return sk__err(err, SK_EINVAL, "missing argument");
	*out = NULL;
	if (len > PEM_MAX)
		return sk__err(err, SK_ETOOBIG, "PEM text over %d bytes",
			       PEM_MAX);
	bio = BIO_new_mem_buf(pem, (int)len);
	if (bio == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	pk = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	BIO_free(bio);
	if (pk == NULL)
		return sk__err(err, SK_ESYNTAX,
			       "no PEM private key could be read");
	id = EVP_PKEY_get_base_id(pk);
	if (id != EVP_PKEY_RSA && id != EVP_PKEY_ED25519) {
		EVP_PKEY_free(pk);
		return sk__err(err, SK_ENOTSUP,
			       "the key is neither RSA nor Ed25519");
	}
	s = sk__calloc(1, sizeof(*s));
	if (s == NULL) {
		EVP_PKEY_free(pk);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	s->pkey = pk;
	if (id == EVP_PKEY_RSA) {
		s->type = SK_DKIM_KEY_RSA;
		s->bits = (unsigned)EVP_PKEY_get_bits(pk);
	} else {
		s->type = SK_DKIM_KEY_ED25519;
		s->bits = 256;
	}
	*out = s;
	return SK_OK;
}

SK_API sk_status
sk_dkim_signer_new_file(struct sk_dkim_signer **out, const char *path,
			struct sk_err *err)
{
	struct stat stb;
	char *buf;
	size_t got = 0;
	sk_status st;
	int fd;

	if (out == NULL || path == NULL)
		return sk__err(err, SK_EINVAL, "missing argument");
	*out = NULL;
	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return sk__err(err, errno == ENOENT ? SK_ENOENT : SK_EIO,
			       "%s: %s", path, strerror(errno));
	if (fstat(fd, &stb) != 0 || !S_ISREG(stb.st_mode)) {
		close(fd);
		return sk__err(err, SK_EIO, "%s: not a regular file", path);
	}
	if (stb.st_size > PEM_MAX) {
		close(fd);
		return sk__err(err, SK_ETOOBIG, "%s: over %d bytes", path,
			       PEM_MAX);
	}
	buf = sk__malloc((size_t)stb.st_size + 1);
	if (buf == NULL) {
		close(fd);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	while (got < (size_t)stb.st_size) {
		ssize_t n = read(fd, buf + got, (size_t)stb.st_size - got);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		got += (size_t)n;
	}
	close(fd);
	st = sk_dkim_signer_new_pem(out, buf, got, err);
	sk__freezero(buf, (size_t)stb.st_size + 1);
	if (st != SK_OK && err != NULL) {
		char why[SK_ERR_MSG_MAX];

		memcpy(why, err->msg, sizeof(why));
		why[sizeof(why) - 1] = '\0';
		return sk__err(err, st, "%s: %.200s", path, why);
	}
	return st;
}

SK_API enum sk_dkim_keytype
sk_dkim_signer_type(const struct sk_dkim_signer *s)
{
	return s != NULL ? s->type : SK_DKIM_KEY_UNKNOWN;
}

SK_API unsigned
sk_dkim_signer_bits(const struct sk_dkim_signer *s)
{
	return s != NULL ? s->bits : 0;
}

SK_API void
sk_dkim_signer_free(struct sk_dkim_signer *s)
{
	if (s == NULL)
		return;
	EVP_PKEY_free(s->pkey); /* OpenSSL clears key material on free */
	sk__freezero(s, sizeof(*s));
}

/* ------------------------------------------------------------ signing */

SK_API void
sk_dkim_sign_free(struct sk_dkim_sign *ctx)
{
	if (ctx == NULL)
		return;
	sk__free(ctx->domain);
	sk__free(ctx->selector);
	sk__free(ctx->identity);
	sk__free(ctx->headers);
	sk__msg_free(&ctx->msg);
	sk__dkim_body_free(&ctx->body);
	EVP_MD_free(ctx->sha256);
	sk__free(ctx);
}

static sk_status
on_body(void *arg, const char *data, size_t len)
{
	struct sk_dkim_sign *ctx = arg;

	return sk__dkim_body_update(&ctx->body, data, len);
}

/* An explicit header list: names separated by ':', no empty one, and
 * From among them (RFC 6376 section 5.4: From MUST be signed). */
static bool
headers_ok(const char *h)
{
	bool from = false;

	for (;;) {
		size_t n = strcspn(h, ":");
		size_t k;

		if (n == 0)
			return false;
		for (k = 0; k < n; k++)
			if ((unsigned char)h[k] <= 32 ||
			    (unsigned char)h[k] > 126)
				return false;
		if (sk__eq_nocase_z(h, n, "from"))
			from = true;
		h += n;
		if (*h == '\0')
			break;
		h++;
	}
	return from;
}

SK_API sk_status
sk_dkim_sign_start(const struct sk_dkim_signer *s,
		   const struct sk_dkim_sign_opts *opts,
		   struct sk_dkim_sign **out, struct sk_err *err)
{
	struct sk_dkim_sign *ctx;
	sk_status st;

	if (out == NULL)
		return sk__err(err, SK_EINVAL, "missing output pointer");
	*out = NULL;
	if (s == NULL || opts == NULL || opts->domain == NULL ||
	    opts->selector == NULL)
		return sk__err(err, SK_EINVAL,
			       "a key, a domain and a selector are needed");
	if (!sk__dkim_name_ok(opts->domain))
		return sk__err(err, SK_EINVAL, "bad domain '%s'",
			       opts->domain);
	if (!sk__dkim_name_ok(opts->selector))
		return sk__err(err, SK_EINVAL, "bad selector '%s'",
			       opts->selector);
	if (opts->identity != NULL &&
	    (!sk__dkim_identity_in_domain(opts->identity, opts->domain) ||
	     strpbrk(opts->identity, "; \t\r\n") != NULL))
		return sk__err(err, SK_EINVAL,
			       "identity '%s' is not within %s (RFC 6376 "
			       "section 3.5, i=)", opts->identity,
			       opts->domain);
	if (opts->headers != NULL && !headers_ok(opts->headers))
		return sk__err(err, SK_EINVAL,
			       "header list must be names separated by ':' "
			       "and include From (RFC 6376 section 5.4)");
	if ((opts->hcanon != SK_DKIM_SIMPLE &&
	     opts->hcanon != SK_DKIM_RELAXED) ||
	    (opts->bcanon != SK_DKIM_SIMPLE && opts->bcanon != SK_DKIM_RELAXED))
		return sk__err(err, SK_EINVAL, "bad canonicalization");
	ctx = sk__calloc(1, sizeof(*ctx));
	if (ctx == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	ctx->signer = s;
	ctx->hcanon = opts->hcanon;
	ctx->bcanon = opts->bcanon;
	ctx->body_length = opts->body_length;
	sk__msg_init(&ctx->msg, SK_DKIM_MAX_HEADER, NULL, on_body, ctx);
	ctx->domain = sk__strdup(opts->domain);
	ctx->selector = sk__strdup(opts->selector);
	if (opts->identity != NULL)
		ctx->identity = sk__strdup(opts->identity);
	if (opts->headers != NULL)
		ctx->headers = sk__strdup(opts->headers);
	if (ctx->domain == NULL || ctx->selector == NULL ||
	    (opts->identity != NULL && ctx->identity == NULL) ||
	    (opts->headers != NULL && ctx->headers == NULL)) {
		sk_dkim_sign_free(ctx);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	if (opts->timestamp == (time_t)-1)
		ctx->t = -1;
	else if (opts->timestamp == 0)
		ctx->t = (long long)time(NULL);
	else
		ctx->t = (long long)opts->timestamp;
	ctx->x = -1;
	if (opts->expire > 0)
		ctx->x = (ctx->t >= 0 ? ctx->t : (long long)time(NULL)) +
			 (long long)opts->expire;
	ctx->sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	st = ctx->sha256 == NULL ? SK_ECRYPTO :
	     sk__dkim_body_init(&ctx->body, ctx->bcanon, ctx->sha256,
				SK__DKIM_NO_LIMIT);
	if (st != SK_OK) {
		sk_dkim_sign_free(ctx);
		return sk__err(err, st, "cannot start SHA-256");
	}
	*out = ctx;
	return SK_OK;
}

SK_API sk_status
sk_dkim_sign_update(struct sk_dkim_sign *ctx, const void *data, size_t len,
		    struct sk_err *err)
{
	if (ctx == NULL || (data == NULL && len > 0))
		return sk__err(err, SK_EINVAL, "missing argument");
	return sk__msg_update(&ctx->msg, data, len, err);
}

/* Number of fields named n in the message. */
static size_t
count_fields(const struct sk__msg *m, const char *n, size_t len)
{
	size_t i, c = 0;

	for (i = 0; i < m->nfields; i++)
		if (sk__msg_field_is(m, i, n, len))
			c++;
	return c;
}

/* 5.4.2 and our policy: these are listed once more than present. */
static const char *const oversigned[] = {
	"from", "list-unsubscribe", "list-unsubscribe-post", "subject", "to",
	"cc", "date", "reply-to",
};

static bool
is_oversigned(const char *n, size_t len)
{
	size_t k;

	for (k = 0; k < sizeof(oversigned) / sizeof(oversigned[0]); k++)
		if (sk__eq_nocase_z(n, len, oversigned[k]))
			return true;
	return false;
}

/* h= for the default list: each distinct name present, as many times as
 * present, plus once more when oversigned. */
static sk_status
default_h(const struct sk__msg *m, struct sk_buf *h)
{
	const char *p = SK_DKIM_DEFAULT_HEADERS;
	sk_status st = SK_OK;

	while (*p != '\0' && st == SK_OK) {
		size_t n = strcspn(p, ":"), c, k;
		const char *q;
		bool seen = false;

		/* Skip names already handled ("from:from"). */
		for (q = SK_DKIM_DEFAULT_HEADERS; q < p && !seen;) {
			size_t qn = strcspn(q, ":");

			seen = sk__eq_nocase(q, qn, p, n);
			q += qn + 1;
		}
		if (!seen) {
			c = count_fields(m, p, n);
			if (c > 0 && is_oversigned(p, n))
				c++;
			for (k = 0; k < c && st == SK_OK; k++) {
				if (h->len > 0)
					st = sk__buf_addc(h, ':');
				if (st == SK_OK)
					st = sk__buf_add(h, p, n);
			}
		}
		p += n;
		if (*p == ':')
			p++;
	}
	return st;
}

/* Names of a colon list (no FWS) as slices. */
static sk_status
split_names(const char *h, struct sk__dkim_hname **out, size_t *n)
{
	size_t cnt = 1, k = 0, i;
	struct sk__dkim_hname *v;

	for (i = 0; h[i] != '\0'; i++)
		if (h[i] == ':')
			cnt++;
	v = sk__calloc(cnt, sizeof(*v));
	if (v == NULL)
		return SK_ENOMEM;
	while (k < cnt) {
		size_t len = strcspn(h, ":");

		v[k].p = h;
		v[k].len = len;
		k++;
		h += len;
		if (*h == ':')
			h++;
	}
	*out = v;
	*n = cnt;
	return SK_OK;
}

/* Folding at FOLD_AT columns with CRLF + TAB (RFC 5322 section 2.2.3). */
struct fold {
	struct sk_buf *b;
	size_t col;
	sk_status st;
};

static void
fold_add(struct fold *f, const char *sep, const char *tok, size_t len)
{
	size_t sl = strlen(sep);

	if (f->st != SK_OK)
		return;
	if (f->col + sl + len > FOLD_AT && f->col > 1) {
		f->st = sk__buf_add(f->b, "\r\n\t", 3);
		f->col = 1;
		sl = 0;
	}
	if (f->st == SK_OK && sl > 0)
		f->st = sk__buf_add(f->b, sep, sl);
	if (f->st == SK_OK)
		f->st = sk__buf_add(f->b, tok, len);
	f->col += sl + len;
}

static void SK_PRINTF(3, 4)
fold_tag(struct fold *f, const char *sep, const char *fmt, ...)
{
	char tok[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(tok, sizeof(tok), fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= sizeof(tok)) {
		if (f->st == SK_OK)
			f->st = SK_ETOOBIG;
		return;
	}
	fold_add(f, sep, tok, (size_t)n);
}

/* b= value: as much as fits on each line. */
static void
fold_b(struct fold *f, const char *b64)
{
	size_t len = strlen(b64);

	while (len > 0 && f->st == SK_OK) {
		size_t room = f->col < FOLD_AT ? FOLD_AT - f->col : 0, n;

		if (room == 0) {
			f->st = sk__buf_add(f->b, "\r\n\t", 3);
			f->col = 1;
			continue;
		}
		n = len < room ? len : room;
		f->st = sk__buf_add(f->b, b64, n);
		f->col += n;
		b64 += n;
		len -= n;
	}
}

/* The field up to and including "b=" (the text hashed, 3.7). */
static sk_status
build_field(struct sk_dkim_sign *ctx, const char *h, const char *bh,
	    struct sk_buf *out, struct fold *f)
{
	const char *alg = ctx->signer->type == SK_DKIM_KEY_ED25519 ?
			  "ed25519-sha256" : "rsa-sha256";
	const char *p = h;

	f->b = out;
	f->st = sk__buf_adds(out, "DKIM-Signature:");
	f->col = strlen("DKIM-Signature:");
	fold_tag(f, " ", "v=1;");
	fold_tag(f, " ", "a=%s;", alg);
	fold_tag(f, " ", "c=%s/%s;", sk_dkim_canon_str(ctx->hcanon),
		 sk_dkim_canon_str(ctx->bcanon));
	fold_tag(f, " ", "d=%s;", ctx->domain);
	fold_tag(f, " ", "s=%s;", ctx->selector);
	if (ctx->identity != NULL)
		fold_tag(f, " ", "i=%s;", ctx->identity);
	if (ctx->t >= 0)
		fold_tag(f, " ", "t=%lld;", ctx->t);
	if (ctx->x >= 0)
		fold_tag(f, " ", "x=%lld;", ctx->x);
	if (ctx->body_length)
		fold_tag(f, " ", "l=%llu;",
			 (unsigned long long)ctx->body.total);
	/* h=: FWS may come around each ':' (3.5), so fold between names. */
	while (*p != '\0') {
		size_t n = strcspn(p, ":");
		bool last = p[n] == '\0';

		fold_tag(f, p == h ? " " : "", "%s%.*s%s", p == h ? "h=" : "",
			 (int)n, p, last ? ";" : ":");
		p += n + (last ? 0 : 1);
	}
	fold_tag(f, " ", "bh=%s;", bh);
	fold_tag(f, " ", "b=");
	return f->st;
}

static sk_status
sign_data(const struct sk_dkim_signer *s, const EVP_MD *dg,
	  const uint8_t *data, size_t len, uint8_t **sig, size_t *siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char hash[32];
	const unsigned char *tbs = data;
	size_t tbslen = len;
	sk_status st = SK_ECRYPTO;

	*sig = NULL;
	if (md == NULL)
		return SK_ENOMEM;
	if (s->type == SK_DKIM_KEY_ED25519) {
		/* RFC 8463 section 3: Ed25519 signs the SHA-256 hash. */
		if (EVP_Digest(data, len, hash, NULL, dg, NULL) != 1)
			goto out;
		tbs = hash;
		tbslen = sizeof(hash);
		if (EVP_DigestSignInit(md, NULL, NULL, NULL, s->pkey) != 1)
			goto out;
	} else if (EVP_DigestSignInit(md, NULL, dg, NULL, s->pkey) != 1) {
		goto out;
	}
	if (EVP_DigestSign(md, NULL, siglen, tbs, tbslen) != 1)
		goto out;
	*sig = sk__malloc(*siglen);
	if (*sig == NULL) {
		st = SK_ENOMEM;
		goto out;
	}
	if (EVP_DigestSign(md, *sig, siglen, tbs, tbslen) != 1) {
		sk__free(*sig);
		*sig = NULL;
		goto out;
	}
	st = SK_OK;
out:
	EVP_MD_CTX_free(md);
	return st;
}

SK_API sk_status
sk_dkim_sign_finish(struct sk_dkim_sign *ctx, char **header,
		    struct sk_err *err)
{
	struct sk_buf h, field, data;
	struct sk__dkim_hname *names = NULL;
	struct fold f;
	size_t nnames = 0;
	char *bh = NULL, *b64 = NULL;
	uint8_t *sig = NULL;
	size_t siglen = 0;
	sk_status st;

	if (header == NULL) {
		sk_dkim_sign_free(ctx);
		return sk__err(err, SK_EINVAL, "missing output pointer");
	}
	*header = NULL;
	if (ctx == NULL)
		return sk__err(err, SK_EINVAL, "missing context");
	sk__buf_init(&h, SK_DKIM_MAX_TAGLIST);
	sk__buf_init(&field, SK_DKIM_MAX_TAGLIST);
	sk__buf_init(&data, 2 * SK_DKIM_MAX_HEADER + SK_DKIM_MAX_TAGLIST);
	st = sk__msg_finish(&ctx->msg, err);
	if (st != SK_OK)
		goto out;
	if (!ctx->msg.separated) {
		st = sk__err(err, SK_ESYNTAX, "the message has no blank line "
			     "between header and body");
		goto out;
	}
	if (count_fields(&ctx->msg, "from", 4) == 0) {
		st = sk__err(err, SK_ESYNTAX, "the message has no From header "
			     "field (RFC 6376 section 5.4)");
		goto out;
	}
	st = sk__dkim_body_final(&ctx->body);
	if (st != SK_OK) {
		st = sk__err(err, st, "body hash failed");
		goto out;
	}
	bh = sk__base64_encode(ctx->body.digest, ctx->body.digest_len);
	if (bh == NULL)
		goto nomem;
	if (ctx->headers != NULL)
		st = sk__buf_adds(&h, ctx->headers);
	else
		st = default_h(&ctx->msg, &h);
	if (st == SK_OK)
		st = split_names(h.p, &names, &nnames);
	if (st == SK_OK)
		st = build_field(ctx, h.p, bh, &field, &f);
	/* 3.7: the signed fields, then this field with b= empty, canonical,
	 * without its final CRLF. */
	if (st == SK_OK)
		st = sk__dkim_hash_headers(&ctx->msg, ctx->hcanon, names,
					   nnames, &data);
	if (st == SK_OK) {
		size_t before = data.len;

		st = sk__buf_add(&field, "\r\n", 2);
		if (st == SK_OK)
			st = sk__dkim_canon_header(ctx->hcanon, field.p,
						   field.len, &data);
		field.len -= 2;
		field.p[field.len] = '\0';
		if (st == SK_OK && data.len >= before + 2)
			data.len -= 2;
	}
	if (st != SK_OK) {
		st = sk__err(err, st, "%s", st == SK_ETOOBIG ?
			     "signature field or header data too big" :
			     sk_strerror(st));
		goto out;
	}
	st = sign_data(ctx->signer, ctx->sha256, (const uint8_t *)data.p,
		       data.len, &sig, &siglen);
	if (st != SK_OK) {
		st = sk__err(err, st, "signing failed");
		goto out;
	}
	b64 = sk__base64_encode(sig, siglen);
	if (b64 == NULL)
		goto nomem;
	fold_b(&f, b64);
	if (f.st != SK_OK) {
		st = sk__err(err, f.st, "signature field too big");
		goto out;
	}
	*header = sk__buf_take(&field);
	if (*header == NULL)
		goto nomem;
	st = SK_OK;
	goto out;
nomem:
	st = sk__err(err, SK_ENOMEM, "out of memory");
out:
	sk__free(names);
	sk__free(bh);
	sk__free(b64);
	sk__free(sig);
	sk__buf_free(&h);
	sk__buf_free(&field);
	sk__buf_free(&data);
	sk_dkim_sign_free(ctx);
	return st;
}
