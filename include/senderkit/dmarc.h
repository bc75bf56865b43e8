/*
 * senderkit/dmarc.h - DMARC policy records, policy discovery and
 * organizational domains, under both generations of the protocol:
 *
 *   RFC 9989 (DMARCbis, May 2026): tags v p sp np psd t rua ruf fo adkim
 *            aspf (section 4.7); the DNS tree walk (section 4.10) for
 *            policy discovery (4.10.1) and organizational domains
 *            (4.10.2); pct, rf and ri removed (receivers ignore them);
 *   RFC 7489 (2015): the same record with pct, rf, ri (section 6.3);
 *            policy discovery at the From domain then at its
 *            organizational domain (section 6.6.3), found through the
 *            Public Suffix List (section 3.2; libpsl);
 *   RFC 9990 section 4 (formerly RFC 7489 section 7.1): authorization
 *            of report destinations outside the organizational domain.
 *
 *   parse     record syntax with offsets; every tag with its default
 *             applied and whether it was written;
 *   build     a record from option values, validated;
 *   discover  the record that applies to an Author Domain, with the
 *             method used ("treewalk" or "psl", the discovery_method of
 *             RFC 9990 reports), synchronous or asynchronous;
 *   orgdomain the organizational domain of any name, either way;
 *   lint      findings about a published or proposed record.
 *
 * Inputs are untrusted and length-bounded: the parser takes (ptr, len),
 * never relies on NUL termination, and checks SK_DMARC_MAX_RECORD before
 * allocating.
 */
#ifndef SENDERKIT_DMARC_H
#define SENDERKIT_DMARC_H

#include <senderkit/common.h>
#include <senderkit/dns.h>
#include <senderkit/spf.h>
#include <senderkit/dkim.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Largest record text accepted (one DNS message at most). */
#define SK_DMARC_MAX_RECORD 65535
/* URIs kept per rua or ruf tag; more are reported and ignored. */
#define SK_DMARC_MAX_URIS 32
/* RFC 9989 section 4.10: queries of one DNS tree walk. */
#define SK_DMARC_MAX_WALK_QUERIES 8
/* RFC 9989 section 4.10 step 4: a name of 8 or more labels is cut to
 * this many after the first query. */
#define SK_DMARC_WALK_JUMP_LABELS 7

/* Domain Owner Assessment Policy (RFC 9989 section 4.7, "p"). */
enum sk_dmarc_policy {
	SK_DMARC_POLICY_NONE = 0,
	SK_DMARC_POLICY_QUARANTINE,
	SK_DMARC_POLICY_REJECT,
};

/* Identifier alignment mode (adkim, aspf). */
enum sk_dmarc_align {
	SK_DMARC_ALIGN_RELAXED = 0, /* "r" */
	SK_DMARC_ALIGN_STRICT,      /* "s" */
};

/* The psd tag (RFC 9989 section 4.7). */
enum sk_dmarc_psd {
	SK_DMARC_PSD_U = 0, /* default: unknown */
	SK_DMARC_PSD_Y,     /* a Public Suffix Domain */
	SK_DMARC_PSD_N,     /* an Organizational Domain */
};

/* How a policy record or an organizational domain was found; the names
 * are the discovery_method values of RFC 9990 section 3. */
enum sk_dmarc_method {
	SK_DMARC_TREEWALK = 0, /* RFC 9989 section 4.10 (default) */
	SK_DMARC_PSL,          /* RFC 7489 sections 3.2 and 6.6.3 */
};

/* Which generation's rules to apply where they differ. */
enum sk_dmarc_rules {
	SK_DMARC_RFC9989 = 0,
	SK_DMARC_RFC7489,
};

/* The tags, as bit numbers of sk_dmarc_record.explicit_tags. */
enum sk_dmarc_tag {
	SK_DMARC_TAG_V = 0,
	SK_DMARC_TAG_P,
	SK_DMARC_TAG_SP,
	SK_DMARC_TAG_NP,
	SK_DMARC_TAG_PSD,
	SK_DMARC_TAG_T,
	SK_DMARC_TAG_RUA,
	SK_DMARC_TAG_RUF,
	SK_DMARC_TAG_FO,
	SK_DMARC_TAG_ADKIM,
	SK_DMARC_TAG_ASPF,
	SK_DMARC_TAG_PCT, /* RFC 7489 only */
	SK_DMARC_TAG_RF,  /* RFC 7489 only */
	SK_DMARC_TAG_RI,  /* RFC 7489 only */
	SK_DMARC_TAG_UNKNOWN,
};

