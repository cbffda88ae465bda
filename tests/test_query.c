/* The documented views and `cohort query`, on the "paper" database (report_fixture.h):
 *   views: run_summary, run_params, run_overview -- their exact column lists (an interface: later schema
 *     versions may only append), values against the fixture, every trainer key a run_params column, and
 *     the migration of a version-1 file;
 *   store_sql_*: reads work; INSERT/UPDATE/DELETE/DROP/CREATE/ALTER/ATTACH/DETACH/PRAGMA writes/VACUUM
 *     INTO/transactions/two statements are refused with a message, and the file is unchanged;
 *   the `cohort query` binary (argv[1]): aligned table, --csv, --json, exit code 2 and the message for
 *     refusals; `cohort report --where` refusals. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "report_fixture.h"
#include "store.h"
#include "store_query.h"

static char tmpdir[] = "/tmp/cohort_test_query_XXXXXX";
static char db_path[512];
static const char *cohort_bin;

static void path_in_tmp(char *out, size_t size, const char *name) { snprintf(out, size, "%s/%s", tmpdir, name); }

static void remove_tmpdir(void) {
    DIR *dir = opendir(tmpdir);
    if (!dir) return;
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[600];
        snprintf(p, sizeof p, "%s/%s", tmpdir, e->d_name);
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

static int64_t raw_int(sqlite3 *db, const char *sql) {
    sqlite3_stmt *st;
    int64_t v = -1;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
        v = sqlite3_column_int64(st, 0);
    else fprintf(stderr, "raw_int(%s): %s\n", sql, sqlite3_errmsg(db));
    sqlite3_finalize(st);
    return v;
}

/* The columns of a view, comma-separated. */
static void columns_of(sqlite3 *db, const char *view, char *out, size_t size) {
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT group_concat(name, ',') FROM pragma_table_info('%s')", view);
    sqlite3_stmt *st;
    out[0] = 0;
    if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW &&
        sqlite3_column_text(st, 0))
        snprintf(out, size, "%s", (const char *)sqlite3_column_text(st, 0));
    sqlite3_finalize(st);
}

static const char SUMMARY_COLUMNS[] =
    "sweep,run_id,trial_key,model,dataset,seed,param_count,status,epochs_done,best_test_top1,final_test_top1,"
    "final_test_top5,final_train_loss,total_wall_seconds,best_epoch,best_test_top5,min_test_loss,final_test_loss,"
    "final_train_top1,final_val_loss,final_val_top1,error,trial_index,host,started_at,finished_at,config,config_json,"
    "final_train_objective,flops_per_image,images_per_sec";
static const char PARAMS_START[] = "run_id,sweep,model,dataset,seed,hidden,data_dir,pad,";

