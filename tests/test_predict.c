/* `cohort predict` and `cohort features` end to end, on a LeNet trained here on the real Fashion-MNIST
 * (/usr/share/datasets/fashion-mnist, Debian's dataset-fashion-mnist; its absence fails the test):
 *   - 200 test images exported as PNG are classified through `cohort predict` with >= 85 % top-1, and each
 *     file's top-5 classes and probabilities equal those of the same image read from the dataset (--split);
 *   - a JPEG of an image is converted as its PNG is (within JPEG loss: the same top class);
 *   - `cohort features` writes conv1's maps: the .npy holds exactly the convolution computed here from the
 *     checkpoint's weights, relu1 is its positive part, and the grid PNG shows each map min-max scaled;
 *   - bad input (unknown layer, truncated image, corrupt checkpoint): exit 2, named, nothing written.
 * usage: test_predict PATH/TO/cohort */
#include <cjson/cJSON.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "checkpoint.h"
#include "config.h"
#include "data.h"
#include "dataset_writer.h"
#include "image.h"
#include "model.h"

#define N_IMAGES 200

static const char *cohort;
static char dir[1024];

/* Runs a shell command; its exit status. */
static int run(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static int run(const char *fmt, ...) {
    char cmd[16384];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(cmd, sizeof cmd, fmt, ap);
    va_end(ap);
    int status = system(cmd);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static char *slurp(const char *path) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    char *text = calloc((size_t)n + 1, 1);
    if (text && fread(text, 1, (size_t)n, f) != (size_t)n) text[0] = '\0';
    fclose(f);
    return text;
}

static cJSON *read_json(const char *path) {
    char *text = slurp(path);
    cJSON *j = text ? cJSON_Parse(text) : NULL;
    free(text);
    return j;
}

static int file_exists(const char *path) { return access(path, F_OK) == 0; }

/* The .npy written by features: header checked, values returned (malloc'd), shape into shape[3]. */
static float *read_npy(const char *path, int *shape, int *dims) {
    char *raw = slurp(path);
    if (!raw || memcmp(raw, "\x93NUMPY\x01\x00", 8) != 0) {
        free(raw);
        return NULL;
    }
    const int len = (unsigned char)raw[8] | (unsigned char)raw[9] << 8;
    CHECK((10 + len) % 64 == 0 && raw[10 + len - 1] == '\n');
    CHECK(strstr(raw + 10, "'descr': '<f4'") && strstr(raw + 10, "'fortran_order': False"));
    *dims = sscanf(strstr(raw + 10, "'shape': (") + 10, "%d, %d, %d", &shape[0], &shape[1], &shape[2]);
    size_t count = 1;
    for (int d = 0; d < *dims; d++) count *= (size_t)shape[d];
    float *v = malloc(count * sizeof *v);
    memcpy(v, raw + 10 + len, count * sizeof *v);
    free(raw);
    return v;
}

int main(int argc, char **argv) {
    if (argc != 2) {
        fprintf(stderr, "usage: test_predict PATH/TO/cohort\n");
        return 2;
    }
    cohort = argv[1];
    char err[ERR_LEN] = "", ckpt[4096], path[8192];
    if (dw_make_temp_dir(dir, sizeof dir, "predict", err)) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    /* a LeNet on all 60000 training images, 2 epochs: about 88 % test top-1 (one thread: on a loaded machine
     * two spinning OpenMP threads are much slower than one) */
    snprintf(ckpt, sizeof ckpt, "%s/lenet.ckpt", dir);
    CHECK(run("'%s' train --model lenet --epochs 2 --seed 1 --threads 1 --checkpoint '%s' > '%s/train.log' 2>&1", cohort, ckpt,
              dir) == 0);

    /* the first 200 test images as 28x28 gray PNGs (the unpadded IDX pixels) */
    TrainConfig cfg;
    train_config_defaults(&cfg);
    cfg.test_limit = N_IMAGES;
    DataSplits data;
    int rc = data_load(&data, &cfg, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc) return check_report("test_predict");
    const Dataset *test = &data.test;
    char *list = calloc(N_IMAGES, 4200);
    uint8_t inner[28 * 28];
    for (int i = 0; i < N_IMAGES; i++) {
        for (int y = 0; y < 28; y++) memcpy(inner + y * 28, test->pixels + (size_t)i * 1024 + (y + 2) * 32 + 2, 28);
        snprintf(path, sizeof path, "%s/test%03d.png", dir, i);
        CHECK(dw_write_png(path, inner, 28, 28, 1, err) == 0);
        strcat(list, " '");
        strcat(list, path);
        strcat(list, "'");
        if (i == 0) {
            uint8_t rgb[3 * 28 * 28];
            for (int c = 0; c < 3; c++) memcpy(rgb + c * 784, inner, 784);
            snprintf(path, sizeof path, "%s/test000.jpg", dir);
            CHECK(dw_write_jpeg(path, rgb, 28, 28, 3, 98, err) == 0);
        }
    }

    /* predict on the files; then on the split itself */
    CHECK(run("'%s' predict --checkpoint '%s' --json %s > '%s/files.json'", cohort, ckpt, list, dir) == 0);
    CHECK(run("'%s' predict --checkpoint '%s' --json --split test --limit %d > '%s/split.json'", cohort, ckpt,
              N_IMAGES, dir) == 0);
    snprintf(path, sizeof path, "%s/files.json", dir);
    cJSON *files = read_json(path);
    snprintf(path, sizeof path, "%s/split.json", dir);
    cJSON *split = read_json(path);
    CHECK(cJSON_GetArraySize(files) == N_IMAGES && cJSON_GetArraySize(split) == N_IMAGES);
    static const char *const names[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                          "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};
    int correct = 0, equal = 1, well_formed = 1;
    for (int i = 0; i < cJSON_GetArraySize(files) && i < cJSON_GetArraySize(split); i++) {
        cJSON *f = cJSON_GetArrayItem(files, i), *s = cJSON_GetArrayItem(split, i);
        cJSON *ft = cJSON_GetObjectItem(f, "top"), *st = cJSON_GetObjectItem(s, "top");
        well_formed &= cJSON_GetArraySize(ft) == 5 && cJSON_GetObjectItem(s, "label")->valueint == test->labels[i];
        double previous = 1, sum = 0;
        for (int t = 0; t < 5; t++) {
            cJSON *a = cJSON_GetArrayItem(ft, t), *b = cJSON_GetArrayItem(st, t);
            const int k = cJSON_GetObjectItem(a, "class")->valueint;
            const double p = cJSON_GetObjectItem(a, "probability")->valuedouble;
            well_formed &= k >= 0 && k < 10 && !strcmp(cJSON_GetObjectItem(a, "name")->valuestring, names[k]) &&
                           p <= previous;
            previous = p;
            sum += p;
            equal &= k == cJSON_GetObjectItem(b, "class")->valueint &&
                     p == cJSON_GetObjectItem(b, "probability")->valuedouble;
            if (t == 0) correct += k == test->labels[i];
        }
        well_formed &= sum <= 1 + 1e-9 && sum > 0.5;
    }
    CHECK(well_formed);
    CHECK_MSG(equal, "a PNG's prediction differs from the same image read from the dataset");
    CHECK_MSG(correct >= 170, "%d of %d PNGs classified correctly (need 85 %%)", correct, N_IMAGES);
    printf("cohort predict: %d of %d Fashion-MNIST test PNGs correct\n", correct, N_IMAGES);

    /* the JPEG (RGB, lossy) of image 0: converted to gray as the PNG; the same top class */
    CHECK(run("'%s' predict --checkpoint '%s' --json '%s/test000.jpg' > '%s/jpeg.json'", cohort, ckpt, dir, dir) == 0);
    snprintf(path, sizeof path, "%s/jpeg.json", dir);
    cJSON *jpeg = read_json(path);
    cJSON *jtop = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(jpeg, 0), "top"), 0);
    cJSON *ptop = cJSON_GetArrayItem(cJSON_GetObjectItem(cJSON_GetArrayItem(files, 0), "top"), 0);
    CHECK(jtop && ptop && cJSON_GetObjectItem(jtop, "class")->valueint == cJSON_GetObjectItem(ptop, "class")->valueint);
    cJSON_Delete(jpeg);
    cJSON_Delete(files);
    cJSON_Delete(split);

    /* features of conv1 and relu1 on image 0 */
    CHECK(run("'%s' features --checkpoint '%s' --layer conv1 '%s/test000.png' --out '%s/conv1.png' --npy "
              "'%s/conv1.npy' > /dev/null", cohort, ckpt, dir, dir, dir) == 0);
    CHECK(run("'%s' features --checkpoint '%s' --layer relu1 '%s/test000.png' --out '%s/relu1.png' --npy "
              "'%s/relu1.npy' > /dev/null", cohort, ckpt, dir, dir, dir) == 0);
    int shape[3] = {0, 0, 0}, dims = 0, rshape[3], rdims;
    snprintf(path, sizeof path, "%s/conv1.npy", dir);
    float *conv = read_npy(path, shape, &dims);
    snprintf(path, sizeof path, "%s/relu1.npy", dir);
    float *relu = read_npy(path, rshape, &rdims);
    CHECK(conv && relu && dims == 3 && shape[0] == 6 && shape[1] == 28 && shape[2] == 28 && rdims == 3);
    TrainConfig stored;
    Model *m = NULL;
    CHECK_MSG(checkpoint_read_config(ckpt, &stored, err) == 0, "%s", err);
    CHECK(model_create(&m, stored.model, &stored, 1, 32, 32, 10, 1, 0, err) == 0);
    CHECK_MSG(m && checkpoint_load_weights(ckpt, m, err) == 0, "%s", err);
    if (conv && relu && m && dims == 3) {
        /* conv1: 6 filters 5x5 over the normalised, padded 32x32 image 0; weight [6][1][5][5], then bias */
        const Layer *l = &m->layers[0];
        const real *w = m->params + l->weight, *bias = m->params + l->bias;
        double worst = 0, worst_relu = 0;
        for (int o = 0; o < 6; o++)
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++) {
                    double acc = bias[o];
                    for (int ky = 0; ky < 5; ky++)
                        for (int kx = 0; kx < 5; kx++) {
                            const double pixel = test->pixels[(y + ky) * 32 + x + kx];
                            acc += w[(o * 5 + ky) * 5 + kx] * ((pixel / 255.0 - test->mean[0]) / test->std[0]);
                        }
                    const size_t at = ((size_t)o * 28 + y) * 28 + x;
                    worst = fmax(worst, fabs(acc - conv[at]));
                    worst_relu = fmax(worst_relu, fabs(fmax(0.0f, conv[at]) - relu[at]));
                }
        CHECK_MSG(worst < 1e-4, "conv1 differs from the convolution by %g", worst);
        CHECK(worst_relu == 0);
        /* the grid: 6 maps in 3 columns, 2 rows, each 28x28 doubled to 56, a 14-pixel label strip, 4-pixel gaps */
        Image grid;
        snprintf(path, sizeof path, "%s/conv1.png", dir);
        CHECK(image_read(&grid, path, 1, 0, err) == 0);
        CHECK_MSG(grid.width == 4 + 3 * 60 && grid.height == 4 + 2 * (14 + 56 + 4), "grid %dx%d", grid.width,
                  grid.height);
        int scaled = grid.width == 184;
        for (int k = 0; k < 6 && scaled; k++) {
            const float *map = conv + (size_t)k * 784;
            float lo = map[0], hi = map[0];
            for (int j = 1; j < 784; j++) lo = fminf(lo, map[j]), hi = fmaxf(hi, map[j]);
            const int x0 = 4 + (k % 3) * 60, y0 = 4 + (k / 3) * 74 + 14;
            for (int y = 0; y < 28; y++)
                for (int x = 0; x < 28; x++) {
                    const int want = (int)lround(255.0 * (map[y * 28 + x] - lo) / (hi - lo));
                    scaled &= abs(grid.pixels[(size_t)(y0 + 2 * y + 1) * grid.width + x0 + 2 * x + 1] - want) <= 1;
                }
        }
        CHECK_MSG(scaled, "the grid's cells are not the min-max scaled maps");
        image_free(&grid);
    }
    model_free(m);
    free(conv);
    free(relu);

    /* bad input: exit 2, the problem named, nothing written */
    CHECK(run("'%s' features --checkpoint '%s' --layer conv9 '%s/test000.png' --out '%s/x.png' 2> '%s/err.txt'",
              cohort, ckpt, dir, dir, dir) == 2);
    snprintf(path, sizeof path, "%s/err.txt", dir);
    char *text = slurp(path);
    CHECK_MSG(text && strstr(text, "conv9") && strstr(text, "conv1 relu1 maxpool1 conv2") && strstr(text, "linear3"),
              "%s", text ? text : "");
    free(text);
    snprintf(path, sizeof path, "%s/x.png", dir);
    CHECK(!file_exists(path));
    snprintf(path, sizeof path, "%s/cut.png", dir);
    char *png = NULL;
    {
        char src[8192];
        snprintf(src, sizeof src, "%s/test001.png", dir);
        png = slurp(src);
        FILE *f = fopen(src, "rb");
        fseek(f, 0, SEEK_END);
        long n = ftell(f);
        fclose(f);
        CHECK(dw_write_bytes(path, png, (size_t)n / 2, 0, err) == 0);
        free(png);
    }
    CHECK(run("'%s' predict --checkpoint '%s' '%s/test000.png' '%s' > '%s/out.txt' 2> '%s/err.txt'", cohort, ckpt,
              dir, path, dir, dir) == 2);
    char out_path[8192];
    snprintf(out_path, sizeof out_path, "%s/out.txt", dir);
    text = slurp(out_path);
    CHECK_MSG(text && !text[0], "predict printed despite a bad image: %s", text ? text : "");
    free(text);
    snprintf(out_path, sizeof out_path, "%s/err.txt", dir);
    text = slurp(out_path);
    CHECK_MSG(text && strstr(text, path) && strstr(text, "PNG"), "%s", text ? text : "");
    free(text);
    /* a checkpoint with one byte changed */
    char *bytes = NULL;
    FILE *f = fopen(ckpt, "rb");
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    rewind(f);
    bytes = malloc((size_t)n);
    CHECK(fread(bytes, 1, (size_t)n, f) == (size_t)n);
    fclose(f);
    bytes[n / 2] ^= 1;
    snprintf(path, sizeof path, "%s/bad.ckpt", dir);
    CHECK(dw_write_bytes(path, bytes, (size_t)n, 0, err) == 0);
    free(bytes);
    CHECK(run("'%s' predict --checkpoint '%s' '%s/test000.png' > /dev/null 2> '%s/err.txt'", cohort, path, dir, dir) ==
          2);
    text = slurp(out_path);
    CHECK_MSG(text && strstr(text, "bad.ckpt") && strstr(text, "checksum mismatch"), "%s", text ? text : "");
    free(text);

    free(list);
    data_free(&data);
    if (!check_failures) dw_remove_dir(dir);
    else fprintf(stderr, "test_predict: files kept in %s\n", dir);
    return check_report("test_predict");
}
