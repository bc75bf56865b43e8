/*
 * fuzz/fuzz_zonefile.c - bytes as an RFC 1035 master file loaded into a
 * zone resolver, then a few questions (exact names, CNAMEs, empty
 * non-terminals, wildcards) answered from whatever loaded.
 */
#include <stdint.h>
#include <string.h>
#include <senderkit/dns.h>
#include "fuzz.h"

static void
touch(const struct sk_dns_answer *a)
{
	volatile size_t sink = 0;

	sink += strlen(a->qname) + strlen(a->cname) + strlen(a->why);
	for (size_t i = 0; i < a->count; i++) {
		const struct sk_dns_rr *rr = &a->rr[i];

		sink += strlen(rr->owner) + rr->rdlen;
		if (rr->type == SK_DNS_TXT || rr->type == SK_DNS_SPF)
			sink += rr->u.txt.len + rr->u.txt.nstrings;
		else if (rr->type == SK_DNS_MX)
			sink += strlen(rr->u.mx.exchange);
		else if (rr->type == SK_DNS_CNAME || rr->type == SK_DNS_PTR ||
			 rr->type == SK_DNS_NS)
			sink += strlen(rr->u.target);
	}
	(void)sink;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const names[] = {
		"example", "www.example", "a.b.example", "x.wild.example",
		"mail.example", "com", "nothing.invalid",
	};
	static const uint16_t types[] = {
		SK_DNS_A, SK_DNS_TXT, SK_DNS_MX, SK_DNS_CNAME, SK_DNS_SPF,
	};
	struct sk_resolver *r = NULL;

	if (size > 64 * 1024)
		return 0;
	if (sk_resolver_new_zones(&r, NULL) != SK_OK)
		return 0;
	if (sk_resolver_load_zone_mem(r, (const char *)data, size, "fuzz",
				      "example.", NULL) == SK_OK) {
		for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
			for (size_t j = 0; j < sizeof(types) / sizeof(types[0]);
			     j++) {
				const struct sk_dns_answer *a = NULL;

				if (sk_dns_resolve(r, names[i], types[j], &a,
						   NULL) == SK_OK) {
					touch(a);
					sk_dns_answer_unref(a);
				}
			}
	}
	sk_resolver_free(r);
	return 0;
}
