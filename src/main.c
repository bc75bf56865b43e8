/*
 * src/main.c - the senderkit program: dispatch to a command.
 *
 *   senderkit <command> [<subcommand>] [options] [arguments]
 *   senderkit --version | --help | help <command>
 */
#include <stdio.h>
#include <string.h>

#include "cli.h"

struct command {
	const char *name;
	const char *summary;
	int (*run)(int argc, char **argv);
	void (*usage)(FILE *f);
};

static const struct command commands[] = {
	{"spf", "SPF: check, lint, merge (RFC 7208)", cmd_spf, cmd_spf_usage},
	{"dns", "DNS: query through the resolver backends", cmd_dns,
	 cmd_dns_usage},
	{"dkim", "DKIM: keygen, lint, sign, verify (RFC 6376)", cmd_dkim,
	 cmd_dkim_usage},
	{"dmarc", "DMARC: lint, orgdomain, record (RFC 9989, RFC 7489)",
	 cmd_dmarc, cmd_dmarc_usage},
	{"verify", "SPF, DKIM and DMARC on a message: Authentication-Results",
	 cmd_verify, cmd_verify_usage},
	{"plan", "every record to publish for a provider, as a diff",
	 cmd_plan, cmd_plan_usage},
	{"audit", "what is published, checked against a provider profile",
	 cmd_audit, cmd_audit_usage},
	{"allowlist", "provider IP blocks and domains for firewalls, proxies",
	 cmd_allowlist, cmd_allowlist_usage},
	{"reports", "DMARC reports: ingest, summary, rollout advice",
	 cmd_reports, cmd_reports_usage},
	{"https", "HTTPS, HSTS and CAA of landing and tracking hosts",
	 cmd_https, cmd_https_usage},
};
#define NCOMMANDS (sizeof(commands) / sizeof(commands[0]))

static void
usage(FILE *f)
{
	size_t i;

	fputs("Usage: senderkit <command> [<subcommand>] [options]\n"
	      "       senderkit help <command>\n"
	      "       senderkit --version | --help\n"
	      "\nCommands:\n", f);
	for (i = 0; i < NCOMMANDS; i++)
		fprintf(f, "  %-9s %s\n", commands[i].name,
			commands[i].summary);
	fputs("\nDNS options (every command that uses DNS):\n"
	      "  --zone FILE      answer from an RFC 1035 zone file "
	      "(repeatable)\n"
	      "  --server IP[:PORT]  ask this server (live backend)\n"
	      "  --timeout MS     per-try timeout of the live backend\n"
	      "  (default: the live backend with the system resolvers)\n"
	      "\nExit codes:\n"
	      "  0  done\n"
	      "  1  findings of error severity (lint, audit, plan), refusal\n"
	      "     (merge), a signature that does not verify (dkim verify),\n"
	      "     an address outside the lists (allowlist check), a\n"
	      "     failed input (reports ingest)\n"
	      "  2  usage or input error\n"
	      "  3  could not complete: DNS failed (temperror)\n"
	      "\nSee senderkit(1) and senderkit-COMMAND(1) for each command;\n"
	      "senderkit-config(5), senderkit-profile(5).\n",
	      f);
}

static const struct command *
find_command(const char *name)
{
	size_t i;

	for (i = 0; i < NCOMMANDS; i++)
		if (strcmp(commands[i].name, name) == 0)
			return &commands[i];
	return NULL;
}

int
main(int argc, char **argv)
{
	const struct command *c;
	int rc;

	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--version") == 0 ||
	    strcmp(argv[1], "-V") == 0) {
		printf("senderkit %s\n", sk_version());
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	if (strcmp(argv[1], "help") == 0) {
		if (argc < 3) {
			usage(stdout);
			return CLI_EXIT_OK;
		}
		c = find_command(argv[2]);
		if (c == NULL) {
			cli_error("unknown command '%s'", argv[2]);
			return CLI_EXIT_USAGE;
		}
		c->usage(stdout);
		return CLI_EXIT_OK;
	}
	c = find_command(argv[1]);
	if (c == NULL) {
		if (argv[1][0] == '-')
			cli_error("unknown option '%s'", argv[1]);
		else
			cli_error("unknown command '%s'", argv[1]);
		fputs("Try 'senderkit --help' for more information.\n",
		      stderr);
		return CLI_EXIT_USAGE;
	}
	rc = c->run(argc - 1, argv + 1);
	if (fflush(stdout) != 0 && rc == CLI_EXIT_OK) {
		cli_error("cannot write output");
		rc = CLI_EXIT_DNS;
	}
	return rc;
}
