/*
 * src/cmd_dmarc.c - `senderkit dmarc lint|orgdomain|record`: a thin layer
 * over the DMARC module of libsenderkit (RFC 9989, with RFC 7489 where
 * receivers of the older generation differ; RFC 9990 section 4).
 *
 *   lint       findings about the policy of a domain (discovery by the
 *              tree walk or the PSL) or a record given as text;
 *   orgdomain  the organizational domain of a name, either way or both;
 *   record     build a record from options, validated.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_DISCOVERY = CLI_OPT_FIRST_CMD,
	OPT_PROFILE,
	OPT_RECORD,
	OPT_DOMAIN,
	OPT_NO_DNS,
	OPT_PSL,
	OPT_P,
	OPT_SP,
	OPT_NP,
	OPT_T,
	OPT_ADKIM,
	OPT_ASPF,
	OPT_FO,
	OPT_PSD,
	OPT_PCT,
	OPT_RUA,
	OPT_RUF,
};

static const char dns_opts_help[] =
	"  --zone FILE         answer DNS from a zone file (repeatable)\n"
	"  --server IP[:PORT]  ask this DNS server (live backend)\n"
	"  --timeout MS        per-try DNS timeout (live backend)\n";

static void
lint_usage(FILE *f)
{
	fputs("Usage: senderkit dmarc lint DOMAIN [options]\n"
	      "       senderkit dmarc lint --record 'v=DMARC1; ...' "
	      "[--domain D] [options]\n"
	      "\nReport problems of the DMARC policy that applies to DOMAIN "
	      "(found by\nRFC 9989 discovery, or RFC 7489 with --discovery "
	      "psl) or of a record\ngiven as text.\n"
	      "\nOptions:\n"
	      "  --discovery M       treewalk (default, RFC 9989) or psl "
	      "(RFC 7489)\n"
	      "  --profile marketo   sender platform advice (aspf=s is not "
	      "supported)\n"
	      "  --record TEXT       lint this text instead of DNS data\n"
	      "  --domain D          where --record would be published\n"
	      "  --no-dns            with --record: skip the DNS checks\n"
	      "  --psl FILE          public_suffix_list.dat to use (default: "
	      "the system's)\n"
	      "  --json              one JSON object (see docs/json.md)\n",
	      f);
	fputs(dns_opts_help, f);
	fputs("  -h, --help          this help\n"
	      "\nExit codes: 0 no error finding, 1 error findings, 2 usage "
	      "error,\n3 DNS failed before the policy could be read.\n", f);
}

static void
orgdomain_usage(FILE *f)
{
	fputs("Usage: senderkit dmarc orgdomain NAME [options]\n"
	      "\nThe organizational domain of NAME: RFC 9989 tree walk "
	      "(section 4.10.2)\nor RFC 7489 Public Suffix List (section "
	      "3.2).\n"
	      "\nOptions:\n"
	      "  --discovery M       treewalk (default), psl or both (prints "
	      "both and\n"
	      "                      whether they agree)\n"
	      "  --psl FILE          public_suffix_list.dat to use\n"
	      "  --json              one JSON object\n", f);
	fputs(dns_opts_help, f);
	fputs("  -h, --help          this help\n"
	      "\nExit codes: 0 done, 2 usage error, 3 DNS failed.\n", f);
}

static void
record_usage(FILE *f)
{
	fputs("Usage: senderkit dmarc record --p none|quarantine|reject "
	      "[options]\n"
	      "\nPrint a valid DMARC record (RFC 9989 section 4.7).\n"
	      "\nOptions:\n"
	      "  --p P               policy (required)\n"
	      "  --sp P, --np P      subdomain and non-existent subdomain "
	      "policy\n"
	      "  --rua URI           aggregate report URI (repeatable; a bare "
	      "address\n"
	      "                      gets mailto:)\n"
	      "  --ruf URI           failure report URI (repeatable)\n"
	      "  --t y|n             test mode\n"
	      "  --adkim r|s, --aspf r|s  alignment modes\n"
	      "  --fo OPTS           failure reporting options (0, 1, d, s)\n"
	      "  --psd y|n|u         public suffix domain flag\n"
	      "  --pct N             RFC 7489 only (warning: removed by RFC "
	      "9989)\n"
	      "  --json              one JSON object\n"
	      "  -h, --help          this help\n"
	      "\nExit codes: 0 done, 2 a bad option (named).\n", f);
}

void
cmd_dmarc_usage(FILE *f)
{
	fputs("Usage: senderkit dmarc <subcommand> [options]\n"
	      "\nSubcommands:\n"
	      "  lint        findings about a DMARC policy (domain or "
	      "record)\n"
	      "  orgdomain   organizational domain (tree walk, PSL or "
	      "both)\n"
	      "  record      build a valid DMARC record\n"
	      "\n'senderkit dmarc <subcommand> --help' for each one's "
	      "options.\n", f);
}

static bool
parse_method(const char *s, enum sk_dmarc_method *m)
{
	if (strcmp(s, "treewalk") == 0)
		*m = SK_DMARC_TREEWALK;
	else if (strcmp(s, "psl") == 0)
		*m = SK_DMARC_PSL;
	else
		return false;
	return true;
}

static int
load_psl(const char *path, struct sk_dmarc_psl **out)
{
	struct sk_err err;

	sk_err_clear(&err);
	if (sk_dmarc_psl_load(path, out, &err) != SK_OK) {
		cli_error("%s", err.msg);
		return path != NULL ? CLI_EXIT_USAGE : CLI_EXIT_DNS;
	}
	return CLI_EXIT_OK;
}

/* --------------------------------------------------------- JSON */

