/* The HTML report in a real browser: headless Chromium renders the "paper" report (report_fixture.h)
 *   - to its DOM (--dump-dom): every chart is there as parsed SVG, with its id, title and marks;
 *   - to a 1400x4000 screenshot (--screenshot): decoded here (PNG via zlib) and checked not to be blank
 *     (non-white pixels, distinct colours) and to show every chart: each model's colour, the mean lines'
 *     colours (learning curves), the Pareto rings, the parallel-coordinates colour ramp, the importance bars.
 * Fails with a clear message when the browser is missing: usage: test_report_browser [CHROMIUM]. */
#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "check.h"
#include "report.h"
#include "report_fixture.h"
#include "store.h"

static char tmpdir[] = "/tmp/cohort_test_browser_XXXXXX";

static void path_in_tmp(char *out, size_t size, const char *name) { snprintf(out, size, "%s/%s", tmpdir, name); }

static void remove_tree(const char *path) {
    DIR *dir = opendir(path);
    if (!dir) {
        unlink(path);
        return;
    }
    struct dirent *e;
    while ((e = readdir(dir))) {
        if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
        char p[1024];
        snprintf(p, sizeof p, "%s/%s", path, e->d_name);
        remove_tree(p);
    }
    closedir(dir);
    rmdir(path);
}

static char *read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *text = malloc((size_t)n + 1);
    if (text && fread(text, 1, (size_t)n, f) != (size_t)n) n = 0;
    if (text) text[n] = 0;
    if (size) *size = (size_t)n;
    fclose(f);
    return text;
}

static int count_of(const char *haystack, const char *needle) {
    int n = 0;
    for (const char *p = haystack; (p = strstr(p, needle)); p += strlen(needle)) n++;
    return n;
}

/* ---- a minimal PNG decoder: 8-bit RGB or RGBA, not interlaced (what Chromium writes) ---- */
typedef struct {
    uint32_t width, height;
    uint8_t *rgb; /* [height][width][3] */
} Image;

static uint32_t be32(const uint8_t *p) { return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]; }

