/*
 * tests/unit/test_store.c - the report store's questions: summary (totals,
 * days, sources, claims, latest policy, filters), export, rollout (stages,
 * holds, the record to publish), failure reports (CRLF/LF dedupe,
 * Arrival-Date and its filter), the RFC 5322 date parser, and the reverse
 * names (scripted resolver: names, caching, expiry).  Every figure is
 * worked out in the comments from the reports built here.
 *
 * Usage: test_store SOURCE_ROOT   (reads data/profiles/marketo.ini)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <senderkit/dns.h>
#include <senderkit/profile.h>
#include <senderkit/report.h>
#include "report/report_internal.h"
#include "store/store_internal.h"
#include "tap.h"

#define DAY1 1735689600LL /* 2025-01-01T00:00:00Z */
#define DAY 86400LL
#define EX "example.com"
#define MK "mktomail.com"

static char dbpath[256];
static struct sk_profile *marketo;

/* ----- building reports ------------------------------------------- */

struct xb {
	char buf[16384];
	size_t n;
};

static void
xadd(struct xb *x, const char *fmt, ...) SK_PRINTF(2, 3);

static void
xadd(struct xb *x, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(x->buf + x->n, sizeof(x->buf) - x->n, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof(x->buf) - x->n)
		x->n += (size_t)n;
}

static void
head(struct xb *x, const char *org, const char *rid, long long begin,
     const char *domain, const char *pol)
{
	x->n = 0;
	xadd(x, "<?xml version=\"1.0\"?><feedback><report_metadata>"
	     "<org_name>%s</org_name><email>d@%s</email><report_id>%s"
	     "</report_id><date_range><begin>%lld</begin><end>%lld</end>"
	     "</date_range></report_metadata><policy_published><domain>%s"
	     "</domain><adkim>r</adkim><aspf>r</aspf>%s</policy_published>",
	     org, org, rid, begin, begin + DAY - 1, domain, pol);
}

/* dkim_auth / spf_auth: "domain:result" or NULL. */
static void
rec(struct xb *x, const char *ip, unsigned n, const char *dk,
    const char *sp, const char *dkim_auth, const char *spf_auth,
    const char *from)
{
	char d[128], r[32];
	const char *c;

	xadd(x, "<record><row><source_ip>%s</source_ip><count>%u</count>"
	     "<policy_evaluated><disposition>none</disposition><dkim>%s"
	     "</dkim><spf>%s</spf></policy_evaluated></row><identifiers>"
	     "<header_from>%s</header_from></identifiers><auth_results>",
	     ip, n, dk, sp, from);
	if (dkim_auth != NULL) {
		c = strchr(dkim_auth, ':');
		snprintf(d, sizeof(d), "%.*s", (int)(c - dkim_auth),
			 dkim_auth);
		snprintf(r, sizeof(r), "%s", c + 1);
		xadd(x, "<dkim><domain>%s</domain><selector>s1</selector>"
		     "<result>%s</result></dkim>", d, r);
	}
	if (spf_auth != NULL) {
		c = strchr(spf_auth, ':');
		snprintf(d, sizeof(d), "%.*s", (int)(c - spf_auth), spf_auth);
		snprintf(r, sizeof(r), "%s", c + 1);
		xadd(x, "<spf><domain>%s</domain><result>%s</result></spf>",
		     d, r);
	}
	xadd(x, "</auth_results></record>");
}

struct ing {
	struct sk_store_totals t;
	unsigned bad;
	char lasterr[256];
};

static void
ing_done(void *arg, const char *name, sk_status st, const struct sk_err *e,
	 const struct sk_findings *w)
{
	struct ing *g = arg;

	(void)w;
	if (st != SK_OK && st != SK_EEXIST) {
		g->bad++;
		snprintf(g->lasterr, sizeof(g->lasterr), "%.100s: %.140s", name,
			 e ? e->msg : "?");
	}
}

/* Store one document; returns the totals of that call. */
static struct sk_store_totals
ingest(struct sk_store *s, const char *name, const void *p, size_t len)
{
	struct sk_report_reader rd;
	struct ing g;
	struct sk_err err;

	memset(&g, 0, sizeof(g));
	sk_store_reader(s, &rd, &g.t, ing_done, &g);
	sk_err_clear(&err);
	ok(sk_report_read_mem(name, p, len, &rd, &err) == SK_OK &&
	   g.bad == 0, "ingest %s %s", name, g.lasterr);
	return g.t;
}

static void
xml_end(struct sk_store *s, struct xb *x, const char *name)
{
	xadd(x, "</feedback>\n");
	(void)ingest(s, name, x->buf, x->n);
}

/*
 * example.com: 360 messages, 300 pass DMARC, 50 SPF aligned, 300 DKIM
 * aligned; the 60 failing: SPF not aligned 20 (192.28.144.11: mktomail.com
 * SPF passed), SPF failing 40 (203.0.113.9); DKIM missing 30 (203.0.113.9
 * unsigned), not aligned 20 (192.28.144.11 signed by mktomail.com),
 * failing 10 (203.0.113.9 on day 2).  example.org: 1000 more.
 */
