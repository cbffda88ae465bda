/* Running a built model: forward and backward over its layer list. */
#include "model.h"

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
    free(model->layers);
    free(model->slots);
    free(model->tensors);
    free(model);
}

size_t model_parameter_count(const Model *model) { return model->param_count; }

static real *values(Model *m, int slot) { return m->acts + m->slots[slot].offset; }
static real *grads_of(Model *m, int slot) {
    /* The input image needs no gradient. */
    return m->slots[slot].grad_offset == SIZE_MAX ? NULL : m->act_grads + m->slots[slot].grad_offset;
}
static size_t elements(const Model *m, int slot, int B) {
    const TensorSlot *s = &m->slots[slot];
    return (size_t)s->C * s->H * s->W * B;
}
static real *param(Model *m, size_t offset) { return offset == SIZE_MAX ? NULL : m->params + offset; }
static real *param_grad(Model *m, size_t offset) { return offset == SIZE_MAX ? NULL : m->grads + offset; }

static ConvShape conv_shape(const Model *m, const Layer *l, int B) {
    const TensorSlot *in = &m->slots[l->in], *out = &m->slots[l->out];
    ConvShape s;
    conv_shape_init(&s, B, in->C, in->H, in->W, out->C, l->kernel, l->kernel, l->stride, l->pad);
    s.slots = m->thread_slots;
    return s;
}

static PoolShape pool_shape(const Model *m, const Layer *l, int B) {
    const TensorSlot *in = &m->slots[l->in];
    PoolShape s;
    pool_shape_init(&s, in->C * B, in->H, in->W, l->kernel, l->stride, l->pad);
    return s;
}

static PatchShape patch_shape(const Model *m, const Layer *l, int B) {
    const TensorSlot *in = &m->slots[l->in];
    PatchShape s;
    patch_shape_init(&s, B, in->C, in->H, in->W, l->kernel, m->slots[l->out].C);
    return s;
}

/* Attention's saved state: the softmax probabilities, then (with attention dropout) the mask. */
static size_t attention_probs_count(const Model *m, const Layer *l, int B) {
    return (size_t)B * l->heads * m->slots[l->out].H * m->slots[l->in].H; /* [B][heads][Tq][T] */
}

/* PyTorch's BatchNorm2d defaults. */
#define BN_MOMENTUM ((real)0.1)
#define BN_EPS ((real)1e-5)

