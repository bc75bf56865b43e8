/*
 * lib/dns/be_zonefile.c - the zone-file backend: RFC 1035 section 5 master
 * files ($ORIGIN, $TTL, parentheses, comments; RFC 3597 TYPEnnn \#
 * generic rdata) parsed by ldns into memory, answered as an authoritative
 * server holding every loaded zone would (RFC 1034 section 4.3.2): exact
 * name, CNAME at the name, empty non-terminals as existing names (RFC 8020
 * section 2), wildcards at the closest encloser (RFC 4592 sections 2.2 and
 * 3.3.1).  Zone cuts are not modelled: NS records below an apex are data.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include "dns_internal.h"

struct znode {
	struct sk__dns_hent h; /* key: canonical name, type 0 */
	struct znode *next_all;
	ldns_rr_list *rrs;
	bool apex;
};

struct zones {
	struct sk__dns_htab names;
	struct znode *all;
};

static const struct sk__dns_backend_ops zone_ops;

static struct znode *
zget(const struct zones *z, const char *key)
{
	return (struct znode *)(void *)sk__dns_htab_get(&z->names, key, 0);
}

static struct znode *
zget_rdf(const struct zones *z, const ldns_rdf *name)
{
	char *key = sk__dns_rdf_key(name);
	struct znode *n;

	if (key == NULL)
		return NULL;
	n = zget(z, key);
	sk__free(key);
	return n;
}

/* Find or create the node of a name.  NULL when out of memory. */
static struct znode *
zcreate(struct zones *z, const ldns_rdf *name)
{
	char *key = sk__dns_rdf_key(name);
	struct znode *n;

	if (key == NULL)
		return NULL;
	n = zget(z, key);
	if (n != NULL) {
		sk__free(key);
		return n;
	}
	n = sk__calloc(1, sizeof(*n));
	if (n == NULL) {
		sk__free(key);
		return NULL;
	}
	n->rrs = ldns_rr_list_new();
	n->h.key = key;
	n->h.hash = sk__dns_hash(key, 0);
	if (n->rrs == NULL || sk__dns_htab_put(&z->names, &n->h) != SK_OK) {
		ldns_rr_list_free(n->rrs);
		sk__free(key);
		sk__free(n);
		return NULL;
	}
	n->next_all = z->all;
	z->all = n;
	return n;
}

/* The records of a name that answer `type` (the CNAME first, RFC 1034
 * section 4.3.2), with owner replaced by `owner` when given (wildcard
 * synthesis, RFC 4592 section 3.3.1). */
static sk_status
zanswer(struct sk_resolver *r, struct sk__dns_q *q, const struct znode *n,
	uint16_t type, const ldns_rdf *owner)
{
	size_t cnt = ldns_rr_list_rr_count(n->rrs), nr = 0;
	struct sk__dns_raw raw = { .rcode = 0 };
	ldns_rr **rrs;
	bool cname = false;
	sk_status st = SK_OK;

	rrs = sk__calloc(cnt + 1, sizeof(*rrs));
	if (rrs == NULL)
		return SK_ENOMEM;
	if (type != SK_DNS_CNAME)
		for (size_t i = 0; i < cnt; i++)
			if (ldns_rr_get_type(ldns_rr_list_rr(n->rrs, i)) ==
			    LDNS_RR_TYPE_CNAME) {
				rrs[nr++] = ldns_rr_list_rr(n->rrs, i);
				cname = true;
			}
	if (!cname)
		for (size_t i = 0; i < cnt; i++)
			if ((uint16_t)ldns_rr_get_type(
				    ldns_rr_list_rr(n->rrs, i)) == type)
				rrs[nr++] = ldns_rr_list_rr(n->rrs, i);
	if (owner != NULL) {
		for (size_t i = 0; i < nr; i++) {
			ldns_rr *c = ldns_rr_clone(rrs[i]);
			ldns_rdf *o = ldns_rdf_clone(owner);

			if (c == NULL || o == NULL) {
				ldns_rr_free(c);
				ldns_rdf_deep_free(o);
				for (size_t j = 0; j < i; j++)
					ldns_rr_free(rrs[j]);
				sk__free(rrs);
				return SK_ENOMEM;
			}
			ldns_rdf_deep_free(ldns_rr_owner(c));
			ldns_rr_set_owner(c, o);
			rrs[i] = c;
		}
	}
	raw.rrs = rrs;
	raw.nrr = nr;
	sk__dns_raw_done(r, q, &raw);
	if (owner != NULL)
		for (size_t i = 0; i < nr; i++)
			ldns_rr_free(rrs[i]);
	sk__free(rrs);
	return st;
}

