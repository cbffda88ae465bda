/* The HTML report's learning curves: test top-1 and train loss per epoch, one thin line per run (an evenly
 * spaced sample of MAX_RUN_LINES of at most MAX_POINTS points each in big reports) and a mean line with a
 * ± one standard deviation band per configuration (per model when there are more than MAX_BANDS). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_html.h"
#include "svg_chart.h"

enum {
    MAX_RUN_LEGEND = 40, /* above this many runs the legend lists models instead of runs */
    MAX_RUN_LINES = 300, /* run lines drawn (evenly spaced sample beyond) */
    MAX_POINTS = 120,    /* points per run line */
    MAX_BANDS = 12       /* per-configuration bands; beyond, per model */
};

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

void html_learning_curves(FILE *out, const ReportData *d, const ReportColors *colors) {
    fputs("<div class=\"charts\">\n", out);
    Bands bands;
    int per_model = 0;
    int have_bands = bands_build(d, colors, &bands, &per_model) == 0;
    if (!have_bands) {
        bands_free(&bands);
        memset(&bands, 0, sizeof bands);
    }
    curve_chart(out, d, colors, &bands, per_model, 0);
    curve_chart(out, d, colors, &bands, per_model, 1);
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
}
