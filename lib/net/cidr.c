/*
 * lib/net/cidr.c - IP address and CIDR text: parsing and canonical output.
 *
 *   IPv4: dotted quad, four decimal octets 0..255, no leading zeros
 *         (RFC 6943 section 3.1.1: leading zeros read as octal by some
 *         parsers, so the text is ambiguous);
 *   IPv6: RFC 4291 section 2.2 (1-4 hex digits a group, one "::", an
 *         optional dotted IPv4 tail), no zone index (RFC 4007 section 11
 *         zones have no meaning in an allowlist);
 *   CIDR: RFC 4632 section 3.1 prefix notation "ADDR/N";
 *   output: RFC 5952 section 4 (lower case, no leading zeros, the longest
 *         run of two or more zero groups compressed, the first on a tie)
 *         and section 5 (IPv4-mapped addresses end in dotted IPv4).
 */
#include <stdio.h>
#include <string.h>

#include "net_internal.h"

static bool
is_hex(char c)
{
	return sk__isdigit(c) || (c >= 'a' && c <= 'f') ||
	       (c >= 'A' && c <= 'F');
}

static unsigned
hex_val(char c)
{
	if (sk__isdigit(c))
		return (unsigned)(c - '0');
	if (c >= 'a' && c <= 'f')
		return (unsigned)(c - 'a' + 10);
	return (unsigned)(c - 'A' + 10);
}

/* Dotted quad in s[0..len), all of it.  `base` is added to offsets. */
static sk_status
parse_v4(const char *s, size_t len, size_t base, uint8_t out[4],
	 struct sk_err *err)
{
	size_t i = 0, start;
	unsigned v;
	int k;

	for (k = 0; k < 4; k++) {
		start = i;
		v = 0;
		while (i < len && sk__isdigit(s[i]) && i - start < 4) {
			v = v * 10 + (unsigned)(s[i] - '0');
			i++;
		}
		if (i == start)
			return sk__err_at(err, SK_ESYNTAX, base + i,
					  "IPv4 address: octet %d is not a "
					  "decimal number", k + 1);
		if (i - start > 1 && s[start] == '0')
			return sk__err_at(err, SK_ESYNTAX, base + start,
					  "IPv4 address: octet %d has a "
					  "leading zero (octal to some "
					  "parsers)", k + 1);
		if (i - start > 3 || v > 255)
			return sk__err_at(err, SK_ESYNTAX, base + start,
					  "IPv4 address: octet %d is over 255",
					  k + 1);
		out[k] = (uint8_t)v;
		if (k < 3) {
			if (i >= len || s[i] != '.')
				return sk__err_at(err, SK_ESYNTAX, base + i,
						  "IPv4 address: expected '.' "
						  "after octet %d (four "
						  "octets)", k + 1);
			i++;
		}
	}
	if (i != len)
		return sk__err_at(err, SK_ESYNTAX, base + i,
				  "IPv4 address: unexpected '%c' after the "
				  "fourth octet", s[i]);
	return SK_OK;
}

