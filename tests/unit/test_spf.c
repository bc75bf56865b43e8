/*
 * Unit tests of lib/spf: parser (terms, positions, errors), macros (all
 * examples of RFC 7208 section 7.4), check_host limits and outcome fields,
 * 50 asynchronous evaluations on one resolver, Received-SPF, allocation
 * failures.
 */
#include <string.h>
#include <senderkit/spf.h>
#include "spf/spf_internal.h"
#include "tap.h"

#define S(x) x, strlen(x)

/* ---------------------------------------------------------------- parse */

static void
test_parse_ok(void)
{
	struct sk_spf_record *rec = NULL;
	const struct sk_spf_term *t;
	const char *txt = "v=spf1 ip4:192.0.2.0/24 -a:mail.example.com/28//64 "
			  "~mx ?include:_spf.example.net ptr ip6:2001:db8::/32 "
			  "exists:%{ir}.%{v}._spf.%{d2} "
			  "redirect=_spf.example.org "
			  "exp=explain.%{d} foo=bar%{l} +all";
	struct sk_err err;

	is_int(sk_spf_parse(S(txt), &rec, &err), SK_OK, "parse full record");
	if (rec == NULL)
		return;
	is_int(sk_spf_record_nterms(rec), 11, "11 terms");
	t = sk_spf_record_term(rec, 0);
	is_int(t->kind, SK_SPF_IP4, "ip4 kind");
	is_int(t->offset, 7, "ip4 at offset 7");
	is_int(t->cidr4, 24, "ip4 cidr 24");
	ok(t->addr[0] == 192 && t->addr[3] == 0, "ip4 address bytes");
	ok(t->qualifier == '+' && !t->explicit_qualifier, "implicit +");
	t = sk_spf_record_term(rec, 1);
	is_int(t->kind, SK_SPF_A, "a kind");
	ok(t->qualifier == '-' && t->explicit_qualifier, "explicit -");
	is_int(t->cidr4, 28, "a cidr4");
	is_int(t->cidr6, 64, "a cidr6");
	ok(t->domain_spec_len == 16 &&
		   memcmp(t->domain_spec, "mail.example.com", 16) == 0,
	   "a domain-spec without cidr");
	ok(t->text_len == 26 && memcmp(t->text, "-a:mail.example.com/28//64",
				       t->text_len) == 0,
	   "term text as written");
	t = sk_spf_record_term(rec, 2);
	ok(t->kind == SK_SPF_MX && t->qualifier == '~' &&
		   t->domain_spec == NULL && t->cidr4 == -1,
	   "bare ~mx");
	t = sk_spf_record_term(rec, 3);
	ok(t->kind == SK_SPF_INCLUDE && t->qualifier == '?', "?include");
	is_int(t->offset, 55, "include offset");
	t = sk_spf_record_term(rec, 5);
	ok(t->kind == SK_SPF_IP6 && t->cidr6 == 32 && t->addr[0] == 0x20 &&
		   t->addr[1] == 0x01,
	   "ip6 network");
	t = sk_spf_record_term(rec, 6);
	is_int(t->kind, SK_SPF_EXISTS, "exists");
	t = sk_spf_record_term(rec, 7);
	ok(t->kind == SK_SPF_REDIRECT && t->domain_spec_len == 16,
	   "redirect modifier");
	t = sk_spf_record_term(rec, 9);
	ok(t->kind == SK_SPF_UNKNOWN_MODIFIER && t->name_len == 3 &&
		   memcmp(t->name, "foo", 3) == 0 && t->value_len == 7,
	   "unknown modifier name and value");
	ok(sk_spf_record_term(rec, 11) == NULL, "term out of range is NULL");
	sk_spf_record_free(rec);

	is_int(sk_spf_parse(S("V=SPF1   A  MX:Example.COM  -ALL  "), &rec,
			    &err),
	       SK_OK, "case-insensitive names, extra spaces");
	is_int(sk_spf_record_nterms(rec), 3, "three terms");
	sk_spf_record_free(rec);
	is_int(sk_spf_parse(S("v=spf1"), &rec, &err), SK_OK, "empty record");
	is_int(sk_spf_record_nterms(rec), 0, "no terms");
	sk_spf_record_free(rec);
	is_int(sk_spf_parse(S("v=spf1 a/0 ip4:0.0.0.0/0 ip6:::/0 mx//128"),
			    &rec, &err),
	       SK_OK, "zero and maximal cidr lengths");
	sk_spf_record_free(rec);
	is_int(sk_spf_parse(S("v=spf1 a:foo.example.com."), &rec, &err),
	       SK_OK, "trailing dot after toplabel");
	sk_spf_record_free(rec);
	is_int(sk_spf_parse(S("v=spf1 exists:%{i}"), &rec, &err), SK_OK,
	       "domain-spec ending in a macro");
	sk_spf_record_free(rec);
}

