/*
 * lib/audit/hosts.c - the hosts an organization aliases to its provider
 * (landing pages, tracking links; [host ROLE] of the profile):
 *
 *   host-cname-apex       a zone apex cannot hold a CNAME (RFC 1034
 *                         section 3.6.2, RFC 2181 section 10.1; research
 *                         F4.4);
 *   host-cname-missing    no CNAME at the host;
 *   host-cname-target     the CNAME points elsewhere (chains followed);
 *   host-cname-exclusive  other data beside the CNAME (RFC 1034 3.6.2);
 *   host-name-avoid       first label flagged by filters (research F3.4);
 *   host-distinct         landing and tracking must differ (F3.4).
 *
 * A stub resolver follows a CNAME for every other type, so data beside a
 * CNAME shows only as an answer whose owner is the host itself.  Servers
 * that hold only the organization's zones answer REFUSED for the target's
 * zone: a failure while following a chain does not make the host's own
 * CNAME unknown.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "audit_internal.h"

#define REF_CNAME "RFC 1034 section 3.6.2; RFC 2181 section 10.1"

static const char *
host_value(const struct au_ctx *x, const char *key)
{
	if (key == NULL)
		return NULL;
	if (strcasecmp(key, "landing_host") == 0)
		return x->c->landing_host;
	if (strcasecmp(key, "tracking_host") == 0)
		return x->c->tracking_host;
	return sk_config_input(x->c, key);
}

/* Lower case, no trailing dot; NULL when out of memory (x->st set). */
static char *
norm_name(struct au_ctx *x, const char *s)
{
	size_t n = strlen(s);
	char *d;

	while (n > 1 && s[n - 1] == '.')
		n--;
	d = sk__strndup(s, n);
	if (d == NULL) {
		x->st = SK_ENOMEM;
		return NULL;
	}
	for (size_t i = 0; i < n; i++)
		d[i] = sk__lower(d[i]);
	return d;
}

static void
skip_all(struct au_ctx *x, const char *subject, const char *src,
	 const char *why)
{
	static const char *const ids[] = {
		"host-cname-apex", "host-cname-missing", "host-cname-target",
		"host-cname-exclusive", "host-name-avoid",
	};

	for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
		sk__audit_add(x, AU_G_HOSTS, ids[i], subject, SK_CHECK_SKIP,
			      SK_SEV_INFO, src, NULL, NULL, "%s", why);
}

/* Records of other types owned by the host itself (not reached through
 * a CNAME).  *tempfail when a question failed. */
static void
siblings(struct au_ctx *x, const char *host, const uint16_t *types,
	 size_t ntypes, struct sk_buf *b, size_t *found, bool *tempfail)
{
	const struct sk_dns_answer *a;

	for (size_t t = 0; t < ntypes && x->st == SK_OK; t++) {
		enum sk_dns_status s = sk__audit_ask(x, host, types[t], &a);

		if (s == SK_DNS_TEMPFAIL)
			*tempfail = true;
		for (size_t i = 0; a != NULL && s == SK_DNS_ANSWER &&
		     i < a->count; i++) {
			if (a->rr[i].type != types[t] ||
			    !sk__audit_name_eq(a->rr[i].owner, host))
				continue;
			sk__audit_bprintf(x, b, "%s%s ", *found ? "; " : "",
					  host);
			sk__audit_rr_str(x, b, &a->rr[i]);
			(*found)++;
		}
		sk_dns_answer_unref(a);
	}
}

