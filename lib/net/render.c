/*
 * lib/net/render.c - an allowlist in the formats firewalls, web servers,
 * proxies and mail filters read.  References per format:
 *
 *   nftables      nft(8) "SETS": interval sets, elements = { ... };
 *   iptables      iptables-restore(8), iptables(8) -s, -j ACCEPT;
 *   pf            pf.conf(5) "TABLES": table <name> const { ... };
 *   aws           EC2 API IpPermission / IpRange / Ipv6Range;
 *   azure         ARM Microsoft.Network/networkSecurityGroups/
 *                 securityRules (one address family per rule);
 *   gcp           Compute Engine firewalls resource (one family per rule);
 *   nginx         ngx_http_access_module allow / deny;
 *   apache        mod_authz_host "Require ip", mod_authz_core RequireAny;
 *   haproxy       configuration manual 7.1 "acl", 7.3.3 "src";
 *   postfix       cidr_table(5), access(5) result "OK";
 *   spamassassin  Mail::SpamAssassin::Conf trusted_networks;
 *   csv           RFC 4180;  json  RFC 8259;
 *   ranges        first-last pairs (Google Workspace IP lists);
 *   squid         squid.conf "acl dstdomain": a leading dot matches the
 *                 domain itself and every subdomain;
 *   pac           Netscape PAC: FindProxyForURL, dnsDomainIs.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "allowlist_internal.h"

#define SK_RENDER_MAX (64u * 1024 * 1024)

static const char *const format_names[SK_ALF_COUNT_] = {
	[SK_ALF_NFTABLES] = "nftables",
	[SK_ALF_IPTABLES] = "iptables",
	[SK_ALF_IP6TABLES] = "ip6tables",
	[SK_ALF_PF] = "pf",
	[SK_ALF_AWS] = "aws",
	[SK_ALF_AZURE] = "azure",
	[SK_ALF_GCP] = "gcp",
	[SK_ALF_NGINX] = "nginx",
	[SK_ALF_APACHE] = "apache",
	[SK_ALF_HAPROXY] = "haproxy",
	[SK_ALF_POSTFIX] = "postfix",
	[SK_ALF_SPAMASSASSIN] = "spamassassin",
	[SK_ALF_CSV] = "csv",
	[SK_ALF_JSON] = "json",
	[SK_ALF_RANGES] = "ranges",
	[SK_ALF_SQUID] = "squid",
	[SK_ALF_PAC] = "pac",
	[SK_ALF_HOSTS] = "hosts",
};

SK_API bool
sk_allowlist_format_parse(const char *name, enum sk_allowlist_format *out)
{
	int i;

	if (name == NULL)
		return false;
	if (sk__eq_nocase_z(name, strlen(name), "nft")) {
		*out = SK_ALF_NFTABLES;
		return true;
	}
	for (i = 0; i < SK_ALF_COUNT_; i++) {
		if (sk__eq_nocase_z(name, strlen(name), format_names[i])) {
			*out = (enum sk_allowlist_format)i;
			return true;
		}
	}
	return false;
}

SK_API const char *
sk_allowlist_format_name(enum sk_allowlist_format f)
{
	if ((int)f < 0 || f >= SK_ALF_COUNT_)
		return "unknown";
	return format_names[f];
}

SK_API bool
sk_allowlist_format_is_domain(enum sk_allowlist_format f)
{
	return f == SK_ALF_SQUID || f == SK_ALF_PAC || f == SK_ALF_HOSTS;
}

/* ------------------------------------------------------------ helpers */

struct blk {
	struct sk_cidr c;
	struct sk__rng r;
};

struct rctx {
	const struct sk_allowlist *al;
	const struct sk_allowlist_render_opts *o;
	struct sk_buf *b;
	struct blk *blk;
	size_t nblk, n4;        /* blocks; the IPv4 ones come first */
	const struct sk__al_domain **dom;
	size_t ndom;
	char base[96];          /* identifier base before per-format rules */
	sk_status st;           /* sticky */
};

static void SK_PRINTF(2, 3)
out(struct rctx *x, const char *fmt, ...)
{
	va_list ap;

	if (x->st != SK_OK)
		return;
	va_start(ap, fmt);
	x->st = sk__buf_vprintf(x->b, fmt, ap);
	va_end(ap);
}

/* Text safe inside a one-line comment: control bytes become blanks. */
static void
out_comment_text(struct rctx *x, const char *s)
{
	for (; s != NULL && *s != '\0' && x->st == SK_OK; s++) {
		unsigned char c = (unsigned char)*s;

		x->st = sk__buf_addc(x->b, c < 0x20 || c == 0x7f ? ' ' :
				     (char)c);
	}
}

