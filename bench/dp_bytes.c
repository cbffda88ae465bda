/* Bytes a data-parallel step moves, per model: what each rank contributes to the step's allreduces
 * (trainer/data_parallel.h) — the fixed-point gradient (8 bytes per parameter), the per-shard rows (loss,
 * objective, correct count and the BN running statistics, 8 bytes each, one row per micro-batch) and the
 * block exponents (4 bytes per 1024 parameters, plus two flags).
 *   build/bench/dp_bytes [--batch 128] [--micro 32] [--input 3x32x32] [--classes 100] MODEL...
 * Prints a Markdown table: parameters, BN statistics, shards and bytes per step. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "data_parallel.h"
#include "model.h"

int main(int argc, char **argv) {
    int batch = 128, micro = 32, classes = 100, C = 3, H = 32, W = 32;
    int first_model = 1;
    for (; first_model < argc && !strncmp(argv[first_model], "--", 2); first_model += 2) {
        if (first_model + 1 >= argc) return 2;
        const char *flag = argv[first_model], *value = argv[first_model + 1];
        if (!strcmp(flag, "--batch")) batch = atoi(value);
        else if (!strcmp(flag, "--micro")) micro = atoi(value);
        else if (!strcmp(flag, "--classes")) classes = atoi(value);
        else if (!strcmp(flag, "--input") && sscanf(value, "%dx%dx%d", &C, &H, &W) == 3) {
        } else {
            fprintf(stderr, "dp_bytes: unknown flag %s\n", flag);
            return 2;
        }
    }
    const int shards = (batch + micro - 1) / micro;
    printf("| model | parameters | BN statistics | shards | gradient bytes | row bytes | exponent bytes | total MB/step |\n");
    printf("|---|---:|---:|---:|---:|---:|---:|---:|\n");
    for (int i = first_model; i < argc; i++) {
        TrainConfig cfg;
        train_config_defaults(&cfg);
        Model *m;
        char err[ERR_LEN];
        if (model_create(&m, argv[i], &cfg, C, H, W, classes, 1, 0, err)) {
            fprintf(stderr, "dp_bytes: %s\n", err);
            return 1;
        }
        const double gradient = 8.0 * (double)m->param_count;
        const double rows = 8.0 * shards * (3.0 + (double)m->buffer_count);
        const double exponents = 4.0 * ((double)((m->param_count + GRAD_BLOCK - 1) / GRAD_BLOCK) + 2);
        printf("| %s | %zu | %zu | %d | %.0f | %.0f | %.0f | %.2f |\n", argv[i], m->param_count, m->buffer_count,
               shards, gradient, rows, exponents, (gradient + rows + exponents) / 1e6);
        model_free(m);
    }
    return 0;
}
