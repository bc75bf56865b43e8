/*
 * tests/unit/test_plan.c - sk_plan_build / sk_plan_render over the
 * scripted resolver: the records planned for a fresh domain, a domain
 * already set up, SPF merging and the 10-lookup refusal (RFC 7208 4.6.4),
 * CNAME conflicts (RFC 1034 3.6.2), DMARC tags kept, TXT splitting (RFC
 * 1035 3.3.14, 5.1) and the exact nsupdate script.
 *
 * The profile and config are built as plain structs (profile.h makes them
 * read-only data), so these tests do not depend on the file parsers.
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <senderkit/senderkit.h>

#include "plan/plan_internal.h"
#include "tap.h"

#define KEY1 "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwmz00Ji/2v+fcvdDqb9" \
	"Afm+Owbzq5UL57Rv2+idwlZ6utmEW0Ji/wH5w/8SymAf3F8X4DCeGPFnWTywUEDUe" \
	"get6a7O99CTlA0l4ACy003q3kB7kUli99/O4CV1P58xnyfkNbF6cbz+fXCHrA8Wkx" \
	"1ZV1ioSThqw9H65FVYGsyjMU2BHcnzX/lyIdpLtD4T0k3MHBCsTRbzs9XALaywIMY" \
	"tp+Lwn0csM014JsGwpzZ13drTLPLVFFhdUmv0t5Ui48wGbi9GgfeGXMiII1aJaOP+" \
	"4lUL8wDNuDsSUk1LFi1vWVLahqJB7FKx5TPHFrXaF5XfpqKq/F6Tc9tzC9/dLfwID" \
	"AQAB"
#define KEY2 "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAn7dQJxVr17vUmW/vbPW" \
	"zzVNQi/J8xNFzRfBibhjKk1QW7Kgr/nutfixbqzZS5uHTXJUUbSMCPjNH1UHwE1Kv" \
	"KP5e5Ui8/0X3sB2Lme/9HYqsfK0JphLE4ubWBVmRO2lGSk87jFx3kvBnhI4+j5RQq" \
	"riShUXC6bNwc5bILlbJyC4+9PLSoPepWjzG5Fdg6tVQQGxE0V4o/iZXrJZDLowu4z" \
	"ING+Pf8Cn4BTyITfZYmF7LpyvMw+5Y67ayRqt27KBJznjc5g21tsmhStYuIQuBpci" \
	"UjMAqGjl4lj5Ja84gHmlutRsiQOXFRz3G0kmvqySfOmFd7Kvo2ogXOGmIazICfQID" \
	"AQAB"
#define REC1 "v=DKIM1; k=rsa; p=" KEY1
#define REC2 "v=DKIM1; k=rsa; p=" KEY2
#define SOA "ns.acme.example. hostmaster.acme.example. 1 3600 600 86400 300"

/* ------------------------------------------------------------ fixture */

static const char *const branded_for[] = {"dedicated", "trusted"};
static const char *const rollout[] = {"none", "quarantine", "reject"};
static struct sk_profile_host hosts[2];
static struct sk_profile prof;

static struct sk_org_kv inputs[] = {
	{"munchkin_id", "123-ABC-456", 0},
	{"account_string", "acmecorp", 0},
	{"default_branding_domain", "mkto-a0244.com", 0},
};
static const char *servers[2];
static const char *incs[1];
static const char *mxs[1];
static struct sk_org_dkim dk[1];
static struct sk_org_domain doms[2];
static struct sk_org_config cfg;

/* The acme example: dedicated IPs, a branded return-path, both hosts. */
static void
reset(void)
{
	memset(hosts, 0, sizeof(hosts));
	hosts[0].role = "landing";
	hosts[0].target = "${account_string}.mktoweb.com";
	hosts[0].config_key = "landing_host";
	hosts[0].why = "landing pages are served by the provider";
	hosts[0].source = "https://example.org/lp";
	hosts[0].probe_target = true;
	hosts[1].role = "tracking";
	hosts[1].target = "${default_branding_domain}";
	hosts[1].config_key = "tracking_host";
	hosts[1].must_differ_from = "landing";
	hosts[1].why = "tracked links go through the branding domain";
	hosts[1].source = "https://example.org/trk";
	hosts[1].probe_target = true;

	memset(&prof, 0, sizeof(prof));
	prof.id = "marketo";
	prof.display_name = "Adobe Marketo Engage";
	prof.hosts = hosts;
	prof.nhosts = 2;
	prof.spf.include = "mktomail.com";
	prof.spf.needed_when = "branded_return_path";
	prof.spf.branded_all = "-all";
	prof.spf.source = "https://example.org/spf";
	prof.dkim.min_bits = 1024;
	prof.dkim.recommended_bits = 2048;
	prof.dkim.rotation_note = "delete the key in the provider first";
	prof.dkim.source = "https://example.org/dkim";
	prof.dmarc.recommended_alignment = "dkim";
	prof.dmarc.rollout = rollout;
	prof.dmarc.nrollout = 3;
	prof.dmarc.source = "https://example.org/dmarc";
	prof.envelope.default_domain = "mktomail.com";
	prof.envelope.branded_for = branded_for;
	prof.envelope.nbranded_for = 2;
	prof.envelope.source = "https://example.org/envelope";

	servers[0] = "192.0.2.10";
	servers[1] = "198.51.100.0/28";
	incs[0] = "_spf.google.com";
	mxs[0] = "10 mail.acme.example";
	dk[0].selector = "mkto1";
	dk[0].record = REC1;
	dk[0].line = 0;

	memset(doms, 0, sizeof(doms));
	doms[0].name = "acme.example";
	doms[0].from = true;
	doms[0].return_path = "bounce.acme.example";
	doms[0].dkim = dk;
	doms[0].ndkim = 1;
	doms[0].mail_servers = servers;
	doms[0].nmail_servers = 2;
	doms[0].spf_includes = incs;
	doms[0].nspf_includes = 1;
	doms[0].mx = mxs;
	doms[0].nmx = 1;
	doms[0].dmarc_stage = SK_STAGE_NONE;
	doms[0].dmarc_pct = 100;
	doms[0].dmarc_rua = "mailto:dmarc@acme.example";

	memset(&cfg, 0, sizeof(cfg));
	cfg.path = "acme.conf";
	cfg.name = "Acme Corporation";
	cfg.profile = "marketo";
	cfg.ip_mode = SK_IP_DEDICATED;
	cfg.ttl = 3600;
	cfg.landing_host = "go.acme.example";
	cfg.tracking_host = "em.acme.example";
	cfg.return_path_mx = "rp-mx.mktomail.com";
	cfg.inputs = inputs;
	cfg.ninputs = 3;
	cfg.domains = doms;
	cfg.ndomains = 1;
}

