/* Dataset loaders (IDX, CIFAR-10/100, synthetic), data_load's splits and limits, and data_fill_batch's
 * layout, normalisation and augmentation, on small hand-made files with known contents; plus the real
 * Fashion-MNIST installed at /usr/share/datasets/fashion-mnist (required: missing data fails the test). */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "config.h"
#include "data.h"
#include "dataset_writer.h"
#include "memory_cap.h"

#define FASHION_DIR "/usr/share/datasets/fashion-mnist"

static char *path_in(char *buf, const char *dir, const char *name) { return dw_path(buf, 1024, dir, name); }

static void make_subdir(char *out, const char *name) {
    char err[ERR_LEN];
    if (dw_make_temp_dir(out, 1024, name, err)) {
        fprintf(stderr, "%s\n", err);
        exit(1);
    }
}

/* Pixel of IDX test image i at (y, x): never 0, so padding is distinguishable. */
static uint8_t idx_pixel(int i, int y, int x) { return (uint8_t)(1 + (i * 31 + y * 7 + x * 3) % 255); }

static void fill_idx_images(uint8_t *pixels, int count, int rows, int cols) {
    for (int i = 0; i < count; i++)
        for (int y = 0; y < rows; y++)
            for (int x = 0; x < cols; x++) pixels[((size_t)i * rows + y) * cols + x] = idx_pixel(i, y, x);
}

static void test_idx_load(void) {
    char dir[1024], img[1024], lab[1024], gimg[1024], glab[1024], err[ERR_LEN] = "";
    make_subdir(dir, "idx");
    enum { N = 3, R = 28, C = 28 };
    static uint8_t pixels[N * R * C];
    const uint8_t labels[N] = {9, 0, 4};
    fill_idx_images(pixels, N, R, C);
    CHECK(dw_write_idx_images(path_in(img, dir, "images"), pixels, N, R, C, 0, err) == 0);
    CHECK(dw_write_idx_labels(path_in(lab, dir, "labels"), labels, N, 0, err) == 0);
    CHECK(dw_write_idx_images(path_in(gimg, dir, "images.gz"), pixels, N, R, C, 1, err) == 0);
    CHECK(dw_write_idx_labels(path_in(glab, dir, "labels.gz"), labels, N, 1, err) == 0);

    /* unpadded: exactly the file's bytes */
    Dataset d;
    int rc = idx_load(&d, img, lab, 0, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(d.count == N && d.channels == 1 && d.height == R && d.width == C && d.classes == 10);
        CHECK(memcmp(d.pixels, pixels, sizeof pixels) == 0);
        CHECK(d.labels[0] == 9 && d.labels[1] == 0 && d.labels[2] == 4);
        CHECK(d.label_names == NULL);
        /* mean/std: the file's own statistics of pixel/255 */
        double sum = 0, sq = 0;
        for (size_t j = 0; j < sizeof pixels; j++) {
            sum += pixels[j] / 255.0;
            sq += (pixels[j] / 255.0) * (pixels[j] / 255.0);
        }
        double mean = sum / sizeof pixels, std = sqrt(sq / sizeof pixels - mean * mean);
        CHECK_CLOSE(d.mean[0], mean, 1e-5);
        CHECK_CLOSE(d.std[0], std, 1e-5);
        dataset_free(&d);
        CHECK(d.pixels == NULL && d.count == 0);
    }

    /* padded 28 -> 32: 2 zero rows/columns on each side, the image at (2, 2) */
    Dataset p;
    rc = idx_load(&p, img, lab, 32, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(p.count == N && p.height == 32 && p.width == 32);
        int wrong = 0;
        for (int i = 0; i < N; i++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++) {
                    int sy = y - 2, sx = x - 2;
                    uint8_t want = (sy >= 0 && sy < R && sx >= 0 && sx < C) ? idx_pixel(i, sy, sx) : 0;
                    wrong += p.pixels[((size_t)i * 32 + y) * 32 + x] != want;
                }
        CHECK_MSG(wrong == 0, "%d padded pixels wrong", wrong);
        CHECK(p.pixels[2 * 32 + 2] == idx_pixel(0, 0, 0));
        CHECK(p.pixels[29 * 32 + 29] == idx_pixel(0, 27, 27));
        CHECK(p.pixels[1 * 32 + 2] == 0 && p.pixels[30 * 32 + 29] == 0);

        /* gzipped files give the same dataset */
        Dataset g;
        rc = idx_load(&g, gimg, glab, 32, err);
        CHECK_MSG(rc == 0, "%s", err);
        if (rc == 0) {
            CHECK(g.count == N && g.height == 32 && g.width == 32);
            CHECK(memcmp(g.pixels, p.pixels, (size_t)N * 32 * 32) == 0);
            CHECK(memcmp(g.labels, p.labels, N * sizeof *g.labels) == 0);
            dataset_free(&g);
        }
        dataset_free(&p);
    }

    /* odd margins: 3x5 padded to 8 puts the image at row 2, column 1 */
    uint8_t small[2 * 3 * 5];
    fill_idx_images(small, 2, 3, 5);
    char simg[1024], slab[1024];
    CHECK(dw_write_idx_images(path_in(simg, dir, "small-images"), small, 2, 3, 5, 0, err) == 0);
    CHECK(dw_write_idx_labels(path_in(slab, dir, "small-labels"), labels, 2, 0, err) == 0);
    rc = idx_load(&p, simg, slab, 8, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(p.height == 8 && p.width == 8);
        CHECK(p.pixels[64 + 2 * 8 + 1] == idx_pixel(1, 0, 0));
        CHECK(p.pixels[64 + 4 * 8 + 5] == idx_pixel(1, 2, 4));
        CHECK(p.pixels[64 + 4 * 8 + 6] == 0 && p.pixels[64 + 1 * 8 + 1] == 0 && p.pixels[64 + 5 * 8 + 1] == 0);
        dataset_free(&p);
    }
    dw_remove_dir(dir);
}

typedef struct {
    const char *images, *labels;
} IdxPair;

/* A 16-byte images file whose header promises 5000 images of 4096x4096 (80 GB): refused as truncated,
 * without allocating for images the file does not hold (run with a memory cap). */
