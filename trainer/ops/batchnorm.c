/* Batch normalisation over channels, PyTorch BatchNorm2d semantics. With the [C][B][H][W] layout the
 * N = B*H*W values of a channel are one contiguous run, so every loop below streams through memory. */
#include <math.h>

#include "ops.h"
#include "layer.h"

/* The channel sums below run in blocks: SUM_LANES independent accumulators in `real` (which GCC keeps in
 * vector registers, where one double accumulator would serialise on the add latency) over at most SUM_BLOCK
 * elements, then added into double. The order is fixed, so results do not depend on threads. */
#define SUM_LANES 16
#define SUM_BLOCK 1024

/* Over a [n] and b [n]: sum of (a - a_shift) and of (a - a_shift) * (b - b_shift), where gate (NULL: none)
 * leaves out the elements i with gate[i] <= 0. The forward pass takes a = b = x shifted by its first value
 * (sum and sum of squares); the backward a = dy, b = x - mean, and with a ReLU after the batch norm
 * gate = its output (the ReLU passes no gradient where its output is 0). */
static inline __attribute__((always_inline)) real gated(const real *a, real a_shift, const real *gate, int i) {
    const real d = a[i] - a_shift; /* computed unconditionally: the select then vectorises */
    return gate && !(gate[i] > 0) ? 0 : d;
}

static void sum_and_product_generic(const real *a, real a_shift, const real *b, real b_shift, const real *gate,
                                    int n, double *sum, double *sum_product) {
    double total = 0, total_product = 0;
    for (int start = 0; start < n; start += SUM_BLOCK) {
        const int end = n - start < SUM_BLOCK ? n : start + SUM_BLOCK;
        real lane[SUM_LANES] = {0}, lane_product[SUM_LANES] = {0};
        int i = start;
        for (; i + SUM_LANES <= end; i += SUM_LANES)
            for (int j = 0; j < SUM_LANES; j++) {
                const real d = gated(a, a_shift, gate, i + j);
                lane[j] += d;
                lane_product[j] += d * (b[i + j] - b_shift);
            }
        for (; i < end; i++) {
            const real d = gated(a, a_shift, gate, i);
            lane[0] += d;
            lane_product[0] += d * (b[i] - b_shift);
        }
        for (int j = 0; j < SUM_LANES; j++) {
            total += lane[j];
            total_product += lane_product[j];
        }
    }
    *sum = total;
    *sum_product = total_product;
}

#ifndef COHORT_REAL_DOUBLE
#include <immintrin.h>

/* The same sums with AVX-512 written out: GCC's vectorisation of the loop above keeps its lanes on the
 * stack and made these sums a tenth of a ResNet training step. Two 16-float accumulators per sum, added
 * into double every SUM_BLOCK elements, in a fixed order. */
__attribute__((target("avx512f"))) static void sum_and_product_avx512(const float *a, float a_shift, const float *b,
                                                                      float b_shift, const float *gate, int n,
                                                                      double *sum, double *sum_product) {
    const __m512 va = _mm512_set1_ps(a_shift), vb = _mm512_set1_ps(b_shift), zero = _mm512_setzero_ps();
    double total = 0, total_product = 0;
    for (int start = 0; start < n; start += SUM_BLOCK) {
        const int end = n - start < SUM_BLOCK ? n : start + SUM_BLOCK;
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        __m512 p0 = _mm512_setzero_ps(), p1 = _mm512_setzero_ps();
        int i = start;
        for (; i + 32 <= end; i += 32) {
            /* the gate's lanes that pass (gate > 0), or all of them */
            const __mmask16 g0 = gate ? _mm512_cmp_ps_mask(_mm512_loadu_ps(gate + i), zero, _CMP_GT_OQ) : 0xFFFF;
            const __mmask16 g1 = gate ? _mm512_cmp_ps_mask(_mm512_loadu_ps(gate + i + 16), zero, _CMP_GT_OQ) : 0xFFFF;
            const __m512 d0 = _mm512_maskz_sub_ps(g0, _mm512_loadu_ps(a + i), va);
            const __m512 d1 = _mm512_maskz_sub_ps(g1, _mm512_loadu_ps(a + i + 16), va);
            s0 = _mm512_add_ps(s0, d0);
            s1 = _mm512_add_ps(s1, d1);
            p0 = _mm512_fmadd_ps(d0, _mm512_sub_ps(_mm512_loadu_ps(b + i), vb), p0);
            p1 = _mm512_fmadd_ps(d1, _mm512_sub_ps(_mm512_loadu_ps(b + i + 16), vb), p1);
        }
        float tail = 0, tail_product = 0;
        for (; i < end; i++) {
            const float d = gated(a, a_shift, gate, i);
            tail += d;
            tail_product += d * (b[i] - b_shift);
        }
        total += (double)_mm512_reduce_add_ps(_mm512_add_ps(s0, s1)) + tail;
        total_product += (double)_mm512_reduce_add_ps(_mm512_add_ps(p0, p1)) + tail_product;
    }
    *sum = total;
    *sum_product = total_product;
}
#endif

