/*
 * lib/audit/audit.c - the audit run: the domains to look at, the checks
 * of each group in dependency order, the report order, and the helpers
 * the groups share (check records, DNS, TXT lines, IP networks).
 */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "audit_internal.h"

/* One check with what the report order needs. */
struct item {
	struct sk_check pub;
	size_t seq;      /* run order */
	unsigned grank;  /* group rank */
	size_t srank;    /* first appearance of (group, subject) */
};

struct sk_audit {
	struct item *v;
	size_t n, alloc;
};

static const char *const groups[] = {
	AU_G_PROVIDER, AU_G_HOSTS, AU_G_SPF, AU_G_DKIM, AU_G_DMARC, AU_G_MX,
	AU_G_RP, AU_G_HTTPS,
};

SK_API const char *
sk_check_status_str(enum sk_check_status s)
{
	switch (s) {
	case SK_CHECK_PASS:
		return "pass";
	case SK_CHECK_FAIL:
		return "fail";
	case SK_CHECK_SKIP:
		return "skip";
	case SK_CHECK_DNSFAIL:
		return "dnsfail";
	}
	return "unknown";
}

/* ------------------------------------------------------------ checks */

static void
item_free(struct item *it)
{
	sk__free((void *)it->pub.subject);
	sk__free((void *)it->pub.message);
	sk__free((void *)it->pub.evidence);
	sk__free((void *)it->pub.fix);
	sk__free((void *)it->pub.source);
}

bool
sk__audit_oom(struct au_ctx *x, sk_status st)
{
	if (st != SK_ENOMEM)
		return false;
	x->st = SK_ENOMEM;
	return true;
}

const char *
sk__audit_src(const char *s, const char *fallback)
{
	return s != NULL && s[0] != '\0' ? s : fallback;
}

void
sk__audit_add(struct au_ctx *x, const char *group, const char *id,
	      const char *subject, enum sk_check_status status,
	      enum sk_severity sev, const char *source, const char *evidence,
	      const char *fix, const char *fmt, ...)
{
	struct sk_audit *a = x->a;
	struct item *it;
	char msg[2048];
	va_list ap;

	if (x->st != SK_OK)
		return;
	if (a->n == a->alloc) {
		struct item *nv = sk__grow(a->v, &a->alloc, sizeof(*nv), 64);

		if (nv == NULL) {
			x->st = SK_ENOMEM;
			return;
		}
		a->v = nv;
	}
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	it = &a->v[a->n];
	memset(it, 0, sizeof(*it));
	it->pub.id = id;
	it->pub.group = group;
	it->pub.status = status;
	it->pub.severity = status == SK_CHECK_FAIL ? sev : SK_SEV_INFO;
	it->pub.subject = sk__strdup(subject != NULL ? subject : "");
	it->pub.message = sk__strdup(msg);
	it->pub.evidence = sk__strdup(evidence != NULL ? evidence : "");
	it->pub.fix = sk__strdup(fix != NULL ? fix : "");
	it->pub.source = sk__strdup(source != NULL ? source : "");
	if (it->pub.subject == NULL || it->pub.message == NULL ||
	    it->pub.evidence == NULL || it->pub.fix == NULL ||
	    it->pub.source == NULL) {
		item_free(it);
		x->st = SK_ENOMEM;
		return;
	}
	it->seq = a->n;
	it->grank = sizeof(groups) / sizeof(groups[0]);
	for (unsigned g = 0; g < sizeof(groups) / sizeof(groups[0]); g++)
		if (strcmp(groups[g], group) == 0)
			it->grank = g;
	a->n++;
}

void
sk__audit_bprintf(struct au_ctx *x, struct sk_buf *b, const char *fmt, ...)
{
	va_list ap;
	sk_status st;

	if (x->st != SK_OK)
		return;
	va_start(ap, fmt);
	st = sk__buf_vprintf(b, fmt, ap);
	va_end(ap);
	if (st == SK_ETOOBIG) {
		/* Mark the cut and freeze the text: later, smaller pieces
		 * would read as if nothing was left out. */
		if (b->len + 3 <= b->cap)
			st = sk__buf_adds(b, "...");
		b->cap = b->len;
	}
	if (st == SK_ENOMEM)
		x->st = st;
}

static int
item_cmp(const void *pa, const void *pb)
{
	const struct item *a = pa, *b = pb;

	if (a->grank != b->grank)
		return a->grank < b->grank ? -1 : 1;
	if (a->srank != b->srank)
		return a->srank < b->srank ? -1 : 1;
	return a->seq < b->seq ? -1 : a->seq > b->seq;
}

