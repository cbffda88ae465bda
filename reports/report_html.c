/* The HTML report: one self-contained page (inline CSS and SVG, no scripts, no external references),
 * readable without JavaScript: summary tables, learning curves with ± bands over seeds, parameters against
 * the metric with the Pareto front, parallel coordinates, hyperparameter importance, the runs that did not
 * finish, and the runs. Every text from the database is HTML-escaped.
 *
 * Big reports stay small and fast: at most MAX_RUN_LINES run lines of at most MAX_POINTS points each, mean
 * lines and bands per configuration (or per model when there are many configurations); the tables' rows and
 * their caps (the parallel coordinates' lines too) come from report_tables.c. Colours: report_colors.c. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_colors.h"
#include "report_internal.h"
#include "svg_chart.h"

enum {
    MAX_RUN_LEGEND = 40,  /* above this many runs the legend lists models instead of runs */
    MAX_RUN_LINES = 300,  /* run lines drawn (evenly spaced sample beyond) */
    MAX_POINTS = 120,     /* points per run line */
    MAX_BANDS = 12,       /* per-configuration bands; beyond, per model */
    MAX_ORDINAL_LEVELS = 12 /* numeric hyperparameters with at most this many values: evenly spaced axis ticks */
};

static const char *const RAMP[] = {"#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"};

static const char STYLE[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#222;"
    "background:#fff;margin:24px auto;max-width:1400px;padding:0 16px}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}\n"
    ".meta{color:#666;margin:0 0 12px}.best{margin:8px 0 16px}nav a{margin-right:12px}\n"
    ".charts{display:flex;flex-wrap:wrap;gap:16px}\n"
    "svg.chart{border:1px solid #ddd;border-radius:4px;background:#fff;max-width:100%;height:auto}\n"
    "svg.chart text{font:11px system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;fill:#333}\n"
    "svg.chart .chart-title{font-size:14px;font-weight:600}\n"
    "svg.chart .axis-label{font-size:12px;fill:#555}svg.chart .no-data{fill:#999;font-size:13px}\n"
    "svg.chart .grid line{stroke:#eee}svg.chart .axis line{stroke:#666}\n"
    "svg.chart polyline{fill:none;stroke-width:1.7;stroke-linejoin:round;stroke-linecap:round}\n"
    "svg.chart polyline:hover{stroke-width:3.5}\n"
    "svg.chart polygon.band{fill-opacity:.16;stroke:none}\n"
    "svg.chart polyline.pareto{stroke:#222;stroke-width:1.5;stroke-dasharray:6 3}\n"
    "svg.chart circle.pareto-point{stroke:#111;stroke-width:2}svg.chart .errbar{stroke-width:1.2;stroke-opacity:.6}\n"
    "svg.chart .pc-lines polyline{stroke-width:1.4;stroke-opacity:.8}svg.chart .pc-axes line{stroke:#444}\n"
    "svg.chart .pc-name{font-size:12px;font-weight:600}\n"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums;margin:4px 0 8px}\n"
    "th,td{border-bottom:1px solid #e2e2e2;padding:4px 10px;text-align:left;vertical-align:top}\n"
    "th{background:#f6f6f6;font-weight:600;position:sticky;top:0}\n"
    "td.num,th.num{text-align:right}tr.top td{font-weight:600;background:#fffbe6}\n"
    ".swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}\n"
    ".hp{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}\n"
    ".st-failed,.st-lost,.st-diverged{color:#b00020}.st-pruned{color:#8a5a00}.st-running{color:#0057b8}"
    ".st-pending{color:#888}\n"
    ".error{color:#b00020;font-size:12px}.note{color:#666;font-size:12px;max-width:1100px}\n";

static void esc(FILE *out, const char *text) { svg_write_escaped(out, text); }

static const char *nz(const char *s) { return s && *s ? s : "-"; }

/* ---- per-epoch mean and std over runs (one pass over each run's epochs) ---- */
typedef struct {
    double *sum, *sq;
    int *n;
} Acc;

typedef struct {
    int count, epochs;    /* bands, epochs (the largest epoch number) */
    Acc top1, loss;
    int *of_run;          /* band of each run, -1 = none */
    char **labels;        /* owned */
    const char **colors;
    double *x;            /* 1..epochs */
    double *mean1, *lo1, *hi1, *meanl, *lol, *hil; /* [count * epochs] */
} Bands;

static void bands_free(Bands *b) {
    free(b->top1.sum), free(b->top1.sq), free(b->top1.n);
    free(b->loss.sum), free(b->loss.sq), free(b->loss.n);
    free(b->of_run);
    for (int i = 0; b->labels && i < b->count; i++) free(b->labels[i]);
    free(b->labels), free(b->colors), free(b->x);
    free(b->mean1), free(b->lo1), free(b->hi1), free(b->meanl), free(b->lol), free(b->hil);
}

static int acc_alloc(Acc *a, size_t n) {
    a->sum = calloc(n, sizeof *a->sum), a->sq = calloc(n, sizeof *a->sq), a->n = calloc(n, sizeof *a->n);
    return a->sum && a->sq && a->n ? 0 : -1;
}

static void acc_finish(const Acc *a, size_t n, double *mean, double *lo, double *hi) {
    for (size_t i = 0; i < n; i++) {
        mean[i] = lo[i] = hi[i] = NAN;
        if (a->n[i] < 2) continue; /* a band needs at least two runs */
        double m = a->sum[i] / a->n[i];
        double var = (a->sq[i] - a->n[i] * m * m) / (a->n[i] - 1);
        double sd = var > 0 ? sqrt(var) : 0;
        mean[i] = m, lo[i] = m - sd, hi[i] = m + sd;
    }
}

/* Bands over the finished runs of each configuration with two or more of them; per model when there are
 * more than MAX_BANDS such configurations. per_model_out says which. */
