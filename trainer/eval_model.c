/* The forward-only plan of a trained model (eval_model.h): batch-norm folding, one shared saved-state region,
 * and activation regions reused once nothing reads them. */
#include "eval_model.h"

#include <stdlib.h>
#include <string.h>

#include "batchnorm_fold.h"
#include "layer.h"
#include "region_fit.h"
#include "threads.h"

/* A convolution whose batch norm was folded into it. The eval parameters are laid out as the trained ones: the
 * folded weight replaces the convolution's, and the folded bias goes where the batch norm's shift was (C values
 * either way, and the folded batch norm no longer reads it), so folding needs no room beyond the parameters. */
typedef struct {
    int conv_layer, bn_layer;
} Fold;

struct EvalModel {
    Model m;           /* layers and slots re-planned; the arenas below */
    const Model *source;
    Fold *folds;
    int fold_count;
    real *arena;       /* own: params, buffers, acts, saved, workspace; NULL when borrowed */
    size_t trained_reals;
};

static size_t aligned_elements(const TensorSlot *s, int batch) {
    return ((size_t)s->C * s->H * s->W * batch + 15) & ~(size_t)15; /* 64-byte aligned starts */
}

/* Which layers run, and the folds: a batch norm over a spatial tensor whose input only it reads, written by a
 * convolution, plain, grouped or depthwise (weights [OC][C/groups][KH][KW]: one block per output channel
 * either way). Sets skip_forward on folded batch norms and un-skips the ReLU that ran fused with one. Returns
 * the folds' count (folds[] has room for layer_count). */
static int plan_folds(Model *m, Fold *folds) {
    int *readers = calloc((size_t)m->slot_count, sizeof(int)), *writer = malloc((size_t)m->slot_count * sizeof(int));
    if (!readers || !writer) {
        free(readers), free(writer);
        return -1;
    }
    for (int s = 0; s < m->slot_count; s++) writer[s] = -1;
    for (int i = 0; i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        if (l->aux_only) continue;
        for (int k = 0; k < l->input_count; k++) readers[l->inputs[k]]++;
        if (l->add_residual >= 0) readers[l->add_residual]++;
        writer[l->out] = i;
    }
    readers[m->output_slot]++;
    int count = 0;
    for (int i = 0; i < m->layer_count; i++) {
        Layer *bn = &m->layers[i];
        if (bn->kind != LAYER_BATCHNORM || bn->aux_only || m->slots[bn->in].flat || readers[bn->in] != 1 ||
            writer[bn->in] < 0)
            continue;
        Layer *conv = &m->layers[writer[bn->in]];
        if ((conv->kind != LAYER_CONV && conv->kind != LAYER_GROUPED_CONV) || conv->add_output >= 0) continue;
        folds[count++] = (Fold){.conv_layer = writer[bn->in], .bn_layer = i};
        conv->out = bn->out;
        conv->bias = bn->bias;
        bn->skip_forward = true;
        if (bn->relu_after) { /* the in-place ReLU that the batch norm ran: it runs itself now */
            for (int r = i + 1; r < m->layer_count; r++)
                if (m->layers[r].kind == LAYER_RELU && m->layers[r].in == bn->out) {
                    m->layers[r].skip_forward = false;
                    break;
                }
            bn->relu_after = false;
        }
    }
    free(readers), free(writer);
    return count;
}

/* Offsets for every slot that a running layer writes or reads, regions shared as in the trained model (an
 * in-place ReLU, a linear layer writing its add's output) and reused once their last reader has run. Returns the
 * arena's reals, or SIZE_MAX when out of memory. */
