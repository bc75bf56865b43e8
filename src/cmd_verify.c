/*
 * src/cmd_verify.c - senderkit verify: what a receiver would decide about
 * a message.  One read of the message, streaming, with everything in
 * flight on one resolver: DKIM (RFC 6376) through sk_dkim_verify_*, SPF
 * (RFC 7208) through sk_spf_check_start, the Author Domains from the
 * From header (RFC 5322 section 3.4) with DMARC discovery started as soon
 * as the header block is read, then DMARC evaluation (RFC 9989 or RFC
 * 7489).  Prints the RFC 8601 Authentication-Results field, the
 * reasoning, and bulk-sender readiness (SPF and DKIM pass, DMARC
 * published and aligned, RFC 8058 one-click unsubscribe signed by an
 * aligned DKIM signature).
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "msg/msg_internal.h"

#define VERIFY_CHUNK 65536
#define MAX_FROM_FIELDS 16

enum {
	OPT_IP = CLI_OPT_FIRST_CMD,
	OPT_MAIL_FROM,
	OPT_HELO,
	OPT_RECEIVER,
	OPT_DISCOVERY,
	OPT_RULES,
	OPT_PCT_SAMPLE,
	OPT_NOW,
};

struct vstate {
	struct sk_resolver *r;
	struct sk__msg msg;
	struct sk_dmarc_opts dopts;
	struct sk_spf_outcome *spf;
	bool spf_done;
	sk_status spf_st;
	unsigned prewarm;
	/* From fields (values) and the list headers. */
	const char *from_v[MAX_FROM_FIELDS];
	size_t from_l[MAX_FROM_FIELDS];
	size_t nfrom;
	bool from_overflow;
	char *lu, *lup; /* List-Unsubscribe, List-Unsubscribe-Post */
};

void
cmd_verify_usage(FILE *f)
{
	fputs("Usage: senderkit verify [FILE] --ip IP --mail-from ADDR "
	      "[options]\n"
	      "\nRuns SPF, DKIM and DMARC on a message (stdin when no FILE)\n"
	      "and prints the Authentication-Results header field (RFC "
	      "8601),\nthe reasoning and bulk-sender readiness.\n"
	      "\nOptions:\n"
	      "  --ip IP             the SMTP client address (required)\n"
	      "  --mail-from ADDR    the MAIL FROM address; \"\" for a null "
	      "path (required)\n"
	      "  --helo NAME         the HELO/EHLO name\n"
	      "  --receiver NAME     authserv-id (default: the host name)\n"
	      "  --discovery M       treewalk (default, RFC 9989) or psl "
	      "(RFC 7489)\n"
	      "  --rules R           rfc9989 (default) or rfc7489 (pct "
	      "applies, no np)\n"
	      "  --pct-sample N      RFC 7489 pct draw 0..99 (default 0)\n"
	      "  --now SECONDS       time for DKIM t= and x=\n"
	      "  --json              JSON output (see docs/json.md)\n"
	      "  --zone FILE | --server IP[:PORT] | --timeout MS\n"
	      "\nExit: 0 DMARC pass, 1 fail or none or permerror, 2 usage,\n"
	      "3 temperror somewhere.  See senderkit-verify(1).\n", f);
}

static bool
field_value(const struct sk__msg *m, size_t i, const char **v, size_t *len)
{
	const struct sk__msg_field *f = &m->fields[i];
	const char *raw = sk__msg_field_raw(m, i);
	const char *colon = memchr(raw, ':', f->len);

	if (colon == NULL)
		return false;
	*v = colon + 1;
	*len = f->len - (size_t)(*v - raw);
	return true;
}

