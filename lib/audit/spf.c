/*
 * lib/audit/spf.c - SPF of each From domain and of each branded
 * return-path domain (RFC 7208; research F7.1-F7.5, F10.1, F10.6):
 *
 *   spf-missing, spf-multiple   record selection (section 4.5);
 *   spf-include-space           "include: domain" as the provider's pages
 *                               print it (F7.2): the record fails to
 *                               parse (section 4.6);
 *   spf-syntax                  any other syntax error (section 4.6);
 *   spf-include-broken          an include/redirect target without one
 *                               usable record, or a loop: permerror when
 *                               reached (sections 5.2, 6.1);
 *   spf-include-missing         From domain without the provider include,
 *                               direct or nested (warning: on shared IPs
 *                               the Return-Path is the provider's domain,
 *                               F7.3);
 *   spf-include-unneeded        From domain whose SPF SPF never checks for
 *                               provider mail carries the include (F7.3);
 *   spf-lookups, spf-void-lookups  section 4.6.4;
 *   spf-all                     +all, ?all, or no all (sections 5.1,
 *                               8.2);
 *   spf-sending-ip              a sample address of every provider block
 *                               passes check_host() (section 4) for
 *                               postmaster@DOMAIN;
 *   return-path-spf             a branded return-path without the
 *                               provider include (F10.1, F10.6);
 *   return-path-all             a branded return-path not ending in -all
 *                               (T1 via F7.4).
 * On a return-path domain return-path-spf stands for spf-include-missing
 * and return-path-all for spf-all.  When the record cannot be used
 * (none, several, syntax) the checks that read it are SKIP; when DNS
 * failed, spf-missing is DNSFAIL and the others SKIP.
 */
#include <stdio.h>
#include <string.h>

#include "audit_internal.h"

#define REF_SEL "RFC 7208 section 4.5"
#define REF_SYNTAX "RFC 7208 section 4.6"
#define REF_LIMITS "RFC 7208 section 4.6.4"
#define REF_ALL "RFC 7208 section 5.1"
#define REF_INC "RFC 7208 section 5.2"
#define REF_ID "RFC 7208 section 2.4"
#define REF_CHECK "RFC 7208 section 4"

static const char *const from_ids[] = {
	"spf-missing", "spf-multiple", "spf-include-space", "spf-syntax",
	"spf-include-broken", "spf-include-missing", "spf-include-unneeded",
	"spf-lookups", "spf-void-lookups", "spf-all", "spf-sending-ip", NULL,
};
static const char *const rp_ids[] = {
	"spf-missing", "spf-multiple", "spf-include-space", "spf-syntax",
	"spf-include-broken", "spf-lookups", "spf-void-lookups",
	"spf-sending-ip", "return-path-spf", "return-path-all", NULL,
};

/* The lint ids that make an included record unusable. */
static const char *const broken_ids[] = {
	"spf-include-no-spf", "spf-redirect-no-spf", "spf-include-multiple",
	"spf-include-syntax", "spf-include-loop", "spf-redirect-loop", NULL,
};

struct sx {
	struct au_ctx *x;
	struct au_domain *d;
	const char *g;             /* report group */
	const char *const *ids;    /* the checks of this domain, in order */
	const char *inc;           /* the provider include, or NULL */
	const char *needed;        /* needed_when */
	struct sk_spf_lint *lint;
	const struct sk_spf_node *root;
	struct sk_buf recs;        /* the SPF records seen, quoted */
	bool tree_tempfail;
	/* Why the policy ends in permerror, when a check already failed
	 * for it ("spf-lookups"), or NULL. */
	const char *permerror_id;
};

static const char *
grp(const struct sx *s, const char *id)
{
	return strncmp(id, "return-path-", 12) == 0 ? AU_G_RP : s->g;
}

/* SKIP every check of the domain after `after`. */
static void
skip_rest(struct sx *s, const char *after, const char *why)
{
	size_t i = 0;

	while (s->ids[i] != NULL && strcmp(s->ids[i], after) != 0)
		i++;
	if (s->ids[i] == NULL)
		return;
	for (i++; s->ids[i] != NULL; i++)
		sk__audit_add(s->x, grp(s, s->ids[i]), s->ids[i], s->d->name,
			      SK_CHECK_SKIP, SK_SEV_INFO, "", s->recs.p, NULL,
			      "%s", why);
}

static bool
finding_in(const struct sk_finding *f, const char *const *ids)
{
	for (size_t i = 0; ids[i] != NULL; i++)
		if (strcmp(f->id, ids[i]) == 0)
			return true;
	return false;
}

/* Append the messages of the lint findings with these ids; returns how
 * many. */
static size_t
findings_text(struct sx *s, struct sk_buf *b, const char *const *ids)
{
	const struct sk_findings *f = sk_spf_lint_findings(s->lint);
	size_t n = 0;

	for (size_t i = 0; i < sk_findings_count(f); i++) {
		const struct sk_finding *fi = sk_findings_get(f, i);

		if (!finding_in(fi, ids))
			continue;
		sk__audit_bprintf(s->x, b, "%s%s", n++ ? "; " : "",
				  fi->message);
	}
	return n;
}

