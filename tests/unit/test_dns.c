/* Unit tests of lib/dns: the core (classification, CNAME chase, cache,
 * coalescing, deferred delivery) through the script backend, the zone
 * backend from in-memory master files, and the live backend's failures. */
#include <string.h>
#include <time.h>
#include <senderkit/dns.h>
#include "dns/dns_internal.h"
#include "tap.h"

struct got {
	int calls;
	const struct sk_dns_answer *ans;
};

static void
got_cb(void *arg, const struct sk_dns_answer *ans)
{
	struct got *g = arg;

	g->calls++;
	sk_dns_answer_unref(g->ans);
	g->ans = sk_dns_answer_ref(ans);
}

static const struct sk_dns_answer *
ask(struct sk_resolver *r, const char *name, uint16_t type)
{
	const struct sk_dns_answer *a = NULL;
	struct sk_err e = { .code = SK_OK };

	if (sk_dns_resolve(r, name, type, &a, &e) != SK_OK)
		return NULL;
	return a;
}

static void
test_names(void)
{
	char big[300];

	is_str(sk_dns_type_str(SK_DNS_TXT), "TXT", "type name TXT");
	is_str(sk_dns_type_str(65534), "TYPE65534", "generic type name");
	is_int(sk_dns_type_from_str("spf"), 99, "SPF mnemonic");
	is_int(sk_dns_type_from_str("TYPE257"), 257, "TYPE257");
	is_int(sk_dns_type_from_str("TYPE65536"), 0, "TYPE65536 refused");
	is_int(sk_dns_type_from_str("BOGUS"), 0, "unknown mnemonic");
	is_str(sk_dns_status_str(SK_DNS_NODATA), "NODATA", "status name");

	ok(sk__dns_name_valid("example.com."), "trailing dot allowed");
	ok(sk__dns_name_valid("example.com"), "relative name allowed");
	ok(!sk__dns_name_valid("a..b"), "empty label refused");
	ok(!sk__dns_name_valid(".a"), "leading empty label refused");
	ok(!sk__dns_name_valid(""), "empty name refused");
	memset(big, 'a', 64);
	big[64] = '\0';
	ok(!sk__dns_name_valid(big), "64-octet label refused");
	big[63] = '\0';
	ok(sk__dns_name_valid(big), "63-octet label allowed");
	/* 4 x 63 + 3 dots = 255 > 253 */
	for (int i = 0; i < 4; i++) {
		memset(big + i * 64, 'b', 63);
		big[i * 64 + 63] = '.';
	}
	big[255] = '\0';
	ok(!sk__dns_name_valid(big), "name over 253 refused");
	big[253 - 1] = '\0'; /* 252 chars: ends in a label */
	ok(sk__dns_name_valid(big), "252-character name allowed");
}

static struct sk_resolver *
script_setup(void)
{
	struct sk_resolver *r = NULL;
	struct sk_err e = { .code = SK_OK };
	const char *strs[] = { "v=spf1 ", "-all" };
	const size_t lens[] = { 7, 4 };

	if (sk_resolver_new_script(&r, &e) != SK_OK)
		return NULL;
	if (sk_resolver_script_add(r, "example.com", SK_DNS_A, "192.0.2.1",
				   &e) != SK_OK ||
	    sk_resolver_script_add(r, "example.com", SK_DNS_MX,
				   "10 mx.example.com.", &e) != SK_OK ||
	    sk_resolver_script_add(r, "example.com", SK_DNS_TXT,
				   "\"v=spf1 \" \"a -all\"", &e) != SK_OK ||
	    sk_resolver_script_add_txt(r, "raw.example.com", SK_DNS_TXT,
				       strs, lens, 2, &e) != SK_OK ||
	    sk_resolver_script_add(r, "www.example.com", SK_DNS_CNAME,
				   "example.com.", &e) != SK_OK ||
	    sk_resolver_script_add(r, "a.example.com", SK_DNS_CNAME,
				   "www.example.com.", &e) != SK_OK ||
	    sk_resolver_script_add(r, "loop1.example.com", SK_DNS_CNAME,
				   "loop2.example.com.", &e) != SK_OK ||
	    sk_resolver_script_add(r, "loop2.example.com", SK_DNS_CNAME,
				   "loop1.example.com.", &e) != SK_OK ||
	    sk_resolver_script_add(r, "dangling.example.com", SK_DNS_CNAME,
				   "nowhere.example.com.", &e) != SK_OK ||
	    sk_resolver_script_fail(r, "slow.example.com", 0, "timeout",
				    &e) != SK_OK ||
	    sk_resolver_script_fail(r, "broken.example.com", SK_DNS_TXT,
				    "SERVFAIL", &e) != SK_OK ||
	    sk_resolver_script_add(r, "broken.example.com", SK_DNS_A,
				   "192.0.2.9", &e) != SK_OK) {
		printf("# setup: %s\n", e.msg);
		sk_resolver_free(r);
		return NULL;
	}
	return r;
}

