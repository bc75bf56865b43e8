/*
 * lib/dkim/sigcanon.h - what canon.c, sig.c, sign.c and verify.c share:
 * canonicalization (RFC 6376 section 3.4), the parsed DKIM-Signature
 * (section 3.5) and the header hash input (section 3.7).  Not installed.
 */
#ifndef SK_DKIM_SIGCANON_H
#define SK_DKIM_SIGCANON_H

#include <openssl/evp.h>
#include "dkim_internal.h"
#include "msg/msg_internal.h"

/* ------------------------------------------------------------ canon.c */

/* Append the canonical form of one raw header field (name through its
 * final CRLF) to out: simple (3.4.1) or relaxed (3.4.2). */
sk_status sk__dkim_canon_header(enum sk_dkim_canon c, const char *field,
				size_t len, struct sk_buf *out);

#define SK__DKIM_NO_LIMIT UINT64_MAX
#define SK__DKIM_BODY_STAGE 4096

/* Streaming body canonicalizer feeding a digest (3.4.3, 3.4.4, 3.7).
 * Only the first `limit` canonical bytes are hashed (l=, 3.5); `total`
 * counts every canonical byte. */
struct sk__dkim_body {
	enum sk_dkim_canon canon;
	const EVP_MD *md;
	uint64_t limit;
	uint64_t total;
	EVP_MD_CTX *ctx;
	uint64_t crlf_pending; /* line ends held back (trailing empty
	                          lines are dropped, 3.4.3/3.4.4) */
	bool cr;               /* a CR was seen, LF may follow */
	bool wsp;              /* relaxed: WSP run held back */
	bool any;              /* some non-line-end byte was output */
	bool failed;           /* digest failure (sticky) */
	size_t stage_len;
	unsigned char stage[SK__DKIM_BODY_STAGE];
	unsigned char digest[EVP_MAX_MD_SIZE];
	unsigned digest_len;
};

sk_status sk__dkim_body_init(struct sk__dkim_body *b, enum sk_dkim_canon c,
			     const EVP_MD *md, uint64_t limit);
/* Like sk__dkim_body_init, keeping b->ctx when it is not NULL (a body
 * of an earlier message, or NULL: then one is made). */
sk_status sk__dkim_body_reinit(struct sk__dkim_body *b, enum sk_dkim_canon c,
			       const EVP_MD *md, uint64_t limit);
sk_status sk__dkim_body_update(struct sk__dkim_body *b, const char *data,
			       size_t len);
/* Flush, finish the digest into b->digest. */
sk_status sk__dkim_body_final(struct sk__dkim_body *b);
void sk__dkim_body_free(struct sk__dkim_body *b);

/*
 * Header hash input (3.7): for each name of `names` (n of them), the last
 * not yet used instance of that field in m, bottom-up (5.4.2), in canon c;
 * a name without an instance left adds nothing.  Appended to out.
 */
struct sk__dkim_hname {
	const char *p;
	size_t len;
};
sk_status sk__dkim_hash_headers(const struct sk__msg *m,
				enum sk_dkim_canon c,
				const struct sk__dkim_hname *names, size_t n,
				struct sk_buf *out);

/* ------------------------------------------------------------ sig.c */

/* A parsed DKIM-Signature (3.5).  Strings are NUL-terminated copies
 * (sk__free'd by sk__dkim_sig_free), NULL when absent. */
struct sk__dkim_sig {
	/* Verdict of parsing: NULL when usable, else a reason id of
	 * struct sk_dkim_sig_result with a sentence in detail. */
	const char *reason;
	char detail[SK_ERR_MSG_MAX];

	char *v, *a, *d, *s, *i, *q, *z;
	char *h;              /* FWS removed */
	size_t h_len;
	char *b64;            /* b= with FWS removed */
	size_t b64_len;
	const char *auid;     /* i=, else "@" d= (3.5 i= default) */
	char *canon_str;      /* "relaxed/simple" */
	enum sk_dkim_alg alg;
	bool alg_known;
	enum sk_dkim_canon hcanon, bcanon;
	uint8_t *b, *bh;
	size_t blen, bhlen;
	long long t, x, l;    /* -1 when absent */
	struct sk__dkim_hname *names; /* slices of h */
	size_t nnames;
	/* The field's value with b='s value removed (3.7), as raw bytes of
	 * the whole field without its final CRLF. */
	char *unsigned_field;
	size_t unsigned_len;
	size_t room;          /* bytes after the struct (its one block) */
};

/*
 * Parse one raw DKIM-Signature field (name, ':', value, CRLF).  Returns
 * SK_ENOMEM or SK_OK; on SK_OK *out is set and (*out)->reason says
 * whether the signature is usable.  Checks: tag-list syntax, required
 * tags, v=1, a=, c=, q=, base64 of b= and bh=, numbers, x >= t, i= within
 * d=, From in h=.
 */
sk_status sk__dkim_sig_parse(const char *field, size_t len,
			     struct sk__dkim_sig **out);
/* The same, reusing *spare (a signature of an earlier message, or NULL)
 * for the result's block when it is large enough; *spare is then NULL
 * (taken or freed). */
sk_status sk__dkim_sig_parse_reuse(const char *field, size_t len,
				   struct sk__dkim_sig **spare,
				   struct sk__dkim_sig **out);
void sk__dkim_sig_free(struct sk__dkim_sig *sig);

/* A d= or s= value: dot-separated labels of letters, digits, '-' and
 * '_', each 1..63 bytes, 253 at most in all. */
bool sk__dkim_name_ok(const char *s);

/* i= domain part within d= (equal or a subdomain), 3.5 "i=". */
bool sk__dkim_identity_in_domain(const char *i, const char *d);

#endif /* SK_DKIM_SIGCANON_H */
