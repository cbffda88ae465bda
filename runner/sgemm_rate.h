/* The rate of the machine's tuned matrix product: OpenBLAS's sgemm on square 1536 x 1536 x 1536 products,
 * run the way the engine runs its large products (gemm_tiled: a fixed grid of single-threaded OpenBLAS tiles
 * shared by the engine's threads). It is the practical ceiling beside the FMA peak's physical one: what a
 * step made only of large, well-shaped products would reach with OpenBLAS's kernel for this CPU. */
#ifndef COHORT_SGEMM_RATE_H
#define COHORT_SGEMM_RATE_H

typedef struct {
    double gflops; /* best of the rounds; 0 when not measured */
    int size;      /* M = N = K */
} SgemmRate;

/* Measures for about `seconds` (at least two products; the best counts, as for the FMA peak). */
SgemmRate sgemm_rate_measure(double seconds);

#endif
