/*
 * fuzz/fuzz_mime.c - the report readers (format sniffing, MIME walker,
 * base64 / quoted-printable, gzip, zip, mbox) on arbitrary bytes, with
 * small limits.  Invariant: every document found gets exactly one
 * outcome, after its start.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <senderkit/report.h>
#include "fuzz.h"

struct seen {
	long open;
	unsigned docs;
};

static void
on_start(void *arg, const char *name)
{
	((struct seen *)arg)->open++;
}

static void
on_done(void *arg, const char *name, sk_status st, const struct sk_err *e,
	const struct sk_findings *w)
{
	struct seen *s = arg;

	CHECK(name != NULL && w != NULL);
	CHECK(st == SK_OK || (e != NULL && e->msg[0] != '\0'));
	s->open--;
	CHECK(s->open == 0);
	s->docs++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_report_limits lim = {
		.max_decompressed = 1 << 20,
		.max_ratio = 100,
		.max_message = 1 << 20,
		.max_mime_depth = 8,
		.max_members = 8,
	};
	struct sk_report_reader rd;
	struct seen s = {0, 0};

	memset(&rd, 0, sizeof(rd));
	rd.start = on_start;
	rd.done = on_done;
	rd.arg = &s;
	rd.limits = &lim;
	CHECK(sk_report_read_mem("input", data, size, &rd, NULL) == SK_OK);
	CHECK(s.open == 0 && s.docs >= 1);
	return 0;
}
