/*
 * lib/dns/be_cares.c - the live backend: asynchronous stub resolution
 * with c-ares (RFC 1035 sections 4.2.1 UDP and 4.2.2 TCP on truncation,
 * retries and timeouts per try; EDNS0, RFC 6891).  The response buffer is
 * parsed with ldns so that the RCODE and the answer section reach the core
 * unchanged (RFC 2308: NXDOMAIN and NODATA are told apart by RCODE and
 * records, not by the transport library's status).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <pthread.h>
#include <string.h>

#include <ares.h>
#include "dns_internal.h"

/*
 * Questions on the wire at once.  c-ares 1.18 sends every UDP question to
 * a server through one socket; thousands in flight overflow the socket
 * buffers of both ends, and every dropped datagram then waits out a whole
 * retry timeout.  Past this many, questions wait in a FIFO and go out as
 * answers come back.
 */
#define LIVE_MAX_INFLIGHT 128

struct lq {
	struct sk_resolver *r;
	struct live *l;
	struct sk__dns_q *q;
	struct lq *next;   /* waiting list */
	uint16_t type;
	char name[];       /* kept only while waiting */
};

struct live {
	ares_channel ch;
	size_t inflight;   /* handed to c-ares */
	size_t waiting;    /* in the FIFO below */
	struct lq *wait_head, *wait_tail;
	bool lib_init;
};

sk_status
sk__dns_packet_to_raw(const uint8_t *wire, size_t len, ldns_pkt **pkt,
		      struct sk__dns_raw *raw)
{
	ldns_rr_list *an;
	ldns_rr **rrs;
	size_t n;

	*pkt = NULL;
	memset(raw, 0, sizeof(*raw));
	if (ldns_wire2pkt(pkt, wire, len) != LDNS_STATUS_OK) {
		*pkt = NULL;
		return SK_ESYNTAX;
	}
	raw->rcode = (int)ldns_pkt_get_rcode(*pkt);
	an = ldns_pkt_answer(*pkt);
	n = an != NULL ? ldns_rr_list_rr_count(an) : 0;
	rrs = sk__calloc(n + 1, sizeof(*rrs));
	if (rrs == NULL) {
		ldns_pkt_free(*pkt);
		*pkt = NULL;
		return SK_ENOMEM;
	}
	for (size_t i = 0; i < n; i++) {
		ldns_rr *rr = ldns_rr_list_rr(an, i);

		/* Only class IN data answers a class IN question. */
		if (ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN)
			rrs[raw->nrr++] = rr;
	}
	raw->rrs = rrs;
	return SK_OK;
}

static void
on_reply(void *arg, int status, int timeouts, unsigned char *abuf, int alen)
{
	struct lq *lq = arg;
	struct sk__dns_raw raw = { .rcode = -1 };
	ldns_pkt *pkt = NULL;

	if (status == ARES_EDESTRUCTION || status == ARES_ECANCELLED) {
		sk__free(lq);
		return;
	}
	lq->l->inflight--;
	if (abuf != NULL && alen > 0) {
		sk_status st = sk__dns_packet_to_raw(abuf, (size_t)alen, &pkt,
						     &raw);

		if (st != SK_OK) {
			memset(&raw, 0, sizeof(raw));
			raw.rcode = -1;
			raw.why = st == SK_ENOMEM ? "out of memory" :
				"malformed response";
		}
	} else {
		switch (status) {
		case ARES_ENOTFOUND:
			raw.rcode = 3;
			break;
		case ARES_ENODATA:
			raw.rcode = 0;
			break;
		case ARES_ESERVFAIL:
			raw.rcode = 2;
			raw.why = "SERVFAIL";
			break;
		case ARES_EREFUSED:
			raw.rcode = 5;
			raw.why = "REFUSED";
			break;
		case ARES_ENOTIMP:
			raw.rcode = 4;
			raw.why = "NOTIMP";
			break;
		case ARES_EFORMERR:
			raw.rcode = 1;
			raw.why = "FORMERR";
			break;
		case ARES_ETIMEOUT:
			raw.why = "timeout";
			break;
		case ARES_ECONNREFUSED:
			raw.why = "connection refused";
			break;
		default:
			raw.why = ares_strerror(status);
			break;
		}
	}
	sk__dns_raw_done(lq->r, lq->q, &raw);
	sk__free((void *)(uintptr_t)raw.rrs);
	ldns_pkt_free(pkt);
	sk__free(lq);
}

static void
send_query(struct live *l, struct lq *lq)
{
	l->inflight++;
	/* c-ares may call on_reply from in here (bad name, no memory). */
	ares_query(l->ch, lq->name[0] != '\0' ? lq->name : ".", 1 /* C_IN */,
		   lq->type, on_reply, lq);
}

