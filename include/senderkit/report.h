/*
 * senderkit/report.h - DMARC aggregate reports: a streaming parser of the
 * report XML (RFC 7489 appendix C; RFC 9990 with or without its dmarc-2.0
 * namespace), readers of the containers reports arrive in (gzip, zip,
 * e-mail with any MIME nesting, mbox, Maildir, folders), and a SQLite store
 * of what they say.
 *
 * Everything read here is untrusted.  The XML goes through expat with DTDs
 * and entity declarations refused, element depth and text length bounded;
 * decompression is capped in size and ratio (gzip and zip bombs); MIME
 * nesting is bounded.  Memory stays bounded whatever the report size: the
 * parser hands out one record at a time through a callback.
 */
#ifndef SENDERKIT_REPORT_H
#define SENDERKIT_REPORT_H

#include <senderkit/common.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Longest text kept for one field (bytes, without the NUL).  A longer
 * identifier (domain, IP, report id) makes the report fail; a longer free
 * text (reason comment) is cut with a warning. */
#define SK_REPORT_FIELD_MAX 511
/* Deepest element nesting accepted in the report XML. */
#define SK_REPORT_MAX_DEPTH 16
/* DKIM and SPF results kept per record (more are counted, not kept). */
#define SK_REPORT_MAX_AUTH 8
/* Longest reporting period accepted without a warning (RFC 7489 section
 * 7.2: "no more than once per day" by default). */
#define SK_REPORT_DAY 86400

/* Which schema a report used. */
enum sk_report_schema {
	SK_REPORT_RFC7489 = 0,  /* no namespace, RFC 7489 appendix C shape */
	SK_REPORT_RFC9990 = 1,  /* urn:ietf:params:xml:ns:dmarc-2.0 */
	SK_REPORT_RFC9990_NONS = 2, /* RFC 9990 elements, no namespace */
};

/*
 * Report metadata and published policy.  Strings are NUL-terminated, ""
 * when absent; values are lower-cased where the schema has an enumeration
 * (p, sp, np, adkim, aspf, testing).
 */
struct sk_report_meta {
	enum sk_report_schema schema;
	char org_name[SK_REPORT_FIELD_MAX + 1];
	char email[SK_REPORT_FIELD_MAX + 1];
	char report_id[SK_REPORT_FIELD_MAX + 1];
	int64_t begin, end;     /* date_range, seconds since the epoch */
	char domain[SK_REPORT_FIELD_MAX + 1]; /* policy_published/domain */
	char p[16], sp[16], np[16];
	char adkim[4], aspf[4];
	char testing[4];        /* RFC 9990 "y"/"n" */
	int pct;                /* -1 when absent (RFC 9990 removed it) */
	char fo[16];
};

/* One DKIM or SPF result of auth_results. */
struct sk_report_auth {
	char domain[SK_REPORT_FIELD_MAX + 1];
	char selector[SK_REPORT_FIELD_MAX + 1]; /* DKIM only */
	char scope[16];                         /* SPF only: mfrom, helo */
	char result[32];                        /* lower-cased */
};

/*
 * One <record>: a row (source IP, message count, evaluated policy), the
 * identifiers and the authentication results.  Enumerated values are
 * lower-cased ("Pass" is stored as "pass").
 */
struct sk_report_record {
	char source_ip[64];     /* validated IPv4 or IPv6 text */
	uint64_t count;
	char disposition[16];   /* none, quarantine, reject, pass (9990) */
	char dkim[16], spf[16]; /* policy_evaluated: pass / fail */
	char reason_type[32];
	char reason_comment[SK_REPORT_FIELD_MAX + 1];
	char header_from[SK_REPORT_FIELD_MAX + 1];
	char envelope_from[SK_REPORT_FIELD_MAX + 1];
	char envelope_to[SK_REPORT_FIELD_MAX + 1];
	struct sk_report_auth dkim_auth[SK_REPORT_MAX_AUTH];
	size_t ndkim_auth;
	struct sk_report_auth spf_auth[SK_REPORT_MAX_AUTH];
	size_t nspf_auth;
};

/*
 * What the parser calls.  `report` is called once per report, when the
 * first <record> starts (or at the end of a report without records), with
 * the complete metadata; `record` once per record.  Both borrow their
 * arguments for the duration of the call.  A callback returning non-zero
 * stops the parse; sk_report_parser_feed/finish then return that value
 * (use SK_ECANCELED to stop without an error, e.g. on a duplicate).
 * Either pointer may be NULL.
 */
