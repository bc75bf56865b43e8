/*
 * src/cmd_spf.c - `senderkit spf check|lint|merge`: a thin layer over the
 * SPF engine of libsenderkit (RFC 7208).
 *
 *   check   check_host() (section 4) for one request or a batch file,
 *           the batch evaluated concurrently on one resolver and printed
 *           in input order; the Received-SPF field (section 9.1);
 *   lint    findings and the tree of DNS-querying terms (section 4.6.4);
 *   merge   add an include before "all" / "redirect=".
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

enum {
	OPT_IP = CLI_OPT_FIRST_CMD,
	OPT_MAIL_FROM,
	OPT_HELO,
	OPT_RECEIVER,
	OPT_IDENTITY,
	OPT_RECEIVED_SPF,
	OPT_BATCH,
	OPT_CONCURRENCY,
	OPT_RECORD,
	OPT_DOMAIN,
	OPT_INCLUDE,
	OPT_NO_DNS,
};

#define BATCH_DEFAULT_CONCURRENCY 500
#define BATCH_MAX_CONCURRENCY 100000
/* Input lines of a batch are short; anything longer is malformed. */
#define BATCH_MAX_LINE 4096

static const char dns_opts_help[] =
	"  --zone FILE         answer DNS from a zone file (repeatable)\n"
	"  --server IP[:PORT]  ask this DNS server (live backend)\n"
	"  --timeout MS        per-try DNS timeout (live backend)\n";

static void
check_usage(FILE *f)
{
	fputs("Usage: senderkit spf check --ip IP --mail-from ADDR "
	      "[options]\n"
	      "       senderkit spf check --batch FILE [options]\n"
	      "\nEvaluate check_host() (RFC 7208).  Text output: the result\n"
	      "word alone on the first line, then details.\n"
	      "\nOptions:\n"
	      "  --ip IP             client address (IPv4 or IPv6)\n"
	      "  --mail-from ADDR    MAIL FROM address ('' or <> for the "
	      "null sender)\n"
	      "  --helo NAME         HELO/EHLO name\n"
	      "  --receiver NAME     our host name (%{r}, Received-SPF)\n"
	      "  --identity ID       mailfrom (default) or helo\n"
	      "  --received-spf      also print the Received-SPF header\n"
	      "  --batch FILE        one 'IP MAIL-FROM [HELO]' per line "
	      "('-' = stdin);\n"
	      "                      prints one JSON object per line, in "
	      "input order\n"
	      "  --concurrency N     evaluations in flight in a batch "
	      "(default 500)\n"
	      "  --json              one JSON object (see docs/json.md)\n",
	      f);
	fputs(dns_opts_help, f);
	fputs("  -h, --help          this help\n"
	      "\nExit codes: 0 a result was reached, 2 bad input (a batch "
	      "with a\nmalformed line), 3 temperror (DNS failed).\n", f);
}

static void
lint_usage(FILE *f)
{
	fputs("Usage: senderkit spf lint DOMAIN [options]\n"
	      "       senderkit spf lint --record 'v=spf1 ...' "
	      "[--domain D] [options]\n"
	      "\nReport problems of a published or proposed SPF record and\n"
	      "the tree of DNS-querying terms with their cost.\n"
	      "\nOptions:\n"
	      "  --record TEXT       lint this text instead of DNS data\n"
	      "  --domain D          where --record would be published\n"
	      "  --no-dns            with --record: skip the DNS checks\n"
	      "  --json              one JSON object (see docs/json.md)\n",
	      f);
	fputs(dns_opts_help, f);
	fputs("  -h, --help          this help\n"
	      "\nExit codes: 0 no error finding, 1 error findings, 2 usage "
	      "error,\n3 DNS failed before anything could be read.\n", f);
}

static void
merge_usage(FILE *f)
{
	fputs("Usage: senderkit spf merge --record 'v=spf1 ...' --include D "
	      "[options]\n"
	      "       senderkit spf merge DOMAIN --include D [options]\n"
	      "\nAdd include:D before the final 'all' or 'redirect=' and "
	      "count the\nlookups before and after; refuse when the result "
	      "would need more\nthan 10 DNS-querying terms.\n"
	      "\nOptions:\n"
	      "  --include D         the domain to include (required)\n"
	      "  --record TEXT       the current record (else read from "
	      "DNS)\n"
	      "  --no-dns            with --record: count only the record's "
	      "own terms\n"
	      "  --json              one JSON object (see docs/json.md)\n",
	      f);
	fputs(dns_opts_help, f);
	fputs("  -h, --help          this help\n"
	      "\nExit codes: 0 merged or unchanged, 1 refused or no record, "
	      "2 usage\nerror, 3 DNS failed.\n", f);
}

