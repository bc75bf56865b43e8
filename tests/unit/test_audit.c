/*
 * tests/unit/test_audit.c - the audit (lib/audit) over a scripted
 * resolver, with the Marketo profile of data/profiles/marketo.ini.
 *
 * A correct organization first: only the info finding every org that
 * follows Adobe's SPF template gets (spf-include-unneeded).  Then one
 * breakage at a time, each asserting the EXACT set of failing check ids
 * (with severities where they matter), DNS failures reported as DNSFAIL
 * and never as "missing", the DMARC forecast in its three outcomes, the
 * report order, and allocation failures at every point of a full run.
 *
 * Usage: test_audit SOURCE_ROOT
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <senderkit/audit.h>

#include "tap.h"

/* 2026-12-01 00:00:00 UTC: a week after the profile's lists. */
#define NOW ((time_t)1796083200)

static char profile_path[4096];
static struct sk_profile *prof;

/* Keys made with `senderkit dkim keygen` (public halves only). */
#define KEY2048 "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAvUcMQ/EiSVdkJr0" \
	"yYAngRCcim+bShxz+tuqkzr4FY6kFUxmGg88qVITd94EhudizrszKdTaFhCj6P2WR" \
	"hWl3KZZMQFJtIleWvIoNJLBt+yVw4jmVkXFnbrxaP02Emv8xT6+fe+gqma6Ozx+aIb" \
	"4dOf20KguJPGXpGKeezXITQlpinECzuha9udWsRc849XXfREISCmQqv2JoqRbuOrhI" \
	"Pags8832A4o5HcpnnTviFF8IbQzKi4qytw2kQiyEgKYSC4eVzFSKpZy3+Fb+LRCufr" \
	"WXLKxPfI9ViHlAIcYNg40u4cF+REsQMi0p+rsfPEABZ9QFsxGto4azoRTx6NjvkwID" \
	"AQAB"
#define KEY2048B "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAnEeCQJFAKxq5S" \
	"F2zkBMsJacqt2aPMpoqM8tQgXyvtmobeO27t5Q6B1LhwV957SI9ndXigR7Ydv7GlZp" \
	"GvHE1EEWUnmiWTY3RkyX8iBSahDhTXPnC6vLDfatUTuV1DgelI3aVfMlcYZ5/3J21w" \
	"KgVOyjvwsDtIdaKaWjz3QVt0nYaNrbSYK15HPraTlH9XBHmuuXdS3HsP2bpUeq7Spu" \
	"Szer0TX006rIVpWy7eOSwifBepFsvALY5WYUi2kyCkOG0cejzc1d1FzOQYtVV2mKDT" \
	"6z1UmqxuPU7Q9eqNxLAwv5WqA26+Iy7rT3kGf/qSwDtSZ4dSL38tdE01lkGWkVDXwI" \
	"DAQAB"
#define KEY1024 "MIGfMA0GCSqGSIb3DQEBAQUAA4GNADCBiQKBgQDOAu6z1+aJ0ckex/BMKn" \
	"nnrxJ5XJ9hIUEb66C7Byq42by9UZoXs7H7PoKOgtRmAYp6m8donIKhJ3NueFa57PH/" \
	"HE8fAVbT7rULC954URkkViBfrG68XH5l0jgJVeXXjRal9069ZJeLqr4VFrS82MYbyv" \
	"qdiC8ANRABDq3OqulUQQIDAQAB"

/* The profile's nine sending blocks, as the test mktomail.com publishes
 * them. */
#define MKTO_SPF "v=spf1 ip4:94.236.119.0/26 ip4:103.237.104.0/22 " \
	"ip4:130.248.172.0/24 ip4:130.248.173.0/24 ip4:130.248.244.88/29 " \
	"ip4:185.28.196.0/22 ip4:192.28.144.0/20 ip4:192.28.160.0/19 " \
	"ip4:199.15.212.0/22 ~all"

/* ------------------------------------------------------------ helpers */

/* An organization: config text and the DNS the test publishes. */
struct org {
	char conf[8192];
	size_t nconf;
	struct sk_resolver *r;
	int failed; /* a setup step failed */
};

static void
conf_add(struct org *o, const char *s)
{
	size_t n = strlen(s);

	if (o->nconf + n + 1 >= sizeof(o->conf)) {
		o->failed = 1;
		return;
	}
	memcpy(o->conf + o->nconf, s, n + 1);
	o->nconf += n;
}

/* Replace the first `old` of the config text by `new`. */
static void
conf_replace(struct org *o, const char *old, const char *new)
{
	char *at = strstr(o->conf, old);
	size_t ol = strlen(old), nl = strlen(new);

	if (at == NULL || o->nconf - ol + nl + 1 >= sizeof(o->conf)) {
		printf("# conf_replace: %s not found\n", old);
		o->failed = 1;
		return;
	}
	memmove(at + nl, at + ol, strlen(at + ol) + 1);
	memcpy(at, new, nl);
	o->nconf = o->nconf - ol + nl;
}

static void
dns(struct org *o, const char *name, uint16_t type, const char *rdata)
{
	struct sk_err err;

	if (sk_resolver_script_add(o->r, name, type, rdata, &err) != SK_OK) {
		printf("# script_add %s %s: %s\n", name, rdata, err.msg);
		o->failed = 1;
	}
}

/* A TXT record from raw text, split in strings of 255 bytes. */
static void
txt(struct org *o, const char *name, const char *text)
{
	const char *s[16];
	size_t l[16], n = 0, len = strlen(text), i;
	struct sk_err err;

	for (i = 0; i < len && n < 16; i += 255) {
		s[n] = text + i;
		l[n] = len - i > 255 ? 255 : len - i;
		n++;
	}
	if (sk_resolver_script_add_txt(o->r, name, SK_DNS_TXT, s, l, n,
				       &err) != SK_OK) {
		printf("# script_add_txt %s: %s\n", name, err.msg);
		o->failed = 1;
	}
}

static void
fail_dns(struct org *o, const char *name, uint16_t type, const char *why)
{
	if (sk_resolver_script_fail(o->r, name, type, why, NULL) != SK_OK)
		o->failed = 1;
}

/* What org_base() sets up, so tests can change one piece. */
enum {
	B_NO_SPF = 1u << 0,       /* no SPF at acme.example */
	B_NO_DKIM = 1u << 1,      /* no record at mkto1._domainkey */
	B_NO_DMARC = 1u << 2,     /* no _dmarc.acme.example */
	B_NO_MX = 1u << 3,        /* no MX at acme.example */
	B_NO_HOSTS = 1u << 4,     /* no landing/tracking CNAMEs */
	B_NO_SELCONF = 1u << 5,   /* config without dkim_selectors */
	B_NO_MKTO = 1u << 6,      /* no SPF at mktomail.com */
};