/* Only the landing CNAME: a config whose domain asks for nothing else. */
static void
reset_landing_only(void)
{
	reset();
	cfg.tracking_host = NULL;
	doms[0].from = false;
	doms[0].return_path = NULL;
	doms[0].ndkim = 0;
	doms[0].nmx = 0;
	doms[0].dmarc_stage = SK_STAGE_UNSET;
	doms[0].dmarc_rua = NULL;
}

static struct sk_resolver *
script(void)
{
	struct sk_resolver *r = NULL;

	if (sk_resolver_new_script(&r, NULL) != SK_OK)
		return NULL;
	if (sk_resolver_script_add(r, "acme.example", SK_DNS_SOA, SOA,
				   NULL) != SK_OK)
		printf("# cannot add SOA\n");
	return r;
}

static void
add(struct sk_resolver *r, const char *name, uint16_t type,
    const char *rdata)
{
	struct sk_err e;

	if (sk_resolver_script_add(r, name, type, rdata, &e) != SK_OK)
		printf("# cannot add %s %s: %s\n", name, rdata, e.msg);
}

static void
txt(struct sk_resolver *r, const char *name, const char *text)
{
	char buf[2048];

	snprintf(buf, sizeof(buf), "\"%s\"", text);
	add(r, name, SK_DNS_TXT, buf);
}

static struct sk_plan *
build(struct sk_resolver *r, bool no_refuse)
{
	struct sk_plan_opts o = {.no_refuse_spf_limit = no_refuse};
	struct sk_plan *pl = NULL;
	struct sk_err e;
	sk_status st;

	sk_err_clear(&e);
	st = sk_plan_build(r, &prof, &cfg, &o, &pl, &e);
	if (st != SK_OK)
		printf("# sk_plan_build: %d %s\n", st, e.msg);
	return pl;
}

static const struct sk_plan_record *
rec(const struct sk_plan *pl, const char *purpose, const char *name,
    int action)
{
	const struct sk_plan_record *r;
	size_t i;

	for (i = 0; i < sk_plan_count(pl); i++) {
		r = sk_plan_get(pl, i);
		if (strcmp(r->purpose, purpose) == 0 &&
		    strcmp(r->name, name) == 0 &&
		    (action < 0 || (int)r->action == action))
			return r;
	}
	return NULL;
}

static size_t
count_action(const struct sk_plan *pl, enum sk_plan_action a)
{
	size_t i, n = 0;

	for (i = 0; i < sk_plan_count(pl); i++)
		if (sk_plan_get(pl, i)->action == a)
			n++;
	return n;
}

static const struct sk_finding *
finding(const struct sk_plan *pl, const char *id)
{
	const struct sk_findings *f = sk_plan_findings(pl);
	size_t i;

	for (i = 0; i < sk_findings_count(f); i++)
		if (strcmp(sk_findings_get(f, i)->id, id) == 0)
			return sk_findings_get(f, i);
	return NULL;
}

static void
show(const struct sk_plan *pl)
{
	const struct sk_findings *f = sk_plan_findings(pl);
	size_t i;

	for (i = 0; i < sk_plan_count(pl); i++) {
		const struct sk_plan_record *r = sk_plan_get(pl, i);

		printf("#   %s %s %s %s %s (zone %s)\n",
		       sk_plan_action_str(r->action), r->purpose, r->name,
		       sk_dns_type_str(r->type),
		       r->rdata ? r->rdata : r->old_rdata, r->zone);
	}
	for (i = 0; i < sk_findings_count(f); i++)
		printf("#   finding %s: %s\n", sk_findings_get(f, i)->id,
		       sk_findings_get(f, i)->message);
}

/* rdata of the record, or "" (is_str prints both on failure). */
static const char *
rd(const struct sk_plan_record *r)
{
	return r != NULL && r->rdata != NULL ? r->rdata : "";
}

