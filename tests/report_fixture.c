/* The "paper" database of report_fixture.h. */
#include "report_fixture.h"

#include <math.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

const char *const FX_MODEL[FX_MODELS] = {"lenet", "mlp", FX_WEIRD};
const int64_t FX_PARAMS[FX_MODELS] = {61706, 101770, 1234567};
const double FX_FLOPS[FX_MODELS] = {833040.0, 203520.0, 1.82e9};
const double FX_LR[FX_LRS] = {0.01, 0.1};

/* lenet is best at lr 0.1, mlp at lr 0.01; the weird model is the most accurate and the largest. */
const double FX_TOP1[FX_MODELS][FX_LRS][FX_SEEDS] = {
    {{88.10, 88.40, 87.95}, {89.20, 89.55, 88.90}},
    {{86.30, 86.05, 86.50}, {85.10, 85.70, 84.95}},
    {{91.25, 90.80, 91.60}, {90.10, 90.45, 89.85}},
};
const double FX_TOP5[FX_MODELS][FX_LRS][FX_SEEDS] = {
    {{99.10, 99.20, 99.05}, {99.30, 99.25, 99.40}},
    {{98.80, 98.70, 98.95}, {98.60, 98.75, 98.50}},
    {{99.70, 99.65, 99.80}, {99.55, 99.60, 99.50}},
};
const double FX_TLOSS[FX_MODELS][FX_LRS][FX_SEEDS] = {
    {{0.31, 0.30, 0.32}, {0.27, 0.26, 0.28}},
    {{0.36, 0.37, 0.35}, {0.40, 0.39, 0.41}},
    {{0.21, 0.22, 0.20}, {0.24, 0.23, 0.25}},
};
/* test loss: lenet's lowest is at lr 0.01 although its best top-1 is at lr 0.1 */
const double FX_TESTLOSS[FX_MODELS][FX_LRS][FX_SEEDS] = {
    {{0.301, 0.305, 0.299}, {0.330, 0.326, 0.335}},
    {{0.380, 0.384, 0.377}, {0.410, 0.405, 0.415}},
    {{0.270, 0.275, 0.268}, {0.290, 0.287, 0.292}},
};

const FxProblem FX_PROBLEM[FX_PROBLEMS] = {
    {0, 1, RUN_PRUNED, "early_terminate: hyperband (eta 3) stopped it at epoch 2", 2},
    {1, 1, RUN_DIVERGED, "train loss became NaN at epoch 2", 1},
    {0, 0, RUN_FAILED, "out of memory: model needs 12 GB & the node has 8", 0},
    {1, 0, RUN_LOST, "worker rank 3 on node7 died (signal 9)", 1},
};

void fx_epoch(int m, int l, int s, int e, EpochMetrics *out) {
    int back = FX_EPOCHS - e; /* epochs before the last */
    memset(out, 0, sizeof *out);
    out->epoch = e;
    out->train_loss = FX_TLOSS[m][l][s] + 0.5 * back;
    out->train_top1 = 60.0 + 10.0 * e;
    out->val_loss = NAN;
    out->val_top1 = NAN;
    out->test_loss = FX_TESTLOSS[m][l][s] + 0.25 * back;
    out->test_top1 = FX_TOP1[m][l][s] - 6.0 * back;
    out->test_top5 = FX_TOP5[m][l][s] - 1.0 * back;
    out->lr = FX_LR[l];
    out->wall_seconds = 10.0 + m + 0.5 * s;
    out->images_per_sec = 1000.0;
}

static void config_of(int m, int l, int seed, char *out, size_t size) {
    /* the model name is a JSON string: escape its backslash and quotes */
    char model[128];
    size_t o = 0;
    for (const char *p = FX_MODEL[m]; *p && o + 2 < sizeof model; p++) {
        if (*p == '"' || *p == '\\') model[o++] = '\\';
        model[o++] = *p;
    }
    model[o] = 0;
    snprintf(out, size, "{\"batch_size\":64,\"epochs\":%d,\"lr\":%g,\"model\":\"%s\",\"seed\":%d}", FX_EPOCHS, FX_LR[l],
             model, seed);
}

