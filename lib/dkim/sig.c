/*
 * lib/dkim/sig.c - the DKIM-Signature header field, RFC 6376 section 3.5
 * (tags v a b bh c d h i l q s t x z), with the checks of section 6.1.1
 * that need no key and no clock, and the "b= deleted" copy of the field
 * that the header hash covers (section 3.7).  RFC 8301 (rsa-sha1) and
 * RFC 8463 (ed25519-sha256) algorithm names.
 */
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "sigcanon.h"

static void SK_PRINTF(3, 4)
set_reason(struct sk__dkim_sig *sig, const char *reason, const char *fmt,
	   ...)
{
	va_list ap;

	if (sig->reason != NULL)
		return;
	sig->reason = reason;
	va_start(ap, fmt);
	vsnprintf(sig->detail, sizeof(sig->detail), fmt, ap);
	va_end(ap);
}

/* Everything a parsed signature points to lives in its one allocation
 * (see sk__dkim_sig_parse). */
void
sk__dkim_sig_free(struct sk__dkim_sig *sig)
{
	sk__free(sig);
}

/* The bytes after the struct, handed out in order. */
struct arena {
	char *p;
	size_t left;
};

static void *
arena_take(struct arena *a, size_t n)
{
	void *r;

	if (n > a->left)
		return NULL;
	r = a->p;
	a->p += n;
	a->left -= n;
	return r;
}

/* 1: FWS (SP, HTAB, CR, LF), as in tags.c. */
static const unsigned char fws_tab[256] = {
	['\t'] = 1, ['\n'] = 1, ['\r'] = 1, [' '] = 1,
};

/* A copy of a tag value without FWS, NUL-terminated, in the arena (which
 * has value_len + 1 bytes for it); NULL when the tag is absent. */
static char *
tag_copy(struct arena *a, const struct sk__dkim_tag *t)
{
	char *s;
	size_t o = 0;

	if (t == NULL)
		return NULL;
	s = arena_take(a, t->value_len + 1);
	if (s == NULL)
		return NULL;
	for (size_t i = 0; i < t->value_len; i++) {
		unsigned char c = (unsigned char)t->value[i];

		s[o] = (char)c;
		o += !fws_tab[c];
	}
	s[o] = '\0';
	/* Give back what FWS did not use. */
	a->p -= t->value_len - o;
	a->left += t->value_len - o;
	return s;
}

/* Base64 values (RFC 4648 section 4) plus one; 0: not in the alphabet. */
static const unsigned char b64_val[256] = {
	['A'] = 1, ['B'] = 2, ['C'] = 3, ['D'] = 4, ['E'] = 5, ['F'] = 6,
	['G'] = 7, ['H'] = 8, ['I'] = 9, ['J'] = 10, ['K'] = 11, ['L'] = 12,
	['M'] = 13, ['N'] = 14, ['O'] = 15, ['P'] = 16, ['Q'] = 17,
	['R'] = 18, ['S'] = 19, ['T'] = 20, ['U'] = 21, ['V'] = 22,
	['W'] = 23, ['X'] = 24, ['Y'] = 25, ['Z'] = 26, ['a'] = 27,
	['b'] = 28, ['c'] = 29, ['d'] = 30, ['e'] = 31, ['f'] = 32,
	['g'] = 33, ['h'] = 34, ['i'] = 35, ['j'] = 36, ['k'] = 37,
	['l'] = 38, ['m'] = 39, ['n'] = 40, ['o'] = 41, ['p'] = 42,
	['q'] = 43, ['r'] = 44, ['s'] = 45, ['t'] = 46, ['u'] = 47,
	['v'] = 48, ['w'] = 49, ['x'] = 50, ['y'] = 51, ['z'] = 52,
	['0'] = 53, ['1'] = 54, ['2'] = 55, ['3'] = 56, ['4'] = 57,
	['5'] = 58, ['6'] = 59, ['7'] = 60, ['8'] = 61, ['9'] = 62,
	['+'] = 63, ['/'] = 64,
};

/* The value of a base64 character, > 63 when it is not one. */
static unsigned
b64v(unsigned char c)
{
	return (unsigned)b64_val[c] - 1;
}

/*
 * The common case of base64 (no FWS, padded, alphabet only) by table into
 * out (room for len / 4 * 3 + 3 bytes); false for anything else, which
 * the strict decoder then judges.  Same output as sk__base64_decode: the
 * bits left over in a padded quantum are ignored.
 */
