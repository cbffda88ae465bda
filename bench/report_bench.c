/* Report rendering at scale: generates a results database of RUNS runs x EPOCHS epochs (default 10,000 x
 * 200: 5 models x 10 learning rates x 10 weight decays x 20 seeds, 1% pruned and 0.5% diverged) in one
 * transaction, then times report_write for each format (HTML first: the target is under 10 s).
 *
 *   report_bench [--runs N] [--epochs E] [--db PATH] [--keep] [--formats html,md,...] [--max-html S]
 *
 * --db reuses an existing file of that size instead of generating one; --keep leaves the files behind;
 * --max-html S exits 1 when the HTML report takes S seconds or more. */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "report.h"
#include "store.h"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* CPU seconds of this process: what the report costs, whatever else the machine is doing. */
static double cpu(void) {
    struct timespec t;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
    return t.tv_sec + t.tv_nsec * 1e-9;
}

/* Deterministic noise in [-1, 1). */
static double noise(uint64_t *state) {
    *state = *state * 6364136223846793005ULL + 1442695040888963407ULL;
    return (double)(*state >> 11) / (double)(1ULL << 52) - 1.0;
}

static int exec(sqlite3 *db, const char *sql) {
    char *msg = NULL;
    if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        fprintf(stderr, "report_bench: %s: %s\n", sql, msg ? msg : "?");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int generate(const char *path, int runs, int epochs) {
    char err[ERR_LEN];
    Store *s = NULL;
    unlink(path);
    if (store_open(&s, path, err)) { /* the schema, exactly as cohort writes it */
        fprintf(stderr, "report_bench: %s\n", err);
        return -1;
    }
    int64_t sweep;
    if (store_upsert_sweep(s, "scale", "h", "{}", NULL, &sweep, err)) {
        fprintf(stderr, "report_bench: %s\n", err);
        store_close(s);
        return -1;
    }
    store_close(s);

    sqlite3 *db;
    if (sqlite3_open(path, &db) != SQLITE_OK) return -1;
    sqlite3_stmt *run_st, *epoch_st;
    if (exec(db, "PRAGMA synchronous = OFF") || exec(db, "BEGIN") ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO runs (id, sweep_id, trial_key, trial_index, config_json, model, dataset, seed, "
                           "param_count, status, rank, host, started_at, finished_at, error) VALUES (?1, ?2, ?3, ?4, "
                           "?5, ?6, 'cifar10', ?7, ?8, ?9, 1, 'node1', '2024-01-01T00:00:00.000Z', "
                           "'2024-01-01T01:00:00.000Z', ?10)",
                           -1, &run_st, NULL) != SQLITE_OK ||
        sqlite3_prepare_v2(db,
                           "INSERT INTO epochs (run_id, epoch, train_loss, train_top1, val_loss, val_top1, test_loss, "
                           "test_top1, test_top5, lr, wall_seconds, images_per_sec) VALUES (?1, ?2, ?3, ?4, NULL, NULL, "
                           "?5, ?6, ?7, ?8, ?9, ?10)",
                           -1, &epoch_st, NULL) != SQLITE_OK) {
        fprintf(stderr, "report_bench: %s\n", sqlite3_errmsg(db));
        sqlite3_close(db);
        return -1;
    }
    static const char *const models[] = {"resnet20", "resnet56", "vgg11", "vit_tiny", "mixer_s"};
    static const int64_t params[] = {272474, 855770, 9231114, 5526346, 1840394};
    uint64_t rng = 42;
    int rc = 0;
    for (int r = 0; r < runs && !rc; r++) {
        int m = r % 5, l = (r / 5) % 10, w = (r / 50) % 10, seed = r / 500 + 1;
        double lr = 0.001 * pow(10.0, l / 3.0), wd = w ? 1e-5 * pow(10.0, w / 3.0) : 0;
        char config[256], key[32];
        snprintf(config, sizeof config,
                 "{\"batch_size\":128,\"epochs\":%d,\"lr\":%.6g,\"model\":\"%s\",\"schedule\":\"cosine\",\"seed\":%d,"
                 "\"weight_decay\":%.6g}",
                 epochs, lr, models[m], seed, wd);
        snprintf(key, sizeof key, "%016x", (unsigned)r * 2654435761u);
        /* the ending: 1% pruned halfway, 0.5% diverged a quarter in */
        int done = epochs;
        const char *status = "finished", *error = NULL;
        if (r % 100 == 7) done = epochs / 2, status = "pruned", error = "early_terminate: hyperband (eta 3)";
        if (r % 200 == 13) done = epochs / 4, status = "diverged", error = "train loss became NaN";
        sqlite3_reset(run_st);
        sqlite3_bind_int64(run_st, 1, r + 1);
        sqlite3_bind_int64(run_st, 2, sweep);
        sqlite3_bind_text(run_st, 3, key, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int(run_st, 4, r);
        sqlite3_bind_text(run_st, 5, config, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(run_st, 6, models[m], -1, SQLITE_STATIC);
        sqlite3_bind_int(run_st, 7, seed);
        sqlite3_bind_int64(run_st, 8, params[m]);
        sqlite3_bind_text(run_st, 9, status, -1, SQLITE_STATIC);
        if (error) sqlite3_bind_text(run_st, 10, error, -1, SQLITE_STATIC);
        else sqlite3_bind_null(run_st, 10);
        if (sqlite3_step(run_st) != SQLITE_DONE) {
            fprintf(stderr, "report_bench: run %d: %s\n", r, sqlite3_errmsg(db));
            rc = -1;
            break;
        }
        /* a saturating curve whose ceiling depends on the model and how far lr/wd are from their best */
        double ceiling = 80.0 + 3.0 * m - 4.0 * fabs(l - 5.5) / 5.5 * 3 - 2.0 * fabs(w - 4.0) / 4.0 + noise(&rng);
        double speed = 0.04 + 0.01 * m;
        for (int e = 1; e <= done && !rc; e++) {
            double progress = 1.0 - exp(-speed * e * 200.0 / epochs);
            double top1 = 10.0 + (ceiling - 10.0) * progress + 0.3 * noise(&rng);
            double loss = 2.3 * (1.0 - progress) + 0.2 + 0.02 * noise(&rng);
            sqlite3_reset(epoch_st);
            sqlite3_bind_int64(epoch_st, 1, r + 1);
            sqlite3_bind_int(epoch_st, 2, e);
            sqlite3_bind_double(epoch_st, 3, loss);
            sqlite3_bind_double(epoch_st, 4, top1 + 5.0);
            sqlite3_bind_double(epoch_st, 5, loss + 0.1);
            sqlite3_bind_double(epoch_st, 6, top1);
            sqlite3_bind_double(epoch_st, 7, fmin(99.9, top1 + 15.0));
            sqlite3_bind_double(epoch_st, 8, lr * 0.5 * (1.0 + cos(M_PI * e / epochs)));
            sqlite3_bind_double(epoch_st, 9, 20.0 + 5.0 * m);
            sqlite3_bind_double(epoch_st, 10, 2000.0);
            if (sqlite3_step(epoch_st) != SQLITE_DONE) {
                fprintf(stderr, "report_bench: epoch: %s\n", sqlite3_errmsg(db));
                rc = -1;
            }
        }
    }
    sqlite3_finalize(run_st);
    sqlite3_finalize(epoch_st);
    if (!rc) rc = exec(db, "COMMIT");
    sqlite3_close(db);
    return rc;
}

int main(int argc, char **argv) {
    int runs = 10000, epochs = 200, keep = 0;
    const char *db_arg = NULL, *formats = NULL; /* NULL: every format of the table */
    double max_html = 0;
    for (int i = 1; i < argc; i++) {
        if (!strcmp(argv[i], "--runs") && i + 1 < argc) runs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--epochs") && i + 1 < argc) epochs = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--db") && i + 1 < argc) db_arg = argv[++i];
        else if (!strcmp(argv[i], "--formats") && i + 1 < argc) formats = argv[++i];
        else if (!strcmp(argv[i], "--max-html") && i + 1 < argc) max_html = atof(argv[++i]);
        else if (!strcmp(argv[i], "--keep")) keep = 1;
        else {
            fprintf(stderr, "usage: report_bench [--runs N] [--epochs E] [--db PATH] [--keep] [--formats LIST] "
                            "[--max-html SECONDS]\n");
            return 2;
        }
    }
    if (runs < 1 || epochs < 1) return 2;
    char dir[] = "/tmp/cohort_report_bench_XXXXXX";
    if (!mkdtemp(dir)) {
        perror("mkdtemp");
        return 1;
    }
    char db_path[512];
    snprintf(db_path, sizeof db_path, "%s", db_arg ? db_arg : "");
    if (!db_arg) snprintf(db_path, sizeof db_path, "%s/scale.db", dir);
    struct stat st;
    if (!db_arg || stat(db_path, &st) != 0) {
        double t0 = now();
        if (generate(db_path, runs, epochs)) return 1;
        stat(db_path, &st);
        printf("generated %s: %d runs x %d epochs (%.0f MB) in %.2f s\n", db_path, runs, epochs,
               st.st_size / 1048576.0, now() - t0);
    } else {
        printf("using %s (%.0f MB)\n", db_path, st.st_size / 1048576.0);
    }

    char err[ERR_LEN];
    Store *s = NULL;
    if (store_open_readonly(&s, db_path, err)) {
        fprintf(stderr, "report_bench: %s\n", err);
        return 1;
    }
    int rc = 0;
    double html_seconds = 0;
    char list[128] = "";
    if (formats) snprintf(list, sizeof list, "%s", formats);
    for (int i = 0; !formats && i < REPORT_FORMAT_COUNT; i++) /* "html,md,..." in the table's order */
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", i ? "," : "", REPORT_FORMATS[i].extension + 1);
    char *save = NULL;
    for (char *ext = strtok_r(list, ",", &save); ext; ext = strtok_r(NULL, ",", &save)) {
        char out[600];
        snprintf(out, sizeof out, "%s/report.%s", dir, ext);
        ReportOptions opt = {0};
        double t0 = now(), c0 = cpu();
        if (report_write(s, out, &opt, err)) {
            fprintf(stderr, "report_bench: %s\n", err);
            rc = 1;
            continue;
        }
        double dt = now() - t0, dc = cpu() - c0;
        stat(out, &st);
        printf("report_write %-5s %7.2f s wall %7.2f s cpu  %8.1f MB  %s\n", ext, dt, dc, st.st_size / 1048576.0, out);
        if (!strcmp(ext, "html")) html_seconds = dt;
    }
    store_close(s);
    if (max_html > 0 && html_seconds >= max_html) {
        fprintf(stderr, "report_bench: the HTML report took %.2f s, the limit is %.2f s\n", html_seconds, max_html);
        rc = 1;
    }
    if (!keep) {
        char path[600];
        static const char *const names[] = {"scale.db", "scale.db-wal", "scale.db-shm"};
        for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
            snprintf(path, sizeof path, "%s/%s", dir, names[i]);
            unlink(path);
        }
        for (int i = 0; i < REPORT_FORMAT_COUNT; i++) {
            snprintf(path, sizeof path, "%s/report%s", dir, REPORT_FORMATS[i].extension);
            unlink(path);
        }
        rmdir(dir);
    } else {
        printf("kept %s\n", dir);
    }
    return rc;
}
