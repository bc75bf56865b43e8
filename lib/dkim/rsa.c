/*
 * lib/dkim/rsa.c - RSASSA-PKCS1-v1_5 signature verification with SHA-256
 * (RFC 8017 section 8.2.2) for DKIM's rsa-sha256 (RFC 6376 section 3.3.1),
 * on OpenSSL's Montgomery exponentiation.
 *
 * Why not EVP_PKEY_verify() every time: through the EVP and provider
 * layers each public-key operation of OpenSSL 3 allocates and frees some
 * 18 blocks (a BN_CTX and its pool, the recovered block, the expected
 * DigestInfo, clearing each), about 0.5 us of the 16 us that a 2048-bit
 * verification takes on the bench machine (bench/dkim).  A filter checks
 * thousands of messages signed with one key: here the key keeps, once, its
 * modulus in OpenSSL's Montgomery form, a BN_CTX and the expected
 * encoding, and the arithmetic stays OpenSSL's (BN_mod_exp_mont).
 *
 * The check is section 8.2.2's: a signature of exactly k bytes (k the
 * modulus length), s < n, m = s^e mod n (RSAVP1, 5.2.2), and the whole of
 * I2OSP(m, k) compared with what EMSA-PKCS1-v1_5 (9.2) makes of the hash:
 * 0x00 0x01, k - 54 bytes 0xff, 0x00, the SHA-256 DigestInfo prefix (note
 * 1 of 9.2), the hash.  Comparing the whole block rather than parsing m
 * leaves no room for the lax-parsing forgeries of Bleichenbacher (2006).
 * OpenSSL's RSA_verify() decides the same way (tests/unit/test_dkim_rsa.c
 * and fuzz/fuzz_dkim_rsa.c compare the two).
 *
 * Keys outside what OpenSSL's public operation takes without question (n
 * even, over 16384 bits, e not below n, e over 64 bits) or too short for
 * the encoding are left to EVP_PKEY_verify(): sk__dkim_rsa_new() says
 * SK_ENOTSUP.
 */
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include "dkim_internal.h"

/* DigestInfo for SHA-256 up to the hash (RFC 8017 section 9.2 note 1). */
static const uint8_t sha256_prefix[19] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
};

#define HASH_LEN 32
#define T_LEN (sizeof(sha256_prefix) + HASH_LEN)
/* 9.2 step 3: emLen >= tLen + 11 (at least 8 bytes of 0xff) */
#define MIN_K (T_LEN + 11)
#define MAX_N_BITS 16384
#define MAX_E_BITS 64

struct sk__dkim_rsa {
	BIGNUM *n, *e, *s, *m;
	BN_MONT_CTX *mont;
	BN_CTX *bn;
	size_t k;
	uint8_t *em;    /* I2OSP(m, k) */
	uint8_t *want;  /* the encoding but for the last HASH_LEN bytes */
};

void
sk__dkim_rsa_free(struct sk__dkim_rsa *r)
{
	if (r == NULL)
		return;
	BN_free(r->n);
	BN_free(r->e);
	BN_free(r->s);
	BN_free(r->m);
	BN_MONT_CTX_free(r->mont);
	BN_CTX_free(r->bn);
	sk__free(r->em);
	sk__free(r);
}

/* Whether OpenSSL's public operation would take the key as it is
 * (rsa_ossl_public_decrypt's checks, made stricter on e). */
static bool
key_ok(const BIGNUM *n, const BIGNUM *e)
{
	return BN_is_odd(n) && BN_num_bits(n) <= MAX_N_BITS &&
	       (size_t)BN_num_bytes(n) >= MIN_K &&
	       BN_num_bits(e) <= MAX_E_BITS && BN_ucmp(e, n) < 0 &&
	       !BN_is_zero(e);
}

sk_status
sk__dkim_rsa_new(EVP_PKEY *pk, struct sk__dkim_rsa **out)
{
	struct sk__dkim_rsa *r;
	size_t k, ps;

	*out = NULL;
	if (pk == NULL || EVP_PKEY_get_base_id(pk) != EVP_PKEY_RSA)
		return SK_ENOTSUP;
	r = sk__calloc(1, sizeof(*r));
	if (r == NULL)
		return SK_ENOMEM;
	if (EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_N, &r->n) != 1 ||
	    EVP_PKEY_get_bn_param(pk, OSSL_PKEY_PARAM_RSA_E, &r->e) != 1) {
		sk__dkim_rsa_free(r);
		return SK_ECRYPTO;
	}
	if (!key_ok(r->n, r->e)) {
		sk__dkim_rsa_free(r);
		return SK_ENOTSUP;
	}
	k = (size_t)BN_num_bytes(r->n);
	r->k = k;
	r->bn = BN_CTX_new();
	r->mont = BN_MONT_CTX_new();
	r->s = BN_new();
	r->m = BN_new();
	r->em = sk__malloc(2 * k);
	if (r->bn == NULL || r->mont == NULL || r->s == NULL ||
	    r->m == NULL || r->em == NULL) {
		sk__dkim_rsa_free(r);
		return SK_ENOMEM;
	}
	if (BN_MONT_CTX_set(r->mont, r->n, r->bn) != 1) {
		sk__dkim_rsa_free(r);
		return SK_ECRYPTO;
	}
	/* EM = 0x00 || 0x01 || PS (0xff) || 0x00 || T (9.2 step 5) */
	r->want = r->em + k;
	ps = k - T_LEN - 3;
	r->want[0] = 0x00;
	r->want[1] = 0x01;
	memset(r->want + 2, 0xff, ps);
	r->want[2 + ps] = 0x00;
	memcpy(r->want + 3 + ps, sha256_prefix, sizeof(sha256_prefix));
	*out = r;
	return SK_OK;
}

int
sk__dkim_rsa_verify(struct sk__dkim_rsa *r, const uint8_t *sig,
		    size_t siglen, const uint8_t hash[32])
{
	size_t k = r->k;

	/* 8.2.2 step 1: "If the length of the signature S is not k
	 * octets, output 'invalid signature'". */
	if (siglen != k)
		return 0;
	if (BN_bin2bn(sig, (int)k, r->s) == NULL)
		return -1;
	/* 5.2.2 step 1: s must lie in [0, n - 1]. */
	if (BN_ucmp(r->s, r->n) >= 0)
		return 0;
	if (BN_mod_exp_mont(r->m, r->s, r->e, r->n, r->bn, r->mont) != 1 ||
	    BN_bn2binpad(r->m, r->em, (int)k) != (int)k)
		return -1;
	/* 8.2.2 step 4: EM and EM' compared whole. */
	return memcmp(r->em, r->want, k - HASH_LEN) == 0 &&
	       memcmp(r->em + k - HASH_LEN, hash, HASH_LEN) == 0;
}
