/*
 * tests/conformance/run_dkim_vectors.c - the signed messages of
 * shared/conformance/dkim verified with their published keys, each
 * signature against the result recorded in the table below (RFC 6376
 * section 6, RFC 8463 Appendix A, RFC 8301).
 *
 *   run_dkim_vectors <shared/conformance/dkim>
 *
 * Keys come from the data as published: a zone file (RFC 8463 A.2), a
 * mailauth dns.json ({name: {TXT: [[strings]]}}), or a file holding one
 * record's text (dkimpy).  Every message is verified whole, then again in
 * 7-byte pieces, with the same expected results.  RFC 6376 Appendix A has
 * no usable key pair (its example keys are not published): see
 * docs/internals/dkim.md.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <senderkit/dkim.h>
#include "../unit/tap.h"

/* t= of the vectors go from 2018 to 2020; x= is absent in all of them. */
#define NOW 1700000000

enum keysrc {
	KEY_NONE = 0,
	KEY_ZONE,       /* an RFC 1035 master file */
	KEY_JSON,       /* mailauth dns.json */
	KEY_TXT,        /* one record's text, published at `name` */
};

struct key {
	enum keysrc src;
	const char *file;
	const char *name;
};

struct expect {
	enum sk_dkim_result result;
	const char *reason;
};

struct vector {
	const char *msg;
	const char *why;         /* where the expectation comes from */
	struct key keys[3];
	size_t nsigs;
	struct expect sig[3];    /* in header order */
};

