/*
 * tests/unit/test_msg.c - the RFC 5322 header/body splitter
 * (lib/msg/rfc5322.c) against a byte-by-byte reference splitter written
 * here: pseudo-random messages heavy in CR, LF, WSP and ':' fed whole, in
 * random pieces and byte by byte, plus targeted line-end cases (bare LF
 * at block edges, CR ending a piece, "\r\r\n", lone CR, the header cap).
 */
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include "rng.h"
#include "tap.h"
#include "msg/msg_internal.h"

#define BODY_CHUNK 4096  /* as in lib/msg/rfc5322.c */
#define MAXMSG 20000
#define MAXF 2048

/* ----- the reference: one byte at a time, no cleverness. */

struct ref {
	char hdr[2 * MAXMSG + 4];
	size_t hlen;
	struct sk__msg_field f[MAXF];
	size_t nf;
	bool separated;
	char body[2 * MAXMSG];
	size_t blen;
};

static void
ref_line(struct ref *r, size_t start)
{
	size_t len = r->hlen - start, i, n;
	const char *p = r->hdr + start;

	if (len == 2) {
		r->separated = true;
		return;
	}
	if ((p[0] == ' ' || p[0] == '\t') && r->nf > 0) {
		r->f[r->nf - 1].len = r->hlen - r->f[r->nf - 1].off;
		return;
	}
	r->f[r->nf].off = start;
	r->f[r->nf].len = len;
	r->f[r->nf].name_len = 0;
	for (i = 0; i < len; i++) {
		if (p[i] == ':') {
			n = i;
			while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
				n--;
			r->f[r->nf].name_len = n;
			break;
		}
	}
	r->nf++;
}

static void
ref_split(const unsigned char *p, size_t len, struct ref *r)
{
	size_t i, start = 0;
	bool prev_cr = false;

	r->hlen = r->nf = r->blen = 0;
	r->separated = false;
	for (i = 0; i < len; i++) {
		unsigned char c = p[i];
		bool bare = c == '\n' && !prev_cr;

		prev_cr = c == '\r';
		if (r->separated) {
			if (bare)
				r->body[r->blen++] = '\r';
			r->body[r->blen++] = (char)c;
			continue;
		}
		if (bare)
			r->hdr[r->hlen++] = '\r';
		r->hdr[r->hlen++] = (char)c;
		if (c == '\n') {
			ref_line(r, start);
			start = r->hlen;
		}
	}
	if (!r->separated && r->hlen > start) {
		if (!prev_cr)
			r->hdr[r->hlen++] = '\r';
		r->hdr[r->hlen++] = '\n';
		if (r->hlen - start > 2)
			ref_line(r, start);
	}
}

/* ----- the parser under test, with recording callbacks. */

struct rec {
	char body[2 * MAXMSG];
	size_t blen;
	size_t body_calls;
	size_t max_call;
	int header_calls;
	bool body_before_header;
	int fail_header;         /* status on_header returns */
};

static sk_status
on_header(void *arg)
{
	struct rec *r = arg;

	r->header_calls++;
	return r->fail_header;
}

static sk_status
on_body(void *arg, const char *data, size_t len)
{
	struct rec *r = arg;

	if (r->header_calls == 0)
		r->body_before_header = true;
	if (r->blen + len <= sizeof(r->body))
		memcpy(r->body + r->blen, data, len);
	r->blen += len;
	r->body_calls++;
	if (len > r->max_call)
		r->max_call = len;
	return SK_OK;
}

static struct sk__msg M;
static struct rec R;
static struct ref REF;

/* Feed p in pieces at cuts[0..ncuts) (increasing) and finish. */
static sk_status
feed(const unsigned char *p, size_t len, const size_t *cuts, size_t ncuts,
     size_t cap)
{
	size_t prev = 0, j;
	sk_status st;

	sk__msg_free(&M);
	sk__msg_init(&M, cap, on_header, on_body, &R);
	memset(&R, 0, offsetof(struct rec, fail_header));
	for (j = 0; j <= ncuts; j++) {
		size_t end = j < ncuts ? cuts[j] : len;

		st = sk__msg_update(&M, p + prev, end - prev, NULL);
		if (st != SK_OK)
			return st;
		prev = end;
	}
	return sk__msg_finish(&M, NULL);
}

