/*
 * lib/profile/validate.c - sk_config_validate (a config checked against a
 * profile), sk_profile_expand and sk_profile_age_days.
 *
 * Validation looks at the config as a whole, after loading: what a value
 * means depends on other values (a host must be under one of the sending
 * domains) and on the profile (which inputs exist, their formats).  Every
 * finding's subject is "FILE:LINE: KEY" (or "KEY" for a value that does
 * not come from a file); the ids are listed in senderkit-config(5).
 */
#include <stdio.h>
#include <string.h>

#include <regex.h>

#include "dkim/dkim_internal.h"
#include "profile/profile_internal.h"

/* Where config findings point for the format itself. */
#define REF_CONFIG "senderkit-config(5)"

SK_API sk_status
sk_profile_expand(const struct sk_org_config *c, const char *tmpl,
		  char **out, struct sk_err *err)
{
	struct sk_buf b;
	size_t len, pos = 0, prev = 0, start, nl;
	const char *nm, *val;
	char name[SK__INI_MAX_KEY + 1];
	sk_status st = SK_OK;
	int r;

	if (tmpl == NULL || out == NULL)
		return sk__err(err, SK_EINVAL, "invalid argument");
	*out = NULL;
	len = strlen(tmpl);
	sk__buf_init(&b, SK_INI_MAX_FILE);
	for (;;) {
		r = sk__prof_tmpl_next(tmpl, len, &pos, &start, &nm, &nl);
		if (r <= 0)
			break;
		if (nl > SK__INI_MAX_KEY) {
			r = -1;
			break;
		}
		memcpy(name, nm, nl);
		name[nl] = '\0';
		val = sk_config_input(c, name);
		if (val == NULL) {
			sk__buf_free(&b);
			return sk__err(err, SK_ENOENT, "%s: not set in the "
				       "config's [provider] section", name);
		}
		st = sk__buf_add(&b, tmpl + prev, start - prev);
		if (st == SK_OK)
			st = sk__buf_adds(&b, val);
		if (st != SK_OK)
			break;
		prev = pos;
	}
	if (r < 0) {
		sk__buf_free(&b);
		return sk__err_at(err, SK_ESYNTAX, start, "bad ${name} "
				  "reference in \"%.64s\"", tmpl);
	}
	if (st == SK_OK)
		st = sk__buf_add(&b, tmpl + prev, len - prev);
	if (st == SK_OK) {
		*out = sk__buf_take(&b);
		if (*out == NULL)
			st = SK_ENOMEM;
	}
	sk__buf_free(&b);
	if (st != SK_OK)
		return sk__err(err, st, st == SK_ENOMEM ? "out of memory" :
			       "expanded template too long");
	return SK_OK;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
 * days_from_civil). */
static long
days_from_civil(long y, unsigned m, unsigned d)
{
	long era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (long)(m > 2 ? m - 3 : m + 9) + 2) / 5 + (long)d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

SK_API long
sk_profile_age_days(const char *as_of, time_t now)
{
	int y, m, d;
	long then, today;

	if (as_of == NULL || !sk__prof_date(as_of, strlen(as_of), &y, &m, &d))
		return -1;
	then = days_from_civil(y, (unsigned)m, (unsigned)d);
	/* Floor division: UTC days since the epoch. */
	today = (long)(now / 86400);
	if (now < 0 && now % 86400 != 0)
		today--;
	return today - then;
}

/* ------------------------------------------------------------ validate */

struct vctx {
	const struct sk__cfg *cf;
	const struct sk_profile *p;
	struct sk_findings *f;
};

static void SK_PRINTF(6, 7)
add(struct vctx *v, enum sk_severity sev, const char *id, unsigned line,
    const char *key, const char *fmt, ...)
{
	char subject[SK_ERR_MSG_MAX + 64];
	va_list ap;

	if (line > 0)
		snprintf(subject, sizeof(subject), "%s:%u: %s",
			 v->cf->pub.path, line, key);
	else
		snprintf(subject, sizeof(subject), "%s", key);
	va_start(ap, fmt);
	sk__findings_vadd(v->f, sev, id, subject, SK_NO_OFFSET, REF_CONFIG,
			  fmt, ap);
	va_end(ap);
}

