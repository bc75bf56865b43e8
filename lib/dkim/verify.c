/*
 * lib/dkim/verify.c - DKIM verification, RFC 6376 section 6: 6.1.1 the
 * signature's tags, 6.1.2 the key (TXT at <s>._domainkey.<d>, section
 * 3.6.2.2) with the key-record rules of 3.6.1, 6.1.3 the body hash and
 * the signature over the header hash (3.7).  RFC 8301 (rsa-sha1 refused,
 * RSA keys below 1024 bits refused), RFC 8463 (ed25519-sha256).
 *
 * Key questions go out from the header callback, while the body is still
 * arriving; each body hash (one per distinct body canonicalization, l=
 * and hash) is fed as the body streams in and nothing of the body is
 * kept.  Each question is a small object that outlives the verifier if
 * need be (the resolver's callback or cleanup hook frees it).
 */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <openssl/evp.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include "sigcanon.h"
#include "dns/dns_internal.h"

#define DEFAULT_SKEW 300

struct keyq {
	struct sk__dns_hook hook;   /* first: the hook is the object */
	struct sk_dkim_verify *v;   /* NULL once the verifier is gone */
	struct keyq *next_free;     /* in v->qfree */
	struct sk_resolver *r;
	size_t idx;                 /* signature, or SIZE_MAX: completion */
};

struct vsig {
	struct sk_dkim_sig_result res;
	struct sk__dkim_sig *sig;
	char detail[SK_ERR_MSG_MAX];
	char b_prefix[9];
	bool decided;               /* result known without the key */
	int body;                   /* index in bodies, -1 none */
	struct keyq *q;             /* question in flight */
	const struct sk_dns_answer *ans;
};

struct sk_dkim_verify {
	struct sk_resolver *r;
	long long now;
	unsigned min_bits;
	bool allow_sha1;
	unsigned long skew;
	struct sk__msg msg;
	struct vsig *sigs;
	size_t nsigs, asigs;
	/* Allocated as signatures need them (most messages have one or
	 * two): a verifier costs no large clearing. */
	struct sk__dkim_body *bodies;
	size_t nbodies, abodies;
	size_t cbodies;             /* bodies holding a digest context */
	bool now_fixed;             /* opts->now given: kept on reset */
	struct sk_buf hbuf;         /* header hash input, kept on reset */
	size_t outstanding;
	bool finishing, computed, body_done;
	struct keyq *deferq;
	/* Kept from earlier messages (sk_dkim_verify_reset): parsed
	 * signatures' blocks and question objects, reused. */
	struct sk__dkim_sig *spare[4];
	size_t nspare;
	struct keyq *qfree;
	sk_dkim_verify_cb cb;
	void *arg;
};

static void SK_PRINTF(4, 5)
decide(struct vsig *s, enum sk_dkim_result r, const char *reason,
       const char *fmt, ...)
{
	va_list ap;

	s->decided = true;
	s->res.result = r;
	s->res.reason = reason;
	va_start(ap, fmt);
	vsnprintf(s->detail, sizeof(s->detail), fmt, ap);
	va_end(ap);
}

/* decide() with a detail that needs no formatting. */
static void
decide_s(struct vsig *s, enum sk_dkim_result r, const char *reason,
	 const char *detail)
{
	size_t n = strlen(detail);

	if (n >= sizeof(s->detail))
		n = sizeof(s->detail) - 1;
	s->decided = true;
	s->res.result = r;
	s->res.reason = reason;
	memcpy(s->detail, detail, n);
	s->detail[n] = '\0';
}

/* ------------------------------------------------------------ questions */

static void
keyq_hook(struct sk__dns_hook *h)
{
	struct keyq *q = (struct keyq *)h;
	struct sk_dkim_verify *v = q->v;

	/* The resolver is being freed: the answer will never come. */
	if (v != NULL) {
		if (q->idx == SIZE_MAX) {
			v->deferq = NULL;
		} else {
			struct vsig *s = &v->sigs[q->idx];

			s->q = NULL;
			if (!s->decided)
				decide(s, SK_DKIM_TEMPERROR, "dns-tempfail",
				       "the resolver was freed before the key "
				       "arrived");
			v->outstanding--;
		}
	}
	sk__free(q);
}

static struct keyq *
keyq_new(struct sk_dkim_verify *v, size_t idx)
{
	struct keyq *q = v->qfree;

	if (q != NULL) {
		v->qfree = q->next_free;
		memset(q, 0, sizeof(*q));
	} else {
		q = sk__calloc(1, sizeof(*q));
		if (q == NULL)
			return NULL;
	}
	q->v = v;
	q->r = v->r;
	q->idx = idx;
	q->hook.fn = keyq_hook;
	return q;
}