/* The SPF records at the domain, for evidence. */
static void
records_seen(struct sx *s)
{
	const struct sk_dns_answer *a;
	enum sk_dns_status st;
	size_t n = 0;

	st = sk__audit_ask(s->x, s->d->name, SK_DNS_TXT, &a);
	for (size_t i = 0; a != NULL && st == SK_DNS_ANSWER && i < a->count;
	     i++) {
		const struct sk_dns_rr *rr = &a->rr[i];

		if (rr->type != SK_DNS_TXT ||
		    !sk_spf_is_record(rr->u.txt.text, rr->u.txt.len))
			continue;
		sk__audit_bprintf(s->x, &s->recs, "%s", n++ ? ", " : "");
		sk__audit_rr_str(s->x, &s->recs, rr);
	}
	if (n == 0)
		sk__audit_bprintf(s->x, &s->recs, "%s: %s", s->d->name,
				  st == SK_DNS_TEMPFAIL ? sk__audit_why(a) :
				  st == SK_DNS_NXDOMAIN ? "NXDOMAIN" :
				  "no SPF record");
	sk_dns_answer_unref(a);
}

/* Is `inc` anywhere in the tree (include or redirect)? */
static bool
tree_has(const struct sk_spf_node *n, const char *inc)
{
	for (size_t i = 0; i < n->nchildren; i++) {
		if (n->children[i].domain != NULL &&
		    sk__audit_name_eq(n->children[i].domain, inc))
			return true;
		if (tree_has(&n->children[i], inc))
			return true;
	}
	return false;
}

static unsigned
tree_voids(const struct sk_spf_node *n)
{
	unsigned v = n->void_lookups;

	for (size_t i = 0; i < n->nchildren; i++)
		v += tree_voids(&n->children[i]);
	return v;
}

/*
 * "include: mktomail.com": remove the blanks after "include:" (or
 * "redirect=") and write the corrected record to b.  False when the
 * record has no such blank.
 */
static bool
space_fix(struct au_ctx *x, const char *rec, struct sk_buf *b)
{
	static const char *const kw[] = {"include:", "redirect="};
	size_t len = strlen(rec), i, k, kl, e;
	bool found = false;

	for (i = 0; i < len; i++) {
		bool start = i == 0 || rec[i - 1] == ' ' ||
			rec[i - 1] == '+' || rec[i - 1] == '-' ||
			rec[i - 1] == '~' || rec[i - 1] == '?';

		for (k = 0; start && k < 2; k++) {
			kl = strlen(kw[k]);
			if (len - i <= kl || rec[i + kl] != ' ' ||
			    !sk__eq_nocase(rec + i, kl, kw[k], kl))
				continue;
			e = i + kl;
			while (e < len && (rec[e] == ' ' || rec[e] == '\t'))
				e++;
			if (e >= len)
				continue;
			/* Copy up to the keyword, then skip the blanks. */
			sk__audit_bprintf(x, b, "%.*s", (int)kl, rec + i);
			i = e;
			found = true;
			break;
		}
		if (i < len)
			sk__audit_bprintf(x, b, "%c", rec[i]);
	}
	return found;
}

/* A new record for the domain (what the plan would publish). */
static void
new_record(struct sx *s, struct sk_buf *b)
{
	const struct sk_org_domain *cfg = s->d->cfg;
	const struct sk_profile *p = s->x->p;
	bool want_inc = s->inc != NULL && (s->d->is_rp ||
		strcmp(s->needed, "always") == 0);

	sk__audit_bprintf(s->x, b, "v=spf1");
	for (size_t i = 0; cfg != NULL && i < cfg->nmail_servers; i++)
		sk__audit_bprintf(s->x, b, " %s:%s",
				  strchr(cfg->mail_servers[i], ':') != NULL ?
				  "ip6" : "ip4", cfg->mail_servers[i]);
	for (size_t i = 0; cfg != NULL && i < cfg->nspf_includes; i++)
		sk__audit_bprintf(s->x, b, " include:%s",
				  cfg->spf_includes[i]);
	if (want_inc)
		sk__audit_bprintf(s->x, b, " include:%s", s->inc);
	sk__audit_bprintf(s->x, b, " %s", s->d->is_rp ?
			  sk__audit_src(p->spf.branded_all, "-all") : "~all");
}

/* The qualifier of the "all" that ends the policy, following redirect;
 * 0 when there is none. */
static char
final_all(struct au_ctx *x, const struct sk_spf_node *n, unsigned depth)
{
	const struct sk_spf_term *redirect = NULL;
	struct sk_spf_record *rec = NULL;
	char q = 0;
	sk_status st;

	if (n->record == NULL || depth > 10)
		return 0;
	st = sk_spf_parse(n->record, strlen(n->record), &rec, NULL);
	if (sk__audit_oom(x, st) || st != SK_OK)
		return 0;
	for (size_t i = 0; i < sk_spf_record_nterms(rec); i++) {
		const struct sk_spf_term *t = sk_spf_record_term(rec, i);

		if (t->kind == SK_SPF_ALL)
			q = t->qualifier;
		if (t->kind == SK_SPF_REDIRECT)
			redirect = t;
	}
	if (q == 0 && redirect != NULL)
		for (size_t i = 0; i < n->nchildren; i++)
			if (strncmp(n->children[i].via, "redirect=", 9) == 0)
				q = final_all(x, &n->children[i], depth + 1);
	sk_spf_record_free(rec);
	return q;
}

/* The record with its "all" replaced by `all` (appended when it has
 * none); false when the policy ends in a redirect instead. */
static bool
all_fix(struct au_ctx *x, const char *text, const char *all,
	struct sk_buf *b)
{
	struct sk_spf_record *rec = NULL;
	const struct sk_spf_term *at = NULL;
	bool redirect = false;
	sk_status st;

