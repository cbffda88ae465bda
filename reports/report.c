/* report_write: picks the format by the file extension (report_formats.c), checks the options, loads the
 * selected runs, builds the analysis (report_data.c) and its tables (report_tables.c) and writes
 * atomically (temp file + rename). */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "report_internal.h"
#include "store_query.h"

void report_format_count(int64_t value, char out[32]) {
    if (value <= 0) {
        snprintf(out, 32, "-");
        return;
    }
    char digits[24];
    int n = snprintf(digits, sizeof digits, "%lld", (long long)value);
    int o = 0;
    for (int i = 0; i < n; i++) {
        if (i > 0 && (n - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = 0;
}

void report_format_flops(double value, char out[32]) {
    if (!(value > 0)) snprintf(out, 32, "-");
    else if (value < 1e3) snprintf(out, 32, "%.0f", value);
    else if (value < 1e6) snprintf(out, 32, "%.1f k", value / 1e3);
    else if (value < 1e9) snprintf(out, 32, "%.1f M", value / 1e6);
    else snprintf(out, 32, "%.2f G", value / 1e9);
}

static void format_bytes(int64_t bytes, char out[32]) {
    if (bytes < 1024) snprintf(out, 32, "%lld B", (long long)bytes);
    else if (bytes < 1024 * 1024) snprintf(out, 32, "%.1f KiB", (double)bytes / 1024);
    else if (bytes < (int64_t)1024 * 1024 * 1024) snprintf(out, 32, "%.1f MiB", (double)bytes / (1024.0 * 1024));
    else snprintf(out, 32, "%.2f GiB", (double)bytes / (1024.0 * 1024 * 1024));
}

void report_format_kept(const RunRecord *run, char out[160]) {
    char best[32], last[32];
    int at = 0;
    out[0] = 0;
    format_bytes(run->best_checkpoint_bytes, best);
    format_bytes(run->last_checkpoint_bytes, last);
    if (run->best_checkpoint_epoch > 0)
        at += snprintf(out + at, 160 - (size_t)at, "best: epoch %d (%s)", run->best_checkpoint_epoch, best);
    if (run->last_checkpoint_epoch > 0)
        at += snprintf(out + at, 160 - (size_t)at, "%slast: epoch %d (%s)", at ? ", " : "", run->last_checkpoint_epoch, last);
    if (run->epoch_checkpoints > 0)
        at += snprintf(out + at, 160 - (size_t)at, "%s%d epoch%s", at ? ", " : "", run->epoch_checkpoints,
                       run->epoch_checkpoints == 1 ? "" : "s");
    if (!at) snprintf(out, 160, "-");
}

void report_format_fixed(double value, int decimals, char out[32]) {
    if (isnan(value)) snprintf(out, 32, "-");
    else snprintf(out, 32, "%.*f", decimals, value);
}

void report_format_stat(Stat s, int decimals, char out[64]) {
    if (s.n == 0 || isnan(s.mean)) snprintf(out, 64, "-");
    else if (s.n == 1 || isnan(s.std)) snprintf(out, 64, "%.*f", decimals, s.mean);
    else snprintf(out, 64, "%.*f \xC2\xB1 %.*f", decimals, s.mean, decimals, s.std);
}

void report_format_epochs(int lo, int hi, const char *dash, char out[48]) {
    if (!hi) snprintf(out, 48, "-");
    else if (lo == hi) snprintf(out, 48, "%d", hi);
    else snprintf(out, 48, "%d%s%d", lo, dash, hi);
}

void report_format_best_run(const ReportData *d, int r, char out[48]) {
    if (r < 0) {
        snprintf(out, 48, "-");
        return;
    }
    char v[32];
    report_format_fixed(d->sums[r].metric, metric_decimals(d->metric), v);
    snprintf(out, 48, "#%lld: %s", (long long)d->runs[r].id, v);
}

const char *report_hp_kind(const HyperParam *h) {
    if (!h->numeric) return "categorical";
    return h->bins ? "numeric, 10 bins" : h->log_scale ? "numeric, log" : "numeric";
}

void report_format_duration(double seconds, char out[32]) {
    if (isnan(seconds)) snprintf(out, 32, "-");
    else if (seconds < 120) snprintf(out, 32, "%.1f s", seconds);
    else if (seconds < 7200) snprintf(out, 32, "%.1f min", seconds / 60);
    else snprintf(out, 32, "%.1f h", seconds / 3600);
}

void report_format_exact(double value, char out[32]) {
    if (!isfinite(value)) {
        snprintf(out, 32, "%s", isnan(value) ? "" : value > 0 ? "inf" : "-inf");
        return;
    }
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(out, 32, "%.*g", digits, value);
        if (strtod(out, NULL) == value) return;
    }
}

/* ---- options and atomic output ---- */
static int parse_metric(const char *name, MetricId *out, char *err) {
    if (!name || !*name) {
        *out = MET_TEST_TOP1;
        return 0;
    }
    int m = metric_find(name);
    if (m >= 0) {
        *out = (MetricId)m;
        return 0;
    }
    return err_set(err, "--metric: unknown metric '%s' (use test_top1, test_top5, test_loss, train_loss, train_top1, "
                        "val_loss or val_top1)",
                   name);
}

/* ---- never over the database ---- */
typedef struct {
    dev_t dev;
    ino_t ino;
} FileId;

static int file_id(const char *path, FileId *id) {
    struct stat st;
    if (stat(path, &st) != 0) return -1;
    *id = (FileId){st.st_dev, st.st_ino};
    return 0;
}

static int same_id(FileId a, FileId b) { return a.dev == b.dev && a.ino == b.ino; }

/* The directory entry path names: its directory (by device and inode) and its last component. */
static int dir_entry(const char *path, FileId *dir, const char **name) {
    const char *slash = strrchr(path, '/');
    *name = slash ? slash + 1 : path;
    if (!slash) return file_id(".", dir);
    if (slash == path) return file_id("/", dir);
    char *parent = strndup(path, (size_t)(slash - path));
    int rc = parent ? file_id(parent, dir) : -1;
    free(parent);
    return rc;
}

/* Whether out names the file `protected` (existing: the same inode; or not: the same directory entry). */
static int names_same_file(const char *out, const char *protected) {
    FileId a, b;
    if (file_id(out, &a) == 0 && file_id(protected, &b) == 0 && same_id(a, b)) return 1;
    const char *out_name, *protected_name;
    return dir_entry(out, &a, &out_name) == 0 && dir_entry(protected, &b, &protected_name) == 0 && same_id(a, b) &&
           *out_name && strcmp(out_name, protected_name) == 0;
}

int report_check_output(const char *db_path, const char *out_path, char err[ERR_LEN]) {
    if (!db_path || !*db_path || !out_path || !*out_path) return 0;
    static const struct {
        const char *suffix, *what;
    } sidecar[] = {{"", "the database itself"},
                   {"-wal", "its -wal file"},
                   {"-shm", "its -shm file"},
                   {"-journal", "its -journal file"},
                   {".checkpoints", "its checkpoint directory"}};
    /* SQLite names the -wal, -shm and -journal files after the path with symbolic links resolved */
    char *resolved = realpath(db_path, NULL);
    const char *bases[2] = {db_path, resolved};
    int refused = 0;
    for (int b = 0; b < 2 && !refused && bases[b]; b++) {
        size_t len = strlen(bases[b]) + 16;
        char *path = malloc(len);
        if (!path) break;
        for (size_t k = 0; k < sizeof sidecar / sizeof sidecar[0] && !refused; k++) {
            snprintf(path, len, "%s%s", bases[b], sidecar[k].suffix);
            FileId parent, checkpoints;
            const char *name;
            if (names_same_file(out_path, path)) {
                err_set(err, "%s: refusing to write the report over the database %s: it is %s", out_path, db_path,
                        sidecar[k].what);
                refused = 1;
            } else if (!strcmp(sidecar[k].suffix, ".checkpoints") && file_id(path, &checkpoints) == 0 &&
                       dir_entry(out_path, &parent, &name) == 0 && same_id(parent, checkpoints)) {
                err_set(err, "%s: refusing to write the report over the database %s: it is in its checkpoint "
                             "directory %s",
                        out_path, db_path, path);
                refused = 1;
            }
        }
        free(path);
    }
    free(resolved);
    return refused ? -1 : 0;
}

int report_write(Store *store, const char *out_path, const ReportOptions *options, char err[ERR_LEN]) {
    if (!out_path || !*out_path) return err_set(err, "report: no output path given");
    const ReportFormat *format = report_format_of(out_path);
    if (!format) {
        char known[128];
        report_format_list(known, sizeof known);
        return err_set(err, "%s: unknown report format '%s' (use %s)", out_path, report_extension(out_path), known);
    }
    if (report_check_output(store_path(store), out_path, err)) return -1;
    static const ReportOptions defaults = {0};
    if (!options) options = &defaults;
    ReportData d = {0};
    d.options = options;
    if (parse_metric(options->metric, &d.metric, err)) return -1;
    const char *sweep = options->sweep_name;
    if (options->where && store_check_condition(store, options->where, err)) return -1;
    if (store_load_runs_where(store, sweep, options->where, &d.runs, &d.count, err)) return -1;
    if (sweep && d.count == 0 && !options->where) {
        report_data_free(&d);
        return err_set(err, "%s: no runs of sweep '%s' in the database", out_path, sweep);
    }
    if (report_load_evaluations(store, &d, err) || report_data_build(&d, err) ||
        report_tables_build(&d, &d.tables, err)) {
        report_data_free(&d);
        return -1;
    }

    /* Write next to the target, then rename over it: readers never see a half-written report. */
    size_t len = strlen(out_path);
    char *tmp = malloc(len + 16);
    if (!tmp) {
        report_data_free(&d);
        return err_set(err, "%s: out of memory", out_path);
    }
    snprintf(tmp, len + 16, "%s.tmp-XXXXXX", out_path);
    int rc = -1;
    int fd = mkstemp(tmp);
    if (fd < 0) {
        err_set(err, "%s: cannot create the report: %s", out_path, strerror(errno));
        goto done;
    }
    fchmod(fd, 0644);
    FILE *f = fdopen(fd, "w");
    if (!f) {
        err_set(err, "%s: cannot write the report: %s", out_path, strerror(errno));
        close(fd);
        unlink(tmp);
        goto done;
    }
    setvbuf(f, NULL, _IOFBF, 1 << 16);
    int wrc = format->write(f, &d);
    int write_errno = ferror(f) ? errno : 0;
    if (fflush(f) != 0 && !write_errno) write_errno = errno ? errno : EIO;
    if (fclose(f) != 0 && !write_errno) write_errno = errno ? errno : EIO;
    if (wrc || write_errno) {
        err_set(err, "%s: cannot write the report: %s", out_path,
                write_errno ? strerror(write_errno) : "out of memory");
        unlink(tmp);
        goto done;
    }
    if (rename(tmp, out_path) != 0) {
        err_set(err, "%s: cannot write the report: %s", out_path, strerror(errno));
        unlink(tmp);
        goto done;
    }
    rc = 0;
done:
    free(tmp);
    report_data_free(&d);
    return rc;
}

/* ---- stored evaluations ---- */
typedef struct {
    ReportData *d;
    int failed;
} EvalLoad;

static int run_index_of(const ReportData *d, int64_t id) {
    for (int r = 0; r < d->count; r++)
        if (d->runs[r].id == id) return r;
    return -1;
}

static void take_evaluation(const EvaluationRecord *e, void *user) {
    EvalLoad *load = user;
    ReportData *d = load->d;
    const int run = run_index_of(d, e->run_id);
    if (run < 0 || load->failed || e->classes < 1 || e->classes > 1000) return;
    ReportEvaluation *grown = realloc(d->evals, (size_t)(d->eval_count + 1) * sizeof *grown);
    if (!grown) {
        load->failed = 1;
        return;
    }
    d->evals = grown;
    ReportEvaluation *v = &d->evals[d->eval_count++];
    memset(v, 0, sizeof *v);
    v->run = run;
    v->checkpoint = strdup(e->checkpoint ? e->checkpoint : "");
    v->split = strdup(e->split ? e->split : "");
    v->dataset = strdup(e->dataset ? e->dataset : "");
    v->epoch = e->epoch, v->images = e->images, v->classes = e->classes;
    v->top1 = e->top1, v->top5 = e->top5, v->loss = e->loss;
    v->confusion = calloc((size_t)e->classes * e->classes, sizeof *v->confusion);
    v->names = calloc((size_t)e->classes, sizeof *v->names);
    if (!v->checkpoint || !v->split || !v->dataset || !v->confusion || !v->names) {
        load->failed = 1;
        return;
    }
    /* rows that do not parse (a hand-edited row) stay zero: the chart shows what is there */
    cJSON *rows = cJSON_Parse(e->confusion ? e->confusion : "[]"), *names = cJSON_Parse(e->class_names ? e->class_names : "[]");
    for (int t = 0; t < e->classes; t++) {
        const cJSON *row = cJSON_GetArrayItem(rows, t);
        for (int p = 0; p < e->classes; p++) {
            const cJSON *n = cJSON_GetArrayItem(row, p);
            if (cJSON_IsNumber(n) && n->valuedouble >= 0) v->confusion[(size_t)t * e->classes + p] = (long long)n->valuedouble;
        }
        const cJSON *name = cJSON_GetArrayItem(names, t);
        char fallback[16];
        snprintf(fallback, sizeof fallback, "%d", t);
        v->names[t] = strdup(cJSON_IsString(name) ? name->valuestring : fallback);
        if (!v->names[t]) load->failed = 1;
    }
    cJSON_Delete(rows);
    cJSON_Delete(names);
}

int report_load_evaluations(Store *store, ReportData *d, char *err) {
    EvalLoad load = {d, 0};
    if (store_each_evaluation(store, take_evaluation, &load, err)) return -1;
    if (load.failed) return err_set(err, "report: out of memory loading evaluations");
    return 0;
}
