/*
 * lib/spf/lint.c - findings about an SPF policy and the tree of its
 * DNS-querying terms (RFC 7208).
 *
 *   3.3, 3.4   strings over 255 bytes, answers over 512 bytes (UDP);
 *   3.5        the deprecated type 99 record;
 *   4.5        record selection: none, several;
 *   4.6        syntax (a bad term fails the whole record);
 *   4.6.4      the 10 DNS-querying terms, 2 void lookups, 10 MX names;
 *   5.1, 5.2   all, include (a target without SPF is a permerror);
 *   5.5        ptr SHOULD NOT be used;
 *   6.1        redirect (ignored when "all" is present).
 *
 * The walk is synchronous through sk_dns_resolve(): lint is interactive
 * and asks a few dozen questions at most (the node cap bounds it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spf_internal.h"

/* Depth of include/redirect nesting followed, and nodes built in all. */
#define LINT_MAX_DEPTH 12
#define LINT_MAX_NODES 256
/* A message of at most this many bytes. */
#define LINT_MSG_MAX 1024
/* RFC 1035 section 4.2.1: classic UDP answers. */
#define LINT_UDP_MAX 512

#define REF_4_5 "RFC 7208 section 4.5"
#define REF_4_6 "RFC 7208 section 4.6"
#define REF_4_6_4 "RFC 7208 section 4.6.4"

struct sk_spf_lint {
	struct sk_findings *f;
	struct sk_spf_node *root;
	unsigned lookups;
};

struct walk {
	struct sk_resolver *r;
	struct sk_spf_lint *l;
	/* The path from the root: domains and the terms that led there. */
	const char *dom[LINT_MAX_DEPTH + 2];
	const char *via[LINT_MAX_DEPTH + 2];
	unsigned depth;
	unsigned nodes;
	unsigned counted; /* lookups met so far in evaluation order */
	unsigned voids;
	bool nodomain;    /* lint_record without a domain: no "a", "mx" */
	sk_status st;     /* sticky SK_ENOMEM */
};

/* ------------------------------------------------------------ findings */

static void
add_finding(struct walk *w, enum sk_severity sev, const char *id,
	    const char *subject, size_t offset, const char *ref,
	    const char *fmt, ...) SK_PRINTF(7, 8);

static void
add_finding(struct walk *w, enum sk_severity sev, const char *id,
	    const char *subject, size_t offset, const char *ref,
	    const char *fmt, ...)
{
	va_list ap;

	if (w->st != SK_OK)
		return;
	va_start(ap, fmt);
	sk__findings_vadd(w->l->f, sev, id, subject, offset, ref, fmt, ap);
	va_end(ap);
	w->st = sk__findings_status(w->l->f);
}

/* ----------------------------------------------------------------- DNS */

/* Ask; a name no server can be asked about answers like NXDOMAIN. */
static enum sk_dns_status
ask(struct walk *w, const char *name, uint16_t type,
    const struct sk_dns_answer **out)
{
	const struct sk_dns_answer *ans = NULL;
	sk_status st;

	*out = NULL;
	st = sk_dns_resolve(w->r, name, type, &ans, NULL);
	if (st == SK_ENOMEM) {
		w->st = st;
		return SK_DNS_TEMPFAIL;
	}
	if (st != SK_OK)
		return SK_DNS_NXDOMAIN;
	*out = ans;
	return ans->status;
}

static const char *
why(const struct sk_dns_answer *a)
{
	if (a == NULL || a->why == NULL || a->why[0] == '\0')
		return "temporary failure";
	return a->why;
}

/* ---------------------------------------------------------------- tree */

static void
node_free(struct sk_spf_node *n)
{
	size_t i;

	for (i = 0; i < n->nchildren; i++)
		node_free((struct sk_spf_node *)&n->children[i]);
	sk__free((void *)n->children);
	sk__free((void *)n->via);
	sk__free((void *)n->domain);
	sk__free((void *)n->record);
}

