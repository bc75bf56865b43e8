/*
 * fuzz/fuzz_cidr.c - the address, CIDR and range parsers and the
 * rules-file readers of include/senderkit/net.h on arbitrary bytes.
 *
 * Invariants: a parse error's offset lies inside the text (or at its
 * end); whatever parses formats to canonical text that parses back to the
 * same value (parse -> format -> parse), and formatting that again gives
 * the same text; a parsed CIDR has no host bits and contains its own
 * first and last address; a range's first <= last.  The rules readers
 * (every format) never fail on text without NUL bytes, and the set they
 * fill aggregates to ranges that contain each range's ends.  The domain
 * readers (squid, pac, hosts) never fail without NUL bytes either and
 * count what they add; a domain set covers each pattern added to it and
 * matches the names its patterns name.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <senderkit/net.h>
#include "fuzz.h"

static void
one_ip(const char *s, size_t n)
{
	struct sk_ipaddr a, b;
	struct sk_err e;
	char t[SK_IP_STRLEN], u[SK_IP_STRLEN];
	size_t len;

	sk_err_clear(&e);
	if (sk_ip_parse(s, n, &a, &e) != SK_OK) {
		CHECK(e.offset == SK_NO_OFFSET || e.offset <= n ||
		      e.code == SK_ETOOBIG);
		return;
	}
	CHECK(a.af == SK_AF_INET || a.af == SK_AF_INET6);
	len = sk_ip_format(&a, t, sizeof(t));
	CHECK(len < sizeof(t) && len == strlen(t));
	CHECK(sk_ip_parse(t, len, &b, NULL) == SK_OK);
	CHECK(sk_ip_cmp(&a, &b) == 0);
	sk_ip_format(&b, u, sizeof(u));
	CHECK(strcmp(t, u) == 0);
}

static void
one_cidr(const char *s, size_t n)
{
	struct sk_cidr c, d;
	struct sk_iprange r;
	struct sk_err e;
	char t[SK_CIDR_STRLEN];
	size_t len;
	bool norm;

	sk_err_clear(&e);
	if (sk_cidr_parse(s, n, 0, &c, &norm, &e) != SK_OK) {
		CHECK(e.offset == SK_NO_OFFSET || e.offset <= n ||
		      e.code == SK_ETOOBIG);
		return;
	}
	len = sk_cidr_format(&c, t, sizeof(t));
	CHECK(len < sizeof(t));
	/* Canonical text has no host bits: strict parse takes it. */
	CHECK(sk_cidr_parse(t, len, SK_NET_STRICT, &d, &norm, NULL) ==
	      SK_OK);
	CHECK(!norm && d.prefix == c.prefix &&
	      sk_ip_cmp(&d.addr, &c.addr) == 0);
	sk_cidr_range(&c, &r);
	CHECK(sk_cidr_contains(&c, &r.first) && sk_cidr_contains(&c, &r.last));
	CHECK(sk_ip_cmp(&r.first, &c.addr) == 0);
	CHECK(sk_ip_cmp(&r.first, &r.last) <= 0);
}

static void
one_range(const char *s, size_t n)
{
	struct sk_iprange r, q;
	struct sk_cidrset *set;
	char t[2 * SK_IP_STRLEN];
	size_t len;

	if (sk_iprange_parse(s, n, 0, &r, NULL, NULL) != SK_OK)
		return;
	CHECK(sk_ip_cmp(&r.first, &r.last) <= 0);
	len = sk_iprange_format(&r, t, sizeof(t));
	CHECK(len < sizeof(t));
	CHECK(sk_iprange_parse(t, len, 0, &q, NULL, NULL) == SK_OK);
	CHECK(sk_ip_cmp(&r.first, &q.first) == 0 &&
	      sk_ip_cmp(&r.last, &q.last) == 0);
	/* The fewest blocks of the range cover it exactly. */
	if (sk_cidrset_new(&set, NULL) != SK_OK)
		return;
	if (sk_cidrset_add_range(set, &r, NULL) == SK_OK) {
		struct sk_cidrset_iter it;
		struct sk_cidr c;
		struct sk_iprange cr;
		size_t k = 0;

		CHECK(sk_cidrset_covers(set, &r));
		sk_cidrset_iter_init(&it);
		while (sk_cidrset_next(set, &it, &c)) {
			sk_cidr_range(&c, &cr);
			CHECK(k > 0 || sk_ip_cmp(&cr.first, &r.first) == 0);
			CHECK(sk_ip_cmp(&cr.last, &r.last) <= 0);
			k++;
			CHECK(k <= 256);
		}
	}
	sk_cidrset_free(set);
}

static void
rules(const char *s, size_t n)
{
	struct sk_cidrset *set;
	struct sk_iprange r;
	size_t i, found;
	int f;

	for (f = SK_RULES_NFTABLES; f <= SK_RULES_TEXT; f++) {
		if (sk_cidrset_new(&set, NULL) != SK_OK)
			return;
		found = 0;
		if (sk_rules_parse(s, n, (enum sk_rules_format)f, set, &found,
				   NULL) == SK_OK) {
			CHECK(memchr(s, '\0', n) == NULL);
			CHECK(sk_cidrset_nranges(set) == found);
			sk_cidrset_aggregate(set);
			for (i = 0; sk_cidrset_range(set, i, &r); i++) {
				CHECK(sk_cidrset_contains(set, &r.first));
				CHECK(sk_cidrset_contains(set, &r.last));
			}
		}
		sk_cidrset_free(set);
	}
}

static void
domains(const char *s, size_t n)
{
	struct sk_domainset *d;
	size_t found;
	int f;

	for (f = SK_DRULES_SQUID; f <= SK_DRULES_HOSTS; f++) {
		if (sk_domainset_new(&d, NULL) != SK_OK)
			return;
		found = 0;
		if (sk_rules_parse_domains(s, n, (enum sk_domain_rules_format)f,
					   d, &found, NULL) == SK_OK) {
			CHECK(memchr(s, '\0', n) == NULL);
			CHECK(sk_domainset_count(d) == found);
		} else {
			CHECK(memchr(s, '\0', n) != NULL ||
			      n > SK_INI_MAX_FILE);
		}
		sk_domainset_free(d);
	}
	/* The whole input as one pattern. */
	if (sk_domainset_new(&d, NULL) != SK_OK)
		return;
	if (n <= 300 && sk_domainset_add_pattern(d, s, n, NULL) == SK_OK) {
		size_t off = n > 0 && s[0] == '*' ? (n > 1 ? 2 : 1) :
			     n > 0 && s[0] == '.' ? 1 : 0;
		enum sk_domain_kind k = off == 0 ? SK_DOMAIN_EXACT :
					off == 2 ? SK_DOMAIN_SUBS :
						   SK_DOMAIN_TREE;

		CHECK(sk_domainset_covers(d, k, s + off, n - off));
		if (k != SK_DOMAIN_SUBS && n > off)
			CHECK(sk_domainset_matches(d, s + off, n - off));
	}
	sk_domainset_free(d);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;

	one_ip(s, size);
	one_cidr(s, size);
	one_range(s, size);
	rules(s, size);
	domains(s, size);
	return 0;
}
