/*
 * tests/unit/test_dmarc.c - DMARC records (RFC 9989 sections 4.7, 4.8),
 * the builder, the tree walk and policy discovery (4.10, 4.10.1, 4.10.2),
 * RFC 7489 discovery through the PSL (6.6.3, 3.2), external destinations
 * (RFC 9990 section 4) and lint, over the scripted resolver.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <senderkit/senderkit.h>
#include "tap.h"

static struct sk_dmarc_psl *psl;

static struct sk_resolver *
script(void)
{
	struct sk_resolver *r = NULL;

	if (sk_resolver_new_script(&r, NULL) != SK_OK)
		return NULL;
	return r;
}

static void
txt(struct sk_resolver *r, const char *name, const char *text)
{
	const char *s[1] = {text};
	size_t l[1] = {strlen(text)};

	if (sk_resolver_script_add_txt(r, name, SK_DNS_TXT, s, l, 1, NULL) !=
	    SK_OK)
		printf("# cannot add TXT %s\n", name);
}

static void
addr(struct sk_resolver *r, const char *name)
{
	if (sk_resolver_script_add(r, name, SK_DNS_A, "192.0.2.1", NULL) !=
	    SK_OK)
		printf("# cannot add A %s\n", name);
}

static struct sk_dmarc_record *
parse(const char *s)
{
	struct sk_dmarc_record *rec = NULL;

	if (sk_dmarc_parse(s, strlen(s), &rec, NULL) != SK_OK)
		return NULL;
	return rec;
}

static bool
has(const struct sk_findings *f, const char *id)
{
	size_t i;

	for (i = 0; i < sk_findings_count(f); i++)
		if (strcmp(sk_findings_get(f, i)->id, id) == 0)
			return true;
	return false;
}

static size_t
offset_of(const struct sk_findings *f, const char *id)
{
	size_t i;

	for (i = 0; i < sk_findings_count(f); i++)
		if (strcmp(sk_findings_get(f, i)->id, id) == 0)
			return sk_findings_get(f, i)->offset;
	return SK_NO_OFFSET;
}

static void
test_selection(void)
{
	ok(sk_dmarc_is_record("v=DMARC1", 8), "v=DMARC1 alone");
	ok(sk_dmarc_is_record("v = DMARC1 ;p=none", 18), "spaces around =");
	ok(!sk_dmarc_is_record("v=dmarc1; p=none", 16),
	   "DMARC1 is case-sensitive (4.8)");
	ok(!sk_dmarc_is_record("p=none; v=DMARC1", 16), "v must be first");
	ok(!sk_dmarc_is_record("v=DMARC10; p=none", 17), "v=DMARC10");
	ok(!sk_dmarc_is_record(" v=DMARC1", 9), "leading space");
}

static void
test_parse(void)
{
	struct sk_dmarc_record *rec;
	struct sk_err err;

	rec = parse("v=DMARC1; p=reject");
	ok(rec != NULL, "minimal record parses");
	if (rec != NULL) {
		is_int(rec->p, SK_DMARC_POLICY_REJECT, "p=reject");
		is_int(rec->sp, SK_DMARC_POLICY_REJECT, "sp defaults to p");
		is_int(rec->np, SK_DMARC_POLICY_REJECT, "np defaults to sp");
		is_int(rec->adkim, SK_DMARC_ALIGN_RELAXED, "adkim default r");
		is_int(rec->aspf, SK_DMARC_ALIGN_RELAXED, "aspf default r");
		is_int(rec->psd, SK_DMARC_PSD_U, "psd default u");
		ok(!rec->t, "t default n");
		is_int(rec->fo, SK_DMARC_FO_0, "fo default 0");
		is_int(rec->pct, 100, "pct default 100");
		is_int(rec->ri, 86400, "ri default 86400");
		ok(sk_dmarc_record_explicit(rec, SK_DMARC_TAG_P), "p explicit");
		ok(!sk_dmarc_record_explicit(rec, SK_DMARC_TAG_SP),
		   "sp not explicit");
		ok(rec->usable && !rec->fallback_none, "usable");
		is_int(rec->nproblems, 0, "no problems");
	}
	sk_dmarc_record_free(rec);

	rec = parse("v=DMARC1;p=Quarantine; sp=none;np=REJECT;psd=n;t=y;"
		    "adkim=s;aspf=s;fo=1:d;pct=50;rf=afrf;ri=3600;"
		    "rua=mailto:a@example.com!10m, mailto:b@rep.example.net;"
		    "ruf=mailto:f@example.com;");
	ok(rec != NULL, "full record parses");
	if (rec != NULL) {
		is_int(rec->p, SK_DMARC_POLICY_QUARANTINE, "p (case)");
		is_int(rec->sp, SK_DMARC_POLICY_NONE, "sp");
		is_int(rec->np, SK_DMARC_POLICY_REJECT, "np");
		is_int(rec->psd, SK_DMARC_PSD_N, "psd=n");
		ok(rec->t, "t=y");
		is_int(rec->adkim, SK_DMARC_ALIGN_STRICT, "adkim=s");
		is_int(rec->fo, SK_DMARC_FO_1 | SK_DMARC_FO_D, "fo=1:d");
		is_int(rec->pct, 50, "pct=50");
		is_int(rec->ri, 3600, "ri");
		is_int(rec->nrua, 2, "two rua URIs");
		is_int(rec->nruf, 1, "one ruf URI");
		if (rec->nrua == 2) {
			ok(rec->rua[0].has_size, "size suffix seen");
			is_int(rec->rua[0].size, 10 * 1024 * 1024, "10m");
			is_str(rec->rua[0].uri, "mailto:a@example.com",
			       "URI without the suffix");
			is_str(rec->rua[1].host, "rep.example.net", "host");
			ok(rec->rua[1].mailto, "mailto");
		}
		is_int(rec->nproblems, 0, "no problems");
	}
	sk_dmarc_record_free(rec);

	sk_err_clear(&err);
	is_int(sk_dmarc_parse("p=none; v=DMARC1", 16, &rec, &err),
	       SK_ESYNTAX, "v not first: not a DMARC record");
	is_int(err.offset, 0, "offset 0");

	/* Invalid values: defaults, with offsets. */
	rec = parse("v=DMARC1; p=reject; sp=bogus; adkim=x");
	ok(rec != NULL, "invalid values do not fail the record (4.8)");
	if (rec != NULL) {
		is_int(rec->nproblems, 2, "two problems");
		if (rec->nproblems == 2) {
			is_int(rec->problems[0].offset, 23, "sp value offset");
			is_int(rec->problems[0].tag, SK_DMARC_TAG_SP, "sp");
			is_int(rec->problems[1].offset, 36, "adkim offset");
		}
		ok(!rec->usable, "invalid sp without rua: not usable "
		   "(4.10.1)");
		ok(!rec->usable_7489, "nor under RFC 7489");
	}
	sk_dmarc_record_free(rec);

	/* 4.10.1: p missing with a valid rua: p=none. */
	rec = parse("v=DMARC1; rua=mailto:d@example.com");
	ok(rec != NULL && rec->p_missing && rec->usable &&
	   rec->fallback_none && rec->p == SK_DMARC_POLICY_NONE,
	   "missing p with rua: treated as p=none");
	sk_dmarc_record_free(rec);
	rec = parse("v=DMARC1; adkim=s");
	ok(rec != NULL && rec->p_missing && !rec->usable && !rec->usable_7489,
	   "missing p without rua: not usable");
	sk_dmarc_record_free(rec);
	rec = parse("v=DMARC1; p=reject; np=bogus");
	ok(rec != NULL && !rec->usable && rec->usable_7489,
	   "invalid np: unusable under 9989, fine under 7489");
	sk_dmarc_record_free(rec);
	rec = parse("v=DMARC1; p=reject; sp=bogus; rua=mailto:x@example.com");
	if (rec != NULL) {
		enum sk_dmarc_policy pol = SK_DMARC_POLICY_REJECT;

		ok(sk_dmarc_record_policy(rec, SK_DMARC_RFC9989,
					  SK_DMARC_TAG_P, &pol) &&
		   pol == SK_DMARC_POLICY_NONE,
		   "invalid sp with rua: the whole record reads p=none");
	}
	sk_dmarc_record_free(rec);

	/* Unknown, duplicate, syntax. */
	rec = parse("v=DMARC1; p=none; foo=bar; p=reject; junk; =x");
	ok(rec != NULL, "junk parses leniently");
	if (rec != NULL) {
		is_int(rec->p, SK_DMARC_POLICY_NONE, "first p wins");
		is_int(rec->ntags, 4, "four tags kept");
		is_int(rec->nproblems, 3, "duplicate, two syntax problems");
		if (rec->nproblems == 3) {
			is_int(rec->problems[0].offset, 27, "duplicate p");
			is_int(rec->problems[1].offset, 41, "'junk'");
			is_int(rec->problems[2].offset, 43, "'=x'");
		}
	}
	sk_dmarc_record_free(rec);

	rec = parse("v=DMARC1; p=none; rua=https://r.example/x, ftp://a@b, "
		    "nope, mailto:nobody");
	ok(rec != NULL, "URI list parses");
	if (rec != NULL) {
		is_int(rec->nrua, 2, "two syntactically valid URIs kept");
		is_int(rec->nproblems, 2, "two bad URIs reported");
		if (rec->nrua == 2) {
			ok(!rec->rua[0].mailto, "https is not mailto");
			is_str(rec->rua[0].host, "r.example", "https host");
			is_str(rec->rua[1].host, "b", "authority host");
		}
	}
	sk_dmarc_record_free(rec);
	is_int(sk_dmarc_parse("v=DMARC1", 70000, &rec, NULL), SK_ETOOBIG,
	       "over the size limit");
}