/* Move waiting questions to the wire while there is room. */
static void
drain_waiting(struct live *l)
{
	while (l->wait_head != NULL && l->inflight < LIVE_MAX_INFLIGHT) {
		struct lq *lq = l->wait_head;

		l->wait_head = lq->next;
		if (l->wait_head == NULL)
			l->wait_tail = NULL;
		l->waiting--;
		send_query(l, lq);
	}
}

static sk_status
live_query(struct sk_resolver *r, void *be, struct sk__dns_q *q,
	   const char *name, uint16_t type)
{
	struct live *l = be;
	size_t nlen = strlen(name);
	struct lq *lq = sk__malloc(sizeof(*lq) + nlen + 1);

	if (lq == NULL)
		return SK_ENOMEM;
	lq->r = r;
	lq->l = l;
	lq->q = q;
	lq->next = NULL;
	lq->type = type;
	memcpy(lq->name, name, nlen + 1);
	if (l->inflight < LIVE_MAX_INFLIGHT && l->wait_head == NULL) {
		send_query(l, lq);
		return SK_OK;
	}
	if (l->wait_tail != NULL)
		l->wait_tail->next = lq;
	else
		l->wait_head = lq;
	l->wait_tail = lq;
	l->waiting++;
	return SK_OK;
}

static int
live_process(struct sk_resolver *r, void *be, int timeout_ms)
{
	struct live *l = be;
	ares_socket_t socks[ARES_GETSOCK_MAXNUM];
	struct pollfd pfd[ARES_GETSOCK_MAXNUM];
	struct timeval maxtv, tv, *tvp;
	int bits, n = 0, wait, rc;

	drain_waiting(l);
	if (l->inflight == 0)
		return 0;
	bits = ares_getsock(l->ch, socks, ARES_GETSOCK_MAXNUM);
	for (int i = 0; i < ARES_GETSOCK_MAXNUM; i++) {
		short ev = 0;

		/* ARES_GETSOCK_WRITABLE shifts a signed 1 into the sign bit
		 * for the last socket; test the bits unsigned. */
		if ((unsigned)bits & (1u << i))
			ev |= POLLIN;
		if ((unsigned)bits & (1u << (i + ARES_GETSOCK_MAXNUM)))
			ev |= POLLOUT;
		if (ev == 0)
			continue;
		pfd[n].fd = socks[i];
		pfd[n].events = ev;
		pfd[n].revents = 0;
		n++;
	}
	if (timeout_ms >= 0) {
		maxtv.tv_sec = timeout_ms / 1000;
		maxtv.tv_usec = (timeout_ms % 1000) * 1000;
	}
	tvp = ares_timeout(l->ch, timeout_ms >= 0 ? &maxtv : NULL, &tv);
	if (tvp == NULL)
		wait = -1;
	else
		wait = (int)(tvp->tv_sec * 1000 + (tvp->tv_usec + 999) / 1000);
	rc = poll(pfd, (nfds_t)n, wait);
	if (rc < 0) {
		if (errno == EINTR)
			return (int)(l->inflight + l->waiting);
		return SK_EIO;
	}
	if (rc == 0) {
		ares_process_fd(l->ch, ARES_SOCKET_BAD, ARES_SOCKET_BAD);
	} else {
		for (int i = 0; i < n; i++) {
			short re = pfd[i].revents;

			if (re == 0)
				continue;
			ares_process_fd(l->ch,
					(re & (POLLIN | POLLERR | POLLHUP)) ?
					pfd[i].fd : ARES_SOCKET_BAD,
					(re & POLLOUT) ? pfd[i].fd :
					ARES_SOCKET_BAD);
		}
	}
	drain_waiting(l);
	n = l->inflight + l->waiting > 0x7fffffff ? 0x7fffffff :
		(int)(l->inflight + l->waiting);
	return n;
}

/*
 * c-ares 1.18's ares_library_init()/ares_library_cleanup() keep a counter
 * without a lock; resolvers may be created and freed in several threads
 * at once (one resolver per thread is the model), so serialize them.
 */
static pthread_mutex_t lib_lock = PTHREAD_MUTEX_INITIALIZER;

static int
lib_init(void)
{
	int rc;

	pthread_mutex_lock(&lib_lock);
	rc = ares_library_init(ARES_LIB_INIT_ALL);
	pthread_mutex_unlock(&lib_lock);
	return rc;
}

static void
lib_cleanup(void)
{
	pthread_mutex_lock(&lib_lock);
	ares_library_cleanup();
	pthread_mutex_unlock(&lib_lock);
}

static void
live_destroy(void *be)
{
	struct live *l = be;

	if (l == NULL)
		return;
	while (l->wait_head != NULL) {
		struct lq *lq = l->wait_head;

		l->wait_head = lq->next;
		sk__free(lq);
	}
	if (l->ch != NULL)
		ares_destroy(l->ch); /* on_reply gets ARES_EDESTRUCTION */
	if (l->lib_init)
		lib_cleanup();
	sk__free(l);
}

