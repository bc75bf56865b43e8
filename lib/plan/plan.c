/*
 * lib/plan/plan.c - every DNS record an organization must publish for its
 * provider, diffed against what DNS holds.
 *
 *   RFC 1034 section 3.6.2, RFC 2181 section 10.1
 *            a CNAME is alone at its name: other data there is removed,
 *            and a zone apex (which holds SOA and NS) cannot be one;
 *   RFC 7208 sections 3.2, 4.5, 4.6.4
 *            one SPF record per domain; a published record is merged
 *            into (terms kept in order, new ones before "all"), within
 *            10 DNS-querying terms;
 *   RFC 6376 section 3.6.2.1
 *            key records at SELECTOR._domainkey.DOMAIN;
 *   RFC 7489 sections 6.1, 6.6.3 and 7.1
 *            the policy record at _dmarc.DOMAIN (one only), and the
 *            authorization of report destinations of another
 *            organizational domain;
 *   RFC 1035 sections 3.3.14 and 5.1
 *            TXT character-strings of at most 255 bytes, quoted.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <senderkit/dkim.h>
#include <senderkit/dmarc.h>
#include <senderkit/spf.h>

#include "plan_internal.h"
#include "dmarc/dmarc_internal.h"

/* Consecutive failed questions, with none answered, after which DNS is
 * taken as unreachable and not asked again. */
#define PLAN_DNS_GIVE_UP 3
/* Text of one planned name, value or sentence. */
#define PLAN_TEXT_MAX 65536

/* Purposes, in the order records of one name are listed. */
static const char *const purposes[] = {
	"landing", "tracking", "spf", "dkim", "dmarc", "mx",
	"return-path-spf", "return-path-mx", "dmarc-report-auth",
};
#define NPURPOSES (sizeof(purposes) / sizeof(purposes[0]))

struct zc_ent {
	char *name;
	char *zone; /* NULL: no enclosing zone found */
};

struct build {
	struct sk_plan *pl;
	struct sk_resolver *r;
	const struct sk_profile *p;
	const struct sk_org_config *c;
	bool no_refuse;
	unsigned ttl;
	struct zc_ent *zc; /* enclosing zone of names asked (SOA walk) */
	size_t nzc, azc;
	char **rps;        /* branded return-path domains, lower case */
	size_t nrp;
	unsigned failed, answered;
	bool dns_down;
	struct sk_dmarc_psl *psl;
	bool psl_tried;
	sk_status st;      /* sticky: SK_ENOMEM */
};

static const char *const ref_cname = "RFC 1034 section 3.6.2";
static const char *const ref_spf_one = "RFC 7208 section 4.5";
static const char *const ref_spf_limit = "RFC 7208 section 4.6.4";
static const char *const ref_dmarc = "RFC 7489 section 6.1";
static const char *const ref_dmarc_one = "RFC 7489 section 6.6.3";
static const char *const ref_report = "RFC 7489 section 7.1";
static const char *const ref_dkim = "RFC 6376 section 3.6.2.1";
static const char *const ref_mx = "RFC 5321 section 5.1";

/* ------------------------------------------------------------ strings */

static void
nomem(struct build *b)
{
	b->st = SK_ENOMEM;
}

/* Length without trailing dots (a root "." stays empty). */
static size_t
name_len(const char *s)
{
	size_t n = strlen(s);

	while (n > 0 && s[n - 1] == '.')
		n--;
	return n;
}

