/*
 * tests/unit/test_dkim_rsa.c - lib/dkim/rsa.c, the rsa-sha256 verifier
 * (RFC 8017 section 8.2.2), against OpenSSL's own EVP_PKEY_verify() with
 * PKCS#1 v1.5 padding and SHA-256 (what the verifier replaced): for keys
 * of several sizes and exponents, good signatures, signatures and hashes
 * with one bit changed, out-of-range and wrongly sized signatures, and
 * blocks made with the private key so that they decrypt to near-misses of
 * the encoding (other DigestInfo, missing NULL parameters, short padding
 * with trailing bytes, block type 2, a 0xfe in the padding).  Each case
 * states the expected answer and both implementations must give it.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include "dkim/dkim_internal.h"
#include "rng.h"
#include "rsakey.h"
#include "tap.h"

static uint64_t seed = 0x5eed0f0a11ce2bedULL;

static void
fill(uint8_t *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)test_rng_next(&seed);
}

/* An RSA public key with a random n of `bits` bits (odd or even) and e. */
static EVP_PKEY *
key_from(int bits, bool odd, unsigned long e_val)
{
	OSSL_PARAM_BLD *b = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pk = NULL;
	BIGNUM *n = BN_new(), *e = BN_new();

	if (b != NULL && c != NULL && n != NULL && e != NULL &&
	    BN_rand(n, bits, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) == 1 &&
	    (odd ? BN_set_bit(n, 0) : BN_clear_bit(n, 0)) == 1 &&
	    BN_set_word(e, e_val) == 1 &&
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
	    OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e) == 1)
		params = OSSL_PARAM_BLD_to_param(b);
	if (params != NULL && EVP_PKEY_fromdata_init(c) == 1 &&
	    EVP_PKEY_fromdata(c, &pk, EVP_PKEY_PUBLIC_KEY, params) != 1)
		pk = NULL;
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	EVP_PKEY_CTX_free(c);
	BN_free(n);
	BN_free(e);
	return pk;
}

/* The reference: a fresh EVP verification, PKCS#1 v1.5, SHA-256. */
static int
evp_verify(EVP_PKEY *pub, const uint8_t *sig, size_t len,
	   const uint8_t hash[32])
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pub, NULL);
	int rc = -1;

	if (c != NULL && EVP_PKEY_verify_init(c) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) == 1)
		rc = EVP_PKEY_verify(c, sig, len, hash, 32) == 1;
	EVP_PKEY_CTX_free(c);
	return rc;
}

static size_t
pkcs1_sign(EVP_PKEY *pk, const uint8_t hash[32], uint8_t *sig, size_t cap)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
	size_t len = cap;

	if (c == NULL || EVP_PKEY_sign_init(c) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1 ||
	    EVP_PKEY_CTX_set_signature_md(c, EVP_sha256()) != 1 ||
	    EVP_PKEY_sign(c, sig, &len, hash, 32) != 1)
		len = 0;
	EVP_PKEY_CTX_free(c);
	return len;
}

/* s = em^d mod n (em below n): a signature whose public operation gives
 * back exactly em, whatever em holds. */
static size_t
raw_sign(EVP_PKEY *pk, const uint8_t *em, size_t k, uint8_t *sig,
	 size_t cap)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new(pk, NULL);
	size_t len = cap;

	if (c == NULL || EVP_PKEY_decrypt_init(c) != 1 ||
	    EVP_PKEY_CTX_set_rsa_padding(c, RSA_NO_PADDING) != 1 ||
	    EVP_PKEY_decrypt(c, sig, &len, em, k) != 1)
		len = 0;
	EVP_PKEY_CTX_free(c);
	return len;
}

static const uint8_t sha256_di[19] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
};
/* SHA-256 DigestInfo without the NULL parameters (RFC 8017 9.2 note 2
 * says verifiers of SHA-256 should not take it; OpenSSL does not). */
static const uint8_t sha256_di_nonull[17] = {
	0x30, 0x2f, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	0x65, 0x03, 0x04, 0x02, 0x01, 0x04, 0x20,
};
static const uint8_t sha1_di[15] = {
	0x30, 0x21, 0x30, 0x09, 0x06, 0x05, 0x2b, 0x0e, 0x03, 0x02,
	0x1a, 0x05, 0x00, 0x04, 0x14,
};

