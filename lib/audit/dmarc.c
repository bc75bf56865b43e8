/*
 * lib/audit/dmarc.c - DMARC of each From domain (RFC 9989, RFC 9990,
 * RFC 7489; research F9.1-F9.6, F7.3, F10.1):
 *
 *   dmarc-missing           no record applies (at the domain or, by the
 *                           tree walk, at its organizational domain);
 *   dmarc-invalid           the lint's errors (syntax, values, several
 *                           records, no usable p);
 *   dmarc-aspf-strict       aspf=s where the profile says the provider
 *                           cannot align SPF strictly (F9.3);
 *   dmarc-rua-missing       no aggregate reports (F9.2: the rollout is
 *                           watched through them);
 *   dmarc-rua-unauthorized  external rua/ruf without the authorization
 *                           record (RFC 9990 section 4, RFC 7489 7.1);
 *   dmarc-ruf-privacy       ruf= asks for reports with personal data
 *                           (F9.5);
 *   dmarc-stage             the published policy against the config's
 *                           stage (F9.2);
 *   dmarc-sp-inherited      a From subdomain without its own record that
 *                           inherits an enforcing sp (or p) (F9.4);
 *   dmarc-forecast          whether provider mail passes DMARC, and
 *                           through which identifier.
 * The record checks (invalid, aspf, rua, ruf) run once per domain that
 * holds a record, with that domain as subject; the others per From
 * domain.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "audit_internal.h"
#include "dmarc/dmarc_internal.h"

#define REF_TAGS "RFC 9989 section 4.7"
#define REF_DISC "RFC 9989 section 4.10.1"
#define REF_EXT "RFC 9990 section 4 (RFC 7489 section 7.1)"
#define REF_RUF "RFC 9989 section 10"

static const char *const record_ids[] = {
	"dmarc-invalid", "dmarc-aspf-strict", "dmarc-rua-missing",
	"dmarc-rua-unauthorized", "dmarc-ruf-privacy", NULL,
};

/* The p= value the config's DMARC stage asks for ("none" when unset). */
static const char *
stage_str(enum sk_dmarc_stage s)
{
	return sk_dmarc_policy_str(sk__dmarc_stage_policy(s));
}

/* Append a list value without blanks ("a, b" -> "a,b"). */
static void
add_list(struct au_ctx *x, struct sk_buf *b, const char *v)
{
	for (; *v != '\0'; v++)
		if (*v != ' ' && *v != '\t')
			sk__audit_bprintf(x, b, "%c", *v);
}

/* The record the config wants for a domain, as TXT text. */
static void
want_record(struct au_ctx *x, const struct sk_org_domain *cfg,
	    struct sk_buf *b)
{
	sk__audit_bprintf(x, b, "v=DMARC1; p=%s",
			  stage_str(cfg != NULL ? cfg->dmarc_stage :
				    SK_STAGE_NONE));
	if (cfg == NULL)
		return;
	if (cfg->dmarc_sp != NULL)
		sk__audit_bprintf(x, b, "; sp=%s", cfg->dmarc_sp);
	if (cfg->dmarc_pct > 0 && cfg->dmarc_pct < 100)
		sk__audit_bprintf(x, b, "; pct=%u", cfg->dmarc_pct);
	if (cfg->dmarc_rua != NULL) {
		sk__audit_bprintf(x, b, "; rua=");
		add_list(x, b, cfg->dmarc_rua);
	}
	if (cfg->dmarc_ruf != NULL) {
		sk__audit_bprintf(x, b, "; ruf=");
		add_list(x, b, cfg->dmarc_ruf);
	}
}

/* "_dmarc.NAME. IN TXT "<wanted record>"" */
static void
want_line(struct au_ctx *x, const char *name,
	  const struct sk_org_domain *cfg, struct sk_buf *fix)
{
	struct sk_buf rec;
	char owner[SK_DNS_MAX_NAME + 8];

	sk__buf_init(&rec, AU_TEXT_MAX);
	want_record(x, cfg, &rec);
	snprintf(owner, sizeof(owner), "_dmarc.%s", name);
	if (rec.p != NULL)
		sk__audit_txt_line(x, fix, owner, rec.p);
	sk__buf_free(&rec);
}

