/*
 * lib/spf/eval.c - check_host(), RFC 7208 sections 4 (4.3 initial
 * processing, 4.4 record lookup, 4.5 selection, 4.6 evaluation, 4.6.4
 * processing limits, 4.7 default result, 4.8 domain-spec), 5 (mechanisms;
 * 5.2 include result table, 5.5 ptr validation), 6 (redirect, exp) and
 * 7.3 (%{p}).
 *
 * Design (docs/internals/spf.md): an evaluation is a restartable pure
 * function over a per-evaluation memo of DNS answers.  step() walks
 * check_host from the top using only answers already in the memo; when it
 * needs answers it does not have it asks for them all (sk_dns_query) and
 * returns PENDING; when the last outstanding answer arrives, step() runs
 * again from the top.  Counters are recomputed on each pass, so the
 * outcome does not depend on the order answers arrive in.
 */
#include <stdio.h>
#include <string.h>
#include <time.h>
#include "spf_internal.h"
#include "dns/dns_internal.h"

#define PENDING 100     /* check_host: answers missing, questions asked */
#define MAX_DEPTH 64    /* include/redirect nesting, whatever the limits */
#define PROBLEM_MAX 512
#define PATH_MAX_LEN 1024 /* match path text, truncated beyond */
#define NAMEBUF (SK_SPF_MAX_EXPLANATION + 1)

static const char default_exp_text[] =
	"%{d} does not designate %{c} as permitted sender";

struct eval;

/* One memoized question; allocated one by one so that the pointer given
 * to sk_dns_query stays valid. */
struct qent {
	struct eval *ev;
	char *name; /* lower case, no trailing dot */
	uint16_t type;
	bool done;
	const struct sk_dns_answer *ans; /* referenced */
};

/* One memoized record selection + parse, per domain. */
struct rent {
	char *domain;
	struct sk_spf_record *rec; /* NULL on error */
	enum sk_spf_result result; /* when rec is NULL: none or permerror */
	char *problem;
};

struct eval {
	struct sk_resolver *r;
	unsigned max_terms, max_void;
	char *default_exp;
	bool no_exp;
	bool sync;

	struct sk__spf_ip ip;
	char ipstr[64];
	char *sender, *domain, *helo, *receiver;
	enum sk_spf_identity identity;
	time_t now;

	sk_spf_cb cb;
	void *cbarg;

	struct qent **q;
	size_t nq, aq;
	struct rent *recs;
	size_t nrecs, arecs;
	size_t outstanding;
	int immediate; /* a result known at once, delivered deferred */
	struct sk__dns_hook hook; /* freed with the resolver if pending */
	sk_status failed; /* error met while questions were out */
	bool silent;      /* start() failed: free without callback */

	/* Per pass. */
	unsigned lookups, voids;
	const char *mech;
	size_t mech_len;
	char mech_domain[SK_DNS_MAX_NAME + 1];
	char path[PATH_MAX_LEN]; /* "d1: include:d2 > d2: ip4:..." */
	char *expl;
	char problem[PROBLEM_MAX];
	bool have_problem;
};

static void ev_free(struct eval *ev);
static void ev_run(struct eval *ev);
static void finish(struct eval *ev, int rc);

/* ------------------------------------------------------------ helpers */

static void SK_PRINTF(2, 3)
set_problem(struct eval *ev, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(ev->problem, sizeof(ev->problem), fmt, ap);
	va_end(ap);
	ev->have_problem = true;
}

static void
lower_copy(char *dst, const char *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		dst[i] = sk__lower(src[i]);
	dst[n] = '\0';
}

static void
on_answer(void *arg, const struct sk_dns_answer *ans)
{
	struct qent *q = arg;
	struct eval *ev = q->ev;

	q->ans = sk_dns_answer_ref(ans);
	q->done = true;
	ev->outstanding--;
	if (ev->outstanding > 0)
		return;
	if (ev->silent)
		ev_free(ev);
	else if (ev->failed != SK_OK)
		finish(ev, ev->failed);
	else
		ev_run(ev);
}

/*
 * The answer to (name, type): 0 with *out set (NULL for a name that
 * cannot be asked, treated as NXDOMAIN by callers), PENDING after asking,
 * or a negative status.
 */
static int
need(struct eval *ev, const char *name, uint16_t type,
     const struct sk_dns_answer **out)
{
	char key[SK_DNS_MAX_NAME + 2];
	size_t n = strlen(name);
	struct qent *q;
	sk_status st;

	*out = NULL;
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n > SK_DNS_MAX_NAME)
		return 0;
	lower_copy(key, name, n);
	for (size_t i = 0; i < ev->nq; i++) {
		q = ev->q[i];
		if (q->type == type && strcmp(q->name, key) == 0) {
			if (!q->done)
				return PENDING;
			*out = q->ans;
			return 0;
		}
	}
	if (n == 0)
		return 0;
	if (ev->nq == ev->aq) {
		struct qent **nqv = sk__grow(ev->q, &ev->aq, sizeof(*nqv), 16);

		if (nqv == NULL)
			return SK_ENOMEM;
		ev->q = nqv;
	}
	q = sk__calloc(1, sizeof(*q));
	if (q == NULL)
		return SK_ENOMEM;
	q->name = sk__strdup(key);
	if (q->name == NULL) {
		sk__free(q);
		return SK_ENOMEM;
	}
	q->ev = ev;
	q->type = type;
	st = sk_dns_query(ev->r, key, type, on_answer, q);
	if (st == SK_EINVAL) {
		/* No server can be asked about this name. */
		q->done = true;
	} else if (st != SK_OK) {
		sk__free(q->name);
		sk__free(q);
		return st;
	} else {
		ev->outstanding++;
	}
	ev->q[ev->nq++] = q;
	return q->done ? 0 : PENDING;
}