	st = sk_spf_parse(text, strlen(text), &rec, NULL);
	if (sk__audit_oom(x, st) || st != SK_OK)
		return false;
	for (size_t i = 0; i < sk_spf_record_nterms(rec); i++) {
		const struct sk_spf_term *t = sk_spf_record_term(rec, i);

		if (t->kind == SK_SPF_ALL)
			at = t;
		if (t->kind == SK_SPF_REDIRECT)
			redirect = true;
	}
	if (at != NULL)
		sk__audit_bprintf(x, b, "%.*s%s%s", (int)at->offset, text, all,
				  text + at->offset + at->text_len);
	else if (!redirect)
		sk__audit_bprintf(x, b, "%s %s", text, all);
	sk_spf_record_free(rec);
	return at != NULL || !redirect;
}

/* The record without its direct include of `inc`; false when the
 * include is not a term of this record. */
static bool
drop_include(struct au_ctx *x, const char *text, const char *inc,
	     struct sk_buf *b)
{
	struct sk_spf_record *rec = NULL;
	const struct sk_spf_term *it = NULL;
	size_t from;
	sk_status st;

	st = sk_spf_parse(text, strlen(text), &rec, NULL);
	if (sk__audit_oom(x, st) || st != SK_OK)
		return false;
	for (size_t i = 0; i < sk_spf_record_nterms(rec); i++) {
		const struct sk_spf_term *t = sk_spf_record_term(rec, i);

		if (t->kind == SK_SPF_INCLUDE && t->domain_spec != NULL &&
		    sk__eq_nocase_z(t->domain_spec, t->domain_spec_len, inc))
			it = t;
	}
	if (it != NULL) {
		from = it->offset;
		while (from > 0 && text[from - 1] == ' ')
			from--;
		sk__audit_bprintf(x, b, "%.*s%s", (int)from, text,
				  text + it->offset + it->text_len);
	}
	sk_spf_record_free(rec);
	return it != NULL;
}

/* The record merged with the provider include, as a TXT line. */
static void
merge_fix(struct sx *s, struct sk_buf *fix)
{
	struct sk_spf_merge *m = NULL;
	const char *rec = s->root->record;
	sk_status st;

	st = sk_spf_merge(s->x->r, rec, strlen(rec), s->inc, &m, NULL);
	if (sk__audit_oom(s->x, st))
		return;
	if (st != SK_OK)
		sk__audit_bprintf(s->x, fix, "add include:%s to the SPF "
				  "record of %s", s->inc, s->d->name);
	else if (m->refused)
		sk__audit_bprintf(s->x, fix, "include:%s cannot be added "
				  "without passing 10 lookups: %s", s->inc,
				  m->reason != NULL ? m->reason : "");
	else
		sk__audit_txt_line(s->x, fix, s->d->name, m->record);
	sk_spf_merge_free(m);
}

/* ------------------------------------------------------ spf-sending-ip */

struct ipres {
	size_t nblocks, npass, nfail, ntemp, nprov, nperm;
	struct sk_buf fail, temp, prov;
};

static sk_status
check_ip(struct au_ctx *x, const char *ip, const char *domain,
	 struct sk_spf_outcome **o)
{
	struct sk_spf_request req;
	struct sk_spf_opts opts;
	char from[SK_DNS_MAX_NAME + 16];
	sk_status st;

	memset(&req, 0, sizeof(req));
	memset(&opts, 0, sizeof(opts));
	snprintf(from, sizeof(from), "postmaster@%s", domain);
	req.ip = ip;
	req.mail_from = from;
	req.helo = domain;
	req.identity = SK_SPF_ID_MAILFROM;
	req.now = x->now;
	opts.no_exp = true;
	*o = NULL;
	st = sk_spf_check(x->r, &req, &opts, o, NULL);
	sk__audit_oom(x, st);
	return st;
}

static void
outcome_str(struct au_ctx *x, struct sk_buf *b, const char *net,
	    const char *ip, const struct sk_spf_outcome *o)
{
	sk__audit_bprintf(x, b, "%s%s (%s): %s", b->len ? "; " : "", net,
			  ip, sk_spf_result_str(o->result));
	if (o->mechanism != NULL)
		sk__audit_bprintf(x, b, " by %s at %s", o->mechanism,
				  o->mechanism_domain);
	else if (o->problem != NULL)
		sk__audit_bprintf(x, b, " (%s)", o->problem);
}

static void
sample_lists(struct sx *s, struct ipres *res)
{
	const struct sk_profile *p = s->x->p;
	struct au_ctx *x = s->x;

	for (size_t li = 0; li < p->nlists && x->st == SK_OK; li++) {
		const struct sk_profile_list *l = &p->lists[li];

		if (l->spf_domain == NULL || l->spf_domain[0] == '\0')
			continue;
		for (size_t i = 0; i < l->count && x->st == SK_OK; i++) {
			struct sk_spf_outcome *o = NULL, *po = NULL;
			char ip[64];
			struct au_net n;

			if (!sk__audit_net_parse(l->items[i], &n))
				continue;
			sk__audit_net_sample(&n, ip, sizeof(ip));
			res->nblocks++;
			if (check_ip(x, ip, s->d->name, &o) != SK_OK)
				continue;
			if (o->result == SK_SPF_PASS) {
				res->npass++;
			} else if (o->result == SK_SPF_TEMPERROR) {
				res->ntemp++;
				outcome_str(x, &res->temp, l->items[i], ip, o);
			} else if (check_ip(x, ip, l->spf_domain, &po) ==
				   SK_OK && po->result != SK_SPF_PASS) {
				/* Not published by the provider either:
				 * profile drift, not this domain's fault. */
				res->nprov++;
				outcome_str(x, &res->prov, l->items[i], ip,
					    po);
			} else {
				res->nfail++;
				if (o->result == SK_SPF_PERMERROR)
					res->nperm++;
				outcome_str(x, &res->fail, l->items[i], ip, o);
			}
			sk_spf_outcome_free(o);
			sk_spf_outcome_free(po);
		}
	}
}

