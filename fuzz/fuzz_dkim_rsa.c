/*
 * fuzz/fuzz_dkim_rsa.c - lib/dkim/rsa.c, the rsa-sha256 verifier (RFC
 * 8017 section 8.2.2) in both its ways of computing s^e mod n, against
 * OpenSSL's EVP_PKEY_verify() on the same input: all three must give the
 * same answer.  The first byte picks what the
 * rest is:
 *   0  a signature (any length) and, first, the 32-byte hash;
 *   1  the block the signature decrypts to (em[0] forced to 0 so that it
 *      lies below n), signed raw with the private key; the hash is the
 *      block's last 32 bytes, so a correct encoding verifies;
 *   2  the hash, then (position, xor) pairs applied to its correct
 *      encoding before the raw signature: no effective change must
 *      verify, any change must not.
 * The key (1024 bits, e = 65537, or 3 when the second byte is odd) is
 * made once per process.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include "dkim/dkim_internal.h"
#include "fuzz.h"
#include "../tests/unit/rsakey.h"

#define K 128

struct fkey {
	EVP_PKEY *priv, *pub;
	EVP_PKEY_CTX *verify, *raw;
	struct sk__dkim_rsa *rsa, *rsa_c; /* textbook way, short way */
};

static struct fkey keys[2];

static void
make(struct fkey *f, const char *e_dec)
{
	f->priv = test_rsa_keygen(K * 8, e_dec);
	CHECK(f->priv != NULL);
	f->pub = test_rsa_public(f->priv);
	CHECK(f->pub != NULL);
	f->verify = EVP_PKEY_CTX_new(f->pub, NULL);
	CHECK(f->verify != NULL && EVP_PKEY_verify_init(f->verify) == 1 &&
	      EVP_PKEY_CTX_set_rsa_padding(f->verify, RSA_PKCS1_PADDING) == 1 &&
	      EVP_PKEY_CTX_set_signature_md(f->verify, EVP_sha256()) == 1);
	f->raw = EVP_PKEY_CTX_new(f->priv, NULL);
	CHECK(f->raw != NULL && EVP_PKEY_decrypt_init(f->raw) == 1 &&
	      EVP_PKEY_CTX_set_rsa_padding(f->raw, RSA_NO_PADDING) == 1);
	CHECK(sk__dkim_rsa_new(f->pub, &f->rsa) == SK_OK);
	CHECK(sk__dkim_rsa_new(f->pub, &f->rsa_c) == SK_OK);
	sk__dkim_rsa_c_after(f->rsa, 0);
	sk__dkim_rsa_c_after(f->rsa_c, 1);
}

/* The three verifiers; the answer they agree on. */
static int
both(struct fkey *f, const uint8_t *sig, size_t len, const uint8_t *hash)
{
	int fast = sk__dkim_rsa_verify(f->rsa, sig, len, hash);
	int fast_c = sk__dkim_rsa_verify(f->rsa_c, sig, len, hash);
	int ref = EVP_PKEY_verify(f->verify, sig, len, hash, 32) == 1;

	CHECK(fast == ref && fast_c == ref);
	return fast;
}

/* The signature whose public operation gives em back. */
static void
raw_sign(struct fkey *f, const uint8_t em[K], uint8_t sig[K])
{
	size_t len = K;

	CHECK(EVP_PKEY_decrypt(f->raw, sig, &len, em, K) == 1 && len == K);
}

static const uint8_t sha256_di[19] = {
	0x30, 0x31, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01,
	0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0x04, 0x20,
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t em[K], sig[K], hash[32];
	struct fkey *f;
	size_t i;
	bool changed = false;

	if (keys[0].rsa == NULL) {
		make(&keys[0], "65537");
		make(&keys[1], "3");
	}
	if (size < 2)
		return 0;
	f = &keys[data[1] & 1];
	switch (data[0] % 3) {
	case 0:
		if (size < 2 + 32)
			return 0;
		both(f, data + 34, size - 34, data + 2);
		break;
	case 1:
		memset(em, 0, sizeof(em));
		memcpy(em, data + 2, size - 2 < K ? size - 2 : K);
		em[0] = 0;
		raw_sign(f, em, sig);
		both(f, sig, K, em + K - 32);
		break;
	default:
		if (size < 2 + 32)
			return 0;
		memcpy(hash, data + 2, 32);
		em[0] = 0x00;
		em[1] = 0x01;
		memset(em + 2, 0xff, K - 54);
		em[K - 52] = 0x00;
		memcpy(em + K - 51, sha256_di, sizeof(sha256_di));
		memcpy(em + K - 32, hash, 32);
		for (i = 34; i + 1 < size; i += 2) {
			/* position 0 stays 0: em must lie below n */
			size_t at = 1 + data[i] % (K - 1);

			em[at] ^= data[i + 1];
		}
		changed = memcmp(em + K - 32, hash, 32) != 0 ||
			  em[1] != 0x01 || em[K - 52] != 0x00 ||
			  memcmp(em + K - 51, sha256_di, 19) != 0;
		for (i = 2; i < K - 52; i++)
			changed |= em[i] != 0xff;
		raw_sign(f, em, sig);
		CHECK(both(f, sig, K, hash) == !changed);
		break;
	}
	return 0;
}
