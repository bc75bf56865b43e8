/*
 * lib/dmarc/eval.c - DMARC evaluation of one message, asynchronous with a
 * synchronous wrapper:
 *
 *   RFC 9989 section 3.2.4   the SPF domain is the MAIL FROM identity
 *                            (postmaster@HELO for a null reverse-path);
 *   RFC 9989 section 4.4     identifier alignment, relaxed (same
 *                            organizational domain) or strict (same
 *                            name); only pass results count;
 *   RFC 9989 section 5.3     the receiver's steps: Author Domain,
 *                            discovery, alignment, pass or fail, policy;
 *                            5.3.6: DNS failure gives no pass/fail;
 *   RFC 9989 section 4.7     t=y: the policy one step down;
 *   RFC 9989 section 11.5    several From domains: evaluate each, apply
 *                            the strictest (as RFC 7489 6.6.1);
 *   RFC 7489 sections 6.3, 6.6.4  pct sampling (RFC 7489 rules only):
 *                            reject becomes quarantine, quarantine none.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include "dmarc_internal.h"
#include "dns/dns_internal.h"
#include "msg/msg_internal.h"

/* An organizational-domain walk for one identifier domain. */
struct orgq {
	char *name;
	char *org;       /* NULL: public suffix (PSL) or unknown */
	bool done, tempfail;
};

struct author {
	struct sk_dmarc_author *pub; /* into ev->pubs */
	char *name;
	bool invalid;
	struct sk_dmarc_discovery *disc;
	struct sk_dmarc_ident *dkim;
};

struct ev {
	struct sk_dmarc_eval pub;   /* first member */
	struct author *authors;
	struct sk_dmarc_author *pubs;
	size_t nauthors;
	char **reasons;
	size_t nreasons;
	/* Identifier names the public idents point at (taken from the
	 * job when it ends). */
	char *spf_domain;
	char *dkim_domains[SK_DMARC_MAX_DKIM];
	sk_status st;               /* sticky ENOMEM */
};

struct job {
	struct sk__dns_hook hook;
	struct sk_resolver *r;
	struct ev *ev;
	struct sk_dmarc_eval_input in;    /* strings below are copies */
	enum sk_dmarc_from_status from_status;
	char *spf_domain;
	struct sk_dmarc_dkim_input dkim[SK_DMARC_MAX_DKIM];
	size_t ndkim;
	struct orgq org[SK_DMARC_MAX_DKIM + 1];
	size_t norg;
	struct sk_dmarc_opts opts;
	struct sk_dmarc_psl *own_psl;
	size_t pending;
	bool failed;                /* start failed: free silently */
	sk_dmarc_eval_cb cb;
	void *arg;
};

/* Links a callback to its job and slot. */
struct slot {
	struct job *j;
	size_t i;
};

SK_API const char *
sk_dmarc_result_str(enum sk_dmarc_result r)
{
	switch (r) {
	case SK_DMARC_RESULT_PASS:
		return "pass";
	case SK_DMARC_RESULT_FAIL:
		return "fail";
	case SK_DMARC_RESULT_TEMPERROR:
		return "temperror";
	case SK_DMARC_RESULT_PERMERROR:
		return "permerror";
	case SK_DMARC_RESULT_NONE:
		break;
	}
	return "none";
}

SK_API const char *
sk_dmarc_disposition_str(enum sk_dmarc_disposition d)
{
	switch (d) {
	case SK_DMARC_DISP_PASS:
		return "pass";
	case SK_DMARC_DISP_QUARANTINE:
		return "quarantine";
	case SK_DMARC_DISP_REJECT:
		return "reject";
	case SK_DMARC_DISP_NONE:
		break;
	}
	return "none";
}

static void
ev_free(struct ev *e)
{
	size_t i;

	if (e == NULL)
		return;
	for (i = 0; i < e->nauthors; i++) {
		struct author *a = &e->authors[i];
		size_t k;

		sk__free(a->name);
		sk_dmarc_discovery_free(a->disc);
		sk__free((void *)a->pub->spf.org_domain);
		if (a->dkim != NULL)
			for (k = 0; k < a->pub->ndkim; k++)
				sk__free((void *)a->dkim[k].org_domain);
		sk__free(a->dkim);
	}
	sk__free(e->authors);
	sk__free(e->pubs);
	for (i = 0; i < e->nreasons; i++)
		sk__free(e->reasons[i]);
	sk__free(e->reasons);
	sk__free(e->spf_domain);
	for (i = 0; i < SK_DMARC_MAX_DKIM; i++)
		sk__free(e->dkim_domains[i]);
	sk__free(e);
}

