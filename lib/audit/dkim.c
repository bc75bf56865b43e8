/*
 * lib/audit/dkim.c - DKIM of each From domain (RFC 6376 section 3.6,
 * RFC 8301; research F8.1-F8.6):
 *
 *   dkim-no-selector       no selector configured: the provider signs
 *                          with its own d= (fallback_d), which never
 *                          aligns (F8.1, F8.5);
 *   dkim-selector-missing  no key record at SEL._domainkey.DOMAIN;
 *   dkim-key-invalid       the record's errors (revoked, syntax, base64,
 *                          several records, ...) from the DKIM lint;
 *   dkim-key-size          RSA bits against the profile's min_bits
 *                          (error) and recommended_bits (warning);
 *   dkim-key-mismatch      the published key is not the config's key;
 *   dkim-ns-disagree       every authoritative nameserver asked
 *                          directly must give the same answer (F8.3:
 *                          the provider's "Check DNS" requires it).
 * Subjects: the domain for dkim-no-selector, SEL._domainkey.DOMAIN for
 * the others.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "audit_internal.h"

#define REF_KEY "RFC 6376 section 3.6.1"
#define REF_SIZE "RFC 8301 section 3.2"

/* ------------------------------------------------------- nameservers */

static char *
xdup(struct au_ctx *x, const char *s)
{
	char *d = sk__strdup(s);

	if (d == NULL)
		x->st = SK_ENOMEM;
	return d;
}

static void
ns_add(struct au_ctx *x, struct au_domain *d, const char *ns,
       const char *addr, const char *why)
{
	struct au_nsaddr *e;

	if (d->nns >= AU_MAX_NS_ADDR || x->st != SK_OK)
		return;
	if (d->ns == NULL) {
		d->ns = sk__calloc(AU_MAX_NS_ADDR, sizeof(*d->ns));
		if (d->ns == NULL) {
			x->st = SK_ENOMEM;
			return;
		}
	}
	e = &d->ns[d->nns++];
	e->ns = xdup(x, ns);
	e->addr = addr != NULL ? xdup(x, addr) : NULL;
	e->why = why != NULL ? xdup(x, why) : NULL;
}

/* The addresses of one nameserver name. */
static void
ns_resolve(struct au_ctx *x, struct au_domain *d, const char *ns)
{
	static const uint16_t types[] = { SK_DNS_A, SK_DNS_AAAA };
	const struct sk_dns_answer *a;
	char ip[64], why[SK_ERR_MSG_MAX];
	size_t found = 0;
	bool tf = false;

	why[0] = '\0';
	for (size_t t = 0; t < 2 && x->st == SK_OK; t++) {
		enum sk_dns_status s = sk__audit_ask(x, ns, types[t], &a);

		if (s == SK_DNS_TEMPFAIL) {
			tf = true;
			snprintf(why, sizeof(why), "%s %s: %s",
				 t == 0 ? "A" : "AAAA", ns, sk__audit_why(a));
		}
		for (size_t i = 0; a != NULL && s == SK_DNS_ANSWER &&
		     i < a->count; i++) {
			if (a->rr[i].type != types[t])
				continue;
			if (inet_ntop(t == 0 ? AF_INET : AF_INET6,
				      t == 0 ? a->rr[i].u.a : a->rr[i].u.aaaa,
				      ip, sizeof(ip)) == NULL)
				continue;
			ns_add(x, d, ns, ip, NULL);
			found++;
		}
		sk_dns_answer_unref(a);
	}
	if (found == 0)
		ns_add(x, d, ns, NULL, tf ? why : "no A or AAAA record");
}

/* Find the authoritative nameservers of the domain's zone (NS at the
 * domain, else at each parent) and their addresses, once. */
