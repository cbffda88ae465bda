/* report_write: picks the format from the file extension, computes the per-run summary every format
 * shares (best/final metrics, varying hyperparameters, colours), and writes atomically (temp + rename). */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "report_internal.h"
#include "svg_chart.h"

/* ---- growable strings ---- */
typedef struct {
    char *p;
    size_t len, cap;
    int oom;
} Buf;

static void buf_add(Buf *b, const char *s) {
    size_t n = strlen(s);
    if (b->oom) return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 64;
        while (b->len + n + 1 > cap) cap *= 2;
        char *p = realloc(b->p, cap);
        if (!p) {
            b->oom = 1;
            return;
        }
        b->p = p, b->cap = cap;
    }
    memcpy(b->p + b->len, s, n + 1);
    b->len += n;
}

/* Returns the string (never NULL unless out of memory); the Buf no longer owns it. */
static char *buf_take(Buf *b) {
    if (b->oom) {
        free(b->p);
        return NULL;
    }
    if (!b->p) return strdup("");
    return b->p;
}

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

void report_format_fixed(double value, int decimals, char out[32]) {
    if (isnan(value)) snprintf(out, 32, "-");
    else snprintf(out, 32, "%.*f", decimals, value);
}

/* ---- key hyperparameters: config keys whose values differ between the runs of the report ---- */
typedef struct {
    char **keys, **values; /* flattened "a.b" -> rendered value */
    int n, cap;
} Flat;

static int flat_add(Flat *f, const char *key, const char *value) {
    if (f->n == f->cap) {
        int cap = f->cap ? f->cap * 2 : 16;
        char **k = realloc(f->keys, (size_t)cap * sizeof *k);
        if (!k) return -1;
        f->keys = k;
        char **v = realloc(f->values, (size_t)cap * sizeof *v);
        if (!v) return -1;
        f->values = v;
        f->cap = cap;
    }
    f->keys[f->n] = strdup(key);
    f->values[f->n] = strdup(value);
    if (!f->keys[f->n] || !f->values[f->n]) {
        free(f->keys[f->n]);
        free(f->values[f->n]);
        return -1;
    }
    f->n++;
    return 0;
}

static void flat_free(Flat *f) {
    for (int i = 0; i < f->n; i++) free(f->keys[i]), free(f->values[i]);
    free(f->keys);
    free(f->values);
}

static const char *flat_get(const Flat *f, const char *key) {
    for (int i = 0; i < f->n; i++)
        if (strcmp(f->keys[i], key) == 0) return f->values[i];
    return NULL;
}

/* Nested objects become dotted keys; strings print bare, everything else as compact JSON. */
static int flatten(const cJSON *object, const char *prefix, Flat *out) {
    for (const cJSON *item = object->child; item; item = item->next) {
        if (!item->string) continue;
        char key[256];
        snprintf(key, sizeof key, "%s%s%s", prefix, *prefix ? "." : "", item->string);
        if (cJSON_IsObject(item)) {
            if (flatten(item, key, out)) return -1;
        } else if (cJSON_IsString(item)) {
            if (flat_add(out, key, item->valuestring)) return -1;
        } else {
            char *text = cJSON_PrintUnformatted(item);
            if (!text) return -1;
            int rc = flat_add(out, key, text);
            cJSON_free(text);
            if (rc) return -1;
        }
    }
    return 0;
}

/* Keys with their own column in every format; never repeated as hyperparameters. */
static int is_column_key(const char *key) { return strcmp(key, "model") == 0; }

