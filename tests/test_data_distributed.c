/* Datasets as distributed: CIFAR-10/100 read from tarballs built here in exactly the official layout (and
 * equal to the unpacked files), the pickled tarballs refused, damaged tarballs named; image folders of PNG
 * and JPEG files (classes, order, decoding), their training transforms (deterministic per seed, epoch and
 * image; crop sizes and aspect within torchvision's ranges; flip mirrors) and the evaluation centre crop. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check.h"
#include "config.h"
#include "data.h"
#include "dataset_writer.h"
#include "image.h"

static void must(int rc, const char *err) {
    if (rc) {
        fprintf(stderr, "setup failed: %s\n", err);
        exit(1);
    }
}

static char *join(char *out, const char *a, const char *b) { return dw_path(out, 4096, a, b); }

static uint8_t cifar_pixel(int i, int k) { return (uint8_t)(i * 29 + k * 7 + (k >> 10) * 50); }

/* count records starting at image `first`; labels first % 10, ... */
static void make_cifar(uint8_t *pix, uint8_t *labels, int first, int count, int classes) {
    for (int i = 0; i < count; i++) {
        labels[i] = (uint8_t)((first + i) % classes);
        for (int k = 0; k < 3072; k++) pix[(size_t)i * 3072 + k] = cifar_pixel(first + i, k);
    }
}

static const char *const C10_NAMES[10] = {"airplane", "automobile", "bird", "cat", "deer",
                                          "dog", "frog", "horse", "ship", "truck"};

/* dir/cifar-10-batches-bin/ with batches of 2 images (test: 3), names; and its tarball. */
static void write_cifar10(const char *dir, const char *tarball, int skip_batch, int bad_size_batch) {
    char sub[4096], path[4096], err[ERR_LEN] = "";
    join(sub, dir, "cifar-10-batches-bin");
    mkdir(sub, 0755);
    uint8_t pix[3 * 3072], labels[3];
    for (int b = 1; b <= 5; b++) {
        char name[64];
        snprintf(name, sizeof name, "data_batch_%d.bin", b);
        make_cifar(pix, labels, (b - 1) * 2, 2, 10);
        must(dw_write_cifar10(join(path, sub, name), pix, labels, 2, err), err);
        if (b == bad_size_batch) must(dw_write_bytes(path, pix, 3073 * 2 + 5, 0, err), err);
    }
    make_cifar(pix, labels, 100, 3, 10);
    must(dw_write_cifar10(join(path, sub, "test_batch.bin"), pix, labels, 3, err), err);
    must(dw_write_label_names(join(path, sub, "batches.meta.txt"), C10_NAMES, 10, err), err);
    const char *all[] = {"cifar-10-batches-bin/",
                         "cifar-10-batches-bin/data_batch_1.bin",
                         "cifar-10-batches-bin/data_batch_2.bin",
                         "cifar-10-batches-bin/data_batch_3.bin",
                         "cifar-10-batches-bin/data_batch_4.bin",
                         "cifar-10-batches-bin/data_batch_5.bin",
                         "cifar-10-batches-bin/test_batch.bin",
                         "cifar-10-batches-bin/batches.meta.txt",
                         NULL};
    const char *members[10];
    int n = 0;
    for (int k = 0; all[k]; k++) {
        char want[64];
        snprintf(want, sizeof want, "data_batch_%d.bin", skip_batch);
        if (!strstr(all[k], want) || !skip_batch) members[n++] = all[k];
    }
    members[n] = NULL;
    must(dw_write_tar(tarball, dir, members, 1, err), err);
}

static void check_same(const Dataset *a, const Dataset *b) {
    CHECK(a->count == b->count && a->classes == b->classes && a->channels == b->channels);
    CHECK(a->count > 0 && !memcmp(a->pixels, b->pixels, (size_t)a->count * 3072));
    CHECK(!memcmp(a->labels, b->labels, (size_t)a->count * sizeof *a->labels));
    CHECK(a->label_names && b->label_names &&
          !memcmp(a->label_names, b->label_names, (size_t)a->classes * sizeof *a->label_names));
    CHECK(!memcmp(a->mean, b->mean, sizeof a->mean) && !memcmp(a->std, b->std, sizeof a->std));
}

