/*
 * tests/unit/test_dkim.c - DKIM canonicalization, signing and verifying
 * (RFC 6376 sections 3.4, 3.5, 3.7, 5, 6; RFC 8301; RFC 8463).
 *
 * Fixed vectors: RFC 8463 Appendix A (its message and DNS records) and
 * dkimpy's rfc6376.signed.msg, from /work/shared/conformance/dkim (path in
 * SK_DKIM_DATA).  Round trips use keys generated here with OpenSSL.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <senderkit/dkim.h>
#include "dkim/sigcanon.h"
#include "rsakey.h"
#include "rng.h"
#include "tap.h"

#ifndef SK_DKIM_DATA
#define SK_DKIM_DATA "/work/shared/conformance/dkim"
#endif

#define NOW 1700000000

static char *
slurp(const char *rel, size_t *len)
{
	char path[1024];
	FILE *f;
	char *buf;
	long n;

	snprintf(path, sizeof(path), "%s/%s", SK_DKIM_DATA, rel);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	n = ftell(f);
	fseek(f, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (fread(buf, 1, (size_t)n, f) != (size_t)n)
		n = 0;
	buf[n] = '\0';
	fclose(f);
	*len = (size_t)n;
	return buf;
}

static void
add_key(struct sk_resolver *r, const char *name, const char *rec)
{
	const char *s[1] = { rec };
	size_t l[1] = { strlen(rec) };
	sk_status st;

	/* Split into 255-byte strings as DNS would. */
	if (l[0] > 255) {
		const char *ss[8];
		size_t ll[8], n = 0, off = 0;

		while (off < l[0] && n < 8) {
			ss[n] = rec + off;
			ll[n] = l[0] - off > 255 ? 255 : l[0] - off;
			off += ll[n++];
		}
		st = sk_resolver_script_add_txt(r, name, SK_DNS_TXT, ss, ll, n,
						NULL);
	} else {
		st = sk_resolver_script_add_txt(r, name, SK_DNS_TXT, s, l, 1,
						NULL);
	}
	if (st != SK_OK)
		printf("# add_key %s failed\n", name);
}

/* Verify msg fed in `piece`-byte pieces (0: at once). */
static struct sk_dkim_verify *
verify(struct sk_resolver *r, const char *msg, size_t len, size_t piece,
       const struct sk_dkim_verify_opts *o)
{
	struct sk_dkim_verify_opts def = { .now = NOW };
	struct sk_dkim_verify *v = NULL;
	struct sk_err e;
	size_t off = 0;

	if (sk_dkim_verify_new(r, o != NULL ? o : &def, &v, &e) != SK_OK)
		return NULL;
	if (piece == 0)
		piece = len;
	while (off < len) {
		size_t n = len - off < piece ? len - off : piece;

		if (sk_dkim_verify_update(v, msg + off, n, &e) != SK_OK) {
			printf("# update: %s\n", e.msg);
			break;
		}
		off += n;
	}
	if (sk_dkim_verify_finish(v, &e) != SK_OK)
		printf("# finish: %s\n", e.msg);
	return v;
}

static const char *
reason(const struct sk_dkim_verify *v, size_t i)
{
	const struct sk_dkim_sig_result *r = sk_dkim_verify_result(v, i);

	return r != NULL ? r->reason : "(none)";
}

static struct sk_resolver *
rfc8463_resolver(void)
{
	struct sk_resolver *r;

	if (sk_resolver_new_script(&r, NULL) != SK_OK)
		return NULL;
	add_key(r, "brisbane._domainkey.football.example.com",
		"v=DKIM1; k=ed25519; "
		"p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=");
	add_key(r, "test._domainkey.football.example.com",
		"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHl"
		"OQoBTzWRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/"
		"byYzCNb3W91y3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4h"
		"stT5QjvHO9PzoxZyVYLzBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB");
	return r;
}

static void
test_rfc8463(void)
{
	const char *files[] = { "rfc8463-appendix-a/signed-message.crlf.eml",
				"rfc8463-appendix-a/signed-message.lf.eml" };
	struct sk_resolver *r = rfc8463_resolver();
	size_t k;

	for (k = 0; k < 2; k++) {
		struct sk_dkim_verify *v;
		size_t len;
		char *msg = slurp(files[k], &len), *p;
		const struct sk_dkim_sig_result *res;

		if (msg == NULL) {
			ok(0, "read %s", files[k]);
			continue;
		}
		v = verify(r, msg, len, 0, NULL);
		is_int(sk_dkim_verify_count(v), 2, "%s: two signatures",
		       files[k]);
		res = sk_dkim_verify_result(v, 0);
		is_str(reason(v, 0), "ok", "%s: ed25519 passes", files[k]);
		is_int(res ? (int)res->result : -1, SK_DKIM_PASS,
		       "ed25519 pass");
		is_str(res ? res->algorithm : NULL, "ed25519-sha256", "a=");
		is_str(res ? res->canon : NULL, "relaxed/relaxed", "c=");
		is_str(res ? res->b_prefix : NULL, "/gCrinpc", "header.b");
		is_str(res ? res->identity : NULL, "@football.example.com",
		       "i=");
		is_str(reason(v, 1), "ok", "%s: rsa passes", files[k]);
		res = sk_dkim_verify_result(v, 1);
		is_int(res ? res->key_bits : 0, 1024, "rsa key 1024 bits");
		sk_dkim_verify_free(v);
		/* same message in 1-byte pieces */
		v = verify(r, msg, len, 1, NULL);
		ok(strcmp(reason(v, 0), "ok") == 0 &&
		   strcmp(reason(v, 1), "ok") == 0,
		   "%s: 1-byte pieces give the same results", files[k]);
		sk_dkim_verify_free(v);
		/* one byte of the body changed */
		p = strstr(msg, "Joe.");
		p[0] = 'j';
		v = verify(r, msg, len, 0, NULL);
		is_str(reason(v, 0), "body-hash-mismatch", "body change: ed");
		is_str(reason(v, 1), "body-hash-mismatch", "body change: rsa");
		ok(sk_dkim_verify_result(v, 0)->result == SK_DKIM_FAIL,
		   "body change is a fail");
		sk_dkim_verify_free(v);
		p[0] = 'J';
		p = strstr(msg, "Subject: Is");
		p[9] = 'i';
		v = verify(r, msg, len, 0, NULL);
		is_str(reason(v, 0), "signature-mismatch", "subject: ed");
		is_str(reason(v, 1), "signature-mismatch", "subject: rsa");
		ok(sk_dkim_verify_result(v, 1)->body_hash_ok, "bh still ok");
		sk_dkim_verify_free(v);
		free(msg);
	}
	sk_resolver_free(r);
}