/* Lower-case copy without trailing dot. */
static char *
name_dup(const char *s)
{
	size_t i, n = name_len(s);
	char *o = sk__malloc(n + 1);

	if (o == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		o[i] = sk__lower(s[i]);
	o[n] = '\0';
	return o;
}

static bool
name_eq(const char *a, const char *b)
{
	return sk__eq_nocase(a, name_len(a), b, name_len(b));
}

/* True when `a` is `b` or a name below it. */
static bool
name_under(const char *a, const char *b)
{
	size_t al = name_len(a), bl = name_len(b);

	if (bl == 0 || al < bl)
		return false;
	if (!sk__eq_nocase(a + al - bl, bl, b, bl))
		return false;
	return al == bl || a[al - bl - 1] == '.';
}

/* A host name as DNS carries it: labels of 1-63 letters, digits, '-' or
 * '_', at most 253 characters in all (RFC 1035 section 2.3.4). */
static bool
valid_name(const char *s)
{
	size_t i, n = name_len(s), lab = 0;

	if (n == 0 || n > 253)
		return false;
	for (i = 0; i < n; i++) {
		char ch = s[i];

		if (ch == '.') {
			if (lab == 0)
				return false;
			lab = 0;
			continue;
		}
		if (!sk__isalnum(ch) && ch != '-' && ch != '_')
			return false;
		if (++lab > 63)
			return false;
	}
	return lab > 0;
}

/* The text built in o, taken from it; NULL with b->st set when building
 * failed (st) or memory ran out. */
static char *
take(struct build *b, struct sk_buf *o, sk_status st)
{
	char *s = st == SK_OK ? sk__buf_take(o) : NULL;

	if (s == NULL) {
		sk__buf_free(o);
		nomem(b);
	}
	return s;
}

static char *
vfmt(struct build *b, const char *fmt, va_list ap) SK_PRINTF(2, 0);

static char *
vfmt(struct build *b, const char *fmt, va_list ap)
{
	struct sk_buf o;

	sk__buf_init(&o, PLAN_TEXT_MAX);
	return take(b, &o, sk__buf_vprintf(&o, fmt, ap));
}

/* A formatted string (malloc'd), NULL with b->st set on failure. */
static char *
fmt(struct build *b, const char *f, ...) SK_PRINTF(2, 3);

static char *
fmt(struct build *b, const char *f, ...)
{
	va_list ap;
	char *s;

	va_start(ap, f);
	s = vfmt(b, f, ap);
	va_end(ap);
	return s;
}

/* Split a comma-separated list into trimmed, non-empty items. */
static sk_status
split_list(const char *s, char ***out, size_t *n)
{
	const char *p = s, *e, *q;
	char **v = NULL;
	size_t cnt = 0, i;

	*out = NULL;
	*n = 0;
	if (s == NULL)
		return SK_OK;
	for (q = s; *q != '\0'; q++)
		if (*q == ',')
			cnt++;
	v = sk__calloc(cnt + 1, sizeof(*v));
	if (v == NULL)
		return SK_ENOMEM;
	cnt = 0;
	while (*p != '\0') {
		e = strchr(p, ',');
		if (e == NULL)
			e = p + strlen(p);
		q = e;
		while (p < q && (*p == ' ' || *p == '\t'))
			p++;
		while (q > p && (q[-1] == ' ' || q[-1] == '\t'))
			q--;
		if (q > p) {
			v[cnt] = sk__strndup(p, (size_t)(q - p));
			if (v[cnt] == NULL)
				goto fail;
			cnt++;
		}
		p = *e == ',' ? e + 1 : e;
	}
	*out = v;
	*n = cnt;
	return SK_OK;
fail:
	for (i = 0; i < cnt; i++)
		sk__free(v[i]);
	sk__free(v);
	return SK_ENOMEM;
}

static void
free_list(char **v, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		sk__free(v[i]);
	sk__free(v);
}

/* ------------------------------------------------------------ TXT form */

sk_status
sk__plan_charstr(struct sk_buf *b, const unsigned char *p, size_t n)
{
	sk_status st;
	size_t i;

	st = sk__buf_addc(b, '"');
	for (i = 0; i < n && st == SK_OK; i++) {
		if (p[i] == '"' || p[i] == '\\') {
			st = sk__buf_addc(b, '\\');
			if (st == SK_OK)
				st = sk__buf_addc(b, (char)p[i]);
		} else if (p[i] < 0x20 || p[i] > 0x7e) {
			st = sk__buf_printf(b, "\\%03u", p[i]);
		} else {
			st = sk__buf_addc(b, (char)p[i]);
		}
	}
	if (st == SK_OK)
		st = sk__buf_addc(b, '"');
	return st;
}

sk_status
sk__plan_txt_rdata(struct sk_buf *b, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text;
	sk_status st = SK_OK;
	size_t off = 0, k;

	if (len == 0)
		return sk__plan_charstr(b, p, 0);
	while (off < len && st == SK_OK) {
		k = len - off;
		if (k > SK_DNS_MAX_TXT_STRING)
			k = SK_DNS_MAX_TXT_STRING;
		if (off > 0)
			st = sk__buf_addc(b, ' ');
		if (st == SK_OK)
			st = sk__plan_charstr(b, p + off, k);
		off += k;
	}
	return st;
}

/* Presentation-form rdata of a published record. */
static sk_status
rr_rdata(struct sk_buf *b, const struct sk_dns_rr *rr)
{
	char ip[INET6_ADDRSTRLEN];
	const unsigned char *t;
	sk_status st = SK_OK;
	size_t i, off;

	switch (rr->type) {
	case SK_DNS_A:
		if (inet_ntop(AF_INET, rr->u.a, ip, sizeof(ip)) == NULL)
			return SK_EINTERNAL;
		return sk__buf_adds(b, ip);
	case SK_DNS_AAAA:
		if (inet_ntop(AF_INET6, rr->u.aaaa, ip, sizeof(ip)) == NULL)
			return SK_EINTERNAL;
		return sk__buf_adds(b, ip);
	case SK_DNS_MX:
		return sk__buf_printf(b, "%u %.*s.", rr->u.mx.preference,
				      (int)name_len(rr->u.mx.exchange),
				      rr->u.mx.exchange);
	case SK_DNS_CNAME:
	case SK_DNS_NS:
	case SK_DNS_PTR:
		return sk__buf_printf(b, "%.*s.", (int)name_len(rr->u.target),
				      rr->u.target);
	case SK_DNS_TXT:
	case SK_DNS_SPF:
		t = (const unsigned char *)rr->u.txt.text;
		if (rr->u.txt.nstrings == 0)
			return sk__plan_charstr(b, t, rr->u.txt.len);
		off = 0;
		for (i = 0; i < rr->u.txt.nstrings && st == SK_OK; i++) {
			if (off + rr->u.txt.lens[i] > rr->u.txt.len)
				break;
			if (i > 0)
				st = sk__buf_addc(b, ' ');
			if (st == SK_OK)
				st = sk__plan_charstr(b, t + off,
						      rr->u.txt.lens[i]);
			off += rr->u.txt.lens[i];
		}
		return st;
	case SK_DNS_CAA:
		/* RFC 8659 section 4.1: the tag is letters and digits; any
		 * other byte (hostile data) takes the generic form below,
		 * so that nothing can break a script line. */
		for (i = 0; rr->u.caa.tag[i] != '\0'; i++)
			if (!sk__isalnum(rr->u.caa.tag[i]))
				break;
		if (rr->u.caa.tag[i] != '\0' || i == 0)
			goto generic;
		st = sk__buf_printf(b, "%u %s ", rr->u.caa.flags,
				    rr->u.caa.tag);
		if (st == SK_OK)
			st = sk__plan_charstr(b, (const unsigned char *)
					      rr->u.caa.value,
					      strlen(rr->u.caa.value));
		return st;
	default:
	generic:
		/* RFC 3597 section 5 generic form. */
		st = sk__buf_printf(b, "\\# %u", rr->rdlen);
		for (i = 0; i < rr->rdlen && st == SK_OK; i++)
			st = sk__buf_printf(b, "%s%02x", i ? "" : " ",
					    rr->rdata[i]);
		return st;
	}
}

static char *
rr_rdata_dup(struct build *b, const struct sk_dns_rr *rr)
{
	struct sk_buf o;

	sk__buf_init(&o, PLAN_TEXT_MAX);
	return take(b, &o, rr_rdata(&o, rr));
}

static char *
txt_rdata_dup(struct build *b, const char *text)
{
	struct sk_buf o;

	sk__buf_init(&o, PLAN_TEXT_MAX);
	return take(b, &o, sk__plan_txt_rdata(&o, text, strlen(text)));
}

/* ------------------------------------------------------------ records */

static unsigned
purpose_rank(const char *purpose)
{
	unsigned i;

	for (i = 0; i < NPURPOSES; i++)
		if (strcmp(purposes[i], purpose) == 0)
			return i;
	return NPURPOSES;
}

static char *
dup_or_null(struct build *b, const char *s)
{
	char *o;

	if (s == NULL)
		return NULL;
	o = sk__strdup(s);
	if (o == NULL)
		nomem(b);
	return o;
}

static void
rec_free_strings(struct sk_plan_record *r)
{
	sk__free((void *)r->purpose);
	sk__free((void *)r->name);
	sk__free((void *)r->zone);
	sk__free((void *)r->rdata);
	sk__free((void *)r->value);
	sk__free((void *)r->old_rdata);
	sk__free((void *)r->why);
	sk__free((void *)r->source);
}

/*
 * Add one record.  `origin` is the sending domain it derives from, the
 * zone until the final pass finds a better one.  Strings are copied.
 */
static void
rec_add(struct build *b, enum sk_plan_action act, const char *purpose,
	const char *name, uint16_t type, const char *rdata, const char *value,
	const char *old_rdata, const char *why, const char *source,
	const char *origin)
{
	struct sk_plan *pl = b->pl;
	struct sk__plan_rec *r;

	if (b->st != SK_OK)
		return;
	if (pl->n == pl->a) {
		struct sk__plan_rec *nv = sk__grow(pl->v, &pl->a, sizeof(*nv),
						   32);

		if (nv == NULL) {
			nomem(b);
			return;
		}
		pl->v = nv;
	}
	r = &pl->v[pl->n];
	memset(r, 0, sizeof(*r));
	r->pub.action = act;
	r->pub.type = type;
	r->pub.ttl = b->ttl;
	r->rank = purpose_rank(purpose);
	r->seq = pl->n;
	r->pub.purpose = dup_or_null(b, purpose);
	r->pub.name = name_dup(name);
	if (r->pub.name == NULL)
		nomem(b);
	r->pub.zone = name_dup(origin);
	if (r->pub.zone == NULL)
		nomem(b);
	if (act != SK_PLAN_REMOVE) {
		r->pub.rdata = dup_or_null(b, rdata);
		r->pub.value = dup_or_null(b, value);
	}
	if (act == SK_PLAN_CHANGE || act == SK_PLAN_REMOVE)
		r->pub.old_rdata = dup_or_null(b, old_rdata);
	r->pub.why = dup_or_null(b, why != NULL ? why : "");
	r->pub.source = dup_or_null(b, source != NULL ? source : "");
	if (b->st != SK_OK) {
		rec_free_strings(&r->pub);
		return;
	}
	pl->n++;
}

static void
finding(struct build *b, enum sk_severity sev, const char *id,
	const char *subject, const char *ref, const char *f, ...)
	SK_PRINTF(6, 7);

static void
finding(struct build *b, enum sk_severity sev, const char *id,
	const char *subject, const char *ref, const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	sk__findings_vadd(b->pl->findings, sev, id, subject, SK_NO_OFFSET,
			  ref, f, ap);
	va_end(ap);
}

/* ------------------------------------------------------------ DNS */

enum look {
	LOOK_NODIFF = 0, /* no resolver: nothing is known */
	LOOK_FAIL,       /* DNS failed (a finding says so) */
	LOOK_OK,         /* *out holds the answer */
};

static enum look
look(struct build *b, const char *name, uint16_t type,
     const struct sk_dns_answer **out)
{
	const struct sk_dns_answer *a = NULL;
	struct sk_err e;
	sk_status st;

	*out = NULL;
	if (b->r == NULL)
		return LOOK_NODIFF;
	if (b->dns_down) {
		b->failed++;
		return LOOK_FAIL;
	}
	sk_err_clear(&e);
	st = sk_dns_resolve(b->r, name, type, &a, &e);
	if (st == SK_ENOMEM) {
		nomem(b);
		return LOOK_FAIL;
	}
	if (st != SK_OK || a->status == SK_DNS_TEMPFAIL) {
		b->failed++;
		finding(b, SK_SEV_WARNING, "plan-dns-failure", name, NULL,
			"DNS failed for %s %s (%s): planned as if nothing "
			"were published there", sk_dns_type_str(type), name,
			st != SK_OK ? (e.msg[0] ? e.msg : sk_strerror(st)) :
			(a->why[0] ? a->why : "temporary failure"));
		sk_dns_answer_unref(a);
		if (b->answered == 0 && b->failed >= PLAN_DNS_GIVE_UP)
			b->dns_down = true;
		return LOOK_FAIL;
	}
	b->answered++;
	*out = a;
	return LOOK_OK;
}

/* True when record i of the answer is of `type` and owned by the name
 * asked (not found at the end of a CNAME chain). */
static bool
own_rr(const struct sk_dns_answer *a, size_t i, uint16_t type)
{
	return a != NULL && a->status == SK_DNS_ANSWER &&
	       a->cname_links == 0 && i < a->count && a->rr[i].type == type;
}

static void
zc_put(struct build *b, const char *name, const char *zone)
{
	struct zc_ent *e;

	if (b->nzc == b->azc) {
		struct zc_ent *nv = sk__grow(b->zc, &b->azc, sizeof(*nv), 32);

		if (nv == NULL) {
			nomem(b);
			return;
		}
		b->zc = nv;
	}
	e = &b->zc[b->nzc];
	e->name = name_dup(name);
	e->zone = zone != NULL ? name_dup(zone) : NULL;
	if (e->name == NULL || (zone != NULL && e->zone == NULL)) {
		sk__free(e->name);
		sk__free(e->zone);
		nomem(b);
		return;
	}
	b->nzc++;
}

static const struct zc_ent *
zc_get(const struct build *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->nzc; i++)
		if (name_eq(b->zc[i].name, name))
			return &b->zc[i];
	return NULL;
}

/*
 * The zone enclosing `name`, from SOA questions up the tree: the first
 * name whose own SOA answers.  NULL without a resolver, when DNS is down
 * or when no ancestor answered.  Failures here are not findings: a
 * server answers REFUSED for names outside its zones, as Knot and NSD
 * do, and the walk goes on up.  Borrowed from the cache.
 */
static const char *
zone_of(struct build *b, const char *name)
{
	const struct sk_dns_answer *a;
	const struct zc_ent *hit;
	const char *n = name, *found = NULL, *dot;
	size_t i, nvisit = 0;

	if (b->r == NULL || b->dns_down || name_len(name) == 0)
		return NULL;
	while (name_len(n) > 0) {
		hit = zc_get(b, n);
		if (hit != NULL) {
			found = hit->zone;
			break;
		}
		a = NULL;
		if (sk_dns_resolve(b->r, n, SK_DNS_SOA, &a, NULL) !=
		    SK_OK) {
			a = NULL;
		}
		nvisit++;
		for (i = 0; a != NULL && i < a->count; i++) {
			if (own_rr(a, i, SK_DNS_SOA)) {
				found = n;
				break;
			}
		}
		sk_dns_answer_unref(a);
		if (found != NULL)
			break;
		dot = strchr(n, '.');
		if (dot == NULL)
			break;
		n = dot + 1;
	}
	/* Every name visited below the zone belongs to it. */
	n = name;
	for (i = 0; i < nvisit && b->st == SK_OK; i++) {
		if (zc_get(b, n) == NULL)
			zc_put(b, n, found);
		dot = strchr(n, '.');
		if (dot == NULL)
			break;
		n = dot + 1;
	}
	if (b->st != SK_OK)
		return NULL;
	hit = zc_get(b, name);
	return hit != NULL ? hit->zone : NULL;
}

/* The zone of a record without DNS: the longest sending domain the name
 * is under, else `origin`. */
static const char *
zone_offline(const struct build *b, const char *name, const char *origin)
{
	const char *best = NULL;
	size_t i;

	for (i = 0; i < b->c->ndomains; i++) {
		const char *d = b->c->domains[i].name;

		if (d != NULL && name_under(name, d) &&
		    (best == NULL || name_len(d) > name_len(best)))
			best = d;
	}
	return best != NULL ? best : origin;
}

