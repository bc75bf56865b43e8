/*
 * lib/dkim/sig.c - the DKIM-Signature header field, RFC 6376 section 3.5
 * (tags v a b bh c d h i l q s t x z), with the checks of section 6.1.1
 * that need no key and no clock, and the "b= deleted" copy of the field
 * that the header hash covers (section 3.7).  RFC 8301 (rsa-sha1) and
 * RFC 8463 (ed25519-sha256) algorithm names.
 */
#include <limits.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#define SK_SIG_SSE2 1
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#include <tmmintrin.h>
#define SK_SIG_SSSE3 1
#define SK_SIG_AVX2 1
#endif
#endif
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

/* The bytes after the struct, handed out in order.  end: the end of the
 * field's text, as far as a tag value may be read 16 bytes at a time. */
struct arena {
	char *p;
	size_t left;
	const char *end;
};

/* Bytes at the end of the arena that no string takes: the 16-byte moves
 * of tag_copy_n may write that far past the last one. */
#define COPY_SLACK 16

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

/*
 * The end of the run at i of bytes above SP: within a tag value (only
 * VALCHAR and FWS there, tags.c) the next FWS byte, or n.  16 bytes at a
 * time: b= is long.
 */
static size_t
run_end(const char *v, size_t n, size_t i)
{
#ifdef SK_SIG_SSE2
	const __m128i sp = _mm_set1_epi8(' ');

	for (; i + 16 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(v + i));
		/* x <= SP, unsigned */
		__m128i low = _mm_cmpeq_epi8(_mm_min_epu8(x, sp), x);
		unsigned m = (unsigned)_mm_movemask_epi8(low);

		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
	}
#endif
	while (i < n && (unsigned char)v[i] > ' ')
		i++;
	return i;
}

/* tag_copy_n for a value with FWS inside, into s. */
static size_t
copy_fws(const char *v, size_t n, size_t avail, char *s)
{
	size_t o = 0, i = 0;

	while (i < n) {
		size_t k = 0;
#ifdef SK_SIG_SSE2
		/* Store 16 bytes at a time, keep those before the first FWS
		 * byte (the rest is written over). */
		const __m128i sp = _mm_set1_epi8(' ');
		unsigned m = 0;

		for (; i + 16 <= n; i += 16, o += 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(v + i));

			_mm_storeu_si128((__m128i *)(s + o), x);
			m = (unsigned)_mm_movemask_epi8(
			    _mm_cmpeq_epi8(_mm_min_epu8(x, sp), x));
			if (m != 0)
				break;
		}
		if (m == 0 && i < n && avail - i >= 16) {
			__m128i x = _mm_loadu_si128((const __m128i *)(v + i));

			_mm_storeu_si128((__m128i *)(s + o), x);
			/* fewer than 16 bytes of the value are left here */
			m = (unsigned)_mm_movemask_epi8(
			    _mm_cmpeq_epi8(_mm_min_epu8(x, sp), x)) &
			    ((1u << (n - i)) - 1);
			if (m == 0)
				k = n - i;
		}
		if (m != 0) {
			k = (size_t)__builtin_ctz(m);
			o += k;
			i += k;
			/* Bytes up to SP in a tag value are FWS (tags.c): skip
			 * the run of them that the mask shows. */
			i += (size_t)__builtin_ctz(~(m >> k));
			continue;
		}
		if (k == 0)
#endif
		{
			k = run_end(v, n, i) - i;
			memcpy(s + o, v + i, k);
		}
		o += k;
		i += k;
		for (; i < n && (unsigned char)v[i] <= ' '; i++)
			if (!fws_tab[(unsigned char)v[i]])
				s[o++] = v[i];
	}
	s[o] = '\0';
	return o;
}

