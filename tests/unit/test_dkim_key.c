/*
 * tests/unit/test_dkim_key.c - DKIM tag-lists (RFC 6376 section 3.2),
 * base64, key records (section 3.6.1, RFC 8301 section 3.2, RFC 8463
 * section 4) over the conformance data, record lint, lint from DNS
 * through the scripted and zone resolvers, keygen and zone lines.
 */
#include <dirent.h>
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include "rng.h"
#include "tap.h"
#include "dkim/dkim_internal.h"

#define CONF "/work/shared/conformance/dkim"

/* The RFC 8463 Appendix A keys, as published in A.2. */
#define ED_P "11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo="
#define RSA1024_P                                                         \
	"MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTzWRiGs5V6NpP3i" \
	"dY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y3FutACDfz" \
	"wQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO" \
	"2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB"

static char *
slurp(const char *path, size_t *len)
{
	FILE *fp = fopen(path, "rb");
	char *buf;
	long n;

	if (fp == NULL)
		return NULL;
	fseek(fp, 0, SEEK_END);
	n = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	buf = malloc((size_t)n + 1);
	if (buf == NULL || fread(buf, 1, (size_t)n, fp) != (size_t)n) {
		fclose(fp);
		free(buf);
		return NULL;
	}
	fclose(fp);
	/* The record files end with a newline that is not part of it. */
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	*len = (size_t)n;
	return buf;
}

static struct sk_findings *
lint(const char *rec)
{
	struct sk_findings *f = NULL;
	struct sk_err err;

	if (sk_dkim_lint_record(rec, strlen(rec), &f, &err) != SK_OK) {
		printf("# lint failed: %s\n", err.msg);
		return NULL;
	}
	return f;
}

static const struct sk_finding *
find(const struct sk_findings *f, const char *id)
{
	for (size_t i = 0; i < sk_findings_count(f); i++) {
		if (strcmp(sk_findings_get(f, i)->id, id) == 0)
			return sk_findings_get(f, i);
	}
	return NULL;
}

static void
dump(const struct sk_findings *f)
{
	for (size_t i = 0; i < sk_findings_count(f); i++) {
		const struct sk_finding *x = sk_findings_get(f, i);

		printf("#   %s %s @%zu: %s\n", sk_severity_str(x->severity),
		       x->id, x->offset, x->message);
	}
}

/* Lint rec and check it gives exactly the one finding `id` (or none when
 * id is NULL) with severity sev; returns the finding's offset. */
static size_t
lint_one(const char *rec, const char *id, enum sk_severity sev,
	 const char *what)
{
	struct sk_findings *f = lint(rec);
	const struct sk_finding *x;
	size_t off = SK_NO_OFFSET;

	if (id == NULL) {
		is_int(sk_findings_count(f), 0, "%s: no finding", what);
		dump(f);
		sk_findings_free(f);
		return off;
	}
	x = find(f, id);
	ok(x != NULL, "%s: %s", what, id);
	is_int(sk_findings_count(f), 1, "%s: only that finding", what);
	if (sk_findings_count(f) != 1)
		dump(f);
	if (x != NULL) {
		is_int(x->severity, sev, "%s: severity", what);
		off = x->offset;
	}
	sk_findings_free(f);
	return off;
}

static void
test_tags(void)
{
	struct sk__dkim_tag t[SK__DKIM_MAX_TAGS];
	const char *s;
	size_t n;
	struct sk_err err;
	char *x;
	sk_status st;

	s = "v=DKIM1; k=rsa; p=abc";
	st = sk__dkim_tags_parse(s, strlen(s), t, SK__DKIM_MAX_TAGS, &n,
				 &err);
	is_int(st, SK_OK, "simple tag-list");
	is_int(n, 3, "three tags");
	ok(t[2].name_len == 1 && t[2].name[0] == 'p', "third is p");
	is_int(t[2].offset, 16, "offset of p");
	is_int(t[2].value_offset, 18, "value offset of p");
	ok(t[2].value_len == 3 && memcmp(t[2].value, "abc", 3) == 0,
	   "value of p");
	ok(sk__dkim_tag_find(t, n, "k") == &t[1], "find k");
	ok(sk__dkim_tag_find(t, n, "K") == NULL,
	   "tag names are case-sensitive (3.2)");
	ok(sk__dkim_tag_find(t, n, "x") == NULL, "find absent tag");

	/* FWS everywhere, kept inside values, trailing ';'. */
	s = " \r\n v \t= \r\n\tDKIM1 \r\n ; k = rsa ;\r\n p= ab\r\n cd ;  ";
	st = sk__dkim_tags_parse(s, strlen(s), t, SK__DKIM_MAX_TAGS, &n,
				 &err);
	is_int(st, SK_OK, "FWS everywhere");
	is_int(n, 3, "three tags with FWS");
	ok(t[0].value_len == 5 && memcmp(t[0].value, "DKIM1", 5) == 0,
	   "v value trimmed");
	is_int(t[0].offset, 4, "offset of v after leading FWS");
	ok(t[2].value_len == 7 && memcmp(t[2].value, "ab\r\n cd", 7) == 0,
	   "inner FWS kept in value");
	x = sk__dkim_strip_fws(t[2].value, t[2].value_len);
	is_str(x, "abcd", "strip_fws");
	sk__free(x);

	s = "a=;b= ;c=1;";
	st = sk__dkim_tags_parse(s, strlen(s), t, SK__DKIM_MAX_TAGS, &n,
				 &err);
	is_int(st, SK_OK, "empty values");
	ok(n == 3 && t[0].value_len == 0 && t[1].value_len == 0,
	   "empty values have length 0");
	s = "a_1=x=y:z";
	st = sk__dkim_tags_parse(s, strlen(s), t, SK__DKIM_MAX_TAGS, &n,
				 &err);
	ok(st == SK_OK && t[0].name_len == 3 && t[0].value_len == 5,
	   "'_' and digits in names, '=' in values");

	struct {
		const char *text;
		size_t offset;
		const char *what;
	} bad[] = {
		{"a=1; a=2", 5, "duplicate tag"},
		{"1a=b", 0, "name starting with a digit"},
		{"_a=b", 0, "name starting with '_'"},
		{"a b=1", 2, "space inside a name"},
		{"abc", 3, "no '='"},
		{"a=1;;b=2", 4, "empty tag-spec"},
		{";", 0, "only a ';'"},
		{"", 0, "empty text"},
		{"  \r\n ", 5, "only FWS"},
		{"a=b\x01" "c", 3, "control byte in value"},
		{"a=\xc3\xa9", 2, "8-bit byte in value"},
		{"a=b;c", 5, "last tag without '='"},
		{"a-b=1", 1, "'-' in a name"},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err.offset = 12345;
		st = sk__dkim_tags_parse(bad[i].text, strlen(bad[i].text), t,
					 SK__DKIM_MAX_TAGS, &n, &err);
		is_int(st, SK_ESYNTAX, "%s is a syntax error", bad[i].what);
		is_int(err.offset, bad[i].offset, "%s: offset", bad[i].what);
	}

	/* The NUL is not special: the parser works on (ptr, len). */
	st = sk__dkim_tags_parse("a=b\0c=d", 7, t, SK__DKIM_MAX_TAGS, &n,
				 &err);
	ok(st == SK_ESYNTAX && err.offset == 3, "NUL byte is not a VALCHAR");
	st = sk__dkim_tags_parse("a=b;c=dXXXX", 7, t, SK__DKIM_MAX_TAGS, &n,
				 &err);
	ok(st == SK_OK && n == 2 && t[1].value_len == 1,
	   "bytes past len are not read");

	/* More tags than the caller has room for. */
	{
		char many[65 * 8];
		size_t o = 0;

		for (int i = 0; i < 65; i++)
			o += (size_t)snprintf(many + o, sizeof(many) - o,
					      "t%d=1;", i);
		st = sk__dkim_tags_parse(many, o, t, SK__DKIM_MAX_TAGS, &n,
					 &err);
		is_int(st, SK_ESYNTAX, "65 tags are too many");
		st = sk__dkim_tags_parse(many, o, t, 2, &n, &err);
		is_int(st, SK_ESYNTAX, "max is honoured");
	}
}