static void
check_sending_ip(struct sx *s, bool applies)
{
	struct au_ctx *x = s->x;
	const char *src = sk__audit_src(x->p->spf.source, REF_CHECK);
	enum sk_severity sev = s->d->is_rp ? SK_SEV_ERROR : SK_SEV_WARNING;
	struct ipres res;
	struct sk_buf ev, fix;

	if (!applies) {
		sk__audit_add(x, s->g, "spf-sending-ip", s->d->name,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "%s does not include the provider: its SPF is "
			      "not used for provider mail", s->d->name);
		return;
	}
	memset(&res, 0, sizeof(res));
	sk__buf_init(&res.fail, AU_TEXT_MAX);
	sk__buf_init(&res.temp, AU_TEXT_MAX);
	sk__buf_init(&res.prov, AU_TEXT_MAX);
	sk__buf_init(&ev, AU_TEXT_MAX);
	sk__buf_init(&fix, AU_TEXT_MAX);
	sample_lists(s, &res);
	if (res.nprov > 0)
		sk__audit_bprintf(x, &ev, "not in the provider's own SPF "
				  "(see profile-spf-drift): %s",
				  res.prov.p);
	if (res.nblocks == 0) {
		s->d->spf_ip = SK_CHECK_SKIP;
		sk__audit_add(x, s->g, "spf-sending-ip", s->d->name,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "the profile lists no sending blocks with an "
			      "spf_domain to test");
	} else if (res.nfail > 0 && res.nperm == res.nfail &&
		   s->permerror_id != NULL) {
		/* The cause is reported already: one problem, one check. */
		s->d->spf_ip = SK_CHECK_FAIL;
		sk__audit_bprintf(x, &ev, "%spermerror: %s", ev.len ? "; " :
				  "", res.fail.p);
		sk__audit_add(x, s->g, "spf-sending-ip", s->d->name,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, ev.p, NULL,
			      "the SPF of %s ends in permerror for the "
			      "provider's blocks (see %s)", s->d->name,
			      s->permerror_id);
	} else if (res.nfail > 0) {
		s->d->spf_ip = SK_CHECK_FAIL;
		sk__audit_bprintf(x, &ev, "%sfailing: %s", ev.len ? "; " : "",
				  res.fail.p);
		if (s->inc != NULL && !s->d->spf_includes)
			merge_fix(s, &fix);
		else
			sk__audit_bprintf(x, &fix, "authorize the provider's "
					  "sending blocks in the SPF of %s",
					  s->d->name);
		sk__audit_add(x, s->g, "spf-sending-ip", s->d->name,
			      SK_CHECK_FAIL, sev, src, ev.p, fix.p,
			      "%zu of %zu provider sending blocks do not "
			      "pass SPF for %s", res.nfail, res.nblocks,
			      s->d->name);
	} else if (res.ntemp > 0) {
		s->d->spf_ip = SK_CHECK_DNSFAIL;
		sk__audit_bprintf(x, &ev, "%stemperror: %s", ev.len ? "; " :
				  "", res.temp.p);
		sk__audit_add(x, s->g, "spf-sending-ip", s->d->name,
			      SK_CHECK_DNSFAIL, SK_SEV_INFO, src, ev.p, NULL,
			      "%zu of %zu provider sending blocks could not "
			      "be checked: DNS failed", res.ntemp,
			      res.nblocks);
	} else {
		s->d->spf_ip = SK_CHECK_PASS;
		sk__audit_add(x, s->g, "spf-sending-ip", s->d->name,
			      SK_CHECK_PASS, SK_SEV_INFO, src, ev.p, NULL,
			      "a sample address of each of %zu provider "
			      "sending blocks passes SPF for %s%s",
			      res.npass, s->d->name, res.nprov ?
			      " (blocks the provider does not publish "
			      "itself left aside)" : "");
	}
	sk__buf_free(&res.fail);
	sk__buf_free(&res.temp);
	sk__buf_free(&res.prov);
	sk__buf_free(&ev);
	sk__buf_free(&fix);
}

/* ---------------------------------------------------------- the rest */

/* spf-missing, spf-multiple, spf-include-space, spf-syntax; false when
 * the record cannot be used further. */
