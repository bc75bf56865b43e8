/*
 * tests/conformance/dmarc_diff/run_senderkit.c - the senderkit side of the
 * DMARC differential test: every case of cases.jsonl (gen_cases.py) goes
 * through sk_dmarc_eval() under RFC 7489 rules with Public Suffix List
 * discovery (RFC 7489 sections 3.1, 3.2, 6.6.2-6.6.4), the list being the
 * same file the peer reads; one JSON line per case on stdout.
 *
 *   run_senderkit CASES.jsonl PSL.dat > senderkit.jsonl
 *
 * DNS comes from a scripted resolver filled with the case's "zone": no
 * network is used.  The pct draw is the case's "sample", as for the peer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <senderkit/senderkit.h>

#define MAX_LINE (1024 * 1024)

struct spf_name {
	const char *name;
	enum sk_spf_result r;
};

static const struct spf_name spf_names[] = {
	{"none", SK_SPF_NONE}, {"neutral", SK_SPF_NEUTRAL},
	{"pass", SK_SPF_PASS}, {"fail", SK_SPF_FAIL},
	{"softfail", SK_SPF_SOFTFAIL}, {"temperror", SK_SPF_TEMPERROR},
	{"permerror", SK_SPF_PERMERROR},
};

struct dkim_name {
	const char *name;
	enum sk_dkim_result r;
};

static const struct dkim_name dkim_names[] = {
	{"none", SK_DKIM_NONE}, {"pass", SK_DKIM_PASS},
	{"fail", SK_DKIM_FAIL}, {"neutral", SK_DKIM_NEUTRAL},
	{"temperror", SK_DKIM_TEMPERROR}, {"permerror", SK_DKIM_PERMERROR},
	{"policy", SK_DKIM_NEUTRAL},
};

static int
spf_result(const char *s, enum sk_spf_result *out)
{
	size_t i;

	for (i = 0; i < sizeof(spf_names) / sizeof(spf_names[0]); i++) {
		if (strcmp(spf_names[i].name, s) == 0) {
			*out = spf_names[i].r;
			return 0;
		}
	}
	return -1;
}

static int
dkim_result(const char *s, enum sk_dkim_result *out)
{
	size_t i;

	for (i = 0; i < sizeof(dkim_names) / sizeof(dkim_names[0]); i++) {
		if (strcmp(dkim_names[i].name, s) == 0) {
			*out = dkim_names[i].r;
			return 0;
		}
	}
	return -1;
}

/* Fill a scripted resolver from the case's zone; NULL on error (msg in
 * *why). */
static struct sk_resolver *
load_zone(json_t *zone, const char **why)
{
	struct sk_resolver *r = NULL;
	struct sk_err err;
	size_t i;
	json_t *rr;

	sk_err_clear(&err);
	if (sk_resolver_new_script(&r, &err) != SK_OK) {
		*why = "sk_resolver_new_script failed";
		return NULL;
	}
	json_array_foreach(zone, i, rr) {
		const char *name = json_string_value(json_array_get(rr, 0));
		const char *type = json_string_value(json_array_get(rr, 1));
		json_t *data = json_array_get(rr, 2);
		sk_status st;

		if (name == NULL || type == NULL) {
			*why = "bad zone entry";
			goto fail;
		}
		if (strcmp(type, "TXT") == 0) {
			const char *strs[16];
			size_t lens[16], n = json_array_size(data), j;

			if (n == 0 || n > 16) {
				*why = "bad TXT entry";
				goto fail;
			}
			for (j = 0; j < n; j++) {
				json_t *s = json_array_get(data, j);

				strs[j] = json_string_value(s);
				lens[j] = json_string_length(s);
				if (strs[j] == NULL) {
					*why = "bad TXT string";
					goto fail;
				}
			}
			st = sk_resolver_script_add_txt(r, name, SK_DNS_TXT,
							strs, lens, n, &err);
		} else {
			st = sk_resolver_script_add(r, name,
						    sk_dns_type_from_str(type),
						    json_string_value(data),
						    &err);
		}
		if (st != SK_OK) {
			*why = "adding a record failed";
			goto fail;
		}
	}
	return r;
fail:
	sk_resolver_free(r);
	return NULL;
}

static json_t *
boolean(bool b)
{
	return b ? json_true() : json_false();
}

