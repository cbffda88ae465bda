/* Fully connected layer: out = in x W^T + b over every row of the mini-batch (every token, for a ViT), as
 * GEMMs over many rows at a time. */
#include <omp.h>
#include <string.h>

#include "ops.h"
#include "layer.h"

/* Column sums of dout are taken BIAS_COLUMN_BLOCK columns at a time, in float over BIAS_ROW_CHUNK rows (vector
 * registers), then added into double: a fixed order whatever the threads. */
#define BIAS_COLUMN_BLOCK 64
#define BIAS_ROW_CHUNK 256

/* Every product is cut into fixed tiles, each a single-threaded GEMM (OpenBLAS's OpenMP build runs a GEMM called
 * inside a parallel region on the calling thread), handed out dynamically: a core slowed by a neighbour then
 * takes fewer tiles. The rows are cut into pieces (the forward and input-gradient products: chunks of
 * LINEAR_ROW_CHUNK rows; the weight gradient: equal groups of about WEIGHT_GRAD_GROUP_ROWS rows) and, when there
 * are fewer than TILES_MIN pieces, the output columns into blocks of at least TILE_MIN_COLUMNS, so that a small
 * batch still gives every thread work. The tiles depend on the shape only, and they run inside a parallel region
 * even when there is one: a GEMM called outside one is threaded by OpenBLAS itself, whose split rounds
 * differently on different thread counts for some shapes (forward 784 -> 256 over 128 rows: 25,950 of 32,768
 * outputs differed between 1 and 2 threads; weight gradient 24 -> 70 over 1,100 rows: 1,260 of 1,680). */
#define LINEAR_ROW_CHUNK 512
#define WEIGHT_GRAD_GROUP_ROWS 1024
#define TILES_MIN 4
#define TILE_MIN_COLUMNS 64
_Static_assert(LINEAR_ROW_CHUNK % BIAS_ROW_CHUNK == 0, "a row chunk holds whole bias blocks");

typedef struct {
    int pieces, blocks; /* pieces of the rows x blocks of the output columns */
} Tiles;

static Tiles tiles_for(int pieces, int columns) {
    Tiles t = {pieces > 0 ? pieces : 1, 1};
    if (t.pieces < TILES_MIN) {
        const int most = columns / TILE_MIN_COLUMNS;
        t.blocks = (TILES_MIN + t.pieces - 1) / t.pieces;
        if (t.blocks > most) t.blocks = most > 1 ? most : 1;
    }
    return t;
}

/* the first of the values of part k when n values are cut into `parts` parts of (nearly) equal size */
static inline int part_start(int n, int k, int parts) { return (int)((long)n * k / parts); }

static int row_chunks(int rows) { return (rows + LINEAR_ROW_CHUNK - 1) / LINEAR_ROW_CHUNK; }

/* C[rows][N] (row stride ldc) = or += A[rows][K] (row stride lda) x B, B = W^T (W [N][K]) when transpose_b, else
 * B [K][N]. When row_init [N] (a bias) or residual [rows][N] (row stride ldc) is given, every row of C starts
 * from it (from their sum when both are), else accumulate says whether the product is added into C or
 * overwrites it. */
typedef struct {
    int rows, N, K;
    const real *A;
    int lda;
    bool transpose_b;
    const real *B;
    int ldb;
    const real *row_init, *residual;
    bool accumulate;
    real *C;
    int ldc;
} RowProduct;

/* One tile of p: the rows of a LINEAR_ROW_CHUNK chunk and one block of the columns, set from row_init and
 * residual just before its GEMM, while they are still in the cache. */
