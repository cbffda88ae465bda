/* cohort predict: a trained model's top classes for image files or the images of a dataset split. */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "eval_model.h"
#include "inference.h"
#include "kept_best.h"
#include "threads.h"

static const char HELP[] =
    "usage: cohort predict --checkpoint FILE [--json] [--top K] [--data-dir DIR] IMAGE...\n"
    "       cohort predict --checkpoint FILE [--dataset NAME] --split train|val|test [--limit N] [--json] [--top K]\n"
    "       (--db PATH --run ID instead of --checkpoint: the run's kept best checkpoint)\n"
    "                      [--data-dir DIR]\n"
    "\n"
    "Rebuilds the model a checkpoint holds from the settings stored in it and prints, per image, the top K\n"
    "classes (default 5) with their names and softmax probabilities. IMAGE files are PNG or JPEG, converted to\n"
    "the model's input as its dataset's test images are (gray or RGB; image folders: shorter side resized to\n"
    "image_size*256/224, centre crop; MNIST, Fashion-MNIST, CIFAR: scaled to cover the dataset's image size and\n"
    "centre-cropped, an image of exactly that size unchanged; the dataset's normalisation). --split reads the\n"
    "first N (--limit) images of a split of the checkpoint's dataset and also prints their labels and the\n"
    "top-1 accuracy; --dataset, when given, must be the checkpoint's own. Class names and normalisation come from the dataset (its folder or files, at the\n"
    "checkpoint's data_dir unless --data-dir says otherwise). --json prints one JSON array instead.\n"
    "Exit 2 on a bad checkpoint, image or flag, with nothing printed to standard output.\n";

#define PREDICT_BATCH 32

typedef struct {
    const char *checkpoint; /* --checkpoint; a database's best checkpoint (--db D --run ID) resolves to one */
    const char *db;
    long long run;
    char best[4096]; /* --db/--run: the kept best checkpoint's path */
    const char *data_dir;
    const char *split;
    const char *dataset; /* --dataset: a check that the checkpoint was trained on it */
    int limit, top, json;
    char **images;
    int image_count;
} PredictArgs;

typedef struct {
    int label;    /* -1 for image files */
    int classes[16];
    double probs[16];
} Prediction;

static int parse_args(int argc, char **argv, PredictArgs *a) {
    memset(a, 0, sizeof *a);
    a->top = 5;
    a->images = calloc((size_t)argc, sizeof *a->images);
    if (!a->images) return EXIT_RUNTIME;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (is_help(arg)) {
            fputs(HELP, stdout);
            return -1;
        }
        if (!strcmp(arg, "--json")) {
            a->json = 1;
            continue;
        }
        if (strncmp(arg, "--", 2) != 0) {
            a->images[a->image_count++] = argv[i];
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "cohort predict: %s needs a value\n", arg);
            return EXIT_BAD_INPUT;
        }
        const char *value = argv[++i];
        char tail;
        if (!strcmp(arg, "--checkpoint")) a->checkpoint = value;
        else if (!strcmp(arg, "--data-dir")) a->data_dir = value;
        else if (!strcmp(arg, "--db")) a->db = value;
        else if (!strcmp(arg, "--run") && sscanf(value, "%lld%c", &a->run, &tail) == 1 && a->run > 0) {
        }
        else if (!strcmp(arg, "--split")) a->split = value;
        else if (!strcmp(arg, "--dataset")) a->dataset = value;
        else if (!strcmp(arg, "--limit") && sscanf(value, "%d%c", &a->limit, &tail) == 1 && a->limit > 0) {
        } else if (!strcmp(arg, "--top") && sscanf(value, "%d%c", &a->top, &tail) == 1 && a->top > 0 && a->top <= 16) {
        } else {
            fprintf(stderr, "cohort predict: %s: unknown option or bad value '%s'\n\n%s", arg, value, HELP);
            return EXIT_BAD_INPUT;
        }
    }
    if (!a->checkpoint == !a->db || !a->db != !a->run) {
        fprintf(stderr, "cohort predict: give --checkpoint FILE, or --db PATH with --run ID\n\n%s", HELP);
        return EXIT_BAD_INPUT;
    }
    if (a->db) {
        char err[ERR_LEN];
        if (kept_best_checkpoint_of(a->db, a->run, a->best, sizeof a->best, err)) {
            fprintf(stderr, "cohort predict: %s\n", err);
            return EXIT_BAD_INPUT;
        }
        a->checkpoint = a->best;
    }
    if (!a->split == !a->image_count) {
        fprintf(stderr, "cohort predict: give image files or --split, not %s\n", a->split ? "both" : "neither");
        return EXIT_BAD_INPUT;
    }
    if (a->split && strcmp(a->split, "train") && strcmp(a->split, "val") && strcmp(a->split, "test")) {
        fprintf(stderr, "cohort predict: --split: expected train, val or test, got '%s'\n", a->split);
        return EXIT_BAD_INPUT;
    }
    if (a->limit && !a->split) {
        fprintf(stderr, "cohort predict: --limit goes with --split\n");
        return EXIT_BAD_INPUT;
    }
    return 0;
}