static int huge_header_says_truncated(void *arg) {
    const IdxPair *p = arg;
    Dataset d;
    char err[ERR_LEN] = "";
    if (idx_load(&d, p->images, p->labels, 0, err) != 0 && strstr(err, p->images) &&
        strstr(err, "truncated: expected 83886080016 bytes, got 16"))
        return 0;
    fprintf(stderr, "5000 images of 4096x4096 in a 16-byte file: %s\n", err);
    return 1;
}

static void test_idx_errors(void) {
    char dir[1024], img[1024], lab[1024], bad[1024], err[ERR_LEN];
    make_subdir(dir, "idx-errors");
    enum { N = 3, R = 28, C = 28 };
    static uint8_t pixels[N * R * C];
    const uint8_t labels[N] = {1, 2, 3};
    fill_idx_images(pixels, N, R, C);
    CHECK(dw_write_idx_images(path_in(img, dir, "images"), pixels, N, R, C, 0, err) == 0);
    CHECK(dw_write_idx_labels(path_in(lab, dir, "labels"), labels, N, 0, err) == 0);
    Dataset d;

    /* truncated: a 1000-byte file whose header promises 16 + 3*784 = 2368 bytes, plain and gzipped */
    static uint8_t file[2368];
    const uint8_t header[16] = {0, 0, 8, 3, 0, 0, 0, N, 0, 0, 0, R, 0, 0, 0, C};
    memcpy(file, header, 16);
    memcpy(file + 16, pixels, sizeof file - 16);
    CHECK(dw_write_bytes(path_in(bad, dir, "truncated"), file, 1000, 0, err) == 0);
    CHECK_ERR(idx_load(&d, bad, lab, 32, err), err, bad, "truncated: expected 2368 bytes, got 1000");
    CHECK(d.pixels == NULL && d.count == 0);
    CHECK(dw_write_bytes(path_in(bad, dir, "truncated.gz"), file, 1000, 1, err) == 0);
    CHECK_ERR(idx_load(&d, bad, lab, 32, err), err, bad, "truncated: expected 2368 bytes, got 1000");
    CHECK(dw_write_bytes(path_in(bad, dir, "header-only"), file, 10, 0, err) == 0);
    CHECK_ERR(idx_load(&d, bad, lab, 32, err), err, bad, "truncated");
    /* a longer file than its header says */
    static uint8_t longer[2369];
    memcpy(longer, file, 16);
    memcpy(longer + 16, pixels, sizeof pixels);
    CHECK(dw_write_bytes(path_in(bad, dir, "longer"), longer, sizeof longer, 0, err) == 0);
    CHECK_ERR(idx_load(&d, bad, lab, 32, err), err, bad, "expected 2368 bytes");

    /* a huge header and no pixels: the first buffer is sized by bytes, not by the header's count */
    const uint8_t huge[16] = {0, 0, 8, 3, 0, 0, 0x13, 0x88, 0, 0, 0x10, 0, 0, 0, 0x10, 0}; /* 5000 of 4096x4096 */
    const uint8_t huge_labels[8] = {0, 0, 8, 1, 0, 0, 0x13, 0x88};
    char huge_lab[1024];
    CHECK(dw_write_bytes(path_in(bad, dir, "huge-header"), huge, sizeof huge, 0, err) == 0);
    CHECK(dw_write_bytes(path_in(huge_lab, dir, "huge-header-labels"), huge_labels, sizeof huge_labels, 0, err) == 0);
    IdxPair pair = {bad, huge_lab};
    CHECK_MSG(run_with_memory_cap((unsigned long long)256 << 20, huge_header_says_truncated, &pair) == 0,
              "a huge IDX header over a 16-byte file was not refused as truncated within 256 MiB");

    /* missing files */
    CHECK_ERR(idx_load(&d, img, path_in(bad, dir, "no-such-labels"), 32, err), err, bad, "missing file");
    CHECK_ERR(idx_load(&d, path_in(bad, dir, "no-such-images.gz"), lab, 32, err), err, bad, "missing file");

    /* bad magic: the labels file given as images, and vice versa */
    CHECK_ERR(idx_load(&d, lab, lab, 32, err), err, lab, "bad magic 0x00000801");
    CHECK_ERR(idx_load(&d, img, img, 32, err), err, img, "bad magic 0x00000803");

    /* count mismatch */
    CHECK(dw_write_idx_labels(path_in(bad, dir, "two-labels"), labels, 2, 0, err) == 0);
    CHECK_ERR(idx_load(&d, img, bad, 32, err), err, bad, "3 images but 2 labels");
    CHECK_MSG(strstr(err, img) != NULL, "err does not name the images file: %s", err);

    /* a label outside 0..9 */
    const uint8_t bad_labels[N] = {1, 10, 3};
    CHECK(dw_write_idx_labels(path_in(bad, dir, "label-10"), bad_labels, N, 1, err) == 0);
    CHECK_ERR(idx_load(&d, img, bad, 32, err), err, bad, "record 1: label 10");
    CHECK(d.pixels == NULL && d.labels == NULL);
    dw_remove_dir(dir);
}

