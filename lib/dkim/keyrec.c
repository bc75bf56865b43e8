/*
 * lib/dkim/keyrec.c - DKIM key records: parse (RFC 6376 section 3.6.1,
 * Ed25519 keys per RFC 8463 section 4), lint a record and what a domain
 * publishes at <selector>._domainkey.<domain> (RFC 6376 sections 3.6.2.1
 * and 3.6.2.2), RSA key sizes per RFC 8301 section 3.2; names of the
 * DKIM enums.
 *
 * One scanner serves both the parser and the lint: in parse mode the first
 * problem that makes the record unusable ends the scan with SK_ESYNTAX; in
 * lint mode every problem becomes a finding and the scan goes on where it
 * can.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include "dkim_internal.h"

#define REF_KEYREC "RFC 6376 section 3.6.1"
#define REF_TAGLIST "RFC 6376 section 3.2"
#define REF_8301 "RFC 8301 section 3.2"
#define REF_8463 "RFC 8463 section 4"
#define REF_DNS "RFC 6376 section 3.6.2.2"
#define REF_TXT "RFC 1035 section 3.3.14"

/* A decoded p= is never longer than a tag-list; fits a long for d2i. */
#define MAX_DER ((size_t)SK_DKIM_MAX_TAGLIST)

/* The public struct plus the storage its const pointers point into. */
struct keyimpl {
	struct sk_dkim_key k; /* first: sk_dkim_key_free casts back */
	char *v, *h, *kt, *n, *p, *s, *t;
	uint8_t *pub;
	size_t publen;
	EVP_PKEY *pkey; /* the decoded key, kept for the verifier */
};

/* Keep pk as the record's decoded key (replacing one kept before). */
static void
keep_pkey(struct keyimpl *ki, EVP_PKEY *pk)
{
	EVP_PKEY_free(ki->pkey);
	ki->pkey = pk;
}

EVP_PKEY *
sk__dkim_key_pkey(const struct sk_dkim_key *key)
{
	return key != NULL ? ((const struct keyimpl *)key)->pkey : NULL;
}

/* Where a scan reports: NULL findings means parse mode. */
struct scan {
	struct sk_findings *f;
	const char *subject;
	struct sk_err *err;
	/* Lint of a record given as quoted strings: offsets in the
	 * concatenated text map back to the input through map[]. */
	const size_t *map;
	size_t maplen;
};

static size_t
map_off(const struct scan *sc, size_t off)
{
	if (sc->map == NULL || off == SK_NO_OFFSET)
		return off;
	if (off < sc->maplen)
		return sc->map[off];
	return sc->maplen > 0 ? sc->map[sc->maplen - 1] + 1 : 0;
}

SK_API const char *
sk_dkim_alg_str(enum sk_dkim_alg a)
{
	switch (a) {
	case SK_DKIM_RSA_SHA256:
		return "rsa-sha256";
	case SK_DKIM_ED25519_SHA256:
		return "ed25519-sha256";
	case SK_DKIM_RSA_SHA1:
		return "rsa-sha1";
	}
	return "unknown";
}

SK_API const char *
sk_dkim_canon_str(enum sk_dkim_canon c)
{
	switch (c) {
	case SK_DKIM_SIMPLE:
		return "simple";
	case SK_DKIM_RELAXED:
		return "relaxed";
	}
	return "unknown";
}

SK_API const char *
sk_dkim_keytype_str(enum sk_dkim_keytype k)
{
	switch (k) {
	case SK_DKIM_KEY_RSA:
		return "rsa";
	case SK_DKIM_KEY_ED25519:
		return "ed25519";
	case SK_DKIM_KEY_UNKNOWN:
		return "unknown";
	}
	return "unknown";
}

SK_API const char *
sk_dkim_result_str(enum sk_dkim_result r)
{
	switch (r) {
	case SK_DKIM_NONE:
		return "none";
	case SK_DKIM_PASS:
		return "pass";
	case SK_DKIM_FAIL:
		return "fail";
	case SK_DKIM_NEUTRAL:
		return "neutral";
	case SK_DKIM_TEMPERROR:
		return "temperror";
	case SK_DKIM_PERMERROR:
		return "permerror";
	}
	return "unknown";
}

