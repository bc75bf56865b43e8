/*
 * lib/dmarc/lint.c - findings about a DMARC policy, published or
 * proposed.
 *
 *   RFC 9989 sections 4.7, 4.8   tags, values, syntax with offsets;
 *   RFC 9989 section 4.10.1      a record without a valid p (p=none with
 *                                a valid rua, else not used), and the
 *                                record a subdomain inherits (sp, np);
 *   RFC 9989 section 4.10.2 vs RFC 7489 section 3.2: where the tree walk
 *                                and the PSL disagree;
 *   RFC 9990 section 4           authorization of external report
 *                                destinations;
 *   RFC 9989 Appendix A.6        pct, rf, ri removed; t=y for testing.
 * Finding ids are documented in docs/man/senderkit-dmarc.1.md.
 */
#include <stdio.h>
#include <string.h>
#include "dmarc_internal.h"

#define REF_TAGS "RFC 9989 section 4.7"
#define REF_SYNTAX "RFC 9989 section 4.8"
#define REF_DISC "RFC 9989 section 4.10.1"
#define REF_ORG "RFC 9989 section 4.10.2"
#define REF_EXT "RFC 9990 section 4"
#define REF_OBS "RFC 9989 Appendix A.6"

struct sk_dmarc_lint {
	struct sk_findings *f;
	struct sk_dmarc_discovery *disc;
	struct sk_dmarc_record *own;     /* for a record given as text */
	const struct sk_dmarc_record *rec;
	char *other_org;
	bool tempfail;
};

SK_API void
sk_dmarc_lint_free(struct sk_dmarc_lint *l)
{
	if (l == NULL)
		return;
	sk_findings_free(l->f);
	sk_dmarc_discovery_free(l->disc);
	sk_dmarc_record_free(l->own);
	sk__free(l->other_org);
	sk__free(l);
}

SK_API const struct sk_findings *
sk_dmarc_lint_findings(const struct sk_dmarc_lint *l)
{
	return l != NULL ? l->f : NULL;
}

SK_API const struct sk_dmarc_discovery *
sk_dmarc_lint_discovery(const struct sk_dmarc_lint *l)
{
	return l != NULL ? l->disc : NULL;
}

SK_API const struct sk_dmarc_record *
sk_dmarc_lint_record_parsed(const struct sk_dmarc_lint *l)
{
	return l != NULL ? l->rec : NULL;
}

SK_API const char *
sk_dmarc_lint_other_org_domain(const struct sk_dmarc_lint *l)
{
	return l != NULL ? l->other_org : NULL;
}

SK_API bool
sk_dmarc_lint_tempfail(const struct sk_dmarc_lint *l)
{
	return l != NULL && l->tempfail;
}

/* ------------------------------------------------------------ record */

static void
lint_uris(struct sk_findings *f, const char *subj,
	  const struct sk_dmarc_uri *u, size_t n, const char *tag)
{
	size_t i;

	for (i = 0; i < n; i++) {
		if (u[i].has_size)
			sk__findings_add(f, SK_SEV_INFO, "dmarc-size-suffix",
					 subj, u[i].offset, REF_SYNTAX,
					 "%s: the size suffix of '%s' is "
					 "obsolete; RFC 9989 reporters ignore "
					 "it", tag, u[i].uri);
		if (!u[i].mailto)
			sk__findings_add(f, SK_SEV_WARNING, "dmarc-uri-scheme",
					 subj, u[i].offset, REF_TAGS,
					 "%s: '%s' uses the scheme '%s'; "
					 "receivers only have to support "
					 "mailto: and ignore other schemes",
					 tag, u[i].uri, u[i].scheme);
	}
}

