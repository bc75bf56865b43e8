/*
 * lib/dns/name.c - domain name checks and keys (RFC 1035 sections 2.3.1,
 * 2.3.4 and 3.1: labels of 1..63 octets, names of 255 octets in wire form,
 * so 253 characters in presentation form; case-insensitive comparison,
 * RFC 4343), type and status names, and the small hash table used by the
 * cache and the backends.
 */
#include <stdio.h>
#include <string.h>
#include "dns_internal.h"

bool
sk__dns_name_valid(const char *name)
{
	size_t total = 0, label = 0, i = 0;
	size_t n = strlen(name);

	if (n == 0)
		return false;
	if (n == 1 && name[0] == '.')
		return true; /* the root */
	while (i < n) {
		if (name[i] == '.') {
			if (label == 0)
				return false; /* empty label */
			if (i + 1 == n)
				break; /* lone trailing dot */
			total++;
			label = 0;
			i++;
			continue;
		}
		if (name[i] == '\\') {
			/* \DDD or \X stand for one octet. */
			if (i + 3 < n &&
			    sk__isdigit((unsigned char)name[i + 1])
			    && sk__isdigit((unsigned char)name[i + 2]) &&
			    sk__isdigit((unsigned char)name[i + 3]))
				i += 4;
			else if (i + 1 < n)
				i += 2;
			else
				return false;
		} else {
			i++;
		}
		label++;
		total++;
		if (label > SK_DNS_MAX_LABEL || total > SK_DNS_MAX_NAME - 2)
			return false;
	}
	return true;
}

ldns_rdf *
sk__dns_name_rdf(const char *name)
{
	ldns_rdf *rdf = NULL;
	size_t n = strlen(name);
	char *tmp;

	if (n == 0 || (n == 1 && name[0] == '.'))
		return ldns_dname_new_frm_str(".");
	if (name[n - 1] == '.')
		return ldns_dname_new_frm_str(name);
	tmp = sk__malloc(n + 2);
	if (tmp == NULL)
		return NULL;
	memcpy(tmp, name, n);
	tmp[n] = '.';
	tmp[n + 1] = '\0';
	rdf = ldns_dname_new_frm_str(tmp);
	sk__free(tmp);
	return rdf;
}

/*
 * Presentation form of a wire-format name, written here rather than with
 * ldns_rdf2str (whose printf-per-byte formatter was half the cost of an
 * SPF evaluation).  Same escapes as ldns: '.', ';', '(', ')' and '\' get
 * a backslash, bytes outside printable ASCII become \DDD; no final dot;
 * the root is "".  `lower` folds A-Z (RFC 4343 comparison keys).
 */
static char *
wire_name_str(const ldns_rdf *dname, bool lower)
{
	const uint8_t *d = ldns_rdf_data(dname);
	size_t n = ldns_rdf_size(dname), i = 0, o = 0;
	char *out;

	if (d == NULL || ldns_rdf_get_type(dname) != LDNS_RDF_TYPE_DNAME)
		return NULL;
	/* Worst case: every byte as \DDD. */
	out = sk__malloc(n * 4 + 1);
	if (out == NULL)
		return NULL;
	while (i < n && d[i] != 0) {
		size_t len = d[i++];

		if (len > SK_DNS_MAX_LABEL || len > n - i) {
			sk__free(out);
			return NULL;
		}
		if (o > 0)
			out[o++] = '.';
		for (size_t k = 0; k < len; k++) {
			unsigned char c = d[i + k];

			if (c == '.' || c == ';' || c == '(' || c == ')' ||
			    c == '\\') {
				out[o++] = '\\';
				out[o++] = (char)c;
			} else if (c <= 0x20 || c >= 0x7f) {
				out[o++] = '\\';
				out[o++] = (char)('0' + c / 100);
				out[o++] = (char)('0' + c / 10 % 10);
				out[o++] = (char)('0' + c % 10);
			} else {
				out[o++] = lower ? sk__lower((char)c) : (char)c;
			}
		}
		i += len;
	}
	out[o] = '\0';
	return out;
}

char *
sk__dns_rdf_str(const ldns_rdf *dname)
{
	return wire_name_str(dname, false);
}

char *
sk__dns_rdf_key(const ldns_rdf *dname)
{
	return wire_name_str(dname, true);
}

/* A name made only of bytes that need no escape: its key is a lower-case
 * copy without the final dot, with no wire round trip. */
static bool
plain_name(const char *name)
{
	for (const char *p = name; *p != '\0'; p++) {
		unsigned char c = (unsigned char)*p;

		if (c <= 0x20 || c >= 0x7f || c == ';' || c == '(' ||
		    c == ')' || c == '\\')
			return false;
	}
	return true;
}

