/*
 * tests/unit/test_profile.c - provider profiles and organization configs
 * (lib/profile): the INI reader, both loaders with their error lines,
 * DKIM key files of every kind, validation ids, template expansion,
 * profile age, sk_profile_find, and allocation-failure injection.
 *
 * Usage: test_profile SOURCE_ROOT (meson passes it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>

#include <senderkit/profile.h>
#include "profile/profile_internal.h"
#include "tap.h"

static const char *srcdir;
static char tmpdir[] = "/tmp/sk_test_profile.XXXXXX";

static char *
path_in(const char *dir, const char *name)
{
	static char buf[4][1024];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", dir, name);
	return buf[i];
}

static void
write_file(const char *name, const char *data, size_t len)
{
	FILE *f = fopen(path_in(tmpdir, name), "wb");

	if (f == NULL || fwrite(data, 1, len, f) != len) {
		printf("Bail out! cannot write %s\n", name);
		exit(1);
	}
	fclose(f);
}

static void
write_str(const char *name, const char *data)
{
	write_file(name, data, strlen(data));
}

static struct sk_profile *
load_profile_str(const char *text, struct sk_err *err, sk_status *st)
{
	struct sk_profile *p = NULL;

	sk_err_clear(err);
	*st = sk_profile_load_mem(text, strlen(text), "t.ini", &p, err);
	return p;
}

/* Must fail with SK_ESYNTAX at `line`, the message containing `part`. */
static void
profile_error(const char *text, unsigned line, const char *part,
	      const char *what)
{
	struct sk_err err;
	sk_status st;
	struct sk_profile *p = load_profile_str(text, &err, &st);

	is_int(st, SK_ESYNTAX, "profile error: %s: status", what);
	ok(p == NULL, "profile error: %s: no object", what);
	is_int(err.line, line, "profile error: %s: line", what);
	ok(strstr(err.msg, part) != NULL, "profile error: %s: message "
	   "\"%s\" has \"%s\"", what, err.msg, part);
	sk_profile_free(p);
}

#define HEAD "[profile]\nid = x\nas_of = 2026-01-02\n"

static void
test_marketo(void)
{
	struct sk_profile *p = NULL;
	const struct sk_profile_host *h;
	const struct sk_profile_list *l;
	const struct sk_profile_input *in;
	struct sk_err err;
	sk_status st;
	size_t i;

	st = sk_profile_load(path_in(srcdir, "data/profiles/marketo.ini"), &p,
			     &err);
	is_int(st, SK_OK, "marketo.ini loads (%s)", st ? err.msg : "ok");
	if (p == NULL)
		return;
	is_str(p->id, "marketo", "id");
	is_str(p->display_name, "Adobe Marketo Engage", "display_name");
	is_str(p->as_of, "2026-11-23", "as_of");
	ok(p->docs_url != NULL && strncmp(p->docs_url, "https://", 8) == 0,
	   "docs_url");
	is_int(p->ninputs, 3, "three inputs");
	in = sk_profile_input(p, "munchkin_id");
	ok(in != NULL && !in->required && in->severity == SK_SEV_WARNING &&
	   in->regex != NULL, "munchkin_id: optional, warning regex");
	in = sk_profile_input(p, "account_string");
	ok(in != NULL && in->required && in->hint != NULL &&
	   strstr(in->hint, "Munchkin ID") != NULL,
	   "account_string: required, hint mentions the Munchkin ID");
	in = sk_profile_input(p, "default_branding_domain");
	ok(in != NULL && in->required &&
	   strcmp(in->regex, "^mkto-[a-z0-9]+\\.com$") == 0,
	   "default_branding_domain: required, regex");

	is_int(p->nhosts, 2, "two hosts");
	h = sk_profile_host(p, "landing");
	ok(h != NULL, "landing host");
	if (h != NULL) {
		is_str(h->target, "${account_string}.mktoweb.com",
		       "landing target");
		is_str(h->config_key, "landing_host", "landing config_key");
		is_str(h->must_differ_from, "tracking", "landing differs");
		ok(!h->probe_target, "landing target is not probed");
		ok(h->tls_note != NULL &&
		   strstr(h->tls_note, "3 business days") != NULL,
		   "landing tls_note: 3 business days");
		/* Research 1.18(4): the CA behind Secured Domains is not
		 * known; the list stays empty until it is. */
		is_int(h->ncaa_allow, 0, "landing caa_allow empty (unknown)");
	}
	h = sk_profile_host(p, "tracking");
	ok(h != NULL, "tracking host");
	if (h != NULL) {
		is_str(h->target, "${default_branding_domain}",
		       "tracking target");
		ok(h->probe_target, "tracking target probed");
		is_int(h->navoid_prefixes, 2, "tracking avoid_prefixes");
		if (h->navoid_prefixes == 2) {
			is_str(h->avoid_prefixes[0], "track", "avoid 0");
			is_str(h->avoid_prefixes[1], "link", "avoid 1");
		}
	}
	ok(sk_profile_host(p, "nope") == NULL, "unknown role: NULL");

	is_str(p->spf.include, "mktomail.com", "spf include");
	is_str(p->spf.needed_when, "branded_return_path", "spf needed_when");
	is_str(p->spf.branded_all, "-all", "spf branded_all");
	is_int(p->dkim.min_bits, 1024, "dkim min_bits");
	is_int(p->dkim.recommended_bits, 2048, "dkim recommended_bits");
	is_str(p->dkim.fallback_d, "mktomail.com", "dkim fallback_d");
	ok(p->dkim.all_ns_must_agree, "dkim all_ns_must_agree");
	ok(p->dkim.rotation_note != NULL, "dkim rotation_note");
	is_str(p->dmarc.recommended_alignment, "dkim", "dmarc alignment");
	ok(!p->dmarc.aspf_strict_supported, "aspf=s not supported");
	is_int(p->dmarc.nrollout, 3, "dmarc rollout stages");
	if (p->dmarc.nrollout == 3)
		is_str(p->dmarc.rollout[2], "reject", "rollout ends in reject");
	is_str(p->envelope.default_domain, "mktomail.com", "envelope");
	is_int(p->envelope.nbranded_for, 2, "branded_for");
	ok(p->mx.required_on_from_domain, "mx required");
	is_int(p->pools.shared_max_monthly, 100000, "shared max");
	is_int(p->pools.trusted_max_monthly, 75000, "trusted max");

	l = sk_profile_list(p, "sending_cidrs");
	ok(l != NULL && l->count == 9, "sending_cidrs: 9 blocks");
	if (l != NULL && l->count == 9) {
		is_str(l->items[0], "94.236.119.0/26", "first CIDR");
		is_str(l->items[4], "130.248.244.88/29", "the /29");
		is_str(l->items[8], "199.15.212.0/22", "last CIDR");
		is_str(l->spf_domain, "mktomail.com", "spf_domain");
		is_str(l->kind, "cidr", "kind cidr");
	}
	l = sk_profile_list(p, "outbound_ips");
	ok(l != NULL && l->count == 14, "outbound_ips: 14 addresses");
	if (l != NULL && l->count == 14)
		is_str(l->items[13], "130.248.168.17", "last outbound IP");
	l = sk_profile_list(p, "web_domains");
	ok(l != NULL && l->count == 5, "web_domains: 5 domains");
	if (l != NULL && l->count == 5) {
		is_str(l->items[0], "*.marketo.com", "first web domain");
		is_str(l->kind, "domain", "kind domain");
	}
	for (i = 0; i < p->nlists; i++)
		ok(p->lists[i].source != NULL &&
		   strcmp(p->lists[i].as_of, "2026-11-23") == 0,
		   "list %s: source and as_of", p->lists[i].name);
	is_int(p->nnotes, 6, "six notes");
	for (i = 0; i < p->nnotes; i++)
		ok(p->notes[i].text != NULL && p->notes[i].source != NULL,
		   "note %s: text and source", p->notes[i].name);
	sk_profile_free(p);
}