static json_t *
record_json(const struct sk_dmarc_record *rec)
{
	json_t *j, *tags, *t, *arr, *ju;
	char fo[16];
	size_t i, k, n;
	const struct sk_dmarc_uri *u;
	unsigned tag;

	if (rec == NULL)
		return json_null();
	j = json_object();
	json_object_set_new(j, "text", cli_json_bytes(rec->text, rec->len));
	tags = json_object();
	for (tag = SK_DMARC_TAG_P; tag < SK_DMARC_TAG_UNKNOWN; tag++) {
		const char *v = NULL;

		t = json_object();
		switch ((enum sk_dmarc_tag)tag) {
		case SK_DMARC_TAG_P:
			v = sk_dmarc_policy_str(rec->p);
			break;
		case SK_DMARC_TAG_SP:
			v = sk_dmarc_policy_str(rec->sp);
			break;
		case SK_DMARC_TAG_NP:
			v = sk_dmarc_policy_str(rec->np);
			break;
		case SK_DMARC_TAG_PSD:
			v = sk_dmarc_psd_str(rec->psd);
			break;
		case SK_DMARC_TAG_T:
			v = rec->t ? "y" : "n";
			break;
		case SK_DMARC_TAG_ADKIM:
			v = rec->adkim == SK_DMARC_ALIGN_STRICT ? "s" : "r";
			break;
		case SK_DMARC_TAG_ASPF:
			v = rec->aspf == SK_DMARC_ALIGN_STRICT ? "s" : "r";
			break;
		case SK_DMARC_TAG_FO:
			n = 0;
			if (rec->fo & SK_DMARC_FO_0)
				n += (size_t)snprintf(fo + n, sizeof(fo) - n,
						      "0:");
			if (rec->fo & SK_DMARC_FO_1)
				n += (size_t)snprintf(fo + n, sizeof(fo) - n,
						      "1:");
			if (rec->fo & SK_DMARC_FO_D)
				n += (size_t)snprintf(fo + n, sizeof(fo) - n,
						      "d:");
			if (rec->fo & SK_DMARC_FO_S)
				n += (size_t)snprintf(fo + n, sizeof(fo) - n,
						      "s:");
			if (n > 0)
				fo[n - 1] = '\0';
			else
				fo[0] = '\0';
			v = fo;
			break;
		case SK_DMARC_TAG_PCT:
			json_object_set_new(t, "value",
					    json_integer(rec->pct));
			break;
		case SK_DMARC_TAG_RI:
			json_object_set_new(t, "value", json_integer(rec->ri));
			break;
		case SK_DMARC_TAG_RF:
			v = rec->rf == 3 ? "afrf:iodef" : rec->rf == 2 ?
			    "iodef" : "afrf";
			break;
		case SK_DMARC_TAG_RUA:
		case SK_DMARC_TAG_RUF:
			arr = json_array();
			u = tag == SK_DMARC_TAG_RUA ? rec->rua : rec->ruf;
			n = tag == SK_DMARC_TAG_RUA ? rec->nrua : rec->nruf;
			for (k = 0; k < n; k++) {
				ju = json_object();
				cli_json_set_str(ju, "uri", u[k].uri);
				cli_json_set_str(ju, "scheme", u[k].scheme);
				cli_json_set_str(ju, "host", u[k].host);
				json_object_set_new(ju, "size", u[k].has_size ?
						    json_integer((json_int_t)
								 u[k].size) :
						    json_null());
				json_array_append_new(arr, ju);
			}
			json_object_set_new(t, "value", arr);
			break;
		case SK_DMARC_TAG_V:
		case SK_DMARC_TAG_UNKNOWN:
			break;
		}
		if (v != NULL)
			cli_json_set_str(t, "value", v);
		json_object_set_new(t, "explicit", json_boolean(
			sk_dmarc_record_explicit(rec, (enum sk_dmarc_tag)tag)));
		json_object_set_new(t, "invalid", json_boolean(
			(rec->invalid_tags & (1u << tag)) != 0));
		json_object_set_new(tags, sk_dmarc_tag_str(
			(enum sk_dmarc_tag)tag), t);
	}
	json_object_set_new(j, "tags", tags);
	arr = json_array();
	for (i = 0; i < rec->ntags; i++)
		if (rec->tags[i].tag == SK_DMARC_TAG_UNKNOWN)
			json_array_append_new(arr,
					      cli_json_str(rec->tags[i].name));
	json_object_set_new(j, "unknown_tags", arr);
	json_object_set_new(j, "p_missing", json_boolean(rec->p_missing));
	json_object_set_new(j, "usable", json_boolean(rec->usable));
	json_object_set_new(j, "fallback_none",
			    json_boolean(rec->fallback_none));
	json_object_set_new(j, "usable_rfc7489",
			    json_boolean(rec->usable_7489));
	json_object_set_new(j, "fallback_none_rfc7489",
			    json_boolean(rec->fallback_none_7489));
	return j;
}