static char *
slice_dup(struct walk *w, const char *p, size_t n)
{
	char *s;

	while (n > 1 && p[n - 1] == '.')
		n--;
	s = sk__strndup(p, n);
	if (s == NULL)
		w->st = SK_ENOMEM;
	return s;
}

/* "a -> include:b -> redirect=c" for the messages. */
static void
path_str(const struct walk *w, char *out, size_t outsz)
{
	size_t o = 0;
	unsigned i;
	int n;

	out[0] = '\0';
	for (i = 0; i <= w->depth && o < outsz; i++) {
		n = snprintf(out + o, outsz - o, "%s%s", i ? " -> " : "",
			     i ? w->via[i] : w->dom[0]);
		if (n < 0)
			return;
		o += (size_t)n;
	}
}

static bool
on_path(const struct walk *w, const char *domain)
{
	unsigned i;

	for (i = 0; i <= w->depth; i++)
		if (sk__eq_nocase_z(domain, strlen(domain), w->dom[i]))
			return true;
	return false;
}

/* One more DNS-querying term (section 4.6.4), in evaluation order. */
static void
count_lookup(struct walk *w, const char *term, size_t tlen)
{
	char path[LINT_MSG_MAX / 2];

	w->counted++;
	if (w->counted != SK_SPF_MAX_DNS_TERMS + 1)
		return;
	path_str(w, path, sizeof(path));
	add_finding(w, SK_SEV_ERROR, "spf-lookup-limit", w->dom[0],
		    SK_NO_OFFSET, REF_4_6_4,
		    "more than %d DNS-querying terms: receivers return "
		    "permerror; %s: %uth lookup at %.*s",
		    SK_SPF_MAX_DNS_TERMS, path, w->counted,
		    (int)(tlen > 200 ? 200 : tlen), term);
}

static void
void_lookup(struct walk *w, struct sk_spf_node *n)
{
	w->voids++;
	n->void_lookups++;
}

/* ----------------------------------------------------------- selection */

/*
 * Fetch the SPF record of `domain` into n->record (section 4.5); sets
 * n->status.  `top` adds the answer-size and type 99 checks.
 */
static void
fetch(struct walk *w, struct sk_spf_node *n, bool top, const char *kind)
{
	const struct sk_dns_answer *a = NULL, *a99 = NULL;
	const struct sk_dns_rr *rr;
	const char *d = n->domain;
	size_t i, k, found = 0, wire;
	enum sk_dns_status s;

	s = ask(w, d, SK_DNS_TXT, &a);
	if (s == SK_DNS_TEMPFAIL) {
		n->status = SK_SPF_NODE_TEMPFAIL;
		add_finding(w, SK_SEV_ERROR, "spf-tempfail", d, SK_NO_OFFSET,
			    "RFC 7208 section 4.4", "could not check the SPF "
			    "record of %s: DNS failed (%s)", d, why(a));
		sk_dns_answer_unref(a);
		return;
	}
	n->status = SK_SPF_NODE_NONE;
	wire = 12 + strlen(d) + 2 + 4; /* header, question */
	for (i = 0; a != NULL && i < a->count; i++) {
		rr = &a->rr[i];
		if (rr->type != SK_DNS_TXT)
			continue;
		wire += 2 + 10;
		for (k = 0; k < rr->u.txt.nstrings; k++)
			wire += 1 + rr->u.txt.lens[k];
		if (!sk_spf_is_record(rr->u.txt.text, rr->u.txt.len))
			continue;
		/* Each string is at most 255 bytes on the wire (its
		 * length is one octet): nothing to check here. */
		if (found++ == 0) {
			n->record = sk__strndup(rr->u.txt.text,
						rr->u.txt.len);
			if (n->record == NULL)
				w->st = SK_ENOMEM;
		}
	}
	if (found == 1)
		n->status = SK_SPF_NODE_OK;
	if (found > 1) {
		n->status = SK_SPF_NODE_MULTIPLE;
		add_finding(w, SK_SEV_ERROR, top ? "spf-multiple" :
			    "spf-include-multiple", d, SK_NO_OFFSET, REF_4_5,
			    "%s publishes %zu SPF records%s%s: receivers "
			    "return permerror; merge them into one", d,
			    found, top ? "" : ", reached by ",
			    top ? "" : kind);
	}
	if (top && found > 0 && wire > LINT_UDP_MAX)
		add_finding(w, SK_SEV_WARNING, "spf-udp-size", d,
			    SK_NO_OFFSET, "RFC 7208 section 3.4",
			    "the TXT answer for %s is about %zu bytes, over "
			    "the 512 bytes of a plain UDP answer: some "
			    "receivers will fail to fetch it", d, wire);
	sk_dns_answer_unref(a);
	if (top) {
		s = ask(w, d, SK_DNS_SPF, &a99);
		if (s == SK_DNS_ANSWER && a99 != NULL && a99->count > 0)
			add_finding(w, SK_SEV_INFO, "spf-deprecated-type99",
				    d, SK_NO_OFFSET, "RFC 7208 section 3.1",
				    "%s also publishes a type 99 (SPF) "
				    "record; that type is deprecated and "
				    "ignored: keep only the TXT record", d);
		sk_dns_answer_unref(a99);
	}
}

