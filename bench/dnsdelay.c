/*
 * dnsdelay: a UDP DNS proxy on loopback that adds a fixed delay to every
 * response, for benchmarks at a realistic resolver distance when the
 * kernel has no netem.  Not part of the senderkit build (bench/spf/run.sh
 * compiles it with `cc -O2 -Wall -Wextra`).
 *
 *	dnsdelay --listen PORT --upstream PORT [--delay-us N]
 *	    [--expire-ms N]
 *
 * Clients send queries to 127.0.0.1:LISTEN; each query is forwarded at
 * once to the DNS server at 127.0.0.1:UPSTREAM with its 16-bit ID
 * (RFC 1035 section 4.1.1) rewritten to an ID unique within the proxy;
 * the response gets the client's ID back and is sent to the client
 * DELAY microseconds after it came from the server.  A client therefore
 * sees the server's round trip plus DELAY.
 *
 * Single-threaded: ppoll() on two sockets with a nanosecond timeout, no
 * threads.  Responses wait in a FIFO: the delay is constant, so the
 * release order is the arrival order.  A response whose ID is unknown
 * (expired, never sent) or whose question differs from the query's is
 * dropped and counted.  Queries unanswered after --expire-ms (default
 * 5000) free their ID and are counted as expired.
 *
 * UDP only.  A response with TC=1 is passed through unchanged and
 * counted (stats "tc"); a client would then retry over TCP, which this
 * proxy does not serve (the SPF bench data fits in UDP, and the bench
 * checks that tc stays 0).
 *
 * Statistics (one "dnsdelay: key=value ..." line on stderr) on SIGUSR1,
 * and on SIGTERM/SIGINT before exiting 0.  Only 127.0.0.1 is ever used.
 */

#define _GNU_SOURCE

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NIDS		65536		/* the 16-bit DNS ID space */
#define BATCH		64		/* packets per recvmmsg/sendmmsg */
#define MAXPKT		65536		/* largest UDP payload + 1 */
#define SOCKBUF		(4 * 1024 * 1024)
#define QUEUE_MAX	(1u << 20)	/* responses waiting, at most */
#define SWEEP_NS	(250 * 1000000LL)
#define HDRLEN		12

struct pending {			/* one query forwarded upstream */
	int			 in_use;
	uint16_t		 client_id;
	uint32_t		 qhash;	/* hash of the question section */
	int64_t			 sent_ns;
	struct sockaddr_in	 client;
};

struct delayed {			/* one response waiting for release */
	int64_t			 due_ns;
	struct sockaddr_in	 client;
	size_t			 len;
	unsigned char		*pkt;
};

struct stats {
	unsigned long long	 queries;	/* received from clients */
	unsigned long long	 forwarded;	/* sent upstream */
	unsigned long long	 responses;	/* received from upstream */
	unsigned long long	 released;	/* sent back to clients */
	unsigned long long	 tc;		/* responses with TC=1 */
	unsigned long long	 malformed;	/* shorter than a header, QR */
	unsigned long long	 unknown;	/* unknown ID or question */
	unsigned long long	 expired;	/* no response in time */
	unsigned long long	 drop_noid;	/* no free proxy ID */
	unsigned long long	 drop_queue;	/* release queue full */
	unsigned long long	 drop_fwd;	/* upstream send failed */
	unsigned long long	 drop_send;	/* client send failed */
	unsigned long long	 late_sum_ns;	/* release lateness */
	long long		 late_max_ns;
	unsigned long		 max_outstanding;
	size_t			 max_queued;
};

struct proxy {
	int			 cfd;	/* client side, bound to LISTEN */
	int			 ufd;	/* upstream side, connected */
	int64_t			 delay_ns;
	int64_t			 expire_ns;
	int64_t			 next_sweep_ns;
	struct pending		*ids;	/* NIDS entries */
	unsigned		 next_id;
	unsigned long		 outstanding;
	struct delayed		*q;	/* ring of qcap entries */
	size_t			 qcap, qhead, qlen;
	struct stats		 st;
	unsigned char		 (*buf)[MAXPKT];	/* BATCH buffers */
};

static volatile sig_atomic_t got_term, got_usr1;

static void
on_signal(int sig)
{
	if (sig == SIGUSR1)
		got_usr1 = 1;
	else
		got_term = 1;
}

