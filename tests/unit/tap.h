/*
 * tests/unit/tap.h - a tiny TAP producer for meson test (protocol: 'tap'),
 * with typed assertions that print both values (libuv ASSERT_EQ style).
 *
 *   int main(void) {
 *       tap_plan_unknown();
 *       ok(1 + 1 == 2, "addition");
 *       is_int(f(), 3, "f returns 3");
 *       is_str(s, "abc", "name");
 *       return tap_done();
 *   }
 */
#ifndef SK_TAP_H
#define SK_TAP_H

#include <stdio.h>
#include <string.h>
#include <stdlib.h>

static int tap__n, tap__failed;

static inline void
tap_plan_unknown(void)
{
	setvbuf(stdout, NULL, _IOLBF, 0);
}

static inline int
tap__ok(int cond, const char *file, int line, const char *name)
{
	char clean[512];
	size_t i;

	/* One TAP line per test: control characters in a name (a folded
	 * header quoted in it) would start lines the harness cannot read. */
	for (i = 0; name[i] != '\0' && i < sizeof(clean) - 1; i++)
		clean[i] = (unsigned char)name[i] < 0x20 ? ' ' : name[i];
	clean[i] = '\0';
	tap__n++;
	printf("%sok %d - %s\n", cond ? "" : "not ", tap__n, clean);
	if (!cond) {
		tap__failed++;
		printf("#   failed at %s:%d\n", file, line);
	}
	return cond;
}

#define ok(cond, ...)                                                     \
	do {                                                              \
		char tap__name[512];                                      \
		snprintf(tap__name, sizeof(tap__name), __VA_ARGS__);      \
		tap__ok(!!(cond), __FILE__, __LINE__, tap__name);         \
	} while (0)

#define is_int(got, want, ...)                                            \
	do {                                                              \
		long long tap__g = (long long)(got);                      \
		long long tap__w = (long long)(want);                     \
		char tap__name[512];                                      \
		snprintf(tap__name, sizeof(tap__name), __VA_ARGS__);      \
		if (!tap__ok(tap__g == tap__w, __FILE__, __LINE__,        \
			     tap__name))                                  \
			printf("#   got: %lld\n#   expected: %lld\n",      \
			       tap__g, tap__w);                           \
	} while (0)

#define is_str(got, want, ...)                                            \
	do {                                                              \
		const char *tap__g = (got);                               \
		const char *tap__w = (want);                              \
		char tap__name[512];                                      \
		int tap__c = (tap__g == NULL && tap__w == NULL) ||        \
			     (tap__g != NULL && tap__w != NULL &&         \
			      strcmp(tap__g, tap__w) == 0);               \
		snprintf(tap__name, sizeof(tap__name), __VA_ARGS__);      \
		if (!tap__ok(tap__c, __FILE__, __LINE__, tap__name))      \
			printf("#   got: \"%s\"\n#   expected: \"%s\"\n",  \
			       tap__g ? tap__g : "(null)",                \
			       tap__w ? tap__w : "(null)");               \
	} while (0)

static inline int
tap_done(void)
{
	printf("1..%d\n", tap__n);
	if (tap__n == 0) {
		printf("# no test ran\n");
		return 1;
	}
	return tap__failed ? 1 : 0;
}

#endif /* SK_TAP_H */