static void
base(struct sk_store *s)
{
	struct xb x;

	head(&x, "google.com", "g1", DAY1, EX, "<p>none</p>");
	rec(&x, "192.28.144.10", 100, "pass", "fail", EX ":pass",
	    MK ":pass", EX);
	rec(&x, "192.28.144.11", 20, "fail", "fail", MK ":pass", MK ":pass",
	    EX);
	rec(&x, "198.51.100.7", 50, "pass", "pass", EX ":pass", EX ":pass",
	    EX);
	rec(&x, "203.0.113.9", 30, "fail", "fail", NULL, EX ":fail", EX);
	xml_end(s, &x, "r1.xml");
	head(&x, "yahoo.com", "y1", DAY1 + DAY, EX, "<p>none</p>");
	rec(&x, "198.51.100.7", 150, "pass", "fail", EX ":pass",
	    EX ":softfail", EX);
	rec(&x, "203.0.113.9", 10, "fail", "fail", EX ":fail", EX ":none",
	    EX);
	xml_end(s, &x, "r2.xml");
	head(&x, "google.com", "g2", DAY1, "example.org", "<p>reject</p>");
	rec(&x, "198.51.100.7", 1000, "pass", "pass", "example.org:pass",
	    NULL, "example.org");
	xml_end(s, &x, "r3.xml");
}

static struct sk_store *
fresh(void)
{
	struct sk_store *s = NULL;
	struct sk_err err;
	char p[300];

	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	sk_err_clear(&err);
	if (sk_store_open(dbpath, &s, &err) != SK_OK) {
		ok(0, "open store: %s", err.msg);
		exit(tap_done());
	}
	return s;
}

static const struct sk_report_source *
src(const struct sk_report_summary *sum, const char *ip)
{
	size_t i;

	for (i = 0; i < sum->nsources; i++)
		if (strcmp(sum->sources[i].ip, ip) == 0)
			return &sum->sources[i];
	return NULL;
}

static void
tally_is(const struct sk_report_tally *t, uint64_t rec, uint64_t msg,
	 uint64_t pass, uint64_t spf, uint64_t dkim, const uint64_t fail[5],
	 const char *what)
{
	is_int(t->records, rec, "%s: records", what);
	is_int(t->messages, msg, "%s: messages", what);
	is_int(t->dmarc_pass, pass, "%s: DMARC pass", what);
	is_int(t->spf_aligned, spf, "%s: SPF aligned", what);
	is_int(t->dkim_aligned, dkim, "%s: DKIM aligned", what);
	is_int(t->fail_spf_unaligned, fail[0], "%s: SPF not aligned", what);
	is_int(t->fail_spf_failing, fail[1], "%s: SPF failing", what);
	is_int(t->fail_dkim_missing, fail[2], "%s: DKIM missing", what);
	is_int(t->fail_dkim_unaligned, fail[3], "%s: DKIM not aligned",
	       what);
	is_int(t->fail_dkim_failing, fail[4], "%s: DKIM failing", what);
}

/* ----- summary and export ----------------------------------------- */

static void
test_summary(void)
{
	static const uint64_t f_all[5] = {20, 40, 30, 20, 10};
	static const uint64_t f_d1[5] = {20, 30, 30, 20, 0};
	static const uint64_t f_d2[5] = {0, 10, 0, 0, 10};
	static const uint64_t f_none[5] = {0, 0, 0, 0, 0};
	static const uint64_t f_mk11[5] = {20, 0, 0, 20, 0};
	static const uint64_t f_spoof[5] = {0, 40, 30, 0, 10};
	static const char *const order[] = {
		"198.51.100.7", "192.28.144.10", "203.0.113.9",
		"192.28.144.11",
	};
	struct sk_report_filter f = {EX, 0, 0};
	struct sk_report_summary *sum = NULL;
	const struct sk_report_source *x;
	struct sk_store *s = fresh();
	struct sk_err err;
	size_t i;

	base(s);
	sk_err_clear(&err);
	ok(sk_store_summary(s, &f, NULL, &sum, &err) == SK_OK, "summary");
	if (sum == NULL)
		goto out;
	is_int(sum->reports, 2, "two example.com reports");
	is_int(sum->first, DAY1, "first: r1 begin");
	is_int(sum->last, DAY1 + 2 * DAY - 1, "last: r2 end");
	tally_is(&sum->total, 6, 360, 300, 50, 300, f_all, "total");
	is_int(sum->ndays, 2, "two days");
	if (sum->ndays == 2) {
		is_int(sum->days[0].day, DAY1, "day 1");
		tally_is(&sum->days[0].t, 4, 200, 150, 50, 150, f_d1, "day 1");
		is_int(sum->days[1].day, DAY1 + DAY, "day 2");
		tally_is(&sum->days[1].t, 2, 160, 150, 0, 150, f_d2, "day 2");
	}
	is_int(sum->nsources, 4, "four sources");
	for (i = 0; i < 4 && i < sum->nsources; i++)
		is_str(sum->sources[i].ip, order[i], "source %zu by volume", i);
	x = src(sum, "198.51.100.7");
	ok(x != NULL, "198.51.100.7 listed");
	if (x != NULL) {
		tally_is(&x->t, 2, 200, 200, 50, 200, f_none, "198.51.100.7");
		is_str(x->orgs, "google.com,yahoo.com", "both reporters");
		ok(x->claim == NULL && x->ptr == NULL, "no claim, no name");
	}
	x = src(sum, "192.28.144.11");
	if (x != NULL)
		tally_is(&x->t, 1, 20, 0, 0, 0, f_mk11, "192.28.144.11");
	x = src(sum, "203.0.113.9");
	if (x != NULL)
		tally_is(&x->t, 2, 40, 0, 0, 0, f_spoof, "203.0.113.9");
	ok(sum->has_policy, "a policy");
	is_str(sum->policy.org_name, "yahoo.com", "latest policy: y1");
	is_str(sum->policy.p, "none", "latest p");
	is_int(sum->policy.pct, -1, "no pct");
	sk_report_summary_free(sum);
	sum = NULL;

	/* Case-insensitive domain; since/until on the report begin. */
	f.domain = "EXAMPLE.COM";
	f.since = DAY1 + DAY;
	ok(sk_store_summary(s, &f, NULL, &sum, &err) == SK_OK, "since");
	if (sum != NULL) {
		is_int(sum->reports, 1, "since day 2: one report");
		is_int(sum->total.messages, 160, "since day 2: 160");
	}
	sk_report_summary_free(sum);
	sum = NULL;
	f.since = 0;
	f.until = DAY1 + DAY;
	ok(sk_store_summary(s, &f, NULL, &sum, &err) == SK_OK, "until");
	if (sum != NULL)
		is_int(sum->total.messages, 200, "until day 2: 200");
	sk_report_summary_free(sum);
	sum = NULL;

	/* All domains, with the profile: claims. */
	ok(sk_store_summary(s, NULL, marketo, &sum, &err) == SK_OK, "all");
	if (sum != NULL) {
		is_int(sum->reports, 3, "all: three reports");
		is_int(sum->total.messages, 1360, "all: 1360 messages");
		is_str(sum->sources[0].ip, "198.51.100.7", "largest: 1200");
		is_int(sum->sources[0].t.messages, 1200, "198.51.100.7: 1200");
		x = src(sum, "192.28.144.11");
		is_str(x ? x->claim : NULL,
		       "marketo sending_cidrs 192.28.144.0/20", "claimed");
		x = src(sum, "203.0.113.9");
		ok(x != NULL && x->claim == NULL, "203.0.113.9 unclaimed");
		is_str(sum->policy.p, "none", "latest end: r2 (none)");
	}
	sk_report_summary_free(sum);
	sum = NULL;

	/* Nothing. */
	f.domain = "nothing.example";
	f.until = 0;
	ok(sk_store_summary(s, &f, NULL, &sum, &err) == SK_OK, "empty");
	if (sum != NULL) {
		ok(sum->reports == 0 && sum->total.messages == 0 &&
		   sum->ndays == 0 && sum->nsources == 0 && !sum->has_policy &&
		   sum->first == 0 && sum->last == 0, "empty summary");
	}
out:
	sk_report_summary_free(sum);
	sk_store_close(s);
}

