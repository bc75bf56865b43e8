/*
 * senderkit/dns.h - one resolver interface, three backends.
 *
 * Every engine of senderkit takes its DNS through a struct sk_resolver:
 *
 *   live     asynchronous stub resolution with c-ares: UDP with TCP fallback
 *            on truncation, timeouts and retries, one given server or the
 *            system's resolvers (RFC 1035 section 4.2);
 *   zones    answers from RFC 1035 master files loaded in memory (ldns
 *            parses them); no network is used; names under no loaded zone
 *            answer NXDOMAIN;
 *   script   answers added one by one through the API, including simulated
 *            timeouts and SERVFAIL, for tests.
 *
 * All backends share the same core: answers are classified as records,
 * NXDOMAIN, no data or temporary failure; CNAME chains are followed (with
 * loop protection, at most SK_DNS_MAX_CNAME_CHAIN links); and a per-resolver
 * cache answers a repeated question without asking twice.
 *
 * Model: queries are asynchronous.  sk_dns_query() registers a question and
 * returns at once; the callback runs later, from inside sk_resolver_run(),
 * never from inside sk_dns_query() itself (even on a cache hit).  A resolver
 * is not thread-safe: use one per thread.
 */
#ifndef SENDERKIT_DNS_H
#define SENDERKIT_DNS_H

#include <senderkit/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* RFC 1035 limits (section 2.3.4). */
#define SK_DNS_MAX_NAME 255       /* octets of a wire-format name */
#define SK_DNS_MAX_LABEL 63       /* octets of one label */
#define SK_DNS_MAX_TXT_STRING 255 /* octets of one character-string */
/* CNAME links followed before giving up with a temporary failure. */
#define SK_DNS_MAX_CNAME_CHAIN 16

/* Record types the library decodes.  Others come back with raw rdata. */
enum sk_dns_type {
	SK_DNS_A = 1,
	SK_DNS_NS = 2,
	SK_DNS_CNAME = 5,
	SK_DNS_SOA = 6,
	SK_DNS_PTR = 12,
	SK_DNS_MX = 15,
	SK_DNS_TXT = 16,
	SK_DNS_AAAA = 28,
	SK_DNS_SPF = 99,
	SK_DNS_CAA = 257,
};

/* What a question got.  Engines depend on these distinctions: RFC 7208
 * section 4.6.4 counts NXDOMAIN and NODATA as "void" lookups, and section 5
 * turns TEMPFAIL into temperror. */
enum sk_dns_status {
	SK_DNS_ANSWER = 0, /* one or more records of the asked type */
	SK_DNS_NXDOMAIN,   /* RCODE 3: the name does not exist */
	SK_DNS_NODATA,     /* RCODE 0, name exists, no record of that type */
	SK_DNS_TEMPFAIL,   /* timeout, SERVFAIL, REFUSED, CNAME loop, ... */
};

/* One resource record.  Strings are NUL-terminated presentation-form
 * domain names without the trailing dot ("mail.example.com"), with the
 * case the server sent. */
struct sk_dns_rr {
	uint16_t type;
	uint32_t ttl;
	const char *owner;
	const uint8_t *rdata; /* wire-format rdata, names uncompressed */
	uint16_t rdlen;
	union {
		uint8_t a[4];    /* A, network order */
		uint8_t aaaa[16];/* AAAA, network order */
		struct {
			uint16_t preference;
			const char *exchange; /* "" for the root (Null MX) */
		} mx;
		const char *target; /* CNAME, PTR, NS */
		struct {
			/* The character-strings concatenated (RFC 7208 section
			 * 3.3).  `text[len]` is a NUL added for convenience;
			 * the data itself may contain NUL bytes. */
			const char *text;
			size_t len;
			unsigned nstrings;      /* how many strings */
			const uint8_t *lens;    /* nstrings lengths */
		} txt; /* TXT and SPF (type 99) */
		struct {
			const char *mname, *rname;
			uint32_t serial, refresh, retry, expire, minimum;
		} soa;
		struct {
			uint8_t flags;
			const char *tag;   /* NUL-terminated */
			const char *value; /* NUL-terminated */
		} caa;
	} u;
};