/* A correct organization on shared IPs (the config is completed by the
 * caller with conf_add before run()). */
static void
org_base(struct org *o, unsigned skip)
{
	struct sk_err err;

	memset(o, 0, sizeof(*o));
	if (sk_resolver_new_script(&o->r, &err) != SK_OK) {
		o->failed = 1;
		return;
	}
	conf_add(o,
		 "[organization]\n"
		 "name = Acme Test\n"
		 "profile = marketo\n"
		 "monthly_volume = 40000\n"
		 "[provider]\n"
		 "munchkin_id = 123-ABC-456\n"
		 "account_string = acmecorp\n"
		 "default_branding_domain = mkto-a0244.com\n"
		 "[hosts]\n"
		 "landing_host = go.acme.example\n"
		 "tracking_host = em.acme.example\n"
		 "[domain acme.example]\n"
		 "mail_servers = 192.0.2.10\n"
		 "mx = 10 mail.acme.example\n"
		 "dmarc = none\n"
		 "dmarc_rua = mailto:dmarc@acme.example\n");
	if (!(skip & B_NO_SELCONF))
		conf_add(o, "dkim_selectors = mkto1\n"
			 "dkim_key.mkto1 = " KEY2048 "\n");
	dns(o, "acme.example", SK_DNS_SOA,
	    "ns1.acme.example. hostmaster.acme.example. 1 7200 3600 "
	    "1209600 300");
	dns(o, "acme.example", SK_DNS_NS, "ns1.acme.example.");
	dns(o, "ns1.acme.example", SK_DNS_A, "127.0.0.1");
	if (!(skip & B_NO_HOSTS)) {
		dns(o, "go.acme.example", SK_DNS_CNAME,
		    "acmecorp.mktoweb.com.");
		dns(o, "em.acme.example", SK_DNS_CNAME, "mkto-a0244.com.");
	}
	if (!(skip & B_NO_SPF))
		txt(o, "acme.example", "v=spf1 ip4:192.0.2.10 "
		    "include:mktomail.com ~all");
	if (!(skip & B_NO_DKIM))
		txt(o, "mkto1._domainkey.acme.example",
		    "v=DKIM1; k=rsa; p=" KEY2048);
	if (!(skip & B_NO_DMARC))
		txt(o, "_dmarc.acme.example",
		    "v=DMARC1; p=none; rua=mailto:dmarc@acme.example");
	if (!(skip & B_NO_MX))
		dns(o, "acme.example", SK_DNS_MX, "10 mail.acme.example.");
	dns(o, "mail.acme.example", SK_DNS_A, "192.0.2.25");
	if (!(skip & B_NO_MKTO))
		txt(o, "mktomail.com", MKTO_SPF);
}

/* org_base(skip) with a branded return-path, bounce.acme.example, whose
 * MX is Marketo's bounce host (trusted IP mode) and whose SPF is spf. */
static void
branded_rp(struct org *o, unsigned skip, const char *spf)
{
	org_base(o, skip);
	conf_add(o, "return_path = bounce.acme.example\n");
	conf_replace(o, "monthly_volume = 40000", "ip_mode = trusted");
	dns(o, "bounce.acme.example", SK_DNS_MX, "10 rp.mktomail.com.");
	dns(o, "rp.mktomail.com", SK_DNS_A, "192.0.2.99");
	txt(o, "bounce.acme.example", spf);
}

struct result {
	struct sk_audit *a;
	sk_status st;
	char fails[2048];   /* "id:sev id:sev ..." sorted, deduplicated */
	char dnsfails[1024];
};

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The sorted, unique "id:severity" of the checks with a status. */
static void
id_set(const struct sk_audit *a, enum sk_check_status s, bool sev,
       char *out, size_t outsz)
{
	char items[256][64];
	const char *p[256];
	size_t n = 0, o = 0;

	out[0] = '\0';
	for (size_t i = 0; i < sk_audit_count(a) && n < 256; i++) {
		const struct sk_check *c = sk_audit_get(a, i);

		if (c->status != s)
			continue;
		if (sev)
			snprintf(items[n], sizeof(items[n]), "%s:%s", c->id,
				 sk_severity_str(c->severity));
		else
			snprintf(items[n], sizeof(items[n]), "%s", c->id);
		p[n] = items[n];
		n++;
	}
	qsort(p, n, sizeof(p[0]), cmp_str);
	for (size_t i = 0; i < n; i++) {
		if (i > 0 && strcmp(p[i], p[i - 1]) == 0)
			continue;
		o += (size_t)snprintf(out + o, outsz - o, "%s%s",
				      o ? " " : "", p[i]);
		if (o >= outsz)
			break;
	}
}

static void
dump(const struct sk_audit *a)
{
	for (size_t i = 0; i < sk_audit_count(a); i++) {
		const struct sk_check *c = sk_audit_get(a, i);

		if (c->status == SK_CHECK_PASS)
			continue;
		printf("#   %-7s %-7s %-22s %s: %s\n",
		       sk_check_status_str(c->status),
		       sk_severity_str(c->severity), c->id, c->subject,
		       c->message);
		if (c->evidence[0] != '\0')
			printf("#       seen: %.300s\n", c->evidence);
		if (c->fix[0] != '\0')
			printf("#       fix:  %.300s\n", c->fix);
	}
}

static void
run_opts(struct org *o, struct result *res, const struct sk_audit_opts *op)
{
	struct sk_org_config *c = NULL;
	struct sk_audit_opts opts;
	struct sk_err err;

	memset(res, 0, sizeof(*res));
	res->st = SK_EINTERNAL;
	if (o->failed) {
		printf("# setup failed\n");
		return;
	}
	if (sk_config_load_mem(o->conf, o->nconf, "test.conf", &c, &err) !=
	    SK_OK) {
		printf("# config: %s\n", err.msg);
		return;
	}
	if (op != NULL) {
		opts = *op;
	} else {
		memset(&opts, 0, sizeof(opts));
	}
	if (opts.now == 0)
		opts.now = NOW;
	res->st = sk_audit_run(o->r, prof, c, &opts, &res->a, &err);
	if (res->st != SK_OK)
		printf("# audit: %s\n", err.msg);
	else {
		id_set(res->a, SK_CHECK_FAIL, true, res->fails,
		       sizeof(res->fails));
		id_set(res->a, SK_CHECK_DNSFAIL, false, res->dnsfails,
		       sizeof(res->dnsfails));
	}
	sk_config_free(c);
}

static void
run(struct org *o, struct result *res)
{
	run_opts(o, res, NULL);
}

static void
done(struct org *o, struct result *res)
{
	sk_audit_free(res->a);
	sk_resolver_free(o->r);
}