/* name is `domain` or a subdomain of it. */
static bool
under(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);

	if (n == d)
		return strcmp(name, domain) == 0;
	return n > d && name[n - d - 1] == '.' &&
	       strcmp(name + n - d, domain) == 0;
}

static void
check_inputs(struct vctx *v)
{
	const struct sk_org_config *c = &v->cf->pub;
	const struct sk_profile *p = v->p;
	size_t i, j;

	for (i = 0; i < p->ninputs; i++) {
		const struct sk_profile_input *in = &p->inputs[i];
		const struct sk_org_kv *kv = NULL;
		regex_t re;

		for (j = 0; j < c->ninputs; j++)
			if (strcmp(c->inputs[j].key, in->name) == 0)
				kv = &c->inputs[j];
		if (kv == NULL || kv->value[0] == '\0') {
			if (in->required)
				add(v, SK_SEV_ERROR, "config-input-missing",
				    kv != NULL ? kv->line : 0, in->name,
				    "%s is required by the %s profile%s%s",
				    in->name, p->id, in->hint ? ": " : "",
				    in->hint ? in->hint : "");
			continue;
		}
		if (in->regex == NULL)
			continue;
		/* The loader compiled it once already; it compiles. */
		if (regcomp(&re, in->regex, REG_EXTENDED | REG_NOSUB) != 0)
			continue;
		if (regexec(&re, kv->value, 0, NULL, 0) != 0)
			add(v, in->severity, "config-input-format", kv->line,
			    in->name, "\"%.64s\" does not have the expected "
			    "form %s%s%s", kv->value, in->regex,
			    in->hint ? "; " : "", in->hint ? in->hint : "");
		regfree(&re);
	}
	for (j = 0; j < c->ninputs; j++) {
		const struct sk_org_kv *kv = &c->inputs[j];

		if (strcmp(kv->key, "return_path_mx") == 0 ||
		    sk_profile_input(p, kv->key) != NULL)
			continue;
		add(v, SK_SEV_WARNING, "config-input-unknown", kv->line,
		    kv->key, "the %s profile has no input \"%s\" (a typo?)",
		    p->id, kv->key);
	}
}

static void
check_host(struct vctx *v, const char *key, const char *host,
	   unsigned line)
{
	const struct sk_org_config *c = &v->cf->pub;
	bool inside = false;
	size_t i;

	if (host == NULL)
		return;
	if (!sk__prof_domain_ok(host, strlen(host), false)) {
		add(v, SK_SEV_ERROR, "config-host-invalid", line, key,
		    "\"%.64s\" is not a valid host name", host);
		return;
	}
	for (i = 0; i < c->ndomains; i++) {
		if (strcmp(host, c->domains[i].name) == 0) {
			/* RFC 1034 section 3.6.2, RFC 2181 section 10.1: a
			 * CNAME cannot sit beside the SOA and NS of an apex. */
			add(v, SK_SEV_ERROR, "config-host-apex", line, key,
			    "%s is a sending domain: its CNAME would have to "
			    "be at the zone apex, which cannot hold one; use a "
			    "subdomain", host);
			return;
		}
		if (under(host, c->domains[i].name))
			inside = true;
	}
	if (!inside && c->ndomains > 0)
		add(v, SK_SEV_WARNING, "config-host-outside", line, key,
		    "%s is not under any [domain] of the config", host);
}

static bool
selector_ok(const char *sel)
{
	size_t n = strlen(sel);

	/* RFC 6376 section 3.1: selector = sub-domain *("." sub-domain);
	 * the record name sel._domainkey.domain must fit in 253. */
	return n <= 63 * 4 && sk__dkim_qname_ok(sel, &n, false);
}

/* "PREF host", PREF 0..65535 (RFC 1035 section 3.3.9); "0 ." is a null
 * MX (RFC 7505). */
