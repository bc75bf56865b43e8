/*
 * lib/msg/rfc5322.c - header/body splitting push parser: RFC 5322 section
 * 2.1 (header fields, blank line, body), 2.2 (field name and ':') and
 * 2.2.3 (folding: a line starting with WSP continues the field above).
 * A bare LF counts as CRLF, as RFC 6376 section 5.3 asks of signers and
 * verifiers handling local line ends.
 */
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#define SK_MSG_SSE2 1
#if defined(__x86_64__) && !defined(SK_MSG_NO_AVX2)
#include <immintrin.h>
#define SK_MSG_AVX2 1
#endif
#endif
#include "msg_internal.h"

#define BODY_CHUNK 4096

void
sk__msg_init(struct sk__msg *m, size_t header_cap,
	     sk__msg_header_cb on_header, sk__msg_body_cb on_body, void *arg)
{
	memset(m, 0, sizeof(*m));
	sk__buf_init(&m->hdr, header_cap);
	m->on_header = on_header;
	m->on_body = on_body;
	m->arg = arg;
}

void
sk__msg_free(struct sk__msg *m)
{
	if (m == NULL)
		return;
	sk__buf_free(&m->hdr);
	sk__free(m->fields);
	m->fields = NULL;
	m->nfields = m->afields = 0;
}

void
sk__msg_reset(struct sk__msg *m)
{
	sk__buf_reset(&m->hdr);
	m->nfields = 0;
	m->line_start = 0;
	m->in_body = m->separated = m->finished = m->prev_cr = false;
	m->sticky = SK_OK;
}

bool
sk__msg_field_is(const struct sk__msg *m, size_t i, const char *name,
		 size_t name_len)
{
	const struct sk__msg_field *f = &m->fields[i];

	/* The length first: most fields are not the one asked for. */
	return f->name_len != 0 && f->name_len == name_len &&
	       sk__eq_nocase(m->hdr.p + f->off, f->name_len, name, name_len);
}

/*
 * Line-end scanning, 64 bytes at a time: bit j of the result is set when
 * p[j] is LF, bit j of *cr when it is CR.  The last n < 64 bytes of a
 * piece are copied to a zeroed block first.  One pass over a piece
 * replaces a memchr per line (each a mispredicted branch or two).
 */
#define SCAN 64

#if defined(__GNUC__)
#define MSG_INLINE static inline __attribute__((always_inline))
#else
#define MSG_INLINE static inline
#endif

#ifdef SK_MSG_SSE2
MSG_INLINE uint64_t
mask16(__m128i x, __m128i c)
{
	return (uint64_t)(unsigned)_mm_movemask_epi8(_mm_cmpeq_epi8(x, c));
}

MSG_INLINE uint64_t
block_full(const unsigned char *p, uint64_t *cr)
{
	const __m128i lf = _mm_set1_epi8('\n'), r = _mm_set1_epi8('\r');
	__m128i a = _mm_loadu_si128((const __m128i *)p);
	__m128i b = _mm_loadu_si128((const __m128i *)(p + 16));
	__m128i c = _mm_loadu_si128((const __m128i *)(p + 32));
	__m128i d = _mm_loadu_si128((const __m128i *)(p + 48));

	*cr = mask16(a, r) | mask16(b, r) << 16 | mask16(c, r) << 32 |
	      mask16(d, r) << 48;
	return mask16(a, lf) | mask16(b, lf) << 16 | mask16(c, lf) << 32 |
	       mask16(d, lf) << 48;
}
#else
MSG_INLINE uint64_t
block_full(const unsigned char *p, uint64_t *cr)
{
	uint64_t lf = 0, r = 0;
	unsigned j;

	for (j = 0; j < SCAN; j++) {
		lf |= (uint64_t)(p[j] == '\n') << j;
		r |= (uint64_t)(p[j] == '\r') << j;
	}
	*cr = r;
	return lf;
}
#endif