/* A JSON string (RFC 8259 section 7); invalid UTF-8 bytes become '?'. */
static void
out_json_str(struct rctx *x, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = s != NULL ? strlen(s) : 0, i = 0, k;

	if (s == NULL) {
		out(x, "null");
		return;
	}
	out(x, "\"");
	while (i < n && x->st == SK_OK) {
		if (p[i] == '"' || p[i] == '\\') {
			out(x, "\\%c", p[i]);
			i++;
		} else if (p[i] < 0x20 || p[i] == 0x7f) {
			out(x, "\\u%04x", p[i]);
			i++;
		} else {
			k = sk__utf8_seq(p + i, n - i, NULL);
			if (k == 0) {
				out(x, "?");
				k = 1;
			} else {
				x->st = sk__buf_add(x->b, p + i, k);
			}
			i += k;
		}
	}
	out(x, "\"");
}

/* A CSV field (RFC 4180 section 2): quoted when it holds , " or a line
 * break. */
static void
out_csv(struct rctx *x, const char *s)
{
	if (s == NULL)
		s = "";
	if (strpbrk(s, ",\"\r\n") == NULL) {
		out(x, "%s", s);
		return;
	}
	out(x, "\"");
	for (; *s != '\0'; s++) {
		if (*s == '"')
			out(x, "\"\"");
		else
			out(x, "%c", *s);
	}
	out(x, "\"");
}

enum id_style {
	ID_LOWER_US,   /* [a-z0-9_], starts with a letter (nft, pf, acl) */
	ID_UPPER_DASH, /* [A-Z0-9-], at most 28 (iptables chain) */
	ID_LOWER_DASH, /* [a-z0-9-], starts with a letter, ends alnum, at
			  most 63 (GCP and Azure resource names) */
};

static void
make_ident(const char *src, enum id_style st, char *dst, size_t size)
{
	size_t o = 0, max = size - 1;

	if (st == ID_UPPER_DASH && max > 28)
		max = 28;
	if (st == ID_LOWER_DASH && max > 63)
		max = 63;
	if (!sk__isalpha(src[0]) && st != ID_UPPER_DASH) {
		dst[o++] = 's';
		dst[o++] = 'k';
		dst[o++] = st == ID_LOWER_DASH ? '-' : '_';
	}
	for (; *src != '\0' && o < max; src++) {
		char c = *src;

		if (st == ID_UPPER_DASH)
			c = (c >= 'a' && c <= 'z') ? (char)(c - 32) : c;
		else
			c = sk__lower(c);
		if (sk__isalnum(c))
			dst[o++] = c;
		else if (st == ID_LOWER_US)
			dst[o++] = '_';
		else
			dst[o++] = '-';
	}
	while (st == ID_LOWER_DASH && o > 1 && dst[o - 1] == '-')
		o--;
	dst[o] = '\0';
}

static const char *
profile_id(const struct sk_allowlist *al)
{
	return al->profile->id != NULL ? al->profile->id : "provider";
}

static const char *
profile_title(const struct sk_allowlist *al)
{
	if (al->profile->display_name != NULL)
		return al->profile->display_name;
	return profile_id(al);
}

/* Comment header: what the output holds and where each list comes
 * from.  `c` is the comment leader ("#", "//"). */
static void
header(struct rctx *x, const char *c, bool domains)
{
	const struct sk_allowlist *al = x->al;
	size_t i;

	out(x, "%s senderkit allowlist: ", c);
	out_comment_text(x, profile_title(al));
	out(x, " (profile ");
	out_comment_text(x, profile_id(al));
	out(x, "), set ");
	out_comment_text(x, al->set_name);
	out(x, "\n");
	if (domains)
		out(x, "%s %zu domain pattern%s\n", c, x->ndom,
		    x->ndom == 1 ? "" : "s");
	else
		out(x, "%s %zu block%s from %zu list item%s%s\n", c, x->nblk,
		    x->nblk == 1 ? "" : "s", al->nitems,
		    al->nitems == 1 ? "" : "s",
		    x->o->as_listed ? ", as listed" :
		    ", aggregated (overlapping and adjacent blocks merged)");
	for (i = 0; i < al->nlists; i++) {
		const struct sk_profile_list *l = al->lists[i];
		bool isdom = l->kind != NULL && strcmp(l->kind, "domain") == 0;

		if (isdom != domains)
			continue;
		out(x, "%s list ", c);
		out_comment_text(x, l->name);
		if (l->purpose != NULL) {
			out(x, ": ");
			out_comment_text(x, l->purpose);
		}
		out(x, "\n%s   source: ", c);
		out_comment_text(x, l->source != NULL ? l->source : "(none)");
		out(x, "\n%s   as of: ", c);
		out_comment_text(x, l->as_of != NULL ? l->as_of : "(unknown)");
		out(x, "\n");
	}
	if (x->o->generator != NULL) {
		out(x, "%s generated by ", c);
		out_comment_text(x, x->o->generator);
		out(x, "\n");
	}
}

static int
blk_cmp(const void *va, const void *vb)
{
	const struct blk *a = va, *b = vb;
	int c;

	if (a->r.af != b->r.af)
		return a->r.af < b->r.af ? -1 : 1;
	c = sk__u128_cmp(a->r.first, b->r.first);
	if (c != 0)
		return c;
	return sk__u128_cmp(a->r.last, b->r.last);
}

