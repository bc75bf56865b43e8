/*
 * lib/report/container.c - where aggregate reports arrive: plain XML,
 * gzip (RFC 1952; concatenated members), zip (libarchive), e-mail (see
 * mime.c), mbox (messages split at "From " lines), Maildir (cur/ and new/)
 * and folders, read recursively.
 *
 * Every document gets one outcome through the reader's `done` callback;
 * a bad document never stops the walk.  Decompression is capped in size
 * and ratio (gzip and zip bombs); what must be held in memory (a message,
 * an attachment, a zip found inside a message) is capped by max_message.
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <archive.h>
#include <archive_entry.h>
#include <zlib.h>
#include "report_internal.h"

#define CHUNK 65536
/* Reads of a file that is one document: big reads, few XML_Parse calls
 * (expat copies the partial token at the end of every piece). */
#define READ_CHUNK (256 * 1024)
/* Output past which the ratio check applies (small files compress well). */
#define RATIO_FLOOR (1024 * 1024)

struct sk__doc {
	struct sk__rctx *c;
	char name[SK__REPORT_NAME_MAX];
	struct sk_report_parser *p;
	enum sk__fmt fmt;       /* UNKNOWN until the first bytes are seen */
	uint8_t head[2];
	size_t nhead;
	z_stream z;
	bool zinit, zend, trailing;
	uint64_t in, out, zipped;
	sk_status st;
	struct sk_err err;
};

const struct sk_findings *
sk__report_no_findings(void)
{
	static struct sk_findings *empty;

	/* sk_findings_count(NULL) is 0; callbacks get a valid pointer. */
	if (empty == NULL)
		empty = sk__findings_new();
	return empty;
}

void
sk__report_fail(struct sk__rctx *c, const char *name, sk_status st,
		const char *fmt, ...)
{
	struct sk_err e;
	va_list ap;

	memset(&e, 0, sizeof(e));
	e.code = st;
	e.offset = SK_NO_OFFSET;
	va_start(ap, fmt);
	vsnprintf(e.msg, sizeof(e.msg), fmt, ap);
	va_end(ap);
	if (c->rd->start != NULL)
		c->rd->start(c->rd->arg, name);
	if (c->rd->done != NULL)
		c->rd->done(c->rd->arg, name, st, &e, sk__report_no_findings());
}

enum sk__fmt
sk__report_sniff(const uint8_t *p, size_t len)
{
	size_t i = 0;

	if (len >= 2 && p[0] == 0x1f && p[1] == 0x8b)
		return SK__FMT_GZIP;
	if (len >= 4 && memcmp(p, "PK\x03\x04", 4) == 0)
		return SK__FMT_ZIP;
	if (len >= 5 && memcmp(p, "From ", 5) == 0)
		return SK__FMT_MBOX;
	if (len >= 3 && memcmp(p, "\xef\xbb\xbf", 3) == 0)
		i = 3;
	while (i < len && (p[i] == ' ' || p[i] == '\t' || p[i] == '\r' ||
			   p[i] == '\n'))
		i++;
	if (i == len || p[i] == '<')
		return SK__FMT_XML;
	/* RFC 5322 section 2.2: a header field name is printable ASCII
	 * except the colon, followed by a colon. */
	for (i = 0; i < len && p[i] > 32 && p[i] < 127 && p[i] != ':'; i++)
		;
	if (i > 0 && i < len && p[i] == ':')
		return SK__FMT_EML;
	return SK__FMT_UNKNOWN;
}

static void
doc_fail(struct sk__doc *d, sk_status st, const char *fmt, ...)
	SK_PRINTF(3, 4);

static void
doc_fail(struct sk__doc *d, sk_status st, const char *fmt, ...)
{
	va_list ap;

	if (d->st != SK_OK)
		return;
	d->st = st;
	d->err.code = st;
	d->err.offset = SK_NO_OFFSET;
	va_start(ap, fmt);
	vsnprintf(d->err.msg, sizeof(d->err.msg), fmt, ap);
	va_end(ap);
}

