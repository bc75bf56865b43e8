/*
 * senderkit/net.h - IP addresses, CIDR blocks, CIDR sets (IPv4 and IPv6),
 * and provider allowlists built on them: membership ("is this address one
 * of the platform's?"), rendering for firewalls, proxies and mail filters,
 * and the difference between a profile's lists and an existing rules file.
 *
 * Text forms: IPv4 dotted quads of four decimal octets without leading
 * zeros (RFC 6943 section 3.1.1: "010" is octal to some parsers, so it is
 * refused); IPv6 per RFC 4291 section 2.2 (hex groups, one "::", a dotted
 * IPv4 tail), no zone index; a prefix "/N" in decimal, N <= 32 or 128.
 * Output is RFC 5952 canonical (lower case, the longest run of zero groups
 * compressed).  Parsers are length-bounded, never read past `len` and do
 * not need NUL termination.  A parse error has err->offset at the byte
 * that could not be used.
 *
 * A CIDR whose host bits are set ("192.0.2.1/24") is normalized to its
 * network ("192.0.2.0/24"); the parser says so through a flag (callers
 * warn: the writer probably meant something else), or refuses it with
 * SK_NET_STRICT.
 */
#ifndef SENDERKIT_NET_H
#define SENDERKIT_NET_H

#include <senderkit/common.h>
#include <senderkit/profile.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Room for the text of an address / a CIDR, NUL included. */
#define SK_IP_STRLEN 46
#define SK_CIDR_STRLEN 50
/* Longest address or CIDR text the parsers accept (longer: SK_ETOOBIG). */
#define SK_CIDR_MAX_TEXT 64

enum sk_af {
	SK_AF_INET = 4,
	SK_AF_INET6 = 6,
};

/* An address: IPv4 in b[0..3] (b[4..15] zero), IPv6 in b[0..15], both in
 * network byte order. */
struct sk_ipaddr {
	uint8_t af;            /* SK_AF_INET or SK_AF_INET6 */
	uint8_t b[16];
};

/* A CIDR block: the network address (host bits zero) and prefix length
 * (0..32 for IPv4, 0..128 for IPv6). */
struct sk_cidr {
	struct sk_ipaddr addr;
	uint8_t prefix;
};

/* An inclusive range of addresses of one family, first <= last. */
struct sk_iprange {
	struct sk_ipaddr first;
	struct sk_ipaddr last;
};

/* Parser flags. */
#define SK_NET_STRICT 0x1u /* host bits set: SK_ESYNTAX, not normalized */

/* ---------------------------------------------------------- addresses */

/* Parse an IPv4 or IPv6 address from s[0..len).  SK_ESYNTAX with
 * err->offset, SK_ETOOBIG over SK_CIDR_MAX_TEXT. */
SK_API SK_WARN_UNUSED sk_status
sk_ip_parse(const char *s, size_t len, struct sk_ipaddr *out,
	    struct sk_err *err);

/*
 * Parse "ADDR" (a host: /32 or /128) or "ADDR/N".  Host bits set are
 * cleared and *normalized (may be NULL) set to true; with SK_NET_STRICT
 * they are an error instead.  Errors as sk_ip_parse().
 */
SK_API SK_WARN_UNUSED sk_status
sk_cidr_parse(const char *s, size_t len, unsigned flags, struct sk_cidr *out,
	      bool *normalized, struct sk_err *err);

/*
 * Parse "FIRST-LAST" (both of one family, FIRST <= LAST), or anything
 * sk_cidr_parse() takes (its first and last address; host bits are
 * normalized and reported as there).  Blanks around '-' are allowed.
 */
SK_API SK_WARN_UNUSED sk_status
sk_iprange_parse(const char *s, size_t len, unsigned flags,
		 struct sk_iprange *out, bool *normalized, struct sk_err *err);

/* Write the text of an address / CIDR / range ("FIRST-LAST") into
 * buf[0..size), NUL-terminated and truncated if need be, like snprintf;
 * return the length of the full text.  SK_IP_STRLEN / SK_CIDR_STRLEN /
 * 2 * SK_IP_STRLEN bytes always suffice. */
SK_API size_t
sk_ip_format(const struct sk_ipaddr *a, char *buf, size_t size);
SK_API size_t
sk_cidr_format(const struct sk_cidr *c, char *buf, size_t size);
SK_API size_t
sk_iprange_format(const struct sk_iprange *r, char *buf, size_t size);

/* Order: IPv4 before IPv6, then numerically.  <0, 0, >0. */
SK_API int
sk_ip_cmp(const struct sk_ipaddr *a, const struct sk_ipaddr *b);