/* --------------------------------------------------------------- terms */

/* Does the a/mx target have an address?  Counts the void lookup. */
static void
check_addr(struct walk *w, struct sk_spf_node *n, const char *target,
	   const char *term, size_t tlen, bool count_void)
{
	const struct sk_dns_answer *a4 = NULL, *a6 = NULL;
	enum sk_dns_status s4, s6;

	s4 = ask(w, target, SK_DNS_A, &a4);
	s6 = ask(w, target, SK_DNS_AAAA, &a6);
	if (s4 == SK_DNS_TEMPFAIL || s6 == SK_DNS_TEMPFAIL) {
		add_finding(w, SK_SEV_ERROR, "spf-tempfail", target,
			    SK_NO_OFFSET, "RFC 7208 section 4.4",
			    "could not check %.*s in %s: DNS failed for "
			    "%s (%s)", (int)tlen, term, n->domain, target,
			    why(s4 == SK_DNS_TEMPFAIL ? a4 : a6));
	} else if (s4 != SK_DNS_ANSWER && s6 != SK_DNS_ANSWER) {
		if (count_void)
			void_lookup(w, n);
		add_finding(w, SK_SEV_WARNING, "spf-mx-a-void", target,
			    SK_NO_OFFSET, REF_4_6_4,
			    "%.*s in %s: %s has no A or AAAA address "
			    "(%s)%s", (int)tlen, term, n->domain, target,
			    sk_dns_status_str(s4),
			    count_void ? ", a void lookup" : "");
	}
	sk_dns_answer_unref(a4);
	sk_dns_answer_unref(a6);
}

static void
check_mx(struct walk *w, struct sk_spf_node *n, const char *target,
	 const char *term, size_t tlen)
{
	const struct sk_dns_answer *a = NULL;
	enum sk_dns_status s;
	size_t i, names = 0;

	s = ask(w, target, SK_DNS_MX, &a);
	if (s == SK_DNS_TEMPFAIL) {
		add_finding(w, SK_SEV_ERROR, "spf-tempfail", target,
			    SK_NO_OFFSET, "RFC 7208 section 4.4",
			    "could not check %.*s in %s: DNS failed for MX "
			    "%s (%s)", (int)tlen, term, n->domain, target,
			    why(a));
	} else if (s != SK_DNS_ANSWER) {
		void_lookup(w, n);
		add_finding(w, SK_SEV_WARNING, "spf-mx-a-void", target,
			    SK_NO_OFFSET, REF_4_6_4,
			    "%.*s in %s: %s has no MX records (%s), a void "
			    "lookup", (int)tlen, term, n->domain, target,
			    sk_dns_status_str(s));
	} else {
		for (i = 0; i < a->count; i++)
			if (a->rr[i].type == SK_DNS_MX)
				names++;
		if (names > SK_SPF_MAX_MX_NAMES)
			add_finding(w, SK_SEV_ERROR, "spf-mx-too-many",
				    target, SK_NO_OFFSET, REF_4_6_4,
				    "%.*s in %s: %s has %zu MX names, more "
				    "than %d: receivers return permerror",
				    (int)tlen, term, n->domain, target,
				    names, SK_SPF_MAX_MX_NAMES);
		for (i = 0; i < a->count && i < SK_SPF_MAX_MX_NAMES; i++)
			if (a->rr[i].type == SK_DNS_MX &&
			    a->rr[i].u.mx.exchange[0] != '\0')
				check_addr(w, n, a->rr[i].u.mx.exchange,
					   term, tlen, false);
	}
	sk_dns_answer_unref(a);
}

