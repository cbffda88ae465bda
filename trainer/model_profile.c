/* Where a training step spends its time, for `cohort bench`. */
#include <string.h>

#include "model.h"

static const char *const KIND_NAMES[LAYER_KIND_COUNT] = {
    [LAYER_CONV] = "conv",           [LAYER_BATCHNORM] = "batchnorm",   [LAYER_RELU] = "relu",
    [LAYER_MAXPOOL] = "maxpool",     [LAYER_AVGPOOL] = "avgpool",       [LAYER_GLOBAL_AVGPOOL] = "global_avgpool",
    [LAYER_FLATTEN] = "flatten",     [LAYER_LINEAR] = "linear",         [LAYER_ADD] = "add",
    [LAYER_DROPOUT] = "dropout",     [LAYER_SHORTCUT_PAD] = "shortcut_pad", [LAYER_PATCH_EMBED] = "patch_embed",
    [LAYER_CLS_POS] = "cls_pos",     [LAYER_LAYERNORM] = "layernorm",   [LAYER_GELU] = "gelu",
    [LAYER_ATTENTION] = "attention", [LAYER_TOKEN_TRANSPOSE] = "token_transpose",
    [LAYER_TOKEN_MEAN] = "token_mean", [LAYER_TOKEN_SELECT] = "token_select",
};

const char *layer_kind_name(LayerKind kind) {
    return kind < LAYER_KIND_COUNT && KIND_NAMES[kind] ? KIND_NAMES[kind] : "?";
}

void model_profile_reset(Model *model) {
    model->profiling = true;
    memset(model->profile_seconds, 0, sizeof model->profile_seconds);
}

double model_forward_flops(const Model *m, int B) {
    double flops = 0;
    for (int i = 0; i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        const TensorSlot *in = &m->slots[l->in], *out = &m->slots[l->out];
        switch (l->kind) {
        case LAYER_CONV:
        case LAYER_PATCH_EMBED: /* output elements x (C x K x K) multiply-adds */
            flops += 2.0 * (double)l->weight_count * out->H * out->W * B;
            break;
        case LAYER_LINEAR: { /* per token; the first first_token_outputs outputs for the first token only */
            const double outputs = (double)(out->C - l->first_token_outputs) * in->H + l->first_token_outputs;
            flops += 2.0 * (double)in->C * outputs * B;
            break;
        }
        case LAYER_ATTENTION: /* QK^T and PV: 2 x Tq x T x D each */
            flops += 2.0 * 2.0 * (double)out->H * in->H * out->C * B;
            break;
        default: break;
        }
    }
    return flops;
}

void model_profile_print(const Model *m, FILE *out) {
    double total = 0;
    for (int k = 0; k < LAYER_KIND_COUNT; k++) total += m->profile_seconds[k][0] + m->profile_seconds[k][1];
    fprintf(out, "%-16s %9s %9s %7s\n", "op", "fwd s", "bwd s", "share");
    for (int k = 0; k < LAYER_KIND_COUNT; k++) {
        double f = m->profile_seconds[k][0], b = m->profile_seconds[k][1];
        if (f + b <= 0) continue;
        fprintf(out, "%-16s %9.3f %9.3f %6.1f%%\n", layer_kind_name((LayerKind)k), f, b, 100.0 * (f + b) / total);
    }
}