static enum sk_dns_status
ans_status(const struct sk_dns_answer *a)
{
	return a != NULL ? a->status : SK_DNS_NXDOMAIN;
}

/* Count a void answer (4.6.4); false when that passes the limit. */
static bool
count_void(struct eval *ev, const struct sk_dns_answer *a)
{
	enum sk_dns_status s = ans_status(a);

	if (s != SK_DNS_NXDOMAIN && s != SK_DNS_NODATA)
		return true;
	ev->voids++;
	if (ev->voids > ev->max_void) {
		set_problem(ev, "more than %u void DNS lookups (RFC 7208 "
			    "section 4.6.4)", ev->max_void);
		return false;
	}
	return true;
}

static int
temperror(struct eval *ev, const struct sk_dns_answer *a, const char *name,
	  uint16_t type)
{
	set_problem(ev, "DNS %s looking up %s %s",
		    a != NULL && a->why != NULL && a->why[0] ? a->why
							     : "failure",
		    sk_dns_type_str(type), name);
	return SK_SPF_TEMPERROR;
}

static bool
ip_in(const struct eval *ev, const uint8_t *addr, int family, int cidr)
{
	unsigned bits = family == 4 ? 32 : 128;

	if (family != ev->ip.family)
		return false;
	if (cidr >= 0)
		bits = (unsigned)cidr;
	return sk__spf_prefix_eq(ev->ip.b, addr, bits);
}

/* True when an A/AAAA answer holds an address within cidr of the
 * client. */
static bool
answer_matches(const struct eval *ev, const struct sk_dns_answer *a,
	       const struct sk_spf_term *t)
{
	if (a == NULL || a->status != SK_DNS_ANSWER)
		return false;
	for (size_t i = 0; i < a->count; i++) {
		const struct sk_dns_rr *rr = &a->rr[i];

		if (rr->type == SK_DNS_A &&
		    ip_in(ev, rr->u.a, 4, t != NULL ? t->cidr4 : -1))
			return true;
		if (rr->type == SK_DNS_AAAA &&
		    ip_in(ev, rr->u.aaaa, 6, t != NULL ? t->cidr6 : -1))
			return true;
	}
	return false;
}

static uint16_t
addr_type(const struct eval *ev)
{
	return ev->ip.family == 4 ? SK_DNS_A : SK_DNS_AAAA;
}

static void
reverse_name(const struct eval *ev, char *out, size_t outsz)
{
	static const char hex[] = "0123456789abcdef";
	size_t o = 0;

	if (ev->ip.family == 4) {
		snprintf(out, outsz, "%u.%u.%u.%u.in-addr.arpa", ev->ip.b[3],
			 ev->ip.b[2], ev->ip.b[1], ev->ip.b[0]);
		return;
	}
	for (int i = 15; i >= 0 && o + 4 < outsz; i--) {
		out[o++] = hex[ev->ip.b[i] & 15];
		out[o++] = '.';
		out[o++] = hex[ev->ip.b[i] >> 4];
		out[o++] = '.';
	}
	snprintf(out + o, outsz - o, "ip6.arpa");
}

/* name equals target or is a subdomain of it (case-insensitive). */
static bool
name_under(const char *name, const char *target)
{
	size_t n = strlen(name), t = strlen(target);

	if (n > 0 && name[n - 1] == '.')
		n--;
	if (t > 0 && target[t - 1] == '.')
		t--;
	if (t == 0 || n < t)
		return false;
	if (!sk__eq_nocase(name + n - t, t, target, t))
		return false;
	return n == t || name[n - t - 1] == '.';
}

/*
 * Validated names of the client (section 5.5): PTR names (at most
 * SK_SPF_MAX_PTR_NAMES) whose A/AAAA records hold the client address.
 * With `target`, *match says whether one is the target or under it; with
 * `pbuf`, the %{p} value of section 7.3 is written there.
 */
