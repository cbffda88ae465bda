/* GELU, elementwise: the exact form x * Phi(x) = 0.5 x (1 + erf(x / sqrt 2)) (PyTorch's default), or the tanh
 * approximation 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))) (PyTorch's approximate='tanh').
 * exp and erf come from fast_math.h: vectorisable in the float build, libm's in the double build; tanh is
 * written through exp. */
#include "fast_math.h"
#include "ops.h"
#include "layer.h"

#define INV_SQRT2 0.70710678118654752440
#define INV_SQRT_2PI 0.39894228040143267794
#define SQRT_2_OVER_PI 0.79788456080286535588
#define TANH_CUBIC 0.044715

/* in [n] -> out [n] */
OPS_VECTOR_CLONES
void gelu_forward(real *out, const real *in, size_t n, bool tanh_form) {
    if (tanh_form) {
        /* 0.5 (1 + tanh u) = 1 / (1 + exp(-2u)), the logistic function of 2u */
        const real k = (real)SQRT_2_OVER_PI, c = (real)TANH_CUBIC;
#pragma omp parallel for schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)
        for (size_t i = 0; i < n; i++) {
            const real x = in[i];
            out[i] = x / ((real)1 + real_exp(-2 * k * (x + c * x * x * x)));
        }
    } else {
#pragma omp parallel for schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)
        for (size_t i = 0; i < n; i++) {
            const real x = in[i];
            const real e = real_exp((real)-0.5 * x * x); /* exp(-(x / sqrt 2)^2) */
            out[i] = (real)0.5 * x * ((real)1 + real_erf_with_exp(x * (real)INV_SQRT2, e));
        }
    }
}

/* d/dx of the exact form: Phi(x) + x phi(x) */
static inline real gelu_erf_slope(real x) {
    const real e = real_exp((real)-0.5 * x * x); /* sqrt(2 pi) phi(x), and erf's exp(-(x / sqrt 2)^2) */
    const real cdf = (real)0.5 * ((real)1 + real_erf_with_exp(x * (real)INV_SQRT2, e));
    return cdf + x * (real)INV_SQRT_2PI * e;
}

/* d/dx of the tanh form: 0.5 (1 + t) + 0.5 x (1 - t^2) k (1 + 3c x^2) with t = tanh(u), u = k (x + c x^3).
 * With s = 1 / (1 + exp(-2u)) and 1 - s = 1 / (1 + exp(2u)), each from its own exp so that neither cancels:
 * 0.5 (1 + t) = s and 1 - t^2 = 4 s (1 - s). */
static inline real gelu_tanh_slope(real x) {
    const real k = (real)SQRT_2_OVER_PI, c = (real)TANH_CUBIC;
    const real x2 = x * x, two_u = 2 * k * (x + c * x2 * x);
    const real s = (real)1 / ((real)1 + real_exp(-two_u)), one_minus_s = (real)1 / ((real)1 + real_exp(two_u));
    return s + 2 * x * s * one_minus_s * k * ((real)1 + 3 * c * x2);
}

/* dout, in [n]; adds dout * GELU'(in) into din [n] (in place when din == dout, see ops.h) */
OPS_VECTOR_CLONES
void gelu_backward(real *din, const real *dout, const real *in, size_t n, bool tanh_form) {
    if (!din) return;
    const bool in_place = din == dout;
    if (tanh_form && in_place) {
#pragma omp parallel for schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)
        for (size_t i = 0; i < n; i++) din[i] *= gelu_tanh_slope(in[i]);
    } else if (tanh_form) {
#pragma omp parallel for schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)
        for (size_t i = 0; i < n; i++) din[i] += dout[i] * gelu_tanh_slope(in[i]);
    } else if (in_place) {
#pragma omp parallel for schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)
        for (size_t i = 0; i < n; i++) din[i] *= gelu_erf_slope(in[i]);
    } else {
#pragma omp parallel for schedule(dynamic, OPS_ELEMENT_CHUNK) if (n >= OPS_PARALLEL_MIN)
        for (size_t i = 0; i < n; i++) din[i] += dout[i] * gelu_erf_slope(in[i]);
    }
}

/* ---- as a layer (erf form, or the tanh approximation with gelu_tanh) ---- */

static void gelu_layer_forward(Model *m, const Layer *l, int B, bool training) {
    (void)training;
    gelu_forward(slot_values(m, l->out), slot_values(m, l->in), slot_count_for(m, l->in, B), l->gelu_tanh);
}

static void gelu_layer_backward(Model *m, const Layer *l, int B, GradMode din_mode) {
    (void)din_mode;
    gelu_backward(slot_grad(m, l->in), slot_grad(m, l->out), slot_values(m, l->in), slot_count_for(m, l->in, B),
                  l->gelu_tanh);
}

static int gelu_case_0(ModelBuilder *mb, int x) {
    return builder_gelu(mb, x, false);
}

static int gelu_case_1(ModelBuilder *mb, int x) {
    return builder_gelu(mb, x, true);
}

static const OpCheckCase GELU_CASES[] = {
    {"GELU (erf)", 3, 4, 4, gelu_case_0},
    {"GELU (tanh)", 3, 4, 4, gelu_case_1},
};

const OpDescriptor OP_GELU = {.name = "gelu", .forward = gelu_layer_forward, .backward = gelu_layer_backward,
                              .backward_skips_output = true,
                              .grad_in_place = true,
                              OP_CHECK_CASES(GELU_CASES)};
