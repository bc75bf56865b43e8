/*
 * src/cmd_https.c - `senderkit https check HOST`: TLS, certificate, plain
 * HTTP, HSTS on the host and its registrable parent, HSTS preload, CAA
 * (lib/https), as text or JSON.
 */
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_CA_DIR = CLI_OPT_FIRST_CMD,
	OPT_ROLE,
	OPT_CAA_ALLOW,
	OPT_PROFILE,
	OPT_PSL,
	OPT_HTTPS_TIMEOUT,
};

#define HTTPS_MAX_CAA 32

void
cmd_https_usage(FILE *f)
{
	fputs("Usage: senderkit https check HOST [options]\n"
	      "\nTLS handshake (SNI), certificate chain, names and expiry, "
	      "what plain\nHTTP does, the HSTS header of the host and of "
	      "its registrable parent,\nHSTS preload, and the CAA records "
	      "that govern the host (senderkit-https(1)).\n"
	      "\nOptions:\n"
	      "  --connect-to H:P:IP:P  connect there for host H port P "
	      "(H, P empty: any);\n"
	      "                       IP:PORT alone maps port 443 "
	      "(repeatable)\n"
	      "  --ca-file FILE       CA bundle (PEM); default: the "
	      "system's\n"
	      "  --ca-dir DIR         hashed CA directory\n"
	      "  --hsts-preload FILE  Chromium's preload list "
	      "(transport_security_state_static.json)\n"
	      "  --role ROLE          landing or tracking (wording, "
	      "profile data)\n"
	      "  --profile P          take tls_note and caa_allow of "
	      "--role from profile P\n"
	      "  --caa-allow CA       a CA domain CAA must allow "
	      "(repeatable)\n"
	      "  --psl FILE           public suffix list (default: "
	      "libpsl's)\n"
	      "  --https-timeout MS   per connection (default 5000)\n"
	      "  --json               JSON output\n"
	      "  --zone FILE          DNS from a zone file: CAA only, no "
	      "probes\n"
	      "  --server IP[:PORT]   ask this DNS server\n"
	      "  --timeout MS         per-try DNS timeout\n"
	      "\nExit: 0 no error, 1 a check failed with error severity, "
	      "2 usage,\n3 DNS failed.\n", f);
}

static json_t *
probe_json(const struct sk_https_probe *p)
{
	json_t *o = json_object();

	cli_json_set_str(o, "host", p->host);
	json_object_set_new(o, "probed", json_boolean(p->probed));
	cli_json_set_str(o, "address", p->address);
	json_object_set_new(o, "tcp", json_boolean(p->tcp));
	json_object_set_new(o, "tls", json_boolean(p->tls));
	cli_json_set_str(o, "tls_error", p->tls_error);
	json_object_set_new(o, "trusted", json_boolean(p->trusted));
	json_object_set_new(o, "verify_code", json_integer(p->verify_code));
	cli_json_set_str(o, "verify_error", p->verify_error);
	json_object_set_new(o, "self_signed", json_boolean(p->self_signed));
	json_object_set_new(o, "name_ok", json_boolean(p->name_ok));
	cli_json_set_str(o, "subject", p->subject);
	cli_json_set_str(o, "issuer", p->issuer);
	cli_json_set_str(o, "names", p->names);
	json_object_set_new(o, "not_after", json_integer(p->not_after));
	json_object_set_new(o, "days_left", json_integer(p->days_left));
	json_object_set_new(o, "https_ok", json_boolean(p->https_ok));
	json_object_set_new(o, "https_status", json_integer(p->https_status));
	if (p->hsts_present) {
		json_t *h = json_object();

		cli_json_set_str(h, "header", p->hsts_header);
		json_object_set_new(h, "valid", json_boolean(p->hsts_valid));
		if (p->hsts_valid) {
			json_object_set_new(h, "max_age",
					    json_integer((json_int_t)
							 p->hsts.max_age));
			json_object_set_new(h, "include_subdomains",
				json_boolean(p->hsts.include_subdomains));
			json_object_set_new(h, "preload",
					    json_boolean(p->hsts.preload));
		} else {
			cli_json_set_str(h, "error", p->hsts_error);
		}
		json_object_set_new(o, "hsts", h);
	} else {
		json_object_set_new(o, "hsts", json_null());
	}
	json_object_set_new(o, "http_ok", json_boolean(p->http_ok));
	json_object_set_new(o, "http_status", json_integer(p->http_status));
	cli_json_set_str(o, "http_location", p->http_location);
	json_object_set_new(o, "http_to_https",
			    json_boolean(p->http_to_https));
	return o;
}

