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

void
sk__msg_reset(struct sk__msg *m)
{
	sk__buf_reset(&m->hdr);
	m->nfields = 0;
	m->line_start = 0;
	m->in_body = m->separated = m->finished = m->prev_cr = false;
	m->sticky = SK_OK;
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

/*
 * Body bytes with bare LF turned into CRLF.  Pieces without a bare LF go
 * straight to the callback; otherwise the converted bytes are gathered in
 * BODY_CHUNK pieces so that a bare-LF message does not make one call per
 * line.  Line ends are found with memchr.
 */
static sk_status
body_bytes(struct sk__msg *m, const unsigned char *p, size_t len)
{
	char out[BODY_CHUNK];
	size_t o = 0, i = 0, run = 0;
	const unsigned char *nl;
	sk_status st;

	if (len == 0)
		return SK_OK;
	for (;;) {
		size_t k, n;

		nl = memchr(p + i, '\n', len - i);
		if (nl == NULL)
			break;
		k = (size_t)(nl - p);
		i = k + 1;
		if (k > 0 ? p[k - 1] == '\r' : m->prev_cr)
			continue;
		/* A bare LF: [run, k) then CRLF go to out. */
		n = k - run;
		if (o + n + 2 > sizeof(out)) {
			st = emit_body(m, out, o);
			if (st != SK_OK)
				return st;
			o = 0;
			if (n + 2 > sizeof(out)) {
				st = emit_body(m, (const char *)p + run, n);
				if (st != SK_OK)
					return st;
				n = 0;
			}
		}
		memcpy(out + o, p + run, n);
		o += n;
		out[o++] = '\r';
		out[o++] = '\n';
		run = i;
	}
	m->prev_cr = p[len - 1] == '\r';
	if (o > 0 && o + (len - run) <= sizeof(out)) {
		memcpy(out + o, p + run, len - run);
		return emit_body(m, out, o + (len - run));
	}
	st = emit_body(m, out, o);
	if (st != SK_OK)
		return st;
	return emit_body(m, (const char *)p + run, len - run);
}

/* Header bytes: each line is appended whole (memchr for its LF), a bare
 * LF becoming CRLF. */
static sk_status
header_bytes(struct sk__msg *m, const unsigned char *p, size_t len,
	     size_t *used)
{
	size_t i = 0;
	sk_status st;

	while (i < len && !m->in_body) {
		const unsigned char *nl = memchr(p + i, '\n', len - i);
		size_t k = nl != NULL ? (size_t)(nl - p) : len;
		bool cr;

		st = sk__buf_add(&m->hdr, p + i, k - i);
		if (st != SK_OK) {
			*used = i;
			return st;
		}
		cr = k > i ? p[k - 1] == '\r' : m->prev_cr;
		i = k;
		if (nl == NULL) {
			m->prev_cr = cr;
			break;
		}
		i++;
		m->prev_cr = false;
		if (cr)
			st = sk__buf_add(&m->hdr, "\n", 1);
		else
			st = sk__buf_add(&m->hdr, "\r\n", 2);
		if (st == SK_OK)
			st = header_line(m);
		if (st == SK_OK && m->in_body)
			st = header_done(m);
		if (st != SK_OK) {
			*used = i;
			return st;
		}
	}
	*used = i;
	return SK_OK;
}

sk_status
sk__msg_update(struct sk__msg *m, const void *data, size_t len,
	       struct sk_err *err)
{
	const unsigned char *p = data;
	size_t i = 0;
	sk_status st = SK_OK;

	if (m->sticky != SK_OK)
		return sk__err(err, m->sticky, "message parsing stopped");
	if (!m->in_body) {
		st = header_bytes(m, p, len, &i);
		if (st != SK_OK)
			goto fail;
	}
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