static bool
b64_fast(const char *in, size_t len, uint8_t *out, size_t *outlen)
{
	const unsigned char *p = (const unsigned char *)in;
	size_t i, o = 0, full;
	unsigned pad = 0;

	if (len % 4 != 0)
		return false;
	if (len > 0 && p[len - 1] == '=')
		pad = len > 1 && p[len - 2] == '=' ? 2 : 1;
	full = pad > 0 ? len - 4 : len;
	for (i = 0; i < full; i += 4) {
		unsigned a = b64v(p[i]), b = b64v(p[i + 1]);
		unsigned c = b64v(p[i + 2]), d = b64v(p[i + 3]);
		uint32_t acc;

		if ((a | b | c | d) > 63)
			return false;
		acc = a << 18 | b << 12 | c << 6 | d;
		out[o++] = (uint8_t)(acc >> 16);
		out[o++] = (uint8_t)(acc >> 8);
		out[o++] = (uint8_t)acc;
	}
	if (pad > 0) {
		unsigned a = b64v(p[i]), b = b64v(p[i + 1]);
		unsigned c = pad == 1 ? b64v(p[i + 2]) : 0;

		if ((a | b | c) > 63)
			return false;
		if (pad == 2) {
			out[o++] = (uint8_t)((a << 6 | b) >> 4);
		} else {
			uint32_t acc = a << 12 | b << 6 | c;

			out[o++] = (uint8_t)(acc >> 10);
			out[o++] = (uint8_t)(acc >> 2);
		}
	}
	*outlen = o;
	return true;
}

/* Decode FWS-free base64 into the arena (len / 4 * 3 + 3 bytes there);
 * *outlen 0 when it is not base64. */
static sk_status
b64_decode(struct arena *a, const char *in, uint8_t **out, size_t *outlen)
{
	size_t len = strlen(in), room = len / 4 * 3 + 3;
	uint8_t *dst = arena_take(a, room), *tmp;
	struct sk_err e;
	sk_status st;

	*out = dst;
	*outlen = 0;
	if (dst == NULL)
		return SK_EINTERNAL;
	if (b64_fast(in, len, dst, outlen))
		return SK_OK;
	/* Not the common case: the strict decoder says what it is. */
	st = sk__base64_decode(in, len, &tmp, outlen, &e);
	if (st == SK_ENOMEM)
		return st;
	if (st == SK_OK && *outlen <= room)
		memcpy(dst, tmp, *outlen);
	else
		*outlen = 0;
	sk__free(tmp);
	return SK_OK;
}

static bool
parse_num(const char *s, long long *out)
{
	unsigned long v;

	if (s == NULL) {
		*out = -1;
		return true;
	}
	/* 3.5: at most 12 digits for t= and x=, 76 bits for l=; we take
	 * what fits a long long. */
	if (!sk__parse_uint(s, strlen(s), (unsigned long)LLONG_MAX, &v))
		return false;
	*out = (long long)v;
	return true;
}

static bool
parse_canon(struct sk__dkim_sig *sig, const char *c)
{
	const char *slash;
	size_t hl;

	sig->hcanon = sig->bcanon = SK_DKIM_SIMPLE;
	if (c == NULL)
		return true;
	slash = strchr(c, '/');
	hl = slash != NULL ? (size_t)(slash - c) : strlen(c);
	if (sk__eq_nocase_z(c, hl, "relaxed"))
		sig->hcanon = SK_DKIM_RELAXED;
	else if (!sk__eq_nocase_z(c, hl, "simple"))
		return false;
	if (slash == NULL)
		return true;
	if (sk__eq_nocase_z(slash + 1, strlen(slash + 1), "relaxed"))
		sig->bcanon = SK_DKIM_RELAXED;
	else if (!sk__eq_nocase_z(slash + 1, strlen(slash + 1), "simple"))
		return false;
	return true;
}

/* Domain or selector: labels of letters, digits, '-', '_' and dots. */
bool
sk__dkim_name_ok(const char *s)
{
	size_t i, lab = 0;

	if (*s == '\0' || strlen(s) > 253)
		return false;
	for (i = 0; s[i] != '\0'; i++) {
		char c = s[i];

		if (c == '.') {
			if (lab == 0)
				return false;
			lab = 0;
		} else if (sk__isalnum(c) || c == '-' || c == '_') {
			if (++lab > 63)
				return false;
		} else {
			return false;
		}
	}
	return true;
}

