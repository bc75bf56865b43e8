/*
 * lib/audit/mx.c - MX of From domains (replies and autoresponders,
 * research F11.1, F11.3) and of branded return-path domains (bounces,
 * F10.1):
 *
 *   mx-missing / return-path-mx  no MX at all;
 *   mx-null                      a Null MX (RFC 7505 section 3): the
 *                                domain accepts no mail;
 *   mx-unresolvable              an MX host without A/AAAA (RFC 5321
 *                                section 5.1).
 * On a return-path domain the first is return-path-mx and the group is
 * "return-path".  A DNS failure is DNSFAIL, never "missing".
 */
#include <stdio.h>
#include <string.h>

#include "audit_internal.h"

#define REF_NULL "RFC 7505 section 3"
#define REF_ADDR "RFC 5321 section 5.1"

static void
mx_fix(struct au_ctx *x, const struct au_domain *d, struct sk_buf *fix)
{
	const struct sk_org_domain *cfg = d->cfg;

	if (d->is_rp) {
		if (x->c->return_path_mx != NULL)
			sk__audit_bprintf(x, fix, "%s. IN MX 10 %s.", d->name,
					  x->c->return_path_mx);
		else
			sk__audit_bprintf(x, fix, "%s. IN MX 10 <the "
					  "provider's return-path MX host> "
					  "(ask the provider's support; set "
					  "return_path_mx in [provider])",
					  d->name);
		return;
	}
	if (cfg != NULL && cfg->nmx > 0) {
		for (size_t i = 0; i < cfg->nmx; i++)
			sk__audit_bprintf(x, fix, "%s%s. IN MX %s.", i ? "; " :
					  "", d->name, cfg->mx[i]);
		return;
	}
	sk__audit_bprintf(x, fix, "%s. IN MX 10 <your mail server> (the "
			  "corporate MX, so replies reach people)", d->name);
}

/* mx-unresolvable over the exchanges of the answer. */
static void
check_hosts(struct au_ctx *x, const struct au_domain *d, const char *g,
	    const struct sk_dns_answer *mx)
{
	static const uint16_t types[] = { SK_DNS_A, SK_DNS_AAAA };
	struct sk_buf bad, tf;
	size_t nbad = 0, ntf = 0, nhosts = 0;

	sk__buf_init(&bad, AU_TEXT_MAX);
	sk__buf_init(&tf, AU_TEXT_MAX);
	for (size_t i = 0; i < mx->count && x->st == SK_OK; i++) {
		const char *h = mx->rr[i].u.mx.exchange;
		bool addr = false, failed = false;
		const char *why = "";

		if (mx->rr[i].type != SK_DNS_MX || h[0] == '\0')
			continue;
		nhosts++;
		for (size_t t = 0; t < 2 && !addr; t++) {
			const struct sk_dns_answer *a;
			enum sk_dns_status s = sk__audit_ask(x, h, types[t],
							      &a);

			if (s == SK_DNS_ANSWER)
				addr = true;
			if (s == SK_DNS_TEMPFAIL) {
				failed = true;
				why = t == 0 ? "A" : "AAAA";
			}
			sk_dns_answer_unref(a);
		}
		if (addr)
			continue;
		if (failed) {
			ntf++;
			sk__audit_bprintf(x, &tf, "%s%s (%s: DNS failed)",
					  ntf > 1 ? ", " : "", h, why);
		} else {
			nbad++;
			sk__audit_bprintf(x, &bad, "%s%s", nbad > 1 ? ", " : "",
					  h);
		}
	}
	if (nhosts == 0)
		sk__audit_add(x, g, "mx-unresolvable", d->name, SK_CHECK_SKIP,
			      SK_SEV_INFO, REF_ADDR, NULL, NULL,
			      "no MX host to resolve");
	else if (nbad > 0)
		sk__audit_add(x, g, "mx-unresolvable", d->name, SK_CHECK_FAIL,
			      SK_SEV_WARNING, REF_ADDR, bad.p, "give each MX "
			      "host an A or AAAA record, or point the MX to "
			      "a host that has one", "%zu MX host%s of %s "
			      "%s no address: mail for it cannot be "
			      "delivered there", nbad, nbad == 1 ? "" : "s",
			      d->name, nbad == 1 ? "has" : "have");
	else if (ntf > 0)
		sk__audit_add(x, g, "mx-unresolvable", d->name,
			      SK_CHECK_DNSFAIL, SK_SEV_INFO, REF_ADDR, tf.p,
			      NULL, "could not resolve %zu MX host%s of %s",
			      ntf, ntf == 1 ? "" : "s", d->name);
	else
		sk__audit_add(x, g, "mx-unresolvable", d->name, SK_CHECK_PASS,
			      SK_SEV_INFO, REF_ADDR, NULL, NULL,
			      "every MX host of %s has an address", d->name);
	sk__buf_free(&bad);
	sk__buf_free(&tf);
}