static int bands_build(const ReportData *d, const ReportColors *colors, Bands *b, int *per_model_out) {
    memset(b, 0, sizeof *b);
    int multi = 0;
    for (int c = 0; c < d->config_count; c++) multi += d->configs[c].n >= 2;
    int per_model = multi > MAX_BANDS;
    *per_model_out = per_model;
    for (int r = 0; r < d->count; r++)
        if (d->runs[r].epoch_count && d->runs[r].epochs[d->runs[r].epoch_count - 1].epoch > b->epochs)
            b->epochs = d->runs[r].epochs[d->runs[r].epoch_count - 1].epoch;
    b->of_run = malloc(((size_t)d->count + 1) * sizeof *b->of_run);
    int *index = malloc(((size_t)(per_model ? d->model_count : d->config_count) + 1) * sizeof *index);
    int slots = per_model ? (d->model_count < MAX_BANDS ? d->model_count : MAX_BANDS) : multi;
    b->labels = calloc((size_t)slots + 1, sizeof *b->labels);
    b->colors = calloc((size_t)slots + 1, sizeof *b->colors);
    if (!b->of_run || !index || !b->labels || !b->colors) {
        free(index);
        return -1;
    }
    b->count = slots;
    if (per_model) {
        for (int m = 0; m < d->model_count; m++) index[m] = m < MAX_BANDS ? m : -1;
        for (int m = 0; m < slots; m++) {
            int runs = 0;
            for (int r = 0; r < d->count; r++) runs += d->sums[r].model_index == m && d->sums[r].finished;
            size_t len = strlen(d->models[m]) + 64;
            if (!(b->labels[m] = malloc(len))) break;
            snprintf(b->labels[m], len, "%s: mean \xC2\xB1 std of %d finished runs", d->models[m], runs);
            b->colors[m] = colors->model[m];
        }
    } else {
        int k = 0;
        for (int c = 0; c < d->config_count; c++) {
            index[c] = d->configs[c].n >= 2 ? k : -1;
            if (index[c] < 0) continue;
            size_t len = strlen(d->configs[c].label) + 64;
            if (!(b->labels[k] = malloc(len))) break;
            snprintf(b->labels[k], len, "%s: mean \xC2\xB1 std over %d seeds", d->configs[c].label, d->configs[c].n);
            b->colors[k++] = colors->config[c];
        }
    }
    for (int i = 0; i < slots; i++)
        if (!b->labels[i]) {
            free(index);
            return -1;
        }
    size_t cells = (size_t)slots * (size_t)(b->epochs ? b->epochs : 1);
    if (acc_alloc(&b->top1, cells + 1) || acc_alloc(&b->loss, cells + 1)) {
        free(index);
        return -1;
    }
    for (int r = 0; r < d->count; r++) {
        int band = per_model ? index[d->sums[r].model_index] : index[d->sums[r].config_index];
        b->of_run[r] = d->sums[r].finished ? band : -1;
        if (b->of_run[r] < 0) continue;
        const RunRecord *run = &d->runs[r];
        for (int e = 0; e < run->epoch_count; e++) {
            const EpochMetrics *m = &run->epochs[e];
            if (m->epoch < 1 || m->epoch > b->epochs) continue;
            size_t at = (size_t)b->of_run[r] * b->epochs + (m->epoch - 1);
            if (isfinite(m->test_top1)) b->top1.sum[at] += m->test_top1, b->top1.sq[at] += m->test_top1 * m->test_top1, b->top1.n[at]++;
            if (isfinite(m->train_loss))
                b->loss.sum[at] += m->train_loss, b->loss.sq[at] += m->train_loss * m->train_loss, b->loss.n[at]++;
        }
    }
    free(index);
    b->x = malloc(((size_t)b->epochs + 1) * sizeof *b->x);
    double **arrays[] = {&b->mean1, &b->lo1, &b->hi1, &b->meanl, &b->lol, &b->hil};
    for (int i = 0; i < 6; i++)
        if (!(*arrays[i] = malloc((cells + 1) * sizeof(double)))) return -1;
    if (!b->x) return -1;
    for (int e = 0; e < b->epochs; e++) b->x[e] = e + 1;
    acc_finish(&b->top1, cells, b->mean1, b->lo1, b->hi1);
    acc_finish(&b->loss, cells, b->meanl, b->lol, b->hil);
    return 0;
}

/* Runs drawn as lines: all, or an evenly spaced sample of MAX_RUN_LINES. */
static int drawn_run(const ReportData *d, int r) {
    if (d->count <= MAX_RUN_LINES) return 1;
    long long a = (long long)r * MAX_RUN_LINES / d->count, b = (long long)(r + 1) * MAX_RUN_LINES / d->count;
    return a != b;
}

