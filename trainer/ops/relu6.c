/* ReLU6 (nn.ReLU6, MobileNet V2's activation): min(max(x, 0), 6). Its slope is 1 strictly inside (0, 6) and 0
 * elsewhere, the kinks included, as PyTorch's hardtanh backward. The output lies strictly inside (0, 6) exactly
 * where the input does, so the backward reads the output and the op runs in place like ReLU: MobileNet V2 keeps
 * one expanded tensor fewer per activation. */
#include "pointwise_activation.h"

static inline real relu6_value(real x) { return x < 0 ? 0 : x > 6 ? 6 : x; }
static inline real relu6_grad(real y, real g) { return y > 0 && y < 6 ? g : 0; }

POINTWISE_ACTIVATION_OF_OUTPUT(relu6, RELU6, "ReLU6", relu6_value, relu6_grad)
