/* Inverted dropout: surviving activations are scaled by 1/(1-p) at training time, so evaluation needs no
 * rescaling (evaluation simply skips the op). */
#include "ops.h"

/* in [n] -> out [n], mask [n] (each 0 or 1/(1-p)); draws n uniforms from rng when 0 < p < 1. */
void dropout_forward(real *out, real *mask, const real *in, size_t n, real p, Rng *rng) {
    if (p <= 0) {
        /* Identity: no draws, so a run with dropout disabled consumes the same random stream as before. */
        for (size_t i = 0; i < n; i++) {
            mask[i] = 1;
            out[i] = in[i];
        }
        return;
    }
    if (p >= 1) {
        /* Everything dropped (PyTorch returns zeros); 1/(1-p) would be infinite. */
        for (size_t i = 0; i < n; i++) {
            mask[i] = 0;
            out[i] = 0;
        }
        return;
    }
    const real keep_scale = (real)(1.0 / (1.0 - (double)p));
    const double drop_probability = p;
    for (size_t i = 0; i < n; i++) {
        mask[i] = rng_uniform(rng) < drop_probability ? 0 : keep_scale;
        out[i] = in[i] * mask[i];
    }
}

/* dout, mask [n]; adds into din [n] (in place when din == dout, see ops.h) */
void dropout_backward(real *din, const real *dout, const real *mask, size_t n) {
    if (!din) return;
    if (din == dout)
        for (size_t i = 0; i < n; i++) din[i] *= mask[i];
    else
        for (size_t i = 0; i < n; i++) din[i] += dout[i] * mask[i];
}
