/*
 * senderkit/dkim.h - DomainKeys Identified Mail, RFC 6376, with the
 * algorithm updates of RFC 8301 (rsa-sha1 refused, RSA keys of at least
 * 1024 bits) and RFC 8463 (ed25519-sha256).
 *
 *   keys      parse and lint key records (section 3.6.1); generate keys
 *             and the records to publish;
 *   sign      streaming signer: the message goes in as raw bytes in as many
 *             pieces as convenient, the DKIM-Signature header comes out;
 *   verify    streaming verifier: every signature of a message with its
 *             result and the precise reason; keys fetched through a
 *             struct sk_resolver while the body is still arriving.
 *
 * Messages are raw bytes, CRLF or bare LF line ends (a bare LF counts as
 * CRLF, as on the wire), folded headers, 8-bit bodies.  Headers are held
 * in memory up to SK_DKIM_MAX_HEADER bytes; the body is only hashed, so
 * memory stays bounded whatever its size.  No global state: a signer or a
 * verifier per message, usable from an MTA filter.
 */
#ifndef SENDERKIT_DKIM_H
#define SENDERKIT_DKIM_H

#include <time.h>
#include <senderkit/common.h>
#include <senderkit/dns.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The header block kept in memory (all header fields together). */
#define SK_DKIM_MAX_HEADER (1024 * 1024)
/* One DKIM-Signature or key record's text. */
#define SK_DKIM_MAX_TAGLIST 65536
/* Signatures evaluated per message; more are reported as not checked. */
#define SK_DKIM_MAX_SIGNATURES 16
/* RFC 8301 section 3.2: below this many bits an RSA key is refused. */
#define SK_DKIM_RSA_MIN_BITS 1024
/* And below this one it is warned about (RFC 8301: 2048 recommended). */
#define SK_DKIM_RSA_GOOD_BITS 2048

enum sk_dkim_keytype {
	SK_DKIM_KEY_RSA = 0,
	SK_DKIM_KEY_ED25519,
	SK_DKIM_KEY_UNKNOWN,
};

enum sk_dkim_alg {
	SK_DKIM_RSA_SHA256 = 0,
	SK_DKIM_ED25519_SHA256,
	SK_DKIM_RSA_SHA1, /* verify only, and refused (RFC 8301) */
};

enum sk_dkim_canon {
	SK_DKIM_SIMPLE = 0,
	SK_DKIM_RELAXED,
};

/* "rsa-sha256", "ed25519-sha256", "rsa-sha1"; "simple", "relaxed";
 * "rsa", "ed25519", "unknown".  Static storage. */
SK_API const char *
sk_dkim_alg_str(enum sk_dkim_alg a);
SK_API const char *
sk_dkim_canon_str(enum sk_dkim_canon c);
SK_API const char *
sk_dkim_keytype_str(enum sk_dkim_keytype k);

/* ------------------------------------------------------------ key records */

/* A parsed key record (section 3.6.1).  Strings are NUL-terminated copies
 * owned by the struct; NULL when the tag is absent. */
struct sk_dkim_key {
	const char *v;          /* "DKIM1" when present */
	const char *h;          /* acceptable hash algorithms, as written */
	const char *k;          /* key type as written ("rsa" if absent) */
	enum sk_dkim_keytype type;
	const char *n;          /* notes */
	const char *p;          /* public key, base64 as written (no FWS) */
	const uint8_t *pub;     /* decoded p= (DER SubjectPublicKeyInfo for
	                           RSA, 32 raw bytes for Ed25519) */
	size_t publen;
	bool revoked;           /* p= empty */
	const char *s;          /* service types ("*" if absent) */
	const char *t;          /* flags as written */
	bool testing;           /* t=y */
	bool strict;            /* t=s: i= must equal d=, no subdomains */
	unsigned bits;          /* RSA modulus bits; 256 for Ed25519; 0 when
	                           the key does not decode */
};

