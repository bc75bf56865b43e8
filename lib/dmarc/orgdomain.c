/*
 * lib/dmarc/orgdomain.c - organizational domains by the Public Suffix
 * List (RFC 7489 section 3.2, through libpsl) and the name helpers the
 * tree walk of RFC 9989 section 4.10 uses.  The tree walk itself and its
 * section 4.10.2 selection live in discover.c, next to the queries.
 */
#include <string.h>
#include <libpsl.h>
#include "dmarc_internal.h"

struct sk_dmarc_psl {
	psl_ctx_t *ctx;
};

char *
sk__dmarc_name_norm(const char *name, sk_status *st)
{
	size_t n, i, lab = 0;
	char *out;

	*st = SK_EINVAL;
	if (name == NULL)
		return NULL;
	n = strlen(name);
	if (n > 0 && name[n - 1] == '.')
		n--;
	if (n == 0 || n > 253)
		return NULL;
	for (i = 0; i < n; i++) {
		if (name[i] == '.') {
			if (lab == 0)
				return NULL;
			lab = 0;
			continue;
		}
		/* Only bytes a DNS name can carry in presentation form
		 * without escapes; UTF-8 is allowed for the PSL. */
		if ((unsigned char)name[i] <= 0x20 || name[i] == 0x7f ||
		    name[i] == '\\')
			return NULL;
		if (++lab > 63)
			return NULL;
	}
	if (lab == 0)
		return NULL;
	out = sk__strndup(name, n);
	if (out == NULL) {
		*st = SK_ENOMEM;
		return NULL;
	}
	for (i = 0; i < n; i++)
		out[i] = sk__lower(out[i]);
	*st = SK_OK;
	return out;
}

size_t
sk__dmarc_labels(const char *name)
{
	size_t n = 1;

	for (; *name != '\0'; name++)
		if (*name == '.')
			n++;
	return n;
}

const char *
sk__dmarc_suffix(const char *name, size_t n)
{
	size_t have = sk__dmarc_labels(name);

	while (have > n) {
		name = strchr(name, '.');
		if (name == NULL)
			return "";
		name++;
		have--;
	}
	return name;
}

SK_API sk_status
sk_dmarc_psl_load(const char *path, struct sk_dmarc_psl **out,
		  struct sk_err *err)
{
	struct sk_dmarc_psl *p;

	if (out == NULL)
		return sk__err(err, SK_EINVAL, "no output pointer");
	*out = NULL;
	p = sk__calloc(1, sizeof(*p));
	if (p == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	if (path != NULL)
		p->ctx = psl_load_file(path);
	else
		p->ctx = psl_latest(NULL);
	if (p->ctx == NULL) {
		sk__free(p);
		return sk__err(err, SK_ENOENT, "cannot load the Public Suffix "
			       "List%s%s", path ? " from " : "",
			       path ? path : "");
	}
	*out = p;
	return SK_OK;
}

SK_API void
sk_dmarc_psl_free(struct sk_dmarc_psl *psl)
{
	if (psl == NULL)
		return;
	psl_free(psl->ctx);
	sk__free(psl);
}

char *
sk__dmarc_psl_org(const struct sk_dmarc_psl *psl, const char *name,
		  bool *nomem)
{
	const char *reg;
	char *out;

	*nomem = false;
	/* Section 3.2 steps 3 and 4: the longest matching public suffix
	 * plus one label, which is libpsl's registrable domain. */
	reg = psl_registrable_domain(psl->ctx, name);
	if (reg == NULL)
		return NULL;
	out = sk__strdup(reg);
	if (out == NULL)
		*nomem = true;
	return out;
}

SK_API sk_status
sk_dmarc_orgdomain_psl(const struct sk_dmarc_psl *psl, const char *name,
		       char **out, struct sk_err *err)
{
	char *norm, *org;
	sk_status st;
	bool nomem;

	if (out == NULL || psl == NULL)
		return sk__err(err, SK_EINVAL, "no PSL or output pointer");
	*out = NULL;
	norm = sk__dmarc_name_norm(name, &st);
	if (norm == NULL)
		return sk__err(err, st, st == SK_ENOMEM ? "out of memory" :
			       "'%s' is not a valid domain name",
			       name != NULL ? name : "(null)");
	org = sk__dmarc_psl_org(psl, norm, &nomem);
	if (org == NULL) {
		sk__free(norm);
		if (nomem)
			return sk__err(err, SK_ENOMEM, "out of memory");
		return sk__err(err, SK_ENOENT, "'%s' is a public suffix: it "
			       "has no organizational domain (RFC 7489 "
			       "section 3.2)", name);
	}
	sk__free(norm);
	*out = org;
	return SK_OK;
}
