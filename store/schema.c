/* The results database schema and its migrations.
 *
 * PRAGMA user_version is the schema version and PRAGMA application_id marks the file as Cohort's.
 * MIGRATIONS[v] takes a database from version v to v + 1; opening for writing applies every step
 * from the file's version up to STORE_SCHEMA_VERSION in one transaction, so a file is always at some
 * whole version. To change the schema: append a step (never edit a released one) and bump
 * STORE_SCHEMA_VERSION in store.h.
 *
 * Version 1:
 *   sweeps  one row per sweep name (spec_hash/spec_json: the normalised sweep file).
 *   runs    one row per trial of a sweep, UNIQUE(sweep_id, trial_key). seed holds the uint64 seed's bits
 *           as a signed 64-bit integer (seeds >= 2^63 read back negative in sqlite3, exact through the
 *           API). param_count, rank, host, started_at are NULL until the run starts; finished_at and
 *           error until it ends.
 *   epochs  one row per finished epoch, PRIMARY KEY(run_id, epoch) in a WITHOUT ROWID table, so the
 *           primary key is the clustered "epochs by run" index. NULL = metric absent (NaN in C).
 *   Index runs_by_sweep(sweep_id, trial_index) serves "the runs of a sweep, in grid order".
 *
 *   View run_summary, for ad-hoc queries with the sqlite3 shell, one row per run in sweep/grid order:
 *     sweep               sweep name
 *     run_id, trial_key, model, dataset, seed, param_count, status   as in runs
 *     epochs_done         number of recorded epochs (0 before the first)
 *     best_test_top1      highest test top-1 % over the epochs (NULL if none measured)
 *     final_test_top1     test top-1 % of the last recorded epoch
 *     final_test_top5     test top-5 % of the last recorded epoch
 *     final_train_loss    train loss of the last recorded epoch
 *     total_wall_seconds  sum of the epochs' wall times (training + evaluation; 0 with no epochs)
 *   e.g.  sqlite3 results.db "SELECT run_id, model, best_test_top1 FROM run_summary
 *                              WHERE sweep = 'lenet-lr' ORDER BY best_test_top1 DESC LIMIT 5"
 *
 * Version 2 (views only; the tables are unchanged):
 *   run_summary gains, after the version-1 columns:
 *     best_epoch          first epoch reaching best_test_top1
 *     best_test_top5      highest test top-5 %;  min_test_loss  lowest test loss
 *     final_test_loss, final_train_top1, final_val_loss, final_val_top1   of the last recorded epoch
 *     error, trial_index, host, started_at, finished_at                    as in runs
 *     config              config_json without "seed": equal for the repeats of a configuration
 *     config_json         the whole configuration
 *   run_params: run_id, sweep, model, dataset, seed, then one column per trainer key (lr, batch_size,
 *     epochs, weight_decay, ... -- every key of `cohort train --help` but model/dataset/seed), the value
 *     from config_json (NULL when the run's configuration does not set it; booleans as 0/1).
 *   run_overview: every run_summary column followed by every run_params key column, one row per run;
 *     `cohort report --where` conditions are evaluated against it.
 *   e.g.  sqlite3 results.db "SELECT model, lr, count(*) AS n, avg(final_test_top1) FROM run_overview
 *                              WHERE status = 'finished' GROUP BY config ORDER BY 4 DESC"
 * Version 3:
 *   epochs gains train_objective: for models with auxiliary heads (GoogLeNet, Inception-v3 with aux), the
 *     loss training minimised, train_loss (the main head's) plus each auxiliary head's times its weight;
 *     NULL for every other model.
 *   run_summary appends final_train_objective (of the last recorded epoch); run_params and run_overview
 *     append the trainer keys stem, bn, aux and growth.
 * Version 4 (views only): run_params and run_overview append the trainer keys micro_batch and ranks_per_trial.
 * Version 5:
 *   runs gains flops_per_image (forward FLOPs of one image, x2 per multiply-add, as `cohort models` counts them;
 *     set when the run starts) and images_per_sec (the mean of its epochs' training images/s, set when it
 *     ends; filled in for ended runs by the migration).
 *   checkpoints  the checkpoints kept after a run ended (the sweep's keep_checkpoints), PRIMARY KEY(run_id,
 *     kind, epoch): kind best (the epoch best by the sweep's metric), last (the run's last epoch) or epoch
 *     (keep_checkpoints: all), the epoch the file holds, metric and metric_value (the sweep's metric at that
 *     epoch, NULL when not measured), path (absolute, on the host that wrote it: runs.host), size_bytes,
 *     recorded_at.
 *   evaluations  `cohort eval --db`: one row per (run_id, checkpoint path, split): the checkpoint's epoch, the
 *     dataset, images and classes evaluated, top1/top5 (%), mean loss, per_class (JSON array of each class's
 *     accuracy in %, null for a class without images), confusion (JSON array of rows: true class, each a
 *     count per predicted class), class_names (JSON array, or NULL), evaluated_at.
 *   run_summary and run_overview append flops_per_image and images_per_sec after the version-3 columns;
 *     run_params and run_overview append the trainer keys image_size (image folders), se and deploy.
 * Version 6 (views only): run_params and run_overview append the trainer key recompute.
 * The views are an interface: later versions keep their columns and order and only append.
 */