static sk_status compute(struct sk_dkim_verify *v);

static void
maybe_done(struct sk_dkim_verify *v)
{
	sk_status st;

	if (!v->finishing || v->outstanding > 0 || v->computed ||
	    v->cb == NULL)
		return;
	st = compute(v);
	v->cb(v->arg, st, v);
}

static void
on_key(void *arg, const struct sk_dns_answer *ans)
{
	struct keyq *q = arg;
	struct sk_dkim_verify *v = q->v;
	size_t idx = q->idx;

	sk__dns_hook_del(q->r, &q->hook);
	if (v == NULL) {
		sk__free(q);
		return;
	}
	/* Kept for the verifier's next question. */
	q->next_free = v->qfree;
	v->qfree = q;
	if (idx == SIZE_MAX) {
		v->deferq = NULL;
	} else {
		struct vsig *s = &v->sigs[idx];

		s->q = NULL;
		s->ans = sk_dns_answer_ref(ans);
		v->outstanding--;
	}
	maybe_done(v);
}

/* ------------------------------------------------------------ header */

static void
set_strings(struct vsig *s)
{
	const struct sk__dkim_sig *g = s->sig;
	size_t n;

	s->res.domain = g->d != NULL ? g->d : "";
	s->res.selector = g->s != NULL ? g->s : "";
	s->res.algorithm = g->a != NULL ? g->a : "";
	s->res.canon = g->canon_str != NULL ? g->canon_str : "";
	s->res.headers = g->h != NULL ? g->h : "";
	s->res.timestamp = g->t;
	s->res.expire = g->x;
	s->res.length = g->l;
	/* i=, or its default "@" d= (3.5), made by the parser */
	s->res.identity = g->auid != NULL ? g->auid : "@";
	/* RFC 6008: header.b is the first 8 characters of b=. */
	n = g->b64 != NULL ? g->b64_len : 0;
	if (n > sizeof(s->b_prefix) - 1)
		n = sizeof(s->b_prefix) - 1;
	if (n > 0)
		memcpy(s->b_prefix, g->b64, n);
	s->b_prefix[n] = '\0';
}

/*
 * The digests, fetched once for the process: an EVP_sha256() or a fetch
 * per verifier costs a method-store lookup under a lock each time
 * (OpenSSL 3 "implicit fetching").  Read-only once set; never freed (the
 * default library context's methods live as long as the process).
 */
static pthread_once_t md_once = PTHREAD_ONCE_INIT;
static EVP_MD *md_sha256, *md_sha1;

static void
md_fetch(void)
{
	md_sha256 = EVP_MD_fetch(NULL, "SHA256", NULL);
	md_sha1 = EVP_MD_fetch(NULL, "SHA1", NULL);
}

/* The digest of a signature's algorithm; NULL when unavailable. */
static const EVP_MD *
sig_md(const struct sk__dkim_sig *g)
{
	if (pthread_once(&md_once, md_fetch) != 0)
		return NULL;
	return g->alg == SK_DKIM_RSA_SHA1 ? md_sha1 : md_sha256;
}

static int
body_for(struct sk_dkim_verify *v, const struct sk__dkim_sig *g,
	 sk_status *st)
{
	const EVP_MD *md = sig_md(g);
	uint64_t limit = g->l >= 0 ? (uint64_t)g->l : SK__DKIM_NO_LIMIT;
	size_t i;

	*st = SK_OK;
	if (md == NULL) {
		*st = SK_ECRYPTO;
		return -1;
	}
	for (i = 0; i < v->nbodies; i++)
		if (v->bodies[i].canon == g->bcanon && v->bodies[i].md == md &&
		    v->bodies[i].limit == limit)
			return (int)i;
	if (v->nbodies == SK_DKIM_MAX_SIGNATURES) {
		*st = SK_EINTERNAL;
		return -1;
	}
	if (v->nbodies == v->abodies) {
		size_t na = v->abodies ? v->abodies * 2 : 1;
		struct sk__dkim_body *nb;

		if (na > SK_DKIM_MAX_SIGNATURES)
			na = SK_DKIM_MAX_SIGNATURES;
		nb = sk__realloc(v->bodies, na * sizeof(*nb));
		if (nb == NULL) {
			*st = SK_ENOMEM;
			return -1;
		}
		v->bodies = nb;
		v->abodies = na;
	}
	/* A body of an earlier message (sk_dkim_verify_reset) keeps its
	 * digest context. */
	if (v->nbodies == v->cbodies) {
		v->bodies[v->nbodies].ctx = NULL;
		v->cbodies++;
	}
	*st = sk__dkim_body_reinit(&v->bodies[v->nbodies], g->bcanon, md,
				   limit);
	if (*st != SK_OK) {
		/* reinit frees the context when it fails */
		v->bodies[v->nbodies].ctx = NULL;
		return -1;
	}
	return (int)v->nbodies++;
}

