/* Adaptive average pooling (PyTorch's nn.AdaptiveAvgPool2d((OH, OW))) over independent planes (the [C][B]
 * planes of a [C][B][H][W] activation): output row i averages input rows [floor(i H / OH), ceil((i+1) H / OH)),
 * and the same for columns. The bins tile the input when OH divides H, overlap when it does not, and repeat
 * input rows when OH > H (1x1 -> 7x7 copies the value to all 49 outputs, as torchvision's VGG does on 32x32
 * images); with OH == H every bin is one row, so OH x OW == H x W is the identity. */
#include "ops.h"
#include "layer.h"

/* The bin of output index o along an axis of `size` inputs pooled to `out_size`: [*lo, *hi), never empty. */
static void adaptive_bin(int o, int size, int out_size, int *lo, int *hi) {
    *lo = (int)((long)o * size / out_size);
    *hi = (int)(((long)(o + 1) * size + out_size - 1) / out_size);
}

/* in [P][H][W] -> out [P][OH][OW]: each output the mean of its bin, summed in double in row-major order. */
void adaptive_avgpool_forward(real *out, const real *in, int planes, int H, int W, int OH, int OW) {
    const size_t in_plane = (size_t)H * W, out_plane = (size_t)OH * OW;
    /* planes in parallel: each writes only its own */
#pragma omp parallel for schedule(dynamic, 16) if ((size_t)planes * (in_plane + out_plane) >= OPS_PARALLEL_MIN)
    for (int p = 0; p < planes; p++) {
        const real *x = in + (size_t)p * in_plane;
        real *y = out + (size_t)p * out_plane;
        for (int oh = 0; oh < OH; oh++) {
            int h0, h1;
            adaptive_bin(oh, H, OH, &h0, &h1);
            for (int ow = 0; ow < OW; ow++) {
                int w0, w1;
                adaptive_bin(ow, W, OW, &w0, &w1);
                double sum = 0;
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++) sum += x[(size_t)ih * W + iw];
                y[(size_t)oh * OW + ow] = (real)(sum / ((double)(h1 - h0) * (w1 - w0)));
            }
        }
    }
}

/* dout [P][OH][OW]; adds dout / (its bin's area) into every input element of the bin in din [P][H][W]
 * (an element in several bins gets each bin's share). */
void adaptive_avgpool_backward(real *din, const real *dout, int planes, int H, int W, int OH, int OW) {
    if (!din) return;
    const size_t in_plane = (size_t)H * W, out_plane = (size_t)OH * OW;
    /* planes in parallel: each writes only its own */
#pragma omp parallel for schedule(dynamic, 16) if ((size_t)planes * (in_plane + out_plane) >= OPS_PARALLEL_MIN)
    for (int p = 0; p < planes; p++) {
        real *dx = din + (size_t)p * in_plane;
        const real *dy = dout + (size_t)p * out_plane;
        for (int oh = 0; oh < OH; oh++) {
            int h0, h1;
            adaptive_bin(oh, H, OH, &h0, &h1);
            for (int ow = 0; ow < OW; ow++) {
                int w0, w1;
                adaptive_bin(ow, W, OW, &w0, &w1);
                const real g = (real)((double)dy[(size_t)oh * OW + ow] / ((double)(h1 - h0) * (w1 - w0)));
                for (int ih = h0; ih < h1; ih++)
                    for (int iw = w0; iw < w1; iw++) dx[(size_t)ih * W + iw] += g;
            }
        }
    }
}

/* The additions of one plane's pooling: the sum of its bins' areas (input elements counted once per bin that
 * holds them; H x W when the bins tile the input, more where they overlap or repeat). */
static double adaptive_avgpool_plane_adds(int H, int W, int OH, int OW) {
    double rows = 0, columns = 0; /* the area sum factors into the bins' heights times their widths */
    for (int oh = 0; oh < OH; oh++) {
        int lo, hi;
        adaptive_bin(oh, H, OH, &lo, &hi);
        rows += hi - lo;
    }
    for (int ow = 0; ow < OW; ow++) {
        int lo, hi;
        adaptive_bin(ow, W, OW, &lo, &hi);
        columns += hi - lo;
    }
    return rows * columns;
}

/* ---- as a layer: [C][B][H][W] -> [C][B][OH][OW] (OH, OW: the output slot's) ---- */

