/*
 * lib/dns/resolver.c - the resolver core shared by every backend: answer
 * objects, CNAME chasing (RFC 1034 section 3.6.2, RFC 2181 section 10.1),
 * classification of outcomes (RFC 1035 section 4.1.1 RCODEs, RFC 2308
 * NXDOMAIN / NODATA, RFC 6604 RCODE after a CNAME), the per-resolver
 * cache, coalescing of identical questions, and deferred delivery.
 */
#include <limits.h>
#include <stdalign.h>
#include <stddef.h>
#include <string.h>
#include <time.h>
#include "dns_internal.h"

/* An answer object.  `pub` comes first so that a public pointer converts
 * back.  A view shares the records of `base` but has its own qname and
 * from_cache (cache hits, coalesced askers who spelled the name
 * differently).
 *
 * A cached answer hit by its own spelling again and again hands out one
 * view, `hit` (from_cache true, created on the first such hit), instead
 * of a new one per hit.  That view has no count of its own: its
 * references are counted on the base (`shared`), which frees it, so base
 * and view keep each other alive without a cycle. */
struct ans {
	struct sk_dns_answer pub;
	unsigned refs;
	struct ans *base;
	struct ans *hit; /* base only: the shared from_cache view, or NULL */
	bool shared;     /* this is base->hit: refs live on base */
	bool fixed;      /* static storage, never freed */
	/* Derived data a consumer keeps with the answer (sk__dns_ext_*). */
	const void *ext_tag;
	void *ext;
	void (*ext_free)(void *);
};

/* Handed out when even a TEMPFAIL answer cannot be allocated. */
static struct ans oom_ans = {
	.pub = {
		.status = SK_DNS_TEMPFAIL,
		.rcode = -1,
		.qname = "",
		.cname = "",
		.why = "out of memory",
	},
	.refs = 1,
	.fixed = true,
};

/* Handed to the callbacks of sk__dns_defer(). */
static struct ans defer_ans = {
	.pub = {
		.status = SK_DNS_NODATA,
		.rcode = 0,
		.qname = "",
		.cname = "",
		.why = "",
	},
	.refs = 1,
	.fixed = true,
};

/* One asker.  The same node waits on a flight, then sits in the delivery
 * queue with its answer, so that delivering never needs memory.  Only a
 * waiter on a flight needs the asker's spelling (the answer of a cache
 * hit carries it); the others have qname "" and are recycled through a
 * small pool on the resolver. */
struct waiter {
	struct waiter *next;
	sk_dns_cb cb;
	void *arg;
	struct ans *a;
	bool pooled;  /* no qname of its own: may go back to the pool */
	char qname[]; /* as the caller gave it, in the same allocation */
};

/* Waiters kept for reuse: enough for a burst of cache hits. */
#define WAITER_POOL_MAX 64

struct centry {
	struct sk__dns_hent h;
	struct centry *older, *newer;
	struct ans *a;
};

/* A CNAME chase: names met so far, seen[0] being the question's name. */
struct chase {
	const char *qname;
	uint16_t qtype;
	ldns_rdf *seen[SK_DNS_MAX_CNAME_CHAIN + 1];
	unsigned nseen;
	unsigned asked; /* index in seen[] of the name last sent */
};

struct sk__dns_q {
	struct sk__dns_hent h; /* key: canonical name, qtype */
	struct sk__dns_q *prev, *next;
	struct waiter *waiters, **wtail;
	struct chase c;
};

struct sk_resolver {
	const struct sk__dns_backend_ops *ops;
	void *be;
	struct sk__dns_htab cache;
	size_t cache_max;
	struct centry *oldest, *newest;
	struct sk__dns_htab flights;
	struct sk__dns_q *qlist;
	struct waiter *dq_head, **dq_tail;
	struct waiter *wpool; /* free waiters without qname */
	size_t nwpool;
	size_t pending;  /* user questions not yet delivered */
	size_t inflight; /* backend questions not yet answered */
	struct sk__dns_hook *hooks;
	struct sk_resolver_stats stats;
};

/* ----- answers */

SK_API const struct sk_dns_answer *
sk_dns_answer_ref(const struct sk_dns_answer *pub)
{
	struct ans *a = (struct ans *)(uintptr_t)pub;

	if (a == NULL || a->fixed)
		return pub;
	if (a->shared)
		a = a->base;
	a->refs++;
	return pub;
}

static void
ans_unref(struct ans *a)
{
	if (a == NULL || a->fixed)
		return;
	if (a->shared)
		a = a->base;
	if (--a->refs > 0)
		return;
	if (a->ext_free != NULL)
		a->ext_free(a->ext);
	sk__free(a->hit); /* shared: nobody holds it any more */
	if (a->base != NULL)
		ans_unref(a->base);
	sk__free(a);
}

SK_API void
sk_dns_answer_unref(const struct sk_dns_answer *pub)
{
	ans_unref((struct ans *)(uintptr_t)pub);
}