struct rows {
	unsigned n;
	uint64_t sum;
	char first[128], spoof_dkim[64], spoof_spf[64], mk_dkim[64];
	unsigned stop_at;
};

static sk_status
row_cb(void *arg, const struct sk_report_row *r)
{
	struct rows *w = arg;

	if (w->n == 0)
		snprintf(w->first, sizeof(w->first), "%s %s %s %lld %s",
			 r->org, r->report_id, r->policy_domain,
			 (long long)r->begin, r->source_ip);
	w->n++;
	w->sum += r->count;
	if (strcmp(r->source_ip, "203.0.113.9") == 0 && r->count == 30) {
		snprintf(w->spoof_dkim, sizeof(w->spoof_dkim), "%s",
			 r->dkim_results ? r->dkim_results : "(null)");
		snprintf(w->spoof_spf, sizeof(w->spoof_spf), "%s",
			 r->spf_results ? r->spf_results : "(null)");
	}
	if (strcmp(r->source_ip, "192.28.144.10") == 0)
		snprintf(w->mk_dkim, sizeof(w->mk_dkim), "%s %s %s",
			 r->dkim_results, r->dkim, r->spf);
	return w->stop_at != 0 && w->n == w->stop_at ? SK_ECANCELED : SK_OK;
}

static void
test_export(void)
{
	struct sk_report_filter f = {EX, 0, 0};
	struct sk_store *s = fresh();
	struct sk_err err;
	struct rows w;

	base(s);
	memset(&w, 0, sizeof(w));
	sk_err_clear(&err);
	ok(sk_store_export(s, NULL, row_cb, &w, &err) == SK_OK, "export");
	is_int(w.n, 7, "seven records");
	is_int(w.sum, 1360, "their counts");
	/* begin, then org: g1 and g2 begin on day 1, g1 sorts first */
	is_str(w.first, "google.com g1 example.com 1735689600 192.28.144.10",
	       "first row");
	is_str(w.spoof_dkim, "(null)", "no DKIM result: NULL");
	is_str(w.spoof_spf, "example.com:fail", "SPF results");
	is_str(w.mk_dkim, "example.com:pass pass fail", "row fields");
	memset(&w, 0, sizeof(w));
	ok(sk_store_export(s, &f, row_cb, &w, &err) == SK_OK, "filtered");
	is_int(w.n, 6, "example.com: six records");
	is_int(w.sum, 360, "example.com: 360");
	memset(&w, 0, sizeof(w));
	w.stop_at = 2;
	is_int(sk_store_export(s, NULL, row_cb, &w, &err), SK_ECANCELED,
	       "a callback stops the walk");
	is_int(w.n, 2, "after two rows");
	sk_store_close(s);
}

/* ----- rollout ----------------------------------------------------- */

static struct sk_report_rollout *
rollout(struct sk_store *s, const char *dom, unsigned window,
	double min_pass, const struct sk_profile *p)
{
	static const char *const rua[] = {"dmarc@example.com"};
	struct sk_rollout_params pa;
	struct sk_report_rollout *r = NULL;
	struct sk_err err;

	memset(&pa, 0, sizeof(pa));
	pa.window_days = window;
	pa.min_pass = min_pass;
	pa.profile = p;
	pa.rua = rua;
	pa.nrua = 1;
	sk_err_clear(&err);
	ok(sk_store_rollout(s, dom, &pa, &r, &err) == SK_OK && r != NULL,
	   "rollout %s: %s", dom, err.msg);
	return r;
}