/* Report order: group, then subjects in the order they were first
 * checked within the group, then run order. */
static void
audit_sort(struct sk_audit *a)
{
	for (size_t i = 0; i < a->n; i++) {
		a->v[i].srank = i;
		for (size_t k = 0; k < i; k++) {
			if (a->v[k].grank == a->v[i].grank &&
			    sk__audit_name_eq(a->v[k].pub.subject,
					      a->v[i].pub.subject)) {
				a->v[i].srank = a->v[k].srank;
				break;
			}
		}
	}
	if (a->n > 1)
		qsort(a->v, a->n, sizeof(a->v[0]), item_cmp);
}

/* ---------------------------------------------------------------- DNS */

enum sk_dns_status
sk__audit_ask(struct au_ctx *x, const char *name, uint16_t type,
	      const struct sk_dns_answer **out)
{
	const struct sk_dns_answer *a = NULL;
	sk_status st;

	*out = NULL;
	if (x->st != SK_OK)
		return SK_DNS_TEMPFAIL;
	st = sk_dns_resolve(x->r, name, type, &a, NULL);
	if (st == SK_ENOMEM) {
		x->st = st;
		return SK_DNS_TEMPFAIL;
	}
	if (st != SK_OK)
		return SK_DNS_NXDOMAIN;
	*out = a;
	return a->status;
}

const char *
sk__audit_why(const struct sk_dns_answer *a)
{
	if (a == NULL || a->why == NULL || a->why[0] == '\0')
		return "temporary failure";
	return a->why;
}

/* Append text as one or more quoted character-strings. */
static void
quoted(struct au_ctx *x, struct sk_buf *b, const char *text, size_t len)
{
	size_t i, n;

	for (i = 0; i < len || i == 0; i += n) {
		n = len - i > SK_DNS_MAX_TXT_STRING ? SK_DNS_MAX_TXT_STRING :
						      len - i;
		sk__audit_bprintf(x, b, "%s\"", i > 0 ? " " : "");
		for (size_t k = i; k < i + n; k++) {
			unsigned char c = (unsigned char)text[k];

			if (c == '"' || c == '\\')
				sk__audit_bprintf(x, b, "\\%c", c);
			else if (c < 0x20 || c > 0x7e)
				sk__audit_bprintf(x, b, "\\%03u", c);
			else
				sk__audit_bprintf(x, b, "%c", c);
		}
		sk__audit_bprintf(x, b, "\"");
		if (len == 0)
			break;
	}
}

void
sk__audit_rr_str(struct au_ctx *x, struct sk_buf *b,
		 const struct sk_dns_rr *rr)
{
	char ip[INET6_ADDRSTRLEN];

	switch (rr->type) {
	case SK_DNS_A:
		inet_ntop(AF_INET, rr->u.a, ip, sizeof(ip));
		sk__audit_bprintf(x, b, "A %s", ip);
		break;
	case SK_DNS_AAAA:
		inet_ntop(AF_INET6, rr->u.aaaa, ip, sizeof(ip));
		sk__audit_bprintf(x, b, "AAAA %s", ip);
		break;
	case SK_DNS_CNAME:
	case SK_DNS_NS:
	case SK_DNS_PTR:
		sk__audit_bprintf(x, b, "%s %s.",
				  rr->type == SK_DNS_CNAME ? "CNAME" :
				  rr->type == SK_DNS_NS ? "NS" : "PTR",
				  rr->u.target);
		break;
	case SK_DNS_MX:
		sk__audit_bprintf(x, b, "MX %u %s.", rr->u.mx.preference,
				  rr->u.mx.exchange);
		break;
	case SK_DNS_SOA:
		sk__audit_bprintf(x, b, "SOA %s. %s. %u", rr->u.soa.mname,
				  rr->u.soa.rname, rr->u.soa.serial);
		break;
	case SK_DNS_TXT:
	case SK_DNS_SPF:
		sk__audit_bprintf(x, b, "%s ", rr->type == SK_DNS_TXT ? "TXT" :
				  "SPF");
		quoted(x, b, rr->u.txt.text, rr->u.txt.len);
		break;
	default:
		sk__audit_bprintf(x, b, "TYPE%u (%u bytes)", rr->type,
				  rr->rdlen);
		break;
	}
}

void
sk__audit_txt_line(struct au_ctx *x, struct sk_buf *b, const char *name,
		   const char *text)
{
	/* A text built by a failed allocation is NULL: x->st says so. */
	if (x->st != SK_OK || text == NULL)
		return;
	sk__audit_bprintf(x, b, "%s. IN TXT ", name);
	quoted(x, b, text, strlen(text));
}