static const char *
old(const struct sk_plan_record *r)
{
	return r != NULL && r->old_rdata != NULL ? r->old_rdata : "";
}

/* The TXT rdata of a key record as two strings: 255 bytes, then the
 * rest. */
static void
split_rdata(char *buf, size_t n, const char *text)
{
	snprintf(buf, n, "\"%.255s\" \"%s\"", text, text + 255);
}

static void
rec1_rdata(char *buf, size_t n)
{
	split_rdata(buf, n, REC1);
}

/* ------------------------------------------------------------ tests */

static void
test_fresh(void)
{
	const struct sk_plan_record *r;
	struct sk_resolver *res;
	struct sk_plan *pl;
	char want[1024];
	size_t i;

	/* Without a resolver: no diff, everything is ADD. */
	reset();
	pl = build(NULL, false);
	ok(pl != NULL, "fresh: plan built");
	if (pl == NULL)
		return;
	is_int(sk_plan_count(pl), 8, "fresh: 8 records");
	is_int(sk_plan_changes(pl), 8, "fresh: all are changes");
	is_int(count_action(pl, SK_PLAN_ADD), 8, "fresh: all ADD");
	r = rec(pl, "landing", "go.acme.example", SK_PLAN_ADD);
	is_str(rd(r), "acmecorp.mktoweb.com.", "landing CNAME target");
	ok(r && r->type == SK_DNS_CNAME, "landing is a CNAME");
	is_str(r ? r->value : NULL, "acmecorp.mktoweb.com", "landing value");
	is_str(r ? r->source : NULL, "https://example.org/lp",
	       "landing source from the profile");
	is_int(r ? r->ttl : 0, 3600, "TTL from the config");
	r = rec(pl, "tracking", "em.acme.example", SK_PLAN_ADD);
	is_str(rd(r), "mkto-a0244.com.", "tracking CNAME target");
	r = rec(pl, "spf", "acme.example", SK_PLAN_ADD);
	is_str(rd(r), "\"v=spf1 ip4:192.0.2.10 ip4:198.51.100.0/28 "
	       "include:_spf.google.com include:mktomail.com ~all\"",
	       "From SPF: servers, includes and the provider's include");
	ok(r && strstr(r->why, "guides ask") != NULL &&
	   strstr(r->why, "Return-Path") != NULL,
	   "From SPF says the include follows the guides, not DMARC");
	r = rec(pl, "return-path-spf", "bounce.acme.example", SK_PLAN_ADD);
	is_str(rd(r), "\"v=spf1 include:mktomail.com -all\"",
	       "return-path SPF: the include and -all");
	r = rec(pl, "return-path-mx", "bounce.acme.example", SK_PLAN_ADD);
	is_str(rd(r), "10 rp-mx.mktomail.com.", "return-path MX");
	r = rec(pl, "mx", "acme.example", SK_PLAN_ADD);
	is_str(rd(r), "10 mail.acme.example.", "MX for replies");
	is_str(r ? r->value : NULL, "10 mail.acme.example", "MX value");
	r = rec(pl, "dmarc", "_dmarc.acme.example", SK_PLAN_ADD);
	is_str(rd(r), "\"v=DMARC1; p=none; rua=mailto:dmarc@acme.example\"",
	       "DMARC record");
	r = rec(pl, "dkim", "mkto1._domainkey.acme.example", SK_PLAN_ADD);
	rec1_rdata(want, sizeof(want));
	is_str(rd(r), want, "DKIM TXT split at 255 bytes");
	is_str(r ? r->value : NULL, REC1, "DKIM value is the whole text");
	for (i = 0; i < sk_plan_count(pl); i++)
		if (strcmp(sk_plan_get(pl, i)->zone, "acme.example") != 0)
			break;
	is_int(i, sk_plan_count(pl), "offline zone: the sending domain");
	/* Stable order: by zone, name, purpose. */
	is_str(sk_plan_get(pl, 0)->name, "_dmarc.acme.example", "order 0");
	is_str(sk_plan_get(pl, 1)->purpose, "spf", "order 1");
	is_str(sk_plan_get(pl, 2)->purpose, "mx", "order 2");
	is_str(sk_plan_get(pl, 3)->purpose, "return-path-spf", "order 3");
	is_str(sk_plan_get(pl, 7)->name, "mkto1._domainkey.acme.example",
	       "order 7");
	ok(finding(pl, "plan-return-path-mx-unknown") == NULL,
	   "return_path_mx given: no finding");
	sk_plan_free(pl);

	/* An empty DNS (a scripted resolver with only the SOA): the same
	 * records, still ADD, zone from SOA. */
	res = script();
	pl = build(res, false);
	ok(pl != NULL, "fresh DNS: plan built");
	if (pl != NULL) {
		is_int(count_action(pl, SK_PLAN_ADD), 8, "fresh DNS: all ADD");
		is_int(sk_findings_max_severity(sk_plan_findings(pl)), -1,
		       "fresh DNS: no findings");
		if (sk_findings_count(sk_plan_findings(pl)) > 0)
			show(pl);
		r = rec(pl, "spf", "acme.example", -1);
		is_str(rd(r), "\"v=spf1 ip4:192.0.2.10 ip4:198.51.100.0/28 "
		       "include:_spf.google.com include:mktomail.com ~all\"",
		       "fresh DNS: SPF");
	}
	sk_plan_free(pl);
	sk_resolver_free(res);
}