#include <stdio.h>
#include <string.h>

#include "store_internal.h"

static const char SCHEMA_V1[] =
    "PRAGMA application_id = 1128813140;\n" /* STORE_APPLICATION_ID, 0x43485254 "CHRT" */
    "CREATE TABLE sweeps (\n"
    "    id          INTEGER PRIMARY KEY,\n"
    "    name        TEXT    NOT NULL UNIQUE,\n"
    "    spec_hash   TEXT,\n"
    "    spec_json   TEXT,\n"
    "    source_path TEXT,\n"
    "    created_at  TEXT    NOT NULL\n"
    ");\n"
    "CREATE TABLE runs (\n"
    "    id          INTEGER PRIMARY KEY,\n"
    "    sweep_id    INTEGER NOT NULL REFERENCES sweeps (id) ON DELETE CASCADE,\n"
    "    trial_key   TEXT    NOT NULL,\n"
    "    trial_index INTEGER NOT NULL CHECK (trial_index >= 0),\n"
    "    config_json TEXT    NOT NULL,\n"
    "    model       TEXT    NOT NULL,\n"
    "    dataset     TEXT    NOT NULL,\n"
    "    seed        INTEGER NOT NULL,\n"
    "    param_count INTEGER CHECK (param_count >= 0),\n"
    "    status      TEXT    NOT NULL DEFAULT 'pending'\n"
    "                CHECK (status IN ('pending', 'running', 'finished', 'pruned', 'diverged', 'failed', 'lost')),\n"
    "    rank        INTEGER CHECK (rank >= 0),\n"
    "    host        TEXT,\n"
    "    started_at  TEXT,\n"
    "    finished_at TEXT,\n"
    "    error       TEXT,\n"
    "    failures    INTEGER NOT NULL DEFAULT 0,\n"
    "    UNIQUE (sweep_id, trial_key)\n"
    ");\n"
    "CREATE INDEX runs_by_sweep ON runs (sweep_id, trial_index);\n"
    "CREATE TABLE epochs (\n"
    "    run_id         INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
    "    epoch          INTEGER NOT NULL CHECK (epoch >= 1),\n"
    "    train_loss     REAL,\n"
    "    train_top1     REAL,\n"
    "    val_loss       REAL,\n"
    "    val_top1       REAL,\n"
    "    test_loss      REAL,\n"
    "    test_top1      REAL,\n"
    "    test_top5      REAL,\n"
    "    lr             REAL,\n"
    "    wall_seconds   REAL,\n"
    "    images_per_sec REAL,\n"
    "    PRIMARY KEY (run_id, epoch)\n"
    ") WITHOUT ROWID;\n"
    "CREATE VIEW run_summary AS\n"
    "SELECT s.name       AS sweep,\n"
    "       r.id         AS run_id,\n"
    "       r.trial_key, r.model, r.dataset, r.seed, r.param_count, r.status,\n"
    "       (SELECT count(*) FROM epochs e WHERE e.run_id = r.id)              AS epochs_done,\n"
    "       (SELECT max(e.test_top1) FROM epochs e WHERE e.run_id = r.id)      AS best_test_top1,\n"
    "       last.test_top1  AS final_test_top1,\n"
    "       last.test_top5  AS final_test_top5,\n"
    "       last.train_loss AS final_train_loss,\n"
    "       (SELECT total(e.wall_seconds) FROM epochs e WHERE e.run_id = r.id) AS total_wall_seconds\n"
    "FROM runs r\n"
    "JOIN sweeps s ON s.id = r.sweep_id\n"
    "LEFT JOIN epochs last ON last.run_id = r.id\n"
    "     AND last.epoch = (SELECT max(e.epoch) FROM epochs e WHERE e.run_id = r.id)\n"
    "ORDER BY r.sweep_id, r.trial_index, r.id;\n";

