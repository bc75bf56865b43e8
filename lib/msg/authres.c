/*
 * lib/msg/authres.c - the Authentication-Results header field, RFC 8601:
 *
 *   section 2.2    syntax: authserv-id, resinfo = methodspec [reasonspec]
 *                  *propspec, "none" when there is no result;
 *   section 2.3    authserv-id is a value (token or quoted-string);
 *   section 2.7    ptypes smtp, header, body, policy; property names;
 *   RFC 2045 5.1   token and tspecials (value = token / quoted-string);
 *   RFC 5322 2.2.3 folding at white space, lines kept under 78 columns.
 */
#include <string.h>
#include "msg_internal.h"

#define AUTHRES_MAX (64 * 1024)
#define FOLD_COLUMNS 78

bool
sk__authres_is_token(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f)
			return false;
		if (strchr("()<>@,;:\\\"/[]?=", c) != NULL)
			return false;
	}
	return true;
}

/* dot-atom text of RFC 5322 section 3.2.3. */
static bool
is_dot_atom(const char *s, size_t len)
{
	size_t i;
	bool prev_dot = true;

	if (len == 0)
		return false;
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '.') {
			if (prev_dot)
				return false;
			prev_dot = true;
			continue;
		}
		if (!sk__isalnum(c) &&
		    strchr("!#$%&'*+-/=?^_`{|}~", c) == NULL)
			return false;
		prev_dot = false;
	}
	return !prev_dot;
}

/* RFC 8601 section 2.2 pvalue: a value, or [[local-part] "@"] domain
 * written bare. */
static bool
bare_pvalue(const char *v)
{
	size_t len = strlen(v);
	const char *at = memchr(v, '@', len);

	if (sk__authres_is_token(v, len))
		return true;
	if (at == NULL)
		return false;
	if (at != v && !is_dot_atom(v, (size_t)(at - v)))
		return false;
	return is_dot_atom(at + 1, len - (size_t)(at - v) - 1);
}

static sk_status
add_quoted(struct sk_buf *b, const char *v)
{
	sk_status st = sk__buf_addc(b, '"');

	for (; st == SK_OK && *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;

		if (c == '"' || c == '\\')
			st = sk__buf_addc(b, '\\');
		if (st == SK_OK)
			st = sk__buf_addc(b, (c < 0x20 || c == 0x7f) ? '?' :
					  (char)c);
	}
	if (st == SK_OK)
		st = sk__buf_addc(b, '"');
	return st;
}

static sk_status
add_value(struct sk_buf *b, const char *v, bool pvalue)
{
	if (pvalue ? bare_pvalue(v) : sk__authres_is_token(v, strlen(v)))
		return sk__buf_adds(b, v);
	return add_quoted(b, v);
}

/* A comment: parentheses, backslash, controls escaped or replaced. */
static sk_status
add_comment(struct sk_buf *b, const char *c)
{
	sk_status st = sk__buf_addc(b, '(');

	for (; st == SK_OK && *c != '\0'; c++) {
		unsigned char ch = (unsigned char)*c;

		if (ch == '(' || ch == ')' || ch == '\\')
			st = sk__buf_addc(b, '\\');
		if (st == SK_OK)
			st = sk__buf_addc(b, (ch < 0x20 || ch == 0x7f) ? ' ' :
					  (char)ch);
	}
	if (st == SK_OK)
		st = sk__buf_addc(b, ')');
	return st;
}

/* Keywords (method, result, ptype, property) are RFC 5321 Keyword-like:
 * letters, digits, '-', '_' and '.' for property names. */
static bool
keyword_ok(const char *s, bool dots)
{
	size_t i;

	if (s == NULL || s[0] == '\0')
		return false;
	for (i = 0; s[i] != '\0'; i++)
		if (!sk__isalnum(s[i]) && s[i] != '-' && s[i] != '_' &&
		    !(dots && s[i] == '.'))
			return false;
	return true;
}

struct folder {
	struct sk_buf out;
	size_t col;
	bool fold;
	sk_status st;
};