static void
check_exists(struct walk *w, struct sk_spf_node *n, const char *target)
{
	const struct sk_dns_answer *a = NULL;
	enum sk_dns_status s;

	s = ask(w, target, SK_DNS_A, &a);
	if (s == SK_DNS_TEMPFAIL)
		add_finding(w, SK_SEV_ERROR, "spf-tempfail", target,
			    SK_NO_OFFSET, "RFC 7208 section 4.4",
			    "could not check exists:%s in %s: DNS failed "
			    "(%s)", target, n->domain, why(a));
	else if (s != SK_DNS_ANSWER)
		void_lookup(w, n);
	sk_dns_answer_unref(a);
}

/* "include: mktomail.com": a space after the colon (as some providers'
 * pages print it) makes "include:" empty and the domain a bare term. */
static void
check_include_space(struct walk *w, const char *rec, size_t len,
		    const char *subject)
{
	static const char *const kw[] = {"include:", "redirect="};
	size_t i, k, kl, e, wl;

	for (i = 0; i < len; i++) {
		if (i > 0 && rec[i - 1] != ' ' && rec[i - 1] != '+' &&
		    rec[i - 1] != '-' && rec[i - 1] != '~' &&
		    rec[i - 1] != '?')
			continue;
		for (k = 0; k < 2; k++) {
			kl = strlen(kw[k]);
			if (len - i <= kl ||
			    !sk__eq_nocase(rec + i, kl, kw[k], kl) ||
			    rec[i + kl] != ' ')
				continue;
			e = i + kl;
			while (e < len && rec[e] == ' ')
				e++;
			if (e >= len)
				continue;
			wl = 0;
			while (e + wl < len && rec[e + wl] != ' ' && wl < 64)
				wl++;
			add_finding(w, SK_SEV_ERROR, "spf-include-space",
				    subject, i + kl, REF_4_6,
				    "\"%.*s\" has a space after the '%c': "
				    "the record does not parse; write "
				    "\"%.*s%.*s\"", (int)(e + wl - i),
				    rec + i, kw[k][kl - 1], (int)kl, rec + i,
				    (int)wl, rec + e);
		}
	}
}

static void visit(struct walk *w, struct sk_spf_node *n, bool top);

