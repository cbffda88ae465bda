/* An op as a layer of a model: its descriptor, and the accessors its adapter uses.
 *
 * Each op file in trainer/ops/ holds the op's forward/backward pair on plain arrays (declared in ops.h) and,
 * at its end, the op's descriptor: how a model runs it as a layer (where its inputs, outputs, parameters,
 * saved state and workspace are), how much saved state and workspace it needs, its FLOPs, how its parameters
 * are initialised, and the properties the gradient plan relies on. op_registry.c lists the descriptors by
 * LayerKind; the model, the builder, the profiler and the gradient plan read them and never switch on kinds.
 * Adding an op: its file (the op, its descriptor and gradient-check cases, and its builder function), its
 * prototypes in ops.h and model_builder.h, its LayerKind, and its registry line. */
#ifndef COHORT_LAYER_H
#define COHORT_LAYER_H

#include <stdint.h>

#include "model_builder.h"

/* A gradient-check case of an op (tests/test_op_registry.c runs every case of every registered op in the double
 * build: parameter gradients of the whole small graph against central differences). */
typedef struct {
    const char *label;
    int C, H, W; /* the image, [C][B][H][W] */
    /* builds a small graph that uses the op, from x: the image after a 1x1 convolution with bias (so that the
     * op's input gradient reaches a parameter). Returns its output slot (spatial, tokens or flat); the test adds
     * the head and the loss. */
    int (*build)(ModelBuilder *mb, int x);
} OpCheckCase;

typedef struct {
    const char *name; /* as `cohort bench` prints it */
    /* y = op(x) for B images; training selects batch statistics, dropout and saved state for backward */
    void (*forward)(Model *m, const Layer *l, int B, bool training);
    /* the gradients of the inputs and parameters from the output's; din_mode is GRAD_WRITE only where the
     * gradient plan made this layer the first writer of its input's gradient and writes_fresh_input_grad */
    void (*backward)(Model *m, const Layer *l, int B, GradMode din_mode);
    /* recomputes, bit for bit, the output the training forward just wrote, from its inputs, parameters and saved
     * state, touching nothing else (NULL: it cannot). The activation plan (act_plan.c) may then let the output's
     * region go after its last forward reader and have model_backward replay it before the backward of its last
     * reader. Called for spatial outputs only. */
    void (*replay)(Model *m, const Layer *l, int B);
    /* the lowest `recompute` level at which this layer replays (NULL: RECOMPUTE_NORM, a pass over the values);
     * RECOMPUTE_NEVER where the replay would cost too much (a convolution's but a 1x1 at stride 1) */
    Recompute (*replay_level)(const Model *m, const Layer *l);
    /* reals of state kept from forward for backward (NULL: none), for `batch` images */
    size_t (*saved_reals)(const Model *m, const Layer *l, int batch);
    /* reals of the model's shared scratch the layer needs (NULL: none), for `batch` images */
    size_t (*workspace_reals)(const Model *m, const Layer *l, int batch);
    /* multiply-add FLOPs (x2) of one forward pass over B images (NULL: not counted, e.g. elementwise) */
    double (*forward_flops)(const Model *m, const Layer *l, int B);
    /* its parameters and buffers from the run's initialisation stream (NULL: it has none) */
    void (*init)(Model *m, const Layer *l, Rng *rng);
    /* its backward works in place when its input's gradient is its output's (din == dout), so the gradient plan
     * may hand the output gradient's region on to the input (grad_plan.c) */
    bool grad_in_place;
    /* its backward can write (GRAD_WRITE) an input gradient it is the first writer of, instead of adding */
    bool writes_fresh_input_grad;
    /* an elementwise op whose backward reads only its output: it may write over an input that nothing else
     * reads, sharing its region and gradient (model_builder.c; ReLU, ReLU6) */
    bool runs_in_place;
    /* which values its backward reads, for the activation plan (act_plan.c): a slot whose values no backward
     * reads lives only until its last forward reader. Unset (false) is the safe default: read. */
    bool backward_skips_inputs; /* reads none of its inputs' values (only gradients and saved state) */
    bool backward_skips_output; /* reads not its output's values (a fused ReLU's mask, relu_after, aside) */
    /* its gradient-check cases; an op without any fails the registry's test */
    const OpCheckCase *check_cases;
    int check_case_count;
} OpDescriptor;

#define OP_CHECK_CASES(array) .check_cases = (array), .check_case_count = (int)(sizeof(array) / sizeof((array)[0]))

/* The descriptor of a kind (op_registry.c). */
const OpDescriptor *op_descriptor(LayerKind kind);

/* ---- accessors for descriptors ---- */

static inline const TensorSlot *layer_in_slot(const Model *m, const Layer *l) { return &m->slots[l->in]; }
static inline const TensorSlot *layer_out_slot(const Model *m, const Layer *l) { return &m->slots[l->out]; }
/* a slot's values for the current batch */
static inline real *slot_values(Model *m, int slot) { return m->acts + m->slots[slot].offset; }
/* a slot's gradient, NULL for the input image (it needs none) */
static inline real *slot_grad(Model *m, int slot) {
    return m->slots[slot].grad_offset == SIZE_MAX ? NULL : m->act_grads + m->slots[slot].grad_offset;
}
/* values of a slot for B images */
static inline size_t slot_count_for(const Model *m, int slot, int B) {
    const TensorSlot *s = &m->slots[slot];
    return (size_t)s->C * s->H * s->W * B;
}
/* a parameter tensor and its gradient by offset (NULL when absent) */
static inline real *layer_param(Model *m, size_t offset) { return offset == SIZE_MAX ? NULL : m->params + offset; }
static inline real *layer_param_grad(Model *m, size_t offset) { return offset == SIZE_MAX ? NULL : m->grads + offset; }
static inline real *layer_saved(Model *m, const Layer *l) { return m->saved + l->saved; }

/* Shared initialisations (param_init.c). */
void init_uniform(real *p, size_t n, double bound, Rng *rng);
void init_normal(real *p, size_t n, double std, Rng *rng);
void init_fill(real *p, size_t n, real value);
/* a linear map's weight [fan_out][fan_in] and bias by l->init */
void init_affine(Model *m, const Layer *l, size_t fan_in, size_t fan_out, Rng *rng);

#endif