static const char *
rcode_name(int rcode)
{
	switch (rcode) {
	case 0: return "NOERROR";
	case 1: return "FORMERR";
	case 2: return "SERVFAIL";
	case 3: return "NXDOMAIN";
	case 4: return "NOTIMP";
	case 5: return "REFUSED";
	case -1: return "no response";
	}
	return "unexpected RCODE";
}

/* Bytes an rr needs outside its struct. */
static size_t
rr_extra(const struct sk_dns_rr *rr)
{
	size_t n = strlen(rr->owner) + 1 + rr->rdlen;

	switch (rr->type) {
	case SK_DNS_MX:
		n += strlen(rr->u.mx.exchange) + 1;
		break;
	case SK_DNS_CNAME:
	case SK_DNS_PTR:
	case SK_DNS_NS:
		n += strlen(rr->u.target) + 1;
		break;
	case SK_DNS_TXT:
	case SK_DNS_SPF:
		n += rr->u.txt.len + 1 + rr->u.txt.nstrings;
		break;
	case SK_DNS_SOA:
		n += strlen(rr->u.soa.mname) + strlen(rr->u.soa.rname) + 2;
		break;
	case SK_DNS_CAA:
		n += strlen(rr->u.caa.tag) + strlen(rr->u.caa.value) + 2;
		break;
	default:
		break;
	}
	return n;
}

static const char *
put_str(char **p, const char *s)
{
	size_t n = strlen(s) + 1;
	char *d = *p;

	memcpy(d, s, n);
	*p += n;
	return d;
}

static const void *
put_mem(char **p, const void *s, size_t n)
{
	char *d = *p;

	if (n > 0)
		memcpy(d, s, n);
	*p += n;
	return d;
}

static void
rr_copy(struct sk_dns_rr *d, const struct sk_dns_rr *s, char **p)
{
	*d = *s;
	d->owner = put_str(p, s->owner);
	d->rdata = put_mem(p, s->rdata, s->rdlen);
	switch (s->type) {
	case SK_DNS_MX:
		d->u.mx.exchange = put_str(p, s->u.mx.exchange);
		break;
	case SK_DNS_CNAME:
	case SK_DNS_PTR:
	case SK_DNS_NS:
		d->u.target = put_str(p, s->u.target);
		break;
	case SK_DNS_TXT:
	case SK_DNS_SPF: {
		char *t = (char *)(uintptr_t)put_mem(p, s->u.txt.text,
						     s->u.txt.len);

		*(*p)++ = '\0';
		d->u.txt.text = t;
		d->u.txt.lens = put_mem(p, s->u.txt.lens, s->u.txt.nstrings);
		break;
	}
	case SK_DNS_SOA:
		d->u.soa.mname = put_str(p, s->u.soa.mname);
		d->u.soa.rname = put_str(p, s->u.soa.rname);
		break;
	case SK_DNS_CAA:
		d->u.caa.tag = put_str(p, s->u.caa.tag);
		d->u.caa.value = put_str(p, s->u.caa.value);
		break;
	default:
		break;
	}
}

#define ALIGN_UP(n, a) (((n) + (a) - 1) / (a) * (a))

/* Pack an answer in one allocation.  NULL when out of memory. */
static struct ans *
ans_new(const char *qname, uint16_t qtype, enum sk_dns_status st, int rcode,
	const char *cname, unsigned links, const char *why,
	const struct sk_dns_rr *rrs, size_t n)
{
	size_t hdr = ALIGN_UP(sizeof(struct ans), alignof(max_align_t));
	size_t size = hdr + n * sizeof(struct sk_dns_rr);
	struct sk_dns_rr *rr;
	struct ans *a;
	char *p;

	if (why == NULL)
		why = "";
	size += strlen(qname) + strlen(cname) + strlen(why) + 3;
	for (size_t i = 0; i < n; i++)
		size += rr_extra(&rrs[i]);
	a = sk__malloc(size);
	if (a == NULL)
		return NULL;
	memset(a, 0, sizeof(*a));
	rr = (struct sk_dns_rr *)(void *)((char *)a + hdr);
	p = (char *)(rr + n);
	for (size_t i = 0; i < n; i++)
		rr_copy(&rr[i], &rrs[i], &p);
	a->refs = 1;
	a->hit = NULL;
	a->shared = false;
	a->fixed = false;
	a->ext_tag = NULL;
	a->ext = NULL;
	a->ext_free = NULL;
	a->pub.status = st;
	a->pub.rcode = rcode;
	a->pub.qtype = qtype;
	a->pub.qname = put_str(&p, qname);
	a->pub.cname = links == 0 ? a->pub.qname : put_str(&p, cname);
	a->pub.cname_links = links;
	a->pub.count = n;
	a->pub.rr = n > 0 ? rr : NULL;
	a->pub.why = put_str(&p, why);
	return a;
}