static void
bad(const char *txt, sk_status want, size_t off, const char *name)
{
	struct sk_spf_record *rec = NULL;
	struct sk_err err;
	sk_status st;

	memset(&err, 0, sizeof(err));
	st = sk_spf_parse(txt, strlen(txt), &rec, &err);
	is_int(st, want, "%s: status", name);
	ok(rec == NULL, "%s: no record", name);
	if (off != SK_NO_OFFSET)
		is_int(err.offset, off, "%s: offset", name);
	sk_spf_record_free(rec);
}

static void
test_parse_errors(void)
{
	bad("v=spf10 -all", SK_ESYNTAX, 0, "v=spf10");
	bad("spf1 -all", SK_ESYNTAX, 0, "no version");
	bad("v=spf1 -all foo", SK_ESYNTAX, 12, "unknown mechanism");
	bad("v=spf1 a:foo.example.com/33", SK_ESYNTAX, 7, "ip4 cidr 33");
	bad("v=spf1 a//129", SK_ESYNTAX, 7, "ip6 cidr 129");
	bad("v=spf1 ip4:1.2.3.4/032", SK_ESYNTAX, 7, "cidr leading zero");
	bad("v=spf1 ip4:1.2.3.04", SK_ESYNTAX, 7, "ip4 leading zero");
	bad("v=spf1 ip4:1.2.3", SK_ESYNTAX, 7, "short ip4");
	bad("v=spf1 ip6:1.2.3.4", SK_ESYNTAX, 7, "ip4 in ip6");
	bad("v=spf1 ip4:1.2.3.4//64", SK_ESYNTAX, 7, "ip4 with ip6 cidr");
	bad("v=spf1 a:museum", SK_ESYNTAX, 9, "single-label domain-spec");
	bad("v=spf1 a:111.222.33.44", SK_ESYNTAX, 20, "numeric toplabel");
	bad("v=spf1 include:", SK_ESYNTAX, 15, "empty include");
	bad("v=spf1 mx:", SK_ESYNTAX, 10, "empty mx domain");
	bad("v=spf1 exists", SK_ESYNTAX, 7, "exists without domain");
	bad("v=spf1 -all:x", SK_ESYNTAX, 7, "all with argument");
	bad("v=spf1 redirect=a.example redirect=b.example", SK_ESYNTAX, 26,
	    "redirect twice");
	bad("v=spf1 exp=a.example exp=b.example", SK_ESYNTAX, 21,
	    "exp twice");
	bad("v=spf1 -redirect=a.example", SK_ESYNTAX, 7,
	    "qualified modifier");
	bad("v=spf1 a:%{x}.example.com", SK_ESYNTAX, 11, "bad macro letter");
	bad("v=spf1 a:%{d0}.example.com", SK_ESYNTAX, 12, "digit zero");
	bad("v=spf1 a:%{d.example.com", SK_ESYNTAX, SK_NO_OFFSET,
	    "unclosed macro");
	bad("v=spf1 include:%{c}.example.com", SK_ESYNTAX, 17,
	    "c only in exp (section 7.2)");
	bad("v=spf1 exists:foo%(ir).example.com", SK_ESYNTAX, 18,
	    "%%( is not a macro");
	bad("v=spf1 \x80" "a", SK_ESYNTAX, 7, "non-ASCII byte");
	bad("v=spf1 a\tmx", SK_ESYNTAX, 8, "tab is not a separator");
	bad("v=spf1 foo=%", SK_ESYNTAX, 11, "bad macro in unknown modifier");

	char *big = malloc(SK_SPF_MAX_RECORD + 2);
	memcpy(big, "v=spf1 ", 7);
	memset(big + 7, 'a', SK_SPF_MAX_RECORD - 5);
	big[SK_SPF_MAX_RECORD + 1] = '\0';
	bad(big, SK_ETOOBIG, SK_NO_OFFSET, "record over SK_SPF_MAX_RECORD");
	free(big);

	ok(sk_spf_is_record(S("v=spf1")), "is_record: bare version");
	ok(sk_spf_is_record(S("v=spf1 -all")), "is_record: with terms");
	ok(!sk_spf_is_record(S("v=spf1-all")), "is_record: no space");
	ok(!sk_spf_is_record(S("v=spf")), "is_record: short");
	ok(!sk_spf_is_record("v=spf1 -all", 5), "is_record: length bound");
	ok(sk__spf_has_macro(S("%{d}.example.com")), "has_macro");
	ok(!sk__spf_has_macro(S("a%%b.example.com")), "%%%% is not a macro");
}