static void sum_and_product(const real *a, real a_shift, const real *b, real b_shift, const real *gate, int n,
                            double *sum, double *sum_product) {
#ifndef COHORT_REAL_DOUBLE
    if (ops_cpu_has_avx512()) {
        sum_and_product_avx512(a, a_shift, b, b_shift, gate, n, sum, sum_product);
        return;
    }
#endif
    sum_and_product_generic(a, a_shift, b, b_shift, gate, n, sum, sum_product);
}

/* out[0..N) = (x - mean) * scale + shift, then max(0, .) when relu */
static inline __attribute__((always_inline)) void normalise(real *y, const real *x, int N, real mean, real scale,
                                                            real shift, bool relu) {
    if (relu) {
        for (int i = 0; i < N; i++) {
            const real v = (x[i] - mean) * scale + shift;
            y[i] = v > 0 ? v : 0;
        }
    } else {
        for (int i = 0; i < N; i++) y[i] = (x[i] - mean) * scale + shift;
    }
}

OPS_VECTOR_CLONES
static void forward_train(real *out, real *saved_mean, real *saved_invstd, real *saved_scale, real *running_mean,
                          real *running_var, const real *in, const real *gamma, const real *beta, int C, int N,
                          real momentum, real eps, bool relu) {
    if (N <= 0) return;
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)C * N >= OPS_PARALLEL_MIN)
    for (int c = 0; c < C; c++) {
        const real *x = in + (size_t)c * N;
        /* One pass over the channel: sums of (x - shift), shifted by the first value so that a large mean
         * does not cancel the variance away. */
        const real shift = x[0];
        double sum, sum_sq;
        sum_and_product(x, shift, x, shift, NULL, N, &sum, &sum_sq);
        const double mean_shifted = sum / N;
        double var = sum_sq / N - mean_shifted * mean_shifted; /* biased: used to normalise */
        if (var < 0) var = 0;
        const double mean = shift + mean_shifted;
        const double invstd = 1.0 / sqrt(var + (double)eps);
        saved_mean[c] = (real)mean;
        saved_invstd[c] = (real)invstd;
        const real scale = (real)(invstd * (double)gamma[c]);
        if (saved_scale) saved_scale[c] = scale;

        /* out = (x - mean) * (invstd * gamma) + beta. Subtracting the mean first (rather than folding it
         * into the offset) avoids cancellation in float when |mean| >> std. */
        normalise(out + (size_t)c * N, x, N, (real)mean, scale, beta[c], relu);

        /* PyTorch tracks the unbiased variance; with a single value per channel (which PyTorch refuses to
         * train on) we fall back to the biased one rather than divide by zero. */
        const double unbiased_var = N > 1 ? var * N / (N - 1) : var;
        if (running_mean) running_mean[c] = (real)((1.0 - momentum) * running_mean[c] + momentum * mean);
        if (running_var) running_var[c] = (real)((1.0 - momentum) * running_var[c] + momentum * unbiased_var);
    }
}

/* in [C][N], gamma/beta [C] -> out [C][N]; saved_mean/saved_invstd [C] for backward;
 * running_mean/running_var [C] updated in place (either may be NULL to skip the update). */