static struct ans *
ans_view(struct ans *base, const char *qname, bool from_cache)
{
	size_t n = strlen(qname) + 1;
	struct ans *v = sk__malloc(sizeof(*v) + n);
	char *q;

	if (v == NULL)
		return NULL;
	q = (char *)(v + 1);
	memcpy(q, qname, n);
	v->pub = base->pub;
	v->pub.qname = q;
	if (v->pub.cname_links == 0)
		v->pub.cname = q;
	v->pub.from_cache = from_cache;
	v->refs = 1;
	v->hit = NULL;
	v->shared = false;
	v->fixed = false;
	v->ext_tag = NULL;
	v->ext = NULL;
	v->ext_free = NULL;
	v->base = base;
	base->refs++;
	return v;
}

/* The answer for a cache hit on `base` by someone who spelled the name as
 * `qname`: the shared view when the spelling is the cached one exactly,
 * else a view of its own.  A new reference; NULL when out of memory. */
static struct ans *
hit_view(struct ans *base, const char *qname)
{
	struct ans *v = base->hit;

	if (strcmp(qname, base->pub.qname) != 0)
		return ans_view(base, qname, true);
	if (v == NULL) {
		v = sk__malloc(sizeof(*v));
		if (v == NULL)
			return NULL;
		memset(v, 0, sizeof(*v));
		v->pub = base->pub; /* qname, cname point into base */
		v->pub.from_cache = true;
		v->base = base;
		v->shared = true;
		base->hit = v;
	}
	base->refs++;
	return v;
}

/* ----- decoding one ldns RR into a temporary sk_dns_rr */

static void
tmp_rr_free(struct sk_dns_rr *rr)
{
	sk__free((void *)(uintptr_t)rr->owner);
	sk__free((void *)(uintptr_t)rr->rdata);
	switch (rr->type) {
	case SK_DNS_MX:
		sk__free((void *)(uintptr_t)rr->u.mx.exchange);
		break;
	case SK_DNS_CNAME:
	case SK_DNS_PTR:
	case SK_DNS_NS:
		sk__free((void *)(uintptr_t)rr->u.target);
		break;
	case SK_DNS_TXT:
	case SK_DNS_SPF:
		sk__free((void *)(uintptr_t)rr->u.txt.text);
		sk__free((void *)(uintptr_t)rr->u.txt.lens);
		break;
	case SK_DNS_SOA:
		sk__free((void *)(uintptr_t)rr->u.soa.mname);
		sk__free((void *)(uintptr_t)rr->u.soa.rname);
		break;
	case SK_DNS_CAA:
		sk__free((void *)(uintptr_t)rr->u.caa.tag);
		sk__free((void *)(uintptr_t)rr->u.caa.value);
		break;
	default:
		break;
	}
	memset(rr, 0, sizeof(*rr));
}

static uint32_t
get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	       (uint32_t)p[2] << 8 | p[3];
}

static char *
rdf_name(const ldns_rr *lrr, size_t i)
{
	const ldns_rdf *f;

	if (ldns_rr_rd_count(lrr) <= i)
		return NULL;
	f = ldns_rr_rdf(lrr, i);
	if (f == NULL || ldns_rdf_get_type(f) != LDNS_RDF_TYPE_DNAME)
		return NULL;
	return sk__dns_rdf_str(f);
}

/* TXT and SPF: a sequence of <length><bytes> (RFC 1035 section 3.3.14). */
static sk_status
decode_txt(struct sk_dns_rr *rr, const uint8_t *d, size_t n)
{
	size_t pos = 0, ns = 0, tl = 0;
	uint8_t *lens;
	char *text;

	while (pos < n) {
		if ((size_t)d[pos] + 1 > n - pos)
			return SK_ESYNTAX;
		tl += d[pos];
		pos += (size_t)d[pos] + 1;
		ns++;
	}
	lens = sk__malloc(ns);
	text = sk__malloc(tl + 1);
	if (lens == NULL || text == NULL) {
		sk__free(lens);
		sk__free(text);
		return SK_ENOMEM;
	}
	pos = 0;
	tl = 0;
	for (size_t i = 0; i < ns; i++) {
		lens[i] = d[pos];
		memcpy(text + tl, d + pos + 1, d[pos]);
		tl += d[pos];
		pos += (size_t)d[pos] + 1;
	}
	text[tl] = '\0';
	rr->u.txt.text = text;
	rr->u.txt.len = tl;
	rr->u.txt.nstrings = (unsigned)ns;
	rr->u.txt.lens = lens;
	return SK_OK;
}

