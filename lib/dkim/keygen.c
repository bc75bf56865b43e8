/*
 * lib/dkim/keygen.c - generate a DKIM key pair and the record to publish
 * (RFC 6376 section 3.6.1; RSA sizes per RFC 8301 section 3.2; Ed25519
 * records per RFC 8463 section 4), and format the record as a zone-file
 * line with character-strings of at most 255 bytes (RFC 1035 sections
 * 3.3 and 5.1).
 *
 * The private key goes from OpenSSL to a secure-memory BIO (wiped when
 * freed) to the file, and nowhere else.  Without `force` the file is
 * created with O_EXCL; with it, the key is written to a temporary file
 * in the same directory and renamed over the old one, so that a crash
 * leaves either the old key or the whole new one.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "dkim_internal.h"

#define SK_DKIM_RSA_MAX_BITS 8192

static sk_status
write_all(int fd, const char *data, size_t len, const char *path,
	  struct sk_err *err)
{
	while (len > 0) {
		ssize_t n = write(fd, data, len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return sk__err(err, SK_EIO, "cannot write %s: %s", path,
				       n < 0 ? strerror(errno) : "short write");
		data += n;
		len -= (size_t)n;
	}
	if (fsync(fd) != 0)
		return sk__err(err, SK_EIO, "cannot sync %s: %s", path,
			       strerror(errno));
	return SK_OK;
}

/* Write the PEM to a new file: O_EXCL, 0600, never through a symlink. */
static sk_status
write_new(const char *path, const char *pem, size_t len, struct sk_err *err)
{
	sk_status st;
	int fd;

	fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
		  0600);
	if (fd < 0) {
		if (errno == EEXIST)
			return sk__err(err, SK_EEXIST, "%s exists; not "
				       "overwriting a key without force",
				       path);
		return sk__err(err, SK_EIO, "cannot create %s: %s", path,
			       strerror(errno));
	}
	st = write_all(fd, pem, len, path, err);
	if (close(fd) != 0 && st == SK_OK)
		st = sk__err(err, SK_EIO, "cannot close %s: %s", path,
			     strerror(errno));
	if (st != SK_OK)
		unlink(path);
	return st;
}

/* Replace the file: a temporary file in the same directory, renamed. */
static sk_status
write_replace(const char *path, const char *pem, size_t len,
	      struct sk_err *err)
{
	struct sk_buf tmp;
	sk_status st;
	int fd;

	sk__buf_init(&tmp, 4096);
	st = sk__buf_printf(&tmp, "%s.XXXXXX", path);
	if (st != SK_OK) {
		sk__buf_free(&tmp);
		return sk__err(err, st, "key file name too long");
	}
	/* mkstemp opens with O_EXCL and mode 0600. */
	fd = mkstemp(tmp.p);
	if (fd < 0) {
		st = sk__err(err, SK_EIO, "cannot create a temporary file "
			     "next to %s: %s", path, strerror(errno));
		sk__buf_free(&tmp);
		return st;
	}
	if (fchmod(fd, 0600) != 0)
		st = sk__err(err, SK_EIO, "cannot chmod %s: %s", tmp.p,
			     strerror(errno));
	if (st == SK_OK)
		st = write_all(fd, pem, len, tmp.p, err);
	if (close(fd) != 0 && st == SK_OK)
		st = sk__err(err, SK_EIO, "cannot close %s: %s", tmp.p,
			     strerror(errno));
	if (st == SK_OK && rename(tmp.p, path) != 0)
		st = sk__err(err, SK_EIO, "cannot rename %s to %s: %s", tmp.p,
			     path, strerror(errno));
	if (st != SK_OK)
		unlink(tmp.p);
	sk__buf_free(&tmp);
	return st;
}

/* "v=DKIM1; k=...; p=<base64>" for the public half of pk. */
static sk_status
make_record(EVP_PKEY *pk, enum sk_dkim_keytype type, char **out,
	    struct sk_err *err)
{
	unsigned char *der = NULL;
	uint8_t raw[32];
	size_t rawlen = sizeof(raw);
	char *b64;
	struct sk_buf b;
	sk_status st;
	int dlen;

