/*
 * lib/https/check.c - one host's HTTPS, HSTS and CAA, judged.
 *
 *   RFC 8659 section 3    the relevant CAA RRset: the first non-empty one
 *                         walking from the host towards the root (CNAMEs
 *                         are followed by the resolver, as CAs do);
 *   RFC 8659 section 4.2  "issue" names the CAs that may issue; an issue
 *                         property of ";" allows none; issuewild only
 *                         matters for wildcard names;
 *   RFC 6797 section 8.1  HSTS with includeSubDomains on the parent covers
 *                         the host (F6.5 of the Marketo research: an
 *                         unsecured landing or tracking host then fails
 *                         in browsers);
 *   hstspreload.org       preloaded parents force HTTPS on every name
 *                         below them, even for first visits (F6.6).
 *
 * Check ids (senderkit-https(1)): https-available, https-cert-trusted,
 * https-cert-name, https-cert-expiry, https-http, hsts-host, hsts-parent,
 * hsts-preload, caa-issuer.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <senderkit/dmarc.h>

#include "https/https_internal.h"

#define SRC_TLS "RFC 5280 section 6; RFC 6125 section 6"
#define SRC_HSTS "RFC 6797 section 8.1; https://nation.marketo.com/t5/" \
	"Knowledgebase/SSL-The-HSTS-policy-and-your-Marketo-subdomains/" \
	"ta-p/250244"
#define SRC_PRELOAD "https://hstspreload.org/"
#define SRC_CAA "RFC 8659 sections 3 and 4.2"
#define G_HTTPS "https"

/* --------------------------------------------------------------- pool */

static const char *
pool_keep(struct sk_https_report *rep, char *s)
{
	if (s == NULL) {
		rep->st = SK_ENOMEM;
		return "";
	}
	if (rep->npool == rep->apool) {
		char **nv = sk__grow(rep->pool, &rep->apool, sizeof(*nv), 32);

		if (nv == NULL) {
			sk__free(s);
			rep->st = SK_ENOMEM;
			return "";
		}
		rep->pool = nv;
	}
	rep->pool[rep->npool++] = s;
	return s;
}

const char *
sk__https_dup(struct sk_https_report *rep, const char *s)
{
	if (s == NULL || s[0] == '\0' || rep->st != SK_OK)
		return "";
	return pool_keep(rep, sk__strdup(s));
}

