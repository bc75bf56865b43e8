/*
 * tests/unit/test_dkim_canon.c - the span-based body canonicalizer
 * (lib/dkim/canon.c, RFC 6376 sections 3.4.3, 3.4.4 and l= of 3.5) and
 * the message splitter (lib/msg/rfc5322.c: bare LF as CRLF, RFC 6376
 * section 5.3; header fields and folding, RFC 5322 2.1/2.2.3) against
 * simple byte-at-a-time reference implementations written here, on
 * random inputs fed in random pieces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "dkim/sigcanon.h"
#include "tap.h"

#define ROUNDS 1500

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	/* xorshift64*: reproducible, no libc state. */
	rng_state ^= rng_state >> 12;
	rng_state ^= rng_state << 25;
	rng_state ^= rng_state >> 27;
	return (uint32_t)((rng_state * 0x2545f4914f6cdd1dULL) >> 32);
}

/* Bytes that matter to canonicalization, weighted towards line ends and
 * whitespace; sometimes long lines so that the 4096-byte stage fills. */
static size_t
random_input(char *buf, size_t cap)
{
	static const char alpha[] = "ab  \t\r\n\r\n:x\x00\xff";
	size_t n, i;
	uint32_t mode = rnd() % 8;

	if (mode == 0)
		n = rnd() % cap;
	else if (mode == 1)
		n = 0;
	else
		n = rnd() % 200;
	for (i = 0; i < n; i++) {
		uint32_t r = rnd() % 100;

		if (r < 55)
			buf[i] = (char)('c' + r % 20); /* word bytes */
		else
			buf[i] = alpha[rnd() % (sizeof(alpha) - 1)];
	}
	return n;
}

/* ------------------------------------------------------------ body */

static bool
wsp(char c)
{
	return c == ' ' || c == '\t';
}

/* Reference: whole input at once, the RFC's words directly. */
static size_t
ref_body(enum sk_dkim_canon c, const char *in, size_t n, char *out)
{
	size_t o = 0, i = 0, keep = 0;

	if (c == SK_DKIM_SIMPLE) {
		/* 3.4.3: drop every CRLF at the very end, add one CRLF. */
		memcpy(out, in, n);
		o = n;
		while (o >= 2 && out[o - 2] == '\r' && out[o - 1] == '\n')
			o -= 2;
		out[o++] = '\r';
		out[o++] = '\n';
		return o;
	}
	/* 3.4.4: per line (CRLF-terminated), WSP runs to one SP, no WSP at
	 * the end; then trailing empty lines go, and a non-empty body ends
	 * with CRLF. */
	while (i < n) {
		size_t e = i, start = o;
		bool pend = false;

		while (e < n && !(in[e] == '\r' && e + 1 < n &&
				  in[e + 1] == '\n'))
			e++;
		for (; i < e; i++) {
			if (wsp(in[i])) {
				pend = true;
				continue;
			}
			if (pend)
				out[o++] = ' ';
			pend = false;
			out[o++] = in[i];
		}
		out[o++] = '\r';
		out[o++] = '\n';
		if (o - start > 2)
			keep = o; /* end of the last non-empty line */
		i = e >= n ? n : e + 2;
	}
	return keep;
}

static bool
body_once(enum sk_dkim_canon c, const char *in, size_t n, long long l,
	  char *ref, char *why, size_t whylen)
{
	struct sk__dkim_body b;
	unsigned char want[32];
	size_t rn = ref_body(c, in, n, ref), pos = 0, hn;
	uint64_t limit = l >= 0 ? (uint64_t)l : SK__DKIM_NO_LIMIT;
	bool good;

	if (sk__dkim_body_init(&b, c, EVP_sha256(), limit) != SK_OK) {
		snprintf(why, whylen, "init failed");
		return false;
	}
	while (pos < n) {
		size_t k = 1 + rnd() % (rnd() % 4 == 0 ? 3 : 700);

		if (k > n - pos)
			k = n - pos;
		if (sk__dkim_body_update(&b, in + pos, k) != SK_OK)
			break;
		pos += k;
	}
	if (sk__dkim_body_final(&b) != SK_OK) {
		sk__dkim_body_free(&b);
		snprintf(why, whylen, "update/final failed");
		return false;
	}
	hn = l >= 0 && (uint64_t)l < rn ? (size_t)l : rn;
	(void)EVP_Digest(ref, hn, want, NULL, EVP_sha256(), NULL);
	good = b.total == rn && b.digest_len == 32 &&
	       memcmp(b.digest, want, 32) == 0;
	if (!good)
		snprintf(why, whylen, "canon %d, %zu input bytes, l=%lld: "
			 "total %llu, reference %zu bytes%s", (int)c, n, l,
			 (unsigned long long)b.total, rn,
			 b.total == rn ? ", digest differs" : "");
	sk__dkim_body_free(&b);
	return good;
}

