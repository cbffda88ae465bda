/* Charts as inline SVG; see svg_chart.h. */
#include "svg_chart.h"
#include "text_escape.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

enum { MARGIN_LEFT = 64, MARGIN_RIGHT = 24, MARGIN_TOP = 34, MARGIN_BOTTOM = 46, LEGEND_ROW = 18,
       LEGEND_COLUMNS = 2 };

void svg_write_escaped(FILE *out, const char *text) {
    for (const char *p = text ? text : ""; *p;) {
        unsigned cp;
        int n = utf8_sequence(p, &cp);
        if (n == 0) {
            fputs("&#xFFFD;", out), p++;
            continue;
        }
        switch (cp) {
        case '&': fputs("&amp;", out); break;
        case '<': fputs("&lt;", out); break;
        case '>': fputs("&gt;", out); break;
        case '"': fputs("&quot;", out); break;
        case '\'': fputs("&#39;", out); break;
        case '\t': case '\n': fputc((int)cp, out); break;
        case '\r': fputc(' ', out); break; /* the same white space to HTML; on a terminal it would overwrite */
        default:
            /* control characters are not allowed in HTML or SVG text */
            if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) fputs("&#xFFFD;", out);
            else fwrite(p, 1, (size_t)n, out);
        }
        p += n;
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

/* Logarithmic axis over whole decades; ticks at 1, (2, 5 when few decades) x 10^k. Values are log10. */
static Axis make_log_axis(double min, double max) {
    Axis a;
    double lo = floor(log10(min) + 1e-9), hi = ceil(log10(max) - 1e-9);
    if (hi <= lo) hi = lo + 1;
    a.lo = lo, a.hi = hi, a.step = 1, a.decimals = 0, a.ticks = 0;
    int decades = (int)(hi - lo);
    for (double e = lo; e <= hi + 1e-9 && a.ticks < 16; e += 1) {
        a.tick[a.ticks++] = e;
        if (decades <= 3 && e < hi)
            for (int m = 2; m <= 5 && a.ticks < 16; m += 3) a.tick[a.ticks++] = e + log10((double)m);
    }
    return a;
}

static void format_tick(double v, const Axis *a, int log_axis, int si, char out[32]) {
    if (log_axis) v = pow(10.0, v);
    if (si && fabs(v) >= 1000) {
        static const char *const suffix[] = {"k", "M", "G", "T"};
        int k = -1;
        while (fabs(v) >= 1000 && k < 3) v /= 1000, k++;
        snprintf(out, 32, "%g%s", round(v * 100) / 100, suffix[k]);
    } else if (log_axis) {
        snprintf(out, 32, "%g", v);
    } else {
        snprintf(out, 32, "%.*f", a->decimals, v);
    }
}

typedef struct {
    int width, height, plot_w, plot_h;
    double x0, y0; /* plot origin (bottom left) */
    Axis ax, ay;
    int x_log;
} Frame;

static double px(const Frame *f, double v) {
    if (f->x_log) v = log10(v);
    return f->x0 + (v - f->ax.lo) / (f->ax.hi - f->ax.lo) * f->plot_w;
}
static double py(const Frame *f, double v) { return f->y0 - (v - f->ay.lo) / (f->ay.hi - f->ay.lo) * f->plot_h; }

void svg_open(FILE *out, const SvgChart *chart, const char *extra_class, int width, int height) {
    fputs("<svg class=\"chart", out);
    if (extra_class) fprintf(out, " %s", extra_class);
    fputc('"', out);
    if (chart->id) {
        fputs(" id=\"", out);
        svg_write_escaped(out, chart->id);
        fputc('"', out);
    }
    fprintf(out, " width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"", width, height, width,
            height);
    svg_write_escaped(out, chart->title);
    fputs("\">\n<title>", out);
    svg_write_escaped(out, chart->title);
    fprintf(out, "</title>\n<text class=\"chart-title\" x=\"%d\" y=\"20\">", MARGIN_LEFT);
    svg_write_escaped(out, chart->title);
    fputs("</text>\n", out);
}

/* Grid, axes, ticks and axis labels of an x/y chart. */
static void draw_frame(FILE *out, const SvgChart *chart, const Frame *f) {
    fputs("<g class=\"grid\">", out);
    for (int i = 0; i < f->ay.ticks; i++)
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", f->x0, py(f, f->ay.tick[i]),
                f->x0 + f->plot_w, py(f, f->ay.tick[i]));
    fputs("</g>\n<g class=\"axis\">", out);
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", f->x0, f->y0, f->x0 + f->plot_w, f->y0);
    fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", f->x0, f->y0, f->x0, f->y0 - f->plot_h);
    char label[32];
    for (int i = 0; i < f->ax.ticks; i++) {
        double x = f->x0 + (f->ax.tick[i] - f->ax.lo) / (f->ax.hi - f->ax.lo) * f->plot_w;
        format_tick(f->ax.tick[i], &f->ax, f->x_log, chart->x_si, label);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, f->y0, x, f->y0 + 5);
        fprintf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>", x, f->y0 + 18,
                label);
    }
    for (int i = 0; i < f->ay.ticks; i++) {
        double y = py(f, f->ay.tick[i]);
        format_tick(f->ay.tick[i], &f->ay, 0, 0, label);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", f->x0 - 5, y, f->x0, y);
        fprintf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>", f->x0 - 8, y + 4,
                label);
    }
    fputs("</g>\n", out);
    fprintf(out, "<text class=\"axis-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", f->x0 + f->plot_w / 2.0,
            f->y0 + 38);
    svg_write_escaped(out, chart->x_label);
    fprintf(out, "</text>\n<text class=\"axis-label\" transform=\"translate(16 %.1f) rotate(-90)\" "
                 "text-anchor=\"middle\">",
            f->y0 - f->plot_h / 2.0);
    svg_write_escaped(out, chart->y_label);
    fputs("</text>\n", out);
}