/* "" when M and R match REF, else what differs. */
static const char *
differs(void)
{
	size_t i;

	if (M.hdr.len != REF.hlen ||
	    memcmp(M.hdr.p, REF.hdr, REF.hlen) != 0)
		return "header block";
	if (M.nfields != REF.nf)
		return "field count";
	for (i = 0; i < REF.nf; i++) {
		if (M.fields[i].off != REF.f[i].off ||
		    M.fields[i].len != REF.f[i].len ||
		    M.fields[i].name_len != REF.f[i].name_len)
			return "a field";
	}
	if (M.separated != REF.separated)
		return "separated";
	if (R.blen != REF.blen || memcmp(R.body, REF.body, REF.blen) != 0)
		return "body bytes";
	if (R.header_calls != 1 || R.body_before_header)
		return "header callback";
	return "";
}

/* ----- pseudo-random messages (xorshift64*, fixed seed). */

static uint64_t rng = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	return test_rng_next(&rng);
}

static size_t
below(size_t n)
{
	return n ? (size_t)(rnd() % n) : 0;
}

/* Fewer than `most` sorted cut points in [0, len] (some equal: empty
 * pieces); returns how many. */
static size_t
random_cuts(size_t *cuts, size_t most, size_t len)
{
	size_t nc = below(most), j;

	for (j = 0; j < nc; j++)
		cuts[j] = below(len + 1);
	for (j = 1; j < nc; j++) {      /* insertion sort */
		size_t v = cuts[j], q = j;

		while (q > 0 && cuts[q - 1] > v) {
			cuts[q] = cuts[q - 1];
			q--;
		}
		cuts[q] = v;
	}
	return nc;
}

static const char ALPHA[] = "\r\n\r\n\n\n  \t::abcXY-\r\n";

static unsigned char
pick(void)
{
	return (unsigned char)ALPHA[below(sizeof(ALPHA) - 1)];
}

static size_t
gen_small(unsigned char *p)
{
	size_t len = below(301), i;

	for (i = 0; i < len; i++)
		p[i] = pick();
	return len;
}

/* Plausible header lines, a blank line, then a long body: mostly text
 * lines with CRLF, some bare LFs, lone CRs, CR LF split in odd places. */
static size_t
gen_long(unsigned char *p)
{
	size_t len = 0, nh = 1 + below(12), i, blen;

	for (i = 0; i < nh; i++) {
		size_t w = below(90), j;

		for (j = 0; j < w; j++)
			p[len++] = pick();
		p[len++] = 'H';
		p[len++] = ':';
		p[len++] = ' ';
		p[len++] = 'v';
		if (below(3) != 0)
			p[len++] = '\r';
		p[len++] = '\n';
	}
	if (below(4) != 0)
		p[len++] = '\r';
	p[len++] = '\n';
	blen = 1 + below(MAXMSG - len - 8);
	while (blen-- > 0) {
		uint64_t r = below(100);

		if (r < 3)
			p[len++] = '\n';
		else if (r < 5)
			p[len++] = '\r';
		else if (r < 8) {
			p[len++] = '\r';
			p[len++] = '\n';
		} else
			p[len++] = (unsigned char)('a' + r % 26);
		if (len >= MAXMSG - 4)
			break;
	}
	return len;
}

static unsigned char MSG[MAXMSG];

static void
test_property(void)
{
	size_t cuts[MAXMSG];
	int bad_whole = 0, bad_split = 0, bad_bytes = 0, n = 0;
	const char *first = NULL;
	int k;

	for (k = 0; k < 3000; k++) {
		size_t len = k % 5 == 4 ? gen_long(MSG) : gen_small(MSG);
		size_t nc, j;
		const char *d;

		ref_split(MSG, len, &REF);
		n++;
		/* (a) whole */
		if (feed(MSG, len, NULL, 0, 3 * MAXMSG) != SK_OK ||
		    *(d = differs()) != '\0') {
			if (bad_whole++ == 0)
				first = "whole";
		}
		/* (b) random pieces (some empty) */
		nc = random_cuts(cuts, 8, len);
		if (feed(MSG, len, cuts, nc, 3 * MAXMSG) != SK_OK ||
		    *(d = differs()) != '\0') {
			if (bad_split++ == 0 && first == NULL)
				first = "split";
		}
		/* (c) byte by byte (long ones only now and then) */
		if (len > 400 && k % 25 != 4)
			continue;
		for (j = 0; j + 1 < len; j++)
			cuts[j] = j + 1;
		if (feed(MSG, len, cuts, len ? len - 1 : 0, 3 * MAXMSG) !=
			SK_OK || *(d = differs()) != '\0') {
			if (bad_bytes++ == 0 && first == NULL)
				first = "bytes";
		}
	}
	is_int(bad_whole, 0, "%d random messages fed whole match the "
	       "reference", n);
	is_int(bad_split, 0, "%d random messages fed in random pieces match",
	       n);
	is_int(bad_bytes, 0, "random messages fed byte by byte match");
	if (first != NULL)
		printf("# first mismatch: %s\n", first);
}