/* Feed msg whole to v, readied by sk_dkim_verify_reset(). */
static void
verify_again(struct sk_dkim_verify *v, const char *msg, size_t len)
{
	struct sk_err e;

	sk_dkim_verify_reset(v);
	if (sk_dkim_verify_update(v, msg, len, &e) != SK_OK)
		printf("# update: %s\n", e.msg);
	if (sk_dkim_verify_finish(v, &e) != SK_OK)
		printf("# finish: %s\n", e.msg);
}

/* One verifier reset and reused: each message gets the verdicts a new
 * verifier gives it, nothing of the previous message left over. */
static void
test_reset(void)
{
	static const char none[] = "From: a@example.com\r\n\r\nhi\r\n";
	struct sk_resolver *r = rfc8463_resolver();
	struct sk_dkim_verify *v;
	size_t len, round;
	char *msg = slurp("rfc8463-appendix-a/signed-message.crlf.eml", &len);
	char *p;

	if (msg == NULL || r == NULL) {
		ok(0, "reset: data");
		free(msg);
		sk_resolver_free(r);
		return;
	}
	v = verify(r, msg, len, 0, NULL);
	ok(v != NULL && sk_dkim_verify_count(v) == 2, "reset: first message");
	for (round = 0; v != NULL && round < 2; round++) {
		p = strstr(msg, "Joe.");
		p[0] = 'j';
		verify_again(v, msg, len);
		is_str(reason(v, 1), "body-hash-mismatch",
		       "reset %zu: body change seen", round);
		p[0] = 'J';
		sk_dkim_verify_reset(v);
		is_int(sk_dkim_verify_count(v), 0,
		       "reset %zu: no results before finish", round);
		verify_again(v, none, sizeof(none) - 1);
		is_int(sk_dkim_verify_count(v), 0,
		       "reset %zu: unsigned message has none", round);
		verify_again(v, msg, len);
		ok(sk_dkim_verify_count(v) == 2 &&
		   strcmp(reason(v, 0), "ok") == 0 &&
		   strcmp(reason(v, 1), "ok") == 0,
		   "reset %zu: both pass again", round);
		is_str(sk_dkim_verify_result(v, 0)->b_prefix, "/gCrinpc",
		       "reset %zu: header.b of this message", round);
		p = strstr(msg, "Subject: Is");
		p[9] = 'i';
		verify_again(v, msg, len);
		is_str(reason(v, 0), "signature-mismatch",
		       "reset %zu: header change seen (ed)", round);
		is_str(reason(v, 1), "signature-mismatch",
		       "reset %zu: header change seen (rsa)", round);
		ok(sk_dkim_verify_result(v, 1)->body_hash_ok,
		   "reset %zu: bh ok", round);
		p[9] = 'I';
	}
	sk_dkim_verify_reset(NULL);
	sk_dkim_verify_free(v);
	sk_resolver_free(r);
	free(msg);
}

static void
test_dkimpy(void)
{
	struct sk_resolver *r;
	struct sk_dkim_verify *v;
	size_t len, klen;
	char *msg = slurp("dkimpy/rfc6376.signed.msg", &len);
	char *ed = slurp("dkimpy/ed25519test.dns", &klen);
	char *rsa = slurp("dkimpy/test.txt", &klen);

	if (msg == NULL || ed == NULL || rsa == NULL) {
		ok(0, "dkimpy data");
		return;
	}
	ed[strcspn(ed, "\r\n")] = '\0';
	rsa[strcspn(rsa, "\r\n")] = '\0';
	if (sk_resolver_new_script(&r, NULL) != SK_OK)
		return;
	add_key(r, "brisbane._domainkey.football.example.com", ed);
	add_key(r, "test._domainkey.football.example.com", rsa);
	v = verify(r, msg, len, 0, NULL);
	is_int(sk_dkim_verify_count(v), 2, "dkimpy: two signatures");
	/* Signed in 2018 by a dkimpy draft of RFC 8463 (dkimpy 1.1.4 rejects
	 * it too): the body hash matches, the signature cannot. */
	is_str(reason(v, 0), "signature-mismatch",
	       "dkimpy rfc6376.signed.msg ed25519 (pre-RFC 8463 draft)");
	ok(sk_dkim_verify_result(v, 0) != NULL &&
	   sk_dkim_verify_result(v, 0)->body_hash_ok, "its body hash matches");
	is_str(reason(v, 1), "ok", "dkimpy rfc6376.signed.msg rsa");
	sk_dkim_verify_free(v);
	sk_resolver_free(r);
	free(msg);
	free(ed);
	free(rsa);
}

/* ------------------------------------------------------------ round trip */

struct key {
	struct sk_dkim_signer *signer;
	char record[2048];
};

/* k's signer and record from pk (freed). */
static int
key_from_pkey(struct key *k, int type, EVP_PKEY *pk)
{
	BIO *bio;
	char *pem;
	long pl;
	sk_status st;

	if (pk == NULL)
		return -1;
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(bio, pk, NULL, NULL, 0, NULL, NULL);
	pl = BIO_get_mem_data(bio, &pem);
	st = sk_dkim_signer_new_pem(&k->signer, pem, (size_t)pl, NULL);
	BIO_free(bio);
	if (type == SK_DKIM_KEY_RSA) {
		unsigned char *der = NULL;
		int dl = i2d_PUBKEY(pk, &der);
		char *b64 = sk__base64_encode(der, (size_t)dl);

		snprintf(k->record, sizeof(k->record), "v=DKIM1; k=rsa; p=%s",
			 b64);
		sk__free(b64);
		OPENSSL_free(der);
	} else {
		unsigned char raw[32];
		size_t rl = sizeof(raw);
		char *b64;

		EVP_PKEY_get_raw_public_key(pk, raw, &rl);
		b64 = sk__base64_encode(raw, rl);
		snprintf(k->record, sizeof(k->record),
			 "v=DKIM1; k=ed25519; p=%s", b64);
		sk__free(b64);
	}
	EVP_PKEY_free(pk);
	return st == SK_OK ? 0 : -1;
}

static int
make_key(struct key *k, int type, unsigned bits)
{
	if (type == SK_DKIM_KEY_RSA)
		return key_from_pkey(k, type, EVP_PKEY_Q_keygen(NULL, NULL,
								"RSA",
								(size_t)bits));
	return key_from_pkey(k, type, EVP_PKEY_Q_keygen(NULL, NULL,
							"ED25519"));
}

