/* Line charts as inline SVG; see svg_chart.h. */
#include "svg_chart.h"

#include <math.h>
#include <string.h>

enum { MARGIN_LEFT = 64, MARGIN_RIGHT = 24, MARGIN_TOP = 34, MARGIN_BOTTOM = 46, LEGEND_ROW = 18,
       LEGEND_COLUMNS = 2 };

void svg_write_escaped(FILE *out, const char *text) {
    for (const char *p = text ? text : ""; *p; p++) {
        switch (*p) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        default: fputc(*p, out);
        }
    }
}

/* At most max_chars characters (UTF-8 aware), with an ellipsis when cut. */
static void write_escaped_truncated(FILE *out, const char *text, int max_chars) {
    const char *p = text ? text : "";
    int chars = 0;
    const char *cut = NULL;
    for (const char *q = p; *q; q++)
        if (((unsigned char)*q & 0xC0) != 0x80) {
            if (chars == max_chars - 1 && !cut) cut = q;
            chars++;
        }
    if (chars <= max_chars || !cut) {
        svg_write_escaped(out, p);
        return;
    }
    char buf[1024];
    size_t len = (size_t)(cut - p) < sizeof buf - 1 ? (size_t)(cut - p) : sizeof buf - 1;
    while (len > 0 && ((unsigned char)p[len] & 0xC0) == 0x80) len--; /* keep whole characters */
    memcpy(buf, p, len);
    buf[len] = 0;
    svg_write_escaped(out, buf);
    fputs("\xE2\x80\xA6", out); /* … */
}

void svg_hsl_color(double hue, double s, double l, char out[8]) {
    double h = fmod(fmod(hue, 360.0) + 360.0, 360.0) / 60.0;
    double c = (1.0 - fabs(2.0 * l - 1.0)) * s;
    double x = c * (1.0 - fabs(fmod(h, 2.0) - 1.0));
    double r = 0, g = 0, b = 0;
    if (h < 1) r = c, g = x;
    else if (h < 2) r = x, g = c;
    else if (h < 3) g = c, b = x;
    else if (h < 4) g = x, b = c;
    else if (h < 5) r = x, b = c;
    else r = c, b = x;
    double m = l - c / 2.0;
    int R = (int)lround((r + m) * 255.0), G = (int)lround((g + m) * 255.0), B = (int)lround((b + m) * 255.0);
    R = R < 0 ? 0 : R > 255 ? 255 : R;
    G = G < 0 ? 0 : G > 255 ? 255 : G;
    B = B < 0 ? 0 : B > 255 ? 255 : B;
    snprintf(out, 8, "#%02x%02x%02x", R, G, B);
}

/* A 1, 2 or 5 x 10^k step giving about `target` intervals over range. */
static double nice_step(double range, int target) {
    double raw = range / target;
    double mag = pow(10.0, floor(log10(raw)));
    double f = raw / mag;
    double nf = f < 1.5 ? 1.0 : f < 3.0 ? 2.0 : f < 7.0 ? 5.0 : 10.0;
    return nf * mag;
}

typedef struct {
    double lo, hi, step; /* range shown and tick spacing */
    double tick[16];
    int ticks;
    int decimals;        /* for the labels */
} Axis;

/* Values: a range widened to whole ticks. Integer axes (epochs) span the data exactly, with a tick at
 * its start (epoch 1) and then at the multiples of the step. */
static Axis make_axis(double min, double max, int integer) {
    Axis a;
    if (!(min <= max)) min = integer ? 1.0 : 0.0, max = min + 1.0; /* no data */
    if (max - min < 1e-12 * fmax(1.0, fabs(max))) {
        double pad = integer ? 1.0 : fabs(min) > 0 ? fabs(min) * 0.05 : 1.0;
        if (!integer) min -= pad;
        max += pad;
    }
    a.step = nice_step(max - min, 5);
    if (integer && a.step < 1.0) a.step = 1.0;
    a.lo = integer ? min : floor(min / a.step + 1e-9) * a.step;
    a.hi = integer ? max : ceil(max / a.step - 1e-9) * a.step;
    a.decimals = a.step >= 1.0 ? 0 : (int)ceil(-log10(a.step) - 1e-9);
    a.ticks = 0;
    double v = ceil(a.lo / a.step - 1e-9) * a.step;
    if (integer && v - a.lo > 1e-9) {
        a.tick[a.ticks++] = a.lo;
        if (v - a.lo < 0.4 * a.step) v += a.step; /* keep labels apart */
    }
    for (; v <= a.hi + a.step * 1e-9 && a.ticks < 16; v += a.step)
        a.tick[a.ticks++] = fabs(v) < a.step * 1e-9 ? 0.0 : v; /* no "-0" labels */
    return a;
}

static double tick_value(const Axis *a, int i) { return a->tick[i]; }

