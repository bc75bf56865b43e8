/*
 * lib/dkim/dkim_internal.h - what the DKIM files share.  Not installed.
 *
 * The tag-list parser (RFC 6376 section 3.2) is used by both the key
 * record parser (keyrec.c) and the DKIM-Signature parser (sig.c).
 */
#ifndef SK_DKIM_INTERNAL_H
#define SK_DKIM_INTERNAL_H

#include <openssl/evp.h>
#include <senderkit/dkim.h>
#include "util/util.h"

/* Tags in one tag-list; more is a syntax error (no real record has). */
#define SK__DKIM_MAX_TAGS 64

/* One tag-spec: slices into the parsed text.  value excludes the
 * surrounding FWS but keeps inner FWS as written. */
struct sk__dkim_tag {
	const char *name;
	size_t name_len;
	const char *value;
	size_t value_len;
	size_t offset;       /* of the tag name in the text */
	size_t value_offset; /* of the value */
	bool fws;            /* FWS inside the value (not at its ends) */
};

/*
 * Parse a tag-list (section 3.2): tag-spec *( ";" tag-spec ) [ ";" ].
 * Tag names are ALPHA *(ALPHA / DIGIT / "_"); values are VALCHARs
 * (%x21-3A / %x3C-7E) separated by FWS.  A repeated tag name is an error
 * (section 3.2: "Tags with duplicate names MUST NOT occur").  Fills
 * tags[0..*ntags).  SK_ESYNTAX with err->offset on any error.
 */
sk_status sk__dkim_tags_parse(const char *text, size_t len,
			      struct sk__dkim_tag *tags, size_t max,
			      size_t *ntags, struct sk_err *err);

/* The tag with this (case-sensitive, section 3.2) name, or NULL. */
const struct sk__dkim_tag *sk__dkim_tag_find(const struct sk__dkim_tag *tags,
					     size_t ntags, const char *name);

/* A copy of value with every FWS byte (SP, HTAB, CR, LF) removed, NUL-
 * terminated; NULL when out of memory.  Free with sk__free. */
char *sk__dkim_strip_fws(const char *value, size_t len);

/*
 * Strict base64 (RFC 4648 section 4) after FWS removal: '=' padding only
 * at the end, no other characters.  *out is allocated (sk__free), *outlen
 * set.  SK_ESYNTAX with err->offset (into the input) on a bad character.
 */
sk_status sk__base64_decode(const char *in, size_t len, uint8_t **out,
			    size_t *outlen, struct sk_err *err);
/* Base64 of data, NUL-terminated, allocated (sk__free); NULL on ENOMEM. */
char *sk__base64_encode(const uint8_t *data, size_t len);

/* A domain or selector name we will put in a DNS question (keyrec.c):
 * labels of 1..63 letters, digits, '-' or '_', at most 253 characters.
 * With `trailing`, one final dot is allowed and dropped from *len. */
bool sk__dkim_qname_ok(const char *s, size_t *len, bool trailing);

/* The public key a parsed record holds, decoded once by
 * sk_dkim_key_parse (NULL for a revoked or undecodable key).  Borrowed:
 * valid while the record is. */
EVP_PKEY *sk__dkim_key_pkey(const struct sk_dkim_key *key);

/* rsa.c: rsa-sha256 verification for one RSA public key (RFC 8017
 * section 8.2.2) with what can be made once kept: Montgomery form of n,
 * a BN_CTX, the expected encoding.  One thread at a time. */
struct sk__dkim_rsa;

/* SK_ENOTSUP for a key left to EVP_PKEY_verify() (not RSA, n even or
 * over 16384 bits, e over 64 bits or not below n, under 62 bytes). */
sk_status sk__dkim_rsa_new(EVP_PKEY *pk, struct sk__dkim_rsa **out);
void sk__dkim_rsa_free(struct sk__dkim_rsa *r);

/* From the use-th verification on, the short way of rsa.c's pow_e()
 * (0: never; 1: from the first).  For tests; the default is 16. */
void sk__dkim_rsa_c_after(struct sk__dkim_rsa *r, unsigned use);

/* 1 when sig[0..siglen) is a signature of the SHA-256 `hash`, 0 when it
 * is not, -1 when OpenSSL failed (memory). */
int sk__dkim_rsa_verify(struct sk__dkim_rsa *r, const uint8_t *sig,
			size_t siglen, const uint8_t hash[32]);

#endif /* SK_DKIM_INTERNAL_H */