static bool
mx_ok(const char *s)
{
	const char *sp = strchr(s, ' ');
	unsigned long pref;

	if (sp == NULL || !sk__parse_uint(s, (size_t)(sp - s), 65535, &pref))
		return false;
	sp++;
	if (strcmp(sp, ".") == 0)
		return pref == 0;
	return sk__prof_domain_ok(sp, strlen(sp), false);
}

/*
 * A DMARC report URI list (RFC 7489 section 6.4): comma-separated
 * "mailto:local@domain" URIs, each with an optional "!size" limit.
 * senderkit only plans mailto: (section 6.2: reports by mail).
 */
static bool
uri_list_ok(const char *s)
{
	const char *pos = s, *end = s + strlen(s), *it, *at, *bang;
	size_t n, dn;
	bool any = false;

	while (sk__ini_list_next(&pos, end, &it, &n)) {
		any = true;
		if (n < 7 || !sk__eq_nocase(it, 7, "mailto:", 7))
			return false;
		it += 7;
		n -= 7;
		bang = memchr(it, '!', n);
		if (bang != NULL) {
			const char *num = bang + 1;
			size_t sz = n - (size_t)(num - it), k = 0;

			while (k < sz && sk__isdigit((unsigned char)num[k]))
				k++;
			/* digits, then at most one unit letter */
			if (k == 0 || (k != sz && (k + 1 != sz ||
			    strchr("kmgt", num[k]) == NULL)))
				return false;
			n = (size_t)(bang - it);
		}
		at = memchr(it, '@', n);
		if (at == NULL || at == it)
			return false;
		dn = n - (size_t)(at - it) - 1;
		if (memchr(at + 1, '@', dn) != NULL ||
		    !sk__prof_domain_ok(at + 1, dn, false))
			return false;
		for (; it < at; it++)
			if ((unsigned char)*it <= ' ' || *it == ',' ||
			    *it == ';')
				return false;
	}
	return any;
}

