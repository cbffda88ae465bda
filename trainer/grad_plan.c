/* Where each activation gradient lives: regions of act_grads shared between slots whose gradients are never
 * needed at the same time.
 *
 * Backward runs the layers in reverse. A slot's gradient (with the ReLU-in-place aliasing of
 * model_builder.c, a group of slots sharing one region of acts shares one gradient too) is first written
 * by the backward of its last consumer in forward order (for the model output: by the loss, before
 * backward), and last read by the backward of the layer that produced it. Outside that interval its
 * region can hold another gradient, so regions are packed by first fit over the intervals, and each is
 * zeroed when its interval starts (the layer flags zero_input_grads / zero_out_grad, and
 * model_zero_grads for the output), unless the layer starting it is a linear or attention layer, whose
 * backward then writes the input gradient instead of adding into it (write_in_grad; GRAD_WRITE in ops.h).
 * Peak gradient memory is then the largest set of gradients alive at
 * once instead of all of them.
 *
 * An elementwise layer (residual add, GELU, dropout) or a batch norm (which reads each channel's dout for
 * its sums before it writes the channel's din) that is the first writer of an input's gradient (the input
 * has no later consumer) and the last reader of its output's would zero the input's gradient and then fill
 * it from the output's, just as that one dies: instead the input's gradient takes over the output's region
 * (one interval from the output's start to the input's end), saving a zeroing pass and a read-modify-write
 * pass over the tensor. The op then finds din == dout and works in place (ops.h): the add leaves it as it is
 * (or applies the fused ReLU's mask), GELU and dropout multiply by their slope or mask, batch norm writes its
 * input gradient over the output's.
 * Both inputs of an add can share the region, their gradients being the same values, when one of them has no
 * other writer and its producer reads it before the other's next write (a ViT block: the branch is read by
 * its projection before the block's LayerNorm adds into the stream); then the add's backward has nothing left
 * to do. In a ResNet block the branch ends in a batch norm that rewrites the region in place, so there only
 * the branch shares it. */
#include <limits.h>
#include <stdint.h>
#include <stdlib.h>

#include "layer.h"
#include "model_builder.h"

/* backward time of layer i: 0 for the last layer, L-1 for the first; -1 is the loss */
typedef struct {
    long start, end;     /* live over backward times [start, end] */
    size_t size;         /* reals */
    size_t offset;
    bool used;
} GradGroup;

typedef struct {
    size_t offset, size;
    long end;
} Placed;

/* lowest offset at which `size` reals fit between the placed regions (sorted by offset) */
static size_t first_fit(const Placed *placed, int count, size_t size) {
    size_t candidate = 0;
    for (int i = 0; i < count; i++) {
        if (placed[i].offset >= candidate + size) break;
        if (placed[i].offset + placed[i].size > candidate) candidate = placed[i].offset + placed[i].size;
    }
    return candidate;
}

static void insert_sorted(Placed *placed, int *count, Placed p) {
    int i = *count;
    while (i > 0 && placed[i - 1].offset > p.offset) {
        placed[i] = placed[i - 1];
        i--;
    }
    placed[i] = p;
    (*count)++;
}


/* The first backward time after t at which a layer writes into gradient group `group` (it consumes a slot of
 * the group), or LONG_MAX */
static long first_write_after(const Model *m, const int *grad_group, int group, long t) {
    const int L = m->layer_count;
    long first = LONG_MAX;
    for (int i = 0; i < L; i++) {
        const Layer *l = &m->layers[i];
        const long time = L - 1 - i;
        bool writes = false;
        for (int k = 0; k < l->input_count; k++) writes |= grad_group[l->inputs[k]] == group;
        if (writes && time > t && time < first) first = time;
    }
    return first;
}

/* whether gradient group `group` holds a head's logits (the main or an auxiliary one) */
static bool is_head(const Model *m, const int *grad_group, int group) {
    if (group == grad_group[m->output_slot]) return true;
    for (int k = 0; k < m->aux_count; k++)
        if (group == grad_group[m->aux_slots[k]]) return true;
    return false;
}

/* whether two of the layer's inputs share a gradient group */
static bool input_repeated(const Layer *l, const int *grad_group) {
    for (int k = 1; k < l->input_count; k++)
        for (int j = 0; j < k; j++)
            if (grad_group[l->inputs[j]] == grad_group[l->inputs[k]]) return true;
    return false;
}