static enum sk_rollout_kind
kind(const struct sk_report_rollout *r, const char *ip)
{
	size_t i;

	for (i = 0; i < r->evidence->nsources; i++)
		if (strcmp(r->evidence->sources[i].ip, ip) == 0)
			return r->kinds[i];
	return (enum sk_rollout_kind)-1;
}

static void
test_rollout(void)
{
	struct sk_store *s = fresh();
	struct sk_report_rollout *r;
	struct sk_err err;
	struct xb x;

	is_str(sk_rollout_stage_str(SK_ROLLOUT_QUARANTINE_TEST),
	       "quarantine (t=y)", "stage names");
	sk_err_clear(&err);
	r = (struct sk_report_rollout *)&err;
	is_int(sk_store_rollout(s, NULL, NULL, &r, &err), SK_EINVAL,
	       "no domain");
	ok(r == NULL, "no advice on error");

	/* No report: publish p=none first. */
	r = rollout(s, "nothing.example", 0, 0, NULL);
	if (r != NULL) {
		ok(r->current == SK_ROLLOUT_UNKNOWN &&
		   r->next == SK_ROLLOUT_NONE && r->advance, "unknown -> none");
		is_str(r->record,
		       "v=DMARC1; p=none; rua=mailto:dmarc@example.com",
		       "p=none record");
	}
	sk_report_rollout_free(r);

	base(s);
	/* With the profile: 192.28.144.11 (claimed) fails 20 of 20. */
	r = rollout(s, EX, 0, 0, marketo);
	if (r != NULL) {
		ok(r->current == SK_ROLLOUT_NONE && r->next == SK_ROLLOUT_NONE
		   && !r->advance && r->claimed_failing, "held at none");
		ok(strstr(r->why, "192.28.144.11 (marketo sending_cidrs "
			  "192.28.144.0/20) is claimed by the provider "
			  "profile and 20 of its 20 messages fail DMARC "
			  "alignment (SPF not aligned, DKIM not aligned)") !=
		   NULL, "why: %.300s", r->why);
		is_str(r->record,
		       "v=DMARC1; p=none; rua=mailto:dmarc@example.com",
		       "holding: the current record");
		is_int(kind(r, "192.28.144.10"), SK_ROLLOUT_CLAIMED, "claimed");
		is_int(kind(r, "198.51.100.7"), SK_ROLLOUT_LEGITIMATE,
		       "legitimate");
		is_int(kind(r, "203.0.113.9"), SK_ROLLOUT_UNKNOWN_SOURCE,
		       "unknown");
		is_int(r->nunknown, 1, "one unknown source");
		is_int(r->unknown_messages, 40, "its 40 messages");
		/* window: 14 days before r2's end */
		is_int(r->until, DAY1 + 2 * DAY - 1, "window end");
		is_int(r->since, DAY1 + 2 * DAY - 1 - 14 * DAY, "window start");
		is_int(r->evidence->total.messages, 360, "evidence: 360");
		ok(r->pct_note != NULL && strstr(r->pct_note, "pct") != NULL,
		   "pct note");
	}
	sk_report_rollout_free(r);

	/* Without it 192.28.144.11 never passed: unknown; the legitimate
	 * sources are at 100%: advance to quarantine t=y. */
	r = rollout(s, EX, 0, 0, NULL);
	if (r != NULL) {
		ok(r->advance && !r->claimed_failing &&
		   r->next == SK_ROLLOUT_QUARANTINE_TEST, "none -> t=y");
		is_str(r->record, "v=DMARC1; p=quarantine; t=y; "
		       "rua=mailto:dmarc@example.com", "t=y record");
		is_int(r->nunknown, 2, "two unknown sources");
		is_int(r->unknown_messages, 60, "60 unknown messages");
	}
	sk_report_rollout_free(r);

	/* Day 3 at quarantine t=y, all clean: next quarantine.  A window
	 * of 1 day holds r4 only (r2 begins 2 days before r4 ends). */
	head(&x, "google.com", "g3", DAY1 + 2 * DAY, EX,
	     "<p>quarantine</p><testing>y</testing>");
	rec(&x, "198.51.100.7", 100, "pass", "pass", EX ":pass", EX ":pass",
	    EX);
	xml_end(s, &x, "r4.xml");
	r = rollout(s, EX, 1, 0, NULL);
	if (r != NULL) {
		ok(r->current == SK_ROLLOUT_QUARANTINE_TEST && r->advance &&
		   r->next == SK_ROLLOUT_QUARANTINE, "t=y -> quarantine");
		is_int(r->evidence->total.messages, 100, "window of 1 day");
		is_str(r->record, "v=DMARC1; p=quarantine; "
		       "rua=mailto:dmarc@example.com", "quarantine record");
	}
	sk_report_rollout_free(r);

	/* Day 4 at quarantine, strict DKIM: 90 of 100 pass. */
	head(&x, "google.com", "g4", DAY1 + 3 * DAY, EX,
	     "<p>quarantine</p><adkim>s</adkim>");
	rec(&x, "198.51.100.7", 90, "pass", "pass", EX ":pass", EX ":pass",
	    EX);
	rec(&x, "198.51.100.7", 10, "fail", "fail", EX ":fail", EX ":fail",
	    EX);
	xml_end(s, &x, "r5.xml");
	r = rollout(s, EX, 1, 0, NULL);
	if (r != NULL) {
		ok(r->current == SK_ROLLOUT_QUARANTINE && !r->advance,
		   "held at quarantine below 98%%");
		ok(strstr(r->why, "legitimate source 198.51.100.7 passes "
			  "DMARC for 90.0% of 100 messages, below 98.0% "
			  "(SPF failing, DKIM failing)") != NULL, "why: %.300s",
		   r->why);
	}
	sk_report_rollout_free(r);
	r = rollout(s, EX, 1, 0.9, NULL);
	if (r != NULL) {
		ok(r->advance && r->next == SK_ROLLOUT_REJECT,
		   "min_pass 90%%: reject");
		/* adkim=s published is kept */
		is_str(r->record, "v=DMARC1; p=reject; adkim=s; "
		       "rua=mailto:dmarc@example.com", "reject record");
	}
	sk_report_rollout_free(r);

	/* p=quarantine; pct=50 is the testing stage (RFC 7489 ramp);
	 * p=reject is the last. */
	head(&x, "google.com", "g5", DAY1 + 4 * DAY, EX,
	     "<p>quarantine</p><pct>50</pct>");
	rec(&x, "198.51.100.7", 10, "pass", "pass", EX ":pass", EX ":pass",
	    EX);
	xml_end(s, &x, "r6.xml");
	r = rollout(s, EX, 1, 0, NULL);
	ok(r != NULL && r->current == SK_ROLLOUT_QUARANTINE_TEST,
	   "pct=50: testing stage");
	sk_report_rollout_free(r);
	head(&x, "google.com", "g6", DAY1 + 5 * DAY, EX, "<p>reject</p>");
	rec(&x, "198.51.100.7", 10, "pass", "pass", EX ":pass", EX ":pass",
	    EX);
	xml_end(s, &x, "r7.xml");
	r = rollout(s, EX, 1, 0, NULL);
	if (r != NULL) {
		ok(r->current == SK_ROLLOUT_REJECT && !r->advance &&
		   r->next == SK_ROLLOUT_REJECT, "reject stays");
		is_str(r->record, "v=DMARC1; p=reject; "
		       "rua=mailto:dmarc@example.com", "reject kept");
	}
	sk_report_rollout_free(r);
	sk_store_close(s);
}

