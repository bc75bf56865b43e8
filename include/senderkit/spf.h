/*
 * senderkit/spf.h - Sender Policy Framework, RFC 7208.
 *
 *   parse     record syntax (sections 4.5, 4.6, 5, 6, 12) with error offsets;
 *   macros    expansion (section 7), every letter, transformers, delimiters;
 *   check     check_host() (sections 4, 5, 6) with the processing limits of
 *             section 4.6.4, synchronous or asynchronous over one resolver;
 *   header    the Received-SPF header field (section 9.1);
 *   lint      findings about a published or proposed record, with the tree
 *             of DNS-querying terms and their cost;
 *   merge     add an include to a record, refusing when the result would
 *             pass the limit of 10 DNS-querying terms.
 *
 * Inputs are untrusted and length-bounded: no function relies on NUL
 * termination where a length is given, and every limit below is checked
 * before memory is allocated for the data it bounds.
 */
#ifndef SENDERKIT_SPF_H
#define SENDERKIT_SPF_H

#include <time.h>
#include <senderkit/common.h>
#include <senderkit/dns.h>

#ifdef __cplusplus
extern "C" {
#endif

/* RFC 7208 section 4.6.4 limits. */
#define SK_SPF_MAX_DNS_TERMS 10  /* include a mx ptr exists redirect */
#define SK_SPF_MAX_VOID 2        /* lookups answering NXDOMAIN or no data */
#define SK_SPF_MAX_MX_NAMES 10   /* names from one MX query looked up */
#define SK_SPF_MAX_PTR_NAMES 10  /* names from one PTR query looked up */
/* Largest record accepted by the parser (a record is at most one DNS
 * message; 64 KiB is the wire limit). */
#define SK_SPF_MAX_RECORD 65535
/* Domain names after macro expansion (section 4.8: truncated from the
 * left to 253 characters). */
#define SK_SPF_MAX_DOMAIN 253
/* Largest explanation string produced (section 6.2 text can be long; we
 * cap it). */
#define SK_SPF_MAX_EXPLANATION 2048

/* The seven results of section 2.6. */
enum sk_spf_result {
	SK_SPF_NONE = 0,
	SK_SPF_NEUTRAL,
	SK_SPF_PASS,
	SK_SPF_FAIL,
	SK_SPF_SOFTFAIL,
	SK_SPF_TEMPERROR,
	SK_SPF_PERMERROR,
};

/* "none", "neutral", "pass", "fail", "softfail", "temperror",
 * "permerror".  Static storage. */
SK_API const char *
sk_spf_result_str(enum sk_spf_result r);

/* Which identity is checked (sections 2.3 and 2.4). */
enum sk_spf_identity {
	SK_SPF_ID_MAILFROM = 0, /* MAIL FROM; HELO when MAIL FROM is empty */
	SK_SPF_ID_HELO,         /* the HELO/EHLO name only */
};

/* ---------------------------------------------------------------- parse */

enum sk_spf_term_kind {
	SK_SPF_ALL = 0,
	SK_SPF_INCLUDE,
	SK_SPF_A,
	SK_SPF_MX,
	SK_SPF_PTR,
	SK_SPF_IP4,
	SK_SPF_IP6,
	SK_SPF_EXISTS,
	SK_SPF_REDIRECT, /* modifier */
	SK_SPF_EXP,      /* modifier */
	SK_SPF_UNKNOWN_MODIFIER,
};

/* Lower-case mechanism or modifier name ("include", "redirect", ...);
 * "unknown-modifier" for SK_SPF_UNKNOWN_MODIFIER. */
SK_API const char *
sk_spf_term_kind_str(enum sk_spf_term_kind k);

/* One term of a parsed record.  Pointers are slices into the record's own
 * copy of the text; lengths are authoritative (no NUL termination). */
struct sk_spf_term {
	enum sk_spf_term_kind kind;
	char qualifier;        /* '+', '-', '~' or '?'; '+' when implicit */
	bool explicit_qualifier;
	size_t offset;         /* byte offset of the term in the record */
	const char *text;      /* the term as written */
	size_t text_len;
	const char *domain_spec; /* target (include, a, mx, ptr, exists,
	                            redirect, exp); NULL when absent */
	size_t domain_spec_len;
	int cidr4;             /* a, mx, ip4: prefix length; -1 if absent */
	int cidr6;             /* a, mx, ip6: prefix length; -1 if absent */
	uint8_t addr[16];      /* ip4 (first 4 bytes) or ip6 address */
	const char *name;      /* unknown modifier: its name */
	size_t name_len;
	const char *value;     /* unknown modifier: its value */
	size_t value_len;
};

struct sk_spf_record;

/*
 * Parse an SPF record (the concatenated TXT strings).  The text must begin
 * with "v=spf1" (case-insensitive) followed by a space or the end.  Any
 * syntax error anywhere fails the whole record (section 4.6): SK_ESYNTAX
 * with err->offset at the offending byte and a message naming the term.
 * Also rejected: non-ASCII bytes (section 3.1), a repeated redirect or exp
 * modifier (section 6), records longer than SK_SPF_MAX_RECORD (SK_ETOOBIG).
 * On success the caller frees *out with sk_spf_record_free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_spf_parse(const char *text, size_t len, struct sk_spf_record **out,
	     struct sk_err *err);

/* Accepts NULL. */
SK_API void
sk_spf_record_free(struct sk_spf_record *rec);

/* True when the text is an SPF record by the selection rule of section
 * 4.5: "v=spf1" exactly, then a space or the end.  Used to pick records
 * out of a TXT RRset. */
SK_API bool
sk_spf_is_record(const char *text, size_t len);

/* Number of terms (mechanisms and modifiers) in a parsed record. */
SK_API size_t
sk_spf_record_nterms(const struct sk_spf_record *rec);

/* Term i (0-based) in record order, or NULL when i is out of range.
 * Borrowed from rec. */
SK_API const struct sk_spf_term *
sk_spf_record_term(const struct sk_spf_record *rec, size_t i);

/* ---------------------------------------------------------------- macros */

/* Values the macro letters of section 7.3 expand to. */
struct sk_spf_macro_vars {
	const char *sender;    /* s: local-part@domain */
	const char *domain;    /* d: current domain */
	const char *ip;        /* i, c, v: textual IPv4 or IPv6 address */
	const char *helo;      /* h */
	const char *validated; /* p: validated name; NULL gives "unknown" */
	const char *receiver;  /* r: NULL gives "unknown" */
	time_t now;            /* t */
};

/*
 * Expand a macro-string (section 7) into out[0..outsz-1], NUL-terminated,
 * setting *outlen.  `exp` allows the letters c, r and t that only
 * explanation strings may use (section 7.2).  Fails with SK_ESYNTAX (bad
 * macro, offset set), SK_EINVAL (bad vars->ip) or SK_ETOOBIG when the
 * expansion does not fit.  Domain-spec truncation (section 4.8) is the
 * caller's business.
 */
SK_API SK_WARN_UNUSED sk_status
sk_spf_macro_expand(const char *spec, size_t len,
		    const struct sk_spf_macro_vars *vars, bool exp, char *out,
		    size_t outsz, size_t *outlen, struct sk_err *err);

/* ---------------------------------------------------------------- check */

struct sk_spf_request {
	const char *ip;        /* client IP, IPv4 or IPv6 text (required) */
	const char *mail_from; /* MAIL FROM address; NULL or "" when null */
	const char *helo;      /* HELO/EHLO name; may be NULL */
	const char *receiver;  /* our host name, for %{r} and Received-SPF */
	enum sk_spf_identity identity;
	time_t now;            /* for %{t}; 0 means time(NULL) */
};

struct sk_spf_opts {
	/* Limits; 0 means the RFC value.  Raising them breaks conformance
	 * and exists for experiments only. */
	unsigned max_dns_terms;
	unsigned max_void;
	/* Explanation used for "fail" when the record has no exp= or it
	 * does not work (section 6.2).  A macro-string, expanded like exp=
	 * text; NULL gives "%{d} does not designate %{c} as permitted
	 * sender" (%{c} keeps an IPv6 client readable). */
	const char *default_exp;
	/* Do not fetch exp= explanations (saves DNS in bulk checks). */
	bool no_exp;
};

/* The outcome of one check_host() evaluation.  All strings belong to the
 * outcome; free it with sk_spf_outcome_free(). */
struct sk_spf_outcome {
	enum sk_spf_result result;
	enum sk_spf_identity identity; /* identity actually checked */
	const char *domain;      /* the domain checked (MAIL FROM or HELO) */
	const char *sender;      /* effective sender (postmaster@helo...) */
	const char *ip;          /* normalised client address */
	const char *helo;        /* "" when not given */
	const char *receiver;    /* "" when not given */
	/* The mechanism that decided, as written ("ip4:192.0.2.0/24",
	 * "-all"), and the domain whose record holds it; both NULL when no
	 * mechanism matched (default neutral, none, errors). */
	const char *mechanism;
	const char *mechanism_domain;
	/* How the decision was reached through include and redirect, outer
	 * record first: "example.com: include:_spf.p.net > _spf.p.net:
	 * ip4:192.0.2.0/24".  NULL exactly when mechanism is NULL. */
	const char *match_path;
	/* For fail: the explanation (section 6.2), from exp= or the default.
	 * NULL otherwise. */
	const char *explanation;
	/* Why the result is none, permerror or temperror, or what was
	 * notable: "no SPF record at example.com", "more than 10 DNS-querying
	 * terms (RFC 7208 section 4.6.4)", "DNS timeout for TXT
	 * example.com".  NULL when nothing to say. */
	const char *problem;
	unsigned lookups;        /* DNS-querying terms counted (4.6.4) */
	unsigned void_lookups;   /* void lookups counted */
	unsigned dns_queries;    /* questions asked, all kinds */
};

/* Accepts NULL. */
SK_API void
sk_spf_outcome_free(struct sk_spf_outcome *o);

/*
 * check_host() synchronously: runs `r`'s event loop until the answer is
 * known.  SK_OK with *out set (caller frees) whatever the SPF result;
 * SK_EINVAL when req->ip does not parse or a required field is missing
 * (err names it); SK_ENOMEM.
 */
SK_API SK_WARN_UNUSED sk_status
sk_spf_check(struct sk_resolver *r, const struct sk_spf_request *req,
	     const struct sk_spf_opts *opts, struct sk_spf_outcome **out,
	     struct sk_err *err);

/* Completion callback; the callee owns `o` (free with
 * sk_spf_outcome_free).  `o` is NULL only when status < 0 (SK_ENOMEM). */
typedef void (*sk_spf_cb)(void *arg, sk_status status,
			  struct sk_spf_outcome *o);

/*
 * Start check_host() asynchronously; many evaluations may be in flight on
 * one resolver.  The request strings are copied.  The callback runs from
 * inside sk_resolver_run(), never from this call.  Evaluations not done
 * when the resolver is freed are dropped without callback.
 */
SK_API SK_WARN_UNUSED sk_status
sk_spf_check_start(struct sk_resolver *r, const struct sk_spf_request *req,
		   const struct sk_spf_opts *opts, sk_spf_cb cb, void *arg,
		   struct sk_err *err);

/*
 * Format the Received-SPF header field of section 9.1 for an outcome:
 *   Received-SPF: pass (mx.example.org: domain of a@example.com designates
 *    192.0.2.1 as permitted sender) client-ip=192.0.2.1;
 *    envelope-from="a@example.com"; helo=h.example.com;
 *    receiver=mx.example.org; identity=mailfrom; mechanism="ip4:..."
 * folded at 78 columns with CRLF+SP when `fold` is true, one line
 * otherwise; no trailing CRLF.  Caller frees *out with free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_spf_received_header(const struct sk_spf_outcome *o, bool fold, char **out,
		       struct sk_err *err);

/* ---------------------------------------------------------------- lint */

/* A node of the lookup tree: one domain's record and the terms of it that
 * cost DNS-querying lookups. */
enum sk_spf_node_status {
	SK_SPF_NODE_OK = 0,
	SK_SPF_NODE_NONE,      /* no SPF record */
	SK_SPF_NODE_MULTIPLE,  /* more than one SPF record */
	SK_SPF_NODE_SYNTAX,    /* record does not parse */
	SK_SPF_NODE_TEMPFAIL,  /* DNS failed */
	SK_SPF_NODE_LOOP,      /* already on the path above */
	SK_SPF_NODE_NOT_FOLLOWED, /* macro target, or beyond depth limit */
};

struct sk_spf_node {
	const char *via;       /* term that led here ("include:x",
	                          "redirect=x"); "" at the root */
	const char *domain;
	const char *record;    /* the record text, or NULL */
	enum sk_spf_node_status status;
	unsigned cost;         /* DNS-querying terms in this record itself */
	unsigned total;        /* cost of this node and all below it,
	                          counting `via` itself once */
	unsigned void_lookups; /* void answers met in this record's terms */
	size_t nchildren;
	const struct sk_spf_node *children;
};

struct sk_spf_lint;

/*
 * Lint the SPF policy of `domain`, fetching records through `r`: record
 * selection (none, several), syntax (with offsets), the tree of lookups and
 * the path on which the 10-term limit is passed, void lookups, ptr, +all and
 * ?all, neither all nor redirect, strings over 255 bytes, a record too large
 * for a 512-byte UDP answer, includes of domains without SPF, and more (see
 * senderkit-spf(1) for the list of finding ids).  SK_OK even when findings
 * exist; caller frees *out with sk_spf_lint_free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_spf_lint_domain(struct sk_resolver *r, const char *domain,
		   struct sk_spf_lint **out, struct sk_err *err);

/*
 * Lint a record given as text (not yet published).  `r` may be NULL: then
 * the checks needing DNS (includes, tree, void lookups) are skipped and an
 * info finding says so.  `domain` names where it would be published (for
 * messages and macro checks); may be NULL.
 */
SK_API SK_WARN_UNUSED sk_status
sk_spf_lint_record(struct sk_resolver *r, const char *record, size_t len,
		   const char *domain, struct sk_spf_lint **out,
		   struct sk_err *err);

/* Free a lint result.  Accepts NULL. */
SK_API void
sk_spf_lint_free(struct sk_spf_lint *l);

/* Number of findings (0 when the record is clean). */
SK_API size_t
sk_spf_lint_nfindings(const struct sk_spf_lint *l);

/* Finding i, ordered by severity (errors first) then position.  Borrowed. */
SK_API const struct sk_finding *
sk_spf_lint_finding(const struct sk_spf_lint *l, size_t i);

/* Highest severity among the findings, or -1 when there are none. */
SK_API int
sk_spf_lint_max_severity(const struct sk_spf_lint *l);

/* The findings as a list (the same ones the accessors above give), for
 * code that handles findings of every module alike.  Borrowed. */
SK_API const struct sk_findings *
sk_spf_lint_findings(const struct sk_spf_lint *l);

/* Root of the lookup tree, or NULL when the record could not be read. */
SK_API const struct sk_spf_node *
sk_spf_lint_tree(const struct sk_spf_lint *l);

/* DNS-querying terms of the whole policy, as check_host would count them
 * when every term is evaluated (the worst case). */
SK_API unsigned
sk_spf_lint_lookups(const struct sk_spf_lint *l);

/* ---------------------------------------------------------------- merge */

/* Cost of one top-level term in lookups, for the refusal message. */
struct sk_spf_cost {
	const char *term;
	unsigned lookups;
};

struct sk_spf_merge {
	const char *record;      /* the merged record (or the original) */
	bool changed;            /* false when the include was present */
	bool refused;            /* true when the result would pass 10 */
	const char *reason;      /* why refused, naming the costly terms */
	unsigned lookups_before; /* worst-case count of the original */
	unsigned lookups_after;  /* of the merged record */
	size_t ncosts;           /* top-level DNS terms, costliest first */
	const struct sk_spf_cost *costs;
};

/*
 * Add `include:<include_domain>` to `record` before its final "all" or its
 * redirect modifier (at the end when it has neither), keeping every other
 * term in order; unchanged when an include of that domain is already there
 * (case-insensitive).  With `r`, lookups are counted through DNS (nested
 * includes count), and a result over SK_SPF_MAX_DNS_TERMS is refused
 * (->refused, ->reason) rather than produced.  Without `r` only the
 * record's own terms are counted.  SK_ESYNTAX when `record` does not parse.
 * Caller frees *out with sk_spf_merge_free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_spf_merge(struct sk_resolver *r, const char *record, size_t len,
	     const char *include_domain, struct sk_spf_merge **out,
	     struct sk_err *err);

/* Free a merge result.  Accepts NULL. */
SK_API void
sk_spf_merge_free(struct sk_spf_merge *m);

#ifdef __cplusplus
}
#endif

#endif /* SENDERKIT_SPF_H */
