/*
 * lib/store/ptr.c - reverse names of the stored source IPs (enrichment):
 * PTR questions (RFC 1035 section 3.5 in-addr.arpa, RFC 3596 section 2.5
 * ip6.arpa) asked through any sk_resolver backend, many at a time, within
 * a total time bound, and cached in the store's `ptr` table with the time
 * asked: a name or a definite "no name" is kept long, a temporary failure
 * briefly.  Questions the time bound cuts off are forgotten (asked again
 * next run), so a slow or dead resolver costs at most the bound and never
 * fails the ingest it follows.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <sqlite3.h>
#include <senderkit/dns.h>
#include <senderkit/net.h>
#include <senderkit/report.h>
#include "util/util.h"
#include "store_internal.h"

/* "x.x...x.ip6.arpa": 32 nibbles and dots, the suffix, a NUL. */
#define REV_MAX 80

enum slot_state { SLOT_IDLE = 0, SLOT_ASKED, SLOT_DONE };

struct slot {
	struct enrich *e;
	char ip[64];
	char name[SK_DNS_MAX_NAME + 1];
	enum slot_state state;
	enum sk_dns_status status;
};

struct enrich {
	struct slot *slots;
	size_t n;
	size_t inflight;
};

/* Candidates: source IPs without an answer younger than its lifetime. */
static const char todo_sql[] =
	"SELECT DISTINCT source_ip FROM records c WHERE NOT EXISTS("
	"SELECT 1 FROM ptr p WHERE p.ip = c.source_ip AND p.looked_up >"
	" CASE p.status WHEN 'tempfail' THEN ?2 ELSE ?1 END) LIMIT ?3";

static const char save_sql[] =
	"INSERT OR REPLACE INTO ptr(ip, name, status, looked_up)"
	" VALUES(?, ?, ?, ?)";

static int64_t
now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* The reverse-mapping name of an address; false when it is not one. */
static bool
reverse_name(const char *ip, char *out, size_t size)
{
	static const char hex[] = "0123456789abcdef";
	struct sk_ipaddr a;
	size_t o = 0;
	int i;

	if (sk_ip_parse(ip, strlen(ip), &a, NULL) != SK_OK)
		return false;
	if (a.af == SK_AF_INET) {
		snprintf(out, size, "%u.%u.%u.%u.in-addr.arpa", a.b[3],
			 a.b[2], a.b[1], a.b[0]);
		return true;
	}
	if (size < REV_MAX)
		return false;
	for (i = 15; i >= 0; i--) {
		out[o++] = hex[a.b[i] & 0xf];
		out[o++] = '.';
		out[o++] = hex[a.b[i] >> 4];
		out[o++] = '.';
	}
	snprintf(out + o, size - o, "ip6.arpa");
	return true;
}

/* The first PTR target, printable ASCII only (the name is hostile data
 * shown on terminals): anything else becomes '?'. */
static void
on_answer(void *arg, const struct sk_dns_answer *ans)
{
	struct slot *sl = arg;
	size_t i, k;

	sl->state = SLOT_DONE;
	sl->status = ans->status;
	sl->e->inflight--;
	if (ans->status != SK_DNS_ANSWER)
		return;
	for (i = 0; i < ans->count; i++) {
		const char *t = ans->rr[i].u.target;

		if (ans->rr[i].type != SK_DNS_PTR || t == NULL)
			continue;
		for (k = 0; t[k] != '\0' && k < SK_DNS_MAX_NAME; k++)
			sl->name[k] = t[k] > 0x20 && t[k] < 0x7f ? t[k] : '?';
		sl->name[k] = '\0';
		return;
	}
	sl->status = SK_DNS_NODATA; /* a CNAME to nothing */
}

static sk_status
load_todo(struct sk_store *s, struct enrich *e, int64_t now,
	  const struct sk_enrich_params *p, struct sk_err *err)
{
	sqlite3 *db = sk__store_sqlite(s);
	sqlite3_stmt *st;
	size_t cap = 0;
	int step;

	if (sqlite3_prepare_v2(db, todo_sql, -1, &st, NULL) != SQLITE_OK)
		return sk__err(err, SK_EIO, "store: %s", sqlite3_errmsg(db));
	sqlite3_bind_int64(st, 1, now - p->ttl);
	sqlite3_bind_int64(st, 2, now - p->fail_ttl);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)p->max_ips);
	for (;;) {
		const unsigned char *ip;

		step = sqlite3_step(st);
		if (step != SQLITE_ROW)
			break;
		ip = sqlite3_column_text(st, 0);
		if (ip == NULL || strlen((const char *)ip) >= sizeof(
		    e->slots[0].ip))
			continue;
		if (e->n == cap) {
			void *q = sk__grow(e->slots, &cap, sizeof(*e->slots),
					   256);

			if (q == NULL) {
				sqlite3_finalize(st);
				return sk__err(err, SK_ENOMEM, "out of memory");
			}
			e->slots = q;
		}
		memset(&e->slots[e->n], 0, sizeof(e->slots[0]));
		e->slots[e->n].e = e;
		snprintf(e->slots[e->n].ip, sizeof(e->slots[0].ip), "%s",
			 (const char *)ip);
		e->n++;
	}
	sqlite3_finalize(st);
	if (step != SQLITE_DONE)
		return sk__err(err, SK_EIO, "store: %s", sqlite3_errmsg(db));
	return SK_OK;
}

