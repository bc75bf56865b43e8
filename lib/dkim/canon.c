/*
 * lib/dkim/canon.c - DKIM canonicalization, RFC 6376 section 3.4: header
 * fields simple (3.4.1) and relaxed (3.4.2); body simple (3.4.3) and
 * relaxed (3.4.4) as a stream into a digest, with the body length limit
 * l= (3.5, 3.4.5) and the header selection of sections 3.7 and 5.4.2.
 */
#include <string.h>
#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#define SK_CANON_SSE2 1
#if defined(__x86_64__) && !defined(SK_CANON_NO_AVX2)
#include <immintrin.h>
#define SK_CANON_AVX2 1
#endif
#endif
#include "sigcanon.h"

static bool
is_wsp(char c)
{
	return c == ' ' || c == '\t';
}

#ifdef SK_CANON_SSE2
/*
 * Bit t set where x[t] is a byte relaxed canonicalization may change or
 * that needs the scalar rules: a byte <= SP (HTAB, CR, LF, other
 * controls) but for an SP whose next byte y[t] is > SP (a lone SP inside
 * the text, which stays).  The same test as relaxed_irregular's, with CR,
 * LF and controls added.
 */
static inline unsigned
irregular_mask(__m128i x, __m128i y)
{
	const __m128i sp = _mm_set1_epi8(' ');
	__m128i xlow = _mm_cmpeq_epi8(_mm_min_epu8(x, sp), x);
	__m128i ylow = _mm_cmpeq_epi8(_mm_min_epu8(y, sp), y);
	__m128i lone = _mm_andnot_si128(ylow, _mm_cmpeq_epi8(x, sp));

	return (unsigned)_mm_movemask_epi8(_mm_andnot_si128(lone, xlow));
}

/* n (<= 16) bytes from p to o, the copies sized at compile time. */
static inline void
copy_small(char *o, const char *p, size_t n)
{
	uint64_t a, b;
	uint32_t c, d;
	uint16_t e, f;

	if (n >= 8) {
		memcpy(&a, p, 8);
		memcpy(&b, p + n - 8, 8);
		memcpy(o, &a, 8);
		memcpy(o + n - 8, &b, 8);
	} else if (n >= 4) {
		memcpy(&c, p, 4);
		memcpy(&d, p + n - 4, 4);
		memcpy(o, &c, 4);
		memcpy(o + n - 4, &d, 4);
	} else if (n >= 2) {
		memcpy(&e, p, 2);
		memcpy(&f, p + n - 2, 2);
		memcpy(o, &e, 2);
		memcpy(o + n - 2, &f, 2);
	} else if (n == 1) {
		*o = *p;
	}
}
#endif

/*
 * Relaxed, straight into out's memory when it has room for the longest
 * result (the field, plus the CRLF added to a field that has none, plus
 * the NUL): no call per run of bytes.  The same rules as the general path
 * of sk__dkim_canon_header() below.  The output never runs ahead of the
 * input (o - start <= i), so a 16-byte store at o for input bytes
 * [i, i + 16) within the field stays within the room.
 */
static void
relaxed_direct(const char *field, size_t len, struct sk_buf *out)
{
	char *o = out->p + out->len, *start = o;
	size_t i = 0, colon, end = len;
	bool wsp = false, any = false;
#ifdef SK_CANON_SSE2
	size_t j;
	bool saw;
#endif

	/* 3.4.2: lower-case name, no WSP before the colon. */
#ifdef SK_CANON_SSE2
	for (; i + 16 <= len; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(field + i));
		__m128i up = _mm_and_si128(
		    _mm_cmpgt_epi8(x, _mm_set1_epi8('A' - 1)),
		    _mm_cmplt_epi8(x, _mm_set1_epi8('Z' + 1)));
		unsigned m = (unsigned)_mm_movemask_epi8(
		    _mm_cmpeq_epi8(x, _mm_set1_epi8(':')));

		x = _mm_add_epi8(x, _mm_and_si128(up, _mm_set1_epi8(32)));
		_mm_storeu_si128((__m128i *)o, x);
		if (m != 0) {
			i += (size_t)__builtin_ctz(m);
			break;
		}
		o += 16;
	}
	o = start + i;
