/*
 * lib/audit/provider.c - checks of the provider data itself and of the
 * organization's account values:
 *
 *   input-format       provider inputs against the profile's regexes
 *                      (research F1.1, F1.3, F1.5);
 *   profile-stale      lists older than max_age_days (research 1.18);
 *   profile-spf-drift  the profile's sending blocks against what the
 *                      provider's SPF publishes (research F7.5, F12.1);
 *   ip-mode            monthly volume against the pool thresholds
 *                      (research F10.2-F10.4).
 */
#include <regex.h>
#include <sys/socket.h>
#include <stdio.h>
#include <string.h>

#include "audit_internal.h"

/* ------------------------------------------------------- input-format */

static void
check_input(struct au_ctx *x, const struct sk_profile_input *in)
{
	const char *v = sk_config_input(x->c, in->name);
	const char *src = sk__audit_src(x->p->docs_url, "provider profile");
	struct sk_buf ev, fix;
	regex_t re;
	int rc;

	sk__buf_init(&ev, AU_TEXT_MAX);
	sk__buf_init(&fix, AU_TEXT_MAX);
	if (v == NULL || v[0] == '\0') {
		if (in->hint != NULL)
			sk__audit_bprintf(x, &fix, "set %s in [provider] "
					  "(%s)", in->name, in->hint);
		else
			sk__audit_bprintf(x, &fix, "set %s in [provider]",
					  in->name);
		if (in->required)
			sk__audit_add(x, AU_G_PROVIDER, "input-format",
				      in->name, SK_CHECK_FAIL, SK_SEV_ERROR,
				      src, "not set", fix.p, "%s is required "
				      "by the %s profile and not set",
				      in->name, x->p->id);
		else
			sk__audit_add(x, AU_G_PROVIDER, "input-format",
				      in->name, SK_CHECK_SKIP, SK_SEV_INFO,
				      src, "not set", NULL, "%s is not set "
				      "(optional)", in->name);
		goto out;
	}
	sk__audit_bprintf(x, &ev, "%s = %s", in->name, v);
	if (in->regex == NULL || in->regex[0] == '\0') {
		sk__audit_add(x, AU_G_PROVIDER, "input-format", in->name,
			      SK_CHECK_PASS, SK_SEV_INFO, src, ev.p, NULL,
			      "%s is set (the profile gives no format)",
			      in->name);
		goto out;
	}
	if (regcomp(&re, in->regex, REG_EXTENDED | REG_NOSUB) != 0) {
		/* The loader compiles every regex: only memory fails here. */
		sk__audit_add(x, AU_G_PROVIDER, "input-format", in->name,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, ev.p, NULL,
			      "the profile's pattern for %s could not be "
			      "compiled", in->name);
		goto out;
	}
	rc = regexec(&re, v, 0, NULL, 0);
	regfree(&re);
	if (rc == 0) {
		sk__audit_add(x, AU_G_PROVIDER, "input-format", in->name,
			      SK_CHECK_PASS, SK_SEV_INFO, src, ev.p, NULL,
			      "%s matches %s", in->name, in->regex);
		goto out;
	}
	if (in->hint != NULL)
		sk__audit_bprintf(x, &fix, "check %s: %s", in->name,
				  in->hint);
	else
		sk__audit_bprintf(x, &fix, "check %s", in->name);
	sk__audit_add(x, AU_G_PROVIDER, "input-format", in->name,
		      SK_CHECK_FAIL, in->severity, src, ev.p, fix.p,
		      "%s \"%s\" does not have the expected form %s",
		      in->name, v, in->regex);
out:
	sk__buf_free(&ev);
	sk__buf_free(&fix);
}

/* ------------------------------------------------------ profile-stale */