/* fo bits (RFC 9989 section 4.7). */
#define SK_DMARC_FO_0 0x1u
#define SK_DMARC_FO_1 0x2u
#define SK_DMARC_FO_D 0x4u
#define SK_DMARC_FO_S 0x8u

/* Static names: "none", "quarantine", "reject"; "r"/"s" as "relaxed",
 * "strict"; "u", "y", "n"; "treewalk", "psl"; tag names ("p", "rua",
 * "unknown").  Never NULL. */
SK_API const char *
sk_dmarc_policy_str(enum sk_dmarc_policy p);
SK_API const char *
sk_dmarc_align_str(enum sk_dmarc_align a);
SK_API const char *
sk_dmarc_psd_str(enum sk_dmarc_psd p);
SK_API const char *
sk_dmarc_method_str(enum sk_dmarc_method m);
SK_API const char *
sk_dmarc_tag_str(enum sk_dmarc_tag t);

/* ---------------------------------------------------------------- parse */

/* One reporting URI of rua or ruf (RFC 9989 section 4.8 dmarc-uri). */
struct sk_dmarc_uri {
	const char *uri;    /* as written, without the size suffix */
	const char *scheme; /* lower-case scheme ("mailto", "https") */
	const char *host;   /* the destination host (RFC 9990 section 4
	                       step 1): the domain of a mailto address or
	                       the host of an authority, lower case; NULL
	                       when the URI has none */
	bool mailto;        /* scheme is mailto: the one receivers MUST
	                       support */
	bool has_size;      /* the obsolete "!size" suffix is present */
	uint64_t size;      /* its value in bytes (k/m/g/t applied);
	                       saturates at UINT64_MAX */
	size_t offset;      /* byte offset of the URI in the record */
};

/* One tag as written.  Strings are NUL-terminated copies. */
struct sk_dmarc_tagval {
	enum sk_dmarc_tag tag; /* SK_DMARC_TAG_UNKNOWN for other names */
	const char *name;
	const char *value;
	size_t offset;       /* of the name */
	size_t value_offset; /* of the value */
	bool valid;          /* the value is valid for the tag */
	bool duplicate;      /* a later repetition (ignored) */
};

/* A problem the lenient parser met (RFC 9989 section 4.8: syntax errors
 * after v= are discarded in favour of defaults).  `tag` names the tag
 * concerned, SK_DMARC_TAG_UNKNOWN for tag-list syntax. */
struct sk_dmarc_problem {
	enum sk_dmarc_tag tag;
	size_t offset;
	const char *message;
};

/*
 * A parsed record.  Every tag is given with its default applied; bit
 * (1u << SK_DMARC_TAG_x) of explicit_tags tells whether it was written
 * with a valid value, of invalid_tags whether it was written with an
 * invalid one (the default is then in the field).
 */
struct sk_dmarc_record {
	enum sk_dmarc_policy p;  /* default none */
	enum sk_dmarc_policy sp; /* default: p */
	enum sk_dmarc_policy np; /* default: sp, then p */
	enum sk_dmarc_psd psd;   /* default u */
	bool t;                  /* default n (false) */
	enum sk_dmarc_align adkim, aspf; /* default relaxed */
	unsigned fo;             /* SK_DMARC_FO_* bits; default FO_0 */
	bool fo_rfc9989_invalid; /* "0" with "1", or d/s repeated: valid by
	                            RFC 7489 6.4, not by RFC 9989 4.8 */
	unsigned pct;            /* RFC 7489 only; default 100 */
	unsigned rf;             /* RFC 7489 only; bit 0 afrf, bit 1 iodef;
	                            default afrf */
	uint32_t ri;             /* RFC 7489 only; default 86400 */
	size_t nrua, nruf;       /* syntactically valid URIs kept */
	const struct sk_dmarc_uri *rua, *ruf;
	uint32_t explicit_tags;
	uint32_t invalid_tags;
	/*
	 * RFC 9989 section 4.10.1 / RFC 7489 section 6.6.3 step 6: the
	 * record lacks a valid p (or has an invalid sp, or under RFC 9989
	 * an invalid np).  With at least one valid rua URI the receiver
	 * acts as if p=none was published (MUST in RFC 9989, SHOULD in
	 * RFC 7489): fallback_none, and p, sp and np above are all none;
	 * without one the record is not usable: DMARC is not applied.
	 */
	bool p_missing;          /* no p tag at all */
	bool fallback_none;      /* RFC 9989 rules */
	bool usable;             /* RFC 9989 rules */
	bool fallback_none_7489; /* RFC 7489 rules (np is unknown there) */
	bool usable_7489;
	size_t ntags;            /* tags in record order, unknown included */
	const struct sk_dmarc_tagval *tags;
	size_t nproblems;        /* in order of offset */
	const struct sk_dmarc_problem *problems;
	const char *text;        /* a copy of the record, NUL-terminated */
	size_t len;
};

