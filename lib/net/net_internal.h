/*
 * lib/net/net_internal.h - 128-bit address arithmetic shared by the CIDR
 * set, the allowlist and the renderers.  IPv4 addresses live in the low 32
 * bits of `lo`; IPv6 addresses use all 128 bits.
 */
#ifndef SK_NET_INTERNAL_H
#define SK_NET_INTERNAL_H

#include <senderkit/net.h>
#include "util/util.h"

struct sk__u128 {
	uint64_t hi;
	uint64_t lo;
};

/* A range as the set stores it. */
struct sk__rng {
	struct sk__u128 first;
	struct sk__u128 last;
	uint8_t af;
};

static inline unsigned
sk__af_bits(uint8_t af)
{
	return af == SK_AF_INET ? 32 : 128;
}

static inline int
sk__u128_cmp(struct sk__u128 a, struct sk__u128 b)
{
	if (a.hi != b.hi)
		return a.hi < b.hi ? -1 : 1;
	if (a.lo != b.lo)
		return a.lo < b.lo ? -1 : 1;
	return 0;
}

static inline bool
sk__u128_eq(struct sk__u128 a, struct sk__u128 b)
{
	return a.hi == b.hi && a.lo == b.lo;
}

/* Largest address of a family. */
static inline struct sk__u128
sk__u128_max(uint8_t af)
{
	struct sk__u128 m;

	m.hi = af == SK_AF_INET ? 0 : UINT64_MAX;
	m.lo = af == SK_AF_INET ? 0xffffffffu : UINT64_MAX;
	return m;
}

static inline struct sk__u128
sk__u128_inc(struct sk__u128 a)
{
	a.lo++;
	if (a.lo == 0)
		a.hi++;
	return a;
}

static inline struct sk__u128
sk__u128_dec(struct sk__u128 a)
{
	if (a.lo == 0)
		a.hi--;
	a.lo--;
	return a;
}

/* Address <-> integer. */
struct sk__u128 sk__ip_to_u128(const struct sk_ipaddr *a);
void sk__u128_to_ip(struct sk__u128 v, uint8_t af, struct sk_ipaddr *out);
/* Block <-> range of integers. */
void sk__cidr_rng(const struct sk_cidr *c, struct sk__rng *out);
void sk__rng_to_range(const struct sk__rng *r, struct sk_iprange *out);
void sk__range_rng(const struct sk_iprange *r, struct sk__rng *out);
/*
 * The largest aligned block starting at `pos` that ends at or before
 * `last` (same family): its prefix length into *prefix.  Returns false
 * when the block reaches the end of the address space (no next pos),
 * else true with *next set to the address after the block.
 */
bool sk__rng_block(uint8_t af, struct sk__u128 pos, struct sk__u128 last,
		   unsigned *prefix, struct sk__u128 *next);


/*
 * Host names (domainset.c): sk__host_check() returns SIZE_MAX for a host
 * name of letters, digits, '-' and '_' labels of 1..63 bytes, at most 253
 * bytes, no final dot, else the offset of the first bad byte.
 */
size_t sk__host_check(const char *s, size_t len);
bool sk__host_valid(const char *s, size_t len);
/* Some pattern's name lies below name[0..len) (lower case). */
bool sk__domainset_any_below(const struct sk_domainset *s, const char *name,
			     size_t len);

/* A rules file's text as sk_rules_parse() and sk_domain_rules_parse()
 * take it: at most SK_INI_MAX_FILE bytes, no NUL byte (reported at its
 * offset). */
sk_status sk__rules_text_check(const char *text, size_t len,
			       struct sk_err *err);

#endif /* SK_NET_INTERNAL_H */
