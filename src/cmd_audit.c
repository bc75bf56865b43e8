/*
 * src/cmd_audit.c - `senderkit audit`: what is published, checked against
 * a provider profile and an organization config (lib/audit), shown to
 * people grouped by check group or as JSON; a bulk mode audits many
 * domains concurrently, one worker thread and resolver each.
 *
 *   audit --config FILE [--profile P]
 *   audit DOMAIN --profile P --munchkin ID [...]    (config built here)
 *   audit --domains FILE --profile P [...] [--jobs N]
 *
 * Text output follows https://no-color.org: color only on a terminal,
 * never when NO_COLOR is set to a non-empty value (unless --color=always).
 * DNS data is hostile: every string printed to a terminal goes through
 * put_safe(), which turns control bytes into "\xNN".
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"

enum {
	OPT_CONFIG = CLI_OPT_FIRST_CMD,
	OPT_PROFILE,
	OPT_MUNCHKIN,
	OPT_ACCOUNT,
	OPT_LANDING,
	OPT_TRACKING,
	OPT_BRANDING,
	OPT_SELECTOR,
	OPT_RETURN_PATH,
	OPT_IP_MODE,
	OPT_DMARC_STAGE,
	OPT_INPUT,
	OPT_NS_PORT,
	OPT_MAX_AGE,
	OPT_NO_DRIFT,
	OPT_PSL,
	OPT_SHOW,
	OPT_QUIET,
	OPT_COLOR,
	OPT_DOMAINS,
	OPT_JOBS,
	OPT_HTTPS,
	OPT_NO_HTTPS,
};

#define AUDIT_MAX_SELECTORS 64
#define AUDIT_MAX_INPUTS 64
#define BULK_DEFAULT_JOBS 32
#define BULK_MAX_JOBS 1024
/* A domain line is short; anything longer is reported, not read. */
#define BULK_MAX_LINE 4096
/* The placeholder of host options replaced by the audited domain. */
#define DOMAIN_VAR "${domain}"

enum show { SHOW_ALL, SHOW_PASSING, SHOW_FAILING };
enum color { COLOR_AUTO, COLOR_NEVER, COLOR_ALWAYS };

struct audit_args {
	const char *config_path;
	const char *profile;
	const char *domain;       /* no-config form */
	const char *domains_path; /* bulk */
	const char *munchkin, *account, *landing, *tracking, *branding;
	const char *return_path, *ip_mode, *dmarc_stage;
	const char *selectors[AUDIT_MAX_SELECTORS];
	size_t nselectors;
	const char *inputs[AUDIT_MAX_INPUTS]; /* "KEY=VALUE" */
	size_t ninputs;
	struct cli_dns dns;
	struct sk_audit_opts opts;
	bool json, quiet, jobs_set;
	enum show show;
	enum color color;
	unsigned long jobs;
	/* HTTPS probes (lib/https): on by default live, off with --zone
	 * unless --https; --no-https turns them off. */
	bool https, no_https;
	struct cli_https ho; /* --connect-to, --ca-file, --hsts-preload */
};

static void
usage_text(FILE *f)
{
	fputs("Usage: senderkit audit --config FILE [--profile NAME|FILE] "
	      "[options]\n"
	      "       senderkit audit DOMAIN --profile NAME|FILE "
	      "--munchkin ID [org options]\n"
	      "                       [options]\n"
	      "       senderkit audit --domains FILE --profile NAME|FILE "
	      "[org options]\n"
	      "                       [--jobs N] [options]\n"
	      "\nCheck what DNS publishes against a provider profile and an\n"
	      "organization: landing and tracking CNAMEs, SPF, DKIM, DMARC,\n"
	      "MX, branded return-path.  Each check: a stable id, status,\n"
	      "the evidence seen, the exact fix and the rule's source\n"
	      "(senderkit-audit(1) lists them).\n"
	      "\nOrganization (without --config; host values may contain "
	      "${domain}):\n"
	      "  --profile P          profile name (data/profiles/P.ini) "
	      "or file\n"
	      "  --munchkin ID        Munchkin ID (Admin > Munchkin)\n"
	      "  --account-string S   Account String ([S].mktoweb.com)\n"
	      "  --landing-host H     landing-page host (CNAME)\n"
	      "  --tracking-host H    tracking-link host (CNAME)\n"
	      "  --branding-domain D  default branding domain "
	      "(mkto-xxxxx.com)\n"
	      "  --dkim-selector S    a DKIM selector (repeatable)\n"
	      "  --return-path D      branded Return-Path domain\n"
	      "  --ip-mode M          shared (default), trusted or "
	      "dedicated\n"
	      "  --dmarc-stage S      intended DMARC stage: none, "
	      "quarantine, reject\n"
	      "  --input KEY=VALUE    any other provider input "
	      "(repeatable)\n"
	      "\nBulk:\n"
	      "  --domains FILE       one domain per line ('-' = stdin), "
	      "# comments\n"
	      "  --jobs N             domains audited at once "
	      "(default 32)\n"
	      "\nOptions:\n"
	      "  --config FILE        organization config (see "
	      "senderkit-config(5))\n"
	      "  --json               JSON (bulk: JSON Lines, input order)\n"
	      "  --show WHAT          text: all (default), passing, "
	      "failing\n"
	      "  --color WHEN         auto (default), never, always; "
	      "NO_COLOR honoured\n"
	      "  --quiet              text: the summary line only (bulk: "
	      "domains not clean)\n"
	      "  --max-age DAYS       profile lists older than this are "
	      "stale (180)\n"
	      "  --no-spf-drift       do not compare the profile's blocks "
	      "with live SPF\n"
	      "  --psl FILE           public suffix list (default: "
	      "libpsl's)\n"
	      "  --no-https           skip the HTTPS, HSTS and CAA checks of "
	      "the landing\n"
	      "                       and tracking hosts (live, they run by "
	      "default and\n"
	      "                       probe the hosts)\n"
	      "  --https              with --zone: check CAA of the hosts "
	      "(no probes)\n"
	      "  --connect-to H:P:IP:P  where to connect for host H port P "
	      "(see\n"
	      "                       senderkit-https(1))\n"
	      "  --ca-file FILE       CA bundle for the HTTPS checks\n"
	      "  --hsts-preload FILE  Chromium's HSTS preload list (JSON)\n"
	      "  --ns-port N          port of the per-nameserver DKIM "
	      "queries (53)\n"
	      "  --zone FILE          answer DNS from a zone file "
	      "(repeatable; offline)\n"
	      "  --server IP[:PORT]   ask this DNS server (live)\n"
	      "  --timeout MS         per-try DNS timeout\n"
	      "  -h, --help           this help\n"
	      "\nExit codes: 0 no check failed with error severity and DNS "
	      "answered;\n1 a check failed with error severity; 2 usage or "
	      "config error; 3 no\nerror, but DNS failed for some check "
	      "(the audit is incomplete).\nBulk: the highest code over the "
	      "domains.\n", f);
}

void
cmd_audit_usage(FILE *f)
{
	usage_text(f);
}

/* ------------------------------------------------------------ report */

/* One line of the report: a check of the audit, or a finding of the
 * config validation shown as one (group "provider"). */
struct rcheck {
	const char *id, *group, *subject, *message, *evidence, *fix;
	const char *source;
	enum sk_check_status status;
	enum sk_severity severity;
	size_t rank; /* group rank, for the stable grouping */
	size_t seq;
};

struct report {
	struct rcheck *v;
	size_t n;
	size_t pass, error, warning, info, skip, dnsfail;
	int exit;
};

/* Report order of the groups; unknown groups follow in order of first
 * appearance. */
