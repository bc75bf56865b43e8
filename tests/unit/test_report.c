/*
 * tests/unit/test_report.c - the aggregate report parser and readers:
 * every conformance sample against totals computed independently
 * (tests/data/reports/samples.tsv), chunked feeding, the schemas, and
 * hostile input (DTD, entities, depth, dates, missing fields, gzip bomb).
 *
 * Usage: test_report SAMPLES_DIR SAMPLES_TSV
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <senderkit/report.h>
#include "tap.h"

struct count {
	unsigned ok, failed;
	uint64_t records, messages;
	enum sk_report_schema schema;
	char lasterr[512];
	size_t nwarn;
};

static sk_status
c_report(void *arg, const struct sk_report_meta *m)
{
	((struct count *)arg)->schema = m->schema;
	return SK_OK;
}

static sk_status
c_record(void *arg, const struct sk_report_meta *m,
	 const struct sk_report_record *r)
{
	struct count *c = arg;

	c->records++;
	c->messages += r->count;
	return SK_OK;
}

static void
c_done(void *arg, const char *name, sk_status st, const struct sk_err *e,
       const struct sk_findings *w)
{
	struct count *c = arg;

	c->nwarn += sk_findings_count(w);
	if (st == SK_OK) {
		c->ok++;
	} else {
		c->failed++;
		snprintf(c->lasterr, sizeof(c->lasterr), "%.200s: %.200s", name,
			 e ? e->msg : "?");
	}
}

static void
reader(struct sk_report_reader *rd, struct count *c,
       const struct sk_report_limits *lim)
{
	memset(c, 0, sizeof(*c));
	memset(rd, 0, sizeof(*rd));
	rd->xml.report = c_report;
	rd->xml.record = c_record;
	rd->xml.arg = c;
	rd->done = c_done;
	rd->arg = c;
	rd->limits = lim;
}

static void
samples(const char *dir, const char *tsv)
{
	char line[1024], path[2048];
	FILE *f = fopen(tsv, "r");
	unsigned n = 0, nerr = 0;

	ok(f != NULL, "open %s", tsv);
	if (f == NULL)
		return;
	while (fgets(line, sizeof(line), f) != NULL) {
		char *t1 = strchr(line, '\t'), *t2, *end;
		struct sk_report_reader rd;
		struct count c;
		unsigned long long want_r, want_m;

		line[strcspn(line, "\n")] = '\0';
		if (t1 == NULL)
			continue;
		*t1++ = '\0';
		snprintf(path, sizeof(path), "%s/%s", dir, line);
		reader(&rd, &c, NULL);
		ok(sk_report_read_path(path, &rd, NULL) == SK_OK, "read %.200s",
		   line);
		n++;
		if (strcmp(t1, "error") == 0) {
			nerr++;
			ok(c.failed == 1 && c.ok == 0 && c.lasterr[0] != '\0',
			   "%.100s fails with a message: %.300s", line,
			   c.lasterr);
			continue;
		}
		t2 = strchr(t1, '\t');
		want_r = strtoull(t1, &end, 10);
		want_m = t2 ? strtoull(t2 + 1, &end, 10) : 0;
		is_int(c.failed, 0, "%.100s: no failure %.300s", line,
		       c.lasterr);
		ok(c.ok >= 1, "%.200s: a report", line);
		is_int(c.records, want_r, "%.200s: records", line);
		is_int(c.messages, want_m, "%.200s: messages", line);
	}
	fclose(f);
	ok(n >= 20 && nerr >= 4, "samples read: %u, %u malformed", n, nerr);
}

/* Parse a text in chunks of `chunk` bytes. */
static sk_status
parse_text(const char *xml, size_t chunk, struct count *c,
	   struct sk_err *err, struct sk_report_parser **keep)
{
	struct sk_report_cb cb = {c_report, c_record, c};
	struct sk_report_parser *p = NULL;
	size_t len = strlen(xml), off;
	sk_status st;

	memset(c, 0, sizeof(*c));
	sk_err_clear(err);
	st = sk_report_parser_new(&cb, &p, err);
	if (st != SK_OK)
		return st;
	for (off = 0; off < len && st == SK_OK; off += chunk)
		st = sk_report_parser_feed(p, xml + off,
					   len - off < chunk ? len - off :
					   chunk, err);
	if (st == SK_OK)
		st = sk_report_parser_finish(p, err);
	if (keep != NULL)
		*keep = p;
	else
		sk_report_parser_free(p);
	return st;
}

