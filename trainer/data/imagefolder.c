/* Image folders (ImageNet-style): root/train/<class>/<image>, root/val/<class>/<image>.
 *
 * Decoding: a one-time decoded cache. Every image is decoded once when the dataset loads and kept in memory
 * as a stored_side x stored_side RGB thumbnail of the whole image (aspect not kept; its original size is kept
 * beside it), from which each epoch's random resized crops and the evaluation centre crops are sampled.
 * Why not a decode-ahead thread: the engine keeps a dataset in memory as fixed-size byte images (splits,
 * limits and data-parallel shards all index into it), a sweep's trials on the same data share one load, and
 * per epoch the cache costs one small resample per image instead of a JPEG decode. The price is memory:
 * 3 * stored_side^2 bytes per image (196 KB at 224x224 inputs), which suits Tiny-ImageNet, Flowers or a
 * user's own folders, not the 1.28 million images of ImageNet-1k.
 *
 * Order: the images of a split are listed class by class (folders and files in byte order), then put in a
 * fixed pseudo-random order (its own seed, not the run's), so that train_limit, test_limit and the
 * validation tail of val_split are fair samples of every class, identically on every run and rank. */
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "data.h"

#define IMAGEFOLDER_ORDER_SEED 20240601u /* the fixed order of a split's images (see above) */

/* ImageNet's per-channel (R, G, B) mean and standard deviation of pixel/255, the standard normalisation of
 * image-folder data (as torchvision's pretrained models use). */
static const float IMAGENET_MEAN[3] = {0.485f, 0.456f, 0.406f};
static const float IMAGENET_STD[3] = {0.229f, 0.224f, 0.225f};

int imagefolder_stored_side(int image_size) { return (int)lround(image_size * 256.0 / 224.0); }

typedef struct {
    char **items;
    int count, capacity;
} Names;

static void names_free(Names *n) {
    for (int i = 0; i < n->count; i++) free(n->items[i]);
    free(n->items);
    memset(n, 0, sizeof *n);
}

static int by_bytes(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static int is_image_name(const char *name) {
    const char *dot = strrchr(name, '.');
    if (!dot) return 0;
    char ext[8] = "";
    const size_t n = strlen(dot + 1);
    if (n >= sizeof ext) return 0;
    for (size_t i = 0; i < n; i++) ext[i] = (char)tolower((unsigned char)dot[1 + i]);
    ext[n] = '\0';
    return !strcmp(ext, "png") || !strcmp(ext, "jpg") || !strcmp(ext, "jpeg");
}

/* Entries of dir, sorted: subdirectories (want_dirs) or image files. Hidden entries are skipped. */
static int list_dir(const char *dir, int want_dirs, Names *out, char *err) {
    memset(out, 0, sizeof *out);
    DIR *d = opendir(dir);
    if (!d) return err_set(err, "%s: %s", dir, errno == ENOENT ? "missing folder" : strerror(errno));
    struct dirent *e;
    char path[8192];
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.') continue;
        snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
        struct stat st;
        if (stat(path, &st) != 0) continue;
        if (want_dirs ? !S_ISDIR(st.st_mode) : !(S_ISREG(st.st_mode) && is_image_name(e->d_name))) continue;
        if (out->count == out->capacity) {
            int cap = out->capacity ? out->capacity * 2 : 64;
            char **bigger = realloc(out->items, (size_t)cap * sizeof *bigger);
            if (!bigger) goto oom;
            out->items = bigger;
            out->capacity = cap;
        }
        if (!(out->items[out->count] = strdup(e->d_name))) goto oom;
        out->count++;
    }
    closedir(d);
    if (out->count) qsort(out->items, (size_t)out->count, sizeof *out->items, by_bytes);
    return 0;
oom:
    closedir(d);
    names_free(out);
    return err_set(err, "%s: out of memory listing the folder", dir);
}

int imagefolder_classes(const char *root, char (**names)[64], int *classes, char err[ERR_LEN]) {
    *names = NULL;
    *classes = 0;
    char dir[4096];
    snprintf(dir, sizeof dir, "%s/train", root);
    Names list;
    if (list_dir(dir, 1, &list, err)) return -1;
    if (list.count < 2) {
        names_free(&list);
        return err_set(err, "%s: %s class folders; an image folder needs at least 2 (train/<class>/<image>)", dir,
                       list.count ? "only 1 of" : "no");
    }
    *names = calloc((size_t)list.count, sizeof **names);
    if (!*names) {
        names_free(&list);
        return err_set(err, "%s: out of memory", dir);
    }
    for (int k = 0; k < list.count; k++) {
        if (strlen(list.items[k]) >= sizeof (*names)[k]) {
            err_set(err, "%s/%s: class folder name longer than 63 characters", dir, list.items[k]);
            free(*names);
            *names = NULL;
            names_free(&list);
            return -1;
        }
        snprintf((*names)[k], sizeof (*names)[k], "%s", list.items[k]);
    }
    *classes = list.count;
    names_free(&list);
    return 0;
}

int imagefolder_store(Dataset *d, int i, Image *img, char err[ERR_LEN]) {
    const int S = d->stored_side, C = d->channels;
    d->source_size[i][0] = img->width;
    d->source_size[i][1] = img->height;
    if (image_shrink_to(img, S, err)) return -1;
    real *tmp = malloc(sizeof *tmp * (size_t)C * S * S);
    if (!tmp) return err_set(err, "out of memory for a %dx%d image", S, S);
    image_sample(img->pixels, C, img->width, img->height, 0, 0, img->width, img->height, S, S, tmp, (size_t)S * S);
    uint8_t *dst = d->pixels + (size_t)i * C * S * S;
    for (size_t k = 0; k < (size_t)C * S * S; k++) {
        const real v = tmp[k] + (real)0.5;
        dst[k] = v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)v;
    }
    free(tmp);
    return 0;
}

