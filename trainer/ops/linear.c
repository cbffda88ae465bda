/* Fully connected layer: out = in x W^T + b over every row of the mini-batch (every token, for a ViT), as
 * GEMMs over many rows at a time. */
#include <omp.h>

#include "ops.h"

/* Column sums of dout are taken BIAS_COLUMN_BLOCK columns at a time (blocks in parallel), in float over
 * BIAS_ROW_CHUNK rows (vector registers), then added into double: a fixed order whatever the threads. */
#define BIAS_COLUMN_BLOCK 32
#define BIAS_ROW_CHUNK 256

/* Products over many rows (every token of a ViT batch: 8320 rows) are cut into fixed chunks of LINEAR_ROW_CHUNK
 * rows handed out dynamically, each a single-threaded GEMM (OpenBLAS's OpenMP build runs a GEMM called inside
 * a parallel region on the calling thread), instead of one GEMM split statically by OpenBLAS: a core slowed by
 * a neighbour then takes fewer chunks. The chunks are fixed, so results do not depend on the threads. */
#define LINEAR_ROW_CHUNK 512

/* C[rows][N] (row stride ldc) (beta: 0 = or 1 = +) A[rows][K] (row stride lda) x B, B = W^T (W [N][K]) when
 * transpose_b, else B [K][N]; in row chunks when there are several and more than one thread */
static void gemm_row_chunks(int rows, int N, int K, const real *A, int lda, bool transpose_b, const real *B, int ldb,
                            real beta, real *C, int ldc) {
    const int chunks = (rows + LINEAR_ROW_CHUNK - 1) / LINEAR_ROW_CHUNK;
    if (chunks < 2 || omp_get_max_threads() < 2) {
        gemm(false, transpose_b, rows, N, K, 1, A, lda, B, ldb, beta, C, ldc);
        return;
    }
#pragma omp parallel for schedule(dynamic, 1)
    for (int chunk = 0; chunk < chunks; chunk++) {
        const int r0 = chunk * LINEAR_ROW_CHUNK, n = rows - r0 < LINEAR_ROW_CHUNK ? rows - r0 : LINEAR_ROW_CHUNK;
        gemm(false, transpose_b, n, N, K, 1, A + (size_t)r0 * lda, lda, B, ldb, beta, C + (size_t)r0 * ldc, ldc);
    }
}

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
    gemm_row_chunks(B, out_features, in_features, in, in_features, true, weight, in_features, beta, out,
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
        gemm_row_chunks(B, in_features, out_features, dout, out_features, false, weight, in_features, 1, din,
                        in_features);
}
