/* 2-D convolution as im2col + GEMM over a chunk of the mini-batch at a time.
 *
 * Because activations are [C][B][H][W], the output [OC][B][OH][OW] is a matrix [OC][B*OH*OW], and the
 * output columns of images b0..b0+nb-1 are one contiguous column range of it. So a whole chunk of images is
 * ONE gemm:
 *     out[OC][b0*OHW .. (b0+nb)*OHW)  =  weight[OC][C*KH*KW]  x  col[C*KH*KW][nb*OHW]
 * with ldc = B*OHW, where col is the im2col of those nb images. The chunk size bounds the workspace
 * (col) while keeping the GEMM wide enough to run at full speed. */
#include <string.h>

#include "ops.h"

/* Upper bound on the reals of one im2col chunk (16 MiB in float); a chunk holds at least one image. */
#define CONV_COL_BUDGET ((size_t)1 << 22)

void conv_shape_init(ConvShape *s, int B, int C, int H, int W, int OC, int KH, int KW, int stride, int pad) {
    s->B = B;
    s->C = C;
    s->H = H;
    s->W = W;
    s->OC = OC;
    s->KH = KH;
    s->KW = KW;
    s->stride = stride;
    s->pad = pad;
    s->OH = (H + 2 * pad - KH) / stride + 1;
    s->OW = (W + 2 * pad - KW) / stride + 1;
}

/* A 1x1 kernel with stride 1 and no padding reads the input exactly as the GEMM wants it: [C][B*H*W]. */
static bool is_pointwise(const ConvShape *s) {
    return s->KH == 1 && s->KW == 1 && s->stride == 1 && s->pad == 0;
}

/* reals of im2col for one image: [C*KH*KW][OH*OW] */
static size_t col_reals_per_image(const ConvShape *s) {
    return (size_t)s->C * s->KH * s->KW * s->OH * s->OW;
}

int conv2d_chunk_images(const ConvShape *s) {
    if (is_pointwise(s) || s->B <= 1) return s->B;
    size_t per_image = col_reals_per_image(s);
    size_t images = per_image == 0 ? (size_t)s->B : CONV_COL_BUDGET / per_image;
    if (images < 1) images = 1;
    if (images > (size_t)s->B) images = (size_t)s->B;
    return (int)images;
}

size_t conv2d_workspace_size(const ConvShape *s) {
    if (is_pointwise(s)) return 0;
    return (size_t)conv2d_chunk_images(s) * col_reals_per_image(s);
}

/* For kernel column kw, the output columns ow whose input column ow*stride - pad + kw lies inside
 * [0, W) form one range [*lo, *hi); the columns outside it read padding. Computing the range once per
 * kernel column keeps bounds tests out of the inner copy loops. */
static void valid_output_columns(const ConvShape *s, int kw, int *lo, int *hi) {
    int first = 0;
    int shift = s->pad - kw; /* ow*stride >= shift */
    if (shift > 0) first = (shift + s->stride - 1) / s->stride;
    int last_plus_one = 0;
    int limit = s->W - 1 + s->pad - kw; /* ow*stride <= limit */
    if (limit >= 0) last_plus_one = limit / s->stride + 1;
    if (last_plus_one > s->OW) last_plus_one = s->OW;
    if (first > s->OW) first = s->OW;
    if (last_plus_one < first) last_plus_one = first;
    *lo = first;
    *hi = last_plus_one;
}

/* in [C][B][H][W] -> col [C*KH*KW][nb*OH*OW] for images b0..b0+nb-1 (zeros where the kernel reads padding).
 * Row (c, kh, kw) of col is written in memory order, so both the reads (one input row at a time) and the
 * writes stream. */
