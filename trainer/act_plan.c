/* Where each activation lives during a training step: regions of acts, shared over time between slots whose
 * values are never needed at once.
 *
 * A slot's values (a group of slots sharing one region, such as a batch norm's output and the in-place ReLU
 * after it, counts as one) are written in forward by the layer that produces them and read by the layers
 * that consume them. Backward reads some of them again: a convolution its input, a batch norm its input, a
 * ReLU its output. Each op's descriptor says which values its backward reads (backward_skips_inputs,
 * backward_skips_output; a fused ReLU's mask, relu_after, reads the output). The plan gives each group one or
 * two spans of time (forward of layer i at time i, backward of layer i at time 2L - i):
 * - kept: a group that some backward reads lives from its first write to the end of the step;
 * - forward only: a group that no backward reads (a residual branch's last batch norm output, read by the add
 *   alone; a concatenation or channel shuffle, whose backwards only route gradients) lives from its first write
 *   to its last forward reader;
 * - replayed: a group whose producer can recompute it at the model's `recompute` level (the descriptor's replay
 *   and replay_level: a batch norm + ReLU from its input and saved statistics; a 1x1 convolution from its input
 *   and weights) lives in forward as a forward-only group, and again in backward from just before the backward
 *   of its last reader (where the producer replays it) to the producer's own backward. A VGG stage thus keeps
 *   its convolutions' outputs but not the batch norm + ReLU outputs after them (one tensor in two; a ResNet
 *   basic block one in four), for one elementwise pass per batch norm in backward. The producer's inputs must
 *   be there: kept, or replayed themselves, earlier (a ResNeXt bottleneck replays 1x1 conv, then batch norm +
 *   ReLU, from the block's input).
 * Each group takes the lowest offset where no group whose spans meet its own lies (first fit, in order of first
 * write). The model's input, its output and the auxiliary heads' outputs are kept: the loss and the callers read
 * them after forward. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "layer.h"
#include "model_builder.h"
#include "region_fit.h"

Recompute recompute_level(const char *name) {
    if (!strcmp(name, "none")) return RECOMPUTE_NONE;
    if (!strcmp(name, "norm")) return RECOMPUTE_NORM;
    return RECOMPUTE_POINTWISE;
}

static size_t aligned_elements(const TensorSlot *s, int batch) {
    return ((size_t)s->C * s->H * s->W * batch + 15) & ~(size_t)15; /* 64-byte aligned starts */
}

typedef struct {
    int start, end; /* inclusive times */
} Span;

typedef struct {
    Span span[2];
    int span_count;
    size_t offset, size;
} GroupLife;

static bool lives_meet(const GroupLife *a, const GroupLife *b) {
    for (int i = 0; i < a->span_count; i++)
        for (int j = 0; j < b->span_count; j++)
            if (a->span[i].start <= b->span[j].end && b->span[j].start <= a->span[i].end) return true;
    return false;
}

/* Whether group g can be replayed by its writer: the writer can replay at this recompute level, g holds the
 * writer's output and at most the fused in-place ReLU's over it, is spatial (flat ones are small), and every
 * input of the writer is there in backward: kept, or itself replayed (before it, see below). */
static bool replayable(const Model *m, int g, const int *group_of, const int *writer, const bool *kept,
                       Recompute recompute) {
    const int p = writer[g];
    const Layer *l = &m->layers[p];
    const OpDescriptor *op = op_descriptor(l->kind);
    if (!op->replay || (op->replay_level ? op->replay_level(m, l) : RECOMPUTE_NORM) > recompute ||
        group_of[l->out] != g || m->slots[l->out].flat || l->add_output >= 0)
        return false;
    for (int s = 0; s < m->slot_count; s++) {
        if (group_of[s] != g || s == l->out) continue;
        const bool fused_relu = l->relu_after && p + 1 < m->layer_count && m->layers[p + 1].out == s &&
                                m->layers[p + 1].in == l->out && m->layers[p + 1].skip_forward;
        if (!fused_relu) return false;
    }
    for (int k = 0; k < l->input_count; k++)
        if (!kept[group_of[l->inputs[k]]]) return false;
    return true;
}

