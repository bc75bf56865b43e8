/*
 * lib/https/https_internal.h - the report of one HTTPS check and the
 * probes that fill it.  Not installed.
 *
 * Memory: every string of a report is kept in its pool and freed with
 * it; an allocation failure is sticky in rep->st and the strings asked
 * for meanwhile come back as "".
 */
#ifndef SK_HTTPS_INTERNAL_H
#define SK_HTTPS_INTERNAL_H

#include <senderkit/https.h>

#include "util/util.h"

/* Caps: one certificate text field, the body read and discarded. */
#define HX_TEXT_MAX 4096
#define HX_BODY_MAX (1024 * 1024)

struct sk_https_report {
	struct sk_https_probe host;
	struct sk_https_probe parent;
	struct sk_https_caa caa;
	struct sk_check *checks;
	size_t nchecks, achecks;
	char **pool;
	size_t npool, apool;
	sk_status st;           /* sticky SK_ENOMEM */
};

/* A copy of s (NULL gives "") owned by rep. */
const char *sk__https_dup(struct sk_https_report *rep, const char *s);
/* A printf-formatted string owned by rep. */
const char *sk__https_printf(struct sk_https_report *rep, const char *fmt,
			     ...) SK_PRINTF(2, 3);

/* An address to connect to: a literal IP and a port. */
struct hx_addr {
	char ip[64];            /* without brackets */
	unsigned port;
};

/* "IP:PORT" or "[IPv6]:PORT" for messages. */
void sk__https_addr_str(const struct hx_addr *a, char *out, size_t outsz);

/* TLS handshake with SNI `host` at a, then the certificate checks;
 * fills the tls fields of pr. */
void sk__https_tls(struct sk_https_report *rep, struct sk_https_probe *pr,
		   const char *host, const struct hx_addr *a,
		   const struct sk_https_opts *o, time_t now);

/* GET https://host/ through a (certificate not verified: only the
 * status and the STS header are read) and http://host/ through h (NULL:
 * skipped); fills the https, hsts and http fields of pr. */
void sk__https_http(struct sk_https_report *rep, struct sk_https_probe *pr,
		    const char *host, const struct hx_addr *a,
		    const struct hx_addr *h, const struct sk_https_opts *o);

#endif /* SK_HTTPS_INTERNAL_H */