/* Everything the acme config wants, published. */
static void
publish_all(struct sk_resolver *r)
{
	char buf[1024];

	add(r, "go.acme.example", SK_DNS_CNAME, "acmecorp.mktoweb.com.");
	add(r, "em.acme.example", SK_DNS_CNAME, "MKTO-A0244.com.");
	txt(r, "acme.example", "v=spf1 ip4:192.0.2.10 ip4:198.51.100.0/28 "
	    "include:_spf.google.com include:mktomail.com ~all");
	add(r, "acme.example", SK_DNS_MX, "10 mail.acme.example.");
	rec1_rdata(buf, sizeof(buf));
	add(r, "mkto1._domainkey.acme.example", SK_DNS_TXT, buf);
	txt(r, "_dmarc.acme.example", "v=DMARC1; p=none; fo=1; "
	    "rua=mailto:dmarc@acme.example");
	txt(r, "bounce.acme.example", "v=spf1 include:mktomail.com -all");
	add(r, "bounce.acme.example", SK_DNS_MX, "10 rp-mx.mktomail.com.");
}

static void
test_published(void)
{
	struct sk_resolver *res = script();
	const struct sk_plan_record *r;
	struct sk_plan *pl;
	char *text = NULL;

	reset();
	publish_all(res);
	pl = build(res, false);
	ok(pl != NULL, "published: plan built");
	if (pl == NULL)
		goto out;
	is_int(sk_plan_changes(pl), 0, "published: zero changes");
	is_int(count_action(pl, SK_PLAN_KEEP), 8, "published: 8 KEEP");
	if (sk_plan_changes(pl) != 0)
		show(pl);
	r = rec(pl, "dmarc", "_dmarc.acme.example", SK_PLAN_KEEP);
	is_str(rd(r), "\"v=DMARC1; p=none; fo=1; "
	       "rua=mailto:dmarc@acme.example\"",
	       "KEEP shows the published rdata (fo=1 kept)");
	r = rec(pl, "tracking", "em.acme.example", SK_PLAN_KEEP);
	ok(r != NULL, "CNAME target compared case-insensitively");
	is_str(r ? r->zone : NULL, "acme.example", "zone from SOA");
	ok(sk_plan_render(pl, SK_PLAN_NSUPDATE, NULL, &text, NULL) ==
	   SK_OK, "render nsupdate");
	is_str(text, "", "nothing to do: empty nsupdate script");
	free(text);
	text = NULL;
	{
		struct sk_plan_render_opts ro = {.include_keep = false};

		ok(sk_plan_render(pl, SK_PLAN_ZONE, &ro, &text, NULL) ==
		   SK_OK, "render zone without keeps");
		is_str(text, "", "nothing to do: empty zone text");
		free(text);
		text = NULL;
	}
	ok(sk_plan_render(pl, SK_PLAN_ZONE, NULL, &text, NULL) == SK_OK,
	   "render zone with keeps");
	ok(text && strstr(text, "; go.acme.example. 3600 IN CNAME "
			  "acmecorp.mktoweb.com.\n") != NULL,
	   "KEEP records are comments");
	ok(text && strstr(text, "\ngo.acme.example.") == NULL,
	   "no record line for a KEEP");
	free(text);
	sk_plan_free(pl);
out:
	sk_resolver_free(res);
}

static void
test_spf_merge(void)
{
	struct sk_resolver *res = script();
	const struct sk_plan_record *r;
	struct sk_plan *pl;

	/* The owner's terms stay in order; the missing ones go before
	 * "-all"; a /24 already covers the /28. */
	reset();
	prof.spf.needed_when = "always";
	txt(res, "acme.example", "v=spf1 mx a:relay.acme.example "
	    "ip4:198.51.100.0/24  -all");
	pl = build(res, false);
	r = rec(pl, "spf", "acme.example", -1);
	ok(r && r->action == SK_PLAN_CHANGE, "merge: CHANGE");
	is_str(rd(r), "\"v=spf1 mx a:relay.acme.example "
	       "ip4:198.51.100.0/24  ip4:192.0.2.10 include:_spf.google.com "
	       "include:mktomail.com -all\"",
	       "merge keeps order and spacing, adds before all");
	is_str(old(r), "\"v=spf1 mx a:relay.acme.example "
	       "ip4:198.51.100.0/24  -all\"", "merge: old rdata");
	ok(r && strstr(r->why, "kept") != NULL, "merge: why says kept");
	ok(finding(pl, "plan-spf-lookups") == NULL, "merge: within limit");
	sk_plan_free(pl);
	sk_resolver_free(res);

	/* With redirect= and no all: before the redirect. */
	res = script();
	reset();
	doms[0].nmail_servers = 0;
	txt(res, "acme.example", "v=spf1 a redirect=_spf.acme.example");
	pl = build(res, false);
	r = rec(pl, "spf", "acme.example", -1);
	is_str(rd(r), "\"v=spf1 a include:_spf.google.com "
	       "include:mktomail.com redirect=_spf.acme.example\"",
	       "merge before redirect=");
	sk_plan_free(pl);
	sk_resolver_free(res);

	/* Two SPF records: the first is merged into, the second goes. */
	res = script();
	reset();
	txt(res, "acme.example", "v=spf1 ip4:192.0.2.10 ~all");
	txt(res, "acme.example", "v=spf1 include:old.example ~all");
	txt(res, "acme.example", "google-site-verification=abc");
	pl = build(res, false);
	r = rec(pl, "spf", "acme.example", SK_PLAN_CHANGE);
	is_str(rd(r), "\"v=spf1 ip4:192.0.2.10 ip4:198.51.100.0/28 "
	       "include:_spf.google.com include:mktomail.com ~all\"",
	       "two SPF: CHANGE the first");
	is_str(old(r), "\"v=spf1 ip4:192.0.2.10 ~all\"",
	       "two SPF: old of the CHANGE");
	r = rec(pl, "spf", "acme.example", SK_PLAN_REMOVE);
	is_str(old(r), "\"v=spf1 include:old.example ~all\"",
	       "two SPF: REMOVE the second");
	ok(r && r->rdata == NULL, "REMOVE has no rdata");
	is_int(count_action(pl, SK_PLAN_REMOVE), 1,
	       "two SPF: the other TXT is left alone");
	sk_plan_free(pl);
	sk_resolver_free(res);
}

