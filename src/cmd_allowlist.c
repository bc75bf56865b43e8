/*
 * src/cmd_allowlist.c - `senderkit allowlist check|render|diff`: a
 * provider's IP blocks and web domains (profile [list NAME] sections)
 * for firewalls, proxies and mail filters.  A thin layer over the
 * allowlist part of include/senderkit/net.h.
 *
 *   check   which list and block holds each address (or none);
 *   render  the lists in a firewall, proxy or mail-filter format;
 *   diff    the profile items an existing rules file does not allow
 *           (address rules, or squid, pac and hosts domain lists).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum {
	OPT_PROFILE = CLI_OPT_FIRST_CMD,
	OPT_SET,
	OPT_LIST,
	OPT_FORMAT,
	OPT_NAME,
	OPT_PORT,
	OPT_PROXY,
	OPT_AS_LISTED,
	OPT_OUTPUT,
};

#define MAX_LISTS 32
/* Largest rules file `diff` reads, and largest stdin line of `check`. */
#define RULES_MAX SK_INI_MAX_FILE
#define LINE_MAX_CHECK 1024

struct opts {
	const char *profile;
	const char *set;
	const char *lists[MAX_LISTS];
	size_t nlists;
	const char *format;
	const char *name;
	const char *proxy;
	const char *output;
	unsigned port;
	bool as_listed;
	bool json;
};

/* What each command loaded. */
struct loaded {
	struct sk_profile *p;
	struct sk_allowlist *al;
	const char *names[MAX_LISTS];
	size_t nnames;
	const char *set_name;
};

static void
check_usage(FILE *f)
{
	fputs("Usage: senderkit allowlist check [options] IP... | -\n"
	      "\nFor each address, the profile list and block that hold it, "
	      "or \"outside\".\nWith '-', addresses are read from standard "
	      "input, one a line.\n"
	      "\nOptions:\n"
	      "  --profile P      provider profile name or path (default "
	      "marketo)\n"
	      "  --set S          sending, outbound, all (default all: every "
	      "address list)\n"
	      "  --list NAME      a profile list by name (repeatable; "
	      "instead of --set)\n"
	      "  --json           one JSON object\n"
	      "\nExit: 0 all inside, 1 some outside, 2 bad input.\n", f);
}

static void
render_usage(FILE *f)
{
	fputs("Usage: senderkit allowlist render --format F [options]\n"
	      "\nWrite the profile's lists in format F:\n"
	      "  addresses: nftables iptables ip6tables pf aws azure gcp "
	      "nginx apache\n"
	      "             haproxy postfix spamassassin csv json ranges\n"
	      "  domains:   squid pac hosts (and json)\n"
	      "\nOptions:\n"
	      "  --profile P      provider profile name or path (default "
	      "marketo)\n"
	      "  --set S          sending, outbound (sending plus single "
	      "outbound IPs),\n"
	      "                   web (domains), all (default: outbound, or "
	      "web for\n"
	      "                   domain formats)\n"
	      "  --list NAME      a profile list by name (repeatable)\n"
	      "  --name ID        base of table, set, chain and ACL names\n"
	      "  --port N         allow TCP to port N only (nftables, "
	      "iptables, pf,\n"
	      "                   aws, azure, gcp); default: everything\n"
	      "  --proxy SPEC     pac: what other hosts get (default "
	      "\"PROXY proxy.invalid:3128\")\n"
	      "  --as-listed      one entry per profile item instead of the "
	      "merged set\n"
	      "  --output FILE    write there instead of standard output\n",
	      f);
}

