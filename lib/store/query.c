/*
 * lib/store/query.c - questions asked of the report store: totals, by day
 * and by source IP, with the receivers' own DMARC evaluation
 * (policy_evaluated; RFC 7489 appendix C, RFC 9990 section 2) and the
 * raw results beside it (auth_results) to say why a message failed; the
 * provider profile block that claims a source; the export of the records.
 */
#include <stdio.h>
#include <string.h>
#include <sqlite3.h>
#include <senderkit/net.h>
#include <senderkit/profile.h>
#include <senderkit/report.h>
#include "util/util.h"
#include "store_internal.h"

/*
 * One row per record with its flags: dk/sp policy_evaluated pass, hd a
 * DKIM result present, dp a DKIM result passed, spp an SPF result passed.
 * ?1 domain (NULL: all), ?2 since, ?3 until (0: open).
 */
#define REC_CTE \
	"WITH rec AS (SELECT c.source_ip AS ip, c.count AS n, r.org AS org," \
	" r.begin AS b," \
	" coalesce(c.dkim = 'pass', 0) AS dk," \
	" coalesce(c.spf = 'pass', 0) AS sp," \
	" EXISTS(SELECT 1 FROM auth_results a WHERE a.record = c.id" \
	"  AND a.method = 'dkim') AS hd," \
	" EXISTS(SELECT 1 FROM auth_results a WHERE a.record = c.id" \
	"  AND a.method = 'dkim' AND a.result = 'pass') AS dp," \
	" EXISTS(SELECT 1 FROM auth_results a WHERE a.record = c.id" \
	"  AND a.method = 'spf' AND a.result = 'pass') AS spp" \
	" FROM records c JOIN reports r ON r.id = c.report" \
	" WHERE " FILTER ") "

#define FILTER \
	"(?1 IS NULL OR r.policy_domain = ?1 COLLATE NOCASE)" \
	" AND (?2 = 0 OR r.begin >= ?2) AND (?3 = 0 OR r.begin < ?3)"

/* Columns 1..11 of every tally query (column 0 is the key). */
#define TALLY_COLS \
	" count(*), sum(n)," \
	" sum(CASE WHEN dk OR sp THEN n ELSE 0 END)," \
	" sum(CASE WHEN sp THEN n ELSE 0 END)," \
	" sum(CASE WHEN dk THEN n ELSE 0 END)," \
	" sum(CASE WHEN NOT (dk OR sp) AND spp THEN n ELSE 0 END)," \
	" sum(CASE WHEN NOT (dk OR sp) AND NOT spp THEN n ELSE 0 END)," \
	" sum(CASE WHEN NOT (dk OR sp) AND NOT hd THEN n ELSE 0 END)," \
	" sum(CASE WHEN NOT (dk OR sp) AND dp THEN n ELSE 0 END)," \
	" sum(CASE WHEN NOT (dk OR sp) AND hd AND NOT dp THEN n ELSE 0 END)"

static const char total_sql[] =
	REC_CTE "SELECT 0," TALLY_COLS " FROM rec";
static const char days_sql[] =
	REC_CTE "SELECT (b / 86400) * 86400 AS d," TALLY_COLS
	" FROM rec GROUP BY d ORDER BY d";
static const char sources_sql[] =
	REC_CTE "SELECT ip," TALLY_COLS ", group_concat(DISTINCT org),"
	" (SELECT name FROM ptr WHERE ptr.ip = rec.ip)"
	" FROM rec GROUP BY ip ORDER BY sum(n) DESC, ip";
static const char reports_sql[] =
	"SELECT count(*), min(begin), max(end) FROM reports r WHERE " FILTER;
static const char policy_sql[] =
	"SELECT org, report_id, policy_domain, email, begin, end, schema, p,"
	" sp, np, adkim, aspf, pct, testing, fo FROM reports r WHERE " FILTER
	" ORDER BY end DESC, id DESC LIMIT 1";

