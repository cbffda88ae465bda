/* SiLU / swish (nn.SiLU, EfficientNet's and the SE blocks' activation in some nets): x sigmoid(x), slope
 * s (1 + x (1 - s)) with s = sigmoid(x). exp is fast_math.h's. */
#include "fast_math.h"
#include "pointwise_activation.h"

static inline real silu_sigmoid(real x) { return (real)1 / ((real)1 + real_exp(-x)); }
static inline real silu_value(real x) { return x * silu_sigmoid(x); }
static inline real silu_grad(real x, real g) {
    const real s = silu_sigmoid(x);
    return g * s * ((real)1 + x * ((real)1 - s));
}

POINTWISE_ACTIVATION(silu, SILU, "SiLU", silu_value, silu_grad)