static void
b64_case(const char *in, const char *want, size_t wantlen, const char *what)
{
	uint8_t *out = NULL;
	size_t outlen = 0;
	struct sk_err err;
	sk_status st;

	st = sk__base64_decode(in, strlen(in), &out, &outlen, &err);
	is_int(st, SK_OK, "base64 %s decodes", what);
	ok(st == SK_OK && outlen == wantlen &&
	   memcmp(out, want, wantlen) == 0, "base64 %s value", what);
	sk__free(out);
}

static void
b64_bad(const char *in, size_t offset, const char *what)
{
	uint8_t *out = (uint8_t *)"x";
	size_t outlen = 7;
	struct sk_err err;
	sk_status st;

	err.offset = 12345;
	st = sk__base64_decode(in, strlen(in), &out, &outlen, &err);
	is_int(st, SK_ESYNTAX, "base64 %s refused", what);
	is_int(err.offset, offset, "base64 %s offset", what);
	ok(out == NULL && outlen == 0, "base64 %s: no output", what);
}

static void
test_base64(void)
{
	uint8_t data[70];
	bool all = true;

	b64_case("", "", 0, "empty");
	b64_case("Zg==", "f", 1, "one byte");
	b64_case("Zm8=", "fo", 2, "two bytes");
	b64_case("Zm9v", "foo", 3, "three bytes");
	b64_case("Zm9vYmFy", "foobar", 6, "six bytes");
	b64_case("Zm\r\n 9v\tYm Fy", "foobar", 6, "with FWS");
	b64_case(" Zg= = ", "f", 1, "FWS between the pads");
	b64_case("+/+/", "\xfb\xff\xbf", 3, "+ and /");
	b64_bad("Zg", 2, "without padding");
	b64_bad("Zm9vY", 5, "one character too many");
	b64_bad("Zg=a", 3, "data after padding");
	b64_bad("Z===", 1, "three pads");
	b64_bad("Zm9=v", 4, "data after a pad");
	b64_bad("Zm9v!", 4, "bad character");
	b64_bad("Zm-v", 2, "base64url character");
	b64_bad("Zm9v=", 4, "pad after a full quantum");
	b64_bad("Zg===", 4, "third pad");
	b64_bad("Zm\x80v", 2, "8-bit byte");

	for (size_t i = 0; i < sizeof(data); i++)
		data[i] = (uint8_t)(i * 37 + 11);
	for (size_t n = 0; n <= sizeof(data); n++) {
		char *enc = sk__base64_encode(data, n);
		uint8_t *dec = NULL;
		size_t declen = 0;

		if (enc == NULL || strlen(enc) != (n + 2) / 3 * 4 ||
		    sk__base64_decode(enc, strlen(enc), &dec, &declen,
				      NULL) != SK_OK ||
		    declen != n || memcmp(dec, data, n) != 0)
			all = false;
		sk__free(enc);
		sk__free(dec);
	}
	ok(all, "encode/decode round trip for 0..70 bytes");
	{
		char *e = sk__base64_encode((const uint8_t *)"foobar", 4);

		is_str(e, "Zm9vYg==", "encode pads");
		sk__free(e);
	}
}

/* Parse a record and check the result's main fields. */
static struct sk_dkim_key *
parse_ok(const char *rec, const char *what)
{
	struct sk_dkim_key *k = NULL;
	struct sk_err err;
	sk_status st;

	st = sk_dkim_key_parse(rec, strlen(rec), &k, &err);
	is_int(st, SK_OK, "%s parses", what);
	if (st != SK_OK)
		printf("#   %s\n", err.msg);
	return k;
}

static void
parse_bad(const char *rec, size_t offset, const char *what)
{
	struct sk_dkim_key *k = (struct sk_dkim_key *)1;
	struct sk_err err;
	sk_status st;

	err.offset = 12345;
	st = sk_dkim_key_parse(rec, strlen(rec), &k, &err);
	is_int(st, SK_ESYNTAX, "%s: parse refuses", what);
	ok(k == NULL, "%s: no key", what);
	if (offset != 12345)
		is_int(err.offset, offset, "%s: parse error offset", what);
}

