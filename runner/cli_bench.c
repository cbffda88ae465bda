/* cohort bench: training throughput of one model on synthetic input — forward, loss, backward and
 * optimiser step over whole mini-batches, timed after warm-up — with achieved GFLOP/s, peak resident
 * memory and the share of time per op kind. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "cli.h"
#include "monotonic_clock.h"
#include "eval_model.h"
#include "fma_peak.h"
#include "sgemm_rate.h"
#include "model.h"
#include "openblas_env.h"
#include "ops.h"
#include "optim.h"
#include "threads.h"

static const char HELP[] =
    "usage: cohort bench --model M [--batch 128] [--threads T] [--input 3x32x32] [--classes 100]\n"
    "                    [--steps 20] [--warmup 3] [--peak-seconds 1] [--eval] [--KEY VALUE ...] [--verbose]\n"
    "\n"
    "Trains M on random input for --steps mini-batches after --warmup ones and reports training images/s\n"
    "(forward + backward + optimiser step), achieved GFLOP/s (multiply-adds of convolutions and linear\n"
    "layers x2, forward and both backward products), peak resident memory, and the share of time per op\n"
    "kind; then the median, fastest and slowest step (on a shared machine the median is the steadier\n"
    "figure). First it measures the machine's limit for the same thread count: a register-resident FMA loop\n"
    "in the widest vector ISA the engine uses on this CPU, and the rate of the engine's matrix product (its\n"
    "AVX-512 GEMM, or OpenBLAS's sgemm on a CPU without AVX-512) on 1536^3 products cut into its tiles, each for --peak-seconds (0 skips both); the training GFLOP/s is then given as a\n"
    "share of each. --eval measures evaluation instead: forward passes only,\n"
    "in the evaluation form training and `cohort eval` use (batch norms folded into their convolutions, no\n"
    "gradient memory). Other --KEY VALUE pairs are trainer settings (e.g. --optimizer adamw, --dim 192).\n";

static int compare_doubles(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median_of(double *seconds, int n) {
    qsort(seconds, (size_t)n, sizeof(double), compare_doubles);
    return n % 2 ? seconds[n / 2] : 0.5 * (seconds[n / 2 - 1] + seconds[n / 2]);
}

typedef struct {
    FmaPeak fma;
    SgemmRate sgemm;
} Limits;

static void print_peak_share(const Limits *limits, double gflops, double median_gflops, const char *what) {
    const FmaPeak *peak = &limits->fma;
    if (peak->gflops <= 0) return;
    printf("FMA peak %.1f GFLOP/s (%s, %d thread%s)  %s at %.1f%% of it (median step: %.1f%%)\n", peak->gflops,
           peak->isa, peak->threads, peak->threads == 1 ? "" : "s", what, 100.0 * gflops / peak->gflops,
           100.0 * median_gflops / peak->gflops);
    const SgemmRate *sgemm = &limits->sgemm;
    if (sgemm->gflops <= 0) return;
    printf("sgemm %d^3 %.1f GFLOP/s (%s in the engine's tiles)  %s at %.1f%% of it (median step: %.1f%%)\n",
           sgemm->size, sgemm->gflops, sgemm->kernel, what, 100.0 * gflops / sgemm->gflops, 100.0 * median_gflops / sgemm->gflops);
}

/* Evaluation throughput: forward passes of the evaluation form over random images, after warm-up. */
static int bench_eval(Model *model, int batch, int steps, int warmup, int image_reals, const Limits *peak) {
    char err[ERR_LEN];
    EvalModel *eval;
    if (eval_model_create(&eval, model, batch, err)) {
        fprintf(stderr, "cohort bench: %s\n", err);
        return EXIT_RUNTIME;
    }
    const size_t n = (size_t)image_reals * batch;
    real *x = malloc(n * sizeof(real));
    double *step_seconds = malloc((size_t)steps * sizeof(double));
    if (!x || !step_seconds) {
        fprintf(stderr, "cohort bench: out of memory\n");
        free(x), free(step_seconds), eval_model_free(eval);
        return EXIT_RUNTIME;
    }
    Rng rng;
    rng_seed(&rng, 7);
    for (size_t i = 0; i < n; i++) x[i] = (real)rng_normal(&rng);
    Model *plan = eval_model_model(eval);
    double t0 = 0;
    for (int s = 0; s < warmup + steps; s++) {
        if (s == warmup) {
            model_profile_reset(plan);
            t0 = monotonic_seconds();
        }
        const double step_start = monotonic_seconds();
        eval_model_forward(eval, x, batch);
        if (s >= warmup) step_seconds[s - warmup] = monotonic_seconds() - step_start;
    }
    const double seconds = monotonic_seconds() - t0, median_step = median_of(step_seconds, steps);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    const double flops = model_forward_flops(plan, batch), gflops = flops * steps / seconds * 1e-9;
    const EvalModelStats stats = eval_model_stats(eval);
    printf("model %s (evaluation: %d batch norms folded, %.1f MiB of activations)  batch %d  threads %d  params %zu\n",
           model->name, stats.folded_batchnorms, stats.arena_reals * sizeof(real) / 1048576.0, batch, engine_threads(),
           model->param_count);
    printf("images/s %.1f  GFLOP/s %.1f  step %.1f ms  peak RSS %.1f MiB\n", (double)steps * batch / seconds, gflops,
           1e3 * seconds / steps, usage.ru_maxrss / 1024.0);
    printf("median step %.1f ms (%.1f images/s)  fastest %.1f ms  slowest %.1f ms\n", 1e3 * median_step,
           batch / median_step, 1e3 * step_seconds[0], 1e3 * step_seconds[steps - 1]);
    print_peak_share(peak, gflops, flops / median_step * 1e-9, "evaluation");
    model_profile_print(plan, stdout);
    free(x), free(step_seconds);
    eval_model_free(eval);
    return EXIT_OK;
}

