/*
 * fuzz/fuzz_profile.c - sk_profile_load_mem() on arbitrary bytes.
 * Invariants: a failure names a line within the input (or 0) and the
 * file; a loaded profile has what the schema requires (id, a valid as_of,
 * lists with source, date and valid items, hosts whose targets expand once
 * every input has a value) and its lookups find every element.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <senderkit/profile.h>
#include "profile/profile_internal.h"
#include "fuzz.h"

static void
check_expand(const struct sk_profile *p)
{
	struct sk_org_config *c = NULL;
	char *s;
	size_t i;
	sk_status st;

	if (sk_config_new(&c, NULL) != SK_OK)
		return;
	for (i = 0; i < p->ninputs; i++)
		if (sk_config_set(c, "provider", p->inputs[i].name, "v", 0,
				  NULL) != SK_OK)
			goto out;
	for (i = 0; i < p->nhosts; i++) {
		s = NULL;
		st = sk_profile_expand(c, p->hosts[i].target, &s, NULL);
		CHECK(st == SK_OK || st == SK_ENOMEM);
		free(s);
	}
out:
	sk_config_free(c);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_profile *p = NULL;
	struct sk_err err;
	size_t i, j, lines = 1;
	sk_status st;

	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	sk_err_clear(&err);
	st = sk_profile_load_mem((const char *)data, size, "f.ini", &p, &err);
	if (st != SK_OK) {
		CHECK(p == NULL);
		CHECK(err.code == st);
		CHECK(err.line <= lines);
		if (st == SK_ESYNTAX)
			CHECK(strncmp(err.msg, "f.ini:", 6) == 0);
		return 0;
	}
	CHECK(p->id != NULL && p->as_of != NULL);
	CHECK(sk_profile_age_days(p->as_of, 0) != -1 ||
	      strcmp(p->as_of, "1970-01-02") == 0);
	CHECK(p->spf.needed_when != NULL);
	CHECK(p->dkim.recommended_bits >= p->dkim.min_bits);
	for (i = 0; i < p->ninputs; i++)
		CHECK(sk_profile_input(p, p->inputs[i].name) ==
		      &p->inputs[i]);
	for (i = 0; i < p->nhosts; i++) {
		const struct sk_profile_host *h = &p->hosts[i];

		CHECK(sk_profile_host(p, h->role) == h);
		CHECK(h->target != NULL && h->config_key != NULL);
		CHECK(h->must_differ_from == NULL ||
		      sk_profile_host(p, h->must_differ_from) != NULL);
	}
	for (i = 0; i < p->nlists; i++) {
		const struct sk_profile_list *l = &p->lists[i];
		bool cidr;

		CHECK(sk_profile_list(p, l->name) == l);
		CHECK(l->source != NULL && l->as_of != NULL &&
		      l->kind != NULL && l->count > 0);
		CHECK(sk_profile_age_days(l->as_of, 1000000000) != -1);
		cidr = strcmp(l->kind, "cidr") == 0;
		for (j = 0; j < l->count; j++)
			CHECK(cidr ? sk__prof_cidr_ok(l->items[j],
						      strlen(l->items[j])) :
			      sk__prof_domain_ok(l->items[j],
						 strlen(l->items[j]), true));
	}
	check_expand(p);
	sk_profile_free(p);
	return 0;
}
