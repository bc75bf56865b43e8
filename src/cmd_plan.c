/*
 * src/cmd_plan.c - senderkit plan: every DNS record an organization must
 * publish for its provider, from its config and the provider's profile,
 * as a diff against DNS when a DNS source is given; printed as zone-file
 * lines, an nsupdate script (RFC 2136) or JSON (schema senderkit-plan/1,
 * documented in senderkit-plan(1)).
 *
 * Without --zone, --server or --live the plan is not a diff: the system
 * resolver is never used unless asked for, so that a plan made on a
 * laptop or in CI does not depend on whatever DNS happens to answer.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_CONFIG = CLI_OPT_FIRST_CMD,
	OPT_PROFILE,
	OPT_FORMAT,
	OPT_NSUPDATE_SERVER,
	OPT_NSUPDATE_KEY,
	OPT_NO_DIFF,
	OPT_LIVE,
	OPT_NO_KEEP,
	OPT_OVER_LIMIT,
};

enum fmt {
	FMT_ZONE = 0,
	FMT_NSUPDATE,
	FMT_JSON,
};

void
cmd_plan_usage(FILE *f)
{
	fputs("Usage: senderkit plan --config FILE [options]\n"
	      "\nEvery DNS record the organization of FILE must publish for "
	      "its\nprovider (landing and tracking CNAMEs, SPF, DKIM, DMARC, "
	      "MX,\nbranded return-path, DMARC report authorization), each "
	      "with\nwhy and where the rule comes from.  With a DNS source "
	      "the plan\nis a diff: keep, add, change or remove; without one "
	      "every\nrecord is to add (no DNS is asked: the system resolver "
	      "is used\nonly with --live).\n"
	      "\nOptions:\n"
	      "  --config FILE          the organization config (required)\n"
	      "  --profile NAME|FILE    provider profile (default: the "
	      "config's)\n"
	      "  --format F             zone (default), nsupdate or json\n"
	      "  --json                 the same as --format json\n"
	      "  --nsupdate-server IP[:PORT]  \"server\" line of the "
	      "nsupdate script\n"
	      "  --nsupdate-key '[ALG:]NAME SECRET'  TSIG \"key\" line\n"
	      "  --no-keep              zone format: leave out records "
	      "already published\n"
	      "  --allow-spf-over-limit plan a merged SPF record even over "
	      "10 lookups\n"
	      "  --no-diff              do not ask DNS even with a DNS "
	      "option\n"
	      "  --zone FILE            diff against a zone file "
	      "(repeatable)\n"
	      "  --server IP[:PORT]     diff against this DNS server\n"
	      "  --live                 diff through the system resolvers\n"
	      "  --timeout MS           per-try timeout (--server, --live)\n"
	      "  -h, --help             this help\n"
	      "\nConfig errors are printed as FILE:LINE: KEY: message.\n"
	      "Exit: 0 plan made, 1 a plan finding of error severity (SPF "
	      "over\n10 lookups, CNAME at a zone apex, ...), 2 usage or "
	      "config\nerror, 3 DNS failed for every question.  See "
	      "senderkit-plan(1).\n", f);
}

/* "FILE:LINE: KEY: message" (the finding's subject is "FILE:LINE: KEY"
 * or "KEY"). */
static void
print_config_finding(const struct sk_finding *f)
{
	if (f->severity == SK_SEV_ERROR)
		cli_error("%s: %s [%s]", f->subject, f->message, f->id);
	else
		cli_warn("%s: %s [%s]", f->subject, f->message, f->id);
}

/* Validation of the config against the profile; CLI_EXIT_USAGE when
 * any finding is an error. */
static int
validate(const struct sk_org_config *c, const struct sk_profile *p,
	 bool quiet_info)
{
	struct sk_findings *vf = NULL;
	const struct sk_finding *f;
	struct sk_err err;
	size_t i;
	int rc = CLI_EXIT_OK;

	sk_err_clear(&err);
	if (sk_config_validate(c, p, &vf, &err) != SK_OK) {
		cli_error("cannot validate the config: %s", err.msg);
		return CLI_EXIT_USAGE;
	}
	for (i = 0; i < sk_findings_count(vf); i++) {
		f = sk_findings_get(vf, i);
		if (f->severity == SK_SEV_INFO && quiet_info)
			continue;
		print_config_finding(f);
		if (f->severity == SK_SEV_ERROR)
			rc = CLI_EXIT_USAGE;
	}
	sk_findings_free(vf);
	return rc;
}

