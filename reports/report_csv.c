/* The CSV report (RFC 4180: CRLF line ends, a header row, fields with a comma, a double quote or a line
 * break quoted and their quotes doubled). One row per run, or with options.epochs one row per epoch.
 *
 * Per run: run_id, sweep, trial_key, model, dataset, seed, status, error, param_count, epochs_done,
 *   configuration (the config JSON without seed), group, one column per config key (but model, dataset,
 *   seed; values as in the config, strings bare), best_test_top1, best_epoch, the final epoch's metrics,
 *   train_seconds, flops_per_image (forward, per image), images_per_sec (the mean of the run's epochs).
 * Per epoch: run_id, sweep, model, dataset, seed, status, configuration, group, the config keys, then
 *   epoch and every epoch metric.
 * Numbers are written with enough digits to read back exactly; missing values are empty fields. Text that a
 * spreadsheet would run as a formula (starting with = + - @) gets a leading ' unless options.csv_raw. */
#include <math.h>
#include <string.h>

#include "report_internal.h"
#include "text_escape.h"

/* A text field after a comma; stored text goes through the shared quoter, formula cells neutralised unless
 * options.csv_raw. */
static void field(FILE *out, const ReportData *d, const char *text) {
    fputc(',', out);
    csv_field(out, text, !d->options->csv_raw);
}

static void field_num(FILE *out, double v) {
    char buf[32];
    report_format_exact(v, buf);
    fputc(',', out);
    fputs(buf, out); /* digits, '.', 'e', '-', or "inf": never quoted */
}

static void field_int(FILE *out, long long v) { fprintf(out, ",%lld", v); }

static int is_column_key(const char *key) {
    return !strcmp(key, "model") || !strcmp(key, "dataset") || !strcmp(key, "seed");
}

static void config_fields(FILE *out, const ReportData *d, int r) {
    for (int k = 0; k < d->config_key_count; k++)
        if (!is_column_key(d->config_keys[k])) field(out, d, flat_get(&d->flats[r], d->config_keys[k]));
}

static void config_headers(FILE *out, const ReportData *d) {
    for (int k = 0; k < d->config_key_count; k++)
        if (!is_column_key(d->config_keys[k])) field(out, d, d->config_keys[k]);
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
        for (size_t i = 0; i < sizeof EPOCH_COLUMNS / sizeof EPOCH_COLUMNS[0]; i++) field(out, d, EPOCH_COLUMNS[i]);
        fputs("\r\n", out);
        for (int r = 0; r < d->count; r++) {
            const RunRecord *run = &d->runs[r];
            const char *config = d->configs[d->sums[r].config_index].json;
            const char *group = d->groups[d->sums[r].group_index].label;
            snprintf(seed, sizeof seed, "%llu", (unsigned long long)run->seed);
            for (int e = 0; e < run->epoch_count; e++) {
                fprintf(out, "%lld", (long long)run->id);
                field(out, d, run->sweep_name);
                field(out, d, run->model);
                field(out, d, run->dataset);
                field(out, d, seed);
                field(out, d, run->status);
                field(out, d, config);
                field(out, d, group);
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
    fputs(",train_seconds,flops_per_image,images_per_sec\r\n", out);
    for (int r = 0; r < d->count; r++) {
        const RunRecord *run = &d->runs[r];
        const RunSummary *s = &d->sums[r];
        snprintf(seed, sizeof seed, "%llu", (unsigned long long)run->seed);
        fprintf(out, "%lld", (long long)run->id);
        field(out, d, run->sweep_name);
        field(out, d, run->trial_key);
        field(out, d, run->model);
        field(out, d, run->dataset);
        field(out, d, seed);
        field(out, d, run->status);
        field(out, d, run->error);
        if (run->param_count > 0) field_int(out, run->param_count);
        else field(out, d, NULL);
        field_int(out, run->epoch_count);
        field(out, d, d->configs[s->config_index].json);
        field(out, d, d->groups[s->group_index].label);
        config_fields(out, d, r);
        field_num(out, s->best_top1);
        if (s->best_epoch) field_int(out, s->best_epoch);
        else field(out, d, NULL);
        const EpochMetrics *last = run->epoch_count ? &run->epochs[run->epoch_count - 1] : NULL;
        double v[] = {NAN, NAN, NAN, NAN, NAN, NAN, NAN, NAN};
        if (last) {
            double w[] = {last->train_loss, last->train_top1, last->val_loss, last->val_top1,
                          last->test_loss, last->test_top1, last->test_top5, last->lr};
            memcpy(v, w, sizeof v);
        }
        for (size_t i = 0; i < sizeof v / sizeof v[0]; i++) field_num(out, v[i]);
        field_num(out, run->epoch_count ? s->seconds : NAN);
        field_num(out, run->flops_per_image > 0 ? run->flops_per_image : NAN);
        field_num(out, run->images_per_sec);
        fputs("\r\n", out);
    }
    return 0;
}