/* "_dmarc.NAME. IN TXT "<text>"" */
static void
text_line(struct au_ctx *x, const char *name, const char *text,
	  struct sk_buf *fix)
{
	char owner[SK_DNS_MAX_NAME + 8];

	snprintf(owner, sizeof(owner), "_dmarc.%s", name);
	sk__audit_txt_line(x, fix, owner, text);
}

static void
walk_evidence(struct au_ctx *x, const struct sk_dmarc_discovery *d,
	      struct sk_buf *b)
{
	for (size_t i = 0; i < d->nqueries; i++) {
		const struct sk_dmarc_query *q = &d->queries[i];

		sk__audit_bprintf(x, b, "%s_dmarc.%s: ", i ? "; " : "",
				  q->domain);
		switch (q->status) {
		case SK_DMARC_Q_RECORD:
			sk__audit_bprintf(x, b, "\"%s\"", q->text);
			break;
		case SK_DMARC_Q_NONE:
			sk__audit_bprintf(x, b, "no record");
			break;
		case SK_DMARC_Q_MULTIPLE:
			sk__audit_bprintf(x, b, "several records");
			break;
		case SK_DMARC_Q_TEMPFAIL:
			sk__audit_bprintf(x, b, "DNS failed (%s)",
					  q->why != NULL ? q->why : "");
			break;
		}
	}
}

/* The organizational domain (tree walk); NULL when unknown. */
static char *
org_of(struct au_ctx *x, const char *name)
{
	struct sk_dmarc_discovery *d = NULL;
	struct sk_dmarc_opts o;
	char *out = NULL;
	sk_status st;

	memset(&o, 0, sizeof(o));
	o.method = SK_DMARC_TREEWALK;
	o.psl = x->psl;
	st = sk_dmarc_orgdomain(x->r, name, &o, &d, NULL);
	if (sk__audit_oom(x, st) || st != SK_OK)
		return NULL;
	if (d->status == SK_DMARC_DISC_FOUND && d->org_domain != NULL) {
		out = sk__strdup(d->org_domain);
		if (out == NULL)
			x->st = SK_ENOMEM;
	}
	sk_dmarc_discovery_free(d);
	return out;
}

/* Has the record of this policy domain been checked already? */
static bool
pdone(struct au_ctx *x, const char *pd)
{
	char **nv;

	for (size_t i = 0; i < x->npdone; i++)
		if (sk__audit_name_eq(x->pdone[i], pd))
			return true;
	nv = sk__realloc(x->pdone, (x->npdone + 1) * sizeof(*nv));
	if (nv == NULL) {
		x->st = SK_ENOMEM;
		return true;
	}
	x->pdone = nv;
	x->pdone[x->npdone] = sk__strdup(pd);
	if (x->pdone[x->npdone] == NULL) {
		x->st = SK_ENOMEM;
		return true;
	}
	x->npdone++;
	return false;
}

/* The authorization lines missing for external destinations. */
static void
auth_fix(struct au_ctx *x, const struct sk_dmarc_record *rec,
	 const char *pd, struct sk_buf *fix)
{
	char *porg = org_of(x, pd);
	char qname[2 * SK_DNS_MAX_NAME];

	for (size_t k = 0; k < 2 && x->st == SK_OK; k++) {
		const struct sk_dmarc_uri *l = k == 0 ? rec->rua : rec->ruf;
		size_t n = k == 0 ? rec->nrua : rec->nruf;

		for (size_t i = 0; i < n && x->st == SK_OK; i++) {
			const struct sk_dns_answer *a;
			enum sk_dns_status s;
			bool ok = false;
			char *horg;

			if (l[i].host == NULL)
				continue;
			horg = org_of(x, l[i].host);
			if (horg != NULL && porg != NULL &&
			    strcmp(horg, porg) == 0) {
				sk__free(horg);
				continue;
			}
			sk__free(horg);
			snprintf(qname, sizeof(qname), "%s._report._dmarc.%s",
				 pd, l[i].host);
			s = sk__audit_ask(x, qname, SK_DNS_TXT, &a);
			for (size_t r = 0; a != NULL && s == SK_DNS_ANSWER &&
			     r < a->count; r++)
				if (a->rr[r].type == SK_DNS_TXT &&
				    sk_dmarc_is_record(a->rr[r].u.txt.text,
						       a->rr[r].u.txt.len))
					ok = true;
			sk_dns_answer_unref(a);
			if (ok || (fix->p != NULL && strstr(fix->p, qname)))
				continue;
			sk__audit_bprintf(x, fix, "%s", fix->len ? "; " : "");
			sk__audit_txt_line(x, fix, qname, "v=DMARC1");
		}
	}
	if (fix->len > 0)
		sk__audit_bprintf(x, fix, " (published by the owner of the "
				  "report domain)");
	sk__free(porg);
}

