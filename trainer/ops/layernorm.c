/* Layer normalisation over the feature dimension of every token, as PyTorch's nn.LayerNorm(D):
 * y = (x - mean) / sqrt(var + eps) * gamma + beta, with the biased variance of the row's D values. */
#include <math.h>
#include <string.h>

#include "ops.h"
#include "layer.h"

/* dgamma/dbeta sum over rows in `real` over LN_ROW_CHUNK rows at a time, then the chunks in double; a fixed
 * order whatever the threads. */
#define LN_ROW_CHUNK 256

/* Rows are worked on ROW_LANES values at a time as GCC vectors (one 16-float register with AVX-512, four SSE
 * registers otherwise; the same arithmetic either way). Written out because GCC's vectoriser kept the
 * per-lane partial sums of plain loops in memory: the backward pass ran at ~10 cycles a value, compute-bound.
 * A row's sums run in ROW_LANES partial sums in `real` (a few dozen values each), then the lanes are added in
 * order in double: a fixed order, whatever the machine. */
#define ROW_LANES 16
typedef real RowLanes __attribute__((vector_size(ROW_LANES * sizeof(real))));

/* (macros: a function returning a 64-byte vector would change the ABI outside the AVX-512 clone) */
#define LOAD_LANES(lanes, p) memcpy(&(lanes), (p), sizeof(RowLanes))
#define STORE_LANES(p, lanes) memcpy((p), &(lanes), sizeof(RowLanes))

/* sum of x[0..D) */
static inline __attribute__((always_inline)) double row_sum(const real *x, int D) {
    const int vector_end = D - D % ROW_LANES;
    RowLanes lanes = {0};
    for (int d = 0; d < vector_end; d += ROW_LANES) {
        RowLanes v;
        LOAD_LANES(v, x + d);
        lanes += v;
    }
    double sum = 0;
    for (int d = vector_end; d < D; d++) sum += x[d];
    for (int j = 0; j < ROW_LANES; j++) sum += lanes[j];
    return sum;
}

/* sum of (x - mean)^2 */
static inline __attribute__((always_inline)) double row_centred_squares(const real *x, int D, real mean) {
    const int vector_end = D - D % ROW_LANES;
    RowLanes lanes = {0};
    for (int d = 0; d < vector_end; d += ROW_LANES) {
        RowLanes v;
        LOAD_LANES(v, x + d);
        v -= mean;
        lanes += v * v;
    }
    double sum = 0;
    for (int d = vector_end; d < D; d++) {
        const double c = x[d] - mean;
        sum += c * c;
    }
    for (int j = 0; j < ROW_LANES; j++) sum += lanes[j];
    return sum;
}

/* in [N][D] (N = B*T token rows), gamma/beta [D] -> out [N][D]; saved_mean/saved_invstd [N] for backward. */
OPS_VECTOR_CLONES
void layernorm_forward(real *out, real *saved_mean, real *saved_invstd, const real *in, const real *gamma,
                       const real *beta, int N, int D, real eps) {
    if (D <= 0) return;
#pragma omp parallel for schedule(dynamic, 32) if ((size_t)N * D >= OPS_PARALLEL_MIN)
    for (int n = 0; n < N; n++) {
        const real *x = in + (size_t)n * D;
        real *y = out + (size_t)n * D;
        const real m = (real)(row_sum(x, D) / D);
        /* two passes: the centred sum of squares has no cancellation */
        const double invstd = 1.0 / sqrt(row_centred_squares(x, D, m) / D + (double)eps);
        saved_mean[n] = m;
        saved_invstd[n] = (real)invstd;
        const real s = (real)invstd;
        for (int d = 0; d < D; d++) y[d] = (x[d] - m) * s * gamma[d] + beta[d];
    }
}

size_t layernorm_workspace_size(int N, int D) {
    return ((size_t)N + LN_ROW_CHUNK - 1) / LN_ROW_CHUNK * 2 * (size_t)D;
}

/* dout, in [N][D], gamma [D], saved_mean/saved_invstd [N]; adds into din [N][D], dgamma [D], dbeta [D].
 * With xhat = (x - mean) * invstd and g = dout * gamma (per row):
 *   din = invstd * (g - mean(g) - xhat * mean(g * xhat)),  dgamma = sum_rows dout * xhat,  dbeta = sum_rows dout
 * One pass over the rows, LN_ROW_CHUNK at a time (chunks in parallel): each chunk's dgamma and dbeta are
 * summed in `real` over its rows in order into its own slot of workspace (layernorm_workspace_size reals),
 * and the chunks are then added in order in double, so the result does not depend on the threads. */