	if (type == SK_DKIM_KEY_RSA) {
		dlen = i2d_PUBKEY(pk, &der);
		if (dlen <= 0) {
			ERR_clear_error();
			return sk__err(err, SK_ECRYPTO, "cannot encode the "
				       "public key");
		}
		b64 = sk__base64_encode(der, (size_t)dlen);
		OPENSSL_free(der);
	} else {
		if (EVP_PKEY_get_raw_public_key(pk, raw, &rawlen) != 1 ||
		    rawlen != sizeof(raw)) {
			ERR_clear_error();
			return sk__err(err, SK_ECRYPTO, "cannot read the "
				       "Ed25519 public key");
		}
		b64 = sk__base64_encode(raw, rawlen);
	}
	if (b64 == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	sk__buf_init(&b, SK_DKIM_MAX_TAGLIST);
	st = sk__buf_printf(&b, "v=DKIM1; k=%s; p=%s",
			    sk_dkim_keytype_str(type), b64);
	sk__free(b64);
	if (st == SK_OK) {
		*out = sk__buf_take(&b);
		if (*out == NULL)
			st = SK_ENOMEM;
	}
	sk__buf_free(&b);
	if (st != SK_OK)
		return sk__err(err, st, "cannot build the key record");
	return SK_OK;
}

SK_API sk_status
sk_dkim_keygen(const struct sk_dkim_keygen_opts *opts, const char *path,
	       char **record, struct sk_err *err)
{
	struct sk_dkim_keygen_opts def = {.type = SK_DKIM_KEY_RSA};
	EVP_PKEY *pk = NULL;
	BIO *bio = NULL;
	char *pem = NULL, *rec = NULL;
	long pemlen;
	unsigned bits;
	struct stat sb;
	sk_status st;

	if (path == NULL || path[0] == '\0' || record == NULL)
		return sk__err(err, SK_EINVAL, "no key file or no output");
	*record = NULL;
	if (opts == NULL)
		opts = &def;
	bits = opts->bits ? opts->bits : SK_DKIM_RSA_GOOD_BITS;
	if (opts->type == SK_DKIM_KEY_RSA) {
		if (bits < SK_DKIM_RSA_MIN_BITS)
			return sk__err(err, SK_EINVAL, "RSA keys of %u bits "
				       "are refused by verifiers; RFC 8301 "
				       "section 3.2 requires at least %d",
				       bits, SK_DKIM_RSA_MIN_BITS);
		if (bits > SK_DKIM_RSA_MAX_BITS)
			return sk__err(err, SK_EINVAL, "RSA keys of %u bits "
				       "are over the limit of %d", bits,
				       SK_DKIM_RSA_MAX_BITS);
	} else if (opts->type != SK_DKIM_KEY_ED25519) {
		return sk__err(err, SK_EINVAL, "key type must be rsa or "
			       "ed25519");
	}
	/* Refuse an existing file before spending time on the key. */
	if (!opts->force) {
		if (lstat(path, &sb) == 0)
			return sk__err(err, SK_EEXIST, "%s exists; not "
				       "overwriting a key without force",
				       path);
	}

	if (opts->type == SK_DKIM_KEY_RSA)
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	else
		pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	if (pk == NULL) {
		ERR_clear_error();
		return sk__err(err, SK_ECRYPTO, "key generation failed");
	}
	st = make_record(pk, opts->type, &rec, err);
	if (st != SK_OK)
		goto out;

	/* PKCS#8 PEM into memory that is wiped when the BIO is freed. */
	bio = BIO_new(BIO_s_secmem());
	if (bio == NULL ||
	    PEM_write_bio_PKCS8PrivateKey(bio, pk, NULL, NULL, 0, NULL,
					  NULL) != 1) {
		ERR_clear_error();
		st = sk__err(err, SK_ECRYPTO, "cannot encode the private "
			     "key");
		goto out;
	}
	pemlen = BIO_get_mem_data(bio, &pem);
	if (pemlen <= 0 || pem == NULL) {
		st = sk__err(err, SK_ECRYPTO, "cannot encode the private "
			     "key");
		goto out;
	}
	if (opts->force)
		st = write_replace(path, pem, (size_t)pemlen, err);
	else
		st = write_new(path, pem, (size_t)pemlen, err);
	if (st != SK_OK)
		goto out;
	*record = rec;
	rec = NULL;
out:
	BIO_free(bio);
	EVP_PKEY_free(pk);
	sk__free(rec);
	return st;
}

/* Append s[0..n) as the inside of a zone-file character-string. */
static sk_status
add_quoted(struct sk_buf *b, const char *s, size_t n)
{
	sk_status st = sk__buf_addc(b, '"');

	for (size_t i = 0; i < n && st == SK_OK; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			st = sk__buf_addc(b, '\\');
			if (st == SK_OK)
				st = sk__buf_addc(b, (char)c);
		} else if (c < 0x20 || c > 0x7e) {
			st = sk__buf_printf(b, "\\%03u", c);
		} else {
			st = sk__buf_addc(b, (char)c);
		}
	}
	if (st == SK_OK)
		st = sk__buf_addc(b, '"');
	return st;
}

