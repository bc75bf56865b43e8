/*
 * lib/util/str.c - ASCII, locale-independent string helpers; UTF-8
 * sequence check.
 */
#include <string.h>
#include "util.h"

bool
sk__eq_nocase(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (a[i] != b[i] && sk__lower(a[i]) != sk__lower(b[i]))
			return false;
	return true;
}

bool
sk__eq_nocase_z(const char *a, size_t alen, const char *z)
{
	return sk__eq_nocase(a, alen, z, strlen(z));
}

bool
sk__parse_uint(const char *s, size_t len, unsigned long max,
	       unsigned long *out)
{
	unsigned long v = 0;

	if (len == 0)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!sk__isdigit((unsigned char)s[i]))
			return false;
		unsigned long d = (unsigned long)(s[i] - '0');

		if (v > max / 10 || (v == max / 10 && d > max % 10))
			return false;
		v = v * 10 + d;
	}
	*out = v;
	return true;
}

/*
 * RFC 3629 section 4: the lead byte gives the length (C0, C1 and F5..FF
 * never start one), continuation bytes are 10xxxxxx, and overlong forms,
 * surrogates (U+D800..U+DFFF) and code points above U+10FFFF are refused.
 */
size_t
sk__utf8_seq(const unsigned char *p, size_t n, unsigned long *cpp)
{
	unsigned long cp;
	size_t len, i;

	if (n == 0)
		return 0;
	if (p[0] < 0x80) {
		len = 1;
		cp = p[0];
	} else if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		cp = p[0] & 0x1f;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		cp = p[0] & 0x0f;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		cp = p[0] & 0x07;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = (cp << 6) | (p[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	if (cpp != NULL)
		*cpp = cp;
	return len;
}
