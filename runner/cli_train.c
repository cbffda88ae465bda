/* cohort train: one run from flags, metrics printed per epoch. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "data.h"
#include "openblas_env.h"
#include "train.h"
#include "trial.h"

static void print_help(void) {
    printf("usage: cohort train [--KEY VALUE ...] [--verbose]\n\n"
           "Trains one run and prints each epoch's metrics. Settings:\n");
    TrainConfig d;
    train_config_defaults(&d);
    for (int i = 0; i < train_config_key_count(); i++)
        printf("  --%-16s %s\n", train_config_key_name(i), train_config_key_help(i));
    printf("\nExample: cohort train --model lenet --dataset fashion-mnist --epochs 2 --lr 0.05\n");
}

static int print_epoch(const EpochMetrics *m, void *user) {
    (void)user;
    printf("epoch %3d  train loss %.4f  train top-1 %6.2f%%  test loss %.4f  test top-1 %6.2f%%  top-5 %6.2f%%",
           m->epoch, m->train_loss, m->train_top1, m->test_loss, m->test_top1, m->test_top5);
    if (m->val_top1 == m->val_top1) printf("  val top-1 %6.2f%%", m->val_top1);
    printf("  lr %.4g  %.0f img/s  %.1f s\n", m->lr, m->images_per_sec, m->wall_seconds);
    fflush(stdout);
    return 0;
}

static void print_start(int64_t params, void *user) {
    const TrainConfig *cfg = user;
    printf("model %s: %lld parameters; dataset %s; %d threads\n", cfg->model, (long long)params, cfg->dataset,
           cfg->threads);
}

int cli_train(int argc, char **argv) {
    TrainConfig cfg;
    train_config_defaults(&cfg);
    char err[ERR_LEN];
    int verbose = 0;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            print_help();
            return EXIT_OK;
        }
        if (!strcmp(argv[i], "--verbose")) {
            verbose = 1;
            continue;
        }
        if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
            fprintf(stderr, "cohort train: expected --KEY VALUE, got '%s' (see cohort train --help)\n", argv[i]);
            return EXIT_BAD_INPUT;
        }
        if (train_config_set(&cfg, argv[i] + 2, argv[i + 1], err)) {
            fprintf(stderr, "cohort train: --%s\n", err);
            return EXIT_BAD_INPUT;
        }
        i++;
    }
    if (train_config_validate(&cfg, err)) {
        fprintf(stderr, "cohort train: --%s\n", err);
        return EXIT_BAD_INPUT;
    }
    if (verbose) fprintf(stderr, "%s\n", openblas_core_note());
    DataSplits data;
    if (data_load(&data, &cfg, err)) {
        fprintf(stderr, "cohort train: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    cfg.threads = trial_threads(&cfg, 1);
    TrainHooks hooks = {.on_start = print_start, .on_epoch = print_epoch, .user = &cfg};
    TrainResult result;
    int rc = train_run(&cfg, &data, &hooks, &result, err);
    data_free(&data);
    if (rc) {
        fprintf(stderr, "cohort train: %s\n", err);
        return EXIT_RUNTIME;
    }
    return EXIT_OK;
}
