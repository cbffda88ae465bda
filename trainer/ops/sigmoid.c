/* Logistic sigmoid (nn.Sigmoid, squeeze-and-excitation's gate): 1 / (1 + exp(-x)), slope s (1 - s). exp is
 * fast_math.h's (vectorised in the float build; libm's in the double build). */
#include "fast_math.h"
#include "pointwise_activation.h"

static inline real sigmoid_value(real x) { return (real)1 / ((real)1 + real_exp(-x)); }
static inline real sigmoid_grad(real x, real g) {
    const real s = sigmoid_value(x);
    return g * s * ((real)1 - s);
}

POINTWISE_ACTIVATION(sigmoid, SIGMOID, "sigmoid", sigmoid_value, sigmoid_grad)
