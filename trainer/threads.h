/* Threads of the engine. OpenBLAS is its OpenMP build, so its GEMMs and the engine's own parallel loops
 * (convolution chunks, elementwise ops, batch norm channels) share one OpenMP thread pool: setting the count
 * here governs both, and nothing runs more threads than that. Results do not depend on the count. */
#ifndef COHORT_THREADS_H
#define COHORT_THREADS_H

/* Sets the thread count (n > 0) for OpenBLAS and the engine; n <= 0 leaves the current count. */
void engine_set_threads(int n);
/* The current thread count. */
int engine_threads(void);

#endif
