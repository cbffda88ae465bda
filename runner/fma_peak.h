/* The machine's limit for the engine: the multiply-add rate of a register-resident FMA loop in the widest
 * vector ISA the engine's kernels use on this CPU (AVX-512 where the CPU has it, else AVX2 + FMA), on a given
 * number of threads. It is the physical ceiling that `cohort bench` compares a training step against, the
 * same whatever kernel OpenBLAS was told to run. */
#ifndef COHORT_FMA_PEAK_H
#define COHORT_FMA_PEAK_H

typedef struct {
    double gflops;     /* best of the rounds: 2 FLOPs per lane per FMA, all threads together */
    int threads;
    const char *isa;   /* "AVX-512", "AVX2+FMA" or "scalar" */
} FmaPeak;

/* Measures for about `seconds` in total (several rounds; the best round counts: the limit is what the
 * machine can do, and a neighbour's load only ever lowers a round). */
FmaPeak fma_peak_measure(int threads, double seconds);

#endif
