/*
 * lib/spf/merge.c - add an include to an SPF record (RFC 7208).
 *
 *   4.6.2   mechanisms are evaluated left to right: the new include goes
 *           before the final "all" (which matches everything, so anything
 *           after it is dead) or before redirect= (6.1);
 *   4.6.4   the merged policy must stay within 10 DNS-querying terms: the
 *           worst case is counted with the lint walk (nested includes and
 *           the new include's own tree) and a result over it is refused.
 */
#include <stdlib.h>
#include <string.h>

#include "spf_internal.h"

#define MERGE_REASON_TERMS 6

struct merge {
	struct sk_spf_merge pub; /* first: the API hands out &pub */
	struct sk_spf_cost *costs;
	size_t ncosts;
};

SK_API void
sk_spf_merge_free(struct sk_spf_merge *m)
{
	struct merge *p = (struct merge *)m;
	size_t i;

	if (p == NULL)
		return;
	for (i = 0; i < p->ncosts; i++)
		sk__free((void *)p->costs[i].term);
	sk__free(p->costs);
	sk__free((void *)p->pub.record);
	sk__free((void *)p->pub.reason);
	sk__free(p);
}

static bool
dns_term(enum sk_spf_term_kind k)
{
	return k == SK_SPF_INCLUDE || k == SK_SPF_A || k == SK_SPF_MX ||
	       k == SK_SPF_PTR || k == SK_SPF_EXISTS || k == SK_SPF_REDIRECT;
}

/* Costliest first; equal costs keep record order. */
static int
cmp_cost(const void *a, const void *b)
{
	const struct sk_spf_cost *x = a, *y = b;

	if (x->lookups != y->lookups)
		return x->lookups > y->lookups ? -1 : 1;
	return x < y ? -1 : (x > y);
}

/*
 * The cost of each top-level DNS-querying term of `rec`, from the lint
 * tree (children are the include/redirect terms in evaluation order).
 */
static sk_status
term_costs(struct merge *m, const struct sk_spf_record *rec,
	   const struct sk_spf_lint *l)
{
	const struct sk_spf_node *root = sk_spf_lint_tree(l);
	const struct sk_spf_term *t;
	size_t i, k, nt = sk_spf_record_nterms(rec), next = 0;
	bool has_all = false;
	unsigned c;

	m->costs = sk__calloc(nt ? nt : 1, sizeof(*m->costs));
	if (m->costs == NULL)
		return SK_ENOMEM;
	for (i = 0; i < nt; i++)
		if (sk_spf_record_term(rec, i)->kind == SK_SPF_ALL)
			has_all = true;
	for (i = 0; i < nt; i++) {
		t = sk_spf_record_term(rec, i);
		if (!dns_term(t->kind))
			continue;
		if (t->kind == SK_SPF_REDIRECT && has_all)
			continue; /* ignored (section 6.1), not counted */
		c = 1;
		if (t->kind == SK_SPF_INCLUDE || t->kind == SK_SPF_REDIRECT) {
			for (k = next; root != NULL && k < root->nchildren;
			     k++) {
				const struct sk_spf_node *ch =
					&root->children[k];

				if (ch->via != NULL &&
				    strlen(ch->via) == t->text_len &&
				    memcmp(ch->via, t->text, t->text_len) ==
				    0) {
					c = ch->total;
					next = k + 1;
					break;
				}
			}
		}
		m->costs[m->ncosts].term = sk__strndup(t->text, t->text_len);
		if (m->costs[m->ncosts].term == NULL)
			return SK_ENOMEM;
		m->costs[m->ncosts].lookups = c;
		m->ncosts++;
	}
	if (m->ncosts > 1)
		qsort(m->costs, m->ncosts, sizeof(*m->costs), cmp_cost);
	return SK_OK;
}

static sk_status
refuse(struct merge *m)
{
	struct sk_buf b;
	size_t i;

	sk__buf_init(&b, 4096);
	(void)sk__buf_printf(&b, "the merged record would need %u "
			     "DNS-querying terms, more than %d (RFC 7208 "
			     "section 4.6.4); the costliest: ",
			     m->pub.lookups_after, SK_SPF_MAX_DNS_TERMS);
	for (i = 0; i < m->ncosts && i < MERGE_REASON_TERMS; i++)
		(void)sk__buf_printf(&b, "%s%s costs %u", i ? ", " : "",
				     m->costs[i].term, m->costs[i].lookups);
	if (m->ncosts > MERGE_REASON_TERMS)
		(void)sk__buf_adds(&b, ", ...");
	(void)sk__buf_adds(&b, "; flatten or drop an include first");
	m->pub.reason = sk__buf_take(&b);
	return m->pub.reason != NULL ? SK_OK : SK_ENOMEM;
}