/* Returns SK_OK, SK_ESYNTAX (record malformed: skip it) or SK_ENOMEM. */
static sk_status
rr_decode(const ldns_rr *lrr, struct sk_dns_rr *rr)
{
	ldns_buffer *b;
	const uint8_t *d;
	size_t n;
	sk_status st = SK_OK;

	memset(rr, 0, sizeof(*rr));
	rr->type = (uint16_t)ldns_rr_get_type(lrr);
	rr->ttl = ldns_rr_ttl(lrr);
	b = ldns_buffer_new(512);
	if (b == NULL)
		return SK_ENOMEM;
	if (ldns_rr_rdata2buffer_wire(b, lrr) != LDNS_STATUS_OK ||
	    ldns_buffer_position(b) > 65535) {
		ldns_buffer_free(b);
		return SK_ESYNTAX;
	}
	n = ldns_buffer_position(b);
	rr->owner = sk__dns_rdf_str(ldns_rr_owner(lrr));
	rr->rdata = sk__malloc(n);
	if (rr->owner == NULL || rr->rdata == NULL) {
		ldns_buffer_free(b);
		rr->type = 0;
		tmp_rr_free(rr);
		return SK_ENOMEM;
	}
	memcpy((void *)(uintptr_t)rr->rdata, ldns_buffer_begin(b), n);
	rr->rdlen = (uint16_t)n;
	ldns_buffer_free(b);
	d = rr->rdata;

	switch (rr->type) {
	case SK_DNS_A:
		if (n != 4)
			st = SK_ESYNTAX;
		else
			memcpy(rr->u.a, d, 4);
		break;
	case SK_DNS_AAAA:
		if (n != 16)
			st = SK_ESYNTAX;
		else
			memcpy(rr->u.aaaa, d, 16);
		break;
	case SK_DNS_MX:
		if (n < 3) {
			st = SK_ESYNTAX;
			break;
		}
		rr->u.mx.preference = (uint16_t)(d[0] << 8 | d[1]);
		rr->u.mx.exchange = rdf_name(lrr, 1);
		if (rr->u.mx.exchange == NULL)
			st = SK_ESYNTAX;
		break;
	case SK_DNS_CNAME:
	case SK_DNS_PTR:
	case SK_DNS_NS:
		rr->u.target = rdf_name(lrr, 0);
		if (rr->u.target == NULL)
			st = SK_ESYNTAX;
		break;
	case SK_DNS_TXT:
	case SK_DNS_SPF:
		st = decode_txt(rr, d, n);
		break;
	case SK_DNS_SOA:
		rr->u.soa.mname = rdf_name(lrr, 0);
		rr->u.soa.rname = rdf_name(lrr, 1);
		if (rr->u.soa.mname == NULL || rr->u.soa.rname == NULL ||
		    n < 22) {
			st = SK_ESYNTAX;
			break;
		}
		rr->u.soa.serial = get32(d + n - 20);
		rr->u.soa.refresh = get32(d + n - 16);
		rr->u.soa.retry = get32(d + n - 12);
		rr->u.soa.expire = get32(d + n - 8);
		rr->u.soa.minimum = get32(d + n - 4);
		break;
	case SK_DNS_CAA:
		/* RFC 8659 section 4.1: flags, tag length, tag, value. */
		if (n < 2 || d[1] == 0 || (size_t)d[1] + 2 > n) {
			st = SK_ESYNTAX;
			break;
		}
		rr->u.caa.flags = d[0];
		rr->u.caa.tag = sk__strndup((const char *)d + 2, d[1]);
		rr->u.caa.value = sk__strndup((const char *)d + 2 + d[1],
					      n - 2 - d[1]);
		if (rr->u.caa.tag == NULL || rr->u.caa.value == NULL)
			st = SK_ENOMEM;
		break;
	default:
		break;
	}
	/* A tag or value with NULs in it cannot be given as a C string. */
	if (st == SK_OK && rr->type == SK_DNS_CAA &&
	    (strlen(rr->u.caa.tag) != d[1] ||
	     strlen(rr->u.caa.value) != n - 2 - d[1]))
		st = SK_ESYNTAX;
	if (st != SK_OK)
		tmp_rr_free(rr);
	return st;
}

/* ----- chasing and classification */

static void
chase_clear(struct chase *c)
{
	for (unsigned i = 0; i < c->nseen; i++)
		ldns_rdf_deep_free(c->seen[i]);
	c->nseen = 0;
}

static bool
dname_eq(const ldns_rdf *a, const ldns_rdf *b)
{
	return ldns_dname_compare(a, b) == 0;
}

static struct ans *
tempfail(const struct chase *c, int rcode, const char *why)
{
	return ans_new(c->qname, c->qtype, SK_DNS_TEMPFAIL, rcode, c->qname,
		       0, why, NULL, 0);
}

/* The answer's cname string for a chase; NULL when out of memory. */
static char *
chase_cname(const struct chase *c)
{
	if (c->nseen <= 1)
		return sk__strdup(c->qname);
	return sk__dns_rdf_str(c->seen[c->nseen - 1]);
}

static struct ans *
final_answer(const struct chase *c, const struct sk__dns_raw *raw,
	     enum sk_dns_status st)
{
	const ldns_rdf *cur = c->seen[c->nseen - 1];
	struct sk_dns_rr *rrs = NULL;
	size_t n = 0;
	struct ans *a = NULL;
	char *cname;