static bool
check_record(struct sx *s)
{
	struct au_ctx *x = s->x;
	const struct sk_spf_node *root = s->root;
	const char *name = s->d->name;
	const char *src = sk__audit_src(x->p->spf.source, REF_SEL);
	struct sk_buf fix, fixed;
	struct sk_spf_record *rec = NULL;
	bool space, ok = false;
	sk_status st;

	sk__buf_init(&fix, AU_TEXT_MAX);
	sk__buf_init(&fixed, AU_TEXT_MAX);
	if (root->status == SK_SPF_NODE_TEMPFAIL) {
		if (s->d->is_rp)
			s->d->spf_ip = SK_CHECK_DNSFAIL;
		sk__audit_add(x, s->g, "spf-missing", name, SK_CHECK_DNSFAIL,
			      SK_SEV_INFO, src, s->recs.p, NULL, "could not "
			      "read the SPF record of %s: DNS failed", name);
		skip_rest(s, "spf-missing", "the SPF record could not be "
			  "read (DNS failed)");
		goto out;
	}
	if (root->status == SK_SPF_NODE_NONE) {
		if (s->d->is_rp)
			s->d->spf_ip = SK_CHECK_FAIL;
		new_record(s, &fixed);
		sk__audit_txt_line(x, &fix, name, fixed.p);
		sk__audit_add(x, s->g, "spf-missing", name, SK_CHECK_FAIL,
			      SK_SEV_ERROR, src, s->recs.p, fix.p,
			      "%s publishes no SPF record%s", name,
			      s->d->is_rp ? ": receivers cannot authorize "
			      "the provider's mail for this Return-Path" :
			      ": receivers get \"none\" and anyone can send "
			      "as it");
		skip_rest(s, "spf-missing", "no SPF record");
		goto out;
	}
	sk__audit_add(x, s->g, "spf-missing", name, SK_CHECK_PASS,
		      SK_SEV_INFO, src, s->recs.p, NULL, "%s publishes SPF",
		      name);
	if (root->status == SK_SPF_NODE_MULTIPLE) {
		if (s->d->is_rp)
			s->d->spf_ip = SK_CHECK_FAIL;
		sk__audit_add(x, s->g, "spf-multiple", name, SK_CHECK_FAIL,
			      SK_SEV_ERROR, REF_SEL, s->recs.p,
			      "publish a single SPF record: merge the terms "
			      "of the others into one and delete them",
			      "%s publishes more than one SPF record: "
			      "receivers return permerror", name);
		skip_rest(s, "spf-multiple", "more than one SPF record (see "
			  "spf-multiple)");
		goto out;
	}
	sk__audit_add(x, s->g, "spf-multiple", name, SK_CHECK_PASS,
		      SK_SEV_INFO, REF_SEL, s->recs.p, NULL,
		      "%s publishes exactly one SPF record", name);
	space = space_fix(x, root->record, &fixed);
	if (space) {
		sk__audit_txt_line(x, &fix, name, fixed.p);
		sk__audit_add(x, s->g, "spf-include-space", name,
			      SK_CHECK_FAIL, SK_SEV_ERROR, REF_SYNTAX,
			      s->recs.p, fix.p, "the SPF record of %s has a "
			      "blank after \"include:\" (as some provider "
			      "pages print it): the record does not parse "
			      "and receivers return permerror", name);
	} else {
		sk__audit_add(x, s->g, "spf-include-space", name,
			      SK_CHECK_PASS, SK_SEV_INFO, REF_SYNTAX, NULL,
			      NULL, "no blank after \"include:\"");
	}
	sk__buf_reset(&fix);
	if (root->status != SK_SPF_NODE_SYNTAX) {
		sk__audit_add(x, s->g, "spf-syntax", name, SK_CHECK_PASS,
			      SK_SEV_INFO, REF_SYNTAX, NULL, NULL,
			      "the SPF record of %s parses", name);
		ok = true;
		goto out;
	}
	if (s->d->is_rp)
		s->d->spf_ip = SK_CHECK_FAIL;
	if (space && fixed.p != NULL) {
		st = sk_spf_parse(fixed.p, fixed.len, &rec, NULL);
		sk_spf_record_free(rec);
		if (sk__audit_oom(x, st))
			goto out;
		if (st == SK_OK) {
			sk__audit_add(x, s->g, "spf-syntax", name,
				      SK_CHECK_SKIP, SK_SEV_INFO, REF_SYNTAX,
				      s->recs.p, NULL, "the blank after "
				      "\"include:\" is the syntax error (see "
				      "spf-include-space)");
			skip_rest(s, "spf-syntax", "the SPF record does not "
				  "parse (see spf-include-space)");
			goto out;
		}
	}
	{
		static const char *const syn[] = {"spf-syntax", NULL};
		struct sk_buf ev;

		sk__buf_init(&ev, AU_TEXT_MAX);
		sk__audit_bprintf(x, &ev, "%s: ", s->recs.p);
		findings_text(s, &ev, syn);
		sk__audit_add(x, s->g, "spf-syntax", name, SK_CHECK_FAIL,
			      SK_SEV_ERROR, REF_SYNTAX, ev.p, "correct the "
			      "term named in the evidence: any syntax error "
			      "fails the whole record",
			      "the SPF record of %s does not parse: receivers "
			      "return permerror", name);
		sk__buf_free(&ev);
	}
	skip_rest(s, "spf-syntax", "the SPF record does not parse (see "
		  "spf-syntax)");
out:
	sk__buf_free(&fix);
	sk__buf_free(&fixed);
	return ok;
}