MSG_INLINE uint64_t
block(const unsigned char *p, size_t n, uint64_t *cr)
{
	unsigned char tail[SCAN];

	if (n >= SCAN)
		return block_full(p, cr);
	memset(tail, 0, sizeof(tail));
	memcpy(tail, p, n);
	return block_full(tail, cr);
}

/*
 * Bare LFs of the 64 bytes at p, p[-1] readable: a faster test for the
 * usual body block (LFs, all after CR) than block().
 */
#ifdef SK_MSG_SSE2
/* LFs at p not after CR (p[-1] readable), 16 of them. */
MSG_INLINE __m128i
bare16(const unsigned char *p)
{
	const __m128i lf = _mm_set1_epi8('\n'), r = _mm_set1_epi8('\r');
	__m128i c = _mm_loadu_si128((const __m128i *)p);
	__m128i b = _mm_loadu_si128((const __m128i *)(p - 1));

	return _mm_andnot_si128(_mm_cmpeq_epi8(b, r), _mm_cmpeq_epi8(c, lf));
}

MSG_INLINE uint64_t
bare_full(const unsigned char *p)
{
	__m128i x0 = bare16(p), x1 = bare16(p + 16);
	__m128i x2 = bare16(p + 32), x3 = bare16(p + 48);

	if (_mm_movemask_epi8(_mm_or_si128(_mm_or_si128(x0, x1),
					   _mm_or_si128(x2, x3))) == 0)
		return 0;
	return (uint64_t)(unsigned)_mm_movemask_epi8(x0) |
	       (uint64_t)(unsigned)_mm_movemask_epi8(x1) << 16 |
	       (uint64_t)(unsigned)_mm_movemask_epi8(x2) << 32 |
	       (uint64_t)(unsigned)_mm_movemask_epi8(x3) << 48;
}
#else
MSG_INLINE uint64_t
bare_full(const unsigned char *p)
{
	uint64_t cr, lf = block_full(p, &cr);

	return lf & ~(cr << 1 | (uint64_t)(p[-1] == '\r'));
}
#endif

/*
 * The first of the 64-byte blocks at b, b + 64, ... below e (e - b a
 * multiple of 64, p[b - 1] readable) that holds a bare LF, or e: the
 * body's common case, blocks of CRLF lines, skipped with one test each.
 */
#ifdef SK_MSG_AVX2
/* Bare LFs of the 32 bytes at p (p[-1] readable), as a byte mask. */
__attribute__((target("avx2"))) static inline __m256i
bare32(const unsigned char *p)
{
	const __m256i lf = _mm256_set1_epi8('\n'), r = _mm256_set1_epi8('\r');
	__m256i c = _mm256_loadu_si256((const __m256i *)p);
	__m256i b = _mm256_loadu_si256((const __m256i *)(p - 1));

	return _mm256_andnot_si256(_mm256_cmpeq_epi8(b, r),
				   _mm256_cmpeq_epi8(c, lf));
}

/* Four blocks a round (one branch), then two, then one. */
__attribute__((target("avx2"))) static size_t
clean_blocks_avx2(const unsigned char *p, size_t b, size_t e)
{
	__m256i x, y;

	for (; b + 4 * SCAN <= e; b += 4 * SCAN) {
		x = _mm256_or_si256(
		    _mm256_or_si256(bare32(p + b), bare32(p + b + 32)),
		    _mm256_or_si256(bare32(p + b + 64), bare32(p + b + 96)));
		y = _mm256_or_si256(
		    _mm256_or_si256(bare32(p + b + 128), bare32(p + b + 160)),
		    _mm256_or_si256(bare32(p + b + 192), bare32(p + b + 224)));
		x = _mm256_or_si256(x, y);
		if (!_mm256_testz_si256(x, x))
			break;
	}
	for (; b + 2 * SCAN <= e; b += 2 * SCAN) {
		x = _mm256_or_si256(
		    _mm256_or_si256(bare32(p + b), bare32(p + b + 32)),
		    _mm256_or_si256(bare32(p + b + 64), bare32(p + b + 96)));
		if (!_mm256_testz_si256(x, x))
			break;
	}
	for (; b < e; b += SCAN) {
		x = _mm256_or_si256(bare32(p + b), bare32(p + b + 32));
		if (!_mm256_testz_si256(x, x))
			break;
	}
	return b;
}
#endif