struct sk_report_cb {
	sk_status (*report)(void *arg, const struct sk_report_meta *m);
	sk_status (*record)(void *arg, const struct sk_report_meta *m,
			    const struct sk_report_record *r);
	void *arg;
};

struct sk_report_parser;
struct sk_failure_report;

/*
 * A streaming parser of one aggregate report document.  `cb` is copied.
 * Caller frees with sk_report_parser_free.  Errors: SK_ENOMEM.
 */
SK_API sk_status SK_WARN_UNUSED
sk_report_parser_new(const struct sk_report_cb *cb,
		     struct sk_report_parser **out, struct sk_err *err);

/*
 * Feed the next `len` bytes of the document (any split).  Errors:
 * SK_ESYNTAX (malformed XML, a DTD or entity declaration, a missing or
 * invalid required field, wrong dates; err->line and offset point at it),
 * SK_ETOOBIG (depth or field length), or what a callback returned.  After
 * an error later calls return the same error.
 */
SK_API sk_status SK_WARN_UNUSED
sk_report_parser_feed(struct sk_report_parser *p, const void *data,
		      size_t len, struct sk_err *err);

/* End of input: checks the document is complete.  Errors as feed. */
SK_API sk_status SK_WARN_UNUSED
sk_report_parser_finish(struct sk_report_parser *p, struct sk_err *err);

/*
 * Warnings gathered so far (lenient cases: a period over 24 hours, the
 * RFC 9990 shape without its namespace, upper-case values, a missing
 * org_name, cut texts ...).  Borrowed from p; never NULL.
 */
SK_API const struct sk_findings *
sk_report_parser_warnings(const struct sk_report_parser *p);

/* Records seen so far and the sum of their counts. */
SK_API void
sk_report_parser_totals(const struct sk_report_parser *p, uint64_t *records,
			uint64_t *messages);

/* Free a parser.  Accepts NULL. */
SK_API void
sk_report_parser_free(struct sk_report_parser *p);

/* ----- containers: files, archives, mail ------------------------------ */

/*
 * Limits of the readers.  Zero fields take the defaults (in brackets).
 *   max_decompressed  bytes one document may inflate to [1 GiB]
 *   max_ratio         inflated / compressed bytes, checked past 1 MiB
 *                     of output [1000]
 *   max_message       bytes of one e-mail, attachment or zip file held in
 *                     memory [64 MiB]
 *   max_mime_depth    MIME nesting [16]
 *   max_members       report documents taken from one zip or mail [256]
 */
struct sk_report_limits {
	uint64_t max_decompressed;
	uint64_t max_ratio;
	size_t max_message;
	unsigned max_mime_depth;
	unsigned max_members;
};

/*
 * What the readers call.  For every report document found (a file, a zip
 * member, a MIME attachment, a message of an mbox), `start` (may be NULL)
 * is called before its first byte is parsed, then the parser callbacks
 * `xml`, then `done` once with its outcome: SK_OK, or the error with a
 * message in *e.  `name` says where the document is, e.g.
 * "box.mbox: message 3: attachment r.zip: member r.xml".  `warnings` are
 * the parser's (never NULL).  All arguments are borrowed for the call.
 * A SK_ECANCELED outcome means a callback stopped the parse on purpose.
 */
struct sk_report_reader {
	struct sk_report_cb xml;
	void (*start)(void *arg, const char *name);
	void (*done)(void *arg, const char *name, sk_status st,
		     const struct sk_err *e,
		     const struct sk_findings *warnings);
	void *arg;
	const struct sk_report_limits *limits; /* NULL: defaults */
	/*
	 * Failure reports (may be NULL: they are then reported through
	 * `done` as SK_ENOTSUP).  Called between `start` and `done` of the
	 * message; a non-zero return becomes the outcome given to `done`.
	 */
	sk_status (*failure)(void *arg, const char *name,
			     const struct sk_failure_report *f);
};

/*
 * Read every report under `path`: a file (XML, gzip, zip, .eml, mbox), a
 * Maildir or any folder (recursive; hidden entries skipped).  A bad
 * document is reported through `done` and the walk goes on.  Returns
 * SK_OK when the walk finished (even if documents failed) or SK_ENOENT /
 * SK_EIO when `path` itself cannot be read.
 */