static void
test_conformance_files(void)
{
	struct {
		const char *file;
		bool parses;
		enum sk_dkim_keytype type;
		unsigned bits;
		const char *lint_id; /* the only finding, or NULL */
		enum sk_severity sev;
	} cases[] = {
		{"dkimpy/test.txt", true, SK_DKIM_KEY_RSA, 1024,
		 "dkim-key-weak", SK_SEV_WARNING},
		{"dkimpy/test2.txt", true, SK_DKIM_KEY_RSA, 1024,
		 "dkim-key-weak", SK_SEV_WARNING},
		{"dkimpy/badk.txt", true, SK_DKIM_KEY_UNKNOWN, 0,
		 "dkim-key-type-unknown", SK_SEV_ERROR},
		{"dkimpy/badversion.txt", false, SK_DKIM_KEY_RSA, 0,
		 NULL, SK_SEV_ERROR},
		{"dkimpy/test_tlsrpt.txt", true, SK_DKIM_KEY_RSA, 1024,
		 NULL, SK_SEV_ERROR},
		{"dkimpy/test_bad.txt", false, SK_DKIM_KEY_RSA, 0,
		 "dkim-key-invalid", SK_SEV_ERROR},
		{"dkimpy/ed25519test.dns", true, SK_DKIM_KEY_ED25519, 256,
		 NULL, SK_SEV_ERROR},
		{"dkimpy/eximtest.dns", true, SK_DKIM_KEY_ED25519, 256, NULL,
		 SK_SEV_ERROR},
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[256];
		size_t len;
		char *rec;
		struct sk_dkim_key *k = NULL;
		struct sk_err err;
		sk_status st;

		snprintf(path, sizeof(path), "%s/%s", CONF, cases[i].file);
		rec = slurp(path, &len);
		ok(rec != NULL, "read %s", cases[i].file);
		if (rec == NULL)
			continue;
		st = sk_dkim_key_parse(rec, len, &k, &err);
		is_int(st, cases[i].parses ? SK_OK : SK_ESYNTAX, "%s: parse",
		       cases[i].file);
		if (k != NULL) {
			is_int(k->type, cases[i].type, "%s: type",
			       cases[i].file);
			is_int(k->bits, cases[i].bits, "%s: bits",
			       cases[i].file);
		}
		sk_dkim_key_free(k);
		/* Files with several findings are checked below. */
		if (cases[i].lint_id != NULL || cases[i].bits == 256)
			lint_one(rec, cases[i].lint_id, cases[i].sev,
				 cases[i].file);
		free(rec);
	}

	/* "v=DKIM1:" - the lint goes on and sees the 1024-bit key too. */
	{
		size_t len;
		char *rec = slurp(CONF "/dkimpy/badversion.txt", &len);
		struct sk_findings *f = rec ? lint(rec) : NULL;
		const struct sk_finding *x = find(f, "dkim-version");

		ok(x != NULL && x->severity == SK_SEV_ERROR && x->offset == 2 &&
		   find(f, "dkim-key-weak") != NULL &&
		   sk_findings_count(f) == 2,
		   "badversion.txt: version error at 2, and weak");
		sk_findings_free(f);
		free(rec);
	}
	/* test_tlsrpt has a 1024-bit key too: weak + not email. */
	{
		size_t len;
		char *rec = slurp(CONF "/dkimpy/test_tlsrpt.txt", &len);
		struct sk_findings *f = rec ? lint(rec) : NULL;

		ok(find(f, "dkim-service-not-email") != NULL &&
		   find(f, "dkim-key-weak") != NULL &&
		   sk_findings_count(f) == 2,
		   "test_tlsrpt.txt: not-email and weak");
		ok(sk_findings_count(f) > 0 &&
		   sk_findings_get(f, 0)->severity == SK_SEV_ERROR,
		   "errors sort first");
		sk_findings_free(f);
		free(rec);
	}
	{
		struct sk_dkim_key *k = parse_ok(
			"v=DKIM1; g=*; k=rsa; s=tlsrpt; p=" RSA1024_P,
			"s=tlsrpt");

		ok(k && k->s && strcmp(k->s, "tlsrpt") == 0, "s= kept");
		sk_dkim_key_free(k);
	}
}

static void
test_fields(void)
{
	struct sk_dkim_key *k;
	const char *rec;
	char buf[512];

	/* RFC 8463 A.2 records. */
	k = parse_ok("v=DKIM1; k=ed25519; p=" ED_P, "RFC 8463 ed25519");
	if (k != NULL) {
		is_int(k->type, SK_DKIM_KEY_ED25519, "ed25519 type");
		is_int(k->publen, 32, "ed25519 raw key length");
		is_int(k->bits, 256, "ed25519 bits");
		is_str(k->v, "DKIM1", "v kept");
		is_str(k->k, "ed25519", "k kept");
		is_str(k->p, ED_P, "p kept");
		is_str(k->s, "*", "s defaults to *");
		ok(k->h == NULL && k->t == NULL && k->n == NULL,
		   "absent tags are NULL");
		ok(!k->revoked && !k->testing && !k->strict, "no flags");
	}
	sk_dkim_key_free(k);
	k = parse_ok("v=DKIM1; p=" RSA1024_P, "RFC 8463 rsa without k=");
	if (k != NULL) {
		is_str(k->k, "rsa", "k defaults to rsa");
		is_int(k->type, SK_DKIM_KEY_RSA, "rsa type");
		is_int(k->bits, 1024, "rsa bits");
		is_int(k->publen, 162, "SPKI length");
	}
	sk_dkim_key_free(k);

	/* p= folded in DNS (FWS allowed inside base64, 3.6.1). */
	rec = "k=ed25519;p=11qYAYKxCrfVS/7TyWQHOg7hcvP\r\n apiMlrwIaaPcHURo=";
	k = parse_ok(rec, "p= with FWS");
	if (k != NULL)
		is_str(k->p, ED_P, "p without FWS");
	sk_dkim_key_free(k);

	/* Revoked, testing, strict, unknown flags, notes, hashes. */
	k = parse_ok("v=DKIM1; k=rsa; p=", "revoked");
	ok(k && k->revoked && k->pub == NULL && k->bits == 0, "revoked key");
	sk_dkim_key_free(k);
	lint_one("v=DKIM1; p= ", "dkim-revoked", SK_SEV_ERROR, "revoked");
	k = parse_ok("v=DKIM1; t=y : s:x; n=hello there; h=sha1:sha256; "
		     "k=ed25519; p=" ED_P, "flags");
	ok(k && k->testing && k->strict, "t=y:s");
	ok(k && k->t && strcmp(k->t, "y:s:x") == 0, "t= without FWS");
	ok(k && k->n && strcmp(k->n, "hello there") == 0, "n= as written");
	ok(k && k->h && strcmp(k->h, "sha1:sha256") == 0, "h= kept");
	sk_dkim_key_free(k);
	k = parse_ok("t=x; k=ed25519; p=" ED_P, "unknown flag");
	ok(k && !k->testing && !k->strict, "unknown flags ignored");
	sk_dkim_key_free(k);
	lint_one("v=DKIM1; t=y; k=ed25519; p=" ED_P, "dkim-testing",
		 SK_SEV_WARNING, "t=y");
	lint_one("v=DKIM1; t=s; k=ed25519; p=" ED_P, NULL, SK_SEV_INFO,
		 "t=s");
	k = parse_ok("h=sha1; k=ed25519; p=" ED_P, "h=sha1");
	sk_dkim_key_free(k);
	lint_one("h=sha1; k=ed25519; p=" ED_P, "dkim-hash-no-sha256",
		 SK_SEV_ERROR, "h=sha1");
	lint_one("h=sha512:sha256; k=ed25519; p=" ED_P, NULL, SK_SEV_INFO,
		 "h= with sha256 and an unknown hash");
	lint_one("s=email:tlsrpt; k=ed25519; p=" ED_P, NULL, SK_SEV_INFO,
		 "s=email");
	lint_one("s=tlsrpt : *; k=ed25519; p=" ED_P, NULL, SK_SEV_INFO,
		 "s= with *");
	lint_one("xunknown=1; zz=; k=ed25519; p=" ED_P, NULL, SK_SEV_INFO,
		 "unknown tags are ignored");

	/* Version rules. */
	parse_bad("k=ed25519; v=DKIM1; p=" ED_P, 11, "v= not first");
	is_int(lint_one("k=ed25519; v=DKIM1; p=" ED_P, "dkim-version",
			SK_SEV_ERROR, "v= not first"),
	       11, "v= not first: offset");
	parse_bad("v=DKIM2; k=ed25519; p=" ED_P, 2, "v=DKIM2");
	parse_bad("v=dkim1; k=ed25519; p=" ED_P, 2, "v=dkim1 (case)");
	/* The unknown k= wins over the missing key decode. */
	k = parse_ok("v=DKIM1; k=dsa; p=" ED_P, "k=dsa");
	ok(k && k->type == SK_DKIM_KEY_UNKNOWN && k->bits == 0,
	   "unknown k= gives type UNKNOWN");
	sk_dkim_key_free(k);

	/* Syntax, p= missing, base64. */
	parse_bad("v=DKIM1; k=rsa", SK_NO_OFFSET, "no p=");
	lint_one("v=DKIM1; k=rsa", "dkim-syntax", SK_SEV_ERROR, "no p=");
	is_int(lint_one("v=DKIM1; k=rsa; p=abc; p=abc", "dkim-syntax",
			SK_SEV_ERROR, "duplicate p="),
	       23, "duplicate p=: offset");
	parse_bad("v=DKIM1; k=rsa; p=abc; p=abc", 23, "duplicate p=");
	rec = "v=DKIM1; k=ed25519; p=11qYAYKxCrfVS/7Ty!WQHOg7hcvPapiMlrwIaaPc"
	      "HURo=";
	parse_bad(rec, 39, "bad base64");
	is_int(lint_one(rec, "dkim-base64", SK_SEV_ERROR, "bad base64"), 39,
	       "bad base64: offset of the bad character");

	/* Key/type mismatches. */
	parse_bad("v=DKIM1; k=rsa; p=" ED_P, 18, "ed25519 key under k=rsa");
	lint_one("v=DKIM1; k=rsa; p=" ED_P, "dkim-key-type-mismatch",
		 SK_SEV_ERROR, "ed25519 key under k=rsa");
	parse_bad("v=DKIM1; k=ed25519; p=" RSA1024_P, 22,
		  "rsa key under k=ed25519");
	lint_one("v=DKIM1; k=ed25519; p=" RSA1024_P, "dkim-key-type-mismatch",
		 SK_SEV_ERROR, "rsa key under k=ed25519");
	lint_one("v=DKIM1; k=ed25519; p=Zm9vYmFy", "dkim-key-invalid",
		 SK_SEV_ERROR, "6-byte ed25519 key");
	parse_bad("v=DKIM1; k=ed25519; p=Zm9vYmFy", 22, "6-byte ed25519");

	/* Ed25519 given as SPKI (not RFC 8463): refused. */
	{
		EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
		unsigned char *der = NULL;
		int dlen = pk ? i2d_PUBKEY(pk, &der) : -1;
		char *b64 = dlen > 0 ? sk__base64_encode(der, (size_t)dlen) :
				       NULL;

		snprintf(buf, sizeof(buf), "v=DKIM1; k=ed25519; p=%s",
			 b64 ? b64 : "");
		parse_bad(buf, 22, "ed25519 SPKI");
		lint_one(buf, "dkim-key-invalid", SK_SEV_ERROR,
			 "ed25519 SPKI");
		sk__free(b64);
		OPENSSL_free(der);
		EVP_PKEY_free(pk);
	}
}