/* data_load on MNIST-style directories written by the helper. */
static void test_idx_data_load(void) {
    char dir[1024], empty[1024], err[ERR_LEN];
    make_subdir(dir, "mnist");
    make_subdir(empty, "mnist-empty");
    enum { NTR = 5, NTE = 2 };
    static uint8_t tr[NTR * 784], te[NTE * 784];
    fill_idx_images(tr, NTR, 28, 28);
    fill_idx_images(te, NTE, 28, 28);
    const uint8_t ltr[NTR] = {5, 0, 4, 1, 9}, lte[NTE] = {7, 2};
    CHECK(dw_write_idx_split(dir, "train", tr, ltr, NTR, 28, 28, 1, err) == 0); /* gzipped */
    CHECK(dw_write_idx_split(dir, "t10k", te, lte, NTE, 28, 28, 0, err) == 0);  /* plain */

    TrainConfig cfg;
    train_config_defaults(&cfg);
    strcpy(cfg.dataset, "mnist");
    strcpy(cfg.data_dir, dir);
    DataSplits s;
    int rc = data_load(&s, &cfg, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(s.train.count == NTR && s.test.count == NTE && s.val.count == 0);
        CHECK(s.train.height == 32 && s.train.width == 32 && s.test.height == 32);
        CHECK(s.train.pixels[2 * 32 + 2] == idx_pixel(0, 0, 0) && s.train.pixels[0] == 0);
        CHECK(s.train.labels[4] == 9 && s.test.labels[0] == 7 && s.test.labels[1] == 2);
        CHECK(!strcmp(s.train.name, "mnist"));
        CHECK_CLOSE(s.train.mean[0], 0.1307, 1e-6);
        CHECK_CLOSE(s.train.std[0], 0.3081, 1e-6);
        CHECK_CLOSE(s.test.mean[0], 0.1307, 1e-6);
        CHECK(s.train.label_names && !strcmp(s.train.label_names[0], "0") && !strcmp(s.train.label_names[9], "9"));
        CHECK(s.test.label_names && !strcmp(s.test.label_names[7], "7"));
        data_free(&s);
    }
    cfg.pad = 0;
    strcpy(cfg.dataset, "fashion-mnist");
    rc = data_load(&s, &cfg, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(s.train.height == 28 && s.train.width == 28);
        CHECK(memcmp(s.train.pixels, tr, sizeof tr) == 0);
        CHECK_CLOSE(s.train.mean[0], 0.2860, 1e-6);
        CHECK_CLOSE(s.train.std[0], 0.3530, 1e-6);
        CHECK(s.train.label_names && !strcmp(s.train.label_names[0], "T-shirt/top") &&
              !strcmp(s.train.label_names[9], "Ankle boot"));
        data_free(&s);
    }

    /* an empty directory: the first file it looks for is named */
    char want[1024];
    strcpy(cfg.data_dir, empty);
    CHECK_ERR(data_load(&s, &cfg, err), err, path_in(want, empty, "train-images-idx3-ubyte"), "missing file");
    CHECK(s.train.pixels == NULL && s.test.pixels == NULL);
    /* mnist has no default directory */
    strcpy(cfg.dataset, "mnist");
    cfg.data_dir[0] = '\0';
    CHECK_ERR(data_load(&s, &cfg, err), err, "mnist", "data_dir");
    CHECK(!strcmp(data_default_dir("mnist"), ""));
    CHECK(!strcmp(data_default_dir("cifar10"), ""));
    CHECK(!strcmp(data_default_dir("fashion-mnist"), FASHION_DIR));
    dw_remove_dir(dir);
    dw_remove_dir(empty);
}

/* CIFAR test pixel of image i, channel c, (y, x): each plane distinct, so a plane-order mistake shows. */
static uint8_t cifar_pixel(int i, int c, int y, int x) { return (uint8_t)(i * 17 + c * 85 + y * 3 + x); }

