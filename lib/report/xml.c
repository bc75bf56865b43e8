/*
 * lib/report/xml.c - streaming parser of DMARC aggregate report XML:
 * RFC 7489 appendix C, RFC 9990 section 3 and appendix A (namespace
 * urn:ietf:params:xml:ns:dmarc-2.0), and the RFC 9990 shape sent without
 * its namespace.
 *
 * expat, fed in chunks; one record is kept at a time.  Hostile input: a
 * DOCTYPE or any entity declaration stops the parse (no entity expansion,
 * parameter entities never parsed), element depth and field lengths are
 * bounded, required fields are checked.  Lenient where reporters are
 * sloppy (warnings): case of enumerated values, a period over 24 hours,
 * a missing org_name (taken from the e-mail domain), the RFC 9990 shape
 * without its namespace, unknown elements (extensions) ignored.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <expat.h>
#include <senderkit/report.h>
#include "util/util.h"
#include "report_internal.h"

#define NS_DMARC2 "urn:ietf:params:xml:ns:dmarc-2.0"
#define REF_7489 "RFC 7489 appendix C"
#define REF_9990 "RFC 9990 appendix A"
/* Largest accepted message count of a record (a sanity bound). */
#define MAX_COUNT 1000000000000ULL

enum el {
	E_OTHER = 0, E_FEEDBACK, E_VERSION, E_REPORT_METADATA, E_ORG_NAME,
	E_EMAIL, E_REPORT_ID, E_DATE_RANGE, E_BEGIN, E_END, E_GENERATOR,
	E_POLICY_PUBLISHED, E_DOMAIN, E_ADKIM, E_ASPF, E_P, E_SP, E_NP,
	E_PCT, E_FO, E_TESTING, E_DISCOVERY_METHOD, E_RECORD, E_ROW,
	E_SOURCE_IP, E_COUNT, E_POLICY_EVALUATED, E_DISPOSITION, E_DKIM,
	E_SPF, E_REASON, E_TYPE, E_COMMENT, E_IDENTIFIERS, E_HEADER_FROM,
	E_ENVELOPE_FROM, E_ENVELOPE_TO, E_AUTH_RESULTS, E_SELECTOR,
	E_SCOPE, E_RESULT,
};


/* Metadata seen (bits of meta_seen). */
enum {
	M_BEGIN = 1, M_END = 2,
};

struct sk_report_parser {
	XML_Parser xp;
	struct sk_report_cb cb;
	struct sk_findings *warn;
	struct sk_report_meta meta;
	struct sk_report_record rec;
	enum el stack[SK_REPORT_MAX_DEPTH];
	unsigned depth;
	char prefix[64];        /* namespace prefix of the root, "" if none */
	size_t prefixlen;
	char text[SK_REPORT_FIELD_MAX + 1];
	size_t tlen;
	bool tover;
	bool seen_root, reported, bis_shape;
	unsigned meta_seen;
	bool rec_ip, rec_count;
	uint64_t nrecords, nmessages;
	sk_status st;
	struct sk_err err;
};

static void
warn(struct sk_report_parser *p, const char *id, const char *fmt, ...)
	SK_PRINTF(3, 4);

static void
warn(struct sk_report_parser *p, const char *id, const char *fmt, ...)
{
	va_list ap;

	if (sk__findings_has(p->warn, id))
		return; /* once per kind and document */
	va_start(ap, fmt);
	sk__findings_vadd(p->warn, SK_SEV_WARNING, id, p->meta.report_id,
			  SK_NO_OFFSET,
			  p->meta.schema == SK_REPORT_RFC7489 ? REF_7489 :
			  REF_9990, fmt, ap);
	va_end(ap);
}

/* Stop the parse with an error (first one wins). */
static void
fail(struct sk_report_parser *p, sk_status code, const char *fmt, ...)
	SK_PRINTF(3, 4);

static void
fail(struct sk_report_parser *p, sk_status code, const char *fmt, ...)
{
	va_list ap;
	char msg[SK_ERR_MSG_MAX - 32];

	if (p->st != SK_OK)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	p->st = code;
	p->err.code = code;
	p->err.line = (unsigned)XML_GetCurrentLineNumber(p->xp);
	p->err.offset = (size_t)XML_GetCurrentByteIndex(p->xp);
	snprintf(p->err.msg, sizeof(p->err.msg), "line %u: %s", p->err.line,
		 msg);
	XML_StopParser(p->xp, XML_FALSE);
}