/* The check with this id and subject (NULL: any subject). */
static const struct sk_check *
find(const struct sk_audit *a, const char *id, const char *subject)
{
	for (size_t i = 0; i < sk_audit_count(a); i++) {
		const struct sk_check *c = sk_audit_get(a, i);

		if (strcmp(c->id, id) == 0 &&
		    (subject == NULL || strcmp(c->subject, subject) == 0))
			return c;
	}
	return NULL;
}

#define UNNEEDED "spf-include-unneeded:info"

/* Run and compare the failing set; dump the checks on a mismatch. */
#define expect_fails(o, res, want, name)                                  \
	do {                                                              \
		run((o), (res));                                          \
		is_int((res)->st, SK_OK, "%s: audit runs", (name));       \
		is_str((res)->fails, (want), "%s: failing ids", (name));  \
		if ((res)->a != NULL && strcmp((res)->fails, (want)) != 0) \
			dump((res)->a);                                   \
	} while (0)

/* ------------------------------------------------------------- tests */

static void
test_correct(void)
{
	struct org o;
	struct result res;
	const struct sk_check *c;

	org_base(&o, 0);
	expect_fails(&o, &res, UNNEEDED, "correct org");
	is_int(sk_audit_max_severity(res.a), SK_SEV_INFO,
	       "correct org: highest failing severity is info");
	is_str(res.dnsfails, "", "correct org: no DNS failure");
	ok(sk_audit_nstatus(res.a, SK_CHECK_PASS) > 40,
	   "correct org: %zu checks pass",
	   sk_audit_nstatus(res.a, SK_CHECK_PASS));
	c = find(res.a, "host-cname-target", "go.acme.example");
	ok(c != NULL && c->status == SK_CHECK_PASS,
	   "landing CNAME target passes");
	c = find(res.a, "spf-sending-ip", "acme.example");
	ok(c != NULL && c->status == SK_CHECK_PASS,
	   "every sending block passes SPF for acme.example");
	c = find(res.a, "dmarc-forecast", "acme.example");
	ok(c != NULL && c->status == SK_CHECK_PASS &&
	   strstr(c->message, "through DKIM") != NULL,
	   "forecast: passes through DKIM (%s)", c ? c->message : "");
	c = find(res.a, "dkim-ns-disagree", NULL);
	ok(c != NULL && c->status == SK_CHECK_SKIP &&
	   strstr(c->message, "offline") != NULL,
	   "per-NS DKIM check is SKIP without query_each_ns");
	c = find(res.a, "profile-spf-drift", "sending_cidrs");
	ok(c != NULL && c->status == SK_CHECK_SKIP,
	   "drift not compared unless asked");
	c = find(res.a, "spf-include-unneeded", "acme.example");
	ok(c != NULL && strstr(c->fix, "acme.example. IN TXT \"v=spf1 "
			       "ip4:192.0.2.10 ~all\"") != NULL,
	   "unneeded include: the fix is the record without it (%s)",
	   c ? c->fix : "");
	/* Strings are never NULL; sources are filled for every check. */
	for (size_t i = 0; i < sk_audit_count(res.a); i++) {
		c = sk_audit_get(res.a, i);
		if (c->id == NULL || c->subject == NULL || c->message == NULL ||
		    c->evidence == NULL || c->fix == NULL ||
		    c->source == NULL || c->group == NULL ||
		    c->message[0] == '\0' || c->subject[0] == '\0') {
			ok(0, "check %zu (%s) has all its strings", i,
			   c->id ? c->id : "?");
			break;
		}
	}
	ok(sk_audit_get(res.a, sk_audit_count(res.a)) == NULL,
	   "sk_audit_get out of range gives NULL");
	done(&o, &res);
}

static void
test_order(void)
{
	static const char *const groups[] = {
		"provider", "hosts", "spf", "dkim", "dmarc", "mx",
		"return-path",
	};
	struct org o;
	struct result res;
	int last = -1, bad = 0;
	size_t checks = 0;

	org_base(&o, 0);
	conf_add(&o, "return_path = bounce.acme.example\n");
	dns(&o, "bounce.acme.example", SK_DNS_MX, "10 rp.mktomail.com.");
	txt(&o, "bounce.acme.example", "v=spf1 include:mktomail.com -all");
	run(&o, &res);
	for (size_t i = 0; i < sk_audit_count(res.a); i++) {
		const struct sk_check *c = sk_audit_get(res.a, i);
		int g = -1;

		for (int k = 0; k < 7; k++)
			if (strcmp(c->group, groups[k]) == 0)
				g = k;
		if (g < last || g < 0)
			bad++;
		last = g;
		checks++;
		if (c->status == SK_CHECK_FAIL && c->severity > SK_SEV_ERROR)
			bad++;
	}
	is_int(bad, 0, "checks come grouped in report order (%zu checks)",
	       checks);
	ok(find(res.a, "return-path-mx", "bounce.acme.example") != NULL &&
	   strcmp(find(res.a, "return-path-mx", NULL)->group,
		  "return-path") == 0,
	   "return-path checks are in the return-path group");
	done(&o, &res);
}