/* A copy of a tag value without FWS, NUL-terminated, in the arena (which
 * has value_len + 1 bytes for it, COPY_SLACK more at its end); NULL when
 * the tag is absent.  *outlen gets its length.  A value under 16 bytes
 * without FWS is one 16-byte move; others go 16 bytes at a time up to the
 * next FWS byte. */
static inline char *
tag_copy_n(struct arena *a, const struct sk__dkim_tag *t, size_t *outlen)
{
	const char *v;
	char *s;
	size_t o, n, avail;

	*outlen = 0;
	if (t == NULL)
		return NULL;
	s = arena_take(a, t->value_len + 1);
	if (s == NULL)
		return NULL;
	v = t->value;
	n = t->value_len;
	avail = (size_t)(a->end - v); /* readable bytes from v */
	if (!t->fws) {
		if (n < 16 && avail >= 16)
			memcpy(s, v, 16);
		else
			memcpy(s, v, n);
		s[n] = '\0';
		*outlen = n;
		return s;
	}
	o = copy_fws(v, n, avail, s);
	/* Give back what FWS did not use. */
	a->p -= n - o;
	a->left += n - o;
	*outlen = o;
	return s;
}

static char *
tag_copy(struct arena *a, const struct sk__dkim_tag *t)
{
	size_t n;

	return tag_copy_n(a, t, &n);
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

#ifdef SK_SIG_SSSE3
/*
 * Base64 16 characters at a time (SSSE3 byte shuffles, after W. Mula's
 * "Base64 decoding with SIMD instructions"): each byte's high and low
 * nibbles select bits in two tables whose AND is zero only for the
 * alphabet; a third table, by high nibble ('/' apart), gives what to add
 * to get the 6-bit value; multiply-adds pack four values into 3 bytes.
 * Decodes while i + 20 <= n (the caller's room allows the 16-byte
 * store) and stops before a block that holds anything else; returns the
 * characters consumed, *o advanced.
 */
__attribute__((target("ssse3"))) static size_t
b64_ssse3(const unsigned char *in, size_t n, uint8_t *out, size_t *o)
{
	const __m128i lut_lo = _mm_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11,
	    0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a);
	const __m128i lut_hi = _mm_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04,
	    0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10);
	const __m128i lut_roll = _mm_setr_epi8(0, 16, 19, 4, -65, -65, -71,
	    -71, 0, 0, 0, 0, 0, 0, 0, 0);
	const __m128i nib = _mm_set1_epi8(0x0f), slash = _mm_set1_epi8('/');
	const __m128i pack = _mm_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14,
	    13, 12, -1, -1, -1, -1);
	size_t i = 0, w = *o; /* a local: stores through out alias *o */

	for (; i + 20 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(in + i));
		__m128i hi = _mm_and_si128(_mm_srli_epi32(x, 4), nib);
		__m128i lo = _mm_and_si128(x, nib);
		__m128i bad = _mm_and_si128(_mm_shuffle_epi8(lut_lo, lo),
					    _mm_shuffle_epi8(lut_hi, hi));
		__m128i roll, v;

		if (_mm_movemask_epi8(_mm_cmpgt_epi8(bad,
						     _mm_setzero_si128())) != 0)
			break;
		roll = _mm_shuffle_epi8(lut_roll,
		    _mm_add_epi8(_mm_cmpeq_epi8(x, slash), hi));
		v = _mm_add_epi8(x, roll);
		/* aaaaaa bbbbbb -> 12 bits; two of those -> 24 bits a lane */
		v = _mm_maddubs_epi16(v, _mm_set1_epi32(0x01400140));
		v = _mm_madd_epi16(v, _mm_set1_epi32(0x00011000));
		v = _mm_shuffle_epi8(v, pack);
		_mm_storeu_si128((__m128i *)(out + w), v);
		w += 12;
	}
	*o = w;
	return i;
}
#endif

