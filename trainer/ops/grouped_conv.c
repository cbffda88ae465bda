/* Grouped 2-D convolution (nn.Conv2d with groups G > 1): ResNeXt's cardinality, ShuffleNet's and MobileNet's
 * depthwise layers.
 *
 * in [C][B][H][W], weight [OC][C/G][KH][KW], bias [OC] (may be NULL) -> out [OC][B][OH][OW]; output channels
 * o*OC/G .. (o+1)*OC/G - 1 read input channels of group o only.
 *
 * Because activations are channel-major over the batch, group g's input channels are one contiguous
 * [C/G][B][H][W] block of the input, its output channels one [OC/G][B][OH][OW] block of the output and its
 * filters one [OC/G][C/G][KH][KW] block of the weight: each group is an ordinary convolution over the whole
 * mini-batch, run by conv2d.c (its batched GEMMs and panels), one group after the other.
 *
 * Depthwise layers (G = C = OC: one input channel per filter) would make those tiny GEMMs (1 x KH*KW by
 * B*OH*OW), bound by writing and reading the im2col. They run a direct kernel instead: each (channel, image)
 * plane is convolved with its KHxKW filter by rows, the inner loop over the output columns of a row (a
 * contiguous, vectorised multiply-add at stride 1). Threads take whole planes (forward) or whole channels
 * (backward: input gradient, and weight and bias gradients summed over the images in order), so every value is
 * computed by one thread in a fixed order and results do not depend on the thread count. On AVX-512 CPUs the
 * stride-1 'same' layers whose planes are whole 16-pixel vectors run depthwise_planes.c instead. */
#include <omp.h>
#include <string.h>

#include "depthwise_planes.h"
#include "ops.h"
#include "layer.h"

/* For kernel column kw, the output columns ow whose input column ow*stride - pad_w + kw lies in [0, W): one
 * range [*lo, *hi) (the columns outside it read padding), so the inner loops carry no bounds tests. */
static void depthwise_columns(const ConvShape *s, int kw, int *lo, int *hi) {
    const int shift = s->pad_w - kw, limit = s->W - 1 + s->pad_w - kw; /* shift <= ow*stride <= limit */
    int first = shift > 0 ? (shift + s->stride - 1) / s->stride : 0;
    int end = limit >= 0 ? limit / s->stride + 1 : 0;
    if (end > s->OW) end = s->OW;
    if (first > end) first = end;
    *lo = first;
    *hi = end;
}

/* One plane: y [OH][OW] = bias + x [H][W] (*) w [KH][KW], the taps summed in (kh, kw) order. */
OPS_VECTOR_CLONES
static void depthwise_plane_forward(real *y, const real *x, const real *w, real bias, const ConvShape *s) {
    const int stride = s->stride;
    for (int oh = 0; oh < s->OH; oh++) {
        real *yrow = y + (size_t)oh * s->OW;
        for (int ow = 0; ow < s->OW; ow++) yrow[ow] = bias;
        for (int kh = 0; kh < s->KH; kh++) {
            const int ih = oh * stride - s->pad_h + kh;
            if (ih < 0 || ih >= s->H) continue;
            const real *xrow = x + (size_t)ih * s->W;
            for (int kw = 0; kw < s->KW; kw++) {
                int lo, hi;
                depthwise_columns(s, kw, &lo, &hi);
                const real wv = w[kh * s->KW + kw];
                const int shift = kw - s->pad_w; /* input column ow*stride + shift, >= 0 from lo on */
                if (stride == 1) {
#pragma omp simd
                    for (int ow = lo; ow < hi; ow++) yrow[ow] += wv * xrow[ow + shift];
                } else {
#pragma omp simd
                    for (int ow = lo; ow < hi; ow++) yrow[ow] += wv * xrow[ow * stride + shift];
                }
            }
        }
    }
}

