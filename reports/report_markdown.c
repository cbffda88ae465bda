/* The Markdown report (GitHub-flavoured pipe tables): the summary by group, the configurations, the runs,
 * the runs that did not finish, hyperparameter importance and the Pareto front. */
#include <ctype.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "text_escape.h"

/* Cell text: '|' escaped (it would end the cell); '\', '*', '`', '[', ']', '~' backslash-escaped (emphasis,
 * code, links, GFM strikethrough); '_' escaped where it could start or end emphasis (not inside a word like
 * batch_size); '<' and '>' escaped (renderers would take "<net>" for an HTML tag and hide it); '&' escaped
 * when it would read as an entity ("&lt;"); line breaks and tabs flattened; control characters and bytes
 * that are not UTF-8 shown as U+FFFD (the file is often read in a terminal). */
static void text_escaped(FILE *out, const char *text) {
    for (const char *p = text; *p;) {
        unsigned char c = (unsigned char)*p;
        unsigned cp;
        int n = utf8_sequence(p, &cp);
        if (n == 0) {
            fputs(TEXT_REPLACEMENT, out), p++;
            continue;
        }
        if (c == '|' || c == '<' || c == '>' || c == '\\' || c == '*' || c == '`' || c == '[' || c == ']' || c == '~') {
            fputc('\\', out), fputc(c, out);
        } else if (c == '_') {
            int inner = p > text && isalnum((unsigned char)p[-1]) && isalnum((unsigned char)p[1]);
            if (!inner) fputc('\\', out);
            fputc(c, out);
        } else if (c == '&') {
            const char *q = p + 1;
            while (isalnum((unsigned char)*q) || *q == '#') q++;
            fputs(*q == ';' && q > p + 1 ? "&amp;" : "&", out);
        } else if (c == '\n' || c == '\r' || c == '\t') {
            fputc(' ', out);
        } else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            fputs(TEXT_REPLACEMENT, out);
        } else {
            fwrite(p, 1, (size_t)n, out);
        }
        p += n;
    }
}

static void cell(FILE *out, const char *text) {
    if (!text || !*text) {
        fputs(" - |", out);
        return;
    }
    fputc(' ', out);
    text_escaped(out, text);
    fputs(" |", out);
}

static void cell_fixed(FILE *out, double value, int decimals) {
    char buf[32];
    report_format_fixed(value, decimals, buf);
    cell(out, buf);
}

static void cell_stat(FILE *out, Stat s, int decimals, int bold) {
    char buf[64];
    report_format_stat(s, decimals, buf);
    fprintf(out, bold && strcmp(buf, "-") ? " **%s** |" : " %s |", buf);
}

static void cell_int(FILE *out, int v) { fprintf(out, " %d |", v); }

static void cell_count(FILE *out, int64_t v) {
    char buf[32];
    report_format_count(v, buf);
    cell(out, buf);
}

static void cell_epochs(FILE *out, int lo, int hi) {
    char text[48];
    report_format_epochs(lo, hi, "-", text);
    fprintf(out, " %s |", text);
}

static void cell_best_run(FILE *out, const ReportData *d, int r) {
    char text[48];
    report_format_best_run(d, r, text);
    fprintf(out, " %s |", text); /* digits, '#', ':', '.', '-': nothing to escape */
}

static void stat_header(FILE *out, const ReportData *d) {
    if (d->tables.metric_column) fputs(" ", out), text_escaped(out, metric_label(d->metric)), fputs(" |", out);
    fputs(" Test top-1 (%) | Test top-5 (%) |", out);
}

/* best: the row's bold cells (report_tables.h), NULL for none. */
static void stat_cells(FILE *out, const ReportData *d, const ConfigSummary *cs, const unsigned char *best) {
    if (d->tables.metric_column) cell_stat(out, cs->metric, metric_decimals(d->metric), best && best[COL_METRIC]);
    cell_stat(out, cs->top1, 2, best && best[COL_TOP1]);
    cell_stat(out, cs->top5, 2, best && best[COL_TOP5]);
}

