/*
 * lib/spf/header.c - the Received-SPF header field, RFC 7208 section 9.1
 * (result, comment, key-value-list with client-ip, envelope-from, helo,
 * problem, receiver, identity, mechanism), folded per RFC 5322 section
 * 2.2.3.
 */
#include <stdio.h>
#include <string.h>
#include "spf_internal.h"

#define HEADER_MAX 8192
#define FOLD_AT 78

/* Text inside a comment: quote '(' ')' '\' (RFC 5322 ccontent), drop
 * control bytes. */
static sk_status
add_ctext(struct sk_buf *b, const char *s)
{
	sk_status st = SK_OK;

	for (; *s != '\0' && st == SK_OK; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c > 0x7e)
			continue;
		if (c == '(' || c == ')' || c == '\\')
			st = sk__buf_addc(b, '\\');
		if (st == SK_OK)
			st = sk__buf_addc(b, (char)c);
	}
	return st;
}

/* dot-atom when the value is one, else a quoted-string. */
static bool
is_dot_atom(const char *s)
{
	bool prev_dot = true;

	if (*s == '\0')
		return false;
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '.') {
			if (prev_dot)
				return false;
			prev_dot = true;
			continue;
		}
		prev_dot = false;
		if (!sk__isalnum(c) && strchr("!#$%&'*+-/=?^_`{|}~", c) == NULL)
			return false;
	}
	return !prev_dot;
}

static sk_status
add_value(struct sk_buf *b, const char *key, const char *v, bool force_q)
{
	sk_status st;

	st = sk__buf_printf(b, " %s=", key);
	if (st != SK_OK)
		return st;
	if (!force_q && is_dot_atom(v))
		return sk__buf_printf(b, "%s;", v);
	st = sk__buf_addc(b, '"');
	for (; *v != '\0' && st == SK_OK; v++) {
		unsigned char c = (unsigned char)*v;

		if (c < 0x20 || c > 0x7e)
			continue;
		if (c == '"' || c == '\\')
			st = sk__buf_addc(b, '\\');
		if (st == SK_OK)
			st = sk__buf_addc(b, (char)c);
	}
	if (st == SK_OK)
		st = sk__buf_adds(b, "\";");
	return st;
}

static sk_status
comment(struct sk_buf *b, const struct sk_spf_outcome *o)
{
	const char *who = o->sender != NULL ? o->sender : "";
	const char *ip = o->ip != NULL ? o->ip : "";
	char text[1024];
	sk_status st;

	switch (o->result) {
	case SK_SPF_PASS:
		snprintf(text, sizeof(text), "domain of %s designates %s as "
			 "permitted sender", who, ip);
		break;
	case SK_SPF_FAIL:
		snprintf(text, sizeof(text), "domain of %s does not designate "
			 "%s as permitted sender", who, ip);
		break;
	case SK_SPF_SOFTFAIL:
		snprintf(text, sizeof(text), "domain of transitioning %s does "
			 "not designate %s as permitted sender", who, ip);
		break;
	case SK_SPF_NEUTRAL:
		snprintf(text, sizeof(text), "%s is neither permitted nor "
			 "denied by domain of %s", ip, who);
		break;
	case SK_SPF_NONE:
		snprintf(text, sizeof(text), "domain of %s does not provide "
			 "an SPF record", who);
		break;
	case SK_SPF_TEMPERROR:
		snprintf(text, sizeof(text), "temporary error evaluating the "
			 "SPF record of %s", who);
		break;
	default:
		snprintf(text, sizeof(text), "permanent error in the SPF "
			 "record of %s", who);
		break;
	}
	st = sk__buf_adds(b, " (");
	if (st == SK_OK && o->receiver != NULL && o->receiver[0] != '\0') {
		st = add_ctext(b, o->receiver);
		if (st == SK_OK)
			st = sk__buf_adds(b, ": ");
	}
	if (st == SK_OK)
		st = add_ctext(b, text);
	if (st == SK_OK)
		st = sk__buf_addc(b, ')');
	return st;
}

/* Fold the one-line field at spaces outside quoted-strings. */
static sk_status
fold(const char *line, struct sk_buf *out)
{
	size_t col = 0, i = 0, n = strlen(line);
	sk_status st = SK_OK;

	while (i < n && st == SK_OK) {
		size_t j = i + 1;
		bool q = line[i] == '"';

		/* A token runs to the next space outside quotes. */
		while (j < n && (q || line[j] != ' ')) {
			if (line[j] == '\\' && j + 1 < n)
				j++;
			else if (line[j] == '"')
				q = !q;
			j++;
		}
		if (line[i] == ' ' && col + (j - i) > FOLD_AT && col > 1) {
			st = sk__buf_adds(out, "\r\n");
			col = 0;
		}
		if (st == SK_OK)
			st = sk__buf_add(out, line + i, j - i);
		col += j - i;
		i = j;
	}
	return st;
}

SK_API sk_status
sk_spf_received_header(const struct sk_spf_outcome *o, bool fold_lines,
		       char **out, struct sk_err *err)
{
	struct sk_buf b, f;
	sk_status st;
	const char *id = o != NULL && o->identity == SK_SPF_ID_HELO
				 ? "helo"
				 : "mailfrom";

	if (o == NULL || out == NULL)
		return sk__err(err, SK_EINVAL, "missing argument");
	*out = NULL;
	sk__buf_init(&b, HEADER_MAX);
	st = sk__buf_printf(&b, "Received-SPF: %s",
			    sk_spf_result_str(o->result));
	if (st == SK_OK)
		st = comment(&b, o);
	if (st == SK_OK && o->ip != NULL)
		st = add_value(&b, "client-ip", o->ip, false);
	if (st == SK_OK && o->identity == SK_SPF_ID_MAILFROM &&
	    o->sender != NULL)
		st = add_value(&b, "envelope-from", o->sender, true);
	if (st == SK_OK && o->helo != NULL && o->helo[0] != '\0')
		st = add_value(&b, "helo", o->helo, false);
	if (st == SK_OK && o->receiver != NULL && o->receiver[0] != '\0')
		st = add_value(&b, "receiver", o->receiver, false);
	if (st == SK_OK)
		st = add_value(&b, "identity", id, false);
	if (st == SK_OK && o->mechanism != NULL)
		st = add_value(&b, "mechanism", o->mechanism, true);
	if (st == SK_OK && o->problem != NULL)
		st = add_value(&b, "problem", o->problem, true);
	/* No ';' after the last key-value pair. */
	if (st == SK_OK && b.len > 0 && b.p[b.len - 1] == ';')
		b.p[--b.len] = '\0';
	if (st == SK_OK && fold_lines) {
		sk__buf_init(&f, HEADER_MAX * 2);
		st = fold(b.p, &f);
		sk__buf_free(&b);
		b = f;
	}
	if (st != SK_OK) {
		sk__buf_free(&b);
		return sk__err(err, st, "cannot format Received-SPF: %s",
			       sk_strerror(st));
	}
	*out = sk__buf_take(&b);
	if (*out == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	return SK_OK;
}
