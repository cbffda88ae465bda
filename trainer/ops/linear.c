/* Fully connected layer: out = in x W^T + b over every row of the mini-batch (every token, for a ViT), as
 * GEMMs over many rows at a time. */
#include <omp.h>
#include <string.h>

#include "ops.h"

/* Column sums of dout are taken BIAS_COLUMN_BLOCK columns at a time, in float over BIAS_ROW_CHUNK rows (vector
 * registers), then added into double: a fixed order whatever the threads. */
#define BIAS_COLUMN_BLOCK 64
#define BIAS_ROW_CHUNK 256

/* Products over many rows (every token of a ViT batch: 8320 rows) are cut into fixed chunks of LINEAR_ROW_CHUNK
 * rows handed out dynamically, each a single-threaded GEMM (OpenBLAS's OpenMP build runs a GEMM called inside
 * a parallel region on the calling thread), instead of one GEMM split statically by OpenBLAS: a core slowed by
 * a neighbour then takes fewer chunks. The chunks are fixed, so results do not depend on the threads. */
#define LINEAR_ROW_CHUNK 512
_Static_assert(LINEAR_ROW_CHUNK % BIAS_ROW_CHUNK == 0, "a row chunk holds whole bias blocks");

/* C[rows][N] (row stride ldc) = or += A[rows][K] (row stride lda) x B, B = W^T (W [N][K]) when transpose_b, else
 * B [K][N]. When row_init [N] (a bias) or residual [rows][N] (row stride ldc) is given, every row of C starts
 * from it (from their sum when both are), else accumulate says whether the product is added into C or
 * overwrites it. */
static void gemm_rows(int rows, int N, int K, const real *A, int lda, bool transpose_b, const real *B, int ldb,
                      const real *row_init, const real *residual, bool accumulate, real *C, int ldc) {
    if (residual)
        for (int r = 0; r < rows; r++) {
            real *c = C + (size_t)r * ldc;
            const real *x = residual + (size_t)r * ldc;
            if (row_init)
                for (int j = 0; j < N; j++) c[j] = x[j] + row_init[j];
            else
                memcpy(c, x, (size_t)N * sizeof(real));
        }
    else if (row_init)
        for (int r = 0; r < rows; r++) memcpy(C + (size_t)r * ldc, row_init, (size_t)N * sizeof(real));
    gemm(false, transpose_b, rows, N, K, 1, A, lda, B, ldb, row_init || residual || accumulate ? 1 : 0, C, ldc);
}

/* gemm_rows in row chunks, in parallel when there are several; a chunk's rows are set from row_init just before
 * its GEMM, while they are still in the cache. Chunked with one thread too: OpenBLAS picks its kernels by the
 * product's size (small-matrix kernels below some M*N*K), so one GEMM over all rows can round differently from
 * the chunks, and results must not depend on the thread count. */
static void gemm_row_chunks(int rows, int N, int K, const real *A, int lda, bool transpose_b, const real *B, int ldb,
                            const real *row_init, const real *residual, bool accumulate, real *C, int ldc) {
    const int chunks = (rows + LINEAR_ROW_CHUNK - 1) / LINEAR_ROW_CHUNK;
    if (chunks < 2) {
        gemm_rows(rows, N, K, A, lda, transpose_b, B, ldb, row_init, residual, accumulate, C, ldc);
        return;
    }
#pragma omp parallel for schedule(dynamic, 1) if (omp_get_max_threads() > 1)
    for (int chunk = 0; chunk < chunks; chunk++) {
        const int r0 = chunk * LINEAR_ROW_CHUNK, n = rows - r0 < LINEAR_ROW_CHUNK ? rows - r0 : LINEAR_ROW_CHUNK;
        gemm_rows(n, N, K, A + (size_t)r0 * lda, lda, transpose_b, B, ldb, row_init,
                  residual ? residual + (size_t)r0 * ldc : NULL, accumulate, C + (size_t)r0 * ldc, ldc);
    }
}

/* partial[j] = sum over rows r (in order) of rows_start[r * stride + j], j < width */
static inline void column_sums(real *partial, const real *rows_start, int rows, int stride, int width) {
    for (int j = 0; j < width; j++) partial[j] = 0;
    for (int r = 0; r < rows; r++)
        for (int j = 0; j < width; j++) partial[j] += rows_start[(size_t)r * stride + j];
}

