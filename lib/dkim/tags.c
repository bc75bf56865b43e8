/*
 * lib/dkim/tags.c - DKIM tag-lists (RFC 6376 section 3.2), shared by the
 * key records (section 3.6.1) and the DKIM-Signature field (section 3.5).
 *
 *   tag-list  =  tag-spec *( ";" tag-spec ) [ ";" ]
 *   tag-spec  =  [FWS] tag-name [FWS] "=" [FWS] tag-value [FWS]
 *   tag-name  =  ALPHA *ALNUMPUNC
 *   tag-value =  [ tval *( 1*(WSP / FWS) tval ) ]
 *   tval      =  1*VALCHAR      VALCHAR = %x21-3A / %x3C-7E
 *
 * FWS is taken loosely: any run of SP, HTAB, CR and LF.  Header fields
 * reach us folded with CRLF or bare LF, and DNS records sometimes carry
 * stray line breaks; a line break is never significant inside a tag-list.
 */
#include <stdint.h>
#include <string.h>
#if defined(__SSE2__) && defined(__GNUC__)
#include <emmintrin.h>
#define SK_TAGS_SSE2 1
#endif
#include "dkim_internal.h"

static bool
is_fws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Byte classes for the value loop: VALCHAR, FWS, anything else. */
enum { C_OTHER, C_VAL, C_FWS };

static const unsigned char *
class_table(void)
{
	/* VALCHAR = %x21-3A / %x3C-7E; ';' (0x3b) ends the value. */
#define V4(c) [c] = C_VAL, [c + 1] = C_VAL, [c + 2] = C_VAL, [c + 3] = C_VAL
#define V16(c) V4(c), V4(c + 4), V4(c + 8), V4(c + 12)
	static const unsigned char t[256] = {
		['\t'] = C_FWS, ['\n'] = C_FWS, ['\r'] = C_FWS,
		[' '] = C_FWS,
		[0x21] = C_VAL, [0x22] = C_VAL, [0x23] = C_VAL, [0x24] = C_VAL,
		[0x25] = C_VAL, [0x26] = C_VAL, [0x27] = C_VAL, [0x28] = C_VAL,
		[0x29] = C_VAL, [0x2a] = C_VAL, [0x2b] = C_VAL, [0x2c] = C_VAL,
		[0x2d] = C_VAL, [0x2e] = C_VAL, [0x2f] = C_VAL,
		V4(0x30), V4(0x34), [0x38] = C_VAL, [0x39] = C_VAL,
		[0x3a] = C_VAL, V4(0x3c),
		V16(0x40), V16(0x50), V16(0x60),
		V4(0x70), V4(0x74), V4(0x78), [0x7c] = C_VAL,
		[0x7d] = C_VAL, [0x7e] = C_VAL,
	};
#undef V16
#undef V4
	return t;
}

/*
 * A tag value from i (not FWS): the index of the first byte that is
 * neither VALCHAR nor FWS (';' when the value is well-formed), or len.
 * *ws gets the index of the first FWS byte before that, or SIZE_MAX.
 * 16 bytes at a time: b= is long.
 */
static size_t
value_end(const unsigned char *cls, const char *text, size_t len, size_t i,
	  size_t *ws)
{
	*ws = SIZE_MAX;
#ifdef SK_TAGS_SSE2
	const __m128i lo = _mm_set1_epi8(0x21), del = _mm_set1_epi8(0x7f);
	const __m128i semi = _mm_set1_epi8(';'), sp = _mm_set1_epi8(' ');
	const __m128i ht = _mm_set1_epi8('\t'), cr = _mm_set1_epi8('\r');
	const __m128i lf = _mm_set1_epi8('\n');

	for (; i + 16 <= len; i += 16) {
		__m128i x = _mm_loadu_si128((const __m128i *)(text + i));
		/* signed: bytes 0x80-0xff are negative, below 0x21 too */
		__m128i nv = _mm_or_si128(_mm_cmplt_epi8(x, lo),
		    _mm_or_si128(_mm_cmpeq_epi8(x, del),
				 _mm_cmpeq_epi8(x, semi)));
		unsigned m = (unsigned)_mm_movemask_epi8(nv), f, stop;

		if (m == 0)
			continue;
		f = (unsigned)_mm_movemask_epi8(_mm_or_si128(
		    _mm_or_si128(_mm_cmpeq_epi8(x, sp), _mm_cmpeq_epi8(x, ht)),
		    _mm_or_si128(_mm_cmpeq_epi8(x, cr),
				 _mm_cmpeq_epi8(x, lf))));
		stop = m & ~f;
		if (stop != 0)
			f &= (1u << __builtin_ctz(stop)) - 1;
		if (f != 0 && *ws == SIZE_MAX)
			*ws = i + (size_t)__builtin_ctz(f);
		if (stop != 0)
			return i + (size_t)__builtin_ctz(stop);
	}
#endif
	for (; i < len; i++) {
		unsigned c = cls[(unsigned char)text[i]];

		if (c == C_FWS) {
			if (*ws == SIZE_MAX)
				*ws = i;
		} else if (c != C_VAL) {
			break;
		}
	}
	return i;
}