/*
 * Property of the header cap on random messages, caps around the header
 * block's size and random pieces (the splitter skips the per-line check
 * when a piece cannot reach the cap): SK_ETOOBIG exactly when the block
 * is longer than the cap, and then the fields whose lines end within the
 * cap are kept, no more.
 */
static void
test_cap_property(void)
{
	size_t cuts[MAXMSG];
	int bad = 0, k;

	for (k = 0; k < 2000; k++) {
		size_t len = gen_small(MSG), nc, j, cap, nf = 0, e;
		sk_status st, want;

		ref_split(MSG, len, &REF);
		cap = below(REF.hlen + 3);
		nc = random_cuts(cuts, 6, len);
		st = feed(MSG, len, cuts, nc, cap);
		want = REF.hlen > cap ? SK_ETOOBIG : SK_OK;
		/* Fields whose first line ends within the cap. */
		for (j = 0; j < REF.nf; j++) {
			e = REF.f[j].off;
			while (REF.hdr[e] != '\n')
				e++;
			if (e + 1 <= cap)
				nf++;
		}
		if (st != want || M.hdr.len > cap ||
		    (want == SK_OK ? *differs() != '\0' : M.nfields != nf)) {
			if (bad++ == 0)
				printf("# cap %zu of %zu: status %d, %zu "
				       "fields (want %zu)\n", cap, REF.hlen,
				       (int)st, M.nfields, nf);
		}
	}
	is_int(bad, 0, "random messages, caps and pieces: SK_ETOOBIG "
	       "exactly over the cap, the fields that fit kept");
}

/* ----- targeted cases */

/* Feed s whole, in two pieces at cut, and byte by byte; all must match
 * the reference. */
static void
check3(const char *what, const char *s, size_t len, size_t cut)
{
	size_t cuts[MAXMSG], j;
	const unsigned char *p = (const unsigned char *)s;
	sk_status st;

	ref_split(p, len, &REF);
	st = feed(p, len, NULL, 0, 3 * MAXMSG);
	is_str(st == SK_OK ? differs() : "status", "", "%s: whole", what);
	cuts[0] = cut;
	st = feed(p, len, cuts, 1, 3 * MAXMSG);
	is_str(st == SK_OK ? differs() : "status", "", "%s: cut at %zu",
	       what, cut);
	for (j = 0; j + 1 < len; j++)
		cuts[j] = j + 1;
	st = feed(p, len, cuts, len ? len - 1 : 0, 3 * MAXMSG);
	is_str(st == SK_OK ? differs() : "status", "", "%s: byte by byte",
	       what);
}

#define CHECK3(what, lit, cut) check3(what, lit, sizeof(lit) - 1, cut)

static void
test_reference_itself(void)
{
	/* The reference is checked by hand once, so that the parser is
	 * compared with something right. */
	static const char s[] = "A: 1\nB :x\r\n y\n\rq\r\n\nb\nc\r\r\nd\r";

	ref_split((const unsigned char *)s, sizeof(s) - 1, &REF);
	ok(REF.hlen == 22 && memcmp(REF.hdr, "A: 1\r\nB :x\r\n y\r\n\rq\r\n",
				    20) == 0, "reference: header block");
	ok(REF.nf == 3 && REF.f[0].len == 6 && REF.f[0].name_len == 1 &&
	   REF.f[1].off == 6 && REF.f[1].len == 10 &&
	   REF.f[1].name_len == 1 && REF.f[2].name_len == 0,
	   "reference: fields");
	ok(REF.separated && REF.blen == 9 &&
	   memcmp(REF.body, "b\r\nc\r\r\nd\r", 9) == 0, "reference: body");
}

