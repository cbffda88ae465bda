/* exp and erf for the elementwise transformer ops (GELU, attention's softmax), written so that GCC
 * vectorises the loops that call them (libm's expf/erff are opaque calls, one element at a time, and took
 * a sixth of a ViT training step). Internal to trainer/ops/.
 *
 * Float build: range reduction + polynomial, accurate to a few float ulps -- real_exp relative error below
 * 3e-7 for x in [-87.3, 88.7] (0 below, as float denormals are not produced; infinity above),
 * real_erf_with_exp absolute error below 2e-7 (Abramowitz & Stegun 7.1.26, |error| <= 1.5e-7). Double build
 * (gradient checks): libm's exp and erf, exactly. */
#ifndef COHORT_OPS_FAST_MATH_H
#define COHORT_OPS_FAST_MATH_H

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "real.h"

#ifdef COHORT_REAL_DOUBLE

static inline real real_exp(real x) { return exp(x); }
/* erf(x), given e = exp(-x * x) (unused here) */
static inline real real_erf_with_exp(real x, real e) {
    (void)e;
    return erf(x);
}
#else

static inline float real_exp(float x) {
    /* x = k ln2 + r with k = round(x / ln2), |r| <= ln2 / 2: adding the shifter 1.5 * 2^23 rounds to an
     * integer, which is then the low bits of the sum's mantissa (read as bits, not converted). ln2 is split in
     * two so that k * ln2_hi is exact. There is no clamping of x in float: a float select followed by
     * arithmetic (or a float-to-int conversion) keeps GCC from vectorising under -ftrapping-math; k is
     * clamped as an integer instead. */
    const float shifter = 12582912.0f;
    const float shifted = x * 1.44269504088896341f + shifter;
    int32_t k_int;
    memcpy(&k_int, &shifted, sizeof k_int);
    k_int -= 0x4B400000; /* the bits of the shifter itself */
    const float k = shifted - shifter;
    const float r = (x - k * 0.693145751953125f) - k * 1.42860682030941723212e-6f;
    /* exp(r): Taylor to degree 7, truncation error < 0.35^8 / 8! = 5e-9 */
    float p = 1.0f / 5040.0f;
    p = p * r + 1.0f / 720.0f;
    p = p * r + 1.0f / 120.0f;
    p = p * r + 1.0f / 24.0f;
    p = p * r + 1.0f / 6.0f;
    p = p * r + 0.5f;
    p = p * r + 1.0f;
    p = p * r + 1.0f;
    /* times 2^k, built as a float's exponent bits: k <= -127 gives +0 (no denormals), k >= 128 infinity */
    k_int = k_int < -127 ? -127 : k_int;
    k_int = k_int > 128 ? 128 : k_int;
    const int32_t bits = (k_int + 127) << 23;
    float scale;
    memcpy(&scale, &bits, sizeof scale);
    return p * scale;
}

/* erf(x), given e = exp(-x * x): Abramowitz & Stegun 7.1.26 on |x|, sign restored */
static inline float real_erf_with_exp(float x, float e) {
    const float z = fabsf(x);
    const float t = 1.0f / (1.0f + 0.3275911f * z);
    float p = 1.061405429f;
    p = p * t - 1.453152027f;
    p = p * t + 1.421413741f;
    p = p * t - 0.284496736f;
    p = p * t + 0.254829592f;
    const float y = 1.0f - p * t * e;
    return copysignf(y, x);
}

#endif

#endif