const char *
sk__https_printf(struct sk_https_report *rep, const char *fmt, ...)
{
	char buf[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	return sk__https_dup(rep, buf);
}

static void SK_PRINTF(8, 9)
add(struct sk_https_report *rep, const char *id, const char *host,
    enum sk_check_status status, enum sk_severity sev, const char *source,
    const char *evidence, const char *fmt, ...)
{
	char msg[2048];
	struct sk_check *c;
	va_list ap;

	if (rep->st != SK_OK)
		return;
	if (rep->nchecks == rep->achecks) {
		struct sk_check *nv = sk__grow(rep->checks, &rep->achecks,
					       sizeof(*nv), 16);

		if (nv == NULL) {
			rep->st = SK_ENOMEM;
			return;
		}
		rep->checks = nv;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	c = &rep->checks[rep->nchecks];
	memset(c, 0, sizeof(*c));
	c->id = id;
	c->status = status;
	c->severity = status == SK_CHECK_FAIL ? sev : SK_SEV_INFO;
	c->group = G_HTTPS;
	c->subject = sk__https_dup(rep, host);
	c->message = sk__https_dup(rep, msg);
	c->evidence = sk__https_dup(rep, evidence);
	c->fix = "";
	c->source = source;
	rep->nchecks++;
}

/* The fix of the last check added. */
static void
set_fix(struct sk_https_report *rep, const char *fix)
{
	if (rep->st == SK_OK && rep->nchecks > 0)
		rep->checks[rep->nchecks - 1].fix = sk__https_dup(rep, fix);
}

/* --------------------------------------------------------- addresses */

/* "ADDR:PORT" with ADDR a literal IP, "[v6]" for IPv6. */
static bool
parse_target(const char *s, size_t n, struct hx_addr *a)
{
	unsigned char tmp[16];
	const char *colon;
	size_t alen;
	unsigned long port;

	if (n > 0 && s[0] == '[') {
		const char *rb = memchr(s, ']', n);

		if (rb == NULL || rb + 1 >= s + n || rb[1] != ':')
			return false;
		alen = (size_t)(rb - s - 1);
		if (alen == 0 || alen >= sizeof(a->ip))
			return false;
		memcpy(a->ip, s + 1, alen);
		a->ip[alen] = '\0';
		colon = rb + 1;
		if (inet_pton(AF_INET6, a->ip, tmp) != 1)
			return false;
	} else {
		colon = memchr(s, ':', n);
		if (colon == NULL)
			return false;
		alen = (size_t)(colon - s);
		if (alen == 0 || alen >= sizeof(a->ip))
			return false;
		memcpy(a->ip, s, alen);
		a->ip[alen] = '\0';
		if (inet_pton(AF_INET, a->ip, tmp) != 1)
			return false;
	}
	if (!sk__parse_uint(colon + 1, (size_t)(s + n - colon - 1), 65535,
			    &port) || port == 0)
		return false;
	a->port = (unsigned)port;
	return true;
}

/* Match one connect-to mapping; 1 matched (*a set), 0 not, -1 bad. */
static int
map_one(const char *m, const char *host, unsigned port, struct hx_addr *a)
{
	const char *c1, *c2;
	size_t n = strlen(m);
	unsigned long mp = 0;
	bool anyport;

	c1 = strchr(m, ':');
	if (c1 == NULL)
		return -1;
	c2 = strchr(c1 + 1, ':');
	if (c2 == NULL || m[0] == '[') {
		/* "IP:PORT": port 443 of every host. */
		if (!parse_target(m, n, a))
			return -1;
		return port == 443;
	}
	anyport = c2 == c1 + 1;
	if (!anyport && !sk__parse_uint(c1 + 1, (size_t)(c2 - c1 - 1), 65535,
					&mp))
		return -1;
	if (!parse_target(c2 + 1, strlen(c2 + 1), a))
		return -1;
	if (c1 != m && !sk__eq_nocase(m, (size_t)(c1 - m), host,
				      strlen(host)))
		return 0;
	return anyport || mp == port;
}

static int
map_lookup(const struct sk_https_opts *o, const char *host, unsigned port,
	   struct hx_addr *a)
{
	for (size_t i = 0; i < o->nconnect_to; i++) {
		int r = map_one(o->connect_to[i], host, port, a);

		if (r != 0)
			return r;
	}
	return 0;
}

/* The first A (then AAAA) address of host. */
static enum sk_dns_status
resolve(struct sk_https_report *rep, struct sk_resolver *r,
	const char *host, struct hx_addr *a, const char **why)
{
	static const uint16_t types[] = { SK_DNS_A, SK_DNS_AAAA };
	enum sk_dns_status last = SK_DNS_NXDOMAIN;

	*why = "";
	if (r == NULL) {
		*why = "no resolver and no --connect-to mapping";
		return SK_DNS_NODATA;
	}
	for (size_t t = 0; t < 2; t++) {
		const struct sk_dns_answer *ans = NULL;
		sk_status st = sk_dns_resolve(r, host, types[t], &ans, NULL);

		if (st == SK_ENOMEM) {
			rep->st = st;
			return SK_DNS_TEMPFAIL;
		}
		if (st != SK_OK)
			continue;
		if (ans->status == SK_DNS_ANSWER) {
			for (size_t i = 0; i < ans->count; i++) {
				const struct sk_dns_rr *rr = &ans->rr[i];

				if (rr->type != types[t])
					continue;
				inet_ntop(t == 0 ? AF_INET : AF_INET6,
					  t == 0 ? (const void *)rr->u.a :
					  (const void *)rr->u.aaaa, a->ip,
					  sizeof(a->ip));
				sk_dns_answer_unref(ans);
				return SK_DNS_ANSWER;
			}
		}
		if (ans->status == SK_DNS_TEMPFAIL) {
			*why = sk__https_dup(rep, ans->why);
			last = SK_DNS_TEMPFAIL;
		} else if (last != SK_DNS_TEMPFAIL) {
			last = ans->status;
		}
		sk_dns_answer_unref(ans);
	}
	return last;
}

static void
probe(struct sk_https_report *rep, struct sk_https_probe *pr,
      struct sk_resolver *r, const char *host,
      const struct sk_https_opts *o, time_t now)
{
	struct hx_addr sa, ha, ra;
	bool have_s, have_h;
	const char *why = "";

	pr->host = sk__https_dup(rep, host);
	have_s = map_lookup(o, host, 443, &sa) == 1;
	have_h = map_lookup(o, host, 80, &ha) == 1;
	if (!have_s || !have_h) {
		enum sk_dns_status ds = SK_DNS_NODATA;

		memset(&ra, 0, sizeof(ra));
		if (r != NULL || o->nconnect_to == 0)
			ds = resolve(rep, r, host, &ra, &why);
		if (ds == SK_DNS_ANSWER) {
			if (!have_s) {
				sa = ra;
				sa.port = 443;
				have_s = true;
			}
			if (!have_h) {
				ha = ra;
				ha.port = 80;
				have_h = true;
			}
		} else if (!have_s) {
			pr->tls_error = ds == SK_DNS_TEMPFAIL ?
				sk__https_printf(rep, "DNS failed for %s: %s",
						 host, why[0] ? why :
						 "temporary failure") :
				why[0] != '\0' ? why :
				sk__https_printf(rep, "%s has no address "
						 "(%s)", host,
						 sk_dns_status_str(ds));
			return;
		}
	}
	sk__https_tls(rep, pr, host, &sa, o, now);
	sk__https_http(rep, pr, host, pr->tls ? &sa : NULL,
		       have_h ? &ha : NULL, o);
}

/* ---------------------------------------------------------------- CAA */

/* The domain of an issue value "ca.example; key=value" (RFC 8659
 * section 4.2: issuer-domain-name, then parameters). */
static void
issuer_of(const char *v, char *out, size_t outsz)
{
	size_t i = 0, k = 0;

	while (v[i] == ' ' || v[i] == '\t')
		i++;
	while (v[i] != '\0' && v[i] != ';' && v[i] != ' ' && v[i] != '\t' &&
	       k + 1 < outsz)
		out[k++] = sk__lower(v[i++]);
	out[k] = '\0';
}

static void
caa_walk(struct sk_https_report *rep, struct sk_resolver *r,
	 const char *host)
{
	struct sk_https_caa *caa = &rep->caa;
	const char *name = host;

	caa->status = SK_DNS_NXDOMAIN;
	while (name != NULL && name[0] != '\0') {
		const struct sk_dns_answer *ans = NULL;
		struct sk_buf recs, iss;
		sk_status st = sk_dns_resolve(r, name, SK_DNS_CAA, &ans,
					      NULL);

		if (st == SK_ENOMEM) {
			rep->st = st;
			return;
		}
		if (st == SK_OK && ans->status == SK_DNS_TEMPFAIL) {
			caa->status = SK_DNS_TEMPFAIL;
			caa->owner = sk__https_dup(rep, name);
			caa->why = sk__https_dup(rep, ans->why);
			sk_dns_answer_unref(ans);
			return;
		}
		if (st == SK_OK && ans->status == SK_DNS_ANSWER &&
		    ans->count > 0) {
			sk__buf_init(&recs, HX_TEXT_MAX);
			sk__buf_init(&iss, HX_TEXT_MAX);
			for (size_t i = 0; i < ans->count; i++) {
				const struct sk_dns_rr *rr = &ans->rr[i];
				char d[SK_DNS_MAX_NAME + 1];

				if (rr->type != SK_DNS_CAA)
					continue;
				(void)sk__buf_printf(&recs, "%s%u %s \"%s\"",
						     recs.len ? "; " : "",
						     rr->u.caa.flags,
						     rr->u.caa.tag,
						     rr->u.caa.value);
				if (strcasecmp(rr->u.caa.tag, "issue") != 0)
					continue;
				caa->restricts = true;
				issuer_of(rr->u.caa.value, d, sizeof(d));
				(void)sk__buf_printf(&iss, "%s%s",
						     iss.len ? ", " : "",
						     d[0] ? d : ";");
			}
			caa->status = SK_DNS_ANSWER;
			caa->owner = sk__https_dup(rep, ans->cname != NULL &&
						   ans->cname[0] ? ans->cname :
						   name);
			caa->records = sk__https_dup(rep, recs.p);
			caa->issuers = sk__https_dup(rep, iss.p);
			sk__buf_free(&recs);
			sk__buf_free(&iss);
			sk_dns_answer_unref(ans);
			return;
		}
		if (st == SK_OK)
			sk_dns_answer_unref(ans);
		name = strchr(name, '.');
		if (name != NULL)
			name++;
	}
}

/* -------------------------------------------------------------- judge */

struct judge {
	const char *host;
	const struct sk_https_opts *o;
	const char *product;   /* "Secured Domains for Tracking Links" */
	const char *what;      /* "tracking links" */
	bool valid;            /* the host serves a valid certificate */
	const char *fix;       /* how to get one */
};

static void judge_expiry(struct sk_https_report *rep, struct judge *j);
static void judge_http(struct sk_https_report *rep, struct judge *j);

static void
judge_tls(struct sk_https_report *rep, struct judge *j)
{
	const struct sk_https_probe *h = &rep->host;
	const char *host = j->host;
	char ev[1024];

	if (j->o->no_probe) {
		static const char *const ids[] = { "https-available",
			"https-cert-trusted", "https-cert-name",
			"https-cert-expiry", "https-http", "hsts-host" };

		for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++)
			add(rep, ids[i], host, SK_CHECK_SKIP, SK_SEV_INFO,
			    i < 4 ? SRC_TLS : SRC_HSTS, "",
			    "not probed (offline: zone files)");
		return;
	}
	if (!h->tls) {
		add(rep, "https-available", host, h->probed ? SK_CHECK_FAIL :
		    SK_CHECK_SKIP, SK_SEV_WARNING, SRC_TLS, h->tls_error,
		    h->probed ? "no HTTPS on %s: %s are HTTP-only" :
		    "%s not probed: no address%s", host,
		    h->probed ? j->what : "");
		if (h->probed)
			set_fix(rep, j->fix);
		add(rep, "https-cert-trusted", host, SK_CHECK_SKIP,
		    SK_SEV_INFO, SRC_TLS, "", "no certificate to check");
		add(rep, "https-cert-name", host, SK_CHECK_SKIP, SK_SEV_INFO,
		    SRC_TLS, "", "no certificate to check");
		add(rep, "https-cert-expiry", host, SK_CHECK_SKIP,
		    SK_SEV_INFO, SRC_TLS, "", "no certificate to check");
	} else {
		add(rep, "https-available", host, SK_CHECK_PASS, SK_SEV_INFO,
		    SRC_TLS, h->address, "%s answers TLS on %s", host,
		    h->address);
		snprintf(ev, sizeof(ev), "subject %s; issuer %s", h->subject,
			 h->issuer);
		if (h->trusted)
			add(rep, "https-cert-trusted", host, SK_CHECK_PASS,
			    SK_SEV_INFO, SRC_TLS, ev, "the certificate "
			    "chain of %s is trusted", host);
		else if (h->self_signed)
			add(rep, "https-cert-trusted", host, SK_CHECK_FAIL,
			    SK_SEV_ERROR, SRC_TLS, ev, "the certificate of "
			    "%s is self-signed: browsers refuse it", host);
		else
			add(rep, "https-cert-trusted", host, SK_CHECK_FAIL,
			    SK_SEV_ERROR, SRC_TLS, ev, "the certificate of "
			    "%s is not trusted: %s", host, h->verify_error);
		if (!h->trusted)
			set_fix(rep, j->fix);
		snprintf(ev, sizeof(ev), "names: %s; subject %s",
			 h->names[0] ? h->names : "(no DNS names)",
			 h->subject);
		if (h->name_ok) {
			add(rep, "https-cert-name", host, SK_CHECK_PASS,
			    SK_SEV_INFO, SRC_TLS, ev, "the certificate "
			    "covers %s", host);
		} else {
			add(rep, "https-cert-name", host, SK_CHECK_FAIL,
			    SK_SEV_ERROR, SRC_TLS, ev, "certificate does not "
			    "cover %s", host);
			set_fix(rep, j->fix);
		}
		judge_expiry(rep, j);
	}
	judge_http(rep, j);
}

static void
judge_expiry(struct sk_https_report *rep, struct judge *j)
{
	const struct sk_https_probe *h = &rep->host;
	char ev[128], exp[32];
	struct tm tm;

	exp[0] = '\0';
	if (gmtime_r(&h->not_after, &tm) != NULL)
		strftime(exp, sizeof(exp), "%Y-%m-%d %H:%M:%S UTC", &tm);
	snprintf(ev, sizeof(ev), "notAfter %s", exp);
	if (h->not_before > j->o->now) {
		add(rep, "https-cert-expiry", j->host, SK_CHECK_FAIL,
		    SK_SEV_ERROR, SRC_TLS, ev, "the certificate of %s is not "
		    "valid yet", j->host);
		set_fix(rep, j->fix);
	} else if (h->expired) {
		long ago = (long)((j->o->now - h->not_after) / 86400);

		if (ago == 0)
			add(rep, "https-cert-expiry", j->host, SK_CHECK_FAIL,
			    SK_SEV_ERROR, SRC_TLS, ev, "certificate of %s "
			    "expired less than a day ago", j->host);
		else
			add(rep, "https-cert-expiry", j->host, SK_CHECK_FAIL,
			    SK_SEV_ERROR, SRC_TLS, ev, "certificate of %s "
			    "expired %ld day%s ago", j->host, ago,
			    ago == 1 ? "" : "s");
		set_fix(rep, j->fix);
	} else if (h->days_left < SK_HTTPS_EXPIRY_WARN_DAYS) {
		add(rep, "https-cert-expiry", j->host, SK_CHECK_FAIL,
		    SK_SEV_WARNING, SRC_TLS, ev, "certificate expires in %ld "
		    "day%s", h->days_left, h->days_left == 1 ? "" : "s");
		set_fix(rep, "Renew the certificate; provider-managed "
			"certificates renew automatically: ask the provider's "
			"support when it does not happen.");
	} else {
		add(rep, "https-cert-expiry", j->host, SK_CHECK_PASS,
		    SK_SEV_INFO, SRC_TLS, ev, "the certificate is valid for "
		    "%ld more days", h->days_left);
	}
}

static void
judge_http(struct sk_https_report *rep, struct judge *j)
{
	const struct sk_https_probe *h = &rep->host;
	char ev[1024];

	/* Plain HTTP: information (tracking hosts redirect anywhere). */
	if (!h->http_ok) {
		add(rep, "https-http", j->host, SK_CHECK_SKIP, SK_SEV_INFO,
		    SRC_HSTS, h->http_error, "no answer over plain HTTP");
	} else if (h->http_to_https) {
		snprintf(ev, sizeof(ev), "HTTP %d, Location: %s",
			 h->http_status, h->http_location);
		add(rep, "https-http", j->host, SK_CHECK_PASS, SK_SEV_INFO,
		    SRC_HSTS, ev, "plain HTTP redirects to HTTPS");
	} else if (h->http_status >= 300 && h->http_status < 400) {
		snprintf(ev, sizeof(ev), "HTTP %d, Location: %s",
			 h->http_status, h->http_location);
		add(rep, "https-http", j->host, SK_CHECK_FAIL, SK_SEV_INFO,
		    SRC_HSTS, ev, "plain HTTP redirects, not to HTTPS");
	} else {
		snprintf(ev, sizeof(ev), "HTTP %d", h->http_status);
		add(rep, "https-http", j->host, SK_CHECK_FAIL, SK_SEV_INFO,
		    SRC_HSTS, ev, "plain HTTP serves pages without "
		    "redirecting to HTTPS");
	}
	/* MKTO-HSTS-003: an STS header needs a valid certificate. */
	if (!h->https_ok || !h->hsts_present) {
		add(rep, "hsts-host", j->host, SK_CHECK_PASS, SK_SEV_INFO,
		    SRC_HSTS, "", "%s sends no Strict-Transport-Security "
		    "header", j->host);
	} else if (!h->hsts_valid) {
		snprintf(ev, sizeof(ev), "Strict-Transport-Security: %s",
			 h->hsts_header);
		add(rep, "hsts-host", j->host, SK_CHECK_FAIL, SK_SEV_WARNING,
		    SRC_HSTS, ev, "malformed HSTS header, ignored by "
		    "browsers: %s", h->hsts_error);
	} else if (!j->valid) {
		snprintf(ev, sizeof(ev), "Strict-Transport-Security: %s",
			 h->hsts_header);
		add(rep, "hsts-host", j->host, SK_CHECK_FAIL, SK_SEV_ERROR,
		    SRC_HSTS, ev, "%s sends HSTS without a valid certificate: "
		    "visitors who saw it over valid TLS are locked out",
		    j->host);
		set_fix(rep, j->fix);
	} else {
		snprintf(ev, sizeof(ev), "Strict-Transport-Security: %s",
			 h->hsts_header);
		add(rep, "hsts-host", j->host, SK_CHECK_PASS, SK_SEV_INFO,
		    SRC_HSTS, ev, "%s sends HSTS (max-age=%lu%s) with a valid "
		    "certificate", j->host, h->hsts.max_age,
		    h->hsts.include_subdomains ? ", includeSubDomains" : "");
	}
}

/* "max-age below 31536000, no includeSubDomains, no preload". */
static void
missing_str(unsigned m, char *out, size_t outsz)
{
	snprintf(out, outsz, "%s%s%s%s%s",
		 m & SK_HSTS_PRELOAD_MAXAGE ? "max-age below 31536000" : "",
		 (m & SK_HSTS_PRELOAD_MAXAGE) && (m & 6) ? ", " : "",
		 m & SK_HSTS_PRELOAD_SUBDOMAINS ? "no includeSubDomains" : "",
		 (m & SK_HSTS_PRELOAD_SUBDOMAINS) && (m & 4) ? ", " : "",
		 m & SK_HSTS_PRELOAD_TOKEN ? "no preload" : "");
}

/* MKTO-HSTS-001: HSTS with includeSubDomains on the parent. */
static void
judge_parent(struct sk_https_report *rep, struct judge *j)
{
	const struct sk_https_probe *p = &rep->parent;
	char ev[1024];

	if (j->o->no_probe) {
		add(rep, "hsts-parent", j->host, SK_CHECK_SKIP, SK_SEV_INFO,
		    SRC_HSTS, "", "not probed (offline: zone files)");
		return;
	}
	if (p->host == NULL || p->host[0] == '\0') {
		add(rep, "hsts-parent", j->host, SK_CHECK_SKIP, SK_SEV_INFO,
		    SRC_HSTS, "", "%s is itself a registrable domain",
		    j->host);
		return;
	}
	if (!p->https_ok) {
		add(rep, "hsts-parent", j->host, SK_CHECK_SKIP, SK_SEV_INFO,
		    SRC_HSTS, p->tls_error, "parent domain %s does not "
		    "answer over HTTPS", p->host);
		return;
	}
	if (!p->hsts_present || !p->hsts_valid) {
		snprintf(ev, sizeof(ev), "%s: %s%s", p->host,
			 p->hsts_present ? "malformed header: " :
			 "no Strict-Transport-Security header",
			 p->hsts_present ? p->hsts_header : "");
		add(rep, "hsts-parent", j->host, SK_CHECK_PASS, SK_SEV_INFO,
		    SRC_HSTS, ev, "parent domain %s sends no HSTS that "
		    "covers %s", p->host, j->host);
		return;
	}
	snprintf(ev, sizeof(ev), "%s: Strict-Transport-Security: %s",
		 p->host, p->hsts_header);
	if (!p->hsts.include_subdomains || p->hsts.max_age == 0) {
		add(rep, "hsts-parent", j->host, SK_CHECK_PASS, SK_SEV_INFO,
		    SRC_HSTS, ev, "parent domain %s sends HSTS without "
		    "includeSubDomains: %s is not forced to HTTPS", p->host,
		    j->host);
	} else if (j->valid) {
		add(rep, "hsts-parent", j->host, SK_CHECK_PASS, SK_SEV_INFO,
		    SRC_HSTS, ev, "parent domain sends HSTS with "
		    "includeSubDomains: %s on this host need %s; %s has a "
		    "valid certificate", j->what, j->product, j->host);
	} else {
		add(rep, "hsts-parent", j->host, SK_CHECK_FAIL, SK_SEV_ERROR,
		    SRC_HSTS, ev, "parent domain sends HSTS with "
		    "includeSubDomains: %s on this host need %s (browsers "
		    "refuse %s without a valid certificate)", j->what,
		    j->product, j->host);
		set_fix(rep, j->fix);
	}
}

/* MKTO-HSTS-002: a preloaded parent, or one asking for preload. */
static void
judge_preload(struct sk_https_report *rep, struct judge *j)
{
	const struct sk_https_probe *p = &rep->parent;
	const char *entry = NULL;
	bool sub = false, listed, asks;
	char ev[1024], miss[128];
	unsigned m;

	listed = sk_hsts_preload_lookup(j->o->preload, j->host, &entry,
					&sub);
	asks = !j->o->no_probe && p->hsts_valid && p->hsts.preload;
	if (listed) {
		snprintf(ev, sizeof(ev), "preload list entry %s%s", entry,
			 sub ? " (include_subdomains)" : "");
		if (j->valid)
			add(rep, "hsts-preload", j->host, SK_CHECK_PASS,
			    SK_SEV_INFO, SRC_PRELOAD, ev, "%s is HSTS-"
			    "preloaded through %s: it must always serve "
			    "valid HTTPS (removal from the list takes "
			    "months)", j->host, entry);
		else if (j->o->no_probe)
			add(rep, "hsts-preload", j->host, SK_CHECK_FAIL,
			    SK_SEV_WARNING, SRC_PRELOAD, ev, "%s is HSTS-"
			    "preloaded through %s: browsers use only HTTPS "
			    "on it, so %s need %s", j->host, entry, j->what,
			    j->product);
		else
			add(rep, "hsts-preload", j->host, SK_CHECK_FAIL,
			    SK_SEV_ERROR, SRC_PRELOAD, ev, "%s is HSTS-"
			    "preloaded through %s but has no valid "
			    "certificate: %s on it fail in browsers",
			    j->host, entry, j->what);
		if (!j->valid)
			set_fix(rep, j->fix);
		return;
	}
	if (asks) {
		m = sk_hsts_preload_missing(&p->hsts);
		missing_str(m, miss, sizeof(miss));
		snprintf(ev, sizeof(ev), "%s: Strict-Transport-Security: %s; "
			 "%s%s", p->host, p->hsts_header, m ? "preload "
			 "requirements not met: " : "meets the preload "
			 "requirements", miss);
		if (j->valid)
			add(rep, "hsts-preload", j->host, SK_CHECK_PASS,
			    SK_SEV_INFO, SRC_PRELOAD, ev, "parent domain %s "
			    "asks for HSTS preload: once listed, browsers "
			    "use only HTTPS on %s (it has a valid "
			    "certificate)", p->host, j->host);
		else
			add(rep, "hsts-preload", j->host, SK_CHECK_FAIL,
			    SK_SEV_ERROR, SRC_PRELOAD, ev, "parent domain %s "
			    "asks for HSTS preload: once listed, browsers "
			    "refuse %s without a valid certificate", p->host,
			    j->host);
		if (!j->valid)
			set_fix(rep, j->fix);
		return;
	}
	add(rep, "hsts-preload", j->host, SK_CHECK_PASS, SK_SEV_INFO,
	    SRC_PRELOAD, j->o->preload != NULL ? "not in the preload list" :
	    "no preload list given", "%s is not HSTS-preloaded%s", j->host,
	    j->o->preload != NULL ? "" : " as far as known (no list given)");
}

/* MKTO-CAA-001. */
static void
judge_caa(struct sk_https_report *rep, struct judge *j,
	  struct sk_resolver *r)
{
	const struct sk_https_caa *caa = &rep->caa;
	const struct sk_https_opts *o = j->o;
	char ev[2048], allow[512];
	size_t used = 0;
	bool ok = false;

	if (r == NULL) {
		add(rep, "caa-issuer", j->host, SK_CHECK_SKIP, SK_SEV_INFO,
		    SRC_CAA, "", "no resolver: CAA not looked up");
		return;
	}
	if (caa->status == SK_DNS_TEMPFAIL) {
		add(rep, "caa-issuer", j->host, SK_CHECK_DNSFAIL, SK_SEV_INFO,
		    SRC_CAA, caa->why, "CAA lookup failed at %s", caa->owner);
		return;
	}
	if (caa->status != SK_DNS_ANSWER) {
		add(rep, "caa-issuer", j->host, SK_CHECK_PASS, SK_SEV_INFO,
		    SRC_CAA, "", "no CAA record at %s or its parents: any "
		    "certificate authority may issue", j->host);
		return;
	}
	snprintf(ev, sizeof(ev), "CAA at %s: %s", caa->owner, caa->records);
	if (!caa->restricts) {
		add(rep, "caa-issuer", j->host, SK_CHECK_PASS, SK_SEV_INFO,
		    SRC_CAA, ev, "the CAA records at %s have no issue "
		    "property: any certificate authority may issue",
		    caa->owner);
		return;
	}
	allow[0] = '\0';
	for (size_t i = 0; i < o->ncaa_allow; i++) {
		const char *a = o->caa_allow[i];
		const char *s = caa->issuers;
		size_t al = strlen(a);

		used += (size_t)snprintf(allow + used, used < sizeof(allow) ?
					 sizeof(allow) - used : 0, "%s%s",
					 i ? ", " : "", a);
		if (used >= sizeof(allow))
			used = sizeof(allow) - 1;
		/* issuers is "a, b, c": compare item by item. */
		while (*s != '\0') {
			size_t n = strcspn(s, ",");

			if (sk__eq_nocase(s, n, a, al))
				ok = true;
			s += n;
			while (*s == ',' || *s == ' ')
				s++;
		}
	}
	if (o->ncaa_allow == 0) {
		add(rep, "caa-issuer", j->host, SK_CHECK_FAIL, SK_SEV_INFO,
		    SRC_CAA, ev, "CAA at %s allows only %s: confirm with the "
		    "provider that its certificate authority is among them",
		    caa->owner, caa->issuers);
		set_fix(rep, "The provider's certificate authority is not "
			"known to the profile: ask its support which CA "
			"issues the certificates of this host, and add an "
			"issue property for it if it is missing.");
	} else if (ok) {
		add(rep, "caa-issuer", j->host, SK_CHECK_PASS, SK_SEV_INFO,
		    SRC_CAA, ev, "CAA at %s allows the provider's certificate "
		    "authority", caa->owner);
	} else {
		char fix[1024];

		add(rep, "caa-issuer", j->host, SK_CHECK_FAIL, SK_SEV_ERROR,
		    SRC_CAA, ev, "CAA at %s does not allow the provider's "
		    "certificate authority (%s): its certificates for %s "
		    "cannot be issued", caa->owner, allow, j->host);
		snprintf(fix, sizeof(fix), "%s. IN CAA 0 issue \"%s\"",
			 caa->owner, o->caa_allow[0]);
		set_fix(rep, fix);
	}
}

/* ---------------------------------------------------------------- API */

SK_API void
sk_https_report_free(struct sk_https_report *rep)
{
	if (rep == NULL)
		return;
	for (size_t i = 0; i < rep->npool; i++)
		sk__free(rep->pool[i]);
	sk__free(rep->pool);
	sk__free(rep->checks);
	sk__free(rep);
}

static void
probe_init(struct sk_https_probe *pr)
{
	static const char e[] = "";

	memset(pr, 0, sizeof(*pr));
	pr->host = pr->address = pr->tls_error = pr->verify_error = e;
	pr->subject = pr->issuer = pr->names = e;
	pr->hsts_header = pr->hsts_error = pr->http_location = e;
	pr->http_error = e;
}

static bool
host_ok(const char *h)
{
	size_t n = h != NULL ? strlen(h) : 0;

	if (n == 0 || n > 253 || h[0] == '.' || h[0] == '-')
		return false;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)h[i];

		if (!sk__isalnum(c) && c != '-' && c != '.' && c != '_')
			return false;
		if (c == '.' && i + 1 < n && h[i + 1] == '.')
			return false;
	}
	return true;
}