static bool
is_config_domain(const struct build *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->c->ndomains; i++)
		if (b->c->domains[i].name != NULL &&
		    name_eq(b->c->domains[i].name, name))
			return true;
	return false;
}

/* ------------------------------------------------------------ hosts */

static const char *
config_host(const struct sk_org_config *c, const char *key)
{
	if (key == NULL)
		return NULL;
	if (strcmp(key, "landing_host") == 0)
		return c->landing_host;
	if (strcmp(key, "tracking_host") == 0)
		return c->tracking_host;
	return sk_config_input(c, key);
}

/* Types looked for beside a wanted CNAME. */
static const uint16_t sibling_types[] = {
	SK_DNS_A, SK_DNS_AAAA, SK_DNS_TXT, SK_DNS_MX, SK_DNS_CAA,
};

static void
plan_siblings(struct build *b, const struct sk_profile_host *h,
	      const char *host, const char *target, const char *origin)
{
	const struct sk_dns_answer *a;
	char *why, *old;
	size_t t, i;

	why = fmt(b, "%s must be a CNAME to %s, and a CNAME cannot "
		  "coexist with other data at its name (RFC 1034 section "
		  "3.6.2, RFC 2181 section 10.1): delete this record first",
		  host, target);
	for (t = 0; t < sizeof(sibling_types) / sizeof(sibling_types[0]) &&
	     b->st == SK_OK; t++) {
		if (look(b, host, sibling_types[t], &a) != LOOK_OK)
			continue;
		for (i = 0; i < a->count && b->st == SK_OK; i++) {
			if (!own_rr(a, i, sibling_types[t]))
				continue;
			old = rr_rdata_dup(b, &a->rr[i]);
			rec_add(b, SK_PLAN_REMOVE, h->role, host,
				sibling_types[t], NULL, NULL, old, why,
				ref_cname, origin);
			sk__free(old);
		}
		sk_dns_answer_unref(a);
	}
	sk__free(why);
}

static void
plan_host(struct build *b, const struct sk_profile_host *h)
{
	const struct sk_dns_answer *a = NULL;
	const char *hostv = config_host(b->c, h->config_key), *zone, *origin;
	char *host = NULL, *target = NULL, *exp = NULL, *rdata = NULL;
	char *why = NULL, *old = NULL;
	struct sk_err e;
	enum look lk;
	size_t i;
	sk_status st;

	if (hostv == NULL || h->target == NULL)
		return;
	host = name_dup(hostv);
	if (host == NULL) {
		nomem(b);
		return;
	}
	if (!valid_name(host)) {
		finding(b, SK_SEV_ERROR, "plan-host-invalid", h->config_key,
			NULL, "%s '%s' is not a valid host name: no %s record "
			"planned", h->config_key, hostv, h->role);
		goto out;
	}
	sk_err_clear(&e);
	st = sk_profile_expand(b->c, h->target, &exp, &e);
	if (st == SK_ENOMEM) {
		nomem(b);
		goto out;
	}
	if (st != SK_OK) {
		finding(b, SK_SEV_ERROR, "plan-input-missing", host, NULL,
			"the CNAME target of %s (%s) cannot be worked out: %s",
			host, h->target, e.msg[0] ? e.msg : sk_strerror(st));
		goto out;
	}
	target = name_dup(exp);
	if (target == NULL) {
		nomem(b);
		goto out;
	}
	if (!valid_name(target)) {
		finding(b, SK_SEV_ERROR, "plan-host-invalid", host, NULL,
			"the CNAME target of %s, '%s', is not a valid host "
			"name: check the provider inputs", host, exp);
		goto out;
	}
	/* A CNAME at a zone apex would sit beside its SOA and NS records
	 * (RFC 1034 section 3.6.2, RFC 2181 section 10.1). */
	zone = is_config_domain(b, host) ? host : zone_of(b, host);
	if (zone != NULL && name_eq(zone, host)) {
		finding(b, SK_SEV_ERROR, "plan-cname-apex", host, ref_cname,
			"%s is a zone apex: the %s host needs a CNAME to %s, "
			"which cannot exist there; use a subdomain such as "
			"%s.%s", host, h->role, target,
			strcmp(h->role, "landing") == 0 ? "go" : "email",
			host);
		goto out;
	}
	/* Two roles on one host would need two CNAMEs at one name. */
	for (i = 0; i < b->pl->n; i++) {
		if (b->pl->v[i].pub.type == SK_DNS_CNAME &&
		    name_eq(b->pl->v[i].pub.name, host)) {
			finding(b, SK_SEV_ERROR, "plan-hosts-same", host,
				ref_cname, "%s is both the %s host and the %s "
				"host: each needs its own CNAME, so they must "
				"differ", host, b->pl->v[i].pub.purpose,
				h->role);
			goto out;
		}
	}
	origin = zone_offline(b, host, host);
	rdata = fmt(b, "%s.", target);
	if (h->why != NULL)
		why = fmt(b, "%s", h->why);
	else
		why = fmt(b, "the %s host %s is served by the provider "
			  "through a CNAME to %s", h->role, host, target);
	if (b->st != SK_OK)
		goto out;
	lk = look(b, host, SK_DNS_CNAME, &a);
	if (lk == LOOK_OK) {
		for (i = 0; i < a->count; i++) {
			if (!own_rr(a, i, SK_DNS_CNAME))
				continue;
			old = rr_rdata_dup(b, &a->rr[i]);
			if (name_eq(a->rr[i].u.target, target)) {
				rec_add(b, SK_PLAN_KEEP, h->role, host,
					SK_DNS_CNAME, old, target, NULL, why,
					h->source, origin);
			} else {
				rec_add(b, SK_PLAN_CHANGE, h->role, host,
					SK_DNS_CNAME, rdata, target, old, why,
					h->source, origin);
			}
			goto out;
		}
		/* No CNAME yet: whatever else is there must go. */
		plan_siblings(b, h, host, target, origin);
	}
	rec_add(b, SK_PLAN_ADD, h->role, host, SK_DNS_CNAME, rdata, target,
		NULL, why, h->source, origin);
out:
	sk_dns_answer_unref(a);
	sk__free(host);
	sk__free(target);
	sk__free(exp);
	sk__free(rdata);
	sk__free(why);
	sk__free(old);
}

/* ------------------------------------------------------------ SPF */

struct terms {
	char **v;
	size_t n, a;
};

static void
terms_free(struct terms *t)
{
	free_list(t->v, t->n);
	memset(t, 0, sizeof(*t));
}

/* Add a term unless present (case-insensitive). */
static void
terms_add(struct build *b, struct terms *t, char *s)
{
	size_t i;

	if (s == NULL)
		return; /* fmt() failed: b->st is set */
	for (i = 0; i < t->n; i++) {
		if (sk__eq_nocase(t->v[i], strlen(t->v[i]), s, strlen(s))) {
			sk__free(s);
			return;
		}
	}
	if (t->n == t->a) {
		char **nv = sk__grow(t->v, &t->a, sizeof(*nv), 8);

		if (nv == NULL) {
			sk__free(s);
			nomem(b);
			return;
		}
		t->v = nv;
	}
	t->v[t->n++] = s;
}

/* True when the published term `pt` already gives what `w` asks for:
 * the same include, or an ip4/ip6 network containing w's. */
static bool
term_covers(const struct sk_spf_term *pt, const struct sk_spf_term *w)
{
	int bits, pp, wp, i;

	if (pt->kind != w->kind)
		return false;
	if (w->kind == SK_SPF_INCLUDE) {
		size_t pl, wl;

		if (pt->domain_spec == NULL || w->domain_spec == NULL)
			return false;
		pl = pt->domain_spec_len;
		while (pl > 1 && pt->domain_spec[pl - 1] == '.')
			pl--;
		wl = w->domain_spec_len;
		while (wl > 1 && w->domain_spec[wl - 1] == '.')
			wl--;
		return sk__eq_nocase(pt->domain_spec, pl, w->domain_spec, wl);
	}
	if (w->kind != SK_SPF_IP4 && w->kind != SK_SPF_IP6)
		return false;
	if (pt->qualifier != '+')
		return false;
	bits = w->kind == SK_SPF_IP4 ? 32 : 128;
	pp = w->kind == SK_SPF_IP4 ? pt->cidr4 : pt->cidr6;
	wp = w->kind == SK_SPF_IP4 ? w->cidr4 : w->cidr6;
	if (pp < 0)
		pp = bits;
	if (wp < 0)
		wp = bits;
	if (pp > wp)
		return false;
	for (i = 0; i < pp; i++) {
		unsigned m = 0x80u >> (i % 8);

		if ((pt->addr[i / 8] & m) != (w->addr[i / 8] & m))
			return false;
	}
	return true;
}

/* Insert `term` into record `rec` before its last "all", else before
 * redirect=, else at the end (RFC 7208 sections 4.6.2 and 6.1).  NULL
 * with b->st set on failure (rec is known to parse). */
static char *
spf_insert(struct build *b, const char *rec, const char *term)
{
	struct sk_spf_record *pr = NULL;
	size_t i, nt, at, len = strlen(rec);
	bool found = false;
	char *o = NULL;
	sk_status st;

	st = sk_spf_parse(rec, len, &pr, NULL);
	if (st != SK_OK) {
		b->st = st == SK_ENOMEM ? st : SK_EINTERNAL;
		return NULL;
	}
	nt = sk_spf_record_nterms(pr);
	at = len;
	for (i = 0; i < nt; i++) {
		const struct sk_spf_term *t = sk_spf_record_term(pr, i);

		if (t->kind == SK_SPF_ALL) {
			at = t->offset;
			found = true;
		}
	}
	for (i = 0; i < nt && !found; i++) {
		const struct sk_spf_term *t = sk_spf_record_term(pr, i);

		if (t->kind == SK_SPF_REDIRECT) {
			at = t->offset;
			found = true;
		}
	}
	if (found) {
		o = fmt(b, "%.*s%s %s", (int)at, rec, term, rec + at);
	} else {
		while (len > 0 && rec[len - 1] == ' ')
			len--;
		o = fmt(b, "%.*s %s", (int)len, rec, term);
	}
	sk_spf_record_free(pr);
	return o;
}

