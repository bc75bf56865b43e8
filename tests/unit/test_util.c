/* Unit tests of lib/util: capped buffers, number parsing, errors. */
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

int
main(void)
{
	tap_plan_unknown();
	test_buf();
	test_uint();
	test_err();
	test_alloc_failure();
	return tap_done();
}
