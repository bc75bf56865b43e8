/*
 * tests/unit/test_net.c - addresses, CIDRs, CIDR sets, rules-file reading
 * and allowlists (include/senderkit/net.h).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <senderkit/net.h>

#include "tap.h"

static struct sk_ipaddr
ip(const char *txt)
{
	struct sk_ipaddr a;

	if (sk_ip_parse(txt, strlen(txt), &a, NULL) != SK_OK) {
		ok(0, "parse %s", txt);
		memset(&a, 0, sizeof(a));
	}
	return a;
}

static struct sk_iprange
range(const char *txt)
{
	struct sk_iprange r;

	if (sk_iprange_parse(txt, strlen(txt), 0, &r, NULL, NULL) != SK_OK) {
		ok(0, "parse %s", txt);
		memset(&r, 0, sizeof(r));
	}
	return r;
}

static const char *
ipstr(const char *in)
{
	static char buf[SK_IP_STRLEN];
	struct sk_ipaddr a;

	if (sk_ip_parse(in, strlen(in), &a, NULL) != SK_OK)
		return "(error)";
	sk_ip_format(&a, buf, sizeof(buf));
	return buf;
}

static const char *
cidrstr(const char *in, unsigned flags, bool *norm)
{
	static char buf[SK_CIDR_STRLEN];
	struct sk_cidr c;

	if (sk_cidr_parse(in, strlen(in), flags, &c, norm, NULL) != SK_OK)
		return "(error)";
	sk_cidr_format(&c, buf, sizeof(buf));
	return buf;
}

/* Parse must fail with SK_ESYNTAX at `off`. */
static void
bad_ip(const char *in, size_t off)
{
	struct sk_ipaddr a;
	struct sk_err e;
	sk_status st;

	sk_err_clear(&e);
	st = sk_ip_parse(in, strlen(in), &a, &e);
	is_int(st, SK_ESYNTAX, "'%s' refused", in);
	is_int(e.offset, off, "'%s' error at offset %zu (%s)", in, off, e.msg);
}

static void
bad_cidr(const char *in, size_t off)
{
	struct sk_cidr c;
	struct sk_err e;
	sk_status st;

	sk_err_clear(&e);
	st = sk_cidr_parse(in, strlen(in), 0, &c, NULL, &e);
	is_int(st, SK_ESYNTAX, "'%s' refused", in);
	is_int(e.offset, off, "'%s' error at offset %zu (%s)", in, off, e.msg);
}

static void
test_addresses(void)
{
	struct sk_ipaddr a;
	struct sk_err e;
	char big[100];

	is_str(ipstr("192.0.2.1"), "192.0.2.1", "IPv4");
	is_str(ipstr("0.0.0.0"), "0.0.0.0", "IPv4 zero");
	is_str(ipstr("255.255.255.255"), "255.255.255.255", "IPv4 max");
	/* RFC 5952 section 4 examples. */
	is_str(ipstr("2001:db8:0:0:0:0:2:1"), "2001:db8::2:1",
	       "longest zero run compressed");
	is_str(ipstr("2001:0db8:0:1:1:1:1:1"), "2001:db8:0:1:1:1:1:1",
	       "one zero group is not compressed, leading zeros dropped");
	is_str(ipstr("2001:db8:0:0:1:0:0:1"), "2001:db8::1:0:0:1",
	       "first of two equal runs compressed");
	is_str(ipstr("1:0:0:2:0:0:0:3"), "1:0:0:2::3", "longer run wins");
	is_str(ipstr("2001:DB8::ABCD"), "2001:db8::abcd", "lower case");
	is_str(ipstr("::"), "::", "unspecified");
	is_str(ipstr("::1"), "::1", "loopback");
	is_str(ipstr("1::"), "1::", "trailing ::");
	is_str(ipstr("1:2:3:4:5:6:7::"), "1:2:3:4:5:6:7:0",
	       ":: for one group");
	is_str(ipstr("::ffff:192.0.2.1"), "::ffff:192.0.2.1",
	       "IPv4-mapped keeps dotted tail (RFC 5952 section 5)");
	is_str(ipstr("64:ff9b::192.0.2.33"), "64:ff9b::c000:221",
	       "other dotted tails are hex");
	is_str(ipstr("1:2:3:4:5:6:1.2.3.4"), "1:2:3:4:5:6:102:304",
	       "full form with tail");

	ok(sk_ip_parse("10.1.2.3", 8, &a, NULL) == SK_OK &&
	   a.af == SK_AF_INET && a.b[0] == 10 && a.b[3] == 3 && a.b[4] == 0,
	   "IPv4 bytes in b[0..3], the rest zero");
	/* Length-bounded: the text after len is not read. */
	ok(sk_ip_parse("10.1.2.34567", 8, &a, NULL) == SK_OK &&
	   a.b[3] == 3, "parses only len bytes");

	bad_ip("", 0);
	bad_ip("1.2.3", 5);
	bad_ip("1.2.3.256", 6);
	bad_ip("1.2.3.1000", 6);
	bad_ip("01.2.3.4", 0);
	bad_ip("1.2.03.4", 4);
	bad_ip("1.2.3.4x", 7);
	bad_ip("1.2.3.4.5", 7);
	bad_ip("1..3.4", 2);
	bad_ip("a.b.c.d", 0);
	bad_ip("1:2:3:4:5:6:7:8:9", 16);
	bad_ip("1:2:3:4:5:6:7", 13);
	bad_ip("1::2::3", 4);
	bad_ip("12345::", 0);
	bad_ip(":1::", 0);
	bad_ip("1:", 1);
	bad_ip("1:2:3:4:5:6:7:8::", 17);
	bad_ip("fe80::1%eth0", 7);
	bad_ip("::g", 2);
	bad_ip("1:2:3:4:5:6:7:1.2.3.4", 14);
	bad_ip("::1.2.3", 7);

	memset(big, '1', sizeof(big));
	sk_err_clear(&e);
	is_int(sk_ip_parse(big, sizeof(big), &a, &e), SK_ETOOBIG,
	       "over SK_CIDR_MAX_TEXT");
}

