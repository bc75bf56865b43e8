/*
 * fuzz/fuzz_dmarc_record.c - sk_dmarc_parse() and the lint of a record
 * on arbitrary bytes.  Invariants: a text is parsed exactly when
 * sk_dmarc_is_record() says it is a record; offsets lie inside the text;
 * defaults are consistent (np follows sp follows p unless written); and
 * rebuilding the valid tags with sk_dmarc_build() gives a record that
 * parses to the same values (parse -> build -> parse).
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <senderkit/dmarc.h>
#include "util/util.h"
#include "fuzz.h"

static const char *
yn(bool b)
{
	return b ? "y" : "n";
}

static void
roundtrip(const struct sk_dmarc_record *rec)
{
	const char *rua[SK_DMARC_MAX_URIS], *ruf[SK_DMARC_MAX_URIS];
	struct sk_dmarc_record *back = NULL;
	struct sk_dmarc_build b;
	char *out = NULL;
	size_t i;

	if (!sk_dmarc_record_explicit(rec, SK_DMARC_TAG_P))
		return;
	memset(&b, 0, sizeof(b));
	b.p = sk_dmarc_policy_str(rec->p);
	if (sk_dmarc_record_explicit(rec, SK_DMARC_TAG_SP))
		b.sp = sk_dmarc_policy_str(rec->sp);
	if (sk_dmarc_record_explicit(rec, SK_DMARC_TAG_NP))
		b.np = sk_dmarc_policy_str(rec->np);
	b.t = yn(rec->t);
	b.adkim = rec->adkim == SK_DMARC_ALIGN_STRICT ? "s" : "r";
	b.aspf = rec->aspf == SK_DMARC_ALIGN_STRICT ? "s" : "r";
	b.psd = sk_dmarc_psd_str(rec->psd);
	for (i = 0; i < rec->nrua; i++)
		rua[i] = rec->rua[i].uri;
	for (i = 0; i < rec->nruf; i++)
		ruf[i] = rec->ruf[i].uri;
	b.rua = rua;
	b.nrua = rec->nrua;
	b.ruf = ruf;
	b.nruf = rec->nruf;
	if (sk_dmarc_build(&b, &out, NULL) != SK_OK)
		return; /* e.g. ENOMEM, or over the length limit */
	CHECK(sk_dmarc_parse(out, strlen(out), &back, NULL) == SK_OK);
	CHECK(back->p == rec->p && back->t == rec->t &&
	      back->adkim == rec->adkim && back->aspf == rec->aspf &&
	      back->psd == rec->psd && back->nrua == rec->nrua &&
	      back->nruf == rec->nruf);
	if (!rec->fallback_none)
		CHECK(back->sp == rec->sp && back->np == rec->np);
	sk_dmarc_record_free(back);
	free(out);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_dmarc_record *rec = NULL;
	struct sk_dmarc_lint *l = NULL;
	sk_status st;
	size_t i;

	st = sk_dmarc_parse((const char *)data, size, &rec, NULL);
	CHECK((st == SK_OK) == sk_dmarc_is_record((const char *)data, size) ||
	      st == SK_ETOOBIG);
	if (st == SK_OK) {
		CHECK(rec->len == size);
		for (i = 0; i < rec->nproblems; i++)
			CHECK(rec->problems[i].offset <= size);
		for (i = 0; i < rec->ntags; i++)
			CHECK(rec->tags[i].offset < size &&
			      rec->tags[i].value_offset <= size);
		for (i = 0; i < rec->nrua; i++)
			CHECK(rec->rua[i].offset < size);
		if (!rec->fallback_none &&
		    !sk_dmarc_record_explicit(rec, SK_DMARC_TAG_SP))
			CHECK(rec->sp == rec->p);
		if (!rec->fallback_none &&
		    !sk_dmarc_record_explicit(rec, SK_DMARC_TAG_NP))
			CHECK(rec->np == rec->sp);
		roundtrip(rec);
		sk_dmarc_record_free(rec);
	}
	if (sk_dmarc_lint_record(NULL, (const char *)data, size, NULL, NULL,
				 &l, NULL) == SK_OK)
		CHECK(sk_findings_count(sk_dmarc_lint_findings(l)) > 0 ||
		      sk_dmarc_lint_record_parsed(l) != NULL);
	sk_dmarc_lint_free(l);
	return 0;
}