static json_t *
discovery_json(const struct sk_dmarc_discovery *d)
{
	json_t *j, *arr, *q;
	size_t i;

	if (d == NULL)
		return json_null();
	j = json_object();
	cli_json_set_str(j, "method", sk_dmarc_method_str(d->method));
	cli_json_set_str(j, "status", sk_dmarc_disc_status_str(d->status));
	cli_json_set_str(j, "domain", d->domain);
	cli_json_set_str(j, "policy_domain", d->policy_domain);
	cli_json_set_str(j, "org_domain", d->org_domain);
	json_object_set_new(j, "inherited", json_boolean(d->inherited));
	json_object_set_new(j, "exists", d->exists < 0 ? json_null() :
			    json_boolean(d->exists == 1));
	if (d->status == SK_DMARC_DISC_FOUND) {
		cli_json_set_str(j, "policy_tag",
				 sk_dmarc_tag_str(d->policy_tag));
		cli_json_set_str(j, "policy", sk_dmarc_policy_str(d->policy));
	} else {
		json_object_set_new(j, "policy_tag", json_null());
		json_object_set_new(j, "policy", json_null());
	}
	cli_json_set_str(j, "problem", d->problem);
	arr = json_array();
	for (i = 0; i < d->nqueries; i++) {
		q = json_object();
		cli_json_set_str(q, "domain", d->queries[i].domain);
		cli_json_set_str(q, "status",
				 sk_dmarc_qstatus_str(d->queries[i].status));
		cli_json_set_str(q, "record", d->queries[i].text);
		cli_json_set_str(q, "psd", sk_dmarc_psd_str(
					 d->queries[i].psd));
		json_array_append_new(arr, q);
	}
	json_object_set_new(j, "queries", arr);
	return j;
}

/* ------------------------------------------------------------- lint */

struct text_ctx {
	const struct sk_dmarc_record *rec;
};

static const char *
finding_text(void *arg, const struct sk_finding *f)
{
	struct text_ctx *c = arg;

	(void)f;
	return c->rec != NULL ? c->rec->text : NULL;
}