/* One plane's backward: dx [H][W] (may be NULL) += the adjoint of the forward for dy [OH][OW], and dw [KH][KW]
 * (may be NULL) += the sum over output pixels of dy times the input under each tap, in one pass over the
 * output rows (each tap's sum over a row vectorised, the rows added in order). */
OPS_VECTOR_CLONES
static void depthwise_plane_backward(real *dx, real *dw, const real *dy, const real *x, const real *w,
                                     const ConvShape *s) {
    const int stride = s->stride;
    for (int oh = 0; oh < s->OH; oh++) {
        const real *dyrow = dy + (size_t)oh * s->OW;
        for (int kh = 0; kh < s->KH; kh++) {
            const int ih = oh * stride - s->pad_h + kh;
            if (ih < 0 || ih >= s->H) continue;
            for (int kw = 0; kw < s->KW; kw++) {
                int lo, hi;
                depthwise_columns(s, kw, &lo, &hi);
                const int shift = kw - s->pad_w; /* input column ow*stride + shift, >= 0 from lo on */
                if (dx) {
                    const real wv = w[kh * s->KW + kw];
                    real *dxrow = dx + (size_t)ih * s->W;
                    if (stride == 1) {
#pragma omp simd
                        for (int ow = lo; ow < hi; ow++) dxrow[ow + shift] += wv * dyrow[ow];
                    } else {
                        for (int ow = lo; ow < hi; ow++) dxrow[ow * stride + shift] += wv * dyrow[ow];
                    }
                }
                if (dw) {
                    const real *xrow = x + (size_t)ih * s->W;
                    real sum = 0;
                    if (stride == 1) {
#pragma omp simd reduction(+ : sum)
                        for (int ow = lo; ow < hi; ow++) sum += dyrow[ow] * xrow[ow + shift];
                    } else {
#pragma omp simd reduction(+ : sum)
                        for (int ow = lo; ow < hi; ow++) sum += dyrow[ow] * xrow[ow * stride + shift];
                    }
                    dw[kh * s->KW + kw] += sum;
                }
            }
        }
    }
}

/* s: C = OC channels. in [C][B][H][W], weight [C][1][KH][KW], bias [C] or NULL -> out [C][B][OH][OW] */
void depthwise_conv_forward(real *out, const real *in, const real *weight, const real *bias, const ConvShape *s) {
    if (depthwise_planes_apply(s)) {
        depthwise_planes_forward(out, in, weight, bias, s);
        return;
    }
    const size_t plane = (size_t)s->H * s->W, out_plane = (size_t)s->OH * s->OW, taps = (size_t)s->KH * s->KW;
    const int planes = s->C * s->B;
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)planes * out_plane * taps >= OPS_PARALLEL_MIN)
    for (int p = 0; p < planes; p++) {
        const int c = p / s->B;
        depthwise_plane_forward(out + (size_t)p * out_plane, in + (size_t)p * plane, weight + (size_t)c * taps,
                                bias ? bias[c] : 0, s);
    }
}

/* dout [C][B][OH][OW]; adds into din [C][B][H][W], dweight [C][1][KH][KW], dbias [C] (any may be NULL). Threads
 * take whole channels: a channel's planes of din and its filter's gradient, summed over the images in order. */
void depthwise_conv_backward(real *din, real *dweight, real *dbias, const real *dout, const real *in,
                             const real *weight, const ConvShape *s) {
    const size_t plane = (size_t)s->H * s->W, out_plane = (size_t)s->OH * s->OW, taps = (size_t)s->KH * s->KW;
    const bool on_planes = depthwise_planes_apply(s);
    if (on_planes && (din || dweight)) depthwise_planes_backward(din, dweight, dout, in, weight, s);
    if (on_planes && !dbias) return;
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)s->C * s->B * out_plane * taps >= OPS_PARALLEL_MIN)
    for (int c = 0; c < s->C; c++) {
        double bias_sum = 0;
        for (int b = 0; b < s->B; b++) {
            const size_t p = (size_t)c * s->B + b;
            const real *dy = dout + p * out_plane;
            if (!on_planes && (din || dweight))
                depthwise_plane_backward(din ? din + p * plane : NULL, dweight ? dweight + (size_t)c * taps : NULL,
                                         dy, in + p * plane, weight + (size_t)c * taps, s);
            if (dbias)
                for (size_t i = 0; i < out_plane; i++) bias_sum += dy[i];
        }
        if (dbias) dbias[c] += (real)bias_sum;
    }
}