SK_API void
sk_dmarc_eval_free(struct sk_dmarc_eval *e)
{
	ev_free((struct ev *)e);
}

/* Add one sentence of reasoning (sticky ENOMEM). */
static void reason(struct ev *e, const char *fmt, ...) SK_PRINTF(2, 3);

static void
reason(struct ev *e, const char *fmt, ...)
{
	struct sk_buf b;
	va_list ap;
	char **n;
	char *s;

	if (e->st != SK_OK || e->nreasons >= SK_DMARC_MAX_REASONS)
		return;
	sk__buf_init(&b, 4096);
	va_start(ap, fmt);
	e->st = sk__buf_vprintf(&b, fmt, ap);
	va_end(ap);
	if (e->st == SK_ETOOBIG)
		e->st = SK_OK; /* a cut sentence is still a sentence */
	s = e->st == SK_OK ? sk__buf_take(&b) : NULL;
	sk__buf_free(&b);
	if (s == NULL) {
		e->st = SK_ENOMEM;
		return;
	}
	n = sk__realloc(e->reasons, (e->nreasons + 1) * sizeof(*n));
	if (n == NULL) {
		sk__free(s);
		e->st = SK_ENOMEM;
		return;
	}
	n[e->nreasons++] = s;
	e->reasons = n;
	e->pub.reasons = (const char *const *)e->reasons;
	e->pub.nreasons = e->nreasons;
}

static void
job_free(struct job *j)
{
	size_t i;

	if (j == NULL)
		return;
	if (j->r != NULL)
		sk__dns_hook_del(j->r, &j->hook);
	ev_free(j->ev);
	sk__free(j->spf_domain);
	for (i = 0; i < j->ndkim; i++) {
		sk__free((void *)j->dkim[i].domain);
		sk__free((void *)j->dkim[i].selector);
	}
	for (i = 0; i < j->norg; i++) {
		sk__free(j->org[i].name);
		sk__free(j->org[i].org);
	}
	sk_dmarc_psl_free(j->own_psl);
	sk__free(j);
}

static void
on_resolver_free(struct sk__dns_hook *h)
{
	struct job *j = (struct job *)(void *)((char *)h -
					       offsetof(struct job, hook));

	j->r = NULL; /* already unlinked */
	job_free(j);
}

/* ------------------------------------------------------------ decision */

static const struct orgq *
find_org(const struct job *j, const char *name)
{
	size_t i;

	for (i = 0; i < j->norg; i++)
		if (strcmp(j->org[i].name, name) == 0)
			return &j->org[i];
	return NULL;
}

/*
 * Alignment of one passing identifier with an Author Domain (RFC 9989
 * section 4.4.1): strict needs the same name; relaxed the same
 * organizational domain.  *unknown is set when the org domain of the
 * identifier could not be found (DNS failure).
 */
static bool
aligned(struct job *j, struct author *a, const char *id,
	enum sk_dmarc_align mode, struct sk_dmarc_ident *out, bool *unknown)
{
	const struct orgq *q;
	const char *aorg = a->disc != NULL ? a->disc->org_domain : NULL;

	out->same_domain = strcmp(id, a->name) == 0;
	if (!out->pass)
		return false;
	if (out->same_domain)
		return true;
	if (mode == SK_DMARC_ALIGN_STRICT)
		return false;
	q = find_org(j, id);
	if (q == NULL || q->tempfail) {
		*unknown = true;
		return false;
	}
	if (q->org != NULL) {
		out->org_domain = sk__strdup(q->org);
		if (out->org_domain == NULL)
			j->ev->st = SK_ENOMEM;
	}
	if (aorg == NULL || q->org == NULL)
		return false; /* a public suffix aligns only with itself */
	return strcmp(aorg, q->org) == 0;
}

static enum sk_dmarc_policy
step_down(enum sk_dmarc_policy p)
{
	if (p == SK_DMARC_POLICY_REJECT)
		return SK_DMARC_POLICY_QUARANTINE;
	return SK_DMARC_POLICY_NONE;
}

static enum sk_dmarc_disposition
disp_of(enum sk_dmarc_policy p)
{
	if (p == SK_DMARC_POLICY_REJECT)
		return SK_DMARC_DISP_REJECT;
	if (p == SK_DMARC_POLICY_QUARANTINE)
		return SK_DMARC_DISP_QUARANTINE;
	return SK_DMARC_DISP_NONE;
}

static const char *
rules_name(enum sk_dmarc_rules r)
{
	return r == SK_DMARC_RFC7489 ? "RFC 7489" : "RFC 9989";
}