/* Checks that need the clock and the options but no key (6.1.1). */
static void
precheck(struct sk_dkim_verify *v, struct vsig *s)
{
	const struct sk__dkim_sig *g = s->sig;

	if (g->reason != NULL) {
		decide(s, SK_DKIM_PERMERROR, g->reason, "%s", g->detail);
		return;
	}
	if (g->alg == SK_DKIM_RSA_SHA1 && !v->allow_sha1) {
		decide(s, SK_DKIM_PERMERROR, "sha1-refused",
		       "rsa-sha1 is refused (RFC 8301 section 3.1)");
		return;
	}
	if (g->x >= 0 && g->x < v->now) {
		decide(s, SK_DKIM_PERMERROR, "signature-expired",
		       "the signature expired at x=%lld", g->x);
		return;
	}
	if (g->t >= 0 && g->t > v->now + (long long)v->skew) {
		decide(s, SK_DKIM_PERMERROR, "signature-future",
		       "the signature is dated in the future (t=%lld)", g->t);
		return;
	}
}

static sk_status
add_sig(struct sk_dkim_verify *v, size_t field)
{
	static const char dk[] = "._domainkey.";
	struct vsig *s;
	char name[SK_DNS_MAX_NAME + 1];
	size_t sl, dl;
	sk_status st;

	if (v->nsigs == v->asigs) {
		struct vsig *ns = sk__grow(v->sigs, &v->asigs, sizeof(*ns), 4);

		if (ns == NULL)
			return SK_ENOMEM;
		v->sigs = ns;
	}
	s = &v->sigs[v->nsigs];
	memset(s, 0, sizeof(*s));
	s->body = -1;
	{
		struct sk__dkim_sig *spare = NULL;

		if (v->nspare > 0)
			spare = v->spare[--v->nspare];
		st = sk__dkim_sig_parse_reuse(sk__msg_field_raw(&v->msg,
							       field),
					      v->msg.fields[field].len, &spare,
					      &s->sig);
	}
	if (st != SK_OK)
		return st;
	v->nsigs++;
	s->res.result = SK_DKIM_NEUTRAL;
	s->res.reason = "not-checked";
	set_strings(s);
	if (v->nsigs > SK_DKIM_MAX_SIGNATURES) {
		decide(s, SK_DKIM_NEUTRAL, "not-checked",
		       "more than %d signatures; this one was not checked",
		       SK_DKIM_MAX_SIGNATURES);
		return SK_OK;
	}
	precheck(v, s);
	if (s->decided)
		return SK_OK;
	s->body = body_for(v, s->sig, &st);
	if (st != SK_OK)
		return st;
	/* s= and d= passed sk__dkim_name_ok() (no reason was set): labels
	 * of 1..63 bytes; the key name (3.6.2.1) has to fit and s= must not
	 * end with a dot (an empty label before "_domainkey"). */
	sl = strlen(s->sig->s);
	dl = strlen(s->sig->d);
	if (sl + sizeof(dk) - 1 + dl > SK_DNS_MAX_NAME - 2 ||
	    s->sig->s[sl - 1] == '.') {
		decide_s(s, SK_DKIM_PERMERROR, "signature-syntax",
			 "s= and d= do not make a valid DNS name");
		return SK_OK;
	}
	memcpy(name, s->sig->s, sl);
	memcpy(name + sl, dk, sizeof(dk) - 1);
	memcpy(name + sl + sizeof(dk) - 1, s->sig->d, dl + 1);
	s->q = keyq_new(v, v->nsigs - 1);
	if (s->q == NULL)
		return SK_ENOMEM;
	st = sk_dns_query(v->r, name, SK_DNS_TXT, on_key, s->q);
	if (st != SK_OK) {
		sk__free(s->q);
		s->q = NULL;
		if (st == SK_ENOMEM)
			return st;
		decide(s, SK_DKIM_PERMERROR, "signature-syntax",
		       "the key name %s cannot be asked", name);
		return SK_OK;
	}
	sk__dns_hook_add(v->r, &s->q->hook);
	v->outstanding++;
	return SK_OK;
}

