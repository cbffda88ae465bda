/* cohort eval: a checkpoint on a dataset split: top-1, top-5, loss, per-class accuracy and the confusion matrix,
 * printed (table or --json) and, with --db, stored in the evaluations table for the reports. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "checkpoint_model.h"
#include "cli.h"
#include "eval_model.h"
#include "kept_best.h"
#include "config.h"
#include "data.h"
#include "ops.h"
#include "store.h"
#include "threads.h"
#include "train.h"
#include "trial.h"

static void print_help(void) {
    printf("usage: cohort eval --checkpoint FILE [--KEY VALUE ...] [--split test|val|train] [--json]\n"
           "       cohort eval --db PATH --run ID [--checkpoint FILE] [--KEY VALUE ...] [--split ...] [--json]\n\n"
           "Evaluates a trained checkpoint on a dataset split: top-1 and top-5 accuracy (%%), mean loss, each class's\n"
           "accuracy and the confusion matrix (rows: true class, columns: predicted class).\n"
           "  --checkpoint FILE  the checkpoint (a run's run-N.ckpt, run-N.best.ckpt, or cohort train's)\n"
           "  --db PATH --run ID take the run's settings from the results database, and its kept best checkpoint\n"
           "                     unless --checkpoint names another; the result is stored in the evaluations table\n"
           "                     (one row per run, checkpoint and split; the HTML report draws its confusion matrix)\n"
           "  --KEY VALUE        trainer settings (cohort train --help), over the run's: the model's settings must\n"
           "                     be the checkpoint's; --dataset, --data_dir, --test_limit ... choose the data.\n"
           "                     Without --db and --model the model is the checkpoint's\n"
           "  --split S          test (default), val (needs val_split) or train (without augmentation)\n"
           "  --json             one JSON object instead of the table\n"
           "  --logits N         with --json: also the first N images' model input ([N][C][H][W], normalised) and\n"
           "                     logits, e.g. to compare an exported model (bench/export_check.py)\n"
           "A checkpoint that is corrupt, missing or of another model, an unknown run or a run without a kept\n"
           "best checkpoint: a message naming the file or run, exit code 2, nothing stored.\n");
}

typedef struct {
    int images, classes;
    double top1, top5, loss;        /* %, %, mean */
    int64_t *confusion;             /* [classes][classes]: true class, predicted class */
} Evaluation;

/* The predicted class: the highest logit, the lowest index among equals (as true_class_rank ranks them). */
static int argmax(const real *logits, int classes) {
    int best = 0;
    for (int k = 1; k < classes; k++)
        if (logits[k] > logits[best] || (isnan(logits[best]) && !isnan(logits[k]))) best = k;
    return best;
}

static int evaluate(EvalModel *model, const Dataset *d, int batch, double smoothing, Evaluation *out, char *err) {
    const int K = d->classes;
    const size_t image = (size_t)d->channels * d->height * d->width;
    real *x = malloc(sizeof(real) * image * (size_t)batch);
    real *probs = malloc(sizeof(real) * (size_t)batch * K);
    int32_t *labels = malloc(sizeof(int32_t) * (size_t)batch), *order = malloc(sizeof(int32_t) * (size_t)batch);
    out->confusion = calloc((size_t)K * K, sizeof *out->confusion);
    if (!x || !probs || !labels || !order || !out->confusion) {
        free(x), free(probs), free(labels), free(order);
        return err_set(err, "out of memory for a batch of %d images", batch);
    }
    double loss_sum = 0;
    long top1 = 0, top5 = 0;
    for (int start = 0; start < d->count; start += batch) {
        const int B = d->count - start < batch ? d->count - start : batch;
        for (int b = 0; b < B; b++) order[b] = start + b;
        data_fill_batch(d, order, B, x, labels, NULL, NULL);
        const real *logits = eval_model_forward(model, x, B);
        loss_sum += softmax_xent_forward(probs, logits, labels, B, K, (real)smoothing) * B;
        for (int b = 0; b < B; b++) {
            const real *row = logits + (size_t)b * K;
            const int rank = true_class_rank(row, labels[b], K);
            top1 += rank < 1;
            top5 += rank < 5;
            out->confusion[(size_t)labels[b] * K + argmax(row, K)]++;
        }
    }
    out->images = d->count;
    out->classes = K;
    out->loss = loss_sum / d->count;
    out->top1 = 100.0 * (double)top1 / d->count;
    out->top5 = 100.0 * (double)top5 / d->count;
    free(x), free(probs), free(labels), free(order);
    return 0;
}