static void
test_second_profile(void)
{
	struct sk_profile *p = NULL;
	struct sk_org_config *c = NULL;
	struct sk_findings *f = NULL;
	struct sk_err err;
	const struct sk_profile_list *l;
	char *s = NULL;
	sk_status st;
	static const char conf[] =
		"[organization]\nname = Beta\n"
		"[provider]\ntenant = beta-co\nregion = eu1\n"
		"[hosts]\nlanding_host = pages.beta.example\n"
		"tracking_host = c.beta.example\n"
		"[domain beta.example]\n";

	st = sk_profile_load(path_in(srcdir,
				     "tests/data/profiles/examplesend.ini"),
			     &p, &err);
	is_int(st, SK_OK, "examplesend.ini loads (%s)", st ? err.msg : "ok");
	if (p == NULL)
		return;
	is_str(p->id, "examplesend", "second profile id");
	is_str(p->spf.include, "spf.examplesend.net", "its include");
	is_str(p->spf.needed_when, "always", "its needed_when");
	ok(p->dmarc.aspf_strict_supported, "aspf=s supported by default");
	is_str(sk_profile_host(p, "pages")->target,
	       "${tenant}.pages.examplesend.net", "its pages target");
	l = sk_profile_list(p, "senders");
	ok(l != NULL && l->count == 4, "repeated items key appends (4)");
	if (l != NULL && l->count == 4)
		is_str(l->items[2], "2001:db8::/48", "IPv6 item");
	ok(sk_profile_input(p, "region")->severity == SK_SEV_INFO,
	   "input severity info");
	st = sk_config_load_mem(conf, sizeof(conf) - 1, "beta.conf", &c,
				&err);
	is_int(st, SK_OK, "beta config loads");
	if (c != NULL) {
		st = sk_profile_expand(c, sk_profile_host(p, "clicks")->target,
				       &s, &err);
		is_int(st, SK_OK, "expand two inputs");
		is_str(s, "beta-co.eu1.clicks.examplesend.net",
		       "expanded clicks target");
		free(s);
		st = sk_config_validate(c, p, &f, &err);
		is_int(st, SK_OK, "validate against the second profile");
		is_int(sk_findings_count(f), 0, "no findings");
		sk_findings_free(f);
	}
	sk_config_free(c);
	sk_profile_free(p);
}

static void
test_ini_features(void)
{
	struct sk_profile *p;
	struct sk_err err;
	sk_status st;
	const struct sk_profile_list *l;
	static const char text[] =
		"\xef\xbb\xbf# comment\r\n"
		"; another\r\n"
		"[Profile]\r\n"
		"  ID = x\r\n"
		"As_Of = 2026-01-02\r\n"
		"display_name = A # not a comment ; nor this\r\n"
		"[note n]\n"
		"text = first line\n"
		"    # a comment inside a continued value is skipped\n"
		"\tsecond   line\n"
		"\n"
		"[list l]\n"
		"kind = domain\n"
		"source = https://example.com/\n"
		"as_of = 2024-02-29\n"
		"items = a.example, , b.example,\n"
		"items = c.example\n"
		"[dkim]\n"
		"all_ns_must_agree = On\n";

	p = load_profile_str(text, &err, &st);
	is_int(st, SK_OK, "INI features load (%s)", st ? err.msg : "ok");
	if (p == NULL)
		return;
	is_str(p->id, "x", "case-insensitive key and section; BOM; CRLF");
	is_str(p->display_name, "A # not a comment ; nor this",
	       "'#' inside a value is kept");
	is_str(p->notes[0].text, "first line second   line",
	       "continuation joined with one space");
	l = sk_profile_list(p, "l");
	ok(l != NULL && l->count == 3, "empty list items skipped, repeat "
	   "appends");
	ok(p->dkim.all_ns_must_agree, "boolean On");
	is_str(p->path, "t.ini", "path is the name given");
	sk_profile_free(p);
}