	if (st == SK_DNS_ANSWER) {
		rrs = sk__calloc(raw->nrr, sizeof(*rrs));
		if (rrs == NULL)
			return NULL;
		for (size_t i = 0; i < raw->nrr; i++) {
			const ldns_rr *lrr = raw->rrs[i];
			sk_status s;

			if ((uint16_t)ldns_rr_get_type(lrr) != c->qtype ||
			    !dname_eq(ldns_rr_owner(lrr), cur))
				continue;
			s = rr_decode(lrr, &rrs[n]);
			if (s == SK_ENOMEM)
				goto out;
			if (s == SK_OK)
				n++;
		}
		if (n == 0)
			st = SK_DNS_NODATA; /* only malformed records */
	}
	cname = chase_cname(c);
	if (cname != NULL)
		a = ans_new(c->qname, c->qtype, st, raw->rcode, cname,
			    c->nseen - 1, "", rrs, n);
	sk__free(cname);
out:
	for (size_t i = 0; i < n; i++)
		tmp_rr_free(&rrs[i]);
	sk__free(rrs);
	return a;
}

/*
 * Walk one raw result from the name last asked.  Returns the answer, or
 * NULL with *follow set when the chain left this response without data
 * under NOERROR (the caller asks again for the last name), or NULL with
 * *follow clear when out of memory.
 */
static struct ans *
walk(struct chase *c, const struct sk__dns_raw *raw, bool *follow)
{
	*follow = false;
	if (raw->rcode < 0 || (raw->rcode != 0 && raw->rcode != 3))
		return tempfail(c, raw->rcode,
				raw->why != NULL ? raw->why :
				rcode_name(raw->rcode));
	for (;;) {
		const ldns_rdf *cur = c->seen[c->nseen - 1];
		const ldns_rdf *target = NULL;

		for (size_t i = 0; i < raw->nrr; i++) {
			const ldns_rr *lrr = raw->rrs[i];
			uint16_t t = (uint16_t)ldns_rr_get_type(lrr);

			if (!dname_eq(ldns_rr_owner(lrr), cur))
				continue;
			if (t == c->qtype)
				return final_answer(c, raw, SK_DNS_ANSWER);
			if (t == SK_DNS_CNAME && target == NULL &&
			    ldns_rr_rd_count(lrr) == 1 &&
			    ldns_rdf_get_type(ldns_rr_rdf(lrr, 0)) ==
				    LDNS_RDF_TYPE_DNAME)
				target = ldns_rr_rdf(lrr, 0);
		}
		if (target == NULL)
			break;
		/* A CNAME question gets the CNAME itself (handled above);
		 * any other type follows it. */
		for (unsigned i = 0; i < c->nseen; i++) {
			if (dname_eq(c->seen[i], target)) {
				char *s = sk__dns_rdf_str(target);
				struct sk_buf b;
				struct ans *a;

				sk__buf_init(&b, SK_ERR_MSG_MAX);
				if (s == NULL ||
				    sk__buf_printf(&b, "CNAME loop at %s",
						   s) != SK_OK) {
					sk__free(s);
					sk__buf_free(&b);
					return NULL;
				}
				a = tempfail(c, raw->rcode, b.p);
				sk__free(s);
				sk__buf_free(&b);
				return a;
			}
		}
		if (c->nseen > SK_DNS_MAX_CNAME_CHAIN)
			return tempfail(c, raw->rcode, "CNAME chain too long");
		c->seen[c->nseen] = ldns_rdf_clone(target);
		if (c->seen[c->nseen] == NULL)
			return NULL;
		c->nseen++;
	}
	if (raw->rcode == 3)
		return final_answer(c, raw, SK_DNS_NXDOMAIN);
	if (c->nseen - 1 > c->asked) {
		*follow = true;
		return NULL;
	}
	return final_answer(c, raw, SK_DNS_NODATA);
}

const struct sk_dns_answer *
sk__dns_answer_from_raw(const char *qname, uint16_t qtype,
			const struct sk__dns_raw *raw)
{
	struct chase c = { .qname = qname, .qtype = qtype };
	struct ans *a;
	bool follow;

	c.seen[0] = sk__dns_name_rdf(qname);
	if (c.seen[0] == NULL)
		return NULL;
	c.nseen = 1;
	a = walk(&c, raw, &follow);
	if (a == NULL && follow) {
		struct sk__dns_raw none = { .rcode = 0 };

		c.asked = c.nseen - 1;
		a = final_answer(&c, &none, SK_DNS_NODATA);
	}
	chase_clear(&c);
	return a != NULL ? &a->pub : NULL;
}

/* ----- cache */

static void
cache_evict(struct sk_resolver *r)
{
	struct centry *e = r->oldest;

	if (e == NULL)
		return;
	r->oldest = e->newer;
	if (r->oldest != NULL)
		r->oldest->older = NULL;
	else
		r->newest = NULL;
	sk__dns_htab_del(&r->cache, &e->h);
	ans_unref(e->a);
	sk__free(e->h.key);
	sk__free(e);
}

