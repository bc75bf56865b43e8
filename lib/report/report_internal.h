/*
 * lib/report/report_internal.h - shared by the report readers: documents
 * (a byte stream that should be one report: XML or gzip of XML), format
 * sniffing, zip, and the MIME walker.  Not installed.
 */
#ifndef SK_REPORT_INTERNAL_H
#define SK_REPORT_INTERNAL_H

#include <senderkit/report.h>
#include "util/util.h"

/* Deepest folder recursion of sk_report_read_path. */
#define SK__REPORT_MAX_DIR_DEPTH 32
/* Longest name of a document ("file: attachment a: member b"). */
#define SK__REPORT_NAME_MAX 1024

struct sk__rctx {
	const struct sk_report_reader *rd;
	struct sk_report_limits lim;
};

enum sk__fmt {
	SK__FMT_UNKNOWN = 0, SK__FMT_XML, SK__FMT_GZIP, SK__FMT_ZIP,
	SK__FMT_MBOX, SK__FMT_EML,
};

/* Guess the format from the first bytes (len may be short). */
enum sk__fmt sk__report_sniff(const uint8_t *p, size_t len);

/* An empty findings list for `done` (never NULL; may leak once). */
const struct sk_findings *sk__report_no_findings(void);

/* Report one failed document without parsing it. */
void sk__report_fail(struct sk__rctx *c, const char *name, sk_status st,
		     const char *fmt, ...) SK_PRINTF(4, 5);

/*
 * Read a document: XML or gzip-compressed XML (concatenated members
 * allowed), streamed through a parser.  `zipped` is the compressed size
 * when the bytes come out of a zip member (ratio check), else 0.
 */
struct sk__doc;
struct sk__doc *sk__doc_open(struct sk__rctx *c, const char *name,
			     uint64_t zipped);
void sk__doc_write(struct sk__doc *d, const void *p, size_t len);
/* Finish, report through done and free.  Returns the outcome. */
sk_status sk__doc_close(struct sk__doc *d);

/* Any in-memory content: XML, gzip, zip or a message (depth: MIME). */
void sk__report_mem(struct sk__rctx *c, const char *name, const uint8_t *p,
		    size_t len, unsigned depth);
/* Zip archive in memory. */
void sk__report_zip_mem(struct sk__rctx *c, const char *name,
			const uint8_t *p, size_t len);

/* Walk one message; returns the number of report documents found. */
unsigned sk__mime_walk(struct sk__rctx *c, const char *name,
		       const uint8_t *p, size_t len, unsigned depth);
/* A whole message: walk it, and say so when it holds no report. */
void sk__mime_message(struct sk__rctx *c, const char *name,
		      const uint8_t *p, size_t len);

/*
 * An RFC 5322 section 3.3 date-time (with the obsolete forms of section
 * 4.3: two-digit years, zone names, comments) in s[0..len) into seconds
 * since the epoch.  False (and *out 0) when it does not parse.
 */
bool sk__report_date(const char *s, size_t len, int64_t *out);

/* Add a warning to a parser's list (container findings). */
void sk__report_parser_warn(struct sk_report_parser *p, const char *id,
			    const char *msg);

#endif /* SK_REPORT_INTERNAL_H */