SK_API sk_status SK_WARN_UNUSED
sk_report_read_path(const char *path, const struct sk_report_reader *rd,
		    struct sk_err *err);

/*
 * Read the reports in a buffer of any supported format (named `name` in
 * the callbacks).  Same outcomes as sk_report_read_path.
 */
SK_API sk_status SK_WARN_UNUSED
sk_report_read_mem(const char *name, const void *data, size_t len,
		   const struct sk_report_reader *rd, struct sk_err *err);

/* ----- failure reports: ARF (RFC 5965), RFC 6591, RFC 9991 ---------- */

/* Longest original header block and body kept from a failure report
 * (bytes; longer ones are cut and `cut` is set). */
#define SK_FAILURE_TEXT_MAX (64 * 1024)

/*
 * One failure report: a multipart/report; report-type=feedback-report
 * message (RFC 5965 section 2) whose message/feedback-report part gives
 * the fields below (RFC 5965 section 3.5, RFC 6591 section 3.1), and
 * whose third part holds the original message or its headers
 * (message/rfc822 or text/rfc822-headers).  Fields are "" when absent;
 * only the first of a repeated field is kept; feedback_type and
 * auth_failure are lower-cased.
 */
struct sk_failure_report {
	char feedback_type[32];     /* "auth-failure" for DMARC (RFC 6591) */
	char version[16];
	char user_agent[SK_REPORT_FIELD_MAX + 1];
	char auth_failure[32];      /* dmarc, dkim, spf, adsp, bodyhash... */
	char reported_domain[SK_REPORT_FIELD_MAX + 1];
	char source_ip[64];         /* validated IPv4 or IPv6 text, or "" */
	char arrival_date[SK_REPORT_FIELD_MAX + 1];
	char original_mail_from[SK_REPORT_FIELD_MAX + 1];
	char original_rcpt_to[SK_REPORT_FIELD_MAX + 1];
	char authentication_results[SK_REPORT_FIELD_MAX + 1];
	char dkim_domain[SK_REPORT_FIELD_MAX + 1];
	char dkim_selector[SK_REPORT_FIELD_MAX + 1];
	char delivery_result[32];
	char identity_alignment[64]; /* RFC 6591 section 3.1 */
	char reporting_mta[SK_REPORT_FIELD_MAX + 1];
	/* From the original message. */
	char header_from[SK_REPORT_FIELD_MAX + 1];
	char subject[SK_REPORT_FIELD_MAX + 1];
	char message_id[SK_REPORT_FIELD_MAX + 1];
	char *headers;              /* original header block, or NULL */
	char *body;                 /* original body, or NULL */
	bool cut;                   /* headers or body were cut */
	bool redacted;              /* sk_failure_redact was applied */
	int64_t arrival;            /* arrival_date (RFC 5322 date-time) in
	                               seconds since the epoch; 0 when absent
	                               or not a date */
};

/*
 * Parse a failure report from the message bytes msg[0..len).  Caller
 * frees *out with sk_failure_report_free.  Errors: SK_ENOENT (not a
 * multipart/report; report-type=feedback-report message), SK_ESYNTAX (no
 * message/feedback-report part, or no Feedback-Type), SK_ETOOBIG (MIME
 * nesting), SK_ENOMEM.
 */
SK_API sk_status SK_WARN_UNUSED
sk_failure_parse(const void *msg, size_t len, struct sk_failure_report **out,
		 struct sk_err *err);

/*
 * Remove personal data before storing (RFC 6591 section 5, RFC 9991
 * privacy considerations): the local part of every address in every text
 * field and in the original headers becomes "redacted", and the original
 * body is dropped.
 */
SK_API void
sk_failure_redact(struct sk_failure_report *f);

/* Free a failure report.  Accepts NULL. */
SK_API void
sk_failure_report_free(struct sk_failure_report *f);

/* ----- store: SQLite --------------------------------------------------- */

struct sk_store;

/* Current schema version of the store (table schema_version). */
#define SK_STORE_SCHEMA_VERSION 3

/*
 * Open (creating when missing) the SQLite store at `path`, in WAL mode
 * with a busy timeout so readers can query during an ingest, and migrate
 * its schema to SK_STORE_SCHEMA_VERSION.  Caller frees with
 * sk_store_close.  Errors: SK_EIO (cannot open, or a newer schema).
 */