struct sk__doc *
sk__doc_open(struct sk__rctx *c, const char *name, uint64_t zipped)
{
	struct sk__doc *d = sk__calloc(1, sizeof(*d));
	sk_status st;

	if (d == NULL) {
		sk__report_fail(c, name, SK_ENOMEM, "out of memory");
		return NULL;
	}
	d->c = c;
	d->zipped = zipped;
	snprintf(d->name, sizeof(d->name), "%s", name);
	if (c->rd->start != NULL)
		c->rd->start(c->rd->arg, d->name);
	st = sk_report_parser_new(&c->rd->xml, &d->p, &d->err);
	if (st != SK_OK)
		d->st = st;
	return d;
}

static void
feed(struct sk__doc *d, const void *p, size_t len)
{
	if (d->st == SK_OK)
		d->st = sk_report_parser_feed(d->p, p, len, &d->err);
}

static void
inflate_some(struct sk__doc *d, const uint8_t *p, size_t len)
{
	uint8_t out[CHUNK];
	int zr;

	if (!d->zinit) {
		/* 16 + MAX_WBITS: gzip wrapper only (RFC 1952). */
		if (inflateInit2(&d->z, 16 + MAX_WBITS) != Z_OK) {
			doc_fail(d, SK_ENOMEM, "cannot start gzip decoder");
			return;
		}
		d->zinit = true;
	}
	d->in += len;
	d->z.next_in = (Bytef *)(uintptr_t)p;
	d->z.avail_in = (uInt)len;
	while (d->st == SK_OK && d->z.avail_in > 0) {
		if (d->zend) {
			/* Another gzip member follows (RFC 1952 section 2.2),
			 * or trailing junk, which some reporters append. */
			if (d->z.avail_in >= 1 && d->z.next_in[0] != 0x1f) {
				d->trailing = true;
				d->z.avail_in = 0;
				break;
			}
			if (inflateReset(&d->z) != Z_OK) {
				doc_fail(d, SK_ESYNTAX, "gzip: cannot reset");
				return;
			}
			d->zend = false;
		}
		d->z.next_out = out;
		d->z.avail_out = sizeof(out);
		zr = inflate(&d->z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR) {
			doc_fail(d, SK_ESYNTAX, "gzip: %s",
				 d->z.msg != NULL ? d->z.msg :
				 "corrupt data");
			return;
		}
		d->out += sizeof(out) - d->z.avail_out;
		if (d->out > d->c->lim.max_decompressed) {
			doc_fail(d, SK_ETOOBIG, "decompressed size over the "
				 "limit of %llu bytes (gzip bomb?)",
				 (unsigned long long)
				 d->c->lim.max_decompressed);
			return;
		}
		if (d->out > RATIO_FLOOR &&
		    d->out / d->c->lim.max_ratio > d->in) {
			doc_fail(d, SK_ETOOBIG, "compression ratio over %llu:1 "
				 "(gzip bomb?)",
				 (unsigned long long)d->c->lim.max_ratio);
			return;
		}
		feed(d, out, sizeof(out) - d->z.avail_out);
		if (zr == Z_STREAM_END)
			d->zend = true;
		else if (zr == Z_BUF_ERROR && d->z.avail_out != 0)
			break;
	}
}

void
sk__doc_write(struct sk__doc *d, const void *data, size_t len)
{
	const uint8_t *p = data;

	if (d == NULL || d->st != SK_OK || len == 0)
		return;
	if (d->zipped != 0) {
		/* Bytes out of a zip member: libarchive inflated them. */
		d->out += len;
		if (d->out > d->c->lim.max_decompressed)
			doc_fail(d, SK_ETOOBIG, "member larger than the "
				 "limit of %llu bytes (zip bomb?)",
				 (unsigned long long)
				 d->c->lim.max_decompressed);
		else if (d->out > RATIO_FLOOR &&
			 d->out / d->c->lim.max_ratio > d->zipped)
			doc_fail(d, SK_ETOOBIG, "compression ratio over "
				 "%llu:1 (zip bomb?)",
				 (unsigned long long)d->c->lim.max_ratio);
		if (d->st != SK_OK)
			return;
	}
	if (d->fmt == SK__FMT_UNKNOWN) {
		/* Two bytes decide: gzip magic or not. */
		while (d->nhead < 2 && len > 0) {
			d->head[d->nhead++] = *p++;
			len--;
		}
		if (d->nhead < 2)
			return;
		d->fmt = d->head[0] == 0x1f && d->head[1] == 0x8b ?
			 SK__FMT_GZIP : SK__FMT_XML;
		if (d->fmt == SK__FMT_GZIP)
			inflate_some(d, d->head, 2);
		else
			feed(d, d->head, 2);
	}
	if (d->fmt == SK__FMT_GZIP)
		inflate_some(d, p, len);
	else
		feed(d, p, len);
}