void
cmd_spf_usage(FILE *f)
{
	fputs("Usage: senderkit spf <subcommand> [options]\n"
	      "\nSubcommands:\n"
	      "  check   evaluate check_host() for an IP and sender "
	      "(or a batch)\n"
	      "  lint    findings about an SPF record, with the lookup "
	      "tree\n"
	      "  merge   add an include to a record within the lookup "
	      "limit\n"
	      "\n'senderkit spf <subcommand> --help' for each one's "
	      "options.\n", f);
}

/* ------------------------------------------------------------ check */

/* The JSON object of an outcome; `line` > 0 puts "line" first (batch),
 * `received` adds the Received-SPF field text. */
static json_t *
outcome_json(const struct sk_spf_outcome *o, unsigned long line,
	     bool received)
{
	json_t *j = json_object();
	char *hdr = NULL;

	if (line > 0)
		json_object_set_new(j, "line", json_integer((json_int_t)line));

	cli_json_set_str(j, "result", sk_spf_result_str(o->result));
	cli_json_set_str(j, "mechanism", o->mechanism);
	cli_json_set_str(j, "mechanism_domain", o->mechanism_domain);
	cli_json_set_str(j, "match_path", o->match_path);
	cli_json_set_str(j, "explanation", o->explanation);
	cli_json_set_str(j, "problem", o->problem);
	json_object_set_new(j, "lookups", json_integer(o->lookups));
	json_object_set_new(j, "void_lookups",
			    json_integer(o->void_lookups));
	json_object_set_new(j, "dns_queries", json_integer(o->dns_queries));
	cli_json_set_str(j, "identity", o->identity == SK_SPF_ID_HELO ?
			 "helo" : "mailfrom");
	cli_json_set_str(j, "domain", o->domain);
	cli_json_set_str(j, "ip", o->ip);
	if (received) {
		if (sk_spf_received_header(o, false, &hdr, NULL) != SK_OK)
			hdr = NULL;
		cli_json_set_str(j, "received_spf", hdr);
		free(hdr);
	}
	return j;
}

static void
outcome_text(const struct sk_spf_outcome *o, bool received)
{
	char *hdr = NULL;

	printf("%s\n", sk_spf_result_str(o->result));
	if (o->mechanism != NULL) {
		if (o->mechanism_domain != NULL && o->domain != NULL &&
		    strcmp(o->mechanism_domain, o->domain) != 0)
			printf("mechanism: %s (record of %s)\n", o->mechanism,
			       o->mechanism_domain);
		else
			printf("mechanism: %s\n", o->mechanism);
	}
	/* Through an include or a redirect: show the whole way. */
	if (o->match_path != NULL && strchr(o->match_path, '>') != NULL)
		printf("path: %s\n", o->match_path);
	if (o->domain != NULL)
		printf("domain: %s\n", o->domain);
	if (o->explanation != NULL)
		printf("explanation: %s\n", o->explanation);
	if (o->problem != NULL)
		printf("problem: %s\n", o->problem);
	printf("lookups: %u (void: %u)\n", o->lookups, o->void_lookups);
	if (received) {
		if (sk_spf_received_header(o, false, &hdr, NULL) == SK_OK &&
		    hdr != NULL)
			printf("%s\n", hdr);
		free(hdr);
	}
}

/* "<>", "" and '""' all name the null sender; "<a@b>" loses brackets. */
static const char *
normalise_sender(char *s)
{
	size_t n = strlen(s);

	if (n == 0 || strcmp(s, "<>") == 0 || strcmp(s, "\"\"") == 0)
		return "";
	if (n >= 2 && s[0] == '<' && s[n - 1] == '>') {
		s[n - 1] = '\0';
		return s + 1;
	}
	return s;
}

struct batch;

struct batch_slot {
	char *json;  /* serialised output line, NULL while pending */
	bool used;
};

struct batch_job {
	struct batch *b;
	uint64_t seq;
	unsigned long line;
};