/*
 * Parse a key record (the TXT strings concatenated).  Fails with
 * SK_ESYNTAX (err->offset at the bad byte) on tag-list syntax errors, a
 * repeated tag, v= not first or not "DKIM1", bad base64 in p=, a p= that
 * does not decode as a key of type k=.  An unknown k= is not an error here
 * (type SK_DKIM_KEY_UNKNOWN): the verifier and the lint decide.  Caller
 * frees *out with sk_dkim_key_free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_dkim_key_parse(const char *text, size_t len, struct sk_dkim_key **out,
		  struct sk_err *err);

/* Accepts NULL. */
SK_API void
sk_dkim_key_free(struct sk_dkim_key *key);

/*
 * Lint a key record given as text: syntax (with offsets), revoked key,
 * testing flag, unknown k=, h= excluding sha256, s= not covering email,
 * RSA size (error under 1024 bits per RFC 8301, warning at 1024 to 2047),
 * bad base64, key not matching k= (an Ed25519 key under k=rsa...), a
 * TXT string over 255 bytes.  Finding ids are listed in senderkit-dkim(1).
 * Caller frees *out with sk_findings_free().  SK_OK even with findings.
 */
SK_API SK_WARN_UNUSED sk_status
sk_dkim_lint_record(const char *text, size_t len, struct sk_findings **out,
		    struct sk_err *err);

/*
 * Lint what is published at <selector>._domainkey.<domain>: no record
 * (dkim-key-missing), a DNS failure (dkim-tempfail, never reported as
 * missing), several records, a CNAME followed (reported as info with its
 * target), how the record is split in strings, then everything
 * sk_dkim_lint_record() checks.
 */
SK_API SK_WARN_UNUSED sk_status
sk_dkim_lint_domain(struct sk_resolver *r, const char *domain,
		    const char *selector, struct sk_findings **out,
		    struct sk_err *err);

/* ------------------------------------------------------------ keygen */

struct sk_dkim_keygen_opts {
	enum sk_dkim_keytype type; /* RSA or ED25519 */
	unsigned bits;             /* RSA only; 0 means 2048; 1024..8192 */
	bool force;                /* overwrite an existing file */
};

/*
 * Generate a key pair and write the private key as PKCS#8 PEM to `path`,
 * created with mode 0600 (O_EXCL unless opts->force; SK_EEXIST when the
 * file exists).  The private key never leaves the library otherwise.
 * *record receives the public key record ("v=DKIM1; k=rsa; p=...");
 * caller frees it with free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_dkim_keygen(const struct sk_dkim_keygen_opts *opts, const char *path,
	       char **record, struct sk_err *err);

/*
 * Format a key record for publication at <selector>._domainkey.<domain>:
 * a zone-file line with the value split into strings of at most 255
 * bytes:  sel._domainkey.example.com. 3600 IN TXT ( "v=DKIM1; ..." "..." )
 * Caller frees *out with free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_dkim_record_zone_line(const char *domain, const char *selector,
			 const char *record, unsigned ttl, char **out,
			 struct sk_err *err);

/* ------------------------------------------------------------ signing */

/* A loaded private key.  The key stays inside the library (wiped on free). */
struct sk_dkim_signer;

/* Load a PEM private key (PKCS#1 or PKCS#8; RSA or Ed25519) from memory or
 * a file.  Caller frees with sk_dkim_signer_free(). */
SK_API SK_WARN_UNUSED sk_status
sk_dkim_signer_new_pem(struct sk_dkim_signer **out, const char *pem,
		       size_t len, struct sk_err *err);
SK_API SK_WARN_UNUSED sk_status
sk_dkim_signer_new_file(struct sk_dkim_signer **out, const char *path,
			struct sk_err *err);

/* Key type of a signer, and RSA bits (256 for Ed25519). */
SK_API enum sk_dkim_keytype
sk_dkim_signer_type(const struct sk_dkim_signer *s);
SK_API unsigned
sk_dkim_signer_bits(const struct sk_dkim_signer *s);

/* Frees and wipes the key.  Accepts NULL. */
SK_API void
sk_dkim_signer_free(struct sk_dkim_signer *s);