static void row_product_tile(const RowProduct *p, Tiles t, int tile) {
    const int chunk = tile / t.blocks, block = tile % t.blocks;
    const int r0 = chunk * LINEAR_ROW_CHUNK, rows = p->rows - r0 < LINEAR_ROW_CHUNK ? p->rows - r0 : LINEAR_ROW_CHUNK;
    const int c0 = part_start(p->N, block, t.blocks), width = part_start(p->N, block + 1, t.blocks) - c0;
    real *C = p->C + (size_t)r0 * p->ldc + c0;
    const real *row_init = p->row_init ? p->row_init + c0 : NULL;
    if (p->residual)
        for (int r = 0; r < rows; r++) {
            real *c = C + (size_t)r * p->ldc;
            const real *x = p->residual + (size_t)(r0 + r) * p->ldc + c0;
            if (row_init)
                for (int j = 0; j < width; j++) c[j] = x[j] + row_init[j];
            else
                memcpy(c, x, (size_t)width * sizeof(real));
        }
    else if (row_init)
        for (int r = 0; r < rows; r++) memcpy(C + (size_t)r * p->ldc, row_init, (size_t)width * sizeof(real));
    const real *B = p->transpose_b ? p->B + (size_t)c0 * p->ldb : p->B + c0;
    gemm(false, p->transpose_b, rows, width, p->K, 1, p->A + (size_t)r0 * p->lda, p->lda, B, p->ldb,
         row_init || p->residual || p->accumulate ? 1 : 0, C, p->ldc);
}

static Tiles row_product_tiles(const RowProduct *p) { return tiles_for(row_chunks(p->rows), p->N); }

