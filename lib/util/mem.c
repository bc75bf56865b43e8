/*
 * lib/util/mem.c - allocation hooks with failure injection
 * (sk_test_fail_alloc_after), after SQLite's FAULTSIM and curl's torture
 * tests.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "util.h"

static size_t fail_after = SIZE_MAX;

SK_API void
sk_test_fail_alloc_after(size_t n)
{
	fail_after = n;
}

static bool
should_fail(void)
{
	if (fail_after == SIZE_MAX)
		return false;
	if (fail_after == 0)
		return true;
	fail_after--;
	return false;
}

void *
sk__malloc(size_t n)
{
	if (should_fail())
		return NULL;
	return malloc(n ? n : 1);
}

void *
sk__calloc(size_t nmemb, size_t size)
{
	if (should_fail())
		return NULL;
	return calloc(nmemb ? nmemb : 1, size ? size : 1);
}

void *
sk__realloc(void *p, size_t n)
{
	if (should_fail())
		return NULL;
	return realloc(p, n ? n : 1);
}

void
sk__free(void *p)
{
	free(p);
}

void *
sk__grow(void *p, size_t *cap, size_t size, size_t first)
{
	size_t n = *cap ? *cap : first;
	void *np;

	if (*cap != 0) {
		if (n > SIZE_MAX / 2)
			return NULL;
		n *= 2;
	}
	if (size != 0 && n > SIZE_MAX / size)
		return NULL;
	np = sk__realloc(p, n * size);
	if (np != NULL)
		*cap = n;
	return np;
}

char *
sk__strndup(const char *s, size_t n)
{
	char *d = sk__malloc(n + 1);

	if (d == NULL)
		return NULL;
	if (n > 0) /* s may be NULL for an empty copy */
		memcpy(d, s, n);
	d[n] = '\0';
	return d;
}

char *
sk__strdup(const char *s)
{
	return sk__strndup(s, strlen(s));
}

void
sk__freezero(void *p, size_t n)
{
	if (p == NULL)
		return;
	explicit_bzero(p, n);
	free(p);
}