static void
test_body_random(enum sk_dkim_canon c, bool with_l)
{
	enum { CAP = 12000 };
	char *in = malloc(CAP), *ref = malloc(2 * CAP + 4);
	char why[256] = "";
	size_t r, bad = 0;

	if (in == NULL || ref == NULL) {
		ok(0, "out of memory");
		free(in);
		free(ref);
		return;
	}
	for (r = 0; r < ROUNDS; r++) {
		size_t n = random_input(in, CAP);
		long long l = with_l ? (long long)(rnd() % (n + 20)) : -1;

		if (!body_once(c, in, n, l, ref, why, sizeof(why)))
			if (bad++ == 0)
				printf("# first failure: %s\n", why);
	}
	is_int(bad, 0, "%s body canonicalization%s equals the reference "
	       "on %d random inputs in random pieces",
	       c == SK_DKIM_SIMPLE ? "simple" : "relaxed",
	       with_l ? " with l=" : "", ROUNDS);
	free(in);
	free(ref);
}

/* Fixed cases the reference must itself get right (RFC 6376 3.4.5). */
static void
test_reference(void)
{
	char out[64];
	size_t n;

	n = ref_body(SK_DKIM_RELAXED, " C \r\nD \t E\r\n\r\n\r\n", 16, out);
	ok(n == 9 && memcmp(out, " C\r\nD E\r\n", 9) == 0,
	   "reference relaxed: RFC 6376 3.4.5 example");
	n = ref_body(SK_DKIM_SIMPLE, " C \r\nD \t E\r\n\r\n\r\n", 16, out);
	ok(n == 12 && memcmp(out, " C \r\nD \t E\r\n", 12) == 0,
	   "reference simple: RFC 6376 3.4.5 example");
	n = ref_body(SK_DKIM_RELAXED, " \t\r\n", 4, out);
	is_int(n, 0, "reference relaxed: a WSP-only body is empty");
	n = ref_body(SK_DKIM_RELAXED, "a", 1, out);
	ok(n == 3 && memcmp(out, "a\r\n", 3) == 0,
	   "reference relaxed: a last line gets CRLF");
}

/* ------------------------------------------------------------ message */

struct got {
	char *body;
	size_t len;
	bool header_called;
};

static sk_status
got_header(void *arg)
{
	((struct got *)arg)->header_called = true;
	return SK_OK;
}

static sk_status
got_body(void *arg, const char *data, size_t len)
{
	struct got *g = arg;

	memcpy(g->body + g->len, data, len);
	g->len += len;
	return SK_OK;
}

/* Reference: LF not after CR becomes CRLF, over the whole message. */
static size_t
normalize(const char *in, size_t n, char *out)
{
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		if (in[i] == '\n' && (i == 0 || in[i - 1] != '\r'))
			out[o++] = '\r';
		out[o++] = in[i];
	}
	return o;
}