/* ----- failure reports ---------------------------------------------- */

static const char arf[] =
	"From: dmarc@receiver.example\n"
	"To: ruf@example.com\n"
	"Subject: DMARC failure report\n"
	"MIME-Version: 1.0\n"
	"Content-Type: multipart/report; report-type=feedback-report;\n"
	"  boundary=\"b1\"\n"
	"\n"
	"--b1\n"
	"Content-Type: text/plain\n"
	"\n"
	"A message failed DMARC.\n"
	"--b1\n"
	"Content-Type: message/feedback-report\n"
	"\n"
	"Feedback-Type: auth-failure\n"
	"Version: 1\n"
	"Auth-Failure: dmarc\n"
	"Reported-Domain: example.com\n"
	"Source-IP: 203.0.113.9\n"
	"Arrival-Date: %s\n"
	"Original-Mail-From: <alice@example.com>\n"
	"\n"
	"--b1\n"
	"Content-Type: text/rfc822-headers\n"
	"\n"
	"From: Alice <alice@example.com>\n"
	"Subject: hello\n"
	"Message-ID: <1@example.com>\n"
	"\n"
	"--b1--\n";

/* The ARF message with `date`, with CRLF line endings when `crlf`. */
static size_t
arf_msg(char *out, size_t size, const char *date, bool crlf)
{
	char lf[4096];
	size_t i, o = 0;
	int n = snprintf(lf, sizeof(lf), arf, date);

	for (i = 0; n > 0 && i < (size_t)n && o + 2 < size; i++) {
		if (lf[i] == '\n' && crlf)
			out[o++] = '\r';
		out[o++] = lf[i];
	}
	return o;
}

struct fl {
	unsigned n;
	int64_t arrival[4];
};

static sk_status
fl_cb(void *arg, const struct sk_failure_report *f)
{
	struct fl *w = arg;

	if (w->n < 4)
		w->arrival[w->n] = f->arrival;
	w->n++;
	return SK_OK;
}