/*
 * `base` with every wanted term it lacks added, in the order wanted.
 * *prev gets the record before the last include added and *last_inc that
 * include's domain (both NULL when no include was added): the merge that
 * counts lookups is replayed on them.
 */
static char *
spf_add_terms(struct build *b, const char *subject, const char *base,
	      const struct terms *want, char **prev, const char **last_inc)
{
	struct sk_spf_record *pb = NULL, *pw = NULL;
	char *cur, *next, *one;
	const struct sk_spf_term *w;
	size_t i, k;
	sk_status st;
	bool have;

	*prev = NULL;
	*last_inc = NULL;
	st = sk_spf_parse(base, strlen(base), &pb, NULL);
	if (st != SK_OK) {
		b->st = st == SK_ENOMEM ? st : SK_EINTERNAL;
		return NULL;
	}
	cur = sk__strdup(base);
	if (cur == NULL)
		nomem(b);
	for (i = 0; i < want->n && b->st == SK_OK; i++) {
		one = fmt(b, "v=spf1 %s", want->v[i]);
		if (one == NULL)
			break;
		pw = NULL;
		st = sk_spf_parse(one, strlen(one), &pw, NULL);
		if (st == SK_ENOMEM) {
			nomem(b);
			sk__free(one);
			break;
		}
		if (st != SK_OK || sk_spf_record_nterms(pw) != 1) {
			finding(b, SK_SEV_ERROR, "plan-spf-term-invalid",
				subject, "RFC 7208 section 12",
				"'%s' is not a valid SPF term (a mail_servers "
				"item must be an IPv4 or IPv6 address or "
				"network): left out", want->v[i]);
			sk_spf_record_free(pw);
			sk__free(one);
			continue;
		}
		w = sk_spf_record_term(pw, 0);
		have = false;
		for (k = 0; k < sk_spf_record_nterms(pb) && !have; k++)
			have = term_covers(sk_spf_record_term(pb, k), w);
		if (!have) {
			if (w->kind == SK_SPF_INCLUDE) {
				sk__free(*prev);
				*prev = sk__strdup(cur);
				if (*prev == NULL)
					nomem(b);
				*last_inc = want->v[i] + strlen("include:");
			}
			next = spf_insert(b, cur, want->v[i]);
			sk__free(cur);
			cur = next;
		}
		sk_spf_record_free(pw);
		sk__free(one);
	}
	sk_spf_record_free(pb);
	if (b->st != SK_OK) {
		sk__free(cur);
		sk__free(*prev);
		*prev = NULL;
		return NULL;
	}
	return cur;
}

/*
 * Replay the last include of a changed record through sk_spf_merge(),
 * which counts the lookups of the whole policy (through DNS when there is
 * a resolver).  True when the record may be published.
 */
static bool
spf_within_limit(struct build *b, const char *subject, const char *prev,
		 const char *inc)
{
	struct sk_spf_merge *m = NULL;
	struct sk_err e;
	sk_status st;
	bool okay = true;

	if (prev == NULL || inc == NULL)
		return true; /* no lookup added */
	sk_err_clear(&e);
	st = sk_spf_merge(b->r, prev, strlen(prev), inc, &m, &e);
	if (st == SK_ENOMEM) {
		nomem(b);
		return false;
	}
	if (st != SK_OK) {
		b->st = st;
		return false;
	}
	if (m->refused && !b->no_refuse) {
		finding(b, SK_SEV_ERROR, "plan-spf-lookups", subject,
			ref_spf_limit, "SPF record of %s not planned: %s",
			subject, m->reason);
		okay = false;
	} else if (m->refused) {
		finding(b, SK_SEV_WARNING, "plan-spf-lookups", subject,
			ref_spf_limit, "SPF record of %s planned over the "
			"limit as asked; receivers will return permerror: %s",
			subject, m->reason);
	}
	sk_spf_merge_free(m);
	return okay;
}

/*
 * Plan the SPF record of `domain` from the wanted terms and the final
 * "all" term: a new record, or the published one with what it lacks.
 */
static void
plan_spf_record(struct build *b, const char *purpose, const char *domain,
		const struct terms *want, const char *allq, const char *why,
		const char *source)
{
	const struct sk_dns_answer *a = NULL;
	struct sk_spf_record *pr = NULL;
	char *base = NULL, *rec = NULL, *prev = NULL, *rdata = NULL;
	char *old = NULL, *why2 = NULL;
	const char *inc = NULL;
	size_t i, target = SIZE_MAX, nspf = 0;
	enum sk_plan_action act;
	enum look lk;
	sk_status st;

	lk = look(b, domain, SK_DNS_TXT, &a);
	for (i = 0; lk == LOOK_OK && i < a->count; i++) {
		const struct sk_dns_rr *rr = &a->rr[i];

		if (!own_rr(a, i, SK_DNS_TXT) ||
		    !sk_spf_is_record(rr->u.txt.text, rr->u.txt.len))
			continue;
		nspf++;
		if (target != SIZE_MAX)
			continue;
		st = sk_spf_parse(rr->u.txt.text, rr->u.txt.len, &pr, NULL);
		if (st == SK_ENOMEM)
			nomem(b);
		if (st == SK_OK)
			target = i;
		sk_spf_record_free(pr);
		pr = NULL;
	}
	if (target != SIZE_MAX) {
		base = sk__strndup(a->rr[target].u.txt.text,
				   a->rr[target].u.txt.len);
		why2 = fmt(b, "%s; the published record is kept and only "
			   "what it lacks is added", why);
	} else {
		base = fmt(b, "v=spf1 %s", allq);
		why2 = fmt(b, "%s", why);
		if (want->n == 0 && strcmp(purpose, "spf") == 0)
			finding(b, SK_SEV_INFO, "plan-spf-empty", domain,
				NULL, "the new SPF record of %s authorizes no "
				"host: list the corporate senders in "
				"mail_servers / spf_includes if it sends "
				"other mail", domain);
		if (nspf > 0)
			finding(b, SK_SEV_WARNING, "plan-spf-syntax", domain,
				"RFC 7208 section 4.6", "the published SPF "
				"record of %s does not parse: it is replaced "
				"by a new one; check the senders it listed",
				domain);
	}
	if (base == NULL)
		nomem(b);
	if (b->st != SK_OK)
		goto out;
	rec = spf_add_terms(b, domain, base, want, &prev, &inc);
	if (rec == NULL)
		goto out;
	if (target != SIZE_MAX && strcmp(rec, base) == 0) {
		old = rr_rdata_dup(b, &a->rr[target]);
		rec_add(b, SK_PLAN_KEEP, purpose, domain, SK_DNS_TXT, old, rec,
			NULL, why2, source, domain);
	} else if (spf_within_limit(b, domain, prev, inc)) {
		rdata = txt_rdata_dup(b, rec);
		act = SK_PLAN_ADD;
		if (nspf > 0) {
			/* The parsable record, else the first SPF one. */
			for (i = 0; target == SIZE_MAX && i < a->count; i++)
				if (own_rr(a, i, SK_DNS_TXT) &&
				    sk_spf_is_record(a->rr[i].u.txt.text,
						     a->rr[i].u.txt.len))
					target = i;
			old = rr_rdata_dup(b, &a->rr[target]);
			act = SK_PLAN_CHANGE;
		}
		rec_add(b, act, purpose, domain, SK_DNS_TXT, rdata, rec, old,
			why2, source, domain);
	} else if (target == SIZE_MAX) {
		goto out; /* refused, nothing usable published: leave DNS */
	}
	/* (Refused with a usable record published: it stays as it is.) */
	/* Every other SPF record goes: two make a permerror. */
	for (i = 0; lk == LOOK_OK && i < a->count && b->st == SK_OK; i++) {
		char *o;

		if (i == target || !own_rr(a, i, SK_DNS_TXT) ||
		    !sk_spf_is_record(a->rr[i].u.txt.text,
				      a->rr[i].u.txt.len))
			continue;
		o = rr_rdata_dup(b, &a->rr[i]);
		rec_add(b, SK_PLAN_REMOVE, purpose, domain, SK_DNS_TXT, NULL,
			NULL, o, "a domain has one SPF record: with two, "
			"every SPF check of it is a permerror (RFC 7208 "
			"section 4.5)", ref_spf_one, domain);
		sk__free(o);
	}
out:
	sk_dns_answer_unref(a);
	sk__free(base);
	sk__free(rec);
	sk__free(prev);
	sk__free(rdata);
	sk__free(old);
	sk__free(why2);
}

static bool
is_return_path(const struct build *b, const char *name)
{
	size_t i;

	for (i = 0; i < b->nrp; i++)
		if (name_eq(b->rps[i], name))
			return true;
	return false;
}

static bool
include_always(const struct sk_profile *p)
{
	return p->spf.include != NULL && p->spf.needed_when != NULL &&
	       strcmp(p->spf.needed_when, "always") == 0;
}

static bool
include_for_return_path(const struct sk_profile *p)
{
	return p->spf.include != NULL &&
	       (p->spf.needed_when == NULL ||
		strcmp(p->spf.needed_when, "never") != 0);
}