static json_t *
check_json(const struct sk_check *c)
{
	json_t *o = json_object();

	cli_json_set_str(o, "id", c->id);
	cli_json_set_str(o, "status", sk_check_status_str(c->status));
	cli_json_set_str(o, "severity", c->status == SK_CHECK_FAIL ?
			 sk_severity_str(c->severity) : NULL);
	cli_json_set_str(o, "subject", c->subject);
	cli_json_set_str(o, "message", c->message);
	cli_json_set_str(o, "evidence", c->evidence);
	cli_json_set_str(o, "fix", c->fix);
	cli_json_set_str(o, "source", c->source);
	return o;
}

/* Terminal-safe text: control bytes as \xNN (certificate fields and
 * headers come from the network). */
static void
put_safe(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c < 0x20 || c == 0x7f)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
}

static void
print_text(const struct sk_https_report *rep)
{
	size_t i, n = sk_https_report_count(rep);

	for (i = 0; i < n; i++) {
		const struct sk_check *c = sk_https_report_get(rep, i);
		const char *tag = c->status == SK_CHECK_PASS ? "PASS" :
			c->status == SK_CHECK_SKIP ? "SKIP" :
			c->status == SK_CHECK_DNSFAIL ? "DNSFAIL" :
			c->severity == SK_SEV_ERROR ? "ERROR" :
			c->severity == SK_SEV_WARNING ? "WARN" : "INFO";

		printf("%-7s %-18s ", tag, c->id);
		put_safe(c->message);
		putchar('\n');
		if (c->evidence[0] != '\0') {
			fputs("        seen: ", stdout);
			put_safe(c->evidence);
			putchar('\n');
		}
		if (c->status == SK_CHECK_FAIL && c->fix[0] != '\0') {
			fputs("        fix: ", stdout);
			put_safe(c->fix);
			putchar('\n');
		}
	}
}

struct args {
	const char *host;
	struct cli_https ho; /* --connect-to, --ca-file, --hsts-preload */
	const char *caa[HTTPS_MAX_CAA];
	size_t ncaa;
	const char *profile;
	struct sk_https_opts o;
	struct cli_dns dns;
	bool json;
};

