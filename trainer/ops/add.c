/* Residual addition: out = a + b, elementwise. */
#include "ops.h"

/* a, b [n] -> out [n]; out may alias a or b */
void add_forward(real *out, const real *a, const real *b, size_t n) {
    for (size_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

/* dout [n]; adds dout into da [n] and db [n] (either may be NULL). */
void add_backward(real *da, real *db, const real *dout, size_t n) {
    if (da)
        for (size_t i = 0; i < n; i++) da[i] += dout[i];
    if (db)
        for (size_t i = 0; i < n; i++) db[i] += dout[i];
}