/* A record for a new RSA key of `bits`, SPKI or bare PKCS#1. */
static char *
rsa_record(unsigned bits, bool pkcs1)
{
	EVP_PKEY *pk = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)bits);
	unsigned char *der = NULL;
	int dlen;
	char *b64, *rec;

	if (pk == NULL)
		return NULL;
	dlen = pkcs1 ? i2d_PublicKey(pk, &der) : i2d_PUBKEY(pk, &der);
	EVP_PKEY_free(pk);
	if (dlen <= 0)
		return NULL;
	b64 = sk__base64_encode(der, (size_t)dlen);
	OPENSSL_free(der);
	rec = malloc(strlen(b64) + 32);
	snprintf(rec, strlen(b64) + 32, "v=DKIM1; k=rsa; p=%s", b64);
	sk__free(b64);
	return rec;
}

static void
test_rsa_sizes(void)
{
	struct sk_dkim_key *k;
	char *rec;

	rec = rsa_record(512, false);
	ok(rec != NULL, "generated a 512-bit key");
	if (rec != NULL) {
		k = parse_ok(rec, "512-bit record");
		ok(k && k->bits == 512, "512 bits read");
		sk_dkim_key_free(k);
		lint_one(rec, "dkim-key-too-small", SK_SEV_ERROR, "512-bit");
	}
	free(rec);

	rec = rsa_record(2048, false);
	ok(rec != NULL && strlen(rec) > 255, "2048-bit record is long");
	if (rec != NULL) {
		k = parse_ok(rec, "2048-bit record");
		ok(k && k->bits == 2048, "2048 bits read");
		sk_dkim_key_free(k);
		lint_one(rec, NULL, SK_SEV_INFO, "clean 2048-bit record");
	}
	free(rec);

	rec = rsa_record(2048, true);
	ok(rec != NULL, "generated a PKCS#1 record");
	if (rec != NULL) {
		k = parse_ok(rec, "PKCS#1 record");
		ok(k && k->bits == 2048, "PKCS#1: bits");
		if (k != NULL) {
			const unsigned char *p = k->pub;
			EVP_PKEY *pk = d2i_PUBKEY(NULL, &p, (long)k->publen);

			ok(pk != NULL && p == k->pub + k->publen,
			   "PKCS#1: pub converted to SPKI");
			EVP_PKEY_free(pk);
		}
		sk_dkim_key_free(k);
		lint_one(rec, "dkim-pkcs1-key", SK_SEV_INFO, "PKCS#1");
	}
	free(rec);
}

