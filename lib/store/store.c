/*
 * lib/store/store.c - the SQLite store of aggregate reports: WAL mode (so
 * readers can query during an ingest), a busy timeout, a versioned schema
 * with migrations (table schema_version), one transaction per report and
 * INSERT OR IGNORE on (org, report_id, policy_domain) for idempotency:
 * RFC 9990 section 2.1.4 (report_id unique per reporter and domain) and
 * section 2.5.2 (handling of duplicates).
 *
 * Killing the process mid-batch loses at most the report in flight (its
 * transaction never commits); running the same batch again adds exactly
 * what is missing.
 *
 * Records are written by a second thread while the parser reads on (the
 * two costs are about equal), through a bounded queue of QLEN records.
 * The connection is used by one thread at a time (SQLITE_OPEN_NOMUTEX
 * allows that): everything but a record insert (the report row, the
 * commit, failure reports, queries) first waits until the queue is empty,
 * so a report still commits whole or not at all.
 */
#include <assert.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stddef.h>
#include <sqlite3.h>
#include <openssl/evp.h>
#include <senderkit/report.h>
#include "util/util.h"
#include "store_internal.h"

/* Migration i brings the schema from version i to i + 1. */
static const char *const migrations[] = {
	/* 0 -> 1 */
	"CREATE TABLE reports("
	" id INTEGER PRIMARY KEY,"
	" org TEXT NOT NULL, report_id TEXT NOT NULL,"
	" policy_domain TEXT NOT NULL, email TEXT NOT NULL,"
	" begin INTEGER NOT NULL, end INTEGER NOT NULL,"
	" schema TEXT NOT NULL, p TEXT, sp TEXT, np TEXT, adkim TEXT,"
	" aspf TEXT, pct INTEGER, testing TEXT, fo TEXT,"
	" source TEXT NOT NULL, ingested INTEGER NOT NULL,"
	" UNIQUE(org, report_id, policy_domain));"
	"CREATE TABLE records("
	" id INTEGER PRIMARY KEY,"
	" report INTEGER NOT NULL REFERENCES reports(id) ON DELETE CASCADE,"
	" source_ip TEXT NOT NULL, count INTEGER NOT NULL,"
	" disposition TEXT, dkim TEXT, spf TEXT,"
	" reason_type TEXT, reason_comment TEXT,"
	" header_from TEXT, envelope_from TEXT, envelope_to TEXT);"
	"CREATE INDEX records_report ON records(report);"
	"CREATE INDEX records_source_ip ON records(source_ip);"
	"CREATE INDEX reports_domain_begin ON reports(policy_domain, begin);"
	"CREATE TABLE auth_results("
	" record INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,"
	" method TEXT NOT NULL, domain TEXT, selector TEXT, scope TEXT,"
	" result TEXT);"
	"CREATE INDEX auth_results_record ON auth_results(record);",
	/* 1 -> 2: failure reports (RFC 5965 ARF, RFC 6591, RFC 9991) and
	 * the reverse names of source IPs */
	"CREATE TABLE failures("
	" id INTEGER PRIMARY KEY,"
	" digest TEXT NOT NULL UNIQUE,"
	" feedback_type TEXT, reported_domain TEXT, source_ip TEXT,"
	" arrival INTEGER, arrival_text TEXT, original_mail_from TEXT,"
	" original_rcpt_to TEXT, auth_failure TEXT, auth_results TEXT,"
	" dkim_domain TEXT, dkim_selector TEXT, delivery_result TEXT,"
	" identity_alignment TEXT, reporting_mta TEXT, user_agent TEXT,"
	" header_from TEXT, subject TEXT, message_id TEXT, headers TEXT,"
	" body TEXT, redacted INTEGER NOT NULL,"
	" source TEXT NOT NULL, ingested INTEGER NOT NULL);"
	"CREATE INDEX failures_domain ON failures(reported_domain, arrival);"
	"CREATE TABLE ptr("
	" ip TEXT PRIMARY KEY, name TEXT, status TEXT NOT NULL,"
	" looked_up INTEGER NOT NULL);",
	/* 2 -> 3: ingest speed.  An index on source_ip alone takes its
	 * inserts at random places: once it outgrows the page cache every
	 * record costs a page read, and every report's commit writes one
	 * dirty page per record to the WAL.  (report, source_ip) grows at
	 * its end like the rowids (reports are numbered in ingest order),
	 * serves the joins on report as before, and its entries cover
	 * SELECT DISTINCT source_ip (enrichment) without the table. */
	"DROP INDEX IF EXISTS records_source_ip;"
	"DROP INDEX IF EXISTS records_report;"
	"CREATE INDEX records_report_ip ON records(report, source_ip);"
	/* auth_results clustered on (record, seq): one B-tree to append
	 * to instead of a table and an index (seq: the result's place in
	 * its record, which keeps the order of the report). */
	"CREATE TABLE auth_results3("
	" record INTEGER NOT NULL REFERENCES records(id) ON DELETE CASCADE,"
	" seq INTEGER NOT NULL,"
	" method TEXT NOT NULL, domain TEXT, selector TEXT, scope TEXT,"
	" result TEXT, PRIMARY KEY(record, seq)) WITHOUT ROWID;"
	"INSERT INTO auth_results3 SELECT record, rowid, method, domain,"
	" selector, scope, result FROM auth_results;"
	"DROP TABLE auth_results;"
	"ALTER TABLE auth_results3 RENAME TO auth_results;",
};
static_assert(sizeof(migrations) / sizeof(migrations[0]) ==
	      SK_STORE_SCHEMA_VERSION, "one migration per schema version");

