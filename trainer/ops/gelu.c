/* GELU, elementwise: the exact form x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (PyTorch's default), or the tanh
 * approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (PyTorch's approximate='tanh'). */
#include <math.h>

#include "ops.h"

#ifdef COHORT_REAL_DOUBLE
#define R_ERF erf
#define R_EXP exp
#define R_TANH tanh
#else
#define R_ERF erff
#define R_EXP expf
#define R_TANH tanhf
#endif

#define INV_SQRT2 0.70710678118654752440
#define INV_SQRT_2PI 0.39894228040143267794
#define SQRT_2_OVER_PI 0.79788456080286535588
#define TANH_CUBIC 0.044715

/* in [n] -> out [n] */
void gelu_forward(real *out, const real *in, size_t n, bool tanh_form) {
    if (tanh_form) {
        const real k = (real)SQRT_2_OVER_PI, c = (real)TANH_CUBIC;
        for (size_t i = 0; i < n; i++) {
            const real x = in[i];
            out[i] = (real)0.5 * x * ((real)1 + R_TANH(k * (x + c * x * x * x)));
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            const real x = in[i];
            out[i] = (real)0.5 * x * ((real)1 + R_ERF(x * (real)INV_SQRT2));
        }
    }
}

/* dout, in [n]; adds into din [n]:
 *   exact: d/dx = Phi(x) + x phi(x);  tanh: 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3c x^2), t = tanh(k (x + c x^3)) */
void gelu_backward(real *din, const real *dout, const real *in, size_t n, bool tanh_form) {
    if (!din) return;
    if (tanh_form) {
        const real k = (real)SQRT_2_OVER_PI, c = (real)TANH_CUBIC;
        for (size_t i = 0; i < n; i++) {
            const real x = in[i], x2 = x * x;
            const real t = R_TANH(k * (x + c * x2 * x));
            const real d = (real)0.5 * ((real)1 + t) + (real)0.5 * x * ((real)1 - t * t) * k * ((real)1 + 3 * c * x2);
            din[i] += dout[i] * d;
        }
    } else {
        for (size_t i = 0; i < n; i++) {
            const real x = in[i];
            const real cdf = (real)0.5 * ((real)1 + R_ERF(x * (real)INV_SQRT2));
            const real pdf = (real)INV_SQRT_2PI * R_EXP((real)-0.5 * x * x);
            din[i] += dout[i] * (cdf + x * pdf);
        }
    }
}
