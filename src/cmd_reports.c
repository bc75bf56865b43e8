/*
 * src/cmd_reports.c - `senderkit reports ingest|summary|sources|rollout|
 * export`: DMARC aggregate reports (RFC 7489 appendix C, RFC 9990) read
 * from files, archives, mail, mbox and Maildir into a SQLite store, the
 * questions asked of it, and the export.  A thin layer over
 * include/senderkit/report.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

enum {
	OPT_DB = CLI_OPT_FIRST_CMD,
	OPT_FORMAT,
	OPT_NO_PROGRESS,
	OPT_REDACT,
	OPT_OFFLINE,
	OPT_ENRICH_TIME,
};

/* Failures listed again at the end of an ingest (then "and N more"). */
#define FAILED_LIST_MAX 1000

struct ingest {
	struct sk_store_totals t;
	uint64_t docs;
	bool progress;
	time_t last;
	char **failed;
	size_t nfailed;
};

void
cmd_reports_usage(FILE *f)
{
	fputs("Usage: senderkit reports ingest PATH... [--db FILE] [--redact] "
	      "[--offline]\n"
	      "                 [--server IP[:PORT] | --zone FILE...] "
	      "[--timeout MS]\n"
	      "                 [--enrich-time SECONDS]\n"
	      "       senderkit reports summary [--domain D] [--since DATE] "
	      "[--until DATE]\n"
	      "                 [--profile P] [--json] [--db FILE]\n"
	      "       senderkit reports sources [--domain D] [--failing] "
	      "[--profile P] [--json]\n"
	      "       senderkit reports rollout --domain D [--window DAYS] "
	      "[--profile P]\n"
	      "                 [--min-pass PCT] [--rua URI]... [--json]\n"
	      "       senderkit reports failures [--domain D] [--since DATE] "
	      "[--until DATE]\n                 [--json]\n"
	      "       senderkit reports export --format csv|json "
	      "[--db FILE]\n"
	      "\ningest   read DMARC aggregate reports (XML, .gz, .zip, "
	      ".eml, mbox,\n         Maildir, folders searched recursively)"
	      " into the store\n"
	      "summary  volume, DMARC pass, SPF and DKIM aligned rates, by "
	      "day and source\n"
	      "sources  the sources (--failing: those failing DMARC, and "
	      "why)\n"
	      "rollout  the next stage: none, quarantine t=y, quarantine, "
	      "reject\n"
	      "failures the stored failure reports (ARF)\n"
	      "export   the stored records, one row per record, with its "
	      "count\n"
	      "\nOptions:\n"
	      "  --db FILE        the store (default "
	      "$XDG_DATA_HOME/senderkit/reports.db)\n"
	      "  --no-progress    no progress line on a terminal\n"
	      "  --redact         ingest: failure reports without local "
	      "parts and bodies\n"
	      "  --offline        ingest: no reverse DNS of the new source "
	      "IPs\n"
	      "  --server, --zone, --timeout  ingest: the resolver of the "
	      "reverse names\n"
	      "  --enrich-time S  ingest: time bound of the reverse names "
	      "[10]\n"
	      "  --since, --until DATE  reports beginning (failures: "
	      "arriving) on these\n                   UTC days (YYYY-MM-DD)\n"
	      "  --profile P      provider profile whose IP lists claim "
	      "sources\n"
	      "  --window DAYS    rollout evidence before the latest report"
	      " [14]\n"
	      "  --min-pass PCT   rollout: pass rate of legitimate sources "
	      "[98]\n"
	      "\nExit: 0 done, 1 some input failed (ingest) or the rollout "
	      "should hold,\n2 usage or store error.\n"
	      "See senderkit-reports(1).\n", f);
}

/* $XDG_DATA_HOME/senderkit/reports.db, creating the folders. */
static int
default_db(char *buf, size_t size)
{
	const char *x = getenv("XDG_DATA_HOME"), *home = getenv("HOME");
	char dir[4096];

	if (x != NULL && x[0] == '/')
		snprintf(dir, sizeof(dir), "%s", x);
	else if (home != NULL && home[0] != '\0')
		snprintf(dir, sizeof(dir), "%s/.local/share", home);
	else
		return -1;
	(void)mkdir(dir, 0700);
	if ((size_t)snprintf(buf, size, "%s/senderkit", dir) >= size)
		return -1;
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		return -1;
	if ((size_t)snprintf(buf, size, "%s/senderkit/reports.db", dir) >=
	    size)
		return -1;
	return 0;
}

