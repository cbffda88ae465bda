/* Colours of the HTML report (report_colors.h). */
#include "report_colors.h"

#include <math.h>
#include <stdlib.h>

#include "svg_chart.h"

/* Hue families for models: well separated first, then the golden angle. */
static double model_hue(int index) {
    static const double hues[] = {215, 25, 135, 280, 355, 180, 45, 320};
    int n = (int)(sizeof hues / sizeof hues[0]);
    return index < n ? hues[index] : fmod(index * 137.508, 360.0);
}

int report_colors_build(const ReportData *d, ReportColors *c) {
    c->model = calloc((size_t)d->model_count + 1, sizeof *c->model);
    c->config = calloc((size_t)d->config_count + 1, sizeof *c->config);
    int *per_model = calloc((size_t)d->model_count + 1, sizeof *per_model);
    int *seen = calloc((size_t)d->model_count + 1, sizeof *seen);
    if (!c->model || !c->config || !per_model || !seen) {
        free(per_model), free(seen);
        report_colors_free(c);
        return -1;
    }
    for (int m = 0; m < d->model_count; m++) svg_hsl_color(model_hue(m), 0.70, 0.45, c->model[m]);
    for (int k = 0; k < d->config_count; k++) per_model[d->configs[k].model_index]++;
    /* Shades within a model's hue family: dark to light in configuration order, with a slight hue drift. */
    for (int k = 0; k < d->config_count; k++) {
        int m = d->configs[k].model_index, count = per_model[m], j = seen[m]++;
        double t = count > 1 ? (double)j / (count - 1) : 0.5;
        svg_hsl_color(model_hue(m) + (t - 0.5) * 16.0, 0.72, 0.30 + 0.32 * t, c->config[k]);
    }
    free(per_model), free(seen);
    return 0;
}

void report_colors_free(ReportColors *c) {
    free(c->model), free(c->config);
    c->model = c->config = NULL;
}

const char *report_run_color(const ReportData *d, const ReportColors *c, int run) {
    return c->config[d->sums[run].config_index];
}
