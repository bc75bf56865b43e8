/*
 * src/cmd_dkim.c - `senderkit dkim keygen|lint|sign|verify`: a thin layer
 * over the DKIM engine of libsenderkit (RFC 6376, RFC 8301, RFC 8463).
 *
 *   keygen  a key pair (private key file 0600) and the key record to
 *           publish at <selector>._domainkey.<domain> (section 3.6.2.1);
 *   lint    findings about a published or proposed key record (3.6.1);
 *   sign    prepend DKIM-Signature fields (section 5), message streamed;
 *   verify  every signature of a message (section 6), or of many messages
 *           in one process with one resolver and its cache (--batch).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli.h"

enum {
	OPT_DOMAIN = CLI_OPT_FIRST_CMD,
	OPT_SELECTOR,
	OPT_TYPE,
	OPT_BITS,
	OPT_OUT,
	OPT_FORCE,
	OPT_RECORD,
	OPT_KEY,
	OPT_SIGN,
	OPT_ALGORITHM,
	OPT_CANON,
	OPT_HEADERS,
	OPT_IDENTITY,
	OPT_EXPIRE,
	OPT_BODY_LENGTH,
	OPT_TIMESTAMP,
	OPT_BATCH,
	OPT_NOW,
};

/* Read size of the message streams. */
#define DKIM_CHUNK (64 * 1024)
/* Signatures one `dkim sign` adds. */
#define DKIM_MAX_SIGN 8
/* TTL of the zone-file line keygen prints. */
#define DKIM_ZONE_TTL 3600
/* A line of a --batch list (a path). */
#define DKIM_MAX_PATH 4096

static const char dns_opts_help[] =
	"  --zone FILE         answer DNS from a zone file (repeatable)\n"
	"  --server IP[:PORT]  ask this DNS server (live backend)\n"
	"  --timeout MS        per-try DNS timeout (live backend)\n";

static void
keygen_usage(FILE *f)
{
	fputs("Usage: senderkit dkim keygen --domain D --selector S "
	      "[options]\n"
	      "\nGenerate a key pair: the private key goes to\n"
	      "DIR/<selector>.<domain>.key (PKCS#8 PEM, mode 0600), the key\n"
	      "record to publish at <selector>._domainkey.<domain> is "
	      "printed\nas a zone-file line and as the single value a "
	      "registrar's web\nform wants.\n"
	      "\nOptions:\n"
	      "  --domain D          the signing domain (d=)\n"
	      "  --selector S        the selector (s=)\n"
	      "  --type T            rsa (default) or ed25519\n"
	      "  --bits N            RSA modulus size, 1024-8192 "
	      "(default 2048)\n"
	      "  --out DIR           where the key file goes (default .)\n"
	      "  --force             overwrite an existing key file\n"
	      "  --json              one JSON object (see docs/json.md)\n"
	      "  -h, --help          this help\n"
	      "\nExit codes: 0 written, 2 usage error or the file exists "
	      "(see\n--force), 1 the key could not be generated or "
	      "written.\n", f);
}

static void
lint_usage(FILE *f)
{
	fputs("Usage: senderkit dkim lint DOMAIN --selector S [options]\n"
	      "       senderkit dkim lint --record 'v=DKIM1; ...' "
	      "[options]\n"
	      "\nReport problems of the key record published at\n"
	      "<selector>._domainkey.<domain>, or of a proposed one.\n"
	      "\nOptions:\n"
	      "  --selector S        the selector to look up\n"
	      "  --record TEXT       lint this text instead of DNS data\n"
	      "  --json              one JSON object (see docs/json.md)\n",
	      f);
	fputs(dns_opts_help, f);
	fputs("  -h, --help          this help\n"
	      "\nExit codes: 0 no error finding, 1 error findings, 2 usage "
	      "error,\n3 DNS failed (dkim-tempfail).\n", f);
}

static void
sign_usage(FILE *f)
{
	fputs("Usage: senderkit dkim sign --domain D --selector S --key FILE "
	      "[options] [MESSAGE]\n"
	      "       senderkit dkim sign --sign D:S:KEYFILE [--sign ...] "
	      "[options] [MESSAGE]\n"
	      "\nSign a message (standard input when no MESSAGE) and write "
	      "it to\nstandard output with the DKIM-Signature fields "
	      "prepended, in the\norder given; the message bytes are not "
	      "changed.  The new fields end\nin CRLF when the message's "
	      "first line does, else in LF.\n"
	      "\nOptions:\n"
	      "  --domain D          signing domain (d=)\n"
	      "  --selector S        selector (s=)\n"
	      "  --key FILE          PEM private key (RSA or Ed25519)\n"
	      "  --sign D:S:FILE     one more signature (repeatable, up to "
	      "8)\n"
	      "  --algorithm A       rsa-sha256 or ed25519-sha256; checked "
	      "against\n"
	      "                      the key (the key decides by default)\n"
	      "  --canon H[/B]       simple or relaxed for header/body "
	      "(default\n"
	      "                      relaxed/relaxed; 'X' alone is X/simple, "
	      "RFC 6376\n"
	      "                      section 3.5)\n"
	      "  --headers LIST      colon-separated fields to sign "
	      "(h=)\n"
	      "  --identity I        the agent or user identifier (i=)\n"
	      "  --expire SECONDS    add x= that many seconds after t=\n"
	      "  --timestamp T       t= as seconds since the epoch "
	      "(default now)\n"
	      "  --body-length       add l= (the body length signed)\n"
	      "  -h, --help          this help\n"
	      "\nExit codes: 0 signed, 1 signing failed, 2 usage or input "
	      "error\n(e.g. no From field, unreadable key).\n", f);
}

