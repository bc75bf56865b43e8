/*
 * tests/unit/test_dkim_canon.c - the span-based body canonicalizer
 * (lib/dkim/canon.c, RFC 6376 sections 3.4.3, 3.4.4 and l= of 3.5) and
 * the message splitter (lib/msg/rfc5322.c: bare LF as CRLF, RFC 6376
 * section 5.3; header fields and folding, RFC 5322 2.1/2.2.3) against
 * simple byte-at-a-time reference implementations written here, on
 * random inputs fed in random pieces.  Relaxed header canonicalization
 * (RFC 6376 3.4.2) against a byte-by-byte reference through both output
 * paths, and the header selection of 5.4.2 (sk__dkim_hash_headers).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/evp.h>
#include "dkim/sigcanon.h"
#include "rng.h"
#include "tap.h"

#define ROUNDS 1500

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint32_t
rnd(void)
{
	return (uint32_t)(test_rng_next(&rng_state) >> 32);
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

/* Canonical text (words, one SP, CRLF lines of 30..89 bytes), n bytes
 * long, into buf. */
static void
regular_text(char *buf, size_t n)
{
	size_t i = 0, line = 30 + rnd() % 60, col = 0;

	while (i < n) {
		if (col + 2 >= line && i + 2 <= n) {
			buf[i++] = '\r';
			buf[i++] = '\n';
			col = 0;
			line = 30 + rnd() % 60;
			continue;
		}
		buf[i++] = col % 6 == 5 ? ' ' : (char)('a' + rnd() % 26);
		col++;
	}
}

/*
 * One irregular spot (an HTAB, two SPs, a SP before CRLF) at every
 * offset of 700 bytes of canonical text: the vector scans of the
 * relaxed body stop at the first, whichever of their 64-, 32- or 16-byte
 * steps or the final overlapping load it falls in.
 */