static void no_data(FILE *out, const Frame *f, const char *text) {
    fprintf(out, "<text class=\"no-data\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n",
            f->x0 + f->plot_w / 2.0, f->y0 - f->plot_h / 2.0, text);
}

static void draw_legend(FILE *out, const Frame *f, const char *const *labels, const char *const *colors, int n) {
    if (!n) return;
    int col_w = (f->width - MARGIN_LEFT) / LEGEND_COLUMNS;
    int max_chars = (col_w - 24) / 7;
    fputs("<g class=\"legend\">\n", out);
    for (int i = 0; i < n; i++) {
        double lx = MARGIN_LEFT + (i % LEGEND_COLUMNS) * col_w;
        double ly = f->y0 + MARGIN_BOTTOM + 8 + (i / LEGEND_COLUMNS) * LEGEND_ROW;
        fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"14\" height=\"4\" fill=\"", lx, ly + 6);
        svg_write_escaped(out, colors[i]);
        fprintf(out, "\"/><text x=\"%.1f\" y=\"%.1f\">", lx + 20, ly + 11);
        write_escaped_truncated(out, labels[i], max_chars);
        fputs("</text>\n", out);
    }
    fputs("</g>\n", out);
}

static int legend_rows(int n) { return (n + LEGEND_COLUMNS - 1) / LEGEND_COLUMNS; }

/* Legend entries of a chart: its list, or one per series (labels/colors arrays of n). */
static int legend_of(const SvgChart *chart, const SvgSeries *series, int count, const char ***labels,
                     const char ***colors) {
    int n = chart->no_legend ? 0 : chart->legend ? chart->legend_count : count;
    *labels = calloc((size_t)n + 1, sizeof **labels);
    *colors = calloc((size_t)n + 1, sizeof **colors);
    if (!*labels || !*colors) return 0;
    for (int i = 0; i < n; i++) {
        (*labels)[i] = chart->legend ? chart->legend[i].label : series[i].label;
        (*colors)[i] = chart->legend ? chart->legend[i].color : series[i].color;
    }
    return n;
}

static int finite2(double x, double y) { return isfinite(x) && isfinite(y); }

