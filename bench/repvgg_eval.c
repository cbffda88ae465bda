/* Evaluation-mode throughput of a RepVGG in its training-time form against its re-parameterised deploy form, side
 * by side in one process (the same input, batch and threads; rounds alternate the two), with the deploy model's
 * parameters folded from the training-time one (repvgg_reparameterise).
 *   build/bench/repvgg_eval [MODEL [SIDE [BATCH [THREADS]]]]     (default repvgg_a0 32 128 2; 100 classes) */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "model.h"
#include "threads.h"

#define ROUNDS 5
#define PASSES 5

static double seconds_now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

int main(int argc, char **argv) {
    const char *name = argc > 1 ? argv[1] : "repvgg_a0";
    const int side = argc > 2 ? atoi(argv[2]) : 32, batch = argc > 3 ? atoi(argv[3]) : 128;
    engine_set_threads(argc > 4 ? atoi(argv[4]) : 2);
    TrainConfig cfg;
    train_config_defaults(&cfg);
    char err[ERR_LEN];
    Model *m[2] = {NULL, NULL};
    for (int deploy = 0; deploy < 2; deploy++) {
        cfg.deploy = deploy ? 1 : -1;
        if (model_create(&m[deploy], name, &cfg, 3, side, side, 100, batch, 1, err)) {
            fprintf(stderr, "repvgg_eval: %s\n", err);
            return 2;
        }
    }
    if (repvgg_reparameterise(m[0], m[1], err)) {
        fprintf(stderr, "repvgg_eval: %s\n", err);
        return 2;
    }
    const size_t n = (size_t)3 * side * side * batch;
    real *x = malloc(n * sizeof(real));
    for (size_t i = 0; i < n; i++) x[i] = (real)((double)(i * 7919 % 1000) / 500.0 - 1.0);
    printf("%s, 3x%dx%d, batch %d, %d threads: evaluation-mode images/s, %d passes a round\n", name, side, side, batch,
           engine_threads(), PASSES);
    for (int round = 0; round < ROUNDS; round++) {
        double ips[2];
        for (int k = 0; k < 2; k++) {
            const int d = round % 2 ? 1 - k : k;
            model_forward(m[d], x, batch, false);
            const double t0 = seconds_now();
            for (int p = 0; p < PASSES; p++) model_forward(m[d], x, batch, false);
            ips[d] = PASSES * batch / (seconds_now() - t0);
        }
        printf("  round %d: training-time form (%zu parameters) %.1f, deploy form (%zu) %.1f, ratio %.2f\n", round + 1,
               m[0]->param_count, ips[0], m[1]->param_count, ips[1], ips[1] / ips[0]);
    }
    free(x);
    model_free(m[0]);
    model_free(m[1]);
    return 0;
}