/* True when the 14 bytes at p are "dkim-signature" in any case: two
 * overlapping loads, letters folded by setting bit 5 (only 'X' and 'x'
 * become 'x'), the '-' compared as it is. */
static bool
is_dkim_signature(const char *p)
{
	uint64_t a, b, la, lb, ma;

	memcpy(&a, p, 8);
	memcpy(&b, p + 6, 8);
	memcpy(&la, "dkim-sig", 8);
	memcpy(&lb, "ignature", 8);
	memcpy(&ma, "\x20\x20\x20\x20\x00\x20\x20\x20", 8);
	return (a | ma) == la && (b | 0x2020202020202020ULL) == lb;
}

static sk_status
on_header(void *arg)
{
	struct sk_dkim_verify *v = arg;
	size_t i;
	sk_status st;

	for (i = 0; i < v->msg.nfields; i++) {
		/* The length first: one field in many. */
		if (v->msg.fields[i].name_len != 14 ||
		    !is_dkim_signature(sk__msg_field_raw(&v->msg, i)))
			continue;
		st = add_sig(v, i);
		if (st != SK_OK)
			return st;
	}
	return SK_OK;
}

static sk_status
on_body(void *arg, const char *data, size_t len)
{
	struct sk_dkim_verify *v = arg;
	size_t i;
	sk_status st;

	for (i = 0; i < v->nbodies; i++) {
		st = sk__dkim_body_update(&v->bodies[i], data, len);
		if (st != SK_OK)
			return st;
	}
	return SK_OK;
}

/* ------------------------------------------------------------ results */

/* True when a colon-separated list (key tags h= and s=, 3.6.1) has
 * `want` (lower-case) as an element, WSP around elements ignored and
 * case too; with `star`, "*" matches as well.  One pass, no calls. */
static bool
in_colon_list(const char *list, const char *want, bool star)
{
	const char *p = list;

	for (;;) {
		const char *a, *b;
		size_t t;

		while (*p == ' ' || *p == '\t')
			p++;
		a = p;
		while (*p != '\0' && *p != ':')
			p++;
		b = p;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		if (star && b - a == 1 && *a == '*')
			return true;
		for (t = 0; a + t < b && want[t] != '\0'; t++)
			if (sk__lower(a[t]) != want[t])
				break;
		if (a + t == b && want[t] == '\0')
			return true;
		if (*p == '\0')
			return false;
		p++;
	}
}

/* Parsed key records are kept with the DNS answer they came from
 * (sk__dns_ext_set): the resolver caches the answer, so a batch of
 * messages signed with one key parses and decodes it once.  With the key
 * goes its rsa-sha256 verifier made on first use (rsa.c; for the rare key
 * it does not take, an EVP verification context with padding and digest
 * set once): each message then costs a SHA-256 and the public operation,
 * not a set-up.  Answers belong to one resolver, hence one thread
 * (dns.h), so neither is ever used concurrently. */
struct keyx {
	struct sk_dkim_key *k;
	struct sk__dkim_rsa *rsa;   /* NULL until an rsa-sha256 check */
	EVP_PKEY_CTX *rsa_sha256;   /* instead, for a key rsa.c leaves */
};

static const char key_ext_tag = 'k';

static void
keyx_free(struct keyx *x)
{
	if (x == NULL)
		return;
	sk__dkim_rsa_free(x->rsa);
	EVP_PKEY_CTX_free(x->rsa_sha256);
	sk_dkim_key_free(x->k);
	sk__free(x);
}

static void
key_ext_free(void *x)
{
	keyx_free(x);
}

/* Release a key from check_key(): free it unless the answer owns it. */
static void
key_release(struct keyx *x, bool owned)
{
	if (owned)
		keyx_free(x);
}

/* The reusable PKCS#1 v1.5 / SHA-256 verification context of a key that
 * rsa.c leaves to EVP. */
