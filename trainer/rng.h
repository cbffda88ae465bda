/* Seeded, portable pseudo-random numbers (xoshiro256** seeded through splitmix64).
 * Every random choice in the engine (initialisation, shuffling, augmentation, dropout, synthetic data)
 * draws from an Rng derived from the run's seed, so a run depends on its seed only. */
#ifndef COHORT_RNG_H
#define COHORT_RNG_H

#include <stdint.h>

typedef struct {
    uint64_t state[4];
} Rng;

void rng_seed(Rng *rng, uint64_t seed);
/* An independent stream for a named purpose: rng_derive(seed, 1) for init, 2 for shuffling, ... */
void rng_seed_stream(Rng *rng, uint64_t seed, uint64_t stream);
uint64_t rng_next(Rng *rng);
double rng_uniform(Rng *rng);              /* [0, 1) with 53 random bits */
double rng_normal(Rng *rng);               /* standard normal (Box-Muller; no cached second value) */
uint32_t rng_below(Rng *rng, uint32_t n);  /* uniform integer in [0, n), unbiased */
void rng_shuffle(Rng *rng, int32_t *items, int count);

#endif