static void
test_cidrs(void)
{
	struct sk_cidr c;
	struct sk_ipaddr a;
	struct sk_iprange r;
	struct sk_err e;
	char buf[2 * SK_IP_STRLEN];
	bool norm;

	is_str(cidrstr("192.0.2.0/24", 0, &norm), "192.0.2.0/24", "CIDR");
	ok(!norm, "no normalization needed");
	is_str(cidrstr("192.0.2.77/24", 0, &norm), "192.0.2.0/24",
	       "host bits cleared");
	ok(norm, "and flagged");
	is_str(cidrstr("192.0.2.77/24", SK_NET_STRICT, NULL), "(error)",
	       "strict refuses host bits");
	sk_err_clear(&e);
	ok(sk_cidr_parse("192.0.2.77/24", 13, SK_NET_STRICT, &c, NULL, &e) ==
	   SK_ESYNTAX && e.offset == 10, "strict error at the '/' (%s)",
	   e.msg);
	is_str(cidrstr("192.0.2.1", 0, NULL), "192.0.2.1/32", "host: /32");
	is_str(cidrstr("2001:db8::1", 0, NULL), "2001:db8::1/128",
	       "host: /128");
	is_str(cidrstr("2001:db8:ffff::1/32", 0, &norm), "2001:db8::/32",
	       "IPv6 normalized");
	ok(norm, "IPv6 normalization flagged");
	is_str(cidrstr("0.0.0.0/0", 0, NULL), "0.0.0.0/0", "IPv4 /0");
	is_str(cidrstr("1.2.3.4/0", 0, &norm), "0.0.0.0/0", "/0 clears all");
	is_str(cidrstr("::/0", 0, NULL), "::/0", "IPv6 /0");
	is_str(cidrstr("2001:db8::8000:0:0:0/65", 0, &norm),
	       "2001:db8:0:0:8000::/65", "prefix across the 64-bit halves");
	ok(!norm, "/65 aligned");
	is_str(cidrstr("2001:db8::1:0:0:1/64", 0, &norm), "2001:db8::/64",
	       "/64 clears the low word");
	bad_cidr("10.0.0.0/33", 9);
	bad_cidr("::/129", 3);
	bad_cidr("10.0.0.0/", 9);
	bad_cidr("10.0.0.0/08", 9);
	bad_cidr("10.0.0.0/2a", 9);
	bad_cidr("10.0.0.0/1234", 9);
	bad_cidr("10.0.0/8", 6);

	ok(sk_cidr_parse("10.0.0.0/8", 10, 0, &c, NULL, NULL) == SK_OK,
	   "10/8");
	a = ip("10.255.255.255");
	ok(sk_cidr_contains(&c, &a), "contains its last address");
	a = ip("11.0.0.0");
	ok(!sk_cidr_contains(&c, &a), "not the next one");
	a = ip("::a00:0");
	ok(!sk_cidr_contains(&c, &a), "not across families");
	sk_cidr_range(&c, &r);
	sk_iprange_format(&r, buf, sizeof(buf));
	is_str(buf, "10.0.0.0-10.255.255.255", "range of a block");

	ok(sk_iprange_parse("10.0.0.5 - 10.0.0.9", 19, 0, &r, NULL, NULL) ==
	   SK_OK, "range with blanks");
	sk_iprange_format(&r, buf, sizeof(buf));
	is_str(buf, "10.0.0.5-10.0.0.9", "range text");
	sk_err_clear(&e);
	ok(sk_iprange_parse("10.0.0.9-10.0.0.5", 17, 0, &r, NULL, &e) ==
	   SK_ESYNTAX && e.offset == 9, "reversed range refused at 9");
	sk_err_clear(&e);
	ok(sk_iprange_parse("10.0.0.9-::1", 12, 0, &r, NULL, &e) ==
	   SK_ESYNTAX, "mixed families refused");
	sk_err_clear(&e);
	ok(sk_iprange_parse("10.0.0.9-10.0.0.x", 17, 0, &r, NULL, &e) ==
	   SK_ESYNTAX && e.offset == 16, "bad second end: offset %zu",
	   e.offset);
	ok(sk_iprange_parse("10.0.0.7/30", 11, 0, &r, &norm, NULL) ==
	   SK_OK && norm, "a CIDR is a range too");
	sk_iprange_format(&r, buf, sizeof(buf));
	is_str(buf, "10.0.0.4-10.0.0.7", "its range");
}

/* The CIDR blocks of a set as one string "a b c". */
static const char *
blocks(const struct sk_cidrset *s)
{
	static char buf[4096];
	struct sk_cidrset_iter it;
	struct sk_cidr c;
	size_t o = 0;

	buf[0] = '\0';
	sk_cidrset_iter_init(&it);
	while (sk_cidrset_next(s, &it, &c) && o < sizeof(buf) - 60) {
		if (o > 0)
			buf[o++] = ' ';
		o += sk_cidr_format(&c, buf + o, sizeof(buf) - o);
	}
	return buf;
}

static void
add(struct sk_cidrset *s, const char *txt)
{
	struct sk_iprange r;

	if (sk_iprange_parse(txt, strlen(txt), 0, &r, NULL, NULL) != SK_OK ||
	    sk_cidrset_add_range(s, &r, NULL) != SK_OK)
		ok(0, "add %s", txt);
}

static bool
has(const struct sk_cidrset *s, const char *ip)
{
	struct sk_ipaddr a;

	if (sk_ip_parse(ip, strlen(ip), &a, NULL) != SK_OK)
		return false;
	return sk_cidrset_contains(s, &a);
}