static void
test_body_spots(void)
{
	enum { N = 700 };
	char in[N], base[N], ref[2 * N + 4], why[256] = "";
	size_t p, kind, bad = 0, cases = 0;

	regular_text(base, N);
	for (kind = 0; kind < 3; kind++) {
		for (p = 0; p + 1 < N; p++) {
			memcpy(in, base, N);
			if (kind == 0) {
				if (in[p] == '\r' || in[p] == '\n')
					continue;
				in[p] = '\t';
			} else if (kind == 1) {
				if (in[p] != ' ' || in[p + 1] == '\r')
					continue;
				in[p + 1] = ' ';
			} else {
				if (in[p + 1] != '\r' || in[p] == '\n')
					continue;
				in[p] = ' ';
			}
			cases++;
			if (!body_once(SK_DKIM_RELAXED, in, N, -1, ref, why,
				       sizeof(why)) ||
			    !body_once(SK_DKIM_RELAXED, in + p % 64, N - p % 64,
				       -1, ref, why, sizeof(why)))
				if (bad++ == 0)
					printf("# spot %zu at %zu: %s\n", kind,
					       p, why);
		}
	}
	is_int(bad, 0, "relaxed body: one irregular spot at each of %zu "
	       "offsets equals the reference", cases);
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

/* ------------------------------------------------------------ header */

/*
 * Reference relaxed header canonicalization (3.4.2), pass by pass as the
 * RFC words it: name (up to the first ':', the whole field when there is
 * none) lower-cased without the WSP before the colon; value without its
 * final CRLF, unfolded (every CRLF dropped), WSP runs to one SP, no WSP
 * at either end; then ':' between and CRLF after.
 */
static size_t
ref_header(const char *f, size_t len, char *out)
{
	char *tmp = malloc(len + 1);
	size_t colon, n, i, o = 0, t = 0, vs, ve;

	if (tmp == NULL)
		return 0;
	for (colon = 0; colon < len && f[colon] != ':'; colon++)
		;
	n = colon;
	while (n > 0 && wsp(f[n - 1]))
		n--;
	for (i = 0; i < n; i++)
		out[o++] = (f[i] >= 'A' && f[i] <= 'Z') ?
		    (char)(f[i] - 'A' + 'a') : f[i];
	out[o++] = ':';
	vs = colon < len ? colon + 1 : len;
	ve = len;
	if (ve >= vs + 2 && f[ve - 2] == '\r' && f[ve - 1] == '\n')
		ve -= 2;
	/* Unfold. */
	for (i = vs; i < ve; i++) {
		if (f[i] == '\r' && i + 1 < ve && f[i + 1] == '\n') {
			i++;
			continue;
		}
		tmp[t++] = f[i];
	}
	/* Strip both ends, then WSP runs to one SP. */
	vs = 0;
	while (vs < t && wsp(tmp[vs]))
		vs++;
	while (t > vs && wsp(tmp[t - 1]))
		t--;
	for (i = vs; i < t; i++) {
		if (wsp(tmp[i])) {
			if (!wsp(tmp[i - 1]))
				out[o++] = ' ';
			continue;
		}
		out[o++] = tmp[i];
	}
	out[o++] = '\r';
	out[o++] = '\n';
	free(tmp);
	return o;
}

static void
test_ref_header(void)
{
	static const char *const in[] = {
		"A: X\r\n",
		"B : Y\t\r\n\tZ  \r\n",
		"SUBJect \t:\t  a \t b\r\n c \r\n",
		"NoColon \r\n",
		":v\r\n",
		"X:\r\r\n",
	};
	static const char *const want[] = {
		"a:X\r\n",
		"b:Y Z\r\n",
		"subject:a b c\r\n",
		"nocolon \r\n:\r\n",
		":v\r\n",
		"x:\r\r\n",
	};
	char out[64];
	size_t k, n;

	/* RFC 6376 3.4.6 example; the rest by the rules. */
	for (k = 0; k < sizeof(in) / sizeof(in[0]); k++) {
		n = ref_header(in[k], strlen(in[k]), out);
		ok(n == strlen(want[k]) && memcmp(out, want[k], n) == 0,
		   "reference relaxed header %zu", k);
	}
}

/* Bytes of a random field: heavy in SP, HTAB, CR, LF and ':'. */
static char
field_byte(void)
{
	static const char alpha[] = "   \t\t\r\n::AZaz\x80\xff\x01-";
	uint32_t r = rnd() % 100;

	if (r < 40)
		return (char)((r % 2 ? 'a' : 'A') + rnd() % 26);
	if (r < 45)
		return (char)(0x80 + rnd() % 128);
	return alpha[rnd() % (sizeof(alpha) - 1)];
}

/* Text that is mostly canonical already (words and single SPs), so that
 * the vector path runs, with a few structures that are not. */
static size_t
random_field(char *f, size_t cap)
{
	uint32_t mode = rnd() % 10, r;
	size_t n = 0, want, i, base;

	if (mode == 0) {
		/* Any bytes. */
		want = rnd() % 201;
		for (i = 0; i < want; i++)
			f[n++] = field_byte();
		return n;
	}
	/* Name: maybe empty (colon first), maybe WSP before the colon. */
	want = rnd() % 4 == 0 ? 0 : 1 + rnd() % 20;
	for (i = 0; i < want; i++)
		f[n++] = (char)((rnd() % 2 ? 'a' : 'A') + rnd() % 26);
	if (rnd() % 4 == 0)
		for (want = 1 + rnd() % 3; want > 0; want--)
			f[n++] = rnd() % 2 ? ' ' : '\t';
	if (mode != 1)
		f[n++] = ':';
	want = rnd() % 180;
	while (n < want + 30 && n + 8 < cap - 8) {
		r = rnd() % 100;
		if (r < 70)
			f[n++] = (char)((r % 2 ? 'a' : 'A') + rnd() % 26);
		else if (r < 85)
			f[n++] = ' ';
		else if (r < 88)
			f[n++] = (char)(0x80 + rnd() % 128);
		else if (r < 91) {
			f[n++] = '\r';
			f[n++] = '\n';
			f[n++] = rnd() % 2 ? ' ' : '\t';
		} else if (r < 95) {
			for (i = 1 + rnd() % 4; i > 0; i--)
				f[n++] = rnd() % 2 ? ' ' : '\t';
		} else {
			f[n++] = field_byte();
		}
	}
	/* Irregular bytes where the 16-byte blocks meet: offsets 14..18
	 * and 30..34 from the start or from just after the colon. */
	base = rnd() % 2 ? 0 : (size_t)(memchr(f, ':', n) != NULL ?
	    (const char *)memchr(f, ':', n) - f + 1 : 0);
	for (i = 0; i < 2; i++) {
		size_t at = base + (i ? 30 : 14) + rnd() % 5;

		if (rnd() % 3 != 0 && at < n)
			f[at] = field_byte();
	}
	if (mode == 2)
		for (want = 1 + rnd() % 3; want > 0; want--)
			f[n++] = rnd() % 2 ? ' ' : '\t';
	if (mode != 3) {
		f[n++] = '\r';
		f[n++] = '\n';
	}
	return n;
}

/* One field through sk__dkim_canon_header, into a buffer holding `pre`
 * bytes already; `room`: exactly the room of the direct path (a heap
 * block of that size, for the sanitizers), else none (general path). */
static bool
header_once(const char *f, size_t len, const char *want, size_t wn,
	    bool room, size_t pre)
{
	struct sk_buf b;
	bool good;

	sk__buf_init(&b, 1 << 20);
	if (room) {
		b.p = sk__malloc(pre + len + 4);
		if (b.p == NULL)
			return false;
		b.alloc = pre + len + 4;
		memset(b.p, '#', pre);
		b.len = pre;
	} else if (pre > 0) {
		if (sk__buf_add(&b, "########", pre) != SK_OK)
			return false;
		/* Claim it full: the general path must run. */
		b.alloc = b.len + 1;
	}
	good = sk__dkim_canon_header(SK_DKIM_RELAXED, f, len, &b) == SK_OK &&
	       b.len == pre + wn && memcmp(b.p + pre, want, wn) == 0 &&
	       b.p[b.len] == '\0';
	sk__buf_free(&b);
	return good;
}

static void
test_header_random(void)
{
	enum { N = 6000, CAP = 512 };
	char f[CAP], want[CAP + 8];
	size_t r, bad[2] = { 0, 0 }, len, wn, vec = 0;

	for (r = 0; r < N; r++) {
		len = random_field(f, CAP);
		wn = ref_header(f, len, want);
		if (len >= 40)
			vec++;
		for (int path = 0; path < 2; path++) {
			if (header_once(f, len, want, wn, path == 0, r % 3))
				continue;
			if (bad[path]++ == 0)
				printf("# first failure (%s path), field "
				       "%zu bytes #%zu\n", path == 0 ?
				       "direct" : "general", len, r);
		}
	}
	ok(vec > N / 4, "%zu of %d random fields are 40 bytes or more", vec,
	   N);
	is_int(bad[0], 0, "relaxed header, direct path (exact room): %d "
	       "random fields equal the reference", N);
	is_int(bad[1], 0, "relaxed header, general path (no room): %d "
	       "random fields equal the reference", N);
}

/* Fixed fields with every kind of irregular byte at each offset 0..47
 * of a long canonical value: every vector boundary and the tail. */
static void
test_header_sweep(void)
{
	static const char *const spots[] = {
		"  ", "\t", " \t", "\r\n ", "\r\n\t", "\r", "\n", " \r\n",
		"\x01", " \xff", ":", " ",
	};
	char f[160], want[170];
	size_t s, at, len, wn, bad = 0, cases = 0;

	for (s = 0; s < sizeof(spots) / sizeof(spots[0]); s++) {
		for (at = 0; at < 48; at++) {
			const char *v = "Sign: Ab cdE fg hIjk lm nOp qrs tU vw "
					"xyZ Ab cd Ef Gh ij KL mn op";
			size_t vl = strlen(v), sl = strlen(spots[s]);

			memcpy(f, v, at + 6);
			memcpy(f + at + 6, spots[s], sl);
			memcpy(f + at + 6 + sl, v + at + 6, vl - at - 6);
			len = vl + sl;
			for (int crlf = 0; crlf < 2; crlf++) {
				size_t fl = len;

				if (crlf) {
					f[fl++] = '\r';
					f[fl++] = '\n';
				}
				wn = ref_header(f, fl, want);
				for (int path = 0; path < 2; path++) {
					cases++;
					if (!header_once(f, fl, want, wn,
					    path == 0, at % 2))
						bad++;
				}
			}
		}
	}
	is_int(bad, 0, "relaxed header: %zu fields with an irregular spot "
	       "at each offset equal the reference", cases);
}

/* ------------------------------------------------------------ h= */

/* sk__dkim_hash_headers over the header block hdr for h= names (":"-
 * separated, as written in the tag), compared with want. */
static void
hash_case(const char *hdr, const char *h, enum sk_dkim_canon c,
	  const char *want, const char *what)
{
	size_t wn = strlen(want);
	struct sk__msg m;
	struct sk__dkim_hname names[1200];
	struct sk_buf b;
	size_t n = 0, i = 0, s;
	sk_status st;

	while (h[i] != '\0' && n < 1200) {
		for (s = i; h[i] != '\0' && h[i] != ':'; i++)
			;
		names[n].p = h + s;
		names[n++].len = i - s;
		if (h[i] == ':')
			i++;
	}
	sk__msg_init(&m, 1 << 22, NULL, NULL, NULL);
	sk__buf_init(&b, 1 << 22);
	st = sk__msg_update(&m, hdr, strlen(hdr), NULL);
	if (st == SK_OK)
		st = sk__msg_update(&m, "\r\nbody\r\n", 8, NULL);
	if (st == SK_OK)
		st = sk__msg_finish(&m, NULL);
	if (st == SK_OK)
		st = sk__dkim_hash_headers(&m, c, names, n, &b);
	if (st != SK_OK || b.len != wn || (wn > 0 && memcmp(b.p, want, wn)))
		printf("# got %zu bytes: %.*s\n", b.len, (int)b.len,
		       b.p != NULL ? b.p : "");
	ok(st == SK_OK && b.len == wn && (wn == 0 || !memcmp(b.p, want, wn)),
	   "hash_headers: %s", what);
	sk__buf_free(&b);
	sk__msg_free(&m);
}

static void
test_hash_headers(void)
{
	const char *hdr =
	    "Received: one\r\n"
	    "From: A <a@x>\r\n"
	    "Received: two\r\n"
	    "X-AB: 1\r\n"
	    "X-AC: 2\r\n"
	    "NoColon\r\n"
	    "Subject \t: Hi\r\n"
	    "received: three\r\n";
	char *big, *want, *hs;
	size_t i, o, bn, wn, hn;

	hash_case(hdr, "received:received:received:received",
		  SK_DKIM_RELAXED,
		  "received:three\r\nreceived:two\r\nreceived:one\r\n",
		  "repeated names taken bottom up, the 4th adds nothing");
	hash_case(hdr, "From:from:FROM", SK_DKIM_RELAXED,
		  "from:A <a@x>\r\n",
		  "a name in h= three times, one instance");
	hash_case(hdr, "date:x-ad:nocolon:x-a", SK_DKIM_RELAXED, "",
		  "absent names, a field without ':' and near names match "
		  "nothing");
	hash_case(hdr, "x-Ac:X-aB:SUBJECT:from", SK_DKIM_SIMPLE,
		  "X-AC: 2\r\nX-AB: 1\r\nSubject \t: Hi\r\nFrom: A <a@x>\r\n",
		  "case differences, same length and first byte, WSP "
		  "before the colon; simple keeps the bytes");
	hash_case(hdr, "subject:RECEIVED", SK_DKIM_RELAXED,
		  "subject:Hi\r\nreceived:three\r\n",
		  "relaxed lower-cases the field's name");
	hash_case(hdr, "", SK_DKIM_RELAXED, "", "no names");
	hash_case("", "from", SK_DKIM_RELAXED, "", "no fields");

	/* More fields than the stack bitmap: 600 "X-N: i" interleaved with
	 * "Y: i"; h= takes all 600 x-n (bottom up) then one y. */
	big = malloc(600 * 40);
	want = malloc(600 * 40);
	hs = malloc(602 * 4 + 8);
	if (big == NULL || want == NULL || hs == NULL) {
		ok(0, "out of memory");
		free(big);
		free(want);
		free(hs);
		return;
	}
	for (i = 0, bn = 0; i < 600; i++)
		bn += (size_t)snprintf(big + bn, 40, "X-N: %zu\r\nY: %zu\r\n",
		    i, i);
	for (i = 600, wn = 0; i > 0; i--)
		wn += (size_t)snprintf(want + wn, 40, "x-n:%zu\r\n", i - 1);
	o = (size_t)snprintf(want + wn, 40, "y:599\r\n");
	wn += o;
	for (i = 0, hn = 0; i < 601; i++) {
		memcpy(hs + hn, "x-n:", 4);
		hn += 4;
	}
	memcpy(hs + hn, "y", 2);
	hash_case(big, hs, SK_DKIM_RELAXED, want,
		  "1200 fields (beyond the stack bitmap), 601 x-n and y");
	free(big);
	free(want);
	free(hs);
}

/*
 * Property: sk__dkim_hash_headers equals a reference that, for each name,
 * scans the fields bottom up with a byte-at-a-time case-insensitive
 * compare (RFC 6376 5.4.2), on random headers.  Field names mix letters
 * of both cases with bytes one bit-5 flip away from another name byte
 * ('[' '{', '@' '`', 0xC1 0xE1: equal only for letters), lengths 1..20
 * (every compare width), repeats, fields without ':', WSP before ':';
 * h= names are field names with cases flipped, near misses (a non-letter
 * flipped, one byte longer or shorter) and over-signing.  Each name is
 * its own allocation of exactly its bytes, so that ASan sees a read past
 * one.
 */
static bool
ref_same(const char *a, const char *b, size_t n)
{
	size_t t;

	for (t = 0; t < n; t++)
		if (sk__lower(a[t]) != sk__lower(b[t]))
			return false;
	return true;
}

static void
test_hash_random(void)
{
	static const char alpha[] = "aAbBzZmM[{@`-_09\xc1\xe1";
	enum { NF = 24, NN = 40, HCAP = 4096 };
	char *hdr = malloc(HCAP), fname[NF][24], *nmem[NN];
	size_t flen[NF];
	struct sk__dkim_hname names[NN];
	struct sk__msg m;
	struct sk_buf got, want;
	size_t r, bad = 0, matched = 0;

	if (hdr == NULL) {
		ok(0, "out of memory");
		return;
	}
	for (r = 0; r < ROUNDS; r++) {
		size_t nf = 1 + rnd() % NF, nn = rnd() % NN, i, j, t, hl = 0;
		enum sk_dkim_canon c = rnd() % 2 ? SK_DKIM_RELAXED :
		    SK_DKIM_SIMPLE;
		bool taken[NF + 1], good;
		sk_status st;

		for (i = 0; i < nf; i++) {
			if (i > 0 && rnd() % 3 == 0) {
				/* a repeat of an earlier name, maybe recased */
				j = rnd() % i;
				flen[i] = flen[j];
				memcpy(fname[i], fname[j], flen[j]);
				for (t = 0; t < flen[i]; t++)
					if (sk__isalpha((unsigned char)
					    fname[i][t]) && rnd() % 2)
						fname[i][t] ^= 0x20;
			} else {
				flen[i] = 1 + rnd() % 20;
				for (t = 0; t < flen[i]; t++)
					fname[i][t] = alpha[rnd() %
					    (sizeof(alpha) - 1)];
			}
			memcpy(hdr + hl, fname[i], flen[i]);
			hl += flen[i];
			if (rnd() % 8 == 0) {
				hl += (size_t)snprintf(hdr + hl, 40,
				    " no colon %zu\r\n", i);
			} else {
				if (rnd() % 6 == 0)
					hdr[hl++] = rnd() % 2 ? ' ' : '\t';
				hl += (size_t)snprintf(hdr + hl, 40,
				    ": v%zu\r\n", i);
			}
		}
		hdr[hl] = '\0';
		for (i = 0; i < nn; i++) {
			size_t f = rnd() % nf, n = flen[f];
			char tmp[24];

			memcpy(tmp, fname[f], n);
			for (t = 0; t < n; t++) {
				unsigned char ch = (unsigned char)tmp[t];

				bool flip = strchr("[{@`", ch) != NULL ||
				    ch >= 0x80;

				if (sk__isalpha(ch) ? rnd() % 2 == 0 :
				    flip && rnd() % 16 == 0)
					tmp[t] = (char)(ch ^ 0x20);
			}
			if (rnd() % 16 == 0 && n < 23)
				tmp[n++] = 'a';
			else if (rnd() % 16 == 0 && n > 1)
				n--;
			nmem[i] = malloc(n);
			if (nmem[i] == NULL)
				abort();
			memcpy(nmem[i], tmp, n);
			names[i].p = nmem[i];
			names[i].len = n;
		}
		sk__msg_init(&m, 1 << 16, NULL, NULL, NULL);
		sk__buf_init(&got, 1 << 16);
		sk__buf_init(&want, 1 << 16);
		st = sk__msg_update(&m, hdr, hl, NULL);
		if (st == SK_OK)
			st = sk__msg_finish(&m, NULL);
		if (st == SK_OK)
			st = sk__dkim_hash_headers(&m, c, names, nn, &got);
		/* The reference */
		memset(taken, 0, sizeof(taken));
		for (i = 0; i < nn && st == SK_OK; i++) {
			for (j = m.nfields; j > 0; j--) {
				const struct sk__msg_field *f =
				    &m.fields[j - 1];

				if (!taken[j - 1] && f->name_len != 0 &&
				    f->name_len == names[i].len &&
				    ref_same(m.hdr.p + f->off, names[i].p,
					     names[i].len))
					break;
			}
			if (j == 0)
				continue;
			taken[j - 1] = true;
			matched++;
			st = sk__dkim_canon_header(c, sk__msg_field_raw(&m,
			    j - 1), m.fields[j - 1].len, &want);
		}
		good = st == SK_OK && got.len == want.len &&
		    (got.len == 0 || memcmp(got.p, want.p, got.len) == 0);
		if (!good && bad++ == 0)
			printf("# round %zu: %zu vs %zu bytes\n", r, got.len,
			       want.len);
		for (i = 0; i < nn; i++)
			free(nmem[i]);
		sk__buf_free(&got);
		sk__buf_free(&want);
		sk__msg_free(&m);
	}
	is_int(bad, 0, "hash_headers equals the bottom-up reference on %d "
	       "random headers and h= lists", ROUNDS);
	ok(matched > (size_t)ROUNDS * 5, "the random h= lists select "
	   "fields (%zu)", matched);
	free(hdr);
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

/* msg_once feeds the input whole, not in random pieces. */
static bool msg_whole;

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

		if (msg_whole || k > n - pos)
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

/*
 * One bare LF at every line end of 2,000 bytes of CRLF body: the block
 * scans of the splitter (two 64-byte blocks a round, then one) find it
 * wherever it falls, at each alignment of the body.
 */
static void
test_msg_bare_positions(void)
{
	enum { N = 2000, H = 8 };
	static char in[H + N + 256], norm[2 * (H + N + 256)];
	char why[256] = "";
	size_t p, shift, bad = 0, cases = 0;

	for (shift = 0; shift < 8; shift++) {
		size_t h = H + shift * 21;

		memset(in, 'h', h);
		memcpy(in, "A: ", 3);
		memcpy(in + h - 4, "\r\n\r\n", 4);
		regular_text(in + h, N);
		for (p = h; p < h + N; p++) {
			if (in[p] != '\r')
				continue;
			in[p] = 'y';
			cases++;
			/* whole (the long block runs), then in pieces */
			msg_whole = true;
			if (!msg_once(in, h + N, norm, why, sizeof(why)))
				if (bad++ == 0)
					printf("# bare LF at %zu: %s\n", p,
					       why);
			msg_whole = false;
			if (!msg_once(in, h + N, norm, why, sizeof(why)))
				if (bad++ == 0)
					printf("# bare LF at %zu: %s\n", p,
					       why);
			in[p] = '\r';
		}
	}
	is_int(bad, 0, "a bare LF at each of %zu line ends of a CRLF body "
	       "is found", cases);
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
	test_msg_bare_positions();
	test_body_spots();
	test_ref_header();
	test_header_random();
	test_header_sweep();
	test_hash_headers();
	test_hash_random();
	return tap_done();
}
