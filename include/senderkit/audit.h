/*
 * senderkit/audit.h - what is published, checked against what a provider
 * profile and an organization config need, with the exact fix.
 *
 * sk_audit_run() runs every check that applies and records each outcome,
 * passing ones included, so a report can show what is right as well as
 * what is wrong.  Each check has a stable id (listed below and in
 * senderkit-audit(1)), a severity for when it fails, a message, the
 * evidence seen in DNS, the exact fix, and the source of the rule.
 *
 * A check that could not look because DNS failed (timeout, SERVFAIL) ends
 * SK_CHECK_DNSFAIL: it is never reported as "record missing".
 *
 * Check ids (subject in parentheses):
 *   input-format           provider input not matching the profile (input)
 *   profile-stale          a profile list older than max_age_days (list)
 *   profile-spf-drift      profile sending blocks vs the provider's live
 *                          SPF (list)
 *   host-cname-target      landing/tracking CNAME points elsewhere (host)
 *   host-cname-missing     no CNAME at the host (host)
 *   host-cname-apex        host is a zone apex: a CNAME cannot be there
 *   host-cname-exclusive   other data beside the CNAME (RFC 1034 3.6.2)
 *   host-distinct          landing and tracking hosts are the same
 *   host-name-avoid        host name starts with a prefix filters flag
 *   spf-missing            no SPF record
 *   spf-multiple           more than one SPF record (RFC 7208 4.5)
 *   spf-syntax             the record does not parse (permerror)
 *   spf-include-space      "include: domain" pasted with a space
 *   spf-include-broken     an include/redirect target without one usable
 *                          record, or a loop: permerror when reached
 *   spf-include-missing    provider include absent (direct or nested)
 *   spf-include-unneeded   include on a From domain that SPF never
 *                          checks for provider mail (shared IPs)
 *   spf-lookups            over 10 DNS-querying terms (RFC 7208 4.6.4)
 *   spf-void-lookups       over 2 void lookups
 *   spf-all                ends in +all/?all, or no all/redirect
 *   spf-sending-ip         a sample IP of a provider block does not pass
 *   dkim-selector-missing  no key record at SEL._domainkey.DOMAIN
 *   dkim-no-selector       a From domain without any selector configured:
 *                          the provider signs with its own d=, which
 *                          never aligns
 *   dkim-key-invalid       the key record has errors (revoked, bad base64)
 *   dkim-key-size          RSA key under the recommended size
 *   dkim-key-mismatch      published key differs from the configured one
 *   dkim-ns-disagree       authoritative nameservers answer differently
 *   dmarc-missing          no DMARC record for the From domain
 *   dmarc-invalid          the record has errors
 *   dmarc-stage            published p/pct differ from the config's stage
 *   dmarc-aspf-strict      aspf=s: strict SPF alignment, unsupported by the
 *                          provider
 *   dmarc-rua-missing      no aggregate reports requested
 *   dmarc-rua-unauthorized external rua/ruf without the authorization
 *                          record (RFC 7489 7.1)
 *   dmarc-ruf-privacy      ruf= present: failure reports carry PII
 *   dmarc-sp-inherited     a sending subdomain inherits an enforcing sp=
 *   dmarc-forecast         will provider mail pass DMARC, through which
 *                          identifier
 *   return-path-spf        branded return-path without SPF covering the
 *                          provider
 *   return-path-all        branded return-path SPF not ending in -all
 *   return-path-mx         branded return-path without MX
 *   mx-missing             no MX for replies
 *   mx-null                Null MX (RFC 7505): replies are refused
 *   mx-unresolvable        an MX host without A/AAAA
 *   ip-mode                volume vs the profile's pool thresholds
 *   https-available        no TLS on the landing/tracking host (host)
 *   https-cert-trusted     certificate chain not trusted, self-signed
 *   https-cert-name        certificate does not cover the host
 *   https-cert-expiry      expired, or expiring within 30 days
 *   https-http             plain HTTP does not redirect to HTTPS (info)
 *   hsts-host              malformed STS header, or STS without a valid
 *                          certificate
 *   hsts-parent            the registrable parent sends HSTS with
 *                          includeSubDomains and the host has no valid
 *                          certificate
 *   hsts-preload           HSTS-preloaded (list given) or the parent asks
 *                          for preload, and no valid certificate
 *   caa-issuer             CAA does not allow the profile's CAs (or, with
 *                          none in the profile, asks to confirm)
 *   (the https-* / hsts-* / caa-* checks run with opts.check_https only;
 *   senderkit-https(1) describes them)
 *
 * One problem, one failing check: where a broken record could be reported
 * under several ids, only the specific one fails and the checks that
 * would read the unusable record are SKIP:
 *   - no SPF record, several, or one that does not parse: spf-missing,
 *     spf-multiple or spf-syntax (spf-include-space when the blank after
 *     "include:" is the syntax error); the other SPF checks of the domain
 *     are SKIP.  spf-sending-ip is SKIP when the policy ends in permerror
 *     for a reason already failing (spf-lookups, spf-void-lookups,
 *     spf-include-broken);
 *   - on a branded return-path domain return-path-spf stands for
 *     spf-include-missing, return-path-all for spf-all and return-path-mx
 *     for mx-missing; its checks are all in the "return-path" group;
 *   - spf-include-missing (a warning on a From domain) and
 *     spf-include-unneeded (info) are each other's converse: the first
 *     when the provider's guides' include is absent, the second when it
 *     spends a lookup SPF never uses for provider mail (the Return-Path
 *     is the provider's domain or a branded return-path);
 *   - the DMARC record checks (dmarc-invalid, -aspf-strict, -rua-missing,
 *     -rua-unauthorized, -ruf-privacy) run once per domain that holds a
 *     record, with that domain as subject; a From subdomain inheriting
 *     it gets dmarc-missing, -stage, -sp-inherited and -forecast only;
 *     dmarc-stage is SKIP when dmarc-sp-inherited fails;
 *   - dmarc-forecast rests on a valid published key (dkim-key-mismatch
 *     alone reports a key other than the configured one);
 *   - a failed DNS question makes the check that asked it DNSFAIL; the
 *     checks depending on its answer are SKIP.
 * Subjects: the input or list name (provider group), the host, the
 * domain, or SEL._domainkey.DOMAIN for the per-selector DKIM checks.
 */
