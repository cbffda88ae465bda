/* The HTML report's scatter and line charts of configurations: the Pareto charts (the mean metric against
 * parameters, FLOPs or images/s) and the parallel coordinates of the swept hyperparameters, coloured by
 * the metric. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "report_html.h"
#include "svg_chart.h"

enum { MAX_ORDINAL_LEVELS = 12 }; /* numeric hyperparameters with at most this many values: evenly spaced ticks */

/* The parallel coordinates' colour ramp (viridis), worst to best. */
static const char *const RAMP[] = {"#440154", "#3b528b", "#21918c", "#5ec962", "#fde725"};

/* One Pareto chart: the mean metric of each configuration against parameters, FLOPs or images/s. */
void html_front_chart(FILE *out, const ReportData *d, const ReportColors *colors, FrontAxis axis) {
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
/* One line per configuration with a result (the best TABLE_RANKED_CONFIGS, report_tables.c), worst drawn
 * first so the best are on top. */
void html_parallel_chart(FILE *out, const ReportData *d) {
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