#endif
	for (; i < len && field[i] != ':'; i++)
		*o++ = sk__lower(field[i]);
	colon = i;
	while (o > start && is_wsp(o[-1]))
		o--;
	*o++ = ':';
	if (end >= 2 && field[end - 2] == '\r' && field[end - 1] == '\n')
		end -= 2;
	i = colon + 1;
	/* WSP and folding before the value go (no SP is put out before
	 * content); at content the state is canonical at once. */
	for (;;) {
		if (i < end && is_wsp(field[i]))
			i++;
		else if (i + 1 < end && field[i] == '\r' &&
			 field[i + 1] == '\n')
			i += 2;
		else
			break;
	}
	any = i < end;
	while (i < end) {
		char ch;

#ifdef SK_CANON_SSE2
		/*
		 * Canonical state (no WSP held back, some content out): 16
		 * bytes without an irregular spot go out as they are; a lone
		 * SP at the last of them is followed by a byte > SP, content,
		 * so the state stays canonical.
		 */
		if (!wsp && any) {
			while (i + 17 <= end) {
				const char *p = field + i;
				__m128i x = _mm_loadu_si128((const __m128i *)p);
				__m128i y = _mm_loadu_si128(
				    (const __m128i *)(p + 1));
				unsigned m = irregular_mask(x, y);

				_mm_storeu_si128((__m128i *)o, x);
				if (m != 0) {
					unsigned k = (unsigned)__builtin_ctz(m);

					o += k;
					i += k;
					break;
				}
				o += 16;
				i += 16;
			}
			/* The last 1..16 bytes: a load that ends at end, the
			 * byte after taken as <= SP (CR, or the end: WSP
			 * there is trailing WSP). */
			if (i + 17 > end && end >= 16) {
				size_t r = end - i;
				__m128i x = _mm_loadu_si128(
				    (const __m128i *)(field + end - 16));
				unsigned m = irregular_mask(x,
				    _mm_srli_si128(x, 1)) >> (16 - r);
				size_t k = m != 0 ?
				    (size_t)__builtin_ctz(m) : r;

				copy_small(o, field + i, k);
				o += k;
				i += k;
			}
			if (i >= end)
				break;
			/* Stopped at a run of WSP and folding CRLFs: one SP
			 * if WSP was in it and content follows, nothing at the
			 * end (3.4.2); content after it stays canonical. */
			j = i;
			saw = false;
			while (j < end) {
				if (is_wsp(field[j])) {
					saw = true;
					j++;
				} else if (field[j] == '\r' && j + 1 < end &&
					   field[j + 1] == '\n') {
					j += 2;
				} else {
					break;
				}
			}
			if (j >= end)
				break;
			if (j > i) {
				i = j;
				if ((unsigned char)field[j] > ' ') {
					if (saw)
						*o++ = ' ';
					continue;
				}
				wsp = saw;
			}
		}
#endif
		ch = field[i];
		if (ch == '\r' && i + 1 < end && field[i + 1] == '\n') {
			i += 2;
			continue;
		}
		i++;
		if (is_wsp(ch)) {
			wsp = true;
			continue;
		}
		if (wsp && any)
			*o++ = ' ';
		wsp = false;
		any = true;
		*o++ = ch;
	}
	*o++ = '\r';
	*o++ = '\n';
	out->len += (size_t)(o - start);
	*o = '\0';
}

/*
 * Relaxed through sk__buf_add, for a buffer without the room (it grows,
 * or refuses at its cap).  Out of line: its stack array would otherwise
 * put a stack-protector check on the direct path too.
 */