sk_status
sk__doc_close(struct sk__doc *d)
{
	const struct sk_report_reader *rd;
	sk_status st;

	if (d == NULL)
		return SK_ENOMEM;
	rd = d->c->rd;
	if (d->st == SK_OK && d->fmt == SK__FMT_UNKNOWN && d->nhead > 0)
		feed(d, d->head, d->nhead);
	if (d->st == SK_OK && d->fmt == SK__FMT_GZIP && !d->zend)
		doc_fail(d, SK_ESYNTAX, "gzip: truncated data");
	if (d->st == SK_OK)
		d->st = sk_report_parser_finish(d->p, &d->err);
	if (d->st == SK_OK && d->trailing)
		sk__report_parser_warn(d->p, "report-gzip-trailing",
				       "bytes after the gzip data ignored");
	st = d->st;
	if (rd->done != NULL)
		rd->done(rd->arg, d->name, st, st == SK_OK ? NULL : &d->err,
			 d->p != NULL ? sk_report_parser_warnings(d->p) :
			 sk__report_no_findings());
	if (d->zinit)
		inflateEnd(&d->z);
	sk_report_parser_free(d->p);
	sk__free(d);
	return st;
}

/* ----- zip (libarchive) ------------------------------------------------ */

static void
zip_walk(struct sk__rctx *c, const char *name, struct archive *a,
	 uint64_t zsize)
{
	struct archive_entry *e;
	char mname[SK__REPORT_NAME_MAX];
	uint8_t buf[CHUNK];
	unsigned n = 0, found = 0;
	int r;

	for (;;) {
		struct sk__doc *d;
		la_ssize_t got;

		r = archive_read_next_header(a, &e);
		if (r == ARCHIVE_EOF)
			break;
		if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
			sk__report_fail(c, name, SK_ESYNTAX, "zip: %s",
					archive_error_string(a) ?
					archive_error_string(a) :
					"unreadable archive");
			return;
		}
		if (archive_entry_filetype(e) != AE_IFREG)
			continue;
		if (++n > c->lim.max_members) {
			sk__report_fail(c, name, SK_ETOOBIG, "zip: more than "
					"%u members", c->lim.max_members);
			return;
		}
		snprintf(mname, sizeof(mname), "%s: member %s", name,
			 archive_entry_pathname(e) ?
			 archive_entry_pathname(e) : "?");
		d = sk__doc_open(c, mname, zsize ? zsize : 1);
		found++;
		while (d != NULL && d->st == SK_OK) {
			got = archive_read_data(a, buf, sizeof(buf));
			if (got < 0) {
				doc_fail(d, SK_ESYNTAX, "zip: %s",
					 archive_error_string(a) ?
					 archive_error_string(a) :
					 "corrupt member");
				break;
			}
			if (got == 0)
				break;
			sk__doc_write(d, buf, (size_t)got);
		}
		if (sk__doc_close(d) != SK_OK && d == NULL)
			return;
		if (archive_read_data_skip(a) != ARCHIVE_OK)
			return;
	}
	if (found == 0)
		sk__report_fail(c, name, SK_ENOENT, "zip: no member");
}

static struct archive *
zip_new(void)
{
	struct archive *a = archive_read_new();

	if (a != NULL)
		archive_read_support_format_zip(a);
	return a;
}