static void fill_cifar(uint8_t *pixels, int first, int count) {
    for (int i = 0; i < count; i++)
        for (int c = 0; c < 3; c++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                    pixels[(size_t)i * 3072 + c * 1024 + y * 32 + x] = cifar_pixel(first + i, c, y, x);
}

static const char *const CIFAR10_NAMES[10] = {"airplane", "automobile", "bird",  "cat",  "deer",
                                              "dog",      "frog",       "horse", "ship", "truck"};

static void test_cifar10(void) {
    char dir[1024], a[1024], b[1024], names[1024], bad[1024], err[ERR_LEN];
    make_subdir(dir, "cifar10");
    static uint8_t pix[5 * 3072];
    fill_cifar(pix, 0, 5);
    const uint8_t labels[5] = {3, 1, 4, 1, 5};
    CHECK(dw_write_cifar10(path_in(a, dir, "data_batch_1.bin"), pix, labels, 3, err) == 0);
    CHECK(dw_write_cifar10(path_in(b, dir, "data_batch_2.bin"), pix + 3 * 3072, labels + 3, 2, err) == 0);

    /* no names file yet: label_names NULL */
    const char *files[] = {a, b, NULL};
    Dataset d;
    int rc = cifar10_load(&d, files, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(d.label_names == NULL);
        dataset_free(&d);
    }

    CHECK(dw_write_label_names(path_in(names, dir, "batches.meta.txt"), CIFAR10_NAMES, 10, err) == 0);
    rc = cifar10_load(&d, files, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(d.count == 5 && d.channels == 3 && d.height == 32 && d.width == 32 && d.classes == 10);
        CHECK(memcmp(d.pixels, pix, sizeof pix) == 0);
        CHECK(memcmp(d.labels, (int32_t[]){3, 1, 4, 1, 5}, 5 * sizeof(int32_t)) == 0);
        /* red, green, blue planes in order */
        CHECK(d.pixels[4 * 3072 + 0 * 1024 + 5 * 32 + 7] == cifar_pixel(4, 0, 5, 7));
        CHECK(d.pixels[4 * 3072 + 2 * 1024 + 31 * 32 + 31] == cifar_pixel(4, 2, 31, 31));
        CHECK(d.label_names && !strcmp(d.label_names[0], "airplane") && !strcmp(d.label_names[9], "truck"));
        CHECK_CLOSE(d.mean[0], 0.4914, 1e-6);
        CHECK_CLOSE(d.mean[2], 0.4465, 1e-6);
        CHECK_CLOSE(d.std[1], 0.2435, 1e-6);
        dataset_free(&d);
    }
    /* reversed order concatenates reversed */
    const char *reversed[] = {b, a, NULL};
    rc = cifar10_load(&d, reversed, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(d.count == 5 && d.labels[0] == 1 && d.labels[1] == 5 && d.labels[2] == 3);
        CHECK(memcmp(d.pixels, pix + 3 * 3072, 2 * 3072) == 0);
        dataset_free(&d);
    }

    /* a names file with the wrong number of names */
    CHECK(dw_write_label_names(names, CIFAR10_NAMES, 9, err) == 0);
    CHECK_ERR(cifar10_load(&d, files, err), err, names, "9 label names, expected 10");
    CHECK(d.pixels == NULL);
    /* a NUL byte in a name (line 3 starts with one): refused, not read as an empty or cut name */
    static const char nul_names[] = "airplane\nautomobile\n\0bird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n";
    CHECK(dw_write_bytes(names, (const uint8_t *)nul_names, sizeof nul_names - 1, 0, err) == 0);
    CHECK_ERR(cifar10_load(&d, files, err), err, names, "line 3: a NUL byte in a label name");
    CHECK(d.pixels == NULL);
    CHECK(dw_write_label_names(names, CIFAR10_NAMES, 10, err) == 0);

    /* wrong sizes */
    static uint8_t raw[2 * 3073 + 5];
    memset(raw, 1, sizeof raw);
    CHECK(dw_write_bytes(path_in(bad, dir, "odd.bin"), raw, sizeof raw, 0, err) == 0);
    const char *odd[] = {a, bad, NULL};
    CHECK_ERR(cifar10_load(&d, odd, err), err, bad, "not a whole number of 3073-byte records");
    CHECK(dw_write_bytes(path_in(bad, dir, "empty.bin"), raw, 0, 0, err) == 0);
    CHECK_ERR(cifar10_load(&d, odd, err), err, bad, "empty");
    CHECK_ERR(cifar10_load(&d, (const char *[]){path_in(bad, dir, "nope.bin"), NULL}, err), err, bad, "missing file");
    /* out-of-range label in record 2 of the second file */
    const uint8_t bad_labels[3] = {0, 9, 10};
    CHECK(dw_write_cifar10(path_in(bad, dir, "label10.bin"), pix, bad_labels, 3, err) == 0);
    const char *with_bad[] = {a, bad, NULL};
    CHECK_ERR(cifar10_load(&d, with_bad, err), err, bad, "record 2: label 10");
    CHECK(d.pixels == NULL && d.count == 0);
    dw_remove_dir(dir);
}

/* data_load("cifar10") on a directory of five small batches, with a validation split. */
static void test_cifar10_data_load(void) {
    char dir[1024], path[1024], err[ERR_LEN];
    make_subdir(dir, "cifar10-dir");
    static uint8_t pix[8 * 3072];
    fill_cifar(pix, 0, 8);
    const uint8_t labels[8] = {0, 1, 2, 3, 4, 5, 6, 7};
    /* batches of 2, 1, 1, 1, 1 training images (6 in all), 2 test images */
    const int first[6] = {0, 2, 3, 4, 5, 6}, count[6] = {2, 1, 1, 1, 1, 2};
    for (int k = 0; k < 6; k++) {
        char name[64];
        if (k < 5) snprintf(name, sizeof name, "data_batch_%d.bin", k + 1);
        else snprintf(name, sizeof name, "test_batch.bin");
        CHECK(dw_write_cifar10(path_in(path, dir, name), pix + (size_t)first[k] * 3072, labels + first[k], count[k],
                               err) == 0);
    }
    CHECK(dw_write_label_names(path_in(path, dir, "batches.meta.txt"), CIFAR10_NAMES, 10, err) == 0);

    TrainConfig cfg;
    train_config_defaults(&cfg);
    strcpy(cfg.dataset, "cifar10");
    strcpy(cfg.data_dir, dir);
    cfg.val_split = 0.25; /* round(1.5) = 2 validation images: the last two, 4 and 5 */
    DataSplits s;
    int rc = data_load(&s, &cfg, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(s.train.count == 4 && s.val.count == 2 && s.test.count == 2);
        CHECK(memcmp(s.train.pixels, pix, 4 * 3072) == 0);
        CHECK(memcmp(s.val.pixels, pix + 4 * 3072, 2 * 3072) == 0);
        CHECK(memcmp(s.test.pixels, pix + 6 * 3072, 2 * 3072) == 0);
        CHECK(s.train.labels[3] == 3 && s.val.labels[0] == 4 && s.val.labels[1] == 5 && s.test.labels[1] == 7);
        CHECK(s.val.channels == 3 && s.val.height == 32 && s.val.classes == 10);
        CHECK_CLOSE(s.val.mean[0], 0.4914, 1e-6);
        CHECK(s.val.label_names && !strcmp(s.val.label_names[3], "cat"));
        CHECK(s.test.label_names && !strcmp(s.test.label_names[1], "automobile"));
        CHECK(!strcmp(s.val.name, "cifar10"));
        data_free(&s);
        CHECK(s.train.pixels == NULL && s.val.pixels == NULL && s.test.pixels == NULL);
    }
    /* CIFAR has no default directory: the error says what to set and what is expected there */
    cfg.data_dir[0] = '\0';
    CHECK_ERR(data_load(&s, &cfg, err), err, "data_dir", "data_batch_1.bin");
    strcpy(cfg.dataset, "cifar100");
    CHECK_ERR(data_load(&s, &cfg, err), err, "data_dir", "train.bin");
    dw_remove_dir(dir);
}

static void test_cifar100(void) {
    char dir[1024], train[1024], path[1024], bad[1024], err[ERR_LEN];
    make_subdir(dir, "cifar100");
    static uint8_t pix[4 * 3072];
    fill_cifar(pix, 10, 4);
    const uint8_t coarse[4] = {0, 19, 5, 7}, fine[4] = {99, 0, 42, 13};
    CHECK(dw_write_cifar100(path_in(train, dir, "train.bin"), pix, coarse, fine, 4, err) == 0);
    CHECK(dw_write_cifar100(path_in(path, dir, "test.bin"), pix + 3072, coarse + 1, fine + 1, 2, err) == 0);
    char fine_names[100][24], coarse_names[20][24];
    const char *fn[100], *cn[20];
    for (int k = 0; k < 100; k++) {
        snprintf(fine_names[k], sizeof fine_names[k], "fine%d", k);
        fn[k] = fine_names[k];
    }
    for (int k = 0; k < 20; k++) {
        snprintf(coarse_names[k], sizeof coarse_names[k], "coarse%d", k);
        cn[k] = coarse_names[k];
    }
    CHECK(dw_write_label_names(path_in(path, dir, "fine_label_names.txt"), fn, 100, err) == 0);
    CHECK(dw_write_label_names(path_in(path, dir, "coarse_label_names.txt"), cn, 20, err) == 0);

    Dataset d;
    int rc = cifar100_load(&d, train, 0, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(d.count == 4 && d.channels == 3 && d.classes == 100);
        CHECK(memcmp(d.labels, (int32_t[]){99, 0, 42, 13}, 4 * sizeof(int32_t)) == 0);
        CHECK(memcmp(d.pixels, pix, sizeof pix) == 0);
        CHECK(d.label_names && !strcmp(d.label_names[42], "fine42") && !strcmp(d.label_names[99], "fine99"));
        CHECK_CLOSE(d.mean[0], 0.5071, 1e-6);
        CHECK_CLOSE(d.std[2], 0.2762, 1e-6);
        dataset_free(&d);
    }
    rc = cifar100_load(&d, train, 1, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(d.count == 4 && d.classes == 20);
        CHECK(memcmp(d.labels, (int32_t[]){0, 19, 5, 7}, 4 * sizeof(int32_t)) == 0);
        CHECK(memcmp(d.pixels, pix, sizeof pix) == 0);
        CHECK(d.label_names && !strcmp(d.label_names[19], "coarse19"));
        dataset_free(&d);
    }

    /* through data_load, coarse labels */
    TrainConfig cfg;
    train_config_defaults(&cfg);
    strcpy(cfg.dataset, "cifar100");
    strcpy(cfg.data_dir, dir);
    cfg.coarse_labels = 1;
    DataSplits s;
    rc = data_load(&s, &cfg, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(s.train.count == 4 && s.test.count == 2 && s.train.classes == 20 && s.test.classes == 20);
        CHECK(s.test.labels[0] == 19 && s.test.labels[1] == 5);
        data_free(&s);
    }

    /* errors: size, and each label byte out of range */
    static uint8_t raw[3074 + 1];
    CHECK(dw_write_bytes(path_in(bad, dir, "odd.bin"), raw, sizeof raw, 0, err) == 0);
    CHECK_ERR(cifar100_load(&d, bad, 0, err), err, bad, "not a whole number of 3074-byte records");
    CHECK(dw_write_bytes(bad, raw, 0, 0, err) == 0);
    CHECK_ERR(cifar100_load(&d, bad, 0, err), err, bad, "empty");
    const uint8_t fine_bad[4] = {1, 100, 2, 3}, coarse_bad[4] = {0, 1, 2, 20};
    CHECK(dw_write_cifar100(path_in(bad, dir, "fine100.bin"), pix, coarse, fine_bad, 4, err) == 0);
    CHECK_ERR(cifar100_load(&d, bad, 0, err), err, bad, "record 1: fine label 100");
    CHECK(dw_write_cifar100(path_in(bad, dir, "coarse20.bin"), pix, coarse_bad, fine, 4, err) == 0);
    CHECK_ERR(cifar100_load(&d, bad, 1, err), err, bad, "record 3: coarse label 20");
    CHECK(d.pixels == NULL);
    dw_remove_dir(dir);
}

/* A hand-made 2-channel 2x3 dataset of 3 images: value of image i, channel c, position j (0..5). */
static uint8_t hand_pixel(int i, int c, int j) { return (uint8_t)(10 + 60 * i + 100 * c + 7 * j); }

static void test_fill_batch(void) {
    char err[ERR_LEN];
    Dataset d;
    CHECK(dataset_alloc(&d, 3, 2, 2, 3, 10, err) == 0);
    for (int i = 0; i < 3; i++)
        for (int c = 0; c < 2; c++)
            for (int j = 0; j < 6; j++) d.pixels[(i * 2 + c) * 6 + j] = hand_pixel(i, c, j);
    d.labels[0] = 7;
    d.labels[1] = 8;
    d.labels[2] = 9;
    d.mean[0] = 0.5f;
    d.std[0] = 0.2f;
    d.mean[1] = 0.25f;
    d.std[1] = 0.4f;

    const int32_t idx[2] = {2, 0};
    real x[2 * 2 * 6];
    int32_t labels[2] = {-1, -1};
    data_fill_batch(&d, idx, 2, x, labels, NULL, NULL); /* no augmentation: rng not touched */
    CHECK(labels[0] == 9 && labels[1] == 7);
    /* [C][B][H][W]: channel-major over the batch */
    int wrong = 0;
    for (int c = 0; c < 2; c++)
        for (int b = 0; b < 2; b++)
            for (int j = 0; j < 6; j++) {
                double want = (hand_pixel(idx[b], c, j) / 255.0 - d.mean[c]) / d.std[c];
                double got = x[(c * 2 + b) * 6 + j];
                if (fabs(got - want) > 1e-5) wrong++;
            }
    CHECK_MSG(wrong == 0, "%d batch values wrong", wrong);
    /* a few spelled out: image 2 channel 0 position 0 = 130; image 0 channel 1 position 5 = 145 */
    CHECK_CLOSE(x[0], (130 / 255.0 - 0.5) / 0.2, 1e-5);
    CHECK_CLOSE(x[(1 * 2 + 1) * 6 + 5], (145 / 255.0 - 0.25) / 0.4, 1e-5);
    CHECK_CLOSE(x[(1 * 2 + 0) * 6 + 0], (230 / 255.0 - 0.25) / 0.4, 1e-5);
    dataset_free(&d);
}

/* 2 channels of 4x5, all pixel values non-zero and distinct. */
enum { AC = 2, AH = 4, AW = 5, APLANE = AH * AW };
static uint8_t aug_pixel(int c, int y, int x) { return (uint8_t)(1 + c * 100 + y * 10 + x); }

static double norm(const Dataset *d, int c, int v) { return (v / 255.0 - d->mean[c]) / d->std[c]; }

/* Expected value at output (c, y, x) for a crop shift (dy, dx) followed by an optional flip. */
static double aug_expect(const Dataset *d, int c, int y, int x, int dy, int dx, int flip) {
    int cx = flip ? AW - 1 - x : x;
    int sy = y + dy, sx = cx + dx;
    if (sy < 0 || sy >= AH || sx < 0 || sx >= AW) return norm(d, c, 0);
    return norm(d, c, aug_pixel(c, sy, sx));
}

static int matches(const Dataset *d, const real *x, int B, int b, int dy, int dx, int flip) {
    for (int c = 0; c < AC; c++)
        for (int y = 0; y < AH; y++)
            for (int xx = 0; xx < AW; xx++)
                if (fabs(x[((size_t)c * B + b) * APLANE + y * AW + xx] - aug_expect(d, c, y, xx, dy, dx, flip)) > 1e-5)
                    return 0;
    return 1;
}

static void test_augment(void) {
    char err[ERR_LEN];
    Dataset d;
    CHECK(dataset_alloc(&d, 1, AC, AH, AW, 2, err) == 0);
    for (int c = 0; c < AC; c++)
        for (int y = 0; y < AH; y++)
            for (int x = 0; x < AW; x++) d.pixels[c * APLANE + y * AW + x] = aug_pixel(c, y, x);
    d.mean[0] = 0.4f;
    d.std[0] = 0.3f;
    d.mean[1] = 0.6f;
    d.std[1] = 0.2f;
    enum { B = 200 };
    int32_t idx[B], labels[B];
    memset(idx, 0, sizeof idx);
    real *x = malloc(sizeof(real) * AC * B * APLANE), *x2 = malloc(sizeof(real) * AC * B * APLANE);

    /* flip only: every image is the original or its mirror; which one follows rng_uniform < 0.5 */
    Augment flip_only = {.crop_pad = 0, .hflip = 1};
    Rng rng, replay;
    rng_seed(&rng, 42);
    rng_seed(&replay, 42);
    data_fill_batch(&d, idx, B, x, labels, &flip_only, &rng);
    int flips = 0, bad = 0;
    for (int b = 0; b < B; b++) {
        int f = rng_uniform(&replay) < 0.5;
        flips += f;
        if (!matches(&d, x, B, b, 0, 0, f)) bad++;
    }
    CHECK_MSG(bad == 0, "%d images are not the expected original/mirror", bad);
    CHECK_MSG(flips > 60 && flips < 140, "%d flips of %d", flips, B);
    /* the mirror spelled out: output (c=1, y=2, x=0) shows source x=4 */
    for (int b = 0; b < B; b++) {
        double first = x[((size_t)1 * B + b) * APLANE + 2 * AW + 0];
        CHECK(fabs(first - norm(&d, 1, aug_pixel(1, 2, 0))) < 1e-5 || fabs(first - norm(&d, 1, aug_pixel(1, 2, 4))) < 1e-5);
    }

    /* crop only (pad 1): each image is the source shifted by (dy, dx) in [-1, 1]^2 with normalised-zero fill;
     * offsets drawn top then left with rng_below(3). All 9 shifts occur. */
    Augment crop_only = {.crop_pad = 1, .hflip = 0};
    rng_seed(&rng, 7);
    rng_seed(&replay, 7);
    data_fill_batch(&d, idx, B, x, labels, &crop_only, &rng);
    int seen[3][3] = {{0}};
    bad = 0;
    for (int b = 0; b < B; b++) {
        int dy = (int)rng_below(&replay, 3) - 1, dx = (int)rng_below(&replay, 3) - 1;
        seen[dy + 1][dx + 1]++;
        if (!matches(&d, x, B, b, dy, dx, 0)) bad++;
    }
    CHECK_MSG(bad == 0, "%d cropped images differ from the expected shift", bad);
    int kinds = 0;
    for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++) kinds += seen[i][j] > 0;
    CHECK(kinds == 9);
    /* a shift down by one (dy = +1) leaves the last row as normalised zero: find one and check it directly */
    rng_seed(&replay, 7);
    for (int b = 0; b < B; b++) {
        int dy = (int)rng_below(&replay, 3) - 1, dx = (int)rng_below(&replay, 3) - 1;
        if (dy == 1 && dx == 0) {
            for (int c = 0; c < AC; c++) {
                const real *img = x + ((size_t)c * B + b) * APLANE;
                for (int xx = 0; xx < AW; xx++) CHECK_CLOSE(img[3 * AW + xx], -d.mean[c] / d.std[c], 1e-5);
                CHECK_CLOSE(img[0], norm(&d, c, aug_pixel(c, 1, 0)), 1e-5);
            }
            break;
        }
    }

    /* crop (pad 2) then flip, draws in the documented order */
    Augment both = {.crop_pad = 2, .hflip = 1};
    rng_seed(&rng, 99);
    rng_seed(&replay, 99);
    data_fill_batch(&d, idx, B, x, labels, &both, &rng);
    bad = 0;
    for (int b = 0; b < B; b++) {
        int dy = (int)rng_below(&replay, 5) - 2, dx = (int)rng_below(&replay, 5) - 2;
        int f = rng_uniform(&replay) < 0.5;
        if (!matches(&d, x, B, b, dy, dx, f)) bad++;
    }
    CHECK_MSG(bad == 0, "%d crop+flip images differ", bad);
    /* the rng is left exactly where the replay is */
    CHECK(rng_next(&rng) == rng_next(&replay));

    /* same seed, same batch; another seed, another batch */
    rng_seed(&rng, 5);
    data_fill_batch(&d, idx, B, x, labels, &both, &rng);
    rng_seed(&rng, 5);
    data_fill_batch(&d, idx, B, x2, labels, &both, &rng);
    CHECK(memcmp(x, x2, sizeof(real) * AC * B * APLANE) == 0);
    rng_seed(&rng, 6);
    data_fill_batch(&d, idx, B, x2, labels, &both, &rng);
    CHECK(memcmp(x, x2, sizeof(real) * AC * B * APLANE) != 0);
    CHECK(labels[0] == 0 && labels[B - 1] == 0);
    free(x);
    free(x2);
    dataset_free(&d);
}

