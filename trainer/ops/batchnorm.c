/* Batch normalisation over channels, PyTorch BatchNorm2d semantics. With the [C][B][H][W] layout the
 * N = B*H*W values of a channel are one contiguous run, so every loop below streams through memory. */
#include <math.h>

#include "ops.h"

/* in [C][N], gamma/beta [C] -> out [C][N]; saved_mean/saved_invstd [C] for backward;
 * running_mean/running_var [C] updated in place (either may be NULL to skip the update). */
void batchnorm_forward_train(real *out, real *saved_mean, real *saved_invstd, real *running_mean, real *running_var,
                             const real *in, const real *gamma, const real *beta, int C, int N, real momentum,
                             real eps) {
    if (N <= 0) return;
    for (int c = 0; c < C; c++) {
        const real *x = in + (size_t)c * N;
        /* One pass over the channel: sums of (x - shift) in double, shifted by the first value so that a
         * large mean does not cancel the variance away. */
        const double shift = x[0];
        double sum = 0, sum_sq = 0;
        for (int i = 0; i < N; i++) {
            double d = (double)x[i] - shift;
            sum += d;
            sum_sq += d * d;
        }
        const double mean_shifted = sum / N;
        double var = sum_sq / N - mean_shifted * mean_shifted; /* biased: used to normalise */
        if (var < 0) var = 0;
        const double mean = shift + mean_shifted;
        const double invstd = 1.0 / sqrt(var + (double)eps);
        saved_mean[c] = (real)mean;
        saved_invstd[c] = (real)invstd;

        /* out = (x - mean) * (invstd * gamma) + beta. Subtracting the mean first (rather than folding it
         * into the offset) avoids cancellation in float when |mean| >> std. */
        const real mean_r = (real)mean;
        const real scale = (real)(invstd * (double)gamma[c]);
        const real shift_out = beta[c];
        real *y = out + (size_t)c * N;
        for (int i = 0; i < N; i++) y[i] = (x[i] - mean_r) * scale + shift_out;

        /* PyTorch tracks the unbiased variance; with a single value per channel (which PyTorch refuses to
         * train on) we fall back to the biased one rather than divide by zero. */
        const double unbiased_var = N > 1 ? var * N / (N - 1) : var;
        if (running_mean) running_mean[c] = (real)((1.0 - momentum) * running_mean[c] + momentum * mean);
        if (running_var) running_var[c] = (real)((1.0 - momentum) * running_var[c] + momentum * unbiased_var);
    }
}

/* in [C][N], gamma/beta/running_mean/running_var [C] -> out [C][N] */
void batchnorm_forward_eval(real *out, const real *in, const real *gamma, const real *beta,
                            const real *running_mean, const real *running_var, int C, int N, real eps) {
    for (int c = 0; c < C; c++) {
        const double invstd = 1.0 / sqrt((double)running_var[c] + (double)eps);
        const real mean = running_mean[c];
        const real scale = (real)(invstd * (double)gamma[c]);
        const real shift_out = beta[c];
        const real *x = in + (size_t)c * N;
        real *y = out + (size_t)c * N;
        for (int i = 0; i < N; i++) y[i] = (x[i] - mean) * scale + shift_out;
    }
}

/* dout, in [C][N], gamma/saved_mean/saved_invstd [C]; adds into din [C][N], dgamma [C], dbeta [C].
 * With xhat = (x - mean) * invstd and y = gamma * xhat + beta (batch statistics):
 *   dbeta  = sum dout,  dgamma = sum dout * xhat,
 *   din    = gamma * invstd / N * (N * dout - dbeta - xhat * dgamma)
 * (the last two terms are the gradient flowing through the batch mean and variance). */
void batchnorm_backward(real *din, real *dgamma, real *dbeta, const real *dout, const real *in, const real *gamma,
                        const real *saved_mean, const real *saved_invstd, int C, int N) {
    if (N <= 0) return;
    for (int c = 0; c < C; c++) {
        const real *x = in + (size_t)c * N;
        const real *dy = dout + (size_t)c * N;
        const double mean = saved_mean[c];
        const double invstd = saved_invstd[c];
        double sum_dy = 0, sum_dy_xhat = 0;
        for (int i = 0; i < N; i++) {
            sum_dy += dy[i];
            sum_dy_xhat += dy[i] * (((double)x[i] - mean) * invstd);
        }
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
            for (int i = 0; i < N; i++) dx[i] += k * (dy[i] - mean_dy - (x[i] - mean_r) * xhat_coeff);
        }
    }
}
