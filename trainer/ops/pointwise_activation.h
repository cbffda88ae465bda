/* The elementwise activations whose gradient is a function of the input alone (ReLU6, sigmoid, hard sigmoid,
 * hard swish, SiLU): each op file defines its value f(x) and grad(x, g) = g f'(x) as static inline functions and
 * instantiates POINTWISE_ACTIVATION once, which writes the op's pair on plain arrays (declared in ops.h), its
 * layer adapters, its builder function, its gradient-check case and its descriptor. Internal to trainer/ops/.
 *
 *   NAME_forward(out, in, n):        out[i] = f(in[i])
 *   NAME_backward(din, dout, in, n): din[i] += grad(in[i], dout[i]); in place (din == dout, ops.h) it
 *                                    becomes grad(in[i], dout[i]); an op whose slope is a function of its
 *                                    output (POINTWISE_ACTIVATION_OF_OUTPUT: ReLU6) takes out[i] instead
 * grad takes g rather than returning f' so that the piecewise ones can select g or 0 last: a select of
 * constants multiplied afterwards keeps GCC from vectorising under -ftrapping-math (ReLU6's backward ran 4-6x
 * slower than a plain selecting loop in a MobileNet V2 step). Each element is computed alone, so results do
 * not depend on the thread count; the op files choose f' at the kinks as PyTorch does. */
#ifndef COHORT_OPS_POINTWISE_ACTIVATION_H
#define COHORT_OPS_POINTWISE_ACTIVATION_H

#include "ops.h"
#include "layer.h"

#define POINTWISE_ACTIVATION_WITH(fn, KIND, label, value, grad, SOURCE, ...)                                      \
    OPS_VECTOR_CLONES                                                                                               \
    void fn##_forward(real *out, const real *in, size_t n) {                                                      \
        _Pragma("omp parallel for schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)")                 \
        for (size_t i = 0; i < n; i++) out[i] = value(in[i]);                                                       \
    }                                                                                                               \
    OPS_VECTOR_CLONES                                                                                               \
    void fn##_backward(real *din, const real *dout, const real *SOURCE, size_t n) {                                   \
        if (!din) return;                                                                                           \
        if (din == dout) {                                                                                          \
            _Pragma("omp parallel for schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)")             \
            for (size_t i = 0; i < n; i++) din[i] = grad(SOURCE[i], din[i]);                                          \
            return;                                                                                                 \
        }                                                                                                           \
        _Pragma("omp parallel for schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)")                 \
        for (size_t i = 0; i < n; i++) din[i] += grad(SOURCE[i], dout[i]);                                        \
    }                                                                                                               \
    static void fn##_layer_forward(Model *m, const Layer *l, int B, bool training) {                              \
        (void)training;                                                                                             \
        fn##_forward(slot_values(m, l->out), slot_values(m, l->in), slot_count_for(m, l->in, B));                 \
    }                                                                                                               \
    static void fn##_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {                         \
        (void)din_mode;                                                                                             \
        fn##_backward(slot_grad(m, l->in), slot_grad(m, l->out), slot_values(m, l->SOURCE),                       \
                        slot_count_for(m, l->in, B));                                                               \
    }                                                                                                               \
    int builder_##fn(ModelBuilder *mb, int x) {                                                                   \
        const TensorSlot in = mb->model->slots[x];                                                                  \
        const int out = builder_new_slot(mb, in.C, in.H, in.W, in.flat);                                            \
        builder_new_layer(mb, LAYER_##KIND, x)->out = out;                                                          \
        return out;                                                                                                 \
    }                                                                                                               \
    /* through a 1x1 convolution with weights normal(0, 2): values of a few units, past the kinks at +-3 and 6 */ \
    static int fn##_case(ModelBuilder *mb, int x) {                                                               \
        const int wide = builder_conv(mb, x, 4, 1, 1, 0, true);                                                     \
        builder_set_init(mb, wide, INIT_NORMAL, 2.0);                                                               \
        return builder_##fn(mb, wide);                                                                            \
    }                                                                                                               \
    static const OpCheckCase fn##_CASES[] = {{label, 3, 4, 4, fn##_case}};                                      \
    const OpDescriptor OP_##KIND = {.name = #fn, .forward = fn##_layer_forward,                                 \
                                    .backward = fn##_layer_backward, .grad_in_place = true,                       \
                                    __VA_ARGS__,                                                                  \
                                    OP_CHECK_CASES(fn##_CASES)};

/* grad(x, g) from the input; the output may not overwrite the input */
#define POINTWISE_ACTIVATION(fn, KIND, label, value, grad)                                                       \
    POINTWISE_ACTIVATION_WITH(fn, KIND, label, value, grad, in, .backward_skips_output = true)
/* grad(y, g) from the output y = f(x) (f' a function of f): the op may run in place on an input that nothing
 * else reads, sharing its region, which saves an activation */
#define POINTWISE_ACTIVATION_OF_OUTPUT(fn, KIND, label, value, grad)                                             \
    POINTWISE_ACTIVATION_WITH(fn, KIND, label, value, grad, out, .backward_skips_inputs = true, .runs_in_place = true)

#endif