static size_t plan_activations(Model *m, const Model *src, int batch) {
    const int n = m->slot_count, L = m->layer_count;
    int *group = malloc((size_t)n * sizeof(int)), *first = malloc((size_t)n * sizeof(int)),
        *last = malloc((size_t)n * sizeof(int));
    Region *live = malloc((size_t)n * sizeof(Region));
    int *live_group = malloc((size_t)n * sizeof(int));
    size_t *group_offset = malloc((size_t)n * sizeof(size_t)), arena = 0;
    if (!group || !first || !last || !live || !live_group || !group_offset) {
        free(group), free(first), free(last), free(live), free(live_group), free(group_offset);
        return SIZE_MAX;
    }
    /* slots that share a region by design in the trained model (an in-place ReLU, a fused linear layer's add
     * output) share one here. Not those that share an offset only one after the other: the folds below change
     * which layer writes what (a convolution writes its batch norm's output), and a region the trained model
     * reuses for a batch norm's output once the convolution's input is dead (its replay comes later) would
     * here be that convolution's input and output at once. */
    for (int s = 0; s < n; s++) {
        group[s] = src->slots[s].region_of;
        first[s] = INT32_MAX, last[s] = -1;
    }
    first[group[m->input_slot]] = -1;
    for (int i = 0; i < L; i++) {
        const Layer *l = &m->layers[i];
        if (l->skip_forward || l->aux_only) continue;
        for (int k = 0; k < l->input_count; k++) last[group[l->inputs[k]]] = i;
        if (l->add_residual >= 0) last[group[l->add_residual]] = i;
        const int written = group[l->add_output >= 0 ? l->add_output : l->out];
        if (first[written] > i) first[written] = i;
    }
    last[group[m->output_slot]] = L;
    int live_count = 0;
    for (int i = -1; i < L; i++) {
        for (int k = 0; k < live_count;) { /* regions nothing reads from layer i on */
            const int g = live_group[k];
            if (last[g] < i && first[g] < i) {
                live[k] = live[--live_count];
                live_group[k] = live_group[live_count];
            } else {
                k++;
            }
        }
        for (int g = 0; g < n; g++) {
            if (group[g] != g || first[g] != i) continue;
            size_t size = 0; /* the largest slot of the group (they are equal but for a fused linear's) */
            for (int s = 0; s < n; s++)
                if (group[s] == g && aligned_elements(&m->slots[s], batch) > size) size = aligned_elements(&m->slots[s], batch);
            group_offset[g] = region_first_fit(live, live_count, size);
            live[live_count] = (Region){group_offset[g], size};
            live_group[live_count++] = g;
            if (group_offset[g] + size > arena) arena = group_offset[g] + size;
        }
    }
    for (int s = 0; s < n; s++) m->slots[s].offset = first[group[s]] == INT32_MAX ? 0 : group_offset[group[s]];
    free(group), free(first), free(last), free(live), free(live_group), free(group_offset);
    return arena;
}

void eval_model_refresh(EvalModel *e) {
    const Model *src = e->source;
    Model *m = &e->m;
    memcpy(m->params, src->params, src->param_count * sizeof(real));
    if (m->buffers != src->buffers) memcpy(m->buffers, src->buffers, src->buffer_count * sizeof(real));
    for (int f = 0; f < e->fold_count; f++) {
        const Layer *conv = &src->layers[e->folds[f].conv_layer], *bn = &src->layers[e->folds[f].bn_layer];
        const int C = m->slots[bn->out].C;
        const size_t per_channel = conv->weight_count / (size_t)C;
        for (int c = 0; c < C; c++) {
            const BatchNormAffine affine = batchnorm_affine(src, bn, c);
            const real *w = src->params + conv->weight + (size_t)c * per_channel;
            real *folded = m->params + conv->weight + (size_t)c * per_channel;
            for (size_t k = 0; k < per_channel; k++) folded[k] = (real)((double)w[k] * affine.scale);
            const double bias = conv->bias == SIZE_MAX ? 0.0 : (double)src->params[conv->bias + c];
            m->params[bn->bias + c] = (real)(bias * affine.scale + affine.shift);
        }
    }
}

