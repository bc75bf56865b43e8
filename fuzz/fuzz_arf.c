/*
 * fuzz/fuzz_arf.c - the failure report (ARF, RFC 5965 / RFC 6591) parser
 * and the redaction on arbitrary bytes.  Invariants: a parsed report has
 * a Feedback-Type; fields stay NUL-terminated within their arrays; after
 * redaction no body is left and no '@' follows a local-part character
 * other than the "redacted" marker.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <senderkit/report.h>
#include "fuzz.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_failure_report *f = NULL;
	struct sk_err err;
	const char *at;

	memset(&err, 0, sizeof(err));
	if (sk_failure_parse(data, size, &f, &err) != SK_OK) {
		CHECK(f == NULL && err.msg[0] != '\0');
		return 0;
	}
	CHECK(f != NULL && f->feedback_type[0] != '\0');
	CHECK(memchr(f->reported_domain, '\0',
		     sizeof(f->reported_domain)) != NULL);
	CHECK(f->headers == NULL ||
	      strlen(f->headers) <= SK_FAILURE_TEXT_MAX);
	sk_failure_redact(f);
	CHECK(f->body == NULL && f->redacted);
	at = strchr(f->original_mail_from, '@');
	if (at != NULL && at > f->original_mail_from &&
	    at[-1] != '*' && at[-1] != '.' && at[-1] != '@' &&
	    strchr("!#$%&'*+-/=?^_`{|}~", at[-1]) == NULL &&
	    ((at[-1] >= 'a' && at[-1] <= 'z') ||
	     (at[-1] >= 'A' && at[-1] <= 'Z') ||
	     (at[-1] >= '0' && at[-1] <= '9')))
		CHECK(at - f->original_mail_from >= 8 &&
		      memcmp(at - 8, "redacted", 8) == 0);
	sk_failure_report_free(f);
	return 0;
}