static int same_dataset(const Dataset *a, const Dataset *b) {
    if (a->count != b->count || a->channels != b->channels || a->height != b->height || a->width != b->width ||
        a->classes != b->classes)
        return 0;
    size_t n = (size_t)a->count * a->channels * a->height * a->width;
    return memcmp(a->pixels, b->pixels, n) == 0 && memcmp(a->labels, b->labels, a->count * sizeof *a->labels) == 0;
}

static void test_val_split_and_limits(void) {
    char err[ERR_LEN];
    TrainConfig cfg;
    train_config_defaults(&cfg);
    strcpy(cfg.dataset, "synthetic");
    strcpy(cfg.input_shape, "2x4x3");
    cfg.classes = 3;
    cfg.synthetic_train = 10;
    cfg.synthetic_test = 6;
    DataSplits full, s;
    int rc = data_load(&full, &cfg, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc) return;
    const size_t image = 2 * 4 * 3;
    CHECK(full.train.count == 10 && full.val.count == 0 && full.test.count == 6);

    cfg.val_split = 0.25; /* round(2.5) = 3 */
    rc = data_load(&s, &cfg, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(s.train.count == 7 && s.val.count == 3 && s.test.count == 6);
        CHECK(memcmp(s.train.pixels, full.train.pixels, 7 * image) == 0);
        CHECK(memcmp(s.val.pixels, full.train.pixels + 7 * image, 3 * image) == 0);
        CHECK(memcmp(s.val.labels, full.train.labels + 7, 3 * sizeof(int32_t)) == 0);
        CHECK(same_dataset(&s.test, &full.test));
        CHECK(s.val.channels == 2 && s.val.height == 4 && s.val.width == 3 && s.val.classes == 3);
        CHECK(s.val.mean[1] == full.train.mean[1] && s.val.std[1] == full.train.std[1]);
        data_free(&s);
    }

    /* limits first, then the split: 8 training images -> round(2.0) = 2 validation (images 6, 7) */
    cfg.train_limit = 8;
    cfg.test_limit = 4;
    rc = data_load(&s, &cfg, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(s.train.count == 6 && s.val.count == 2 && s.test.count == 4);
        CHECK(memcmp(s.train.pixels, full.train.pixels, 6 * image) == 0);
        CHECK(memcmp(s.val.pixels, full.train.pixels + 6 * image, 2 * image) == 0);
        CHECK(memcmp(s.test.pixels, full.test.pixels, 4 * image) == 0);
        CHECK(s.test.labels[3] == full.test.labels[3]);
        data_free(&s);
    }
    /* a limit above the count keeps everything */
    cfg.val_split = 0;
    cfg.train_limit = 1000;
    cfg.test_limit = 0;
    rc = data_load(&s, &cfg, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(same_dataset(&s.train, &full.train) && same_dataset(&s.test, &full.test) && s.val.count == 0);
        data_free(&s);
    }
    /* a split that leaves nothing to train on */
    cfg.train_limit = 1;
    cfg.val_split = 0.9;
    CHECK_ERR(data_load(&s, &cfg, err), err, "val_split", "leaves none");
    CHECK(s.train.pixels == NULL);
    data_free(&full);
}