static const struct vector vectors[] = {
	/* RFC 8463 Appendix A.3: "The signed message", ed25519-sha256
	 * (brisbane) then rsa-sha256 (test), keys of A.2; both verify. */
	{ "rfc8463-appendix-a/signed-message.crlf.eml",
	  "RFC 8463 Appendix A (both signatures of A.3 verify with A.2)",
	  { { KEY_ZONE, "rfc8463-appendix-a/dns-records.zone", NULL } },
	  2, { { SK_DKIM_PASS, "ok" }, { SK_DKIM_PASS, "ok" } } },
	/* The same with bare LF line ends: RFC 6376 section 5.3, local
	 * line ends are CRLF on the wire. */
	{ "rfc8463-appendix-a/signed-message.lf.eml",
	  "RFC 8463 Appendix A, bare LF form (RFC 6376 5.3)",
	  { { KEY_ZONE, "rfc8463-appendix-a/dns-records.zone", NULL } },
	  2, { { SK_DKIM_PASS, "ok" }, { SK_DKIM_PASS, "ok" } } },
	/* mailauth's test/dkim/ec: the RFC 8463 example with dns.json;
	 * upstream expects "pass" for both (mailauth/SOURCE.md). */
	{ "mailauth/ec/signed.eml",
	  "mailauth test/dkim/ec expects pass for both signatures",
	  { { KEY_JSON, "mailauth/ec/dns.json", NULL } },
	  2, { { SK_DKIM_PASS, "ok" }, { SK_DKIM_PASS, "ok" } } },
	/* dkimpy's RFC 6376 Appendix A message, dual-signed by dkimpy in
	 * 2018.  The ed25519 signature was made by a draft of RFC 8463
	 * (before the signature was over the SHA-256 of the header data):
	 * its body hash matches, its signature cannot; dkimpy 1.1.4
	 * (Debian python3-dkim) rejects it too (checked: verify idx=0
	 * False, idx=1 True).  docs/internals/dkim.md, tests/unit. */
	{ "dkimpy/rfc6376.signed.msg",
	  "dkimpy data; pre-RFC 8463 ed25519 artifact, dkimpy 1.1.4 agrees",
	  { { KEY_TXT, "dkimpy/ed25519test.dns",
	      "brisbane._domainkey.football.example.com" },
	    { KEY_TXT, "dkimpy/test.txt",
	      "test._domainkey.football.example.com" } },
	  2, { { SK_DKIM_FAIL, "signature-mismatch" },
	       { SK_DKIM_PASS, "ok" } } },
	/* dkimpy's Exim interop message: ed25519-sha256 by Exim, key
	 * eximtest.dns at sed._domainkey.test.ex (dkimpy's
	 * test_dkim_ed25519.py dnsfunc); dkimpy 1.1.4 verifies it. */
	{ "dkimpy/ed25519test2.msg",
	  "dkimpy Exim interop vector (RFC 8463), dkimpy 1.1.4 verifies it",
	  { { KEY_TXT, "dkimpy/eximtest.dns", "sed._domainkey.test.ex" } },
	  1, { { SK_DKIM_PASS, "ok" } } },
	/* The same key record put where the RFC 8463 message looks for its
	 * Ed25519 key: a different key, so the signature must fail while
	 * the body hash still matches (RFC 6376 6.1.3). */
	{ "rfc8463-appendix-a/signed-message.crlf.eml",
	  "RFC 6376 6.1.3: a wrong key gives a signature failure",
	  { { KEY_TXT, "dkimpy/eximtest.dns",
	      "brisbane._domainkey.football.example.com" },
	    { KEY_TXT, "dkimpy/test.txt",
	      "test._domainkey.football.example.com" } },
	  2, { { SK_DKIM_FAIL, "signature-mismatch" },
	       { SK_DKIM_PASS, "ok" } } },
	/* dkimpy's test.txt and test2.txt publish the RFC 8463 A.2 RSA key
	 * (dkimpy/SOURCE.md): test2.txt has no k= (rsa is the default,
	 * RFC 6376 3.6.1). */
	{ "rfc8463-appendix-a/signed-message.crlf.eml",
	  "RFC 6376 3.6.1: k= defaults to rsa (dkimpy test2.txt)",
	  { { KEY_TXT, "dkimpy/ed25519test.dns",
	      "brisbane._domainkey.football.example.com" },
	    { KEY_TXT, "dkimpy/test2.txt",
	      "test._domainkey.football.example.com" } },
	  2, { { SK_DKIM_FAIL, "signature-mismatch" },
	       { SK_DKIM_PASS, "ok" } } },
	/* dkimpy's unusual records (dkimpy/SOURCE.md) published at the RFC
	 * 8463 RSA selector; the Ed25519 selector gets a key that is not
	 * the signer's (signature-mismatch, as above). */
#define BAD_RSA(file, res, rsn, why)                                      \
	{ "rfc8463-appendix-a/signed-message.crlf.eml", why,              \
	  { { KEY_TXT, "dkimpy/ed25519test.dns",                          \
	      "brisbane._domainkey.football.example.com" },               \
	    { KEY_TXT, file, "test._domainkey.football.example.com" } },  \
	  2, { { SK_DKIM_FAIL, "signature-mismatch" }, { res, rsn } } }
	/* k=ed25519-sha256 is no key type (3.6.1 k=) over an RSA key. */
	BAD_RSA("dkimpy/badk.txt", SK_DKIM_PERMERROR, "key-type-mismatch",
		"RFC 6376 3.6.1 k=: unknown key type (dkimpy badk.txt)"),
	/* s=tlsrpt: the key is not for email (3.6.1 s=). */
	BAD_RSA("dkimpy/test_tlsrpt.txt", SK_DKIM_PERMERROR, "key-not-email",
		"RFC 6376 3.6.1 s=: not for email (dkimpy test_tlsrpt.txt)"),
	/* "v=DKIM1:" is a tag-list syntax error (3.2, 3.6.1 v=). */
	BAD_RSA("dkimpy/badversion.txt", SK_DKIM_PERMERROR, "key-syntax",
		"RFC 6376 3.6.1 v=: malformed (dkimpy badversion.txt)"),
	/* test_bad.txt's p= is base64 that is no RSA public key: the key
	 * data is unsuitable, PERMFAIL (6.1.2 step 6; dkimpy 1.1.4 fails
	 * it too). */
	BAD_RSA("dkimpy/test_bad.txt", SK_DKIM_PERMERROR, "key-syntax",
		"RFC 6376 6.1.2: p= is no RSA key (dkimpy test_bad.txt)"),
#undef BAD_RSA
	/*
	 * mailauth's real-world fixtures carry DKIM-Signature fields of
	 * real domains whose keys are not in the data (the fixtures' PEM
	 * keys sign none of them: checked with dkimpy); with no key record
	 * published the result is a permanent error (RFC 6376 6.1.2 step
	 * 3, "key missing"), after the signature itself was parsed.
	 */
	{ "mailauth/fixtures/message2.eml",
	  "RFC 6376 6.1.2: no key record published",
	  { { KEY_NONE, NULL, NULL } },
	  1, { { SK_DKIM_PERMERROR, "key-missing" } } },
	{ "mailauth/fixtures/message3.eml",
	  "RFC 6376 6.1.2: no key record published",
	  { { KEY_NONE, NULL, NULL } },
	  2, { { SK_DKIM_PERMERROR, "key-missing" },
	       { SK_DKIM_PERMERROR, "key-missing" } } },
	{ "mailauth/fixtures/message4.eml",
	  "RFC 6376 6.1.2: no key record published",
	  { { KEY_NONE, NULL, NULL } },
	  1, { { SK_DKIM_PERMERROR, "key-missing" } } },
	{ "mailauth/fixtures/authtest.eml",
	  "RFC 6376 6.1.2: no key record published",
	  { { KEY_NONE, NULL, NULL } },
	  1, { { SK_DKIM_PERMERROR, "key-missing" } } },
};

