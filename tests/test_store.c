/* The results database: schema and pragmas, migrations, idempotent upserts, epochs (NaN <-> NULL),
 * restart semantics, read-only opens, the run_summary view. */
#include <dirent.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "store.h"

static char tmpdir[] = "/tmp/cohort_test_store_XXXXXX";

static void path_in_tmp(char *out, size_t size, const char *name) {
    snprintf(out, size, "%s/%s", tmpdir, name);
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

/* Raw sqlite helpers for checking what the store wrote. */
static sqlite3 *raw_open(const char *path, int flags) {
    sqlite3 *db = NULL;
    if (sqlite3_open_v2(path, &db, flags, NULL) != SQLITE_OK) {
        fprintf(stderr, "raw_open %s: %s\n", path, db ? sqlite3_errmsg(db) : "?");
        sqlite3_close(db);
        return NULL;
    }
    return db;
}

static int64_t raw_int(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st;
    int64_t v = -999;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "raw_int %s: %s\n", sql, sqlite3_errmsg(db));
        return v;
    }
    if (sqlite3_step(st) == SQLITE_ROW) v = sqlite3_column_int64(st, 0);
    sqlite3_finalize(st);
    return v;
}

static void raw_text(sqlite3 *db, const char *sql, char *out, size_t size) {
    sqlite3_stmt *st;
    out[0] = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
        fprintf(stderr, "raw_text %s: %s\n", sql, sqlite3_errmsg(db));
        snprintf(out, size, "<prepare failed>");
        return;
    }
    if (sqlite3_step(st) == SQLITE_ROW) {
        const char *t = (const char *)sqlite3_column_text(st, 0);
        snprintf(out, size, "%s", t ? t : "<NULL>");
    }
    sqlite3_finalize(st);
}

static EpochMetrics epoch_values(int epoch, double base) {
    EpochMetrics m = {
        .epoch = epoch,
        .train_loss = 2.0 / epoch + base,
        .train_top1 = 50.0 + epoch + base,
        .val_loss = NAN,
        .val_top1 = NAN,
        .test_loss = 1.5 / epoch + base,
        .test_top1 = 60.0 + 3.25 * epoch + base,
        .test_top5 = 90.0 + 0.5 * epoch + base,
        .lr = 0.1 / epoch,
        .wall_seconds = 10.0 + epoch,
        .images_per_sec = 1234.5 * epoch,
    };
    return m;
}

static int same_or_both_nan(double a, double b) { return (isnan(a) && isnan(b)) || a == b; }

static int same_metrics(const EpochMetrics *a, const EpochMetrics *b) {
    return a->epoch == b->epoch && same_or_both_nan(a->train_loss, b->train_loss) &&
           same_or_both_nan(a->train_top1, b->train_top1) && same_or_both_nan(a->val_loss, b->val_loss) &&
           same_or_both_nan(a->val_top1, b->val_top1) && same_or_both_nan(a->test_loss, b->test_loss) &&
           same_or_both_nan(a->test_top1, b->test_top1) && same_or_both_nan(a->test_top5, b->test_top5) &&
           same_or_both_nan(a->lr, b->lr) && same_or_both_nan(a->wall_seconds, b->wall_seconds) &&
           same_or_both_nan(a->images_per_sec, b->images_per_sec);
}