void
sk__audit_mx(struct au_ctx *x, struct au_domain *d)
{
	const struct sk_profile *p = x->p;
	const char *g = d->is_rp ? AU_G_RP : AU_G_MX;
	const char *id = d->is_rp ? "return-path-mx" : "mx-missing";
	const char *src = d->is_rp ?
		sk__audit_src(p->envelope.source, p->docs_url) :
		sk__audit_src(p->mx.source, p->docs_url);
	const struct sk_dns_answer *a = NULL;
	struct sk_buf ev, fix;
	enum sk_dns_status s;
	bool null = false;

	sk__buf_init(&ev, AU_TEXT_MAX);
	sk__buf_init(&fix, AU_TEXT_MAX);
	if (!d->is_rp && !p->mx.required_on_from_domain) {
		sk__audit_add(x, g, id, d->name, SK_CHECK_SKIP, SK_SEV_INFO,
			      src, NULL, NULL, "the profile does not ask for "
			      "MX on From domains");
		goto out;
	}
	s = sk__audit_ask(x, d->name, SK_DNS_MX, &a);
	for (size_t i = 0; a != NULL && s == SK_DNS_ANSWER && i < a->count;
	     i++) {
		if (a->rr[i].type != SK_DNS_MX)
			continue;
		sk__audit_bprintf(x, &ev, "%s", ev.len ? ", " : "");
		sk__audit_rr_str(x, &ev, &a->rr[i]);
		if (a->rr[i].u.mx.exchange[0] == '\0')
			null = true;
	}
	if (s != SK_DNS_ANSWER)
		sk__audit_bprintf(x, &ev, "%s: %s", d->name,
				  s == SK_DNS_TEMPFAIL ? sk__audit_why(a) :
				  s == SK_DNS_NXDOMAIN ? "NXDOMAIN" :
				  "no MX records");
	if (s == SK_DNS_TEMPFAIL) {
		sk__audit_add(x, g, id, d->name, SK_CHECK_DNSFAIL,
			      SK_SEV_INFO, src, ev.p, NULL, "could not look up "
			      "the MX of %s: DNS failed", d->name);
		sk__audit_add(x, g, "mx-null", d->name, SK_CHECK_SKIP,
			      SK_SEV_INFO, REF_NULL, NULL, NULL,
			      "the MX records could not be read");
		sk__audit_add(x, g, "mx-unresolvable", d->name, SK_CHECK_SKIP,
			      SK_SEV_INFO, REF_ADDR, NULL, NULL,
			      "the MX records could not be read");
		goto out;
	}
	if (s != SK_DNS_ANSWER) {
		mx_fix(x, d, &fix);
		sk__audit_add(x, g, id, d->name, SK_CHECK_FAIL, SK_SEV_ERROR,
			      src, ev.p, fix.p, "%s has no MX record: %s",
			      d->name, d->is_rp ? "bounces to the branded "
			      "return-path cannot come back to the provider" :
			      "replies and autoresponders cannot reach the "
			      "sender");
		sk__audit_add(x, g, "mx-null", d->name, SK_CHECK_SKIP,
			      SK_SEV_INFO, REF_NULL, NULL, NULL,
			      "no MX records");
		sk__audit_add(x, g, "mx-unresolvable", d->name, SK_CHECK_SKIP,
			      SK_SEV_INFO, REF_ADDR, NULL, NULL,
			      "no MX records");
		goto out;
	}
	sk__audit_add(x, g, id, d->name, SK_CHECK_PASS, SK_SEV_INFO, src,
		      ev.p, NULL, "%s publishes MX", d->name);
	if (null) {
		mx_fix(x, d, &fix);
		sk__audit_bprintf(x, &fix, " (and delete the Null MX)");
		sk__audit_add(x, g, "mx-null", d->name, SK_CHECK_FAIL,
			      SK_SEV_ERROR, REF_NULL, ev.p, fix.p,
			      "%s publishes a Null MX (\"0 .\"): it accepts "
			      "no mail, so %s are refused", d->name,
			      d->is_rp ? "bounces" : "replies");
	} else {
		sk__audit_add(x, g, "mx-null", d->name, SK_CHECK_PASS,
			      SK_SEV_INFO, REF_NULL, NULL, NULL,
			      "no Null MX");
	}
	check_hosts(x, d, g, a);
out:
	sk_dns_answer_unref(a);
	sk__buf_free(&ev);
	sk__buf_free(&fix);
}
