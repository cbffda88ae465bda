/* The LaTeX report: booktabs table fragments for a paper (\input{report.tex}; the document needs
 * \usepackage{booktabs}). Table 1: per group its best configuration; table 2: every configuration. Values
 * are mean $\pm$ sample std over seeds; the best entry of each metric column is bold. Every text from the
 * database is escaped: # $ % & _ { } ~ ^ \ < > | have no special meaning left, and control characters and
 * bytes that are not UTF-8 are written as '?'. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_internal.h"
#include "text_escape.h"

/* Control characters and bytes that are not UTF-8 (pdflatex stops at them) become '?'; line breaks and
 * tabs spaces. Returns the bytes of text consumed and sets *plain when they are one ordinary character. */
static int tex_safe_char(FILE *out, const char *p, int *plain) {
    unsigned cp;
    int n = utf8_sequence(p, &cp);
    *plain = 0;
    if (n == 0) fputc('?', out), n = 1;
    else if (cp == '\n' || cp == '\r' || cp == '\t') fputc(' ', out);
    else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) fputc('?', out);
    else *plain = 1;
    return n;
}

static void tex(FILE *out, const char *text) {
    for (const char *p = text ? text : ""; *p;) {
        switch (*p) {
        case '#': fputs("\\#", out); break;
        case '$': fputs("\\$", out); break;
        case '%': fputs("\\%", out); break;
        case '&': fputs("\\&", out); break;
        case '_': fputs("\\_", out); break;
        case '{': fputs("\\{", out); break;
        case '}': fputs("\\}", out); break;
        case '~': fputs("\\textasciitilde{}", out); break;
        case '^': fputs("\\textasciicircum{}", out); break;
        case '\\': fputs("\\textbackslash{}", out); break;
        case '<': fputs("\\textless{}", out); break;
        case '>': fputs("\\textgreater{}", out); break;
        case '|': fputs("\\textbar{}", out); break;
        default: {
            int plain, n = tex_safe_char(out, p, &plain);
            if (plain) fwrite(p, 1, (size_t)n, out);
            p += n;
            continue;
        }
        }
        p++;
    }
}

/* A comment line: no line breaks or control characters inside. */
static void tex_comment_text(FILE *out, const char *text) {
    for (const char *p = text ? text : ""; *p;) {
        int plain, n = tex_safe_char(out, p, &plain);
        if (plain) fwrite(p, 1, (size_t)n, out);
        p += n;
    }
}

static void stat_cell(FILE *out, Stat s, int decimals, int bold) {
    if (s.n == 0 || isnan(s.mean)) {
        fputs(" & --", out);
        return;
    }
    fputs(bold ? " & $\\mathbf{" : " & $", out);
    if (s.n > 1 && !isnan(s.std)) fprintf(out, "%.*f \\pm %.*f", decimals, s.mean, decimals, s.std);
    else fprintf(out, "%.*f", decimals, s.mean);
    fputs(bold ? "}$" : "$", out);
}

static void count_cell(FILE *out, int64_t v) {
    char buf[32];
    report_format_count(v, buf);
    fprintf(out, " & %s", strcmp(buf, "-") ? buf : "--");
}

/* " & 833.0 k & 10951": FLOPs per image and mean training images/s ("--" when unknown). */
static void cost_cells(FILE *out, const ConfigSummary *cs) {
    char flops[32];
    report_format_flops(cs->flops, flops);
    fprintf(out, " & %s", strcmp(flops, "-") ? flops : "--");
    if (cs->images_per_sec.n > 0) fprintf(out, " & %.0f", cs->images_per_sec.mean);
    else fputs(" & --", out);
}

static void metric_headers(FILE *out, const ReportData *d) {
    if (d->tables.metric_column) {
        fputs(" & ", out);
        tex(out, metric_label(d->metric));
    }
    fputs(" & Top-1 (\\%) & Top-5 (\\%)", out);
}

/* best: the row's bold cells (report_tables.h). */
static void metric_cells(FILE *out, const ReportData *d, const ConfigSummary *cs, const unsigned char *best) {
    if (d->tables.metric_column) stat_cell(out, cs->metric, metric_decimals(d->metric), best[COL_METRIC]);
    stat_cell(out, cs->top1, 2, best[COL_TOP1]);
    stat_cell(out, cs->top5, 2, best[COL_TOP5]);
}