static void
check_stale(struct au_ctx *x, const struct sk_profile_list *l)
{
	long age = l->as_of != NULL ? sk_profile_age_days(l->as_of, x->now) :
		-1;
	struct sk_buf ev;
	const char *src = sk__audit_src(l->source, "");

	sk__buf_init(&ev, AU_TEXT_MAX);
	sk__audit_bprintf(x, &ev, "as of %s (%ld days ago); source %s",
			  l->as_of != NULL ? l->as_of : "?", age, src);
	if (age < 0)
		sk__audit_add(x, AU_G_PROVIDER, "profile-stale", l->name,
			      SK_CHECK_FAIL, SK_SEV_WARNING, src, ev.p,
			      "re-read the list at its source and update "
			      "as_of in the profile",
			      "list %s has no usable as_of date (\"%s\")",
			      l->name, l->as_of != NULL ? l->as_of : "");
	else if (age > (long)x->o.max_age_days)
		sk__audit_add(x, AU_G_PROVIDER, "profile-stale", l->name,
			      SK_CHECK_FAIL, SK_SEV_WARNING, src, ev.p,
			      "re-read the list at its source, update the "
			      "profile and its as_of date",
			      "list %s is %ld days old (older than %u): "
			      "provider lists change", l->name, age,
			      x->o.max_age_days);
	else
		sk__audit_add(x, AU_G_PROVIDER, "profile-stale", l->name,
			      SK_CHECK_PASS, SK_SEV_INFO, src, ev.p, NULL,
			      "list %s is %ld days old (limit %u)", l->name,
			      age, x->o.max_age_days);
	sk__buf_free(&ev);
}

/* -------------------------------------------------- profile-spf-drift */

#define DRIFT_MAX_NETS 512

struct nets {
	struct au_net v[DRIFT_MAX_NETS];
	size_t n;
	bool truncated;
};

static void
nets_add(struct nets *s, const struct au_net *n)
{
	if (s->n < DRIFT_MAX_NETS)
		s->v[s->n++] = *n;
	else
		s->truncated = true;
}

/* Collect ip4/ip6 terms of every record of the tree; *incomplete when a
 * record could not be read. */
static sk_status
collect(const struct sk_spf_node *node, struct nets *s, bool *incomplete)
{
	struct sk_spf_record *rec = NULL;
	sk_status st;

	if (node->status == SK_SPF_NODE_TEMPFAIL ||
	    node->status == SK_SPF_NODE_NOT_FOLLOWED)
		*incomplete = true;
	if (node->record != NULL && node->status == SK_SPF_NODE_OK) {
		st = sk_spf_parse(node->record, strlen(node->record), &rec,
				  NULL);
		if (st == SK_ENOMEM)
			return st;
		for (size_t i = 0; rec != NULL && i < sk_spf_record_nterms(rec);
		     i++) {
			const struct sk_spf_term *t = sk_spf_record_term(rec,
									  i);
			struct au_net n;

			if (t->kind != SK_SPF_IP4 && t->kind != SK_SPF_IP6)
				continue;
			memset(&n, 0, sizeof(n));
			if (t->kind == SK_SPF_IP4) {
				n.family = AF_INET;
				memcpy(n.addr, t->addr, 4);
				n.prefix = t->cidr4 >= 0 ?
					(unsigned)t->cidr4 : 32;
			} else {
				n.family = AF_INET6;
				memcpy(n.addr, t->addr, 16);
				n.prefix = t->cidr6 >= 0 ?
					(unsigned)t->cidr6 : 128;
			}
			nets_add(s, &n);
		}
		sk_spf_record_free(rec);
	}
	for (size_t i = 0; i < node->nchildren; i++) {
		st = collect(&node->children[i], s, incomplete);
		if (st != SK_OK)
			return st;
	}
	return SK_OK;
}

static bool
covered(const struct au_net *n, const struct nets *by)
{
	for (size_t i = 0; i < by->n; i++)
		if (sk__audit_net_contains(&by->v[i], n))
			return true;
	return false;
}