static sk_status
push_blk(struct rctx *x, size_t *alloc, const struct sk_cidr *c)
{
	struct blk *nb;

	if (x->nblk == *alloc) {
		nb = sk__grow(x->blk, alloc, sizeof(*nb), 32);
		if (nb == NULL)
			return SK_ENOMEM;
		x->blk = nb;
	}
	x->blk[x->nblk].c = *c;
	sk__cidr_rng(c, &x->blk[x->nblk].r);
	x->nblk++;
	return SK_OK;
}

/* The blocks to write: the aggregated set, or each item as listed
 * (ranges split into blocks, exact duplicates once). */
static sk_status
collect_blocks(struct rctx *x)
{
	struct sk_cidrset_iter it;
	struct sk_cidr c;
	size_t alloc = 0, i, o;
	sk_status st = SK_OK;

	if (!x->o->as_listed) {
		sk_cidrset_iter_init(&it);
		while (st == SK_OK && sk_cidrset_next(x->al->set, &it, &c))
			st = push_blk(x, &alloc, &c);
	} else {
		for (i = 0; st == SK_OK && i < x->al->nitems; i++) {
			const struct sk__al_item *ai = &x->al->items[i];
			struct sk__u128 pos = ai->rng.first, next;
			unsigned prefix;
			bool more = true;

			while (st == SK_OK && more) {
				more = sk__rng_block(ai->rng.af, pos,
						     ai->rng.last, &prefix,
						     &next);
				memset(&c, 0, sizeof(c));
				sk__u128_to_ip(pos, ai->rng.af, &c.addr);
				c.prefix = (uint8_t)prefix;
				st = push_blk(x, &alloc, &c);
				pos = next;
			}
		}
		if (st == SK_OK && x->nblk > 1) {
			qsort(x->blk, x->nblk, sizeof(*x->blk), blk_cmp);
			for (i = 1, o = 0; i < x->nblk; i++)
				if (blk_cmp(&x->blk[i], &x->blk[o]) != 0)
					x->blk[++o] = x->blk[i];
			x->nblk = o + 1;
		}
	}
	for (x->n4 = 0; x->n4 < x->nblk &&
	     x->blk[x->n4].r.af == SK_AF_INET; x->n4++)
		;
	return st;
}

/* Is domain a covered by domain b?  Wildcards are the provider's
 * meaning ("*.d": subdomains of d); with `dot_self`, a wildcard also
 * covers d itself (Squid's ".d"). */
static bool
dom_covered(const struct sk__al_domain *a, const struct sk__al_domain *b,
	    bool dot_self)
{
	size_t la = strlen(a->name), lb = strlen(b->name);

	if (!b->wildcard) {
		return !a->wildcard && la == lb &&
		       strcmp(a->name, b->name) == 0;
	}
	if (la == lb && strcmp(a->name, b->name) == 0)
		return a->wildcard || dot_self;
	return la > lb + 1 && a->name[la - lb - 1] == '.' &&
	       strcmp(a->name + la - lb, b->name) == 0;
}

static sk_status
collect_domains(struct rctx *x, bool dot_self)
{
	const struct sk_allowlist *al = x->al;
	size_t i, j;
	bool drop;

	x->dom = sk__calloc(al->ndomains > 0 ? al->ndomains : 1,
			    sizeof(*x->dom));
	if (x->dom == NULL)
		return SK_ENOMEM;
	for (i = 0; i < al->ndomains; i++) {
		drop = false;
		for (j = 0; j < al->ndomains && !drop; j++) {
			if (i == j || !dom_covered(&al->domains[i],
						   &al->domains[j], dot_self))
				continue;
			/* Mutual cover (duplicates): keep the first. */
			drop = !dom_covered(&al->domains[j],
					    &al->domains[i], dot_self) ||
			       j < i;
		}
		if (!drop)
			x->dom[x->ndom++] = &al->domains[i];
	}
	return SK_OK;
}

static void
out_cidr(struct rctx *x, const struct blk *b)
{
	char t[SK_CIDR_STRLEN];

	/* Single hosts as bare addresses, which every format takes. */
	if (b->c.prefix == sk__af_bits(b->c.addr.af))
		sk_ip_format(&b->c.addr, t, sizeof(t));
	else
		sk_cidr_format(&b->c, t, sizeof(t));
	out(x, "%s", t);
}

/* Lists with an item overlapping block b. */
static size_t
blk_lists(const struct rctx *x, const struct blk *b,
	  const struct sk_profile_list **l, size_t max)
{
	size_t i, j, n = 0;
	bool have;

	for (i = 0; i < x->al->nitems; i++) {
		const struct sk__al_item *it = &x->al->items[i];

		if (it->rng.af != b->r.af ||
		    sk__u128_cmp(it->rng.last, b->r.first) < 0 ||
		    sk__u128_cmp(it->rng.first, b->r.last) > 0)
			continue;
		have = false;
		for (j = 0; j < n; j++)
			have = have || l[j] == it->list;
		if (!have && n < max)
			l[n++] = it->list;
	}
	return n;
}

