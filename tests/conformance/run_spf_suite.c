/*
 * tests/conformance/run_spf_suite.c - runs the pyspf RFC 7208 suite (as
 * JSON made by spf_suite.py) through sk_spf_check() on a script resolver
 * per scenario; prints TAP, one line per test case.
 *
 * A test passes when the result is one of the allowed results and, when
 * the case gives an explanation, the explanation is equal.  "DEFAULT"
 * means the implementation's default explanation: we set default_exp to
 * that very text.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <senderkit/spf.h>

static int n_test, n_fail;

static char *
unhex(const char *h, size_t *len)
{
	size_t n = strlen(h) / 2;
	char *s = malloc(n + 1);

	for (size_t i = 0; i < n; i++) {
		static const char hx[] = "0123456789abcdef";
		const char *hi = strchr(hx, h[2 * i]);
		const char *lo = strchr(hx, h[2 * i + 1]);

		s[i] = (char)(((hi ? hi - hx : 0) << 4) | (lo ? lo - hx : 0));
	}
	s[n] = '\0';
	if (len != NULL)
		*len = n;
	return s;
}

static int
load_zone(struct sk_resolver *r, json_t *zone)
{
	size_t i;
	json_t *e;
	struct sk_err err;

	json_array_foreach(zone, i, e) {
		const char *name =
			json_string_value(json_object_get(e, "name"));
		json_t *fail = json_object_get(e, "fail");
		sk_status st;

		if (fail != NULL) {
			uint16_t t = json_is_string(fail)
				? sk_dns_type_from_str(json_string_value(fail))
				: 0;
			st = sk_resolver_script_fail(r, name, t, "timeout",
						     &err);
		} else if (strcmp(json_string_value(json_object_get(e, "type")),
				  "TXT") == 0) {
			json_t *strs = json_object_get(e, "strings");
			size_t n = json_array_size(strs);
			char **sv = calloc(n + 1, sizeof(*sv));
			size_t *lv = calloc(n + 1, sizeof(*lv));

			for (size_t k = 0; k < n; k++)
				sv[k] = unhex(json_string_value(
					json_array_get(strs, k)), &lv[k]);
			st = sk_resolver_script_add_txt(r, name, SK_DNS_TXT,
				(const char *const *)sv, lv, n, &err);
			for (size_t k = 0; k < n; k++)
				free(sv[k]);
			free(sv);
			free(lv);
		} else {
			const char *ty = json_string_value(
				json_object_get(e, "type"));

			st = sk_resolver_script_add(r, name,
				sk_dns_type_from_str(ty),
				json_string_value(json_object_get(e, "rdata")),
				&err);
		}
		if (st != SK_OK) {
			printf("# zone entry for %s refused: %s\n", name,
			       err.msg);
			return -1;
		}
	}
	return 0;
}

/*
 * Explanations must be equal, with one exception: the suite writes the
 * IPv6 nibbles of %{i} in upper case (v-macro-ip6) where RFC 7208 section
 * 7.4 shows lower case; DNS names are case-insensitive and we follow the
 * RFC, so an ip6.arpa explanation is compared without regard to case.
 */
static bool
same_exp(const char *got, const char *want)
{
	if (got == NULL)
		return false;
	if (strcmp(got, want) == 0)
		return true;
	return strstr(want, "ip6.arpa") != NULL && strcasecmp(got, want) == 0;
}

static void
run_test(struct sk_resolver *r, const char *scen, json_t *t)
{
	const char *name = json_string_value(json_object_get(t, "name"));
	const char *host = json_string_value(json_object_get(t, "host"));
	char *mf = unhex(json_string_value(json_object_get(t, "mailfrom")),
			 NULL);
	char *helo = unhex(json_string_value(json_object_get(t, "helo")),
			   NULL);
	json_t *results = json_object_get(t, "results");
	const char *want_exp = json_string_value(
		json_object_get(t, "explanation"));
	struct sk_spf_request req = { 0 };
	struct sk_spf_opts opts = { 0 };
	struct sk_spf_outcome *o = NULL;
	struct sk_err err = { 0 };
	sk_status st;
	bool good = false;
	const char *got = "(error)";
	size_t i;
	json_t *rv;

	req.ip = host;
	req.mail_from = mf;
	req.helo = helo;
	req.receiver = "receiver.com";
	req.identity = SK_SPF_ID_MAILFROM;
	req.now = 1700000000;
	opts.default_exp = "DEFAULT";
	st = sk_spf_check(r, &req, &opts, &o, &err);
	if (st == SK_OK) {
		got = sk_spf_result_str(o->result);
		json_array_foreach(results, i, rv) {
			if (strcmp(json_string_value(rv), got) == 0)
				good = true;
		}
		if (good && want_exp != NULL && !same_exp(o->explanation,
							     want_exp))
			good = false;
	}
	n_test++;
	if (!good)
		n_fail++;
	printf("%sok %d - %s / %s\n", good ? "" : "not ", n_test, scen, name);
	if (!good) {
		char *want = json_dumps(results, JSON_COMPACT);

		printf("#   got %s, want %s", got, want);
		if (want_exp != NULL)
			printf(", explanation \"%s\" (want \"%s\")",
			       o && o->explanation ? o->explanation : "(null)",
			       want_exp);
		if (st != SK_OK)
			printf(", error: %s", err.msg);
		if (o != NULL && o->problem != NULL)
			printf(", problem: %s", o->problem);
		printf("\n");
		free(want);
	}
	sk_spf_outcome_free(o);
	free(mf);
	free(helo);
}

int
main(int argc, char **argv)
{
	json_error_t jerr;
	json_t *root, *scen;
	size_t i;

	setvbuf(stdout, NULL, _IOLBF, 0);
	if (argc != 2) {
		fprintf(stderr, "usage: run_spf_suite SUITE.json\n");
		return 2;
	}
	root = json_load_file(argv[1], 0, &jerr);
	if (root == NULL) {
		printf("Bail out! cannot read %s: %s\n", argv[1], jerr.text);
		return 1;
	}
	json_array_foreach(root, i, scen) {
		const char *desc = json_string_value(
			json_object_get(scen, "description"));
		struct sk_resolver *r = NULL;
		struct sk_err err;
		size_t k;
		json_t *t;

		if (sk_resolver_new_script(&r, &err) != SK_OK) {
			printf("Bail out! resolver: %s\n", err.msg);
			return 1;
		}
		if (load_zone(r, json_object_get(scen, "zone")) != 0) {
			printf("Bail out! zone data of '%s' refused\n", desc);
			return 1;
		}
		json_array_foreach(json_object_get(scen, "tests"), k, t)
			run_test(r, desc, t);
		sk_resolver_free(r);
	}
	json_decref(root);
	printf("1..%d\n", n_test);
	printf("# %d passed, %d failed\n", n_test - n_fail, n_fail);
	return n_fail == 0 && n_test > 0 ? 0 : 1;
}