static void
lint_parsed(struct sk_findings *f, const struct sk_dmarc_record *rec,
	    const char *subj, const struct sk_dmarc_lint_opts *opts)
{
	uint32_t ex = rec->explicit_tags;
	size_t i;

	for (i = 0; i < rec->nproblems; i++) {
		const struct sk_dmarc_problem *p = &rec->problems[i];
		const char *id = "dmarc-invalid-value";

		if (p->tag == SK_DMARC_TAG_UNKNOWN)
			id = "dmarc-syntax";
		else if (p->tag == SK_DMARC_TAG_RUA ||
			 p->tag == SK_DMARC_TAG_RUF)
			id = "dmarc-uri-invalid";
		if (strstr(p->message, "repeated tag") != NULL)
			id = "dmarc-duplicate-tag";
		sk__findings_add(f, SK_SEV_ERROR, id, subj, p->offset,
				 REF_SYNTAX, "%s (receivers discard it and "
				 "use the default)", p->message);
	}
	for (i = 0; i < rec->ntags; i++)
		if (rec->tags[i].tag == SK_DMARC_TAG_UNKNOWN)
			sk__findings_add(f, SK_SEV_WARNING, "dmarc-unknown-tag",
					 subj, rec->tags[i].offset, REF_TAGS,
					 "unknown tag '%s': receivers ignore "
					 "it", rec->tags[i].name);
	/* 4.10.1 and RFC 7489 6.6.3 step 6. */
	if (!rec->usable) {
		sk__findings_add(f, SK_SEV_ERROR, rec->p_missing ?
				 "dmarc-missing-p" : "dmarc-unusable", subj,
				 SK_NO_OFFSET, REF_DISC,
				 "%s and no valid rua: RFC 9989 receivers "
				 "apply no DMARC at all%s",
				 rec->p_missing ? "no p tag" :
				 "no valid p (or an invalid sp or np)",
				 rec->usable_7489 ? " (RFC 7489 receivers, "
				 "which do not know np, still do)" :
				 ", nor do RFC 7489 receivers (section "
				 "6.6.3 step 6)");
	} else if (rec->fallback_none || rec->fallback_none_7489) {
		sk__findings_add(f, SK_SEV_WARNING, rec->p_missing ?
				 "dmarc-missing-p" : "dmarc-fallback-none",
				 subj, SK_NO_OFFSET, REF_DISC,
				 "%s: because rua is valid, RFC 9989 "
				 "receivers MUST act as if p=none was "
				 "published; RFC 7489 made p REQUIRED "
				 "(section 6.3) and its receivers SHOULD do "
				 "the same (6.6.3 step 6)",
				 rec->p_missing ? "no p tag" :
				 "no valid p, or an invalid sp/np");
	}
	if (rec->usable && !rec->fallback_none &&
	    (ex & (1u << SK_DMARC_TAG_P)) && rec->p == SK_DMARC_POLICY_NONE)
		sk__findings_add(f, SK_SEV_WARNING, "dmarc-policy-none", subj,
				 SK_NO_OFFSET, REF_TAGS,
				 "p=none: monitoring only, failing mail is "
				 "delivered as usual; move on to quarantine "
				 "then reject once the reports are clean");
	if (ex & (1u << SK_DMARC_TAG_T) && rec->t)
		sk__findings_add(f, SK_SEV_INFO, "dmarc-testing", subj,
				 SK_NO_OFFSET, REF_TAGS,
				 "t=y: RFC 9989 receivers apply the policy "
				 "one level lower (reject as quarantine, "
				 "quarantine as none); RFC 7489 receivers "
				 "ignore t");
	if (ex & (1u << SK_DMARC_TAG_PCT)) {
		sk__findings_add(f, SK_SEV_WARNING, "dmarc-obsolete-pct", subj,
				 SK_NO_OFFSET, REF_OBS,
				 "pct=%u is ignored by RFC 9989 receivers "
				 "(removed); t=y is the testing mechanism now",
				 rec->pct);
		if (rec->pct < 100)
			sk__findings_add(f, SK_SEV_WARNING, "dmarc-pct-ramp",
					 subj, SK_NO_OFFSET, REF_OBS,
					 "pct=%u used as a ramp: RFC 9989 "
					 "receivers apply the policy to all "
					 "failing mail, RFC 7489 receivers to "
					 "%u%% of it; use t=y to test instead",
					 rec->pct, rec->pct);
	}
	if (ex & (1u << SK_DMARC_TAG_RF))
		sk__findings_add(f, SK_SEV_INFO, "dmarc-obsolete-rf", subj,
				 SK_NO_OFFSET, REF_OBS,
				 "rf is ignored by RFC 9989 receivers "
				 "(removed)");
	if (ex & (1u << SK_DMARC_TAG_RI))
		sk__findings_add(f, SK_SEV_INFO, "dmarc-obsolete-ri", subj,
				 SK_NO_OFFSET, REF_OBS,
				 "ri is ignored by RFC 9989 receivers "
				 "(removed); aggregate reports are daily");
	if (rec->nrua == 0)
		sk__findings_add(f, SK_SEV_WARNING, "dmarc-no-rua", subj,
				 SK_NO_OFFSET, REF_TAGS,
				 "no valid rua: no aggregate reports will be "
				 "sent, so the rollout cannot be watched");
	if (rec->nruf > 0)
		sk__findings_add(f, SK_SEV_INFO, "dmarc-ruf", subj,
				 SK_NO_OFFSET, "RFC 9989 section 10",
				 "ruf: failure reports carry message content "
				 "and addresses (personal data: check GDPR "
				 "and internal policy); most large receivers "
				 "send none");
	lint_uris(f, subj, rec->rua, rec->nrua, "rua");
	lint_uris(f, subj, rec->ruf, rec->nruf, "ruf");
	if ((ex & (1u << SK_DMARC_TAG_FO)) && rec->fo_rfc9989_invalid)
		sk__findings_add(f, SK_SEV_WARNING, "dmarc-fo-conflict", subj,
				 SK_NO_OFFSET, REF_SYNTAX,
				 "fo: 0 and 1 are mutually exclusive and each "
				 "option may appear once in RFC 9989 (RFC 7489 "
				 "allowed it)");
	if ((ex & (1u << SK_DMARC_TAG_FO)) && rec->nruf == 0)
		sk__findings_add(f, SK_SEV_INFO, "dmarc-fo-without-ruf", subj,
				 SK_NO_OFFSET, REF_TAGS,
				 "fo has no effect without ruf");
	if (opts != NULL && opts->profile_marketo) {
		if (rec->aspf == SK_DMARC_ALIGN_STRICT)
			sk__findings_add(f, SK_SEV_WARNING,
					 "dmarc-aspf-strict-marketo", subj,
					 SK_NO_OFFSET, "Marketo DMARC guidance",
					 "aspf=s: strict SPF alignment is not "
					 "supported by Marketo; its mail will "
					 "rely on DKIM alone");
		sk__findings_add(f, SK_SEV_INFO, "dmarc-dkim-alignment", subj,
				 SK_NO_OFFSET, "Marketo DMARC guidance",
				 "align through DKIM (a d= of your domain): "
				 "Marketo's default Return-Path does not align "
				 "with SPF");
	}
}