/* True when `a` lies in block `c` (always false across families). */
SK_API bool
sk_cidr_contains(const struct sk_cidr *c, const struct sk_ipaddr *a);

/* The first and last addresses of a block. */
SK_API void
sk_cidr_range(const struct sk_cidr *c, struct sk_iprange *out);

/* ---------------------------------------------------------- CIDR sets */

/*
 * A set of addresses of both families, stored as ranges.  Additions are
 * cheap appends; sk_cidrset_aggregate() sorts and merges overlapping and
 * adjacent ranges into the minimal form, after which membership is a
 * binary search.  Every query is correct on a set with additions since
 * the last aggregation too, only slower (a linear scan); range access and
 * iteration see the ranges as stored.  Not thread-safe for writers;
 * concurrent readers of an aggregated set are fine.
 */
struct sk_cidrset;

/* A new empty set; free with sk_cidrset_free(). */
SK_API SK_WARN_UNUSED sk_status
sk_cidrset_new(struct sk_cidrset **out, struct sk_err *err);

/* Accepts NULL. */
SK_API void
sk_cidrset_free(struct sk_cidrset *s);

/* Add a block / a range (SK_EINVAL for mixed families or first > last) /
 * every range of another set.  SK_ENOMEM leaves the set unchanged. */
SK_API SK_WARN_UNUSED sk_status
sk_cidrset_add(struct sk_cidrset *s, const struct sk_cidr *c,
	       struct sk_err *err);
SK_API SK_WARN_UNUSED sk_status
sk_cidrset_add_range(struct sk_cidrset *s, const struct sk_iprange *r,
		     struct sk_err *err);
SK_API SK_WARN_UNUSED sk_status
sk_cidrset_add_set(struct sk_cidrset *s, const struct sk_cidrset *from,
		   struct sk_err *err);

/* Sort and merge into the minimal set of disjoint, non-adjacent ranges.
 * In place; cannot fail. */
SK_API void
sk_cidrset_aggregate(struct sk_cidrset *s);

/* Membership of an address / a whole block or range. */
SK_API bool
sk_cidrset_contains(const struct sk_cidrset *s, const struct sk_ipaddr *a);
SK_API bool
sk_cidrset_covers(const struct sk_cidrset *s, const struct sk_iprange *r);

/* Number of ranges stored, and range i (false when out of range). */
SK_API size_t
sk_cidrset_nranges(const struct sk_cidrset *s);
SK_API bool
sk_cidrset_range(const struct sk_cidrset *s, size_t i, struct sk_iprange *out);

/*
 * Iterate the set as CIDR blocks: each stored range split into the fewest
 * aligned blocks.  On an aggregated set this is the minimal CIDR list, in
 * order (IPv4 first).  Start with an iterator zeroed by
 * sk_cidrset_iter_init(); sk_cidrset_next() returns false at the end.
 */
struct sk_cidrset_iter {
	size_t range;          /* internal */
	struct sk_ipaddr next; /* internal */
	bool started;          /* internal */
};

/* Reset an iterator to the first block. */
SK_API void
sk_cidrset_iter_init(struct sk_cidrset_iter *it);
/* The next block into *out; false when there is none. */
SK_API bool
sk_cidrset_next(const struct sk_cidrset *s, struct sk_cidrset_iter *it,
		struct sk_cidr *out);

/* Number of CIDR blocks the iteration gives. */
SK_API size_t
sk_cidrset_ncidrs(const struct sk_cidrset *s);

/* A new aggregated set of the addresses in `a` and not in `b` (A \ B).
 * The inputs need not be aggregated; free *out with sk_cidrset_free(). */
SK_API SK_WARN_UNUSED sk_status
sk_cidrset_diff(const struct sk_cidrset *a, const struct sk_cidrset *b,
		struct sk_cidrset **out, struct sk_err *err);

/* ------------------------------------------------- rules-file parsing */

/* Formats of existing rules files that sk_rules_parse() reads. */
enum sk_rules_format {
	/* nftables ruleset: addresses, CIDRs and ranges in set `elements`
	 * and after saddr in rules whose verdict is accept. */
	SK_RULES_NFTABLES = 0,
	/* iptables-restore / ip6tables-restore files and `iptables -S`
	 * output: -s/--source (comma lists) and --src-range of -A/-I rules
	 * jumping to ACCEPT; negated matches are not counted. */
	SK_RULES_IPTABLES,
	/* CSV: every field that is an address, CIDR or range. */
	SK_RULES_CSV,
	/* Any text: every token that is an address, CIDR or range, except
	 * on comment lines (first non-blank '#', ';' or "//"). */
	SK_RULES_TEXT,
};