static const char *dir;

static char *
slurp(const char *rel, size_t *len)
{
	char path[2048];
	FILE *f;
	char *buf = NULL;
	long n;

	snprintf(path, sizeof(path), "%s/%s", dir, rel);
	f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	n = fseek(f, 0, SEEK_END) == 0 ? ftell(f) : -1;
	if (n >= 0 && fseek(f, 0, SEEK_SET) == 0) {
		buf = malloc((size_t)n + 1);
		if (buf != NULL && fread(buf, 1, (size_t)n, f) != (size_t)n) {
			free(buf);
			buf = NULL;
		}
		if (buf != NULL) {
			buf[n] = '\0';
			*len = (size_t)n;
		}
	}
	fclose(f);
	return buf;
}

/* One TXT record made of `n` strings at `name`. */
static bool
add_txt(struct sk_resolver *r, const char *name, const char **s,
	const size_t *l, size_t n)
{
	return sk_resolver_script_add_txt(r, name, SK_DNS_TXT, s, l, n,
					  NULL) == SK_OK;
}

/* A record's text from a file: first line; split in 255-byte strings. */
static bool
add_txt_file(struct sk_resolver *r, const char *name, const char *file)
{
	const char *s[16];
	size_t l[16], n = 0, off = 0, len;
	char *t = slurp(file, &len);
	bool good;

	if (t == NULL)
		return false;
	len = strcspn(t, "\r\n");
	while (off < len && n < 16) {
		s[n] = t + off;
		l[n] = len - off > 255 ? 255 : len - off;
		off += l[n++];
	}
	good = add_txt(r, name, s, l, n);
	free(t);
	return good;
}

static bool
add_json(struct sk_resolver *r, const char *file)
{
	char path[2048];
	json_t *root, *v, *txts, *rec, *str;
	const char *name;
	size_t i, j;
	bool good = true;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	root = json_load_file(path, 0, NULL);
	if (root == NULL)
		return false;
	json_object_foreach(root, name, v) {
		txts = json_object_get(v, "TXT");
		json_array_foreach(txts, i, rec) {
			const char *s[16];
			size_t l[16], n = 0;

			json_array_foreach(rec, j, str) {
				if (n < 16 && json_is_string(str)) {
					s[n] = json_string_value(str);
					l[n++] = json_string_length(str);
				}
			}
			good = good && add_txt(r, name, s, l, n);
		}
	}
	json_decref(root);
	return good;
}