/* ---------------------------------------------------------- formats */

static void
r_nftables(struct rctx *x)
{
	char set[80];
	size_t f, i, lo, hi;

	out(x, "#!/usr/sbin/nft -f\n");
	header(x, "#", false);
	make_ident(x->base, ID_LOWER_US, set, sizeof(set) - 4);
	out(x, "#\n# Adds interval sets to table inet filter (created if "
	    "missing; an existing\n# table keeps its rules).  Allow them in "
	    "your input chain, e.g.\n");
	if (x->n4 > 0)
		out(x, "#   ip saddr @%s_v4%s accept\n", set,
		    x->o->port ? " tcp dport PORT" : "");
	if (x->nblk > x->n4)
		out(x, "#   ip6 saddr @%s_v6%s accept\n", set,
		    x->o->port ? " tcp dport PORT" : "");
	if (x->o->port)
		out(x, "# with PORT = %u.\n", x->o->port);
	out(x, "table inet filter {\n");
	for (f = 0; f < 2; f++) {
		lo = f == 0 ? 0 : x->n4;
		hi = f == 0 ? x->n4 : x->nblk;
		if (lo == hi)
			continue;
		out(x, "\tset %s_v%d {\n\t\ttype %s\n\t\tflags interval\n",
		    set, f == 0 ? 4 : 6, f == 0 ? "ipv4_addr" : "ipv6_addr");
		if (x->o->as_listed)
			out(x, "\t\tauto-merge\n");
		out(x, "\t\telements = {\n");
		for (i = lo; i < hi; i++) {
			out(x, "\t\t\t");
			out_cidr(x, &x->blk[i]);
			out(x, "%s\n", i + 1 < hi ? "," : "");
		}
		out(x, "\t\t}\n\t}\n");
	}
	out(x, "}\n");
}

static void
r_iptables(struct rctx *x, bool v6)
{
	char chain[32], port[40] = "";
	size_t i, lo = v6 ? x->n4 : 0, hi = v6 ? x->nblk : x->n4;
	const char *prog = v6 ? "ip6tables" : "iptables";

	header(x, "#", false);
	make_ident(x->base, ID_UPPER_DASH, chain, sizeof(chain));
	if (x->o->port)
		snprintf(port, sizeof(port), " -p tcp -m tcp --dport %u",
			 x->o->port);
	out(x, "#\n# Load with %s-restore --noflush (without --noflush it "
	    "flushes every\n# chain of the filter table), then send "
	    "traffic through the chain:\n#   %s -I INPUT -j %s\n", prog,
	    prog, chain);
	if (v6 && x->n4 > 0)
		out(x, "# %zu IPv4 block%s not here: render them with "
		    "--format iptables.\n", x->n4, x->n4 == 1 ? " is" :
		    "s are");
	if (!v6 && x->nblk > x->n4)
		out(x, "# %zu IPv6 block%s not here: render them with "
		    "--format ip6tables.\n", x->nblk - x->n4,
		    x->nblk - x->n4 == 1 ? " is" : "s are");
	out(x, "*filter\n:%s - [0:0]\n", chain);
	for (i = lo; i < hi; i++) {
		char t[SK_CIDR_STRLEN];

		sk_cidr_format(&x->blk[i].c, t, sizeof(t));
		out(x, "-A %s -s %s%s -j ACCEPT\n", chain, t, port);
	}
	out(x, "COMMIT\n");
}

static void
r_pf(struct rctx *x)
{
	char name[80];
	size_t i;

	header(x, "#", false);
	make_ident(x->base, ID_LOWER_US, name, sizeof(name));
	out(x, "#\n# Use the table in a rule, e.g.\n#   pass in quick ");
	if (x->o->port)
		out(x, "proto tcp from <%s> to any port %u\n", name,
		    x->o->port);
	else
		out(x, "from <%s> to any\n", name);
	out(x, "table <%s> const {", name);
	for (i = 0; i < x->nblk; i++) {
		out(x, "%s \\\n\t", i > 0 ? "," : "");
		out_cidr(x, &x->blk[i]);
	}
	out(x, " }\n");
}

/* Provenance in one line: "profile lists (as of dates)". */
static void
provenance(struct rctx *x, const struct blk *b, char *buf, size_t size)
{
	const struct sk_profile_list *l[16];
	size_t n, i, o;
	int m;

	n = b != NULL ? blk_lists(x, b, l, 16) : 0;
	if (b == NULL)
		for (i = 0; i < x->al->nlists && n < 16; i++)
			l[n++] = x->al->lists[i];
	m = snprintf(buf, size, "%s", profile_id(x->al));
	o = m > 0 ? (size_t)m : 0;
	for (i = 0; i < n && o < size; i++) {
		m = snprintf(buf + o, size - o, "%s%s as of %s",
			     i == 0 ? " " : ", ", l[i]->name,
			     l[i]->as_of != NULL ? l[i]->as_of : "?");
		o += m > 0 ? (size_t)m : 0;
	}
}

