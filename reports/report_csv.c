/* The CSV report (RFC 4180: CRLF line ends, a header row, fields with a comma, a double quote or a line
 * break quoted and their quotes doubled). One row per run, or with options.epochs one row per epoch.
 *
 * Per run: run_id, sweep, trial_key, model, dataset, seed, status, error, param_count, epochs_done,
 *   configuration (the config JSON without seed), group, one column per config key (but model, dataset,
 *   seed; values as in the config, strings bare), best_test_top1, best_epoch, the final epoch's metrics,
 *   train_seconds.
 * Per epoch: run_id, sweep, model, dataset, seed, status, configuration, group, the config keys, then
 *   epoch and every epoch metric.
 * Numbers are written with enough digits to read back exactly; missing values are empty fields. */
#include <math.h>
#include <string.h>

#include "report_internal.h"

static void field(FILE *out, const char *text, int first) {
    if (!first) fputc(',', out);
    if (!text) return;
    if (!strpbrk(text, ",\"\r\n")) {
        fputs(text, out);
        return;
    }
    fputc('"', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"') fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

static void field_num(FILE *out, double v) {
    char buf[32];
    report_format_exact(v, buf);
    field(out, buf, 0);
}

static void field_int(FILE *out, long long v) { fprintf(out, ",%lld", v); }

static int is_column_key(const char *key) {
    return !strcmp(key, "model") || !strcmp(key, "dataset") || !strcmp(key, "seed");
}

static void config_fields(FILE *out, const ReportData *d, int r) {
    for (int k = 0; k < d->config_key_count; k++)
        if (!is_column_key(d->config_keys[k])) field(out, flat_get(&d->flats[r], d->config_keys[k]), 0);
}

static void config_headers(FILE *out, const ReportData *d) {
    for (int k = 0; k < d->config_key_count; k++)
        if (!is_column_key(d->config_keys[k])) field(out, d->config_keys[k], 0);
}

static const char *const EPOCH_COLUMNS[] = {"train_loss", "train_top1", "val_loss", "val_top1", "test_loss",
                                            "test_top1", "test_top5", "lr", "wall_seconds", "images_per_sec"};

static void epoch_values(FILE *out, const EpochMetrics *m) {
    double v[] = {m->train_loss, m->train_top1, m->val_loss, m->val_top1, m->test_loss,
                  m->test_top1, m->test_top5, m->lr, m->wall_seconds, m->images_per_sec};
    for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) field_num(out, v[i]);
}

int report_write_csv(FILE *out, const ReportData *d) {
    char seed[32];
    if (d->options->epochs) {
        fputs("run_id,sweep,model,dataset,seed,status,configuration,group", out);
        config_headers(out, d);
        fputs(",epoch", out);
        for (size_t i = 0; i < sizeof EPOCH_COLUMNS / sizeof EPOCH_COLUMNS[0]; i++) field(out, EPOCH_COLUMNS[i], 0);
        fputs("\r\n", out);
        for (int r = 0; r < d->count; r++) {
            const RunRecord *run = &d->runs[r];
            const char *config = d->configs[d->sums[r].config_index].json;
            const char *group = d->groups[d->sums[r].group_index].label;
            snprintf(seed, sizeof seed, "%llu", (unsigned long long)run->seed);
            for (int e = 0; e < run->epoch_count; e++) {
                fprintf(out, "%lld", (long long)run->id);
                field(out, run->sweep_name, 0);
                field(out, run->model, 0);
                field(out, run->dataset, 0);
                field(out, seed, 0);
                field(out, run->status, 0);
                field(out, config, 0);
                field(out, group, 0);
                config_fields(out, d, r);
                field_int(out, run->epochs[e].epoch);
                epoch_values(out, &run->epochs[e]);
                fputs("\r\n", out);
            }
        }
        return 0;
    }
    fputs("run_id,sweep,trial_key,model,dataset,seed,status,error,param_count,epochs_done,configuration,group", out);
    config_headers(out, d);
    fputs(",best_test_top1,best_epoch", out);
    for (size_t i = 0; i < sizeof EPOCH_COLUMNS / sizeof EPOCH_COLUMNS[0]; i++)
        if (strcmp(EPOCH_COLUMNS[i], "wall_seconds") && strcmp(EPOCH_COLUMNS[i], "images_per_sec"))
            fprintf(out, ",final_%s", EPOCH_COLUMNS[i]);
    fputs(",train_seconds\r\n", out);
    for (int r = 0; r < d->count; r++) {
        const RunRecord *run = &d->runs[r];
        const RunSummary *s = &d->sums[r];
        snprintf(seed, sizeof seed, "%llu", (unsigned long long)run->seed);
        fprintf(out, "%lld", (long long)run->id);
        field(out, run->sweep_name, 0);
        field(out, run->trial_key, 0);
        field(out, run->model, 0);
        field(out, run->dataset, 0);
        field(out, seed, 0);
        field(out, run->status, 0);
        field(out, run->error, 0);
        if (run->param_count > 0) field_int(out, run->param_count);
        else field(out, NULL, 0);
        field_int(out, run->epoch_count);
        field(out, d->configs[s->config_index].json, 0);
        field(out, d->groups[s->group_index].label, 0);
        config_fields(out, d, r);
        field_num(out, s->best_top1);
        if (s->best_epoch) field_int(out, s->best_epoch);
        else field(out, NULL, 0);
        const EpochMetrics *last = run->epoch_count ? &run->epochs[run->epoch_count - 1] : NULL;
        double v[] = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
        if (last) {
            double w[] = {last->train_loss, last->train_top1, last->val_loss, last->val_top1,
                          last->test_loss, last->test_top1, last->test_top5, last->lr};
            memcpy(v, w, sizeof v);
        }
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) field_num(out, v[i]);
        field_num(out, run->epoch_count ? s->seconds : NAN);
        fputs("\r\n", out);
    }
    return 0;
}
