/*
 * lib/dmarc/discover.c - DMARC policy discovery and organizational
 * domains over one resolver, asynchronous (many at once on one resolver)
 * with synchronous wrappers.
 *
 *   RFC 9989 section 4.10    the DNS tree walk: _dmarc.<name>, then up
 *                            one label at a time, at most 8 queries (a
 *                            name of 8+ labels jumps to its 7-label
 *                            suffix), stopping at psd=y / psd=n; several
 *                            records at one name are all discarded;
 *   RFC 9989 section 4.10.1  the record that applies: the Author
 *                            Domain's, else its Organizational Domain's,
 *                            else its Public Suffix Domain's; sp for an
 *                            existing subdomain, np for a non-existent
 *                            one (NXDOMAIN, section 3.2.13);
 *   RFC 9989 section 4.10.2  the Organizational Domain from the records
 *                            the walk found;
 *   RFC 7489 section 6.6.3   _dmarc.<from>, then _dmarc.<org domain by
 *                            the PSL>; several records end discovery.
 */
#include <stddef.h>
#include <string.h>
#include "dmarc_internal.h"
#include "dns/dns_internal.h"

#define QNAME_MAX 253

enum job_kind {
	JOB_DISCOVER = 0,
	JOB_ORG,
};

struct disc {
	struct sk_dmarc_discovery pub; /* first member */
	struct sk_dmarc_query q[SK_DMARC_MAX_WALK_QUERIES];
	struct sk_dmarc_record *rec;
};

struct job {
	struct sk__dns_hook hook;
	struct sk_resolver *r;
	enum job_kind kind;
	enum sk_dmarc_method method;
	struct sk_dmarc_psl *own_psl;
	bool no_exists;
	char *targets[SK_DMARC_MAX_WALK_QUERIES];
	size_t ntargets, next;
	bool in_flight;
	bool exists_asked;
	struct disc *d;
	sk_dmarc_cb cb;
	void *arg;
};

SK_API const char *
sk_dmarc_qstatus_str(enum sk_dmarc_qstatus s)
{
	switch (s) {
	case SK_DMARC_Q_RECORD:
		return "record";
	case SK_DMARC_Q_NONE:
		return "none";
	case SK_DMARC_Q_MULTIPLE:
		return "multiple";
	case SK_DMARC_Q_TEMPFAIL:
		return "tempfail";
	}
	return "none";
}

SK_API const char *
sk_dmarc_disc_status_str(enum sk_dmarc_disc_status s)
{
	switch (s) {
	case SK_DMARC_DISC_FOUND:
		return "found";
	case SK_DMARC_DISC_NONE:
		return "none";
	case SK_DMARC_DISC_MULTIPLE:
		return "multiple";
	case SK_DMARC_DISC_UNUSABLE:
		return "unusable";
	case SK_DMARC_DISC_TEMPFAIL:
		return "tempfail";
	}
	return "none";
}

SK_API void
sk_dmarc_discovery_free(struct sk_dmarc_discovery *dp)
{
	struct disc *d = (struct disc *)dp;
	size_t i;

	if (d == NULL)
		return;
	for (i = 0; i < d->pub.nqueries; i++) {
		sk__free((void *)d->q[i].domain);
		sk__free((void *)d->q[i].text);
		sk__free((void *)d->q[i].why);
	}
	sk_dmarc_record_free(d->rec);
	sk__free((void *)d->pub.domain);
	sk__free((void *)d->pub.policy_domain);
	sk__free((void *)d->pub.org_domain);
	sk__free((void *)d->pub.problem);
	sk__free(d);
}

