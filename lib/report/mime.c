/*
 * lib/report/mime.c - finds aggregate reports in an e-mail: RFC 5322
 * header fields (unfolded), RFC 2045 Content-Type parameters and
 * Content-Transfer-Encoding (base64, quoted-printable), RFC 2046
 * multipart bodies (nesting bounded) and message/rfc822, RFC 2183
 * Content-Disposition filename (RFC 2231 filename* kept without its
 * charset).  An attachment is a report when its type or name says XML,
 * gzip or zip (RFC 7489 section 7.2.1.1: application/gzip, .xml.gz,
 * .zip); application/octet-stream is sniffed.
 */
#include <stdio.h>
#include <string.h>
#include <senderkit/net.h>
#include "report_internal.h"

#define HDR_MAX 998 /* RFC 5322 section 2.1.1 line limit, per value kept */

struct part {
	char type[128];     /* lower-cased type/subtype */
	char boundary[128]; /* RFC 2046: 1..70 characters */
	char filename[256];
	char report_type[64];
	char cte[32];       /* lower-cased */
};

/* Find the end of the line starting at i: index after '\n' (or len). */
static size_t
line_end(const uint8_t *p, size_t len, size_t i)
{
	const uint8_t *nl = memchr(p + i, '\n', len - i);

	return nl != NULL ? (size_t)(nl - p) + 1 : len;
}

/* Length of the line without its CRLF / LF. */
static size_t
line_len(const uint8_t *p, size_t b, size_t e)
{
	while (e > b && (p[e - 1] == '\n' || p[e - 1] == '\r'))
		e--;
	return e - b;
}

static void
copy_lower(char *dst, size_t size, const char *s, size_t n, bool lower)
{
	size_t i;

	if (n >= size)
		n = size - 1;
	for (i = 0; i < n; i++)
		dst[i] = lower ? sk__lower(s[i]) : s[i];
	dst[n] = '\0';
}

/* Parameter `key` of a header value (RFC 2045 section 5.1), quoted or
 * token, also key*=charset''value (RFC 2231 section 4). */
static void
param(const char *v, size_t n, const char *key, char *dst, size_t size)
{
	size_t klen = strlen(key), i = 0;

	while (i < n) {
		size_t b, e;
		bool star = false;

		while (i < n && v[i] != ';' && v[i] != '"')
			i++;
		if (i < n && v[i] == '"') { /* skip a quoted string */
			for (i++; i < n && v[i] != '"'; i++)
				if (v[i] == '\\')
					i++;
			i++;
			continue;
		}
		if (i >= n)
			return;
		i++;
		while (i < n && (v[i] == ' ' || v[i] == '\t'))
			i++;
		if (n - i <= klen || !sk__eq_nocase(v + i, klen, key, klen))
			continue;
		b = i + klen;
		if (b < n && v[b] == '*') {
			star = true;
			b++;
		}
		while (b < n && v[b] == ' ')
			b++;
		if (b >= n || v[b] != '=')
			continue;
		b++;
		while (b < n && v[b] == ' ')
			b++;
		if (b < n && v[b] == '"') {
			b++;
			for (e = b; e < n && v[e] != '"'; e++)
				;
		} else {
			for (e = b; e < n && v[e] != ';' && v[e] != ' '; e++)
				;
		}
		if (star) { /* charset'lang'value: keep value */
			const char *q = memchr(v + b, '\'', e - b);

			if (q != NULL)
				q = memchr(q + 1, '\'',
					   (size_t)(v + e - q - 1));
			if (q != NULL)
				b = (size_t)(q + 1 - v);
		}
		copy_lower(dst, size, v + b, e - b, false);
		return;
	}
}

/* Header field `name`: the unfolded value of its first occurrence. */
static void
header(const uint8_t *p, size_t hlen, const char *name, char *dst,
       size_t size)
{
	size_t nlen = strlen(name), i = 0, e, o = 0;

	dst[0] = '\0';
	while (i < hlen) {
		e = line_end(p, hlen, i);
		if (e - i > nlen && p[i + nlen] == ':' &&
		    sk__eq_nocase((const char *)p + i, nlen, name, nlen)) {
			size_t b = i + nlen + 1;

			/* RFC 5322 section 2.2.3: unfold continuation lines */
			for (;;) {
				size_t l = line_len(p, b, e);

				if (o + l >= size)
					l = size - 1 - o;
				memcpy(dst + o, p + b, l);
				o += l;
				if (e >= hlen || (p[e] != ' ' && p[e] != '\t'))
					break;
				b = e;
				e = line_end(p, hlen, b);
			}
			dst[o] = '\0';
			return;
		}
		i = e;
	}
}

