/*
 * tests/unit/rng.h - the unit tests' reproducible pseudo-random numbers
 * (xorshift64*, Vigna 2016): fixed seeds, no libc state, the same
 * sequence on every platform.
 */
#ifndef SK_TEST_RNG_H
#define SK_TEST_RNG_H

#include <stdint.h>

/* The next 64-bit number of the generator whose state is *s (!= 0). */
static inline uint64_t
test_rng_next(uint64_t *s)
{
	*s ^= *s >> 12;
	*s ^= *s << 25;
	*s ^= *s >> 27;
	return *s * 0x2545f4914f6cdd1dULL;
}

#endif /* SK_TEST_RNG_H */
