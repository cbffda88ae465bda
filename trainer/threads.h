/* Threads of the engine: one OpenMP pool for its parallel loops (convolution chunks and panels, GEMM tiles,
 * elementwise ops, batch norm channels). OpenBLAS is its OpenMP build, and every product runs single-threaded
 * inside it, on the thread that owns the tile (gemm.c), so nothing runs more threads than this count. Results
 * do not depend on the count. */
#ifndef COHORT_THREADS_H
#define COHORT_THREADS_H

/* Sets the thread count (n > 0); n <= 0 leaves the current count. */
void engine_set_threads(int n);
/* The current thread count. */
int engine_threads(void);

#endif