static void
test_profile_errors(void)
{
	char *big;
	size_t n;
	struct sk_profile *p = NULL;
	struct sk_err err;
	sk_status st;
	static const char nul[] = HEAD "display_name = a\0b\n";

	profile_error(HEAD "colour = red\n", 4, "colour", "unknown key");
	profile_error(HEAD "[spff]\n", 4, "unknown section", "unknown section");
	profile_error(HEAD "[list l]\nkind = cidr\nsource = https://e.com/\n"
		      "as_of = 2026-01-01\nitems = 192.0.2.0/24,\n"
		      "    192.0.2.0/33\n", 8, "192.0.2.0/33", "bad CIDR");
	profile_error(HEAD "[list l]\nsource = https://e.com/\n"
		      "as_of = 2026-01-01\nitems = 192.0.2.0/24\n"
		      "items = 10.0.0.256\nkind = cidr\n", 8, "10.0.0.256",
		      "bad address found once kind is known");
	profile_error(HEAD "[list l]\nkind = domain\nsource = https://e.com/\n"
		      "as_of = 2026-01-01\nitems = *.ok.example, bad..example"
		      "\n", 8, "bad..example", "bad domain item");
	profile_error("[profile]\nid = x\nas_of = 2026-02-30\n", 3, "as_of",
		      "bad date");
	profile_error("[profile]\nid = x\nas_of = 26-02-03\n", 3, "as_of",
		      "short date");
	profile_error(HEAD "id = y\n", 4, "repeated", "duplicate single key");
	profile_error(HEAD "[spf]\n[spf]\n", 5, "repeated", "repeated section");
	profile_error(HEAD "[input a]\n[input a]\n", 5, "repeated",
		      "repeated named section");
	profile_error(HEAD "[input a]\nregex = ^(a\n", 5, "regular expression",
		      "bad regex");
	profile_error(HEAD "[input a]\nregex = a+++++++++++++++++++++++\n", 5,
		      "adjacent duplication", "regex blow-up: a++++");
	profile_error(HEAD "[input a]\nregex = ((a{200}){200})\n", 5,
		      "too complex", "regex blow-up: nested intervals");
	profile_error(HEAD "[input a]\nregex = a{256}\n", 5, "over 255",
		      "regex interval over 255");
	profile_error(HEAD "[input a]\nregex = (a)\\1\n", 5,
		      "back-references", "regex back-reference");
	profile_error(HEAD "[input a]\n[host h]\nconfig_key = landing_host\n"
		      "target = ${b}.example.com\n", 7, "${b}",
		      "undefined ${x}");
	profile_error(HEAD "[input a]\n[host h]\nconfig_key = landing_host\n"
		      "target = ${a.example.com\n", 7, "target",
		      "unterminated ${");
	profile_error(HEAD "[host h]\nconfig_key = landing_host\n", 4,
		      "target", "missing required key (section line)");
	profile_error(HEAD "[host h]\nconfig_key = cname_host\n"
		      "target = a.example\n", 5, "cname_host",
		      "config_key outside landing_host/tracking_host");
	profile_error(HEAD "[host h]\nconfig_key = landing_host\n"
		      "target = a.example\nmust_differ_from = other\n", 7,
		      "other", "must_differ_from names no role");
	profile_error(HEAD "[list l]\nkind = cidr\nsource = https://e.com/\n"
		      "items = 192.0.2.1\n", 4, "as_of", "list without as_of");
	profile_error(HEAD "[list l]\nkind = cidr\nas_of = 2026-01-01\n"
		      "items = 192.0.2.1\n", 4, "source",
		      "list without source");
	profile_error(HEAD "[list l]\nkind = cidr\nsource = ftp://e.com/\n",
		      6, "URL", "source not http(s)");
	profile_error(HEAD "[input]\n", 4, "needs a name", "nameless input");
	profile_error(HEAD "[spf x]\n", 4, "takes no name", "named [spf]");
	profile_error(HEAD "[dkim]\nall_ns_must_agree = maybe\n", 5,
		      "boolean", "bad boolean");
	profile_error(HEAD "[dkim]\nmin_bits = 1k\n", 5, "min_bits",
		      "bad number");
	profile_error(HEAD "[spf]\nneeded_when = sometimes\n", 5, "sometimes",
		      "bad choice");
	profile_error(HEAD "[dmarc]\nrollout = none, maybe\n", 5, "maybe",
		      "bad rollout stage");
	profile_error("id = x\n", 1, "before any", "key before section");
	profile_error(HEAD "just words\n", 4, "expected", "not key = value");
	profile_error(HEAD "[spf] x\n", 4, "after section", "text after ]");
	profile_error(HEAD "[spf]\n    continued\n", 5, "expected",
		      "indented line after a section is no continuation");
	profile_error("[note n]\ntext = t\n", 2, "[profile]", "no [profile]");
	profile_error("[profile]\nas_of = 2026-01-02\n", 1, "id",
		      "no id");
	/* NUL: give the length explicitly (strlen would stop at it). */
	sk_err_clear(&err);
	st = sk_profile_load_mem(nul, sizeof(nul) - 1, "t.ini", &p, &err);
	is_int(st, SK_ESYNTAX, "NUL byte with explicit length");
	is_int(err.line, 4, "NUL byte line");
	ok(strstr(err.msg, "t.ini:4: NUL") != NULL, "NUL message: %s",
	   err.msg);

	/* Line too long: SK_INI_MAX_LINE + 1 bytes on line 5. */
	n = strlen(HEAD "[note n]\n") + strlen("text = ") +
		SK_INI_MAX_LINE + 2;
	big = malloc(n + 1);
	if (big != NULL) {
		size_t h = strlen(HEAD "[note n]\ntext = ");

		memcpy(big, HEAD "[note n]\ntext = ", h);
		memset(big + h, 'a', n - h);
		big[n - 1] = '\n';
		big[n] = '\0';
		profile_error(big, 5, "longer than", "line too long");
		/* Exactly SK_INI_MAX_LINE bytes is fine. */
		h -= strlen("text = ");
		big[h + SK_INI_MAX_LINE] = '\n';
		big[h + SK_INI_MAX_LINE + 1] = '\0';
		p = load_profile_str(big, &err, &st);
		is_int(st, SK_OK, "a line of exactly %u bytes is fine (%s)",
		       SK_INI_MAX_LINE, st ? err.msg : "ok");
		sk_profile_free(p);
		free(big);
	}
	/* File over the limit. */
	big = calloc(1, SK_INI_MAX_FILE + 2);
	if (big != NULL) {
		memset(big, '\n', SK_INI_MAX_FILE + 1);
		st = sk_profile_load_mem(big, SK_INI_MAX_FILE + 1, "big.ini",
					 &p, &err);
		is_int(st, SK_ETOOBIG, "file over SK_INI_MAX_FILE");
		free(big);
	}
	st = sk_profile_load(path_in(tmpdir, "does-not-exist.ini"), &p, &err);
	is_int(st, SK_ENOENT, "missing profile file: SK_ENOENT");
}

/* ------------------------------------------------------------ keys */

static EVP_PKEY *
gen_key(int type)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_id(type, NULL);
	EVP_PKEY *pk = NULL;

	if (ctx == NULL || EVP_PKEY_keygen_init(ctx) != 1 ||
	    (type == EVP_PKEY_RSA &&
	     EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 1024) != 1) ||
	    EVP_PKEY_keygen(ctx, &pk) != 1) {
		printf("Bail out! key generation failed\n");
		exit(1);
	}
	EVP_PKEY_CTX_free(ctx);
	return pk;
}

