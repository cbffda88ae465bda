/* The HTML report: one self-contained page (inline CSS and SVG, no scripts, no external references)
 * with test top-1 and train loss per epoch (one line per run, a hue family per model) and the runs
 * table. Every text from the database is HTML-escaped. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "svg_chart.h"

/* Above this many runs the legend lists models instead of runs (lines keep their per-run tooltips). */
enum { MAX_RUN_LEGEND = 40 };

static const char STYLE[] =
    "body{font:14px/1.45 system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;color:#222;"
    "background:#fff;margin:24px auto;max-width:1400px;padding:0 16px}\n"
    "h1{font-size:22px;margin:0 0 4px}h2{font-size:17px;margin:28px 0 8px}\n"
    ".meta{color:#666;margin:0 0 12px}.best{margin:8px 0 16px}\n"
    ".charts{display:flex;flex-wrap:wrap;gap:16px}\n"
    "svg.chart{border:1px solid #ddd;border-radius:4px;background:#fff;max-width:100%;height:auto}\n"
    "svg.chart text{font:11px system-ui,-apple-system,'Segoe UI',Roboto,Helvetica,Arial,sans-serif;fill:#333}\n"
    "svg.chart .chart-title{font-size:14px;font-weight:600}\n"
    "svg.chart .axis-label{font-size:12px;fill:#555}svg.chart .no-data{fill:#999;font-size:13px}\n"
    "svg.chart .grid line{stroke:#eee}svg.chart .axis line{stroke:#666}\n"
    "svg.chart polyline{fill:none;stroke-width:1.7;stroke-linejoin:round;stroke-linecap:round}\n"
    "svg.chart polyline:hover{stroke-width:3.5}\n"
    "table{border-collapse:collapse;font-variant-numeric:tabular-nums}\n"
    "th,td{border-bottom:1px solid #e2e2e2;padding:4px 10px;text-align:left;vertical-align:top}\n"
    "th{background:#f6f6f6;font-weight:600;position:sticky;top:0}\n"
    "td.num,th.num{text-align:right}tr.top td{font-weight:600;background:#fffbe6}\n"
    ".swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px}\n"
    ".hp{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12px}\n"
    ".st-failed{color:#b00020}.st-running{color:#0057b8}.st-pending{color:#888}\n"
    ".error{color:#b00020;font-size:12px}.note{color:#666;font-size:12px}\n";

static void esc(FILE *out, const char *text) { svg_write_escaped(out, text); }

static void chart(FILE *out, const ReportData *d, const char *title, const char *y_label, int train_loss) {
    SvgSeries *series = calloc((size_t)d->count + 1, sizeof *series);
    SvgLegendEntry *models = calloc((size_t)d->model_count + 1, sizeof *models);
    double **ys = calloc((size_t)d->count + 1, sizeof *ys), **xv = calloc((size_t)d->count + 1, sizeof *xv);
    int ok = series && models && ys && xv;
    for (int r = 0; ok && r < d->count; r++) {
        const RunRecord *run = &d->runs[r];
        int n = run->epoch_count;
        xv[r] = malloc(((size_t)n + 1) * sizeof(double));
        ys[r] = malloc(((size_t)n + 1) * sizeof(double));
        if (!xv[r] || !ys[r]) {
            ok = 0;
            break;
        }
        for (int e = 0; e < n; e++) {
            xv[r][e] = run->epochs[e].epoch;
            ys[r][e] = train_loss ? run->epochs[e].train_loss : run->epochs[e].test_top1;
        }
        series[r] = (SvgSeries){.label = d->sums[r].label, .color = d->sums[r].color, .n = n, .x = xv[r], .y = ys[r]};
    }
    if (ok) {
        SvgChart c = {.title = title, .x_label = "epoch", .y_label = y_label, .width = 820, .plot_height = 300,
                      .x_integer = 1};
        if (d->count > MAX_RUN_LEGEND) {
            for (int m = 0; m < d->model_count; m++)
                models[m] = (SvgLegendEntry){.label = d->models[m], .color = d->model_colors[m]};
            c.legend = models;
            c.legend_count = d->model_count;
        }
        svg_line_chart(out, &c, series, d->count);
    } else {
        fputs("<p class=\"error\">(chart omitted: out of memory)</p>\n", out);
    }
    for (int r = 0; r < d->count; r++) {
        if (xv) free(xv[r]);
        if (ys) free(ys[r]);
    }
    free(series), free(models), free(ys), free(xv);
}