void batchnorm_forward_train(real *out, real *saved_mean, real *saved_invstd, real *running_mean, real *running_var,
                             const real *in, const real *gamma, const real *beta, int C, int N, real momentum,
                             real eps) {
    forward_train(out, saved_mean, saved_invstd, NULL, running_mean, running_var, in, gamma, beta, C, N, momentum,
                  eps, false);
}

/* the same, then out = max(0, out) */
void batchnorm_relu_forward_train(real *out, real *saved_mean, real *saved_invstd, real *running_mean,
                                  real *running_var, const real *in, const real *gamma, const real *beta, int C, int N,
                                  real momentum, real eps) {
    forward_train(out, saved_mean, saved_invstd, NULL, running_mean, running_var, in, gamma, beta, C, N, momentum,
                  eps, true);
}

/* The output forward_train wrote, again, from its input and the saved mean and scale: the same normalise with
 * the same operands (and the same vector clone), so the same bits. */
OPS_VECTOR_CLONES
static void replay_train(real *out, const real *in, const real *saved_mean, const real *saved_scale,
                         const real *beta, int C, int N, bool relu) {
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)C * N >= OPS_PARALLEL_MIN)
    for (int c = 0; c < C; c++)
        normalise(out + (size_t)c * N, in + (size_t)c * N, N, saved_mean[c], saved_scale[c], beta[c], relu);
}

OPS_VECTOR_CLONES
static void forward_eval(real *out, const real *in, const real *gamma, const real *beta, const real *running_mean,
                         const real *running_var, int C, int N, real eps, bool relu) {
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)C * N >= OPS_PARALLEL_MIN)
    for (int c = 0; c < C; c++) {
        const double invstd = 1.0 / sqrt((double)running_var[c] + (double)eps);
        normalise(out + (size_t)c * N, in + (size_t)c * N, N, running_mean[c], (real)(invstd * (double)gamma[c]),
                  beta[c], relu);
    }
}

/* in [C][N], gamma/beta/running_mean/running_var [C] -> out [C][N] */
void batchnorm_forward_eval(real *out, const real *in, const real *gamma, const real *beta,
                            const real *running_mean, const real *running_var, int C, int N, real eps) {
    forward_eval(out, in, gamma, beta, running_mean, running_var, C, N, eps, false);
}

/* the same, then out = max(0, out) */
void batchnorm_relu_forward_eval(real *out, const real *in, const real *gamma, const real *beta,
                                 const real *running_mean, const real *running_var, int C, int N, real eps) {
    forward_eval(out, in, gamma, beta, running_mean, running_var, C, N, eps, true);
}

/* dout, in [C][N], gamma/saved_mean/saved_invstd [C]; adds into din [C][N], dgamma [C], dbeta [C].
 * With xhat = (x - mean) * invstd and y = gamma * xhat + beta (batch statistics):
 *   dbeta  = sum dout,  dgamma = sum dout * xhat,
 *   din    = gamma * invstd / N * (N * dout - dbeta - xhat * dgamma)
 * (the last two terms are the gradient flowing through the batch mean and variance). */