static int compute_key_params(ReportData *d, char *err) {
    int rc = -1;
    Flat *flats = calloc((size_t)d->count + 1, sizeof *flats);
    Flat keys = {0}; /* union of keys, first-appearance order (values unused) */
    if (!flats) goto oom;
    for (int r = 0; r < d->count; r++) {
        cJSON *json = cJSON_Parse(d->runs[r].config_json);
        /* A config that is not a JSON object contributes no keys (treated as all absent). */
        if (json && cJSON_IsObject(json) && flatten(json, "", &flats[r])) {
            cJSON_Delete(json);
            goto oom;
        }
        cJSON_Delete(json);
        for (int i = 0; i < flats[r].n; i++)
            if (!flat_get(&keys, flats[r].keys[i]) && flat_add(&keys, flats[r].keys[i], "")) goto oom;
    }
    Buf *bufs = calloc((size_t)d->count + 1, sizeof *bufs);
    if (!bufs) goto oom;
    for (int k = 0; k < keys.n; k++) {
        const char *key = keys.keys[k];
        if (is_column_key(key)) continue;
        int varies = 0;
        const char *first = flat_get(&flats[0], key);
        for (int r = 1; r < d->count && !varies; r++) {
            const char *v = flat_get(&flats[r], key);
            varies = (v == NULL) != (first == NULL) || (v && strcmp(v, first) != 0);
        }
        if (!varies) continue;
        for (int r = 0; r < d->count; r++) {
            const char *v = flat_get(&flats[r], key);
            if (!v) continue;
            if (bufs[r].len) buf_add(&bufs[r], ", ");
            buf_add(&bufs[r], key);
            buf_add(&bufs[r], "=");
            buf_add(&bufs[r], v);
        }
    }
    rc = 0;
    for (int r = 0; r < d->count; r++) {
        d->sums[r].key_params = buf_take(&bufs[r]);
        if (!d->sums[r].key_params) rc = -1;
    }
    free(bufs);
    if (rc) goto oom;
    goto done;
oom:
    rc = err_set(err, "report: out of memory");
done:
    for (int r = 0; flats && r < d->count; r++) flat_free(&flats[r]);
    free(flats);
    flat_free(&keys);
    return rc;
}

/* ---- the summary ---- */
static int index_of(char **list, int n, const char *s) {
    for (int i = 0; i < n; i++)
        if (strcmp(list[i], s) == 0) return i;
    return -1;
}

/* Hue families for models: well separated first, then the golden angle. */
static double model_hue(int index) {
    static const double hues[] = {215, 25, 135, 280, 355, 180, 45, 320};
    int n = (int)(sizeof hues / sizeof hues[0]);
    return index < n ? hues[index] : fmod(index * 137.508, 360.0);
}

static void report_data_free(ReportData *d) {
    for (int i = 0; d->sums && i < d->count; i++) free(d->sums[i].key_params), free(d->sums[i].label);
    free(d->sums);
    for (int i = 0; i < d->model_count; i++) free(d->models[i]);
    free(d->models);
    free(d->model_colors);
    for (int i = 0; i < d->sweep_count; i++) free(d->sweeps[i]);
    free(d->sweeps);
    store_free_runs(d->runs, d->count);
}