static void
print_findings_stderr(const struct sk_findings *fl)
{
	const struct sk_finding *f;
	size_t i;

	for (i = 0; i < sk_findings_count(fl); i++) {
		f = sk_findings_get(fl, i);
		fprintf(stderr, "senderkit: plan: %s %s: %s%s%s%s\n",
			sk_severity_str(f->severity), f->id, f->message,
			f->ref[0] ? " (" : "", f->ref, f->ref[0] ? ")" : "");
	}
}

static json_t *
plan_json(const struct sk_plan *pl, const struct sk_org_config *c,
	  const struct sk_profile *p, bool diff)
{
	const struct sk_plan_record *r;
	json_t *o, *recs, *jr;
	size_t i;

	o = json_object();
	recs = json_array();
	if (o == NULL || recs == NULL) {
		json_decref(o);
		json_decref(recs);
		return NULL;
	}
	json_object_set_new(o, "schema", json_string("senderkit-plan/1"));
	cli_json_set_str(o, "organization", c->name);
	cli_json_set_str(o, "profile", p->id);
	json_object_set_new(o, "diff", json_boolean(diff));
	json_object_set_new(o, "changes",
			    json_integer((json_int_t)sk_plan_changes(pl)));
	for (i = 0; i < sk_plan_count(pl); i++) {
		r = sk_plan_get(pl, i);
		jr = json_object();
		if (jr == NULL)
			break;
		cli_json_set_str(jr, "action", sk_plan_action_str(r->action));
		cli_json_set_str(jr, "purpose", r->purpose);
		cli_json_set_str(jr, "zone", r->zone);
		cli_json_set_str(jr, "name", r->name);
		cli_json_set_str(jr, "type", sk_dns_type_str(r->type));
		json_object_set_new(jr, "ttl", json_integer(r->ttl));
		cli_json_set_str(jr, "rdata", r->rdata);
		cli_json_set_str(jr, "value", r->value);
		cli_json_set_str(jr, "old_rdata", r->old_rdata);
		cli_json_set_str(jr, "why", r->why);
		cli_json_set_str(jr, "source", r->source);
		json_array_append_new(recs, jr);
	}
	json_object_set_new(o, "records", recs);
	json_object_set_new(o, "findings",
			    cli_findings_json(sk_plan_findings(pl)));
	return o;
}