/* The header fields signed when the caller gives none: From is
 * "oversigned" (listed once more than it appears) so that no From can be
 * added after signing; other fields are signed when present and
 * oversigned as well when they matter to DMARC and to recipients. */
#define SK_DKIM_DEFAULT_HEADERS                                             \
	"from:from:reply-to:subject:date:to:cc:message-id:in-reply-to:"     \
	"references:mime-version:content-type:content-transfer-encoding:"   \
	"list-unsubscribe:list-unsubscribe-post:list-id:feedback-id"

struct sk_dkim_sign_opts {
	const char *domain;    /* d= (required) */
	const char *selector;  /* s= (required) */
	const char *identity;  /* i= (optional; must be within d=) */
	enum sk_dkim_canon hcanon, bcanon; /* header and body; zero is
	                                      simple, the RFC's default */
	/* Colon-separated header names to sign, in order; NULL gives
	 * SK_DKIM_DEFAULT_HEADERS (present fields, plus From oversigned). */
	const char *headers;
	time_t timestamp;      /* t=; 0 means now; (time_t)-1 omits t= */
	unsigned long expire;  /* x = t + expire seconds; 0 omits x= */
	bool body_length;      /* add l= with the body length signed */
};

struct sk_dkim_sign;

/*
 * Start signing one message.  The algorithm follows the key
 * (rsa-sha256 or ed25519-sha256).  Caller ends with sk_dkim_sign_finish()
 * or frees with sk_dkim_sign_free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_dkim_sign_start(const struct sk_dkim_signer *s,
		   const struct sk_dkim_sign_opts *opts,
		   struct sk_dkim_sign **out, struct sk_err *err);

/* Feed message bytes (header and body, in order, any split). */
SK_API SK_WARN_UNUSED sk_status
sk_dkim_sign_update(struct sk_dkim_sign *ctx, const void *data, size_t len,
		    struct sk_err *err);

/*
 * Finish: *header receives the complete field "DKIM-Signature: v=1;
 * a=...; ... b=..." folded with CRLF + tab at 78 columns, without a final
 * CRLF; prepend it (with a line end) to the message.  SK_ESYNTAX when the
 * message has no From header field (RFC 6376 section 5.4) or no header/
 * body separation.  Caller frees *header with free().  ctx is freed.
 */
SK_API SK_WARN_UNUSED sk_status
sk_dkim_sign_finish(struct sk_dkim_sign *ctx, char **header,
		    struct sk_err *err);

/* Abandon a signing context.  Accepts NULL. */
SK_API void
sk_dkim_sign_free(struct sk_dkim_sign *ctx);

/* ------------------------------------------------------------ verifying */

/* Result of one signature, with RFC 8601 section 2.7.1 meanings. */
enum sk_dkim_result {
	SK_DKIM_NONE = 0,   /* (message level) no signature */
	SK_DKIM_PASS,
	SK_DKIM_FAIL,       /* verification failed: body hash or signature */
	SK_DKIM_NEUTRAL,    /* could not be processed (see reason) */
	SK_DKIM_TEMPERROR,  /* key could not be fetched now (DNS) */
	SK_DKIM_PERMERROR,  /* unrecoverable: malformed, key missing or
	                       revoked, refused algorithm or key size, ... */
};

/* "none", "pass", "fail", "neutral", "temperror", "permerror". */
SK_API const char *
sk_dkim_result_str(enum sk_dkim_result r);