static void group_table(FILE *out, const ReportData *d) {
    int with_config = 0;
    for (int g = 0; g < d->group_count; g++) with_config |= d->groups[g].config_count > 1;
    const TableRows *rows = &d->tables.groups;
    fputs("\\begin{table}[htbp]\n\\centering\n\\caption{Final-epoch test accuracy per ", out);
    for (int k = 0; k < d->group_key_count; k++) fputs(k ? ", " : "", out), tex(out, d->group_keys[k]);
    fputs(with_config ? ": its best configuration's mean $\\pm$ standard deviation over $n$ seeds"
                      : ": mean $\\pm$ standard deviation over $n$ seeds",
          out);
    fputs(". Bold: the best in each column.}\n\\label{tab:cohort-summary}\n\\begin{tabular}{", out);
    for (int k = 0; k < d->group_key_count; k++) fputc('l', out);
    if (with_config) fputc('l', out);
    fputs(d->tables.metric_column ? "rrrrrrr}\n\\toprule\n" : "rrrrrr}\n\\toprule\n", out);
    for (int k = 0; k < d->group_key_count; k++) {
        if (k) fputs(" & ", out);
        /* columns get a capital ("Model"); hyperparameter keys stay as they are written ("lr") */
        static const char *const columns[][2] = {
            {"model", "Model"}, {"dataset", "Dataset"}, {"sweep", "Sweep"}, {"status", "Status"}, {"host", "Host"}};
        const char *name = d->group_keys[k];
        for (size_t i = 0; i < sizeof columns / sizeof columns[0]; i++)
            if (!strcmp(name, columns[i][0])) name = columns[i][1];
        tex(out, name);
    }
    if (with_config) fputs(" & Configuration", out);
    fputs(" & $n$", out);
    metric_headers(out, d);
    fputs(" & Params & FLOPs & Images/s \\\\\n\\midrule\n", out);
    for (int i = 0; i < rows->count; i++) {
        const GroupSummary *gs = &d->groups[rows->index[i]];
        for (int k = 0; k < d->group_key_count; k++) {
            if (k) fputs(" & ", out);
            tex(out, gs->values[k]);
        }
        const ConfigSummary *cs = gs->best_config >= 0 ? &d->configs[gs->best_config] : NULL;
        if (with_config) {
            fputs(" & ", out);
            if (cs && *cs->key_params) tex(out, cs->key_params);
            else fputs("--", out);
        }
        if (cs) {
            fprintf(out, " & %d", cs->n);
            metric_cells(out, d, cs, rows->best[i]);
            count_cell(out, cs->params);
            cost_cells(out, cs);
        } else {
            fputs(" & 0", out);
            for (int k = 0; k < (d->tables.metric_column ? 6 : 5); k++) fputs(" & --", out);
        }
        fputs(" \\\\\n", out);
    }
    fputs("\\bottomrule\n\\end{tabular}\n\\end{table}\n", out);
}

static void config_table(FILE *out, const ReportData *d) {
    const TableRows *rows = &d->tables.paper_configs;
    fputs("\\begin{table}[htbp]\n\\centering\n\\caption{Every configuration with finished runs: mean $\\pm$ standard "
          "deviation over $n$ seeds of the final-epoch accuracy. Bold: the best in each column.}\n"
          "\\label{tab:cohort-configurations}\n\\begin{tabular}{ll",
          out);
    fputs(d->tables.metric_column ? "rrrrrrr}\n\\toprule\n" : "rrrrrr}\n\\toprule\n", out);
    fputs("Model & Configuration & $n$", out);
    metric_headers(out, d);
    fputs(" & Params & FLOPs & Images/s \\\\\n\\midrule\n", out);
    for (int i = 0; i < rows->count; i++) {
        const ConfigSummary *cs = &d->configs[rows->index[i]];
        if (i > 0 && cs->group_index != d->configs[rows->index[i - 1]].group_index) fputs("\\addlinespace\n", out);
        tex(out, d->models[cs->model_index]);
        fputs(" & ", out);
        if (*cs->key_params) tex(out, cs->key_params);
        else fputs("--", out);
        fprintf(out, " & %d", cs->n);
        metric_cells(out, d, cs, rows->best[i]);
        count_cell(out, cs->params);
        cost_cells(out, cs);
        fputs(" \\\\\n", out);
    }
    if (rows->count < rows->total)
        fprintf(out, "%% %d more configurations are in the CSV and JSON reports\n", rows->total - rows->count);
    fputs("\\bottomrule\n\\end{tabular}\n\\end{table}\n", out);
}

int report_write_latex(FILE *out, const ReportData *d) {
    fputs("% ", out);
    tex_comment_text(out, d->title);
    fprintf(out, "\n%% Generated %s by cohort report: %d runs, %d finished, %d configurations.\n", d->generated_at, d->count,
            d->finished, d->config_count);
    fputs("% A fragment: \\input it into a document with \\usepackage{booktabs}.\n", out);
    fprintf(out, "%% Metric: final-epoch %s (%s is better).", metric_name(d->metric),
            metric_minimise(d->metric) ? "lower" : "higher");
    if (d->options->sweep_name) fputs(" Sweep: ", out), tex_comment_text(out, d->options->sweep_name), fputc('.', out);
    if (d->options->where) fputs(" Where: ", out), tex_comment_text(out, d->options->where), fputc('.', out);
    fputc('\n', out);
    if (d->finished == 0) {
        fputs("% No finished runs yet: no tables.\n", out);
        return 0;
    }
    group_table(out, d);
    fputc('\n', out);
    config_table(out, d);
    return 0;
}