/* An RSA key with public exponent e (decimal). */
static int
make_key_e(struct key *k, unsigned bits, const char *e)
{
	return key_from_pkey(k, SK_DKIM_KEY_RSA, test_rsa_keygen(bits, e));
}

static const char base_msg[] =
	"Received: from x by y; Fri, 11 Jul 2003 21:01:54 -0700\r\n"
	"From: Joe SixPack <joe@football.example.com>\r\n"
	"To: Suzie Q <suzie@shopping.example.net>,\r\n"
	"   another <a@b.example>\r\n"
	"Subject:  Is   dinner ready?  \r\n"
	"Date: Fri, 11 Jul 2003 21:00:37 -0700 (PDT)\r\n"
	"Message-ID: <20030712040037.46341.5F8J@football.example.com>\r\n"
	"\r\n"
	"Hi.  \r\n"
	"\r\n"
	"We lost  the game. Are you hungry yet?\r\n"
	"\r\n"
	"Joe.\r\n"
	"\r\n"
	"\r\n";

static char *
sign(const struct key *k, const struct sk_dkim_sign_opts *o, const char *msg,
     size_t len, size_t piece)
{
	struct sk_dkim_sign *ctx;
	char *h = NULL;
	struct sk_err e;
	size_t off = 0;

	if (sk_dkim_sign_start(k->signer, o, &ctx, &e) != SK_OK) {
		printf("# sign_start: %s\n", e.msg);
		return NULL;
	}
	if (piece == 0)
		piece = len;
	while (off < len) {
		size_t n = len - off < piece ? len - off : piece;

		if (sk_dkim_sign_update(ctx, msg + off, n, &e) != SK_OK)
			break;
		off += n;
	}
	if (sk_dkim_sign_finish(ctx, &h, &e) != SK_OK)
		printf("# sign_finish: %s\n", e.msg);
	return h;
}

/* header + CRLF + msg */
static char *
signed_msg(const char *h, const char *msg, size_t *len)
{
	size_t hl = strlen(h), ml = strlen(msg);
	char *out = malloc(hl + 2 + ml + 1);

	memcpy(out, h, hl);
	memcpy(out + hl, "\r\n", 2);
	memcpy(out + hl + 2, msg, ml + 1);
	*len = hl + 2 + ml;
	return out;
}

/* Sign msg, verify, return the reason of signature 0. */
static const char *
round_trip(struct sk_resolver *r, const struct key *k,
	   const struct sk_dkim_sign_opts *o, const char *msg,
	   const struct sk_dkim_verify_opts *vo, char *why, size_t whylen)
{
	char *h = sign(k, o, msg, strlen(msg), 0), *sm;
	struct sk_dkim_verify *v;
	size_t len;

	if (h == NULL)
		return "sign-failed";
	sm = signed_msg(h, msg, &len);
	v = verify(r, sm, len, 0, vo);
	snprintf(why, whylen, "%s", reason(v, 0));
	sk_dkim_verify_free(v);
	free(sm);
	free(h);
	return why;
}

/* One resolver, one cached key and the verifier kept with it (rsa.c,
 * or EVP's for a key rsa.c leaves to it): a tampered message between two
 * good ones fails alone. */
static void
reuse(struct sk_resolver *r, const struct key *k, const char *sel,
      const char *label)
{
	struct sk_dkim_sign_opts o = { .domain = "example.com",
				       .selector = sel, .timestamp = NOW };
	char *h = sign(k, &o, base_msg, strlen(base_msg), 0), *sm;
	const char *want[3] = { "ok", "signature-mismatch", "ok" };
	struct sk_dkim_verify *v;
	char *subj;
	size_t len;
	int n;

	for (n = 0; h != NULL && n < 3; n++) {
		sm = signed_msg(h, base_msg, &len);
		subj = strstr(sm, "dinner");
		if (n == 1 && subj != NULL)
			subj[0] = 'D'; /* a signed header changed */
		v = verify(r, sm, len, 0, NULL);
		is_str(reason(v, 0), want[n], "%s: reused key, message %d",
		       label, n + 1);
		sk_dkim_verify_free(v);
		free(sm);
	}
	ok(h != NULL, "%s: signed for the reuse test", label);
	free(h);
}

/* Exponents: 3 (rsa.c), and 2^65 + 3 (left to EVP_PKEY_verify). */
static void
test_exponents(void)
{
	struct key e3, big;
	struct sk_resolver *r;

	if (make_key_e(&e3, 2048, "3") != 0 ||
	    make_key_e(&big, 1024, "36893488147419103235") != 0) {
		ok(0, "key generation with e = 3 and e = 2^65 + 3");
		return;
	}
	if (sk_resolver_new_script(&r, NULL) != SK_OK)
		return;
	add_key(r, "e3._domainkey.example.com", e3.record);
	add_key(r, "big._domainkey.example.com", big.record);
	reuse(r, &e3, "e3", "e=3");
	reuse(r, &big, "big", "e=2^65+3");
	sk_resolver_free(r);
	sk_dkim_signer_free(e3.signer);
	sk_dkim_signer_free(big.signer);
}

