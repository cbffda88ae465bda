/* Vector-plane depthwise convolution (see depthwise_planes.h). Shapes: a plane is P = H*W pixels, P/16 vectors;
 * tap t = kh*KW + kw reads pixel p + shift[t] (shift[t] = (kh - pad_h)*W + kw - pad_w), lane-masked to the
 * pixels whose tap falls inside the plane. For a stride-1 'same' layer the input gradient is the convolution
 * of dout with the filter flipped in both axes, tap t' = taps-1-t, whose masks are tap t''s forward masks. */
#include "depthwise_planes.h"

#include <stdint.h>

#include <omp.h>

/* the largest plane and filter the path takes: their masks live on the stack (P/16 x taps 16-bit masks) */
#define DEPTHWISE_MAX_PLANE 4096
#define DEPTHWISE_MAX_TAPS 25

#ifdef COHORT_REAL_DOUBLE

bool depthwise_planes_apply(const ConvShape *s) {
    (void)s;
    return false;
}

void depthwise_planes_forward(real *out, const real *in, const real *weight, const real *bias, const ConvShape *s) {
    (void)out, (void)in, (void)weight, (void)bias, (void)s;
}

void depthwise_planes_backward(real *din, real *dweight, const real *dout, const real *in, const real *weight,
                               const ConvShape *s) {
    (void)din, (void)dweight, (void)dout, (void)in, (void)weight, (void)s;
}

#else

#include <immintrin.h>

bool depthwise_planes_apply(const ConvShape *s) {
    const int plane = s->H * s->W;
    return ops_cpu_has_avx512() && s->stride == 1 && 2 * s->pad_h == s->KH - 1 && 2 * s->pad_w == s->KW - 1 &&
           s->OH == s->H && s->OW == s->W && plane % 16 == 0 && plane <= DEPTHWISE_MAX_PLANE &&
           s->KH * s->KW <= DEPTHWISE_MAX_TAPS && s->C == s->OC;
}

typedef struct {
    int taps, vectors;
    ptrdiff_t shift[DEPTHWISE_MAX_TAPS];
    __mmask16 lanes[DEPTHWISE_MAX_TAPS][DEPTHWISE_MAX_PLANE / 16];
} PlaneTaps;

static void plane_taps(PlaneTaps *pt, const ConvShape *s) {
    pt->taps = s->KH * s->KW;
    pt->vectors = s->H * s->W / 16;
    for (int t = 0; t < pt->taps; t++) {
        const int dh = t / s->KW - s->pad_h, dw = t % s->KW - s->pad_w;
        pt->shift[t] = (ptrdiff_t)dh * s->W + dw;
        for (int q = 0; q < pt->vectors; q++) {
            unsigned bits = 0;
            for (int i = 0; i < 16; i++) {
                const int p = 16 * q + i, ih = p / s->W + dh, iw = p % s->W + dw;
                if (ih >= 0 && ih < s->H && iw >= 0 && iw < s->W) bits |= 1u << i;
            }
            pt->lanes[t][q] = (__mmask16)bits;
        }
    }
}

/* tap t of vector q of a plane: the 16 pixels at its shift, zero where it reads outside the plane (address
 * arithmetic in integers: masked-off lanes may lie outside the array) */
__attribute__((target("avx512f"))) static inline __m512 tap_vector(const real *plane, const PlaneTaps *pt, int t,
                                                                    int q, ptrdiff_t shift) {
    const uintptr_t at = (uintptr_t)plane + (uintptr_t)(16 * (ptrdiff_t)q + shift) * sizeof(real);
    return _mm512_maskz_loadu_ps(pt->lanes[t][q], (const void *)at);
}

__attribute__((target("avx512f"))) static void forward_plane(real *y, const real *x, const real *w, real bias,
                                                              const PlaneTaps *pt) {
    for (int q = 0; q < pt->vectors; q++) {
        __m512 acc = _mm512_set1_ps(bias);
        for (int t = 0; t < pt->taps; t++)
            acc = _mm512_fmadd_ps(_mm512_set1_ps(w[t]), tap_vector(x, pt, t, q, pt->shift[t]), acc);
        _mm512_storeu_ps(y + 16 * q, acc);
    }
}

void depthwise_planes_forward(real *out, const real *in, const real *weight, const real *bias, const ConvShape *s) {
    PlaneTaps pt;
    plane_taps(&pt, s);
    const size_t plane = (size_t)s->H * s->W;
    const int planes = s->C * s->B;
#pragma omp parallel for schedule(dynamic, 4) if ((size_t)planes * plane * pt.taps >= OPS_PARALLEL_MIN)
    for (int p = 0; p < planes; p++) {
        const int c = p / s->B;
        forward_plane(out + (size_t)p * plane, in + (size_t)p * plane, weight + (size_t)c * pt.taps,
                      bias ? bias[c] : 0, &pt);
    }
}

/* One channel: din planes += dout (*) flipped w; dw_lanes[t] += per lane, dout x input at tap t's shift. */
__attribute__((target("avx512f"))) static void backward_channel(real *din, real *dweight, const real *dout,
                                                                 const real *in, const real *w, int images,
                                                                 const PlaneTaps *pt) {
    const size_t plane = (size_t)pt->vectors * 16;
    __m512 dw_lanes[DEPTHWISE_MAX_TAPS];
    for (int t = 0; t < pt->taps; t++) dw_lanes[t] = _mm512_setzero_ps();
    for (int b = 0; b < images; b++) {
        const real *dy = dout + (size_t)b * plane, *x = in + (size_t)b * plane;
        if (din) {
            real *dx = din + (size_t)b * plane;
            for (int q = 0; q < pt->vectors; q++) {
                __m512 acc = _mm512_loadu_ps(dx + 16 * q);
                /* the flipped filter's tap t: weight w[taps-1-t], reading dout at shift[t] (= -shift[taps-1-t]),
                 * valid exactly where tap t's forward masks say */
                for (int t = 0; t < pt->taps; t++) {
                    const int flipped = pt->taps - 1 - t;
                    acc = _mm512_fmadd_ps(_mm512_set1_ps(w[flipped]), tap_vector(dy, pt, t, q, pt->shift[t]), acc);
                }
                _mm512_storeu_ps(dx + 16 * q, acc);
            }
        }
        if (dweight)
            for (int t = 0; t < pt->taps; t++) {
                __m512 acc = dw_lanes[t];
                for (int q = 0; q < pt->vectors; q++)
                    acc = _mm512_fmadd_ps(_mm512_loadu_ps(dy + 16 * q), tap_vector(x, pt, t, q, pt->shift[t]), acc);
                dw_lanes[t] = acc;
            }
    }
    if (dweight)
        for (int t = 0; t < pt->taps; t++) {
            float lanes[16];
            _mm512_storeu_ps(lanes, dw_lanes[t]);
            real sum = 0;
            for (int i = 0; i < 16; i++) sum += lanes[i];
            dweight[t] += sum;
        }
}

void depthwise_planes_backward(real *din, real *dweight, const real *dout, const real *in, const real *weight,
                               const ConvShape *s) {
    PlaneTaps pt;
    plane_taps(&pt, s);
    const size_t plane = (size_t)s->H * s->W, channel = (size_t)s->B * plane;
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)s->C * channel * pt.taps >= OPS_PARALLEL_MIN)
    for (int c = 0; c < s->C; c++)
        backward_channel(din ? din + (size_t)c * channel : NULL, dweight ? dweight + (size_t)c * pt.taps : NULL,
                         dout + (size_t)c * channel, in + (size_t)c * channel, weight + (size_t)c * pt.taps, s->B,
                         &pt);
}

#endif