/* Keep the characters AWS allows in a rule description. */
static void
aws_clean(char *s)
{
	static const char ok[] = ". _-:/()#,@[]+=&;{}!$*";

	for (; *s != '\0'; s++)
		if (!sk__isalnum(*s) && strchr(ok, *s) == NULL)
			*s = '_';
}

static void
r_aws(struct rctx *x)
{
	char desc[256], t[SK_CIDR_STRLEN];
	size_t i;

	out(x, "[\n  {\n");
	if (x->o->port)
		out(x, "    \"IpProtocol\": \"tcp\",\n    \"FromPort\": %u,\n"
		    "    \"ToPort\": %u,\n", x->o->port, x->o->port);
	else
		out(x, "    \"IpProtocol\": \"-1\",\n");
	for (int f = 0; f < 2; f++) {
		size_t lo = f == 0 ? 0 : x->n4, hi = f == 0 ? x->n4 : x->nblk;

		out(x, "    \"%s\": [", f == 0 ? "IpRanges" : "Ipv6Ranges");
		for (i = lo; i < hi; i++) {
			sk_cidr_format(&x->blk[i].c, t, sizeof(t));
			provenance(x, &x->blk[i], desc, sizeof(desc));
			aws_clean(desc);
			out(x, "%s\n      {\"%s\": \"%s\", \"Description\": ",
			    i > lo ? "," : "", f == 0 ? "CidrIp" : "CidrIpv6",
			    t);
			out_json_str(x, desc);
			out(x, "}");
		}
		out(x, "%s]%s\n", hi > lo ? "\n    " : "", f == 0 ? "," : "");
	}
	out(x, "  }\n]\n");
}

static void
r_azure_gcp(struct rctx *x, bool gcp)
{
	char name[80], base[112], desc[512], t[SK_CIDR_STRLEN];
	size_t i, nrules = 0;

	provenance(x, NULL, desc, sizeof(desc));
	if (!gcp && strlen(desc) > 140)
		desc[140] = '\0'; /* Azure: description of 140 at most */
	snprintf(base, sizeof(base), "allow-%s", x->base);
	out(x, "[");
	for (int f = 0; f < 2; f++) {
		size_t lo = f == 0 ? 0 : x->n4, hi = f == 0 ? x->n4 : x->nblk;
		char nm[128];

		if (lo == hi)
			continue;
		snprintf(nm, sizeof(nm), "%s-v%d", base, f == 0 ? 4 : 6);
		make_ident(nm, ID_LOWER_DASH, name, sizeof(name));
		out(x, "%s\n  {\n    \"name\": \"%s\",\n", nrules ? "," : "",
		    name);
		if (gcp) {
			out(x, "    \"description\": ");
			out_json_str(x, desc);
			out(x, ",\n    \"direction\": \"INGRESS\",\n"
			    "    \"priority\": 1000,\n    \"sourceRanges\": [");
		} else {
			out(x, "    \"properties\": {\n"
			    "      \"description\": ");
			out_json_str(x, desc);
			out(x, ",\n      \"protocol\": \"%s\",\n"
			    "      \"sourcePortRange\": \"*\",\n"
			    "      \"destinationAddressPrefix\": \"*\",\n",
			    x->o->port ? "Tcp" : "*");
			if (x->o->port)
				out(x, "      \"destinationPortRange\": "
				    "\"%u\",\n", x->o->port);
			else
				out(x, "      \"destinationPortRange\": "
				    "\"*\",\n");
			out(x, "      \"access\": \"Allow\",\n"
			    "      \"priority\": %zu,\n"
			    "      \"direction\": \"Inbound\",\n"
			    "      \"sourceAddressPrefixes\": [",
			    200 + nrules);
		}
		for (i = lo; i < hi; i++) {
			sk_cidr_format(&x->blk[i].c, t, sizeof(t));
			out(x, "%s\n%s\"%s\"", i > lo ? "," : "",
			    gcp ? "      " : "        ", t);
		}
		if (gcp) {
			out(x, "\n    ],\n    \"allowed\": [");
			if (x->o->port)
				out(x, "{\"IPProtocol\": \"tcp\", \"ports\": "
				    "[\"%u\"]}]\n  }", x->o->port);
			else
				out(x, "{\"IPProtocol\": \"all\"}]\n  }");
		} else {
			out(x, "\n      ]\n    }\n  }");
		}
		nrules++;
	}
	out(x, "%s]\n", nrules ? "\n" : "");
}