static char *
pem_of(EVP_PKEY *pk, bool priv)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *data, *out;
	long n;

	if (priv)
		PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL);
	else
		PEM_write_bio_PUBKEY(b, pk);
	n = BIO_get_mem_data(b, &data);
	/* The BIO's data is not NUL-terminated: copy exactly n bytes
	 * (strndup may read past them looking for a NUL). */
	out = malloc((size_t)n + 1);
	if (out != NULL) {
		memcpy(out, data, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(b);
	return out;
}

/* base64 of the SubjectPublicKeyInfo. */
static char *
spki_b64(EVP_PKEY *pk)
{
	unsigned char *der = NULL;
	int n = i2d_PUBKEY(pk, &der);
	char *out = malloc((size_t)n * 2 + 4);

	EVP_EncodeBlock((unsigned char *)out, der, n);
	OPENSSL_free(der);
	return out;
}

static const struct sk_org_dkim *
selector(const struct sk_org_config *c, const char *dom, const char *sel)
{
	const struct sk_org_domain *d = sk_config_domain(c, dom);
	size_t i;

	for (i = 0; d != NULL && i < d->ndkim; i++)
		if (strcmp(d->dkim[i].selector, sel) == 0)
			return &d->dkim[i];
	return NULL;
}

static bool
has_finding(const struct sk_findings *f, const char *id, const char *subj)
{
	size_t i;

	for (i = 0; i < sk_findings_count(f); i++) {
		const struct sk_finding *x = sk_findings_get(f, i);

		if (strcmp(x->id, id) == 0 &&
		    (subj == NULL || strcmp(x->subject, subj) == 0))
			return true;
	}
	return false;
}

static void
test_key_files(void)
{
	EVP_PKEY *rsa = gen_key(EVP_PKEY_RSA), *ed = gen_key(EVP_PKEY_ED25519);
	char *rsa_pub = pem_of(rsa, false), *rsa_priv = pem_of(rsa, true);
	char *ed_priv = pem_of(ed, true), *b64 = spki_b64(rsa);
	char conf[8192], want[4096], *rec;
	struct sk_org_config *c = NULL;
	struct sk_findings *f = NULL;
	const struct sk_org_dkim *k;
	struct sk_err err;
	sk_status st;
	FILE *cf;

	snprintf(want, sizeof(want), "v=DKIM1; k=rsa; p=%s", b64);
	/* A zone line split in two strings, as dkim keygen prints it. */
	rec = strdup(want);
	{
		char zone[4096];
		size_t cut = 40;

		snprintf(zone, sizeof(zone), "s1._domainkey.k.example. 3600 "
			 "IN TXT ( \"%.*s\" \"%s\" )\n", (int)cut, rec,
			 rec + cut);
		write_str("zone.txt", zone);
		snprintf(zone, sizeof(zone), "# bare value\n%.*s\n  %s\n",
			 (int)cut, rec, rec + cut);
		write_str("bare.txt", zone);
	}
	write_str("pub.pem", rsa_pub);
	write_str("priv.pem", rsa_priv);
	write_str("ed.pem", ed_priv);
	write_str("junk.txt", "hello world\n");
	write_str("revoked.txt", "v=DKIM1; k=rsa; p=\n");
	mkdir(path_in(tmpdir, "sub"), 0700);
	snprintf(conf, sizeof(conf),
		 "[domain k.example]\n"
		 "dkim_selectors = s0, s1\n"
		 "dkim_key.s1 = zone.txt\n"
		 "dkim_key.s2 = bare.txt\n"
		 "dkim_key.s3 = pub.pem\n"
		 "dkim_key.s4 = priv.pem\n"
		 "dkim_key.s5 = ed.pem\n"
		 "dkim_key.s6 = %s\n"
		 "dkim_key.s7 = missing.txt\n"
		 "dkim_key.s8 = junk.txt\n"
		 "dkim_key.s9 = revoked.txt\n"
		 "dkim_key.s10 = %s/zone.txt\n"
		 "dkim_key.s11 = QUJD\n",
		 b64, tmpdir);
	cf = fopen(path_in(tmpdir, "k.conf"), "w");
	fputs(conf, cf);
	fclose(cf);
	st = sk_config_load(path_in(tmpdir, "k.conf"), &c, &err);
	is_int(st, SK_OK, "key config loads (%s)", st ? err.msg : "ok");
	if (c == NULL)
		goto out;
	is_int(sk_config_domain(c, "k.example")->ndkim, 12,
	       "selectors listed and added by dkim_key (12)");
	k = selector(c, "k.example", "s0");
	ok(k != NULL && k->record == NULL, "s0: selector only, no record");
	is_str(selector(c, "k.example", "s1")->record, want,
	       "zone-line record file: strings joined");
	is_str(selector(c, "k.example", "s2")->record, want,
	       "bare record file: lines joined, comment skipped");
	is_str(selector(c, "k.example", "s3")->record, want,
	       "PEM public key");
	is_str(selector(c, "k.example", "s4")->record, want,
	       "PEM private key: public half");
	k = selector(c, "k.example", "s5");
	ok(k->record != NULL && strncmp(k->record, "v=DKIM1; k=ed25519; p=",
					22) == 0 &&
	   strlen(k->record) == 22 + 44, "Ed25519: raw 32-byte key "
	   "(RFC 8463), got %s", k->record ? k->record : "(null)");
	is_str(selector(c, "k.example", "s6")->record, want,
	       "inline base64 SubjectPublicKeyInfo");
	ok(selector(c, "k.example", "s7")->record == NULL, "missing file: "
	   "no record, load succeeds");
	ok(selector(c, "k.example", "s8")->record == NULL, "junk file: no "
	   "record");
	ok(selector(c, "k.example", "s9")->record == NULL, "revoked: no "
	   "record");
	is_str(selector(c, "k.example", "s10")->record, want,
	       "absolute path");
	ok(selector(c, "k.example", "s11")->record == NULL,
	   "base64 that is not a key: no record");
	st = sk_config_validate(c, NULL, &f, &err);
	is_int(st, SK_OK, "validate the key config");
	snprintf(conf, sizeof(conf), "%s:9: dkim_key.s7",
		 path_in(tmpdir, "k.conf"));
	ok(has_finding(f, "config-dkim-key", conf), "config-dkim-key with "
	   "subject FILE:9: dkim_key.s7");
	snprintf(conf, sizeof(conf), "%s:10: dkim_key.s8",
		 path_in(tmpdir, "k.conf"));
	ok(has_finding(f, "config-dkim-key", conf), "junk file reported");
	snprintf(conf, sizeof(conf), "%s:11: dkim_key.s9",
		 path_in(tmpdir, "k.conf"));
	ok(has_finding(f, "config-dkim-key", conf), "revoked reported");
	snprintf(conf, sizeof(conf), "%s:2: dkim_selectors",
		 path_in(tmpdir, "k.conf"));
	ok(has_finding(f, "config-dkim-key-missing", conf),
	   "config-dkim-key-missing for s0");
	is_int(sk_findings_count(f), 5, "exactly five key findings");
	sk_findings_free(f);
out:
	sk_config_free(c);
	free(rec);
	free(rsa_pub);
	free(rsa_priv);
	free(ed_priv);
	free(b64);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ed);
}

/* ------------------------------------------------------------ configs */