static void
die(const char *what)
{
	fprintf(stderr, "dnsdelay: %s: %s\n", what, strerror(errno));
	exit(1);
}

static int64_t
now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static long
parse_num(const char *opt, const char *s, long lo, long hi)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "dnsdelay: %s wants a number in [%ld, %ld]\n",
		    opt, lo, hi);
		exit(2);
	}
	return v;
}

static void
usage(void)
{
	fprintf(stderr, "usage: dnsdelay --listen PORT --upstream PORT "
	    "[--delay-us N] [--expire-ms N]\n");
	exit(2);
}

/*
 * FNV-1a over the question section (RFC 1035 section 4.1.2): QNAME as
 * uncompressed labels, QTYPE, QCLASS.  Responses echo it, so a response
 * matches its query only if the hashes agree.  0 when there is no
 * well-formed question (the check is then skipped).
 */
static uint32_t
question_hash(const unsigned char *p, size_t len)
{
	uint32_t h = 2166136261u;
	size_t i = HDRLEN;

	if (len < HDRLEN || ((p[4] << 8) | p[5]) != 1)
		return 0;
	while (i < len && p[i] != 0) {
		if ((p[i] & 0xC0) != 0)
			return 0;
		i += (size_t)p[i] + 1;
	}
	if (i + 5 > len)
		return 0;
	for (size_t j = HDRLEN; j < i + 5; j++) {
		/* names compare case-insensitively (RFC 4343) */
		unsigned char c = p[j];

		if (c >= 'A' && c <= 'Z')
			c += 'a' - 'A';
		h = (h ^ c) * 16777619u;
	}
	return h == 0 ? 1 : h;
}

static void
set_bufs(int fd)
{
	int sz = SOCKBUF;

	/* FORCE variants pass net.core.[rw]mem_max when we are root */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &sz, sizeof(sz)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof(sz));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) != 0)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
}

static int
udp_socket(void)
{
	int fd;

	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		die("socket");
	set_bufs(fd);
	return fd;
}

static struct sockaddr_in
loopback(int port)
{
	struct sockaddr_in sa;

	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	return sa;
}