static void
r_nginx(struct rctx *x)
{
	size_t i;

	header(x, "#", false);
	out(x, "#\n# ngx_http_access_module: include in an http, server or "
	    "location block.\n");
	for (i = 0; i < x->nblk; i++) {
		out(x, "allow ");
		out_cidr(x, &x->blk[i]);
		out(x, ";\n");
	}
	out(x, "deny all;\n");
}

static void
r_apache(struct rctx *x)
{
	size_t i;

	header(x, "#", false);
	out(x, "#\n# mod_authz_host: Include in a <Directory>, <Location> "
	    "or .htaccess.\n<RequireAny>\n");
	for (i = 0; i < x->nblk; i++) {
		out(x, "    Require ip ");
		out_cidr(x, &x->blk[i]);
		out(x, "\n");
	}
	if (x->nblk == 0)
		out(x, "    Require all denied\n");
	out(x, "</RequireAny>\n");
}

/* Up to `per` blocks a line after `lead` (HAProxy takes at most 64 words
 * a line, SpamAssassin reads long lines but people do not). */
static void
per_line(struct rctx *x, const char *lead, size_t per)
{
	size_t i;

	for (i = 0; i < x->nblk; i++) {
		if (i % per == 0)
			out(x, "%s%s", i > 0 ? "\n" : "", lead);
		out(x, " ");
		out_cidr(x, &x->blk[i]);
	}
	if (x->nblk > 0)
		out(x, "\n");
}

static void
r_haproxy(struct rctx *x)
{
	char name[80], lead[100];

	header(x, "#", false);
	make_ident(x->base, ID_LOWER_US, name, sizeof(name));
	out(x, "#\n# For a frontend or listen section; then e.g.\n"
	    "#   tcp-request connection reject unless %s\n", name);
	snprintf(lead, sizeof(lead), "acl %s src", name);
	per_line(x, lead, 8);
}

static void
r_postfix(struct rctx *x)
{
	size_t i;

	header(x, "#", false);
	out(x, "#\n# A cidr_table(5), e.g. in main.cf:\n"
	    "#   smtpd_client_restrictions = check_client_access "
	    "cidr:/etc/postfix/%s.cidr, ...\n", x->base);
	for (i = 0; i < x->nblk; i++) {
		out_cidr(x, &x->blk[i]);
		out(x, "\tOK\n");
	}
}

static void
r_spamassassin(struct rctx *x)
{
	header(x, "#", false);
	out(x, "#\n# For local.cf: relays in trusted_networks are not "
	    "checked against DNSBLs.\n");
	per_line(x, "trusted_networks", 8);
}

static void
r_ranges(struct rctx *x)
{
	char t[2 * SK_IP_STRLEN];
	struct sk_iprange r;
	size_t i;

	header(x, "#", false);
	out(x, "#\n# First-last address pairs, as Google Workspace IP lists "
	    "take them.\n");
	if (x->al->profile->envelope.default_domain != NULL) {
		out(x, "# Filters keyed on the envelope sender (Return-Path) "
		    "match: *.");
		out_comment_text(x, x->al->profile->envelope.default_domain);
		out(x, "\n");
	}
	if (!x->o->as_listed) {
		/* The aggregated ranges: one line each, not one per block. */
		for (i = 0; sk_cidrset_range(x->al->set, i, &r); i++) {
			sk_iprange_format(&r, t, sizeof(t));
			out(x, "%s\n", t);
		}
		return;
	}
	for (i = 0; i < x->nblk; i++) {
		sk__rng_to_range(&x->blk[i].r, &r);
		sk_iprange_format(&r, t, sizeof(t));
		out(x, "%s\n", t);
	}
}

static void
r_csv(struct rctx *x)
{
	const struct sk_profile_list *l[16];
	char t[SK_CIDR_STRLEN], a[SK_IP_STRLEN];
	struct sk_iprange r;
	size_t i, j, n;

	out(x, "cidr,first,last,family,list,source,as_of\n");
	for (i = 0; i < x->nblk; i++) {
		n = blk_lists(x, &x->blk[i], l, 16);
		sk_cidr_format(&x->blk[i].c, t, sizeof(t));
		sk__rng_to_range(&x->blk[i].r, &r);
		for (j = 0; j < n; j++) {
			out(x, "%s,", t);
			sk_ip_format(&r.first, a, sizeof(a));
			out(x, "%s,", a);
			sk_ip_format(&r.last, a, sizeof(a));
			out(x, "%s,ipv%d,", a, x->blk[i].r.af);
			out_csv(x, l[j]->name);
			out(x, ",");
			out_csv(x, l[j]->source);
			out(x, ",");
			out_csv(x, l[j]->as_of);
			out(x, "\n");
		}
	}
}

