/* Where a training step spends its time, for `cohort bench`. */
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