void svg_line_chart(FILE *out, const SvgChart *chart, const SvgSeries *series, int count) {
    Frame f = {0};
    f.width = chart->width > 0 ? chart->width : 820;
    f.plot_h = chart->plot_height > 0 ? chart->plot_height : 300;
    f.plot_w = f.width - MARGIN_LEFT - MARGIN_RIGHT;

    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    int drawn = 0;
    for (int s = 0; s < count; s++)
        for (int i = 0; i < series[s].n; i++) {
            double x = series[s].x[i], y = series[s].y[i];
            if (!finite2(x, y)) continue;
            xmin = fmin(xmin, x), xmax = fmax(xmax, x);
            ymin = fmin(ymin, y), ymax = fmax(ymax, y);
            if (series[s].lo && series[s].hi && finite2(series[s].lo[i], series[s].hi[i]))
                ymin = fmin(ymin, series[s].lo[i]), ymax = fmax(ymax, series[s].hi[i]);
            drawn++;
        }
    f.ax = make_axis(xmin, xmax, chart->x_integer);
    f.ay = make_axis(ymin, ymax, 0);

    const char **labels, **colors;
    int legend_n = legend_of(chart, series, count, &labels, &colors);
    f.height = MARGIN_TOP + f.plot_h + MARGIN_BOTTOM + (legend_n ? 8 + legend_rows(legend_n) * LEGEND_ROW : 0);
    f.x0 = MARGIN_LEFT, f.y0 = MARGIN_TOP + f.plot_h;

    svg_open(out, chart, NULL, f.width, f.height);
    draw_frame(out, chart, &f);
    if (!drawn) no_data(out, &f, "no data yet");

    /* bands first, under every line: one polygon per run of consecutive finite band values */
    fputs("<g class=\"bands\">\n", out);
    for (int s = 0; s < count; s++) {
        const SvgSeries *se = &series[s];
        if (!se->lo || !se->hi) continue;
        for (int i = 0; i < se->n;) {
            while (i < se->n && !(finite2(se->x[i], se->lo[i]) && isfinite(se->hi[i]))) i++;
            int j = i;
            while (j < se->n && finite2(se->x[j], se->lo[j]) && isfinite(se->hi[j])) j++;
            if (j - i >= 2) {
                fputs("<polygon class=\"band\" fill=\"", out);
                svg_write_escaped(out, se->color);
                fputs("\" points=\"", out);
                for (int k = i; k < j; k++) fprintf(out, "%.1f,%.1f ", px(&f, se->x[k]), py(&f, se->hi[k]));
                for (int k = j - 1; k >= i; k--)
                    fprintf(out, "%.1f,%.1f%s", px(&f, se->x[k]), py(&f, se->lo[k]), k > i ? " " : "");
                fputs("\"><title>", out);
                svg_write_escaped(out, se->label);
                fputs(" (\xC2\xB1 1 std)</title></polygon>\n", out);
            }
            i = j;
        }
    }
    fputs("</g>\n", out);

    /* one polyline per series that has points, at most max_points of them (evenly spaced, ends kept) */
    fputs("<g class=\"series\">\n", out);
    for (int s = 0; s < count; s++) {
        const SvgSeries *se = &series[s];
        int points = 0;
        for (int i = 0; i < se->n; i++) points += finite2(se->x[i], se->y[i]);
        if (!points) continue;
        int limit = chart->max_points > 1 ? chart->max_points : points;
        fputs("<polyline", out);
        if (se->css_class) {
            fputs(" class=\"", out);
            svg_write_escaped(out, se->css_class);
            fputc('"', out);
        }
        fputs(" stroke=\"", out);
        svg_write_escaped(out, se->color);
        fputc('"', out);
        if (se->width > 0) fprintf(out, " stroke-width=\"%.2g\"", se->width);
        if (se->opacity > 0 && se->opacity < 1) fprintf(out, " stroke-opacity=\"%.2g\"", se->opacity);
        fputs(" points=\"", out);
        double lx = 0, ly = 0;
        int k = 0, written = 0;
        for (int i = 0; i < se->n; i++) {
            if (!finite2(se->x[i], se->y[i])) continue;
            /* keep the k-th finite point when it is the next of `limit` evenly spaced ones */
            int keep = points <= limit ||
                       k == (int)llround((double)written * (points - 1) / (limit - 1));
            k++;
            if (!keep) continue;
            lx = px(&f, se->x[i]), ly = py(&f, se->y[i]);
            fprintf(out, "%s%.1f,%.1f", written ? " " : "", lx, ly);
            written++;
        }
        fputs("\"><title>", out);
        svg_write_escaped(out, se->label);
        fputs("</title></polyline>", out);
        if (points == 1) { /* a lone point would be invisible as a line */
            fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2.5\" fill=\"", lx, ly);
            svg_write_escaped(out, se->color);
            fputs("\"/>", out);
        }
        fputc('\n', out);
    }
    fputs("</g>\n", out);
    draw_legend(out, &f, labels, colors, legend_n);
    free(labels), free(colors);
    fputs("</svg>\n", out);
}