/* 00 01 FF.. 00 di hash[hl] trailer[tl], the FFs filling up to k. */
static void
encode(uint8_t *em, size_t k, uint8_t bt, const uint8_t *di, size_t dl,
       const uint8_t *hash, size_t hl, size_t tl)
{
	size_t ps = k - 3 - dl - hl - tl;

	em[0] = 0x00;
	em[1] = bt;
	memset(em + 2, 0xff, ps);
	em[2 + ps] = 0x00;
	memcpy(em + 3 + ps, di, dl);
	memcpy(em + 3 + ps + dl, hash, hl);
	fill(em + k - tl, tl);
}

/* rsa.c's two ways (textbook Montgomery exponentiation, and the ladder
 * on s with the per-key constant) each in a verifier of its own. */
struct key {
	const char *label;
	EVP_PKEY *priv, *pub;
	struct sk__dkim_rsa *rsa, *rsa_c;
	size_t k;
};

/* The three verifiers on sig, and the answer they must give. */
static void
agree(const struct key *ky, const char *what, const uint8_t *sig,
      size_t len, const uint8_t hash[32], int want)
{
	int fast = sk__dkim_rsa_verify(ky->rsa, sig, len, hash);
	int fast_c = sk__dkim_rsa_verify(ky->rsa_c, sig, len, hash);
	int ref = evp_verify(ky->pub, sig, len, hash);

	if (!tap__ok(fast == want && fast_c == want && ref == want,
		     __FILE__, __LINE__, what))
		printf("#   %s: rsa.c %d and %d, EVP %d, expected %d\n",
		       ky->label, fast, fast_c, ref, want);
}

/* em signed raw (em^d mod n), checked by both verifiers. */
static void
crafted(const struct key *ky, const char *what, const uint8_t *em,
	const uint8_t hash[32], int want)
{
	uint8_t sig[1024];
	char name[128];

	snprintf(name, sizeof(name), "%s: %s", ky->label, what);
	if (raw_sign(ky->priv, em, ky->k, sig, sizeof(sig)) != ky->k) {
		ok(0, "%s: raw signature", name);
		return;
	}
	agree(ky, name, sig, ky->k, hash, want);
}

