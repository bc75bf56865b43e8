/*
 * lib/dns/dns_internal.h - what the resolver core and its backends share.
 * Not installed.
 *
 * A backend receives one question at a time (a name in presentation form
 * without the trailing dot, and a type) through ops->query and, sooner or
 * later, hands the core a raw result with sk__dns_raw_done(): an RCODE (or
 * a transport failure with a reason) and the answer-section RRs.  The core
 * does everything else: CNAME chasing, classification, caching, deferred
 * delivery.  A backend may call sk__dns_raw_done() from inside its query
 * function (script and zone backends do); the core never calls a user
 * callback from there.
 */
#ifndef SK_DNS_INTERNAL_H
#define SK_DNS_INTERNAL_H

#include <ldns/ldns.h>
#include <senderkit/dns.h>
#include "util/util.h"

/* One question handed to a backend; opaque to it. */
struct sk__dns_q;

/*
 * What a backend saw.  rcode is the DNS RCODE, or -1 when no response came
 * (timeout, transport failure); why names the failure when there is one
 * ("timeout", "connection refused"), else NULL.  rrs[0..nrr) are the answer
 * section, borrowed for the duration of sk__dns_raw_done().
 */
struct sk__dns_raw {
	int rcode;
	const char *why;
	ldns_rr *const *rrs;
	size_t nrr;
};

struct sk__dns_backend_ops {
	const char *name;
	/* Ask (name, type) for q.  Returns SK_OK or a status; on SK_OK the
	 * backend calls sk__dns_raw_done(r, q, ...) exactly once, unless the
	 * resolver is destroyed first. */
	sk_status (*query)(struct sk_resolver *r, void *be,
			   struct sk__dns_q *q, const char *name,
			   uint16_t type);
	/* Drive I/O for up to timeout_ms (0: do not block).  Returns the
	 * number of backend queries still in flight, or a status. */
	int (*process)(struct sk_resolver *r, void *be, int timeout_ms);
	/* Free the backend; in-flight queries are dropped silently. */
	void (*destroy)(void *be);
};

/* Core (resolver.c). */
sk_status sk__dns_resolver_new(struct sk_resolver **out,
			       const struct sk__dns_backend_ops *ops, void *be,
			       size_t cache_max, struct sk_err *err);
void *sk__dns_backend(const struct sk_resolver *r);
const struct sk__dns_backend_ops *sk__dns_ops(const struct sk_resolver *r);
void sk__dns_raw_done(struct sk_resolver *r, struct sk__dns_q *q,
		      const struct sk__dns_raw *raw);

/*
 * Build a complete answer for (qname, qtype) from one raw result without
 * any further question (a chain ending without data gives NODATA).  Used
 * by the packet fuzzer; the caller releases the answer with
 * sk_dns_answer_unref().  Returns NULL when out of memory.
 */
const struct sk_dns_answer *sk__dns_answer_from_raw(const char *qname,
						    uint16_t qtype,
						    const struct sk__dns_raw
						    *raw);

/*
 * Turn a DNS response in wire format into a raw result (be_cares.c).  On
 * SK_OK *pkt holds the parsed packet that raw->rrs point into: free it
 * with ldns_pkt_free() after use, and free raw->rrs with sk__free().
 */
sk_status sk__dns_packet_to_raw(const uint8_t *wire, size_t len,
				ldns_pkt **pkt, struct sk__dns_raw *raw);

/*
 * Have cb(arg, ans) called from the next sk_resolver_run(), as if a
 * question had been answered, without asking anything: for results known
 * at once that must still arrive through the event loop.  `ans` is a
 * placeholder (status NODATA, qtype 0) the callback must ignore.
 */
sk_status sk__dns_defer(struct sk_resolver *r, sk_dns_cb cb, void *arg);

/*
 * Cleanup hooks: work that lives on a resolver (an evaluation waiting for
 * answers) registers a hook; sk_resolver_free() unlinks each hook still
 * registered and calls fn, which frees that work (its callbacks are never
 * called).  Embed the struct; zero it before sk__dns_hook_add().
 */