/* the same for a whole block: a constant width, so that the sums stay in vector registers across the rows */
static inline void column_sums_full_block(real *partial, const real *rows_start, int rows, int stride) {
    column_sums(partial, rows_start, rows, stride, BIAS_COLUMN_BLOCK);
}

/* in [B][IN], weight [OUT][IN], bias [OUT] or NULL, residual [B][OUT] or NULL -> out [B][OUT] */
void linear_add_forward(real *out, const real *in, const real *weight, const real *bias, const real *residual, int B,
                        int in_features, int out_features) {
    if (B <= 0 || out_features <= 0) return;
    if (in_features <= 0) {
        for (int b = 0; b < B; b++)
            for (int o = 0; o < out_features; o++) {
                const size_t i = (size_t)b * out_features + o;
                out[i] = (residual ? residual[i] : 0) + (bias ? bias[o] : 0);
            }
        return;
    }
    /* out[B][OUT] = residual + bias + in[B][IN] x weight[OUT][IN]^T */
    gemm_row_chunks(B, out_features, in_features, in, in_features, true, weight, in_features, bias, residual, false,
                    out, out_features);
}

void linear_forward(real *out, const real *in, const real *weight, const real *bias, int B, int in_features,
                    int out_features) {
    linear_add_forward(out, in, weight, bias, NULL, B, in_features, out_features);
}

/* The weight gradient sums over every row (8320 for a ViT batch). It is cut into a fixed number of row groups of
 * about WEIGHT_GRAD_GROUP_ROWS rows, and, when there are few groups, the output rows of dweight into blocks, so
 * that there are tiles for every thread. Each tile is a single-threaded GEMM; group 0 adds into dweight, the
 * others write workspace slots that are then added in group order. The tiles depend on the shape only, so the
 * result does not depend on the threads (OpenBLAS's own split of one threaded GEMM does, for some shapes). */
#define WEIGHT_GRAD_GROUP_ROWS 1024
#define WEIGHT_GRAD_MIN_TILES 4
#define WEIGHT_GRAD_MIN_BLOCK 64

typedef struct {
    int groups, blocks; /* row groups of the batch x blocks of dweight's rows */
} WeightGradTiles;

static WeightGradTiles weight_grad_tiles(int B, int out_features) {
    WeightGradTiles t = {(B + WEIGHT_GRAD_GROUP_ROWS - 1) / WEIGHT_GRAD_GROUP_ROWS, 1};
    if (t.groups < 1) t.groups = 1;
    if (t.groups < WEIGHT_GRAD_MIN_TILES) {
        t.blocks = (WEIGHT_GRAD_MIN_TILES + t.groups - 1) / t.groups;
        const int most = out_features / WEIGHT_GRAD_MIN_BLOCK;
        if (t.blocks > most) t.blocks = most > 1 ? most : 1;
    }
    return t;
}

static size_t bias_partials_size(int B, int out_features) {
    return (size_t)((B + BIAS_ROW_CHUNK - 1) / BIAS_ROW_CHUNK) * (size_t)out_features;
}

size_t linear_workspace_size(int B, int in_features, int out_features) {
    if (B <= 0 || out_features <= 0) return 0;
    const WeightGradTiles t = weight_grad_tiles(B, out_features);
    return bias_partials_size(B, out_features) +
           (size_t)(t.groups - 1) * (size_t)out_features * (size_t)(in_features > 0 ? in_features : 0);
}

/* partials[k][o] = sum of dout[r][o] over the rows r of the k-th BIAS_ROW_CHUNK-row block, for the blocks of rows
 * r0 .. r0+rows-1 (r0 a multiple of BIAS_ROW_CHUNK); in float, BIAS_COLUMN_BLOCK columns at a time */
static inline void row_block_column_sums(real *partials, const real *dout, int r0, int rows, int out_features) {
    for (int b0 = r0; b0 < r0 + rows; b0 += BIAS_ROW_CHUNK) {
        const int n = r0 + rows - b0 < BIAS_ROW_CHUNK ? r0 + rows - b0 : BIAS_ROW_CHUNK;
        real *partial = partials + (size_t)(b0 / BIAS_ROW_CHUNK) * out_features;
        for (int o0 = 0; o0 < out_features; o0 += BIAS_COLUMN_BLOCK) {
            const int width = out_features - o0 < BIAS_COLUMN_BLOCK ? out_features - o0 : BIAS_COLUMN_BLOCK;
            const real *block = dout + (size_t)b0 * out_features + o0;
            if (width == BIAS_COLUMN_BLOCK)
                column_sums_full_block(partial + o0, block, n, out_features);
            else
                column_sums(partial + o0, block, n, out_features, width);
        }
    }
}

