/* Hard swish (nn.Hardswish, MobileNet V3): x relu6(x + 3) / 6. Slope 0 below -3, x/3 + 1/2 on [-3, 3], 1 above,
 * as PyTorch's hardswish_backward (which takes the middle branch at both kinks). */
#include "pointwise_activation.h"

static inline real hard_swish_value(real x) { return x <= -3 ? 0 : x >= 3 ? x : x * (x + 3) / 6; }
static inline real hard_swish_grad(real x, real g) { return x < -3 ? 0 : x <= 3 ? g * (x / 3 + (real)0.5) : g; }

POINTWISE_ACTIVATION(hard_swish, HARD_SWISH, "hard swish", hard_swish_value, hard_swish_grad)