static void
test_acme(void)
{
	struct sk_org_config *c = NULL;
	struct sk_profile *p = NULL;
	struct sk_findings *f = NULL;
	const struct sk_org_domain *d;
	struct sk_err err;
	sk_status st;

	st = sk_config_load(path_in(srcdir, "examples/acme/acme.conf"), &c,
			    &err);
	is_int(st, SK_OK, "acme.conf loads (%s)", st ? err.msg : "ok");
	if (c == NULL)
		return;
	is_str(c->name, "Acme Corporation", "organization name");
	is_str(c->profile, "marketo", "profile name");
	is_int(c->ip_mode, SK_IP_SHARED, "ip_mode");
	is_int(c->monthly_volume, 40000, "monthly_volume");
	is_int(c->ttl, 3600, "ttl");
	is_str(c->landing_host, "go.acme.example", "landing_host");
	is_str(c->tracking_host, "em.acme.example", "tracking_host");
	is_str(sk_config_input(c, "account_string"), "acmecorp",
	       "account_string");
	is_str(sk_config_input(c, "MUNCHKIN_ID"), "123-ABC-456",
	       "input lookup is case-insensitive");
	is_int(c->ndomains, 2, "two domains");
	d = sk_config_domain(c, "ACME.example.");
	ok(d != NULL, "domain lookup: case, trailing dot");
	if (d != NULL) {
		ok(d->from, "from");
		is_int(d->nmail_servers, 2, "mail_servers");
		is_int(d->nmx, 2, "mx");
		is_str(d->mx[0], "10 mail.acme.example", "mx 0");
		is_int(d->ndkim, 1, "one selector");
		ok(d->dkim[0].record != NULL &&
		   strncmp(d->dkim[0].record, "v=DKIM1; k=rsa; p=MIIB", 22)
		   == 0, "mkto1 record from the keygen zone line");
		is_int(d->dmarc_stage, SK_STAGE_NONE, "dmarc none");
		is_int(d->dmarc_pct, 100, "dmarc pct");
		is_str(d->dmarc_rua, "mailto:dmarc@acme.example", "rua");
	}
	st = sk_profile_load(path_in(srcdir, "data/profiles/marketo.ini"), &p,
			     &err);
	if (st == SK_OK) {
		st = sk_config_validate(c, p, &f, &err);
		is_int(st, SK_OK, "validate acme");
		is_int(sk_findings_count(f), 0, "acme.conf has no findings");
		if (sk_findings_count(f) > 0)
			printf("# first: %s %s: %s\n",
			       sk_findings_get(f, 0)->id,
			       sk_findings_get(f, 0)->subject,
			       sk_findings_get(f, 0)->message);
		sk_findings_free(f);
	}
	sk_profile_free(p);
	sk_config_free(c);
}

static void
config_error(const char *text, unsigned line, const char *part,
	     const char *what)
{
	struct sk_org_config *c = NULL;
	struct sk_err err;
	sk_status st;

	sk_err_clear(&err);
	st = sk_config_load_mem(text, strlen(text), "c.conf", &c, &err);
	is_int(st, SK_ESYNTAX, "config error: %s: status", what);
	is_int(err.line, line, "config error: %s: line", what);
	ok(strstr(err.msg, part) != NULL, "config error: %s: message \"%s\" "
	   "has \"%s\"", what, err.msg, part);
	sk_config_free(c);
}

static void
test_config_errors(void)
{
	config_error("[organisation]\n", 1, "unknown section", "typo section");
	config_error("[organization]\nnmae = x\n", 2, "c.conf:2: nmae",
		     "typo key names FILE:LINE: KEY");
	config_error("[organization]\nname = a\nname = b\n", 3, "repeated",
		     "repeated key");
	config_error("[organization]\nip_mode = private\n", 2, "ip_mode",
		     "bad ip_mode");
	config_error("[organization]\nttl = -1\n", 2, "ttl", "bad ttl");
	config_error("[hosts]\nlanding = go.a.example\n", 2, "landing",
		     "unknown hosts key");
	config_error("[domain a.example]\ndmarc = monitor\n", 2, "monitor",
		     "bad dmarc stage");
	config_error("[domain a.example]\ndmarc_pct = 0\n", 2, "dmarc_pct",
		     "pct 0");
	config_error("[domain a.example]\ndmarc_pct = 101\n", 2, "dmarc_pct",
		     "pct 101");
	config_error("[domain a.example]\nfrom = perhaps\n", 2, "from",
		     "bad bool");
	config_error("[domain a.example]\ndkim_key. = x\n", 2, "selector",
		     "dkim_key without selector");
	config_error("[domain a.example]\ndkim_key.s = a\ndkim_key.s = b\n",
		     3, "repeated", "dkim_key repeated");
	config_error("[domain a.example]\nspf = x\n", 2, "spf",
		     "unknown domain key");
	config_error("[domain bad..example]\n", 1, "not a domain",
		     "bad domain name");
	config_error("[domain]\n", 1, "needs a name", "nameless domain");
	config_error("[hosts x]\n", 1, "takes no name", "named hosts");
	config_error("[provider]\na = 1\na = 2\n", 3, "repeated",
		     "repeated provider key");
	config_error("[domain a.example]\ndmarc_sp = maybe\n", 2, "maybe",
		     "bad dmarc_sp");
}

static void
test_config_set(void)
{
	struct sk_org_config *c = NULL;
	struct sk_err err;
	sk_status st;

	st = sk_config_new(&c, &err);
	is_int(st, SK_OK, "sk_config_new");
	if (c == NULL)
		return;
	is_int(c->ttl, 3600, "default ttl");
	is_int(c->ip_mode, SK_IP_SHARED, "default ip_mode");
	st = sk_config_set(c, "provider", "Munchkin_ID", " 111-AAA-222 ", 0,
			   &err);
	is_int(st, SK_OK, "set provider key");
	is_str(sk_config_input(c, "munchkin_id"), "111-AAA-222",
	       "key lower-cased, value trimmed");
	st = sk_config_set(c, "provider", "munchkin_id", "333-BBB-444", 0,
			   &err);
	is_int(st, SK_OK, "line 0 replaces");
	is_str(sk_config_input(c, "munchkin_id"), "333-BBB-444", "replaced");
	is_int(c->ninputs, 1, "still one input");
	st = sk_config_set(c, "domain Example.COM.", "dmarc", "reject", 0,
			   &err);
	is_int(st, SK_OK, "domain created on first use");
	ok(sk_config_domain(c, "example.com") != NULL &&
	   sk_config_domain(c, "example.com")->dmarc_stage ==
	   SK_STAGE_REJECT, "domain name normalized, stage set");
	st = sk_config_set(c, "hosts", "tracking_host", "EM.Example.com.", 0,
			   &err);
	is_str(c->tracking_host, "em.example.com", "host normalized");
	st = sk_config_set(c, "hosts", "bogus", "x", 0, &err);
	is_int(st, SK_ESYNTAX, "unknown key via set");
	is_str(err.msg, "bogus: unknown key in [hosts]",
	       "message without FILE:LINE for line 0");
	st = sk_config_set(c, "nowhere", "k", "v", 0, &err);
	is_int(st, SK_ESYNTAX, "unknown section via set");
	st = sk_config_set(c, "provider", "bad key", "v", 0, &err);
	is_int(st, SK_ESYNTAX, "bad key characters");
	st = sk_config_set(c, "organization", "ip_mode", "dedicated", 0,
			   &err);
	is_str(sk_ip_mode_str(c->ip_mode), "dedicated", "sk_ip_mode_str");
	is_str(sk_ip_mode_str(SK_IP_TRUSTED), "trusted", "trusted str");
	sk_config_free(c);
	sk_config_free(NULL);
	sk_profile_free(NULL);
}