/*
 * Add the allowed addresses named in a rules file to `into`.  Tokens that
 * look like addresses but do not parse are skipped; *nfound (may be NULL)
 * counts those added.  SK_ETOOBIG over SK_INI_MAX_FILE bytes, SK_ESYNTAX
 * for NUL bytes (err->offset), SK_ENOMEM.
 */
SK_API SK_WARN_UNUSED sk_status
sk_rules_parse(const char *text, size_t len, enum sk_rules_format fmt,
	       struct sk_cidrset *into, size_t *nfound, struct sk_err *err);

/* ------------------------------------------------------ domain sets */

/*
 * A set of host-name patterns, as proxy allowlists hold them.  The
 * formats disagree on what a wildcard means, so each pattern is a name
 * and one of three kinds:
 *
 *   SK_DOMAIN_EXACT  "NAME"    NAME only (a Squid dstdomain without a
 *                              leading dot; a PAC `host == "NAME"`);
 *   SK_DOMAIN_SUBS   "*.NAME"  every subdomain of NAME at any depth, NOT
 *                              NAME itself: the provider documentation's
 *                              wildcard, PAC dnsDomainIs(host, ".NAME")
 *                              and shExpMatch(host, "*.NAME");
 *   SK_DOMAIN_TREE   ".NAME"   NAME and every subdomain: Squid's leading
 *                              dot (squid.conf "acl dstdomain").
 *
 * The empty NAME with SUBS or TREE ("*") matches every host.  Names are
 * host names (letters, digits, '-' and '_', labels of 1..63 bytes, at
 * most 253 bytes) compared without regard to ASCII case or a final dot.
 * Queries are linear in the number of patterns.
 */
enum sk_domain_kind {
	SK_DOMAIN_EXACT = 0,
	SK_DOMAIN_SUBS,
	SK_DOMAIN_TREE,
};

struct sk_domainset;

/* A new empty domain set; free with sk_domainset_free().  SK_ENOMEM. */
SK_API SK_WARN_UNUSED sk_status
sk_domainset_new(struct sk_domainset **out, struct sk_err *err);

/* Accepts NULL. */
SK_API void
sk_domainset_free(struct sk_domainset *s);

/* Add a pattern of `kind` for name[0..len) (no "*." or leading dot; a
 * final dot is ignored; copied).  SK_ESYNTAX when the name is not a host
 * name (err->offset at the bad byte), SK_EINVAL for a bad kind or an
 * empty EXACT name, SK_ENOMEM (the set is unchanged). */
SK_API SK_WARN_UNUSED sk_status
sk_domainset_add(struct sk_domainset *s, enum sk_domain_kind kind,
		 const char *name, size_t len, struct sk_err *err);

/* Add a pattern given as text: "*.NAME" (SUBS), ".NAME" (TREE), "*"
 * (every host) or "NAME" (EXACT).  Errors as sk_domainset_add(), with
 * err->offset into text. */
SK_API SK_WARN_UNUSED sk_status
sk_domainset_add_pattern(struct sk_domainset *s, const char *text,
			 size_t len, struct sk_err *err);

/* Number of patterns added (duplicates count). */
SK_API size_t
sk_domainset_count(const struct sk_domainset *s);

/* True when host host[0..len) (case and a final dot ignored) matches a
 * pattern of the set.  False for text that is not a host name. */
SK_API bool
sk_domainset_matches(const struct sk_domainset *s, const char *host,
		     size_t len);

/*
 * True when every host that the pattern (kind, name[0..len)) matches is
 * matched by the set.  A SUBS or TREE pattern is covered only by a SUBS
 * or TREE pattern at or above its name (no list of names covers every
 * subdomain), and TREE "x" also by SUBS "x" together with a pattern
 * matching "x".  So "*.marketo.com" is covered by "*.marketo.com",
 * ".marketo.com", "*.com" or ".com", but not by "marketo.com" nor by
 * "app.marketo.com".  False for a name that is not a host name.
 */
SK_API bool
sk_domainset_covers(const struct sk_domainset *s, enum sk_domain_kind kind,
		    const char *name, size_t len);