static char *
trimmed_copy(const char *v, size_t len)
{
	char *s;
	size_t i, o = 0;

	s = malloc(len + 1);
	if (s == NULL)
		return NULL;
	/* Unfold: CR and LF dropped. */
	for (i = 0; i < len; i++)
		if (v[i] != '\r' && v[i] != '\n')
			s[o++] = v[i];
	while (o > 0 && (s[o - 1] == ' ' || s[o - 1] == '\t'))
		o--;
	s[o] = '\0';
	i = 0;
	while (s[i] == ' ' || s[i] == '\t')
		i++;
	memmove(s, s + i, o - i + 1);
	return s;
}

static void
on_prewarm(void *arg, sk_status st, struct sk_dmarc_discovery *d)
{
	struct vstate *vs = arg;

	(void)st;
	vs->prewarm--;
	sk_dmarc_discovery_free(d);
}

/* The header block is complete: collect From and the list fields, and
 * start DMARC discovery now so its answers are cached by the time the
 * evaluation asks. */
static sk_status
on_header(void *arg)
{
	struct vstate *vs = arg;
	struct sk__msg *m = &vs->msg;
	struct sk_dmarc_eval_input in;
	char *store = NULL;
	const char *v;
	size_t i, len;

	for (i = 0; i < m->nfields; i++) {
		if (!field_value(m, i, &v, &len))
			continue;
		if (sk__msg_field_is(m, i, "from", 4)) {
			if (vs->nfrom >= MAX_FROM_FIELDS) {
				vs->from_overflow = true;
				continue;
			}
			vs->from_v[vs->nfrom] = v;
			vs->from_l[vs->nfrom++] = len;
		} else if (sk__msg_field_is(m, i, "list-unsubscribe", 16) &&
			   vs->lu == NULL) {
			vs->lu = trimmed_copy(v, len);
		} else if (sk__msg_field_is(m, i, "list-unsubscribe-post",
					    21) && vs->lup == NULL) {
			vs->lup = trimmed_copy(v, len);
		}
	}
	memset(&in, 0, sizeof(in));
	if (sk_dmarc_from_fields(vs->from_v, vs->from_l, vs->nfrom, &in,
				 &store, NULL) != SK_OK)
		return SK_OK;
	for (i = 0; in.from_status == SK_DMARC_FROM_OK &&
		    i < in.nfrom_domains && i < SK_DMARC_MAX_AUTHOR_DOMAINS;
	     i++)
		if (sk_dmarc_discover_start(vs->r, in.from_domains[i],
					    &vs->dopts, on_prewarm, vs,
					    NULL) == SK_OK)
			vs->prewarm++;
	free(store);
	return SK_OK;
}

static void
on_spf(void *arg, sk_status st, struct sk_spf_outcome *o)
{
	struct vstate *vs = arg;

	vs->spf_done = true;
	vs->spf_st = st;
	vs->spf = o;
}

/* h= of a signature names `field` (case-insensitive). */
static bool
h_has(const char *h, const char *field)
{
	size_t n = strlen(field);

	while (h != NULL && *h != '\0') {
		const char *e = strchr(h, ':');
		size_t len = e != NULL ? (size_t)(e - h) : strlen(h);

		if (sk__eq_nocase(h, len, field, n))
			return true;
		h = e != NULL ? e + 1 : NULL;
	}
	return false;
}

static bool
has_https(const char *lu)
{
	const char *p;

	for (p = lu; p != NULL && *p != '\0'; p++)
		if (*p == '<' && sk__eq_nocase(p + 1, strnlen(p + 1, 8),
					       "https://", 8))
			return true;
	return false;
}

struct readiness {
	bool spf_pass, dkim_pass, dmarc_published, dmarc_pass;
	bool lu_https, one_click, signed_lu;
	bool ready;
};