static void group_table(FILE *out, const ReportData *d) {
    fputs("## Summary by ", out);
    for (int k = 0; k < d->group_key_count; k++) fputs(k ? ", " : "", out), text_escaped(out, d->group_keys[k]);
    fputs("\n\n|", out);
    for (int k = 0; k < d->group_key_count; k++) cell(out, d->group_keys[k]);
    fputs(" Best configuration | Configs | n |", out);
    stat_header(out, d);
    fputs(" Best run | Params | Epochs | Train time per run |\n|", out);
    for (int k = 0; k < d->group_key_count; k++) fputs("---|", out);
    fputs("---|---:|---:|", out);
    if (d->tables.metric_column) fputs("---:|", out);
    fputs("---:|---:|---:|---:|---:|---:|\n", out);
    const TableRows *rows = &d->tables.groups;
    for (int i = 0; i < rows->count; i++) {
        const GroupSummary *gs = &d->groups[rows->index[i]];
        const ConfigSummary *cs = gs->best_config >= 0 ? &d->configs[gs->best_config] : NULL;
        fputc('|', out);
        for (int k = 0; k < d->group_key_count; k++) cell(out, gs->values[k]);
        cell(out, cs ? (*cs->key_params ? cs->key_params : "(the only one)") : "(no finished run)");
        cell_int(out, gs->config_count);
        cell_int(out, cs ? cs->n : 0);
        if (cs) {
            stat_cells(out, d, cs, rows->best[i]);
            cell_best_run(out, d, cs->best_run);
            cell_count(out, cs->params);
            cell_epochs(out, cs->epochs_min, cs->epochs_max);
            char t[32];
            report_format_duration(cs->seconds.mean, t);
            cell(out, t);
        } else {
            for (int k = 0; k < (d->tables.metric_column ? 7 : 6); k++) fputs(" - |", out);
        }
        fputc('\n', out);
    }
    fprintf(out, "\nPer group its best configuration (best mean final-epoch %s over seeds): mean \xC2\xB1 sample standard "
                 "deviation over its n finished runs; bold: the best in each column.\n\n",
            metric_name(d->metric));
}

static void config_table(FILE *out, const ReportData *d) {
    const TableRows *rows = &d->tables.configs;
    int show_group = !(d->group_key_count == 1 && !strcmp(d->group_keys[0], "model"));
    fputs(show_group ? "## Configurations\n\n| Group | Model | Configuration | n |"
                     : "## Configurations\n\n| Model | Configuration | n |",
          out);
    stat_header(out, d);
    fputs(show_group ? " Best run | Params | FLOPs/image | Images/s | Epochs | Train time per run | Pareto |\n|---|---|---|---:|"
                     : " Best run | Params | FLOPs/image | Images/s | Epochs | Train time per run | Pareto |\n|---|---|---:|",
          out);
    if (d->tables.metric_column) fputs("---:|", out);
    fputs("---:|---:|---:|---:|---:|---:|---:|---:|---|\n", out);
    for (int i = 0; i < rows->count; i++) {
        const ConfigSummary *cs = &d->configs[rows->index[i]];
        fputc('|', out);
        if (show_group) cell(out, d->groups[cs->group_index].label);
        cell(out, d->models[cs->model_index]);
        cell(out, cs->key_params);
        cell_int(out, cs->n);
        stat_cells(out, d, cs, NULL);
        cell_best_run(out, d, cs->best_run);
        cell_count(out, cs->params);
        char flops[32];
        report_format_flops(cs->flops, flops);
        cell(out, flops);
        cell_stat(out, cs->images_per_sec, 0, 0);
        cell_epochs(out, cs->epochs_min, cs->epochs_max);
        char t[32];
        report_format_duration(cs->seconds.mean, t);
        cell(out, t);
        char fronts[48];
        snprintf(fronts, sizeof fronts, "%s%s%s%s%s", cs->pareto ? "params" : "",
                 cs->pareto && cs->pareto_flops ? ", " : "", cs->pareto_flops ? "FLOPs" : "",
                 (cs->pareto || cs->pareto_flops) && cs->pareto_speed ? ", " : "", cs->pareto_speed ? "images/s" : "");
        cell(out, fronts);
        fputc('\n', out);
    }
    fputs("\nA configuration is a run's settings without `seed`. Pareto: the fronts it is on, of parameters, FLOPs per "
          "image (forward pass, multiply-adds x2) and training images/s (each run's mean over its epochs) against the "
          "metric.\n\n",
          out);
}