static void
test_round_trips(void)
{
	int bad = 0;
	struct key rsa, ed, small;
	struct sk_resolver *r;
	char why[64];
	int hc, bc;

	if (make_key(&rsa, SK_DKIM_KEY_RSA, 2048) != 0 ||
	    make_key(&ed, SK_DKIM_KEY_ED25519, 0) != 0 ||
	    make_key(&small, SK_DKIM_KEY_RSA, 512) != 0) {
		ok(0, "key generation");
		return;
	}
	is_int(sk_dkim_signer_bits(rsa.signer), 2048, "signer bits");
	is_int(sk_dkim_signer_type(ed.signer), SK_DKIM_KEY_ED25519, "type");
	if (sk_resolver_new_script(&r, NULL) != SK_OK)
		return;
	add_key(r, "rsa._domainkey.example.com", rsa.record);
	add_key(r, "ed._domainkey.example.com", ed.record);
	add_key(r, "small._domainkey.example.com", small.record);
	add_key(r, "revoked._domainkey.example.com", "v=DKIM1; p=");
	for (hc = 0; hc < 2; hc++) {
		for (bc = 0; bc < 2; bc++) {
			struct sk_dkim_sign_opts o = {
				.domain = "example.com", .selector = "rsa",
				.hcanon = hc, .bcanon = bc,
				.timestamp = NOW,
			};

			is_str(round_trip(r, &rsa, &o, base_msg, NULL, why,
					  sizeof(why)),
			       "ok", "rsa-2048 %s/%s", sk_dkim_canon_str(hc),
			       sk_dkim_canon_str(bc));
			o.selector = "ed";
			is_str(round_trip(r, &ed, &o, base_msg, NULL, why,
					  sizeof(why)),
			       "ok", "ed25519 %s/%s", sk_dkim_canon_str(hc),
			       sk_dkim_canon_str(bc));
		}
	}
	reuse(r, &rsa, "rsa", "rsa-2048");
	{
		struct sk_dkim_sign_opts o = { .domain = "example.com",
					       .selector = "rsa",
					       .timestamp = NOW,
					       .body_length = true,
					       .identity =
						       "joe@sub.example.com",
					       .hcanon = SK_DKIM_RELAXED };
		char *h = sign(&rsa, &o, base_msg, strlen(base_msg), 0), *sm;
		size_t len;
		struct sk_dkim_verify *v;
		char *m2;
		const struct sk_dkim_sig_result *res;

		ok(h != NULL && strstr(h, " l=") != NULL, "l= present");
		ok(h != NULL && strstr(h, "i=joe@sub.example.com;") != NULL,
		   "i= present");
		/* l=: text appended after the signed length still passes. */
		m2 = malloc(strlen(base_msg) + 64);
		snprintf(m2, strlen(base_msg) + 64, "%sappended by a list\r\n",
			 base_msg);
		sm = signed_msg(h, m2, &len);
		v = verify(r, sm, len, 0, NULL);
		is_str(reason(v, 0), "ok", "l=: appended body passes");
		res = sk_dkim_verify_result(v, 0);
		ok(res != NULL && res->length > 0, "l= reported");
		sk_dkim_verify_free(v);
		free(sm);
		/* l= longer than the body: fails */
		sm = signed_msg(h, "From: a@example.com\r\n\r\nHi.\r\n", &len);
		v = verify(r, sm, len, 0, NULL);
		is_str(reason(v, 0), "body-hash-mismatch", "l= over body");
		sk_dkim_verify_free(v);
		free(sm);
		free(m2);
		free(h);
	}
	{
		struct sk_dkim_sign_opts o = { .domain = "example.com",
					       .selector = "rsa",
					       .timestamp = NOW - 1000,
					       .expire = 100 };

		is_str(round_trip(r, &rsa, &o, base_msg, NULL, why,
				  sizeof(why)),
		       "signature-expired", "x= expired");
		o.timestamp = NOW + 3600;
		o.expire = 0;
		is_str(round_trip(r, &rsa, &o, base_msg, NULL, why,
				  sizeof(why)),
		       "signature-future", "t= in the future");
		o.timestamp = NOW;
		o.selector = "small";
		is_str(round_trip(r, &small, &o, base_msg, NULL, why,
				  sizeof(why)),
		       "key-too-small", "512-bit key refused");
		o.selector = "revoked";
		is_str(round_trip(r, &rsa, &o, base_msg, NULL, why,
				  sizeof(why)),
		       "key-revoked", "revoked key");
		o.selector = "missing";
		is_str(round_trip(r, &rsa, &o, base_msg, NULL, why,
				  sizeof(why)),
		       "key-missing", "no key record");
		o.selector = "ed";
		is_str(round_trip(r, &rsa, &o, base_msg, NULL, why,
				  sizeof(why)),
		       "key-type-mismatch", "rsa signature, ed25519 key");
	}
	{
		/* Edit a good signature: each edit gives its reason. */
		struct sk_dkim_sign_opts o = { .domain = "example.com",
					       .selector = "rsa",
					       .timestamp = NOW };
		char *h = sign(&rsa, &o, base_msg, strlen(base_msg), 0);
		static const struct {
			const char *from, *to, *reason;
		} edits[] = {
			{ "a=rsa-sha256", "a=rsa-sha1", "sha1-refused" },
			{ "a=rsa-sha256", "a=dsa-sha256",
			  "algorithm-unsupported" },
			{ "d=example.com;", "d=example.com; i=@evil.test;",
			  "identity-outside-domain" },
			{ "h=from:from:", "h=", "from-not-signed" },
			{ "v=1;", "v=2;", "version-unsupported" },
			{ "bh=", "xx=", "tag-missing" },
			{ "d=example.com;", "", "tag-missing" },
			{ "c=simple/simple", "c=odd", "signature-syntax" },
		};
		size_t i;

		for (i = 0; h != NULL && i < sizeof(edits) / sizeof(edits[0]);
		     i++) {
			char buf[4096], *p = strstr(h, edits[i].from), *sm;
			struct sk_dkim_verify *v;
			size_t len;

			if (p == NULL) {
				ok(0, "edit %s not found in %s", edits[i].from,
				   h);
				continue;
			}
			snprintf(buf, sizeof(buf), "%.*s%s%s", (int)(p - h), h,
				 edits[i].to, p + strlen(edits[i].from));
			sm = signed_msg(buf, base_msg, &len);
			v = verify(r, sm, len, 0, NULL);
			is_str(reason(v, 0), edits[i].reason, "edit %s -> %s",
			       edits[i].from, edits[i].to);
			is_int(sk_dkim_verify_result(v, 0)->result,
			       SK_DKIM_PERMERROR, "permerror");
			sk_dkim_verify_free(v);
			free(sm);
		}
		free(h);
	}
	{
		/* Bare LF input signs like CRLF input; pieces do not matter. */
		struct sk_dkim_sign_opts o = { .domain = "example.com",
					       .selector = "ed",
					       .timestamp = NOW,
					       .hcanon = SK_DKIM_RELAXED };
		char lf[sizeof(base_msg)];
		size_t i, n = 0;
		char *h1, *h2, *h3;

		for (i = 0; base_msg[i] != '\0'; i++)
			if (base_msg[i] != '\r')
				lf[n++] = base_msg[i];
		lf[n] = '\0';
		h1 = sign(&ed, &o, base_msg, strlen(base_msg), 0);
		h2 = sign(&ed, &o, lf, n, 0);
		h3 = sign(&ed, &o, base_msg, strlen(base_msg), 1);
		ok(h1 && h2 && strcmp(h1, h2) == 0,
		   "bare LF gives the CRLF signature");
		ok(h1 && h3 && strcmp(h1, h3) == 0,
		   "1-byte pieces give the same signature");
		/* Folding: no line over 78 columns. */
		{
			const char *p = h1;
			size_t maxl = 0;

			while (p && *p) {
				size_t l = strcspn(p, "\r");

				if (l > maxl)
					maxl = l;
				p += l;
				if (*p == '\r')
					p += 2;
			}
			ok(maxl <= 78, "folded at 78 (longest %zu)", maxl);
		}
		/* oversigning: an added From breaks the signature. */
		ok(h1 && strstr(h1, "h=from:from:subject:subject:date:date:"
				"to:to:message-id;") != NULL,
		   "default h= with oversigning: %s", h1 ? h1 : "");
		{
			size_t len;
			char *sm = signed_msg(h1, base_msg, &len), *sm2;
			struct sk_dkim_verify *v;

			sm2 = malloc(len + 64);
			snprintf(sm2, len + 64, "From: evil@x.test\r\n%s", sm);
			v = verify(r, sm2, strlen(sm2), 0, NULL);
			is_str(reason(v, 0), "signature-mismatch",
			       "added From breaks the signature");
			sk_dkim_verify_free(v);
			free(sm2);
			free(sm);
		}
		free(h1);
		free(h2);
		free(h3);
	}
	{
		/* No From: refused by the signer. */
		struct sk_dkim_sign_opts o = { .domain = "example.com",
					       .selector = "rsa" };
		struct sk_dkim_sign *ctx;
		char *h = NULL;
		struct sk_err e;

		if (sk_dkim_sign_start(rsa.signer, &o, &ctx, &e) == SK_OK) {
			const char *m = "To: a@b.example\r\n\r\nhi\r\n";

			bad += SK_OK != sk_dkim_sign_update(ctx, m, strlen(m),
							    &e);
			is_int(sk_dkim_sign_finish(ctx, &h, &e), SK_ESYNTAX,
			       "no From -> SK_ESYNTAX");
		}
		o.identity = "a@other.test";
		is_int(sk_dkim_sign_start(rsa.signer, &o, &ctx, &e),
		       SK_EINVAL, "identity outside the domain refused");
		o.identity = NULL;
		o.headers = "to:subject";
		is_int(sk_dkim_sign_start(rsa.signer, &o, &ctx, &e),
		       SK_EINVAL, "explicit list without From refused");
	}
	{
		/* 20 MB body, fed in chunks, memory bounded by design. */
		struct sk_dkim_sign_opts o = { .domain = "example.com",
					       .selector = "rsa",
					       .timestamp = NOW,
					       .bcanon = SK_DKIM_RELAXED };
		const char *hdr = "From: a@example.com\r\nSubject: big\r\n\r\n";
		struct sk_dkim_verify_opts vo = { .now = NOW };
		char chunk[65536];
		struct sk_dkim_sign *ctx;
		struct sk_dkim_verify *v;
		char *h = NULL;
		size_t i;

		for (i = 0; i < sizeof(chunk); i++)
			chunk[i] = (i % 64 == 63) ? '\n' : (char)('a' + i % 26);
		if (sk_dkim_sign_start(rsa.signer, &o, &ctx, NULL) == SK_OK) {
			bad += SK_OK != sk_dkim_sign_update(ctx, hdr,
							    strlen(hdr), NULL);
			for (i = 0; i < 320; i++)
				bad += SK_OK != sk_dkim_sign_update(ctx, chunk,
							  sizeof(chunk), NULL);
			bad += SK_OK != sk_dkim_sign_finish(ctx, &h, NULL);
		}
		ok(h != NULL, "20 MB body signed");
		if (h != NULL &&
		    sk_dkim_verify_new(r, &vo, &v, NULL) == SK_OK) {
			bad += SK_OK != sk_dkim_verify_update(v, h, strlen(h),
							      NULL);
			bad += SK_OK != sk_dkim_verify_update(v, "\r\n", 2,
							      NULL);
			bad += SK_OK != sk_dkim_verify_update(v, hdr,
							      strlen(hdr),
							      NULL);
			for (i = 0; i < 320; i++)
				bad += SK_OK != sk_dkim_verify_update(v, chunk,
							    sizeof(chunk),
							    NULL);
			bad += SK_OK != sk_dkim_verify_finish(v, NULL);
			is_str(reason(v, 0), "ok", "20 MB body verifies");
			sk_dkim_verify_free(v);
		}
		free(h);
	}
	is_int(bad, 0, "every update and finish call succeeded");
	sk_dkim_signer_free(rsa.signer);
	sk_dkim_signer_free(ed.signer);
	sk_dkim_signer_free(small.signer);
	sk_resolver_free(r);
}