static int
lint_output(const struct sk_dmarc_lint *l, const char *domain,
	    const char *record, enum sk_dmarc_method m, bool json)
{
	const struct sk_findings *f = sk_dmarc_lint_findings(l);
	const struct sk_dmarc_discovery *d = sk_dmarc_lint_discovery(l);
	const struct sk_dmarc_record *rec = sk_dmarc_lint_record_parsed(l);
	const char *other = sk_dmarc_lint_other_org_domain(l);
	int sev = sk_findings_max_severity(f);
	struct text_ctx tc = {rec};
	json_t *j, *o;

	if (json) {
		j = json_object();
		cli_json_set_str(j, "domain", d != NULL ? d->domain : domain);
		cli_json_set_str(j, "method", sk_dmarc_method_str(m));
		json_object_set_new(j, "discovery", discovery_json(d));
		json_object_set_new(j, "record", record_json(rec));
		if (d != NULL) {
			o = json_object();
			cli_json_set_str(o, sk_dmarc_method_str(m),
					 d->org_domain);
			cli_json_set_str(o, m == SK_DMARC_TREEWALK ? "psl" :
					 "treewalk", other);
			json_object_set_new(j, "org_domain", o);
		} else {
			json_object_set_new(j, "org_domain", json_null());
		}
		cli_json_set_str(j, "max_severity", sev < 0 ? NULL :
				 sk_severity_str((enum sk_severity)sev));
		json_object_set_new(j, "findings", cli_findings_json(f));
		cli_json_print(j, false);
	} else {
		if (d != NULL) {
			printf("domain: %s\n", d->domain);
			printf("discovery: %s, %s", sk_dmarc_method_str(m),
			       sk_dmarc_disc_status_str(d->status));
			if (d->policy_domain != NULL)
				printf(", record at _dmarc.%s%s",
				       d->policy_domain,
				       d->inherited ? " (inherited)" : "");
			putchar('\n');
			if (d->status == SK_DMARC_DISC_FOUND)
				printf("policy: %s=%s\n",
				       sk_dmarc_tag_str(d->policy_tag),
				       sk_dmarc_policy_str(d->policy));
			printf("org domain: %s (%s), %s (%s)\n",
			       d->org_domain ? d->org_domain : "-",
			       sk_dmarc_method_str(m), other ? other : "-",
			       m == SK_DMARC_TREEWALK ? "psl" : "treewalk");
		}
		if (rec != NULL)
			printf("record: %s\n", rec->text);
		else if (record != NULL)
			printf("record: %s\n", record);
		putchar('\n');
		cli_findings_text(f, finding_text, &tc);
	}
	if (sk_dmarc_lint_tempfail(l))
		return CLI_EXIT_DNS;
	return sev >= SK_SEV_ERROR ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
}