static int
validated_names(struct eval *ev, const char *target, const char *domain,
		bool count_voids, bool *match, char *pbuf, size_t pbufsz)
{
	char rev[80];
	const struct sk_dns_answer *pa, *aa;
	size_t n = 0;
	bool pending = false;
	int rc;
	const char *best = NULL;
	int bestrank = 0;

	if (match != NULL)
		*match = false;
	if (pbuf != NULL)
		snprintf(pbuf, pbufsz, "unknown");
	reverse_name(ev, rev, sizeof(rev));
	rc = need(ev, rev, SK_DNS_PTR, &pa);
	if (rc != 0)
		return rc;
	if (count_voids && !count_void(ev, pa))
		return SK_SPF_PERMERROR + 1000;
	if (ans_status(pa) != SK_DNS_ANSWER)
		return 0; /* 5.5: a DNS error fails to match */
	for (size_t i = 0; i < pa->count && n < SK_SPF_MAX_PTR_NAMES; i++) {
		if (pa->rr[i].type != SK_DNS_PTR)
			continue;
		n++;
		rc = need(ev, pa->rr[i].u.target, addr_type(ev), &aa);
		if (rc < 0)
			return rc;
		if (rc == PENDING)
			pending = true;
	}
	if (pending)
		return PENDING;
	n = 0;
	for (size_t i = 0; i < pa->count && n < SK_SPF_MAX_PTR_NAMES; i++) {
		const char *nm = pa->rr[i].u.target;
		int rank;

		if (pa->rr[i].type != SK_DNS_PTR)
			continue;
		n++;
		rc = need(ev, nm, addr_type(ev), &aa);
		if (rc != 0)
			return rc < 0 ? rc : PENDING;
		/* 5.5: a DNS error skips the name. */
		if (!answer_matches(ev, aa, NULL))
			continue;
		if (target != NULL && name_under(nm, target)) {
			*match = true;
			return 0;
		}
		rank = sk__eq_nocase_z(nm, strlen(nm), domain) ? 3
		       : name_under(nm, domain)              ? 2
							     : 1;
		if (rank > bestrank) {
			best = nm;
			bestrank = rank;
		}
	}
	if (pbuf != NULL && best != NULL) {
		size_t bl = strlen(best);

		if (bl > 0 && best[bl - 1] == '.')
			bl--;
		snprintf(pbuf, pbufsz, "%.*s", (int)bl, best);
	}
	return 0;
}

/*
 * Expand a macro-string for the current domain into buf (NAMEBUF bytes).
 * Returns 0, PENDING (for %{p}), SK_SPF_PERMERROR + 1000 on a macro error,
 * or a negative status.
 */
static int
expand(struct eval *ev, const char *spec, size_t len, const char *domain,
       bool exp, char *buf, size_t *blen)
{
	struct sk__spf_macro_info inf;
	struct sk_spf_macro_vars v;
	char pbuf[SK_DNS_MAX_NAME + 1];
	struct sk_err e;
	sk_status st;
	int rc;

	st = sk__spf_macro_scan(spec, len, exp, &inf, &e);
	if (st != SK_OK) {
		set_problem(ev, "invalid macro in '%.*s': %s",
			    (int)(len > 100 ? 100 : len), spec, e.msg);
		return SK_SPF_PERMERROR + 1000;
	}
	memset(&v, 0, sizeof(v));
	v.sender = ev->sender;
	v.domain = domain;
	v.ip = ev->ipstr;
	v.helo = ev->helo;
	v.receiver = ev->receiver[0] ? ev->receiver : NULL;
	v.now = ev->now;
	if (inf.letters & SK__SPF_LETTER('p')) {
		rc = validated_names(ev, NULL, domain, false, NULL, pbuf,
				     sizeof(pbuf));
		if (rc != 0)
			return rc;
		v.validated = pbuf;
	}
	st = sk_spf_macro_expand(spec, len, &v, exp, buf, NAMEBUF, blen, &e);
	if (st == SK_ENOMEM)
		return st;
	if (st != SK_OK) {
		set_problem(ev, "cannot expand '%.*s': %s",
			    (int)(len > 100 ? 100 : len), spec, e.msg);
		return SK_SPF_PERMERROR + 1000;
	}
	return 0;
}

/* Expand a term's target (4.8: truncated to 253 characters). */
static int
target(struct eval *ev, const struct sk_spf_term *t, const char *domain,
       char *buf)
{
	size_t n;
	int rc;

	if (t->domain_spec == NULL) {
		snprintf(buf, NAMEBUF, "%s", domain);
		return 0;
	}
	rc = expand(ev, t->domain_spec, t->domain_spec_len, domain, false, buf,
		    &n);
	if (rc != 0)
		return rc;
	sk__spf_truncate_domain(buf, &n);
	return 0;
}

/* --------------------------------------------------------- records */