static void
test_values(void)
{
	bool other;

	ok(sk_dmarc_tag_value_valid("fo", "0:1:d:s", 7, NULL),
	   "fo 0:1:d:s valid by RFC 7489 grammar");
	ok(!sk_dmarc_tag_value_valid("fo", "00", 2, NULL), "fo 00");
	ok(sk_dmarc_tag_value_valid("ri", "4294967295", 10, NULL), "ri max");
	ok(!sk_dmarc_tag_value_valid("ri", "4294967296", 10, NULL),
	   "ri over");
	ok(!sk_dmarc_tag_value_valid("pct", "1.0", 3, NULL), "pct 1.0");
	ok(!sk_dmarc_tag_value_valid("pct", "101", 3, NULL), "pct 101");
	ok(sk_dmarc_tag_value_valid("rua", "ftp://example.com/pub", 21,
				    &other) && other,
	   "ftp URI: valid syntax, unsupported scheme");
	ok(!sk_dmarc_tag_value_valid("rua", "mailto:a@b!x", 12, NULL),
	   "bad size suffix");
	ok(!sk_dmarc_tag_value_valid("psd", "yes", 3, NULL), "psd yes");
	ok(!sk_dmarc_tag_value_valid("t", "no", 2, NULL), "t no");
}

static void
test_build(void)
{
	struct sk_dmarc_build b;
	const char *rua[] = {"dmarc@example.com", "mailto:x@r.example.net!5m"};
	struct sk_dmarc_record *rec;
	struct sk_err err;
	char *out = NULL;

	memset(&b, 0, sizeof(b));
	b.p = "Reject";
	b.sp = "quarantine";
	b.t = "y";
	b.aspf = "s";
	b.rua = rua;
	b.nrua = 2;
	is_int(sk_dmarc_build(&b, &out, NULL), SK_OK, "build");
	is_str(out, "v=DMARC1; p=reject; sp=quarantine; t=y; aspf=s; "
	       "rua=mailto:dmarc@example.com,mailto:x@r.example.net!5m",
	       "built text");
	rec = out != NULL ? parse(out) : NULL;
	ok(rec != NULL && rec->p == SK_DMARC_POLICY_REJECT &&
	   rec->sp == SK_DMARC_POLICY_QUARANTINE && rec->t &&
	   rec->aspf == SK_DMARC_ALIGN_STRICT && rec->nrua == 2 &&
	   rec->nproblems == 0, "parses back to the same tags");
	sk_dmarc_record_free(rec);
	free(out);
	b.np = "bogus";
	sk_err_clear(&err);
	is_int(sk_dmarc_build(&b, &out, &err), SK_EINVAL, "bad np refused");
	ok(strncmp(err.msg, "np:", 3) == 0, "message names np: %s", err.msg);
	b.np = NULL;
	b.p = NULL;
	is_int(sk_dmarc_build(&b, &out, NULL), SK_EINVAL, "p required");
}

