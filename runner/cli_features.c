/* cohort features: one layer's feature maps for one image, as a labelled PNG grid and optionally the raw
 * tensor as a NumPy .npy file. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "image.h"
#include "inference.h"
#include "threads.h"

static const char HELP[] =
    "usage: cohort features --checkpoint FILE --layer NAME IMAGE --out GRID.png [--npy RAW.npy] [--data-dir DIR]\n"
    "\n"
    "Runs the checkpoint's model on IMAGE (PNG or JPEG, converted as `cohort predict` does) up to layer NAME\n"
    "(the names in the last column of `cohort models --plan`: conv1, relu1, ...) and writes its output as a\n"
    "grid of feature maps: one cell per channel, each map scaled to 0..255 between its own minimum and\n"
    "maximum (a constant map is black), labelled with its channel index. A layer with a ReLU fused into it\n"
    "(batchnorm+relu, add+relu in the plan) shows the values after the ReLU. A flat layer (features or tokens)\n"
    "is one map of tokens x features. --npy also writes the raw values: NumPy format 1.0, little-endian float32,\n"
    "C order, shape (C, H, W) or (tokens, features) or (features,).\n";

/* 3x5 digits, one row of 3 bits per byte, top row first */
static const unsigned char DIGITS[10][5] = {
    {7, 5, 5, 5, 7}, {2, 6, 2, 2, 7}, {7, 1, 7, 4, 7}, {7, 1, 7, 1, 7}, {5, 5, 7, 1, 1},
    {7, 4, 7, 1, 7}, {7, 4, 7, 5, 7}, {7, 1, 1, 1, 1}, {7, 5, 7, 5, 7}, {7, 5, 7, 1, 7},
};
#define FONT_SCALE 2
#define LABEL_H (5 * FONT_SCALE + 4) /* label strip above each map, pixels */
#define GAP 4                        /* between cells, pixels */
#define BACKGROUND 40
#define MIN_CELL 48                  /* maps smaller than this are enlarged (nearest neighbour) to about it */

static void draw_number(uint8_t *img, int width, int x0, int y0, int n) {
    char text[16];
    snprintf(text, sizeof text, "%d", n);
    for (int k = 0; text[k]; k++)
        for (int r = 0; r < 5; r++)
            for (int c = 0; c < 3; c++)
                if (DIGITS[text[k] - '0'][r] >> (2 - c) & 1)
                    for (int dy = 0; dy < FONT_SCALE; dy++)
                        for (int dx = 0; dx < FONT_SCALE; dx++)
                            img[(size_t)(y0 + r * FONT_SCALE + dy) * width + x0 + (k * 4 + c) * FONT_SCALE + dx] = 255;
}

/* maps [n][h][w] to a grid PNG */
static int write_grid(const char *path, const real *maps, int n, int h, int w, char *err) {
    const int scale = (h > w ? h : w) >= MIN_CELL ? 1 : (MIN_CELL + (h > w ? h : w) - 1) / (h > w ? h : w);
    char digits[16];
    const int label_w = snprintf(digits, sizeof digits, "%d", n - 1) * 4 * FONT_SCALE;
    const int cell_w = (w * scale > label_w ? w * scale : label_w), cell_h = LABEL_H + h * scale;
    const int cols = (int)ceil(sqrt((double)n)), rows = (n + cols - 1) / cols;
    const int width = GAP + cols * (cell_w + GAP), height = GAP + rows * (cell_h + GAP);
    uint8_t *img = malloc((size_t)width * height);
    if (!img) return err_set(err, "%s: out of memory for a %dx%d grid", path, width, height);
    memset(img, BACKGROUND, (size_t)width * height);
    for (int k = 0; k < n; k++) {
        const real *m = maps + (size_t)k * h * w;
        double lo = m[0], hi = m[0];
        for (size_t j = 1; j < (size_t)h * w; j++) lo = fmin(lo, m[j]), hi = fmax(hi, m[j]);
        const int x0 = GAP + (k % cols) * (cell_w + GAP), y0 = GAP + (k / cols) * (cell_h + GAP);
        draw_number(img, width, x0, y0 + 2, k);
        for (int y = 0; y < h * scale; y++)
            for (int x = 0; x < w * scale; x++) {
                const double v = m[(size_t)(y / scale) * w + x / scale];
                img[(size_t)(y0 + LABEL_H + y) * width + x0 + x] =
                    hi > lo ? (uint8_t)lround(255.0 * (v - lo) / (hi - lo)) : 0;
            }
    }
    int rc = image_write_png(path, img, width, height, 1, err);
    free(img);
    return rc;
}

/* NumPy format 1.0: magic, version, little-endian uint16 header length, a Python dict literal padded with
 * spaces and ended by a newline so that the data starts at a multiple of 64 bytes, then the values. */