char *
sk__dns_name_key(const char *name)
{
	ldns_rdf *rdf;
	char *key;

	if (plain_name(name) && sk__dns_name_valid(name)) {
		size_t n = strlen(name);

		if (n > 0 && name[n - 1] == '.')
			n--;
		key = sk__malloc(n + 1);
		if (key == NULL)
			return NULL;
		for (size_t i = 0; i < n; i++)
			key[i] = sk__lower(name[i]);
		key[n] = '\0';
		return key;
	}
	rdf = sk__dns_name_rdf(name);
	if (rdf == NULL)
		return NULL;
	key = sk__dns_rdf_key(rdf);
	ldns_rdf_deep_free(rdf);
	return key;
}

/* ----- hash table (FNV-1a over the key and the type) */

uint32_t
sk__dns_hash(const char *key, uint16_t type)
{
	uint32_t h = 2166136261u;

	for (const char *p = key; *p != '\0'; p++) {
		h ^= (uint8_t)*p;
		h *= 16777619u;
	}
	h ^= type & 0xff;
	h *= 16777619u;
	h ^= type >> 8;
	h *= 16777619u;
	return h;
}

struct sk__dns_hent *
sk__dns_htab_get(const struct sk__dns_htab *t, const char *key,
		 uint16_t type)
{
	uint32_t h;

	if (t->nb == 0)
		return NULL;
	h = sk__dns_hash(key, type);
	for (struct sk__dns_hent *e = t->b[h & (t->nb - 1)]; e != NULL;
	     e = e->next)
		if (e->hash == h && e->type == type &&
		    strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

static void
htab_grow(struct sk__dns_htab *t, size_t nb)
{
	struct sk__dns_hent **nbk = sk__calloc(nb, sizeof(*nbk));

	if (nbk == NULL)
		return;
	for (size_t i = 0; i < t->nb; i++) {
		struct sk__dns_hent *e = t->b[i], *next;

		for (; e != NULL; e = next) {
			next = e->next;
			e->next = nbk[e->hash & (nb - 1)];
			nbk[e->hash & (nb - 1)] = e;
		}
	}
	sk__free(t->b);
	t->b = nbk;
	t->nb = nb;
}

sk_status
sk__dns_htab_put(struct sk__dns_htab *t, struct sk__dns_hent *e)
{
	if (t->nb == 0) {
		htab_grow(t, 64);
		if (t->nb == 0)
			return SK_ENOMEM;
	} else if (t->n >= t->nb && t->nb < ((size_t)1 << 30)) {
		htab_grow(t, t->nb * 2);
	}
	e->next = t->b[e->hash & (t->nb - 1)];
	t->b[e->hash & (t->nb - 1)] = e;
	t->n++;
	return SK_OK;
}

void
sk__dns_htab_del(struct sk__dns_htab *t, struct sk__dns_hent *e)
{
	struct sk__dns_hent **pp;

	if (t->nb == 0)
		return;
	for (pp = &t->b[e->hash & (t->nb - 1)]; *pp != NULL;
	     pp = &(*pp)->next) {
		if (*pp == e) {
			*pp = e->next;
			t->n--;
			return;
		}
	}
}

void
sk__dns_htab_free(struct sk__dns_htab *t)
{
	sk__free(t->b);
	t->b = NULL;
	t->nb = 0;
	t->n = 0;
}

/* ----- names of types and statuses */

static const struct {
	uint16_t type;
	const char *name;
} types[] = {
	{ SK_DNS_A, "A" },       { SK_DNS_NS, "NS" },
	{ SK_DNS_CNAME, "CNAME" }, { SK_DNS_SOA, "SOA" },
	{ SK_DNS_PTR, "PTR" },   { SK_DNS_MX, "MX" },
	{ SK_DNS_TXT, "TXT" },   { SK_DNS_AAAA, "AAAA" },
	{ SK_DNS_SPF, "SPF" },   { SK_DNS_CAA, "CAA" },
	{ 33, "SRV" },           { 43, "DS" },
	{ 48, "DNSKEY" },        { 52, "TLSA" },
	{ 255, "ANY" },
};

SK_API const char *
sk_dns_type_str(uint16_t type)
{
	static char other[8][12];
	static unsigned next;
	char *p;

	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (types[i].type == type)
			return types[i].name;
	p = other[next++ % 8];
	snprintf(p, sizeof(other[0]), "TYPE%u", (unsigned)type);
	return p;
}

SK_API const char *
sk_dns_status_str(enum sk_dns_status st)
{
	switch (st) {
	case SK_DNS_ANSWER: return "ANSWER";
	case SK_DNS_NXDOMAIN: return "NXDOMAIN";
	case SK_DNS_NODATA: return "NODATA";
	case SK_DNS_TEMPFAIL: return "TEMPFAIL";
	}
	return "UNKNOWN";
}

SK_API uint16_t
sk_dns_type_from_str(const char *s)
{
	size_t n;
	unsigned long v;

	if (s == NULL)
		return 0;
	n = strlen(s);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (sk__eq_nocase_z(s, n, types[i].name))
			return types[i].type;
	/* RFC 3597 section 5: TYPEnnn. */
	if (n > 4 && sk__eq_nocase(s, 4, "TYPE", 4) &&
	    sk__parse_uint(s + 4, n - 4, 65535, &v) && v > 0)
		return (uint16_t)v;
	return 0;
}