static const struct sk__dns_backend_ops live_ops = {
	.name = "live",
	.query = live_query,
	.process = live_process,
	.destroy = live_destroy,
};

/*
 * "IP", "IP:PORT" or "[IPv6]:PORT" (a bare IPv6 address too) into the
 * c-ares CSV form "IP:PORT" / "[IPv6]:PORT".  false when it does not parse.
 */
static bool
server_csv(const char *s, char *out, size_t outsz)
{
	char host[INET6_ADDRSTRLEN + 1];
	unsigned long port = 53;
	unsigned char bin[16];
	const char *colon, *end;
	size_t hl;
	bool v6;

	if (s[0] == '[') {
		end = strchr(s, ']');
		if (end == NULL)
			return false;
		hl = (size_t)(end - s - 1);
		if (hl == 0 || hl >= sizeof(host))
			return false;
		memcpy(host, s + 1, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET6, host, bin) != 1)
			return false;
		v6 = true;
		if (end[1] != '\0') {
			if (end[1] != ':' ||
			    !sk__parse_uint(end + 2, strlen(end + 2), 65535,
					    &port) || port == 0)
				return false;
		}
	} else if (inet_pton(AF_INET6, s, bin) == 1) {
		if (strlen(s) >= sizeof(host))
			return false;
		memcpy(host, s, strlen(s) + 1);
		v6 = true;
	} else {
		colon = strchr(s, ':');
		hl = colon != NULL ? (size_t)(colon - s) : strlen(s);
		if (hl == 0 || hl >= sizeof(host))
			return false;
		memcpy(host, s, hl);
		host[hl] = '\0';
		if (inet_pton(AF_INET, host, bin) != 1)
			return false;
		v6 = false;
		if (colon != NULL &&
		    (!sk__parse_uint(colon + 1, strlen(colon + 1), 65535,
				     &port) || port == 0))
			return false;
	}
	return (size_t)snprintf(out, outsz, v6 ? "[%s]:%lu" : "%s:%lu",
				host, port) < outsz;
}

SK_API sk_status
sk_resolver_new_live(struct sk_resolver **out,
		     const struct sk_resolver_opts *opts, struct sk_err *err)
{
	struct sk_resolver_opts def = { 0 };
	struct ares_options ao;
	struct ares_addr_port_node *servers = NULL;
	char csv[INET6_ADDRSTRLEN + 16];
	struct live *l;
	int rc;

	*out = NULL;
	if (opts == NULL)
		opts = &def;
	if (opts->server != NULL &&
	    !server_csv(opts->server, csv, sizeof(csv)))
		return sk__err(err, SK_EINVAL,
			       "bad DNS server \"%s\" (want IP, IP:PORT or "
			       "[IPv6]:PORT)", opts->server);
	l = sk__calloc(1, sizeof(*l));
	if (l == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	rc = lib_init();
	if (rc != ARES_SUCCESS) {
		sk__free(l);
		return sk__err(err, SK_EDNS, "c-ares: %s", ares_strerror(rc));
	}
	l->lib_init = true;
	memset(&ao, 0, sizeof(ao));
	ao.timeout = opts->timeout_ms != 0 ? (int)opts->timeout_ms : 2000;
	ao.tries = opts->tries != 0 ? (int)opts->tries : 3;
	/* NOCHECKRESP: hand SERVFAIL and REFUSED responses to us (c-ares
	 * would otherwise report them as "connection refused"). */
	ao.flags = ARES_FLAG_NOSEARCH | ARES_FLAG_NOALIASES | ARES_FLAG_EDNS |
		   ARES_FLAG_NOCHECKRESP;
	rc = ares_init_options(&l->ch, &ao,
			       ARES_OPT_TIMEOUTMS | ARES_OPT_TRIES |
			       ARES_OPT_FLAGS);
	if (rc != ARES_SUCCESS) {
		l->ch = NULL;
		live_destroy(l);
		return sk__err(err, rc == ARES_ENOMEM ? SK_ENOMEM : SK_EDNS,
			       "c-ares: %s", ares_strerror(rc));
	}
	if (opts->server != NULL) {
		rc = ares_set_servers_ports_csv(l->ch, csv);
		if (rc != ARES_SUCCESS) {
			live_destroy(l);
			return sk__err(err, SK_EINVAL, "DNS server \"%s\": %s",
				       opts->server, ares_strerror(rc));
		}
	}
	rc = ares_get_servers_ports(l->ch, &servers);
	if (rc != ARES_SUCCESS || servers == NULL) {
		live_destroy(l);
		return sk__err(err, SK_EDNS, "no DNS server configured");
	}
	ares_free_data(servers);
	return sk__dns_resolver_new(out, &live_ops, l, opts->cache_max, err);
}