static void
test_key(const struct key *ky, int rounds)
{
	uint8_t hash[32], other[32], sig[1024], bad[1026], em[1024];
	size_t k = ky->k, len;
	char what[128];

	for (int r = 0; r < rounds; r++) {
		fill(hash, sizeof(hash));
		len = pkcs1_sign(ky->priv, hash, sig, sizeof(sig));
		if (!tap__ok(len == k, __FILE__, __LINE__, "sign")) {
			printf("#   %s: signature of %zu bytes\n", ky->label,
			       len);
			return;
		}
		snprintf(what, sizeof(what), "%s: good signature", ky->label);
		agree(ky, what, sig, len, hash, 1);
		memcpy(other, hash, 32);
		other[test_rng_next(&seed) % 32] ^=
		    (uint8_t)(1u << test_rng_next(&seed) % 8);
		snprintf(what, sizeof(what), "%s: one hash bit", ky->label);
		agree(ky, what, sig, len, other, 0);
		memcpy(bad, sig, k);
		bad[test_rng_next(&seed) % k] ^=
		    (uint8_t)(1u << test_rng_next(&seed) % 8);
		snprintf(what, sizeof(what), "%s: one signature bit",
			 ky->label);
		agree(ky, what, bad, k, hash, 0);
		/* 8.2.2 step 1: k bytes exactly, even with leading zeros */
		bad[0] = 0;
		memcpy(bad + 1, sig, k);
		snprintf(what, sizeof(what), "%s: k+1 bytes", ky->label);
		agree(ky, what, bad, k + 1, hash, 0);
		snprintf(what, sizeof(what), "%s: k-1 bytes", ky->label);
		agree(ky, what, sig + 1, k - 1, hash, 0);
		snprintf(what, sizeof(what), "%s: random block", ky->label);
		fill(bad, k);
		bad[0] = 0;
		agree(ky, what, bad, k, hash, 0);
	}
	fill(hash, sizeof(hash));
	/* 5.2.2: s = n, s over n, 0 and 1 */
	{
		BIGNUM *n = NULL, *s = BN_new();

		EVP_PKEY_get_bn_param(ky->pub, OSSL_PKEY_PARAM_RSA_N, &n);
		/* a good signature plus n: the same s^e mod n, refused */
		len = pkcs1_sign(ky->priv, hash, sig, sizeof(sig));
		BN_bin2bn(sig, (int)len, s);
		BN_add(s, s, n);
		if (BN_num_bytes(s) <= (int)k) {
			BN_bn2binpad(s, bad, (int)k);
			snprintf(what, sizeof(what), "%s: good s plus n",
				 ky->label);
			agree(ky, what, bad, k, hash, 0);
		}
		BN_free(s);
		BN_bn2binpad(n, bad, (int)k);
		snprintf(what, sizeof(what), "%s: s = n", ky->label);
		agree(ky, what, bad, k, hash, 0);
		BN_add_word(n, 2);
		if (BN_num_bytes(n) == (int)k) {
			BN_bn2binpad(n, bad, (int)k);
			snprintf(what, sizeof(what), "%s: s = n + 2",
				 ky->label);
			agree(ky, what, bad, k, hash, 0);
		}
		BN_free(n);
		memset(bad, 0, k);
		snprintf(what, sizeof(what), "%s: s = 0", ky->label);
		agree(ky, what, bad, k, hash, 0);
		bad[k - 1] = 1;
		snprintf(what, sizeof(what), "%s: s = 1", ky->label);
		agree(ky, what, bad, k, hash, 0);
		memset(bad, 0xff, k);
		snprintf(what, sizeof(what), "%s: all 0xff", ky->label);
		agree(ky, what, bad, k, hash, 0);
	}
	/* Blocks made with the private key. */
	encode(em, k, 1, sha256_di, 19, hash, 32, 0);
	crafted(ky, "the encoding, raw", em, hash, 1);
	encode(em, k, 1, sha256_di_nonull, 17, hash, 32, 0);
	crafted(ky, "DigestInfo without NULL", em, hash, 0);
	encode(em, k, 1, sha1_di, 15, hash, 20, 0);
	crafted(ky, "SHA-1 DigestInfo", em, hash, 0);
	encode(em, k, 2, sha256_di, 19, hash, 32, 0);
	crafted(ky, "block type 2", em, hash, 0);
	encode(em, k, 1, sha256_di, 19, hash, 32, 0);
	em[2 + (k - 54) / 2] = 0xfe;
	crafted(ky, "0xfe in the padding", em, hash, 0);
	/* Bleichenbacher 2006: short padding, the hash, then garbage */
	if (k >= 54 + 8 + 16) {
		encode(em, k, 1, sha256_di, 19, hash, 32, k - 54 - 8);
		crafted(ky, "8-byte padding, garbage after", em, hash, 0);
	}
	encode(em, k, 1, sha256_di, 19, hash, 32, 0);
	em[k - 52] = 0x01; /* the separator */
	crafted(ky, "no zero separator", em, hash, 0);
}

/*
 * 8.2.2 step 1 again: a good signature whose first byte is 0, given
 * without it, is refused.  The key's top byte is small (k * 8 - bits >= 2)
 * so that one signature in 64 or fewer starts with 0: 1000 tries.
 */
static void
test_leading_zero(const struct key *ky)
{
	uint8_t hash[32], sig[1024];
	char what[128];
	int tries;

	for (tries = 0; tries < 1000; tries++) {
		fill(hash, sizeof(hash));
		if (pkcs1_sign(ky->priv, hash, sig, sizeof(sig)) != ky->k)
			break;
		if (sig[0] == 0)
			break;
	}
	if (!tap__ok(sig[0] == 0, __FILE__, __LINE__,
		     "a signature starting with 0")) {
		printf("#   %s: none in %d tries\n", ky->label, tries);
		return;
	}
	snprintf(what, sizeof(what), "%s: leading 0 kept", ky->label);
	agree(ky, what, sig, ky->k, hash, 1);
	snprintf(what, sizeof(what), "%s: leading 0 left out", ky->label);
	agree(ky, what, sig + 1, ky->k - 1, hash, 0);
}