static int report_data_build(ReportData *d, char *err) {
    int n = d->count;
    d->sums = calloc((size_t)n + 1, sizeof *d->sums);
    d->models = calloc((size_t)n + 1, sizeof *d->models);
    d->model_colors = calloc((size_t)n + 1, sizeof *d->model_colors);
    d->sweeps = calloc((size_t)n + 1, sizeof *d->sweeps);
    if (!d->sums || !d->models || !d->model_colors || !d->sweeps) return err_set(err, "report: out of memory");
    d->best_run = -1;
    int *model_runs = calloc((size_t)n + 1, sizeof *model_runs); /* runs per model */
    int *model_seen = calloc((size_t)n + 1, sizeof *model_seen);
    if (!model_runs || !model_seen) {
        free(model_runs), free(model_seen);
        return err_set(err, "report: out of memory");
    }
    for (int r = 0; r < n; r++) {
        const RunRecord *run = &d->runs[r];
        RunSummary *s = &d->sums[r];
        s->best_top1 = s->final_top1 = s->final_top5 = s->final_train_loss = NAN;
        for (int e = 0; e < run->epoch_count; e++) {
            const EpochMetrics *m = &run->epochs[e];
            if (!isnan(m->test_top1) && (isnan(s->best_top1) || m->test_top1 > s->best_top1))
                s->best_top1 = m->test_top1, s->best_epoch = m->epoch;
            if (!isnan(m->wall_seconds)) s->seconds += m->wall_seconds;
        }
        if (run->epoch_count) {
            const EpochMetrics *last = &run->epochs[run->epoch_count - 1];
            s->final_top1 = last->test_top1, s->final_top5 = last->test_top5, s->final_train_loss = last->train_loss;
        }
        if (!isnan(s->best_top1) && (d->best_run < 0 || s->best_top1 > d->sums[d->best_run].best_top1))
            d->best_run = r;
        int m = index_of(d->models, d->model_count, run->model);
        if (m < 0) {
            m = d->model_count;
            if (!(d->models[d->model_count++] = strdup(run->model))) goto oom;
            svg_hsl_color(model_hue(m), 0.70, 0.45, d->model_colors[m]);
        }
        s->model_index = m;
        model_runs[m]++;
        if (index_of(d->sweeps, d->sweep_count, run->sweep_name) < 0 &&
            !(d->sweeps[d->sweep_count++] = strdup(run->sweep_name)))
            goto oom;
    }
    /* Shades within a model's hue family: dark to light in run order, with a slight hue drift. */
    for (int r = 0; r < n; r++) {
        RunSummary *s = &d->sums[r];
        int k = model_runs[s->model_index], j = model_seen[s->model_index]++;
        double t = k > 1 ? (double)j / (k - 1) : 0.5;
        svg_hsl_color(model_hue(s->model_index) + (t - 0.5) * 16.0, 0.72, 0.30 + 0.32 * t, s->color);
    }
    free(model_runs), free(model_seen);
    model_runs = model_seen = NULL;
    if (compute_key_params(d, err)) return -1;
    for (int r = 0; r < n; r++) {
        Buf b = {0};
        char id[32];
        snprintf(id, sizeof id, "#%lld ", (long long)d->runs[r].id);
        buf_add(&b, id);
        buf_add(&b, d->runs[r].model);
        if (*d->sums[r].key_params) buf_add(&b, " "), buf_add(&b, d->sums[r].key_params);
        if (!(d->sums[r].label = buf_take(&b))) return err_set(err, "report: out of memory");
    }

    Buf t = {0};
    buf_add(&t, "Cohort report");
    for (int i = 0; i < d->sweep_count; i++) buf_add(&t, i ? ", " : ": "), buf_add(&t, d->sweeps[i]);
    char *title = buf_take(&t);
    if (!title) return err_set(err, "report: out of memory");
    snprintf(d->title, sizeof d->title, "%s", title);
    free(title);
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(d->generated_at, sizeof d->generated_at, "%Y-%m-%d %H:%M:%S UTC", &tm);
    return 0;
oom:
    free(model_runs), free(model_seen);
    return err_set(err, "report: out of memory");
}

/* ---- dispatch and atomic output ---- */
typedef int (*Writer)(FILE *, const ReportData *);

static Writer writer_for(const char *path, const char **ext_out) {
    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    const char *ext = strrchr(base, '.');
    *ext_out = ext && ext != base ? ext : "";
    if (strcasecmp(*ext_out, ".html") == 0) return report_write_html;
    if (strcasecmp(*ext_out, ".md") == 0) return report_write_markdown;
    return NULL;
}

int report_write(Store *store, const char *out_path, const ReportOptions *options, char err[ERR_LEN]) {
    if (!out_path || !*out_path) return err_set(err, "report: no output path given");
    const char *ext;
    Writer writer = writer_for(out_path, &ext);
    if (!writer) return err_set(err, "%s: unknown report format '%s' (use .html or .md)", out_path, ext);
    const char *sweep = options ? options->sweep_name : NULL;

    ReportData d = {0};
    if (store_load_runs(store, sweep, &d.runs, &d.count, err)) return -1;
    if (sweep && d.count == 0) {
        report_data_free(&d);
        return err_set(err, "%s: no runs of sweep '%s' in the database", out_path, sweep);
    }
    if (report_data_build(&d, err)) {
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
    int wrc = writer(f, &d);
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