/* Top-k of one image's logits into p. */
static void rank(const real *logits, int classes, int top, Prediction *p) {
    double *probs = malloc(sizeof *probs * (size_t)classes);
    if (!probs) return;
    inference_softmax(logits, classes, probs);
    for (int t = 0; t < top; t++) {
        int best = -1;
        for (int k = 0; k < classes; k++) {
            int taken = 0;
            for (int u = 0; u < t; u++) taken |= p->classes[u] == k;
            if (!taken && (best < 0 || probs[k] > probs[best])) best = k;
        }
        p->classes[t] = best;
        p->probs[t] = probs[best];
    }
    free(probs);
}

static void print_text(const Inference *inf, const PredictArgs *a, const Prediction *preds, int n,
                       const char *const *names) {
    char buf[32];
    int right = 0;
    for (int i = 0; i < n; i++) {
        const Prediction *p = &preds[i];
        if (p->label >= 0) {
            printf("%s  label %s\n", names[i], inference_class_name(inf, p->label, buf, sizeof buf));
            right += p->classes[0] == p->label;
        } else {
            cli_printf_safe("%s\n", names[i]);
        }
        const int top = a->top < inf->classes ? a->top : inf->classes;
        for (int t = 0; t < top; t++)
            cli_printf_safe("  %d. %8.4f  %s (%d)\n", t + 1, p->probs[t],
                            inference_class_name(inf, p->classes[t], buf, sizeof buf), p->classes[t]);
    }
    if (a->split) printf("top-1: %d of %d correct (%.2f%%)\n", right, n, 100.0 * right / n);
}

static int print_json(const Inference *inf, const PredictArgs *a, const Prediction *preds, int n,
                      const char *const *names) {
    char buf[32];
    cJSON *all = cJSON_CreateArray();
    const int top = a->top < inf->classes ? a->top : inf->classes;
    for (int i = 0; all && i < n; i++) {
        cJSON *o = cJSON_CreateObject(), *list = cJSON_CreateArray();
        cJSON_AddItemToArray(all, o);
        if (preds[i].label >= 0) {
            cJSON_AddStringToObject(o, "split", a->split);
            cJSON_AddNumberToObject(o, "index", i);
            cJSON_AddNumberToObject(o, "label", preds[i].label);
            cJSON_AddStringToObject(o, "label_name", inference_class_name(inf, preds[i].label, buf, sizeof buf));
        } else {
            cJSON_AddStringToObject(o, "image", names[i]);
        }
        cJSON_AddItemToObject(o, "top", list);
        for (int t = 0; t < top; t++) {
            cJSON *c = cJSON_CreateObject();
            cJSON_AddNumberToObject(c, "class", preds[i].classes[t]);
            cJSON_AddStringToObject(c, "name", inference_class_name(inf, preds[i].classes[t], buf, sizeof buf));
            cJSON_AddNumberToObject(c, "probability", preds[i].probs[t]);
            cJSON_AddItemToArray(list, c);
        }
    }
    char *text = all ? cJSON_Print(all) : NULL;
    cJSON_Delete(all);
    if (!text) return -1;
    puts(text);
    free(text);
    return 0;
}