static void
test_spf_limit(void)
{
	const struct sk_plan_record *r;
	const struct sk_finding *f;
	struct sk_resolver *res;
	struct sk_plan *pl;
	char name[64], rec10[1024];
	size_t i, off;
	int pass;

	for (pass = 0; pass < 2; pass++) {
		res = script();
		reset();
		prof.spf.needed_when = "always";
		doms[0].nmail_servers = 0;
		doms[0].nspf_includes = 0;
		off = (size_t)snprintf(rec10, sizeof(rec10), "v=spf1");
		for (i = 1; i <= 10; i++) {
			snprintf(name, sizeof(name), "i%zu.example", i);
			txt(res, name, "v=spf1 -all");
			off += (size_t)snprintf(rec10 + off,
						sizeof(rec10) - off,
						" include:%s", name);
		}
		snprintf(rec10 + off, sizeof(rec10) - off, " ~all");
		txt(res, "acme.example", rec10);
		txt(res, "mktomail.com", "v=spf1 ip4:192.0.2.0/24 -all");
		pl = build(res, pass == 1);
		f = finding(pl, "plan-spf-lookups");
		r = rec(pl, "spf", "acme.example", -1);
		if (pass == 0) {
			ok(f && f->severity == SK_SEV_ERROR,
			   "11 lookups: refused (error)");
			ok(f && strstr(f->message, "11") &&
			   strstr(f->message, "include:i1.example costs 1"),
			   "refusal names the count and the costly terms");
			is_str(f ? f->ref : NULL, "RFC 7208 section 4.6.4",
			       "refusal cites RFC 7208 4.6.4");
			ok(r == NULL, "refused: no SPF record planned");
		} else {
			ok(f && f->severity == SK_SEV_WARNING,
			   "no_refuse: a warning only");
			ok(r && r->action == SK_PLAN_CHANGE,
			   "no_refuse: the merge is planned");
			ok(r && r->value &&
			   strstr(r->value, "include:i10.example "
				  "include:mktomail.com ~all") != NULL,
			   "no_refuse: include added before ~all");
		}
		sk_plan_free(pl);
		sk_resolver_free(res);
	}
}

