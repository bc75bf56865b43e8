/* Unit tests of lib/util: capped buffers, number parsing, errors,
 * lenient base64, UTF-8 sequences. */
#include <string.h>
#include <senderkit/common.h>
#include "util/util.h"
#include "tap.h"

static void
test_buf(void)
{
	struct sk_buf b;
	char *s;

	sk__buf_init(&b, 8);
	is_int(sk__buf_adds(&b, "abcd"), SK_OK, "add within cap");
	is_int(sk__buf_adds(&b, "efgh"), SK_OK, "add up to cap exactly");
	is_int(sk__buf_addc(&b, 'x'), SK_ETOOBIG, "one byte over cap refused");
	is_str(b.p, "abcdefgh", "content unchanged after refusal");
	is_int((long long)b.len, 8, "length stays at cap");
	s = sk__buf_take(&b);
	is_str(s, "abcdefgh", "take returns content");
	ok(b.p == NULL && b.len == 0, "take resets the buffer");
	sk__free(s);

	sk__buf_init(&b, 1000);
	is_int(sk__buf_printf(&b, "%s-%d", "x", 42), SK_OK, "printf");
	is_str(b.p, "x-42", "printf content");
	sk__buf_free(&b);
}

static void
test_uint(void)
{
	unsigned long v = 0;

	ok(sk__parse_uint("32", 2, 32, &v) && v == 32, "32 <= 32");
	ok(!sk__parse_uint("33", 2, 32, &v), "33 > 32 refused");
	ok(!sk__parse_uint("", 0, 32, &v), "empty refused");
	ok(!sk__parse_uint("1a", 2, 32, &v), "non-digit refused");
	ok(!sk__parse_uint("99999999999999999999999", 23, ~0UL, &v),
	   "overflow refused");
	ok(!sk__parse_uint("7", 1, 5, &v), "digit above small max refused");
}

static void
test_err(void)
{
	struct sk_err e;

	sk_err_clear(&e);
	is_int(sk__err_at(&e, SK_ESYNTAX, 7, "bad %s", "term"), SK_ESYNTAX,
	       "err_at returns its code");
	is_int((long long)e.offset, 7, "offset recorded");
	is_str(e.msg, "bad term", "message formatted");
	is_str(sk_strerror(SK_ETOOBIG), "input over a size limit",
	       "strerror text");
	ok(sk__err(NULL, SK_EINVAL, "x") == SK_EINVAL, "NULL err accepted");
}

/* Lenient RFC 2045 base64 (the MIME decoder of lib/report/mime.c). */
static void
test_base64_lenient(void)
{
	struct sk_buf b;
	static const char folded[] = "SGVs\r\nbG8s\r\n IHdv*cmxk!";
	static const char binary[] = "AP8QgA==";

	sk__buf_init(&b, 1000);
	is_int(sk__base64_decode_lenient((const uint8_t *)folded,
					 sizeof(folded) - 1, &b), SK_OK,
	       "folded base64 with stray bytes decodes");
	is_str(b.p, "Hello, world", "bytes outside the alphabet skipped");
	sk__buf_reset(&b);
	is_int(sk__base64_decode_lenient((const uint8_t *)binary,
					 sizeof(binary) - 1, &b), SK_OK,
	       "padded binary decodes");
	ok(b.len == 4 && memcmp(b.p, "\x00\xff\x10\x80", 4) == 0,
	   "binary bytes (NUL, 0xff) kept, padding ends the data");
	sk__buf_reset(&b);
	sk__base64_decode_lenient((const uint8_t *)"TWFu=TWFu", 9, &b);
	is_str(b.p, "Man", "decoding stops at the first '='");
	sk__buf_reset(&b);
	sk__base64_decode_lenient((const uint8_t *)"TWE", 3, &b);
	is_str(b.p, "Ma", "unpadded partial quantum gives its whole bytes");
	sk__buf_reset(&b);
	sk__base64_decode_lenient((const uint8_t *)"T", 1, &b);
	is_int((long long)b.len, 0, "a lone character gives no byte");
	is_int(sk__base64_decode_lenient(NULL, 0, &b), SK_OK, "empty input");
	sk__buf_free(&b);

	sk__buf_init(&b, 2);
	is_int(sk__base64_decode_lenient((const uint8_t *)"TWFu", 4, &b),
	       SK_ETOOBIG, "buffer cap reported");
	sk__buf_free(&b);
}