/*
 * An element's id from its local name s[0..n): a switch on the first
 * letter, then the few names that start with it (no strcmp through the
 * whole list for every element; this runs twice per field).
 */
static enum el
element(const char *s, size_t n)
{
#define IS(lit) (n == sizeof(lit) - 1 && memcmp(s, lit, n) == 0)
	if (n == 0)
		return E_OTHER;
	switch (s[0]) {
	case 'a':
		return IS("adkim") ? E_ADKIM : IS("aspf") ? E_ASPF :
		       IS("auth_results") ? E_AUTH_RESULTS : E_OTHER;
	case 'b':
		return IS("begin") ? E_BEGIN : E_OTHER;
	case 'c':
		return IS("count") ? E_COUNT : IS("comment") ? E_COMMENT :
		       E_OTHER;
	case 'd':
		return IS("domain") ? E_DOMAIN : IS("dkim") ? E_DKIM :
		       IS("disposition") ? E_DISPOSITION :
		       IS("date_range") ? E_DATE_RANGE :
		       IS("discovery_method") ? E_DISCOVERY_METHOD : E_OTHER;
	case 'e':
		return IS("end") ? E_END : IS("email") ? E_EMAIL :
		       IS("envelope_from") ? E_ENVELOPE_FROM :
		       IS("envelope_to") ? E_ENVELOPE_TO : E_OTHER;
	case 'f':
		return IS("fo") ? E_FO : IS("feedback") ? E_FEEDBACK :
		       E_OTHER;
	case 'g':
		return IS("generator") ? E_GENERATOR : E_OTHER;
	case 'h':
		return IS("header_from") ? E_HEADER_FROM : E_OTHER;
	case 'i':
		return IS("identifiers") ? E_IDENTIFIERS : E_OTHER;
	case 'n':
		return IS("np") ? E_NP : E_OTHER;
	case 'o':
		return IS("org_name") ? E_ORG_NAME : E_OTHER;
	case 'p':
		return IS("p") ? E_P : IS("pct") ? E_PCT :
		       IS("policy_evaluated") ? E_POLICY_EVALUATED :
		       IS("policy_published") ? E_POLICY_PUBLISHED : E_OTHER;
	case 'r':
		return IS("row") ? E_ROW : IS("record") ? E_RECORD :
		       IS("result") ? E_RESULT : IS("reason") ? E_REASON :
		       IS("report_id") ? E_REPORT_ID :
		       IS("report_metadata") ? E_REPORT_METADATA : E_OTHER;
	case 's':
		return IS("spf") ? E_SPF : IS("source_ip") ? E_SOURCE_IP :
		       IS("selector") ? E_SELECTOR : IS("scope") ? E_SCOPE :
		       IS("sp") ? E_SP : E_OTHER;
	case 't':
		return IS("type") ? E_TYPE : IS("testing") ? E_TESTING :
		       E_OTHER;
	case 'v':
		return IS("version") ? E_VERSION : E_OTHER;
	default:
		return E_OTHER;
	}
#undef IS
}

/* Strip the root's namespace prefix; a foreign prefix is an extension. */
static enum el
lookup(const struct sk_report_parser *p, const char *name)
{
	const char *colon = NULL, *e;

	for (e = name; *e != '\0'; e++)
		if (*e == ':' && colon == NULL)
			colon = e;
	if (colon != NULL) {
		if ((size_t)(colon - name) != p->prefixlen ||
		    memcmp(name, p->prefix, p->prefixlen) != 0)
			return E_OTHER;
		name = colon + 1;
	} else if (p->prefixlen != 0 && p->seen_root) {
		return E_OTHER;
	}
	return element(name, (size_t)(e - name));
}

static enum el
up(const struct sk_report_parser *p, unsigned n)
{
	/* Element n levels above the current one (0 = current). */
	return p->depth > n ? p->stack[p->depth - 1 - n] : E_OTHER;
}