static sk_status
rsa_ctx(struct keyx *x, EVP_PKEY *pk, EVP_PKEY_CTX **out)
{
	EVP_PKEY_CTX *c;

	if (x->rsa_sha256 == NULL) {
		c = EVP_PKEY_CTX_new(pk, NULL);
		if (c == NULL)
			return SK_ENOMEM;
		if (EVP_PKEY_verify_init(c) != 1 ||
		    EVP_PKEY_CTX_set_rsa_padding(c, RSA_PKCS1_PADDING) != 1 ||
		    EVP_PKEY_CTX_set_signature_md(c, md_sha256) != 1) {
			EVP_PKEY_CTX_free(c);
			return SK_ECRYPTO;
		}
		x->rsa_sha256 = c;
	}
	*out = x->rsa_sha256;
	return SK_OK;
}

/* SHA-256 of data into hash[32] with a digest context already made (the
 * body's, its digest taken: re-initialising it with the same algorithm
 * keeps OpenSSL's provider context, no allocation). */
static bool
sha256_with(EVP_MD_CTX *hc, const EVP_MD *dg, const uint8_t *data,
	    size_t len, unsigned char *hash)
{
	unsigned hl = 0;

	return EVP_DigestInit_ex(hc, dg, NULL) == 1 &&
	       EVP_DigestUpdate(hc, data, len) == 1 &&
	       EVP_DigestFinal_ex(hc, hash, &hl) == 1 && hl == 32;
}

/* 0 good, 1 bad signature, <0 error. */
static int
check_sig(const struct sk__dkim_sig *g, const EVP_MD *dg, EVP_MD_CTX *hc,
	  struct keyx *x, EVP_PKEY *pk, const uint8_t *data, size_t len)
{
	EVP_PKEY_CTX *pc;
	EVP_MD_CTX *md;
	unsigned char hash[32];
	sk_status st;
	int rc;

	if (g->alg == SK_DKIM_RSA_SHA256) {
		/* 3.7: RSASSA-PKCS1-v1_5 over the SHA-256 of the data. */
		if (!sha256_with(hc, dg, data, len, hash))
			return SK_ECRYPTO;
		/* Neither made yet: rsa.c first, EVP for what it leaves. */
		if (x->rsa == NULL && x->rsa_sha256 == NULL &&
		    sk__dkim_rsa_new(pk, &x->rsa) == SK_ENOMEM)
			return SK_ENOMEM;
		if (x->rsa != NULL) {
			rc = sk__dkim_rsa_verify(x->rsa, g->b, g->blen, hash);
			if (rc < 0)
				return SK_ECRYPTO;
			return rc == 1 ? 0 : 1;
		}
		st = rsa_ctx(x, pk, &pc);
		if (st != SK_OK)
			return st;
		rc = EVP_PKEY_verify(pc, g->b, g->blen, hash, sizeof(hash));
		return rc == 1 ? 0 : 1;
	}
	md = EVP_MD_CTX_new();
	if (md == NULL)
		return SK_ENOMEM;
	if (g->alg == SK_DKIM_ED25519_SHA256) {
		/* RFC 8463 section 3: over the SHA-256 of the data. */
		if (!sha256_with(hc, dg, data, len, hash) ||
		    EVP_DigestVerifyInit(md, NULL, NULL, NULL, pk) != 1) {
			EVP_MD_CTX_free(md);
			return SK_ECRYPTO;
		}
		data = hash;
		len = sizeof(hash);
	} else if (EVP_DigestVerifyInit(md, NULL, dg, NULL, pk) != 1) {
		EVP_MD_CTX_free(md);
		return SK_ECRYPTO;
	}
	rc = EVP_DigestVerify(md, g->b, g->blen, data, len);
	EVP_MD_CTX_free(md);
	return rc == 1 ? 0 : 1;
}

