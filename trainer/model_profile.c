/* Where a training step spends its time, for `cohort bench`. */
#include <stdio.h>
#include <string.h>

#include "layer.h"

void model_profile_reset(Model *model) {
    model->profiling = true;
    memset(model->profile_seconds, 0, sizeof model->profile_seconds);
}

double model_forward_flops(const Model *m, int B) {
    double flops = 0;
    for (int i = 0; i < m->layer_count; i++) {
        const OpDescriptor *op = op_descriptor(m->layers[i].kind);
        if (op->forward_flops) flops += op->forward_flops(m, &m->layers[i], B);
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

/* "16x32x32" for a spatial slot, "65x192 tokens" for a token tensor, "10" for flat features */
static void shape_text(const TensorSlot *s, char *out, size_t size) {
    if (!s->flat) snprintf(out, size, "%dx%dx%d", s->C, s->H, s->W);
    else if (s->H > 1) snprintf(out, size, "%dx%d tokens", s->H, s->C);
    else snprintf(out, size, "%d", s->C);
}

void model_layer_name(const Model *m, int layer, char *out, size_t size) {
    int k = 0;
    for (int i = 0; i <= layer; i++) k += m->layers[i].kind == m->layers[layer].kind;
    snprintf(out, size, "%s%d", op_descriptor(m->layers[layer].kind)->name, k);
}

int model_find_layer(const Model *m, const char *name) {
    char candidate[64];
    for (int i = 0; i < m->layer_count; i++) {
        model_layer_name(m, i, candidate, sizeof candidate);
        if (!strcmp(candidate, name)) return i;
    }
    return -1;
}

int model_layer_result_slot(const Model *m, int layer) {
    const Layer *l = &m->layers[layer];
    return l->add_output >= 0 ? l->add_output : l->out;
}

void model_plan_print(const Model *m, FILE *out) {
    fprintf(out, "%-5s %-34s %-16s %12s %14s  %s\n", "step", "op", "output", "parameters", "MFLOP/image", "layer");
    int steps = 0;
    double flops = 0;
    for (int i = 0; i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        const OpDescriptor *op = op_descriptor(l->kind);
        char name[64], shape[40];
        if (l->skip_forward && l->skip_backward) { /* wholly done by the step before: listed under it */
            fprintf(out, "      (and the %s after it)\n", op->name);
            continue;
        }
        snprintf(name, sizeof name, "%s%s%s%s", op->name, l->relu_after ? "+relu" : "",
                 l->add_output >= 0 ? "+add" : "", l->first_token_outputs ? " (first-token queries)" : "");
        if (l->skip_forward) snprintf(name, sizeof name, "%s (backward only)", op->name);
        const int shown = l->add_output >= 0 ? l->add_output : l->out;
        shape_text(&m->slots[shown], shape, sizeof shape);
        const double layer_flops = op->forward_flops ? op->forward_flops(m, l, 1) : 0;
        flops += layer_flops;
        char layer_name[64];
        model_layer_name(m, i, layer_name, sizeof layer_name);
        fprintf(out, "%-5d %-34s %-16s %12zu %14.3f  %s\n", steps++, name, shape, l->weight_count + l->bias_count,
                layer_flops / 1e6, layer_name);
    }
    fprintf(out, "%d steps for %d layers; %zu parameters; %.1f MFLOP per image forward (multiply-adds x2)\n", steps,
            m->layer_count, m->param_count, flops / 1e6);
}