/*
 * True when the text is a DMARC record by the selection rule of RFC 9989
 * section 4.10 step 2 (and RFC 7489 section 6.6.3): it begins with the
 * tag v, optional spaces, "=", optional spaces and exactly "DMARC1"
 * (case-sensitive, section 4.8), followed by the end, spaces or ";".
 */
SK_API bool
sk_dmarc_is_record(const char *text, size_t len);

/*
 * Parse a record (the TXT strings concatenated).  Fails with SK_ESYNTAX
 * (err->offset set) only when the text is not a DMARC record (v=DMARC1
 * is not the first tag); SK_ETOOBIG over SK_DMARC_MAX_RECORD.  Every
 * other defect is a problem in ->problems, with the tag's default used
 * (section 4.8): unknown tags, invalid values, duplicate tags, malformed
 * tag-list syntax, invalid URIs, non-ASCII bytes.  Caller frees *out with
 * sk_dmarc_record_free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_dmarc_parse(const char *text, size_t len, struct sk_dmarc_record **out,
	       struct sk_err *err);

/* Accepts NULL. */
SK_API void
sk_dmarc_record_free(struct sk_dmarc_record *rec);

/* True when `tag` was written with a valid value. */
SK_API bool
sk_dmarc_record_explicit(const struct sk_dmarc_record *rec,
			 enum sk_dmarc_tag tag);

/*
 * Check one tag value alone as the parser would (the value rules of RFC
 * 9989 section 4.8 and, for pct, rf and ri, RFC 7489 section 6.4).  The
 * name is matched case-sensitively ("p", "rua").  Returns true when the
 * value is valid; for rua and ruf, valid means every URI is a
 * syntactically valid URI.  *unsupported_scheme (may be NULL) is set when
 * a URI uses a scheme other than mailto, which receivers ignore.  Unknown
 * names give false.
 */
SK_API bool
sk_dmarc_tag_value_valid(const char *name, const char *value, size_t len,
			 bool *unsupported_scheme);

/*
 * The policy a receiver applies under `rules` from a record, for the
 * record's own domain (which == SK_DMARC_TAG_P), an existing subdomain
 * (SK_DMARC_TAG_SP) or a non-existent one (SK_DMARC_TAG_NP; under RFC
 * 7489 np does not exist and sp is used).  Returns false when the record
 * is not usable under those rules (no DMARC processing), true with *out
 * set otherwise (the fallback p=none included).  The t tag is not
 * applied here.
 */
SK_API bool
sk_dmarc_record_policy(const struct sk_dmarc_record *rec,
		       enum sk_dmarc_rules rules, enum sk_dmarc_tag which,
		       enum sk_dmarc_policy *out);

/* ---------------------------------------------------------------- build */

/* Values for sk_dmarc_build(), as a user types them; NULL leaves a tag
 * out. */
struct sk_dmarc_build {
	const char *p;     /* required: none, quarantine or reject */
	const char *sp, *np;
	const char *psd;   /* y, n or u */
	const char *t;     /* y or n */
	const char *adkim, *aspf; /* r or s */
	const char *fo;    /* e.g. "1:d" */
	const char *pct;   /* 0-100; removed by RFC 9989 (lint warns) */
	const char *const *rua; /* URIs; "mailto:" is added to a bare
	                           address */
	size_t nrua;
	const char *const *ruf;
	size_t nruf;
};

/*
 * Build a record: "v=DMARC1; p=...; sp=...; ...; rua=a,b; ruf=...".
 * Values are lower-cased and validated as the parser would; the result
 * parses back to the same tags.  SK_EINVAL when a value is bad: err->msg
 * then begins with the tag name and a colon ("sp: ..."); SK_ETOOBIG past
 * SK_DMARC_MAX_RECORD.  Caller frees *out with free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_dmarc_build(const struct sk_dmarc_build *b, char **out,
	       struct sk_err *err);

/* ------------------------------------------------------------------ PSL */

