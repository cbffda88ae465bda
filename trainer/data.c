/* Dataset selection (data_load), the train / validation / test split, and mini-batch assembly. The file
 * formats live in data/idx.c, data/cifar.c and data/synthetic.c. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data.h"

#define FASHION_MNIST_DIR "/usr/share/datasets/fashion-mnist" /* Debian package dataset-fashion-mnist */
#define IDX_PAD_TO 32                                         /* 28x28 -> 32x32 when cfg->pad */
/* The synthetic set's seed is fixed, not the run's seed: runs that differ only in `seed` (initialisation,
 * shuffling, augmentation) then train and test on the same images and stay comparable. */
#define SYNTHETIC_DATA_SEED 12345u

/* Normalisation constants: mean and standard deviation of pixel/255 over the 60000 unpadded 28x28 training
 * images (the values in common use; zero padding to 32x32 keeps them so that padding stays "background"). */
#define FASHION_MNIST_MEAN 0.2860f
#define FASHION_MNIST_STD 0.3530f
#define MNIST_MEAN 0.1307f
#define MNIST_STD 0.3081f

static const char *const FASHION_MNIST_NAMES[10] = {"T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
                                                    "Sandal",      "Shirt",   "Sneaker",  "Bag",   "Ankle boot"};

int dataset_alloc(Dataset *d, int count, int channels, int height, int width, int classes, char err[ERR_LEN]) {
    memset(d, 0, sizeof *d);
    if (count < 0 || channels < 1 || channels > DATA_MAX_CHANNELS || height < 1 || width < 1 || classes < 1)
        return err_set(err, "dataset: invalid shape: %d images of %dx%dx%d, %d classes", count, channels, height,
                       width, classes);
    size_t image = (size_t)channels * height * width;
    d->pixels = calloc(count ? (size_t)count * image : 1, 1);
    d->labels = calloc(count ? (size_t)count : 1, sizeof *d->labels);
    if (!d->pixels || !d->labels) {
        dataset_free(d);
        return err_set(err, "dataset: out of memory for %d images of %dx%dx%d", count, channels, height, width);
    }
    d->count = count;
    d->channels = channels;
    d->height = height;
    d->width = width;
    d->classes = classes;
    for (int c = 0; c < DATA_MAX_CHANNELS; c++) {
        d->mean[c] = 0.0f;
        d->std[c] = 1.0f;
    }
    return 0;
}

size_t dataset_image_bytes(const Dataset *d) {
    if (d->stored_side > 0) return (size_t)d->channels * d->stored_side * d->stored_side;
    return (size_t)d->channels * d->height * d->width;
}

void dataset_free(Dataset *d) {
    if (!d) return;
    free(d->pixels);
    free(d->source_size);
    free(d->labels);
    free(d->label_names);
    memset(d, 0, sizeof *d);
}

void data_free(DataSplits *splits) {
    if (!splits) return;
    dataset_free(&splits->train);
    dataset_free(&splits->val);
    dataset_free(&splits->test);
}

const char *data_default_dir(const char *dataset) {
    if (dataset && !strcmp(dataset, "fashion-mnist")) return FASHION_MNIST_DIR;
    return ""; /* mnist (no Debian package), cifar10, cifar100, imagefolder: data_dir must be set; synthetic: none */
}