/* ---------------------------------------------------------------- macros */

static void
expect_exp(const struct sk_spf_macro_vars *v, const char *spec, bool exp,
	   const char *want)
{
	char out[512];
	size_t n = 0;
	struct sk_err err;
	sk_status st;

	st = sk_spf_macro_expand(spec, strlen(spec), v, exp, out, sizeof(out),
				 &n, &err);
	is_int(st, SK_OK, "expand %s: status", spec);
	if (st == SK_OK) {
		is_str(out, want, "expand %s", spec);
		is_int(n, strlen(want), "expand %s: length", spec);
	}
}

static void
test_macros(void)
{
	/* RFC 7208 section 7.4. */
	struct sk_spf_macro_vars v = {
		.sender = "strong-bad@email.example.com",
		.domain = "email.example.com",
		.ip = "192.0.2.3",
		.helo = "mx.example.org",
		.validated = "mx.example.org",
		.receiver = NULL,
		.now = 1234567890,
	};
	char out[16];
	size_t n;
	struct sk_err err;

	expect_exp(&v, "%{s}", false, "strong-bad@email.example.com");
	expect_exp(&v, "%{o}", false, "email.example.com");
	expect_exp(&v, "%{d}", false, "email.example.com");
	expect_exp(&v, "%{d4}", false, "email.example.com");
	expect_exp(&v, "%{d3}", false, "email.example.com");
	expect_exp(&v, "%{d2}", false, "example.com");
	expect_exp(&v, "%{d1}", false, "com");
	expect_exp(&v, "%{dr}", false, "com.example.email");
	expect_exp(&v, "%{d2r}", false, "example.email");
	expect_exp(&v, "%{l}", false, "strong-bad");
	expect_exp(&v, "%{l-}", false, "strong.bad");
	expect_exp(&v, "%{lr}", false, "strong-bad");
	expect_exp(&v, "%{lr-}", false, "bad.strong");
	expect_exp(&v, "%{l1r-}", false, "strong");
	expect_exp(&v, "%{ir}.%{v}._spf.%{d2}", false,
		   "3.2.0.192.in-addr._spf.example.com");
	expect_exp(&v, "%{lr-}.lp._spf.%{d2}", false,
		   "bad.strong.lp._spf.example.com");
	expect_exp(&v, "%{lr-}.lp.%{ir}.%{v}._spf.%{d2}", false,
		   "bad.strong.lp.3.2.0.192.in-addr._spf.example.com");
	expect_exp(&v, "%{ir}.%{v}.%{l1r-}.lp._spf.%{d2}", false,
		   "3.2.0.192.in-addr.strong.lp._spf.example.com");
	expect_exp(&v, "%{d2}.trusted-domains.example.net", false,
		   "example.com.trusted-domains.example.net");
	v.ip = "2001:db8::cb01";
	expect_exp(&v, "%{ir}.%{v}._spf.%{d2}", false,
		   "1.0.b.c.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.0.8.b.d.0.1."
		   "0.0.2.ip6._spf.example.com");
	expect_exp(&v, "%{c}", true, "2001:db8::cb01");
	v.ip = "::ffff:192.0.2.3";
	expect_exp(&v, "%{i} %{v}", true, "192.0.2.3 in-addr");

	/* Section 7.3: escapes, upper case, exp-only letters. */
	v.ip = "192.0.2.3";
	expect_exp(&v, "a%%b%_c%-d", false, "a%b c%20d");
	v.sender = "~jack&jill=up-a_b3.c@example.com";
	expect_exp(&v, "%{L}", false, "~jack%26jill%3Dup-a_b3.c");
	expect_exp(&v, "%{l=}", false, "~jack&jill.up-a_b3.c");
	v.sender = "@example.com";
	expect_exp(&v, "%{l}", false, "postmaster");
	expect_exp(&v, "%{p}.%{h}", false, "mx.example.org.mx.example.org");
	v.validated = NULL;
	expect_exp(&v, "%{p}", false, "unknown");
	expect_exp(&v, "%{r} %{t} %{c}", true, "unknown 1234567890 192.0.2.3");
	v.receiver = "mx.receiver.example";
	expect_exp(&v, "%{r1}", true, "example");
	expect_exp(&v, "%{d999}", false, "email.example.com");

	is_int(sk_spf_macro_expand(S("%{t}"), &v, false, out, sizeof(out), &n,
				   &err),
	       SK_ESYNTAX, "t not allowed outside exp");
	is_int(sk_spf_macro_expand(S("ab%"), &v, false, out, sizeof(out), &n,
				   &err),
	       SK_ESYNTAX, "lone %% at end");
	is_int(err.offset, 2, "lone %% offset");
	is_int(sk_spf_macro_expand(S("%{d}%{d}"), &v, false, out, sizeof(out),
				   &n, &err),
	       SK_ETOOBIG, "expansion over the buffer");
	is_int(sk_spf_macro_expand(S("abc"), &v, false, out, 4, &n, &err),
	       SK_OK, "exact fit");
	is_int(sk_spf_macro_expand(S("abcd"), &v, false, out, 4, &n, &err),
	       SK_ETOOBIG, "one byte over");
	v.ip = "not-an-ip";
	is_int(sk_spf_macro_expand(S("%{i}"), &v, false, out, sizeof(out), &n,
				   &err),
	       SK_EINVAL, "bad client IP");
	is_int(sk_spf_macro_expand(S("a b"), &v, false, out, sizeof(out), &n,
				   &err),
	       SK_ESYNTAX, "space only in explanation text");
}