static bool
load(struct key *ky, const char *label, unsigned bits, const char *e)
{
	sk_status st;

	ky->label = label;
	ky->priv = test_rsa_keygen(bits, e);
	ky->pub = ky->priv != NULL ? test_rsa_public(ky->priv) : NULL;
	ky->rsa = ky->rsa_c = NULL;
	if (ky->pub == NULL) {
		ok(0, "%s: key generation", label);
		return false;
	}
	ky->k = (size_t)EVP_PKEY_get_size(ky->pub);
	st = sk__dkim_rsa_new(ky->pub, &ky->rsa);
	if (st == SK_OK)
		st = sk__dkim_rsa_new(ky->pub, &ky->rsa_c);
	is_int(st, SK_OK, "%s: the verifier takes the key", label);
	if (st != SK_OK)
		return false;
	sk__dkim_rsa_c_after(ky->rsa, 0);
	sk__dkim_rsa_c_after(ky->rsa_c, 1);
	return true;
}

static void
unload(struct key *ky)
{
	sk__dkim_rsa_free(ky->rsa);
	sk__dkim_rsa_free(ky->rsa_c);
	EVP_PKEY_free(ky->pub);
	EVP_PKEY_free(ky->priv);
}

static void
test_keys(void)
{
	static const struct {
		const char *label;
		unsigned bits;
		const char *e;
		int rounds;
	} keys[] = {
		{ "rsa-2048", 2048, "65537", 12 },
		{ "rsa-1024", 1024, "65537", 8 },
		{ "rsa-1030 (k=129)", 1030, "65537", 8 },
		{ "rsa-2048 e=3", 2048, "3", 8 },
		{ "rsa-512", 512, "65537", 4 },
	};

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		struct key ky;

		if (load(&ky, keys[i].label, keys[i].bits, keys[i].e)) {
			test_key(&ky, keys[i].rounds);
			if (keys[i].bits % 8 >= 1 && keys[i].bits % 8 <= 6)
				test_leading_zero(&ky);
		}
		unload(&ky);
	}
}

/* The default: the textbook way, then the short way from the 16th use
 * on, both giving the same answers. */
static void
test_switch(void)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	struct sk__dkim_rsa *r = NULL;
	uint8_t hash[32], sig[1024];
	size_t len = 0;
	int good = 0, bad = 0;

	fill(hash, sizeof(hash));
	if (pk != NULL)
		len = pkcs1_sign(pk, hash, sig, sizeof(sig));
	if (len == 0 || sk__dkim_rsa_new(pk, &r) != SK_OK) {
		ok(0, "switch: key and signature");
		EVP_PKEY_free(pk);
		return;
	}
	for (int i = 0; i < 40; i++) {
		good += sk__dkim_rsa_verify(r, sig, len, hash) == 1;
		hash[i % 32] ^= 1;
		bad += sk__dkim_rsa_verify(r, sig, len, hash) == 0;
		hash[i % 32] ^= 1;
	}
	is_int(good, 40, "switch: the good signature 40 times");
	is_int(bad, 40, "switch: a changed hash 40 times");
	sk__dkim_rsa_free(r);
	EVP_PKEY_free(pk);
}

/* Keys left to EVP_PKEY_verify(). */
static void
test_not_taken(void)
{
	struct sk__dkim_rsa *r = (void *)1;
	EVP_PKEY *pk;
	pk = test_rsa_keygen(1024, "36893488147419103235"); /* 2^65 + 3 */
	if (pk != NULL) {
		is_int(sk__dkim_rsa_new(pk, &r), SK_ENOTSUP,
		       "e of 66 bits: left to EVP");
		ok(r == NULL, "no verifier made");
	} else {
		ok(0, "key generation with a 66-bit e");
	}
	EVP_PKEY_free(pk);
	pk = key_from(488, true, 65537); /* under the 62 bytes needed */
	is_int(pk != NULL ? sk__dkim_rsa_new(pk, &r) : SK_EINTERNAL,
	       SK_ENOTSUP, "n of 61 bytes: left to EVP");
	EVP_PKEY_free(pk);
	pk = key_from(512, false, 65537);
	is_int(pk != NULL ? sk__dkim_rsa_new(pk, &r) : SK_EINTERNAL,
	       SK_ENOTSUP, "even n: left to EVP");
	EVP_PKEY_free(pk);
	pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	is_int(sk__dkim_rsa_new(pk, &r), SK_ENOTSUP, "Ed25519: not RSA");
	EVP_PKEY_free(pk);
	is_int(sk__dkim_rsa_new(NULL, &r), SK_ENOTSUP, "no key");
}

int
main(void)
{
	tap_plan_unknown();
	test_keys();
	test_switch();
	test_not_taken();
	return tap_done();
}