struct sk_dmarc_psl;

/*
 * Load a Public Suffix List for the RFC 7489 method (libpsl).  `path`
 * names a public_suffix_list.dat (or a libpsl DAFSA file); NULL loads the
 * newest of the system data (Debian publicsuffix,
 * /usr/share/publicsuffix) and libpsl's built-in list.  SK_ENOENT when it
 * cannot be loaded.  Caller frees with sk_dmarc_psl_free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_dmarc_psl_load(const char *path, struct sk_dmarc_psl **out,
		  struct sk_err *err);

/* Accepts NULL. */
SK_API void
sk_dmarc_psl_free(struct sk_dmarc_psl *psl);

/*
 * Organizational domain by RFC 7489 section 3.2: the public suffix
 * matching the most labels plus one label (the registrable domain).  The
 * name is compared case-insensitively (ASCII) and may be UTF-8 or
 * A-labels; a trailing dot is ignored.  SK_ENOENT when the name is itself
 * a public suffix (it has no organizational domain); SK_EINVAL for an
 * empty name, an empty label or a leading dot.  Caller frees *out with
 * free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_dmarc_orgdomain_psl(const struct sk_dmarc_psl *psl, const char *name,
		       char **out, struct sk_err *err);

/* ------------------------------------------------------------ discovery */

/* The outcome of one _dmarc query of a walk. */
enum sk_dmarc_qstatus {
	SK_DMARC_Q_RECORD = 0, /* exactly one DMARC record */
	SK_DMARC_Q_NONE,       /* no DMARC record (NXDOMAIN, no data or
	                          only other TXT records) */
	SK_DMARC_Q_MULTIPLE,   /* several DMARC records: all discarded */
	SK_DMARC_Q_TEMPFAIL,   /* DNS failed */
};

/* "record", "none", "multiple", "tempfail". */
SK_API const char *
sk_dmarc_qstatus_str(enum sk_dmarc_qstatus s);

struct sk_dmarc_query {
	const char *domain;   /* the name under _dmarc (no "_dmarc.") */
	enum sk_dmarc_qstatus status;
	const char *text;     /* the record for SK_DMARC_Q_RECORD, else NULL */
	enum sk_dmarc_psd psd;/* its psd tag (u otherwise) */
	const char *why;      /* for TEMPFAIL: the resolver's reason */
};

enum sk_dmarc_disc_status {
	SK_DMARC_DISC_FOUND = 0, /* a usable record applies */
	SK_DMARC_DISC_NONE,      /* no record: DMARC does not apply */
	SK_DMARC_DISC_MULTIPLE,  /* RFC 7489 step 5: several records at
	                            the last name asked: not applied */
	SK_DMARC_DISC_UNUSABLE,  /* a record without a valid p and without
	                            a valid rua (4.10.1): not applied */
	SK_DMARC_DISC_TEMPFAIL,  /* DNS failed: the receiver decides */
};

/* "found", "none", "multiple", "unusable", "tempfail". */
SK_API const char *
sk_dmarc_disc_status_str(enum sk_dmarc_disc_status s);

/*
 * The result of policy discovery for one Author Domain.  Strings are
 * lower-case, without trailing dot, owned by the struct.
 */
struct sk_dmarc_discovery {
	enum sk_dmarc_method method;
	enum sk_dmarc_disc_status status;
	const char *domain;        /* the Author Domain asked about */
	/* Where the record that applies was found (without "_dmarc."),
	 * and the record (parsed), for FOUND and UNUSABLE; else NULL. */
	const char *policy_domain;
	const struct sk_dmarc_record *record;
	/* The organizational domain of `domain` by the same method (RFC
	 * 9989 section 4.10.2 or RFC 7489 section 3.2); NULL when the PSL
	 * says `domain` is a public suffix, or when DNS failed first. */
	const char *org_domain;
	/* The record came from a parent: sp or np applies, not p. */
	bool inherited;
	/* For an inherited record: 1 when `domain` exists, 0 when it
	 * answered NXDOMAIN (RFC 9989 section 3.2.13: np applies), -1 when
	 * unknown (DNS failed). */
	int exists;
	/* The tag whose policy applies ("p", "sp" or "np"; "sp" under RFC
	 * 7489 for a missing subdomain) and that policy after the record's
	 * defaults and the 4.10.1 fallback; t is not applied.  Meaningful
	 * for FOUND only. */
	enum sk_dmarc_tag policy_tag;
	enum sk_dmarc_policy policy;
	size_t nqueries;           /* _dmarc questions in order asked */
	const struct sk_dmarc_query *queries;
	const char *problem;       /* why NONE/MULTIPLE/UNUSABLE/TEMPFAIL */
};