static void
test_script(void)
{
	struct sk_resolver *r = script_setup();
	const struct sk_dns_answer *a;
	struct sk_resolver_stats st;
	struct sk_err e = { .code = SK_OK };
	char name[64];

	ok(r != NULL, "script resolver created");
	if (r == NULL)
		return;
	is_str(sk_resolver_backend(r), "script", "backend name");

	a = ask(r, "example.com", SK_DNS_A);
	ok(a != NULL && a->status == SK_DNS_ANSWER && a->count == 1 &&
	   memcmp(a->rr[0].u.a, "\xc0\x00\x02\x01", 4) == 0, "A answer");
	if (a != NULL) {
		is_int(a->rcode, 0, "rcode 0");
		is_str(a->rr[0].owner, "example.com", "owner without dot");
		is_int(a->rr[0].rdlen, 4, "A rdata kept");
	}
	sk_dns_answer_unref(a);

	a = ask(r, "EXAMPLE.com.", SK_DNS_MX);
	ok(a != NULL && a->status == SK_DNS_ANSWER && a->count == 1,
	   "MX answer, name case-insensitive with trailing dot");
	if (a != NULL && a->count == 1) {
		is_int(a->rr[0].u.mx.preference, 10, "MX preference");
		is_str(a->rr[0].u.mx.exchange, "mx.example.com",
		       "MX exchange");
		is_str(a->qname, "EXAMPLE.com.", "qname as given");
	}
	sk_dns_answer_unref(a);

	a = ask(r, "example.com", SK_DNS_TXT);
	ok(a != NULL && a->status == SK_DNS_ANSWER && a->count == 1,
	   "TXT answer");
	if (a != NULL && a->count == 1) {
		is_int(a->rr[0].u.txt.nstrings, 2, "two strings");
		is_str(a->rr[0].u.txt.text, "v=spf1 a -all",
		       "strings concatenated");
		is_int(a->rr[0].u.txt.lens[0], 7, "first length");
	}
	sk_dns_answer_unref(a);

	a = ask(r, "raw.example.com", SK_DNS_TXT);
	ok(a != NULL && a->count == 1 &&
	   strcmp(a->rr[0].u.txt.text, "v=spf1 -all") == 0,
	   "raw TXT strings");
	sk_dns_answer_unref(a);

	a = ask(r, "nope.example.com", SK_DNS_A);
	ok(a != NULL && a->status == SK_DNS_NXDOMAIN && a->rcode == 3 &&
	   a->count == 0, "unknown name -> NXDOMAIN");
	sk_dns_answer_unref(a);

	a = ask(r, "example.com", SK_DNS_AAAA);
	ok(a != NULL && a->status == SK_DNS_NODATA && a->rcode == 0,
	   "name without the type -> NODATA");
	sk_dns_answer_unref(a);

	a = ask(r, "slow.example.com", SK_DNS_TXT);
	ok(a != NULL && a->status == SK_DNS_TEMPFAIL && a->rcode == -1,
	   "scripted timeout -> TEMPFAIL");
	if (a != NULL)
		is_str(a->why, "timeout", "why timeout");
	sk_dns_answer_unref(a);

	a = ask(r, "broken.example.com", SK_DNS_TXT);
	ok(a != NULL && a->status == SK_DNS_TEMPFAIL && a->rcode == 2,
	   "scripted SERVFAIL for one type");
	if (a != NULL)
		is_str(a->why, "SERVFAIL", "why SERVFAIL");
	sk_dns_answer_unref(a);
	a = ask(r, "broken.example.com", SK_DNS_A);
	ok(a != NULL && a->status == SK_DNS_ANSWER,
	   "other type of a failing name still answers");
	sk_dns_answer_unref(a);

	a = ask(r, "a.example.com", SK_DNS_A);
	ok(a != NULL && a->status == SK_DNS_ANSWER && a->count == 1,
	   "CNAME chain followed");
	if (a != NULL) {
		is_int(a->cname_links, 2, "two links");
		is_str(a->cname, "example.com", "final name");
		is_str(a->qname, "a.example.com", "qname kept");
		if (a->count == 1)
			is_str(a->rr[0].owner, "example.com",
			       "record owned by target");
	}
	sk_dns_answer_unref(a);

	a = ask(r, "a.example.com", SK_DNS_CNAME);
	ok(a != NULL && a->status == SK_DNS_ANSWER && a->count == 1 &&
	   a->cname_links == 0 &&
	   strcmp(a->rr[0].u.target, "www.example.com") == 0,
	   "CNAME question returns the CNAME itself");
	sk_dns_answer_unref(a);

	a = ask(r, "loop1.example.com", SK_DNS_TXT);
	ok(a != NULL && a->status == SK_DNS_TEMPFAIL, "CNAME loop -> TEMPFAIL");
	if (a != NULL)
		is_str(a->why, "CNAME loop at loop1.example.com", "loop why");
	sk_dns_answer_unref(a);

	a = ask(r, "dangling.example.com", SK_DNS_A);
	ok(a != NULL && a->status == SK_DNS_NXDOMAIN && a->cname_links == 1,
	   "CNAME to a missing name -> NXDOMAIN");
	if (a != NULL)
		is_str(a->cname, "nowhere.example.com", "dangling target");
	sk_dns_answer_unref(a);

	/* Cache: a second identical question is answered from it. */
	sk_resolver_get_stats(r, &st);
	{
		uint64_t hits = st.cache_hits, sent = st.sent;

		a = ask(r, "Example.COM", SK_DNS_A);
		ok(a != NULL && a->from_cache && a->status == SK_DNS_ANSWER,
		   "repeat question from cache");
		if (a != NULL)
			is_str(a->qname, "Example.COM",
			       "cache hit keeps the asker's spelling");
		sk_dns_answer_unref(a);
		sk_resolver_get_stats(r, &st);
		is_int(st.cache_hits, hits + 1, "cache hit counted");
		is_int(st.sent, sent, "nothing sent for a cache hit");
	}

	/* Deferred delivery and coalescing. */
	{
		struct got g1 = { 0 }, g2 = { 0 }, g3 = { 0 };
		uint64_t sent;
		int n;

		sk_resolver_get_stats(r, &st);
		sent = st.sent;
		is_int(sk_dns_query(r, "example.com", SK_DNS_A, got_cb, &g1),
		       SK_OK, "query (cached)");
		is_int(sk_dns_query(r, "new.example.com", SK_DNS_A, got_cb,
				    &g2), SK_OK, "query (new)");
		is_int(g1.calls + g2.calls, 0,
		       "no callback inside sk_dns_query");
		is_int(sk_resolver_pending(r), 2, "two pending");
		n = sk_resolver_run(r, -1);
		is_int(n, 0, "run returns 0 pending");
		ok(g1.calls == 1 && g2.calls == 1, "each callback once");
		ok(g2.ans != NULL && g2.ans->status == SK_DNS_NXDOMAIN,
		   "deferred NXDOMAIN");
		sk_dns_answer_unref(g1.ans);
		sk_dns_answer_unref(g2.ans);
		(void)g3;
		sk_resolver_get_stats(r, &st);
		is_int(st.sent, sent + 1, "one backend query sent");
	}
	sk_resolver_free(r);

	/* Coalescing needs a backend that answers later: a fresh script
	 * resolver answers synchronously into the queue, so coalescing is
	 * checked with the live backend below; here check that a question
	 * asked twice before run is answered from cache or flight once. */
	r = script_setup();
	if (r != NULL) {
		struct got g1 = { 0 }, g2 = { 0 };

		is_int(sk_dns_query(r, "example.com", SK_DNS_TXT, got_cb, &g1),
		       SK_OK, "first ask");
		is_int(sk_dns_query(r, "example.com.", SK_DNS_TXT, got_cb,
				    &g2), SK_OK, "second ask");
		sk_resolver_get_stats(r, &st);
		is_int(st.sent, 1, "only one backend query for two asks");
		is_int(sk_resolver_run(r, 0), 0, "run(0) delivers");
		ok(g1.calls == 1 && g2.calls == 1, "both callbacks called");
		ok(g1.ans != NULL && g2.ans != NULL &&
		   g1.ans->status == SK_DNS_ANSWER &&
		   g2.ans->status == SK_DNS_ANSWER, "both answered");
		sk_dns_answer_unref(g1.ans);
		sk_dns_answer_unref(g2.ans);

		is_int(sk_dns_query(r, "a..b", SK_DNS_A, got_cb, &g1),
		       SK_EINVAL, "empty label refused by sk_dns_query");
		is_int(sk_resolver_script_add(r, "x.example", SK_DNS_A,
					      "not-an-ip", &e),
		       SK_ESYNTAX, "bad rdata refused");
		sk_resolver_free(r);
	}

	/* Long CNAME chain: 17 links is too many. */
	if (sk_resolver_new_script(&r, &e) == SK_OK) {
		char target[64];
		bool okk = true;

		for (int i = 0; i < 17; i++) {
			snprintf(name, sizeof(name), "c%d.example", i);
			snprintf(target, sizeof(target), "c%d.example.", i + 1);
			okk &= sk_resolver_script_add(r, name, SK_DNS_CNAME,
						      target, &e) == SK_OK;
		}
		okk &= sk_resolver_script_add(r, "c17.example", SK_DNS_A,
					      "192.0.2.17", &e) == SK_OK;
		ok(okk, "chain added");
		a = ask(r, "c1.example", SK_DNS_A);
		ok(a != NULL && a->status == SK_DNS_ANSWER &&
		   a->cname_links == 16, "16 links followed");
		sk_dns_answer_unref(a);
		a = ask(r, "c0.example", SK_DNS_A);
		ok(a != NULL && a->status == SK_DNS_TEMPFAIL,
		   "17 links -> TEMPFAIL");
		sk_dns_answer_unref(a);
		sk_resolver_free(r);
	}
}