/* The policy part, once a usable record is known. */
static void
decide_policy(struct job *j, struct author *a)
{
	const struct sk_dmarc_record *rec = a->disc->record;
	struct ev *e = j->ev;
	const char *tag = sk_dmarc_tag_str(a->pub->policy_tag);

	a->pub->applied = a->pub->policy;
	if (j->in.rules == SK_DMARC_RFC9989) {
		if (rec->t && a->pub->policy != SK_DMARC_POLICY_NONE) {
			a->pub->applied = step_down(a->pub->policy);
			a->pub->testing = true;
			reason(e, "%s: t=y (testing): the policy %s=%s is "
			       "applied one step down, as %s (RFC 9989 "
			       "section 4.7).", a->name, tag,
			       sk_dmarc_policy_str(a->pub->policy),
			       sk_dmarc_policy_str(a->pub->applied));
		}
		if (sk_dmarc_record_explicit(rec, SK_DMARC_TAG_PCT) &&
		    rec->pct < 100)
			reason(e, "%s: pct=%u is ignored under RFC 9989 "
			       "(the tag was removed).", a->name, rec->pct);
		return;
	}
	if (sk_dmarc_record_explicit(rec, SK_DMARC_TAG_T))
		reason(e, "%s: t is not a tag of RFC 7489 and is ignored.",
		       a->name);
	if (a->pub->policy != SK_DMARC_POLICY_NONE &&
	    j->in.pct_sample >= rec->pct) {
		a->pub->applied = step_down(a->pub->policy);
		a->pub->sampled_out = true;
		reason(e, "%s: pct=%u and sample %u: the message is not "
		       "selected, so %s=%s is applied as %s (RFC 7489 "
		       "section 6.6.4).", a->name, rec->pct,
		       j->in.pct_sample, tag,
		       sk_dmarc_policy_str(a->pub->policy),
		       sk_dmarc_policy_str(a->pub->applied));
	} else if (a->pub->policy != SK_DMARC_POLICY_NONE && rec->pct < 100) {
		reason(e, "%s: pct=%u and sample %u: the message is "
		       "selected for the policy (RFC 7489 section 6.6.4).",
		       a->name, rec->pct, j->in.pct_sample);
	}
}

