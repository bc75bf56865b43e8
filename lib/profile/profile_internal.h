/*
 * lib/profile/profile_internal.h - what profile.c, config.c and
 * validate.c share.  Not installed.
 */
#ifndef SK_PROFILE_INTERNAL_H
#define SK_PROFILE_INTERNAL_H

#include <senderkit/profile.h>
#include "profile/ini.h"

/*
 * A host or domain name: labels of 1..63 letters, digits, '-' or '_' (a
 * label neither starting nor ending with '-'), at most 253 characters, at
 * least two labels, a last label that is not all digits (RFC 1035 section
 * 2.3.1, RFC 1123 section 2.1; '_' for service labels such as _spf).  A
 * trailing dot is not accepted here (names are stored without it).  With
 * `wildcard`, a leading "*." is allowed.
 */
bool sk__prof_domain_ok(const char *s, size_t n, bool wildcard);

/* An IPv4 or IPv6 address, or ADDRESS/PREFIX with PREFIX within 0..32 or
 * 0..128 (decimal, no leading '+').  Text of at most 64 bytes. */
bool sk__prof_cidr_ok(const char *s, size_t n);

/* "YYYY-MM-DD", a real calendar date (proleptic Gregorian, year
 * 1900..9999). */
bool sk__prof_date(const char *s, size_t n, int *y, int *m, int *d);

/*
 * Template references "${name}".  From t[*pos], find the next one: returns
 * 1 with *start at its '$', name[0..*nlen) the name and *pos past the
 * '}'; 0 when there is none left (*pos at the end); -1 when "${" is not
 * closed by '}' or the name is empty or has characters other than
 * [A-Za-z0-9_.-] (*start at the '$').  A '$' not followed by '{' is
 * literal.
 */
int sk__prof_tmpl_next(const char *t, size_t len, size_t *pos,
		       size_t *start, const char **name, size_t *nlen);

/* ---- config internals (config.c; validate.c reads them) */

/* Keys of [organization] and [hosts] that take one value. */
enum {
	SK__CK_NAME,
	SK__CK_PROFILE,
	SK__CK_IP_MODE,
	SK__CK_MONTHLY_VOLUME,
	SK__CK_TTL,
	SK__CK_LANDING_HOST,
	SK__CK_TRACKING_HOST,
	SK__CK__COUNT
};

/* Keys of [domain NAME] that take one value. */
enum {
	SK__DK_FROM,
	SK__DK_RETURN_PATH,
	SK__DK_DMARC,
	SK__DK_DMARC_PCT,
	SK__DK_DMARC_RUA,
	SK__DK_DMARC_RUF,
	SK__DK_DMARC_SP,
	SK__DK__COUNT
};

/* Per DKIM selector: the dkim_key.SEL value, why it could not be turned
 * into a key record (NULL when it could, or when no key was given), and
 * the line it was set on. */
struct sk__cfg_dkim_extra {
	const char *key_value;
	const char *key_error;
	unsigned key_line;
};

struct sk__cfg_domain_extra {
	struct sk__cfg_dkim_extra *dkim; /* parallel to domain->dkim */
	size_t ndkim;
	unsigned *ms_lines;              /* parallel to mail_servers */
	size_t nms_lines;
	unsigned *mx_lines;              /* parallel to mx */
	size_t nmx_lines;
	uint32_t seen;                   /* SK__DK_ keys set from a file */
	unsigned lines[SK__DK__COUNT];   /* where each was set (0: not from
	                                    a file or not set) */
};

/* What an sk_org_config handle points to. */
struct sk__cfg {
	struct sk_org_config pub;        /* first */
	struct sk__arena arena;
	const char *dir;                 /* for relative key file paths */
	uint32_t seen;                   /* SK__CK_ keys set from a file */
	unsigned lines[SK__CK__COUNT];
	struct sk__cfg_domain_extra *dx; /* parallel to pub.domains */
	size_t ndx;
};

#endif /* SK_PROFILE_INTERNAL_H */
