/*
 * fuzz/fuzz_dkim_key.c - sk_dkim_key_parse() and sk_dkim_lint_record() on
 * arbitrary bytes (RFC 6376 section 3.6.1, RFC 8463 section 4).  Checks
 * that the parsed key is self-consistent (type against k=, Ed25519 keys
 * of 32 bytes, revoked iff p= is empty, strings NUL-terminated), that
 * finding offsets lie in the input, and that parse and lint agree: the
 * parser refuses a record exactly when the lint reports one of the
 * problems that make a record unusable.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <senderkit/dkim.h>
#include "util/util.h"
#include "fuzz.h"

static const char *const fatal_ids[] = {
	"dkim-syntax", "dkim-version", "dkim-base64",
	"dkim-key-type-mismatch", "dkim-key-invalid",
};

static bool
has_fatal(const struct sk_findings *f)
{
	for (size_t i = 0; i < sk_findings_count(f); i++) {
		const struct sk_finding *x = sk_findings_get(f, i);

		for (size_t j = 0; j < sizeof(fatal_ids) / sizeof(*fatal_ids);
		     j++) {
			if (strcmp(x->id, fatal_ids[j]) == 0) {
				CHECK(x->severity == SK_SEV_ERROR);
				return true;
			}
		}
	}
	return false;
}

static bool
quoted(const uint8_t *p, size_t n)
{
	size_t i = 0;

	while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
			 p[i] == '\n'))
		i++;
	return i < n && (p[i] == '"' || p[i] == '(');
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_dkim_key *k = NULL;
	struct sk_findings *f = NULL;
	struct sk_err err;
	sk_status st, lst;

	st = sk_dkim_key_parse((const char *)data, size, &k, &err);
	CHECK(st == SK_OK || st == SK_ESYNTAX || st == SK_ETOOBIG ||
	      st == SK_ENOMEM);
	CHECK((st == SK_OK) == (k != NULL));
	if (st == SK_ESYNTAX)
		CHECK(err.offset == SK_NO_OFFSET || err.offset <= size);
	if (k != NULL) {
		CHECK(k->k != NULL && k->s != NULL && k->p != NULL);
		CHECK(strlen(k->p) <= size);
		CHECK(k->v == NULL || strcmp(k->v, "DKIM1") == 0);
		CHECK(k->revoked == (k->p[0] == '\0'));
		CHECK(!k->revoked || (k->pub == NULL && k->bits == 0));
		if (k->type == SK_DKIM_KEY_ED25519 && !k->revoked)
			CHECK(k->publen == 32 && k->bits == 256);
		if (k->type == SK_DKIM_KEY_RSA && !k->revoked)
			CHECK(k->pub != NULL && k->bits > 0);
		if (k->type == SK_DKIM_KEY_UNKNOWN)
			CHECK(k->bits == 0);
		CHECK(strcmp(sk_dkim_keytype_str(k->type), "unknown") != 0 ||
		      k->type == SK_DKIM_KEY_UNKNOWN);
	}

	lst = sk_dkim_lint_record((const char *)data, size, &f, &err);
	CHECK(lst == SK_OK || lst == SK_ENOMEM);
	CHECK((lst == SK_OK) == (f != NULL));
	if (f != NULL) {
		int prev = SK_SEV_ERROR;

		for (size_t i = 0; i < sk_findings_count(f); i++) {
			const struct sk_finding *x = sk_findings_get(f, i);

			CHECK(x->offset == SK_NO_OFFSET || x->offset <= size);
			CHECK((int)x->severity <= prev);
			prev = (int)x->severity;
			CHECK(strncmp(x->id, "dkim-", 5) == 0);
			CHECK(x->message != NULL && x->ref != NULL);
		}
		if (!quoted(data, size) && st != SK_ENOMEM)
			CHECK((st == SK_OK) == !has_fatal(f));
	}
	sk_findings_free(f);
	sk_dkim_key_free(k);
	return 0;
}