/* dout [B][OUT], in [B][IN], weight [OUT][IN]; adds into din [B][IN], dweight [OUT][IN], dbias [OUT] (any may
 * be NULL). workspace: linear_workspace_size(B, IN, OUT) reals. One parallel loop runs the weight gradient's
 * tiles, then the input gradient's row chunks, each chunk followed by its rows' bias column sums (per 256-row
 * block, in float, while those rows of dout are still in the cache). Then the weight gradient's slots are added
 * in group order and the bias blocks in order in double: fixed orders whatever the threads, and the same with
 * or without an input gradient. */
OPS_VECTOR_CLONES
void linear_backward(real *din, real *dweight, real *dbias, const real *dout, const real *in, const real *weight,
                     int B, int in_features, int out_features, real *workspace) {
    if (B <= 0 || out_features <= 0) return;
    const bool weight_grad = dweight && in_features > 0, input_grad = din && in_features > 0;
    const WeightGradTiles t = weight_grad_tiles(B, out_features);
    const int tiles = weight_grad ? t.groups * t.blocks : 0;
    const int chunks = input_grad || dbias ? (B + LINEAR_ROW_CHUNK - 1) / LINEAR_ROW_CHUNK : 0;
    real *bias_partials = workspace, *weight_slots = workspace + bias_partials_size(B, out_features);
    const size_t weight_size = (size_t)out_features * in_features;
    /* a parallel region even for one task: a GEMM called outside one would be threaded by OpenBLAS itself */
#pragma omp parallel for schedule(dynamic, 1) if (omp_get_max_threads() > 1)
    for (int task = 0; task < tiles + chunks; task++) {
        if (task < tiles) {
            /* dweight[o0..o1][IN] (+)= dout[rows][o0..o1]^T x in[rows][IN] over the group's rows */
            const int group = task / t.blocks, block = task % t.blocks;
            const int r0 = (int)((long)B * group / t.groups), r1 = (int)((long)B * (group + 1) / t.groups);
            const int o0 = (int)((long)out_features * block / t.blocks);
            const int o1 = (int)((long)out_features * (block + 1) / t.blocks);
            real *target = group == 0 ? dweight : weight_slots + (size_t)(group - 1) * weight_size;
            gemm(true, false, o1 - o0, in_features, r1 - r0, 1, dout + (size_t)r0 * out_features + o0, out_features,
                 in + (size_t)r0 * in_features, in_features, group == 0 ? 1 : 0, target + (size_t)o0 * in_features,
                 in_features);
            continue;
        }
        /* din[rows][IN] += dout[rows][OUT] x weight[OUT][IN], then the chunk's bias column sums */
        const int chunk = task - tiles;
        const int r0 = chunk * LINEAR_ROW_CHUNK, n = B - r0 < LINEAR_ROW_CHUNK ? B - r0 : LINEAR_ROW_CHUNK;
        if (input_grad)
            gemm_rows(n, in_features, out_features, dout + (size_t)r0 * out_features, out_features, false, weight,
                      in_features, NULL, NULL, true, din + (size_t)r0 * in_features, in_features);
        if (dbias) row_block_column_sums(bias_partials, dout, r0, n, out_features);
    }
    if (weight_grad && t.groups > 1) {
#pragma omp parallel for schedule(static) if (weight_size * (t.groups - 1) >= OPS_PARALLEL_MIN)
        for (size_t i = 0; i < weight_size; i++) {
            real sum = dweight[i];
            for (int group = 1; group < t.groups; group++) sum += weight_slots[(size_t)(group - 1) * weight_size + i];
            dweight[i] = sum;
        }
    }
    if (dbias) {
        const int blocks = (B + BIAS_ROW_CHUNK - 1) / BIAS_ROW_CHUNK;
        for (int o = 0; o < out_features; o++) {
            double sum = 0;
            for (int k = 0; k < blocks; k++) sum += bias_partials[(size_t)k * out_features + o];
            dbias[o] += (real)sum;
        }
    }
}
