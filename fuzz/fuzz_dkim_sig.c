/*
 * fuzz/fuzz_dkim_sig.c - the DKIM-Signature parser (RFC 6376 section 3.5)
 * on arbitrary bytes.  Invariants: a signature found usable has every
 * required tag, From in h=, and a "b= removed" copy shorter than the
 * field that still holds "b=".
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "dkim/sigcanon.h"
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk__dkim_sig *sig = NULL;
	char *field;
	size_t i;
	bool from = false;

	if (size > 70000)
		return 0;
	field = malloc(size + 17);
	if (field == NULL)
		return 0;
	memcpy(field, "DKIM-Signature:", 15);
	memcpy(field + 15, data, size);
	memcpy(field + 15 + size, "\r\n", 2);
	if (sk__dkim_sig_parse(field, size + 17, &sig) == SK_OK) {
		CHECK(sig != NULL);
		if (sig->reason == NULL) {
			CHECK(sig->v && sig->a && sig->d && sig->s && sig->h);
			CHECK(sig->blen > 0 && sig->bhlen > 0);
			CHECK(sig->alg_known);
			CHECK(sig->unsigned_field != NULL);
			CHECK(sig->unsigned_len <= size + 15);
			CHECK(sk__dkim_identity_in_domain(sig->i ? sig->i :
							  "@x", sig->i ?
							  sig->d : "x"));
			for (i = 0; i < sig->nnames; i++)
				if (sk__eq_nocase_z(sig->names[i].p,
						    sig->names[i].len, "from"))
					from = true;
			CHECK(from);
			CHECK(sig->x < 0 || sig->t < 0 || sig->x >= sig->t);
		}
		sk__dkim_sig_free(sig);
	}
	free(field);
	return 0;
}