static int
parse(int argc, char **argv, struct args *a)
{
	static const char cmd[] = "https check";
	static const struct option longopts[] = {
		{"json", no_argument, NULL, CLI_OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		CLI_HTTPS_LONGOPTS,
		{"ca-dir", required_argument, NULL, OPT_CA_DIR},
		{"role", required_argument, NULL, OPT_ROLE},
		{"caa-allow", required_argument, NULL, OPT_CAA_ALLOW},
		{"profile", required_argument, NULL, OPT_PROFILE},
		{"psl", required_argument, NULL, OPT_PSL},
		{"https-timeout", required_argument, NULL, OPT_HTTPS_TIMEOUT},
		CLI_DNS_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	unsigned long v;
	int opt, rc;

	cli_getopt_reset();
	for (;;) {
		opt = cli_getopt(cmd, argc, argv, "h", longopts);
		if (opt == -1)
			break;
		if (opt == -2)
			return CLI_EXIT_USAGE;
		if (cli_dns_option(cmd, &a->dns, opt, optarg, &rc) ||
		    cli_https_option(cmd, &a->ho, opt, optarg, &rc)) {
			if (rc != 0)
				return rc;
			continue;
		}
		switch (opt) {
		case 'h':
			cmd_https_usage(stdout);
			return CLI_EXIT_OK;
		case CLI_OPT_JSON:
			a->json = true;
			break;
		case OPT_CA_DIR:
			a->o.ca_dir = optarg;
			break;
		case OPT_ROLE:
			if (strcmp(optarg, "landing") != 0 &&
			    strcmp(optarg, "tracking") != 0)
				return cli_usage(cmd, "--role: landing or "
						 "tracking");
			a->o.role = optarg;
			break;
		case OPT_CAA_ALLOW:
			if (a->ncaa == HTTPS_MAX_CAA)
				return cli_usage(cmd, "too many --caa-allow");
			a->caa[a->ncaa++] = optarg;
			break;
		case OPT_PROFILE:
			a->profile = optarg;
			break;
		case OPT_PSL:
			a->o.psl_path = optarg;
			break;
		case OPT_HTTPS_TIMEOUT:
			if (!cli_parse_uint(optarg, 1, 600000, &v))
				return cli_usage(cmd, "--https-timeout: "
						 "milliseconds, 1..600000");
			a->o.timeout_ms = (unsigned)v;
			break;
		default:
			return cli_usage(cmd, "unexpected option");
		}
	}
	if (optind + 1 != argc)
		return cli_usage(cmd, "one HOST expected");
	a->host = argv[optind];
	if (a->profile != NULL && a->o.role == NULL)
		return cli_usage(cmd, "--profile needs --role");
	return -1;
}

static int
https_check(int argc, char **argv)
{
	struct args a;
	struct sk_resolver *r = NULL;
	struct sk_hsts_preload *pl = NULL;
	struct sk_profile *prof = NULL;
	struct sk_https_report *rep = NULL;
	struct sk_err err;
	char *ppath = NULL;
	sk_status st;
	int rc;

	memset(&a, 0, sizeof(a));
	sk_err_clear(&err);
	rc = parse(argc, argv, &a);
	if (rc >= 0)
		return rc;
	a.o.connect_to = a.ho.connect_to;
	a.o.nconnect_to = a.ho.nconnect_to;
	a.o.ca_file = a.ho.ca_file;
	a.o.no_probe = a.dns.nzones > 0;
	if (a.profile != NULL) {
		const struct sk_profile_host *h;

		st = sk_profile_find(a.profile, NULL, &ppath, &err);
		if (st == SK_OK)
			st = sk_profile_load(ppath, &prof, &err);
		free(ppath);
		if (st != SK_OK) {
			cli_error("%s", err.msg);
			return CLI_EXIT_USAGE;
		}
		h = sk_profile_host(prof, a.o.role);
		if (h != NULL) {
			a.o.tls_note = h->tls_note;
			for (size_t i = 0; i < h->ncaa_allow &&
			     a.ncaa < HTTPS_MAX_CAA; i++)
				a.caa[a.ncaa++] = h->caa_allow[i];
		}
	}
	a.o.caa_allow = a.caa;
	a.o.ncaa_allow = a.ncaa;
	rc = cli_hsts_preload(&a.ho, &pl);
	if (rc != CLI_EXIT_OK) {
		sk_profile_free(prof);
		return rc;
	}
	a.o.preload = pl;
	rc = cli_resolver(&a.dns, &r);
	if (rc != CLI_EXIT_OK)
		goto out;
	st = sk_https_check(r, a.host, &a.o, &rep, &err);
	if (st != SK_OK) {
		cli_error("%s", err.msg[0] ? err.msg : sk_strerror(st));
		rc = st == SK_ENOMEM ? CLI_EXIT_DNS : CLI_EXIT_USAGE;
		goto out;
	}
	if (a.json) {
		json_t *doc = json_object(), *arr = json_array();
		const struct sk_https_caa *caa = sk_https_report_caa(rep);
		json_t *jc = json_object();

		cli_json_set_str(doc, "host", a.host);
		json_object_set_new(doc, "probe",
				    probe_json(sk_https_report_host(rep)));
		json_object_set_new(doc, "parent",
				    probe_json(sk_https_report_parent(rep)));
		cli_json_set_str(jc, "status", sk_dns_status_str(caa->status));
		cli_json_set_str(jc, "owner", caa->owner);
		cli_json_set_str(jc, "records", caa->records);
		cli_json_set_str(jc, "issuers", caa->issuers);
		json_object_set_new(doc, "caa", jc);
		for (size_t i = 0; i < sk_https_report_count(rep); i++)
			json_array_append_new(arr,
				check_json(sk_https_report_get(rep, i)));
		json_object_set_new(doc, "checks", arr);
		cli_json_print(doc, false);
	} else {
		print_text(rep);
	}
	rc = CLI_EXIT_OK;
	for (size_t i = 0; i < sk_https_report_count(rep); i++) {
		const struct sk_check *c = sk_https_report_get(rep, i);

		if (c->status == SK_CHECK_FAIL && c->severity == SK_SEV_ERROR)
			rc = CLI_EXIT_FINDINGS;
		else if (c->status == SK_CHECK_DNSFAIL && rc == CLI_EXIT_OK)
			rc = CLI_EXIT_DNS;
	}
out:
	sk_https_report_free(rep);
	sk_resolver_free(r);
	sk_hsts_preload_free(pl);
	sk_profile_free(prof);
	return rc;
}

int
cmd_https(int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
		{"check", https_check},
	};

	return cli_dispatch("https", argc, argv, subs,
			    sizeof(subs) / sizeof(subs[0]), cmd_https_usage);
}
