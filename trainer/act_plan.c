/* Where each activation lives during a training step: regions of acts, shared over time between slots whose
 * values are never needed at once.
 *
 * A slot's values (a group of slots sharing one region, such as a batch norm's output and the in-place ReLU
 * after it, counts as one) are written in forward by the layer that produces them and read by the layers
 * that consume them. Backward reads some of them again: a convolution its input, a batch norm its input, a
 * ReLU its output. Each op's descriptor says which values its backward reads (backward_skips_inputs,
 * backward_skips_output; a fused ReLU's mask, relu_after, reads the output). A group that some backward reads
 * is kept from its first write to the end of the step. A group that no backward reads (a residual branch's
 * last batch norm output, read by the add alone; a concatenation or channel shuffle, whose backwards only
 * route gradients) lives only from its first write to its last forward reader, and its region is then reused
 * by a later group, first fit in layer order. The model's input, its output and the auxiliary heads' outputs
 * are kept: the loss and the callers read them after forward. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "layer.h"
#include "model_builder.h"
#include "region_fit.h"

static size_t aligned_elements(const TensorSlot *s, int batch) {
    return ((size_t)s->C * s->H * s->W * batch + 15) & ~(size_t)15; /* 64-byte aligned starts */
}

size_t act_plan(Model *m, int max_batch, const int *group_of, const bool *values_unused) {
    const int n = m->slot_count, L = m->layer_count;
    int *first = malloc((size_t)n * sizeof(int)), *last = malloc((size_t)n * sizeof(int));
    bool *kept = calloc((size_t)n, sizeof(bool));
    size_t *size = calloc((size_t)n, sizeof(size_t)), *offset = malloc((size_t)n * sizeof(size_t));
    Region *live = malloc((size_t)n * sizeof(Region));
    int *live_group = malloc((size_t)n * sizeof(int));
    size_t arena = 0;
    if (!first || !last || !kept || !size || !offset || !live || !live_group) {
        arena = SIZE_MAX;
        goto done;
    }
    for (int s = 0; s < n; s++) first[s] = INT_MAX, last[s] = -1;
    for (int s = 0; s < n; s++) {
        if (values_unused[s]) continue;
        const size_t elements = aligned_elements(&m->slots[s], max_batch);
        if (elements > size[group_of[s]]) size[group_of[s]] = elements;
    }
    kept[group_of[m->input_slot]] = kept[group_of[m->output_slot]] = true;
    first[group_of[m->input_slot]] = -1;
    for (int k = 0; k < m->aux_count; k++) kept[group_of[m->aux_slots[k]]] = true;
    for (int i = 0; i < L; i++) {
        const Layer *l = &m->layers[i];
        const OpDescriptor *op = op_descriptor(l->kind);
        /* which values backward reads: of every layer, also those whose forward a neighbour runs */
        if (!op->backward_skips_output || l->relu_after) kept[group_of[l->out]] = true;
        if (!op->backward_skips_inputs) {
            for (int k = 0; k < l->input_count; k++) kept[group_of[l->inputs[k]]] = true;
            if (l->add_residual >= 0) kept[group_of[l->add_residual]] = true;
        }
        if (l->skip_forward) continue;
        /* when forward writes and reads them: the layers that run */
        const int written = group_of[l->add_output >= 0 ? l->add_output : l->out];
        if (first[written] > i) first[written] = i;
        for (int k = 0; k < l->input_count; k++)
            if (!values_unused[l->inputs[k]] && last[group_of[l->inputs[k]]] < i) last[group_of[l->inputs[k]]] = i;
        if (l->add_residual >= 0 && last[group_of[l->add_residual]] < i) last[group_of[l->add_residual]] = i;
    }
    for (int g = 0; g < n; g++) {
        if (group_of[g] != g || size[g] == 0) continue;
        if (first[g] == INT_MAX) first[g] = -1, kept[g] = true; /* never written in forward: its own region */
        if (kept[g]) last[g] = L;
    }
    int live_count = 0;
    for (int i = -1; i < L; i++) {
        for (int k = 0; k < live_count;) { /* regions that no layer from i on reads */
            if (last[live_group[k]] < i) {
                live[k] = live[--live_count];
                live_group[k] = live_group[live_count];
            } else {
                k++;
            }
        }
        for (int g = 0; g < n; g++) {
            if (group_of[g] != g || size[g] == 0 || first[g] != i) continue;
            offset[g] = region_first_fit(live, live_count, size[g]);
            live[live_count] = (Region){offset[g], size[g]};
            live_group[live_count++] = g;
            if (offset[g] + size[g] > arena) arena = offset[g] + size[g];
        }
    }
    for (int s = 0; s < n; s++)
        if (!values_unused[s]) m->slots[s].offset = offset[group_of[s]];
done:
    free(first), free(last), free(kept), free(size), free(offset), free(live), free(live_group);
    return arena;
}
