#include "threads.h"

#include <omp.h>

/* OpenBLAS's OpenMP build would take its thread count from the same OpenMP setting, but gemm() runs every
 * product on the calling thread alone (gemm.c), so this count governs the engine's own parallel loops and
 * tiles only. */
void engine_set_threads(int n) {
    if (n <= 0) return;
    omp_set_num_threads(n);
}

int engine_threads(void) { return omp_get_max_threads(); }