int cli_bench(int argc, char **argv) {
    TrainConfig cfg;
    train_config_defaults(&cfg);
    strcpy(cfg.model, "");
    int batch = 128, threads = 0, C = 3, H = 32, W = 32, classes = 100, steps = 20, warmup = 3, verbose = 0;
    double peak_seconds = 1.0;
    int eval = 0;
    char err[ERR_LEN], tail;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(HELP, stdout);
            return EXIT_OK;
        }
        if (!strcmp(argv[i], "--verbose")) {
            verbose = 1;
            continue;
        }
        if (!strcmp(argv[i], "--eval")) {
            eval = 1;
            continue;
        }
        if (strncmp(argv[i], "--", 2) != 0 || i + 1 >= argc) {
            fprintf(stderr, "cohort bench: expected --KEY VALUE, got '%s'\n\n%s", argv[i], HELP);
            return EXIT_BAD_INPUT;
        }
        const char *key = argv[i] + 2, *value = argv[++i];
        int ok = 1;
        if (!strcmp(key, "batch")) ok = sscanf(value, "%d%c", &batch, &tail) == 1 && batch > 0;
        else if (!strcmp(key, "threads")) ok = sscanf(value, "%d%c", &threads, &tail) == 1 && threads >= 0;
        else if (!strcmp(key, "classes")) ok = sscanf(value, "%d%c", &classes, &tail) == 1 && classes > 1;
        else if (!strcmp(key, "steps")) ok = sscanf(value, "%d%c", &steps, &tail) == 1 && steps > 0;
        else if (!strcmp(key, "warmup")) ok = sscanf(value, "%d%c", &warmup, &tail) == 1 && warmup >= 0;
        else if (!strcmp(key, "peak-seconds"))
            ok = sscanf(value, "%lf%c", &peak_seconds, &tail) == 1 && peak_seconds >= 0 && peak_seconds <= 60;
        else if (!strcmp(key, "input")) /* 1..3 channels, as a run's images */
            ok = sscanf(value, "%dx%dx%d%c", &C, &H, &W, &tail) == 3 && C > 0 && C <= 3 && H > 0 && W > 0;
        else if (train_config_set(&cfg, key, value, err)) {
            fprintf(stderr, "cohort bench: --%s\n", err);
            return EXIT_BAD_INPUT;
        }
        if (!ok) {
            fprintf(stderr, "cohort bench: --%s: bad value '%s'\n", key, value);
            return EXIT_BAD_INPUT;
        }
    }
    if (!cfg.model[0]) {
        fprintf(stderr, "cohort bench: --model is required\n\n%s", HELP);
        return EXIT_BAD_INPUT;
    }
    /* the settings checked as a run's are (a value outside its choices, a model that does not fit the input),
     * on synthetic images of the benchmark's shape */
    strcpy(cfg.dataset, "synthetic");
    snprintf(cfg.input_shape, sizeof cfg.input_shape, "%dx%dx%d", C, H, W);
    cfg.classes = classes;
    if (train_config_validate(&cfg, err)) {
        fprintf(stderr, "cohort bench: --%s\n", err);
        return EXIT_BAD_INPUT;
    }
    engine_set_threads(threads);
    if (verbose) fprintf(stderr, "%s\n", openblas_core_note());
    /* before the model exists: the gauge's threads find the cores as the training step will */
    Limits peak = {0};
    if (peak_seconds > 0) {
        peak.fma = fma_peak_measure(engine_threads(), peak_seconds);
        peak.sgemm = sgemm_rate_measure(peak_seconds);
    }
    Model *model;
    /* --eval: the trained model only holds the parameters the evaluation form folds, so one image's arenas */
    if (model_create(&model, cfg.model, &cfg, C, H, W, classes, eval ? 1 : batch, 1, err)) {
        fprintf(stderr, "cohort bench: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    if (eval) {
        const int status = bench_eval(model, batch, steps, warmup, C * H * W, &peak);
        model_free(model);
        return status;
    }
    Optimizer opt;
    if (optimizer_init(&opt, &cfg, model, err)) {
        fprintf(stderr, "cohort bench: %s\n", err);
        model_free(model);
        return EXIT_BAD_INPUT;
    }
    size_t n = (size_t)C * H * W * batch;
    real *x = malloc(n * sizeof(real));
    real *probs = malloc((size_t)batch * classes * sizeof(real));
    int32_t *labels = malloc((size_t)batch * sizeof(int32_t));
    double *step_seconds = malloc((size_t)steps * sizeof(double)); /* each timed step's wall time */
    if (!x || !probs || !labels || !step_seconds) {
        fprintf(stderr, "cohort bench: out of memory\n");
        free(x), free(probs), free(labels), free(step_seconds), optimizer_free(&opt), model_free(model);
        return EXIT_RUNTIME;
    }
    Rng rng;
    rng_seed(&rng, 7);
    for (size_t i = 0; i < n; i++) x[i] = (real)rng_normal(&rng);
    for (int b = 0; b < batch; b++) labels[b] = (int32_t)rng_below(&rng, (uint32_t)classes);

    /* per-step wall times too: on a shared node a neighbour's burst lands in a few steps, and the median
     * step is what a quiet machine would give */
    double t0 = 0;
    for (int s = 0; s < warmup + steps; s++) {
        if (s == warmup) {
            model_profile_reset(model);
            t0 = monotonic_seconds();
        }
        const double step_start = monotonic_seconds();
        model_forward(model, x, batch, true);
        double objective;
        model_loss(model, probs, labels, batch, 0, &objective);
        model_loss_backward(model, probs, labels, batch, 0);
        optimizer_step(&opt, model, 0.01);
        if (s >= warmup) step_seconds[s - warmup] = monotonic_seconds() - step_start;
    }
    double seconds = monotonic_seconds() - t0;
    const double median_step = median_of(step_seconds, steps);
    struct rusage usage;
    getrusage(RUSAGE_SELF, &usage);
    double images_per_sec = (double)steps * batch / seconds;
    double gflops = 3.0 * model_forward_flops(model, batch) * steps / seconds * 1e-9;
    printf("model %s  input %dx%dx%d  classes %d  batch %d  threads %d  params %zu\n", cfg.model, C, H, W, classes,
           batch, engine_threads(), model->param_count);
    printf("images/s %.1f  GFLOP/s %.1f  step %.1f ms  peak RSS %.1f MiB\n", images_per_sec, gflops,
           1e3 * seconds / steps, usage.ru_maxrss / 1024.0);
    printf("median step %.1f ms (%.1f images/s)  fastest %.1f ms  slowest %.1f ms\n", 1e3 * median_step,
           batch / median_step, 1e3 * step_seconds[0], 1e3 * step_seconds[steps - 1]);
    print_peak_share(&peak, gflops, 3.0 * model_forward_flops(model, batch) / median_step * 1e-9, "training");
    const double mib = (double)sizeof(real) / (1024.0 * 1024.0);
    printf("arenas MiB: activations %.1f  activation gradients %.1f  saved %.1f  workspace %.1f  parameters %.1f "
           "(and as much for their gradients)\n",
           mib * (double)model->act_count, mib * (double)model->act_grad_count, mib * (double)model->saved_count,
           mib * (double)model->workspace_count, mib * (double)model->param_count);
    model_profile_print(model, stdout);
    free(step_seconds);
    free(x);
    free(probs);
    free(labels);
    optimizer_free(&opt);
    model_free(model);
    return EXIT_OK;
}
