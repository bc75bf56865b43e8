/*
 * bench_allowlist.c - `allowlist check` at library level: N random
 * addresses (default 1,000,000) against the address lists of a provider
 * profile, through the library path (sk_allowlist_lookup: one binary
 * search of the aggregated set, then the items holding a hit), beside a
 * naive linear scan over the profile's blocks (mask and compare each
 * block).  Both must agree address by address; the report gives
 * addresses/s and the ratio.  Not part of the test suite; built and run
 * by bench/allowlist/run.sh.
 *
 *   bench_allowlist [--n N] [--rounds R] [--inside PCT] [--seed S]
 *                   [--v6 PCT] [--extra K] PROFILE.ini
 *
 * Addresses: PCT percent (default 50) drawn inside a random block of the
 * profile, the rest uniformly random (nearly all outside); --v6 makes
 * that percentage IPv6 (outside unless the profile has IPv6 blocks).
 * --extra K adds a list of K random /24../28 blocks to the profile's (a
 * provider with a long list, e.g. a cloud's published ranges), to show
 * how both ways scale with the number of blocks.
 * Also timed: sk_cidrset_contains alone vs a naive first-match scan, and
 * sk_ip_parse of the addresses as text (the CLI parses every line).
 * One JSON line on stdout, a readable summary on stderr.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <senderkit/net.h>
#include <senderkit/profile.h>

#define MAX_BLOCKS 4096

struct nblock {
	uint8_t af;
	uint8_t prefix;
	uint8_t net[16];
	uint8_t mask[16];
};

static struct nblock blocks[MAX_BLOCKS];
static size_t nblocks;
static uint64_t seed = 0x5eed5eed12345678u;

static uint64_t
rnd(void)
{
	seed ^= seed << 13;
	seed ^= seed >> 7;
	seed ^= seed << 17;
	return seed;
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* The naive test of one block: same family, masked compare. */
static inline bool
naive_in(size_t i, const struct sk_ipaddr *a)
{
	int k, len;

	if (blocks[i].af != a->af)
		return false;
	len = a->af == SK_AF_INET ? 4 : 16;
	for (k = 0; k < len; k++)
		if ((a->b[k] & blocks[i].mask[k]) != blocks[i].net[k])
			return false;
	return true;
}

/* The naive way: every block of every list.  Returns the number of
 * blocks that hold the address (all of them are looked at, as `check`
 * reports every list holding an address). */
static size_t
naive_all(const struct sk_ipaddr *a)
{
	size_t i, n = 0;

	for (i = 0; i < nblocks; i++)
		n += naive_in(i, a);
	return n;
}

/* Membership only: stop at the first block. */
static bool
naive_first(const struct sk_ipaddr *a)
{
	size_t i;

	for (i = 0; i < nblocks; i++)
		if (naive_in(i, a))
			return true;
	return false;
}

static int
add_block(const char *item)
{
	struct sk_cidr c;
	int k;

	if (nblocks == MAX_BLOCKS)
		return -1;
	/* Ranges ("a-b") are not in the naive table: single CIDRs only. */
	if (sk_cidr_parse(item, strlen(item), 0, &c, NULL, NULL) != SK_OK)
		return -1;
	blocks[nblocks].af = c.addr.af;
	blocks[nblocks].prefix = c.prefix;
	for (k = 0; k < 16; k++) {
		int bits = c.prefix - k * 8;

		blocks[nblocks].mask[k] = bits >= 8 ? 0xff : bits <= 0 ? 0 :
					  (uint8_t)(0xff << (8 - bits));
		blocks[nblocks].net[k] = c.addr.b[k] & blocks[nblocks].mask[k];
	}
	nblocks++;
	return 0;
}

static void
random_addr(struct sk_ipaddr *a, unsigned inside_pct, unsigned v6_pct)
{
	uint64_t r = rnd();
	const struct nblock *b;
	int k;

	memset(a, 0, sizeof(*a));
	if (r % 100 < inside_pct && nblocks > 0) {
		b = &blocks[(r >> 8) % nblocks];
		a->af = b->af;
		for (k = 0; k < 16; k++)
			a->b[k] = (uint8_t)((b->net[k] & b->mask[k]) |
					    ((uint8_t)rnd() & ~b->mask[k]));
		if (a->af == SK_AF_INET)
			memset(a->b + 4, 0, 12);
		return;
	}
	a->af = (r >> 16) % 100 < v6_pct ? SK_AF_INET6 : SK_AF_INET;
	r = rnd();
	for (k = 0; k < (a->af == SK_AF_INET ? 4 : 16); k++) {
		if (k == 8)
			r = rnd();
		a->b[k] = (uint8_t)(r >> ((k % 8) * 8));
	}
}

static bool
arg_ul(const char *s, unsigned long max, unsigned long *out)
{
	char *end;

	errno = 0;
	*out = strtoul(s, &end, 10);
	return s[0] >= '0' && s[0] <= '9' && errno == 0 && *end == '\0' &&
	       *out <= max;
}

