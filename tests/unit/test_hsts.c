/*
 * tests/unit/test_hsts.c - lib/https without the network: the STS header
 * parser (RFC 6797 section 6.1), the preload requirements, the Chromium
 * preload list, and the CAA judgment of sk_https_check (scripted DNS,
 * probes off).
 */
#include <string.h>

#include <senderkit/https.h>

#include "tap.h"

static int
parse(const char *s, struct sk_hsts *h, struct sk_err *e)
{
	sk_err_clear(e);
	return sk_hsts_parse(s, strlen(s), h, e);
}

static void
test_parse(void)
{
	struct sk_hsts h;
	struct sk_err e = {0};

	is_int(parse("max-age=31536000; includeSubDomains; preload", &h, &e),
	       SK_OK, "full header");
	is_int(h.max_age, 31536000, "max-age");
	ok(h.include_subdomains && h.preload, "includeSubDomains, preload");

	is_int(parse("MAX-AGE=\"300\"", &h, &e), SK_OK, "quoted, upper case");
	is_int(h.max_age, 300, "quoted max-age value");
	ok(!h.include_subdomains && !h.preload, "no flags");

	is_int(parse(" ; max-age = 0 ;; foo=\"a;b\"; bar ;", &h, &e), SK_OK,
	       "empty directives, blanks, unknown directives ignored");
	is_int(h.max_age, 0, "max-age=0");

	is_int(parse("max-age=99999999999999999999999", &h, &e), SK_OK,
	       "huge max-age");
	ok(h.max_age == (unsigned long)-1, "huge max-age is capped");

	is_int(parse("includeSubDomains", &h, &e), SK_ESYNTAX,
	       "max-age is required");
	ok(strstr(e.msg, "no max-age") != NULL, "message: %s", e.msg);
	is_int(parse("", &h, &e), SK_ESYNTAX, "empty header");

	is_int(parse("max-age=1; max-age=2", &h, &e), SK_ESYNTAX,
	       "max-age twice");
	is_int(e.offset, 11, "offset of the second max-age");
	is_int(parse("max-age=1; includesubdomains; includeSubDomains", &h,
		     &e), SK_ESYNTAX, "includeSubDomains twice");
	is_int(parse("max-age=1; includeSubDomains=yes", &h, &e), SK_ESYNTAX,
	       "includeSubDomains with a value");
	is_int(parse("max-age=-1", &h, &e), SK_ESYNTAX, "negative max-age");
	is_int(e.offset, 8, "offset of the bad value");
	is_int(parse("max-age=1d", &h, &e), SK_ESYNTAX, "junk in max-age");
	is_int(parse("max-age", &h, &e), SK_ESYNTAX, "max-age no value");
	is_int(parse("max-age=", &h, &e), SK_ESYNTAX, "max-age '=' alone");
	is_int(parse("max-age=\"12", &h, &e), SK_ESYNTAX,
	       "unterminated quote");
	is_int(parse("max-age=1, includeSubDomains", &h, &e), SK_ESYNTAX,
	       "comma instead of ';'");
	is_int(e.offset, 9, "offset of the comma");
	is_int(parse("max-age=1; \"x\"", &h, &e), SK_ESYNTAX,
	       "quoted string as a name");
	is_int(sk_hsts_parse("max-age=5\0; x", 13, &h, &e), SK_ESYNTAX,
	       "NUL byte refused");
	is_int(sk_hsts_parse("max-age=5; preload", 9, &h, &e), SK_OK,
	       "length-bounded: stops at len");
	ok(!h.preload, "bytes after len not read");
	{
		static char big[SK_HSTS_MAX_HEADER + 2];

		memset(big, ' ', sizeof(big));
		memcpy(big, "max-age=1", 9);
		is_int(sk_hsts_parse(big, sizeof(big), &h, &e), SK_ETOOBIG,
		       "header over the cap");
	}
}