/* Follow include or redirect into child node c. */
static void
follow(struct walk *w, struct sk_spf_node *n, struct sk_spf_node *c,
       const struct sk_spf_term *t, bool top)
{
	bool redir = t->kind == SK_SPF_REDIRECT;
	const char *id;

	c->via = sk__strndup(t->text, t->text_len);
	c->domain = slice_dup(w, t->domain_spec, t->domain_spec_len);
	c->status = SK_SPF_NODE_NOT_FOLLOWED;
	c->total = 1; /* the via term itself */
	if (c->via == NULL || c->domain == NULL) {
		w->st = SK_ENOMEM;
		return;
	}
	if (sk__spf_has_macro(t->domain_spec, t->domain_spec_len)) {
		add_finding(w, SK_SEV_INFO, "spf-macro-unchecked", n->domain,
			    t->offset, "RFC 7208 section 7",
			    "%s in %s has macros: its target depends on the "
			    "message and was not followed", c->via,
			    n->domain);
		return;
	}
	if (w->r == NULL)
		return;
	if (on_path(w, c->domain)) {
		c->status = SK_SPF_NODE_LOOP;
		id = redir ? "spf-redirect-loop" : "spf-include-loop";
		add_finding(w, SK_SEV_ERROR, id, c->domain, SK_NO_OFFSET,
			    REF_4_6_4, "%s in %s leads back to %s, already "
			    "on the path: evaluation loops until the lookup "
			    "limit (permerror)", c->via, n->domain,
			    c->domain);
		return;
	}
	if (w->depth >= LINT_MAX_DEPTH || w->nodes >= LINT_MAX_NODES) {
		add_finding(w, SK_SEV_WARNING, "spf-too-deep", c->domain,
			    SK_NO_OFFSET, REF_4_6_4, "%s in %s not followed: "
			    "nesting deeper than %d or more than %d records",
			    c->via, n->domain, LINT_MAX_DEPTH,
			    LINT_MAX_NODES);
		return;
	}
	w->nodes++;
	fetch(w, c, false, c->via);
	if (c->status == SK_SPF_NODE_NONE)
		add_finding(w, SK_SEV_ERROR, redir ? "spf-redirect-no-spf" :
			    "spf-include-no-spf", c->domain, SK_NO_OFFSET,
			    redir ? "RFC 7208 section 6.1" :
			    "RFC 7208 section 5.2",
			    "%s in %s: %s has no SPF record, so receivers "
			    "return permerror when they reach it", c->via,
			    n->domain, c->domain);
	if (c->status != SK_SPF_NODE_OK)
		return;
	w->depth++;
	w->dom[w->depth] = c->domain;
	w->via[w->depth] = c->via;
	visit(w, c, top && redir);
	w->depth--;
}

