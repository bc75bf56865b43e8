/*
 * fuzz/fuzz_dkim_verify.c - a whole message through the DKIM verifier
 * (RFC 6376 section 6) with a scripted resolver holding the RFC 8463
 * Appendix A keys.  The first byte picks the piece size the message is
 * fed in.  Invariants: finishing succeeds, every result has a reason and
 * a pass has a body hash that matched.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <senderkit/dkim.h>
#include "fuzz.h"

static const char *const keys[][2] = {
	{ "brisbane._domainkey.football.example.com",
	  "v=DKIM1; k=ed25519; "
	  "p=11qYAYKxCrfVS/7TyWQHOg7hcvPapiMlrwIaaPcHURo=" },
	{ "test._domainkey.football.example.com",
	  "v=DKIM1; k=rsa; p=MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDkHlOQoBTz"
	  "WRiGs5V6NpP3idY6Wk08a5qhdR6wy5bdOKb2jLQiY/J16JYi0Qvx/byYzCNb3W91y"
	  "3FutACDfzwQ/BC/e/8uBsCR+yz1Lxj+PL6lHvqMKrM3rG4hstT5QjvHO9PzoxZyVYL"
	  "zBfO2EeC3Ip3G+2kryOTIKT+l/K4w3QIDAQAB" },
};

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_dkim_verify_opts o = { .now = 1528637909 };
	struct sk_resolver *r;
	struct sk_dkim_verify *v;
	size_t piece, off = 1, i;

	if (size < 1 || size > 200000)
		return 0;
	if (sk_resolver_new_script(&r, NULL) != SK_OK)
		return 0;
	for (i = 0; i < 2; i++) {
		const char *s[1] = { keys[i][1] };
		size_t l[1] = { strlen(keys[i][1]) };

		if (sk_resolver_script_add_txt(r, keys[i][0], SK_DNS_TXT, s, l,
					       1, NULL) != SK_OK)
			goto out;
	}
	if (sk_dkim_verify_new(r, &o, &v, NULL) != SK_OK)
		goto out;
	piece = data[0] == 0 ? size : data[0];
	while (off < size) {
		size_t n = size - off < piece ? size - off : piece;

		CHECK(sk_dkim_verify_update(v, data + off, n, NULL) == SK_OK);
		off += n;
	}
	CHECK(sk_dkim_verify_finish(v, NULL) == SK_OK);
	for (i = 0; i < sk_dkim_verify_count(v); i++) {
		const struct sk_dkim_sig_result *res =
			sk_dkim_verify_result(v, i);

		CHECK(res != NULL && res->reason != NULL &&
		      res->detail != NULL && res->domain != NULL);
		CHECK(res->result != SK_DKIM_PASS || res->body_hash_ok);
	}
	sk_dkim_verify_free(v);
out:
	sk_resolver_free(r);
	return 0;
}
