/*
 * tests/unit/test_dmarc_eval.c - DMARC evaluation (RFC 9989 sections
 * 4.4, 4.7, 5.3, 11.5; RFC 7489 sections 6.6.1, 6.6.4) over a scripted
 * resolver: alignment relaxed and strict with organizational domains
 * found both ways, t=y, np, pct under RFC 7489, several From domains,
 * and the From header parser feeding it.
 */
#include <string.h>
#include "tap.h"
#include <senderkit/dmarc.h>

static struct sk_resolver *R;
static struct sk_dmarc_psl *PSL;

static void
txt(const char *name, const char *rec)
{
	const char *s[1] = {rec};
	size_t l[1] = {strlen(rec)};

	if (sk_resolver_script_add_txt(R, name, SK_DNS_TXT, s, l, 1, NULL))
		printf("# cannot add %s\n", name);
}

static void
setup(void)
{
	if (sk_resolver_new_script(&R, NULL) != SK_OK)
		exit(99);
	txt("_dmarc.example.com",
	    "v=DMARC1; p=reject; rua=mailto:r@example.com");
	txt("_dmarc.strict.example", "v=DMARC1; p=quarantine; adkim=s; aspf=s");
	txt("_dmarc.test.example", "v=DMARC1; p=reject; t=y");
	txt("_dmarc.testq.example", "v=DMARC1; p=quarantine; t=y");
	txt("_dmarc.np.example", "v=DMARC1; p=none; sp=quarantine; np=reject");
	txt("_dmarc.pct.example", "v=DMARC1; p=reject; pct=50");
	txt("_dmarc.none.example", "v=DMARC1; p=none");
	txt("_dmarc.example.co.uk", "v=DMARC1; p=reject");
	txt("_dmarc.co.uk", "v=DMARC1; p=none; psd=y");
	if (sk_resolver_script_add(R, "sub.np.example", SK_DNS_A,
				   "192.0.2.1", NULL) != SK_OK ||
	    sk_resolver_script_add(R, "mail.example.com", SK_DNS_A,
				   "192.0.2.1", NULL) != SK_OK)
		printf("# cannot add A\n");
	if (sk_resolver_script_fail(R, "_dmarc.broken.example", 0,
				    "SERVFAIL", NULL) != SK_OK)
		printf("# cannot add failure\n");
	if (sk_dmarc_psl_load(NULL, &PSL, NULL) != SK_OK)
		printf("# no PSL\n");
}

struct tc {
	const char *from[4];
	enum sk_spf_result spf;
	const char *spf_domain;
	enum sk_dkim_result dkim;
	const char *dkim_domain;
	enum sk_dmarc_rules rules;
	enum sk_dmarc_method method;
	unsigned sample;
};

static struct sk_dmarc_eval *
run(const struct tc *t)
{
	struct sk_dmarc_eval_input in;
	struct sk_dmarc_dkim_input dk = {t->dkim, t->dkim_domain, "sel"};
	struct sk_dmarc_opts o = {t->method, PSL, false};
	struct sk_dmarc_eval *e = NULL;
	size_t n = 0;

	memset(&in, 0, sizeof(in));
	while (n < 4 && t->from[n] != NULL)
		n++;
	in.from_domains = t->from;
	in.nfrom_domains = n;
	in.spf_result = t->spf;
	in.spf_domain = t->spf_domain;
	in.dkim = &dk;
	in.ndkim = t->dkim_domain != NULL ? 1 : 0;
	in.rules = t->rules;
	in.pct_sample = t->sample;
	if (sk_dmarc_eval(R, &in, &o, &e, NULL) != SK_OK)
		return NULL;
	return e;
}

#define CHECK(name, t, res, disp)                                         \
	do {                                                              \
		struct sk_dmarc_eval *e_ = run(t);                        \
		ok(e_ != NULL, "%s: evaluated", name);                    \
		if (e_ == NULL)                                           \
			break;                                            \
		is_str(sk_dmarc_result_str(e_->result), res,              \
		       "%s: result", name);                               \
		is_str(sk_dmarc_disposition_str(e_->disposition), disp,   \
		       "%s: disposition", name);                          \
		ok(e_->nreasons > 0, "%s: reasons given", name);          \
		sk_dmarc_eval_free(e_);                                   \
	} while (0)