/* The plan, without arenas: folds, activation offsets, and the shared saved-state and workspace sizes. */
static EvalModel *plan(const Model *src, int max_batch) {
    EvalModel *e = calloc(1, sizeof *e);
    if (!e) return NULL;
    Model *m = &e->m;
    *m = *src;
    m->layers = malloc((size_t)src->layer_count * sizeof(Layer));
    m->slots = malloc((size_t)src->slot_count * sizeof(TensorSlot));
    e->folds = malloc((size_t)src->layer_count * sizeof(Fold));
    m->tensors = NULL, m->aux_probs = NULL, m->aux_count = 0, m->profiling = false;
    m->params = m->grads = m->buffers = m->acts = m->act_grads = m->saved = m->workspace = NULL;
    e->source = src;
    if (!m->layers || !m->slots || !e->folds) goto fail;
    memcpy(m->layers, src->layers, (size_t)src->layer_count * sizeof(Layer));
    memcpy(m->slots, src->slots, (size_t)src->slot_count * sizeof(TensorSlot));
    m->max_batch = max_batch;
    m->thread_slots = engine_threads();
    e->fold_count = plan_folds(m, e->folds);
    if (e->fold_count < 0) goto fail;
    m->act_count = plan_activations(m, src, max_batch);
    if (m->act_count == SIZE_MAX) goto fail;
    m->act_grad_count = 0, m->saved_count = 0, m->workspace_count = 0;
    for (int i = 0; i < m->layer_count; i++) {
        Layer *l = &m->layers[i];
        const OpDescriptor *op = op_descriptor(l->kind);
        l->saved = 0; /* a forward pass reads a layer's saved state only within that layer */
        if (l->skip_forward || l->aux_only) continue;
        const size_t saved = op->saved_reals ? op->saved_reals(m, l, max_batch) : 0;
        const size_t ws = op->workspace_reals ? op->workspace_reals(m, l, max_batch) : 0;
        if (saved > m->saved_count) m->saved_count = saved;
        if (ws > m->workspace_count) m->workspace_count = ws;
    }
    m->act_count = (m->act_count + 15) & ~(size_t)15, m->saved_count = (m->saved_count + 15) & ~(size_t)15;
    e->trained_reals = src->act_count + src->act_grad_count + src->saved_count;
    return e;
fail:
    eval_model_free(e);
    return NULL;
}

/* acts, saved and workspace one after another from `base` */
static void place_scratch(Model *m, real *base) {
    m->acts = base;
    m->saved = m->acts + m->act_count;
    m->workspace = m->saved + m->saved_count;
}

int eval_model_create(EvalModel **out, const Model *src, int max_batch, char err[ERR_LEN]) {
    *out = NULL;
    EvalModel *e = plan(src, max_batch);
    if (!e) return err_set(err, "model %s: out of memory", src->name);
    Model *m = &e->m;
    const size_t total = m->param_count + m->buffer_count + m->act_count + m->saved_count + m->workspace_count;
    e->arena = aligned_alloc(64, ((total * sizeof(real)) + 63) & ~(size_t)63);
    if (!e->arena) {
        eval_model_free(e);
        return err_set(err, "model %s: out of memory for %zu MB of evaluation arenas", src->name,
                       total * sizeof(real) >> 20);
    }
    memset(e->arena, 0, total * sizeof(real));
    m->params = e->arena;
    m->buffers = m->params + m->param_count;
    place_scratch(m, m->buffers + m->buffer_count);
    eval_model_refresh(e);
    *out = e;
    return 0;
}

int eval_model_create_borrowing(EvalModel **out, Model *src, int max_batch, char err[ERR_LEN]) {
    *out = NULL;
    EvalModel *e = plan(src, max_batch);
    if (!e) return err_set(err, "model %s: out of memory", src->name);
    Model *m = &e->m;
    /* acts, act_grads, saved and workspace are one span of the trained model's arena (model_builder.c) */
    const size_t span = src->act_count + src->act_grad_count + src->saved_count + src->workspace_count;
    if (m->act_count + m->saved_count + m->workspace_count > span || src->acts + src->act_count != src->act_grads ||
        src->act_grads + src->act_grad_count != src->saved || src->saved + src->saved_count != src->workspace) {
        eval_model_free(e);
        return eval_model_create(out, src, max_batch, err);
    }
    m->params = src->grads;
    m->buffers = src->buffers; /* read, never written, by evaluation-mode forwards */
    place_scratch(m, src->acts);
    *out = e;
    return 0;
}

void eval_model_free(EvalModel *e) {
    if (!e) return;
    free(e->arena);
    free(e->m.layers);
    free(e->m.slots);
    free(e->folds);
    free(e);
}

const real *eval_model_forward(EvalModel *e, const real *x, int B) { return model_forward(&e->m, x, B, false); }

EvalModelStats eval_model_stats(const EvalModel *e) {
    return (EvalModelStats){.folded_batchnorms = e->fold_count,
                            .arena_reals = e->m.act_count + e->m.saved_count,
                            .trained_reals = e->trained_reals};
}

Model *eval_model_model(EvalModel *e) { return &e->m; }
