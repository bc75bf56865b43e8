/*
 * lib/store/rollout.c - the next step of a DMARC rollout, from the stored
 * aggregate reports: p=none, then p=quarantine with t=y, then
 * p=quarantine, then p=reject.
 *
 *   RFC 9989 section 4.7        t=y: receivers apply the policy one step
 *                               down (quarantine as none, reject as
 *                               quarantine): the testing stage.
 *   RFC 9989 Appendix A.6       pct removed; RFC 7489 section 6.3 pct is
 *                               only offered as a note for receivers that
 *                               still follow RFC 7489.
 *   RFC 7489 section 7.2        aggregate reports: the evidence.
 *
 * A source is "claimed" when the provider profile lists its IP; it is
 * "legitimate" when it passed DMARC at least once in the window (so it
 * holds the domain's DKIM key or SPF authorization); otherwise it is
 * unknown (forwarders, spoofers, or a service not yet set up).  The advice
 * never tightens while a claimed source fails alignment.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <senderkit/dmarc.h>
#include <senderkit/report.h>
#include "util/util.h"
#include "store_internal.h"

static const char pct_note[] =
	"RFC 9989 removed pct (Appendix A.6) in favour of t=y; receivers "
	"still on RFC 7489 ignore t=y but honour pct, so for them a ramp "
	"p=quarantine; pct=25, then 50, then 100 (RFC 7489 section 6.3) "
	"may replace the testing stage";

const char *
sk_rollout_stage_str(enum sk_rollout_stage st)
{
	switch (st) {
	case SK_ROLLOUT_NONE:
		return "none";
	case SK_ROLLOUT_QUARANTINE_TEST:
		return "quarantine (t=y)";
	case SK_ROLLOUT_QUARANTINE:
		return "quarantine";
	case SK_ROLLOUT_REJECT:
		return "reject";
	case SK_ROLLOUT_UNKNOWN:
	default:
		return "unknown";
	}
}

/* The stage a published policy puts the domain in. */
static enum sk_rollout_stage
stage_of(const struct sk_report_meta *m)
{
	bool test = strcmp(m->testing, "y") == 0;

	if (strcmp(m->p, "reject") == 0)
		/* t=y with p=reject: quarantine applies (section 4.7) */
		return test ? SK_ROLLOUT_QUARANTINE : SK_ROLLOUT_REJECT;
	if (strcmp(m->p, "quarantine") == 0)
		return test || (m->pct >= 0 && m->pct < 100) ?
		       SK_ROLLOUT_QUARANTINE_TEST : SK_ROLLOUT_QUARANTINE;
	return SK_ROLLOUT_NONE;
}

static double
rate(const struct sk_report_tally *t)
{
	return t->messages ? (double)t->dmarc_pass / (double)t->messages : 1;
}

/* Why a source fails: its main SPF and DKIM reasons, in words. */
static void
reasons(const struct sk_report_tally *t, char *buf, size_t size)
{
	const char *spf = t->fail_spf_unaligned >= t->fail_spf_failing ?
			  "SPF not aligned" : "SPF failing";
	const char *dkim =
	    t->fail_dkim_missing >= t->fail_dkim_unaligned &&
	    t->fail_dkim_missing >= t->fail_dkim_failing ? "DKIM missing" :
	    t->fail_dkim_unaligned >= t->fail_dkim_failing ?
	    "DKIM not aligned" : "DKIM failing";

	snprintf(buf, size, "%s, %s", spf, dkim);
}

static sk_status
build(struct sk_report_rollout *r, const struct sk_report_meta *m,
      const struct sk_rollout_params *pa, enum sk_rollout_stage stage,
      struct sk_err *err)
{
	struct sk_dmarc_build b;

	memset(&b, 0, sizeof(b));
	b.p = stage == SK_ROLLOUT_REJECT ? "reject" :
	      stage == SK_ROLLOUT_QUARANTINE ||
	      stage == SK_ROLLOUT_QUARANTINE_TEST ? "quarantine" : "none";
	if (stage == SK_ROLLOUT_QUARANTINE_TEST)
		b.t = "y";
	/* Keep a strict alignment the domain already publishes; relaxed
	 * is the default and needs no tag. */
	if (m != NULL && strcmp(m->adkim, "s") == 0)
		b.adkim = "s";
	if (m != NULL && strcmp(m->aspf, "s") == 0)
		b.aspf = "s";
	b.rua = pa->rua;
	b.nrua = pa->nrua;
	return sk_dmarc_build(&b, &r->record, err);
}