/* Accepts NULL. */
SK_API void
sk_dmarc_discovery_free(struct sk_dmarc_discovery *d);

struct sk_dmarc_opts {
	enum sk_dmarc_method method; /* default (0) treewalk */
	/* The list for SK_DMARC_PSL; NULL loads the system list for each
	 * call (slow: load it once with sk_dmarc_psl_load in loops). */
	const struct sk_dmarc_psl *psl;
	/* Skip the existence query of an inherited Author Domain (np then
	 * stays unknown, exists = -1, and sp is reported). */
	bool no_exists_check;
};

/*
 * Find the DMARC record that applies to mail from `domain`:
 *   treewalk  _dmarc.<domain>, then up one label at a time, at most 8
 *             queries (a name of 8+ labels jumps to its 7-label suffix
 *             after the first), stopping at a psd=y or psd=n record;
 *             the record at the domain, else at its organizational
 *             domain (4.10.2), else at its Public Suffix Domain;
 *   psl       _dmarc.<domain>, then _dmarc.<organizational domain by
 *             the PSL> (RFC 7489 section 6.6.3).
 * SK_OK whatever was found (see ->status); SK_EINVAL when `domain` is not
 * a valid name; SK_ENOENT when the PSL cannot be loaded; SK_ENOMEM.
 * Caller frees *out with sk_dmarc_discovery_free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_dmarc_discover(struct sk_resolver *r, const char *domain,
		  const struct sk_dmarc_opts *opts,
		  struct sk_dmarc_discovery **out, struct sk_err *err);

/* Completion callback; the callee owns `d` (free with
 * sk_dmarc_discovery_free).  `d` is NULL only when status < 0. */
typedef void (*sk_dmarc_cb)(void *arg, sk_status status,
			    struct sk_dmarc_discovery *d);

/*
 * Start discovery asynchronously; many may run on one resolver.  The
 * callback runs from inside sk_resolver_run(), never from this call.
 * Discoveries not done when the resolver is freed are dropped without
 * callback.  Errors as sk_dmarc_discover().
 */
SK_API SK_WARN_UNUSED sk_status
sk_dmarc_discover_start(struct sk_resolver *r, const char *domain,
			const struct sk_dmarc_opts *opts, sk_dmarc_cb cb,
			void *arg, struct sk_err *err);

/*
 * The organizational domain of any name (an Author Domain, an SPF or DKIM
 * domain) by `opts->method`: the RFC 9989 section 4.10.2 selection over a
 * tree walk from the name itself (psd=n: that domain; psd=y other than at
 * the start: one label below it; else the record with the fewest labels;
 * no record: the name itself), or the PSL.  The result is a discovery
 * struct with status FOUND and org_domain set (a PSL public suffix has
 * org_domain NULL), or status TEMPFAIL; `queries` lists the walk.  Errors
 * as sk_dmarc_discover().  Caller frees with sk_dmarc_discovery_free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_dmarc_orgdomain(struct sk_resolver *r, const char *name,
		   const struct sk_dmarc_opts *opts,
		   struct sk_dmarc_discovery **out, struct sk_err *err);

/* The asynchronous form of sk_dmarc_orgdomain(). */
SK_API SK_WARN_UNUSED sk_status
sk_dmarc_orgdomain_start(struct sk_resolver *r, const char *name,
			 const struct sk_dmarc_opts *opts, sk_dmarc_cb cb,
			 void *arg, struct sk_err *err);

/* ----------------------------------------------------------------- lint */

struct sk_dmarc_lint_opts {
	enum sk_dmarc_method method; /* discovery for DOMAIN (treewalk) */
	const struct sk_dmarc_psl *psl; /* NULL: the system list */
	/* Sender profile "marketo": strict SPF alignment is not supported
	 * by that platform (warning on aspf=s), DKIM alignment preferred. */
	bool profile_marketo;
};

struct sk_dmarc_lint;

