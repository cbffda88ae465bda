/* Layer normalisation over the feature dimension of every token, as PyTorch's nn.LayerNorm(D):
 * y = (x - mean) / sqrt(var + eps) * gamma + beta, with the biased variance of the row's D values. */
#include <math.h>

#include "ops.h"

/* dgamma/dbeta sum over rows in `real` over LN_ROW_CHUNK rows at a time, then the chunks in double; a fixed
 * order whatever the threads. */
#define LN_ROW_CHUNK 256

/* Row sums are taken in LANES double partial sums (a fixed order, so results do not depend on the machine),
 * which GCC vectorises, where one running double sum would be a scalar loop. */
#define LANES 8

/* sum of x[0..D) */
static inline __attribute__((always_inline)) double row_sum(const real *x, int D) {
    double lane[LANES] = {0};
    int d = 0;
    for (; d + LANES <= D; d += LANES)
        for (int j = 0; j < LANES; j++) lane[j] += x[d + j];
    double sum = 0;
    for (; d < D; d++) sum += x[d];
    for (int j = 0; j < LANES; j++) sum += lane[j];
    return sum;
}

/* sum of (x - mean)^2 */
static inline __attribute__((always_inline)) double row_centred_squares(const real *x, int D, real mean) {
    double lane[LANES] = {0};
    int d = 0;
    for (; d + LANES <= D; d += LANES)
        for (int j = 0; j < LANES; j++) {
            const double c = x[d + j] - mean;
            lane[j] += c * c;
        }
    double sum = 0;
    for (; d < D; d++) {
        const double c = x[d] - mean;
        sum += c * c;
    }
    for (int j = 0; j < LANES; j++) sum += lane[j];
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
    const int chunks = (N + LN_ROW_CHUNK - 1) / LN_ROW_CHUNK;
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)N * D >= OPS_PARALLEL_MIN)
    for (int chunk = 0; chunk < chunks; chunk++) {
        real *part_dgamma = workspace + (size_t)chunk * 2 * D, *part_dbeta = part_dgamma + D;
        if (affine_grads)
            for (int d = 0; d < D; d++) part_dgamma[d] = part_dbeta[d] = 0;
        const int n1 = N - chunk * LN_ROW_CHUNK < LN_ROW_CHUNK ? N : (chunk + 1) * LN_ROW_CHUNK;
        for (int n = chunk * LN_ROW_CHUNK; n < n1; n++) {
            const real *x = in + (size_t)n * D, *dy = dout + (size_t)n * D;
            const real m = saved_mean[n], s = saved_invstd[n];
            if (affine_grads)
                for (int d = 0; d < D; d++) {
                    part_dbeta[d] += dy[d];
                    part_dgamma[d] += dy[d] * ((x[d] - m) * s);
                }
            if (!din) continue;
            /* LANES partial sums in `real` over one row (a few hundred features), then added in double */
            real lane_g[LANES] = {0}, lane_g_xhat[LANES] = {0};
            double sum_g = 0, sum_g_xhat = 0;
            int d = 0;
            for (; d + LANES <= D; d += LANES)
                for (int j = 0; j < LANES; j++) {
                    const real g = dy[d + j] * gamma[d + j];
                    lane_g[j] += g;
                    lane_g_xhat[j] += g * ((x[d + j] - m) * s);
                }
            for (; d < D; d++) {
                const double g = (double)(dy[d] * gamma[d]);
                sum_g += g;
                sum_g_xhat += g * (double)((x[d] - m) * s);
            }
            for (int j = 0; j < LANES; j++) {
                sum_g += lane_g[j];
                sum_g_xhat += lane_g_xhat[j];
            }
            const real mean_g = (real)(sum_g / D), mean_g_xhat = (real)(sum_g_xhat / D);
            real *dx = din + (size_t)n * D;
            for (d = 0; d < D; d++) {
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
