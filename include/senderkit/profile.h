/*
 * senderkit/profile.h - provider profiles (data) and organization configs.
 *
 * A provider profile says what an email-marketing platform needs from the
 * organizations that adopt it: the hosts to alias to it, the SPF include,
 * DKIM and DMARC conventions, its IP blocks and web domains, each list with
 * the URL it was taken from and an "as of" date.  Profiles are data files
 * (data/profiles/marketo.ini is the first); no provider is compiled in.
 *
 * An organization config says what one organization has: its sending
 * domains, its provider account identifiers, landing-page and tracking
 * hosts, DKIM selectors and keys, DMARC stage and report addresses.
 *
 * Both files use the same line-oriented INI syntax (senderkit-config(5)
 * and senderkit-profile(5) in docs/man describe it in full):
 *
 *   # comment            ; comment
 *   [section]            [section argument]
 *   key = value          key.sub = value
 *
 * Lines are at most SK_INI_MAX_LINE bytes, files at most SK_INI_MAX_FILE.
 * Keys are case-insensitive ASCII; values keep their case, with surrounding
 * blanks removed.  A list value is split on commas, each item trimmed; a
 * list key may repeat (items are appended), a key that takes one value may
 * not repeat within its section.  Booleans are yes/no/true/false/on/off/
 * 1/0.
 * Errors name the file, the line and the key.
 *
 * Objects here are plain read-only structs owned by the object loaded; all
 * strings are NUL-terminated.
 */
#ifndef SENDERKIT_PROFILE_H
#define SENDERKIT_PROFILE_H

#include <time.h>

#include <senderkit/common.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SK_INI_MAX_LINE 4096
#define SK_INI_MAX_FILE (4u * 1024 * 1024)

/* ------------------------------------------------------------ profiles */

/* A value the organization supplies ([input NAME] section). */
struct sk_profile_input {
	const char *name;      /* "munchkin_id", "account_string", ... */
	const char *regex;     /* POSIX ERE the value should match, or NULL */
	bool required;         /* a config without it is an error */
	enum sk_severity severity; /* of a value not matching regex */
	const char *hint;      /* where to find it in the provider's UI */
	unsigned line;
};

/* A host the organization aliases to the provider ([host ROLE]). */
struct sk_profile_host {
	const char *role;      /* "landing", "tracking", ... */
	const char *target;    /* CNAME target template, "${account_string}.
	                          mktoweb.com"; ${NAME} names an input */
	const char *config_key;/* the org config key naming the host, e.g.
	                          "landing_host" */
	const char *must_differ_from; /* another role, or NULL */
	const char *const *avoid_prefixes; /* first-label prefixes to warn
	                                      about ("track", "link") */
	size_t navoid_prefixes;
	bool probe_target;     /* false: never test the target over HTTPS */
	const char *tls_note;  /* provisioning advice, or NULL */
	const char *why;       /* one sentence for plan comments */
	const char *source;    /* URL of the rule */
	unsigned line;
	/* CA domains a CAA issue property must allow for the provider's
	 * certificates of this host (RFC 8659); none: unknown, the CAA set
	 * is shown for the user to confirm. */
	const char *const *caa_allow;
	size_t ncaa_allow;
};

/* A dated list ([list NAME]): IP blocks, single IPs, web domains. */
struct sk_profile_list {
	const char *name;      /* "sending_cidrs", "outbound_ips",
	                          "web_domains", ... */
	const char *kind;      /* "cidr" (IPs and CIDRs) or "domain" */
	const char *purpose;   /* one line: what the list is for */
	const char *source;    /* URL */
	const char *as_of;     /* "YYYY-MM-DD" */
	const char *spf_domain;/* compare with this domain's live SPF, or
	                          NULL ("mktomail.com" for sending_cidrs) */
	const char *const *items;
	size_t count;
	unsigned line;
};

/* Free-text advice for administrators ([note NAME]). */
struct sk_profile_note {
	const char *name;
	const char *text;
	const char *source;
};

struct sk_profile {
	const char *path;          /* file it was loaded from */
	const char *id;            /* "marketo" */
	const char *display_name;  /* "Adobe Marketo Engage" */
	const char *as_of;         /* "YYYY-MM-DD" */
	const char *docs_url;

	const struct sk_profile_input *inputs;
	size_t ninputs;
	const struct sk_profile_host *hosts;
	size_t nhosts;