/* Split header and body at the first empty line. */
static size_t
header_end(const uint8_t *p, size_t len, size_t *body)
{
	size_t i = 0, e;

	while (i < len) {
		e = line_end(p, len, i);
		if (line_len(p, i, e) == 0) {
			*body = e;
			return i;
		}
		i = e;
	}
	*body = len;
	return len;
}

static void
parse_part(const uint8_t *p, size_t hlen, struct part *pt)
{
	char v[HDR_MAX + 1];
	size_t n, i;

	memset(pt, 0, sizeof(*pt));
	header(p, hlen, "Content-Type", v, sizeof(v));
	for (i = 0; v[i] == ' ' || v[i] == '\t'; i++)
		;
	for (n = i; v[n] != '\0' && v[n] != ';' && v[n] != ' '; n++)
		;
	copy_lower(pt->type, sizeof(pt->type), v + i, n - i, true);
	param(v, strlen(v), "boundary", pt->boundary, sizeof(pt->boundary));
	param(v, strlen(v), "name", pt->filename, sizeof(pt->filename));
	param(v, strlen(v), "report-type", pt->report_type,
	      sizeof(pt->report_type));
	header(p, hlen, "Content-Disposition", v, sizeof(v));
	param(v, strlen(v), "filename", pt->filename, sizeof(pt->filename));
	header(p, hlen, "Content-Transfer-Encoding", v, sizeof(v));
	for (i = 0; v[i] == ' ' || v[i] == '\t'; i++)
		;
	for (n = i; v[n] != '\0' && v[n] != ' ' && v[n] != ';'; n++)
		;
	copy_lower(pt->cte, sizeof(pt->cte), v + i, n - i, true);
}

static int
hexval(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* RFC 2045 section 6.7: =XX octets, "=" at line end is a soft break. */
static sk_status
qp(const uint8_t *p, size_t len, struct sk_buf *out)
{
	size_t i;
	sk_status st = SK_OK;

	for (i = 0; i < len && st == SK_OK; i++) {
		if (p[i] != '=') {
			st = sk__buf_addc(out, (char)p[i]);
			continue;
		}
		if (i + 2 < len && hexval(p[i + 1]) >= 0 &&
		    hexval(p[i + 2]) >= 0) {
			st = sk__buf_addc(out, (char)(hexval(p[i + 1]) * 16 +
						       hexval(p[i + 2])));
			i += 2;
		} else if (i + 1 < len && p[i + 1] == '\n') {
			i += 1;
		} else if (i + 2 < len && p[i + 1] == '\r' &&
			   p[i + 2] == '\n') {
			i += 2;
		} else {
			st = sk__buf_addc(out, '=');
		}
	}
	return st;
}

static bool
ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), m = strlen(suffix);

	return n >= m && sk__eq_nocase(s + n - m, m, suffix, m);
}

/* Is this leaf an aggregate report (by type or name)? */
static bool
is_report(const struct part *pt)
{
	static const char *const types[] = {
		"application/gzip", "application/x-gzip", "application/zip",
		"application/x-zip-compressed", "application/x-zip",
		"application/xml", "text/xml", "application/octet-stream",
	};
	size_t i;

	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		if (strcmp(pt->type, types[i]) == 0)
			return true;
	return ends_with(pt->filename, ".xml") ||
	       ends_with(pt->filename, ".gz") ||
	       ends_with(pt->filename, ".zip");
}