struct sk__dns_hook {
	struct sk__dns_hook *prev, *next;
	void (*fn)(struct sk__dns_hook *h);
	bool linked;
};

void sk__dns_hook_add(struct sk_resolver *r, struct sk__dns_hook *h);
/* Unlink; does nothing when not linked. */
void sk__dns_hook_del(struct sk_resolver *r, struct sk__dns_hook *h);

/*
 * Derived data kept with an answer: a consumer that turns an answer into
 * something costly (a DKIM key decoded by OpenSSL) parks the result on the
 * answer, which the resolver's cache keeps, so the next message asking the
 * same question reuses it.  One slot per answer, claimed by `tag` (the
 * address of a static object of the consumer): _set returns false when
 * the slot is taken, and the caller then owns `ext` as before.  free_fn
 * runs when the answer is freed.
 */
void *sk__dns_ext_get(const struct sk_dns_answer *ans, const void *tag);
bool sk__dns_ext_set(const struct sk_dns_answer *ans, const void *tag,
		     void *ext, void (*free_fn)(void *));

/* Names (name.c). */
/* Check a presentation-form name for sk_dns_query (RFC 1035 2.3.4). */
bool sk__dns_name_valid(const char *name);
/* Lower-case presentation form without trailing dot of a dname rdf,
 * root = "".  Caller frees with sk__free; NULL on failure. */
char *sk__dns_rdf_key(const ldns_rdf *dname);
/* Presentation form without trailing dot, case kept.  sk__free. */
char *sk__dns_rdf_str(const ldns_rdf *dname);
/* Parse a presentation name (absolute or not; relative means absolute)
 * into a dname rdf.  NULL when it does not parse. */
ldns_rdf *sk__dns_name_rdf(const char *name);
/* Canonical key of a presentation name; NULL when it does not parse. */
char *sk__dns_name_key(const char *name);

/*
 * A canonical key built without allocating (the resolver's cache-hit
 * path).  A wire name has at most 255 octets; as a key every label octet
 * may take 4 characters (\DDD), so 1024 bytes always suffice.
 */
#define SK__DNS_KEY_MAX 1024
struct sk__dns_key {
	uint32_t hash; /* sk__dns_hash(s, type) for the type it was made for */
	size_t len;    /* strlen(s) */
	char s[SK__DNS_KEY_MAX];
};
/* Check `name` as sk__dns_name_valid does and put in *k the key that
 * sk__dns_name_key gives, with its hash for `type`.  false when the name
 * is not valid (then *k is unspecified). */
bool sk__dns_key_make(const char *name, uint16_t type,
		      struct sk__dns_key *k);
/* The same from a dname rdf (the key sk__dns_rdf_key gives). */
bool sk__dns_rdf_key_make(const ldns_rdf *dname, uint16_t type,
			  struct sk__dns_key *k);

/* A small chained hash table keyed by (canonical name, type); entries
 * embed struct sk__dns_hent as their first member. */
struct sk__dns_hent {
	struct sk__dns_hent *next;
	uint32_t hash;
	uint16_t type;
	char *key; /* owned by the entry's owner */
};

struct sk__dns_htab {
	struct sk__dns_hent **b;
	size_t nb;
	size_t n;
};

uint32_t sk__dns_hash(const char *key, uint16_t type);
struct sk__dns_hent *sk__dns_htab_get(const struct sk__dns_htab *t,
				      const char *key, uint16_t type);
/* The same with the key and hash of sk__dns_key_make (no hashing). */
struct sk__dns_hent *sk__dns_htab_find(const struct sk__dns_htab *t,
				       const struct sk__dns_key *k,
				       uint16_t type);
/* Insert e (key, type and hash already set).  SK_ENOMEM if growth fails
 * for the first table allocation; later growth failures are ignored. */
sk_status sk__dns_htab_put(struct sk__dns_htab *t, struct sk__dns_hent *e);
void sk__dns_htab_del(struct sk__dns_htab *t, struct sk__dns_hent *e);
void sk__dns_htab_free(struct sk__dns_htab *t);

#endif /* SK_DNS_INTERNAL_H */