/* Class k's accuracy in %: its diagonal count over its row's total; NaN without images of class k. */
static double class_accuracy(const Evaluation *e, int k) {
    int64_t total = 0;
    for (int j = 0; j < e->classes; j++) total += e->confusion[(size_t)k * e->classes + j];
    return total ? 100.0 * (double)e->confusion[(size_t)k * e->classes + k] / (double)total : NAN;
}

static const char *class_name(const Dataset *d, int k, char buf[16]) {
    if (d->label_names && d->label_names[k][0]) return d->label_names[k];
    snprintf(buf, 16, "%d", k);
    return buf;
}

/* JSON texts of the per-class accuracies, the confusion rows and the class names, for --json and the store. */
static int eval_json(const Evaluation *e, const Dataset *d, char **per_class, char **confusion, char **names) {
    cJSON *pc = cJSON_CreateArray(), *cm = cJSON_CreateArray(), *nm = cJSON_CreateArray();
    for (int k = 0; k < e->classes; k++) {
        const double a = class_accuracy(e, k);
        cJSON_AddItemToArray(pc, isnan(a) ? cJSON_CreateNull() : cJSON_CreateNumber(a));
        cJSON *row = cJSON_CreateArray();
        for (int j = 0; j < e->classes; j++)
            cJSON_AddItemToArray(row, cJSON_CreateNumber((double)e->confusion[(size_t)k * e->classes + j]));
        cJSON_AddItemToArray(cm, row);
        char buf[16];
        cJSON_AddItemToArray(nm, cJSON_CreateString(class_name(d, k, buf)));
    }
    *per_class = cJSON_PrintUnformatted(pc);
    *confusion = cJSON_PrintUnformatted(cm);
    *names = cJSON_PrintUnformatted(nm);
    cJSON_Delete(pc), cJSON_Delete(cm), cJSON_Delete(nm);
    return *per_class && *confusion && *names ? 0 : -1;
}

/* The first n images of d as the model sees them and the logits it gives them: {"inputs": [...], "logits": [...]}
 * into o (evaluation mode, the batch at most the model's). */
static void add_logits(cJSON *o, EvalModel *model, const Dataset *d, int n, int batch) {
    if (n > d->count) n = d->count;
    if (n > batch) n = batch;
    const size_t image = (size_t)d->channels * d->height * d->width;
    real *x = malloc(sizeof(real) * image * (size_t)n);
    int32_t *labels = malloc(sizeof(int32_t) * (size_t)n), *order = malloc(sizeof(int32_t) * (size_t)n);
    if (!x || !labels || !order) {
        free(x), free(labels), free(order);
        return;
    }
    for (int b = 0; b < n; b++) order[b] = b;
    data_fill_batch(d, order, n, x, labels, NULL, NULL);
    cJSON *inputs = cJSON_AddArrayToObject(o, "inputs");
    /* x is [C][B][H][W]; the JSON is per image [C][H][W], flattened */
    const size_t plane = (size_t)d->height * d->width;
    for (int b = 0; b < n; b++) {
        cJSON *img = cJSON_CreateArray();
        for (int c = 0; c < d->channels; c++)
            for (size_t p = 0; p < plane; p++)
                cJSON_AddItemToArray(img, cJSON_CreateNumber(x[((size_t)c * n + b) * plane + p]));
        cJSON_AddItemToArray(inputs, img);
    }
    const real *logits = eval_model_forward(model, x, n);
    cJSON *out = cJSON_AddArrayToObject(o, "logits");
    for (int b = 0; b < n; b++) {
        cJSON *row = cJSON_CreateArray();
        for (int k = 0; k < d->classes; k++) cJSON_AddItemToArray(row, cJSON_CreateNumber(logits[(size_t)b * d->classes + k]));
        cJSON_AddItemToArray(out, row);
    }
    free(x), free(labels), free(order);
}

