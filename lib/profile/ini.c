/*
 * lib/profile/ini.c - the INI reader of provider profiles and
 * organization configs (ini.h), and the arena their objects live in.
 *
 * Syntax (senderkit-profile(5), senderkit-config(5)): "[section]" or
 * "[section ARGUMENT]", "key = value", comment lines starting with '#' or
 * ';' after optional blanks, and continuation lines: a line starting with
 * a blank right after a key line (comment lines in between are skipped)
 * continues its value, joined with one space.  A blank line ends a value.
 * Lines are at most SK_INI_MAX_LINE bytes without the line end ("\n" or
 * "\r\n"), files at most SK_INI_MAX_FILE bytes; NUL bytes are refused.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "profile/ini.h"

/* ------------------------------------------------------------ arena */

struct sk__arena_blk {
	struct sk__arena_blk *next;
	size_t used;
	size_t size;
	max_align_t data[];
};

#define ARENA_BLOCK 8192
#define ARENA_ALIGN (sizeof(max_align_t))

void *
sk__arena_alloc(struct sk__arena *a, size_t n)
{
	struct sk__arena_blk *b = a->head;
	size_t need, size;
	void *p;

	if (n > SIZE_MAX / 2)
		return NULL;
	need = (n + ARENA_ALIGN - 1) & ~(ARENA_ALIGN - 1);
	if (need == 0)
		need = ARENA_ALIGN;
	if (b == NULL || b->size - b->used < need) {
		size = need > ARENA_BLOCK ? need : ARENA_BLOCK;
		b = sk__malloc(sizeof(*b) + size);
		if (b == NULL)
			return NULL;
		b->size = size;
		b->used = 0;
		if (a->head != NULL && need > ARENA_BLOCK / 2) {
			/* A big block: keep filling the current one. */
			b->next = a->head->next;
			a->head->next = b;
		} else {
			b->next = a->head;
			a->head = b;
		}
	}
	p = (char *)b->data + b->used;
	b->used += need;
	memset(p, 0, n);
	return p;
}

