/*
 * senderkit/https.h - HTTPS, HSTS and CAA of the host names an
 * organization aliases to a provider (landing pages, tracking links).
 *
 *   hsts      the Strict-Transport-Security header (RFC 6797 section 6.1),
 *             Chromium's HSTS preload list (transport_security_state_
 *             static.json), the hstspreload.org requirements;
 *   probe     a TLS handshake with SNI (OpenSSL 3): chain verified against
 *             a CA file or directory or the system bundle, the names
 *             (RFC 6125 via X509_check_host), days until expiry; what
 *             plain HTTP does (redirect to https or serve) and the HSTS
 *             header on https (libcurl);
 *   caa       the relevant CAA RRset (RFC 8659 section 3: the closest one
 *             walking up the tree from the host) and whether its issue
 *             properties allow the provider's certificate authorities;
 *   check     all of it for one host and its registrable parent domain,
 *             judged into check outcomes (struct sk_check, ids https-*,
 *             hsts-*, caa-*; listed in senderkit-https(1)) that the audit
 *             shares.
 *
 * Network: connections go only to addresses the given resolver returns or
 * that a connect-to mapping names (a literal IP address); the system
 * resolver is never used.  Every connection has a total timeout.
 */
#ifndef SENDERKIT_HTTPS_H
#define SENDERKIT_HTTPS_H

#include <time.h>

#include <senderkit/common.h>
#include <senderkit/dns.h>
#include <senderkit/audit.h>