static sk_status
prepare(struct sk_store *s, const char *sql, const struct sk_report_filter *f,
	sqlite3_stmt **st, struct sk_err *err)
{
	sqlite3 *db = sk__store_sqlite(s);

	if (sqlite3_prepare_v2(db, sql, -1, st, NULL) != SQLITE_OK)
		return sk__err(err, SK_EIO, "store: %s", sqlite3_errmsg(db));
	if (f != NULL && f->domain != NULL)
		sqlite3_bind_text(*st, 1, f->domain, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(*st, 1);
	sqlite3_bind_int64(*st, 2, f != NULL ? f->since : 0);
	sqlite3_bind_int64(*st, 3, f != NULL ? f->until : 0);
	return SK_OK;
}

static sk_status
step_err(struct sk_store *s, sqlite3_stmt *st, struct sk_err *err)
{
	sqlite3 *db = sk__store_sqlite(s);
	sk_status rc = sk__err(err, SK_EIO, "store: %s", sqlite3_errmsg(db));

	sqlite3_finalize(st);
	return rc;
}

static uint64_t
col_u64(sqlite3_stmt *st, int i)
{
	sqlite3_int64 v = sqlite3_column_int64(st, i);

	return v < 0 ? 0 : (uint64_t)v;
}

static void
tally(sqlite3_stmt *st, struct sk_report_tally *t)
{
	t->records = col_u64(st, 1);
	t->messages = col_u64(st, 2);
	t->dmarc_pass = col_u64(st, 3);
	t->spf_aligned = col_u64(st, 4);
	t->dkim_aligned = col_u64(st, 5);
	t->fail_spf_unaligned = col_u64(st, 6);
	t->fail_spf_failing = col_u64(st, 7);
	t->fail_dkim_missing = col_u64(st, 8);
	t->fail_dkim_unaligned = col_u64(st, 9);
	t->fail_dkim_failing = col_u64(st, 10);
}

static void
copy_col(char *dst, size_t size, sqlite3_stmt *st, int i)
{
	const unsigned char *v = sqlite3_column_text(st, i);

	snprintf(dst, size, "%s", v != NULL ? (const char *)v : "");
}

/* The first block of a "cidr" list of `p` holding `ip`, as
 * "ID LIST BLOCK" into buf; false when none does. */
static bool
claim(const struct sk_profile *p, const char *ip, char *buf, size_t size)
{
	struct sk_ipaddr a;
	struct sk_cidr c;
	size_t i, j;

	if (sk_ip_parse(ip, strlen(ip), &a, NULL) != SK_OK)
		return false;
	for (i = 0; i < p->nlists; i++) {
		const struct sk_profile_list *l = &p->lists[i];

		if (l->kind == NULL || strcmp(l->kind, "cidr") != 0)
			continue;
		for (j = 0; j < l->count; j++) {
			if (sk_cidr_parse(l->items[j], strlen(l->items[j]), 0,
					  &c, NULL, NULL) != SK_OK)
				continue;
			if (sk_cidr_contains(&c, &a)) {
				snprintf(buf, size, "%s %s %s", p->id, l->name,
					 l->items[j]);
				return true;
			}
		}
	}
	return false;
}

static sk_status
summary_meta(struct sk_store *s, const struct sk_report_filter *f,
	     struct sk_report_summary *sum, struct sk_err *err)
{
	struct sk_report_meta *m = &sum->policy;
	sqlite3_stmt *st;
	sk_status rc;
	const char *schema;

	rc = prepare(s, reports_sql, f, &st, err);
	if (rc != SK_OK)
		return rc;
	if (sqlite3_step(st) != SQLITE_ROW)
		return step_err(s, st, err);
	sum->reports = col_u64(st, 0);
	sum->first = sqlite3_column_int64(st, 1);
	sum->last = sqlite3_column_int64(st, 2);
	sqlite3_finalize(st);
	rc = prepare(s, policy_sql, f, &st, err);
	if (rc != SK_OK)
		return rc;
	switch (sqlite3_step(st)) {
	case SQLITE_DONE:
		sqlite3_finalize(st);
		return SK_OK;
	case SQLITE_ROW:
		break;
	default:
		return step_err(s, st, err);
	}
	sum->has_policy = true;
	copy_col(m->org_name, sizeof(m->org_name), st, 0);
	copy_col(m->report_id, sizeof(m->report_id), st, 1);
	copy_col(m->domain, sizeof(m->domain), st, 2);
	copy_col(m->email, sizeof(m->email), st, 3);
	m->begin = sqlite3_column_int64(st, 4);
	m->end = sqlite3_column_int64(st, 5);
	schema = (const char *)sqlite3_column_text(st, 6);
	m->schema = schema == NULL ? SK_REPORT_RFC7489 :
		    strcmp(schema, "rfc9990") == 0 ? SK_REPORT_RFC9990 :
		    strcmp(schema, "rfc7489") == 0 ? SK_REPORT_RFC7489 :
		    SK_REPORT_RFC9990_NONS;
	copy_col(m->p, sizeof(m->p), st, 7);
	copy_col(m->sp, sizeof(m->sp), st, 8);
	copy_col(m->np, sizeof(m->np), st, 9);
	copy_col(m->adkim, sizeof(m->adkim), st, 10);
	copy_col(m->aspf, sizeof(m->aspf), st, 11);
	m->pct = sqlite3_column_type(st, 12) == SQLITE_NULL ? -1 :
		 sqlite3_column_int(st, 12);
	copy_col(m->testing, sizeof(m->testing), st, 13);
	copy_col(m->fo, sizeof(m->fo), st, 14);
	sqlite3_finalize(st);
	return SK_OK;
}

static sk_status
summary_days(struct sk_store *s, const struct sk_report_filter *f,
	     struct sk_report_summary *sum, struct sk_err *err)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	sk_status rc;
	int step;

	rc = prepare(s, days_sql, f, &st, err);
	if (rc != SK_OK)
		return rc;
	for (;;) {
		step = sqlite3_step(st);
		if (step != SQLITE_ROW)
			break;
		if (sum->ndays == cap) {
			void *n = sk__grow(sum->days, &cap, sizeof(*sum->days),
					   32);

			if (n == NULL) {
				sqlite3_finalize(st);
				return sk__err(err, SK_ENOMEM, "out of memory");
			}
			sum->days = n;
		}
		sum->days[sum->ndays].day = sqlite3_column_int64(st, 0);
		tally(st, &sum->days[sum->ndays].t);
		sum->ndays++;
	}
	if (step != SQLITE_DONE)
		return step_err(s, st, err);
	sqlite3_finalize(st);
	return SK_OK;
}