char *
sk__arena_strndup(struct sk__arena *a, const char *s, size_t n)
{
	char *p = sk__arena_alloc(a, n + 1);

	if (p == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

char *
sk__arena_strdup(struct sk__arena *a, const char *s)
{
	return sk__arena_strndup(a, s, strlen(s));
}

void
sk__arena_free(struct sk__arena *a)
{
	struct sk__arena_blk *b, *next;

	for (b = a->head; b != NULL; b = next) {
		next = b->next;
		sk__free(b);
	}
	a->head = NULL;
}

void *
sk__arena_push(struct sk__arena *a, void *arrp, size_t *n, size_t size)
{
	size_t cnt = *n;
	char *arr, *na;

	/* The array pointer is read and written with memcpy: callers pass
	 * the address of a `const T *` of any T. */
	memcpy(&arr, arrp, sizeof(arr));
	/* Capacity is the next power of two of cnt: full when cnt is 0 or a
	 * power of two. */
	if ((cnt & (cnt - 1)) == 0) {
		size_t cap = cnt == 0 ? 1 : cnt * 2;

		if (cap > SIZE_MAX / size)
			return NULL;
		na = sk__arena_alloc(a, cap * size);
		if (na == NULL)
			return NULL;
		if (cnt > 0)
			memcpy(na, arr, cnt * size);
		arr = na;
		memcpy(arrp, &arr, sizeof(arr));
	}
	na = arr + cnt * size;
	memset(na, 0, size);
	*n = cnt + 1;
	return na;
}

/* ------------------------------------------------------------ reader */

sk_status
sk__ini_init(struct sk__ini *ini, const char *data, size_t len,
	     const char *name, struct sk_err *err)
{
	memset(ini, 0, sizeof(*ini));
	ini->name = name != NULL ? name : "(input)";
	ini->p = data;
	ini->end = data + len;
	sk__buf_init(&ini->arg, SK_INI_MAX_LINE);
	sk__buf_init(&ini->value, SK_INI_MAX_FILE);
	if (len > SK_INI_MAX_FILE)
		return sk__err(err, SK_ETOOBIG, "%s: file over %u bytes",
			       ini->name, SK_INI_MAX_FILE);
	/* A UTF-8 byte order mark is not part of the first line. */
	if (len >= 3 && memcmp(data, "\xef\xbb\xbf", 3) == 0)
		ini->p += 3;
	return SK_OK;
}

void
sk__ini_free(struct sk__ini *ini)
{
	sk__buf_free(&ini->arg);
	sk__buf_free(&ini->value);
}

/* Read the next physical line into [*lp, *lp + *llen) without its line
 * end; *lp is NULL at the end of the input. */
static sk_status
read_line(struct sk__ini *ini, const char **lp, size_t *llen,
	  struct sk_err *err)
{
	const char *s = ini->p, *nl;
	size_t n;

	*lp = NULL;
	*llen = 0;
	if (s >= ini->end)
		return SK_OK;
	ini->line++;
	nl = memchr(s, '\n', (size_t)(ini->end - s));
	n = nl != NULL ? (size_t)(nl - s) : (size_t)(ini->end - s);
	ini->p = nl != NULL ? nl + 1 : ini->end;
	if (n > 0 && s[n - 1] == '\r')
		n--;
	if (n > SK_INI_MAX_LINE)
		return sk__err_line(err, SK_ESYNTAX, ini->line,
				    "%s:%u: line longer than %u bytes",
				    ini->name, ini->line, SK_INI_MAX_LINE);
	if (memchr(s, '\0', n) != NULL)
		return sk__err_line(err, SK_ESYNTAX, ini->line,
				    "%s:%u: NUL byte in line", ini->name,
				    ini->line);
	*lp = s;
	*llen = n;
	return SK_OK;
}

static void
trim(const char **s, size_t *n)
{
	while (*n > 0 && sk__ini_blank(**s)) {
		(*s)++;
		(*n)--;
	}
	while (*n > 0 && (sk__ini_blank((*s)[*n - 1]) || (*s)[*n - 1] == '\r'))
		(*n)--;
}

static bool
key_char(char c)
{
	return sk__isalnum((unsigned char)c) || c == '_' || c == '.' ||
	       c == '-';
}

/* Copy a key or section name, lower-cased, checking its characters. */
static sk_status
copy_name(struct sk__ini *ini, char *dst, const char *s, size_t n,
	  const char *what, struct sk_err *err)
{
	size_t i;

	if (n == 0)
		return sk__err_line(err, SK_ESYNTAX, ini->line,
				    "%s:%u: empty %s", ini->name, ini->line,
				    what);
	if (n > SK__INI_MAX_KEY)
		return sk__err_line(err, SK_ESYNTAX, ini->line,
				    "%s:%u: %s longer than %d characters",
				    ini->name, ini->line, what,
				    SK__INI_MAX_KEY);
	for (i = 0; i < n; i++) {
		if (!key_char(s[i]))
			return sk__err_line(err, SK_ESYNTAX, ini->line,
					    "%s:%u: %s \"%.*s\": character "
					    "0x%02x not allowed", ini->name,
					    ini->line, what, (int)n, s,
					    (unsigned char)s[i]);
		dst[i] = sk__lower(s[i]);
	}
	dst[n] = '\0';
	return SK_OK;
}

static sk_status
parse_section(struct sk__ini *ini, const char *s, size_t n,
	      struct sk_err *err)
{
	const char *close, *name, *arg;
	size_t nlen, alen, i;
	sk_status st;

	close = memchr(s, ']', n);
	if (close == NULL)
		return sk__err_line(err, SK_ESYNTAX, ini->line,
				    "%s:%u: section header without ']'",
				    ini->name, ini->line);
	for (i = (size_t)(close - s) + 1; i < n; i++)
		if (!sk__ini_blank(s[i]))
			return sk__err_line(err, SK_ESYNTAX, ini->line,
					    "%s:%u: text after section "
					    "header", ini->name, ini->line);
	name = s + 1;
	nlen = (size_t)(close - name);
	trim(&name, &nlen);
	for (i = 0; i < nlen && !sk__ini_blank(name[i]); i++)
		;
	arg = name + i;
	alen = nlen - i;
	nlen = i;
	trim(&arg, &alen);
	st = copy_name(ini, ini->section, name, nlen, "section name", err);
	if (st != SK_OK)
		return st;
	sk__buf_reset(&ini->arg);
	if (sk__buf_add(&ini->arg, arg, alen) != SK_OK)
		return sk__err(err, SK_ENOMEM, "out of memory");
	return SK_OK;
}

/* Is this line (already known non-empty) a comment? */
static bool
is_comment(const char *s, size_t n)
{
	while (n > 0 && sk__ini_blank(*s)) {
		s++;
		n--;
	}
	return n > 0 && (*s == '#' || *s == ';');
}

static bool
is_blank(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!sk__ini_blank(s[i]))
			return false;
	return true;
}

/* Append continuation lines to ini->value. */
static sk_status
read_continuations(struct sk__ini *ini, struct sk_err *err)
{
	const char *l, *save_p;
	unsigned save_line;
	size_t n;
	sk_status st;

	for (;;) {
		save_p = ini->p;
		save_line = ini->line;
		st = read_line(ini, &l, &n, err);
		if (st != SK_OK)
			return st;
		if (l == NULL)
			return SK_OK;
		if (n > 0 && !is_blank(l, n) && is_comment(l, n))
			continue;
		if (n == 0 || !sk__ini_blank(l[0]) || is_blank(l, n)) {
			ini->p = save_p;
			ini->line = save_line;
			return SK_OK;
		}
		trim(&l, &n);
		if (ini->value.len > 0 &&
		    sk__buf_addc(&ini->value, ' ') != SK_OK)
			goto toobig;
		if (sk__buf_add(&ini->value, l, n) != SK_OK)
			goto toobig;
	}
toobig:
	return sk__err_line(err, SK_ENOMEM, ini->line,
			    "%s:%u: out of memory", ini->name, ini->line);
}

sk_status
sk__ini_next(struct sk__ini *ini, struct sk__ini_item *it,
	     struct sk_err *err)
{
	const char *l, *eq, *k, *v;
	size_t n, klen, vlen;
	sk_status st;

	memset(it, 0, sizeof(*it));
	for (;;) {
		st = read_line(ini, &l, &n, err);
		if (st != SK_OK)
			return st;
		if (l == NULL) {
			it->kind = SK__INI_END;
			return SK_OK;
		}
		trim(&l, &n);
		if (n == 0 || l[0] == '#' || l[0] == ';')
			continue;
		break;
	}
	it->line = ini->line;
	if (l[0] == '[') {
		st = parse_section(ini, l, n, err);
		if (st != SK_OK)
			return st;
		it->kind = SK__INI_SECTION;
		it->section = ini->section;
		it->arg = ini->arg.p != NULL ? ini->arg.p : "";
		return SK_OK;
	}
	eq = memchr(l, '=', n);
	if (eq == NULL)
		return sk__err_line(err, SK_ESYNTAX, ini->line,
				    "%s:%u: expected \"key = value\" or "
				    "\"[section]\"", ini->name, ini->line);
	k = l;
	klen = (size_t)(eq - l);
	trim(&k, &klen);
	st = copy_name(ini, ini->key, k, klen, "key", err);
	if (st != SK_OK)
		return st;
	if (ini->section[0] == '\0')
		return sk__err_line(err, SK_ESYNTAX, ini->line,
				    "%s:%u: %s: key before any [section]",
				    ini->name, ini->line, ini->key);
	v = eq + 1;
	vlen = n - (size_t)(v - l);
	trim(&v, &vlen);
	sk__buf_reset(&ini->value);
	if (sk__buf_add(&ini->value, v, vlen) != SK_OK)
		return sk__err(err, SK_ENOMEM, "out of memory");
	st = read_continuations(ini, err);
	if (st != SK_OK)
		return st;
	it->kind = SK__INI_KEY;
	it->section = ini->section;
	it->arg = ini->arg.p != NULL ? ini->arg.p : "";
	it->key = ini->key;
	it->value = ini->value.p != NULL ? ini->value.p : "";
	it->value_len = ini->value.len;
	return SK_OK;
}

sk_status
sk__ini_read_file(const char *path, char **out, size_t *len,
		  struct sk_err *err)
{
	struct stat sb;
	char *buf;
	size_t got = 0;
	ssize_t r;
	int fd;

	*out = NULL;
	*len = 0;
	/* O_NONBLOCK: a FIFO named by a config must not hang the load. */
	fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return sk__err(err, errno == ENOENT ? SK_ENOENT : SK_EIO,
			       "%s: %s", path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
		close(fd);
		return sk__err(err, SK_EIO, "%s: not a regular file", path);
	}
	if ((unsigned long long)sb.st_size > SK_INI_MAX_FILE) {
		close(fd);
		return sk__err(err, SK_ETOOBIG, "%s: file over %u bytes",
			       path, SK_INI_MAX_FILE);
	}
	/* One byte more than allowed to notice growth while reading. */
	buf = sk__malloc((size_t)sb.st_size + 2);
	if (buf == NULL) {
		close(fd);
		return sk__err(err, SK_ENOMEM, "out of memory");
	}
	for (;;) {
		r = read(fd, buf + got, (size_t)sb.st_size + 1 - got);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;

			close(fd);
			sk__free(buf);
			return sk__err(err, SK_EIO, "%s: %s", path,
				       strerror(e));
		}
		if (r == 0)
			break;
		got += (size_t)r;
		if (got > (size_t)sb.st_size)
			break;
	}
	close(fd);
	if (got > (size_t)sb.st_size) {
		sk__free(buf);
		return sk__err(err, SK_EIO, "%s: file changed while read",
			       path);
	}
	buf[got] = '\0';
	*out = buf;
	*len = got;
	return SK_OK;
}

bool
sk__ini_bool(const char *v, bool *out)
{
	static const char *const yes[] = { "yes", "true", "on", "1" };
	static const char *const no[] = { "no", "false", "off", "0" };
	size_t i, n = strlen(v);

	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
		if (sk__eq_nocase_z(v, n, yes[i])) {
			*out = true;
			return true;
		}
		if (sk__eq_nocase_z(v, n, no[i])) {
			*out = false;
			return true;
		}
	}
	return false;
}

bool
sk__ini_list_next(const char **pos, const char *end, const char **item,
		  size_t *len)
{
	const char *s = *pos, *comma;
	size_t n;

	while (s < end) {
		comma = memchr(s, ',', (size_t)(end - s));
		n = comma != NULL ? (size_t)(comma - s) : (size_t)(end - s);
		*item = s;
		*len = n;
		s = comma != NULL ? comma + 1 : end;
		trim(item, len);
		if (*len > 0) {
			*pos = s;
			return true;
		}
	}
	*pos = end;
	return false;
}