/* The outcome of one question.  Immutable and reference-counted: the
 * pointer a callback receives is borrowed for the callback's duration;
 * keep it longer with sk_dns_answer_ref() and release with
 * sk_dns_answer_unref(). */
struct sk_dns_answer {
	enum sk_dns_status status;
	int rcode;          /* DNS RCODE seen, or -1 (timeout, no reply) */
	uint16_t qtype;
	const char *qname;  /* the name asked, as given */
	const char *cname;  /* the name the records belong to after CNAMEs;
	                       equals qname when there was no CNAME */
	unsigned cname_links;
	size_t count;       /* number of records in rr[] (0 unless ANSWER) */
	const struct sk_dns_rr *rr;
	const char *why;    /* for TEMPFAIL: "timeout", "SERVFAIL", "CNAME
	                       loop at x", ...; otherwise "" */
	bool from_cache;    /* answered from the per-run cache */
};

/* Take a reference to an answer; returns `ans`. */
SK_API const struct sk_dns_answer *
sk_dns_answer_ref(const struct sk_dns_answer *ans);

/* Drop a reference.  Accepts NULL. */
SK_API void
sk_dns_answer_unref(const struct sk_dns_answer *ans);

/* Names for enum values, static storage ("A", "TXT", "TYPE65"; "NXDOMAIN").
 * sk_dns_type_str writes into a small static table for unknown types and so
 * is not thread-safe for those; known types are constants. */
SK_API const char *
sk_dns_type_str(uint16_t type);
SK_API const char *
sk_dns_status_str(enum sk_dns_status st);

/* Parse a type mnemonic ("TXT", "txt", "TYPE99").  Returns 0 if unknown. */
SK_API uint16_t
sk_dns_type_from_str(const char *s);

struct sk_resolver;

/* Options of the live backend.  Zero-initialise and set what you need. */
struct sk_resolver_opts {
	/* "IP" or "IP:PORT" or "[IPv6]:PORT"; NULL uses /etc/resolv.conf. */
	const char *server;
	unsigned timeout_ms; /* per try; 0 means 2000 */
	unsigned tries;      /* 0 means 3 */
	size_t cache_max;    /* answers kept; 0 means 100000 */
};

/*
 * Create a live resolver (c-ares).  Fails with SK_EDNS when no server can
 * be configured, SK_EINVAL when opts->server does not parse.
 * Caller frees with sk_resolver_free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_resolver_new_live(struct sk_resolver **out,
		     const struct sk_resolver_opts *opts, struct sk_err *err);

/*
 * Create an empty zone-file resolver; add data with sk_resolver_load_zone().
 * Answers as an authoritative server holding all loaded zones would, with
 * the recursion a stub resolver sees: CNAMEs are followed across zones;
 * names in no loaded zone and names absent inside a zone give NXDOMAIN;
 * an existing name (including an empty non-terminal) without records of
 * the type gives NODATA.  Wildcards ("*.") are expanded (RFC 4592).
 */
SK_API SK_WARN_UNUSED sk_status
sk_resolver_new_zones(struct sk_resolver **out, struct sk_err *err);

/*
 * Load one RFC 1035 master file into a zone resolver.  `origin` is the
 * initial $ORIGIN (NULL means "."); the file's $ORIGIN and $TTL directives,
 * multi-string TXT, A, AAAA, MX, PTR, CNAME, NS, SOA, SPF and generic
 * TYPEnnn records (RFC 3597) are understood.  The whole file is rejected on
 * the first error, reported with err->line and a message naming the file;
 * records of an earlier file stay loaded.
 */
SK_API SK_WARN_UNUSED sk_status
sk_resolver_load_zone(struct sk_resolver *r, const char *path,
		      const char *origin, struct sk_err *err);

/* The same from memory; `name` is used in error messages. */
SK_API SK_WARN_UNUSED sk_status
sk_resolver_load_zone_mem(struct sk_resolver *r, const char *data, size_t len,
			  const char *name, const char *origin,
			  struct sk_err *err);