static void
test_sets(void)
{
	struct sk_cidrset *s, *t, *d;
	struct sk_iprange r;
	struct sk_cidr c;

	ok(sk_cidrset_new(&s, NULL) == SK_OK, "new set");
	ok(!has(s, "10.0.0.1"), "empty set holds nothing");
	add(s, "10.0.0.128/25");
	add(s, "10.0.0.0/25");
	add(s, "10.0.1.0/24");
	add(s, "10.0.0.7");
	add(s, "2001:db8::/33");
	add(s, "2001:db8:8000::/33");
	ok(has(s, "10.0.1.255") && !has(s, "10.0.2.0"),
	   "unaggregated membership (linear)");
	is_int(sk_cidrset_nranges(s), 6, "six ranges stored");
	sk_cidrset_aggregate(s);
	is_int(sk_cidrset_nranges(s), 2, "aggregated to two ranges");
	is_str(blocks(s), "10.0.0.0/23 2001:db8::/32",
	       "adjacent and overlapping merged, IPv4 first");
	is_int(sk_cidrset_ncidrs(s), 2, "two CIDRs");
	ok(has(s, "10.0.0.0") && has(s, "10.0.1.255") && has(s, "10.0.0.7"),
	   "members");
	ok(!has(s, "9.255.255.255") && !has(s, "10.0.2.0"), "edges outside");
	ok(has(s, "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff") &&
	   !has(s, "2001:db9::"), "IPv6 edges");
	ok(!has(s, "::ffff:10.0.0.1"), "IPv4-mapped is IPv6, not IPv4");
	r = range("10.0.0.10-10.0.1.20");
	ok(sk_cidrset_covers(s, &r), "covers a range inside");
	r = range("10.0.1.10-10.0.2.0");
	ok(!sk_cidrset_covers(s, &r), "not one reaching outside");

	/* Minimal cover of an unaligned range. */
	ok(sk_cidrset_new(&t, NULL) == SK_OK, "second set");
	add(t, "10.0.0.1-10.0.0.10");
	is_str(blocks(t), "10.0.0.1/32 10.0.0.2/31 10.0.0.4/30 10.0.0.8/31 "
	       "10.0.0.10/32", "range split into the fewest blocks");
	sk_cidrset_free(t);

	ok(sk_cidrset_new(&t, NULL) == SK_OK, "third set");
	add(t, "0.0.0.0-255.255.255.255");
	add(t, "::/0");
	sk_cidrset_aggregate(t);
	is_str(blocks(t), "0.0.0.0/0 ::/0", "whole spaces");
	ok(has(t, "255.255.255.255") && has(t, "ffff::1"), "ends of spaces");
	sk_cidrset_free(t);
	ok(sk_cidrset_new(&t, NULL) == SK_OK, "fourth set");
	add(t, "255.255.255.254-255.255.255.255");
	add(t, "255.255.255.0/25");
	add(t, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127");
	sk_cidrset_aggregate(t);
	is_str(blocks(t), "255.255.255.0/25 255.255.255.254/31 "
	       "ffff:ffff:ffff:ffff:ffff:ffff:ffff:fffe/127",
	       "blocks at the end of the space");
	sk_cidrset_free(t);

	/* Difference. */
	ok(sk_cidrset_new(&t, NULL) == SK_OK, "subtrahend");
	add(t, "10.0.0.64/26");
	add(t, "10.0.1.0/24");
	add(t, "2001:db8:8000::/33");
	ok(sk_cidrset_diff(s, t, &d, NULL) == SK_OK, "diff");
	is_str(blocks(d), "10.0.0.0/26 10.0.0.128/25 2001:db8::/33",
	       "A \\ B");
	sk_cidrset_free(d);
	ok(sk_cidrset_diff(t, s, &d, NULL) == SK_OK, "diff the other way");
	is_str(blocks(d), "", "B inside A: empty");
	sk_cidrset_free(d);
	sk_cidrset_free(t);
	ok(sk_cidrset_new(&t, NULL) == SK_OK, "edges");
	add(t, "10.0.0.0");
	add(t, "10.0.1.255");
	ok(sk_cidrset_diff(s, t, &d, NULL) == SK_OK, "diff of edges");
	is_str(blocks(d), "10.0.0.1/32 10.0.0.2/31 10.0.0.4/30 10.0.0.8/29 "
	       "10.0.0.16/28 10.0.0.32/27 10.0.0.64/26 10.0.0.128/25 "
	       "10.0.1.0/25 10.0.1.128/26 10.0.1.192/27 10.0.1.224/28 "
	       "10.0.1.240/29 10.0.1.248/30 10.0.1.252/31 10.0.1.254/32 "
	       "2001:db8::/32", "first and last removed");
	sk_cidrset_free(d);
	sk_cidrset_free(t);

	ok(sk_cidrset_new(&t, NULL) == SK_OK, "union");
	ok(sk_cidrset_add_set(t, s, NULL) == SK_OK, "add a set");
	c.addr.af = 9;
	c.prefix = 0;
	is_int(sk_cidrset_add(t, &c, NULL), SK_EINVAL, "bad family refused");
	r = range("10.0.0.9-10.0.0.9");
	r.last.b[3] = 1;
	is_int(sk_cidrset_add_range(t, &r, NULL), SK_EINVAL,
	       "first > last refused");
	sk_cidrset_aggregate(t);
	is_str(blocks(t), blocks(s) == NULL ? "" : "10.0.0.0/23 "
	       "2001:db8::/32", "union of a set into an empty one");
	sk_cidrset_free(t);
	sk_cidrset_free(s);
	sk_cidrset_free(NULL);
}

/* Property test: random blocks; membership, coverage and difference
 * agree with a brute-force scan of the blocks. */
static uint64_t rng_state = 0x9e3779b97f4a7c15u;

static uint32_t
rnd(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return (uint32_t)(rng_state >> 16);
}

static void
rand_cidr(struct sk_cidr *c, bool v6)
{
	struct sk_cidr t;
	char txt[SK_CIDR_STRLEN];
	uint32_t v = rnd() & 0x0fffffff;

	memset(&t, 0, sizeof(t));
	if (v6) {
		t.addr.af = SK_AF_INET6;
		t.addr.b[0] = 0x20;
		t.addr.b[1] = 0x01;
		t.addr.b[2] = (uint8_t)(v >> 24);
		t.addr.b[3] = (uint8_t)(v >> 16);
		t.addr.b[15] = (uint8_t)v;
		t.prefix = (uint8_t)(16 + rnd() % 113);
	} else {
		t.addr.af = SK_AF_INET;
		t.addr.b[0] = 10;
		t.addr.b[1] = (uint8_t)(v >> 16);
		t.addr.b[2] = (uint8_t)(v >> 8);
		t.addr.b[3] = (uint8_t)v;
		t.prefix = (uint8_t)(12 + rnd() % 21);
	}
	/* Normalize through the parser. */
	sk_cidr_format(&t, txt, sizeof(txt));
	if (sk_cidr_parse(txt, strlen(txt), 0, c, NULL, NULL) != SK_OK)
		*c = t;
}

static void
rand_addr(struct sk_ipaddr *a, bool v6, const struct sk_cidr *near)
{
	uint32_t v = rnd();
	int i;

	*a = near->addr;
	if (v6) {
		a->b[15] ^= (uint8_t)v;
		if (v & 0x100)
			a->b[3] ^= (uint8_t)(v >> 16);
		if (v & 0x200)
			for (i = 4; i < 15; i++)
				a->b[i] = (uint8_t)rnd();
	} else {
		a->b[3] ^= (uint8_t)v;
		if (v & 0x100)
			a->b[2] ^= (uint8_t)(v >> 16);
		if (v & 0x200)
			a->b[1] ^= (uint8_t)(v >> 24);
	}
}

static void
test_random(void)
{
	enum { NA = 60, NB = 60, TRIES = 20000 };
	struct sk_cidr ca[NA], cb[NB];
	struct sk_cidrset *a, *b, *d, *ua;
	struct sk_ipaddr x;
	struct sk_iprange r;
	int round, i, k, bad_c = 0, bad_d = 0, bad_u = 0, bad_cov = 0;
	bool v6, in_a, in_b;

	for (round = 0; round < 20; round++) {
		v6 = round % 2 == 1;
		if (sk_cidrset_new(&a, NULL) != SK_OK ||
		    sk_cidrset_new(&b, NULL) != SK_OK ||
		    sk_cidrset_new(&ua, NULL) != SK_OK)
			break;
		for (i = 0; i < NA; i++) {
			rand_cidr(&ca[i], v6);
			(void)!sk_cidrset_add(a, &ca[i], NULL);
			(void)!sk_cidrset_add(ua, &ca[i], NULL);
		}
		for (i = 0; i < NB; i++) {
			rand_cidr(&cb[i], v6);
			(void)!sk_cidrset_add(b, &cb[i], NULL);
		}
		sk_cidrset_aggregate(a);
		if (sk_cidrset_diff(a, b, &d, NULL) != SK_OK)
			break;
		for (k = 0; k < TRIES; k++) {
			rand_addr(&x, v6, k % 2 ? &ca[rnd() % NA] :
				  &cb[rnd() % NB]);
			in_a = in_b = false;
			for (i = 0; i < NA; i++)
				in_a = in_a || sk_cidr_contains(&ca[i], &x);
			for (i = 0; i < NB; i++)
				in_b = in_b || sk_cidr_contains(&cb[i], &x);
			bad_c += sk_cidrset_contains(a, &x) != in_a;
			bad_u += sk_cidrset_contains(ua, &x) != in_a;
			bad_d += sk_cidrset_contains(d, &x) != (in_a && !in_b);
		}
		/* Every original block is covered, aggregated or not. */
		for (i = 0; i < NA; i++) {
			sk_cidr_range(&ca[i], &r);
			bad_cov += !sk_cidrset_covers(a, &r);
			bad_cov += !sk_cidrset_covers(ua, &r);
		}
		sk_cidrset_free(a);
		sk_cidrset_free(b);
		sk_cidrset_free(ua);
		sk_cidrset_free(d);
	}
	is_int(round, 20, "20 random rounds ran");
	is_int(bad_c, 0, "aggregated membership agrees with a scan");
	is_int(bad_u, 0, "unaggregated membership agrees with a scan");
	is_int(bad_d, 0, "difference agrees with a scan");
	is_int(bad_cov, 0, "every block covered");
}

static size_t
parse_rules(const char *txt, enum sk_rules_format f, const char *want)
{
	struct sk_cidrset *s;
	size_t n = 0;

	if (sk_cidrset_new(&s, NULL) != SK_OK)
		return 0;
	ok(sk_rules_parse(txt, strlen(txt), f, s, &n, NULL) == SK_OK,
	   "rules parse (format %d)", (int)f);
	sk_cidrset_aggregate(s);
	is_str(blocks(s), want, "addresses found (format %d)", (int)f);
	sk_cidrset_free(s);
	return n;
}

static void
test_rules(void)
{
	struct sk_cidrset *s;
	struct sk_err e;
	size_t n;

	n = parse_rules(
	    "#!/usr/sbin/nft -f\n"
	    "# 9.9.9.9 in a comment\n"
	    "table inet filter {\n"
	    "\tset allow4 {\n\t\ttype ipv4_addr\n\t\tflags interval\n"
	    "\t\telements = { 10.0.0.0/24,\n\t\t\t10.0.1.0-10.0.1.3,\n"
	    "\t\t\t10.0.2.9 }\n\t}\n"
	    "\tset one { type ipv6_addr; elements = { 2001:db8::/32 } }\n"
	    "\tchain input {\n"
	    "\t\tip saddr 192.0.2.1 accept\n"
	    "\t\tip saddr { 192.0.2.8/29, 192.0.2.16 } tcp dport 443 "
	    "accept # 9.9.9.8\n"
	    "\t\tip saddr 198.51.100.0/24 drop\n"
	    "\t\tip saddr != 203.0.113.0/24 accept\n"
	    "\t}\n}\n", SK_RULES_NFTABLES,
	    "10.0.0.0/24 10.0.1.0/30 10.0.2.9/32 192.0.2.1/32 192.0.2.8/29 "
	    "192.0.2.16/32 2001:db8::/32");
	is_int(n, 7, "seven nft entries");

	n = parse_rules(
	    "# iptables-restore\n*filter\n:SK - [0:0]\n"
	    "-A SK -s 10.0.0.0/24 -j ACCEPT\n"
	    "-A SK -s 10.1.0.0/24,10.2.0.1 -p tcp --dport 443 -j ACCEPT\n"
	    "-A SK ! -s 10.3.0.0/24 -j ACCEPT\n"
	    "-A SK -s 10.4.0.0/24 -j DROP\n"
	    "-A SK -m iprange --src-range 10.5.0.1-10.5.0.2 -j ACCEPT\n"
	    "-I INPUT 1 --source 10.6.0.0/16 -m comment --comment \"a b\" "
	    "--jump ACCEPT\n"
	    "iptables -A INPUT -s 10.7.0.0/16 -j ACCEPT\n"
	    "-A SK -d 10.8.0.0/16 -j ACCEPT\n"
	    "COMMIT\n", SK_RULES_IPTABLES,
	    "10.0.0.0/24 10.1.0.0/24 10.2.0.1/32 10.5.0.1/32 10.5.0.2/32 "
	    "10.6.0.0/15");
	is_int(n, 6, "six iptables sources (ACCEPT, not negated, not -d)");

	parse_rules("cidr,first,last\n10.0.0.0/24,10.0.0.0,10.0.0.255\n"
		    "\"10.1.0.0/24\" , x,2026-01-01\n# 10.9.0.0/16\n"
		    "2001:db8::/32,,\n", SK_RULES_CSV,
		    "10.0.0.0/24 10.1.0.0/24 2001:db8::/32");
	parse_rules("allow 10.0.0.0/24;\n# allow 10.9.0.0/16;\n"
		    "Require ip 10.1.0.0/24 2001:db8::/32\n"
		    "{\"CidrIp\": \"10.2.0.0/24\", \"d\": \"as of 2026-01-01\"}"
		    "\nip4:10.3.0.0/24 x10.4.0.0/24 face cafe:: 10.5.0.1.\n",
		    SK_RULES_TEXT,
		    "10.0.0.0/24 10.1.0.0/24 10.2.0.0/24 10.5.0.1/32 "
		    "2001:db8::/32 cafe::/128");

	ok(sk_cidrset_new(&s, NULL) == SK_OK, "set for errors");
	sk_err_clear(&e);
	is_int(sk_rules_parse("10.0.0.0\0x", 10, SK_RULES_TEXT, s, NULL, &e),
	       SK_ESYNTAX, "NUL byte refused");
	is_int(e.offset, 8, "at its offset");
	sk_cidrset_free(s);
}

/* ------------------------------------------------------- domain sets */

static struct sk_domainset *
dset(const char *const *pats, size_t n)
{
	struct sk_domainset *d = NULL;
	size_t i;

	if (sk_domainset_new(&d, NULL) != SK_OK)
		return NULL;
	for (i = 0; i < n; i++)
		if (sk_domainset_add_pattern(d, pats[i], strlen(pats[i]),
					     NULL) != SK_OK)
			ok(0, "add pattern %s", pats[i]);
	return d;
}

static bool
covers1(const char *have, enum sk_domain_kind k, const char *name)
{
	struct sk_domainset *d = dset(&have, 1);
	bool r = sk_domainset_covers(d, k, name, strlen(name));

	sk_domainset_free(d);
	return r;
}

static bool
matches1(const char *have, const char *host)
{
	struct sk_domainset *d = dset(&have, 1);
	bool r = sk_domainset_matches(d, host, strlen(host));

	sk_domainset_free(d);
	return r;
}

static void
test_domainset(void)
{
	static const char *const subs_yes[] = {"*.marketo.com",
		".marketo.com", "*.com", ".com", "*", "*.MARKETO.com.",
		".Marketo.Com"};
	static const char *const subs_no[] = {"marketo.com",
		"app.marketo.com", "*.app.marketo.com", "*.evilmarketo.com",
		".arketo.com", "*.marketo.co", ".net"};
	static const char *const pair[] = {"marketo.com", "*.marketo.com"};
	struct sk_domainset *d;
	struct sk_err e;
	size_t i;

	/* The three meanings. */
	ok(matches1("*.marketo.com", "app.marketo.com") &&
	   matches1("*.marketo.com", "a.b.marketo.com") &&
	   matches1("*.marketo.com", "APP.Marketo.COM.") &&
	   !matches1("*.marketo.com", "marketo.com") &&
	   !matches1("*.marketo.com", "evilmarketo.com") &&
	   !matches1("*.marketo.com", "marketo.com.evil.org"),
	   "*.x: subdomains only, any depth, case and final dot ignored");
	ok(matches1(".marketo.com", "marketo.com") &&
	   matches1(".marketo.com", "x.y.marketo.com") &&
	   !matches1(".marketo.com", "evilmarketo.com"),
	   ".x: x and its subdomains");
	ok(matches1("marketo.com", "marketo.com") &&
	   matches1("marketo.com", "Marketo.com.") &&
	   !matches1("marketo.com", "app.marketo.com"), "x: x alone");
	ok(matches1("*", "anything.example") && !matches1("*", "bad..name"),
	   "*: every host name");

	/* Coverage of the profile's "*.marketo.com". */
	for (i = 0; i < sizeof(subs_yes) / sizeof(subs_yes[0]); i++)
		ok(covers1(subs_yes[i], SK_DOMAIN_SUBS, "marketo.com"),
		   "'%s' covers *.marketo.com", subs_yes[i]);
	for (i = 0; i < sizeof(subs_no) / sizeof(subs_no[0]); i++)
		ok(!covers1(subs_no[i], SK_DOMAIN_SUBS, "marketo.com"),
		   "'%s' does not cover *.marketo.com", subs_no[i]);
	/* And of an exact name. */
	ok(covers1("marketo.com", SK_DOMAIN_EXACT, "MARKETO.COM.") &&
	   covers1(".marketo.com", SK_DOMAIN_EXACT, "marketo.com") &&
	   covers1("*.com", SK_DOMAIN_EXACT, "marketo.com") &&
	   !covers1("*.marketo.com", SK_DOMAIN_EXACT, "marketo.com") &&
	   !covers1("app.marketo.com", SK_DOMAIN_EXACT, "marketo.com"),
	   "exact name: covered by itself, .x or a wildcard above");
	/* ".x" is "x" plus "*.x": only both together cover it. */
	ok(!covers1("*.marketo.com", SK_DOMAIN_TREE, "marketo.com") &&
	   !covers1("marketo.com", SK_DOMAIN_TREE, "marketo.com") &&
	   covers1(".marketo.com", SK_DOMAIN_TREE, "marketo.com"),
	   ".x needs x and its subdomains");
	d = dset(pair, 2);
	ok(sk_domainset_covers(d, SK_DOMAIN_TREE, "marketo.com", 11),
	   "x + *.x cover .x");
	is_int(sk_domainset_count(d), 2, "count");
	ok(!sk_domainset_covers(d, SK_DOMAIN_SUBS, "bad..com", 8),
	   "a bad query name is covered by nothing");

	/* Errors. */
	sk_err_clear(&e);
	is_int(sk_domainset_add_pattern(d, "*.ex ample.com", 14, &e),
	       SK_ESYNTAX, "blank refused");
	is_int(e.offset, 4, "offset into the pattern text (%s)", e.msg);
	sk_err_clear(&e);
	is_int(sk_domainset_add_pattern(d, "*.", 2, &e), SK_ESYNTAX,
	       "no name after *.");
	is_int(sk_domainset_add_pattern(d, "a..b", 4, NULL), SK_ESYNTAX,
	       "empty label");
	is_int(sk_domainset_add_pattern(d, "*..", 3, NULL), SK_ESYNTAX,
	       "'*..' is not every host");
	is_int(sk_domainset_add_pattern(d, "..", 2, NULL), SK_ESYNTAX,
	       "'..' is not every host");
	is_int(sk_domainset_add_pattern(d, ".", 1, NULL), SK_ESYNTAX,
	       "'.' is nothing");
	ok(!sk_domainset_matches(d, ".", 1) &&
	   !sk_domainset_covers(d, SK_DOMAIN_EXACT, ".", 1),
	   "'.' is no host");
	is_int(sk_domainset_add(d, SK_DOMAIN_EXACT, "", 0, NULL), SK_EINVAL,
	       "empty exact name");
	is_int(sk_domainset_add(d, (enum sk_domain_kind)7, "a", 1, NULL),
	       SK_EINVAL, "bad kind");
	is_int(sk_domainset_count(d), 2, "failed adds leave the set as is");
	sk_domainset_free(d);
	sk_domainset_free(NULL);
}

/* Parse text in format f; the set and how many were found. */
static struct sk_domainset *
dparse(const char *text, enum sk_domain_rules_format f, size_t *n)
{
	struct sk_domainset *d = NULL;
	struct sk_err e;

	sk_err_clear(&e);
	*n = 0;
	if (sk_domainset_new(&d, NULL) != SK_OK ||
	    sk_rules_parse_domains(text, strlen(text), f, d, n, &e) != SK_OK)
		ok(0, "parse domains: %s", e.msg);
	return d;
}

static void
test_domain_rules(void)
{
	static const char squid[] =
		"# acl c dstdomain .commented.example\n"
		"acl web dstdomain .marketo.com app.example.org\n"
		"acl web dstdomain -n .mktoweb.com \"/etc/squid/more\"\n"
		"acl other dstdom_regex \\.regex\\.example$\n"
		"acl net src 10.0.0.0/8\n"
		"  acl  web  dstdomain  .\tbad..name .adobe.net\n"
		"http_access allow web\n";
	static const char hosts[] =
		"# comment .commented.example\n"
		"*.marketo.com\n"
		".mktoweb.com, exact.example   # trailing comment\n"
		"bad_host!.example\n"
		"*.\n";
	static const char pac[] =
		"// if (dnsDomainIs(host, \".comment.example\")) "
		"return \"DIRECT\";\n"
		"/* if (host == \"block.example\") return \"DIRECT\"; */\n"
		"function FindProxyForURL(url, host) {\n"
		"  var s = \"if (host == 'str.example') return 'DIRECT'\";\n"
		"  if (dnsDomainIs(host, \".a.example\") ||\n"
		"      shExpMatch(host, \"*.b.example\") ||\n"
		"      (host == \"c.example\" || \"d.example\" === host))\n"
		"    return \"DIRECT\";\n"
		"  if (localHostOrDomainIs(host, 'e.example')) {\n"
		"    return 'DIRECT; PROXY p:1';\n"
		"  } else if (dnsDomainIs(host.toLowerCase(), "
		"\"f.example\"))\n"
		"    return (\"DIRECT\");\n"
		"  if (shExpMatch(host, \"*g.example\")) return \"DIRECT\";\n"
		"  if (shExpMatch(host, \"h.example\")) return \"DIRECT\";\n"
		"  if (shExpMatch(host, \"*.i?.example\")) return \"DIRECT\";\n"
		"  if (!dnsDomainIs(host, \".neg.example\"))\n"
		"    return \"DIRECT\";\n"
		"  if (dnsDomainIs(host, \".and.example\") && isInNet(host, "
		"\"10.0.0.0\", \"255.0.0.0\")) return \"DIRECT\";\n"
		"  if (dnsDomainIs(host, \".proxied.example\"))\n"
		"    return \"PROXY p:1\";\n"
		"  if (host != \"ne.example\") return \"DIRECT\";\n"
		"  if (isPlainHostName(host)) return \"DIRECT\";\n"
		"  return \"PROXY p:1\";\n"
		"}\n";
	struct sk_domainset *d;
	struct sk_err e;
	size_t n;

	d = dparse(squid, SK_DRULES_SQUID, &n);
	is_int(n, 4, "squid: four dstdomain values");
	ok(sk_domainset_covers(d, SK_DOMAIN_TREE, "marketo.com", 11) &&
	   sk_domainset_covers(d, SK_DOMAIN_TREE, "mktoweb.com", 11) &&
	   sk_domainset_covers(d, SK_DOMAIN_TREE, "adobe.net", 9),
	   "squid: leading dot is the domain and its subdomains");
	ok(sk_domainset_matches(d, "app.example.org", 15) &&
	   !sk_domainset_matches(d, "x.app.example.org", 17),
	   "squid: no dot is the name alone");
	ok(!sk_domainset_matches(d, "a.commented.example", 19) &&
	   !sk_domainset_matches(d, "a.regex.example", 15) &&
	   !sk_domainset_matches(d, "more", 4),
	   "squid: comments, other ACL types and file includes skipped");
	sk_domainset_free(d);

	d = dparse(hosts, SK_DRULES_HOSTS, &n);
	is_int(n, 3, "hosts: three patterns");
	ok(sk_domainset_covers(d, SK_DOMAIN_SUBS, "marketo.com", 11) &&
	   !sk_domainset_matches(d, "marketo.com", 11) &&
	   sk_domainset_covers(d, SK_DOMAIN_TREE, "mktoweb.com", 11) &&
	   sk_domainset_matches(d, "exact.example", 13) &&
	   !sk_domainset_matches(d, "a.commented.example", 19),
	   "hosts: *.x, .x, x, comments");
	sk_domainset_free(d);

	d = dparse(pac, SK_DRULES_PAC, &n);
	is_int(n, 8, "pac: eight tests lead to DIRECT");
	ok(sk_domainset_covers(d, SK_DOMAIN_SUBS, "a.example", 9) &&
	   !sk_domainset_matches(d, "a.example", 9),
	   "pac: dnsDomainIs(host, \".x\") is the subdomains");
	ok(sk_domainset_covers(d, SK_DOMAIN_SUBS, "b.example", 9) &&
	   !sk_domainset_matches(d, "b.example", 9),
	   "pac: shExpMatch(host, \"*.x\") is the subdomains");
	ok(sk_domainset_matches(d, "c.example", 9) &&
	   sk_domainset_matches(d, "d.example", 9) &&
	   !sk_domainset_matches(d, "x.c.example", 11),
	   "pac: host == / === inside parentheses");
	ok(sk_domainset_matches(d, "e.example", 9),
	   "pac: localHostOrDomainIs, block consequent");
	ok(sk_domainset_covers(d, SK_DOMAIN_TREE, "f.example", 9) &&
	   sk_domainset_covers(d, SK_DOMAIN_TREE, "g.example", 9),
	   "pac: dnsDomainIs without dot and \"*x\" read as .x (else if)");
	ok(sk_domainset_matches(d, "h.example", 9) &&
	   !sk_domainset_matches(d, "x.h.example", 11),
	   "pac: shExpMatch without glob is exact");
	ok(!sk_domainset_matches(d, "x.comment.example", 17) &&
	   !sk_domainset_matches(d, "block.example", 13) &&
	   !sk_domainset_matches(d, "str.example", 11),
	   "pac: comments and strings are not code");
	ok(!sk_domainset_matches(d, "x.neg.example", 13) &&
	   !sk_domainset_matches(d, "x.and.example", 13) &&
	   !sk_domainset_matches(d, "x.proxied.example", 17) &&
	   !sk_domainset_matches(d, "ne.example", 10) &&
	   !sk_domainset_matches(d, "x.i1.example", 12),
	   "pac: negations, &&, non-DIRECT, != and globs skipped");
	sk_domainset_free(d);

	/* Unbalanced and deeply nested input stops cleanly. */
	d = dparse("if ((((((((((((((((((((((((((((((((((((((host == \"x.y\")"
		   ")))))))))))))))))))))))))))))))))))))) return \"DIRECT\";\n"
		   "if (dnsDomainIs(host, \".ok.example\")) return 'DIRECT';\n"
		   "if (host == \"z.example\" return \"DIRECT\";\n"
		   "if (host == \"w.example\") return \"DIRECT\";\n",
		   SK_DRULES_PAC, &n);
	is_int(n, 1, "pac: too deep skipped, unbalanced stops the scan");
	ok(sk_domainset_covers(d, SK_DOMAIN_SUBS, "ok.example", 10),
	   "pac: the test before the unbalanced one is read");
	sk_domainset_free(d);

	ok(sk_domainset_new(&d, NULL) == SK_OK, "set");
	sk_err_clear(&e);
	is_int(sk_rules_parse_domains("a.b\n\0c", 6, SK_DRULES_HOSTS, d, &n,
				      &e), SK_ESYNTAX, "NUL refused");
	is_int(e.offset, 4, "at its offset");
	is_int(sk_rules_parse_domains("a.b", 3, (enum sk_domain_rules_format)9,
				      d, &n, NULL), SK_EINVAL, "bad format");
	sk_domainset_free(d);
}

/* A hand-built profile: the allowlist only reads lists and envelope. */
static const char *const l1_items[] = {
	"192.28.144.0/20", "130.248.172.0/24", "130.248.173.0/24",
	"2001:db8::/32",
};
static const char *const l2_items[] = {
	"13.55.192.247", "130.248.168.16", "192.28.150.1", "10.0.0.5/24",
	"10.1.0.1-10.1.0.4",
};
static const char *const l3_items[] = {
	"*.marketo.com", "app.marketo.com", "*.a.mktoweb.com",
	"*.mktoweb.com", "example.org", "*.example.org", "*.marketo.com",
};

static struct sk_profile_list lists[3];
static struct sk_profile prof;

static void
setup_profile(void)
{
	memset(lists, 0, sizeof(lists));
	lists[0].name = "sending_cidrs";
	lists[0].kind = "cidr";
	lists[0].purpose = "sending blocks";
	lists[0].source = "https://example.com/doc";
	lists[0].as_of = "2026-11-23";
	lists[0].items = l1_items;
	lists[0].count = 4;
	lists[1].name = "outbound_ips";
	lists[1].kind = "cidr";
	lists[1].purpose = "webhooks, \"sync\"";
	lists[1].source = "https://example.com/doc2";
	lists[1].as_of = "2026-11-01";
	lists[1].items = l2_items;
	lists[1].count = 5;
	lists[2].name = "web_domains";
	lists[2].kind = "domain";
	lists[2].source = "https://example.com/doc3";
	lists[2].as_of = "2026-10-01";
	lists[2].items = l3_items;
	lists[2].count = 7;
	memset(&prof, 0, sizeof(prof));
	prof.id = "marketo";
	prof.display_name = "Adobe Marketo Engage";
	prof.lists = lists;
	prof.nlists = 3;
	prof.envelope.default_domain = "mktomail.com";
}

static bool
contains_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while (p != NULL && *p != '\0') {
		if (strncmp(p, line, n) == 0 && (p[n] == '\n' || p[n] == '\0'))
			return true;
		p = strchr(p, '\n');
		if (p != NULL)
			p++;
	}
	return false;
}