int grad_plan(Model *m, int max_batch, const int *group_of) {
    const int L = m->layer_count, S = m->slot_count;
    GradGroup *groups = calloc((size_t)S, sizeof *groups);
    Placed *placed = malloc((size_t)S * sizeof(Placed));
    int *order = malloc((size_t)S * sizeof(int));
    int *grad_group = malloc((size_t)S * sizeof(int)); /* group_of, with the residual adds' merges */
    if (!groups || !placed || !order || !grad_group) {
        free(groups), free(placed), free(order), free(grad_group);
        return -1;
    }
    for (int s = 0; s < S; s++) {
        GradGroup *g = &groups[group_of[s]];
        size_t n = ((size_t)m->slots[s].C * m->slots[s].H * m->slots[s].W * max_batch + 15) & ~(size_t)15;
        if (!g->used) *g = (GradGroup){.start = LONG_MAX, .end = -2, .used = true};
        if (n > g->size) g->size = n;
    }
    for (int i = 0; i < L; i++) {
        const Layer *l = &m->layers[i];
        const long t = L - 1 - i;
        for (int k = 0; k < l->input_count; k++) {
            GradGroup *in = &groups[group_of[l->inputs[k]]];
            if (t < in->start) in->start = t;
        }
        GradGroup *out = &groups[group_of[l->out]];
        if (t > out->end) out->end = t; /* the producer of the group (the earliest layer) reads it last */
    }
    /* the heads' gradients are written by the loss, before backward */
    groups[group_of[m->output_slot]].start = -1;
    for (int k = 0; k < m->aux_count; k++) groups[group_of[m->aux_slots[k]]].start = -1;
    for (int s = 0; s < S; s++) {
        GradGroup *g = &groups[s];
        if (!g->used || group_of[s] != s) continue;
        if (s == group_of[m->input_slot]) g->used = false; /* the input image needs no gradient */
        else if (g->start == LONG_MAX) g->start = g->end;        /* no consumer: zeros read by its producer */
    }
    for (int s = 0; s < S; s++) grad_group[s] = group_of[s];
    for (int i = 0; i < L; i++) {
        const Layer *l = &m->layers[i];
        if (!op_descriptor(l->kind)->grad_in_place) continue;
        const long t = L - 1 - i;
        const int out = grad_group[l->out];
        GradGroup *o = &groups[out];
        if (is_head(m, grad_group, out) || o->end != t) continue;
        if (input_repeated(l, grad_group)) continue; /* a + a: twice dout */
        /* the inputs that could take over the region, with the first write into their gradient after this
         * layer's and the time their producer reads it */
        int candidates[LAYER_MAX_INPUTS], count = 0;
        long next_write[LAYER_MAX_INPUTS], read_at[LAYER_MAX_INPUTS];
        for (int k = 0; k < l->input_count; k++) {
            const int in = grad_group[l->inputs[k]];
            const GradGroup *g = &groups[in];
            if (in == out || !g->used || g->start != t || g->size != o->size) continue;
            candidates[count] = in;
            next_write[count] = first_write_after(m, grad_group, in, t);
            read_at[count] = g->end;
            count++;
        }
        /* two: only if one of them has no other writer and is read before the other's next write; of more,
         * the first alone */
        if (count > 2 || (count == 2 && !(next_write[0] == LONG_MAX && read_at[0] < next_write[1]) &&
                          !(next_write[1] == LONG_MAX && read_at[1] < next_write[0])))
            count = 1;
        for (int c = 0; c < count; c++) {
            const int in = candidates[c];
            GradGroup *g = &groups[in];
            if (g->end > o->end) o->end = g->end;
            g->used = false;
            for (int s = 0; s < S; s++)
                if (grad_group[s] == in) grad_group[s] = out;
        }
    }
    /* place the groups in order of their start, freeing regions whose interval ended before it */
    int n = 0;
    for (int s = 0; s < S; s++)
        if (groups[s].used && grad_group[s] == s) order[n++] = s;
    for (int a = 1; a < n; a++)
        for (int b = a; b > 0 && groups[order[b - 1]].start > groups[order[b]].start; b--) {
            int tmp = order[b];
            order[b] = order[b - 1];
            order[b - 1] = tmp;
        }
    int live = 0;
    size_t total = 0;
    for (int k = 0; k < n; k++) {
        GradGroup *g = &groups[order[k]];
        int kept = 0;
        for (int i = 0; i < live; i++)
            if (placed[i].end >= g->start) placed[kept++] = placed[i];
        live = kept;
        g->offset = first_fit(placed, live, g->size);
        insert_sorted(placed, &live, (Placed){g->offset, g->size, g->end});
        if (g->offset + g->size > total) total = g->offset + g->size;
    }
    for (int s = 0; s < S; s++) {
        const GradGroup *g = &groups[grad_group[s]];
        m->slots[s].grad_offset = g->used ? g->offset : SIZE_MAX;
    }
    for (int i = 0; i < L; i++) {
        Layer *l = &m->layers[i];
        const long t = L - 1 - i;
        const GradGroup *in = &groups[grad_group[l->in]], *out = &groups[grad_group[l->out]];
        const bool first_writer = in->used && in->start == t;
        l->write_in_grad = first_writer && op_descriptor(l->kind)->writes_fresh_input_grad;
        /* each input's region that starts here is zeroed once (an input repeated shares its region) */
        l->zero_input_grads = 0;
        for (int k = 0; k < l->input_count; k++) {
            const int group = grad_group[l->inputs[k]];
            bool seen = false;
            for (int j = 0; j < k; j++) seen |= grad_group[l->inputs[j]] == group;
            if (groups[group].used && groups[group].start == t && !seen && !(k == 0 && l->write_in_grad))
                l->zero_input_grads |= (uint64_t)1 << k;
        }
        l->zero_out_grad = out->used && out->start == t && out->end == t && !is_head(m, grad_group, grad_group[l->out]);
    }
    m->act_grad_count = total;
    free(groups), free(placed), free(order), free(grad_group);
    return 0;
}