/* RFC 3629 section 4 sequences (JSON and terminal output use it). */
static void
test_utf8(void)
{
	static const struct {
		const char *s;
		size_t len, want;
		unsigned long cp;
		const char *name;
	} t[] = {
		{ "A", 1, 1, 0x41, "ASCII" },
		{ "\x7f", 1, 1, 0x7f, "DEL is one ASCII byte" },
		{ "\xc2\x80", 2, 2, 0x80, "C1 control is valid UTF-8" },
		{ "\xc3\xa9x", 3, 2, 0xe9, "two bytes, followed by more" },
		{ "\xe2\x82\xac", 3, 3, 0x20ac, "three bytes" },
		{ "\xf0\x9f\x98\x80", 4, 4, 0x1f600, "four bytes" },
		{ "\xf4\x8f\xbf\xbf", 4, 4, 0x10ffff, "U+10FFFF" },
		{ "\xc0\xaf", 2, 0, 0, "overlong C0 lead" },
		{ "\xc1\xbf", 2, 0, 0, "overlong C1 lead" },
		{ "\xe0\x80\xaf", 3, 0, 0, "overlong three bytes" },
		{ "\xf0\x8f\xbf\xbf", 4, 0, 0, "overlong four bytes" },
		{ "\xed\xa0\x80", 3, 0, 0, "surrogate" },
		{ "\xf4\x90\x80\x80", 4, 0, 0, "above U+10FFFF" },
		{ "\xf5\x80\x80\x80", 4, 0, 0, "F5 lead" },
		{ "\x80", 1, 0, 0, "lone continuation byte" },
		{ "\xc3(", 2, 0, 0, "bad continuation byte" },
		{ "\xe2\x82\xac", 2, 0, 0, "truncated by n" },
		{ "", 0, 0, 0, "n = 0" },
	};
	unsigned long cp;

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		cp = 0xdead;
		is_int((long long)sk__utf8_seq((const unsigned char *)t[i].s,
					       t[i].len, &cp),
		       (long long)t[i].want, "utf8 %s: length", t[i].name);
		if (t[i].want > 0)
			is_int((long long)cp, (long long)t[i].cp,
			       "utf8 %s: code point", t[i].name);
	}
	is_int((long long)sk__utf8_seq((const unsigned char *)"\xc3\xa9",
				       2, NULL),
	       2, "utf8 NULL code point pointer");
}

static void
test_alloc_failure(void)
{
	char *p;

	sk_test_fail_alloc_after(0);
	p = sk__strdup("x");
	ok(p == NULL, "injected allocation failure");
	sk_test_fail_alloc_after(SIZE_MAX);
	p = sk__strdup("x");
	ok(p != NULL, "allocation works again");
	sk__free(p);
}

/* sk__grow: first size, doubling, contents kept; on overflow or failure
 * the array and its capacity stay as they were. */
static void
test_grow(void)
{
	size_t cap = 0, i;
	int *v = NULL, *nv;
	int same = 1;

	v = sk__grow(v, &cap, sizeof(*v), 4);
	is_int((int)cap, 4, "first growth: the first size");
	for (i = 0; i < 4; i++)
		v[i] = (int)i * 7;
	nv = sk__grow(v, &cap, sizeof(*v), 4);
	ok(nv != NULL && cap == 8, "second growth doubles");
	v = nv;
	for (i = 0; i < 4; i++)
		same &= v[i] == (int)i * 7;
	ok(same, "contents kept");
	sk_test_fail_alloc_after(0);
	nv = sk__grow(v, &cap, sizeof(*v), 4);
	sk_test_fail_alloc_after(SIZE_MAX);
	ok(nv == NULL && cap == 8 && v[3] == 21,
	   "allocation failure: array and capacity untouched");
	cap = SIZE_MAX / 2 + 1;
	ok(sk__grow(v, &cap, 1, 4) == NULL && cap == SIZE_MAX / 2 + 1,
	   "capacity overflow refused");
	cap = SIZE_MAX / 16 + 1;
	ok(sk__grow(v, &cap, 8, 4) == NULL && cap == SIZE_MAX / 16 + 1,
	   "byte size overflow refused");
	sk__free(v);
}

int
main(void)
{
	tap_plan_unknown();
	test_buf();
	test_uint();
	test_err();
	test_base64_lenient();
	test_utf8();
	test_alloc_failure();
	test_grow();
	return tap_done();
}
