/*
 * lib/https/http.c - what a browser meets on the host (libcurl): the
 * Strict-Transport-Security header of an https response, and whether
 * plain http redirects to https or serves the page.
 *
 *   RFC 6797 section 8.1  only the first STS header field is processed;
 *                         STS over plain http is ignored (section 8.1,
 *                         7.2), so it is read on https only;
 *   RFC 9110 15.4         3xx redirects and Location.
 *
 * Each transfer connects to the address given (CURLOPT_CONNECT_TO with a
 * literal IP: curl never resolves a name), uses no proxy whatever the
 * environment says, follows no redirect, and has a total timeout.
 */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <curl/curl.h>

#include "https/https_internal.h"

struct xfer {
	struct sk_buf sts;      /* first STS header value */
	bool sts_seen;
	size_t body;
};

static size_t
on_header(char *p, size_t size, size_t n, void *arg)
{
	static const char name[] = "strict-transport-security:";
	struct xfer *x = arg;
	size_t len = size * n, k = sizeof(name) - 1, e;

	/* A new response (e.g. after 100 Continue) starts with "HTTP/". */
	if (len >= 5 && memcmp(p, "HTTP/", 5) == 0) {
		sk__buf_reset(&x->sts);
		x->sts_seen = false;
		return len;
	}
	if (x->sts_seen || len < k || !sk__eq_nocase(p, k, name, k))
		return len;
	while (k < len && (p[k] == ' ' || p[k] == '\t'))
		k++;
	e = len;
	while (e > k && (p[e - 1] == '\r' || p[e - 1] == '\n' ||
			 p[e - 1] == ' ' || p[e - 1] == '\t'))
		e--;
	x->sts_seen = true;
	/* Over the cap: kept cut; the parser then refuses it. */
	if (sk__buf_add(&x->sts, p + k, e - k) != SK_OK)
		(void)sk__buf_add(&x->sts, p + k,
				  x->sts.cap > x->sts.len ?
				  x->sts.cap - x->sts.len : 0);
	return len;
}

static size_t
on_body(char *p, size_t size, size_t n, void *arg)
{
	struct xfer *x = arg;

	(void)p;
	x->body += size * n;
	/* Returning less than given ends the transfer: enough was read. */
	return x->body > HX_BODY_MAX ? 0 : size * n;
}

/* One GET; true when a response came (its status in *status). */
static bool
get(struct sk_https_report *rep, const char *url, const char *host,
    unsigned port, const struct hx_addr *a, unsigned timeout_ms,
    struct xfer *x, long *status, const char **location, const char **why)
{
	char map[SK_DNS_MAX_NAME + 96];
	struct curl_slist *ct = NULL;
	CURL *c = curl_easy_init();
	char errbuf[CURL_ERROR_SIZE];
	CURLcode rc;
	bool ok = false;
	const char *loc = NULL;

	*status = 0;
	*location = "";
	*why = "";
	if (c == NULL) {
		rep->st = SK_ENOMEM;
		return false;
	}
	if (strchr(a->ip, ':') != NULL)
		snprintf(map, sizeof(map), "%s:%u:[%s]:%u", host, port, a->ip,
			 a->port);
	else
		snprintf(map, sizeof(map), "%s:%u:%s:%u", host, port, a->ip,
			 a->port);
	ct = curl_slist_append(NULL, map);
	if (ct == NULL) {
		curl_easy_cleanup(c);
		rep->st = SK_ENOMEM;
		return false;
	}
	errbuf[0] = '\0';
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_CONNECT_TO, ct);
	curl_easy_setopt(c, CURLOPT_PROXY, "");
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
	curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	/* The TLS probe judges the certificate; here only the response
	 * matters, so that a bad certificate still shows its header. */
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
	curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
	curl_easy_setopt(c, CURLOPT_USERAGENT, "senderkit/" SK_VERSION_STRING);
	curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(c, CURLOPT_HEADERDATA, x);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(c, CURLOPT_WRITEDATA, x);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	rc = curl_easy_perform(c);
	if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR &&
			       x->body > HX_BODY_MAX)) {
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, status);
		if (curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc) ==
		    CURLE_OK && loc != NULL)
			*location = sk__https_dup(rep, loc);
		ok = *status > 0;
	}
	if (!ok)
		*why = sk__https_dup(rep, errbuf[0] != '\0' ? errbuf :
				     curl_easy_strerror(rc));
	curl_easy_cleanup(c);
	curl_slist_free_all(ct);
	return ok;
}

/* True when `loc` is an https URL for host (RFC 3986 authority). */
static bool
to_https_host(const char *loc, const char *host, bool *same_host)
{
	size_t hl = strlen(host), k;

	*same_host = false;
	if (strncasecmp(loc, "https://", 8) != 0)
		return false;
	loc += 8;
	for (k = 0; loc[k] != '\0' && loc[k] != '/' && loc[k] != ':' &&
		    loc[k] != '?' && loc[k] != '#'; k++)
		;
	while (k > 0 && loc[k - 1] == '.')
		k--;
	*same_host = sk__eq_nocase(loc, k, host, hl);
	return true;
}

void
sk__https_http(struct sk_https_report *rep, struct sk_https_probe *pr,
	       const char *host, const struct hx_addr *a,
	       const struct hx_addr *h, const struct sk_https_opts *o)
{
	char url[SK_DNS_MAX_NAME + 16];
	struct xfer x;
	long status;
	const char *loc, *why;
	struct sk_err e;

	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		pr->http_error = "libcurl could not be initialised";
		return;
	}
	memset(&x, 0, sizeof(x));
	sk__buf_init(&x.sts, SK_HSTS_MAX_HEADER + 1);
	if (a != NULL) {
		snprintf(url, sizeof(url), "https://%s/", host);
		pr->https_ok = get(rep, url, host, 443, a, o->timeout_ms, &x,
				   &status, &loc, &why);
		pr->https_status = (int)status;
		if (x.sts_seen) {
			pr->hsts_present = true;
			pr->hsts_header = sk__https_dup(rep, x.sts.p != NULL ?
							x.sts.p : "");
			sk_err_clear(&e);
			if (sk_hsts_parse(x.sts.p != NULL ? x.sts.p : "",
					  x.sts.len, &pr->hsts, &e) == SK_OK)
				pr->hsts_valid = true;
			else
				pr->hsts_error = sk__https_printf(rep,
					"%s (at offset %zu)", e.msg,
					e.offset);
		}
	}
	if (h != NULL) {
		bool same;

		memset(&x.body, 0, sizeof(x.body));
		snprintf(url, sizeof(url), "http://%s/", host);
		pr->http_ok = get(rep, url, host, 80, h, o->timeout_ms, &x,
				  &status, &loc, &why);
		pr->http_status = (int)status;
		pr->http_location = loc;
		pr->http_error = why;
		pr->http_to_https = pr->http_ok && status >= 300 &&
				    status < 400 &&
				    to_https_host(loc, host, &same);
	}
	sk__buf_free(&x.sts);
	curl_global_cleanup();
}