/* ------------------------------------------------------------ validate */

struct vcase {
	const char *id;
	enum sk_severity sev;
	const char *subject;  /* expected subject */
	const char *conf;     /* [provider] is prepended (valid inputs) */
};

#define PROV "[provider]\naccount_string = a\n" \
	"default_branding_domain = mkto-a1.com\n"

static const struct vcase vcases[] = {
	{ "config-input-missing", SK_SEV_ERROR, "account_string",
	  "[provider]\ndefault_branding_domain = mkto-a1.com\n"
	  "[domain a.example]\n" },
	{ "config-input-format", SK_SEV_WARNING, "v.conf:4: munchkin_id",
	  PROV "munchkin_id = 12-AB-3\n[domain a.example]\n" },
	{ "config-input-format", SK_SEV_WARNING,
	  "v.conf:3: default_branding_domain",
	  "[provider]\naccount_string = a\n"
	  "default_branding_domain = go.example.com\n[domain a.example]\n" },
	{ "config-input-unknown", SK_SEV_WARNING, "v.conf:4: munchkin",
	  PROV "munchkin = 123-ABC-456\n[domain a.example]\n" },
	{ "config-host-invalid", SK_SEV_ERROR, "v.conf:5: landing_host",
	  PROV "[hosts]\nlanding_host = go_.-a.example\n[domain a.example]\n" },
	{ "config-host-outside", SK_SEV_WARNING, "v.conf:5: tracking_host",
	  PROV "[hosts]\ntracking_host = em.b.example\n[domain a.example]\n" },
	{ "config-host-apex", SK_SEV_ERROR, "v.conf:5: landing_host",
	  PROV "[hosts]\nlanding_host = a.example\n[domain a.example]\n" },
	{ "config-hosts-same", SK_SEV_ERROR, "v.conf:6: tracking_host",
	  PROV "[hosts]\nlanding_host = go.a.example\n"
	  "tracking_host = GO.a.example\n[domain a.example]\n" },
	{ "config-selector-invalid", SK_SEV_ERROR,
	  "v.conf:5: dkim_selectors",
	  PROV "[domain a.example]\ndkim_selectors = bad!sel\n" },
	{ "config-dkim-key", SK_SEV_ERROR, "v.conf:5: dkim_key.s",
	  PROV "[domain a.example]\ndkim_key.s = /nonexistent/key.txt\n" },
	{ "config-dkim-key-missing", SK_SEV_INFO, "v.conf:5: dkim_selectors",
	  PROV "[domain a.example]\ndkim_selectors = s\n" },
	{ "config-ip-invalid", SK_SEV_ERROR, "v.conf:6: mail_servers",
	  PROV "[domain a.example]\nmail_servers = 192.0.2.1\n"
	  "mail_servers = 192.0.2.0/40\n" },
	{ "config-mx-invalid", SK_SEV_ERROR, "v.conf:5: mx",
	  PROV "[domain a.example]\nmx = mail.a.example\n" },
	{ "config-mx-invalid", SK_SEV_ERROR, "v.conf:5: mx",
	  PROV "[domain a.example]\nmx = 70000 mail.a.example\n" },
	{ "config-uri-invalid", SK_SEV_ERROR, "v.conf:5: dmarc_rua",
	  PROV "[domain a.example]\ndmarc_rua = https://r.example/\n" },
	{ "config-uri-invalid", SK_SEV_ERROR, "v.conf:5: dmarc_ruf",
	  PROV "[domain a.example]\ndmarc_ruf = mailto:nobody\n" },
	{ "config-no-domain", SK_SEV_ERROR, "domain", PROV },
	{ "config-return-path-outside", SK_SEV_WARNING,
	  "v.conf:5: return_path",
	  PROV "[domain a.example]\nreturn_path = bounce.other.example\n" },
	{ "config-return-path-outside", SK_SEV_WARNING,
	  "v.conf:5: return_path",
	  PROV "[domain a.example]\nreturn_path = a.example\n" },
};

static void
test_validate(void)
{
	struct sk_profile *p = NULL;
	struct sk_org_config *c;
	struct sk_findings *f;
	struct sk_err err;
	sk_status st;
	size_t i;
	static const char good[] = PROV "munchkin_id = 123-ABC-456\n"
		"return_path_mx = rp.example.net\n"
		"[hosts]\nlanding_host = go.a.example\n"
		"tracking_host = em.a.example\n"
		"[domain a.example]\nmx = 10 mx.a.example, 0 .\n"
		"mail_servers = 192.0.2.1, 2001:db8::/32\n"
		"dmarc_rua = mailto:d@a.example!10m, mailto:x@y.example\n"
		"return_path = bounce.a.example\n";

	st = sk_profile_load(path_in(srcdir, "data/profiles/marketo.ini"), &p,
			     &err);
	if (st != SK_OK)
		return;
	for (i = 0; i < sizeof(vcases) / sizeof(vcases[0]); i++) {
		const struct vcase *vc = &vcases[i];
		const struct sk_finding *x = NULL;
		size_t j;

		c = NULL;
		f = NULL;
		st = sk_config_load_mem(vc->conf, strlen(vc->conf), "v.conf",
					&c, &err);
		is_int(st, SK_OK, "%s case %zu loads (%s)", vc->id, i,
		       st ? err.msg : "ok");
		if (c == NULL)
			continue;
		st = sk_config_validate(c, p, &f, &err);
		for (j = 0; j < sk_findings_count(f); j++)
			if (strcmp(sk_findings_get(f, j)->id, vc->id) == 0)
				x = sk_findings_get(f, j);
		ok(x != NULL, "%s triggered (case %zu)", vc->id, i);
		if (x != NULL) {
			is_str(x->subject, vc->subject, "%s subject", vc->id);
			is_int(x->severity, vc->sev, "%s severity", vc->id);
		}
		is_int(sk_findings_count(f), 1, "%s alone (case %zu)", vc->id,
		       i);
		if (sk_findings_count(f) != 1)
			for (j = 0; j < sk_findings_count(f); j++)
				printf("#   %s %s\n", sk_findings_get(f, j)->id,
				       sk_findings_get(f, j)->message);
		sk_findings_free(f);
		sk_config_free(c);
	}
	c = NULL;
	f = NULL;
	st = sk_config_load_mem(good, sizeof(good) - 1, "g.conf", &c, &err);
	is_int(st, SK_OK, "good config loads");
	if (c != NULL) {
		is_str(c->return_path_mx, "rp.example.net", "return_path_mx "
		       "stored");
		st = sk_config_validate(c, p, &f, &err);
		is_int(sk_findings_count(f), 0, "good config: no findings "
		       "(null MX, rua size, IPv6, return_path)");
		for (i = 0; i < sk_findings_count(f); i++)
			printf("#   %s\n", sk_findings_get(f, i)->message);
		sk_findings_free(f);
		sk_config_free(c);
	}
	/* Findings are sorted: errors first. */
	{
		static const char t[] = "[hosts]\nlanding_host = x.b.example\n"
			"[domain a.example]\nmx = bad\n";

		st = sk_config_load_mem(t, sizeof(t) - 1, "s.conf", &c, &err);
	}
	if (st == SK_OK) {
		st = sk_config_validate(c, p, &f, &err);
		ok(sk_findings_count(f) >= 3 &&
		   sk_findings_get(f, 0)->severity == SK_SEV_ERROR &&
		   sk_findings_get(f, sk_findings_count(f) - 1)->severity ==
		   SK_SEV_WARNING, "findings sorted by severity");
		sk_findings_free(f);
		sk_config_free(c);
	}
	sk_profile_free(p);
}