SK_API sk_status SK_WARN_UNUSED
sk_store_open(const char *path, struct sk_store **out, struct sk_err *err);

/* Close the store.  Accepts NULL.  Rolls back an unfinished report. */
SK_API void
sk_store_close(struct sk_store *s);

/* Store failure reports redacted (sk_failure_redact) from now on. */
SK_API void
sk_store_set_redact(struct sk_store *s, bool redact);

struct sk_report_filter;

/*
 * Call `fn` for every stored failure report `f` selects (NULL: all):
 * f->domain is compared with Reported-Domain (case-insensitive), f->since
 * and f->until with the Arrival-Date (a report without a parseable one is
 * left out when either is set).  Oldest first (by Arrival-Date, else by
 * the time it was stored).  The report is borrowed for the call; a
 * non-zero return stops the walk and is returned.  Errors: SK_EIO,
 * SK_ENOMEM.
 */
SK_API sk_status SK_WARN_UNUSED
sk_store_failures(struct sk_store *s, const struct sk_report_filter *f,
		  sk_status (*fn)(void *arg,
				  const struct sk_failure_report *f),
		  void *arg, struct sk_err *err);

/* Totals of one ingest run (sk_store_ingest_reader). */
struct sk_store_totals {
	uint64_t reports;    /* reports added */
	uint64_t records;    /* records added */
	uint64_t messages;   /* sum of the added records' counts */
	uint64_t duplicates; /* reports already stored, skipped */
	uint64_t failures;   /* documents that failed */
	uint64_t unsupported; /* failure reports (ARF), not stored */
	uint64_t failure_reports; /* failure reports added */
};

/*
 * Fill `rd` so that sk_report_read_* stores every report into `s`: one
 * transaction per report (committed in `done`, rolled back on failure),
 * a report already stored (same org_name, report_id and policy domain)
 * skipped as a duplicate.  `user` (may be NULL) is called after each
 * document, with the same arguments as sk_report_reader.done (the status
 * is SK_EEXIST for a duplicate report or failure report), to show
 * progress or errors; `totals` is updated as documents finish.  `rd`,
 * `s` and `totals` must outlive the read.
 */
SK_API void
sk_store_reader(struct sk_store *s, struct sk_report_reader *rd,
		struct sk_store_totals *totals,
		void (*user)(void *arg, const char *name, sk_status st,
			     const struct sk_err *e,
			     const struct sk_findings *warnings),
		void *user_arg);

/* ----- queries -------------------------------------------------------- */

/*
 * Which stored records a query looks at: reports for one policy domain
 * (policy_published/domain, compared case-insensitively; NULL: all) whose
 * date_range begins in [since, until) (seconds since the epoch; 0 leaves
 * that side open).
 */
struct sk_report_filter {
	const char *domain;
	int64_t since, until;
};

/*
 * Message counts of a set of records, from the receivers' own evaluation
 * (policy_evaluated, RFC 7489 appendix C / RFC 9990 section 2): a message
 * passes DMARC when its SPF or its DKIM result is aligned and passing.
 * Each message failing DMARC has one SPF reason and one DKIM reason, so
 * fail_spf_* sum to messages - dmarc_pass, as do fail_dkim_*.
 */
struct sk_report_tally {
	uint64_t records;
	uint64_t messages;
	uint64_t dmarc_pass;        /* policy_evaluated dkim or spf pass */
	uint64_t spf_aligned;       /* policy_evaluated spf pass */
	uint64_t dkim_aligned;      /* policy_evaluated dkim pass */
	uint64_t fail_spf_unaligned; /* an SPF result passed, for another
	                                domain than header_from */
	uint64_t fail_spf_failing;  /* no SPF result passed */
	uint64_t fail_dkim_missing; /* no DKIM signature reported */
	uint64_t fail_dkim_unaligned; /* a signature verified, of another
	                                 domain (e.g. a provider's) */
	uint64_t fail_dkim_failing; /* signatures, none verified */
};

/* The messages of one UTC day (by the report's date_range begin). */
struct sk_report_day {
	int64_t day;                /* midnight UTC, seconds */
	struct sk_report_tally t;
};