OPS_VECTOR_CLONES
static void backward(real *din, real *dgamma, real *dbeta, const real *dout, const real *relu_out, const real *in,
                     const real *gamma, const real *saved_mean, const real *saved_invstd, int C, int N) {
    if (N <= 0) return;
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)C * N >= OPS_PARALLEL_MIN)
    for (int c = 0; c < C; c++) {
        const real *x = in + (size_t)c * N;
        const real *dy = dout + (size_t)c * N;
        const double mean = saved_mean[c];
        const double invstd = saved_invstd[c];
        double sum_dy, sum_dy_centred;
        const real *gate = relu_out ? relu_out + (size_t)c * N : NULL;
        sum_and_product(dy, 0, x, (real)mean, gate, N, &sum_dy, &sum_dy_centred);
        const double sum_dy_xhat = sum_dy_centred * invstd;
        if (dbeta) dbeta[c] += (real)sum_dy;
        if (dgamma) dgamma[c] += (real)sum_dy_xhat;
        if (din) {
            /* din = k * (dy - mean_dy - xhat * mean_dy_xhat) with k = gamma * invstd; xhat is recomputed
             * from the centred input (x - mean), again to avoid cancellation when |mean| >> std. */
            const real mean_r = (real)mean;
            const real k = (real)((double)gamma[c] * invstd);
            const real mean_dy = (real)(sum_dy / N);
            const real xhat_coeff = (real)(sum_dy_xhat / N * invstd); /* mean_dy_xhat * invstd */
            real *dx = din + (size_t)c * N;
            if (din == dout) /* in place (ops.h): dy is read before dx is written, value by value */
                for (int i = 0; i < N; i++)
                    dx[i] = k * (gated(dy, 0, gate, i) - mean_dy - (x[i] - mean_r) * xhat_coeff);
            else
                for (int i = 0; i < N; i++)
                    dx[i] += k * (gated(dy, 0, gate, i) - mean_dy - (x[i] - mean_r) * xhat_coeff);
        }
    }
}

void batchnorm_backward(real *din, real *dgamma, real *dbeta, const real *dout, const real *in, const real *gamma,
                        const real *saved_mean, const real *saved_invstd, int C, int N) {
    backward(din, dgamma, dbeta, dout, NULL, in, gamma, saved_mean, saved_invstd, C, N);
}

/* batch norm + ReLU: dout [C][N] is the gradient of out = max(0, BN(in)), and out that output; the ReLU
 * passes dout where out > 0. Otherwise as batchnorm_backward. */
void batchnorm_relu_backward(real *din, real *dgamma, real *dbeta, const real *dout, const real *out, const real *in,
                             const real *gamma, const real *saved_mean, const real *saved_invstd, int C, int N) {
    backward(din, dgamma, dbeta, dout, out, in, gamma, saved_mean, saved_invstd, C, N);
}

/* ---- over a flat [B][F] tensor (PyTorch BatchNorm1d on (N, C) input): the statistics of feature f are column
 * f, B values F apart. The loops run over blocks of FLAT_BLOCK features and, inside, over the rows in order,
 * each row's block of features contiguous in memory (the loop over the features vectorises). A feature's sums
 * are always taken over rows 0..B-1 in that order, in double, whichever block and thread compute them, so the
 * results do not depend on the thread count. With B values per feature (a mini-batch) the sums are short:
 * two passes (the mean, then the squared deviations from it) cost little and need no shift. ---- */

#define FLAT_BLOCK 64

OPS_VECTOR_CLONES
void batchnorm1d_forward_train(real *out, real *saved_mean, real *saved_invstd, real *running_mean,
                               real *running_var, const real *in, const real *gamma, const real *beta, int B, int F,
                               real momentum, real eps, bool relu) {
    if (B <= 0 || F <= 0) return;
    const int blocks = (F + FLAT_BLOCK - 1) / FLAT_BLOCK;
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)B * F >= OPS_PARALLEL_MIN)
    for (int block = 0; block < blocks; block++) {
        const int f0 = block * FLAT_BLOCK, n = F - f0 < FLAT_BLOCK ? F - f0 : FLAT_BLOCK;
        double sum[FLAT_BLOCK] = {0}, sum_sq[FLAT_BLOCK] = {0}, mean[FLAT_BLOCK];
        real mean_r[FLAT_BLOCK], scale[FLAT_BLOCK], shift[FLAT_BLOCK];
        for (int b = 0; b < B; b++) {
            const real *x = in + (size_t)b * F + f0;
            for (int j = 0; j < n; j++) sum[j] += x[j];
        }
        for (int j = 0; j < n; j++) mean[j] = sum[j] / B;
        for (int b = 0; b < B; b++) {
            const real *x = in + (size_t)b * F + f0;
            for (int j = 0; j < n; j++) {
                const double d = x[j] - mean[j];
                sum_sq[j] += d * d;
            }
        }
        for (int j = 0; j < n; j++) {
            const int f = f0 + j;
            const double var = sum_sq[j] / B; /* biased: used to normalise */
            const double invstd = 1.0 / sqrt(var + (double)eps);
            saved_mean[f] = mean_r[j] = (real)mean[j];
            saved_invstd[f] = (real)invstd;
            scale[j] = (real)(invstd * (double)gamma[f]);
            shift[j] = beta[f];
            /* unbiased for the running variance, as PyTorch; B = 1 (which PyTorch refuses to train on) falls back
             * to the biased one rather than divide by zero */
            const double unbiased_var = B > 1 ? sum_sq[j] / (B - 1) : var;
            if (running_mean) running_mean[f] = (real)((1.0 - momentum) * running_mean[f] + momentum * mean[j]);
            if (running_var) running_var[f] = (real)((1.0 - momentum) * running_var[f] + momentum * unbiased_var);
        }
        /* out = (x - mean) * (invstd * gamma) + beta, the mean subtracted first as in the channel form */
        for (int b = 0; b < B; b++) {
            const real *x = in + (size_t)b * F + f0;
            real *y = out + (size_t)b * F + f0;
            for (int j = 0; j < n; j++) {
                const real v = (x[j] - mean_r[j]) * scale[j] + shift[j];
                y[j] = relu && !(v > 0) ? 0 : v;
            }
        }
    }
}