static void
test_expand_age(void)
{
	struct sk_org_config *c = NULL;
	struct sk_err err;
	char *s = NULL;
	sk_status st;
	static const char conf[] = "[provider]\na = one\nb_2 = two\n";

	st = sk_config_load_mem(conf, sizeof(conf) - 1, "e.conf", &c, &err);
	if (st != SK_OK)
		return;
	st = sk_profile_expand(c, "${a}.${b_2}.x${a}", &s, &err);
	is_int(st, SK_OK, "expand");
	is_str(s, "one.two.xone", "expanded text");
	free(s);
	s = NULL;
	st = sk_profile_expand(c, "$a ${a} $", &s, &err);
	is_str(s, "$a one $", "lone $ is literal");
	free(s);
	s = NULL;
	st = sk_profile_expand(c, "x.${missing}", &s, &err);
	is_int(st, SK_ENOENT, "unset input: SK_ENOENT");
	ok(strstr(err.msg, "missing") != NULL, "message names it: %s",
	   err.msg);
	ok(s == NULL, "no output on error");
	st = sk_profile_expand(c, "x.${a", &s, &err);
	is_int(st, SK_ESYNTAX, "unterminated reference");
	st = sk_profile_expand(c, "plain.example", &s, &err);
	is_str(s, "plain.example", "no references");
	free(s);
	sk_config_free(c);

	/* 2026-11-23T12:00:00Z = 1795435200 */
	is_int(sk_profile_age_days("2026-11-23", 1795435200), 0, "same day");
	is_int(sk_profile_age_days("2026-11-22", 1795435200), 1, "one day");
	is_int(sk_profile_age_days("2026-01-01", 1795435200), 326,
	       "326 days into 2026");
	is_int(sk_profile_age_days("2024-02-29", 1795435200), 998,
	       "across a leap day");
	is_int(sk_profile_age_days("2027-01-01", 1795435200), -39,
	       "future date: negative");
	is_int(sk_profile_age_days("1970-01-01", 0), 0, "epoch");
	is_int(sk_profile_age_days("1970-01-01", -1), -1,
	       "one second before the epoch is the day before");
	is_int(sk_profile_age_days("2023-02-29", 0), -1, "not a date");
	is_int(sk_profile_age_days("2026-1-1", 0), -1, "short form");
	is_int(sk_profile_age_days(NULL, 0), -1, "NULL");
}

static void
test_find(void)
{
	const char *dirs[3];
	char *path = NULL;
	struct sk_err err;
	sk_status st;
	char want[1024];

	dirs[0] = tmpdir;
	dirs[1] = path_in(srcdir, "tests/data/profiles");
	dirs[2] = NULL;
	st = sk_profile_find("examplesend", dirs, &path, &err);
	is_int(st, SK_OK, "find in the second directory");
	is_str(path, path_in(srcdir, "tests/data/profiles/examplesend.ini"),
	       "found path");
	free(path);
	path = NULL;
	st = sk_profile_find("nosuch", dirs, &path, &err);
	is_int(st, SK_ENOENT, "not found");
	ok(strstr(err.msg, tmpdir) != NULL && strstr(err.msg,
	   "tests/data/profiles") != NULL, "message names the directories: "
	   "%s", err.msg);
	st = sk_profile_find("../etc/x", dirs, &path, &err);
	is_int(st, SK_ENOENT, "a name with '/' is a path (missing)");
	st = sk_profile_find("a b", dirs, &path, &err);
	is_int(st, SK_EINVAL, "bad characters");
	snprintf(want, sizeof(want), "%s", path_in(srcdir,
		 "data/profiles/marketo.ini"));
	st = sk_profile_find(want, NULL, &path, &err);
	is_str(path, want, "a path is taken as is");
	free(path);
	path = NULL;
	setenv("SENDERKIT_PROFILES", path_in(srcdir, "tests/data/profiles"),
	       1);
	st = sk_profile_find("examplesend", NULL, &path, &err);
	is_int(st, SK_OK, "$SENDERKIT_PROFILES searched");
	free(path);
	path = NULL;
	unsetenv("SENDERKIT_PROFILES");
	st = sk_profile_find("marketo", NULL, &path, &err);
	is_int(st, SK_OK, "default: the source tree's data/profiles");
	ok(path != NULL && strstr(path, "data/profiles/marketo.ini") != NULL,
	   "default path %s", path ? path : "(null)");
	free(path);
}

static void
test_helpers(void)
{
	{
		struct sk_profile *p;
		struct sk_err err;
		sk_status st;

		p = load_profile_str(HEAD "[input a]\nregex = "
				     "^([a-z]{1,63}[.]){1,4}[a-z]{2,63}$|"
				     "^[[:digit:]]{3}-[]a-]+(x|y)?z*$\n",
				     &err, &st);
		is_int(st, SK_OK, "ordinary regexes pass the blow-up guard "
		       "(%s)", st ? err.msg : "ok");
		sk_profile_free(p);
	}
	ok(sk__prof_domain_ok("a.example", 9, false), "domain ok");
	ok(!sk__prof_domain_ok("example", 7, false), "one label refused");
	ok(!sk__prof_domain_ok("a.-b.example", 12, false), "leading hyphen");
	ok(!sk__prof_domain_ok("192.0.2.1", 9, false), "an IP is not a name");
	ok(sk__prof_domain_ok("*.a.example", 11, true), "wildcard allowed");
	ok(!sk__prof_domain_ok("*.a.example", 11, false), "wildcard refused");
	ok(!sk__prof_domain_ok("a.example.", 10, false), "trailing dot");
	ok(sk__prof_cidr_ok("2001:db8::/32", 13), "IPv6 CIDR");
	ok(!sk__prof_cidr_ok("2001:db8::/129", 14), "IPv6 prefix over 128");
	ok(!sk__prof_cidr_ok("192.0.2.0/", 10), "empty prefix");
	ok(!sk__prof_cidr_ok("192.0.2.0/+8", 12), "signed prefix");
	ok(!sk__prof_cidr_ok("192.0.2", 7), "short IPv4");
}