static sk_status
zone_query(struct sk_resolver *r, void *be, struct sk__dns_q *q,
	   const char *name, uint16_t type)
{
	struct zones *z = be;
	struct sk__dns_raw nx = { .rcode = 3 };
	struct znode *n = zget(z, name);
	ldns_rdf *qn, *enc;
	sk_status st;

	if (n != NULL)
		return zanswer(r, q, n, type, NULL);
	/* The name does not exist: look for the closest encloser and a
	 * wildcard child of it (RFC 4592 section 3.3.1). */
	qn = sk__dns_name_rdf(name);
	if (qn == NULL)
		return SK_ENOMEM;
	enc = ldns_rdf_clone(qn);
	while (enc != NULL && ldns_dname_label_count(enc) > 0) {
		ldns_rdf *up = ldns_dname_left_chop(enc);

		ldns_rdf_deep_free(enc);
		enc = up;
		if (enc != NULL && zget_rdf(z, enc) != NULL)
			break;
	}
	if (enc != NULL && zget_rdf(z, enc) != NULL) {
		ldns_rdf *star = ldns_dname_new_frm_str("*");
		struct znode *w = NULL;

		if (star != NULL &&
		    ldns_dname_cat(star, enc) == LDNS_STATUS_OK)
			w = zget_rdf(z, star);
		ldns_rdf_deep_free(star);
		if (w != NULL) {
			st = zanswer(r, q, w, type, qn);
			ldns_rdf_deep_free(enc);
			ldns_rdf_deep_free(qn);
			return st;
		}
	}
	ldns_rdf_deep_free(enc);
	ldns_rdf_deep_free(qn);
	sk__dns_raw_done(r, q, &nx);
	return SK_OK;
}

static int
zone_process(struct sk_resolver *r, void *be, int timeout_ms)
{
	return 0;
}

static void
zone_destroy(void *be)
{
	struct zones *z = be;
	struct znode *n, *next;

	if (z == NULL)
		return;
	for (n = z->all; n != NULL; n = next) {
		next = n->next_all;
		ldns_rr_list_deep_free(n->rrs);
		sk__free(n->h.key);
		sk__free(n);
	}
	sk__dns_htab_free(&z->names);
	sk__free(z);
}

static const struct sk__dns_backend_ops zone_ops = {
	.name = "zones",
	.query = zone_query,
	.process = zone_process,
	.destroy = zone_destroy,
};