static void im2col(real *col, const real *in, const ConvShape *s, int b0, int nb) {
    const size_t plane = (size_t)s->H * s->W;
    const size_t out_plane = (size_t)s->OH * s->OW;
    const size_t col_width = (size_t)nb * out_plane;
    const int stride = s->stride;
    for (int c = 0; c < s->C; c++) {
        for (int kh = 0; kh < s->KH; kh++) {
            for (int kw = 0; kw < s->KW; kw++) {
                real *col_row = col + ((size_t)(c * s->KH + kh) * s->KW + kw) * col_width;
                int lo, hi;
                valid_output_columns(s, kw, &lo, &hi);
                const int input_column_offset = kw - s->pad; /* input column = ow*stride + offset */
                for (int j = 0; j < nb; j++) {
                    const real *image = in + ((size_t)c * s->B + (size_t)(b0 + j)) * plane;
                    for (int oh = 0; oh < s->OH; oh++) {
                        real *dst = col_row + (size_t)j * out_plane + (size_t)oh * s->OW;
                        int ih = oh * stride - s->pad + kh;
                        if (ih < 0 || ih >= s->H) {
                            memset(dst, 0, (size_t)s->OW * sizeof(real));
                            continue;
                        }
                        const real *src_row = image + (size_t)ih * s->W;
                        for (int ow = 0; ow < lo; ow++) dst[ow] = 0;
                        if (stride == 1) {
                            if (hi > lo)
                                memcpy(dst + lo, src_row + (lo + input_column_offset),
                                       (size_t)(hi - lo) * sizeof(real));
                        } else {
                            for (int ow = lo; ow < hi; ow++) dst[ow] = src_row[ow * stride + input_column_offset];
                        }
                        for (int ow = hi; ow < s->OW; ow++) dst[ow] = 0;
                    }
                }
            }
        }
    }
}

/* The adjoint of im2col: adds col [C*KH*KW][nb*OH*OW] back into din [C][B][H][W] for images b0..b0+nb-1
 * (entries that came from padding are dropped). */
static void col2im_add(real *din, const real *col, const ConvShape *s, int b0, int nb) {
    const size_t plane = (size_t)s->H * s->W;
    const size_t out_plane = (size_t)s->OH * s->OW;
    const size_t col_width = (size_t)nb * out_plane;
    const int stride = s->stride;
    for (int c = 0; c < s->C; c++) {
        for (int kh = 0; kh < s->KH; kh++) {
            for (int kw = 0; kw < s->KW; kw++) {
                const real *col_row = col + ((size_t)(c * s->KH + kh) * s->KW + kw) * col_width;
                int lo, hi;
                valid_output_columns(s, kw, &lo, &hi);
                const int input_column_offset = kw - s->pad;
                for (int j = 0; j < nb; j++) {
                    real *image = din + ((size_t)c * s->B + (size_t)(b0 + j)) * plane;
                    for (int oh = 0; oh < s->OH; oh++) {
                        int ih = oh * stride - s->pad + kh;
                        if (ih < 0 || ih >= s->H) continue;
                        const real *src = col_row + (size_t)j * out_plane + (size_t)oh * s->OW;
                        real *dst_row = image + (size_t)ih * s->W;
                        if (stride == 1) {
                            for (int ow = lo; ow < hi; ow++) dst_row[ow + input_column_offset] += src[ow];
                        } else {
                            for (int ow = lo; ow < hi; ow++) dst_row[ow * stride + input_column_offset] += src[ow];
                        }
                    }
                }
            }
        }
    }
}

/* in [C][B][H][W], weight [OC][C][KH][KW], bias [OC] or NULL -> out [OC][B][OH][OW];
 * workspace: conv2d_workspace_size(s) reals (may be NULL when that is 0). */
