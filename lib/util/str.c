/*
 * lib/util/str.c - ASCII, locale-independent string helpers.
 */
#include <string.h>
#include "util.h"

bool
sk__eq_nocase(const char *a, size_t alen, const char *b, size_t blen)
{
	if (alen != blen)
		return false;
	for (size_t i = 0; i < alen; i++)
		if (sk__lower(a[i]) != sk__lower(b[i]))
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