static void
decide_author(struct job *j, struct author *a)
{
	struct ev *e = j->ev;
	const struct sk_dmarc_discovery *d = a->disc;
	const struct sk_dmarc_record *rec;
	bool unknown = false, any = false;
	enum sk_dmarc_tag which;
	size_t k;

	a->pub->domain = a->name;
	if (a->invalid) {
		a->pub->result = SK_DMARC_RESULT_PERMERROR;
		reason(e, "Author Domain '%s' is not a valid domain name: "
		       "permerror.", a->name);
		return;
	}
	if (d == NULL) {
		a->pub->result = SK_DMARC_RESULT_TEMPERROR;
		return;
	}
	a->pub->discovery = d;
	a->pub->org_domain = d->org_domain;
	rec = d->record;
	if (d->status == SK_DMARC_DISC_TEMPFAIL) {
		a->pub->result = SK_DMARC_RESULT_TEMPERROR;
		reason(e, "%s: DNS failed during policy discovery (%s): "
		       "temperror (RFC 9989 section 5.3.6).", a->name,
		       d->problem != NULL ? d->problem : "no reason");
		return;
	}
	if (rec != NULL) {
		a->pub->adkim = rec->adkim;
		a->pub->aspf = rec->aspf;
	}
	/* The tag that applies: p at the policy domain itself, np for a
	 * non-existent subdomain (RFC 9989 only), sp otherwise. */
	if (!d->inherited)
		which = SK_DMARC_TAG_P;
	else if (d->exists == 0 && j->in.rules == SK_DMARC_RFC9989)
		which = SK_DMARC_TAG_NP;
	else
		which = SK_DMARC_TAG_SP;
	a->pub->policy_tag = which;
	if (rec == NULL || (d->status != SK_DMARC_DISC_FOUND &&
			    d->status != SK_DMARC_DISC_UNUSABLE)) {
		reason(e, "%s: no DMARC policy (%s%s%s): DMARC does not "
		       "apply, result none.", a->name,
		       sk_dmarc_disc_status_str(d->status),
		       d->problem != NULL ? ": " : "",
		       d->problem != NULL ? d->problem : "");
		a->pub->result = SK_DMARC_RESULT_NONE;
	} else if (!sk_dmarc_record_policy(rec, j->in.rules, which,
					   &a->pub->policy)) {
		reason(e, "%s: the record at _dmarc.%s has no valid p and "
		       "no valid rua: not usable under %s, result none.",
		       a->name, d->policy_domain, rules_name(j->in.rules));
		a->pub->result = SK_DMARC_RESULT_NONE;
		rec = NULL;
	} else {
		reason(e, "%s: policy record at _dmarc.%s (%s discovery, "
		       "organizational domain %s): %s=%s applies%s.",
		       a->name, d->policy_domain,
		       sk_dmarc_method_str(d->method),
		       d->org_domain != NULL ? d->org_domain : "(none)",
		       sk_dmarc_tag_str(which),
		       sk_dmarc_policy_str(a->pub->policy),
		       which == SK_DMARC_TAG_NP ? " (the domain does not "
		       "exist)" : which == SK_DMARC_TAG_SP ?
		       " (a subdomain of the policy domain)" : "");
		if ((j->in.rules == SK_DMARC_RFC9989 ?
		     rec->fallback_none : rec->fallback_none_7489))
			reason(e, "%s: the record lacks a valid p but has a "
			       "valid rua: treated as p=none.", a->name);
	}
	/* Alignment of every identifier, for the reasoning even without a
	 * policy. */
	if (j->spf_domain != NULL) {
		a->pub->spf.domain = j->spf_domain;
		a->pub->spf.pass = j->in.spf_result == SK_SPF_PASS &&
				  j->in.spf_identity == SK_SPF_ID_MAILFROM;
		a->pub->spf.aligned = aligned(j, a, j->spf_domain, a->pub->aspf,
					     &a->pub->spf, &unknown);
		any |= a->pub->spf.aligned;
		reason(e, "%s: SPF %s for %s%s: %s (aspf=%s).", a->name,
		       sk_spf_result_str(j->in.spf_result), j->spf_domain,
		       j->in.spf_identity == SK_SPF_ID_HELO ?
		       " (HELO identity, not used by DMARC)" : "",
		       a->pub->spf.aligned ? "aligned" : !a->pub->spf.pass ?
		       "not a pass, does not count" : "not aligned",
		       a->pub->aspf == SK_DMARC_ALIGN_STRICT ? "s" : "r");
	} else {
		reason(e, "%s: no SPF result for the MAIL FROM identity.",
		       a->name);
	}
	for (k = 0; k < a->pub->ndkim; k++) {
		struct sk_dmarc_ident *id = &a->dkim[k];

		id->domain = j->dkim[k].domain;
		id->pass = j->dkim[k].result == SK_DKIM_PASS;
		id->aligned = aligned(j, a, id->domain, a->pub->adkim, id,
				      &unknown);
		any |= id->aligned;
		reason(e, "%s: DKIM %s d=%s s=%s: %s (adkim=%s).", a->name,
		       sk_dkim_result_str(j->dkim[k].result), id->domain,
		       j->dkim[k].selector != NULL ? j->dkim[k].selector :
		       "?", id->aligned ? "aligned" : !id->pass ?
		       "not a pass, does not count" : "not aligned",
		       a->pub->adkim == SK_DMARC_ALIGN_STRICT ? "s" : "r");
	}
	if (a->pub->ndkim == 0)
		reason(e, "%s: no DKIM signature.", a->name);
	if (rec == NULL)
		return;
	if (any) {
		a->pub->result = SK_DMARC_RESULT_PASS;
		a->pub->disposition = SK_DMARC_DISP_PASS;
		a->pub->applied = SK_DMARC_POLICY_NONE;
		reason(e, "%s: an aligned identifier passed: DMARC pass.",
		       a->name);
		return;
	}
	if (unknown) {
		a->pub->result = SK_DMARC_RESULT_TEMPERROR;
		reason(e, "%s: the organizational domain of a passing "
		       "identifier could not be found (DNS failure): "
		       "temperror (RFC 9989 section 5.3.6).", a->name);
		return;
	}
	a->pub->result = SK_DMARC_RESULT_FAIL;
	reason(e, "%s: no aligned identifier passed: DMARC fail.", a->name);
	decide_policy(j, a);
	a->pub->disposition = disp_of(a->pub->applied);
	reason(e, "%s: policy applied %s, disposition %s.", a->name,
	       sk_dmarc_policy_str(a->pub->applied),
	       sk_dmarc_disposition_str(a->pub->disposition));
}

/* fail > temperror > permerror > none > pass. */
static int
result_rank(enum sk_dmarc_result r)
{
	switch (r) {
	case SK_DMARC_RESULT_FAIL:
		return 4;
	case SK_DMARC_RESULT_TEMPERROR:
		return 3;
	case SK_DMARC_RESULT_PERMERROR:
		return 2;
	case SK_DMARC_RESULT_NONE:
		return 1;
	case SK_DMARC_RESULT_PASS:
		break;
	}
	return 0;
}