static void
readiness(const struct vstate *vs, const struct sk_dkim_verify *dv,
	  const struct sk_dmarc_eval *e, struct readiness *rd)
{
	size_t i, k;

	memset(rd, 0, sizeof(*rd));
	rd->spf_pass = vs->spf != NULL && vs->spf->result == SK_SPF_PASS;
	for (i = 0; i < sk_dkim_verify_count(dv); i++)
		if (sk_dkim_verify_result(dv, i)->result == SK_DKIM_PASS)
			rd->dkim_pass = true;
	for (i = 0; i < e->nauthors; i++) {
		const struct sk_dmarc_discovery *d = e->authors[i].discovery;

		if (d != NULL && d->record != NULL &&
		    d->status == SK_DMARC_DISC_FOUND)
			rd->dmarc_published = true;
	}
	rd->dmarc_pass = e->result == SK_DMARC_RESULT_PASS;
	rd->lu_https = vs->lu != NULL && has_https(vs->lu);
	rd->one_click = vs->lup != NULL &&
			strcmp(vs->lup, "List-Unsubscribe=One-Click") == 0;
	if (e->nauthors > 0) {
		const struct sk_dmarc_author *a = &e->authors[e->decider];

		for (k = 0; k < a->ndkim && k < sk_dkim_verify_count(dv);
		     k++) {
			const struct sk_dkim_sig_result *s =
				sk_dkim_verify_result(dv, k);

			if (a->dkim[k].aligned &&
			    h_has(s->headers, "list-unsubscribe") &&
			    h_has(s->headers, "list-unsubscribe-post"))
				rd->signed_lu = true;
		}
	}
	rd->ready = rd->spf_pass && rd->dkim_pass && rd->dmarc_published &&
		    rd->dmarc_pass && rd->lu_https && rd->one_click &&
		    rd->signed_lu;
}

/* Build the Authentication-Results field. */
static char *
authres(const char *authserv, const struct vstate *vs,
	const struct sk_dkim_verify *dv, const struct sk_dmarc_eval *e,
	bool fold)
{
	struct sk__authres_method m[2 + SK_DKIM_MAX_SIGNATURES];
	char comment[128];
	size_t n = 0, i, nd = sk_dkim_verify_count(dv);
	char *out = NULL;

	memset(m, 0, sizeof(m));
	m[n].method = "spf";
	m[n].result = vs->spf != NULL ? sk_spf_result_str(vs->spf->result) :
		      "temperror";
	if (vs->spf != NULL && vs->spf->domain != NULL &&
	    vs->spf->domain[0] != '\0') {
		bool helo = vs->spf->identity == SK_SPF_ID_HELO;

		m[n].props[0] = (struct sk__authres_prop){
			"smtp", helo ? "helo" : "mailfrom", vs->spf->domain};
		m[n].nprops = 1;
	}
	n++;
	if (nd == 0) {
		m[n].method = "dkim";
		m[n++].result = "none";
	}
	for (i = 0; i < nd && i < SK_DKIM_MAX_SIGNATURES; i++) {
		const struct sk_dkim_sig_result *s =
			sk_dkim_verify_result(dv, i);

		m[n].method = "dkim";
		m[n].result = sk_dkim_result_str(s->result);
		if (s->result != SK_DKIM_PASS)
			m[n].reason = s->reason;
		if (s->domain != NULL && s->domain[0] != '\0')
			m[n].props[m[n].nprops++] = (struct sk__authres_prop){
				"header", "d", s->domain};
		if (s->selector != NULL && s->selector[0] != '\0')
			m[n].props[m[n].nprops++] = (struct sk__authres_prop){
				"header", "s", s->selector};
		if (s->b_prefix != NULL && s->b_prefix[0] != '\0')
			m[n].props[m[n].nprops++] = (struct sk__authres_prop){
				"header", "b", s->b_prefix};
		n++;
	}
	m[n].method = "dmarc";
	m[n].result = sk_dmarc_result_str(e->result);
	if (e->has_policy) {
		const struct sk_dmarc_author *a = &e->authors[e->decider];

		snprintf(comment, sizeof(comment), "p=%s dis=%s%s",
			 sk_dmarc_policy_str(e->policy),
			 e->result == SK_DMARC_RESULT_PASS ? "none" :
			 sk_dmarc_policy_str(e->applied),
			 a->testing ? " t=y" : a->sampled_out ?
			 " pct-sampled-out" : "");
		m[n].comment = comment;
	}
	if (e->header_from != NULL)
		m[n].props[m[n].nprops++] = (struct sk__authres_prop){
			"header", "from", e->header_from};
	n++;
	if (sk__authres_format(authserv, m, n, fold, &out, NULL) != SK_OK)
		return NULL;
	return out;
}