static int
get_record(struct eval *ev, const char *domain, struct rent **out)
{
	const struct sk_dns_answer *a;
	const char *txt = NULL;
	size_t txtlen = 0, nspf = 0;
	struct rent *re;
	struct sk_err e;
	char key[SK_DNS_MAX_NAME + 2];
	size_t dl = strlen(domain);
	sk_status st;
	int rc;

	if (dl > 0 && domain[dl - 1] == '.')
		dl--;
	lower_copy(key, domain, dl);
	for (size_t i = 0; i < ev->nrecs; i++) {
		if (strcmp(ev->recs[i].domain, key) == 0) {
			*out = &ev->recs[i];
			return 0;
		}
	}
	rc = need(ev, key, SK_DNS_TXT, &a);
	if (rc != 0)
		return rc;
	if (ans_status(a) == SK_DNS_TEMPFAIL)
		return temperror(ev, a, domain, SK_DNS_TXT);
	if (ev->nrecs == ev->arecs) {
		struct rent *nr = sk__grow(ev->recs, &ev->arecs, sizeof(*nr),
					   8);

		if (nr == NULL)
			return SK_ENOMEM;
		ev->recs = nr;
	}
	re = &ev->recs[ev->nrecs];
	memset(re, 0, sizeof(*re));
	re->domain = sk__strdup(key);
	if (re->domain == NULL)
		return SK_ENOMEM;
	if (ans_status(a) == SK_DNS_ANSWER) {
		for (size_t i = 0; i < a->count; i++) {
			const struct sk_dns_rr *rr = &a->rr[i];

			if (rr->type != SK_DNS_TXT ||
			    !sk_spf_is_record(rr->u.txt.text, rr->u.txt.len))
				continue;
			nspf++;
			txt = rr->u.txt.text;
			txtlen = rr->u.txt.len;
		}
	}
	if (nspf == 0) {
		char msg[PROBLEM_MAX + SK_DNS_MAX_NAME];

		snprintf(msg, sizeof(msg), "no SPF record at %s%s", key,
			 ans_status(a) == SK_DNS_NXDOMAIN
				 ? " (the domain does not exist)"
				 : "");
		re->result = SK_SPF_NONE;
		re->problem = sk__strdup(msg);
	} else if (nspf > 1) {
		char msg[PROBLEM_MAX + SK_DNS_MAX_NAME];

		snprintf(msg, sizeof(msg), "%zu SPF records at %s (RFC 7208 "
			 "section 4.5)", nspf, key);
		re->result = SK_SPF_PERMERROR;
		re->problem = sk__strdup(msg);
	} else {
		st = sk_spf_parse(txt, txtlen, &re->rec, &e);
		if (st == SK_ENOMEM) {
			sk__free(re->domain);
			return st;
		}
		if (st != SK_OK) {
			char msg[PROBLEM_MAX + SK_DNS_MAX_NAME];

			snprintf(msg, sizeof(msg), "SPF record at %s: %s",
				 key, e.msg);
			re->result = SK_SPF_PERMERROR;
			re->problem = sk__strdup(msg);
		}
	}
	if (re->rec == NULL && re->problem == NULL) {
		sk__free(re->domain);
		return SK_ENOMEM;
	}
	ev->nrecs++;
	*out = re;
	return 0;
}

/* ------------------------------------------------------- check_host */

static int check_host(struct eval *ev, const char *domain, unsigned depth,
		      bool in_include);

static enum sk_spf_result
qual_result(char q)
{
	switch (q) {
	case '-':
		return SK_SPF_FAIL;
	case '~':
		return SK_SPF_SOFTFAIL;
	case '?':
		return SK_SPF_NEUTRAL;
	default:
		return SK_SPF_PASS;
	}
}

static bool
count_lookup(struct eval *ev)
{
	ev->lookups++;
	if (ev->lookups > ev->max_terms) {
		set_problem(ev, "more than %u DNS-querying terms (RFC 7208 "
			    "section 4.6.4)", ev->max_terms);
		return false;
	}
	return true;
}

/* Forget a match made inside an include that did not match itself. */
static void
clear_match(struct eval *ev)
{
	ev->mech = NULL;
	ev->mech_len = 0;
	ev->mech_domain[0] = '\0';
	ev->path[0] = '\0';
}

/* Put "domain: term" in front of the match path (built inside out). */
static void
path_prepend(struct eval *ev, const char *domain, const char *term,
	     size_t tlen)
{
	char tmp[PATH_MAX_LEN];
	size_t n, rest = strlen(ev->path);
	int w;

	w = snprintf(tmp, sizeof(tmp), "%s: %.*s%s", domain,
		     (int)(tlen > 300 ? 300 : tlen), term,
		     rest > 0 ? " > " : "");
	n = w < 0 ? 0 : (size_t)w;
	if (n >= sizeof(tmp))
		n = sizeof(tmp) - 1;
	if (rest > sizeof(tmp) - 1 - n)
		rest = sizeof(tmp) - 1 - n; /* truncated at the end */
	memcpy(tmp + n, ev->path, rest);
	tmp[n + rest] = '\0';
	memcpy(ev->path, tmp, n + rest + 1);
}

/* Map the internal "permerror already explained" code. */
#define PERM (SK_SPF_PERMERROR + 1000)

/*
 * Evaluate one mechanism: 1 match, 0 no match, PENDING, PERM, a result
 * (temperror/permerror, as SK_SPF_x + 2000), or a negative status.
 */
#define RES(x) ((x) + 2000)