/* Formats of domain allowlists that sk_rules_parse_domains() reads. */
enum sk_domain_rules_format {
	/* squid.conf: the values of every "acl NAME dstdomain" line (".x"
	 * TREE, "x" EXACT; flags such as -n and "/file" includes are
	 * skipped).  Every dstdomain ACL is taken as an allow ACL. */
	SK_DRULES_SQUID = 0,
	/* Proxy auto-config (JavaScript): the tests of `if` conditions
	 * whose consequent is `return "DIRECT..."`, as top-level `||`
	 * terms: dnsDomainIs(H, ".x") SUBS, dnsDomainIs(H, "x") TREE (it
	 * also matches "ax": read narrower), shExpMatch(H, "*.x") SUBS,
	 * shExpMatch(H, "x") EXACT, shExpMatch(H, "*") every host,
	 * localHostOrDomainIs(H, "x") and H == "x" EXACT.  Negated terms,
	 * terms joined by `&&` and other glob patterns are skipped. */
	SK_DRULES_PAC,
	/* Plain patterns, blank- or comma-separated, '#' comments: as
	 * sk_domainset_add_pattern() ("*.x" SUBS, ".x" TREE, "x"). */
	SK_DRULES_HOSTS,
};

/*
 * Add the domain patterns a proxy rules file allows to `into`.  Patterns
 * that are not host names are skipped; *nfound (may be NULL) counts
 * those added.  SK_ETOOBIG over SK_INI_MAX_FILE bytes, SK_ESYNTAX for
 * NUL bytes (err->offset), SK_EINVAL for a bad format, SK_ENOMEM.
 */
SK_API SK_WARN_UNUSED sk_status
sk_rules_parse_domains(const char *text, size_t len,
		       enum sk_domain_rules_format fmt,
		       struct sk_domainset *into, size_t *nfound,
		       struct sk_err *err);

/* ------------------------------------------------------- allowlists */

/*
 * An allowlist: some lists of a provider profile (struct sk_profile_list,
 * kind "cidr" or "domain") gathered under one name ("outbound"), their
 * items parsed once.  Borrows the profile: keep it alive until
 * sk_allowlist_free().
 */
struct sk_allowlist;

/*
 * Build an allowlist of the n profile lists named in names[0..n) (a name
 * given twice counts once).  `set_name` names it in output ("outbound").
 * An unknown list name is SK_ENOENT.  A CIDR item that does not parse is
 * SK_ESYNTAX naming the list and item; one with host bits set is
 * normalized and reported in *warnings (may be NULL; caller frees with
 * sk_findings_free) as "allowlist-host-bits", subject "LIST: ITEM".  A
 * domain item must be a host name or "*." and a host name.
 */
SK_API SK_WARN_UNUSED sk_status
sk_allowlist_new(const struct sk_profile *p, const char *const *names,
		 size_t n, const char *set_name, struct sk_allowlist **out,
		 struct sk_findings **warnings, struct sk_err *err);

/* Accepts NULL. */
SK_API void
sk_allowlist_free(struct sk_allowlist *al);

/* The aggregated set of every address of the CIDR lists.  Borrowed. */
SK_API const struct sk_cidrset *
sk_allowlist_set(const struct sk_allowlist *al);

/* Number of domain items (lists of kind "domain"). */
SK_API size_t
sk_allowlist_ndomains(const struct sk_allowlist *al);

/* Where an address was found: a list and its item (as written in the
 * profile) with the block it stands for.  Borrowed from the allowlist. */
struct sk_allowlist_match {
	const struct sk_profile_list *list;
	const char *item;
	struct sk_cidr block;
};

/*
 * The items that contain address `a`, most specific first, at most `max`
 * stored into m[]; returns how many items contain it (0: outside).  One
 * binary search over the items sorted by first address, then a walk back
 * that a running maximum of last addresses cuts short: addresses outside
 * every item cost the search alone.
 */
SK_API size_t
sk_allowlist_lookup(const struct sk_allowlist *al, const struct sk_ipaddr *a,
		    struct sk_allowlist_match *m, size_t max);