/* RFC 4291 section 2.2 text forms, all of s[0..len). */
static sk_status
parse_v6(const char *s, size_t len, uint8_t out[16], struct sk_err *err)
{
	unsigned g[8];
	size_t i = 0, start;
	int ng = 0, dc = -1, k, fill;
	unsigned v;
	uint8_t v4[4];
	sk_status st;

	if (len >= 2 && s[0] == ':' && s[1] == ':') {
		dc = 0;
		i = 2;
	} else if (len >= 1 && s[0] == ':') {
		return sk__err_at(err, SK_ESYNTAX, 0, "IPv6 address: a "
				  "single ':' cannot start it");
	}
	while (i < len) {
		start = i;
		v = 0;
		while (i < len && is_hex(s[i]) && i - start < 5) {
			v = (v << 4) | hex_val(s[i]);
			i++;
		}
		if (i < len && s[i] == '.') {
			/* Dotted IPv4 tail: the last 32 bits. */
			if (ng > 6)
				return sk__err_at(err, SK_ESYNTAX, start,
						  "IPv6 address: no room for "
						  "an IPv4 tail after %d "
						  "groups", ng);
			st = parse_v4(s + start, len - start, start, v4, err);
			if (st != SK_OK)
				return st;
			g[ng++] = ((unsigned)v4[0] << 8) | v4[1];
			g[ng++] = ((unsigned)v4[2] << 8) | v4[3];
			i = len;
			break;
		}
		if (i == start) {
			if (s[i] == '%')
				return sk__err_at(err, SK_ESYNTAX, i,
						  "IPv6 address: zone index "
						  "not allowed");
			return sk__err_at(err, SK_ESYNTAX, i, "IPv6 address: "
					  "expected a hex group, not '%c'",
					  s[i]);
		}
		if (i - start > 4)
			return sk__err_at(err, SK_ESYNTAX, start,
					  "IPv6 address: group of more than "
					  "4 hex digits");
		if (ng == 8)
			return sk__err_at(err, SK_ESYNTAX, start,
					  "IPv6 address: more than 8 groups");
		g[ng++] = v;
		if (i == len)
			break;
		if (s[i] != ':') {
			if (s[i] == '%')
				return sk__err_at(err, SK_ESYNTAX, i,
						  "IPv6 address: zone index "
						  "not allowed");
			return sk__err_at(err, SK_ESYNTAX, i, "IPv6 address: "
					  "unexpected '%c'", s[i]);
		}
		i++;
		if (i < len && s[i] == ':') {
			if (dc >= 0)
				return sk__err_at(err, SK_ESYNTAX, i - 1,
						  "IPv6 address: '::' may "
						  "appear only once");
			dc = ng;
			i++;
		} else if (i == len) {
			return sk__err_at(err, SK_ESYNTAX, i - 1,
					  "IPv6 address: a single ':' cannot "
					  "end it");
		}
	}
	if (dc < 0 && ng != 8)
		return sk__err_at(err, SK_ESYNTAX, len, "IPv6 address: %d "
				  "groups, 8 needed (or '::')", ng);
	if (dc >= 0 && ng > 7)
		return sk__err_at(err, SK_ESYNTAX, len, "IPv6 address: '::' "
				  "with 8 groups stands for nothing");
	memset(out, 0, 16);
	fill = dc < 0 ? 0 : 8 - ng;
	for (k = 0; k < ng; k++) {
		int pos = (dc >= 0 && k >= dc) ? k + fill : k;

		out[pos * 2] = (uint8_t)(g[k] >> 8);
		out[pos * 2 + 1] = (uint8_t)g[k];
	}
	return SK_OK;
}

SK_API sk_status
sk_ip_parse(const char *s, size_t len, struct sk_ipaddr *out,
	    struct sk_err *err)
{
	struct sk_ipaddr a;
	sk_status st;

	if (s == NULL || out == NULL)
		return sk__err(err, SK_EINVAL, "no address");
	if (len == 0)
		return sk__err_at(err, SK_ESYNTAX, 0, "empty address");
	if (len > SK_CIDR_MAX_TEXT)
		return sk__err_at(err, SK_ETOOBIG, SK_CIDR_MAX_TEXT,
				  "address longer than %d bytes",
				  SK_CIDR_MAX_TEXT);
	memset(&a, 0, sizeof(a));
	if (memchr(s, ':', len) != NULL) {
		a.af = SK_AF_INET6;
		st = parse_v6(s, len, a.b, err);
	} else {
		a.af = SK_AF_INET;
		st = parse_v4(s, len, 0, a.b, err);
	}
	if (st != SK_OK)
		return st;
	*out = a;
	return SK_OK;
}

struct sk__u128
sk__ip_to_u128(const struct sk_ipaddr *a)
{
	struct sk__u128 v = {0, 0};
	int i;

	if (a->af == SK_AF_INET) {
		for (i = 0; i < 4; i++)
			v.lo = (v.lo << 8) | a->b[i];
		return v;
	}
	for (i = 0; i < 8; i++)
		v.hi = (v.hi << 8) | a->b[i];
	for (i = 8; i < 16; i++)
		v.lo = (v.lo << 8) | a->b[i];
	return v;
}