/* The messages of one source IP.  Strings are owned by the summary. */
struct sk_report_source {
	char ip[64];
	struct sk_report_tally t;
	const char *orgs;     /* reporting organizations, comma-separated */
	const char *ptr;      /* reverse name stored for the IP, or NULL */
	const char *claim;    /* the profile list and block that holds the
	                         IP ("marketo sending_cidrs 192.28.144.0/20"),
	                         or NULL */
};

/*
 * What the stored reports say.  Days ascend; sources come by message
 * volume, largest first (then by IP text).  `policy` is the
 * policy_published of the latest report (by date_range end, then by
 * ingestion), valid when `has_policy`.
 */
struct sk_report_summary {
	uint64_t reports;
	int64_t first, last;  /* earliest begin, latest end; 0 when empty */
	struct sk_report_tally total;
	struct sk_report_day *days;
	size_t ndays;
	struct sk_report_source *sources;
	size_t nsources;
	bool has_policy;
	struct sk_report_meta policy;
};

struct sk_profile;

/*
 * Summarize the records `f` selects (NULL: all).  With a provider profile
 * (may be NULL), each source IP inside one of its "cidr" lists is claimed
 * by the first such block.  Caller frees *out with
 * sk_report_summary_free.  Errors: SK_EIO (store), SK_ENOMEM.
 */
SK_API sk_status SK_WARN_UNUSED
sk_store_summary(struct sk_store *s, const struct sk_report_filter *f,
		 const struct sk_profile *profile,
		 struct sk_report_summary **out, struct sk_err *err);

/* Free a summary.  Accepts NULL. */
SK_API void
sk_report_summary_free(struct sk_report_summary *sum);

/*
 * One stored record as `sk_store_export` hands it out: strings are NULL
 * when the report did not give the field.  `dkim_results` and
 * `spf_results` list "domain:result" pairs separated by spaces.
 */
struct sk_report_row {
	const char *org, *report_id, *policy_domain;
	int64_t begin, end;
	const char *source_ip;
	uint64_t count;
	const char *disposition, *dkim, *spf;
	const char *header_from, *envelope_from;
	const char *dkim_results, *spf_results;
};

/*
 * Call `row` for every record `f` selects (NULL: all), ordered by report
 * begin, org, report id and record.  The row is borrowed for the call; a
 * non-zero return stops the walk and is returned.  Errors: SK_EIO.
 */
SK_API sk_status SK_WARN_UNUSED
sk_store_export(struct sk_store *s, const struct sk_report_filter *f,
		sk_status (*row)(void *arg, const struct sk_report_row *r),
		void *arg, struct sk_err *err);

/* ----- enrichment: reverse names of source IPs ----------------------- */

/* Defaults of struct sk_enrich_params. */
#define SK_ENRICH_TIME_MS 10000       /* the whole run */
#define SK_ENRICH_CONCURRENCY 32      /* questions in flight */
#define SK_ENRICH_TTL (30 * 86400)    /* a name, or "no name", is kept */
#define SK_ENRICH_FAIL_TTL 3600       /* a temporary failure is kept */
#define SK_ENRICH_MAX_IPS 100000      /* addresses asked in one run */

/* Inputs of sk_store_enrich.  Zero fields take the defaults. */
struct sk_enrich_params {
	unsigned time_ms;     /* total time bound, milliseconds */
	unsigned concurrency; /* PTR questions in flight at once */
	int64_t ttl;          /* seconds an answer (name, NXDOMAIN, NODATA)
	                         stays in the `ptr` table before it is
	                         asked again */
	int64_t fail_ttl;     /* the same for a temporary failure */
	size_t max_ips;       /* addresses asked in one run */
	int64_t now;          /* the time stored as "asked" (0: now) */
};

/* What one enrichment run did. */
struct sk_enrich_totals {
	uint64_t candidates;  /* source IPs without a fresh cached answer */
	uint64_t asked;       /* PTR questions sent */
	uint64_t named;       /* answered with a name */
	uint64_t none;        /* no name (NXDOMAIN or NODATA) */
	uint64_t failed;      /* temporary failure (timeout, SERVFAIL) */
	uint64_t unanswered;  /* cut by the time bound, not cached */
	unsigned elapsed_ms;
};

struct sk_resolver;

