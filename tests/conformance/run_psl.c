/*
 * tests/conformance/run_psl.c - the Public Suffix List test file
 * (shared/conformance/psl/tests.txt, the same cases as test_psl.txt)
 * through senderkit's RFC 7489 organizational-domain function
 * sk_dmarc_orgdomain_psl(), with the list of the same snapshot loaded by
 * libpsl.  TAP, one case per line; every case must pass.
 *
 *   run_psl tests.txt public_suffix_list.dat
 *
 * "null" as input is a NULL name; "null" as expected means no
 * organizational domain (the name is a public suffix, or not a name).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <senderkit/senderkit.h>
#include "../unit/tap.h"

int
main(int argc, char **argv)
{
	struct sk_dmarc_psl *psl = NULL;
	struct sk_err err;
	char line[1024], in[512], want[512], *got;
	FILE *f;
	sk_status st;
	int lineno = 0;

	tap_plan_unknown();
	if (argc != 3) {
		fprintf(stderr, "usage: run_psl tests.txt list.dat\n");
		return 2;
	}
	sk_err_clear(&err);
	if (sk_dmarc_psl_load(argv[2], &psl, &err) != SK_OK) {
		ok(0, "load %s: %s", argv[2], err.msg);
		return tap_done();
	}
	f = fopen(argv[1], "r");
	if (f == NULL) {
		ok(0, "open %s", argv[1]);
		return tap_done();
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		char *sp, *nl;

		lineno++;
		nl = strchr(line, '\n');
		if (nl != NULL)
			*nl = '\0';
		if (line[0] == '\0' || strncmp(line, "//", 2) == 0)
			continue;
		sp = strchr(line, ' ');
		if (sp == NULL || strlen(line) >= sizeof(in)) {
			ok(0, "line %d malformed", lineno);
			continue;
		}
		*sp = '\0';
		snprintf(in, sizeof(in), "%s", line);
		snprintf(want, sizeof(want), "%s", sp + 1);
		got = NULL;
		st = sk_dmarc_orgdomain_psl(psl, strcmp(in, "null") == 0 ?
					    NULL : in, &got, NULL);
		if (st != SK_OK && st != SK_ENOENT && st != SK_EINVAL) {
			ok(0, "line %d %.200s: status %s", lineno, in,
			   sk_strerror(st));
			continue;
		}
		is_str(got != NULL ? got : "null", want, "line %d: %.200s",
		       lineno, in);
		free(got);
	}
	fclose(f);
	sk_dmarc_psl_free(psl);
	return tap_done();
}
