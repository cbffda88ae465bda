/* gemm_bench: the engine's AVX-512 GEMM against OpenBLAS's sgemm (the kernel OPENBLAS_CORETYPE selects), one
 * thread, on the products the models run (ViT's linear layers per 512-row chunk, VGG's and ResNet's convolution
 * backward tiles) and a square one. Alternating rounds; prints the median GFLOP/s of each and their ratio, and
 * the largest difference between the two results relative to the largest |value|.
 *   build/bench/gemm_bench [rounds]     (docs/benchmarks.md) */
#include <cblas.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "gemm_engine.h"

typedef struct {
    const char *what;
    bool ta, tb;
    int M, N, K;
} Shape;

static const Shape SHAPES[] = {
    {"vit qkv forward (x W^T)", false, true, 512, 576, 192},
    {"vit fc1 forward", false, true, 512, 384, 192},
    {"vit fc2 forward", false, true, 512, 192, 384},
    {"vit fc1 input grad (dy W)", false, false, 512, 192, 384},
    {"vit qkv weight grad (dy^T x)", true, false, 576, 192, 1024},
    {"vgg 512ch weight grad tile", false, true, 512, 768, 512},
    {"vgg 512ch input grad tile", true, false, 768, 512, 512},
    {"square 768", false, false, 768, 768, 768},
};

static double seconds(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static int compare_doubles(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static float *random_matrix(size_t n, unsigned seed) {
    float *m = malloc(n * sizeof(float));
    for (size_t i = 0; i < n; i++) {
        seed = seed * 1664525u + 1013904223u;
        m[i] = (float)((double)(seed >> 8) / 16777216.0 - 0.5);
    }
    return m;
}

int main(int argc, char **argv) {
    const int rounds = argc > 1 ? atoi(argv[1]) : 7;
    if (!gemm_engine_available()) {
        fprintf(stderr, "gemm_bench: this CPU has no AVX-512F, the engine's GEMM does not run here\n");
        return 1;
    }
    omp_set_num_threads(1);
    const char *coretype = getenv("OPENBLAS_CORETYPE");
    printf("OpenBLAS %s, OPENBLAS_CORETYPE=%s; %d alternating rounds, one thread\n", openblas_get_config(),
           coretype ? coretype : "(unset)", rounds);
    printf("%-30s %5s %5s %5s %10s %10s %7s %9s\n", "product", "M", "N", "K", "engine", "OpenBLAS", "ratio",
           "max diff");
    for (size_t s = 0; s < sizeof SHAPES / sizeof SHAPES[0]; s++) {
        const Shape *sh = &SHAPES[s];
        const int lda = sh->ta ? sh->M : sh->K, ldb = sh->tb ? sh->K : sh->N;
        float *A = random_matrix((size_t)sh->M * sh->K, 1u + (unsigned)s), *B = random_matrix((size_t)sh->K * sh->N, 7u);
        float *C1 = calloc((size_t)sh->M * sh->N, sizeof(float)), *C2 = calloc((size_t)sh->M * sh->N, sizeof(float));
        double engine[64], blas[64];
        const double flops = 2.0 * sh->M * (double)sh->N * sh->K;
        const int n = rounds < 64 ? rounds : 64;
        for (int r = 0; r < n; r++) {
            int reps = 0;
            double t0 = seconds();
            do gemm_engine(sh->ta, sh->tb, sh->M, sh->N, sh->K, 1, A, lda, B, ldb, 0, C1, sh->N);
            while (++reps < 3 || seconds() - t0 < 0.05);
            engine[r] = flops * reps / (seconds() - t0) * 1e-9;
            reps = 0;
            t0 = seconds();
            do cblas_sgemm(CblasRowMajor, sh->ta ? CblasTrans : CblasNoTrans, sh->tb ? CblasTrans : CblasNoTrans,
                           sh->M, sh->N, sh->K, 1, A, lda, B, ldb, 0, C2, sh->N);
            while (++reps < 3 || seconds() - t0 < 0.05);
            blas[r] = flops * reps / (seconds() - t0) * 1e-9;
        }
        double diff = 0, largest = 0;
        for (size_t i = 0; i < (size_t)sh->M * sh->N; i++) {
            diff = fmax(diff, fabs((double)C1[i] - C2[i]));
            largest = fmax(largest, fabs((double)C2[i]));
        }
        qsort(engine, (size_t)n, sizeof(double), compare_doubles);
        qsort(blas, (size_t)n, sizeof(double), compare_doubles);
        printf("%-30s %5d %5d %5d %10.1f %10.1f %6.2fx %9.1e\n", sh->what, sh->M, sh->N, sh->K, engine[n / 2],
               blas[n / 2], engine[n / 2] / blas[n / 2], diff / largest);
        free(A), free(B), free(C1), free(C2);
    }
    return 0;
}