static int write_npy(const char *path, const real *values, const int *shape, int dims, char *err) {
    char dict[256], dims_text[96] = "";
    size_t count = 1;
    for (int d = 0; d < dims; d++) {
        count *= (size_t)shape[d];
        snprintf(dims_text + strlen(dims_text), sizeof dims_text - strlen(dims_text), "%d,%s", shape[d],
                 d + 1 < dims ? " " : "");
    }
    if (dims > 1) dims_text[strlen(dims_text) - 1] = '\0'; /* (C, H, W) but (n,) for one dimension */
    int len = snprintf(dict, sizeof dict, "{'descr': '<f4', 'fortran_order': False, 'shape': (%s), }", dims_text);
    const int total = (10 + len + 1 + 63) / 64 * 64;
    while (10 + len + 1 < total) dict[len++] = ' ';
    dict[len++] = '\n';
    FILE *f = fopen(path, "wb");
    if (!f) return err_set(err, "%s: cannot write", path);
    const unsigned char head[10] = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0, (unsigned char)(len & 255),
                                    (unsigned char)(len >> 8)};
    int ok = fwrite(head, 1, sizeof head, f) == sizeof head && fwrite(dict, 1, (size_t)len, f) == (size_t)len;
    for (size_t j = 0; ok && j < count; j++) {
        const float v = (float)values[j]; /* little-endian float32, as this machine stores it */
        ok = fwrite(&v, sizeof v, 1, f) == 1;
    }
    if (fclose(f) != 0) ok = 0;
    if (!ok) {
        unlink(path);
        return err_set(err, "%s: write error", path);
    }
    return 0;
}

static void list_layers(const Model *m, const char *layer) {
    fprintf(stderr, "cohort features: --layer: no layer '%s' in %s; its layers:", layer, m->name);
    char name[64];
    for (int i = 0; i < m->layer_count; i++) {
        if (m->layers[i].aux_only) continue;
        model_layer_name(m, i, name, sizeof name);
        fprintf(stderr, " %s", name);
    }
    fputc('\n', stderr);
}

int cli_features(int argc, char **argv) {
    const char *checkpoint = NULL, *layer = NULL, *out = NULL, *npy = NULL, *data_dir = NULL, *image = NULL;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(HELP, stdout);
            return EXIT_OK;
        }
        if (strncmp(argv[i], "--", 2) != 0) {
            if (image) {
                fprintf(stderr, "cohort features: one image at a time ('%s' and '%s')\n", image, argv[i]);
                return EXIT_BAD_INPUT;
            }
            image = argv[i];
            continue;
        }
        if (i + 1 >= argc) {
            fprintf(stderr, "cohort features: %s needs a value\n", argv[i]);
            return EXIT_BAD_INPUT;
        }
        const char *key = argv[i], *value = argv[++i];
        if (!strcmp(key, "--checkpoint")) checkpoint = value;
        else if (!strcmp(key, "--layer")) layer = value;
        else if (!strcmp(key, "--out")) out = value;
        else if (!strcmp(key, "--npy")) npy = value;
        else if (!strcmp(key, "--data-dir")) data_dir = value;
        else {
            fprintf(stderr, "cohort features: unknown option %s\n\n%s", key, HELP);
            return EXIT_BAD_INPUT;
        }
    }
    if (!checkpoint || !layer || !out || !image) {
        fprintf(stderr, "cohort features: --checkpoint, --layer, --out and an image are required\n\n%s", HELP);
        return EXIT_BAD_INPUT;
    }
    engine_set_threads(0);
    char err[ERR_LEN];
    Inference inf;
    if (inference_open(&inf, checkpoint, data_dir, 1, err)) {
        fprintf(stderr, "cohort features: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    int rc = EXIT_BAD_INPUT;
    const int index = model_find_layer(inf.model, layer);
    real *x = malloc(sizeof *x * (size_t)inf.info.channels * inf.info.height * inf.info.width);
    if (!x) {
        fprintf(stderr, "cohort features: out of memory\n");
        rc = EXIT_RUNTIME;
    } else if (index < 0 || inf.model->layers[index].aux_only) {
        list_layers(inf.model, layer);
    } else if (inference_image(&inf, image, x, 0, 1, err)) {
        fprintf(stderr, "cohort features: %s\n", err);
    } else {
        const real *values = model_forward_to(inf.model, x, 1, index);
        const TensorSlot *s = &inf.model->slots[model_layer_result_slot(inf.model, index)];
        /* spatial [C][1][H][W]: C maps of H x W; flat [1][H][C]: one map of H tokens x C features */
        const int maps = s->flat ? 1 : s->C, h = s->flat ? s->H : s->H, w = s->flat ? s->C : s->W;
        int shape[3] = {s->C, s->H, s->W}, dims = 3;
        if (s->flat) {
            shape[0] = s->H, shape[1] = s->C, dims = s->H > 1 ? 2 : 1;
            if (dims == 1) shape[0] = s->C;
        }
        if (write_grid(out, values, maps, h, w, err)) {
            fprintf(stderr, "cohort features: %s\n", err);
            rc = EXIT_RUNTIME;
        } else if (npy && write_npy(npy, values, shape, dims, err)) {
            unlink(out); /* nothing half-written */
            fprintf(stderr, "cohort features: %s\n", err);
            rc = EXIT_RUNTIME;
        } else {
            printf("%s: %s of %s, %d map%s of %dx%d -> %s%s%s\n", image, layer, inf.model->name, maps,
                   maps == 1 ? "" : "s", h, w, out, npy ? ", " : "", npy ? npy : "");
            rc = EXIT_OK;
        }
    }
    free(x);
    inference_close(&inf);
    return rc;
}