#ifdef SK_SIG_AVX2
/*
 * b64_ssse3 32 characters at a time (the same tables in both 128-bit
 * lanes; a permute joins the two lanes' 12 bytes).  The 32-byte store
 * writes 8 bytes past the 24 it means: it runs while i + 40 <= n (n and
 * i multiples of 4), where the caller's room (at least n / 4 * 3 + 3)
 * still holds them: i / 4 * 3 + 32 <= n / 4 * 3 + 2.
 */
__attribute__((target("avx2"))) static size_t
b64_avx2(const unsigned char *in, size_t n, uint8_t *out, size_t *o)
{
	const __m256i lut_lo = _mm256_setr_epi8(0x15, 0x11, 0x11, 0x11, 0x11,
	    0x11, 0x11, 0x11, 0x11, 0x11, 0x13, 0x1a, 0x1b, 0x1b, 0x1b, 0x1a,
	    0x15, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x11, 0x13,
	    0x1a, 0x1b, 0x1b, 0x1b, 0x1a);
	const __m256i lut_hi = _mm256_setr_epi8(0x10, 0x10, 0x01, 0x02, 0x04,
	    0x08, 0x04, 0x08, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10, 0x10,
	    0x10, 0x10, 0x01, 0x02, 0x04, 0x08, 0x04, 0x08, 0x10, 0x10, 0x10,
	    0x10, 0x10, 0x10, 0x10, 0x10);
	const __m256i lut_roll = _mm256_setr_epi8(0, 16, 19, 4, -65, -65, -71,
	    -71, 0, 0, 0, 0, 0, 0, 0, 0, 0, 16, 19, 4, -65, -65, -71, -71, 0,
	    0, 0, 0, 0, 0, 0, 0);
	const __m256i nib = _mm256_set1_epi8(0x0f);
	const __m256i slash = _mm256_set1_epi8('/');
	const __m256i pack = _mm256_setr_epi8(2, 1, 0, 6, 5, 4, 10, 9, 8, 14,
	    13, 12, -1, -1, -1, -1, 2, 1, 0, 6, 5, 4, 10, 9, 8, 14, 13, 12,
	    -1, -1, -1, -1);
	const __m256i join = _mm256_setr_epi32(0, 1, 2, 4, 5, 6, 3, 7);
	size_t i = 0, w = *o; /* a local: stores through out alias *o */

	for (; i + 40 <= n; i += 32) {
		__m256i x = _mm256_loadu_si256((const __m256i *)(in + i));
		__m256i hi = _mm256_and_si256(_mm256_srli_epi32(x, 4), nib);
		__m256i lo = _mm256_and_si256(x, nib);
		__m256i bad = _mm256_and_si256(_mm256_shuffle_epi8(lut_lo, lo),
					       _mm256_shuffle_epi8(lut_hi, hi));
		__m256i roll, v;

		if (!_mm256_testz_si256(bad, bad))
			break;
		roll = _mm256_shuffle_epi8(lut_roll,
		    _mm256_add_epi8(_mm256_cmpeq_epi8(x, slash), hi));
		v = _mm256_add_epi8(x, roll);
		v = _mm256_maddubs_epi16(v, _mm256_set1_epi32(0x01400140));
		v = _mm256_madd_epi16(v, _mm256_set1_epi32(0x00011000));
		v = _mm256_shuffle_epi8(v, pack);
		v = _mm256_permutevar8x32_epi32(v, join);
		_mm256_storeu_si256((__m256i *)(out + w), v);
		w += 24;
	}
	*o = w;
	return i;
}
#endif

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
	i = 0;
#ifdef SK_SIG_AVX2
	if (full >= 40 && __builtin_cpu_supports("avx2"))
		i = b64_avx2(p, full, out, &o);
#endif
#ifdef SK_SIG_SSSE3
	if (full - i >= 36 && __builtin_cpu_supports("ssse3"))
		i += b64_ssse3(p + i, full - i, out, &o);