static void
check_broken(struct sx *s)
{
	struct sk_buf ev;

	sk__buf_init(&ev, AU_TEXT_MAX);
	if (findings_text(s, &ev, broken_ids) > 0) {
		s->permerror_id = "spf-include-broken";
		sk__audit_add(s->x, s->g, "spf-include-broken", s->d->name,
			      SK_CHECK_FAIL, SK_SEV_ERROR, REF_INC, ev.p,
			      "fix or remove the include/redirect named in "
			      "the evidence", "a record the SPF of %s "
			      "includes or redirects to cannot be used: "
			      "receivers return permerror when they reach it",
			      s->d->name);
	} else if (s->tree_tempfail)
		sk__audit_add(s->x, s->g, "spf-include-broken", s->d->name,
			      SK_CHECK_DNSFAIL, SK_SEV_INFO, REF_INC,
			      NULL, NULL, "part of the SPF of %s could not be "
			      "read: DNS failed for an included name",
			      s->d->name);
	else
		sk__audit_add(s->x, s->g, "spf-include-broken", s->d->name,
			      SK_CHECK_PASS, SK_SEV_INFO, REF_INC, NULL, NULL,
			      "every record the SPF of %s reaches is usable",
			      s->d->name);
	sk__buf_free(&ev);
}

/* spf-include-missing (From domains) */
static void
check_include_missing(struct sx *s)
{
	struct au_ctx *x = s->x;
	const char *src = sk__audit_src(x->p->spf.source, REF_INC);
	const char *dflt = sk__audit_src(x->p->envelope.default_domain,
					 "the provider's domain");
	bool always = strcmp(s->needed, "always") == 0;
	struct sk_buf fix;

	if (s->inc == NULL || strcmp(s->needed, "never") == 0) {
		sk__audit_add(x, s->g, "spf-include-missing", s->d->name,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "the profile asks for no SPF include");
		return;
	}
	if (s->d->spf_includes) {
		sk__audit_add(x, s->g, "spf-include-missing", s->d->name,
			      SK_CHECK_PASS, SK_SEV_INFO, src, s->recs.p,
			      NULL, "the SPF of %s includes %s", s->d->name,
			      s->inc);
		return;
	}
	if (s->tree_tempfail) {
		sk__audit_add(x, s->g, "spf-include-missing", s->d->name,
			      SK_CHECK_DNSFAIL, SK_SEV_INFO, src, s->recs.p,
			      NULL, "include:%s not seen, but part of the "
			      "SPF of %s could not be read", s->inc,
			      s->d->name);
		return;
	}
	sk__buf_init(&fix, AU_TEXT_MAX);
	merge_fix(s, &fix);
	if (always)
		sk__audit_add(x, s->g, "spf-include-missing", s->d->name,
			      SK_CHECK_FAIL, SK_SEV_ERROR, src, s->recs.p,
			      fix.p, "the SPF of %s does not include %s "
			      "(directly or nested): the provider requires "
			      "it", s->d->name, s->inc);
	else if (s->d->rp != NULL)
		sk__audit_add(x, s->g, "spf-include-missing", s->d->name,
			      SK_CHECK_FAIL, SK_SEV_WARNING, src, s->recs.p,
			      fix.p, "the SPF of %s does not include %s "
			      "(directly or nested), as the provider's "
			      "guides ask; provider mail uses the branded "
			      "Return-Path %s, whose SPF is the one receivers "
			      "check", s->d->name, s->inc, s->d->rp);
	else
		sk__audit_add(x, s->g, "spf-include-missing", s->d->name,
			      SK_CHECK_FAIL, SK_SEV_WARNING, src, s->recs.p,
			      fix.p, "the SPF of %s does not include %s "
			      "(directly or nested), as the provider's "
			      "guides ask; on shared IPs this does not "
			      "affect DMARC: the Return-Path is under %s, so "
			      "SPF never checks %s for provider mail",
			      s->d->name, s->inc, dflt, s->d->name);
	sk__buf_free(&fix);
}

/* spf-include-unneeded (From domains) */
static void
check_include_unneeded(struct sx *s)
{
	struct au_ctx *x = s->x;
	const char *dflt = sk__audit_src(x->p->envelope.default_domain,
					 "the provider's domain");
	unsigned n = sk_spf_lint_lookups(s->lint);
	struct sk_buf fix, fixed;

	if (s->inc == NULL || strcmp(s->needed, "always") == 0 ||
	    strcmp(s->needed, "never") == 0 || !s->d->spf_includes) {
		sk__audit_add(x, s->g, "spf-include-unneeded", s->d->name,
			      SK_CHECK_PASS, SK_SEV_INFO, REF_ID, NULL, NULL,
			      "no provider include spends a lookup in the "
			      "SPF of %s", s->d->name);
		return;
	}
	sk__buf_init(&fix, AU_TEXT_MAX);
	sk__buf_init(&fixed, AU_TEXT_MAX);
	/* Only advice: the provider's guides ask for the include, and
	 * `plan` keeps it; dropping it is worth it when lookups are short. */
	if (drop_include(x, s->root->record, s->inc, &fixed)) {
		sk__audit_bprintf(x, &fix, "optional (the provider's guides "
				  "ask for the include): to free the lookup, "
				  "publish ");
		sk__audit_txt_line(x, &fix, s->d->name, fixed.p);
	} else {
		sk__audit_bprintf(x, &fix, "nothing to change here: the "
				  "include comes through a nested record");
	}
	sk__audit_add(x, s->g, "spf-include-unneeded", s->d->name,
		      SK_CHECK_FAIL, SK_SEV_INFO, REF_ID, s->recs.p, fix.p,
		      "the SPF of %s includes %s, but SPF checks the "
		      "Return-Path domain, which for provider mail is %s: "
		      "the include costs 1 of the 10 lookups (%u used) and "
		      "does not affect DMARC", s->d->name, s->inc,
		      s->d->rp != NULL ? s->d->rp : dflt, n);
	sk__buf_free(&fix);
	sk__buf_free(&fixed);
}