static void
cache_put(struct sk_resolver *r, const char *key, uint16_t type,
	  uint32_t hash, struct ans *a)
{
	struct centry *e;

	/* A failure for want of memory says nothing about the name. */
	if (a == &oom_ans || sk__dns_htab_get(&r->cache, key, type) != NULL ||
	    strcmp(a->pub.why, "out of memory") == 0)
		return;
	while (r->cache.n >= r->cache_max && r->oldest != NULL)
		cache_evict(r);
	e = sk__calloc(1, sizeof(*e));
	if (e == NULL)
		return;
	e->h.key = sk__strdup(key);
	if (e->h.key == NULL) {
		sk__free(e);
		return;
	}
	e->h.type = type;
	e->h.hash = hash;
	if (sk__dns_htab_put(&r->cache, &e->h) != SK_OK) {
		sk__free(e->h.key);
		sk__free(e);
		return;
	}
	e->a = a;
	a->refs++;
	e->older = r->newest;
	if (r->newest != NULL)
		r->newest->newer = e;
	else
		r->oldest = e;
	r->newest = e;
}

static struct ans *
cache_get(const struct sk_resolver *r, const struct sk__dns_key *k,
	  uint16_t type)
{
	struct centry *e = (struct centry *)(void *)sk__dns_htab_find(
		&r->cache, k, type);

	return e != NULL ? e->a : NULL;
}

/* ----- delivery */

/* A waiter for cb(arg); with the asker's spelling `qname` (n bytes) when
 * it will wait on a flight, else (qname NULL) from the pool. */
static struct waiter *
waiter_new(struct sk_resolver *r, sk_dns_cb cb, void *arg,
	   const char *qname, size_t n)
{
	struct waiter *w = NULL;

	if (qname == NULL && r->wpool != NULL) {
		w = r->wpool;
		r->wpool = w->next;
		r->nwpool--;
	} else {
		w = sk__malloc(sizeof(*w) + (qname != NULL ? n + 1 : 1));
		if (w == NULL)
			return NULL;
	}
	w->next = NULL;
	w->cb = cb;
	w->arg = arg;
	w->a = NULL;
	w->pooled = qname == NULL;
	if (qname != NULL)
		memcpy(w->qname, qname, n);
	w->qname[qname != NULL ? n : 0] = '\0';
	return w;
}

static void
waiter_free(struct sk_resolver *r, struct waiter *w)
{
	ans_unref(w->a);
	if (w->pooled && r->nwpool < WAITER_POOL_MAX) {
		w->next = r->wpool;
		r->wpool = w;
		r->nwpool++;
		return;
	}
	sk__free(w);
}

static void
enqueue(struct sk_resolver *r, struct waiter *w, struct ans *a)
{
	if (a->pub.status == SK_DNS_TEMPFAIL)
		r->stats.tempfail++;
	w->next = NULL;
	w->a = a;
	*r->dq_tail = w;
	r->dq_tail = &w->next;
}

static void
q_free(struct sk_resolver *r, struct sk__dns_q *q)
{
	struct waiter *w, *next;

	sk__dns_htab_del(&r->flights, &q->h);
	if (q->prev != NULL)
		q->prev->next = q->next;
	else
		r->qlist = q->next;
	if (q->next != NULL)
		q->next->prev = q->prev;
	for (w = q->waiters; w != NULL; w = next) {
		next = w->next;
		waiter_free(r, w);
	}
	chase_clear(&q->c);
	sk__free(q->h.key);
	sk__free(q);
}

/* A flight is over: cache the answer, queue one delivery per asker. */
static void
q_finish(struct sk_resolver *r, struct sk__dns_q *q, struct ans *a)
{
	struct waiter *w, *next;

	if (a == NULL)
		a = &oom_ans;
	cache_put(r, q->h.key, q->h.type, q->h.hash, a);
	for (w = q->waiters; w != NULL; w = next) {
		struct ans *v = a;

		next = w->next;
		if (a != &oom_ans && strcmp(w->qname, a->pub.qname) != 0)
			v = ans_view(a, w->qname, false);
		else if (a != &oom_ans)
			a->refs++;
		enqueue(r, w, v != NULL ? v : &oom_ans);
	}
	q->waiters = NULL;
	ans_unref(a);
	q_free(r, q);
}

/* Send q's current name to the backend. */
static void
q_send(struct sk_resolver *r, struct sk__dns_q *q)
{
	struct sk__dns_key k;
	sk_status st;

	if (!sk__dns_rdf_key_make(q->c.seen[q->c.nseen - 1], q->h.type,
				  &k)) {
		q_finish(r, q, NULL);
		return;
	}
	q->c.asked = q->c.nseen - 1;
	r->stats.sent++;
	r->inflight++;
	st = r->ops->query(r, r->be, q, k.s, q->h.type);
	/* On success q may be gone already (synchronous backends). */
	if (st != SK_OK) {
		r->inflight--;
		q_finish(r, q, tempfail(&q->c, -1, sk_strerror(st)));
	}
}