static void
print_folded(const char *s)
{
	for (; *s != '\0'; s++)
		if (*s != '\r')
			putchar(*s);
	putchar('\n');
}

static const char *
okm(bool b)
{
	return b ? "ok     " : "missing";
}

static void
text_output(const char *ar, const struct vstate *vs,
	    const struct sk_dkim_verify *dv, const struct sk_dmarc_eval *e,
	    const struct readiness *rd)
{
	size_t i, nd = sk_dkim_verify_count(dv);

	print_folded(ar);
	printf("\nSPF: %s", vs->spf != NULL ?
	       sk_spf_result_str(vs->spf->result) : "temperror");
	if (vs->spf != NULL) {
		printf(" for %s", vs->spf->domain != NULL &&
		       vs->spf->domain[0] != '\0' ? vs->spf->domain : "-");
		if (vs->spf->mechanism != NULL)
			printf(", mechanism %s (%s)", vs->spf->mechanism,
			       vs->spf->match_path != NULL ?
			       vs->spf->match_path : "");
		if (vs->spf->problem != NULL)
			printf(", %s", vs->spf->problem);
	}
	putchar('\n');
	if (nd == 0)
		puts("DKIM: no signature");
	for (i = 0; i < nd; i++) {
		const struct sk_dkim_sig_result *s =
			sk_dkim_verify_result(dv, i);

		printf("DKIM: %s d=%s s=%s: %s (%s)\n",
		       sk_dkim_result_str(s->result), s->domain, s->selector,
		       s->reason, s->detail != NULL ? s->detail : "");
	}
	printf("DMARC: %s, disposition %s (rules %s, discovery %s)\n",
	       sk_dmarc_result_str(e->result),
	       sk_dmarc_disposition_str(e->disposition),
	       e->rules == SK_DMARC_RFC7489 ? "rfc7489" : "rfc9989",
	       sk_dmarc_method_str(e->method));
	for (i = 0; i < e->nauthors; i++) {
		const struct sk_dmarc_discovery *d = e->authors[i].discovery;

		if (d != NULL && d->record != NULL && d->policy_domain != NULL)
			printf("  record at _dmarc.%s: %s\n",
			       d->policy_domain, d->record->text);
	}
	for (i = 0; i < e->nreasons; i++)
		printf("  - %s\n", e->reasons[i]);
	puts("\nBulk-sender readiness (Gmail/Yahoo):");
	printf("  %s SPF pass\n", okm(rd->spf_pass));
	printf("  %s DKIM pass\n", okm(rd->dkim_pass));
	printf("  %s DMARC record published\n", okm(rd->dmarc_published));
	printf("  %s DMARC pass (aligned)\n", okm(rd->dmarc_pass));
	printf("  %s List-Unsubscribe with an https URL\n",
	       okm(rd->lu_https));
	printf("  %s List-Unsubscribe-Post: List-Unsubscribe=One-Click "
	       "(RFC 8058)\n", okm(rd->one_click));
	printf("  %s both covered by h= of an aligned passing DKIM "
	       "signature\n", okm(rd->signed_lu));
	printf("  => %s\n", rd->ready ? "ready" : "not ready");
}

