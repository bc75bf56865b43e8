/*
 * lib/net/domrules.c - the domain patterns an existing proxy rules file
 * allows, for `allowlist diff` of the domain formats:
 *
 *   squid   squid.conf(5) "acl NAME dstdomain [-n|-i] a .b ...": a leading
 *           dot matches the domain and its subdomains, no dot the name
 *           alone (Squid FAQ "ACL elements", dstdomain);
 *   pac     Netscape proxy auto-config: FindProxyForURL's `if` tests
 *           that lead to `return "DIRECT"` (dnsDomainIs, shExpMatch,
 *           localHostOrDomainIs, host == "x");
 *   hosts   one pattern a line ("*.x", ".x", "x"), '#' comments.
 *
 * Like rules.c, a reader, not a judge: what does not parse is skipped.
 * The PAC reader is a scanner that knows strings, comments and brackets,
 * not a JavaScript parser: it reads what generators and people commonly
 * write, and reads conditions it does not understand as allowing nothing
 * (so a diff errs towards "missing", never towards "covered").
 */
#include <string.h>

#include "net_internal.h"

/* Deepest nesting of wrapped parentheses a PAC condition may have. */
#define PAC_MAX_DEPTH 32

struct dp {
	struct sk_domainset *into;
	size_t found;
	sk_status st;
	struct sk_err *err;
};

static void
add_kind(struct dp *p, enum sk_domain_kind kind, const char *s, size_t len)
{
	if (p->st != SK_OK)
		return;
	/* "" is the root ("*": every host); "." is nothing. */
	if (len > 0) {
		if (s[len - 1] == '.')
			len--;
		if (len == 0 || !sk__host_valid(s, len))
			return;
	} else if (kind == SK_DOMAIN_EXACT) {
		return;
	}
	p->st = sk_domainset_add(p->into, kind, s, len, p->err);
	if (p->st == SK_OK)
		p->found++;
}

static bool
blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\f' || c == '\v';
}

/* ------------------------------------------------------------ hosts */

static void
hosts_line(struct dp *p, const char *s, size_t len)
{
	size_t i = 0, start;
	const char *hash = memchr(s, '#', len);

	if (hash != NULL)
		len = (size_t)(hash - s);
	while (i < len && p->st == SK_OK) {
		while (i < len && (blank(s[i]) || s[i] == ','))
			i++;
		start = i;
		while (i < len && !blank(s[i]) && s[i] != ',')
			i++;
		if (i == start)
			break;
		if (i - start == 1 && s[start] == '*')
			add_kind(p, SK_DOMAIN_TREE, "", 0);
		else if (i - start > 2 && s[start] == '*' &&
			 s[start + 1] == '.')
			add_kind(p, SK_DOMAIN_SUBS, s + start + 2,
				 i - start - 2);
		else if (i - start > 1 && s[start] == '.')
			add_kind(p, SK_DOMAIN_TREE, s + start + 1,
				 i - start - 1);
		else
			add_kind(p, SK_DOMAIN_EXACT, s + start, i - start);
	}
}

/* ------------------------------------------------------------ squid */

static bool
word_is(const char *s, size_t len, const char *z)
{
	return len == strlen(z) && memcmp(s, z, len) == 0;
}

static size_t
next_word(const char *s, size_t len, size_t *i)
{
	size_t start;

	while (*i < len && blank(s[*i]))
		(*i)++;
	start = *i;
	while (*i < len && !blank(s[*i]))
		(*i)++;
	return start;
}

static void
squid_line(struct dp *p, const char *s, size_t len)
{
	size_t i = 0, start;

	start = next_word(s, len, &i);
	if (!word_is(s + start, i - start, "acl"))
		return;
	next_word(s, len, &i);                  /* the ACL name */
	start = next_word(s, len, &i);
	if (!word_is(s + start, i - start, "dstdomain"))
		return;
	while (p->st == SK_OK) {
		start = next_word(s, len, &i);
		if (i == start)
			break;
		/* Flags (-i, -n), "quoted/file" includes: not names. */
		if (s[start] == '-' || s[start] == '"')
			continue;
		if (s[start] == '.' && i - start > 1)
			add_kind(p, SK_DOMAIN_TREE, s + start + 1,
				 i - start - 1);
		else if (s[start] == '.')
			continue;
		else
			add_kind(p, SK_DOMAIN_EXACT, s + start, i - start);
	}
}