static sk_status
summary_sources(struct sk_store *s, const struct sk_report_filter *f,
		const struct sk_profile *p, struct sk_report_summary *sum,
		struct sk_err *err)
{
	sqlite3_stmt *st;
	size_t cap = 0;
	sk_status rc;
	int step;

	rc = prepare(s, sources_sql, f, &st, err);
	if (rc != SK_OK)
		return rc;
	for (;;) {
		struct sk_report_source *src;
		const unsigned char *orgs, *ptr;
		char buf[512];

		step = sqlite3_step(st);
		if (step != SQLITE_ROW)
			break;
		if (sum->nsources == cap) {
			void *n = sk__grow(sum->sources, &cap,
					   sizeof(*sum->sources), 64);

			if (n == NULL)
				goto nomem;
			sum->sources = n;
		}
		src = &sum->sources[sum->nsources];
		memset(src, 0, sizeof(*src));
		sum->nsources++;
		copy_col(src->ip, sizeof(src->ip), st, 0);
		tally(st, &src->t);
		orgs = sqlite3_column_text(st, 11);
		ptr = sqlite3_column_text(st, 12);
		src->orgs = sk__strdup(orgs ? (const char *)orgs : "");
		if (src->orgs == NULL)
			goto nomem;
		if (ptr != NULL && ptr[0] != '\0') {
			src->ptr = sk__strdup((const char *)ptr);
			if (src->ptr == NULL)
				goto nomem;
		}
		if (p != NULL && claim(p, src->ip, buf, sizeof(buf))) {
			src->claim = sk__strdup(buf);
			if (src->claim == NULL)
				goto nomem;
		}
	}
	if (step != SQLITE_DONE)
		return step_err(s, st, err);
	sqlite3_finalize(st);
	return SK_OK;
nomem:
	sqlite3_finalize(st);
	return sk__err(err, SK_ENOMEM, "out of memory");
}

sk_status
sk_store_summary(struct sk_store *s, const struct sk_report_filter *f,
		 const struct sk_profile *profile,
		 struct sk_report_summary **out, struct sk_err *err)
{
	struct sk_report_summary *sum;
	sqlite3_stmt *st;
	sk_status rc;