static unsigned
leaf(struct sk__rctx *c, const char *name, const struct part *pt,
     const uint8_t *p, size_t len)
{
	struct sk_buf b;
	sk_status st;
	enum sk__fmt fmt;

	if (!is_report(pt))
		return 0;
	sk__buf_init(&b, c->lim.max_message);
	if (strcmp(pt->cte, "base64") == 0)
		st = sk__base64_decode_lenient(p, len, &b);
	else if (strcmp(pt->cte, "quoted-printable") == 0)
		st = qp(p, len, &b);
	else
		st = sk__buf_add(&b, p, len);
	if (st != SK_OK) {
		sk__report_fail(c, name, st, "attachment larger than %zu "
				"bytes decoded", c->lim.max_message);
		sk__buf_free(&b);
		return 1;
	}
	fmt = sk__report_sniff((uint8_t *)b.p, b.len);
	if (fmt != SK__FMT_XML && fmt != SK__FMT_GZIP && fmt != SK__FMT_ZIP) {
		sk__buf_free(&b);
		if (strcmp(pt->type, "application/octet-stream") == 0 &&
		    pt->filename[0] == '\0')
			return 0; /* some other binary */
		sk__report_fail(c, name, SK_ESYNTAX, "attachment is neither "
				"XML, gzip nor zip");
		return 1;
	}
	sk__report_mem(c, name, (uint8_t *)b.p, b.len, 1);
	sk__buf_free(&b);
	return 1;
}

/*
 * The body parts of a multipart entity (RFC 2046 section 5.1.1):
 * delimiter lines "--boundary", the last one "--boundary--"; the CRLF
 * before a delimiter belongs to it.  An unterminated last part is taken
 * as it is.
 */
struct parts {
	const uint8_t *p;
	size_t len, i, start, blen;
	const char *boundary;
	bool in, done;
};

static void
parts_init(struct parts *it, const uint8_t *p, size_t len, size_t body,
	   const char *boundary)
{
	memset(it, 0, sizeof(*it));
	it->p = p;
	it->len = len;
	it->i = body;
	it->boundary = boundary;
	it->blen = strlen(boundary);
}

/* The next part as [*ps, *pe) of p; false when none is left. */
static bool
next_part(struct parts *it, size_t *ps, size_t *pe)
{
	const uint8_t *p = it->p;
	size_t blen = it->blen;

	while (!it->done && it->i < it->len) {
		size_t i = it->i, e = line_end(p, it->len, i);
		size_t l = line_len(p, i, e), start = it->start, end = i;
		bool had = it->in;

		it->i = e;
		if (l < blen + 2 || p[i] != '-' || p[i + 1] != '-' ||
		    memcmp(p + i + 2, it->boundary, blen) != 0)
			continue;
		if (l >= blen + 4 && p[i + 2 + blen] == '-' &&
		    p[i + 3 + blen] == '-') {
			it->done = true;
			it->in = false;
		} else {
			it->in = true;
			it->start = e;
		}
		if (had) {
			if (end > start && p[end - 1] == '\n')
				end--;
			if (end > start && p[end - 1] == '\r')
				end--;
			*ps = start;
			*pe = end;
			return true;
		}
	}
	if (!it->done && it->in && it->start < it->len) {
		it->done = true;
		*ps = it->start;
		*pe = it->len;
		return true;
	}
	return false;
}

unsigned
sk__mime_walk(struct sk__rctx *c, const char *name, const uint8_t *p,
	      size_t len, unsigned depth)
{
	char sub[SK__REPORT_NAME_MAX];
	struct part pt;
	struct parts it;
	size_t hlen, body, ps, pe;
	unsigned found = 0;

	if (depth > c->lim.max_mime_depth) {
		sk__report_fail(c, name, SK_ETOOBIG, "MIME parts nested deeper "
				"than %u", c->lim.max_mime_depth);
		return 1;
	}
	hlen = header_end(p, len, &body);
	parse_part(p, hlen, &pt);
	if (strcmp(pt.type, "message/rfc822") == 0)
		return sk__mime_walk(c, name, p + body, len - body, depth + 1);
	if (strncmp(pt.type, "multipart/", 10) != 0) {
		if (pt.filename[0] != '\0')
			snprintf(sub, sizeof(sub), "%s: attachment %s", name,
				 pt.filename);
		else
			snprintf(sub, sizeof(sub), "%s", name);
		return leaf(c, sub, &pt, p + body, len - body);
	}
	if (pt.boundary[0] == '\0')
		return 0;
	parts_init(&it, p, len, body, pt.boundary);
	while (next_part(&it, &ps, &pe))
		found += sk__mime_walk(c, name, p + ps, pe - ps, depth + 1);
	return found;
}

