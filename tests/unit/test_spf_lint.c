/*
 * tests/unit/test_spf_lint.c - SPF lint and merge (RFC 7208 sections 4.5,
 * 4.6.4, 5.1, 5.2, 6.1) over the scripted resolver.
 */
#include <stdint.h>
#include <string.h>
#include <senderkit/senderkit.h>
#include "tap.h"

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
	char buf[1024];

	snprintf(buf, sizeof(buf), "\"%s\"", text);
	if (sk_resolver_script_add(r, name, SK_DNS_TXT, buf, NULL) != SK_OK)
		printf("# cannot add TXT %s\n", name);
}

static void
addr(struct sk_resolver *r, const char *name)
{
	if (sk_resolver_script_add(r, name, SK_DNS_A, "192.0.2.1", NULL) !=
	    SK_OK)
		printf("# cannot add A %s\n", name);
}

static void
mx(struct sk_resolver *r, const char *name, const char *rdata)
{
	if (sk_resolver_script_add(r, name, SK_DNS_MX, rdata, NULL) != SK_OK)
		printf("# cannot add MX %s\n", name);
}

static struct sk_spf_lint *
lint_rec(const char *rec, const char *domain)
{
	struct sk_spf_lint *l = NULL;
	struct sk_err err;

	if (sk_spf_lint_record(NULL, rec, strlen(rec), domain, &l, &err) !=
	    SK_OK) {
		printf("# lint record: %s\n", err.msg);
		return NULL;
	}
	return l;
}

static const struct sk_finding *
find(const struct sk_spf_lint *l, const char *id)
{
	size_t i;

	for (i = 0; i < sk_spf_lint_nfindings(l); i++)
		if (strcmp(sk_spf_lint_finding(l, i)->id, id) == 0)
			return sk_spf_lint_finding(l, i);
	return NULL;
}

static struct sk_spf_lint *
lint_domain(struct sk_resolver *r, const char *d)
{
	struct sk_spf_lint *l = NULL;
	struct sk_err err;

	if (sk_spf_lint_domain(r, d, &l, &err) != SK_OK) {
		printf("# lint %s: %s\n", d, err.msg);
		return NULL;
	}
	return l;
}

static void
test_multiple(void)
{
	struct sk_resolver *r = script();
	struct sk_spf_lint *l;
	const struct sk_finding *f;

	txt(r, "example.com", "v=spf1 -all");
	txt(r, "example.com", "v=spf1 ip4:192.0.2.0/24 -all");
	l = lint_domain(r, "example.com");
	f = find(l, "spf-multiple");
	ok(f != NULL, "two SPF records: spf-multiple");
	is_int(f ? (int)f->severity : -1, SK_SEV_ERROR,
	       "spf-multiple is an error");
	is_int(sk_spf_lint_max_severity(l), SK_SEV_ERROR, "max severity");
	sk_spf_lint_free(l);
	l = lint_domain(r, "none.example");
	ok(find(l, "spf-none") != NULL, "no record: spf-none");
	sk_spf_lint_free(l);
	sk_resolver_free(r);
}