/* The key record's verdict (3.6.1, 6.1.2); decides s when it fails. */
static sk_status
check_key(struct sk_dkim_verify *v, struct vsig *s, struct keyx **out,
	  bool *owned)
{
	const struct sk_dns_answer *a = s->ans;
	const struct sk__dkim_sig *g = s->sig;
	const struct sk_dns_rr *rr = NULL;
	struct sk_dkim_key *k = NULL;
	struct keyx *x;
	struct sk_err e;
	size_t i, ntxt = 0;
	sk_status st;

	*out = NULL;
	*owned = true;
	if (a == NULL) {
		decide(s, SK_DKIM_TEMPERROR, "dns-tempfail", "no key answer");
		return SK_OK;
	}
	if (a->status == SK_DNS_TEMPFAIL) {
		decide(s, SK_DKIM_TEMPERROR, "dns-tempfail",
		       "key lookup of %s failed: %s", a->qname, a->why);
		return SK_OK;
	}
	for (i = 0; a->status == SK_DNS_ANSWER && i < a->count; i++) {
		if (a->rr[i].type == SK_DNS_TXT) {
			rr = &a->rr[i];
			ntxt++;
		}
	}
	if (ntxt == 0) {
		decide(s, SK_DKIM_PERMERROR, "key-missing",
		       "no key record at %s (%s)", a->qname,
		       sk_dns_status_str(a->status));
		return SK_OK;
	}
	if (ntxt > 1) {
		decide(s, SK_DKIM_PERMERROR, "key-syntax",
		       "%zu TXT records at %s; one key record expected",
		       ntxt, a->qname);
		return SK_OK;
	}
	x = sk__dns_ext_get(a, &key_ext_tag);
	if (x != NULL) {
		*owned = false;
		k = x->k;
	} else {
		sk_err_clear(&e);
		st = sk_dkim_key_parse(rr->u.txt.text, rr->u.txt.len, &k, &e);
		if (st == SK_ENOMEM)
			return st;
		if (st != SK_OK) {
			decide(s, SK_DKIM_PERMERROR, "key-syntax",
			       "key record at %s: %s", a->qname, e.msg);
			return SK_OK;
		}
		x = sk__calloc(1, sizeof(*x));
		if (x == NULL) {
			sk_dkim_key_free(k);
			return SK_ENOMEM;
		}
		x->k = k;
		*owned = !sk__dns_ext_set(a, &key_ext_tag, x, key_ext_free);
	}
	s->res.key_bits = k->bits;
	s->res.testing = k->testing;
	if (k->revoked)
		decide(s, SK_DKIM_PERMERROR, "key-revoked",
		       "the key at %s is revoked (empty p=)", a->qname);
	else if ((g->alg == SK_DKIM_ED25519_SHA256) !=
		 (k->type == SK_DKIM_KEY_ED25519) ||
		 k->type == SK_DKIM_KEY_UNKNOWN)
		decide(s, SK_DKIM_PERMERROR, "key-type-mismatch",
		       "a=%s does not match the key type k=%s", g->a,
		       k->k != NULL ? k->k : "rsa");
	else if (k->h != NULL &&
		 !in_colon_list(k->h, g->alg == SK_DKIM_RSA_SHA1 ? "sha1" :
				"sha256", false))
		decide(s, SK_DKIM_PERMERROR, "key-hash-not-allowed",
		       "the key allows h=%s only", k->h);
	else if (k->s != NULL && !in_colon_list(k->s, "email", true))
		decide(s, SK_DKIM_PERMERROR, "key-not-email",
		       "the key is for s=%s, not email", k->s);
	else if (k->strict && !sk__eq_nocase_z(strrchr(s->res.identity, '@') +
					       1,
					       strlen(strrchr(s->res.identity,
							      '@') + 1),
					       g->d))
		decide(s, SK_DKIM_PERMERROR, "key-strict-identity",
		       "the key has t=s and i= is not in d=%s itself", g->d);
	else if (k->type == SK_DKIM_KEY_RSA && k->bits < v->min_bits)
		decide(s, SK_DKIM_PERMERROR, "key-too-small",
		       "RSA key of %u bits, under %u (RFC 8301 section 3.2)",
		       k->bits, v->min_bits);
	if (s->decided) {
		key_release(x, *owned);
		return SK_OK;
	}
	*out = x;
	return SK_OK;
}