static void
test_hosts(void)
{
	struct org o;
	struct result res;
	const struct sk_check *c;

	/* Wrong CNAME target. */
	org_base(&o, B_NO_HOSTS);
	dns(&o, "go.acme.example", SK_DNS_CNAME, "pages.other.example.");
	dns(&o, "em.acme.example", SK_DNS_CNAME, "mkto-a0244.com.");
	expect_fails(&o, &res, "host-cname-target:error " UNNEEDED,
		     "wrong CNAME target");
	c = find(res.a, "host-cname-target", "go.acme.example");
	ok(c != NULL && strstr(c->fix, "go.acme.example. IN CNAME "
			       "acmecorp.mktoweb.com.") != NULL &&
	   strstr(c->evidence, "pages.other.example") != NULL,
	   "wrong target: evidence and exact fix (%s)", c ? c->fix : "");
	done(&o, &res);

	/* A chain that reaches the target passes. */
	org_base(&o, B_NO_HOSTS);
	dns(&o, "go.acme.example", SK_DNS_CNAME, "lp.acme.example.");
	dns(&o, "lp.acme.example", SK_DNS_CNAME, "acmecorp.mktoweb.com.");
	dns(&o, "em.acme.example", SK_DNS_CNAME, "mkto-a0244.com.");
	expect_fails(&o, &res, UNNEEDED, "CNAME chain to the target");
	c = find(res.a, "host-cname-target", "go.acme.example");
	ok(c != NULL && c->status == SK_CHECK_PASS &&
	   strstr(c->evidence, "lp.acme.example") != NULL,
	   "chain: evidence lists the links (%s)", c ? c->evidence : "");
	done(&o, &res);

	/* No CNAME, an A record instead. */
	org_base(&o, B_NO_HOSTS);
	dns(&o, "go.acme.example", SK_DNS_A, "192.0.2.80");
	dns(&o, "em.acme.example", SK_DNS_CNAME, "mkto-a0244.com.");
	expect_fails(&o, &res, "host-cname-missing:error " UNNEEDED,
		     "no CNAME");
	c = find(res.a, "host-cname-missing", "go.acme.example");
	ok(c != NULL && strstr(c->evidence, "A 192.0.2.80") != NULL &&
	   strstr(c->fix, "delete the other records") != NULL,
	   "no CNAME: the A record is in evidence and fix");
	c = find(res.a, "host-cname-target", "go.acme.example");
	ok(c != NULL && c->status == SK_CHECK_SKIP,
	   "no CNAME: host-cname-target is SKIP");
	done(&o, &res);

	/* CNAME wanted at a zone apex: the landing host is the sending
	 * domain (it has SOA, NS, MX...). */
	org_base(&o, 0);
	conf_replace(&o, "landing_host = go.acme.example",
		     "landing_host = acme.example");
	expect_fails(&o, &res, "host-cname-apex:error " UNNEEDED,
		     "CNAME at apex");
	done(&o, &res);

	/* Apex by SOA only (not a config domain). */
	org_base(&o, B_NO_HOSTS);
	dns(&o, "go.acme.example", SK_DNS_SOA, "ns1.acme.example. h.acme."
	    "example. 1 2 3 4 5");
	dns(&o, "em.acme.example", SK_DNS_CNAME, "mkto-a0244.com.");
	expect_fails(&o, &res, "host-cname-apex:error " UNNEEDED,
		     "host with its own SOA");
	done(&o, &res);

	/* Same host twice, a flagged prefix. */
	org_base(&o, B_NO_HOSTS);
	conf_replace(&o, "tracking_host = em.acme.example",
		     "tracking_host = go.acme.example");
	dns(&o, "go.acme.example", SK_DNS_CNAME, "acmecorp.mktoweb.com.");
	run(&o, &res);
	c = find(res.a, "host-distinct", NULL);
	ok(c != NULL && c->status == SK_CHECK_FAIL &&
	   c->severity == SK_SEV_ERROR, "landing == tracking: host-distinct "
	   "fails (error)");
	done(&o, &res);

	org_base(&o, B_NO_HOSTS);
	conf_replace(&o, "tracking_host = em.acme.example",
		     "tracking_host = tk.acme.example");
	dns(&o, "go.acme.example", SK_DNS_CNAME, "acmecorp.mktoweb.com.");
	dns(&o, "tk.acme.example", SK_DNS_CNAME, "mkto-a0244.com.");
	expect_fails(&o, &res, UNNEEDED, "tracking host tk.* is fine");
	done(&o, &res);

	org_base(&o, B_NO_HOSTS);
	conf_replace(&o, "tracking_host = em.acme.example",
		     "tracking_host = track.acme.example");
	dns(&o, "go.acme.example", SK_DNS_CNAME, "acmecorp.mktoweb.com.");
	dns(&o, "track.acme.example", SK_DNS_CNAME, "mkto-a0244.com.");
	expect_fails(&o, &res, "host-name-avoid:warning " UNNEEDED,
		     "tracking host track.*");
	done(&o, &res);
}

static void
test_hosts_unset(void)
{
	struct org o;
	struct result res;
	const struct sk_check *c;

	org_base(&o, B_NO_HOSTS);
	conf_replace(&o, "landing_host", "#landing_host");
	conf_replace(&o, "tracking_host", "#tracking_host");
	expect_fails(&o, &res, UNNEEDED, "no hosts configured");
	c = find(res.a, "host-cname-missing", "landing_host");
	ok(c != NULL && c->status == SK_CHECK_SKIP,
	   "unset landing host: its checks are SKIP");
	done(&o, &res);
}

static void
test_spf(void)
{
	struct org o;
	struct result res;
	const struct sk_check *c;
	char rec[1024];
	size_t n;

	/* No SPF. */
	org_base(&o, B_NO_SPF);
	expect_fails(&o, &res, "spf-missing:error", "no SPF");
	c = find(res.a, "spf-missing", "acme.example");
	ok(c != NULL && strstr(c->fix, "acme.example. IN TXT \"v=spf1 "
			       "ip4:192.0.2.10 ~all\"") != NULL,
	   "no SPF: the fix is a new record (%s)", c ? c->fix : "");
	c = find(res.a, "spf-lookups", "acme.example");
	ok(c != NULL && c->status == SK_CHECK_SKIP,
	   "no SPF: the checks reading it are SKIP");
	done(&o, &res);

	/* Two SPF records. */
	org_base(&o, 0);
	txt(&o, "acme.example", "v=spf1 mx -all");
	expect_fails(&o, &res, "spf-multiple:error", "two SPF records");
	done(&o, &res);

	/* "include: mktomail.com" as Adobe's pages print it. */
	org_base(&o, B_NO_SPF);
	txt(&o, "acme.example", "v=spf1 ip4:192.0.2.10 include: mktomail.com "
	    "~all");
	expect_fails(&o, &res, "spf-include-space:error",
		     "include with a space");
	c = find(res.a, "spf-include-space", "acme.example");
	ok(c != NULL && strstr(c->fix, "\"v=spf1 ip4:192.0.2.10 "
			       "include:mktomail.com ~all\"") != NULL,
	   "include space: the fix is the corrected record (%s)",
	   c ? c->fix : "");
	c = find(res.a, "spf-syntax", "acme.example");
	ok(c != NULL && c->status == SK_CHECK_SKIP,
	   "include space: spf-syntax defers to spf-include-space");
	done(&o, &res);

	/* Another syntax error. */
	org_base(&o, B_NO_SPF);
	txt(&o, "acme.example", "v=spf1 ip4:192.0.2.300 ~all");
	expect_fails(&o, &res, "spf-syntax:error", "syntax error");
	done(&o, &res);

	/* Without the include on a plain From domain: a warning. */
	org_base(&o, B_NO_SPF);
	txt(&o, "acme.example", "v=spf1 ip4:192.0.2.10 ~all");
	expect_fails(&o, &res, "spf-include-missing:warning",
		     "no include on a From domain");
	c = find(res.a, "spf-include-missing", "acme.example");
	ok(c != NULL && strstr(c->message, "does not affect DMARC") != NULL,
	   "no include: the message explains DMARC is not affected");
	ok(c != NULL && strstr(c->fix, "include:mktomail.com ~all") != NULL,
	   "no include: the fix merges the include (%s)", c ? c->fix : "");
	c = find(res.a, "spf-sending-ip", "acme.example");
	ok(c != NULL && c->status == SK_CHECK_SKIP,
	   "no include: sending blocks not tested on the From domain");
	done(&o, &res);

	/* Nested include counts. */
	org_base(&o, B_NO_SPF);
	txt(&o, "acme.example", "v=spf1 include:_spf.acme.example ~all");
	txt(&o, "_spf.acme.example", "v=spf1 ip4:192.0.2.10 "
	    "include:mktomail.com ~all");
	expect_fails(&o, &res, UNNEEDED, "nested include");
	c = find(res.a, "spf-include-unneeded", "acme.example");
	ok(c != NULL && strstr(c->fix, "nested") != NULL,
	   "nested include: nothing to drop in the top record");
	done(&o, &res);

	/* 11 lookups (mktomail.com first, so the sending blocks still
	 * pass before the limit). */
	org_base(&o, B_NO_SPF);
	n = (size_t)snprintf(rec, sizeof(rec), "v=spf1 include:mktomail.com");
	for (int i = 1; i <= 10; i++) {
		char name[64];

		n += (size_t)snprintf(rec + n, sizeof(rec) - n,
				      " include:s%d.acme.example", i);
		snprintf(name, sizeof(name), "s%d.acme.example", i);
		txt(&o, name, "v=spf1 ip4:198.51.100.1 -all");
	}
	snprintf(rec + n, sizeof(rec) - n, " ~all");
	txt(&o, "acme.example", rec);
	expect_fails(&o, &res, UNNEEDED " spf-lookups:error", "11 lookups");
	c = find(res.a, "spf-lookups", "acme.example");
	ok(c != NULL && strstr(c->evidence, "11 lookups") != NULL,
	   "11 lookups: the count is in the evidence (%s)",
	   c ? c->evidence : "");
	done(&o, &res);

	/* Three void lookups. */
	org_base(&o, B_NO_SPF);
	txt(&o, "acme.example", "v=spf1 a:v1.acme.example a:v2.acme.example "
	    "a:v3.acme.example include:mktomail.com ~all");
	expect_fails(&o, &res, UNNEEDED " spf-void-lookups:error",
		     "three void lookups");
	done(&o, &res);

	/* ?all and +all. */
	org_base(&o, B_NO_SPF);
	txt(&o, "acme.example", "v=spf1 include:mktomail.com ?all");
	expect_fails(&o, &res, "spf-all:warning " UNNEEDED, "?all");
	c = find(res.a, "spf-all", "acme.example");
	ok(c != NULL && strstr(c->fix, "include:mktomail.com ~all\"") != NULL,
	   "?all: the fix ends in ~all (%s)", c ? c->fix : "");
	done(&o, &res);

	/* An include without a record. */
	org_base(&o, B_NO_SPF);
	txt(&o, "acme.example", "v=spf1 include:mktomail.com "
	    "include:gone.acme.example ~all");
	expect_fails(&o, &res, "spf-include-broken:error " UNNEEDED,
		     "include of a name without SPF");
	done(&o, &res);
}

