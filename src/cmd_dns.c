/*
 * src/cmd_dns.c - `senderkit dns query`: ask one question through the
 * chosen backend and print the answer in zone-file presentation form
 * (RFC 1035 section 5.1: \DDD escapes in character-strings; RFC 3597
 * section 5 for types without a decoder), sorted, so that the live and
 * the zone backends can be compared line by line.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

enum { OPT_TYPE = CLI_OPT_FIRST_CMD };

void
cmd_dns_usage(FILE *f)
{
	fputs("Usage: senderkit dns query NAME [TYPE] [options]\n"
	      "\nAsk one DNS question (default type A) and print the status\n"
	      "(ANSWER, NXDOMAIN, NODATA, TEMPFAIL with the reason), the\n"
	      "CNAME chain if any and each record as a zone-file line\n"
	      "\"name TTL IN TYPE rdata\", sorted.\n"
	      "\nOptions:\n"
	      "  --zone FILE         answer from a zone file (repeatable)\n"
	      "  --server IP[:PORT]  ask this server\n"
	      "  --timeout MS        per-try timeout (live backend)\n"
	      "  --json              one JSON object (see docs/json.md)\n"
	      "  -h, --help          this help\n"
	      "\nExit codes: 0 answered (also NXDOMAIN and NODATA), "
	      "2 usage error,\n3 TEMPFAIL.\n", f);
}

/* One character-string, quoted, with \" \\ and \DDD for the rest. */
static void
put_charstr(struct sk_buf *b, const unsigned char *p, size_t n)
{
	size_t i;

	(void)sk__buf_addc(b, '"');
	for (i = 0; i < n; i++) {
		if (p[i] == '"' || p[i] == '\\') {
			(void)sk__buf_addc(b, '\\');
			(void)sk__buf_addc(b, (char)p[i]);
		} else if (p[i] < 0x20 || p[i] > 0x7e) {
			(void)sk__buf_printf(b, "\\%03u", p[i]);
		} else {
			(void)sk__buf_addc(b, (char)p[i]);
		}
	}
	(void)sk__buf_addc(b, '"');
}

static void
put_name(struct sk_buf *b, const char *name)
{
	(void)sk__buf_adds(b, name);
	if (name[0] == '\0' || name[strlen(name) - 1] != '.')
		(void)sk__buf_addc(b, '.');
}

/* The rdata of rr in presentation form. */
static void
put_rdata(struct sk_buf *b, const struct sk_dns_rr *rr)
{
	char ip[INET6_ADDRSTRLEN];
	const unsigned char *t;
	size_t i, off;

	switch (rr->type) {
	case SK_DNS_A:
		inet_ntop(AF_INET, rr->u.a, ip, sizeof(ip));
		(void)sk__buf_adds(b, ip);
		return;
	case SK_DNS_AAAA:
		inet_ntop(AF_INET6, rr->u.aaaa, ip, sizeof(ip));
		(void)sk__buf_adds(b, ip);
		return;
	case SK_DNS_MX:
		(void)sk__buf_printf(b, "%u ", rr->u.mx.preference);
		put_name(b, rr->u.mx.exchange);
		return;
	case SK_DNS_CNAME:
	case SK_DNS_PTR:
	case SK_DNS_NS:
		put_name(b, rr->u.target);
		return;
	case SK_DNS_TXT:
	case SK_DNS_SPF:
		t = (const unsigned char *)rr->u.txt.text;
		off = 0;
		for (i = 0; i < rr->u.txt.nstrings; i++) {
			if (i > 0)
				(void)sk__buf_addc(b, ' ');
			if (off + rr->u.txt.lens[i] > rr->u.txt.len)
				break;
			put_charstr(b, t + off, rr->u.txt.lens[i]);
			off += rr->u.txt.lens[i];
		}
		if (rr->u.txt.nstrings == 0)
			put_charstr(b, t, rr->u.txt.len);
		return;
	case SK_DNS_SOA:
		put_name(b, rr->u.soa.mname);
		(void)sk__buf_addc(b, ' ');
		put_name(b, rr->u.soa.rname);
		(void)sk__buf_printf(b, " %lu %lu %lu %lu %lu",
				     (unsigned long)rr->u.soa.serial,
				     (unsigned long)rr->u.soa.refresh,
				     (unsigned long)rr->u.soa.retry,
				     (unsigned long)rr->u.soa.expire,
				     (unsigned long)rr->u.soa.minimum);
		return;
	case SK_DNS_CAA:
		(void)sk__buf_printf(b, "%u %s ", rr->u.caa.flags,
				     rr->u.caa.tag);
		put_charstr(b, (const unsigned char *)rr->u.caa.value,
			    strlen(rr->u.caa.value));
		return;
	default:
		(void)sk__buf_printf(b, "\\# %u", rr->rdlen);
		if (rr->rdlen > 0)
			(void)sk__buf_addc(b, ' ');
		for (i = 0; i < rr->rdlen; i++)
			(void)sk__buf_printf(b, "%02x", rr->rdata[i]);
		return;
	}
}