static void
test_truncate(void)
{
	char buf[600];
	size_t n;
	int i;

	/* 60 labels "abcd." (300 chars) + "example.com". */
	buf[0] = '\0';
	n = 0;
	for (i = 0; i < 60; i++) {
		memcpy(buf + n, "abcd.", 5);
		n += 5;
	}
	memcpy(buf + n, "example.com", 12);
	n += 11;
	sk__spf_truncate_domain(buf, &n);
	ok(n <= SK_SPF_MAX_DOMAIN, "truncated to at most 253 (4.8)");
	is_int(n, 5 * 48 + 11, "whole labels removed from the left");
	ok(memcmp(buf, "abcd.", 5) == 0 &&
		   strcmp(buf + n - 11, "example.com") == 0,
	   "kept the right side");
	ok(sk__spf_valid_domain(S("a.b")), "valid: two labels");
	ok(sk__spf_valid_domain(S("a.b.")), "valid: trailing dot");
	ok(!sk__spf_valid_domain(S("localhost")), "invalid: one label");
	ok(!sk__spf_valid_domain(S("a..b")), "invalid: empty label");
}

/* ---------------------------------------------------------------- check */

static struct sk_resolver *
zone(void)
{
	struct sk_resolver *r = NULL;
	struct sk_err err;
	char name[64], rd[256];
	int i;

	if (sk_resolver_new_script(&r, &err) != SK_OK)
		return NULL;
#define ADD(n, t, d)                                                       \
	do {                                                               \
		if (sk_resolver_script_add(r, (n), (t), (d), &err) != SK_OK) \
			printf("# add %s: %s\n", (n), err.msg);            \
	} while (0)
	ADD("ok.example", SK_DNS_TXT,
	    "\"v=spf1 ip4:192.0.2.0/24 a:mail.ok.example -all\"");
	ADD("mail.ok.example", SK_DNS_A, "198.51.100.7");
	ADD("two.example", SK_DNS_TXT, "\"v=spf1 -all\"");
	ADD("two.example", SK_DNS_TXT, "\"v=spf1 +all\"");
	ADD("bad.example", SK_DNS_TXT, "\"v=spf1 a:museum -all\"");
	ADD("nospf.example", SK_DNS_TXT, "\"hello\"");
	ADD("void.example", SK_DNS_TXT,
	    "\"v=spf1 a:n1.void.example a:n2.void.example "
	    "a:n3.void.example -all\"");
	ADD("void2.example", SK_DNS_TXT,
	    "\"v=spf1 a:n1.void.example a:n2.void.example -all\"");
	ADD("slow.example", SK_DNS_TXT, "\"v=spf1 include:tf.example -all\"");
	if (sk_resolver_script_fail(r, "tf.example", SK_DNS_TXT, "timeout",
				    &err) != SK_OK)
		printf("# fail: %s\n", err.msg);
	if (sk_resolver_script_fail(r, "tf2.example", 0, "timeout", &err) !=
	    SK_OK)
		printf("# fail: %s\n", err.msg);
	/* A chain of 11 includes: the 11th passes the limit. */
	for (i = 0; i < 12; i++) {
		snprintf(name, sizeof(name), "c%d.example", i);
		snprintf(rd, sizeof(rd), "\"v=spf1 include:c%d.example\"",
			 i + 1);
		ADD(name, SK_DNS_TXT, i == 11 ? "\"v=spf1 +all\"" : rd);
	}
	for (i = 0; i < 10; i++) {
		snprintf(name, sizeof(name), "d%d.example", i);
		snprintf(rd, sizeof(rd), "\"v=spf1 include:d%d.example\"",
			 i + 1);
		ADD(name, SK_DNS_TXT, i == 9 ? "\"v=spf1 +all\"" : rd);
	}
	ADD("mx.example", SK_DNS_TXT, "\"v=spf1 mx -all\"");
	for (i = 0; i < 11; i++) {
		snprintf(rd, sizeof(rd), "%d m%d.mx.example.", i, i);
		ADD("mx.example", SK_DNS_MX, rd);
	}
	ADD("exp.example", SK_DNS_TXT,
	    "\"v=spf1 -all exp=why.exp.example\"");
	ADD("why.exp.example", SK_DNS_TXT, "\"%{i} is not one of %{d}'s\"");
	/* Many-IP domain for the async test. */
	ADD("many.example", SK_DNS_TXT,
	    "\"v=spf1 include:inc.many.example -all\"");
	ADD("inc.many.example", SK_DNS_TXT,
	    "\"v=spf1 a:h.many.example ip4:10.0.0.0/25\"");
	ADD("h.many.example", SK_DNS_A, "10.1.0.1");
	/* An include whose own -all must not leak out as the decision. */
	ADD("outer.example", SK_DNS_TXT, "\"v=spf1 include:inner.example\"");
	ADD("inner.example", SK_DNS_TXT, "\"v=spf1 ip4:192.0.2.1 -all\"");
	ADD("redir.example", SK_DNS_TXT, "\"v=spf1 redirect=outer.example\"");
#undef ADD
	return r;
}