static sk_status
eval_sig(struct sk_dkim_verify *v, struct vsig *s)
{
	const struct sk__dkim_sig *g = s->sig;
	struct sk__dkim_body *b;
	struct keyx *x;
	size_t need;
	struct sk_buf *data = &v->hbuf;
	EVP_PKEY *pk;
	bool owned;
	sk_status st;
	int rc;

	st = check_key(v, s, &x, &owned);
	if (st != SK_OK || s->decided)
		return st;
	/* 6.1.3: the body hash first. */
	b = &v->bodies[s->body];
	if (g->l >= 0 && b->total < (uint64_t)g->l) {
		key_release(x, owned);
		decide(s, SK_DKIM_FAIL, "body-hash-mismatch",
		       "l=%lld is more than the body's %llu canonical bytes",
		       g->l, (unsigned long long)b->total);
		return SK_OK;
	}
	if (g->bhlen != b->digest_len ||
	    memcmp(g->bh, b->digest, b->digest_len) != 0) {
		key_release(x, owned);
		decide(s, SK_DKIM_FAIL, "body-hash-mismatch",
		       "the body hash does not match bh=");
		return SK_OK;
	}
	s->res.body_hash_ok = true;
	/* 3.7: signed fields, then this field without b='s value.  Each
	 * field is used once at most and canonicalization never lengthens
	 * one but for the final CRLF relaxed adds to the unsigned field: the
	 * room is known, one allocation. */
	need = v->msg.hdr.len + g->unsigned_len + 3;
	if (data->alloc < need) {
		char *np = sk__realloc(data->p, need);

		if (np == NULL) {
			key_release(x, owned);
			return SK_ENOMEM;
		}
		data->p = np;
		data->alloc = need;
	}
	sk__buf_reset(data);
	st = sk__dkim_hash_headers(&v->msg, g->hcanon, g->names, g->nnames,
				   data);
	/* The field has no final CRLF: simple adds it as is, relaxed adds
	 * one CRLF, taken off again. */
	if (st == SK_OK)
		st = sk__dkim_canon_header(g->hcanon, g->unsigned_field,
					   g->unsigned_len, data);
	if (st == SK_OK && g->hcanon == SK_DKIM_RELAXED)
		data->len -= 2;
	if (st != SK_OK) {
		key_release(x, owned);
		return st;
	}
	pk = sk__dkim_key_pkey(x->k);
	if (pk == NULL) {
		key_release(x, owned);
		decide(s, SK_DKIM_PERMERROR, "key-syntax",
		       "the public key cannot be loaded");
		return SK_OK;
	}
	rc = check_sig(g, sig_md(g), b->ctx, x, pk, (const uint8_t *)data->p,
		       data->len);
	key_release(x, owned);
	if (rc < 0 && rc != SK_ECRYPTO)
		return rc;
	if (rc != 0)
		decide(s, SK_DKIM_FAIL, "signature-mismatch",
		       "the signature b= does not verify");
	else
		decide_s(s, SK_DKIM_PASS, "ok", "signature verified");
	return SK_OK;
}

static sk_status
compute(struct sk_dkim_verify *v)
{
	size_t i;
	sk_status st = SK_OK;

	v->computed = true;
	for (i = 0; i < v->nsigs && st == SK_OK; i++) {
		struct vsig *s = &v->sigs[i];

		/* Set here: the array may have moved while growing. */
		s->res.b_prefix = s->b_prefix;
		s->res.detail = s->detail;

		if (!s->decided)
			st = eval_sig(v, s);
		sk_dns_answer_unref(s->ans);
		s->ans = NULL;
	}
	return st;
}

/* ------------------------------------------------------------ API */

SK_API sk_status
sk_dkim_verify_new(struct sk_resolver *r,
		   const struct sk_dkim_verify_opts *opts,
		   struct sk_dkim_verify **out, struct sk_err *err)
{
	struct sk_dkim_verify *v;

