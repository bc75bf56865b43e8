/*
 * fuzz/fuzz.h - what every libFuzzer target here shares: the entry
 * point's prototype and CHECK(), an invariant whose failure aborts (so
 * that libFuzzer and the corpus replayer report it as a crash).
 */
#ifndef SK_FUZZ_H
#define SK_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#define CHECK(c)                                                          \
	do {                                                              \
		if (!(c))                                                 \
			abort();                                          \
	} while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#endif /* SK_FUZZ_H */