static struct sk_spf_outcome *
check(struct sk_resolver *r, const char *ip, const char *from)
{
	struct sk_spf_request req = { 0 };
	struct sk_spf_outcome *o = NULL;
	struct sk_err err;

	req.ip = ip;
	req.mail_from = from;
	req.helo = "helo.example";
	req.receiver = "mx.receiver.example";
	req.now = 1;
	if (sk_spf_check(r, &req, NULL, &o, &err) != SK_OK)
		printf("# check failed: %s\n", err.msg);
	return o;
}

static void
test_check(void)
{
	struct sk_resolver *r = zone();
	struct sk_spf_outcome *o;
	struct sk_spf_request req = { 0 };
	struct sk_err err;

	if (r == NULL) {
		ok(0, "script resolver");
		return;
	}
	o = check(r, "192.0.2.55", "user@ok.example");
	if (o != NULL) {
		is_int(o->result, SK_SPF_PASS, "ip4 pass");
		is_str(o->mechanism, "ip4:192.0.2.0/24", "deciding mechanism");
		is_str(o->mechanism_domain, "ok.example", "its domain");
		ok(o->explanation == NULL && o->problem == NULL,
		   "no explanation or problem on pass");
		is_int(o->lookups, 0, "ip4 costs no lookup");
	}
	sk_spf_outcome_free(o);
	/* Section 5.2: an include that does not match decides nothing;
	 * the default neutral of section 4.7 names no mechanism. */
	o = check(r, "198.51.100.1", "user@outer.example");
	if (o != NULL) {
		is_int(o->result, SK_SPF_NEUTRAL, "include fail -> neutral");
		ok(o->mechanism == NULL && o->match_path == NULL,
		   "inner -all not reported as the decision");
	}
	sk_spf_outcome_free(o);
	o = check(r, "192.0.2.1", "user@redir.example");
	if (o != NULL) {
		is_int(o->result, SK_SPF_PASS, "pass through redirect+include");
		is_str(o->mechanism, "include:inner.example",
		       "mechanism of the redirect target's record");
		is_str(o->match_path,
		       "redir.example: redirect=outer.example > outer.example:"
		       " include:inner.example > inner.example: "
		       "ip4:192.0.2.1",
		       "match path, outer record first");
	}
	sk_spf_outcome_free(o);
	o = check(r, "198.51.100.7", "user@OK.example");
	ok(o && o->result == SK_SPF_PASS && o->lookups == 1,
	   "a: pass, one lookup");
	sk_spf_outcome_free(o);
	o = check(r, "203.0.113.1", "user@ok.example");
	if (o != NULL) {
		is_int(o->result, SK_SPF_FAIL, "-all fails");
		is_str(o->mechanism, "-all", "-all decided");
		is_str(o->explanation,
		       "ok.example does not designate 203.0.113.1 as "
		       "permitted sender",
		       "default explanation");
		is_str(o->domain, "ok.example", "domain checked");
		is_int(o->identity, SK_SPF_ID_MAILFROM, "mailfrom identity");
	}
	sk_spf_outcome_free(o);
	o = check(r, "203.0.113.1", "user@exp.example");
	ok(o && o->explanation &&
		   strcmp(o->explanation,
			  "203.0.113.1 is not one of exp.example's") == 0,
	   "exp= explanation expanded (6.2)");
	ok(o && o->lookups == 0, "exp does not count as a lookup");
	sk_spf_outcome_free(o);
	o = check(r, "203.0.113.1", "user@two.example");
	ok(o && o->result == SK_SPF_PERMERROR && o->problem &&
		   strcmp(o->problem, "2 SPF records at two.example (RFC "
				      "7208 section 4.5)") == 0,
	   "two records: permerror with problem");
	sk_spf_outcome_free(o);
	o = check(r, "203.0.113.1", "user@bad.example");
	ok(o && o->result == SK_SPF_PERMERROR && o->problem &&
		   strstr(o->problem, "bad.example") != NULL,
	   "syntax error: permerror naming the domain");
	sk_spf_outcome_free(o);
	o = check(r, "203.0.113.1", "user@nospf.example");
	ok(o && o->result == SK_SPF_NONE && o->problem != NULL,
	   "no v=spf1 TXT: none");
	sk_spf_outcome_free(o);
	o = check(r, "203.0.113.1", "user@nowhere.example");
	ok(o && o->result == SK_SPF_NONE, "NXDOMAIN: none");
	sk_spf_outcome_free(o);
	o = check(r, "203.0.113.1", "user@tf2.example");
	ok(o && o->result == SK_SPF_TEMPERROR && o->problem &&
		   strcmp(o->problem, "DNS timeout looking up TXT "
				      "tf2.example") == 0,
	   "TXT timeout: temperror with problem");
	sk_spf_outcome_free(o);
	o = check(r, "203.0.113.1", "user@slow.example");
	ok(o && o->result == SK_SPF_TEMPERROR, "include timeout: temperror");
	ok(o && o->lookups == 1, "partial count kept");
	sk_spf_outcome_free(o);

	/* Section 4.6.4 limits. */
	o = check(r, "203.0.113.1", "user@c0.example");
	if (o != NULL) {
		is_int(o->result, SK_SPF_PERMERROR, "11 includes: permerror");
		is_str(o->problem, "more than 10 DNS-querying terms (RFC 7208 "
				   "section 4.6.4)",
		       "limit problem text");
		is_int(o->lookups, 11, "the term that went over is counted");
	}
	sk_spf_outcome_free(o);
	o = check(r, "203.0.113.1", "user@d0.example");
	ok(o && o->result == SK_SPF_PASS && o->lookups == 9,
	   "9 includes: within the limit");
	sk_spf_outcome_free(o);
	o = check(r, "203.0.113.1", "user@void.example");
	ok(o && o->result == SK_SPF_PERMERROR && o->void_lookups == 3,
	   "third void lookup: permerror");
	sk_spf_outcome_free(o);
	o = check(r, "203.0.113.1", "user@void2.example");
	ok(o && o->result == SK_SPF_FAIL && o->void_lookups == 2,
	   "two void lookups: allowed");
	sk_spf_outcome_free(o);
	o = check(r, "203.0.113.1", "user@mx.example");
	ok(o && o->result == SK_SPF_PERMERROR && o->problem &&
		   strstr(o->problem, "11 MX records") != NULL,
	   "more than 10 MX names: permerror");
	sk_spf_outcome_free(o);

	/* Initial processing (4.3). */
	o = check(r, "203.0.113.1", "@ok.example");
	ok(o && o->result == SK_SPF_FAIL && o->sender &&
		   strcmp(o->sender, "postmaster@ok.example") == 0,
	   "empty local part gives postmaster");
	sk_spf_outcome_free(o);
	o = check(r, "203.0.113.1", "user@localhost");
	ok(o && o->result == SK_SPF_NONE, "single-label domain: none");
	sk_spf_outcome_free(o);
	o = check(r, "203.0.113.1", NULL);
	ok(o && o->identity == SK_SPF_ID_HELO && o->domain &&
		   strcmp(o->domain, "helo.example") == 0,
	   "null MAIL FROM checks HELO");
	sk_spf_outcome_free(o);
	o = check(r, "::ffff:192.0.2.9", "u@ok.example");
	ok(o && o->result == SK_SPF_PASS && o->ip &&
		   strcmp(o->ip, "192.0.2.9") == 0,
	   "IPv4-mapped IPv6 client is IPv4");
	sk_spf_outcome_free(o);

	req.ip = "300.1.1.1";
	req.mail_from = "a@ok.example";
	o = NULL;
	is_int(sk_spf_check(r, &req, NULL, &o, &err), SK_EINVAL,
	       "bad IP: SK_EINVAL");
	ok(o == NULL, "no outcome on error");
	sk_resolver_free(r);
}