static void
plan_spf_from(struct build *b, const struct sk_org_domain *d)
{
	const struct sk_profile *p = b->p;
	struct terms want = {0};
	const char *src;
	char *why = NULL;
	bool branded = is_return_path(b, d->name), inc;
	size_t i;

	for (i = 0; i < d->nmail_servers; i++)
		terms_add(b, &want, fmt(b, "%s:%s",
					strchr(d->mail_servers[i], ':') ?
					"ip6" : "ip4", d->mail_servers[i]));
	for (i = 0; i < d->nspf_includes; i++)
		terms_add(b, &want, fmt(b, "include:%s",
					d->spf_includes[i]));
	/* The provider's guides ask for the include on every From domain
	 * (its setup checks for it), even where SPF never checks that
	 * domain for the provider's mail (research F7.1, F7.3): follow
	 * them, and say what it does and does not do. */
	inc = include_always(p) || include_for_return_path(p);
	if (inc)
		terms_add(b, &want, fmt(b, "include:%s", p->spf.include));
	if (b->st != SK_OK)
		goto out;
	if (inc && (include_always(p) || branded)) {
		why = fmt(b, "SPF of the From domain %s: the corporate "
			  "senders of the config and %s, the provider's "
			  "senders%s", d->name, p->spf.include,
			  branded ? " (it is also the branded Return-Path "
			  "domain, which SPF checks)" : "");
	} else if (inc) {
		why = fmt(b, "SPF of the From domain %s: the corporate "
			  "senders of the config, and include:%s because the "
			  "provider's setup guides ask for it; it does not "
			  "affect DMARC: SPF checks the Return-Path domain, "
			  "which is %s (the provider's) on %s IPs without a "
			  "branded return-path, and it costs one of the 10 "
			  "lookups (RFC 7208 section 4.6.4)", d->name,
			  p->spf.include,
			  p->envelope.default_domain != NULL ?
			  p->envelope.default_domain : p->spf.include,
			  sk_ip_mode_str(b->c->ip_mode));
	} else {
		why = fmt(b, "SPF of the From domain %s: the corporate "
			  "senders of the config", d->name);
	}
	src = p->spf.source != NULL ? p->spf.source : "RFC 7208 section 3";
	if (why != NULL)
		plan_spf_record(b, "spf", d->name, &want, "~all", why, src);
out:
	terms_free(&want);
	sk__free(why);
}

static void
plan_spf_return_path(struct build *b, const char *rp)
{
	const struct sk_profile *p = b->p;
	struct terms want = {0};
	const char *allq, *src;
	char *why;

	allq = p->spf.branded_all != NULL ? p->spf.branded_all : "-all";
	if (include_for_return_path(p))
		terms_add(b, &want, fmt(b, "include:%s", p->spf.include));
	/* Research F7.4 and F10.1: the branded envelope domain's SPF
	 * covers the provider and ends in -all. */
	why = fmt(b, "SPF of the branded Return-Path domain %s: receivers "
		  "check SPF against it, so it names the provider's senders "
		  "and ends in %s: nothing else sends with it", rp, allq);
	src = p->envelope.source != NULL ? p->envelope.source :
	      p->spf.source != NULL ? p->spf.source : "RFC 7208 section 2.4";
	if (why != NULL && b->st == SK_OK)
		plan_spf_record(b, "return-path-spf", rp, &want, allq, why,
				src);
	terms_free(&want);
	sk__free(why);
}

/* ------------------------------------------------------------ DKIM */

/* True when two key records hold the same public key. */
static bool
same_key(struct build *b, const char *a, size_t alen, const char *bt,
	 size_t blen)
{
	struct sk_dkim_key *ka = NULL, *kb = NULL;
	bool same = false;
	sk_status sa, sb = SK_OK;

	sa = sk_dkim_key_parse(a, alen, &ka, NULL);
	if (sa == SK_OK)
		sb = sk_dkim_key_parse(bt, blen, &kb, NULL);
	if (sa == SK_ENOMEM || sb == SK_ENOMEM)
		nomem(b);
	if (sa == SK_OK && sb == SK_OK)
		same = ka->type == kb->type && ka->publen == kb->publen &&
		       ka->publen > 0 &&
		       memcmp(ka->pub, kb->pub, ka->publen) == 0;
	sk_dkim_key_free(ka);
	sk_dkim_key_free(kb);
	return same;
}

/* A TXT string that looks like a key record (RFC 6376 section 3.6.1:
 * v=DKIM1 first when present, else a p= tag). */
static bool
is_key_record(struct build *b, const char *t, size_t n)
{
	struct sk_dkim_key *k = NULL;
	sk_status st;

	if (n >= 7 && sk__eq_nocase(t, 7, "v=DKIM1", 7))
		return true;
	st = sk_dkim_key_parse(t, n, &k, NULL);
	if (st == SK_ENOMEM)
		nomem(b);
	sk_dkim_key_free(k);
	return st == SK_OK;
}

static void
plan_dkim(struct build *b, const struct sk_org_domain *d)
{
	const struct sk_profile *p = b->p;
	const struct sk_dns_answer *a;
	const struct sk_org_dkim *k;
	char *name, *rdata, *why, *old;
	const char *src;
	size_t s, i, keep, change;
	enum look lk;

	src = p->dkim.source != NULL ? p->dkim.source : ref_dkim;
	for (s = 0; s < d->ndkim && b->st == SK_OK; s++) {
		k = &d->dkim[s];
		if (k->record == NULL) {
			finding(b, SK_SEV_INFO, "plan-dkim-key-missing",
				d->name, NULL, "selector %s of %s has no key "
				"in the config (dkim_key.%s): its record "
				"cannot be planned; the provider shows the "
				"key to publish", k->selector, d->name,
				k->selector);
			continue;
		}
		name = fmt(b, "%s._domainkey.%s", k->selector, d->name);
		rdata = txt_rdata_dup(b, k->record);
		why = fmt(b, "DKIM public key of selector %s: receivers "
			  "verify the provider's signatures with d=%s, which "
			  "aligns with the From domain for DMARC", k->selector,
			  d->name);
		old = NULL;
		if (b->st != SK_OK)
			goto next;
		lk = look(b, name, SK_DNS_TXT, &a);
		keep = change = SIZE_MAX;
		if (lk == LOOK_OK && a->status == SK_DNS_ANSWER &&
		    a->cname_links > 0)
			finding(b, SK_SEV_WARNING, "plan-dkim-cname", name,
				NULL, "%s is a CNAME: a TXT key record cannot "
				"be added beside it; remove the CNAME if the "
				"key is now published by you", name);
		for (i = 0; lk == LOOK_OK && i < a->count; i++) {
			const struct sk_dns_rr *rr = &a->rr[i];

			if (!own_rr(a, i, SK_DNS_TXT) ||
			    !is_key_record(b, rr->u.txt.text, rr->u.txt.len))
				continue;
			if (keep == SIZE_MAX &&
			    same_key(b, rr->u.txt.text, rr->u.txt.len,
				     k->record, strlen(k->record)))
				keep = i;
			else if (change == SIZE_MAX)
				change = i;
		}
		if (keep != SIZE_MAX) {
			old = rr_rdata_dup(b, &a->rr[keep]);
			rec_add(b, SK_PLAN_KEEP, "dkim", name, SK_DNS_TXT, old,
				k->record, NULL, why, src, d->name);
		} else if (change != SIZE_MAX) {
			char *w2 = fmt(b, "%s; the published key differs: %s",
				       why, p->dkim.rotation_note != NULL ?
				       p->dkim.rotation_note : "update the "
				       "provider first, then DNS");

			old = rr_rdata_dup(b, &a->rr[change]);
			rec_add(b, SK_PLAN_CHANGE, "dkim", name, SK_DNS_TXT,
				rdata, k->record, old, w2, src, d->name);
			sk__free(w2);
		} else {
			rec_add(b, SK_PLAN_ADD, "dkim", name, SK_DNS_TXT,
				rdata, k->record, NULL, why, src, d->name);
		}
		/* Other key records at the selector: verifiers may pick
		 * any one of them. */
		for (i = 0; lk == LOOK_OK && i < a->count &&
		     b->st == SK_OK; i++) {
			char *o;

			if (i == keep || i == change ||
			    !own_rr(a, i, SK_DNS_TXT) ||
			    !is_key_record(b, a->rr[i].u.txt.text,
					   a->rr[i].u.txt.len))
				continue;
			o = rr_rdata_dup(b, &a->rr[i]);
			rec_add(b, SK_PLAN_REMOVE, "dkim", name, SK_DNS_TXT,
				NULL, NULL, o, "one key record per selector: "
				"with several, verification depends on which "
				"one the verifier reads (RFC 6376 section "
				"3.6.2.2)", ref_dkim, d->name);
			sk__free(o);
		}
		sk_dns_answer_unref(a);
next:
		sk__free(name);
		sk__free(rdata);
		sk__free(why);
		sk__free(old);
	}
}

/* ------------------------------------------------------------ DMARC */

/* The p= value the config's DMARC stage asks for ("none" when unset). */
static const char *
stage_str(enum sk_dmarc_stage s)
{
	return sk_dmarc_policy_str(sk__dmarc_stage_policy(s));
}

/* A URI as a record holds it: "mailto:" added to a bare address. */
static char *
uri_norm(struct build *b, const char *u)
{
	if (strchr(u, ':') == NULL && strchr(u, '@') != NULL)
		return fmt(b, "mailto:%s", u);
	return fmt(b, "%s", u);
}

/* True when the config's URI list equals the record's (as sets). */
static bool
same_uris(struct build *b, char **want, size_t nwant,
	  const struct sk_dmarc_uri *have, size_t nhave)
{
	size_t i, k;
	bool found;

	if (nwant != nhave)
		return false;
	for (i = 0; i < nwant; i++) {
		char *u = uri_norm(b, want[i]);

		if (u == NULL)
			return false;
		found = false;
		for (k = 0; k < nhave && !found; k++)
			found = sk__eq_nocase(u, strlen(u), have[k].uri,
					      strlen(have[k].uri));
		sk__free(u);
		if (!found)
			return false;
	}
	return true;
}

/* The value of a tag the published record wrote validly, or NULL. */
static const char *
tag_value(const struct sk_dmarc_record *rec, enum sk_dmarc_tag t)
{
	size_t i;

	for (i = 0; i < rec->ntags; i++)
		if (rec->tags[i].tag == t && rec->tags[i].valid &&
		    !rec->tags[i].duplicate)
			return rec->tags[i].value;
	return NULL;
}

/* Does the published record already say what the config says? */
static bool
dmarc_matches(struct build *b, const struct sk_org_domain *d,
	      const struct sk_dmarc_record *rec, char **rua, size_t nrua,
	      char **ruf, size_t nruf)
{
	unsigned pct = d->dmarc_pct ? d->dmarc_pct : 100;
	const char *sp;

	if (rec->p_missing ||
	    rec->p != sk__dmarc_stage_policy(d->dmarc_stage))
		return false;
	if (rec->pct != pct)
		return false;
	if (d->dmarc_rua != NULL &&
	    !same_uris(b, rua, nrua, rec->rua, rec->nrua))
		return false;
	if (d->dmarc_ruf != NULL &&
	    !same_uris(b, ruf, nruf, rec->ruf, rec->nruf))
		return false;
	if (d->dmarc_sp != NULL) {
		sp = sk_dmarc_policy_str(rec->sp);
		if (!sk__eq_nocase(sp, strlen(sp), d->dmarc_sp,
				   strlen(d->dmarc_sp)))
			return false;
	}
	return true;
}