const real *model_forward(Model *m, const real *x, int B, bool training) {
    memcpy(values(m, m->input_slot), x, elements(m, m->input_slot, B) * sizeof(real));
    for (int i = 0; i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        double started = m->profiling ? profile_clock() : 0;
        const TensorSlot *in = &m->slots[l->in];
        real *out = values(m, l->out);
        const real *inp = values(m, l->in);
        switch (l->kind) {
        case LAYER_CONV: {
            ConvShape s = conv_shape(m, l, B);
            conv2d_forward(out, inp, param(m, l->weight), param(m, l->bias), &s, m->workspace);
            break;
        }
        case LAYER_BATCHNORM: {
            int C = in->C, N = in->H * in->W * B;
            real *running_mean = m->buffers + l->buffer, *running_var = running_mean + C;
            real *mean = m->saved + l->saved, *invstd = mean + C;
            const real *gamma = param(m, l->weight), *beta = param(m, l->bias);
            if (training && l->relu_after)
                batchnorm_relu_forward_train(out, mean, invstd, running_mean, running_var, inp, gamma, beta, C, N,
                                             BN_MOMENTUM, BN_EPS);
            else if (training)
                batchnorm_forward_train(out, mean, invstd, running_mean, running_var, inp, gamma, beta, C, N,
                                        BN_MOMENTUM, BN_EPS);
            else if (l->relu_after)
                batchnorm_relu_forward_eval(out, inp, gamma, beta, running_mean, running_var, C, N, BN_EPS);
            else
                batchnorm_forward_eval(out, inp, gamma, beta, running_mean, running_var, C, N, BN_EPS);
            break;
        }
        case LAYER_RELU:
            if (!l->done_by_previous) relu_forward(out, inp, elements(m, l->in, B));
            break;
        case LAYER_MAXPOOL: {
            PoolShape s = pool_shape(m, l, B);
            maxpool_forward(out, (int32_t *)(m->saved + l->saved), inp, &s);
            break;
        }
        case LAYER_AVGPOOL: {
            PoolShape s = pool_shape(m, l, B);
            avgpool_forward(out, inp, &s);
            break;
        }
        case LAYER_GLOBAL_AVGPOOL: global_avgpool_forward(out, inp, in->C, B, in->H * in->W); break;
        case LAYER_FLATTEN: flatten_forward(out, inp, in->C, B, in->H * in->W); break;
        case LAYER_LINEAR: /* every token: B*H rows */
            if (l->add_after) { /* writes the next layer's (the residual add's) output: residual + linear */
                const Layer *add = l + 1;
                const int residual = add->in == l->out ? add->in2 : add->in;
                linear_add_forward(values(m, add->out), inp, param(m, l->weight), param(m, l->bias),
                                   values(m, residual), B * in->H, in->C, m->slots[l->out].C);
            } else if (l->first_token_outputs) {
                linear_first_token_forward(out, inp, param(m, l->weight), param(m, l->bias), B, in->H, in->C,
                                           m->slots[l->out].C, l->first_token_outputs);
            } else {
                linear_forward(out, inp, param(m, l->weight), param(m, l->bias), B * in->H, in->C, m->slots[l->out].C);
            }
            break;
        case LAYER_ADD:
            if (l->done_by_previous) break;
            if (l->relu_after)
                add_relu_forward(out, inp, values(m, l->in2), elements(m, l->out, B));
            else
                add_forward(out, inp, values(m, l->in2), elements(m, l->out, B));
            break;
        case LAYER_DROPOUT:
            if (training && l->dropout_p > 0)
                dropout_forward(out, m->saved + l->saved, inp, elements(m, l->in, B), l->dropout_p, &m->dropout_rng);
            else
                memcpy(out, inp, elements(m, l->in, B) * sizeof(real));
            break;
        case LAYER_SHORTCUT_PAD:
            shortcut_pad_forward(out, inp, B, in->C, in->H, in->W, m->slots[l->out].C, l->stride);
            break;
        case LAYER_PATCH_EMBED: {
            PatchShape s = patch_shape(m, l, B);
            patch_embed_forward(out, inp, param(m, l->weight), param(m, l->bias), &s, m->workspace);
            break;
        }
        case LAYER_CLS_POS: cls_pos_forward(out, inp, param(m, l->weight), param(m, l->bias), B, in->H, in->C); break;
        case LAYER_LAYERNORM:
            layernorm_forward(out, m->saved + l->saved, m->saved + l->saved + (size_t)B * in->H, inp,
                              param(m, l->weight), param(m, l->bias), B * in->H, in->C, l->eps);
            break;
        case LAYER_GELU: gelu_forward(out, inp, elements(m, l->in, B), l->gelu_tanh); break;
        case LAYER_ATTENTION: {
            real *probs = m->saved + l->saved;
            real *mask = training && l->dropout_p > 0 ? probs + attention_probs_count(m, l, B) : NULL;
            attention_forward(out, probs, mask, inp, B, m->slots[l->out].H, in->H, m->slots[l->out].C, l->heads, l->dropout_p,
                              &m->dropout_rng, m->workspace, m->thread_slots);
            break;
        }
        case LAYER_TOKEN_TRANSPOSE: token_transpose_forward(out, inp, B, in->H, in->C); break;
        case LAYER_TOKEN_MEAN: token_mean_forward(out, inp, B, in->H, in->C, l->token); break;
        case LAYER_TOKEN_SELECT: token_select_forward(out, inp, B, in->H, in->C, l->token); break;
        case LAYER_KIND_COUNT: break;
        }
        if (m->profiling) m->profile_seconds[l->kind][0] += profile_clock() - started;
    }
    return values(m, m->output_slot);
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
    zero_reals(model_logits_grad(m), elements(m, m->output_slot, m->max_batch));
}

real *model_logits_grad(Model *m) { return grads_of(m, m->output_slot); }