/* -------------------------------------------------------------- async */

struct slot {
	int done;
	enum sk_spf_result want, got;
	unsigned lookups;
};

static void
slot_cb(void *arg, sk_status st, struct sk_spf_outcome *o)
{
	struct slot *s = arg;

	s->done++;
	if (st == SK_OK && o != NULL) {
		s->got = o->result;
		s->lookups = o->lookups;
	} else {
		s->got = (enum sk_spf_result)-1;
	}
	sk_spf_outcome_free(o);
}

static void
test_async(void)
{
	struct sk_resolver *r = zone();
	struct slot slots[50];
	struct sk_err err;
	char ip[32];
	int i, good = 0, once = 0, left;
	size_t pend;

	if (r == NULL)
		return;
	memset(slots, 0, sizeof(slots));
	for (i = 0; i < 50; i++) {
		struct sk_spf_request req = { 0 };

		/* 10.0.0.0/25 passes through the include, 10.1.0.1 through
		 * a:, the rest fails; every 10th is a malformed domain. */
		if (i % 3 == 0)
			snprintf(ip, sizeof(ip), "10.0.0.%d", i);
		else if (i % 3 == 1)
			snprintf(ip, sizeof(ip), "10.1.0.1");
		else
			snprintf(ip, sizeof(ip), "10.0.0.%d", 128 + i);
		req.ip = ip;
		req.mail_from = i % 10 == 9 ? "x@bad..example"
					    : "x@many.example";
		req.helo = "h.example";
		slots[i].want = i % 10 == 9 ? SK_SPF_NONE
				: i % 3 == 2 ? SK_SPF_FAIL
					     : SK_SPF_PASS;
		if (sk_spf_check_start(r, &req, NULL, slot_cb, &slots[i],
				       &err) != SK_OK)
			printf("# start %d: %s\n", i, err.msg);
	}
	pend = sk_resolver_pending(r);
	ok(pend > 0, "questions pending after 50 starts");
	for (i = 0; i < 50; i++)
		once += slots[i].done != 0;
	is_int(once, 0, "no callback from inside sk_spf_check_start");
	left = sk_resolver_run(r, -1);
	is_int(left, 0, "resolver ran dry");
	once = 0;
	for (i = 0; i < 50; i++) {
		once += slots[i].done == 1;
		good += slots[i].got == slots[i].want;
		if (slots[i].got != slots[i].want)
			printf("# eval %d: got %d want %d\n", i,
			       (int)slots[i].got, (int)slots[i].want);
	}
	is_int(once, 50, "every evaluation called back exactly once");
	is_int(good, 50, "every evaluation got its own result");
	sk_resolver_free(r);

	/* Freeing the resolver under pending evaluations (one waiting for
	 * DNS, one with a result known at once) drops them without a
	 * callback; the sanitizer build checks that nothing leaks. */
	r = zone();
	if (r == NULL)
		return;
	memset(slots, 0, sizeof(slots));
	for (i = 0; i < 2; i++) {
		struct sk_spf_request req = { 0 };

		req.ip = "10.0.0.1";
		req.mail_from = i == 0 ? "x@many.example" : "x@bad..example";
		if (sk_spf_check_start(r, &req, NULL, slot_cb, &slots[i],
				       &err) != SK_OK)
			printf("# start %d: %s\n", i, err.msg);
	}
	sk_resolver_free(r);
	ok(slots[0].done == 0 && slots[1].done == 0,
	   "no callback after the resolver is freed");
}

