/*
 * senderkit/senderkit.h - umbrella header of libsenderkit.
 *
 * libsenderkit sets up and checks what an organization publishes and allows
 * so that mail sent for it by an email-marketing platform is delivered and
 * trusted: SPF (RFC 7208), DKIM (RFC 6376), DMARC (RFC 9989 / RFC 7489)
 * and the DNS they stand on.  See libsenderkit(3).
 */
#ifndef SENDERKIT_SENDERKIT_H
#define SENDERKIT_SENDERKIT_H

#include <senderkit/common.h>
#include <senderkit/dns.h>
#include <senderkit/spf.h>
#include <senderkit/dkim.h>
#include <senderkit/dmarc.h>
#include <senderkit/profile.h>
#include <senderkit/plan.h>
#include <senderkit/audit.h>
#include <senderkit/net.h>
#include <senderkit/report.h>
#include <senderkit/https.h>

#endif /* SENDERKIT_SENDERKIT_H */
