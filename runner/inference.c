/* See inference.h. */
#include "inference.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checkpoint.h"
#include "image.h"

int inference_open(Inference *inf, const char *checkpoint, const char *data_dir_override, int max_batch,
                   char err[ERR_LEN]) {
    memset(inf, 0, sizeof *inf);
    if (checkpoint_read_config(checkpoint, &inf->cfg, err)) return -1;
    if (data_dir_override) {
        char why[ERR_LEN];
        if (train_config_set(&inf->cfg, "data_dir", data_dir_override, why))
            return err_set(err, "--data-dir: %s", why);
    }
    char why[ERR_LEN];
    if (data_describe(&inf->cfg, &inf->info, why))
        return err_set(err, "%s: its dataset %s (for the class names and input normalisation): %s", checkpoint,
                       inf->cfg.dataset, why);
    const Dataset *d = &inf->info;
    inf->classes = d->classes;
    inf->max_batch = max_batch;
    if ((!strcmp(inf->cfg.dataset, "mnist") || !strcmp(inf->cfg.dataset, "fashion-mnist")) && inf->cfg.pad &&
        d->height == 32)
        inf->inner = 28;
    if (model_create(&inf->model, inf->cfg.model, &inf->cfg, d->channels, d->height, d->width, d->classes, max_batch,
                     inf->cfg.seed, why)) {
        err_set(err, "%s: cannot rebuild its model: %s", checkpoint, why);
        inference_close(inf);
        return -1;
    }
    if (checkpoint_load_weights(checkpoint, inf->model, err)) {
        inference_close(inf);
        return -1;
    }
    return 0;
}

void inference_close(Inference *inf) {
    model_free(inf->model);
    inf->model = NULL;
    dataset_free(&inf->info);
}

/* The centre box of a w x h image with the aspect of ow x oh that covers it: scale so the image just covers
 * ow x oh, then crop (in source pixels). */
static void cover_box(int w, int h, int ow, int oh, double *x0, double *y0, double *cw, double *ch) {
    const double s = fmax((double)ow / w, (double)oh / h); /* output pixels per source pixel */
    *cw = ow / s;
    *ch = oh / s;
    *x0 = (w - *cw) / 2;
    *y0 = (h - *ch) / 2;
}

int inference_image(const Inference *inf, const char *path, real *x, int b, int B, char err[ERR_LEN]) {
    const Dataset *info = &inf->info;
    const int C = info->channels, H = info->height, W = info->width;
    Image img;
    if (image_read(&img, path, C, info->stored_side ? info->stored_side : H, err)) return -1;
    /* a one-image dataset, filled as the loaders fill theirs, then batched by data_fill_batch */
    Dataset one;
    const int S = info->stored_side;
    if (dataset_alloc(&one, 1, C, S ? S : H, S ? S : W, info->classes, err)) {
        image_free(&img);
        return -1;
    }
    one.height = H;
    one.width = W;
    one.stored_side = S;
    memcpy(one.mean, info->mean, sizeof one.mean);
    memcpy(one.std, info->std, sizeof one.std);
    int rc = 0;
    if (S) {
        one.source_size = malloc(sizeof *one.source_size);
        rc = !one.source_size ? err_set(err, "%s: out of memory", path) : imagefolder_store(&one, 0, &img, err);
    } else {
        const int ih = inf->inner ? inf->inner : H, iw = inf->inner ? inf->inner : W;
        const int top = (H - ih) / 2, left = (W - iw) / 2; /* IDX padding: 2 pixels each side */
        if (img.width == iw && img.height == ih) {
            for (int c = 0; c < C; c++)
                for (int y = 0; y < ih; y++)
                    memcpy(one.pixels + ((size_t)c * H + top + y) * W + left, img.pixels + ((size_t)c * ih + y) * iw,
                           (size_t)iw);
        } else if ((rc = image_shrink_to(&img, ih < iw ? ih : iw, err)) == 0) {
            real *tmp = malloc(sizeof *tmp * (size_t)C * ih * iw);
            if (!tmp) {
                rc = err_set(err, "%s: out of memory", path);
            } else {
                double x0, y0, cw, ch;
                cover_box(img.width, img.height, iw, ih, &x0, &y0, &cw, &ch);
                image_sample(img.pixels, C, img.width, img.height, x0, y0, cw, ch, iw, ih, tmp, (size_t)ih * iw);
                for (int c = 0; c < C; c++)
                    for (int y = 0; y < ih; y++)
                        for (int xx = 0; xx < iw; xx++) {
                            const real v = tmp[((size_t)c * ih + y) * iw + xx] + (real)0.5;
                            one.pixels[((size_t)c * H + top + y) * W + left + xx] =
                                v <= 0 ? 0 : v >= 255 ? 255 : (uint8_t)v;
                        }
                free(tmp);
            }
        }
    }
    image_free(&img);
    if (!rc) {
        /* data_fill_batch writes [C][B][H][W] for its own B: gather one image, then place it at b */
        real *single = malloc(sizeof *single * (size_t)C * H * W);
        int32_t label, index = 0;
        if (!single) {
            rc = err_set(err, "%s: out of memory", path);
        } else {
            data_fill_batch(&one, &index, 1, single, &label, NULL, NULL);
            for (int c = 0; c < C; c++)
                memcpy(x + ((size_t)c * B + b) * H * W, single + (size_t)c * H * W, sizeof *single * (size_t)H * W);
            free(single);
        }
    }
    dataset_free(&one);
    return rc;
}

void inference_softmax(const real *logits, int classes, double *probs) {
    double top = logits[0], sum = 0;
    for (int k = 1; k < classes; k++) top = fmax(top, logits[k]);
    for (int k = 0; k < classes; k++) sum += probs[k] = exp((double)logits[k] - top);
    for (int k = 0; k < classes; k++) probs[k] /= sum;
}

const char *inference_class_name(const Inference *inf, int k, char *buf, size_t size) {
    if (inf->info.label_names) return inf->info.label_names[k];
    snprintf(buf, size, "%d", k);
    return buf;
}