/* Lint the record in n->record and follow its includes and redirect. */
static void
visit(struct walk *w, struct sk_spf_node *n, bool top)
{
	struct sk_spf_record *rec = NULL;
	const struct sk_spf_term *t, *redirect = NULL, *all = NULL;
	struct sk_spf_node *kids;
	struct sk_err err;
	size_t i, nt, nkids = 0, maxkids = 0, tl;
	char *target;
	unsigned sum = 0;
	bool root = w->depth == 0;
	const char *subj = n->domain;
	sk_status st;

	if (w->st != SK_OK || n->record == NULL)
		return;
	check_include_space(w, n->record, strlen(n->record), subj);
	sk_err_clear(&err);
	st = sk_spf_parse(n->record, strlen(n->record), &rec, &err);
	if (st == SK_ENOMEM) {
		w->st = st;
		return;
	}
	if (st != SK_OK) {
		n->status = SK_SPF_NODE_SYNTAX;
		add_finding(w, SK_SEV_ERROR, root ? "spf-syntax" :
			    "spf-include-syntax", subj, err.offset, REF_4_6,
			    "%s%s%s: %s", root ? "" : "the record of ",
			    root ? "syntax error" : subj,
			    root ? "" : " does not parse (permerror when "
			    "reached)", err.msg);
		return;
	}
	nt = sk_spf_record_nterms(rec);
	for (i = 0; i < nt; i++) {
		t = sk_spf_record_term(rec, i);
		if (t->kind == SK_SPF_INCLUDE || t->kind == SK_SPF_REDIRECT)
			maxkids++;
		if (t->kind == SK_SPF_REDIRECT)
			redirect = t;
		if (t->kind == SK_SPF_ALL)
			all = t;
	}
	kids = maxkids ? sk__calloc(maxkids, sizeof(*kids)) : NULL;
	if (maxkids && kids == NULL) {
		w->st = SK_ENOMEM;
		sk_spf_record_free(rec);
		return;
	}
	n->children = kids;
	/* Mechanisms in order (section 4.6.2), then redirect (6.1). */
	for (i = 0; i < nt && w->st == SK_OK; i++) {
		t = sk_spf_record_term(rec, i);
		tl = t->text_len;
		switch (t->kind) {
		case SK_SPF_INCLUDE:
			n->cost++;
			count_lookup(w, t->text, tl);
			follow(w, n, &kids[nkids], t, false);
			sum += kids[nkids].total;
			nkids++;
			n->nchildren = nkids;
			break;
		case SK_SPF_A:
		case SK_SPF_MX:
		case SK_SPF_EXISTS:
			n->cost++;
			count_lookup(w, t->text, tl);
			if (t->domain_spec != NULL &&
			    sk__spf_has_macro(t->domain_spec,
					      t->domain_spec_len)) {
				add_finding(w, SK_SEV_INFO,
					    "spf-macro-unchecked", subj,
					    t->offset, "RFC 7208 section 7",
					    "%.*s in %s has macros: its "
					    "target depends on the message "
					    "and was not checked", (int)tl,
					    t->text, subj);
				break;
			}
			if (w->r == NULL ||
			    (t->domain_spec == NULL && root && w->nodomain))
				break;
			target = t->domain_spec != NULL ?
				slice_dup(w, t->domain_spec,
					  t->domain_spec_len) :
				sk__strdup(n->domain);
			if (target == NULL) {
				w->st = SK_ENOMEM;
				break;
			}
			if (t->kind == SK_SPF_A)
				check_addr(w, n, target, t->text, tl, true);
			else if (t->kind == SK_SPF_MX)
				check_mx(w, n, target, t->text, tl);
			else
				check_exists(w, n, target);
			sk__free(target);
			break;
		case SK_SPF_PTR:
			n->cost++;
			count_lookup(w, t->text, tl);
			add_finding(w, SK_SEV_WARNING, "spf-ptr", subj,
				    t->offset, "RFC 7208 section 5.5",
				    "%.*s in %s: the ptr mechanism SHOULD NOT "
				    "be used (slow, unreliable, and many "
				    "receivers skip it); list the addresses "
				    "with ip4:/ip6: instead", (int)tl, t->text,
				    subj);
			break;
		case SK_SPF_ALL:
			if (t->qualifier == '+')
				add_finding(w, SK_SEV_ERROR, "spf-all-pass",
					    subj, t->offset,
					    "RFC 7208 section 5.1",
					    "\"%.*s\" in %s authorises every "
					    "host on the internet to send as "
					    "%s; use -all or ~all", (int)tl,
					    t->text, subj, w->dom[0]);
			else if (t->qualifier == '?' && top)
				add_finding(w, SK_SEV_WARNING,
					    "spf-all-neutral", subj,
					    t->offset, "RFC 7208 section 8.2",
					    "\"?all\" in %s gives neutral "
					    "for unlisted hosts: receivers "
					    "treat it like no policy; use "
					    "~all or -all", subj);
			break;
		default:
			break;
		}
	}
	if (redirect != NULL && all != NULL && w->st == SK_OK) {
		add_finding(w, SK_SEV_INFO, "spf-redirect-with-all", subj,
			    redirect->offset, "RFC 7208 section 6.1",
			    "%.*s in %s is ignored because the record has an "
			    "\"all\" mechanism", (int)redirect->text_len,
			    redirect->text, subj);
	} else if (redirect != NULL && w->st == SK_OK) {
		n->cost++;
		count_lookup(w, redirect->text, redirect->text_len);
		follow(w, n, &kids[nkids], redirect, top);
		sum += kids[nkids].total;
		nkids++;
		n->nchildren = nkids;
	} else if (top && all == NULL && w->st == SK_OK) {
		add_finding(w, SK_SEV_WARNING, "spf-no-all", subj,
			    SK_NO_OFFSET, "RFC 7208 section 4.7",
			    "the record of %s has neither \"all\" nor "
			    "\"redirect=\": unlisted hosts get the default "
			    "neutral; end it with ~all or -all", subj);
	}
	/* total counts the via term once, then every term below. */
	n->total = (root ? 0 : 1) + n->cost - (unsigned)nkids + sum;
	sk_spf_record_free(rec);
}

