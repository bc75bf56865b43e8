/*
 * fuzz/fuzz_from.c - the From-header address parser (RFC 5322 section
 * 3.4, lib/msg/addr.c) and sk_dmarc_from_fields() on arbitrary bytes.
 * Invariants: the parser never reads past the length given (the input
 * is copied into an exact-size buffer, so ASan sees any overread); a
 * success gives at most SK__ADDR_MAX_MAILBOXES mailboxes, each with a
 * non-empty domain under 256 bytes that contains no CFWS byte; an error
 * offset lies inside the input; the public wrapper agrees with the
 * parser (unparseable exactly when the parser fails, no domain exactly
 * when it found no mailbox) and never yields a domain on failure.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <senderkit/dmarc.h>
#include "msg/msg_internal.h"
#include "fuzz.h"

static struct sk__addr_list L;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_dmarc_eval_input in;
	char *copy, *store = NULL;
	const char *v[1];
	size_t l[1], i, k;
	sk_status st;

	copy = malloc(size ? size : 1);
	if (copy == NULL)
		return 0;
	if (size > 0)
		memcpy(copy, data, size);
	st = sk__addr_parse_list(copy, size, &L);
	if (st == SK_OK) {
		CHECK(L.n <= SK__ADDR_MAX_MAILBOXES);
		for (i = 0; i < L.n; i++) {
			CHECK(L.mb[i].domain_len > 0);
			CHECK(L.mb[i].domain_len < sizeof(L.mb[i].domain));
			CHECK(strlen(L.mb[i].domain) == L.mb[i].domain_len);
			CHECK(L.mb[i].offset < size);
			for (k = 0; !L.mb[i].literal &&
				    k < L.mb[i].domain_len; k++)
				CHECK(strchr(" \t\r\n()", L.mb[i].domain[k]) ==
				      NULL);
		}
	} else {
		CHECK(st == SK_ESYNTAX || st == SK_ETOOBIG);
		CHECK(L.err_msg != NULL);
		CHECK(L.err_offset == SK_NO_OFFSET || L.err_offset <= size);
	}
	memset(&in, 0, sizeof(in));
	v[0] = copy;
	l[0] = size;
	if (sk_dmarc_from_fields(v, l, 1, &in, &store, NULL) == SK_OK) {
		if (st != SK_OK) {
			CHECK(in.from_status == SK_DMARC_FROM_UNPARSEABLE);
			CHECK(in.nfrom_domains == 0 && store == NULL);
		} else if (L.n == 0) {
			CHECK(in.from_status == SK_DMARC_FROM_NO_DOMAIN);
		} else {
			CHECK(in.from_status == SK_DMARC_FROM_OK);
			CHECK(in.nfrom_domains == L.n);
			for (i = 0; i < L.n; i++)
				CHECK(strcmp(in.from_domains[i],
					     L.mb[i].domain) == 0);
		}
	}
	free(store);
	free(copy);
	return 0;
}