static void
proxy_open(struct proxy *px, int listen_port, int upstream_port)
{
	struct sockaddr_in sa;

	/* no SO_REUSEADDR: a second UDP socket on the port (a server
	 * left running) must make bind fail, not split the traffic */
	px->cfd = udp_socket();
	sa = loopback(listen_port);
	if (bind(px->cfd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("bind");
	px->ufd = udp_socket();
	sa = loopback(upstream_port);
	if (connect(px->ufd, (struct sockaddr *)&sa, sizeof(sa)) != 0)
		die("connect");
	px->ids = calloc(NIDS, sizeof(*px->ids));
	px->qcap = 256;		/* grows by doubling */
	px->q = calloc(px->qcap, sizeof(*px->q));
	px->buf = malloc(sizeof(*px->buf) * BATCH);
	if (px->ids == NULL || px->q == NULL || px->buf == NULL)
		die("malloc");
}

/* -- the ID map ---------------------------------------------------- */

static int
id_alloc(struct proxy *px)
{
	for (unsigned n = 0; n < NIDS; n++) {
		unsigned id = px->next_id;

		px->next_id = (px->next_id + 1) & (NIDS - 1);
		if (!px->ids[id].in_use)
			return (int)id;
	}
	return -1;
}

static void
id_free(struct proxy *px, unsigned id)
{
	px->ids[id].in_use = 0;
	px->outstanding--;
}

static void
sweep_expired(struct proxy *px, int64_t now)
{
	if (now < px->next_sweep_ns)
		return;
	px->next_sweep_ns = now + SWEEP_NS;
	for (unsigned id = 0; id < NIDS; id++) {
		if (px->ids[id].in_use &&
		    now - px->ids[id].sent_ns > px->expire_ns) {
			id_free(px, id);
			px->st.expired++;
		}
	}
}

/* -- the release FIFO ---------------------------------------------- */

static int
queue_grow(struct proxy *px)
{
	struct delayed *nq;
	size_t ncap = px->qcap * 2;

	if (ncap > QUEUE_MAX)
		return -1;
	nq = calloc(ncap, sizeof(*nq));
	if (nq == NULL)
		return -1;
	for (size_t i = 0; i < px->qlen; i++)
		nq[i] = px->q[(px->qhead + i) % px->qcap];
	free(px->q);
	px->q = nq;
	px->qcap = ncap;
	px->qhead = 0;
	return 0;
}

static void
queue_push(struct proxy *px, const struct sockaddr_in *client,
    const unsigned char *pkt, size_t len, int64_t due)
{
	struct delayed *d;

	if (px->qlen == px->qcap && queue_grow(px) != 0) {
		px->st.drop_queue++;
		return;
	}
	d = &px->q[(px->qhead + px->qlen) % px->qcap];
	d->pkt = malloc(len);
	if (d->pkt == NULL) {
		px->st.drop_queue++;
		return;
	}
	memcpy(d->pkt, pkt, len);
	d->len = len;
	d->client = *client;
	d->due_ns = due;
	px->qlen++;
	if (px->qlen > px->st.max_queued)
		px->st.max_queued = px->qlen;
}

static void
queue_pop(struct proxy *px, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(px->q[px->qhead].pkt);
		px->q[px->qhead].pkt = NULL;
		px->qhead = (px->qhead + 1) % px->qcap;
	}
	px->qlen -= n;
}

static void
proxy_close(struct proxy *px)
{
	while (px->qlen > 0)
		queue_pop(px, 1);
	free(px->q);
	free(px->ids);
	free(px->buf);
	close(px->cfd);
	close(px->ufd);
}

/*
 * Send every response that is due, in batches.  Returns 1 when the
 * socket buffer is full (wait for POLLOUT), 0 otherwise.
 */
static int
release_due(struct proxy *px)
{
	struct mmsghdr mm[BATCH];
	struct iovec iov[BATCH];
	int64_t now = now_ns();

	while (px->qlen > 0 && px->q[px->qhead].due_ns <= now) {
		unsigned n = 0;
		int sent;

		while (n < BATCH && n < px->qlen) {
			struct delayed *d;

			d = &px->q[(px->qhead + n) % px->qcap];
			if (d->due_ns > now)
				break;
			iov[n].iov_base = d->pkt;
			iov[n].iov_len = d->len;
			memset(&mm[n], 0, sizeof(mm[n]));
			mm[n].msg_hdr.msg_name = &d->client;
			mm[n].msg_hdr.msg_namelen = sizeof(d->client);
			mm[n].msg_hdr.msg_iov = &iov[n];
			mm[n].msg_hdr.msg_iovlen = 1;
			n++;
		}
		sent = sendmmsg(px->cfd, mm, n, 0);
		if (sent < 0) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return 1;
			if (errno == EINTR)
				continue;
			/* this one cannot go: drop it, keep the rest */
			px->st.drop_send++;
			queue_pop(px, 1);
			continue;
		}
		for (int i = 0; i < sent; i++) {
			const struct delayed *d;
			long long late;

			d = &px->q[(px->qhead + (size_t)i) % px->qcap];
			late = now - d->due_ns;
			px->st.late_sum_ns += (unsigned long long)late;
			if (late > px->st.late_max_ns)
				px->st.late_max_ns = late;
		}
		px->st.released += (unsigned long long)sent;
		queue_pop(px, (size_t)sent);
		now = now_ns();
	}
	return 0;
}

/* -- packets ------------------------------------------------------- */

static int
recv_batch(int fd, struct proxy *px, struct mmsghdr *mm,
    struct sockaddr_in *from)
{
	struct iovec iov[BATCH];
	int n;