static void
test_psl(void)
{
	char *o = NULL;

	is_int(sk_dmarc_orgdomain_psl(psl, "a.b.example.co.uk", &o, NULL),
	       SK_OK, "psl org");
	is_str(o, "example.co.uk", "co.uk is a public suffix");
	free(o);
	is_int(sk_dmarc_orgdomain_psl(psl, "co.uk", &o, NULL), SK_ENOENT,
	       "a public suffix has none");
	is_int(sk_dmarc_orgdomain_psl(psl, ".com", &o, NULL), SK_EINVAL,
	       "leading dot");
}

static struct sk_dmarc_discovery *
disc(struct sk_resolver *r, const char *d, enum sk_dmarc_method m)
{
	struct sk_dmarc_opts o;
	struct sk_dmarc_discovery *out = NULL;
	struct sk_err err;

	memset(&o, 0, sizeof(o));
	o.method = m;
	o.psl = psl;
	sk_err_clear(&err);
	if (sk_dmarc_discover(r, d, &o, &out, &err) != SK_OK)
		printf("# discover %s: %s\n", d, err.msg);
	return out;
}

static struct sk_dmarc_discovery *
org(struct sk_resolver *r, const char *d, enum sk_dmarc_method m)
{
	struct sk_dmarc_opts o;
	struct sk_dmarc_discovery *out = NULL;

	memset(&o, 0, sizeof(o));
	o.method = m;
	o.psl = psl;
	if (sk_dmarc_orgdomain(r, d, &o, &out, NULL) != SK_OK)
		return NULL;
	return out;
}