void svg_line_chart(FILE *out, const SvgChart *chart, const SvgSeries *series, int count) {
    int width = chart->width > 0 ? chart->width : 820;
    int plot_h = chart->plot_height > 0 ? chart->plot_height : 300;
    int plot_w = width - MARGIN_LEFT - MARGIN_RIGHT;

    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    int drawn = 0;
    for (int s = 0; s < count; s++)
        for (int i = 0; i < series[s].n; i++) {
            double x = series[s].x[i], y = series[s].y[i];
            if (!isfinite(x) || !isfinite(y)) continue;
            xmin = fmin(xmin, x), xmax = fmax(xmax, x);
            ymin = fmin(ymin, y), ymax = fmax(ymax, y);
            drawn++;
        }
    Axis ax = make_axis(xmin, xmax, chart->x_integer);
    Axis ay = make_axis(ymin, ymax, 0);

    int legend_n = chart->legend ? chart->legend_count : 0;
    if (!chart->legend)
        for (int s = 0; s < count; s++) legend_n++;
    int legend_rows = (legend_n + LEGEND_COLUMNS - 1) / LEGEND_COLUMNS;
    int height = MARGIN_TOP + plot_h + MARGIN_BOTTOM + (legend_rows ? 8 + legend_rows * LEGEND_ROW : 0);

    double x0 = MARGIN_LEFT, y0 = MARGIN_TOP + plot_h; /* plot origin (bottom left) */
#define PX(v) (x0 + ((v) - ax.lo) / (ax.hi - ax.lo) * plot_w)
#define PY(v) (y0 - ((v) - ay.lo) / (ay.hi - ay.lo) * plot_h)

    fprintf(out, "<svg class=\"chart\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"",
            width, height, width, height);
    svg_write_escaped(out, chart->title);
    fputs("\">\n", out);
    fprintf(out, "<text class=\"chart-title\" x=\"%d\" y=\"20\">", MARGIN_LEFT);
    svg_write_escaped(out, chart->title);
    fputs("</text>\n", out);

    /* grid and ticks */
    fputs("<g class=\"grid\">", out);
    for (int i = 0; i < ay.ticks; i++)
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x0, PY(tick_value(&ay, i)),
                x0 + plot_w, PY(tick_value(&ay, i)));
    fputs("</g>\n<g class=\"axis\">", out);
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x0, y0, x0 + plot_w, y0);
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x0, y0, x0, y0 - plot_h);
    for (int i = 0; i < ax.ticks; i++) {
        double px = PX(tick_value(&ax, i));
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", px, y0, px, y0 + 5);
        fprintf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.*f</text>", px, y0 + 18,
                ax.decimals, tick_value(&ax, i));
    }
    for (int i = 0; i < ay.ticks; i++) {
        double py = PY(tick_value(&ay, i));
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x0 - 5, py, x0, py);
        fprintf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.*f</text>", x0 - 8, py + 4,
                ay.decimals, tick_value(&ay, i));
    }
    fputs("</g>\n", out);
    fprintf(out, "<text class=\"axis-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x0 + plot_w / 2.0,
            y0 + 38);
    svg_write_escaped(out, chart->x_label);
    fprintf(out, "</text>\n<text class=\"axis-label\" transform=\"translate(16 %.1f) rotate(-90)\" "
                 "text-anchor=\"middle\">",
            y0 - plot_h / 2.0);
    svg_write_escaped(out, chart->y_label);
    fputs("</text>\n", out);
    if (!drawn)
        fprintf(out, "<text class=\"no-data\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">no data yet</text>\n",
                x0 + plot_w / 2.0, y0 - plot_h / 2.0);

    /* one polyline per series that has points */
    fputs("<g class=\"series\">\n", out);
    for (int s = 0; s < count; s++) {
        int points = 0;
        double lx = 0, ly = 0;
        for (int i = 0; i < series[s].n; i++)
            if (isfinite(series[s].x[i]) && isfinite(series[s].y[i])) points++;
        if (!points) continue;
        fprintf(out, "<polyline stroke=\"");
        svg_write_escaped(out, series[s].color);
        fputs("\" points=\"", out);
        int first = 1;
        for (int i = 0; i < series[s].n; i++) {
            if (!isfinite(series[s].x[i]) || !isfinite(series[s].y[i])) continue;
            lx = PX(series[s].x[i]), ly = PY(series[s].y[i]);
            fprintf(out, "%s%.1f,%.1f", first ? "" : " ", lx, ly);
            first = 0;
        }
        fputs("\"><title>", out);
        svg_write_escaped(out, series[s].label);
        fputs("</title></polyline>", out);
        if (points == 1) { /* a lone point would be invisible as a line */
            fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"", lx, ly);
            svg_write_escaped(out, series[s].color);
            fputs("\"/>", out);
        }
        fputc('\n', out);
    }
    fputs("</g>\n", out);

    /* legend under the plot */
    if (legend_n) {
        int col_w = (width - MARGIN_LEFT) / LEGEND_COLUMNS;
        int max_chars = (col_w - 24) / 7;
        fputs("<g class=\"legend\">\n", out);
        for (int i = 0; i < legend_n; i++) {
            const char *label = chart->legend ? chart->legend[i].label : series[i].label;
            const char *color = chart->legend ? chart->legend[i].color : series[i].color;
            double lx = MARGIN_LEFT + (i % LEGEND_COLUMNS) * col_w;
            double ly = y0 + MARGIN_BOTTOM + 8 + (i / LEGEND_COLUMNS) * LEGEND_ROW;
            fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"4\" fill=\"", lx, ly + 6);
            svg_write_escaped(out, color);
            fprintf(out, "\"/><text x=\"%.1f\" y=\"%.1f\">", lx + 20, ly + 11);
            write_escaped_truncated(out, label, max_chars);
            fputs("</text>\n", out);
        }
        fputs("</g>\n", out);
    }
    fputs("</svg>\n", out);
#undef PX
#undef PY
}