int
main(int argc, char **argv)
{
	static const char *const want[] = {"sending_cidrs", "outbound_ips"};
	struct sk_allowlist_match m[16];
	struct sk_allowlist *al = NULL;
	struct sk_profile *p = NULL;
	const struct sk_cidrset *set;
	const char *path = NULL, *names[64];
	struct sk_ipaddr *addrs;
	struct sk_err err;
	unsigned long n = 1000000, rounds = 5, inside = 50, v6 = 0, v,
		      extra = 0;
	struct sk_profile_list *lists = NULL;
	struct sk_profile q;
	char **xitems = NULL;
	size_t i, j, nnames = 0, nitems = 0;
	double t, best_lib = 1e9, best_naive = 1e9, best_set = 1e9,
	       best_first = 1e9, best_parse = 1e9;
	size_t in_lib = 0, in_naive = 0, hits_lib = 0, hits_naive = 0,
	       in_set = 0, in_first = 0, mismatch = 0;
	char **texts;
	int r;

	for (r = 1; r < argc; r++) {
		if (strcmp(argv[r], "--n") == 0 && r + 1 < argc &&
		    arg_ul(argv[r + 1], 100000000, &v) && v > 0) {
			n = v;
			r++;
		} else if (strcmp(argv[r], "--rounds") == 0 && r + 1 < argc &&
			   arg_ul(argv[r + 1], 1000, &v) && v > 0) {
			rounds = v;
			r++;
		} else if (strcmp(argv[r], "--inside") == 0 && r + 1 < argc &&
			   arg_ul(argv[r + 1], 100, &v)) {
			inside = v;
			r++;
		} else if (strcmp(argv[r], "--v6") == 0 && r + 1 < argc &&
			   arg_ul(argv[r + 1], 100, &v)) {
			v6 = v;
			r++;
		} else if (strcmp(argv[r], "--extra") == 0 && r + 1 < argc &&
			   arg_ul(argv[r + 1], MAX_BLOCKS - 64, &v)) {
			extra = v;
			r++;
		} else if (strcmp(argv[r], "--seed") == 0 && r + 1 < argc &&
			   arg_ul(argv[r + 1], (unsigned long)-1, &v) &&
			   v > 0) {
			seed = v;
			r++;
		} else if (argv[r][0] != '-' && path == NULL) {
			path = argv[r];
		} else {
			fprintf(stderr, "usage: bench_allowlist [--n N] "
				"[--rounds R] [--inside PCT] [--v6 PCT] "
				"[--seed S] [--extra K] PROFILE.ini\n");
			return 2;
		}
	}
	if (path == NULL) {
		fprintf(stderr, "bench_allowlist: no profile\n");
		return 2;
	}
	sk_err_clear(&err);
	if (sk_profile_load(path, &p, &err) != SK_OK) {
		fprintf(stderr, "bench_allowlist: %s\n", err.msg);
		return 2;
	}
	/* The lists `allowlist check` uses by default: every address list
	 * (sending_cidrs and outbound_ips for Marketo). */
	for (i = 0; i < p->nlists && nnames < 64; i++)
		if (p->lists[i].kind != NULL &&
		    strcmp(p->lists[i].kind, "cidr") == 0)
			names[nnames++] = p->lists[i].name;
	if (nnames == 0) {
		for (i = 0; i < 2; i++)
			names[nnames++] = want[i];
	}
	q = *p;
	if (extra > 0) {
		/* Disjoint synthetic blocks in 20.0.0.0/8-83.0.0.0/8, /24 to
		 * /28, one per distinct /20. */
		lists = calloc(p->nlists + 1, sizeof(*lists));
		xitems = calloc(extra, sizeof(*xitems));
		if (lists == NULL || xitems == NULL)
			return 2;
		memcpy(lists, p->lists, p->nlists * sizeof(*lists));
		for (i = 0; i < extra; i++) {
			char txt[32];
			unsigned long slot = i * (0x3ffffu / extra);

			snprintf(txt, sizeof(txt), "%lu.%lu.%lu.0/%lu",
				 20 + (slot >> 12), (slot >> 4) & 0xff,
				 (slot & 0xf) << 4, 24 + rnd() % 5);
			xitems[i] = strdup(txt);
		}
		lists[p->nlists].name = "synthetic";
		lists[p->nlists].kind = "cidr";
		lists[p->nlists].items = (const char *const *)xitems;
		lists[p->nlists].count = extra;
		q.lists = lists;
		q.nlists = p->nlists + 1;
		names[nnames++] = "synthetic";
	}
	if (sk_allowlist_new(&q, names, nnames, "all", &al, NULL, &err) !=
	    SK_OK) {
		fprintf(stderr, "bench_allowlist: %s\n", err.msg);
		return 2;
	}
	for (i = 0; i < nnames; i++) {
		const struct sk_profile_list *l = sk_profile_list(&q, names[i]);

		for (j = 0; j < l->count; j++, nitems++)
			if (add_block(l->items[j]) != 0)
				fprintf(stderr, "bench_allowlist: item %s "
					"left out of the naive table\n",
					l->items[j]);
	}
	set = sk_allowlist_set(al);
	addrs = malloc(n * sizeof(*addrs));
	texts = malloc(n * sizeof(*texts));
	if (addrs == NULL || texts == NULL)
		return 2;
	for (i = 0; i < n; i++) {
		char t6[SK_IP_STRLEN];

		random_addr(&addrs[i], (unsigned)inside, (unsigned)v6);
		sk_ip_format(&addrs[i], t6, sizeof(t6));
		texts[i] = strdup(t6);
		if (texts[i] == NULL)
			return 2;
	}
	/* Agreement, address by address, before any timing. */
	for (i = 0; i < n; i++) {
		size_t a = sk_allowlist_lookup(al, &addrs[i], m, 16);
		size_t b = naive_all(&addrs[i]);

		mismatch += a != b;
		mismatch += sk_cidrset_contains(set, &addrs[i]) !=
			    naive_first(&addrs[i]);
	}
	for (r = 0; r < (int)rounds; r++) {
		size_t c1 = 0, c2 = 0, h1 = 0, h2 = 0, c3 = 0, c4 = 0;
		struct sk_ipaddr tmp;

		t = now();
		for (i = 0; i < n; i++) {
			size_t k = sk_allowlist_lookup(al, &addrs[i], m, 16);

			c1 += k > 0;
			h1 += k;
		}
		t = now() - t;
		best_lib = t < best_lib ? t : best_lib;
		t = now();
		for (i = 0; i < n; i++) {
			size_t k = naive_all(&addrs[i]);

			c2 += k > 0;
			h2 += k;
		}
		t = now() - t;
		best_naive = t < best_naive ? t : best_naive;
		t = now();
		for (i = 0; i < n; i++)
			c3 += sk_cidrset_contains(set, &addrs[i]);
		t = now() - t;
		best_set = t < best_set ? t : best_set;
		t = now();
		for (i = 0; i < n; i++)
			c4 += naive_first(&addrs[i]);
		t = now() - t;
		best_first = t < best_first ? t : best_first;
		t = now();
		for (i = 0; i < n; i++)
			if (sk_ip_parse(texts[i], strlen(texts[i]), &tmp,
					NULL) != SK_OK)
				mismatch++;
		t = now() - t;
		best_parse = t < best_parse ? t : best_parse;
		in_lib = c1;
		in_naive = c2;
		hits_lib = h1;
		hits_naive = h2;
		in_set = c3;
		in_first = c4;
	}
	fprintf(stderr,
		"allowlist check, %lu addresses (%lu%% drawn inside, %lu%% "
		"of the rest IPv6),\n%zu items in %zu lists -> %zu ranges "
		"aggregated; best of %lu rounds\n"
		"  lookup (items holding each)  library %8.1f ns/addr  "
		"naive scan %8.1f ns/addr  ratio %.1fx\n"
		"  membership only              library %8.1f ns/addr  "
		"naive first %7.1f ns/addr  ratio %.1fx\n"
		"  sk_ip_parse of the text      %8.1f ns/addr\n"
		"  inside: %zu (naive %zu), item matches %zu (naive %zu), "
		"disagreements %zu\n",
		n, inside, v6, nitems, nnames, sk_cidrset_nranges(set),
		rounds, best_lib * 1e9 / (double)n,
		best_naive * 1e9 / (double)n, best_naive / best_lib,
		best_set * 1e9 / (double)n, best_first * 1e9 / (double)n,
		best_first / best_set, best_parse * 1e9 / (double)n, in_lib,
		in_naive, hits_lib, hits_naive, mismatch);
	printf("{\"n\": %lu, \"inside_pct\": %lu, \"v6_pct\": %lu, "
	       "\"extra\": %lu, \"items\": %zu, \"ranges\": %zu, "
	       "\"rounds\": %lu, "
	       "\"lookup_lib_s\": %.6f, \"lookup_naive_s\": %.6f, "
	       "\"lookup_ratio\": %.2f, \"contains_lib_s\": %.6f, "
	       "\"contains_naive_s\": %.6f, \"contains_ratio\": %.2f, "
	       "\"parse_s\": %.6f, \"inside\": %zu, \"disagreements\": %zu}\n",
	       n, inside, v6, extra, nitems, sk_cidrset_nranges(set), rounds,
	       best_lib, best_naive, best_naive / best_lib, best_set,
	       best_first, best_first / best_set, best_parse, in_lib,
	       mismatch);
	for (i = 0; i < n; i++)
		free(texts[i]);
	free(texts);
	free(addrs);
	sk_allowlist_free(al);
	for (i = 0; xitems != NULL && i < extra; i++)
		free(xitems[i]);
	free(xitems);
	free(lists);
	sk_profile_free(p);
	return mismatch == 0 && in_lib == in_naive && in_set == in_first &&
	       hits_lib == hits_naive ? 0 : 1;
}
