/*
 * lib/dkim/canon.c - DKIM canonicalization, RFC 6376 section 3.4: header
 * fields simple (3.4.1) and relaxed (3.4.2); body simple (3.4.3) and
 * relaxed (3.4.4) as a stream into a digest, with the body length limit
 * l= (3.5, 3.4.5) and the header selection of sections 3.7 and 5.4.2.
 */
#include <string.h>
#include "sigcanon.h"

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

sk_status
sk__dkim_canon_header(enum sk_dkim_canon c, const char *field, size_t len,
		      struct sk_buf *out)
{
	size_t colon, n, i, end;
	sk_status st = SK_OK;
	bool wsp = false, any = false;

	if (c == SK_DKIM_SIMPLE)
		return sk__buf_add(out, field, len);
	for (colon = 0; colon < len && field[colon] != ':'; colon++)
		;
	/* 3.4.2: lower-case name, no WSP before the colon. */
	n = colon;
	while (n > 0 && is_wsp(field[n - 1]))
		n--;
	for (i = 0; i < n && st == SK_OK; i++)
		st = sk__buf_addc(out, sk__lower(field[i]));
	if (st == SK_OK)
		st = sk__buf_addc(out, ':');
	end = len;
	if (end >= 2 && field[end - 2] == '\r' && field[end - 1] == '\n')
		end -= 2;
	/* Unfold (drop CRLF), WSP runs to one SP, none at either end. */
	for (i = colon + 1; i < end && st == SK_OK; i++) {
		char ch = field[i];

		if (ch == '\r' && i + 1 < end && field[i + 1] == '\n') {
			i++;
			continue;
		}
		if (is_wsp(ch)) {
			wsp = true;
			continue;
		}
		if (wsp && any)
			st = sk__buf_addc(out, ' ');
		wsp = false;
		any = true;
		if (st == SK_OK)
			st = sk__buf_addc(out, ch);
	}
	if (st == SK_OK)
		st = sk__buf_add(out, "\r\n", 2);
	return st;
}

sk_status
sk__dkim_body_init(struct sk__dkim_body *b, enum sk_dkim_canon c,
		   const EVP_MD *md, uint64_t limit)
{
	memset(b, 0, sizeof(*b));
	b->canon = c;
	b->md = md;
	b->limit = limit;
	b->ctx = EVP_MD_CTX_new();
	if (b->ctx == NULL)
		return SK_ENOMEM;
	if (EVP_DigestInit_ex(b->ctx, md, NULL) != 1) {
		EVP_MD_CTX_free(b->ctx);
		b->ctx = NULL;
		return SK_ECRYPTO;
	}
	return SK_OK;
}

void
sk__dkim_body_free(struct sk__dkim_body *b)
{
	if (b == NULL)
		return;
	EVP_MD_CTX_free(b->ctx);
	b->ctx = NULL;
}

static void
flush(struct sk__dkim_body *b)
{
	uint64_t room;
	size_t n = b->stage_len;

	b->stage_len = 0;
	if (n == 0)
		return;
	/* l=: hash only the first `limit` canonical bytes. */
	room = b->limit - (b->total < b->limit ? b->total : b->limit);
	b->total += n;
	if (room < n)
		n = (size_t)room;
	if (n > 0 && !b->failed &&
	    EVP_DigestUpdate(b->ctx, b->stage, n) != 1)
		b->failed = true;
}

static void
out_byte(struct sk__dkim_body *b, unsigned char c)
{
	if (b->stage_len == sizeof(b->stage))
		flush(b);
	b->stage[b->stage_len++] = c;
}

static void
out_crlfs(struct sk__dkim_body *b)
{
	for (; b->crlf_pending > 0; b->crlf_pending--) {
		out_byte(b, '\r');
		out_byte(b, '\n');
	}
}

/* A byte that is not part of a line end. */
static void
content(struct sk__dkim_body *b, unsigned char c)
{
	if (b->canon == SK_DKIM_RELAXED && (c == ' ' || c == '\t')) {
		b->wsp = true; /* 3.4.4 a: runs to one SP, none at EOL */
		return;
	}
	out_crlfs(b);
	if (b->wsp) {
		out_byte(b, ' ');
		b->wsp = false;
	}
	out_byte(b, c);
	b->any = true;
}

sk_status
sk__dkim_body_update(struct sk__dkim_body *b, const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	size_t i;

	for (i = 0; i < len; i++) {
		unsigned char c = p[i];

		if (b->cr) {
			b->cr = false;
			if (c == '\n') {
				/* A line end: held back until more content
				 * shows it is not trailing; relaxed drops the
				 * WSP before it. */
				b->wsp = false;
				b->crlf_pending++;
				continue;
			}
			content(b, '\r');
		}
		if (c == '\r')
			b->cr = true;
		else
			content(b, c);
	}
	return b->failed ? SK_ECRYPTO : SK_OK;
}

sk_status
sk__dkim_body_final(struct sk__dkim_body *b)
{
	if (b->cr) {
		b->cr = false;
		content(b, '\r');
	}
	/* 3.4.3: the body ends with exactly one CRLF, an empty body is one
	 * CRLF.  3.4.4: trailing empty lines go; an empty body stays empty;
	 * a last line without CRLF gets one. */
	b->wsp = false;
	b->crlf_pending = 0;
	if (b->any || b->canon == SK_DKIM_SIMPLE) {
		out_byte(b, '\r');
		out_byte(b, '\n');
	}
	flush(b);
	if (b->failed ||
	    EVP_DigestFinal_ex(b->ctx, b->digest, &b->digest_len) != 1)
		return SK_ECRYPTO;
	return SK_OK;
}

sk_status
sk__dkim_hash_headers(const struct sk__msg *m, enum sk_dkim_canon c,
		      const struct sk__dkim_hname *names, size_t n,
		      struct sk_buf *out)
{
	bool *used;
	size_t k;
	sk_status st = SK_OK;

	if (m->nfields == 0)
		return SK_OK;
	used = sk__calloc(m->nfields, sizeof(*used));
	if (used == NULL)
		return SK_ENOMEM;
	for (k = 0; k < n && st == SK_OK; k++) {
		size_t j = m->nfields;

		/* 5.4.2: instances are taken from the bottom up. */
		while (j > 0) {
			j--;
			if (!used[j] &&
			    sk__msg_field_is(m, j, names[k].p, names[k].len)) {
				used[j] = true;
				st = sk__dkim_canon_header(c,
				    sk__msg_field_raw(m, j), m->fields[j].len,
				    out);
				break;
			}
		}
	}
	sk__free(used);
	return st;
}