/* Evaluate one case; returns the JSON object to print (never NULL). */
static json_t *
run_case(json_t *c, const struct sk_dmarc_psl *psl)
{
	struct sk_dmarc_eval_input in;
	struct sk_dmarc_dkim_input dk[SK_DMARC_MAX_DKIM];
	struct sk_dmarc_opts opts;
	struct sk_dmarc_eval *e = NULL;
	struct sk_resolver *r;
	struct sk_err err;
	const char *from, *why = "";
	json_t *out, *spf, *dkim, *d, *reasons;
	size_t i;

	out = json_object();
	json_object_set_new(out, "id", json_copy(json_object_get(c, "id")));
	memset(&in, 0, sizeof(in));
	memset(&opts, 0, sizeof(opts));
	from = json_string_value(json_object_get(c, "from"));
	r = load_zone(json_object_get(c, "zone"), &why);
	if (from == NULL || r == NULL) {
		json_object_set_new(out, "result", json_string("error"));
		json_object_set_new(out, "error", json_string(from == NULL ?
		    "no from" : why));
		return out;
	}
	in.from_domains = &from;
	in.nfrom_domains = 1;
	in.from_status = SK_DMARC_FROM_OK;
	in.from_fields = 1;
	spf = json_object_get(c, "spf_sk");
	if (json_is_object(spf)) {
		const char *id = json_string_value(json_object_get(spf,
		    "identity"));

		in.spf_domain = json_string_value(json_object_get(spf,
		    "domain"));
		if (spf_result(json_string_value(json_object_get(spf,
		    "result")), &in.spf_result) != 0)
			why = "bad spf result";
		in.spf_identity = id != NULL && strcmp(id, "helo") == 0 ?
		    SK_SPF_ID_HELO : SK_SPF_ID_MAILFROM;
	}
	dkim = json_object_get(c, "dkim");
	json_array_foreach(dkim, i, d) {
		if (i >= SK_DMARC_MAX_DKIM)
			break;
		dk[i].domain = json_string_value(json_object_get(d, "domain"));
		dk[i].selector = json_string_value(json_object_get(d,
		    "selector"));
		if (dkim_result(json_string_value(json_object_get(d,
		    "result")), &dk[i].result) != 0)
			why = "bad dkim result";
		in.ndkim = i + 1;
	}
	in.dkim = dk;
	in.rules = SK_DMARC_RFC7489;
	in.pct_sample = (unsigned)json_integer_value(json_object_get(c,
	    "sample"));
	opts.method = SK_DMARC_PSL;
	opts.psl = psl;
	sk_err_clear(&err);
	if (*why != '\0' || sk_dmarc_eval(r, &in, &opts, &e, &err) != SK_OK) {
		json_object_set_new(out, "result", json_string("error"));
		json_object_set_new(out, "error", json_string(*why != '\0' ?
		    why : err.msg));
		sk_resolver_free(r);
		return out;
	}
	json_object_set_new(out, "result",
	    json_string(sk_dmarc_result_str(e->result)));
	json_object_set_new(out, "disposition_raw",
	    json_string(sk_dmarc_disposition_str(e->disposition)));
	/* The peer says "none" for a message that passed. */
	json_object_set_new(out, "disposition", json_string(
	    e->disposition == SK_DMARC_DISP_PASS ? "none" :
	    sk_dmarc_disposition_str(e->disposition)));
	if (e->nauthors > 0) {
		const struct sk_dmarc_author *a = &e->authors[e->decider];
		const struct sk_dmarc_discovery *disc = a->discovery;
		bool dkim_aligned = false;

		for (i = 0; i < a->ndkim; i++)
			dkim_aligned = dkim_aligned || a->dkim[i].aligned;
		if (a->org_domain != NULL)
			json_object_set_new(out, "org_domain",
			    json_string(a->org_domain));
		if (disc != NULL && disc->status == SK_DMARC_DISC_FOUND) {
			json_object_set_new(out, "policy_domain",
			    json_string(disc->policy_domain));
			json_object_set_new(out, "inherited",
			    boolean(disc->inherited));
			json_object_set_new(out, "policy_tag",
			    json_string(sk_dmarc_tag_str(a->policy_tag)));
			json_object_set_new(out, "policy",
			    json_string(sk_dmarc_policy_str(a->policy)));
			json_object_set_new(out, "applied",
			    json_string(sk_dmarc_policy_str(a->applied)));
			json_object_set_new(out, "sampled_out",
			    boolean(a->sampled_out));
			json_object_set_new(out, "spf_aligned",
			    boolean(a->spf.aligned));
			json_object_set_new(out, "dkim_aligned",
			    boolean(dkim_aligned));
		}
		if (disc != NULL)
			json_object_set_new(out, "discovery", json_string(
			    sk_dmarc_disc_status_str(disc->status)));
	}
	reasons = json_array();
	for (i = 0; i < e->nreasons; i++)
		json_array_append_new(reasons, json_string(e->reasons[i]));
	json_object_set_new(out, "reasons", reasons);
	sk_dmarc_eval_free(e);
	sk_resolver_free(r);
	return out;
}

int
main(int argc, char **argv)
{
	struct sk_dmarc_psl *psl = NULL;
	struct sk_err err;
	char *line;
	FILE *f;
	int rc = 0;

	if (argc != 3) {
		fprintf(stderr, "usage: run_senderkit cases.jsonl psl.dat\n");
		return 2;
	}
	sk_err_clear(&err);
	if (sk_dmarc_psl_load(argv[2], &psl, &err) != SK_OK) {
		fprintf(stderr, "run_senderkit: %s: %s\n", argv[2], err.msg);
		return 1;
	}
	f = fopen(argv[1], "r");
	line = malloc(MAX_LINE);
	if (f == NULL || line == NULL) {
		fprintf(stderr, "run_senderkit: cannot read %s\n", argv[1]);
		sk_dmarc_psl_free(psl);
		free(line);
		if (f != NULL)
			fclose(f);
		return 1;
	}
	while (fgets(line, MAX_LINE, f) != NULL) {
		json_error_t jerr;
		json_t *c, *out;
		char *s;

		if (line[0] == '\n' || line[0] == '\0')
			continue;
		c = json_loads(line, 0, &jerr);
		if (c == NULL) {
			fprintf(stderr, "run_senderkit: bad case: %s\n",
			    jerr.text);
			rc = 1;
			continue;
		}
		out = run_case(c, psl);
		s = json_dumps(out, JSON_COMPACT | JSON_SORT_KEYS);
		if (s != NULL) {
			printf("%s\n", s);
			free(s);
		}
		json_decref(out);
		json_decref(c);
	}
	free(line);
	fclose(f);
	sk_dmarc_psl_free(psl);
	return rc;
}
