/*
 * tests/unit/rsakey.h - an RSA key pair of a given size and public
 * exponent, and its public half alone, for the DKIM tests and
 * fuzz/fuzz_dkim_rsa.c (keys with e = 3 or e over 64 bits are the ones
 * EVP_PKEY_Q_keygen cannot make).
 */
#ifndef SK_TEST_RSAKEY_H
#define SK_TEST_RSAKEY_H

#include <openssl/bn.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

/* A new key (EVP_PKEY_free), NULL on failure; e in decimal. */
static inline EVP_PKEY *
test_rsa_keygen(unsigned bits, const char *e_dec)
{
	EVP_PKEY_CTX *c = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	EVP_PKEY *pk = NULL;
	BIGNUM *e = NULL;

	if (c == NULL || EVP_PKEY_keygen_init(c) != 1 ||
	    EVP_PKEY_CTX_set_rsa_keygen_bits(c, (int)bits) != 1 ||
	    BN_dec2bn(&e, e_dec) == 0 ||
	    EVP_PKEY_CTX_set1_rsa_keygen_pubexp(c, e) != 1 ||
	    EVP_PKEY_keygen(c, &pk) != 1)
		pk = NULL;
	BN_free(e);
	EVP_PKEY_CTX_free(c);
	return pk;
}

/* The public half alone (EVP_PKEY_free), as a key record gives it. */
static inline EVP_PKEY *
test_rsa_public(EVP_PKEY *pk)
{
	unsigned char *der = NULL;
	const unsigned char *p;
	int n = i2d_PUBKEY(pk, &der);
	EVP_PKEY *pub;

	if (n <= 0)
		return NULL;
	p = der;
	pub = d2i_PUBKEY(NULL, &p, n);
	OPENSSL_free(der);
	return pub;
}

#endif /* SK_TEST_RSAKEY_H */