static json_t *
json_output(const char *ar, const struct vstate *vs,
	    const struct sk_dkim_verify *dv, const struct sk_dmarc_eval *e,
	    const struct readiness *rd)
{
	json_t *j = json_object(), *o, *a, *x, *y;
	size_t i, k, nd = sk_dkim_verify_count(dv);

	cli_json_set_str(j, "authentication_results", ar);
	o = json_object();
	cli_json_set_str(o, "result", vs->spf != NULL ?
			 sk_spf_result_str(vs->spf->result) : "temperror");
	if (vs->spf != NULL) {
		cli_json_set_str(o, "domain", vs->spf->domain);
		cli_json_set_str(o, "identity",
				 vs->spf->identity == SK_SPF_ID_HELO ?
				 "helo" : "mailfrom");
		cli_json_set_str(o, "mechanism", vs->spf->mechanism);
		cli_json_set_str(o, "match_path", vs->spf->match_path);
		cli_json_set_str(o, "problem", vs->spf->problem);
	}
	json_object_set_new(j, "spf", o);
	a = json_array();
	for (i = 0; i < nd; i++) {
		const struct sk_dkim_sig_result *s =
			sk_dkim_verify_result(dv, i);

		o = json_object();
		cli_json_set_str(o, "result", sk_dkim_result_str(s->result));
		cli_json_set_str(o, "reason", s->reason);
		cli_json_set_str(o, "detail", s->detail);
		cli_json_set_str(o, "domain", s->domain);
		cli_json_set_str(o, "selector", s->selector);
		cli_json_set_str(o, "headers", s->headers);
		json_array_append_new(a, o);
	}
	json_object_set_new(j, "dkim", a);
	o = json_object();
	cli_json_set_str(o, "result", sk_dmarc_result_str(e->result));
	cli_json_set_str(o, "disposition",
			 sk_dmarc_disposition_str(e->disposition));
	cli_json_set_str(o, "rules", e->rules == SK_DMARC_RFC7489 ?
			 "rfc7489" : "rfc9989");
	cli_json_set_str(o, "discovery_method",
			 sk_dmarc_method_str(e->method));
	cli_json_set_str(o, "header_from", e->header_from);
	if (e->has_policy) {
		cli_json_set_str(o, "policy", sk_dmarc_policy_str(e->policy));
		cli_json_set_str(o, "applied",
				 sk_dmarc_policy_str(e->applied));
	} else {
		json_object_set_new(o, "policy", json_null());
		json_object_set_new(o, "applied", json_null());
	}
	a = json_array();
	for (i = 0; i < e->nauthors; i++) {
		const struct sk_dmarc_author *au = &e->authors[i];
		const struct sk_dmarc_discovery *d = au->discovery;

		x = json_object();
		cli_json_set_str(x, "domain", au->domain);
		cli_json_set_str(x, "result", sk_dmarc_result_str(au->result));
		cli_json_set_str(x, "disposition",
				 sk_dmarc_disposition_str(au->disposition));
		cli_json_set_str(x, "org_domain", au->org_domain);
		cli_json_set_str(x, "policy_domain", d != NULL ?
				 d->policy_domain : NULL);
		cli_json_set_str(x, "record", d != NULL && d->record != NULL ?
				 d->record->text : NULL);
		cli_json_set_str(x, "policy_tag",
				 sk_dmarc_tag_str(au->policy_tag));
		cli_json_set_str(x, "policy", sk_dmarc_policy_str(au->policy));
		cli_json_set_str(x, "applied",
				 sk_dmarc_policy_str(au->applied));
		json_object_set_new(x, "testing", json_boolean(au->testing));
		json_object_set_new(x, "sampled_out",
				    json_boolean(au->sampled_out));
		json_object_set_new(x, "spf_aligned",
				    json_boolean(au->spf.aligned));
		y = json_array();
		for (k = 0; k < au->ndkim; k++) {
			json_t *z = json_object();

			cli_json_set_str(z, "domain", au->dkim[k].domain);
			json_object_set_new(z, "aligned",
					    json_boolean(au->dkim[k].aligned));
			json_array_append_new(y, z);
		}
		json_object_set_new(x, "dkim", y);
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "authors", a);
	a = json_array();
	for (i = 0; i < e->nreasons; i++)
		json_array_append_new(a, cli_json_str(e->reasons[i]));
	json_object_set_new(o, "reasons", a);
	json_object_set_new(j, "dmarc", o);
	o = json_object();
	json_object_set_new(o, "spf_pass", json_boolean(rd->spf_pass));
	json_object_set_new(o, "dkim_pass", json_boolean(rd->dkim_pass));
	json_object_set_new(o, "dmarc_published",
			    json_boolean(rd->dmarc_published));
	json_object_set_new(o, "dmarc_pass", json_boolean(rd->dmarc_pass));
	json_object_set_new(o, "list_unsubscribe_https",
			    json_boolean(rd->lu_https));
	json_object_set_new(o, "one_click_post", json_boolean(rd->one_click));
	json_object_set_new(o, "unsubscribe_signed",
			    json_boolean(rd->signed_lu));
	json_object_set_new(o, "ready", json_boolean(rd->ready));
	json_object_set_new(j, "readiness", o);
	return j;
}