/* ------------------------------------------------------------ canon */

static char *
body_canon(enum sk_dkim_canon c, const char *in, uint64_t *total)
{
	struct sk__dkim_body b;
	static char hex[65];
	size_t i;

	(void)sk__dkim_body_init(&b, c, EVP_sha256(), SK__DKIM_NO_LIMIT);
	(void)sk__dkim_body_update(&b, in, strlen(in));
	(void)sk__dkim_body_final(&b);
	for (i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", b.digest[i]);
	*total = b.total;
	sk__dkim_body_free(&b);
	return hex;
}

static void
test_canon(void)
{
	struct sk_buf out;
	uint64_t n;
	char want[65];

	sk__buf_init(&out, 4096);
	(void)sk__dkim_canon_header(SK_DKIM_RELAXED,
				    "SubJect \t:  A  \r\n\t b\t \r\n", 24,
				    &out);
	is_str(out.p, "subject:A b\r\n", "relaxed header (3.4.2)");
	sk__buf_reset(&out);
	(void)sk__dkim_canon_header(SK_DKIM_SIMPLE, "X:  a \r\n", 8, &out);
	is_str(out.p, "X:  a \r\n", "simple header unchanged");
	sk__buf_free(&out);
	/* RFC 6376 3.4.5 examples: body " C \r\nD \t E\r\n\r\n\r\n" */
	snprintf(want, sizeof(want), "%s",
		 body_canon(SK_DKIM_RELAXED, " C\r\nD E\r\n", &n));
	is_str(body_canon(SK_DKIM_RELAXED, " C \r\nD \t E\r\n\r\n\r\n", &n),
	       want, "relaxed body 3.4.5");
	is_int(n, 9, "relaxed length");
	(void)body_canon(SK_DKIM_SIMPLE, " C \r\nD \t E\r\n\r\n\r\n", &n);
	is_int(n, 12, "simple body drops trailing empty lines");
	/* empty bodies: simple = CRLF, relaxed = nothing (3.4.3/3.4.4) */
	is_str(body_canon(SK_DKIM_SIMPLE, "", &n),
	       "7eb70257593da06f682a3ddda54a9d26"
	       "0d4fc514f645237f5ca74b08f8da61a6",
	       "empty body, simple: one CRLF");
	is_str(body_canon(SK_DKIM_RELAXED, "\r\n\r\n", &n),
	       "e3b0c44298fc1c149afbf4c8996fb924"
	       "27ae41e4649b934ca495991b7852b855",
	       "empty body, relaxed: nothing");
}


static uint64_t sig_rng = 0x9e3779b97f4a7c15u;

static unsigned
sig_rand(unsigned n)
{
	return (unsigned)(test_rng_next(&sig_rng) >> 33) % n;
}

/* enc with FWS put in at random places (as folding signers do). */
static size_t
sig_fold(const char *enc, size_t n, char *out)
{
	static const char *const fws[] = { "\r\n\t", "\r\n ", " ", "\t",
					   "\r\n\t  " };
	size_t o = 0;

	for (size_t i = 0; i < n; i++) {
		if (i > 0 && sig_rand(23) == 0) {
			const char *f = fws[sig_rand(5)];

			memcpy(out + o, f, strlen(f));
			o += strlen(f);
		}
		out[o++] = enc[i];
	}
	return o;
}

/*
 * The DKIM-Signature parser's b= and bh= decoding (its vector and scalar
 * paths and the strict fallback) against OpenSSL's encoder, for every
 * length 0..400 with FWS in random places; one character swapped for a
 * VALCHAR outside the alphabet must make b= "not base64" wherever it is.
 * Also the tag copies without FWS and the default identity (3.5 i=).
 */
static void
test_sig_fields(void)
{
	static const char bad[] = "*-_.!~,";
	unsigned char raw[400], bh[32];
	char enc[600], folded[1200], benc[64], field[1600];
	struct sk__dkim_sig *sig;
	int ok_b = 1, ok_bad = 1, ok_copy = 1, n;

	for (size_t i = 0; i < sizeof(bh); i++)
		bh[i] = (unsigned char)(i * 7 + 1);
	EVP_EncodeBlock((unsigned char *)benc, bh, sizeof(bh));
	for (size_t len = 1; len <= sizeof(raw); len++) {
		for (int round = 0; round < 3; round++) {
			size_t el, fl;
			int corrupt = round == 2;
			size_t at = 0;

			for (size_t i = 0; i < len; i++)
				raw[i] = (unsigned char)sig_rand(256);
			el = (size_t)EVP_EncodeBlock((unsigned char *)enc,
						     raw, (int)len);
			if (corrupt) {
				/* not in the padding: '=' there stays */
				at = sig_rand(el > 4 ? (unsigned)(el - 4) : 2);
				enc[at] = bad[sig_rand(sizeof(bad) - 1)];
			}
			fl = round == 0 ? el : sig_fold(enc, el, folded);
			n = snprintf(field, sizeof(field),
				     "DKIM-Signature: v=1; a=rsa-sha256; "
				     "d=Example.COM; s=sel;\r\n\th=from : to"
				     "; bh=%s; b=%.*s\r\n", benc, (int)fl,
				     round == 0 ? enc : folded);
			if (sk__dkim_sig_parse(field, (size_t)n, &sig) !=
			    SK_OK) {
				ok_b = 0;
				continue;
			}
			if (corrupt) {
				if (sig->blen != 0 || sig->reason == NULL ||
				    strcmp(sig->reason,
					   "signature-syntax") != 0)
					ok_bad = 0;
			} else if (sig->reason != NULL || sig->blen != len ||
				   memcmp(sig->b, raw, len) != 0 ||
				   sig->bhlen != sizeof(bh) ||
				   memcmp(sig->bh, bh, sizeof(bh)) != 0) {
				ok_b = 0;
			} else if (sig->b64_len != el ||
				   memcmp(sig->b64, enc, el) != 0 ||
				   sig->b64[el] != '\0' ||
				   strcmp(sig->h, "from:to") != 0 ||
				   strcmp(sig->auid, "@Example.COM") != 0) {
				ok_copy = 0;
			}
			sk__dkim_sig_free(sig);
		}
	}
	ok(ok_b, "b= and bh= decode to the signed bytes, lengths 1..400, "
	   "with and without FWS");
	ok(ok_bad, "a non-base64 VALCHAR anywhere in b= makes the "
	   "signature unusable (signature-syntax)");
	ok(ok_copy, "tag copies drop FWS; no i= gives the identity @d=");

	n = snprintf(field, sizeof(field),
		     "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; "
		     "s=sel; i=user@Sub.Example.com; h=from; bh=%s; b=%s\r\n",
		     benc, benc);
	if (sk__dkim_sig_parse(field, (size_t)n, &sig) == SK_OK) {
		is_str(sig->auid, "user@Sub.Example.com", "i= is the identity");
		sk__dkim_sig_free(sig);
	} else {
		ok(0, "i= is the identity");
	}
}

/* Parse field (NUL-terminated) from a heap copy of exactly its bytes, so
 * that ASan sees any read past them. */
static struct sk__dkim_sig *
sig_exact(const char *field)
{
	size_t n = strlen(field);
	char *f = malloc(n);
	struct sk__dkim_sig *sig = NULL;

	if (f == NULL)
		return NULL;
	memcpy(f, field, n);
	if (sk__dkim_sig_parse(f, n, &sig) != SK_OK)
		sig = NULL;
	/* the result holds copies: nothing may point into f */
	memset(f, '#', n);
	free(f);
	return sig;
}

#define SIG_HEAD "DKIM-Signature: v=1; a=rsa-sha256; d=example.com; " \
		 "s=sel; h=from; bh=" SIG_BH "; b=" SIG_BH
#define SIG_BH "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU="

/*
 * The short-value paths of sig.c: values at the very end of the field
 * (no CRLF, so no 16 readable bytes after them), numbers read in place
 * (up to 18 digits without overflow checks, more with them), the
 * lower-case spellings of a=, c= and q= tried first, d= and s= by table,
 * "from" in h= in any case.
 */
static void
test_sig_values(void)
{
	static const struct {
		const char *tail; /* after SIG_HEAD */
		const char *reason; /* NULL: usable */
		long long t, x;
		const char *canon;
		int alg;
	} c[] = {
		{ "", NULL, -1, -1, "simple/simple", SK_DKIM_RSA_SHA256 },
		{ "; t=1", NULL, 1, -1, "simple/simple", SK_DKIM_RSA_SHA256 },
		{ "; t=123456789012345678", NULL, 123456789012345678LL, -1,
		  "simple/simple", SK_DKIM_RSA_SHA256 },
		{ "; t=9223372036854775807", NULL, 9223372036854775807LL, -1,
		  "simple/simple", SK_DKIM_RSA_SHA256 },
		{ "; t=9223372036854775808", "signature-syntax", -1, -1,
		  "simple/simple", SK_DKIM_RSA_SHA256 },
		{ "; t=000000000000000000012", NULL, 12, -1, "simple/simple",
		  SK_DKIM_RSA_SHA256 },
		{ "; t=12 34\r\n 5", NULL, 12345, -1, "simple/simple",
		  SK_DKIM_RSA_SHA256 },
		{ "; t=12a", "signature-syntax", -1, -1, "simple/simple",
		  SK_DKIM_RSA_SHA256 },
		{ "; t=", "signature-syntax", -1, -1, "simple/simple",
		  SK_DKIM_RSA_SHA256 },
		{ "; t=5; x=4", "signature-syntax", 5, 4, "simple/simple",
		  SK_DKIM_RSA_SHA256 },
		{ "; x=7; t=7", NULL, 7, 7, "simple/simple",
		  SK_DKIM_RSA_SHA256 },
		{ "; c=relaxed/relaxed", NULL, -1, -1, "relaxed/relaxed",
		  SK_DKIM_RSA_SHA256 },
		{ "; c=relaxed/simple", NULL, -1, -1, "relaxed/simple",
		  SK_DKIM_RSA_SHA256 },
		{ "; c=Relaxed/RELAXED", NULL, -1, -1, "relaxed/relaxed",
		  SK_DKIM_RSA_SHA256 },
		{ "; c=relaxed", NULL, -1, -1, "relaxed/simple",
		  SK_DKIM_RSA_SHA256 },
		{ "; c=simple/relaxed", NULL, -1, -1, "simple/relaxed",
		  SK_DKIM_RSA_SHA256 },
		{ "; c=relaxed/relaxedx", "signature-syntax", -1, -1,
		  "relaxed/simple", SK_DKIM_RSA_SHA256 },
		{ "; c=relaxed/", "signature-syntax", -1, -1, "relaxed/simple",
		  SK_DKIM_RSA_SHA256 },
		{ "; q=dns/txt", NULL, -1, -1, "simple/simple",
		  SK_DKIM_RSA_SHA256 },
		{ "; q=DNS/TXT", NULL, -1, -1, "simple/simple",
		  SK_DKIM_RSA_SHA256 },
		{ "; q=x:dns/txt", NULL, -1, -1, "simple/simple",
		  SK_DKIM_RSA_SHA256 },
		{ "; q=dns/txtx", "signature-syntax", -1, -1, "simple/simple",
		  SK_DKIM_RSA_SHA256 },
	};
	char field[512];
	struct sk__dkim_sig *sig;

	for (size_t k = 0; k < sizeof(c) / sizeof(c[0]); k++) {
		snprintf(field, sizeof(field), "%s%s", SIG_HEAD, c[k].tail);
		sig = sig_exact(field);
		if (sig == NULL) {
			ok(0, "parse %s", c[k].tail);
			continue;
		}
		ok((c[k].reason == NULL ? sig->reason == NULL
					: sig->reason != NULL &&
					  strcmp(sig->reason, c[k].reason) ==
					      0) &&
			   sig->t == c[k].t && sig->x == c[k].x &&
			   strcmp(sig->canon_str, c[k].canon) == 0 &&
			   (int)sig->alg == c[k].alg && sig->alg_known,
		   "tail \"%s\": reason %s, t=%lld x=%lld, %s", c[k].tail,
		   sig->reason != NULL ? sig->reason : "none", sig->t, sig->x,
		   sig->canon_str);
		sk__dkim_sig_free(sig);
	}

	/* a= spellings; v= at the end of the field */
	sig = sig_exact("DKIM-Signature: a=RSA-SHA256; d=example.com; s=sel;"
			" h=From; bh=" SIG_BH "; b=" SIG_BH "; v=1");
	ok(sig != NULL && sig->reason == NULL && sig->alg_known &&
	   sig->alg == SK_DKIM_RSA_SHA256 && strcmp(sig->v, "1") == 0 &&
	   strcmp(sig->a, "RSA-SHA256") == 0,
	   "a=RSA-SHA256 folds case; v=1 last in the field");
	sk__dkim_sig_free(sig);
	sig = sig_exact("DKIM-Signature: a=rsa-sha1; d=example.com; s=sel;"
			" h=FROM; bh=" SIG_BH "; b=" SIG_BH "; v=11");
	ok(sig != NULL && sig->reason != NULL &&
	   strcmp(sig->reason, "version-unsupported") == 0 &&
	   sig->alg == SK_DKIM_RSA_SHA1, "v=11 is not v=1; a=rsa-sha1");
	sk__dkim_sig_free(sig);
	sig = sig_exact("DKIM-Signature: a=Ed25519-SHA256; d=example.com; "
			"s=sel; h=fRoM:to; bh=" SIG_BH "; b=" SIG_BH "; v=1");
	ok(sig != NULL && sig->reason == NULL &&
	   sig->alg == SK_DKIM_ED25519_SHA256 && sig->nnames == 2,
	   "a=Ed25519-SHA256; h=fRoM counts as From");
	sk__dkim_sig_free(sig);
	sig = sig_exact("DKIM-Signature: a=rsa-sha2566; d=example.com; "
			"s=sel; h=from; bh=" SIG_BH "; b=" SIG_BH "; v=1");
	ok(sig != NULL && sig->reason != NULL &&
	   strcmp(sig->reason, "algorithm-unsupported") == 0 &&
	   !sig->alg_known, "a=rsa-sha2566 is unknown");
	sk__dkim_sig_free(sig);
	/* h= names that look like From but are not */
	sig = sig_exact("DKIM-Signature: a=rsa-sha256; d=example.com; "
			"s=sel; h=fro:froms:fr\x6fN:From_; bh=" SIG_BH "; b="
			SIG_BH "; v=1");
	ok(sig != NULL && sig->reason != NULL &&
	   strcmp(sig->reason, "from-not-signed") == 0 && sig->nnames == 4,
	   "fro, froms, froN, From_ are not From");
	sk__dkim_sig_free(sig);

	/* d= and s= names, at the end of the field too */
	static const struct {
		const char *ds;
		int good;
	} names[] = {
		{ "d=example.com; s=sel", 1 },
		{ "d=Ex_a-mple.C0M.; s=a.b", 1 },
		{ "d=example..com; s=sel", 0 },
		{ "d=.example.com; s=sel", 0 },
		{ "d=exa!mple.com; s=sel", 0 },
		{ "d=example.com; s=se/l", 0 },
		{ "d=example.com; s=", 0 },
		{ "d=example.com; s=x\r\n .y", 1 },
		/* labels of 63 and 64 bytes */
		{ "d=a234567890123456789012345678901234567890123456789012345"
		  "67890123.com; s=s", 1 },
		{ "d=a234567890123456789012345678901234567890123456789012345"
		  "678901234.com; s=s", 0 },
	};
	for (size_t k = 0; k < sizeof(names) / sizeof(names[0]); k++) {
		snprintf(field, sizeof(field), "DKIM-Signature: v=1; "
			 "a=rsa-sha256; h=from; bh=%s; b=%s; %s", SIG_BH,
			 SIG_BH, names[k].ds);
		sig = sig_exact(field);
		ok(sig != NULL && (names[k].good ? sig->reason == NULL
						 : sig->reason != NULL &&
						   strcmp(sig->reason,
							  "signature-syntax") ==
						       0),
		   "%s: %s", names[k].ds, names[k].good ? "good" : "bad");
		sk__dkim_sig_free(sig);
	}
	/* A folded s= copied without FWS; the field without b='s value. */
	sig = sig_exact("DKIM-Signature: v=1; a=rsa-sha256; h=from; bh="
			SIG_BH "; b=" SIG_BH "; d=example.com; s=x\r\n .y");
	ok(sig != NULL && strcmp(sig->s, "x.y") == 0 &&
	   sig->unsigned_field != NULL &&
	   strstr(sig->unsigned_field, "; b=; d=example.com; s=x\r\n .y") !=
	       NULL, "folded s= at the end; b= value removed");
	sk__dkim_sig_free(sig);
}

/* ------------------------------------------------------------ h17 */

/* A key record: rec with extra tags put before p=. */
static void
key_with(struct sk_resolver *r, const char *sel, const struct key *k,
	 const char *extra)
{
	char name[128], rec[2300];
	const char *p = strstr(k->record, "p=");

	snprintf(name, sizeof(name), "%s._domainkey.example.com", sel);
	snprintf(rec, sizeof(rec), "v=DKIM1; k=rsa; %s; %s", extra, p);
	add_key(r, name, rec);
}

/* Verify base_msg signed with selector sel, the signature field's name
 * replaced by name (14 bytes) when not NULL: the count of signatures
 * found and the first one's reason. */
static const char *
h17_verify(struct sk_resolver *r, const struct key *k, const char *sel,
	   const char *name, size_t *count)
{
	struct sk_dkim_sign_opts o = {
		.domain = "example.com", .selector = sel, .hcanon = 1,
		.bcanon = 1, .timestamp = NOW,
	};
	char *h = sign(k, &o, base_msg, strlen(base_msg), 0), *sm;
	static char why[64];
	struct sk_dkim_verify *v;
	size_t len;

	*count = 0;
	if (h == NULL)
		return "sign-failed";
	if (name != NULL)
		memcpy(h, name, 14);
	sm = signed_msg(h, base_msg, &len);
	v = verify(r, sm, len, 0, NULL);
	*count = sk_dkim_verify_count(v);
	snprintf(why, sizeof(why), "%s", reason(v, 0));
	sk_dkim_verify_free(v);
	free(sm);
	free(h);
	return why;
}

/*
 * The signature field is found by its name in any case and only by it
 * (RFC 6376 3.5, names case-insensitive per RFC 5322 1.2.2); the key's
 * h= and s= lists (3.6.1) are colon-separated, case-insensitive, with
 * WSP around elements, "*" in s= for any service.
 */
static void
test_h17_names_lists(void)
{
	static const struct {
		const char *sel, *extra, *want;
	} lists[] = {
		{ "h1", "h=sha256", "ok" },
		{ "h2", "h= sha1 : SHA256 ", "ok" },
		{ "h3", "h=sha1", "key-hash-not-allowed" },
		{ "h4", "h=sha2:sha256x:sha25", "key-hash-not-allowed" },
		{ "h5", "h=sha1:", "key-hash-not-allowed" },
		{ "s1", "s=email", "ok" },
		{ "s2", "s=tlsrpt : EMAIL", "ok" },
		{ "s3", "s= * ", "ok" },
		{ "s4", "s=tlsrpt", "key-not-email" },
		{ "s5", "s=emails:e-mail:**", "key-not-email" },
	};
	static const struct {
		const char *name;
		size_t count;
	} names[] = {
		{ "DKIM-Signature", 1 }, { "dkim-signature", 1 },
		{ "dKiM-SiGnAtUrE", 1 }, { "DKIM-SIGNATURE", 1 },
		{ "DKIM-Signaturf", 0 }, { "EKIM-Signature", 0 },
		{ "DKIM_Signature", 0 }, { "DKIM\rSignature", 0 },
		{ "DKIM-Signatur@", 0 }, { "DKIM-SignaturE", 1 },
	};
	struct sk_resolver *r;
	struct key k;
	size_t i, n;
	const char *got;

	if (make_key(&k, SK_DKIM_KEY_RSA, 1024) != 0 ||
	    sk_resolver_new_script(&r, NULL) != SK_OK) {
		ok(0, "set-up");
		return;
	}
	add_key(r, "n._domainkey.example.com", k.record);
	for (i = 0; i < sizeof(lists) / sizeof(lists[0]); i++) {
		key_with(r, lists[i].sel, &k, lists[i].extra);
		got = h17_verify(r, &k, lists[i].sel, NULL, &n);
		ok(strcmp(got, lists[i].want) == 0, "key %s: %s (%s)",
		   lists[i].sel, lists[i].want, got);
	}
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		got = h17_verify(r, &k, "n", names[i].name, &n);
		ok(n == names[i].count &&
		   (n == 0 || strcmp(got, "ok") == 0),
		   "field named %.14s: %zu signature(s) (%s)",
		   names[i].name, names[i].count, got);
	}
	sk_resolver_free(r);
	sk_dkim_signer_free(k.signer);
}

int
main(void)
{
	tap_plan_unknown();
	test_canon();
	test_rfc8463();
	test_reset();
	test_dkimpy();
	test_round_trips();
	test_exponents();
	test_sig_fields();
	test_sig_values();
	test_h17_names_lists();
	return tap_done();
}
