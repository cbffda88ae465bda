#include "threads.h"

#include <cblas.h>
#include <omp.h>

void engine_set_threads(int n) {
    if (n <= 0) return;
    omp_set_num_threads(n);
    openblas_set_num_threads(n);
}

int engine_threads(void) { return omp_get_max_threads(); }