/* The record as zone-file strings: per-string lengths checked. */
static void
test_quoted(void)
{
	struct sk_findings *f;
	char big[600];
	size_t o;

	lint_one("\"v=DKIM1; k=ed25519; \" \"p=" ED_P "\"", NULL,
		 SK_SEV_INFO, "record in two quoted strings");
	lint_one("( \"v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQ"
		 "KBgQDkHlOQoBTzWR\"\n \"iGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jL"
		 "QiY/J16JYi0Qvx/byYzCNb3W91y3FutAC\"\n \"DfzwQ/BC/e/8uBsCR+y"
		 "z1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYLzBfO2EeC3\"\n \"Ip"
		 "3G+2kryOTIKT+l/K4w3QIDAQAB\")", "dkim-key-weak",
		 SK_SEV_WARNING, "RFC 8463 A.2 rsa record as printed");
	/* One string of 256 bytes: too long for DNS. */
	o = (size_t)snprintf(big, sizeof(big), "\"v=DKIM1; k=ed25519; n=");
	for (int i = 0; i < 256 - 22 - 4 - 44; i++)
		big[o++] = 'x';
	o += (size_t)snprintf(big + o, sizeof(big) - o, "; p=%s\"", ED_P);
	is_int(o, 258, "256 bytes between the quotes");
	f = lint(big);
	ok(find(f, "dkim-string-too-long") != NULL &&
	   sk_findings_count(f) == 1, "one 256-byte string is too long");
	dump(f);
	sk_findings_free(f);
	big[1 + 22 + 1] = '"';
	big[1 + 22 + 2] = '"';
	f = lint(big);
	ok(f != NULL && sk_findings_count(f) == 0,
	   "the same split in two strings is fine");
	dump(f);
	sk_findings_free(f);
	/* Offsets map back to the input: bad base64 inside the 2nd string. */
	is_int(lint_one("\"v=DKIM1; k=ed25519;\" \"p=11qY!AYKxCrfVS/7TyWQHOg7"
			"hcvPapiMlrwIaaPcHURo=\"", "dkim-base64",
			SK_SEV_ERROR, "bad base64 in quoted strings"),
	       29, "offset maps back to the quoted input");
	lint_one("\"v=DKIM1; p=abc", "dkim-syntax", SK_SEV_ERROR,
		 "unterminated string");
	lint_one("\"v=DKIM1;\" x \"p=\"", "dkim-syntax", SK_SEV_ERROR,
		 "junk between strings");
	lint_one("\"v=DKIM1;\\032k=ed25519; p=" ED_P "\"", NULL,
		 SK_SEV_INFO, "\\DDD escape");
}

static struct sk_resolver *
script(void)
{
	struct sk_resolver *r = NULL;

	if (sk_resolver_new_script(&r, NULL) != SK_OK)
		return NULL;
	return r;
}

static struct sk_findings *
lint_dns(struct sk_resolver *r, const char *domain, const char *sel)
{
	struct sk_findings *f = NULL;
	struct sk_err err;
	sk_status st;

	st = sk_dkim_lint_domain(r, domain, sel, &f, &err);
	if (st != SK_OK)
		printf("# lint_domain: %s\n", err.msg);
	return f;
}

static void
test_dns(void)
{
	struct sk_resolver *r = script();
	struct sk_findings *f;
	const struct sk_finding *x;
	struct sk_err err;
	sk_status st;

	if (r == NULL) {
		ok(0, "script resolver");
		return;
	}
	(void)!sk_resolver_script_add(r, "ok._domainkey.example.com",
				      SK_DNS_TXT,
				      "\"v=DKIM1; k=ed25519; p=" ED_P "\"",
				      NULL);
	(void)!sk_resolver_script_add(r, "other._domainkey.example.com",
				      SK_DNS_TXT, "\"hello world\"", NULL);
	(void)!sk_resolver_script_add(r, "two._domainkey.example.com",
				      SK_DNS_TXT,
				      "\"v=DKIM1; k=ed25519; p=" ED_P "\"",
				      NULL);
	(void)!sk_resolver_script_add(r, "two._domainkey.example.com",
				      SK_DNS_TXT,
				      "\"v=DKIM1; k=rsa; p=" RSA1024_P "\"",
				      NULL);
	(void)!sk_resolver_script_add(r, "cn._domainkey.example.com",
				      SK_DNS_CNAME,
				      "cn.dkim.provider.example.", NULL);
	(void)!sk_resolver_script_add(r, "cn.dkim.provider.example",
				      SK_DNS_TXT,
				      "\"v=DKIM1; t=y; k=ed25519; p=" ED_P
				      "\"", NULL);
	(void)!sk_resolver_script_add(r, "a.b._domainkey.example.com",
				      SK_DNS_TXT, "\"k=ed25519; p=" ED_P "\"",
				      NULL);
	(void)!sk_resolver_script_fail(r, "tf._domainkey.example.com", 0,
				       "SERVFAIL", NULL);

	f = lint_dns(r, "example.com", "ok");
	ok(f != NULL && sk_findings_count(f) == 0, "published key: clean");
	dump(f);
	sk_findings_free(f);
	f = lint_dns(r, "example.com.", "a.b");
	ok(f != NULL && sk_findings_count(f) == 0,
	   "selector with a dot, domain with a trailing dot");
	dump(f);
	sk_findings_free(f);

	f = lint_dns(r, "example.com", "nope");
	x = find(f, "dkim-key-missing");
	ok(x != NULL && x->severity == SK_SEV_ERROR, "NXDOMAIN: missing");
	ok(x && strcmp(x->subject, "nope._domainkey.example.com") == 0,
	   "missing: subject is the full name");
	sk_findings_free(f);
	f = lint_dns(r, "example.com", "other");
	ok(find(f, "dkim-key-missing") != NULL && sk_findings_count(f) == 1,
	   "TXT that is no key record: missing");
	sk_findings_free(f);

	f = lint_dns(r, "example.com", "tf");
	ok(find(f, "dkim-tempfail") != NULL, "SERVFAIL: tempfail");
	ok(find(f, "dkim-key-missing") == NULL,
	   "a DNS failure is never reported as missing");
	sk_findings_free(f);

	f = lint_dns(r, "example.com", "two");
	x = find(f, "dkim-multiple");
	ok(x != NULL && x->severity == SK_SEV_ERROR, "two key records");
	ok(find(f, "dkim-key-weak") != NULL,
	   "each of several records is linted");
	sk_findings_free(f);

	f = lint_dns(r, "example.com", "cn");
	x = find(f, "dkim-cname");
	ok(x != NULL && x->severity == SK_SEV_INFO, "CNAME reported");
	ok(x && strstr(x->message, "cn.dkim.provider.example") != NULL,
	   "CNAME target named");
	x = find(f, "dkim-testing");
	ok(x && strcmp(x->subject, "cn._domainkey.example.com") == 0,
	   "record lint through the CNAME, subject the full name");
	is_int(sk_findings_count(f), 2, "CNAME: two findings");
	sk_findings_free(f);

	/* Bad names are refused before asking. */
	st = sk_dkim_lint_domain(r, "example..com", "ok", &f, &err);
	is_int(st, SK_EINVAL, "empty label refused");
	st = sk_dkim_lint_domain(r, "example.com", "", &f, &err);
	is_int(st, SK_EINVAL, "empty selector refused");
	st = sk_dkim_lint_domain(r, "example.com",
				 "x234567890123456789012345678901234567890"
				 "123456789012345678901234",
				 &f, &err);
	is_int(st, SK_EINVAL, "64-octet label refused");
	st = sk_dkim_lint_domain(r, "example.com", "a b", &f, &err);
	is_int(st, SK_EINVAL, "space in selector refused");
	sk_resolver_free(r);

	/* The RFC 8463 A.2 zone file through the zone resolver. */
	if (sk_resolver_new_zones(&r, &err) == SK_OK &&
	    sk_resolver_load_zone(r, CONF "/rfc8463-appendix-a/dns-records."
				  "zone", ".", &err) == SK_OK) {
		f = lint_dns(r, "football.example.com", "brisbane");
		ok(f != NULL && sk_findings_count(f) == 0,
		   "RFC 8463 brisbane (ed25519): clean");
		dump(f);
		sk_findings_free(f);
		f = lint_dns(r, "football.example.com", "test");
		ok(f != NULL && find(f, "dkim-key-weak") != NULL &&
		   sk_findings_count(f) == 1,
		   "RFC 8463 test (rsa 1024, 4 strings): weak only");
		dump(f);
		sk_findings_free(f);
	} else {
		ok(0, "load the RFC 8463 zone: %s", err.msg);
	}
	sk_resolver_free(r);
}

