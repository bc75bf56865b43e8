/*
 * lib/dns/be_script.c - the scripted backend for tests: records and
 * failures added through the API, answered like an authoritative server
 * would (RFC 1034 section 4.3.2 step 3: a CNAME at the name is returned
 * for any other type; RFC 2308: NXDOMAIN for unknown names, NODATA for
 * known names without the type).  Presentation rdata is parsed by ldns
 * (RFC 1035 section 5.1, RFC 3597 for TYPEnnn).
 */
#include <string.h>
#include "dns_internal.h"

struct sfail {
	struct sfail *next;
	uint16_t type; /* 0: all types */
	char *why;
};

struct snode {
	struct sk__dns_hent h; /* key: canonical name, type 0 */
	struct snode *next_all;
	ldns_rr_list *rrs;
	struct sfail *fails;
};

struct script {
	struct sk__dns_htab names;
	struct snode *all;
};

static const struct sk__dns_backend_ops script_ops;

static struct snode *
node_get(struct script *s, const char *name, bool create)
{
	char *key = sk__dns_name_key(name);
	struct snode *n;

	if (key == NULL)
		return NULL;
	n = (struct snode *)(void *)sk__dns_htab_get(&s->names, key, 0);
	if (n != NULL || !create) {
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
	if (n->rrs == NULL || sk__dns_htab_put(&s->names, &n->h) != SK_OK) {
		ldns_rr_list_free(n->rrs);
		sk__free(key);
		sk__free(n);
		return NULL;
	}
	n->next_all = s->all;
	s->all = n;
	return n;
}

static sk_status
script_query(struct sk_resolver *r, void *be, struct sk__dns_q *q,
	     const char *name, uint16_t type)
{
	struct script *s = be;
	struct snode *n = node_get(s, name, false);
	struct sk__dns_raw raw = { .rcode = 3 };
	ldns_rr **rrs = NULL;
	size_t cnt, nr = 0;
	bool cname = false;

	if (n != NULL) {
		for (struct sfail *f = n->fails; f != NULL; f = f->next) {
			if (f->type != 0 && f->type != type)
				continue;
			raw.why = f->why;
			if (strcmp(f->why, "SERVFAIL") == 0)
				raw.rcode = 2;
			else if (strcmp(f->why, "REFUSED") == 0)
				raw.rcode = 5;
			else
				raw.rcode = -1;
			sk__dns_raw_done(r, q, &raw);
			return SK_OK;
		}
	}
	if (n == NULL || ldns_rr_list_rr_count(n->rrs) == 0) {
		sk__dns_raw_done(r, q, &raw);
		return SK_OK;
	}
	cnt = ldns_rr_list_rr_count(n->rrs);
	rrs = sk__calloc(cnt, sizeof(*rrs));
	if (rrs == NULL)
		return SK_ENOMEM;
	if (type != SK_DNS_CNAME) {
		for (size_t i = 0; i < cnt; i++) {
			ldns_rr *rr = ldns_rr_list_rr(n->rrs, i);

			if (ldns_rr_get_type(rr) == LDNS_RR_TYPE_CNAME) {
				rrs[nr++] = rr;
				cname = true;
			}
		}
	}
	if (!cname) {
		for (size_t i = 0; i < cnt; i++) {
			ldns_rr *rr = ldns_rr_list_rr(n->rrs, i);

			if ((uint16_t)ldns_rr_get_type(rr) == type)
				rrs[nr++] = rr;
		}
	}
	raw.rcode = 0;
	raw.rrs = rrs;
	raw.nrr = nr;
	sk__dns_raw_done(r, q, &raw);
	sk__free(rrs);
	return SK_OK;
}

static int
script_process(struct sk_resolver *r, void *be, int timeout_ms)
{
	return 0;
}

static void
script_destroy(void *be)
{
	struct script *s = be;
	struct snode *n, *next;

	if (s == NULL)
		return;
	for (n = s->all; n != NULL; n = next) {
		struct sfail *f, *fn;

		next = n->next_all;
		for (f = n->fails; f != NULL; f = fn) {
			fn = f->next;
			sk__free(f->why);
			sk__free(f);
		}
		ldns_rr_list_deep_free(n->rrs);
		sk__free(n->h.key);
		sk__free(n);
	}
	sk__dns_htab_free(&s->names);
	sk__free(s);
}

static const struct sk__dns_backend_ops script_ops = {
	.name = "script",
	.query = script_query,
	.process = script_process,
	.destroy = script_destroy,
};

SK_API sk_status
sk_resolver_new_script(struct sk_resolver **out, struct sk_err *err)
{
	struct script *s = sk__calloc(1, sizeof(*s));

	*out = NULL;
	if (s == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	return sk__dns_resolver_new(out, &script_ops, s, 0, err);
}

static struct script *
script_of(struct sk_resolver *r)
{
	if (r == NULL || sk__dns_ops(r) != &script_ops)
		return NULL;
	return sk__dns_backend(r);
}

static sk_status
add_rr(struct script *s, const char *name, ldns_rr *rr, struct sk_err *err)
{
	struct snode *n = node_get(s, name, true);

	if (n == NULL || !ldns_rr_list_push_rr(n->rrs, rr)) {
		ldns_rr_free(rr);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	return SK_OK;
}

SK_API sk_status
sk_resolver_script_add(struct sk_resolver *r, const char *name,
		       uint16_t type, const char *rdata, struct sk_err *err)
{
	struct script *s = script_of(r);
	struct sk_buf b;
	ldns_rdf *root;
	ldns_rr *rr = NULL;
	ldns_status ls;
	size_t n;

	if (s == NULL)
		return sk__err(err, SK_EINVAL, "not a script resolver");
	if (name == NULL || rdata == NULL || type == 0 ||
	    !sk__dns_name_valid(name))
		return sk__err(err, SK_EINVAL, "invalid name or type");
	n = strlen(name);
	sk__buf_init(&b, 128 * 1024);
	if (sk__buf_printf(&b, "%s%s 3600 IN %s %s", name,
			   name[n - 1] == '.' ? "" : ".",
			   sk_dns_type_str(type), rdata) != SK_OK) {
		sk__buf_free(&b);
		return sk__err(err, SK_ETOOBIG, "record too long");
	}
	root = ldns_dname_new_frm_str(".");
	if (root == NULL) {
		sk__buf_free(&b);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	ls = ldns_rr_new_frm_str(&rr, b.p, 3600, root, NULL);
	ldns_rdf_deep_free(root);
	sk__buf_free(&b);
	if (ls != LDNS_STATUS_OK)
		return sk__err(err, SK_ESYNTAX, "%s record for %s: %s",
			       sk_dns_type_str(type), name,
			       ldns_get_errorstr_by_id(ls));
	if ((uint16_t)ldns_rr_get_type(rr) != type) {
		ldns_rr_free(rr);
		return sk__err(err, SK_ESYNTAX, "record type mismatch");
	}
	return add_rr(s, name, rr, err);
}

SK_API sk_status
sk_resolver_script_add_txt(struct sk_resolver *r, const char *name,
			   uint16_t type, const char *const *strings,
			   const size_t *lens, size_t nstrings,
			   struct sk_err *err)
{
	struct script *s = script_of(r);
	ldns_rdf *owner;
	ldns_rr *rr;
	size_t total = 0;

	if (s == NULL)
		return sk__err(err, SK_EINVAL, "not a script resolver");
	if (name == NULL || type == 0 || !sk__dns_name_valid(name) ||
	    (nstrings > 0 && (strings == NULL || lens == NULL)))
		return sk__err(err, SK_EINVAL, "invalid name or strings");
	/* Each string takes ceil(len / 255) pieces of 1 + up to 255 bytes. */
	for (size_t i = 0; i < nstrings; i++) {
		size_t pieces = lens[i] == 0 ? 1 :
			(lens[i] + SK_DNS_MAX_TXT_STRING - 1) /
			SK_DNS_MAX_TXT_STRING;

		if (lens[i] > 65535)
			return sk__err(err, SK_ETOOBIG, "TXT data too long");
		total += lens[i] + pieces;
		if (total > 65535)
			return sk__err(err, SK_ETOOBIG, "TXT data too long");
	}
	owner = sk__dns_name_rdf(name);
	rr = ldns_rr_new();
	if (owner == NULL || rr == NULL) {
		ldns_rdf_deep_free(owner);
		ldns_rr_free(rr);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	ldns_rr_set_owner(rr, owner);
	ldns_rr_set_type(rr, (ldns_rr_type)type);
	ldns_rr_set_class(rr, LDNS_RR_CLASS_IN);
	ldns_rr_set_ttl(rr, 3600);
	for (size_t i = 0; i < nstrings; i++) {
		size_t off = 0;

		do {
			uint8_t piece[SK_DNS_MAX_TXT_STRING + 1];
			size_t pl = lens[i] - off;
			ldns_rdf *f;

			if (pl > SK_DNS_MAX_TXT_STRING)
				pl = SK_DNS_MAX_TXT_STRING;
			piece[0] = (uint8_t)pl;
			if (pl > 0)
				memcpy(piece + 1, strings[i] + off, pl);
			f = ldns_rdf_new_frm_data(LDNS_RDF_TYPE_STR, pl + 1,
						  piece);
			if (f == NULL || !ldns_rr_push_rdf(rr, f)) {
				ldns_rdf_deep_free(f);
				ldns_rr_free(rr);
				return sk__err(err, SK_ENOMEM,
					       "out of memory");
			}
			off += pl;
		} while (off < lens[i]);
	}
	return add_rr(s, name, rr, err);
}

SK_API sk_status
sk_resolver_script_fail(struct sk_resolver *r, const char *name,
			uint16_t type, const char *why, struct sk_err *err)
{
	struct script *s = script_of(r);
	struct snode *n;
	struct sfail *f, **pp;

	if (s == NULL)
		return sk__err(err, SK_EINVAL, "not a script resolver");
	if (name == NULL || !sk__dns_name_valid(name))
		return sk__err(err, SK_EINVAL, "invalid name");
	n = node_get(s, name, true);
	f = sk__calloc(1, sizeof(*f));
	if (n == NULL || f == NULL ||
	    (f->why = sk__strdup(why != NULL && why[0] != '\0' ? why :
				 "timeout")) == NULL) {
		sk__free(f);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	f->type = type;
	/* Keep the order of addition: the first match wins. */
	for (pp = &n->fails; *pp != NULL; pp = &(*pp)->next)
		;
	*pp = f;
	return SK_OK;
}
