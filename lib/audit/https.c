/*
 * lib/audit/https.c - the "https" group: HTTPS, HSTS and CAA of the
 * config's landing and tracking hosts through sk_https_check (lib/https),
 * with the profile's tls_note as the fix and its caa_allow as the CAs CAA
 * must allow.
 *
 * Only the branded host names are judged, never the provider's CNAME
 * target (Marketo research F3.3, MKTO-LP-005: https://<account>.
 * mktoweb.com is expected to fail).  Runs with opts.check_https only
 * (off in the library; senderkit audit sets it in live mode unless
 * --no-https): probes connect to the hosts' addresses (or the connect-to
 * mappings); with opts.https_no_probe, CAA only.
 */
#include <string.h>

#include <senderkit/https.h>

#include "audit_internal.h"

static void
one_host(struct au_ctx *x, const struct sk_profile_host *ph,
	 const char *host)
{
	struct sk_https_opts o;
	struct sk_https_report *rep = NULL;
	struct sk_err err;
	sk_status st;

	memset(&o, 0, sizeof(o));
	o.now = x->now;
	o.timeout_ms = x->o.https_timeout_ms;
	o.ca_file = x->o.https_ca_file;
	o.connect_to = x->o.https_connect_to;
	o.nconnect_to = x->o.nhttps_connect_to;
	o.preload = x->o.hsts_preload;
	o.psl_path = x->o.psl_path;
	o.role = ph->role;
	o.tls_note = ph->tls_note;
	o.caa_allow = ph->caa_allow;
	o.ncaa_allow = ph->ncaa_allow;
	o.no_probe = x->o.https_no_probe;
	sk_err_clear(&err);
	st = sk_https_check(x->r, host, &o, &rep, &err);
	if (sk__audit_oom(x, st))
		return;
	if (st != SK_OK) {
		sk__audit_add(x, AU_G_HTTPS, "https-available", host,
			      SK_CHECK_SKIP, SK_SEV_INFO, "", "", "",
			      "HTTPS not checked: %s", err.msg);
		return;
	}
	for (size_t i = 0; i < sk_https_report_count(rep); i++) {
		const struct sk_check *c = sk_https_report_get(rep, i);

		sk__audit_add(x, AU_G_HTTPS, c->id, c->subject, c->status,
			      c->severity, c->source, c->evidence, c->fix,
			      "%s", c->message);
	}
	sk_https_report_free(rep);
}

void
sk__audit_https(struct au_ctx *x)
{
	const struct sk_org_config *c = x->c;

	if (!x->o.check_https)
		return;
	for (size_t i = 0; i < x->p->nhosts && x->st == SK_OK; i++) {
		const struct sk_profile_host *ph = &x->p->hosts[i];
		const char *host = NULL;

		if (strcmp(ph->config_key, "landing_host") == 0)
			host = c->landing_host;
		else if (strcmp(ph->config_key, "tracking_host") == 0)
			host = c->tracking_host;
		if (host == NULL || host[0] == '\0')
			continue;
		one_host(x, ph, host);
	}
}