static const char zone1[] =
	"$ORIGIN example.org.\n"
	"$TTL 300\n"
	"@ IN SOA ns1 hostmaster ( 2024010101 ; serial\n"
	"          3600 900 604800 300 )\n"
	"  IN NS ns1\n"
	"  IN MX 10 mail\n"
	"  IN TXT \"v=spf1 \" \"include:_spf.example.org -all\"\n"
	"  IN SPF \"v=spf1 -all\"\n"
	"ns1 IN A 192.0.2.53\n"
	"mail 60 IN A 192.0.2.25\n"
	"mail IN AAAA 2001:db8::25\n"
	"www IN CNAME mail\n"
	"gen IN TYPE65534 \\# 3 010203\n"
	"a.b.c IN A 192.0.2.3 ; c and b.c are empty non-terminals\n"
	"*.wild IN TXT \"wildcard\"\n"
	"x.wild IN A 192.0.2.4\n"
	"ext IN CNAME host.example.net.\n";

static const char zone2[] =
	"host.example.net. 300 IN A 198.51.100.1\n"
	"$ORIGIN example.net.\n"
	"@ 300 IN SOA ns hm 1 2 3 4 5\n";

/* sk__dns_key_make (one pass, no allocation) agrees with what the
 * resolver did before: sk__dns_name_valid, then sk__dns_name_key, then
 * sk__dns_hash, for names built from an alphabet with separators, case,
 * escapes and bytes that need escaping, at the length limits. */