	if (out == NULL || r == NULL)
		return sk__err(err, SK_EINVAL, "missing argument");
	*out = NULL;
	v = sk__calloc(1, sizeof(*v));
	if (v == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	v->r = r;
	v->now_fixed = opts != NULL && opts->now != 0;
	v->now = v->now_fixed ? (long long)opts->now : (long long)time(NULL);
	v->min_bits = opts != NULL && opts->min_rsa_bits != 0 ?
		      opts->min_rsa_bits : SK_DKIM_RSA_MIN_BITS;
	v->allow_sha1 = opts != NULL && opts->allow_sha1;
	v->skew = opts != NULL && opts->clock_skew != 0 ? opts->clock_skew :
		  DEFAULT_SKEW;
	sk__msg_init(&v->msg, SK_DKIM_MAX_HEADER, on_header, on_body, v);
	sk__buf_init(&v->hbuf, 2 * SK_DKIM_MAX_HEADER + SK_DKIM_MAX_TAGLIST);
	*out = v;
	return SK_OK;
}

SK_API sk_status
sk_dkim_verify_update(struct sk_dkim_verify *v, const void *data, size_t len,
		      struct sk_err *err)
{
	if (v == NULL || (data == NULL && len > 0))
		return sk__err(err, SK_EINVAL, "missing argument");
	if (v->finishing)
		return sk__err(err, SK_EINVAL, "already finished");
	return sk__msg_update(&v->msg, data, len, err);
}

/* End of message: complete the header, close the body hashes. */
static sk_status
end_input(struct sk_dkim_verify *v, struct sk_err *err)
{
	size_t i;
	sk_status st;

	if (v->finishing)
		return sk__err(err, SK_EINVAL, "already finished");
	st = sk__msg_finish(&v->msg, err);
	if (st != SK_OK)
		return st;
	for (i = 0; i < v->nbodies; i++) {
		st = sk__dkim_body_final(&v->bodies[i]);
		if (st != SK_OK)
			return sk__err(err, st, "body hash failed");
	}
	v->finishing = true;
	return SK_OK;
}

SK_API sk_status
sk_dkim_verify_finish(struct sk_dkim_verify *v, struct sk_err *err)
{
	sk_status st;

	if (v == NULL)
		return sk__err(err, SK_EINVAL, "missing argument");
	st = end_input(v, err);
	if (st != SK_OK)
		return st;
	while (v->outstanding > 0) {
		int n = sk_resolver_run(v->r, -1);

		if (n < 0)
			return sk__err(err, n, "resolver failed: %s",
				       sk_strerror(n));
		if (v->outstanding > 0 && n == 0 &&
		    sk_resolver_pending(v->r) == 0)
			return sk__err(err, SK_EINTERNAL,
				       "key lookups stalled");
	}
	st = compute(v);
	if (st != SK_OK)
		return sk__err(err, st, "%s", sk_strerror(st));
	return SK_OK;
}

SK_API sk_status
sk_dkim_verify_finish_start(struct sk_dkim_verify *v, sk_dkim_verify_cb cb,
			    void *arg, struct sk_err *err)
{
	sk_status st;

	if (v == NULL || cb == NULL)
		return sk__err(err, SK_EINVAL, "missing argument");
	st = end_input(v, err);
	if (st != SK_OK)
		return st;
	v->cb = cb;
	v->arg = arg;
	if (v->outstanding > 0)
		return SK_OK;
	/* Every result is known now, but cb must come from the loop. */
	v->deferq = keyq_new(v, SIZE_MAX);
	if (v->deferq == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	st = sk__dns_defer(v->r, on_key, v->deferq);
	if (st != SK_OK) {
		sk__free(v->deferq);
		v->deferq = NULL;
		return sk__err(err, st, "cannot schedule the result");
	}
	sk__dns_hook_add(v->r, &v->deferq->hook);
	return SK_OK;
}

SK_API size_t
sk_dkim_verify_count(const struct sk_dkim_verify *v)
{
	return v != NULL && v->computed ? v->nsigs : 0;
}

SK_API const struct sk_dkim_sig_result *
sk_dkim_verify_result(const struct sk_dkim_verify *v, size_t i)
{
	if (v == NULL || !v->computed || i >= v->nsigs)
		return NULL;
	return &v->sigs[i].res;
}

/* Drop what belongs to the message: questions in flight are detached
 * (their callback or hook frees them), answers and signatures released. */
static void
clear_message(struct sk_dkim_verify *v)
{
	size_t i;

	if (v->deferq != NULL)
		v->deferq->v = NULL;
	v->deferq = NULL;
	for (i = 0; i < v->nsigs; i++) {
		struct vsig *s = &v->sigs[i];

		if (s->q != NULL)
			s->q->v = NULL; /* freed by its callback or hook */
		sk_dns_answer_unref(s->ans);
		if (s->sig != NULL && v->nspare <
		    sizeof(v->spare) / sizeof(v->spare[0]))
			v->spare[v->nspare++] = s->sig;
		else
			sk__dkim_sig_free(s->sig);
	}
	v->nsigs = 0;
	v->nbodies = 0;
	v->outstanding = 0;
}

SK_API void
sk_dkim_verify_reset(struct sk_dkim_verify *v)
{
	if (v == NULL)
		return;
	clear_message(v);
	v->finishing = v->computed = v->body_done = false;
	v->cb = NULL;
	v->arg = NULL;
	if (!v->now_fixed)
		v->now = (long long)time(NULL);
	sk__msg_reset(&v->msg);
}

SK_API void
sk_dkim_verify_free(struct sk_dkim_verify *v)
{
	size_t i;

	if (v == NULL)
		return;
	clear_message(v);
	while (v->nspare > 0)
		sk__dkim_sig_free(v->spare[--v->nspare]);
	while (v->qfree != NULL) {
		struct keyq *q = v->qfree;

		v->qfree = q->next_free;
		sk__free(q);
	}
	for (i = 0; i < v->cbodies; i++)
		sk__dkim_body_free(&v->bodies[i]);
	sk__free(v->bodies);
	sk__free(v->sigs);
	sk__buf_free(&v->hbuf);
	sk__msg_free(&v->msg);
	sk__free(v);
}