static void
test_keygen(void)
{
	char dir[] = "/tmp/sk_dkim_keyXXXXXX";
	char path[512], link_path[512], *rec = NULL, *rec2 = NULL;
	struct sk_dkim_keygen_opts o = {.type = SK_DKIM_KEY_RSA};
	struct sk_dkim_key *k = NULL;
	struct sk_err err;
	struct stat sb;
	sk_status st;

	if (mkdtemp(dir) == NULL) {
		ok(0, "mkdtemp");
		return;
	}
	snprintf(path, sizeof(path), "%s/rsa.pem", dir);
	st = sk_dkim_keygen(&o, path, &rec, &err);
	is_int(st, SK_OK, "keygen rsa default");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	   "key file mode 0600");
	ok(rec && strncmp(rec, "v=DKIM1; k=rsa; p=", 18) == 0,
	   "record starts v=DKIM1; k=rsa; p=");
	if (rec != NULL &&
	    sk_dkim_key_parse(rec, strlen(rec), &k, &err) == SK_OK) {
		ok(k->type == SK_DKIM_KEY_RSA && k->bits == 2048,
		   "record parses back: rsa 2048 by default");
		/* The file's private key matches the record. */
		{
			BIO *bio = BIO_new_file(path, "r");
			EVP_PKEY *pk = bio ? PEM_read_bio_PrivateKey(
						     bio, NULL, NULL, NULL) :
					     NULL;
			unsigned char *der = NULL;
			int dlen = pk ? i2d_PUBKEY(pk, &der) : -1;

			ok(dlen > 0 && (size_t)dlen == k->publen &&
			   memcmp(der, k->pub, k->publen) == 0,
			   "private key file matches the record");
			OPENSSL_free(der);
			EVP_PKEY_free(pk);
			BIO_free(bio);
		}
	} else {
		ok(0, "record parses back");
	}
	sk_dkim_key_free(k);
	k = NULL;
	{
		size_t len;
		char *pem = slurp(path, &len);

		ok(pem && strncmp(pem, "-----BEGIN PRIVATE KEY-----", 27) == 0,
		   "PKCS#8 PEM");
		free(pem);
	}

	st = sk_dkim_keygen(&o, path, &rec2, &err);
	is_int(st, SK_EEXIST, "second keygen: EEXIST");
	ok(rec2 == NULL, "no record on EEXIST");

	o.force = true;
	o.type = SK_DKIM_KEY_ED25519;
	st = sk_dkim_keygen(&o, path, &rec2, &err);
	is_int(st, SK_OK, "force overwrites");
	ok(stat(path, &sb) == 0 && (sb.st_mode & 0777) == 0600,
	   "forced key file mode 0600");
	ok(rec2 && strncmp(rec2, "v=DKIM1; k=ed25519; p=", 22) == 0,
	   "ed25519 record");
	if (rec2 != NULL &&
	    sk_dkim_key_parse(rec2, strlen(rec2), &k, &err) == SK_OK)
		ok(k->type == SK_DKIM_KEY_ED25519 && k->publen == 32 &&
		   k->bits == 256, "ed25519 record parses back");
	else
		ok(0, "ed25519 record parses back");
	sk_dkim_key_free(k);
	{
		DIR *d = opendir(dir);
		struct dirent *e;
		int files = 0;

		while (d != NULL && (e = readdir(d)) != NULL)
			if (e->d_name[0] != '.')
				files++;
		if (d != NULL)
			closedir(d);
		is_int(files, 1, "no temporary file left behind");
	}
	free(rec);
	free(rec2);
	rec = rec2 = NULL;

	/* A symlink is never followed without force. */
	snprintf(link_path, sizeof(link_path), "%s/link.pem", dir);
	snprintf(path, sizeof(path), "%s/target.pem", dir);
	ok(symlink(path, link_path) == 0, "made a dangling symlink");
	o.force = false;
	st = sk_dkim_keygen(&o, link_path, &rec, &err);
	is_int(st, SK_EEXIST, "symlink: EEXIST");
	ok(access(path, F_OK) != 0, "symlink target not created");
	unlink(link_path);

	/* Sizes. */
	o.type = SK_DKIM_KEY_RSA;
	o.bits = 512;
	snprintf(path, sizeof(path), "%s/small.pem", dir);
	st = sk_dkim_keygen(&o, path, &rec, &err);
	is_int(st, SK_EINVAL, "512-bit RSA refused");
	ok(strstr(err.msg, "RFC 8301") != NULL, "message names RFC 8301");
	ok(access(path, F_OK) != 0, "no file for a refused size");
	o.bits = 8193;
	st = sk_dkim_keygen(&o, path, &rec, &err);
	is_int(st, SK_EINVAL, "8193-bit RSA refused");
	o.bits = 1024;
	st = sk_dkim_keygen(&o, path, &rec, &err);
	is_int(st, SK_OK, "1024-bit RSA allowed");
	if (rec != NULL &&
	    sk_dkim_key_parse(rec, strlen(rec), &k, &err) == SK_OK)
		is_int(k->bits, 1024, "1024 bits");
	sk_dkim_key_free(k);
	free(rec);
	unlink(path);
	o.type = (enum sk_dkim_keytype)SK_DKIM_KEY_UNKNOWN;
	st = sk_dkim_keygen(&o, path, &rec, &err);
	is_int(st, SK_EINVAL, "unknown key type refused");
	snprintf(path, sizeof(path), "%s/no/such/dir.pem", dir);
	o.type = SK_DKIM_KEY_ED25519;
	st = sk_dkim_keygen(&o, path, &rec, &err);
	is_int(st, SK_EIO, "unwritable path: EIO");
	o.force = true;
	st = sk_dkim_keygen(&o, path, &rec, &err);
	is_int(st, SK_EIO, "unwritable path with force: EIO");

	snprintf(path, sizeof(path), "%s/rsa.pem", dir);
	unlink(path);
	rmdir(dir);
}