	struct {
		const char *include;     /* "mktomail.com", or NULL */
		/* "always", "branded_return_path" (only a branded envelope
		 * domain needs it) or "never" */
		const char *needed_when;
		const char *branded_all; /* "-all" advised on a branded
		                            return-path domain */
		const char *source;
	} spf;
	struct {
		unsigned min_bits;         /* below: error (1024) */
		unsigned recommended_bits; /* below: warning (2048) */
		const char *fallback_d;    /* signs when no custom key: never
		                              aligns ("mktomail.com") */
		bool all_ns_must_agree;    /* selector checked at every NS */
		const char *rotation_note;
		const char *source;
	} dkim;
	struct {
		const char *recommended_alignment; /* "dkim" */
		bool aspf_strict_supported;        /* Marketo: false */
		const char *const *rollout;        /* "none","quarantine",... */
		size_t nrollout;
		const char *source;
	} dmarc;
	struct {
		const char *default_domain; /* Return-Path domain on shared
		                               IPs ("mktomail.com") */
		const char *const *branded_for; /* ip modes that may brand */
		size_t nbranded_for;
		const char *source;
	} envelope;
	struct {
		bool required_on_from_domain;
		const char *source;
	} mx;
	struct {
		/* [pools]: monthly volumes above which the provider advises
		 * another IP mode; 0 when not stated. */
		unsigned long shared_max_monthly;  /* 100000: buy dedicated */
		unsigned long trusted_max_monthly; /* 75000 */
		const char *source;
	} pools;

	const struct sk_profile_list *lists;
	size_t nlists;
	const struct sk_profile_note *notes;
	size_t nnotes;
};

/* Load a profile file.  On a syntax or schema error: SK_ESYNTAX with
 * err->line set and a message "FILE:LINE: ...". */
SK_API SK_WARN_UNUSED sk_status
sk_profile_load(const char *path, struct sk_profile **out,
		struct sk_err *err);

/* The same from memory; `name` stands for the file in messages. */
SK_API SK_WARN_UNUSED sk_status
sk_profile_load_mem(const char *data, size_t len, const char *name,
		    struct sk_profile **out, struct sk_err *err);

/* Accepts NULL. */
SK_API void
sk_profile_free(struct sk_profile *p);

/*
 * Find a profile by name: a value containing '/' or ending in ".ini" is a
 * path; otherwise DIR/NAME.ini for DIR in `dirs` (NULL-terminated; NULL
 * means { $SENDERKIT_PROFILES (when set and not empty), the source tree's
 * data/profiles (so that an uninstalled build finds its profiles),
 * SK_DATADIR "/profiles" (PREFIX/share/senderkit/profiles), NULL }).
 * The first readable file wins.  A NAME with characters other than
 * [A-Za-z0-9_.-] is SK_EINVAL.  *path_out is malloc'd (free()).
 * SK_ENOENT names the directories searched.
 */
SK_API SK_WARN_UNUSED sk_status
sk_profile_find(const char *name, const char *const *dirs, char **path_out,
		struct sk_err *err);

/* Lookups by name: a host by role ("landing"), a list by name
 * ("sending_cidrs"), an input by name ("munchkin_id").  NULL when the
 * profile has none.  Borrowed from p. */
SK_API const struct sk_profile_host *
sk_profile_host(const struct sk_profile *p, const char *role);
SK_API const struct sk_profile_list *
sk_profile_list(const struct sk_profile *p, const char *name);
SK_API const struct sk_profile_input *
sk_profile_input(const struct sk_profile *p, const char *name);

/* ------------------------------------------------------ organization */

enum sk_ip_mode {
	SK_IP_SHARED = 0, /* the provider's shared pool (the default) */
	SK_IP_TRUSTED,    /* Marketo's Trusted IP range */
	SK_IP_DEDICATED,
};

/* "shared", "trusted", "dedicated". */
SK_API const char *
sk_ip_mode_str(enum sk_ip_mode m);

/* A DKIM selector the organization publishes for one domain. */
struct sk_org_dkim {
	const char *selector;
	/* The key record to publish ("v=DKIM1; k=rsa; p=..."), built from
	 * the config's dkim_key.SEL (base64 public key, a PEM public or
	 * private key file, or a record file written by `dkim keygen`);
	 * NULL when the config names the selector only. */
	const char *record;
	unsigned line;
};

/* DMARC stages (RFC 9989 rollout: none -> quarantine -> reject). */
enum sk_dmarc_stage {
	SK_STAGE_UNSET = 0,
	SK_STAGE_NONE,
	SK_STAGE_QUARANTINE,
	SK_STAGE_REJECT,
};