static void
test_key_make(void)
{
	static const char *const parts[] = {
		"a", "B", ".", "\\046", "\\.", ";", "x-Y", "\\",
		"\xc3\xa9", " ", "..", "\\065",
	};
	const size_t nparts = sizeof(parts) / sizeof(parts[0]);
	struct sk__dns_key k;
	uint32_t seed = 12345;
	int agree = 0, tried = 0, valid = 0;
	char name[400];

	for (int i = 0; i < 20000; i++) {
		size_t n = 0, want = 1 + (seed >> 8) % 12;
		char *key;
		bool old_ok, new_ok, same;

		for (size_t j = 0; j < want; j++) {
			const char *pt;

			seed = seed * 1103515245u + 12345u;
			pt = parts[(seed >> 16) % nparts];
			if (n + strlen(pt) >= sizeof(name))
				break;
			memcpy(name + n, pt, strlen(pt));
			n += strlen(pt);
		}
		name[n] = '\0';
		old_ok = sk__dns_name_valid(name);
		key = old_ok ? sk__dns_name_key(name) : NULL;
		old_ok = key != NULL;
		new_ok = sk__dns_key_make(name, SK_DNS_TXT, &k);
		same = old_ok == new_ok;
		if (same && old_ok)
			same = strcmp(key, k.s) == 0 && k.len == strlen(key) &&
			       k.hash == sk__dns_hash(key, SK_DNS_TXT);
		if (same)
			agree++;
		else
			printf("# \"%s\": old %s new %s\n", name,
			       key ? key : "(invalid)",
			       new_ok ? k.s : "(invalid)");
		valid += old_ok;
		tried++;
		sk__free(key);
	}
	is_int(agree, tried, "key_make agrees with valid+key+hash");
	ok(valid > 1000 && valid < tried, "both valid and invalid names (%d)",
	   valid);

	/* Length limits: 63-octet labels, 253 characters. */
	memset(name, 'A', 64);
	name[64] = '\0';
	ok(!sk__dns_key_make(name, SK_DNS_A, &k), "64-octet label refused");
	name[63] = '.';
	ok(sk__dns_key_make(name, SK_DNS_A, &k) && k.len == 63 &&
	   k.s[0] == 'a', "63-octet label with dot: lower, no dot");
	for (int i = 0; i < 4; i++) {
		memset(name + i * 64, 'b', 63);
		name[i * 64 + 63] = '.';
	}
	name[253] = '.';
	name[254] = '\0'; /* 253 characters and the final dot */
	ok(sk__dns_key_make(name, SK_DNS_A, &k) && k.len == 253,
	   "253 characters and a final dot allowed");
	name[253] = 'c';
	ok(!sk__dns_key_make(name, SK_DNS_A, &k), "254 characters refused");
	ok(sk__dns_key_make(".", SK_DNS_A, &k) && k.len == 0 &&
	   k.hash == sk__dns_hash("", SK_DNS_A), "root key is empty");
	ok(!sk__dns_key_make("", SK_DNS_A, &k), "empty name refused");
	ok(!sk__dns_key_make(".a", SK_DNS_A, &k), "leading dot refused");
	ok(sk__dns_key_make("a\\.b", SK_DNS_A, &k) &&
	   strcmp(k.s, "a\\.b") == 0, "escaped dot kept in the key");
	{
		/* Worst case: 255 wire octets, all escaped. */
		char big[1100];
		size_t o = 0;

		for (int l = 0; l < 4; l++) {
			for (int i = 0; i < (l < 3 ? 63 : 61); i++) {
				memcpy(big + o, "\\255", 4);
				o += 4;
			}
			big[o++] = '.';
		}
		big[o] = '\0';
		ok(sk__dns_key_make(big, SK_DNS_A, &k) &&
		   k.len < SK__DNS_KEY_MAX, "all-escaped 253-octet name fits"
		   " (%zu)", k.len);
	}
}

/* Derived data on answers (sk__dns_ext_*). */
static int ext_freed;
static char ext_tag;

static void
ext_free(void *p)
{
	ext_freed++;
	sk__free(p);
}

/* Cache hits: what every caller sees, the view shared by hits spelled
 * like the cached answer, derived data and reference lifetimes. */