static void
diff_usage(FILE *f)
{
	fputs("Usage: senderkit allowlist diff --format F [options] FILE\n"
	      "\nWhich profile items the allowed addresses of rules file "
	      "FILE ('-': standard\ninput) do not cover.  An item inside a "
	      "broader rule counts as covered.\n"
	      "\nFormats: nftables, iptables (iptables-restore, "
	      "ip6tables-restore or\n`iptables -S`), csv, text (every "
	      "address outside comment lines); the\nother address formats "
	      "of `render` are read as text.  Domain lists: squid\n"
	      "(dstdomain ACLs), pac (tests leading to DIRECT), hosts "
	      "(patterns); \"*.x\"\nin the profile is every subdomain of "
	      "x, covered by \".x\", \"*.x\" or broader.\n"
	      "\nOptions:\n"
	      "  --profile P      provider profile name or path (default "
	      "marketo)\n"
	      "  --set S          sending, outbound, web, all (default "
	      "outbound; web for\n"
	      "                   domain formats)\n"
	      "  --list NAME      a profile list by name (repeatable)\n"
	      "  --json           one JSON object\n"
	      "\nExit: 0 nothing missing, 1 items missing, 2 bad input.\n",
	      f);
}

void
cmd_allowlist_usage(FILE *f)
{
	fputs("Usage: senderkit allowlist check [options] IP...\n"
	      "       senderkit allowlist render --format F [options]\n"
	      "       senderkit allowlist diff --format F [options] FILE\n"
	      "\nThe provider's IP blocks and web domains (profile lists, "
	      "each with its\nsource URL and date) for firewalls, proxies "
	      "and mail filters.\n"
	      "\nSubcommands:\n"
	      "  check   the list and block holding each address, or "
	      "\"outside\"\n"
	      "  render  the lists as nftables, iptables, pf, aws, azure, "
	      "gcp, nginx,\n"
	      "          apache, haproxy, postfix, spamassassin, csv, json, "
	      "ranges,\n"
	      "          squid, pac or hosts\n"
	      "  diff    the profile items an existing rules file lacks\n"
	      "\nSee 'senderkit allowlist SUBCOMMAND --help' and "
	      "senderkit-allowlist(1).\n", f);
}