static void
verify_usage(FILE *f)
{
	fputs("Usage: senderkit dkim verify [MESSAGE] [options]\n"
	      "       senderkit dkim verify --batch DIR|LIST [options]\n"
	      "\nVerify every DKIM-Signature of a message (standard input "
	      "when no\nMESSAGE): one line per signature with the result, "
	      "d=, s=, a=, the\nreason id and a sentence.\n"
	      "\nOptions:\n"
	      "  --batch DIR|LIST    verify every file of DIR, or each path "
	      "listed one\n"
	      "                      per line in LIST ('-' = stdin), in one "
	      "process\n"
	      "                      with one resolver and its cache; one "
	      "JSON\n"
	      "                      object per line\n"
	      "  --now T             the time for x= and t= (seconds since "
	      "the epoch)\n"
	      "  --json              one JSON object (see docs/json.md)\n",
	      f);
	fputs(dns_opts_help, f);
	fputs("  -h, --help          this help\n"
	      "\nExit codes: 0 every signature passes, 1 a signature fails "
	      "or is\npermerror/neutral, or there is none, 2 usage error, "
	      "3 temperror\n(a key could not be fetched).\n", f);
}

void
cmd_dkim_usage(FILE *f)
{
	fputs("Usage: senderkit dkim <subcommand> [options]\n"
	      "\nSubcommands:\n"
	      "  keygen  generate a key pair and the record to publish\n"
	      "  lint    findings about a key record (DNS or --record)\n"
	      "  sign    add DKIM-Signature fields to a message\n"
	      "  verify  check the signatures of a message (or a batch)\n"
	      "\n'senderkit dkim <subcommand> --help' for each one's "
	      "options.\n", f);
}

/* The library's sentence, else the status text. */
static const char *
errmsg(const struct sk_err *err, sk_status st)
{
	return err->msg[0] != '\0' ? err->msg : sk_strerror(st);
}

/* A label-ish argument that is safe in a file name and a DNS name. */
static bool
name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > SK_DNS_MAX_NAME || s[0] == '.' || s[0] == '-')
		return false;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= 0x20 || c >= 0x7f || c == '/' || c == '\\')
			return false;
	}
	return true;
}

/* ----------------------------------------------------------- keygen */