/* Records queued for the writer thread (QLEN * about 19 KB), which is
 * woken when BATCH of them wait (fewer wake-ups, fewer system calls). */
#define QLEN 128
#define BATCH 32

struct sk_store {
	sqlite3 *db;
	sqlite3_stmt *ins_report, *ins_record, *ins_auth, *ins_failure;
	bool in_txn, duplicate, redact, failure_dup;
	sqlite3_int64 report_row;
	uint64_t p_records, p_messages; /* of the report in flight */
	struct sk_store_totals *totals;
	char source[1024];
	void (*user)(void *, const char *, sk_status, const struct sk_err *,
		     const struct sk_findings *);
	void *user_arg;
	/* The writer thread and its queue (a ring of qn records from
	 * qhead); guarded by mu, but for the slots being copied. */
	pthread_mutex_t mu;
	pthread_cond_t work, space;
	pthread_t thread;
	bool mu_on, thread_on, no_thread, stop;
	bool wwait, pwait;      /* writer, parser waiting on work, space */
	struct sk_report_record *q;
	size_t qhead, qn;
	sk_status wst;          /* first failure of the writer, this report */
	char wmsg[SK_ERR_MSG_MAX - 16];
};

static sk_status ins_record(struct sk_store *s,
			    const struct sk_report_record *r);


static sk_status
db_err(struct sk_store *s, struct sk_err *err, const char *what)
{
	return sk__err(err, SK_EIO, "%s: %s", what, sqlite3_errmsg(s->db));
}

static int
exec(struct sk_store *s, const char *sql)
{
	return sqlite3_exec(s->db, sql, NULL, NULL, NULL);
}

/* The schema version of the store, -1 if it has none yet (or cannot be
 * read). */