/*
 * Build the record for the config, keeping the tags of `keep` (the
 * published record, may be NULL) that the config does not set.
 */
static char *
dmarc_build(struct build *b, const struct sk_org_domain *d,
	    const struct sk_dmarc_record *keep, char **rua, size_t nrua,
	    char **ruf, size_t nruf)
{
	struct sk_dmarc_build bo;
	char pct[16], **krua = NULL, **kruf = NULL;
	size_t nkrua = 0, nkruf = 0;
	struct sk_err e;
	char *out = NULL;
	sk_status st;

	memset(&bo, 0, sizeof(bo));
	bo.p = stage_str(d->dmarc_stage);
	bo.sp = d->dmarc_sp;
	if (d->dmarc_pct > 0 && d->dmarc_pct < 100) {
		snprintf(pct, sizeof(pct), "%u", d->dmarc_pct);
		bo.pct = pct;
	}
	bo.rua = (const char *const *)rua;
	bo.nrua = nrua;
	bo.ruf = (const char *const *)ruf;
	bo.nruf = nruf;
	if (keep != NULL) {
		if (bo.sp == NULL)
			bo.sp = tag_value(keep, SK_DMARC_TAG_SP);
		bo.np = tag_value(keep, SK_DMARC_TAG_NP);
		bo.psd = tag_value(keep, SK_DMARC_TAG_PSD);
		bo.t = tag_value(keep, SK_DMARC_TAG_T);
		bo.adkim = tag_value(keep, SK_DMARC_TAG_ADKIM);
		bo.aspf = tag_value(keep, SK_DMARC_TAG_ASPF);
		bo.fo = tag_value(keep, SK_DMARC_TAG_FO);
		if (d->dmarc_rua == NULL) {
			st = split_list(tag_value(keep, SK_DMARC_TAG_RUA),
					&krua, &nkrua);
			if (st != SK_OK)
				goto nomem;
			bo.rua = (const char *const *)krua;
			bo.nrua = nkrua;
		}
		if (d->dmarc_ruf == NULL) {
			st = split_list(tag_value(keep, SK_DMARC_TAG_RUF),
					&kruf, &nkruf);
			if (st != SK_OK)
				goto nomem;
			bo.ruf = (const char *const *)kruf;
			bo.nruf = nkruf;
		}
	}
	sk_err_clear(&e);
	st = sk_dmarc_build(&bo, &out, &e);
	if (st == SK_ENOMEM)
		goto nomem;
	if (st != SK_OK)
		finding(b, SK_SEV_ERROR, "plan-dmarc-invalid", d->name,
			ref_dmarc, "the DMARC record of %s cannot be built "
			"from the config: %s", d->name,
			e.msg[0] ? e.msg : sk_strerror(st));
	free_list(krua, nkrua);
	free_list(kruf, nkruf);
	return out;
nomem:
	free_list(krua, nkrua);
	free_list(kruf, nkruf);
	nomem(b);
	return NULL;
}

static void
plan_dmarc(struct build *b, const struct sk_org_domain *d)
{
	const struct sk_profile *p = b->p;
	const struct sk_dns_answer *a = NULL;
	struct sk_dmarc_record *rec = NULL;
	char **rua = NULL, **ruf = NULL, *name = NULL, *want = NULL;
	char *rdata = NULL, *why = NULL, *old = NULL;
	size_t nrua = 0, nruf = 0, i, target = SIZE_MAX;
	const char *src;
	enum look lk;
	sk_status st;

	if (d->dmarc_stage == SK_STAGE_UNSET)
		return;
	if (split_list(d->dmarc_rua, &rua, &nrua) != SK_OK ||
	    split_list(d->dmarc_ruf, &ruf, &nruf) != SK_OK) {
		nomem(b);
		goto out;
	}
	name = fmt(b, "_dmarc.%s", d->name);
	why = fmt(b, "DMARC policy of %s at stage %s%s: receivers apply "
		  "it to mail failing SPF and DKIM alignment%s%s%s", d->name,
		  stage_str(d->dmarc_stage), d->dmarc_pct > 0 &&
		  d->dmarc_pct < 100 ? " (pct below 100)" : "",
		  nrua > 0 ? " and send aggregate reports to the rua "
		  "addresses" : "", p->dmarc.recommended_alignment != NULL ?
		  "; the provider advises alignment through " : "",
		  p->dmarc.recommended_alignment != NULL ?
		  p->dmarc.recommended_alignment : "");
	src = p->dmarc.source != NULL ? p->dmarc.source : ref_dmarc;
	if (b->st != SK_OK)
		goto out;
	lk = look(b, name, SK_DNS_TXT, &a);
	for (i = 0; lk == LOOK_OK && i < a->count; i++) {
		const struct sk_dns_rr *rr = &a->rr[i];

		if (!own_rr(a, i, SK_DNS_TXT) ||
		    !sk_dmarc_is_record(rr->u.txt.text, rr->u.txt.len))
			continue;
		if (target != SIZE_MAX)
			continue;
		st = sk_dmarc_parse(rr->u.txt.text, rr->u.txt.len, &rec, NULL);
		if (st == SK_ENOMEM)
			nomem(b);
		if (st == SK_OK)
			target = i;
	}
	if (b->st != SK_OK)
		goto out;
	if (rec != NULL && dmarc_matches(b, d, rec, rua, nrua, ruf, nruf)) {
		old = rr_rdata_dup(b, &a->rr[target]);
		want = sk__strndup(a->rr[target].u.txt.text,
				   a->rr[target].u.txt.len);
		if (want == NULL)
			nomem(b);
		rec_add(b, SK_PLAN_KEEP, "dmarc", name, SK_DNS_TXT, old, want,
			NULL, why, src, d->name);
	} else {
		want = dmarc_build(b, d, rec, rua, nrua, ruf, nruf);
		if (want == NULL)
			goto out;
		rdata = txt_rdata_dup(b, want);
		if (rec != NULL) {
			char *w2 = fmt(b, "%s; tags of the published record "
				       "that the config does not set are "
				       "kept", why);

			old = rr_rdata_dup(b, &a->rr[target]);
			rec_add(b, SK_PLAN_CHANGE, "dmarc", name, SK_DNS_TXT,
				rdata, want, old, w2, src, d->name);
			sk__free(w2);
		} else {
			rec_add(b, SK_PLAN_ADD, "dmarc", name, SK_DNS_TXT,
				rdata, want, NULL, why, src, d->name);
		}
	}
	/* Several policy records: receivers use none of them. */
	for (i = 0; lk == LOOK_OK && i < a->count && b->st == SK_OK; i++) {
		char *o;

		if (i == target || !own_rr(a, i, SK_DNS_TXT) ||
		    !sk_dmarc_is_record(a->rr[i].u.txt.text,
					a->rr[i].u.txt.len))
			continue;
		o = rr_rdata_dup(b, &a->rr[i]);
		rec_add(b, SK_PLAN_REMOVE, "dmarc", name, SK_DNS_TXT, NULL,
			NULL, o, "a name has one DMARC record: with several, "
			"receivers apply none (RFC 7489 section 6.6.3)",
			ref_dmarc_one, d->name);
		sk__free(o);
	}
out:
	sk_dns_answer_unref(a);
	sk_dmarc_record_free(rec);
	free_list(rua, nrua);
	free_list(ruf, nruf);
	sk__free(name);
	sk__free(want);
	sk__free(rdata);
	sk__free(why);
	sk__free(old);
}

/* The organizational domain of a name (RFC 7489 section 3.2, through
 * the PSL); the last two labels when the list cannot be loaded. */
static char *
org_domain(struct build *b, const char *name)
{
	const char *dot, *prev = NULL, *s = name;
	char *out = NULL;

	if (!b->psl_tried) {
		b->psl_tried = true;
		if (sk_dmarc_psl_load(NULL, &b->psl, NULL) != SK_OK)
			b->psl = NULL;
	}
	if (b->psl != NULL &&
	    sk_dmarc_orgdomain_psl(b->psl, name, &out, NULL) == SK_OK)
		return out;
	for (dot = strchr(s, '.'); dot != NULL; dot = strchr(s, '.')) {
		prev = s;
		s = dot + 1;
	}
	out = name_dup(prev != NULL ? prev : name);
	if (out == NULL)
		nomem(b);
	return out;
}

/* The host of a mailto: URI, lower case (NULL for other schemes). */
static char *
mailto_host(struct build *b, const char *uri)
{
	const char *at, *end;
	char *u = uri_norm(b, uri), *h;
	size_t n;

	if (u == NULL)
		return NULL;
	if (strlen(u) < 7 || !sk__eq_nocase(u, 7, "mailto:", 7)) {
		sk__free(u);
		return NULL;
	}
	at = strrchr(u, '@');
	if (at == NULL) {
		sk__free(u);
		return NULL;
	}
	end = at + 1 + strcspn(at + 1, "!?>");
	n = (size_t)(end - at - 1);
	h = sk__strndup(at + 1, n);
	sk__free(u);
	if (h == NULL) {
		nomem(b);
		return NULL;
	}
	u = name_dup(h);
	sk__free(h);
	if (u == NULL)
		nomem(b);
	return u;
}

/* The config domain `host` is, or is under (longest), or NULL. */
static const char *
managed_domain(const struct build *b, const char *host)
{
	const char *best = NULL;
	size_t i;

	for (i = 0; i < b->c->ndomains; i++) {
		const char *d = b->c->domains[i].name;

		if (d != NULL && name_under(host, d) &&
		    (best == NULL || name_len(d) > name_len(best)))
			best = d;
	}
	return best;
}

/* RFC 7489 section 7.1: a report destination of another organizational
 * domain accepts reports for DOMAIN by publishing
 * DOMAIN._report._dmarc.HOST with "v=DMARC1". */