static void
test_failures(void)
{
	struct sk_store *s = fresh();
	struct sk_store_totals t;
	struct sk_report_filter f;
	struct sk_err err;
	struct fl w;
	char m[8192];
	size_t n;

	/* 2025-01-02 10:00:00 +0200 = 08:00:00Z */
	n = arf_msg(m, sizeof(m), "Thu, 2 Jan 2025 10:00:00 +0200", false);
	t = ingest(s, "lf.eml", m, n);
	is_int(t.failure_reports, 1, "LF: stored");
	n = arf_msg(m, sizeof(m), "Thu, 2 Jan 2025 10:00:00 +0200", true);
	t = ingest(s, "crlf.eml", m, n);
	is_int(t.failure_reports, 0, "CRLF copy: not stored again");
	is_int(t.duplicates, 1, "CRLF copy: a duplicate");
	/* Another report (other date), and one whose date does not parse. */
	n = arf_msg(m, sizeof(m), "5 Jan 25 23:59 GMT", true);
	t = ingest(s, "b.eml", m, n);
	is_int(t.failure_reports, 1, "another date: stored");
	n = arf_msg(m, sizeof(m), "yesterday", false);
	t = ingest(s, "c.eml", m, n);
	is_int(t.failure_reports, 1, "undated: stored");

	memset(&w, 0, sizeof(w));
	sk_err_clear(&err);
	ok(sk_store_failures(s, NULL, fl_cb, &w, &err) == SK_OK, "all");
	is_int(w.n, 3, "three failure reports");
	is_int(w.arrival[0], DAY1 + DAY + 8 * 3600, "Arrival-Date parsed");
	is_int(w.arrival[1], DAY1 + 5 * DAY - 60, "obsolete forms parsed");
	is_int(w.arrival[2], 0, "undated: 0, last");
	memset(&f, 0, sizeof(f));
	f.since = DAY1 + 2 * DAY;
	memset(&w, 0, sizeof(w));
	ok(sk_store_failures(s, &f, fl_cb, &w, &err) == SK_OK, "since");
	ok(w.n == 1 && w.arrival[0] == DAY1 + 5 * DAY - 60,
	   "since day 3: the 5 Jan one only");
	f.since = 0;
	f.until = DAY1 + 2 * DAY;
	f.domain = "EXAMPLE.com";
	memset(&w, 0, sizeof(w));
	ok(sk_store_failures(s, &f, fl_cb, &w, &err) == SK_OK, "until");
	ok(w.n == 1 && w.arrival[0] == DAY1 + DAY + 8 * 3600,
	   "until day 2: the 2 Jan one only");
	f.until = 0;
	f.domain = "other.example";
	memset(&w, 0, sizeof(w));
	ok(sk_store_failures(s, &f, fl_cb, &w, &err) == SK_OK && w.n == 0,
	   "other domain: none");
	sk_store_close(s);
}

static void
test_dates(void)
{
	static const struct {
		const char *s;
		long long want; /* -1: refused */
	} t[] = {
		{"Mon, 01 Oct 2018 11:20:27 +0200", 1538385627},
		{"Tue, 30 Apr 2019 02:09:00 +0000", 1556590140},
		{"30 Apr 2019 02:09:00 -0000", 1556590140},
		{"30 apr 2019 02:09 +0000", 1556590140},
		{"Tue, 30 Apr 2019 02:09:00 GMT", 1556590140},
		{"Tue, 30 Apr 2019 02:09:00 UT (Coordinated)", 1556590140},
		{"Mon, 29 Apr 2019 21:09:00 EST", 1556590140},
		{"Mon, 29 Apr 2019 22:09:00 EDT", 1556590140},
		{"(c) Tue , 30 Apr 19 02 : 09 : 00 +0000", 1556590140},
		{"1 Jan 70 00:00:00 +0000", 0},
		{"29 Feb 2024 12:00:00 +0000", 1709208000},
		{"31 Dec 2024 23:59:60 +0000", 1735689600},
		{"Tue, 30 Apr 2019 02:09:00 Z", 1556590140},
		{"29 Feb 2023 12:00:00 +0000", -1},
		{"31 Apr 2019 02:09:00 +0000", -1},
		{"30 Apr 2019 24:00:00 +0000", -1},
		{"30 Apr 2019 02:60:00 +0000", -1},
		{"30 Apr 2019 02:09:00 +0260", -1},
		{"30 Apr 2019 02:09:00", -1},
		{"30 Apr 2019 02:09:00 +0000 junk", -1},
		{"Tuesday, 30 Apr 2019 02:09:00 +0000", -1},
		{"30 April 2019 02:09:00 +0000", -1},
		{"2019-04-30T02:09:00Z", -1},
		{"", -1},
		{"0 Jan 2019 00:00:00 +0000", -1},
		{"1 Jan 1969 00:00:00 +0000", -1},
	};
	int64_t v;
	size_t i;
	bool r;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		r = sk__report_date(t[i].s, strlen(t[i].s), &v);
		if (t[i].want < 0)
			ok(!r && v == 0, "date refused: \"%s\"", t[i].s);
		else
			ok(r && v == t[i].want, "date \"%s\" = %lld (got %lld)",
			   t[i].s, t[i].want, (long long)v);
	}
	/* Length-bounded: no reliance on the NUL. */
	ok(sk__report_date("1 Jan 2020 00:00:00 +0000XYZ", 25, &v) &&
	   v == 1577836800, "bounded by len");
}

/* ----- reverse names ------------------------------------------------ */

static struct sk_resolver *
script(bool fail_spoof)
{
	struct sk_resolver *r = NULL;
	struct sk_err err;

	sk_err_clear(&err);
	if (sk_resolver_new_script(&r, &err) != SK_OK)
		return NULL;
	if (sk_resolver_script_add(r, "10.144.28.192.in-addr.arpa",
				   SK_DNS_PTR, "mta10.mktomail.com.",
				   &err) != SK_OK ||
	    sk_resolver_script_add(r, "7.100.51.198.in-addr.arpa",
				   SK_DNS_PTR, "mx\\007.example.com.",
				   &err) != SK_OK ||
	    (fail_spoof && sk_resolver_script_fail(r,
		"9.113.0.203.in-addr.arpa", 0, "timeout", &err) != SK_OK)) {
		ok(0, "script: %s", err.msg);
		sk_resolver_free(r);
		return NULL;
	}
	return r;
}