OPS_VECTOR_CLONES
void batchnorm1d_forward_eval(real *out, const real *in, const real *gamma, const real *beta, const real *running_mean,
                              const real *running_var, int B, int F, real eps, bool relu) {
    if (B <= 0 || F <= 0) return;
    const int blocks = (F + FLAT_BLOCK - 1) / FLAT_BLOCK;
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)B * F >= OPS_PARALLEL_MIN)
    for (int block = 0; block < blocks; block++) {
        const int f0 = block * FLAT_BLOCK, n = F - f0 < FLAT_BLOCK ? F - f0 : FLAT_BLOCK;
        real scale[FLAT_BLOCK];
        for (int j = 0; j < n; j++)
            scale[j] = (real)((double)gamma[f0 + j] / sqrt((double)running_var[f0 + j] + (double)eps));
        for (int b = 0; b < B; b++) {
            const real *x = in + (size_t)b * F + f0;
            real *y = out + (size_t)b * F + f0;
            for (int j = 0; j < n; j++) {
                const real v = (x[j] - running_mean[f0 + j]) * scale[j] + beta[f0 + j];
                y[j] = relu && !(v > 0) ? 0 : v;
            }
        }
    }
}

/* The channel form's formulas (batchnorm_backward above) per feature, the sums over the rows in order. */
OPS_VECTOR_CLONES
void batchnorm1d_backward(real *din, real *dgamma, real *dbeta, const real *dout, const real *relu_out,
                          const real *in, const real *gamma, const real *saved_mean, const real *saved_invstd, int B,
                          int F) {
    if (B <= 0 || F <= 0) return;
    const int blocks = (F + FLAT_BLOCK - 1) / FLAT_BLOCK;
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)B * F >= OPS_PARALLEL_MIN)
    for (int block = 0; block < blocks; block++) {
        const int f0 = block * FLAT_BLOCK, n = F - f0 < FLAT_BLOCK ? F - f0 : FLAT_BLOCK;
        double sum_dy[FLAT_BLOCK] = {0}, sum_dy_centred[FLAT_BLOCK] = {0};
        const real *mean = saved_mean + f0;
        for (int b = 0; b < B; b++) {
            const size_t row = (size_t)b * F + f0;
            const real *gate = relu_out ? relu_out + row : NULL;
            for (int j = 0; j < n; j++) {
                const double d = gated(dout + row, 0, gate, j);
                sum_dy[j] += d;
                sum_dy_centred[j] += d * (double)(in[row + j] - mean[j]);
            }
        }
        real k[FLAT_BLOCK], mean_dy[FLAT_BLOCK], xhat_coeff[FLAT_BLOCK];
        for (int j = 0; j < n; j++) {
            const int f = f0 + j;
            const double invstd = saved_invstd[f], sum_dy_xhat = sum_dy_centred[j] * invstd;
            if (dbeta) dbeta[f] += (real)sum_dy[j];
            if (dgamma) dgamma[f] += (real)sum_dy_xhat;
            k[j] = (real)((double)gamma[f] * invstd);
            mean_dy[j] = (real)(sum_dy[j] / B);
            xhat_coeff[j] = (real)(sum_dy_xhat / B * invstd);
        }
        if (!din) continue;
        for (int b = 0; b < B; b++) {
            const size_t row = (size_t)b * F + f0;
            const real *gate = relu_out ? relu_out + row : NULL, *dy = dout + row, *x = in + row;
            real *dx = din + row;
            if (din == dout) /* in place (ops.h): each dy is read before its dx is written; the sums came first */
                for (int j = 0; j < n; j++)
                    dx[j] = k[j] * (gated(dy, 0, gate, j) - mean_dy[j] - (x[j] - mean[j]) * xhat_coeff[j]);
            else
                for (int j = 0; j < n; j++)
                    dx[j] += k[j] * (gated(dy, 0, gate, j) - mean_dy[j] - (x[j] - mean[j]) * xhat_coeff[j]);
        }
    }
}