void svg_scatter_chart(FILE *out, const SvgChart *chart, const SvgPoint *points, int n, const int *front, int front_n,
                       int minimise) {
    Frame f = {0};
    f.width = chart->width > 0 ? chart->width : 820;
    f.plot_h = chart->plot_height > 0 ? chart->plot_height : 300;
    f.plot_w = f.width - MARGIN_LEFT - MARGIN_RIGHT;
    double xmin = INFINITY, xmax = -INFINITY, ymin = INFINITY, ymax = -INFINITY;
    int drawn = 0;
    for (int i = 0; i < n; i++) {
        const SvgPoint *p = &points[i];
        if (!finite2(p->x, p->y) || (chart->x_log && p->x <= 0)) continue;
        double e = isfinite(p->err) ? p->err : 0;
        xmin = fmin(xmin, p->x), xmax = fmax(xmax, p->x);
        ymin = fmin(ymin, p->y - e), ymax = fmax(ymax, p->y + e);
        drawn++;
    }
    f.x_log = chart->x_log && drawn && xmax / xmin >= 10.0;
    f.ax = f.x_log ? make_log_axis(xmin, xmax) : make_axis(drawn ? xmin : NAN, drawn ? xmax : NAN, 0);
    if (!f.x_log && drawn && f.ax.lo < 0 && xmin >= 0) f.ax = make_axis(0, xmax, 0); /* counts are not negative */
    f.ay = make_axis(ymin, ymax, 0);
    const char **labels, **colors;
    int legend_n = legend_of(chart, NULL, 0, &labels, &colors);
    f.height = MARGIN_TOP + f.plot_h + MARGIN_BOTTOM + (legend_n ? 8 + legend_rows(legend_n) * LEGEND_ROW : 0);
    f.x0 = MARGIN_LEFT, f.y0 = MARGIN_TOP + f.plot_h;
    svg_open(out, chart, NULL, f.width, f.height);
    draw_frame(out, chart, &f);
    if (!drawn) no_data(out, &f, chart->empty_note ? chart->empty_note : "no finished runs with a parameter count");

    fputs("<g class=\"points\">\n", out);
    for (int i = 0; i < n; i++) {
        const SvgPoint *p = &points[i];
        if (!finite2(p->x, p->y) || (f.x_log && p->x <= 0)) continue;
        double cx = px(&f, p->x), cy = py(&f, p->y);
        fputs("<g class=\"point\"><title>", out);
        svg_write_escaped(out, p->label);
        fputs("</title>", out);
        if (isfinite(p->err) && p->err > 0)
            fprintf(out, "<line class=\"errbar\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\" stroke=\"%s\"/>", cx,
                    py(&f, p->y - p->err), cx, py(&f, p->y + p->err), p->color);
        fprintf(out, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"%s\" fill=\"", cx, cy, p->highlight ? "5.5" : "4");
        svg_write_escaped(out, p->color);
        fputs(p->highlight ? "\" class=\"pareto-point\"/></g>\n" : "\"/></g>\n", out);
    }
    fputs("</g>\n", out);
    if (front_n > 0) {
        fputs("<polyline class=\"pareto\" points=\"", out);
        for (int k = 0; k < front_n; k++) {
            const SvgPoint *p = &points[front[k]];
            double cx = px(&f, p->x), cy = py(&f, p->y);
            if (k > 0) fprintf(out, " %.1f,%.1f", cx, py(&f, points[front[k - 1]].y)); /* hold, then step */
            fprintf(out, "%s%.1f,%.1f", k ? " " : "", cx, cy);
        }
        /* the last front point's value holds to the edge past it */
        fprintf(out, " %.1f,%.1f\"><title>", chart->front_from_right ? f.x0 : f.x0 + f.plot_w,
                py(&f, points[front[front_n - 1]].y));
        if (chart->front_title) svg_write_escaped(out, chart->front_title);
        else fprintf(out, "Pareto front (fewer parameters, %s metric)", minimise ? "lower" : "higher");
        fputs("</title></polyline>\n", out);
    }
    draw_legend(out, &f, labels, colors, legend_n);
    free(labels), free(colors);
    fputs("</svg>\n", out);
}