void
sk__u128_to_ip(struct sk__u128 v, uint8_t af, struct sk_ipaddr *out)
{
	int i;

	memset(out, 0, sizeof(*out));
	out->af = af;
	if (af == SK_AF_INET) {
		for (i = 3; i >= 0; i--) {
			out->b[i] = (uint8_t)v.lo;
			v.lo >>= 8;
		}
		return;
	}
	for (i = 15; i >= 8; i--) {
		out->b[i] = (uint8_t)v.lo;
		v.lo >>= 8;
	}
	for (i = 7; i >= 0; i--) {
		out->b[i] = (uint8_t)v.hi;
		v.hi >>= 8;
	}
}

/* Mask of the host bits of a prefix (the low width-prefix bits). */
static struct sk__u128
host_mask(uint8_t af, unsigned prefix)
{
	struct sk__u128 m = {0, 0};
	unsigned hb = sk__af_bits(af) - prefix;

	if (hb >= 128) {
		m.hi = UINT64_MAX;
		m.lo = UINT64_MAX;
	} else if (hb >= 64) {
		m.lo = UINT64_MAX;
		m.hi = hb == 64 ? 0 : (UINT64_MAX >> (128 - hb));
	} else if (hb > 0) {
		m.lo = UINT64_MAX >> (64 - hb);
	}
	return m;
}

void
sk__cidr_rng(const struct sk_cidr *c, struct sk__rng *out)
{
	struct sk__u128 v = sk__ip_to_u128(&c->addr);
	struct sk__u128 m = host_mask(c->addr.af, c->prefix);

	out->af = c->addr.af;
	out->first.hi = v.hi & ~m.hi;
	out->first.lo = v.lo & ~m.lo;
	out->last.hi = out->first.hi | m.hi;
	out->last.lo = out->first.lo | m.lo;
}

void
sk__rng_to_range(const struct sk__rng *r, struct sk_iprange *out)
{
	sk__u128_to_ip(r->first, r->af, &out->first);
	sk__u128_to_ip(r->last, r->af, &out->last);
}

void
sk__range_rng(const struct sk_iprange *r, struct sk__rng *out)
{
	out->af = r->first.af;
	out->first = sk__ip_to_u128(&r->first);
	out->last = sk__ip_to_u128(&r->last);
}

/* Number of trailing zero bits of v within `bits` (bits when v is 0). */
static unsigned
tz128(struct sk__u128 v, unsigned bits)
{
	unsigned n = 0;

	if (v.lo == 0 && v.hi == 0)
		return bits;
	if (v.lo == 0) {
		n = 64;
		v.lo = v.hi;
	}
	while ((v.lo & 1) == 0) {
		v.lo >>= 1;
		n++;
	}
	return n < bits ? n : bits;
}

/* floor(log2(v)) for v != 0. */
static unsigned
log2_128(struct sk__u128 v)
{
	unsigned n = 0;
	uint64_t w = v.lo;

	if (v.hi != 0) {
		n = 64;
		w = v.hi;
	}
	while (w > 1) {
		w >>= 1;
		n++;
	}
	return n;
}

bool
sk__rng_block(uint8_t af, struct sk__u128 pos, struct sk__u128 last,
	      unsigned *prefix, struct sk__u128 *next)
{
	unsigned bits = sk__af_bits(af), k, span;
	struct sk__u128 d, m;

	/* d = last - pos; the block size 2^k must fit in d + 1. */
	d.lo = last.lo - pos.lo;
	d.hi = last.hi - pos.hi - (last.lo < pos.lo ? 1 : 0);
	m = sk__u128_max(af);
	if (sk__u128_eq(d, m))
		span = bits;
	else
		span = log2_128(sk__u128_inc(d));
	k = tz128(pos, bits);
	if (span < k)
		k = span;
	*prefix = bits - k;
	/* Block end = pos | host_mask(k); the next position follows it. */
	m = host_mask(af, bits - k);
	m.hi |= pos.hi;
	m.lo |= pos.lo;
	if (sk__u128_eq(m, sk__u128_max(af)) || sk__u128_cmp(m, last) >= 0)
		return false;
	*next = sk__u128_inc(m);
	return true;
}

