/* 2-D convolution as im2col + GEMM over a chunk of the mini-batch at a time.
 *
 * Because activations are [C][B][H][W], the output [OC][B][OH][OW] is a matrix [OC][B*OH*OW], and the
 * output columns of images b0..b0+nb-1 are one contiguous column range of it. So a whole chunk of images is
 * ONE gemm:
 *     out[OC][b0*OHW .. (b0+nb)*OHW)  =  weight[OC][C*KH*KW]  x  col[C*KH*KW][nb*OHW]
 * with ldc = B*OHW, where col is the im2col of those nb images.
 *
 * Two ways to cut the batch into chunks, chosen from the shape alone:
 *  - small filters (OC x C*KH*KW up to CONV_SMALL_WEIGHT reals, e.g. every layer of the CIFAR ResNets): the
 *    GEMM has few rows, so it streams col once per multiply-add row group and is bound by memory when col
 *    is large. Chunks are sized so that col stays in a core's L2 cache (CONV_CACHE_COL), and the threads
 *    take whole chunks (OpenMP), each calling a single-threaded GEMM on its own slot of the workspace. The
 *    weight gradient of each of CONV_WEIGHT_GROUPS fixed groups of chunks goes to its own buffer, and the
 *    groups are then added in order: the result does not depend on the number of threads.
 *  - large filters (VGG's 256- and 512-channel layers): chunks up to CONV_COL_BUDGET, one GEMM each, cut
 *    into a fixed grid of tiles of its output that the threads share (gemm_tiled); the GEMMs are large enough
 *    to run near peak. Each output element is one tile's sum over the chunk, the chunks in order.
 * 1x1 stride-1 convolutions need no im2col: one tiled GEMM over the whole batch.
 * On AVX-512 CPUs most small-filter work skips both and runs on conv2d_panels.c's packed micro-kernel
 * (forward and weight gradient of stride-1 'same' and stride-2 shapes, input gradient of the former), and so
 * does the forward pass of the large-filter layers. */
#include <math.h>
#include <string.h>

#include <omp.h>

#include "conv2d_panels.h"
#include "ops.h"
#include "layer.h"

/* Upper bound on the reals of one im2col chunk on the large-filter path (16 MiB in float). */
#define CONV_COL_BUDGET ((size_t)1 << 22)
/* Filters up to this many reals take the parallel-chunk path. */
#define CONV_SMALL_WEIGHT ((size_t)1 << 16)
/* im2col reals per chunk on the parallel-chunk path: 768 KiB in float, within a core's L2. */
#define CONV_CACHE_COL ((size_t)3 << 16)
/* Chunk groups whose weight gradients are summed separately on the parallel-chunk path. */
#define CONV_WEIGHT_GROUPS 8

void conv_shape_init_rect(ConvShape *s, int B, int C, int H, int W, int OC, int KH, int KW, int stride, int pad_h,
                          int pad_w) {
    s->B = B;
    s->C = C;
    s->H = H;
    s->W = W;
    s->OC = OC;
    s->KH = KH;
    s->KW = KW;
    s->stride = stride;
    s->pad_h = pad_h;
    s->pad_w = pad_w;
    s->OH = (H + 2 * pad_h - KH) / stride + 1;
    s->OW = (W + 2 * pad_w - KW) / stride + 1;
    s->slots = 1;
}

void conv_shape_init(ConvShape *s, int B, int C, int H, int W, int OC, int KH, int KW, int stride, int pad) {
    conv_shape_init_rect(s, B, C, H, W, OC, KH, KW, stride, pad, pad);
}

/* A 1x1 kernel with stride 1 and no padding reads the input exactly as the GEMM wants it: [C][B*H*W]. */
static bool is_pointwise(const ConvShape *s) {
    return s->KH == 1 && s->KW == 1 && s->stride == 1 && s->pad_h == 0 && s->pad_w == 0;
}

/* reals of im2col for one image: [C*KH*KW][OH*OW] */
static size_t col_reals_per_image(const ConvShape *s) {
    return (size_t)s->C * s->KH * s->KW * s->OH * s->OW;
}

static size_t weight_reals(const ConvShape *s) { return (size_t)s->OC * s->C * s->KH * s->KW; }

bool conv2d_parallel_chunks(const ConvShape *s) {
    return !is_pointwise(s) && s->B > 1 && weight_reals(s) <= CONV_SMALL_WEIGHT;
}