static void
test_zone_line(void)
{
	char rec[1024], want[2048];
	char *out = NULL;
	struct sk_err err;
	sk_status st;

	st = sk_dkim_record_zone_line("example.com", "sel",
				      "v=DKIM1; k=ed25519; p=" ED_P, 3600,
				      &out, &err);
	is_int(st, SK_OK, "zone line");
	is_str(out, "sel._domainkey.example.com. 3600 IN TXT \"v=DKIM1; "
		    "k=ed25519; p=" ED_P "\"", "short record: one string");
	free(out);

	memset(rec, 'a', sizeof(rec));
	rec[255] = '\0';
	st = sk_dkim_record_zone_line("example.com.", "s.2024", rec, 300,
				      &out, &err);
	snprintf(want, sizeof(want),
		 "s.2024._domainkey.example.com. 300 IN TXT \"%s\"", rec);
	ok(st == SK_OK && out && strcmp(out, want) == 0,
	   "exactly 255 bytes: one string, no parentheses");
	free(out);

	rec[255] = 'b';
	rec[256] = '\0';
	st = sk_dkim_record_zone_line("example.com", "s", rec, 300, &out,
				      &err);
	rec[255] = '\0';
	snprintf(want, sizeof(want),
		 "s._domainkey.example.com. 300 IN TXT ( \"%s\" \"b\" )",
		 rec);
	ok(st == SK_OK && out && strcmp(out, want) == 0,
	   "256 bytes: split at 255 into two strings");
	free(out);

	memset(rec, 'a', sizeof(rec));
	rec[511] = '\0';
	st = sk_dkim_record_zone_line("example.com", "s", rec, 1, &out,
				      &err);
	{
		int q = 0;

		for (const char *p = out; p && *p; p++)
			q += *p == '"';
		ok(st == SK_OK && q == 6, "511 bytes: three strings");
	}
	free(out);

	st = sk_dkim_record_zone_line("example.com", "s", "a\"b\\c", 1, &out,
				      &err);
	is_str(out, "s._domainkey.example.com. 1 IN TXT \"a\\\"b\\\\c\"",
	       "quotes and backslashes escaped");
	free(out);

	st = sk_dkim_record_zone_line("example.com", "bad sel", "v=DKIM1",
				      1, &out, &err);
	is_int(st, SK_EINVAL, "bad selector refused");
	st = sk_dkim_record_zone_line("", "s", "v=DKIM1", 1, &out, &err);
	is_int(st, SK_EINVAL, "empty domain refused");
	st = sk_dkim_record_zone_line("example.com", "s", "", 1, &out, &err);
	is_int(st, SK_EINVAL, "empty record refused");

	/* A generated-looking 2048-bit record splits and lints back. */
	{
		char *r2 = rsa_record(2048, false);
		struct sk_findings *f = NULL;
		const char *q;

		st = sk_dkim_record_zone_line("example.com", "s", r2, 1, &out,
					      &err);
		q = out ? strchr(out, '(') : NULL;
		ok(q != NULL, "2048-bit record is split");
		if (q != NULL)
			st = sk_dkim_lint_record(q, strlen(q), &f, &err);
		ok(q && st == SK_OK && sk_findings_count(f) == 0,
		   "the zone line's strings lint clean");
		dump(f);
		sk_findings_free(f);
		free(out);
		free(r2);
	}
}

static void
test_names(void)
{
	is_str(sk_dkim_alg_str(SK_DKIM_RSA_SHA256), "rsa-sha256", "alg");
	is_str(sk_dkim_alg_str(SK_DKIM_ED25519_SHA256), "ed25519-sha256",
	       "alg ed");
	is_str(sk_dkim_alg_str(SK_DKIM_RSA_SHA1), "rsa-sha1", "alg sha1");
	is_str(sk_dkim_canon_str(SK_DKIM_RELAXED), "relaxed", "canon");
	is_str(sk_dkim_canon_str(SK_DKIM_SIMPLE), "simple", "canon simple");
	is_str(sk_dkim_keytype_str(SK_DKIM_KEY_ED25519), "ed25519", "kt");
	is_str(sk_dkim_keytype_str(SK_DKIM_KEY_UNKNOWN), "unknown", "kt?");
	is_str(sk_dkim_result_str(SK_DKIM_TEMPERROR), "temperror", "result");
	is_str(sk_dkim_result_str(SK_DKIM_NONE), "none", "result none");
	is_str(sk_dkim_result_str(SK_DKIM_PERMERROR), "permerror", "perm");
}

/* Every allocation failing in turn: ENOMEM or success, never a crash
 * or a leak (the ASan build checks leaks). */
static void
test_alloc_failures(void)
{
	const char *recs[] = {
		"v=DKIM1; t=y:s; n=note; h=sha256; s=*; k=ed25519; p=" ED_P,
		"v=DKIM1; k=rsa; p=" RSA1024_P,
		"\"v=DKIM1; k=ed25519;\" \"p=" ED_P "\"",
		"k=ed25519; v=DKIM1; p=!!",
	};
	bool good = true;

	for (size_t i = 0; i < sizeof(recs) / sizeof(recs[0]); i++) {
		for (size_t n = 0; n < 200; n++) {
			struct sk_dkim_key *k = NULL;
			struct sk_findings *f = NULL;
			sk_status a, b;

			sk_test_fail_alloc_after(n);
			a = sk_dkim_key_parse(recs[i], strlen(recs[i]), &k,
					      NULL);
			b = sk_dkim_lint_record(recs[i], strlen(recs[i]), &f,
						NULL);
			sk_test_fail_alloc_after(SIZE_MAX);
			if ((a != SK_OK && a != SK_ENOMEM &&
			     a != SK_ESYNTAX) ||
			    (b != SK_OK && b != SK_ENOMEM))
				good = false;
			if ((a == SK_OK) != (k != NULL) ||
			    (b == SK_OK) != (f != NULL))
				good = false;
			sk_dkim_key_free(k);
			sk_findings_free(f);
		}
	}
	ok(good, "allocation failures give ENOMEM and no output");
}

/*
 * The tag-list parser against a plain reference written here from the
 * grammar of RFC 6376 section 3.2 (FWS taken as any run of SP, HTAB, CR,
 * LF, as tags.c documents), one byte at a time: same accept or reject,
 * same error offset, same tags (name, value without FWS at its ends,
 * offsets, FWS inside) over random tag-lists.  The parser scans values
 * 16 bytes at a time; values here run up to 90 bytes, FWS anywhere.
 */
struct ref_tag {
	size_t off, nlen, voff, vlen;
	bool fws;
};

static bool
ref_fws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
ref_valchar(unsigned char c)
{
	return (c >= 0x21 && c <= 0x3a) || (c >= 0x3c && c <= 0x7e);
}

static bool
ref_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