static void
check_lookups(struct sx *s)
{
	static const char *const lim[] = {"spf-lookup-limit", NULL};
	struct au_ctx *x = s->x;
	const struct sk_spf_node *root = s->root;
	unsigned n = sk_spf_lint_lookups(s->lint), own;
	unsigned voids = tree_voids(root);
	struct sk_buf ev;

	sk__buf_init(&ev, AU_TEXT_MAX);
	own = root->cost >= root->nchildren ?
		root->cost - (unsigned)root->nchildren : 0;
	sk__audit_bprintf(x, &ev, "%u lookups:", n);
	for (size_t i = 0; i < root->nchildren; i++)
		sk__audit_bprintf(x, &ev, "%s %s (%u)", i ? "," : "",
				  root->children[i].via,
				  root->children[i].total);
	if (own > 0)
		sk__audit_bprintf(x, &ev, "%s a/mx/ptr/exists terms (%u)",
				  root->nchildren ? "," : "", own);
	if (n > SK_SPF_MAX_DNS_TERMS) {
		s->permerror_id = "spf-lookups";
		sk__audit_bprintf(x, &ev, "; ");
		findings_text(s, &ev, lim);
		sk__audit_add(x, s->g, "spf-lookups", s->d->name,
			      SK_CHECK_FAIL, SK_SEV_ERROR, REF_LIMITS, ev.p,
			      "remove includes that are not needed, or "
			      "replace costly ones by the ip4:/ip6: blocks "
			      "they publish (flattening needs upkeep)",
			      "the SPF of %s needs %u DNS-querying terms, "
			      "more than %d: receivers return permerror",
			      s->d->name, n, SK_SPF_MAX_DNS_TERMS);
	} else {
		sk__audit_add(x, s->g, "spf-lookups", s->d->name,
			      SK_CHECK_PASS, SK_SEV_INFO, REF_LIMITS, ev.p,
			      NULL, "%u of %d DNS-querying terms%s", n,
			      SK_SPF_MAX_DNS_TERMS, s->tree_tempfail ?
			      " (at least: part of the tree could not be "
			      "read)" : "");
	}
	sk__buf_reset(&ev);
	if (voids > SK_SPF_MAX_VOID) {
		static const char *const vid[] = {"spf-void-lookups",
						  "spf-mx-a-void", NULL};

		s->permerror_id = "spf-void-lookups";
		findings_text(s, &ev, vid);
		sk__audit_add(x, s->g, "spf-void-lookups", s->d->name,
			      SK_CHECK_FAIL, SK_SEV_ERROR, REF_LIMITS, ev.p,
			      "remove the terms whose names do not exist or "
			      "have no address", "the SPF of %s meets %u "
			      "void lookups, more than %d: receivers return "
			      "permerror", s->d->name, voids,
			      SK_SPF_MAX_VOID);
	} else {
		sk__audit_add(x, s->g, "spf-void-lookups", s->d->name,
			      SK_CHECK_PASS, SK_SEV_INFO, REF_LIMITS, NULL,
			      NULL, "%u void lookups (limit %d)", voids,
			      SK_SPF_MAX_VOID);
	}
	sk__buf_free(&ev);
}

/* spf-all (From domains) */
static void
check_all(struct sx *s)
{
	const struct sk_findings *f = sk_spf_lint_findings(s->lint);
	struct au_ctx *x = s->x;
	const struct sk_finding *worst = NULL;
	struct sk_buf fix, fixed;

	for (size_t i = 0; i < sk_findings_count(f); i++) {
		const struct sk_finding *fi = sk_findings_get(f, i);

		if (strcmp(fi->id, "spf-all-pass") != 0 &&
		    strcmp(fi->id, "spf-all-neutral") != 0 &&
		    strcmp(fi->id, "spf-no-all") != 0)
			continue;
		if (worst == NULL || fi->severity > worst->severity)
			worst = fi;
	}
	if (worst == NULL) {
		sk__audit_add(x, s->g, "spf-all", s->d->name, SK_CHECK_PASS,
			      SK_SEV_INFO, REF_ALL, s->recs.p, NULL, "the SPF "
			      "of %s ends in ~all or -all", s->d->name);
		return;
	}
	sk__buf_init(&fix, AU_TEXT_MAX);
	sk__buf_init(&fixed, AU_TEXT_MAX);
	if (sk__audit_name_eq(worst->subject, s->d->name) &&
	    all_fix(x, s->root->record, "~all", &fixed))
		sk__audit_txt_line(x, &fix, s->d->name, fixed.p);
	else
		sk__audit_bprintf(x, &fix, "end the record of %s in ~all or "
				  "-all", worst->subject);
	sk__audit_add(x, s->g, "spf-all", s->d->name, SK_CHECK_FAIL,
		      worst->severity, REF_ALL, s->recs.p, fix.p, "%s",
		      worst->message);
	sk__buf_free(&fix);
	sk__buf_free(&fixed);
}