SK_API sk_status
sk_cidr_parse(const char *s, size_t len, unsigned flags, struct sk_cidr *out,
	      bool *normalized, struct sk_err *err)
{
	struct sk_cidr c;
	struct sk__rng r;
	struct sk__u128 v;
	const char *slash;
	size_t alen, i;
	unsigned long pl = 0;
	unsigned width;
	sk_status st;

	if (normalized != NULL)
		*normalized = false;
	if (s == NULL || out == NULL)
		return sk__err(err, SK_EINVAL, "no CIDR");
	if (len > SK_CIDR_MAX_TEXT)
		return sk__err_at(err, SK_ETOOBIG, SK_CIDR_MAX_TEXT,
				  "CIDR longer than %d bytes",
				  SK_CIDR_MAX_TEXT);
	slash = memchr(s, '/', len);
	alen = slash != NULL ? (size_t)(slash - s) : len;
	memset(&c, 0, sizeof(c));
	st = sk_ip_parse(s, alen, &c.addr, err);
	if (st != SK_OK)
		return st;
	width = sk__af_bits(c.addr.af);
	c.prefix = (uint8_t)width;
	if (slash != NULL) {
		/* RFC 4632 section 3.1: a decimal length; leading zeros are
		 * refused as in RFC 7208 section 5.6's ip4-cidr-length. */
		i = alen + 1;
		if (i == len)
			return sk__err_at(err, SK_ESYNTAX, i, "CIDR: no prefix "
					  "length after '/'");
		if (len - i > 1 && s[i] == '0')
			return sk__err_at(err, SK_ESYNTAX, i, "CIDR: prefix "
					  "length has a leading zero");
		if (len - i > 3 || !sk__parse_uint(s + i, len - i, 255, &pl))
			return sk__err_at(err, SK_ESYNTAX, i, "CIDR: prefix "
					  "length is not a decimal number");
		if (pl > width)
			return sk__err_at(err, SK_ESYNTAX, i, "CIDR: prefix "
					  "length %lu is over %u", pl, width);
		c.prefix = (uint8_t)pl;
	}
	sk__cidr_rng(&c, &r);
	v = sk__ip_to_u128(&c.addr);
	if (!sk__u128_eq(v, r.first)) {
		if (flags & SK_NET_STRICT)
			return sk__err_at(err, SK_ESYNTAX, alen, "CIDR: host "
					  "bits are set (the network is not "
					  "what was written)");
		sk__u128_to_ip(r.first, c.addr.af, &c.addr);
		if (normalized != NULL)
			*normalized = true;
	}
	*out = c;
	return SK_OK;
}

SK_API sk_status
sk_iprange_parse(const char *s, size_t len, unsigned flags,
		 struct sk_iprange *out, bool *normalized, struct sk_err *err)
{
	struct sk_iprange r;
	struct sk_cidr c;
	struct sk__rng g;
	const char *dash;
	size_t a_end, b_start;
	sk_status st;

	if (normalized != NULL)
		*normalized = false;
	if (s == NULL || out == NULL)
		return sk__err(err, SK_EINVAL, "no range");
	if (len > 2 * SK_CIDR_MAX_TEXT + 8)
		return sk__err_at(err, SK_ETOOBIG, 0, "range text too long");
	dash = memchr(s, '-', len);
	if (dash == NULL) {
		st = sk_cidr_parse(s, len, flags, &c, normalized, err);
		if (st != SK_OK)
			return st;
		sk_cidr_range(&c, out);
		return SK_OK;
	}
	a_end = (size_t)(dash - s);
	b_start = a_end + 1;
	while (a_end > 0 && (s[a_end - 1] == ' ' || s[a_end - 1] == '\t'))
		a_end--;
	while (b_start < len && (s[b_start] == ' ' || s[b_start] == '\t'))
		b_start++;
	st = sk_ip_parse(s, a_end, &r.first, err);
	if (st != SK_OK)
		return st;
	st = sk_ip_parse(s + b_start, len - b_start, &r.last, err);
	if (st != SK_OK) {
		if (err != NULL && err->offset != SK_NO_OFFSET)
			err->offset += b_start;
		return st;
	}
	if (r.first.af != r.last.af)
		return sk__err_at(err, SK_ESYNTAX, b_start, "range: the two "
				  "ends are of different families");
	sk__range_rng(&r, &g);
	if (sk__u128_cmp(g.first, g.last) > 0)
		return sk__err_at(err, SK_ESYNTAX, b_start, "range: the last "
				  "address is below the first");
	*out = r;
	return SK_OK;
}