/* A failure report: parsed and handed to the reader's `failure`. */
static void
failure(struct sk__rctx *c, const char *name, const uint8_t *p, size_t len)
{
	const struct sk_report_reader *rd = c->rd;
	struct sk_failure_report *f = NULL;
	struct sk_err e;
	sk_status st;

	if (rd->failure == NULL) {
		sk__report_fail(c, name, SK_ENOTSUP, "failure report (ARF): "
				"not read by this reader");
		return;
	}
	memset(&e, 0, sizeof(e));
	e.offset = SK_NO_OFFSET;
	if (rd->start != NULL)
		rd->start(rd->arg, name);
	st = sk_failure_parse(p, len, &f, &e);
	if (st == SK_OK) {
		st = rd->failure(rd->arg, name, f);
		if (st != SK_OK && st != SK_EEXIST && e.msg[0] == '\0')
			snprintf(e.msg, sizeof(e.msg), "failure report: %s",
				 sk_strerror(st));
	}
	e.code = st;
	sk_failure_report_free(f);
	if (rd->done != NULL)
		rd->done(rd->arg, name, st, &e, sk__report_no_findings());
}

void
sk__mime_message(struct sk__rctx *c, const char *name, const uint8_t *p,
		 size_t len)
{
	struct part pt;
	size_t body, hlen;

	hlen = header_end(p, len, &body);
	parse_part(p, hlen, &pt);
	/* RFC 6591 / RFC 5965: failure reports are multipart/report with
	 * report-type=feedback-report. */
	if (strcmp(pt.type, "multipart/report") == 0 &&
	    sk__eq_nocase_z(pt.report_type, strlen(pt.report_type),
			    "feedback-report")) {
		failure(c, name, p, len);
		return;
	}
	if (sk__mime_walk(c, name, p, len, 0) == 0)
		sk__report_fail(c, name, SK_ENOENT, "no DMARC aggregate "
				"report in this message");
}

/* ----- failure reports: RFC 5965 ARF, RFC 6591, RFC 9991 ----------- */

/* A part's decoded body into b (base64, quoted-printable or as is). */
static sk_status
decode(const struct part *pt, const uint8_t *p, size_t len, size_t cap,
       struct sk_buf *b)
{
	sk__buf_init(b, cap);
	if (strcmp(pt->cte, "base64") == 0)
		return sk__base64_decode_lenient(p, len, b);
	if (strcmp(pt->cte, "quoted-printable") == 0)
		return qp(p, len, b);
	return sk__buf_add(b, p, len);
}

/* Trimmed copy of a field value (leading blanks and trailing blanks). */
static void
field(const uint8_t *p, size_t len, const char *name, char *dst,
      size_t size)
{
	size_t i, n;

	header(p, len, name, dst, size);
	for (i = 0; dst[i] == ' ' || dst[i] == '\t'; i++)
		;
	n = strlen(dst + i);
	memmove(dst, dst + i, n + 1);
	while (n > 0 && (dst[n - 1] == ' ' || dst[n - 1] == '\t' ||
			 dst[n - 1] == '\r'))
		dst[--n] = '\0';
}

static void
lower(char *s)
{
	for (; *s != '\0'; s++)
		*s = sk__lower(*s);
}

/* ----- RFC 5322 section 3.3 date-time (and section 4.3 obsolete forms) */

static void
date_cfws(const char *s, size_t len, size_t *i)
{
	unsigned depth = 0;

	/* FWS and comments (nested up to 8, RFC 5322 section 3.2.2) */
	while (*i < len) {
		char c = s[*i];

		if (c == '(' && depth < 8)
			depth++;
		else if (c == ')' && depth > 0)
			depth--;
		else if (depth == 0 && c != ' ' && c != '\t' && c != '\r' &&
			 c != '\n')
			break;
		(*i)++;
	}
}

/* 1..max digits at s[*i]; false when none. */
static bool
date_num(const char *s, size_t len, size_t *i, unsigned max, unsigned *n,
	 unsigned *v)
{
	*v = 0;
	*n = 0;
	while (*i < len && *n < max && sk__isdigit((unsigned char)s[*i])) {
		*v = *v * 10 + (unsigned)(s[*i] - '0');
		(*i)++;
		(*n)++;
	}
	return *n > 0;
}