static void
test_enrich(void)
{
	struct sk_report_summary *sum = NULL;
	struct sk_enrich_params p;
	struct sk_enrich_totals t;
	const struct sk_report_source *x;
	struct sk_store *s = fresh();
	struct sk_err err;

	base(s);
	memset(&p, 0, sizeof(p));
	p.now = DAY1 + 10 * DAY;
	sk_err_clear(&err);
	/* 192.28.144.10 named, 198.51.100.7 named (a control byte in it),
	 * 203.0.113.9 timeout, 192.28.144.11 NXDOMAIN. */
	ok(sk_store_enrich(s, script(true), &p, &t, &err) == SK_OK, "enrich");
	is_int(t.candidates, 4, "four IPs");
	is_int(t.asked, 4, "four questions");
	is_int(t.named, 2, "two names");
	is_int(t.none, 1, "one without");
	is_int(t.failed, 1, "one failure");
	is_int(t.unanswered, 0, "none cut");
	ok(sk_store_summary(s, NULL, NULL, &sum, &err) == SK_OK, "summary");
	if (sum != NULL) {
		x = src(sum, "192.28.144.10");
		is_str(x ? x->ptr : NULL, "mta10.mktomail.com", "PTR name");
		x = src(sum, "198.51.100.7");
		/* the resolver gives presentation form: escaped, printable */
		is_str(x ? x->ptr : NULL, "mx\\007.example.com",
		       "non-printable byte stays escaped");
		x = src(sum, "203.0.113.9");
		ok(x != NULL && x->ptr == NULL, "failure: no name");
	}
	sk_report_summary_free(sum);
	/* Within the failure lifetime nothing is asked again. */
	p.now += SK_ENRICH_FAIL_TTL - 1;
	ok(sk_store_enrich(s, script(false), &p, &t, &err) == SK_OK &&
	   t.candidates == 0 && t.asked == 0, "all cached");
	/* Past it, only the failure is; it now answers NXDOMAIN. */
	p.now += 2;
	ok(sk_store_enrich(s, script(false), &p, &t, &err) == SK_OK &&
	   t.candidates == 1 && t.asked == 1 && t.none == 1,
	   "failure asked again after %d s", SK_ENRICH_FAIL_TTL);
	/* Past the answer lifetime, all four. */
	p.now += SK_ENRICH_TTL;
	ok(sk_store_enrich(s, script(false), &p, &t, &err) == SK_OK &&
	   t.candidates == 4 && t.named == 2, "names asked again");
	/* max_ips bounds a run. */
	p.now += SK_ENRICH_TTL + 1;
	p.max_ips = 3;
	ok(sk_store_enrich(s, script(false), &p, &t, &err) == SK_OK &&
	   t.candidates == 3, "max_ips");
	sk_store_close(s);
}

