/*
 * lib/dmarc/dmarc_internal.h - shared pieces of the DMARC module: the
 * record with its private parts, name helpers, the PSL wrapper.
 */
#ifndef SK_DMARC_INTERNAL_H
#define SK_DMARC_INTERNAL_H

#include <senderkit/dmarc.h>
#include <senderkit/profile.h>
#include "util/util.h"

/* The public record plus what only the module needs. */
struct sk__dmarc_rec {
	struct sk_dmarc_record pub;     /* first member */
	enum sk_dmarc_policy raw_p, raw_sp; /* before the 4.10.1 fallback */
	struct sk_dmarc_uri *rua, *ruf;
	struct sk_dmarc_tagval *tags;
	size_t tags_alloc;
	struct sk_dmarc_problem *problems;
	size_t problems_alloc;
	sk_status st;                   /* sticky ENOMEM while parsing */
};

/* Lower-case copy of a domain name without its trailing dot; NULL with
 * *st set (SK_EINVAL for an empty name, an empty label, a label over 63
 * octets or a name over 253 octets; SK_ENOMEM). */
char *sk__dmarc_name_norm(const char *name, sk_status *st);

/* Number of labels of a normalised name. */
size_t sk__dmarc_labels(const char *name);

/* The suffix of `name` with `n` labels (a pointer into name). */
const char *sk__dmarc_suffix(const char *name, size_t n);

/* The registrable domain of a normalised name by the PSL; NULL when the
 * name is a public suffix; *nomem set on allocation failure.  sk__free. */
char *sk__dmarc_psl_org(const struct sk_dmarc_psl *psl, const char *name,
			bool *nomem);

/* The p= policy an organization config's DMARC stage asks for (record.c,
 * used by audit and plan); UNSET gives NONE.  Its name is
 * sk_dmarc_policy_str() of the result. */
enum sk_dmarc_policy sk__dmarc_stage_policy(enum sk_dmarc_stage s);

#endif /* SK_DMARC_INTERNAL_H */