/* Version 2: the documented views for reports and sqlite3 users (see the comment at the top).
 * run_summary keeps its version-1 columns in their order and appends new ones; run_params has one column
 * per trainer key of this version; run_overview is both in one row (what `cohort report --where` filters).
 * A later migration that changes the tables or adds trainer keys recreates the views with the same
 * columns, only appending (tests/test_query.c pins the column lists). */
#define SUMMARY_COLUMNS                                                                                      \
    "s.name       AS sweep,\n"                                                                               \
    "       r.id         AS run_id,\n"                                                                       \
    "       r.trial_key, r.model, r.dataset, r.seed, r.param_count, r.status,\n"                             \
    "       (SELECT count(*) FROM epochs e WHERE e.run_id = r.id)              AS epochs_done,\n"            \
    "       (SELECT max(e.test_top1) FROM epochs e WHERE e.run_id = r.id)      AS best_test_top1,\n"         \
    "       last.test_top1  AS final_test_top1,\n"                                                           \
    "       last.test_top5  AS final_test_top5,\n"                                                           \
    "       last.train_loss AS final_train_loss,\n"                                                          \
    "       (SELECT total(e.wall_seconds) FROM epochs e WHERE e.run_id = r.id) AS total_wall_seconds,\n"     \
    "       (SELECT e.epoch FROM epochs e WHERE e.run_id = r.id AND e.test_top1 IS NOT NULL\n"               \
    "         ORDER BY e.test_top1 DESC, e.epoch LIMIT 1)                      AS best_epoch,\n"             \
    "       (SELECT max(e.test_top5) FROM epochs e WHERE e.run_id = r.id)      AS best_test_top5,\n"         \
    "       (SELECT min(e.test_loss) FROM epochs e WHERE e.run_id = r.id)      AS min_test_loss,\n"          \
    "       last.test_loss  AS final_test_loss,\n"                                                           \
    "       last.train_top1 AS final_train_top1,\n"                                                          \
    "       last.val_loss   AS final_val_loss,\n"                                                            \
    "       last.val_top1   AS final_val_top1,\n"                                                            \
    "       r.error, r.trial_index, r.host, r.started_at, r.finished_at,\n"                                  \
    "       json_remove(r.config_json, '$.seed') AS config,\n"                                               \
    "       r.config_json"
#define SUMMARY_FROM                                                                                         \
    "FROM runs r\n"                                                                                          \
    "JOIN sweeps s ON s.id = r.sweep_id\n"                                                                   \
    "LEFT JOIN epochs last ON last.run_id = r.id\n"                                                          \
    "     AND last.epoch = (SELECT max(e.epoch) FROM epochs e WHERE e.run_id = r.id)\n"                      \
    "ORDER BY r.sweep_id, r.trial_index, r.id"
/* The trainer's keys as of version 2, but model, dataset and seed (columns of runs). */
#define P(key) "       json_extract(r.config_json, '$." key "') AS \"" key "\""
#define PARAM_COLUMNS                                                                                        \
    P("hidden") ",\n" P("data_dir") ",\n" P("pad") ",\n" P("coarse_labels") ",\n" P("augment") ",\n"         \
    P("val_split") ",\n" P("train_limit") ",\n" P("test_limit") ",\n" P("input_shape") ",\n" P("classes")   \
    ",\n" P("synthetic_train") ",\n" P("synthetic_test") ",\n" P("shortcut") ",\n" P("dropout") ",\n"        \
    P("width") ",\n" P("dim") ",\n" P("depth") ",\n" P("heads") ",\n" P("mlp_dim") ",\n" P("patch") ",\n"     \
    P("pool") ",\n" P("attn_dropout") ",\n" P("gelu") ",\n" P("token_mlp_dim") ",\n" P("channel_mlp_dim")   \
    ",\n" P("optimizer") ",\n" P("beta1") ",\n" P("beta2") ",\n" P("adam_eps") ",\n" P("grad_clip") ",\n"    \
    P("wd_norm_bias") ",\n" P("milestones") ",\n" P("epochs") ",\n" P("batch_size") ",\n" P("lr") ",\n"      \
    P("momentum") ",\n" P("nesterov") ",\n" P("weight_decay") ",\n" P("label_smoothing") ",\n"               \
    P("schedule") ",\n" P("step_size") ",\n" P("gamma") ",\n" P("warmup_epochs") ",\n" P("threads")