static struct sk_resolver *
resolver_for(const struct vector *t)
{
	struct sk_resolver *r = NULL;
	char path[2048];
	struct sk_err e;
	size_t k;
	bool good = true;

	if (t->keys[0].src == KEY_ZONE) {
		snprintf(path, sizeof(path), "%s/%s", dir, t->keys[0].file);
		if (sk_resolver_new_zones(&r, &e) != SK_OK)
			return NULL;
		if (sk_resolver_load_zone(r, path, ".", &e) != SK_OK) {
			printf("# %s: %s\n", t->keys[0].file, e.msg);
			sk_resolver_free(r);
			return NULL;
		}
		return r;
	}
	if (sk_resolver_new_script(&r, NULL) != SK_OK)
		return NULL;
	for (k = 0; k < 3; k++) {
		if (t->keys[k].src == KEY_JSON)
			good = good && add_json(r, t->keys[k].file);
		else if (t->keys[k].src == KEY_TXT)
			good = good && add_txt_file(r, t->keys[k].name,
						    t->keys[k].file);
	}
	if (!good) {
		sk_resolver_free(r);
		return NULL;
	}
	return r;
}

/* Verify msg in `piece`-byte pieces (0: whole); check every result. */
static void
run(const struct vector *t, const char *msg, size_t len, size_t piece)
{
	struct sk_dkim_verify_opts o = { .now = NOW };
	struct sk_dkim_verify *v = NULL;
	struct sk_resolver *r = resolver_for(t);
	struct sk_err e;
	size_t off = 0, i, n;
	const char *how = piece == 0 ? "whole" : "in pieces";

	if (r == NULL) {
		ok(0, "%s: keys loaded", t->msg);
		return;
	}
	if (sk_dkim_verify_new(r, &o, &v, &e) != SK_OK) {
		ok(0, "%s: verifier: %s", t->msg, e.msg);
		sk_resolver_free(r);
		return;
	}
	if (piece == 0)
		piece = len;
	while (off < len) {
		n = len - off < piece ? len - off : piece;
		if (sk_dkim_verify_update(v, msg + off, n, &e) != SK_OK)
			break;
		off += n;
	}
	ok(off == len && sk_dkim_verify_finish(v, &e) == SK_OK,
	   "%s (%s): verified without error", t->msg, how);
	is_int(sk_dkim_verify_count(v), t->nsigs, "%s (%s): signatures",
	       t->msg, how);
	for (i = 0; i < t->nsigs && i < sk_dkim_verify_count(v); i++) {
		const struct sk_dkim_sig_result *s =
		    sk_dkim_verify_result(v, i);

		is_str(sk_dkim_result_str(s->result),
		       sk_dkim_result_str(t->sig[i].result),
		       "%s (%s) sig %zu d=%s s=%s: result [%s]", t->msg, how,
		       i, s->domain, s->selector, t->why);
		is_str(s->reason, t->sig[i].reason,
		       "%s (%s) sig %zu: reason (%s)", t->msg, how, i,
		       s->detail);
		if (t->sig[i].result == SK_DKIM_PASS ||
		    strcmp(t->sig[i].reason, "signature-mismatch") == 0)
			ok(s->body_hash_ok, "%s (%s) sig %zu: body hash "
			   "matches", t->msg, how, i);
	}
	sk_dkim_verify_free(v);
	sk_resolver_free(r);
}

int
main(int argc, char **argv)
{
	size_t i, len;

	tap_plan_unknown();
	if (argc != 2) {
		fprintf(stderr, "usage: run_dkim_vectors DIR\n");
		return 2;
	}
	dir = argv[1];
	for (i = 0; i < sizeof(vectors) / sizeof(vectors[0]); i++) {
		char *msg = slurp(vectors[i].msg, &len);

		if (msg == NULL) {
			ok(0, "%s: readable", vectors[i].msg);
			continue;
		}
		run(&vectors[i], msg, len, 0);
		run(&vectors[i], msg, len, 7);
		free(msg);
	}
	return tap_done();
}
