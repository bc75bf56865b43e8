/*
 * lib/dns/name.c - domain name checks and keys (RFC 1035 sections 2.3.1,
 * 2.3.4 and 3.1: labels of 1..63 octets, names of 255 octets in wire form,
 * so 253 characters in presentation form; case-insensitive comparison,
 * RFC 4343), type and status names, and the small hash table used by the
 * cache and the backends.
 */
#include <stdint.h>
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
 * the root is "".  `lower` folds A-Z (RFC 4343 comparison keys).  Writes
 * into out[cap] (cap >= 4 * rdf size + 1 always suffices); returns the
 * length, or SIZE_MAX when the name is malformed or does not fit.
 */
static size_t
wire_name_put(const ldns_rdf *dname, bool lower, char *out, size_t cap)
{
	const uint8_t *d = ldns_rdf_data(dname);
	size_t n = ldns_rdf_size(dname), i = 0, o = 0;

	if (d == NULL || ldns_rdf_get_type(dname) != LDNS_RDF_TYPE_DNAME ||
	    cap == 0)
		return SIZE_MAX;
	while (i < n && d[i] != 0) {
		size_t len = d[i++];

		/* Worst case for this label: a dot and every byte as \DDD,
		 * plus the final NUL. */
		if (len > SK_DNS_MAX_LABEL || len > n - i ||
		    len * 4 + 2 > cap - o)
			return SIZE_MAX;
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
	return o;
}

static char *
wire_name_str(const ldns_rdf *dname, bool lower)
{
	size_t cap = ldns_rdf_size(dname) * 4 + 1;
	char *out = sk__malloc(cap);

	if (out == NULL)
		return NULL;
	if (wire_name_put(dname, lower, out, cap) == SIZE_MAX) {
		sk__free(out);
		return NULL;
	}
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

/* FNV-1a (32 bits), the hash of the cache and backend tables. */
#define FNV_INIT 2166136261u
#define FNV_STEP(h, c) (((h) ^ (uint8_t)(c)) * 16777619u)

static uint32_t
hash_fin(uint32_t h, uint16_t type)
{
	h = FNV_STEP(h, type & 0xff);
	return FNV_STEP(h, type >> 8);
}

bool
sk__dns_rdf_key_make(const ldns_rdf *dname, uint16_t type,
		     struct sk__dns_key *k)
{
	k->len = wire_name_put(dname, true, k->s, sizeof(k->s));
	if (k->len == SIZE_MAX)
		return false;
	k->hash = sk__dns_hash(k->s, type);
	return true;
}

/* What a presentation byte becomes in a key: itself folded to lower case
 * (RFC 4343), or 0 for NUL and for the bytes a key would write escaped,
 * which wire_name_put escapes ('.' stays: it is the label separator). */
#define KEY_BYTE(c) \
	(uint8_t)((c) <= 0x20 || (c) >= 0x7f || (c) == ';' || (c) == '(' || \
		  (c) == ')' || (c) == '\\' ? 0 : \
		  (c) >= 'A' && (c) <= 'Z' ? (c) + ('a' - 'A') : (c))
#define KEY_ROW(b) \
	KEY_BYTE((b) + 0), KEY_BYTE((b) + 1), KEY_BYTE((b) + 2), \
	KEY_BYTE((b) + 3), KEY_BYTE((b) + 4), KEY_BYTE((b) + 5), \
	KEY_BYTE((b) + 6), KEY_BYTE((b) + 7), KEY_BYTE((b) + 8), \
	KEY_BYTE((b) + 9), KEY_BYTE((b) + 10), KEY_BYTE((b) + 11), \
	KEY_BYTE((b) + 12), KEY_BYTE((b) + 13), KEY_BYTE((b) + 14), \
	KEY_BYTE((b) + 15)
static const uint8_t key_byte[256] = {
	KEY_ROW(0x00), KEY_ROW(0x10), KEY_ROW(0x20), KEY_ROW(0x30),
	KEY_ROW(0x40), KEY_ROW(0x50), KEY_ROW(0x60), KEY_ROW(0x70),
	KEY_ROW(0x80), KEY_ROW(0x90), KEY_ROW(0xa0), KEY_ROW(0xb0),
	KEY_ROW(0xc0), KEY_ROW(0xd0), KEY_ROW(0xe0), KEY_ROW(0xf0),
};

/*
 * One pass over a name without escapes does what sk__dns_name_valid,
 * sk__dns_name_key and sk__dns_hash do in three, with the same results
 * (RFC 1035 section 2.3.4 limits: labels of 1..63 octets, 253 characters
 * without the final dot); anything with a byte that a key would escape
 * goes the long way, through ldns.
 */
bool
sk__dns_key_make(const char *name, uint16_t type, struct sk__dns_key *k)
{
	uint32_t h = FNV_INIT;
	size_t label = 0, o = 0;
	const unsigned char *p = (const unsigned char *)name;
	ldns_rdf *rdf;
	bool done;

	if (name[0] == '\0')
		return false;
	if (name[0] == '.' && name[1] == '\0')
		goto plain; /* the root: key "" */
	for (;; p++) {
		unsigned char c = key_byte[*p];

		if (c == 0) {
			if (*p != '\0')
				goto escaped;
			break;
		}
		if (c == '.') {
			if (label == 0)
				return false; /* empty label */
			if (p[1] == '\0')
				break; /* lone trailing dot */
			label = 0;
		} else if (++label > SK_DNS_MAX_LABEL) {
			return false;
		}
		if (o >= SK_DNS_MAX_NAME - 2)
			return false; /* o is the character count so far */
		k->s[o++] = (char)c;
		h = FNV_STEP(h, c);
	}
plain:
	k->s[o] = '\0';
	k->len = o;
	k->hash = hash_fin(h, type);
	return true;
escaped:
	if (!sk__dns_name_valid(name))
		return false;
	rdf = sk__dns_name_rdf(name);
	if (rdf == NULL)
		return false;
	done = sk__dns_rdf_key_make(rdf, type, k);
	ldns_rdf_deep_free(rdf);
	return done;
}

/* ----- hash table (FNV-1a over the key and the type) */

uint32_t
sk__dns_hash(const char *key, uint16_t type)
{
	uint32_t h = FNV_INIT;

	for (const char *p = key; *p != '\0'; p++)
		h = FNV_STEP(h, *p);
	return hash_fin(h, type);
}

static struct sk__dns_hent *
htab_lookup(const struct sk__dns_htab *t, const char *key, uint16_t type,
	    uint32_t h)
{
	for (struct sk__dns_hent *e = t->b[h & (t->nb - 1)]; e != NULL;
	     e = e->next)
		if (e->hash == h && e->type == type &&
		    strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

struct sk__dns_hent *
sk__dns_htab_get(const struct sk__dns_htab *t, const char *key,
		 uint16_t type)
{
	if (t->nb == 0)
		return NULL;
	return htab_lookup(t, key, type, sk__dns_hash(key, type));
}

struct sk__dns_hent *
sk__dns_htab_find(const struct sk__dns_htab *t, const struct sk__dns_key *k,
		  uint16_t type)
{
	if (t->nb == 0)
		return NULL;
	return htab_lookup(t, k->s, type, k->hash);
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