/*
 * Lint the policy of `domain`: discovery by opts->method (the record that
 * applies, inherited or not), the record's findings, the organizational
 * domain by both methods (warning when they differ: receivers of both
 * generations are in the field), and the authorization records of
 * external report destinations (RFC 9990 section 4).  Finding ids are
 * listed in senderkit-dmarc(1).  SK_OK even with findings; SK_EINVAL for
 * a bad name; SK_ENOENT when the PSL cannot be loaded.  Caller frees
 * *out with sk_dmarc_lint_free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_dmarc_lint_domain(struct sk_resolver *r, const char *domain,
		     const struct sk_dmarc_lint_opts *opts,
		     struct sk_dmarc_lint **out, struct sk_err *err);

/*
 * Lint a record given as text.  `domain` (may be NULL) names where it
 * would be published: with it and a resolver `r` (may be NULL) the
 * external destinations are checked; without `r` the DNS checks are
 * skipped.
 */
SK_API SK_WARN_UNUSED sk_status
sk_dmarc_lint_record(struct sk_resolver *r, const char *text, size_t len,
		     const char *domain, const struct sk_dmarc_lint_opts *opts,
		     struct sk_dmarc_lint **out, struct sk_err *err);

/* Accepts NULL. */
SK_API void
sk_dmarc_lint_free(struct sk_dmarc_lint *l);

/* The findings, ordered by severity then offset.  Borrowed. */
SK_API const struct sk_findings *
sk_dmarc_lint_findings(const struct sk_dmarc_lint *l);

/* The discovery made by sk_dmarc_lint_domain (NULL for a record given as
 * text).  Borrowed. */
SK_API const struct sk_dmarc_discovery *
sk_dmarc_lint_discovery(const struct sk_dmarc_lint *l);

/* The record linted (the one that applies, or the text given), NULL when
 * none was found or the text is not a DMARC record.  Borrowed. */
SK_API const struct sk_dmarc_record *
sk_dmarc_lint_record_parsed(const struct sk_dmarc_lint *l);

/* The organizational domain of the linted domain by the other method
 * than opts->method (NULL when not computed or none).  Borrowed. */
SK_API const char *
sk_dmarc_lint_other_org_domain(const struct sk_dmarc_lint *l);

/* True when DNS failed before the policy could be read. */
SK_API bool
sk_dmarc_lint_tempfail(const struct sk_dmarc_lint *l);

/* ----------------------------------------------------------- evaluation */

/*
 * DMARC evaluation of one message (RFC 9989 sections 4.4 and 5.3, RFC
 * 7489 sections 3.1 and 6.6): the Author Domain(s) from RFC5322.From,
 * the SPF result of the MAIL FROM identity and the DKIM results with
 * their d= domains give identifier alignment, the DMARC result and the
 * policy to apply.  Every decision is explained in ->reasons.
 */

/* Author Domains evaluated per message; more are a permerror. */
#define SK_DMARC_MAX_AUTHOR_DOMAINS 16
/* DKIM results considered per message (as the verifier). */
#define SK_DMARC_MAX_DKIM SK_DKIM_MAX_SIGNATURES
/* Sentences of reasoning kept per evaluation. */
#define SK_DMARC_MAX_REASONS 128

/* The DMARC result (RFC 8601 section 2.7.1 / RFC 9989 section 5.3). */
enum sk_dmarc_result {
	SK_DMARC_RESULT_NONE = 0, /* no usable policy: DMARC does not apply */
	SK_DMARC_RESULT_PASS,     /* an aligned identifier passed */
	SK_DMARC_RESULT_FAIL,     /* a policy applies and none aligned */
	SK_DMARC_RESULT_TEMPERROR,/* DNS failed during discovery or an
	                             organizational-domain walk */
	SK_DMARC_RESULT_PERMERROR,/* no From, an unparseable From, an
	                             Author Domain that is not a domain
	                             name, too many Author Domains */
};

/* "none", "pass", "fail", "temperror", "permerror". */
SK_API const char *
sk_dmarc_result_str(enum sk_dmarc_result r);

/* What the receiver does with the message by the policy (the
 * "disposition" of RFC 9990 aggregate reports, with "pass" when DMARC
 * passed). */
enum sk_dmarc_disposition {
	SK_DMARC_DISP_NONE = 0,   /* deliver (p=none, t=y, pct, no policy) */
	SK_DMARC_DISP_PASS,       /* DMARC passed */
	SK_DMARC_DISP_QUARANTINE,
	SK_DMARC_DISP_REJECT,
};

/* "none", "pass", "quarantine", "reject". */
SK_API const char *
sk_dmarc_disposition_str(enum sk_dmarc_disposition d);