struct batch {
	struct batch_slot *ring;
	size_t ringsz;
	uint64_t next_seq;   /* sequence number of the next output line */
	uint64_t next_print; /* first sequence number not yet printed */
	size_t inflight;
	uint64_t done;
	bool received; /* add received_spf to each line */
	bool bad;
	bool oom;
};

/* Store the output line of sequence number seq (j has "line" first). */
static void
batch_put(struct batch *b, uint64_t seq, json_t *j)
{
	struct batch_slot *s = &b->ring[seq % b->ringsz];

	s->json = j != NULL ? json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII)
			    : NULL;
	json_decref(j);
	if (s->json == NULL)
		b->oom = true;
	s->used = true;
	b->done++;
}

static void
batch_flush(struct batch *b)
{
	struct batch_slot *s;

	while (b->next_print < b->next_seq) {
		s = &b->ring[b->next_print % b->ringsz];
		if (!s->used)
			break;
		if (s->json != NULL) {
			fputs(s->json, stdout);
			fputc('\n', stdout);
		}
		free(s->json);
		s->json = NULL;
		s->used = false;
		b->next_print++;
	}
}

static void
batch_error(struct batch *b, unsigned long line, const char *msg)
{
	json_t *j = json_object();

	json_object_set_new(j, "line", json_integer((json_int_t)line));
	cli_json_set_str(j, "error", msg);
	b->bad = true;
	batch_put(b, b->next_seq++, j);
}

static void
batch_done(void *arg, sk_status st, struct sk_spf_outcome *o)
{
	struct batch_job *job = arg;
	struct batch *b = job->b;
	json_t *j;

	b->inflight--;
	if (st != SK_OK || o == NULL) {
		j = json_object();
		json_object_set_new(j, "line",
				    json_integer((json_int_t)job->line));
		cli_json_set_str(j, "error", sk_strerror(st));
		b->oom = b->oom || st == SK_ENOMEM;
	} else {
		j = outcome_json(o, job->line, b->received);
	}
	batch_put(b, job->seq, j);
	sk_spf_outcome_free(o);
	free(job);
}

/* Parse and start one input line; malformed lines give an error entry. */
static void
batch_line(struct batch *b, struct sk_resolver *r,
	   const struct sk_spf_request *tmpl, const struct sk_spf_opts *opts,
	   char *p, unsigned long line)
{
	char *tok[4];
	size_t ntok = 0;
	struct sk_spf_request req;
	struct batch_job *job;
	struct sk_err err;

	while (*p != '\0') {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		if (ntok == 4)
			break;
		tok[ntok++] = p;
		while (*p != '\0' && *p != ' ' && *p != '\t')
			p++;
		if (*p != '\0')
			*p++ = '\0';
	}
	if (ntok == 0 || tok[0][0] == '#')
		return; /* blank or comment */
	if (ntok < 2) {
		batch_error(b, line, "missing MAIL-FROM (want: IP MAIL-FROM "
			    "[HELO])");
		return;
	}
	if (ntok > 3) {
		batch_error(b, line, "too many fields (want: IP MAIL-FROM "
			    "[HELO])");
		return;
	}
	req = *tmpl;
	req.ip = tok[0];
	req.mail_from = normalise_sender(tok[1]);
	req.helo = ntok > 2 ? tok[2] : NULL;
	if (req.mail_from[0] == '\0' && req.helo == NULL &&
	    req.identity == SK_SPF_ID_MAILFROM) {
		batch_error(b, line, "null sender needs a HELO name");
		return;
	}
	job = malloc(sizeof(*job));
	if (job == NULL) {
		b->oom = true;
		batch_error(b, line, "out of memory");
		return;
	}
	job->b = b;
	job->seq = b->next_seq;
	job->line = line;
	sk_err_clear(&err);
	if (sk_spf_check_start(r, &req, opts, batch_done, job, &err) !=
	    SK_OK) {
		free(job);
		batch_error(b, line, err.msg[0] ? err.msg : "invalid request");
		return;
	}
	b->next_seq++;
	b->inflight++;
}

