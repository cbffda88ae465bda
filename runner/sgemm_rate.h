/* The rate of the engine's matrix product on square 1536 x 1536 x 1536 products, run the way the engine runs
 * its large products (gemm_tiled: a fixed grid of single-threaded tiles shared by the engine's threads), each
 * tile the engine's AVX-512 GEMM or, on a CPU without AVX-512, OpenBLAS's sgemm. It is the practical ceiling
 * beside the FMA peak's physical one: what a step made only of large, well-shaped products would reach. */
#ifndef COHORT_SGEMM_RATE_H
#define COHORT_SGEMM_RATE_H

typedef struct {
    double gflops; /* best of the rounds; 0 when not measured */
    int size;      /* M = N = K */
    const char *kernel; /* what ran the tiles: "AVX-512 GEMM" or "OpenBLAS" */
} SgemmRate;

/* Measures for about `seconds` (at least two products; the best counts, as for the FMA peak). */
SgemmRate sgemm_rate_measure(double seconds);

#endif