SK_API sk_status
sk_dkim_record_zone_line(const char *domain, const char *selector,
			 const char *record, unsigned ttl, char **out,
			 struct sk_err *err)
{
	struct sk_buf b;
	size_t dlen, slen, rlen, nstr;
	sk_status st;

	if (domain == NULL || selector == NULL || record == NULL ||
	    out == NULL)
		return sk__err(err, SK_EINVAL, "missing argument");
	*out = NULL;
	dlen = strlen(domain);
	slen = strlen(selector);
	rlen = strlen(record);
	if (!sk__dkim_qname_ok(domain, &dlen, true))
		return sk__err(err, SK_EINVAL, "\"%s\" is not a valid domain "
			       "name", domain);
	if (!sk__dkim_qname_ok(selector, &slen, false))
		return sk__err(err, SK_EINVAL, "\"%s\" is not a valid DKIM "
			       "selector", selector);
	if (slen + dlen + sizeof("._domainkey.") - 1 > 253)
		return sk__err(err, SK_EINVAL, "%s._domainkey.%s is longer "
			       "than a DNS name can be", selector, domain);
	if (rlen == 0)
		return sk__err(err, SK_EINVAL, "empty key record");
	if (rlen > SK_DKIM_MAX_TAGLIST)
		return sk__err(err, SK_ETOOBIG, "key record of %zu bytes is "
			       "over the limit of %d", rlen,
			       SK_DKIM_MAX_TAGLIST);
	nstr = (rlen + SK_DNS_MAX_TXT_STRING - 1) / SK_DNS_MAX_TXT_STRING;
	/* Worst case: every byte escaped as \DDD, plus quotes and spaces. */
	sk__buf_init(&b, 512 + rlen * 4 + nstr * 3);
	st = sk__buf_printf(&b, "%.*s._domainkey.%.*s. %u IN TXT ",
			    (int)slen, selector, (int)dlen, domain, ttl);
	if (st == SK_OK && nstr > 1)
		st = sk__buf_adds(&b, "(");
	for (size_t off = 0; off < rlen && st == SK_OK;
	     off += SK_DNS_MAX_TXT_STRING) {
		size_t n = rlen - off;

		if (n > SK_DNS_MAX_TXT_STRING)
			n = SK_DNS_MAX_TXT_STRING;
		if (nstr > 1)
			st = sk__buf_addc(&b, ' ');
		if (st == SK_OK)
			st = add_quoted(&b, record + off, n);
	}
	if (st == SK_OK && nstr > 1)
		st = sk__buf_adds(&b, " )");
	if (st == SK_OK) {
		*out = sk__buf_take(&b);
		if (*out == NULL)
			st = SK_ENOMEM;
	}
	sk__buf_free(&b);
	if (st != SK_OK)
		return sk__err(err, st, "cannot format the zone line");
	return SK_OK;
}