static const char *const group_order[] = {
	"provider", "hosts", "spf", "dkim", "dmarc", "return-path", "mx",
	"https",
};
#define NGROUP_ORDER (sizeof(group_order) / sizeof(group_order[0]))

static const char *
group_title(const char *g)
{
	static const struct {
		const char *id, *title;
	} t[] = {
		{"provider", "Provider profile and inputs"},
		{"hosts", "Landing-page and tracking hosts"},
		{"spf", "SPF"},
		{"dkim", "DKIM"},
		{"dmarc", "DMARC"},
		{"return-path", "Branded return-path"},
		{"mx", "MX (replies)"},
		{"https", "HTTPS, HSTS and CAA of the hosts"},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (strcmp(t[i].id, g) == 0)
			return t[i].title;
	return g;
}

static const char *
nz(const char *s)
{
	return s != NULL ? s : "";
}

static int
rcheck_cmp(const void *a, const void *b)
{
	const struct rcheck *x = a, *y = b;

	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static void
report_free(struct report *rep)
{
	free(rep->v);
	memset(rep, 0, sizeof(*rep));
}

/* Count one check into the summary. */
static void
report_count(struct report *rep, const struct rcheck *c)
{
	switch (c->status) {
	case SK_CHECK_PASS:
		rep->pass++;
		break;
	case SK_CHECK_SKIP:
		rep->skip++;
		break;
	case SK_CHECK_DNSFAIL:
		rep->dnsfail++;
		break;
	case SK_CHECK_FAIL:
	default:
		if (c->severity == SK_SEV_ERROR)
			rep->error++;
		else if (c->severity == SK_SEV_WARNING)
			rep->warning++;
		else
			rep->info++;
		break;
	}
}

/* True when the audit ran a check with this id. */
static bool
audit_has(const struct sk_audit *a, const char *id)
{
	size_t i, n = sk_audit_count(a);

	for (i = 0; i < n; i++)
		if (strcmp(sk_audit_get(a, i)->id, id) == 0)
			return true;
	return false;
}

/* Whether a validation finding belongs in the audit report: errors stop
 * the command before it; config-input-format says what the audit's
 * input-format check says with less (no evidence, no fix); without a
 * file no key can be given, so config-dkim-key-missing would only be
 * noise. */
static bool
finding_reported(const struct sk_finding *f, const struct sk_audit *a,
		 bool from_file)
{
	if (f->severity == SK_SEV_ERROR)
		return false;
	if (strcmp(f->id, "config-input-format") == 0 &&
	    audit_has(a, "input-format"))
		return false;
	if (strcmp(f->id, "config-dkim-key-missing") == 0 && !from_file)
		return false;
	return true;
}

/*
 * Gather the findings of the config validation that belong in the report
 * (`vf`, may be NULL) and the audit's checks into one list, grouped in
 * report order.  The strings stay owned by vf and a.  Returns false when
 * out of memory.
 */
static bool
report_build(struct report *rep, const struct sk_findings *vf,
	     const struct sk_audit *a, bool from_file)
{
	const char *seen[64];
	size_t nseen = 0, nv = sk_findings_count(vf);
	size_t na = sk_audit_count(a), i, k;
	struct rcheck *c;

	memset(rep, 0, sizeof(*rep));
	rep->v = calloc(nv + na + 1, sizeof(*rep->v));
	if (rep->v == NULL)
		return false;
	for (i = 0; i < nv; i++) {
		const struct sk_finding *f = sk_findings_get(vf, i);

		if (!finding_reported(f, a, from_file))
			continue;
		c = &rep->v[rep->n++];
		c->id = f->id;
		c->group = "provider";
		c->subject = nz(f->subject);
		c->message = nz(f->message);
		c->evidence = "";
		c->fix = "";
		c->source = nz(f->ref);
		c->status = SK_CHECK_FAIL;
		c->severity = f->severity;
	}
	for (i = 0; i < na; i++) {
		const struct sk_check *k0 = sk_audit_get(a, i);

		c = &rep->v[rep->n++];
		c->id = nz(k0->id);
		c->group = k0->group != NULL && k0->group[0] != '\0' ?
			   k0->group : "other";
		c->subject = nz(k0->subject);
		c->message = nz(k0->message);
		c->evidence = nz(k0->evidence);
		c->fix = nz(k0->fix);
		c->source = nz(k0->source);
		c->status = k0->status;
		c->severity = k0->status == SK_CHECK_FAIL ? k0->severity :
			      SK_SEV_INFO;
	}
	for (i = 0; i < rep->n; i++) {
		c = &rep->v[i];
		c->seq = i;
		for (k = 0; k < NGROUP_ORDER; k++)
			if (strcmp(group_order[k], c->group) == 0)
				break;
		if (k == NGROUP_ORDER) {
			for (k = 0; k < nseen; k++)
				if (strcmp(seen[k], c->group) == 0)
					break;
			if (k == nseen && nseen < 64)
				seen[nseen++] = c->group;
			k += NGROUP_ORDER;
		}
		c->rank = k;
		report_count(rep, c);
	}
	qsort(rep->v, rep->n, sizeof(*rep->v), rcheck_cmp);
	if (rep->error > 0)
		rep->exit = CLI_EXIT_FINDINGS;
	else if (rep->dnsfail > 0)
		rep->exit = CLI_EXIT_DNS;
	else
		rep->exit = CLI_EXIT_OK;
	return true;
}

/* The mark of a check in text: PASS FAIL WARN INFO SKIP DNS. */
static const char *
mark_of(const struct rcheck *c)
{
	switch (c->status) {
	case SK_CHECK_PASS:
		return "PASS";
	case SK_CHECK_SKIP:
		return "SKIP";
	case SK_CHECK_DNSFAIL:
		return "DNS";
	case SK_CHECK_FAIL:
	default:
		if (c->severity == SK_SEV_ERROR)
			return "FAIL";
		return c->severity == SK_SEV_WARNING ? "WARN" : "INFO";
	}
}

/* ANSI SGR of a mark, "" for none. */
static const char *
color_of(const struct rcheck *c)
{
	switch (c->status) {
	case SK_CHECK_PASS:
		return "\033[32m";
	case SK_CHECK_DNSFAIL:
		return "\033[33m";
	case SK_CHECK_FAIL:
		if (c->severity == SK_SEV_ERROR)
			return "\033[31m";
		if (c->severity == SK_SEV_WARNING)
			return "\033[33m";
		return "";
	default:
		return "";
	}
}

/*
 * Write s to a buffer for a terminal: printable ASCII and valid UTF-8 as
 * they are, any other byte (escape sequences from a TXT record included)
 * as "\xNN"; a newline continues on a new line starting with `indent`.
 */
static void
put_safe(struct sk_buf *b, const char *s, const char *indent)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *p = (const unsigned char *)s;
	size_t n = strlen(s), i = 0, k;
	unsigned long cp = 0;
	char esc[4];

	while (i < n) {
		if (p[i] == '\n') {
			(void)sk__buf_addc(b, '\n');
			(void)sk__buf_adds(b, indent);
			i++;
			continue;
		}
		if (p[i] >= 0x20 && p[i] < 0x7f) {
			(void)sk__buf_addc(b, (char)p[i]);
			i++;
			continue;
		}
		/* Valid UTF-8 that is not a C1 control (U+0080..U+009F,
		 * which terminals act on). */
		k = sk__utf8_seq(p + i, n - i, &cp);
		if (k > 0 && cp >= 0xa0) {
			(void)sk__buf_add(b, p + i, k);
			i += k;
			continue;
		}
		esc[0] = '\\';
		esc[1] = 'x';
		esc[2] = hex[p[i] >> 4];
		esc[3] = hex[p[i] & 0xf];
		(void)sk__buf_add(b, esc, 4);
		i++;
	}
}

static void
summary_text(struct sk_buf *b, const struct report *rep)
{
	(void)sk__buf_printf(b, "%zu checks: %zu passed, %zu errors, "
			     "%zu warnings, %zu info, %zu skipped, "
			     "%zu DNS failures", rep->n, rep->pass,
			     rep->error, rep->warning, rep->info, rep->skip,
			     rep->dnsfail);
}

static bool
shown(const struct rcheck *c, enum show show)
{
	switch (show) {
	case SHOW_PASSING:
		return c->status == SK_CHECK_PASS;
	case SHOW_FAILING:
		return c->status == SK_CHECK_FAIL ||
		       c->status == SK_CHECK_DNSFAIL;
	case SHOW_ALL:
	default:
		return true;
	}
}

/* One labelled detail line ("seen:", "fix:", "source:") when non-empty. */
static void
detail(struct sk_buf *b, const char *label, const char *s)
{
	static const char indent[] = "                  ";

	if (s[0] == '\0')
		return;
	(void)sk__buf_printf(b, "          %-8s", label);
	put_safe(b, s, indent);
	(void)sk__buf_addc(b, '\n');
}

/* The text report of one audit, grouped, into b. */
static void
report_text(struct sk_buf *b, const struct report *rep, enum show show,
	    bool quiet, bool color)
{
	const char *group = NULL, *col;
	const struct rcheck *c;
	size_t i;

	for (i = 0; i < rep->n && !quiet; i++) {
		c = &rep->v[i];
		if (!shown(c, show))
			continue;
		if (group == NULL || strcmp(group, c->group) != 0) {
			group = c->group;
			(void)sk__buf_printf(b, "%s%s%s\n",
					     color ? "\033[1m" : "",
					     group_title(group),
					     color ? "\033[0m" : "");
		}
		col = color ? color_of(c) : "";
		(void)sk__buf_printf(b, "  %s%-4s%s  %-22s ", col, mark_of(c),
				     col[0] != '\0' ? "\033[0m" : "", c->id);
		if (c->subject[0] != '\0') {
			put_safe(b, c->subject, "");
			(void)sk__buf_adds(b, ": ");
		}
		put_safe(b, c->message, "          ");
		(void)sk__buf_addc(b, '\n');
		if (c->status == SK_CHECK_PASS || c->status == SK_CHECK_SKIP)
			continue;
		detail(b, "seen:", c->evidence);
		if (c->status == SK_CHECK_FAIL) {
			detail(b, "fix:", c->fix);
			detail(b, "source:", c->source);
		}
	}
	if (!quiet && b->len > 0)
		(void)sk__buf_addc(b, '\n');
	summary_text(b, rep);
	(void)sk__buf_addc(b, '\n');
}

static json_t *
summary_json(const struct report *rep)
{
	json_t *s = json_object();

	json_object_set_new(s, "pass", json_integer((json_int_t)rep->pass));
	json_object_set_new(s, "error", json_integer((json_int_t)rep->error));
	json_object_set_new(s, "warning",
			    json_integer((json_int_t)rep->warning));
	json_object_set_new(s, "info", json_integer((json_int_t)rep->info));
	json_object_set_new(s, "skip", json_integer((json_int_t)rep->skip));
	json_object_set_new(s, "dnsfail",
			    json_integer((json_int_t)rep->dnsfail));
	return s;
}

static json_t *
checks_json(const struct report *rep)
{
	json_t *arr = json_array(), *j;
	const struct rcheck *c;
	size_t i;

	for (i = 0; i < rep->n; i++) {
		c = &rep->v[i];
		j = json_object();
		cli_json_set_str(j, "id", c->id);
		cli_json_set_str(j, "status", sk_check_status_str(c->status));
		cli_json_set_str(j, "severity", c->status == SK_CHECK_FAIL ?
				 sk_severity_str(c->severity) : NULL);
		cli_json_set_str(j, "group", c->group);
		cli_json_set_str(j, "subject", c->subject);
		cli_json_set_str(j, "message", c->message);
		cli_json_set_str(j, "evidence", c->evidence);
		cli_json_set_str(j, "fix", c->fix);
		cli_json_set_str(j, "source", c->source);
		json_array_append_new(arr, j);
	}
	return arr;
}

/* ------------------------------------------------------------ config */

/* A copy of tmpl with every "${domain}" replaced by `domain`; NULL when
 * out of memory. */
static char *
subst_domain(const char *tmpl, const char *domain)
{
	struct sk_buf b;
	const char *p = tmpl, *q;

	sk__buf_init(&b, SK_INI_MAX_LINE);
	for (;;) {
		q = strstr(p, DOMAIN_VAR);
		if (q == NULL || domain == NULL)
			break;
		if (sk__buf_add(&b, p, (size_t)(q - p)) != SK_OK ||
		    sk__buf_adds(&b, domain) != SK_OK) {
			sk__buf_free(&b);
			return NULL;
		}
		p = q + strlen(DOMAIN_VAR);
	}
	if (sk__buf_adds(&b, p) != SK_OK) {
		sk__buf_free(&b);
		return NULL;
	}
	return sk__buf_take(&b);
}

/* Set one value of the built config; on failure *msg says which option.
 * `opt` names the option in messages. */
static bool
set1(struct sk_org_config *c, const char *section, const char *key,
     const char *value, const char *domain, const char *opt,
     char *msg, size_t msgsz)
{
	struct sk_err err;
	char *v;
	sk_status st;

	if (value == NULL)
		return true;
	v = subst_domain(value, domain);
	if (v == NULL) {
		snprintf(msg, msgsz, "out of memory");
		return false;
	}
	sk_err_clear(&err);
	st = sk_config_set(c, section, key, v, 0, &err);
	sk__free(v);
	if (st != SK_OK) {
		snprintf(msg, msgsz, "%s: %s", opt,
			 err.msg[0] ? err.msg : sk_strerror(st));
		return false;
	}
	return true;
}

/*
 * Build the organization config of the no-config form for `domain`.
 * Returns CLI_EXIT_OK, or CLI_EXIT_USAGE with the reason in msg.
 */
static int
build_config(const struct audit_args *a, const char *domain,
	     struct sk_org_config **out, char *msg, size_t msgsz)
{
	struct sk_org_config *c = NULL;
	struct sk_err err;
	char section[16 + SK_DNS_MAX_NAME];
	char key[SK_INI_MAX_LINE];
	const char *eq;
	size_t i, klen;
	bool ok;

	*out = NULL;
	sk_err_clear(&err);
	if (sk_config_new(&c, &err) != SK_OK) {
		snprintf(msg, msgsz, "%s", err.msg[0] ? err.msg :
			 "out of memory");
		return CLI_EXIT_USAGE;
	}
	snprintf(section, sizeof(section), "domain %s", domain);
	ok = set1(c, "provider", "munchkin_id", a->munchkin, domain,
		  "--munchkin", msg, msgsz) &&
	     set1(c, "provider", "account_string", a->account, domain,
		  "--account-string", msg, msgsz) &&
	     set1(c, "provider", "default_branding_domain", a->branding,
		  domain, "--branding-domain", msg, msgsz) &&
	     set1(c, "hosts", "landing_host", a->landing, domain,
		  "--landing-host", msg, msgsz) &&
	     set1(c, "hosts", "tracking_host", a->tracking, domain,
		  "--tracking-host", msg, msgsz) &&
	     set1(c, "organization", "ip_mode", a->ip_mode, domain,
		  "--ip-mode", msg, msgsz) &&
	     set1(c, "organization", "profile", a->profile, domain,
		  "--profile", msg, msgsz) &&
	     set1(c, section, "from", "yes", domain, "DOMAIN", msg, msgsz) &&
	     set1(c, section, "return_path", a->return_path, domain,
		  "--return-path", msg, msgsz) &&
	     set1(c, section, "dmarc", a->dmarc_stage, domain,
		  "--dmarc-stage", msg, msgsz);
	for (i = 0; ok && i < a->nselectors; i++)
		ok = set1(c, section, "dkim_selectors", a->selectors[i],
			  domain, "--dkim-selector", msg, msgsz);
	for (i = 0; ok && i < a->ninputs; i++) {
		eq = strchr(a->inputs[i], '=');
		klen = (size_t)(eq - a->inputs[i]);
		if (klen >= sizeof(key))
			klen = sizeof(key) - 1;
		memcpy(key, a->inputs[i], klen);
		key[klen] = '\0';
		ok = set1(c, "provider", key, eq + 1, domain, "--input", msg,
			  msgsz);
	}
	if (!ok) {
		sk_config_free(c);
		return CLI_EXIT_USAGE;
	}
	*out = c;
	return CLI_EXIT_OK;
}

/* ------------------------------------------------------------ profile */

/* The profile named by --profile or by the config (a relative path there
 * is taken from the config's directory).  Returns an exit code. */
static int
load_profile(const char *cmd, const char *name,
	     const struct sk_org_config *c, struct sk_profile **out)
{
	struct sk_err err;
	char *path = NULL, *joined = NULL;
	const char *slash, *v = name;
	size_t n;
	sk_status st;

	*out = NULL;
	if (v == NULL && c != NULL && c->profile != NULL &&
	    c->profile[0] != '\0') {
		v = c->profile;
		n = strlen(v);
		slash = c->path != NULL ? strrchr(c->path, '/') : NULL;
		if ((strchr(v, '/') != NULL ||
		     (n > 4 && strcmp(v + n - 4, ".ini") == 0)) &&
		    v[0] != '/' && slash != NULL) {
			n = (size_t)(slash - c->path) + 1 + strlen(v) + 1;
			joined = malloc(n);
			if (joined == NULL) {
				cli_error("out of memory");
				return CLI_EXIT_DNS;
			}
			snprintf(joined, n, "%.*s/%s",
				 (int)(slash - c->path), c->path, v);
			v = joined;
		}
	}
	if (v == NULL) {
		free(joined);
		return cli_usage(cmd, "no profile: give --profile NAME|FILE "
				 "or 'profile =' in the config");
	}
	sk_err_clear(&err);
	st = sk_profile_find(v, NULL, &path, &err);
	if (st != SK_OK) {
		cli_error("profile %s: %s", v,
			  err.msg[0] ? err.msg : sk_strerror(st));
		free(joined);
		return CLI_EXIT_USAGE;
	}
	free(joined);
	sk_err_clear(&err);
	st = sk_profile_load(path, out, &err);
	if (st != SK_OK) {
		if (err.msg[0] != '\0' && strstr(err.msg, path) != NULL)
			cli_error("%s", err.msg);
		else
			cli_error("%s: %s", path, err.msg[0] ? err.msg :
				  sk_strerror(st));
		free(path);
		return st == SK_ENOMEM ? CLI_EXIT_DNS : CLI_EXIT_USAGE;
	}
	free(path);
	return CLI_EXIT_OK;
}

/*
 * Validate c against p.  Error findings are written to `errs` (may be
 * NULL: then stderr) one per line "SUBJECT: message [id]"; returns the
 * number of them, or -1 when validation itself failed.  *vf keeps the
 * list for the report.
 */
static long
validate(const struct sk_org_config *c, const struct sk_profile *p,
	 struct sk_findings **vf, struct sk_buf *errs)
{
	const struct sk_finding *f;
	struct sk_err err;
	size_t i, n;
	long nerr = 0;
	sk_status st;

	sk_err_clear(&err);
	*vf = NULL;
	st = sk_config_validate(c, p, vf, &err);
	if (st != SK_OK) {
		if (errs != NULL)
			(void)sk__buf_printf(errs, "config validation "
					     "failed: %s", err.msg[0] ?
					     err.msg : sk_strerror(st));
		else
			cli_error("config validation failed: %s",
				  err.msg[0] ? err.msg : sk_strerror(st));
		return -1;
	}
	n = sk_findings_count(*vf);
	for (i = 0; i < n; i++) {
		f = sk_findings_get(*vf, i);
		if (f->severity != SK_SEV_ERROR)
			continue;
		if (errs != NULL)
			(void)sk__buf_printf(errs, "%s%s: %s [%s]",
					     nerr > 0 ? "; " : "",
					     nz(f->subject), nz(f->message),
					     f->id);
		else
			fprintf(stderr, "%s: %s [%s]\n", nz(f->subject),
				nz(f->message), f->id);
		nerr++;
	}
	return nerr;
}

/* ------------------------------------------------------------ options */

static bool
color_wanted(enum color mode)
{
	const char *e;

	if (mode != COLOR_AUTO)
		return mode == COLOR_ALWAYS;
	if (!isatty(1))
		return false;
	e = getenv("NO_COLOR");
	if (e != NULL && e[0] != '\0')
		return false;
	e = getenv("TERM");
	return e == NULL || strcmp(e, "dumb") != 0;
}

/* Parse the options into *a.  Returns -1 to go on, or an exit code. */
static int
parse_args(const char *cmd, int argc, char **argv, struct audit_args *a)
{
	static const struct option longopts[] = {
		CLI_DNS_LONGOPTS,
		{"json", no_argument, NULL, CLI_OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{"config", required_argument, NULL, OPT_CONFIG},
		{"profile", required_argument, NULL, OPT_PROFILE},
		{"munchkin", required_argument, NULL, OPT_MUNCHKIN},
		{"munchkin-id", required_argument, NULL, OPT_MUNCHKIN},
		{"account-string", required_argument, NULL, OPT_ACCOUNT},
		{"landing-host", required_argument, NULL, OPT_LANDING},
		{"tracking-host", required_argument, NULL, OPT_TRACKING},
		{"branding-domain", required_argument, NULL, OPT_BRANDING},
		{"dkim-selector", required_argument, NULL, OPT_SELECTOR},
		{"return-path", required_argument, NULL, OPT_RETURN_PATH},
		{"ip-mode", required_argument, NULL, OPT_IP_MODE},
		{"dmarc-stage", required_argument, NULL, OPT_DMARC_STAGE},
		{"input", required_argument, NULL, OPT_INPUT},
		{"ns-port", required_argument, NULL, OPT_NS_PORT},
		{"max-age", required_argument, NULL, OPT_MAX_AGE},
		{"no-spf-drift", no_argument, NULL, OPT_NO_DRIFT},
		{"psl", required_argument, NULL, OPT_PSL},
		{"show", required_argument, NULL, OPT_SHOW},
		{"quiet", no_argument, NULL, OPT_QUIET},
		{"color", required_argument, NULL, OPT_COLOR},
		{"colour", required_argument, NULL, OPT_COLOR},
		{"domains", required_argument, NULL, OPT_DOMAINS},
		{"jobs", required_argument, NULL, OPT_JOBS},
		{"https", no_argument, NULL, OPT_HTTPS},
		{"no-https", no_argument, NULL, OPT_NO_HTTPS},
		CLI_HTTPS_LONGOPTS,
		{NULL, 0, NULL, 0},
	};
	unsigned long v;
	const char *eq;
	bool org_opt = false;
	int c, rc;

	memset(a, 0, sizeof(*a));
	a->opts.check_spf_drift = true;
	a->jobs = BULK_DEFAULT_JOBS;
	cli_getopt_reset();
	for (;;) {
		c = cli_getopt(cmd, argc, argv, "hq", longopts);
		if (c == -1)
			break;
		if (c == -2)
			return CLI_EXIT_USAGE;
		if (cli_dns_option(cmd, &a->dns, c, optarg, &rc) ||
		    cli_https_option(cmd, &a->ho, c, optarg, &rc)) {
			if (rc != 0)
				return rc;
			continue;
		}
		if (c >= OPT_MUNCHKIN && c <= OPT_INPUT)
			org_opt = true;
		switch (c) {
		case 'h':
			usage_text(stdout);
			return CLI_EXIT_OK;
		case CLI_OPT_JSON:
			a->json = true;
			break;
		case OPT_CONFIG:
			a->config_path = optarg;
			break;
		case OPT_PROFILE:
			a->profile = optarg;
			break;
		case OPT_MUNCHKIN:
			a->munchkin = optarg;
			break;
		case OPT_ACCOUNT:
			a->account = optarg;
			break;
		case OPT_LANDING:
			a->landing = optarg;
			break;
		case OPT_TRACKING:
			a->tracking = optarg;
			break;
		case OPT_BRANDING:
			a->branding = optarg;
			break;
		case OPT_SELECTOR:
			if (a->nselectors >= AUDIT_MAX_SELECTORS)
				return cli_usage(cmd, "too many "
						 "--dkim-selector (max %d)",
						 AUDIT_MAX_SELECTORS);
			a->selectors[a->nselectors++] = optarg;
			break;
		case OPT_RETURN_PATH:
			a->return_path = optarg;
			break;
		case OPT_IP_MODE:
			if (strcmp(optarg, "shared") != 0 &&
			    strcmp(optarg, "trusted") != 0 &&
			    strcmp(optarg, "dedicated") != 0)
				return cli_usage(cmd, "--ip-mode wants shared, "
						 "trusted or dedicated, not "
						 "'%s'", optarg);
			a->ip_mode = optarg;
			break;
		case OPT_DMARC_STAGE:
			if (strcmp(optarg, "none") != 0 &&
			    strcmp(optarg, "quarantine") != 0 &&
			    strcmp(optarg, "reject") != 0)
				return cli_usage(cmd, "--dmarc-stage wants "
						 "none, quarantine or reject, "
						 "not '%s'", optarg);
			a->dmarc_stage = optarg;
			break;
		case OPT_INPUT:
			eq = strchr(optarg, '=');
			if (eq == NULL || eq == optarg)
				return cli_usage(cmd, "--input wants "
						 "KEY=VALUE, not '%s'",
						 optarg);
			if (a->ninputs >= AUDIT_MAX_INPUTS)
				return cli_usage(cmd, "too many --input "
						 "(max %d)", AUDIT_MAX_INPUTS);
			a->inputs[a->ninputs++] = optarg;
			break;
		case OPT_NS_PORT:
			if (!cli_parse_uint(optarg, 1, 65535, &v))
				return cli_usage(cmd, "--ns-port wants "
						 "1-65535, not '%s'", optarg);
			a->opts.ns_port = (unsigned)v;
			break;
		case OPT_MAX_AGE:
			if (!cli_parse_uint(optarg, 1, 36500, &v))
				return cli_usage(cmd, "--max-age wants days "
						 "(1-36500), not '%s'",
						 optarg);
			a->opts.max_age_days = (unsigned)v;
			break;
		case OPT_NO_DRIFT:
			a->opts.check_spf_drift = false;
			break;
		case OPT_PSL:
			a->opts.psl_path = optarg;
			break;
		case OPT_SHOW:
			if (strcmp(optarg, "all") == 0)
				a->show = SHOW_ALL;
			else if (strcmp(optarg, "passing") == 0)
				a->show = SHOW_PASSING;
			else if (strcmp(optarg, "failing") == 0)
				a->show = SHOW_FAILING;
			else
				return cli_usage(cmd, "--show wants all, "
						 "passing or failing, not "
						 "'%s'", optarg);
			break;
		case 'q':
		case OPT_QUIET:
			a->quiet = true;
			break;
		case OPT_COLOR:
			if (strcmp(optarg, "auto") == 0)
				a->color = COLOR_AUTO;
			else if (strcmp(optarg, "never") == 0)
				a->color = COLOR_NEVER;
			else if (strcmp(optarg, "always") == 0)
				a->color = COLOR_ALWAYS;
			else
				return cli_usage(cmd, "--color wants auto, "
						 "never or always, not '%s'",
						 optarg);
			break;
		case OPT_DOMAINS:
			a->domains_path = optarg;
			break;
		case OPT_JOBS:
			if (!cli_parse_uint(optarg, 1, BULK_MAX_JOBS, &v))
				return cli_usage(cmd, "--jobs wants 1-%d, not "
						 "'%s'", BULK_MAX_JOBS, optarg);
			a->jobs = v;
			a->jobs_set = true;
			break;
		case OPT_HTTPS:
			a->https = true;
			break;
		case OPT_NO_HTTPS:
			a->no_https = true;
			break;
		default:
			return cli_usage(cmd, "unexpected option");
		}
	}
	if (optind < argc)
		a->domain = argv[optind++];
	if (optind < argc)
		return cli_usage(cmd, "one DOMAIN only ('%s' is extra; "
				 "--domains FILE audits many)", argv[optind]);
	if (a->config_path != NULL && (a->domain != NULL || org_opt ||
				       a->domains_path != NULL))
		return cli_usage(cmd, "--config takes the organization from "
				 "the file: no DOMAIN, --domains or "
				 "organization options beside it");
	if (a->domains_path != NULL && a->domain != NULL)
		return cli_usage(cmd, "DOMAIN and --domains exclude each "
				 "other");
	if (a->config_path == NULL && a->domain == NULL &&
	    a->domains_path == NULL)
		return cli_usage(cmd, "nothing to audit: give --config FILE, "
				 "DOMAIN or --domains FILE");
	if (a->config_path == NULL && a->profile == NULL)
		return cli_usage(cmd, "--profile is required without "
				 "--config");
	if (a->dns.nzones > 0 && a->dns.server != NULL)
		return cli_usage(cmd, "--zone and --server cannot be "
				 "combined");
	if (a->jobs_set && a->domains_path == NULL)
		return cli_usage(cmd, "--jobs applies to --domains only");
	if (a->no_https && (a->https || a->ho.nconnect_to > 0 ||
			    a->ho.ca_file != NULL ||
			    a->ho.preload_path != NULL))
		return cli_usage(cmd, "--no-https excludes --https, "
				 "--connect-to, --ca-file and "
				 "--hsts-preload");
	/* Zone files: offline, no nameserver to ask directly (SKIP). */
	a->opts.query_each_ns = a->dns.nzones == 0;
	a->opts.ns_timeout_ms = a->dns.timeout_ms;
	/* HTTPS, HSTS and CAA of the landing and tracking hosts (issue 6:
	 * "the checks run inside audit when the config names the hosts"):
	 * live (--server or the system resolver) by default; with zone
	 * files only on --https, and then CAA only, no probes. */
	a->opts.check_https = !a->no_https &&
			      (a->https || a->dns.nzones == 0);
	a->opts.https_no_probe = a->dns.nzones > 0;
	a->opts.https_connect_to = a->ho.connect_to;
	a->opts.nhttps_connect_to = a->ho.nconnect_to;
	a->opts.https_ca_file = a->ho.ca_file;
	return -1;
}

/* A syntactically usable domain name for the bulk list: LDH labels (and
 * '_'), 1-63 octets, 253 in all, two labels at least (RFC 1035 2.3.1). */
static bool
domain_ok(const char *s, const char **why)
{
	size_t n = strlen(s), label = 0, labels = 0, i;

	*why = "not a domain name";
	if (n == 0 || n > 253)
		return false;
	for (i = 0; i <= n; i++) {
		if (i == n || s[i] == '.') {
			if (label == 0 || label > SK_DNS_MAX_LABEL) {
				*why = label == 0 ? "empty label" :
				       "label over 63 characters";
				return false;
			}
			if (s[i - 1] == '-' || s[i - label] == '-') {
				*why = "label starts or ends with '-'";
				return false;
			}
			labels++;
			label = 0;
			continue;
		}
		if (!sk__isalnum((unsigned char)s[i]) && s[i] != '-' &&
		    s[i] != '_') {
			*why = "character not allowed in a domain name";
			return false;
		}
		label++;
	}
	if (labels < 2) {
		*why = "a single label is not a sending domain";
		return false;
	}
	return true;
}

/* ------------------------------------------------------------ single */

static json_t *
report_json(const struct report *rep, const struct sk_org_config *c,
	    const struct sk_profile *p)
{
	json_t *j = json_object(), *pj = json_object(), *doms = json_array();
	size_t i;

	cli_json_set_str(j, "schema", "senderkit-audit/1");
	cli_json_set_str(j, "organization", c->name != NULL &&
			 c->name[0] != '\0' ? c->name : NULL);
	cli_json_set_str(pj, "id", p->id);
	cli_json_set_str(pj, "as_of", p->as_of);
	cli_json_set_str(pj, "path", p->path);
	json_object_set_new(j, "profile", pj);
	for (i = 0; i < c->ndomains; i++)
		json_array_append_new(doms, cli_json_str(c->domains[i].name));
	json_object_set_new(j, "domains", doms);
	json_object_set_new(j, "checks", checks_json(rep));
	json_object_set_new(j, "summary", summary_json(rep));
	json_object_set_new(j, "exit", json_integer(rep->exit));
	return j;
}

/* "Audit of NAME (FILE) against profile ID (as of DATE)", then the
 * domains; `path` is the config file, NULL without one. */
static void
header_text(struct sk_buf *b, const struct sk_org_config *c,
	    const struct sk_profile *p, const char *path, bool color)
{
	bool named = c->name != NULL && c->name[0] != '\0';
	size_t i;

	(void)sk__buf_adds(b, color ? "\033[1mAudit of\033[0m " :
			   "Audit of ");
	if (named)
		put_safe(b, c->name, "");
	if (named && path != NULL)
		(void)sk__buf_adds(b, " (");
	if (path != NULL)
		put_safe(b, path, "");
	if (named && path != NULL)
		(void)sk__buf_addc(b, ')');
	for (i = 0; !named && path == NULL && i < c->ndomains; i++) {
		(void)sk__buf_adds(b, i > 0 ? ", " : "");
		put_safe(b, c->domains[i].name, "");
	}
	(void)sk__buf_adds(b, " against profile ");
	put_safe(b, nz(p->id), "");
	if (p->as_of != NULL) {
		(void)sk__buf_adds(b, " (as of ");
		put_safe(b, p->as_of, "");
		(void)sk__buf_addc(b, ')');
	}
	(void)sk__buf_addc(b, '\n');
	if (named || path != NULL) {
		(void)sk__buf_adds(b, "Domains: ");
		for (i = 0; i < c->ndomains; i++) {
			(void)sk__buf_adds(b, i > 0 ? ", " : "");
			put_safe(b, c->domains[i].name, "");
		}
		(void)sk__buf_addc(b, '\n');
	}
	(void)sk__buf_addc(b, '\n');
}

/* Write a buffer to stdout. */
static void
flush_buf(struct sk_buf *b)
{
	if (b->p != NULL)
		fwrite(b->p, 1, b->len, stdout);
	sk__buf_reset(b);
}

static int
audit_single(const char *cmd, const struct audit_args *a)
{
	struct sk_org_config *c = NULL;
	struct sk_profile *p = NULL;
	struct sk_findings *vf = NULL;
	struct sk_resolver *r = NULL;
	struct sk_audit *au = NULL;
	struct report rep;
	struct sk_err err;
	struct sk_buf out;
	char msg[SK_ERR_MSG_MAX + 64];
	bool color;
	long nerr;
	sk_status st;
	int rc;

	memset(&rep, 0, sizeof(rep));
	sk_err_clear(&err);
	if (a->config_path != NULL) {
		st = sk_config_load(a->config_path, &c, &err);
		if (st != SK_OK) {
			if (err.msg[0] != '\0' &&
			    strstr(err.msg, a->config_path) != NULL)
				cli_error("%s", err.msg);
			else
				cli_error("%s: %s", a->config_path,
					  err.msg[0] ? err.msg :
					  sk_strerror(st));
			return st == SK_ENOMEM ? CLI_EXIT_DNS : CLI_EXIT_USAGE;
		}
	} else {
		rc = build_config(a, a->domain, &c, msg, sizeof(msg));
		if (rc != CLI_EXIT_OK)
			return cli_usage(cmd, "%s", msg);
	}
	rc = load_profile(cmd, a->profile, c, &p);
	if (rc != CLI_EXIT_OK)
		goto out;
	nerr = validate(c, p, &vf, NULL);
	if (nerr != 0) {
		if (nerr > 0)
			cli_error("%s: %ld error%s in the organization; "
				  "nothing audited", a->config_path != NULL ?
				  a->config_path : "options", nerr,
				  nerr == 1 ? "" : "s");
		rc = nerr > 0 ? CLI_EXIT_USAGE : CLI_EXIT_DNS;
		goto out;
	}
	rc = cli_resolver(&a->dns, &r);
	if (rc != CLI_EXIT_OK)
		goto out;
	sk_err_clear(&err);
	st = sk_audit_run(r, p, c, &a->opts, &au, &err);
	if (st != SK_OK) {
		cli_error("audit failed: %s", err.msg[0] ? err.msg :
			  sk_strerror(st));
		rc = st == SK_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_DNS;
		goto out;
	}
	if (!report_build(&rep, vf, au, a->config_path != NULL)) {
		cli_error("out of memory");
		rc = CLI_EXIT_DNS;
		goto out;
	}
	rc = rep.exit;
	if (a->json) {
		if (cli_json_print(report_json(&rep, c, p), false) != 0)
			rc = CLI_EXIT_DNS;
		goto out;
	}
	color = color_wanted(a->color);
	sk__buf_init(&out, SIZE_MAX / 2);
	if (!a->quiet)
		header_text(&out, c, p, a->config_path, color);
	report_text(&out, &rep, a->show, a->quiet, color);
	flush_buf(&out);
	sk__buf_free(&out);
out:
	report_free(&rep);
	sk_audit_free(au);
	sk_resolver_free(r);
	sk_findings_free(vf);
	sk_profile_free(p);
	sk_config_free(c);
	return rc;
}

/* ------------------------------------------------------------ bulk */

struct bulk_item {
	unsigned long line;
	char *name;         /* the domain, or the raw text of a bad line */
	const char *bad;    /* why the line was refused, or NULL */
	char *out;          /* rendered output (JSON line or text line) */
	int exit;
	bool done;
};

struct bulk {
	const struct audit_args *a;
	const struct sk_profile *p;
	struct bulk_item *items;
	size_t n;
	size_t next_take;   /* next item a worker takes */
	size_t next_print;  /* next item main prints */
	size_t window;      /* items a worker may run ahead of printing */
	size_t ndone;
	bool color;
	pthread_mutex_t mu;
	pthread_cond_t cv_done;  /* an item is done (main waits) */
	pthread_cond_t cv_print; /* an item was printed (workers wait) */
};

struct worker {
	struct bulk *b;
	struct sk_resolver *r;
	pthread_t tid;
	bool started;
};

/* Read the domain list: every line kept with its number (comments and
 * blank lines skipped), bad ones marked.  Returns an exit code. */
static int
bulk_read(const char *path, struct bulk *b)
{
	FILE *in;
	char *line = NULL, *s, *e, *hash;
	size_t cap = 0, alloc = 0;
	ssize_t len;
	unsigned long lineno = 0;
	struct bulk_item *it, *grown;
	const char *why;
	int rc = CLI_EXIT_OK;

	if (strcmp(path, "-") == 0) {
		in = stdin;
	} else {
		in = fopen(path, "r");
		if (in == NULL) {
			cli_error("cannot open %s: %s", path, strerror(errno));
			return CLI_EXIT_USAGE;
		}
	}
	for (;;) {
		len = getline(&line, &cap, in);
		if (len < 0)
			break;
		lineno++;
		if (b->n == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			grown = realloc(b->items, alloc * sizeof(*b->items));
			if (grown == NULL) {
				rc = CLI_EXIT_DNS;
				break;
			}
			b->items = grown;
		}
		it = &b->items[b->n];
		memset(it, 0, sizeof(*it));
		it->line = lineno;
		if ((size_t)len != strlen(line)) {
			it->bad = "NUL byte in line";
			it->name = strdup("");
		} else if (len > BULK_MAX_LINE) {
			it->bad = "line too long";
			it->name = strdup("");
		} else {
			s = line;
			hash = strchr(s, '#');
			if (hash != NULL)
				*hash = '\0';
			while (*s == ' ' || *s == '\t')
				s++;
			e = s + strlen(s);
			while (e > s && (e[-1] == ' ' || e[-1] == '\t' ||
					 e[-1] == '\n' || e[-1] == '\r'))
				*--e = '\0';
			if (*s == '\0')
				continue; /* blank or comment */
			if (e - s > 1 && e[-1] == '.')
				*--e = '\0';
			for (e = s; *e != '\0'; e++)
				*e = sk__lower(*e);
			it->name = strdup(s);
			if (strpbrk(s, " \t") != NULL)
				it->bad = "one domain per line";
			else if (!domain_ok(s, &why))
				it->bad = why;
		}
		if (it->name == NULL) {
			rc = CLI_EXIT_DNS;
			break;
		}
		b->n++;
	}
	if (rc == CLI_EXIT_OK && ferror(in)) {
		cli_error("reading %s: %s", path, strerror(errno));
		rc = CLI_EXIT_USAGE;
	} else if (rc != CLI_EXIT_OK) {
		cli_error("out of memory");
	}
	free(line);
	if (in != stdin)
		fclose(in);
	return rc;
}

/* The rendered line of a domain that could not be audited. */
static char *
bulk_error_out(const struct bulk *b, const struct bulk_item *it,
	       const char *why)
{
	struct sk_buf t;
	json_t *j;
	char *s;

	if (b->a->json) {
		j = json_object();
		cli_json_set_str(j, "domain", it->name);
		json_object_set_new(j, "line", json_integer(
					    (json_int_t)it->line));
		cli_json_set_str(j, "error", why);
		s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_decref(j);
		return s;
	}
	sk__buf_init(&t, SIZE_MAX / 2);
	(void)sk__buf_printf(&t, "%sERROR%s line %lu: ",
			     b->color ? "\033[31m" : "",
			     b->color ? "\033[0m" : "", it->line);
	put_safe(&t, it->name, "");
	(void)sk__buf_adds(&t, ": ");
	put_safe(&t, why, "");
	(void)sk__buf_addc(&t, '\n');
	return sk__buf_take(&t);
}

/* Whether check i goes in a bulk text line's list of failed ids: a
 * failure of error or warning severity or a DNS failure, and the first
 * check with its id. */
static bool
id_listed(const struct report *rep, size_t i)
{
	const struct rcheck *c = &rep->v[i];
	size_t k;

	if (c->status != SK_CHECK_FAIL && c->status != SK_CHECK_DNSFAIL)
		return false;
	if (c->status == SK_CHECK_FAIL && c->severity == SK_SEV_INFO)
		return false;
	for (k = 0; k < i; k++)
		if (strcmp(rep->v[k].id, c->id) == 0 &&
		    (rep->v[k].status == SK_CHECK_DNSFAIL ||
		     (rep->v[k].status == SK_CHECK_FAIL &&
		      rep->v[k].severity != SK_SEV_INFO)))
			return false;
	return true;
}

/* The rendered line of an audited domain. */
static char *
bulk_report_out(const struct bulk *b, const struct bulk_item *it,
		const struct report *rep)
{
	struct sk_buf t;
	const char *mark, *col;
	json_t *j;
	char *s;
	size_t i, nf = 0;

	if (b->a->json) {
		j = json_object();
		cli_json_set_str(j, "domain", it->name);
		json_object_set_new(j, "line", json_integer(
					    (json_int_t)it->line));
		json_object_set_new(j, "checks", checks_json(rep));
		json_object_set_new(j, "summary", summary_json(rep));
		json_object_set_new(j, "exit", json_integer(rep->exit));
		s = json_dumps(j, JSON_COMPACT | JSON_ENSURE_ASCII);
		json_decref(j);
		return s;
	}
	sk__buf_init(&t, SIZE_MAX / 2);
	if (b->a->quiet && rep->exit == CLI_EXIT_OK && rep->warning == 0)
		return sk__buf_take(&t);
	if (rep->error > 0) {
		mark = "FAIL";
		col = "\033[31m";
	} else if (rep->dnsfail > 0) {
		mark = "DNS";
		col = "\033[33m";
	} else if (rep->warning > 0) {
		mark = "WARN";
		col = "\033[33m";
	} else {
		mark = "PASS";
		col = "\033[32m";
	}
	(void)sk__buf_printf(&t, "%s%-4s%s  ", b->color ? col : "", mark,
			     b->color ? "\033[0m" : "");
	put_safe(&t, it->name, "");
	(void)sk__buf_adds(&t, ": ");
	summary_text(&t, rep);
	for (i = 0; i < rep->n; i++) {
		if (!id_listed(rep, i))
			continue;
		(void)sk__buf_adds(&t, nf++ == 0 ? " (" : ", ");
		put_safe(&t, rep->v[i].id, "");
	}
	if (nf > 0)
		(void)sk__buf_addc(&t, ')');
	(void)sk__buf_addc(&t, '\n');
	return sk__buf_take(&t);
}

/* Audit one domain of the list on the worker's resolver. */
static void
bulk_one(struct bulk *b, struct sk_resolver *r, struct bulk_item *it)
{
	struct sk_org_config *c = NULL;
	struct sk_findings *vf = NULL;
	struct sk_audit *au = NULL;
	struct report rep;
	struct sk_buf errs;
	struct sk_err err;
	char msg[SK_ERR_MSG_MAX + 64];
	sk_status st;
	long nerr;

	memset(&rep, 0, sizeof(rep));
	sk__buf_init(&errs, 16384);
	if (it->bad != NULL) {
		it->exit = CLI_EXIT_USAGE;
		it->out = bulk_error_out(b, it, it->bad);
		goto out;
	}
	if (build_config(b->a, it->name, &c, msg, sizeof(msg)) !=
	    CLI_EXIT_OK) {
		it->exit = CLI_EXIT_USAGE;
		it->out = bulk_error_out(b, it, msg);
		goto out;
	}
	nerr = validate(c, b->p, &vf, &errs);
	if (nerr != 0) {
		it->exit = nerr > 0 ? CLI_EXIT_USAGE : CLI_EXIT_DNS;
		it->out = bulk_error_out(b, it, errs.p != NULL ? errs.p :
					 "invalid organization");
		goto out;
	}
	sk_err_clear(&err);
	st = sk_audit_run(r, b->p, c, &b->a->opts, &au, &err);
	if (st != SK_OK) {
		snprintf(msg, sizeof(msg), "audit failed: %s",
			 err.msg[0] ? err.msg : sk_strerror(st));
		it->exit = st == SK_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_DNS;
		it->out = bulk_error_out(b, it, msg);
		goto out;
	}
	if (!report_build(&rep, vf, au, false)) {
		it->exit = CLI_EXIT_DNS;
		it->out = bulk_error_out(b, it, "out of memory");
		goto out;
	}
	it->exit = rep.exit;
	it->out = bulk_report_out(b, it, &rep);
out:
	if (it->out == NULL && it->exit == CLI_EXIT_OK)
		it->exit = CLI_EXIT_DNS; /* could not render: out of memory */
	report_free(&rep);
	sk_audit_free(au);
	sk_findings_free(vf);
	sk_config_free(c);
	sk__buf_free(&errs);
}

static void *
bulk_worker(void *arg)
{
	struct worker *w = arg;
	struct bulk *b = w->b;
	struct bulk_item *it;
	size_t i;

	for (;;) {
		pthread_mutex_lock(&b->mu);
		while (b->next_take < b->n &&
		       b->next_take >= b->next_print + b->window)
			pthread_cond_wait(&b->cv_print, &b->mu);
		if (b->next_take >= b->n) {
			pthread_mutex_unlock(&b->mu);
			return NULL;
		}
		i = b->next_take++;
		pthread_mutex_unlock(&b->mu);

		it = &b->items[i];
		bulk_one(b, w->r, it);

		pthread_mutex_lock(&b->mu);
		it->done = true;
		b->ndone++;
		pthread_cond_signal(&b->cv_done);
		pthread_mutex_unlock(&b->mu);
	}
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* "\rN/M domains, R/s" on stderr (the rate once it means something). */
static void
progress_line(size_t done, size_t n, double elapsed, bool last)
{
	fprintf(stderr, "\r%zu/%zu domains", done, n);
	if (elapsed >= 0.5)
		fprintf(stderr, ", %.0f/s", (double)done / elapsed);
	if (last)
		fprintf(stderr, ", %.1f s\n", elapsed);
	else
		fputs("   ", stderr);
}

/* Print finished items in input order, with progress on a terminal;
 * returns the highest exit code. */
static int
bulk_print(struct bulk *b, bool progress)
{
	struct bulk_item *it;
	struct timespec until;
	double t0 = now_s(), last = 0, t;
	int rc = CLI_EXIT_OK;

	pthread_mutex_lock(&b->mu);
	while (b->next_print < b->n) {
		it = &b->items[b->next_print];
		if (!it->done) {
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += 250 * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&b->cv_done, &b->mu, &until);
		} else {
			pthread_mutex_unlock(&b->mu);
			if (it->out != NULL) {
				fputs(it->out, stdout);
				if (b->a->json)
					fputc('\n', stdout);
			} else {
				cli_error("line %lu: out of memory",
					  it->line);
			}
			free(it->out);
			it->out = NULL;
			if (it->exit > rc)
				rc = it->exit;
			pthread_mutex_lock(&b->mu);
			b->next_print++;
			pthread_cond_broadcast(&b->cv_print);
		}
		t = now_s();
		if (progress && t - last >= 0.25) {
			last = t;
			progress_line(b->ndone, b->n, t - t0, false);
		}
	}
	pthread_mutex_unlock(&b->mu);
	if (progress)
		progress_line(b->ndone, b->n, now_s() - t0, true);
	return rc;
}

static int
audit_bulk(const char *cmd, const struct audit_args *a)
{
	struct sk_profile *p = NULL;
	struct worker *w = NULL;
	struct bulk b;
	size_t nw = 0, i, k;
	int rc, e;

	memset(&b, 0, sizeof(b));
	b.a = a;
	rc = load_profile(cmd, a->profile, NULL, &p);
	if (rc != CLI_EXIT_OK)
		return rc;
	b.p = p;
	rc = bulk_read(a->domains_path, &b);
	if (rc != CLI_EXIT_OK)
		goto out;
	nw = a->jobs < b.n ? a->jobs : b.n;
	w = calloc(nw + 1, sizeof(*w));
	if (w == NULL) {
		cli_error("out of memory");
		rc = CLI_EXIT_DNS;
		goto out;
	}
	/* One resolver per worker (a resolver is not thread-safe), all made
	 * here: c-ares' library initialisation is not thread-safe. */
	for (i = 0; i < nw; i++) {
		w[i].b = &b;
		rc = cli_resolver(&a->dns, &w[i].r);
		if (rc != CLI_EXIT_OK)
			goto out;
	}
	b.window = a->jobs * 64 > 4096 ? a->jobs * 64 : 4096;
	b.color = !a->json && color_wanted(a->color);
	pthread_mutex_init(&b.mu, NULL);
	pthread_cond_init(&b.cv_done, NULL);
	pthread_cond_init(&b.cv_print, NULL);
	json_object_seed(0); /* before threads (jansson's hash seed) */
	setvbuf(stdout, NULL, _IOFBF, 1 << 16);
	for (i = 0; i < nw; i++) {
		e = pthread_create(&w[i].tid, NULL, bulk_worker, &w[i]);
		if (e != 0) {
			cli_warn("cannot start worker %zu: %s", i,
				 strerror(e));
			break;
		}
		w[i].started = true;
	}
	if (nw > 0 && !w[0].started) {
		cli_error("no worker thread could start");
		rc = CLI_EXIT_DNS;
	} else {
		/* Progress when stderr is a terminal that the output does
		 * not go to (there, the lines themselves show it). */
		rc = bulk_print(&b, isatty(2) && !isatty(1) && !a->quiet);
	}
	for (k = 0; k < nw; k++)
		if (w[k].started)
			pthread_join(w[k].tid, NULL);
	pthread_cond_destroy(&b.cv_print);
	pthread_cond_destroy(&b.cv_done);
	pthread_mutex_destroy(&b.mu);
out:
	for (i = 0; w != NULL && i < nw; i++)
		sk_resolver_free(w[i].r);
	free(w);
	for (i = 0; i < b.n; i++) {
		free(b.items[i].name);
		free(b.items[i].out);
	}
	free(b.items);
	sk_profile_free(p);
	return rc;
}

int
cmd_audit(int argc, char **argv)
{
	const char *cmd = "audit";
	struct audit_args a;
	struct sk_hsts_preload *pl = NULL;
	int rc;

	rc = parse_args(cmd, argc, argv, &a);
	if (rc >= 0)
		return rc;
	rc = cli_hsts_preload(&a.ho, &pl);
	if (rc != CLI_EXIT_OK)
		return rc;
	a.opts.hsts_preload = pl;
	if (a.domains_path != NULL)
		rc = audit_bulk(cmd, &a);
	else
		rc = audit_single(cmd, &a);
	sk_hsts_preload_free(pl);
	return rc;
}