#define HEAD "<feedback><report_metadata><org_name>o</org_name>" \
	"<email>a@o</email><report_id>r1</report_id><date_range>"
#define DATES "<begin>100</begin><end>200</end></date_range>" \
	"</report_metadata><policy_published><domain>example.com</domain>" \
	"<p>none</p></policy_published>"
#define REC(ip, n) "<record><row><source_ip>" ip "</source_ip><count>" \
	n "</count><policy_evaluated><disposition>none</disposition>" \
	"<dkim>pass</dkim><spf>fail</spf></policy_evaluated></row>" \
	"<identifiers><header_from>example.com</header_from></identifiers>" \
	"<auth_results><dkim><domain>example.com</domain><result>Pass" \
	"</result></dkim></auth_results></record>"

static void
parser_cases(void)
{
	struct sk_report_parser *p = NULL;
	struct sk_err err;
	struct count c;
	size_t ch;
	char *deep;
	sk_status st;

	for (ch = 1; ch <= 7; ch += 3) {
		st = parse_text(HEAD DATES REC("192.0.2.1", "3")
				REC("2001:db8::1", "4") "</feedback>", ch, &c,
				&err, NULL);
		is_int(st, SK_OK, "chunks of %zu: parsed (%s)", ch, err.msg);
		is_int(c.records, 2, "chunks of %zu: records", ch);
		is_int(c.messages, 7, "chunks of %zu: messages", ch);
	}
	st = parse_text(HEAD DATES REC("192.0.2.1", "3") "</feedback>", 4096,
			&c, &err, &p);
	is_int(st, SK_OK, "upper-case Pass accepted");
	ok(sk_findings_count(sk_report_parser_warnings(p)) == 1 &&
	   strcmp(sk_findings_get(sk_report_parser_warnings(p), 0)->id,
		  "report-value-case") == 0, "one warning: value case");
	sk_report_parser_free(p);

	st = parse_text("<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol "
			"\"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;\">]>"
			"<feedback>&lol2;</feedback>", 4096, &c, &err, NULL);
	ok(st == SK_ESYNTAX && strstr(err.msg, "DOCTYPE") != NULL,
	   "DOCTYPE refused: %s", err.msg);
	st = parse_text("<feedback>&ext;</feedback>", 4096, &c, &err, NULL);
	is_int(st, SK_ESYNTAX, "undefined entity refused: %s", err.msg);
	st = parse_text(HEAD "<begin>300</begin><end>200</end></date_range>"
			"</report_metadata><policy_published><domain>x"
			"</domain></policy_published>" REC("192.0.2.1", "1")
			"</feedback>", 4096, &c, &err, NULL);
	ok(st == SK_ESYNTAX && strstr(err.msg, "wrong dates") != NULL,
	   "begin after end: %s", err.msg);
	st = parse_text(HEAD DATES "<record><row><source_ip>192.0.2.1"
			"</source_ip></row></record></feedback>", 4096, &c,
			&err, NULL);
	ok(st == SK_ESYNTAX && strstr(err.msg, "count") != NULL,
	   "missing count: %s", err.msg);
	st = parse_text(HEAD DATES REC("192.0.2.300", "1") "</feedback>",
			4096, &c, &err, NULL);
	ok(st == SK_ESYNTAX && strstr(err.msg, "IP") != NULL,
	   "bad source_ip: %s", err.msg);
	st = parse_text(HEAD DATES REC("192.0.2.1", "-1") "</feedback>",
			4096, &c, &err, NULL);
	is_int(st, SK_ESYNTAX, "negative count: %s", err.msg);
	st = parse_text("<feedback><report_metadata><org_name>o</org_name>"
			"<date_range>" DATES REC("192.0.2.1", "1")
			"</feedback>", 4096, &c, &err, NULL);
	ok(st == SK_ESYNTAX && strstr(err.msg, "report_id") != NULL,
	   "missing report_id: %s", err.msg);
	st = parse_text(HEAD DATES REC("192.0.2.1", "1"), 4096, &c, &err,
			NULL);
	is_int(st, SK_ESYNTAX, "truncated: %s", err.msg);
	st = parse_text("<html/>", 4096, &c, &err, NULL);
	ok(st == SK_ESYNTAX && strstr(err.msg, "not a DMARC") != NULL,
	   "other root: %s", err.msg);
	deep = calloc(1, 64 * 10 + 64);
	if (deep != NULL) {
		memcpy(deep, "<feedback>", 10);
		for (ch = 0; ch < 40; ch++)
			memcpy(deep + 10 + 3 * ch, "<x>", 3);
		st = parse_text(deep, 4096, &c, &err, NULL);
		is_int(st, SK_ETOOBIG, "deep nesting: %s", err.msg);
		free(deep);
	}
	st = parse_text("<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">"
			"<report_metadata><org_name>o</org_name><report_id>r"
			"</report_id><date_range>" DATES
			REC("192.0.2.1", "1") "</feedback>", 4096, &c, &err,
			NULL);
	ok(st == SK_OK && c.schema == SK_REPORT_RFC9990,
	   "RFC 9990 namespace");
	st = parse_text("<d:feedback xmlns:d=\"urn:ietf:params:xml:ns:dmarc-"
			"2.0\"><d:report_metadata><d:org_name>o</d:org_name>"
			"<d:report_id>r</d:report_id><d:date_range><d:begin>1"
			"</d:begin><d:end>2</d:end></d:date_range>"
			"</d:report_metadata><d:policy_published><d:domain>x"
			"</d:domain></d:policy_published><d:record><d:row>"
			"<d:source_ip>192.0.2.9</d:source_ip><d:count>5"
			"</d:count></d:row></d:record></d:feedback>", 4096,
			&c, &err, NULL);
	ok(st == SK_OK && c.messages == 5, "prefixed namespace (%s)",
	   err.msg);
}