/* One signature's verdict.  Strings owned by the verifier. */
struct sk_dkim_sig_result {
	enum sk_dkim_result result;
	/* Stable reason id ("ok", "body-hash-mismatch", "signature-mismatch",
	 * "key-revoked", "key-too-small", "key-missing", "key-syntax",
	 * "key-type-mismatch", "key-hash-not-allowed", "key-not-email",
	 * "key-strict-identity", "signature-expired", "signature-future",
	 * "tag-missing", "signature-syntax", "version-unsupported",
	 * "algorithm-unsupported", "sha1-refused", "identity-outside-domain",
	 * "from-not-signed", "dns-tempfail", "not-checked") and a sentence. */
	const char *reason;
	const char *detail;
	const char *domain;    /* d= ("" when unreadable) */
	const char *selector;  /* s= */
	const char *identity;  /* i= (default "@" + d=) */
	const char *algorithm; /* a= as written */
	const char *canon;     /* c= normalised, "relaxed/simple" */
	const char *headers;   /* h= as written, FWS removed */
	const char *b_prefix;  /* first 8 characters of b= (RFC 6008), for
	                          header.b in Authentication-Results */
	long long timestamp;   /* t=, -1 if absent */
	long long expire;      /* x=, -1 if absent */
	long long length;      /* l=, -1 if absent */
	unsigned key_bits;     /* 0 when no key was read */
	bool testing;          /* key has t=y */
	bool body_hash_ok;     /* bh= matched */
};

struct sk_dkim_verify_opts {
	time_t now;              /* for x= and t=; 0 means time(NULL) */
	unsigned min_rsa_bits;   /* 0 means SK_DKIM_RSA_MIN_BITS */
	bool allow_sha1;         /* accept rsa-sha1 (RFC 8301 says no) */
	unsigned long clock_skew;/* seconds of t= in the future tolerated;
	                            0 means 300 */
};

struct sk_dkim_verify;

/*
 * Start verifying one message.  `r` fetches the keys; questions go out as
 * soon as the header block has been read, while the body is still being
 * fed.  Caller frees with sk_dkim_verify_free().
 */
SK_API SK_WARN_UNUSED sk_status
sk_dkim_verify_new(struct sk_resolver *r,
		   const struct sk_dkim_verify_opts *opts,
		   struct sk_dkim_verify **out, struct sk_err *err);

/* Feed message bytes (header and body, in order, any split).  Errors are
 * only SK_ENOMEM and SK_ETOOBIG (header over SK_DKIM_MAX_HEADER); a
 * malformed message is a result, not an error. */
SK_API SK_WARN_UNUSED sk_status
sk_dkim_verify_update(struct sk_dkim_verify *v, const void *data, size_t len,
		      struct sk_err *err);

/* The message is complete: run the resolver until every key is known and
 * compute every result. */
SK_API SK_WARN_UNUSED sk_status
sk_dkim_verify_finish(struct sk_dkim_verify *v, struct sk_err *err);

/* The same without blocking: cb runs from sk_resolver_run() once every
 * result is known (status < 0 only for SK_ENOMEM). */
typedef void (*sk_dkim_verify_cb)(void *arg, sk_status status,
				  struct sk_dkim_verify *v);
SK_API SK_WARN_UNUSED sk_status
sk_dkim_verify_finish_start(struct sk_dkim_verify *v, sk_dkim_verify_cb cb,
			    void *arg, struct sk_err *err);

/* Number of DKIM-Signature fields found (0: the message result is
 * "none"), and the verdict of each in header order.  Valid after finish. */
SK_API size_t
sk_dkim_verify_count(const struct sk_dkim_verify *v);
SK_API const struct sk_dkim_sig_result *
sk_dkim_verify_result(const struct sk_dkim_verify *v, size_t i);

/*
 * Ready v for the next message, as if it came from sk_dkim_verify_new()
 * with the same resolver and options (opts->now == 0: the clock is read
 * again).  The results of the previous message are gone; pending key
 * questions are dropped.  Buffers and digest contexts are kept, so that a
 * verifier reused message after message allocates next to nothing (the
 * resolver's cache still holds the keys).  Accepts NULL.
 */
SK_API void
sk_dkim_verify_reset(struct sk_dkim_verify *v);

/* Accepts NULL.  Pending key questions are dropped. */
SK_API void
sk_dkim_verify_free(struct sk_dkim_verify *v);

#ifdef __cplusplus
}
#endif

#endif /* SENDERKIT_DKIM_H */