static const char VIEWS_V2[] =
    "DROP VIEW IF EXISTS run_summary;\n"
    "CREATE VIEW run_summary AS\n"
    "SELECT " SUMMARY_COLUMNS "\n" SUMMARY_FROM ";\n"
    "CREATE VIEW run_params AS\n"
    "SELECT r.id AS run_id, s.name AS sweep, r.model, r.dataset, r.seed,\n" PARAM_COLUMNS "\n"
    "FROM runs r\n"
    "JOIN sweeps s ON s.id = r.sweep_id\n"
    "ORDER BY r.sweep_id, r.trial_index, r.id;\n"
    "CREATE VIEW run_overview AS\n"
    "SELECT " SUMMARY_COLUMNS ",\n" PARAM_COLUMNS "\n" SUMMARY_FROM ";\n";

#define SUMMARY_COLUMNS_V3 SUMMARY_COLUMNS ",\n       last.train_objective AS final_train_objective"
#define PARAM_COLUMNS_V3 PARAM_COLUMNS ",\n" P("stem") ",\n" P("bn") ",\n" P("aux") ",\n" P("growth")

static const char MIGRATION_V3[] =
    "ALTER TABLE epochs ADD COLUMN train_objective REAL;\n"
    "DROP VIEW IF EXISTS run_overview;\n"
    "DROP VIEW IF EXISTS run_params;\n"
    "DROP VIEW IF EXISTS run_summary;\n"
    "CREATE VIEW run_summary AS\n"
    "SELECT " SUMMARY_COLUMNS_V3 "\n" SUMMARY_FROM ";\n"
    "CREATE VIEW run_params AS\n"
    "SELECT r.id AS run_id, s.name AS sweep, r.model, r.dataset, r.seed,\n" PARAM_COLUMNS_V3 "\n"
    "FROM runs r\n"
    "JOIN sweeps s ON s.id = r.sweep_id\n"
    "ORDER BY r.sweep_id, r.trial_index, r.id;\n"
    "CREATE VIEW run_overview AS\n"
    "SELECT " SUMMARY_COLUMNS_V3 ",\n" PARAM_COLUMNS_V3 "\n" SUMMARY_FROM ";\n";
/* Version 4: the data-parallel keys (views only). */
#define PARAM_COLUMNS_V4 PARAM_COLUMNS_V3 ",\n" P("micro_batch") ",\n" P("ranks_per_trial")

static const char MIGRATION_V4[] =
    "DROP VIEW IF EXISTS run_overview;\n"
    "DROP VIEW IF EXISTS run_params;\n"
    "CREATE VIEW run_params AS\n"
    "SELECT r.id AS run_id, s.name AS sweep, r.model, r.dataset, r.seed,\n" PARAM_COLUMNS_V4 "\n"
    "FROM runs r\n"
    "JOIN sweeps s ON s.id = r.sweep_id\n"
    "ORDER BY r.sweep_id, r.trial_index, r.id;\n"
    "CREATE VIEW run_overview AS\n"
    "SELECT " SUMMARY_COLUMNS_V3 ",\n" PARAM_COLUMNS_V4 "\n" SUMMARY_FROM ";\n";
/* Version 5: FLOPs and throughput per run, the kept checkpoints and evaluations, and the image-folder key. */
#define SUMMARY_COLUMNS_V5 SUMMARY_COLUMNS_V3 ",\n       r.flops_per_image, r.images_per_sec"
#define PARAM_COLUMNS_V5 PARAM_COLUMNS_V4 ",\n" P("image_size") ",\n" P("se") ",\n" P("deploy")

