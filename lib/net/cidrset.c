/*
 * lib/net/cidrset.c - sets of IPv4/IPv6 addresses as sorted ranges:
 * aggregation (merge overlapping and adjacent ranges), membership by
 * binary search, difference, and the minimal CIDR cover of each range
 * (RFC 4632 section 3.1 blocks: aligned powers of two).
 */
#include <stdlib.h>
#include <string.h>

#include "net_internal.h"

/* Cap on stored ranges (32 bytes each): 4 Mi ranges, 128 MiB. */
#define SK_CIDRSET_MAX_RANGES (4u * 1024 * 1024)

struct sk_cidrset {
	struct sk__rng *r;
	size_t n;
	size_t alloc;
	size_t n4;        /* IPv4 ranges (they sort first) when aggregated */
	bool aggregated;  /* sorted, disjoint, non-adjacent */
};

SK_API sk_status
sk_cidrset_new(struct sk_cidrset **out, struct sk_err *err)
{
	struct sk_cidrset *s;

	if (out == NULL)
		return sk__err(err, SK_EINVAL, "no output pointer");
	*out = NULL;
	s = sk__calloc(1, sizeof(*s));
	if (s == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	s->aggregated = true;
	*out = s;
	return SK_OK;
}

SK_API void
sk_cidrset_free(struct sk_cidrset *s)
{
	if (s == NULL)
		return;
	sk__free(s->r);
	sk__free(s);
}

static sk_status
reserve(struct sk_cidrset *s, size_t more, struct sk_err *err)
{
	struct sk__rng *nr;
	size_t n;

	if (more > SK_CIDRSET_MAX_RANGES - s->n)
		return sk__err(err, SK_ETOOBIG, "CIDR set over %u ranges",
			       SK_CIDRSET_MAX_RANGES);
	if (s->n + more <= s->alloc)
		return SK_OK;
	n = s->alloc ? s->alloc : 16;
	while (n < s->n + more)
		n *= 2;
	nr = sk__realloc(s->r, n * sizeof(*nr));
	if (nr == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	s->r = nr;
	s->alloc = n;
	return SK_OK;
}

static sk_status
add_rng(struct sk_cidrset *s, const struct sk__rng *r, struct sk_err *err)
{
	sk_status st = reserve(s, 1, err);

	if (st != SK_OK)
		return st;
	s->r[s->n++] = *r;
	s->aggregated = false;
	return SK_OK;
}

static bool
valid_af(uint8_t af)
{
	return af == SK_AF_INET || af == SK_AF_INET6;
}

SK_API sk_status
sk_cidrset_add(struct sk_cidrset *s, const struct sk_cidr *c,
	       struct sk_err *err)
{
	struct sk__rng r;

	if (s == NULL || c == NULL || !valid_af(c->addr.af) ||
	    c->prefix > sk__af_bits(c->addr.af))
		return sk__err(err, SK_EINVAL, "invalid CIDR block");
	sk__cidr_rng(c, &r);
	return add_rng(s, &r, err);
}

SK_API sk_status
sk_cidrset_add_range(struct sk_cidrset *s, const struct sk_iprange *ir,
		     struct sk_err *err)
{
	struct sk__rng r;

	if (s == NULL || ir == NULL || !valid_af(ir->first.af) ||
	    ir->first.af != ir->last.af)
		return sk__err(err, SK_EINVAL, "invalid range");
	sk__range_rng(ir, &r);
	if (sk__u128_cmp(r.first, r.last) > 0)
		return sk__err(err, SK_EINVAL, "range ends before it starts");
	return add_rng(s, &r, err);
}

SK_API sk_status
sk_cidrset_add_set(struct sk_cidrset *s, const struct sk_cidrset *from,
		   struct sk_err *err)
{
	sk_status st;

	if (s == NULL || from == NULL)
		return sk__err(err, SK_EINVAL, "no set");
	if (from->n == 0)
		return SK_OK;
	st = reserve(s, from->n, err);
	if (st != SK_OK)
		return st;
	memmove(s->r + s->n, from->r, from->n * sizeof(*s->r));
	s->n += from->n;
	s->aggregated = false;
	return SK_OK;
}

static int
rng_cmp(const void *va, const void *vb)
{
	const struct sk__rng *a = va, *b = vb;
	int c;

	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	c = sk__u128_cmp(a->first, b->first);
	if (c != 0)
		return c;
	return sk__u128_cmp(a->last, b->last);
}

/* Sort and merge r[0..n) in place; returns the new count. */
static size_t
merge_rngs(struct sk__rng *r, size_t n)
{
	size_t i, o = 0;

	if (n == 0)
		return 0;
	qsort(r, n, sizeof(*r), rng_cmp);
	for (i = 1; i < n; i++) {
		struct sk__rng *p = &r[o];

		if (r[i].af == p->af &&
		    (sk__u128_cmp(r[i].first, p->last) <= 0 ||
		     (!sk__u128_eq(p->last, sk__u128_max(p->af)) &&
		      sk__u128_eq(r[i].first, sk__u128_inc(p->last))))) {
			if (sk__u128_cmp(r[i].last, p->last) > 0)
				p->last = r[i].last;
			continue;
		}
		r[++o] = r[i];
	}
	return o + 1;
}

SK_API void
sk_cidrset_aggregate(struct sk_cidrset *s)
{
	size_t i;

	if (s == NULL || s->aggregated)
		return;
	s->n = merge_rngs(s->r, s->n);
	for (i = 0; i < s->n && s->r[i].af == SK_AF_INET; i++)
		;
	s->n4 = i;
	s->aggregated = true;
}

/* Index of the aggregated range that could hold v (the last range whose
 * first <= v among those of family af), or -1. */
static long
search(const struct sk_cidrset *s, uint8_t af, struct sk__u128 v)
{
	size_t lo, hi, mid;

	if (af == SK_AF_INET) {
		lo = 0;
		hi = s->n4;
	} else {
		lo = s->n4;
		hi = s->n;
	}
	if (lo == hi || sk__u128_cmp(v, s->r[lo].first) < 0)
		return -1;
	/* Invariant: r[lo].first <= v; answer in [lo, hi). */
	while (hi - lo > 1) {
		mid = lo + (hi - lo) / 2;
		if (sk__u128_cmp(s->r[mid].first, v) <= 0)
			lo = mid;
		else
			hi = mid;
	}
	return (long)lo;
}

static bool
rng_has(const struct sk__rng *r, uint8_t af, struct sk__u128 v)
{
	return r->af == af && sk__u128_cmp(v, r->first) >= 0 &&
	       sk__u128_cmp(v, r->last) <= 0;
}

SK_API bool
sk_cidrset_contains(const struct sk_cidrset *s, const struct sk_ipaddr *a)
{
	struct sk__u128 v;
	size_t i;
	long k;

	if (s == NULL || a == NULL || !valid_af(a->af))
		return false;
	v = sk__ip_to_u128(a);
	if (s->aggregated) {
		if (a->af == SK_AF_INET && s->n4 > 0) {
			/* IPv4: compare the low words, branch-free halving
			 * (a conditional move, no mispredictions). */
			size_t base = 0, len = s->n4, half;
			uint64_t x = v.lo;

			if (x < s->r[0].first.lo)
				return false;
			while (len > 1) {
				half = len / 2;
				base = s->r[base + half].first.lo <= x ?
				       base + half : base;
				len -= half;
			}
			return x <= s->r[base].last.lo;
		}
		k = search(s, a->af, v);
		return k >= 0 && rng_has(&s->r[k], a->af, v);
	}
	for (i = 0; i < s->n; i++)
		if (rng_has(&s->r[i], a->af, v))
			return true;
	return false;
}

SK_API bool
sk_cidrset_covers(const struct sk_cidrset *s, const struct sk_iprange *ir)
{
	struct sk__rng r;
	struct sk__u128 cur;
	size_t i;
	long k;
	bool moved;

	if (s == NULL || ir == NULL || !valid_af(ir->first.af) ||
	    ir->first.af != ir->last.af)
		return false;
	sk__range_rng(ir, &r);
	if (sk__u128_cmp(r.first, r.last) > 0)
		return false;
	if (s->aggregated) {
		/* Merged ranges are maximal: r must lie inside one. */
		k = search(s, r.af, r.first);
		return k >= 0 && rng_has(&s->r[k], r.af, r.first) &&
		       sk__u128_cmp(r.last, s->r[k].last) <= 0;
	}
	/* Unsorted: walk forward from range to range. */
	cur = r.first;
	for (;;) {
		moved = false;
		for (i = 0; i < s->n; i++) {
			if (!rng_has(&s->r[i], r.af, cur))
				continue;
			if (sk__u128_cmp(s->r[i].last, r.last) >= 0)
				return true;
			cur = sk__u128_inc(s->r[i].last);
			moved = true;
		}
		if (!moved)
			return false;
	}
}

SK_API size_t
sk_cidrset_nranges(const struct sk_cidrset *s)
{
	return s == NULL ? 0 : s->n;
}

SK_API bool
sk_cidrset_range(const struct sk_cidrset *s, size_t i, struct sk_iprange *out)
{
	if (s == NULL || i >= s->n)
		return false;
	sk__rng_to_range(&s->r[i], out);
	return true;
}

SK_API void
sk_cidrset_iter_init(struct sk_cidrset_iter *it)
{
	memset(it, 0, sizeof(*it));
}

SK_API bool
sk_cidrset_next(const struct sk_cidrset *s, struct sk_cidrset_iter *it,
		struct sk_cidr *out)
{
	const struct sk__rng *r;
	struct sk__u128 pos, next;
	unsigned prefix;

	if (s == NULL || it->range >= s->n)
		return false;
	r = &s->r[it->range];
	pos = it->started ? sk__ip_to_u128(&it->next) : r->first;
	memset(out, 0, sizeof(*out));
	sk__u128_to_ip(pos, r->af, &out->addr);
	if (sk__rng_block(r->af, pos, r->last, &prefix, &next)) {
		sk__u128_to_ip(next, r->af, &it->next);
		it->started = true;
	} else {
		it->range++;
		it->started = false;
	}
	out->prefix = (uint8_t)prefix;
	return true;
}

SK_API size_t
sk_cidrset_ncidrs(const struct sk_cidrset *s)
{
	struct sk_cidrset_iter it;
	struct sk_cidr c;
	size_t n = 0;

	sk_cidrset_iter_init(&it);
	while (sk_cidrset_next(s, &it, &c))
		n++;
	return n;
}

/* A merged copy of a set's ranges (sk__free it). */
static sk_status
merged_copy(const struct sk_cidrset *s, struct sk__rng **out, size_t *n,
	    struct sk_err *err)
{
	*out = NULL;
	*n = 0;
	if (s->n == 0)
		return SK_OK;
	*out = sk__malloc(s->n * sizeof(**out));
	if (*out == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	memcpy(*out, s->r, s->n * sizeof(**out));
	*n = s->aggregated ? s->n : merge_rngs(*out, s->n);
	return SK_OK;
}

SK_API sk_status
sk_cidrset_diff(const struct sk_cidrset *a, const struct sk_cidrset *b,
		struct sk_cidrset **out, struct sk_err *err)
{
	struct sk__rng *ra = NULL, *rb = NULL, piece;
	struct sk_cidrset *d = NULL;
	struct sk__u128 cur;
	size_t na, nb, i, j = 0;
	sk_status st;
	bool done;

	if (a == NULL || b == NULL || out == NULL)
		return sk__err(err, SK_EINVAL, "no set");
	*out = NULL;
	st = sk_cidrset_new(&d, err);
	if (st == SK_OK)
		st = merged_copy(a, &ra, &na, err);
	if (st == SK_OK)
		st = merged_copy(b, &rb, &nb, err);
	for (i = 0; st == SK_OK && i < na; i++) {
		cur = ra[i].first;
		done = false;
		/* Skip b ranges wholly before this one. */
		while (j < nb && (rb[j].af < ra[i].af ||
				  (rb[j].af == ra[i].af &&
				   sk__u128_cmp(rb[j].last, cur) < 0)))
			j++;
		for (size_t k = j; k < nb && !done && st == SK_OK; k++) {
			if (rb[k].af != ra[i].af ||
			    sk__u128_cmp(rb[k].first, ra[i].last) > 0)
				break;
			if (sk__u128_cmp(rb[k].first, cur) > 0) {
				piece.af = ra[i].af;
				piece.first = cur;
				piece.last = sk__u128_dec(rb[k].first);
				st = add_rng(d, &piece, err);
			}
			if (sk__u128_cmp(rb[k].last, ra[i].last) >= 0)
				done = true;
			else
				cur = sk__u128_inc(rb[k].last);
		}
		if (!done && st == SK_OK) {
			piece.af = ra[i].af;
			piece.first = cur;
			piece.last = ra[i].last;
			st = add_rng(d, &piece, err);
		}
	}
	sk__free(ra);
	sk__free(rb);
	if (st != SK_OK) {
		sk_cidrset_free(d);
		return st;
	}
	sk_cidrset_aggregate(d);
	*out = d;
	return SK_OK;
}