static int file_exists(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* dir/name.gz if it exists, else dir/name (which idx_load reports as missing if it is not there either). */
static void idx_path(char *out, size_t size, const char *dir, const char *name) {
    snprintf(out, size, "%s/%s.gz", dir, name);
    if (file_exists(out)) return;
    snprintf(out, size, "%s/%s", dir, name);
}

static int set_label_names(Dataset *d, const char *const *names, char *err) {
    d->label_names = calloc((size_t)d->classes, sizeof *d->label_names);
    if (!d->label_names) return err_set(err, "%s: out of memory", d->name);
    for (int k = 0; k < d->classes; k++) snprintf(d->label_names[k], sizeof d->label_names[k], "%s", names[k]);
    return 0;
}

static int load_idx_set(DataSplits *out, const TrainConfig *cfg, const char *dir, char *err) {
    const int fashion = !strcmp(cfg->dataset, "fashion-mnist");
    if (!dir[0])
        return err_set(err,
                       "%s: data_dir is not set and there is no default directory; set data_dir to the directory "
                       "holding train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte and "
                       "t10k-labels-idx1-ubyte (each optionally .gz)",
                       cfg->dataset);
    char images[1024], labels[1024];
    int pad_to = cfg->pad ? IDX_PAD_TO : 0;
    idx_path(images, sizeof images, dir, "train-images-idx3-ubyte");
    idx_path(labels, sizeof labels, dir, "train-labels-idx1-ubyte");
    if (idx_load(&out->train, images, labels, pad_to, err)) return -1;
    idx_path(images, sizeof images, dir, "t10k-images-idx3-ubyte");
    idx_path(labels, sizeof labels, dir, "t10k-labels-idx1-ubyte");
    if (idx_load(&out->test, images, labels, pad_to, err)) return -1;
    if (out->train.height != out->test.height || out->train.width != out->test.width)
        return err_set(err, "%s: test images are %dx%d but training images %dx%d", images, out->test.height,
                       out->test.width, out->train.height, out->train.width);

    static const char *const digits[10] = {"0", "1", "2", "3", "4", "5", "6", "7", "8", "9"};
    Dataset *sets[2] = {&out->train, &out->test};
    for (int s = 0; s < 2; s++) {
        Dataset *d = sets[s];
        snprintf(d->name, sizeof d->name, "%s", cfg->dataset);
        d->mean[0] = fashion ? FASHION_MNIST_MEAN : MNIST_MEAN;
        d->std[0] = fashion ? FASHION_MNIST_STD : MNIST_STD;
        if (set_label_names(d, fashion ? FASHION_MNIST_NAMES : digits, err)) return -1;
    }
    return 0;
}

static int is_regular_file(const char *path) {
    struct stat st;
    return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

static int load_cifar10(DataSplits *out, const char *dir, char *err) {
    if (is_regular_file(dir)) return cifar_load_archive(out, dir, 0, 0, err);
    char paths[6][1024];
    const char *train_files[6];
    for (int k = 0; k < 5; k++) {
        snprintf(paths[k], sizeof paths[k], "%s/data_batch_%d.bin", dir, k + 1);
        train_files[k] = paths[k];
    }
    train_files[5] = NULL;
    snprintf(paths[5], sizeof paths[5], "%s/test_batch.bin", dir);
    const char *test_files[2] = {paths[5], NULL};
    if (cifar10_load(&out->train, train_files, err)) return -1;
    return cifar10_load(&out->test, test_files, err);
}

static int load_cifar100(DataSplits *out, const char *dir, int coarse, char *err) {
    if (is_regular_file(dir)) return cifar_load_archive(out, dir, 1, coarse, err);
    char path[1024];
    snprintf(path, sizeof path, "%s/train.bin", dir);
    if (cifar100_load(&out->train, path, coarse, err)) return -1;
    snprintf(path, sizeof path, "%s/test.bin", dir);
    return cifar100_load(&out->test, path, coarse, err);
}

static int load_synthetic(DataSplits *out, const TrainConfig *cfg, char *err) {
    int c, h, w;
    char tail;
    if (sscanf(cfg->input_shape, "%dx%dx%d%c", &c, &h, &w, &tail) != 3 || c < 1 || c > DATA_MAX_CHANNELS || h < 1 ||
        w < 1)
        return err_set(err, "input_shape: expected CxHxW with 1..%d channels, got '%s'", DATA_MAX_CHANNELS,
                       cfg->input_shape);
    if (cfg->classes < 2) return err_set(err, "classes: the synthetic set needs at least 2, got %d", cfg->classes);
    if (cfg->synthetic_train < 1 || cfg->synthetic_test < 1)
        return err_set(err, "synthetic_train/synthetic_test: need at least 1 image each, got %d and %d",
                       cfg->synthetic_train, cfg->synthetic_test);
    synthetic_make(&out->train, &out->test, c, h, w, cfg->classes, cfg->synthetic_train, cfg->synthetic_test,
                   SYNTHETIC_DATA_SEED);
    return 0;
}

/* Keeps the first n images of d (n < d->count), giving back the memory of the rest. */
static void dataset_truncate(Dataset *d, int n) {
    size_t image = dataset_image_bytes(d);
    d->count = n;
    uint8_t *p = realloc(d->pixels, n ? (size_t)n * image : 1);
    if (p) d->pixels = p; /* a failed shrink keeps the larger block, which is still valid */
    int32_t *l = realloc(d->labels, n ? (size_t)n * sizeof *l : 1);
    if (l) d->labels = l;
    if (d->source_size) {
        int32_t (*s)[2] = realloc(d->source_size, n ? (size_t)n * sizeof *s : 1);
        if (s) d->source_size = s;
    }
}

/* Moves the last n_val images of train into val (same shape, classes, normalisation and label names). */
static int split_validation(Dataset *train, Dataset *val, int n_val, char *err) {
    const int S = train->stored_side;
    if (dataset_alloc(val, n_val, train->channels, S ? S : train->height, S ? S : train->width, train->classes, err))
        return -1;
    val->height = train->height;
    val->width = train->width;
    val->stored_side = S;
    memcpy(val->name, train->name, sizeof val->name);
    memcpy(val->mean, train->mean, sizeof val->mean);
    memcpy(val->std, train->std, sizeof val->std);
    if (train->label_names) {
        val->label_names = malloc((size_t)train->classes * sizeof *val->label_names);
        if (!val->label_names) return err_set(err, "%s: out of memory", train->name);
        memcpy(val->label_names, train->label_names, (size_t)train->classes * sizeof *val->label_names);
    }
    int first = train->count - n_val;
    size_t image = dataset_image_bytes(train);
    memcpy(val->pixels, train->pixels + (size_t)first * image, (size_t)n_val * image);
    if (train->source_size) {
        val->source_size = malloc((size_t)n_val * sizeof *val->source_size);
        if (!val->source_size) return err_set(err, "%s: out of memory", train->name);
        memcpy(val->source_size, train->source_size + first, (size_t)n_val * sizeof *val->source_size);
    }
    memcpy(val->labels, train->labels + first, (size_t)n_val * sizeof *val->labels);
    dataset_truncate(train, first);
    return 0;
}

int data_expected_shape(const TrainConfig *cfg, int *channels, int *height, int *width, int *classes) {
    if (!strcmp(cfg->dataset, "mnist") || !strcmp(cfg->dataset, "fashion-mnist")) {
        *channels = 1;
        *height = *width = cfg->pad ? IDX_PAD_TO : 28;
        *classes = 10;
        return 0;
    }
    if (!strcmp(cfg->dataset, "cifar10") || !strcmp(cfg->dataset, "cifar100")) {
        *channels = 3;
        *height = *width = 32;
        *classes = !strcmp(cfg->dataset, "cifar10") ? 10 : cfg->coarse_labels ? 20 : 100;
        return 0;
    }
    if (!strcmp(cfg->dataset, "imagefolder")) {
        /* the class count is the train folder's; without the folder it cannot be known */
        char (*names)[64];
        *channels = 3;
        *height = *width = cfg->image_size > 0 ? cfg->image_size : IMAGEFOLDER_DEFAULT_SIZE;
        if (imagefolder_classes(cfg->data_dir, &names, classes, NULL)) return -1;
        free(names);
        return 0;
    }
    char tail;
    if (!strcmp(cfg->dataset, "synthetic") &&
        sscanf(cfg->input_shape, "%dx%dx%d%c", channels, height, width, &tail) == 3) {
        *classes = cfg->classes;
        return 0;
    }
    return -1;
}

int data_load(DataSplits *out, const TrainConfig *cfg, char err[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    const char *dir = cfg->data_dir[0] ? cfg->data_dir : data_default_dir(cfg->dataset);
    int rc;
    if (!strcmp(cfg->dataset, "fashion-mnist") || !strcmp(cfg->dataset, "mnist")) {
        rc = load_idx_set(out, cfg, dir, err);
    } else if (!strcmp(cfg->dataset, "cifar10") || !strcmp(cfg->dataset, "cifar100")) {
        const int c10 = !strcmp(cfg->dataset, "cifar10");
        if (!dir[0])
            rc = err_set(err,
                         c10 ? "cifar10: set data_dir to cifar-10-binary.tar.gz or the directory of its files: "
                               "data_batch_1.bin .. data_batch_5.bin, test_batch.bin (batches.meta.txt optional)"
                             : "cifar100: set data_dir to cifar-100-binary.tar.gz or the directory of its files: "
                               "train.bin, test.bin (fine_label_names.txt, coarse_label_names.txt optional)");
        else rc = c10 ? load_cifar10(out, dir, err) : load_cifar100(out, dir, cfg->coarse_labels, err);
    } else if (!strcmp(cfg->dataset, "synthetic")) {
        rc = load_synthetic(out, cfg, err);
    } else if (!strcmp(cfg->dataset, "imagefolder")) {
        if (!dir[0])
            rc = err_set(err, "imagefolder: set data_dir to the folder holding train/<class>/<image> and "
                              "val/<class>/<image> (PNG or JPEG)");
        else rc = imagefolder_load(out, dir, cfg->image_size > 0 ? cfg->image_size : IMAGEFOLDER_DEFAULT_SIZE, err);
    } else {
        rc = err_set(err,
                     "dataset: unknown dataset '%s' (fashion-mnist, mnist, synthetic, cifar10, cifar100, imagefolder)",
                     cfg->dataset);
    }
    if (rc) goto fail;

    /* train_limit applies to the training files first; the validation images are then the LAST
     * round(val_split * n) of those n. No shuffle is needed: the CIFAR batches and the (Fashion-)MNIST
     * training files are already in random class order, and the synthetic labels are drawn at random, so the
     * tail is a fair sample; taking it in file order keeps the split identical on every run and rank. */
    if (cfg->train_limit > 0 && cfg->train_limit < out->train.count) dataset_truncate(&out->train, cfg->train_limit);
    if (cfg->test_limit > 0 && cfg->test_limit < out->test.count) dataset_truncate(&out->test, cfg->test_limit);
    if (cfg->val_split > 0) {
        int n_val = (int)lround(cfg->val_split * out->train.count);
        if (n_val >= out->train.count) {
            err_set(err, "val_split: %g of %d training images leaves none for training", cfg->val_split,
                    out->train.count);
            goto fail;
        }
        if (n_val > 0 && split_validation(&out->train, &out->val, n_val, err)) goto fail;
    }
    return 0;

fail:
    data_free(out);
    return -1;
}

/* torchvision's RandomResizedCrop.get_params on a w x h image: up to 10 draws of an area fraction in
 * [0.08, 1] and a log-uniform aspect in [3/4, 4/3]; the first that fits gives the crop, at a uniform position;
 * otherwise the centre crop with the aspect clamped to that range. Integer pixel sizes and offsets. */
static void random_resized_crop(Rng *r, int w, int h, int *left, int *top, int *cw, int *ch) {
    const double area = (double)w * h, log_lo = log(3.0 / 4.0), log_hi = log(4.0 / 3.0);
    for (int attempt = 0; attempt < 10; attempt++) {
        const double target = area * (0.08 + 0.92 * rng_uniform(r));
        const double aspect = exp(log_lo + (log_hi - log_lo) * rng_uniform(r));
        const int cw_try = (int)lround(sqrt(target * aspect)), ch_try = (int)lround(sqrt(target / aspect));
        if (cw_try > 0 && cw_try <= w && ch_try > 0 && ch_try <= h) {
            *cw = cw_try;
            *ch = ch_try;
            *top = (int)rng_below(r, (uint32_t)(h - ch_try + 1));
            *left = (int)rng_below(r, (uint32_t)(w - cw_try + 1));
            return;
        }
    }
    const double ratio = (double)w / h;
    if (ratio < 3.0 / 4.0) *cw = w, *ch = (int)lround(w / (3.0 / 4.0));
    else if (ratio > 4.0 / 3.0) *ch = h, *cw = (int)lround(h * (4.0 / 3.0));
    else *cw = w, *ch = h;
    if (*ch > h) *ch = h;
    if (*cw > w) *cw = w;
    *top = (h - *ch) / 2;
    *left = (w - *cw) / 2;
}

void data_resized_crop_box(uint64_t seed, int epoch, int index, int w, int h, int *left, int *top, int *cw, int *ch,
                           int *flip) {
    /* one stream per (epoch, image): epoch >= 1 keeps these apart from the run's named streams 1..3 */
    Rng r;
    rng_seed_stream(&r, seed, ((uint64_t)(uint32_t)epoch << 32) | (uint32_t)index);
    random_resized_crop(&r, w, h, left, top, cw, ch);
    *flip = rng_uniform(&r) < 0.5;
}

/* Image folders: crop (random resized or centre) in the original image's pixels, mapped onto the stored
 * stored_side x stored_side copy, resampled to height x width, flipped, normalised. */
static void fill_batch_stored(const Dataset *d, const int32_t *indices, int B, real *x, int32_t *labels,
                              const Augment *aug) {
    const int C = d->channels, H = d->height, W = d->width, S = d->stored_side;
    const size_t plane = (size_t)H * W;
    for (int b = 0; b < B; b++) {
        const int i = indices[b];
        labels[b] = d->labels[i];
        const int w = d->source_size[i][0], h = d->source_size[i][1];
        double cx, cy, cw, ch;
        int flip = 0;
        if (aug && aug->resized_crop) {
            int left, top, iw, ih;
            data_resized_crop_box(aug->seed, aug->epoch, i, w, h, &left, &top, &iw, &ih, &flip);
            flip = flip && aug->hflip;
            cx = left, cy = top, cw = iw, ch = ih;
        } else {
            /* resize the shorter side to S, take the centre W x H: in original pixels a (W, H) * shorter / S box */
            const double shorter = w < h ? w : h;
            cw = W * shorter / S;
            ch = H * shorter / S;
            if (cw > w) cw = w;
            if (ch > h) ch = h;
            cx = (w - cw) / 2;
            cy = (h - ch) / 2;
        }
        const double fx = (double)S / w, fy = (double)S / h;
        real *dst = x + (size_t)b * plane;
        image_sample(d->pixels + (size_t)i * C * S * S, C, S, S, cx * fx, cy * fy, cw * fx, ch * fy, W, H, dst,
                     (size_t)B * plane);
        for (int c = 0; c < C; c++) {
            real *p = dst + (size_t)c * B * plane;
            const real scale = (real)(1.0 / (255.0 * d->std[c])), shift = (real)(-(double)d->mean[c] / d->std[c]);
            for (int y = 0; y < H && flip; y++)
                for (int l = 0, r = W - 1; l < r; l++, r--) {
                    real t = p[(size_t)y * W + l];
                    p[(size_t)y * W + l] = p[(size_t)y * W + r];
                    p[(size_t)y * W + r] = t;
                }
            for (size_t j = 0; j < plane; j++) p[j] = p[j] * scale + shift;
        }
    }
}

int data_describe(const TrainConfig *cfg, Dataset *out, char err[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    if (!strcmp(cfg->dataset, "imagefolder")) {
        const char *dir = cfg->data_dir;
        if (!dir[0]) return err_set(err, "imagefolder: data_dir is not set");
        return imagefolder_describe(out, dir, cfg->image_size > 0 ? cfg->image_size : IMAGEFOLDER_DEFAULT_SIZE, err);
    }
    TrainConfig whole = *cfg;
    whole.val_split = 0;
    whole.test_limit = 1;
    DataSplits splits;
    if (data_load(&splits, &whole, err)) return -1;
    *out = splits.test;
    free(out->pixels);
    free(out->labels);
    free(out->source_size);
    out->pixels = NULL;
    out->labels = NULL;
    out->source_size = NULL;
    out->count = 0;
    memset(&splits.test, 0, sizeof splits.test); /* its label names now belong to out */
    data_free(&splits);
    return 0;
}

void data_fill_batch(const Dataset *d, const int32_t *indices, int B, real *x, int32_t *labels, const Augment *aug,
                     Rng *rng) {
    if (d->stored_side > 0) {
        fill_batch_stored(d, indices, B, x, labels, aug);
        return;
    }
    const int C = d->channels, H = d->height, W = d->width;
    const size_t plane = (size_t)H * W, image = (size_t)C * plane;
    /* x = (pixel / 255 - mean) / std = pixel * scale + shift, per channel */
    real scale[DATA_MAX_CHANNELS], shift[DATA_MAX_CHANNELS];
    for (int c = 0; c < C; c++) {
        scale[c] = (real)(1.0 / (255.0 * d->std[c]));
        shift[c] = (real)(-(double)d->mean[c] / d->std[c]);
    }
    const int pad = aug ? aug->crop_pad : 0;
    for (int b = 0; b < B; b++) {
        const uint8_t *src = d->pixels + (size_t)indices[b] * image;
        labels[b] = d->labels[indices[b]];
        /* Augmentation draws per image, in this order: crop top, crop left (each rng_below(2*pad+1) offsets
         * into the zero-padded image, pad = no shift), then the flip (rng_uniform < 0.5). */
        int dy = 0, dx = 0, flip = 0;
        if (pad > 0) {
            dy = (int)rng_below(rng, (uint32_t)(2 * pad + 1)) - pad;
            dx = (int)rng_below(rng, (uint32_t)(2 * pad + 1)) - pad;
        }
        if (aug && aug->hflip) flip = rng_uniform(rng) < 0.5;
        for (int c = 0; c < C; c++) {
            const uint8_t *s = src + (size_t)c * plane;
            real *dst = x + ((size_t)c * B + b) * plane;
            const real zero = shift[c]; /* a padding pixel: raw 0, normalised */
            if (!dy && !dx && !flip) {
                for (size_t j = 0; j < plane; j++) dst[j] = (real)s[j] * scale[c] + shift[c];
                continue;
            }
            for (int y = 0; y < H; y++) {
                int sy = y + dy;
                real *row = dst + (size_t)y * W;
                if (sy < 0 || sy >= H) {
                    for (int xx = 0; xx < W; xx++) row[xx] = zero;
                    continue;
                }
                const uint8_t *srow = s + (size_t)sy * W;
                for (int xx = 0; xx < W; xx++) {
                    int cx = flip ? W - 1 - xx : xx; /* column of the cropped image this output shows */
                    int sx = cx + dx;
                    row[xx] = (sx < 0 || sx >= W) ? zero : (real)srow[sx] * scale[c] + shift[c];
                }
            }
        }
    }
}