static int
open_store(const char *db, struct sk_store **s)
{
	char path[4200];
	struct sk_err err;
	sk_status st;

	if (db == NULL) {
		if (default_db(path, sizeof(path)) != 0) {
			cli_error("no --db and no XDG_DATA_HOME or HOME");
			return CLI_EXIT_USAGE;
		}
		db = path;
	}
	sk_err_clear(&err);
	st = sk_store_open(db, s, &err);
	if (st != SK_OK) {
		cli_error("%s", err.msg[0] ? err.msg : sk_strerror(st));
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

static void
progress(struct ingest *in, bool last)
{
	time_t now;

	if (!in->progress)
		return;
	now = time(NULL);
	if (!last && now == in->last)
		return;
	in->last = now;
	fprintf(stderr, "\r%llu documents: %llu reports, %llu records, "
		"%llu duplicates, %llu failed%s",
		(unsigned long long)in->docs,
		(unsigned long long)in->t.reports,
		(unsigned long long)in->t.records,
		(unsigned long long)in->t.duplicates,
		(unsigned long long)in->t.failures, last ? "\n" : "");
}

static void
on_done(void *arg, const char *name, sk_status st, const struct sk_err *e,
	const struct sk_findings *w)
{
	struct ingest *in = arg;
	const char *msg = e != NULL && e->msg[0] ? e->msg : sk_strerror(st);
	size_t i;

	in->docs++;
	if (in->progress && (st != SK_OK || sk_findings_count(w) > 0))
		fputs("\r\033[K", stderr);
	for (i = 0; i < sk_findings_count(w); i++)
		cli_warn("%s: %s", name, sk_findings_get(w, i)->message);
	if (st == SK_ENOTSUP) {
		cli_warn("%s: %s", name, msg);
	} else if (st != SK_OK && st != SK_EEXIST) {
		cli_error("%s: %s", name, msg);
		if (in->nfailed < FAILED_LIST_MAX) {
			char *line = NULL;
			size_t n = strlen(name) + strlen(msg) + 3;

			line = malloc(n);
			if (line != NULL) {
				snprintf(line, n, "%s: %s", name, msg);
				in->failed[in->nfailed++] = line;
			}
		}
	}
	progress(in, false);
}

/* Reverse names after the reports are stored: bounded in time, and a
 * failure is only a warning (the ingest itself is done).  Takes res. */
static bool
enrich(struct sk_store *s, struct sk_resolver *res,
       const struct sk_enrich_params *ep, struct sk_enrich_totals *t)
{
	struct sk_err err;
	sk_status st;

	sk_err_clear(&err);
	st = sk_store_enrich(s, res, ep, t, &err);
	if (st != SK_OK) {
		cli_warn("reverse names: %s", err.msg[0] ? err.msg :
			 sk_strerror(st));
		return false;
	}
	return true;
}

static void
enrich_text(const struct sk_enrich_totals *t)
{
	printf("reverse names: %llu asked, %llu named, %llu without name, "
	       "%llu failed, %llu unanswered (%u ms)\n",
	       (unsigned long long)t->asked, (unsigned long long)t->named,
	       (unsigned long long)t->none, (unsigned long long)t->failed,
	       (unsigned long long)t->unanswered, t->elapsed_ms);
}

static int
reports_ingest(int argc, char **argv)
{
	static const char cmd[] = "reports ingest";
	static const struct option longopts[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"no-progress", no_argument, NULL, OPT_NO_PROGRESS},
		{"redact", no_argument, NULL, OPT_REDACT},
		{"offline", no_argument, NULL, OPT_OFFLINE},
		{"enrich-time", required_argument, NULL, OPT_ENRICH_TIME},
		CLI_DNS_LONGOPTS,
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	struct sk_resolver *res = NULL;
	struct sk_enrich_params ep;
	struct cli_dns dns;
	unsigned long secs;
	struct sk_enrich_totals et;
	bool offline = false, enriched = false;
	struct sk_report_reader rd;
	struct sk_store *s = NULL;
	struct ingest in;
	struct sk_err err;
	const char *db = NULL;
	bool no_progress = false, redact = false;
	int c_opt, rc, i;
	size_t k;

	memset(&dns, 0, sizeof(dns));
	memset(&ep, 0, sizeof(ep));
	cli_getopt_reset();
	for (;;) {
		c_opt = cli_getopt(cmd, argc, argv, "h", longopts);
		if (c_opt == -1)
			break;
		if (c_opt == -2)
			return CLI_EXIT_USAGE;
		if (cli_dns_option(cmd, &dns, c_opt, optarg, &rc)) {
			if (rc != 0)
				return rc;
			continue;
		}
		switch (c_opt) {
		case 'h':
			cmd_reports_usage(stdout);
			return CLI_EXIT_OK;
		case OPT_DB:
			db = optarg;
			break;
		case OPT_OFFLINE:
			offline = true;
			break;
		case OPT_ENRICH_TIME:
			if (!cli_parse_uint(optarg, 1, 3600, &secs))
				return cli_usage(cmd, "--enrich-time wants "
						 "seconds (1-3600)");
			ep.time_ms = (unsigned)secs * 1000;
			break;
		case OPT_NO_PROGRESS:
			no_progress = true;
			break;
		case OPT_REDACT:
			redact = true;
			break;
		default:
			return cli_usage(cmd, "unexpected option");
		}
	}
	if (optind >= argc)
		return cli_usage(cmd, "no PATH to read");
	if (offline && (dns.nzones > 0 || dns.server != NULL))
		return cli_usage(cmd, "--offline and --server/--zone cannot "
				 "be combined");
	/* The resolver is made first, so that a bad --server or --zone is a
	 * usage error before anything is read; a resolver that cannot be
	 * set up only skips the reverse names. */
	if (!offline) {
		rc = cli_resolver(&dns, &res);
		if (rc == CLI_EXIT_USAGE)
			return rc;
		if (rc != CLI_EXIT_OK)
			cli_warn("reverse names skipped");
	}
	rc = open_store(db, &s);
	if (rc != CLI_EXIT_OK) {
		sk_resolver_free(res);
		return rc;
	}
	memset(&in, 0, sizeof(in));
	in.progress = !no_progress && isatty(STDERR_FILENO);
	in.failed = calloc(FAILED_LIST_MAX, sizeof(*in.failed));
	if (in.failed == NULL) {
		sk_resolver_free(res);
		sk_store_close(s);
		cli_error("out of memory");
		return CLI_EXIT_USAGE;
	}
	sk_store_set_redact(s, redact);
	sk_store_reader(s, &rd, &in.t, on_done, &in);
	rc = CLI_EXIT_OK;
	for (i = optind; i < argc; i++) {
		sk_err_clear(&err);
		if (sk_report_read_path(argv[i], &rd, &err) != SK_OK) {
			cli_error("%s", err.msg);
			in.t.failures++;
			if (in.nfailed < FAILED_LIST_MAX)
				in.failed[in.nfailed++] = strdup(err.msg);
		}
	}
	progress(&in, true);
	enriched = res != NULL && enrich(s, res, &ep, &et);
	sk_store_close(s);
	printf("reports added: %llu\nrecords added: %llu\n"
	       "messages added: %llu\nfailure reports added: %llu\n"
	       "duplicates skipped: %llu\n"
	       "failure reports skipped: %llu\nfailed: %llu\n",
	       (unsigned long long)in.t.reports,
	       (unsigned long long)in.t.records,
	       (unsigned long long)in.t.messages,
	       (unsigned long long)in.t.failure_reports,
	       (unsigned long long)in.t.duplicates,
	       (unsigned long long)in.t.unsupported,
	       (unsigned long long)in.t.failures);
	if (enriched)
		enrich_text(&et);
	for (k = 0; k < in.nfailed; k++) {
		if (in.failed[k] != NULL)
			printf("  failed: %s\n", in.failed[k]);
		free(in.failed[k]);
	}
	if (in.t.failures > in.nfailed)
		printf("  ... and %llu more\n",
		       (unsigned long long)(in.t.failures - in.nfailed));
	free(in.failed);
	return in.t.failures > 0 ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
}

/* RFC 4180: quote a field when it holds a comma, quote or line break. */
static void
csv_field(const char *s, bool last)
{
	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") != NULL) {
		putchar('"');
		for (; *s != '\0'; s++) {
			if (*s == '"')
				putchar('"');
			putchar(*s);
		}
		putchar('"');
	} else {
		fputs(s, stdout);
	}
	fputs(last ? "\r\n" : ",", stdout);
}

static const char *const export_cols[] = {
	"org", "report_id", "policy_domain", "begin", "end", "source_ip",
	"count", "disposition", "dkim", "spf", "header_from",
	"envelope_from", "dkim_results", "spf_results",
};

static sk_status
export_row(void *arg, const struct sk_report_row *r)
{
	json_t *arr = arg, *o;
	char begin[24], end[24], count[24];

	if (arr == NULL) {
		snprintf(begin, sizeof(begin), "%lld", (long long)r->begin);
		snprintf(end, sizeof(end), "%lld", (long long)r->end);
		snprintf(count, sizeof(count), "%llu",
			 (unsigned long long)r->count);
		csv_field(r->org, false);
		csv_field(r->report_id, false);
		csv_field(r->policy_domain, false);
		csv_field(begin, false);
		csv_field(end, false);
		csv_field(r->source_ip, false);
		csv_field(count, false);
		csv_field(r->disposition, false);
		csv_field(r->dkim, false);
		csv_field(r->spf, false);
		csv_field(r->header_from, false);
		csv_field(r->envelope_from, false);
		csv_field(r->dkim_results, false);
		csv_field(r->spf_results, true);
		return SK_OK;
	}
	o = json_object();
	if (o == NULL)
		return SK_ENOMEM;
	cli_json_set_str(o, "org", r->org);
	cli_json_set_str(o, "report_id", r->report_id);
	cli_json_set_str(o, "policy_domain", r->policy_domain);
	json_object_set_new(o, "begin", json_integer(r->begin));
	json_object_set_new(o, "end", json_integer(r->end));
	cli_json_set_str(o, "source_ip", r->source_ip);
	json_object_set_new(o, "count", json_integer((json_int_t)r->count));
	cli_json_set_str(o, "disposition", r->disposition);
	cli_json_set_str(o, "dkim", r->dkim);
	cli_json_set_str(o, "spf", r->spf);
	cli_json_set_str(o, "header_from", r->header_from);
	cli_json_set_str(o, "envelope_from", r->envelope_from);
	cli_json_set_str(o, "dkim_results", r->dkim_results);
	cli_json_set_str(o, "spf_results", r->spf_results);
	return json_array_append_new(arr, o) == 0 ? SK_OK : SK_ENOMEM;
}

/* "YYYY-MM-DD" (UTC midnight); `end` adds a day (an inclusive --until). */
static bool
parse_date(const char *s, bool end, int64_t *out)
{
	unsigned long y, mo, d;
	struct tm tm;
	time_t t;

	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	if (!sk__parse_uint(s, 4, 9999, &y) ||
	    !sk__parse_uint(s + 5, 2, 12, &mo) ||
	    !sk__parse_uint(s + 8, 2, 31, &d) || y < 1970 || mo < 1 ||
	    d < 1)
		return false;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = (int)y - 1900;
	tm.tm_mon = (int)mo - 1;
	tm.tm_mday = (int)d;
	t = timegm(&tm);
	if (t == (time_t)-1 || tm.tm_mday != (int)d)
		return false;
	*out = (int64_t)t + (end ? SK_REPORT_DAY : 0);
	return true;
}

static void
fmt_day(int64_t t, char *buf, size_t size)
{
	time_t tt = (time_t)t;
	struct tm tm;

	if (gmtime_r(&tt, &tm) == NULL ||
	    strftime(buf, size, "%Y-%m-%d", &tm) == 0)
		snprintf(buf, size, "%lld", (long long)t);
}

/* Options shared by the query commands. */
struct qopts {
	const char *db, *profile;
	struct sk_report_filter f;
	bool json, failing;
	unsigned long window;
	double min_pass;
	const char *rua[16];
	size_t nrua;
};

enum {
	OPT_DOMAIN = OPT_ENRICH_TIME + 1,
	OPT_SINCE,
	OPT_UNTIL,
	OPT_PROFILE,
	OPT_FAILING,
	OPT_WINDOW,
	OPT_MIN_PASS,
	OPT_RUA,
};

/* Parse the options of `cmd`; returns -1 to go on, else an exit code. */
static int
query_opts(const char *cmd, int argc, char **argv, struct qopts *o)
{
	static const struct option longopts[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"domain", required_argument, NULL, OPT_DOMAIN},
		{"since", required_argument, NULL, OPT_SINCE},
		{"until", required_argument, NULL, OPT_UNTIL},
		{"profile", required_argument, NULL, OPT_PROFILE},
		{"failing", no_argument, NULL, OPT_FAILING},
		{"window", required_argument, NULL, OPT_WINDOW},
		{"min-pass", required_argument, NULL, OPT_MIN_PASS},
		{"rua", required_argument, NULL, OPT_RUA},
		{"json", no_argument, NULL, CLI_OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	unsigned long v;
	int c_opt;

	memset(o, 0, sizeof(*o));
	cli_getopt_reset();
	for (;;) {
		c_opt = cli_getopt(cmd, argc, argv, "h", longopts);
		if (c_opt == -1)
			break;
		if (c_opt == -2)
			return CLI_EXIT_USAGE;
		switch (c_opt) {
		case 'h':
			cmd_reports_usage(stdout);
			return CLI_EXIT_OK;
		case OPT_DB:
			o->db = optarg;
			break;
		case OPT_DOMAIN:
			o->f.domain = optarg;
			break;
		case OPT_SINCE:
			if (!parse_date(optarg, false, &o->f.since))
				return cli_usage(cmd, "--since wants a date "
						 "YYYY-MM-DD");
			break;
		case OPT_UNTIL:
			if (!parse_date(optarg, true, &o->f.until))
				return cli_usage(cmd, "--until wants a date "
						 "YYYY-MM-DD");
			break;
		case OPT_PROFILE:
			o->profile = optarg;
			break;
		case OPT_FAILING:
			o->failing = true;
			break;
		case OPT_WINDOW:
			if (!cli_parse_uint(optarg, 1, 3660, &o->window))
				return cli_usage(cmd, "--window wants days "
						 "(1-3660)");
			break;
		case OPT_MIN_PASS:
			if (!cli_parse_uint(optarg, 1, 100, &v))
				return cli_usage(cmd, "--min-pass wants a "
						 "percentage (1-100)");
			o->min_pass = (double)v / 100;
			break;
		case OPT_RUA:
			if (o->nrua == sizeof(o->rua) / sizeof(o->rua[0]))
				return cli_usage(cmd, "too many --rua");
			o->rua[o->nrua++] = optarg;
			break;
		case CLI_OPT_JSON:
			o->json = true;
			break;
		default:
			return cli_usage(cmd, "unexpected option");
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind]);
	return -1;
}

static int
load_profile(const char *name, struct sk_profile **out)
{
	struct sk_err err;
	char *path = NULL;
	sk_status st;

	*out = NULL;
	if (name == NULL)
		return CLI_EXIT_OK;
	sk_err_clear(&err);
	st = sk_profile_find(name, NULL, &path, &err);
	if (st == SK_OK)
		st = sk_profile_load(path, out, &err);
	free(path);
	if (st != SK_OK) {
		cli_error("profile %s: %s", name,
			  err.msg[0] ? err.msg : sk_strerror(st));
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

static double
pct(uint64_t part, uint64_t whole)
{
	return whole ? 100.0 * (double)part / (double)whole : 0;
}

static json_t *
tally_json(const struct sk_report_tally *t)
{
	json_t *o = json_object(), *f = json_object();

	json_object_set_new(o, "records", json_integer((json_int_t)t->records));
	json_object_set_new(o, "messages",
			    json_integer((json_int_t)t->messages));
	json_object_set_new(o, "dmarc_pass",
			    json_integer((json_int_t)t->dmarc_pass));
	json_object_set_new(o, "spf_aligned",
			    json_integer((json_int_t)t->spf_aligned));
	json_object_set_new(o, "dkim_aligned",
			    json_integer((json_int_t)t->dkim_aligned));
	json_object_set_new(o, "dmarc_pass_rate",
			    json_real(pct(t->dmarc_pass, t->messages)));
	json_object_set_new(o, "spf_aligned_rate",
			    json_real(pct(t->spf_aligned, t->messages)));
	json_object_set_new(o, "dkim_aligned_rate",
			    json_real(pct(t->dkim_aligned, t->messages)));
	json_object_set_new(o, "failing",
			    json_integer((json_int_t)(t->messages -
						      t->dmarc_pass)));
	json_object_set_new(f, "spf_not_aligned",
			    json_integer((json_int_t)t->fail_spf_unaligned));
	json_object_set_new(f, "spf_failing",
			    json_integer((json_int_t)t->fail_spf_failing));
	json_object_set_new(f, "dkim_missing",
			    json_integer((json_int_t)t->fail_dkim_missing));
	json_object_set_new(f, "dkim_not_aligned",
			    json_integer((json_int_t)t->fail_dkim_unaligned));
	json_object_set_new(f, "dkim_failing",
			    json_integer((json_int_t)t->fail_dkim_failing));
	json_object_set_new(o, "reasons", f);
	return o;
}

static json_t *
source_json(const struct sk_report_source *src)
{
	json_t *o = tally_json(&src->t);

	cli_json_set_str(o, "ip", src->ip);
	cli_json_set_str(o, "orgs", src->orgs);
	cli_json_set_str(o, "ptr", src->ptr);
	cli_json_set_str(o, "claim", src->claim);
	return o;
}

static json_t *
policy_json(const struct sk_report_summary *sum)
{
	const struct sk_report_meta *m = &sum->policy;
	json_t *o;

	if (!sum->has_policy)
		return json_null();
	o = json_object();
	cli_json_set_str(o, "domain", m->domain);
	cli_json_set_str(o, "p", m->p);
	cli_json_set_str(o, "sp", m->sp[0] ? m->sp : NULL);
	cli_json_set_str(o, "np", m->np[0] ? m->np : NULL);
	cli_json_set_str(o, "adkim", m->adkim[0] ? m->adkim : NULL);
	cli_json_set_str(o, "aspf", m->aspf[0] ? m->aspf : NULL);
	cli_json_set_str(o, "testing", m->testing[0] ? m->testing : NULL);
	json_object_set_new(o, "pct", m->pct < 0 ? json_null() :
			    json_integer(m->pct));
	cli_json_set_str(o, "org", m->org_name);
	cli_json_set_str(o, "report_id", m->report_id);
	json_object_set_new(o, "end", json_integer(m->end));
	return o;
}

/* "p=none; sp=...; adkim=r; ..." of a published policy. */
static void
policy_text(const struct sk_report_meta *m, char *buf, size_t size)
{
	char pc[32] = "";

	if (m->pct >= 0)
		snprintf(pc, sizeof(pc), "; pct=%d", m->pct);
	snprintf(buf, size, "p=%s%s%s%s%s; adkim=%s; aspf=%s%s%s%s",
		 m->p[0] ? m->p : "?", m->sp[0] ? "; sp=" : "", m->sp,
		 m->np[0] ? "; np=" : "", m->np, m->adkim[0] ? m->adkim : "r",
		 m->aspf[0] ? m->aspf : "r", m->testing[0] ? "; t=" : "",
		 m->testing, pc);
}

static void
tally_text(const struct sk_report_tally *t)
{
	printf("messages %llu  DMARC pass %.1f%%  SPF aligned %.1f%%  "
	       "DKIM aligned %.1f%%", (unsigned long long)t->messages,
	       pct(t->dmarc_pass, t->messages),
	       pct(t->spf_aligned, t->messages),
	       pct(t->dkim_aligned, t->messages));
}

/* The failing messages' reasons: "SPF not aligned 40, DKIM missing 40". */
static void
reasons_text(const struct sk_report_tally *t)
{
	const struct {
		const char *what;
		uint64_t n;
	} r[] = {
		{"SPF not aligned", t->fail_spf_unaligned},
		{"SPF failing", t->fail_spf_failing},
		{"DKIM missing", t->fail_dkim_missing},
		{"DKIM not aligned", t->fail_dkim_unaligned},
		{"DKIM failing", t->fail_dkim_failing},
	};
	const char *sep = "";
	size_t i;

	for (i = 0; i < sizeof(r) / sizeof(r[0]); i++) {
		if (r[i].n == 0)
			continue;
		printf("%s%s %llu", sep, r[i].what,
		       (unsigned long long)r[i].n);
		sep = ", ";
	}
}

static void
source_text(const struct sk_report_source *src, bool failing)
{
	const struct sk_report_tally *t = &src->t;

	printf("  %s", src->ip);
	if (src->ptr != NULL)
		printf(" (%s)", src->ptr);
	putchar('\n');
	if (failing) {
		printf("    failing %llu of %llu messages: ",
		       (unsigned long long)(t->messages - t->dmarc_pass),
		       (unsigned long long)t->messages);
		reasons_text(t);
		putchar('\n');
	} else {
		fputs("    ", stdout);
		tally_text(t);
		putchar('\n');
	}
	printf("    reported by %s\n", src->orgs);
	if (src->claim != NULL)
		printf("    claimed by profile: %s\n", src->claim);
}

static int
open_query(const struct qopts *o, struct sk_store **s, struct sk_profile **p)
{
	int rc = load_profile(o->profile, p);

	if (rc != CLI_EXIT_OK)
		return rc;
	rc = open_store(o->db, s);
	if (rc != CLI_EXIT_OK) {
		sk_profile_free(*p);
		*p = NULL;
	}
	return rc;
}

static int
query_summary(const char *cmd, struct qopts *o, bool sources_only)
{
	struct sk_report_summary *sum = NULL;
	struct sk_profile *prof = NULL;
	struct sk_store *s = NULL;
	struct sk_err err;
	char d1[32], d2[32], pol[256];
	sk_status st;
	size_t i;
	int rc;

	rc = open_query(o, &s, &prof);
	if (rc != CLI_EXIT_OK)
		return rc;
	sk_err_clear(&err);
	st = sk_store_summary(s, &o->f, prof, &sum, &err);
	sk_store_close(s);
	sk_profile_free(prof);
	if (st != SK_OK) {
		cli_error("%s: %s", cmd, err.msg[0] ? err.msg :
			  sk_strerror(st));
		return CLI_EXIT_USAGE;
	}
	if (o->json) {
		json_t *root = json_object(), *days = json_array(),
		       *srcs = json_array();

		cli_json_set_str(root, "schema", sources_only ?
				 "senderkit-reports-sources/1" :
				 "senderkit-reports-summary/1");

		for (i = 0; i < sum->ndays && !sources_only; i++) {
			json_t *d = tally_json(&sum->days[i].t);

			fmt_day(sum->days[i].day, d1, sizeof(d1));
			cli_json_set_str(d, "day", d1);
			json_array_append_new(days, d);
		}
		for (i = 0; i < sum->nsources; i++) {
			const struct sk_report_source *src = &sum->sources[i];

			if (o->failing && src->t.dmarc_pass ==
			    src->t.messages)
				continue;
			json_array_append_new(srcs, source_json(src));
		}
		cli_json_set_str(root, "domain", o->f.domain);
		json_object_set_new(root, "reports",
				    json_integer((json_int_t)sum->reports));
		json_object_set_new(root, "first", json_integer(sum->first));
		json_object_set_new(root, "last", json_integer(sum->last));
		json_object_set_new(root, "total", tally_json(&sum->total));
		if (!sources_only) {
			json_object_set_new(root, "policy", policy_json(sum));
			json_object_set_new(root, "days", days);
		} else {
			json_decref(days);
		}
		json_object_set_new(root, "sources", srcs);
		sk_report_summary_free(sum);
		cli_json_print(root, false);
		return CLI_EXIT_OK;
	}
	fmt_day(sum->first, d1, sizeof(d1));
	fmt_day(sum->last, d2, sizeof(d2));
	printf("%s: %llu reports", o->f.domain ? o->f.domain :
	       "all domains", (unsigned long long)sum->reports);
	if (sum->reports > 0)
		printf(", %s to %s", d1, d2);
	printf("\n");
	tally_text(&sum->total);
	putchar('\n');
	if (sum->total.messages > sum->total.dmarc_pass) {
		printf("failing %llu: ", (unsigned long long)
		       (sum->total.messages - sum->total.dmarc_pass));
		reasons_text(&sum->total);
		putchar('\n');
	}
	if (sum->has_policy && !sources_only) {
		policy_text(&sum->policy, pol, sizeof(pol));
		printf("policy published (latest report): %s\n", pol);
	}
	if (!sources_only && sum->ndays > 0) {
		printf("\nby day:\n");
		for (i = 0; i < sum->ndays; i++) {
			fmt_day(sum->days[i].day, d1, sizeof(d1));
			printf("  %s  ", d1);
			tally_text(&sum->days[i].t);
			putchar('\n');
		}
	}
	printf("\n%s:\n", o->failing ? "failing sources" : "by source");
	for (i = 0; i < sum->nsources; i++) {
		const struct sk_report_source *src = &sum->sources[i];

		if (o->failing && src->t.dmarc_pass == src->t.messages)
			continue;
		source_text(src, o->failing);
	}
	sk_report_summary_free(sum);
	return CLI_EXIT_OK;
}

static int
reports_summary(int argc, char **argv)
{
	struct qopts o;
	int rc = query_opts("reports summary", argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (o.failing || o.window || o.nrua || o.min_pass > 0)
		return cli_usage("reports summary", "--failing, --window, "
				 "--min-pass and --rua do not apply here");
	return query_summary("reports summary", &o, false);
}

static int
reports_sources(int argc, char **argv)
{
	struct qopts o;
	int rc = query_opts("reports sources", argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (o.window || o.nrua || o.min_pass > 0)
		return cli_usage("reports sources", "--window, --min-pass "
				 "and --rua do not apply here");
	return query_summary("reports sources", &o, true);
}

static const char *const kind_names[] = {
	"claimed", "legitimate", "unknown",
};

static int
reports_rollout(int argc, char **argv)
{
	static const char cmd[] = "reports rollout";
	struct sk_report_rollout *ro = NULL;
	struct sk_rollout_params pa;
	struct sk_profile *prof = NULL;
	struct sk_store *s = NULL;
	const struct sk_report_summary *ev;
	struct qopts o;
	struct sk_err err;
	char d1[32], d2[32], pol[256];
	sk_status st;
	size_t i;
	int rc = query_opts(cmd, argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (o.f.domain == NULL)
		return cli_usage(cmd, "--domain is required");
	if (o.failing || o.f.since || o.f.until)
		return cli_usage(cmd, "--failing, --since and --until do not "
				 "apply here (see --window)");
	rc = open_query(&o, &s, &prof);
	if (rc != CLI_EXIT_OK)
		return rc;
	memset(&pa, 0, sizeof(pa));
	pa.window_days = (unsigned)o.window;
	pa.min_pass = o.min_pass;
	pa.profile = prof;
	pa.rua = o.rua;
	pa.nrua = o.nrua;
	sk_err_clear(&err);
	st = sk_store_rollout(s, o.f.domain, &pa, &ro, &err);
	sk_store_close(s);
	if (st != SK_OK) {
		sk_profile_free(prof);
		cli_error("%s: %s", cmd, err.msg[0] ? err.msg :
			  sk_strerror(st));
		return CLI_EXIT_USAGE;
	}
	ev = ro->evidence;
	if (o.json) {
		json_t *root = json_object(), *srcs = json_array();

		cli_json_set_str(root, "schema", "senderkit-reports-rollout/1");
		cli_json_set_str(root, "domain", o.f.domain);
		cli_json_set_str(root, "current",
				 sk_rollout_stage_str(ro->current));
		cli_json_set_str(root, "next", sk_rollout_stage_str(ro->next));
		json_object_set_new(root, "advance",
				    json_boolean(ro->advance));
		json_object_set_new(root, "claimed_failing",
				    json_boolean(ro->claimed_failing));
		cli_json_set_str(root, "why", ro->why);
		cli_json_set_str(root, "record", ro->record);
		json_object_set_new(root, "since", json_integer(ro->since));
		json_object_set_new(root, "until", json_integer(ro->until));
		json_object_set_new(root, "policy", policy_json(ev));
		json_object_set_new(root, "total", tally_json(&ev->total));
		json_object_set_new(root, "unknown_sources",
				    json_integer((json_int_t)ro->nunknown));
		json_object_set_new(root, "unknown_messages",
			json_integer((json_int_t)ro->unknown_messages));
		for (i = 0; i < ev->nsources; i++) {
			json_t *j = source_json(&ev->sources[i]);

			cli_json_set_str(j, "kind", kind_names[ro->kinds[i]]);
			json_array_append_new(srcs, j);
		}
		json_object_set_new(root, "sources", srcs);
		cli_json_set_str(root, "pct_note", ro->pct_note);
		cli_json_print(root, false);
	} else {
		printf("domain: %s\n", o.f.domain);
		if (ev->has_policy) {
			policy_text(&ev->policy, pol, sizeof(pol));
			printf("current stage: %s (%s)\n",
			       sk_rollout_stage_str(ro->current), pol);
			fmt_day(ro->since, d1, sizeof(d1));
			fmt_day(ro->until, d2, sizeof(d2));
			printf("window: %s to %s, %llu reports, ", d1, d2,
			       (unsigned long long)ev->reports);
			tally_text(&ev->total);
			putchar('\n');
		} else {
			printf("current stage: unknown (no report)\n");
		}
		if (ro->advance)
			printf("advice: move to %s\n",
			       sk_rollout_stage_str(ro->next));
		else
			printf("advice: stay at %s\n",
			       sk_rollout_stage_str(ro->current));
		printf("why: %s\n", ro->why);
		printf("record to publish at _dmarc.%s:\n  %s\n", o.f.domain,
		       ro->record);
		if (o.nrua == 0)
			printf("  (add --rua to include the report "
			       "address(es) you publish now)\n");
		if (ev->nsources > 0)
			printf("\nevidence:\n");
		for (i = 0; i < ev->nsources; i++) {
			const struct sk_report_source *src = &ev->sources[i];

			printf("  %-10s %s  DMARC pass %.1f%% of %llu",
			       kind_names[ro->kinds[i]], src->ip,
			       pct(src->t.dmarc_pass, src->t.messages),
			       (unsigned long long)src->t.messages);
			if (src->claim != NULL)
				printf("  [%s]", src->claim);
			if (src->t.dmarc_pass < src->t.messages) {
				fputs("  (", stdout);
				reasons_text(&src->t);
				putchar(')');
			}
			putchar('\n');
		}
		if (ro->nunknown > 0)
			printf("unknown sources: %zu, %llu messages "
			       "(authorize those that are yours)\n",
			       ro->nunknown,
			       (unsigned long long)ro->unknown_messages);
		if (ro->next == SK_ROLLOUT_QUARANTINE_TEST ||
		    ro->current == SK_ROLLOUT_QUARANTINE_TEST)
			printf("note: %s\n", ro->pct_note);
	}
	rc = ro->advance || ro->current == SK_ROLLOUT_REJECT ?
	     CLI_EXIT_OK : CLI_EXIT_FINDINGS;
	sk_report_rollout_free(ro);
	sk_profile_free(prof);
	return rc;
}

/* {"schema": SCHEMA, KEY: ARR}: every JSON output names its schema
 * (docs/man/senderkit-reports.1.md).  Takes ARR. */
static json_t *
envelope(const char *schema, const char *key, json_t *arr)
{
	json_t *o = json_object();

	cli_json_set_str(o, "schema", schema);
	json_object_set_new(o, key, arr);
	return o;
}

static sk_status
failure_row(void *arg, const struct sk_failure_report *f)
{
	json_t *arr = arg, *o;

	if (arr == NULL) {
		printf("%s %s from %s (%s)\n", f->arrival_date[0] ?
		       f->arrival_date : "-", f->feedback_type,
		       f->source_ip[0] ? f->source_ip : "?",
		       f->auth_failure[0] ? f->auth_failure : "-");
		printf("    domain %s  From %s  MAIL FROM %s%s\n",
		       f->reported_domain, f->header_from,
		       f->original_mail_from, f->redacted ?
		       "  (redacted)" : "");
		if (f->authentication_results[0] != '\0')
			printf("    %s\n", f->authentication_results);
		return SK_OK;
	}
	o = json_object();
	if (o == NULL)
		return SK_ENOMEM;
#define S(k, v) cli_json_set_str(o, k, (v)[0] ? (v) : NULL)
	S("feedback_type", f->feedback_type);
	S("auth_failure", f->auth_failure);
	S("reported_domain", f->reported_domain);
	S("source_ip", f->source_ip);
	S("arrival_date", f->arrival_date);
	json_object_set_new(o, "arrival", f->arrival != 0 ?
			    json_integer(f->arrival) : json_null());
	S("original_mail_from", f->original_mail_from);
	S("original_rcpt_to", f->original_rcpt_to);
	S("authentication_results", f->authentication_results);
	S("dkim_domain", f->dkim_domain);
	S("dkim_selector", f->dkim_selector);
	S("delivery_result", f->delivery_result);
	S("identity_alignment", f->identity_alignment);
	S("reporting_mta", f->reporting_mta);
	S("user_agent", f->user_agent);
	S("header_from", f->header_from);
	S("subject", f->subject);
	S("message_id", f->message_id);
#undef S
	cli_json_set_str(o, "headers", f->headers);
	cli_json_set_str(o, "body", f->body);
	json_object_set_new(o, "redacted", json_boolean(f->redacted));
	return json_array_append_new(arr, o) == 0 ? SK_OK : SK_ENOMEM;
}

static int
reports_failures(int argc, char **argv)
{
	static const char cmd[] = "reports failures";
	struct sk_store *s = NULL;
	json_t *arr = NULL;
	struct sk_err err;
	struct qopts o;
	sk_status st;
	int rc = query_opts(cmd, argc, argv, &o);

	if (rc >= 0)
		return rc;
	if (o.failing || o.window || o.nrua || o.min_pass > 0 || o.profile)
		return cli_usage(cmd, "only --domain, --since, --until, "
				 "--json and --db apply here");
	rc = open_store(o.db, &s);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (o.json)
		arr = json_array();
	sk_err_clear(&err);
	st = sk_store_failures(s, &o.f, failure_row, arr, &err);
	sk_store_close(s);
	if (st != SK_OK) {
		cli_error("store: %s", err.msg[0] ? err.msg :
			  sk_strerror(st));
		json_decref(arr);
		return CLI_EXIT_USAGE;
	}
	if (arr != NULL)
		cli_json_print(envelope("senderkit-reports-failures/1",
					"failures", arr), false);
	return CLI_EXIT_OK;
}

static int
reports_export(int argc, char **argv)
{
	static const char cmd[] = "reports export";
	static const struct option longopts[] = {
		{"db", required_argument, NULL, OPT_DB},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const size_t ncols = sizeof(export_cols) / sizeof(export_cols[0]);
	struct sk_store *s = NULL;
	const char *db = NULL, *format = NULL;
	json_t *arr = NULL;
	struct sk_err err;
	sk_status st;
	int c_opt, rc;
	size_t i;

	cli_getopt_reset();
	for (;;) {
		c_opt = cli_getopt(cmd, argc, argv, "h", longopts);
		if (c_opt == -1)
			break;
		if (c_opt == -2)
			return CLI_EXIT_USAGE;
		switch (c_opt) {
		case 'h':
			cmd_reports_usage(stdout);
			return CLI_EXIT_OK;
		case OPT_DB:
			db = optarg;
			break;
		case OPT_FORMAT:
			format = optarg;
			break;
		default:
			return cli_usage(cmd, "unexpected option");
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind]);
	if (format == NULL ||
	    (strcmp(format, "csv") != 0 && strcmp(format, "json") != 0))
		return cli_usage(cmd, "--format wants csv or json");
	rc = open_store(db, &s);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (format[0] == 'c')
		for (i = 0; i < ncols; i++)
			csv_field(export_cols[i], i + 1 == ncols);
	else
		arr = json_array();
	sk_err_clear(&err);
	st = sk_store_export(s, NULL, export_row, arr, &err);
	sk_store_close(s);
	if (st != SK_OK) {
		cli_error("store: %s", err.msg[0] ? err.msg :
			  sk_strerror(st));
		json_decref(arr);
		return CLI_EXIT_USAGE;
	}
	if (arr != NULL)
		cli_json_print(envelope("senderkit-reports-export/1",
					"records", arr), false);
	return CLI_EXIT_OK;
}

int
cmd_reports(int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
		{"ingest", reports_ingest},
		{"export", reports_export},
		{"summary", reports_summary},
		{"sources", reports_sources},
		{"rollout", reports_rollout},
		{"failures", reports_failures},
	};

	return cli_dispatch("reports", argc, argv, subs,
			    sizeof(subs) / sizeof(subs[0]), cmd_reports_usage);
}