static void
drift_compare(struct au_ctx *x, const struct sk_profile_list *l,
	      const struct nets *prof, const struct nets *live,
	      bool incomplete, const char *src)
{
	struct sk_buf ev, fix;
	char s[64];
	size_t nmiss = 0, nextra = 0, i;

	sk__buf_init(&ev, AU_TEXT_MAX);
	sk__buf_init(&fix, AU_TEXT_MAX);
	for (i = 0; i < prof->n; i++) {
		if (covered(&prof->v[i], live))
			continue;
		sk__audit_net_str(&prof->v[i], s, sizeof(s));
		if (nmiss++ == 0)
			sk__audit_bprintf(x, &ev, "in the profile, not in "
					  "the SPF of %s: ", l->spf_domain);
		else
			sk__audit_bprintf(x, &ev, ", ");
		sk__audit_bprintf(x, &ev, "%s", s);
	}
	for (i = 0; i < live->n; i++) {
		if (covered(&live->v[i], prof))
			continue;
		sk__audit_net_str(&live->v[i], s, sizeof(s));
		if (nextra++ == 0)
			sk__audit_bprintf(x, &ev, "%sin the SPF of %s, not in "
					  "the profile: ", nmiss ? "; " : "",
					  l->spf_domain);
		else
			sk__audit_bprintf(x, &ev, ", ");
		sk__audit_bprintf(x, &ev, "%s", s);
	}
	if (nmiss == 0 && nextra == 0 && incomplete) {
		sk__audit_add(x, AU_G_PROVIDER, "profile-spf-drift", l->name,
			      SK_CHECK_DNSFAIL, SK_SEV_INFO, src,
			      "part of the SPF tree could not be read", NULL,
			      "could not compare list %s with the SPF of %s: "
			      "DNS failed for part of it", l->name,
			      l->spf_domain);
	} else if (nmiss == 0 && nextra == 0) {
		sk__audit_bprintf(x, &ev, "%zu blocks in the profile, %zu in "
				  "the SPF of %s", prof->n, live->n,
				  l->spf_domain);
		sk__audit_add(x, AU_G_PROVIDER, "profile-spf-drift", l->name,
			      SK_CHECK_PASS, SK_SEV_INFO, src, ev.p, NULL,
			      "list %s matches the SPF of %s", l->name,
			      l->spf_domain);
	} else {
		sk__audit_bprintf(x, &fix, "compare with the provider's "
				  "current list (%s) and update list %s of "
				  "the profile", src, l->name);
		sk__audit_add(x, AU_G_PROVIDER, "profile-spf-drift", l->name,
			      SK_CHECK_FAIL, SK_SEV_INFO, src, ev.p, fix.p,
			      "list %s and the SPF of %s differ: %zu blocks "
			      "only in the profile, %zu only in the SPF%s",
			      l->name, l->spf_domain, nmiss, nextra,
			      incomplete ? " (part of the SPF tree could "
			      "not be read)" : "");
	}
	sk__buf_free(&ev);
	sk__buf_free(&fix);
}

static void
check_drift(struct au_ctx *x, const struct sk_profile_list *l)
{
	const char *src = sk__audit_src(l->source, "");
	struct sk_spf_lint *lint = NULL;
	const struct sk_spf_node *root;
	struct nets *prof, *live;
	bool incomplete = false;
	struct sk_err err;
	sk_status st;

	if (!x->o.check_spf_drift) {
		sk__audit_add(x, AU_G_PROVIDER, "profile-spf-drift", l->name,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "the SPF of %s was not compared with list %s "
			      "(not asked: offline audit)", l->spf_domain,
			      l->name);
		return;
	}
	st = sk_spf_lint_domain(x->r, l->spf_domain, &lint, &err);
	if (sk__audit_oom(x, st))
		return;
	if (st != SK_OK) {
		sk__audit_add(x, AU_G_PROVIDER, "profile-spf-drift", l->name,
			      SK_CHECK_SKIP, SK_SEV_INFO, src, NULL, NULL,
			      "cannot look at the SPF of \"%s\": %s",
			      l->spf_domain, err.msg);
		return;
	}
	root = sk_spf_lint_tree(lint);
	if (root->status == SK_SPF_NODE_TEMPFAIL) {
		sk__audit_add(x, AU_G_PROVIDER, "profile-spf-drift", l->name,
			      SK_CHECK_DNSFAIL, SK_SEV_INFO, src,
			      "DNS failed for TXT of the provider's domain",
			      NULL, "could not read the SPF of %s",
			      l->spf_domain);
		sk_spf_lint_free(lint);
		return;
	}
	if (root->status != SK_SPF_NODE_OK) {
		sk__audit_add(x, AU_G_PROVIDER, "profile-spf-drift", l->name,
			      SK_CHECK_FAIL, SK_SEV_INFO, src,
			      root->status == SK_SPF_NODE_NONE ?
			      "no SPF record" : root->record,
			      "check the profile's spf_domain",
			      "%s publishes no usable SPF record to compare "
			      "list %s with", l->spf_domain, l->name);
		sk_spf_lint_free(lint);
		return;
	}
	prof = sk__calloc(1, sizeof(*prof));
	live = sk__calloc(1, sizeof(*live));
	if (prof == NULL || live == NULL) {
		x->st = SK_ENOMEM;
		goto out;
	}
	for (size_t i = 0; i < l->count; i++) {
		struct au_net n;

		if (sk__audit_net_parse(l->items[i], &n))
			nets_add(prof, &n);
	}
	st = collect(root, live, &incomplete);
	if (sk__audit_oom(x, st))
		goto out;
	drift_compare(x, l, prof, live, incomplete, src);
out:
	sk__free(prof);
	sk__free(live);
	sk_spf_lint_free(lint);
}