static const char MIGRATION_V5[] =
    "ALTER TABLE runs ADD COLUMN flops_per_image REAL CHECK (flops_per_image >= 0);\n"
    "ALTER TABLE runs ADD COLUMN images_per_sec REAL;\n"
    "UPDATE runs SET images_per_sec = (SELECT avg(e.images_per_sec) FROM epochs e WHERE e.run_id = runs.id)\n"
    " WHERE status IN ('finished', 'pruned', 'diverged', 'failed', 'lost');\n"
    "CREATE TABLE checkpoints (\n"
    "    run_id       INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
    "    kind         TEXT    NOT NULL CHECK (kind IN ('best', 'last', 'epoch')),\n"
    "    epoch        INTEGER NOT NULL CHECK (epoch >= 1),\n"
    "    metric       TEXT,\n"
    "    metric_value REAL,\n"
    "    path         TEXT    NOT NULL,\n"
    "    size_bytes   INTEGER NOT NULL CHECK (size_bytes >= 0),\n"
    "    recorded_at  TEXT    NOT NULL,\n"
    "    PRIMARY KEY (run_id, kind, epoch)\n"
    ") WITHOUT ROWID;\n"
    "CREATE TABLE evaluations (\n"
    "    run_id      INTEGER NOT NULL REFERENCES runs (id) ON DELETE CASCADE,\n"
    "    checkpoint  TEXT    NOT NULL,\n"
    "    split       TEXT    NOT NULL,\n"
    "    epoch       INTEGER,\n"
    "    dataset     TEXT    NOT NULL,\n"
    "    images      INTEGER NOT NULL CHECK (images >= 0),\n"
    "    classes     INTEGER NOT NULL CHECK (classes >= 1),\n"
    "    top1        REAL,\n"
    "    top5        REAL,\n"
    "    loss        REAL,\n"
    "    per_class   TEXT    NOT NULL,\n"
    "    confusion   TEXT    NOT NULL,\n"
    "    class_names TEXT,\n"
    "    evaluated_at TEXT   NOT NULL,\n"
    "    PRIMARY KEY (run_id, checkpoint, split)\n"
    ") WITHOUT ROWID;\n"
    "DROP VIEW IF EXISTS run_overview;\n"
    "DROP VIEW IF EXISTS run_summary;\n"
    "DROP VIEW IF EXISTS run_params;\n"
    "CREATE VIEW run_summary AS\n"
    "SELECT " SUMMARY_COLUMNS_V5 "\n" SUMMARY_FROM ";\n"
    "CREATE VIEW run_params AS\n"
    "SELECT r.id AS run_id, s.name AS sweep, r.model, r.dataset, r.seed,\n" PARAM_COLUMNS_V5 "\n"
    "FROM runs r\n"
    "JOIN sweeps s ON s.id = r.sweep_id\n"
    "ORDER BY r.sweep_id, r.trial_index, r.id;\n"
    "CREATE VIEW run_overview AS\n"
    "SELECT " SUMMARY_COLUMNS_V5 ",\n" PARAM_COLUMNS_V5 "\n" SUMMARY_FROM ";\n";

#define PARAM_COLUMNS_V6 PARAM_COLUMNS_V5 ",\n" P("recompute")

static const char MIGRATION_V6[] =
    "DROP VIEW IF EXISTS run_overview;\n"
    "DROP VIEW IF EXISTS run_params;\n"
    "CREATE VIEW run_params AS\n"
    "SELECT r.id AS run_id, s.name AS sweep, r.model, r.dataset, r.seed,\n" PARAM_COLUMNS_V6 "\n"
    "FROM runs r\n"
    "JOIN sweeps s ON s.id = r.sweep_id\n"
    "ORDER BY r.sweep_id, r.trial_index, r.id;\n"
    "CREATE VIEW run_overview AS\n"
    "SELECT " SUMMARY_COLUMNS_V5 ",\n" PARAM_COLUMNS_V6 "\n" SUMMARY_FROM ";\n";
#undef P

