/* Direct, obviously-correct reference implementations for the op tests, in double and in the engine's
 * layouts (spatial [C][B][H][W], weights [OC][C][KH][KW]). Slow on purpose: one loop per index. */
#ifndef COHORT_TEST_NAIVE_OPS_H
#define COHORT_TEST_NAIVE_OPS_H

#include <stddef.h>

typedef struct {
    int B, C, H, W, OC, KH, KW, stride, pad_h, pad_w, OH, OW;
} NaiveConv;

/* padding pad_h rows above and below, pad_w columns left and right */
static inline NaiveConv naive_conv_rect(int B, int C, int H, int W, int OC, int KH, int KW, int stride, int pad_h,
                                        int pad_w) {
    NaiveConv n = {B, C, H, W, OC, KH, KW, stride, pad_h, pad_w, (H + 2 * pad_h - KH) / stride + 1,
                   (W + 2 * pad_w - KW) / stride + 1};
    return n;
}

static inline NaiveConv naive_conv(int B, int C, int H, int W, int OC, int KH, int KW, int stride, int pad) {
    return naive_conv_rect(B, C, H, W, OC, KH, KW, stride, pad, pad);
}

static inline size_t naive_in_index(const NaiveConv *n, int c, int b, int h, int w) {
    return (((size_t)c * n->B + b) * n->H + h) * n->W + w;
}
static inline size_t naive_out_index(const NaiveConv *n, int o, int b, int h, int w) {
    return (((size_t)o * n->B + b) * n->OH + h) * n->OW + w;
}
static inline size_t naive_weight_index(const NaiveConv *n, int o, int c, int kh, int kw) {
    return (((size_t)o * n->C + c) * n->KH + kh) * n->KW + kw;
}

/* out[o][b][oh][ow] = bias[o] + sum_{c,kh,kw} w[o][c][kh][kw] * in[c][b][oh*s-ph+kh][ow*s-pw+kw] (0 outside) */
static inline void naive_conv2d_forward(double *out, const double *in, const double *weight, const double *bias,
                                        const NaiveConv *n) {
    for (int o = 0; o < n->OC; o++)
        for (int b = 0; b < n->B; b++)
            for (int oh = 0; oh < n->OH; oh++)
                for (int ow = 0; ow < n->OW; ow++) {
                    double sum = bias ? bias[o] : 0;
                    for (int c = 0; c < n->C; c++)
                        for (int kh = 0; kh < n->KH; kh++)
                            for (int kw = 0; kw < n->KW; kw++) {
                                int ih = oh * n->stride - n->pad_h + kh, iw = ow * n->stride - n->pad_w + kw;
                                if (ih < 0 || ih >= n->H || iw < 0 || iw >= n->W) continue;
                                sum += weight[naive_weight_index(n, o, c, kh, kw)] *
                                       in[naive_in_index(n, c, b, ih, iw)];
                            }
                    out[naive_out_index(n, o, b, oh, ow)] = sum;
                }
}

/* The transpose of the above, term by term: adds into din, dweight, dbias. */
static inline void naive_conv2d_backward(double *din, double *dweight, double *dbias, const double *dout,
                                         const double *in, const double *weight, const NaiveConv *n) {
    for (int o = 0; o < n->OC; o++)
        for (int b = 0; b < n->B; b++)
            for (int oh = 0; oh < n->OH; oh++)
                for (int ow = 0; ow < n->OW; ow++) {
                    double g = dout[naive_out_index(n, o, b, oh, ow)];
                    dbias[o] += g;
                    for (int c = 0; c < n->C; c++)
                        for (int kh = 0; kh < n->KH; kh++)
                            for (int kw = 0; kw < n->KW; kw++) {
                                int ih = oh * n->stride - n->pad_h + kh, iw = ow * n->stride - n->pad_w + kw;
                                if (ih < 0 || ih >= n->H || iw < 0 || iw >= n->W) continue;
                                size_t wi = naive_weight_index(n, o, c, kh, kw), xi = naive_in_index(n, c, b, ih, iw);
                                dweight[wi] += g * in[xi];
                                din[xi] += g * weight[wi];
                            }
                }
}

/* out[b][o] = bias[o] + sum_i in[b][i] * weight[o][i] */
static inline void naive_linear_forward(double *out, const double *in, const double *weight, const double *bias,
                                        int B, int IN, int OUT) {
    for (int b = 0; b < B; b++)
        for (int o = 0; o < OUT; o++) {
            double sum = bias ? bias[o] : 0;
            for (int i = 0; i < IN; i++) sum += in[(size_t)b * IN + i] * weight[(size_t)o * IN + i];
            out[(size_t)b * OUT + o] = sum;
        }
}

/* The transpose of the above, term by term: adds into din [B][IN], dweight [OUT][IN] and dbias [OUT]. */
static inline void naive_linear_backward(double *din, double *dweight, double *dbias, const double *dout,
                                         const double *in, const double *weight, int B, int IN, int OUT) {
    for (int b = 0; b < B; b++)
        for (int o = 0; o < OUT; o++) {
            const double g = dout[(size_t)b * OUT + o];
            dbias[o] += g;
            for (int i = 0; i < IN; i++) {
                dweight[(size_t)o * IN + i] += g * in[(size_t)b * IN + i];
                din[(size_t)b * IN + i] += g * weight[(size_t)o * IN + i];
            }
        }
}

#endif
