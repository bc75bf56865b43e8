/*
 * lib/msg/addr.c - address lists of header fields, for the Author
 * Domains of RFC5322.From:
 *
 *   RFC 5322 section 3.2.2  CFWS: folding white space and comments,
 *                           nested, with quoted-pairs;
 *   RFC 5322 section 3.2.3  atoms and dot-atoms (bytes >= 0x80 taken as
 *                           atext, RFC 6532 section 3.2);
 *   RFC 5322 section 3.2.4  quoted strings;
 *   RFC 5322 section 3.4    address-list, mailbox, name-addr,
 *                           angle-addr, group, addr-spec;
 *   RFC 5322 section 3.4.1  local-part "@" domain, domain literals;
 *   RFC 5322 section 4.4    obsolete forms: phrases with ".", routes
 *                           ("<@a,@b:x@y>"), CFWS around dots, empty
 *                           list elements.
 *
 * The field is untrusted.  Anything not in the grammar is a syntax error
 * with its offset: a stray '>' (OpenDMARC issue 342), an unclosed
 * comment or quoted string, a nested group.  The caller then has no
 * Author Domain it can trust, which DMARC evaluation turns into a
 * permerror, never into a pass.
 */
#include <string.h>
#include "msg_internal.h"

enum tok {
	T_END = 0,
	T_ATOM,    /* run of atext */
	T_QSTR,    /* quoted-string */
	T_DLIT,    /* domain-literal */
	T_SPECIAL, /* one of ()<>[]:;@\,. (comments are skipped) */
	T_ERROR,
};

struct lex {
	const unsigned char *p;
	size_t len, pos;
	enum tok t;
	size_t start, end;     /* token bytes [start, end) */
	char c;                /* the special */
	size_t err_offset;
	const char *err_msg;
};