/* The record text without its `name` tags (an unusable rua= is
 * replaced, not repeated, in a fix), separators normalized to "; ". */
static void
without_tag(struct au_ctx *x, struct sk_buf *b, const char *text,
	    const char *name)
{
	size_t nlen = strlen(name);
	const char *p = text;
	bool first = true;

	while (*p != '\0') {
		const char *e = strchr(p, ';'), *q;
		size_t len;

		if (e == NULL)
			e = p + strlen(p);
		while (p < e && (*p == ' ' || *p == '\t'))
			p++;
		len = (size_t)(e - p);
		while (len > 0 && (p[len - 1] == ' ' || p[len - 1] == '\t'))
			len--;
		q = p + nlen;
		while (q < p + len && (*q == ' ' || *q == '\t'))
			q++;
		if (len > 0 && !(len > nlen &&
				 strncasecmp(p, name, nlen) == 0 &&
				 q < p + len && *q == '=')) {
			sk__audit_bprintf(x, b, "%s%.*s", first ? "" : "; ",
					  (int)len, p);
			first = false;
		}
		p = *e == ';' ? e + 1 : e;
	}
}

/* dmarc-invalid, dmarc-aspf-strict, dmarc-rua-missing,
 * dmarc-rua-unauthorized, dmarc-ruf-privacy for the record at pd. */
