/*
 * lib/util/buf.c - capped growable buffer (curl dynbuf "toobig" model).
 */
#include <stdio.h>
#include <string.h>
#include "util.h"

void
sk__buf_init(struct sk_buf *b, size_t cap)
{
	b->p = NULL;
	b->len = 0;
	b->alloc = 0;
	b->cap = cap;
}

void
sk__buf_free(struct sk_buf *b)
{
	sk__free(b->p);
	b->p = NULL;
	b->len = 0;
	b->alloc = 0;
}

void
sk__buf_reset(struct sk_buf *b)
{
	b->len = 0;
	if (b->p != NULL)
		b->p[0] = '\0';
}

sk_status
sk__buf_add(struct sk_buf *b, const void *data, size_t len)
{
	size_t need;

	if (len > b->cap || b->len > b->cap - len)
		return SK_ETOOBIG;
	need = b->len + len + 1;
	if (need > b->alloc) {
		size_t n = b->alloc ? b->alloc : 32;
		char *np;

		while (n < need)
			n *= 2;
		if (n > b->cap + 1)
			n = b->cap + 1;
		np = sk__realloc(b->p, n);
		if (np == NULL)
			return SK_ENOMEM;
		b->p = np;
		b->alloc = n;
	}
	if (len > 0)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
	return SK_OK;
}

sk_status
sk__buf_addc(struct sk_buf *b, char c)
{
	return sk__buf_add(b, &c, 1);
}

sk_status
sk__buf_adds(struct sk_buf *b, const char *s)
{
	return sk__buf_add(b, s, strlen(s));
}

sk_status
sk__buf_vprintf(struct sk_buf *b, const char *fmt, va_list ap)
{
	char small[256];
	va_list ap2;
	int n;

	va_copy(ap2, ap);
	n = vsnprintf(small, sizeof(small), fmt, ap2);
	va_end(ap2);
	if (n < 0)
		return SK_EINVAL;
	if ((size_t)n < sizeof(small))
		return sk__buf_add(b, small, (size_t)n);
	{
		char *big = sk__malloc((size_t)n + 1);
		sk_status st;

		if (big == NULL)
			return SK_ENOMEM;
		vsnprintf(big, (size_t)n + 1, fmt, ap);
		st = sk__buf_add(b, big, (size_t)n);
		sk__free(big);
		return st;
	}
}

sk_status
sk__buf_printf(struct sk_buf *b, const char *fmt, ...)
{
	va_list ap;
	sk_status st;

	va_start(ap, fmt);
	st = sk__buf_vprintf(b, fmt, ap);
	va_end(ap);
	return st;
}

char *
sk__buf_take(struct sk_buf *b)
{
	char *p = b->p;

	if (p == NULL)
		return sk__strdup("");
	b->p = NULL;
	b->len = 0;
	b->alloc = 0;
	return p;
}