/* 0 and the tags, or -1 and the offset of the error. */
static int
ref_parse(const char *s, size_t len, struct ref_tag *t, size_t max,
	  size_t *nt, size_t *eoff)
{
	size_t i = 0, n = 0;

	for (;;) {
		struct ref_tag r;
		size_t vend;

		while (i < len && ref_fws((unsigned char)s[i]))
			i++;
		if (i == len) {
			if (n == 0) {
				*eoff = i;
				return -1;
			}
			break;
		}
		r.off = i;
		if (!ref_alpha((unsigned char)s[i])) {
			*eoff = i;
			return -1;
		}
		while (i < len && (ref_alpha((unsigned char)s[i]) ||
				   (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			i++;
		r.nlen = i - r.off;
		while (i < len && ref_fws((unsigned char)s[i]))
			i++;
		if (i == len || s[i] != '=') {
			*eoff = i;
			return -1;
		}
		i++;
		while (i < len && ref_fws((unsigned char)s[i]))
			i++;
		r.voff = vend = i;
		r.fws = false;
		for (; i < len; i++) {
			unsigned char c = (unsigned char)s[i];

			if (ref_valchar(c)) {
				if (vend < i)
					r.fws = true; /* FWS, then more */
				vend = i + 1;
			} else if (!ref_fws(c)) {
				break;
			}
		}
		if (i < len && s[i] != ';') {
			*eoff = i;
			return -1;
		}
		r.vlen = vend - r.voff;
		for (size_t j = 0; j < n; j++) {
			if (t[j].nlen == r.nlen &&
			    memcmp(s + t[j].off, s + r.off, r.nlen) == 0) {
				*eoff = r.off;
				return -1;
			}
		}
		if (n == max) {
			*eoff = r.off;
			return -1;
		}
		t[n++] = r;
		if (i == len)
			break;
		i++;
	}
	*nt = n;
	return 0;
}

static uint64_t prop_rng = 0x9e3779b97f4a7c15ULL;

static unsigned
prop_rand(unsigned n)
{
	return (unsigned)(test_rng_next(&prop_rng) % n);
}

/* A byte, heavy in what the grammar cares about. */
static char
prop_byte(void)
{
	static const char heavy[] = ";;;===    \t\t\r\r\n\n__abvhzBQ0179";
	static const char rest[] = "!/~:+.,-@\x7f\x01\x0b\x80\xc3\xff";

	switch (prop_rand(8)) {
	case 0:
		return rest[prop_rand(sizeof(rest) - 1)];
	case 1:
		return '\0';
	default:
		return heavy[prop_rand(sizeof(heavy) - 1)];
	}
}

static const char *
prop_fws(void)
{
	static const char *const f[] = { "", "", "", " ", "\t", "\r\n\t",
					 "\r\n ", "\n", "  \r\n  " };

	return f[prop_rand(sizeof(f) / sizeof(f[0]))];
}

/* A tag-list of random bytes, or of tag-specs with some bytes changed. */
static size_t
prop_list(char *o, size_t room)
{
	static const char *const names[] = { "v", "a", "b", "bh", "h", "d",
					     "s", "t", "x_1", "Z9", "b_" };
	size_t n = 0;

	if (prop_rand(3) == 0) {
		size_t len = prop_rand(100);

		for (; n < len; n++)
			o[n] = prop_byte();
		return n;
	}
	for (unsigned k = 1 + prop_rand(8); k > 0 && n + 200 < room; k--) {
		const char *p;
		size_t vl = prop_rand(4) == 0 ? prop_rand(90) : prop_rand(12);

		for (p = prop_fws(); *p != '\0'; p++)
			o[n++] = *p;
		for (p = names[prop_rand(sizeof(names) / sizeof(names[0]))];
		     *p != '\0'; p++)
			o[n++] = *p;
		for (p = prop_fws(); *p != '\0'; p++)
			o[n++] = *p;
		o[n++] = '=';
		for (size_t j = 0; j < vl; j++) {
			if (prop_rand(12) == 0)
				for (p = prop_fws(); *p != '\0'; p++)
					o[n++] = *p;
			o[n++] = (char)(0x21 + prop_rand(0x5e));
			if (o[n - 1] == ';')
				o[n - 1] = '=';
		}
		for (p = prop_fws(); *p != '\0'; p++)
			o[n++] = *p;
		if (k > 1 || prop_rand(2) == 0)
			o[n++] = ';';
	}
	for (unsigned m = prop_rand(3) == 0 ? 1 + prop_rand(2) : 0;
	     m > 0 && n > 0; m--)
		o[prop_rand((unsigned)n)] = prop_byte();
	return n;
}

static void
test_tags_property(void)
{
	struct sk__dkim_tag t[SK__DKIM_MAX_TAGS];
	struct ref_tag r[SK__DKIM_MAX_TAGS];
	char buf[2048];
	int same = 1, accepted = 0, rejected = 0, folded = 0;

	for (int it = 0; it < 20000; it++) {
		size_t len = prop_list(buf, sizeof(buf)), n = 0, rn = 0;
		size_t eoff = 0;
		size_t max = prop_rand(10) == 0 ? 3 : SK__DKIM_MAX_TAGS;
		/* exactly len bytes: a read past them is an ASan error */
		char *s = malloc(len > 0 ? len : 1);
		struct sk_err err;
		sk_status st;
		int rr;

		if (s == NULL)
			break;
		memcpy(s, buf, len);
		err.offset = 99999;
		st = sk__dkim_tags_parse(s, len, t, max, &n, &err);
		rr = ref_parse(s, len, r, max, &rn, &eoff);
		if (rr != 0) {
			rejected++;
			if (st != SK_ESYNTAX || err.offset != eoff)
				same = 0;
		} else if (st != SK_OK || n != rn) {
			same = 0;
		} else {
			accepted++;
			for (size_t k = 0; k < n; k++) {
				folded += r[k].fws;
				if (t[k].name != s + r[k].off ||
				    t[k].offset != r[k].off ||
				    t[k].name_len != r[k].nlen ||
				    t[k].value != s + r[k].voff ||
				    t[k].value_offset != r[k].voff ||
				    t[k].value_len != r[k].vlen ||
				    t[k].fws != r[k].fws)
					same = 0;
			}
		}
		if (!same) {
			printf("# first difference at tag-list %d\n", it);
			free(s);
			break;
		}
		free(s);
	}
	ok(same, "tag-lists: same accept/reject, offsets and tags as the "
	   "reference parser");
	ok(accepted > 3000 && rejected > 3000 && folded > 1000,
	   "tag-lists: both outcomes and inner FWS well represented (%d "
	   "accepted, %d rejected, %d values with FWS)", accepted,
	   rejected, folded);
}

int
main(void)
{
	tap_plan_unknown();
	test_tags();
	test_tags_property();
	test_base64();
	test_conformance_files();
	test_fields();
	test_rsa_sizes();
	test_quoted();
	test_dns();
	test_keygen();
	test_zone_line();
	test_names();
	test_alloc_failures();
	return tap_done();
}
