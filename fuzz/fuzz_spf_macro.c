/*
 * fuzz/fuzz_spf_macro.c - sk_spf_macro_expand() on arbitrary macro-strings
 * with fixed variables, in domain-spec and explanation mode, into a small
 * and a large buffer.  Invariants: the output is NUL-terminated at
 * *outlen within the buffer, a canary past the buffer is untouched, and a
 * string that expands into the large buffer in domain mode also expands
 * in explanation mode (explanation text is a superset).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <senderkit/spf.h>
#include "fuzz.h"

static sk_status
run(const uint8_t *data, size_t size, bool exp, size_t outsz,
    const char *ip)
{
	static const struct sk_spf_macro_vars base = {
		.sender = "strong-bad@email.example.com",
		.domain = "email.example.com",
		.helo = "mx.example.org",
		.validated = "mx.example.org",
		.receiver = "receiver.example",
		.now = 1400000000,
	};
	struct sk_spf_macro_vars v = base;
	char *out = malloc(outsz + 8);
	size_t n = (size_t)-1;
	struct sk_err err;
	sk_status st;

	CHECK(out != NULL);
	v.ip = ip;
	memset(out + outsz, 0x5a, 8);
	st = sk_spf_macro_expand((const char *)data, size, &v, exp, out, outsz,
				 &n, &err);
	for (int i = 0; i < 8; i++)
		CHECK((unsigned char)out[outsz + i] == 0x5a);
	if (st == SK_OK) {
		CHECK(n < outsz);
		CHECK(out[n] == '\0');
	} else {
		CHECK(st == SK_ESYNTAX || st == SK_ETOOBIG ||
		      st == SK_ENOMEM || st == SK_EINVAL);
	}
	free(out);
	return st;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	sk_status d, e;

	d = run(data, size, false, 4096, "192.0.2.3");
	e = run(data, size, true, 4096, "192.0.2.3");
	CHECK(d != SK_OK || e == SK_OK);
	(void)run(data, size, false, 16, "2001:db8::cb01");
	(void)run(data, size, true, 1, "::ffff:192.0.2.3");
	return 0;
}