/* Does the host own an SOA?  1 yes, 0 no, -1 DNS failed. */
static int
is_apex(struct au_ctx *x, const char *host, struct sk_buf *ev)
{
	const struct sk_dns_answer *a;
	enum sk_dns_status s;
	int apex = 0;

	s = sk__audit_ask(x, host, SK_DNS_SOA, &a);
	if (s == SK_DNS_TEMPFAIL) {
		sk__audit_bprintf(x, ev, "SOA %s: %s", host,
				  sk__audit_why(a));
		apex = -1;
	}
	for (size_t i = 0; a != NULL && s == SK_DNS_ANSWER && i < a->count;
	     i++) {
		if (a->rr[i].type == SK_DNS_SOA &&
		    sk__audit_name_eq(a->rr[i].owner, host)) {
			sk__audit_bprintf(x, ev, "%s ", host);
			sk__audit_rr_str(x, ev, &a->rr[i]);
			apex = 1;
		}
	}
	sk_dns_answer_unref(a);
	return apex;
}

/* Follow CNAME links from `first`; true when one of them is `want`. */
static bool
chain_reaches(struct au_ctx *x, const char *first, const char *want,
	      struct sk_buf *ev)
{
	char cur[SK_DNS_MAX_NAME + 1];
	const struct sk_dns_answer *a;
	enum sk_dns_status s;

	snprintf(cur, sizeof(cur), "%s", first);
	for (unsigned n = 0; n < AU_MAX_CHAIN && x->st == SK_OK; n++) {
		const char *next = NULL;

		s = sk__audit_ask(x, cur, SK_DNS_CNAME, &a);
		if (s == SK_DNS_TEMPFAIL)
			sk__audit_bprintf(x, ev, " (not followed further: "
					  "%s)", sk__audit_why(a));
		for (size_t i = 0; a != NULL && s == SK_DNS_ANSWER &&
		     i < a->count; i++)
			if (a->rr[i].type == SK_DNS_CNAME)
				next = a->rr[i].u.target;
		if (next == NULL) {
			sk_dns_answer_unref(a);
			return false;
		}
		sk__audit_bprintf(x, ev, " -> %s.", next);
		if (sk__audit_name_eq(next, want)) {
			sk_dns_answer_unref(a);
			return true;
		}
		snprintf(cur, sizeof(cur), "%s", next);
		sk_dns_answer_unref(a);
	}
	return false;
}