/* reject > quarantine > none > pass. */
static int
disp_rank(enum sk_dmarc_disposition d)
{
	switch (d) {
	case SK_DMARC_DISP_REJECT:
		return 3;
	case SK_DMARC_DISP_QUARANTINE:
		return 2;
	case SK_DMARC_DISP_NONE:
		return 1;
	case SK_DMARC_DISP_PASS:
		break;
	}
	return 0;
}

static void
decide(struct job *j)
{
	struct ev *e = j->ev;
	size_t i, best = 0;

	e->pub.rules = j->in.rules;
	e->pub.method = j->opts.method;
	switch (j->from_status) {
	case SK_DMARC_FROM_MISSING:
		e->pub.result = SK_DMARC_RESULT_PERMERROR;
		reason(e, "The message has no From header field, which RFC "
		       "5322 section 3.6 requires: no Author Domain, DMARC "
		       "validation is not possible (RFC 9989 section "
		       "5.3.1); such messages are typically rejected (RFC "
		       "7489 section 6.6.1): permerror.");
		return;
	case SK_DMARC_FROM_UNPARSEABLE:
		e->pub.result = SK_DMARC_RESULT_PERMERROR;
		reason(e, "The From header field does not parse as an "
		       "address list (RFC 5322 section 3.4): no Author "
		       "Domain can be trusted: permerror.");
		return;
	case SK_DMARC_FROM_NO_DOMAIN:
		e->pub.result = SK_DMARC_RESULT_NONE;
		reason(e, "The From header field holds no mailbox (group "
		       "syntax): such messages are ignored (RFC 7489 "
		       "section 6.6.1): result none.");
		return;
	case SK_DMARC_FROM_OK:
		break;
	}
	if (j->in.from_fields > 1)
		reason(e, "The message has %u From header fields, which RFC "
		       "5322 section 3.6 forbids; every domain in them is "
		       "evaluated.", j->in.from_fields);
	if (e->nauthors > SK_DMARC_MAX_AUTHOR_DOMAINS) {
		e->pub.result = SK_DMARC_RESULT_PERMERROR;
		reason(e, "The From header holds %zu distinct domains, more "
		       "than %d: not evaluated (RFC 9989 section 11.5): "
		       "permerror.", e->nauthors, SK_DMARC_MAX_AUTHOR_DOMAINS);
		e->pub.nauthors = 0;
		return;
	}
	if (e->nauthors == 0) {
		e->pub.result = SK_DMARC_RESULT_NONE;
		reason(e, "No Author Domain was given: result none.");
		return;
	}
	if (e->nauthors > 1)
		reason(e, "The From header holds %zu distinct domains: each "
		       "is evaluated as an Author Domain and the strictest "
		       "outcome applies (RFC 9989 section 11.5, RFC 7489 "
		       "section 6.6.1).", e->nauthors);
	reason(e, "Rules: %s; discovery: %s.", rules_name(j->in.rules),
	       sk_dmarc_method_str(j->opts.method));
	for (i = 0; i < e->nauthors; i++) {
		struct author *a = &e->authors[i];

		decide_author(j, a);
		if (i == 0)
			continue;
		if (result_rank(a->pub->result) >
		    result_rank(e->authors[best].pub->result) ||
		    (a->pub->result == e->authors[best].pub->result &&
		     disp_rank(a->pub->disposition) >
		     disp_rank(e->authors[best].pub->disposition)))
			best = i;
	}
	e->pub.authors = e->pubs;
	e->pub.nauthors = e->nauthors;
	e->pub.decider = best;
	e->pub.result = e->authors[best].pub->result;
	e->pub.disposition = SK_DMARC_DISP_PASS;
	for (i = 0; i < e->nauthors; i++)
		if (disp_rank(e->authors[i].pub->disposition) >
		    disp_rank(e->pub.disposition))
			e->pub.disposition = e->authors[i].pub->disposition;
	e->pub.header_from = e->authors[best].name;
	e->pub.policy = e->authors[best].pub->policy;
	e->pub.applied = e->authors[best].pub->applied;
	e->pub.has_policy = e->authors[best].disc != NULL &&
			    e->authors[best].pub->result !=
			    SK_DMARC_RESULT_NONE &&
			    e->authors[best].pub->result !=
			    SK_DMARC_RESULT_TEMPERROR &&
			    e->authors[best].pub->result !=
			    SK_DMARC_RESULT_PERMERROR;
	if (e->nauthors > 1)
		reason(e, "Message result: %s (from %s), disposition %s.",
		       sk_dmarc_result_str(e->pub.result), e->pub.header_from,
		       sk_dmarc_disposition_str(e->pub.disposition));
}