/* What the RFC5322.From field(s) gave. */
enum sk_dmarc_from_status {
	SK_DMARC_FROM_OK = 0,       /* domains in from_domains */
	SK_DMARC_FROM_MISSING,      /* no From field (RFC 5322 3.6 requires
	                               one): permerror */
	SK_DMARC_FROM_NO_DOMAIN,    /* From holds no mailbox (an empty
	                               group): RFC 7489 6.6.1 says such
	                               messages are ignored: none */
	SK_DMARC_FROM_UNPARSEABLE,  /* a From field does not parse: no
	                               Author Domain can be trusted:
	                               permerror */
};

/* One DKIM verification result as DMARC needs it (RFC 9989 5.3.3). */
struct sk_dmarc_dkim_input {
	enum sk_dkim_result result;
	const char *domain;   /* d= */
	const char *selector; /* s= (reasoning only; may be NULL) */
};

struct sk_dmarc_eval_input {
	/*
	 * Author Domains: the domain of every mailbox of every From field,
	 * in order (repeats are merged, case-insensitively, trailing dot
	 * ignored).  With several distinct domains each is evaluated and
	 * the strictest outcome is the message's (RFC 9989 section 11.5,
	 * RFC 7489 section 6.6.1).  Ignored unless from_status is OK.
	 */
	const char *const *from_domains;
	size_t nfrom_domains;
	enum sk_dmarc_from_status from_status;
	unsigned from_fields;     /* From fields seen (reasoning only; 0
	                             is taken as 1 when domains are given) */
	/* SPF: the result and the domain it was evaluated for.  DMARC uses
	 * the MAIL FROM identity only (RFC 9989 sections 3.2.4 and 4.4.2);
	 * for a null reverse-path that is postmaster@<HELO> (RFC 7208
	 * section 2.4), so the HELO domain counts then: set spf_identity
	 * to SK_SPF_ID_MAILFROM for it.  An SK_SPF_ID_HELO result (a check
	 * of the HELO identity alone) never aligns. */
	enum sk_spf_result spf_result;
	const char *spf_domain;   /* NULL: no SPF result */
	enum sk_spf_identity spf_identity;
	const struct sk_dmarc_dkim_input *dkim;
	size_t ndkim;             /* at most SK_DMARC_MAX_DKIM used */
	/* Rule generation (default RFC 9989).  Under SK_DMARC_RFC7489 np
	 * does not exist (sp is used), t is ignored and pct applies: the
	 * policy is enacted when pct_sample < pct (RFC 7489 section 6.3
	 * pseudocode); pct_sample is the caller's draw in 0..99 (random
	 * mod 100 in production, fixed in tests; 0 selects whenever
	 * pct > 0).  Under RFC 9989 pct and pct_sample are ignored. */
	enum sk_dmarc_rules rules;
	unsigned pct_sample;
};

/* The alignment of one authenticated identifier with one Author Domain
 * (RFC 9989 section 4.4.1 / RFC 7489 section 3.1). */
struct sk_dmarc_ident {
	const char *domain;     /* the SPF or DKIM domain, lower case */
	const char *org_domain; /* its organizational domain by the same
	                           method; NULL when not needed (strict,
	                           exact match, not a pass) or unknown */
	bool pass;              /* SPF pass / DKIM pass */
	bool aligned;           /* pass and aligned */
	bool same_domain;       /* exact match (case-insensitive) */
};

/* The evaluation of one Author Domain. */
struct sk_dmarc_author {
	const char *domain;      /* lower case, no trailing dot */
	enum sk_dmarc_result result;
	enum sk_dmarc_disposition disposition;
	/* Discovery for this domain (NULL when it was not asked: an
	 * invalid name).  Owned by the evaluation. */
	const struct sk_dmarc_discovery *discovery;
	const char *org_domain;  /* of the Author Domain; may be NULL */
	enum sk_dmarc_align adkim, aspf; /* from the record (relaxed when
	                                    none) */
	struct sk_dmarc_ident spf;   /* domain NULL when no SPF result */
	size_t ndkim;                /* == input ndkim (capped) */
	const struct sk_dmarc_ident *dkim;
	/* Policy: the tag that applies (p, sp, np), its value under the
	 * rules, and the policy applied to a failing message after t=y
	 * (RFC 9989: one step down) or pct (RFC 7489 6.6.4: reject becomes
	 * quarantine, quarantine becomes none when not sampled). */
	enum sk_dmarc_tag policy_tag;
	enum sk_dmarc_policy policy;
	enum sk_dmarc_policy applied;
	bool testing;            /* t=y reduced the policy (RFC 9989) */
	bool sampled_out;        /* pct left the message out (RFC 7489) */
};