static int
mechanism(struct eval *ev, const struct sk_spf_term *t, const char *domain,
	  unsigned depth, bool in_include)
{
	char buf[NAMEBUF];
	const struct sk_dns_answer *a;
	int rc;

	switch (t->kind) {
	case SK_SPF_ALL:
		return 1;
	case SK_SPF_IP4:
		return ip_in(ev, t->addr, 4, t->cidr4);
	case SK_SPF_IP6:
		return ip_in(ev, t->addr, 6, t->cidr6);
	default:
		break;
	}
	if (!count_lookup(ev))
		return PERM;
	if (t->kind == SK_SPF_PTR) {
		bool m;

		rc = target(ev, t, domain, buf);
		if (rc != 0)
			return rc;
		rc = validated_names(ev, buf, domain, true, &m, NULL, 0);
		if (rc != 0)
			return rc;
		return m;
	}
	rc = target(ev, t, domain, buf);
	if (rc != 0)
		return rc;
	if (t->kind == SK_SPF_INCLUDE) {
		rc = check_host(ev, buf, depth + 1, true);
		if (rc == PENDING || rc < 0)
			return rc;
		/* Section 5.2 table. */
		switch (rc) {
		case SK_SPF_PASS:
			return 1;
		case SK_SPF_FAIL:
		case SK_SPF_SOFTFAIL:
		case SK_SPF_NEUTRAL:
			/* The inner match decided nothing out here. */
			clear_match(ev);
			return 0;
		case SK_SPF_TEMPERROR:
			return RES(SK_SPF_TEMPERROR);
		case SK_SPF_NONE:
			set_problem(ev, "include:%s has no SPF record (RFC "
				    "7208 section 5.2)", buf);
			return PERM;
		default:
			return PERM;
		}
	}
	if (t->kind == SK_SPF_EXISTS) {
		/* Section 5.7: an A query whatever the client family. */
		rc = need(ev, buf, SK_DNS_A, &a);
		if (rc != 0)
			return rc;
		if (ans_status(a) == SK_DNS_TEMPFAIL) {
			temperror(ev, a, buf, SK_DNS_A);
			return RES(SK_SPF_TEMPERROR);
		}
		if (!count_void(ev, a))
			return PERM;
		return ans_status(a) == SK_DNS_ANSWER;
	}
	if (t->kind == SK_SPF_A) {
		rc = need(ev, buf, addr_type(ev), &a);
		if (rc != 0)
			return rc;
		if (ans_status(a) == SK_DNS_TEMPFAIL) {
			temperror(ev, a, buf, addr_type(ev));
			return RES(SK_SPF_TEMPERROR);
		}
		if (!count_void(ev, a))
			return PERM;
		return answer_matches(ev, a, t);
	}
	/* mx (section 5.4) */
	rc = need(ev, buf, SK_DNS_MX, &a);
	if (rc != 0)
		return rc;
	if (ans_status(a) == SK_DNS_TEMPFAIL) {
		temperror(ev, a, buf, SK_DNS_MX);
		return RES(SK_SPF_TEMPERROR);
	}
	if (!count_void(ev, a))
		return PERM;
	if (ans_status(a) != SK_DNS_ANSWER)
		return 0;
	{
		const struct sk_dns_answer *mx = a, *aa;
		size_t nmx = 0;
		bool pending = false;

		for (size_t i = 0; i < mx->count; i++)
			if (mx->rr[i].type == SK_DNS_MX)
				nmx++;
		if (nmx > SK_SPF_MAX_MX_NAMES) {
			set_problem(ev, "mx:%s has %zu MX records, more than "
				    "%d (RFC 7208 section 4.6.4)", buf, nmx,
				    SK_SPF_MAX_MX_NAMES);
			return PERM;
		}
		for (size_t i = 0; i < mx->count; i++) {
			const char *x = mx->rr[i].u.mx.exchange;

			if (mx->rr[i].type != SK_DNS_MX || x[0] == '\0')
				continue;
			rc = need(ev, x, addr_type(ev), &aa);
			if (rc < 0)
				return rc;
			if (rc == PENDING)
				pending = true;
		}
		if (pending)
			return PENDING;
		for (size_t i = 0; i < mx->count; i++) {
			const char *x = mx->rr[i].u.mx.exchange;

			if (mx->rr[i].type != SK_DNS_MX || x[0] == '\0')
				continue;
			rc = need(ev, x, addr_type(ev), &aa);
			if (rc != 0)
				return rc < 0 ? rc : PENDING;
			if (ans_status(aa) == SK_DNS_TEMPFAIL) {
				temperror(ev, aa, x, addr_type(ev));
				return RES(SK_SPF_TEMPERROR);
			}
			if (!count_void(ev, aa))
				return PERM;
			if (answer_matches(ev, aa, t))
				return 1;
		}
	}
	return 0;
}

/* True when every byte is printable ASCII (section 6.2 explanation). */
static bool
printable(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || (unsigned char)s[i] > 0x7e)
			return false;
	return true;
}

