/* Max and average pooling over independent planes (the [C][B] planes of a [C][B][H][W] activation). */
#include <math.h>

#include "ops.h"

void pool_shape_init(PoolShape *s, int planes, int H, int W, int K, int stride, int pad) {
    s->planes = planes;
    s->H = H;
    s->W = W;
    s->K = K;
    s->stride = stride;
    s->pad = pad;
    s->OH = (H + 2 * pad - K) / stride + 1; /* floor, as PyTorch with ceil_mode=False */
    s->OW = (W + 2 * pad - K) / stride + 1;
}

/* The window of output position o along one axis, clipped to the input: [*lo, *hi). */
static void window(int o, int stride, int pad, int K, int size, int *lo, int *hi) {
    int start = o * stride - pad;
    int end = start + K;
    *lo = start < 0 ? 0 : start;
    *hi = end > size ? size : end;
}

/* in [P][H][W] -> out [P][OH][OW], argmax [P][OH][OW] (index ih*W + iw within the input plane).
 * Padding is -inf, so it never wins; scanning the window in row-major order and replacing the best only on
 * a strictly greater value makes the first maximum win, as PyTorch does. A NaN wins over any number so that
 * it propagates. */
void maxpool_forward(real *out, int32_t *argmax, const real *in, const PoolShape *s) {
    const size_t in_plane = (size_t)s->H * s->W, out_plane = (size_t)s->OH * s->OW;
    /* planes in parallel: each writes only its own */
#pragma omp parallel for schedule(dynamic, 16) if ((size_t)s->planes * in_plane >= OPS_PARALLEL_MIN)
    for (int p = 0; p < s->planes; p++) {
        const real *x = in + (size_t)p * in_plane;
        real *y = out + (size_t)p * out_plane;
        int32_t *arg = argmax + (size_t)p * out_plane;
        for (int oh = 0; oh < s->OH; oh++) {
            int h0, h1;
            window(oh, s->stride, s->pad, s->K, s->H, &h0, &h1);
            for (int ow = 0; ow < s->OW; ow++) {
                int w0, w1;
                window(ow, s->stride, s->pad, s->K, s->W, &w0, &w1);
                real best = -INFINITY;
                int32_t best_index = -1; /* stays -1 only if the window is all padding */
                for (int ih = h0; ih < h1; ih++) {
                    for (int iw = w0; iw < w1; iw++) {
                        real v = x[ih * s->W + iw];
                        if (v > best || (isnan(v) && !isnan(best)) || best_index < 0) {
                            best = v;
                            best_index = ih * s->W + iw;
                        }
                    }
                }
                y[oh * s->OW + ow] = best;
                arg[oh * s->OW + ow] = best_index;
            }
        }
    }
}

/* dout, argmax [P][OH][OW]; adds each output gradient into the input element that won its window. */
void maxpool_backward(real *din, const real *dout, const int32_t *argmax, const PoolShape *s) {
    if (!din) return;
    const size_t in_plane = (size_t)s->H * s->W, out_plane = (size_t)s->OH * s->OW;
    /* planes in parallel: each writes only its own */
#pragma omp parallel for schedule(dynamic, 16) if ((size_t)s->planes * in_plane >= OPS_PARALLEL_MIN)
    for (int p = 0; p < s->planes; p++) {
        real *dx = din + (size_t)p * in_plane;
        const real *dy = dout + (size_t)p * out_plane;
        const int32_t *arg = argmax + (size_t)p * out_plane;
        for (size_t i = 0; i < out_plane; i++)
            if (arg[i] >= 0) dx[arg[i]] += dy[i];
    }
}

/* in [P][H][W] -> out [P][OH][OW]. Padding counts as zeros in the mean (PyTorch's count_include_pad=True):
 * with floor output sizes every window lies inside the padded input, so the divisor is always K*K. */
void avgpool_forward(real *out, const real *in, const PoolShape *s) {
    const size_t in_plane = (size_t)s->H * s->W, out_plane = (size_t)s->OH * s->OW;
    const double inv_area = 1.0 / ((double)s->K * s->K);
    /* planes in parallel: each writes only its own */
#pragma omp parallel for schedule(dynamic, 16) if ((size_t)s->planes * in_plane >= OPS_PARALLEL_MIN)
    for (int p = 0; p < s->planes; p++) {
        const real *x = in + (size_t)p * in_plane;
        real *y = out + (size_t)p * out_plane;
        for (int oh = 0; oh < s->OH; oh++) {
            int h0, h1;
            window(oh, s->stride, s->pad, s->K, s->H, &h0, &h1);
            for (int ow = 0; ow < s->OW; ow++) {
                int w0, w1;
                window(ow, s->stride, s->pad, s->K, s->W, &w0, &w1);
                double sum = 0;
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++) sum += x[ih * s->W + iw];
                y[oh * s->OW + ow] = (real)(sum * inv_area);
            }
        }
    }
}

/* dout [P][OH][OW]; adds dout / (K*K) into every input element of each window of din [P][H][W]. */
void avgpool_backward(real *din, const real *dout, const PoolShape *s) {
    if (!din) return;
    const size_t in_plane = (size_t)s->H * s->W, out_plane = (size_t)s->OH * s->OW;
    const double inv_area = 1.0 / ((double)s->K * s->K);
    /* planes in parallel: each writes only its own */
#pragma omp parallel for schedule(dynamic, 16) if ((size_t)s->planes * in_plane >= OPS_PARALLEL_MIN)
    for (int p = 0; p < s->planes; p++) {
        real *dx = din + (size_t)p * in_plane;
        const real *dy = dout + (size_t)p * out_plane;
        for (int oh = 0; oh < s->OH; oh++) {
            int h0, h1;
            window(oh, s->stride, s->pad, s->K, s->H, &h0, &h1);
            for (int ow = 0; ow < s->OW; ow++) {
                int w0, w1;
                window(ow, s->stride, s->pad, s->K, s->W, &w0, &w1);
                const real g = (real)(dy[oh * s->OW + ow] * inv_area);
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++) dx[ih * s->W + iw] += g;
            }
        }
    }
}