static void
test_cache_hits(void)
{
	const struct sk_dns_answer *a0, *a1, *a2, *a3, *a4, *a5;
	struct sk_resolver *r = script_setup();
	struct sk_resolver_stats st;
	struct got g = { 0 };
	void *x;

	ok(r != NULL, "script resolver for cache hits");
	if (r == NULL)
		return;
	a0 = ask(r, "example.com", SK_DNS_TXT);
	ok(a0 != NULL && !a0->from_cache && a0->status == SK_DNS_ANSWER,
	   "first question not from cache");
	a1 = ask(r, "example.com", SK_DNS_TXT);
	a2 = ask(r, "example.com", SK_DNS_TXT);
	ok(a1 != NULL && a2 != NULL && a1->from_cache && a2->from_cache,
	   "repeated questions from cache");
	if (a1 == NULL || a2 == NULL || a0 == NULL) {
		sk_resolver_free(r);
		return;
	}
	ok(!a0->from_cache, "first answer still not from cache");
	is_str(a1->qname, "example.com", "hit qname as asked");
	is_str(a1->cname, "example.com", "hit cname is the qname");
	ok(a1->count == 1 && a1->rr == a0->rr, "hit shares the records");
	is_str(a1->rr[0].u.txt.text, "v=spf1 a -all", "hit records readable");
	ok(a1 == a2, "hits spelled like the cached answer share one view");

	a3 = ask(r, "EXAMPLE.Com", SK_DNS_TXT);
	ok(a3 != NULL && a3->from_cache && a3 != a1,
	   "other spelling: a view of its own");
	if (a3 != NULL)
		is_str(a3->qname, "EXAMPLE.Com", "other spelling returned");
	a4 = ask(r, "example.com.", SK_DNS_TXT);
	ok(a4 != NULL && a4->from_cache && a4 != a1, "trailing dot: own view");
	if (a4 != NULL)
		is_str(a4->qname, "example.com.", "trailing dot kept in qname");

	/* Derived data set through one hit is seen by the next hits. */
	x = sk__malloc(8);
	ok(sk__dns_ext_get(a1, &ext_tag) == NULL, "no derived data yet");
	ok(sk__dns_ext_set(a1, &ext_tag, x, ext_free), "derived data set");
	a5 = ask(r, "example.com", SK_DNS_TXT);
	ok(a5 != NULL && sk__dns_ext_get(a5, &ext_tag) == x,
	   "next hit sees the derived data");
	ok(sk__dns_ext_get(a3, &ext_tag) == x &&
	   sk__dns_ext_get(a0, &ext_tag) == x,
	   "other spelling and first answer see it too");
	ok(!sk__dns_ext_set(a5, &ext_tag, x, ext_free), "slot taken once");
	sk_dns_answer_unref(a5);

	/* Stats and deferred delivery of a hit. */
	sk_resolver_get_stats(r, &st);
	is_int(st.questions, 6, "every question counted");
	is_int(st.cache_hits, 5, "every hit counted");
	is_int(st.sent, 1, "one backend query");
	is_int(sk_dns_query(r, "example.com", SK_DNS_TXT, got_cb, &g), SK_OK,
	       "hit through sk_dns_query");
	is_int(g.calls, 0, "no callback inside sk_dns_query for a hit");
	is_int(sk_resolver_run(r, 0), 0, "hit delivered by run");
	ok(g.calls == 1 && g.ans == a1 && g.ans->from_cache,
	   "callback got the shared view");
	sk_dns_answer_unref(g.ans);

	/* A hit spelled like the cache needs no memory (pooled waiter,
	 * shared view); another spelling does and fails cleanly. */
	{
		const struct sk_dns_answer *h = NULL;
		sk_status s1, s2;

		memset(&g, 0, sizeof(g));
		sk_test_fail_alloc_after(0);
		s1 = sk_dns_query(r, "example.com", SK_DNS_TXT, got_cb, &g);
		s2 = sk_dns_query(r, "Example.com", SK_DNS_TXT, got_cb, &g);
		sk_test_fail_alloc_after(SIZE_MAX);
		is_int(s1, SK_OK, "hit without allocating");
		is_int(s2, SK_ENOMEM, "new spelling without memory: ENOMEM");
		is_int(sk_resolver_run(r, 0), 0, "delivered");
		ok(g.calls == 1 && g.ans == a1, "the hit was delivered once");
		sk_dns_answer_unref(g.ans);
		h = sk_dns_answer_ref(a1);
		sk_dns_answer_unref(h);
	}

	/* Answers outlive the resolver; any unref order. */
	sk_resolver_free(r);
	is_int(ext_freed, 0, "derived data kept while answers are held");
	is_str(a1->rr[0].u.txt.text, "v=spf1 a -all",
	       "shared view readable after the resolver is gone");
	sk_dns_answer_unref(a1);
	is_str(a2->qname, "example.com", "second ref to the view still valid");
	sk_dns_answer_unref(a0);
	is_str(a2->rr[0].u.txt.text, "v=spf1 a -all",
	       "view outlives the first answer's ref");
	sk_dns_answer_unref(a3);
	sk_dns_answer_unref(a2);
	is_int(ext_freed, 0, "one holder left");
	is_str(a4->rr[0].u.txt.text, "v=spf1 a -all", "last view readable");
	sk_dns_answer_unref(a4);
	is_int(ext_freed, 1, "derived data freed once, with the last ref");

	/* Reverse order, resolver last; and the zone backend. */
	{
		struct sk_err e = { .code = SK_OK };
		const struct sk_dns_answer *z0, *z1, *z2;

		r = NULL;
		if (sk_resolver_new_zones(&r, &e) != SK_OK ||
		    sk_resolver_load_zone_mem(r, zone1, strlen(zone1), "zone1",
					      NULL, &e) != SK_OK) {
			ok(0, "zone resolver: %s", e.msg);
			sk_resolver_free(r);
			return;
		}
		z0 = ask(r, "www.example.org", SK_DNS_A);
		z1 = ask(r, "www.example.org", SK_DNS_A);
		z2 = ask(r, "WWW.example.org", SK_DNS_A);
		ok(z0 != NULL && z1 != NULL && z2 != NULL && !z0->from_cache &&
		   z1->from_cache && z2->from_cache,
		   "zone backend: repeats from cache");
		if (z1 != NULL && z2 != NULL) {
			is_str(z1->qname, "www.example.org", "zone hit qname");
			is_str(z2->qname, "WWW.example.org",
			       "zone hit keeps the other spelling");
			ok(z0 != NULL && z1->count == z0->count &&
			   z2->count == z0->count && z1->rr == z0->rr,
			   "zone hits share the records");
		}
		x = sk__malloc(8);
		ok(sk__dns_ext_set(z2, &ext_tag, x, ext_free),
		   "derived data set on a hit");
		sk_dns_answer_unref(z1);
		z1 = ask(r, "www.example.org", SK_DNS_A);
		ok(z1 != NULL && sk__dns_ext_get(z1, &ext_tag) == x,
		   "next hit sees it");
		sk_dns_answer_unref(z2);
		sk_dns_answer_unref(z1);
		sk_dns_answer_unref(z0);
		is_int(ext_freed, 1, "cache still holds the answer");
		sk_resolver_free(r);
		is_int(ext_freed, 2, "freed with the cache's last ref");
	}
}

