/* Hard sigmoid (nn.Hardsigmoid, MobileNet V3's squeeze-and-excitation gate): relu6(x + 3) / 6. Slope 1/6
 * strictly inside (-3, 3), 0 elsewhere, as PyTorch's. */
#include "pointwise_activation.h"

static inline real hard_sigmoid_value(real x) { return x <= -3 ? 0 : x >= 3 ? 1 : x / 6 + (real)0.5; }
static inline real hard_sigmoid_grad(real x, real g) { return x > -3 && x < 3 ? g / 6 : 0; }

POINTWISE_ACTIVATION(hard_sigmoid, HARD_SIGMOID, "hard sigmoid", hard_sigmoid_value, hard_sigmoid_grad)