/* Obsolete zone names (RFC 5322 section 4.3), minutes east of UTC. */
static bool
date_obs_zone(const char *z, size_t n, int *off)
{
	static const struct {
		const char *name;
		int off;
	} t[] = {
		{"UT", 0}, {"GMT", 0}, {"UTC", 0}, {"Z", 0},
		{"EST", -300}, {"EDT", -240}, {"CST", -360}, {"CDT", -300},
		{"MST", -420}, {"MDT", -360}, {"PST", -480}, {"PDT", -420},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		if (sk__eq_nocase_z(z, n, t[i].name)) {
			*off = t[i].off;
			return true;
		}
	/* Military zones: "SHOULD all be considered equivalent to -0000". */
	if (n == 1 && sk__isalpha((unsigned char)z[0])) {
		*off = 0;
		return true;
	}
	return false;
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant). */
static int64_t
date_days(int64_t y, unsigned m, unsigned d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

bool
sk__report_date(const char *s, size_t len, int64_t *out)
{
	static const char months[] = "janfebmaraprmayjunjulaugsepoctnovdec";
	static const unsigned char mdays[] = {31, 29, 31, 30, 31, 30, 31, 31,
					      30, 31, 30, 31};
	unsigned day, mon = 0, year, hh, mm, ss = 0, n, v;
	size_t i = 0, b;
	int off = 0;
	int64_t y;

	*out = 0;
	date_cfws(s, len, &i);
	/* [ day-of-week "," ] */
	if (i + 3 < len && sk__isalpha((unsigned char)s[i])) {
		b = i;
		while (i < len && sk__isalpha((unsigned char)s[i]))
			i++;
		if (i - b != 3)
			return false;
		date_cfws(s, len, &i);
		if (i >= len || s[i] != ',')
			return false;
		i++;
		date_cfws(s, len, &i);
	}
	if (!date_num(s, len, &i, 2, &n, &day) || day < 1)
		return false;
	date_cfws(s, len, &i);
	if (i + 3 > len)
		return false;
	for (v = 0; v < 12 && mon == 0; v++)
		if (sk__eq_nocase(s + i, 3, months + 3 * v, 3))
			mon = v + 1;
	if (mon == 0 || (i + 3 < len && sk__isalpha((unsigned char)s[i + 3])))
		return false;
	i += 3;
	date_cfws(s, len, &i);
	if (!date_num(s, len, &i, 4, &n, &year) || n < 2)
		return false;
	/* section 4.3: 2-digit years 00-49 are 2000-2049, 50-99 and
	 * 3-digit years add 1900 */
	if (n == 2)
		year += year < 50 ? 2000 : 1900;
	else if (n == 3)
		year += 1900;
	if (year < 1970 || day > mdays[mon - 1] ||
	    (mon == 2 && day == 29 &&
	     !(year % 4 == 0 && (year % 100 != 0 || year % 400 == 0))))
		return false;
	date_cfws(s, len, &i);
	if (!date_num(s, len, &i, 2, &n, &hh) || hh > 23)
		return false;
	date_cfws(s, len, &i);
	if (i >= len || s[i++] != ':')
		return false;
	date_cfws(s, len, &i);
	if (!date_num(s, len, &i, 2, &n, &mm) || n != 2 || mm > 59)
		return false;
	date_cfws(s, len, &i);
	if (i < len && s[i] == ':') {
		i++;
		date_cfws(s, len, &i);
		/* 60: a leap second (section 3.3) */
		if (!date_num(s, len, &i, 2, &n, &ss) || n != 2 || ss > 60)
			return false;
	}
	date_cfws(s, len, &i);
	if (i < len && (s[i] == '+' || s[i] == '-')) {
		int sign = s[i] == '-' ? -1 : 1;

		i++;
		if (!date_num(s, len, &i, 4, &n, &v) || n != 4 ||
		    v % 100 > 59)
			return false;
		off = sign * (int)(v / 100 * 60 + v % 100);
	} else {
		b = i;
		while (i < len && sk__isalpha((unsigned char)s[i]))
			i++;
		if (!date_obs_zone(s + b, i - b, &off))
			return false;
	}
	date_cfws(s, len, &i);
	if (i != len)
		return false;
	y = year;
	*out = date_days(y, mon, day) * 86400 + (int64_t)hh * 3600 +
	       (int64_t)mm * 60 + ss - (int64_t)off * 60;
	return true;
}

/* RFC 5965 section 3.5 fields of the machine-readable part. */
static sk_status
arf_fields(struct sk_failure_report *f, const uint8_t *p, size_t len)
{
	struct sk_ipaddr addr;
	char ip[128];
	struct {
		const char *name;
		char *dst;
		size_t size;
	} t[] = {
		{"Feedback-Type", f->feedback_type, sizeof(f->feedback_type)},
		{"Version", f->version, sizeof(f->version)},
		{"User-Agent", f->user_agent, sizeof(f->user_agent)},
		{"Auth-Failure", f->auth_failure, sizeof(f->auth_failure)},
		{"Reported-Domain", f->reported_domain,
		 sizeof(f->reported_domain)},
		{"Arrival-Date", f->arrival_date, sizeof(f->arrival_date)},
		{"Original-Mail-From", f->original_mail_from,
		 sizeof(f->original_mail_from)},
		{"Original-Rcpt-To", f->original_rcpt_to,
		 sizeof(f->original_rcpt_to)},
		{"Authentication-Results", f->authentication_results,
		 sizeof(f->authentication_results)},
		{"DKIM-Domain", f->dkim_domain, sizeof(f->dkim_domain)},
		{"DKIM-Selector", f->dkim_selector, sizeof(f->dkim_selector)},
		{"Delivery-Result", f->delivery_result,
		 sizeof(f->delivery_result)},
		{"Identity-Alignment", f->identity_alignment,
		 sizeof(f->identity_alignment)},
		{"Reporting-MTA", f->reporting_mta, sizeof(f->reporting_mta)},
	};
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		field(p, len, t[i].name, t[i].dst, t[i].size);
	if (f->arrival_date[0] == '\0') /* RFC 5965 3.3: older name */
		field(p, len, "Received-Date", f->arrival_date,
		      sizeof(f->arrival_date));
	if (!sk__report_date(f->arrival_date, strlen(f->arrival_date),
			     &f->arrival))
		f->arrival = 0;
	lower(f->feedback_type);
	lower(f->auth_failure);
	lower(f->delivery_result);
	/* Source-IP: kept only when it is an address (RFC 5965 3.2). */
	field(p, len, "Source-IP", ip, sizeof(ip));
	if (ip[0] != '\0' && strlen(ip) < sizeof(f->source_ip) &&
	    sk_ip_parse(ip, strlen(ip), &addr, NULL) == SK_OK)
		snprintf(f->source_ip, sizeof(f->source_ip), "%s", ip);
	return f->feedback_type[0] != '\0' ? SK_OK : SK_ESYNTAX;
}

/* A bounded NUL-terminated copy; sets *cut when it does not fit. */
static char *
text_copy(const uint8_t *p, size_t len, bool *cut)
{
	if (len > SK_FAILURE_TEXT_MAX) {
		len = SK_FAILURE_TEXT_MAX;
		*cut = true;
	}
	return sk__strndup((const char *)p, len);
}

/* The original message (message/rfc822) or headers (text/rfc822-headers). */
static sk_status
arf_original(struct sk_failure_report *f, const uint8_t *p, size_t len,
	     bool headers_only)
{
	size_t hlen, body;

	hlen = header_end(p, len, &body);
	if (headers_only)
		hlen = len;
	field(p, hlen, "From", f->header_from, sizeof(f->header_from));
	field(p, hlen, "Subject", f->subject, sizeof(f->subject));
	field(p, hlen, "Message-ID", f->message_id, sizeof(f->message_id));
	f->headers = text_copy(p, hlen, &f->cut);
	if (f->headers == NULL)
		return SK_ENOMEM;
	if (!headers_only && body < len) {
		f->body = text_copy(p + body, len - body, &f->cut);
		if (f->body == NULL)
			return SK_ENOMEM;
	}
	return SK_OK;
}

/* One part of the report: fields, or the original message. */
static sk_status
arf_part(struct sk_failure_report *f, const uint8_t *p, size_t len,
	 bool *have_fields)
{
	struct part pt;
	struct sk_buf b;
	size_t hlen, body;
	sk_status st;

	hlen = header_end(p, len, &body);
	parse_part(p, hlen, &pt);
	if (strcmp(pt.type, "message/feedback-report") != 0 &&
	    strcmp(pt.type, "message/rfc822") != 0 &&
	    strcmp(pt.type, "text/rfc822-headers") != 0)
		return SK_OK;
	st = decode(&pt, p + body, len - body, 4 * SK_FAILURE_TEXT_MAX, &b);
	if (st == SK_OK && pt.type[8] == 'f') {
		if (!*have_fields) {
			*have_fields = true;
			st = arf_fields(f, (uint8_t *)b.p, b.len);
		}
	} else if (st == SK_OK && f->headers == NULL) {
		st = arf_original(f, (uint8_t *)b.p, b.len,
				  pt.type[0] == 't');
	} else if (st == SK_ETOOBIG) {
		st = SK_OK; /* a huge original: skipped */
		f->cut = true;
	}
	sk__buf_free(&b);
	return st;
}

sk_status
sk_failure_parse(const void *msg, size_t len, struct sk_failure_report **out,
		 struct sk_err *err)
{
	const uint8_t *p = msg;
	struct sk_failure_report *f;
	struct part pt;
	struct parts it;
	size_t hlen, body, ps, pe;
	bool have = false;
	sk_status st = SK_OK;

	*out = NULL;
	hlen = header_end(p, len, &body);
	parse_part(p, hlen, &pt);
	if (strcmp(pt.type, "multipart/report") != 0 ||
	    !sk__eq_nocase_z(pt.report_type, strlen(pt.report_type),
			     "feedback-report") || pt.boundary[0] == '\0')
		return sk__err(err, SK_ENOENT, "not a failure report "
			       "(multipart/report; report-type="
			       "feedback-report)");
	f = sk__calloc(1, sizeof(*f));
	if (f == NULL)
		return sk__err(err, SK_ENOMEM, "out of memory");
	parts_init(&it, p, len, body, pt.boundary);
	while (st == SK_OK && next_part(&it, &ps, &pe))
		st = arf_part(f, p + ps, pe - ps, &have);
	if (st == SK_ENOMEM) {
		sk_failure_report_free(f);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	if (st != SK_OK || !have) {
		sk_failure_report_free(f);
		return sk__err(err, SK_ESYNTAX, have ? "failure report: no "
			       "Feedback-Type field" : "failure report: no "
			       "message/feedback-report part");
	}
	*out = f;
	return SK_OK;
}

/* RFC 5322 atext and '.': what a local part is made of. */
static bool
local_char(char c)
{
	return sk__isalnum((unsigned char)c) ||
	       (c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~.", c) != NULL);
}

/* Replace the local part before each '@' by "redacted", in place within
 * size bytes (a longer result is cut). */
static void
redact_text(char *s, size_t size)
{
	static const char repl[] = "redacted";
	size_t i, b, n = strlen(s), r = sizeof(repl) - 1;

	for (i = 0; i < n; i++) {
		if (s[i] != '@')
			continue;
		for (b = i; b > 0 && local_char(s[b - 1]); b--)
			;
		if (b == i)
			continue;
		if (n - (i - b) + r >= size) { /* no room: just blank it */
			memset(s + b, '*', i - b);
			continue;
		}
		memmove(s + b + r, s + i, n - i + 1);
		memcpy(s + b, repl, r);
		n = n - (i - b) + r;
		i = b + r;
	}
}

/* The same on a heap string (it may grow): reallocated as needed. */
static void
redact_heap(char **sp)
{
	size_t n, size;
	char *s = *sp, *t;

	if (s == NULL)
		return;
	n = strlen(s);
	size = n + 1;
	/* every '@' may add at most 8 bytes */
	for (t = strchr(s, '@'); t != NULL; t = strchr(t + 1, '@'))
		size += 8;
	t = sk__realloc(s, size);
	if (t == NULL) {
		sk__free(s); /* cannot redact: drop it */
		*sp = NULL;
		return;
	}
	redact_text(t, size);
	*sp = t;
}

void
sk_failure_redact(struct sk_failure_report *f)
{
	char *const t[] = {
		f->user_agent, f->reported_domain, f->original_mail_from,
		f->original_rcpt_to, f->authentication_results,
		f->reporting_mta, f->header_from, f->subject,
		f->message_id,
	};
	const size_t size = SK_REPORT_FIELD_MAX + 1;
	size_t i;

	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++)
		redact_text(t[i], size);
	redact_heap(&f->headers);
	sk__free(f->body);
	f->body = NULL;
	f->redacted = true;
}

void
sk_failure_report_free(struct sk_failure_report *f)
{
	if (f == NULL)
		return;
	sk__free(f->headers);
	sk__free(f->body);
	sk__free(f);
}
