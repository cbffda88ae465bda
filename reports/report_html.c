/* The HTML report: one self-contained page (inline CSS and SVG, no scripts, no external references),
 * readable without JavaScript: summary tables, learning curves with ± bands over seeds, parameters against
 * the metric with the Pareto front, parallel coordinates, hyperparameter importance, the runs that did not
 * finish, and the runs. Every text from the database is HTML-escaped.
 *
 * This file writes the page and its tables (rows and caps from report_tables.c); the learning curves are
 * report_html_curves.c's, the fronts and the parallel coordinates report_html_charts.c's, the colours
 * report_colors.c's. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_colors.h"
#include "report_html.h"
#include "report_internal.h"
#include "svg_chart.h"

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
        fprintf(out, "<td>%s</td><td class=\"num\">%d</td>", report_hp_kind(h), h->level_count);
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

    fputs("<h2 id=\"curves\">Learning curves</h2>\n", out);
    html_learning_curves(out, d, &colors);

    fputs("<h2 id=\"pareto\">Parameters and the metric</h2>\n", out);
    html_front_chart(out, d, &colors, AXIS_PARAMS);
    pareto_table(out, d);
    fputs("<h2 id=\"cost\">FLOPs, speed and the metric</h2>\n<div class=\"charts\">\n", out);
    html_front_chart(out, d, &colors, AXIS_FLOPS);
    html_front_chart(out, d, &colors, AXIS_SPEED);
    fputs("</div>\n<p class=\"note\">FLOPs: one image's forward pass (multiply-adds &times; 2). Images/s: training "
          "images per second, each run's mean over its epochs, then the mean over a configuration's finished runs; it "
          "depends on the machine and its load. Ringed points and the dashed staircase: the configurations that no "
          "other beats on both axes.</p>\n",
          out);

    fputs("<h2 id=\"hyperparameters\">Hyperparameters</h2>\n", out);
    html_parallel_chart(out, d);
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