void svg_ramp_color(const SvgRamp *ramp, double t, char out[8]) {
    if (!ramp || ramp->color_count < 1) {
        snprintf(out, 8, "#888888");
        return;
    }
    if (!isfinite(t)) t = 0.5;
    t = t < 0 ? 0 : t > 1 ? 1 : t;
    double pos = t * (ramp->color_count - 1);
    int i = (int)floor(pos);
    if (i >= ramp->color_count - 1) i = ramp->color_count - 2;
    if (i < 0) i = 0;
    double u = ramp->color_count > 1 ? pos - i : 0;
    unsigned a[3] = {0}, b[3] = {0};
    sscanf(ramp->colors[i], "#%02x%02x%02x", &a[0], &a[1], &a[2]);
    sscanf(ramp->colors[ramp->color_count > 1 ? i + 1 : i], "#%02x%02x%02x", &b[0], &b[1], &b[2]);
    int c[3];
    for (int k = 0; k < 3; k++) c[k] = (int)lround(a[k] + (b[k] - (double)a[k]) * u);
    snprintf(out, 8, "#%02x%02x%02x", c[0] & 255, c[1] & 255, c[2] & 255);
}

/* Position of v on a parallel-coordinates axis, 0 (bottom) .. 1 (top); NaN when absent. */
static double axis_position(const SvgAxis *a, double v) {
    if (isnan(v)) return NAN;
    if (a->categorical) return a->level_count > 1 ? v / (a->level_count - 1) : 0.5;
    double lo = a->lo, hi = a->hi;
    if (a->log) {
        if (v <= 0 || lo <= 0) return NAN;
        v = log10(v), lo = log10(lo), hi = log10(hi);
    }
    return hi > lo ? (v - lo) / (hi - lo) : 0.5;
}

void svg_parallel_chart(FILE *out, const SvgChart *chart, const SvgAxis *axes, int axis_count, const SvgLine *lines,
                        int line_count, const SvgRamp *ramp) {
    int width = chart->width > 0 ? chart->width : 820;
    int plot_h = chart->plot_height > 0 ? chart->plot_height : 300;
    int left = 90, right = 90, top = MARGIN_TOP + 26;
    int height = top + plot_h + 40 + (ramp ? 40 : 0);
    double span = axis_count > 1 ? (double)(width - left - right) / (axis_count - 1) : 0;
    double y0 = top + plot_h;
    svg_open(out, chart, NULL, width, height);
#define AX(i) (axis_count > 1 ? left + (i) * span : width / 2.0)
    if (axis_count == 0 || line_count == 0)
        fprintf(out, "<text class=\"no-data\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", width / 2.0,
                top + plot_h / 2.0, axis_count <= 1 ? "no swept hyperparameters" : "no finished runs");
    /* lines first, axes on top */
    fputs("<g class=\"pc-lines\">\n", out);
    for (int l = 0; l < line_count; l++) {
        fputs("<polyline stroke=\"", out);
        svg_write_escaped(out, lines[l].color);
        fputs("\" points=\"", out);
        int first = 1;
        for (int a = 0; a < axis_count; a++) {
            double t = axis_position(&axes[a], lines[l].values[a]);
            if (isnan(t)) continue;
            fprintf(out, "%s%.1f,%.1f", first ? "" : " ", AX(a), y0 - t * plot_h);
            first = 0;
        }
        fputs("\"><title>", out);
        svg_write_escaped(out, lines[l].label);
        fputs("</title></polyline>\n", out);
    }
    fputs("</g>\n<g class=\"pc-axes\">\n", out);
    for (int a = 0; a < axis_count; a++) {
        const SvgAxis *ax = &axes[a];
        double x = AX(a);
        fprintf(out, "<line x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x, y0, x, (double)top);
        fprintf(out, "<text class=\"pc-name\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">", x, top - 10.0);
        write_escaped_truncated(out, ax->name, 18);
        fputs("</text>\n", out);
        /* ticks: the levels (at most 9 labelled), or 5 values over the numeric range; labels left of the
         * axis, right of the last one (the lines come from the left) */
        int last = a == axis_count - 1 && axis_count > 1;
        double tx = last ? x + 5 : x - 5;
        const char *anchor = last ? "start" : "end";
        if (ax->categorical) {
            int every = ax->level_count > 9 ? (ax->level_count + 8) / 9 : 1;
            for (int i = 0; i < ax->level_count; i++) {
                if (i % every && i != ax->level_count - 1) continue;
                double y = y0 - axis_position(ax, i) * plot_h;
                fprintf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">", tx, y + 4, anchor);
                write_escaped_truncated(out, ax->levels[i], 14);
                fputs("</text>", out);
            }
        } else {
            for (int i = 0; i <= 4; i++) {
                double t = i / 4.0, v;
                if (ax->log) v = pow(10.0, log10(ax->lo) + t * (log10(ax->hi) - log10(ax->lo)));
                else v = ax->lo + t * (ax->hi - ax->lo);
                if (ax->hi <= ax->lo && i) break;
                fprintf(out, "<text class=\"tick\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">%.4g</text>", tx,
                        y0 - (ax->hi > ax->lo ? t : 0.5) * plot_h + 4, anchor, v);
            }
        }
        fputc('\n', out);
    }
    fputs("</g>\n", out);
#undef AX
    if (ramp) {
        /* colour legend: a gradient of rects with the two ends labelled */
        double x = left, y = y0 + 34, w = 240;
        fputs("<g class=\"ramp\">", out);
        for (int i = 0; i < 48; i++) {
            char c[8];
            svg_ramp_color(ramp, i / 47.0, c); /* the ends are the exact first and last colours */
            fprintf(out, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.2f\" height=\"10\" fill=\"%s\"/>", x + i * w / 48, y,
                    w / 48 + 0.3, c);
        }
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%.*f</text>", x - 6, y + 9, ramp->decimals,
                ramp->lo);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">%.*f</text>", x + w + 6, y + 9, ramp->decimals, ramp->hi);
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">", x + w + 60, y + 9);
        svg_write_escaped(out, ramp->label);
        fputs("</text></g>\n", out);
    }
    fputs("</svg>\n", out);
}