static void
maybe_done(struct job *j)
{
	struct ev *e;
	sk_dmarc_eval_cb cb;
	void *arg;
	sk_status st;
	size_t i;

	if (--j->pending > 0)
		return;
	if (j->failed) {
		job_free(j);
		return;
	}
	decide(j);
	e = j->ev;
	/* The idents of the result point at these names: hand them over. */
	e->spf_domain = j->spf_domain;
	j->spf_domain = NULL;
	for (i = 0; i < j->ndkim; i++) {
		e->dkim_domains[i] = (char *)j->dkim[i].domain;
		j->dkim[i].domain = NULL;
	}
	st = e->st;
	cb = j->cb;
	arg = j->arg;
	j->ev = NULL;
	job_free(j);
	if (st != SK_OK) {
		ev_free(e);
		cb(arg, st, NULL);
		return;
	}
	cb(arg, SK_OK, &e->pub);
}

static void
on_disc(void *arg, sk_status st, struct sk_dmarc_discovery *d)
{
	struct slot *s = arg;
	struct job *j = s->j;

	if (st != SK_OK)
		j->ev->st = st;
	j->ev->authors[s->i].disc = d;
	sk__free(s);
	maybe_done(j);
}

static void
on_org(void *arg, sk_status st, struct sk_dmarc_discovery *d)
{
	struct slot *s = arg;
	struct job *j = s->j;
	struct orgq *q = &j->org[s->i];

	q->done = true;
	if (st != SK_OK) {
		j->ev->st = st;
	} else if (d->status == SK_DMARC_DISC_TEMPFAIL) {
		q->tempfail = true;
	} else if (d->org_domain != NULL) {
		q->org = sk__strdup(d->org_domain);
		if (q->org == NULL)
			j->ev->st = SK_ENOMEM;
	}
	sk_dmarc_discovery_free(d);
	sk__free(s);
	maybe_done(j);
}

static void
on_start(void *arg, const struct sk_dns_answer *ans)
{
	(void)ans;
	maybe_done(arg);
}

/* ------------------------------------------------------------ start */

static sk_status
add_org(struct job *j, const char *name)
{
	if (find_org(j, name) != NULL)
		return SK_OK;
	j->org[j->norg].name = sk__strdup(name);
	if (j->org[j->norg].name == NULL)
		return SK_ENOMEM;
	j->norg++;
	return SK_OK;
}

/* Copy and normalise the input; list the Author Domains. */
static sk_status
copy_input(struct job *j, const struct sk_dmarc_eval_input *in)
{
	struct ev *e = j->ev;
	size_t i, k, n = 0;
	sk_status st = SK_OK;

	j->in = *in;
	j->in.from_domains = NULL;
	j->in.dkim = NULL;
	j->from_status = in->from_status;
	if (in->from_status == SK_DMARC_FROM_OK && in->from_fields == 0)
		j->in.from_fields = 1;
	if (in->spf_domain != NULL && in->spf_domain[0] != '\0') {
		j->spf_domain = sk__dmarc_name_norm(in->spf_domain, &st);
		if (j->spf_domain == NULL && st != SK_ENOMEM) {
			/* Not a domain name: no SPF-authenticated id. */
			st = SK_OK;
		}
		if (st != SK_OK)
			return st;
	}
	j->ndkim = in->ndkim < SK_DMARC_MAX_DKIM ? in->ndkim :
		   SK_DMARC_MAX_DKIM;
	for (i = 0; i < j->ndkim; i++) {
		const char *dom = in->dkim[i].domain;
		char *nd = NULL;

		j->dkim[i].result = in->dkim[i].result;
		if (dom != NULL && dom[0] != '\0')
			nd = sk__dmarc_name_norm(dom, &st);
		if (nd == NULL) {
			if (st == SK_ENOMEM)
				return st;
			st = SK_OK;
			/* An unreadable d= cannot align. */
			nd = sk__strdup(dom != NULL ? dom : "");
			j->dkim[i].result = in->dkim[i].result ==
					    SK_DKIM_PASS ? SK_DKIM_PERMERROR :
					    in->dkim[i].result;
			if (nd == NULL)
				return SK_ENOMEM;
		}
		j->dkim[i].domain = nd;
		if (in->dkim[i].selector != NULL) {
			j->dkim[i].selector = sk__strdup(in->dkim[i].selector);
			if (j->dkim[i].selector == NULL)
				return SK_ENOMEM;
		}
	}
	if (in->from_status != SK_DMARC_FROM_OK)
		return SK_OK;
	if (in->nfrom_domains > 0 && in->from_domains == NULL)
		return SK_EINVAL;
	e->authors = sk__calloc(in->nfrom_domains ? in->nfrom_domains : 1,
				sizeof(*e->authors));
	e->pubs = sk__calloc(in->nfrom_domains ? in->nfrom_domains : 1,
			     sizeof(*e->pubs));
	if (e->authors == NULL || e->pubs == NULL)
		return SK_ENOMEM;
	for (i = 0; i < in->nfrom_domains; i++)
		e->authors[i].pub = &e->pubs[i];
	for (i = 0; i < in->nfrom_domains; i++) {
		const char *raw = in->from_domains[i] != NULL ?
				  in->from_domains[i] : "";
		char *nd = sk__dmarc_name_norm(raw, &st);
		bool invalid = false;

		if (nd == NULL) {
			if (st == SK_ENOMEM)
				return st;
			st = SK_OK;
			invalid = true;
			nd = sk__strdup(raw);
			if (nd == NULL)
				return SK_ENOMEM;
		}
		for (k = 0; k < n; k++)
			if (strcmp(e->authors[k].name, nd) == 0)
				break;
		if (k < n) {
			sk__free(nd);
			continue;
		}
		e->authors[n].name = nd;
		e->authors[n].invalid = invalid;
		e->authors[n].pub->ndkim = j->ndkim;
		e->authors[n].dkim = sk__calloc(j->ndkim ? j->ndkim : 1,
						sizeof(*e->authors[n].dkim));
		e->authors[n].pub->dkim = e->authors[n].dkim;
		n++;
		e->nauthors = n;
		if (e->authors[n - 1].dkim == NULL)
			return SK_ENOMEM;
	}
	e->nauthors = n;
	return SK_OK;
}