bool
sk__dkim_identity_in_domain(const char *i, const char *d)
{
	const char *at = strrchr(i, '@');
	size_t il, dl = strlen(d);

	if (at == NULL)
		return false;
	at++;
	il = strlen(at);
	if (il == dl)
		return sk__eq_nocase(at, il, d, dl);
	/* 3.5 i=: "the same as, or a subdomain of, the value of d=" */
	return il > dl && at[il - dl - 1] == '.' &&
	       sk__eq_nocase(at + il - dl, dl, d, dl);
}

/* Split h= (FWS already removed) into names, the array of n (one more
 * than the ':' of h=) that sig->names has room for; 3.5: From must be
 * there. */
static void
split_h(struct sk__dkim_sig *sig, size_t n)
{
	const char *p = sig->h;
	size_t k = 0, i;
	bool from = false;

	while (k < n) {
		size_t len = strcspn(p, ":");

		if (len == 0) {
			set_reason(sig, "signature-syntax",
				   "empty header name in h=");
			break;
		}
		for (i = 0; i < len; i++) {
			unsigned char c = (unsigned char)p[i];

			/* RFC 5322 ftext */
			if (c < 33 || c > 126) {
				set_reason(sig, "signature-syntax",
					   "bad header name in h=");
				break;
			}
		}
		sig->names[k].p = p;
		sig->names[k].len = len;
		if (sk__eq_nocase_z(p, len, "from"))
			from = true;
		k++;
		p += len;
		if (*p == ':')
			p++;
	}
	sig->nnames = k;
	if (!from)
		set_reason(sig, "from-not-signed",
			   "h= does not include From (RFC 6376 section 5.4)");
}

/* The field without b='s value (3.7): from just after "b=" to the next
 * ';' or the end, surrounding FWS included; no final CRLF.  In the arena
 * (len + 1 bytes there). */
static void
strip_b(struct sk__dkim_sig *sig, struct arena *a, const char *field,
	size_t len, size_t vstart, const struct sk__dkim_tag *bt)
{
	size_t from, to, end = len;

	if (end >= 2 && field[end - 2] == '\r' && field[end - 1] == '\n')
		end -= 2;
	from = vstart + bt->offset + bt->name_len;
	while (from < end && field[from] != '=')
		from++;
	from++;
	to = vstart + bt->value_offset + bt->value_len;
	while (to < end && field[to] != ';')
		to++;
	if (from > to)
		from = to;
	sig->unsigned_len = end - (to - from);
	sig->unsigned_field = arena_take(a, sig->unsigned_len + 1);
	if (sig->unsigned_field == NULL)
		return;
	memcpy(sig->unsigned_field, field, from);
	memcpy(sig->unsigned_field + from, field + to, end - to);
	sig->unsigned_field[sig->unsigned_len] = '\0';
}

/* The tags of 3.5, by slot. */
enum {
	T_V, T_A, T_B, T_BH, T_C, T_D, T_H, T_I, T_L, T_Q, T_S, T_T, T_X,
	T_Z, T_NSLOTS
};

static int
tag_slot(const char *name, size_t len)
{
	static const char *const names[T_NSLOTS] = {
		"v", "a", "b", "bh", "c", "d", "h", "i", "l", "q", "s", "t",
		"x", "z"
	};

	if (len > 2)
		return -1;
	for (int k = 0; k < T_NSLOTS; k++)
		if (names[k][0] == name[0] &&
		    (len == 1 ? names[k][1] == '\0' :
		     names[k][1] == name[1] && names[k][2] == '\0'))
			return k;
	return -1;
}

/* Required tags (3.5), in the order they are reported. */
static const int required[] = { T_V, T_A, T_B, T_BH, T_D, T_H, T_S };
static const char *const required_name[] = { "v", "a", "b", "bh", "d",
					     "h", "s" };

static sk_status
check(struct sk__dkim_sig *sig, const struct sk__dkim_tag *const *tv,
      struct arena *ar, size_t nh)
{
	size_t k;
	sk_status st;