/* Hold or advance from what the window shows. */
static void
judge(struct sk_report_rollout *r, double min_pass)
{
	const struct sk_report_summary *ev = r->evidence;
	char why[128];
	size_t i;

	for (i = 0; i < ev->nsources; i++) {
		const struct sk_report_source *src = &ev->sources[i];

		r->kinds[i] = src->claim != NULL ? SK_ROLLOUT_CLAIMED :
			      src->t.dmarc_pass > 0 ? SK_ROLLOUT_LEGITIMATE :
			      SK_ROLLOUT_UNKNOWN_SOURCE;
		if (r->kinds[i] == SK_ROLLOUT_UNKNOWN_SOURCE) {
			r->nunknown++;
			r->unknown_messages += src->t.messages;
		}
	}
	if (r->current == SK_ROLLOUT_REJECT) {
		snprintf(r->why, sizeof(r->why), "p=reject is the last "
			 "stage: keep reading the reports");
		return;
	}
	if (ev->total.messages == 0) {
		snprintf(r->why, sizeof(r->why), "no message reported in the "
			 "window: wait for aggregate reports");
		return;
	}
	for (i = 0; i < ev->nsources; i++) {
		const struct sk_report_source *src = &ev->sources[i];
		uint64_t fail = src->t.messages - src->t.dmarc_pass;

		if (r->kinds[i] != SK_ROLLOUT_CLAIMED || fail == 0)
			continue;
		reasons(&src->t, why, sizeof(why));
		r->claimed_failing = true;
		snprintf(r->why, sizeof(r->why), "not tightening: %s (%s) "
			 "is claimed by the provider profile and %llu of its "
			 "%llu messages fail DMARC alignment (%s)", src->ip,
			 src->claim, (unsigned long long)fail,
			 (unsigned long long)src->t.messages, why);
		return;
	}
	for (i = 0; i < ev->nsources; i++) {
		const struct sk_report_source *src = &ev->sources[i];

		if (r->kinds[i] == SK_ROLLOUT_UNKNOWN_SOURCE ||
		    rate(&src->t) >= min_pass)
			continue;
		reasons(&src->t, why, sizeof(why));
		snprintf(r->why, sizeof(r->why), "not tightening: legitimate "
			 "source %s passes DMARC for %.1f%% of %llu messages, "
			 "below %.1f%% (%s)", src->ip, 100 * rate(&src->t),
			 (unsigned long long)src->t.messages, 100 * min_pass,
			 why);
		return;
	}
	r->advance = true;
	r->next = (enum sk_rollout_stage)(r->current + 1);
	snprintf(r->why, sizeof(r->why), "every legitimate source passes "
		 "DMARC for at least %.1f%% of its messages", 100 * min_pass);
}

sk_status
sk_store_rollout(struct sk_store *s, const char *domain,
		 const struct sk_rollout_params *params,
		 struct sk_report_rollout **out, struct sk_err *err)
{
	struct sk_rollout_params pa;
	struct sk_report_filter f;
	struct sk_report_summary *all = NULL;
	struct sk_report_rollout *r;
	sk_status rc;

	*out = NULL;
	if (domain == NULL || domain[0] == '\0')
		return sk__err(err, SK_EINVAL, "rollout: no domain");
	memset(&pa, 0, sizeof(pa));
	if (params != NULL)
		pa = *params;
	if (pa.window_days == 0)
		pa.window_days = SK_ROLLOUT_WINDOW_DAYS;
	if (!(pa.min_pass > 0 && pa.min_pass <= 1))
		pa.min_pass = SK_ROLLOUT_MIN_PASS;
	r = sk__calloc(1, sizeof(*r));
	if (r == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	r->pct_note = pct_note;
	/* The latest report of the domain: current stage, window end. */
	memset(&f, 0, sizeof(f));
	f.domain = domain;
	rc = sk__store_latest(s, &f, &all, err);
	if (rc != SK_OK)
		goto fail;
	if (!all->has_policy) {
		r->current = SK_ROLLOUT_UNKNOWN;
		r->next = SK_ROLLOUT_NONE;
		r->advance = true;
		snprintf(r->why, sizeof(r->why), "no aggregate report for %s:"
			 " publish p=none with a rua address and read the "
			 "reports", domain);
		rc = sk__store_latest(s, &f, &r->evidence, err);
		if (rc == SK_OK)
			rc = build(r, NULL, &pa, SK_ROLLOUT_NONE, err);
		if (rc != SK_OK)
			goto fail;
		sk_report_summary_free(all);
		*out = r;
		return SK_OK;
	}
	r->current = r->next = stage_of(&all->policy);
	r->until = all->last;
	r->since = all->last - (int64_t)pa.window_days * SK_REPORT_DAY;
	f.since = r->since;
	rc = sk_store_summary(s, &f, pa.profile, &r->evidence, err);
	if (rc != SK_OK)
		goto fail;
	if (r->evidence->nsources > 0) {
		r->kinds = sk__calloc(r->evidence->nsources,
				      sizeof(*r->kinds));
		if (r->kinds == NULL) {
			rc = sk__err(err, SK_ENOMEM, "out of memory");
			goto fail;
		}
	}
	judge(r, pa.min_pass);
	rc = build(r, &all->policy, &pa, r->next, err);
	if (rc != SK_OK)
		goto fail;
	sk_report_summary_free(all);
	*out = r;
	return SK_OK;
fail:
	sk_report_summary_free(all);
	sk_report_rollout_free(r);
	return rc;
}

void
sk_report_rollout_free(struct sk_report_rollout *r)
{
	if (r == NULL)
		return;
	free(r->record);
	sk_report_summary_free(r->evidence);
	sk__free(r->kinds);
	sk__free(r);
}