/* Nearest-class-mean accuracy on raw pixels: test images against the training set's class means. */
static double nearest_mean_accuracy(const Dataset *train, const Dataset *test) {
    const size_t D = (size_t)train->channels * train->height * train->width;
    const int K = train->classes;
    double *mean = calloc((size_t)K * D, sizeof *mean);
    int *n = calloc((size_t)K, sizeof *n);
    for (int i = 0; i < train->count; i++) {
        int k = train->labels[i];
        n[k]++;
        for (size_t j = 0; j < D; j++) mean[k * D + j] += train->pixels[i * D + j];
    }
    for (int k = 0; k < K; k++)
        for (size_t j = 0; j < D; j++) mean[k * D + j] /= n[k] ? n[k] : 1;
    int correct = 0;
    for (int i = 0; i < test->count; i++) {
        int best = -1;
        double best_d = INFINITY;
        for (int k = 0; k < K; k++) {
            double dist = 0;
            for (size_t j = 0; j < D; j++) {
                double t = test->pixels[i * D + j] - mean[k * D + j];
                dist += t * t;
            }
            if (dist < best_d) {
                best_d = dist;
                best = k;
            }
        }
        correct += best == test->labels[i];
    }
    free(mean);
    free(n);
    return (double)correct / test->count;
}