void svg_bar_chart(FILE *out, const SvgChart *chart, const SvgBar *bars, int n, double max_value) {
    int width = chart->width > 0 ? chart->width : 820;
    int label_w = 190, row = 22, top = MARGIN_TOP + 6;
    int bar_w = width - label_w - 150;
    int height = top + (n ? n : 1) * row + 30;
    svg_open(out, chart, NULL, width, height);
    if (!n)
        fprintf(out, "<text class=\"no-data\" x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">no swept hyperparameters</text>\n",
                width / 2.0, top + 14);
    if (!(max_value > 0)) max_value = 1;
    fputs("<g class=\"bars\">\n", out);
    for (int i = 0; i < n; i++) {
        const SvgBar *b = &bars[i];
        double y = top + i * row;
        fputs("<g class=\"bar\"><title>", out);
        svg_write_escaped(out, b->tooltip ? b->tooltip : b->label);
        fprintf(out, "</title><text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">", label_w - 8, y + 15);
        write_escaped_truncated(out, b->label, 26);
        fputs("</text>", out);
        double w = isfinite(b->value) ? fmax(0.0, b->value) / max_value * bar_w : 0;
        if (isfinite(b->value)) {
            fprintf(out, "<rect x=\"%d\" y=\"%.1f\" width=\"%.1f\" height=\"%d\" fill=\"", label_w, y + 3,
                    fmax(w, 1.0), row - 6);
            svg_write_escaped(out, b->color);
            fputs("\"/>", out);
        }
        fprintf(out, "<text x=\"%.1f\" y=\"%.1f\">", label_w + w + 6, y + 15);
        svg_write_escaped(out, b->text);
        fputs("</text></g>\n", out);
    }
    fputs("</g>\n", out);
    /* the scale: 0 and max under the bars */
    double y = top + (n ? n : 1) * row + 4;
    fprintf(out, "<g class=\"axis\"><line x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\"/>", label_w, y, label_w + bar_w, y);
    fprintf(out, "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">0</text>", label_w, y + 16);
    fprintf(out, "<text class=\"tick\" x=\"%d\" y=\"%.1f\" text-anchor=\"middle\">%.2g</text></g>\n", label_w + bar_w,
            y + 16, max_value);
    fputs("</svg>\n", out);
}