static void
check_host(struct au_ctx *x, const struct sk_profile_host *h)
{
	static const uint16_t other[] = {
		SK_DNS_A, SK_DNS_AAAA, SK_DNS_TXT, SK_DNS_MX,
	};
	static const uint16_t beside[] = { SK_DNS_TXT, SK_DNS_MX };
	const char *src = sk__audit_src(h->source, x->p->docs_url);
	const char *val = host_value(x, h->config_key);
	const struct sk_dns_answer *a = NULL;
	struct sk_buf ev, fix;
	char *host = NULL, *want = NULL, label[SK_DNS_MAX_LABEL + 1];
	const char *first = NULL;
	struct sk_err err;
	enum sk_dns_status s;
	size_t nsib = 0, i;
	bool tf = false;
	int apex;
	sk_status st;

	sk__buf_init(&ev, AU_TEXT_MAX);
	sk__buf_init(&fix, AU_TEXT_MAX);
	if (val == NULL || val[0] == '\0') {
		char why[200];

		snprintf(why, sizeof(why), "no %s in the config: the %s host "
			 "is not checked", h->config_key, h->role);
		skip_all(x, h->config_key, src, why);
		return;
	}
	host = norm_name(x, val);
	if (host == NULL)
		return;
	st = sk_profile_expand(x->c, h->target, &want, &err);
	if (sk__audit_oom(x, st))
		goto out;
	if (st == SK_OK) {
		char *w = norm_name(x, want);

		sk__free(want);
		want = w;
		if (want == NULL)
			goto out;
	}

	/* The CNAME itself (a CNAME question is not followed). */
	s = sk__audit_ask(x, host, SK_DNS_CNAME, &a);
	for (i = 0; a != NULL && s == SK_DNS_ANSWER && i < a->count; i++)
		if (a->rr[i].type == SK_DNS_CNAME &&
		    sk__audit_name_eq(a->rr[i].owner, host))
			first = a->rr[i].u.target;

	/* host-cname-apex: a sending domain of the config is an apex; so
	 * is a name with its own SOA, which a name with a CNAME cannot
	 * have.  When the CNAME could not be read, that failure is
	 * reported once (host-cname-missing) and SOA is not asked. */
	apex = 0;
	for (i = 0; i < x->c->ndomains; i++)
		if (sk__audit_name_eq(x->c->domains[i].name, host))
			apex = 1;
	if (apex == 1)
		sk__audit_bprintf(x, &ev, "%s is a sending domain of the "
				  "config", host);
	else if (first == NULL && s == SK_DNS_TEMPFAIL)
		apex = 2;
	else if (first == NULL)
		apex = is_apex(x, host, &ev);
	if (apex == 1) {
		/* The provider's suggested names (research F3.1, F4.1). */
		bool trk = strcasecmp(h->role, "tracking") == 0;
		const char *sub = trk ? "em" : "go";

		if (strncasecmp(host, sub, 2) == 0 && host[2] == '.')
			sub = trk ? "go2" : "lp";
		sk__audit_bprintf(x, &fix, "set %s to a name below the zone "
				  "apex (for example %s.%s) and publish the "
				  "CNAME there", h->config_key, sub, host);
		sk__audit_add(x, AU_G_HOSTS, "host-cname-apex", host,
			      SK_CHECK_FAIL, SK_SEV_ERROR, REF_CNAME, ev.p,
			      fix.p, "%s host %s is a zone apex: a CNAME "
			      "cannot be published there", h->role, host);
	} else if (apex == 2) {
		sk__audit_add(x, AU_G_HOSTS, "host-cname-apex", host,
			      SK_CHECK_SKIP, SK_SEV_INFO, REF_CNAME, NULL,
			      NULL, "the CNAME of %s could not be read (see "
			      "host-cname-missing)", host);
	} else if (apex < 0) {
		sk__audit_add(x, AU_G_HOSTS, "host-cname-apex", host,
			      SK_CHECK_DNSFAIL, SK_SEV_INFO, REF_CNAME, ev.p,
			      NULL, "could not tell whether %s is a zone apex: "
			      "DNS failed", host);
	} else {
		sk__audit_add(x, AU_G_HOSTS, "host-cname-apex", host,
			      SK_CHECK_PASS, SK_SEV_INFO, REF_CNAME, NULL,
			      NULL, "%s is not a zone apex", host);
	}
	sk__buf_reset(&ev);
	sk__buf_reset(&fix);

	/* host-cname-missing */
	if (apex == 1) {
		sk__audit_add(x, AU_G_HOSTS, "host-cname-missing", host,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "no CNAME can be at a zone apex (see "
			      "host-cname-apex)");
		sk__audit_add(x, AU_G_HOSTS, "host-cname-target", host,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "no CNAME can be at a zone apex (see "
			      "host-cname-apex)");
	} else if (s == SK_DNS_TEMPFAIL) {
		sk__audit_bprintf(x, &ev, "CNAME %s: %s", host,
				  sk__audit_why(a));
		sk__audit_add(x, AU_G_HOSTS, "host-cname-missing", host,
			      SK_CHECK_DNSFAIL, SK_SEV_INFO, src, ev.p, NULL,
			      "could not look up the CNAME of %s: DNS failed",
			      host);
		sk__audit_add(x, AU_G_HOSTS, "host-cname-target", host,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "the CNAME of %s could not be read", host);
	} else if (first == NULL) {
		sk__audit_bprintf(x, &ev, "%s: %s", host,
				  s == SK_DNS_NXDOMAIN ? "NXDOMAIN" :
				  "no CNAME");
		siblings(x, host, other, sizeof(other) / sizeof(other[0]),
			 &ev, &nsib, &tf);
		if (want != NULL)
			sk__audit_bprintf(x, &fix, "%s. IN CNAME %s.", host,
					  want);
		else
			sk__audit_bprintf(x, &fix, "%s. IN CNAME <%s>", host,
					  h->target);
		if (nsib > 0)
			sk__audit_bprintf(x, &fix, " (delete the other "
					  "records at %s first: a CNAME "
					  "cannot coexist with them)", host);
		sk__audit_add(x, AU_G_HOSTS, "host-cname-missing", host,
			      SK_CHECK_FAIL, SK_SEV_ERROR, src, ev.p, fix.p,
			      "%s host %s has no CNAME%s", h->role, host,
			      nsib > 0 ? " (it holds other records)" : "");
		sk__audit_add(x, AU_G_HOSTS, "host-cname-target", host,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "no CNAME at %s (see host-cname-missing)",
			      host);
	} else {
		sk__audit_bprintf(x, &ev, "%s. CNAME %s.", host, first);
		sk__audit_add(x, AU_G_HOSTS, "host-cname-missing", host,
			      SK_CHECK_PASS, SK_SEV_INFO, src, ev.p, NULL,
			      "%s host %s has a CNAME", h->role, host);
		/* host-cname-target */
		if (want == NULL) {
			sk__audit_add(x, AU_G_HOSTS, "host-cname-target", host,
				      SK_CHECK_SKIP, SK_SEV_INFO, src, ev.p,
				      NULL, "the expected target %s cannot "
				      "be worked out: %s", h->target,
				      err.msg);
		} else if (sk__audit_name_eq(first, want)) {
			sk__audit_add(x, AU_G_HOSTS, "host-cname-target", host,
				      SK_CHECK_PASS, SK_SEV_INFO, src, ev.p,
				      NULL, "%s points to %s", host, want);
		} else if (chain_reaches(x, first, want, &ev)) {
			sk__audit_add(x, AU_G_HOSTS, "host-cname-target", host,
				      SK_CHECK_PASS, SK_SEV_INFO, src, ev.p,
				      NULL, "%s reaches %s through a CNAME "
				      "chain", host, want);
		} else {
			sk__audit_bprintf(x, &fix, "%s. IN CNAME %s.", host,
					  want);
			sk__audit_add(x, AU_G_HOSTS, "host-cname-target", host,
				      SK_CHECK_FAIL, SK_SEV_ERROR, src, ev.p,
				      fix.p, "%s host %s points to %s, not "
				      "to %s", h->role, host, first, want);
		}
	}
	sk__buf_reset(&ev);
	sk__buf_reset(&fix);

	/* host-cname-exclusive */
	if (first == NULL || apex == 1) {
		sk__audit_add(x, AU_G_HOSTS, "host-cname-exclusive", host,
			      SK_CHECK_SKIP, SK_SEV_INFO, REF_CNAME, NULL,
			      NULL, "no CNAME at %s", host);
	} else {
		nsib = 0;
		tf = false;
		siblings(x, host, beside, sizeof(beside) / sizeof(beside[0]),
			 &ev, &nsib, &tf);
		if (nsib > 0) {
			sk__audit_bprintf(x, &fix, "delete the records "
					  "beside the CNAME at %s", host);
			sk__audit_add(x, AU_G_HOSTS, "host-cname-exclusive",
				      host, SK_CHECK_FAIL, SK_SEV_ERROR,
				      REF_CNAME, ev.p, fix.p, "%s has other "
				      "data beside its CNAME: resolvers "
				      "answer unpredictably", host);
		} else if (tf) {
			/* Asking TXT/MX follows the CNAME: a server that
			 * does not serve the target's zone refuses. */
			sk__audit_add(x, AU_G_HOSTS, "host-cname-exclusive",
				      host, SK_CHECK_SKIP, SK_SEV_INFO,
				      REF_CNAME, NULL, NULL, "could not tell "
				      "whether %s holds other data: DNS "
				      "failed while following its CNAME",
				      host);
		} else {
			sk__audit_add(x, AU_G_HOSTS, "host-cname-exclusive",
				      host, SK_CHECK_PASS, SK_SEV_INFO,
				      REF_CNAME, NULL, NULL, "no other data "
				      "beside the CNAME of %s", host);
		}
	}
	sk__buf_reset(&ev);
	sk__buf_reset(&fix);

	/* host-name-avoid */
	i = strcspn(host, ".");
	snprintf(label, sizeof(label), "%.*s",
		 (int)(i < SK_DNS_MAX_LABEL ? i : SK_DNS_MAX_LABEL), host);
	for (i = 0; i < h->navoid_prefixes; i++) {
		size_t pl = strlen(h->avoid_prefixes[i]);

		if (pl > 0 && strncasecmp(label, h->avoid_prefixes[i],
					  pl) == 0)
			break;
	}
	if (i < h->navoid_prefixes) {
		sk__audit_bprintf(x, &ev, "first label \"%s\"", label);
		sk__audit_bprintf(x, &fix, "choose a %s host whose first "
				  "label does not start with \"%s\"", h->role,
				  h->avoid_prefixes[i]);
		sk__audit_add(x, AU_G_HOSTS, "host-name-avoid", host,
			      SK_CHECK_FAIL, SK_SEV_WARNING, src, ev.p, fix.p,
			      "%s starts with \"%s\", a prefix spam filters "
			      "often flag", host, h->avoid_prefixes[i]);
	} else {
		sk__audit_add(x, AU_G_HOSTS, "host-name-avoid", host,
			      SK_CHECK_PASS, SK_SEV_INFO, src, NULL, NULL,
			      "%s does not start with a flagged prefix",
			      host);
	}
out:
	sk_dns_answer_unref(a);
	sk__free(host);
	sk__free(want);
	sk__buf_free(&ev);
	sk__buf_free(&fix);
}