static void
record_checks(struct au_ctx *x, struct au_domain *d,
	      const struct sk_dmarc_lint *l, const struct sk_dmarc_record *rec,
	      const char *pd)
{
	const struct sk_findings *f = sk_dmarc_lint_findings(l);
	const struct sk_profile *p = x->p;
	const struct sk_org_domain *pcfg = sk_config_domain(x->c, pd);
	const char *src = sk__audit_src(p->dmarc.source, REF_TAGS);
	struct sk_buf ev, fix, tmp;
	size_t nerr = 0, nauth = 0, ntemp = 0;
	const char *first = "";
	char rtext[64];

	if (pcfg == NULL)
		pcfg = d->cfg;
	sk__buf_init(&ev, AU_TEXT_MAX);
	sk__buf_init(&fix, AU_TEXT_MAX);
	sk__buf_init(&tmp, AU_TEXT_MAX);

	/* dmarc-invalid */
	for (size_t i = 0; i < sk_findings_count(f); i++) {
		const struct sk_finding *fi = sk_findings_get(f, i);

		if (strcmp(fi->id, "dmarc-external-unauthorized") == 0) {
			nauth++;
			continue;
		}
		if (strcmp(fi->id, "dmarc-external-tempfail") == 0) {
			ntemp++;
			continue;
		}
		if (fi->severity != SK_SEV_ERROR ||
		    strcmp(fi->id, "dmarc-no-record") == 0 ||
		    strcmp(fi->id, "dmarc-tempfail") == 0)
			continue;
		if (nerr++ == 0)
			first = fi->message;
		sk__audit_bprintf(x, &ev, "%s%s: %s", nerr > 1 ? "; " : "",
				  fi->id, fi->message);
	}
	if (nerr > 0) {
		want_line(x, pd, pcfg, &fix);
		sk__audit_add(x, AU_G_DMARC, "dmarc-invalid", pd,
			      SK_CHECK_FAIL, SK_SEV_ERROR, REF_TAGS, ev.p,
			      fix.p, "the DMARC record of %s has errors: %s",
			      pd, first);
	} else {
		sk__audit_add(x, AU_G_DMARC, "dmarc-invalid", pd,
			      SK_CHECK_PASS, SK_SEV_INFO, REF_TAGS,
			      rec != NULL ? rec->text : NULL, NULL,
			      "the DMARC record of %s is valid", pd);
	}
	sk__buf_reset(&ev);
	sk__buf_reset(&fix);
	if (rec == NULL) {
		for (size_t i = 1; record_ids[i] != NULL; i++)
			sk__audit_add(x, AU_G_DMARC, record_ids[i], pd,
				      SK_CHECK_SKIP, SK_SEV_INFO, REF_TAGS,
				      NULL, NULL, "no single DMARC record "
				      "(see dmarc-invalid)");
		goto out;
	}

	/* dmarc-aspf-strict */
	if (rec->aspf == SK_DMARC_ALIGN_STRICT &&
	    !p->dmarc.aspf_strict_supported) {
		for (size_t i = 0; i < rec->ntags; i++) {
			const struct sk_dmarc_tagval *t = &rec->tags[i];

			if (t->tag != SK_DMARC_TAG_ASPF || t->duplicate)
				continue;
			sk__audit_bprintf(x, &tmp, "%.*saspf=r%s",
					  (int)t->offset, rec->text,
					  rec->text + t->value_offset +
					  strlen(t->value));
		}
		if (tmp.p != NULL)
			text_line(x, pd, tmp.p, &fix);
		/* Research MKTO-DMARC-002: an error where SPF alignment is
		 * relied on (a branded return-path), a warning otherwise. */
		if (d != NULL && d->rp != NULL)
			sk__audit_add(x, AU_G_DMARC, "dmarc-aspf-strict", pd,
				      SK_CHECK_FAIL, SK_SEV_ERROR, src,
				      rec->text, fix.p, "aspf=s at %s: the "
				      "provider does not support strict SPF "
				      "alignment, so mail through the branded "
				      "Return-Path %s cannot align through SPF",
				      pd, d->rp);
		else
			sk__audit_add(x, AU_G_DMARC, "dmarc-aspf-strict", pd,
				      SK_CHECK_FAIL, SK_SEV_WARNING, src,
				      rec->text, fix.p, "aspf=s at %s: the "
				      "provider does not support strict SPF "
				      "alignment; it matters once a branded "
				      "return-path is set up (DMARC rests on "
				      "DKIM until then)", pd);
	} else {
		sk__audit_add(x, AU_G_DMARC, "dmarc-aspf-strict", pd,
			      SK_CHECK_PASS, SK_SEV_INFO, src, NULL, NULL,
			      "SPF alignment at %s is %s", pd,
			      sk_dmarc_align_str(rec->aspf));
	}
	sk__buf_reset(&tmp);
	sk__buf_reset(&fix);

	/* dmarc-rua-missing */
	if (rec->nrua == 0) {
		without_tag(x, &tmp, rec->text, "rua");
		sk__audit_bprintf(x, &tmp, "; rua=");
		if (pcfg != NULL && pcfg->dmarc_rua != NULL)
			add_list(x, &tmp, pcfg->dmarc_rua);
		else
			sk__audit_bprintf(x, &tmp, "mailto:dmarc-reports@%s",
					  pd);
		text_line(x, pd, tmp.p != NULL ? tmp.p : "", &fix);
		sk__audit_add(x, AU_G_DMARC, "dmarc-rua-missing", pd,
			      SK_CHECK_FAIL, SK_SEV_WARNING, REF_TAGS,
			      rec->text, fix.p, "the DMARC record of %s asks "
			      "for no aggregate reports: the rollout cannot "
			      "be watched", pd);
	} else {
		sk__audit_add(x, AU_G_DMARC, "dmarc-rua-missing", pd,
			      SK_CHECK_PASS, SK_SEV_INFO, REF_TAGS, NULL, NULL,
			      "%zu aggregate report destination%s", rec->nrua,
			      rec->nrua == 1 ? "" : "s");
	}
	sk__buf_reset(&tmp);
	sk__buf_reset(&fix);

	/* dmarc-rua-unauthorized */
	if (nauth > 0) {
		static const char *const msg = "dmarc-external-unauthorized";

		for (size_t i = 0; i < sk_findings_count(f); i++) {
			const struct sk_finding *fi = sk_findings_get(f, i);

			if (strcmp(fi->id, msg) == 0)
				sk__audit_bprintf(x, &ev, "%s%s", ev.len ?
						  "; " : "", fi->message);
		}
		auth_fix(x, rec, pd, &fix);
		sk__audit_add(x, AU_G_DMARC, "dmarc-rua-unauthorized", pd,
			      SK_CHECK_FAIL, SK_SEV_ERROR, REF_EXT, ev.p,
			      fix.len ? fix.p : "point rua/ruf to an address "
			      "of the organizational domain",
			      "%zu report destination%s of %s outside its "
			      "organizational domain %s not authorized: "
			      "receivers send no reports there", nauth,
			      nauth == 1 ? "" : "s", pd,
			      nauth == 1 ? "is" : "are");
	} else if (ntemp > 0) {
		sk__audit_add(x, AU_G_DMARC, "dmarc-rua-unauthorized", pd,
			      SK_CHECK_DNSFAIL, SK_SEV_INFO, REF_EXT, NULL,
			      NULL, "could not check the authorization of "
			      "external report destinations: DNS failed");
	} else {
		sk__audit_add(x, AU_G_DMARC, "dmarc-rua-unauthorized", pd,
			      SK_CHECK_PASS, SK_SEV_INFO, REF_EXT, NULL, NULL,
			      "every report destination of %s is inside its "
			      "organizational domain or authorized", pd);
	}
	sk__buf_reset(&ev);
	sk__buf_reset(&fix);

	/* dmarc-ruf-privacy */
	if (rec->nruf > 0) {
		snprintf(rtext, sizeof(rtext), "%zu ruf destination%s",
			 rec->nruf, rec->nruf == 1 ? "" : "s");
		sk__audit_add(x, AU_G_DMARC, "dmarc-ruf-privacy", pd,
			      SK_CHECK_FAIL, SK_SEV_INFO, REF_RUF, rtext,
			      "keep ruf= only if internal policy allows "
			      "receiving failure reports with personal data",
			      "ruf= asks for failure reports, which carry "
			      "addresses and message content (personal "
			      "data)");
	} else {
		sk__audit_add(x, AU_G_DMARC, "dmarc-ruf-privacy", pd,
			      SK_CHECK_PASS, SK_SEV_INFO, REF_RUF, NULL, NULL,
			      "no failure reports asked for");
	}
out:
	sk__buf_free(&ev);
	sk__buf_free(&fix);
	sk__buf_free(&tmp);
}