/*
 * Create a scripted resolver for tests: it answers only what was added with
 * sk_resolver_script_add() / sk_resolver_script_fail(); any other question
 * gets NXDOMAIN (or, when a name has some records, NODATA).
 */
SK_API SK_WARN_UNUSED sk_status
sk_resolver_new_script(struct sk_resolver **out, struct sk_err *err);

/* Add one record in presentation form, e.g.
 *   sk_resolver_script_add(r, "example.com", SK_DNS_TXT, "\"v=spf1 -all\"")
 *   sk_resolver_script_add(r, "example.com", SK_DNS_MX, "10 mx.example.com.")
 * Relative names in rdata are relative to the root. */
SK_API SK_WARN_UNUSED sk_status
sk_resolver_script_add(struct sk_resolver *r, const char *name, uint16_t type,
		       const char *rdata, struct sk_err *err);

/* Add one TXT (or SPF) record from raw strings (no presentation quoting),
 * for data with arbitrary bytes. */
SK_API SK_WARN_UNUSED sk_status
sk_resolver_script_add_txt(struct sk_resolver *r, const char *name,
			   uint16_t type, const char *const *strings,
			   const size_t *lens, size_t nstrings,
			   struct sk_err *err);

/* Make every question for `name` (any type when type == 0) end in a
 * temporary failure with the given reason ("timeout", "SERVFAIL"). */
SK_API SK_WARN_UNUSED sk_status
sk_resolver_script_fail(struct sk_resolver *r, const char *name,
			uint16_t type, const char *why, struct sk_err *err);

/* Free a resolver, cancelling pending queries (their callbacks are not
 * called).  Accepts NULL. */
SK_API void
sk_resolver_free(struct sk_resolver *r);

/* Callback for an answered question.  `ans` is borrowed (see above). */
typedef void (*sk_dns_cb)(void *arg, const struct sk_dns_answer *ans);

/*
 * Ask a question.  `name` is a domain name, absolute or not (a trailing dot
 * is accepted and ignored); it is not searched in resolv.conf domains.
 * A name longer than 253 characters, with an empty label or with a label
 * over 63 octets is refused here with SK_EINVAL, because no server can be
 * asked about it; engines validate names before asking.
 */
SK_API SK_WARN_UNUSED sk_status
sk_dns_query(struct sk_resolver *r, const char *name, uint16_t type,
	     sk_dns_cb cb, void *arg);

/*
 * Run the event loop: deliver ready answers and wait up to `timeout_ms`
 * (-1: until no query is pending; 0: do not block) for more.  Returns the
 * number of questions still pending (>= 0), or a negative status.
 */
SK_API SK_WARN_UNUSED int
sk_resolver_run(struct sk_resolver *r, int timeout_ms);

/* Number of questions asked and not yet answered. */
SK_API size_t
sk_resolver_pending(const struct sk_resolver *r);

/*
 * Synchronous convenience: ask and wait.  On SK_OK, *out holds a reference
 * the caller releases with sk_dns_answer_unref().  A DNS failure is not an
 * error here: it is an answer with status TEMPFAIL.
 */
SK_API SK_WARN_UNUSED sk_status
sk_dns_resolve(struct sk_resolver *r, const char *name, uint16_t type,
	       const struct sk_dns_answer **out, struct sk_err *err);

/* Counters, for benchmarks and --verbose output. */
struct sk_resolver_stats {
	uint64_t questions;   /* sk_dns_query calls */
	uint64_t cache_hits;  /* answered from the cache */
	uint64_t sent;        /* queries that reached the backend */
	uint64_t tempfail;    /* answers with TEMPFAIL */
};

/* Copy the resolver's counters into *out. */
SK_API void
sk_resolver_get_stats(const struct sk_resolver *r,
		      struct sk_resolver_stats *out);

/* A short name of the backend: "live", "zones" or "script". */
SK_API const char *
sk_resolver_backend(const struct sk_resolver *r);

#ifdef __cplusplus
}
#endif

#endif /* SENDERKIT_DNS_H */