/* ---- as a layer: per channel of [C][B][H][W] (BatchNorm2d) or per feature of a flat [B][C] (BatchNorm1d);
 * weight = gamma [C], bias = beta [C]; buffers: running mean and variance [C] each; saved: the batch mean,
 * inverse std and scale [C] each. Runs the ReLU after it when the builder fused them (relu_after). ---- */

static void batchnorm_layer_forward(Model *m, const Layer *l, int B, bool training) {
    const TensorSlot *in = layer_in_slot(m, l);
    const int C = in->C, N = in->H * in->W * B;
    real *out = slot_values(m, l->out);
    const real *inp = slot_values(m, l->in);
    real *running_mean = m->buffers + l->buffer, *running_var = running_mean + C;
    real *mean = layer_saved(m, l), *invstd = mean + C, *scale = invstd + C;
    const real *gamma = layer_param(m, l->weight), *beta = layer_param(m, l->bias);
    if (in->flat && training) /* [B][C] (the builder refuses token tensors) */
        batchnorm1d_forward_train(out, mean, invstd, running_mean, running_var, inp, gamma, beta, B, C, l->momentum,
                                  l->eps, l->relu_after);
    else if (in->flat)
        batchnorm1d_forward_eval(out, inp, gamma, beta, running_mean, running_var, B, C, l->eps, l->relu_after);
    else if (training)
        forward_train(out, mean, invstd, scale, running_mean, running_var, inp, gamma, beta, C, N, l->momentum, l->eps,
                      l->relu_after);
    else if (l->relu_after)
        batchnorm_relu_forward_eval(out, inp, gamma, beta, running_mean, running_var, C, N, l->eps);
    else
        batchnorm_forward_eval(out, inp, gamma, beta, running_mean, running_var, C, N, l->eps);
}

static void batchnorm_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    const TensorSlot *in = layer_in_slot(m, l);
    const int C = in->C, N = in->H * in->W * B;
    const real *mean = layer_saved(m, l), *invstd = mean + C;
    real *din = slot_grad(m, l->in), *dgamma = layer_param_grad(m, l->weight), *dbeta = layer_param_grad(m, l->bias);
    const real *dout = slot_grad(m, l->out), *inp = slot_values(m, l->in), *gamma = layer_param(m, l->weight);
    if (in->flat) /* with the fused ReLU, its output (this layer's buffers) gates dout */
        batchnorm1d_backward(din, dgamma, dbeta, dout, l->relu_after ? slot_values(m, l->out) : NULL, inp, gamma, mean,
                             invstd, B, C);
    else if (l->relu_after) /* dout: the gradient of the ReLU's output, which shares this layer's buffers */
        batchnorm_relu_backward(din, dgamma, dbeta, dout, slot_values(m, l->out), inp, gamma, mean, invstd, C, N);
    else
        batchnorm_backward(din, dgamma, dbeta, dout, inp, gamma, mean, invstd, C, N);
}