/* ------------------------------------------------------------- results */

static void
finish(struct walk *w)
{
	struct sk_spf_lint *l = w->l;
	unsigned total = l->root != NULL ? l->root->total : 0;

	l->lookups = total;
	if (total >= SK_SPF_MAX_DNS_TERMS - 1 &&
	    total <= SK_SPF_MAX_DNS_TERMS)
		add_finding(w, SK_SEV_WARNING, "spf-lookups-high", w->dom[0],
			    SK_NO_OFFSET, REF_4_6_4,
			    "%u of %d DNS-querying terms used: little room "
			    "left; adding include:mktomail.com would need at "
			    "least 1 more and any provider's include can "
			    "grow without notice", total,
			    SK_SPF_MAX_DNS_TERMS);
	if (w->voids > SK_SPF_MAX_VOID)
		add_finding(w, SK_SEV_ERROR, "spf-void-lookups", w->dom[0],
			    SK_NO_OFFSET, REF_4_6_4,
			    "%u DNS-querying terms answer NXDOMAIN or no "
			    "data, more than %d: receivers return permerror",
			    w->voids, SK_SPF_MAX_VOID);
	else if (w->voids > 0)
		add_finding(w, SK_SEV_WARNING, "spf-void-lookups", w->dom[0],
			    SK_NO_OFFSET, REF_4_6_4,
			    "%u DNS-querying term%s answer%s NXDOMAIN or no "
			    "data (limit %d): remove dead targets",
			    w->voids, w->voids == 1 ? "" : "s",
			    w->voids == 1 ? "s" : "", SK_SPF_MAX_VOID);
	sk__findings_sort(l->f);
}