static void
test_return_path(void)
{
	struct org o;
	struct result res;
	const struct sk_check *c;

	/* Branded return-path on trusted IPs, correct: SPF aligns. */
	branded_rp(&o, 0, "v=spf1 include:mktomail.com -all");
	expect_fails(&o, &res, UNNEEDED, "branded return-path");
	c = find(res.a, "dmarc-forecast", "acme.example");
	ok(c != NULL && c->status == SK_CHECK_PASS &&
	   strstr(c->message, "DKIM and SPF") != NULL,
	   "forecast with DKIM and a branded return-path: both (%s)",
	   c ? c->message : "");
	c = find(res.a, "spf-sending-ip", "bounce.acme.example");
	ok(c != NULL && c->status == SK_CHECK_PASS,
	   "return-path: the sending blocks pass");
	done(&o, &res);

	/* No include on the return-path: an error, and the blocks fail. */
	branded_rp(&o, 0, "v=spf1 ip4:192.0.2.10 -all");
	expect_fails(&o, &res, "return-path-spf:error " UNNEEDED
		     " spf-sending-ip:error", "return-path without include");
	c = find(res.a, "return-path-spf", "bounce.acme.example");
	ok(c != NULL && strstr(c->fix, "bounce.acme.example. IN TXT "
			       "\"v=spf1 ip4:192.0.2.10 include:mktomail.com "
			       "-all\"") != NULL,
	   "return-path without include: merged record as fix (%s)",
	   c ? c->fix : "");
	done(&o, &res);

	/* ~all and no MX on the return-path. */
	org_base(&o, 0);
	conf_add(&o, "return_path = bounce.acme.example\n");
	conf_replace(&o, "monthly_volume = 40000", "ip_mode = trusted");
	txt(&o, "bounce.acme.example", "v=spf1 include:mktomail.com ~all");
	expect_fails(&o, &res, "return-path-all:warning return-path-mx:error "
		     UNNEEDED, "return-path ~all, no MX");
	c = find(res.a, "return-path-all", "bounce.acme.example");
	ok(c != NULL && strstr(c->fix, "include:mktomail.com -all\"") != NULL,
	   "return-path ~all: the fix ends in -all (%s)", c ? c->fix : "");
	done(&o, &res);

	/* Forecast through SPF alone: no DKIM selector, branded path. */
	branded_rp(&o, B_NO_SELCONF, "v=spf1 include:mktomail.com -all");
	expect_fails(&o, &res, "dkim-no-selector:error " UNNEEDED,
		     "no DKIM, branded return-path");
	c = find(res.a, "dmarc-forecast", "acme.example");
	ok(c != NULL && c->status == SK_CHECK_PASS &&
	   strstr(c->message, "through SPF") != NULL,
	   "forecast: passes through SPF (%s)", c ? c->message : "");
	done(&o, &res);
}

static void
test_dkim(void)
{
	struct org o;
	struct result res;
	const struct sk_check *c;

	/* Selector configured, nothing published. */
	org_base(&o, B_NO_DKIM);
	expect_fails(&o, &res, "dkim-selector-missing:error "
		     "dmarc-forecast:warning " UNNEEDED, "missing selector");
	c = find(res.a, "dkim-selector-missing", NULL);
	ok(c != NULL && strstr(c->fix, "mkto1._domainkey.acme.example.") !=
	   NULL && strstr(c->fix, KEY2048) == NULL,
	   "missing selector: the fix is the config's record, split");
	done(&o, &res);

	/* No selector at all: provider signs d=mktomail.com. */
	org_base(&o, B_NO_SELCONF);
	expect_fails(&o, &res, "dkim-no-selector:error "
		     "dmarc-forecast:warning " UNNEEDED, "no selector");
	c = find(res.a, "dkim-no-selector", "acme.example");
	ok(c != NULL && strstr(c->message, "d=mktomail.com") != NULL,
	   "no selector: names the fallback d= (%s)", c ? c->message : "");
	done(&o, &res);

	/* The same with p=reject: the forecast is an error. */
	org_base(&o, B_NO_SELCONF | B_NO_DMARC);
	txt(&o, "_dmarc.acme.example", "v=DMARC1; p=reject; "
	    "rua=mailto:dmarc@acme.example");
	conf_replace(&o, "dmarc = none", "dmarc = reject");
	expect_fails(&o, &res, "dkim-no-selector:error "
		     "dmarc-forecast:error " UNNEEDED,
		     "no selector, p=reject");
	done(&o, &res);

	/* A 1024-bit key (config and DNS alike). */
	org_base(&o, B_NO_DKIM | B_NO_SELCONF);
	conf_add(&o, "dkim_selectors = mkto1\n"
		 "dkim_key.mkto1 = " KEY1024 "\n");
	txt(&o, "mkto1._domainkey.acme.example", "v=DKIM1; k=rsa; p=" KEY1024);
	expect_fails(&o, &res, "dkim-key-size:warning " UNNEEDED,
		     "1024-bit key");
	done(&o, &res);

	/* Published key is not the configured one. */
	org_base(&o, B_NO_DKIM);
	txt(&o, "mkto1._domainkey.acme.example", "v=DKIM1; k=rsa; p="
	    KEY2048B);
	expect_fails(&o, &res, "dkim-key-mismatch:error " UNNEEDED,
		     "key mismatch");
	done(&o, &res);

	/* Revoked key. */
	org_base(&o, B_NO_DKIM);
	txt(&o, "mkto1._domainkey.acme.example", "v=DKIM1; k=rsa; p=");
	expect_fails(&o, &res, "dkim-key-invalid:error dmarc-forecast:warning "
		     UNNEEDED, "revoked key");
	done(&o, &res);
}

