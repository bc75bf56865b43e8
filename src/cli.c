/*
 * src/cli.c - shared helpers of the senderkit program: messages, exit
 * codes, getopt_long wrapping, the DNS backend options, JSON output that
 * stays valid UTF-8 whatever bytes a DNS answer carried (RFC 8259 section
 * 8.1 requires UTF-8).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

void
cli_error(const char *fmt, ...)
{
	va_list ap;

	fputs("senderkit: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

void
cli_warn(const char *fmt, ...)
{
	va_list ap;

	fputs("senderkit: warning: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

int
cli_usage(const char *cmd, const char *fmt, ...)
{
	va_list ap;

	fputs("senderkit: error: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\nTry 'senderkit %s --help' for more information.\n",
		cmd);
	return CLI_EXIT_USAGE;
}

int
cli_dispatch(const char *cmd, int argc, char **argv,
	     const struct cli_subcommand *subs, size_t nsubs,
	     void (*usage)(FILE *f))
{
	size_t i;

	if (argc < 2) {
		usage(stderr);
		return CLI_EXIT_USAGE;
	}
	if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "help") == 0) {
		usage(stdout);
		return CLI_EXIT_OK;
	}
	for (i = 0; i < nsubs; i++)
		if (strcmp(argv[1], subs[i].name) == 0)
			return subs[i].run(argc - 1, argv + 1);
	return cli_usage(cmd, "unknown subcommand '%s'", argv[1]);
}

void
cli_getopt_reset(void)
{
	optind = 0; /* glibc: full re-initialisation */
	opterr = 0;
}

int
cli_getopt(const char *cmd, int argc, char **argv, const char *shortopts,
	   const struct option *longopts)
{
	char spec[64];
	int c;

	snprintf(spec, sizeof(spec), ":%s", shortopts);
	opterr = 0;
	c = getopt_long(argc, argv, spec, longopts, NULL);
	if (c == '?') {
		if (optopt != 0 && optopt < 0x100)
			cli_usage(cmd, "unknown option '-%c'", optopt);
		else
			cli_usage(cmd, "unknown option '%s'",
				  argv[optind - 1]);
		return -2;
	}
	if (c == ':') {
		if (optopt != 0 && optopt < 0x100)
			cli_usage(cmd, "option '-%c' needs an argument",
				  optopt);
		else
			cli_usage(cmd, "option '%s' needs an argument",
				  argv[optind - 1]);
		return -2;
	}
	return c;
}

bool
cli_parse_uint(const char *s, unsigned long min, unsigned long max,
	       unsigned long *out)
{
	unsigned long v;
	char *end;

	if (s == NULL || *s < '0' || *s > '9')
		return false;
	errno = 0;
	v = strtoul(s, &end, 10);
	if (errno != 0 || *end != '\0' || v < min || v > max)
		return false;
	*out = v;
	return true;
}

bool
cli_dns_option(const char *cmd, struct cli_dns *d, int opt, const char *arg,
	       int *rc)
{
	unsigned long v;

	*rc = 0;
	switch (opt) {
	case CLI_OPT_ZONE:
		if (d->nzones >= CLI_MAX_ZONES) {
			*rc = cli_usage(cmd, "too many --zone files (max %d)",
					CLI_MAX_ZONES);
			return true;
		}
		d->zones[d->nzones++] = arg;
		return true;
	case CLI_OPT_SERVER:
		d->server = arg;
		return true;
	case CLI_OPT_TIMEOUT:
		if (!cli_parse_uint(arg, 1, 600000, &v)) {
			*rc = cli_usage(cmd, "--timeout wants milliseconds "
					"(1-600000), not '%s'", arg);
			return true;
		}
		d->timeout_ms = (unsigned)v;
		return true;
	default:
		return false;
	}
}

bool
cli_https_option(const char *cmd, struct cli_https *h, int opt,
		 const char *arg, int *rc)
{
	*rc = 0;
	switch (opt) {
	case CLI_OPT_CONNECT_TO:
		if (h->nconnect_to == SK_HTTPS_MAX_CONNECT_TO) {
			*rc = cli_usage(cmd, "too many --connect-to");
			return true;
		}
		h->connect_to[h->nconnect_to++] = arg;
		return true;
	case CLI_OPT_CA_FILE:
		h->ca_file = arg;
		return true;
	case CLI_OPT_HSTS_PRELOAD:
		h->preload_path = arg;
		return true;
	default:
		return false;
	}
}