static sk_status
lint_new(struct walk *w, struct sk_resolver *r, const char *domain,
	 struct sk_spf_lint **out, struct sk_err *err)
{
	memset(w, 0, sizeof(*w));
	*out = NULL;
	w->r = r;
	w->l = sk__calloc(1, sizeof(*w->l));
	if (w->l == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	w->l->f = sk__findings_new();
	w->l->root = sk__calloc(1, sizeof(*w->l->root));
	if (w->l->root == NULL || w->l->f == NULL) {
		sk_findings_free(w->l->f);
		sk__free(w->l->root);
		sk__free(w->l);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	w->l->root->via = sk__strdup("");
	w->l->root->domain = sk__strdup(domain);
	if (w->l->root->via == NULL || w->l->root->domain == NULL) {
		sk_spf_lint_free(w->l);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	w->dom[0] = w->l->root->domain;
	w->via[0] = "";
	w->nodes = 1;
	return SK_OK;
}

static sk_status
lint_end(struct walk *w, struct sk_spf_lint **out, struct sk_err *err)
{
	if (w->st == SK_OK)
		finish(w);
	if (w->st != SK_OK) {
		sk_spf_lint_free(w->l);
		return sk__err(err, w->st, "out of memory");
	}
	*out = w->l;
	return SK_OK;
}

SK_API sk_status
sk_spf_lint_domain(struct sk_resolver *r, const char *domain,
		   struct sk_spf_lint **out, struct sk_err *err)
{
	struct sk_spf_node *root;
	struct walk w;
	sk_status st;
	size_t dl;

	if (out == NULL || r == NULL || domain == NULL)
		return sk__err(err, SK_EINVAL, "resolver and domain needed");
	*out = NULL;
	dl = strlen(domain);
	while (dl > 1 && domain[dl - 1] == '.')
		dl--;
	if (!sk__spf_valid_domain(domain, dl))
		return sk__err(err, SK_EINVAL, "not a valid domain name: %s",
			       domain);
	st = lint_new(&w, r, domain, out, err);
	if (st != SK_OK)
		return st;
	root = w.l->root;
	((char *)root->domain)[dl] = '\0';
	fetch(&w, root, true, "");
	if (root->status == SK_SPF_NODE_NONE)
		add_finding(&w, SK_SEV_ERROR, "spf-none", domain,
			    SK_NO_OFFSET, REF_4_5, "%s publishes no SPF "
			    "record: receivers get \"none\" and anyone can "
			    "send as it", root->domain);
	if (root->status == SK_SPF_NODE_OK)
		visit(&w, root, true);
	return lint_end(&w, out, err);
}

SK_API sk_status
sk_spf_lint_record(struct sk_resolver *r, const char *record, size_t len,
		   const char *domain, struct sk_spf_lint **out,
		   struct sk_err *err)
{
	struct sk_spf_node *root;
	struct walk w;
	sk_status st;

	if (out == NULL || record == NULL)
		return sk__err(err, SK_EINVAL, "record needed");
	*out = NULL;
	if (len > SK_SPF_MAX_RECORD)
		return sk__err(err, SK_ETOOBIG, "record over %d bytes",
			       SK_SPF_MAX_RECORD);
	st = lint_new(&w, r, domain != NULL ? domain : "record", out, err);
	if (st != SK_OK)
		return st;
	root = w.l->root;
	root->record = sk__strndup(record, len);
	if (root->record == NULL) {
		sk_spf_lint_free(w.l);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	if (strlen(root->record) != len)
		add_finding(&w, SK_SEV_ERROR, "spf-syntax", root->domain,
			    strlen(root->record), REF_4_6,
			    "the record contains a NUL byte");
	if (len > SK_DNS_MAX_TXT_STRING)
		add_finding(&w, SK_SEV_ERROR, "spf-string-too-long",
			    root->domain, SK_NO_OFFSET, "RFC 7208 section 3.3",
			    "the record has %zu bytes, more than the 255 one "
			    "TXT string holds: publish it as several quoted "
			    "strings in one TXT record (\"v=spf1 ...\" "
			    "\"...\"), which receivers join without spaces",
			    len);
	if (r == NULL)
		add_finding(&w, SK_SEV_INFO, "spf-dns-skipped", root->domain,
			    SK_NO_OFFSET, "", "DNS checks skipped: includes, "
			    "void lookups and nested records were not "
			    "examined");
	w.nodomain = domain == NULL;
	visit(&w, root, true);
	return lint_end(&w, out, err);
}

SK_API void
sk_spf_lint_free(struct sk_spf_lint *l)
{
	if (l == NULL)
		return;
	sk_findings_free(l->f);
	if (l->root != NULL) {
		node_free(l->root);
		sk__free(l->root);
	}
	sk__free(l);
}

SK_API size_t
sk_spf_lint_nfindings(const struct sk_spf_lint *l)
{
	return l != NULL ? sk_findings_count(l->f) : 0;
}

SK_API const struct sk_finding *
sk_spf_lint_finding(const struct sk_spf_lint *l, size_t i)
{
	return l != NULL ? sk_findings_get(l->f, i) : NULL;
}

SK_API int
sk_spf_lint_max_severity(const struct sk_spf_lint *l)
{
	return l != NULL ? sk_findings_max_severity(l->f) : -1;
}

SK_API const struct sk_findings *
sk_spf_lint_findings(const struct sk_spf_lint *l)
{
	return l != NULL ? l->f : NULL;
}

SK_API const struct sk_spf_node *
sk_spf_lint_tree(const struct sk_spf_lint *l)
{
	if (l == NULL || l->root == NULL)
		return NULL;
	return l->root;
}

SK_API unsigned
sk_spf_lint_lookups(const struct sk_spf_lint *l)
{
	return l != NULL ? l->lookups : 0;
}
