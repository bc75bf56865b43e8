/*
 * fuzz/fuzz_spf_record.c - sk_spf_parse() on arbitrary bytes.  For a
 * record that parses, check the invariants of every term: its text is a
 * slice of the record at its offset, its slices lie inside the text, cidr
 * lengths are in range, and re-parsing the terms joined by single spaces
 * gives the same terms (parse -> render -> parse).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <senderkit/spf.h>
#include "util/util.h"
#include "fuzz.h"

static void
in_term(const struct sk_spf_term *t, const char *p, size_t n)
{
	if (p == NULL)
		return;
	CHECK(p >= t->text && p + n <= t->text + t->text_len);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_spf_record *rec = NULL, *rec2 = NULL;
	struct sk_err err;
	struct sk_buf b;
	sk_status st;
	size_t n;

	st = sk_spf_parse((const char *)data, size, &rec, &err);
	if (st != SK_OK) {
		CHECK(rec == NULL);
		CHECK(st == SK_ESYNTAX || st == SK_ETOOBIG ||
		      st == SK_ENOMEM);
		CHECK(st != SK_ESYNTAX || err.offset == SK_NO_OFFSET ||
		      err.offset <= size);
		return 0;
	}
	CHECK(sk_spf_is_record((const char *)data, size));
	n = sk_spf_record_nterms(rec);
	sk__buf_init(&b, SK_SPF_MAX_RECORD + 1);
	CHECK(sk__buf_adds(&b, "v=spf1") == SK_OK);
	for (size_t i = 0; i < n; i++) {
		const struct sk_spf_term *t = sk_spf_record_term(rec, i);

		CHECK(t != NULL);
		CHECK(t->offset + t->text_len <= size);
		CHECK(memcmp(data + t->offset, t->text, t->text_len) == 0);
		CHECK(t->text_len > 0 && memchr(t->text, ' ', t->text_len) ==
						 NULL);
		CHECK(strchr("+-~?", t->qualifier) != NULL);
		in_term(t, t->domain_spec, t->domain_spec_len);
		in_term(t, t->name, t->name_len);
		in_term(t, t->value, t->value_len);
		CHECK(t->cidr4 >= -1 && t->cidr4 <= 32);
		CHECK(t->cidr6 >= -1 && t->cidr6 <= 128);
		CHECK(sk_spf_term_kind_str(t->kind) != NULL);
		CHECK(sk__buf_addc(&b, ' ') == SK_OK);
		CHECK(sk__buf_add(&b, t->text, t->text_len) == SK_OK);
	}
	CHECK(sk_spf_record_term(rec, n) == NULL);
	st = sk_spf_parse(b.p, b.len, &rec2, &err);
	CHECK(st == SK_OK || st == SK_ENOMEM);
	if (st == SK_OK) {
		CHECK(sk_spf_record_nterms(rec2) == n);
		for (size_t i = 0; i < n; i++) {
			const struct sk_spf_term *x, *y;

			x = sk_spf_record_term(rec, i);
			y = sk_spf_record_term(rec2, i);
			CHECK(x->kind == y->kind);
			CHECK(x->qualifier == y->qualifier);
			CHECK(x->cidr4 == y->cidr4 && x->cidr6 == y->cidr6);
			CHECK(memcmp(x->addr, y->addr, 16) == 0);
			CHECK(x->text_len == y->text_len &&
			      memcmp(x->text, y->text, x->text_len) == 0);
		}
	}
	sk_spf_record_free(rec2);
	sk__buf_free(&b);
	sk_spf_record_free(rec);
	return 0;
}