__attribute__((noinline)) static sk_status
relaxed_general(const char *field, size_t len, struct sk_buf *out)
{
	char low[64];
	size_t colon, n, i, j, end;
	sk_status st = SK_OK;
	bool wsp = false, any = false;

	for (colon = 0; colon < len && field[colon] != ':'; colon++)
		;
	/* 3.4.2: lower-case name, no WSP before the colon. */
	n = colon;
	while (n > 0 && is_wsp(field[n - 1]))
		n--;
	for (i = 0; i < n && st == SK_OK; i += j) {
		for (j = 0; j < sizeof(low) && i + j < n; j++)
			low[j] = sk__lower(field[i + j]);
		st = sk__buf_add(out, low, j);
	}
	if (st == SK_OK)
		st = sk__buf_add(out, ":", 1);
	end = len;
	if (end >= 2 && field[end - 2] == '\r' && field[end - 1] == '\n')
		end -= 2;
	/* Unfold (drop CRLF), WSP runs to one SP, none at either end. */
	i = colon + 1;
	while (i < end && st == SK_OK) {
		char ch = field[i];

		if (ch == '\r' && i + 1 < end && field[i + 1] == '\n') {
			i += 2;
			continue;
		}
		if (is_wsp(ch)) {
			wsp = true;
			i++;
			continue;
		}
		/* A run of bytes that go out as they are. */
		for (j = i + 1; j < end && !is_wsp(field[j]); j++)
			if (field[j] == '\r' && j + 1 < end &&
			    field[j + 1] == '\n')
				break;
		if (wsp && any)
			st = sk__buf_add(out, " ", 1);
		wsp = false;
		any = true;
		if (st == SK_OK)
			st = sk__buf_add(out, field + i, j - i);
		i = j;
	}
	if (st == SK_OK)
		st = sk__buf_add(out, "\r\n", 2);
	return st;
}

sk_status
sk__dkim_canon_header(enum sk_dkim_canon c, const char *field, size_t len,
		      struct sk_buf *out)
{
	if (c == SK_DKIM_SIMPLE)
		return sk__buf_add(out, field, len);
	/* Relaxed output is at most len + 2 bytes (a ':' is added only
	 * where the field has none, in place of nothing dropped; CRLF). */
	if (out->p != NULL && out->len <= out->cap &&
	    len + 4 <= out->alloc - out->len &&
	    len + 3 <= out->cap - out->len) {
		relaxed_direct(field, len, out);
		return SK_OK;
	}
	return relaxed_general(field, len, out);
}

sk_status
sk__dkim_body_init(struct sk__dkim_body *b, enum sk_dkim_canon c,
		   const EVP_MD *md, uint64_t limit)
{
	b->ctx = NULL;
	return sk__dkim_body_reinit(b, c, md, limit);
}