/* With stride 1 the input gradient can be computed as a convolution of dout with flipped filters
 * (backward_parallel_chunks, conv_panels_convolve). Only for 'same' padding (output as large as the input):
 * there both ways cost the same multiply-adds, while for a 'valid' convolution the transposed one would
 * multiply mostly padding. */
static bool input_grad_as_convolution(const ConvShape *s) {
    return s->stride == 1 && 2 * s->pad_h == s->KH - 1 && 2 * s->pad_w == s->KW - 1;
}

/* reals one image needs in a workspace slot: its im2col, or on the parallel-chunk path with 'same' stride-1
 * padding the im2col of dout for the input gradient (OC*KH*KW x H*W), whichever is larger */
static size_t slot_reals_per_image(const ConvShape *s) {
    size_t per_image = col_reals_per_image(s);
    size_t grad_per_image = (size_t)s->OC * s->KH * s->KW * s->H * s->W;
    if (conv2d_parallel_chunks(s) && input_grad_as_convolution(s) && grad_per_image > per_image)
        per_image = grad_per_image;
    return per_image;
}

int conv2d_chunk_images(const ConvShape *s) {
    if (is_pointwise(s) || s->B <= 1) return s->B;
    size_t per_image = slot_reals_per_image(s);
    size_t budget = conv2d_parallel_chunks(s) ? CONV_CACHE_COL : CONV_COL_BUDGET;
    size_t images = per_image == 0 ? (size_t)s->B : budget / per_image;
    if (images < 1) images = 1;
    if (images > (size_t)s->B) images = (size_t)s->B;
    return (int)images;
}

static int slot_count(const ConvShape *s) { return s->slots > 1 ? s->slots : 1; }

/* Layout of the workspace on the parallel-chunk path: slot_count im2col chunks, then the weight-gradient
 * buffers of the chunk groups. */
static size_t chunk_col_reals(const ConvShape *s) { return (size_t)conv2d_chunk_images(s) * slot_reals_per_image(s); }

static ConvShape input_grad_shape(const ConvShape *s);

/* The panel path (conv2d_panels.c) takes what it can where the CPU has AVX-512: the forward pass of any
 * shape it applies to, and for small filters the weight gradient (OC a multiple of 16) and the input gradient
 * where it is a stride-1 'same' convolution of dout. For VGG's large filters the forward pass on panels
 * measured 4.5 % faster per vgg11 step than OpenBLAS (median of 8 alternating rounds); their input gradient
 * on panels was no faster (0.995) and their weight gradient on panels needs per-group sums of the whole
 * filter bank (75 MiB for 512x512x3x3), so both stay with OpenBLAS. */
static bool forward_on_panels(const ConvShape *s) { return !is_pointwise(s) && conv_panels_apply(s); }
static bool weight_grad_on_panels(const ConvShape *s) {
    return conv2d_parallel_chunks(s) && conv_panels_weight_grad_apply(s);
}
static bool input_grad_on_panels(const ConvShape *s) {
    if (!conv2d_parallel_chunks(s) || !input_grad_as_convolution(s)) return false;
    const ConvShape t = input_grad_shape(s);
    return conv_panels_apply(&t);
}

size_t conv2d_workspace_size(const ConvShape *s) {
    if (is_pointwise(s)) return 0;
    /* the chunked GEMM path: one chunk's im2col (large filters), or a slot per thread + the weight-gradient
     * buffers of the chunk groups and the flipped weights (small filters) */
    size_t reals = !conv2d_parallel_chunks(s) ? chunk_col_reals(s)
                                              : (size_t)slot_count(s) * chunk_col_reals(s) +
                                                    (CONV_WEIGHT_GROUPS + 1) * weight_reals(s);
    /* the panel passes never run while the chunked one does, so they share its memory (the input-gradient
     * pass keeps the flipped filters after its own workspace) */
    if (forward_on_panels(s)) {
        const size_t panel_reals = conv_panels_workspace(s, s->OC);
        if (panel_reals > reals) reals = panel_reals;
    }
    if (weight_grad_on_panels(s)) {
        const size_t panel_reals = conv_panels_weight_grad_workspace(s);
        if (panel_reals > reals) reals = panel_reals;
    }
    if (input_grad_on_panels(s)) {
        const ConvShape t = input_grad_shape(s);
        const size_t panel_reals = conv_panels_workspace(&t, s->C) + weight_reals(s);
        if (panel_reals > reals) reals = panel_reals;
    }
    return reals;
}