/* Copy the trimmed text into dst[size]; false when it does not fit. */
static bool
take(struct sk_report_parser *p, char *dst, size_t size)
{
	size_t b = 0, e = p->tlen;

	while (b < e && (p->text[b] == ' ' || p->text[b] == '\t' ||
			 p->text[b] == '\r' || p->text[b] == '\n'))
		b++;
	while (e > b && (p->text[e - 1] == ' ' || p->text[e - 1] == '\t' ||
			 p->text[e - 1] == '\r' || p->text[e - 1] == '\n'))
		e--;
	if (p->tover || e - b >= size) {
		dst[0] = '\0';
		return false;
	}
	memcpy(dst, p->text + b, e - b);
	dst[e - b] = '\0';
	return true;
}

/* An identifier field: too long is an error. */
static void
take_id(struct sk_report_parser *p, char *dst, size_t size, const char *what)
{
	if (!take(p, dst, size))
		fail(p, SK_ETOOBIG, "<%s> longer than %zu bytes", what,
		     size - 1);
}

/* An enumerated value: lower-cased (reporters send "Pass"). */
static void
take_enum(struct sk_report_parser *p, char *dst, size_t size,
	  const char *what)
{
	bool upper = false;
	size_t i;

	if (!take(p, dst, size)) {
		fail(p, SK_ESYNTAX, "<%s>: not a valid value", what);
		return;
	}
	for (i = 0; dst[i] != '\0'; i++) {
		if (dst[i] >= 'A' && dst[i] <= 'Z')
			upper = true;
		dst[i] = sk__lower(dst[i]);
	}
	if (upper)
		warn(p, "report-value-case", "values in upper case (<%s>%s) "
		     "read as lower case", what, dst);
}

/* Free text: cut with a warning when too long. */
static void
take_text(struct sk_report_parser *p, char *dst, size_t size,
	  const char *what)
{
	size_t n;

	if (take(p, dst, size))
		return;
	n = p->tlen < size - 1 ? p->tlen : size - 1;
	memcpy(dst, p->text, n);
	dst[n] = '\0';
	warn(p, "report-text-cut", "<%s> cut to %zu bytes", what, n);
}

static bool
take_time(struct sk_report_parser *p, int64_t *out, const char *what)
{
	char buf[32];
	unsigned long v;

	/* RFC 7489 appendix C: xs:integer seconds since the epoch. */
	if (!take(p, buf, sizeof(buf)) ||
	    !sk__parse_uint(buf, strlen(buf), 1UL << 40, &v)) {
		fail(p, SK_ESYNTAX, "<date_range><%s>: not a time in seconds "
		     "since the epoch", what);
		return false;
	}
	*out = (int64_t)v;
	return true;
}

/* The metadata must be complete when the first record starts (the schema
 * is an xs:sequence: metadata, policy, then records). */
static void
emit_report(struct sk_report_parser *p)
{
	struct sk_report_meta *m = &p->meta;
	sk_status st;

	if (p->reported || p->st != SK_OK)
		return;
	p->reported = true;
	if (m->schema == SK_REPORT_RFC7489 && p->bis_shape) {
		m->schema = SK_REPORT_RFC9990_NONS;
		warn(p, "report-no-namespace", "RFC 9990 report without its "
		     "namespace " NS_DMARC2);
	}
	if (m->report_id[0] == '\0') {
		fail(p, SK_ESYNTAX, "missing <report_metadata><report_id>");
		return;
	}
	if (m->domain[0] == '\0') {
		fail(p, SK_ESYNTAX, "missing <policy_published><domain>");
		return;
	}
	if ((p->meta_seen & (M_BEGIN | M_END)) != (M_BEGIN | M_END)) {
		fail(p, SK_ESYNTAX, "missing <report_metadata><date_range>");
		return;
	}
	if (m->begin > m->end) {
		fail(p, SK_ESYNTAX, "wrong dates: begin %lld after end %lld",
		     (long long)m->begin, (long long)m->end);
		return;
	}
	if (m->end - m->begin > SK_REPORT_DAY + 1)
		warn(p, "report-long-period", "reporting period of %lld "
		     "seconds, over 24 hours", (long long)(m->end - m->begin));
	if (m->org_name[0] == '\0') {
		const char *at = strrchr(m->email, '@');

		if (at == NULL || at[1] == '\0') {
			fail(p, SK_ESYNTAX, "missing <org_name> and no "
			     "<email> to name the reporter");
			return;
		}
		memmove(m->org_name, at + 1, strlen(at + 1) + 1);
		warn(p, "report-no-org-name", "empty <org_name>: reporter "
		     "named after its e-mail domain %s", m->org_name);
	}
	if (m->p[0] == '\0')
		warn(p, "report-no-policy", "missing <policy_published><p>");
	if (p->cb.report != NULL) {
		st = p->cb.report(p->cb.arg, m);
		if (st != SK_OK) {
			fail(p, st, "stopped by the report callback");
			p->err.code = st;
		}
	}
}