/* Parse the shared options; returns -1 to go on, else an exit code. */
static int
parse_opts(const char *cmd, int argc, char **argv, struct opts *o,
	   void (*usage)(FILE *))
{
	static const struct option longopts[] = {
		{"json", no_argument, NULL, CLI_OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{"profile", required_argument, NULL, OPT_PROFILE},
		{"set", required_argument, NULL, OPT_SET},
		{"list", required_argument, NULL, OPT_LIST},
		{"format", required_argument, NULL, OPT_FORMAT},
		{"name", required_argument, NULL, OPT_NAME},
		{"port", required_argument, NULL, OPT_PORT},
		{"proxy", required_argument, NULL, OPT_PROXY},
		{"as-listed", no_argument, NULL, OPT_AS_LISTED},
		{"output", required_argument, NULL, OPT_OUTPUT},
		{NULL, 0, NULL, 0},
	};
	unsigned long v;
	int c;

	memset(o, 0, sizeof(*o));
	o->profile = "marketo";
	cli_getopt_reset();
	for (;;) {
		c = cli_getopt(cmd, argc, argv, "h", longopts);
		if (c == -1)
			return -1;
		if (c == -2)
			return CLI_EXIT_USAGE;
		switch (c) {
		case 'h':
			usage(stdout);
			return CLI_EXIT_OK;
		case CLI_OPT_JSON:
			o->json = true;
			break;
		case OPT_PROFILE:
			o->profile = optarg;
			break;
		case OPT_SET:
			o->set = optarg;
			break;
		case OPT_LIST:
			if (o->nlists == MAX_LISTS)
				return cli_usage(cmd, "too many --list (max "
						 "%d)", MAX_LISTS);
			o->lists[o->nlists++] = optarg;
			break;
		case OPT_FORMAT:
			o->format = optarg;
			break;
		case OPT_NAME:
			o->name = optarg;
			break;
		case OPT_PORT:
			if (!cli_parse_uint(optarg, 1, 65535, &v))
				return cli_usage(cmd, "--port wants 1-65535, "
						 "not '%s'", optarg);
			o->port = (unsigned)v;
			break;
		case OPT_PROXY:
			o->proxy = optarg;
			break;
		case OPT_AS_LISTED:
			o->as_listed = true;
			break;
		case OPT_OUTPUT:
			o->output = optarg;
			break;
		default:
			return cli_usage(cmd, "unexpected option");
		}
	}
}

static bool
is_kind(const struct sk_profile_list *l, const char *kind)
{
	return l->kind != NULL && strcmp(l->kind, kind) == 0;
}

/* Add a list by name when the profile has it; false when not. */
static bool
want_list(struct loaded *ld, const char *name)
{
	if (sk_profile_list(ld->p, name) == NULL)
		return false;
	if (ld->nnames < MAX_LISTS)
		ld->names[ld->nnames++] = name;
	return true;
}

/*
 * Load the profile and build the allowlist of --list names or of a set:
 *   sending   sending_cidrs
 *   outbound  sending_cidrs + outbound_ips (the provider's documentation
 *             lists the single outbound IPs "in addition" to the blocks)
 *   web       web_domains
 *   all       every list of kind cidr (`domains`: of kind domain)
 */
static int
load(const char *cmd, const struct opts *o, const char *defset,
     bool domains, struct loaded *ld)
{
	struct sk_findings *w = NULL;
	struct sk_err err;
	char *path = NULL;
	const char *set = o->set != NULL ? o->set : defset;
	size_t i;
	sk_status st;

	memset(ld, 0, sizeof(*ld));
	sk_err_clear(&err);
	if (o->set != NULL && o->nlists > 0)
		return cli_usage(cmd, "--set and --list cannot be combined");
	st = sk_profile_find(o->profile, NULL, &path, &err);
	if (st != SK_OK) {
		cli_error("profile %s: %s", o->profile,
			  err.msg[0] ? err.msg : sk_strerror(st));
		return CLI_EXIT_USAGE;
	}
	st = sk_profile_load(path, &ld->p, &err);
	free(path);
	if (st != SK_OK) {
		cli_error("%s", err.msg[0] ? err.msg : sk_strerror(st));
		return CLI_EXIT_USAGE;
	}
	if (o->nlists > 0) {
		for (i = 0; i < o->nlists; i++)
			ld->names[ld->nnames++] = o->lists[i];
		ld->set_name = o->nlists == 1 ? o->lists[0] : "lists";
	} else if (strcmp(set, "sending") == 0) {
		if (!want_list(ld, "sending_cidrs"))
			goto nolist;
	} else if (strcmp(set, "outbound") == 0) {
		want_list(ld, "sending_cidrs");
		if (!want_list(ld, "outbound_ips") && ld->nnames == 0)
			goto nolist;
	} else if (strcmp(set, "web") == 0) {
		if (!want_list(ld, "web_domains"))
			goto nolist;
	} else if (strcmp(set, "all") == 0) {
		for (i = 0; i < ld->p->nlists && ld->nnames < MAX_LISTS; i++)
			if (is_kind(&ld->p->lists[i],
				    domains ? "domain" : "cidr"))
				ld->names[ld->nnames++] =
					ld->p->lists[i].name;
		if (ld->nnames == 0)
			goto nolist;
	} else {
		return cli_usage(cmd, "--set wants sending, outbound, web or "
				 "all, not '%s'", set);
	}
	if (ld->set_name == NULL)
		ld->set_name = set;
	st = sk_allowlist_new(ld->p, ld->names, ld->nnames, ld->set_name,
			      &ld->al, &w, &err);
	if (st != SK_OK) {
		cli_error("profile %s: %s", ld->p->path != NULL ?
			  ld->p->path : o->profile,
			  err.msg[0] ? err.msg : sk_strerror(st));
		return CLI_EXIT_USAGE;
	}
	for (i = 0; i < sk_findings_count(w); i++) {
		const struct sk_finding *f = sk_findings_get(w, i);

		cli_warn("profile %s: %s: %s", ld->p->id, f->subject,
			 f->message);
	}
	sk_findings_free(w);
	return -1;
nolist:
	cli_error("profile %s has no list for set '%s'", ld->p->id, set);
	return CLI_EXIT_USAGE;
}

static void
unload(struct loaded *ld)
{
	sk_allowlist_free(ld->al);
	sk_profile_free(ld->p);
}

/* ------------------------------------------------------------ check */

/* Check one address; print or add to JSON.  Returns 0 inside, 1
 * outside, 2 bad input. */
static int
check_one(struct loaded *ld, const char *txt, size_t len, json_t *arr)
{
	struct sk_allowlist_match m[16];
	struct sk_ipaddr a;
	struct sk_err err;
	char blk[SK_CIDR_STRLEN], ip[SK_IP_STRLEN];
	size_t n, i, k;
	json_t *jr, *jm;

	sk_err_clear(&err);
	if (sk_ip_parse(txt, len, &a, &err) != SK_OK) {
		cli_error("'%.*s' is not an IP address: %s", (int)len, txt,
			  err.msg);
		if (err.offset != SK_NO_OFFSET && len < 200) {
			char tmp[256];

			snprintf(tmp, sizeof(tmp), "%.*s", (int)len, txt);
			fprintf(stderr, "        %s\n        %*s^\n", tmp,
				(int)err.offset, "");
		}
		return 2;
	}
	sk_ip_format(&a, ip, sizeof(ip));
	n = sk_allowlist_lookup(ld->al, &a, m, 16);
	k = n < 16 ? n : 16;
	if (arr != NULL) {
		jr = json_object();
		cli_json_set_str(jr, "ip", ip);
		json_object_set_new(jr, "inside", json_boolean(n > 0));
		jm = json_array();
		for (i = 0; i < k; i++) {
			json_t *o = json_object();

			sk_cidr_format(&m[i].block, blk, sizeof(blk));
			cli_json_set_str(o, "list", m[i].list->name);
			cli_json_set_str(o, "item", m[i].item);
			cli_json_set_str(o, "block", blk);
			cli_json_set_str(o, "source", m[i].list->source);
			cli_json_set_str(o, "as_of", m[i].list->as_of);
			json_array_append_new(jm, o);
		}
		json_object_set_new(jr, "matches", jm);
		json_array_append_new(arr, jr);
		return n > 0 ? 0 : 1;
	}
	if (n == 0) {
		printf("%s  outside\n", ip);
		return 1;
	}
	for (i = 0; i < k; i++)
		printf("%s  %s %s (%s, as of %s)\n", ip, m[i].list->name,
		       m[i].item, m[i].list->source != NULL ?
		       m[i].list->source : "no source",
		       m[i].list->as_of != NULL ? m[i].list->as_of : "?");
	return 0;
}

static int
worse(int rc, int r)
{
	/* Bad input (2) outranks outside (1). */
	return r > rc ? r : rc;
}

static int
allowlist_check(int argc, char **argv)
{
	const char *cmd = "allowlist check";
	struct loaded ld;
	struct opts o;
	char line[LINE_MAX_CHECK + 2];
	json_t *arr = NULL, *root;
	int rc, res = 0, i, nout = 0;
	size_t len, s;

	rc = parse_opts(cmd, argc, argv, &o, check_usage);
	if (rc >= 0)
		return rc;
	if (optind >= argc)
		return cli_usage(cmd, "missing IP");
	rc = load(cmd, &o, "all", false, &ld);
	if (rc >= 0) {
		unload(&ld);
		return rc;
	}
	if (o.json)
		arr = json_array();
	for (i = optind; i < argc; i++) {
		if (strcmp(argv[i], "-") != 0) {
			rc = check_one(&ld, argv[i], strlen(argv[i]), arr);
			nout += rc == 1;
			res = worse(res, rc);
			continue;
		}
		while (fgets(line, sizeof(line), stdin) != NULL) {
			len = strlen(line);
			if (len > LINE_MAX_CHECK) {
				cli_error("standard input: line over %d "
					  "bytes", LINE_MAX_CHECK);
				res = 2;
				break;
			}
			while (len > 0 && (line[len - 1] == '\n' ||
					   line[len - 1] == '\r' ||
					   line[len - 1] == ' ' ||
					   line[len - 1] == '\t'))
				len--;
			for (s = 0; s < len && (line[s] == ' ' ||
						line[s] == '\t'); s++)
				;
			if (s == len || line[s] == '#')
				continue;
			rc = check_one(&ld, line + s, len - s, arr);
			nout += rc == 1;
			res = worse(res, rc);
		}
	}
	if (arr != NULL) {
		root = json_object();
		cli_json_set_str(root, "profile", ld.p->id);
		cli_json_set_str(root, "set", ld.set_name);
		json_object_set_new(root, "results", arr);
		json_object_set_new(root, "outside", json_integer(nout));
		cli_json_print(root, false);
	}
	unload(&ld);
	return res;
}

/* ------------------------------------------------------------ render */

static int
allowlist_render(int argc, char **argv)
{
	const char *cmd = "allowlist render";
	struct sk_allowlist_render_opts ro;
	enum sk_allowlist_format f;
	struct loaded ld;
	struct sk_err err;
	struct opts o;
	char gen[64], *txt = NULL;
	FILE *fp;
	int rc;
	sk_status st;
	bool dom;

	rc = parse_opts(cmd, argc, argv, &o, render_usage);
	if (rc >= 0)
		return rc;
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind]);
	if (o.format == NULL)
		return cli_usage(cmd, "missing --format");
	if (!sk_allowlist_format_parse(o.format, &f))
		return cli_usage(cmd, "unknown format '%s' (see --help)",
				 o.format);
	dom = sk_allowlist_format_is_domain(f);
	rc = load(cmd, &o, dom ? "web" : "outbound", dom, &ld);
	if (rc >= 0) {
		unload(&ld);
		return rc;
	}
	memset(&ro, 0, sizeof(ro));
	snprintf(gen, sizeof(gen), "senderkit %s", sk_version());
	ro.name = o.name;
	ro.port = o.port;
	ro.proxy = o.proxy;
	ro.as_listed = o.as_listed;
	ro.generator = gen;
	sk_err_clear(&err);
	st = sk_allowlist_render(ld.al, f, &ro, &txt, &err);
	if (st != SK_OK) {
		cli_error("%s", err.msg[0] ? err.msg : sk_strerror(st));
		unload(&ld);
		return st == SK_EINVAL ? CLI_EXIT_USAGE : CLI_EXIT_DNS;
	}
	rc = CLI_EXIT_OK;
	if (o.output != NULL) {
		fp = fopen(o.output, "w");
		if (fp == NULL) {
			cli_error("%s: %s", o.output, strerror(errno));
			rc = CLI_EXIT_USAGE;
		} else {
			fputs(txt, fp);
			if (fclose(fp) != 0) {
				cli_error("%s: %s", o.output,
					  strerror(errno));
				rc = CLI_EXIT_USAGE;
			}
		}
	} else {
		fputs(txt, stdout);
	}
	free(txt);
	unload(&ld);
	return rc;
}