/* The split's images (first `limit`): a full data_load of the checkpoint's dataset. */
static int load_split(const Inference *inf, const PredictArgs *a, Dataset *out, char *err) {
    TrainConfig cfg = inf->cfg;
    if (a->limit && !strcmp(a->split, "test")) cfg.test_limit = a->limit;
    DataSplits s;
    if (data_load(&s, &cfg, err)) return -1;
    Dataset *want = !strcmp(a->split, "train") ? &s.train : !strcmp(a->split, "val") ? &s.val : &s.test;
    if (want->count == 0) {
        data_free(&s);
        return err_set(err, "--split %s: the checkpoint's dataset has no %s images (val needs val_split)", a->split,
                       a->split);
    }
    *out = *want;
    memset(want, 0, sizeof *want);
    data_free(&s);
    if (a->limit && a->limit < out->count) out->count = a->limit;
    return 0;
}

int cli_predict(int argc, char **argv) {
    PredictArgs a;
    int rc = parse_args(argc, argv, &a);
    if (rc) {
        free(a.images);
        return rc < 0 ? EXIT_OK : rc;
    }
    engine_set_threads(0);
    char err[ERR_LEN];
    Inference inf;
    if (inference_open(&inf, a.checkpoint, a.data_dir, PREDICT_BATCH, err)) {
        fprintf(stderr, "cohort predict: %s\n", err);
        free(a.images);
        return EXIT_BAD_INPUT;
    }
    Dataset split = {0};
    if (a.dataset && strcmp(a.dataset, inf.cfg.dataset) != 0) {
        fprintf(stderr, "cohort predict: --dataset %s: %s was trained on %s\n", a.dataset, a.checkpoint,
                inf.cfg.dataset);
        inference_close(&inf);
        free(a.images);
        return EXIT_BAD_INPUT;
    }
    if (a.split && load_split(&inf, &a, &split, err)) {
        fprintf(stderr, "cohort predict: %s\n", err);
        inference_close(&inf);
        free(a.images);
        return EXIT_BAD_INPUT;
    }
    const int n = a.split ? split.count : a.image_count;
    const int C = inf.info.channels, H = inf.info.height, W = inf.info.width;
    Prediction *preds = calloc((size_t)n, sizeof *preds);
    char **names = calloc((size_t)n, sizeof *names);
    real *x = malloc(sizeof *x * (size_t)C * H * W * PREDICT_BATCH);
    int32_t labels[PREDICT_BATCH], indices[PREDICT_BATCH];
    EvalModel *eval = NULL; /* the evaluation form, as training evaluated the model */
    rc = preds && names && x ? EXIT_OK : EXIT_RUNTIME;
    if (rc) fprintf(stderr, "cohort predict: out of memory\n");
    if (!rc && eval_model_create_borrowing(&eval, inf.model, PREDICT_BATCH, err)) { /* the model never trains */
        fprintf(stderr, "cohort predict: %s\n", err);
        rc = EXIT_RUNTIME;
    }
    if (!rc) eval_model_refresh(eval);
    /* every image is decoded and classified before anything is printed: a bad one prints nothing */
    for (int start = 0; !rc && start < n; start += PREDICT_BATCH) {
        const int B = n - start < PREDICT_BATCH ? n - start : PREDICT_BATCH;
        for (int b = 0; b < B && !rc; b++) {
            if (a.split) {
                indices[b] = start + b;
            } else if (inference_image(&inf, a.images[start + b], x, b, B, err)) {
                fprintf(stderr, "cohort predict: %s\n", err);
                rc = EXIT_BAD_INPUT;
            }
        }
        if (rc) break;
        if (a.split) data_fill_batch(&split, indices, B, x, labels, NULL, NULL);
        const real *logits = eval_model_forward(eval, x, B);
        for (int b = 0; b < B; b++) {
            Prediction *p = &preds[start + b];
            rank(logits + (size_t)b * inf.classes, inf.classes, a.top < inf.classes ? a.top : inf.classes, p);
            p->label = a.split ? labels[b] : -1;
            if (!a.split) names[start + b] = a.images[start + b];
            else if (!(names[start + b] = malloc(48))) rc = EXIT_RUNTIME;
            else snprintf(names[start + b], 48, "%s[%d]", a.split, start + b);
        }
    }
    if (!rc) {
        if (a.json) {
            if (print_json(&inf, &a, preds, n, (const char *const *)names)) rc = EXIT_RUNTIME;
        } else {
            print_text(&inf, &a, preds, n, (const char *const *)names);
        }
    }
    for (int i = 0; a.split && names && i < n; i++) free(names[i]);
    free(names);
    free(preds);
    free(x);
    eval_model_free(eval);
    dataset_free(&split);
    inference_close(&inf);
    free(a.images);
    return rc;
}
