/*
 * fuzz/fuzz_config.c - sk_config_load_mem() and sk_config_validate() on
 * arbitrary bytes, against a small Marketo-like profile given as a string.
 * Invariants: a failure names a line within the input (or 0); a loaded
 * config has normalized, valid domain names, no repeated domain, a DMARC
 * pct within 1..100, and validates without failing, every finding an id
 * starting with "config-" and a subject.
 *
 * dkim_key values name files relative to "fuzz-nonexistent/": a fuzzer
 * that guesses absolute paths only makes the loader read (never write)
 * them.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <senderkit/profile.h>
#include "profile/profile_internal.h"
#include "fuzz.h"

static const char profile_text[] =
	"[profile]\nid = fuzz\nas_of = 2026-11-23\n"
	"[input munchkin_id]\nregex = ^[0-9]{3}-[A-Z]{3}-[0-9]{3}$\n"
	"[input account_string]\nrequired = yes\n"
	"[input default_branding_domain]\nrequired = yes\n"
	"regex = ^mkto-[a-z0-9]+\\.com$\n"
	"[host landing]\nconfig_key = landing_host\n"
	"target = ${account_string}.mktoweb.com\nmust_differ_from = tracking\n"
	"[host tracking]\nconfig_key = tracking_host\n"
	"target = ${default_branding_domain}\navoid_prefixes = track, link\n"
	"[spf]\ninclude = mktomail.com\nneeded_when = branded_return_path\n";

static struct sk_profile *profile;

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sk_org_config *c = NULL;
	struct sk_findings *f = NULL;
	struct sk_err err;
	size_t i, j, lines = 1;
	sk_status st;

	if (profile == NULL &&
	    sk_profile_load_mem(profile_text, sizeof(profile_text) - 1,
				"fuzz.ini", &profile, NULL) != SK_OK)
		abort();
	for (i = 0; i < size; i++)
		lines += data[i] == '\n';
	sk_err_clear(&err);
	st = sk_config_load_mem((const char *)data, size,
				"fuzz-nonexistent/f.conf", &c, &err);
	if (st != SK_OK) {
		CHECK(c == NULL && err.code == st && err.line <= lines);
		return 0;
	}
	for (i = 0; i < c->ndomains; i++) {
		const struct sk_org_domain *d = &c->domains[i];

		CHECK(sk__prof_domain_ok(d->name, strlen(d->name), false));
		CHECK(sk_config_domain(c, d->name) == d);
		CHECK(d->dmarc_pct >= 1 && d->dmarc_pct <= 100);
		for (j = 0; j < d->ndkim; j++)
			CHECK(d->dkim[j].selector != NULL);
	}
	for (i = 0; i < c->ninputs; i++)
		CHECK(sk_config_input(c, c->inputs[i].key) != NULL);
	st = sk_config_validate(c, profile, &f, &err);
	CHECK(st == SK_OK || st == SK_ENOMEM);
	for (i = 0; i < sk_findings_count(f); i++) {
		const struct sk_finding *x = sk_findings_get(f, i);

		CHECK(strncmp(x->id, "config-", 7) == 0);
		CHECK(x->subject[0] != '\0');
	}
	sk_findings_free(f);
	sk_config_free(c);
	return 0;
}