static void
test_treewalk(void)
{
	struct sk_resolver *r = script();
	struct sk_dmarc_discovery *d;

	if (r == NULL) {
		ok(0, "script resolver");
		return;
	}
	txt(r, "_dmarc.example.com", "v=DMARC1; p=reject; sp=quarantine; "
	    "np=reject; rua=mailto:d@example.com");
	txt(r, "_dmarc.mail.example.com", "v=DMARC1; p=none");
	addr(r, "a.mail.example.com");
	addr(r, "x.example.com");
	txt(r, "_dmarc.tld", "v=DMARC1; p=quarantine; psd=y");
	addr(r, "b.org.tld");
	txt(r, "_dmarc.anchor.example.com", "v=DMARC1; p=none; psd=n");
	txt(r, "_dmarc.two.example.com", "v=DMARC1; p=none");
	txt(r, "_dmarc.two.example.com", "v=DMARC1; p=reject");
	addr(r, "two.example.com");

	/* 4.10.2 example: records at mail.example.com and example.com:
	 * the org domain is example.com. */
	d = org(r, "a.mail.example.com", SK_DMARC_TREEWALK);
	ok(d != NULL, "org walk");
	if (d != NULL) {
		is_str(d->org_domain, "example.com", "fewest labels wins");
		is_int(d->nqueries, 4, "walked up to com");
		is_str(d->queries[3].domain, "com", "last query com");
	}
	sk_dmarc_discovery_free(d);

	d = org(r, "x.y.anchor.example.com", SK_DMARC_TREEWALK);
	is_str(d ? d->org_domain : NULL, "anchor.example.com",
	       "psd=n stops and is the org domain");
	is_int(d ? d->nqueries : 0, 3, "stopped at psd=n");
	sk_dmarc_discovery_free(d);

	d = org(r, "a.b.org.tld", SK_DMARC_TREEWALK);
	is_str(d ? d->org_domain : NULL, "org.tld",
	       "psd=y: one label below");
	sk_dmarc_discovery_free(d);

	d = org(r, "nothing.invalid", SK_DMARC_TREEWALK);
	is_str(d ? d->org_domain : NULL, "nothing.invalid",
	       "no records: the name itself");
	sk_dmarc_discovery_free(d);

	/* 8-query limit: 12 labels -> the first, then 7, 6, ... 1. */
	d = org(r, "a.b.c.d.e.f.g.h.i.j.mail.example.com", SK_DMARC_TREEWALK);
	if (d != NULL) {
		is_int(d->nqueries, 8, "at most 8 queries");
		is_str(d->queries[1].domain, "g.h.i.j.mail.example.com",
		       "jump to 7 labels (4.10 example)");
		is_str(d->org_domain, "example.com", "deep org domain");
	}
	sk_dmarc_discovery_free(d);

	/* Discovery. */
	d = disc(r, "mail.example.com", SK_DMARC_TREEWALK);
	ok(d && d->status == SK_DMARC_DISC_FOUND && !d->inherited &&
	   strcmp(d->policy_domain, "mail.example.com") == 0 &&
	   d->policy_tag == SK_DMARC_TAG_P &&
	   d->policy == SK_DMARC_POLICY_NONE, "own record: p");
	sk_dmarc_discovery_free(d);

	d = disc(r, "x.example.com", SK_DMARC_TREEWALK);
	ok(d && d->status == SK_DMARC_DISC_FOUND && d->inherited &&
	   strcmp(d->policy_domain, "example.com") == 0 && d->exists == 1 &&
	   d->policy_tag == SK_DMARC_TAG_SP &&
	   d->policy == SK_DMARC_POLICY_QUARANTINE,
	   "existing subdomain: sp of the org domain");
	is_str(d ? d->org_domain : NULL, "example.com", "org domain");
	sk_dmarc_discovery_free(d);

	d = disc(r, "ghost.example.com", SK_DMARC_TREEWALK);
	ok(d && d->status == SK_DMARC_DISC_FOUND && d->exists == 0 &&
	   d->policy_tag == SK_DMARC_TAG_NP &&
	   d->policy == SK_DMARC_POLICY_REJECT,
	   "non-existent subdomain: np");
	sk_dmarc_discovery_free(d);

	d = disc(r, "b.org.tld", SK_DMARC_TREEWALK);
	ok(d && d->status == SK_DMARC_DISC_FOUND &&
	   strcmp(d->policy_domain, "tld") == 0 &&
	   strcmp(d->org_domain, "org.tld") == 0,
	   "PSD record applies when the org domain has none");
	sk_dmarc_discovery_free(d);

	d = disc(r, "two.example.com", SK_DMARC_TREEWALK);
	ok(d && d->status == SK_DMARC_DISC_FOUND &&
	   d->queries[0].status == SK_DMARC_Q_MULTIPLE &&
	   strcmp(d->policy_domain, "example.com") == 0,
	   "several records discarded, walk goes on (4.10 step 2)");
	sk_dmarc_discovery_free(d);

	d = disc(r, "two.example.com", SK_DMARC_PSL);
	ok(d && d->status == SK_DMARC_DISC_MULTIPLE,
	   "RFC 7489: several records end discovery");
	sk_dmarc_discovery_free(d);

	d = disc(r, "a.mail.example.com", SK_DMARC_PSL);
	ok(d && d->status == SK_DMARC_DISC_FOUND &&
	   d->method == SK_DMARC_PSL &&
	   strcmp(d->policy_domain, "example.com") == 0 &&
	   d->nqueries == 2, "RFC 7489: From domain then PSL org domain");
	sk_dmarc_discovery_free(d);

	d = disc(r, "nothing.invalid", SK_DMARC_TREEWALK);
	ok(d && d->status == SK_DMARC_DISC_NONE, "no record: none");
	sk_dmarc_discovery_free(d);

	sk_resolver_free(r);
}