/* ---- as a layer: in [C][B][H][W] -> out [OC][B][OH][OW], weight [OC][C/G][KH][KW], bias [OC] or none ---- */

static bool layer_is_depthwise(const Model *m, const Layer *l) {
    const int C = layer_in_slot(m, l)->C;
    return l->groups == C && layer_out_slot(m, l)->C == C;
}

/* the convolution of one group (the whole layer's for a depthwise one) */
static ConvShape group_shape(const Model *m, const Layer *l, int B) {
    const TensorSlot *in = layer_in_slot(m, l), *out = layer_out_slot(m, l);
    const bool depthwise = layer_is_depthwise(m, l);
    ConvShape s;
    conv_shape_init_rect(&s, B, depthwise ? in->C : in->C / l->groups, in->H, in->W,
                         depthwise ? out->C : out->C / l->groups, l->kernel_h, l->kernel_w, l->stride, l->pad_h,
                         l->pad_w);
    s.slots = m->thread_slots;
    return s;
}

static void grouped_conv_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const ConvShape s = group_shape(m, l, B);
    const real *in = slot_values(m, l->in), *weight = layer_param(m, l->weight), *bias = layer_param(m, l->bias);
    real *out = slot_values(m, l->out);
    if (layer_is_depthwise(m, l)) {
        depthwise_conv_forward(out, in, weight, bias, &s);
        return;
    }
    const size_t in_block = (size_t)s.C * B * s.H * s.W, out_block = (size_t)s.OC * B * s.OH * s.OW;
    const size_t w_block = (size_t)s.OC * s.C * s.KH * s.KW;
    for (int g = 0; g < l->groups; g++)
        conv2d_forward(out + g * out_block, in + g * in_block, weight + g * w_block, bias ? bias + g * s.OC : NULL, &s,
                       m->workspace);
}

static void grouped_conv_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    const ConvShape s = group_shape(m, l, B);
    real *din = slot_grad(m, l->in), *dweight = layer_param_grad(m, l->weight), *dbias = layer_param_grad(m, l->bias);
    const real *dout = slot_grad(m, l->out), *in = slot_values(m, l->in), *weight = layer_param(m, l->weight);
    if (layer_is_depthwise(m, l)) {
        depthwise_conv_backward(din, dweight, dbias, dout, in, weight, &s);
        return;
    }
    const size_t in_block = (size_t)s.C * B * s.H * s.W, out_block = (size_t)s.OC * B * s.OH * s.OW;
    const size_t w_block = (size_t)s.OC * s.C * s.KH * s.KW;
    for (int g = 0; g < l->groups; g++)
        conv2d_backward(din ? din + g * in_block : NULL, dweight ? dweight + g * w_block : NULL,
                        dbias ? dbias + g * s.OC : NULL, dout + g * out_block, in + g * in_block, weight + g * w_block,
                        &s, m->workspace);
}

static size_t grouped_conv_layer_workspace(const Model *m, const Layer *l, int batch) {
    if (layer_is_depthwise(m, l)) return 0;
    const ConvShape s = group_shape(m, l, batch);
    return conv2d_workspace_size(&s);
}

/* output elements x (C/G x KH x KW) multiply-adds */
static double grouped_conv_layer_flops(const Model *m, const Layer *l, int B) {
    const TensorSlot *out = layer_out_slot(m, l);
    return 2.0 * (double)l->weight_count * out->H * out->W * B;
}