static void evaluations_table(FILE *out, const ReportData *d) {
    if (!d->eval_count) return;
    fputs("## Evaluations\n\n| Run | Model | Checkpoint | Epoch | Split | Images | Top-1 (%) | Top-5 (%) | Loss |\n"
          "|---:|---|---|---:|---|---:|---:|---:|---:|\n",
          out);
    for (int i = 0; i < d->eval_count; i++) {
        const ReportEvaluation *v = &d->evals[i];
        char buf[32];
        fputc('|', out);
        snprintf(buf, sizeof buf, "%lld", (long long)d->runs[v->run].id);
        cell(out, buf);
        cell(out, d->runs[v->run].model);
        cell(out, v->checkpoint);
        snprintf(buf, sizeof buf, "%d", v->epoch);
        cell(out, buf);
        cell(out, v->split);
        snprintf(buf, sizeof buf, "%d", v->images);
        cell(out, buf);
        cell_fixed(out, v->top1, 2);
        cell_fixed(out, v->top5, 2);
        cell_fixed(out, v->loss, 4);
        fputc('\n', out);
    }
    fputs("\nStored by `cohort eval --db`; the HTML report draws each one's confusion matrix.\n\n", out);
}

static void runs_table(FILE *out, const ReportData *d) {
    int with_sweep = d->sweep_count > 1;
    fputs("## Runs\n\n| Run |", out);
    if (with_sweep) fputs(" Sweep |", out);
    fputs(" Model | Key hyperparameters | Params | FLOPs/image | Best test top-1 (%) | Final test top-5 (%) | Epochs |"
          " Time (s) | Images/s | Status | Kept checkpoints |\n|---:|",
          out);
    if (with_sweep) fputs("---|", out);
    fputs("---|---|---:|---:|---:|---:|---:|---:|---:|---|---|\n", out);
    for (int r = 0; r < d->count; r++) {
        const RunRecord *run = &d->runs[r];
        const RunSummary *s = &d->sums[r];
        char buf[32];
        fputc('|', out);
        snprintf(buf, sizeof buf, "%lld", (long long)run->id);
        cell(out, buf);
        if (with_sweep) cell(out, run->sweep_name);
        cell(out, run->model);
        cell(out, s->key_params);
        report_format_count(run->param_count, buf);
        cell(out, buf);
        report_format_flops(run->flops_per_image, buf);
        cell(out, buf);
        cell_fixed(out, s->best_top1, 2);
        cell_fixed(out, s->final_top5, 2);
        snprintf(buf, sizeof buf, "%d", run->epoch_count);
        cell(out, buf);
        cell_fixed(out, run->epoch_count ? s->seconds : NAN, 1);
        cell_fixed(out, run->images_per_sec, 0);
        cell(out, run->status);
        char kept[160];
        report_format_kept(run, kept);
        cell(out, kept);
        fputc('\n', out);
    }
    fputs("\nTest top-5 is the final epoch's (not the best top-1 epoch's). Time is the sum of the epochs' wall times "
          "(training and evaluation). Key hyperparameters are the settings that differ between these runs.\n",
          out);
    if (d->best_top1_run >= 0) {
        const RunSummary *s = &d->sums[d->best_top1_run];
        fprintf(out, "\nBest test top-1: %.2f %% (run %lld, epoch %d).\n", s->best_top1,
                (long long)d->runs[d->best_top1_run].id, s->best_epoch);
    }
    fputc('\n', out);
}

static void problem_table(FILE *out, const ReportData *d) {
    fputs("## Runs that did not finish\n\n", out);
    if (!d->problems) {
        fputs("None: no run was pruned, diverged, failed or lost.\n\n", out);
        return;
    }
    fputs("| Run | Model | Key hyperparameters | Status | Epochs | Reason |\n|---:|---|---|---|---:|---|\n", out);
    for (int i = 0; i < d->tables.problems.count; i++) {
        const int r = d->tables.problems.index[i];
        const RunRecord *run = &d->runs[r];
        fprintf(out, "| %lld |", (long long)run->id);
        cell(out, run->model);
        cell(out, d->sums[r].key_params);
        cell(out, run->status);
        cell_int(out, run->epoch_count);
        cell(out, run->error && *run->error ? run->error : "(no reason recorded)");
        fputc('\n', out);
    }
    fputc('\n', out);
}