#ifdef __cplusplus
extern "C" {
#endif

/* An STS header longer than this is refused (no RFC limit; headers of
 * real sites are under 100 bytes). */
#define SK_HSTS_MAX_HEADER 4096
/* hstspreload.org: max-age of at least one year (18 weeks before 2019). */
#define SK_HSTS_PRELOAD_MIN_AGE 31536000UL
/* A preload list file larger than this is refused (Chromium's is about
 * 15 MiB). */
#define SK_HSTS_PRELOAD_MAX_FILE (256u * 1024 * 1024)
/* Certificates expiring within this many days are a warning
 * (MKTO-LP-004). */
#define SK_HTTPS_EXPIRY_WARN_DAYS 30
/* Connect-to mappings one check takes. */
#define SK_HTTPS_MAX_CONNECT_TO 16

/* ---------------------------------------------------------------- HSTS */

/* A parsed Strict-Transport-Security header. */
struct sk_hsts {
	unsigned long max_age;      /* seconds (capped at ULONG_MAX) */
	bool include_subdomains;
	bool preload;               /* the non-standard "preload" token */
};

/*
 * Parse one STS header value (RFC 6797 section 6.1): directives separated
 * by ';', names case-insensitive, values tokens or quoted strings;
 * max-age is required and must be digits; a directive appearing twice,
 * a valueless max-age or an includeSubDomains/preload with a value make
 * the header invalid (section 6.1 items 2-4); unknown directives are
 * ignored.  The input need not be NUL-terminated; at most
 * SK_HSTS_MAX_HEADER bytes.  SK_ESYNTAX with err->offset at the problem.
 */
SK_API SK_WARN_UNUSED sk_status
sk_hsts_parse(const char *p, size_t len, struct sk_hsts *out,
	      struct sk_err *err);

/* hstspreload.org requirements not met by a header, as a bit mask. */
enum {
	SK_HSTS_PRELOAD_MAXAGE = 1,  /* max-age below SK_HSTS_PRELOAD_MIN_AGE */
	SK_HSTS_PRELOAD_SUBDOMAINS = 2, /* no includeSubDomains */
	SK_HSTS_PRELOAD_TOKEN = 4,   /* no preload */
};

/* 0 when the header meets the preload requirements on the header;
 * otherwise the SK_HSTS_PRELOAD_* bits of what is missing. */
SK_API unsigned
sk_hsts_preload_missing(const struct sk_hsts *h);

/* An HSTS preload list (Chromium's JSON format). */
struct sk_hsts_preload;

/*
 * Load Chromium's transport_security_state_static.json: a JSON object
 * with "entries": [{"name", "policy", "mode": "force-https",
 * "include_subdomains"}...]; lines starting with "//" (after blanks) are
 * comments.  Entries without mode "force-https" (pinning only) are
 * skipped.  SK_ESYNTAX names the line.  Caller frees with
 * sk_hsts_preload_free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_hsts_preload_load(const char *path, struct sk_hsts_preload **out,
		     struct sk_err *err);

/* The same from memory; `name` stands for the file in messages. */
SK_API SK_WARN_UNUSED sk_status
sk_hsts_preload_load_mem(const char *data, size_t len, const char *name,
			 struct sk_hsts_preload **out, struct sk_err *err);

/* Accepts NULL. */
SK_API void
sk_hsts_preload_free(struct sk_hsts_preload *pl);

/* Number of force-https entries loaded. */
SK_API size_t
sk_hsts_preload_count(const struct sk_hsts_preload *pl);

/*
 * Whether the list forces HTTPS on `host`: an entry for the host itself,
 * or for an ancestor with include_subdomains.  On true, *entry (when not
 * NULL) is the entry's name, borrowed from pl, and *subdomains whether it
 * has include_subdomains.  Case-insensitive; a trailing dot is ignored.
 */
SK_API bool
sk_hsts_preload_lookup(const struct sk_hsts_preload *pl, const char *host,
		       const char **entry, bool *subdomains);

/* --------------------------------------------------------------- probe */

/* What one host answered.  Strings are never NULL ("" when unknown) and
 * are owned by the report they come from. */
struct sk_https_probe {
	const char *host;
	bool probed;          /* false: not asked (no address, or skipped) */
	const char *address;  /* "IP:PORT" the TLS probe connected to */
	/* TLS (port 443 or its connect-to mapping). */
	bool tcp;             /* the TCP connection was made */
	bool tls;             /* the handshake completed (unverified) */
	const char *tls_error;/* why tcp or tls is false */
	bool trusted;         /* the chain verifies against the CA store */
	long verify_code;     /* X509_V_* (0 when trusted) */
	const char *verify_error; /* OpenSSL's text of verify_code */
	bool self_signed;     /* leaf issued by itself */
	bool name_ok;         /* the leaf covers host (SAN/CN, RFC 6125) */
	const char *subject;  /* leaf subject, one line */
	const char *issuer;   /* leaf issuer, one line */
	const char *names;    /* DNS SANs, comma-separated */
	time_t not_before, not_after;
	long days_left;       /* whole days from now to not_after, rounded
	                         down (< 0: expired) */
	bool expired;         /* not_after is in the past */
	/* HTTPS (libcurl, certificate not verified: the TLS fields say
	 * whether it is valid). */
	bool https_ok;        /* a response came over https */
	int https_status;     /* its HTTP status */
	const char *hsts_header; /* Strict-Transport-Security value, or "" */
	bool hsts_present;
	bool hsts_valid;
	struct sk_hsts hsts;
	const char *hsts_error;  /* parse error of an invalid header */
	/* Plain HTTP (port 80 or its mapping). */
	bool http_ok;         /* a response came over http */
	int http_status;
	const char *http_location; /* Location of a redirect, or "" */
	bool http_to_https;   /* 3xx to https://host... */
	const char *http_error;
};

/* ----------------------------------------------------------------- CAA */

/* The relevant CAA RRset of a host (RFC 8659 section 3). */
struct sk_https_caa {
	enum sk_dns_status status; /* ANSWER: found at `owner`; NODATA /
	                              NXDOMAIN: none up to the top; TEMPFAIL:
	                              DNS failed on the walk */
	const char *owner;   /* the name holding the RRset, or "" */
	const char *records; /* the RRset, "0 issue \"ca.example\"; ...",
	                        or "" */
	const char *issuers; /* CA domains of its issue properties,
	                        comma-separated ("" when it has none, and
	                        ";" alone forbids every CA) */
	bool restricts;      /* it has an issue property: only the named
	                        CAs may issue (RFC 8659 section 4.2) */
	const char *why;     /* reason of a TEMPFAIL */
};

/* --------------------------------------------------------------- check */

struct sk_https_opts {
	time_t now;                /* 0: time(NULL) */
	unsigned timeout_ms;       /* per connection, total; 0: 5000 */
	const char *ca_file;       /* PEM bundle; NULL: system default */
	const char *ca_dir;        /* hashed directory; NULL: none */
	/* curl-style "HOST:PORT:ADDR:PORT" mappings (HOST or the first PORT
	 * empty: any), ADDR a literal IP ([v6] in brackets); a bare
	 * "IP:PORT" maps port 443 of every host.  Hosts not mapped are
	 * reached at the A/AAAA addresses the resolver gives. */
	const char *const *connect_to;
	size_t nconnect_to;
	const struct sk_hsts_preload *preload; /* NULL: no preload list */
	const char *psl_path;      /* public suffix list; NULL: libpsl's */
	/* From the profile's [host ROLE]: */
	const char *role;          /* "landing", "tracking" or NULL */
	const char *tls_note;      /* how to get the certificate, or NULL */
	const char *const *caa_allow; /* CA domains CAA must allow */
	size_t ncaa_allow;
	bool no_probe;             /* DNS (CAA) only: the probes are SKIP */
};

struct sk_https_report;

/*
 * Check one host name: probe it and its registrable parent domain (the
 * public suffix plus one label; not probed when it is the host itself),
 * find the relevant CAA RRset, and judge.  `r` answers the A/AAAA and
 * CAA questions (NULL: CAA is SKIP and only connect-to mappings are
 * reached).  A host that cannot be reached is an outcome, not an error;
 * the function fails on invalid arguments (SK_EINVAL: bad host name or
 * connect-to), memory, or a CA store that cannot be loaded (SK_ENOENT).
 * Caller frees *out with sk_https_report_free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_https_check(struct sk_resolver *r, const char *host,
	       const struct sk_https_opts *opts,
	       struct sk_https_report **out, struct sk_err *err);

/* Accepts NULL. */
SK_API void
sk_https_report_free(struct sk_https_report *rep);

/* The host's and the parent's probes (the parent's `probed` is false
 * when it was not asked); the CAA result.  Borrowed from rep. */
SK_API const struct sk_https_probe *
sk_https_report_host(const struct sk_https_report *rep);
SK_API const struct sk_https_probe *
sk_https_report_parent(const struct sk_https_report *rep);
SK_API const struct sk_https_caa *
sk_https_report_caa(const struct sk_https_report *rep);

/* Check outcomes in run order (group "https", subject the host). */
SK_API size_t
sk_https_report_count(const struct sk_https_report *rep);
SK_API const struct sk_check *
sk_https_report_get(const struct sk_https_report *rep, size_t i);

#ifdef __cplusplus
}
#endif

#endif /* SENDERKIT_HTTPS_H */