	for (k = 0; k < sizeof(required) / sizeof(required[0]); k++)
		if (tv[required[k]] == NULL)
			set_reason(sig, "tag-missing",
				   "required tag %s= missing (RFC 6376 "
				   "section 3.5)", required_name[k]);
	if (sig->v != NULL && strcmp(sig->v, "1") != 0)
		set_reason(sig, "version-unsupported",
			   "v=%s is not 1 (RFC 6376 section 6.1.1)", sig->v);
	if (sig->a != NULL) {
		size_t al = strlen(sig->a);

		sig->alg_known = true;
		if (sk__eq_nocase_z(sig->a, al, "rsa-sha256"))
			sig->alg = SK_DKIM_RSA_SHA256;
		else if (sk__eq_nocase_z(sig->a, al, "ed25519-sha256"))
			sig->alg = SK_DKIM_ED25519_SHA256;
		else if (sk__eq_nocase_z(sig->a, al, "rsa-sha1"))
			sig->alg = SK_DKIM_RSA_SHA1;
		else {
			sig->alg_known = false;
			set_reason(sig, "algorithm-unsupported",
				   "unknown algorithm a=%s", sig->a);
		}
	}
	if (!parse_canon(sig, sig->canon_str))
		set_reason(sig, "signature-syntax", "bad c=%s",
			   sig->canon_str);
	if (sig->q != NULL) {
		const char *p = sig->q;
		bool dns = false;

		while (*p != '\0') {
			size_t ql = strcspn(p, ":");

			if (sk__eq_nocase_z(p, ql, "dns/txt"))
				dns = true;
			p += ql;
			if (*p == ':')
				p++;
		}
		if (!dns)
			set_reason(sig, "signature-syntax",
				   "no supported query method in q=%s",
				   sig->q);
	}
	if (sig->d != NULL && !sk__dkim_name_ok(sig->d))
		set_reason(sig, "signature-syntax", "bad domain d=%s", sig->d);
	if (sig->s != NULL && !sk__dkim_name_ok(sig->s))
		set_reason(sig, "signature-syntax", "bad selector s=%s",
			   sig->s);
	if (sig->b64 != NULL) {
		st = b64_decode(ar, sig->b64, &sig->b, &sig->blen);
		if (st != SK_OK)
			return st;
		if (sig->blen == 0)
			set_reason(sig, "signature-syntax",
				   "b= is empty or not base64");
	}
	if (tv[T_BH] != NULL) {
		/* Decoded without FWS, as the strict decoder skips it. */
		const char *bh = tag_copy(ar, tv[T_BH]);

		if (bh == NULL)
			return SK_EINTERNAL;
		st = b64_decode(ar, bh, &sig->bh, &sig->bhlen);
		if (st != SK_OK)
			return st;
		if (sig->bhlen == 0)
			set_reason(sig, "signature-syntax",
				   "bh= is empty or not base64");
	}
	if (sig->h != NULL)
		split_h(sig, nh);
	if (sig->i != NULL && sig->d != NULL &&
	    !sk__dkim_identity_in_domain(sig->i, sig->d))
		set_reason(sig, "identity-outside-domain",
			   "i=%s is not within d= (RFC 6376 section 3.5)",
			   sig->i);
	if (sig->x >= 0 && sig->t >= 0 && sig->x < sig->t)
		set_reason(sig, "signature-syntax",
			   "x= is before t= (RFC 6376 section 3.5)");
	return SK_OK;
}

/* A number tag (t=, x=, l=): -1 when absent; a reason when bad. */
static void
num_tag(struct sk__dkim_sig *sig, struct arena *a,
	const struct sk__dkim_tag *t, const char *what, long long *out)
{
	char *tmp = tag_copy(a, t);

	if (t != NULL && !parse_num(tmp, out))
		set_reason(sig, "signature-syntax", "bad %s=%s", what, tmp);
}

/*
 * One allocation per signature: the struct, then an arena for the names
 * of h=, the FWS-free tag copies, the decoded b= and bh= and the field
 * without b='s value, sized from the tag-list before anything is copied.
 */