static void curve_chart(FILE *out, const ReportData *d, const ReportColors *colors, const Bands *b, int per_model,
                        int loss) {
    int n_runs = 0;
    for (int r = 0; r < d->count; r++) n_runs += drawn_run(d, r) && d->runs[r].epoch_count > 0;
    SvgSeries *series = calloc((size_t)n_runs + (size_t)b->count + 1, sizeof *series);
    double **ys = calloc((size_t)n_runs + 1, sizeof *ys), **xv = calloc((size_t)n_runs + 1, sizeof *xv);
    SvgLegendEntry *legend = calloc((size_t)(d->model_count > b->count ? d->model_count : b->count) + 1,
                                    sizeof *legend);
    int ok = series && ys && xv && legend, k = 0;
    int dim = b->count > 0; /* runs fade behind the means */
    for (int r = 0; ok && r < d->count; r++) {
        const RunRecord *run = &d->runs[r];
        if (!drawn_run(d, r) || !run->epoch_count) continue;
        int n = run->epoch_count;
        xv[k] = malloc((size_t)n * sizeof(double)), ys[k] = malloc((size_t)n * sizeof(double));
        if (!xv[k] || !ys[k]) {
            ok = 0;
            k++;
            break;
        }
        for (int e = 0; e < n; e++) {
            xv[k][e] = run->epochs[e].epoch;
            ys[k][e] = loss ? run->epochs[e].train_loss : run->epochs[e].test_top1;
        }
        series[k] = (SvgSeries){.label = d->sums[r].label, .color = report_run_color(d, colors, r), .n = n, .x = xv[k], .y = ys[k],
                                .css_class = "run", .width = dim ? 1.1 : 0, .opacity = dim ? 0.45 : 0};
        k++;
    }
    int total = k;
    for (int i = 0; ok && i < b->count; i++) {
        size_t at = (size_t)i * b->epochs;
        series[total++] = (SvgSeries){.label = b->labels[i], .color = b->colors[i], .n = b->epochs, .x = b->x,
                                      .y = (loss ? b->meanl : b->mean1) + at, .lo = (loss ? b->lol : b->lo1) + at,
                                      .hi = (loss ? b->hil : b->hi1) + at, .css_class = "mean", .width = 2.8};
    }
    if (ok) {
        SvgChart c = {.id = loss ? "chart-train-loss" : "chart-test-top1",
                      .title = loss ? "Train loss per epoch" : "Test top-1 (%) per epoch", .x_label = "epoch",
                      .y_label = loss ? "train loss" : "test top-1 (%)", .width = 660, .plot_height = 300,
                      .x_integer = 1, .max_points = MAX_POINTS};
        if (b->count && !per_model) { /* one entry per band (configuration) */
            for (int i = 0; i < b->count; i++) legend[i] = (SvgLegendEntry){b->labels[i], b->colors[i]};
            c.legend = legend, c.legend_count = b->count;
        } else if (d->count > MAX_RUN_LEGEND || b->count) {
            for (int m = 0; m < d->model_count; m++) legend[m] = (SvgLegendEntry){d->models[m], colors->model[m]};
            c.legend = legend, c.legend_count = d->model_count;
        }
        svg_line_chart(out, &c, series, total);
    } else {
        fputs("<p class=\"error\">(chart omitted: out of memory)</p>\n", out);
    }
    for (int i = 0; i < k; i++) {
        if (xv) free(xv[i]);
        if (ys) free(ys[i]);
    }
    free(series), free(ys), free(xv), free(legend);
}

/* ---- tables ---- */
static void cell_text(FILE *out, const char *text, const char *cls) {
    fprintf(out, "<td%s%s%s>", cls ? " class=\"" : "", cls ? cls : "", cls ? "\"" : "");
    esc(out, nz(text));
    fputs("</td>", out);
}

static void cell_fixed(FILE *out, double value, int decimals) {
    char buf[32];
    report_format_fixed(value, decimals, buf);
    fprintf(out, "<td class=\"num\">%s</td>", buf);
}

static void cell_stat(FILE *out, Stat s, int decimals, int bold) {
    char buf[64];
    report_format_stat(s, decimals, buf);
    fprintf(out, "<td class=\"num\">%s%s%s</td>", bold ? "<strong>" : "", buf, bold ? "</strong>" : "");
}

static void cell_count(FILE *out, int64_t v) {
    char buf[32];
    report_format_count(v, buf);
    fprintf(out, "<td class=\"num\">%s</td>", buf);
}

static void cell_epochs(FILE *out, int lo, int hi) {
    char text[48];
    report_format_epochs(lo, hi, "&ndash;", text);
    fprintf(out, "<td class=\"num\">%s</td>", text);
}

static void cell_best_run(FILE *out, const ReportData *d, int r) {
    char text[48];
    report_format_best_run(d, r, text);
    if (r < 0) fputs("<td>-</td>", out);
    else fprintf(out, "<td class=\"num\" title=\"seed %llu\">%s</td>", (unsigned long long)d->runs[r].seed, text);
}

static void stat_headers(FILE *out, const ReportData *d) {
    if (d->tables.metric_column) {
        fputs("<th class=\"num\">", out);
        esc(out, metric_label(d->metric));
        fputs("</th>", out);
    }
    fputs("<th class=\"num\">Test top-1 (%)</th><th class=\"num\">Test top-5 (%)</th>", out);
}

/* best: the row's bold cells (report_tables.h), NULL for none. */
static void stat_cells(FILE *out, const ReportData *d, const ConfigSummary *cs, const unsigned char *best) {
    int dm = metric_decimals(d->metric);
    if (d->tables.metric_column) cell_stat(out, cs->metric, dm, best && best[COL_METRIC]);
    cell_stat(out, cs->top1, 2, best && best[COL_TOP1]);
    cell_stat(out, cs->top5, 2, best && best[COL_TOP5]);
}