static void
test_lookup_limit(void)
{
	struct sk_resolver *r = script();
	struct sk_spf_lint *l;
	const struct sk_finding *f;
	const struct sk_spf_node *t;

	txt(r, "example.com", "v=spf1 a mx include:a.example -all");
	addr(r, "example.com");
	mx(r, "example.com", "10 mx.example.com.");
	addr(r, "mx.example.com");
	txt(r, "a.example", "v=spf1 a mx exists:x.example include:b.example "
	    "-all");
	addr(r, "a.example");
	mx(r, "a.example", "10 mx.a.example.");
	addr(r, "mx.a.example");
	addr(r, "x.example");
	txt(r, "b.example", "v=spf1 a:h1.example a:h2.example a:h3.example mx "
	    "-all");
	addr(r, "h1.example");
	addr(r, "h2.example");
	addr(r, "h3.example");
	mx(r, "b.example", "10 mx.b.example.");
	addr(r, "mx.b.example");
	l = lint_domain(r, "example.com");
	is_int(sk_spf_lint_lookups(l), 11, "11 DNS-querying terms counted");
	f = find(l, "spf-lookup-limit");
	ok(f != NULL && f->severity == SK_SEV_ERROR, "spf-lookup-limit");
	ok(f != NULL && strstr(f->message, "example.com -> include:a.example "
			       "-> include:b.example: 11th lookup at mx") !=
	   NULL, "path of the 11th lookup: %s", f ? f->message : "");
	ok(sk_spf_lint_finding(l, 0)->severity == SK_SEV_ERROR,
	   "errors sorted first");
	ok(find(l, "spf-void-lookups") == NULL, "no void lookups");
	t = sk_spf_lint_tree(l);
	ok(t != NULL && t->nchildren == 1, "root has one child");
	if (t != NULL && t->nchildren == 1) {
		is_int(t->cost, 3, "root cost");
		is_int(t->total, 11, "root total");
		is_str(t->children[0].via, "include:a.example", "via");
		is_int(t->children[0].total, 9, "include:a.example total");
		is_int(t->children[0].children[0].total, 5,
		       "include:b.example total (via + 4)");
	}
	sk_spf_lint_free(l);

	/* 10: allowed, but spf-lookups-high. */
	txt(r, "ten.example", "v=spf1 include:a.example a:h1.example -all");
	l = lint_domain(r, "ten.example");
	is_int(sk_spf_lint_lookups(l), 10, "10 lookups");
	ok(find(l, "spf-lookup-limit") == NULL, "10 is within the limit");
	ok(find(l, "spf-lookups-high") != NULL, "10: spf-lookups-high");
	sk_spf_lint_free(l);
	sk_resolver_free(r);
}

static void
test_void(void)
{
	struct sk_resolver *r = script();
	struct sk_spf_lint *l;
	const struct sk_finding *f;

	txt(r, "v3.example", "v=spf1 a:nx1.example a:nx2.example "
	    "mx:nx3.example -all");
	l = lint_domain(r, "v3.example");
	f = find(l, "spf-void-lookups");
	ok(f != NULL && f->severity == SK_SEV_ERROR, "3 void lookups: error");
	is_int(sk_spf_lint_tree(l)->void_lookups, 3, "node void count");
	sk_spf_lint_free(l);
	txt(r, "v1.example", "v=spf1 a:nx1.example -all");
	l = lint_domain(r, "v1.example");
	f = find(l, "spf-void-lookups");
	ok(f != NULL && f->severity == SK_SEV_WARNING, "1 void: warning");
	ok(find(l, "spf-mx-a-void") != NULL, "a target without address");
	sk_spf_lint_free(l);
	sk_resolver_free(r);
}

static void
test_include_targets(void)
{
	struct sk_resolver *r = script();
	struct sk_spf_lint *l;
	const struct sk_finding *f;

	txt(r, "nospf.example", "hello world");
	txt(r, "example.com", "v=spf1 include:nospf.example "
	    "include:loop.example -all");
	txt(r, "loop.example", "v=spf1 include:example.com -all");
	l = lint_domain(r, "example.com");
	f = find(l, "spf-include-no-spf");
	ok(f != NULL && f->severity == SK_SEV_ERROR, "include-no-spf");
	is_str(f ? f->subject : NULL, "nospf.example", "subject is target");
	ok(find(l, "spf-include-loop") != NULL, "include loop detected");
	sk_spf_lint_free(l);

	txt(r, "bad.example", "v=spf1 include:broken.example -all");
	txt(r, "broken.example", "v=spf1 ip4:300.0.0.1 -all");
	l = lint_domain(r, "bad.example");
	f = find(l, "spf-include-syntax");
	ok(f != NULL && strcmp(f->subject, "broken.example") == 0,
	   "nested syntax error names the nested domain");
	sk_spf_lint_free(l);

	if (sk_resolver_script_fail(r, "tf.example", 0, "timeout", NULL) !=
	    SK_OK)
		printf("# cannot script a failure\n");
	txt(r, "t.example", "v=spf1 include:tf.example -all");
	l = lint_domain(r, "t.example");
	f = find(l, "spf-tempfail");
	ok(f != NULL && strstr(f->message, "could not check") != NULL,
	   "DNS failure: could not check");
	ok(find(l, "spf-include-no-spf") == NULL,
	   "DNS failure is not 'missing'");
	sk_spf_lint_free(l);
	sk_resolver_free(r);
}

