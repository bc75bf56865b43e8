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
#include <string.h>
#include "dkim_internal.h"

static bool
is_fws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

static bool
is_valchar(unsigned char c)
{
	return (c >= 0x21 && c <= 0x3a) || (c >= 0x3c && c <= 0x7e);
}

static size_t
skip_fws(const char *text, size_t len, size_t i)
{
	while (i < len && is_fws((unsigned char)text[i]))
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
	size_t i = 0, n = 0;

	*ntags = 0;
	if (text == NULL && len > 0)
		return sk__err(err, SK_EINVAL, "no tag-list text");
	if (len > SK_DKIM_MAX_TAGLIST)
		return sk__err_at(err, SK_ETOOBIG, SK_DKIM_MAX_TAGLIST,
				  "tag-list of %zu bytes is over the limit "
				  "of %d", len, SK_DKIM_MAX_TAGLIST);
	for (;;) {
		struct sk__dkim_tag t;
		size_t vend;

		i = skip_fws(text, len, i);
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
		i = skip_fws(text, len, i);
		if (i == len)
			return sk__err_at(err, SK_ESYNTAX, i,
					  "tag \"%.*s\" has no '='",
					  (int)t.name_len, t.name);
		if (text[i] != '=')
			return bad_byte(err, i, (unsigned char)text[i],
					"after a tag name (expected '=')");
		i = skip_fws(text, len, i + 1);
		t.value = text + i;
		t.value_offset = i;
		vend = i;
		while (i < len && text[i] != ';') {
			unsigned char c = (unsigned char)text[i];

			if (is_valchar(c))
				vend = i + 1;
			else if (!is_fws(c))
				return bad_byte(err, i, c, "in a tag value");
			i++;
		}
		t.value_len = vend - t.value_offset;
		/* "Tags with duplicate names MUST NOT occur" (3.2). */
		for (size_t j = 0; j < n; j++) {
			if (tags[j].name_len == t.name_len &&
			    memcmp(tags[j].name, t.name, t.name_len) == 0)
				return sk__err_at(err, SK_ESYNTAX, t.offset,
						  "tag \"%.*s\" appears twice",
						  (int)t.name_len, t.name);
		}
		if (n == max)
			return sk__err_at(err, SK_ESYNTAX, t.offset,
					  "more than %zu tags", max);
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