static int
dkim_keygen(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, CLI_OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{"domain", required_argument, NULL, OPT_DOMAIN},
		{"selector", required_argument, NULL, OPT_SELECTOR},
		{"type", required_argument, NULL, OPT_TYPE},
		{"bits", required_argument, NULL, OPT_BITS},
		{"out", required_argument, NULL, OPT_OUT},
		{"force", no_argument, NULL, OPT_FORCE},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = "dkim keygen";
	struct sk_dkim_keygen_opts o;
	struct sk_err err;
	const char *domain = NULL, *selector = NULL, *dir = ".";
	char *path = NULL, *record = NULL, *zone = NULL, *name = NULL;
	size_t plen, nlen;
	unsigned long bits = 0;
	bool json = false;
	sk_status st;
	json_t *j;
	int c, rc;

	memset(&o, 0, sizeof(o));
	o.type = SK_DKIM_KEY_RSA;
	cli_getopt_reset();
	for (;;) {
		c = cli_getopt(cmd, argc, argv, "h", longopts);
		if (c == -1)
			break;
		if (c == -2)
			return CLI_EXIT_USAGE;
		switch (c) {
		case CLI_OPT_JSON:
			json = true;
			break;
		case 'h':
			keygen_usage(stdout);
			return CLI_EXIT_OK;
		case OPT_DOMAIN:
			domain = optarg;
			break;
		case OPT_SELECTOR:
			selector = optarg;
			break;
		case OPT_TYPE:
			if (strcmp(optarg, "rsa") == 0)
				o.type = SK_DKIM_KEY_RSA;
			else if (strcmp(optarg, "ed25519") == 0)
				o.type = SK_DKIM_KEY_ED25519;
			else
				return cli_usage(cmd, "--type wants 'rsa' or "
						 "'ed25519', not '%s'",
						 optarg);
			break;
		case OPT_BITS:
			if (!cli_parse_uint(optarg, 1024, 8192, &bits))
				return cli_usage(cmd, "--bits wants 1024-8192, "
						 "not '%s'", optarg);
			break;
		case OPT_OUT:
			dir = optarg;
			break;
		case OPT_FORCE:
			o.force = true;
			break;
		default:
			return cli_usage(cmd, "unexpected option");
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind]);
	if (domain == NULL || selector == NULL)
		return cli_usage(cmd, "missing --domain or --selector");
	if (!name_ok(domain) || !name_ok(selector))
		return cli_usage(cmd, "--domain and --selector must be DNS "
				 "names (no spaces or slashes)");
	if (bits != 0 && o.type != SK_DKIM_KEY_RSA)
		return cli_usage(cmd, "--bits is for RSA keys only");
	o.bits = (unsigned)bits;
	plen = strlen(dir) + strlen(selector) + strlen(domain) + 8;
	path = malloc(plen);
	nlen = strlen(selector) + strlen(domain) + 13;
	name = malloc(nlen);
	if (path == NULL || name == NULL) {
		free(path);
		free(name);
		cli_error("out of memory");
		return CLI_EXIT_FINDINGS;
	}
	snprintf(path, plen, "%s/%s.%s.key", dir, selector, domain);
	snprintf(name, nlen, "%s._domainkey.%s", selector, domain);
	sk_err_clear(&err);
	st = sk_dkim_keygen(&o, path, &record, &err);
	if (st == SK_EEXIST) {
		cli_error("%s exists; use --force to overwrite it", path);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	if (st == SK_EINVAL) {
		rc = cli_usage(cmd, "%s", errmsg(&err, st));
		goto out;
	}
	if (st != SK_OK) {
		cli_error("%s: %s", path, errmsg(&err, st));
		rc = CLI_EXIT_FINDINGS;
		goto out;
	}
	st = sk_dkim_record_zone_line(domain, selector, record, DKIM_ZONE_TTL,
				      &zone, &err);
	if (st != SK_OK) {
		cli_error("%s", errmsg(&err, st));
		rc = CLI_EXIT_FINDINGS;
		goto out;
	}
	rc = CLI_EXIT_OK;
	if (json) {
		j = json_object();
		cli_json_set_str(j, "key_file", path);
		cli_json_set_str(j, "name", name);
		cli_json_set_str(j, "record", record);
		cli_json_set_str(j, "zone_line", zone);
		cli_json_set_str(j, "type", sk_dkim_keytype_str(o.type));
		json_object_set_new(j, "bits", json_integer(
			o.type == SK_DKIM_KEY_RSA ? (bits ? bits : 2048) :
			256));
		cli_json_print(j, false);
	} else {
		printf("private key: %s (%s", path,
		       sk_dkim_keytype_str(o.type));
		if (o.type == SK_DKIM_KEY_RSA)
			printf(", %lu bits", bits ? bits : 2048);
		printf(")\n\nzone file line:\n%s\n", zone);
		printf("\nregistrar web form (TXT record):\n"
		       "name:  %s._domainkey  (%s)\nvalue: %s\n", selector,
		       name, record);
	}
out:
	free(zone);
	free(record);
	free(path);
	free(name);
	return rc;
}

/* ------------------------------------------------------------- lint */

/* --record: every offset points into the record given. */
static const char *
lint_finding_text(void *arg, const struct sk_finding *f)
{
	(void)f;
	return *(const char **)arg;
}

/* True when a finding says DNS could not be read. */
static bool
has_finding(const struct sk_findings *fl, const char *id)
{
	size_t i, n = sk_findings_count(fl);

	for (i = 0; i < n; i++)
		if (strcmp(sk_findings_get(fl, i)->id, id) == 0)
			return true;
	return false;
}

static int
dkim_lint(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DNS_LONGOPTS,
		{"json", no_argument, NULL, CLI_OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{"selector", required_argument, NULL, OPT_SELECTOR},
		{"record", required_argument, NULL, OPT_RECORD},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = "dkim lint";
	struct sk_resolver *r = NULL;
	struct sk_findings *fl = NULL;
	struct cli_dns d;
	struct sk_err err;
	const char *record = NULL, *domain = NULL, *selector = NULL;
	char *name = NULL;
	size_t nlen;
	bool json = false;
	sk_status st;
	int sev, c, rc;
	json_t *j;

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
		case OPT_SELECTOR:
			selector = optarg;
			break;
		case OPT_RECORD:
			record = optarg;
			break;
		default:
			return cli_usage(cmd, "unexpected option");
		}
	}
	if (record == NULL) {
		if (optind >= argc)
			return cli_usage(cmd, "missing DOMAIN or --record");
		domain = argv[optind++];
		if (selector == NULL)
			return cli_usage(cmd, "missing --selector");
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind]);
	sk_err_clear(&err);
	if (record != NULL) {
		st = sk_dkim_lint_record(record, strlen(record), &fl, &err);
	} else {
		rc = cli_resolver(&d, &r);
		if (rc != CLI_EXIT_OK)
			return rc;
		st = sk_dkim_lint_domain(r, domain, selector, &fl, &err);
		sk_resolver_free(r);
	}
	if (st != SK_OK) {
		if (st == SK_EINVAL)
			return cli_usage(cmd, "%s", errmsg(&err, st));
		cli_error("%s", errmsg(&err, st));
		return st == SK_ENOMEM ? CLI_EXIT_DNS : CLI_EXIT_USAGE;
	}
	if (domain != NULL) {
		nlen = strlen(selector) + strlen(domain) + 13;
		name = malloc(nlen);
		if (name != NULL)
			snprintf(name, nlen, "%s._domainkey.%s", selector,
				 domain);
	}
	sev = sk_findings_max_severity(fl);
	if (json) {
		j = json_object();
		cli_json_set_str(j, "name", name);
		cli_json_set_str(j, "domain", domain);
		cli_json_set_str(j, "selector", selector);
		cli_json_set_str(j, "record", record);
		cli_json_set_str(j, "max_severity", sev < 0 ? NULL :
				 sk_severity_str((enum sk_severity)sev));
		json_object_set_new(j, "findings", cli_findings_json(fl));
		cli_json_print(j, false);
	} else {
		if (name != NULL)
			printf("%s:\n", name);
		cli_findings_text(fl, record != NULL ? lint_finding_text :
				  NULL, &record);
	}
	rc = sev >= SK_SEV_ERROR ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
	if (has_finding(fl, "dkim-tempfail"))
		rc = CLI_EXIT_DNS;
	sk_findings_free(fl);
	free(name);
	return rc;
}

/* ------------------------------------------------------------- sign */

struct sign_one {
	const char *domain, *selector, *key;
	char *spec; /* copy of a --sign argument, split in place */
	struct sk_dkim_signer *signer;
	struct sk_dkim_sign *ctx;
	char *header;
};

/* Parse "--canon": "relaxed/simple", or one word for the header with a
 * simple body (RFC 6376 section 3.5, c=). */