/* ------------------------------------------------------------ pac */

struct js {
	const char *s;
	size_t len;
};

static bool
quote(char c)
{
	return c == '"' || c == '\'' || c == '`';
}

static bool
ident_char(char c)
{
	return sk__isalnum(c) || c == '_' || c == '$';
}

/* The index after the string, comment or character at i. */
static size_t
js_step(const struct js *j, size_t i)
{
	const char *s = j->s;
	char q;

	if (quote(s[i])) {
		q = s[i++];
		while (i < j->len && s[i] != q) {
			if (s[i] == '\\' && i + 1 < j->len)
				i++;
			i++;
		}
		return i < j->len ? i + 1 : i;
	}
	if (s[i] == '/' && i + 1 < j->len && s[i + 1] == '/') {
		while (i < j->len && s[i] != '\n')
			i++;
		return i;
	}
	if (s[i] == '/' && i + 1 < j->len && s[i + 1] == '*') {
		for (i += 2; i + 1 < j->len; i++)
			if (s[i] == '*' && s[i + 1] == '/')
				return i + 2;
		return j->len;
	}
	return i + 1;
}

/* Skip blanks, newlines and comments from i. */
static size_t
js_skip(const struct js *j, size_t i)
{
	while (i < j->len) {
		if (blank(j->s[i]) || j->s[i] == '\n') {
			i++;
			continue;
		}
		if (j->s[i] != '/' || i + 1 >= j->len ||
		    (j->s[i + 1] != '/' && j->s[i + 1] != '*'))
			break;
		i = js_step(j, i);
	}
	return i;
}

/* Index of the bracket closing the one at `open`, searching before
 * `end`; `end` when there is none. */
static size_t
js_close(const struct js *j, size_t open, size_t end)
{
	char o = j->s[open], c = o == '(' ? ')' : o == '{' ? '}' : ']';
	size_t i = open + 1, depth = 1;

	while (i < end) {
		if (j->s[i] == o) {
			depth++;
		} else if (j->s[i] == c) {
			if (--depth == 0)
				return i;
		} else if (quote(j->s[i]) || j->s[i] == '/') {
			i = js_step(j, i);
			continue;
		}
		i++;
	}
	return end;
}

/* Trim blanks and comments from both ends of [*a, *b). */
static void
js_trim(const struct js *j, size_t *a, size_t *b)
{
	*a = js_skip(j, *a);
	while (*b > *a && (blank(j->s[*b - 1]) || j->s[*b - 1] == '\n'))
		(*b)--;
}

/* A plain string literal exactly filling [a, b): its contents (no
 * escapes) into *cs, *cl. */
static bool
js_string(const struct js *j, size_t a, size_t b, const char **cs,
	  size_t *cl)
{
	size_t i;

	if (b < a + 2 || !quote(j->s[a]) || j->s[b - 1] != j->s[a])
		return false;
	for (i = a + 1; i + 1 < b; i++)
		if (j->s[i] == j->s[a] || j->s[i] == '\\' || j->s[i] == '\n')
			return false;
	*cs = j->s + a + 1;
	*cl = b - a - 2;
	return true;
}

/* The first top-level occurrence of the two-byte operator op in [a, b),
 * or b. */
static size_t
js_find_op(const struct js *j, size_t a, size_t b, const char *op)
{
	size_t i = a;

	while (i < b) {
		char c = j->s[i];

		if (c == '(' || c == '[' || c == '{') {
			i = js_close(j, i, b);
			if (i < b)
				i++;
			continue;
		}
		if (quote(c) || (c == '/' && i + 1 < b &&
				 (j->s[i + 1] == '/' || j->s[i + 1] == '*'))) {
			i = js_step(j, i);
			continue;
		}
		if (i + 1 < b && c == op[0] && j->s[i + 1] == op[1])
			return i;
		i++;
	}
	return b;
}

static bool
has_glob(const char *s, size_t len)
{
	size_t i;

	for (i = 0; i < len; i++)
		if (s[i] == '*' || s[i] == '?' || s[i] == '[')
			return true;
	return false;
}