static bool
msg_once(const char *in, size_t n, char *norm, char *why, size_t whylen)
{
	struct sk__msg m;
	struct got g = { NULL, 0, false };
	size_t nn = normalize(in, n, norm), hlen = nn, i, pos = 0, nf = 0;
	enum { MAXF = 4096 };
	static size_t foff[MAXF], flen[MAXF];
	size_t line, fi;
	bool sep = false, good = true;

	/* The header ends with the first empty line. */
	for (i = 0; i + 1 < nn; i++) {
		if ((i == 0 || norm[i - 1] == '\n') && norm[i] == '\r' &&
		    norm[i + 1] == '\n') {
			hlen = i + 2;
			sep = true;
			break;
		}
	}
	g.body = malloc(2 * n + 4);
	if (g.body == NULL)
		return false;
	sk__msg_init(&m, 1 << 20, got_header, got_body, &g);
	while (pos < n) {
		size_t k = 1 + rnd() % (rnd() % 4 == 0 ? 3 : 300);

		if (k > n - pos)
			k = n - pos;
		if (sk__msg_update(&m, in + pos, k, NULL) != SK_OK) {
			snprintf(why, whylen, "update failed");
			good = false;
			goto out;
		}
		pos += k;
	}
	if (sk__msg_finish(&m, NULL) != SK_OK) {
		snprintf(why, whylen, "finish failed");
		good = false;
		goto out;
	}
	if (!sep && hlen > 0 && norm[hlen - 1] != '\n') {
		/* Completed by finish: CRLF, or LF after a final CR. */
		if (norm[hlen - 1] != '\r')
			norm[hlen++] = '\r';
		norm[hlen++] = '\n';
	}
	if (m.separated != sep || !g.header_called || m.hdr.len != hlen ||
	    (hlen > 0 && memcmp(m.hdr.p, norm, hlen) != 0)) {
		snprintf(why, whylen, "%zu bytes: header block differs "
			 "(%zu vs %zu bytes, separated %d vs %d)", n,
			 m.hdr.len, hlen, m.separated, sep);
		good = false;
		goto out;
	}
	if (g.len != (sep ? nn - hlen : 0) ||
	    (g.len > 0 && memcmp(g.body, norm + hlen, g.len) != 0)) {
		snprintf(why, whylen, "%zu bytes: body differs (%zu vs %zu)",
			 n, g.len, sep ? nn - hlen : 0);
		good = false;
		goto out;
	}
	/* Fields: a line starting with WSP continues the one above; the
	 * line "\r\n" (blank line, or what finish completed) is none. */
	for (line = 0; line < hlen && good; line = i + 1) {
		for (i = line; norm[i] != '\n'; i++)
			;
		if (i + 1 - line == 2)
			continue;
		if ((norm[line] == ' ' || norm[line] == '\t') && nf > 0) {
			flen[nf - 1] = i + 1 - foff[nf - 1];
			continue;
		}
		if (nf == MAXF) {
			good = false;
			break;
		}
		foff[nf] = line;
		flen[nf++] = i + 1 - line;
	}
	for (fi = 0; fi < nf && good && fi < m.nfields; fi++)
		if (m.fields[fi].off != foff[fi] ||
		    m.fields[fi].len != flen[fi])
			good = false;
	if (!good || m.nfields != nf) {
		snprintf(why, whylen, "%zu bytes: fields differ (%zu vs %zu)",
			 n, m.nfields, nf);
		good = false;
	}
out:
	sk__msg_free(&m);
	free(g.body);
	return good;
}

static void
test_msg_random(void)
{
	enum { CAP = 12000 };
	char *in = malloc(CAP), *norm = malloc(2 * CAP + 4);
	char why[256] = "";
	size_t r, bad = 0;

	if (in == NULL || norm == NULL) {
		ok(0, "out of memory");
		free(in);
		free(norm);
		return;
	}
	for (r = 0; r < ROUNDS; r++) {
		size_t n = random_input(in, CAP);

		if (!msg_once(in, n, norm, why, sizeof(why)))
			if (bad++ == 0)
				printf("# first failure: %s\n", why);
	}
	is_int(bad, 0, "message splitting (header block, fields, body with "
	       "bare LF as CRLF) equals the reference on %d random inputs "
	       "in random pieces", ROUNDS);
	free(in);
	free(norm);
}

int
main(void)
{
	tap_plan_unknown();
	test_reference();
	test_body_random(SK_DKIM_SIMPLE, false);
	test_body_random(SK_DKIM_RELAXED, false);
	test_body_random(SK_DKIM_SIMPLE, true);
	test_body_random(SK_DKIM_RELAXED, true);
	test_msg_random();
	return tap_done();
}
