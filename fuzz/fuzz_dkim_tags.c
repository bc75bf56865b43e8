/*
 * fuzz/fuzz_dkim_tags.c - the DKIM tag-list parser (RFC 6376 section 3.2)
 * and base64 on arbitrary bytes.  For a tag-list that parses: every tag
 * is a slice of the input at its offset, names are ALPHA *(ALNUM / "_")
 * and unique, values are VALCHARs and FWS without FWS at either end, and
 * rendering the tags as "name=value;" parses back to the same tags.  For
 * base64 that decodes: the size bound holds and encode -> decode gives
 * the same bytes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dkim/dkim_internal.h"
#include "fuzz.h"

static bool
fws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
check_tags(const char *text, size_t size)
{
	struct sk__dkim_tag t[SK__DKIM_MAX_TAGS], t2[SK__DKIM_MAX_TAGS];
	struct sk_err err;
	struct sk_buf b;
	size_t n, n2;
	sk_status st;

	st = sk__dkim_tags_parse(text, size, t, SK__DKIM_MAX_TAGS, &n, &err);
	if (st != SK_OK) {
		CHECK(st == SK_ESYNTAX || st == SK_ETOOBIG);
		CHECK(n == 0);
		CHECK(err.offset <= size);
		return;
	}
	CHECK(n >= 1 && n <= SK__DKIM_MAX_TAGS);
	sk__buf_init(&b, size + 2 * n + 1);
	for (size_t i = 0; i < n; i++) {
		CHECK(t[i].name == text + t[i].offset);
		CHECK(t[i].value == text + t[i].value_offset);
		CHECK(t[i].value_offset + t[i].value_len <= size);
		CHECK(t[i].offset + t[i].name_len < t[i].value_offset);
		CHECK(t[i].name_len > 0 && sk__isalpha(t[i].name[0]));
		for (size_t j = 0; j < t[i].name_len; j++)
			CHECK(sk__isalnum(t[i].name[j]) ||
			      t[i].name[j] == '_');
		for (size_t j = 0; j < t[i].value_len; j++) {
			unsigned char c = (unsigned char)t[i].value[j];

			CHECK(fws(c) || (c >= 0x21 && c <= 0x7e && c != ';'));
		}
		if (t[i].value_len > 0) {
			CHECK(!fws((unsigned char)t[i].value[0]));
			CHECK(!fws((unsigned char)
					   t[i].value[t[i].value_len - 1]));
		}
		for (size_t j = 0; j < i; j++)
			CHECK(t[j].name_len != t[i].name_len ||
			      memcmp(t[j].name, t[i].name, t[i].name_len));
		CHECK(sk__dkim_tag_find(t, n, "v") == NULL ||
		      sk__dkim_tag_find(t, n, "v")->name_len == 1);
		CHECK(sk__buf_add(&b, t[i].name, t[i].name_len) == SK_OK);
		CHECK(sk__buf_addc(&b, '=') == SK_OK);
		CHECK(sk__buf_add(&b, t[i].value, t[i].value_len) == SK_OK);
		CHECK(sk__buf_addc(&b, ';') == SK_OK);
	}
	st = sk__dkim_tags_parse(b.p, b.len, t2, SK__DKIM_MAX_TAGS, &n2,
				 &err);
	CHECK(st == SK_OK && n2 == n);
	for (size_t i = 0; i < n; i++) {
		CHECK(t2[i].name_len == t[i].name_len &&
		      memcmp(t2[i].name, t[i].name, t[i].name_len) == 0);
		CHECK(t2[i].value_len == t[i].value_len &&
		      memcmp(t2[i].value, t[i].value, t[i].value_len) == 0);
	}
	sk__buf_free(&b);
}

static void
check_base64(const char *text, size_t size)
{
	uint8_t *out = NULL, *out2 = NULL;
	size_t outlen = 0, outlen2 = 0;
	struct sk_err err;
	char *enc;
	sk_status st;

	st = sk__base64_decode(text, size, &out, &outlen, &err);
	if (st != SK_OK) {
		CHECK(st == SK_ESYNTAX || st == SK_ENOMEM);
		CHECK(out == NULL && outlen == 0);
		CHECK(st != SK_ESYNTAX || err.offset <= size);
		return;
	}
	CHECK(outlen <= size / 4 * 3);
	enc = sk__base64_encode(out, outlen);
	CHECK(enc != NULL);
	CHECK(strlen(enc) == (outlen + 2) / 3 * 4);
	st = sk__base64_decode(enc, strlen(enc), &out2, &outlen2, &err);
	CHECK(st == SK_OK && outlen2 == outlen);
	CHECK(memcmp(out, out2, outlen) == 0);
	sk__free(enc);
	sk__free(out);
	sk__free(out2);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check_tags((const char *)data, size);
	check_base64((const char *)data, size);
	return 0;
}