static size_t
fmt_v4(const uint8_t *b, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%u.%u.%u.%u", b[0], b[1], b[2], b[3]);

	return n < 0 ? 0 : (size_t)n;
}

SK_API size_t
sk_ip_format(const struct sk_ipaddr *a, char *buf, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	char tmp[SK_IP_STRLEN];
	unsigned g[8], v;
	int best = -1, bestlen = 0, run, k, j;
	size_t o = 0;
	bool mapped;

	if (a->af == SK_AF_INET) {
		o = fmt_v4(a->b, tmp, sizeof(tmp));
	} else {
		for (k = 0; k < 8; k++)
			g[k] = ((unsigned)a->b[2 * k] << 8) | a->b[2 * k + 1];
		for (k = 0; k < 8; k += run > 0 ? run : 1) {
			run = 0;
			while (k + run < 8 && g[k + run] == 0)
				run++;
			if (run >= 2 && run > bestlen) {
				best = k;
				bestlen = run;
			}
		}
		/* RFC 5952 section 5: ::ffff:0:0/96 ends in dotted IPv4. */
		mapped = g[0] == 0 && g[1] == 0 && g[2] == 0 && g[3] == 0 &&
			 g[4] == 0 && g[5] == 0xffff;
		for (k = 0; k < (mapped ? 6 : 8); k++) {
			if (k == best) {
				tmp[o++] = ':';
				tmp[o++] = ':';
				k += bestlen - 1;
				continue;
			}
			if (k > 0 && k != best + bestlen)
				tmp[o++] = ':';
			v = g[k];
			for (j = 12; j > 0 && (v >> j) == 0; j -= 4)
				;
			for (; j >= 0; j -= 4)
				tmp[o++] = hex[(v >> j) & 0xf];
		}
		if (mapped) {
			tmp[o++] = ':';
			o += fmt_v4(a->b + 12, tmp + o, sizeof(tmp) - o);
		}
		tmp[o] = '\0';
	}
	if (size > 0) {
		size_t n = o < size - 1 ? o : size - 1;

		memcpy(buf, tmp, n);
		buf[n] = '\0';
	}
	return o;
}

SK_API size_t
sk_cidr_format(const struct sk_cidr *c, char *buf, size_t size)
{
	char tmp[SK_CIDR_STRLEN];
	size_t n;
	int m;

	n = sk_ip_format(&c->addr, tmp, sizeof(tmp));
	m = snprintf(tmp + n, sizeof(tmp) - n, "/%u", c->prefix);
	n += m > 0 ? (size_t)m : 0;
	if (size > 0)
		snprintf(buf, size, "%s", tmp);
	return n;
}

SK_API size_t
sk_iprange_format(const struct sk_iprange *r, char *buf, size_t size)
{
	char a[SK_IP_STRLEN], b[SK_IP_STRLEN];
	int n;

	sk_ip_format(&r->first, a, sizeof(a));
	sk_ip_format(&r->last, b, sizeof(b));
	n = snprintf(buf, size, "%s-%s", a, b);
	return n < 0 ? 0 : (size_t)n;
}

SK_API int
sk_ip_cmp(const struct sk_ipaddr *a, const struct sk_ipaddr *b)
{
	if (a->af != b->af)
		return a->af < b->af ? -1 : 1;
	return memcmp(a->b, b->b, 16);
}

SK_API bool
sk_cidr_contains(const struct sk_cidr *c, const struct sk_ipaddr *a)
{
	struct sk__rng r;
	struct sk__u128 v;

	if (c->addr.af != a->af)
		return false;
	sk__cidr_rng(c, &r);
	v = sk__ip_to_u128(a);
	return sk__u128_cmp(v, r.first) >= 0 && sk__u128_cmp(v, r.last) <= 0;
}

SK_API void
sk_cidr_range(const struct sk_cidr *c, struct sk_iprange *out)
{
	struct sk__rng r;

	sk__cidr_rng(c, &r);
	sk__rng_to_range(&r, out);
}