static void
end_record(struct sk_report_parser *p)
{
	struct sk_report_record *r = &p->rec;
	unsigned char addr[16];
	sk_status st;

	if (!p->rec_ip) {
		fail(p, SK_ESYNTAX, "record without <row><source_ip>");
		return;
	}
	if (inet_pton(AF_INET, r->source_ip, addr) != 1 &&
	    inet_pton(AF_INET6, r->source_ip, addr) != 1) {
		fail(p, SK_ESYNTAX, "<source_ip>%s: not an IP address",
		     r->source_ip);
		return;
	}
	if (!p->rec_count) {
		fail(p, SK_ESYNTAX, "record without <row><count>");
		return;
	}
	if (r->disposition[0] == '\0' || r->dkim[0] == '\0' ||
	    r->spf[0] == '\0')
		warn(p, "report-no-evaluation", "record without complete "
		     "<policy_evaluated> (disposition, dkim, spf)");
	if (r->header_from[0] == '\0')
		warn(p, "report-no-header-from", "record without "
		     "<identifiers><header_from>");
	p->nrecords++;
	p->nmessages += r->count;
	if (p->cb.record != NULL) {
		st = p->cb.record(p->cb.arg, &p->meta, r);
		if (st != SK_OK) {
			fail(p, st, "stopped by the record callback");
			p->err.code = st;
		}
	}
}

/*
 * Empty the texts of a record by their first byte: the record is about
 * 19 KB (eight DKIM and eight SPF results of two 512-byte fields), and a
 * memset of it per <record> cost more than parsing the record.  Every
 * text is NUL-terminated when written (take), so readers stop there.
 */
static void
clear_auth(struct sk_report_auth *a)
{
	a->domain[0] = a->selector[0] = a->scope[0] = a->result[0] = '\0';
}

static void
clear_record(struct sk_report_record *r)
{
	r->source_ip[0] = r->disposition[0] = r->dkim[0] = r->spf[0] = '\0';
	r->reason_type[0] = r->reason_comment[0] = r->header_from[0] = '\0';
	r->envelope_from[0] = r->envelope_to[0] = '\0';
	r->count = 0;
	r->ndkim_auth = r->nspf_auth = 0;
}

static void XMLCALL
on_start(void *ud, const XML_Char *name, const XML_Char **atts)
{
	struct sk_report_parser *p = ud;
	enum el id, parent;
	size_t i;

	if (p->st != SK_OK)
		return;
	p->tlen = 0;
	p->tover = false;
	if (!p->seen_root) {
		const char *colon = strchr(name, ':');
		const char *local = colon != NULL ? colon + 1 : name;

		if (strcmp(local, "feedback") != 0) {
			fail(p, SK_ESYNTAX, "not a DMARC aggregate report: "
			     "root element <%.64s>", name);
			return;
		}
		if (colon != NULL) {
			p->prefixlen = (size_t)(colon - name);
			if (p->prefixlen >= sizeof(p->prefix)) {
				fail(p, SK_ETOOBIG, "namespace prefix too "
				     "long");
				return;
			}
			memcpy(p->prefix, name, p->prefixlen);
		}
		for (i = 0; atts[i] != NULL && atts[i + 1] != NULL; i += 2)
			if (strncmp(atts[i], "xmlns", 5) == 0 &&
			    strcmp(atts[i + 1], NS_DMARC2) == 0)
				p->meta.schema = SK_REPORT_RFC9990;
		p->seen_root = true;
		p->stack[p->depth++] = E_FEEDBACK;
		return;
	}
	if (p->depth >= SK_REPORT_MAX_DEPTH) {
		fail(p, SK_ETOOBIG, "elements nested deeper than %d",
		     SK_REPORT_MAX_DEPTH);
		return;
	}
	id = lookup(p, name);
	parent = up(p, 0);
	p->stack[p->depth++] = id;
	if (parent == E_FEEDBACK && id == E_RECORD) {
		emit_report(p);
		clear_record(&p->rec);
		p->rec_ip = p->rec_count = false;
	} else if (parent == E_AUTH_RESULTS && up(p, 2) == E_RECORD) {
		struct sk_report_record *r = &p->rec;

		/* A new result: counted, kept up to SK_REPORT_MAX_AUTH. */
		if (id == E_DKIM) {
			if (r->ndkim_auth < SK_REPORT_MAX_AUTH)
				clear_auth(&r->dkim_auth[r->ndkim_auth]);
			r->ndkim_auth++;
		} else if (id == E_SPF) {
			if (r->nspf_auth < SK_REPORT_MAX_AUTH)
				clear_auth(&r->spf_auth[r->nspf_auth]);
			r->nspf_auth++;
		}
	}
}