/* ------------------------------------------------------------- header */

static void
test_header(void)
{
	struct sk_resolver *r = zone();
	struct sk_spf_outcome *o;
	char *h = NULL;
	struct sk_err err;

	if (r == NULL)
		return;
	o = check(r, "192.0.2.55", "user@ok.example");
	is_int(sk_spf_received_header(o, false, &h, &err), SK_OK, "header");
	is_str(h, "Received-SPF: pass (mx.receiver.example: domain of "
		  "user@ok.example designates 192.0.2.55 as permitted sender) "
		  "client-ip=192.0.2.55; envelope-from=\"user@ok.example\"; "
		  "helo=helo.example; receiver=mx.receiver.example; "
		  "identity=mailfrom; mechanism=\"ip4:192.0.2.0/24\"",
	       "one-line Received-SPF (9.1)");
	free(h);
	h = NULL;
	is_int(sk_spf_received_header(o, true, &h, &err), SK_OK,
	       "folded header");
	if (h != NULL) {
		const char *p = h, *nl;
		int longest = 0, lines = 0;

		for (;;) {
			nl = strstr(p, "\r\n");
			int len = (int)(nl ? (size_t)(nl - p) : strlen(p));

			longest = len > longest ? len : longest;
			lines++;
			if (nl == NULL)
				break;
			ok(nl[2] == ' ', "continuation starts with a space");
			p = nl + 2;
		}
		ok(longest <= 78, "lines at most 78 columns (%d)", longest);
		ok(lines >= 3, "folded into several lines");
		ok(strstr(h, "\r\n\r\n") == NULL && h[strlen(h) - 1] != '\n',
		   "no empty line, no trailing CRLF");
	}
	free(h);
	sk_spf_outcome_free(o);
	sk_resolver_free(r);
}