static void adaptive_avgpool_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const TensorSlot *in = layer_in_slot(m, l), *out = layer_out_slot(m, l);
    adaptive_avgpool_forward(slot_values(m, l->out), slot_values(m, l->in), in->C * B, in->H, in->W, out->H, out->W);
}

static void adaptive_avgpool_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    const TensorSlot *in = layer_in_slot(m, l), *out = layer_out_slot(m, l);
    real *din = slot_grad(m, l->in);
    if (din) adaptive_avgpool_backward(din, slot_grad(m, l->out), in->C * B, in->H, in->W, out->H, out->W);
}

/* One FLOP per addition (every element of every bin) and one per division (every output), for B images. */
static double adaptive_avgpool_layer_flops(const Model *m, const Layer *l, int B) {
    const TensorSlot *in = layer_in_slot(m, l), *out = layer_out_slot(m, l);
    const double per_plane = adaptive_avgpool_plane_adds(in->H, in->W, out->H, out->W) + (double)out->H * out->W;
    return per_plane * in->C * B;
}

int builder_adaptive_avgpool(ModelBuilder *mb, int x, int out_h, int out_w) {
    const TensorSlot in = mb->model->slots[x];
    if (in.flat) return builder_fail(mb, "adaptive average pool over a flat tensor");
    if (out_h < 1 || out_w < 1 || in.H < 1 || in.W < 1)
        return builder_fail(mb, "adaptive average pool to an empty output");
    const int out = builder_new_slot(mb, in.C, out_h, out_w, false);
    builder_new_layer(mb, LAYER_ADAPTIVE_AVGPOOL, x)->out = out;
    return out;
}

/* bins that tile the input (6x6 -> 3x3), overlap (5x7 -> 2x3, 7x5 -> 3x2), repeat rows and columns (2x3 -> 5x4,
 * 1x1 -> 3x3: every output a copy of the one input), and the identity (4x4 -> 4x4) and global (5x5 -> 1x1)
 * ends */
static int adaptive_case_tiles(ModelBuilder *mb, int x) { return builder_adaptive_avgpool(mb, x, 3, 3); }
static int adaptive_case_overlap(ModelBuilder *mb, int x) { return builder_adaptive_avgpool(mb, x, 2, 3); }
static int adaptive_case_overlap_tall(ModelBuilder *mb, int x) { return builder_adaptive_avgpool(mb, x, 3, 2); }
static int adaptive_case_larger(ModelBuilder *mb, int x) { return builder_adaptive_avgpool(mb, x, 5, 4); }
static int adaptive_case_replicate(ModelBuilder *mb, int x) { return builder_adaptive_avgpool(mb, x, 3, 3); }
static int adaptive_case_identity(ModelBuilder *mb, int x) { return builder_adaptive_avgpool(mb, x, 4, 4); }
static int adaptive_case_global(ModelBuilder *mb, int x) { return builder_adaptive_avgpool(mb, x, 1, 1); }

static const OpCheckCase ADAPTIVE_AVGPOOL_CASES[] = {
    {"adaptive average pool 6x6 -> 3x3", 2, 6, 6, adaptive_case_tiles},
    {"adaptive average pool 5x7 -> 2x3 (overlapping bins)", 2, 5, 7, adaptive_case_overlap},
    {"adaptive average pool 7x5 -> 3x2 (overlapping bins)", 2, 7, 5, adaptive_case_overlap_tall},
    {"adaptive average pool 2x3 -> 5x4 (larger output)", 2, 2, 3, adaptive_case_larger},
    {"adaptive average pool 1x1 -> 3x3 (replicated)", 3, 1, 1, adaptive_case_replicate},
    {"adaptive average pool 4x4 -> 4x4 (identity)", 2, 4, 4, adaptive_case_identity},
    {"adaptive average pool 5x5 -> 1x1 (global)", 2, 5, 5, adaptive_case_global},
};

const OpDescriptor OP_ADAPTIVE_AVGPOOL = {.name = "adaptive_avgpool", .forward = adaptive_avgpool_layer_forward,
                                          .backward_skips_inputs = true, .backward_skips_output = true,
                                          .backward = adaptive_avgpool_layer_backward,
                                          .forward_flops = adaptive_avgpool_layer_flops,
                                          OP_CHECK_CASES(ADAPTIVE_AVGPOOL_CASES)};
