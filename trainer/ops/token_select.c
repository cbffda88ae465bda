/* Selecting one token of every sample: ViT's class-token pooling (index 0). */
#include <string.h>

#include "ops.h"

/* in [B][T][D] -> out [B][D] = in[b][index] */
void token_select_forward(real *out, const real *in, int B, int T, int D, int index) {
    for (int b = 0; b < B; b++)
        memcpy(out + (size_t)b * D, in + ((size_t)b * T + index) * D, (size_t)D * sizeof(real));
}

/* dout [B][D]; adds into token `index` of din [B][T][D] (the other tokens get nothing from this path) */
void token_select_backward(real *din, const real *dout, int B, int T, int D, int index) {
    if (!din) return;
    for (int b = 0; b < B; b++) {
        real *dx = din + ((size_t)b * T + index) * D;
        const real *g = dout + (size_t)b * D;
        for (int d = 0; d < D; d++) dx[d] += g[d];
    }
}