sk_status
sk__dkim_body_reinit(struct sk__dkim_body *b, enum sk_dkim_canon c,
		     const EVP_MD *md, uint64_t limit)
{
	/* Field by field: the stage needs no clearing. */
	b->canon = c;
	b->md = md;
	b->limit = limit;
	b->total = 0;
	b->crlf_pending = 0;
	b->cr = b->wsp = b->any = b->failed = false;
	b->stage_len = 0;
	b->digest_len = 0;
	if (b->ctx == NULL) {
		b->ctx = EVP_MD_CTX_new();
		if (b->ctx == NULL)
			return SK_ENOMEM;
	}
	/* A context kept from an earlier message: re-initialising it
	 * resets its state (no allocation with the same algorithm). */
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

/* Canonical bytes to the digest; l=: only the first `limit` are hashed,
 * `total` counts them all. */
static void
hash(struct sk__dkim_body *b, const unsigned char *p, size_t n)
{
	uint64_t room;

	if (n == 0)
		return;
	room = b->limit - (b->total < b->limit ? b->total : b->limit);
	b->total += n;
	if (room < n)
		n = (size_t)room;
	if (n > 0 && !b->failed && EVP_DigestUpdate(b->ctx, p, n) != 1)
		b->failed = true;
}

static void
flush(struct sk__dkim_body *b)
{
	size_t n = b->stage_len;

	b->stage_len = 0;
	hash(b, b->stage, n);
}

/* Canonical bytes out, through the stage so that the digest gets large
 * pieces whatever the input's split. */
static void
out_bytes(struct sk__dkim_body *b, const unsigned char *p, size_t n)
{
	while (n > 0) {
		size_t room = sizeof(b->stage) - b->stage_len;

		if (room == 0) {
			flush(b);
			room = sizeof(b->stage);
		}
		if (room > n)
			room = n;
		memcpy(b->stage + b->stage_len, p, room);
		b->stage_len += room;
		p += room;
		n -= room;
	}
}

/* The line ends held back, now that content follows them. */
static void
out_crlfs(struct sk__dkim_body *b)
{
	static const unsigned char crlfs[] =
	    "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n";
	const uint64_t per = (sizeof(crlfs) - 1) / 2;

	while (b->crlf_pending > 0) {
		uint64_t k = b->crlf_pending < per ? b->crlf_pending : per;

		out_bytes(b, crlfs, (size_t)k * 2);
		b->crlf_pending -= k;
	}
}

/* Non-empty content without WSP (relaxed) or any content (simple). */
static void
out_content(struct sk__dkim_body *b, const unsigned char *p, size_t n)
{
	if (b->crlf_pending > 0)
		out_crlfs(b);
	if (b->wsp) {
		out_bytes(b, (const unsigned char *)" ", 1);
		b->wsp = false;
	}
	out_bytes(b, p, n);
	b->any = true;
}

static bool
is_wsp_u(unsigned char c)
{
	return c == ' ' || c == '\t';
}

/* A span of bytes that holds no line end (CRLF). */
static void
content(struct sk__dkim_body *b, const unsigned char *p, size_t n)
{
	size_t i = 0, j;

	if (n == 0)
		return;
	if (b->canon != SK_DKIM_RELAXED) {
		out_content(b, p, n);
		return;
	}
	/*
	 * 3.4.4 a: WSP runs become one SP, none at the end of a line.  Text
	 * that is already canonical (words separated by one SP) goes out in
	 * one piece; only other runs of WSP, and WSP at the end of the span
	 * (a line end may follow), are held back in b->wsp.
	 */
	while (i < n) {
		if (is_wsp_u(p[i])) {
			b->wsp = true;
			i++;
			continue;
		}
		j = i + 1;
		for (;;) {
			while (j < n && !is_wsp_u(p[j]))
				j++;
			if (j + 1 < n && p[j] == ' ' && !is_wsp_u(p[j + 1]))
				j += 2;
			else
				break;
		}
		out_content(b, p + i, j - i);
		i = j;
	}
}

/* A CRLF: held back until more content shows it is not trailing
 * (3.4.3/3.4.4); relaxed drops the WSP before it. */
static void
line_end(struct sk__dkim_body *b)
{
	b->wsp = false;
	b->crlf_pending++;
}

/*
 * The fast path of the body: the longest prefix of p[0..n) that the
 * canonicalization leaves as it is and that ends with a content byte, so
 * that it needs no state (3.4.3, 3.4.4).  Simple: everything up to the
 * last byte that is not CR or LF.  Relaxed: up to the first HTAB, or SP
 * followed by a byte <= SP (a WSP run, or WSP before a line end: a
 * superset of what relaxed changes), then back over CR and LF.  The
 * caller makes sure no CR or WSP is held back from an earlier piece.
 * What is left goes through the byte-exact path below.
 */
static size_t
relaxed_irregular_sse2(const unsigned char *p, size_t n)
{
	size_t i = 0;

#ifdef SK_CANON_SSE2
	const __m128i sp = _mm_set1_epi8(' '), tab = _mm_set1_epi8('\t');

	for (; i + 17 <= n; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(p + i));
		__m128i y = _mm_loadu_si128((const __m128i *)(p + i + 1));
		/* y <= SP (unsigned): SP, HTAB, CR, LF and other controls */
		__m128i ylow = _mm_cmpeq_epi8(_mm_min_epu8(y, sp), y);
		__m128i bad = _mm_or_si128(_mm_cmpeq_epi8(x, tab),
		    _mm_and_si128(_mm_cmpeq_epi8(x, sp), ylow));
		unsigned m = (unsigned)_mm_movemask_epi8(bad);

		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
	}
	/* The last 0..16 bytes: a load that ends at n, the byte after it
	 * taken as <= SP (a zero shifted in), the bytes before i dropped. */
	if (n >= 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(p + n - 16));
		__m128i y = _mm_srli_si128(x, 1);
		__m128i ylow = _mm_cmpeq_epi8(_mm_min_epu8(y, sp), y);
		__m128i bad = _mm_or_si128(_mm_cmpeq_epi8(x, tab),
		    _mm_and_si128(_mm_cmpeq_epi8(x, sp), ylow));
		unsigned m = (unsigned)_mm_movemask_epi8(bad) >> (16 - (n - i));

		return m != 0 ? i + (size_t)__builtin_ctz(m) : n;
	}
