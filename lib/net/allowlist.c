/*
 * lib/net/allowlist.c - a provider's allowlists: the CIDR and domain
 * lists of a profile ([list NAME] sections, docs/man/senderkit-profile.5)
 * parsed once, an aggregated set for membership, the item(s) holding an
 * address, and which items an existing rules file does not cover (address
 * items against a CIDR set, domain items against a domain set).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net_internal.h"
#include "allowlist_internal.h"

/* Same order as the items, sorted by first address for lookups. */
static int
item_first_cmp(const void *va, const void *vb)
{
	const struct sk__al_item *a = *(const struct sk__al_item *const *)va;
	const struct sk__al_item *b = *(const struct sk__al_item *const *)vb;

	if (a->rng.af != b->rng.af)
		return a->rng.af < b->rng.af ? -1 : 1;
	return sk__u128_cmp(a->rng.first, b->rng.first);
}

static sk_status
add_domain(struct sk_allowlist *al, const struct sk_profile_list *l,
	   const char *item, struct sk_err *err)
{
	struct sk__al_domain *d;
	const char *h = item;
	size_t len = strlen(item), i;
	bool wild = false;
	char *name;

	if (len >= 2 && item[0] == '*' && item[1] == '.') {
		wild = true;
		h += 2;
		len -= 2;
	}
	if (len > 0 && h[len - 1] == '.')
		len--;
	if (!sk__host_valid(h, len))
		return sk__err(err, SK_ESYNTAX, "list %s: '%s' is not a host "
			       "name or *.name pattern", l->name, item);
	name = sk__strndup(h, len);
	if (name == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	for (i = 0; i < len; i++)
		name[i] = sk__lower(name[i]);
	d = &al->domains[al->ndomains++];
	d->list = l;
	d->item = item;
	d->name = name;
	d->wildcard = wild;
	return SK_OK;
}

static sk_status
add_cidr_item(struct sk_allowlist *al, const struct sk_profile_list *l,
	      const char *item, struct sk_findings *warn, struct sk_err *err)
{
	struct sk__al_item *it;
	struct sk_iprange r;
	struct sk_err e;
	bool norm = false;
	size_t len = strlen(item);
	sk_status st;

	sk_err_clear(&e);
	st = sk_iprange_parse(item, len, 0, &r, &norm, &e);
	if (st != SK_OK)
		return sk__err(err, st, "list %s: '%s': %s", l->name, item,
			       e.msg);
	it = &al->items[al->nitems++];
	it->list = l;
	it->item = item;
	sk__range_rng(&r, &it->rng);
	if (memchr(item, '-', len) != NULL) {
		/* A range item stands for its smallest covering block only
		 * in messages; the range itself is what counts. */
		struct sk__u128 next;
		unsigned prefix;

		memset(&it->block, 0, sizeof(it->block));
		it->block.addr = r.first;
		if (sk__rng_block(r.first.af, it->rng.first, it->rng.last,
				  &prefix, &next))
			prefix = sk__af_bits(r.first.af);
		it->block.prefix = (uint8_t)prefix;
		it->is_range = true;
	} else {
		st = sk_cidr_parse(item, len, 0, &it->block, NULL, NULL);
		if (st != SK_OK)
			return sk__err(err, SK_EINTERNAL, "list %s: '%s' "
				       "parsed once, not twice", l->name,
				       item);
	}
	if (norm && warn != NULL) {
		char sub[256], fixed[SK_CIDR_STRLEN];

		sk_cidr_format(&it->block, fixed, sizeof(fixed));
		snprintf(sub, sizeof(sub), "%s: %s", l->name, item);
		sk__findings_add(warn, SK_SEV_WARNING, "allowlist-host-bits",
				 sub, SK_NO_OFFSET, "RFC 4632 section 3.1",
				 "%s has host bits set: read as %s", item,
				 fixed);
	}
	return sk_cidrset_add_range(al->set, &r, err);
}

SK_API sk_status
sk_allowlist_new(const struct sk_profile *p, const char *const *names,
		 size_t n, const char *set_name, struct sk_allowlist **out,
		 struct sk_findings **warnings, struct sk_err *err)
{
	struct sk_allowlist *al;
	struct sk_findings *warn = NULL;
	const struct sk_profile_list *l;
	size_t i, j, ncidr = 0, ndom = 0;
	sk_status st = SK_OK;
	bool dup;

	if (out != NULL)
		*out = NULL;
	if (warnings != NULL)
		*warnings = NULL;
	if (p == NULL || out == NULL || (names == NULL && n > 0))
		return sk__err(err, SK_EINVAL, "no profile or list names");
	al = sk__calloc(1, sizeof(*al));
	if (al == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	al->profile = p;
	al->set_name = sk__strdup(set_name != NULL ? set_name : "allowlist");
	al->lists = sk__calloc(n > 0 ? n : 1, sizeof(*al->lists));
	if (al->set_name == NULL || al->lists == NULL) {
		st = sk__err(err, SK_ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < n; i++) {
		l = sk_profile_list(p, names[i]);
		if (l == NULL) {
			st = sk__err(err, SK_ENOENT, "profile %s has no list "
				     "'%s'", p->id != NULL ? p->id : "?",
				     names[i]);
			goto fail;
		}
		dup = false;
		for (j = 0; j < al->nlists; j++)
			dup = dup || al->lists[j] == l;
		if (dup)
			continue;
		al->lists[al->nlists++] = l;
		if (l->kind != NULL && strcmp(l->kind, "domain") == 0)
			ndom += l->count;
		else
			ncidr += l->count;
	}
	st = sk_cidrset_new(&al->set, err);
	if (st != SK_OK)
		goto fail;
	al->items = sk__calloc(ncidr > 0 ? ncidr : 1, sizeof(*al->items));
	al->byfirst = sk__calloc(ncidr > 0 ? ncidr : 1,
				 sizeof(*al->byfirst));
	al->maxlast = sk__calloc(ncidr > 0 ? ncidr : 1,
				 sizeof(*al->maxlast));
	al->firsts = sk__calloc(ncidr > 0 ? ncidr : 1, sizeof(*al->firsts));
	al->domains = sk__calloc(ndom > 0 ? ndom : 1, sizeof(*al->domains));
	if (warnings != NULL)
		warn = sk__findings_new();
	if (al->items == NULL || al->byfirst == NULL || al->maxlast == NULL ||
	    al->firsts == NULL || al->domains == NULL ||
	    (warnings != NULL && warn == NULL)) {
		st = sk__err(err, SK_ENOMEM, "out of memory");
		goto fail;
	}
	for (i = 0; i < al->nlists && st == SK_OK; i++) {
		l = al->lists[i];
		for (j = 0; j < l->count && st == SK_OK; j++) {
			if (l->kind != NULL && strcmp(l->kind, "domain") == 0)
				st = add_domain(al, l, l->items[j], err);
			else
				st = add_cidr_item(al, l, l->items[j], warn,
						   err);
		}
	}
	if (st != SK_OK)
		goto fail;
	if (warn != NULL && sk__findings_status(warn) != SK_OK) {
		st = sk__err(err, SK_ENOMEM, "out of memory");
		goto fail;
	}
	sk_cidrset_aggregate(al->set);
	for (i = 0; i < al->nitems; i++)
		al->byfirst[i] = &al->items[i];
	qsort(al->byfirst, al->nitems, sizeof(*al->byfirst), item_first_cmp);
	/* maxlast[i]: the largest last address among byfirst[0..i] of the
	 * same family, so a backward walk can stop early. */
	for (i = 0; i < al->nitems; i++) {
		const struct sk__al_item *it = al->byfirst[i];

		al->firsts[i] = it->rng.first;
		if (it->rng.af == SK_AF_INET)
			al->n4items = i + 1;
		al->maxlast[i] = it->rng.last;
		if (i > 0 && al->byfirst[i - 1]->rng.af == it->rng.af &&
		    sk__u128_cmp(al->maxlast[i - 1], it->rng.last) > 0)
			al->maxlast[i] = al->maxlast[i - 1];
	}
	if (warn != NULL)
		sk__findings_sort(warn);
	if (warnings != NULL)
		*warnings = warn;
	*out = al;
	return SK_OK;
fail:
	sk_findings_free(warn);
	sk_allowlist_free(al);
	return st;
}

SK_API void
sk_allowlist_free(struct sk_allowlist *al)
{
	size_t i;

	if (al == NULL)
		return;
	for (i = 0; i < al->ndomains; i++)
		sk__free(al->domains[i].name);
	sk__free(al->domains);
	sk__free(al->items);
	sk__free(al->byfirst);
	sk__free(al->maxlast);
	sk__free(al->firsts);
	sk__free(al->lists);
	sk__free(al->set_name);
	sk_cidrset_free(al->set);
	sk__free(al);
}

SK_API const struct sk_cidrset *
sk_allowlist_set(const struct sk_allowlist *al)
{
	return al == NULL ? NULL : al->set;
}

SK_API size_t
sk_allowlist_ndomains(const struct sk_allowlist *al)
{
	return al == NULL ? 0 : al->ndomains;
}

/* Index of the last item of family af whose first address is <= v, or
 * -1.  Branch-free halving (the comparison becomes a conditional move):
 * random addresses make a branchy binary search mispredict half the
 * time. */
static long
last_le(const struct sk_allowlist *al, uint8_t af, struct sk__u128 v)
{
	const struct sk__u128 *f = al->firsts;
	size_t base, len, half;

	if (af == SK_AF_INET) {
		base = 0;
		len = al->n4items;
	} else {
		base = al->n4items;
		len = al->nitems - al->n4items;
	}
	if (len == 0 || sk__u128_cmp(f[base], v) > 0)
		return -1;
	if (af == SK_AF_INET) {
		while (len > 1) {
			half = len / 2;
			base = f[base + half].lo <= v.lo ? base + half : base;
			len -= half;
		}
		return (long)base;
	}
	while (len > 1) {
		half = len / 2;
		base = sk__u128_cmp(f[base + half], v) <= 0 ? base + half :
							      base;
		len -= half;
	}
	return (long)base;
}

SK_API size_t
sk_allowlist_lookup(const struct sk_allowlist *al, const struct sk_ipaddr *a,
		    struct sk_allowlist_match *m, size_t max)
{
	struct sk__u128 v;
	size_t found = 0, k, x, keep;
	long i;

	if (al == NULL || a == NULL || al->nitems == 0 ||
	    (a->af != SK_AF_INET && a->af != SK_AF_INET6))
		return 0;
	v = sk__ip_to_u128(a);
	/* Items are sorted by first address; maxlast[i] is the largest last
	 * address among items 0..i of the family, so the walk back from the
	 * last item starting at or before v stops at once for addresses
	 * outside every item. */
	for (i = last_le(al, a->af, v); i >= 0; i--) {
		const struct sk__al_item *it = al->byfirst[i];

		if (it->rng.af != a->af ||
		    sk__u128_cmp(al->maxlast[i], v) < 0)
			break;
		if (sk__u128_cmp(it->rng.last, v) < 0)
			continue;
		if (found < max) {
			m[found].list = it->list;
			m[found].item = it->item;
			m[found].block = it->block;
		}
		found++;
	}
	/* Most specific (longest prefix) first; ties in list order. */
	keep = found < max ? found : max;
	for (k = 1; k < keep; k++) {
		struct sk_allowlist_match t = m[k];

		for (x = k; x > 0 && m[x - 1].block.prefix < t.block.prefix;
		     x--)
			m[x] = m[x - 1];
		m[x] = t;
	}
	return found;
}

SK_API sk_status
sk_allowlist_diff(const struct sk_allowlist *al, const struct sk_cidrset *have,
		  struct sk_allowlist_missing **missing, size_t *nmissing,
		  struct sk_err *err)
{
	struct sk_allowlist_missing *m = NULL;
	struct sk_cidrset *one = NULL, *rest = NULL, *agg = NULL;
	struct sk_iprange r;
	size_t i, n = 0;
	sk_status st;

	if (missing != NULL)
		*missing = NULL;
	if (nmissing != NULL)
		*nmissing = 0;
	if (al == NULL || have == NULL || missing == NULL || nmissing == NULL)
		return sk__err(err, SK_EINVAL, "no allowlist or set");
	/* An aggregated copy makes each coverage test a binary search. */
	st = sk_cidrset_new(&agg, err);
	if (st == SK_OK)
		st = sk_cidrset_add_set(agg, have, err);
	if (st == SK_OK)
		sk_cidrset_aggregate(agg);
	if (st == SK_OK && al->nitems > 0) {
		m = sk__calloc(al->nitems, sizeof(*m));
		if (m == NULL)
			st = sk__err(err, SK_ENOMEM, "out of memory");
	}
	for (i = 0; st == SK_OK && i < al->nitems; i++) {
		const struct sk__al_item *it = &al->items[i];

		sk__rng_to_range(&it->rng, &r);
		if (sk_cidrset_covers(agg, &r))
			continue;
		m[n].list = it->list;
		m[n].item = it->item;
		m[n].block = it->block;
		/* Partly allowed when the item minus the file is not the
		 * whole item. */
		st = sk_cidrset_new(&one, err);
		if (st == SK_OK)
			st = sk_cidrset_add_range(one, &r, err);
		if (st == SK_OK)
			st = sk_cidrset_diff(one, agg, &rest, err);
		if (st == SK_OK) {
			struct sk_iprange left;

			m[n].partial = !(sk_cidrset_nranges(rest) == 1 &&
					 sk_cidrset_range(rest, 0, &left) &&
					 sk_ip_cmp(&left.first,
						   &r.first) == 0 &&
					 sk_ip_cmp(&left.last,
						   &r.last) == 0);
		}
		sk_cidrset_free(one);
		sk_cidrset_free(rest);
		one = NULL;
		rest = NULL;
		n++;
	}
	sk_cidrset_free(agg);
	if (st != SK_OK) {
		sk__free(m);
		return st;
	}
	if (n == 0) {
		sk__free(m);
		m = NULL;
	}
	*missing = m;
	*nmissing = n;
	return SK_OK;
}

SK_API sk_status
sk_allowlist_diff_domains(const struct sk_allowlist *al,
			  const struct sk_domainset *have,
			  struct sk_allowlist_missing_domain **missing,
			  size_t *nmissing, struct sk_err *err)
{
	struct sk_allowlist_missing_domain *m = NULL;
	size_t i, n = 0;

	if (missing != NULL)
		*missing = NULL;
	if (nmissing != NULL)
		*nmissing = 0;
	if (al == NULL || have == NULL || missing == NULL || nmissing == NULL)
		return sk__err(err, SK_EINVAL, "no allowlist or set");
	if (al->ndomains == 0)
		return SK_OK;
	m = sk__calloc(al->ndomains, sizeof(*m));
	if (m == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	for (i = 0; i < al->ndomains; i++) {
		const struct sk__al_domain *d = &al->domains[i];
		size_t len = strlen(d->name);

		/* The profile's "*.x" is the subdomains of x, not x. */
		if (sk_domainset_covers(have, d->wildcard ? SK_DOMAIN_SUBS :
					SK_DOMAIN_EXACT, d->name, len))
			continue;
		m[n].list = d->list;
		m[n].item = d->item;
		m[n].partial = d->wildcard &&
			       sk__domainset_any_below(have, d->name, len);
		n++;
	}
	if (n == 0) {
		sk__free(m);
		m = NULL;
	}
	*missing = m;
	*nmissing = n;
	return SK_OK;
}
