/*
 * src/cli.h - shared pieces of the senderkit command-line program: option
 * parsing helpers, the DNS options every command takes, message formatting,
 * exit codes and UTF-8-safe JSON output.
 */
#ifndef SK_CLI_H
#define SK_CLI_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <jansson.h>
#include <senderkit/senderkit.h>
#include <util/util.h>

/* Exit codes of every command (documented in senderkit(1)). */
enum {
	CLI_EXIT_OK = 0,       /* done (whatever the SPF result) */
	CLI_EXIT_FINDINGS = 1, /* findings of error severity, refusal */
	CLI_EXIT_USAGE = 2,    /* usage or input error */
	CLI_EXIT_DNS = 3,      /* could not complete: DNS failed */
};

/* getopt_long values of the shared options (above any short option). */
enum {
	CLI_OPT_ZONE = 0x100,
	CLI_OPT_SERVER,
	CLI_OPT_TIMEOUT,
	CLI_OPT_JSON,
	CLI_OPT_HELP,
	CLI_OPT_CONNECT_TO,
	CLI_OPT_CA_FILE,
	CLI_OPT_HSTS_PRELOAD,
	CLI_OPT_FIRST_CMD /* commands number their own options from here */
};

/* The long options of the DNS backend choice, for a command's table. */
#define CLI_DNS_LONGOPTS                                                  \
	{"zone", required_argument, NULL, CLI_OPT_ZONE},                  \
	{"server", required_argument, NULL, CLI_OPT_SERVER},              \
	{"timeout", required_argument, NULL, CLI_OPT_TIMEOUT}

#define CLI_MAX_ZONES 64

struct cli_dns {
	const char *zones[CLI_MAX_ZONES];
	size_t nzones;
	const char *server;
	unsigned timeout_ms;
};

/* The HTTPS probe options shared by `audit` and `https check`, for a
 * command's table (each command documents them in its usage text). */
#define CLI_HTTPS_LONGOPTS                                                \
	{"connect-to", required_argument, NULL, CLI_OPT_CONNECT_TO},      \
	{"ca-file", required_argument, NULL, CLI_OPT_CA_FILE},            \
	{"hsts-preload", required_argument, NULL, CLI_OPT_HSTS_PRELOAD}

struct cli_https {
	const char *connect_to[SK_HTTPS_MAX_CONNECT_TO]; /* HOST:IP */
	size_t nconnect_to;
	const char *ca_file;
	const char *preload_path;
};

/* "senderkit: error: ..." on stderr. */
void cli_error(const char *fmt, ...) SK_PRINTF(1, 2);
/* "senderkit: warning: ..." on stderr. */
void cli_warn(const char *fmt, ...) SK_PRINTF(1, 2);
/* A usage error of command `cmd` ("spf check"): prints the message and a
 * hint to --help; returns CLI_EXIT_USAGE. */
int cli_usage(const char *cmd, const char *fmt, ...) SK_PRINTF(2, 3);

/* A subcommand of a command ("spf check"): its name and entry point, which
 * gets argv from the subcommand's name on. */
struct cli_subcommand {
	const char *name;
	int (*run)(int argc, char **argv);
};

/* Run the subcommand argv[1] names: usage on stderr and exit 2 without
 * one, usage on stdout and exit 0 for --help, -h or help, a usage error
 * for an unknown name. */
int cli_dispatch(const char *cmd, int argc, char **argv,
		 const struct cli_subcommand *subs, size_t nsubs,
		 void (*usage)(FILE *f));

/*
 * Run getopt_long over argv with ':' prepended to `shortopts` and
 * diagnostics turned off.  Returns the option value, -1 at the end, or
 * -2 after printing a usage error naming the unknown option or the
 * missing argument (the caller returns CLI_EXIT_USAGE).
 */
int cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	       const struct option *longopts);
/* Reset getopt for a new argument vector. */
void cli_getopt_reset(void);

/* Handle a DNS option; true when `opt` was one (sets *rc to 0 or 2). */
bool cli_dns_option(const char *cmd, struct cli_dns *d, int opt,
		    const char *arg, int *rc);
/* Handle an HTTPS option; true when `opt` was one (sets *rc to 0 or 2). */
bool cli_https_option(const char *cmd, struct cli_https *h, int opt,
		      const char *arg, int *rc);
/* Load --hsts-preload when given (*out stays NULL otherwise); returns an
 * exit code, CLI_EXIT_USAGE after printing the error.  Free the list
 * with sk_hsts_preload_free. */
int cli_hsts_preload(const struct cli_https *h,
		     struct sk_hsts_preload **out);
/* Create the resolver chosen by the options; returns an exit code. */
int cli_resolver(const struct cli_dns *d, struct sk_resolver **out);

/* Parse an unsigned decimal within [min, max]; false on junk. */
bool cli_parse_uint(const char *s, unsigned long min, unsigned long max,
		    unsigned long *out);

/* A JSON string from arbitrary bytes: valid UTF-8 is kept as is, each
 * byte that is not part of a valid UTF-8 sequence becomes the text
 * "\xNN".  Never NULL for non-NULL s (NULL s gives JSON null). */
json_t *cli_json_bytes(const char *s, size_t len);
json_t *cli_json_str(const char *s);
/* Set key to a string (null when s is NULL). */
void cli_json_set_str(json_t *obj, const char *key, const char *s);
/* Print a JSON value to stdout: indented, or one line when `compact`,
 * then a newline.  Steals the reference. */
int cli_json_print(json_t *v, bool compact);

/* Print `rec` around byte `off` with a caret under it (indented 8). */
void cli_show_caret(const char *rec, size_t off);

/* Gives the text a finding's offset points into, or NULL for no caret. */
typedef const char *(*cli_finding_text_fn)(void *arg,
					   const struct sk_finding *f);

/*
 * Print findings the way every lint prints them: one line "severity id
 * message" each, followed by the record with a caret under the byte when
 * the finding has an offset and `text_of` (may be NULL) gives the text;
 * "no findings" when the list is empty.
 */
void cli_findings_text(const struct sk_findings *f, cli_finding_text_fn
		       text_of, void *arg);
/* The findings as a JSON array of {severity, id, message, subject,
 * offset, ref} objects (offset null when absent). */
json_t *cli_findings_json(const struct sk_findings *f);

/* Commands. */
int cmd_spf(int argc, char **argv);
int cmd_dns(int argc, char **argv);
int cmd_dkim(int argc, char **argv);
int cmd_dmarc(int argc, char **argv);
int cmd_verify(int argc, char **argv);
int cmd_plan(int argc, char **argv);
int cmd_audit(int argc, char **argv);
int cmd_allowlist(int argc, char **argv);
int cmd_reports(int argc, char **argv);
int cmd_https(int argc, char **argv);
void cmd_spf_usage(FILE *f);
void cmd_dns_usage(FILE *f);
void cmd_dkim_usage(FILE *f);
void cmd_dmarc_usage(FILE *f);
void cmd_verify_usage(FILE *f);
void cmd_plan_usage(FILE *f);
void cmd_audit_usage(FILE *f);
void cmd_allowlist_usage(FILE *f);
void cmd_reports_usage(FILE *f);
void cmd_https_usage(FILE *f);

#endif /* SK_CLI_H */
