/*
 * fuzz/fuzz_dnspacket.c - bytes as a DNS response in wire format (RFC 1035
 * section 4.1), turned into a raw result by the live backend's own
 * function and then into an answer by the core (CNAME walk, decoding of
 * A, AAAA, MX, TXT, SOA, CAA, names).
 */
#include <stdint.h>
#include <string.h>
#include "dns/dns_internal.h"
#include "fuzz.h"

static void
touch(const struct sk_dns_answer *a)
{
	volatile size_t sink = 0;

	sink += strlen(a->qname) + strlen(a->cname) + strlen(a->why);
	for (size_t i = 0; i < a->count; i++) {
		const struct sk_dns_rr *rr = &a->rr[i];

		sink += strlen(rr->owner);
		for (size_t k = 0; k < rr->rdlen; k++)
			sink += rr->rdata[k];
		switch (rr->type) {
		case SK_DNS_TXT:
		case SK_DNS_SPF:
			sink += rr->u.txt.len + (uint8_t)rr->u.txt.text[
				rr->u.txt.len];
			for (unsigned k = 0; k < rr->u.txt.nstrings; k++)
				sink += rr->u.txt.lens[k];
			break;
		case SK_DNS_MX:
			sink += strlen(rr->u.mx.exchange);
			break;
		case SK_DNS_CNAME:
		case SK_DNS_PTR:
		case SK_DNS_NS:
			sink += strlen(rr->u.target);
			break;
		case SK_DNS_SOA:
			sink += strlen(rr->u.soa.mname) +
				strlen(rr->u.soa.rname);
			break;
		case SK_DNS_CAA:
			sink += strlen(rr->u.caa.tag) +
				strlen(rr->u.caa.value);
			break;
		default:
			break;
		}
	}
	(void)sink;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk__dns_raw raw;
	ldns_pkt *pkt = NULL;
	const struct sk_dns_answer *a;
	char *qname = NULL;
	uint16_t qtype = SK_DNS_A;

	if (sk__dns_packet_to_raw(data, size, &pkt, &raw) != SK_OK)
		return 0;
	if (ldns_pkt_qdcount(pkt) > 0 && ldns_pkt_question(pkt) != NULL &&
	    ldns_rr_list_rr_count(ldns_pkt_question(pkt)) > 0) {
		ldns_rr *q = ldns_rr_list_rr(ldns_pkt_question(pkt), 0);

		qname = sk__dns_rdf_str(ldns_rr_owner(q));
		qtype = (uint16_t)ldns_rr_get_type(q);
	}
	a = sk__dns_answer_from_raw(qname != NULL ? qname : "example.com",
				    qtype, &raw);
	if (a != NULL) {
		touch(a);
		sk_dns_answer_unref(a);
	}
	/* The same data seen as the answer to other types. */
	a = sk__dns_answer_from_raw("example.com", SK_DNS_TXT, &raw);
	if (a != NULL) {
		touch(a);
		sk_dns_answer_unref(a);
	}
	a = sk__dns_answer_from_raw(qname != NULL ? qname : "example.com",
				    SK_DNS_CNAME, &raw);
	if (a != NULL) {
		touch(a);
		sk_dns_answer_unref(a);
	}
	sk__free(qname);
	sk__free((void *)(uintptr_t)raw.rrs);
	ldns_pkt_free(pkt);
	return 0;
}