static void test_synthetic(void) {
    char err[ERR_LEN];
    /* determinism and independence of the streams */
    Dataset a_tr, a_te, b_tr, b_te, c_tr, c_te;
    synthetic_make(&a_tr, &a_te, 3, 5, 7, 4, 300, 100, 7);
    synthetic_make(&b_tr, &b_te, 3, 5, 7, 4, 300, 100, 7);
    synthetic_make(&c_tr, &c_te, 3, 5, 7, 4, 300, 100, 8);
    CHECK(a_tr.count == 300 && a_te.count == 100 && a_tr.channels == 3 && a_tr.height == 5 && a_tr.width == 7);
    CHECK(a_tr.classes == 4 && a_te.classes == 4);
    CHECK(same_dataset(&a_tr, &b_tr) && same_dataset(&a_te, &b_te));
    CHECK(!same_dataset(&a_tr, &c_tr));
    CHECK(memcmp(a_tr.pixels, a_te.pixels, 3 * 5 * 7) != 0);
    int per_class[4] = {0};
    int in_range = 1;
    for (int i = 0; i < a_tr.count; i++) {
        if (a_tr.labels[i] < 0 || a_tr.labels[i] >= 4) in_range = 0;
        else per_class[a_tr.labels[i]]++;
    }
    CHECK(in_range && per_class[0] > 30 && per_class[1] > 30 && per_class[2] > 30 && per_class[3] > 30);
    /* mean/std are the training set's per-channel statistics */
    for (int c = 0; c < 3; c++) {
        double sum = 0, sq = 0;
        for (int i = 0; i < a_tr.count; i++)
            for (int j = 0; j < 35; j++) {
                double v = a_tr.pixels[(i * 3 + c) * 35 + j] / 255.0;
                sum += v;
                sq += v * v;
            }
        double n = a_tr.count * 35.0, mean = sum / n;
        CHECK_CLOSE(a_tr.mean[c], mean, 1e-5);
        CHECK_CLOSE(a_tr.std[c], sqrt(sq / n - mean * mean), 1e-5);
        CHECK(a_te.mean[c] == a_tr.mean[c] && a_te.std[c] == a_tr.std[c]);
    }
    CHECK(a_tr.label_names && !strcmp(a_tr.label_names[3], "class3"));
    CHECK(nearest_mean_accuracy(&a_tr, &a_te) > 0.8);
    dataset_free(&a_tr);
    dataset_free(&a_te);
    dataset_free(&b_tr);
    dataset_free(&b_te);
    dataset_free(&c_tr);
    dataset_free(&c_te);

    /* data_load's synthetic set (default shape 1x32x32, 10 classes, 2048 / 512) does not depend on the run seed */
    TrainConfig cfg;
    train_config_defaults(&cfg);
    strcpy(cfg.dataset, "synthetic");
    cfg.seed = 1;
    DataSplits s1, s2;
    int rc1 = data_load(&s1, &cfg, err);
    CHECK_MSG(rc1 == 0, "%s", err);
    cfg.seed = 2;
    int rc2 = data_load(&s2, &cfg, err);
    CHECK_MSG(rc2 == 0, "%s", err);
    if (rc1 == 0 && rc2 == 0) {
        CHECK(s1.train.count == 2048 && s1.test.count == 512 && s1.train.channels == 1 && s1.train.height == 32);
        CHECK(s1.train.classes == 10 && !strcmp(s1.train.name, "synthetic"));
        CHECK(same_dataset(&s1.train, &s2.train) && same_dataset(&s1.test, &s2.test));
        /* learnable: nearest class mean well above chance (10%) ... */
        double acc = nearest_mean_accuracy(&s1.train, &s1.test);
        printf("synthetic 1x32x32, 10 classes: nearest-class-mean test accuracy %.3f\n", acc);
        CHECK_MSG(acc > 0.8, "accuracy %.3f", acc);
        /* ... but not trivial: the classes overlap, and images of one class differ substantially */
        CHECK_MSG(acc < 0.99, "accuracy %.3f", acc);
        int first = -1, second = -1;
        for (int i = 0; i < s1.train.count && second < 0; i++)
            if (s1.train.labels[i] == s1.train.labels[0] && i > 0) second = i;
        first = 0;
        CHECK(second > 0);
        if (second > 0) {
            double diff = 0;
            for (int j = 0; j < 1024; j++)
                diff += abs((int)s1.train.pixels[first * 1024 + j] - (int)s1.train.pixels[second * 1024 + j]);
            CHECK_MSG(diff / 1024 > 20, "mean |difference| %.1f grey levels", diff / 1024);
        }
        /* per-pixel noise on top of the smooth prototypes: neighbouring pixels differ by tens of grey levels */
        double rough = 0;
        for (int i = 0; i < 100; i++)
            for (int y = 0; y < 32; y++)
                for (int x = 0; x + 1 < 32; x++) {
                    const uint8_t *p = s1.train.pixels + (size_t)i * 1024 + y * 32 + x;
                    rough += abs((int)p[1] - (int)p[0]);
                }
        rough /= 100.0 * 32 * 31;
        CHECK_MSG(rough > 15 && rough < 80, "mean |horizontal neighbour difference| %.1f", rough);
        int lo = 255, hi = 0;
        for (int j = 0; j < 1024; j++) {
            lo = s1.train.pixels[j] < lo ? s1.train.pixels[j] : lo;
            hi = s1.train.pixels[j] > hi ? s1.train.pixels[j] : hi;
        }
        CHECK(hi - lo > 100);
    }
    if (rc1 == 0) data_free(&s1);
    if (rc2 == 0) data_free(&s2);

    /* bad shapes are reported */
    strcpy(cfg.input_shape, "4x8x8");
    CHECK_ERR(data_load(&s1, &cfg, err), err, "input_shape", "4x8x8");
}