static size_t
clean_blocks(const unsigned char *p, size_t b, size_t e)
{
#ifdef SK_MSG_AVX2
	/* libgcc / compiler-rt read CPUID once, in a constructor. */
	if (__builtin_cpu_supports("avx2"))
		return clean_blocks_avx2(p, b, e);
#endif
	while (b < e && bare_full(p + b) == 0)
		b += SCAN;
	return b;
}

/* Index of the lowest set bit of x (x != 0). */
MSG_INLINE unsigned
low_bit(uint64_t x)
{
#if defined(__GNUC__)
	return (unsigned)__builtin_ctzll(x);
#else
	unsigned j = 0;

	while ((x & 1) == 0) {
		x >>= 1;
		j++;
	}
	return j;
#endif
}

/* Index of the first ':' in p[0..n), or n. */
MSG_INLINE size_t
find_colon(const char *p, size_t n)
{
	size_t i = 0;

#ifdef SK_MSG_SSE2
	const __m128i c = _mm_set1_epi8(':');

	for (; i + 16 <= n; i += 16) {
		uint64_t m = mask16(_mm_loadu_si128((const __m128i *)(p + i)),
				    c);

		if (m != 0)
			return i + low_bit(m);
	}
#endif
	while (i < n && p[i] != ':')
		i++;
	return i;
}

/* Room for one more field record (out of line: the common case has
 * room, and the header scan then calls nothing per line). */
__attribute__((noinline)) static sk_status
grow_fields(struct sk__msg *m)
{
	struct sk__msg_field *nf = sk__grow(m->fields, &m->afields,
					    sizeof(*nf), 16);

	if (nf == NULL)
		return SK_ENOMEM;
	m->fields = nf;
	return SK_OK;
}

/* A new field at hdr offset off, len bytes; its first line's bytes
 * before the line end are p[0..plen) (in the input or the buffer). */
MSG_INLINE sk_status
new_field(struct sk__msg *m, size_t off, size_t len, const char *p,
	  size_t plen)
{
	struct sk__msg_field *f;
	size_t i, n;

	if (m->nfields == m->afields && grow_fields(m) != SK_OK)
		return SK_ENOMEM;
	f = &m->fields[m->nfields++];
	f->off = off;
	f->len = len;
	f->name_len = 0;
	i = find_colon(p, plen);
	if (i < plen) {
		/* obs-optional: WSP before the colon (RFC 5322 4.5.8) */
		n = i;
		while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t'))
			n--;
		f->name_len = n;
	}
	return SK_OK;
}

/*
 * A complete line of len bytes at hdr offset off, through its CRLF; p is
 * its first byte and plen its bytes before the line end (a line starting
 * with WSP continues the field above, RFC 5322 2.2.3).  Sets
 * m->line_start past it.
 */
MSG_INLINE sk_status
line_done(struct sk__msg *m, size_t off, size_t len, const char *p,
	  size_t plen)
{
	m->line_start = off + len;
	if (len == 2) {
		m->in_body = true;
		m->separated = true;
		return SK_OK;
	}
	if ((p[0] == ' ' || p[0] == '\t') && m->nfields > 0) {
		struct sk__msg_field *f = &m->fields[m->nfields - 1];

		f->len = off + len - f->off;
		return SK_OK;
	}
	return new_field(m, off, len, p, plen);
}

/* A complete header line [line_start, hdr.len) ending in CRLF. */
static sk_status
header_line(struct sk__msg *m)
{
	size_t start = m->line_start, len = m->hdr.len - start;

	return line_done(m, start, len, m->hdr.p + start, len);
}

static sk_status
header_done(struct sk__msg *m)
{
	if (m->on_header != NULL)
		return m->on_header(m->arg);
	return SK_OK;
}

static sk_status
emit_body(struct sk__msg *m, const char *p, size_t n)
{
	if (n == 0 || m->on_body == NULL)
		return SK_OK;
	return m->on_body(m->arg, p, n);
}