static void
test_preload_missing(void)
{
	struct sk_hsts h = { 31536000, true, true };

	is_int(sk_hsts_preload_missing(&h), 0, "meets the requirements");
	h.max_age = 10886400; /* the old 18 weeks */
	is_int(sk_hsts_preload_missing(&h), SK_HSTS_PRELOAD_MAXAGE,
	       "18 weeks is no longer enough");
	h.include_subdomains = false;
	h.preload = false;
	is_int(sk_hsts_preload_missing(&h), SK_HSTS_PRELOAD_MAXAGE |
	       SK_HSTS_PRELOAD_SUBDOMAINS | SK_HSTS_PRELOAD_TOKEN,
	       "all three missing");
}

static const char plist[] =
	"// Copyright comment\n"
	"{\n"
	"  // The entries\n"
	"  \"pinsets\": [],\n"
	"  \"entries\": [\n"
	"    { \"name\": \"Preloaded.example\", \"policy\": \"custom\",\n"
	"      \"mode\": \"force-https\", \"include_subdomains\": true },\n"
	"    { \"name\": \"exact.example\", \"policy\": \"custom\",\n"
	"      \"mode\": \"force-https\" },\n"
	"    // pinning only\n"
	"    { \"name\": \"pinned.example\", \"policy\": \"google\",\n"
	"      \"include_subdomains_for_pinning\": true }\n"
	"  ]\n"
	"}\n";

static void
test_preload_list(void)
{
	struct sk_hsts_preload *pl = NULL;
	struct sk_err e = {0};
	const char *entry = NULL;
	bool sub = false;

	is_int(sk_hsts_preload_load_mem(plist, strlen(plist), "t.json", &pl,
					&e), SK_OK, "load: %s", e.msg);
	is_int(sk_hsts_preload_count(pl), 2, "pinning-only entry skipped");
	ok(sk_hsts_preload_lookup(pl, "go.Preloaded.example.", &entry, &sub),
	   "subdomain of an include_subdomains entry");
	is_str(entry, "preloaded.example", "entry name, lower case");
	ok(sub, "include_subdomains");
	ok(sk_hsts_preload_lookup(pl, "exact.example", &entry, &sub) && !sub,
	   "exact entry");
	ok(!sk_hsts_preload_lookup(pl, "go.exact.example", NULL, NULL),
	   "no include_subdomains: subdomain not covered");
	ok(!sk_hsts_preload_lookup(pl, "pinned.example", NULL, NULL),
	   "pinning-only entry not a preload");
	ok(!sk_hsts_preload_lookup(pl, "example", NULL, NULL),
	   "parent of an entry not covered");
	sk_hsts_preload_free(pl);

	pl = NULL;
	is_int(sk_hsts_preload_load_mem("{\n\"entries\": [\n}", 17, "b.json",
					&pl, &e), SK_ESYNTAX, "bad JSON");
	ok(strstr(e.msg, "b.json:") != NULL, "message names the file: %s",
	   e.msg);
	is_int(sk_hsts_preload_load_mem("{}", 2, "c.json", &pl, &e),
	       SK_ESYNTAX, "no entries array");
	ok(pl == NULL, "nothing returned on error");
	sk_hsts_preload_free(NULL);
}

/* sk_https_check with probes off: the CAA walk and its judgment. */
static const struct sk_check *
check_of(const struct sk_https_report *rep, const char *id)
{
	for (size_t i = 0; i < sk_https_report_count(rep); i++)
		if (strcmp(sk_https_report_get(rep, i)->id, id) == 0)
			return sk_https_report_get(rep, i);
	return NULL;
}

static void
caa_case(const char *name, const char *owner, const char *rdata,
	 const char *const *allow, size_t nallow,
	 enum sk_check_status want, enum sk_severity wsev, const char *wmsg)
{
	struct sk_resolver *r = NULL;
	struct sk_https_report *rep = NULL;
	struct sk_https_opts o;
	const struct sk_check *c;
	struct sk_err e = {0};

