/*
 * lib/msg/msg_internal.h - a push parser that splits a raw message into
 * its header fields and its body (RFC 5322 sections 2.1, 2.2 and 2.2.3).
 * Not installed.
 *
 * Bytes go in in pieces of any size.  Line ends are normalised: a bare LF
 * becomes CRLF (the message as it would be on the wire).  The header block
 * is kept (capped at the size given to init) and cut into fields: each
 * field is the raw bytes of its first line and its continuation lines,
 * CRLFs included.  The blank line that ends the header block is not part
 * of any field.  After it, body bytes (normalised too) go to a callback
 * and are not stored.
 */
#ifndef SK_MSG_INTERNAL_H
#define SK_MSG_INTERNAL_H

#include "util/util.h"

/* One header field: a slice of the header block. */
struct sk__msg_field {
	size_t off;      /* of the first byte of the name */
	size_t len;      /* raw bytes, through the final CRLF */
	size_t name_len; /* bytes before ':' less trailing WSP; 0 when the
	                    line has no ':' (such a field matches no name) */
};

/* Called once, when the header block is complete (before any body byte).
 * A non-zero status stops the parser and is returned by update/finish. */
typedef sk_status (*sk__msg_header_cb)(void *arg);
/* Called with normalised body bytes. */
typedef sk_status (*sk__msg_body_cb)(void *arg, const char *data,
				     size_t len);

struct sk__msg {
	struct sk_buf hdr;           /* the header block, CRLF line ends */
	struct sk__msg_field *fields;
	size_t nfields, afields;
	size_t line_start;           /* of the line being read in hdr */
	bool in_body;
	bool separated;              /* a blank line ended the header */
	bool finished;
	bool prev_cr;                /* last byte seen was CR */
	sk_status sticky;            /* first error, repeated after */
	sk__msg_header_cb on_header;
	sk__msg_body_cb on_body;
	void *arg;
};

/* Set up a parser; header_cap bounds the header block in bytes.  Either
 * callback may be NULL.  Never fails; release with sk__msg_free(). */
void sk__msg_init(struct sk__msg *m, size_t header_cap,
		  sk__msg_header_cb on_header, sk__msg_body_cb on_body,
		  void *arg);

/* Feed bytes.  SK_ETOOBIG when the header block goes over the cap,
 * SK_ENOMEM, or what a callback returned.  Errors are sticky. */
sk_status sk__msg_update(struct sk__msg *m, const void *data, size_t len,
			 struct sk_err *err);

/* End of input.  A header block without a blank line is completed (a
 * last line without CRLF gets one) and the body is empty; m->separated
 * tells whether the blank line was there.  Calls on_header when it was
 * not called yet. */
sk_status sk__msg_finish(struct sk__msg *m, struct sk_err *err);

/* Raw bytes of field i. */
static inline const char *
sk__msg_field_raw(const struct sk__msg *m, size_t i)
{
	return m->hdr.p + m->fields[i].off;
}

/* True when field i is named `name` (ASCII case-insensitive). */
bool sk__msg_field_is(const struct sk__msg *m, size_t i, const char *name,
		      size_t name_len);

void sk__msg_free(struct sk__msg *m);

/* Ready m for the next message, the callbacks kept; the header buffer
 * and the field array are kept for reuse (no allocation). */
void sk__msg_reset(struct sk__msg *m);

/* ----- addresses (addr.c): RFC 5322 section 3.4 address lists, for the
 * Author Domains of RFC5322.From (RFC 9989 section 5.3.1). */

/* Longest field body parsed; longer is SK_ETOOBIG. */
#define SK__ADDR_MAX_FIELD (64 * 1024)
/* Mailboxes kept per field; more is SK_ETOOBIG. */
#define SK__ADDR_MAX_MAILBOXES 64
/* Comment nesting accepted. */
#define SK__ADDR_MAX_COMMENT_DEPTH 32

struct sk__addr_mailbox {
	/* The domain without CFWS, as written (case kept); a domain
	 * literal keeps its brackets ("[192.0.2.1]"). */
	char domain[256];
	size_t domain_len;
	bool literal;        /* a domain-literal, not a domain name */
	size_t offset;       /* of the addr-spec in the field body */
	bool in_group;
};

struct sk__addr_list {
	size_t n;
	struct sk__addr_mailbox mb[SK__ADDR_MAX_MAILBOXES];
	size_t ngroups;      /* groups seen (RFC 5322 3.4 group syntax) */
	size_t err_offset;   /* on SK_ESYNTAX */
	const char *err_msg; /* static sentence on SK_ESYNTAX/ETOOBIG */
};

/*
 * Parse a field body (after "Field:", folding allowed) as an
 * address-list: mailboxes (name-addr or addr-spec), groups, quoted
 * strings, nested comments, obsolete routes, phrases with dots, empty
 * list elements (RFC 5322 4.4).  SK_OK with out->n mailboxes (0 for an
 * empty group); SK_ESYNTAX with err_offset and err_msg; SK_ETOOBIG over
 * SK__ADDR_MAX_FIELD or SK__ADDR_MAX_MAILBOXES.  Never allocates.
 */
sk_status sk__addr_parse_list(const char *p, size_t len,
			      struct sk__addr_list *out);

/* ----- Authentication-Results (authres.c): RFC 8601 section 2.2. */

#define SK__AUTHRES_MAX_PROPS 8

struct sk__authres_prop {
	const char *ptype;    /* "smtp", "header", "body", "policy" */
	const char *property; /* "mailfrom", "d", "from", ... */
	const char *value;    /* quoted when not a token or an address */
};

struct sk__authres_method {
	const char *method;   /* "spf", "dkim", "dmarc" */
	const char *result;   /* "pass" ... */
	const char *comment;  /* put in parentheses after the result, or
	                         NULL */
	const char *reason;   /* reason="..." or NULL */
	size_t nprops;
	struct sk__authres_prop props[SK__AUTHRES_MAX_PROPS];
};

/*
 * "Authentication-Results: <authserv-id>; m=r (c) reason="x" p.q=v;
 * ..." folded at 78 columns with CRLF TAB between elements when `fold`
 * (one line otherwise), no final CRLF.  "none" for an empty list (RFC
 * 8601 section 2.2).  SK_EINVAL for an empty or malformed authserv-id,
 * method, result, ptype or property name; caller frees *out with
 * sk__free.
 */
sk_status sk__authres_format(const char *authserv_id,
			     const struct sk__authres_method *m, size_t n,
			     bool fold, char **out, struct sk_err *err);

/* True when s[0..len) is an RFC 2045 token (no quoting needed). */
bool sk__authres_is_token(const char *s, size_t len);

#endif /* SK_MSG_INTERNAL_H */