#endif
	for (; i < n; i++) {
		if (p[i] == '\t')
			return i;
		if (p[i] == ' ' && (i + 1 == n || p[i + 1] <= ' '))
			return i;
	}
	return n;
}

#ifdef SK_CANON_AVX2
/* The test of relaxed_irregular_sse2 on 32 bytes at p (p[32] readable):
 * a byte mask of the irregular spots. */
__attribute__((target("avx2"))) static inline __m256i
irregular32(const unsigned char *p)
{
	const __m256i sp = _mm256_set1_epi8(' '), tab = _mm256_set1_epi8('\t');
	__m256i x = _mm256_loadu_si256((const __m256i *)p);
	__m256i y = _mm256_loadu_si256((const __m256i *)(p + 1));
	__m256i ylow = _mm256_cmpeq_epi8(_mm256_min_epu8(y, sp), y);

	return _mm256_or_si256(_mm256_cmpeq_epi8(x, tab),
	    _mm256_and_si256(_mm256_cmpeq_epi8(x, sp), ylow));
}

/* The same test on CPUs that have AVX2: 128 bytes a round (one branch)
 * while far from the first stop, then 64, 32, and the SSE2 test for the
 * rest. */
__attribute__((target("avx2"))) static size_t
relaxed_irregular_avx2(const unsigned char *p, size_t n)
{
	size_t i = 0;
	unsigned m;

	/* 128 bytes a round, then 64: one branch each. */
	for (; i + 129 <= n; i += 128) {
		__m256i a = irregular32(p + i), b = irregular32(p + i + 32);
		__m256i c = irregular32(p + i + 64);
		__m256i d = irregular32(p + i + 96);
		__m256i x = _mm256_or_si256(_mm256_or_si256(a, b),
					    _mm256_or_si256(c, d));

		if (!_mm256_testz_si256(x, x))
			break;
	}
	for (; i + 65 <= n; i += 64) {
		__m256i a = irregular32(p + i), b = irregular32(p + i + 32);

		if (!_mm256_testz_si256(_mm256_or_si256(a, b),
					_mm256_or_si256(a, b))) {
			m = (unsigned)_mm256_movemask_epi8(a);
			if (m != 0)
				return i + (size_t)__builtin_ctz(m);
			m = (unsigned)_mm256_movemask_epi8(b);
			return i + 32 + (size_t)__builtin_ctz(m);
		}
	}
	if (i + 33 <= n) {
		m = (unsigned)_mm256_movemask_epi8(irregular32(p + i));
		if (m != 0)
			return i + (size_t)__builtin_ctz(m);
		i += 32;
	}
	return i + relaxed_irregular_sse2(p + i, n - i);
}
#endif

static size_t
relaxed_irregular(const unsigned char *p, size_t n)
{
#ifdef SK_CANON_AVX2
	/* libgcc / compiler-rt read CPUID once, in a constructor. */
	if (n >= 64 && __builtin_cpu_supports("avx2"))
		return relaxed_irregular_avx2(p, n);
#endif
	return relaxed_irregular_sse2(p, n);
}

static size_t
verbatim_prefix(const struct sk__dkim_body *b, const unsigned char *p,
		size_t n)
{
	size_t k = b->canon == SK_DKIM_RELAXED ? relaxed_irregular(p, n) : n;

	while (k > 0 && (p[k - 1] == '\r' || p[k - 1] == '\n'))
		k--;
	return k;
}

