/* Residual addition: out = a + b, elementwise. */
#include "ops.h"

/* a, b [n] -> out [n]; out may alias a or b */
void add_forward(real *out, const real *a, const real *b, size_t n) {
#pragma omp parallel for simd schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

/* dout [n]; adds dout into da [n] and db [n] (either may be NULL). */
void add_backward(real *da, real *db, const real *dout, size_t n) {
#pragma omp parallel for simd schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)
    for (size_t i = 0; i < n; i++) {
        if (da) da[i] += dout[i];
        if (db) db[i] += dout[i];
    }
}