#endif
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	/* Eight characters (six bytes) a step; out has room for the two
	 * bytes more that the 8-byte store writes (see the caller). */
	for (; i + 8 <= full; i += 8) {
		uint64_t v0 = (uint64_t)b64_val[p[i]] - 1;
		uint64_t v1 = (uint64_t)b64_val[p[i + 1]] - 1;
		uint64_t v2 = (uint64_t)b64_val[p[i + 2]] - 1;
		uint64_t v3 = (uint64_t)b64_val[p[i + 3]] - 1;
		uint64_t v4 = (uint64_t)b64_val[p[i + 4]] - 1;
		uint64_t v5 = (uint64_t)b64_val[p[i + 5]] - 1;
		uint64_t v6 = (uint64_t)b64_val[p[i + 6]] - 1;
		uint64_t v7 = (uint64_t)b64_val[p[i + 7]] - 1;
		uint64_t acc;

		if ((v0 | v1 | v2 | v3 | v4 | v5 | v6 | v7) > 63)
			return false;
		acc = v0 << 58 | v1 << 52 | v2 << 46 | v3 << 40 | v4 << 34 |
		      v5 << 28 | v6 << 22 | v7 << 16;
		acc = __builtin_bswap64(acc);
		memcpy(out + o, &acc, sizeof(acc));
		o += 6;
	}