static void test_views(void) {
    sqlite3 *db;
    if (sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
        CHECK(0);
        return;
    }
    char cols[4096], params[4096], overview[8192];
    columns_of(db, "run_summary", cols, sizeof cols);
    CHECK_MSG(strcmp(cols, SUMMARY_COLUMNS) == 0, "run_summary columns changed:\n%s\n%s", cols, SUMMARY_COLUMNS);
    columns_of(db, "run_params", params, sizeof params);
    CHECK_MSG(strncmp(params, PARAMS_START, strlen(PARAMS_START)) == 0, "%s", params);
    /* every trainer key but model/dataset/seed is a run_params column (a new key needs a migration) */
    for (int k = 0; k < train_config_key_count(); k++) {
        const char *key = train_config_key_name(k);
        char want[80];
        snprintf(want, sizeof want, ",%s,", key);
        char padded[4200];
        snprintf(padded, sizeof padded, ",%s,", params);
        CHECK_MSG(strstr(padded, want) != NULL, "trainer key '%s' is not a column of run_params", key);
    }
    /* run_overview = run_summary's columns, then run_params' key columns */
    columns_of(db, "run_overview", overview, sizeof overview);
    char want[8192];
    snprintf(want, sizeof want, "%s,%s", SUMMARY_COLUMNS, params + strlen("run_id,sweep,model,dataset,seed,"));
    CHECK_MSG(strcmp(overview, want) == 0, "run_overview columns:\n%s\nwant\n%s", overview, want);

    /* values: run 5 is lenet, lr 0.1, seed 2 */
    sqlite3_stmt *st;
    CHECK(sqlite3_prepare_v2(db,
                             "SELECT s.final_test_top1, s.best_test_top1, s.best_epoch, s.final_test_loss, "
                             "s.epochs_done, s.config, p.lr, p.batch_size, p.epochs, p.momentum, o.lr, "
                             "o.final_test_top5, s.status, s.error FROM run_summary s JOIN run_params p USING (run_id) "
                             "JOIN run_overview o USING (run_id) WHERE run_id = 5",
                             -1, &st, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(st) == SQLITE_ROW);
    CHECK(sqlite3_column_double(st, 0) == FX_TOP1[0][1][1]);
    CHECK(sqlite3_column_double(st, 1) == FX_TOP1[0][1][1]);
    CHECK(sqlite3_column_int(st, 2) == FX_EPOCHS);
    CHECK(sqlite3_column_double(st, 3) == FX_TESTLOSS[0][1][1]);
    CHECK(sqlite3_column_int(st, 4) == FX_EPOCHS);
    CHECK_MSG(!strcmp((const char *)sqlite3_column_text(st, 5), "{\"batch_size\":64,\"epochs\":3,\"lr\":0.1,\"model\":\"lenet\"}"),
              "%s", (const char *)sqlite3_column_text(st, 5));
    CHECK(sqlite3_column_double(st, 6) == 0.1 && sqlite3_column_int(st, 7) == 64 && sqlite3_column_int(st, 8) == 3);
    CHECK(sqlite3_column_type(st, 9) == SQLITE_NULL); /* not in this config */
    CHECK(sqlite3_column_double(st, 10) == 0.1 && sqlite3_column_double(st, 11) == FX_TOP5[0][1][1]);
    CHECK(!strcmp((const char *)sqlite3_column_text(st, 12), "finished") && sqlite3_column_type(st, 13) == SQLITE_NULL);
    sqlite3_finalize(st);
    /* a pruned run: its reason, its last epoch; the repeats of a configuration share `config` */
    CHECK(raw_int(db, "SELECT count(*) FROM run_summary WHERE status = 'pruned' AND error LIKE 'early_terminate:%' "
                      "AND epochs_done = 2") == 1);
    CHECK(raw_int(db, "SELECT count(DISTINCT config) FROM run_summary WHERE sweep = 'paper'") == FX_MODELS * FX_LRS);
    CHECK(raw_int(db, "SELECT max(n) FROM (SELECT count(*) AS n FROM run_summary WHERE status = 'finished' "
                      "GROUP BY config)") == FX_SEEDS);
    CHECK(raw_int(db, "SELECT count(*) FROM run_overview") == raw_int(db, "SELECT count(*) FROM runs"));
    CHECK(raw_int(db, "SELECT count(*) FROM run_params") == raw_int(db, "SELECT count(*) FROM runs"));
    sqlite3_close(db);
}

/* A file at schema version 1 (as written by earlier builds) is migrated: the views appear. */
static void test_migrate_v1(void) {
    char path[600];
    path_in_tmp(path, sizeof path, "v1.db");
    CHECK(fx_build(path) == 0);
    sqlite3 *db;
    CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
    CHECK(sqlite3_exec(db,
                       "DROP VIEW run_overview; DROP VIEW run_params; DROP VIEW run_summary;"
                       "ALTER TABLE epochs DROP COLUMN train_objective;"
                       "DROP TABLE checkpoints; DROP TABLE evaluations; ALTER TABLE runs DROP COLUMN flops_per_image;"
                       "ALTER TABLE runs DROP COLUMN images_per_sec;"
                       "CREATE VIEW run_summary AS SELECT s.name AS sweep, r.id AS run_id FROM runs r "
                       "JOIN sweeps s ON s.id = r.sweep_id; PRAGMA user_version = 1",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    char err[ERR_LEN] = "";
    Store *s = NULL;
    CHECK(store_open_readonly(&s, path, err) != 0); /* read-only opens need the current version */
    CHECK_MSG(strstr(err, "older") != NULL, "%s", err);
    CHECK_MSG(store_open(&s, path, err) == 0, "%s", err);
    store_close(s);
    CHECK(sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    CHECK(raw_int(db, "PRAGMA user_version") == STORE_SCHEMA_VERSION);
    char cols[4096];
    columns_of(db, "run_summary", cols, sizeof cols);
    CHECK(strcmp(cols, SUMMARY_COLUMNS) == 0);
    CHECK(raw_int(db, "SELECT count(*) FROM run_overview WHERE lr = 0.1") == FX_MODELS * FX_SEEDS + 2);
    /* version 5: ended runs get the mean of their epochs' images/s; the FLOPs stay unknown; no kept checkpoints */
    CHECK(raw_int(db, "SELECT count(*) FROM runs r WHERE status = 'finished' AND (images_per_sec IS NULL OR "
                      "abs(images_per_sec - (SELECT avg(images_per_sec) FROM epochs e WHERE e.run_id = r.id)) > 1e-9)") == 0);
    CHECK(raw_int(db, "SELECT count(*) FROM runs WHERE status = 'finished' AND images_per_sec > 0") > 0);
    CHECK(raw_int(db, "SELECT count(*) FROM runs WHERE flops_per_image IS NOT NULL") == 0);
    CHECK(raw_int(db, "SELECT count(*) FROM checkpoints") == 0);
    sqlite3_close(db);
}

static void test_store_sql(void) {
    char err[ERR_LEN] = "";
    Store *s = NULL;
    CHECK_MSG(store_open_readonly(&s, db_path, err) == 0, "%s", err);
    if (!s) return;
    StoreSql *q = NULL;
    int refused = -1;
    CHECK_MSG(store_sql_prepare(s, "SELECT run_id, model, lr FROM run_overview WHERE lr = 0.01 ORDER BY run_id;", &q,
                                &refused, err) == 0,
              "%s", err);
    CHECK(refused == 0);
    if (q) {
        CHECK(store_sql_columns(q) == 3 && !strcmp(store_sql_name(q, 2), "lr"));
        int rows = 0;
        while (store_sql_step(q, err) == 1) {
            CHECK(store_sql_type(q, 0) == STORE_SQL_INTEGER && store_sql_double(q, 2) == 0.01);
            rows++;
        }
        CHECK(rows == FX_MODELS * FX_SEEDS + 2);
        store_sql_finalize(q);
    }
    /* reads, each with its first value: table-valued functions, PRAGMAs that report, built-in functions */
    static const struct {
        const char *sql, *first;
    } ok[] = {
        {"PRAGMA table_info(runs)", "0"},
        {"PRAGMA user_version", "6"},
        {"EXPLAIN SELECT 1", "0"},
        {"WITH x AS (SELECT 1 AS a) SELECT a FROM x", "1"},
        {"SELECT 1 -- a comment", "1"},
        {"SELECT value FROM json_each('[7, 8]')", "7"},
        {"SELECT count(*) FROM pragma_table_info('runs')", "18"},
        {"SELECT name FROM pragma_table_info('runs') WHERE cid = 2", "trial_key"},
        {"PRAGMA journal_mode", "wal"},
        {"PRAGMA main.journal_mode", "wal"},
        {"PRAGMA page_size", "4096"},
        {"SELECT journal_mode FROM pragma_journal_mode", "wal"},
        {"SELECT json_extract(config_json, '$.lr') FROM runs WHERE id = 5", "0.1"},
        {"SELECT config_json ->> '$.batch_size' FROM runs WHERE id = 5", "64"},
        {"SELECT row_number() OVER (ORDER BY id DESC) FROM runs", "1"},
        {"SELECT printf('%.3f', round(2.0 / 3, 2)) || upper('x')", "0.670X"},
        {"SELECT date('2024-05-01', '+1 day')", "2024-05-02"},
        {"SELECT group_concat(key) FROM json_tree('{\"a\": 1}') WHERE key IS NOT NULL", "a"},
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        q = NULL;
        CHECK_MSG(store_sql_prepare(s, ok[i].sql, &q, &refused, err) == 0, "%s: %s", ok[i].sql, err);
        if (!q) continue;
        CHECK_MSG(store_sql_step(q, err) == 1, "%s: %s", ok[i].sql, err);
        const char *first = store_sql_text(q, 0);
        CHECK_MSG(first && !strcmp(first, ok[i].first), "%s: first value '%s', expected '%s'", ok[i].sql,
                  first ? first : "(null)", ok[i].first);
        store_sql_finalize(q);
    }
    static const struct {
        const char *sql, *says;
    } refuse[] = {
        {"INSERT INTO sweeps (name, created_at) VALUES ('x', 'y')", "INSERT"},
        {"UPDATE runs SET status = 'failed'", "UPDATE"},
        {"DELETE FROM epochs", "DELETE"},
        {"DROP TABLE runs", "DROP"},
        {"DROP VIEW run_summary", "DROP"},
        {"CREATE TABLE t (x)", "CREATE"},
        {"CREATE TEMP TABLE t (x)", "CREATE"},
        {"ALTER TABLE runs ADD COLUMN z", "ALTER"},
        {"ATTACH DATABASE ':memory:' AS m", "ATTACH"},
        {"DETACH DATABASE main", "DETACH"},
        {"PRAGMA user_version = 99", "PRAGMA user_version"},
        {"PRAGMA journal_mode = DELETE", "PRAGMA journal_mode"},
        {"PRAGMA query_only = 0", "PRAGMA query_only"},
        {"PRAGMA wal_checkpoint", "PRAGMA wal_checkpoint"},
        {"VACUUM INTO '/tmp/cohort_vacuum_copy.db'", "write"},
        {"VACUUM", "write"},
        {"REINDEX", "REINDEX"},
        {"ANALYZE", "would change the database"},
        {"BEGIN", "transaction"},
        {"SELECT 1; DELETE FROM runs", "refused"},
        {"SELECT 1; SELECT 2", "more than one statement"},
        /* fts3_tokenizer('simple') returns a library address; with two arguments it registers a pointer */
        {"SELECT fts3_tokenizer('simple')", "fts3_tokenizer"},
        {"SELECT fts3_tokenizer('mine', X'0000000000000000')", "fts3_tokenizer"},
        {"SELECT load_extension('/tmp/cohort_no_such.so')", "load_extension"},
        {"PRAGMA optimize", "PRAGMA optimize"},
        {"PRAGMA shrink_memory", "PRAGMA shrink_memory"},
        {"PRAGMA incremental_vacuum", "PRAGMA incremental_vacuum"},
        {"PRAGMA temp_store_directory = '/tmp'", "PRAGMA temp_store_directory"},
    };
    for (size_t i = 0; i < sizeof refuse / sizeof refuse[0]; i++) {
        q = NULL;
        refused = 0;
        err[0] = 0;
        CHECK_MSG(store_sql_prepare(s, refuse[i].sql, &q, &refused, err) != 0, "accepted: %s", refuse[i].sql);
        CHECK_MSG(refused == 1, "%s: not a refusal: %s", refuse[i].sql, err);
        CHECK_MSG(strstr(err, "refused") && strstr(err, refuse[i].says), "%s: %s", refuse[i].sql, err);
        store_sql_finalize(q);
    }
    CHECK(access("/tmp/cohort_vacuum_copy.db", F_OK) != 0);
    store_close(s);

    /* nothing changed */
    sqlite3 *db;
    CHECK(sqlite3_open_v2(db_path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK);
    CHECK(raw_int(db, "SELECT count(*) FROM sweeps") == 2);
    CHECK(raw_int(db, "SELECT count(*) FROM runs") == FX_MODELS * FX_LRS * FX_SEEDS + FX_PROBLEMS + 1);
    CHECK(raw_int(db, "SELECT count(*) FROM runs WHERE status = 'failed'") == 1);
    CHECK(raw_int(db, "PRAGMA user_version") == STORE_SCHEMA_VERSION);
    CHECK(raw_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'run_summary'") == 1);
    sqlite3_close(db);
}

/* ---- the binary ---- */
typedef struct {
    int status;
    char *out, *err;
} Run;

/* Runs cohort with args (NULL-terminated), capturing stdout and stderr. */
/* Runs cohort with stdout and stderr in files. Each run is bounded, so that a statement that no longer stops
 * (a lost --timeout) fails its check instead of hanging the suite: 60 s of wall time (SIGALRM) and 64 MiB
 * of output (SIGXFSZ). A run ended by a signal has status 128 + the signal's number. */
enum { RUN_SECONDS = 60, RUN_OUTPUT_BYTES = 64 << 20 };

static Run run_cohort(const char *const *args) {
    Run r = {-1, NULL, NULL};
    char out[600], err[600];
    path_in_tmp(out, sizeof out, "stdout.txt");
    path_in_tmp(err, sizeof err, "stderr.txt");
    pid_t pid = fork();
    if (pid == 0) {
        if (!freopen(out, "w", stdout) || !freopen(err, "w", stderr)) _exit(126);
        struct rlimit size = {RUN_OUTPUT_BYTES, RUN_OUTPUT_BYTES};
        if (setrlimit(RLIMIT_FSIZE, &size) != 0) _exit(126);
        alarm(RUN_SECONDS); /* kept across execv */
        char *argv[32];
        int n = 0;
        argv[n++] = (char *)cohort_bin;
        for (; args[n - 1] && n < 31; n++) argv[n] = (char *)args[n - 1];
        argv[n] = NULL;
        execv(cohort_bin, argv);
        _exit(127);
    }
    int status;
    if (pid > 0 && waitpid(pid, &status, 0) == pid) {
        if (WIFEXITED(status)) r.status = WEXITSTATUS(status);
        else if (WIFSIGNALED(status)) r.status = 128 + WTERMSIG(status);
    }
    r.out = read_file(out);
    r.err = read_file(err);
    return r;
}

static void run_free(Run *r) { free(r->out), free(r->err); }

static void test_cli(void) {
    if (!cohort_bin) return;
    /* aligned table: header, dashes, rows with numbers right-aligned, a row count */
    Run r = run_cohort((const char *const[]){"query", "--db", db_path,
                                             "SELECT run_id, model, final_test_top1 FROM run_summary "
                                             "WHERE run_id IN (5, 13) ORDER BY run_id",
                                             NULL});
    CHECK_MSG(r.status == 0, "exit %d: %s", r.status, r.err ? r.err : "");
    if (r.out) {
        char want[1024];
        snprintf(want, sizeof want,
                 "run_id  model%*s  final_test_top1\n"
                 "------  %.*s  ---------------\n"
                 "     5  lenet%*s  %15.2f\n"
                 "    13  %s  %15.2f\n"
                 "(2 rows)\n",
                 (int)strlen(FX_WEIRD) - 5, "", (int)strlen(FX_WEIRD),
                 "------------------------------------------------------------", (int)strlen(FX_WEIRD) - 5, "",
                 FX_TOP1[0][1][1], FX_WEIRD, FX_TOP1[2][0][0]);
        CHECK_MSG(strcmp(r.out, want) == 0, "table:\n%s\nwant:\n%s", r.out, want);
    }
    run_free(&r);

    /* CSV: RFC 4180 quoting of the weird model name */
    r = run_cohort((const char *const[]){"query", "--db", db_path, "--csv",
                                         "SELECT run_id, model, lr FROM run_overview WHERE run_id = 13", NULL});
    CHECK(r.status == 0);
    CHECK_MSG(r.out && !strcmp(r.out, "run_id,model,lr\r\n13,\"res<net>_v2 & {co} #1 50% $x^2~\\ a|b, \"\"q\"\"\",0.01\r\n"),
              "%s", r.out ? r.out : "");
    run_free(&r);

    /* JSON: an array of objects, values typed, NULL as null */
    r = run_cohort((const char *const[]){"query", "--db", db_path, "--json",
                                         "SELECT run_id, model, final_test_top1, momentum, status FROM run_overview "
                                         "WHERE sweep = 'paper' ORDER BY run_id",
                                         NULL});
    CHECK(r.status == 0);
    cJSON *root = r.out ? cJSON_Parse(r.out) : NULL;
    CHECK_MSG(cJSON_IsArray(root), "%s", r.out ? r.out : "");
    CHECK(cJSON_GetArraySize(root) == FX_MODELS * FX_LRS * FX_SEEDS + FX_PROBLEMS);
    const cJSON *row13 = cJSON_GetArrayItem(root, 12);
    CHECK(row13 && cJSON_GetObjectItem(row13, "run_id")->valueint == 13);
    CHECK(row13 && !strcmp(cJSON_GetObjectItem(row13, "model")->valuestring, FX_WEIRD));
    CHECK(row13 && cJSON_GetObjectItem(row13, "final_test_top1")->valuedouble == FX_TOP1[2][0][0]);
    CHECK(row13 && cJSON_IsNull(cJSON_GetObjectItem(row13, "momentum")));
    cJSON_Delete(root);
    run_free(&r);

    /* refusals: exit code 2, the reason on stderr, nothing on stdout, the file unchanged */
    struct stat before, after;
    CHECK(stat(db_path, &before) == 0);
    static const char *const writes[] = {"INSERT INTO sweeps (name, created_at) VALUES ('x', 'y')",
                                         "UPDATE runs SET status = 'lost'", "DELETE FROM runs", "DROP TABLE epochs",
                                         "ATTACH DATABASE '/tmp/cohort_attach.db' AS a", "PRAGMA user_version = 5"};
    for (size_t i = 0; i < sizeof writes / sizeof writes[0]; i++) {
        r = run_cohort((const char *const[]){"query", "--db", db_path, writes[i], NULL});
        CHECK_MSG(r.status == 2, "%s: exit %d", writes[i], r.status);
        CHECK_MSG(r.err && strstr(r.err, "cohort query: refused:") && strstr(r.err, "read-only"), "%s: %s", writes[i],
                  r.err ? r.err : "");
        CHECK(r.out && r.out[0] == 0);
        run_free(&r);
    }
    CHECK(access("/tmp/cohort_attach.db", F_OK) != 0);
    CHECK(stat(db_path, &after) == 0 && after.st_mtime == before.st_mtime && after.st_size == before.st_size);

    r = run_cohort((const char *const[]){"query", "--db", db_path, "SELEC 1", NULL});
    CHECK(r.status == 2 && r.err && strstr(r.err, "syntax error"));
    run_free(&r);
    char missing[600];
    path_in_tmp(missing, sizeof missing, "missing.db");
    r = run_cohort((const char *const[]){"query", "--db", missing, "SELECT 1", NULL});
    CHECK(r.status == 2 && access(missing, F_OK) != 0);
    run_free(&r);

    /* cohort report: --where refusals and bad options are exit code 2 */
    char out[600];
    path_in_tmp(out, sizeof out, "r.html");
    r = run_cohort((const char *const[]){"report", "--db", db_path, "--out", out, "--where", "1=1; DELETE FROM runs",
                                         NULL});
    CHECK(r.status == 2 && r.err && strstr(r.err, "';' is not allowed") && access(out, F_OK) != 0);
    run_free(&r);
    r = run_cohort((const char *const[]){"report", "--db", db_path, "--out", out, "--group-by", "colour", NULL});
    CHECK(r.status == 2 && r.err && strstr(r.err, "--group-by"));
    run_free(&r);
    r = run_cohort((const char *const[]){"report", "--db", db_path, "--out", out, "--where", "lr = 0.1", "--metric",
                                         "test_loss", "--group-by", "model,dataset", NULL});
    CHECK_MSG(r.status == 0 && access(out, F_OK) == 0, "%s", r.err ? r.err : "");
    run_free(&r);
}

/* Stored text reaches the terminal inert, JSON stays valid, CSV formulas are neutralised on request. */
static void test_cli_escaping(void) {
    if (!cohort_bin) return;
    /* an OSC title sequence, BEL, a byte that is not UTF-8, a C1 CSI; and ESC in a column name */
    Run r = run_cohort((const char *const[]){"query", "--db", db_path,
                                             "SELECT CAST(X'1B5D303B7469746C6507FF20C29B324A' AS TEXT) || 'end' AS v, "
                                             "1 AS \"\x1b[2Jname\"",
                                             NULL});
    CHECK_MSG(r.status == 0, "exit %d: %s", r.status, r.err ? r.err : "");
    CHECK_MSG(r.out && fx_terminal_safe(r.out, 0), "control characters reach the terminal:\n%s", r.out ? r.out : "");
    CHECK(r.out && strstr(r.out, "\xEF\xBF\xBD]0;title\xEF\xBF\xBD\xEF\xBF\xBD \xEF\xBF\xBD" "2Jend"));
    CHECK(r.out && strstr(r.out, "\xEF\xBF\xBD[2Jname"));
    run_free(&r);

    /* JSON: bytes that are not UTF-8 become \ufffd; the document parses and is valid UTF-8 */
    r = run_cohort((const char *const[]){"query", "--db", db_path, "--json",
                                         "SELECT CAST(X'61FF62' AS TEXT) AS v, CAST(X'E282' AS TEXT) AS \"k\"", NULL});
    CHECK(r.status == 0);
    CHECK_MSG(r.out && fx_utf8_valid(r.out), "JSON is not UTF-8: %s", r.out ? r.out : "");
    cJSON *root = r.out ? cJSON_Parse(r.out) : NULL;
    const cJSON *row = cJSON_GetArrayItem(root, 0);
    const cJSON *v = cJSON_GetObjectItem(row, "v"), *k = cJSON_GetObjectItem(row, "k");
    CHECK(cJSON_IsString(v) && !strcmp(v->valuestring, "a\xEF\xBF\xBD" "b"));
    CHECK(cJSON_IsString(k) && !strcmp(k->valuestring, "\xEF\xBF\xBD\xEF\xBF\xBD"));
    cJSON_Delete(root);
    run_free(&r);

    /* CSV: values as stored by default; with --csv-safe, text a spreadsheet would run gets a leading ' and
     * numbers (also negative ones, and text that is a plain number) stay as they are */
    const char *formulas = "SELECT '=1+2' AS f, -1.5 AS n, '-2+3' AS g, '@SUM(A1)' AS h, '-0.25' AS t, "
                           "'+1e3' AS u, '=a,b' AS w";
    r = run_cohort((const char *const[]){"query", "--db", db_path, "--csv", formulas, NULL});
    CHECK_MSG(r.status == 0 && r.out && !strcmp(r.out, "f,n,g,h,t,u,w\r\n=1+2,-1.5,-2+3,@SUM(A1),-0.25,+1e3,\"=a,b\"\r\n"),
              "%s", r.out ? r.out : "");
    run_free(&r);
    r = run_cohort((const char *const[]){"query", "--db", db_path, "--csv", "--csv-safe", formulas, NULL});
    CHECK_MSG(r.status == 0 && r.out &&
                  !strcmp(r.out, "f,n,g,h,t,u,w\r\n'=1+2,-1.5,'-2+3,'@SUM(A1),-0.25,+1e3,\"'=a,b\"\r\n"),
              "%s", r.out ? r.out : "");
    run_free(&r);
    r = run_cohort((const char *const[]){"query", "--db", db_path, "--csv-safe", "SELECT 1", NULL});
    CHECK(r.status == 2 && r.err && strstr(r.err, "--csv-safe"));
    run_free(&r);

    /* cohort report: --csv-safe by default, --no-csv-safe keeps the formula */
    char formula_db[600], out[600];
    path_in_tmp(formula_db, sizeof formula_db, "formula.db");
    path_in_tmp(out, sizeof out, "formula.csv");
    CHECK(fx_build(formula_db) == 0);
    sqlite3 *db;
    CHECK(sqlite3_open_v2(formula_db, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK);
    CHECK(sqlite3_exec(db, "UPDATE runs SET error = '=HYPERLINK(\"http://example.invalid\")' WHERE status = 'failed'",
                       NULL, NULL, NULL) == SQLITE_OK);
    sqlite3_close(db);
    const char *raw_cell = ",\"=HYPERLINK(\"\"http://example.invalid\"\")\",", *safe_cell =
                                                                                ",\"'=HYPERLINK(\"\"http://example.invalid\"\")\",";
    r = run_cohort((const char *const[]){"report", "--db", formula_db, "--out", out, NULL});
    CHECK(r.status == 0);
    run_free(&r);
    char *text = read_file(out);
    CHECK_MSG(text && strstr(text, safe_cell) && !strstr(text, raw_cell), "%s", text ? text : "");
    free(text);
    r = run_cohort((const char *const[]){"report", "--db", formula_db, "--out", out, "--no-csv-safe", NULL});
    CHECK(r.status == 0);
    run_free(&r);
    text = read_file(out);
    CHECK_MSG(text && strstr(text, raw_cell), "%s", text ? text : "");
    free(text);
}

/* --timeout bounds a statement; the table streams after its first rows, so memory stays bounded. */
static void test_cli_bounds(void) {
    if (!cohort_bin) return;
    const char *endless = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
    Run r = run_cohort((const char *const[]){"query", "--db", db_path, "--timeout", "1", endless, NULL});
    CHECK_MSG(r.status == 1, "exit %d", r.status);
    CHECK_MSG(r.err && strstr(r.err, "stopped after 1 s") && strstr(r.err, "--timeout"), "%s", r.err ? r.err : "");
    run_free(&r);
    static const char *const bad[] = {"abc", "-1", "inf", "nan", "1e999", "5s"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        r = run_cohort((const char *const[]){"query", "--db", db_path, "--timeout", bad[i], "SELECT 1", NULL});
        CHECK_MSG(r.status == 2 && r.err && strstr(r.err, "--timeout"), "--timeout %s: exit %d", bad[i], r.status);
        run_free(&r);
    }
    r = run_cohort((const char *const[]){"query", "--db", db_path, "--timeout", "0", "SELECT 42", NULL});
    CHECK(r.status == 0 && r.out && strstr(r.out, "42"));
    run_free(&r);

    /* widths come from the first 1000 rows: the long value in row 1400 overflows its column */
    r = run_cohort((const char *const[]){"query", "--db", db_path,
                                         "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 1500) "
                                         "SELECT x, CASE x WHEN 1400 THEN 'a much longer value' ELSE 'b' END AS v FROM c",
                                         NULL});
    CHECK(r.status == 0);
    CHECK_MSG(r.out && !strncmp(r.out, "   x  v\n----  -\n   1  b\n", 24), "%.60s", r.out ? r.out : "");
    CHECK(r.out && strstr(r.out, "\n1400  a much longer value\n1401  b\n"));
    CHECK(r.out && strstr(r.out, "\n1500  b\n(1500 rows)\n"));
    run_free(&r);

    /* an endless result is printed as it comes until the time limit stops it */
    r = run_cohort((const char *const[]){"query", "--db", db_path, "--timeout", "1",
                                         "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c",
                                         NULL});
    CHECK_MSG(r.status == 1, "exit %d", r.status);
    CHECK_MSG(r.out && !strncmp(r.out, "   x\n----\n   1\n   2\n", 20), "%.40s", r.out ? r.out : "");
    CHECK_MSG(r.out && strstr(r.out, "\n1000\n1001\n1002\n"), "rows after the first 1000 were not printed");
    run_free(&r);
}

int main(int argc, char **argv) {
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    cohort_bin = argc > 1 ? argv[1] : NULL;
    if (!cohort_bin) fprintf(stderr, "test_query: no cohort binary given; the command-line checks are left out\n");
    path_in_tmp(db_path, sizeof db_path, "paper.db");
    CHECK(fx_build(db_path) == 0);
    test_views();
    test_migrate_v1();
    test_store_sql();
    test_cli();
    test_cli_escaping();
    test_cli_bounds();
    remove_tmpdir();
    return check_report("test_query");
}