static long long
sql_int(struct sk_store *s, const char *sql)
{
	sqlite3_stmt *st = NULL;
	long long v = -1;

	if (sqlite3_prepare_v2(sk__store_sqlite(s), sql, -1, &st, NULL) ==
	    SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	sqlite3_finalize(st);
	return v;
}

/*
 * Schema 2 -> 3: the index on records(source_ip) alone (inserts at random
 * places, the ingest's cost once the store is large) is replaced by one on
 * (report, source_ip), which the joins and the enrichment's DISTINCT use;
 * auth_results becomes a table clustered on (record, seq), its rows kept
 * in their order.
 */
static void
test_migrate(void)
{
	static const char idx[] = "SELECT count(*) FROM sqlite_master WHERE "
				  "type = 'index' AND name = ";
	char q[160];
	struct sk_store *s = NULL;
	struct sk_err err;

	unlink(dbpath);
	sk_err_clear(&err);
	if (sk_store_open(dbpath, &s, &err) != SK_OK) {
		ok(0, "open: %s", err.msg);
		return;
	}
	is_int(sql_int(s, "SELECT version FROM schema_version"),
	       SK_STORE_SCHEMA_VERSION, "new store: current schema");
	/* Make it a version 2 store, as written by the previous release. */
	ok(sqlite3_exec(sk__store_sqlite(s), "DROP INDEX records_report_ip;"
			"CREATE INDEX records_report ON records(report);"
			"CREATE INDEX records_source_ip ON records(source_ip);"
			"DROP TABLE auth_results;"
			"CREATE TABLE auth_results(record INTEGER NOT NULL "
			"REFERENCES records(id) ON DELETE CASCADE, method TEXT "
			"NOT NULL, domain TEXT, selector TEXT, scope TEXT, "
			"result TEXT);"
			"CREATE INDEX auth_results_record ON "
			"auth_results(record);"
			"INSERT INTO reports VALUES(1, 'o', 'r', 'x.example', "
			"'e', 1, 2, 'rfc7489', 'none', NULL, NULL, NULL, NULL,"
			" NULL, NULL, NULL, 's', 3);"
			"INSERT INTO records(id, report, source_ip, count) "
			"VALUES(1, 1, '192.0.2.1', 5);"
			"INSERT INTO auth_results VALUES(1, 'spf', 'b', NULL, "
			"'mfrom', 'fail'), (1, 'dkim', 'a', 's', NULL, "
			"'pass');"
			"UPDATE schema_version SET version = 2", NULL, NULL,
			NULL) == SQLITE_OK, "store made version 2");
	sk_store_close(s);
	s = NULL;
	ok(sk_store_open(dbpath, &s, &err) == SK_OK, "version 2 reopened: %s",
	   err.msg);
	if (s == NULL)
		return;
	is_int(sql_int(s, "SELECT version FROM schema_version"), 3,
	       "migrated to 3");
	snprintf(q, sizeof(q), "%s'records_source_ip'", idx);
	is_int(sql_int(s, q), 0, "no index on source_ip alone");
	snprintf(q, sizeof(q), "%s'records_report'", idx);
	is_int(sql_int(s, q), 0, "records_report replaced");
	snprintf(q, sizeof(q), "%s'records_report_ip'", idx);
	is_int(sql_int(s, q), 1, "index on (report, source_ip)");
	snprintf(q, sizeof(q), "%s'auth_results_record'", idx);
	is_int(sql_int(s, q), 0, "auth_results: no separate index");
	is_int(sql_int(s, "SELECT count(*) FROM sqlite_master WHERE name = "
		       "'auth_results' AND sql LIKE '%WITHOUT ROWID'"), 1,
	       "auth_results clustered on (record, seq)");
	is_int(sql_int(s, "SELECT count(*) FROM records"), 1,
	       "record kept");
	is_int(sql_int(s, "SELECT (SELECT group_concat(method || ':' || "
		       "domain, ' ') FROM auth_results WHERE record = 1) = "
		       "'spf:b dkim:a'"), 1, "auth results kept, in order");
	sk_store_close(s);
	unlink(dbpath);
}

/*
 * Records are inserted by a writer thread.  A record it cannot insert (a
 * trigger refuses one here, in the middle of a report of 300, more than
 * the writer's queue holds) fails that report whole: nothing of it is
 * committed and it is counted as a failure with the reason; the next
 * report is stored as usual.  Totals and rows match the reports.
 */
static void
test_writer(void)
{
	const size_t size = 128 * 1024;
	struct sk_report_reader rd;
	struct sk_store *s = NULL;
	struct sk_err err;
	struct ing g;
	struct xb x;
	char *big;
	size_t n;
	unsigned i, j;

	unlink(dbpath);
	sk_err_clear(&err);
	big = malloc(size);
	if (big == NULL || sk_store_open(dbpath, &s, &err) != SK_OK) {
		ok(0, "open: %s", err.msg);
		free(big);
		return;
	}
	ok(sqlite3_exec(sk__store_sqlite(s), "CREATE TRIGGER refuse BEFORE "
			"INSERT ON records WHEN NEW.source_ip = '192.0.2.200'"
			" BEGIN SELECT RAISE(ABORT, 'refused by trigger');"
			" END", NULL, NULL, NULL) == SQLITE_OK, "trigger");
	for (i = 0; i < 2; i++) {
		head(&x, "o.example", i == 0 ? "bad" : "good", DAY1, EX,
		     "<p>none</p>");
		memcpy(big, x.buf, x.n);
		n = x.n;
		/* 192.0.2.200 is the 200th record of the first report. */
		for (j = 0; j < 300 && n < size - 512; j++)
			n += (size_t)snprintf(big + n, size - n, "<record><row>"
			     "<source_ip>192.0.%u.%u</source_ip><count>1"
			     "</count></row><auth_results><dkim><domain>"
			     EX "</domain><result>pass</result></dkim><spf>"
			     "<domain>" EX "</domain><result>pass</result>"
			     "</spf></auth_results></record>", 2 + i * 10,
			     j < 255 ? j + 1 : j - 200);
		n += (size_t)snprintf(big + n, size - n, "</feedback>\n");
		memset(&g, 0, sizeof(g));
		sk_store_reader(s, &rd, &g.t, ing_done, &g);
		is_int(sk_report_read_mem(i == 0 ? "bad.xml" : "good.xml",
					  big, n, &rd, &err), SK_OK,
		       "read %u", i);
		if (i == 0)
			ok(g.bad == 1 && g.t.failures == 1 &&
			   g.t.reports == 0 && g.t.records == 0 &&
			   strstr(g.lasterr, "refused by trigger") != NULL,
			   "refused record fails its report: %s", g.lasterr);
		else
			ok(g.bad == 0 && g.t.reports == 1 &&
			   g.t.records == 300 && g.t.messages == 300,
			   "next report stored: %u bad, %llu records",
			   g.bad, (unsigned long long)g.t.records);
	}
	is_int(sql_int(s, "SELECT count(*) FROM reports"), 1,
	       "one report row (the failed one rolled back)");
	is_int(sql_int(s, "SELECT count(*) FROM records"), 300,
	       "records of the stored report only");
	is_int(sql_int(s, "SELECT count(*) FROM auth_results"), 600,
	       "two results per record");
	is_int(sql_int(s, "SELECT count(*) FROM records WHERE report != "
		       "(SELECT id FROM reports WHERE report_id = 'good')"),
	       0, "no record left from the failed report");
	sk_store_close(s);
	free(big);
	unlink(dbpath);
}

int
main(int argc, char **argv)
{
	struct sk_err err;
	char path[1024];
	const char *tmp = getenv("TMPDIR");

	tap_plan_unknown();
	if (argc != 2) {
		fprintf(stderr, "usage: test_store SOURCE_ROOT\n");
		return 2;
	}
	snprintf(dbpath, sizeof(dbpath), "%s/test_store.%ld.db",
		 tmp != NULL && tmp[0] == '/' ? tmp : "/tmp", (long)getpid());
	snprintf(path, sizeof(path), "%s/data/profiles/marketo.ini", argv[1]);
	sk_err_clear(&err);
	ok(sk_profile_load(path, &marketo, &err) == SK_OK,
	   "load %.200s: %.200s", path, err.msg);
	test_dates();
	test_summary();
	test_export();
	test_rollout();
	test_failures();
	test_enrich();
	test_migrate();
	test_writer();
	sk_profile_free(marketo);
	unlink(dbpath);
	snprintf(path, sizeof(path), "%s-wal", dbpath);
	unlink(path);
	snprintf(path, sizeof(path), "%s-shm", dbpath);
	unlink(path);
	return tap_done();
}