static void print_table(const Evaluation *e, const Dataset *d, const char *checkpoint, int epoch, const char *split) {
    cli_printf_safe("checkpoint %s (epoch %d), %s split of %s: %d images, %d classes\n", checkpoint, epoch, split, d->name,
                    e->images, e->classes);
    printf("top-1 %.2f %%  top-5 %.2f %%  loss %.4f\n\n", e->top1, e->top5, e->loss);
    printf("%-16s %8s %10s\n", "class", "images", "top-1 (%)");
    for (int k = 0; k < e->classes; k++) {
        int64_t total = 0;
        for (int j = 0; j < e->classes; j++) total += e->confusion[(size_t)k * e->classes + j];
        char buf[16], acc[32];
        const double a = class_accuracy(e, k);
        if (isnan(a)) snprintf(acc, sizeof acc, "-");
        else snprintf(acc, sizeof acc, "%.2f", a);
        cli_printf_safe("%-16.16s %8lld %10s\n", class_name(d, k, buf), (long long)total, acc);
    }
    printf("\nconfusion matrix (rows: true class, columns: predicted class)\n%6s", "");
    for (int j = 0; j < e->classes; j++) printf(" %6d", j);
    putchar('\n');
    for (int k = 0; k < e->classes; k++) {
        printf("%6d", k);
        for (int j = 0; j < e->classes; j++) printf(" %6lld", (long long)e->confusion[(size_t)k * e->classes + j]);
        putchar('\n');
    }
}

typedef struct {
    const char *checkpoint, *db, *split;
    int64_t run;
    int json, model_given, logits;
} EvalArgs;

/* Settings: defaults, then the run's (with --db), then the flags. Returns an exit code, 0 to go on. */
static int parse(int argc, char **argv, EvalArgs *a, TrainConfig *cfg, int *done) {
    char err[ERR_LEN];
    *done = 0;
    a->split = "test";
    a->run = -1;
    for (int i = 1; i < argc; i++)
        if (is_help(argv[i])) {
            print_help();
            *done = 1;
            return EXIT_OK;
        }
    /* first pass: our own flags (the run's settings come before the trainer flags) */
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(argv[i], "--json")) a->json = 1;
        else if (!strcmp(argv[i], "--checkpoint") && v) a->checkpoint = v, i++;
        else if (!strcmp(argv[i], "--db") && v) a->db = v, i++;
        else if (!strcmp(argv[i], "--split") && v) a->split = v, i++;
        else if (!strcmp(argv[i], "--logits") && v) {
            char *end;
            long n = strtol(v, &end, 10);
            if (*end || end == v || n < 1 || n > 4096) {
                fprintf(stderr, "cohort eval: --logits: expected a number of images in [1, 4096], got '%s'\n", v);
                return EXIT_BAD_INPUT;
            }
            a->logits = (int)n, i++;
        }
        else if (!strcmp(argv[i], "--run") && v) {
            char *end;
            long long id = strtoll(v, &end, 10);
            if (*end || end == v || id < 1) {
                fprintf(stderr, "cohort eval: --run: expected a run id (a positive integer), got '%s'\n", v);
                return EXIT_BAD_INPUT;
            }
            a->run = id, i++;
        } else if (strncmp(argv[i], "--", 2) == 0 && v) {
            a->model_given |= !strcmp(argv[i], "--model");
            i++;
        } else {
            fprintf(stderr, "cohort eval: expected --KEY VALUE, got '%s' (see cohort eval --help)\n", argv[i]);
            return EXIT_BAD_INPUT;
        }
    }
    if (strcmp(a->split, "test") && strcmp(a->split, "val") && strcmp(a->split, "train")) {
        fprintf(stderr, "cohort eval: --split: expected test, val or train, got '%s'\n", a->split);
        return EXIT_BAD_INPUT;
    }
    if (!a->db != (a->run < 0)) {
        fprintf(stderr, "cohort eval: --db and --run go together\n");
        return EXIT_BAD_INPUT;
    }
    if (!a->db && !a->checkpoint) {
        fprintf(stderr, "cohort eval: give --checkpoint FILE, or --db PATH --run ID (see cohort eval --help)\n");
        return EXIT_BAD_INPUT;
    }
    train_config_defaults(cfg);
    (void)err;
    return 0;
}

