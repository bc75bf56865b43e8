/*
 * fuzz/fuzz_dkim_canon.c - DKIM canonicalization (RFC 6376 section 3.4)
 * and the message splitter on arbitrary bytes.  Invariants: relaxed
 * header output is "name:value CRLF" with no WSP run and no other CR/LF;
 * the body hash and length do not depend on how the bytes are split; the
 * splitter gives the same fields whole and in 1-byte pieces.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dkim/sigcanon.h"
#include "fuzz.h"

static void
body(enum sk_dkim_canon c, const char *p, size_t n, size_t split)
{
	struct sk__dkim_body a, b;

	if (sk__dkim_body_init(&a, c, EVP_sha256(), SK__DKIM_NO_LIMIT) != 0)
		return;
	if (sk__dkim_body_init(&b, c, EVP_sha256(), n / 2) != 0) {
		sk__dkim_body_free(&a);
		return;
	}
	CHECK(sk__dkim_body_update(&a, p, n) == SK_OK);
	CHECK(sk__dkim_body_update(&b, p, split) == SK_OK);
	CHECK(sk__dkim_body_update(&b, p + split, n - split) == SK_OK);
	CHECK(sk__dkim_body_final(&a) == SK_OK);
	CHECK(sk__dkim_body_final(&b) == SK_OK);
	CHECK(a.total == b.total);
	/* simple ends in exactly one CRLF; relaxed may be empty */
	CHECK(c == SK_DKIM_RELAXED || a.total >= 2);
	sk__dkim_body_free(&a);
	sk__dkim_body_free(&b);
}

static void
header(const char *p, size_t n)
{
	struct sk_buf out;
	size_t i, colon;

	/* As the splitter hands them: a name on one line, then ':'. */
	for (colon = 0; colon < n && p[colon] != ':'; colon++)
		if (p[colon] == '\r' || p[colon] == '\n')
			return;
	if (colon == n)
		return;
	/* ... with every LF part of a CRLF (the splitter normalises). */
	for (i = 0; i < n; i++)
		if (p[i] == '\n' && (i == 0 || p[i - 1] != '\r'))
			return;
	while (colon > 0 && (p[colon - 1] == ' ' || p[colon - 1] == '\t'))
		colon--;
	sk__buf_init(&out, 4 * n + 16);
	if (sk__dkim_canon_header(SK_DKIM_RELAXED, p, n, &out) == SK_OK) {
		CHECK(out.len >= colon + 3);
		CHECK(out.p[out.len - 2] == '\r' && out.p[out.len - 1] == '\n');
		CHECK(out.p[colon] == ':');
		for (i = colon + 1; i + 2 < out.len; i++) {
			CHECK(out.p[i] != '\t');
			CHECK(!(out.p[i] == ' ' && out.p[i + 1] == ' '));
			CHECK(!(out.p[i] == '\r' && out.p[i + 1] == '\n'));
		}
	}
	sk__buf_free(&out);
}

static void
split_msg(const char *p, size_t n)
{
	struct sk__msg a, b;
	size_t i;
	sk_status sa, sb = SK_OK;

	sk__msg_init(&a, 1 << 16, NULL, NULL, NULL);
	sk__msg_init(&b, 1 << 16, NULL, NULL, NULL);
	sa = sk__msg_update(&a, p, n, NULL);
	for (i = 0; i < n && sb == SK_OK; i++)
		sb = sk__msg_update(&b, p + i, 1, NULL);
	CHECK(sa == sb);
	if (sa == SK_OK) {
		CHECK(sk__msg_finish(&a, NULL) == sk__msg_finish(&b, NULL));
		CHECK(a.nfields == b.nfields && a.separated == b.separated);
		CHECK(a.hdr.len == b.hdr.len &&
		      (a.hdr.len == 0 ||
		       memcmp(a.hdr.p, b.hdr.p, a.hdr.len) == 0));
		for (i = 0; i < a.nfields; i++) {
			CHECK(a.fields[i].off + a.fields[i].len <= a.hdr.len);
			CHECK(a.fields[i].len == b.fields[i].len);
		}
	}
	sk__msg_free(&a);
	sk__msg_free(&b);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	size_t split;

	if (size < 1 || size > 65536)
		return 0;
	split = data[0] % size;
	body(SK_DKIM_SIMPLE, p + 1, size - 1, split % size);
	body(SK_DKIM_RELAXED, p + 1, size - 1, split % size);
	header(p + 1, size - 1);
	split_msg(p + 1, size - 1);
	return 0;
}
