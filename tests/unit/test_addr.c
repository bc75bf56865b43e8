/*
 * tests/unit/test_addr.c - RFC 5322 section 3.4 address lists (the
 * From-header parser) and RFC 8601 Authentication-Results formatting.
 */
#include <string.h>
#include "tap.h"
#include "msg/msg_internal.h"

static struct sk__addr_list L;

/* Parse s; return status; the domains joined by ',' into buf. */
static int
doms(const char *s, char *buf, size_t bufsz)
{
	int st = sk__addr_parse_list(s, strlen(s), &L);
	size_t i, o = 0;

	buf[0] = '\0';
	for (i = 0; st == 0 && i < L.n; i++) {
		int w = snprintf(buf + o, bufsz - o, "%s%s", i ? "," : "",
				 L.mb[i].domain);
		if (w < 0 || (size_t)w >= bufsz - o)
			break;
		o += (size_t)w;
	}
	return st;
}

#define GOOD(in, want)                                                    \
	do {                                                              \
		char b_[1024];                                            \
		int st_ = doms(in, b_, sizeof(b_));                       \
		is_int(st_, SK_OK, "parses: %s", in);                     \
		is_str(b_, want, "domains of: %s", in);                   \
	} while (0)

#define BAD(in)                                                           \
	do {                                                              \
		char b_[1024];                                            \
		is_int(doms(in, b_, sizeof(b_)), SK_ESYNTAX,              \
		       "syntax error: %s", in);                           \
	} while (0)

static void
test_addresses(void)
{
	GOOD("user@example.com", "example.com");
	GOOD(" John Doe <john@Example.COM>", "Example.COM");
	GOOD("\"Doe, John\" <j@a.example>", "a.example");
	GOOD("\"admin@paypal.com\" <x@evil.example>", "evil.example");
	GOOD("j@a.example (comment @ b.example)", "a.example");
	GOOD("(nested (comment) here) j@a.example", "a.example");
	GOOD("a@x.example, b@y.example", "x.example,y.example");
	GOOD("=?UTF-8?B?Sm9obg==?= <j@a.example>", "a.example");
	GOOD("\"quoted local\"@a.example", "a.example");
	GOOD("first.last@sub . a.example", "sub.a.example");
	GOOD("John Q. Public <jqp@a.example>", "a.example");
	GOOD("<@relay.example,@r2.example:j@a.example>", "a.example");
	GOOD("undisclosed-recipients:;", "");
	GOOD("team: a@x.example, b@y.example;", "x.example,y.example");
	GOOD(", , a@x.example,,", "x.example");
	GOOD("a@[192.0.2.1]", "[192.0.2.1]");
	GOOD("J\r\n <j@a.example>", "a.example");
	GOOD("j\xc3\xa9@b\xc3\xbc.example", "b\xc3\xbc.example");
	ok(L.n == 1 && !L.mb[0].literal, "UTF-8 domain is a name");
	ok(doms("a@[192.0.2.1]", (char[64]){0}, 64) == 0 && L.mb[0].literal,
	   "domain literal flagged");
	/* Hostile and malformed forms: a clear syntax error. */
	BAD("<a@x.example>>");          /* OpenDMARC #342 */
	BAD("a@x.example>");
	BAD("a@x.example> b@y.example");
	BAD("a@x.example b@y.example"); /* missing comma */
	BAD("John Doe");
	BAD("<>");
	BAD("a@");
	BAD("@x.example");
	BAD("a@x..example");
	BAD("a@x.example.");
	BAD("\"unterminated@x.example");
	BAD("(unterminated a@x.example");
	BAD("a@[1.2.3.4");
	BAD("g1: g2: a@x.example;;");    /* nested group */
	BAD("g: a@x.example");          /* group without ';' */
	BAD("a..b@x.example");
	BAD("<a@x.example");
	BAD("a@x.example\"");
	{
		char big[600];
		memset(big, 'a', sizeof(big));
		big[0] = 'u';
		big[1] = '@';
		big[sizeof(big) - 1] = '\0';
		BAD(big); /* domain over 255 bytes */
	}
	{
		static char many[64 * 20];
		size_t i, o = 0;
		for (i = 0; i < 70; i++)
			o += (size_t)snprintf(many + o, sizeof(many) - o,
					      "a@x%zu.example,", i);
		is_int(sk__addr_parse_list(many, o, &L), SK_ETOOBIG,
		       "too many mailboxes");
	}
	{
		static char deep[200];
		memset(deep, '(', 100);
		memset(deep + 100, ')', 100);
		is_int(sk__addr_parse_list(deep, 200, &L), SK_ESYNTAX,
		       "comments nested too deep");
	}
	/* Not NUL-terminated: the length is the bound. */
	is_int(sk__addr_parse_list("\"a\\\0b\"@x.example", 16, &L),
	       SK_ESYNTAX, "NUL in a quoted-pair refused");
	is_int(sk__addr_parse_list("a@x.exampleXXXX", 11, &L), SK_OK,
	       "length-bounded");
	is_str(L.mb[0].domain, "x.example", "length-bounded domain");
	is_int(sk__addr_parse_list("a@x.example>", 12, &L), SK_ESYNTAX,
	       "stray '>'");
	is_int((long long)L.err_offset, 11, "offset of the stray '>'");
}

