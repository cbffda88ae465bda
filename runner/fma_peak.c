/* A register-resident FMA loop: ACCUMULATORS independent chains of vector FMAs, enough to cover the FMA
 * latency (4-5 cycles) times the FMA ports (2) with room to spare, so the loop runs at the ports' throughput and
 * touches no memory. Each thread runs the same count; the rate is every thread's FMAs over the wall time of the
 * whole parallel region (the slowest thread counts, as in a training step). */
#include "fma_peak.h"
#include "monotonic_clock.h"

#include <immintrin.h>
#include <omp.h>
#include <time.h>

#define ACCUMULATORS 12

/* Each FMA x = x * m + a with m slightly below 1 and a small: the values stay finite and normal for any
 * count (they settle at a / (1 - m)), so no denormal slows a lane. Returns a sum the caller keeps, so the
 * compiler cannot drop the loop. */
#define FMA_LOOP(NAME, TARGET, VEC, SET1, FMADD, ADD, LANES, REDUCE)                                            \
    TARGET static float NAME(long iterations) {                                                                \
        VEC x[ACCUMULATORS];                                                                                   \
        const VEC m = SET1(0.999999f), a = SET1(1e-6f);                                                        \
        for (int i = 0; i < ACCUMULATORS; i++) x[i] = SET1((float)i);                                          \
        for (long n = 0; n < iterations; n++) {                                                                \
            for (int i = 0; i < ACCUMULATORS; i++) x[i] = FMADD(x[i], m, a);                                   \
        }                                                                                                      \
        VEC sum = x[0];                                                                                        \
        for (int i = 1; i < ACCUMULATORS; i++) sum = ADD(sum, x[i]);                                           \
        return REDUCE(sum);                                                                                    \
    }

static inline __attribute__((target("avx512f"))) float reduce512(__m512 v) { return _mm512_reduce_add_ps(v); }
static inline __attribute__((target("avx2,fma"))) float reduce256(__m256 v) {
    float lanes[8];
    _mm256_storeu_ps(lanes, v);
    float s = 0;
    for (int i = 0; i < 8; i++) s += lanes[i];
    return s;
}
static inline float scalar_fma(float x, float m, float a) { return x * m + a; }
static inline float scalar_add(float x, float y) { return x + y; }
static inline float scalar_set1(float v) { return v; }
static inline float scalar_reduce(float v) { return v; }

FMA_LOOP(fma_avx512, __attribute__((target("avx512f"))), __m512, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps, 16,
         reduce512)
FMA_LOOP(fma_avx2, __attribute__((target("avx2,fma"))), __m256, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps, 8,
         reduce256)
FMA_LOOP(fma_scalar, , float, scalar_set1, scalar_fma, scalar_add, 1, scalar_reduce)

typedef float (*FmaLoop)(long);

/* One round: every thread runs `iterations`; returns the wall seconds of the region. */
static double round_seconds(FmaLoop loop, int threads, long iterations, volatile float *sink) {
    double start = monotonic_seconds();
#pragma omp parallel num_threads(threads)
    {
        float kept = loop(iterations);
        if (kept == 12345.0f) *sink = kept; /* never true; keeps the result live */
    }
    return monotonic_seconds() - start;
}

FmaPeak fma_peak_measure(int threads, double seconds) {
    FmaPeak peak = {.threads = threads < 1 ? 1 : threads, .isa = "scalar"};
    FmaLoop loop = fma_scalar;
    int lanes = 1;
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f")) {
        loop = fma_avx512, lanes = 16, peak.isa = "AVX-512";
    } else if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) {
        loop = fma_avx2, lanes = 8, peak.isa = "AVX2+FMA";
    }
    volatile float sink = 0;
    /* calibrate: grow the count until a round takes 20 ms, then size rounds to a tenth of the budget */
    long iterations = 1 << 12;
    double t = 0;
    while ((t = round_seconds(loop, peak.threads, iterations, &sink)) < 0.02 && iterations < (1L << 40))
        iterations *= 2;
    const double round_target = seconds > 0 ? seconds / 10 : 0.05;
    if (t > 0) iterations = (long)((double)iterations * round_target / t) + 1;
    const double flops_per_round = 2.0 * lanes * ACCUMULATORS * (double)iterations * peak.threads;
    for (double spent = 0; spent < seconds || peak.gflops == 0;) {
        t = round_seconds(loop, peak.threads, iterations, &sink);
        spent += t;
        if (t > 0 && flops_per_round / t * 1e-9 > peak.gflops) peak.gflops = flops_per_round / t * 1e-9;
    }
    return peak;
}