static void
bomb(void)
{
	size_t n = 64u << 20, cl;
	uint8_t *zeros = calloc(1, n), *gz;
	struct sk_report_limits lim = {0};
	struct sk_report_reader rd;
	struct count c;
	z_stream z;

	memset(&z, 0, sizeof(z));
	cl = n / 100;
	gz = malloc(cl);
	if (zeros == NULL || gz == NULL ||
	    deflateInit2(&z, 9, Z_DEFLATED, 16 + MAX_WBITS, 9,
			 Z_DEFAULT_STRATEGY) != Z_OK) {
		ok(0, "make a gzip bomb");
		return;
	}
	/* Valid XML as far as it goes: the parser keeps reading. */
	memset(zeros, ' ', n);
	memcpy(zeros, "<feedback>", 10);
	z.next_in = zeros;
	z.avail_in = (uInt)n;
	z.next_out = gz;
	z.avail_out = (uInt)cl;
	ok(deflate(&z, Z_FINISH) == Z_STREAM_END, "gzip bomb made");
	cl = z.total_out;
	deflateEnd(&z);
	lim.max_ratio = 100;
	reader(&rd, &c, &lim);
	ok(sk_report_read_mem("bomb.gz", gz, cl, &rd, NULL) == SK_OK &&
	   c.failed == 1 && strstr(c.lasterr, "ratio") != NULL,
	   "gzip bomb stopped by ratio: %.300s", c.lasterr);
	lim.max_ratio = 100000;
	lim.max_decompressed = 8u << 20;
	reader(&rd, &c, &lim);
	ok(sk_report_read_mem("bomb.gz", gz, cl, &rd, NULL) == SK_OK &&
	   c.failed == 1 && strstr(c.lasterr, "limit") != NULL,
	   "gzip bomb stopped by size: %.300s", c.lasterr);
	free(zeros);
	free(gz);
}