/* dmarc-forecast */
static void
forecast(struct au_ctx *x, struct au_domain *d,
	 const struct sk_dmarc_discovery *disc)
{
	const struct sk_profile *p = x->p;
	const char *src = sk__audit_src(p->dmarc.source, REF_DISC);
	const char *dflt = sk__audit_src(p->envelope.default_domain,
					 "the provider's domain");
	const char *fb = sk__audit_src(p->dkim.fallback_d,
				       "the provider's own domain");
	const char *mode = sk_ip_mode_str(x->c->ip_mode);
	bool found = disc != NULL && disc->status == SK_DMARC_DISC_FOUND;
	enum sk_dmarc_align aspf = found ? disc->record->aspf :
		SK_DMARC_ALIGN_RELAXED;
	struct au_domain *r = NULL;
	bool dkim_ok = d->dkim == 1, spf_ok = false, spf_unknown = false;
	bool branded = true;
	struct sk_buf ev;
	char *dorg = NULL, *rorg = NULL;

	sk__buf_init(&ev, AU_TEXT_MAX);
	if (dkim_ok)
		sk__audit_bprintf(x, &ev, "DKIM: selector %s of %s has a "
				  "valid key (d=%s aligns)%s", d->dkim_selector,
				  d->name, d->name, d->dkim_mismatch ?
				  ", though not the configured key (see "
				  "dkim-key-mismatch)" : "");
	else if (d->dkim < 0)
		sk__audit_bprintf(x, &ev, "DKIM: unknown (DNS failed)");
	else
		sk__audit_bprintf(x, &ev, "DKIM: no valid key for a selector "
				  "of %s, so the provider signs d=%s",
				  d->name, fb);
	if (p->envelope.nbranded_for > 0) {
		branded = false;
		for (size_t i = 0; i < p->envelope.nbranded_for; i++)
			if (strcmp(p->envelope.branded_for[i], mode) == 0)
				branded = true;
	}
	if (d->rp != NULL)
		r = sk__audit_domain(x, d->rp);
	if (r == NULL) {
		sk__audit_bprintf(x, &ev, "; SPF: the Return-Path is under "
				  "%s (no branded return-path), which never "
				  "aligns with %s", dflt, d->name);
	} else if (!branded) {
		sk__audit_bprintf(x, &ev, "; SPF: return_path %s is set, but "
				  "the provider brands the Return-Path only "
				  "for some IP modes, not %s", r->name, mode);
	} else if (r->spf_ip == SK_CHECK_DNSFAIL) {
		spf_unknown = true;
		sk__audit_bprintf(x, &ev, "; SPF: unknown (DNS failed for "
				  "the SPF of %s)", r->name);
	} else if (!r->spf_usable || r->spf_ip != SK_CHECK_PASS) {
		sk__audit_bprintf(x, &ev, "; SPF: the SPF of the branded "
				  "return-path %s does not pass for the "
				  "provider's blocks", r->name);
	} else if (aspf == SK_DMARC_ALIGN_STRICT) {
		spf_ok = sk__audit_name_eq(r->name, d->name);
		sk__audit_bprintf(x, &ev, "; SPF: Return-Path %s %s with %s "
				  "under aspf=s", r->name, spf_ok ?
				  "aligns" : "does not align", d->name);
	} else {
		dorg = org_of(x, d->name);
		rorg = org_of(x, r->name);
		if (dorg == NULL || rorg == NULL)
			spf_unknown = x->st == SK_OK;
		else
			spf_ok = strcmp(dorg, rorg) == 0;
		sk__audit_bprintf(x, &ev, "; SPF: Return-Path %s (%s) %s %s "
				  "(%s)", r->name, rorg ? rorg : "?",
				  spf_ok ? "aligns with" : "does not align "
				  "with", d->name, dorg ? dorg : "?");
	}
	if (found)
		sk__audit_bprintf(x, &ev, "; policy %s=%s (from _dmarc.%s)",
				  sk_dmarc_tag_str(disc->policy_tag),
				  sk_dmarc_policy_str(disc->policy),
				  disc->policy_domain);
	else
		sk__audit_bprintf(x, &ev, "; no usable DMARC policy");

	if (dkim_ok || spf_ok) {
		sk__audit_add(x, AU_G_DMARC, "dmarc-forecast", d->name,
			      SK_CHECK_PASS, SK_SEV_INFO, src, ev.p, NULL,
			      "provider mail from %s passes DMARC through %s",
			      d->name, dkim_ok && spf_ok ? "DKIM and SPF" :
			      dkim_ok ? "DKIM" : "SPF");
	} else if (d->dkim < 0 || spf_unknown) {
		sk__audit_add(x, AU_G_DMARC, "dmarc-forecast", d->name,
			      SK_CHECK_DNSFAIL, SK_SEV_INFO, src, ev.p, NULL,
			      "cannot tell whether provider mail from %s "
			      "passes DMARC: DNS failed", d->name);
	} else {
		bool enforcing = found &&
			disc->policy != SK_DMARC_POLICY_NONE;

		sk__audit_add(x, AU_G_DMARC, "dmarc-forecast", d->name,
			      SK_CHECK_FAIL, enforcing ? SK_SEV_ERROR :
			      SK_SEV_WARNING, src, ev.p,
			      "publish a DKIM key for a selector of this "
			      "domain (see the dkim checks): DKIM is the "
			      "identifier the provider can align",
			      "provider mail from %s will fail DMARC: neither "
			      "DKIM nor SPF aligns%s", d->name, enforcing ?
			      " and the policy enforces" : "");
	}
	sk__free(dorg);
	sk__free(rorg);
	sk__buf_free(&ev);
}