/* Every allocation failure gives SK_ENOMEM, no leak, no crash; the loop
 * ends when the whole operation succeeds. */
static void
test_alloc_failures(void)
{
	struct sk_profile *p = NULL;
	struct sk_org_config *c = NULL;
	struct sk_findings *f = NULL;
	struct sk_err err;
	char *ptext = NULL, *ctext = NULL, *s = NULL;
	size_t plen = 0, clen = 0, n, bad;
	sk_status st;

	if (sk__ini_read_file(path_in(srcdir, "data/profiles/marketo.ini"),
			      &ptext, &plen, &err) != SK_OK ||
	    sk__ini_read_file(path_in(srcdir, "examples/acme/acme.conf"),
			      &ctext, &clen, &err) != SK_OK) {
		ok(0, "read test inputs");
		goto out;
	}
	for (n = 0, bad = 0;; n++) {
		sk_test_fail_alloc_after(n);
		st = sk_profile_load_mem(ptext, plen, "marketo.ini", &p, &err);
		sk_test_fail_alloc_after(SIZE_MAX);
		if (st == SK_OK)
			break;
		if (st != SK_ENOMEM || p != NULL)
			bad++;
	}
	is_int(bad, 0, "profile load: %zu injected failures, all SK_ENOMEM",
	       n);
	ok(p != NULL && p->nlists == 3, "profile loads after the loop");
	for (n = 0, bad = 0;; n++) {
		/* Key paths are relative to the name's directory. */
		sk_test_fail_alloc_after(n);
		st = sk_config_load_mem(ctext, clen,
					path_in(srcdir, "examples/acme/a"),
					&c, &err);
		sk_test_fail_alloc_after(SIZE_MAX);
		if (st == SK_OK)
			break;
		if (st != SK_ENOMEM || c != NULL)
			bad++;
	}
	is_int(bad, 0, "config load: %zu injected failures, all SK_ENOMEM",
	       n);
	ok(c != NULL && c->ndomains == 2 && c->domains[0].dkim[0].record !=
	   NULL, "config loads after the loop, key record built");
	for (n = 0, bad = 0; c != NULL && p != NULL; n++) {
		sk_test_fail_alloc_after(n);
		st = sk_config_validate(c, p, &f, &err);
		sk_test_fail_alloc_after(SIZE_MAX);
		if (st == SK_OK)
			break;
		if (st != SK_ENOMEM || f != NULL)
			bad++;
	}
	is_int(bad, 0, "validate: %zu injected failures", n);
	sk_findings_free(f);
	f = NULL;
	{
		/* A config with a finding of most kinds. */
		static const char t[] = "[provider]\nmunchkin_id = x\nz = 1\n"
			"[hosts]\nlanding_host = a.example\n"
			"tracking_host = a.example\n"
			"[domain a.example]\nmx = x\nmail_servers = x\n"
			"dmarc_rua = x\ndkim_selectors = s, -\n"
			"dkim_key.k = nofile\nreturn_path = b.example\n";
		struct sk_org_config *c2 = NULL;
		size_t count = 0;

		st = sk_config_load_mem(t, sizeof(t) - 1, "f.conf", &c2, &err);
		for (n = 0, bad = 0; st == SK_OK && p != NULL; n++) {
			sk_test_fail_alloc_after(n);
			st = sk_config_validate(c2, p, &f, &err);
			sk_test_fail_alloc_after(SIZE_MAX);
			if (st == SK_OK)
				break;
			if (st != SK_ENOMEM || f != NULL)
				bad++;
			st = SK_OK;
		}
		count = sk_findings_count(f);
		is_int(bad, 0, "validate with %zu findings: %zu injected "
		       "failures", count, n);
		ok(count >= 12, "many findings (%zu)", count);
		sk_findings_free(f);
		sk_config_free(c2);
	}
	for (n = 0, bad = 0; c != NULL; n++) {
		sk_test_fail_alloc_after(n);
		st = sk_profile_expand(c, "${account_string}.mktoweb.com", &s,
				       &err);
		sk_test_fail_alloc_after(SIZE_MAX);
		if (st == SK_OK)
			break;
		if (st != SK_ENOMEM || s != NULL)
			bad++;
	}
	is_int(bad, 0, "expand: %zu injected failures", n);
	is_str(s, "acmecorp.mktoweb.com", "expand after the loop");
	free(s);
out:
	sk_profile_free(p);
	sk_config_free(c);
	free(ptext);
	free(ctext);
}

/* [host ROLE] caa_allow: a list of CA domain names (lib/https). */
static void
test_caa_allow(void)
{
	static const char base[] =
		"[profile]\nid = t\nas_of = 2026-01-01\n"
		"[input acct]\n"
		"[host landing]\nconfig_key = landing_host\n"
		"target = ${acct}.example.net\n";
	char text[1024];
	struct sk_profile *p;
	const struct sk_profile_host *h;
	struct sk_err err;
	sk_status st;

	snprintf(text, sizeof(text), "%scaa_allow = letsencrypt.org, "
		 "digicert.com\ncaa_allow = sectigo.com\n", base);
	p = load_profile_str(text, &err, &st);
	is_int(st, SK_OK, "caa_allow: loads (%s)", err.msg);
	h = p != NULL ? sk_profile_host(p, "landing") : NULL;
	ok(h != NULL && h->ncaa_allow == 3, "caa_allow: three items, "
	   "repeated key appends");
	if (h != NULL && h->ncaa_allow == 3) {
		is_str(h->caa_allow[0], "letsencrypt.org", "caa_allow 0");
		is_str(h->caa_allow[2], "sectigo.com", "caa_allow 2");
	}
	sk_profile_free(p);
	snprintf(text, sizeof(text), "%scaa_allow = lets encrypt\n", base);
	profile_error(text, 5, "caa_allow", "caa_allow not a domain");
}

int
main(int argc, char **argv)
{
	tap_plan_unknown();
	if (argc < 2) {
		printf("Bail out! usage: test_profile SOURCE_ROOT\n");
		return 1;
	}
	srcdir = argv[1];
	if (mkdtemp(tmpdir) == NULL) {
		printf("Bail out! mkdtemp\n");
		return 1;
	}
	unsetenv("SENDERKIT_PROFILES");
	test_helpers();
	test_marketo();
	test_second_profile();
	test_ini_features();
	test_profile_errors();
	test_caa_allow();
	test_key_files();
	test_acme();
	test_config_errors();
	test_config_set();
	test_validate();
	test_expand_age();
	test_find();
	test_alloc_failures();
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
		if (system(cmd) != 0)
			printf("# could not remove %s\n", tmpdir);
	}
	return tap_done();
}