/* As nn.init's fans of the weight [OC][C/G][KH][KW] (fan_in C/G*KH*KW, fan_out OC*KH*KW), by l->init; the
 * builder's default is Kaiming normal (fan_out), torchvision's for MobileNet, ShuffleNet and ResNeXt. */
static void grouped_conv_layer_init(Model *m, const Layer *l, Rng *rng) {
    const TensorSlot *out = layer_out_slot(m, l);
    const size_t fan_in = l->weight_count / out->C;
    init_affine(m, l, fan_in, (size_t)out->C * l->kernel_h * l->kernel_w, rng);
}

int builder_grouped_conv(ModelBuilder *mb, int x, int out_channels, int kernel, int stride, int pad, int groups,
                         bool bias) {
    const TensorSlot in = mb->model->slots[x];
    if (groups < 1 || in.C % groups != 0 || out_channels % groups != 0)
        return builder_fail(mb, "grouped convolution: channels not divisible by the groups");
    if (groups == 1) return builder_conv(mb, x, out_channels, kernel, stride, pad, bias);
    /* the plain convolution's checks and shapes, then the layer made grouped */
    const int out = builder_conv(mb, x, out_channels, kernel, stride, pad, bias);
    if (mb->failed) return out;
    Model *m = mb->model;
    Layer *l = &m->layers[m->layer_count - 1];
    const size_t full = l->weight_count;
    l->kind = LAYER_GROUPED_CONV;
    l->groups = groups;
    l->weight_count = full / groups;
    /* the weight tensor was the last or the one before the bias: shrink it and move the bias down */
    m->tensors[m->tensor_count - (bias ? 2 : 1)].count = l->weight_count;
    m->param_count -= full - l->weight_count;
    if (bias) {
        l->bias = l->weight + l->weight_count;
        m->tensors[m->tensor_count - 1].offset = l->bias;
    }
    return out;
}

static int grouped_case_depthwise(ModelBuilder *mb, int x) { return builder_grouped_conv(mb, x, 3, 3, 1, 1, 3, true); }
static int grouped_case_depthwise_s2(ModelBuilder *mb, int x) {
    return builder_grouped_conv(mb, x, 3, 3, 2, 1, 3, false);
}
static int grouped_case_depthwise_5x5(ModelBuilder *mb, int x) {
    return builder_grouped_conv(mb, x, 4, 5, 2, 2, 4, false);
}
static int grouped_case_groups2(ModelBuilder *mb, int x) { return builder_grouped_conv(mb, x, 6, 3, 1, 1, 2, true); }
static int grouped_case_groups2_s2(ModelBuilder *mb, int x) {
    return builder_grouped_conv(mb, x, 4, 3, 2, 1, 2, false);
}
static int grouped_case_multiplier(ModelBuilder *mb, int x) { return builder_grouped_conv(mb, x, 6, 3, 1, 0, 3, true); }

static const OpCheckCase GROUPED_CONV_CASES[] = {
    {"depthwise 3x3 'same', bias", 3, 6, 5, grouped_case_depthwise},
    {"depthwise 3x3 stride 2", 3, 7, 6, grouped_case_depthwise_s2},
    {"depthwise 5x5 stride 2 pad 2", 4, 7, 8, grouped_case_depthwise_5x5},
    {"2 groups 4->6 3x3, bias", 4, 5, 5, grouped_case_groups2},
    {"2 groups 4->4 3x3 stride 2", 4, 6, 6, grouped_case_groups2_s2},
    {"3 groups 3->6 (2 filters a channel) valid, bias", 3, 5, 6, grouped_case_multiplier},
};

const OpDescriptor OP_GROUPED_CONV = {.name = "grouped_conv", .forward = grouped_conv_layer_forward,
                                      .backward_skips_output = true,
                                      .backward = grouped_conv_layer_backward,
                                      .workspace_reals = grouped_conv_layer_workspace,
                                      .forward_flops = grouped_conv_layer_flops, .init = grouped_conv_layer_init,
                                      OP_CHECK_CASES(GROUPED_CONV_CASES)};