static void
job_free(struct job *j)
{
	size_t i;

	if (j == NULL)
		return;
	if (j->r != NULL)
		sk__dns_hook_del(j->r, &j->hook);
	for (i = 0; i < j->ntargets; i++)
		sk__free(j->targets[i]);
	if (j->d != NULL)
		sk_dmarc_discovery_free(&j->d->pub);
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

static void
deliver(struct job *j, sk_status st)
{
	struct disc *d = j->d;
	sk_dmarc_cb cb = j->cb;
	void *arg = j->arg;

	j->d = NULL;
	job_free(j);
	if (st != SK_OK) {
		sk_dmarc_discovery_free(&d->pub);
		cb(arg, st, NULL);
		return;
	}
	cb(arg, SK_OK, &d->pub);
}

static bool
set_str(const char **dst, const char *s)
{
	char *c = sk__strdup(s);

	if (c == NULL)
		return false;
	sk__free((void *)*dst);
	*dst = c;
	return true;
}

/* The psd tag of a record text (u when it does not parse). */
static enum sk_dmarc_psd
record_psd(const char *text, size_t len)
{
	struct sk_dmarc_record *rec = NULL;
	enum sk_dmarc_psd p = SK_DMARC_PSD_U;

	if (sk_dmarc_parse(text, len, &rec, NULL) == SK_OK)
		p = rec->psd;
	sk_dmarc_record_free(rec);
	return p;
}

/* RFC 9989 section 4.10.2 over the walk in d->q (longest name first). */
static const char *
select_org(const struct disc *d, const char *start)
{
	const char *last = NULL;
	size_t i;

	for (i = 0; i < d->pub.nqueries; i++) {
		const struct sk_dmarc_query *q = &d->q[i];

		if (q->status != SK_DMARC_Q_RECORD)
			continue;
		/* 1. psd=n: this is the Organizational Domain. */
		if (q->psd == SK_DMARC_PSD_N)
			return q->domain;
		/* 2. psd=y other than at the start: one label below. */
		if (q->psd == SK_DMARC_PSD_Y && strcmp(q->domain, start) != 0)
			return sk__dmarc_suffix(start,
						sk__dmarc_labels(q->domain) +
						1);
		last = q->domain;
	}
	/* 3. The record with the fewest labels; else the start. */
	return last != NULL ? last : start;
}

static const struct sk_dmarc_query *
query_for(const struct disc *d, const char *domain)
{
	size_t i;

	for (i = 0; i < d->pub.nqueries; i++)
		if (strcmp(d->q[i].domain, domain) == 0)
			return &d->q[i];
	return NULL;
}

static bool
problem(struct disc *d, const char *msg)
{
	return set_str(&d->pub.problem, msg);
}

/* Choose the record that applies once the walk is over.  Returns
 * SK_ENOMEM or SK_OK; may leave the existence query to ask. */
static sk_status
conclude(struct job *j)
{
	struct disc *d = j->d;
	const struct sk_dmarc_query *q0 = d->pub.nqueries > 0 ? &d->q[0] :
					  NULL, *pq = NULL;
	const char *org;
	size_t i;
	sk_status st;

	if (d->pub.status == SK_DMARC_DISC_TEMPFAIL)
		return SK_OK;
	if (j->method == SK_DMARC_TREEWALK) {
		org = select_org(d, d->pub.domain);
		if (!set_str(&d->pub.org_domain, org))
			return SK_ENOMEM;
	}
	if (j->kind == JOB_ORG) {
		d->pub.status = SK_DMARC_DISC_FOUND;
		return SK_OK;
	}
	if (j->method == SK_DMARC_TREEWALK) {
		if (q0 != NULL && q0->status == SK_DMARC_Q_RECORD) {
			pq = q0;
		} else {
			const struct sk_dmarc_query *oq = NULL;

			if (strcmp(d->pub.org_domain, d->pub.domain) != 0)
				oq = query_for(d, d->pub.org_domain);
			if (oq != NULL && oq->status == SK_DMARC_Q_RECORD)
				pq = oq;
			/* Else the Public Suffix Domain's record. */
			for (i = 0; pq == NULL && i < d->pub.nqueries; i++)
				if (d->q[i].status == SK_DMARC_Q_RECORD &&
				    d->q[i].psd == SK_DMARC_PSD_Y)
					pq = &d->q[i];
		}
		if (pq == NULL) {
			d->pub.status = SK_DMARC_DISC_NONE;
			return problem(d, q0 != NULL && q0->status ==
				       SK_DMARC_Q_MULTIPLE ?
				       "several DMARC records at the Author "
				       "Domain were discarded and none "
				       "applies above it (RFC 9989 section "
				       "4.10)" :
				       "no DMARC record applies (RFC 9989 "
				       "section 4.10.1)") ? SK_OK : SK_ENOMEM;
		}
	} else {
		for (i = 0; i < d->pub.nqueries && pq == NULL; i++) {
			if (d->q[i].status == SK_DMARC_Q_MULTIPLE) {
				d->pub.status = SK_DMARC_DISC_MULTIPLE;
				return problem(d, "several DMARC records: "
					       "discovery ends (RFC 7489 "
					       "section 6.6.3 step 5)") ?
				       SK_OK : SK_ENOMEM;
			}
			if (d->q[i].status == SK_DMARC_Q_RECORD)
				pq = &d->q[i];
		}
		if (pq == NULL) {
			d->pub.status = SK_DMARC_DISC_NONE;
			return problem(d, "no DMARC record at the From domain "
				       "or its organizational domain (RFC 7489 "
				       "section 6.6.3)") ? SK_OK : SK_ENOMEM;
		}
	}
	if (!set_str(&d->pub.policy_domain, pq->domain))
		return SK_ENOMEM;
	st = sk_dmarc_parse(pq->text, strlen(pq->text), &d->rec, NULL);
	if (st != SK_OK)
		return st == SK_ENOMEM ? SK_ENOMEM : SK_EINTERNAL;
	d->pub.record = d->rec;
	d->pub.inherited = strcmp(pq->domain, d->pub.domain) != 0;
	if (!(j->method == SK_DMARC_PSL ? d->rec->usable_7489 :
	      d->rec->usable)) {
		d->pub.status = SK_DMARC_DISC_UNUSABLE;
		return problem(d, "the record has no valid p (or an invalid "
			       "sp/np) and no valid rua: DMARC is not applied "
			       "(RFC 9989 section 4.10.1)") ? SK_OK :
		       SK_ENOMEM;
	}
	d->pub.status = SK_DMARC_DISC_FOUND;
	return SK_OK;
}

/* The policy tag and value, once existence is known. */
static void
pick_policy(struct job *j)
{
	struct disc *d = j->d;
	enum sk_dmarc_rules rules = j->method == SK_DMARC_PSL ?
				    SK_DMARC_RFC7489 : SK_DMARC_RFC9989;

	if (d->pub.status != SK_DMARC_DISC_FOUND || j->kind != JOB_DISCOVER)
		return;
	if (!d->pub.inherited)
		d->pub.policy_tag = SK_DMARC_TAG_P;
	else if (d->pub.exists == 0 && rules == SK_DMARC_RFC9989)
		d->pub.policy_tag = SK_DMARC_TAG_NP;
	else
		d->pub.policy_tag = SK_DMARC_TAG_SP;
	if (!sk_dmarc_record_policy(d->rec, rules, d->pub.policy_tag,
				    &d->pub.policy))
		d->pub.policy = SK_DMARC_POLICY_NONE;
}

static void on_txt(void *arg, const struct sk_dns_answer *ans);
static void on_exists(void *arg, const struct sk_dns_answer *ans);

/* Ask the next question or conclude.  Returns SK_OK when a question is
 * in flight or the job was delivered. */
static void
advance(struct job *j)
{
	char qname[QNAME_MAX + 16];
	struct sk_dmarc_query *q;
	sk_status st;
	int n;

	while (j->next < j->ntargets) {
		q = &j->d->q[j->d->pub.nqueries];
		q->domain = sk__strdup(j->targets[j->next]);
		if (q->domain == NULL) {
			deliver(j, SK_ENOMEM);
			return;
		}
		j->d->pub.nqueries++;
		j->next++;
		n = snprintf(qname, sizeof(qname), "_dmarc.%s", q->domain);
		if (n < 0 || n > QNAME_MAX) {
			/* No server can be asked: no record there. */
			q->status = SK_DMARC_Q_NONE;
			continue;
		}
		st = sk_dns_query(j->r, qname, SK_DNS_TXT, on_txt, j);
		if (st == SK_EINVAL) {
			q->status = SK_DMARC_Q_NONE;
			continue;
		}
		if (st != SK_OK) {
			deliver(j, st);
			return;
		}
		j->in_flight = true;
		return;
	}
	st = conclude(j);
	if (st != SK_OK) {
		deliver(j, st);
		return;
	}
	if (j->kind == JOB_DISCOVER &&
	    j->d->pub.status == SK_DMARC_DISC_FOUND && j->d->pub.inherited &&
	    !j->no_exists && !j->exists_asked) {
		/* Section 4.10.1: np applies when the domain does not
		 * exist (NXDOMAIN, section 3.2.13). */
		j->exists_asked = true;
		st = sk_dns_query(j->r, j->d->pub.domain, SK_DNS_A, on_exists,
				  j);
		if (st == SK_OK) {
			j->in_flight = true;
			return;
		}
		if (st != SK_EINVAL) {
			deliver(j, st);
			return;
		}
	}
	pick_policy(j);
	deliver(j, SK_OK);
}

static void
on_exists(void *arg, const struct sk_dns_answer *ans)
{
	struct job *j = arg;

	j->in_flight = false;
	if (ans->status == SK_DNS_NXDOMAIN)
		j->d->pub.exists = 0;
	else if (ans->status == SK_DNS_TEMPFAIL)
		j->d->pub.exists = -1;
	else
		j->d->pub.exists = 1;
	pick_policy(j);
	deliver(j, SK_OK);
}

static void
on_txt(void *arg, const struct sk_dns_answer *ans)
{
	struct job *j = arg;
	struct disc *d = j->d;
	struct sk_dmarc_query *q = &d->q[d->pub.nqueries - 1];
	const struct sk_dns_rr *hit = NULL;
	size_t i, found = 0;

	j->in_flight = false;
	if (ans->status == SK_DNS_TEMPFAIL) {
		q->status = SK_DMARC_Q_TEMPFAIL;
		d->pub.status = SK_DMARC_DISC_TEMPFAIL;
		if (!set_str(&q->why, ans->why != NULL ? ans->why : "") ||
		    !problem(d, "DNS failed during DMARC discovery")) {
			deliver(j, SK_ENOMEM);
			return;
		}
		deliver(j, SK_OK);
		return;
	}
	for (i = 0; ans->status == SK_DNS_ANSWER && i < ans->count; i++) {
		const struct sk_dns_rr *rr = &ans->rr[i];

		if (rr->type != SK_DNS_TXT ||
		    !sk_dmarc_is_record(rr->u.txt.text, rr->u.txt.len))
			continue;
		if (found++ == 0)
			hit = rr;
	}
	if (found > 1) {
		q->status = SK_DMARC_Q_MULTIPLE;
	} else if (found == 1) {
		q->status = SK_DMARC_Q_RECORD;
		q->text = sk__strndup(hit->u.txt.text, hit->u.txt.len);
		if (q->text == NULL) {
			deliver(j, SK_ENOMEM);
			return;
		}
		q->psd = record_psd(hit->u.txt.text, hit->u.txt.len);
	} else {
		q->status = SK_DMARC_Q_NONE;
	}
	if (j->method == SK_DMARC_TREEWALK) {
		/* Section 4.10 steps 2 and 6: stop at psd=y / psd=n. */
		if (q->status == SK_DMARC_Q_RECORD &&
		    q->psd != SK_DMARC_PSD_U)
			j->next = j->ntargets;
	} else if (q->status != SK_DMARC_Q_NONE) {
		/* RFC 7489 section 6.6.3: the From domain's set is used
		 * when not empty. */
		j->next = j->ntargets;
	}
	advance(j);
}

static void
on_deferred(void *arg, const struct sk_dns_answer *ans)
{
	(void)ans;
	advance(arg);
}

static sk_status
job_start(struct sk_resolver *r, enum job_kind kind, const char *domain,
	  const struct sk_dmarc_opts *opts, sk_dmarc_cb cb, void *arg,
	  struct sk_err *err)
{
	const struct sk_dmarc_psl *psl;
	struct job *j;
	size_t x, k;
	char *norm, *org;
	bool nomem;
	sk_status st;

	if (r == NULL || cb == NULL)
		return sk__err(err, SK_EINVAL, "no resolver or callback");
	norm = sk__dmarc_name_norm(domain, &st);
	if (norm == NULL)
		return sk__err(err, st, st == SK_ENOMEM ? "out of memory" :
			       "'%s' is not a valid domain name",
			       domain != NULL ? domain : "(null)");
	j = sk__calloc(1, sizeof(*j));
	if (j != NULL)
		j->d = sk__calloc(1, sizeof(*j->d));
	if (j == NULL || j->d == NULL) {
		sk__free(j);
		sk__free(norm);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	j->kind = kind;
	j->cb = cb;
	j->arg = arg;
	j->method = opts != NULL ? opts->method : SK_DMARC_TREEWALK;
	j->no_exists = opts != NULL && opts->no_exists_check;
	j->d->pub.method = j->method;
	j->d->pub.domain = norm;
	j->d->pub.exists = -1;
	j->d->pub.queries = j->d->q;
	j->d->pub.policy_tag = SK_DMARC_TAG_P;
	st = SK_OK;
	if (j->method == SK_DMARC_TREEWALK) {
		/* Section 4.10 steps 3-7. */
		x = sk__dmarc_labels(norm);
		j->targets[j->ntargets++] = sk__strdup(norm);
		for (k = x - 1 < SK_DMARC_WALK_JUMP_LABELS ? x - 1 :
		     SK_DMARC_WALK_JUMP_LABELS; k >= 1; k--)
			j->targets[j->ntargets++] =
				sk__strdup(sk__dmarc_suffix(norm, k));
		for (k = 0; k < j->ntargets; k++)
			if (j->targets[k] == NULL)
				st = SK_ENOMEM;
		if (kind == JOB_ORG)
			j->d->pub.status = SK_DMARC_DISC_FOUND;
	} else {
		psl = opts != NULL ? opts->psl : NULL;
		if (psl == NULL) {
			st = sk_dmarc_psl_load(NULL, &j->own_psl, err);
			psl = j->own_psl;
		}
		if (st == SK_OK) {
			org = sk__dmarc_psl_org(psl, norm, &nomem);
			if (nomem) {
				st = SK_ENOMEM;
			} else if (org != NULL) {
				j->d->pub.org_domain = org;
			}
		}
		if (st == SK_OK && kind == JOB_DISCOVER) {
			j->targets[j->ntargets++] = sk__strdup(norm);
			if (j->d->pub.org_domain != NULL &&
			    strcmp(j->d->pub.org_domain, norm) != 0)
				j->targets[j->ntargets++] =
					sk__strdup(j->d->pub.org_domain);
			for (k = 0; k < j->ntargets; k++)
				if (j->targets[k] == NULL)
					st = SK_ENOMEM;
		}
	}
	if (st != SK_OK) {
		job_free(j);
		if (st == SK_ENOMEM)
			return sk__err(err, st, "out of memory");
		return st;
	}
	j->r = r;
	st = sk__dns_defer(r, on_deferred, j);
	if (st != SK_OK) {
		j->r = NULL;
		job_free(j);
		return sk__err(err, st, "out of memory");
	}
	sk__dns_hook_add(r, &j->hook);
	j->hook.fn = on_resolver_free;
	return SK_OK;
}

SK_API sk_status
sk_dmarc_discover_start(struct sk_resolver *r, const char *domain,
			const struct sk_dmarc_opts *opts, sk_dmarc_cb cb,
			void *arg, struct sk_err *err)
{
	return job_start(r, JOB_DISCOVER, domain, opts, cb, arg, err);
}

SK_API sk_status
sk_dmarc_orgdomain_start(struct sk_resolver *r, const char *name,
			 const struct sk_dmarc_opts *opts, sk_dmarc_cb cb,
			 void *arg, struct sk_err *err)
{
	return job_start(r, JOB_ORG, name, opts, cb, arg, err);
}

struct waitres {
	bool done;
	sk_status st;
	struct sk_dmarc_discovery *d;
};

static void
on_sync(void *arg, sk_status st, struct sk_dmarc_discovery *d)
{
	struct waitres *w = arg;

	w->done = true;
	w->st = st;
	w->d = d;
}

static sk_status
run_sync(struct sk_resolver *r, enum job_kind kind, const char *domain,
	 const struct sk_dmarc_opts *opts, struct sk_dmarc_discovery **out,
	 struct sk_err *err)
{
	struct waitres w = {false, SK_OK, NULL};
	sk_status st;
	int rc;

	if (out == NULL)
		return sk__err(err, SK_EINVAL, "no output pointer");
	*out = NULL;
	st = job_start(r, kind, domain, opts, on_sync, &w, err);
	if (st != SK_OK)
		return st;
	while (!w.done) {
		rc = sk_resolver_run(r, -1);
		if (rc < 0 && !w.done)
			return sk__err(err, rc, "resolver failed: %s",
				       sk_strerror(rc));
		if (rc == 0 && !w.done)
			return sk__err(err, SK_EINTERNAL, "discovery stalled");
	}
	if (w.st != SK_OK)
		return sk__err(err, w.st, "%s", sk_strerror(w.st));
	*out = w.d;
	return SK_OK;
}

SK_API sk_status
sk_dmarc_discover(struct sk_resolver *r, const char *domain,
		  const struct sk_dmarc_opts *opts,
		  struct sk_dmarc_discovery **out, struct sk_err *err)
{
	return run_sync(r, JOB_DISCOVER, domain, opts, out, err);
}

SK_API sk_status
sk_dmarc_orgdomain(struct sk_resolver *r, const char *name,
		   const struct sk_dmarc_opts *opts,
		   struct sk_dmarc_discovery **out, struct sk_err *err)
{
	return run_sync(r, JOB_ORG, name, opts, out, err);
}