static void importance_table(FILE *out, const ReportData *d) {
    fputs("## Hyperparameter importance\n\n", out);
    if (!d->hp_count) {
        fputs("No swept hyperparameters (every run has the same settings but seed).\n\n", out);
        return;
    }
    fputs("| Rank | Hyperparameter | Kind | Values | \xCE\xB7\xC2\xB2 | Spearman \xCF\x81 | Best value (mean ", out);
    text_escaped(out, metric_name(d->metric));
    fputs(") |\n|---:|---|---|---:|---:|---:|---|\n", out);
    for (int i = 0; i < d->hp_count; i++) {
        const HyperParam *h = &d->hps[d->importance_order[i]];
        fprintf(out, "| %d |", i + 1);
        cell(out, h->key);
        cell(out, report_hp_kind(h));
        cell_int(out, h->level_count);
        cell_fixed(out, h->eta2, 3);
        cell_fixed(out, h->spearman, 2);
        if (h->best_level >= 0) {
            char stat[64];
            report_format_stat(h->level_stat[h->best_level], metric_decimals(d->metric), stat);
            fputc(' ', out);
            text_escaped(out, h->levels[h->best_level]);
            fprintf(out, " (%s) |", stat);
        } else {
            fputs(" - |", out);
        }
        fputc('\n', out);
    }
    char within[32];
    report_format_fixed(d->within_config, 3, within);
    fprintf(out, "| - | seeds (within configuration) | - | - | %s | - | - |\n\n", within);
    text_escaped(out, REPORT_IMPORTANCE_METHOD);
    fprintf(out, " Computed over %d finished run%s.\n\n", d->importance_runs, d->importance_runs == 1 ? "" : "s");
}

static void pareto_table(FILE *out, const ReportData *d) {
    fputs("## Pareto front (parameters against the metric)\n\n", out);
    if (!d->pareto_count) {
        fputs("No finished configuration has a parameter count.\n", out);
        return;
    }
    fputs("| Model | Configuration | Params | n |", out);
    fputc(' ', out);
    text_escaped(out, metric_label(d->metric));
    fputs(" |\n|---|---|---:|---:|---:|\n", out);
    for (int k = 0; k < d->pareto_count; k++) {
        const ConfigSummary *cs = &d->configs[d->pareto[k]];
        fputc('|', out);
        cell(out, d->models[cs->model_index]);
        cell(out, cs->key_params);
        cell_count(out, cs->params);
        cell_int(out, cs->n);
        cell_stat(out, cs->metric, metric_decimals(d->metric), 0);
        fputc('\n', out);
    }
}

int report_write_markdown(FILE *out, const ReportData *d) {
    fputs("# ", out);
    text_escaped(out, d->title);
    int other = d->count - d->finished - d->problems;
    fprintf(out, "\n\nGenerated %s; %d run%s (%d finished, %d did not finish, %d pending or running).", d->generated_at,
            d->count, d->count == 1 ? "" : "s", d->finished, d->problems, other);
    fprintf(out, " Metric: final-epoch %s (%s is better). Grouped by ", metric_name(d->metric),
            metric_minimise(d->metric) ? "lower" : "higher");
    for (int k = 0; k < d->group_key_count; k++) fputs(k ? ", " : "", out), text_escaped(out, d->group_keys[k]);
    fputc('.', out);
    if (d->options->sweep_name) fputs(" Sweep: ", out), text_escaped(out, d->options->sweep_name), fputc('.', out);
    if (d->options->where) fputs(" Where: ", out), text_escaped(out, d->options->where), fputc('.', out);
    fputs("\n\n", out);
    if (d->count == 0) {
        fputs("No runs in the database yet.\n", out);
        return 0;
    }
    group_table(out, d);
    config_table(out, d);
    runs_table(out, d);
    problem_table(out, d);
    importance_table(out, d);
    pareto_table(out, d);
    evaluations_table(out, d);
    return 0;
}