static size_t
skip_fws(const unsigned char *cls, const char *text, size_t len, size_t i)
{
	while (i < len && cls[(unsigned char)text[i]] == C_FWS)
		i++;
	return i;
}

static sk_status
bad_byte(struct sk_err *err, size_t i, unsigned char c, const char *what)
{
	if (c >= 0x21 && c <= 0x7e)
		return sk__err_at(err, SK_ESYNTAX, i,
				  "unexpected '%c' %s at offset %zu", c, what,
				  i);
	return sk__err_at(err, SK_ESYNTAX, i,
			  "unexpected byte 0x%02x %s at offset %zu", c, what,
			  i);
}

sk_status
sk__dkim_tags_parse(const char *text, size_t len, struct sk__dkim_tag *tags,
		    size_t max, size_t *ntags, struct sk_err *err)
{
	const unsigned char *cls = class_table();
	size_t i = 0, n = 0;
	uint64_t seen = 0, bit;

	*ntags = 0;
	if (text == NULL && len > 0)
		return sk__err(err, SK_EINVAL, "no tag-list text");
	if (len > SK_DKIM_MAX_TAGLIST)
		return sk__err_at(err, SK_ETOOBIG, SK_DKIM_MAX_TAGLIST,
				  "tag-list of %zu bytes is over the limit "
				  "of %d", len, SK_DKIM_MAX_TAGLIST);
	for (;;) {
		struct sk__dkim_tag t;
		size_t vend, ws;

		i = skip_fws(cls, text, len, i);
		if (i == len) {
			/* Section 3.2: one tag-spec at least; a trailing
			 * ";" is allowed, an empty tag-spec elsewhere not. */
			if (n == 0)
				return sk__err_at(err, SK_ESYNTAX, i,
						  "empty tag-list");
			break;
		}
		t.offset = i;
		t.name = text + i;
		if (!sk__isalpha((unsigned char)text[i]))
			return bad_byte(err, i, (unsigned char)text[i],
					"where a tag name should start");
		while (i < len && (sk__isalnum((unsigned char)text[i]) ||
				   text[i] == '_'))
			i++;
		t.name_len = i - t.offset;
		i = skip_fws(cls, text, len, i);
		if (i == len)
			return sk__err_at(err, SK_ESYNTAX, i,
					  "tag \"%.*s\" has no '='",
					  (int)t.name_len, t.name);
		if (text[i] != '=')
			return bad_byte(err, i, (unsigned char)text[i],
					"after a tag name (expected '=')");
		i = skip_fws(cls, text, len, i + 1);
		t.value = text + i;
		t.value_offset = i;
		i = value_end(cls, text, len, i, &ws);
		if (i < len && text[i] != ';')
			return bad_byte(err, i, (unsigned char)text[i],
					"in a tag value");
		/* FWS at the end is not part of the value */
		for (vend = i; vend > t.value_offset &&
		     cls[(unsigned char)text[vend - 1]] == C_FWS; vend--)
			;
		t.value_len = vend - t.value_offset;
		/* FWS before the end is inside: the value starts after FWS */
		t.fws = ws < vend;
		/* "Tags with duplicate names MUST NOT occur" (3.2); a bit per
		 * first letter says when there is something to compare. */
		bit = (uint64_t)1 << ((unsigned char)t.name[0] & 63);
		for (size_t j = (seen & bit) != 0 ? 0 : n; j < n; j++) {
			if (tags[j].name_len == t.name_len &&
			    tags[j].name[0] == t.name[0] &&
			    memcmp(tags[j].name, t.name, t.name_len) == 0)
				return sk__err_at(err, SK_ESYNTAX, t.offset,
						  "tag \"%.*s\" appears twice",
						  (int)t.name_len, t.name);
		}
		if (n == max)
			return sk__err_at(err, SK_ESYNTAX, t.offset,
					  "more than %zu tags", max);
		seen |= bit;
		tags[n++] = t;
		if (i == len)
			break;
		i++; /* the ';' */
	}
	*ntags = n;
	return SK_OK;
}

const struct sk__dkim_tag *
sk__dkim_tag_find(const struct sk__dkim_tag *tags, size_t ntags,
		  const char *name)
{
	size_t nl = strlen(name);

	for (size_t i = 0; i < ntags; i++) {
		if (tags[i].name_len == nl &&
		    memcmp(tags[i].name, name, nl) == 0)
			return &tags[i];
	}
	return NULL;
}

char *
sk__dkim_strip_fws(const char *value, size_t len)
{
	char *out = sk__malloc(len + 1);
	size_t o = 0;

	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (!is_fws((unsigned char)value[i]))
			out[o++] = value[i];
	}
	out[o] = '\0';
	return out;
}