static void
ns_find(struct au_ctx *x, struct au_domain *d)
{
	const struct sk_dns_answer *a = NULL;
	const char *name = d->name;
	enum sk_dns_status s = SK_DNS_NXDOMAIN;
	char why[SK_ERR_MSG_MAX];
	size_t n = 0;

	if (d->ns_done)
		return;
	d->ns_done = true;
	while (name != NULL && x->st == SK_OK) {
		s = sk__audit_ask(x, name, SK_DNS_NS, &a);
		if (s == SK_DNS_TEMPFAIL) {
			snprintf(why, sizeof(why), "NS %s: %s", name,
				 sk__audit_why(a));
			d->ns_fail = xdup(x, why);
			sk_dns_answer_unref(a);
			return;
		}
		if (s == SK_DNS_ANSWER)
			break;
		sk_dns_answer_unref(a);
		a = NULL;
		name = strchr(name, '.');
		if (name != NULL)
			name++;
		if (name != NULL && strchr(name, '.') == NULL)
			name = NULL; /* not the TLD's servers */
	}
	if (a == NULL || s != SK_DNS_ANSWER) {
		snprintf(why, sizeof(why), "no NS records found for %s or "
			 "its parents", d->name);
		d->ns_fail = xdup(x, why);
		sk_dns_answer_unref(a);
		return;
	}
	for (size_t i = 0; i < a->count && n < AU_MAX_NS; i++) {
		if (a->rr[i].type != SK_DNS_NS)
			continue;
		ns_resolve(x, d, a->rr[i].u.target);
		n++;
	}
	sk_dns_answer_unref(a);
}

static int
str_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* The answer of one server for TXT qname, as a canonical string: the
 * sorted TXT texts, or NXDOMAIN / NODATA.  NULL with *why on failure. */
static char *
ask_server(struct au_ctx *x, const char *addr, const char *qname,
	   char *why, size_t whysz)
{
	struct sk_resolver_opts ro;
	struct sk_resolver *r = NULL;
	const struct sk_dns_answer *a = NULL;
	const char *txt[32];
	char server[96];
	struct sk_buf b;
	struct sk_err err;
	size_t n = 0;
	char *out = NULL;
	sk_status st;

	memset(&ro, 0, sizeof(ro));
	snprintf(server, sizeof(server), strchr(addr, ':') != NULL ?
		 "[%s]:%u" : "%s:%u", addr, x->o.ns_port);
	ro.server = server;
	ro.timeout_ms = x->o.ns_timeout_ms;
	ro.tries = 2;
	ro.cache_max = 16;
	st = sk_resolver_new_live(&r, &ro, &err);
	if (sk__audit_oom(x, st))
		return NULL;
	if (st != SK_OK) {
		snprintf(why, whysz, "%s", err.msg);
		return NULL;
	}
	st = sk_dns_resolve(r, qname, SK_DNS_TXT, &a, &err);
	if (sk__audit_oom(x, st) || st != SK_OK) {
		snprintf(why, whysz, "%s", st == SK_OK ? "" : err.msg);
		goto out;
	}
	if (a->status == SK_DNS_TEMPFAIL) {
		snprintf(why, whysz, "%s", sk__audit_why(a));
		goto out;
	}
	sk__buf_init(&b, AU_TEXT_MAX);
	if (a->status != SK_DNS_ANSWER) {
		sk__audit_bprintf(x, &b, "%s", sk_dns_status_str(a->status));
	} else {
		for (size_t i = 0; i < a->count && n < 32; i++)
			if (a->rr[i].type == SK_DNS_TXT)
				txt[n++] = a->rr[i].u.txt.text;
		qsort(txt, n, sizeof(txt[0]), str_cmp);
		for (size_t i = 0; i < n; i++)
			sk__audit_bprintf(x, &b, "%s\"%s\"", i ? " " : "",
					  txt[i]);
		if (n == 0)
			sk__audit_bprintf(x, &b, "NODATA");
	}
	out = sk__buf_take(&b);
	if (out == NULL)
		x->st = SK_ENOMEM;
out:
	sk_dns_answer_unref(a);
	sk_resolver_free(r);
	return out;
}