static void
test_alignment(void)
{
	struct tc t;
	int m;

	for (m = 0; m < 2; m++) {
		const char *mn = m ? "psl" : "treewalk";
		char name[128];

		memset(&t, 0, sizeof(t));
		t.method = m ? SK_DMARC_PSL : SK_DMARC_TREEWALK;
		t.from[0] = "example.com";
		t.spf = SK_SPF_PASS;
		t.spf_domain = "example.com";
		snprintf(name, sizeof(name), "%s spf exact", mn);
		CHECK(name, &t, "pass", "pass");
		t.spf_domain = "bounce.mail.example.com";
		snprintf(name, sizeof(name), "%s spf relaxed subdomain", mn);
		CHECK(name, &t, "pass", "pass");
		t.spf_domain = "mktomail.com";
		snprintf(name, sizeof(name), "%s spf other domain", mn);
		CHECK(name, &t, "fail", "reject");
		t.spf = SK_SPF_SOFTFAIL;
		t.spf_domain = "example.com";
		snprintf(name, sizeof(name), "%s softfail does not count", mn);
		CHECK(name, &t, "fail", "reject");
		t.spf = SK_SPF_NONE;
		t.dkim = SK_DKIM_PASS;
		t.dkim_domain = "Example.COM.";
		snprintf(name, sizeof(name), "%s dkim exact, case", mn);
		CHECK(name, &t, "pass", "pass");
		t.from[0] = "news.example.com";
		t.dkim_domain = "example.com";
		snprintf(name, sizeof(name), "%s dkim parent relaxed", mn);
		CHECK(name, &t, "pass", "pass");
		t.dkim = SK_DKIM_FAIL;
		snprintf(name, sizeof(name), "%s dkim fail", mn);
		CHECK(name, &t, "fail", "reject");
		/* strict: subdomains do not align */
		t.from[0] = "strict.example";
		t.dkim = SK_DKIM_PASS;
		t.dkim_domain = "a.strict.example";
		snprintf(name, sizeof(name), "%s strict dkim", mn);
		CHECK(name, &t, "fail", "quarantine");
		t.dkim_domain = "STRICT.example";
		snprintf(name, sizeof(name), "%s strict exact", mn);
		CHECK(name, &t, "pass", "pass");
		/* A public suffix: co.uk and example.co.uk are not aligned
		 * with other.co.uk. */
		t.from[0] = "example.co.uk";
		t.dkim_domain = "other.co.uk";
		snprintf(name, sizeof(name), "%s co.uk not aligned", mn);
		CHECK(name, &t, "fail", "reject");
		t.dkim_domain = "x.example.co.uk";
		snprintf(name, sizeof(name), "%s co.uk subdomain", mn);
		CHECK(name, &t, "pass", "pass");
	}
}

static void
test_policy(void)
{
	struct tc t;
	struct sk_dmarc_eval *e;

	memset(&t, 0, sizeof(t));
	t.dkim = SK_DKIM_PASS;
	t.dkim_domain = "elsewhere.example";
	t.from[0] = "test.example";
	CHECK("t=y reject -> quarantine", &t, "fail", "quarantine");
	t.from[0] = "testq.example";
	CHECK("t=y quarantine -> none", &t, "fail", "none");
	t.rules = SK_DMARC_RFC7489;
	t.from[0] = "test.example";
	CHECK("t ignored under RFC 7489", &t, "fail", "reject");
	t.rules = SK_DMARC_RFC9989;
	t.from[0] = "sub.np.example";
	CHECK("existing subdomain: sp", &t, "fail", "quarantine");
	t.from[0] = "gone.np.example";
	CHECK("non-existent subdomain: np", &t, "fail", "reject");
	t.rules = SK_DMARC_RFC7489;
	CHECK("np unknown to RFC 7489: sp", &t, "fail", "quarantine");
	t.from[0] = "np.example";
	CHECK("p=none", &t, "fail", "none");
	t.from[0] = "pct.example";
	t.sample = 49;
	CHECK("pct=50 sample 49 selected", &t, "fail", "reject");
	t.sample = 50;
	CHECK("pct=50 sample 50 not selected", &t, "fail", "quarantine");
	t.rules = SK_DMARC_RFC9989;
	CHECK("pct ignored under RFC 9989", &t, "fail", "reject");
	t.from[0] = "nodmarc.example";
	CHECK("no record", &t, "none", "none");
	t.from[0] = "broken.example";
	CHECK("DNS failure", &t, "temperror", "none");
	t.from[0] = "bad..example";
	CHECK("invalid Author Domain", &t, "permerror", "none");
	/* Policy fields of the result. */
	t.from[0] = "test.example";
	e = run(&t);
	if (e != NULL) {
		is_int(e->policy, SK_DMARC_POLICY_REJECT, "p reported");
		is_int(e->applied, SK_DMARC_POLICY_QUARANTINE, "applied");
		ok(e->authors[0].testing, "testing flagged");
		ok(e->has_policy, "has policy");
		is_str(e->header_from, "test.example", "header.from");
		is_int(e->authors[0].policy_tag, SK_DMARC_TAG_P, "tag p");
		/* The idents outlive the evaluation job. */
		is_int(e->authors[0].ndkim, 1, "one DKIM ident");
		is_str(e->authors[0].dkim[0].domain, "elsewhere.example",
		       "DKIM ident domain kept");
		ok(!e->authors[0].dkim[0].aligned, "not aligned");
		sk_dmarc_eval_free(e);
	}
}

