/* The Markdown report: a heading and the runs table (GitHub-flavoured pipe table). */
#include <math.h>
#include <string.h>

#include "report_internal.h"

/* Table cell text: '|' escaped (it would end the cell), '<' and '>' backslash-escaped (renderers would
 * take "<net>" for an HTML tag and hide it), line breaks flattened, "-" for empty. */
static void text_escaped(FILE *out, const char *text) {
    for (const char *p = text; *p; p++) {
        if (*p == '|' || *p == '<' || *p == '>') fputc('\\', out), fputc(*p, out);
        else if (*p == '\n' || *p == '\r') fputc(' ', out);
        else fputc(*p, out);
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

int report_write_markdown(FILE *out, const ReportData *d) {
    fputs("# ", out);
    text_escaped(out, d->title);
    fprintf(out, "\n\nGenerated %s; %d run%s.\n\n", d->generated_at, d->count, d->count == 1 ? "" : "s");
    if (d->count == 0) {
        fputs("No runs in the database yet.\n", out);
        return 0;
    }
    int with_sweep = d->sweep_count > 1;
    fputs("| Run |", out);
    if (with_sweep) fputs(" Sweep |", out);
    fputs(" Model | Key hyperparameters | Params | Best test top-1 (%) | Final test top-5 (%) | Epochs | Time (s) |"
          " Status |\n|---:|",
          out);
    if (with_sweep) fputs("---|", out);
    fputs("---|---|---:|---:|---:|---:|---:|---|\n", out);
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
        cell_fixed(out, s->best_top1, 2);
        cell_fixed(out, s->final_top5, 2);
        snprintf(buf, sizeof buf, "%d", run->epoch_count);
        cell(out, buf);
        cell_fixed(out, run->epoch_count ? s->seconds : NAN, 1);
        cell(out, run->status);
        fputc('\n', out);
    }
    fputs("\nTest top-5 is the final epoch's (not the best top-1 epoch's). Time is the sum of the epochs' wall times "
          "(training and evaluation). Key hyperparameters are the settings that differ between these runs.\n",
          out);
    if (d->best_run >= 0) {
        const RunSummary *s = &d->sums[d->best_run];
        fprintf(out, "\nBest test top-1: %.2f %% (run %lld, epoch %d).\n", s->best_top1,
                (long long)d->runs[d->best_run].id, s->best_epoch);
    }
    return 0;
}