int
cli_hsts_preload(const struct cli_https *h, struct sk_hsts_preload **out)
{
	struct sk_err err;

	*out = NULL;
	if (h->preload_path == NULL)
		return CLI_EXIT_OK;
	sk_err_clear(&err);
	if (sk_hsts_preload_load(h->preload_path, out, &err) != SK_OK) {
		cli_error("%s", err.msg);
		return CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

int
cli_resolver(const struct cli_dns *d, struct sk_resolver **out)
{
	struct sk_resolver_opts o;
	struct sk_err err;
	sk_status st;
	size_t i;

	*out = NULL;
	sk_err_clear(&err);
	if (d->nzones > 0 && d->server != NULL) {
		cli_error("--zone and --server cannot be combined");
		return CLI_EXIT_USAGE;
	}
	if (d->nzones > 0) {
		st = sk_resolver_new_zones(out, &err);
		if (st != SK_OK) {
			cli_error("cannot create zone resolver: %s",
				  err.msg[0] ? err.msg : sk_strerror(st));
			return CLI_EXIT_DNS;
		}
		for (i = 0; i < d->nzones; i++) {
			st = sk_resolver_load_zone(*out, d->zones[i], NULL,
						   &err);
			if (st != SK_OK && strstr(err.msg, d->zones[i]) !=
			    NULL) {
				/* The library's message names the file. */
				cli_error("%s", err.msg);
			} else if (st != SK_OK) {
				if (err.line > 0)
					cli_error("%s:%u: %s", d->zones[i],
						  err.line, err.msg);
				else
					cli_error("%s: %s", d->zones[i],
						  err.msg[0] ? err.msg :
						  sk_strerror(st));
			}
			if (st != SK_OK) {
				sk_resolver_free(*out);
				*out = NULL;
				return CLI_EXIT_USAGE;
			}
		}
		return CLI_EXIT_OK;
	}
	memset(&o, 0, sizeof(o));
	o.server = d->server;
	o.timeout_ms = d->timeout_ms;
	st = sk_resolver_new_live(out, &o, &err);
	if (st == SK_EINVAL) {
		cli_error("--server: %s", err.msg[0] ? err.msg :
			  sk_strerror(st));
		return CLI_EXIT_USAGE;
	}
	if (st != SK_OK) {
		cli_error("cannot set up DNS: %s",
			  err.msg[0] ? err.msg : sk_strerror(st));
		return CLI_EXIT_DNS;
	}
	return CLI_EXIT_OK;
}

json_t *
cli_json_bytes(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	static const char hex[] = "0123456789abcdef";
	char *tmp;
	size_t i, k, n, o;
	json_t *j;

	if (s == NULL)
		return json_null();
	/* Fast path: already valid. */
	for (i = 0; i < len; i += n) {
		n = sk__utf8_seq(p + i, len - i, NULL);
		if (n == 0)
			break;
	}
	if (i >= len)
		return json_stringn(s, len);
	tmp = malloc(len * 4 + 1);
	if (tmp == NULL)
		return NULL;
	o = 0;
	for (i = 0; i < len; i += n) {
		n = sk__utf8_seq(p + i, len - i, NULL);
		if (n == 0) {
			tmp[o++] = '\\';
			tmp[o++] = 'x';
			tmp[o++] = hex[p[i] >> 4];
			tmp[o++] = hex[p[i] & 0xf];
			n = 1;
			continue;
		}
		for (k = 0; k < n; k++)
			tmp[o++] = (char)p[i + k];
	}
	j = json_stringn(tmp, o);
	free(tmp);
	return j;
}

json_t *
cli_json_str(const char *s)
{
	if (s == NULL)
		return json_null();
	return cli_json_bytes(s, strlen(s));
}

void
cli_json_set_str(json_t *obj, const char *key, const char *s)
{
	json_object_set_new(obj, key, cli_json_str(s));
}

int
cli_json_print(json_t *v, bool compact)
{
	char *s;
	size_t flags = JSON_ENSURE_ASCII;

	flags |= compact ? JSON_COMPACT : JSON_INDENT(2);
	s = json_dumps(v, flags);
	json_decref(v);
	if (s == NULL) {
		cli_error("out of memory formatting JSON");
		return -1;
	}
	fputs(s, stdout);
	fputc('\n', stdout);
	free(s);
	return 0;
}

void
cli_show_caret(const char *rec, size_t off)
{
	size_t len = strlen(rec), start = 0, end, i;

	if (off > len)
		return;
	if (off > 40)
		start = off - 40;
	end = start + 76 < len ? start + 76 : len;
	fputs("        ", stdout);
	if (start > 0)
		fputs("...", stdout);
	for (i = start; i < end; i++)
		putchar(rec[i] >= 0x20 && rec[i] < 0x7f ? rec[i] : '?');
	if (end < len)
		fputs("...", stdout);
	putchar('\n');
	printf("        %*s^\n", (int)(off - start + (start > 0 ? 3 : 0)),
	       "");
}

void
cli_findings_text(const struct sk_findings *fl, cli_finding_text_fn text_of,
		  void *arg)
{
	const struct sk_finding *f;
	const char *rec;
	size_t i, n = sk_findings_count(fl);

	for (i = 0; i < n; i++) {
		f = sk_findings_get(fl, i);
		printf("%-8s%-22s %s\n", sk_severity_str(f->severity), f->id,
		       f->message);
		if (f->offset == SK_NO_OFFSET || text_of == NULL)
			continue;
		rec = text_of(arg, f);
		if (rec != NULL)
			cli_show_caret(rec, f->offset);
	}
	if (n == 0)
		printf("no findings\n");
}

json_t *
cli_findings_json(const struct sk_findings *fl)
{
	const struct sk_finding *f;
	size_t i, n = sk_findings_count(fl);
	json_t *arr = json_array(), *jf;

	for (i = 0; i < n; i++) {
		f = sk_findings_get(fl, i);
		jf = json_object();
		cli_json_set_str(jf, "severity", sk_severity_str(f->severity));
		cli_json_set_str(jf, "id", f->id);
		cli_json_set_str(jf, "message", f->message);
		cli_json_set_str(jf, "subject", f->subject);
		json_object_set_new(jf, "offset", f->offset == SK_NO_OFFSET ?
				    json_null() :
				    json_integer((json_int_t)f->offset));
		cli_json_set_str(jf, "ref", f->ref);
		json_array_append_new(arr, jf);
	}
	return arr;
}