SK_API sk_status
sk_resolver_new_zones(struct sk_resolver **out, struct sk_err *err)
{
	struct zones *z = sk__calloc(1, sizeof(*z));

	*out = NULL;
	if (z == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	return sk__dns_resolver_new(out, &zone_ops, z, 0, err);
}

/* Create empty nodes for the ancestors of `owner` below its zone apex
 * (empty non-terminals).  Nothing when no apex encloses it. */
static sk_status
mark_ents(struct zones *z, const ldns_rdf *owner)
{
	ldns_rdf *up[SK_DNS_MAX_NAME];
	size_t nup = 0;
	bool found = false;
	sk_status st = SK_OK;
	ldns_rdf *cur = ldns_rdf_clone(owner);

	if (cur == NULL)
		return SK_ENOMEM;
	while (ldns_dname_label_count(cur) > 0 && nup < SK_DNS_MAX_NAME) {
		ldns_rdf *p = ldns_dname_left_chop(cur);
		struct znode *n;

		ldns_rdf_deep_free(cur);
		cur = p;
		if (cur == NULL)
			break;
		n = zget_rdf(z, cur);
		if (n != NULL && n->apex) {
			found = true;
			break;
		}
		up[nup] = ldns_rdf_clone(cur);
		if (up[nup] == NULL) {
			st = SK_ENOMEM;
			break;
		}
		nup++;
	}
	ldns_rdf_deep_free(cur);
	for (size_t i = 0; i < nup; i++) {
		if (found && st == SK_OK && zcreate(z, up[i]) == NULL)
			st = SK_ENOMEM;
		ldns_rdf_deep_free(up[i]);
	}
	return st;
}

static sk_status
load_fp(struct zones *z, FILE *fp, const char *fname, const char *origin,
	struct sk_err *err)
{
	ldns_rdf *orig, *prev = NULL, *apex0 = NULL;
	ldns_rr_list *list = ldns_rr_list_new();
	uint32_t ttl = 3600;
	int line = 1;
	size_t nsoa = 0;
	sk_status st = SK_OK;

	orig = sk__dns_name_rdf(origin != NULL ? origin : ".");
	if (orig == NULL || list == NULL) {
		ldns_rdf_deep_free(orig);
		ldns_rr_list_free(list);
		if (origin != NULL && list != NULL)
			return sk__err(err, SK_EINVAL, "%s: bad origin \"%s\"",
				       fname, origin);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	apex0 = ldns_rdf_clone(orig);
	while (!feof(fp)) {
		ldns_rr *rr = NULL;
		int before = line;
		ldns_status ls = ldns_rr_new_frm_fp_l(&rr, fp, &ttl, &orig,
						      &prev, &line);

		if (ls == LDNS_STATUS_OK) {
			if (ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN) {
				ldns_rr_free(rr);
				st = sk__err_line(err, SK_ESYNTAX, before,
						  "%s:%d: class other than IN",
						  fname, before);
				break;
			}
			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_SOA)
				nsoa++;
			if (!ldns_rr_list_push_rr(list, rr)) {
				ldns_rr_free(rr);
				st = sk__err(err, SK_ENOMEM, "out of memory");
				break;
			}
			continue;
		}
		if (ls == LDNS_STATUS_SYNTAX_EMPTY ||
		    ls == LDNS_STATUS_SYNTAX_TTL ||
		    ls == LDNS_STATUS_SYNTAX_ORIGIN)
			continue;
		/* ldns counts the line ending the record: report the
		 * line the error is on (the last one read). */
		{
			unsigned at = (unsigned)(line > before ? line - 1 :
						 line);

			if (at == 0)
				at = 1;
			if (ls == LDNS_STATUS_SYNTAX_INCLUDE)
				st = sk__err_line(err, SK_ENOTSUP, at,
						  "%s:%u: $INCLUDE is not "
						  "supported", fname, at);
			else if (ls == LDNS_STATUS_MEM_ERR)
				st = sk__err(err, SK_ENOMEM, "out of memory");
			else
				st = sk__err_line(err, SK_ESYNTAX, at,
						  "%s:%u: %s", fname, at,
						  ldns_get_errorstr_by_id(ls));
		}
		break;
	}
	ldns_rdf_deep_free(orig);
	ldns_rdf_deep_free(prev);
	if (st == SK_OK && ferror(fp))
		st = sk__err(err, SK_EIO, "%s: read error", fname);
	if (st != SK_OK) {
		ldns_rdf_deep_free(apex0);
		ldns_rr_list_deep_free(list);
		return st;
	}

	/* Apexes: the SOA owners, else the initial origin. */
	for (size_t i = 0; i < ldns_rr_list_rr_count(list); i++) {
		ldns_rr *rr = ldns_rr_list_rr(list, i);
		struct znode *n;

		if (ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA)
			continue;
		n = zcreate(z, ldns_rr_owner(rr));
		if (n == NULL)
			st = SK_ENOMEM;
		else
			n->apex = true;
	}
	if (nsoa == 0 && st == SK_OK) {
		struct znode *n = zcreate(z, apex0);

		if (n == NULL)
			st = SK_ENOMEM;
		else
			n->apex = true;
	}
	ldns_rdf_deep_free(apex0);
	while (st == SK_OK && ldns_rr_list_rr_count(list) > 0) {
		ldns_rr *rr = ldns_rr_list_pop_rr(list);
		struct znode *n = zcreate(z, ldns_rr_owner(rr));

		if (n == NULL || !ldns_rr_list_push_rr(n->rrs, rr)) {
			ldns_rr_free(rr);
			st = SK_ENOMEM;
			break;
		}
		st = mark_ents(z, ldns_rr_owner(rr));
	}
	ldns_rr_list_deep_free(list);
	if (st != SK_OK)
		return sk__err(err, st, "%s: out of memory", fname);
	return SK_OK;
}

static struct zones *
zones_of(struct sk_resolver *r)
{
	if (r == NULL || sk__dns_ops(r) != &zone_ops)
		return NULL;
	return sk__dns_backend(r);
}

SK_API sk_status
sk_resolver_load_zone(struct sk_resolver *r, const char *path,
		      const char *origin, struct sk_err *err)
{
	struct zones *z = zones_of(r);
	sk_status st;
	FILE *fp;

	if (z == NULL || path == NULL)
		return sk__err(err, SK_EINVAL, "not a zone resolver");
	fp = fopen(path, "r");
	if (fp == NULL) {
		int e = errno;

		return sk__err(err, e == ENOENT ? SK_ENOENT : SK_EIO,
			       "%s: %s", path, strerror(e));
	}
	st = load_fp(z, fp, path, origin, err);
	fclose(fp);
	return st;
}

SK_API sk_status
sk_resolver_load_zone_mem(struct sk_resolver *r, const char *data,
			  size_t len, const char *name, const char *origin,
			  struct sk_err *err)
{
	struct zones *z = zones_of(r);
	sk_status st;
	FILE *fp;

	if (name == NULL)
		name = "(memory)";
	if (z == NULL || (data == NULL && len > 0))
		return sk__err(err, SK_EINVAL, "not a zone resolver");
	if (len == 0)
		return SK_OK;
	fp = fmemopen((void *)(uintptr_t)data, len, "r");
	if (fp == NULL)
		return sk__err(err, SK_ENOMEM, "%s: cannot open: %s", name,
			       strerror(errno));
	st = load_fp(z, fp, name, origin, err);
	fclose(fp);
	return st;
}
