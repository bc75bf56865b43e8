/*
 * lib/net/allowlist_internal.h - the allowlist object, shared by
 * allowlist.c (build, lookup, diff) and render.c (output formats).
 */
#ifndef SK_ALLOWLIST_INTERNAL_H
#define SK_ALLOWLIST_INTERNAL_H

#include "net_internal.h"

/* One CIDR-list item: "192.28.144.0/20", "130.248.168.16" or a range. */
struct sk__al_item {
	const struct sk_profile_list *list;
	const char *item;         /* as written in the profile */
	struct sk_cidr block;     /* normalized block (range: first block) */
	struct sk__rng rng;
	bool is_range;
};

/* One domain-list item: "*.marketo.com" (wildcard: subdomains only, as
 * the provider's documentation means it) or "app.example.com". */
struct sk__al_domain {
	const struct sk_profile_list *list;
	const char *item;
	char *name;               /* lower case, no "*.", no final dot */
	bool wildcard;
};

struct sk_allowlist {
	const struct sk_profile *profile;
	char *set_name;
	const struct sk_profile_list **lists;
	size_t nlists;
	struct sk__al_item *items;          /* list order */
	size_t nitems;
	const struct sk__al_item **byfirst; /* sorted by (af, first) */
	struct sk__u128 *firsts;            /* byfirst[i]->rng.first */
	struct sk__u128 *maxlast;           /* running max of last */
	size_t n4items;                     /* IPv4 items (they sort first) */
	struct sk__al_domain *domains;
	size_t ndomains;
	struct sk_cidrset *set;             /* aggregated */
};

#endif /* SK_ALLOWLIST_INTERNAL_H */