static void
check_ns(struct au_ctx *x, struct au_domain *d, const char *qname)
{
	const char *src = sk__audit_src(x->p->dkim.source, REF_KEY);
	char **ans = NULL, why[SK_ERR_MSG_MAX];
	struct sk_buf ev;
	size_t nans = 0, nfail = 0, i;
	const char *ref = NULL;
	bool differ = false;

	if (!x->p->dkim.all_ns_must_agree) {
		sk__audit_add(x, AU_G_DKIM, "dkim-ns-disagree", qname,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "the profile does not ask for every nameserver "
			      "to be checked");
		return;
	}
	if (!x->o.query_each_ns) {
		sk__audit_add(x, AU_G_DKIM, "dkim-ns-disagree", qname,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "offline mode: the authoritative nameservers "
			      "were not asked one by one");
		return;
	}
	ns_find(x, d);
	if (x->st != SK_OK)
		return;
	if (d->ns_fail != NULL || d->nns == 0) {
		sk__audit_add(x, AU_G_DKIM, "dkim-ns-disagree", qname,
			      SK_CHECK_DNSFAIL, SK_SEV_INFO, src,
			      d->ns_fail != NULL ? d->ns_fail : "", NULL,
			      "could not find the nameservers of %s",
			      d->name);
		return;
	}
	ans = sk__calloc(d->nns, sizeof(*ans));
	if (ans == NULL) {
		x->st = SK_ENOMEM;
		return;
	}
	sk__buf_init(&ev, AU_TEXT_MAX);
	for (i = 0; i < d->nns && x->st == SK_OK; i++) {
		const struct au_nsaddr *e = &d->ns[i];

		if (e->addr == NULL) {
			nfail++;
			sk__audit_bprintf(x, &ev, "%s%s: %s", ev.len ? "; " :
					  "", e->ns, e->why);
			continue;
		}
		why[0] = '\0';
		ans[i] = ask_server(x, e->addr, qname, why, sizeof(why));
		if (ans[i] == NULL) {
			nfail++;
			sk__audit_bprintf(x, &ev, "%s%s (%s): no answer (%s)",
					  ev.len ? "; " : "", e->ns, e->addr,
					  why);
			continue;
		}
		nans++;
		sk__audit_bprintf(x, &ev, "%s%s (%s): %s", ev.len ? "; " : "",
				  e->ns, e->addr, ans[i]);
		if (ref == NULL)
			ref = ans[i];
		else if (strcmp(ref, ans[i]) != 0)
			differ = true;
	}
	if (x->st != SK_OK)
		goto out;
	if (differ)
		sk__audit_add(x, AU_G_DKIM, "dkim-ns-disagree", qname,
			      SK_CHECK_FAIL, SK_SEV_ERROR, src, ev.p,
			      "publish the same key record on every "
			      "authoritative nameserver (check zone "
			      "transfers to the secondaries) and ask again",
			      "the authoritative nameservers of %s give "
			      "different answers for %s: the provider's DNS "
			      "check requires them all to agree", d->name,
			      qname);
	else if (nfail > 0)
		sk__audit_add(x, AU_G_DKIM, "dkim-ns-disagree", qname,
			      SK_CHECK_DNSFAIL, SK_SEV_INFO, src, ev.p, NULL,
			      "%zu of %zu nameserver addresses of %s could "
			      "not be asked", nfail, d->nns, d->name);
	else
		sk__audit_add(x, AU_G_DKIM, "dkim-ns-disagree", qname,
			      SK_CHECK_PASS, SK_SEV_INFO, src, ev.p, NULL,
			      "%zu nameserver addresses of %s give the same "
			      "answer", nans, d->name);
out:
	for (i = 0; i < d->nns; i++)
		sk__free(ans[i]);
	sk__free(ans);
	sk__buf_free(&ev);
}

/* ---------------------------------------------------------- selectors */

static bool
has_id(const struct sk_findings *f, const char *id)
{
	return sk__findings_has(f, id);
}

/* The published key record text (the first TXT that parses as a key,
 * else the first that looks like one). */
static const char *
key_text(const struct sk_dns_answer *a)
{
	const char *first = NULL;

	for (size_t i = 0; a != NULL && a->status == SK_DNS_ANSWER &&
	     i < a->count; i++) {
		const struct sk_dns_rr *rr = &a->rr[i];
		struct sk_dkim_key *k = NULL;

		if (rr->type != SK_DNS_TXT)
			continue;
		if (first == NULL)
			first = rr->u.txt.text;
		if (sk_dkim_key_parse(rr->u.txt.text, rr->u.txt.len, &k,
				      NULL) == SK_OK) {
			sk_dkim_key_free(k);
			return rr->u.txt.text;
		}
	}
	return first;
}

/* Fix for a selector: the config's record as a zone line, or what to
 * do without it. */