/* ---------------------------------------------------- DNS checks */

/* The organizational domain of `name` by `m`; NULL on failure or none
 * (*tempfail set when DNS failed). */
static char *
org_of(struct sk_resolver *r, const char *name, enum sk_dmarc_method m,
       const struct sk_dmarc_psl *psl, bool *tempfail, sk_status *st)
{
	struct sk_dmarc_opts o;
	struct sk_dmarc_discovery *d = NULL;
	char *out = NULL;

	memset(&o, 0, sizeof(o));
	o.method = m;
	o.psl = psl;
	*tempfail = false;
	*st = sk_dmarc_orgdomain(r, name, &o, &d, NULL);
	if (*st != SK_OK)
		return NULL;
	if (d->status == SK_DMARC_DISC_TEMPFAIL)
		*tempfail = true;
	else if (d->org_domain != NULL)
		out = sk__strdup(d->org_domain);
	sk_dmarc_discovery_free(d);
	return out;
}

/* RFC 9990 section 4 for each URI with a host in another
 * organizational domain. */
static sk_status
lint_external(struct sk_findings *f, struct sk_resolver *r,
	      const struct sk_dmarc_record *rec, const char *pdomain,
	      enum sk_dmarc_method m, const struct sk_dmarc_psl *psl)
{
	const struct sk_dmarc_uri *list;
	const struct sk_dns_answer *ans;
	char qname[300], *porg, *horg;
	bool tf, authorized;
	size_t i, k, n;
	sk_status st;
	int len;

