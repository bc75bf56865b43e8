/*
 * lib/util/util.h - internal helpers shared by every module: allocation
 * through hooks (for failure injection), error filling, capped growable
 * buffers, ASCII string helpers.  Not installed; not part of the API.
 */
#ifndef SK_UTIL_H
#define SK_UTIL_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>
#include <senderkit/common.h>

#define SK__HIDDEN __attribute__((visibility("hidden")))

/* ----- allocation (mem.c).  All library allocations go through these so
 * that sk_test_fail_alloc_after() can make any of them fail. */
void *sk__malloc(size_t n);
void *sk__calloc(size_t nmemb, size_t size);
void *sk__realloc(void *p, size_t n);
void sk__free(void *p);
char *sk__strdup(const char *s);
char *sk__strndup(const char *s, size_t n);
/* Wipe then free (for key material and buffers that held it). */
void sk__freezero(void *p, size_t n);
/* A growable array's next size: p (with *cap elements of `size` bytes)
 * reallocated to twice *cap elements, or `first` when *cap is 0; *cap
 * updated.  NULL when out of memory or the size overflows, with p and
 * *cap untouched. */
void *sk__grow(void *p, size_t *cap, size_t size, size_t first);

/* ----- errors (err.c) */
/* Fill err (if non-NULL) and return code.  msg is printf-style. */
sk_status sk__err(struct sk_err *err, sk_status code, const char *fmt, ...)
	SK_PRINTF(3, 4);
/* Same with a byte offset into the input. */
sk_status sk__err_at(struct sk_err *err, sk_status code, size_t offset,
		     const char *fmt, ...) SK_PRINTF(4, 5);
/* Same with a line number of a file input. */
sk_status sk__err_line(struct sk_err *err, sk_status code, unsigned line,
		       const char *fmt, ...) SK_PRINTF(4, 5);

/* ----- capped growable buffer (buf.c), after curl's dynbuf.  The content
 * is always NUL-terminated (the NUL is not counted in len).  Appending past
 * `cap` bytes fails with SK_ETOOBIG and leaves the buffer unchanged. */
struct sk_buf {
	char *p;
	size_t len;
	size_t alloc;
	size_t cap;
};

void sk__buf_init(struct sk_buf *b, size_t cap);
void sk__buf_free(struct sk_buf *b);
void sk__buf_reset(struct sk_buf *b);
sk_status sk__buf_add(struct sk_buf *b, const void *data, size_t len);
sk_status sk__buf_addc(struct sk_buf *b, char c);
sk_status sk__buf_adds(struct sk_buf *b, const char *s);
sk_status sk__buf_printf(struct sk_buf *b, const char *fmt, ...)
	SK_PRINTF(2, 3);
sk_status sk__buf_vprintf(struct sk_buf *b, const char *fmt, va_list ap)
	SK_PRINTF(2, 0);
/* Hand the content to the caller (free with sk__free) and reset the
 * buffer.  An empty buffer gives an allocated ""; NULL means no memory. */
char *sk__buf_take(struct sk_buf *b);

/* ----- base64 (base64.c).  Lenient RFC 2045 section 6.8 decoding for
 * MIME bodies: bytes outside the alphabet are skipped, decoding stops at
 * the first '='; the bytes are appended to out.  Fails only when out
 * refuses them (SK_ENOMEM, SK_ETOOBIG).  The strict DKIM decoder is in
 * lib/dkim/dkim_internal.h. */
sk_status sk__base64_decode_lenient(const uint8_t *in, size_t len,
				    struct sk_buf *out);

/* ----- findings lists (findings.c).  `id` and `ref` must be string
 * literals (kept by pointer); subject and message are copied.  An
 * allocation failure is sticky: later adds do nothing and
 * sk__findings_status() reports SK_ENOMEM. */
struct sk_findings *sk__findings_new(void);
void sk__findings_add(struct sk_findings *f, enum sk_severity sev,
		      const char *id, const char *subject, size_t offset,
		      const char *ref, const char *fmt, ...) SK_PRINTF(7, 8);
void sk__findings_vadd(struct sk_findings *f, enum sk_severity sev,
		       const char *id, const char *subject, size_t offset,
		       const char *ref, const char *fmt, va_list ap)
	SK_PRINTF(7, 0);
sk_status sk__findings_status(const struct sk_findings *f);
/* True when a finding with this id exists. */
bool sk__findings_has(const struct sk_findings *f, const char *id);
/* Order: severity (errors first), offset (none last), insertion. */
void sk__findings_sort(struct sk_findings *f);

/* ----- ASCII helpers (str.c); locale-independent. */
static inline char
sk__lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char)(c + ('a' - 'A')) : c;
}
static inline bool
sk__isalpha(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}
static inline bool
sk__isdigit(int c)
{
	return c >= '0' && c <= '9';
}
static inline bool
sk__isalnum(int c)
{
	return sk__isalpha(c) || sk__isdigit(c);
}
/* Case-insensitive (ASCII) comparison of two slices; true when equal. */
bool sk__eq_nocase(const char *a, size_t alen, const char *b, size_t blen);
/* Case-insensitive equality of a slice and a NUL-terminated string. */
bool sk__eq_nocase_z(const char *a, size_t alen, const char *z);
/* Parse an unsigned decimal in s[0..len) into *out, refusing empty input,
 * non-digits and values above max.  Leading zeros are allowed. */
bool sk__parse_uint(const char *s, size_t len, unsigned long max,
		    unsigned long *out);
/* Length (1..4) of the valid UTF-8 sequence (RFC 3629 section 4) at
 * p[0..n), 0 when the bytes there are not one or n is 0.  *cp (when not
 * NULL) gets its code point. */
size_t sk__utf8_seq(const unsigned char *p, size_t n, unsigned long *cp);

#endif /* SK_UTIL_H */