static int paeth(int a, int b, int c) {
    int p = a + b - c, pa = abs(p - a), pb = abs(p - b), pc = abs(p - c);
    return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

static int png_decode(const uint8_t *data, size_t size, Image *img, char *why, size_t why_size) {
    static const uint8_t sig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n'};
    memset(img, 0, sizeof *img);
    if (size < 8 || memcmp(data, sig, 8)) return snprintf(why, why_size, "not a PNG file"), -1;
    int depth = 0, type = -1, interlace = 0;
    uint8_t *idat = NULL;
    size_t idat_len = 0;
    for (size_t at = 8; at + 12 <= size;) {
        uint32_t len = be32(data + at);
        const uint8_t *kind = data + at + 4, *body = data + at + 8;
        if (at + 12 + (size_t)len > size) break;
        if (!memcmp(kind, "IHDR", 4) && len >= 13) {
            img->width = be32(body), img->height = be32(body + 4);
            depth = body[8], type = body[9], interlace = body[12];
        } else if (!memcmp(kind, "IDAT", 4)) {
            uint8_t *grown = realloc(idat, idat_len + len);
            if (!grown) return free(idat), snprintf(why, why_size, "out of memory"), -1;
            idat = grown;
            memcpy(idat + idat_len, body, len);
            idat_len += len;
        } else if (!memcmp(kind, "IEND", 4)) {
            break;
        }
        at += 12 + (size_t)len;
    }
    int channels = type == 2 ? 3 : type == 6 ? 4 : 0;
    if (depth != 8 || !channels || interlace || !img->width || !img->height || !idat) {
        free(idat);
        return snprintf(why, why_size, "unsupported PNG (depth %d, colour type %d, interlace %d)", depth, type,
                        interlace),
               -1;
    }
    size_t stride = (size_t)img->width * channels, raw_len = (stride + 1) * img->height;
    uint8_t *raw = malloc(raw_len);
    uLongf out_len = (uLongf)raw_len;
    if (!raw || uncompress(raw, &out_len, idat, (uLong)idat_len) != Z_OK || out_len != raw_len) {
        free(idat), free(raw);
        return snprintf(why, why_size, "corrupt PNG image data"), -1;
    }
    free(idat);
    img->rgb = malloc((size_t)img->width * img->height * 3);
    uint8_t *prev = calloc(stride, 1), *cur = malloc(stride);
    if (!img->rgb || !prev || !cur) {
        free(raw), free(prev), free(cur);
        return snprintf(why, why_size, "out of memory"), -1;
    }
    for (uint32_t y = 0; y < img->height; y++) {
        const uint8_t *line = raw + y * (stride + 1);
        int filter = line[0];
        for (size_t i = 0; i < stride; i++) {
            int a = i >= (size_t)channels ? cur[i - channels] : 0, b = prev[i],
                c = i >= (size_t)channels ? prev[i - channels] : 0, x = line[1 + i];
            switch (filter) {
            case 1: x += a; break;
            case 2: x += b; break;
            case 3: x += (a + b) / 2; break;
            case 4: x += paeth(a, b, c); break;
            default: break;
            }
            cur[i] = (uint8_t)x;
        }
        for (uint32_t px = 0; px < img->width; px++)
            memcpy(img->rgb + ((size_t)y * img->width + px) * 3, cur + (size_t)px * channels, 3);
        uint8_t *t = prev;
        prev = cur, cur = t;
    }
    free(raw), free(prev), free(cur);
    return 0;
}

/* Pixels within tol of "#rrggbb" in each channel. */
static long pixels_of(const Image *img, const char *hex, int tol) {
    unsigned r, g, b;
    if (sscanf(hex, "#%02x%02x%02x", &r, &g, &b) != 3) return -1;
    long n = 0;
    size_t total = (size_t)img->width * img->height;
    for (size_t i = 0; i < total; i++) {
        const uint8_t *p = img->rgb + i * 3;
        n += abs(p[0] - (int)r) <= tol && abs(p[1] - (int)g) <= tol && abs(p[2] - (int)b) <= tol;
    }
    return n;
}

/* Colours after `prefix` in html, distinct, at most max. */
static int colours_after(const char *html, const char *prefix, char out[][8], int max) {
    int n = 0;
    for (const char *p = html; (p = strstr(p, prefix)) && n < max; p += strlen(prefix)) {
        char c[8];
        snprintf(c, sizeof c, "%.7s", p + strlen(prefix));
        int seen = 0;
        for (int i = 0; i < n; i++) seen |= !strcmp(out[i], c);
        if (!seen) memcpy(out[n++], c, 8);
    }
    return n;
}

static int run_browser(const char *chromium, const char *mode, const char *html, const char *out, const char *log) {
    char profile[600], cmd[4096];
    path_in_tmp(profile, sizeof profile, "profile");
    snprintf(cmd, sizeof cmd,
             "timeout 120 '%s' --headless --no-sandbox --disable-gpu --disable-quic --no-first-run "
             "--disable-background-networking --disable-component-update --disable-sync --user-data-dir='%s' "
             "--hide-scrollbars --window-size=1400,4000 %s 'file://%s' > '%s' 2> '%s'",
             chromium, profile, mode, html, out, log);
    return system(cmd);
}

int main(int argc, char **argv) {
    const char *chromium = argc > 1 ? argv[1] : "/usr/bin/chromium";
    if (access(chromium, X_OK) != 0) {
        fprintf(stderr,
                "test_report_browser: FAIL: no browser at %s. This test renders the HTML report in headless "
                "Chromium; install Debian's chromium (sudo apt-get install chromium, or bash scripts/setup.sh).\n",
                chromium);
        return 1;
    }
    if (!mkdtemp(tmpdir)) {
        perror("mkdtemp");
        return 1;
    }
    char db[600], html_path[600], dom_path[600], png_path[600], log_path[600], err[ERR_LEN] = "";
    path_in_tmp(db, sizeof db, "paper.db");
    path_in_tmp(html_path, sizeof html_path, "report.html");
    path_in_tmp(dom_path, sizeof dom_path, "dom.html");
    path_in_tmp(png_path, sizeof png_path, "report.png");
    path_in_tmp(log_path, sizeof log_path, "chromium.log");
    CHECK(fx_build(db) == 0);
    Store *s = NULL;
    CHECK_MSG(store_open_readonly(&s, db, err) == 0, "%s", err);
    ReportOptions opt = {.sweep_name = "paper"};
    CHECK_MSG(s && report_write(s, html_path, &opt, err) == 0, "%s", err);
    store_close(s);
    char *html = read_file(html_path, NULL);
    CHECK(html != NULL);
    if (!html) {
        remove_tree(tmpdir);
        return check_report("test_report_browser");
    }

    /* 1. the DOM after Chromium parsed the page */
    int rc = run_browser(chromium, "--dump-dom", html_path, dom_path, log_path);
    char *dom = read_file(dom_path, NULL);
    CHECK_MSG(rc == 0 && dom && strlen(dom) > 1000, "chromium --dump-dom failed (status %d); its log is in %s", rc,
              log_path);
    if (dom) {
        static const struct {
            const char *id, *title, *mark;
            int marks;
        } charts[] = {
            {"chart-test-top1", "Test top-1 (%) per epoch", "<polygon class=\"band\"", FX_MODELS * FX_LRS},
            {"chart-train-loss", "Train loss per epoch", "<polyline class=\"mean\"", FX_MODELS * FX_LRS},
            {"chart-pareto", "Parameters against the metric", "class=\"pareto-point\"", 2},
            {"chart-parallel", "Swept hyperparameters", "<polyline", FX_MODELS * FX_LRS},
            {"chart-importance", "Hyperparameter importance", "<rect", 3},
        };
        for (size_t i = 0; i < sizeof charts / sizeof charts[0]; i++) {
            char want[128];
            snprintf(want, sizeof want, "<svg class=\"chart\" id=\"%s\"", charts[i].id);
            const char *svg = strstr(dom, want);
            CHECK_MSG(svg != NULL, "chart %s is not in the rendered DOM", charts[i].id);
            if (!svg) continue;
            const char *end = strstr(svg, "</svg>");
            CHECK(end != NULL);
            if (!end) continue;
            char *cut = strndup(svg, (size_t)(end - svg));
            CHECK_MSG(strstr(cut, "<title>") && strstr(cut, charts[i].title), "%s: no title '%s'", charts[i].id,
                      charts[i].title);
            CHECK_MSG(count_of(cut, charts[i].mark) >= charts[i].marks, "%s: %d x %s, want %d", charts[i].id,
                      count_of(cut, charts[i].mark), charts[i].mark, charts[i].marks);
            free(cut);
        }
        CHECK(strstr(dom, "<table id=\"summary-groups\">") && strstr(dom, "<table id=\"problem-runs\">"));
        CHECK(strstr(dom, "<script") == NULL);
        free(dom);
    }

    /* 2. the pixels */
    char shot[800];
    snprintf(shot, sizeof shot, "--screenshot='%s'", png_path);
    rc = run_browser(chromium, shot, html_path, dom_path, log_path);
    size_t png_size = 0;
    uint8_t *png = (uint8_t *)read_file(png_path, &png_size);
    CHECK_MSG(rc == 0 && png && png_size > 1000, "chromium --screenshot failed (status %d); its log is in %s", rc,
              log_path);
    Image img = {0};
    char why[128] = "";
    if (png) CHECK_MSG(png_decode(png, png_size, &img, why, sizeof why) == 0, "%s", why);
    if (img.rgb) {
        CHECK_MSG(img.width == 1400 && img.height == 4000, "screenshot is %ux%u", img.width, img.height);
        size_t total = (size_t)img.width * img.height, inked = 0, distinct = 0;
        uint8_t *seen = calloc(1 << 21, 1); /* one bit per 24-bit colour */
        for (size_t i = 0; seen && i < total; i++) {
            const uint8_t *p = img.rgb + i * 3;
            inked += p[0] < 245 || p[1] < 245 || p[2] < 245;
            uint32_t c = (uint32_t)p[0] << 16 | (uint32_t)p[1] << 8 | p[2];
            if (!(seen[c >> 3] & (1 << (c & 7)))) seen[c >> 3] |= (uint8_t)(1 << (c & 7)), distinct++;
        }
        free(seen);
        printf("screenshot %ux%u: %.1f%% non-white pixels, %zu distinct colours\n", img.width, img.height,
               100.0 * inked / total, distinct);
        CHECK_MSG(inked > total / 20, "nearly blank: %zu of %zu pixels not white", inked, total);
        CHECK_MSG(distinct > 300, "only %zu distinct colours", distinct);
        /* every model's colour (table swatches, scatter points), every configuration's mean line */
        char colours[32][8];
        const char *summary = strstr(html, "<table id=\"summary-groups\">");
        char *table = summary ? strndup(summary, (size_t)(strstr(summary, "</table>") - summary)) : NULL;
        int n = table ? colours_after(table, "class=\"swatch\" style=\"background:", colours, 32) : 0;
        free(table);
        CHECK(n == FX_MODELS);
        for (int i = 0; i < n; i++) {
            long px = pixels_of(&img, colours[i], 2);
            CHECK_MSG(px >= 150, "model colour %s: %ld pixels", colours[i], px);
        }
        const char *curves = strstr(html, "id=\"chart-test-top1\"");
        n = curves ? colours_after(curves, "<polyline class=\"mean\" stroke=\"", colours, 32) : 0;
        CHECK(n == FX_MODELS * FX_LRS);
        for (int i = 0; i < n; i++) {
            long px = pixels_of(&img, colours[i], 2);
            CHECK_MSG(px >= 100, "mean-line colour %s: %ld pixels", colours[i], px);
        }
        static const struct {
            const char *what, *colour;
            long min;
        } marks[] = {
            {"Pareto rings", "#111111", 25},
            {"parallel-coordinates ramp (low end)", "#440154", 40},
            {"parallel-coordinates ramp (high end)", "#fde725", 20},
            {"importance bars", "#4c78a8", 500},
            {"importance: seeds bar", "#b0b0b0", 20},
        };
        for (size_t i = 0; i < sizeof marks / sizeof marks[0]; i++) {
            long px = pixels_of(&img, marks[i].colour, 3);
            CHECK_MSG(px >= marks[i].min, "%s (%s): %ld pixels, want %ld", marks[i].what, marks[i].colour, px,
                      marks[i].min);
        }
        free(img.rgb);
    }
    free(png);
    free(html);
    if (!check_failures) remove_tree(tmpdir);
    else fprintf(stderr, "test_report_browser: files kept in %s\n", tmpdir);
    return check_report("test_report_browser");
}