static void
test_cname(void)
{
	struct sk_resolver *res = script();
	const struct sk_plan_record *r;
	struct sk_plan *pl;
	char *text = NULL;
	struct sk_plan_render_opts ro = {.server = "127.0.0.1:5300"};

	/* A CNAME to another target: CHANGE. */
	reset_landing_only();
	add(res, "go.acme.example", SK_DNS_CNAME, "other.mktoweb.com.");
	pl = build(res, false);
	is_int(sk_plan_count(pl), 1, "CNAME wrong: one record");
	r = rec(pl, "landing", "go.acme.example", SK_PLAN_CHANGE);
	is_str(rd(r), "acmecorp.mktoweb.com.", "CNAME wrong: CHANGE to");
	is_str(old(r), "other.mktoweb.com.", "CNAME wrong: from");
	ok(sk_plan_render(pl, SK_PLAN_NSUPDATE, &ro, &text, NULL) == SK_OK,
	   "CNAME wrong: nsupdate");
	is_str(text, "server 127.0.0.1 5300\n"
	       "zone acme.example.\n"
	       "update delete go.acme.example. CNAME other.mktoweb.com.\n"
	       "update add go.acme.example. 3600 CNAME "
	       "acmecorp.mktoweb.com.\n"
	       "send\n", "CNAME wrong: nsupdate text exact");
	free(text);
	text = NULL;
	sk_plan_free(pl);
	sk_resolver_free(res);

	/* Other data at the name: REMOVE each, then ADD. */
	res = script();
	add(res, "go.acme.example", SK_DNS_A, "192.0.2.80");
	add(res, "go.acme.example", SK_DNS_AAAA, "2001:db8::80");
	add(res, "go.acme.example", SK_DNS_TXT, "\"say \\\"hi\\\" \\\\o/\"");
	pl = build(res, false);
	is_int(count_action(pl, SK_PLAN_REMOVE), 3, "siblings: 3 REMOVE");
	r = rec(pl, "landing", "go.acme.example", SK_PLAN_REMOVE);
	is_str(old(r), "192.0.2.80", "siblings: the A record");
	ok(r && strstr(r->why, "RFC 1034 section 3.6.2") != NULL,
	   "siblings: why cites RFC 1034");
	r = rec(pl, "landing", "go.acme.example", SK_PLAN_ADD);
	is_str(rd(r), "acmecorp.mktoweb.com.", "siblings: CNAME ADD");
	ro.tsig = "hmac-sha256:sk-key c2VjcmV0";
	ok(sk_plan_render(pl, SK_PLAN_NSUPDATE, &ro, &text, NULL) == SK_OK,
	   "siblings: nsupdate");
	is_str(text, "server 127.0.0.1 5300\n"
	       "key hmac-sha256:sk-key c2VjcmV0\n"
	       "zone acme.example.\n"
	       "update delete go.acme.example. A 192.0.2.80\n"
	       "update delete go.acme.example. AAAA 2001:db8::80\n"
	       "update delete go.acme.example. TXT \"say \\\"hi\\\" "
	       "\\\\o/\"\n"
	       "update add go.acme.example. 3600 CNAME "
	       "acmecorp.mktoweb.com.\n"
	       "send\n", "siblings: deletions first, TXT escaped");
	free(text);
	text = NULL;
	ok(sk_plan_render(pl, SK_PLAN_ZONE, NULL, &text, NULL) == SK_OK,
	   "siblings: zone");
	ok(text && strstr(text, "; delete: go.acme.example. IN A "
			  "192.0.2.80\n") != NULL,
	   "zone: REMOVE as a comment");
	ok(text && strstr(text, "\ngo.acme.example. 3600 IN CNAME "
			  "acmecorp.mktoweb.com.\n") != NULL,
	   "zone: the CNAME line");
	ok(text && strstr(text, "; ---- zone acme.example.\n") != NULL,
	   "zone: grouped by zone");
	free(text);
	sk_plan_free(pl);
	sk_resolver_free(res);

	/* CAA beside the wanted CNAME goes too, in presentation form. */
	res = script();
	reset_landing_only();
	add(res, "go.acme.example", SK_DNS_CAA, "0 issue \"ca.example\"");
	add(res, "go.acme.example", SK_DNS_MX, "10 MX.Acme.Example.");
	pl = build(res, false);
	r = rec(pl, "landing", "go.acme.example", SK_PLAN_REMOVE);
	ok(r && r->type == SK_DNS_MX, "siblings: MX removed");
	is_str(old(r), "10 MX.Acme.Example.", "siblings: MX rdata as served");
	r = NULL;
	for (size_t i = 0; i < sk_plan_count(pl); i++)
		if (sk_plan_get(pl, i)->type == SK_DNS_CAA)
			r = sk_plan_get(pl, i);
	is_str(old(r), "0 issue \"ca.example\"", "siblings: CAA rdata");
	sk_plan_free(pl);
	sk_resolver_free(res);

	/* A host at the zone apex: no CNAME possible. */
	reset_landing_only();
	cfg.landing_host = "acme.example";
	pl = build(NULL, false);
	ok(finding(pl, "plan-cname-apex") &&
	   finding(pl, "plan-cname-apex")->severity == SK_SEV_ERROR,
	   "apex: error finding");
	is_int(sk_plan_count(pl), 0, "apex: no record");
	sk_plan_free(pl);

	/* Landing and tracking on one host: one CNAME, and an error. */
	reset();
	cfg.tracking_host = "go.acme.example";
	pl = build(NULL, false);
	ok(finding(pl, "plan-hosts-same") &&
	   finding(pl, "plan-hosts-same")->severity == SK_SEV_ERROR,
	   "same host twice: error finding");
	ok(rec(pl, "tracking", "go.acme.example", -1) == NULL,
	   "same host twice: one CNAME only");
	sk_plan_free(pl);

	/* An apex found through SOA, not among the sending domains. */
	res = script();
	reset_landing_only();
	cfg.landing_host = "lp.acme.example";
	add(res, "lp.acme.example", SK_DNS_SOA, SOA);
	pl = build(res, false);
	ok(finding(pl, "plan-cname-apex") != NULL, "apex from SOA");
	sk_plan_free(pl);
	sk_resolver_free(res);
}

