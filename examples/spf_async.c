/*
 * examples/spf_async.c - how a C program uses libsenderkit's SPF engine:
 * one resolver, many check_host() evaluations in flight at once, results
 * delivered by callback from the event loop.  Uses only the public header
 * <senderkit/senderkit.h> and links the shared library.
 *
 *   spf_async ZONEFILE... -- IP MAIL-FROM [IP MAIL-FROM]...
 *
 * Prints "IP MAIL-FROM RESULT MECHANISM" per pair, in completion order.
 * Built with the project and run by `meson test` on the example zones.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <senderkit/senderkit.h>

struct job {
	const char *ip, *from;
	int done;
};

static void
on_result(void *arg, sk_status st, struct sk_spf_outcome *o)
{
	struct job *j = arg;

	j->done = 1;
	if (st != SK_OK) {
		printf("%s %s error %s\n", j->ip, j->from, sk_strerror(st));
		return;
	}
	printf("%s %s %s %s\n", j->ip, j->from, sk_spf_result_str(o->result),
	       o->mechanism != NULL ? o->mechanism : "-");
	sk_spf_outcome_free(o);
}

int
main(int argc, char **argv)
{
	struct sk_resolver *r = NULL;
	struct sk_err err;
	struct job *jobs;
	int i, sep = 1, njobs, rc = 0;

	while (sep < argc && strcmp(argv[sep], "--") != 0)
		sep++;
	if (sep >= argc || (argc - sep - 1) % 2 != 0 || argc - sep - 1 == 0) {
		fprintf(stderr, "usage: %s ZONEFILE... -- IP MAIL-FROM...\n",
			argv[0]);
		return 2;
	}
	if (sk_resolver_new_zones(&r, &err) != SK_OK) {
		fprintf(stderr, "resolver: %s\n", err.msg);
		return 1;
	}
	for (i = 1; i < sep; i++) {
		if (sk_resolver_load_zone(r, argv[i], NULL, &err) != SK_OK) {
			fprintf(stderr, "%s\n", err.msg);
			sk_resolver_free(r);
			return 1;
		}
	}
	njobs = (argc - sep - 1) / 2;
	jobs = calloc((size_t)njobs, sizeof(*jobs));
	if (jobs == NULL)
		return 1;
	for (i = 0; i < njobs; i++) {
		struct sk_spf_request req = { 0 };

		jobs[i].ip = argv[sep + 1 + 2 * i];
		jobs[i].from = argv[sep + 2 + 2 * i];
		req.ip = jobs[i].ip;
		req.mail_from = jobs[i].from;
		if (sk_spf_check_start(r, &req, NULL, on_result, &jobs[i],
				       &err) != SK_OK) {
			printf("%s %s error %s\n", jobs[i].ip, jobs[i].from,
			       err.msg);
			jobs[i].done = 1;
			rc = 1;
		}
	}
	/* Every callback runs from inside this loop. */
	if (sk_resolver_run(r, -1) < 0)
		rc = 1;
	for (i = 0; i < njobs; i++)
		if (!jobs[i].done)
			rc = 1;
	free(jobs);
	sk_resolver_free(r);
	return rc;
}