static void test_create_and_pragmas(const char *db_path) {
    char err[ERR_LEN] = "";
    Store *s = NULL;
    CHECK_MSG(store_open(&s, db_path, err) == 0, "%s", err);
    CHECK(s != NULL);
    store_close(s);

    sqlite3 *db = raw_open(db_path, SQLITE_OPEN_READONLY);
    CHECK(db != NULL);
    if (!db) return;
    CHECK(raw_int(db, "PRAGMA user_version") == STORE_SCHEMA_VERSION);
    char mode[32];
    raw_text(db, "PRAGMA journal_mode", mode, sizeof mode);
    CHECK_MSG(strcmp(mode, "wal") == 0, "journal_mode %s", mode);
    CHECK(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name IN "
                      "('sweeps', 'runs', 'epochs')") == 3);
    CHECK(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'view' AND name = 'run_summary'") == 1);
    CHECK(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'runs_by_sweep'") == 1);
    sqlite3_close(db);

    /* Opening again keeps the version and data (no second migration). */
    CHECK_MSG(store_open(&s, db_path, err) == 0, "%s", err);
    store_close(s);
}

static void test_writes(const char *db_path, int64_t *run_a_out, int64_t *run_b_out) {
    char err[ERR_LEN] = "";
    Store *s = NULL;
    CHECK_MSG(store_open(&s, db_path, err) == 0, "%s", err);
    if (!s) return;

    int64_t sweep = 0, sweep_again = 0, sweep2 = 0;
    CHECK_MSG(store_upsert_sweep(s, "lr-sweep", "00112233aabbccdd", "{\"name\":\"lr-sweep\"}", "sweeps/lr.yaml",
                                 &sweep, err) == 0,
              "%s", err);
    CHECK(sweep > 0);
    CHECK_MSG(store_upsert_sweep(s, "lr-sweep", "ffff", "{}", NULL, &sweep_again, err) == 0, "%s", err);
    CHECK(sweep_again == sweep);
    CHECK_MSG(store_upsert_sweep(s, "other", NULL, NULL, NULL, &sweep2, err) == 0, "%s", err);
    CHECK(sweep2 != sweep && sweep2 > 0);

    /* upsert_run inserts pending, then returns the same id and keeps the status. */
    int64_t run_a = 0, run_a2 = 0, run_b = 0, run_c = 0;
    char status[16] = "";
    const uint64_t big_seed = 0xfedcba9876543210ULL; /* > INT64_MAX: stored as its bits */
    CHECK_MSG(store_upsert_run(s, sweep, "aaaaaaaaaaaaaaaa", 0, "{\"lr\":0.1}", "mlp", "synthetic", big_seed, &run_a,
                               status, err) == 0,
              "%s", err);
    CHECK(run_a > 0);
    CHECK(strcmp(status, RUN_PENDING) == 0);
    CHECK_MSG(store_upsert_run(s, sweep, "bbbbbbbbbbbbbbbb", 1, "{\"lr\":0.01}", "lenet", "mnist", 7, &run_b,
                               status, err) == 0,
              "%s", err);
    CHECK(run_b != run_a);
    /* The same trial key in another sweep is another run. */
    CHECK_MSG(store_upsert_run(s, sweep2, "aaaaaaaaaaaaaaaa", 0, "{}", "mlp", "synthetic", 1, &run_c, NULL, err) == 0,
              "%s", err);
    CHECK(run_c != run_a);

    CHECK_MSG(store_run_started(s, run_a, 3, "node-7", 101770, 0, err) == 0, "%s", err);
    status[0] = 0;
    CHECK_MSG(store_upsert_run(s, sweep, "aaaaaaaaaaaaaaaa", 0, "{\"lr\":0.1}", "mlp", "synthetic", big_seed,
                               &run_a2, status, err) == 0,
              "%s", err);
    CHECK(run_a2 == run_a);
    CHECK_MSG(strcmp(status, RUN_RUNNING) == 0, "status %s", status);

    /* Epochs: a first attempt writes 4 epochs; the restart clears them; the second attempt writes 3. */
    for (int e = 1; e <= 4; e++) {
        EpochMetrics m = epoch_values(e, 100.0);
        CHECK_MSG(store_record_epoch(s, run_a, &m, err) == 0, "%s", err);
    }
    RunRecord *runs = NULL;
    int count = 0;
    CHECK_MSG(store_load_runs(s, "lr-sweep", &runs, &count, err) == 0, "%s", err);
    CHECK(count == 2 && runs[0].id == run_a && runs[0].epoch_count == 4);
    store_free_runs(runs, count);
    CHECK_MSG(store_run_started(s, run_a, 1, "node-2", 101770, 0, err) == 0, "%s", err);
    CHECK_MSG(store_load_runs(s, "lr-sweep", &runs, &count, err) == 0, "%s", err);
    CHECK(count == 2 && runs[0].id == run_a && runs[0].epoch_count == 0);
    CHECK(count == 2 && strcmp(runs[0].status, RUN_RUNNING) == 0 && runs[0].rank == 1);
    store_free_runs(runs, count);

    /* Batched in one explicit transaction, as the coordinator does. */
    CHECK_MSG(store_begin(s, err) == 0, "%s", err);
    for (int e = 1; e <= 3; e++) {
        EpochMetrics m = epoch_values(e, 0.0);
        if (e == 2) m.test_top5 = NAN; /* an absent metric */
        CHECK_MSG(store_record_epoch(s, run_a, &m, err) == 0, "%s", err);
    }
    /* INSERT OR REPLACE: recording epoch 3 again replaces it. */
    EpochMetrics m3 = epoch_values(3, 0.0);
    m3.test_top1 = 77.125;
    CHECK_MSG(store_record_epoch(s, run_a, &m3, err) == 0, "%s", err);
    CHECK_MSG(store_commit(s, err) == 0, "%s", err);

    /* A rolled-back batch leaves nothing. */
    CHECK_MSG(store_begin(s, err) == 0, "%s", err);
    EpochMetrics m9 = epoch_values(9, 0.0);
    CHECK_MSG(store_record_epoch(s, run_a, &m9, err) == 0, "%s", err);
    CHECK(store_rollback(s) == 0);

    /* Epochs of an unknown run violate the foreign key. */
    EpochMetrics bad = epoch_values(1, 0.0);
    err[0] = 0;
    CHECK(store_record_epoch(s, 999999, &bad, err) != 0);
    CHECK_MSG(strstr(err, "FOREIGN KEY") != NULL, "%s", err);

    CHECK_MSG(store_run_ended(s, run_a, RUN_FINISHED, NULL, err) == 0, "%s", err);
    CHECK_MSG(store_run_started(s, run_b, 0, "node-1", 61706, 0, err) == 0, "%s", err);
    EpochMetrics mb = epoch_values(1, -10.0);
    CHECK_MSG(store_record_epoch(s, run_b, &mb, err) == 0, "%s", err);
    CHECK_MSG(store_run_ended(s, run_b, RUN_FAILED, "loss became NaN at step 120", err) == 0, "%s", err);

    err[0] = 0;
    CHECK(store_run_ended(s, run_b, "exploded", NULL, err) != 0);
    CHECK_MSG(strstr(err, "status") != NULL, "%s", err);
    err[0] = 0;
    CHECK(store_run_ended(s, 424242, RUN_FINISHED, NULL, err) != 0);
    CHECK_MSG(strstr(err, "no such run") != NULL, "%s", err);
    err[0] = 0;
    CHECK(store_run_started(s, 424242, 0, "x", 1, 0, err) != 0);
    CHECK_MSG(strstr(err, "no such run") != NULL, "%s", err);
    store_close(s);
    *run_a_out = run_a;
    *run_b_out = run_b;
}

static void test_read_back(const char *db_path, int64_t run_a, int64_t run_b, int readonly) {
    char err[ERR_LEN] = "";
    Store *s = NULL;
    int rc = readonly ? store_open_readonly(&s, db_path, err) : store_open(&s, db_path, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (!s) return;
    RunRecord *runs = NULL;
    int count = -1;
    CHECK_MSG(store_load_runs(s, "lr-sweep", &runs, &count, err) == 0, "%s", err);
    CHECK(count == 2);
    if (count == 2) {
        RunRecord *a = &runs[0], *b = &runs[1];
        CHECK(a->id == run_a);
        CHECK(b->id == run_b);
        CHECK(strcmp(a->sweep_name, "lr-sweep") == 0);
        CHECK(strcmp(a->trial_key, "aaaaaaaaaaaaaaaa") == 0);
        CHECK(a->trial_index == 0 && b->trial_index == 1);
        CHECK(strcmp(a->config_json, "{\"lr\":0.1}") == 0);
        CHECK(strcmp(a->model, "mlp") == 0 && strcmp(a->dataset, "synthetic") == 0);
        CHECK(a->seed == 0xfedcba9876543210ULL);
        CHECK(b->seed == 7);
        CHECK(a->param_count == 101770);
        CHECK(strcmp(a->status, RUN_FINISHED) == 0);
        CHECK(a->rank == 1);
        CHECK(strcmp(a->host, "node-2") == 0);
        CHECK(strlen(a->started_at) == 24 && a->started_at[10] == 'T' && a->started_at[23] == 'Z');
        CHECK(strlen(a->finished_at) == 24);
        CHECK(a->error == NULL);
        CHECK_MSG(a->epoch_count == 3, "epoch_count %d", a->epoch_count);
        if (a->epoch_count == 3) {
            for (int e = 1; e <= 3; e++) {
                EpochMetrics want = epoch_values(e, 0.0);
                if (e == 2) want.test_top5 = NAN;
                if (e == 3) want.test_top1 = 77.125;
                CHECK_MSG(same_metrics(&a->epochs[e - 1], &want), "epoch %d differs", e);
            }
            CHECK(isnan(a->epochs[0].val_loss) && isnan(a->epochs[0].val_top1));
            CHECK(isnan(a->epochs[1].test_top5));
            CHECK(a->epochs[1].test_top1 == 60.0 + 3.25 * 2);
        }
        CHECK(strcmp(b->status, RUN_FAILED) == 0);
        CHECK(b->error && strcmp(b->error, "loss became NaN at step 120") == 0);
        CHECK(b->epoch_count == 1);
        CHECK(b->rank == 0);
    }
    store_free_runs(runs, count);

    /* No filter: all three runs, sweep order. Unknown sweep: none. */
    CHECK_MSG(store_load_runs(s, NULL, &runs, &count, err) == 0, "%s", err);
    CHECK(count == 3);
    if (count == 3) {
        CHECK(strcmp(runs[2].sweep_name, "other") == 0);
        CHECK(runs[2].rank == -1 && runs[2].param_count == 0 && runs[2].started_at[0] == 0);
        CHECK(strcmp(runs[2].status, RUN_PENDING) == 0 && runs[2].epoch_count == 0);
    }
    store_free_runs(runs, count);
    CHECK_MSG(store_load_runs(s, "no-such-sweep", &runs, &count, err) == 0, "%s", err);
    CHECK(count == 0);
    store_free_runs(runs, count);
    store_close(s);
}

static void test_stored_nulls(const char *db_path, int64_t run_a) {
    sqlite3 *db = raw_open(db_path, SQLITE_OPEN_READONLY);
    if (!db) return;
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM epochs WHERE run_id = %lld AND val_loss IS NULL AND val_top1 IS NULL",
             (long long)run_a);
    CHECK(raw_int(db, sql) == 3);
    snprintf(sql, sizeof sql, "SELECT typeof(test_top5) FROM epochs WHERE run_id = %lld AND epoch = 2", (long long)run_a);
    char type[16];
    raw_text(db, sql, type, sizeof type);
    CHECK_MSG(strcmp(type, "null") == 0, "typeof %s", type);
    sqlite3_close(db);
}

static void test_view(const char *db_path, int64_t run_a, int64_t run_b) {
    sqlite3 *db = raw_open(db_path, SQLITE_OPEN_READONLY);
    if (!db) return;
    char sql[512];
    sqlite3_stmt *st;
    snprintf(sql, sizeof sql,
             "SELECT sweep, trial_key, model, dataset, param_count, status, epochs_done, best_test_top1, "
             "final_test_top1, final_test_top5, final_train_loss, total_wall_seconds FROM run_summary "
             "WHERE run_id = %lld",
             (long long)run_a);
    CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK(strcmp((const char *)sqlite3_column_text(st, 0), "lr-sweep") == 0);
    CHECK(strcmp((const char *)sqlite3_column_text(st, 1), "aaaaaaaaaaaaaaaa") == 0);
    CHECK(strcmp((const char *)sqlite3_column_text(st, 2), "mlp") == 0);
    CHECK(strcmp((const char *)sqlite3_column_text(st, 3), "synthetic") == 0);
    CHECK(sqlite3_column_int64(st, 4) == 101770);
    CHECK(strcmp((const char *)sqlite3_column_text(st, 5), "finished") == 0);
    CHECK(sqlite3_column_int(st, 6) == 3);
    /* epochs: top1 63.25, 66.5, 77.125 (replaced); final = epoch 3 */
    CHECK_CLOSE(sqlite3_column_double(st, 7), 77.125, 1e-12);
    CHECK_CLOSE(sqlite3_column_double(st, 8), 77.125, 1e-12);
    CHECK_CLOSE(sqlite3_column_double(st, 9), 91.5, 1e-12);
    CHECK_CLOSE(sqlite3_column_double(st, 10), 2.0 / 3.0, 1e-12);
    CHECK_CLOSE(sqlite3_column_double(st, 11), 11.0 + 12.0 + 13.0, 1e-12);
    sqlite3_finalize(st);

    /* The best is not always the last epoch: run b has one epoch (top-1 53.25). */
    snprintf(sql, sizeof sql, "SELECT best_test_top1, epochs_done FROM run_summary WHERE run_id = %lld",
             (long long)run_b);
    CHECK(sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_CLOSE(sqlite3_column_double(st, 0), 53.25, 1e-12);
    CHECK(sqlite3_column_int(st, 1) == 1);
    sqlite3_finalize(st);

    /* A run without epochs: 0 epochs, NULL best, 0 seconds; one row per run in total. */
    CHECK(raw_int(db, "SELECT count(*) FROM run_summary") == 3);
    CHECK(raw_int(db, "SELECT epochs_done FROM run_summary WHERE sweep = 'other'") == 0);
    CHECK(raw_int(db, "SELECT best_test_top1 IS NULL AND total_wall_seconds = 0 FROM run_summary "
                      "WHERE sweep = 'other'") == 1);
    sqlite3_close(db);
}

static void test_best_not_last(const char *db_path) {
    /* A separate sweep where the best epoch is in the middle. */
    char err[ERR_LEN] = "";
    Store *s = NULL;
    CHECK_MSG(store_open(&s, db_path, err) == 0, "%s", err);
    if (!s) return;
    int64_t sweep, run;
    CHECK(store_upsert_sweep(s, "peak", "h", "{}", NULL, &sweep, err) == 0);
    CHECK(store_upsert_run(s, sweep, "cccccccccccccccc", 0, "{}", "mlp", "mnist", 1, &run, NULL, err) == 0);
    CHECK(store_run_started(s, run, 0, "h", 10, 0, err) == 0);
    double top1[] = {40.0, 88.5, 70.25};
    for (int e = 1; e <= 3; e++) {
        EpochMetrics m = epoch_values(e, 0.0);
        m.test_top1 = top1[e - 1];
        CHECK(store_record_epoch(s, run, &m, err) == 0);
    }
    store_close(s);
    sqlite3 *db = raw_open(db_path, SQLITE_OPEN_READONLY);
    if (!db) return;
    sqlite3_stmt *st;
    CHECK(sqlite3_prepare_v2(db, "SELECT best_test_top1, final_test_top1 FROM run_summary WHERE sweep = 'peak'", -1,
                             &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK_CLOSE(sqlite3_column_double(st, 0), 88.5, 1e-12);
    CHECK_CLOSE(sqlite3_column_double(st, 1), 70.25, 1e-12);
    sqlite3_finalize(st);
    sqlite3_close(db);
}

/* Kept checkpoints and FLOPs (schema version 5): one best and one last per run, each with the sweep metric's
 * value at its epoch; read back through store_run_checkpoint and store_load_runs; a run that starts over
 * loses the rows past the epochs it kept. */
static void test_kept_checkpoints(const char *db_path) {
    char err[ERR_LEN] = "";
    Store *s = NULL;
    CHECK_MSG(store_open(&s, db_path, err) == 0, "%s", err);
    if (!s) return;
    int64_t sweep, run;
    CHECK(store_upsert_sweep(s, "kept", "h", "{}", NULL, &sweep, err) == 0);
    CHECK(store_upsert_run(s, sweep, "dddddddddddddddd", 0, "{}", "lenet", "mnist", 1, &run, NULL, err) == 0);
    CHECK(store_run_started(s, run, 0, "h", 61706, 0, err) == 0);
    CHECK_MSG(store_run_flops(s, run, 833040.0, err) == 0, "%s", err);
    double top1[] = {40.0, 88.5, 70.25};
    for (int e = 1; e <= 3; e++) {
        EpochMetrics m = epoch_values(e, 0.0);
        m.test_top1 = top1[e - 1];
        CHECK(store_record_epoch(s, run, &m, err) == 0);
    }
    /* a best first reported at epoch 1 is replaced by epoch 2's */
    CHECK_MSG(store_record_checkpoint(s, run, "best", 1, "test_top1", "/ck/run.best.ckpt", 100, err) == 0, "%s", err);
    CHECK_MSG(store_record_checkpoint(s, run, "best", 2, "test_top1", "/ck/run.best.ckpt", 123456, err) == 0, "%s", err);
    CHECK_MSG(store_record_checkpoint(s, run, "last", 3, "test_top1", "/ck/run.ckpt", 123460, err) == 0, "%s", err);
    CHECK(store_record_checkpoint(s, run, "epoch", 1, "test_loss", "/ck/run.epoch-1.ckpt", 99, err) == 0);
    CHECK(store_record_checkpoint(s, run, "epoch", 2, "test_loss", "/ck/run.epoch-2.ckpt", 99, err) == 0);
    err[0] = 0;
    CHECK(store_record_checkpoint(s, run, "worst", 1, "test_top1", "/x", 1, err) != 0);
    CHECK_MSG(strstr(err, "kind must be best, last or epoch") != NULL, "%s", err);
    CHECK(store_record_checkpoint(s, 777777, "best", 1, "test_top1", "/x", 1, err) != 0); /* foreign key */
    CHECK_MSG(store_run_ended(s, run, RUN_FINISHED, NULL, err) == 0, "%s", err);

    KeptCheckpoint k;
    CHECK_MSG(store_run_checkpoint(s, run, "best", &k, err) == 0, "%s", err);
    CHECK(k.epoch == 2 && k.size_bytes == 123456 && !strcmp(k.path, "/ck/run.best.ckpt") && !strcmp(k.metric, "test_top1"));
    CHECK_CLOSE(k.metric_value, 88.5, 1e-12);
    CHECK(store_run_checkpoint(s, run, "last", &k, err) == 0 && k.epoch == 3 && k.size_bytes == 123460);
    CHECK_CLOSE(k.metric_value, 70.25, 1e-12);
    err[0] = 0;
    CHECK(store_run_checkpoint(s, 888888, "best", &k, err) != 0);
    CHECK_MSG(strstr(err, "run 888888: no such run") != NULL, "%s", err);

    RunRecord *runs = NULL;
    int count = 0;
    CHECK_MSG(store_load_runs(s, "kept", &runs, &count, err) == 0, "%s", err);
    CHECK(count == 1);
    if (count == 1) {
        CHECK(runs[0].flops_per_image == 833040.0);
        CHECK_CLOSE(runs[0].images_per_sec, 1234.5 * 2, 1e-9); /* mean of 1234.5, 2469, 3703.5 */
        CHECK(runs[0].best_checkpoint_epoch == 2 && runs[0].best_checkpoint_bytes == 123456);
        CHECK(runs[0].last_checkpoint_epoch == 3 && runs[0].last_checkpoint_bytes == 123460);
        CHECK(runs[0].epoch_checkpoints == 2);
    }
    store_free_runs(runs, count);
    /* started over from epoch 1 (kept 1): the rows past epoch 1 go */
    CHECK(store_run_started(s, run, 0, "h", 61706, 1, err) == 0);
    CHECK(store_run_checkpoint(s, run, "best", &k, err) == 0 && k.epoch == 0);
    CHECK(store_run_checkpoint(s, run, "last", &k, err) == 0 && k.epoch == 0);
    store_close(s);
    sqlite3 *db = raw_open(db_path, SQLITE_OPEN_READONLY);
    if (!db) return;
    CHECK(raw_int(db, "SELECT count(*) FROM checkpoints c JOIN runs r ON r.id = c.run_id JOIN sweeps s ON "
                      "s.id = r.sweep_id WHERE s.name = 'kept'") == 1);
    CHECK(raw_int(db, "SELECT flops_per_image FROM run_summary WHERE sweep = 'kept'") == 833040);
    sqlite3_close(db);
}

static void test_readonly(const char *db_path) {
    char err[ERR_LEN] = "";
    Store *s = NULL;
    CHECK_MSG(store_open_readonly(&s, db_path, err) == 0, "%s", err);
    if (s) {
        int64_t id = 0;
        err[0] = 0;
        CHECK(store_upsert_sweep(s, "sneaky", "h", "{}", NULL, &id, err) != 0);
        CHECK_MSG(strstr(err, "readonly") != NULL, "%s", err);
        EpochMetrics m = epoch_values(1, 0.0);
        err[0] = 0;
        CHECK(store_record_epoch(s, 1, &m, err) != 0);
        CHECK_MSG(strstr(err, "readonly") != NULL, "%s", err);
        err[0] = 0;
        CHECK(store_begin(s, err) != 0 || store_run_ended(s, 1, RUN_FAILED, "x", err) != 0);
        store_rollback(s);
        store_close(s);
    }
    /* Nothing was written. */
    sqlite3 *db = raw_open(db_path, SQLITE_OPEN_READONLY);
    if (db) {
        CHECK(raw_int(db, "SELECT count(*) FROM sweeps WHERE name = 'sneaky'") == 0);
        CHECK(raw_int(db, "SELECT count(*) FROM runs WHERE status = 'failed' AND error = 'x'") == 0);
        sqlite3_close(db);
    }

    /* A missing file: refused, and not created. */
    char missing[512];
    path_in_tmp(missing, sizeof missing, "missing.db");
    s = NULL;
    err[0] = 0;
    CHECK(store_open_readonly(&s, missing, err) != 0);
    CHECK(s == NULL);
    CHECK_MSG(strstr(err, "missing.db") && strstr(err, "No such file"), "%s", err);
    CHECK(access(missing, F_OK) != 0);

    /* Another application's SQLite file: refused read-only and for writing, and left alone. */
    char foreign[512];
    path_in_tmp(foreign, sizeof foreign, "foreign.db");
    db = raw_open(foreign, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (db) {
        CHECK(sqlite3_exec(db, "CREATE TABLE runs (x); INSERT INTO runs VALUES (1); PRAGMA user_version = 1", NULL,
                           NULL, NULL) == SQLITE_OK);
        sqlite3_close(db);
    }
    err[0] = 0;
    CHECK(store_open_readonly(&s, foreign, err) != 0);
    CHECK_MSG(strstr(err, "not a Cohort results database") != NULL, "%s", err);
    err[0] = 0;
    CHECK(store_open(&s, foreign, err) != 0);
    CHECK_MSG(strstr(err, "not a Cohort results database") != NULL, "%s", err);
    db = raw_open(foreign, SQLITE_OPEN_READONLY);
    if (db) {
        CHECK(raw_int(db, "SELECT count(*) FROM sqlite_master") == 1);
        char mode[16];
        raw_text(db, "PRAGMA journal_mode", mode, sizeof mode);
        CHECK_MSG(strcmp(mode, "delete") == 0, "foreign file's journal mode changed to %s", mode);
        sqlite3_close(db);
    }

    /* A file that is not SQLite at all. */
    char text[512];
    path_in_tmp(text, sizeof text, "notes.db");
    FILE *f = fopen(text, "w");
    if (f) {
        fputs("these are not the tables you are looking for, padded to more than one hundred bytes so that "
              "SQLite reads a whole header.\n",
              f);
        fclose(f);
    }
    err[0] = 0;
    CHECK(store_open_readonly(&s, text, err) != 0);
    CHECK_MSG(strstr(err, "not a Cohort results database") != NULL, "%s", err);
    err[0] = 0;
    CHECK(store_open(&s, text, err) != 0);
    CHECK_MSG(strstr(err, "not a Cohort results database") != NULL, "%s", err);

    /* An empty database is not a Cohort database when read-only (nothing to migrate it). */
    char empty[512];
    path_in_tmp(empty, sizeof empty, "empty-ro.db");
    f = fopen(empty, "w");
    if (f) fclose(f);
    err[0] = 0;
    CHECK(store_open_readonly(&s, empty, err) != 0);
    CHECK_MSG(strstr(err, "not a Cohort results database") != NULL, "%s", err);
}

static void test_migrate_version0(void) {
    /* A version-0 file: an SQLite database with no schema yet (a zero-byte file and an initialised one). */
    char paths[2][512];
    path_in_tmp(paths[0], sizeof paths[0], "zero-bytes.db");
    path_in_tmp(paths[1], sizeof paths[1], "v0.db");
    FILE *f = fopen(paths[0], "w");
    if (f) fclose(f);
    sqlite3 *db = raw_open(paths[1], SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE);
    if (db) {
        CHECK(sqlite3_exec(db, "PRAGMA page_size = 8192; VACUUM", NULL, NULL, NULL) == SQLITE_OK);
        CHECK(raw_int(db, "PRAGMA user_version") == 0);
        sqlite3_close(db);
    }
    for (int i = 0; i < 2; i++) {
        char err[ERR_LEN] = "";
        Store *s = NULL;
        CHECK_MSG(store_open(&s, paths[i], err) == 0, "%s: %s", paths[i], err);
        if (s) {
            int64_t sweep = 0, run = 0;
            CHECK_MSG(store_upsert_sweep(s, "s", "h", "{}", NULL, &sweep, err) == 0, "%s", err);
            CHECK_MSG(store_upsert_run(s, sweep, "k", 0, "{}", "mlp", "mnist", 1, &run, NULL, err) == 0, "%s", err);
            store_close(s);
        }
        db = raw_open(paths[i], SQLITE_OPEN_READONLY);
        if (db) {
            CHECK(raw_int(db, "PRAGMA user_version") == STORE_SCHEMA_VERSION);
            CHECK(raw_int(db, "SELECT count(*) FROM run_summary") == 1);
            sqlite3_close(db);
        }
        s = NULL;
        CHECK_MSG(store_open_readonly(&s, paths[i], err) == 0, "%s", err);
        store_close(s);
    }

    /* A Cohort file from a newer build is refused, not downgraded. */
    db = raw_open(paths[1], SQLITE_OPEN_READWRITE);
    if (db) {
        CHECK(sqlite3_exec(db, "PRAGMA user_version = 99", NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_close(db);
    }
    char err[ERR_LEN] = "";
    Store *s = NULL;
    CHECK(store_open(&s, paths[1], err) != 0);
    CHECK_MSG(strstr(err, "newer") != NULL, "%s", err);
    CHECK(store_open_readonly(&s, paths[1], err) != 0);
}

static void test_constraints(const char *db_path) {
    sqlite3 *db = raw_open(db_path, SQLITE_OPEN_READWRITE);
    if (!db) return;
    sqlite3_exec(db, "PRAGMA foreign_keys = ON", NULL, NULL, NULL);
    /* CHECK on status, UNIQUE(sweep_id, trial_key), foreign keys. */
    CHECK(sqlite3_exec(db, "UPDATE runs SET status = 'done' WHERE id = 1", NULL, NULL, NULL) != SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "INSERT INTO runs (sweep_id, trial_key, trial_index, config_json, model, dataset, seed) "
                       "SELECT sweep_id, trial_key, 5, '{}', 'm', 'd', 0 FROM runs WHERE id = 1",
                       NULL, NULL, NULL) != SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "INSERT INTO runs (sweep_id, trial_key, trial_index, config_json, model, dataset, seed) "
                       "VALUES (12345, 'zz', 0, '{}', 'm', 'd', 0)",
                       NULL, NULL, NULL) != SQLITE_OK);
    sqlite3_close(db);
}

int main(void) {
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    char db_path[512];
    path_in_tmp(db_path, sizeof db_path, "results.db");
    int64_t run_a = 0, run_b = 0;

    test_create_and_pragmas(db_path);
    test_writes(db_path, &run_a, &run_b);
    test_read_back(db_path, run_a, run_b, 0); /* reopened for writing */
    test_read_back(db_path, run_a, run_b, 1); /* and read-only */
    test_stored_nulls(db_path, run_a);
    test_view(db_path, run_a, run_b);
    test_best_not_last(db_path);
    test_kept_checkpoints(db_path);
    test_readonly(db_path);
    test_migrate_version0();
    test_constraints(db_path);

    remove_tmpdir();
    return check_report("test_store");
}