static void
test_dkim_dmarc(void)
{
	struct sk_resolver *res = script();
	const struct sk_plan_record *r;
	struct sk_plan *pl;
	char buf[1024];

	reset();
	split_rdata(buf, sizeof(buf), REC2);
	add(res, "mkto1._domainkey.acme.example", SK_DNS_TXT, buf);
	txt(res, "_dmarc.acme.example", "v=DMARC1; p=none; fo=1; adkim=s; "
	    "rua=mailto:old@acme.example");
	doms[0].dmarc_stage = SK_STAGE_QUARANTINE;
	doms[0].dmarc_rua = NULL;
	pl = build(res, false);
	r = rec(pl, "dkim", "mkto1._domainkey.acme.example", -1);
	ok(r && r->action == SK_PLAN_CHANGE, "another key: CHANGE");
	is_str(old(r), buf, "another key: old rdata");
	ok(r && strstr(r->why, "delete the key in the provider first"),
	   "another key: rotation note");
	r = rec(pl, "dmarc", "_dmarc.acme.example", -1);
	ok(r && r->action == SK_PLAN_CHANGE, "DMARC stage: CHANGE");
	is_str(r ? r->value : NULL, "v=DMARC1; p=quarantine; adkim=s; fo=1; "
	       "rua=mailto:old@acme.example",
	       "DMARC: tags the config does not set are kept");
	sk_plan_free(pl);
	sk_resolver_free(res);

	/* Same policy, other order and extra tags: KEEP. */
	res = script();
	reset();
	txt(res, "_dmarc.acme.example", "v=DMARC1; rua=mailto:DMARC@acme."
	    "example; p=none; aspf=r");
	doms[0].dmarc_pct = 50;
	pl = build(res, false);
	r = rec(pl, "dmarc", "_dmarc.acme.example", -1);
	ok(r && r->action == SK_PLAN_CHANGE, "pct differs: CHANGE");
	is_str(r ? r->value : NULL, "v=DMARC1; p=none; aspf=r; pct=50; "
	       "rua=mailto:dmarc@acme.example", "pct below 100 written");
	sk_plan_free(pl);
	doms[0].dmarc_pct = 100;
	pl = build(res, false);
	r = rec(pl, "dmarc", "_dmarc.acme.example", -1);
	ok(r && r->action == SK_PLAN_KEEP, "same p, pct, rua: KEEP");
	sk_plan_free(pl);
	sk_resolver_free(res);

	/* A selector without key: a finding, no record. */
	reset();
	dk[0].record = NULL;
	pl = build(NULL, false);
	ok(finding(pl, "plan-dkim-key-missing") != NULL,
	   "key-less selector: finding");
	ok(rec(pl, "dkim", "mkto1._domainkey.acme.example", -1) == NULL,
	   "key-less selector: no record");
	sk_plan_free(pl);
}

static void
test_return_path_and_reports(void)
{
	static const char *const none[1];
	const struct sk_plan_record *r;
	struct sk_plan *pl;

	/* Shared IPs, no branded return-path: the include the guides ask
	 * for, with why it does not matter for DMARC. */
	reset();
	cfg.ip_mode = SK_IP_SHARED;
	doms[0].return_path = NULL;
	pl = build(NULL, false);
	r = rec(pl, "spf", "acme.example", -1);
	ok(r && strstr(r->value, "include:mktomail.com ~all") != NULL,
	   "shared: the From SPF has the provider include");
	ok(r && strstr(r->why, "Return-Path domain, which is mktomail.com"),
	   "shared: why names the provider's Return-Path domain");
	ok(rec(pl, "return-path-spf", "bounce.acme.example", -1) == NULL,
	   "shared: no return-path records");
	sk_plan_free(pl);

	/* A return-path on shared IPs: warned; no return_path_mx: info. */
	reset();
	cfg.ip_mode = SK_IP_SHARED;
	cfg.return_path_mx = NULL;
	pl = build(NULL, false);
	ok(finding(pl, "plan-return-path-ip-mode") != NULL,
	   "branded return-path on shared IPs: warning");
	ok(finding(pl, "plan-return-path-mx-unknown") &&
	   finding(pl, "plan-return-path-mx-unknown")->severity ==
	   SK_SEV_INFO, "no return_path_mx: info finding");
	ok(rec(pl, "return-path-mx", "bounce.acme.example", -1) == NULL,
	   "no return_path_mx: no MX record");
	sk_plan_free(pl);

	/* needed_when=always: the From SPF gets the include too. */
	reset();
	prof.spf.needed_when = "always";
	pl = build(NULL, false);
	r = rec(pl, "spf", "acme.example", -1);
	ok(r && strstr(r->value, "include:mktomail.com ~all") != NULL,
	   "always: From SPF includes the provider");
	sk_plan_free(pl);

	/* Reports to another organizational domain the config manages. */
	reset();
	doms[0].dmarc_rua = "mailto:dmarc@reports.acmemail.example, "
			    "mailto:agg@vendor.example";
	doms[1].name = "acmemail.example";
	doms[1].from = false;
	doms[1].mail_servers = none;
	cfg.ndomains = 2;
	pl = build(NULL, false);
	r = rec(pl, "dmarc-report-auth",
		"acme.example._report._dmarc.reports.acmemail.example", -1);
	is_str(rd(r), "\"v=DMARC1\"", "report authorization TXT");
	is_str(r ? r->zone : NULL, "acmemail.example",
	       "report authorization zone");
	ok(finding(pl, "plan-dmarc-report-external") != NULL,
	   "external destination: info finding");
	r = rec(pl, "dmarc", "_dmarc.acme.example", -1);
	is_str(r ? r->value : NULL, "v=DMARC1; p=none; rua=mailto:dmarc@"
	       "reports.acmemail.example,mailto:agg@vendor.example",
	       "rua list in the DMARC record");
	sk_plan_free(pl);
}

static void
test_dns_failure(void)
{
	struct sk_resolver *res = script();
	const struct sk_plan_record *r;
	const struct sk_finding *f;
	struct sk_plan *pl;

	reset();
	publish_all(res);
	if (sk_resolver_script_fail(res, "_dmarc.acme.example", 0,
				    "SERVFAIL", NULL) != SK_OK)
		printf("# cannot script failure\n");
	pl = build(res, false);
	f = finding(pl, "plan-dns-failure");
	ok(f && f->severity == SK_SEV_WARNING, "DNS failure: warning");
	ok(f && strstr(f->message, "_dmarc.acme.example") &&
	   strstr(f->message, "SERVFAIL"), "DNS failure names question");
	r = rec(pl, "dmarc", "_dmarc.acme.example", -1);
	ok(r && r->action == SK_PLAN_ADD, "DNS failure: stays ADD");
	is_int(sk_plan_changes(pl), 1, "DNS failure: other records KEEP");
	ok(finding(pl, "plan-dns-unreachable") == NULL,
	   "one failure is not unreachable");
	sk_plan_free(pl);
	sk_resolver_free(res);
}

