/*
 * lib/util/base64.c - base64 (RFC 4648 section 4) as DKIM uses it for p=,
 * b= and bh= (RFC 6376 section 2.4 base64string): folding white space may
 * appear anywhere and is ignored, '=' padding is required and only at the
 * end, any other character is an error reported with its offset.
 * Declared in lib/dkim/dkim_internal.h.  The lenient RFC 2045 decoder
 * used for MIME bodies is declared in lib/util/util.h.
 */
#include <string.h>
#include "dkim/dkim_internal.h"

static const char b64_alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static int
b64_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

static bool
b64_fws(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/*
 * RFC 2045 section 6.8: characters outside the alphabet (line breaks,
 * stray bytes) are ignored and decoding stops at the first '='.  A
 * partial quantum yields the whole bytes it holds.
 */
sk_status
sk__base64_decode_lenient(const uint8_t *in, size_t len, struct sk_buf *out)
{
	uint32_t acc = 0;
	int bits = 0, v;
	sk_status st = SK_OK;

	for (size_t i = 0; i < len && st == SK_OK; i++) {
		if (in[i] == '=')
			break;
		v = b64_value(in[i]);
		if (v < 0)
			continue;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			st = sk__buf_addc(out, (char)((acc >> bits) & 0xff));
		}
	}
	return st;
}

sk_status
sk__base64_decode(const char *in, size_t len, uint8_t **out, size_t *outlen,
		  struct sk_err *err)
{
	uint8_t *buf;
	uint32_t acc = 0;
	size_t nchars = 0, npad = 0, o = 0, last = 0;

	*out = NULL;
	*outlen = 0;
	if (in == NULL && len > 0)
		return sk__err(err, SK_EINVAL, "no base64 input");
	/* At most 3 bytes per 4 characters; checked before allocating. */
	buf = sk__malloc(len / 4 * 3 + 3);
	if (buf == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		int v;

		if (b64_fws(c))
			continue;
		last = i;
		if (c == '=') {
			/* Padding: at most two, only after 2 or 3 data
			 * characters of the last quantum. */
			if (!(npad == 0 && nchars % 4 >= 2) &&
			    !(npad == 1 && nchars % 4 == 2)) {
				sk__freezero(buf, len / 4 * 3 + 3);
				return sk__err_at(err, SK_ESYNTAX, i,
						  "misplaced '=' in base64 "
						  "at offset %zu", i);
			}
			npad++;
			continue;
		}
		v = b64_value(c);
		if (v < 0 || npad > 0) {
			sk__freezero(buf, len / 4 * 3 + 3);
			if (v >= 0)
				return sk__err_at(err, SK_ESYNTAX, i,
						  "base64 data after '=' "
						  "padding at offset %zu", i);
			if (c >= 0x21 && c <= 0x7e)
				return sk__err_at(err, SK_ESYNTAX, i,
						  "bad character '%c' in "
						  "base64 at offset %zu", c, i);
			return sk__err_at(err, SK_ESYNTAX, i,
					  "bad byte 0x%02x in base64 at "
					  "offset %zu", c, i);
		}
		acc = (acc << 6) | (uint32_t)v;
		nchars++;
		if (nchars % 4 == 0) {
			buf[o++] = (uint8_t)(acc >> 16);
			buf[o++] = (uint8_t)(acc >> 8);
			buf[o++] = (uint8_t)acc;
			acc = 0;
		}
	}
	if ((nchars + npad) % 4 != 0) {
		sk__freezero(buf, len / 4 * 3 + 3);
		return sk__err_at(err, SK_ESYNTAX, nchars ? last + 1 : 0,
				  "base64 is truncated (%zu characters, not a "
				  "multiple of 4 with padding)", nchars + npad);
	}
	/* The bits left over in a padded quantum are ignored, as most
	 * decoders do; key records with non-zero ones exist. */
	if (nchars % 4 == 2) {
		buf[o++] = (uint8_t)(acc >> 4);
	} else if (nchars % 4 == 3) {
		buf[o++] = (uint8_t)(acc >> 10);
		buf[o++] = (uint8_t)(acc >> 2);
	}
	*out = buf;
	*outlen = o;
	return SK_OK;
}

char *
sk__base64_encode(const uint8_t *data, size_t len)
{
	char *out;
	size_t o = 0, i = 0;

	if (len > (SIZE_MAX - 1) / 4 * 3 - 3)
		return NULL;
	out = sk__malloc((len + 2) / 3 * 4 + 1);
	if (out == NULL)
		return NULL;
	for (; i + 3 <= len; i += 3) {
		uint32_t v = (uint32_t)data[i] << 16 |
			     (uint32_t)data[i + 1] << 8 | data[i + 2];

		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = b64_alphabet[(v >> 6) & 63];
		out[o++] = b64_alphabet[v & 63];
	}
	if (len - i == 1) {
		uint32_t v = (uint32_t)data[i] << 16;

		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = '=';
		out[o++] = '=';
	} else if (len - i == 2) {
		uint32_t v = (uint32_t)data[i] << 16 |
			     (uint32_t)data[i + 1] << 8;

		out[o++] = b64_alphabet[(v >> 18) & 63];
		out[o++] = b64_alphabet[(v >> 12) & 63];
		out[o++] = b64_alphabet[(v >> 6) & 63];
		out[o++] = '=';
	}
	out[o] = '\0';
	return out;
}