bool
sk__audit_name_eq(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	while (la > 1 && a[la - 1] == '.')
		la--;
	while (lb > 1 && b[lb - 1] == '.')
		lb--;
	return sk__eq_nocase(a, la, b, lb);
}

/* ------------------------------------------------------------ domains */

struct au_domain *
sk__audit_domain(struct au_ctx *x, const char *name)
{
	for (size_t i = 0; i < x->ndom; i++)
		if (sk__audit_name_eq(x->dom[i].name, name))
			return &x->dom[i];
	return NULL;
}

/* The table: every config domain in order, then the return-path domains
 * that are not config domains themselves. */
static sk_status
domains_build(struct au_ctx *x)
{
	const struct sk_org_config *c = x->c;
	size_t max = 2 * c->ndomains, i;
	struct au_domain *d;

	x->dom = sk__calloc(max ? max : 1, sizeof(*x->dom));
	if (x->dom == NULL)
		return SK_ENOMEM;
	for (i = 0; i < c->ndomains; i++) {
		d = &x->dom[x->ndom++];
		d->name = c->domains[i].name;
		d->cfg = &c->domains[i];
		d->is_from = c->domains[i].from;
		d->spf_ip = SK_CHECK_SKIP;
	}
	for (i = 0; i < c->ndomains; i++) {
		const char *rp = c->domains[i].return_path;

		if (rp == NULL || rp[0] == '\0')
			continue;
		x->dom[i].rp = rp;
		d = sk__audit_domain(x, rp);
		if (d == NULL) {
			d = &x->dom[x->ndom++];
			d->name = rp;
			d->spf_ip = SK_CHECK_SKIP;
		}
		d->is_rp = true;
	}
	return SK_OK;
}

static void
domains_free(struct au_ctx *x)
{
	for (size_t i = 0; i < x->ndom; i++) {
		struct au_domain *d = &x->dom[i];

		sk__free(d->dkim_selector);
		sk__free(d->ns_fail);
		for (size_t k = 0; k < d->nns; k++) {
			sk__free(d->ns[k].ns);
			sk__free(d->ns[k].addr);
			sk__free(d->ns[k].why);
		}
		sk__free(d->ns);
	}
	sk__free(x->dom);
	for (size_t i = 0; i < x->npdone; i++)
		sk__free(x->pdone[i]);
	sk__free(x->pdone);
}

/* ------------------------------------------------------ IP networks */

bool
sk__audit_net_parse(const char *s, struct au_net *n)
{
	char buf[INET6_ADDRSTRLEN + 8];
	const char *slash = strchr(s, '/');
	size_t alen = slash != NULL ? (size_t)(slash - s) : strlen(s);
	unsigned long pfx;

	memset(n, 0, sizeof(*n));
	if (alen == 0 || alen >= sizeof(buf))
		return false;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, n->addr) == 1) {
		n->family = AF_INET;
		n->prefix = 32;
	} else if (inet_pton(AF_INET6, buf, n->addr) == 1) {
		n->family = AF_INET6;
		n->prefix = 128;
	} else {
		return false;
	}
	if (slash != NULL) {
		if (!sk__parse_uint(slash + 1, strlen(slash + 1), n->prefix,
				    &pfx))
			return false;
		n->prefix = (unsigned)pfx;
	}
	return true;
}

/* Clear the bits after `prefix`. */
static void
net_mask(uint8_t *a, unsigned prefix, unsigned bits)
{
	for (unsigned i = prefix; i < bits; i++)
		a[i / 8] &= (uint8_t)~(0x80u >> (i % 8));
}

void
sk__audit_net_sample(const struct au_net *n, char *out, size_t outsz)
{
	unsigned bits = n->family == AF_INET ? 32 : 128;
	uint8_t a[16];

	memcpy(a, n->addr, sizeof(a));
	if (n->prefix < bits) {
		net_mask(a, n->prefix, bits);
		for (int i = (int)bits / 8 - 1; i >= 0; i--)
			if (++a[i] != 0)
				break;
	}
	if (inet_ntop(n->family, a, out, (socklen_t)outsz) == NULL &&
	    outsz > 0)
		out[0] = '\0';
}

bool
sk__audit_net_contains(const struct au_net *outer, const struct au_net *inner)
{
	unsigned bits = outer->family == AF_INET ? 32 : 128;
	uint8_t a[16], b[16];

	if (outer->family != inner->family || outer->prefix > inner->prefix)
		return false;
	memcpy(a, outer->addr, sizeof(a));
	memcpy(b, inner->addr, sizeof(b));
	net_mask(a, outer->prefix, bits);
	net_mask(b, outer->prefix, bits);
	return memcmp(a, b, bits / 8) == 0;
}