static void
test_txt_form(void)
{
	struct sk_buf b;
	char big[600], want[700];

	sk__buf_init(&b, 4096);
	ok(sk__plan_txt_rdata(&b, "a\"b\\c\x01", 6) == SK_OK, "txt rdata");
	is_str(b.p, "\"a\\\"b\\\\c\\001\"", "RFC 1035 5.1 escapes");
	sk__buf_reset(&b);
	ok(sk__plan_txt_rdata(&b, "", 0) == SK_OK, "empty txt");
	is_str(b.p, "\"\"", "empty TXT is one empty string");
	sk__buf_reset(&b);
	memset(big, 'x', 510);
	big[510] = '\0';
	ok(sk__plan_txt_rdata(&b, big, 510) == SK_OK, "510 bytes");
	snprintf(want, sizeof(want), "\"%.255s\" \"%.255s\"", big, big);
	is_str(b.p, want, "510 bytes: exactly two strings of 255");
	sk__buf_reset(&b);
	/* The escape does not count against the 255 bytes of a string. */
	memset(big, 'y', 256);
	big[254] = '"';
	big[256] = '\0';
	ok(sk__plan_txt_rdata(&b, big, 256) == SK_OK, "256 bytes");
	snprintf(want, sizeof(want), "\"%.254s\\\"\" \"y\"", big);
	is_str(b.p, want, "split counts bytes, not escapes");
	sk__buf_free(&b);
}

static void
test_server_line(void)
{
	struct sk_plan *pl;
	struct sk_plan_render_opts ro = {.server = "[::1]:5353"};
	char *text = NULL;

	reset_landing_only();
	pl = build(NULL, false);
	ok(sk_plan_render(pl, SK_PLAN_NSUPDATE, &ro, &text, NULL) == SK_OK,
	   "IPv6 server");
	ok(text && strncmp(text, "server ::1 5353\nzone acme.example.\n",
			   34) == 0, "[::1]:5353 -> server ::1 5353");
	free(text);
	text = NULL;
	ro.server = "192.0.2.53";
	ok(sk_plan_render(pl, SK_PLAN_NSUPDATE, &ro, &text, NULL) == SK_OK,
	   "server without port");
	ok(text && strncmp(text, "server 192.0.2.53\n", 18) == 0,
	   "server line without port");
	free(text);
	text = NULL;
	ro.server = "192.0.2.53:";
	ok(sk_plan_render(pl, SK_PLAN_NSUPDATE, &ro, &text, NULL) ==
	   SK_EINVAL, "empty port refused");
	ro.server = NULL;
	ro.tsig = "hmac-sha256:k\nsend";
	ok(sk_plan_render(pl, SK_PLAN_NSUPDATE, &ro, &text, NULL) ==
	   SK_EINVAL, "newline in the key spec refused");
	sk_plan_free(pl);
}

/* Every allocation failing in turn: SK_ENOMEM, never a crash or leak
 * (the ASan build checks the leaks). */
static void
test_alloc_failures(void)
{
	struct sk_resolver *res = script();
	struct sk_plan *pl;
	sk_status st;
	size_t n;
	int bad = 0, pass;
	char *t;

	reset();
	publish_all(res);
	txt(res, "acme.example", "v=spf1 include:second.example ~all");
	for (pass = 0; pass < 2; pass++) {
		st = SK_ENOMEM;
		for (n = 0; n < 50000 && st == SK_ENOMEM; n++) {
			pl = NULL;
			sk_test_fail_alloc_after(n);
			st = sk_plan_build(pass ? res : NULL, &prof, &cfg,
					   NULL, &pl, NULL);
			sk_test_fail_alloc_after(SIZE_MAX);
			if ((st != SK_OK && st != SK_ENOMEM) ||
			    (st == SK_OK) != (pl != NULL))
				bad++;
			if (st == SK_OK) {
				t = NULL;
				sk_test_fail_alloc_after(n / 8);
				if (sk_plan_render(pl, SK_PLAN_ZONE, NULL, &t,
						   NULL) == SK_OK)
					free(t);
				sk_test_fail_alloc_after(SIZE_MAX);
			}
			sk_plan_free(pl);
		}
		is_int(bad, 0, "allocation failures (%s): SK_ENOMEM or "
		       "success only", pass ? "DNS" : "offline");
		is_int(st, SK_OK, "allocation failures (%s): succeeds "
		       "after %zu", pass ? "DNS" : "offline", n);
	}
	sk_resolver_free(res);
}

int
main(void)
{
	tap_plan_unknown();
	test_fresh();
	test_published();
	test_spf_merge();
	test_spf_limit();
	test_cname();
	test_dkim_dmarc();
	test_return_path_and_reports();
	test_dns_failure();
	test_txt_form();
	test_server_line();
	test_alloc_failures();
	return tap_done();
}