/* return-path-spf and return-path-all (branded return-path domains) */
static void
check_rp(struct sx *s)
{
	struct au_ctx *x = s->x;
	const char *src = sk__audit_src(x->p->envelope.source,
					x->p->docs_url);
	const char *ball = sk__audit_src(x->p->spf.branded_all, "-all");
	struct sk_buf fix, fixed;
	char q;

	sk__buf_init(&fix, AU_TEXT_MAX);
	sk__buf_init(&fixed, AU_TEXT_MAX);
	if (s->inc == NULL) {
		sk__audit_add(x, AU_G_RP, "return-path-spf", s->d->name,
			      s->d->spf_ip == SK_CHECK_FAIL ? SK_CHECK_FAIL :
			      SK_CHECK_PASS, SK_SEV_ERROR, src, s->recs.p,
			      NULL, "the profile names no SPF include; see "
			      "spf-sending-ip for the provider's blocks");
	} else if (s->d->spf_includes) {
		sk__audit_add(x, AU_G_RP, "return-path-spf", s->d->name,
			      SK_CHECK_PASS, SK_SEV_INFO, src, s->recs.p,
			      NULL, "the branded return-path %s includes %s",
			      s->d->name, s->inc);
	} else if (s->tree_tempfail) {
		sk__audit_add(x, AU_G_RP, "return-path-spf", s->d->name,
			      SK_CHECK_DNSFAIL, SK_SEV_INFO, src, s->recs.p,
			      NULL, "include:%s not seen, but part of the "
			      "SPF of %s could not be read", s->inc,
			      s->d->name);
	} else {
		merge_fix(s, &fix);
		if (s->d->spf_ip == SK_CHECK_PASS)
			sk__audit_add(x, AU_G_RP, "return-path-spf",
				      s->d->name, SK_CHECK_FAIL,
				      SK_SEV_WARNING, src, s->recs.p, fix.p,
				      "the branded return-path %s lists the "
				      "provider's blocks itself instead of "
				      "include:%s: they will drift",
				      s->d->name, s->inc);
		else
			sk__audit_add(x, AU_G_RP, "return-path-spf",
				      s->d->name, SK_CHECK_FAIL,
				      SK_SEV_ERROR, src, s->recs.p, fix.p,
				      "the branded return-path %s does not "
				      "include %s: receivers check its SPF "
				      "for provider mail, which then fails "
				      "SPF and cannot align", s->d->name,
				      s->inc);
	}
	sk__buf_reset(&fix);
	q = final_all(x, s->root, 0);
	if (q == '-') {
		sk__audit_add(x, AU_G_RP, "return-path-all", s->d->name,
			      SK_CHECK_PASS, SK_SEV_INFO, src, s->recs.p, NULL,
			      "the SPF of the branded return-path %s ends in "
			      "-all", s->d->name);
	} else {
		if (all_fix(x, s->root->record, ball, &fixed))
			sk__audit_txt_line(x, &fix, s->d->name, fixed.p);
		else
			sk__audit_bprintf(x, &fix, "end the policy of %s in "
					  "%s", s->d->name, ball);
		sk__audit_add(x, AU_G_RP, "return-path-all", s->d->name,
			      SK_CHECK_FAIL, q == '~' ? SK_SEV_WARNING :
			      SK_SEV_ERROR, src, s->recs.p, fix.p,
			      "the SPF of the branded return-path %s ends in "
			      "%s, not %s: %s", s->d->name,
			      q == '~' ? "~all" : q == '?' ? "?all" :
			      q == '+' ? "+all" : "no all", ball,
			      q == '~' ? "nothing but the provider sends "
			      "with this envelope domain, so hard-fail the "
			      "rest" : "other senders pass or get neutral");
	}
	sk__buf_free(&fix);
	sk__buf_free(&fixed);
}

void
sk__audit_spf(struct au_ctx *x, struct au_domain *d)
{
	const struct sk_profile *p = x->p;
	struct sx s;
	struct sk_err err;
	sk_status st;

	memset(&s, 0, sizeof(s));
	s.x = x;
	s.d = d;
	s.g = d->is_from ? AU_G_SPF : AU_G_RP;
	s.ids = d->is_rp ? rp_ids : from_ids;
	s.inc = p->spf.include != NULL && p->spf.include[0] != '\0' ?
		p->spf.include : NULL;
	s.needed = sk__audit_src(p->spf.needed_when, "branded_return_path");
	sk__buf_init(&s.recs, AU_TEXT_MAX);
	d->spf_done = true;
	st = sk_spf_lint_domain(x->r, d->name, &s.lint, &err);
	if (sk__audit_oom(x, st))
		goto out;
	if (st != SK_OK) {
		sk__audit_add(x, s.g, "spf-missing", d->name, SK_CHECK_SKIP,
			      SK_SEV_INFO, REF_SEL, NULL, NULL, "%s", err.msg);
		skip_rest(&s, "spf-missing", "not a domain that can be "
			  "checked");
		goto out;
	}
	s.root = sk_spf_lint_tree(s.lint);
	records_seen(&s);
	if (!check_record(&s))
		goto out;
	d->spf_usable = true;
	s.tree_tempfail = sk__findings_has(sk_spf_lint_findings(s.lint),
					   "spf-tempfail");
	d->spf_includes = s.inc != NULL && tree_has(s.root, s.inc);
	check_broken(&s);
	if (!d->is_rp) {
		check_include_missing(&s);
		check_include_unneeded(&s);
	}
	check_lookups(&s);
	if (!d->is_rp)
		check_all(&s);
	check_sending_ip(&s, d->is_rp || d->spf_includes);
	if (d->is_rp)
		check_rp(&s);
out:
	sk_spf_lint_free(s.lint);
	sk__buf_free(&s.recs);
}