static bool
parse_canon(const char *s, enum sk_dkim_canon *h, enum sk_dkim_canon *b)
{
	const char *slash = strchr(s, '/');
	size_t hl = slash != NULL ? (size_t)(slash - s) : strlen(s);

	if (hl == 6 && strncmp(s, "simple", 6) == 0)
		*h = SK_DKIM_SIMPLE;
	else if (hl == 7 && strncmp(s, "relaxed", 7) == 0)
		*h = SK_DKIM_RELAXED;
	else
		return false;
	if (slash == NULL)
		*b = SK_DKIM_SIMPLE;
	else if (strcmp(slash + 1, "simple") == 0)
		*b = SK_DKIM_SIMPLE;
	else if (strcmp(slash + 1, "relaxed") == 0)
		*b = SK_DKIM_RELAXED;
	else
		return false;
	return true;
}

/* Split "D:S:KEYFILE" (the key file may contain ':'). */
static bool
parse_sign_spec(struct sign_one *s, const char *arg)
{
	char *p, *q;

	s->spec = strdup(arg);
	if (s->spec == NULL)
		return false;
	p = strchr(s->spec, ':');
	if (p == NULL)
		return false;
	*p++ = '\0';
	q = strchr(p, ':');
	if (q == NULL)
		return false;
	*q++ = '\0';
	s->domain = s->spec;
	s->selector = p;
	s->key = q;
	return s->domain[0] != '\0' && s->selector[0] != '\0' &&
	       s->key[0] != '\0';
}

/* Write a field the library gave with CRLF folding, with the message's
 * line ends. */
static void
put_field(const char *h, bool crlf)
{
	const char *p;

	for (p = h; *p != '\0'; p++) {
		if (!crlf && p[0] == '\r' && p[1] == '\n')
			continue;
		putchar(*p);
	}
	fputs(crlf ? "\r\n" : "\n", stdout);
}

/* Feed the whole input to every signer; keep a way to read it again:
 * a regular file is re-read from where it started, anything else is
 * spooled to an unlinked temporary file.  Returns an exit code. */
static int
sign_feed(struct sign_one *sg, size_t nsg, FILE *in, const char *name,
	  FILE **again, off_t *start, bool *crlf)
{
	struct stat sb;
	struct sk_err err;
	unsigned char *buf;
	size_t n, i, k;
	FILE *spool = NULL;
	int prev = -1;
	bool seen_lf = false;
	sk_status st;

	*again = NULL;
	*crlf = false;
	*start = -1;
	if (fstat(fileno(in), &sb) == 0 && S_ISREG(sb.st_mode))
		*start = ftello(in);
	if (*start < 0) {
		spool = tmpfile();
		if (spool == NULL) {
			cli_error("cannot create a temporary file: %s",
				  strerror(errno));
			return CLI_EXIT_FINDINGS;
		}
	}
	buf = malloc(DKIM_CHUNK);
	if (buf == NULL) {
		if (spool != NULL)
			fclose(spool);
		cli_error("out of memory");
		return CLI_EXIT_FINDINGS;
	}
	sk_err_clear(&err);
	for (;;) {
		n = fread(buf, 1, DKIM_CHUNK, in);
		if (n == 0)
			break;
		for (k = 0; !seen_lf && k < n; k++) {
			if (buf[k] == '\n') {
				seen_lf = true;
				*crlf = prev == '\r';
			}
			prev = buf[k];
		}
		for (i = 0; i < nsg; i++) {
			st = sk_dkim_sign_update(sg[i].ctx, buf, n, &err);
			if (st != SK_OK) {
				cli_error("%s: %s", name, errmsg(&err, st));
				free(buf);
				if (spool != NULL)
					fclose(spool);
				return st == SK_ETOOBIG ? CLI_EXIT_USAGE :
				       CLI_EXIT_FINDINGS;
			}
		}
		if (spool != NULL && fwrite(buf, 1, n, spool) != n) {
			cli_error("writing a temporary file: %s",
				  strerror(errno));
			free(buf);
			fclose(spool);
			return CLI_EXIT_FINDINGS;
		}
	}
	free(buf);
	if (ferror(in)) {
		cli_error("reading %s: %s", name, strerror(errno));
		if (spool != NULL)
			fclose(spool);
		return CLI_EXIT_USAGE;
	}
	if (spool != NULL) {
		*start = 0;
		*again = spool;
	} else {
		*again = in;
	}
	return CLI_EXIT_OK;
}

static int
copy_out(FILE *in, off_t start, const char *name)
{
	char *buf;
	size_t n;
	int rc = CLI_EXIT_OK;

	if (fseeko(in, start, SEEK_SET) != 0) {
		cli_error("cannot re-read %s: %s", name, strerror(errno));
		return CLI_EXIT_FINDINGS;
	}
	buf = malloc(DKIM_CHUNK);
	if (buf == NULL) {
		cli_error("out of memory");
		return CLI_EXIT_FINDINGS;
	}
	for (;;) {
		n = fread(buf, 1, DKIM_CHUNK, in);
		if (n == 0)
			break;
		if (fwrite(buf, 1, n, stdout) != n) {
			rc = CLI_EXIT_FINDINGS;
			break;
		}
	}
	if (ferror(in)) {
		cli_error("re-reading %s: %s", name, strerror(errno));
		rc = CLI_EXIT_FINDINGS;
	}
	free(buf);
	return rc;
}