void
sk__dns_raw_done(struct sk_resolver *r, struct sk__dns_q *q,
		 const struct sk__dns_raw *raw)
{
	struct ans *a, *hit;
	struct sk__dns_key k;
	bool follow;

	r->inflight--;
	a = walk(&q->c, raw, &follow);
	if (a != NULL || !follow) {
		q_finish(r, q, a);
		return;
	}
	/* The chain left the response: ask for its end, through the
	 * cache first. */
	if (!sk__dns_rdf_key_make(q->c.seen[q->c.nseen - 1], q->h.type,
				  &k)) {
		q_finish(r, q, NULL);
		return;
	}
	hit = cache_get(r, &k, q->h.type);
	if (hit == NULL) {
		q_send(r, q);
		return;
	}
	if (hit->pub.status == SK_DNS_TEMPFAIL) {
		a = tempfail(&q->c, hit->pub.rcode, hit->pub.why);
	} else if (q->c.nseen - 1 + hit->pub.cname_links >
		   SK_DNS_MAX_CNAME_CHAIN) {
		a = tempfail(&q->c, hit->pub.rcode, "CNAME chain too long");
	} else {
		a = ans_new(q->c.qname, q->c.qtype, hit->pub.status,
			    hit->pub.rcode, hit->pub.cname,
			    q->c.nseen - 1 + hit->pub.cname_links, "",
			    hit->pub.rr, hit->pub.count);
	}
	q_finish(r, q, a);
}

/* ----- public API */