	porg = org_of(r, pdomain, m, psl, &tf, &st);
	if (st != SK_OK && st != SK_EINVAL)
		return st;
	for (k = 0; k < 2; k++) {
		list = k == 0 ? rec->rua : rec->ruf;
		n = k == 0 ? rec->nrua : rec->nruf;
		for (i = 0; i < n; i++) {
			const struct sk_dmarc_uri *u = &list[i];

			if (u->host == NULL)
				continue;
			horg = org_of(r, u->host, m, psl, &tf, &st);
			if (st == SK_ENOMEM) {
				sk__free(porg);
				return st;
			}
			if (horg != NULL && porg != NULL &&
			    strcmp(horg, porg) == 0) {
				sk__free(horg);
				continue;
			}
			if (horg == NULL && strcmp(u->host, pdomain) == 0)
				continue;
			sk__free(horg);
			len = snprintf(qname, sizeof(qname),
				       "%s._report._dmarc.%s", pdomain,
				       u->host);
			if (len < 0 || len > 253) {
				sk__findings_add(f, SK_SEV_ERROR,
						 "dmarc-external-unauthorized",
						 pdomain, u->offset, REF_EXT,
						 "%s: the authorization name "
						 "for '%s' is too long for DNS;"
						 " receivers ignore the URI",
						 k == 0 ? "rua" : "ruf",
						 u->uri);
				continue;
			}
			st = sk_dns_resolve(r, qname, SK_DNS_TXT, &ans, NULL);
			if (st == SK_ENOMEM) {
				sk__free(porg);
				return st;
			}
			if (st != SK_OK) {
				sk__findings_add(f, SK_SEV_ERROR,
						 "dmarc-external-unauthorized",
						 pdomain, u->offset, REF_EXT,
						 "%s: cannot ask for %s; "
						 "receivers ignore '%s'",
						 k == 0 ? "rua" : "ruf", qname,
						 u->uri);
				continue;
			}
			if (ans->status == SK_DNS_TEMPFAIL) {
				sk__findings_add(f, SK_SEV_WARNING,
						 "dmarc-external-tempfail",
						 pdomain, u->offset, REF_EXT,
						 "%s: DNS failed for TXT %s "
						 "(%s): the authorization of "
						 "'%s' is unknown",
						 k == 0 ? "rua" : "ruf", qname,
						 ans->why, u->uri);
				sk_dns_answer_unref(ans);
				continue;
			}
			authorized = false;
			for (size_t x = 0; x < ans->count; x++)
				if (ans->rr[x].type == SK_DNS_TXT &&
				    sk_dmarc_is_record(ans->rr[x].u.txt.text,
						       ans->rr[x].u.txt.len))
					authorized = true;
			sk_dns_answer_unref(ans);
			if (!authorized)
				sk__findings_add(f, SK_SEV_ERROR,
						 "dmarc-external-unauthorized",
						 pdomain, u->offset, REF_EXT,
						 "%s: '%s' is outside %s and "
						 "%s has no v=DMARC1 TXT "
						 "record: receivers will not "
						 "send reports there",
						 k == 0 ? "rua" : "ruf", u->uri,
						 porg != NULL ? porg : pdomain,
						 qname);
		}
	}
	sk__free(porg);
	return SK_OK;
}

static struct sk_dmarc_lint *
lint_new(void)
{
	struct sk_dmarc_lint *l = sk__calloc(1, sizeof(*l));

	if (l == NULL)
		return NULL;
	l->f = sk__findings_new();
	if (l->f == NULL) {
		sk__free(l);
		return NULL;
	}
	return l;
}

static sk_status
lint_done(struct sk_dmarc_lint *l, struct sk_dmarc_lint **out,
	  struct sk_err *err)
{
	if (sk__findings_status(l->f) != SK_OK) {
		sk_dmarc_lint_free(l);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	sk__findings_sort(l->f);
	*out = l;
	return SK_OK;
}

/* Not a DMARC record: say why. */
static void
lint_not_record(struct sk_findings *f, const char *text, size_t len,
		const char *subj)
{
	size_t i;

	for (i = 0; i + 8 <= len; i++)
		if (memcmp(text + i, "v=DMARC1", 8) == 0 && i > 0) {
			sk__findings_add(f, SK_SEV_ERROR, "dmarc-not-first-v",
					 subj, i, REF_TAGS,
					 "v=DMARC1 is not the first tag: "
					 "receivers ignore the whole record");
			return;
		}
	sk__findings_add(f, SK_SEV_ERROR, "dmarc-not-dmarc", subj, 0,
			 REF_TAGS, "not a DMARC record: it must begin with "
			 "v=DMARC1 (case-sensitive); receivers ignore it");
}

SK_API sk_status
sk_dmarc_lint_record(struct sk_resolver *r, const char *text, size_t len,
		     const char *domain, const struct sk_dmarc_lint_opts *opts,
		     struct sk_dmarc_lint **out, struct sk_err *err)
{
	struct sk_dmarc_lint *l;
	const char *subj = domain != NULL ? domain : "record";
	char *norm = NULL;
	sk_status st;

