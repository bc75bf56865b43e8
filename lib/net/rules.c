/*
 * lib/net/rules.c - the addresses an existing rules file allows, for
 * `allowlist diff`.  Line-oriented readers of:
 *
 *   nftables   nft(8): set `elements = { ... }` (every set is taken as an
 *              allow set) and `saddr` matches of rules whose verdict is
 *              accept; `!=` matches are negations and skipped;
 *   iptables   iptables-restore(8) files and `iptables -S` output (lines
 *              "-A CHAIN ..." / "-I CHAIN ..."), optionally after a
 *              leading "iptables"/"ip6tables": -s/--source/--src (comma
 *              lists) and --src-range of rules with -j/--jump ACCEPT;
 *              "! -s" is a negation and skipped;
 *   csv        RFC 4180 fields, each an address, CIDR or range or not;
 *   text       every address-like token outside comment lines.
 *
 * Tokens that look like addresses but do not parse are skipped: a rules
 * file is not ours to judge, only to read.
 */
#include <string.h>

#include "net_internal.h"

struct rp {
	struct sk_cidrset *into;
	size_t found;
	sk_status st;
	struct sk_err *err;
};

static bool
addr_char(char c)
{
	return sk__isdigit(c) || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F') || c == ':' || c == '.' || c == '/' ||
	       c == '-';
}

/* Add s[0..len) when it is an address, CIDR or range. */
static void
try_add(struct rp *p, const char *s, size_t len)
{
	struct sk_iprange r;

	/* Trailing sentence punctuation is no part of an address. */
	while (len > 0 && (s[len - 1] == '.' || s[len - 1] == '-'))
		len--;
	if (p->st != SK_OK || len < 2 || len > 2 * SK_CIDR_MAX_TEXT + 8)
		return;
	if (sk_iprange_parse(s, len, 0, &r, NULL, NULL) != SK_OK)
		return;
	p->st = sk_cidrset_add_range(p->into, &r, p->err);
	if (p->st == SK_OK)
		p->found++;
}

/* Every address-like token of s[0..len); a token must not be glued to a
 * word before it ("ip4:" is not an address, "x1.2.3.4" neither). */
static void
scan_tokens(struct rp *p, const char *s, size_t len)
{
	size_t i = 0, start;

	while (i < len && p->st == SK_OK) {
		if (!addr_char(s[i])) {
			i++;
			continue;
		}
		start = i;
		while (i < len && addr_char(s[i]))
			i++;
		if (start > 0 && (sk__isalnum(s[start - 1]) ||
				  s[start - 1] == '_'))
			continue;
		if (i < len && (sk__isalnum(s[i]) || s[i] == '_'))
			continue;
		try_add(p, s + start, i - start);
	}
}

/* First non-blank of s[0..len). */
static size_t
skip_blank(const char *s, size_t len, size_t i)
{
	while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r'))
		i++;
	return i;
}

static bool
comment_line(const char *s, size_t len)
{
	size_t i = skip_blank(s, len, 0);

	return i < len && (s[i] == '#' || s[i] == ';' ||
			   (s[i] == '/' && i + 1 < len && s[i + 1] == '/'));
}

/* ------------------------------------------------------------ words */

#define MAX_WORDS 512

struct word {
	const char *p;
	size_t len;
};

/* Split a line into blank-separated words; a double-quoted word keeps
 * its blanks (iptables --comment "a b"). */
static size_t
split_words(const char *s, size_t len, struct word *w, size_t max)
{
	size_t i = 0, n = 0, start;

	for (;;) {
		i = skip_blank(s, len, i);
		if (i >= len || n == max)
			return n;
		start = i;
		if (s[i] == '"') {
			i++;
			while (i < len && s[i] != '"')
				i++;
			if (i < len)
				i++;
		} else {
			while (i < len && s[i] != ' ' && s[i] != '\t' &&
			       s[i] != '\r')
				i++;
		}
		w[n].p = s + start;
		w[n].len = i - start;
		n++;
	}
}

static bool
weq(const struct word *w, const char *z)
{
	return w->len == strlen(z) && memcmp(w->p, z, w->len) == 0;
}

/* ------------------------------------------------------------ iptables */

static void
iptables_line(struct rp *p, const char *s, size_t len)
{
	struct word w[MAX_WORDS];
	size_t n, i, k, start;
	bool accept = false;

	n = split_words(s, len, w, MAX_WORDS);
	i = 0;
	if (n > 0 && (weq(&w[0], "iptables") || weq(&w[0], "ip6tables")))
		i = 1;
	if (i >= n || !(weq(&w[i], "-A") || weq(&w[i], "-I") ||
			weq(&w[i], "--append") || weq(&w[i], "--insert")))
		return;
	for (k = i; k + 1 < n; k++)
		if (weq(&w[k], "-j") || weq(&w[k], "--jump"))
			accept = weq(&w[k + 1], "ACCEPT");
	if (!accept)
		return;
	for (k = i; k + 1 < n && p->st == SK_OK; k++) {
		bool src = weq(&w[k], "-s") || weq(&w[k], "--source") ||
			   weq(&w[k], "--src");
		bool rng = weq(&w[k], "--src-range");

		if (!src && !rng)
			continue;
		if (k > 0 && weq(&w[k - 1], "!"))
			continue;
		if (rng) {
			try_add(p, w[k + 1].p, w[k + 1].len);
			continue;
		}
		/* -s a,b,c */
		start = 0;
		for (size_t j = 0; j <= w[k + 1].len; j++) {
			if (j < w[k + 1].len && w[k + 1].p[j] != ',')
				continue;
			try_add(p, w[k + 1].p + start, j - start);
			start = j + 1;
		}
	}
}

/* ------------------------------------------------------------ nftables */

