/* Reports from a known database: 3 runs of 2 models in sweep "cmp" (+1 run in sweep "other").
 * Markdown: exact numbers, thousands separators, only varying hyperparameters, '|' escaped.
 * HTML: five charts, the learning curves with one polyline per run each, colour families per model,
 * escaping, no scripts or URLs. Errors: unknown extension, missing directory, unknown sweep -- and no file
 * left behind. (test_report_formats.c checks every format on a database with seeds.) */
#include <dirent.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "check.h"
#include "report.h"
#include "store.h"

static char tmpdir[] = "/tmp/cohort_test_report_XXXXXX";

static void path_in_tmp(char *out, size_t size, const char *name) { snprintf(out, size, "%s/%s", tmpdir, name); }

static int count_dir_entries(void) {
    DIR *dir = opendir(tmpdir);
    int n = 0;
    if (!dir) return -1;
    struct dirent *e;
    while ((e = readdir(dir)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) n++;
    closedir(dir);
    return n;
}

static void remove_tmpdir(void) {
    DIR *dir = opendir(tmpdir);
    if (!dir) return;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[512];
        path_in_tmp(p, sizeof p, e->d_name);
        unlink(p);
    }
    closedir(dir);
    rmdir(tmpdir);
}

static char *read_file(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    if (text && fread(text, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (text) text[n] = 0;
    fclose(f);
    return text;
}

static int count_of(const char *haystack, const char *needle) {
    int n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* Case-insensitive substring search (strcasestr is a GNU extension). */
static const char *find_ci(const char *haystack, const char *needle) {
    size_t n = strlen(needle);
    for (const char *p = haystack; *p; p++)
        if (strncasecmp(p, needle, n) == 0) return p;
    return NULL;
}

typedef struct {
    const char *key, *config, *model;
    int64_t params;
    double top1[3], top5[3], loss[3];
} RunSpec;

static const RunSpec RUNS[3] = {
    {"k000000000000001", "{\"batch_size\":64,\"epochs\":3,\"lr\":0.1,\"model\":\"mlp\",\"tag\":\"plain\"}", "mlp",
     101770, {80.5, 85.25, 84.0}, {95.0, 97.5, 98.25}, {1.9, 1.2, 0.9}},
    {"k000000000000002", "{\"batch_size\":64,\"epochs\":3,\"lr\":0.01,\"model\":\"mlp\",\"tag\":\"plain\"}", "mlp",
     101770, {70.0, 75.5, 78.75}, {90.0, 93.0, 94.5}, {2.1, 1.7, 1.4}},
    {"k000000000000003", "{\"batch_size\":64,\"epochs\":3,\"lr\":0.1,\"model\":\"res<net>&co\",\"tag\":\"a|b\"}",
     "res<net>&co", 1234567, {60.125, 91.0, 90.0}, {88.0, 99.0, 99.5}, {2.5, 0.8, 0.6}},
};

static int build_store(const char *db_path) {
    char err[ERR_LEN] = "";
    Store *s = NULL;
    if (store_open(&s, db_path, err)) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    int64_t sweep, other, run;
    int rc = store_upsert_sweep(s, "cmp", "h1", "{}", NULL, &sweep, err) ||
             store_upsert_sweep(s, "other", "h2", "{}", NULL, &other, err);
    for (int r = 0; r < 3 && !rc; r++) {
        rc = store_upsert_run(s, sweep, RUNS[r].key, r, RUNS[r].config, RUNS[r].model, "synthetic", 1, &run, NULL,
                              err) ||
             store_run_started(s, run, 0, "host", RUNS[r].params, 0, err);
        for (int e = 0; e < 3 && !rc; e++) {
            EpochMetrics m = {.epoch = e + 1, .train_loss = RUNS[r].loss[e], .train_top1 = 50, .val_loss = NAN,
                              .val_top1 = NAN, .test_loss = 1, .test_top1 = RUNS[r].top1[e],
                              .test_top5 = RUNS[r].top5[e], .lr = 0.1, .wall_seconds = 10.0 + e,
                              .images_per_sec = 100};
            rc = store_record_epoch(s, run, &m, err);
        }
        if (!rc) rc = store_run_ended(s, run, RUN_FINISHED, NULL, err);
    }
    if (!rc)
        rc = store_upsert_run(s, other, "k000000000000009", 0, "{\"lr\":0.5}", "lenet", "mnist", 2, &run, NULL, err);
    if (rc) fprintf(stderr, "build_store: %s\n", err);
    store_close(s);
    return rc ? -1 : 0;
}

/* Hue (degrees) of "#rrggbb". */
static double hue_of(const char *hex) {
    unsigned r, g, b;
    if (sscanf(hex, "#%02x%02x%02x", &r, &g, &b) != 3) return NAN;
    double R = r / 255.0, G = g / 255.0, B = b / 255.0;
    double mx = fmax(R, fmax(G, B)), mn = fmin(R, fmin(G, B)), c = mx - mn;
    if (c == 0) return 0;
    double h = mx == R ? fmod((G - B) / c, 6.0) : mx == G ? (B - R) / c + 2.0 : (R - G) / c + 4.0;
    h *= 60.0;
    return h < 0 ? h + 360.0 : h;
}

static double hue_distance(double a, double b) {
    double d = fabs(a - b);
    return d > 180 ? 360 - d : d;
}

static void test_markdown(Store *s) {
    char path[512], err[ERR_LEN] = "";
    path_in_tmp(path, sizeof path, "report.md");
    ReportOptions opt = {.sweep_name = "cmp"};
    CHECK_MSG(report_write(s, path, &opt, err) == 0, "%s", err);
    char *md = read_file(path);
    CHECK(md != NULL);
    if (!md) return;
    CHECK(strncmp(md, "# ", 2) == 0);
    CHECK(strstr(md, "cmp") != NULL);
    /* Whole rows: run, model, varying keys only (lr and tag; not batch_size/epochs/model), params with
     * separators, FLOPs (not recorded), best top-1 (2 decimals), final top-5, epochs, time (10 + 11 + 12 s),
     * images/s (the epochs' mean), status, kept checkpoints (none). */
    CHECK_MSG(strstr(md, "| 1 | mlp | lr=0.1, tag=plain | 101,770 | - | 85.25 | 98.25 | 3 | 33.0 | 100 | finished | - |"),
              "%s", md);
    CHECK_MSG(strstr(md, "| 2 | mlp | lr=0.01, tag=plain | 101,770 | - | 78.75 | 94.50 | 3 | 33.0 | 100 | finished | - |"),
              "%s", md);
    CHECK_MSG(strstr(md, "| 3 | res\\<net\\>&co | lr=0.1, tag=a\\|b | 1,234,567 | - | 91.00 | 99.50 | 3 | 33.0 | 100 | "
                         "finished | - |"),
              "%s", md);
    CHECK(strstr(md, "batch_size") == NULL);
    CHECK(strstr(md, "epochs=") == NULL);
    CHECK(strstr(md, "model=") == NULL);
    CHECK(strstr(md, "tag=a|b") == NULL);       /* the raw pipe would split the cell */
    CHECK(strstr(md, "lenet") == NULL);         /* the other sweep is filtered out */
    CHECK(strstr(md, "Sweep |") == NULL);       /* one sweep: no sweep column */
    CHECK(strstr(md, "final epoch") != NULL);   /* the note saying which top-5 */
    CHECK(strstr(md, "Best test top-1: 91.00 % (run 3, epoch 2)") != NULL);
    const char *runs = strstr(md, "## Runs\n");
    CHECK(runs != NULL);
    if (runs) {
        char *cut = strndup(runs, (size_t)(strstr(runs + 9, "\n\n") - runs));
        CHECK_MSG(count_of(cut, "\n| ") == 4, "%s", cut); /* header + 3 runs */
        free(cut);
    }
    free(md);

    /* All sweeps: a sweep column, the pending run with dashes, and lr varies differently now. */
    CHECK_MSG(report_write(s, path, NULL, err) == 0, "%s", err);
    md = read_file(path);
    if (!md) return;
    CHECK(strstr(md, "| Run | Sweep | Model |") != NULL);
    CHECK_MSG(strstr(md, "| 4 | other | lenet | lr=0.5 | - | - | - | - | 0 | - | - | pending | - |"), "%s", md);
    CHECK(strstr(md, "batch_size=64") != NULL); /* absent in run 4, so it varies across the report */
    runs = strstr(md, "## Runs\n");
    CHECK(runs != NULL);
    if (runs) {
        char *cut = strndup(runs, (size_t)(strstr(runs + 9, "\n\n") - runs));
        CHECK_MSG(count_of(cut, "\n| ") == 5, "%s", cut);
        free(cut);
    }
    free(md);
}

static void test_html(Store *s) {
    char path[512], err[ERR_LEN] = "";
    path_in_tmp(path, sizeof path, "report.html");
    ReportOptions opt = {.sweep_name = "cmp"};
    CHECK_MSG(report_write(s, path, &opt, err) == 0, "%s", err);
    char *html = read_file(path);
    CHECK(html != NULL);
    if (!html) return;
    CHECK(strncmp(html, "<!DOCTYPE html>", 15) == 0);
    CHECK(strstr(html, "</html>") != NULL);
    CHECK(strstr(html, "<style>") != NULL);
    CHECK(strstr(html, "<title>Cohort report: cmp</title>") != NULL);
    CHECK(strstr(html, "Generated ") != NULL && strstr(html, " UTC") != NULL);
    CHECK(find_ci(html, "<script") == NULL);
    CHECK(find_ci(html, "http") == NULL);
    CHECK(find_ci(html, "<link") == NULL);
    CHECK(strstr(html, "Test top-1 (%) per epoch") != NULL);
    CHECK(strstr(html, "Train loss per epoch") != NULL);

    /* Escaping: the model name never appears raw. */
    CHECK(strstr(html, "res<net>") == NULL);
    CHECK(strstr(html, "res&lt;net&gt;&amp;co") != NULL);

    /* The runs table (checked before the page is cut up below): header + 3 rows with their values. */
    char *table = strstr(html, "<table id=\"runs\"");
    CHECK(table != NULL);
    if (table) {
        table = strndup(table, (size_t)(strstr(table, "</table>") - table));
        CHECK(count_of(table, "<tr") == 4);
        CHECK(strstr(table, "<th>Key hyperparameters</th>") != NULL);
        CHECK(strstr(table, ">lr=0.01, tag=plain<") != NULL);
        CHECK(strstr(table, ">1,234,567<") != NULL);
        CHECK(strstr(table, ">91.00<") != NULL && strstr(table, ">85.25<") != NULL && strstr(table, ">78.75<"));
        CHECK(strstr(table, ">99.50<") != NULL); /* final test top-5 */
        CHECK(strstr(table, ">33.0<") != NULL);
        CHECK(strstr(table, "batch_size") == NULL);
        CHECK(strstr(table, ">synthetic<") != NULL);
        free(table);
    }

    /* Seven charts; the two learning-curve charts come first, each with one polyline per run. */
    CHECK(count_of(html, "<svg") == 7);
    char *first = strstr(html, "<svg class=\"chart\" id=\"chart-test-top1\"");
    char *second = first ? strstr(first + 4, "<svg class=\"chart\" id=\"chart-train-loss\"") : NULL;
    CHECK(first && second);
    if (first && second) {
        char *end2 = strstr(second, "</svg>");
        CHECK(end2 != NULL);
        if (end2) end2[0] = 0;
        second[-1] = 0; /* cut the page in two at the second chart */
        CHECK(count_of(first, "<polyline") == 3);
        CHECK(count_of(second, "<polyline") == 3);
        CHECK(strstr(first, "Test top-1 (%) per epoch") != NULL);
        CHECK(strstr(second, "Train loss per epoch") != NULL);
        /* Each run's line has 3 points. */
        const char *p = first;
        double hues[3];
        for (int r = 0; r < 3; r++) {
            p = strstr(p, "<polyline class=\"run\" stroke=\"");
            if (!p) break;
            p += strlen("<polyline class=\"run\" stroke=\"");
            hues[r] = hue_of(p);
            const char *pts = strstr(p, "points=\"");
            int commas = 0;
            for (const char *q = pts ? pts + 8 : p; *q && *q != '"'; q++) commas += *q == ',';
            CHECK_MSG(commas == 3, "run %d has %d points", r + 1, commas);
        }
        if (p) {
            /* Same model: close hues; different models: far apart. */
            CHECK_MSG(hue_distance(hues[0], hues[1]) < 20, "mlp hues %g %g", hues[0], hues[1]);
            CHECK_MSG(hue_distance(hues[0], hues[2]) > 60, "mlp %g vs other model %g", hues[0], hues[2]);
        }
        /* Legend: one entry per run, with the run id and model. */
        CHECK(strstr(first, "#1 mlp lr=0.1, tag=plain") != NULL);
        CHECK(strstr(first, "#3 res&lt;net&gt;&amp;co") != NULL);
    }
    free(html);
}

static void test_errors(Store *s) {
    char path[512], err[ERR_LEN] = "";
    int before = count_dir_entries();

    path_in_tmp(path, sizeof path, "report.xyz");
    CHECK(report_write(s, path, NULL, err) != 0);
    char want[600];
    /* the message lists every format of the table: ".html, .md, .tex, .csv or .json" */
    int at = snprintf(want, sizeof want, "%s: unknown report format '.xyz' (use ", path);
    for (int i = 0; i < REPORT_FORMAT_COUNT; i++)
        at += snprintf(want + at, sizeof want - (size_t)at, "%s%s", i == 0 ? "" : i == REPORT_FORMAT_COUNT - 1 ? " or " : ", ",
                       REPORT_FORMATS[i].extension);
    snprintf(want + at, sizeof want - (size_t)at, ")");
    CHECK_MSG(strcmp(err, want) == 0, "%s", err);
    CHECK(access(path, F_OK) != 0);

    /* A directory that does not exist: an error naming the path, nothing written anywhere. */
    path_in_tmp(path, sizeof path, "no-such-dir/report.html");
    err[0] = 0;
    CHECK(report_write(s, path, NULL, err) != 0);
    CHECK_MSG(strstr(err, "no-such-dir/report.html") != NULL, "%s", err);

    /* An unknown sweep. */
    path_in_tmp(path, sizeof path, "nothing.md");
    ReportOptions opt = {.sweep_name = "no-such-sweep"};
    err[0] = 0;
    CHECK(report_write(s, path, &opt, err) != 0);
    CHECK_MSG(strstr(err, "no-such-sweep") != NULL, "%s", err);
    CHECK(access(path, F_OK) != 0);

    CHECK(count_dir_entries() == before); /* no temp files left either */
}

int main(void) {
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    char db_path[512], err[ERR_LEN] = "";
    path_in_tmp(db_path, sizeof db_path, "results.db");
    CHECK(build_store(db_path) == 0);
    Store *s = NULL;
    CHECK_MSG(store_open_readonly(&s, db_path, err) == 0, "%s", err); /* reports only read */
    if (s) {
        test_markdown(s);
        test_html(s);
        test_errors(s);
        store_close(s);
    }
    remove_tmpdir();
    return check_report("test_report");
}