static void
r_json(struct rctx *x)
{
	const struct sk_allowlist *al = x->al;
	const struct sk_profile_list *l[16];
	char t[SK_CIDR_STRLEN], a[SK_IP_STRLEN];
	struct sk_iprange r;
	size_t i, j, n;

	out(x, "{\n  \"generator\": ");
	out_json_str(x, x->o->generator);
	out(x, ",\n  \"profile\": {\"id\": ");
	out_json_str(x, profile_id(al));
	out(x, ", \"display_name\": ");
	out_json_str(x, al->profile->display_name);
	out(x, ", \"as_of\": ");
	out_json_str(x, al->profile->as_of);
	out(x, "},\n  \"set\": ");
	out_json_str(x, al->set_name);
	out(x, ",\n  \"aggregated\": %s,\n  \"return_path_pattern\": ",
	    x->o->as_listed ? "false" : "true");
	if (al->profile->envelope.default_domain != NULL) {
		char rp[300];

		snprintf(rp, sizeof(rp), "*.%s",
			 al->profile->envelope.default_domain);
		out_json_str(x, rp);
	} else {
		out(x, "null");
	}
	out(x, ",\n  \"lists\": [");
	for (i = 0; i < al->nlists; i++) {
		const struct sk_profile_list *pl = al->lists[i];

		out(x, "%s\n    {\"name\": ", i ? "," : "");
		out_json_str(x, pl->name);
		out(x, ", \"kind\": ");
		out_json_str(x, pl->kind);
		out(x, ", \"purpose\": ");
		out_json_str(x, pl->purpose);
		out(x, ", \"source\": ");
		out_json_str(x, pl->source);
		out(x, ", \"as_of\": ");
		out_json_str(x, pl->as_of);
		out(x, ", \"count\": %zu}", pl->count);
	}
	out(x, "%s],\n  \"blocks\": [", al->nlists ? "\n  " : "");
	for (i = 0; i < x->nblk; i++) {
		sk_cidr_format(&x->blk[i].c, t, sizeof(t));
		sk__rng_to_range(&x->blk[i].r, &r);
		out(x, "%s\n    {\"cidr\": \"%s\", ", i ? "," : "", t);
		sk_ip_format(&r.first, a, sizeof(a));
		out(x, "\"first\": \"%s\", ", a);
		sk_ip_format(&r.last, a, sizeof(a));
		out(x, "\"last\": \"%s\", \"family\": \"ipv%d\", "
		    "\"lists\": [", a, x->blk[i].r.af);
		n = blk_lists(x, &x->blk[i], l, 16);
		for (j = 0; j < n; j++) {
			out(x, "%s", j ? ", " : "");
			out_json_str(x, l[j]->name);
		}
		out(x, "]}");
	}
	out(x, "%s],\n  \"domains\": [", x->nblk ? "\n  " : "");
	for (i = 0; i < x->ndom; i++) {
		const struct sk__al_domain *d = x->dom[i];

		out(x, "%s\n    {\"pattern\": ", i ? "," : "");
		out_json_str(x, d->item);
		out(x, ", \"domain\": ");
		out_json_str(x, d->name);
		out(x, ", \"subdomains\": true, \"domain_itself\": %s, "
		    "\"list\": ", d->wildcard ? "false" : "true");
		out_json_str(x, d->list->name);
		out(x, "}");
	}
	out(x, "%s]\n}\n", x->ndom ? "\n  " : "");
}

static void
wildcard_note(struct rctx *x, const char *c)
{
	out(x, "%s\n%s Wildcards: the provider's \"*.NAME\" means every "
	    "subdomain of NAME, not\n%s NAME itself.\n", c, c, c);
}

static void
r_squid(struct rctx *x)
{
	char name[80];
	size_t i, nbare = 0;

	header(x, "#", true);
	make_ident(x->base, ID_LOWER_US, name, sizeof(name));
	wildcard_note(x, "#");
	out(x, "# Squid's leading dot (\".NAME\") matches NAME itself AND "
	    "every subdomain,\n# so this ACL also allows the bare domains:");
	for (i = 0; i < x->ndom; i++) {
		if (!x->dom[i]->wildcard)
			continue;
		out(x, "%s\n#   %s", nbare++ ? "," : "", x->dom[i]->name);
	}
	if (nbare == 0)
		out(x, " (none)");
	out(x, "\n# Then allow it before your final deny, e.g.\n"
	    "#   http_access allow %s\n", name);
	for (i = 0; i < x->ndom; i++)
		out(x, "acl %s dstdomain %s%s\n", name,
		    x->dom[i]->wildcard ? "." : "", x->dom[i]->name);
}

static bool
safe_proxy(const char *s)
{
	for (; *s != '\0'; s++)
		if (!sk__isalnum(*s) && strchr(" .:;_-[]", *s) == NULL)
			return false;
	return true;
}

