/* Running a built model: forward and backward over its layer list, each layer run by its op's descriptor
 * (layer.h). */
#include "model.h"
#include "layer.h"
#include "ops.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static double profile_clock(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

void model_free(Model *model) {
    if (!model) return;
    free(model->params); /* the one arena */
    free(model->aux_probs);
    free(model->layers);
    free(model->slots);
    free(model->tensors);
    free(model);
}

size_t model_parameter_count(const Model *model) { return model->param_count; }

const real *model_forward(Model *m, const real *x, int B, bool training) {
    memcpy(slot_values(m, m->input_slot), x, slot_count_for(m, m->input_slot, B) * sizeof(real));
    for (int i = 0; i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        if (l->skip_forward || (l->aux_only && !training)) continue;
        double started = m->profiling ? profile_clock() : 0;
        op_descriptor(l->kind)->forward(m, l, B, training);
        if (m->profiling) m->profile_seconds[l->kind][0] += profile_clock() - started;
    }
    return slot_values(m, m->output_slot);
}

const real *model_forward_to(Model *m, const real *x, int B, int last) {
    memcpy(slot_values(m, m->input_slot), x, slot_count_for(m, m->input_slot, B) * sizeof(real));
    for (int i = 0; i <= last && i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        if (l->skip_forward || l->aux_only) continue;
        op_descriptor(l->kind)->forward(m, l, B, false);
    }
    return slot_values(m, model_layer_result_slot(m, last));
}

/* n reals of p set to zero, on the engine's threads when large */
static void zero_reals(real *p, size_t n) {
    const size_t block = (size_t)1 << 16;
    const long blocks = (long)((n + block - 1) / block);
#pragma omp parallel for schedule(dynamic, 1) if (n >= OPS_PARALLEL_MIN)
    for (long k = 0; k < blocks; k++) {
        const size_t start = (size_t)k * block, len = n - start < block ? n - start : block;
        memset(p + start, 0, len * sizeof(real));
    }
}

/* Parameter gradients, and the logits' gradient (the loss adds into it); every other activation gradient
 * is zeroed in model_backward when its region becomes live. */
void model_zero_grads(Model *m) {
    zero_reals(m->grads, m->param_count);
    zero_reals(model_logits_grad(m), slot_count_for(m, m->output_slot, m->max_batch));
    for (int k = 0; k < m->aux_count; k++)
        zero_reals(slot_grad(m, m->aux_slots[k]), slot_count_for(m, m->aux_slots[k], m->max_batch));
}

real *model_logits_grad(Model *m) { return slot_grad(m, m->output_slot); }

void model_backward(Model *m, int B) {
    for (int i = m->layer_count - 1; i >= 0; i--) {
        const Layer *l = &m->layers[i];
        double started = m->profiling ? profile_clock() : 0;
        /* regions that become live here (grad_plan.c) */
        if (l->zero_out_grad) zero_reals(slot_grad(m, l->out), slot_count_for(m, l->out, B));
        for (int k = 0; k < l->input_count; k++)
            if (l->zero_input_grads >> k & 1)
                zero_reals(slot_grad(m, l->inputs[k]), slot_count_for(m, l->inputs[k], B));
        for (int p = l->replay_first; p >= 0; p = m->layers[p].replay_next) { /* outputs it reads (act_plan.c) */
            const double replay_started = m->profiling ? profile_clock() : 0;
            op_descriptor(m->layers[p].kind)->replay(m, &m->layers[p], B);
            if (m->profiling) {
                const double spent = profile_clock() - replay_started;
                m->profile_seconds[m->layers[p].kind][1] += spent; /* the replayed layer's backward pays */
                started += spent;
            }
        }
        if (!l->skip_backward) op_descriptor(l->kind)->backward(m, l, B, l->write_in_grad ? GRAD_WRITE : GRAD_ADD);
        if (m->profiling) m->profile_seconds[l->kind][1] += profile_clock() - started;
    }
}

static real *aux_probs(Model *m, int k) {
    return m->aux_probs + (size_t)k * m->max_batch * m->slots[m->output_slot].C;
}

double model_loss(Model *m, real *probs, const int32_t *labels, int B, real smoothing, double *objective) {
    const int K = m->slots[m->output_slot].C;
    const double loss = softmax_xent_forward(probs, slot_values(m, m->output_slot), labels, B, K, smoothing);
    *objective = loss;
    for (int k = 0; k < m->aux_count; k++)
        *objective += m->aux_weights[k] *
                      softmax_xent_forward(aux_probs(m, k), slot_values(m, m->aux_slots[k]), labels, B, K, smoothing);
    return loss;
}

void model_loss_backward(Model *m, const real *probs, const int32_t *labels, int B, real smoothing) {
    const int K = m->slots[m->output_slot].C;
    model_zero_grads(m);
    softmax_xent_backward(model_logits_grad(m), probs, labels, B, K, smoothing);
    for (int k = 0; k < m->aux_count; k++) {
        real *d = slot_grad(m, m->aux_slots[k]);
        softmax_xent_backward(d, aux_probs(m, k), labels, B, K, smoothing);
        const real weight = (real)m->aux_weights[k];
        for (size_t i = 0; i < (size_t)B * K; i++) d[i] *= weight;
    }
    model_backward(m, B);
}