static void
test_zones(void)
{
	struct sk_resolver *r = NULL;
	const struct sk_dns_answer *a;
	struct sk_err e = { .code = SK_OK };
	static const char bad[] =
		"$ORIGIN bad.example.\n"
		"$TTL 60\n"
		"ok IN A 192.0.2.1\n"
		"\n"
		"broken IN A 300.1.2.3\n";

	is_int(sk_resolver_new_zones(&r, &e), SK_OK, "zone resolver");
	if (r == NULL)
		return;
	is_str(sk_resolver_backend(r), "zones", "backend name");
	is_int(sk_resolver_load_zone_mem(r, zone1, strlen(zone1), "zone1",
					 NULL, &e), SK_OK, "zone1 loads");
	if (e.code != SK_OK)
		printf("# %s\n", e.msg);
	is_int(sk_resolver_load_zone_mem(r, zone2, strlen(zone2), "zone2",
					 ".", &e), SK_OK, "zone2 loads");

	a = ask(r, "example.org", SK_DNS_TXT);
	ok(a != NULL && a->status == SK_DNS_ANSWER && a->count == 1,
	   "multi-string TXT");
	if (a != NULL && a->count == 1) {
		is_int(a->rr[0].u.txt.nstrings, 2, "nstrings 2");
		is_str(a->rr[0].u.txt.text,
		       "v=spf1 include:_spf.example.org -all", "concatenated");
		is_int(a->rr[0].ttl, 300, "$TTL applied");
	}
	sk_dns_answer_unref(a);

	a = ask(r, "example.org", SK_DNS_SPF);
	ok(a != NULL && a->status == SK_DNS_ANSWER && a->count == 1 &&
	   strcmp(a->rr[0].u.txt.text, "v=spf1 -all") == 0, "SPF type 99");
	sk_dns_answer_unref(a);

	a = ask(r, "example.org", SK_DNS_SOA);
	ok(a != NULL && a->status == SK_DNS_ANSWER && a->count == 1 &&
	   a->rr[0].u.soa.serial == 2024010101u &&
	   a->rr[0].u.soa.minimum == 300 &&
	   strcmp(a->rr[0].u.soa.mname, "ns1.example.org") == 0,
	   "SOA across parentheses and comments");
	sk_dns_answer_unref(a);

	a = ask(r, "example.org", SK_DNS_MX);
	ok(a != NULL && a->count == 1 &&
	   strcmp(a->rr[0].u.mx.exchange, "mail.example.org") == 0,
	   "MX relative to $ORIGIN");
	sk_dns_answer_unref(a);

	a = ask(r, "mail.example.org", SK_DNS_AAAA);
	ok(a != NULL && a->count == 1 &&
	   memcmp(a->rr[0].u.aaaa,
		  "\x20\x01\x0d\xb8\0\0\0\0\0\0\0\0\0\0\0\x25", 16) == 0,
	   "AAAA");
	sk_dns_answer_unref(a);

	a = ask(r, "mail.example.org", SK_DNS_A);
	ok(a != NULL && a->count == 1 && a->rr[0].ttl == 60, "explicit TTL");
	sk_dns_answer_unref(a);

	a = ask(r, "gen.example.org", 65534);
	ok(a != NULL && a->status == SK_DNS_ANSWER && a->count == 1 &&
	   a->rr[0].rdlen == 3 && memcmp(a->rr[0].rdata, "\1\2\3", 3) == 0,
	   "TYPE65534 generic rdata");
	sk_dns_answer_unref(a);

	a = ask(r, "b.c.example.org", SK_DNS_A);
	ok(a != NULL && a->status == SK_DNS_NODATA, "ENT -> NODATA");
	sk_dns_answer_unref(a);
	a = ask(r, "zz.c.example.org", SK_DNS_A);
	ok(a != NULL && a->status == SK_DNS_NXDOMAIN,
	   "absent name under ENT -> NXDOMAIN");
	sk_dns_answer_unref(a);

	a = ask(r, "foo.wild.example.org", SK_DNS_TXT);
	ok(a != NULL && a->status == SK_DNS_ANSWER && a->count == 1,
	   "wildcard expanded");
	if (a != NULL && a->count == 1) {
		is_str(a->rr[0].owner, "foo.wild.example.org",
		       "synthesised owner");
		is_str(a->rr[0].u.txt.text, "wildcard", "wildcard data");
	}
	sk_dns_answer_unref(a);
	a = ask(r, "x.wild.example.org", SK_DNS_TXT);
	ok(a != NULL && a->status == SK_DNS_NODATA,
	   "existing name not covered by wildcard (RFC 4592 2.2.1)");
	sk_dns_answer_unref(a);
	a = ask(r, "deep.foo.wild.example.org", SK_DNS_TXT);
	ok(a != NULL && a->status == SK_DNS_ANSWER,
	   "wildcard matches several labels");
	sk_dns_answer_unref(a);

	a = ask(r, "www.example.org", SK_DNS_A);
	ok(a != NULL && a->status == SK_DNS_ANSWER && a->cname_links == 1,
	   "in-zone CNAME followed");
	sk_dns_answer_unref(a);
	a = ask(r, "ext.example.org", SK_DNS_A);
	ok(a != NULL && a->status == SK_DNS_ANSWER && a->cname_links == 1 &&
	   a->count == 1 && a->rr[0].u.a[0] == 198, "CNAME across zones");
	sk_dns_answer_unref(a);

	a = ask(r, "example.com", SK_DNS_A);
	ok(a != NULL && a->status == SK_DNS_NXDOMAIN, "out of zone NXDOMAIN");
	sk_dns_answer_unref(a);
	a = ask(r, "org", SK_DNS_A);
	ok(a != NULL && a->status == SK_DNS_NXDOMAIN,
	   "parent of a zone NXDOMAIN");
	sk_dns_answer_unref(a);

	sk_err_clear(&e);
	is_int(sk_resolver_load_zone_mem(r, bad, strlen(bad), "bad.zone",
					 NULL, &e), SK_ESYNTAX,
	       "syntax error refused");
	is_int(e.line, 5, "error on line 5");
	ok(strstr(e.msg, "bad.zone") != NULL, "message names the file: %s",
	   e.msg);
	a = ask(r, "ok.bad.example", SK_DNS_A);
	ok(a != NULL && a->status == SK_DNS_NXDOMAIN,
	   "rejected file loads nothing");
	sk_dns_answer_unref(a);
	a = ask(r, "mail.example.org", SK_DNS_A);
	ok(a != NULL && a->status == SK_DNS_ANSWER,
	   "earlier zone stays loaded");
	sk_dns_answer_unref(a);

	{
		static const char inc[] = "$INCLUDE /etc/hostname\n";

		is_int(sk_resolver_load_zone_mem(r, inc, strlen(inc), "inc",
						 "x.example.", &e), SK_ENOTSUP,
		       "$INCLUDE refused");
		is_int(e.line, 1, "$INCLUDE line");
	}
	is_int(sk_resolver_load_zone(r, "/nonexistent/zone", NULL, &e),
	       SK_ENOENT, "missing file");
	sk_resolver_free(r);
}