static void
key_fix(struct au_ctx *x, struct sk_buf *b, const char *domain,
	const struct sk_org_dkim *k)
{
	char *line = NULL;
	sk_status st;

	if (k->record == NULL) {
		sk__audit_bprintf(x, b, "publish the TXT record the provider "
				  "shows for selector %s at "
				  "%s._domainkey.%s (or set dkim_key.%s in "
				  "the config)", k->selector, k->selector,
				  domain, k->selector);
		return;
	}
	st = sk_dkim_record_zone_line(domain, k->selector, k->record,
				      x->c->ttl, &line, NULL);
	if (sk__audit_oom(x, st))
		return;
	if (st == SK_OK)
		sk__audit_bprintf(x, b, "%s", line);
	else
		sk__audit_bprintf(x, b, "%s._domainkey.%s. IN TXT \"%s\"",
				  k->selector, domain, k->record);
	free(line);
}

static void
check_selector(struct au_ctx *x, struct au_domain *d,
	       const struct sk_org_dkim *k)
{
	const struct sk_profile *p = x->p;
	const char *src = sk__audit_src(p->dkim.source, REF_KEY);
	const struct sk_dns_answer *a = NULL;
	struct sk_findings *f = NULL;
	struct sk_dkim_key *pub = NULL, *want = NULL;
	struct sk_buf ev, fix;
	char qname[SK_DNS_MAX_NAME + 16];
	const char *text;
	struct sk_err err;
	enum sk_dns_status s;
	size_t nerr = 0;
	bool valid = false, mismatch = false;
	sk_status st;

	snprintf(qname, sizeof(qname), "%s._domainkey.%s", k->selector,
		 d->name);
	sk__buf_init(&ev, AU_TEXT_MAX);
	sk__buf_init(&fix, AU_TEXT_MAX);
	st = sk_dkim_lint_domain(x->r, d->name, k->selector, &f, &err);
	if (sk__audit_oom(x, st))
		goto out;
	if (st != SK_OK) {
		static const char *const ids[] = {
			"dkim-selector-missing", "dkim-key-invalid",
			"dkim-key-size", "dkim-key-mismatch",
			"dkim-ns-disagree",
		};

		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
			sk__audit_add(x, AU_G_DKIM, ids[i], qname,
				      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL,
				      NULL, "%s", err.msg);
		goto out;
	}
	s = sk__audit_ask(x, qname, SK_DNS_TXT, &a);
	for (size_t i = 0; a != NULL && s == SK_DNS_ANSWER && i < a->count;
	     i++) {
		sk__audit_bprintf(x, &ev, "%s", i ? ", " : "");
		sk__audit_rr_str(x, &ev, &a->rr[i]);
	}
	if (s != SK_DNS_ANSWER)
		sk__audit_bprintf(x, &ev, "%s: %s", qname,
				  s == SK_DNS_TEMPFAIL ? sk__audit_why(a) :
				  sk_dns_status_str(s));

	/* dkim-selector-missing */
	if (has_id(f, "dkim-tempfail") || s == SK_DNS_TEMPFAIL) {
		if (d->dkim == 0)
			d->dkim = -1;
		sk__audit_add(x, AU_G_DKIM, "dkim-selector-missing", qname,
			      SK_CHECK_DNSFAIL, SK_SEV_INFO, src, ev.p, NULL,
			      "could not look up %s: DNS failed", qname);
		goto rest_skip;
	}
	if (has_id(f, "dkim-key-missing")) {
		key_fix(x, &fix, d->name, k);
		sk__audit_add(x, AU_G_DKIM, "dkim-selector-missing", qname,
			      SK_CHECK_FAIL, SK_SEV_ERROR, src, ev.p, fix.p,
			      "no DKIM key record at %s: mail signed with "
			      "selector %s fails DKIM", qname, k->selector);
		goto rest_skip;
	}
	sk__audit_add(x, AU_G_DKIM, "dkim-selector-missing", qname,
		      SK_CHECK_PASS, SK_SEV_INFO, src, ev.p, NULL,
		      "%s publishes a key record", qname);

	/* dkim-key-invalid: the lint's errors but size (below) */
	sk__buf_reset(&fix);
	{
		const char *first = "";
		struct sk_buf msgs;

		sk__buf_init(&msgs, AU_TEXT_MAX);
		for (size_t i = 0; i < sk_findings_count(f); i++) {
			const struct sk_finding *fi = sk_findings_get(f, i);

			if (fi->severity != SK_SEV_ERROR ||
			    strcmp(fi->id, "dkim-key-too-small") == 0)
				continue;
			if (nerr == 0)
				first = fi->message;
			sk__audit_bprintf(x, &msgs, "%s%s: %s", nerr++ ?
					  "; " : "", fi->id, fi->message);
		}
		if (nerr > 0) {
			key_fix(x, &fix, d->name, k);
			sk__audit_add(x, AU_G_DKIM, "dkim-key-invalid", qname,
				      SK_CHECK_FAIL, SK_SEV_ERROR, REF_KEY,
				      msgs.p, fix.p, "the key record at %s "
				      "cannot be used: %s", qname, first);
		} else {
			sk__audit_add(x, AU_G_DKIM, "dkim-key-invalid", qname,
				      SK_CHECK_PASS, SK_SEV_INFO, REF_KEY,
				      NULL, NULL, "the key record at %s is "
				      "valid", qname);
		}
		sk__buf_free(&msgs);
	}

	/* dkim-key-size */
	text = key_text(a);
	st = text != NULL ? sk_dkim_key_parse(text, strlen(text), &pub, NULL) :
		SK_ESYNTAX;
	if (sk__audit_oom(x, st))
		goto out;
	sk__buf_reset(&fix);
	if (st != SK_OK || pub->revoked || pub->bits == 0) {
		sk__audit_add(x, AU_G_DKIM, "dkim-key-size", qname,
			      SK_CHECK_SKIP, SK_SEV_INFO, REF_SIZE, NULL, NULL,
			      "no usable key to measure (see "
			      "dkim-key-invalid)");
	} else if (pub->type != SK_DKIM_KEY_RSA) {
		sk__audit_add(x, AU_G_DKIM, "dkim-key-size", qname,
			      SK_CHECK_PASS, SK_SEV_INFO, REF_SIZE, NULL, NULL,
			      "%s key", sk_dkim_keytype_str(pub->type));
	} else {
		unsigned min = p->dkim.min_bits ? p->dkim.min_bits :
			SK_DKIM_RSA_MIN_BITS;
		unsigned rec = p->dkim.recommended_bits ?
			p->dkim.recommended_bits : SK_DKIM_RSA_GOOD_BITS;
		char kev[64];

		snprintf(kev, sizeof(kev), "RSA key of %u bits", pub->bits);
		if (pub->bits < min || pub->bits < rec) {
			sk__audit_bprintf(x, &fix, "generate a %u-bit key in "
					  "the provider's admin (a new "
					  "selector), publish it, then switch "
					  "signing to it", rec);
			if (p->dkim.rotation_note != NULL)
				sk__audit_bprintf(x, &fix, " (%s)",
						  p->dkim.rotation_note);
		}
		if (pub->bits < min)
			sk__audit_add(x, AU_G_DKIM, "dkim-key-size", qname,
				      SK_CHECK_FAIL, SK_SEV_ERROR, REF_SIZE,
				      kev, fix.p, "the RSA key at %s has %u "
				      "bits, under the %u verifiers require",
				      qname, pub->bits, min);
		else if (pub->bits < rec)
			sk__audit_add(x, AU_G_DKIM, "dkim-key-size", qname,
				      SK_CHECK_FAIL, SK_SEV_WARNING, REF_SIZE,
				      kev, fix.p, "the RSA key at %s has %u "
				      "bits; %u are recommended", qname,
				      pub->bits, rec);
		else
			sk__audit_add(x, AU_G_DKIM, "dkim-key-size", qname,
				      SK_CHECK_PASS, SK_SEV_INFO, REF_SIZE,
				      kev, NULL, "the RSA key at %s has %u "
				      "bits", qname, pub->bits);
		valid = nerr == 0 && pub->bits >= min;
	}
	if (pub != NULL && pub->type != SK_DKIM_KEY_RSA && !pub->revoked &&
	    pub->bits > 0 && nerr == 0)
		valid = true;

	/* dkim-key-mismatch */
	sk__buf_reset(&fix);
	if (k->record == NULL) {
		sk__audit_add(x, AU_G_DKIM, "dkim-key-mismatch", qname,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "the config gives no key for selector %s",
			      k->selector);
	} else if (pub == NULL || pub->publen == 0) {
		sk__audit_add(x, AU_G_DKIM, "dkim-key-mismatch", qname,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "the published key cannot be read (see "
			      "dkim-key-invalid)");
	} else {
		st = sk_dkim_key_parse(k->record, strlen(k->record), &want,
				       NULL);
		if (sk__audit_oom(x, st))
			goto out;
		if (st != SK_OK) {
			sk__audit_add(x, AU_G_DKIM, "dkim-key-mismatch", qname,
				      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL,
				      NULL, "the config's key for %s does not "
				      "parse", k->selector);
		} else if (want->publen != pub->publen ||
			   memcmp(want->pub, pub->pub, pub->publen) != 0) {
			key_fix(x, &fix, d->name, k);
			mismatch = true;
			sk__audit_add(x, AU_G_DKIM, "dkim-key-mismatch", qname,
				      SK_CHECK_FAIL, SK_SEV_ERROR, src, ev.p,
				      fix.p, "the key published at %s is not "
				      "the one in the config: signatures "
				      "made with the configured key fail",
				      qname);
		} else {
			sk__audit_add(x, AU_G_DKIM, "dkim-key-mismatch", qname,
				      SK_CHECK_PASS, SK_SEV_INFO, src, NULL,
				      NULL, "the published key is the "
				      "configured one");
		}
	}
	check_ns(x, d, qname);
	/* The forecast rests on a valid published key; a key other than
	 * the configured one is reported by dkim-key-mismatch alone. */
	if (valid && (d->dkim != 1 || (d->dkim_mismatch && !mismatch))) {
		d->dkim = 1;
		d->dkim_mismatch = mismatch;
		sk__free(d->dkim_selector);
		d->dkim_selector = xdup(x, k->selector);
	}
	goto out;

rest_skip:
	{
		static const char *const ids[] = {
			"dkim-key-invalid", "dkim-key-size",
			"dkim-key-mismatch",
		};

		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
			sk__audit_add(x, AU_G_DKIM, ids[i], qname,
				      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL,
				      NULL, "no key record to check (see "
				      "dkim-selector-missing)");
		check_ns(x, d, qname);
	}
out:
	sk_dkim_key_free(pub);
	sk_dkim_key_free(want);
	sk_findings_free(f);
	sk_dns_answer_unref(a);
	sk__buf_free(&ev);
	sk__buf_free(&fix);
}