void
sk__audit_provider(struct au_ctx *x)
{
	const struct sk_profile *p = x->p;
	size_t i;

	for (i = 0; i < p->ninputs && x->st == SK_OK; i++)
		check_input(x, &p->inputs[i]);
	for (i = 0; i < p->nlists && x->st == SK_OK; i++)
		check_stale(x, &p->lists[i]);
	for (i = 0; i < p->nlists && x->st == SK_OK; i++)
		if (p->lists[i].spf_domain != NULL &&
		    p->lists[i].spf_domain[0] != '\0')
			check_drift(x, &p->lists[i]);
}

/* ------------------------------------------------------------ ip-mode */

void
sk__audit_ipmode(struct au_ctx *x)
{
	const struct sk_org_config *c = x->c;
	const struct sk_profile *p = x->p;
	const char *src = sk__audit_src(p->pools.source, p->docs_url);
	const char *mode = sk_ip_mode_str(c->ip_mode);
	unsigned long v = c->monthly_volume;
	bool branded = false;
	char ev[160];

	for (size_t i = 0; i < c->ndomains; i++)
		if (c->domains[i].return_path != NULL)
			branded = true;
	snprintf(ev, sizeof(ev), "ip_mode = %s; monthly_volume = %lu%s",
		 mode, v, v == 0 ? " (not stated)" : "");
	if (c->ip_mode == SK_IP_SHARED && v > 0 &&
	    p->pools.shared_max_monthly > 0 &&
	    v > p->pools.shared_max_monthly) {
		sk__audit_add(x, AU_G_PROVIDER, "ip-mode", "ip_mode",
			      SK_CHECK_FAIL, SK_SEV_WARNING, src, ev,
			      "ask the provider about a dedicated IP",
			      "%lu messages a month on shared IPs is over "
			      "the %lu above which the provider advises a "
			      "dedicated IP", v, p->pools.shared_max_monthly);
	} else if (c->ip_mode == SK_IP_TRUSTED && v > 0 &&
		   p->pools.trusted_max_monthly > 0 &&
		   v >= p->pools.trusted_max_monthly) {
		sk__audit_add(x, AU_G_PROVIDER, "ip-mode", "ip_mode",
			      SK_CHECK_FAIL, SK_SEV_WARNING, src, ev,
			      "ask the provider whether the account still "
			      "qualifies, or about a dedicated IP",
			      "%lu messages a month on the Trusted IP range: "
			      "the range is for senders under %lu", v,
			      p->pools.trusted_max_monthly);
	} else if (c->ip_mode == SK_IP_DEDICATED && !branded) {
		sk__audit_add(x, AU_G_PROVIDER, "ip-mode", "ip_mode",
			      SK_CHECK_FAIL, SK_SEV_INFO, src, ev,
			      "open a support ticket with the provider to "
			      "set up a branded return-path, then set "
			      "return_path in the [domain] sections",
			      "dedicated IP without a branded return-path: "
			      "the provider advises a support ticket (SPF "
			      "cannot align without one)");
	} else if (v == 0 && c->ip_mode != SK_IP_DEDICATED) {
		sk__audit_add(x, AU_G_PROVIDER, "ip-mode", "ip_mode",
			      SK_CHECK_SKIP, SK_SEV_INFO, src, ev, NULL,
			      "no monthly_volume in the config: the pool "
			      "thresholds were not compared");
	} else {
		sk__audit_add(x, AU_G_PROVIDER, "ip-mode", "ip_mode",
			      SK_CHECK_PASS, SK_SEV_INFO, src, ev, NULL,
			      "%s IPs fit the stated volume", mode);
	}
}