static int
dkim_sign(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"help", no_argument, NULL, 'h'},
		{"domain", required_argument, NULL, OPT_DOMAIN},
		{"selector", required_argument, NULL, OPT_SELECTOR},
		{"key", required_argument, NULL, OPT_KEY},
		{"sign", required_argument, NULL, OPT_SIGN},
		{"algorithm", required_argument, NULL, OPT_ALGORITHM},
		{"canon", required_argument, NULL, OPT_CANON},
		{"headers", required_argument, NULL, OPT_HEADERS},
		{"identity", required_argument, NULL, OPT_IDENTITY},
		{"expire", required_argument, NULL, OPT_EXPIRE},
		{"timestamp", required_argument, NULL, OPT_TIMESTAMP},
		{"body-length", no_argument, NULL, OPT_BODY_LENGTH},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = "dkim sign";
	struct sign_one sg[DKIM_MAX_SIGN];
	struct sk_dkim_sign_opts o;
	struct sk_err err;
	const char *domain = NULL, *selector = NULL, *key = NULL;
	const char *file = NULL, *alg = NULL;
	FILE *in = NULL, *again = NULL;
	off_t start = 0;
	size_t nsg = 0, i;
	unsigned long v;
	enum sk_dkim_keytype want = SK_DKIM_KEY_UNKNOWN;
	bool crlf = false;
	sk_status st;
	int c, rc = CLI_EXIT_OK;

	memset(sg, 0, sizeof(sg));
	memset(&o, 0, sizeof(o));
	o.hcanon = SK_DKIM_RELAXED;
	o.bcanon = SK_DKIM_RELAXED;
	cli_getopt_reset();
	for (;;) {
		c = cli_getopt(cmd, argc, argv, "h", longopts);
		if (c == -1)
			break;
		if (c == -2) {
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		switch (c) {
		case 'h':
			sign_usage(stdout);
			goto out;
		case OPT_DOMAIN:
			domain = optarg;
			break;
		case OPT_SELECTOR:
			selector = optarg;
			break;
		case OPT_KEY:
			key = optarg;
			break;
		case OPT_SIGN:
			if (nsg >= DKIM_MAX_SIGN - 1) {
				rc = cli_usage(cmd, "too many --sign (max %d)",
					       DKIM_MAX_SIGN - 1);
				goto out;
			}
			if (!parse_sign_spec(&sg[nsg++], optarg)) {
				rc = cli_usage(cmd, "--sign wants "
					       "DOMAIN:SELECTOR:KEYFILE, not "
					       "'%s'", optarg);
				goto out;
			}
			break;
		case OPT_ALGORITHM:
			alg = optarg;
			if (strcmp(alg, "rsa-sha256") == 0) {
				want = SK_DKIM_KEY_RSA;
			} else if (strcmp(alg, "ed25519-sha256") == 0) {
				want = SK_DKIM_KEY_ED25519;
			} else {
				rc = cli_usage(cmd, "--algorithm wants "
					       "rsa-sha256 or ed25519-sha256, "
					       "not '%s'", alg);
				goto out;
			}
			break;
		case OPT_CANON:
			if (!parse_canon(optarg, &o.hcanon, &o.bcanon)) {
				rc = cli_usage(cmd, "--canon wants "
					       "simple|relaxed[/simple|"
					       "relaxed], not '%s'", optarg);
				goto out;
			}
			break;
		case OPT_HEADERS:
			o.headers = optarg;
			break;
		case OPT_IDENTITY:
			o.identity = optarg;
			break;
		case OPT_EXPIRE:
			if (!cli_parse_uint(optarg, 1, 100UL * 365 * 86400,
					    &v)) {
				rc = cli_usage(cmd, "--expire wants seconds, "
					       "not '%s'", optarg);
				goto out;
			}
			o.expire = v;
			break;
		case OPT_TIMESTAMP:
			if (!cli_parse_uint(optarg, 1, 0xffffffffUL, &v)) {
				rc = cli_usage(cmd, "--timestamp wants seconds "
					       "since the epoch, not '%s'",
					       optarg);
				goto out;
			}
			o.timestamp = (time_t)v;
			break;
		case OPT_BODY_LENGTH:
			o.body_length = true;
			break;
		default:
			rc = cli_usage(cmd, "unexpected option");
			goto out;
		}
	}
	if (optind < argc)
		file = argv[optind++];
	if (optind < argc) {
		rc = cli_usage(cmd, "unexpected argument '%s'", argv[optind]);
		goto out;
	}
	if (domain != NULL || selector != NULL || key != NULL) {
		if (domain == NULL || selector == NULL || key == NULL) {
			rc = cli_usage(cmd, "--domain, --selector and --key "
				       "go together");
			goto out;
		}
		/* The simple form signs first. */
		memmove(&sg[1], &sg[0], nsg * sizeof(sg[0]));
		memset(&sg[0], 0, sizeof(sg[0]));
		sg[0].domain = domain;
		sg[0].selector = selector;
		sg[0].key = key;
		nsg++;
	}
	if (nsg == 0) {
		rc = cli_usage(cmd, "missing --domain/--selector/--key or "
			       "--sign");
		goto out;
	}
	sk_err_clear(&err);
	for (i = 0; i < nsg; i++) {
		st = sk_dkim_signer_new_file(&sg[i].signer, sg[i].key, &err);
		if (st != SK_OK) {
			cli_error("%s: %s", sg[i].key, errmsg(&err, st));
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		if (want != SK_DKIM_KEY_UNKNOWN &&
		    sk_dkim_signer_type(sg[i].signer) != want) {
			rc = cli_usage(cmd, "%s is an %s key, not one for %s",
				       sg[i].key, sk_dkim_keytype_str(
					       sk_dkim_signer_type(
						       sg[i].signer)), alg);
			goto out;
		}
		o.domain = sg[i].domain;
		o.selector = sg[i].selector;
		st = sk_dkim_sign_start(sg[i].signer, &o, &sg[i].ctx, &err);
		if (st != SK_OK) {
			rc = cli_usage(cmd, "%s", errmsg(&err, st));
			goto out;
		}
	}
	if (file == NULL || strcmp(file, "-") == 0) {
		file = "standard input";
		in = stdin;
	} else {
		in = fopen(file, "rb");
		if (in == NULL) {
			cli_error("cannot open %s: %s", file,
				  strerror(errno));
			rc = CLI_EXIT_USAGE;
			goto out;
		}
	}
	rc = sign_feed(sg, nsg, in, file, &again, &start, &crlf);
	if (rc != CLI_EXIT_OK)
		goto out;
	for (i = 0; i < nsg; i++) {
		st = sk_dkim_sign_finish(sg[i].ctx, &sg[i].header, &err);
		sg[i].ctx = NULL; /* freed by finish */
		if (st != SK_OK) {
			cli_error("%s: cannot sign: %s", file,
				  errmsg(&err, st));
			rc = st == SK_ESYNTAX ? CLI_EXIT_USAGE :
			     CLI_EXIT_FINDINGS;
			goto out;
		}
	}
	for (i = 0; i < nsg; i++)
		put_field(sg[i].header, crlf);
	rc = copy_out(again, start, file);
out:
	if (again != NULL && again != in)
		fclose(again);
	if (in != NULL && in != stdin)
		fclose(in);
	for (i = 0; i < DKIM_MAX_SIGN; i++) {
		sk_dkim_sign_free(sg[i].ctx);
		sk_dkim_signer_free(sg[i].signer);
		free(sg[i].header);
		free(sg[i].spec);
	}
	return rc;
}

/* ----------------------------------------------------------- verify */

/* The message's verdict: "pass" when every signature passes; else the
 * worst one, fail before permerror before neutral before temperror;
 * "none" without a signature. */
static enum sk_dkim_result
overall(const struct sk_dkim_verify *v)
{
	static const enum sk_dkim_result order[] = {
		SK_DKIM_FAIL, SK_DKIM_PERMERROR, SK_DKIM_NEUTRAL,
		SK_DKIM_TEMPERROR,
	};
	size_t i, k, n = sk_dkim_verify_count(v);

	if (n == 0)
		return SK_DKIM_NONE;
	for (k = 0; k < sizeof(order) / sizeof(order[0]); k++)
		for (i = 0; i < n; i++)
			if (sk_dkim_verify_result(v, i)->result == order[k])
				return order[k];
	return SK_DKIM_PASS;
}

static int
result_exit(enum sk_dkim_result r)
{
	if (r == SK_DKIM_PASS)
		return CLI_EXIT_OK;
	if (r == SK_DKIM_TEMPERROR)
		return CLI_EXIT_DNS;
	return CLI_EXIT_FINDINGS;
}

static json_t *
opt_int(long long v)
{
	return v < 0 ? json_null() : json_integer((json_int_t)v);
}

static json_t *
sig_json(const struct sk_dkim_sig_result *s)
{
	json_t *j = json_object();

	cli_json_set_str(j, "result", sk_dkim_result_str(s->result));
	cli_json_set_str(j, "reason", s->reason);
	cli_json_set_str(j, "detail", s->detail);
	cli_json_set_str(j, "domain", s->domain);
	cli_json_set_str(j, "selector", s->selector);
	cli_json_set_str(j, "identity", s->identity);
	cli_json_set_str(j, "algorithm", s->algorithm);
	cli_json_set_str(j, "canon", s->canon);
	cli_json_set_str(j, "headers", s->headers);
	cli_json_set_str(j, "b_prefix", s->b_prefix);
	json_object_set_new(j, "timestamp", opt_int(s->timestamp));
	json_object_set_new(j, "expire", opt_int(s->expire));
	json_object_set_new(j, "length", opt_int(s->length));
	json_object_set_new(j, "key_bits", json_integer(s->key_bits));
	json_object_set_new(j, "testing", json_boolean(s->testing));
	json_object_set_new(j, "body_hash_ok", json_boolean(s->body_hash_ok));
	return j;
}

static json_t *
verify_json(const struct sk_dkim_verify *v)
{
	json_t *j = json_object(), *arr = json_array();
	size_t i, n = sk_dkim_verify_count(v);

	for (i = 0; i < n; i++)
		json_array_append_new(arr,
				      sig_json(sk_dkim_verify_result(v, i)));
	json_object_set_new(j, "signatures", arr);
	cli_json_set_str(j, "result", sk_dkim_result_str(overall(v)));
	return j;
}

static void
verify_text(const struct sk_dkim_verify *v)
{
	const struct sk_dkim_sig_result *s;
	size_t i, n = sk_dkim_verify_count(v);

	if (n == 0) {
		printf("none: the message has no DKIM-Signature field\n");
		return;
	}
	for (i = 0; i < n; i++) {
		s = sk_dkim_verify_result(v, i);
		printf("%s d=%s s=%s a=%s %s: %s\n",
		       sk_dkim_result_str(s->result),
		       s->domain ? s->domain : "",
		       s->selector ? s->selector : "",
		       s->algorithm ? s->algorithm : "",
		       s->reason ? s->reason : "",
		       s->detail ? s->detail : "");
	}
}

/* Verify one message read from `in` in chunks.  On success *out holds the
 * finished verifier.  Returns SK_OK or the failing status (err set; for
 * a read error, SK_EIO). */
static sk_status
verify_stream(struct sk_resolver *r, const struct sk_dkim_verify_opts *o,
	      FILE *in, unsigned char *buf, struct sk_dkim_verify **out,
	      struct sk_err *err)
{
	struct sk_dkim_verify *v = NULL;
	size_t n;
	sk_status st;

	*out = NULL;
	st = sk_dkim_verify_new(r, o, &v, err);
	if (st != SK_OK)
		return st;
	for (;;) {
		n = fread(buf, 1, DKIM_CHUNK, in);
		if (n == 0)
			break;
		st = sk_dkim_verify_update(v, buf, n, err);
		if (st != SK_OK) {
			sk_dkim_verify_free(v);
			return st;
		}
	}
	if (ferror(in)) {
		snprintf(err->msg, sizeof(err->msg), "read error: %s",
			 strerror(errno));
		err->code = SK_EIO;
		sk_dkim_verify_free(v);
		return SK_EIO;
	}
	st = sk_dkim_verify_finish(v, err);
	if (st != SK_OK) {
		sk_dkim_verify_free(v);
		return st;
	}
	*out = v;
	return SK_OK;
}

static int
path_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files of a directory (regular, not hidden), sorted, as "DIR/NAME"
 * paths.  The entry type from readdir() spares a stat() per file where
 * the file system gives it. */
static int
list_dir(const char *dir, char ***names, size_t *count)
{
	DIR *dp;
	struct dirent *de;
	struct stat sb;
	char **v = NULL, **nv, *p;
	size_t n = 0, cap = 0, len, dl = strlen(dir);

	*names = NULL;
	*count = 0;
	dp = opendir(dir);
	if (dp == NULL) {
		cli_error("cannot open %s: %s", dir, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	for (;;) {
		de = readdir(dp);
		if (de == NULL)
			break;
		if (de->d_name[0] == '.')
			continue;
		len = dl + strlen(de->d_name) + 2;
		p = malloc(len);
		if (p == NULL)
			break;
		snprintf(p, len, "%s/%s", dir, de->d_name);
		/* DT_LNK and DT_UNKNOWN: stat() says (links followed) */
		if (de->d_type != DT_REG &&
		    (de->d_type != DT_LNK && de->d_type != DT_UNKNOWN ?
		     true : stat(p, &sb) != 0 || !S_ISREG(sb.st_mode))) {
			free(p);
			continue;
		}
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			nv = realloc(v, cap * sizeof(*v));
			if (nv == NULL) {
				free(p);
				break;
			}
			v = nv;
		}
		v[n++] = p;
	}
	closedir(dp);
	if (de != NULL) {
		while (n > 0)
			free(v[--n]);
		free(v);
		cli_error("out of memory");
		return CLI_EXIT_FINDINGS;
	}
	if (n > 0)
		qsort(v, n, sizeof(*v), path_cmp);
	*names = v;
	*count = n;
	return CLI_EXIT_OK;
}

/* One verifier and one read buffer for the whole batch: each message
 * is read with read(2) and the verifier is reset for the next
 * (sk_dkim_verify_reset), as an MTA filter would run it. */
struct batch {
	struct sk_resolver *r;
	const struct sk_dkim_verify_opts *o;
	struct sk_dkim_verify *v;
	unsigned char *buf;
	int worst; /* exit code: 0 < 1 < 3; 2 kept aside */
	bool bad;
};

static void
batch_error(struct batch *bt, const char *path, const char *why)
{
	json_t *j = json_object();

	cli_json_set_str(j, "file", path);
	cli_json_set_str(j, "error", why);
	cli_json_print(j, true);
	bt->bad = true;
}

/* Verify the message open on fd (closed here) into bt->v. */
static sk_status
verify_fd(struct batch *bt, int fd, struct sk_err *err)
{
	sk_status st = SK_OK;
	ssize_t n;

	for (;;) {
		n = read(fd, bt->buf, DKIM_CHUNK);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		st = sk_dkim_verify_update(bt->v, bt->buf, (size_t)n, err);
		if (st != SK_OK)
			break;
	}
	if (st == SK_OK && n < 0) {
		snprintf(err->msg, sizeof(err->msg), "read error: %s",
			 strerror(errno));
		err->code = SK_EIO;
		st = SK_EIO;
	}
	close(fd);
	if (st == SK_OK)
		st = sk_dkim_verify_finish(bt->v, err);
	return st;
}

/* path: shown in the output; name: opened relative to dirfd (or path
 * itself when dirfd is AT_FDCWD). */
static void
batch_one(struct batch *bt, int dirfd, const char *path, const char *name)
{
	struct sk_err err;
	sk_status st;
	json_t *j;
	int fd, rc;

	sk_err_clear(&err);
	if (bt->v == NULL) {
		st = sk_dkim_verify_new(bt->r, bt->o, &bt->v, &err);
		if (st != SK_OK) {
			batch_error(bt, path, errmsg(&err, st));
			return;
		}
	} else {
		sk_dkim_verify_reset(bt->v);
	}
	fd = openat(dirfd, name, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		batch_error(bt, path, strerror(errno));
		return;
	}
	st = verify_fd(bt, fd, &err);
	if (st != SK_OK) {
		batch_error(bt, path, errmsg(&err, st));
		return;
	}
	j = json_object();
	cli_json_set_str(j, "file", path);
	json_object_update_new(j, verify_json(bt->v));
	cli_json_print(j, true);
	rc = result_exit(overall(bt->v));
	if (rc == CLI_EXIT_DNS || (rc == CLI_EXIT_FINDINGS &&
				   bt->worst == CLI_EXIT_OK))
		bt->worst = rc;
}

static int
verify_batch(struct sk_resolver *r, const struct sk_dkim_verify_opts *o,
	     const char *src)
{
	struct batch bt;
	struct stat sb;
	char **names = NULL, *line = NULL;
	size_t n = 0, i, cap = 0;
	ssize_t len;
	FILE *list;
	int rc, dirfd;

	memset(&bt, 0, sizeof(bt));
	bt.r = r;
	bt.o = o;
	bt.buf = malloc(DKIM_CHUNK);
	if (bt.buf == NULL) {
		cli_error("out of memory");
		return CLI_EXIT_FINDINGS;
	}
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	if (strcmp(src, "-") != 0 && stat(src, &sb) == 0 &&
	    S_ISDIR(sb.st_mode)) {
		rc = list_dir(src, &names, &n);
		if (rc != CLI_EXIT_OK) {
			free(bt.buf);
			return rc;
		}
		/* Names relative to the directory: no path walk per file. */
		dirfd = open(src, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		for (i = 0; i < n; i++) {
			if (dirfd >= 0)
				batch_one(&bt, dirfd, names[i],
					  names[i] + strlen(src) + 1);
			else
				batch_one(&bt, AT_FDCWD, names[i], names[i]);
			free(names[i]);
		}
		if (dirfd >= 0)
			close(dirfd);
		free(names);
	} else {
		list = strcmp(src, "-") == 0 ? stdin : fopen(src, "r");
		if (list == NULL) {
			cli_error("cannot open %s: %s", src, strerror(errno));
			free(bt.buf);
			return CLI_EXIT_USAGE;
		}
		for (;;) {
			len = getline(&line, &cap, list);
			if (len < 0)
				break;
			while (len > 0 && (line[len - 1] == '\n' ||
					   line[len - 1] == '\r'))
				line[--len] = '\0';
			if (len == 0 || line[0] == '#')
				continue;
			if (len > DKIM_MAX_PATH) {
				cli_error("%s: path too long", src);
				bt.bad = true;
				continue;
			}
			batch_one(&bt, AT_FDCWD, line, line);
		}
		free(line);
		if (list != stdin)
			fclose(list);
	}
	sk_dkim_verify_free(bt.v);
	free(bt.buf);
	if (bt.worst == CLI_EXIT_DNS)
		return CLI_EXIT_DNS;
	if (bt.bad)
		return CLI_EXIT_USAGE;
	return bt.worst;
}

static int
dkim_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DNS_LONGOPTS,
		{"json", no_argument, NULL, CLI_OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{"batch", required_argument, NULL, OPT_BATCH},
		{"now", required_argument, NULL, OPT_NOW},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = "dkim verify";
	struct sk_dkim_verify_opts o;
	struct sk_dkim_verify *v = NULL;
	struct sk_resolver *r = NULL;
	struct cli_dns d;
	struct sk_err err;
	const char *file = NULL, *batch = NULL;
	unsigned char *buf;
	unsigned long now;
	FILE *in;
	bool json = false;
	sk_status st;
	int c, rc;

	memset(&d, 0, sizeof(d));
	memset(&o, 0, sizeof(o));
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
			verify_usage(stdout);
			return CLI_EXIT_OK;
		case OPT_BATCH:
			batch = optarg;
			break;
		case OPT_NOW:
			if (!cli_parse_uint(optarg, 1, 0xffffffffUL, &now))
				return cli_usage(cmd, "--now wants seconds "
						 "since the epoch, not '%s'",
						 optarg);
			o.now = (time_t)now;
			break;
		default:
			return cli_usage(cmd, "unexpected option");
		}
	}
	if (optind < argc)
		file = argv[optind++];
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind]);
	if (batch != NULL && file != NULL)
		return cli_usage(cmd, "--batch cannot be combined with a "
				 "MESSAGE");
	rc = cli_resolver(&d, &r);
	if (rc != CLI_EXIT_OK)
		return rc;
	if (batch != NULL) {
		rc = verify_batch(r, &o, batch);
		sk_resolver_free(r);
		return rc;
	}
	if (file == NULL || strcmp(file, "-") == 0) {
		file = "standard input";
		in = stdin;
	} else {
		in = fopen(file, "rb");
		if (in == NULL) {
			cli_error("cannot open %s: %s", file,
				  strerror(errno));
			sk_resolver_free(r);
			return CLI_EXIT_USAGE;
		}
	}
	buf = malloc(DKIM_CHUNK);
	if (buf == NULL) {
		cli_error("out of memory");
		rc = CLI_EXIT_FINDINGS;
		goto out;
	}
	sk_err_clear(&err);
	st = verify_stream(r, &o, in, buf, &v, &err);
	free(buf);
	if (st != SK_OK) {
		cli_error("%s: %s", file, errmsg(&err, st));
		rc = st == SK_ENOMEM ? CLI_EXIT_FINDINGS : CLI_EXIT_USAGE;
		goto out;
	}
	if (json)
		cli_json_print(verify_json(v), false);
	else
		verify_text(v);
	rc = result_exit(overall(v));
	sk_dkim_verify_free(v);
out:
	if (in != stdin)
		fclose(in);
	sk_resolver_free(r);
	return rc;
}

int
cmd_dkim(int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
		{"keygen", dkim_keygen},
		{"lint", dkim_lint},
		{"sign", dkim_sign},
		{"verify", dkim_verify},
	};

	return cli_dispatch("dkim", argc, argv, subs,
			    sizeof(subs) / sizeof(subs[0]), cmd_dkim_usage);
}
