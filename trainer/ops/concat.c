/* Concatenation along channels of N tensors of one shape but for the channel count (GoogLeNet's Inception
 * branches, a DenseNet block's features). Spatial tensors are [C][B][H][W], so each input is one contiguous
 * block of the output; token tensors [B][T][C] interleave the inputs' rows. */
#include <string.h>

#include "ops.h"
#include "layer.h"

/* inputs[k] [channels[k]][rest] -> out [sum channels][rest]: consecutive blocks (spatial layout, rest = B*H*W) */
void concat_blocks_forward(real *out, const real *const *inputs, const int *channels, int n, size_t rest) {
    for (int k = 0; k < n; k++) {
        const size_t size = (size_t)channels[k] * rest;
        memcpy(out, inputs[k], size * sizeof(real));
        out += size;
    }
}

/* adds each block of dout [sum channels][rest] into dinputs[k] [channels[k]][rest] (NULL: no gradient) */
void concat_blocks_backward(real *const *dinputs, const real *dout, const int *channels, int n, size_t rest) {
    for (int k = 0; k < n; k++) {
        const size_t size = (size_t)channels[k] * rest;
        real *d = dinputs[k];
        if (d) {
#pragma omp parallel for simd schedule(dynamic, OPS_ELEMENT_CHUNK) if (size >= OPS_PARALLEL_MIN)
            for (size_t i = 0; i < size; i++) d[i] += dout[i];
        }
        dout += size;
    }
}

/* inputs[k] [rows][channels[k]] -> out [rows][sum channels] (token layout) */
void concat_rows_forward(real *out, const real *const *inputs, const int *channels, int n, size_t rows) {
    int total = 0;
    for (int k = 0; k < n; k++) total += channels[k];
    for (size_t r = 0; r < rows; r++) {
        real *row = out + r * total;
        for (int k = 0; k < n; k++) {
            memcpy(row, inputs[k] + r * channels[k], (size_t)channels[k] * sizeof(real));
            row += channels[k];
        }
    }
}

void concat_rows_backward(real *const *dinputs, const real *dout, const int *channels, int n, size_t rows) {
    int total = 0;
    for (int k = 0; k < n; k++) total += channels[k];
    for (size_t r = 0; r < rows; r++) {
        const real *row = dout + r * total;
        for (int k = 0; k < n; k++) {
            real *d = dinputs[k];
            if (d)
                for (int c = 0; c < channels[k]; c++) d[r * channels[k] + c] += row[c];
            row += channels[k];
        }
    }
}

/* ---- as a layer: inputs[0..input_count) -> out, channels concatenated in input order ---- */

static void concat_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    const real *inputs[LAYER_MAX_INPUTS];
    int channels[LAYER_MAX_INPUTS];
    for (int k = 0; k < l->input_count; k++) {
        inputs[k] = slot_values(m, l->inputs[k]);
        channels[k] = m->slots[l->inputs[k]].C;
    }
    const TensorSlot *out = layer_out_slot(m, l);
    if (out->flat)
        concat_rows_forward(slot_values(m, l->out), inputs, channels, l->input_count, (size_t)B * out->H);
    else
        concat_blocks_forward(slot_values(m, l->out), inputs, channels, l->input_count, (size_t)B * out->H * out->W);
}

static void concat_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    real *dinputs[LAYER_MAX_INPUTS];
    int channels[LAYER_MAX_INPUTS];
    for (int k = 0; k < l->input_count; k++) {
        dinputs[k] = slot_grad(m, l->inputs[k]);
        channels[k] = m->slots[l->inputs[k]].C;
    }
    const TensorSlot *out = layer_out_slot(m, l);
    if (out->flat)
        concat_rows_backward(dinputs, slot_grad(m, l->out), channels, l->input_count, (size_t)B * out->H);
    else
        concat_blocks_backward(dinputs, slot_grad(m, l->out), channels, l->input_count, (size_t)B * out->H * out->W);
}

int builder_concat(ModelBuilder *mb, const int *xs, int n) {
    if (n < 1 || n > LAYER_MAX_INPUTS) return builder_fail(mb, "concatenation of 1 to 64 tensors");
    const TensorSlot first = mb->model->slots[xs[0]];
    int channels = 0;
    for (int k = 0; k < n; k++) {
        const TensorSlot *s = &mb->model->slots[xs[k]];
        if (s->H != first.H || s->W != first.W || s->flat != first.flat)
            return builder_fail(mb, "concatenation of tensors whose shapes differ beyond their channels");
        channels += s->C;
    }
    const int out = builder_new_slot(mb, channels, first.H, first.W, first.flat);
    Layer *l = builder_new_layer(mb, LAYER_CONCAT, xs[0]);
    l->out = out;
    for (int k = 0; k < n; k++) l->inputs[k] = xs[k];
    l->input_count = n;
    return out;
}

/* an Inception-style block: 1x1, 3x3 and pooled branches of different widths, and a branch repeated */
static int concat_case_branches(ModelBuilder *mb, int x) {
    const int a = builder_conv(mb, x, 2, 1, 1, 0, true);
    const int b = builder_relu(mb, builder_conv(mb, x, 3, 3, 1, 1, true));
    const int c = builder_conv(mb, builder_maxpool(mb, x, 3, 1, 1), 1, 1, 1, 0, true);
    const int branches[] = {a, b, c, a};
    return builder_concat(mb, branches, 4);
}

/* token tensors: rows interleave */
static int concat_case_tokens(ModelBuilder *mb, int x) {
    const int tokens = builder_patch_embed(mb, x, 4, 2, INIT_TORCH_DEFAULT, 0);
    const int parts[] = {tokens, builder_linear(mb, tokens, 3, true)};
    return builder_concat(mb, parts, 2);
}

static const OpCheckCase CONCAT_CASES[] = {
    {"concat of four branches", 3, 5, 5, concat_case_branches},
    {"concat of token tensors", 2, 4, 4, concat_case_tokens},
};

const OpDescriptor OP_CONCAT = {.name = "concat", .forward = concat_layer_forward, .backward = concat_layer_backward,
                                .backward_skips_inputs = true, .backward_skips_output = true,
                                OP_CHECK_CASES(CONCAT_CASES)};