/* A verbatim prefix out: large ones straight to the digest. */
static void
out_verbatim(struct sk__dkim_body *b, const unsigned char *p, size_t n)
{
	if (b->crlf_pending > 0)
		out_crlfs(b);
	/* A piece of 512 bytes or more is worth a digest call of its own
	 * (SHA-256 blocks are 64 bytes; the call costs less than copying
	 * it through the stage). */
	if (n >= 512) {
		flush(b);
		hash(b, p, n);
	} else {
		out_bytes(b, p, n);
	}
	b->any = true;
}

sk_status
sk__dkim_body_update(struct sk__dkim_body *b, const char *data, size_t len)
{
	const unsigned char *p = (const unsigned char *)data;
	const unsigned char *end = p + len;

	if (len == 0)
		return b->failed ? SK_ECRYPTO : SK_OK;
	if (b->cr) {
		/* A CR ended the previous piece. */
		b->cr = false;
		if (*p == '\n') {
			line_end(b);
			p++;
		} else {
			content(b, (const unsigned char *)"\r", 1);
		}
	}
	while (p < end) {
		const unsigned char *nl;

		if (!b->wsp) {
			size_t k = verbatim_prefix(b, p, (size_t)(end - p));

			if (k > 0) {
				out_verbatim(b, p, k);
				p += k;
			}
		}
		if (p == end)
			break;
		/* Then one line (or the rest) the exact way. */
		nl = memchr(p, '\n', (size_t)(end - p));
		if (nl == NULL) {
			size_t n = (size_t)(end - p);

			/* A final CR may start a CRLF in the next piece. */
			if (p[n - 1] == '\r') {
				b->cr = true;
				n--;
			}
			content(b, p, n);
			break;
		}
		if (nl > p && nl[-1] == '\r') {
			content(b, p, (size_t)(nl - 1 - p));
			line_end(b);
		} else {
			/* A bare LF is content. */
			content(b, p, (size_t)(nl + 1 - p));
		}
		p = nl + 1;
	}
	return b->failed ? SK_ECRYPTO : SK_OK;
}

sk_status
sk__dkim_body_final(struct sk__dkim_body *b)
{
	if (b->cr) {
		b->cr = false;
		content(b, (const unsigned char *)"\r", 1);
	}
	/* 3.4.3: the body ends with exactly one CRLF, an empty body is one
	 * CRLF.  3.4.4: trailing empty lines go; an empty body stays empty;
	 * a last line without CRLF gets one. */
	b->wsp = false;
	b->crlf_pending = 0;
	if (b->any || b->canon == SK_DKIM_SIMPLE)
		out_bytes(b, (const unsigned char *)"\r\n", 2);
	flush(b);
	if (b->failed ||
	    EVP_DigestFinal_ex(b->ctx, b->digest, &b->digest_len) != 1)
		return SK_ECRYPTO;
	return SK_OK;
}

/* Fields whose entries live on the stack; more take one allocation. */
#define SK__DKIM_KEYS_STACK 256
/* Chains of fields by name key (a power of 2). */
#define SK__DKIM_SLOTS 64

/* Pre-filter key of a name (len > 0): its length and first byte
 * lower-cased.  A field without a name (no ':') is in no chain and
 * matches nothing, as in sk__msg_field_is. */
static inline uint64_t
name_key(const char *p, size_t len)
{
	return (uint64_t)len << 8 | (unsigned char)sk__lower(p[0]);
}

static inline unsigned
key_slot(uint64_t key)
{
	return (unsigned)(key ^ key >> 6) & (SK__DKIM_SLOTS - 1);
}

/* One field in the chains: its key and the next field up (index + 1). */
struct hent {
	uint64_t key;
	uint32_t next;
};

/*
 * 8 bytes equal ASCII case-insensitively, as sk__lower compares them:
 * bytes that differ only in bit 5 (0x20) where that byte is a letter.
 * Letters found in the bytes with bit 7 clear (no carry between bytes):
 * (b | 0x20) + 0x1f has bit 7 set from 'a' on, + 0x05 from '{' on.
 */