static void
plan_report_auth_one(struct build *b, const struct sk_org_domain *d,
		     const char *uri, char ***done, size_t *ndone)
{
	const struct sk_dns_answer *a = NULL;
	char *host = NULL, *od = NULL, *oh = NULL, *name = NULL, *why = NULL;
	char *old = NULL, **nv;
	const char *managed;
	size_t i;

	host = mailto_host(b, uri);
	if (host == NULL || !valid_name(host))
		goto out;
	od = org_domain(b, d->name);
	oh = org_domain(b, host);
	if (od == NULL || oh == NULL || name_eq(od, oh))
		goto out;
	managed = managed_domain(b, host);
	if (managed == NULL) {
		finding(b, SK_SEV_INFO, "plan-dmarc-report-external", host,
			ref_report, "reports for %s go to %s, another "
			"organization: it must publish %s._report._dmarc.%s "
			"TXT \"v=DMARC1\" or receivers will not send them",
			d->name, host, d->name, host);
		goto out;
	}
	name = fmt(b, "%s._report._dmarc.%s", d->name, host);
	if (name == NULL)
		goto out;
	for (i = 0; i < *ndone; i++)
		if (name_eq((*done)[i], name))
			goto out;
	nv = sk__realloc(*done, (*ndone + 1) * sizeof(*nv));
	if (nv == NULL) {
		nomem(b);
		goto out;
	}
	*done = nv;
	(*done)[(*ndone)++] = name;
	why = fmt(b, "%s receives DMARC reports for %s, another "
		  "organizational domain: this record authorizes them (RFC "
		  "7489 section 7.1)", host, d->name);
	if (why == NULL)
		goto out_kept;
	if (look(b, name, SK_DNS_TXT, &a) == LOOK_OK) {
		for (i = 0; i < a->count; i++) {
			if (own_rr(a, i, SK_DNS_TXT) &&
			    sk_dmarc_is_record(a->rr[i].u.txt.text,
					       a->rr[i].u.txt.len)) {
				old = rr_rdata_dup(b, &a->rr[i]);
				rec_add(b, SK_PLAN_KEEP, "dmarc-report-auth",
					name, SK_DNS_TXT, old, "v=DMARC1",
					NULL, why, ref_report, managed);
				goto out_kept;
			}
		}
	}
	rec_add(b, SK_PLAN_ADD, "dmarc-report-auth", name, SK_DNS_TXT,
		"\"v=DMARC1\"", "v=DMARC1", NULL, why, ref_report, managed);
out_kept:
	name = NULL; /* owned by *done */
out:
	sk_dns_answer_unref(a);
	sk__free(host);
	sk__free(od);
	sk__free(oh);
	sk__free(name);
	sk__free(why);
	sk__free(old);
}

static void
plan_report_auth(struct build *b, char ***done, size_t *ndone)
{
	char **v;
	size_t i, k, n;

	for (i = 0; i < b->c->ndomains && b->st == SK_OK; i++) {
		const struct sk_org_domain *d = &b->c->domains[i];
		const char *lists[2] = {d->dmarc_rua, d->dmarc_ruf};
		size_t l;

		if (d->dmarc_stage == SK_STAGE_UNSET)
			continue;
		for (l = 0; l < 2 && b->st == SK_OK; l++) {
			if (split_list(lists[l], &v, &n) != SK_OK) {
				nomem(b);
				return;
			}
			for (k = 0; k < n; k++)
				plan_report_auth_one(b, d, v[k], done, ndone);
			free_list(v, n);
		}
	}
}

/* ------------------------------------------------------------ MX */

/* "10 mail.example.com" -> preference and host. */
static bool
parse_mx(const char *s, unsigned long *pref, const char **host)
{
	const char *sp = strchr(s, ' ');

	if (sp == NULL)
		sp = strchr(s, '\t');
	if (sp == NULL || !sk__parse_uint(s, (size_t)(sp - s), 65535, pref))
		return false;
	while (*sp == ' ' || *sp == '\t')
		sp++;
	*host = sp;
	return valid_name(sp);
}

/* One wanted MX: KEEP when published, CHANGE when only the preference
 * differs, else ADD.  `taken` marks published records already used. */
static void
plan_mx_one(struct build *b, const char *purpose, const char *domain,
	    unsigned long pref, const char *host,
	    const struct sk_dns_answer *a, bool *taken, const char *why,
	    const char *src, const char *origin)
{
	char *rdata, *value, *old = NULL;
	size_t i;

	rdata = fmt(b, "%lu %.*s.", pref, (int)name_len(host), host);
	value = fmt(b, "%lu %.*s", pref, (int)name_len(host), host);
	if (b->st != SK_OK)
		goto out;
	for (i = 0; a != NULL && i < a->count; i++) {
		if (taken[i] || !own_rr(a, i, SK_DNS_MX) ||
		    !name_eq(a->rr[i].u.mx.exchange, host))
			continue;
		taken[i] = true;
		old = rr_rdata_dup(b, &a->rr[i]);
		if (a->rr[i].u.mx.preference == pref)
			rec_add(b, SK_PLAN_KEEP, purpose, domain, SK_DNS_MX,
				old, value, NULL, why, src, origin);
		else
			rec_add(b, SK_PLAN_CHANGE, purpose, domain, SK_DNS_MX,
				rdata, value, old, why, src, origin);
		goto out;
	}
	rec_add(b, SK_PLAN_ADD, purpose, domain, SK_DNS_MX, rdata, value,
		NULL, why, src, origin);
out:
	sk__free(rdata);
	sk__free(value);
	sk__free(old);
}

static void
plan_mx(struct build *b, const struct sk_org_domain *d)
{
	const struct sk_profile *p = b->p;
	const struct sk_dns_answer *a = NULL;
	unsigned long pref;
	const char *host, *src;
	bool *taken = NULL;
	enum look lk;
	char *why;
	size_t i, nmx = 0;

	if (d->nmx == 0 && !(d->from && p->mx.required_on_from_domain))
		return;
	lk = look(b, d->name, SK_DNS_MX, &a);
	for (i = 0; lk == LOOK_OK && i < a->count; i++)
		if (own_rr(a, i, SK_DNS_MX))
			nmx++;
	if (d->nmx == 0) {
		if (lk == LOOK_OK && nmx == 0)
			finding(b, SK_SEV_WARNING, "plan-mx-missing", d->name,
				ref_mx, "%s has no MX and the config gives "
				"none: replies to mail from it bounce; add mx "
				"= PREF HOST to its [domain] section",
				d->name);
		goto out;
	}
	taken = sk__calloc(lk == LOOK_OK && a->count ? a->count : 1,
			   sizeof(*taken));
	why = fmt(b, "MX of %s: replies to mail from it reach the "
		  "organization's mailboxes", d->name);
	if (taken == NULL || why == NULL) {
		sk__free(why);
		nomem(b);
		goto out;
	}
	src = p->mx.source != NULL ? p->mx.source : ref_mx;
	for (i = 0; i < d->nmx && b->st == SK_OK; i++) {
		if (!parse_mx(d->mx[i], &pref, &host)) {
			finding(b, SK_SEV_ERROR, "plan-mx-invalid", d->name,
				ref_mx, "mx item '%s' of %s is not "
				"\"PREFERENCE HOST\": left out", d->mx[i],
				d->name);
			continue;
		}
		plan_mx_one(b, "mx", d->name, pref, host,
			    lk == LOOK_OK ? a : NULL, taken, why, src,
			    d->name);
	}
	sk__free(why);
out:
	sk__free(taken);
	sk_dns_answer_unref(a);
}

/* The MX of a branded return-path: bounces go to the provider.  Other
 * MX records there would receive them instead: CHANGE/REMOVE them. */
static void
plan_return_path_mx(struct build *b, const char *rp, const char *origin)
{
	const struct sk_profile *p = b->p;
	const struct sk_dns_answer *a = NULL;
	bool *taken = NULL;
	char *why = NULL, *rdata = NULL, *value = NULL, *old = NULL;
	const char *src, *mx = b->c->return_path_mx;
	enum look lk;
	size_t i;

	if (mx == NULL) {
		/* Research F10.7: the per-datacenter host is not in any
		 * public document. */
		finding(b, SK_SEV_INFO, "plan-return-path-mx-unknown", rp,
			NULL, "the MX of the branded Return-Path domain %s "
			"must point to the provider's bounce host for your "
			"datacenter, which its documentation does not list: "
			"ask the provider's support and set return_path_mx "
			"in [provider]", rp);
		return;
	}
	if (!valid_name(mx)) {
		finding(b, SK_SEV_ERROR, "plan-mx-invalid", rp, ref_mx,
			"return_path_mx '%s' is not a host name", mx);
		return;
	}
	/* Research F10.1: the MX points back to the provider. */
	why = fmt(b, "MX of the branded Return-Path domain %s: bounces go "
		  "to the provider's return-path host %s", rp, mx);
	src = p->envelope.source != NULL ? p->envelope.source : ref_mx;
	lk = look(b, rp, SK_DNS_MX, &a);
	taken = sk__calloc(lk == LOOK_OK && a->count ? a->count : 1,
			   sizeof(*taken));
	if (taken == NULL || why == NULL) {
		nomem(b);
		goto out;
	}
	for (i = 0; lk == LOOK_OK && i < a->count; i++)
		if (own_rr(a, i, SK_DNS_MX) &&
		    name_eq(a->rr[i].u.mx.exchange, mx))
			break;
	if (lk == LOOK_OK && i == a->count) {
		/* Not there: replace the first other MX. */
		for (i = 0; i < a->count; i++)
			if (own_rr(a, i, SK_DNS_MX))
				break;
		if (i < a->count) {
			taken[i] = true;
			rdata = fmt(b, "10 %.*s.", (int)name_len(mx), mx);
			value = fmt(b, "10 %.*s", (int)name_len(mx), mx);
			old = rr_rdata_dup(b, &a->rr[i]);
			rec_add(b, SK_PLAN_CHANGE, "return-path-mx", rp,
				SK_DNS_MX, rdata, value, old, why, src,
				origin);
		} else {
			plan_mx_one(b, "return-path-mx", rp, 10, mx, a, taken,
				    why, src, origin);
		}
	} else {
		plan_mx_one(b, "return-path-mx", rp, 10, mx,
			    lk == LOOK_OK ? a : NULL, taken, why, src,
			    origin);
	}
	for (i = 0; lk == LOOK_OK && i < a->count && b->st == SK_OK; i++) {
		char *o;

		if (taken[i] || !own_rr(a, i, SK_DNS_MX))
			continue;
		o = rr_rdata_dup(b, &a->rr[i]);
		rec_add(b, SK_PLAN_REMOVE, "return-path-mx", rp, SK_DNS_MX,
			NULL, NULL, o, "the branded Return-Path domain "
			"receives bounces for the provider: another MX would "
			"take them", src, origin);
		sk__free(o);
	}
out:
	sk__free(taken);
	sk__free(why);
	sk__free(rdata);
	sk__free(value);
	sk__free(old);
	sk_dns_answer_unref(a);
}