/* ------------------------------------------------------------ diff */

static bool
rules_format(const char *name, enum sk_rules_format *rf)
{
	enum sk_allowlist_format f;

	if (strcmp(name, "text") == 0) {
		*rf = SK_RULES_TEXT;
		return true;
	}
	if (!sk_allowlist_format_parse(name, &f) ||
	    sk_allowlist_format_is_domain(f))
		return false;
	switch (f) {
	case SK_ALF_NFTABLES:
		*rf = SK_RULES_NFTABLES;
		break;
	case SK_ALF_IPTABLES:
	case SK_ALF_IP6TABLES:
		*rf = SK_RULES_IPTABLES;
		break;
	case SK_ALF_CSV:
		*rf = SK_RULES_CSV;
		break;
	default:
		*rf = SK_RULES_TEXT;
		break;
	}
	return true;
}

static bool
domain_rules_format(const char *name, enum sk_domain_rules_format *df)
{
	enum sk_allowlist_format f;

	if (!sk_allowlist_format_parse(name, &f) ||
	    !sk_allowlist_format_is_domain(f))
		return false;
	*df = f == SK_ALF_SQUID ? SK_DRULES_SQUID :
	      f == SK_ALF_PAC ? SK_DRULES_PAC : SK_DRULES_HOSTS;
	return true;
}

