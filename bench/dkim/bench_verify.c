/*
 * bench_verify.c - library-level DKIM verification throughput (RFC 6376
 * section 6), speedtest style.  Not part of the test suite; built and run
 * by bench/dkim/run.sh through bench/dkim/bench.py.
 *
 * The signed messages of one directory are read into memory once; ONE
 * live resolver asks the harness NSD (--server 127.0.0.1:PORT) for the
 * key.  The first message is verified alone and timed (it fetches the key
 * through NSD); then messages are verified in a timed loop, as an MTA
 * filter holding them in memory would:
 *
 *   sync      _update (whole message) / _finish / every signature must
 *             pass;
 *   async K   K verifiers started with sk_dkim_verify_finish_start(), then
 *             sk_resolver_run() until the K callbacks ran; checked.
 *
 * Path measured (the "path" of each JSON line): by default "reuse", the
 * MTA filter's path: each verifier (one in sync mode, K in async mode)
 * comes from sk_dkim_verify_new() once and is readied for the next message
 * with sk_dkim_verify_reset(); with --fresh, "fresh": sk_dkim_verify_new()
 * and sk_dkim_verify_free() around every message.
 *
 * The modes take turns in R rounds of S/R seconds each (the machine is
 * shared and noisy: each mode sees the same disturbances).  One JSON line
 * per mode on stdout: messages, wall and CPU seconds, messages/s against
 * both (openssl speed counts CPU time), the best round, failures.
 * --max caps the messages of one round (for profiling runs).
 *
 *   bench_verify --server IP:PORT [--seconds S] [--rounds R] [--max N]
 *                [--warm N] [--inflight K[,K...]] [--label TEXT] [--fresh] DIR
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <senderkit/dkim.h>
#include <senderkit/dns.h>

#define MAX_MODES 16

struct msg {
	char *data;
	size_t len;
};

/* Only the first failure of the run is described on stderr. */
static int reported;

/* --fresh: a new verifier per message, else verifiers reset and reused. */
static int fresh;

struct slot {
	struct sk_dkim_verify *v;
	int done;
	sk_status status;
};

