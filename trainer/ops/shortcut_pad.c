/* Option-A ResNet shortcut (He et al. 2016, the CIFAR variant): subsample the identity by taking every
 * stride-th pixel, and pad the channel dimension with zeros, (OC - C) / 2 channels in front and the rest
 * behind, as `F.pad(x[:, :, ::2, ::2], (0, 0, 0, 0, pad, pad))` does. No parameters. */
#include <string.h>

#include "ops.h"
#include "layer.h"

/* Output spatial size of x[..., ::stride, ::stride]: ceil(H / stride). */
static int subsampled_size(int size, int stride) { return (size + stride - 1) / stride; }

/* in [C][B][H][W] -> out [OC][B][OH][OW], OH = ceil(H / stride), OW = ceil(W / stride) */
void shortcut_pad_forward(real *out, const real *in, int B, int C, int H, int W, int OC, int stride) {
    const int OH = subsampled_size(H, stride), OW = subsampled_size(W, stride);
    const size_t in_plane = (size_t)H * W, out_plane = (size_t)OH * OW;
    const int front = (OC - C) / 2;
    const size_t channel_block = (size_t)B * out_plane; /* one channel of out over the whole batch */
    memset(out, 0, (size_t)front * channel_block * sizeof(real));
    memset(out + (size_t)(front + C) * channel_block, 0, (size_t)(OC - front - C) * channel_block * sizeof(real));
    for (int c = 0; c < C; c++) {
        for (int b = 0; b < B; b++) {
            const real *src = in + ((size_t)c * B + b) * in_plane;
            real *dst = out + ((size_t)(front + c) * B + b) * out_plane;
            if (stride == 1) {
                memcpy(dst, src, in_plane * sizeof(real));
                continue;
            }
            for (int oh = 0; oh < OH; oh++) {
                const real *src_row = src + (size_t)oh * stride * W;
                real *dst_row = dst + (size_t)oh * OW;
                for (int ow = 0; ow < OW; ow++) dst_row[ow] = src_row[ow * stride];
            }
        }
    }
}

/* dout [OC][B][OH][OW]; adds into din [C][B][H][W] at the sampled pixels (the zero channels get nothing
 * back; the skipped pixels get no gradient from this path). */
void shortcut_pad_backward(real *din, const real *dout, int B, int C, int H, int W, int OC, int stride) {
    if (!din) return;
    const int OH = subsampled_size(H, stride), OW = subsampled_size(W, stride);
    const size_t in_plane = (size_t)H * W, out_plane = (size_t)OH * OW;
    const int front = (OC - C) / 2;
    for (int c = 0; c < C; c++) {
        for (int b = 0; b < B; b++) {
            real *dst = din + ((size_t)c * B + b) * in_plane;
            const real *src = dout + ((size_t)(front + c) * B + b) * out_plane;
            for (int oh = 0; oh < OH; oh++) {
                real *dst_row = dst + (size_t)oh * stride * W;
                const real *src_row = src + (size_t)oh * OW;
                for (int ow = 0; ow < OW; ow++) dst_row[ow * stride] += src_row[ow];
            }
        }
    }
}

/* ---- as a layer: [C][B][H][W] -> [OC][B][ceil(H/stride)][ceil(W/stride)] ---- */

static void shortcut_pad_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const TensorSlot *in = layer_in_slot(m, l);
    shortcut_pad_forward(slot_values(m, l->out), slot_values(m, l->in), B, in->C, in->H, in->W,
                         layer_out_slot(m, l)->C, l->stride);
}

static void shortcut_pad_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    const TensorSlot *in = layer_in_slot(m, l);
    real *din = slot_grad(m, l->in);
    if (din)
        shortcut_pad_backward(din, slot_grad(m, l->out), B, in->C, in->H, in->W, layer_out_slot(m, l)->C, l->stride);
}

static int shortcut_pad_case_0(ModelBuilder *mb, int x) {
    return builder_shortcut_pad(mb, x, 5, 2);
}

static const OpCheckCase SHORTCUT_PAD_CASES[] = {
    {"option-A shortcut", 3, 6, 6, shortcut_pad_case_0},
};

const OpDescriptor OP_SHORTCUT_PAD = {.name = "shortcut_pad", .forward = shortcut_pad_layer_forward,
                                      .backward_skips_inputs = true, .backward_skips_output = true,
                                      .backward = shortcut_pad_layer_backward,
                                      OP_CHECK_CASES(SHORTCUT_PAD_CASES)};