static bool
any_temperror(const struct vstate *vs, const struct sk_dkim_verify *dv,
	      const struct sk_dmarc_eval *e)
{
	size_t i;

	if (vs->spf == NULL || vs->spf->result == SK_SPF_TEMPERROR)
		return true;
	for (i = 0; i < sk_dkim_verify_count(dv); i++)
		if (sk_dkim_verify_result(dv, i)->result == SK_DKIM_TEMPERROR)
			return true;
	return e->result == SK_DMARC_RESULT_TEMPERROR;
}

/* Read the message once, feeding DKIM and the header parser, and let the
 * resolver make progress between pieces. */
static int
read_message(FILE *in, const char *file, struct vstate *vs,
	     struct sk_dkim_verify *dv)
{
	unsigned char *buf = malloc(VERIFY_CHUNK);
	struct sk_err err;
	size_t n;
	sk_status st = SK_OK;

	if (buf == NULL) {
		cli_error("out of memory");
		return CLI_EXIT_FINDINGS;
	}
	sk_err_clear(&err);
	for (;;) {
		n = fread(buf, 1, VERIFY_CHUNK, in);
		if (n > 0) {
			st = sk_dkim_verify_update(dv, buf, n, &err);
			if (st == SK_OK)
				st = sk__msg_update(&vs->msg, buf, n, &err);
			if (st != SK_OK)
				break;
			if (sk_resolver_run(vs->r, 0) < 0)
				break;
		}
		if (n < VERIFY_CHUNK)
			break;
	}
	free(buf);
	if (st == SK_OK && ferror(in)) {
		cli_error("cannot read %s: %s", file, strerror(errno));
		return CLI_EXIT_USAGE;
	}
	if (st == SK_OK)
		st = sk__msg_finish(&vs->msg, &err);
	if (st == SK_OK)
		st = sk_dkim_verify_finish(dv, &err);
	if (st != SK_OK) {
		cli_error("%s: %s", file, err.msg[0] ? err.msg :
			  sk_strerror(st));
		return st == SK_ENOMEM ? CLI_EXIT_FINDINGS : CLI_EXIT_USAGE;
	}
	return CLI_EXIT_OK;
}