void
sk__report_zip_mem(struct sk__rctx *c, const char *name, const uint8_t *p,
		   size_t len)
{
	struct archive *a = zip_new();

	if (a == NULL) {
		sk__report_fail(c, name, SK_ENOMEM, "out of memory");
		return;
	}
	if (archive_read_open_memory(a, p, len) != ARCHIVE_OK)
		sk__report_fail(c, name, SK_ESYNTAX, "zip: %s",
				archive_error_string(a) ?
				archive_error_string(a) : "cannot open");
	else
		zip_walk(c, name, a, len);
	archive_read_free(a);
}

static void
zip_file(struct sk__rctx *c, const char *path, uint64_t size)
{
	struct archive *a = zip_new();

	if (a == NULL) {
		sk__report_fail(c, path, SK_ENOMEM, "out of memory");
		return;
	}
	if (archive_read_open_filename(a, path, CHUNK) != ARCHIVE_OK)
		sk__report_fail(c, path, SK_ESYNTAX, "zip: %s",
				archive_error_string(a) ?
				archive_error_string(a) : "cannot open");
	else
		zip_walk(c, path, a, size);
	archive_read_free(a);
}

/* ----- in memory ------------------------------------------------------- */

void
sk__report_mem(struct sk__rctx *c, const char *name, const uint8_t *p,
	       size_t len, unsigned depth)
{
	struct sk__doc *d;

	switch (sk__report_sniff(p, len)) {
	case SK__FMT_ZIP:
		sk__report_zip_mem(c, name, p, len);
		break;
	case SK__FMT_XML:
	case SK__FMT_GZIP:
		d = sk__doc_open(c, name, 0);
		sk__doc_write(d, p, len);
		(void)sk__doc_close(d);
		break;
	case SK__FMT_MBOX:
	case SK__FMT_EML:
		if (depth == 0) {
			sk__mime_message(c, name, p, len);
			break;
		}
		sk__report_fail(c, name, SK_ESYNTAX, "not a report: an "
				"e-mail inside an attachment");
		break;
	default:
		sk__report_fail(c, name, SK_ESYNTAX, "not a report: neither "
				"XML, gzip, zip nor an e-mail");
		break;
	}
}

/* ----- files ----------------------------------------------------------- */

/* Read at most max bytes of f into b; false when the file is larger. */
static bool
slurp(FILE *f, struct sk_buf *b, size_t max)
{
	uint8_t buf[CHUNK];
	size_t n;

	for (;;) {
		n = fread(buf, 1, sizeof(buf), f);
		if (n == 0)
			break;
		if (b->len + n > max || sk__buf_add(b, buf, n) != SK_OK)
			return false;
	}
	return !ferror(f);
}

/* Line reader over a file: pieces end at '\n' or, for lines longer than
 * the buffer, at the buffer's end (bol tells whether a piece starts a
 * line).  A line start is always at least 5 bytes from the buffer's end
 * unless at EOF, so "From " is never split. */
struct lines {
	FILE *f;
	uint8_t buf[CHUNK];
	size_t pos, len;
	bool bol;
};

static bool
lines_next(struct lines *r, const uint8_t **p, size_t *n, bool *bol)
{
	const uint8_t *nl;
	size_t end;

	nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
	if (nl == NULL && r->pos > 0) {
		memmove(r->buf, r->buf + r->pos, r->len - r->pos);
		r->len -= r->pos;
		r->pos = 0;
	}
	if (nl == NULL && r->len < sizeof(r->buf)) {
		r->len += fread(r->buf + r->len, 1, sizeof(r->buf) - r->len,
				r->f);
		nl = memchr(r->buf, '\n', r->len);
	}
	if (r->pos == r->len)
		return false;
	end = nl != NULL ? (size_t)(nl - r->buf) + 1 : r->len;
	*p = r->buf + r->pos;
	*n = end - r->pos;
	*bol = r->bol;
	r->bol = nl != NULL;
	r->pos = end;
	return true;
}

static void
mbox_flush(struct sk__rctx *c, const char *path, unsigned nmsg,
	   struct sk_buf *msg, bool big)
{
	char name[SK__REPORT_NAME_MAX];

	snprintf(name, sizeof(name), "%s: message %u", path, nmsg);
	if (big)
		sk__report_fail(c, name, SK_ETOOBIG, "message larger than %zu "
				"bytes", c->lim.max_message);
	else
		sk__mime_message(c, name, (uint8_t *)msg->p, msg->len);
	sk__buf_reset(msg);
}