static inline bool
eq8_nocase(uint64_t a, uint64_t b)
{
	const uint64_t ones = 0x0101010101010101ULL;
	uint64_t x = a ^ b, l, letter;

	if (x == 0)
		return true;
	if ((x & ~(0x20 * ones)) != 0)
		return false;
	l = (a & 0x7f * ones) | 0x20 * ones;
	letter = (l + 0x1f * ones) & ~(l + 0x05 * ones) & ~a & 0x80 * ones;
	return ((x << 2) & ~letter) == 0;
}

static inline uint64_t
load8(const char *p)
{
	uint64_t v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static inline uint64_t
load4x2(const char *p, size_t n)
{
	uint32_t a, b;

	memcpy(&a, p, sizeof(a));
	memcpy(&b, p + n - 4, sizeof(b));
	return (uint64_t)a << 32 | b;
}

/* Names a[0..n) and b[0..n) equal ASCII case-insensitively; only those
 * bytes are read (overlapping loads of 8 or 4). */
static inline bool
same_name(const char *a, const char *b, size_t n)
{
	size_t t;

	if (n >= 8) {
		for (t = 0; t + 8 < n; t += 8)
			if (!eq8_nocase(load8(a + t), load8(b + t)))
				return false;
		return eq8_nocase(load8(a + n - 8), load8(b + n - 8));
	}
	if (n >= 4)
		return eq8_nocase(load4x2(a, n), load4x2(b, n));
	for (t = 0; t < n; t++)
		if (a[t] != b[t] && sk__lower(a[t]) != sk__lower(b[t]))
			return false;
	return true;
}

/*
 * 5.4.2: for each h= name the bottom-most instance not yet taken
 * (names are case-insensitive, RFC 5322 1.2.2, RFC 6376 3.7).  The
 * fields are chained by name key, bottom up, from SK__DKIM_SLOTS heads:
 * a name looks at the fields of its key only, and a field taken leaves
 * its chain, so a name signed more often than it occurs (over-signing)
 * costs one look at an empty or foreign chain.
 */
sk_status
sk__dkim_hash_headers(const struct sk__msg *m, enum sk_dkim_canon c,
		      const struct sk__dkim_hname *names, size_t n,
		      struct sk_buf *out)
{
	struct hent stack_ent[SK__DKIM_KEYS_STACK], *ent = stack_ent;
	uint32_t head[SK__DKIM_SLOTS], *link, x;
	uint64_t want;
	size_t k, j, nf = m->nfields;
	sk_status st = SK_OK;

	if (nf == 0 || n == 0)
		return SK_OK;
	/* The header block is capped (SK_DKIM_MAX_HEADER): indexes fit. */
	if (nf >= UINT32_MAX)
		return SK_EINTERNAL;
	if (nf > SK__DKIM_KEYS_STACK) {
		ent = sk__calloc(nf, sizeof(*ent));
		if (ent == NULL)
			return SK_ENOMEM;
	}
	memset(head, 0, sizeof(head));
	/* Top down, each pushed on its chain: a chain runs bottom up. */
	for (j = 0; j < nf; j++) {
		size_t nl = m->fields[j].name_len;
		unsigned h;

		if (nl == 0)
			continue;
		ent[j].key = name_key(sk__msg_field_raw(m, j), nl);
		h = key_slot(ent[j].key);
		ent[j].next = head[h];
		head[h] = (uint32_t)(j + 1);
	}
	for (k = 0; k < n; k++) {
		const char *nm = names[k].p;
		size_t nlen = names[k].len;

		if (nlen == 0)
			continue;
		want = name_key(nm, nlen);
		link = &head[key_slot(want)];
		for (x = *link; x != 0; x = *link) {
			j = x - 1;
			/* The key holds the first byte: compare the rest. */
			if (ent[j].key == want &&
			    same_name(sk__msg_field_raw(m, j) + 1, nm + 1,
				      nlen - 1))
				break;
			link = &ent[j].next;
		}
		if (x == 0)
			continue;
		*link = ent[j].next; /* taken: out of its chain */
		st = sk__dkim_canon_header(c, sk__msg_field_raw(m, j),
		    m->fields[j].len, out);
		if (st != SK_OK)
			break;
	}
	if (ent != stack_ent)
		sk__free(ent);
	return st;
}