SK_API void
sk_dkim_key_free(struct sk_dkim_key *key)
{
	struct keyimpl *ki = (struct keyimpl *)key;

	if (ki == NULL)
		return;
	sk__free(ki->v);
	sk__free(ki->h);
	sk__free(ki->kt);
	sk__free(ki->n);
	sk__free(ki->p);
	sk__free(ki->s);
	sk__free(ki->t);
	sk__free(ki->pub);
	EVP_PKEY_free(ki->pkey);
	sk__free(ki);
}

/*
 * A problem that makes the record unusable: a finding in lint mode
 * (returns SK_OK so the scan goes on), SK_ESYNTAX with the message in
 * parse mode.
 */
static sk_status SK_PRINTF(6, 7)
fatal(struct scan *sc, const char *id, size_t offset, const char *ref,
      sk_status code, const char *fmt, ...)
{
	char msg[SK_ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	if (sc->f != NULL) {
		sk__findings_vadd(sc->f, SK_SEV_ERROR, id, sc->subject,
				  map_off(sc, offset), ref, fmt, ap);
		va_end(ap);
		return SK_OK;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sk__err_at(sc->err, code, offset, "%s", msg);
}

/* A lint-only finding; nothing in parse mode. */
static void SK_PRINTF(6, 7)
note(struct scan *sc, enum sk_severity sev, const char *id, size_t offset,
     const char *ref, const char *fmt, ...)
{
	va_list ap;

	if (sc->f == NULL)
		return;
	va_start(ap, fmt);
	sk__findings_vadd(sc->f, sev, id, sc->subject, map_off(sc, offset),
			  ref, fmt, ap);
	va_end(ap);
}

/* Does the colon-separated list (FWS already removed) hold one of the
 * two names (the second may be NULL)?  Comparison ignores case. */
static bool
list_has(const char *list, const char *a, const char *b)
{
	const char *p = list;

	for (;;) {
		const char *c = strchr(p, ':');
		size_t n = c != NULL ? (size_t)(c - p) : strlen(p);

		if (sk__eq_nocase_z(p, n, a) ||
		    (b != NULL && sk__eq_nocase_z(p, n, b)))
			return true;
		if (c == NULL)
			return false;
		p = c + 1;
	}
}

/* Copy a tag's value without FWS into *dst; ENOMEM only. */
static sk_status
take_stripped(const struct sk__dkim_tag *t, char **dst, struct sk_err *err)
{
	*dst = sk__dkim_strip_fws(t->value, t->value_len);
	if (*dst == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	return SK_OK;
}

static sk_status
take_default(const char *s, char **dst, struct sk_err *err)
{
	*dst = sk__strdup(s);
	if (*dst == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	return SK_OK;
}

enum decode {
	DEC_OK,
	DEC_MISMATCH,
	DEC_INVALID,
};

/* Type of an SPKI, or EVP_PKEY_NONE when pub is not one. */
static int
spki_type(const uint8_t *pub, size_t len)
{
	const unsigned char *p = pub;
	EVP_PKEY *pk;
	int id = EVP_PKEY_NONE;

	if (len > MAX_DER)
		return EVP_PKEY_NONE;
	pk = d2i_PUBKEY(NULL, &p, (long)len);
	if (pk != NULL && p == pub + len)
		id = EVP_PKEY_get_base_id(pk);
	EVP_PKEY_free(pk);
	ERR_clear_error();
	return id;
}

/*
 * RSA: p= is a DER SubjectPublicKeyInfo (section 3.6.1); a bare PKCS#1
 * RSAPublicKey is accepted too and converted to SPKI so that ki->pub is
 * always SPKI.  *why receives a sentence for DEC_MISMATCH/DEC_INVALID.
 */
static enum decode
decode_rsa(struct keyimpl *ki, bool *pkcs1, char *why, size_t whylen,
	   sk_status *st)
{
	const unsigned char *p = ki->pub;
	EVP_PKEY *pk;
	int id;

	*pkcs1 = false;
	if (ki->publen > MAX_DER) {
		snprintf(why, whylen, "p= is too long to be a key");
		return DEC_INVALID;
	}
	pk = d2i_PUBKEY(NULL, &p, (long)ki->publen);
	if (pk != NULL && p == ki->pub + ki->publen) {
		id = EVP_PKEY_get_base_id(pk);
		if (id == EVP_PKEY_RSA) {
			ki->k.bits = (unsigned)EVP_PKEY_get_bits(pk);
			keep_pkey(ki, pk);
			return DEC_OK;
		}
		EVP_PKEY_free(pk);
		ERR_clear_error();
		snprintf(why, whylen, "p= holds %s key but k= says rsa",
			 id == EVP_PKEY_ED25519 ? "an Ed25519" :
						  "a non-RSA");
		return DEC_MISMATCH;
	}
	EVP_PKEY_free(pk);
	ERR_clear_error();
	p = ki->pub;
	pk = d2i_PublicKey(EVP_PKEY_RSA, NULL, &p, (long)ki->publen);
	if (pk != NULL && p == ki->pub + ki->publen) {
		unsigned char *der = NULL;
		int dlen = i2d_PUBKEY(pk, &der);
		uint8_t *copy;

		ki->k.bits = (unsigned)EVP_PKEY_get_bits(pk);
		keep_pkey(ki, pk);
		if (dlen <= 0) {
			ERR_clear_error();
			*st = SK_ECRYPTO;
			return DEC_INVALID;
		}
		copy = sk__malloc((size_t)dlen);
		if (copy == NULL) {
			OPENSSL_free(der);
			*st = SK_ENOMEM;
			return DEC_INVALID;
		}
		memcpy(copy, der, (size_t)dlen);
		OPENSSL_free(der);
		sk__free(ki->pub);
		ki->pub = copy;
		ki->publen = (size_t)dlen;
		*pkcs1 = true;
		return DEC_OK;
	}
	EVP_PKEY_free(pk);
	ERR_clear_error();
	if (ki->publen == 32) {
		snprintf(why, whylen, "p= holds 32 bytes, the size of a raw "
			 "Ed25519 key, but k= says rsa");
		return DEC_MISMATCH;
	}
	snprintf(why, whylen, "p= (%zu bytes) does not decode as an RSA "
		 "public key", ki->publen);
	return DEC_INVALID;
}

/* Ed25519: p= is the raw 32-byte public key (RFC 8463 section 4). */
static enum decode
decode_ed25519(struct keyimpl *ki, char *why, size_t whylen)
{
	EVP_PKEY *pk;
	int id;

	if (ki->publen == 32) {
		pk = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL,
						 ki->pub, 32);
		if (pk != NULL) {
			keep_pkey(ki, pk);
			ki->k.bits = 256;
			return DEC_OK;
		}
		ERR_clear_error();
		snprintf(why, whylen, "p= is not a valid Ed25519 key");
		return DEC_INVALID;
	}
	id = spki_type(ki->pub, ki->publen);
	if (id == EVP_PKEY_RSA) {
		snprintf(why, whylen, "p= holds an RSA key but k= says "
			 "ed25519");
		return DEC_MISMATCH;
	}
	if (id == EVP_PKEY_ED25519) {
		snprintf(why, whylen, "p= holds an Ed25519 key wrapped in a "
			 "SubjectPublicKeyInfo; RFC 8463 wants the raw 32 "
			 "bytes");
		return DEC_INVALID;
	}
	snprintf(why, whylen, "p= has %zu bytes; an Ed25519 key has 32",
		 ki->publen);
	return DEC_INVALID;
}

/* p=: base64, then the key itself according to k=. */
static sk_status
scan_key(struct scan *sc, struct keyimpl *ki, const struct sk__dkim_tag *tp)
{
	struct sk_err e;
	char why[160];
	enum decode d = DEC_OK;
	sk_status st;
	bool pkcs1 = false;

	st = take_stripped(tp, &ki->p, sc->err);
	if (st != SK_OK)
		return st;
	ki->k.p = ki->p;
	if (ki->p[0] == '\0') {
		/* Section 3.6.1: "An empty value means that this public
		 * key has been revoked." */
		ki->k.revoked = true;
		note(sc, SK_SEV_ERROR, "dkim-revoked", tp->value_offset,
		     REF_KEYREC, "the key is revoked (empty p=): every "
		     "signature made with this selector fails");
		return SK_OK;
	}
	st = sk__base64_decode(tp->value, tp->value_len, &ki->pub,
			       &ki->publen, &e);
	if (st == SK_ENOMEM)
		return sk__err(sc->err, st, "out of memory");
	if (st != SK_OK)
		return fatal(sc, "dkim-base64", tp->value_offset + e.offset,
			     REF_KEYREC, SK_ESYNTAX, "p= is not valid "
			     "base64: %s", e.msg);
	ki->k.pub = ki->pub;
	ki->k.publen = ki->publen;
	st = SK_OK;
	switch (ki->k.type) {
	case SK_DKIM_KEY_RSA:
		d = decode_rsa(ki, &pkcs1, why, sizeof(why), &st);
		if (st != SK_OK)
			return sk__err(sc->err, st, "cannot convert the "
				       "PKCS#1 key");
		break;
	case SK_DKIM_KEY_ED25519:
		d = decode_ed25519(ki, why, sizeof(why));
		break;
	case SK_DKIM_KEY_UNKNOWN:
		return SK_OK; /* nothing to decode against */
	}
	ki->k.pub = ki->pub;
	ki->k.publen = ki->publen;
	if (d == DEC_MISMATCH) {
		ki->k.bits = 0;
		return fatal(sc, "dkim-key-type-mismatch", tp->value_offset,
			     REF_KEYREC, SK_ESYNTAX, "%s", why);
	}
	if (d == DEC_INVALID) {
		ki->k.bits = 0;
		return fatal(sc, "dkim-key-invalid", tp->value_offset,
			     ki->k.type == SK_DKIM_KEY_ED25519 ? REF_8463 :
								  REF_KEYREC,
			     SK_ESYNTAX, "%s", why);
	}
	if (pkcs1)
		note(sc, SK_SEV_INFO, "dkim-pkcs1-key", tp->value_offset,
		     REF_KEYREC, "p= is a bare PKCS#1 RSAPublicKey; the RFC "
		     "wants a SubjectPublicKeyInfo, which some verifiers "
		     "require");
	if (ki->k.type == SK_DKIM_KEY_RSA) {
		if (ki->k.bits < SK_DKIM_RSA_MIN_BITS)
			note(sc, SK_SEV_ERROR, "dkim-key-too-small",
			     tp->value_offset, REF_8301, "the RSA key has %u "
			     "bits; verifiers refuse keys under %d bits",
			     ki->k.bits, SK_DKIM_RSA_MIN_BITS);
		else if (ki->k.bits < SK_DKIM_RSA_GOOD_BITS)
			note(sc, SK_SEV_WARNING, "dkim-key-weak",
			     tp->value_offset, REF_8301, "the RSA key has %u "
			     "bits; %d bits are recommended", ki->k.bits,
			     SK_DKIM_RSA_GOOD_BITS);
	}
	return SK_OK;
}

/* The scan shared by parse and lint.  Returns SK_OK (lint mode: also
 * with findings), SK_ESYNTAX/SK_ETOOBIG (parse mode), SK_ENOMEM. */
static sk_status
scan_record(struct scan *sc, const char *text, size_t len,
	    struct keyimpl *ki)
{
	struct sk__dkim_tag tags[SK__DKIM_MAX_TAGS];
	const struct sk__dkim_tag *t;
	struct sk_err e;
	size_t ntags;
	sk_status st;

	st = sk__dkim_tags_parse(text, len, tags, SK__DKIM_MAX_TAGS, &ntags,
				 &e);
	if (st == SK_ENOMEM || st == SK_EINVAL)
		return sk__err(sc->err, st, "%s", e.msg);
	if (st != SK_OK) {
		if (sc->f == NULL)
			return sk__err_at(sc->err, st, e.offset, "%s", e.msg);
		return fatal(sc, "dkim-syntax", e.offset, REF_TAGLIST, st,
			     "%s", e.msg);
	}

	/* v=: "MUST be the first tag" and "MUST be set to DKIM1". */
	t = sk__dkim_tag_find(tags, ntags, "v");
	if (t != NULL) {
		if (t != &tags[0]) {
			st = fatal(sc, "dkim-version", t->offset, REF_KEYREC,
				   SK_ESYNTAX, "v= must be the first tag of "
				   "the record");
			if (st != SK_OK)
				return st;
		}
		st = take_stripped(t, &ki->v, sc->err);
		if (st != SK_OK)
			return st;
		ki->k.v = ki->v;
		if (strcmp(ki->v, "DKIM1") != 0) {
			st = fatal(sc, "dkim-version", t->value_offset,
				   REF_KEYREC, SK_ESYNTAX, "v=%.*s is not "
				   "\"DKIM1\"; verifiers discard the record",
				   (int)t->value_len, t->value);
			if (st != SK_OK)
				return st;
		}
	}

	/* h=: unknown algorithms are ignored; without sha256 the key
	 * cannot verify any signature RFC 8301 allows. */
	t = sk__dkim_tag_find(tags, ntags, "h");
	if (t != NULL) {
		st = take_stripped(t, &ki->h, sc->err);
		if (st != SK_OK)
			return st;
		ki->k.h = ki->h;
		if (!list_has(ki->h, "sha256", NULL))
			note(sc, SK_SEV_ERROR, "dkim-hash-no-sha256",
			     t->value_offset, REF_KEYREC, "h=%s does not "
			     "allow sha256, the only hash verifiers accept",
			     ki->h);
	}

	/* k=: default rsa; ed25519 from RFC 8463. */
	t = sk__dkim_tag_find(tags, ntags, "k");
	st = t != NULL ? take_stripped(t, &ki->kt, sc->err) :
			 take_default("rsa", &ki->kt, sc->err);
	if (st != SK_OK)
		return st;
	ki->k.k = ki->kt;
	if (sk__eq_nocase_z(ki->kt, strlen(ki->kt), "rsa")) {
		ki->k.type = SK_DKIM_KEY_RSA;
	} else if (sk__eq_nocase_z(ki->kt, strlen(ki->kt), "ed25519")) {
		ki->k.type = SK_DKIM_KEY_ED25519;
	} else {
		ki->k.type = SK_DKIM_KEY_UNKNOWN;
		note(sc, SK_SEV_ERROR, "dkim-key-type-unknown",
		     t->value_offset, REF_KEYREC, "k=%s is not a known key "
		     "type (rsa or ed25519); verifiers ignore the key",
		     ki->kt);
	}

	t = sk__dkim_tag_find(tags, ntags, "n");
	if (t != NULL) {
		ki->n = sk__strndup(t->value, t->value_len);
		if (ki->n == NULL)
			return sk__err(sc->err, SK_ENOMEM, "out of memory");
		ki->k.n = ki->n;
	}

	/* s=: "*" or "email" is needed for mail signatures. */
	t = sk__dkim_tag_find(tags, ntags, "s");
	st = t != NULL ? take_stripped(t, &ki->s, sc->err) :
			 take_default("*", &ki->s, sc->err);
	if (st != SK_OK)
		return st;
	ki->k.s = ki->s;
	if (!list_has(ki->s, "*", "email"))
		note(sc, SK_SEV_ERROR, "dkim-service-not-email",
		     t->value_offset, REF_KEYREC, "s=%s does not include "
		     "\"email\" or \"*\": the key cannot verify mail",
		     ki->s);

	/* t=: flags y and s; unknown flags are ignored. */
	t = sk__dkim_tag_find(tags, ntags, "t");
	if (t != NULL) {
		st = take_stripped(t, &ki->t, sc->err);
		if (st != SK_OK)
			return st;
		ki->k.t = ki->t;
		ki->k.testing = list_has(ki->t, "y", NULL);
		ki->k.strict = list_has(ki->t, "s", NULL);
		if (ki->k.testing)
			note(sc, SK_SEV_WARNING, "dkim-testing",
			     t->value_offset, REF_KEYREC, "t=y: the domain "
			     "is testing DKIM; receivers may treat failed "
			     "signatures as no signature");
	}

	/* p=: required. */
	t = sk__dkim_tag_find(tags, ntags, "p");
	if (t == NULL)
		return fatal(sc, "dkim-syntax", SK_NO_OFFSET, REF_KEYREC,
			     SK_ESYNTAX, "the record has no p= tag");
	return scan_key(sc, ki, t);
}

SK_API sk_status
sk_dkim_key_parse(const char *text, size_t len, struct sk_dkim_key **out,
		  struct sk_err *err)
{
	struct scan sc = {.err = err};
	struct keyimpl *ki;
	sk_status st;

	if (out == NULL || (text == NULL && len > 0))
		return sk__err(err, SK_EINVAL, "no key record or no output");
	*out = NULL;
	if (len > SK_DKIM_MAX_TAGLIST)
		return sk__err_at(err, SK_ETOOBIG, SK_DKIM_MAX_TAGLIST,
				  "key record of %zu bytes is over the limit "
				  "of %d", len, SK_DKIM_MAX_TAGLIST);
	ki = sk__calloc(1, sizeof(*ki));
	if (ki == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	st = scan_record(&sc, text, len, ki);
	if (st != SK_OK) {
		sk_dkim_key_free(&ki->k);
		return st;
	}
	*out = &ki->k;
	return SK_OK;
}

/* Lint one record's text into f; map as in struct scan. */
static sk_status
lint_text(struct sk_findings *f, const char *subject, const char *text,
	  size_t len, const size_t *map, struct sk_err *err)
{
	struct scan sc = {
		.f = f, .subject = subject, .err = err, .map = map,
		.maplen = len,
	};
	struct keyimpl *ki;
	sk_status st;

	if (len > SK_DKIM_MAX_TAGLIST) {
		sk__findings_add(f, SK_SEV_ERROR, "dkim-syntax", subject,
				 SK_NO_OFFSET, REF_KEYREC,
				 "the record has %zu bytes, over the limit "
				 "of %d", len, SK_DKIM_MAX_TAGLIST);
		return SK_OK;
	}
	ki = sk__calloc(1, sizeof(*ki));
	if (ki == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	st = scan_record(&sc, text, len, ki);
	sk_dkim_key_free(&ki->k);
	return st;
}

static sk_status
finish_findings(struct sk_findings *f, sk_status st,
		struct sk_findings **out, struct sk_err *err)
{
	if (st == SK_OK && sk__findings_status(f) != SK_OK)
		st = sk__err(err, SK_ENOMEM, "out of memory");
	if (st != SK_OK) {
		sk_findings_free(f);
		return st;
	}
	sk__findings_sort(f);
	*out = f;
	return SK_OK;
}

static bool
is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* A record in zone-file form: "..." "..." or ( "..." ... ). */
static bool
is_quoted(const char *text, size_t len)
{
	size_t i = 0;

	while (i < len && is_ws(text[i]))
		i++;
	return i < len && (text[i] == '"' || text[i] == '(');
}

/*
 * Lint a record given as zone-file character-strings (RFC 1035 section
 * 5.1: \X and \DDD escapes): each string must fit in 255 bytes (section
 * 3.3); the strings are concatenated (RFC 6376 section 3.6.2.2) and the
 * result linted, with offsets mapped back to the input.
 */
static sk_status
lint_quoted(struct sk_findings *f, const char *text, size_t len,
	    struct sk_err *err)
{
	struct sk_buf b;
	size_t *map, i = 0, nstr = 0;
	bool paren = false;
	sk_status st = SK_OK;

	map = sk__calloc(len + 1, sizeof(*map));
	if (map == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	sk__buf_init(&b, len + 1);
	for (;;) {
		size_t start, slen = 0;

		while (i < len && is_ws(text[i]))
			i++;
		if (i == len)
			break;
		if (text[i] == '(' && !paren && nstr == 0) {
			paren = true;
			i++;
			continue;
		}
		if (text[i] == ')' && paren) {
			paren = false;
			i++;
			while (i < len && is_ws(text[i]))
				i++;
			if (i < len)
				goto syntax;
			break;
		}
		if (text[i] != '"')
			goto syntax;
		start = i++;
		while (i < len && text[i] != '"') {
			unsigned char c = (unsigned char)text[i];
			size_t at = i;

			if (c == '\\') {
				if (i + 3 < len && sk__isdigit(text[i + 1]) &&
				    sk__isdigit(text[i + 2]) &&
				    sk__isdigit(text[i + 3])) {
					unsigned v = (unsigned)(text[i + 1] -
								'0') * 100 +
						     (unsigned)(text[i + 2] -
								'0') * 10 +
						     (unsigned)(text[i + 3] -
								'0');
					if (v > 255) {
						i++;
						goto syntax;
					}
					c = (unsigned char)v;
					i += 4;
				} else if (i + 1 < len) {
					c = (unsigned char)text[i + 1];
					i += 2;
				} else {
					i++;
					goto syntax;
				}
			} else {
				i++;
			}
			map[b.len] = at;
			st = sk__buf_addc(&b, (char)c);
			if (st != SK_OK)
				goto out;
			slen++;
		}
		if (i == len) {
			i = start;
			goto syntax;
		}
		i++; /* closing quote */
		nstr++;
		if (slen > SK_DNS_MAX_TXT_STRING)
			sk__findings_add(f, SK_SEV_ERROR,
					 "dkim-string-too-long", "record",
					 start, REF_TXT, "string %zu has %zu "
					 "bytes; a DNS TXT string holds at "
					 "most %d, so split it in several",
					 nstr, slen, SK_DNS_MAX_TXT_STRING);
	}
	if (paren) {
		i = len;
		goto syntax;
	}
	st = lint_text(f, "record", b.p != NULL ? b.p : "", b.len, map, err);
	goto out;
syntax:
	sk__findings_add(f, SK_SEV_ERROR, "dkim-syntax", "record", i,
			 REF_TXT, "cannot read the record as quoted DNS "
			 "strings (offset %zu)", i);
out:
	if (st == SK_ENOMEM)
		sk__err(err, st, "out of memory");
	sk__buf_free(&b);
	sk__free(map);
	return st;
}

SK_API sk_status
sk_dkim_lint_record(const char *text, size_t len, struct sk_findings **out,
		    struct sk_err *err)
{
	struct sk_findings *f;
	sk_status st;

	if (out == NULL || (text == NULL && len > 0))
		return sk__err(err, SK_EINVAL, "no key record or no output");
	*out = NULL;
	f = sk__findings_new();
	if (f == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	if (is_quoted(text, len))
		st = lint_quoted(f, text, len, err);
	else
		st = lint_text(f, "record", text, len, NULL, err);
	return finish_findings(f, st, out, err);
}

/* Names we ask about: RFC 1035 section 2.3.4 limits (see the header). */
bool
sk__dkim_qname_ok(const char *s, size_t *len, bool trailing)
{
	size_t n = *len, label = 0;

	if (trailing && n > 1 && s[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (label == 0)
				return false;
			label = 0;
			continue;
		}
		if (!sk__isalnum(c) && c != '-' && c != '_')
			return false;
		if (++label > SK_DNS_MAX_LABEL)
			return false;
	}
	if (label == 0)
		return false;
	*len = n;
	return true;
}

/* Does a TXT look like a DKIM key record: starts with v=DKIM1, or has
 * a p= tag (at the start or after a ';')? */
static bool
looks_like_key(const char *s, size_t len)
{
	size_t i = 0;
	bool boundary = true;

	while (i < len && (s[i] == ' ' || s[i] == '\t'))
		i++;
	if (len - i >= 7 && memcmp(s + i, "v=DKIM1", 7) == 0)
		return true;
	for (; i < len; i++) {
		char c = s[i];

		if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
			continue;
		if (boundary && c == 'p') {
			size_t j = i + 1;

			while (j < len && (s[j] == ' ' || s[j] == '\t'))
				j++;
			if (j < len && s[j] == '=')
				return true;
		}
		boundary = c == ';';
	}
	return false;
}

static sk_status
lint_answer(struct sk_findings *f, const char *qname,
	    const struct sk_dns_answer *a, struct sk_err *err)
{
	size_t nkeys = 0, ntxt = 0;
	sk_status st;

	if (a->cname_links > 0 && a->cname != NULL)
		sk__findings_add(f, SK_SEV_INFO, "dkim-cname", qname,
				 SK_NO_OFFSET, REF_DNS, "%s is reached "
				 "through a CNAME to %s (common for "
				 "selectors a platform manages)", qname,
				 a->cname);
	if (a->status == SK_DNS_TEMPFAIL) {
		sk__findings_add(f, SK_SEV_ERROR, "dkim-tempfail", qname,
				 SK_NO_OFFSET, REF_DNS, "could not check %s: "
				 "the DNS query failed (%s)", qname,
				 a->why != NULL && a->why[0] ? a->why :
							       "temporary "
							       "failure");
		return SK_OK;
	}
	if (a->status == SK_DNS_ANSWER) {
		for (size_t i = 0; i < a->count; i++) {
			const struct sk_dns_rr *rr = &a->rr[i];

			if (rr->type != SK_DNS_TXT)
				continue;
			ntxt++;
			if (looks_like_key(rr->u.txt.text, rr->u.txt.len))
				nkeys++;
		}
	}
	if (nkeys == 0) {
		if (ntxt > 0)
			sk__findings_add(f, SK_SEV_ERROR, "dkim-key-missing",
					 qname, SK_NO_OFFSET, REF_DNS,
					 "%s has %zu TXT record%s but none "
					 "is a DKIM key record", qname, ntxt,
					 ntxt == 1 ? "" : "s");
		else
			sk__findings_add(f, SK_SEV_ERROR, "dkim-key-missing",
					 qname, SK_NO_OFFSET, REF_DNS,
					 "no DKIM key record at %s (%s)",
					 qname, sk_dns_status_str(a->status));
		return SK_OK;
	}
	if (nkeys > 1)
		sk__findings_add(f, SK_SEV_ERROR, "dkim-multiple", qname,
				 SK_NO_OFFSET, REF_DNS, "%s has %zu DKIM key "
				 "records; verifiers may pick any of them",
				 qname, nkeys);
	for (size_t i = 0; i < a->count; i++) {
		const struct sk_dns_rr *rr = &a->rr[i];

		if (rr->type != SK_DNS_TXT ||
		    !looks_like_key(rr->u.txt.text, rr->u.txt.len))
			continue;
		/* Every string of a TXT is at most 255 bytes on the wire
		 * (RFC 1035 section 3.3.14); a longer record is split in
		 * several, concatenated here (RFC 6376 section 3.6.2.2). */
		st = lint_text(f, qname, rr->u.txt.text, rr->u.txt.len, NULL,
			       err);
		if (st != SK_OK)
			return st;
	}
	return SK_OK;
}

SK_API sk_status
sk_dkim_lint_domain(struct sk_resolver *r, const char *domain,
		    const char *selector, struct sk_findings **out,
		    struct sk_err *err)
{
	const struct sk_dns_answer *a = NULL;
	struct sk_findings *f;
	struct sk_buf name;
	size_t dlen, slen;
	sk_status st;

	if (r == NULL || domain == NULL || selector == NULL || out == NULL)
		return sk__err(err, SK_EINVAL, "missing argument");
	*out = NULL;
	dlen = strlen(domain);
	slen = strlen(selector);
	if (!sk__dkim_qname_ok(domain, &dlen, true))
		return sk__err(err, SK_EINVAL, "\"%s\" is not a valid domain "
			       "name", domain);
	if (!sk__dkim_qname_ok(selector, &slen, false))
		return sk__err(err, SK_EINVAL, "\"%s\" is not a valid DKIM "
			       "selector", selector);
	sk__buf_init(&name, SK_DNS_MAX_NAME);
	st = sk__buf_printf(&name, "%.*s._domainkey.%.*s", (int)slen,
			    selector, (int)dlen, domain);
	if (st == SK_OK && name.len > 253)
		st = SK_ETOOBIG;
	if (st != SK_OK) {
		sk__buf_free(&name);
		if (st == SK_ENOMEM)
			return sk__err(err, st, "out of memory");
		return sk__err(err, SK_EINVAL, "%s._domainkey.%s is longer "
			       "than a DNS name can be", selector, domain);
	}
	f = sk__findings_new();
	if (f == NULL) {
		sk__buf_free(&name);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	st = sk_dns_resolve(r, name.p, SK_DNS_TXT, &a, err);
	if (st == SK_OK) {
		st = lint_answer(f, name.p, a, err);
		sk_dns_answer_unref(a);
	}
	sk__buf_free(&name);
	return finish_findings(f, st, out, err);
}