static double
now_wall(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double
now_cpu(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
die(const char *what, const struct sk_err *err)
{
	fprintf(stderr, "bench_verify: %s%s%s\n", what,
		err != NULL ? ": " : "", err != NULL ? err->msg : "");
	exit(1);
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
read_file(const char *path, struct msg *m)
{
	FILE *f = fopen(path, "rb");
	long n;

	if (f == NULL)
		return -1;
	if (fseek(f, 0, SEEK_END) != 0) {
		fclose(f);
		return -1;
	}
	n = ftell(f);
	if (n < 0 || fseek(f, 0, SEEK_SET) != 0) {
		fclose(f);
		return -1;
	}
	m->len = (size_t)n;
	m->data = malloc(m->len + 1);
	if (m->data == NULL ||
	    fread(m->data, 1, m->len, f) != m->len) {
		fclose(f);
		return -1;
	}
	fclose(f);
	return 0;
}

/* Every regular *.eml file of dir, sorted by name. */
static struct msg *
load_dir(const char *dir, size_t *count)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	char **names = NULL;
	size_t n = 0, cap = 0, i;
	struct msg *msgs;

	if (d == NULL) {
		fprintf(stderr, "bench_verify: %s: %s\n", dir,
			strerror(errno));
		exit(1);
	}
	for (e = readdir(d); e != NULL; e = readdir(d)) {
		size_t l = strlen(e->d_name);

		if (l < 5 || strcmp(e->d_name + l - 4, ".eml") != 0)
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			names = realloc(names, cap * sizeof(*names));
			if (names == NULL)
				die("out of memory", NULL);
		}
		names[n] = malloc(strlen(dir) + l + 2);
		if (names[n] == NULL)
			die("out of memory", NULL);
		snprintf(names[n], strlen(dir) + l + 2, "%s/%s", dir,
			 e->d_name);
		n++;
	}
	closedir(d);
	if (n == 0)
		die("no *.eml file in the directory", NULL);
	qsort(names, n, sizeof(*names), cmp_str);
	msgs = calloc(n, sizeof(*msgs));
	if (msgs == NULL)
		die("out of memory", NULL);
	for (i = 0; i < n; i++) {
		if (read_file(names[i], &msgs[i]) != 0) {
			fprintf(stderr, "bench_verify: %s: cannot read\n",
				names[i]);
			exit(1);
		}
		free(names[i]);
	}
	free(names);
	*count = n;
	return msgs;
}

/* 0 when the message has at least one signature and all of them pass. */
static int
check(const struct sk_dkim_verify *v)
{
	size_t i, n = sk_dkim_verify_count(v);

	if (n == 0) {
		if (!reported++)
			fprintf(stderr, "bench_verify: no signature\n");
		return 1;
	}
	for (i = 0; i < n; i++) {
		const struct sk_dkim_sig_result *r =
		    sk_dkim_verify_result(v, i);

		if (r->result != SK_DKIM_PASS) {
			if (!reported++)
				fprintf(stderr, "bench_verify: signature %zu:"
					" %s (%s)\n", i,
					sk_dkim_result_str(r->result),
					r->reason);
			return 1;
		}
	}
	return 0;
}

/* A verifier for the next message in *vp: a new one (--fresh or none
 * yet), or the previous one reset. */
static void
get_verifier(struct sk_resolver *r, struct sk_dkim_verify **vp)
{
	struct sk_err err;

	if (*vp != NULL) {
		sk_dkim_verify_reset(*vp);
		return;
	}
	if (sk_dkim_verify_new(r, NULL, vp, &err) != SK_OK)
		die("sk_dkim_verify_new", &err);
}

/* Done with *vp for this message: freed with --fresh, else kept. */
static void
put_verifier(struct sk_dkim_verify **vp)
{
	if (fresh) {
		sk_dkim_verify_free(*vp);
		*vp = NULL;
	}
}

/* The sync mode's verifier, kept from message to message. */
static struct sk_dkim_verify *sync_v;

static int
verify_one(struct sk_resolver *r, const struct msg *m)
{
	struct sk_dkim_verify *v;
	struct sk_err err;
	int bad;

	get_verifier(r, &sync_v);
	v = sync_v;
	if (sk_dkim_verify_update(v, m->data, m->len, &err) != SK_OK)
		die("sk_dkim_verify_update", &err);
	if (sk_dkim_verify_finish(v, &err) != SK_OK)
		die("sk_dkim_verify_finish", &err);
	bad = check(v);
	put_verifier(&sync_v);
	return bad;
}

static void
on_done(void *arg, sk_status status, struct sk_dkim_verify *v)
{
	struct slot *s = arg;

	(void)v;
	s->done = 1;
	s->status = status;
}

/* K verifiers in flight; returns the failures among the k messages. */
static int
verify_batch(struct sk_resolver *r, const struct msg *msgs, size_t nmsgs,
	     size_t first, struct slot *slots, size_t k)
{
	struct sk_err err;
	size_t i, done;
	int bad = 0, rc;

	for (i = 0; i < k; i++) {
		const struct msg *m = &msgs[(first + i) % nmsgs];

		slots[i].done = 0;
		get_verifier(r, &slots[i].v);
		if (sk_dkim_verify_update(slots[i].v, m->data, m->len,
					  &err) != SK_OK)
			die("sk_dkim_verify_update", &err);
		if (sk_dkim_verify_finish_start(slots[i].v, on_done,
						&slots[i], &err) != SK_OK)
			die("sk_dkim_verify_finish_start", &err);
	}
	for (;;) {
		done = 0;
		for (i = 0; i < k; i++)
			done += slots[i].done;
		if (done == k)
			break;
		rc = sk_resolver_run(r, -1);
		if (rc < 0)
			die("sk_resolver_run failed", NULL);
		if (rc == 0) {
			/* Nothing pending: a last pass for callbacks that
			 * ran in this call, then give up. */
			done = 0;
			for (i = 0; i < k; i++)
				done += slots[i].done;
			if (done != k)
				die("callbacks missing with nothing pending",
				    NULL);
			break;
		}
	}
	for (i = 0; i < k; i++) {
		bad += slots[i].status != SK_OK || check(slots[i].v);
		put_verifier(&slots[i].v);
	}
	return bad;
}

/* One mode (k == 0: sync) and what its rounds added up to. */
struct mode {
	size_t k;
	size_t n;
	double wall, cpu, best;
	long fail;
	struct slot *slots;
};

/* Run one mode for `seconds` (or maxn messages); add to its totals. */
static void
run_round(struct sk_resolver *r, const struct msg *msgs, size_t nmsgs,
	  struct mode *m, double seconds, size_t maxn)
{
	size_t n = 0;
	double t0 = now_wall(), c0 = now_cpu(), wall;

	do {
		if (m->k == 0) {
			m->fail += verify_one(r, &msgs[(m->n + n) % nmsgs]);
			n++;
		} else {
			m->fail += verify_batch(r, msgs, nmsgs, m->n + n,
						m->slots, m->k);
			n += m->k;
		}
	} while ((maxn == 0 || n < maxn) && now_wall() - t0 < seconds);
	wall = now_wall() - t0;
	m->cpu += now_cpu() - c0;
	m->wall += wall;
	m->n += n;
	if (n / wall > m->best)
		m->best = n / wall;
}

static void
report(const char *label, const struct mode *m, const struct sk_resolver *r,
       double first_us, unsigned rounds)
{
	struct sk_resolver_stats st;

	sk_resolver_get_stats(r, &st);
	printf("{\"label\": \"%s\", \"mode\": \"%s\", \"path\": \"%s\", "
	       "\"inflight\": %zu, "
	       "\"rounds\": %u, \"messages\": %zu, \"seconds\": %.4f, "
	       "\"cpu_seconds\": %.4f, \"per_s\": %.1f, \"per_cpu_s\": %.1f, "
	       "\"best_round_per_s\": %.1f, \"us_per_msg\": %.2f, "
	       "\"fail\": %ld, \"first_us\": %.1f, \"dns_sent\": %llu, "
	       "\"dns_questions\": %llu, \"cache_hits\": %llu}\n",
	       label, m->k == 0 ? "sync" : "async",
	       fresh ? "fresh" : "reuse", m->k == 0 ? 1 : m->k,
	       rounds, m->n, m->wall, m->cpu, m->n / m->wall,
	       m->cpu > 0 ? m->n / m->cpu : 0, m->best,
	       m->wall * 1e6 / (double)m->n, m->fail, first_us,
	       (unsigned long long)st.sent, (unsigned long long)st.questions,
	       (unsigned long long)st.cache_hits);
	fflush(stdout);
}

static void
usage(void)
{
	fprintf(stderr, "usage: bench_verify --server IP:PORT [--seconds S] "
		"[--rounds R] [--max N] [--warm N] [--inflight K[,K...]] "
		"[--label TEXT] [--fresh] DIR\n");
	exit(2);
}

/* A non-negative number option; anything else is a usage error. */
static double
arg_num(const char *s)
{
	char *end;
	double v = strtod(s, &end);

	if (end == s || *end != '\0' || v < 0)
		usage();
	return v;
}

int
main(int argc, char **argv)
{
	const char *server = NULL, *label = "", *dir = NULL;
	const char *inflight = "";
	double seconds = 2.0, t0, first_us;
	unsigned long long maxn = 0, warm = 100;
	unsigned rounds = 4, round;
	struct mode modes[MAX_MODES];
	size_t nmodes;
	struct sk_resolver_opts ro;
	struct sk_resolver *r;
	struct sk_err err;
	struct msg *msgs;
	size_t nmsgs, i, j;
	long fail;
	int a;

	for (a = 1; a < argc; a++) {
		if (strcmp(argv[a], "--server") == 0 && a + 1 < argc)
			server = argv[++a];
		else if (strcmp(argv[a], "--seconds") == 0 && a + 1 < argc)
			seconds = arg_num(argv[++a]);
		else if (strcmp(argv[a], "--max") == 0 && a + 1 < argc)
			maxn = (unsigned long long)arg_num(argv[++a]);
		else if (strcmp(argv[a], "--warm") == 0 && a + 1 < argc)
			warm = (unsigned long long)arg_num(argv[++a]);
		else if (strcmp(argv[a], "--inflight") == 0 && a + 1 < argc)
			inflight = argv[++a];
		else if (strcmp(argv[a], "--rounds") == 0 && a + 1 < argc)
			rounds = (unsigned)arg_num(argv[++a]);
		else if (strcmp(argv[a], "--label") == 0 && a + 1 < argc)
			label = argv[++a];
		else if (strcmp(argv[a], "--fresh") == 0)
			fresh = 1;
		else if (argv[a][0] != '-' && dir == NULL)
			dir = argv[a];
		else
			usage();
	}
	if (server == NULL || dir == NULL || seconds <= 0 || rounds == 0 ||
	    rounds > 1000)
		usage();
	memset(modes, 0, sizeof(modes));
	msgs = load_dir(dir, &nmsgs);

	memset(&ro, 0, sizeof(ro));
	ro.server = server;
	if (sk_resolver_new_live(&r, &ro, &err) != SK_OK)
		die("sk_resolver_new_live", &err);

	/* The first message: the key comes from NSD. */
	t0 = now_wall();
	fail = verify_one(r, &msgs[0]);
	first_us = (now_wall() - t0) * 1e6;
	if (fail)
		die("the first message does not verify", NULL);
	for (i = 0; i < warm; i++)
		fail += verify_one(r, &msgs[(i + 1) % nmsgs]);

	/* Mode 0 is sync, then one async mode per K; the modes take
	 * turns, `rounds` times, so that the machine's noise falls on all
	 * of them alike. */
	nmodes = 1;
	modes[0].k = 0;
	while (*inflight != '\0') {
		char *end;
		unsigned long k = strtoul(inflight, &end, 10);

		if (end == inflight || k == 0 || k > 100000 ||
		    nmodes == MAX_MODES)
			usage();
		inflight = *end == ',' ? end + 1 : end;
		modes[nmodes].k = k;
		modes[nmodes].slots = calloc(k, sizeof(struct slot));
		if (modes[nmodes].slots == NULL)
			die("out of memory", NULL);
		nmodes++;
	}
	for (round = 0; round < rounds; round++)
		for (i = 0; i < nmodes; i++)
			run_round(r, msgs, nmsgs, &modes[i],
				  seconds / rounds, maxn);
	for (i = 0; i < nmodes; i++) {
		report(label, &modes[i], r, first_us, rounds);
		for (j = 0; j < modes[i].k; j++)
			sk_dkim_verify_free(modes[i].slots[j].v);
		free(modes[i].slots);
	}

	sk_dkim_verify_free(sync_v);
	sk_resolver_free(r);
	for (i = 0; i < nmsgs; i++)
		free(msgs[i].data);
	free(msgs);
	return 0;
}