/* The real Fashion-MNIST, installed by the Debian package dataset-fashion-mnist. Required. */
static void test_fashion_mnist(void) {
    char err[ERR_LEN] = "";
    TrainConfig cfg;
    train_config_defaults(&cfg);
    CHECK(!strcmp(cfg.dataset, "fashion-mnist") && cfg.pad == 1 && cfg.data_dir[0] == '\0');
    DataSplits s;
    int rc = data_load(&s, &cfg, err);
    CHECK_MSG(rc == 0, "Fashion-MNIST must be installed at %s (Debian package dataset-fashion-mnist): %s",
              FASHION_DIR, err);
    if (rc) return;
    CHECK(s.train.count == 60000 && s.test.count == 10000 && s.val.count == 0);
    CHECK(s.train.channels == 1 && s.train.height == 32 && s.train.width == 32 && s.train.classes == 10);
    CHECK(s.test.height == 32 && s.test.width == 32);
    CHECK(s.train.labels[0] == 9);
    CHECK(s.train.label_names && !strcmp(s.train.label_names[s.train.labels[0]], "Ankle boot"));
    CHECK(s.test.labels[0] == 9);
    /* balanced: 6000 of each class in training, 1000 in test */
    int train_counts[10] = {0}, test_counts[10] = {0}, balanced = 1;
    for (int i = 0; i < s.train.count; i++) train_counts[s.train.labels[i]]++;
    for (int i = 0; i < s.test.count; i++) test_counts[s.test.labels[i]]++;
    for (int k = 0; k < 10; k++) balanced &= train_counts[k] == 6000 && test_counts[k] == 1000;
    CHECK(balanced);
    /* the 2-pixel frame added by padding is all zero, in every image */
    long border = 0;
    const Dataset *sets[2] = {&s.train, &s.test};
    for (int t = 0; t < 2; t++)
        for (int i = 0; i < sets[t]->count; i++) {
            const uint8_t *img = sets[t]->pixels + (size_t)i * 1024;
            for (int y = 0; y < 32; y++)
                for (int x = 0; x < 32; x++)
                    if (y < 2 || y >= 30 || x < 2 || x >= 30) border += img[y * 32 + x];
        }
    CHECK_MSG(border == 0, "padding frame sums to %ld", border);
    CHECK_CLOSE(s.train.mean[0], 0.2860, 1e-6);
    CHECK_CLOSE(s.train.std[0], 0.3530, 1e-6);
    data_free(&s);

    /* the file's own statistics agree with the published constants */
    Dataset d;
    rc = idx_load(&d, FASHION_DIR "/train-images-idx3-ubyte.gz", FASHION_DIR "/train-labels-idx1-ubyte.gz", 0, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc == 0) {
        CHECK(d.count == 60000 && d.height == 28 && d.width == 28);
        CHECK(fabs(d.mean[0] - 0.2860) < 5e-4 && fabs(d.std[0] - 0.3530) < 5e-4);
        printf("Fashion-MNIST training pixels: mean %.4f std %.4f\n", d.mean[0], d.std[0]);
        dataset_free(&d);
    }
}

int main(void) {
    test_idx_load();
    test_idx_errors();
    test_idx_data_load();
    test_cifar10();
    test_cifar10_data_load();
    test_cifar100();
    test_fill_batch();
    test_augment();
    test_val_split_and_limits();
    test_synthetic();
    test_fashion_mnist();
    return check_report("test_data");
}