/* ------------------------------------------------------ alloc failures */

static void
test_enomem(void)
{
	struct sk_resolver *r = zone();
	int recovered = 0, n;

	if (r == NULL)
		return;
	for (n = 0; n < 400; n++) {
		struct sk_spf_request req = { .ip = "203.0.113.1",
					      .mail_from = "a@exp.example" };
		struct sk_spf_outcome *o = NULL;
		struct sk_spf_record *rec = NULL;
		sk_status st, st2;

		sk_test_fail_alloc_after((size_t)n);
		st = sk_spf_parse(S("v=spf1 a mx:x.example -all"), &rec, NULL);
		st2 = sk_spf_check(r, &req, NULL, &o, NULL);
		sk_test_fail_alloc_after(SIZE_MAX);
		if (st != SK_OK && st != SK_ENOMEM)
			break;
		if (st2 != SK_OK && st2 != SK_ENOMEM && st2 != SK_EDNS &&
		    st2 != SK_EINTERNAL)
			break;
		sk_spf_record_free(rec);
		if (st2 == SK_OK && o != NULL &&
		    o->result == SK_SPF_FAIL && st == SK_OK) {
			recovered = 1;
			sk_spf_outcome_free(o);
			break;
		}
		sk_spf_outcome_free(o);
	}
	ok(recovered, "allocation failures give SK_ENOMEM, then success "
		      "(after %d)", n);
	sk_resolver_free(r);
}

int
main(void)
{
	tap_plan_unknown();
	test_parse_ok();
	test_parse_errors();
	test_macros();
	test_truncate();
	test_check();
	test_async();
	test_header();
	test_enomem();
	return tap_done();
}