/* shExpMatch(host, pat) as a pattern kind, when it is one we read. */
static void
pac_shexp(struct dp *p, const char *s, size_t len)
{
	if (len == 1 && s[0] == '*') {
		add_kind(p, SK_DOMAIN_TREE, "", 0);
	} else if (len > 2 && s[0] == '*' && s[1] == '.' &&
		   !has_glob(s + 2, len - 2)) {
		add_kind(p, SK_DOMAIN_SUBS, s + 2, len - 2);
	} else if (len > 1 && s[0] == '*' && !has_glob(s + 1, len - 1)) {
		/* "*x" also matches "ax.y"-less names like "evilx": read as
		 * x and its subdomains, the part a diff can rely on. */
		add_kind(p, SK_DOMAIN_TREE, s + 1, len - 1);
	} else if (!has_glob(s, len)) {
		add_kind(p, SK_DOMAIN_EXACT, s, len);
	}
}

/* One call term "F(ARG, "str")" filling [a, b). */
static void
pac_call(struct dp *p, const struct js *j, size_t a, size_t b)
{
	static const char *const fns[] = {"dnsDomainIs", "shExpMatch",
					  "localHostOrDomainIs"};
	size_t i = a, k, open, close, comma, sa, sb;
	const char *str;
	size_t sl;

	while (i < b && ident_char(j->s[i]))
		i++;
	for (k = 0; k < 3; k++)
		if (word_is(j->s + a, i - a, fns[k]))
			break;
	if (k == 3)
		return;
	open = js_skip(j, i);
	if (open >= b || j->s[open] != '(')
		return;
	close = js_close(j, open, b);
	if (close + 1 != b)
		return;
	/* The top-level comma between the two arguments. */
	for (comma = open + 1; comma < close; comma++) {
		if (j->s[comma] == '(' || j->s[comma] == '[') {
			comma = js_close(j, comma, close);
			continue;
		}
		if (quote(j->s[comma])) {
			comma = js_step(j, comma) - 1;
			continue;
		}
		if (j->s[comma] == ',')
			break;
	}
	if (comma >= close)
		return;
	sa = comma + 1;
	sb = close;
	js_trim(j, &sa, &sb);
	if (!js_string(j, sa, sb, &str, &sl))
		return;
	if (k == 0) {
		/* dnsDomainIs(h, ".x") is true for hosts ending in ".x";
		 * without the dot it also matches "evilx": read as x and
		 * its subdomains. */
		if (sl > 1 && str[0] == '.')
			add_kind(p, SK_DOMAIN_SUBS, str + 1, sl - 1);
		else
			add_kind(p, SK_DOMAIN_TREE, str, sl);
	} else if (k == 1) {
		pac_shexp(p, str, sl);
	} else {
		add_kind(p, SK_DOMAIN_EXACT, str, sl);
	}
}

/* One term: a call, or `X == "str"` / `"str" == X` (also ===). */
static void
pac_term(struct dp *p, const struct js *j, size_t a, size_t b)
{
	size_t eq, ra, rb;
	const char *str;
	size_t sl;

	js_trim(j, &a, &b);
	if (a >= b || j->s[a] == '!')
		return;
	if (js_find_op(j, a, b, "&&") < b)
		return;
	eq = js_find_op(j, a, b, "==");
	if (eq == b) {
		pac_call(p, j, a, b);
		return;
	}
	if (eq > a && (j->s[eq - 1] == '!' || j->s[eq - 1] == '='))
		return;
	ra = eq + 2;
	if (ra < b && j->s[ra] == '=')
		ra++;
	rb = b;
	js_trim(j, &ra, &rb);
	if (js_string(j, ra, rb, &str, &sl)) {
		add_kind(p, SK_DOMAIN_EXACT, str, sl);
		return;
	}
	rb = eq;
	js_trim(j, &a, &rb);
	if (js_string(j, a, rb, &str, &sl))
		add_kind(p, SK_DOMAIN_EXACT, str, sl);
}

/* A condition [a, b): its top-level `||` terms, unwrapping parentheses
 * around the whole. */