static void
test_all(void)
{
	struct sk_spf_lint *l = NULL;
	const char *rec;

	rec = "v=spf1 ip4:192.0.2.0/24 +all";
	if (sk_spf_lint_record(NULL, rec, strlen(rec), "example.com", &l,
			       NULL) == SK_OK) {
		ok(find(l, "spf-all-pass") != NULL, "+all: spf-all-pass");
		is_int(find(l, "spf-all-pass")->offset, 24, "offset of +all");
		ok(find(l, "spf-dns-skipped") != NULL, "DNS skipped info");
	} else {
		ok(0, "lint +all");
	}
	sk_spf_lint_free(l);
	l = NULL;
	rec = "v=spf1 all";
	l = lint_rec(rec, NULL);
	ok(find(l, "spf-all-pass") != NULL, "bare all: spf-all-pass");
	sk_spf_lint_free(l);
	l = NULL;
	rec = "v=spf1 ip4:192.0.2.1 ?all";
	l = lint_rec(rec, NULL);
	ok(find(l, "spf-all-neutral") != NULL, "?all: spf-all-neutral");
	ok(find(l, "spf-all-pass") == NULL, "?all is not all-pass");
	sk_spf_lint_free(l);
	l = NULL;
	rec = "v=spf1 ip4:192.0.2.1";
	l = lint_rec(rec, NULL);
	ok(find(l, "spf-no-all") != NULL, "no all: spf-no-all");
	is_int(sk_spf_lint_max_severity(l), SK_SEV_WARNING,
	       "no all is a warning");
	sk_spf_lint_free(l);
	l = NULL;
	rec = "v=spf1 ptr -all";
	l = lint_rec(rec, NULL);
	ok(find(l, "spf-ptr") != NULL, "ptr: spf-ptr");
	is_int(sk_spf_lint_lookups(l), 1, "ptr counts one lookup");
	sk_spf_lint_free(l);
}

static void
test_include_space(void)
{
	struct sk_spf_lint *l = NULL;
	const struct sk_finding *f;
	const char *rec = "v=spf1 include: mktomail.com -all";
	char big[400];

	if (sk_spf_lint_record(NULL, rec, strlen(rec), "example.com", &l,
			       NULL) != SK_OK) {
		ok(0, "lint include-space");
		return;
	}
	f = find(l, "spf-include-space");
	ok(f != NULL && f->severity == SK_SEV_ERROR, "include-space error");
	is_int(f ? f->offset : 0, 15, "offset at the space");
	ok(f != NULL && strstr(f->message, "include:mktomail.com") != NULL,
	   "suggests the fix: %s", f ? f->message : "");
	ok(find(l, "spf-syntax") != NULL, "and the syntax error");
	sk_spf_lint_free(l);
	l = NULL;

	/* 16 terms of 17 bytes: 283 bytes, over one TXT string. */
	size_t o = (size_t)snprintf(big, sizeof(big), "v=spf1");
	for (int i = 0; i < 16; i++)
		o += (size_t)snprintf(big + o, sizeof(big) - o,
				      " ip4:192.0.2.%d/32", 10 + i);
	snprintf(big + o, sizeof(big) - o, " -all");
	l = lint_rec(big, NULL);
	ok(find(l, "spf-string-too-long") != NULL, "over 255: too long");
	sk_spf_lint_free(l);
}

static struct sk_spf_merge *
merge(struct sk_resolver *r, const char *rec, const char *d)
{
	struct sk_spf_merge *m = NULL;
	struct sk_err err;

	if (sk_spf_merge(r, rec, strlen(rec), d, &m, &err) != SK_OK) {
		printf("# merge: %s\n", err.msg);
		return NULL;
	}
	return m;
}