#ifndef SENDERKIT_AUDIT_H
#define SENDERKIT_AUDIT_H

#include <time.h>

#include <senderkit/common.h>
#include <senderkit/dns.h>
#include <senderkit/profile.h>

#ifdef __cplusplus
extern "C" {
#endif

enum sk_check_status {
	SK_CHECK_PASS = 0,
	SK_CHECK_FAIL,    /* see severity */
	SK_CHECK_SKIP,    /* did not apply, or needs what is not available
	                     (e.g. per-NS queries in offline mode) */
	SK_CHECK_DNSFAIL, /* could not look: DNS failed */
};

/* "pass", "fail", "skip", "dnsfail". */
SK_API const char *
sk_check_status_str(enum sk_check_status s);

/* One check outcome.  Strings owned by the audit; never NULL ("" when
 * not applicable). */
struct sk_check {
	const char *id;
	enum sk_check_status status;
	enum sk_severity severity; /* meaningful for FAIL; INFO otherwise */
	const char *subject;  /* the domain or host checked */
	const char *group;    /* report section: "provider", "hosts", "spf",
	                         "dkim", "dmarc", "mx", "return-path",
	                         "https" */
	const char *message;  /* one sentence */
	const char *evidence; /* what DNS said, e.g. the record seen, or "" */
	const char *fix;      /* exact fix: a record to publish or change */
	const char *source;   /* RFC section or provider document URL */
};

struct sk_audit_opts {
	time_t now;             /* 0: time(NULL) */
	unsigned max_age_days;  /* profile-stale threshold; 0: 180 */
	/* DKIM selectors are asked of every authoritative nameserver of the
	 * domain when the profile says all must agree and this is true (the
	 * live backend); with zone files set it false: the check is SKIP. */
	bool query_each_ns;
	unsigned ns_port;       /* port of the direct NS queries; 0: 53 */
	unsigned ns_timeout_ms; /* 0: 2000 */
	/* Compare the profile's sending blocks with the live SPF of the
	 * list's spf_domain (profile-spf-drift). */
	bool check_spf_drift;
	const char *psl_path;   /* public suffix list file; NULL: libpsl's
	                           built-in list */
	/* HTTPS, HSTS and CAA of the config's landing and tracking hosts
	 * (sk_https_check; group "https"), never of the provider's target.
	 * Off by default: probes connect to the hosts' addresses. */
	bool check_https;
	bool https_no_probe;    /* CAA only, probes SKIP (zone files) */
	const char *const *https_connect_to; /* see struct sk_https_opts */
	size_t nhttps_connect_to;
	const char *https_ca_file;  /* NULL: the system CA store */
	const struct sk_hsts_preload *hsts_preload; /* NULL: none */
	unsigned https_timeout_ms;  /* 0: 5000 */
};

struct sk_audit;
struct sk_hsts_preload; /* senderkit/https.h */

/*
 * Run the audit of one organization.  A DNS failure is a check outcome,
 * not an error; the function fails only on invalid arguments or memory.
 */
SK_API SK_WARN_UNUSED sk_status
sk_audit_run(struct sk_resolver *r, const struct sk_profile *p,
	     const struct sk_org_config *c, const struct sk_audit_opts *opts,
	     struct sk_audit **out, struct sk_err *err);

/* Free an audit.  Accepts NULL. */
SK_API void
sk_audit_free(struct sk_audit *a);

/* Checks in report order: by group, subject, then the order run. */
SK_API size_t
sk_audit_count(const struct sk_audit *a);
SK_API const struct sk_check *
sk_audit_get(const struct sk_audit *a, size_t i);

/* Highest severity among FAIL checks, or -1 when none failed. */
SK_API int
sk_audit_max_severity(const struct sk_audit *a);

/* Number of checks with the given status. */
SK_API size_t
sk_audit_nstatus(const struct sk_audit *a, enum sk_check_status s);

#ifdef __cplusplus
}
#endif

#endif /* SENDERKIT_AUDIT_H */
