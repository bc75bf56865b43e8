/*
 * lib/spf/spf_internal.h - internals shared by the files of lib/spf
 * (record.c, macro.c, eval.c, header.c, lint.c, merge.c).  Not installed.
 */
#ifndef SK_SPF_INTERNAL_H
#define SK_SPF_INTERNAL_H

#include <senderkit/spf.h>
#include "util/util.h"

struct sk_spf_record {
	char *text;              /* own copy of the record, NUL-terminated */
	size_t len;
	size_t nterms;
	struct sk_spf_term *terms;
	const struct sk_spf_term *redirect; /* NULL when absent */
	const struct sk_spf_term *exp;      /* NULL when absent */
};

/* What sk__spf_macro_scan found in a macro-string. */
struct sk__spf_macro_info {
	bool has_macro;       /* at least one %{...} expansion */
	bool ends_with_macro; /* last token is a macro-expand (domain-end) */
	unsigned letters;     /* bit ('a' - letter) per macro letter used */
};

#define SK__SPF_LETTER(c) (1u << ((c) - 'a'))

/*
 * Check the syntax of a macro-string (section 7.1) in spec[0..len).
 * `exp` allows the letters c, r, t (section 7.2) and spaces (explain-string
 * of section 6.2).  SK_ESYNTAX with err->offset relative to spec on error.
 * `info` may be NULL.
 */
sk_status sk__spf_macro_scan(const char *spec, size_t len, bool exp,
			     struct sk__spf_macro_info *info,
			     struct sk_err *err);

/*
 * Check a domain-spec (section 12): a macro-string ending in a
 * macro-expand or in "." toplabel ["."].  SK_ESYNTAX on error.
 */
sk_status sk__spf_domain_spec_check(const char *spec, size_t len,
				    struct sk_err *err);

/* True when the domain-spec has a %{...} expansion (lint: such targets
 * cannot be followed without a message). */
bool sk__spf_has_macro(const char *spec, size_t len);

/*
 * Truncate an expanded domain name from the left to SK_SPF_MAX_DOMAIN
 * characters by removing whole labels (section 4.8).  Works in place on
 * buf[0..*len), moving the kept part to the front.
 */
void sk__spf_truncate_domain(char *buf, size_t *len);

/*
 * True when name[0..len) is a domain name check_host() can work on
 * (section 4.3): at most 253 characters (a final dot aside), labels of 1 to
 * 63 octets, at least two labels.
 */
bool sk__spf_valid_domain(const char *name, size_t len);

/* Client address in binary form. */
struct sk__spf_ip {
	int family; /* 4 or 6 (an IPv4-mapped IPv6 address counts as 4) */
	uint8_t b[16];
};

/* Parse a textual IPv4 or IPv6 address; IPv4-mapped IPv6 addresses
 * become IPv4 (section 5: "::ffff:" clients are treated as IPv4). */
bool sk__spf_ip_parse(const char *s, struct sk__spf_ip *out);

/* Text forms: normal (c macro, RFC 5952 style for IPv6) and dotted (i
 * macro: nibbles for IPv6).  out must hold at least 80 bytes. */
void sk__spf_ip_str(const struct sk__spf_ip *ip, char *out, size_t outsz);
void sk__spf_ip_dotted(const struct sk__spf_ip *ip, char *out,
		       size_t outsz);

/* True when the first `prefix` bits of a and b (each `nbytes` long) are
 * equal. */
bool sk__spf_prefix_eq(const uint8_t *a, const uint8_t *b, unsigned prefix);

#endif /* SK_SPF_INTERNAL_H */