sk_status
sk__dns_resolver_new(struct sk_resolver **out,
		     const struct sk__dns_backend_ops *ops, void *be,
		     size_t cache_max, struct sk_err *err)
{
	struct sk_resolver *r = sk__calloc(1, sizeof(*r));

	*out = NULL;
	if (r == NULL) {
		ops->destroy(be);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	r->ops = ops;
	r->be = be;
	r->cache_max = cache_max != 0 ? cache_max : 100000;
	r->dq_tail = &r->dq_head;
	*out = r;
	return SK_OK;
}

void *
sk__dns_backend(const struct sk_resolver *r)
{
	return r->be;
}

const struct sk__dns_backend_ops *
sk__dns_ops(const struct sk_resolver *r)
{
	return r->ops;
}

SK_API void
sk_resolver_free(struct sk_resolver *r)
{
	struct waiter *d, *dn;

	if (r == NULL)
		return;
	while (r->hooks != NULL) {
		struct sk__dns_hook *h = r->hooks;

		sk__dns_hook_del(r, h);
		h->fn(h);
	}
	r->ops->destroy(r->be);
	r->be = NULL;
	while (r->qlist != NULL)
		q_free(r, r->qlist);
	for (d = r->dq_head; d != NULL; d = dn) {
		dn = d->next;
		waiter_free(r, d);
	}
	for (d = r->wpool; d != NULL; d = dn) {
		dn = d->next;
		sk__free(d);
	}
	while (r->oldest != NULL)
		cache_evict(r);
	sk__dns_htab_free(&r->cache);
	sk__dns_htab_free(&r->flights);
	sk__free(r);
}

/* Views share their base's records, so derived data lives on the base. */
static struct ans *
ans_root(const struct sk_dns_answer *pub)
{
	struct ans *a = (struct ans *)(uintptr_t)pub;

	while (a != NULL && a->base != NULL)
		a = a->base;
	return a;
}

void *
sk__dns_ext_get(const struct sk_dns_answer *ans, const void *tag)
{
	struct ans *a = ans_root(ans);

	return a != NULL && a->ext_tag == tag ? a->ext : NULL;
}

bool
sk__dns_ext_set(const struct sk_dns_answer *ans, const void *tag, void *ext,
		void (*free_fn)(void *))
{
	struct ans *a = ans_root(ans);

	if (a == NULL || a->fixed || a->ext_tag != NULL)
		return false;
	a->ext_tag = tag;
	a->ext = ext;
	a->ext_free = free_fn;
	return true;
}

void
sk__dns_hook_add(struct sk_resolver *r, struct sk__dns_hook *h)
{
	if (h->linked)
		return;
	h->prev = NULL;
	h->next = r->hooks;
	if (r->hooks != NULL)
		r->hooks->prev = h;
	r->hooks = h;
	h->linked = true;
}

void
sk__dns_hook_del(struct sk_resolver *r, struct sk__dns_hook *h)
{
	if (!h->linked)
		return;
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		r->hooks = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	h->prev = h->next = NULL;
	h->linked = false;
}

sk_status
sk__dns_defer(struct sk_resolver *r, sk_dns_cb cb, void *arg)
{
	struct waiter *w = waiter_new(r, cb, arg, NULL, 0);

	if (w == NULL)
		return SK_ENOMEM;
	r->pending++;
	w->a = &defer_ans;
	*r->dq_tail = w;
	r->dq_tail = &w->next;
	return SK_OK;
}

SK_API const char *
sk_resolver_backend(const struct sk_resolver *r)
{
	return r->ops->name;
}

SK_API size_t
sk_resolver_pending(const struct sk_resolver *r)
{
	return r->pending;
}

SK_API void
sk_resolver_get_stats(const struct sk_resolver *r,
		      struct sk_resolver_stats *out)
{
	*out = r->stats;
}

SK_API sk_status
sk_dns_query(struct sk_resolver *r, const char *name, uint16_t type,
	     sk_dns_cb cb, void *arg)
{
	struct sk__dns_key k; /* the lookups need no heap copy */
	struct waiter *w;
	struct sk__dns_q *q;
	struct ans *hit;

	if (r == NULL || name == NULL || cb == NULL || type == 0)
		return SK_EINVAL;
	r->stats.questions++;
	if (!sk__dns_key_make(name, type, &k))
		return SK_EINVAL;

	hit = cache_get(r, &k, type);
	if (hit != NULL) {
		struct ans *v;

		w = waiter_new(r, cb, arg, NULL, 0);
		if (w == NULL)
			return SK_ENOMEM;
		v = hit_view(hit, name);
		if (v == NULL) {
			waiter_free(r, w);
			return SK_ENOMEM;
		}
		r->stats.cache_hits++;
		r->pending++;
		enqueue(r, w, v);
		return SK_OK;
	}

	w = waiter_new(r, cb, arg, name, strlen(name));
	if (w == NULL)
		return SK_ENOMEM;

	/* Coalesce with an identical question in flight. */
	q = (struct sk__dns_q *)(void *)sk__dns_htab_find(&r->flights, &k,
							  type);
	if (q != NULL) {
		*q->wtail = w;
		q->wtail = &w->next;
		r->pending++;
		return SK_OK;
	}

	q = sk__calloc(1, sizeof(*q));
	if (q == NULL)
		goto nomem;
	q->h.key = sk__strndup(k.s, k.len);
	q->h.type = type;
	q->h.hash = k.hash;
	q->c.qname = w->qname;
	q->c.qtype = type;
	q->c.seen[0] = q->h.key != NULL ? sk__dns_name_rdf(name) : NULL;
	if (q->c.seen[0] == NULL || sk__dns_htab_put(&r->flights, &q->h) !=
	    SK_OK) {
		ldns_rdf_deep_free(q->c.seen[0]);
		sk__free(q->h.key);
		sk__free(q);
		goto nomem;
	}
	q->c.nseen = 1;
	q->waiters = w;
	q->wtail = &w->next;
	q->next = r->qlist;
	if (q->next != NULL)
		q->next->prev = q;
	r->qlist = q;
	r->pending++;
	q_send(r, q);
	return SK_OK;
nomem:
	waiter_free(r, w);
	return SK_ENOMEM;
}

/* Deliver what is queued now; answers queued by callbacks wait for the
 * next round (callbacks run from a snapshot of the queue). */
static void
deliver(struct sk_resolver *r)
{
	struct waiter *d = r->dq_head, *next;

	r->dq_head = NULL;
	r->dq_tail = &r->dq_head;
	for (; d != NULL; d = next) {
		next = d->next;
		r->pending--;
		d->cb(d->arg, &d->a->pub);
		waiter_free(r, d);
	}
}

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

SK_API int
sk_resolver_run(struct sk_resolver *r, int timeout_ms)
{
	int64_t deadline = timeout_ms > 0 ? now_ms() + timeout_ms : 0;

	if (r == NULL)
		return SK_EINVAL;
	for (;;) {
		int wait, rc;

		deliver(r);
		if (r->pending == 0)
			break;
		if (r->dq_head != NULL)
			continue;
		if (r->inflight == 0)
			break; /* nothing can make progress */
		if (timeout_ms < 0) {
			wait = -1;
		} else if (timeout_ms == 0) {
			wait = 0;
		} else {
			int64_t left = deadline - now_ms();

			if (left <= 0)
				break;
			wait = (int)left;
		}
		rc = r->ops->process(r, r->be, wait);
		if (rc < 0)
			return rc;
		if (timeout_ms == 0) {
			deliver(r);
			break;
		}
	}
	return r->pending > INT_MAX ? INT_MAX : (int)r->pending;
}

static void
resolve_cb(void *arg, const struct sk_dns_answer *ans)
{
	const struct sk_dns_answer **out = arg;

	*out = sk_dns_answer_ref(ans);
}

SK_API sk_status
sk_dns_resolve(struct sk_resolver *r, const char *name, uint16_t type,
	       const struct sk_dns_answer **out, struct sk_err *err)
{
	const struct sk_dns_answer *got = NULL;
	sk_status st;

	*out = NULL;
	st = sk_dns_query(r, name, type, resolve_cb, &got);
	if (st == SK_EINVAL)
		return sk__err(err, st, "invalid question for \"%s\"",
			       name != NULL ? name : "(null)");
	if (st != SK_OK)
		return sk__err(err, st, "cannot ask: %s", sk_strerror(st));
	/* run(-1) returns when nothing is pending or nothing can move. */
	{
		int rc = sk_resolver_run(r, -1);

		if (rc < 0)
			return sk__err(err, rc, "resolver: %s",
				       sk_strerror(rc));
		if (got == NULL)
			return sk__err(err, SK_EINTERNAL,
				       "question lost by the resolver");
	}
	*out = got;
	return SK_OK;
}
