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

#endif /* SK_MSG_INTERNAL_H */