/* A domain the organization sends from ([domain NAME]). */
struct sk_org_domain {
	const char *name;           /* lower case, no trailing dot */
	bool from;                  /* used in From: (default true) */
	const char *return_path;    /* branded Return-Path domain, or NULL */
	const struct sk_org_dkim *dkim;
	size_t ndkim;
	const char *const *mail_servers; /* corporate IPs/CIDRs for SPF */
	size_t nmail_servers;
	const char *const *spf_includes; /* other senders' includes */
	size_t nspf_includes;
	const char *const *mx;      /* "10 mail.example.com" for replies */
	size_t nmx;
	enum sk_dmarc_stage dmarc_stage; /* UNSET: no DMARC wanted here */
	unsigned dmarc_pct;         /* 1..100; 100 when not given */
	const char *dmarc_rua;      /* "mailto:..." list, or NULL */
	const char *dmarc_ruf;
	const char *dmarc_sp;       /* "none"/"quarantine"/"reject" or NULL */
	unsigned line;
};

struct sk_org_kv {
	const char *key;
	const char *value;
	unsigned line;
};

struct sk_org_config {
	const char *path;
	const char *name;           /* organization name, may be "" */
	const char *profile;        /* profile name or path, or NULL */
	enum sk_ip_mode ip_mode;
	unsigned long monthly_volume; /* 0: not stated */
	unsigned ttl;               /* for planned records; default 3600 */
	const char *landing_host;   /* NULL when not used */
	const char *tracking_host;
	const char *return_path_mx; /* MX target for branded return-path
	                               domains (from provider support) */
	const struct sk_org_kv *inputs; /* [provider] section: munchkin_id,
	                                   account_string, ... */
	size_t ninputs;
	const struct sk_org_domain *domains;
	size_t ndomains;
};

/* Load an organization config.  Syntax errors: SK_ESYNTAX, err->line and
 * "FILE:LINE: KEY: ..." in err->msg.  Relative key file paths are taken
 * from the config file's directory. */
SK_API SK_WARN_UNUSED sk_status
sk_config_load(const char *path, struct sk_org_config **out,
	       struct sk_err *err);

/* The same from memory; `name` stands for the file in messages, and
 * relative key file paths are taken from its directory ("." when it has
 * no '/').  Caller frees *out with sk_config_free(). */
SK_API SK_WARN_UNUSED sk_status
sk_config_load_mem(const char *data, size_t len, const char *name,
		   struct sk_org_config **out, struct sk_err *err);

/* An empty config to fill with sk_config_set() (what the CLI does with
 * `audit DOMAIN --munchkin ...`). */
SK_API SK_WARN_UNUSED sk_status
sk_config_new(struct sk_org_config **out, struct sk_err *err);

/*
 * Set one key as the file line "key = value" in section "[section]" would
 * (section "domain example.com" for a domain; the domain is created on
 * first use).  The same checks as the loader; `line` is 0 for values that
 * do not come from a file.
 */
SK_API SK_WARN_UNUSED sk_status
sk_config_set(struct sk_org_config *c, const char *section, const char *key,
	      const char *value, unsigned line, struct sk_err *err);

/* Free a config.  Accepts NULL. */
SK_API void
sk_config_free(struct sk_org_config *c);

/* A provider input by name ("munchkin_id"), or NULL. */
SK_API const char *
sk_config_input(const struct sk_org_config *c, const char *name);

/* A domain by name (case-insensitive), or NULL. */
SK_API const struct sk_org_domain *
sk_config_domain(const struct sk_org_config *c, const char *name);

/*
 * Check a config against a profile, as a whole: required inputs present,
 * inputs matching the profile's regexes, host names valid and under one of
 * the sending domains, a host that would need a CNAME at a zone apex
 * (landing or tracking host equal to a sending domain), landing and
 * tracking hosts equal, DKIM selectors valid labels, records decodable,
 * rua/ruf URIs well-formed.  Each finding's subject is "FILE:LINE: KEY"
 * (or "KEY" for values not from a file).  Findings ids are documented in
 * senderkit-config(5) and start with "config-".
 */
SK_API SK_WARN_UNUSED sk_status
sk_config_validate(const struct sk_org_config *c, const struct sk_profile *p,
		   struct sk_findings **out, struct sk_err *err);

/*
 * Expand "${name}" references of a profile template with the config's
 * provider inputs.  SK_ENOENT when an input is not set (err names it).
 * *out is malloc'd.
 */
SK_API SK_WARN_UNUSED sk_status
sk_profile_expand(const struct sk_org_config *c, const char *tmpl,
		  char **out, struct sk_err *err);

/* Whole days from a "YYYY-MM-DD" date to `now`; -1 when unparsable. */
SK_API long
sk_profile_age_days(const char *as_of, time_t now);

#ifdef __cplusplus
}
#endif

#endif /* SENDERKIT_PROFILE_H */
