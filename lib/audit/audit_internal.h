/*
 * lib/audit/audit_internal.h - shared state of one audit run and the
 * helpers every group of checks uses.  Not installed.
 *
 * One run (sk_audit_run) builds an au_ctx, a table of the domains to
 * look at (From domains and branded return-path domains, each with the
 * results later checks need: the forecast reads the DKIM and return-path
 * SPF outcomes), then runs the groups in dependency order: provider,
 * hosts, spf, return-path, dkim, dmarc, mx.  Checks are appended with
 * sk__audit_add(); the report order is made at the end.
 *
 * Memory: an allocation failure anywhere is sticky in x->st (SK_ENOMEM);
 * later adds do nothing and the run returns the status.
 */
#ifndef SK_AUDIT_INTERNAL_H
#define SK_AUDIT_INTERNAL_H

#include <senderkit/audit.h>
#include <senderkit/dkim.h>
#include <senderkit/dmarc.h>
#include <senderkit/spf.h>

#include "util/util.h"

/* Caps of the strings built for one check (STYLE 11). */
#define AU_TEXT_MAX (64 * 1024)
/* CNAME links followed when a host's first target is not the expected
 * one (the resolver's own limit). */
#define AU_MAX_CHAIN SK_DNS_MAX_CNAME_CHAIN
/* Authoritative nameservers and addresses asked per domain
 * (dkim-ns-disagree). */
#define AU_MAX_NS 8
#define AU_MAX_NS_ADDR 16

/* Report groups, in report order. */
#define AU_G_PROVIDER "provider"
#define AU_G_HOSTS "hosts"
#define AU_G_SPF "spf"
#define AU_G_DKIM "dkim"
#define AU_G_DMARC "dmarc"
#define AU_G_MX "mx"
#define AU_G_RP "return-path"
#define AU_G_HTTPS "https"

/* One authoritative nameserver address (dkim-ns-disagree). */
struct au_nsaddr {
	char *ns;    /* the NS name */
	char *addr;  /* textual address, or NULL when it has none */
	char *why;   /* why there is no address (DNS failure), or NULL */
};

/* A domain the audit looks at. */
struct au_domain {
	const char *name;                /* lower case, borrowed */
	const struct sk_org_domain *cfg; /* NULL: a return-path only */
	bool is_from;                    /* a From domain of the config */
	bool is_rp;                      /* a branded return-path */
	const char *rp;                  /* this From domain's branded
	                                    return-path, or NULL */
	/* SPF (filled by sk__audit_spf). */
	bool spf_done;
	bool spf_usable;                 /* one record that parses */
	bool spf_includes;               /* provider include in the tree */
	enum sk_check_status spf_ip;     /* spf-sending-ip outcome */
	/* DKIM (filled by sk__audit_dkim): 1 a selector with a valid key,
	 * 0 none, -1 DNS failed before that could be known. */
	int dkim;
	char *dkim_selector;
	bool dkim_mismatch;              /* that selector's key is not the
	                                    config's */
	/* Nameservers, found once per domain (dkim-ns-disagree). */
	bool ns_done;
	char *ns_fail;                   /* why they could not be found */
	struct au_nsaddr *ns;
	size_t nns;
};

struct au_ctx {
	struct sk_resolver *r;
	const struct sk_profile *p;
	const struct sk_org_config *c;
	struct sk_audit_opts o;          /* defaults applied */
	time_t now;
	struct sk_dmarc_psl *psl;
	struct sk_audit *a;
	struct au_domain *dom;
	size_t ndom;
	/* DMARC policy domains whose record checks already ran. */
	char **pdone;
	size_t npdone;
	sk_status st;                    /* sticky SK_ENOMEM */
};

/* ------------------------------------------------------------ checks */

/*
 * Append one check outcome.  `id` and `group` are literals (kept by
 * pointer); subject, source, evidence and fix are copied (NULL gives "");
 * the message is printf-formatted.  Severity is kept for FAIL only.
 */
void sk__audit_add(struct au_ctx *x, const char *group, const char *id,
		   const char *subject, enum sk_check_status status,
		   enum sk_severity sev, const char *source,
		   const char *evidence, const char *fix, const char *fmt,
		   ...) SK_PRINTF(10, 11);

/* Append to a text buffer: SK_ENOMEM is sticky in x->st; a text over
 * the cap is cut with "...". */
void sk__audit_bprintf(struct au_ctx *x, struct sk_buf *b, const char *fmt,
		       ...) SK_PRINTF(3, 4);

/* Record a status: true (and x->st set) when it is SK_ENOMEM. */
bool sk__audit_oom(struct au_ctx *x, sk_status st);

/* A source string: s, else the fallback. */
const char *sk__audit_src(const char *s, const char *fallback);

/* ---------------------------------------------------------------- DNS */

/* Ask through the run's resolver.  SK_ENOMEM sets x->st and gives
 * TEMPFAIL; a name that cannot be asked gives NXDOMAIN with *out NULL.
 * Release *out with sk_dns_answer_unref(). */
enum sk_dns_status sk__audit_ask(struct au_ctx *x, const char *name,
				 uint16_t type,
				 const struct sk_dns_answer **out);

/* The reason of a TEMPFAIL answer ("timeout", "SERVFAIL"). */
const char *sk__audit_why(const struct sk_dns_answer *a);

/* Append one record in presentation form ("A 192.0.2.1", "TXT \"...\"",
 * "MX 10 mx.example.", "CNAME t.example.") to b. */
void sk__audit_rr_str(struct au_ctx *x, struct sk_buf *b,
		      const struct sk_dns_rr *rr);

/* Append a zone-file TXT line: NAME. IN TXT "..." "..." with strings of
 * at most 255 bytes and " and \ escaped (RFC 1035 section 5.1). */
void sk__audit_txt_line(struct au_ctx *x, struct sk_buf *b, const char *name,
			const char *text);

/* Case-insensitive equality of two domain names, trailing dots
 * ignored. */
bool sk__audit_name_eq(const char *a, const char *b);

/* ------------------------------------------------------------ domains */

struct au_domain *sk__audit_domain(struct au_ctx *x, const char *name);

/* ------------------------------------------------------ IP networks */

struct au_net {
	int family;      /* AF_INET or AF_INET6 */
	uint8_t addr[16];
	unsigned prefix;
};

/* "192.0.2.0/24", "2001:db8::/32" or a bare address (/32, /128). */
bool sk__audit_net_parse(const char *s, struct au_net *n);
/* The network address + 1, or the address itself for /32 and /128. */
void sk__audit_net_sample(const struct au_net *n, char *out, size_t outsz);
/* True when `inner` lies inside `outer`. */
bool sk__audit_net_contains(const struct au_net *outer,
			    const struct au_net *inner);
void sk__audit_net_str(const struct au_net *n, char *out, size_t outsz);

/* ------------------------------------------------------------- groups */

void sk__audit_provider(struct au_ctx *x);
void sk__audit_ipmode(struct au_ctx *x);
void sk__audit_hosts(struct au_ctx *x);
void sk__audit_spf(struct au_ctx *x, struct au_domain *d);
void sk__audit_dkim(struct au_ctx *x, struct au_domain *d);
void sk__audit_dmarc(struct au_ctx *x, struct au_domain *d);
void sk__audit_mx(struct au_ctx *x, struct au_domain *d);
void sk__audit_https(struct au_ctx *x);

#endif /* SK_AUDIT_INTERNAL_H */
