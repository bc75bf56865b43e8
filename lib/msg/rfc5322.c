/*
 * lib/msg/rfc5322.c - header/body splitting push parser: RFC 5322 section
 * 2.1 (header fields, blank line, body), 2.2 (field name and ':') and
 * 2.2.3 (folding: a line starting with WSP continues the field above).
 * A bare LF counts as CRLF, as RFC 6376 section 5.3 asks of signers and
 * verifiers handling local line ends.
 */
#include <string.h>
#include "msg_internal.h"

#define BODY_CHUNK 4096

void
sk__msg_init(struct sk__msg *m, size_t header_cap,
	     sk__msg_header_cb on_header, sk__msg_body_cb on_body, void *arg)
{
	memset(m, 0, sizeof(*m));
	sk__buf_init(&m->hdr, header_cap);
	m->on_header = on_header;
	m->on_body = on_body;
	m->arg = arg;
}

void
sk__msg_free(struct sk__msg *m)
{
	if (m == NULL)
		return;
	sk__buf_free(&m->hdr);
	sk__free(m->fields);
	m->fields = NULL;
	m->nfields = m->afields = 0;
}

bool
sk__msg_field_is(const struct sk__msg *m, size_t i, const char *name,
		 size_t name_len)
{
	const struct sk__msg_field *f = &m->fields[i];

	return f->name_len != 0 &&
	       sk__eq_nocase(m->hdr.p + f->off, f->name_len, name, name_len);
}

static sk_status
new_field(struct sk__msg *m, size_t off, size_t len)
{
	struct sk__msg_field *f;
	const char *p = m->hdr.p + off;
	size_t i, n;

	if (m->nfields == m->afields) {
		size_t na = m->afields ? m->afields * 2 : 16;
		struct sk__msg_field *nf;

		nf = sk__realloc(m->fields, na * sizeof(*nf));
		if (nf == NULL)
			return SK_ENOMEM;
		m->fields = nf;
		m->afields = na;
	}
	f = &m->fields[m->nfields++];
	f->off = off;
	f->len = len;
	f->name_len = 0;
	for (i = 0; i < len && p[i] != ':'; i++)
		;
	if (i < len) {
		/* obs-optional: WSP before the colon (RFC 5322 4.5.8) */
		n = i;
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		f->name_len = n;
	}
	return SK_OK;
}

/* A complete header line [line_start, hdr.len) ending in CRLF. */
static sk_status
header_line(struct sk__msg *m)
{
	size_t start = m->line_start, len = m->hdr.len - start;
	const char *p = m->hdr.p + start;
	sk_status st = SK_OK;

	m->line_start = m->hdr.len;
	if (len == 2) {
		m->in_body = true;
		m->separated = true;
		return SK_OK;
	}
	if ((p[0] == ' ' || p[0] == '\t') && m->nfields > 0) {
		struct sk__msg_field *f = &m->fields[m->nfields - 1];

		f->len = m->hdr.len - f->off;
		return SK_OK;
	}
	st = new_field(m, start, len);
	return st;
}

static sk_status
header_done(struct sk__msg *m)
{
	if (m->on_header != NULL)
		return m->on_header(m->arg);
	return SK_OK;
}

static sk_status
emit_body(struct sk__msg *m, const char *p, size_t n)
{
	if (n == 0 || m->on_body == NULL)
		return SK_OK;
	return m->on_body(m->arg, p, n);
}

/* Body bytes with bare LF turned into CRLF, in chunks. */
static sk_status
body_bytes(struct sk__msg *m, const unsigned char *p, size_t len)
{
	char out[BODY_CHUNK];
	size_t o = 0, i, run = 0;
	sk_status st;

	/* Fast path: runs without a bare LF go straight through. */
	for (i = 0; i < len; i++) {
		if (p[i] == '\n' && !(i > 0 ? p[i - 1] == '\r' : m->prev_cr)) {
			st = emit_body(m, (const char *)p + run, i - run);
			if (st != SK_OK)
				return st;
			out[o++] = '\r';
			out[o++] = '\n';
			st = emit_body(m, out, o);
			if (st != SK_OK)
				return st;
			o = 0;
			run = i + 1;
		}
	}
	if (len > 0)
		m->prev_cr = p[len - 1] == '\r';
	return emit_body(m, (const char *)p + run, len - run);
}

sk_status
sk__msg_update(struct sk__msg *m, const void *data, size_t len,
	       struct sk_err *err)
{
	const unsigned char *p = data;
	size_t i;
	sk_status st = SK_OK;
	bool was_body = m->in_body;

	if (m->sticky != SK_OK)
		return sk__err(err, m->sticky, "message parsing stopped");
	for (i = 0; i < len && !m->in_body; i++) {
		unsigned char c = p[i];

		if (c == '\n') {
			if (!m->prev_cr)
				st = sk__buf_addc(&m->hdr, '\r');
			if (st == SK_OK)
				st = sk__buf_addc(&m->hdr, '\n');
			if (st == SK_OK)
				st = header_line(m);
			if (st == SK_OK && m->in_body)
				st = header_done(m);
		} else {
			st = sk__buf_addc(&m->hdr, (char)c);
		}
		m->prev_cr = c == '\r';
		if (st != SK_OK)
			goto fail;
	}
	if (!was_body && m->in_body)
		m->prev_cr = false; /* the blank line's LF was seen */
	if (i < len) {
		st = body_bytes(m, p + i, len - i);
		if (st != SK_OK)
			goto fail;
	}
	return SK_OK;
fail:
	m->sticky = st;
	if (st == SK_ETOOBIG)
		return sk__err(err, st, "header block over %zu bytes",
			       m->hdr.cap);
	return sk__err(err, st, "%s", sk_strerror(st));
}

sk_status
sk__msg_finish(struct sk__msg *m, struct sk_err *err)
{
	sk_status st = SK_OK;

	if (m->sticky != SK_OK)
		return sk__err(err, m->sticky, "message parsing stopped");
	if (m->finished)
		return SK_OK;
	m->finished = true;
	if (m->in_body)
		return SK_OK;
	/* No blank line: the whole message is a header block. */
	if (m->hdr.len > m->line_start) {
		if (m->prev_cr)
			st = sk__buf_addc(&m->hdr, '\n');
		else
			st = sk__buf_add(&m->hdr, "\r\n", 2);
		if (st == SK_OK && m->hdr.len - m->line_start > 2)
			st = header_line(m);
	}
	m->in_body = true;
	if (st == SK_OK)
		st = header_done(m);
	if (st != SK_OK) {
		m->sticky = st;
		return sk__err(err, st, "%s", sk_strerror(st));
	}
	return SK_OK;
}
