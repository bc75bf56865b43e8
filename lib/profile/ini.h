/*
 * lib/profile/ini.h - the line-oriented INI reader shared by provider
 * profiles and organization configs (docs/man/senderkit-profile.5.md).
 * Internal; not installed.
 *
 * An iterator over a length-bounded buffer (no NUL termination relied
 * on): each sk__ini_next() call yields a section header or a key line
 * with its value (continuation lines joined), together with its line
 * number.  Errors are SK_ESYNTAX (SK_ETOOBIG for a file over
 * SK_INI_MAX_FILE) with err->line set and "FILE:LINE: ..." in err->msg.
 */
#ifndef SK_PROFILE_INI_H
#define SK_PROFILE_INI_H

#include <senderkit/profile.h>
#include "util/util.h"

/* Longest key and section name accepted. */
#define SK__INI_MAX_KEY 64

enum sk__ini_kind {
	SK__INI_END = 0,   /* no more items */
	SK__INI_SECTION,   /* "[name]" or "[name argument]" */
	SK__INI_KEY,       /* "key = value" */
};

struct sk__ini_item {
	enum sk__ini_kind kind;
	unsigned line;
	/* Section name (lower case) and argument ("" when none) of the
	 * current section; for a key line the section it belongs to. */
	const char *section;
	const char *arg;
	/* Key (lower case) and value (trimmed, continuation lines joined
	 * with one space) of a key line. */
	const char *key;
	const char *value;
	size_t value_len;
};

struct sk__ini {
	const char *name;   /* file name for messages */
	const char *p;      /* next unread byte */
	const char *end;
	unsigned line;      /* line number of the last physical line read */
	char section[SK__INI_MAX_KEY + 1];
	char key[SK__INI_MAX_KEY + 1];
	struct sk_buf arg;
	struct sk_buf value;
};

/* Start reading data[0..len); `name` is borrowed and used in messages.
 * SK_ETOOBIG when len is over SK_INI_MAX_FILE. */
sk_status sk__ini_init(struct sk__ini *ini, const char *data, size_t len,
		       const char *name, struct sk_err *err);
void sk__ini_free(struct sk__ini *ini);

/* Next item into *it (its strings are valid until the next call).  At the
 * end it->kind is SK__INI_END.  After an error, stop. */
sk_status sk__ini_next(struct sk__ini *ini, struct sk__ini_item *it,
		       struct sk_err *err);

/* Read a whole file into memory (at most SK_INI_MAX_FILE bytes); *out is
 * allocated with sk__malloc and NUL-terminated. */
sk_status sk__ini_read_file(const char *path, char **out, size_t *len,
			    struct sk_err *err);

/* Booleans: yes/no/true/false/on/off/1/0 (case-insensitive). */
bool sk__ini_bool(const char *v, bool *out);

/*
 * List splitting: items separated by commas, each trimmed, empty items
 * skipped.  Start with *pos = value; each call gives the next item as a
 * slice (not NUL-terminated) and returns false at the end.
 */
bool sk__ini_list_next(const char **pos, const char *end,
		       const char **item, size_t *len);

/* ASCII blank (space or tab). */
static inline bool
sk__ini_blank(char c)
{
	return c == ' ' || c == '\t';
}

/* ---- arena shared by the profile and config loaders (arena.c in
 * ini.c): blocks freed in one call; every string and array of a loaded
 * object lives here. */
struct sk__arena_blk;
struct sk__arena {
	struct sk__arena_blk *head;
};

void *sk__arena_alloc(struct sk__arena *a, size_t n);
char *sk__arena_strndup(struct sk__arena *a, const char *s, size_t n);
char *sk__arena_strdup(struct sk__arena *a, const char *s);
void sk__arena_free(struct sk__arena *a);

/*
 * Append one element to an arena array of `*n` elements of `size` bytes
 * whose capacity is implied by *n (the next power of two): when full, a
 * copy twice as large is made in the arena.  Returns the new slot
 * (zeroed) and increments *n, or NULL when out of memory (nothing
 * changed).
 */
void *sk__arena_push(struct sk__arena *a, void *arrp, size_t *n,
		     size_t size);

#endif /* SK_PROFILE_INI_H */