static void
mail(void)
{
	static const char eml[] =
		"From: a@example.net\r\nSubject: r\r\nMIME-Version: 1.0\r\n"
		"Content-Type: multipart/mixed;\r\n boundary=\"b1\"\r\n\r\n"
		"--b1\r\nContent-Type: text/plain\r\n\r\nhello\r\n"
		"--b1\r\nContent-Type: multipart/alternative; boundary=b2\r\n"
		"\r\n--b2\r\nContent-Type: text/xml\r\n"
		"Content-Transfer-Encoding: quoted-printable\r\n\r\n"
		"<feedback><report_metadata><org_name>o</org_name><report_=\r\n"
		"id>r</report_id><date_range><begin>1</begin><end>2</end></da"
		"te_range></report_metadata><policy_published><domain>x</domai"
		"n></policy_published><record><row><source_ip>192.0.2.1</sourc"
		"e_ip><count>3D</count></row></record></feedback>\r\n"
		"--b2--\r\n--b1--\r\n";
	struct sk_report_reader rd;
	struct count c;

	reader(&rd, &c, NULL);
	ok(sk_report_read_mem("m.eml", eml, sizeof(eml) - 1, &rd, NULL) ==
	   SK_OK, "read mail");
	/* "=3D" would be '=': here "3D" is text, so the count is bad. */
	ok(c.failed == 1 && strstr(c.lasterr, "count") != NULL,
	   "qp decoded, nested multipart found: %.300s", c.lasterr);
	reader(&rd, &c, NULL);
	ok(sk_report_read_mem("t.eml", "Subject: x\r\n\r\nhi\r\n", 18, &rd,
			      NULL) == SK_OK && c.failed == 1 &&
	   strstr(c.lasterr, "no DMARC") != NULL, "mail without report: %.300s",
	   c.lasterr);
}

/* The texts of each record as the store sees them. */
struct seen {
	unsigned n;
	char line[2][1024];
};

static sk_status
s_record(void *arg, const struct sk_report_meta *m,
	 const struct sk_report_record *r)
{
	struct seen *s = arg;
	size_t i;
	int o;

	if (s->n >= 2)
		return SK_OK;
	o = snprintf(s->line[s->n], sizeof(s->line[0]),
		     "%s|%llu|%s|%s|%s|%s|%s|%s|%s|%s|", r->source_ip,
		     (unsigned long long)r->count, r->disposition, r->dkim,
		     r->spf, r->reason_type, r->reason_comment,
		     r->header_from, r->envelope_from, r->envelope_to);
	for (i = 0; i < r->ndkim_auth && o > 0 && o < 900; i++)
		o += snprintf(s->line[s->n] + o, sizeof(s->line[0]) - o,
			      "d:%s/%s/%s;", r->dkim_auth[i].domain,
			      r->dkim_auth[i].selector,
			      r->dkim_auth[i].result);
	for (i = 0; i < r->nspf_auth && o > 0 && o < 900; i++)
		o += snprintf(s->line[s->n] + o, sizeof(s->line[0]) - o,
			      "s:%s/%s/%s;", r->spf_auth[i].domain,
			      r->spf_auth[i].scope, r->spf_auth[i].result);
	s->n++;
	return SK_OK;
}

/*
 * Every field of a record is read into its place (element dispatch), and
 * nothing of a full record is left in the next, empty one (the parser
 * empties a record's texts rather than zeroing all of it).  Unknown names
 * close to known ones (<pp>, <domainx>, <spfx>) are extensions, ignored.
 */
static void
record_fields(void)
{
	static const char xml[] = HEAD DATES
		"<record><row><source_ip>192.0.2.1</source_ip><count>3</count>"
		"<policy_evaluated><disposition>quarantine</disposition>"
		"<dkim>fail</dkim><spf>pass</spf><reason><type>forwarded"
		"</type><comment>via list</comment></reason><pp>x</pp>"
		"</policy_evaluated></row><identifiers><envelope_to>t.example"
		"</envelope_to><envelope_from>f.example</envelope_from>"
		"<header_from>h.example</header_from><domainx>z</domainx>"
		"</identifiers><auth_results><dkim><domain>d.example</domain>"
		"<selector>s1</selector><result>pass</result></dkim><dkim>"
		"<domain>e.example</domain><result>fail</result></dkim><spf>"
		"<domain>f.example</domain><scope>mfrom</scope><result>pass"
		"</result><spfx>q</spfx></spf></auth_results></record>"
		"<record><row><source_ip>2001:db8::2</source_ip><count>4"
		"</count></row></record></feedback>";
	struct sk_report_cb cb = {NULL, s_record, NULL};
	struct sk_report_parser *p = NULL;
	struct seen s;
	struct sk_err err;
	sk_status st;

	memset(&s, 0, sizeof(s));
	cb.arg = &s;
	sk_err_clear(&err);
	st = sk_report_parser_new(&cb, &p, &err);
	if (st == SK_OK)
		st = sk_report_parser_feed(p, xml, sizeof(xml) - 1, &err);
	if (st == SK_OK)
		st = sk_report_parser_finish(p, &err);
	sk_report_parser_free(p);
	is_int(st, SK_OK, "record fields: parsed (%s)", err.msg);
	is_int(s.n, 2, "record fields: two records");
	is_str(s.line[0], "192.0.2.1|3|quarantine|fail|pass|forwarded|"
	       "via list|h.example|f.example|t.example|d:d.example/s1/pass;"
	       "d:e.example//fail;s:f.example/mfrom/pass;",
	       "first record: every field in its place");
	is_str(s.line[1], "2001:db8::2|4|||||||||", "second record: nothing "
	       "left over from the first");
}