enum sk_allowlist_format {
	SK_ALF_NFTABLES = 0, /* nft -f: a table with interval sets */
	SK_ALF_IPTABLES,     /* iptables-restore --noflush (IPv4) */
	SK_ALF_IP6TABLES,    /* ip6tables-restore --noflush (IPv6) */
	SK_ALF_PF,           /* pf.conf table */
	SK_ALF_AWS,          /* EC2 security group IpPermissions JSON */
	SK_ALF_AZURE,        /* Azure NSG securityRules JSON */
	SK_ALF_GCP,          /* GCP compute firewall rules JSON */
	SK_ALF_NGINX,        /* allow ...; deny all; */
	SK_ALF_APACHE,       /* <RequireAny> Require ip ... */
	SK_ALF_HAPROXY,      /* acl NAME src ... */
	SK_ALF_POSTFIX,      /* cidr table / access map: "CIDR OK" */
	SK_ALF_SPAMASSASSIN, /* trusted_networks ... */
	SK_ALF_CSV,          /* cidr,first,last,family,list,source,as_of */
	SK_ALF_JSON,         /* provenance and blocks */
	SK_ALF_RANGES,       /* FIRST-LAST lines (Google Workspace) */
	SK_ALF_SQUID,        /* acl NAME dstdomain .example.com (domains) */
	SK_ALF_PAC,          /* proxy auto-config FindProxyForURL (domains) */
	SK_ALF_HOSTS,        /* plain host patterns, one a line (domains) */
	SK_ALF_COUNT_
};

/* Name <-> format ("nftables" or "nft", "iptables", "ip6tables", "pf",
 * "aws", "azure", "gcp", "nginx", "apache", "haproxy", "postfix",
 * "spamassassin", "csv", "json", "ranges", "squid", "pac", "hosts").
 * Parsing is case-insensitive; false for an unknown name. */
SK_API bool
sk_allowlist_format_parse(const char *name, enum sk_allowlist_format *out);
SK_API const char *
sk_allowlist_format_name(enum sk_allowlist_format f);
/* True for the formats that take domain lists (squid, pac, hosts). */
SK_API bool
sk_allowlist_format_is_domain(enum sk_allowlist_format f);

struct sk_allowlist_render_opts {
	/* Base of identifiers (table, set, chain, ACL and rule names);
	 * NULL: "<profile id>_<set name>".  Sanitized per format. */
	const char *name;
	/* 0: all protocols and ports; else TCP to this port (nftables,
	 * iptables, pf, aws, azure, gcp). */
	unsigned port;
	/* PAC: what other hosts get; NULL: "PROXY proxy.invalid:3128". */
	const char *proxy;
	/* Each list item as written (normalized), not the aggregated set. */
	bool as_listed;
	/* Generator line ("senderkit 0.1.0"); NULL: none. */
	const char *generator;
};

/*
 * Render the allowlist in format f into *out (malloc'd, NUL-terminated;
 * caller frees with free()).  opts may be NULL.  Every output starts with
 * a comment naming the profile, the set, each list with its source URL
 * and as-of date (JSON formats carry them as fields or rule
 * descriptions).  SK_EINVAL when the format wants domain lists and the
 * allowlist has none or the other way round; SK_ENOMEM.
 */
SK_API SK_WARN_UNUSED sk_status
sk_allowlist_render(const struct sk_allowlist *al, enum sk_allowlist_format f,
		    const struct sk_allowlist_render_opts *opts, char **out,
		    struct sk_err *err);

/* One profile item an existing rules file does not allow. */
struct sk_allowlist_missing {
	const struct sk_profile_list *list;
	const char *item;      /* as written in the profile */
	struct sk_cidr block;
	bool partial;          /* part of the block is allowed */
};

/*
 * Which CIDR items of the allowlist the addresses in `have` (what
 * sk_rules_parse() found in a rules file) do not cover, in list order; an
 * item inside a broader rule counts as covered.  *missing is malloc'd
 * (free with free(); NULL when *nmissing is 0).  SK_ENOMEM.
 */
SK_API SK_WARN_UNUSED sk_status
sk_allowlist_diff(const struct sk_allowlist *al, const struct sk_cidrset *have,
		  struct sk_allowlist_missing **missing, size_t *nmissing,
		  struct sk_err *err);

/* One domain item of the allowlist that a domain set does not cover. */
struct sk_allowlist_missing_domain {
	const struct sk_profile_list *list;
	const char *item;      /* as written in the profile */
	bool partial;          /* some names below the item are allowed */
};

/*
 * Which domain items of the allowlist the patterns in `have` (what
 * sk_rules_parse_domains() found) do not cover, in list order, with the
 * profile's meaning: "*.x" is every subdomain of x (covered by "*.x",
 * ".x" or a broader wildcard), "x" is x alone.  *missing is malloc'd
 * (free with free(); NULL when *nmissing is 0).  SK_EINVAL, SK_ENOMEM.
 */
SK_API SK_WARN_UNUSED sk_status
sk_allowlist_diff_domains(const struct sk_allowlist *al,
			  const struct sk_domainset *have,
			  struct sk_allowlist_missing_domain **missing,
			  size_t *nmissing, struct sk_err *err);

#ifdef __cplusplus
}
#endif

#endif /* SENDERKIT_NET_H */