#endif
	for (; i < full; i += 4) {
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
b64_decode(struct arena *a, const char *in, size_t len, uint8_t **out,
	   size_t *outlen)
{
	size_t room = len / 4 * 3 + 3;
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
parse_canon(struct sk__dkim_sig *sig, const char *c, size_t cl)
{
	const char *slash;
	size_t hl;

	sig->hcanon = sig->bcanon = SK_DKIM_SIMPLE;
	if (c == NULL)
		return true;
	/* The usual spellings first, then the case-folding parse. */
	if (cl == 15 && memcmp(c, "relaxed/relaxed", 15) == 0) {
		sig->hcanon = sig->bcanon = SK_DKIM_RELAXED;
		return true;
	}
	if (cl == 14 && memcmp(c, "relaxed/simple", 14) == 0) {
		sig->hcanon = SK_DKIM_RELAXED;
		return true;
	}
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

/* 1: a byte of a label (letter, digit, '-', '_'); 2: '.'. */
static const unsigned char name_tab[256] = {
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 0,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
	0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0,
};

/* Domain or selector s[0..len): labels of letters, digits, '-', '_'
 * and dots (a final dot allowed). */
static bool
name_ok_n(const char *s, size_t len)
{
	size_t lab = 0;

	if (len == 0 || len > 253)
		return false;
	for (size_t i = 0; i < len; i++) {
		unsigned k = name_tab[(unsigned char)s[i]];

		if (k == 1) {
			if (++lab > 63)
				return false;
		} else if (k == 2 && lab != 0) {
			lab = 0;
		} else {
			return false;
		}
	}
	return true;
}

bool
sk__dkim_name_ok(const char *s)
{
	return name_ok_n(s, strlen(s));
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

/* Bit k set: p[k] == c, for the 16 bytes at p (all readable). */
static unsigned
byte_mask16(const char *p, char c)
{
#ifdef SK_SIG_SSE2
	__m128i x = _mm_loadu_si128((const __m128i *)p);

	return (unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x,
							  _mm_set1_epi8(c)));
#else
	unsigned m = 0;

	for (unsigned k = 0; k < 16; k++)
		m |= (unsigned)(p[k] == c) << k;
	return m;
#endif
}

/* How many bytes c in p[0..n). */
static size_t
count_byte(const char *p, size_t n, char c)
{
	size_t i = 0, k = 0;

	for (; i + 16 <= n; i += 16) {
		/* few bits set: no popcount (a libgcc call without -mpopcnt) */
		for (unsigned m = byte_mask16(p + i, c); m != 0; m &= m - 1)
			k++;
	}
	for (; i < n; i++)
		k += p[i] == c;
	return k;
}

/* p[0..4) is "from" in any case: OR 0x20 maps only 'F' and 'f' to
 * 'f' (and so on for r, o, m). */
static bool
is_from4(const char *p)
{
	uint32_t w, f;

	memcpy(&w, p, 4);
	memcpy(&f, "from", 4);
	return (w | 0x20202020u) == f;
}

/* One name of h=: p[0..len). */
static inline void
add_name(struct sk__dkim_sig *sig, const char *p, size_t len, bool *from)
{
	if (len == 0) {
		set_reason(sig, "signature-syntax", "empty header name in h=");
		return;
	}
	sig->names[sig->nnames].p = p;
	sig->names[sig->nnames].len = len;
	sig->nnames++;
	if (len == 4 && is_from4(p))
		*from = true;
}

/* Split h= (FWS already removed, hl bytes) into names, the array of n
 * (one more than the ':' of h=) that sig->names has room for; 3.5: From
 * must be there.  The bytes of a tag value are VALCHAR (tags.c), so each
 * name is RFC 5322 ftext already; only empty names are wrong. */
static void
split_h(struct sk__dkim_sig *sig, size_t hl, size_t n)
{
	const char *h = sig->h;
	size_t i = 0, start = 0;
	bool from = false;

	sig->nnames = 0;
	for (; i + 16 <= hl; i += 16) {
		unsigned m = byte_mask16(h + i, ':');

		while (m != 0 && sig->nnames < n) {
			size_t at = i + (size_t)__builtin_ctz(m);

			add_name(sig, h + start, at - start, &from);
			start = at + 1;
			m &= m - 1;
		}
	}
	for (; i < hl && sig->nnames < n; i++) {
		if (h[i] == ':') {
			add_name(sig, h + start, i - start, &from);
			start = i + 1;
		}
	}
	if (sig->nnames < n)
		add_name(sig, h + start, hl - start, &from);
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
	if (len == 1) {
		switch (name[0]) {
		case 'v': return T_V;
		case 'a': return T_A;
		case 'b': return T_B;
		case 'c': return T_C;
		case 'd': return T_D;
		case 'h': return T_H;
		case 'i': return T_I;
		case 'l': return T_L;
		case 'q': return T_Q;
		case 's': return T_S;
		case 't': return T_T;
		case 'x': return T_X;
		case 'z': return T_Z;
		default: return -1;
		}
	}
	return len == 2 && name[0] == 'b' && name[1] == 'h' ? T_BH : -1;
}

/* Lengths of the copies check() looks at. */
struct lens {
	size_t v, a, c, q, d, s;
};

/* Required tags (3.5), in the order they are reported. */
static const int required[] = { T_V, T_A, T_B, T_BH, T_D, T_H, T_S };
static const char *const required_name[] = { "v", "a", "b", "bh", "d",
					     "h", "s" };

static sk_status
check(struct sk__dkim_sig *sig, const struct sk__dkim_tag *const *tv,
      struct arena *ar, size_t nh, const struct lens *ln)
{
	size_t k;
	sk_status st;

	for (k = 0; k < sizeof(required) / sizeof(required[0]); k++)
		if (tv[required[k]] == NULL)
			set_reason(sig, "tag-missing",
				   "required tag %s= missing (RFC 6376 "
				   "section 3.5)", required_name[k]);
	if (sig->v != NULL && (ln->v != 1 || sig->v[0] != '1'))
		set_reason(sig, "version-unsupported",
			   "v=%s is not 1 (RFC 6376 section 6.1.1)", sig->v);
	if (sig->a != NULL) {
		size_t al = ln->a;

		sig->alg_known = true;
		/* the lower-case spelling first: one compare */
		if (al == 10 && memcmp(sig->a, "rsa-sha256", 10) == 0)
			sig->alg = SK_DKIM_RSA_SHA256;
		else if (sk__eq_nocase_z(sig->a, al, "rsa-sha256"))
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
	if (!parse_canon(sig, sig->canon_str, ln->c))
		set_reason(sig, "signature-syntax", "bad c=%s",
			   sig->canon_str);
	if (sig->q != NULL) {
		const char *p = sig->q;
		bool dns = ln->q == 7 && memcmp(p, "dns/txt", 7) == 0;

		while (!dns && *p != '\0') {
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
	if (sig->d != NULL && !name_ok_n(sig->d, ln->d))
		set_reason(sig, "signature-syntax", "bad domain d=%s", sig->d);
	if (sig->s != NULL && !name_ok_n(sig->s, ln->s))
		set_reason(sig, "signature-syntax", "bad selector s=%s",
			   sig->s);
	if (sig->b64 != NULL) {
		st = b64_decode(ar, sig->b64, sig->b64_len, &sig->b,
				&sig->blen);
		if (st != SK_OK)
			return st;
		if (sig->blen == 0)
			set_reason(sig, "signature-syntax",
				   "b= is empty or not base64");
	}
	if (tv[T_BH] != NULL) {
		/* Decoded without FWS, as the strict decoder skips it. */
		size_t bhl;
		const char *bh = tag_copy_n(ar, tv[T_BH], &bhl);

		if (bh == NULL)
			return SK_EINTERNAL;
		st = b64_decode(ar, bh, bhl, &sig->bh, &sig->bhlen);
		if (st != SK_OK)
			return st;
		if (sig->bhlen == 0)
			set_reason(sig, "signature-syntax",
				   "bh= is empty or not base64");
	}
	if (sig->h != NULL)
		split_h(sig, sig->h_len, nh);
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

/* A number tag (t=, x=, l=): *out stays -1 when absent; a reason when
 * bad.  Without FWS the value is read where it is; else (and for the
 * message) from its FWS-free copy. */
static void
num_tag(struct sk__dkim_sig *sig, struct arena *a,
	const struct sk__dkim_tag *t, const char *what, long long *out)
{
	unsigned long v;
	char *tmp;

	if (t == NULL)
		return;
	if (!t->fws && t->value_len > 0 && t->value_len <= 18) {
		/* 18 digits cannot pass LLONG_MAX: no overflow checks */
		size_t k;

		v = 0;
		for (k = 0; k < t->value_len; k++) {
			unsigned d = (unsigned char)t->value[k] - (unsigned)'0';

			if (d > 9)
				break;
			v = v * 10 + d;
		}
		if (k == t->value_len) {
			*out = (long long)v;
			return;
		}
	} else if (!t->fws && sk__parse_uint(t->value, t->value_len,
					     (unsigned long)LLONG_MAX, &v)) {
		*out = (long long)v;
		return;
	}
	tmp = tag_copy(a, t);
	if (!parse_num(tmp, out))
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
	struct sk__dkim_sig *none = NULL;

	return sk__dkim_sig_parse_reuse(field, len, &none, out);
}

sk_status
sk__dkim_sig_parse_reuse(const char *field, size_t len,
			 struct sk__dkim_sig **spare, struct sk__dkim_sig **out)
{
	struct sk__dkim_tag tags[SK__DKIM_MAX_TAGS];
	const struct sk__dkim_tag *tv[T_NSLOTS];
	struct sk__dkim_sig *sig;
	struct arena ar = { NULL, 0, NULL };
	struct lens ln;
	struct sk_err e;
	size_t n = 0, colon, vlen, k, nh = 0, need = 0;
	const char *reason = NULL, *detail = NULL;
	sk_status st;

	*out = NULL;
	memset(tv, 0, sizeof(tv));
	colon = 0;
	for (; colon + 16 <= len; colon += 16) {
		unsigned m = byte_mask16(field + colon, ':');

		if (m != 0) {
			colon += (size_t)__builtin_ctz(m);
			break;
		}
	}
	while (colon < len && field[colon] != ':')
		colon++;
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
	if (tv[T_H] != NULL)
		nh = 1 + count_byte(tv[T_H]->value, tv[T_H]->value_len, ':');
	if (n > 0) {
		if (tv[T_B] != NULL)
			need += tv[T_B]->value_len / 4 * 3 + 3 + len + 1;
		if (tv[T_BH] != NULL)
			need += tv[T_BH]->value_len / 4 * 3 + 3;
		need += 16 + nh * sizeof(struct sk__dkim_hname);
		/* "@" d= when there is no i= */
		need += (tv[T_D] != NULL ? tv[T_D]->value_len : 0) + 2;
		need += COPY_SLACK;
	}
	/* Only the struct is cleared: the arena is written before read. */
	if (*spare != NULL && (*spare)->room >= need) {
		sig = *spare;
		need = sig->room;
	} else {
		sk__free(*spare);
		sig = sk__malloc(sizeof(*sig) + need);
		if (sig == NULL) {
			*spare = NULL;
			return SK_ENOMEM;
		}
	}
	*spare = NULL;
	memset(sig, 0, offsetof(struct sk__dkim_sig, detail));
	sig->detail[0] = '\0';
	memset(&sig->v, 0, sizeof(*sig) - offsetof(struct sk__dkim_sig, v));
	sig->room = need;
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
	ar.end = field + len;
	/* The names first: the arena starts aligned for them. */
	if (nh > 0)
		sig->names = arena_take(&ar, nh * sizeof(*sig->names));
	sig->v = tag_copy_n(&ar, tv[T_V], &ln.v);
	sig->a = tag_copy_n(&ar, tv[T_A], &ln.a);
	sig->d = tag_copy_n(&ar, tv[T_D], &ln.d);
	sig->s = tag_copy_n(&ar, tv[T_S], &ln.s);
	sig->i = tag_copy(&ar, tv[T_I]);
	sig->q = tag_copy_n(&ar, tv[T_Q], &ln.q);
	sig->z = tag_copy(&ar, tv[T_Z]);
	sig->h = tag_copy_n(&ar, tv[T_H], &sig->h_len);
	sig->b64 = tag_copy_n(&ar, tv[T_B], &sig->b64_len);
	sig->canon_str = tag_copy_n(&ar, tv[T_C], &ln.c);
	num_tag(sig, &ar, tv[T_T], "t", &sig->t);
	num_tag(sig, &ar, tv[T_X], "x", &sig->x);
	num_tag(sig, &ar, tv[T_L], "l", &sig->l);
	st = check(sig, tv, &ar, nh, &ln);
	if (st != SK_OK) {
		sk__free(sig);
		return st == SK_ENOMEM ? SK_ENOMEM : SK_EINTERNAL;
	}
	/* "relaxed/simple": normalised for results. */
	{
		static const char names[2][2][16] = {
			{ "simple/simple", "simple/relaxed" },
			{ "relaxed/simple", "relaxed/relaxed" },
		};
		const char *cs = names[sig->hcanon != SK_DKIM_SIMPLE]
				      [sig->bcanon != SK_DKIM_SIMPLE];

		/* 16 bytes with the NUL padding: one move */
		sig->canon_str = arena_take(&ar, 16);
		if (sig->canon_str != NULL)
			memcpy(sig->canon_str, cs, 16);
	}
	if (tv[T_B] != NULL)
		strip_b(sig, &ar, field, len, colon + 1, tv[T_B]);
	sig->auid = sig->i;
	if (sig->auid == NULL) {
		size_t dl = sig->d != NULL ? ln.d : 0;
		char *id = arena_take(&ar, dl + 2);

		if (id != NULL) {
			id[0] = '@';
			if (dl > 0)
				memcpy(id + 1, sig->d, dl);
			id[dl + 1] = '\0';
			sig->auid = id;
		}
	}
	*out = sig;
	return SK_OK;
}
