/*
 * senderkit/common.h - status codes, error details, export macros.
 *
 * Every fallible function of libsenderkit returns an sk_status: SK_OK (0)
 * on success, a negative code on failure.  The human-readable detail goes
 * into a caller-supplied struct sk_err (may be NULL).  The library keeps no
 * global error state, never prints and never exits.
 *
 * Protocol outcomes (an SPF "fail", a DKIM "permerror") are not errors: they
 * are values inside result structs of each module.
 */
#ifndef SENDERKIT_COMMON_H
#define SENDERKIT_COMMON_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(__GNUC__) || defined(__clang__)
#define SK_API __attribute__((visibility("default")))
#define SK_WARN_UNUSED __attribute__((warn_unused_result))
#define SK_PRINTF(a, b) __attribute__((format(printf, a, b)))
#else
#define SK_API
#define SK_WARN_UNUSED
#define SK_PRINTF(a, b)
#endif

/* Library version, also returned at run time by sk_version(). */
#define SK_VERSION_STRING "0.1.0"

typedef int sk_status;

/* Status codes.  0 is success; all failures are negative. */
enum {
	SK_OK = 0,
	SK_ENOMEM = -1,      /* allocation failed */
	SK_EINVAL = -2,      /* invalid argument (caller's mistake) */
	SK_ESYNTAX = -3,     /* malformed input; see sk_err.offset / line */
	SK_ETOOBIG = -4,     /* input or result over a named limit */
	SK_EIO = -5,         /* file or socket I/O failed (errno in detail) */
	SK_ENOENT = -6,      /* file or object not found */
	SK_EEXIST = -7,      /* object exists and would be overwritten */
	SK_EAGAIN = -8,      /* not ready yet; try again after more events */
	SK_ETIMEDOUT = -9,   /* operation timed out */
	SK_EDNS = -10,       /* DNS could not be consulted (no server, ...) */
	SK_ECANCELED = -11,  /* operation canceled */
	SK_ENOTSUP = -12,    /* feature or algorithm not supported */
	SK_ECRYPTO = -13,    /* cryptographic library failure */
	SK_EINTERNAL = -14,  /* internal invariant broken (a bug) */
};

/*
 * Error detail.  Functions taking a `struct sk_err *err` as their last
 * argument fill it on failure (and leave it untouched on success).  Pass
 * NULL when the detail is not wanted.
 *
 *   code    the same value the function returned;
 *   msg     a NUL-terminated English sentence, no trailing newline;
 *   offset  byte offset into the input where the problem was found, or
 *           SK_NO_OFFSET;
 *   line    1-based line number in a file input, or 0 when not applicable.
 */
#define SK_NO_OFFSET ((size_t)-1)
#define SK_ERR_MSG_MAX 256

struct sk_err {
	sk_status code;
	size_t offset;
	unsigned line;
	char msg[SK_ERR_MSG_MAX];
};

/* Severity of a lint or audit finding. */
enum sk_severity {
	SK_SEV_INFO = 0,
	SK_SEV_WARNING = 1,
	SK_SEV_ERROR = 2,
};

/* Static lower-case name: "info", "warning", "error". */
SK_API const char *
sk_severity_str(enum sk_severity sev);

/*
 * One finding of a lint or an audit.  All strings are NUL-terminated and
 * owned by the object the finding came from.
 *
 *   id       stable identifier, e.g. "spf-lookup-limit"; documented in the
 *            man page of the command and never reused for another meaning;
 *   message  one English sentence for people;
 *   subject  what it is about (a domain name, "record"), may be "";
 *   offset   byte offset in the record the finding points at, or
 *            SK_NO_OFFSET;
 *   ref      where the rule comes from, e.g. "RFC 7208 section 4.6.4".
 */
struct sk_finding {
	enum sk_severity severity;
	const char *id;
	const char *message;
	const char *subject;
	size_t offset;
	const char *ref;
};

/*
 * A list of findings, as lint, DKIM/DMARC checks and the audit produce
 * them: ordered by severity (errors first), then by offset, then in the
 * order they were found.  Read-only for callers.
 */
struct sk_findings;

/* Number of findings; 0 for NULL. */
SK_API size_t
sk_findings_count(const struct sk_findings *f);

/* Finding i (0-based), or NULL when out of range.  Borrowed from f. */
SK_API const struct sk_finding *
sk_findings_get(const struct sk_findings *f, size_t i);

/* Highest severity present, or -1 when the list is empty. */
SK_API int
sk_findings_max_severity(const struct sk_findings *f);

/* Free a list.  Accepts NULL. */
SK_API void
sk_findings_free(struct sk_findings *f);

/* Reset an error struct to "no error".  Accepts NULL. */
SK_API void
sk_err_clear(struct sk_err *err);

/* Static English text for a status code.  Never returns NULL. */
SK_API const char *
sk_strerror(sk_status code);

/* Library version string, e.g. "0.1.0".  Static storage. */
SK_API const char *
sk_version(void);

/*
 * Allocation-failure injection for tests: after `n` further successful
 * allocations made by the library, every allocation fails until this is
 * called again with n == SIZE_MAX (the default: never fail).  Process-wide;
 * meant for test programs only, not thread-safe.
 */
SK_API void
sk_test_fail_alloc_after(size_t n);

#ifdef __cplusplus
}
#endif

#endif /* SENDERKIT_COMMON_H */
