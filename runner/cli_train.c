/* cohort train: one run from flags, metrics printed per epoch. */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "config.h"
#include "data.h"
#include "openblas_env.h"
#include "train.h"
#include "trial.h"

static void print_help(void) {
    printf("usage: cohort train [--KEY VALUE ...] [--checkpoint FILE [--resume]] [--verbose]\n\n"
           "Trains one run and prints each epoch's metrics.\n"
           "  --checkpoint FILE  write a checkpoint after every epoch (atomically: FILE.tmp, then rename)\n"
           "  --resume           continue from FILE when it exists; the run ends bit-identical to one never\n"
           "                     stopped. A checkpoint of other settings or a corrupt one is refused.\n"
           "  SIGTERM / SIGUSR1  checkpoint at the next batch and exit with code 3 (resume to continue)\n\n"
           "Settings:\n");
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

static volatile sig_atomic_t preempt_requested = 0;
static void request_preempt(int sig) {
    (void)sig;
    preempt_requested = 1;
}

static void print_resumed(int epochs_done, const EpochMetrics *history, void *user) {
    (void)history, (void)user;
    printf("resumed after epoch %d from the checkpoint\n", epochs_done);
}

int cli_train(int argc, char **argv) {
    TrainConfig cfg;
    train_config_defaults(&cfg);
    char err[ERR_LEN];
    int verbose = 0, resume = 0;
    const char *checkpoint = NULL;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            print_help();
            return EXIT_OK;
        }
        if (!strcmp(argv[i], "--verbose")) {
            verbose = 1;
            continue;
        }
        if (!strcmp(argv[i], "--resume")) {
            resume = 1;
            continue;
        }
        if (!strcmp(argv[i], "--checkpoint") && i + 1 < argc) {
            checkpoint = argv[++i];
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
    if (resume && !checkpoint) {
        fprintf(stderr, "cohort train: --resume needs --checkpoint FILE\n");
        return EXIT_BAD_INPUT;
    }
    if (verbose) fprintf(stderr, "%s\n", openblas_core_note());
    DataSplits data;
    if (data_load(&data, &cfg, err)) {
        fprintf(stderr, "cohort train: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    cfg.threads = trial_threads(&cfg, 1);
    TrainHooks hooks = {.on_start = print_start, .on_epoch = print_epoch, .on_resume = print_resumed, .user = &cfg,
                        .checkpoint_path = checkpoint, .resume = resume, .preempt = &preempt_requested};
    struct sigaction sa = {.sa_handler = request_preempt};
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGUSR1, &sa, NULL);
    TrainResult result;
    int rc = train_run(&cfg, &data, &hooks, &result, err);
    data_free(&data);
    if (rc) {
        fprintf(stderr, "cohort train: %s\n", err);
        return EXIT_RUNTIME;
    }
    if (result.outcome == TRAIN_PREEMPTED) {
        fprintf(stderr, "cohort train: preempted; checkpoint %s (run again with --resume)\n",
                checkpoint ? checkpoint : "not written (no --checkpoint)");
        return EXIT_PREEMPTED;
    }
    return EXIT_OK;
}
