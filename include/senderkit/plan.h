/*
 * senderkit/plan.h - every DNS record an organization must publish for its
 * provider, as a diff against what is published.
 *
 * sk_plan_build() takes a provider profile and an organization config and
 * works out the desired records:
 *   - landing-page and tracking-link CNAMEs ([host ROLE] of the profile);
 *   - SPF per sending domain: a new record (corporate mail servers,
 *     other includes, the provider's include when the profile says it is
 *     needed, then "~all", or "-all" on a branded return-path), or the
 *     published record merged with the include through sk_spf_merge();
 *   - DKIM TXT per (domain, selector) with a known key;
 *   - DMARC at the configured stage (sk_dmarc_build), keeping the tags of a
 *     published record that the config does not set;
 *   - MX for replies where the config gives one; branded return-path
 *     records (SPF with "-all", MX to the provider's return-path host);
 *   - the authorization TXT of RFC 7489 section 7.1 when rua/ruf point to
 *     another organizational domain that the config manages.
 *
 * With a resolver, the plan is a diff: each desired record is looked up and
 * classified KEEP (published as wanted), ADD, CHANGE (replaces the listed
 * old record) or REMOVE (published and in the way: a second SPF record, a
 * CNAME's sibling data).  Without a resolver every record is ADD.
 * A domain that already satisfies the plan gives no ADD/CHANGE/REMOVE.
 */
#ifndef SENDERKIT_PLAN_H
#define SENDERKIT_PLAN_H

#include <senderkit/common.h>
#include <senderkit/dns.h>
#include <senderkit/profile.h>

#ifdef __cplusplus
extern "C" {
#endif

enum sk_plan_action {
	SK_PLAN_KEEP = 0, /* already published as wanted */
	SK_PLAN_ADD,
	SK_PLAN_CHANGE,   /* replace `old_rdata` by `rdata` */
	SK_PLAN_REMOVE,   /* delete `old_rdata` */
};

/* "keep", "add", "change", "remove". */
SK_API const char *
sk_plan_action_str(enum sk_plan_action a);

/* One record of the plan. */
struct sk_plan_record {
	enum sk_plan_action action;
	const char *purpose;   /* stable word: a profile host role
	                          ("landing", "tracking"), or "spf",
	                          "dkim", "dmarc", "mx", "return-path-spf",
	                          "return-path-mx", "dmarc-report-auth" */
	const char *name;      /* owner name, lower case, no trailing dot */
	const char *zone;      /* the zone it belongs to (from SOA when a
	                          resolver was given, else the sending domain
	                          it derives from) */
	uint16_t type;
	unsigned ttl;
	/* Presentation-form rdata as a zone file holds it: names absolute
	 * with a trailing dot, TXT as quoted strings of at most 255 bytes.
	 * NULL for REMOVE. */
	const char *rdata;
	/* The value as a registrar's web form takes it: for TXT the whole
	 * unquoted text, for CNAME/MX the rdata without trailing dots. */
	const char *value;
	const char *old_rdata; /* CHANGE/REMOVE: the published rdata */
	const char *why;       /* one sentence: why this record */
	const char *source;    /* RFC section or provider document URL */
};

struct sk_plan_opts {
	/* Refuse a merged SPF record over 10 lookups (default true): the
	 * record is then left out and a finding "plan-spf-lookups" says which
	 * terms cost most. */
	bool no_refuse_spf_limit;
};

struct sk_plan;

/*
 * Build the plan.  `r` may be NULL (no diff).  DNS failures while diffing
 * do not abort: the record stays ADD and a finding "plan-dns-failure"
 * names the question.  Problems the plan cannot solve (merged SPF over the
 * lookup limit, a CNAME wanted at a zone apex, a key-less selector) are
 * findings too; see sk_plan_findings().
 */
SK_API SK_WARN_UNUSED sk_status
sk_plan_build(struct sk_resolver *r, const struct sk_profile *p,
	      const struct sk_org_config *c, const struct sk_plan_opts *opts,
	      struct sk_plan **out, struct sk_err *err);

/* Free a plan.  Accepts NULL. */
SK_API void
sk_plan_free(struct sk_plan *pl);

/* Records in a stable order: by zone, name, purpose.  Borrowed. */
SK_API size_t
sk_plan_count(const struct sk_plan *pl);
SK_API const struct sk_plan_record *
sk_plan_get(const struct sk_plan *pl, size_t i);

/* Number of records whose action is not KEEP. */
SK_API size_t
sk_plan_changes(const struct sk_plan *pl);

/* Problems met while planning.  Borrowed; never NULL. */
SK_API const struct sk_findings *
sk_plan_findings(const struct sk_plan *pl);

enum sk_plan_format {
	SK_PLAN_ZONE = 0, /* master-file lines with "; why" comments;
	                     KEEP records as comments, REMOVE as comments
	                     saying what to delete */
	SK_PLAN_NSUPDATE, /* a script for BIND's nsupdate (RFC 2136) */
};

struct sk_plan_render_opts {
	/* nsupdate: "server IP PORT" line when set ("127.0.0.1:5300" or
	 * "192.0.2.1"); the zone of each batch is given with "zone". */
	const char *server;
	/* nsupdate: a TSIG key line "key [alg:]name secret" when set. */
	const char *tsig;
	bool include_keep; /* zone: list KEEP records as comments (default
	                      true when this struct is NULL) */
};

/* Render the plan; *out is malloc'd text ending in a newline (or "" when
 * nothing is to be done and the format has nothing to say). */
SK_API SK_WARN_UNUSED sk_status
sk_plan_render(const struct sk_plan *pl, enum sk_plan_format fmt,
	       const struct sk_plan_render_opts *opts, char **out,
	       struct sk_err *err);

#ifdef __cplusplus
}
#endif

#endif /* SENDERKIT_PLAN_H */