void
sk__audit_net_str(const struct au_net *n, char *out, size_t outsz)
{
	char ip[INET6_ADDRSTRLEN];

	if (inet_ntop(n->family, n->addr, ip, sizeof(ip)) == NULL)
		ip[0] = '\0';
	snprintf(out, outsz, "%s/%u", ip, n->prefix);
}

/* ---------------------------------------------------------------- run */

static void
run_checks(struct au_ctx *x)
{
	size_t i;

	sk__audit_provider(x);
	sk__audit_ipmode(x);
	sk__audit_hosts(x);
	/* SPF of From domains, then of return-path domains: the forecast
	 * reads both. */
	for (i = 0; i < x->ndom && x->st == SK_OK; i++)
		if (x->dom[i].is_from || x->dom[i].is_rp)
			sk__audit_spf(x, &x->dom[i]);
	for (i = 0; i < x->ndom && x->st == SK_OK; i++)
		if (x->dom[i].is_from)
			sk__audit_dkim(x, &x->dom[i]);
	for (i = 0; i < x->ndom && x->st == SK_OK; i++)
		if (x->dom[i].is_from)
			sk__audit_dmarc(x, &x->dom[i]);
	for (i = 0; i < x->ndom && x->st == SK_OK; i++)
		if (x->dom[i].is_from || x->dom[i].is_rp)
			sk__audit_mx(x, &x->dom[i]);
	if (x->st == SK_OK)
		sk__audit_https(x);
}

SK_API sk_status
sk_audit_run(struct sk_resolver *r, const struct sk_profile *p,
	     const struct sk_org_config *c, const struct sk_audit_opts *opts,
	     struct sk_audit **out, struct sk_err *err)
{
	struct au_ctx x;
	sk_status st;

	if (out != NULL)
		*out = NULL;
	if (r == NULL || p == NULL || c == NULL || out == NULL)
		return sk__err(err, SK_EINVAL, "resolver, profile, config "
			       "and output pointer needed");
	memset(&x, 0, sizeof(x));
	x.r = r;
	x.p = p;
	x.c = c;
	if (opts != NULL)
		x.o = *opts;
	x.now = x.o.now != 0 ? x.o.now : time(NULL);
	if (x.o.max_age_days == 0)
		x.o.max_age_days = 180;
	if (x.o.ns_port == 0)
		x.o.ns_port = 53;
	if (x.o.ns_timeout_ms == 0)
		x.o.ns_timeout_ms = 2000;
	st = sk_dmarc_psl_load(x.o.psl_path, &x.psl, err);
	if (st != SK_OK)
		return st;
	x.a = sk__calloc(1, sizeof(*x.a));
	if (x.a == NULL) {
		sk_dmarc_psl_free(x.psl);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	st = domains_build(&x);
	if (st == SK_OK) {
		run_checks(&x);
		st = x.st;
	}
	domains_free(&x);
	sk_dmarc_psl_free(x.psl);
	if (st != SK_OK) {
		sk_audit_free(x.a);
		return sk__err(err, st, "%s", st == SK_ENOMEM ?
			       "out of memory" : sk_strerror(st));
	}
	audit_sort(x.a);
	*out = x.a;
	return SK_OK;
}

SK_API void
sk_audit_free(struct sk_audit *a)
{
	if (a == NULL)
		return;
	for (size_t i = 0; i < a->n; i++)
		item_free(&a->v[i]);
	sk__free(a->v);
	sk__free(a);
}

SK_API size_t
sk_audit_count(const struct sk_audit *a)
{
	return a != NULL ? a->n : 0;
}

SK_API const struct sk_check *
sk_audit_get(const struct sk_audit *a, size_t i)
{
	if (a == NULL || i >= a->n)
		return NULL;
	return &a->v[i].pub;
}

SK_API int
sk_audit_max_severity(const struct sk_audit *a)
{
	int max = -1;

	for (size_t i = 0; a != NULL && i < a->n; i++)
		if (a->v[i].pub.status == SK_CHECK_FAIL &&
		    (int)a->v[i].pub.severity > max)
			max = (int)a->v[i].pub.severity;
	return max;
}

SK_API size_t
sk_audit_nstatus(const struct sk_audit *a, enum sk_check_status s)
{
	size_t n = 0;

	for (size_t i = 0; a != NULL && i < a->n; i++)
		if (a->v[i].pub.status == s)
			n++;
	return n;
}