size_t act_plan(Model *m, int max_batch, const int *group_of, const bool *values_unused, Recompute recompute) {
    const int n = m->slot_count, L = m->layer_count, end_of_step = 2 * L + 1;
    int *first = malloc((size_t)n * sizeof(int)), *last = malloc((size_t)n * sizeof(int));
    int *writer = malloc((size_t)n * sizeof(int)), *last_backward_reader = malloc((size_t)n * sizeof(int));
    bool *kept = calloc((size_t)n, sizeof(bool)), *replayed = calloc((size_t)n, sizeof(bool));
    bool *pinned = calloc((size_t)n, sizeof(bool)); /* kept whatever backward reads: input, output, heads */
    GroupLife *life = calloc((size_t)n, sizeof(GroupLife));
    Region *meeting = malloc((size_t)n * sizeof(Region));
    int *placed = malloc((size_t)n * sizeof(int));
    size_t arena = 0;
    if (!first || !last || !writer || !last_backward_reader || !kept || !replayed || !pinned || !life || !meeting ||
        !placed) {
        arena = SIZE_MAX;
        goto done;
    }
    for (int s = 0; s < n; s++) first[s] = INT_MAX, last[s] = -1, writer[s] = -1, last_backward_reader[s] = -1;
    for (int s = 0; s < n; s++) {
        if (values_unused[s]) continue;
        const size_t elements = aligned_elements(&m->slots[s], max_batch);
        if (elements > life[group_of[s]].size) life[group_of[s]].size = elements;
    }
    pinned[group_of[m->input_slot]] = pinned[group_of[m->output_slot]] = true;
    first[group_of[m->input_slot]] = -1;
    for (int k = 0; k < m->aux_count; k++) pinned[group_of[m->aux_slots[k]]] = true;
    for (int i = 0; i < L; i++) {
        const Layer *l = &m->layers[i];
        const OpDescriptor *op = op_descriptor(l->kind);
        /* which values backward reads: of every backward that runs (a fused ReLU's is its producer's, relu_after),
         * also of layers whose forward a neighbour runs; the last reader in layer order is the first in backward */
        if (!l->skip_backward) {
            if (!op->backward_skips_output || l->relu_after) last_backward_reader[group_of[l->out]] = i;
            if (!op->backward_skips_inputs) {
                for (int k = 0; k < l->input_count; k++) last_backward_reader[group_of[l->inputs[k]]] = i;
                if (l->add_residual >= 0) last_backward_reader[group_of[l->add_residual]] = i;
            }
        }
        if (l->skip_forward) continue;
        /* when forward writes and reads them: the layers that run */
        const int written = group_of[l->add_output >= 0 ? l->add_output : l->out];
        if (first[written] > i) first[written] = i, writer[written] = i;
        for (int k = 0; k < l->input_count; k++)
            if (!values_unused[l->inputs[k]] && last[group_of[l->inputs[k]]] < i) last[group_of[l->inputs[k]]] = i;
        if (l->add_residual >= 0 && last[group_of[l->add_residual]] < i) last[group_of[l->add_residual]] = i;
    }
    for (int g = 0; g < n; g++) {
        if (group_of[g] != g || life[g].size == 0) continue;
        if (first[g] == INT_MAX) first[g] = -1, pinned[g] = true; /* never written in forward: its own region */
        kept[g] = pinned[g] || last_backward_reader[g] >= 0;
    }
    /* which groups are replayed */
    for (int i = 0; i < L; i++) m->layers[i].replay_first = m->layers[i].replay_next = -1;
    for (int i = 0; i < L && recompute > RECOMPUTE_NONE; i++) {
        const int g = group_of[m->layers[i].out];
        if (writer[g] != i || life[g].size == 0 || pinned[g] || last_backward_reader[g] < 0) continue;
        replayed[g] = replayable(m, g, group_of, writer, kept, recompute);
    }
    /* when: before the backward of its last reader, or earlier, before the replay of an output computed from it
     * (a chain such as 1x1 conv -> batch norm + ReLU -> 1x1 conv). Consumers come after their producers in layer
     * order, so walking back settles a group's consumers before it; prepending in that walk lists each reader's
     * replays in layer order, producers first. Alive until the producer's own backward. */
    for (int i = L - 1; i >= 0; i--) {
        const Layer *l = &m->layers[i];
        const int g = group_of[l->out];
        if (writer[g] != i || !replayed[g]) continue;
        for (int k = 0; k < l->input_count; k++) {
            const int h = group_of[l->inputs[k]];
            if (replayed[h] && last_backward_reader[h] < last_backward_reader[g])
                last_backward_reader[h] = last_backward_reader[g];
        }
        Layer *reader = &m->layers[last_backward_reader[g]];
        m->layers[i].replay_next = reader->replay_first;
        reader->replay_first = i;
        life[g].span[1] = (Span){2 * L - last_backward_reader[g], 2 * L - i};
    }
    for (int g = 0; g < n; g++) {
        if (group_of[g] != g || life[g].size == 0) continue;
        const int forward_end = last[g] > first[g] ? last[g] : first[g]; /* written, perhaps never read in forward */
        life[g].span[0] = (Span){first[g], kept[g] && !replayed[g] ? end_of_step : forward_end};
        life[g].span_count = replayed[g] ? 2 : 1;
    }
    /* first fit in order of first write (then slot order) among the groups already placed that meet it */
    int placed_count = 0;
    for (int i = -1; i < L; i++) {
        for (int g = 0; g < n; g++) {
            if (group_of[g] != g || life[g].size == 0 || first[g] != i) continue;
            int meeting_count = 0;
            for (int k = 0; k < placed_count; k++)
                if (lives_meet(&life[g], &life[placed[k]]))
                    meeting[meeting_count++] = (Region){life[placed[k]].offset, life[placed[k]].size};
            life[g].offset = region_first_fit(meeting, meeting_count, life[g].size);
            placed[placed_count++] = g;
            if (life[g].offset + life[g].size > arena) arena = life[g].offset + life[g].size;
        }
    }
    for (int s = 0; s < n; s++)
        if (!values_unused[s]) m->slots[s].offset = life[group_of[s]].offset;
done:
    free(first), free(last), free(writer), free(last_backward_reader), free(kept), free(replayed), free(pinned),
        free(life), free(meeting), free(placed);
    return arena;
}