static int apply_flags(int argc, char **argv, TrainConfig *cfg) {
    char err[ERR_LEN];
    for (int i = 1; i + 1 < argc; i++) {
        const char *k = argv[i];
        if (!strcmp(k, "--json")) continue;
        if (!strcmp(k, "--checkpoint") || !strcmp(k, "--db") || !strcmp(k, "--split") || !strcmp(k, "--run") ||
            !strcmp(k, "--logits")) {
            i++;
            continue;
        }
        if (train_config_set(cfg, k + 2, argv[i + 1], err)) {
            fprintf(stderr, "cohort eval: --%s\n", err);
            return EXIT_BAD_INPUT;
        }
        i++;
    }
    if (train_config_validate(cfg, err)) {
        fprintf(stderr, "cohort eval: --%s\n", err);
        return EXIT_BAD_INPUT;
    }
    return 0;
}

int cli_eval(int argc, char **argv) {
    EvalArgs a = {0};
    TrainConfig cfg;
    int done, status = parse(argc, argv, &a, &cfg, &done);
    if (status || done) return status;
    char err[ERR_LEN] = "";
    Store *store = NULL;
    int writable = 0; /* store is open for writing */
    char checkpoint[4096] = "";
    if (a.checkpoint) snprintf(checkpoint, sizeof checkpoint, "%s", a.checkpoint);
    if (a.db && access(a.db, F_OK) != 0) {
        fprintf(stderr, "cohort eval: %s: no such results database\n", a.db);
        return EXIT_BAD_INPUT;
    }
    if (a.db) {
        char *config = NULL;
        /* read-only until there is a result to store: bad input writes nothing (a file at an older schema
         * version is opened for writing at once, which migrates it: storing needs the current schema) */
        if ((store_open_readonly(&store, a.db, err) && (!strstr(err, "older than this build") ||
                                                         (writable = 1, store_open(&store, a.db, err)))) ||
            store_run_config(store, a.run, &config, err) ||
            trial_config_from_text(config, &cfg, err)) {
            fprintf(stderr, "cohort eval: %s\n", err);
            free(config);
            if (store) store_close(store);
            return EXIT_BAD_INPUT;
        }
        free(config);
        if (!a.checkpoint && kept_best_checkpoint(store, a.db, a.run, checkpoint, sizeof checkpoint, err)) {
            fprintf(stderr, "cohort eval: %s\n", err);
            store_close(store);
            return EXIT_BAD_INPUT;
        }
    }
    CheckpointInfo info;
    if (checkpoint_info(checkpoint, &info, err)) { /* the model's name, when no flag or run gives it */
        fprintf(stderr, "cohort eval: %s\n", err);
        if (store) store_close(store);
        return EXIT_BAD_INPUT;
    }
    if (!a.db && !a.model_given) snprintf(cfg.model, sizeof cfg.model, "%s", info.model);
    if ((status = apply_flags(argc, argv, &cfg))) {
        if (store) store_close(store);
        return status;
    }
    DataSplits data;
    if (data_load(&data, &cfg, err)) {
        fprintf(stderr, "cohort eval: %s\n", err);
        if (store) store_close(store);
        return EXIT_BAD_INPUT;
    }
    const Dataset *split = !strcmp(a.split, "test") ? &data.test : !strcmp(a.split, "val") ? &data.val : &data.train;
    Model *model = NULL;
    EvalModel *eval = NULL;
    Evaluation e = {0};
    const int batch = cfg.batch_size > 0 && cfg.batch_size < 256 ? cfg.batch_size : 256;
    char *per_class = NULL, *confusion = NULL, *names = NULL;
    status = EXIT_BAD_INPUT;
    if (split->count == 0) {
        fprintf(stderr, "cohort eval: dataset %s has no %s images%s\n", cfg.dataset, a.split,
                !strcmp(a.split, "val") ? " (the run's val_split is 0)" : "");
        goto done_json;
    }
    engine_set_threads(trial_threads(&cfg, 1));
    if (checkpoint_model_load(checkpoint, &cfg, data.train.channels, data.train.height, data.train.width,
                              data.train.classes, batch, &model, &info, NULL, err)) {
        fprintf(stderr, "cohort eval: %s\n", err);
        goto done_json;
    }
    status = EXIT_RUNTIME;
    /* the evaluation form, as training evaluated (batch norms folded), in the loaded model's unused gradient and
     * activation memory */
    if (eval_model_create_borrowing(&eval, model, batch, err)) {
        fprintf(stderr, "cohort eval: %s\n", err);
        goto done_json;
    }
    eval_model_refresh(eval);
    if (evaluate(eval, split, batch, cfg.label_smoothing, &e, err)) {
        fprintf(stderr, "cohort eval: %s\n", err);
        goto done_json;
    }
    if (eval_json(&e, split, &per_class, &confusion, &names)) {
        fprintf(stderr, "cohort eval: out of memory\n");
        goto done_json;
    }
    if (store && !writable) {
        store_close(store);
        store = NULL;
        if (store_open(&store, a.db, err)) {
            fprintf(stderr, "cohort eval: %s\n", err);
            goto done_json;
        }
    }
    if (store) {
        EvaluationRecord r = {.run_id = a.run, .checkpoint = checkpoint, .split = a.split, .dataset = cfg.dataset,
                              .epoch = info.epochs_done, .images = e.images, .classes = e.classes, .top1 = e.top1,
                              .top5 = e.top5, .loss = e.loss, .per_class = per_class, .confusion = confusion,
                              .class_names = names};
        if (store_record_evaluation(store, &r, err)) {
            fprintf(stderr, "cohort eval: %s\n", err);
            goto done_json;
        }
    }
    if (a.json) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "checkpoint", checkpoint);
        cJSON_AddNumberToObject(o, "epoch", info.epochs_done);
        cJSON_AddStringToObject(o, "model", cfg.model);
        cJSON_AddStringToObject(o, "dataset", cfg.dataset);
        cJSON_AddStringToObject(o, "split", a.split);
        if (a.db) cJSON_AddNumberToObject(o, "run", (double)a.run);
        cJSON_AddNumberToObject(o, "images", e.images);
        cJSON_AddNumberToObject(o, "top1", e.top1);
        cJSON_AddNumberToObject(o, "top5", e.top5);
        cJSON_AddNumberToObject(o, "loss", e.loss);
        cJSON_AddItemToObject(o, "classes", cJSON_Parse(names));
        cJSON_AddItemToObject(o, "per_class_top1", cJSON_Parse(per_class));
        cJSON_AddItemToObject(o, "confusion", cJSON_Parse(confusion));
        if (a.logits) add_logits(o, eval, split, a.logits, batch);
        char *text = cJSON_PrintUnformatted(o);
        if (text) printf("%s\n", text);
        cJSON_free(text);
        cJSON_Delete(o);
    } else {
        print_table(&e, split, checkpoint, info.epochs_done, a.split);
    }
    status = EXIT_OK;
done_json:
    cJSON_free(per_class), cJSON_free(confusion), cJSON_free(names);
    free(e.confusion);
    eval_model_free(eval);
    if (model) model_free(model);
    data_free(&data);
    if (store) store_close(store);
    return status;
}