/*
 * Look up the reverse names (PTR; RFC 1035 section 3.5, RFC 3596
 * section 2.5) of the stored source IPs that have no fresh answer in the
 * store's `ptr` table, `concurrency` at a time through `r` (any backend),
 * and cache the answers with the time asked.  The whole run takes at most
 * about `time_ms`: questions still pending then are cancelled and left
 * for a later run.  Names are stored with any byte outside printable
 * ASCII replaced by '?'.  `r` is taken: it is freed before returning, in
 * every case.  `t` is filled.  Errors: SK_EIO (store), SK_ENOMEM; DNS
 * failures are not errors, only counted.
 */
SK_API sk_status SK_WARN_UNUSED
sk_store_enrich(struct sk_store *s, struct sk_resolver *r,
		const struct sk_enrich_params *params,
		struct sk_enrich_totals *t, struct sk_err *err);

/* ----- rollout: p=none -> quarantine (t=y) -> quarantine -> reject ---- */

/* Stages of a DMARC rollout (RFC 9989 section 7 advice; t=y is the
 * RFC 9989 replacement of the pct ramp, section 4.7). */
enum sk_rollout_stage {
	SK_ROLLOUT_UNKNOWN = 0,         /* no report for the domain */
	SK_ROLLOUT_NONE,                /* p=none */
	SK_ROLLOUT_QUARANTINE_TEST,     /* p=quarantine; t=y (or pct<100) */
	SK_ROLLOUT_QUARANTINE,          /* p=quarantine */
	SK_ROLLOUT_REJECT,              /* p=reject */
};

/* Defaults of struct sk_rollout_params. */
#define SK_ROLLOUT_WINDOW_DAYS 14
#define SK_ROLLOUT_MIN_PASS 0.98

/* Inputs of sk_store_rollout.  Zero fields take the defaults. */
struct sk_rollout_params {
	unsigned window_days;      /* evidence: days before the latest report
	                              end [SK_ROLLOUT_WINDOW_DAYS] */
	double min_pass;           /* DMARC pass rate every legitimate source
	                              must reach [SK_ROLLOUT_MIN_PASS] */
	const struct sk_profile *profile; /* may be NULL */
	const char *const *rua;    /* rua URIs of the record to publish */
	size_t nrua;
};

/* How a source of the window is judged. */
enum sk_rollout_kind {
	SK_ROLLOUT_CLAIMED = 0,  /* in a list of the provider profile */
	SK_ROLLOUT_LEGITIMATE,   /* passed DMARC at least once: it holds the
	                            domain's DKIM key or SPF authorization */
	SK_ROLLOUT_UNKNOWN_SOURCE, /* never passed, not claimed */
};

/*
 * The advice.  `evidence` is the summary of the window (its sources in
 * the same order as `kinds`).  `advance` is false when the stage should
 * hold: `why` says why in one sentence.  `record` is the DMARC record to
 * publish for `next` (the current one when holding).
 */
struct sk_report_rollout {
	enum sk_rollout_stage current, next;
	bool advance;
	bool claimed_failing;      /* a profile-claimed source fails */
	char why[512];
	char *record;              /* "v=DMARC1; p=...", owned */
	const char *pct_note;      /* static: the RFC 7489 pct ramp note */
	uint64_t unknown_messages; /* volume of unknown sources */
	size_t nunknown;
	int64_t since, until;      /* the window */
	struct sk_report_summary *evidence; /* owned */
	enum sk_rollout_kind *kinds;        /* owned, evidence->nsources */
};

/* "none", "quarantine (t=y)", "quarantine", "reject", "unknown". */
SK_API const char *
sk_rollout_stage_str(enum sk_rollout_stage st);

/*
 * Advise the next rollout stage for `domain` from the stored reports:
 * the current stage from the latest policy_published, the evidence from
 * the window.  It advances only when the window has messages, every
 * claimed and legitimate source reaches min_pass and no profile-claimed
 * source has a single failing message.  Caller frees *out with
 * sk_report_rollout_free.  Errors: SK_EINVAL (no domain), SK_EIO,
 * SK_ENOMEM, or what sk_dmarc_build returns.
 */
SK_API sk_status SK_WARN_UNUSED
sk_store_rollout(struct sk_store *s, const char *domain,
		 const struct sk_rollout_params *params,
		 struct sk_report_rollout **out, struct sk_err *err);

/* Free an advice.  Accepts NULL. */
SK_API void
sk_report_rollout_free(struct sk_report_rollout *r);

#ifdef __cplusplus
}
#endif

#endif /* SENDERKIT_REPORT_H */