/* Set ev->expl (section 6.2); failures fall back to the default. */
static int
explain(struct eval *ev, const struct sk_spf_record *rec, const char *domain)
{
	char buf[NAMEBUF];
	char saved[PROBLEM_MAX];
	bool had = ev->have_problem;
	size_t n;
	int rc;
	const struct sk_dns_answer *a;

	memcpy(saved, ev->problem, sizeof(saved));
	sk__free(ev->expl);
	ev->expl = NULL;
	if (rec->exp != NULL && !ev->no_exp) {
		rc = expand(ev, rec->exp->domain_spec,
			    rec->exp->domain_spec_len, domain, false, buf, &n);
		if (rc < 0 || rc == PENDING)
			return rc;
		if (rc == 0) {
			sk__spf_truncate_domain(buf, &n);
			rc = need(ev, buf, SK_DNS_TXT, &a);
			if (rc != 0)
				return rc;
			const struct sk_dns_rr *rr =
				a != NULL && a->count == 1 ? &a->rr[0] : NULL;

			if (ans_status(a) == SK_DNS_ANSWER && rr != NULL &&
			    rr->type == SK_DNS_TXT &&
			    printable(rr->u.txt.text, rr->u.txt.len)) {
				rc = expand(ev, rr->u.txt.text, rr->u.txt.len,
					    domain, true, buf, &n);
				if (rc < 0 || rc == PENDING)
					return rc;
				if (rc == 0) {
					ev->expl = sk__strndup(buf, n);
					return ev->expl ? 0 : SK_ENOMEM;
				}
			}
		}
		/* Ignored exp= problems do not become the outcome's. */
		memcpy(ev->problem, saved, sizeof(saved));
		ev->have_problem = had;
	}
	rc = expand(ev, ev->default_exp, strlen(ev->default_exp), domain, true,
		    buf, &n);
	if (rc < 0 || rc == PENDING)
		return rc;
	memcpy(ev->problem, saved, sizeof(saved));
	ev->have_problem = had;
	ev->expl = rc == 0 ? sk__strndup(buf, n) : sk__strdup("SPF fail");
	return ev->expl ? 0 : SK_ENOMEM;
}

static int
check_host(struct eval *ev, const char *domain, unsigned depth,
	   bool in_include)
{
	struct rent *re;
	const struct sk_spf_record *rec;
	char buf[NAMEBUF];
	int rc;

	/* Section 4.3: a malformed or single-label name gives none. */
	if (!sk__spf_valid_domain(domain, strlen(domain))) {
		set_problem(ev, "'%.*s' is not a valid domain name (RFC 7208 "
			    "section 4.3)", 256, domain);
		return SK_SPF_NONE;
	}
	if (depth > MAX_DEPTH) {
		set_problem(ev, "include/redirect nesting deeper than %d",
			    MAX_DEPTH);
		return SK_SPF_PERMERROR;
	}
	rc = get_record(ev, domain, &re);
	if (rc != 0)
		return rc;
	if (re->rec == NULL) {
		set_problem(ev, "%s", re->problem);
		return (int)re->result;
	}
	rec = re->rec;
	for (size_t i = 0; i < rec->nterms; i++) {
		const struct sk_spf_term *t = &rec->terms[i];

		if (t->kind == SK_SPF_REDIRECT || t->kind == SK_SPF_EXP ||
		    t->kind == SK_SPF_UNKNOWN_MODIFIER)
			continue;
		rc = mechanism(ev, t, domain, depth, in_include);
		if (rc < 0 || rc == PENDING)
			return rc;
		if (rc == PERM)
			return SK_SPF_PERMERROR;
		if (rc >= 2000)
			return rc - 2000;
		if (rc == 1) {
			enum sk_spf_result res = qual_result(t->qualifier);

			ev->mech = t->text;
			ev->mech_len = t->text_len;
			snprintf(ev->mech_domain, sizeof(ev->mech_domain),
				 "%s", domain);
			path_prepend(ev, domain, t->text, t->text_len);
			if (res == SK_SPF_FAIL && !in_include) {
				rc = explain(ev, rec, domain);
				if (rc != 0)
					return rc;
			}
			return (int)res;
		}
	}
	if (rec->redirect != NULL) {
		/* Section 6.1. */
		if (!count_lookup(ev))
			return SK_SPF_PERMERROR;
		rc = target(ev, rec->redirect, domain, buf);
		if (rc == PERM)
			return SK_SPF_PERMERROR;
		if (rc != 0)
			return rc;
		rc = check_host(ev, buf, depth + 1, in_include);
		if (rc == SK_SPF_NONE) {
			set_problem(ev, "redirect=%s: no SPF record there (RFC "
				    "7208 section 6.1)", buf);
			return SK_SPF_PERMERROR;
		}
		if (rc >= 0 && rc != PENDING && ev->path[0] != '\0')
			path_prepend(ev, domain, rec->redirect->text,
				     rec->redirect->text_len);
		return rc;
	}
	/* Section 4.7: no match, no redirect. */
	return SK_SPF_NEUTRAL;
}

/* ------------------------------------------------------ the driver */

static void
ev_free(struct eval *ev)
{
	if (ev == NULL)
		return;
	sk__dns_hook_del(ev->r, &ev->hook);
	for (size_t i = 0; i < ev->nq; i++) {
		sk_dns_answer_unref(ev->q[i]->ans);
		sk__free(ev->q[i]->name);
		sk__free(ev->q[i]);
	}
	sk__free(ev->q);
	for (size_t i = 0; i < ev->nrecs; i++) {
		sk__free(ev->recs[i].domain);
		sk_spf_record_free(ev->recs[i].rec);
		sk__free(ev->recs[i].problem);
	}
	sk__free(ev->recs);
	sk__free(ev->expl);
	sk__free(ev->default_exp);
	sk__free(ev->sender);
	sk__free(ev->domain);
	sk__free(ev->helo);
	sk__free(ev->receiver);
	sk__free(ev);
}

