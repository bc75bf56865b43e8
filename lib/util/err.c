/*
 * lib/util/err.c - status texts and error detail filling.
 */
#include <stdio.h>
#include <string.h>
#include "util.h"

SK_API const char *
sk_strerror(sk_status code)
{
	switch (code) {
	case SK_OK: return "success";
	case SK_ENOMEM: return "out of memory";
	case SK_EINVAL: return "invalid argument";
	case SK_ESYNTAX: return "syntax error";
	case SK_ETOOBIG: return "input over a size limit";
	case SK_EIO: return "input/output error";
	case SK_ENOENT: return "not found";
	case SK_EEXIST: return "already exists";
	case SK_EAGAIN: return "not ready, try again";
	case SK_ETIMEDOUT: return "timed out";
	case SK_EDNS: return "DNS could not be consulted";
	case SK_ECANCELED: return "canceled";
	case SK_ENOTSUP: return "not supported";
	case SK_ECRYPTO: return "cryptographic library failure";
	case SK_EINTERNAL: return "internal error";
	}
	return "unknown error";
}

SK_API const char *
sk_version(void)
{
	return SK_VERSION_STRING;
}

SK_API const char *
sk_severity_str(enum sk_severity sev)
{
	switch (sev) {
	case SK_SEV_INFO: return "info";
	case SK_SEV_WARNING: return "warning";
	case SK_SEV_ERROR: return "error";
	}
	return "unknown";
}

SK_API void
sk_err_clear(struct sk_err *err)
{
	if (err == NULL)
		return;
	err->code = SK_OK;
	err->offset = SK_NO_OFFSET;
	err->line = 0;
	err->msg[0] = '\0';
}

static sk_status SK_PRINTF(5, 0)
vfill(struct sk_err *err, sk_status code, size_t offset, unsigned line,
      const char *fmt, va_list ap)
{
	if (err == NULL)
		return code;
	err->code = code;
	err->offset = offset;
	err->line = line;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return code;
}

sk_status
sk__err(struct sk_err *err, sk_status code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfill(err, code, SK_NO_OFFSET, 0, fmt, ap);
	va_end(ap);
	return code;
}

sk_status
sk__err_at(struct sk_err *err, sk_status code, size_t offset,
	   const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfill(err, code, offset, 0, fmt, ap);
	va_end(ap);
	return code;
}

sk_status
sk__err_line(struct sk_err *err, sk_status code, unsigned line,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfill(err, code, SK_NO_OFFSET, line, fmt, ap);
	va_end(ap);
	return code;
}