/* Every allocation failing in turn: no crash, no leak (ASan), and an
 * error or a complete answer each time. */
static void
test_alloc_failure(void)
{
	bool all_ok = true, reached = false;

	for (size_t n = 0; n < 400 && !reached; n++) {
		struct sk_resolver *r = NULL;
		const struct sk_dns_answer *a = NULL;
		sk_status st;

		sk_test_fail_alloc_after(n);
		st = sk_resolver_new_zones(&r, NULL);
		if (st == SK_OK)
			st = sk_resolver_load_zone_mem(r, zone1, strlen(zone1),
						       "z", NULL, NULL);
		if (st == SK_OK)
			st = sk_dns_resolve(r, "www.example.org", SK_DNS_A,
					    &a, NULL);
		sk_test_fail_alloc_after(SIZE_MAX);
		if (st == SK_OK && a == NULL)
			all_ok = false;
		if (st == SK_OK && a->status == SK_DNS_ANSWER)
			reached = true;
		sk_dns_answer_unref(a);
		sk_resolver_free(r);
	}
	ok(all_ok, "every injected failure gives an error or an answer");
	ok(reached, "enough allocations give the full answer");
}

static void
test_live(void)
{
	struct sk_resolver *r = NULL;
	struct sk_resolver_opts o = { 0 };
	const struct sk_dns_answer *a = NULL;
	struct sk_err e = { .code = SK_OK };
	struct timespec t0, t1;
	long ms;
	static const char *const bad[] = {
		"garbage", "1.2.3.4:0", "1.2.3.4:99999", "[::1", "::1:53x",
		"1.2.3", "", "[1.2.3.4]:53",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		o.server = bad[i];
		is_int(sk_resolver_new_live(&r, &o, &e), SK_EINVAL,
		       "bad server \"%s\" refused", bad[i]);
		sk_resolver_free(r);
		r = NULL;
	}
	o.server = "[::1]:5353";
	is_int(sk_resolver_new_live(&r, &o, &e), SK_OK, "[v6]:port accepted");
	sk_resolver_free(r);
	r = NULL;

	/* Nothing listens on this port: ICMP refusal or timeout. */
	o.server = "127.0.0.1:9";
	o.timeout_ms = 200;
	o.tries = 1;
	is_int(sk_resolver_new_live(&r, &o, &e), SK_OK, "live resolver");
	if (r == NULL)
		return;
	is_str(sk_resolver_backend(r), "live", "backend name");
	clock_gettime(CLOCK_MONOTONIC, &t0);
	{
		struct got g1 = { 0 }, g2 = { 0 };
		struct sk_resolver_stats st;

		is_int(sk_dns_query(r, "example.com", SK_DNS_A, got_cb, &g1),
		       SK_OK, "live query");
		is_int(sk_dns_query(r, "EXAMPLE.com.", SK_DNS_A, got_cb, &g2),
		       SK_OK, "identical live query");
		sk_resolver_get_stats(r, &st);
		is_int(st.sent, 1, "identical questions coalesced");
		is_int(g1.calls + g2.calls, 0, "nothing delivered yet");
		is_int(sk_resolver_run(r, -1), 0, "run until done");
		ok(g1.calls == 1 && g2.calls == 1, "both callbacks once");
		a = g1.ans;
		ok(a != NULL && a->status == SK_DNS_TEMPFAIL && a->rcode == -1,
		   "unused port -> TEMPFAIL");
		if (a != NULL)
			printf("# why: %s\n", a->why);
		ok(g2.ans != NULL && strcmp(g2.ans->qname, "EXAMPLE.com.") == 0,
		   "coalesced asker sees its own spelling");
		sk_dns_answer_unref(g1.ans);
		sk_dns_answer_unref(g2.ans);
	}
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ms = (t1.tv_sec - t0.tv_sec) * 1000 +
	     (t1.tv_nsec - t0.tv_nsec) / 1000000;
	ok(ms < 2000, "failed quickly (%ld ms)", ms);
	sk_resolver_free(r);
}