	if (out == NULL || (text == NULL && len > 0))
		return sk__err(err, SK_EINVAL, "no record or output pointer");
	*out = NULL;
	if (domain != NULL) {
		norm = sk__dmarc_name_norm(domain, &st);
		if (norm == NULL)
			return sk__err(err, st, st == SK_ENOMEM ?
				       "out of memory" : "'%s' is not a valid "
				       "domain name", domain);
	}
	l = lint_new();
	if (l == NULL) {
		sk__free(norm);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	if (!sk_dmarc_is_record(text, len)) {
		lint_not_record(l->f, text, len, subj);
		sk__free(norm);
		return lint_done(l, out, err);
	}
	st = sk_dmarc_parse(text, len, &l->own, err);
	if (st != SK_OK) {
		sk__free(norm);
		sk_dmarc_lint_free(l);
		return st;
	}
	l->rec = l->own;
	lint_parsed(l->f, l->rec, subj, opts);
	if (r != NULL && norm != NULL) {
		st = lint_external(l->f, r, l->rec, norm, opts != NULL ?
				   opts->method : SK_DMARC_TREEWALK,
				   opts != NULL ? opts->psl : NULL);
		if (st != SK_OK) {
			sk__free(norm);
			sk_dmarc_lint_free(l);
			return sk__err(err, st, "%s", sk_strerror(st));
		}
	} else if (r == NULL) {
		sk__findings_add(l->f, SK_SEV_INFO, "dmarc-no-dns", subj,
				 SK_NO_OFFSET, REF_EXT,
				 "DNS checks skipped: external report "
				 "destinations were not verified");
	}
	sk__free(norm);
	return lint_done(l, out, err);
}

SK_API sk_status
sk_dmarc_lint_domain(struct sk_resolver *r, const char *domain,
		     const struct sk_dmarc_lint_opts *opts,
		     struct sk_dmarc_lint **out, struct sk_err *err)
{
	struct sk_dmarc_opts o;
	struct sk_dmarc_lint *l;
	const struct sk_dmarc_discovery *d;
	enum sk_dmarc_method m, other;
	struct sk_dmarc_psl *own_psl = NULL;
	const struct sk_dmarc_psl *psl;
	const char *subj;
	bool tf;
	size_t i;
	sk_status st;