	if (sk_resolver_new_script(&r, &e) != SK_OK) {
		ok(0, "%s: resolver", name);
		return;
	}
	if (rdata != NULL &&
	    sk_resolver_script_add(r, owner, SK_DNS_CAA, rdata, &e) != SK_OK)
		ok(0, "%s: script_add: %s", name, e.msg);
	if (rdata == NULL && owner != NULL &&
	    sk_resolver_script_fail(r, owner, SK_DNS_CAA, "SERVFAIL", &e) !=
	    SK_OK)
		ok(0, "%s: script_fail", name);
	memset(&o, 0, sizeof(o));
	o.no_probe = true;
	o.role = "tracking";
	o.caa_allow = allow;
	o.ncaa_allow = nallow;
	is_int(sk_https_check(r, "em.acme.example", &o, &rep, &e), SK_OK,
	       "%s: check runs", name);
	c = check_of(rep, "caa-issuer");
	ok(c != NULL && c->status == want &&
	   (want != SK_CHECK_FAIL || c->severity == wsev),
	   "%s: caa-issuer %s", name, c ? sk_check_status_str(c->status) :
	   "absent");
	ok(c != NULL && strstr(c->message, wmsg) != NULL,
	   "%s: message \"%s\"", name, c ? c->message : "");
	c = check_of(rep, "https-available");
	ok(c != NULL && c->status == SK_CHECK_SKIP,
	   "%s: probes SKIP offline", name);
	c = check_of(rep, "hsts-parent");
	ok(c != NULL && c->status == SK_CHECK_SKIP, "%s: hsts-parent SKIP",
	   name);
	sk_https_report_free(rep);
	sk_resolver_free(r);
}

static void
test_caa(void)
{
	static const char *const le[] = { "letsencrypt.org" };
	static const char *const two[] = { "digicert.com", "LetsEncrypt.org" };
	struct sk_https_report *rep = NULL;
	struct sk_https_opts o;
	static const char *const bad[] = { "127.0.0.1" };

	caa_case("none", NULL, NULL, le, 1, SK_CHECK_PASS, SK_SEV_INFO,
		 "no CAA record at em.acme.example");
	caa_case("parent allows", "acme.example",
		 "0 issue \"letsencrypt.org; validationmethods=dns-01\"", le,
		 1, SK_CHECK_PASS, SK_SEV_INFO, "CAA at acme.example allows");
	caa_case("case-insensitive, second of two", "acme.example",
		 "0 issue \"letsencrypt.org\"", two, 2, SK_CHECK_PASS,
		 SK_SEV_INFO, "allows the provider");
	caa_case("excludes", "acme.example", "0 issue \"digicert.com\"", le,
		 1, SK_CHECK_FAIL, SK_SEV_ERROR, "does not allow the "
		 "provider's certificate authority (letsencrypt.org)");
	caa_case("closest RRset wins", "em.acme.example",
		 "0 issue \"digicert.com\"", le, 1, SK_CHECK_FAIL,
		 SK_SEV_ERROR, "CAA at em.acme.example does not allow");
	caa_case("forbids all", "acme.example", "0 issue \";\"", le, 1,
		 SK_CHECK_FAIL, SK_SEV_ERROR, "does not allow");
	caa_case("iodef only", "acme.example",
		 "0 iodef \"mailto:sec@acme.example\"", le, 1, SK_CHECK_PASS,
		 SK_SEV_INFO, "no issue property");
	caa_case("empty profile list: confirm", "acme.example",
		 "0 issue \"digicert.com\"", NULL, 0, SK_CHECK_FAIL,
		 SK_SEV_INFO, "allows only digicert.com: confirm with the "
		 "provider");
	caa_case("DNS failure", "acme.example", NULL, le, 1,
		 SK_CHECK_DNSFAIL, SK_SEV_INFO, "CAA lookup failed");

	memset(&o, 0, sizeof(o));
	o.connect_to = bad;
	o.nconnect_to = 1;
	is_int(sk_https_check(NULL, "go.acme.example", &o, &rep, NULL),
	       SK_EINVAL, "connect-to without a port refused");
	is_int(sk_https_check(NULL, "go..acme", NULL, &rep, NULL), SK_EINVAL,
	       "bad host refused");
	ok(rep == NULL, "no report on error");
}

int
main(void)
{
	tap_plan_unknown();
	test_parse();
	test_preload_missing();
	test_preload_list();
	test_caa();
	return tap_done();
}