static void
test_allowlist(void)
{
	static const char *const out_names[] = {"sending_cidrs",
						 "outbound_ips"};
	static const char *const web[] = {"web_domains"};
	static const char *const nosuch[] = {"nosuch"};
	struct sk_allowlist *al, *wl;
	struct sk_findings *w = NULL;
	struct sk_allowlist_match m[4];
	struct sk_allowlist_missing *miss;
	struct sk_allowlist_render_opts o;
	struct sk_cidrset *have;
	struct sk_ipaddr a;
	struct sk_err e;
	char *txt, blk[SK_CIDR_STRLEN];
	size_t n, nmiss, f;

	setup_profile();
	sk_err_clear(&e);
	is_int(sk_allowlist_new(&prof, nosuch, 1, "x", &al, NULL, &e),
	       SK_ENOENT, "unknown list");
	ok(strstr(e.msg, "nosuch") != NULL, "named: %s", e.msg);
	ok(sk_allowlist_new(&prof, out_names, 2, "outbound", &al, &w, &e) ==
	   SK_OK, "allowlist built (%s)", e.msg);
	is_int(sk_findings_count(w), 1, "one warning");
	if (sk_findings_count(w) == 1) {
		const struct sk_finding *fd = sk_findings_get(w, 0);

		is_str(fd->id, "allowlist-host-bits", "host bits warning");
		is_str(fd->subject, "outbound_ips: 10.0.0.5/24", "its subject");
	}
	sk_findings_free(w);

	a = ip("192.28.150.1");
	n = sk_allowlist_lookup(al, &a, m, 4);
	is_int(n, 2, "192.28.150.1 in two items");
	if (n == 2) {
		is_str(m[0].item, "192.28.150.1", "most specific first");
		is_str(m[0].list->name, "outbound_ips", "its list");
		is_str(m[1].item, "192.28.144.0/20", "then the block");
		sk_cidr_format(&m[1].block, blk, sizeof(blk));
		is_str(blk, "192.28.144.0/20", "block");
	}
	n = sk_allowlist_lookup(al, &a, m, 1);
	is_int(n, 2, "count beyond max");
	is_str(m[0].item, "192.28.150.1", "the best one kept");
	a = ip("130.248.173.255");
	n = sk_allowlist_lookup(al, &a, m, 4);
	ok(n == 1 && strcmp(m[0].item, "130.248.173.0/24") == 0,
	   "adjacent blocks stay apart in lookups");
	a = ip("10.1.0.3");
	n = sk_allowlist_lookup(al, &a, m, 4);
	ok(n == 1 && strcmp(m[0].item, "10.1.0.1-10.1.0.4") == 0,
	   "range item");
	a = ip("130.248.174.0");
	is_int(sk_allowlist_lookup(al, &a, m, 4), 0, "outside");
	a = ip("2001:db8::5");
	is_int(sk_allowlist_lookup(al, &a, m, 4), 1, "IPv6 inside");

	/* Diff: a file with a broader rule and one block short. */
	ok(sk_cidrset_new(&have, NULL) == SK_OK, "have set");
	add(have, "192.28.128.0/18");
	add(have, "130.248.172.0/24");
	add(have, "130.248.173.0/25");
	add(have, "13.55.192.247");
	add(have, "10.0.0.0/24");
	add(have, "10.1.0.1-10.1.0.4");
	add(have, "2001:db8::/31");
	ok(sk_allowlist_diff(al, have, &miss, &nmiss, NULL) == SK_OK, "diff");
	is_int(nmiss, 2, "two items missing");
	if (nmiss == 2) {
		is_str(miss[0].item, "130.248.173.0/24", "partial block");
		ok(miss[0].partial, "flagged partial");
		is_str(miss[1].item, "130.248.168.16", "missing IP");
		ok(!miss[1].partial, "not partial");
	}
	free(miss);
	sk_cidrset_free(have);

	/* Render every IP format; round-trip through the readers. */
	memset(&o, 0, sizeof(o));
	o.generator = "senderkit test";
	for (f = 0; f < SK_ALF_COUNT_; f++) {
		enum sk_allowlist_format fmt = (enum sk_allowlist_format)f;
		enum sk_rules_format rf = SK_RULES_TEXT;
		const char *name = sk_allowlist_format_name(fmt);
		enum sk_allowlist_format back;

		ok(sk_allowlist_format_parse(name, &back) && back == fmt,
		   "format name %s", name);
		if (sk_allowlist_format_is_domain(fmt)) {
			is_int(sk_allowlist_render(al, fmt, &o, &txt, NULL),
			       SK_EINVAL, "%s needs domains", name);
			continue;
		}
		ok(sk_allowlist_render(al, fmt, &o, &txt, &e) == SK_OK,
		   "render %s", name);
		if (fmt == SK_ALF_NFTABLES)
			rf = SK_RULES_NFTABLES;
		if (fmt == SK_ALF_IPTABLES || fmt == SK_ALF_IP6TABLES)
			rf = SK_RULES_IPTABLES;
		if (fmt == SK_ALF_CSV)
			rf = SK_RULES_CSV;
		ok(sk_cidrset_new(&have, NULL) == SK_OK, "set");
		ok(sk_rules_parse(txt, strlen(txt), rf, have, NULL, NULL) ==
		   SK_OK, "read back %s", name);
		if (fmt == SK_ALF_IPTABLES || fmt == SK_ALF_IP6TABLES) {
			static const char *const v6[] = {"2001:db8::5"};
			bool is6 = fmt == SK_ALF_IP6TABLES;
			struct sk_ipaddr t;

			t = ip(v6[0]);
			ok(sk_cidrset_contains(have, &t) == is6,
			   "%s holds one family", name);
		} else {
			ok(sk_allowlist_diff(al, have, &miss, &nmiss, NULL) ==
			   SK_OK && nmiss == 0, "%s round trip: nothing "
			   "missing (%zu)", name, nmiss);
			free(miss);
		}
		sk_cidrset_free(have);
		if (fmt == SK_ALF_NGINX) {
			ok(contains_line(txt, "allow 130.248.172.0/23;"),
			   "nginx: aggregated /23");
			ok(contains_line(txt, "allow 13.55.192.247;"),
			   "nginx: host as an address");
			ok(contains_line(txt, "deny all;"), "nginx: deny");
			ok(strstr(txt, "source: https://example.com/doc2") &&
			   strstr(txt, "as of: 2026-11-01"),
			   "nginx: provenance comment");
		}
		if (fmt == SK_ALF_IPTABLES)
			ok(contains_line(txt, "-A MARKETO-OUTBOUND -s "
					 "192.28.144.0/20 -j ACCEPT"),
			   "iptables rule");
		if (fmt == SK_ALF_RANGES) {
			ok(contains_line(txt, "10.1.0.1-10.1.0.4"),
			   "ranges: range kept");
			ok(strstr(txt, "*.mktomail.com") != NULL,
			   "ranges: return-path pattern");
		}
		if (fmt == SK_ALF_CSV)
			ok(contains_line(txt, "192.28.144.0/20,192.28.144.0,"
					 "192.28.159.255,ipv4,sending_cidrs,"
					 "https://example.com/doc,2026-11-23"),
			   "csv row");
		if (fmt == SK_ALF_JSON)
			ok(strstr(txt, "\"purpose\": "
				  "\"webhooks, \\\"sync\\\"\"") != NULL,
			   "json escapes quotes");
		free(txt);
	}
	o.as_listed = true;
	ok(sk_allowlist_render(al, SK_ALF_NGINX, &o, &txt, NULL) == SK_OK,
	   "as listed");
	ok(contains_line(txt, "allow 130.248.172.0/24;") &&
	   contains_line(txt, "allow 130.248.173.0/24;") &&
	   contains_line(txt, "allow 10.1.0.1;") &&
	   contains_line(txt, "allow 10.1.0.2/31;"), "items kept apart");
	free(txt);
	o.as_listed = false;
	o.port = 443;
	ok(sk_allowlist_render(al, SK_ALF_IPTABLES, &o, &txt, NULL) == SK_OK,
	   "with port");
	ok(contains_line(txt, "-A MARKETO-OUTBOUND -s 192.28.144.0/20 -p tcp "
			 "-m tcp --dport 443 -j ACCEPT"), "port rule");
	free(txt);
	o.port = 0;

	/* Domains. */
	ok(sk_allowlist_new(&prof, web, 1, "web", &wl, NULL, &e) == SK_OK,
	   "domain allowlist");
	is_int(sk_allowlist_ndomains(wl), 7, "seven domain items");
	is_int(sk_allowlist_render(wl, SK_ALF_NGINX, &o, &txt, NULL),
	       SK_EINVAL, "nginx needs addresses");
	ok(sk_allowlist_render(wl, SK_ALF_SQUID, &o, &txt, NULL) == SK_OK,
	   "squid");
	ok(contains_line(txt, "acl marketo_web dstdomain .marketo.com") &&
	   contains_line(txt, "acl marketo_web dstdomain .mktoweb.com") &&
	   contains_line(txt, "acl marketo_web dstdomain .example.org"),
	   "squid leading dots");
	ok(strstr(txt, "dstdomain app.marketo.com") == NULL &&
	   strstr(txt, ".a.mktoweb.com") == NULL &&
	   strstr(txt, "dstdomain example.org") == NULL,
	   "squid drops what a leading dot covers");
	ok(strstr(txt, "matches NAME itself AND every subdomain") != NULL,
	   "squid states the wildcard meaning");
	free(txt);
	ok(sk_allowlist_render(wl, SK_ALF_HOSTS, &o, &txt, NULL) == SK_OK,
	   "hosts");
	ok(contains_line(txt, "*.marketo.com") &&
	   contains_line(txt, "example.org") &&
	   contains_line(txt, "*.example.org") &&
	   !contains_line(txt, "app.marketo.com"),
	   "hosts: bare domain kept beside its wildcard");
	free(txt);
	o.proxy = "PROXY proxy.example:8080";
	ok(sk_allowlist_render(wl, SK_ALF_PAC, &o, &txt, NULL) == SK_OK,
	   "pac");
	ok(strstr(txt, "dnsDomainIs(h, \".marketo.com\")") != NULL &&
	   strstr(txt, "h == \"example.org\"") != NULL &&
	   strstr(txt, "return \"PROXY proxy.example:8080\";") != NULL,
	   "pac body");
	free(txt);
	o.proxy = "PROXY \"x\"";
	is_int(sk_allowlist_render(wl, SK_ALF_PAC, &o, &txt, NULL),
	       SK_EINVAL, "quote in proxy refused");
	o.proxy = NULL;

	/* Domain diff: the profile's meaning of "*.x" and "x". */
	{
		static const char *const pats[] = {".marketo.com",
						   "*.mktoweb.com",
						   "www.example.org"};
		static const struct {
			enum sk_allowlist_format f;
			enum sk_domain_rules_format rf;
		} dfm[] = {{SK_ALF_SQUID, SK_DRULES_SQUID},
			   {SK_ALF_PAC, SK_DRULES_PAC},
			   {SK_ALF_HOSTS, SK_DRULES_HOSTS}};
		struct sk_allowlist_missing_domain *dm;
		struct sk_domainset *ds = dset(pats, 3);
		size_t k;

		ok(sk_allowlist_diff_domains(wl, ds, &dm, &nmiss, NULL) ==
		   SK_OK, "domain diff");
		is_int(nmiss, 2, "two domain items missing");
		if (nmiss == 2) {
			is_str(dm[0].item, "example.org", "bare domain: "
			       "*.example.org's cover does not reach it");
			ok(!dm[0].partial, "not partial");
			is_str(dm[1].item, "*.example.org", "wildcard");
			ok(dm[1].partial, "partial: www.example.org allowed");
			is_str(dm[1].list->name, "web_domains", "its list");
		}
		free(dm);
		sk_domainset_free(ds);
		ok(sk_allowlist_diff_domains(wl, NULL, &dm, &nmiss, NULL) ==
		   SK_EINVAL && dm == NULL && nmiss == 0, "NULL set refused");
		ok(sk_allowlist_diff_domains(al, NULL, &dm, &nmiss, NULL) ==
		   SK_EINVAL, "and without domains too");

		/* Every domain render reads back with nothing missing. */
		for (k = 0; k < 3; k++) {
			const char *fn = sk_allowlist_format_name(dfm[k].f);
			size_t nf = 0;

			ok(sk_allowlist_render(wl, dfm[k].f, &o, &txt, NULL) ==
			   SK_OK, "render %s", fn);
			ds = NULL;
			ok(sk_domainset_new(&ds, NULL) == SK_OK &&
			   sk_rules_parse_domains(txt, strlen(txt),
						  dfm[k].rf, ds, &nf, NULL) ==
			   SK_OK, "read back %s", fn);
			ok(nf > 0, "%s: %zu patterns", fn, nf);
			ok(sk_allowlist_diff_domains(wl, ds, &dm, &nmiss,
						     NULL) == SK_OK &&
			   nmiss == 0, "%s round trip: nothing missing "
			   "(%zu)", fn, nmiss);
			free(dm);
			sk_domainset_free(ds);
			free(txt);
		}
	}
	sk_allowlist_free(wl);
	sk_allowlist_free(al);
	sk_allowlist_free(NULL);
}