/* A UDP port on 127.0.0.1 nobody listens on. */
static unsigned
closed_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_DGRAM, 0);
	unsigned port = 9;

	if (fd < 0)
		return port;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0 &&
	    getsockname(fd, (struct sockaddr *)&sa, &len) == 0)
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

static void
test_ns(void)
{
	struct sk_audit_opts opts;
	struct org o;
	struct result res;
	const struct sk_check *c;

	/* Per-NS queries to a nameserver that does not answer: DNSFAIL. */
	org_base(&o, 0);
	memset(&opts, 0, sizeof(opts));
	opts.query_each_ns = true;
	opts.ns_port = closed_port();
	opts.ns_timeout_ms = 200;
	run_opts(&o, &res, &opts);
	is_str(res.fails, UNNEEDED, "unreachable NS: nothing fails");
	is_str(res.dnsfails, "dkim-ns-disagree",
	       "unreachable NS: dkim-ns-disagree is DNSFAIL");
	c = find(res.a, "dkim-ns-disagree", NULL);
	ok(c != NULL && strstr(c->evidence, "ns1.acme.example (127.0.0.1)")
	   != NULL, "unreachable NS: evidence names it (%s)",
	   c ? c->evidence : "");
	done(&o, &res);

	/* No address for the nameserver. */
	org_base(&o, 0);
	dns(&o, "acme.example", SK_DNS_NS, "ns9.elsewhere.example.");
	run_opts(&o, &res, &opts);
	c = find(res.a, "dkim-ns-disagree", NULL);
	ok(c != NULL && c->status == SK_CHECK_DNSFAIL &&
	   strstr(c->evidence, "ns9.elsewhere.example: no A or AAAA") != NULL,
	   "NS without address: DNSFAIL naming it (%s)",
	   c ? c->evidence : "");
	done(&o, &res);
}

static void
test_dmarc(void)
{
	struct org o;
	struct result res;
	const struct sk_check *c;

	org_base(&o, B_NO_DMARC);
	expect_fails(&o, &res, "dmarc-missing:error " UNNEEDED,
		     "DMARC absent");
	c = find(res.a, "dmarc-missing", "acme.example");
	ok(c != NULL && strstr(c->fix, "_dmarc.acme.example. IN TXT "
			       "\"v=DMARC1; p=none; rua=mailto:dmarc@acme."
			       "example\"") != NULL,
	   "DMARC absent: the fix is the record at the config's stage (%s)",
	   c ? c->fix : "");
	c = find(res.a, "dmarc-forecast", "acme.example");
	ok(c != NULL && c->status == SK_CHECK_PASS,
	   "DMARC absent: DKIM still aligns");
	done(&o, &res);

	org_base(&o, B_NO_DMARC);
	txt(&o, "_dmarc.acme.example", "v=DMARC1; p=none; aspf=s; "
	    "rua=mailto:dmarc@acme.example");
	/* Shared IPs: DMARC rests on DKIM, strict SPF alignment is only
	 * a warning. */
	expect_fails(&o, &res, "dmarc-aspf-strict:warning " UNNEEDED,
		     "aspf=s");
	c = find(res.a, "dmarc-aspf-strict", "acme.example");
	ok(c != NULL && strstr(c->fix, "\"v=DMARC1; p=none; aspf=r; "
			       "rua=mailto:dmarc@acme.example\"") != NULL,
	   "aspf=s: the fix relaxes it (%s)", c ? c->fix : "");
	done(&o, &res);

	/* A branded return-path relies on SPF alignment: an error. */
	branded_rp(&o, B_NO_DMARC, "v=spf1 include:mktomail.com -all");
	txt(&o, "_dmarc.acme.example", "v=DMARC1; p=none; aspf=s; "
	    "rua=mailto:dmarc@acme.example");
	run(&o, &res);
	c = find(res.a, "dmarc-aspf-strict", "acme.example");
	ok(c != NULL && c->status == SK_CHECK_FAIL &&
	   c->severity == SK_SEV_ERROR &&
	   strstr(c->message, "bounce.acme.example") != NULL,
	   "aspf=s with a branded return-path: error (%s)",
	   c ? c->message : "");
	done(&o, &res);

	org_base(&o, B_NO_DMARC);
	txt(&o, "_dmarc.acme.example", "v=DMARC1; p=none; "
	    "rua=mailto:reports@vendor.example");
	expect_fails(&o, &res, "dmarc-rua-unauthorized:error " UNNEEDED,
		     "unauthorized external rua");
	c = find(res.a, "dmarc-rua-unauthorized", "acme.example");
	ok(c != NULL && strstr(c->fix, "acme.example._report._dmarc.vendor."
			       "example. IN TXT \"v=DMARC1\"") != NULL,
	   "external rua: the fix is the authorization record (%s)",
	   c ? c->fix : "");
	done(&o, &res);

	/* ... authorized. */
	org_base(&o, B_NO_DMARC);
	txt(&o, "_dmarc.acme.example", "v=DMARC1; p=none; "
	    "rua=mailto:reports@vendor.example");
	txt(&o, "acme.example._report._dmarc.vendor.example", "v=DMARC1");
	expect_fails(&o, &res, UNNEEDED, "authorized external rua");
	done(&o, &res);

	org_base(&o, B_NO_DMARC);
	txt(&o, "_dmarc.acme.example", "v=DMARC1; p=none");
	expect_fails(&o, &res, "dmarc-rua-missing:warning " UNNEEDED,
		     "no rua");
	done(&o, &res);

	/* An unusable rua= is replaced in the fix, not repeated. */
	org_base(&o, B_NO_DMARC);
	txt(&o, "_dmarc.acme.example", "v=DMARC1; p=none; rua=bogus; fo=1");
	run(&o, &res);
	c = find(res.a, "dmarc-rua-missing", "acme.example");
	ok(c != NULL && c->status == SK_CHECK_FAIL &&
	   strstr(c->fix, "rua=bogus") == NULL &&
	   strstr(c->fix, "p=none; fo=1; rua=mailto:") != NULL,
	   "invalid rua: the fix replaces the tag (%s)", c ? c->fix : "");
	done(&o, &res);

	org_base(&o, B_NO_DMARC);
	txt(&o, "_dmarc.acme.example", "v=DMARC1; p=none; "
	    "rua=mailto:dmarc@acme.example; ruf=mailto:dmarc@acme.example");
	expect_fails(&o, &res, "dmarc-ruf-privacy:info " UNNEEDED, "ruf");
	done(&o, &res);

	org_base(&o, B_NO_DMARC);
	txt(&o, "_dmarc.acme.example", "v=DMARC1; p=quarantine; "
	    "rua=mailto:dmarc@acme.example");
	expect_fails(&o, &res, "dmarc-stage:warning " UNNEEDED,
		     "published stage ahead of the config");
	done(&o, &res);

	org_base(&o, B_NO_DMARC);
	txt(&o, "_dmarc.acme.example", "v=DMARC1; p=bogus; rua=mailto:dmarc@"
	    "acme.example");
	run(&o, &res);
	c = find(res.a, "dmarc-invalid", "acme.example");
	ok(c != NULL && c->status == SK_CHECK_FAIL &&
	   c->severity == SK_SEV_ERROR, "p=bogus: dmarc-invalid fails");
	done(&o, &res);

	/* A From subdomain inheriting sp=reject. */
	org_base(&o, B_NO_DMARC);
	txt(&o, "_dmarc.acme.example", "v=DMARC1; p=none; sp=reject; "
	    "rua=mailto:dmarc@acme.example");
	conf_add(&o, "[domain news.acme.example]\n"
		 "mx = 10 mail.acme.example\n"
		 "dkim_selectors = mkto1\n"
		 "dkim_key.mkto1 = " KEY2048 "\n");
	txt(&o, "news.acme.example", "v=spf1 include:mktomail.com ~all");
	dns(&o, "news.acme.example", SK_DNS_MX, "10 mail.acme.example.");
	txt(&o, "mkto1._domainkey.news.acme.example",
	    "v=DKIM1; k=rsa; p=" KEY2048);
	expect_fails(&o, &res, "dmarc-sp-inherited:warning " UNNEEDED,
		     "sp=reject inherited");
	c = find(res.a, "dmarc-sp-inherited", "news.acme.example");
	ok(c != NULL && strstr(c->fix, "_dmarc.news.acme.example. IN TXT "
			       "\"v=DMARC1; p=none") != NULL,
	   "sp inherited: the fix publishes p=none at the subdomain (%s)",
	   c ? c->fix : "");
	/* The org record's own checks ran once. */
	c = find(res.a, "dmarc-invalid", "news.acme.example");
	ok(c == NULL, "record checks run once per record (not for the "
	   "inheriting subdomain)");
	done(&o, &res);
}