SK_API void
sk_spf_outcome_free(struct sk_spf_outcome *o)
{
	if (o == NULL)
		return;
	sk__free((char *)o->domain);
	sk__free((char *)o->sender);
	sk__free((char *)o->ip);
	sk__free((char *)o->helo);
	sk__free((char *)o->receiver);
	sk__free((char *)o->mechanism);
	sk__free((char *)o->mechanism_domain);
	sk__free((char *)o->match_path);
	sk__free((char *)o->explanation);
	sk__free((char *)o->problem);
	sk__free(o);
}

static struct sk_spf_outcome *
make_outcome(struct eval *ev, int res)
{
	struct sk_spf_outcome *o = sk__calloc(1, sizeof(*o));
	bool fail = false;

	if (o == NULL)
		return NULL;
	o->result = (enum sk_spf_result)res;
	o->identity = ev->identity;
	o->lookups = ev->lookups;
	o->void_lookups = ev->voids;
	o->dns_queries = (unsigned)ev->nq;
	o->domain = sk__strdup(ev->domain);
	o->sender = sk__strdup(ev->sender);
	o->ip = sk__strdup(ev->ipstr);
	o->helo = sk__strdup(ev->helo);
	o->receiver = sk__strdup(ev->receiver);
	fail |= !o->domain || !o->sender || !o->ip || !o->helo || !o->receiver;
	if (ev->mech != NULL && res >= SK_SPF_NEUTRAL &&
	    res <= SK_SPF_SOFTFAIL) {
		o->mechanism = sk__strndup(ev->mech, ev->mech_len);
		o->mechanism_domain = sk__strdup(ev->mech_domain);
		o->match_path = sk__strdup(ev->path);
		fail |= !o->mechanism || !o->mechanism_domain ||
			!o->match_path;
	}
	if (res == SK_SPF_FAIL && ev->expl != NULL) {
		o->explanation = sk__strdup(ev->expl);
		fail |= !o->explanation;
	}
	if (ev->have_problem && (res == SK_SPF_NONE ||
				 res == SK_SPF_PERMERROR ||
				 res == SK_SPF_TEMPERROR)) {
		o->problem = sk__strdup(ev->problem);
		fail |= !o->problem;
	}
	if (fail) {
		sk_spf_outcome_free(o);
		return NULL;
	}
	return o;
}

/* One pass: a result (>= 0), PENDING or a negative status. */
static int
step(struct eval *ev)
{
	ev->lookups = 0;
	ev->voids = 0;
	ev->mech = NULL;
	ev->mech_len = 0;
	ev->mech_domain[0] = '\0';
	ev->path[0] = '\0';
	ev->have_problem = false;
	ev->problem[0] = '\0';
	sk__free(ev->expl);
	ev->expl = NULL;
	return check_host(ev, ev->domain, 0, false);
}

static void
finish(struct eval *ev, int rc)
{
	struct sk_spf_outcome *o = NULL;
	sk_spf_cb cb = ev->cb;
	void *arg = ev->cbarg;

	if (rc >= 0) {
		o = make_outcome(ev, rc);
		if (o == NULL)
			rc = SK_ENOMEM;
	}
	ev_free(ev);
	cb(arg, rc >= 0 ? SK_OK : rc, o);
}

static void
on_deferred(void *arg, const struct sk_dns_answer *ans)
{
	struct eval *ev = arg;

	(void)ans;
	finish(ev, ev->immediate);
}

/* The resolver is freed under a pending evaluation: drop it silently
 * (sk_spf_check_start documents that no callback comes). */
static void
on_resolver_free(struct sk__dns_hook *h)
{
	struct eval *ev = (struct eval *)(void *)((char *)h -
						  offsetof(struct eval, hook));

	ev_free(ev);
}

static void
ev_run(struct eval *ev)
{
	int rc = step(ev);

	if (rc == PENDING && ev->outstanding == 0)
		rc = SK_EINTERNAL;
	if (rc < 0 && ev->outstanding > 0) {
		/* Answers still to come point at ev: wait for them. */
		ev->failed = rc;
		return;
	}
	if (rc == PENDING)
		return;
	finish(ev, rc);
}