/* For kernel column kw, the output columns ow whose input column ow*stride - pad_w + kw lies inside
 * [0, W) form one range [*lo, *hi); the columns outside it read padding. Computing the range once per
 * kernel column keeps bounds tests out of the inner copy loops. */
static void valid_output_columns(const ConvShape *s, int kw, int *lo, int *hi) {
    int first = 0;
    int shift = s->pad_w - kw; /* ow*stride >= shift */
    if (shift > 0) first = (shift + s->stride - 1) / s->stride;
    int last_plus_one = 0;
    int limit = s->W - 1 + s->pad_w - kw; /* ow*stride <= limit */
    if (limit >= 0) last_plus_one = limit / s->stride + 1;
    if (last_plus_one > s->OW) last_plus_one = s->OW;
    if (first > s->OW) first = s->OW;
    if (last_plus_one < first) last_plus_one = first;
    *lo = first;
    *hi = last_plus_one;
}

/* One row (c, kh, kw) of im2col when stride is 1 and OW == W (e.g. 3x3 with padding 1, or 7x1 with padding
 * (3, 0)): output (oh, ow) reads input (oh + kh - pad_h, ow + kw - pad_w), a constant shift of the flattened
 * plane (OH may differ from H: a KxK with padding (0, (K-1)/2)). So the rows of an image that lie inside the
 * input are ONE copy, after which the columns that read padding (they picked up the neighbouring row's edge)
 * are zeroed, and the rows that read padding are zeroed whole. */
static void im2col_row_shifted(real *col_row, const real *in, const ConvShape *s, int c, int kh, int kw, int lo,
                               int hi, int b0, int nb) {
    const size_t plane = (size_t)s->H * s->W, out_plane = (size_t)s->OH * s->OW;
    const int W = s->W;
    int oh_first = s->pad_h - kh, oh_end = s->H + s->pad_h - kh; /* rows with 0 <= oh + kh - pad_h < H */
    if (oh_first < 0) oh_first = 0;
    if (oh_end > s->OH) oh_end = s->OH;
    for (int j = 0; j < nb; j++) {
        const real *image = in + ((size_t)c * s->B + (size_t)(b0 + j)) * plane;
        real *dst = col_row + (size_t)j * out_plane;
        if (oh_end <= oh_first || hi <= lo) {
            memset(dst, 0, out_plane * sizeof(real));
            continue;
        }
        memset(dst, 0, (size_t)oh_first * W * sizeof(real));
        /* from (oh_first, lo) to (oh_end - 1, hi - 1) inclusive: both ends read real input elements */
        const size_t d0 = (size_t)oh_first * W + lo, d1 = (size_t)(oh_end - 1) * W + hi;
        const real *src = image + (ptrdiff_t)(oh_first + kh - s->pad_h) * W + (lo + kw - s->pad_w);
        memcpy(dst + d0, src, (d1 - d0) * sizeof(real));
        for (int oh = oh_first; oh < oh_end; oh++) {
            real *row = dst + (size_t)oh * W;
            for (int ow = 0; ow < lo; ow++) row[ow] = 0;
            for (int ow = hi; ow < W; ow++) row[ow] = 0;
        }
        memset(dst + (size_t)oh_end * W, 0, (size_t)(s->OH - oh_end) * W * sizeof(real));
    }
}

/* in [C][B][H][W] -> col [C*KH*KW][nb*OH*OW] for images b0..b0+nb-1 (zeros where the kernel reads padding).
 * Row (c, kh, kw) of col is written in memory order, so both the reads (one input row at a time) and the
 * writes stream. */