static void
test_tempfail(void)
{
	struct sk_resolver *r = script();
	struct sk_dmarc_discovery *d;

	if (r == NULL)
		return;
	if (sk_resolver_script_fail(r, "_dmarc.example.com", 0, "SERVFAIL",
				    NULL) != SK_OK)
		printf("# script_fail\n");
	d = disc(r, "a.example.com", SK_DMARC_TREEWALK);
	ok(d && d->status == SK_DMARC_DISC_TEMPFAIL, "tempfail reported");
	sk_dmarc_discovery_free(d);
	sk_resolver_free(r);
}

static int async_calls;

static void
on_done(void *arg, sk_status st, struct sk_dmarc_discovery *d)
{
	(void)arg;
	if (st == SK_OK && d != NULL && d->status == SK_DMARC_DISC_FOUND)
		async_calls++;
	sk_dmarc_discovery_free(d);
}

static void
test_async(void)
{
	struct sk_resolver *r = script();
	char name[64];
	int i, rc;

	if (r == NULL)
		return;
	txt(r, "_dmarc.example.com", "v=DMARC1; p=reject");
	for (i = 0; i < 20; i++) {
		snprintf(name, sizeof(name), "h%d.example.com", i);
		if (sk_dmarc_discover_start(r, name, NULL, on_done, NULL,
					    NULL) != SK_OK)
			printf("# start failed\n");
	}
	is_int(async_calls, 0, "no callback from _start");
	do
		rc = sk_resolver_run(r, -1);
	while (rc > 0);
	is_int(async_calls, 20, "20 discoveries at once");
	/* Freed while pending: no callback, no leak. */
	if (sk_dmarc_discover_start(r, "z.example.com", NULL, on_done, NULL,
				    NULL) != SK_OK)
		printf("# start failed\n");
	sk_resolver_free(r);
	is_int(async_calls, 20, "dropped with the resolver");
}