/* A bare LF at p[k]: [*run, k) then CRLF go to out (*o bytes used). */
static sk_status
body_bare_lf(struct sk__msg *m, char *out, size_t *o,
	     const unsigned char *p, size_t *run, size_t k)
{
	size_t n = k - *run;
	sk_status st;

	if (*o + n + 2 > BODY_CHUNK) {
		st = emit_body(m, out, *o);
		if (st != SK_OK)
			return st;
		*o = 0;
		if (n + 2 > BODY_CHUNK) {
			st = emit_body(m, (const char *)p + *run, n);
			if (st != SK_OK)
				return st;
			n = 0;
		}
	}
	memcpy(out + *o, p + *run, n);
	*o += n;
	out[(*o)++] = '\r';
	out[(*o)++] = '\n';
	*run = k + 1;
	return SK_OK;
}

/*
 * Body bytes with bare LF turned into CRLF.  Pieces without a bare LF go
 * straight to the callback; otherwise the converted bytes are gathered in
 * BODY_CHUNK pieces so that a bare-LF message does not make one call per
 * line.  Bare LFs (an LF whose previous byte, maybe the last of the
 * previous piece, is not CR) are found in one pass of 64-byte blocks.
 */
static sk_status
body_bytes(struct sk__msg *m, const unsigned char *p, size_t len)
{
	char out[BODY_CHUNK];
	size_t o = 0, run = 0, b;
	uint64_t carry = m->prev_cr ? 1 : 0;
	sk_status st;

	if (len == 0)
		return SK_OK;
	for (b = 0; b < len; b += SCAN) {
		uint64_t cr, lf, bare;

		if (b == 0 || len - b < SCAN) {
			/* The first and the last blocks */
			if (b > 0)
				carry = p[b - 1] == '\r';
			lf = block(p + b, len - b, &cr);
			bare = lf & ~(cr << 1 | carry);
		} else {
			/* Full blocks in the middle: skip the clean ones. */
			size_t e = b + (len - b) / SCAN * SCAN;

			b = clean_blocks(p, b, e);
			if (b == e) {
				b -= SCAN; /* the loop steps to e */
				continue;
			}
			bare = bare_full(p + b);
		}
		while (bare != 0) {
			size_t k = b + low_bit(bare);

			bare &= bare - 1;
			st = body_bare_lf(m, out, &o, p, &run, k);
			if (st != SK_OK)
				return st;
		}
	}
	m->prev_cr = p[len - 1] == '\r';
	if (o > 0 && o + (len - run) <= sizeof(out)) {
		memcpy(out + o, p + run, len - run);
		return emit_body(m, out, o + (len - run));
	}
	st = emit_body(m, out, o);
	if (st != SK_OK)
		return st;
	return emit_body(m, (const char *)p + run, len - run);
}

/* The line begun in an earlier piece ends at p[k] (an LF). */
static sk_status
header_finish_line(struct sk__msg *m, const unsigned char *p, size_t k)
{
	bool cr = k > 0 ? p[k - 1] == '\r' : m->prev_cr;
	sk_status st;

	if (cr) {
		st = sk__buf_add(&m->hdr, p, k + 1);
	} else {
		st = sk__buf_add(&m->hdr, p, k);
		if (st == SK_OK)
			st = sk__buf_add(&m->hdr, "\r\n", 2);
	}
	if (st == SK_OK)
		st = header_line(m);
	return st;
}

/*
 * Header bytes.  A line begun in an earlier piece is completed in the
 * header buffer; the lines wholly in this piece are cut where they lie
 * and appended in one sk__buf_add per run of CRLF-ended lines (a bare
 * LF, the blank line or the end of the piece ends a run).  The cap is
 * checked per line, so SK_ETOOBIG comes at the same line as when each
 * line is appended by itself.
 */