static void
r_pac(struct rctx *x)
{
	const char *proxy = x->o->proxy != NULL ? x->o->proxy :
			    "PROXY proxy.invalid:3128";
	size_t i;

	header(x, "//", true);
	wildcard_note(x, "//");
	out(x, "// dnsDomainIs(h, \".NAME\") is true for the subdomains of "
	    "NAME only, which\n// is that meaning.  Other hosts go to: ");
	out_comment_text(x, proxy);
	out(x, "\nfunction FindProxyForURL(url, host) {\n"
	    "\tvar h = host.toLowerCase();\n\n"
	    "\tif (h.charAt(h.length - 1) == \".\")\n"
	    "\t\th = h.substring(0, h.length - 1);\n");
	if (x->ndom > 0) {
		out(x, "\tif (");
		for (i = 0; i < x->ndom; i++) {
			if (i > 0)
				out(x, " ||\n\t    ");
			if (x->dom[i]->wildcard)
				out(x, "dnsDomainIs(h, \".%s\")",
				    x->dom[i]->name);
			else
				out(x, "h == \"%s\"", x->dom[i]->name);
		}
		out(x, ")\n\t\treturn \"DIRECT\";\n");
	}
	out(x, "\treturn \"%s\";\n}\n", proxy);
}

static void
r_hosts(struct rctx *x)
{
	size_t i;

	header(x, "#", true);
	wildcard_note(x, "#");
	for (i = 0; i < x->ndom; i++)
		out(x, "%s%s\n", x->dom[i]->wildcard ? "*." : "",
		    x->dom[i]->name);
}

SK_API sk_status
sk_allowlist_render(const struct sk_allowlist *al, enum sk_allowlist_format f,
		    const struct sk_allowlist_render_opts *opts, char **outp,
		    struct sk_err *err)
{
	static const struct sk_allowlist_render_opts defaults;
	struct sk_buf b;
	struct rctx x;
	char raw[96];
	bool dom = sk_allowlist_format_is_domain(f);

	if (outp != NULL)
		*outp = NULL;
	if (al == NULL || outp == NULL || (int)f < 0 || f >= SK_ALF_COUNT_)
		return sk__err(err, SK_EINVAL, "no allowlist or bad format");
	if (opts == NULL)
		opts = &defaults;
	if (opts->proxy != NULL && !safe_proxy(opts->proxy))
		return sk__err(err, SK_EINVAL, "PAC proxy '%s': only letters, "
			       "digits, blanks and .:;_-[] are allowed",
			       opts->proxy);
	if (opts->port > 65535)
		return sk__err(err, SK_EINVAL, "port %u is over 65535",
			       opts->port);
	if (dom && al->ndomains == 0)
		return sk__err(err, SK_EINVAL, "format %s takes domain lists; "
			       "set %s has none", format_names[f],
			       al->set_name);
	if (!dom && f != SK_ALF_JSON && al->nitems == 0)
		return sk__err(err, SK_EINVAL, "format %s takes address "
			       "lists; set %s has none", format_names[f],
			       al->set_name);
	memset(&x, 0, sizeof(x));
	sk__buf_init(&b, SK_RENDER_MAX);
	x.al = al;
	x.o = opts;
	x.b = &b;
	if (opts->name != NULL)
		snprintf(raw, sizeof(raw), "%s", opts->name);
	else
		snprintf(raw, sizeof(raw), "%s_%s", profile_id(al),
			 al->set_name);
	make_ident(raw, ID_LOWER_US, x.base, sizeof(x.base));
	x.st = collect_blocks(&x);
	if (x.st == SK_OK)
		x.st = collect_domains(&x, f == SK_ALF_SQUID);
	if (x.st == SK_OK) {
		switch (f) {
		case SK_ALF_NFTABLES: r_nftables(&x); break;
		case SK_ALF_IPTABLES: r_iptables(&x, false); break;
		case SK_ALF_IP6TABLES: r_iptables(&x, true); break;
		case SK_ALF_PF: r_pf(&x); break;
		case SK_ALF_AWS: r_aws(&x); break;
		case SK_ALF_AZURE: r_azure_gcp(&x, false); break;
		case SK_ALF_GCP: r_azure_gcp(&x, true); break;
		case SK_ALF_NGINX: r_nginx(&x); break;
		case SK_ALF_APACHE: r_apache(&x); break;
		case SK_ALF_HAPROXY: r_haproxy(&x); break;
		case SK_ALF_POSTFIX: r_postfix(&x); break;
		case SK_ALF_SPAMASSASSIN: r_spamassassin(&x); break;
		case SK_ALF_CSV: r_csv(&x); break;
		case SK_ALF_JSON: r_json(&x); break;
		case SK_ALF_RANGES: r_ranges(&x); break;
		case SK_ALF_SQUID: r_squid(&x); break;
		case SK_ALF_PAC: r_pac(&x); break;
		case SK_ALF_HOSTS: r_hosts(&x); break;
		case SK_ALF_COUNT_: break;
		}
	}
	sk__free(x.blk);
	sk__free(x.dom);
	if (x.st != SK_OK) {
		sk__buf_free(&b);
		if (x.st == SK_ETOOBIG)
			return sk__err(err, x.st, "output over %u bytes",
				       SK_RENDER_MAX);
		return sk__err(err, x.st, "out of memory");
	}
	*outp = sk__buf_take(&b);
	if (*outp == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	return SK_OK;
}
