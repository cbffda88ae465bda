/* ReLU6 (nn.ReLU6, MobileNet V2's activation): min(max(x, 0), 6). Its slope is 1 strictly inside (0, 6) and 0
 * elsewhere, the kinks included, as PyTorch's hardtanh backward. */
#include "pointwise_activation.h"

static inline real relu6_value(real x) { return x < 0 ? 0 : x > 6 ? 6 : x; }
static inline real relu6_grad(real x, real g) { return x > 0 && x < 6 ? g : 0; }

POINTWISE_ACTIVATION(relu6, RELU6, "ReLU6", relu6_value, relu6_grad)