static void
end_meta(struct sk_report_parser *p, enum el id)
{
	struct sk_report_meta *m = &p->meta;

	switch (id) {
	case E_ORG_NAME:
		take_id(p, m->org_name, sizeof(m->org_name), "org_name");
		break;
	case E_EMAIL:
		take_text(p, m->email, sizeof(m->email), "email");
		break;
	case E_REPORT_ID:
		take_id(p, m->report_id, sizeof(m->report_id), "report_id");
		break;
	case E_GENERATOR:
		p->bis_shape = true;
		break;
	default:
		break;
	}
}

static void
end_policy(struct sk_report_parser *p, enum el id)
{
	struct sk_report_meta *m = &p->meta;
	char buf[16];
	unsigned long v;

	switch (id) {
	case E_DOMAIN:
		take_id(p, m->domain, sizeof(m->domain), "domain");
		break;
	case E_ADKIM:
		take_enum(p, m->adkim, sizeof(m->adkim), "adkim");
		break;
	case E_ASPF:
		take_enum(p, m->aspf, sizeof(m->aspf), "aspf");
		break;
	case E_P:
		take_enum(p, m->p, sizeof(m->p), "p");
		break;
	case E_SP:
		take_enum(p, m->sp, sizeof(m->sp), "sp");
		break;
	case E_NP:
		p->bis_shape = true;
		take_enum(p, m->np, sizeof(m->np), "np");
		break;
	case E_TESTING:
		p->bis_shape = true;
		take_enum(p, m->testing, sizeof(m->testing), "testing");
		break;
	case E_DISCOVERY_METHOD:
		p->bis_shape = true;
		break;
	case E_FO:
		take_text(p, m->fo, sizeof(m->fo), "fo");
		break;
	case E_PCT:
		if (take(p, buf, sizeof(buf)) &&
		    sk__parse_uint(buf, strlen(buf), 100, &v))
			m->pct = (int)v;
		else
			warn(p, "report-bad-pct", "<pct> not in 0..100: "
			     "ignored");
		break;
	default:
		break;
	}
}

static void
end_auth(struct sk_report_parser *p, enum el kind, enum el id)
{
	struct sk_report_record *r = &p->rec;
	struct sk_report_auth *a;
	size_t n = kind == E_DKIM ? r->ndkim_auth : r->nspf_auth;

	if (n == 0)
		return;
	if (n > SK_REPORT_MAX_AUTH) {
		warn(p, "report-many-auth", "more than %d DKIM or SPF results "
		     "in a record: the rest are not kept", SK_REPORT_MAX_AUTH);
		return;
	}
	a = kind == E_DKIM ? &r->dkim_auth[n - 1] : &r->spf_auth[n - 1];
	switch (id) {
	case E_DOMAIN:
		take_id(p, a->domain, sizeof(a->domain), "domain");
		break;
	case E_SELECTOR:
		take_id(p, a->selector, sizeof(a->selector), "selector");
		break;
	case E_SCOPE:
		take_enum(p, a->scope, sizeof(a->scope), "scope");
		break;
	case E_RESULT:
		take_enum(p, a->result, sizeof(a->result), "result");
		break;
	default:
		break;
	}
}