static void
pac_cond(struct dp *p, const struct js *j, size_t a, size_t b,
	 unsigned depth)
{
	size_t or;

	js_trim(j, &a, &b);
	while (a < b && j->s[a] == '(' && js_close(j, a, b) == b - 1) {
		if (++depth > PAC_MAX_DEPTH)
			return;
		a++;
		b--;
		js_trim(j, &a, &b);
	}
	or = js_find_op(j, a, b, "||");
	if (or == b) {
		pac_term(p, j, a, b);
		return;
	}
	while (a < b && p->st == SK_OK) {
		or = js_find_op(j, a, b, "||");
		if (depth + 1 > PAC_MAX_DEPTH)
			return;
		pac_cond(p, j, a, or, depth + 1);
		a = or < b ? or + 2 : b;
	}
}

/* Does the statement at i begin with `return "DIRECT` (optionally inside
 * a block or parentheses)? */
static bool
returns_direct(const struct js *j, size_t i)
{
	i = js_skip(j, i);
	if (i < j->len && j->s[i] == '{')
		i = js_skip(j, i + 1);
	if (i + 6 > j->len || memcmp(j->s + i, "return", 6) != 0 ||
	    (i + 6 < j->len && ident_char(j->s[i + 6])))
		return false;
	i = js_skip(j, i + 6);
	while (i < j->len && j->s[i] == '(')
		i = js_skip(j, i + 1);
	if (i >= j->len || !quote(j->s[i]))
		return false;
	for (i++; i < j->len && blank(j->s[i]); i++)
		;
	return i + 6 <= j->len && memcmp(j->s + i, "DIRECT", 6) == 0;
}

static void
pac_scan(struct dp *p, const char *s, size_t len)
{
	struct js j = {s, len};
	size_t i = 0, open, close;

	while (i < len && p->st == SK_OK) {
		if (quote(s[i]) || s[i] == '/') {
			i = js_step(&j, i);
			continue;
		}
		if (s[i] != 'i' || i + 2 > len || s[i + 1] != 'f' ||
		    (i > 0 && (ident_char(s[i - 1]) || s[i - 1] == '.')) ||
		    (i + 2 < len && ident_char(s[i + 2]))) {
			i++;
			continue;
		}
		open = js_skip(&j, i + 2);
		if (open >= len || s[open] != '(') {
			i += 2;
			continue;
		}
		close = js_close(&j, open, len);
		/* Unbalanced: nothing after this can be read reliably (and
		 * rescanning would make hostile input quadratic). */
		if (close == len)
			return;
		if (returns_direct(&j, close + 1))
			pac_cond(p, &j, open + 1, close, 0);
		i = close + 1;
	}
}

/* ------------------------------------------------------------ entry */

SK_API sk_status
sk_rules_parse_domains(const char *text, size_t len,
		       enum sk_domain_rules_format fmt,
		       struct sk_domainset *into, size_t *nfound,
		       struct sk_err *err)
{
	struct dp p;
	const char *line, *nl;
	sk_status st;
	size_t ll, rest;

	if (nfound != NULL)
		*nfound = 0;
	if ((text == NULL && len > 0) || into == NULL ||
	    ((int)fmt != SK_DRULES_SQUID && fmt != SK_DRULES_PAC &&
	     fmt != SK_DRULES_HOSTS))
		return sk__err(err, SK_EINVAL, "no text, set or format");
	st = sk__rules_text_check(text, len, err);
	if (st != SK_OK)
		return st;
	memset(&p, 0, sizeof(p));
	p.into = into;
	p.err = err;
	if (fmt == SK_DRULES_PAC) {
		pac_scan(&p, text, len);
	} else {
		line = text;
		rest = len;
		while (rest > 0 && p.st == SK_OK) {
			nl = memchr(line, '\n', rest);
			ll = nl != NULL ? (size_t)(nl - line) : rest;
			if (fmt == SK_DRULES_SQUID)
				squid_line(&p, line, ll);
			else
				hosts_line(&p, line, ll);
			if (nl == NULL)
				break;
			rest -= ll + 1;
			line = nl + 1;
		}
	}
	if (p.st != SK_OK)
		return p.st;
	if (nfound != NULL)
		*nfound = p.found;
	return SK_OK;
}