void
sk__audit_dkim(struct au_ctx *x, struct au_domain *d)
{
	const struct sk_profile *p = x->p;
	const struct sk_org_domain *cfg = d->cfg;
	const char *src = sk__audit_src(p->dkim.source, REF_KEY);
	const char *fb = sk__audit_src(p->dkim.fallback_d,
				       "the provider's own domain");
	struct sk_buf ev;

	if (cfg == NULL)
		return;
	sk__buf_init(&ev, AU_TEXT_MAX);
	if (cfg->ndkim == 0) {
		sk__audit_add(x, AU_G_DKIM, "dkim-no-selector", d->name,
			      SK_CHECK_FAIL, SK_SEV_ERROR, src,
			      "no dkim_selectors in the config", "add a DKIM "
			      "domain and selector in the provider's admin, "
			      "publish the key record it shows, and list the "
			      "selector in dkim_selectors",
			      "no DKIM selector for %s: the provider then "
			      "signs with d=%s, which never aligns with %s",
			      d->name, fb, d->name);
		return;
	}
	for (size_t i = 0; i < cfg->ndkim; i++)
		sk__audit_bprintf(x, &ev, "%s%s", i ? ", " : "selectors: ",
				  cfg->dkim[i].selector);
	sk__audit_add(x, AU_G_DKIM, "dkim-no-selector", d->name,
		      SK_CHECK_PASS, SK_SEV_INFO, src, ev.p, NULL,
		      "%zu DKIM selector%s configured for %s", cfg->ndkim,
		      cfg->ndkim == 1 ? "" : "s", d->name);
	sk__buf_free(&ev);
	for (size_t i = 0; i < cfg->ndkim && x->st == SK_OK; i++)
		check_selector(x, d, &cfg->dkim[i]);
}