static int
dmarc_lint(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DNS_LONGOPTS,
		{"json", no_argument, NULL, CLI_OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{"discovery", required_argument, NULL, OPT_DISCOVERY},
		{"profile", required_argument, NULL, OPT_PROFILE},
		{"record", required_argument, NULL, OPT_RECORD},
		{"domain", required_argument, NULL, OPT_DOMAIN},
		{"no-dns", no_argument, NULL, OPT_NO_DNS},
		{"psl", required_argument, NULL, OPT_PSL},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = "dmarc lint";
	struct sk_resolver *r = NULL;
	struct sk_dmarc_lint *l = NULL;
	struct sk_dmarc_lint_opts o;
	struct sk_dmarc_psl *psl = NULL;
	struct cli_dns d;
	struct sk_err err;
	const char *record = NULL, *domain = NULL, *pslpath = NULL;
	bool json = false, nodns = false;
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
			lint_usage(stdout);
			return CLI_EXIT_OK;
		case OPT_DISCOVERY:
			if (!parse_method(optarg, &o.method))
				return cli_usage(cmd, "--discovery wants "
						 "treewalk or psl, not '%s'",
						 optarg);
			break;
		case OPT_PROFILE:
			if (strcmp(optarg, "marketo") != 0)
				return cli_usage(cmd, "unknown --profile '%s' "
						 "(known: marketo)", optarg);
			o.profile_marketo = true;
			break;
		case OPT_RECORD:
			record = optarg;
			break;
		case OPT_DOMAIN:
			domain = optarg;
			break;
		case OPT_NO_DNS:
			nodns = true;
			break;
		case OPT_PSL:
			pslpath = optarg;
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
	rc = load_psl(pslpath, &psl);
	if (rc != CLI_EXIT_OK)
		return rc;
	o.psl = psl;
	if (!nodns) {
		rc = cli_resolver(&d, &r);
		if (rc != CLI_EXIT_OK) {
			sk_dmarc_psl_free(psl);
			return rc;
		}
	}
	sk_err_clear(&err);
	if (record != NULL)
		st = sk_dmarc_lint_record(r, record, strlen(record), domain,
					  &o, &l, &err);
	else
		st = sk_dmarc_lint_domain(r, domain, &o, &l, &err);
	if (st != SK_OK) {
		sk_resolver_free(r);
		sk_dmarc_psl_free(psl);
		if (st == SK_EINVAL || st == SK_ETOOBIG)
			return cli_usage(cmd, "%s", err.msg[0] ? err.msg :
					 sk_strerror(st));
		cli_error("%s", err.msg[0] ? err.msg : sk_strerror(st));
		return CLI_EXIT_DNS;
	}
	rc = lint_output(l, domain, record, o.method, json);
	sk_dmarc_lint_free(l);
	sk_resolver_free(r);
	sk_dmarc_psl_free(psl);
	return rc;
}

/* -------------------------------------------------------- orgdomain */

static int
one_org(struct sk_resolver *r, const char *name, enum sk_dmarc_method m,
	const struct sk_dmarc_psl *psl, struct sk_dmarc_discovery **out)
{
	struct sk_dmarc_opts o;
	struct sk_err err;
	sk_status st;

	memset(&o, 0, sizeof(o));
	o.method = m;
	o.psl = psl;
	sk_err_clear(&err);
	st = sk_dmarc_orgdomain(r, name, &o, out, &err);
	if (st == SK_EINVAL)
		return cli_usage("dmarc orgdomain", "%s", err.msg);
	if (st != SK_OK) {
		cli_error("%s", err.msg[0] ? err.msg : sk_strerror(st));
		return CLI_EXIT_DNS;
	}
	return CLI_EXIT_OK;
}

static int
dmarc_orgdomain(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DNS_LONGOPTS,
		{"json", no_argument, NULL, CLI_OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{"discovery", required_argument, NULL, OPT_DISCOVERY},
		{"psl", required_argument, NULL, OPT_PSL},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = "dmarc orgdomain";
	struct sk_dmarc_discovery *res[2] = {NULL, NULL};
	struct sk_resolver *r = NULL;
	struct sk_dmarc_psl *psl = NULL;
	struct cli_dns d;
	const char *name, *pslpath = NULL;
	bool json = false, both = false, tempfail = false, agree;
	enum sk_dmarc_method m = SK_DMARC_TREEWALK;
	json_t *j, *jm, *dj;
	size_t i, n;
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
			orgdomain_usage(stdout);
			return CLI_EXIT_OK;
		case OPT_DISCOVERY:
			if (strcmp(optarg, "both") == 0)
				both = true;
			else if (!parse_method(optarg, &m))
				return cli_usage(cmd, "--discovery wants "
						 "treewalk, psl or both, not "
						 "'%s'", optarg);
			break;
		case OPT_PSL:
			pslpath = optarg;
			break;
		default:
			return cli_usage(cmd, "unexpected option");
		}
	}
	if (optind >= argc)
		return cli_usage(cmd, "missing NAME");
	name = argv[optind++];
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind]);
	if (both || m == SK_DMARC_PSL) {
		rc = load_psl(pslpath, &psl);
		if (rc != CLI_EXIT_OK)
			return rc;
	}
	rc = cli_resolver(&d, &r);
	if (rc != CLI_EXIT_OK) {
		sk_dmarc_psl_free(psl);
		return rc;
	}
	n = both ? 2 : 1;
	for (i = 0; i < n && rc == CLI_EXIT_OK; i++)
		rc = one_org(r, name, both ? (i == 0 ? SK_DMARC_TREEWALK :
					      SK_DMARC_PSL) : m, psl, &res[i]);
	if (rc != CLI_EXIT_OK)
		goto out;
	for (i = 0; i < n; i++)
		if (res[i]->status == SK_DMARC_DISC_TEMPFAIL)
			tempfail = true;
	agree = both && !tempfail &&
		((res[0]->org_domain == NULL && res[1]->org_domain == NULL) ||
		 (res[0]->org_domain != NULL && res[1]->org_domain != NULL &&
		  strcmp(res[0]->org_domain, res[1]->org_domain) == 0));
	if (json) {
		j = json_object();
		cli_json_set_str(j, "name", res[0]->domain);
		for (i = 0; i < n; i++) {
			jm = json_object();
			cli_json_set_str(jm, "org_domain",
					 res[i]->org_domain);
			cli_json_set_str(jm, "status", sk_dmarc_disc_status_str(
						 res[i]->status));
			dj = discovery_json(res[i]);
			json_object_set(jm, "queries",
					json_object_get(dj, "queries"));
			json_decref(dj);
			json_object_set_new(j, sk_dmarc_method_str(
						    res[i]->method), jm);
		}
		if (both)
			json_object_set_new(j, "agree", json_boolean(agree));
		cli_json_print(j, false);
	} else {
		for (i = 0; i < n; i++) {
			if (res[i]->status == SK_DMARC_DISC_TEMPFAIL)
				printf("%s: DNS failed\n",
				       sk_dmarc_method_str(res[i]->method));
			else if (both)
				printf("%s: %s\n",
				       sk_dmarc_method_str(res[i]->method),
				       res[i]->org_domain ? res[i]->org_domain :
				       "(none: a public suffix)");
			else
				printf("%s\n", res[i]->org_domain ?
				       res[i]->org_domain :
				       "(none: a public suffix)");
		}
		if (both && !tempfail)
			printf("%s\n", agree ? "agree" : "disagree");
	}
	rc = tempfail ? CLI_EXIT_DNS : CLI_EXIT_OK;
