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
/* stride 2: output planes up to 32x32, each vector's 16 input positions kept as indices */
#define DEPTHWISE_MAX_STRIDED_VECTORS 64

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

static bool same_stride_one(const ConvShape *s) {
    return s->stride == 1 && 2 * s->pad_h == s->KH - 1 && 2 * s->pad_w == s->KW - 1 && s->OH == s->H &&
           s->OW == s->W;
}

bool depthwise_planes_apply(const ConvShape *s) {
    const int out_plane = s->OH * s->OW;
    const int plane_limit = s->stride == 1 ? DEPTHWISE_MAX_PLANE : 16 * DEPTHWISE_MAX_STRIDED_VECTORS;
    return ops_cpu_has_avx512() && (same_stride_one(s) || s->stride == 2) && out_plane > 0 && out_plane % 16 == 0 &&
           out_plane <= plane_limit && s->KH * s->KW <= DEPTHWISE_MAX_TAPS && s->C == s->OC;
}

/* Where each tap reads, per vector q of output pixels: the input pixel (oh*stride + kh - pad_h, ow*stride + kw -
 * pad_w) is at first_input[q] lane i + shift[t] in its plane (first_input: the output pixel's kh = pad_h,
 * kw = pad_w position; stride 1 only needs q*16 + i), valid where lanes[t][q] bit i is set. */
typedef struct {
    int taps, vectors; /* vectors of output pixels per plane */
    ptrdiff_t shift[DEPTHWISE_MAX_TAPS];
    __mmask16 lanes[DEPTHWISE_MAX_TAPS][DEPTHWISE_MAX_PLANE / 16];
    int32_t first_input[DEPTHWISE_MAX_STRIDED_VECTORS][16]; /* stride 2 only */
} PlaneTaps;