	for (int i = 0; i < BATCH; i++) {
		iov[i].iov_base = px->buf[i];
		iov[i].iov_len = MAXPKT;
		memset(&mm[i], 0, sizeof(mm[i]));
		if (from != NULL) {
			mm[i].msg_hdr.msg_name = &from[i];
			mm[i].msg_hdr.msg_namelen = sizeof(from[i]);
		}
		mm[i].msg_hdr.msg_iov = &iov[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	do {
		n = recvmmsg(fd, mm, BATCH, MSG_DONTWAIT, NULL);
	} while (n < 0 && errno == EINTR);
	return n;
}

/* Rewrite a client's query to a fresh proxy ID; 0 when it can go. */
static int
take_query(struct proxy *px, unsigned char *p, size_t len,
    const struct sockaddr_in *from, int64_t now)
{
	struct pending *e;
	int id;

	px->st.queries++;
	if (len < HDRLEN || (p[2] & 0x80) != 0) {
		px->st.malformed++;
		return -1;
	}
	id = id_alloc(px);
	if (id < 0) {
		px->st.drop_noid++;
		return -1;
	}
	e = &px->ids[id];
	e->in_use = 1;
	e->client_id = (uint16_t)((p[0] << 8) | p[1]);
	e->qhash = question_hash(p, len);
	e->sent_ns = now;
	e->client = *from;
	px->outstanding++;
	if (px->outstanding > px->st.max_outstanding)
		px->st.max_outstanding = px->outstanding;
	p[0] = (unsigned char)(id >> 8);
	p[1] = (unsigned char)(id & 0xFF);
	return 0;
}

/* Read queries from clients and forward them upstream. */
static int
from_clients(struct proxy *px)
{
	struct mmsghdr mm[BATCH], out[BATCH];
	struct sockaddr_in from[BATCH];
	struct iovec iov[BATCH];
	int64_t now;
	int n, k = 0, sent;

	n = recv_batch(px->cfd, px, mm, from);
	if (n <= 0)
		return 0;
	now = now_ns();
	for (int i = 0; i < n; i++) {
		if (take_query(px, px->buf[i], mm[i].msg_len, &from[i],
		    now) != 0)
			continue;
		iov[k].iov_base = px->buf[i];
		iov[k].iov_len = mm[i].msg_len;
		memset(&out[k], 0, sizeof(out[k]));
		out[k].msg_hdr.msg_iov = &iov[k];
		out[k].msg_hdr.msg_iovlen = 1;
		k++;
	}
	for (int done = 0; done < k; ) {
		sent = sendmmsg(px->ufd, out + done, (unsigned)(k - done), 0);
		if (sent < 0 && errno == EINTR)
			continue;
		if (sent <= 0) {
			/* free the IDs of what could not go; the client
			 * retries on its own timeout */
			for (int i = done; i < k; i++) {
				unsigned char *p = out[i].msg_hdr.msg_iov->
				    iov_base;

				id_free(px, (unsigned)((p[0] << 8) | p[1]));
				px->st.drop_fwd++;
			}
			break;
		}
		px->st.forwarded += (unsigned long long)sent;
		done += sent;
	}
	return n;
}

/* Match a server response to its query, restore the ID and queue it. */
static void
take_response(struct proxy *px, unsigned char *p, size_t len, int64_t now)
{
	struct pending *e;
	unsigned id;
	uint32_t h;

	px->st.responses++;
	if (len < HDRLEN || (p[2] & 0x80) == 0) {
		px->st.malformed++;
		return;
	}
	id = (unsigned)((p[0] << 8) | p[1]);
	e = &px->ids[id];
	h = question_hash(p, len);
	if (!e->in_use || (e->qhash != 0 && h != 0 && h != e->qhash)) {
		px->st.unknown++;
		return;
	}
	if ((p[2] & 0x02) != 0)
		px->st.tc++;
	p[0] = (unsigned char)(e->client_id >> 8);
	p[1] = (unsigned char)(e->client_id & 0xFF);
	queue_push(px, &e->client, p, len, now + px->delay_ns);
	id_free(px, id);
}

static int
from_upstream(struct proxy *px)
{
	struct mmsghdr mm[BATCH];
	int64_t now;
	int n;

	n = recv_batch(px->ufd, px, mm, NULL);
	if (n <= 0)
		return 0;
	now = now_ns();
	for (int i = 0; i < n; i++)
		take_response(px, px->buf[i], mm[i].msg_len, now);
	return n;
}

/* -- main loop ----------------------------------------------------- */

static void
print_stats(const struct proxy *px)
{
	const struct stats *s = &px->st;

	fprintf(stderr, "dnsdelay: queries=%llu forwarded=%llu "
	    "responses=%llu released=%llu tc=%llu malformed=%llu "
	    "unknown=%llu expired=%llu drop_noid=%llu drop_queue=%llu "
	    "drop_fwd=%llu drop_send=%llu outstanding=%lu queued=%zu "
	    "max_outstanding=%lu max_queued=%zu late_sum_us=%.0f "
	    "late_avg_us=%.1f late_max_us=%.1f\n",
	    s->queries, s->forwarded, s->responses, s->released, s->tc,
	    s->malformed, s->unknown, s->expired, s->drop_noid,
	    s->drop_queue, s->drop_fwd, s->drop_send, px->outstanding,
	    px->qlen, s->max_outstanding, s->max_queued,
	    (double)s->late_sum_ns / 1e3,
	    s->released ? (double)s->late_sum_ns / (double)s->released / 1e3
			: 0.0,
	    (double)s->late_max_ns / 1e3);
	fflush(stderr);
}

/* Until the next release or sweep; when the client socket is full
 * (blocked), POLLOUT wakes us instead of the overdue release. */
static struct timespec
wait_time(const struct proxy *px, int64_t now, int blocked)
{
	struct timespec ts;
	int64_t until = px->next_sweep_ns, d;

	if (!blocked && px->qlen > 0 && px->q[px->qhead].due_ns < until)
		until = px->q[px->qhead].due_ns;
	d = until - now;
	if (d < 0)
		d = 0;
	ts.tv_sec = (time_t)(d / 1000000000LL);
	ts.tv_nsec = (long)(d % 1000000000LL);
	return ts;
}

static void
run(struct proxy *px, const sigset_t *waitmask)
{
	struct pollfd pfd[2];
	int blocked = 0;

	px->next_sweep_ns = now_ns() + SWEEP_NS;
	while (!got_term) {
		struct timespec ts = wait_time(px, now_ns(), blocked);

		pfd[0].fd = px->cfd;
		pfd[0].events = POLLIN | (blocked ? POLLOUT : 0);
		pfd[1].fd = px->ufd;
		pfd[1].events = POLLIN;
		if (ppoll(pfd, 2, &ts, waitmask) < 0 && errno != EINTR)
			die("ppoll");
		if (got_usr1) {
			got_usr1 = 0;
			print_stats(px);
		}
		/* a few batches per side, then release what is due, so a
		 * flood on one side cannot delay the releases */
		for (int i = 0; i < 8; i++) {
			int n = from_upstream(px);

			n += from_clients(px);
			blocked = release_due(px);
			if (n == 0)
				break;
		}
		sweep_expired(px, now_ns());
	}
}

int
main(int argc, char **argv)
{
	struct proxy px;
	struct sigaction sa;
	sigset_t block, waitmask;
	long listen_port = 0, upstream_port = 0, delay_us = 1000;
	long expire_ms = 5000;

	for (int i = 1; i < argc; i++) {
		const char *o = argv[i];

		if (i + 1 >= argc)
			usage();
		if (strcmp(o, "--listen") == 0)
			listen_port = parse_num(o, argv[++i], 1, 65535);
		else if (strcmp(o, "--upstream") == 0)
			upstream_port = parse_num(o, argv[++i], 1, 65535);
		else if (strcmp(o, "--delay-us") == 0)
			delay_us = parse_num(o, argv[++i], 0, 10000000);
		else if (strcmp(o, "--expire-ms") == 0)
			expire_ms = parse_num(o, argv[++i], 1, 600000);
		else
			usage();
	}
	if (listen_port == 0 || upstream_port == 0)
		usage();

	memset(&px, 0, sizeof(px));
	px.delay_ns = (int64_t)delay_us * 1000;
	px.expire_ns = (int64_t)expire_ms * 1000000;
	/* ppoll wakes within ~1 us of the deadline, not 50 us */
	(void)prctl(PR_SET_TIMERSLACK, 1UL, 0UL, 0UL, 0UL);

	/* signals only arrive inside ppoll: no race with the flags */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGUSR1);
	sigprocmask(SIG_BLOCK, &block, &waitmask);
	signal(SIGPIPE, SIG_IGN);

	proxy_open(&px, (int)listen_port, (int)upstream_port);
	fprintf(stderr, "dnsdelay: 127.0.0.1:%ld -> 127.0.0.1:%ld, "
	    "delay %ld us\n", listen_port, upstream_port, delay_us);
	fflush(stderr);
	run(&px, &waitmask);
	print_stats(&px);
	proxy_close(&px);
	return 0;
}