/* mbox (RFC 4155): a message starts at each line beginning "From ". */
static void
mbox_file(struct sk__rctx *c, const char *path, FILE *f)
{
	struct lines *r = sk__calloc(1, sizeof(*r));
	struct sk_buf msg;
	const uint8_t *p;
	size_t n;
	bool bol, big = false, skipping = false;
	unsigned nmsg = 0;

	if (r == NULL) {
		sk__report_fail(c, path, SK_ENOMEM, "out of memory");
		return;
	}
	r->f = f;
	r->bol = true;
	sk__buf_init(&msg, c->lim.max_message);
	while (lines_next(r, &p, &n, &bol)) {
		if (bol && n >= 5 && memcmp(p, "From ", 5) == 0) {
			if (nmsg > 0)
				mbox_flush(c, path, nmsg, &msg, big);
			nmsg++;
			big = false;
			skipping = p[n - 1] != '\n';
			continue;
		}
		if (skipping) {
			/* the rest of a long From_ line */
			skipping = p[n - 1] != '\n';
			continue;
		}
		if (!big && sk__buf_add(&msg, p, n) != SK_OK)
			big = true;
	}
	if (nmsg > 0)
		mbox_flush(c, path, nmsg, &msg, big);
	if (ferror(f))
		sk__report_fail(c, path, SK_EIO, "read error");
	sk__buf_free(&msg);
	sk__free(r);
}

static void
read_file(struct sk__rctx *c, const char *path, uint64_t size)
{
	uint8_t head[512], *buf;
	struct sk__doc *d;
	struct sk_buf b;
	size_t n;
	FILE *f = fopen(path, "rb");

	if (f == NULL) {
		sk__report_fail(c, path, SK_EIO, "cannot open: %s",
				strerror(errno));
		return;
	}
	n = fread(head, 1, sizeof(head), f);
	switch (sk__report_sniff(head, n)) {
	case SK__FMT_ZIP:
		fclose(f);
		zip_file(c, path, size);
		return;
	case SK__FMT_XML:
	case SK__FMT_GZIP:
		d = sk__doc_open(c, path, 0);
		sk__doc_write(d, head, n);
		buf = sk__malloc(READ_CHUNK);
		if (d != NULL && buf == NULL)
			doc_fail(d, SK_ENOMEM, "out of memory");
		while (d != NULL && d->st == SK_OK &&
		       (n = fread(buf, 1, READ_CHUNK, f)) > 0)
			sk__doc_write(d, buf, n);
		if (d != NULL && ferror(f))
			doc_fail(d, SK_EIO, "read error");
		sk__free(buf);
		(void)sk__doc_close(d);
		break;
	case SK__FMT_MBOX:
		rewind(f);
		mbox_file(c, path, f);
		break;
	case SK__FMT_EML:
		sk__buf_init(&b, c->lim.max_message);
		rewind(f);
		if (!slurp(f, &b, c->lim.max_message))
			sk__report_fail(c, path, SK_ETOOBIG, "message larger "
					"than %zu bytes or unreadable",
					c->lim.max_message);
		else
			sk__mime_message(c, path, (uint8_t *)b.p, b.len);
		sk__buf_free(&b);
		break;
	default:
		sk__report_fail(c, path, SK_ESYNTAX, "not a report: neither "
				"XML, gzip, zip, an e-mail nor an mbox");
		break;
	}
	fclose(f);
}