/* the channel form's output (and fused ReLU) of the training forward just run, from its kept input */
static void batchnorm_layer_replay(Model *m, const Layer *l, int B) {
    const TensorSlot *in = layer_in_slot(m, l);
    const int C = in->C;
    const real *mean = layer_saved(m, l), *scale = mean + 2 * C;
    replay_train(slot_values(m, l->out), slot_values(m, l->in), mean, scale, layer_param(m, l->bias), C,
                 in->H * in->W * B, l->relu_after);
}

/* the batch mean, inverse std and the scale invstd * gamma per channel or feature (the scale for replays),
 * whatever the batch: 3 x C in either form */
static size_t batchnorm_layer_saved(const Model *m, const Layer *l, int batch) {
    (void)batch;
    return 3 * (size_t)layer_out_slot(m, l)->C;
}

/* gamma 1, beta 0, running mean 0, running variance 1 */
static void batchnorm_layer_init(Model *m, const Layer *l, Rng *rng) {
    (void)rng;
    init_fill(m->params + l->weight, l->weight_count, 1);
    init_fill(m->params + l->bias, l->bias_count, 0);
    init_fill(m->buffers + l->buffer, l->weight_count, 0);
    init_fill(m->buffers + l->buffer + l->weight_count, l->weight_count, 1);
}

static int batchnorm_case_0(ModelBuilder *mb, int x) {
    return builder_batchnorm(mb, x);
}

static int batchnorm_case_1(ModelBuilder *mb, int x) {
    return builder_relu(mb, builder_batchnorm(mb, x));
}

/* BatchNorm1d: over the 2x3x3 = 18 features of the flattened image */
static int batchnorm_case_2(ModelBuilder *mb, int x) {
    return builder_batchnorm(mb, builder_flatten(mb, x));
}

/* linear -> BatchNorm1d -> ReLU (fused, as in LeNet with batch norm) -> linear -> BatchNorm1d: the biases
 * before the batch norms get zero gradients, which the checker judges on an absolute scale */
static int batchnorm_case_3(ModelBuilder *mb, int x) {
    const int h = builder_relu(mb, builder_batchnorm(mb, builder_linear(mb, builder_flatten(mb, x), 7, true)));
    return builder_batchnorm(mb, builder_linear(mb, h, 5, true));
}

/* more features than one block of the flat loops (FLAT_BLOCK), fused with the ReLU */
static int batchnorm_case_4(ModelBuilder *mb, int x) {
    return builder_relu(mb, builder_batchnorm(mb, builder_flatten(mb, x)));
}

/* its input also feeds a residual add, whose backward writes that gradient first: the batch norm then adds its
 * input gradient instead of working in place */
static int batchnorm_case_5(ModelBuilder *mb, int x) {
    const int flat = builder_flatten(mb, x);
    return builder_add(mb, builder_relu(mb, builder_batchnorm(mb, flat)), flat);
}

static const OpCheckCase BATCHNORM_CASES[] = {
    {"batch norm", 3, 4, 4, batchnorm_case_0},
    {"batch norm + ReLU (fused)", 3, 4, 4, batchnorm_case_1},
    {"batch norm 1d (flat [B][F])", 2, 3, 3, batchnorm_case_2},
    {"linear, BN 1d + ReLU (fused), linear, BN 1d", 2, 3, 3, batchnorm_case_3},
    {"batch norm 1d + ReLU (fused), 75 features (two blocks)", 3, 5, 5, batchnorm_case_4},
    {"batch norm 1d + ReLU (fused) beside a shortcut (adds)", 2, 3, 3, batchnorm_case_5},
};

const OpDescriptor OP_BATCHNORM = {.name = "batchnorm", .forward = batchnorm_layer_forward,
                                   .backward_skips_output = true,
                                   .backward = batchnorm_layer_backward, .replay = batchnorm_layer_replay,
                                   .saved_reals = batchnorm_layer_saved,
                                   .init = batchnorm_layer_init, .grad_in_place = true,
                                   OP_CHECK_CASES(BATCHNORM_CASES)};
