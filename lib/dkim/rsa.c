/*
 * lib/dkim/rsa.c - RSASSA-PKCS1-v1_5 signature verification with SHA-256
 * (RFC 8017 section 8.2.2) for DKIM's rsa-sha256 (RFC 6376 section 3.3.1),
 * on OpenSSL's Montgomery multiplication.
 *
 * Why not EVP_PKEY_verify() every time: through the EVP and provider
 * layers each public-key operation of OpenSSL 3 allocates and frees some
 * 18 blocks (a BN_CTX and its pool, the recovered block, the expected
 * DigestInfo, clearing each), and BN_mod_exp_mont() under it converts s
 * into Montgomery form and the result out of it, which a key used often
 * can do without (pow_e() below).  On the bench machine (bench/dkim) a
 * 2048-bit verification is 16.4 us through EVP, 14.4 us here for a key's
 * first C_AFTER - 1 uses and 13.4 us after.  A filter checks thousands of
 * messages signed with one key: the key keeps its Montgomery context, a
 * BN_CTX and the expected encoding, and every product is OpenSSL's
 * (BN_mod_mul_montgomery).  Only public values are computed on, so
 * nothing here needs to run in constant time.
 *
 * The check is section 8.2.2's: a signature of exactly k bytes (k the
 * modulus length), s < n, m = s^e mod n (RSAVP1, 5.2.2), and the whole of
 * I2OSP(m, k) compared with what EMSA-PKCS1-v1_5 (9.2) makes of the hash:
 * 0x00 0x01, k - 54 bytes 0xff, 0x00, the SHA-256 DigestInfo prefix (note
 * 1 of 9.2), the hash.  Comparing the whole block rather than parsing m
 * leaves no room for the lax-parsing forgeries of Bleichenbacher (2006).
 * OpenSSL's RSA_verify() decides the same way; tests/unit/test_dkim_rsa.c
 * and fuzz/fuzz_dkim_rsa.c hold the two to the same answers.
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
/* The use of a key from which pow_e() takes the short way: R^e mod n
 * costs one exponentiation and each use after saves a product, so a key
 * seen a few times never pays for it. */
#define C_AFTER 16

struct sk__dkim_rsa {
	BIGNUM *n, *e, *s, *m;
	BIGNUM *c;      /* R^e mod n, R the Montgomery radix, once made */
	BIGNUM *sr;     /* s in Montgomery form (s R mod n) */
	BN_MONT_CTX *mont;
	BN_CTX *bn;
	unsigned uses;  /* verifications so far */
	unsigned c_after; /* make c at this use; 0: never */
	bool have_c;
	uint64_t ebits; /* e, at most 64 bits */
	int elen;       /* its bit length */
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
	BN_free(r->c);
	BN_free(r->sr);
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
	r->c = BN_new();
	r->sr = BN_new();
	r->em = sk__malloc(2 * k);
	if (r->bn == NULL || r->mont == NULL || r->s == NULL ||
	    r->m == NULL || r->c == NULL || r->sr == NULL || r->em == NULL) {
		sk__dkim_rsa_free(r);
		return SK_ENOMEM;
	}
	r->elen = BN_num_bits(r->e);
	for (int i = 0; i < r->elen; i++)
		r->ebits |= (uint64_t)BN_is_bit_set(r->e, i) << i;
	r->c_after = C_AFTER;
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

void
sk__dkim_rsa_c_after(struct sk__dkim_rsa *r, unsigned use)
{
	r->c_after = use;
}

/* x = base^e R^(1-e) mod n with Montgomery products M(a, b) = a b R^-1
 * mod n, left to right over the bits of e: a square per bit after the
 * first, a product by base per set bit (pow_e() says why the power of R).
 * For base = s R, the Montgomery form of s, that is s^e R, the form of
 * s^e. */
static bool
ladder(struct sk__dkim_rsa *r, BIGNUM *x, const BIGNUM *base)
{
	if (BN_copy(x, base) == NULL)
		return false;
	for (int i = r->elen - 2; i >= 0; i--) {
		if (BN_mod_mul_montgomery(x, x, x, r->mont, r->bn) != 1)
			return false;
		if ((r->ebits >> i & 1) != 0 &&
		    BN_mod_mul_montgomery(x, x, base, r->mont, r->bn) != 1)
			return false;
	}
	return true;
}

/*
 * r->m = s^e mod n from s < n.  The textbook way: s into Montgomery form,
 * the ladder, out of it (for e = 65537: 16 squares, 2 products and a
 * reduction).  The short way, once the key has been used c_after times:
 * the ladder on s itself.  After reaching s^j the value is s^j R^(1-j)
 * (true for j = 1; a square turns R^(1-j) into R^(2(1-j)-1) = R^(1-2j),
 * a product by s turns it into R^(1-(j+1))), so one product by
 * c = R^e mod n leaves s^e R^(1-e) R^e R^-1 = s^e: 16 squares and 2
 * products.  c is made once: R mod n is 1 in Montgomery form.
 */
static bool
pow_e(struct sk__dkim_rsa *r)
{
	if (!r->have_c && r->c_after != 0 && ++r->uses >= r->c_after) {
		if (BN_to_montgomery(r->m, BN_value_one(), r->mont,
				     r->bn) != 1 ||
		    BN_mod_exp_mont(r->c, r->m, r->e, r->n, r->bn,
				    r->mont) != 1)
			return false;
		r->have_c = true;
	}
	if (r->have_c)
		return ladder(r, r->m, r->s) &&
		       BN_mod_mul_montgomery(r->m, r->m, r->c, r->mont,
					     r->bn) == 1;
	return BN_to_montgomery(r->sr, r->s, r->mont, r->bn) == 1 &&
	       ladder(r, r->m, r->sr) &&
	       BN_from_montgomery(r->m, r->m, r->mont, r->bn) == 1;
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
	if (!pow_e(r) || BN_bn2binpad(r->m, r->em, (int)k) != (int)k)
		return -1;
	/* 8.2.2 step 4: EM and EM' compared whole. */
	return memcmp(r->em, r->want, k - HASH_LEN) == 0 &&
	       memcmp(r->em + k - HASH_LEN, hash, HASH_LEN) == 0;
}