/* The native name formatter gives exactly what ldns_rdf2str gives (less
 * the final dot), for every byte value in a label. */
static void
test_name_format(void)
{
	int same = 0, keys = 0;

	for (int c = 1; c < 256; c++) {
		uint8_t wire[8] = { 3, 'a', (uint8_t)c, 'B', 2, 'c', 'd', 0 };
		ldns_rdf *rdf = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_DNAME,
						      sizeof(wire), wire);
		char *ours = sk__dns_rdf_str(rdf);
		char *key = sk__dns_rdf_key(rdf);
		char *ref = ldns_rdf2str(rdf);
		size_t n = ref != NULL ? strlen(ref) : 0;
		char *slow;

		if (n > 0 && ref[n - 1] == '.')
			ref[n - 1] = '\0';
		if (ours != NULL && ref != NULL && strcmp(ours, ref) == 0)
			same++;
		else
			printf("# byte %d: ours \"%s\" ldns \"%s\"\n", c,
			       ours ? ours : "(null)", ref ? ref : "(null)");
		/* The key of the presentation form, by the fast path or
		 * through ldns, is the lower-cased formatter output. */
		slow = ours != NULL ? sk__dns_name_key(ours) : NULL;
		if (key != NULL && slow != NULL && strcmp(key, slow) == 0)
			keys++;
		free(ref);
		sk__free(ours);
		sk__free(key);
		sk__free(slow);
		ldns_rdf_deep_free(rdf);
	}
	is_int(same, 255, "name formatter matches ldns for all bytes");
	is_int(keys, 255, "name keys agree with the formatter");
	{
		char *k = sk__dns_name_key("MiXeD.Example.COM.");

		is_str(k, "mixed.example.com", "fast key: lower, no dot");
		sk__free(k);
		k = sk__dns_name_key("a..b");
		ok(k == NULL, "empty label refused by the fast path");
		sk__free(k);
	}
}

int
main(void)
{
	tap_plan_unknown();
	test_names();
	test_name_format();
	test_script();
	test_zones();
	test_key_make();
	test_cache_hits();
	test_alloc_failure();
	test_live();
	return tap_done();
}