/* One split (folder `split` under root) with the train folder's classes. */
static int load_split(Dataset *out, const char *root, const char *split, char (*const classes)[64], int n_classes,
                      int image_size, char *err) {
    memset(out, 0, sizeof *out);
    char dir[4096], path[8192];
    snprintf(dir, sizeof dir, "%s/%s", root, split);
    Names class_dirs;
    if (list_dir(dir, 1, &class_dirs, err)) return -1;
    /* every image's path and label, class by class */
    char **paths = NULL;
    int32_t *labels = NULL;
    int count = 0, capacity = 0, rc = -1;
    for (int k = 0; k < class_dirs.count; k++) {
        int label = -1;
        for (int c = 0; c < n_classes; c++)
            if (!strcmp(classes[c], class_dirs.items[k])) label = c;
        if (label < 0) {
            err_set(err, "%s/%s: class folder not in %s/train (the training folder defines the classes)", dir,
                    class_dirs.items[k], root);
            goto done;
        }
        char class_dir[4200];
        snprintf(class_dir, sizeof class_dir, "%s/%s", dir, class_dirs.items[k]);
        Names files;
        if (list_dir(class_dir, 0, &files, err)) goto done;
        if (files.count == 0) {
            names_free(&files);
            err_set(err, "%s: empty class folder (no .png, .jpg or .jpeg images)", class_dir);
            goto done;
        }
        for (int f = 0; f < files.count; f++) {
            if (count == capacity) {
                capacity = capacity ? capacity * 2 : 256;
                char **p = realloc(paths, (size_t)capacity * sizeof *p);
                int32_t *l = realloc(labels, (size_t)capacity * sizeof *l);
                if (p) paths = p;
                if (l) labels = l;
                if (!p || !l) {
                    names_free(&files);
                    err_set(err, "%s: out of memory listing images", dir);
                    goto done;
                }
            }
            snprintf(path, sizeof path, "%s/%s", class_dir, files.items[f]);
            if (!(paths[count] = strdup(path))) {
                names_free(&files);
                err_set(err, "%s: out of memory listing images", dir);
                goto done;
            }
            labels[count++] = label;
        }
        names_free(&files);
    }
    if (count == 0) {
        err_set(err, "%s: no class folders with images", dir);
        goto done;
    }
    /* the fixed order (see the top of the file) */
    int32_t *order = malloc((size_t)count * sizeof *order);
    if (!order) {
        err_set(err, "%s: out of memory", dir);
        goto done;
    }
    for (int i = 0; i < count; i++) order[i] = i;
    Rng rng;
    rng_seed(&rng, IMAGEFOLDER_ORDER_SEED);
    rng_shuffle(&rng, order, count);

    const int S = imagefolder_stored_side(image_size);
    if (dataset_alloc(out, count, 3, S, S, n_classes, err)) {
        free(order);
        goto done;
    }
    out->height = out->width = image_size;
    out->stored_side = S;
    out->source_size = malloc((size_t)count * sizeof *out->source_size);
    out->label_names = malloc((size_t)n_classes * sizeof *out->label_names);
    if (!out->source_size || !out->label_names) {
        free(order);
        err_set(err, "%s: out of memory for %d images", dir, count);
        goto done;
    }
    memcpy(out->label_names, classes, (size_t)n_classes * sizeof *out->label_names);
    snprintf(out->name, sizeof out->name, "imagefolder");
    memcpy(out->mean, IMAGENET_MEAN, sizeof out->mean);
    memcpy(out->std, IMAGENET_STD, sizeof out->std);
    for (int i = 0; i < count; i++) {
        Image img;
        const int src = order[i];
        out->labels[i] = labels[src];
        if (image_read(&img, paths[src], 3, S, err) || imagefolder_store(out, i, &img, err)) {
            image_free(&img);
            free(order);
            goto done;
        }
        image_free(&img);
    }
    free(order);
    rc = 0;

done:
    for (int i = 0; i < count; i++) free(paths[i]);
    free(paths);
    free(labels);
    names_free(&class_dirs);
    if (rc) dataset_free(out);
    return rc;
}

int imagefolder_describe(Dataset *out, const char *root, int image_size, char err[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    if (imagefolder_classes(root, &out->label_names, &out->classes, err)) return -1;
    snprintf(out->name, sizeof out->name, "imagefolder");
    out->channels = 3;
    out->height = out->width = image_size;
    out->stored_side = imagefolder_stored_side(image_size);
    memcpy(out->mean, IMAGENET_MEAN, sizeof out->mean);
    memcpy(out->std, IMAGENET_STD, sizeof out->std);
    return 0;
}

int imagefolder_load(DataSplits *out, const char *root, int image_size, char err[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    char (*classes)[64];
    int n;
    if (imagefolder_classes(root, &classes, &n, err)) return -1;
    int rc = load_split(&out->train, root, "train", classes, n, image_size, err);
    if (!rc) rc = load_split(&out->test, root, "val", classes, n, image_size, err);
    free(classes);
    if (rc) data_free(out);
    return rc ? -1 : 0;
}