static void
test_mx(void)
{
	struct org o;
	struct result res;

	org_base(&o, B_NO_MX);
	expect_fails(&o, &res, "mx-missing:error " UNNEEDED, "no MX");
	done(&o, &res);

	org_base(&o, B_NO_MX);
	dns(&o, "acme.example", SK_DNS_MX, "0 .");
	expect_fails(&o, &res, "mx-null:error " UNNEEDED, "Null MX");
	done(&o, &res);

	org_base(&o, B_NO_MX);
	dns(&o, "acme.example", SK_DNS_MX, "10 nowhere.acme.example.");
	expect_fails(&o, &res, "mx-unresolvable:warning " UNNEEDED,
		     "MX host without address");
	done(&o, &res);
}

static void
test_tempfail(void)
{
	struct org o;
	struct result res;
	const struct sk_check *c;

	/* DNS failures are failures to look, never "missing". */
	org_base(&o, 0);
	fail_dns(&o, "mkto1._domainkey.acme.example", 0, "timeout");
	fail_dns(&o, "acme.example", SK_DNS_MX, "SERVFAIL");
	fail_dns(&o, "go.acme.example", 0, "timeout");
	run(&o, &res);
	is_int(res.st, SK_OK, "tempfail: the audit runs");
	is_str(res.fails, UNNEEDED, "tempfail: nothing reported missing");
	is_str(res.dnsfails, "dkim-selector-missing dmarc-forecast "
	       "host-cname-missing mx-missing",
	       "tempfail: DNSFAIL ids");
	c = find(res.a, "dkim-selector-missing", NULL);
	ok(c != NULL && strstr(c->evidence, "timeout") != NULL,
	   "tempfail: the evidence says what failed (%s)",
	   c ? c->evidence : "");
	c = find(res.a, "mx-missing", "acme.example");
	ok(c != NULL && strstr(c->evidence, "SERVFAIL") != NULL,
	   "tempfail: MX evidence (%s)", c ? c->evidence : "");
	done(&o, &res);

	org_base(&o, 0);
	fail_dns(&o, "acme.example", SK_DNS_TXT, "timeout");
	run(&o, &res);
	is_str(res.fails, "", "SPF tempfail: nothing fails");
	is_str(res.dnsfails, "spf-missing", "SPF tempfail: spf-missing is "
	       "DNSFAIL");
	done(&o, &res);

	org_base(&o, 0);
	fail_dns(&o, "_dmarc.acme.example", 0, "SERVFAIL");
	run(&o, &res);
	is_str(res.dnsfails, "dmarc-missing", "DMARC tempfail: dmarc-missing "
	       "is DNSFAIL");
	done(&o, &res);
}