static sk_status
ev_new(struct sk_resolver *r, const struct sk_spf_request *req,
       const struct sk_spf_opts *opts, struct eval **out, struct sk_err *err)
{
	struct eval *ev;
	const char *mf = req != NULL ? req->mail_from : NULL;
	const char *helo;
	size_t sl;

	*out = NULL;
	if (r == NULL || req == NULL)
		return sk__err(err, SK_EINVAL, "missing resolver or request");
	if (req->ip == NULL)
		return sk__err(err, SK_EINVAL, "request has no client IP");
	ev = sk__calloc(1, sizeof(*ev));
	if (ev == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	if (!sk__spf_ip_parse(req->ip, &ev->ip)) {
		sk__free(ev);
		return sk__err(err, SK_EINVAL, "invalid client IP address "
			       "'%.64s'", req->ip);
	}
	ev->r = r;
	ev->hook.fn = on_resolver_free;
	sk__dns_hook_add(r, &ev->hook);
	sk__spf_ip_str(&ev->ip, ev->ipstr, sizeof(ev->ipstr));
	ev->max_terms = opts && opts->max_dns_terms ? opts->max_dns_terms
						    : SK_SPF_MAX_DNS_TERMS;
	ev->max_void = opts && opts->max_void ? opts->max_void
					      : SK_SPF_MAX_VOID;
	ev->no_exp = opts != NULL && opts->no_exp;
	ev->default_exp = sk__strdup(opts && opts->default_exp
					     ? opts->default_exp
					     : default_exp_text);
	ev->now = req->now ? req->now : time(NULL);
	helo = req->helo != NULL ? req->helo : "";
	ev->helo = sk__strdup(helo);
	ev->receiver = sk__strdup(req->receiver ? req->receiver : "");
	if (req->identity == SK_SPF_ID_MAILFROM && mf != NULL && mf[0]) {
		const char *at = strrchr(mf, '@');

		ev->identity = SK_SPF_ID_MAILFROM;
		if (at == NULL) {
			ev->domain = sk__strdup(mf);
		} else {
			ev->domain = sk__strdup(at + 1);
			if (at != mf)
				ev->sender = sk__strdup(mf);
		}
	} else {
		ev->identity = SK_SPF_ID_HELO;
		ev->domain = sk__strdup(helo);
	}
	if (ev->sender == NULL && ev->domain != NULL) {
		/* Section 4.3: no local-part gives "postmaster". */
		sl = strlen(ev->domain) + sizeof("postmaster@");
		ev->sender = sk__malloc(sl);
		if (ev->sender != NULL)
			snprintf(ev->sender, sl, "postmaster@%s", ev->domain);
	}
	if (!ev->default_exp || !ev->helo || !ev->receiver || !ev->domain ||
	    !ev->sender) {
		ev_free(ev);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	*out = ev;
	return SK_OK;
}

/* Start; when the result is known at once and `sync`, deliver it here. */
static sk_status
start(struct sk_resolver *r, const struct sk_spf_request *req,
      const struct sk_spf_opts *opts, sk_spf_cb cb, void *arg, bool sync,
      struct sk_err *err)
{
	struct eval *ev;
	sk_status st;
	int rc;

	if (cb == NULL)
		return sk__err(err, SK_EINVAL, "missing callback");
	st = ev_new(r, req, opts, &ev, err);
	if (st != SK_OK)
		return st;
	ev->cb = cb;
	ev->cbarg = arg;
	ev->sync = sync;
	rc = step(ev);
	if (rc == PENDING && ev->outstanding > 0)
		return SK_OK;
	if (rc < 0 || rc == PENDING) {
		if (rc == PENDING)
			rc = SK_EINTERNAL;
		if (ev->outstanding > 0)
			ev->silent = true; /* freed when the answers come */
		else
			ev_free(ev);
		return sk__err(err, rc, "%s", sk_strerror(rc));
	}
	if (sync) {
		finish(ev, rc);
		return SK_OK;
	}
	/* Known without DNS (a malformed domain, section 4.3), but the
	 * callback must come from sk_resolver_run(). */
	ev->immediate = rc;
	st = sk__dns_defer(r, on_deferred, ev);
	if (st != SK_OK) {
		ev_free(ev);
		return sk__err(err, st, "cannot schedule the result");
	}
	return SK_OK;
}

SK_API sk_status
sk_spf_check_start(struct sk_resolver *r, const struct sk_spf_request *req,
		   const struct sk_spf_opts *opts, sk_spf_cb cb, void *arg,
		   struct sk_err *err)
{
	return start(r, req, opts, cb, arg, false, err);
}

struct sync_res {
	bool done;
	sk_status st;
	struct sk_spf_outcome *o;
};

static void
sync_cb(void *arg, sk_status st, struct sk_spf_outcome *o)
{
	struct sync_res *s = arg;

	s->done = true;
	s->st = st;
	s->o = o;
}

SK_API sk_status
sk_spf_check(struct sk_resolver *r, const struct sk_spf_request *req,
	     const struct sk_spf_opts *opts, struct sk_spf_outcome **out,
	     struct sk_err *err)
{
	struct sync_res s = { false, SK_OK, NULL };
	sk_status st;

	if (out == NULL)
		return sk__err(err, SK_EINVAL, "missing output pointer");
	*out = NULL;
	st = start(r, req, opts, sync_cb, &s, true, err);
	if (st != SK_OK)
		return st;
	while (!s.done) {
		int n = sk_resolver_run(r, -1);

		if (n < 0)
			return sk__err(err, n, "resolver failed: %s",
				       sk_strerror(n));
		if (!s.done && n == 0 && sk_resolver_pending(r) == 0)
			return sk__err(err, SK_EINTERNAL,
				       "evaluation stalled");
	}
	if (s.st != SK_OK)
		return sk__err(err, s.st, "%s", sk_strerror(s.st));
	*out = s.o;
	return SK_OK;
}