static void
test_merge(void)
{
	struct sk_resolver *r = script();
	struct sk_spf_merge *m;

	m = merge(NULL, "v=spf1  ip4:192.0.2.1   ~all", "mktomail.com");
	is_str(m ? m->record : NULL,
	       "v=spf1 ip4:192.0.2.1 include:mktomail.com ~all",
	       "before ~all, whitespace normalised");
	ok(m != NULL && m->changed && !m->refused, "changed");
	sk_spf_merge_free(m);
	m = merge(NULL, "v=spf1 mx -all exp=explain.example", "mktomail.com");
	is_str(m ? m->record : NULL,
	       "v=spf1 mx include:mktomail.com -all exp=explain.example",
	       "before -all, exp kept after");
	ok(m != NULL && m->lookups_before == 1 && m->lookups_after == 2,
	   "own-term counts 1 -> 2");
	sk_spf_merge_free(m);
	m = merge(NULL, "v=spf1 a redirect=_spf.example.com", "mktomail.com");
	is_str(m ? m->record : NULL,
	       "v=spf1 a include:mktomail.com redirect=_spf.example.com",
	       "before redirect");
	sk_spf_merge_free(m);
	m = merge(NULL, "v=spf1 ip4:192.0.2.1", "mktomail.com");
	is_str(m ? m->record : NULL, "v=spf1 ip4:192.0.2.1 "
	       "include:mktomail.com", "at the end");
	sk_spf_merge_free(m);
	m = merge(NULL, "v=spf1 include:MktoMail.com -all", "mktomail.com");
	ok(m != NULL && !m->changed, "unchanged when already included");
	sk_spf_merge_free(m);

	/* 10 before, the include costs 1: refused at 11. */
	txt(r, "mktomail.com", "v=spf1 ip4:192.0.2.0/24 -all");
	txt(r, "big.example", "v=spf1 a:h1.example a:h2.example a:h3.example "
	    "a:h4.example a:h5.example -all");
	txt(r, "mid.example", "v=spf1 a:h1.example a:h2.example -all");
	for (int i = 1; i <= 5; i++) {
		char n[32];

		snprintf(n, sizeof(n), "h%d.example", i);
		addr(r, n);
	}
	addr(r, "example.com");
	m = merge(r, "v=spf1 a include:big.example include:mid.example -all",
		  "mktomail.com");
	ok(m != NULL && m->refused, "refused at 11");
	if (m != NULL) {
		is_int(m->lookups_before, 10, "before 10");
		is_int(m->lookups_after, 11, "after 11");
		ok(m->reason != NULL && strstr(m->reason,
		   "include:big.example costs 6, include:mid.example costs "
		   "3") != NULL, "reason names costly terms: %s",
		   m->reason ? m->reason : "");
		ok(m->ncosts == 4 && m->costs[0].lookups == 6,
		   "costs sorted costliest first");
		is_str(m->record, "v=spf1 a include:big.example "
		       "include:mid.example -all", "original kept");
	}
	sk_spf_merge_free(m);
	m = merge(r, "v=spf1 include:mid.example -all", "mktomail.com");
	ok(m != NULL && !m->refused && m->lookups_after == 4,
	   "within the limit: 3 -> 4 through DNS");
	sk_spf_merge_free(m);
	sk_resolver_free(r);
}

/* Every allocation failure ends in SK_ENOMEM or success, never a crash
 * or a leak (the sanitizer build checks leaks). */
static void
test_alloc_failures(void)
{
	struct sk_resolver *r = script();
	const char *rec = "v=spf1 a:h1.example include:inc.example ptr "
			  "?all redirect=x.example";
	struct sk_spf_lint *l;
	struct sk_spf_merge *m;
	sk_status st;
	int bad = 0, okays = 0;

	txt(r, "inc.example", "v=spf1 a:h1.example -all");
	addr(r, "h1.example");
	for (size_t n = 0; n < 400; n++) {
		l = NULL;
		m = NULL;
		sk_test_fail_alloc_after(n);
		st = sk_spf_lint_record(r, rec, strlen(rec), "example.com", &l,
					NULL);
		if (st != SK_OK && st != SK_ENOMEM)
			bad++;
		sk_spf_lint_free(l);
		st = sk_spf_merge(r, rec, strlen(rec), "mktomail.com", &m,
				  NULL);
		if (st != SK_OK && st != SK_ENOMEM)
			bad++;
		if (st == SK_OK)
			okays++;
		sk_spf_merge_free(m);
		sk_test_fail_alloc_after(SIZE_MAX);
	}
	is_int(bad, 0, "allocation failures give SK_ENOMEM");
	ok(okays > 0, "and enough allocations succeed");
	sk_resolver_free(r);
}

int
main(void)
{
	tap_plan_unknown();
	test_multiple();
	test_lookup_limit();
	test_void();
	test_include_targets();
	test_all();
	test_include_space();
	test_merge();
	test_alloc_failures();
	return tap_done();
}
