/*
 * lib/util/findings.c - the ordered list of findings every checker
 * returns (lint, DKIM/DMARC record checks, audit).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util.h"

#define FINDING_MSG_MAX 1024

struct item {
	struct sk_finding pub;
	size_t seq; /* insertion order, for a stable sort */
};

struct sk_findings {
	struct item *v;
	size_t n, a;
	sk_status st;
};

struct sk_findings *
sk__findings_new(void)
{
	return sk__calloc(1, sizeof(struct sk_findings));
}

void
sk__findings_vadd(struct sk_findings *f, enum sk_severity sev,
		  const char *id, const char *subject, size_t offset,
		  const char *ref, const char *fmt, va_list ap)
{
	char msg[FINDING_MSG_MAX];
	struct item *it;

	if (f == NULL || f->st != SK_OK)
		return;
	if (f->n == f->a) {
		struct item *nv = sk__grow(f->v, &f->a, sizeof(*nv), 16);

		if (nv == NULL) {
			f->st = SK_ENOMEM;
			return;
		}
		f->v = nv;
	}
	vsnprintf(msg, sizeof(msg), fmt, ap);
	it = &f->v[f->n];
	it->seq = f->n;
	it->pub.severity = sev;
	it->pub.id = id;
	it->pub.ref = ref != NULL ? ref : "";
	it->pub.offset = offset;
	it->pub.message = sk__strdup(msg);
	it->pub.subject = sk__strdup(subject != NULL ? subject : "");
	if (it->pub.message == NULL || it->pub.subject == NULL) {
		sk__free((void *)it->pub.message);
		sk__free((void *)it->pub.subject);
		f->st = SK_ENOMEM;
		return;
	}
	f->n++;
}

void
sk__findings_add(struct sk_findings *f, enum sk_severity sev, const char *id,
		 const char *subject, size_t offset, const char *ref,
		 const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sk__findings_vadd(f, sev, id, subject, offset, ref, fmt, ap);
	va_end(ap);
}

sk_status
sk__findings_status(const struct sk_findings *f)
{
	return f == NULL ? SK_ENOMEM : f->st;
}

bool
sk__findings_has(const struct sk_findings *f, const char *id)
{
	for (size_t i = 0; f != NULL && i < f->n; i++)
		if (strcmp(f->v[i].pub.id, id) == 0)
			return true;
	return false;
}

static int
cmp_item(const void *a, const void *b)
{
	const struct item *x = a, *y = b;

	if (x->pub.severity != y->pub.severity)
		return x->pub.severity > y->pub.severity ? -1 : 1;
	if (x->pub.offset != y->pub.offset)
		return x->pub.offset < y->pub.offset ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

void
sk__findings_sort(struct sk_findings *f)
{
	if (f != NULL && f->n > 1)
		qsort(f->v, f->n, sizeof(*f->v), cmp_item);
}

SK_API size_t
sk_findings_count(const struct sk_findings *f)
{
	return f != NULL ? f->n : 0;
}

SK_API const struct sk_finding *
sk_findings_get(const struct sk_findings *f, size_t i)
{
	if (f == NULL || i >= f->n)
		return NULL;
	return &f->v[i].pub;
}

SK_API int
sk_findings_max_severity(const struct sk_findings *f)
{
	int max = -1;

	for (size_t i = 0; f != NULL && i < f->n; i++)
		if ((int)f->v[i].pub.severity > max)
			max = (int)f->v[i].pub.severity;
	return max;
}

SK_API void
sk_findings_free(struct sk_findings *f)
{
	if (f == NULL)
		return;
	for (size_t i = 0; i < f->n; i++) {
		sk__free((void *)f->v[i].pub.message);
		sk__free((void *)f->v[i].pub.subject);
	}
	sk__free(f->v);
	sk__free(f);
}