static bool
has_word(const char *s, size_t len, const char *z)
{
	size_t zl = strlen(z), i;

	for (i = 0; i + zl <= len; i++) {
		if (memcmp(s + i, z, zl) != 0)
			continue;
		if ((i == 0 || !(sk__isalnum(s[i - 1]) || s[i - 1] == '_')) &&
		    (i + zl == len || !(sk__isalnum(s[i + zl]) ||
					s[i + zl] == '_')))
			return true;
	}
	return false;
}

/* One nft statement (a line with comments cut): addresses after each
 * "saddr" of an accepting rule, or inside an elements block. */
static void
nft_stmt(struct rp *p, const char *s, size_t len, bool *in_elems)
{
	size_t i = 0, j, end;

	if (*in_elems) {
		const char *close = memchr(s, '}', len);

		end = close != NULL ? (size_t)(close - s) : len;
		scan_tokens(p, s, end);
		if (close != NULL)
			*in_elems = false;
		return;
	}
	if (has_word(s, len, "elements")) {
		const char *open = memchr(s, '{', len), *close;

		if (open == NULL)
			return;
		i = (size_t)(open - s) + 1;
		close = memchr(s + i, '}', len - i);
		end = close != NULL ? (size_t)(close - s) : len;
		scan_tokens(p, s + i, end - i);
		*in_elems = close == NULL;
		return;
	}
	if (!has_word(s, len, "accept"))
		return;
	for (i = 0; i + 5 <= len && p->st == SK_OK; i++) {
		if (memcmp(s + i, "saddr", 5) != 0)
			continue;
		j = skip_blank(s, len, i + 5);
		if (j + 1 < len && s[j] == '!' && s[j + 1] == '=')
			continue;
		if (j + 1 < len && s[j] == '=' && s[j + 1] == '=')
			j = skip_blank(s, len, j + 2);
		if (j < len && s[j] == '{') {
			const char *close = memchr(s + j, '}', len - j);

			end = close != NULL ? (size_t)(close - s) : len;
			scan_tokens(p, s + j + 1, end - j - 1);
		} else {
			end = j;
			while (end < len && addr_char(s[end]))
				end++;
			try_add(p, s + j, end - j);
		}
	}
}

/* Cut a '#' comment (outside double quotes) from a line. */
static size_t
cut_comment(const char *s, size_t len)
{
	size_t i;
	bool q = false;

	for (i = 0; i < len; i++) {
		if (s[i] == '"')
			q = !q;
		else if (s[i] == '#' && !q)
			return i;
	}
	return len;
}

/* ------------------------------------------------------------ csv */

static void
csv_line(struct rp *p, const char *s, size_t len)
{
	size_t i = 0, start, end, t;

	while (p->st == SK_OK) {
		start = skip_blank(s, len, i);
		if (start < len && s[start] == '"') {
			/* Quoted field: an address has no quotes inside. */
			end = start + 1;
			while (end < len && s[end] != '"')
				end++;
			try_add(p, s + start + 1, end - start - 1);
			while (end < len && s[end] != ',')
				end++;
		} else {
			end = start;
			while (end < len && s[end] != ',')
				end++;
			t = end;
			while (t > start && (s[t - 1] == ' ' ||
					     s[t - 1] == '\t' ||
					     s[t - 1] == '\r'))
				t--;
			try_add(p, s + start, t - start);
		}
		if (end >= len)
			break;
		i = end + 1;
	}
}

sk_status
sk__rules_text_check(const char *text, size_t len, struct sk_err *err)
{
	const char *nul;

	if (len > SK_INI_MAX_FILE)
		return sk__err(err, SK_ETOOBIG, "rules file over %u bytes",
			       SK_INI_MAX_FILE);
	nul = len > 0 ? memchr(text, '\0', len) : NULL;
	if (nul != NULL)
		return sk__err_at(err, SK_ESYNTAX, (size_t)(nul - text),
				  "NUL byte in a rules file");
	return SK_OK;
}

SK_API sk_status
sk_rules_parse(const char *text, size_t len, enum sk_rules_format fmt,
	       struct sk_cidrset *into, size_t *nfound, struct sk_err *err)
{
	struct rp p;
	const char *line, *nl;
	sk_status st;
	size_t ll, rest;
	bool in_elems = false;

	if (nfound != NULL)
		*nfound = 0;
	if ((text == NULL && len > 0) || into == NULL ||
	    (int)fmt < SK_RULES_NFTABLES || fmt > SK_RULES_TEXT)
		return sk__err(err, SK_EINVAL, "no text, set or format");
	st = sk__rules_text_check(text, len, err);
	if (st != SK_OK)
		return st;
	memset(&p, 0, sizeof(p));
	p.into = into;
	p.err = err;
	line = text;
	rest = len;
	while (rest > 0 && p.st == SK_OK) {
		nl = memchr(line, '\n', rest);
		ll = nl != NULL ? (size_t)(nl - line) : rest;
		switch (fmt) {
		case SK_RULES_NFTABLES:
			nft_stmt(&p, line, cut_comment(line, ll), &in_elems);
			break;
		case SK_RULES_IPTABLES:
			if (!comment_line(line, ll))
				iptables_line(&p, line, ll);
			break;
		case SK_RULES_CSV:
			if (!comment_line(line, ll))
				csv_line(&p, line, ll);
			break;
		case SK_RULES_TEXT:
			if (!comment_line(line, ll))
				scan_tokens(&p, line, ll);
			break;
		}
		if (nl == NULL)
			break;
		rest -= ll + 1;
		line = nl + 1;
	}
	if (p.st != SK_OK)
		return p.st;
	if (nfound != NULL)
		*nfound = p.found;
	return SK_OK;
}