static void
test_targeted(void)
{
	static const size_t offs[] = { 0, 1, 15, 16, 17, 31, 32, 33, 63, 64,
				       65, 127, 128 };
	char buf[600], what[64];
	size_t i, h;

	/* Bare LF at offset o of the body piece; the piece before it
	 * ends with the blank line. */
	for (i = 0; i < sizeof(offs) / sizeof(offs[0]); i++) {
		size_t o = offs[i], len;

		memcpy(buf, "S: x\r\n\r\n", 8);
		h = 8;
		memset(buf + h, 'a', 200);
		for (len = h; len < h + 200; len += 7)
			buf[len] = '\r', buf[len + 1] = '\n';
		buf[h + o] = '\n';
		if (o > 0)
			buf[h + o - 1] = 'z';
		len = h + 200;
		snprintf(what, sizeof(what), "bare LF at body offset %zu", o);
		check3(what, buf, len, h);
		/* after a lone blank line, the message in one piece */
		snprintf(what, sizeof(what),
			 "bare LF %zu after a lone blank line", o);
		check3(what, buf + h - 2, len - h + 2, 0);
		/* and CRLF there instead: no bare LF at all */
		if (o > 0) {
			buf[h + o - 1] = '\r';
			snprintf(what, sizeof(what), "CRLF ending at %zu", o);
			check3(what, buf, len, h);
		}
	}
	CHECK3("CR ends a header piece, LF starts the next",
	       "Subject: a\r\nX: b\r\n\r\nbody\r\n", 11);
	CHECK3("CR ends a body piece, LF starts the next",
	       "S: a\r\n\r\nbody\r\nmore\n", 13);
	CHECK3("CR ends the blank line's piece", "S: a\r\n\r\nb", 7);
	CHECK3("CR CR LF in header and body",
	       "S: a\r\r\nT: b\r\n\r\nx\r\r\ny", 6);
	CHECK3("lone CR in the body", "S: a\r\n\r\nx\ry\r\rz\r", 10);
	CHECK3("obs WSP before the colon", "Subject \t: a\r\n\r\n", 3);
	CHECK3("folding", "A: 1\r\n 2\n\t3\r\nB: 4\r\n\r\n", 8);
	CHECK3("first line a continuation", " x: 1\r\nA: 2\r\n\r\n", 1);
	CHECK3("no blank line", "A: 1\r\nB: 2", 8);
	CHECK3("no blank line, ends in CR", "A: 1\r\nB: 2\r", 11);
	CHECK3("no blank line, ends in lone CR line", "A: 1\r\n\r", 6);
	CHECK3("empty message", "", 0);
	CHECK3("only a blank line", "\n", 0);

	/* The field slice, checked by value too. */
	{
		static const char s[] = "Subject \t: hi\r\n there\r\nX:y\n\r\n";

		ref_split((const unsigned char *)s, sizeof(s) - 1, &REF);
		is_int(feed((const unsigned char *)s, sizeof(s) - 1, NULL, 0,
			    1000), SK_OK, "fields by value: status");
		ok(M.nfields == 2 && M.fields[0].name_len == 7 &&
		   M.fields[0].len == 23 && M.fields[1].off == 23 &&
		   M.fields[1].len == 5 && M.fields[1].name_len == 1,
		   "fields by value: offsets, lengths, names");
		ok(sk__msg_field_is(&M, 0, "SUBJECT", 7) &&
		   !sk__msg_field_is(&M, 1, "Subject", 7),
		   "sk__msg_field_is");
	}
}

/* A 10,000-byte body: one call when it has no bare LF; with a bare LF
 * every 10 bytes, calls of at most BODY_CHUNK, not one per line. */
static void
test_body_calls(void)
{
	static unsigned char b[10000];
	size_t i;

	memcpy(b, "S: x\r\n\r\n", 8);
	for (i = 8; i < sizeof(b); i++)
		b[i] = (i % 10 == 9) ? '\n' : (i % 10 == 8 ? '\r' : 'a');
	ref_split(b, sizeof(b), &REF);
	is_int(feed(b, sizeof(b), NULL, 0, 1000), SK_OK, "CRLF body: status");
	is_str(differs(), "", "CRLF body: matches the reference");
	is_int(R.body_calls, 1, "CRLF body: one callback call");
	for (i = 8; i < sizeof(b); i++)
		b[i] = (i % 10 == 9) ? '\n' : 'a';
	ref_split(b, sizeof(b), &REF);
	is_int(feed(b, sizeof(b), NULL, 0, 1000), SK_OK,
	       "bare LF body: status");
	is_str(differs(), "", "bare LF body: matches the reference");
	ok(R.body_calls <= 3 && R.max_call <= BODY_CHUNK,
	   "bare LF body: %zu calls, largest %zu", R.body_calls, R.max_call);
}