/* Ask every candidate, `conc` at a time, until done or the deadline. */
static void
ask_all(struct sk_resolver *r, struct enrich *e, unsigned conc,
	int64_t deadline, struct sk_enrich_totals *t)
{
	char rev[REV_MAX];
	size_t next = 0;
	int64_t left;

	for (;;) {
		while (e->inflight < conc && next < e->n) {
			struct slot *sl = &e->slots[next++];

			if (!reverse_name(sl->ip, rev, sizeof(rev)))
				continue;
			if (sk_dns_query(r, rev, SK_DNS_PTR, on_answer, sl) !=
			    SK_OK)
				continue;
			sl->state = SLOT_ASKED;
			e->inflight++;
			t->asked++;
		}
		if (e->inflight == 0 && next >= e->n)
			return;
		left = deadline - now_ms();
		if (left <= 0)
			return;
		if (sk_resolver_run(r, left < 50 ? (int)left : 50) < 0)
			return;
	}
}

static sk_status
save_all(struct sk_store *s, const struct enrich *e, int64_t now,
	 struct sk_enrich_totals *t, struct sk_err *err)
{
	sqlite3 *db = sk__store_sqlite(s);
	sqlite3_stmt *st;
	size_t i;

	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) !=
	    SQLITE_OK)
		return sk__err(err, SK_EIO, "store: %s", sqlite3_errmsg(db));
	if (sqlite3_prepare_v2(db, save_sql, -1, &st, NULL) != SQLITE_OK)
		goto fail;
	for (i = 0; i < e->n; i++) {
		const struct slot *sl = &e->slots[i];
		const char *status;

		if (sl->state == SLOT_ASKED)
			t->unanswered++;
		if (sl->state != SLOT_DONE)
			continue;
		switch (sl->status) {
		case SK_DNS_ANSWER:
			status = "ok";
			t->named++;
			break;
		case SK_DNS_NXDOMAIN:
		case SK_DNS_NODATA:
			status = "none";
			t->none++;
			break;
		case SK_DNS_TEMPFAIL:
		default:
			status = "tempfail";
			t->failed++;
			break;
		}
		sqlite3_reset(st);
		sqlite3_bind_text(st, 1, sl->ip, -1, SQLITE_STATIC);
		if (sl->status == SK_DNS_ANSWER)
			sqlite3_bind_text(st, 2, sl->name, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 2);
		sqlite3_bind_text(st, 3, status, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, now);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_finalize(st);
			goto fail;
		}
	}
	sqlite3_finalize(st);
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK)
		goto fail;
	return SK_OK;
fail:
	(void)sk__err(err, SK_EIO, "store: %s", sqlite3_errmsg(db));
	(void)sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	return SK_EIO;
}

sk_status
sk_store_enrich(struct sk_store *s, struct sk_resolver *r,
		const struct sk_enrich_params *params,
		struct sk_enrich_totals *t, struct sk_err *err)
{
	struct sk_enrich_params p;
	struct enrich e;
	int64_t start = now_ms(), now;
	sk_status rc;

	memset(t, 0, sizeof(*t));
	memset(&e, 0, sizeof(e));
	memset(&p, 0, sizeof(p));
	if (params != NULL)
		p = *params;
	if (p.time_ms == 0)
		p.time_ms = SK_ENRICH_TIME_MS;
	if (p.concurrency == 0)
		p.concurrency = SK_ENRICH_CONCURRENCY;
	if (p.ttl <= 0)
		p.ttl = SK_ENRICH_TTL;
	if (p.fail_ttl <= 0)
		p.fail_ttl = SK_ENRICH_FAIL_TTL;
	if (p.max_ips == 0)
		p.max_ips = SK_ENRICH_MAX_IPS;
	now = p.now != 0 ? p.now : (int64_t)time(NULL);
	rc = load_todo(s, &e, now, &p, err);
	if (rc == SK_OK) {
		t->candidates = e.n;
		ask_all(r, &e, p.concurrency, start + p.time_ms, t);
	}
	/* Cancels what the deadline cut: no callback into e after this. */
	sk_resolver_free(r);
	if (rc == SK_OK)
		rc = save_all(s, &e, now, t, err);
	sk__free(e.slots);
	t->elapsed_ms = (unsigned)(now_ms() - start);
	return rc;
}
