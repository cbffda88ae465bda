/* Fully connected layer: out = in x W^T + b, over the whole mini-batch in one GEMM. */
#include "ops.h"

/* Column sums of dout are taken BIAS_COLUMN_BLOCK columns at a time (blocks in parallel), in float over
 * BIAS_ROW_CHUNK rows (vector registers), then added into double: a fixed order whatever the threads. */
#define BIAS_COLUMN_BLOCK 32
#define BIAS_ROW_CHUNK 256

/* in [B][IN], weight [OUT][IN], bias [OUT] or NULL -> out [B][OUT] */
void linear_forward(real *out, const real *in, const real *weight, const real *bias, int B, int in_features,
                    int out_features) {
    if (B <= 0 || out_features <= 0) return;
    real beta = 0;
    if (bias) {
        /* Start every row from the bias and let the GEMM accumulate on top (beta = 1): one pass over out. */
#pragma omp parallel for schedule(dynamic, 32) if ((size_t)B * out_features >= OPS_PARALLEL_MIN)
        for (int b = 0; b < B; b++) {
            real *out_row = out + (size_t)b * out_features;
            for (int o = 0; o < out_features; o++) out_row[o] = bias[o];
        }
        beta = 1;
    }
    if (in_features <= 0) {
        if (!bias)
            for (size_t i = 0; i < (size_t)B * out_features; i++) out[i] = 0;
        return;
    }
    /* out[B][OUT] = in[B][IN] x weight[OUT][IN]^T */
    gemm(false, true, B, out_features, in_features, 1, in, in_features, weight, in_features, beta, out,
         out_features);
}

/* dout [B][OUT], in [B][IN], weight [OUT][IN]; adds into din [B][IN], dweight [OUT][IN], dbias [OUT] */
OPS_VECTOR_CLONES
void linear_backward(real *din, real *dweight, real *dbias, const real *dout, const real *in, const real *weight,
                     int B, int in_features, int out_features) {
    if (B <= 0 || out_features <= 0) return;
    if (dbias) {
        /* column blocks in parallel; within a block the rows are summed in order */
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)B * out_features >= OPS_PARALLEL_MIN)
        for (int o0 = 0; o0 < out_features; o0 += BIAS_COLUMN_BLOCK) {
            int width = out_features - o0 < BIAS_COLUMN_BLOCK ? out_features - o0 : BIAS_COLUMN_BLOCK;
            double sums[BIAS_COLUMN_BLOCK] = {0};
            for (int b0 = 0; b0 < B; b0 += BIAS_ROW_CHUNK) {
                const int b1 = B - b0 < BIAS_ROW_CHUNK ? B : b0 + BIAS_ROW_CHUNK;
                real partial[BIAS_COLUMN_BLOCK] = {0};
                for (int b = b0; b < b1; b++) {
                    const real *dout_row = dout + (size_t)b * out_features + o0;
                    for (int j = 0; j < width; j++) partial[j] += dout_row[j];
                }
                for (int j = 0; j < width; j++) sums[j] += partial[j];
            }
            for (int j = 0; j < width; j++) dbias[o0 + j] += (real)sums[j];
        }
    }
    if (in_features <= 0) return;
    /* dweight[OUT][IN] += dout[B][OUT]^T x in[B][IN] */
    if (dweight)
        gemm(true, false, out_features, in_features, B, 1, dout, out_features, in, in_features, 1, dweight,
             in_features);
    /* din[B][IN] += dout[B][OUT] x weight[OUT][IN] */
    if (din)
        gemm(false, false, B, in_features, out_features, 1, dout, out_features, weight, in_features, 1, din,
             in_features);
}