static void
check_domain(struct vctx *v, size_t di)
{
	const struct sk_org_config *c = &v->cf->pub;
	const struct sk_org_domain *d = &c->domains[di];
	const struct sk__cfg_domain_extra *x = &v->cf->dx[di];
	char key[SK__INI_MAX_KEY + 16];
	size_t i;
	bool inside = false;

	for (i = 0; i < d->ndkim; i++) {
		const struct sk_org_dkim *k = &d->dkim[i];
		const struct sk__cfg_dkim_extra *kx = &x->dkim[i];

		snprintf(key, sizeof(key), "dkim_key.%s", k->selector);
		if (!selector_ok(k->selector)) {
			add(v, SK_SEV_ERROR, "config-selector-invalid", k->line,
			    kx->key_line == k->line ? key : "dkim_selectors",
			    "[domain %s]: \"%.64s\" is not a valid DKIM "
			    "selector (RFC 6376 section 3.1)", d->name,
			    k->selector);
			continue;
		}
		if (kx->key_error != NULL)
			add(v, SK_SEV_ERROR, "config-dkim-key", kx->key_line,
			    key, "[domain %s]: %s: %s", d->name,
			    kx->key_value, kx->key_error);
		else if (k->record == NULL)
			add(v, SK_SEV_INFO, "config-dkim-key-missing", k->line,
			    "dkim_selectors", "[domain %s]: selector %s has "
			    "no dkim_key.%s: the plan cannot write its key "
			    "record (the provider shows it when the selector "
			    "is added)", d->name, k->selector, k->selector);
	}
	for (i = 0; i < d->nmail_servers; i++) {
		const char *ip = d->mail_servers[i];

		if (!sk__prof_cidr_ok(ip, strlen(ip)))
			add(v, SK_SEV_ERROR, "config-ip-invalid",
			    i < x->nms_lines ? x->ms_lines[i] : 0,
			    "mail_servers", "[domain %s]: \"%.64s\" is not an "
			    "IP address or CIDR block", d->name, ip);
	}
	for (i = 0; i < d->nmx; i++) {
		if (!mx_ok(d->mx[i]))
			add(v, SK_SEV_ERROR, "config-mx-invalid",
			    i < x->nmx_lines ? x->mx_lines[i] : 0, "mx",
			    "[domain %s]: \"%.64s\" is not \"PREFERENCE "
			    "host\" (RFC 1035 section 3.3.9)", d->name,
			    d->mx[i]);
	}
	if (d->dmarc_rua != NULL && !uri_list_ok(d->dmarc_rua))
		add(v, SK_SEV_ERROR, "config-uri-invalid",
		    x->lines[SK__DK_DMARC_RUA], "dmarc_rua", "[domain %s]: "
		    "\"%.64s\" is not a list of mailto: URIs (RFC 7489 "
		    "section 6.4)", d->name, d->dmarc_rua);
	if (d->dmarc_ruf != NULL && !uri_list_ok(d->dmarc_ruf))
		add(v, SK_SEV_ERROR, "config-uri-invalid",
		    x->lines[SK__DK_DMARC_RUF], "dmarc_ruf", "[domain %s]: "
		    "\"%.64s\" is not a list of mailto: URIs (RFC 7489 "
		    "section 6.4)", d->name, d->dmarc_ruf);
	if (d->return_path == NULL)
		return;
	if (!sk__prof_domain_ok(d->return_path, strlen(d->return_path),
				false)) {
		add(v, SK_SEV_ERROR, "config-host-invalid",
		    x->lines[SK__DK_RETURN_PATH], "return_path",
		    "[domain %s]: \"%.64s\" is not a valid domain name",
		    d->name, d->return_path);
		return;
	}
	for (i = 0; i < c->ndomains; i++)
		if (strcmp(d->return_path, c->domains[i].name) != 0 &&
		    under(d->return_path, c->domains[i].name))
			inside = true;
	if (!inside)
		add(v, SK_SEV_WARNING, "config-return-path-outside",
		    x->lines[SK__DK_RETURN_PATH], "return_path",
		    "[domain %s]: %s is not a subdomain of a sending domain: "
		    "SPF on it cannot align with the From domain (RFC 7489 "
		    "section 3.1.2)", d->name, d->return_path);
}

SK_API sk_status
sk_config_validate(const struct sk_org_config *c, const struct sk_profile *p,
		   struct sk_findings **out, struct sk_err *err)
{
	struct vctx v;
	const struct sk__cfg *cf = (const struct sk__cfg *)c;
	size_t i;
	sk_status st;

	if (c == NULL || out == NULL)
		return sk__err(err, SK_EINVAL, "invalid argument");
	*out = NULL;
	v.cf = cf;
	v.p = p;
	v.f = sk__findings_new();
	if (v.f == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	if (c->ndomains == 0)
		add(&v, SK_SEV_ERROR, "config-no-domain", 0, "domain",
		    "the config has no [domain NAME] section: nothing to "
		    "plan or audit");
	if (p != NULL)
		check_inputs(&v);
	check_host(&v, "landing_host", c->landing_host,
		   cf->lines[SK__CK_LANDING_HOST]);
	check_host(&v, "tracking_host", c->tracking_host,
		   cf->lines[SK__CK_TRACKING_HOST]);
	/* One name holds one CNAME (RFC 2181 section 10.1), and Marketo
	 * asks for two hosts (F3.4). */
	if (c->landing_host != NULL && c->tracking_host != NULL &&
	    strcmp(c->landing_host, c->tracking_host) == 0)
		add(&v, SK_SEV_ERROR, "config-hosts-same",
		    cf->lines[SK__CK_TRACKING_HOST], "tracking_host",
		    "the landing and tracking hosts are both %s: each needs "
		    "its own CNAME", c->tracking_host);
	for (i = 0; i < c->ndomains; i++)
		check_domain(&v, i);
	st = sk__findings_status(v.f);
	if (st != SK_OK) {
		sk_findings_free(v.f);
		return sk__err(err, st, "out of memory");
	}
	sk__findings_sort(v.f);
	*out = v.f;
	return SK_OK;
}