static void group_table(FILE *out, const ReportData *d, const ReportColors *colors) {
    fputs("<table id=\"summary-groups\">\n<thead><tr>", out);
    for (int k = 0; k < d->group_key_count; k++) {
        fputs("<th>", out);
        esc(out, d->group_keys[k]);
        fputs("</th>", out);
    }
    fputs("<th>Best configuration</th><th class=\"num\">Configs</th><th class=\"num\">n</th>", out);
    stat_headers(out, d);
    fputs("<th class=\"num\">Best run</th><th class=\"num\">Params</th><th class=\"num\">Epochs</th>"
          "<th class=\"num\">Train time per run</th></tr></thead>\n<tbody>\n",
          out);
    const TableRows *rows = &d->tables.groups;
    for (int i = 0; i < rows->count; i++) {
        const GroupSummary *gs = &d->groups[rows->index[i]];
        fputs("<tr>", out);
        for (int k = 0; k < d->group_key_count; k++) {
            if (k == 0 && !strcmp(d->group_keys[0], "model")) {
                int m = -1;
                for (int j = 0; j < d->model_count; j++)
                    if (!strcmp(d->models[j], gs->values[0])) m = j;
                fprintf(out, "<td><span class=\"swatch\" style=\"background:%s\"></span>",
                        m >= 0 ? colors->model[m] : "#888");
                esc(out, gs->values[0]);
                fputs("</td>", out);
            } else {
                cell_text(out, gs->values[k], NULL);
            }
        }
        const ConfigSummary *cs = gs->best_config >= 0 ? &d->configs[gs->best_config] : NULL;
        cell_text(out, cs ? (*cs->key_params ? cs->key_params : "(the only one)") : "(no finished run)", "hp");
        fprintf(out, "<td class=\"num\">%d</td><td class=\"num\">%d</td>", gs->config_count, cs ? cs->n : 0);
        if (cs) {
            stat_cells(out, d, cs, rows->best[i]);
            cell_best_run(out, d, cs->best_run);
            cell_count(out, cs->params);
            cell_epochs(out, cs->epochs_min, cs->epochs_max);
            char t[32];
            report_format_duration(cs->seconds.mean, t);
            fprintf(out, "<td class=\"num\">%s</td>", t);
        } else {
            for (int k = 0; k < (d->tables.metric_column ? 7 : 6); k++) fputs("<td class=\"num\">-</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
}

static void config_table(FILE *out, const ReportData *d, const ReportColors *colors) {
    const TableRows *rows = &d->tables.group_configs;
    int show_group = !(d->group_key_count == 1 && !strcmp(d->group_keys[0], "model"));
    fputs("<table id=\"summary-configs\">\n<thead><tr>", out);
    if (show_group) fputs("<th>Group</th>", out);
    fputs("<th>Model</th><th>Configuration</th><th class=\"num\">n</th>", out);
    stat_headers(out, d);
    fputs("<th class=\"num\">Best run</th><th class=\"num\">Params</th><th class=\"num\">FLOPs/image</th>"
          "<th class=\"num\">Images/s</th><th class=\"num\">Epochs</th>"
          "<th class=\"num\">Train time per run</th><th>Pareto</th></tr></thead>\n<tbody>\n",
          out);
    for (int i = 0; i < rows->count; i++) {
        const ConfigSummary *cs = &d->configs[rows->index[i]];
        fputs("<tr>", out);
        if (show_group) cell_text(out, d->groups[cs->group_index].label, NULL);
        fprintf(out, "<td><span class=\"swatch\" style=\"background:%s\"></span>", colors->config[rows->index[i]]);
        esc(out, d->models[cs->model_index]);
        fputs("</td>", out);
        cell_text(out, cs->key_params, "hp");
        fprintf(out, "<td class=\"num\">%d</td>", cs->n);
        stat_cells(out, d, cs, NULL);
        cell_best_run(out, d, cs->best_run);
        cell_count(out, cs->params);
        char flops[32];
        report_format_flops(cs->flops, flops);
        fprintf(out, "<td class=\"num\">%s</td>", flops);
        cell_stat(out, cs->images_per_sec, 0, 0);
        cell_epochs(out, cs->epochs_min, cs->epochs_max);
        char t[32];
        report_format_duration(cs->seconds.mean, t);
        fprintf(out, "<td class=\"num\">%s</td><td>%s</td></tr>\n", t, cs->pareto ? "&#9733; front" : "");
    }
    fputs("</tbody>\n</table>\n", out);
    if (rows->count < rows->total)
        fprintf(out, "<p class=\"note\">Showing %d of %d configurations: the %d best of each group by %s; the Markdown, "
                     "CSV and JSON reports list all.</p>\n",
                rows->count, rows->total, TABLE_GROUP_CONFIGS, metric_name(d->metric));
}

/* One Pareto chart: the mean metric of each configuration against parameters, FLOPs or images/s. */
static void pareto_section(FILE *out, const ReportData *d, const ReportColors *colors, FrontAxis axis) {
    static const struct {
        const char *id, *title, *x_label, *unit, *front_title, *empty;
    } VIEW[] = {
        [AXIS_PARAMS] = {"chart-pareto", "Parameters against the metric (one point per configuration)", "parameters",
                         "parameters", NULL, NULL},
        [AXIS_FLOPS] = {"chart-pareto-flops", "Forward FLOPs per image against the metric (one point per configuration)",
                        "forward FLOPs per image", "FLOPs per image", "Pareto front (fewer FLOPs, better metric)",
                        "no finished runs with a FLOP count"},
        [AXIS_SPEED] = {"chart-pareto-speed", "Training images/s against the metric (one point per configuration)",
                        "training images/s (mean over seeds)", "images/s", "Pareto front (more images/s, better metric)",
                        "no finished runs with a measured speed"},
    };
    const int *front = axis == AXIS_PARAMS ? d->pareto : axis == AXIS_FLOPS ? d->pareto_flops : d->pareto_speed;
    const int front_count = axis == AXIS_PARAMS  ? d->pareto_count
                            : axis == AXIS_FLOPS ? d->pareto_flops_count
                                                 : d->pareto_speed_count;
    SvgPoint *pts = calloc((size_t)d->config_count + 1, sizeof *pts);
    char **labels = calloc((size_t)d->config_count + 1, sizeof *labels);
    int *at = calloc((size_t)front_count + 1, sizeof *at);
    SvgLegendEntry *legend = calloc((size_t)d->model_count + 2, sizeof *legend);
    if (!pts || !labels || !at || !legend) {
        free(pts), free(labels), free(at), free(legend);
        fputs("<p class=\"error\">(chart omitted: out of memory)</p>\n", out);
        return;
    }
    int n = 0, dm = metric_decimals(d->metric);
    for (int c = 0; c < d->config_count; c++) {
        const ConfigSummary *cs = &d->configs[c];
        const double x = report_axis_value(cs, axis);
        if (cs->n == 0 || isnan(x) || isnan(cs->metric.mean)) continue;
        const int on_front = axis == AXIS_PARAMS ? cs->pareto : axis == AXIS_FLOPS ? cs->pareto_flops : cs->pareto_speed;
        char stat[64], value[32];
        report_format_stat(cs->metric, dm, stat);
        if (axis == AXIS_PARAMS) report_format_count(cs->params, value);
        else if (axis == AXIS_FLOPS) report_format_flops(cs->flops, value);
        else report_format_fixed(x, 0, value);
        size_t len = strlen(cs->label) + 200;
        labels[n] = malloc(len);
        if (labels[n])
            snprintf(labels[n], len, "%s: %s %s, %s %s (n=%d)%s", cs->label, value, VIEW[axis].unit,
                     metric_name(d->metric), stat, cs->n, on_front ? ", Pareto-optimal" : "");
        pts[n] = (SvgPoint){.x = x, .y = cs->metric.mean, .err = cs->metric.std, .color = colors->model[cs->model_index],
                            .label = labels[n] ? labels[n] : cs->label, .highlight = on_front};
        for (int k = 0; k < front_count; k++)
            if (front[k] == c) at[k] = n;
        n++;
    }
    for (int m = 0; m < d->model_count; m++) legend[m] = (SvgLegendEntry){d->models[m], colors->model[m]};
    legend[d->model_count] = (SvgLegendEntry){"Pareto front (ringed points, dashed staircase)", "#222222"};
    char ylab[96];
    snprintf(ylab, sizeof ylab, "mean final %s", metric_label(d->metric));
    SvgChart c = {.id = VIEW[axis].id, .title = VIEW[axis].title, .x_label = VIEW[axis].x_label, .y_label = ylab,
                  .width = 820, .plot_height = 320, .x_log = 1, .x_si = 1, .legend = legend,
                  .legend_count = d->model_count + 1, .front_title = VIEW[axis].front_title,
                  .front_from_right = axis == AXIS_SPEED, .empty_note = VIEW[axis].empty};
    svg_scatter_chart(out, &c, pts, n, at, front_count, metric_minimise(d->metric));
    for (int i = 0; i < n; i++) free(labels[i]);
    free(pts), free(labels), free(at), free(legend);
}

static void pareto_table(FILE *out, const ReportData *d) {
    if (!d->pareto_count) {
        fputs("<p class=\"note\">No Pareto front: no finished configuration has a parameter count.</p>\n", out);
        return;
    }
    fputs("<table id=\"pareto-front\">\n<thead><tr><th>Model</th><th>Configuration</th><th class=\"num\">Params</th>"
          "<th class=\"num\">n</th><th class=\"num\">",
          out);
    esc(out, metric_label(d->metric));
    fputs("</th></tr></thead>\n<tbody>\n", out);
    for (int k = 0; k < d->pareto_count; k++) {
        const ConfigSummary *cs = &d->configs[d->pareto[k]];
        fputs("<tr>", out);
        cell_text(out, d->models[cs->model_index], NULL);
        cell_text(out, cs->key_params, "hp");
        cell_count(out, cs->params);
        fprintf(out, "<td class=\"num\">%d</td>", cs->n);
        cell_stat(out, cs->metric, metric_decimals(d->metric), 0);
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
}

/* ---- stored evaluations (cohort eval --db): a table and a confusion heatmap each ---- */
#define MAX_HEATMAPS 12

static void evaluations_section(FILE *out, const ReportData *d) {
    if (!d->eval_count) {
        fputs("<p class=\"note\">No evaluations stored: <code>cohort eval --db PATH --run ID</code> stores one.</p>\n", out);
        return;
    }
    fputs("<table id=\"evaluations\">\n<thead><tr><th class=\"num\">Run</th><th>Model</th><th>Checkpoint</th>"
          "<th class=\"num\">Epoch</th><th>Split</th><th class=\"num\">Images</th><th class=\"num\">Top-1 (%)</th>"
          "<th class=\"num\">Top-5 (%)</th><th class=\"num\">Loss</th></tr></thead>\n<tbody>\n",
          out);
    for (int i = 0; i < d->eval_count; i++) {
        const ReportEvaluation *v = &d->evals[i];
        const RunRecord *run = &d->runs[v->run];
        fprintf(out, "<tr><td class=\"num\">%lld</td>", (long long)run->id);
        cell_text(out, run->model, NULL);
        cell_text(out, v->checkpoint, NULL);
        fprintf(out, "<td class=\"num\">%d</td>", v->epoch);
        cell_text(out, v->split, NULL);
        fprintf(out, "<td class=\"num\">%d</td>", v->images);
        cell_fixed(out, v->top1, 2);
        cell_fixed(out, v->top5, 2);
        cell_fixed(out, v->loss, 4);
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n<div class=\"charts\">\n", out);
    for (int i = 0; i < d->eval_count && i < MAX_HEATMAPS; i++) {
        const ReportEvaluation *v = &d->evals[i];
        char title[512], id[64];
        const char *base = strrchr(v->checkpoint, '/');
        snprintf(title, sizeof title, "Run %lld, %s, epoch %d, %s split: confusion matrix (top-1 %.2f %%)",
                 (long long)d->runs[v->run].id, base ? base + 1 : v->checkpoint, v->epoch, v->split, v->top1);
        snprintf(id, sizeof id, "chart-confusion-%d", i + 1);
        SvgChart c = {.id = id, .title = title};
        svg_heatmap_chart(out, &c, v->confusion, v->classes, (const char *const *)v->names);
    }
    fputs("</div>\n", out);
    if (d->eval_count > MAX_HEATMAPS)
        fprintf(out, "<p class=\"note\">Confusion matrices of the first %d of %d evaluations.</p>\n", MAX_HEATMAPS,
                d->eval_count);
}

/* ---- hyperparameters ---- */
static void parallel_section(FILE *out, const ReportData *d) {
    int axes_n = d->hp_count + 1;
    SvgAxis *axes = calloc((size_t)axes_n, sizeof *axes);
    SvgLine *lines = calloc((size_t)d->config_count + 1, sizeof *lines);
    double *values = calloc(((size_t)d->config_count + 1) * (size_t)axes_n, sizeof *values);
    char (*colors)[8] = calloc((size_t)d->config_count + 1, sizeof *colors);
    if (!axes || !lines || !values || !colors) {
        free(axes), free(lines), free(values), free(colors);
        fputs("<p class=\"error\">(chart omitted: out of memory)</p>\n", out);
        return;
    }
    for (int h = 0; h < d->hp_count; h++) {
        const HyperParam *hp = &d->hps[h];
        SvgAxis *a = &axes[h];
        a->name = hp->key;
        if (hp->numeric && hp->level_count > MAX_ORDINAL_LEVELS) {
            a->lo = INFINITY, a->hi = -INFINITY;
            for (int l = 0; l < hp->level_count; l++)
                if (!isnan(hp->level_value[l])) a->lo = fmin(a->lo, hp->level_value[l]), a->hi = fmax(a->hi, hp->level_value[l]);
            a->log = hp->log_scale;
        } else {
            a->categorical = 1;
            a->levels = (const char *const *)hp->levels;
            a->level_count = hp->level_count;
        }
    }
    /* the configurations with a result, best first (drawn worst first, so the best are on top) */
    const int *order = d->tables.ranked_configs.index;
    const int n = d->tables.ranked_configs.total, shown = d->tables.ranked_configs.count;
    double lo = INFINITY, hi = -INFINITY;
    for (int i = 0; i < shown; i++) lo = fmin(lo, d->configs[order[i]].metric.mean), hi = fmax(hi, d->configs[order[i]].metric.mean);
    SvgAxis *m = &axes[d->hp_count];
    char mlabel[96];
    snprintf(mlabel, sizeof mlabel, "mean %s", metric_name(d->metric));
    m->name = mlabel;
    m->lo = shown ? lo : 0, m->hi = shown ? hi : 1;
    int minimise = metric_minimise(d->metric);
    SvgRamp ramp = {.label = mlabel, .lo = minimise ? m->hi : m->lo, .hi = minimise ? m->lo : m->hi, .colors = RAMP,
                    .color_count = 5, .decimals = metric_decimals(d->metric)};
    for (int i = 0; i < shown; i++) {
        int c = order[shown - 1 - i]; /* worst first */
        const ConfigSummary *cs = &d->configs[c];
        double *v = values + (size_t)i * axes_n;
        int r = cs->runs[0];
        for (int h = 0; h < d->hp_count; h++) {
            const HyperParam *hp = &d->hps[h];
            int level = hp->run_level[r];
            v[h] = axes[h].categorical ? level : hp->level_value[level];
        }
        v[d->hp_count] = cs->metric.mean;
        double t = hi > lo ? (cs->metric.mean - lo) / (hi - lo) : 0.5;
        svg_ramp_color(&ramp, minimise ? 1 - t : t, colors[i]);
        lines[i] = (SvgLine){.values = v, .color = colors[i], .label = cs->label};
    }
    SvgChart c = {.id = "chart-parallel", .title = "Swept hyperparameters, coloured by the metric (one line per configuration)",
                  .width = 1100, .plot_height = 300};
    svg_parallel_chart(out, &c, axes, d->hp_count ? axes_n : 0, lines, d->hp_count ? shown : 0, &ramp);
    if (shown < n)
        fprintf(out, "<p class=\"note\">The %d best of %d configurations are drawn.</p>\n", shown, n);
    free(axes), free(lines), free(values), free(colors);
}

static void importance_section(FILE *out, const ReportData *d) {
    SvgBar *bars = calloc((size_t)d->hp_count + 2, sizeof *bars);
    char (*texts)[96] = calloc((size_t)d->hp_count + 2, sizeof *texts);
    if (!bars || !texts) {
        free(bars), free(texts);
        return;
    }
    int n = 0;
    for (int i = 0; i < d->hp_count; i++) {
        const HyperParam *h = &d->hps[d->importance_order[i]];
        if (isnan(h->eta2)) snprintf(texts[n], sizeof texts[n], "not enough finished runs");
        else if (isnan(h->spearman)) snprintf(texts[n], sizeof texts[n], "\xCE\xB7\xC2\xB2 = %.3f", h->eta2);
        else snprintf(texts[n], sizeof texts[n], "\xCE\xB7\xC2\xB2 = %.3f, \xCF\x81 = %+.2f", h->eta2, h->spearman);
        bars[n] = (SvgBar){.label = h->key, .value = h->eta2, .color = "#4c78a8", .text = texts[n]};
        n++;
    }
    if (d->hp_count) {
        snprintf(texts[n], sizeof texts[n], "%.3f of the variance", d->within_config);
        bars[n] = (SvgBar){.label = "seeds (within configuration)", .value = d->within_config, .color = "#b0b0b0",
                           .text = texts[n], .tooltip = "variance between runs that differ only in seed"};
        n++;
    }
    SvgChart c = {.id = "chart-importance", .title = "Hyperparameter importance (\xCE\xB7\xC2\xB2, share of the variance)",
                  .width = 820};
    svg_bar_chart(out, &c, bars, n, 1.0);
    free(bars), free(texts);

    if (!d->hp_count) return;
    fputs("<table id=\"importance\">\n<thead><tr><th class=\"num\">Rank</th><th>Hyperparameter</th><th>Kind</th>"
          "<th class=\"num\">Values</th><th class=\"num\">&eta;&sup2;</th><th class=\"num\">Spearman &rho;</th>"
          "<th>Best value (mean ",
          out);
    esc(out, metric_name(d->metric));
    fputs(")</th></tr></thead>\n<tbody>\n", out);
    for (int i = 0; i < d->hp_count; i++) {
        const HyperParam *h = &d->hps[d->importance_order[i]];
        fprintf(out, "<tr><td class=\"num\">%d</td>", i + 1);
        cell_text(out, h->key, "hp");
        fprintf(out, "<td>%s%s</td><td class=\"num\">%d</td>", h->numeric ? "numeric" : "categorical",
                h->bins ? ", 10 bins" : h->log_scale ? ", log" : "", h->level_count);
        cell_fixed(out, h->eta2, 3);
        cell_fixed(out, h->spearman, 2);
        if (h->best_level >= 0) {
            char stat[64];
            report_format_stat(h->level_stat[h->best_level], metric_decimals(d->metric), stat);
            fputs("<td class=\"hp\">", out);
            esc(out, h->levels[h->best_level]);
            fprintf(out, " (%s)</td>", stat);
        } else {
            fputs("<td>-</td>", out);
        }
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
}

static void problem_table(FILE *out, const ReportData *d) {
    if (!d->problems) {
        fputs("<p id=\"problem-runs\">None: no run was pruned, diverged, failed or lost.</p>\n", out);
        return;
    }
    fputs("<table id=\"problem-runs\">\n<thead><tr><th class=\"num\">Run</th><th>Sweep</th><th>Model</th>"
          "<th>Key hyperparameters</th><th>Status</th><th class=\"num\">Epochs</th><th class=\"num\">Last ",
          out);
    esc(out, metric_name(d->metric));
    fputs("</th><th>Reason</th></tr></thead>\n<tbody>\n", out);
    const TableRows *rows = &d->tables.shown_problems;
    for (int i = 0; i < rows->count; i++) {
        const int r = rows->index[i];
        const RunRecord *run = &d->runs[r];
        fprintf(out, "<tr><td class=\"num\">%lld</td>", (long long)run->id);
        cell_text(out, run->sweep_name, NULL);
        cell_text(out, run->model, NULL);
        cell_text(out, d->sums[r].key_params, "hp");
        fputs("<td class=\"st-", out);
        esc(out, run->status);
        fputs("\">", out);
        esc(out, run->status);
        fprintf(out, "</td><td class=\"num\">%d</td>", run->epoch_count);
        cell_fixed(out, d->sums[r].metric, metric_decimals(d->metric));
        fputs("<td class=\"error\">", out);
        esc(out, run->error && *run->error ? run->error : "(no reason recorded)");
        fputs("</td></tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
    if (rows->count < rows->total)
        fprintf(out, "<p class=\"note\">The first %d of %d; the CSV report lists all.</p>\n", rows->count, rows->total);
}

static void runs_table(FILE *out, const ReportData *d, const ReportColors *colors) {
    const TableRows *rows = &d->tables.shown_runs;
    fputs("<table id=\"runs\">\n<thead><tr><th class=\"num\">Run</th><th>Sweep</th><th>Model</th><th>Dataset</th>"
          "<th>Key hyperparameters</th><th class=\"num\">Params</th><th>Status</th><th class=\"num\">Epochs</th>"
          "<th class=\"num\">Best test top-1 (%)</th><th class=\"num\">Final test top-1 (%)</th>"
          "<th class=\"num\">Final test top-5 (%)</th><th class=\"num\">Train time (s)</th>"
          "<th class=\"num\">FLOPs/image</th><th class=\"num\">Images/s</th><th>Kept checkpoints</th></tr></thead>\n"
          "<tbody>\n",
          out);
    for (int i = 0; i < rows->count; i++) {
        int r = rows->index[i];
        const RunRecord *run = &d->runs[r];
        const RunSummary *s = &d->sums[r];
        fprintf(out, "<tr%s><td class=\"num\" title=\"trial ", r == d->best_run ? " class=\"top\"" : "");
        esc(out, run->trial_key);
        fprintf(out, ", seed %llu\">%lld</td>", (unsigned long long)run->seed, (long long)run->id);
        cell_text(out, run->sweep_name, NULL);
        fprintf(out, "<td><span class=\"swatch\" style=\"background:%s\"></span>", report_run_color(d, colors, r));
        esc(out, run->model);
        fputs("</td>", out);
        cell_text(out, run->dataset, NULL);
        cell_text(out, s->key_params, "hp");
        cell_count(out, run->param_count);
        fputs("<td class=\"st-", out);
        esc(out, run->status);
        fputs("\">", out);
        esc(out, run->status);
        if (run->error && *run->error) {
            fputs("<div class=\"error\">", out);
            esc(out, run->error);
            fputs("</div>", out);
        }
        fprintf(out, "</td><td class=\"num\">%d</td>", run->epoch_count);
        cell_fixed(out, s->best_top1, 2);
        cell_fixed(out, s->final_top1, 2);
        cell_fixed(out, s->final_top5, 2);
        cell_fixed(out, run->epoch_count ? s->seconds : NAN, 1);
        char flops[32], kept[160];
        report_format_flops(run->flops_per_image, flops);
        report_format_kept(run, kept);
        fprintf(out, "<td class=\"num\">%s</td>", flops);
        cell_fixed(out, run->images_per_sec, 0);
        cell_text(out, kept, NULL);
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n", out);
    if (rows->count < rows->total)
        fprintf(out, "<p class=\"note\">The %d best of %d runs by %s; the CSV report lists every run.</p>\n", rows->count,
                rows->total, metric_name(d->metric));
}

static void filters_line(FILE *out, const ReportData *d) {
    const ReportOptions *o = d->options;
    fprintf(out, "<p class=\"meta\">Metric: final-epoch %s (%s is better)", metric_name(d->metric),
            metric_minimise(d->metric) ? "lower" : "higher");
    fputs(" &middot; grouped by ", out);
    for (int k = 0; k < d->group_key_count; k++) fputs(k ? ", " : "", out), esc(out, d->group_keys[k]);
    if (o->sweep_name) fputs(" &middot; sweep ", out), esc(out, o->sweep_name);
    if (o->where) fputs(" &middot; where <code>", out), esc(out, o->where), fputs("</code>", out);
    fputs("</p>\n", out);
}

int report_write_html(FILE *out, const ReportData *d) {
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          out);
    esc(out, d->title);
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", STYLE);
    esc(out, d->title);
    int other = d->count - d->finished - d->problems;
    fprintf(out, "</h1>\n<p class=\"meta\">Generated %s &middot; %d run%s (%d finished, %d did not finish, %d pending or "
                 "running) &middot; %d configuration%s &middot; %d model%s</p>\n",
            d->generated_at, d->count, d->count == 1 ? "" : "s", d->finished, d->problems, other, d->config_count,
            d->config_count == 1 ? "" : "s", d->model_count, d->model_count == 1 ? "" : "s");
    filters_line(out, d);
    if (d->count == 0) {
        fputs("<p>No runs in the database yet.</p>\n</body>\n</html>\n", out);
        return 0;
    }
    ReportColors colors;
    if (report_colors_build(d, &colors)) return -1;
    if (d->best_run >= 0) {
        const RunRecord *b = &d->runs[d->best_run];
        const RunSummary *s = &d->sums[d->best_run];
        char v[32];
        report_format_fixed(s->metric, metric_decimals(d->metric), v);
        fputs("<p class=\"best\">Best run: ", out);
        esc(out, metric_label(d->metric));
        fprintf(out, " <strong>%s</strong> &mdash; run %lld (", v, (long long)b->id);
        esc(out, b->model);
        if (*s->key_params) fputs(", ", out), esc(out, s->key_params);
        fprintf(out, ") after %d epoch%s</p>\n", b->epoch_count, b->epoch_count == 1 ? "" : "s");
    }
    fputs("<nav><a href=\"#summary\">Summary</a><a href=\"#curves\">Curves</a><a href=\"#pareto\">Parameters</a><a href=\"#cost\">FLOPs and speed</a>"
          "<a href=\"#hyperparameters\">Hyperparameters</a><a href=\"#configurations\">Configurations</a>"
          "<a href=\"#evaluations-section\">Evaluations</a>"
          "<a href=\"#problems\">Did not finish</a><a href=\"#all-runs\">Runs</a></nav>\n",
          out);

    fputs("<h2 id=\"summary\">Summary by ", out);
    for (int k = 0; k < d->group_key_count; k++) fputs(k ? ", " : "", out), esc(out, d->group_keys[k]);
    fputs("</h2>\n", out);
    group_table(out, d, &colors);
    fputs("<p class=\"note\">Per group its best configuration (the best mean final-epoch ", out);
    esc(out, metric_name(d->metric));
    fputs(" over seeds): mean &plusmn; sample standard deviation over its n finished runs (one per seed); "
          "bold: the best in each column. Best run: its best single run (#id: value). Train time: the epochs' wall "
          "times summed per run, mean over the seeds.</p>\n",
          out);

    fputs("<h2 id=\"curves\">Learning curves</h2>\n<div class=\"charts\">\n", out);
    Bands bands;
    int per_model = 0;
    int have_bands = bands_build(d, &colors, &bands, &per_model) == 0;
    if (!have_bands) {
        bands_free(&bands);
        memset(&bands, 0, sizeof bands);
    }
    curve_chart(out, d, &colors, &bands, per_model, 0);
    curve_chart(out, d, &colors, &bands, per_model, 1);
    fputs("</div>\n<p class=\"note\">Thin lines: single runs", out);
    if (d->count > MAX_RUN_LINES) fprintf(out, " (an evenly spaced %d of the %d runs)", MAX_RUN_LINES, d->count);
    fputs(", a hue per model. ", out);
    if (bands.count)
        fprintf(out, "Thick lines and shaded bands: mean &plusmn; one standard deviation over the finished runs of each %s, "
                     "per epoch.",
                per_model ? "model (there are too many configurations to draw one band each)" : "configuration");
    else
        fputs("No configuration has two finished runs yet, so there are no mean lines or bands.", out);
    fputs("</p>\n", out);
    bands_free(&bands);

    fputs("<h2 id=\"pareto\">Parameters and the metric</h2>\n", out);
    pareto_section(out, d, &colors, AXIS_PARAMS);
    pareto_table(out, d);
    fputs("<h2 id=\"cost\">FLOPs, speed and the metric</h2>\n<div class=\"charts\">\n", out);
    pareto_section(out, d, &colors, AXIS_FLOPS);
    pareto_section(out, d, &colors, AXIS_SPEED);
    fputs("</div>\n<p class=\"note\">FLOPs: one image's forward pass (multiply-adds &times; 2). Images/s: training "
          "images per second, each run's mean over its epochs, then the mean over a configuration's finished runs; it "
          "depends on the machine and its load. Ringed points and the dashed staircase: the configurations that no "
          "other beats on both axes.</p>\n",
          out);

    fputs("<h2 id=\"hyperparameters\">Hyperparameters</h2>\n", out);
    parallel_section(out, d);
    importance_section(out, d);
    fputs("<p class=\"note\" id=\"importance-method\">", out);
    esc(out, REPORT_IMPORTANCE_METHOD);
    fprintf(out, " Computed over %d finished run%s.</p>\n", d->importance_runs, d->importance_runs == 1 ? "" : "s");

    fputs("<h2 id=\"configurations\">Configurations</h2>\n", out);
    config_table(out, d, &colors);
    fputs("<p class=\"note\">A configuration is a run's settings without <code>seed</code>. &#9733;: on the Pareto "
          "front of parameters against the metric.</p>\n",
          out);

    fputs("<h2 id=\"evaluations-section\">Evaluations</h2>\n", out);
    evaluations_section(out, d);

    fputs("<h2 id=\"problems\">Runs that did not finish</h2>\n", out);
    problem_table(out, d);

    fputs("<h2 id=\"all-runs\">Runs</h2>\n", out);
    runs_table(out, d, &colors);
    fputs("<p class=\"note\">Key hyperparameters: the settings that differ between the runs shown. Train time: the sum "
          "of the epochs' wall times (training and evaluation).</p>\n</body>\n</html>\n",
          out);
    report_colors_free(&colors);
    return 0;
}