static void test_cifar10_tarball(void) {
    char dir[4096], tarball[4096], err[ERR_LEN] = "";
    must(dw_make_temp_dir(dir, sizeof dir, "c10tar", err), err);
    join(tarball, dir, "cifar-10-binary.tar.gz");
    write_cifar10(dir, tarball, 0, 0);
    TrainConfig cfg;
    train_config_defaults(&cfg);
    strcpy(cfg.dataset, "cifar10");
    strcpy(cfg.data_dir, tarball);
    DataSplits fromtar, unpacked;
    int rc = data_load(&fromtar, &cfg, err);
    CHECK_MSG(rc == 0, "%s", err);
    join(cfg.data_dir, dir, "cifar-10-batches-bin");
    rc |= data_load(&unpacked, &cfg, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (!rc) {
        CHECK(fromtar.train.count == 10 && fromtar.test.count == 3);
        check_same(&fromtar.train, &unpacked.train);
        check_same(&fromtar.test, &unpacked.test);
        /* batch order: image 7 is the second of data_batch_4 */
        CHECK(fromtar.train.labels[7] == 7 && fromtar.train.pixels[7 * 3072 + 1500] == cifar_pixel(7, 1500));
        CHECK(fromtar.test.labels[2] == 102 % 10 && fromtar.test.pixels[2 * 3072 + 3071] == cifar_pixel(102, 3071));
        CHECK(!strcmp(fromtar.train.label_names[9], "truck") && !strcmp(fromtar.test.label_names[0], "airplane"));
        data_free(&fromtar);
        data_free(&unpacked);
    }

    /* damaged or wrong archives: each named, with the member where there is one */
    char bad[4096];
    join(bad, dir, "missing3.tar.gz");
    write_cifar10(dir, bad, 3, 0);
    strcpy(cfg.data_dir, bad);
    CHECK_ERR(data_load(&fromtar, &cfg, err), err, bad, "no member cifar-10-batches-bin/data_batch_3.bin");
    join(bad, dir, "badsize.tar.gz");
    write_cifar10(dir, bad, 0, 2);
    strcpy(cfg.data_dir, bad);
    CHECK_ERR(data_load(&fromtar, &cfg, err), err, "badsize.tar.gz: cifar-10-batches-bin/data_batch_2.bin",
              "wrong size: 6151 bytes is not a whole number of 3073-byte records");
    write_cifar10(dir, tarball, 0, 0); /* the good one again, then cut short */
    FILE *f = fopen(tarball, "rb");
    static uint8_t bytes[1 << 20];
    size_t n = f ? fread(bytes, 1, sizeof bytes, f) : 0;
    if (f) fclose(f);
    join(bad, dir, "truncated.tar.gz");
    must(dw_write_bytes(bad, bytes, n / 2, 0, err), err);
    strcpy(cfg.data_dir, bad);
    rc = data_load(&fromtar, &cfg, err);
    CHECK_ERR(rc, err, bad, "truncated");
    join(bad, dir, "notatar.tar.gz");
    must(dw_write_bytes(bad, "hello, world\n", 13, 1, err), err);
    strcpy(cfg.data_dir, bad);
    CHECK_ERR(data_load(&fromtar, &cfg, err), err, bad, "cannot read as a tar archive");

    /* the pickled version: refused by content, and by its official name, pointing at the binary one */
    char py[4096], path[4096];
    join(py, dir, "cifar-10-batches-py");
    mkdir(py, 0755);
    must(dw_write_bytes(join(path, py, "data_batch_1"), "\x80\x02}q\x00.", 6, 0, err), err);
    join(bad, dir, "download.tar.gz");
    const char *pickle_members[] = {"cifar-10-batches-py/", "cifar-10-batches-py/data_batch_1", NULL};
    must(dw_write_tar(bad, dir, pickle_members, 1, err), err);
    strcpy(cfg.data_dir, bad);
    CHECK_ERR(data_load(&fromtar, &cfg, err), err, bad, "Python (pickle) version of CIFAR-10");
    CHECK(strstr(err, "cifar-10-binary.tar.gz") != NULL);
    join(bad, dir, "cifar-100-python.tar.gz");
    must(dw_write_tar(bad, dir, pickle_members, 1, err), err);
    strcpy(cfg.dataset, "cifar100");
    strcpy(cfg.data_dir, bad);
    CHECK_ERR(data_load(&fromtar, &cfg, err), err, bad, "download the binary version cifar-100-binary.tar.gz");
    dw_remove_dir(dir);
}

static void test_cifar100_tarball(void) {
    char dir[4096], sub[4096], path[4096], tarball[4096], err[ERR_LEN] = "";
    must(dw_make_temp_dir(dir, sizeof dir, "c100tar", err), err);
    join(sub, dir, "cifar-100-binary");
    mkdir(sub, 0755);
    uint8_t pix[4 * 3072], fine[4], coarse[4];
    make_cifar(pix, fine, 40, 4, 100);
    for (int i = 0; i < 4; i++) coarse[i] = (uint8_t)(fine[i] / 5);
    must(dw_write_cifar100(join(path, sub, "train.bin"), pix, coarse, fine, 4, err), err);
    must(dw_write_cifar100(join(path, sub, "test.bin"), pix + 3072, coarse + 1, fine + 1, 2, err), err);
    char fine_names[100][24], coarse_names[20][24];
    const char *fp[100], *cp[20];
    for (int k = 0; k < 100; k++) snprintf(fine_names[k], sizeof fine_names[k], "fine%d", k), fp[k] = fine_names[k];
    for (int k = 0; k < 20; k++) snprintf(coarse_names[k], sizeof coarse_names[k], "coarse%d", k), cp[k] = coarse_names[k];
    must(dw_write_label_names(join(path, sub, "fine_label_names.txt"), fp, 100, err), err);
    must(dw_write_label_names(join(path, sub, "coarse_label_names.txt"), cp, 20, err), err);
    const char *members[] = {"cifar-100-binary/", "cifar-100-binary/coarse_label_names.txt",
                             "cifar-100-binary/fine_label_names.txt", "cifar-100-binary/test.bin",
                             "cifar-100-binary/train.bin", NULL};
    join(tarball, dir, "cifar-100-binary.tar.gz");
    must(dw_write_tar(tarball, dir, members, 1, err), err);
    TrainConfig cfg;
    train_config_defaults(&cfg);
    strcpy(cfg.dataset, "cifar100");
    for (int coarse_labels = 0; coarse_labels < 2; coarse_labels++) {
        cfg.coarse_labels = coarse_labels;
        DataSplits a, b;
        strcpy(cfg.data_dir, tarball);
        int rc = data_load(&a, &cfg, err);
        CHECK_MSG(rc == 0, "%s", err);
        strcpy(cfg.data_dir, sub);
        rc |= data_load(&b, &cfg, err);
        CHECK_MSG(rc == 0, "%s", err);
        if (rc) continue;
        CHECK(a.train.count == 4 && a.test.count == 2 && a.train.classes == (coarse_labels ? 20 : 100));
        check_same(&a.train, &b.train);
        check_same(&a.test, &b.test);
        CHECK(a.train.labels[3] == (coarse_labels ? 43 / 5 : 43));
        CHECK(!strcmp(a.train.label_names[a.train.labels[3]], coarse_labels ? "coarse8" : "fine43"));
        data_free(&a);
        data_free(&b);
    }
    dw_remove_dir(dir);
}

/* Pixel (x, y) of channel c of test image `id`: a linear ramp, so resampling keeps it predictable */
static uint8_t folder_pixel(int id, int c, int x, int y) { return (uint8_t)(x + y + c * 30 + id * 2); } /* < 256 for the sizes used */

static void write_image(const char *path, int id, int w, int h, int jpeg) {
    char err[ERR_LEN] = "";
    uint8_t *pix = malloc((size_t)3 * w * h);
    for (int c = 0; c < 3; c++)
        for (int y = 0; y < h; y++)
            for (int x = 0; x < w; x++) pix[((size_t)c * h + y) * w + x] = folder_pixel(id, c, x, y);
    must(jpeg ? dw_write_jpeg(path, pix, w, h, 3, 95, err) : dw_write_png(path, pix, w, h, 3, err), err);
    free(pix);
}

/* root/train/{bird,cat,dog}, root/val/{cat,dog}: PNG and JPEG of several sizes, a text file to ignore */
static void write_folder(const char *root) {
    static const char *const classes[] = {"dog", "bird", "cat"}; /* written out of order on purpose */
    char split[4096], cls[4096], path[4096], err[ERR_LEN] = "";
    for (int s = 0; s < 2; s++) {
        join(split, root, s ? "val" : "train");
        mkdir(split, 0755);
        for (int k = s; k < 3; k++) {
            join(cls, split, classes[k]);
            mkdir(cls, 0755);
            for (int i = 0; i < 3 - s; i++) {
                char name[64];
                snprintf(name, sizeof name, "img%d.%s", i, i == 1 ? "JPG" : "png");
                write_image(join(path, cls, name), k * 10 + i, 40 + 12 * i, 30 + 20 * k, i == 1);
            }
            must(dw_write_bytes(join(path, cls, "notes.txt"), "x", 1, 0, err), err);
        }
    }
}

/* A fresh folder (write_folder) in root and the settings that read it at 32x32. */
static void folder_setup(char *root, const char *tag, TrainConfig *cfg) {
    char err[ERR_LEN] = "";
    must(dw_make_temp_dir(root, 4096, tag, err), err);
    write_folder(root);
    train_config_defaults(cfg);
    strcpy(cfg->dataset, "imagefolder");
    strcpy(cfg->data_dir, root);
    cfg->image_size = 32;
}

static void test_imagefolder(void) {
    char root[4096], err[ERR_LEN] = "";
    TrainConfig cfg;
    folder_setup(root, "folder", &cfg);
    char v[64];
    CHECK(train_config_validate(&cfg, err) == 0 || strstr(err, "model"));
    int C, H, W, classes;
    CHECK(data_expected_shape(&cfg, &C, &H, &W, &classes) == 0 && C == 3 && H == 32 && W == 32 && classes == 3);
    train_config_format(&cfg, "image_size", v, sizeof v);
    CHECK(!strcmp(v, "32"));
    DataSplits s;
    int rc = data_load(&s, &cfg, err);
    CHECK_MSG(rc == 0, "%s", err);
    if (rc) return;
    const Dataset *t = &s.train;
    CHECK(t->count == 9 && s.test.count == 4 && t->classes == 3 && s.test.classes == 3);
    CHECK(t->stored_side == 37 && t->height == 32 && s.test.stored_side == 37); /* round(32 * 256 / 224) */
    CHECK(!strcmp(t->label_names[0], "bird") && !strcmp(t->label_names[1], "cat") && !strcmp(t->label_names[2], "dog"));
    CHECK_CLOSE(t->mean[0], 0.485, 1e-6);
    CHECK_CLOSE(t->std[2], 0.225, 1e-6);
    /* every image is there once, with its class (known from its size: height 30 + 20 * k of classes[k]) */
    int per_class[3] = {0, 0, 0};
    for (int i = 0; i < t->count; i++) {
        per_class[t->labels[i]]++;
        const int h = t->source_size[i][1];
        const int k = (h - 30) / 20; /* 0 dog, 1 bird, 2 cat as written */
        CHECK(t->labels[i] == (k == 0 ? 2 : k == 1 ? 0 : 1));
    }
    CHECK(per_class[0] == 3 && per_class[1] == 3 && per_class[2] == 3);
    for (int i = 0; i < s.test.count; i++) CHECK(s.test.labels[i] == 0 || s.test.labels[i] == 1); /* no dog in val */

    /* evaluation: resize the shorter side to 37, centre 32x32. A PNG of width w, height h whose channel 0 is
     * x + y + 2 id: the output pixel (j, r) sits at source x = x0 + (j + 0.5) *
     * cw / 32 - 0.5 with cw = 32 * shorter / 37, so it reads x + y + 2 id up to the two resamplings */
    real *x = malloc(sizeof *x * 3 * 32 * 32 * 2);
    int32_t labels[2];
    for (int i = 0; i < t->count; i++) {
        const int w = t->source_size[i][0], h = t->source_size[i][1];
        if (w != 40 || h != 30) continue; /* dog img0: png, id 0 */
        int32_t index = i;
        data_fill_batch(t, &index, 1, x, labels, NULL, NULL);
        const double shorter = 30, cw = 32 * shorter / 37, x0 = (w - cw) / 2, y0 = (h - cw) / 2;
        double worst = 0;
        for (int r = 4; r < 28; r++)
            for (int j = 4; j < 28; j++) {
                const double sx = x0 + (j + 0.5) * cw / 32 - 0.5, sy = y0 + (r + 0.5) * cw / 32 - 0.5;
                const double want = sx + sy;
                const double got = (x[r * 32 + j] * t->std[0] + t->mean[0]) * 255;
                worst = fmax(worst, fabs(got - want));
            }
        CHECK_MSG(worst < 2.5, "centre crop differs from the source by %.2f", worst);
    }

    /* training: the same (seed, epoch, image) gives the same crop whatever the batch it is in; another epoch
     * or seed another crop */
    Augment aug = {.hflip = 1, .resized_crop = 1, .seed = 7, .epoch = 1};
    int32_t pair[2] = {4, 2}, one = 2;
    data_fill_batch(t, pair, 2, x, labels, &aug, NULL);
    real *single = malloc(sizeof *single * 3 * 32 * 32);
    data_fill_batch(t, &one, 1, single, labels, &aug, NULL);
    int same = 1;
    for (int c = 0; c < 3; c++) same &= !memcmp(single + c * 1024, x + (c * 2 + 1) * 1024, 1024 * sizeof(real));
    CHECK_MSG(same, "an image's training crop depends on its batch");
    aug.epoch = 2;
    data_fill_batch(t, &one, 1, x, labels, &aug, NULL);
    CHECK(memcmp(single, x, 3 * 1024 * sizeof(real)) != 0);

    /* the flip mirrors the crop: find an (epoch, image) drawn flipped, compare with hflip off */
    for (int epoch = 1; epoch < 20; epoch++) {
        int l, tp, cw, chh, flip;
        data_resized_crop_box(7, epoch, 2, t->source_size[2][0], t->source_size[2][1], &l, &tp, &cw, &chh, &flip);
        if (!flip) continue;
        aug.epoch = epoch;
        aug.hflip = 1;
        data_fill_batch(t, &one, 1, x, labels, &aug, NULL);
        aug.hflip = 0;
        data_fill_batch(t, &one, 1, single, labels, &aug, NULL);
        int mirrored = 1;
        for (int c = 0; c < 3; c++)
            for (int r = 0; r < 32; r++)
                for (int j = 0; j < 32; j++) mirrored &= x[c * 1024 + r * 32 + j] == single[c * 1024 + r * 32 + 31 - j];
        CHECK_MSG(mirrored, "epoch %d: flipped crop is not the mirror of the unflipped one", epoch);
        break;
    }
    free(single);
    free(x);
    data_free(&s);
    dw_remove_dir(root);
}

/* torchvision's ranges: area 8..100 % and aspect 3/4..4/3 (up to rounding), inside the image; a panorama
 * beyond the ratio range falls back to the centre crop of clamped aspect. */
static void test_resized_crop_box(void) {
    int within = 1, flips = 0, small = 0, moved = 0;
    for (int i = 0; i < 2000; i++) {
        int l, t, cw, ch, flip;
        data_resized_crop_box(3, 1 + i % 5, i, 300, 200, &l, &t, &cw, &ch, &flip);
        const double area = (double)cw * ch / (300.0 * 200), aspect = (double)cw / ch;
        within &= l >= 0 && t >= 0 && l + cw <= 300 && t + ch <= 200 && area > 0.075 && area <= 1.0 &&
                  aspect > 0.74 && aspect < 1.36;
        flips += flip;
        small += area < 0.3;
        moved += l > 0;
    }
    CHECK(within);
    CHECK_MSG(flips > 900 && flips < 1100, "flips %d of 2000", flips);
    CHECK(small > 300 && moved > 1000);
    int l, t, cw, ch, flip;
    data_resized_crop_box(3, 1, 0, 1000, 10, &l, &t, &cw, &ch, &flip);
    CHECK_MSG(ch == 10 && cw == 13 && l == (1000 - 13) / 2 && t == 0, "fallback %d,%d %dx%d", l, t, cw, ch);
    int l2, t2, cw2, ch2, flip2;
    data_resized_crop_box(3, 1, 5, 300, 200, &l, &t, &cw, &ch, &flip);
    data_resized_crop_box(3, 1, 5, 300, 200, &l2, &t2, &cw2, &ch2, &flip2);
    CHECK(l == l2 && t == t2 && cw == cw2 && ch == ch2 && flip == flip2);
}

static void test_bad_folders(void) {
    char root[4096], path[4096], cls[4096], err[ERR_LEN] = "";
    TrainConfig cfg;
    folder_setup(root, "badfolder", &cfg);
    DataSplits s;
    /* a truncated JPEG, a truncated PNG, a file that is neither: each named */
    char good[4096];
    join(good, root, "train/cat/img1.JPG");
    FILE *f = fopen(good, "rb");
    static uint8_t bytes[1 << 16];
    size_t n = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    must(dw_write_bytes(good, bytes, n / 2, 0, err), err);
    CHECK_ERR(data_load(&s, &cfg, err), err, good, "corrupt or truncated JPEG");
    write_image(good, 21, 52, 70, 1);
    join(good, root, "val/cat/img0.png");
    f = fopen(good, "rb");
    n = fread(bytes, 1, sizeof bytes, f);
    fclose(f);
    must(dw_write_bytes(good, bytes, n - 20, 0, err), err);
    CHECK_ERR(data_load(&s, &cfg, err), err, good, "PNG");
    must(dw_write_bytes(good, "GIF89a....", 10, 0, err), err);
    CHECK_ERR(data_load(&s, &cfg, err), err, good, "not a PNG or JPEG file");
    write_image(good, 20, 40, 70, 0);
    /* an empty class folder; a val class the train folder lacks; no folder at all */
    join(cls, root, "train/eel");
    mkdir(cls, 0755);
    CHECK_ERR(data_load(&s, &cfg, err), err, cls, "empty class folder");
    rmdir(cls);
    join(cls, root, "val/fox");
    mkdir(cls, 0755);
    write_image(join(path, cls, "a.png"), 1, 20, 20, 0);
    CHECK_ERR(data_load(&s, &cfg, err), err, cls, "class folder not in");
    strcpy(cfg.data_dir, "/nonexistent/folder");
    CHECK_ERR(data_load(&s, &cfg, err), err, "/nonexistent/folder/train", "missing folder");
    dw_remove_dir(root);
}

/* image_read: PNG and JPEG, gray and RGB, the right pixels (PNG exactly, JPEG within its loss) */
static void test_image_read(void) {
    char dir[4096], path[4096], err[ERR_LEN] = "";
    must(dw_make_temp_dir(dir, sizeof dir, "images", err), err);
    uint8_t gray[20 * 10];
    for (int k = 0; k < 200; k++) gray[k] = (uint8_t)(k + 17);
    must(dw_write_png(join(path, dir, "g.png"), gray, 20, 10, 1, err), err);
    Image img;
    int rc = image_read(&img, path, 1, 0, err);
    CHECK_MSG(rc == 0 && img.width == 20 && img.height == 10 && !memcmp(img.pixels, gray, 200), "%s", err);
    image_free(&img);
    rc = image_read(&img, path, 3, 0, err); /* gray as RGB: three equal planes */
    CHECK(rc == 0 && !memcmp(img.pixels, gray, 200) && !memcmp(img.pixels + 400, gray, 200));
    image_free(&img);
    write_image(join(path, dir, "c.jpg"), 3, 64, 48, 1);
    rc = image_read(&img, path, 3, 0, err);
    CHECK_MSG(rc == 0 && img.width == 64 && img.height == 48, "%s", err);
    int worst = 0;
    for (int c = 0; rc == 0 && c < 3; c++)
        for (int y = 4; y < 44; y++)
            for (int x = 4; x < 60; x++) {
                int d = abs(img.pixels[((size_t)c * 48 + y) * 64 + x] - folder_pixel(3, c, x, y));
                if (d > worst) worst = d;
            }
    CHECK_MSG(worst <= 12, "JPEG quality 95 differs by %d", worst);
    image_free(&img);
    rc = image_read(&img, path, 3, 20, err); /* DCT-scaled: half size keeps the shorter side >= 20 */
    CHECK(rc == 0 && img.width == 32 && img.height == 24);
    image_free(&img);
    dw_remove_dir(dir);
}

int main(void) {
    test_cifar10_tarball();
    test_cifar100_tarball();
    test_image_read();
    test_resized_crop_box();
    test_imagefolder();
    test_bad_folders();
    return check_report("test_data_distributed");
}