/* Read a whole file (or stdin for "-") of at most RULES_MAX bytes. */
static char *
read_file(const char *path, size_t *len)
{
	FILE *fp = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *buf;
	size_t n;

	if (fp == NULL) {
		cli_error("%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(RULES_MAX + 1);
	if (buf == NULL) {
		cli_error("out of memory");
		if (fp != stdin)
			fclose(fp);
		return NULL;
	}
	n = fread(buf, 1, RULES_MAX + 1, fp);
	if (ferror(fp) || n > RULES_MAX) {
		if (n > RULES_MAX)
			cli_error("%s: over %u bytes", path, RULES_MAX);
		else
			cli_error("%s: read error", path);
		free(buf);
		buf = NULL;
	}
	if (fp != stdin)
		fclose(fp);
	*len = n;
	return buf;
}

/* The parts of an item the file does not allow, as "a, b" text. */
static void
not_allowed(const struct sk_allowlist_missing *m, const struct sk_cidrset
	    *have, char *buf, size_t size, json_t *arr)
{
	struct sk_cidrset *one = NULL, *rest = NULL;
	struct sk_cidrset_iter it;
	struct sk_iprange r;
	struct sk_cidr c;
	char t[SK_CIDR_STRLEN];
	size_t o = 0, k = 0;

	buf[0] = '\0';
	if (sk_iprange_parse(m->item, strlen(m->item), 0, &r, NULL, NULL) !=
	    SK_OK || sk_cidrset_new(&one, NULL) != SK_OK)
		return;
	if (sk_cidrset_add_range(one, &r, NULL) == SK_OK &&
	    sk_cidrset_diff(one, have, &rest, NULL) == SK_OK) {
		sk_cidrset_iter_init(&it);
		while (sk_cidrset_next(rest, &it, &c)) {
			sk_cidr_format(&c, t, sizeof(t));
			if (arr != NULL)
				json_array_append_new(arr, cli_json_str(t));
			if (k++ < 8 && o + strlen(t) + 8 < size)
				o += (size_t)snprintf(buf + o, size - o,
						      "%s%s", o ? ", " : "",
						      t);
		}
		if (k > 8 && o + 8 < size)
			snprintf(buf + o, size - o, ", ...");
	}
	sk_cidrset_free(one);
	sk_cidrset_free(rest);
}

/* Number of items of the loaded lists of one kind (names once). */
static size_t
count_items(const struct loaded *ld, bool domains)
{
	size_t i, j, total = 0;
	bool dup;

	for (i = 0; i < ld->nnames; i++) {
		const struct sk_profile_list *l =
			sk_profile_list(ld->p, ld->names[i]);

		dup = false;
		for (j = 0; j < i; j++)
			dup = dup || strcmp(ld->names[j], ld->names[i]) == 0;
		if (l != NULL && !dup && is_kind(l, "domain") == domains)
			total += l->count;
	}
	return total;
}

/* The head of `diff --json`: what was compared and how much. */
static json_t *
diff_root(const struct loaded *ld, const char *path, const char *format,
	  size_t nfound, size_t total)
{
	json_t *root = json_object();

	cli_json_set_str(root, "profile", ld->p->id);
	cli_json_set_str(root, "set", ld->set_name);
	cli_json_set_str(root, "file", path);
	cli_json_set_str(root, "format", format);
	json_object_set_new(root, "entries", json_integer((json_int_t)nfound));
	json_object_set_new(root, "items", json_integer((json_int_t)total));
	return root;
}

/* The end of `diff`: the JSON document (root with jm as "missing") or
 * the summary line; the exit code. */
static int
diff_end(json_t *root, json_t *jm, const struct loaded *ld, const char *path,
	 size_t nmiss, size_t total, size_t nfound)
{
	if (jm != NULL) {
		json_object_set_new(root, "missing", jm);
		cli_json_print(root, false);
	} else if (nmiss == 0) {
		printf("all %zu items of set %s allowed by %s (%zu entries "
		       "read)\n", total, ld->set_name, path, nfound);
	} else {
		printf("%zu of %zu items of set %s not (fully) allowed by %s "
		       "(%zu entries read)\n", nmiss, total, ld->set_name,
		       path, nfound);
	}
	return nmiss > 0 ? CLI_EXIT_FINDINGS : CLI_EXIT_OK;
}

/* `diff` of a proxy domain list (squid, pac, hosts). */
static int
diff_domains(const struct opts *o, enum sk_domain_rules_format df,
	     const char *path, struct loaded *ld)
{
	struct sk_allowlist_missing_domain *miss = NULL;
	struct sk_domainset *have = NULL;
	struct sk_err err;
	char *text;
	size_t len, nfound = 0, nmiss = 0, i, total;
	json_t *root = NULL, *jm = NULL;
	sk_status st;

	if (sk_allowlist_ndomains(ld->al) == 0) {
		cli_error("format %s reads domain lists; set %s has none",
			  o->format, ld->set_name);
		return CLI_EXIT_USAGE;
	}
	text = read_file(path, &len);
	if (text == NULL)
		return CLI_EXIT_USAGE;
	sk_err_clear(&err);
	st = sk_domainset_new(&have, &err);
	if (st == SK_OK)
		st = sk_rules_parse_domains(text, len, df, have, &nfound,
					    &err);
	free(text);
	if (st == SK_OK)
		st = sk_allowlist_diff_domains(ld->al, have, &miss, &nmiss,
					       &err);
	sk_domainset_free(have);
	if (st != SK_OK) {
		cli_error("%s: %s", path, err.msg[0] ? err.msg :
			  sk_strerror(st));
		return CLI_EXIT_USAGE;
	}
	total = count_items(ld, true);
	if (o->json) {
		root = diff_root(ld, path, o->format, nfound, total);
		jm = json_array();
	}
	for (i = 0; i < nmiss; i++) {
		const struct sk_allowlist_missing_domain *m = &miss[i];
		json_t *o1;

		if (jm != NULL) {
			o1 = json_object();
			cli_json_set_str(o1, "list", m->list->name);
			cli_json_set_str(o1, "item", m->item);
			json_object_set_new(o1, "partial",
					    json_boolean(m->partial));
			cli_json_set_str(o1, "source", m->list->source);
			cli_json_set_str(o1, "as_of", m->list->as_of);
			json_array_append_new(jm, o1);
			continue;
		}
		printf("%s  %s %s%s (%s, as of %s)\n", m->partial ?
		       "partial" : "missing", m->list->name, m->item,
		       m->partial ? ": only some subdomains allowed" : "",
		       m->list->source ? m->list->source : "?",
		       m->list->as_of ? m->list->as_of : "?");
	}
	free(miss);
	return diff_end(root, jm, ld, path, nmiss, total, nfound);
}

static int
allowlist_diff(int argc, char **argv)
{
	const char *cmd = "allowlist diff";
	struct sk_allowlist_missing *miss = NULL;
	enum sk_rules_format rf;
	enum sk_domain_rules_format df = SK_DRULES_HOSTS;
	struct sk_cidrset *have = NULL;
	struct loaded ld;
	struct sk_err err;
	struct opts o;
	const char *path;
	char *text, parts[512];
	size_t len, nfound = 0, nmiss = 0, i, total = 0;
	json_t *root = NULL, *jm = NULL;
	sk_status st;
	int rc;
	bool dom;

	rc = parse_opts(cmd, argc, argv, &o, diff_usage);
	if (rc >= 0)
		return rc;
	if (o.format == NULL)
		return cli_usage(cmd, "missing --format");
	dom = domain_rules_format(o.format, &df);
	if (!dom && !rules_format(o.format, &rf))
		return cli_usage(cmd, "diff reads address rules (nftables, "
				 "iptables, csv, text or another address "
				 "format of render) or domain lists (squid, "
				 "pac, hosts), not '%s'", o.format);
	if (optind >= argc)
		return cli_usage(cmd, "missing FILE");
	path = argv[optind++];
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind]);
	if (dom) {
		rc = load(cmd, &o, "web", true, &ld);
		if (rc < 0)
			rc = diff_domains(&o, df, path, &ld);
		unload(&ld);
		return rc;
	}
	rc = load(cmd, &o, "outbound", false, &ld);
	if (rc >= 0) {
		unload(&ld);
		return rc;
	}
	text = read_file(path, &len);
	if (text == NULL) {
		unload(&ld);
		return CLI_EXIT_USAGE;
	}
	sk_err_clear(&err);
	st = sk_cidrset_new(&have, &err);
	if (st == SK_OK)
		st = sk_rules_parse(text, len, rf, have, &nfound, &err);
	free(text);
	if (st == SK_OK) {
		sk_cidrset_aggregate(have);
		st = sk_allowlist_diff(ld.al, have, &miss, &nmiss, &err);
	}
	if (st != SK_OK) {
		cli_error("%s: %s", path, err.msg[0] ? err.msg :
			  sk_strerror(st));
		sk_cidrset_free(have);
		unload(&ld);
		return CLI_EXIT_USAGE;
	}
	total = count_items(&ld, false);
	if (o.json) {
		root = diff_root(&ld, path, o.format, nfound, total);
		jm = json_array();
	}
	for (i = 0; i < nmiss; i++) {
		const struct sk_allowlist_missing *m = &miss[i];
		json_t *o1 = NULL, *na = NULL;

		if (jm != NULL) {
			o1 = json_object();
			na = json_array();
		}
		parts[0] = '\0';
		if (m->partial)
			not_allowed(m, have, parts, sizeof(parts), na);
		if (jm != NULL) {
			char blk[SK_CIDR_STRLEN];

			sk_cidr_format(&m->block, blk, sizeof(blk));
			cli_json_set_str(o1, "list", m->list->name);
			cli_json_set_str(o1, "item", m->item);
			cli_json_set_str(o1, "block", blk);
			json_object_set_new(o1, "partial",
					    json_boolean(m->partial));
			json_object_set_new(o1, "not_allowed", na);
			cli_json_set_str(o1, "source", m->list->source);
			cli_json_set_str(o1, "as_of", m->list->as_of);
			json_array_append_new(jm, o1);
			continue;
		}
		if (m->partial)
			printf("partial  %s %s: not allowed %s (%s, as of "
			       "%s)\n", m->list->name, m->item, parts,
			       m->list->source ? m->list->source : "?",
			       m->list->as_of ? m->list->as_of : "?");
		else
			printf("missing  %s %s (%s, as of %s)\n",
			       m->list->name, m->item,
			       m->list->source ? m->list->source : "?",
			       m->list->as_of ? m->list->as_of : "?");
	}
	free(miss);
	sk_cidrset_free(have);
	rc = diff_end(root, jm, &ld, path, nmiss, total, nfound);
	unload(&ld);
	return rc;
}

int
cmd_allowlist(int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
		{"check", allowlist_check},
		{"render", allowlist_render},
		{"diff", allowlist_diff},
	};

	return cli_dispatch("allowlist", argc, argv, subs,
			    sizeof(subs) / sizeof(subs[0]),
			    cmd_allowlist_usage);
}
