/*
 * lib/plan/plan_internal.h - the plan object shared by plan.c (building
 * and diffing) and render.c (zone-file and nsupdate output).  Not part of
 * the API.
 */
#ifndef SK_PLAN_INTERNAL_H
#define SK_PLAN_INTERNAL_H

#include <senderkit/plan.h>
#include "util/util.h"

/* Largest rendered plan (zone or nsupdate text). */
#define SK_MAX_PLAN_TEXT (8u * 1024 * 1024)

/* One record; every string of `pub` is owned (sk__strdup). */
struct sk__plan_rec {
	struct sk_plan_record pub;
	unsigned rank; /* purpose order within a name */
	size_t seq;    /* insertion order, for a stable sort */
};

struct sk_plan {
	struct sk__plan_rec *v;
	size_t n, a;
	struct sk_findings *findings;
	char *organization; /* config name, "" when none */
	char *profile;      /* profile id, "" when none */
};

/*
 * Append the presentation form of a TXT value to b: the bytes split into
 * character-strings of at most SK_DNS_MAX_TXT_STRING bytes, each quoted,
 * '"' and '\' escaped and bytes outside printable ASCII written \DDD (RFC
 * 1035 section 5.1), separated by one space.  An empty text gives "".
 */
sk_status sk__plan_txt_rdata(struct sk_buf *b, const char *text, size_t len);

/* One quoted character-string (RFC 1035 section 5.1 escapes). */
sk_status sk__plan_charstr(struct sk_buf *b, const unsigned char *p,
			   size_t n);

#endif /* SK_PLAN_INTERNAL_H */