/* The profile: --profile, else the config's "profile" key. */
static int
load_profile(const char *name, struct sk_profile **out)
{
	struct sk_err err;
	char *path = NULL;
	sk_status st;

	sk_err_clear(&err);
	st = sk_profile_find(name, NULL, &path, &err);
	if (st != SK_OK) {
		cli_error("%s", err.msg[0] ? err.msg : sk_strerror(st));
		return CLI_EXIT_USAGE;
	}
	st = sk_profile_load(path, out, &err);
	free(path);
	if (st != SK_OK) {
		cli_error("%s", err.msg[0] ? err.msg : sk_strerror(st));
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

static bool
has_finding(const struct sk_findings *fl, const char *id)
{
	size_t i;

	for (i = 0; i < sk_findings_count(fl); i++)
		if (strcmp(sk_findings_get(fl, i)->id, id) == 0)
			return true;
	return false;
}

int
cmd_plan(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DNS_LONGOPTS,
		{"json", no_argument, NULL, CLI_OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"profile", required_argument, NULL, OPT_PROFILE},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"nsupdate-server", required_argument, NULL,
		 OPT_NSUPDATE_SERVER},
		{"nsupdate-key", required_argument, NULL, OPT_NSUPDATE_KEY},
		{"no-diff", no_argument, NULL, OPT_NO_DIFF},
		{"live", no_argument, NULL, OPT_LIVE},
		{"no-keep", no_argument, NULL, OPT_NO_KEEP},
		{"allow-spf-over-limit", no_argument, NULL, OPT_OVER_LIMIT},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = "plan";
	const char *config = NULL, *profile = NULL;
	struct sk_plan_render_opts ro = {.include_keep = true};
	struct sk_plan_opts po = {0};
	struct sk_org_config *c = NULL;
	struct sk_profile *p = NULL;
	struct sk_resolver *r = NULL;
	struct sk_plan *pl = NULL;
	const struct sk_findings *fl;
	struct cli_dns d;
	struct sk_err err;
	enum fmt format = FMT_ZONE;
	bool no_diff = false, live = false, diff;
	char *text = NULL;
	int c_opt, rc;
	sk_status st;

	memset(&d, 0, sizeof(d));
	cli_getopt_reset();
	for (;;) {
		c_opt = cli_getopt(cmd, argc, argv, "h", longopts);
		if (c_opt == -1)
			break;
		if (c_opt == -2)
			return CLI_EXIT_USAGE;
		if (cli_dns_option(cmd, &d, c_opt, optarg, &rc)) {
			if (rc != 0)
				return rc;
			continue;
		}
		switch (c_opt) {
		case 'h':
			cmd_plan_usage(stdout);
			return CLI_EXIT_OK;
		case CLI_OPT_JSON:
			format = FMT_JSON;
			break;
		case OPT_CONFIG:
			config = optarg;
			break;
		case OPT_PROFILE:
			profile = optarg;
			break;
		case OPT_FORMAT:
			if (strcmp(optarg, "zone") == 0)
				format = FMT_ZONE;
			else if (strcmp(optarg, "nsupdate") == 0)
				format = FMT_NSUPDATE;
			else if (strcmp(optarg, "json") == 0)
				format = FMT_JSON;
			else
				return cli_usage(cmd, "--format wants zone, "
						 "nsupdate or json, not '%s'",
						 optarg);
			break;
		case OPT_NSUPDATE_SERVER:
			ro.server = optarg;
			break;
		case OPT_NSUPDATE_KEY:
			ro.tsig = optarg;
			break;
		case OPT_NO_DIFF:
			no_diff = true;
			break;
		case OPT_LIVE:
			live = true;
			break;
		case OPT_NO_KEEP:
			ro.include_keep = false;
			break;
		case OPT_OVER_LIMIT:
			po.no_refuse_spf_limit = true;
			break;
		default:
			return cli_usage(cmd, "unexpected option");
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind]);
	if (config == NULL)
		return cli_usage(cmd, "--config FILE is required");
	if (live && (d.server != NULL || d.nzones > 0))
		return cli_usage(cmd, "--live cannot be combined with --zone "
				 "or --server");

	sk_err_clear(&err);
	st = sk_config_load(config, &c, &err);
	if (st != SK_OK) {
		cli_error("%s", err.msg[0] ? err.msg : sk_strerror(st));
		return CLI_EXIT_USAGE;
	}
	if (profile == NULL)
		profile = c->profile;
	if (profile == NULL) {
		cli_error("%s: no profile: set \"profile = NAME\" in "
			  "[organization] or give --profile", config);
		rc = CLI_EXIT_USAGE;
		goto out;
	}
	rc = load_profile(profile, &p);
	if (rc != CLI_EXIT_OK)
		goto out;
	rc = validate(c, p, true);
	if (rc != CLI_EXIT_OK)
		goto out;

	diff = !no_diff && (live || d.server != NULL || d.nzones > 0);
	if (diff) {
		rc = cli_resolver(&d, &r);
		if (rc != CLI_EXIT_OK)
			goto out;
	}
	st = sk_plan_build(r, p, c, &po, &pl, &err);
	if (st != SK_OK) {
		cli_error("plan: %s", err.msg[0] ? err.msg : sk_strerror(st));
		rc = st == SK_ENOMEM ? CLI_EXIT_DNS : CLI_EXIT_USAGE;
		goto out;
	}
	fl = sk_plan_findings(pl);
	if (format == FMT_JSON) {
		json_t *o = plan_json(pl, c, p, diff);

		if (o == NULL) {
			cli_error("out of memory");
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		cli_json_print(o, false);
	} else {
		st = sk_plan_render(pl, format == FMT_ZONE ? SK_PLAN_ZONE :
				    SK_PLAN_NSUPDATE, &ro, &text, &err);
		if (st != SK_OK) {
			cli_error("plan: %s", err.msg[0] ? err.msg :
				  sk_strerror(st));
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		fputs(text, stdout);
		/* Findings on stderr: stdout stays a script or a zone. */
		print_findings_stderr(fl);
	}
	if (has_finding(fl, "plan-dns-unreachable"))
		rc = CLI_EXIT_DNS;
	else if (sk_findings_max_severity(fl) == SK_SEV_ERROR)
		rc = CLI_EXIT_FINDINGS;
	else
		rc = CLI_EXIT_OK;
out:
	free(text);
	sk_plan_free(pl);
	sk_resolver_free(r);
	sk_profile_free(p);
	sk_config_free(c);
	return rc;
}