static void plane_taps(PlaneTaps *pt, const ConvShape *s) {
    pt->taps = s->KH * s->KW;
    pt->vectors = s->OH * s->OW / 16;
    for (int t = 0; t < pt->taps; t++) {
        const int dh = t / s->KW - s->pad_h, dw = t % s->KW - s->pad_w;
        pt->shift[t] = (ptrdiff_t)dh * s->W + dw;
        for (int q = 0; q < pt->vectors; q++) {
            unsigned bits = 0;
            for (int i = 0; i < 16; i++) {
                const int p = 16 * q + i;
                const int ih = p / s->OW * s->stride + dh, iw = p % s->OW * s->stride + dw;
                if (ih >= 0 && ih < s->H && iw >= 0 && iw < s->W) bits |= 1u << i;
            }
            pt->lanes[t][q] = (__mmask16)bits;
        }
    }
    if (s->stride != 1)
        for (int q = 0; q < pt->vectors; q++)
            for (int i = 0; i < 16; i++) {
                const int p = 16 * q + i;
                pt->first_input[q][i] = p / s->OW * s->stride * s->W + p % s->OW * s->stride;
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

/* stride 2: tap t of output vector q, gathered (lanes off where the tap reads padding) */
__attribute__((target("avx512f"))) static inline __m512i strided_index(const PlaneTaps *pt, int t, int q) {
    return _mm512_add_epi32(_mm512_loadu_si512(pt->first_input[q]), _mm512_set1_epi32((int)pt->shift[t]));
}

__attribute__((target("avx512f"))) static inline __m512 strided_tap(const real *plane, const PlaneTaps *pt, int t,
                                                                     int q) {
    return _mm512_mask_i32gather_ps(_mm512_setzero_ps(), pt->lanes[t][q], strided_index(pt, t, q), plane, 4);
}

__attribute__((target("avx512f"))) static void forward_plane_strided(real *y, const real *x, const real *w,
                                                                      real bias, const PlaneTaps *pt) {
    for (int q = 0; q < pt->vectors; q++) {
        __m512 acc = _mm512_set1_ps(bias);
        for (int t = 0; t < pt->taps; t++) acc = _mm512_fmadd_ps(_mm512_set1_ps(w[t]), strided_tap(x, pt, t, q), acc);
        _mm512_storeu_ps(y + 16 * q, acc);
    }
}

void depthwise_planes_forward(real *out, const real *in, const real *weight, const real *bias, const ConvShape *s) {
    PlaneTaps pt;
    plane_taps(&pt, s);
    const size_t plane = (size_t)s->H * s->W, out_plane = (size_t)s->OH * s->OW;
    const int planes = s->C * s->B;
#pragma omp parallel for schedule(dynamic, 4) if ((size_t)planes * out_plane * pt.taps >= OPS_PARALLEL_MIN)
    for (int p = 0; p < planes; p++) {
        const int c = p / s->B;
        if (s->stride == 1)
            forward_plane(out + (size_t)p * out_plane, in + (size_t)p * plane, weight + (size_t)c * pt.taps,
                          bias ? bias[c] : 0, &pt);
        else
            forward_plane_strided(out + (size_t)p * out_plane, in + (size_t)p * plane, weight + (size_t)c * pt.taps,
                                  bias ? bias[c] : 0, &pt);
    }
}

/* dweight[t] += the 16 lanes of lanes[t], in order */
__attribute__((target("avx512f"))) static void add_lane_sums(real *dweight, const __m512 *lanes, int taps) {
    for (int t = 0; t < taps; t++) {
        float values[16];
        _mm512_storeu_ps(values, lanes[t]);
        real sum = 0;
        for (int i = 0; i < 16; i++) sum += values[i];
        dweight[t] += sum;
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
    if (dweight) add_lane_sums(dweight, dw_lanes, pt->taps);
}

/* stride 2, one channel: each output pixel's tap t adds into one input pixel, distinct within a vector (the
 * stride keeps them apart), so din is gathered, added to and scattered back tap by tap, in (q, t) order. */
__attribute__((target("avx512f"))) static void backward_channel_strided(real *din, real *dweight, const real *dout,
                                                                         const real *in, const real *w, int images,
                                                                         size_t plane, size_t out_plane,
                                                                         const PlaneTaps *pt) {
    __m512 dw_lanes[DEPTHWISE_MAX_TAPS];
    for (int t = 0; t < pt->taps; t++) dw_lanes[t] = _mm512_setzero_ps();
    for (int b = 0; b < images; b++) {
        const real *dy = dout + (size_t)b * out_plane, *x = in + (size_t)b * plane;
        real *dx = din ? din + (size_t)b * plane : NULL;
        for (int q = 0; q < pt->vectors; q++) {
            const __m512 g = _mm512_loadu_ps(dy + 16 * q);
            for (int t = 0; t < pt->taps; t++) {
                const __mmask16 lanes = pt->lanes[t][q];
                const __m512i index = strided_index(pt, t, q);
                if (dx) {
                    const __m512 current = _mm512_mask_i32gather_ps(_mm512_setzero_ps(), lanes, index, dx, 4);
                    _mm512_mask_i32scatter_ps(dx, lanes, index, _mm512_fmadd_ps(_mm512_set1_ps(w[t]), g, current), 4);
                }
                if (dweight)
                    dw_lanes[t] = _mm512_fmadd_ps(g, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), lanes, index, x, 4),
                                                  dw_lanes[t]);
            }
        }
    }
    if (dweight) add_lane_sums(dweight, dw_lanes, pt->taps);
}

void depthwise_planes_backward(real *din, real *dweight, const real *dout, const real *in, const real *weight,
                               const ConvShape *s) {
    PlaneTaps pt;
    plane_taps(&pt, s);
    const size_t plane = (size_t)s->H * s->W, out_plane = (size_t)s->OH * s->OW;
    const size_t channel = (size_t)s->B * plane, out_channel = (size_t)s->B * out_plane;
#pragma omp parallel for schedule(dynamic, 1) if ((size_t)s->C * out_channel * pt.taps >= OPS_PARALLEL_MIN)
    for (int c = 0; c < s->C; c++) {
        real *dx = din ? din + (size_t)c * channel : NULL, *dw = dweight ? dweight + (size_t)c * pt.taps : NULL;
        if (s->stride == 1)
            backward_channel(dx, dw, dout + (size_t)c * out_channel, in + (size_t)c * channel,
                             weight + (size_t)c * pt.taps, s->B, &pt);
        else
            backward_channel_strided(dx, dw, dout + (size_t)c * out_channel, in + (size_t)c * channel,
                                     weight + (size_t)c * pt.taps, s->B, plane, out_plane, &pt);
    }
}

#endif