static void
test_alloc_failures(void)
{
	static const char *const names[] = {"sending_cidrs", "outbound_ips",
					    "web_domains"};
	struct sk_allowlist *al;
	struct sk_findings *w;
	struct sk_cidrset *s, *d;
	struct sk_domainset *ds;
	char *txt;
	size_t n, f, okruns = 0, badst = 0;
	sk_status st;

	setup_profile();
	for (n = 0; n < 400; n++) {
		sk_test_fail_alloc_after(n);
		st = sk_allowlist_new(&prof, names, 3, "all", &al, &w, NULL);
		if (st == SK_OK) {
			for (f = 0; f < SK_ALF_COUNT_; f++) {
				if (sk_allowlist_render(al,
				    (enum sk_allowlist_format)f, NULL, &txt,
				    NULL) == SK_OK)
					free(txt);
			}
			if (sk_domainset_new(&ds, NULL) == SK_OK) {
				struct sk_allowlist_missing_domain *dm;
				size_t nm;

				if (sk_rules_parse_domains(".marketo.com "
				    "*.b.example a.example", 34,
				    SK_DRULES_HOSTS, ds, NULL, NULL) ==
				    SK_OK && sk_allowlist_diff_domains(al,
				    ds, &dm, &nm, NULL) == SK_OK)
					free(dm);
				sk_domainset_free(ds);
			}
			if (sk_cidrset_new(&s, NULL) == SK_OK) {
				if (sk_rules_parse("10.0.0.0/8 1.2.3.4", 18,
						   SK_RULES_TEXT, s, NULL,
						   NULL) == SK_OK &&
				    sk_cidrset_diff(s, sk_allowlist_set(al),
						    &d, NULL) == SK_OK)
					sk_cidrset_free(d);
				sk_cidrset_free(s);
			}
			sk_findings_free(w);
			sk_allowlist_free(al);
			okruns++;
		} else {
			badst += st != SK_ENOMEM;
		}
		sk_test_fail_alloc_after(SIZE_MAX);
	}
	is_int(badst, 0, "every failed build says SK_ENOMEM");
	ok(okruns > 0, "allocation failures handled (ASan checks leaks)");
}

int
main(void)
{
	tap_plan_unknown();
	test_addresses();
	test_cidrs();
	test_sets();
	test_random();
	test_rules();
	test_domainset();
	test_domain_rules();
	test_allowlist();
	test_alloc_failures();
	return tap_done();
}