out:
	sk_dmarc_discovery_free(res[0]);
	sk_dmarc_discovery_free(res[1]);
	sk_resolver_free(r);
	sk_dmarc_psl_free(psl);
	return rc;
}

/* ----------------------------------------------------------- record */

#define MAX_URIS SK_DMARC_MAX_URIS

static int
dmarc_record(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, CLI_OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{"p", required_argument, NULL, OPT_P},
		{"sp", required_argument, NULL, OPT_SP},
		{"np", required_argument, NULL, OPT_NP},
		{"t", required_argument, NULL, OPT_T},
		{"adkim", required_argument, NULL, OPT_ADKIM},
		{"aspf", required_argument, NULL, OPT_ASPF},
		{"fo", required_argument, NULL, OPT_FO},
		{"psd", required_argument, NULL, OPT_PSD},
		{"pct", required_argument, NULL, OPT_PCT},
		{"rua", required_argument, NULL, OPT_RUA},
		{"ruf", required_argument, NULL, OPT_RUF},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = "dmarc record";
	const char *rua[MAX_URIS], *ruf[MAX_URIS];
	struct sk_dmarc_build b;
	struct sk_err err;
	char *out = NULL;
	bool json = false;
	json_t *j;
	sk_status st;
	int c;

	memset(&b, 0, sizeof(b));
	b.rua = rua;
	b.ruf = ruf;
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
			record_usage(stdout);
			return CLI_EXIT_OK;
		case OPT_P:
			b.p = optarg;
			break;
		case OPT_SP:
			b.sp = optarg;
			break;
		case OPT_NP:
			b.np = optarg;
			break;
		case OPT_T:
			b.t = optarg;
			break;
		case OPT_ADKIM:
			b.adkim = optarg;
			break;
		case OPT_ASPF:
			b.aspf = optarg;
			break;
		case OPT_FO:
			b.fo = optarg;
			break;
		case OPT_PSD:
			b.psd = optarg;
			break;
		case OPT_PCT:
			b.pct = optarg;
			break;
		case OPT_RUA:
			if (b.nrua >= MAX_URIS)
				return cli_usage(cmd, "--rua: at most %d URIs",
						 MAX_URIS);
			rua[b.nrua++] = optarg;
			break;
		case OPT_RUF:
			if (b.nruf >= MAX_URIS)
				return cli_usage(cmd, "--ruf: at most %d URIs",
						 MAX_URIS);
			ruf[b.nruf++] = optarg;
			break;
		default:
			return cli_usage(cmd, "unexpected option");
		}
	}
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind]);
	if (b.p == NULL)
		return cli_usage(cmd, "--p is required (none, quarantine or "
				 "reject)");
	sk_err_clear(&err);
	st = sk_dmarc_build(&b, &out, &err);
	if (st == SK_EINVAL || st == SK_ETOOBIG)
		/* The library's message begins with the tag name. */
		return cli_usage(cmd, "--%s", err.msg);
	if (st != SK_OK) {
		cli_error("%s", err.msg[0] ? err.msg : sk_strerror(st));
		return CLI_EXIT_DNS;
	}
	if (b.pct != NULL)
		cli_warn("--pct: RFC 9989 removed pct; its receivers ignore "
			 "it (use --t y to test a policy)");
	if (json) {
		j = json_object();
		cli_json_set_str(j, "record", out);
		cli_json_print(j, false);
	} else {
		printf("%s\n", out);
	}
	free(out);
	return CLI_EXIT_OK;
}

int
cmd_dmarc(int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
		{"lint", dmarc_lint},
		{"orgdomain", dmarc_orgdomain},
		{"record", dmarc_record},
	};

	return cli_dispatch("dmarc", argc, argv, subs,
			    sizeof(subs) / sizeof(subs[0]), cmd_dmarc_usage);
}