int
cmd_verify(int argc, char **argv)
{
	static const struct option longopts[] = {
		CLI_DNS_LONGOPTS,
		{"json", no_argument, NULL, CLI_OPT_JSON},
		{"help", no_argument, NULL, 'h'},
		{"ip", required_argument, NULL, OPT_IP},
		{"mail-from", required_argument, NULL, OPT_MAIL_FROM},
		{"helo", required_argument, NULL, OPT_HELO},
		{"receiver", required_argument, NULL, OPT_RECEIVER},
		{"discovery", required_argument, NULL, OPT_DISCOVERY},
		{"rules", required_argument, NULL, OPT_RULES},
		{"pct-sample", required_argument, NULL, OPT_PCT_SAMPLE},
		{"now", required_argument, NULL, OPT_NOW},
		{NULL, 0, NULL, 0},
	};
	const char *cmd = "verify";
	struct vstate vs;
	struct cli_dns d;
	struct sk_spf_request req;
	struct sk_dkim_verify_opts dvo;
	struct sk_dkim_verify *dv = NULL;
	struct sk_dmarc_eval_input in;
	struct sk_dmarc_dkim_input dk[SK_DKIM_MAX_SIGNATURES];
	struct sk_dmarc_eval *e = NULL;
	struct readiness rd;
	struct sk_err err;
	const char *file = NULL, *receiver = NULL;
	char host[256], *store = NULL, *ar = NULL;
	bool json = false, have_mf = false;
	unsigned long ul;
	enum sk_dmarc_rules rules = SK_DMARC_RFC9989;
	FILE *fin = stdin;
	size_t i;
	int c, rc;

	memset(&vs, 0, sizeof(vs));
	memset(&d, 0, sizeof(d));
	memset(&req, 0, sizeof(req));
	memset(&dvo, 0, sizeof(dvo));
	memset(&in, 0, sizeof(in));
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
			cmd_verify_usage(stdout);
			return CLI_EXIT_OK;
		case OPT_IP:
			req.ip = optarg;
			break;
		case OPT_MAIL_FROM:
			req.mail_from = optarg;
			have_mf = true;
			break;
		case OPT_HELO:
			req.helo = optarg;
			break;
		case OPT_RECEIVER:
			receiver = optarg;
			break;
		case OPT_DISCOVERY:
			if (strcmp(optarg, "treewalk") == 0)
				vs.dopts.method = SK_DMARC_TREEWALK;
			else if (strcmp(optarg, "psl") == 0)
				vs.dopts.method = SK_DMARC_PSL;
			else
				return cli_usage(cmd, "--discovery wants "
						 "treewalk or psl, not '%s'",
						 optarg);
			break;
		case OPT_RULES:
			if (strcmp(optarg, "rfc9989") == 0)
				rules = SK_DMARC_RFC9989;
			else if (strcmp(optarg, "rfc7489") == 0)
				rules = SK_DMARC_RFC7489;
			else
				return cli_usage(cmd, "--rules wants rfc9989 "
						 "or rfc7489, not '%s'",
						 optarg);
			break;
		case OPT_PCT_SAMPLE:
			if (!cli_parse_uint(optarg, 0, 99, &ul))
				return cli_usage(cmd, "--pct-sample wants "
						 "0..99, not '%s'", optarg);
			in.pct_sample = (unsigned)ul;
			break;
		case OPT_NOW:
			if (!cli_parse_uint(optarg, 1, 0xffffffffUL, &ul))
				return cli_usage(cmd, "--now wants seconds "
						 "since the epoch, not '%s'",
						 optarg);
			dvo.now = (time_t)ul;
			req.now = (time_t)ul;
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
	if (req.ip == NULL)
		return cli_usage(cmd, "missing --ip");
	if (!have_mf)
		return cli_usage(cmd, "missing --mail-from (\"\" for a null "
				 "reverse-path)");
	if (receiver == NULL) {
		if (gethostname(host, sizeof(host)) != 0 || host[0] == '\0')
			snprintf(host, sizeof(host), "localhost");
		host[sizeof(host) - 1] = '\0';
		receiver = host;
	}
	req.receiver = receiver;
	req.identity = SK_SPF_ID_MAILFROM;
	if (file != NULL && strcmp(file, "-") != 0) {
		fin = fopen(file, "rb");
		if (fin == NULL) {
			cli_error("cannot open %s: %s", file,
				  strerror(errno));
			return CLI_EXIT_USAGE;
		}
	} else {
		file = "standard input";
	}
	rc = cli_resolver(&d, &vs.r);
	if (rc != CLI_EXIT_OK)
		goto out;
	if (vs.dopts.method == SK_DMARC_PSL) {
		struct sk_dmarc_psl *psl = NULL;

		if (sk_dmarc_psl_load(NULL, &psl, &err) != SK_OK) {
			cli_error("%s", err.msg);
			rc = CLI_EXIT_USAGE;
			goto out;
		}
		vs.dopts.psl = psl;
	}
	sk__msg_init(&vs.msg, SK_DKIM_MAX_HEADER, on_header, NULL, &vs);
	sk_err_clear(&err);
	if (sk_spf_check_start(vs.r, &req, NULL, on_spf, &vs, &err) !=
	    SK_OK) {
		rc = cli_usage(cmd, "%s", err.msg);
		goto out;
	}
	if (sk_dkim_verify_new(vs.r, &dvo, &dv, &err) != SK_OK) {
		cli_error("%s", err.msg);
		rc = CLI_EXIT_FINDINGS;
		goto out;
	}
	rc = read_message(fin, file, &vs, dv);
	if (rc != CLI_EXIT_OK)
		goto out;
	while (!vs.spf_done || vs.prewarm > 0) {
		int left = sk_resolver_run(vs.r, -1);

		if (left <= 0 && (!vs.spf_done || vs.prewarm > 0))
			break;
	}
	if (vs.from_overflow)
		cli_warn("more than %d From fields: the rest are ignored",
			 MAX_FROM_FIELDS);
	if (sk_dmarc_from_fields(vs.from_v, vs.from_l, vs.nfrom, &in, &store,
				 &err) != SK_OK) {
		cli_error("%s", err.msg);
		rc = CLI_EXIT_FINDINGS;
		goto out;
	}
	if (vs.spf != NULL) {
		in.spf_result = vs.spf->result;
		in.spf_domain = vs.spf->domain;
		in.spf_identity = SK_SPF_ID_MAILFROM;
	}
	for (i = 0; i < sk_dkim_verify_count(dv) &&
		    i < SK_DKIM_MAX_SIGNATURES; i++) {
		const struct sk_dkim_sig_result *s =
			sk_dkim_verify_result(dv, i);

		dk[i].result = s->result;
		dk[i].domain = s->domain;
		dk[i].selector = s->selector;
	}
	in.dkim = dk;
	in.ndkim = i;
	in.rules = rules;
	if (sk_dmarc_eval(vs.r, &in, &vs.dopts, &e, &err) != SK_OK) {
		cli_error("DMARC evaluation: %s", err.msg);
		rc = CLI_EXIT_DNS;
		goto out;
	}
	readiness(&vs, dv, e, &rd);
	ar = authres(receiver, &vs, dv, e, !json);
	if (ar == NULL) {
		cli_error("cannot format Authentication-Results");
		rc = CLI_EXIT_FINDINGS;
		goto out;
	}
	if (json)
		cli_json_print(json_output(ar, &vs, dv, e, &rd), false);
	else
		text_output(ar, &vs, dv, e, &rd);
	if (e->result == SK_DMARC_RESULT_PASS)
		rc = CLI_EXIT_OK;
	else if (any_temperror(&vs, dv, e))
		rc = CLI_EXIT_DNS;
	else
		rc = CLI_EXIT_FINDINGS;
out:
	sk__free(ar);
	sk_dmarc_eval_free(e);
	free(store);
	sk_dkim_verify_free(dv);
	sk_spf_outcome_free(vs.spf);
	sk__msg_free(&vs.msg);
	free(vs.lu);
	free(vs.lup);
	sk_resolver_free(vs.r);
	sk_dmarc_psl_free((struct sk_dmarc_psl *)vs.dopts.psl);
	if (fin != stdin)
		fclose(fin);
	return rc;
}