OPS_VECTOR_CLONES
void layernorm_backward(real *din, real *dgamma, real *dbeta, const real *dout, const real *in, const real *gamma,
                        const real *saved_mean, const real *saved_invstd, int N, int D, real *workspace) {
    if (D <= 0 || N <= 0) return;
    const bool affine_grads = dgamma || dbeta;
    const int chunks = (N + LN_ROW_CHUNK - 1) / LN_ROW_CHUNK, vector_end = D - D % ROW_LANES;
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)N * D >= OPS_PARALLEL_MIN)
    for (int chunk = 0; chunk < chunks; chunk++) {
        real *restrict part_dgamma = workspace + (size_t)chunk * 2 * D, *restrict part_dbeta = part_dgamma + D;
        if (affine_grads)
            for (int d = 0; d < D; d++) part_dgamma[d] = part_dbeta[d] = 0;
        const int n1 = N - chunk * LN_ROW_CHUNK < LN_ROW_CHUNK ? N : (chunk + 1) * LN_ROW_CHUNK;
        for (int n = chunk * LN_ROW_CHUNK; n < n1; n++) {
            const real *restrict x = in + (size_t)n * D, *restrict dy = dout + (size_t)n * D;
            const real m = saved_mean[n], s = saved_invstd[n];
            RowLanes lanes_g = {0}, lanes_g_xhat = {0};
            for (int d = 0; d < vector_end; d += ROW_LANES) {
                RowLanes dyv, xv, gammav;
                LOAD_LANES(dyv, dy + d);
                LOAD_LANES(xv, x + d);
                LOAD_LANES(gammav, gamma + d);
                const RowLanes xhat = (xv - m) * s, g = dyv * gammav;
                lanes_g += g;
                lanes_g_xhat += g * xhat;
                if (affine_grads) {
                    RowLanes beta_part, gamma_part;
                    LOAD_LANES(beta_part, part_dbeta + d);
                    LOAD_LANES(gamma_part, part_dgamma + d);
                    beta_part += dyv;
                    gamma_part += dyv * xhat;
                    STORE_LANES(part_dbeta + d, beta_part);
                    STORE_LANES(part_dgamma + d, gamma_part);
                }
            }
            double sum_g = 0, sum_g_xhat = 0;
            for (int d = vector_end; d < D; d++) {
                const real xhat = (x[d] - m) * s, g = dy[d] * gamma[d];
                sum_g += g;
                sum_g_xhat += (double)(g * xhat);
                if (affine_grads) {
                    part_dbeta[d] += dy[d];
                    part_dgamma[d] += dy[d] * xhat;
                }
            }
            for (int j = 0; j < ROW_LANES; j++) {
                sum_g += lanes_g[j];
                sum_g_xhat += lanes_g_xhat[j];
            }
            if (!din) continue;
            const real mean_g = (real)(sum_g / D), mean_g_xhat = (real)(sum_g_xhat / D);
            real *restrict dx = din + (size_t)n * D;
            for (int d = 0; d < D; d++) {
                const real xhat = (x[d] - m) * s;
                dx[d] += s * (dy[d] * gamma[d] - mean_g - xhat * mean_g_xhat);
            }
        }
    }
    if (!affine_grads) return;
    for (int d = 0; d < D; d++) {
        double sum_dy = 0, sum_dy_xhat = 0;
        for (int chunk = 0; chunk < chunks; chunk++) {
            sum_dy_xhat += workspace[(size_t)chunk * 2 * D + d];
            sum_dy += workspace[(size_t)chunk * 2 * D + D + d];
        }
        if (dbeta) dbeta[d] += (real)sum_dy;
        if (dgamma) dgamma[d] += (real)sum_dy_xhat;
    }
}

/* ---- as a layer: over the features of every token, [B][T][D]; weight = gamma [D], bias = beta [D]; saved:
 * the mean [B*T], then the inverse std [B*T] ---- */

static void layernorm_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const TensorSlot *in = layer_in_slot(m, l);
    const size_t rows = (size_t)B * in->H;
    layernorm_forward(slot_values(m, l->out), layer_saved(m, l), layer_saved(m, l) + rows, slot_values(m, l->in),
                      layer_param(m, l->weight), layer_param(m, l->bias), (int)rows, in->C, l->eps);
}

static void layernorm_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    const TensorSlot *in = layer_in_slot(m, l);
    const size_t rows = (size_t)B * in->H;
    layernorm_backward(slot_grad(m, l->in), layer_param_grad(m, l->weight), layer_param_grad(m, l->bias),
                       slot_grad(m, l->out), slot_values(m, l->in), layer_param(m, l->weight), layer_saved(m, l),
                       layer_saved(m, l) + rows, (int)rows, in->C, m->workspace);
}

static size_t layernorm_layer_saved(const Model *m, const Layer *l, int batch) {
    return 2 * (size_t)batch * layer_out_slot(m, l)->H; /* mean and inverse std per token */
}

static size_t layernorm_layer_workspace(const Model *m, const Layer *l, int batch) {
    const TensorSlot *in = layer_in_slot(m, l);
    return layernorm_workspace_size(batch * in->H, in->C);
}

/* gamma 1, beta 0 */
static void layernorm_layer_init(Model *m, const Layer *l, Rng *rng) {
    (void)rng;
    init_fill(m->params + l->weight, l->weight_count, 1);
    init_fill(m->params + l->bias, l->bias_count, 0);
}

static int layernorm_case_0(ModelBuilder *mb, int x) {
    return builder_layernorm(mb, builder_patch_embed(mb, x, 4, 2, INIT_TORCH_DEFAULT, 0), 1e-5);
}

static const OpCheckCase LAYERNORM_CASES[] = {
    {"layer norm", 3, 4, 4, layernorm_case_0},
};

const OpDescriptor OP_LAYERNORM = {.name = "layernorm", .forward = layernorm_layer_forward,
                                   .backward_skips_output = true,
                                   .backward = layernorm_layer_backward, .saved_reals = layernorm_layer_saved,
                                   .workspace_reals = layernorm_layer_workspace, .init = layernorm_layer_init,
                                   OP_CHECK_CASES(LAYERNORM_CASES)};