/* The evaluation of a message.  Strings and arrays owned by it. */
struct sk_dmarc_eval {
	enum sk_dmarc_result result;
	enum sk_dmarc_disposition disposition;
	enum sk_dmarc_rules rules;
	enum sk_dmarc_method method;
	/* The Author Domain whose outcome decided (the strictest), for
	 * header.from in Authentication-Results; NULL without one. */
	const char *header_from;
	/* Policy of the deciding Author Domain (for "p=" and "dis=" in
	 * Authentication-Results comments). */
	enum sk_dmarc_policy policy;
	enum sk_dmarc_policy applied;
	bool has_policy;         /* a record applied */
	size_t nauthors;
	const struct sk_dmarc_author *authors;
	size_t decider;          /* index in authors of header_from */
	/* One English sentence each, in the order the decisions were made:
	 * the From analysis, each discovery, each alignment, the policy,
	 * t/pct, the result. */
	size_t nreasons;
	const char *const *reasons;
};

/* Accepts NULL. */
SK_API void
sk_dmarc_eval_free(struct sk_dmarc_eval *e);

/*
 * Evaluate DMARC for one message synchronously, running `r` until every
 * discovery (opts->method; opts->psl for SK_DMARC_PSL) and every
 * organizational-domain walk needed for relaxed alignment is done.
 * Result:
 *   none       no usable record for any Author Domain (or an empty group
 *              From);
 *   pass       every Author Domain has an aligned SPF or DKIM pass;
 *   fail       a record applies and no identifier aligned;
 *   temperror  DNS failed during discovery or an org-domain walk;
 *   permerror  no From, unparseable From, invalid Author Domain, or
 *              more than SK_DMARC_MAX_AUTHOR_DOMAINS domains.
 * With several Author Domains the message gets the strictest result
 * (fail > temperror > permerror > none > pass) and the strictest
 * disposition (reject > quarantine > none > pass).  Protocol outcomes are
 * values: SK_OK whatever the result; SK_EINVAL for a NULL input or bad
 * rules; SK_ENOENT when the PSL cannot be loaded; SK_ENOMEM.  Input
 * strings are copied.  Caller frees *out with sk_dmarc_eval_free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_dmarc_eval(struct sk_resolver *r, const struct sk_dmarc_eval_input *in,
	      const struct sk_dmarc_opts *opts, struct sk_dmarc_eval **out,
	      struct sk_err *err);

/* Completion callback; the callee owns `e` (free with sk_dmarc_eval_free).
 * `e` is NULL only when status < 0. */
typedef void (*sk_dmarc_eval_cb)(void *arg, sk_status status,
				 struct sk_dmarc_eval *e);

/*
 * Start an evaluation asynchronously; many may be in flight on one
 * resolver.  The input is copied.  The callback runs from inside
 * sk_resolver_run(), never from this call.  Evaluations not done when
 * the resolver is freed are dropped without callback.  Errors as
 * sk_dmarc_eval().
 */
SK_API SK_WARN_UNUSED sk_status
sk_dmarc_eval_start(struct sk_resolver *r,
		    const struct sk_dmarc_eval_input *in,
		    const struct sk_dmarc_opts *opts, sk_dmarc_eval_cb cb,
		    void *arg, struct sk_err *err);

/*
 * The Author Domains of a message from its RFC5322.From field bodies
 * (the text after "From:", unfolded or not; `values[i]` of `lens[i]`
 * bytes, `nfields` fields): an address-list parser (RFC 5322 section
 * 3.4, obsolete forms of section 4.4 tolerated) that fills `in`'s
 * from_domains / nfrom_domains / from_status / from_fields.  Domains
 * point into `*store`, which the caller frees with free() after use
 * (NULL when there is none).  SK_OK whatever the header holds (a bad
 * From is a from_status); SK_ENOMEM.
 */
SK_API SK_WARN_UNUSED sk_status
sk_dmarc_from_fields(const char *const *values, const size_t *lens,
		     size_t nfields, struct sk_dmarc_eval_input *in,
		     char **store, struct sk_err *err);

#ifdef __cplusplus
}
#endif

#endif /* SENDERKIT_DMARC_H */