/* The whole product, tile by tile. */
static void row_product(const RowProduct *p) {
    const Tiles t = row_product_tiles(p);
#pragma omp parallel for schedule(dynamic, 1) if (omp_get_max_threads() > 1)
    for (int tile = 0; tile < t.pieces * t.blocks; tile++) row_product_tile(p, t, tile);
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

/* in [B][IN] (row stride in_stride), weight [OUT][IN], bias [OUT] or NULL, residual [B][OUT] (row stride
 * out_stride) or NULL -> out [B][OUT] (row stride out_stride) */
static void linear_rows_forward(real *out, int out_stride, const real *in, int in_stride, const real *weight,
                                const real *bias, const real *residual, int B, int in_features, int out_features) {
    if (B <= 0 || out_features <= 0) return;
    if (in_features <= 0) {
        for (int b = 0; b < B; b++)
            for (int o = 0; o < out_features; o++) {
                const size_t i = (size_t)b * out_stride + o;
                out[i] = (residual ? residual[i] : 0) + (bias ? bias[o] : 0);
            }
        return;
    }
    /* out[B][OUT] = residual + bias + in[B][IN] x weight[OUT][IN]^T */
    const RowProduct p = {.rows = B, .N = out_features, .K = in_features, .A = in, .lda = in_stride,
                          .transpose_b = true, .B = weight, .ldb = in_features, .row_init = bias,
                          .residual = residual, .C = out, .ldc = out_stride};
    row_product(&p);
}

void linear_add_forward(real *out, const real *in, const real *weight, const real *bias, const real *residual, int B,
                        int in_features, int out_features) {
    linear_rows_forward(out, out_features, in, in_features, weight, bias, residual, B, in_features, out_features);
}

void linear_forward(real *out, const real *in, const real *weight, const real *bias, int B, int in_features,
                    int out_features) {
    linear_rows_forward(out, out_features, in, in_features, weight, bias, NULL, B, in_features, out_features);
}

/* The weight gradient's tiles: row groups (pieces) x blocks of dweight's rows (the output features). */
static Tiles weight_grad_tiles(int B, int out_features) {
    return tiles_for((B + WEIGHT_GRAD_GROUP_ROWS - 1) / WEIGHT_GRAD_GROUP_ROWS, out_features);
}

static size_t bias_partials_size(int B, int out_features) {
    return (size_t)((B + BIAS_ROW_CHUNK - 1) / BIAS_ROW_CHUNK) * (size_t)out_features;
}

size_t linear_workspace_size(int B, int in_features, int out_features) {
    if (B <= 0 || out_features <= 0) return 0;
    const Tiles t = weight_grad_tiles(B, out_features);
    return bias_partials_size(B, out_features) +
           (size_t)(t.pieces - 1) * (size_t)out_features * (size_t)(in_features > 0 ? in_features : 0);
}

/* One tile of the weight gradient: dweight[o0..o1][IN] (+)= dout[rows][o0..o1]^T x in[rows][IN] over one row
 * group's rows (row strides out_stride and in_stride). Group 0 adds into dweight, group g > 0 writes slot g - 1
 * (weight_slots [groups-1][OUT][IN]). */
static void weight_grad_tile(real *dweight, real *weight_slots, const real *dout, int out_stride, const real *in,
                             int in_stride, int B, int in_features, int out_features, Tiles t, int tile) {
    const int group = tile / t.blocks, block = tile % t.blocks;
    const int r0 = part_start(B, group, t.pieces), r1 = part_start(B, group + 1, t.pieces);
    const int o0 = part_start(out_features, block, t.blocks), o1 = part_start(out_features, block + 1, t.blocks);
    real *target = group == 0 ? dweight : weight_slots + (size_t)(group - 1) * out_features * in_features;
    gemm(true, false, o1 - o0, in_features, r1 - r0, 1, dout + (size_t)r0 * out_stride + o0, out_stride,
         in + (size_t)r0 * in_stride, in_stride, group == 0 ? 1 : 0, target + (size_t)o0 * in_features,
         in_features);
}

/* partials[k][o] = sum of dout[r][o] (row stride out_stride) over the rows r of the k-th BIAS_ROW_CHUNK-row block,
 * for the blocks of rows r0 .. r0+rows-1 (r0 a multiple of BIAS_ROW_CHUNK); in float, BIAS_COLUMN_BLOCK columns
 * at a time */
static inline void row_block_column_sums(real *partials, const real *dout, int out_stride, int r0, int rows,
                                         int out_features) {
    for (int b0 = r0; b0 < r0 + rows; b0 += BIAS_ROW_CHUNK) {
        const int n = r0 + rows - b0 < BIAS_ROW_CHUNK ? r0 + rows - b0 : BIAS_ROW_CHUNK;
        real *partial = partials + (size_t)(b0 / BIAS_ROW_CHUNK) * out_features;
        for (int o0 = 0; o0 < out_features; o0 += BIAS_COLUMN_BLOCK) {
            const int width = out_features - o0 < BIAS_COLUMN_BLOCK ? out_features - o0 : BIAS_COLUMN_BLOCK;
            const real *block = dout + (size_t)b0 * out_stride + o0;
            if (width == BIAS_COLUMN_BLOCK)
                column_sums_full_block(partial + o0, block, n, out_stride);
            else
                column_sums(partial + o0, block, n, out_stride, width);
        }
    }
}

/* dout [B][OUT], in [B][IN], weight [OUT][IN]; adds into din [B][IN] (or writes it: din_mode), dweight
 * [OUT][IN], dbias [OUT] (any may be NULL). workspace: linear_workspace_size(B, IN, OUT) reals. One parallel
 * loop runs the weight gradient's tiles, then the input gradient's tiles; the first column block of each row
 * chunk is followed by the chunk's bias column sums (per 256-row block, in float, while those rows of dout are
 * still in the cache). Then the weight gradient's slots are added in group order and the bias blocks in order
 * in double: fixed orders whatever the threads, and the same with or without an input gradient. */
OPS_VECTOR_CLONES
static void linear_rows_backward(real *din, GradMode din_mode, real *dweight, real *dbias, const real *dout,
                                 int out_stride, const real *in, int in_stride, const real *weight, int B,
                                 int in_features, int out_features, real *workspace) {
    if (B <= 0) return;
    if (out_features <= 0) { /* no outputs: a zero input gradient */
        if (din && din_mode == GRAD_WRITE)
            for (int b = 0; b < B; b++)
                for (int i = 0; i < in_features; i++) din[(size_t)b * in_stride + i] = 0;
        return;
    }
    const bool weight_grad = dweight && in_features > 0, input_grad = din && in_features > 0;
    const Tiles weight_tiles = weight_grad_tiles(B, out_features);
    /* din[B][IN] (+)= dout[B][OUT] x weight[OUT][IN] */
    const RowProduct input_product = {.rows = B, .N = in_features, .K = out_features, .A = dout,
                                      .lda = out_stride, .B = weight, .ldb = in_features,
                                      .accumulate = din_mode == GRAD_ADD, .C = din, .ldc = in_stride};
    const Tiles input_tiles = input_grad ? row_product_tiles(&input_product) : (Tiles){row_chunks(B), 1};
    const int weight_tasks = weight_grad ? weight_tiles.pieces * weight_tiles.blocks : 0;
    const int input_tasks = input_grad || dbias ? input_tiles.pieces * input_tiles.blocks : 0;
    real *bias_partials = workspace, *weight_slots = workspace + bias_partials_size(B, out_features);
#pragma omp parallel for schedule(dynamic, 1) if (omp_get_max_threads() > 1)
    for (int task = 0; task < weight_tasks + input_tasks; task++) {
        if (task < weight_tasks) {
            weight_grad_tile(dweight, weight_slots, dout, out_stride, in, in_stride, B, in_features, out_features,
                             weight_tiles, task);
            continue;
        }
        const int tile = task - weight_tasks;
        if (input_grad) row_product_tile(&input_product, input_tiles, tile);
        if (dbias && tile % input_tiles.blocks == 0) {
            const int r0 = tile / input_tiles.blocks * LINEAR_ROW_CHUNK;
            row_block_column_sums(bias_partials, dout, out_stride, r0,
                                  B - r0 < LINEAR_ROW_CHUNK ? B - r0 : LINEAR_ROW_CHUNK, out_features);
        }
    }
    const size_t weight_size = (size_t)out_features * in_features;
    if (weight_grad && weight_tiles.pieces > 1) {
#pragma omp parallel for schedule(static) if (weight_size * (weight_tiles.pieces - 1) >= OPS_PARALLEL_MIN)
        for (size_t i = 0; i < weight_size; i++) {
            real sum = dweight[i];
            for (int group = 1; group < weight_tiles.pieces; group++)
                sum += weight_slots[(size_t)(group - 1) * weight_size + i];
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

void linear_backward(real *din, GradMode din_mode, real *dweight, real *dbias, const real *dout, const real *in,
                     const real *weight, int B, int in_features, int out_features, real *workspace) {
    linear_rows_backward(din, din_mode, dweight, dbias, dout, out_features, in, in_features, weight, B, in_features,
                         out_features, workspace);
}

/* A linear layer over token tensors whose first `lead` outputs are needed for each sample's first token only
 * (the queries of a ViT's last block with class-token pooling, where attention uses no other token's query):
 * in [B][T][IN], weight [OUT][IN], bias [OUT] -> out [B][T][OUT], where out[b][t][0..lead) for t > 0 is not
 * written. Two products: the other OUT - lead outputs over all B*T rows, the lead outputs over the B first-token
 * rows (row strides T*IN and T*OUT). */
void linear_first_token_forward(real *out, const real *in, const real *weight, const real *bias, int B, int T,
                                int in_features, int out_features, int lead) {
    linear_rows_forward(out + lead, out_features, in, in_features, weight + (size_t)lead * in_features,
                        bias ? bias + lead : NULL, NULL, B * T, in_features, out_features - lead);
    linear_rows_forward(out, T * out_features, in, T * in_features, weight, bias, NULL, B, in_features, lead);
}

/* Its backward: dout [B][T][OUT], of which dout[b][t][0..lead) for t > 0 is not read; adds into (din_mode: or
 * writes) din [B][T][IN], and adds into dweight, dbias as linear_backward. The first-token product runs second
 * and always adds (the first writes din whatever its width, zeros when lead == OUT), so that every din row
 * receives its two sums in a fixed order. workspace:
 * linear_workspace_size(B * T, IN, OUT) reals (more than either needs). */
void linear_first_token_backward(real *din, GradMode din_mode, real *dweight, real *dbias, const real *dout,
                                 const real *in, const real *weight, int B, int T, int in_features, int out_features,
                                 int lead, real *workspace) {
    linear_rows_backward(din, din_mode, dweight ? dweight + (size_t)lead * in_features : NULL,
                         dbias ? dbias + lead : NULL, dout + lead, out_features, in, in_features,
                         weight + (size_t)lead * in_features, B * T, in_features, out_features - lead, workspace);
    linear_rows_backward(din, GRAD_ADD, dweight, dbias, dout, T * out_features, in, T * in_features, weight, B,
                         in_features, lead, workspace);
}

/* ---- as a layer: every token, [B][T][IN] -> [B][T][OUT] (B*T rows); weight [OUT][IN], bias [OUT] or none.
 * Fused by the builder: with add_residual it writes add_output = add_residual + the product (the residual add
 * after it; its own output slot has no values of its own); with first_token_outputs its first outputs are
 * computed for the first token only. ---- */

static void linear_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const TensorSlot *in = layer_in_slot(m, l);
    const int OUT = layer_out_slot(m, l)->C;
    const real *inp = slot_values(m, l->in), *weight = layer_param(m, l->weight), *bias = layer_param(m, l->bias);
    if (l->add_residual >= 0) {
        linear_add_forward(slot_values(m, l->add_output), inp, weight, bias, slot_values(m, l->add_residual),
                           B * in->H, in->C, OUT);
    } else if (l->first_token_outputs) {
        linear_first_token_forward(slot_values(m, l->out), inp, weight, bias, B, in->H, in->C, OUT,
                                   l->first_token_outputs);
    } else {
        linear_forward(slot_values(m, l->out), inp, weight, bias, B * in->H, in->C, OUT);
    }
}

static void linear_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    const TensorSlot *in = layer_in_slot(m, l);
    const int OUT = layer_out_slot(m, l)->C;
    real *din = slot_grad(m, l->in), *dweight = layer_param_grad(m, l->weight), *dbias = layer_param_grad(m, l->bias);
    const real *dout = slot_grad(m, l->out), *inp = slot_values(m, l->in), *weight = layer_param(m, l->weight);
    if (l->first_token_outputs)
        linear_first_token_backward(din, din_mode, dweight, dbias, dout, inp, weight, B, in->H, in->C, OUT,
                                    l->first_token_outputs, m->workspace);
    else
        linear_backward(din, din_mode, dweight, dbias, dout, inp, weight, B * in->H, in->C, OUT, m->workspace);
}

static size_t linear_layer_workspace(const Model *m, const Layer *l, int batch) {
    const TensorSlot *in = layer_in_slot(m, l);
    return linear_workspace_size(batch * in->H, in->C, layer_out_slot(m, l)->C);
}

/* per token; the first first_token_outputs outputs for the first token only */
static double linear_layer_flops(const Model *m, const Layer *l, int B) {
    const TensorSlot *in = layer_in_slot(m, l), *out = layer_out_slot(m, l);
    const double outputs = (double)(out->C - l->first_token_outputs) * in->H + l->first_token_outputs;
    return 2.0 * (double)in->C * outputs * B;
}

static void linear_layer_init(Model *m, const Layer *l, Rng *rng) {
    init_affine(m, l, (size_t)layer_in_slot(m, l)->C, (size_t)layer_out_slot(m, l)->C, rng);
}

static int linear_case_0(ModelBuilder *mb, int x) {
    return builder_linear(mb, builder_flatten(mb, x), 5, true);
}

static int linear_case_1(ModelBuilder *mb, int x) {
    return builder_linear(mb, builder_patch_embed(mb, x, 4, 2, INIT_TORCH_DEFAULT, 0), 3, false);
}

static int linear_case_2(ModelBuilder *mb, int x) {
    const int t = builder_patch_embed(mb, x, 4, 2, INIT_TORCH_DEFAULT, 0);
    return builder_add(mb, t, builder_linear(mb, t, 4, true));
}

static const OpCheckCase LINEAR_CASES[] = {
    {"linear", 2, 3, 3, linear_case_0},
    {"linear over tokens, no bias", 3, 4, 4, linear_case_1},
    {"linear + residual add (fused)", 3, 4, 4, linear_case_2},
};

const OpDescriptor OP_LINEAR = {.name = "linear", .forward = linear_layer_forward, .backward = linear_layer_backward,
                                .backward_skips_output = true,
                                .workspace_reals = linear_layer_workspace, .forward_flops = linear_layer_flops,
                                .init = linear_layer_init, .writes_fresh_input_grad = true,
                                OP_CHECK_CASES(LINEAR_CASES)};