int fx_build(const char *path) {
    char err[ERR_LEN] = "";
    unlink(path);
    Store *s = NULL;
    if (store_open(&s, path, err)) {
        fprintf(stderr, "fx_build: %s\n", err);
        return -1;
    }
    int64_t sweep, other, run;
    int rc = store_begin(s, err) || store_upsert_sweep(s, "paper", "h1", "{}", NULL, &sweep, err) ||
             store_upsert_sweep(s, "other", "h2", "{}", NULL, &other, err);
    int index = 0;
    for (int m = 0; m < FX_MODELS && !rc; m++)
        for (int l = 0; l < FX_LRS && !rc; l++)
            for (int sd = 0; sd < FX_SEEDS && !rc; sd++) {
                char config[256], key[32];
                config_of(m, l, sd + 1, config, sizeof config);
                snprintf(key, sizeof key, "k%015d", index);
                rc = store_upsert_run(s, sweep, key, index++, config, FX_MODEL[m], "synthetic", (uint64_t)sd + 1, &run,
                                      NULL, err) ||
                     store_run_started(s, run, 1, "node1", FX_PARAMS[m], 0, err) ||
                     store_run_flops(s, run, FX_FLOPS[m], err);
                for (int e = 1; e <= FX_EPOCHS && !rc; e++) {
                    EpochMetrics em;
                    fx_epoch(m, l, sd, e, &em);
                    rc = store_record_epoch(s, run, &em, err);
                }
                if (!rc) rc = store_run_ended(s, run, RUN_FINISHED, NULL, err);
            }
    for (int p = 0; p < FX_PROBLEMS && !rc; p++) {
        const FxProblem *pr = &FX_PROBLEM[p];
        char config[256], key[32];
        config_of(pr->model, pr->lr, 4, config, sizeof config);
        snprintf(key, sizeof key, "p%015d", p);
        rc = store_upsert_run(s, sweep, key, index++, config, FX_MODEL[pr->model], "synthetic", 4, &run, NULL, err) ||
             store_run_started(s, run, 2, "node7", FX_PARAMS[pr->model], 0, err);
        for (int e = 1; e <= pr->epochs && !rc; e++) {
            EpochMetrics em;
            fx_epoch(pr->model, pr->lr, 0, e, &em);
            em.test_top1 -= 20.0; /* far below the finished runs: would skew the means if counted */
            rc = store_record_epoch(s, run, &em, err);
        }
        if (!rc) rc = store_run_ended(s, run, pr->status, pr->reason, err);
    }
    if (!rc)
        rc = store_upsert_run(s, other, "o000000000000000", 0, "{\"lr\":0.5,\"model\":\"lenet\",\"seed\":9}", "lenet",
                              "mnist", 9, &run, NULL, err) ||
             store_commit(s, err);
    if (rc) fprintf(stderr, "fx_build: %s\n", err);
    store_close(s);
    return rc ? -1 : 0;
}

void fx_mean_std(const double *v, int n, double *mean, double *std) {
    double sum = 0;
    for (int i = 0; i < n; i++) sum += v[i];
    *mean = sum / n;
    double ss = 0;
    for (int i = 0; i < n; i++) ss += (v[i] - *mean) * (v[i] - *mean);
    *std = n > 1 ? sqrt(ss / (n - 1)) : NAN;
}

int fx_terminal_safe(const char *s, int allow_tab) {
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned c = *p;
        int n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (n == 0) return 0;
        unsigned cp = n == 1 ? c : c & (0x3F >> (n - 1));
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        if ((cp < 0x20 && cp != '\n' && !(allow_tab && cp == '\t')) || (cp >= 0x7F && cp <= 0x9F)) return 0;
        p += n;
    }
    return 1;
}

int fx_utf8_valid(const char *s) {
    for (const unsigned char *p = (const unsigned char *)s; *p;) {
        unsigned c = *p;
        int n = c < 0x80 ? 1 : c >= 0xC2 && c <= 0xDF ? 2 : c >= 0xE0 && c <= 0xEF ? 3 : c >= 0xF0 && c <= 0xF4 ? 4 : 0;
        if (n == 0) return 0;
        unsigned cp = n == 1 ? c : c & (0x3F >> (n - 1));
        for (int i = 1; i < n; i++) {
            if ((p[i] & 0xC0) != 0x80) return 0;
            cp = cp << 6 | (p[i] & 0x3F);
        }
        if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
            return 0;
        p += n;
    }
    return 1;
}