void
sk__audit_dmarc(struct au_ctx *x, struct au_domain *d)
{
	const struct sk_profile *p = x->p;
	const struct sk_org_domain *cfg = d->cfg;
	const char *src = sk__audit_src(p->dmarc.source, REF_DISC);
	struct sk_dmarc_lint_opts lo;
	struct sk_dmarc_lint *l = NULL;
	const struct sk_dmarc_discovery *disc;
	struct sk_buf ev, fix;
	struct sk_err err;
	bool found, sp_failed = false;
	sk_status st;

	memset(&lo, 0, sizeof(lo));
	lo.method = SK_DMARC_TREEWALK;
	lo.psl = x->psl;
	sk__buf_init(&ev, AU_TEXT_MAX);
	sk__buf_init(&fix, AU_TEXT_MAX);
	st = sk_dmarc_lint_domain(x->r, d->name, &lo, &l, &err);
	if (sk__audit_oom(x, st))
		goto out;
	if (st != SK_OK) {
		sk__audit_add(x, AU_G_DMARC, "dmarc-missing", d->name,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "%s", err.msg);
		forecast(x, d, NULL);
		goto out;
	}
	disc = sk_dmarc_lint_discovery(l);
	walk_evidence(x, disc, &ev);
	found = disc->status == SK_DMARC_DISC_FOUND;

	/* dmarc-missing */
	switch (disc->status) {
	case SK_DMARC_DISC_TEMPFAIL:
		sk__audit_add(x, AU_G_DMARC, "dmarc-missing", d->name,
			      SK_CHECK_DNSFAIL, SK_SEV_INFO, src, ev.p, NULL,
			      "could not look for the DMARC record of %s: DNS "
			      "failed", d->name);
		break;
	case SK_DMARC_DISC_NONE:
		want_line(x, d->name, cfg, &fix);
		sk__audit_add(x, AU_G_DMARC, "dmarc-missing", d->name,
			      SK_CHECK_FAIL, SK_SEV_ERROR, src, ev.p, fix.p,
			      "no DMARC record applies to %s (none at the "
			      "domain or its organizational domain): large "
			      "mailbox providers require one of bulk senders",
			      d->name);
		break;
	case SK_DMARC_DISC_MULTIPLE:
		sk__audit_add(x, AU_G_DMARC, "dmarc-missing", d->name,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, ev.p, NULL,
			      "several DMARC records: receivers discard them "
			      "(see dmarc-invalid)");
		break;
	case SK_DMARC_DISC_FOUND:
	case SK_DMARC_DISC_UNUSABLE:
		sk__audit_add(x, AU_G_DMARC, "dmarc-missing", d->name,
			      SK_CHECK_PASS, SK_SEV_INFO, src, ev.p, NULL,
			      "the DMARC record at _dmarc.%s applies to %s%s",
			      disc->policy_domain, d->name, disc->inherited ?
			      " (inherited)" : "");
		break;
	}
	sk__buf_reset(&fix);

	/* The record's own checks, once per domain holding it. */
	if (disc->status == SK_DMARC_DISC_FOUND ||
	    disc->status == SK_DMARC_DISC_UNUSABLE) {
		if (!pdone(x, disc->policy_domain))
			record_checks(x, d, l, disc->record,
				      disc->policy_domain);
	} else if (disc->status == SK_DMARC_DISC_MULTIPLE) {
		record_checks(x, d, l, NULL, d->name);
	} else {
		for (size_t i = 0; record_ids[i] != NULL; i++)
			sk__audit_add(x, AU_G_DMARC, record_ids[i], d->name,
				      SK_CHECK_SKIP, SK_SEV_INFO, REF_TAGS,
				      NULL, NULL, "no DMARC record to check");
	}
	if (x->st != SK_OK)
		goto out;

	/* dmarc-sp-inherited (research F9.4) */
	sk__buf_reset(&fix);
	if (!found) {
		sk__audit_add(x, AU_G_DMARC, "dmarc-sp-inherited", d->name,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "no usable DMARC record applies");
	} else if (!disc->inherited) {
		sk__audit_add(x, AU_G_DMARC, "dmarc-sp-inherited", d->name,
			      SK_CHECK_PASS, SK_SEV_INFO, src, NULL, NULL,
			      "%s has its own DMARC record", d->name);
	} else if (disc->policy == SK_DMARC_POLICY_NONE ||
		   (cfg != NULL && cfg->dmarc_stage != SK_STAGE_UNSET &&
		    sk__dmarc_stage_policy(cfg->dmarc_stage) ==
		    disc->policy)) {
		sk__audit_add(x, AU_G_DMARC, "dmarc-sp-inherited", d->name,
			      SK_CHECK_PASS, SK_SEV_INFO, src, ev.p, NULL,
			      "%s inherits %s=%s from %s%s", d->name,
			      sk_dmarc_tag_str(disc->policy_tag),
			      sk_dmarc_policy_str(disc->policy),
			      disc->policy_domain,
			      disc->policy == SK_DMARC_POLICY_NONE ? "" :
			      ", the stage the config wants");
	} else {
		struct sk_org_domain none;

		if (cfg != NULL && cfg->dmarc_stage != SK_STAGE_UNSET) {
			want_line(x, d->name, cfg, &fix);
		} else {
			memset(&none, 0, sizeof(none));
			if (cfg != NULL) {
				none.dmarc_rua = cfg->dmarc_rua;
				none.dmarc_ruf = cfg->dmarc_ruf;
			}
			none.dmarc_stage = SK_STAGE_NONE;
			want_line(x, d->name, &none, &fix);
		}
		sp_failed = true;
		sk__audit_add(x, AU_G_DMARC, "dmarc-sp-inherited", d->name,
			      SK_CHECK_FAIL, SK_SEV_WARNING, src, ev.p, fix.p,
			      "%s has no DMARC record of its own and inherits "
			      "%s=%s from %s: provider mail that does not "
			      "align yet is %s", d->name,
			      sk_dmarc_tag_str(disc->policy_tag),
			      sk_dmarc_policy_str(disc->policy),
			      disc->policy_domain,
			      disc->policy == SK_DMARC_POLICY_REJECT ?
			      "rejected" : "sent to spam");
	}
	sk__buf_reset(&fix);

	/* dmarc-stage */
	if (cfg == NULL || cfg->dmarc_stage == SK_STAGE_UNSET) {
		sk__audit_add(x, AU_G_DMARC, "dmarc-stage", d->name,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "the config sets no DMARC stage for %s",
			      d->name);
	} else if (!found) {
		sk__audit_add(x, AU_G_DMARC, "dmarc-stage", d->name,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "no usable DMARC record (see dmarc-missing)");
	} else if (sp_failed) {
		sk__audit_add(x, AU_G_DMARC, "dmarc-stage", d->name,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "see dmarc-sp-inherited");
	} else {
		const struct sk_dmarc_record *rec = disc->record;
		bool pct_off = cfg->dmarc_pct > 0 && cfg->dmarc_pct < 100 &&
			rec->pct != cfg->dmarc_pct;
		char sev[300];

		snprintf(sev, sizeof(sev), "published %s=%s, pct=%u (at "
			 "_dmarc.%s); config: dmarc = %s, dmarc_pct = %u",
			 sk_dmarc_tag_str(disc->policy_tag),
			 sk_dmarc_policy_str(disc->policy), rec->pct,
			 disc->policy_domain, stage_str(cfg->dmarc_stage),
			 cfg->dmarc_pct ? cfg->dmarc_pct : 100);
		if (sk__dmarc_stage_policy(cfg->dmarc_stage) != disc->policy ||
		    pct_off) {
			want_line(x, d->name, cfg, &fix);
			sk__audit_add(x, AU_G_DMARC, "dmarc-stage", d->name,
				      SK_CHECK_FAIL, SK_SEV_WARNING, src, sev,
				      fix.p, "the DMARC policy of %s is %s%s, "
				      "the config's stage is %s", d->name,
				      sk_dmarc_policy_str(disc->policy),
				      pct_off ? " (or its pct differs)" : "",
				      stage_str(cfg->dmarc_stage));
		} else {
			sk__audit_add(x, AU_G_DMARC, "dmarc-stage", d->name,
				      SK_CHECK_PASS, SK_SEV_INFO, src, sev,
				      NULL, "the DMARC policy of %s is at the "
				      "config's stage (%s)", d->name,
				      stage_str(cfg->dmarc_stage));
		}
	}
	forecast(x, d, disc);
out:
	sk_dmarc_lint_free(l);
	sk__buf_free(&ev);
	sk__buf_free(&fix);
}