static sk_status
header_bytes(struct sk__msg *m, const unsigned char *p, size_t len,
	     size_t *used)
{
	/* Pending bytes [run, i) go at hdr offset hdr.len. */
	size_t i = 0, run = 0, b, k, off, n;
	bool partial = m->hdr.len > m->line_start, cr;
	/* A piece grows the block by 2 * len at most (a CR per bare LF):
	 * when that fits, no line can go over the cap. */
	bool roomy = m->hdr.len <= m->hdr.cap &&
	    len <= (m->hdr.cap - m->hdr.len) / 2;
	sk_status st = SK_OK;

	for (b = 0; b < len; b += SCAN) {
		uint64_t crm, lf = block(p + b, len - b, &crm);

		while (lf != 0) {
			k = b + low_bit(lf);
			lf &= lf - 1;
			if (partial) {
				partial = false;
				st = header_finish_line(m, p, k);
				i = run = k + 1;
				if (st != SK_OK)
					goto fail;
			} else {
				cr = k > i && p[k - 1] == '\r';
				off = m->hdr.len + (i - run);
				n = k + 1 - i + (cr ? 0 : 1);
				if (!roomy &&
				    (n > m->hdr.cap || off > m->hdr.cap - n)) {
					st = SK_ETOOBIG;
					goto fail;
				}
				if (!cr) {
					/* A bare LF ends the run. */
					st = sk__buf_add(&m->hdr, p + run,
							 k - run);
					if (st != SK_OK)
						goto fail;
					run = k + 1;
					st = sk__buf_add(&m->hdr, "\r\n", 2);
					if (st != SK_OK) {
						*used = i;
						return st;
					}
				}
				st = line_done(m, off, n, (const char *)p + i,
					       k - i);
				i = k + 1;
				if (st != SK_OK)
					goto fail;
			}
			m->prev_cr = false;
			if (m->in_body) {
				if (i > run)
					st = sk__buf_add(&m->hdr, p + run,
							 i - run);
				if (st == SK_OK)
					st = header_done(m);
				*used = i;
				return st;
			}
		}
	}
	if (i < len)
		m->prev_cr = p[len - 1] == '\r';
	st = sk__buf_add(&m->hdr, p + run, len - run);
	if (st == SK_OK) {
		*used = len;
		return SK_OK;
	}
fail:
	/* Keep the complete lines before the failure, as if added one
	 * by one. */
	if (i > run)
		(void)sk__buf_add(&m->hdr, p + run, i - run);
	*used = i;
	return st;
}

sk_status
sk__msg_update(struct sk__msg *m, const void *data, size_t len,
	       struct sk_err *err)
{
	const unsigned char *p = data;
	size_t i = 0;
	sk_status st = SK_OK;

	if (m->sticky != SK_OK)
		return sk__err(err, m->sticky, "message parsing stopped");
	if (!m->in_body) {
		st = header_bytes(m, p, len, &i);
		if (st != SK_OK)
			goto fail;
	}
	if (i < len) {
		st = body_bytes(m, p + i, len - i);
		if (st != SK_OK)
			goto fail;
	}
	return SK_OK;
fail:
	m->sticky = st;
	if (st == SK_ETOOBIG)
		return sk__err(err, st, "header block over %zu bytes",
			       m->hdr.cap);
	return sk__err(err, st, "%s", sk_strerror(st));
}

sk_status
sk__msg_finish(struct sk__msg *m, struct sk_err *err)
{
	sk_status st = SK_OK;

	if (m->sticky != SK_OK)
		return sk__err(err, m->sticky, "message parsing stopped");
	if (m->finished)
		return SK_OK;
	m->finished = true;
	if (m->in_body)
		return SK_OK;
	/* No blank line: the whole message is a header block. */
	if (m->hdr.len > m->line_start) {
		if (m->prev_cr)
			st = sk__buf_addc(&m->hdr, '\n');
		else
			st = sk__buf_add(&m->hdr, "\r\n", 2);
		if (st == SK_OK && m->hdr.len - m->line_start > 2)
			st = header_line(m);
	}
	m->in_body = true;
	if (st == SK_OK)
		st = header_done(m);
	if (st != SK_OK) {
		m->sticky = st;
		return sk__err(err, st, "%s", sk_strerror(st));
	}
	return SK_OK;
}