static void
test_authres(void)
{
	struct sk__authres_method m[3];
	char *s = NULL;

	memset(m, 0, sizeof(m));
	m[0].method = "spf";
	m[0].result = "pass";
	m[0].nprops = 1;
	m[0].props[0] = (struct sk__authres_prop){"smtp", "mailfrom",
						  "example.com"};
	m[1].method = "dkim";
	m[1].result = "pass";
	m[1].nprops = 3;
	m[1].props[0] = (struct sk__authres_prop){"header", "d",
						  "example.com"};
	m[1].props[1] = (struct sk__authres_prop){"header", "s", "sel"};
	m[1].props[2] = (struct sk__authres_prop){"header", "b", "abcdefgh"};
	m[2].method = "dmarc";
	m[2].result = "pass";
	m[2].comment = "p=reject dis=none";
	m[2].nprops = 1;
	m[2].props[0] = (struct sk__authres_prop){"header", "from",
						  "example.com"};
	is_int(sk__authres_format("mx.example.org", m, 3, false, &s, NULL),
	       SK_OK, "format");
	is_str(s, "Authentication-Results: mx.example.org; spf=pass "
	       "smtp.mailfrom=example.com; dkim=pass header.d=example.com "
	       "header.s=sel header.b=abcdefgh; dmarc=pass (p=reject "
	       "dis=none) header.from=example.com", "one line");
	sk__free(s);
	is_int(sk__authres_format("mx.example.org", m, 3, true, &s, NULL),
	       SK_OK, "format folded");
	is_str(s, "Authentication-Results: mx.example.org; spf=pass "
	       "smtp.mailfrom=example.com;\r\n\tdkim=pass "
	       "header.d=example.com header.s=sel header.b=abcdefgh;\r\n\t"
	       "dmarc=pass (p=reject dis=none) header.from=example.com",
	       "folded");
	{
		const char *p = s, *e = strstr(p, "\r\n");
		int okl = 1;
		while (e != NULL) {
			if (e - p > 78)
				okl = 0;
			p = e + 2;
			e = strstr(p, "\r\n");
		}
		ok(okl && strlen(p) <= 78, "lines within 78 columns");
	}
	sk__free(s);
	/* Quoting: '/' and '=' are tspecials; addresses stay bare. */
	m[1].props[2].value = "Ab/c+D==";
	m[0].props[0].value = "user@example.com";
	m[2].comment = "a (b) c\\";
	is_int(sk__authres_format("mx x", m, 3, false, &s, NULL), SK_OK,
	       "format quoted");
	ok(strstr(s, "header.b=\"Ab/c+D==\"") != NULL, "header.b quoted: %s",
	   s);
	ok(strstr(s, "smtp.mailfrom=user@example.com") != NULL,
	   "address bare");
	ok(strstr(s, "Authentication-Results: \"mx x\";") != NULL,
	   "authserv-id quoted");
	ok(strstr(s, "(a \\(b\\) c\\\\)") != NULL, "comment escaped");
	sk__free(s);
	m[0].props[0].value = "a b\"c";
	is_int(sk__authres_format("mx", m, 1, false, &s, NULL), SK_OK,
	       "format odd value");
	is_str(s, "Authentication-Results: mx; spf=pass "
	       "smtp.mailfrom=\"a b\\\"c\"", "value quoted and escaped");
	sk__free(s);
	is_int(sk__authres_format("mx", NULL, 0, false, &s, NULL), SK_OK,
	       "no results");
	is_str(s, "Authentication-Results: mx; none", "none");
	sk__free(s);
	m[0].props[0].ptype = "smtp x";
	is_int(sk__authres_format("mx", m, 1, false, &s, NULL), SK_EINVAL,
	       "bad ptype refused");
	is_int(sk__authres_format("", m, 0, false, &s, NULL), SK_EINVAL,
	       "empty authserv-id refused");
	m[0].props[0].ptype = "policy";
	m[0].props[0].property = "dmarc.applied";
	m[0].props[0].value = "reject";
	is_int(sk__authres_format("mx", m, 1, false, &s, NULL), SK_OK,
	       "policy ptype");
	is_str(s, "Authentication-Results: mx; spf=pass "
	       "policy.dmarc.applied=reject", "policy property");
	sk__free(s);
}

int
main(void)
{
	tap_plan_unknown();
	test_addresses();
	test_authres();
	return tap_done();
}