void conv2d_forward(real *out, const real *in, const real *weight, const real *bias, const ConvShape *s,
                    real *workspace) {
    const int out_plane = s->OH * s->OW;
    const int out_width = s->B * out_plane; /* columns of the [OC][B*OH*OW] output matrix */
    const int patch = s->C * s->KH * s->KW; /* rows of col = columns of the weight matrix */
    if (s->OC <= 0 || out_width <= 0) return;
    if (patch <= 0) {
        memset(out, 0, (size_t)s->OC * out_width * sizeof(real));
    } else if (is_pointwise(s)) {
        /* out[OC][B*HW] = weight[OC][C] x in[C][B*HW] */
        gemm(false, false, s->OC, out_width, s->C, 1, weight, s->C, in, out_width, 0, out, out_width);
    } else {
        const int chunk = conv2d_chunk_images(s);
        for (int b0 = 0; b0 < s->B; b0 += chunk) {
            const int nb = s->B - b0 < chunk ? s->B - b0 : chunk;
            const int chunk_width = nb * out_plane;
            im2col(workspace, in, s, b0, nb);
            /* out[OC][b0*OHW ..] (row stride B*OHW) = weight[OC][patch] x col[patch][nb*OHW] */
            gemm(false, false, s->OC, chunk_width, patch, 1, weight, patch, workspace, chunk_width, 0,
                 out + (size_t)b0 * out_plane, out_width);
        }
    }
    if (bias) {
        for (int oc = 0; oc < s->OC; oc++) {
            real *row = out + (size_t)oc * out_width;
            const real b = bias[oc];
            for (int i = 0; i < out_width; i++) row[i] += b;
        }
    }
}

/* dout [OC][B][OH][OW], in [C][B][H][W], weight [OC][C][KH][KW];
 * adds into din [C][B][H][W], dweight [OC][C][KH][KW], dbias [OC] (any may be NULL).
 * The im2col of each chunk is recomputed rather than kept from the forward pass: it costs one pass over
 * the input, against memory for the whole batch's col. The same workspace then holds dcol. */
void conv2d_backward(real *din, real *dweight, real *dbias, const real *dout, const real *in, const real *weight,
                     const ConvShape *s, real *workspace) {
    const int out_plane = s->OH * s->OW;
    const int out_width = s->B * out_plane;
    const int patch = s->C * s->KH * s->KW;
    if (s->OC <= 0 || out_width <= 0) return;
    if (dbias) {
        for (int oc = 0; oc < s->OC; oc++) {
            const real *row = dout + (size_t)oc * out_width;
            double sum = 0;
            for (int i = 0; i < out_width; i++) sum += row[i];
            dbias[oc] += (real)sum;
        }
    }
    if (patch <= 0 || (!din && !dweight)) return;
    if (is_pointwise(s)) {
        /* dweight[OC][C] += dout[OC][B*HW] x in[C][B*HW]^T */
        if (dweight) gemm(false, true, s->OC, s->C, out_width, 1, dout, out_width, in, out_width, 1, dweight, s->C);
        /* din[C][B*HW] += weight[OC][C]^T x dout[OC][B*HW] */
        if (din) gemm(true, false, s->C, out_width, s->OC, 1, weight, s->C, dout, out_width, 1, din, out_width);
        return;
    }
    const int chunk = conv2d_chunk_images(s);
    for (int b0 = 0; b0 < s->B; b0 += chunk) {
        const int nb = s->B - b0 < chunk ? s->B - b0 : chunk;
        const int chunk_width = nb * out_plane;
        const real *dout_chunk = dout + (size_t)b0 * out_plane; /* [OC][nb*OHW], row stride B*OHW */
        if (dweight) {
            im2col(workspace, in, s, b0, nb);
            /* dweight[OC][patch] += dout_chunk[OC][nb*OHW] x col[patch][nb*OHW]^T */
            gemm(false, true, s->OC, patch, chunk_width, 1, dout_chunk, out_width, workspace, chunk_width, 1,
                 dweight, patch);
        }
        if (din) {
            /* dcol[patch][nb*OHW] = weight[OC][patch]^T x dout_chunk[OC][nb*OHW], then scattered into din */
            gemm(true, false, patch, chunk_width, s->OC, 1, weight, patch, dout_chunk, out_width, 0, workspace,
                 chunk_width);
            col2im_add(din, workspace, s, b0, nb);
        }
    }
}