/* atext of RFC 5322 section 3.2.3, plus UTF-8 bytes (RFC 6532). */
static bool
is_atext(unsigned char c)
{
	if (c >= 0x80)
		return true;
	if (sk__isalnum(c))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static bool
is_ws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static void
lex_fail(struct lex *l, size_t off, const char *msg)
{
	l->t = T_ERROR;
	l->err_offset = off;
	l->err_msg = msg;
}

/* Skip CFWS (section 3.2.2).  False after an error. */
static bool
skip_cfws(struct lex *l)
{
	size_t depth = 0, open = 0;

	while (l->pos < l->len) {
		unsigned char c = l->p[l->pos];

		if (depth == 0 && is_ws(c)) {
			l->pos++;
		} else if (c == '(') {
			if (depth == 0)
				open = l->pos;
			if (++depth > SK__ADDR_MAX_COMMENT_DEPTH) {
				lex_fail(l, l->pos, "comments nested too deep");
				return false;
			}
			l->pos++;
		} else if (depth > 0 && c == ')') {
			depth--;
			l->pos++;
		} else if (depth > 0 && c == '\\') {
			l->pos += l->pos + 1 < l->len ? 2 : 1;
		} else if (depth > 0) {
			if (c == '\0') {
				lex_fail(l, l->pos, "NUL byte in a comment");
				return false;
			}
			l->pos++;
		} else {
			break;
		}
	}
	if (depth > 0) {
		lex_fail(l, open, "unterminated comment");
		return false;
	}
	return true;
}

/* Read the next token into l->t. */
static void
next(struct lex *l)
{
	unsigned char c;

	if (l->t == T_ERROR)
		return;
	if (!skip_cfws(l))
		return;
	l->start = l->pos;
	if (l->pos >= l->len) {
		l->t = T_END;
		l->end = l->pos;
		return;
	}
	c = l->p[l->pos];
	if (is_atext(c)) {
		while (l->pos < l->len && is_atext(l->p[l->pos]))
			l->pos++;
		l->t = T_ATOM;
	} else if (c == '"' || c == '[') {
		unsigned char close = c == '"' ? '"' : ']';

		l->pos++;
		for (;;) {
			if (l->pos >= l->len) {
				lex_fail(l, l->start, c == '"' ?
					 "unterminated quoted string" :
					 "unterminated domain literal");
				return;
			}
			c = l->p[l->pos];
			if (c == close)
				break;
			if (c == '\\' && l->pos + 1 < l->len &&
			    l->p[l->pos + 1] != '\0') {
				l->pos += 2; /* quoted-pair (NUL refused) */
				continue;
			}
			if (c == '\0' || (close == ']' && c == '[')) {
				lex_fail(l, l->pos, "bad byte in a quoted "
					 "string or domain literal");
				return;
			}
			l->pos++;
		}
		l->pos++;
		l->t = close == '"' ? T_QSTR : T_DLIT;
	} else if (strchr("<>:;@,.]\\)", c) != NULL) {
		l->pos++;
		l->t = T_SPECIAL;
		l->c = (char)c;
	} else {
		lex_fail(l, l->pos, "character not allowed in an address");
		return;
	}
	l->end = l->pos;
}

static bool
is_special(const struct lex *l, char c)
{
	return l->t == T_SPECIAL && l->c == c;
}

static bool
is_word(const struct lex *l)
{
	return l->t == T_ATOM || l->t == T_QSTR;
}

struct parser {
	struct lex l;
	struct sk__addr_list *out;
	bool in_group;
};

static sk_status
syntax(struct parser *ps, size_t off, const char *msg)
{
	if (ps->l.t == T_ERROR) {
		ps->out->err_offset = ps->l.err_offset;
		ps->out->err_msg = ps->l.err_msg;
	} else {
		ps->out->err_offset = off;
		ps->out->err_msg = msg;
	}
	return SK_ESYNTAX;
}

/*
 * domain = dot-atom / domain-literal / obs-domain (section 3.4.1 and
 * 4.4): atoms joined by dots, CFWS allowed around them.  The current
 * token is the first of the domain.
 */
static sk_status
parse_domain(struct parser *ps, struct sk__addr_mailbox *mb)
{
	struct lex *l = &ps->l;
	size_t n;

	mb->domain_len = 0;
	if (l->t == T_DLIT) {
		n = l->end - l->start;
		if (n >= sizeof(mb->domain))
			return syntax(ps, l->start, "domain literal too long");
		memcpy(mb->domain, l->p + l->start, n);
		mb->domain[n] = '\0';
		mb->domain_len = n;
		mb->literal = true;
		next(l);
		return SK_OK;
	}
	for (;;) {
		if (l->t != T_ATOM)
			return syntax(ps, l->start, "domain expected after '@'"
				      " or '.'");
		n = l->end - l->start;
		if (mb->domain_len + n + 1 >= sizeof(mb->domain))
			return syntax(ps, l->start, "domain name too long");
		memcpy(mb->domain + mb->domain_len, l->p + l->start, n);
		mb->domain_len += n;
		next(l);
		if (!is_special(l, '.'))
			break;
		mb->domain[mb->domain_len++] = '.';
		next(l);
	}
	mb->domain[mb->domain_len] = '\0';
	return SK_OK;
}

static sk_status
add_mailbox(struct parser *ps, struct sk__addr_mailbox **mb, size_t off)
{
	struct sk__addr_list *o = ps->out;

	if (o->n >= SK__ADDR_MAX_MAILBOXES) {
		o->err_offset = off;
		o->err_msg = "too many mailboxes";
		return SK_ETOOBIG;
	}
	*mb = &o->mb[o->n++];
	memset(*mb, 0, sizeof(**mb));
	(*mb)->offset = off;
	(*mb)->in_group = ps->in_group;
	return SK_OK;
}

/* "@" domain after a local-part (the current token is '@'). */
static sk_status
finish_addr_spec(struct parser *ps, size_t off)
{
	struct sk__addr_mailbox *mb;
	sk_status st;

	st = add_mailbox(ps, &mb, off);
	if (st != SK_OK)
		return st;
	next(&ps->l);
	return parse_domain(ps, mb);
}

/*
 * angle-addr / obs-angle-addr (sections 3.4 and 4.4); the current token
 * is '<'.  A route "@a,@b:" before the addr-spec is skipped.
 */
static sk_status
parse_angle(struct parser *ps)
{
	struct lex *l = &ps->l;
	struct sk__addr_mailbox scratch;
	size_t off;
	sk_status st;
	bool dot_ok = false;

	next(l);
	if (is_special(l, '@') || is_special(l, ',')) {
		/* obs-route = obs-domain-list ":" */
		while (is_special(l, '@') || is_special(l, ',')) {
			if (is_special(l, ',')) {
				next(l);
				continue;
			}
			next(l);
			memset(&scratch, 0, sizeof(scratch));
			st = parse_domain(ps, &scratch);
			if (st != SK_OK)
				return st;
		}
		if (!is_special(l, ':'))
			return syntax(ps, l->start, "':' expected after a "
				      "route");
		next(l);
	}
	off = l->start;
	/* local-part = dot-atom / quoted-string / obs-local-part */
	for (;;) {
		if (!is_word(l)) {
			if (is_special(l, '>') && !dot_ok)
				return syntax(ps, l->start, "empty address "
					      "'<>' in a mailbox");
			return syntax(ps, l->start, "local part expected");
		}
		next(l);
		if (!is_special(l, '.'))
			break;
		next(l);
		dot_ok = true;
	}
	if (!is_special(l, '@'))
		return syntax(ps, l->start, "'@' expected in an address");
	st = finish_addr_spec(ps, off);
	if (st != SK_OK)
		return st;
	if (!is_special(l, '>'))
		return syntax(ps, l->start, "'>' expected after an address");
	next(l);
	return SK_OK;
}

/*
 * mailbox = name-addr / addr-spec; with allow_group, group =
 * display-name ":" [group-list] ";".  The words before the decisive
 * token are a display name (phrase / obs-phrase, dots allowed) or a
 * local-part (words separated by dots).
 */
static sk_status
parse_address(struct parser *ps, bool allow_group)
{
	struct lex *l = &ps->l;
	size_t off = l->start, nwords = 0;
	bool dots_only = true, last_dot = false;
	sk_status st;

	while (is_word(l) || is_special(l, '.')) {
		if (is_special(l, '.')) {
			if (nwords == 0 || last_dot)
				dots_only = false;
			last_dot = true;
		} else {
			if (nwords > 0 && !last_dot)
				dots_only = false;
			nwords++;
			last_dot = false;
		}
		next(l);
	}
	if (is_special(l, '<'))
		return parse_angle(ps);
	if (is_special(l, '@')) {
		/* addr-spec: the words are the local-part. */
		if (nwords == 0 || !dots_only || last_dot)
			return syntax(ps, off, "malformed local part");
		return finish_addr_spec(ps, off);
	}
	if (is_special(l, ':') && nwords > 0) {
		if (!allow_group)
			return syntax(ps, l->start, "group inside a group");
		ps->out->ngroups++;
		ps->in_group = true;
		next(l);
		/* group-list = mailbox-list / CFWS / obs-group-list */
		while (!is_special(l, ';')) {
			if (is_special(l, ',')) {
				next(l);
				continue;
			}
			if (l->t == T_END || l->t == T_ERROR)
				return syntax(ps, l->start, "';' expected at "
					      "the end of a group");
			st = parse_address(ps, false);
			if (st != SK_OK)
				return st;
			if (!is_special(l, ',') && !is_special(l, ';'))
				return syntax(ps, l->start, "',' or ';' "
					      "expected in a group");
		}
		ps->in_group = false;
		next(l);
		return SK_OK;
	}
	if (l->t == T_ERROR)
		return syntax(ps, off, "");
	if (is_special(l, '>'))
		return syntax(ps, l->start, "'>' without '<'");
	if (nwords == 0)
		return syntax(ps, l->start, "address expected");
	return syntax(ps, l->start, "'@' or '<' expected after a name");
}

sk_status
sk__addr_parse_list(const char *p, size_t len, struct sk__addr_list *out)
{
	struct parser ps;
	sk_status st;

	out->n = 0;
	out->ngroups = 0;
	out->err_offset = SK_NO_OFFSET;
	out->err_msg = NULL;
	if (len > SK__ADDR_MAX_FIELD) {
		out->err_msg = "address field too long";
		return SK_ETOOBIG;
	}
	memset(&ps, 0, sizeof(ps));
	ps.out = out;
	ps.l.p = (const unsigned char *)p;
	ps.l.len = len;
	ps.l.t = T_END;
	next(&ps.l);
	/* obs-addr-list = *([CFWS] ",") address *("," [address / CFWS]) */
	for (;;) {
		while (is_special(&ps.l, ','))
			next(&ps.l);
		if (ps.l.t == T_END)
			break;
		if (ps.l.t == T_ERROR)
			return syntax(&ps, 0, "");
		st = parse_address(&ps, true);
		if (st != SK_OK)
			return st;
		if (ps.l.t == T_END)
			break;
		if (!is_special(&ps.l, ','))
			return syntax(&ps, ps.l.start, ps.l.t == T_SPECIAL &&
				      ps.l.c == '>' ? "'>' without '<'" :
				      "',' expected between addresses");
	}
	return SK_OK;
}