/* MIGRATIONS[v]: version v -> v + 1. */
static const char *const MIGRATIONS[] = {
    SCHEMA_V1,
    VIEWS_V2,
    MIGRATION_V3,
    MIGRATION_V4,
    MIGRATION_V5,
    MIGRATION_V6,
};
_Static_assert(sizeof MIGRATIONS / sizeof MIGRATIONS[0] == STORE_SCHEMA_VERSION,
               "one migration step per schema version");

typedef struct {
    int64_t application_id, user_version, objects;
} FileIdentity;

static int read_identity(Store *store, FileIdentity *id, char *err) {
    if (store_query_int(store, "PRAGMA application_id", &id->application_id, err) ||
        store_query_int(store, "PRAGMA user_version", &id->user_version, err) ||
        store_query_int(store, "SELECT count(*) FROM sqlite_master", &id->objects, err)) {
        int code = sqlite3_extended_errcode(store->db);
        if ((code & 0xff) == SQLITE_NOTADB)
            return err_set(err, "%s: not a Cohort results database (not an SQLite file)", store->path);
        return -1;
    }
    return 0;
}

int schema_check_identity(Store *store, char *err) {
    FileIdentity id;
    if (read_identity(store, &id, err)) return -1;
    if (id.application_id == 0 && id.user_version == 0 && id.objects == 0) return 0; /* empty: to create */
    if (id.application_id != STORE_APPLICATION_ID)
        return err_set(err,
                       "%s: not a Cohort results database (an SQLite file with application_id %lld, "
                       "user_version %lld and %lld schema objects)",
                       store->path, (long long)id.application_id, (long long)id.user_version,
                       (long long)id.objects);
    if (id.user_version < 1)
        return err_set(err, "%s: damaged Cohort results database (no schema version)", store->path);
    if (id.user_version > STORE_SCHEMA_VERSION)
        return err_set(err,
                       "%s: results database has schema version %lld, newer than this build of Cohort "
                       "understands (%d); use a newer cohort",
                       store->path, (long long)id.user_version, STORE_SCHEMA_VERSION);
    return 0;
}

int schema_migrate(Store *store, char *err) {
    int64_t version;
    if (store_query_int(store, "PRAGMA user_version", &version, err)) return -1;
    if (version == STORE_SCHEMA_VERSION) return 0;
    if (store_exec(store, "BEGIN IMMEDIATE", "beginning the schema migration", err)) return -1;
    /* Read again under the write lock: another writer may have migrated meanwhile. */
    if (store_query_int(store, "PRAGMA user_version", &version, err)) goto fail;
    for (; version < STORE_SCHEMA_VERSION; version++) {
        char what[96];
        snprintf(what, sizeof what, "migrating the schema from version %lld to %lld", (long long)version,
                 (long long)version + 1);
        if (store_exec(store, MIGRATIONS[version], what, err)) goto fail;
    }
    char sql[64];
    snprintf(sql, sizeof sql, "PRAGMA user_version = %d", STORE_SCHEMA_VERSION);
    if (store_exec(store, sql, "setting the schema version", err) ||
        store_exec(store, "COMMIT", "committing the schema migration", err))
        goto fail;
    return 0;
fail:
    store_rollback(store);
    return -1;
}

int schema_check_readonly(Store *store, char *err) {
    int64_t version;
    if (store_query_int(store, "PRAGMA user_version", &version, err)) return -1;
    if (version == 0)
        return err_set(err, "%s: not a Cohort results database (an empty database)", store->path);
    if (version < STORE_SCHEMA_VERSION)
        return err_set(err,
                       "%s: results database has schema version %lld, older than this build's %d; open it "
                       "once for writing (any cohort run) to migrate it",
                       store->path, (long long)version, STORE_SCHEMA_VERSION);
    static const char *const required[] = {"sweeps", "runs", "epochs", "checkpoints", "evaluations",
                                            "run_summary", "run_params", "run_overview"};
    for (size_t i = 0; i < sizeof required / sizeof required[0]; i++) {
        char sql[128];
        int64_t n;
        snprintf(sql, sizeof sql, "SELECT count(*) FROM sqlite_master WHERE name = '%s'", required[i]);
        if (store_query_int(store, sql, &n, err)) return -1;
        if (n != 1)
            return err_set(err, "%s: damaged Cohort results database (no '%s' table or view)", store->path,
                           required[i]);
    }
    return 0;
}