static void cell_fixed(FILE *out, double value, int decimals) {
    char buf[32];
    report_format_fixed(value, decimals, buf);
    fprintf(out, "<td class=\"num\">%s</td>", buf);
}

int report_write_html(FILE *out, const ReportData *d) {
    fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n<title>",
          out);
    esc(out, d->title);
    fprintf(out, "</title>\n<style>\n%s</style>\n</head>\n<body>\n<h1>", STYLE);
    esc(out, d->title);
    fprintf(out, "</h1>\n<p class=\"meta\">Generated %s &middot; %d run%s &middot; %d model%s</p>\n", d->generated_at,
            d->count, d->count == 1 ? "" : "s", d->model_count, d->model_count == 1 ? "" : "s");
    if (d->count == 0) {
        fputs("<p>No runs in the database yet.</p>\n</body>\n</html>\n", out);
        return 0;
    }
    if (d->best_run >= 0) {
        const RunRecord *b = &d->runs[d->best_run];
        const RunSummary *s = &d->sums[d->best_run];
        fprintf(out, "<p class=\"best\">Best test top-1: <strong>%.2f %%</strong> &mdash; run %lld (", s->best_top1,
                (long long)b->id);
        esc(out, b->model);
        if (*s->key_params) fputs(", ", out), esc(out, s->key_params);
        fprintf(out, ") at epoch %d</p>\n", s->best_epoch);
    }

    fputs("<div class=\"charts\">\n", out);
    chart(out, d, "Test top-1 (%) per epoch", "test top-1 (%)", 0);
    chart(out, d, "Train loss per epoch", "train loss", 1);
    fputs("</div>\n", out);

    fputs("<h2>Runs</h2>\n<table>\n<thead><tr><th class=\"num\">Run</th><th>Sweep</th><th>Model</th><th>Dataset</th>"
          "<th>Key hyperparameters</th><th class=\"num\">Params</th><th>Status</th><th class=\"num\">Epochs</th>"
          "<th class=\"num\">Best test top-1 (%)</th><th class=\"num\">Final test top-5 (%)</th>"
          "<th class=\"num\">Train time (s)</th></tr></thead>\n<tbody>\n",
          out);
    for (int r = 0; r < d->count; r++) {
        const RunRecord *run = &d->runs[r];
        const RunSummary *s = &d->sums[r];
        char params[32];
        report_format_count(run->param_count, params);
        fprintf(out, "<tr%s><td class=\"num\" title=\"trial ", r == d->best_run ? " class=\"top\"" : "");
        esc(out, run->trial_key);
        fprintf(out, "\">%lld</td><td>", (long long)run->id);
        esc(out, run->sweep_name);
        fprintf(out, "</td><td><span class=\"swatch\" style=\"background:%s\"></span>", s->color);
        esc(out, run->model);
        fputs("</td><td>", out);
        esc(out, run->dataset);
        fputs("</td><td class=\"hp\">", out);
        esc(out, *s->key_params ? s->key_params : "-");
        fprintf(out, "</td><td class=\"num\">%s</td><td class=\"st-", params);
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
        cell_fixed(out, s->final_top5, 2);
        cell_fixed(out, run->epoch_count ? s->seconds : NAN, 1);
        fputs("</tr>\n", out);
    }
    fputs("</tbody>\n</table>\n<p class=\"note\">Key hyperparameters: the settings that differ between the runs "
          "shown. Train time: the sum of the epochs' wall times (training and evaluation).</p>\n</body>\n</html>\n",
          out);
    return 0;
}