	*out = NULL;
	sum = sk__calloc(1, sizeof(*sum));
	if (sum == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	/* One read transaction: the four queries see the same reports
	 * even while an ingest commits (WAL snapshot). */
	if (sqlite3_exec(sk__store_sqlite(s), "BEGIN", NULL, NULL, NULL) !=
	    SQLITE_OK) {
		sk_report_summary_free(sum);
		return sk__err(err, SK_EIO, "store: %s",
			       sqlite3_errmsg(sk__store_sqlite(s)));
	}
	rc = summary_meta(s, f, sum, err);
	if (rc == SK_OK)
		rc = prepare(s, total_sql, f, &st, err);
	if (rc == SK_OK) {
		if (sqlite3_step(st) == SQLITE_ROW) {
			tally(st, &sum->total);
			sqlite3_finalize(st);
		} else {
			rc = step_err(s, st, err);
		}
	}
	if (rc == SK_OK)
		rc = summary_days(s, f, sum, err);
	if (rc == SK_OK)
		rc = summary_sources(s, f, profile, sum, err);
	(void)sqlite3_exec(sk__store_sqlite(s), "COMMIT", NULL, NULL, NULL);
	if (rc != SK_OK) {
		sk_report_summary_free(sum);
		return rc;
	}
	*out = sum;
	return SK_OK;
}

sk_status
sk__store_latest(struct sk_store *s, const struct sk_report_filter *f,
		 struct sk_report_summary **out, struct sk_err *err)
{
	struct sk_report_summary *sum;
	sk_status rc;

	*out = NULL;
	sum = sk__calloc(1, sizeof(*sum));
	if (sum == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	rc = summary_meta(s, f, sum, err);
	if (rc != SK_OK) {
		sk_report_summary_free(sum);
		return rc;
	}
	*out = sum;
	return SK_OK;
}

void
sk_report_summary_free(struct sk_report_summary *sum)
{
	size_t i;

	if (sum == NULL)
		return;
	for (i = 0; i < sum->nsources; i++) {
		sk__free((void *)sum->sources[i].orgs);
		sk__free((void *)sum->sources[i].ptr);
		sk__free((void *)sum->sources[i].claim);
	}
	sk__free(sum->sources);
	sk__free(sum->days);
	sk__free(sum);
}

static const char export_sql[] =
	"SELECT r.org, r.report_id, r.policy_domain, r.begin, r.end,"
	" c.source_ip, c.count, c.disposition, c.dkim, c.spf,"
	" c.header_from, c.envelope_from,"
	" (SELECT group_concat(coalesce(domain, '') || ':' ||"
	" coalesce(result, ''), ' ') FROM auth_results a WHERE"
	" a.record = c.id AND a.method = 'dkim'),"
	" (SELECT group_concat(coalesce(domain, '') || ':' ||"
	" coalesce(result, ''), ' ') FROM auth_results a WHERE"
	" a.record = c.id AND a.method = 'spf')"
	" FROM records c JOIN reports r ON r.id = c.report WHERE " FILTER
	" ORDER BY r.begin, r.org, r.report_id, c.id";

static const char *
col_str(sqlite3_stmt *st, int i)
{
	return (const char *)sqlite3_column_text(st, i);
}

sk_status
sk_store_export(struct sk_store *s, const struct sk_report_filter *f,
		sk_status (*row)(void *arg, const struct sk_report_row *r),
		void *arg, struct sk_err *err)
{
	struct sk_report_row r;
	sqlite3_stmt *st;
	sk_status rc;
	int step;

	rc = prepare(s, export_sql, f, &st, err);
	if (rc != SK_OK)
		return rc;
	for (;;) {
		step = sqlite3_step(st);
		if (step != SQLITE_ROW)
			break;
		r.org = col_str(st, 0);
		r.report_id = col_str(st, 1);
		r.policy_domain = col_str(st, 2);
		r.begin = sqlite3_column_int64(st, 3);
		r.end = sqlite3_column_int64(st, 4);
		r.source_ip = col_str(st, 5);
		r.count = col_u64(st, 6);
		r.disposition = col_str(st, 7);
		r.dkim = col_str(st, 8);
		r.spf = col_str(st, 9);
		r.header_from = col_str(st, 10);
		r.envelope_from = col_str(st, 11);
		r.dkim_results = col_str(st, 12);
		r.spf_results = col_str(st, 13);
		rc = row(arg, &r);
		if (rc != SK_OK) {
			sqlite3_finalize(st);
			return rc;
		}
	}
	if (step != SQLITE_DONE)
		return step_err(s, st, err);
	sqlite3_finalize(st);
	return SK_OK;
}