/* Append one unit (no break inside), preceded by a space or a fold. */
static void
unit(struct folder *f, const char *u, size_t n, bool first)
{
	if (f->st != SK_OK)
		return;
	if (!first) {
		if (f->fold && f->col + 1 + n > FOLD_COLUMNS) {
			f->st = sk__buf_add(&f->out, "\r\n\t", 3);
			f->col = 8;
		} else {
			f->st = sk__buf_addc(&f->out, ' ');
			f->col++;
		}
	}
	if (f->st == SK_OK)
		f->st = sk__buf_add(&f->out, u, n);
	f->col += n;
}

sk_status
sk__authres_format(const char *authserv_id,
		   const struct sk__authres_method *m, size_t n, bool fold,
		   char **out, struct sk_err *err)
{
	struct folder f;
	struct sk_buf u;
	size_t i, k;
	sk_status st = SK_OK;

	*out = NULL;
	if (authserv_id == NULL || authserv_id[0] == '\0')
		return sk__err(err, SK_EINVAL, "empty authserv-id");
	for (i = 0; i < n; i++) {
		if (!keyword_ok(m[i].method, false) ||
		    !keyword_ok(m[i].result, false))
			return sk__err(err, SK_EINVAL, "bad method or result "
				       "in result %zu", i);
		if (m[i].nprops > SK__AUTHRES_MAX_PROPS)
			return sk__err(err, SK_EINVAL, "too many properties");
		for (k = 0; k < m[i].nprops; k++)
			if (!keyword_ok(m[i].props[k].ptype, false) ||
			    !keyword_ok(m[i].props[k].property, true) ||
			    m[i].props[k].value == NULL)
				return sk__err(err, SK_EINVAL, "bad property "
					       "%zu of result %zu", k, i);
	}
	memset(&f, 0, sizeof(f));
	sk__buf_init(&f.out, AUTHRES_MAX);
	sk__buf_init(&u, AUTHRES_MAX);
	f.fold = fold;
	unit(&f, "Authentication-Results:", 23, true);
	f.st = f.st == SK_OK ? add_value(&u, authserv_id, false) : f.st;
	if (f.st == SK_OK)
		f.st = sk__buf_addc(&u, ';');
	if (f.st == SK_OK && n == 0)
		f.st = sk__buf_adds(&u, " none");
	unit(&f, u.p, u.len, false);
	for (i = 0; i < n && f.st == SK_OK; i++) {
		const struct sk__authres_method *r = &m[i];
		/* The last unit of a resinfo carries the ';'. */
		size_t nunits = 1 + (r->comment != NULL) +
				(r->reason != NULL) + r->nprops, done = 0;

		sk__buf_reset(&u);
		f.st = sk__buf_printf(&u, "%s=%s", r->method, r->result);
		if (f.st == SK_OK && ++done == nunits && i + 1 < n)
			f.st = sk__buf_addc(&u, ';');
		unit(&f, u.p, u.len, false);
		if (r->comment != NULL && f.st == SK_OK) {
			sk__buf_reset(&u);
			f.st = add_comment(&u, r->comment);
			if (f.st == SK_OK && ++done == nunits && i + 1 < n)
				f.st = sk__buf_addc(&u, ';');
			unit(&f, u.p, u.len, false);
		}
		if (r->reason != NULL && f.st == SK_OK) {
			sk__buf_reset(&u);
			f.st = sk__buf_adds(&u, "reason=");
			if (f.st == SK_OK)
				f.st = add_value(&u, r->reason, false);
			if (f.st == SK_OK && ++done == nunits && i + 1 < n)
				f.st = sk__buf_addc(&u, ';');
			unit(&f, u.p, u.len, false);
		}
		for (k = 0; k < r->nprops && f.st == SK_OK; k++) {
			sk__buf_reset(&u);
			f.st = sk__buf_printf(&u, "%s.%s=", r->props[k].ptype,
					      r->props[k].property);
			if (f.st == SK_OK)
				f.st = add_value(&u, r->props[k].value, true);
			if (f.st == SK_OK && ++done == nunits && i + 1 < n)
				f.st = sk__buf_addc(&u, ';');
			unit(&f, u.p, u.len, false);
		}
	}
	st = f.st;
	sk__buf_free(&u);
	if (st != SK_OK) {
		sk__buf_free(&f.out);
		return sk__err(err, st, "cannot format Authentication-Results:"
			       " %s", sk_strerror(st));
	}
	*out = sk__buf_take(&f.out);
	if (*out == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	return SK_OK;
}