static int
cmp_names(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static bool
is_dir(const char *dir, const char *sub)
{
	char path[4096];
	struct stat st;

	snprintf(path, sizeof(path), "%s/%s", dir, sub);
	return stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

static void walk(struct sk__rctx *c, const char *path, unsigned depth);

static void
read_dir(struct sk__rctx *c, const char *path, unsigned depth)
{
	char **names = NULL, **nn, sub[4096];
	size_t n = 0, a = 0, i;
	struct dirent *de;
	bool maildir;
	DIR *dir;

	if (depth >= SK__REPORT_MAX_DIR_DEPTH) {
		sk__report_fail(c, path, SK_ETOOBIG, "folders nested deeper "
				"than %d", SK__REPORT_MAX_DIR_DEPTH);
		return;
	}
	dir = opendir(path);
	if (dir == NULL) {
		sk__report_fail(c, path, SK_EIO, "cannot open folder: %s",
				strerror(errno));
		return;
	}
	/* A Maildir: messages are in cur/ and new/; tmp/ is in flight. */
	maildir = is_dir(path, "cur") && is_dir(path, "new") &&
		  is_dir(path, "tmp");
	for (;;) {
		de = readdir(dir);
		if (de == NULL)
			break;
		if (de->d_name[0] == '.')
			continue;
		if (maildir && strcmp(de->d_name, "tmp") == 0)
			continue;
		if (n == a) {
			nn = sk__grow(names, &a, sizeof(*names), 64);
			if (nn == NULL)
				break;
			names = nn;
		}
		names[n] = sk__strdup(de->d_name);
		if (names[n] != NULL)
			n++;
	}
	closedir(dir);
	if (n > 0)
		qsort(names, n, sizeof(*names), cmp_names);
	for (i = 0; i < n; i++) {
		size_t pl = strlen(path);

		snprintf(sub, sizeof(sub), "%s%s%s", path,
			 pl > 0 && path[pl - 1] == '/' ? "" : "/", names[i]);
		walk(c, sub, depth + 1);
		sk__free(names[i]);
	}
	sk__free(names);
}

static void
walk(struct sk__rctx *c, const char *path, unsigned depth)
{
	struct stat st;

	if (stat(path, &st) != 0) {
		sk__report_fail(c, path, SK_ENOENT, "cannot read: %s",
				strerror(errno));
		return;
	}
	if (S_ISDIR(st.st_mode)) {
		struct stat lst;

		/* Symbolic links to folders are not followed (loops). */
		if (depth > 0 && lstat(path, &lst) == 0 &&
		    S_ISLNK(lst.st_mode))
			return;
		read_dir(c, path, depth);
	} else if (S_ISREG(st.st_mode)) {
		read_file(c, path, (uint64_t)st.st_size);
	}
}

static void
limits(struct sk__rctx *c, const struct sk_report_reader *rd)
{
	memset(c, 0, sizeof(*c));
	c->rd = rd;
	if (rd->limits != NULL)
		c->lim = *rd->limits;
	if (c->lim.max_decompressed == 0)
		c->lim.max_decompressed = 1ULL << 30;
	if (c->lim.max_ratio == 0)
		c->lim.max_ratio = 1000;
	if (c->lim.max_message == 0)
		c->lim.max_message = 64u << 20;
	if (c->lim.max_mime_depth == 0)
		c->lim.max_mime_depth = 16;
	if (c->lim.max_members == 0)
		c->lim.max_members = 256;
}

sk_status
sk_report_read_path(const char *path, const struct sk_report_reader *rd,
		    struct sk_err *err)
{
	struct sk__rctx c;
	struct stat st;

	if (path == NULL || rd == NULL)
		return sk__err(err, SK_EINVAL, "no path");
	if (stat(path, &st) != 0)
		return sk__err(err, errno == ENOENT ? SK_ENOENT : SK_EIO,
			       "%s: %s", path, strerror(errno));
	limits(&c, rd);
	walk(&c, path, 0);
	return SK_OK;
}

sk_status
sk_report_read_mem(const char *name, const void *data, size_t len,
		   const struct sk_report_reader *rd, struct sk_err *err)
{
	struct sk__rctx c;

	if (name == NULL || rd == NULL || (data == NULL && len > 0))
		return sk__err(err, SK_EINVAL, "no input");
	limits(&c, rd);
	if (sk__report_sniff(data, len) == SK__FMT_MBOX) {
		/* One message in memory: the From_ line is not a header. */
		const uint8_t *p = data, *nl = memchr(p, '\n', len);
		size_t skip = nl != NULL ? (size_t)(nl - p) + 1 : len;

		sk__mime_message(&c, name, p + skip, len - skip);
		return SK_OK;
	}
	sk__report_mem(&c, name, data, len, 0);
	return SK_OK;
}