static void
end_row(struct sk_report_parser *p, enum el parent, enum el id)
{
	struct sk_report_record *r = &p->rec;
	char buf[32];
	unsigned long v;

	if (parent == E_ROW && id == E_SOURCE_IP) {
		take_id(p, r->source_ip, sizeof(r->source_ip), "source_ip");
		p->rec_ip = true;
	} else if (parent == E_ROW && id == E_COUNT) {
		if (!take(p, buf, sizeof(buf)) ||
		    !sk__parse_uint(buf, strlen(buf), MAX_COUNT, &v)) {
			fail(p, SK_ESYNTAX, "<count>: not a message count");
			return;
		}
		r->count = v;
		p->rec_count = true;
	} else if (parent == E_POLICY_EVALUATED && id == E_DISPOSITION) {
		take_enum(p, r->disposition, sizeof(r->disposition),
			  "disposition");
	} else if (parent == E_POLICY_EVALUATED && id == E_DKIM) {
		take_enum(p, r->dkim, sizeof(r->dkim), "dkim");
	} else if (parent == E_POLICY_EVALUATED && id == E_SPF) {
		take_enum(p, r->spf, sizeof(r->spf), "spf");
	} else if (parent == E_REASON && id == E_TYPE) {
		take_enum(p, r->reason_type, sizeof(r->reason_type), "type");
	} else if (parent == E_REASON && id == E_COMMENT) {
		take_text(p, r->reason_comment, sizeof(r->reason_comment),
			  "comment");
	}
}

static void XMLCALL
on_end(void *ud, const XML_Char *name)
{
	struct sk_report_parser *p = ud;
	enum el id, parent, gp;

	(void)name;
	if (p->st != SK_OK || p->depth == 0)
		return;
	id = up(p, 0);
	parent = up(p, 1);
	gp = up(p, 2);
	if (parent == E_FEEDBACK && id == E_RECORD) {
		end_record(p);
	} else if (parent == E_FEEDBACK && id == E_VERSION) {
		/* RFC 9990 writes 1.0 too; not a schema marker alone. */
	} else if (gp == E_FEEDBACK && parent == E_REPORT_METADATA) {
		end_meta(p, id);
	} else if (parent == E_DATE_RANGE && gp == E_REPORT_METADATA) {
		if (id == E_BEGIN && take_time(p, &p->meta.begin, "begin"))
			p->meta_seen |= M_BEGIN;
		else if (id == E_END && take_time(p, &p->meta.end, "end"))
			p->meta_seen |= M_END;
	} else if (gp == E_FEEDBACK && parent == E_POLICY_PUBLISHED) {
		end_policy(p, id);
	} else if (p->depth >= 3 && p->stack[1] == E_RECORD) {
		/* Inside a record: feedback/record/... */
		if (p->depth == 5 && gp == E_AUTH_RESULTS &&
		    (parent == E_DKIM || parent == E_SPF))
			end_auth(p, parent, id);
		else if (parent == E_IDENTIFIERS && id == E_HEADER_FROM)
			take_id(p, p->rec.header_from,
				sizeof(p->rec.header_from), "header_from");
		else if (parent == E_IDENTIFIERS && id == E_ENVELOPE_FROM)
			take_id(p, p->rec.envelope_from,
				sizeof(p->rec.envelope_from), "envelope_from");
		else if (parent == E_IDENTIFIERS && id == E_ENVELOPE_TO)
			take_id(p, p->rec.envelope_to,
				sizeof(p->rec.envelope_to), "envelope_to");
		else
			end_row(p, parent, id);
	}
	p->depth--;
	p->tlen = 0;
	p->tover = false;
}

static void XMLCALL
on_text(void *ud, const XML_Char *s, int len)
{
	struct sk_report_parser *p = ud;
	size_t n = (size_t)len;

	if (p->tover)
		return;
	if (n > SK_REPORT_FIELD_MAX - p->tlen) {
		p->tover = true;
		return;
	}
	memcpy(p->text + p->tlen, s, n);
	p->tlen += n;
}

/* No DTD, no entities: reports never need them, and entity expansion is
 * how XML bombs work (STYLE.md 15). */
static void XMLCALL
on_doctype(void *ud, const XML_Char *name, const XML_Char *sysid,
	   const XML_Char *pubid, int has_internal_subset)
{
	fail(ud, SK_ESYNTAX, "DOCTYPE declarations are refused");
}