static int
cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
print_answer(const struct sk_dns_answer *ans, bool json)
{
	struct sk_buf b, rd;
	char **lines;
	json_t *o, *arr, *jr;
	size_t i;

	lines = calloc(ans->count ? ans->count : 1, sizeof(*lines));
	if (lines == NULL) {
		cli_error("out of memory");
		return CLI_EXIT_DNS;
	}
	arr = json ? json_array() : NULL;
	for (i = 0; i < ans->count; i++) {
		const struct sk_dns_rr *rr = &ans->rr[i];

		sk__buf_init(&rd, 1 << 20);
		put_rdata(&rd, rr);
		sk__buf_init(&b, 1 << 20);
		put_name(&b, rr->owner);
		(void)sk__buf_printf(&b, " %lu IN %s ",
				     (unsigned long)rr->ttl,
				     sk_dns_type_str(rr->type));
		(void)sk__buf_add(&b, rd.p ? rd.p : "", rd.len);
		lines[i] = sk__buf_take(&b);
		if (json) {
			jr = json_object();
			cli_json_set_str(jr, "name", rr->owner);
			json_object_set_new(jr, "ttl",
					    json_integer(rr->ttl));
			cli_json_set_str(jr, "type",
					 sk_dns_type_str(rr->type));
			cli_json_set_str(jr, "rdata", rd.p ? rd.p : "");
			json_object_set_new(jr, "text",
					    cli_json_str(lines[i]));
			json_array_append_new(arr, jr);
		}
		sk__buf_free(&rd);
		sk__buf_free(&b);
	}
	if (json) {
		/* Same order as the text form: by presentation line. */
		size_t n = json_array_size(arr), k, m;

		for (k = 1; k < n; k++) {
			for (m = k; m > 0; m--) {
				json_t *x = json_array_get(arr, m - 1);
				json_t *y = json_array_get(arr, m);
				const char *xs = json_string_value(
					json_object_get(x, "text"));
				const char *ys = json_string_value(
					json_object_get(y, "text"));

				if (xs == NULL || ys == NULL ||
				    strcmp(xs, ys) <= 0)
					break;
				json_incref(x);
				json_array_set(arr, m - 1, y);
				json_array_set_new(arr, m, x);
			}
		}
		o = json_object();
		cli_json_set_str(o, "name", ans->qname);
		cli_json_set_str(o, "type", sk_dns_type_str(ans->qtype));
		cli_json_set_str(o, "status", sk_dns_status_str(ans->status));
		cli_json_set_str(o, "why", ans->why ? ans->why : "");
		json_object_set_new(o, "rcode", json_integer(ans->rcode));
		cli_json_set_str(o, "cname", ans->cname_links > 0 ?
				 ans->cname : NULL);
		json_object_set_new(o, "cname_links",
				    json_integer(ans->cname_links));
		json_object_set_new(o, "records", arr);
		cli_json_print(o, false);
	} else {
		if (ans->status == SK_DNS_TEMPFAIL && ans->why != NULL &&
		    ans->why[0] != '\0')
			printf("%s (%s)\n", sk_dns_status_str(ans->status),
			       ans->why);
		else
			printf("%s\n", sk_dns_status_str(ans->status));
		if (ans->cname_links > 0)
			printf("cname: %s -> %s (%u link%s)\n", ans->qname,
			       ans->cname, ans->cname_links,
			       ans->cname_links == 1 ? "" : "s");
		qsort(lines, ans->count, sizeof(*lines), cmp_str);
		for (i = 0; i < ans->count; i++)
			printf("%s\n", lines[i] ? lines[i] : "");
	}
	for (i = 0; i < ans->count; i++)
		sk__free(lines[i]);
	free(lines);
	return ans->status == SK_DNS_TEMPFAIL ? CLI_EXIT_DNS : CLI_EXIT_OK;
}

static int
dns_query(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DNS_LONGOPTS,
		{"json", no_argument, NULL, CLI_OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = "dns query";
	const struct sk_dns_answer *ans = NULL;
	struct sk_resolver *r = NULL;
	struct cli_dns d;
	struct sk_err err;
	const char *name, *tname = "A";
	uint16_t type;
	bool json = false;
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
			cmd_dns_usage(stdout);
			return CLI_EXIT_OK;
		default:
			return cli_usage(cmd, "unexpected option");
		}
	}
	if (optind >= argc)
		return cli_usage(cmd, "missing NAME");
	name = argv[optind++];
	if (optind < argc)
		tname = argv[optind++];
	if (optind < argc)
		return cli_usage(cmd, "unexpected argument '%s'",
				 argv[optind]);
	type = sk_dns_type_from_str(tname);
	if (type == 0)
		return cli_usage(cmd, "unknown record type '%s'", tname);
	rc = cli_resolver(&d, &r);
	if (rc != CLI_EXIT_OK)
		return rc;
	sk_err_clear(&err);
	st = sk_dns_resolve(r, name, type, &ans, &err);
	if (st != SK_OK) {
		sk_resolver_free(r);
		if (st == SK_EINVAL)
			return cli_usage(cmd, "%s", err.msg[0] ? err.msg :
					 "invalid domain name");
		cli_error("%s", err.msg[0] ? err.msg : sk_strerror(st));
		return CLI_EXIT_DNS;
	}
	rc = print_answer(ans, json);
	sk_dns_answer_unref(ans);
	sk_resolver_free(r);
	return rc;
}

int
cmd_dns(int argc, char **argv)
{
	static const struct cli_subcommand subs[] = {
		{"query", dns_query},
	};

	return cli_dispatch("dns", argc, argv, subs,
			    sizeof(subs) / sizeof(subs[0]), cmd_dns_usage);
}