void model_backward(Model *m, int B) {
    for (int i = m->layer_count - 1; i >= 0; i--) {
        const Layer *l = &m->layers[i];
        double started = m->profiling ? profile_clock() : 0;
        const TensorSlot *in = &m->slots[l->in];
        if (l->zero_out_grad) zero_reals(grads_of(m, l->out), elements(m, l->out, B));
        if (l->zero_in_grad) zero_reals(grads_of(m, l->in), elements(m, l->in, B));
        const GradMode din_mode = l->write_in_grad ? GRAD_WRITE : GRAD_ADD; /* see grad_plan.c */
        if (l->zero_in2_grad) zero_reals(grads_of(m, l->in2), elements(m, l->in2, B));
        const real *dout = grads_of(m, l->out);
        real *din = grads_of(m, l->in);
        const real *inp = values(m, l->in);
        switch (l->kind) {
        case LAYER_CONV: {
            ConvShape s = conv_shape(m, l, B);
            conv2d_backward(din, param_grad(m, l->weight), param_grad(m, l->bias), dout, inp, param(m, l->weight), &s,
                            m->workspace);
            break;
        }
        case LAYER_BATCHNORM: {
            int C = in->C, N = in->H * in->W * B;
            const real *mean = m->saved + l->saved, *invstd = mean + C;
            if (l->relu_after) /* dout: the gradient of the ReLU's output, which shares this layer's buffers */
                batchnorm_relu_backward(din, param_grad(m, l->weight), param_grad(m, l->bias), dout, values(m, l->out),
                                        inp, param(m, l->weight), mean, invstd, C, N);
            else
                batchnorm_backward(din, param_grad(m, l->weight), param_grad(m, l->bias), dout, inp,
                                   param(m, l->weight), mean, invstd, C, N);
            break;
        }
        case LAYER_RELU:
            if (din && !l->done_by_previous) relu_backward(din, dout, values(m, l->out), elements(m, l->in, B));
            break;
        case LAYER_MAXPOOL: {
            PoolShape s = pool_shape(m, l, B);
            if (din) maxpool_backward(din, dout, (const int32_t *)(m->saved + l->saved), &s);
            break;
        }
        case LAYER_AVGPOOL: {
            PoolShape s = pool_shape(m, l, B);
            if (din) avgpool_backward(din, dout, &s);
            break;
        }
        case LAYER_GLOBAL_AVGPOOL:
            if (din) global_avgpool_backward(din, dout, in->C, B, in->H * in->W);
            break;
        case LAYER_FLATTEN:
            if (din) flatten_backward(din, dout, in->C, B, in->H * in->W);
            break;
        case LAYER_LINEAR:
            if (l->first_token_outputs)
                linear_first_token_backward(din, din_mode, param_grad(m, l->weight), param_grad(m, l->bias), dout,
                                            inp, param(m, l->weight), B, in->H, in->C, m->slots[l->out].C,
                                            l->first_token_outputs, m->workspace);
            else
                linear_backward(din, din_mode, param_grad(m, l->weight), param_grad(m, l->bias), dout, inp,
                                param(m, l->weight), B * in->H, in->C, m->slots[l->out].C, m->workspace);
            break;
        case LAYER_ADD:
            if (l->relu_after) /* dout: the gradient of the ReLU's output, which shares this layer's buffers */
                add_relu_backward(din, grads_of(m, l->in2), dout, values(m, l->out), elements(m, l->out, B));
            else
                add_backward(din, grads_of(m, l->in2), dout, elements(m, l->out, B));
            break;
        case LAYER_DROPOUT:
            if (!din) break;
            if (l->dropout_p > 0) {
                dropout_backward(din, dout, m->saved + l->saved, elements(m, l->in, B));
            } else { /* identity: dout added into din, or nothing when the plan handed dout's region on */
                add_backward(din, NULL, dout, elements(m, l->in, B));
            }
            break;
        case LAYER_SHORTCUT_PAD:
            if (din) shortcut_pad_backward(din, dout, B, in->C, in->H, in->W, m->slots[l->out].C, l->stride);
            break;
        case LAYER_PATCH_EMBED: {
            PatchShape s = patch_shape(m, l, B);
            patch_embed_backward(din, param_grad(m, l->weight), param_grad(m, l->bias), dout, inp, param(m, l->weight),
                                 &s, m->workspace);
            break;
        }
        case LAYER_CLS_POS:
            cls_pos_backward(din, param_grad(m, l->weight), param_grad(m, l->bias), dout, B, in->H, in->C);
            break;
        case LAYER_LAYERNORM:
            layernorm_backward(din, param_grad(m, l->weight), param_grad(m, l->bias), dout, inp, param(m, l->weight),
                               m->saved + l->saved, m->saved + l->saved + (size_t)B * in->H, B * in->H, in->C,
                               m->workspace);
            break;
        case LAYER_GELU: gelu_backward(din, dout, inp, elements(m, l->in, B), l->gelu_tanh); break;
        case LAYER_ATTENTION: {
            const real *probs = m->saved + l->saved;
            const real *mask = l->dropout_p > 0 ? probs + attention_probs_count(m, l, B) : NULL;
            attention_backward(din, din_mode, dout, inp, probs, mask, B, m->slots[l->out].H, in->H,
                               m->slots[l->out].C, l->heads, m->workspace, m->thread_slots);
            break;
        }
        case LAYER_TOKEN_TRANSPOSE: token_transpose_backward(din, dout, B, in->H, in->C); break;
        case LAYER_TOKEN_MEAN: token_mean_backward(din, dout, B, in->H, in->C, l->token); break;
        case LAYER_TOKEN_SELECT: token_select_backward(din, dout, B, in->H, in->C, l->token); break;
        case LAYER_KIND_COUNT: break;
        }
        if (m->profiling) m->profile_seconds[l->kind][1] += profile_clock() - started;
    }
}