static void
test_multi_from(void)
{
	struct tc t;
	struct sk_dmarc_eval *e;

	memset(&t, 0, sizeof(t));
	t.dkim = SK_DKIM_PASS;
	t.dkim_domain = "none.example";
	t.from[0] = "none.example";
	t.from[1] = "example.com";
	/* CVE-2019-16378 class: the first domain passes, the spoofed one
	 * must still decide. */
	CHECK("two domains, one spoofed", &t, "fail", "reject");
	e = run(&t);
	if (e != NULL) {
		is_int(e->nauthors, 2, "two Author Domains");
		is_str(e->header_from, "example.com", "deciding domain");
		sk_dmarc_eval_free(e);
	}
	t.from[0] = "example.com";
	t.from[1] = "none.example";
	CHECK("order does not matter", &t, "fail", "reject");
	t.from[1] = "EXAMPLE.com";
	t.dkim_domain = "example.com";
	CHECK("same domain twice", &t, "pass", "pass");
	t.from[1] = "nodmarc.example";
	CHECK("pass and none give none", &t, "none", "none");
}

static void
test_from_fields(void)
{
	struct sk_dmarc_eval_input in;
	struct sk_dmarc_eval *e = NULL;
	char *store = NULL;
	const char *v[2];
	size_t l[2];

	memset(&in, 0, sizeof(in));
	is_int(sk_dmarc_from_fields(NULL, NULL, 0, &in, &store, NULL), SK_OK,
	       "no From");
	is_int(in.from_status, SK_DMARC_FROM_MISSING, "missing");
	is_int(sk_dmarc_eval(R, &in, NULL, &e, NULL), SK_OK, "eval no From");
	if (e != NULL)
		is_str(sk_dmarc_result_str(e->result), "permerror",
		       "no From: permerror");
	sk_dmarc_eval_free(e);
	v[0] = " <a@example.com>> ";
	l[0] = strlen(v[0]);
	is_int(sk_dmarc_from_fields(v, l, 1, &in, &store, NULL), SK_OK,
	       "stray >");
	is_int(in.from_status, SK_DMARC_FROM_UNPARSEABLE, "unparseable");
	is_int(sk_dmarc_eval(R, &in, NULL, &e, NULL), SK_OK, "eval bad From");
	if (e != NULL)
		is_str(sk_dmarc_result_str(e->result), "permerror",
		       "bad From: permerror, never pass");
	sk_dmarc_eval_free(e);
	v[0] = " undisclosed:;";
	l[0] = strlen(v[0]);
	is_int(sk_dmarc_from_fields(v, l, 1, &in, &store, NULL), SK_OK,
	       "group");
	is_int(in.from_status, SK_DMARC_FROM_NO_DOMAIN, "no domain");
	v[0] = " A <a@none.example>, b@x.none.example";
	v[1] = " c@example.com";
	l[0] = strlen(v[0]);
	l[1] = strlen(v[1]);
	is_int(sk_dmarc_from_fields(v, l, 2, &in, &store, NULL), SK_OK,
	       "two fields");
	is_int(in.from_status, SK_DMARC_FROM_OK, "ok");
	is_int(in.nfrom_domains, 3, "three mailboxes");
	is_int(in.from_fields, 2, "two fields counted");
	if (in.nfrom_domains == 3)
		is_str(in.from_domains[2], "example.com", "third domain");
	is_int(sk_dmarc_eval(R, &in, NULL, &e, NULL), SK_OK, "eval 2 fields");
	if (e != NULL) {
		is_str(sk_dmarc_result_str(e->result), "fail",
		       "strictest of three");
		is_int(e->nauthors, 3, "three Author Domains");
	}
	sk_dmarc_eval_free(e);
	free(store);
}

int
main(void)
{
	tap_plan_unknown();
	setup();
	test_alignment();
	test_policy();
	test_multi_from();
	test_from_fields();
	sk_dmarc_psl_free(PSL);
	sk_resolver_free(R);
	return tap_done();
}