static void im2col(real *col, const real *in, const ConvShape *s, int b0, int nb) {
    const size_t plane = (size_t)s->H * s->W;
    const size_t out_plane = (size_t)s->OH * s->OW;
    const size_t col_width = (size_t)nb * out_plane;
    const int stride = s->stride;
    /* channels in parallel when called outside a parallel region (the large-filter path, whose GEMMs are
     * tiled over the threads); each channel writes its own rows of col */
#pragma omp parallel for schedule(dynamic, 1) if (!omp_in_parallel() && col_width * s->C >= OPS_PARALLEL_MIN)
    for (int c = 0; c < s->C; c++) {
        for (int kh = 0; kh < s->KH; kh++) {
            for (int kw = 0; kw < s->KW; kw++) {
                real *col_row = col + ((size_t)(c * s->KH + kh) * s->KW + kw) * col_width;
                int lo, hi;
                valid_output_columns(s, kw, &lo, &hi);
                const int input_column_offset = kw - s->pad_w; /* input column = ow*stride + offset */
                if (stride == 1 && s->OW == s->W) {
                    im2col_row_shifted(col_row, in, s, c, kh, kw, lo, hi, b0, nb);
                    continue;
                }
                for (int j = 0; j < nb; j++) {
                    const real *image = in + ((size_t)c * s->B + (size_t)(b0 + j)) * plane;
                    for (int oh = 0; oh < s->OH; oh++) {
                        real *dst = col_row + (size_t)j * out_plane + (size_t)oh * s->OW;
                        int ih = oh * stride - s->pad_h + kh;
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
    /* channels in parallel outside a parallel region: channel c adds only into its own planes of din */
#pragma omp parallel for schedule(dynamic, 1) if (!omp_in_parallel() && col_width * s->C >= OPS_PARALLEL_MIN)
    for (int c = 0; c < s->C; c++) {
        for (int kh = 0; kh < s->KH; kh++) {
            for (int kw = 0; kw < s->KW; kw++) {
                const real *col_row = col + ((size_t)(c * s->KH + kh) * s->KW + kw) * col_width;
                int lo, hi;
                valid_output_columns(s, kw, &lo, &hi);
                const int input_column_offset = kw - s->pad_w;
                for (int j = 0; j < nb; j++) {
                    real *image = din + ((size_t)c * s->B + (size_t)(b0 + j)) * plane;
                    for (int oh = 0; oh < s->OH; oh++) {
                        int ih = oh * stride - s->pad_h + kh;
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

static int threads_for(const ConvShape *s, int chunks) {
    int threads = omp_get_max_threads();
    if (threads > slot_count(s)) threads = slot_count(s);
    if (threads > chunks) threads = chunks;
    return threads < 1 ? 1 : threads;
}

/* The parallel-chunk forward: each thread takes whole chunks, im2col into its slot, one GEMM per chunk. */
static void forward_parallel_chunks(real *out, const real *in, const real *weight, const ConvShape *s,
                                    real *workspace) {
    const int out_plane = s->OH * s->OW, out_width = s->B * out_plane, patch = s->C * s->KH * s->KW;
    const int chunk = conv2d_chunk_images(s), chunks = (s->B + chunk - 1) / chunk;
    const size_t slot_reals = chunk_col_reals(s);
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_for(s, chunks))
    for (int k = 0; k < chunks; k++) {
        real *col = workspace + (size_t)omp_get_thread_num() * slot_reals;
        const int b0 = k * chunk, nb = s->B - b0 < chunk ? s->B - b0 : chunk;
        im2col(col, in, s, b0, nb);
        gemm(false, false, s->OC, nb * out_plane, patch, 1, weight, patch, col, nb * out_plane, 0,
             out + (size_t)b0 * out_plane, out_width);
    }
}

/* With stride 1 the input gradient is itself a convolution: of dout (OC channels, padded by KH-1-pad_h rows
 * and KW-1-pad_w columns) with
 * the weights transposed to [C][OC] and flipped in both kernel axes. Written that way it is an im2col of
 * dout and a GEMM with OC*KH*KW terms per output (instead of a GEMM with only OC terms into a col buffer
 * that is then scattered back), and the GEMM adds straight into din. */

static ConvShape input_grad_shape(const ConvShape *s) {
    ConvShape t;
    conv_shape_init_rect(&t, s->B, s->OC, s->OH, s->OW, s->C, s->KH, s->KW, 1, s->KH - 1 - s->pad_h,
                         s->KW - 1 - s->pad_w);
    t.slots = s->slots;
    return t;
}

/* weight [OC][C][KH][KW] -> flipped [C][OC][KH][KW] with flipped[c][oc][kh][kw] = weight[oc][c][KH-1-kh][KW-1-kw] */
static void flip_weight(real *flipped, const real *weight, const ConvShape *s) {
    const int kk = s->KH * s->KW;
    for (int oc = 0; oc < s->OC; oc++)
        for (int c = 0; c < s->C; c++) {
            const real *src = weight + ((size_t)oc * s->C + c) * kk;
            real *dst = flipped + ((size_t)c * s->OC + oc) * kk;
            for (int k = 0; k < kk; k++) dst[k] = src[kk - 1 - k];
        }
}

/* The parallel-chunk backward. Chunk group g (a fixed range of chunks, whatever the thread count) sums its
 * weight gradient into its own buffer; din is written image by image, so threads never share an output. */
static void backward_parallel_chunks(real *din, real *dweight, const real *dout, const real *in, const real *weight,
                                     const ConvShape *s, real *workspace) {
    const int out_plane = s->OH * s->OW, out_width = s->B * out_plane, patch = s->C * s->KH * s->KW;
    const int chunk = conv2d_chunk_images(s), chunks = (s->B + chunk - 1) / chunk;
    const int groups = chunks < CONV_WEIGHT_GROUPS ? chunks : CONV_WEIGHT_GROUPS;
    const size_t slot_reals = chunk_col_reals(s), wn = weight_reals(s);
    real *group_dweight = workspace + (size_t)slot_count(s) * slot_reals; /* [groups][patch][OC] */
    const bool as_convolution = din && input_grad_as_convolution(s);
    const ConvShape t = input_grad_shape(s);
    real *flipped = group_dweight + (size_t)CONV_WEIGHT_GROUPS * wn; /* [C][OC*KH*KW] */
    if (as_convolution) flip_weight(flipped, weight, s);
    const int in_plane = s->H * s->W, in_width = s->B * in_plane, out_patch = s->OC * s->KH * s->KW;
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads_for(s, groups))
    for (int g = 0; g < groups; g++) {
        real *col = workspace + (size_t)omp_get_thread_num() * slot_reals;
        real *dw = group_dweight + (size_t)g * wn;
        const int first = (int)((long)g * chunks / groups), last = (int)((long)(g + 1) * chunks / groups);
        for (int k = first; k < last; k++) {
            const int b0 = k * chunk, nb = s->B - b0 < chunk ? s->B - b0 : chunk, width = nb * out_plane;
            const real *dout_chunk = dout + (size_t)b0 * out_plane;
            if (dweight) {
                im2col(col, in, s, b0, nb);
                /* the transpose, dw[patch][OC] (+)= col[patch][nb*OHW] x dout_chunk[OC][nb*OHW]^T: with few
                 * filters, OpenBLAS runs this shape faster than dw[OC][patch], measured on these shapes */
                gemm(false, true, patch, s->OC, width, 1, col, width, dout_chunk, out_width, k == first ? 0 : 1, dw,
                     s->OC);
            }
            if (as_convolution) {
                /* din[C][b0*HW ..] (row stride B*HW) += flipped[C][OC*KH*KW] x im2col(dout)[OC*KH*KW][nb*HW] */
                im2col(col, dout, &t, b0, nb);
                gemm(false, false, s->C, nb * in_plane, out_patch, 1, flipped, out_patch, col, nb * in_plane, 1,
                     din + (size_t)b0 * in_plane, in_width);
            } else if (din) {
                gemm(true, false, patch, width, s->OC, 1, weight, patch, dout_chunk, out_width, 0, col, width);
                col2im_add(din, col, s, b0, nb);
            }
        }
    }
    if (!dweight) return;
    const int threads = threads_for(s, groups);
    /* dweight[oc][p] += sum over groups, in order, of dw_g[p][oc] */
#pragma omp parallel for schedule(dynamic, 1) num_threads(threads) if (wn >= 8192)
    for (int oc = 0; oc < s->OC; oc++)
        for (int p = 0; p < patch; p++) {
            real sum = 0;
            for (int g = 0; g < groups; g++) sum += group_dweight[(size_t)g * wn + (size_t)p * s->OC + oc];
            dweight[(size_t)oc * patch + p] += sum;
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
        gemm_tiled(false, false, s->OC, out_width, s->C, 1, weight, s->C, in, out_width, 0, out, out_width);
    } else if (forward_on_panels(s)) {
        conv_panels_convolve(out, in, weight, s->OC, s, false, workspace);
    } else if (conv2d_parallel_chunks(s)) {
        forward_parallel_chunks(out, in, weight, s, workspace);
    } else {
        const int chunk = conv2d_chunk_images(s);
        for (int b0 = 0; b0 < s->B; b0 += chunk) {
            const int nb = s->B - b0 < chunk ? s->B - b0 : chunk;
            const int chunk_width = nb * out_plane;
            im2col(workspace, in, s, b0, nb);
            /* out[OC][b0*OHW ..] (row stride B*OHW) = weight[OC][patch] x col[patch][nb*OHW] */
            gemm_tiled(false, false, s->OC, chunk_width, patch, 1, weight, patch, workspace, chunk_width, 0,
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

/* din += the convolution of dout (geometry input_grad_shape) with the flipped filters [C][OC][KH][KW] */
static void panel_input_grad(real *din, const real *dout, const real *weight, const ConvShape *s, real *workspace) {
    const ConvShape t = input_grad_shape(s);
    real *flipped = workspace + conv_panels_workspace(&t, s->C);
    flip_weight(flipped, weight, s);
    conv_panels_convolve(din, dout, flipped, s->C, &t, true, workspace);
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
        if (dweight)
            gemm_tiled(false, true, s->OC, s->C, out_width, 1, dout, out_width, in, out_width, 1, dweight, s->C);
        /* din[C][B*HW] += weight[OC][C]^T x dout[OC][B*HW] */
        if (din) gemm_tiled(true, false, s->C, out_width, s->OC, 1, weight, s->C, dout, out_width, 1, din, out_width);
        return;
    }
    if (conv2d_parallel_chunks(s)) {
        /* what the panel path takes, then the rest on the chunked GEMM path: one pass after the other, each
         * using the whole workspace */
        const bool weight_on_panels = dweight && weight_grad_on_panels(s);
        const bool input_on_panels = din && input_grad_on_panels(s);
        if (weight_on_panels) conv_panels_weight_grad(dweight, dout, in, s, workspace);
        if (input_on_panels) panel_input_grad(din, dout, weight, s, workspace);
        real *chunk_din = input_on_panels ? NULL : din, *chunk_dweight = weight_on_panels ? NULL : dweight;
        if (chunk_din || chunk_dweight)
            backward_parallel_chunks(chunk_din, chunk_dweight, dout, in, weight, s, workspace);
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
            gemm_tiled(false, true, s->OC, patch, chunk_width, 1, dout_chunk, out_width, workspace, chunk_width, 1,
                       dweight, patch);
        }
        if (din) {
            /* dcol[patch][nb*OHW] = weight[OC][patch]^T x dout_chunk[OC][nb*OHW], then scattered into din */
            gemm_tiled(true, false, patch, chunk_width, s->OC, 1, weight, patch, dout_chunk, out_width, 0, workspace,
                       chunk_width);
            col2im_add(din, workspace, s, b0, nb);
        }
    }
}

/* ---- as a layer: in [C][B][H][W] -> out [OC][B][OH][OW]; weight [OC][C][KH][KW], bias [OC] or none ---- */

static ConvShape layer_conv_shape(const Model *m, const Layer *l, int B) {
    const TensorSlot *in = layer_in_slot(m, l), *out = layer_out_slot(m, l);
    ConvShape s;
    conv_shape_init_rect(&s, B, in->C, in->H, in->W, out->C, l->kernel_h, l->kernel_w, l->stride, l->pad_h, l->pad_w);
    s.slots = m->thread_slots;
    return s;
}

static void conv_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const ConvShape s = layer_conv_shape(m, l, B);
    conv2d_forward(slot_values(m, l->out), slot_values(m, l->in), layer_param(m, l->weight), layer_param(m, l->bias),
                   &s, m->workspace);
}

/* the training forward is a pure function of the input and the weights: running it again is its replay */
static void conv_layer_replay(Model *m, const Layer *l, int B) { conv_layer_forward(m, l, B, true); }

/* A replay costs the layer's forward multiply-adds again, a third of its training time. Only pointwise (1x1)
 * convolutions at stride 1 pay for it: in a bottleneck they are the cheap products (C x OC per pixel, a ninth of
 * a 3x3's at the same widths) around the wide tensors. A strided one (a projection shortcut) writes a
 * downsampled tensor, a small saving, on the slower gathering path (measured: resnet20's two cost 3 %). */
static Recompute conv_layer_replay_level(const Model *m, const Layer *l) {
    (void)m;
    return l->kernel_h == 1 && l->kernel_w == 1 && l->stride == 1 ? RECOMPUTE_POINTWISE : RECOMPUTE_NEVER;
}

static void conv_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    const ConvShape s = layer_conv_shape(m, l, B);
    conv2d_backward(slot_grad(m, l->in), layer_param_grad(m, l->weight), layer_param_grad(m, l->bias),
                    slot_grad(m, l->out), slot_values(m, l->in), layer_param(m, l->weight), &s, m->workspace);
}

static size_t conv_layer_workspace(const Model *m, const Layer *l, int batch) {
    const ConvShape s = layer_conv_shape(m, l, batch);
    return conv2d_workspace_size(&s);
}

/* output elements x (C x KH x KW) multiply-adds */
static double conv_layer_flops(const Model *m, const Layer *l, int B) {
    const TensorSlot *out = layer_out_slot(m, l);
    return 2.0 * (double)l->weight_count * out->H * out->W * B;
}

/* By the layer's ParamInit; builder_conv's default is He et al. 2015's fan_out mode (as torchvision's ResNets),
 * std = sqrt(2 / (OC * KH * KW)), with a bias as PyTorch's. */
static void conv_layer_init(Model *m, const Layer *l, Rng *rng) {
    const TensorSlot *in = layer_in_slot(m, l), *out = layer_out_slot(m, l);
    init_affine(m, l, l->weight_count / out->C, l->weight_count / in->C, rng);
}

static int conv_case_0(ModelBuilder *mb, int x) {
    return builder_conv(mb, x, 4, 3, 2, 1, true);
}

static int conv_case_1(ModelBuilder *mb, int x) {
    return builder_conv(mb, x, 3, 5, 1, 0, false);
}

static int conv_case_2(ModelBuilder *mb, int x) {
    return builder_conv(mb, x, 5, 1, 1, 0, true);
}

static int conv_case_3(ModelBuilder *mb, int x) {
    return builder_conv(mb, x, 4, 1, 2, 0, false);
}

/* rectangular kernels (Inception-v3's): 1x7 padding (0, 3) and 7x1 (3, 0), 1x3 (0, 1) and 3x1 (1, 0), all
 * 'same' at stride 1 (their input gradient as a convolution of dout); a 3x1 at stride 2; and 'valid' rows
 * with 'same' columns (3x3 padding (0, 1): OW == W but OH < H) */
static int conv_case_1x7(ModelBuilder *mb, int x) { return builder_conv_rect(mb, x, 3, 1, 7, 1, 0, 3, true); }
static int conv_case_7x1(ModelBuilder *mb, int x) { return builder_conv_rect(mb, x, 3, 7, 1, 1, 3, 0, false); }
static int conv_case_1x3(ModelBuilder *mb, int x) { return builder_conv_rect(mb, x, 4, 1, 3, 1, 0, 1, true); }
static int conv_case_3x1(ModelBuilder *mb, int x) { return builder_conv_rect(mb, x, 4, 3, 1, 1, 1, 0, false); }
static int conv_case_3x1_stride_2(ModelBuilder *mb, int x) { return builder_conv_rect(mb, x, 3, 3, 1, 2, 1, 0, true); }
static int conv_case_rows_valid(ModelBuilder *mb, int x) { return builder_conv_rect(mb, x, 3, 3, 3, 1, 0, 1, true); }

static const OpCheckCase CONV_CASES[] = {
    {"conv 3x3 stride 2, bias", 3, 7, 7, conv_case_0},
    {"conv 5x5 valid", 2, 8, 8, conv_case_1},
    {"conv 1x1 pointwise", 3, 4, 4, conv_case_2},
    {"conv 1x1 stride 2", 3, 6, 6, conv_case_3},
    {"conv 1x7 pad (0, 3), bias", 2, 5, 8, conv_case_1x7},
    {"conv 7x1 pad (3, 0)", 2, 8, 5, conv_case_7x1},
    {"conv 1x3 pad (0, 1), bias", 2, 4, 5, conv_case_1x3},
    {"conv 3x1 pad (1, 0)", 2, 5, 4, conv_case_3x1},
    {"conv 3x1 stride 2 pad (1, 0), bias", 2, 7, 6, conv_case_3x1_stride_2},
    {"conv 3x3 pad (0, 1), bias", 2, 6, 5, conv_case_rows_valid},
};

const OpDescriptor OP_CONV = {.name = "conv", .forward = conv_layer_forward, .backward = conv_layer_backward,
                              .replay = conv_layer_replay, .replay_level = conv_layer_replay_level,
                              .backward_skips_output = true,
                              .workspace_reals = conv_layer_workspace, .forward_flops = conv_layer_flops,
                              .init = conv_layer_init,
                              OP_CHECK_CASES(CONV_CASES)};