SK_API sk_status
sk_https_check(struct sk_resolver *r, const char *host,
	       const struct sk_https_opts *opts,
	       struct sk_https_report **out, struct sk_err *err)
{
	struct sk_https_opts o;
	struct sk_https_report *rep;
	struct judge j;
	struct hx_addr tmp;
	char lhost[SK_DNS_MAX_NAME + 1];
	char *parent = NULL;
	size_t n;

	if (out != NULL)
		*out = NULL;
	if (out == NULL || !host_ok(host))
		return sk__err(err, SK_EINVAL, "\"%.64s\" is not a host name",
			       host != NULL ? host : "(null)");
	memset(&o, 0, sizeof(o));
	if (opts != NULL)
		o = *opts;
	if (o.now == 0)
		o.now = time(NULL);
	if (o.timeout_ms == 0)
		o.timeout_ms = 5000;
	if (o.nconnect_to > SK_HTTPS_MAX_CONNECT_TO)
		return sk__err(err, SK_EINVAL, "more than %d connect-to "
			       "mappings", SK_HTTPS_MAX_CONNECT_TO);
	for (size_t i = 0; i < o.nconnect_to; i++)
		if (map_one(o.connect_to[i], "x", 443, &tmp) < 0)
			return sk__err(err, SK_EINVAL, "connect-to \"%.64s\": "
				       "not HOST:PORT:IP:PORT or IP:PORT "
				       "(IP a literal address)",
				       o.connect_to[i]);
	if (o.ca_file != NULL && access(o.ca_file, R_OK) != 0)
		return sk__err(err, SK_ENOENT, "%s: cannot read the CA file",
			       o.ca_file);
	if (o.ca_dir != NULL && access(o.ca_dir, R_OK | X_OK) != 0)
		return sk__err(err, SK_ENOENT, "%s: cannot read the CA "
			       "directory", o.ca_dir);
	n = strlen(host);
	while (n > 1 && host[n - 1] == '.')
		n--;
	for (size_t i = 0; i < n; i++)
		lhost[i] = sk__lower(host[i]);
	lhost[n] = '\0';
	rep = sk__calloc(1, sizeof(*rep));
	if (rep == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	probe_init(&rep->host);
	probe_init(&rep->parent);
	rep->caa.owner = rep->caa.records = rep->caa.issuers = "";
	rep->caa.why = "";
	rep->caa.status = SK_DNS_NXDOMAIN;

	/* The registrable parent (RFC 7489 section 3.2's organizational
	 * domain is the same computation). */
	{
		struct sk_dmarc_psl *psl = NULL;
		sk_status st = sk_dmarc_psl_load(o.psl_path, &psl, err);

		if (st != SK_OK) {
			sk_https_report_free(rep);
			return st;
		}
		st = sk_dmarc_orgdomain_psl(psl, lhost, &parent, NULL);
		sk_dmarc_psl_free(psl);
		if (st == SK_ENOMEM) {
			sk_https_report_free(rep);
			return sk__err(err, st, "out of memory");
		}
		if (st != SK_OK)
			parent = NULL;
	}
	if (!o.no_probe) {
		probe(rep, &rep->host, r, lhost, &o, o.now);
		if (parent != NULL && strcmp(parent, lhost) != 0)
			probe(rep, &rep->parent, r, parent, &o, o.now);
	} else {
		rep->host.host = sk__https_dup(rep, lhost);
	}
	free(parent);
	if (r != NULL)
		caa_walk(rep, r, lhost);

	memset(&j, 0, sizeof(j));
	j.host = lhost;
	j.o = &o;
	if (o.role != NULL && strcmp(o.role, "landing") == 0) {
		j.product = "Secured Domains for Landing Pages";
		j.what = "landing pages";
	} else if (o.role != NULL && strcmp(o.role, "tracking") == 0) {
		j.product = "Secured Domains for Tracking Links";
		j.what = "tracking links";
	} else {
		j.product = "a valid certificate";
		j.what = "pages";
	}
	j.valid = rep->host.tls && rep->host.trusted && rep->host.name_ok &&
		  !rep->host.expired && rep->host.not_before <= o.now;
	j.fix = o.tls_note != NULL ? o.tls_note :
		"Install a certificate for the host from a trusted CA "
		"covering its name (or have the provider secure it).";
	judge_tls(rep, &j);
	judge_parent(rep, &j);
	judge_preload(rep, &j);
	judge_caa(rep, &j, r);
	if (rep->st != SK_OK) {
		sk_https_report_free(rep);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	*out = rep;
	return SK_OK;
}

SK_API const struct sk_https_probe *
sk_https_report_host(const struct sk_https_report *rep)
{
	return rep != NULL ? &rep->host : NULL;
}

SK_API const struct sk_https_probe *
sk_https_report_parent(const struct sk_https_report *rep)
{
	return rep != NULL ? &rep->parent : NULL;
}

SK_API const struct sk_https_caa *
sk_https_report_caa(const struct sk_https_report *rep)
{
	return rep != NULL ? &rep->caa : NULL;
}

SK_API size_t
sk_https_report_count(const struct sk_https_report *rep)
{
	return rep != NULL ? rep->nchecks : 0;
}

SK_API const struct sk_check *
sk_https_report_get(const struct sk_https_report *rep, size_t i)
{
	if (rep == NULL || i >= rep->nchecks)
		return NULL;
	return &rep->checks[i];
}