/* The header cap: a block of exactly cap bytes passes, one byte less
 * of cap is SK_ETOOBIG, whatever the pieces; errors are sticky. */
static void
test_cap(void)
{
	static const char s[] = "A: 1\r\nBB: 22\nC: 3\r\n\r\nbody";
	size_t cuts[64], j, hl = 22; /* header block with the bare LF fixed */
	int bad = 0, badkept = 0;

	for (j = 0; j + 1 < sizeof(s) - 1; j++)
		cuts[j] = j + 1;
	is_int(feed((const unsigned char *)s, sizeof(s) - 1, NULL, 0, hl),
	       SK_OK, "cap = header size: whole passes");
	is_int(M.hdr.len, hl, "cap = header size: block length");
	is_int(feed((const unsigned char *)s, sizeof(s) - 1, cuts,
		    sizeof(s) - 2, hl), SK_OK,
	       "cap = header size: byte by byte passes");
	for (j = 0; j < hl; j++) {
		size_t c = 5;
		/* The complete lines that fit stay, as fields. */
		size_t nf = (j >= 6) + (j >= 14) + (j >= 20);
		size_t kept = j >= 20 ? 20 : j >= 14 ? 14 : j >= 6 ? 6 : 0;

		if (feed((const unsigned char *)s, sizeof(s) - 1, NULL, 0,
			 j) != SK_ETOOBIG)
			bad++;
		if (R.header_calls != 0 || R.blen != 0)
			bad++;
		if (M.nfields != nf || M.hdr.len < kept || M.hdr.len > j)
			badkept++;
		if (feed((const unsigned char *)s, sizeof(s) - 1, &c, 1, j) !=
		    SK_ETOOBIG)
			bad++;
		if (M.nfields != nf || M.hdr.len < kept || M.hdr.len > j)
			badkept++;
		if (feed((const unsigned char *)s, sizeof(s) - 1, cuts,
			 sizeof(s) - 2, j) != SK_ETOOBIG)
			bad++;
		if (M.nfields != nf || M.hdr.len < kept || M.hdr.len > j)
			badkept++;
	}
	is_int(bad, 0, "every cap below the header size is SK_ETOOBIG, "
	       "no callback");
	is_int(badkept, 0, "on SK_ETOOBIG the lines that fit are kept");
	(void)feed((const unsigned char *)s, sizeof(s) - 1, NULL, 0, 10);
	is_int(sk__msg_update(&M, "x", 1, NULL), SK_ETOOBIG,
	       "SK_ETOOBIG is sticky");
	is_int(sk__msg_finish(&M, NULL), SK_ETOOBIG, "finish repeats it");
	/* no blank line: the CRLF added by finish counts too */
	is_int(feed((const unsigned char *)"A: 1", 4, NULL, 0, 5),
	       SK_ETOOBIG, "finish's CRLF over the cap");
	is_int(feed((const unsigned char *)"A: 1", 4, NULL, 0, 6), SK_OK,
	       "finish's CRLF at the cap");
}

static void
test_header_error_and_reset(void)
{
	static const char s[] = "A: 1\r\n\r\nbody\n";
	sk_status st;

	sk__msg_free(&M);
	sk__msg_init(&M, 100, on_header, on_body, &R);
	memset(&R, 0, sizeof(R));
	R.fail_header = SK_EINVAL;
	st = sk__msg_update(&M, s, sizeof(s) - 1, NULL);
	is_int(st, SK_EINVAL, "on_header's status stops the parser");
	is_int(R.blen, 0, "no body after a failed on_header");
	is_int(sk__msg_update(&M, "x", 1, NULL), SK_EINVAL, "and is sticky");
	R.fail_header = SK_OK;
	sk__msg_reset(&M);
	memset(&R, 0, sizeof(R));
	ref_split((const unsigned char *)s, sizeof(s) - 1, &REF);
	st = sk__msg_update(&M, s, sizeof(s) - 1, NULL);
	if (st == SK_OK)
		st = sk__msg_finish(&M, NULL);
	is_int(st, SK_OK, "after reset: status");
	is_str(differs(), "", "after reset: matches the reference");
}

int
main(void)
{
	tap_plan_unknown();
	test_reference_itself();
	test_targeted();
	test_body_calls();
	test_cap();
	test_header_error_and_reset();
	test_property();
	test_cap_property();
	sk__msg_free(&M);
	return tap_done();
}