static void XMLCALL
on_entity(void *ud, const XML_Char *name, int is_param,
	  const XML_Char *value, int value_length, const XML_Char *base,
	  const XML_Char *sysid, const XML_Char *pubid,
	  const XML_Char *notation)
{
	fail(ud, SK_ESYNTAX, "entity declarations are refused");
}

sk_status
sk_report_parser_new(const struct sk_report_cb *cb,
		     struct sk_report_parser **out, struct sk_err *err)
{
	struct sk_report_parser *p;

	*out = NULL;
	p = sk__calloc(1, sizeof(*p));
	if (p == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	p->warn = sk__findings_new();
	p->xp = XML_ParserCreate(NULL);
	if (p->warn == NULL || p->xp == NULL) {
		sk_report_parser_free(p);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	if (cb != NULL)
		p->cb = *cb;
	p->meta.pct = -1;
	XML_SetUserData(p->xp, p);
	XML_SetParamEntityParsing(p->xp, XML_PARAM_ENTITY_PARSING_NEVER);
	XML_SetElementHandler(p->xp, on_start, on_end);
	XML_SetCharacterDataHandler(p->xp, on_text);
	XML_SetStartDoctypeDeclHandler(p->xp, on_doctype);
	XML_SetEntityDeclHandler(p->xp, on_entity);
	*out = p;
	return SK_OK;
}

static sk_status
parse(struct sk_report_parser *p, const void *data, size_t len, bool final,
      struct sk_err *err)
{
	enum XML_Status xs;

	if (p->st != SK_OK)
		goto out;
	while (p->st == SK_OK && (len > 0 || final)) {
		int n = len > (1u << 30) ? (1 << 30) : (int)len;

		xs = XML_Parse(p->xp, data, n, final && (size_t)n == len);
		if (xs == XML_STATUS_ERROR && p->st == SK_OK) {
			enum XML_Error e = XML_GetErrorCode(p->xp);

			p->st = SK_ESYNTAX;
			p->err.code = SK_ESYNTAX;
			p->err.line = (unsigned)XML_GetCurrentLineNumber(p->xp);
			p->err.offset = (size_t)XML_GetCurrentByteIndex(p->xp);
			snprintf(p->err.msg, sizeof(p->err.msg),
				 "malformed XML at line %u: %s", p->err.line,
				 XML_ErrorString(e));
		}
		data = (const char *)data + n;
		len -= (size_t)n;
		if (final && len == 0)
			break;
	}
	if (p->st == SK_OK && final) {
		if (p->depth != 0 || !p->seen_root) {
			p->st = SK_ESYNTAX;
			snprintf(p->err.msg, sizeof(p->err.msg),
				 "truncated report");
		} else if (!p->reported) {
			emit_report(p);
			if (p->st == SK_OK && p->nrecords == 0)
				warn(p, "report-no-records", "report without "
				     "records");
		}
	}
out:
	if (p->st != SK_OK && err != NULL) {
		*err = p->err;
		err->code = p->st;
	}
	return p->st;
}

sk_status
sk_report_parser_feed(struct sk_report_parser *p, const void *data,
		      size_t len, struct sk_err *err)
{
	if (len == 0 && p->st == SK_OK)
		return SK_OK;
	return parse(p, data, len, false, err);
}

sk_status
sk_report_parser_finish(struct sk_report_parser *p, struct sk_err *err)
{
	return parse(p, "", 0, true, err);
}

const struct sk_findings *
sk_report_parser_warnings(const struct sk_report_parser *p)
{
	return p->warn;
}

void
sk_report_parser_totals(const struct sk_report_parser *p, uint64_t *records,
			uint64_t *messages)
{
	if (records != NULL)
		*records = p->nrecords;
	if (messages != NULL)
		*messages = p->nmessages;
}

void
sk_report_parser_free(struct sk_report_parser *p)
{
	if (p == NULL)
		return;
	if (p->xp != NULL)
		XML_ParserFree(p->xp);
	sk_findings_free(p->warn);
	sk__free(p);
}

void
sk__report_parser_warn(struct sk_report_parser *p, const char *id,
		       const char *msg)
{
	if (!sk__findings_has(p->warn, id))
		sk__findings_add(p->warn, SK_SEV_WARNING, id, "", SK_NO_OFFSET,
				 "", "%s", msg);
}