/* host-distinct: once per pair of roles that must differ. */
static void
check_distinct(struct au_ctx *x, size_t hi)
{
	const struct sk_profile *p = x->p;
	const struct sk_profile_host *h = &p->hosts[hi], *o;
	const char *src = sk__audit_src(h->source, p->docs_url);
	const char *hv, *ov;
	char ev[600];
	size_t oi;

	if (h->must_differ_from == NULL || h->must_differ_from[0] == '\0')
		return;
	o = sk_profile_host(p, h->must_differ_from);
	if (o == NULL)
		return;
	oi = (size_t)(o - p->hosts);
	/* The other role says the same of this one: report once. */
	if (oi < hi && o->must_differ_from != NULL &&
	    strcasecmp(o->must_differ_from, h->role) == 0)
		return;
	hv = host_value(x, h->config_key);
	ov = host_value(x, o->config_key);
	if (hv == NULL || ov == NULL || hv[0] == '\0' || ov[0] == '\0') {
		sk__audit_add(x, AU_G_HOSTS, "host-distinct",
			      hv != NULL && hv[0] ? hv : h->config_key,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "%s and %s are not both set", h->config_key,
			      o->config_key);
		return;
	}
	snprintf(ev, sizeof(ev), "%s = %s; %s = %s", h->config_key, hv,
		 o->config_key, ov);
	if (sk__audit_name_eq(hv, ov))
		sk__audit_add(x, AU_G_HOSTS, "host-distinct", hv,
			      SK_CHECK_FAIL, SK_SEV_ERROR, src, ev,
			      "use two different host names (for example "
			      "go.DOMAIN for landing pages and em.DOMAIN for "
			      "tracking links)",
			      "the %s and %s hosts are the same name: the "
			      "provider needs two hosts", h->role, o->role);
	else
		sk__audit_add(x, AU_G_HOSTS, "host-distinct", hv,
			      SK_CHECK_PASS, SK_SEV_INFO, src, ev, NULL,
			      "the %s and %s hosts differ", h->role, o->role);
}

void
sk__audit_hosts(struct au_ctx *x)
{
	for (size_t i = 0; i < x->p->nhosts && x->st == SK_OK; i++)
		check_host(x, &x->p->hosts[i]);
	for (size_t i = 0; i < x->p->nhosts && x->st == SK_OK; i++)
		check_distinct(x, i);
}