SK_API sk_status
sk_spf_merge(struct sk_resolver *r, const char *record, size_t len,
	     const char *include_domain, struct sk_spf_merge **out,
	     struct sk_err *err)
{
	struct sk_spf_record *rec = NULL, *mrec = NULL;
	struct sk_spf_lint *lb = NULL, *la = NULL;
	const struct sk_spf_term *t;
	struct merge *m = NULL;
	struct sk_buf b;
	size_t i, k, nt, dl, tl, at;
	bool present = false;
	sk_status st;

	if (out == NULL || record == NULL || include_domain == NULL)
		return sk__err(err, SK_EINVAL, "record and domain needed");
	*out = NULL;
	dl = strlen(include_domain);
	while (dl > 1 && include_domain[dl - 1] == '.')
		dl--;
	if (!sk__spf_valid_domain(include_domain, dl))
		return sk__err(err, SK_EINVAL, "not a valid domain to "
			       "include: %s", include_domain);
	st = sk_spf_parse(record, len, &rec, err);
	if (st != SK_OK)
		return st;
	m = sk__calloc(1, sizeof(*m));
	if (m == NULL) {
		st = SK_ENOMEM;
		goto fail;
	}
	nt = sk_spf_record_nterms(rec);
	/* Already included?  (Domain names compare case-insensitively.) */
	for (i = 0; i < nt; i++) {
		t = sk_spf_record_term(rec, i);
		if (t->kind != SK_SPF_INCLUDE || t->domain_spec == NULL)
			continue;
		tl = t->domain_spec_len;
		while (tl > 1 && t->domain_spec[tl - 1] == '.')
			tl--;
		if (sk__eq_nocase(t->domain_spec, tl, include_domain, dl))
			present = true;
	}
	/* Where: before the last "all", else before redirect=, else end. */
	at = nt;
	for (i = 0; i < nt; i++)
		if (sk_spf_record_term(rec, i)->kind == SK_SPF_ALL)
			at = i;
	if (at == nt)
		for (i = 0; i < nt; i++)
			if (sk_spf_record_term(rec, i)->kind ==
			    SK_SPF_REDIRECT)
				at = i;
	sk__buf_init(&b, SK_SPF_MAX_RECORD);
	st = sk__buf_add(&b, record, 6); /* "v=spf1" as written */
	for (k = 0; k <= nt && st == SK_OK; k++) {
		if (k == at && !present) {
			st = sk__buf_adds(&b, " include:");
			if (st == SK_OK)
				st = sk__buf_add(&b, include_domain, dl);
		}
		if (k == nt || st != SK_OK)
			break;
		t = sk_spf_record_term(rec, k);
		st = sk__buf_addc(&b, ' ');
		if (st == SK_OK)
			st = sk__buf_add(&b, t->text, t->text_len);
	}
	if (st != SK_OK) {
		sk__buf_free(&b);
		if (st == SK_ETOOBIG)
			sk__err(err, st, "merged record over %d bytes",
				SK_SPF_MAX_RECORD);
		goto fail;
	}
	m->pub.changed = !present;
	m->pub.record = sk__buf_take(&b);
	if (m->pub.record == NULL) {
		st = SK_ENOMEM;
		goto fail;
	}
	/* Count before and after with the lint walk (section 4.6.4). */
	st = sk_spf_lint_record(r, record, len, NULL, &lb, err);
	if (st == SK_OK)
		st = sk_spf_lint_record(r, m->pub.record,
					strlen(m->pub.record), NULL, &la,
					err);
	if (st == SK_OK)
		st = sk_spf_parse(m->pub.record, strlen(m->pub.record),
				  &mrec, err);
	if (st != SK_OK)
		goto fail;
	m->pub.lookups_before = sk_spf_lint_lookups(lb);
	m->pub.lookups_after = sk_spf_lint_lookups(la);
	st = term_costs(m, mrec, la);
	if (st != SK_OK)
		goto fail;
	m->pub.costs = m->costs;
	m->pub.ncosts = m->ncosts;
	if (m->pub.changed &&
	    m->pub.lookups_after > SK_SPF_MAX_DNS_TERMS) {
		m->pub.refused = true;
		st = refuse(m);
		if (st != SK_OK)
			goto fail;
		/* Hand back the original record, as it was written. */
		sk__free((void *)m->pub.record);
		m->pub.record = sk__strndup(record, len);
		if (m->pub.record == NULL) {
			st = SK_ENOMEM;
			goto fail;
		}
	}
	sk_spf_lint_free(lb);
	sk_spf_lint_free(la);
	sk_spf_record_free(rec);
	sk_spf_record_free(mrec);
	*out = &m->pub;
	return SK_OK;
fail:
	sk_spf_lint_free(lb);
	sk_spf_lint_free(la);
	sk_spf_record_free(rec);
	sk_spf_record_free(mrec);
	sk_spf_merge_free(m ? &m->pub : NULL);
	if (st == SK_ENOMEM)
		return sk__err(err, st, "out of memory");
	return st;
}