/* The multipart walk of a failure report (RFC 2046 section 5.1.1, RFC
 * 6591): parts between delimiter lines, the CRLF before a delimiter not
 * part of the part, nothing after the closing delimiter, an unterminated
 * last part taken as it is. */
static const char arf_head[] =
    "From: reporter@rx.example\r\n"
    "Content-Type: multipart/report; report-type=feedback-report;\r\n"
    "\tboundary=\"B1\"\r\n"
    "\r\n"
    "This is a preamble.\r\n"
    "--B1\r\n"
    "Content-Type: text/plain\r\n"
    "\r\n"
    "A failure report.\r\n"
    "--B1\r\n"
    "Content-Type: message/feedback-report\r\n"
    "\r\n"
    "Feedback-Type: auth-failure\r\n"
    "Version: 1\r\n"
    "Auth-Failure: dmarc\r\n"
    "Source-IP: 192.0.2.7\r\n"
    "Reported-Domain: example.com\r\n"
    "\r\n"
    "--B1\r\n"
    "Content-Type: text/rfc822-headers\r\n"
    "\r\n"
    "From: a@example.com\r\n"
    "Subject: last part\r\n";

static void
failure_parts(void)
{
	static const char closed_tail[] =
	    "--B1--\r\n"
	    "--B1\r\n"
	    "Content-Type: message/feedback-report\r\n"
	    "\r\n"
	    "Feedback-Type: abuse\r\n";
	char msg[sizeof(arf_head) + sizeof(closed_tail)];
	struct sk_failure_report *f = NULL;
	struct sk_err err;
	size_t n = strlen(arf_head);

	memcpy(msg, arf_head, n);
	memcpy(msg + n, closed_tail, sizeof(closed_tail));
	memset(&err, 0, sizeof(err));
	ok(sk_failure_parse(msg, strlen(msg), &f, &err) == SK_OK,
	   "failure report with a closing delimiter parses");
	if (f != NULL) {
		is_str(f->feedback_type, "auth-failure",
		       "fields from the second part, not the epilogue");
		is_str(f->source_ip, "192.0.2.7", "Source-IP");
		is_str(f->subject, "last part", "the last part's Subject");
		ok(f->headers != NULL && strstr(f->headers, "--B1") == NULL,
		   "no delimiter line inside the original headers");
		sk_failure_report_free(f);
	}
	/* Closed before the original's headers: a part after the closing
	 * delimiter (in the epilogue) is not read. */
	n = strstr(arf_head, "--B1\r\nContent-Type: text/rfc822") - arf_head;
	memcpy(msg, arf_head, n);
	snprintf(msg + n, sizeof(msg) - n, "%s",
		 "--B1--\r\n--B1\r\nContent-Type: text/rfc822-headers\r\n"
		 "\r\nSubject: epilogue\r\n");
	f = NULL;
	ok(sk_failure_parse(msg, strlen(msg), &f, &err) == SK_OK &&
	   f != NULL && f->subject[0] == '\0' && f->headers == NULL,
	   "nothing read after the closing delimiter");
	sk_failure_report_free(f);
	n = strlen(arf_head);
	f = NULL;
	ok(sk_failure_parse(arf_head, n, &f, &err) == SK_OK,
	   "failure report without a closing delimiter parses");
	if (f != NULL) {
		is_str(f->subject, "last part",
		       "the unterminated last part is read");
		sk_failure_report_free(f);
	}
}

int
main(int argc, char **argv)
{
	tap_plan_unknown();
	if (argc >= 3)
		samples(argv[1], argv[2]);
	parser_cases();
	record_fields();
	bomb();
	mail();
	failure_parts();
	return tap_done();
}