static void
test_provider(void)
{
	struct sk_audit_opts opts;
	struct org o;
	struct result res;
	const struct sk_check *c;

	/* A malformed Munchkin ID: the input's severity (warning). */
	org_base(&o, 0);
	conf_replace(&o, "123-ABC-456", "123ABC-456");
	expect_fails(&o, &res, "input-format:warning " UNNEEDED,
		     "malformed Munchkin ID");
	done(&o, &res);

	/* A required input absent: error. */
	org_base(&o, 0);
	conf_replace(&o, "account_string", "#account_string");
	run(&o, &res);
	c = find(res.a, "input-format", "account_string");
	ok(c != NULL && c->status == SK_CHECK_FAIL &&
	   c->severity == SK_SEV_ERROR, "required input absent: error");
	c = find(res.a, "host-cname-target", "go.acme.example");
	ok(c != NULL && c->status == SK_CHECK_SKIP,
	   "without account_string the landing target is SKIP");
	done(&o, &res);

	/* Old lists. */
	org_base(&o, 0);
	memset(&opts, 0, sizeof(opts));
	opts.now = NOW + 400 * 86400;
	run_opts(&o, &res, &opts);
	is_str(res.fails, "profile-stale:warning " UNNEEDED,
	       "lists older than 180 days");
	c = find(res.a, "profile-stale", "sending_cidrs");
	ok(c != NULL && strstr(c->evidence, "https://") != NULL,
	   "stale: the source URL is in the evidence");
	is_int(sk_audit_nstatus(res.a, SK_CHECK_FAIL), 4,
	       "one stale check per list (3) + unneeded");
	done(&o, &res);

	/* Drift against the provider's SPF. */
	org_base(&o, 0);
	memset(&opts, 0, sizeof(opts));
	opts.check_spf_drift = true;
	run_opts(&o, &res, &opts);
	c = find(res.a, "profile-spf-drift", "sending_cidrs");
	ok(c != NULL && c->status == SK_CHECK_PASS,
	   "drift: equal sets pass");
	done(&o, &res);

	org_base(&o, B_NO_MKTO);
	txt(&o, "mktomail.com", "v=spf1 ip4:94.236.119.0/26 "
	    "include:_spf2.mktomail.com ~all");
	txt(&o, "_spf2.mktomail.com", "v=spf1 ip4:199.15.212.0/22 "
	    "ip4:192.28.128.0/18 ip6:2a04:35c0::/29 -all");
	run_opts(&o, &res, &opts);
	c = find(res.a, "profile-spf-drift", "sending_cidrs");
	ok(c != NULL && c->status == SK_CHECK_FAIL &&
	   c->severity == SK_SEV_INFO &&
	   strstr(c->evidence, "130.248.172.0/24") != NULL &&
	   strstr(c->evidence, "2a04:35c0::/29") != NULL &&
	   strstr(c->evidence, "192.28.144.0/20") == NULL,
	   "drift: both differences in the evidence, a covered block not "
	   "(%s)", c ? c->evidence : "");
	c = find(res.a, "spf-sending-ip", "acme.example");
	ok(c != NULL && c->status == SK_CHECK_PASS &&
	   strstr(c->evidence, "not in the provider's own SPF") != NULL,
	   "blocks the provider does not publish do not fail the domain "
	   "(%s)", c ? c->evidence : "");
	done(&o, &res);

	/* ip-mode. */
	org_base(&o, 0);
	conf_replace(&o, "monthly_volume = 40000",
		     "monthly_volume = 400000");
	run(&o, &res);
	c = find(res.a, "ip-mode", NULL);
	ok(c != NULL && c->status == SK_CHECK_FAIL &&
	   c->severity == SK_SEV_WARNING,
	   "400000 a month on shared IPs: ip-mode warning");
	done(&o, &res);
}

static void
test_args(void)
{
	struct sk_audit *a = (struct sk_audit *)1;
	struct sk_err err;

	is_int(sk_audit_run(NULL, prof, NULL, NULL, &a, &err), SK_EINVAL,
	       "NULL resolver/config: SK_EINVAL");
	ok(a == NULL, "output cleared on error");
	{
		struct sk_audit_opts opts;
		struct sk_org_config *c = NULL;
		struct sk_resolver *r = NULL;

		memset(&opts, 0, sizeof(opts));
		opts.psl_path = "/nonexistent/public_suffix_list.dat";
		if (sk_config_new(&c, NULL) == SK_OK &&
		    sk_resolver_new_script(&r, NULL) == SK_OK) {
			sk_status st = sk_audit_run(r, prof, c, &opts, &a,
						    &err);

			ok(st != SK_OK && a == NULL,
			   "an unreadable PSL fails the run (%s)", err.msg);
		}
		sk_config_free(c);
		sk_resolver_free(r);
	}
	sk_audit_free(NULL);
	is_int(sk_audit_count(NULL), 0, "count(NULL) is 0");
	is_int(sk_audit_max_severity(NULL), -1, "max_severity(NULL) is -1");
	is_str(sk_check_status_str(SK_CHECK_DNSFAIL), "dnsfail",
	       "status names");
}

/* Allocation failure at every point of one full run. */
static void
test_alloc(void)
{
	struct sk_audit_opts opts;
	struct sk_org_config *c = NULL;
	struct sk_audit *a;
	struct org o;
	size_t n, bad = 0, fails = 0;
	sk_status st = SK_ENOMEM;

	memset(&opts, 0, sizeof(opts));
	opts.now = NOW;
	opts.check_spf_drift = true;
	for (n = 0; n < 200000 && st == SK_ENOMEM; n++) {
		org_base(&o, 0);
		conf_add(&o, "return_path = bounce.acme.example\n");
		txt(&o, "bounce.acme.example",
		    "v=spf1 include:mktomail.com ~all");
		if (o.failed || sk_config_load_mem(o.conf, o.nconf, "t.conf",
						   &c, NULL) != SK_OK) {
			bad++;
			sk_resolver_free(o.r);
			break;
		}
		a = NULL;
		sk_test_fail_alloc_after(n);
		st = sk_audit_run(o.r, prof, c, &opts, &a, NULL);
		sk_test_fail_alloc_after(SIZE_MAX);
		if (st == SK_ENOMEM) {
			fails++;
			if (a != NULL)
				bad++;
		} else if (st != SK_OK || a == NULL) {
			bad++;
		}
		sk_audit_free(a);
		sk_config_free(c);
		sk_resolver_free(o.r);
		/* Past the first few hundred points, step faster: the
		 * run allocates tens of thousands of times. */
		if (n > 3000)
			n += 7;
	}
	is_int(bad, 0, "allocation failures: SK_ENOMEM or a whole audit");
	is_int(st, SK_OK, "the run completes once allocations succeed "
	       "(after %zu failing points)", fails);
}

int
main(int argc, char **argv)
{
	struct sk_err err;

	tap_plan_unknown();
	if (argc < 2) {
		printf("Bail out! usage: test_audit SOURCE_ROOT\n");
		return 1;
	}
	snprintf(profile_path, sizeof(profile_path),
		 "%s/data/profiles/marketo.ini", argv[1]);
	if (sk_profile_load(profile_path, &prof, &err) != SK_OK) {
		printf("Bail out! %s: %s\n", profile_path, err.msg);
		return 1;
	}
	test_args();
	test_correct();
	test_order();
	test_hosts();
	test_hosts_unset();
	test_spf();
	test_return_path();
	test_dkim();
	test_ns();
	test_dmarc();
	test_mx();
	test_tempfail();
	test_provider();
	test_alloc();
	sk_profile_free(prof);
	return tap_done();
}