	if (out == NULL || r == NULL)
		return sk__err(err, SK_EINVAL, "no resolver or output pointer");
	*out = NULL;
	m = opts != NULL ? opts->method : SK_DMARC_TREEWALK;
	other = m == SK_DMARC_TREEWALK ? SK_DMARC_PSL : SK_DMARC_TREEWALK;
	psl = opts != NULL ? opts->psl : NULL;
	if (psl == NULL) {
		/* Both methods are used: load the list once. */
		st = sk_dmarc_psl_load(NULL, &own_psl, err);
		if (st != SK_OK)
			return st;
		psl = own_psl;
	}
	l = lint_new();
	if (l == NULL) {
		sk_dmarc_psl_free(own_psl);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	memset(&o, 0, sizeof(o));
	o.method = m;
	o.psl = psl;
	st = sk_dmarc_discover(r, domain, &o, &l->disc, err);
	if (st != SK_OK) {
		sk_dmarc_psl_free(own_psl);
		sk_dmarc_lint_free(l);
		return st;
	}
	d = l->disc;
	subj = d->domain;
	for (i = 0; i < d->nqueries; i++)
		if (d->queries[i].status == SK_DMARC_Q_MULTIPLE)
			sk__findings_add(l->f, SK_SEV_ERROR, "dmarc-multiple",
					 d->queries[i].domain, SK_NO_OFFSET,
					 m == SK_DMARC_PSL ?
					 "RFC 7489 section 6.6.3" :
					 "RFC 9989 section 4.10",
					 "_dmarc.%s has several DMARC records: "
					 "receivers discard them all",
					 d->queries[i].domain);
	switch (d->status) {
	case SK_DMARC_DISC_TEMPFAIL:
		l->tempfail = true;
		sk__findings_add(l->f, SK_SEV_ERROR, "dmarc-tempfail", subj,
				 SK_NO_OFFSET, REF_DISC,
				 "DNS failed while looking for the DMARC "
				 "record (%s)", d->nqueries > 0 &&
				 d->queries[d->nqueries - 1].why != NULL ?
				 d->queries[d->nqueries - 1].why : "error");
		break;
	case SK_DMARC_DISC_NONE:
	case SK_DMARC_DISC_MULTIPLE:
		if (!sk__findings_has(l->f, "dmarc-multiple") ||
		    d->status == SK_DMARC_DISC_NONE)
			sk__findings_add(l->f, SK_SEV_ERROR, "dmarc-no-record",
					 subj, SK_NO_OFFSET, REF_DISC,
					 "no DMARC record applies to %s "
					 "(method %s): receivers apply no "
					 "DMARC; large mailbox providers "
					 "require one of bulk senders", subj,
					 sk_dmarc_method_str(m));
		break;
	case SK_DMARC_DISC_FOUND:
	case SK_DMARC_DISC_UNUSABLE:
		l->rec = d->record;
		if (d->inherited) {
			sk__findings_add(l->f, SK_SEV_INFO, "dmarc-inherited",
					 subj, SK_NO_OFFSET, REF_DISC,
					 "no record at _dmarc.%s: the record "
					 "of %s applies (sp=%s, np=%s%s); "
					 "policy for %s: %s=%s", subj,
					 d->policy_domain,
					 sk_dmarc_policy_str(d->record->sp),
					 sk_dmarc_policy_str(d->record->np),
					 d->exists == 0 ? ", the name does "
					 "not exist" : "", subj,
					 sk_dmarc_tag_str(d->policy_tag),
					 sk_dmarc_policy_str(d->policy));
			if (opts != NULL && opts->profile_marketo &&
			    d->status == SK_DMARC_DISC_FOUND &&
			    d->policy != SK_DMARC_POLICY_NONE)
				sk__findings_add(l->f, SK_SEV_WARNING,
						 "dmarc-inherited-enforcing",
						 subj, SK_NO_OFFSET,
						 "Marketo DMARC guidance",
						 "%s inherits %s=%s from %s: "
						 "publish _dmarc.%s with p=none"
						 " while setting up Marketo",
						 subj, sk_dmarc_tag_str(
							 d->policy_tag),
						 sk_dmarc_policy_str(d->policy),
						 d->policy_domain, subj);
		}
		lint_parsed(l->f, d->record, d->policy_domain, opts);
		st = lint_external(l->f, r, d->record, d->policy_domain, m,
				   psl);
		if (st != SK_OK)
			goto fail;
		break;
	}
	if (!l->tempfail) {
		/* Receivers of both generations are in the field. */
		l->other_org = org_of(r, d->domain, other, psl, &tf, &st);
		if (st == SK_ENOMEM)
			goto fail;
		if (!tf && !(l->other_org != NULL && d->org_domain != NULL &&
			     strcmp(l->other_org, d->org_domain) == 0))
			sk__findings_add(l->f, SK_SEV_WARNING,
					 "dmarc-orgdomain-disagree", subj,
					 SK_NO_OFFSET, REF_ORG,
					 "the organizational domain of %s is "
					 "%s by the %s and %s by the %s: "
					 "receivers of both generations are "
					 "in the field and will align and "
					 "discover differently", subj,
					 d->org_domain ? d->org_domain :
					 "(none: a public suffix)",
					 m == SK_DMARC_TREEWALK ?
					 "RFC 9989 tree walk" :
					 "RFC 7489 PSL",
					 l->other_org ? l->other_org :
					 "(none: a public suffix)",
					 other == SK_DMARC_TREEWALK ?
					 "RFC 9989 tree walk" :
					 "RFC 7489 PSL");
	}
	sk_dmarc_psl_free(own_psl);
	return lint_done(l, out, err);
fail:
	sk_dmarc_psl_free(own_psl);
	sk_dmarc_lint_free(l);
	return sk__err(err, st, "%s", sk_strerror(st));
}