static int
schema_version(struct sk_store *s)
{
	sqlite3_stmt *st = NULL;
	int v = -1;

	if (sqlite3_prepare_v2(s->db, "SELECT max(version) FROM "
			       "schema_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    sqlite3_column_type(st, 0) != SQLITE_NULL)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static sk_status
migrate(struct sk_store *s, struct sk_err *err)
{
	sqlite3_stmt *st = NULL;
	int v = 0;

	/*
	 * A store already at this version needs no write transaction:
	 * readers (summary, export...) opening it while an ingest commits
	 * report after report must not queue for the write lock, where
	 * they could starve until the busy timeout.  The read is a
	 * deferred transaction of its own (WAL: never blocked).
	 */
	if (schema_version(s) == SK_STORE_SCHEMA_VERSION)
		return SK_OK;
	if (exec(s, "BEGIN IMMEDIATE") != SQLITE_OK)
		return db_err(s, err, "begin");
	if (exec(s, "CREATE TABLE IF NOT EXISTS schema_version("
		 "version INTEGER NOT NULL)") != SQLITE_OK)
		goto fail;
	if (sqlite3_prepare_v2(s->db, "SELECT max(version) FROM "
			       "schema_version", -1, &st, NULL) != SQLITE_OK)
		goto fail;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (v > SK_STORE_SCHEMA_VERSION) {
		exec(s, "ROLLBACK");
		return sk__err(err, SK_EIO, "store schema version %d is newer "
			       "than this program's (%d)", v,
			       SK_STORE_SCHEMA_VERSION);
	}
	for (; v < SK_STORE_SCHEMA_VERSION; v++) {
		char sql[96];

		if (exec(s, migrations[v]) != SQLITE_OK)
			goto fail;
		snprintf(sql, sizeof(sql), "DELETE FROM schema_version;"
			 "INSERT INTO schema_version VALUES(%d)", v + 1);
		if (exec(s, sql) != SQLITE_OK)
			goto fail;
	}
	if (exec(s, "COMMIT") != SQLITE_OK)
		goto fail;
	return SK_OK;
fail:
	db_err(s, err, "schema migration");
	exec(s, "ROLLBACK");
	return SK_EIO;
}

/*
 * Put the store in WAL mode.  Turning a new (empty) store to WAL takes an
 * exclusive lock, and SQLite may answer SQLITE_BUSY at once, without its
 * busy handler, when another process is creating the same store (a
 * reader started just after its ingest): retry for up to 30 s.  A store
 * already in WAL mode needs no lock for this.
 */
static int
set_wal(struct sk_store *s)
{
	const struct timespec pause = { 0, 10 * 1000 * 1000 };
	int i, rc;

	for (i = 0; i < 3000; i++) {
		rc = exec(s, "PRAGMA journal_mode=WAL");
		if (rc != SQLITE_BUSY && rc != SQLITE_LOCKED)
			return rc;
		nanosleep(&pause, NULL);
	}
	return rc;
}

sk_status
sk_store_open(const char *path, struct sk_store **out, struct sk_err *err)
{
	struct sk_store *s;
	sk_status st;

	*out = NULL;
	s = sk__calloc(1, sizeof(*s));
	if (s == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	if (sqlite3_open_v2(path, &s->db, SQLITE_OPEN_READWRITE |
			    SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		st = sk__err(err, SK_EIO, "%s: %s", path,
			     s->db ? sqlite3_errmsg(s->db) : "cannot open");
		sk_store_close(s);
		return st;
	}
	if (pthread_mutex_init(&s->mu, NULL) != 0 ||
	    pthread_cond_init(&s->work, NULL) != 0 ||
	    pthread_cond_init(&s->space, NULL) != 0) {
		sk_store_close(s);
		return sk__err(err, SK_ENOMEM, "cannot create a lock");
	}
	s->mu_on = true;
	sqlite3_busy_timeout(s->db, 30000);
	/*
	 * WAL: readers never block the writer nor see a half report.
	 * synchronous=NORMAL in WAL mode: a commit is durable across a
	 * process crash (kill -9); a power loss may undo the last commits,
	 * never corrupt the store (https://sqlite.org/pragma.html#pragma_
	 * synchronous).  Page cache: up to 32 MB (bounded memory).  WAL
	 * checkpoints every 8192 pages (32 MB at 4 KiB pages) rather than
	 * 1000: fewer fsyncs and pages rewritten by several reports copied
	 * once; journal_size_limit gives the disk back after a checkpoint.
	 */
	if (set_wal(s) != SQLITE_OK) {
		st = sk__err(err, SK_EIO, "%s: WAL mode: %s", path,
			     sqlite3_errmsg(s->db));
		sk_store_close(s);
		return st;
	}
	if (exec(s, "PRAGMA synchronous=NORMAL") != SQLITE_OK ||
	    exec(s, "PRAGMA cache_size=-8192") != SQLITE_OK ||
	    exec(s, "PRAGMA wal_autocheckpoint=8192") != SQLITE_OK ||
	    exec(s, "PRAGMA journal_size_limit=67108864") != SQLITE_OK ||
	    exec(s, "PRAGMA foreign_keys=ON") != SQLITE_OK) {
		st = db_err(s, err, path);
		sk_store_close(s);
		return st;
	}
	st = migrate(s, err);
	if (st == SK_OK &&
	    (sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO reports(org, "
				"report_id, policy_domain, email, begin, end,"
				" schema, p, sp, np, adkim, aspf, pct, "
				"testing, fo, source, ingested) VALUES(?,?,?,"
				"?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1,
				&s->ins_report, NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(s->db, "INSERT INTO records(report, "
				"source_ip, count, disposition, dkim, spf, "
				"reason_type, reason_comment, header_from, "
				"envelope_from, envelope_to) VALUES(?,?,?,?,"
				"?,?,?,?,?,?,?)", -1, &s->ins_record,
				NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(s->db, "INSERT INTO auth_results(record, "
				"seq, method, domain, selector, scope, "
				"result) VALUES(?,?,?,?,?,?,?)", -1,
				&s->ins_auth, NULL) != SQLITE_OK ||
	     sqlite3_prepare_v2(s->db, "INSERT OR IGNORE INTO failures("
				"digest, feedback_type, reported_domain, "
				"source_ip, arrival, arrival_text, "
				"original_mail_from,"
				" original_rcpt_to, auth_failure, "
				"auth_results, dkim_domain, dkim_selector, "
				"delivery_result, identity_alignment, "
				"reporting_mta, user_agent, header_from, "
				"subject, message_id, headers, body, "
				"redacted, source, ingested) VALUES(?,?,?,?,"
				"?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1,
				&s->ins_failure, NULL) != SQLITE_OK))
		st = db_err(s, err, "prepare");
	if (st != SK_OK) {
		sk_store_close(s);
		return st;
	}
	*out = s;
	return SK_OK;
}

/* The writer thread: insert queued records in order until stopped. */
static void *
writer(void *arg)
{
	struct sk_store *s = arg;
	sk_status st;
	size_t i, n, at;

	pthread_mutex_lock(&s->mu);
	for (;;) {
		while (s->qn == 0 && !s->stop) {
			s->wwait = true;
			pthread_cond_wait(&s->work, &s->mu);
			s->wwait = false;
		}
		if (s->qn == 0)
			break;
		st = s->wst;
		n = s->qn;
		at = s->qhead;
		pthread_mutex_unlock(&s->mu);
		/* The n slots from the head are ours until qn drops. */
		for (i = 0; i < n && st == SK_OK; i++)
			st = ins_record(s, &s->q[(at + i) % QLEN]);
		pthread_mutex_lock(&s->mu);
		if (st != SK_OK && s->wst == SK_OK) {
			s->wst = st;
			snprintf(s->wmsg, sizeof(s->wmsg), "%s",
				 sqlite3_errmsg(s->db));
		}
		s->qhead = (s->qhead + n) % QLEN;
		s->qn -= n;
		if (s->pwait)
			pthread_cond_signal(&s->space);
	}
	pthread_mutex_unlock(&s->mu);
	return NULL;
}

/* Wait until the writer has inserted every queued record; then the
 * caller has the connection to itself. */
static void
drain(struct sk_store *s)
{
	if (!s->thread_on)
		return;
	pthread_mutex_lock(&s->mu);
	if (s->qn > 0 && s->wwait)
		pthread_cond_signal(&s->work);
	while (s->qn > 0) {
		s->pwait = true;
		pthread_cond_wait(&s->space, &s->mu);
		s->pwait = false;
	}
	pthread_mutex_unlock(&s->mu);
}

void
sk_store_close(struct sk_store *s)
{
	if (s == NULL)
		return;
	if (s->thread_on) {
		pthread_mutex_lock(&s->mu);
		s->stop = true;
		pthread_cond_signal(&s->work);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
	if (s->mu_on) {
		pthread_cond_destroy(&s->work);
		pthread_cond_destroy(&s->space);
		pthread_mutex_destroy(&s->mu);
	}
	sk__free(s->q);
	if (s->in_txn)
		exec(s, "ROLLBACK");
	sqlite3_finalize(s->ins_report);
	sqlite3_finalize(s->ins_record);
	sqlite3_finalize(s->ins_auth);
	sqlite3_finalize(s->ins_failure);
	sqlite3_close(s->db);
	sk__free(s);
}

sqlite3 *
sk__store_sqlite(struct sk_store *s)
{
	drain(s);
	return s->db;
}

static void
bind_text(sqlite3_stmt *st, int i, const char *v)
{
	sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static void
bind_opt(sqlite3_stmt *st, int i, const char *v)
{
	if (v[0] == '\0')
		sqlite3_bind_null(st, i);
	else
		bind_text(st, i, v);
}

static const char *
schema_name(enum sk_report_schema s)
{
	return s == SK_REPORT_RFC9990 ? "rfc9990" :
	       s == SK_REPORT_RFC9990_NONS ? "rfc9990-no-namespace" :
	       "rfc7489";
}

static sk_status
on_report(void *arg, const struct sk_report_meta *m)
{
	struct sk_store *s = arg;
	sqlite3_stmt *st = s->ins_report;
	int rc;

	drain(s);
	s->wst = SK_OK;
	if (s->in_txn)
		exec(s, "ROLLBACK");
	s->in_txn = false;
	s->duplicate = false;
	s->p_records = s->p_messages = 0;
	if (exec(s, "BEGIN IMMEDIATE") != SQLITE_OK)
		return SK_EIO;
	s->in_txn = true;
	sqlite3_reset(st);
	bind_text(st, 1, m->org_name);
	bind_text(st, 2, m->report_id);
	bind_text(st, 3, m->domain);
	bind_text(st, 4, m->email);
	sqlite3_bind_int64(st, 5, m->begin);
	sqlite3_bind_int64(st, 6, m->end);
	bind_text(st, 7, schema_name(m->schema));
	bind_opt(st, 8, m->p);
	bind_opt(st, 9, m->sp);
	bind_opt(st, 10, m->np);
	bind_opt(st, 11, m->adkim);
	bind_opt(st, 12, m->aspf);
	if (m->pct < 0)
		sqlite3_bind_null(st, 13);
	else
		sqlite3_bind_int(st, 13, m->pct);
	bind_opt(st, 14, m->testing);
	bind_opt(st, 15, m->fo);
	bind_text(st, 16, s->source);
	sqlite3_bind_int64(st, 17, (sqlite3_int64)time(NULL));
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return SK_EIO;
	if (sqlite3_changes(s->db) == 0) {
		s->duplicate = true; /* same org, report_id, domain */
		return SK_ECANCELED;
	}
	s->report_row = sqlite3_last_insert_rowid(s->db);
	return SK_OK;
}

static sk_status
ins_auth(struct sk_store *s, sqlite3_int64 rec, int seq, const char *method,
	 const struct sk_report_auth *a)
{
	sqlite3_stmt *st = s->ins_auth;
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, rec);
	sqlite3_bind_int(st, 2, seq);
	bind_text(st, 3, method);
	bind_opt(st, 4, a->domain);
	bind_opt(st, 5, a->selector);
	bind_opt(st, 6, a->scope);
	bind_opt(st, 7, a->result);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? SK_OK : SK_EIO;
}

/* Insert one record and its authentication results (the writer thread,
 * or the parser's when there is none). */
static sk_status
ins_record(struct sk_store *s, const struct sk_report_record *r)
{
	sqlite3_stmt *st = s->ins_record;
	sqlite3_int64 rec;
	size_t i;
	int rc;

	sqlite3_reset(st);
	sqlite3_bind_int64(st, 1, s->report_row);
	bind_text(st, 2, r->source_ip);
	sqlite3_bind_int64(st, 3, (sqlite3_int64)r->count);
	bind_opt(st, 4, r->disposition);
	bind_opt(st, 5, r->dkim);
	bind_opt(st, 6, r->spf);
	bind_opt(st, 7, r->reason_type);
	bind_opt(st, 8, r->reason_comment);
	bind_opt(st, 9, r->header_from);
	bind_opt(st, 10, r->envelope_from);
	bind_opt(st, 11, r->envelope_to);
	rc = sqlite3_step(st);
	sqlite3_reset(st);
	if (rc != SQLITE_DONE)
		return SK_EIO;
	rec = sqlite3_last_insert_rowid(s->db);
	/* seq: DKIM results first, then SPF, each in report order. */
	for (i = 0; i < r->ndkim_auth && i < SK_REPORT_MAX_AUTH; i++)
		if (ins_auth(s, rec, (int)i, "dkim", &r->dkim_auth[i]) !=
		    SK_OK)
			return SK_EIO;
	for (i = 0; i < r->nspf_auth && i < SK_REPORT_MAX_AUTH; i++)
		if (ins_auth(s, rec, SK_REPORT_MAX_AUTH + (int)i, "spf",
			     &r->spf_auth[i]) != SK_OK)
			return SK_EIO;
	return SK_OK;
}

/* Copy a text up to its NUL (the arrays are the same size). */
#define CPY(dst, src) memcpy(dst, src, strnlen(src, sizeof(src) - 1) + 1)

static void
copy_auth(struct sk_report_auth *d, const struct sk_report_auth *a)
{
	CPY(d->domain, a->domain);
	CPY(d->selector, a->selector);
	CPY(d->scope, a->scope);
	CPY(d->result, a->result);
}

/* Copy the texts of a record, not its whole 19 KB. */
static void
copy_record(struct sk_report_record *d, const struct sk_report_record *r)
{
	size_t i;

	CPY(d->source_ip, r->source_ip);
	d->count = r->count;
	CPY(d->disposition, r->disposition);
	CPY(d->dkim, r->dkim);
	CPY(d->spf, r->spf);
	CPY(d->reason_type, r->reason_type);
	CPY(d->reason_comment, r->reason_comment);
	CPY(d->header_from, r->header_from);
	CPY(d->envelope_from, r->envelope_from);
	CPY(d->envelope_to, r->envelope_to);
	d->ndkim_auth = r->ndkim_auth;
	d->nspf_auth = r->nspf_auth;
	for (i = 0; i < r->ndkim_auth && i < SK_REPORT_MAX_AUTH; i++)
		copy_auth(&d->dkim_auth[i], &r->dkim_auth[i]);
	for (i = 0; i < r->nspf_auth && i < SK_REPORT_MAX_AUTH; i++)
		copy_auth(&d->spf_auth[i], &r->spf_auth[i]);
}
#undef CPY

/* Start the writer thread; false (records then written in line) when
 * it cannot be. */
static bool
start_writer(struct sk_store *s)
{
	/* One processor: the two would only take turns. */
	if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
		return false;
	s->q = sk__malloc(QLEN * sizeof(*s->q));
	if (s->q == NULL)
		return false;
	s->qhead = s->qn = 0;
	s->stop = false;
	if (pthread_create(&s->thread, NULL, writer, s) != 0) {
		sk__free(s->q);
		s->q = NULL;
		return false;
	}
	s->thread_on = true;
	return true;
}

static sk_status
on_record(void *arg, const struct sk_report_meta *m,
	  const struct sk_report_record *r)
{
	struct sk_store *s = arg;
	sk_status st;
	size_t tail;

	if (!s->in_txn)
		return SK_EINTERNAL;
	if (!s->thread_on && !s->no_thread && !start_writer(s))
		s->no_thread = true;
	if (s->no_thread) {
		st = ins_record(s, r);
		if (st != SK_OK)
			return st;
	} else {
		pthread_mutex_lock(&s->mu);
		while (s->qn == QLEN) {
			s->pwait = true;
			pthread_cond_wait(&s->space, &s->mu);
			s->pwait = false;
		}
		st = s->wst;
		tail = (s->qhead + s->qn) % QLEN;
		pthread_mutex_unlock(&s->mu);
		if (st != SK_OK)
			return st;
		/* The tail slot is ours until qn grows. */
		copy_record(&s->q[tail], r);
		pthread_mutex_lock(&s->mu);
		s->qn++;
		if (s->wwait && s->qn >= BATCH)
			pthread_cond_signal(&s->work);
		pthread_mutex_unlock(&s->mu);
	}
	s->p_records++;
	s->p_messages += r->count;
	return SK_OK;
}

void
sk_store_set_redact(struct sk_store *s, bool redact)
{
	s->redact = redact;
}

/*
 * Hash one text with its line endings normalised: a CR before a LF is
 * left out, so the same report stored by one mailer with CRLF and by
 * another with LF (RFC 5322 section 2.1 vs. a Unix mbox) hashes the same.
 * `tag` and a NUL separate the texts (no two layouts collide).
 */
static bool
digest_text(EVP_MD_CTX *c, char tag, const char *t)
{
	const char *p, *cr;

	if (EVP_DigestUpdate(c, &tag, 1) != 1)
		return false;
	if (t == NULL)
		return true;
	for (p = t;; p = cr + 1) {
		cr = strchr(p, '\r');
		if (cr == NULL)
			break;
		if (EVP_DigestUpdate(c, p, (size_t)(cr - p)) != 1)
			return false;
		if (cr[1] != '\n' && EVP_DigestUpdate(c, "\r", 1) != 1)
			return false;
	}
	return EVP_DigestUpdate(c, p, strlen(p) + 1) == 1;
}

/* SHA-256 of the report as parsed (before any redaction), in hex: the
 * same report ingested twice is stored once, whatever its line endings. */
static bool
failure_digest(const struct sk_failure_report *f, char hex[65])
{
	const char *const fields[] = {
		f->feedback_type, f->version, f->user_agent, f->auth_failure,
		f->reported_domain, f->source_ip, f->arrival_date,
		f->original_mail_from, f->original_rcpt_to,
		f->authentication_results, f->dkim_domain, f->dkim_selector,
		f->delivery_result, f->identity_alignment, f->reporting_mta,
		f->header_from, f->subject, f->message_id,
	};
	unsigned char md[32];
	unsigned int n = 0;
	EVP_MD_CTX *c = EVP_MD_CTX_new();
	bool ok;
	size_t i;

	if (c == NULL)
		return false;
	ok = EVP_DigestInit_ex(c, EVP_sha256(), NULL) == 1;
	for (i = 0; ok && i < sizeof(fields) / sizeof(fields[0]); i++)
		ok = digest_text(c, 'f', fields[i]);
	ok = ok && digest_text(c, f->headers ? 'h' : 'n', f->headers) &&
	     digest_text(c, f->body ? 'b' : 'n', f->body) &&
	     EVP_DigestFinal_ex(c, md, &n) == 1 && n == sizeof(md);
	EVP_MD_CTX_free(c);
	for (i = 0; ok && i < sizeof(md); i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
	return ok;
}

static sk_status
on_failure(void *arg, const char *name, const struct sk_failure_report *in)
{
	struct sk_store *s = arg;
	struct sk_failure_report f = *in;
	sqlite3_stmt *st = s->ins_failure;
	char hex[65];
	sk_status rc = SK_OK;
	int i = 1;

	drain(s);
	/* The report is borrowed: redact a copy (the heap texts too). */
	f.headers = in->headers ? sk__strdup(in->headers) : NULL;
	f.body = in->body ? sk__strdup(in->body) : NULL;
	if ((in->headers && f.headers == NULL) || (in->body && !f.body) ||
	    !failure_digest(in, hex)) {
		rc = SK_ENOMEM;
		goto out;
	}
	if (s->redact)
		sk_failure_redact(&f);
	sqlite3_reset(st);
	bind_text(st, i++, hex);
	bind_opt(st, i++, f.feedback_type);
	bind_opt(st, i++, f.reported_domain);
	bind_opt(st, i++, f.source_ip);
	if (f.arrival != 0)
		sqlite3_bind_int64(st, i++, f.arrival);
	else
		sqlite3_bind_null(st, i++);
	bind_opt(st, i++, f.arrival_date);
	bind_opt(st, i++, f.original_mail_from);
	bind_opt(st, i++, f.original_rcpt_to);
	bind_opt(st, i++, f.auth_failure);
	bind_opt(st, i++, f.authentication_results);
	bind_opt(st, i++, f.dkim_domain);
	bind_opt(st, i++, f.dkim_selector);
	bind_opt(st, i++, f.delivery_result);
	bind_opt(st, i++, f.identity_alignment);
	bind_opt(st, i++, f.reporting_mta);
	bind_opt(st, i++, f.user_agent);
	bind_opt(st, i++, f.header_from);
	bind_opt(st, i++, f.subject);
	bind_opt(st, i++, f.message_id);
	if (f.headers != NULL)
		bind_text(st, i++, f.headers);
	else
		sqlite3_bind_null(st, i++);
	if (f.body != NULL)
		bind_text(st, i++, f.body);
	else
		sqlite3_bind_null(st, i++);
	sqlite3_bind_int(st, i++, f.redacted);
	bind_text(st, i++, name);
	sqlite3_bind_int64(st, i, (sqlite3_int64)time(NULL));
	/* One statement: its own transaction (autocommit). */
	if (sqlite3_step(st) != SQLITE_DONE)
		rc = SK_EIO;
	else if (sqlite3_changes(s->db) == 0)
		rc = SK_EEXIST;
	sqlite3_reset(st);
	if (rc == SK_OK)
		s->totals->failure_reports++;
	else if (rc == SK_EEXIST)
		s->failure_dup = true;
out:
	sk__free(f.headers);
	sk__free(f.body);
	return rc;
}

static void
on_start(void *arg, const char *name)
{
	struct sk_store *s = arg;

	snprintf(s->source, sizeof(s->source), "%s", name);
}

static void
on_done(void *arg, const char *name, sk_status st, const struct sk_err *e,
	const struct sk_findings *w)
{
	struct sk_store *s = arg;
	struct sk_err ce;

	drain(s);
	if (s->in_txn && s->wst != SK_OK &&
	    (st == SK_OK || st == s->wst)) {
		/* A record insert failed in the writer: not committed, and
		 * the reason is SQLite's, not "stopped by the callback". */
		memset(&ce, 0, sizeof(ce));
		st = ce.code = SK_EIO;
		snprintf(ce.msg, sizeof(ce.msg), "store: %s", s->wmsg);
		e = &ce;
	}
	if (st == SK_ECANCELED && s->duplicate) {
		s->totals->duplicates++;
		st = SK_EEXIST;
	} else if (st == SK_OK && s->in_txn) {
		if (exec(s, "COMMIT") != SQLITE_OK) {
			memset(&ce, 0, sizeof(ce));
			st = ce.code = SK_EIO;
			snprintf(ce.msg, sizeof(ce.msg), "store: %s",
				 sqlite3_errmsg(s->db));
			e = &ce;
		} else {
			s->in_txn = false;
			s->totals->reports++;
			s->totals->records += s->p_records;
			s->totals->messages += s->p_messages;
		}
	} else if (st == SK_ENOTSUP) {
		s->totals->unsupported++;
	} else if (st == SK_EEXIST && s->failure_dup) {
		s->totals->duplicates++;
	}
	s->failure_dup = false;
	if (s->in_txn)
		exec(s, "ROLLBACK");
	s->in_txn = false;
	s->duplicate = false;
	if (st != SK_OK && st != SK_EEXIST && st != SK_ENOTSUP)
		s->totals->failures++;
	if (s->user != NULL)
		s->user(s->user_arg, name, st, e, w);
}

void
sk_store_reader(struct sk_store *s, struct sk_report_reader *rd,
		struct sk_store_totals *totals,
		void (*user)(void *arg, const char *name, sk_status st,
			     const struct sk_err *e,
			     const struct sk_findings *warnings),
		void *user_arg)
{
	memset(rd, 0, sizeof(*rd));
	s->totals = totals;
	s->user = user;
	s->user_arg = user_arg;
	rd->xml.report = on_report;
	rd->xml.record = on_record;
	rd->xml.arg = s;
	rd->start = on_start;
	rd->done = on_done;
	rd->failure = on_failure;
	rd->arg = s;
}

static const char failures_sql[] =
	"SELECT feedback_type, reported_domain, source_ip, arrival_text,"
	" original_mail_from, original_rcpt_to, auth_failure, auth_results,"
	" dkim_domain, dkim_selector, delivery_result, identity_alignment,"
	" reporting_mta, user_agent, header_from, subject, message_id,"
	" headers, body, redacted, arrival FROM failures"
	" WHERE (?1 IS NULL OR reported_domain = ?1 COLLATE NOCASE)"
	" AND (?2 = 0 OR arrival >= ?2) AND (?3 = 0 OR arrival < ?3)"
	" ORDER BY coalesce(arrival, ingested), id";

static void
col_copy(sqlite3_stmt *st, int i, char *dst, size_t size)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	snprintf(dst, size, "%s", v != NULL ? (const char *)v : "");
}

sk_status
sk_store_failures(struct sk_store *s, const struct sk_report_filter *flt,
		  sk_status (*fn)(void *arg,
				  const struct sk_failure_report *f),
		  void *arg, struct sk_err *err)
{
	struct sk_failure_report *f;
	sqlite3_stmt *st;
	sk_status rc = SK_OK;
	int step;

	drain(s);
	if (sqlite3_prepare_v2(s->db, failures_sql, -1, &st, NULL) !=
	    SQLITE_OK)
		return db_err(s, err, "failures");
	f = sk__calloc(1, sizeof(*f));
	if (f == NULL) {
		sqlite3_finalize(st);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	if (flt != NULL && flt->domain != NULL)
		bind_text(st, 1, flt->domain);
	sqlite3_bind_int64(st, 2, flt != NULL ? flt->since : 0);
	sqlite3_bind_int64(st, 3, flt != NULL ? flt->until : 0);
	for (;;) {
		step = sqlite3_step(st);
		if (step != SQLITE_ROW)
			break;
		memset(f, 0, sizeof(*f));
#define C(i, fld) col_copy(st, i, f->fld, sizeof(f->fld))
		C(0, feedback_type);
		C(1, reported_domain);
		C(2, source_ip);
		C(3, arrival_date);
		C(4, original_mail_from);
		C(5, original_rcpt_to);
		C(6, auth_failure);
		C(7, authentication_results);
		C(8, dkim_domain);
		C(9, dkim_selector);
		C(10, delivery_result);
		C(11, identity_alignment);
		C(12, reporting_mta);
		C(13, user_agent);
		C(14, header_from);
		C(15, subject);
		C(16, message_id);
#undef C
		f->headers = (char *)sqlite3_column_text(st, 17);
		f->body = (char *)sqlite3_column_text(st, 18);
		f->redacted = sqlite3_column_int(st, 19) != 0;
		f->arrival = sqlite3_column_int64(st, 20);
		rc = fn(arg, f);
		if (rc != SK_OK)
			break;
	}
	sk__free(f);
	if (rc == SK_OK && step != SQLITE_DONE)
		rc = db_err(s, err, "failures");
	sqlite3_finalize(st);
	return rc;
}