/* ------------------------------------------------------------ driver */

static void
collect_return_paths(struct build *b)
{
	const struct sk_profile *p = b->p;
	size_t i, k;
	bool mode_ok = p->envelope.nbranded_for == 0;

	b->rps = sk__calloc(b->c->ndomains + 1, sizeof(*b->rps));
	if (b->rps == NULL) {
		nomem(b);
		return;
	}
	for (k = 0; k < p->envelope.nbranded_for; k++)
		if (strcmp(p->envelope.branded_for[k],
			   sk_ip_mode_str(b->c->ip_mode)) == 0)
			mode_ok = true;
	for (i = 0; i < b->c->ndomains; i++) {
		const char *rp = b->c->domains[i].return_path;

		if (rp == NULL || is_return_path(b, rp))
			continue;
		if (!valid_name(rp)) {
			finding(b, SK_SEV_ERROR, "plan-host-invalid", rp,
				NULL, "return_path '%s' of %s is not a valid "
				"domain name: left out", rp,
				b->c->domains[i].name);
			continue;
		}
		b->rps[b->nrp] = name_dup(rp);
		if (b->rps[b->nrp] == NULL) {
			nomem(b);
			return;
		}
		b->nrp++;
		if (!mode_ok)
			finding(b, SK_SEV_WARNING, "plan-return-path-ip-mode",
				rp, NULL, "the provider offers a branded "
				"Return-Path (%s) for %s IPs%s, and ip_mode is "
				"%s: ask it before publishing the records", rp,
				p->envelope.branded_for[0],
				p->envelope.nbranded_for > 1 ? " and others" :
				" only", sk_ip_mode_str(b->c->ip_mode));
	}
}

/* The sending domain a return-path derives from (for its zone). */
static const char *
return_path_origin(const struct build *b, const char *rp)
{
	size_t i;

	for (i = 0; i < b->c->ndomains; i++)
		if (b->c->domains[i].return_path != NULL &&
		    name_eq(b->c->domains[i].return_path, rp))
			return zone_offline(b, rp, b->c->domains[i].name);
	return rp;
}

static int
cmp_rec(const void *x, const void *y)
{
	const struct sk__plan_rec *a = x, *b = y;
	int c;

	c = strcmp(a->pub.zone, b->pub.zone);
	if (c != 0)
		return c;
	c = strcmp(a->pub.name, b->pub.name);
	if (c != 0)
		return c;
	if (a->rank != b->rank)
		return a->rank < b->rank ? -1 : 1;
	return a->seq < b->seq ? -1 : (a->seq > b->seq);
}

/* Final pass: the zone of every record, by SOA when DNS is there. */
static void
assign_zones(struct build *b)
{
	struct sk__plan_rec *r;
	const char *z;
	char *nz;
	size_t i;

	for (i = 0; i < b->pl->n && b->st == SK_OK; i++) {
		r = &b->pl->v[i];
		z = zone_of(b, r->pub.name);
		if (z == NULL)
			z = zone_offline(b, r->pub.name, r->pub.zone);
		nz = name_dup(z);
		if (nz == NULL) {
			nomem(b);
			return;
		}
		sk__free((void *)r->pub.zone);
		r->pub.zone = nz;
	}
}

SK_API const char *
sk_plan_action_str(enum sk_plan_action a)
{
	switch (a) {
	case SK_PLAN_KEEP:
		return "keep";
	case SK_PLAN_ADD:
		return "add";
	case SK_PLAN_CHANGE:
		return "change";
	case SK_PLAN_REMOVE:
		return "remove";
	}
	return "keep";
}

SK_API void
sk_plan_free(struct sk_plan *pl)
{
	size_t i;

	if (pl == NULL)
		return;
	for (i = 0; i < pl->n; i++)
		rec_free_strings(&pl->v[i].pub);
	sk__free(pl->v);
	sk_findings_free(pl->findings);
	sk__free(pl->organization);
	sk__free(pl->profile);
	sk__free(pl);
}

static void
build_free(struct build *b)
{
	size_t i;

	for (i = 0; i < b->nzc; i++) {
		sk__free(b->zc[i].name);
		sk__free(b->zc[i].zone);
	}
	sk__free(b->zc);
	free_list(b->rps, b->nrp);
	sk_dmarc_psl_free(b->psl);
}

SK_API sk_status
sk_plan_build(struct sk_resolver *r, const struct sk_profile *p,
	      const struct sk_org_config *c, const struct sk_plan_opts *opts,
	      struct sk_plan **out, struct sk_err *err)
{
	struct build b;
	char **done = NULL;
	size_t i, ndone = 0;
	sk_status st;

	if (out == NULL || p == NULL || c == NULL)
		return sk__err(err, SK_EINVAL, "profile, config and output "
			       "needed");
	*out = NULL;
	memset(&b, 0, sizeof(b));
	b.r = r;
	b.p = p;
	b.c = c;
	b.no_refuse = opts != NULL && opts->no_refuse_spf_limit;
	b.ttl = c->ttl ? c->ttl : 3600;
	b.pl = sk__calloc(1, sizeof(*b.pl));
	if (b.pl == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	b.pl->findings = sk__findings_new();
	b.pl->organization = sk__strdup(c->name != NULL ? c->name : "");
	b.pl->profile = sk__strdup(p->id != NULL ? p->id : "");
	if (b.pl->findings == NULL || b.pl->organization == NULL ||
	    b.pl->profile == NULL)
		nomem(&b);
	if (b.st == SK_OK && c->ndomains == 0)
		finding(&b, SK_SEV_ERROR, "plan-no-domain", "", NULL,
			"the config has no [domain NAME] section: there is "
			"nothing to plan for mail");
	for (i = 0; i < c->ndomains && b.st == SK_OK; i++)
		if (c->domains[i].name == NULL ||
		    !valid_name(c->domains[i].name))
			finding(&b, SK_SEV_ERROR, "plan-host-invalid",
				c->domains[i].name ? c->domains[i].name : "",
				NULL, "sending domain '%s' is not a valid "
				"domain name: left out", c->domains[i].name ?
				c->domains[i].name : "");
	if (b.st == SK_OK)
		collect_return_paths(&b);
	for (i = 0; i < p->nhosts && b.st == SK_OK; i++)
		plan_host(&b, &p->hosts[i]);
	for (i = 0; i < c->ndomains && b.st == SK_OK; i++) {
		const struct sk_org_domain *d = &c->domains[i];

		if (d->name == NULL || !valid_name(d->name))
			continue;
		if (d->from)
			plan_spf_from(&b, d);
		if (b.st == SK_OK)
			plan_dkim(&b, d);
		if (b.st == SK_OK)
			plan_dmarc(&b, d);
		if (b.st == SK_OK)
			plan_mx(&b, d);
	}
	for (i = 0; i < b.nrp && b.st == SK_OK; i++) {
		const char *origin = return_path_origin(&b, b.rps[i]);
		const struct sk_org_domain *d = sk_config_domain(c, b.rps[i]);

		/* A From domain that is its own return-path got the
		 * include with its SPF above. */
		if (d == NULL || !d->from)
			plan_spf_return_path(&b, b.rps[i]);
		if (b.st == SK_OK)
			plan_return_path_mx(&b, b.rps[i], origin);
	}
	if (b.st == SK_OK)
		plan_report_auth(&b, &done, &ndone);
	free_list(done, ndone);
	if (b.st == SK_OK && r != NULL && b.answered == 0 && b.failed > 0)
		finding(&b, SK_SEV_ERROR, "plan-dns-unreachable", "", NULL,
			"no DNS question could be answered (%u failed): the "
			"plan is not a diff; every record is listed as to "
			"add", b.failed);
	if (b.st == SK_OK)
		assign_zones(&b);
	if (b.st == SK_OK)
		b.st = sk__findings_status(b.pl->findings);
	st = b.st;
	if (st == SK_OK) {
		if (b.pl->n > 1)
			qsort(b.pl->v, b.pl->n, sizeof(*b.pl->v), cmp_rec);
		sk__findings_sort(b.pl->findings);
		*out = b.pl;
		b.pl = NULL;
	}
	build_free(&b);
	sk_plan_free(b.pl);
	if (st == SK_ENOMEM)
		return sk__err(err, st, "out of memory");
	if (st != SK_OK)
		return sk__err(err, st, "planning failed: %s",
			       sk_strerror(st));
	return SK_OK;
}

SK_API size_t
sk_plan_count(const struct sk_plan *pl)
{
	return pl != NULL ? pl->n : 0;
}

SK_API const struct sk_plan_record *
sk_plan_get(const struct sk_plan *pl, size_t i)
{
	if (pl == NULL || i >= pl->n)
		return NULL;
	return &pl->v[i].pub;
}

SK_API size_t
sk_plan_changes(const struct sk_plan *pl)
{
	size_t i, n = 0;

	for (i = 0; pl != NULL && i < pl->n; i++)
		if (pl->v[i].pub.action != SK_PLAN_KEEP)
			n++;
	return n;
}

SK_API const struct sk_findings *
sk_plan_findings(const struct sk_plan *pl)
{
	return pl != NULL ? pl->findings : NULL;
}
