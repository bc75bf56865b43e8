/*
 * lib/store/store_internal.h - shared by the store's files (writer,
 * queries, rollout, failure reports, reverse names).  Not installed.
 */
#ifndef SK_STORE_INTERNAL_H
#define SK_STORE_INTERNAL_H

#include <sqlite3.h>
#include <senderkit/report.h>

/* The SQLite handle of a store.  Borrowed from s. */
sqlite3 *sk__store_sqlite(struct sk_store *s);

/* A summary with only the report count, dates and latest policy (no
 * tallies, days or sources).  Caller frees with sk_report_summary_free. */
sk_status sk__store_latest(struct sk_store *s,
			   const struct sk_report_filter *f,
			   struct sk_report_summary **out, struct sk_err *err);

#endif /* SK_STORE_INTERNAL_H */