static int
spf_batch(struct sk_resolver *r, const char *path,
	  const struct sk_spf_request *tmpl, unsigned long concurrency,
	  bool received)
{
	struct sk_spf_opts opts;
	struct batch b;
	FILE *in;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	unsigned long lineno = 0;
	uint64_t last_report = 0, before;
	bool eof = false, tty = isatty(2) != 0;
	int left;

	if (strcmp(path, "-") == 0) {
		in = stdin;
	} else {
		in = fopen(path, "r");
		if (in == NULL) {
			cli_error("cannot open %s: %s", path,
				  strerror(errno));
			return CLI_EXIT_USAGE;
		}
	}
	memset(&opts, 0, sizeof(opts));
	opts.no_exp = false;
	memset(&b, 0, sizeof(b));
	b.received = received;
	/* Room for completions that overtake a slow line. */
	b.ringsz = concurrency * 4;
	b.ring = calloc(b.ringsz, sizeof(*b.ring));
	if (b.ring == NULL) {
		cli_error("out of memory");
		if (in != stdin)
			fclose(in);
		return CLI_EXIT_DNS;
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	while (!eof || b.inflight > 0) {
		while (!eof && b.inflight < concurrency &&
		       b.next_seq < b.next_print + b.ringsz - 1) {
			n = getline(&line, &cap, in);
			if (n < 0) {
				eof = true;
				break;
			}
			lineno++;
			while (n > 0 && (line[n - 1] == '\n' ||
					 line[n - 1] == '\r'))
				line[--n] = '\0';
			if (n > BATCH_MAX_LINE)
				batch_error(&b, lineno, "line too long");
			else if ((size_t)n != strlen(line))
				batch_error(&b, lineno, "NUL byte in line");
			else
				batch_line(&b, r, tmpl, &opts, line, lineno);
		}
		batch_flush(&b);
		if (b.inflight == 0)
			continue;
		before = b.done;
		left = sk_resolver_run(r, 0);
		if (left >= 0 && b.done == before)
			left = sk_resolver_run(r, 5);
		if (left < 0) {
			cli_error("DNS event loop failed: %s",
				  sk_strerror(left));
			break;
		}
		if (tty && b.done - last_report >= 1000) {
			last_report = b.done;
			fprintf(stderr, "\r%llu lines checked",
				(unsigned long long)b.done);
		}
		batch_flush(&b);
	}
	batch_flush(&b);
	if (tty && last_report > 0)
		fprintf(stderr, "\r%llu lines checked\n",
			(unsigned long long)b.done);
	free(line);
	if (ferror(in)) {
		cli_error("reading %s: %s", path, strerror(errno));
		b.bad = true;
	}
	if (in != stdin)
		fclose(in);
	for (size_t i = 0; i < b.ringsz; i++)
		free(b.ring[i].json);
	free(b.ring);
	if (b.oom) {
		cli_error("out of memory");
		return CLI_EXIT_DNS;
	}
	if (b.inflight > 0)
		return CLI_EXIT_DNS;
	return b.bad ? CLI_EXIT_USAGE : CLI_EXIT_OK;
}

static int
spf_check(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DNS_LONGOPTS,
		{"json", no_argument, NULL, CLI_OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{"ip", required_argument, NULL, OPT_IP},
		{"mail-from", required_argument, NULL, OPT_MAIL_FROM},
		{"helo", required_argument, NULL, OPT_HELO},
		{"receiver", required_argument, NULL, OPT_RECEIVER},
		{"identity", required_argument, NULL, OPT_IDENTITY},
		{"received-spf", no_argument, NULL, OPT_RECEIVED_SPF},
		{"batch", required_argument, NULL, OPT_BATCH},
		{"concurrency", required_argument, NULL, OPT_CONCURRENCY},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = "spf check";
	struct sk_spf_request req;
	struct sk_spf_outcome *o = NULL;
	struct sk_resolver *r = NULL;
	struct cli_dns d;
	struct sk_err err;
	const char *batch = NULL;
	char *mail_from = NULL;
	unsigned long conc = BATCH_DEFAULT_CONCURRENCY;
	bool json = false, received = false, have_from = false;
	sk_status st;
	int c, rc;

	memset(&d, 0, sizeof(d));
	memset(&req, 0, sizeof(req));
	cli_getopt_reset();
	for (;;) {
		c = cli_getopt(cmd, argc, argv, "h", longopts);
		if (c == -1)
			break;
		if (c == -2)
			return CLI_EXIT_USAGE;
		if (cli_dns_option(cmd, &d, c, optarg, &rc)) {
			if (rc != 0)
				return rc;
			continue;
		}
		switch (c) {
		case CLI_OPT_JSON:
			json = true;
			break;
		case 'h':
			check_usage(stdout);
			return CLI_EXIT_OK;
		case OPT_IP:
			req.ip = optarg;
			break;
		case OPT_MAIL_FROM:
			mail_from = optarg;
			have_from = true;
			break;
		case OPT_HELO:
			req.helo = optarg;
			break;
		case OPT_RECEIVER:
			req.receiver = optarg;
			break;
		case OPT_IDENTITY:
			if (strcmp(optarg, "mailfrom") == 0)
				req.identity = SK_SPF_ID_MAILFROM;
			else if (strcmp(optarg, "helo") == 0)
				req.identity = SK_SPF_ID_HELO;
			else
				return cli_usage(cmd, "--identity wants "
						 "'mailfrom' or 'helo', not "
						 "'%s'", optarg);
			break;
		case OPT_RECEIVED_SPF:
			received = true;
			break;
		case OPT_BATCH:
			batch = optarg;
			break;
		case OPT_CONCURRENCY:
			if (!cli_parse_uint(optarg, 1, BATCH_MAX_CONCURRENCY,
					    &conc))
				return cli_usage(cmd, "--concurrency wants "
						 "1-%d, not '%s'",
						 BATCH_MAX_CONCURRENCY,
						 optarg);
			break;
		default:
			return cli_usage(cmd, "unexpected option");
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind]);
	if (batch != NULL) {
		if (req.ip != NULL || have_from)
			return cli_usage(cmd, "--batch cannot be combined "
					 "with --ip or --mail-from");
		rc = cli_resolver(&d, &r);
		if (rc != CLI_EXIT_OK)
			return rc;
		rc = spf_batch(r, batch, &req, conc, received);
		sk_resolver_free(r);
		return rc;
	}
	if (req.ip == NULL)
		return cli_usage(cmd, "missing --ip");
	if (req.identity == SK_SPF_ID_HELO) {
		if (req.helo == NULL)
			return cli_usage(cmd, "--identity helo needs --helo");
	} else if (!have_from) {
		return cli_usage(cmd, "missing --mail-from");
	}
	req.mail_from = mail_from != NULL ? normalise_sender(mail_from) : "";
	if (req.identity == SK_SPF_ID_MAILFROM && req.mail_from[0] == '\0' &&
	    req.helo == NULL)
		return cli_usage(cmd, "the null sender needs --helo");
	rc = cli_resolver(&d, &r);
	if (rc != CLI_EXIT_OK)
		return rc;
	sk_err_clear(&err);
	st = sk_spf_check(r, &req, NULL, &o, &err);
	sk_resolver_free(r);
	if (st == SK_EINVAL)
		return cli_usage(cmd, "%s", err.msg[0] ? err.msg :
				 "invalid request");
	if (st != SK_OK) {
		cli_error("%s", err.msg[0] ? err.msg : sk_strerror(st));
		return CLI_EXIT_DNS;
	}
	if (json)
		cli_json_print(outcome_json(o, 0, true), false);
	else
		outcome_text(o, received);
	rc = o->result == SK_SPF_TEMPERROR ? CLI_EXIT_DNS : CLI_EXIT_OK;
	sk_spf_outcome_free(o);
	return rc;
}

/* ------------------------------------------------------------- lint */

static const char *
node_status_str(enum sk_spf_node_status s)
{
	switch (s) {
	case SK_SPF_NODE_OK:
		return "ok";
	case SK_SPF_NODE_NONE:
		return "none";
	case SK_SPF_NODE_MULTIPLE:
		return "multiple";
	case SK_SPF_NODE_SYNTAX:
		return "syntax";
	case SK_SPF_NODE_TEMPFAIL:
		return "tempfail";
	case SK_SPF_NODE_LOOP:
		return "loop";
	case SK_SPF_NODE_NOT_FOLLOWED:
		return "not-followed";
	}
	return "?";
}

static json_t *
node_json(const struct sk_spf_node *n, unsigned depth)
{
	json_t *j = json_object(), *kids = json_array();
	size_t i;

	cli_json_set_str(j, "via", n->via);
	cli_json_set_str(j, "domain", n->domain);
	cli_json_set_str(j, "record", n->record);
	cli_json_set_str(j, "status", node_status_str(n->status));
	json_object_set_new(j, "cost", json_integer(n->cost));
	json_object_set_new(j, "total", json_integer(n->total));
	json_object_set_new(j, "void_lookups",
			    json_integer(n->void_lookups));
	for (i = 0; depth < 64 && i < n->nchildren; i++)
		json_array_append_new(kids,
				      node_json(&n->children[i], depth + 1));
	json_object_set_new(j, "children", kids);
	return j;
}

static void
node_text(const struct sk_spf_node *n, unsigned depth)
{
	size_t i;

	printf("%*s%s", (int)(2 + depth * 2), "",
	       n->via != NULL && n->via[0] != '\0' ? n->via : n->domain);
	if (n->via != NULL && n->via[0] != '\0' && n->domain != NULL &&
	    n->status != SK_SPF_NODE_OK)
		printf(" [%s]", node_status_str(n->status));
	else if (n->status != SK_SPF_NODE_OK)
		printf(" [%s]", node_status_str(n->status));
	printf("  cost %u, total %u", n->cost, n->total);
	if (n->void_lookups > 0)
		printf(", void %u", n->void_lookups);
	putchar('\n');
	for (i = 0; depth < 64 && i < n->nchildren; i++)
		node_text(&n->children[i], depth + 1);
}

/* The record of the node for `domain` in the tree, for the caret. */
static const char *
node_record(const struct sk_spf_node *n, const char *domain, unsigned depth)
{
	const char *s;
	size_t i;

	if (n == NULL || depth > 64)
		return NULL;
	if (n->domain != NULL && n->record != NULL &&
	    strcmp(n->domain, domain) == 0)
		return n->record;
	for (i = 0; i < n->nchildren; i++) {
		s = node_record(&n->children[i], domain, depth + 1);
		if (s != NULL)
			return s;
	}
	return NULL;
}

struct lint_text {
	const struct sk_spf_node *root;
	const char *record;
};

/* The record a finding's offset points into: the one of the node the
 * finding is about, else the record given with --record. */
static const char *
lint_finding_text(void *arg, const struct sk_finding *f)
{
	const struct lint_text *t = arg;
	const char *rec = NULL;

	if (f->subject != NULL && t->root != NULL)
		rec = node_record(t->root, f->subject, 0);
	if (rec == NULL && t->record != NULL &&
	    (t->root == NULL || f->subject == NULL ||
	     t->root->domain == NULL ||
	     strcmp(f->subject, t->root->domain) == 0))
		rec = t->record;
	return rec;
}

static int
lint_output(const struct sk_spf_lint *l, const char *record, bool json)
{
	const struct sk_spf_node *root = sk_spf_lint_tree(l);
	struct lint_text t;
	int sev = sk_spf_lint_max_severity(l);
	json_t *j;

	if (json) {
		j = json_object();
		cli_json_set_str(j, "domain", root ? root->domain : NULL);
		json_object_set_new(j, "lookups",
				    json_integer(sk_spf_lint_lookups(l)));
		cli_json_set_str(j, "max_severity", sev < 0 ? NULL :
				 sk_severity_str((enum sk_severity)sev));
		json_object_set_new(j, "findings",
				    cli_findings_json(sk_spf_lint_findings(l)));
		json_object_set_new(j, "tree", root ? node_json(root, 0) :
				    json_null());
		cli_json_print(j, false);
	} else {
		t.root = root;
		t.record = record;
		cli_findings_text(sk_spf_lint_findings(l), lint_finding_text,
				  &t);
		if (root != NULL) {
			printf("\nlookup tree:\n");
			node_text(root, 0);
		}
		printf("\ntotal: %u DNS-querying terms (limit %d)\n",
		       sk_spf_lint_lookups(l), SK_SPF_MAX_DNS_TERMS);
	}
	return sev >= SK_SEV_ERROR ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
}

static int
spf_lint(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DNS_LONGOPTS,
		{"json", no_argument, NULL, CLI_OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{"record", required_argument, NULL, OPT_RECORD},
		{"domain", required_argument, NULL, OPT_DOMAIN},
		{"no-dns", no_argument, NULL, OPT_NO_DNS},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = "spf lint";
	struct sk_resolver *r = NULL;
	struct sk_spf_lint *l = NULL;
	struct cli_dns d;
	struct sk_err err;
	const char *record = NULL, *domain = NULL;
	bool json = false, nodns = false;
	sk_status st;
	int c, rc;

	memset(&d, 0, sizeof(d));
	cli_getopt_reset();
	for (;;) {
		c = cli_getopt(cmd, argc, argv, "h", longopts);
		if (c == -1)
			break;
		if (c == -2)
			return CLI_EXIT_USAGE;
		if (cli_dns_option(cmd, &d, c, optarg, &rc)) {
			if (rc != 0)
				return rc;
			continue;
		}
		switch (c) {
		case CLI_OPT_JSON:
			json = true;
			break;
		case 'h':
			lint_usage(stdout);
			return CLI_EXIT_OK;
		case OPT_RECORD:
			record = optarg;
			break;
		case OPT_DOMAIN:
			domain = optarg;
			break;
		case OPT_NO_DNS:
			nodns = true;
			break;
		default:
			return cli_usage(cmd, "unexpected option");
		}
	}
	if (record == NULL) {
		if (optind >= argc)
			return cli_usage(cmd, "missing DOMAIN or --record");
		domain = argv[optind++];
		if (nodns)
			return cli_usage(cmd, "--no-dns needs --record");
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind]);
	if (!nodns) {
		rc = cli_resolver(&d, &r);
		if (rc != CLI_EXIT_OK)
			return rc;
	}
	sk_err_clear(&err);
	if (record != NULL)
		st = sk_spf_lint_record(r, record, strlen(record), domain,
					&l, &err);
	else
		st = sk_spf_lint_domain(r, domain, &l, &err);
	if (st != SK_OK) {
		sk_resolver_free(r);
		if (st == SK_EINVAL)
			return cli_usage(cmd, "%s", err.msg[0] ? err.msg :
					 sk_strerror(st));
		cli_error("%s", err.msg[0] ? err.msg : sk_strerror(st));
		return st == SK_ENOMEM ? CLI_EXIT_DNS : CLI_EXIT_USAGE;
	}
	rc = lint_output(l, record, json);
	/* Nothing could be read at all because DNS failed: exit 3. */
	if (sk_spf_lint_tree(l) != NULL &&
	    sk_spf_lint_tree(l)->status == SK_SPF_NODE_TEMPFAIL)
		rc = CLI_EXIT_DNS;
	sk_spf_lint_free(l);
	sk_resolver_free(r);
	return rc;
}

/* ------------------------------------------------------------ merge */

/* Fetch the one SPF record of `domain`; returns an exit code. */
static int
fetch_record(struct sk_resolver *r, const char *domain, char **out)
{
	const struct sk_dns_answer *ans = NULL;
	struct sk_err err;
	size_t i, found = 0;
	sk_status st;

	*out = NULL;
	sk_err_clear(&err);
	st = sk_dns_resolve(r, domain, SK_DNS_TXT, &ans, &err);
	if (st != SK_OK) {
		if (st == SK_EINVAL)
			return cli_usage("spf merge", "%s", err.msg);
		cli_error("%s", err.msg[0] ? err.msg : sk_strerror(st));
		return CLI_EXIT_DNS;
	}
	if (ans->status == SK_DNS_TEMPFAIL) {
		cli_error("could not read TXT %s: %s", domain, ans->why);
		sk_dns_answer_unref(ans);
		return CLI_EXIT_DNS;
	}
	for (i = 0; i < ans->count; i++) {
		const struct sk_dns_rr *rr = &ans->rr[i];

		if (rr->type != SK_DNS_TXT ||
		    !sk_spf_is_record(rr->u.txt.text, rr->u.txt.len))
			continue;
		if (found++ == 0) {
			*out = malloc(rr->u.txt.len + 1);
			if (*out == NULL)
				break;
			memcpy(*out, rr->u.txt.text, rr->u.txt.len);
			(*out)[rr->u.txt.len] = '\0';
		}
	}
	sk_dns_answer_unref(ans);
	if (found == 0) {
		cli_error("no SPF record at %s", domain);
		return CLI_EXIT_FINDINGS;
	}
	if (found > 1) {
		free(*out);
		*out = NULL;
		cli_error("%s has %zu SPF records (RFC 7208 section 4.5: "
			  "permerror); fix that first", domain, found);
		return CLI_EXIT_FINDINGS;
	}
	if (*out == NULL) {
		cli_error("out of memory");
		return CLI_EXIT_DNS;
	}
	return CLI_EXIT_OK;
}

static int
spf_merge(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DNS_LONGOPTS,
		{"json", no_argument, NULL, CLI_OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{"record", required_argument, NULL, OPT_RECORD},
		{"include", required_argument, NULL, OPT_INCLUDE},
		{"no-dns", no_argument, NULL, OPT_NO_DNS},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = "spf merge";
	struct sk_resolver *r = NULL;
	struct sk_spf_merge *m = NULL;
	struct cli_dns d;
	struct sk_err err;
	const char *record = NULL, *include = NULL, *domain = NULL;
	char *fetched = NULL;
	bool json = false, nodns = false;
	sk_status st;
	json_t *j, *arr, *jc;
	size_t i;
	int c, rc;

	memset(&d, 0, sizeof(d));
	cli_getopt_reset();
	for (;;) {
		c = cli_getopt(cmd, argc, argv, "h", longopts);
		if (c == -1)
			break;
		if (c == -2)
			return CLI_EXIT_USAGE;
		if (cli_dns_option(cmd, &d, c, optarg, &rc)) {
			if (rc != 0)
				return rc;
			continue;
		}
		switch (c) {
		case CLI_OPT_JSON:
			json = true;
			break;
		case 'h':
			merge_usage(stdout);
			return CLI_EXIT_OK;
		case OPT_RECORD:
			record = optarg;
			break;
		case OPT_INCLUDE:
			include = optarg;
			break;
		case OPT_NO_DNS:
			nodns = true;
			break;
		default:
			return cli_usage(cmd, "unexpected option");
		}
	}
	if (record == NULL) {
		if (optind >= argc)
			return cli_usage(cmd, "missing DOMAIN or --record");
		domain = argv[optind++];
		if (nodns)
			return cli_usage(cmd, "--no-dns needs --record");
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind]);
	if (include == NULL)
		return cli_usage(cmd, "missing --include");
	if (!nodns) {
		rc = cli_resolver(&d, &r);
		if (rc != CLI_EXIT_OK)
			return rc;
	}
	if (record == NULL) {
		rc = fetch_record(r, domain, &fetched);
		if (rc != CLI_EXIT_OK) {
			sk_resolver_free(r);
			return rc;
		}
		record = fetched;
	}
	sk_err_clear(&err);
	st = sk_spf_merge(r, record, strlen(record), include, &m, &err);
	sk_resolver_free(r);
	if (st != SK_OK) {
		if (st == SK_ESYNTAX && err.offset != SK_NO_OFFSET) {
			cli_error("record does not parse: %s", err.msg);
			cli_show_caret(record, err.offset);
		} else {
			cli_error("%s", err.msg[0] ? err.msg :
				  sk_strerror(st));
		}
		free(fetched);
		return st == SK_ENOMEM ? CLI_EXIT_DNS : CLI_EXIT_USAGE;
	}
	free(fetched);
	rc = m->refused ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
	if (json) {
		j = json_object();
		cli_json_set_str(j, "record", m->record);
		json_object_set_new(j, "changed", json_boolean(m->changed));
		json_object_set_new(j, "refused", json_boolean(m->refused));
		cli_json_set_str(j, "reason", m->reason);
		json_object_set_new(j, "lookups_before",
				    json_integer(m->lookups_before));
		json_object_set_new(j, "lookups_after",
				    json_integer(m->lookups_after));
		arr = json_array();
		for (i = 0; i < m->ncosts; i++) {
			jc = json_object();
			cli_json_set_str(jc, "term", m->costs[i].term);
			json_object_set_new(jc, "lookups",
					    json_integer(m->costs[i].lookups));
			json_array_append_new(arr, jc);
		}
		json_object_set_new(j, "costs", arr);
		cli_json_print(j, false);
	} else {
		if (m->refused) {
			printf("refused: %s\n", m->reason ? m->reason : "");
			cli_error("refused: %s", m->reason ? m->reason : "");
		} else if (!m->changed) {
			printf("unchanged: %s\n", m->record);
		} else {
			printf("%s\n", m->record);
		}
		printf("lookups: before %u, after %u (limit %d)\n",
		       m->lookups_before, m->lookups_after,
		       SK_SPF_MAX_DNS_TERMS);
	}
	sk_spf_merge_free(m);
	return rc;
}

int
cmd_spf(int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
		{"check", spf_check},
		{"lint", spf_lint},
		{"merge", spf_merge},
	};

	return cli_dispatch("spf", argc, argv, subs,
			    sizeof(subs) / sizeof(subs[0]), cmd_spf_usage);
}
