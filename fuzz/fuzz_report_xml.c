/*
 * fuzz/fuzz_report_xml.c - the aggregate report XML handler on arbitrary
 * bytes, fed whole and in two pieces.  Invariants: both ways give the
 * same status and totals; a record is only handed out after the report;
 * every kept string is NUL-terminated within its field.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <senderkit/report.h>
#include "fuzz.h"

struct seen {
	int reports;
	uint64_t records;
};

static sk_status
on_report(void *arg, const struct sk_report_meta *m)
{
	struct seen *s = arg;

	CHECK(memchr(m->report_id, '\0', sizeof(m->report_id)) != NULL);
	CHECK(m->report_id[0] != '\0' && m->domain[0] != '\0');
	CHECK(m->begin <= m->end);
	s->reports++;
	return SK_OK;
}

static sk_status
on_record(void *arg, const struct sk_report_meta *m,
	  const struct sk_report_record *r)
{
	struct seen *s = arg;

	CHECK(s->reports == 1);
	CHECK(memchr(r->source_ip, '\0', sizeof(r->source_ip)) != NULL);
	s->records++;
	return SK_OK;
}

static sk_status
run(const uint8_t *data, size_t size, size_t split, struct seen *s,
    uint64_t *msgs)
{
	struct sk_report_cb cb = {on_report, on_record, s};
	struct sk_report_parser *p = NULL;
	sk_status st;

	memset(s, 0, sizeof(*s));
	if (sk_report_parser_new(&cb, &p, NULL) != SK_OK)
		return SK_ENOMEM;
	st = sk_report_parser_feed(p, data, split, NULL);
	if (st == SK_OK)
		st = sk_report_parser_feed(p, data + split, size - split,
					   NULL);
	if (st == SK_OK)
		st = sk_report_parser_finish(p, NULL);
	sk_report_parser_totals(p, NULL, msgs);
	sk_report_parser_free(p);
	return st;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct seen a, b;
	uint64_t ma = 0, mb = 0;
	sk_status sa, sb;

	sa = run(data, size, size, &a, &ma);
	sb = run(data, size, size / 2, &b, &mb);
	if (sa == SK_ENOMEM || sb == SK_ENOMEM)
		return 0;
	CHECK(sa == sb);
	if (sa == SK_OK)
		CHECK(a.reports == 1 && a.records == b.records && ma == mb);
	return 0;
}