sk_status
sk__dkim_sig_parse(const char *field, size_t len, struct sk__dkim_sig **out)
{
	struct sk__dkim_tag tags[SK__DKIM_MAX_TAGS];
	const struct sk__dkim_tag *tv[T_NSLOTS];
	struct sk__dkim_sig *sig;
	struct arena ar = { NULL, 0 };
	struct sk_err e;
	size_t n = 0, colon, vlen, k, nh = 0, need = 0;
	const char *reason = NULL, *detail = NULL;
	sk_status st;

	*out = NULL;
	memset(tv, 0, sizeof(tv));
	for (colon = 0; colon < len && field[colon] != ':'; colon++)
		;
	vlen = len > colon ? len - colon - 1 : 0;
	if (vlen >= 2 && field[len - 2] == '\r' && field[len - 1] == '\n')
		vlen -= 2;
	sk_err_clear(&e);
	if (colon >= len) {
		reason = "no ':' in the field";
	} else if (vlen > SK_DKIM_MAX_TAGLIST) {
		reason = "signature too long";
	} else if (sk__dkim_tags_parse(field + colon + 1, vlen, tags,
				       SK__DKIM_MAX_TAGS, &n, &e) != SK_OK) {
		if (e.code == SK_ENOMEM)
			return SK_ENOMEM;
		n = 0;
		detail = e.msg;
	}
	for (k = 0; k < n; k++) {
		int slot = tag_slot(tags[k].name, tags[k].name_len);

		if (slot >= 0)
			tv[slot] = &tags[k];
		need += tags[k].value_len + 1;
	}
	if (tv[T_H] != NULL) {
		nh = 1;
		for (k = 0; k < tv[T_H]->value_len; k++)
			nh += tv[T_H]->value[k] == ':';
	}
	if (n > 0) {
		if (tv[T_B] != NULL)
			need += tv[T_B]->value_len / 4 * 3 + 3 + len + 1;
		if (tv[T_BH] != NULL)
			need += tv[T_BH]->value_len / 4 * 3 + 3;
		need += 16 + nh * sizeof(struct sk__dkim_hname);
	}
	/* Only the struct is cleared: the arena is written before read. */
	sig = sk__malloc(sizeof(*sig) + need);
	if (sig == NULL)
		return SK_ENOMEM;
	memset(sig, 0, sizeof(*sig));
	sig->t = sig->x = sig->l = -1;
	if (n == 0) {
		if (reason != NULL)
			set_reason(sig, "signature-syntax", "%s", reason);
		else
			set_reason(sig, "signature-syntax", "%s", detail);
		*out = sig;
		return SK_OK;
	}
	ar.p = (char *)(sig + 1);
	ar.left = need;
	/* The names first: the arena starts aligned for them. */
	if (nh > 0)
		sig->names = arena_take(&ar, nh * sizeof(*sig->names));
	sig->v = tag_copy(&ar, tv[T_V]);
	sig->a = tag_copy(&ar, tv[T_A]);
	sig->d = tag_copy(&ar, tv[T_D]);
	sig->s = tag_copy(&ar, tv[T_S]);
	sig->i = tag_copy(&ar, tv[T_I]);
	sig->q = tag_copy(&ar, tv[T_Q]);
	sig->z = tag_copy(&ar, tv[T_Z]);
	sig->h = tag_copy(&ar, tv[T_H]);
	sig->b64 = tag_copy(&ar, tv[T_B]);
	sig->canon_str = tag_copy(&ar, tv[T_C]);
	num_tag(sig, &ar, tv[T_T], "t", &sig->t);
	num_tag(sig, &ar, tv[T_X], "x", &sig->x);
	num_tag(sig, &ar, tv[T_L], "l", &sig->l);
	st = check(sig, tv, &ar, nh);
	if (st != SK_OK) {
		sk__free(sig);
		return st == SK_ENOMEM ? SK_ENOMEM : SK_EINTERNAL;
	}
	/* "relaxed/simple": normalised for results. */
	{
		static const char *const names[2][2] = {
			{ "simple/simple", "simple/relaxed" },
			{ "relaxed/simple", "relaxed/relaxed" },
		};
		const char *cs = names[sig->hcanon != SK_DKIM_SIMPLE]
				      [sig->bcanon != SK_DKIM_SIMPLE];

		sig->canon_str = arena_take(&ar, strlen(cs) + 1);
		if (sig->canon_str != NULL)
			memcpy(sig->canon_str, cs, strlen(cs) + 1);
	}
	if (tv[T_B] != NULL)
		strip_b(sig, &ar, field, len, colon + 1, tv[T_B]);
	*out = sig;
	return SK_OK;
}