static sk_status
start_one(struct job *j, bool org, size_t i, const char *name)
{
	struct slot *s = sk__malloc(sizeof(*s));
	sk_status st;

	if (s == NULL)
		return SK_ENOMEM;
	s->j = j;
	s->i = i;
	if (org)
		st = sk_dmarc_orgdomain_start(j->r, name, &j->opts, on_org, s,
					      NULL);
	else
		st = sk_dmarc_discover_start(j->r, name, &j->opts, on_disc, s,
					     NULL);
	if (st != SK_OK) {
		sk__free(s);
		return st;
	}
	j->pending++;
	return SK_OK;
}

SK_API sk_status
sk_dmarc_eval_start(struct sk_resolver *r,
		    const struct sk_dmarc_eval_input *in,
		    const struct sk_dmarc_opts *opts, sk_dmarc_eval_cb cb,
		    void *arg, struct sk_err *err)
{
	struct job *j;
	struct ev *e;
	size_t i;
	sk_status st;

	if (r == NULL || in == NULL || cb == NULL)
		return sk__err(err, SK_EINVAL, "missing argument");
	if (in->rules != SK_DMARC_RFC9989 && in->rules != SK_DMARC_RFC7489)
		return sk__err(err, SK_EINVAL, "unknown rules");
	if (in->ndkim > 0 && in->dkim == NULL)
		return sk__err(err, SK_EINVAL, "DKIM results missing");
	j = sk__calloc(1, sizeof(*j));
	e = sk__calloc(1, sizeof(*e));
	if (j == NULL || e == NULL) {
		sk__free(j);
		sk__free(e);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	j->ev = e;
	j->cb = cb;
	j->arg = arg;
	if (opts != NULL)
		j->opts = *opts;
	st = copy_input(j, in);
	if (st != SK_OK) {
		job_free(j);
		return sk__err(err, st, st == SK_EINVAL ? "Author Domains "
			       "missing" : "out of memory");
	}
	e->pub.authors = NULL;
	e->pub.nauthors = e->nauthors;
	if (j->opts.method == SK_DMARC_PSL && j->opts.psl == NULL &&
	    e->nauthors > 0) {
		st = sk_dmarc_psl_load(NULL, &j->own_psl, err);
		if (st != SK_OK) {
			job_free(j);
			return st;
		}
		j->opts.psl = j->own_psl;
	}
	/* Org-domain walks for passing identifiers that may need relaxed
	 * alignment: at most one per distinct name. */
	if (e->nauthors > 0 && e->nauthors <= SK_DMARC_MAX_AUTHOR_DOMAINS) {
		st = SK_OK;
		if (j->spf_domain != NULL && in->spf_result == SK_SPF_PASS)
			st = add_org(j, j->spf_domain);
		for (i = 0; i < j->ndkim && st == SK_OK; i++)
			if (j->dkim[i].result == SK_DKIM_PASS)
				st = add_org(j, j->dkim[i].domain);
		if (st != SK_OK) {
			job_free(j);
			return sk__err(err, st, "out of memory");
		}
	}
	j->r = r;
	j->pending = 1; /* the deferred start below */
	st = sk__dns_defer(r, on_start, j);
	if (st != SK_OK) {
		j->r = NULL;
		job_free(j);
		return sk__err(err, st, "out of memory");
	}
	sk__dns_hook_add(r, &j->hook);
	j->hook.fn = on_resolver_free;
	if (e->nauthors <= SK_DMARC_MAX_AUTHOR_DOMAINS) {
		for (i = 0; i < e->nauthors && st == SK_OK; i++)
			if (!e->authors[i].invalid)
				st = start_one(j, false, i,
					       e->authors[i].name);
		for (i = 0; i < j->norg && st == SK_OK; i++)
			st = start_one(j, true, i, j->org[i].name);
	}
	if (st != SK_OK) {
		/* Work already started calls back; the job then goes. */
		j->failed = true;
		return sk__err(err, st, "cannot start evaluation: %s",
			       sk_strerror(st));
	}
	return SK_OK;
}

struct waitres {
	bool done;
	sk_status st;
	struct sk_dmarc_eval *e;
};

static void
on_sync(void *arg, sk_status st, struct sk_dmarc_eval *e)
{
	struct waitres *w = arg;

	w->done = true;
	w->st = st;
	w->e = e;
}

SK_API sk_status
sk_dmarc_eval(struct sk_resolver *r, const struct sk_dmarc_eval_input *in,
	      const struct sk_dmarc_opts *opts, struct sk_dmarc_eval **out,
	      struct sk_err *err)
{
	struct waitres w = {false, SK_OK, NULL};
	sk_status st;
	int rc;

	if (out == NULL)
		return sk__err(err, SK_EINVAL, "no output pointer");
	*out = NULL;
	st = sk_dmarc_eval_start(r, in, opts, on_sync, &w, err);
	if (st != SK_OK)
		return st;
	while (!w.done) {
		rc = sk_resolver_run(r, -1);
		if (rc < 0 && !w.done)
			return sk__err(err, rc, "resolver failed: %s",
				       sk_strerror(rc));
		if (rc == 0 && !w.done)
			return sk__err(err, SK_EINTERNAL,
				       "evaluation stalled");
	}
	if (w.st != SK_OK)
		return sk__err(err, w.st, "%s", sk_strerror(w.st));
	*out = w.e;
	return SK_OK;
}

SK_API sk_status
sk_dmarc_from_fields(const char *const *values, const size_t *lens,
		     size_t nfields, struct sk_dmarc_eval_input *in,
		     char **store, struct sk_err *err)
{
	struct sk__addr_list *l;
	size_t i, k, n = 0, bytes = 0, pos;
	char *blk;
	const char **arr;
	bool bad = false;

	if (in == NULL || store == NULL || (nfields > 0 &&
					    (values == NULL || lens == NULL)))
		return sk__err(err, SK_EINVAL, "missing argument");
	*store = NULL;
	in->from_domains = NULL;
	in->nfrom_domains = 0;
	in->from_fields = nfields > UINT32_MAX ? UINT32_MAX :
			  (unsigned)nfields;
	if (nfields == 0) {
		in->from_status = SK_DMARC_FROM_MISSING;
		return SK_OK;
	}
	l = sk__malloc(sizeof(*l));
	if (l == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	/* First pass: count and check. */
	for (i = 0; i < nfields && !bad; i++) {
		if (sk__addr_parse_list(values[i], lens[i], l) != SK_OK) {
			bad = true;
			break;
		}
		for (k = 0; k < l->n; k++)
			bytes += l->mb[k].domain_len + 1;
		n += l->n;
	}
	if (bad) {
		in->from_status = SK_DMARC_FROM_UNPARSEABLE;
		sk__free(l);
		return SK_OK;
	}
	if (n == 0) {
		in->from_status = SK_DMARC_FROM_NO_DOMAIN;
		sk__free(l);
		return SK_OK;
	}
	blk = sk__malloc(n * sizeof(char *) + bytes);
	if (blk == NULL) {
		sk__free(l);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	arr = (const char **)(void *)blk;
	pos = n * sizeof(char *);
	n = 0;
	for (i = 0; i < nfields; i++) {
		if (sk__addr_parse_list(values[i], lens[i], l) != SK_OK)
			continue; /* cannot happen: parsed above */
		for (k = 0; k < l->n; k++) {
			memcpy(blk + pos, l->mb[k].domain, l->mb[k].domain_len);
			blk[pos + l->mb[k].domain_len] = '\0';
			arr[n++] = blk + pos;
			pos += l->mb[k].domain_len + 1;
		}
	}
	sk__free(l);
	in->from_status = SK_DMARC_FROM_OK;
	in->from_domains = arr;
	in->nfrom_domains = n;
	*store = blk;
	return SK_OK;
}