static void
test_lint(void)
{
	struct sk_resolver *r = script();
	struct sk_dmarc_lint_opts o;
	struct sk_dmarc_lint *l = NULL;
	const struct sk_findings *f;
	const char *rec;

	if (r == NULL)
		return;
	memset(&o, 0, sizeof(o));
	o.psl = psl;
	txt(r, "_dmarc.example.com", "v=DMARC1; p=none; pct=50; aspf=s; "
	    "rua=mailto:a@example.com,mailto:b@reports.example.net,"
	    "mailto:c@ok.example.org; ruf=mailto:f@example.com!1m");
	txt(r, "example.com._report._dmarc.ok.example.org", "v=DMARC1");
	addr(r, "sub.example.com");
	o.profile_marketo = true;
	is_int(sk_dmarc_lint_domain(r, "example.com", &o, &l, NULL), SK_OK,
	       "lint domain");
	f = sk_dmarc_lint_findings(l);
	ok(has(f, "dmarc-policy-none"), "p=none");
	ok(has(f, "dmarc-obsolete-pct") && has(f, "dmarc-pct-ramp"), "pct");
	ok(has(f, "dmarc-aspf-strict-marketo"), "aspf=s with marketo");
	ok(has(f, "dmarc-ruf"), "ruf GDPR note");
	ok(has(f, "dmarc-size-suffix"), "size suffix");
	ok(has(f, "dmarc-external-unauthorized"), "reports.example.net");
	is_int(sk_findings_max_severity(f), SK_SEV_ERROR, "an error");
	ok(!has(f, "dmarc-orgdomain-disagree"), "both methods agree");
	sk_dmarc_lint_free(l);

	is_int(sk_dmarc_lint_domain(r, "sub.example.com", &o, &l, NULL),
	       SK_OK, "lint subdomain");
	f = sk_dmarc_lint_findings(l);
	ok(has(f, "dmarc-inherited"), "inherited record shown");
	sk_dmarc_lint_free(l);

	is_int(sk_dmarc_lint_domain(r, "none.invalid", &o, &l, NULL), SK_OK,
	       "lint absent");
	ok(has(sk_dmarc_lint_findings(l), "dmarc-no-record"), "no record");
	sk_dmarc_lint_free(l);

	rec = "v=DMARC1; p=reject; sp=bogus; foo=1; rua=mailto:x@example.com";
	is_int(sk_dmarc_lint_record(NULL, rec, strlen(rec), NULL, NULL, &l,
				    NULL), SK_OK, "lint record");
	f = sk_dmarc_lint_findings(l);
	is_int(offset_of(f, "dmarc-invalid-value"), 23, "invalid sp offset");
	ok(has(f, "dmarc-unknown-tag"), "unknown tag");
	ok(has(f, "dmarc-fallback-none"), "4.10.1 fallback");
	ok(has(f, "dmarc-no-dns"), "DNS checks skipped");
	sk_dmarc_lint_free(l);

	rec = "p=none; v=DMARC1";
	is_int(sk_dmarc_lint_record(NULL, rec, strlen(rec), NULL, NULL, &l,
				    NULL), SK_OK, "lint v not first");
	ok(has(sk_dmarc_lint_findings(l), "dmarc-not-first-v"), "not first");
	sk_dmarc_lint_free(l);
	sk_resolver_free(r);
}

static void
test_alloc_failures(void)
{
	const char *rec = "v=DMARC1; p=none; sp=reject; foo=1; junk; "
			  "rua=mailto:a@example.com,mailto:b@x.example";
	struct sk_dmarc_record *out;
	size_t n;
	int fails = 0, leaks = 0;
	sk_status st;

	for (n = 0; n < 200; n++) {
		out = NULL;
		sk_test_fail_alloc_after(n);
		st = sk_dmarc_parse(rec, strlen(rec), &out, NULL);
		sk_test_fail_alloc_after(SIZE_MAX);
		if (st == SK_ENOMEM)
			fails++;
		else if (st != SK_OK)
			leaks++;
		sk_dmarc_record_free(out);
		if (st == SK_OK)
			break;
	}
	ok(fails > 0 && leaks == 0, "parse survives allocation failures "
	   "(%d injected)", fails);
}

int
main(void)
{
	tap_plan_unknown();
	/* The system list (Debian publicsuffix or libpsl's own). */
	if (sk_dmarc_psl_load(NULL, &psl, NULL) != SK_OK) {
		ok(0, "load the system PSL");
		return tap_done();
	}
	test_selection();
	test_parse();
	test_values();
	test_build();
	test_psl();
	test_treewalk();
	test_tempfail();
	test_async();
	test_lint();
	test_alloc_failures();
	sk_dmarc_psl_free(psl);
	return tap_done();
}
