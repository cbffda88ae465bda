/* Datasets: images kept as bytes, normalised into the model's input layout one mini-batch at a time.
 *
 * Loaders: IDX (MNIST, Fashion-MNIST; gzipped or plain), CIFAR-10 and CIFAR-100 binary (unpacked or the
 * official tarballs), image folders of PNG/JPEG files (ImageNet-style), and a seeded synthetic set. Every failure (missing, truncated or inconsistent file) names the file and what is
 * wrong. */
#ifndef COHORT_DATA_H
#define COHORT_DATA_H

#include <stdint.h>

#include "config.h"
#include "errors.h"
#include "image.h"
#include "real.h"
#include "rng.h"

#define DATA_MAX_CHANNELS 3
#define IMAGEFOLDER_DEFAULT_SIZE 224 /* image_size auto */

typedef struct {
    char name[32];
    int count, channels, height, width, classes;
    uint8_t *pixels;   /* [count][channels][height][width], raw 0..255 */
    int32_t *labels;   /* [count], each in [0, classes) */
    /* per-channel normalisation: x = (pixel / 255 - mean[c]) / std[c] */
    float mean[DATA_MAX_CHANNELS], std[DATA_MAX_CHANNELS];
    char (*label_names)[64]; /* [classes] or NULL when the dataset has no label-name file */
    /* Image folders: pixels hold each whole image resized (aspect not kept) to stored_side x stored_side, and
     * source_size its original {width, height}; data_fill_batch crops and resizes from there to height x width
     * (random resized crop or resize + centre crop). stored_side 0 and source_size NULL for the fixed-size
     * datasets, whose pixels are already height x width. */
    int stored_side;
    int32_t (*source_size)[2];
} Dataset;

typedef struct {
    Dataset train, val, test;  /* val.count == 0 when there is no validation split */
} DataSplits;

/* Loads what cfg names (dataset, data_dir, pad, val_split, limits, synthetic shape). train_limit and
 * test_limit keep the first N images of the files; the validation set is then the LAST
 * round(val_split * N) training images, in file order. The synthetic set is generated from a fixed data
 * seed, not cfg->seed, so runs that differ in seed see the same images. On failure *out is left empty. */
int data_load(DataSplits *out, const TrainConfig *cfg, char err[ERR_LEN]);
/* The image shape and class count cfg's dataset has, without reading it (MNIST and Fashion-MNIST are 28x28,
 * 32x32 with `pad`; CIFAR 3x32x32; synthetic its input_shape). Non-zero when the dataset is unknown or its
 * input_shape malformed. */
int data_expected_shape(const TrainConfig *cfg, int *channels, int *height, int *width, int *classes);
/* What a model trained on cfg's dataset expects of one image, without keeping the images: name, shape
 * (channels, height, width, stored_side), classes, mean/std and label names; count 0, no pixels. Image
 * folders list their class folders only; the other datasets are loaded (IDX and CIFAR files, the synthetic
 * set) and their test split's description kept. */
int data_describe(const TrainConfig *cfg, Dataset *out, char err[ERR_LEN]);
void data_free(DataSplits *splits);
void dataset_free(Dataset *d);
/* Allocates a zero-filled dataset of this shape: pixels and labels zeroed, mean 0 and std 1 for every
 * channel, label_names NULL, name "". Free with dataset_free. */
int dataset_alloc(Dataset *d, int count, int channels, int height, int width, int classes, char err[ERR_LEN]);
/* Bytes of one image in d->pixels: channels * height * width, or channels * stored_side^2 for image folders. */
size_t dataset_image_bytes(const Dataset *d);

/* Default directory for a dataset name ("" when it has none). */
const char *data_default_dir(const char *dataset);

/* Individual loaders. pad_to > height zero-pads each image centred to pad_to x pad_to (28 -> 32 adds 2 on
 * each side). Labels must be 0..9 (classes = 10). mean/std are the file's own pixel statistics (unpadded);
 * label_names NULL (data_load sets the dataset's constants and names). */
int idx_load(Dataset *out, const char *images_path, const char *labels_path, int pad_to, char err[ERR_LEN]);
/* files: NULL-terminated list of CIFAR-10 batch files, concatenated in order. Label names are read from
 * batches.meta.txt in the directory of files[0] when it exists. mean/std: the standard CIFAR-10 constants. */
int cifar10_load(Dataset *out, const char *const *files, char err[ERR_LEN]);
/* Label names from fine_label_names.txt or coarse_label_names.txt next to `file`, when present. */
int cifar100_load(Dataset *out, const char *file, int coarse_labels, char err[ERR_LEN]);
/* Train and test sets straight from the official cifar-10-binary.tar.gz / cifar-100-binary.tar.gz, members
 * exactly as distributed (cifar-10-batches-bin/data_batch_1..5.bin, test_batch.bin, batches.meta.txt;
 * cifar-100-binary/train.bin, test.bin, fine_label_names.txt or coarse_label_names.txt, required). The
 * pickled "python version" archives are refused with a message naming the binary one to download. */
int cifar_load_archive(DataSplits *out, const char *path, int cifar100, int coarse_labels, char err[ERR_LEN]);

/* Image folders: root/train/<class>/<image> and root/val/<class>/<image> (PNG or JPEG: .png .jpg .jpeg, any
 * case; other files are ignored). Classes are the train folder's subfolders in byte order (as torchvision's
 * ImageFolder), label names their folder names; the val folder may lack classes but not add any. val becomes
 * the test split. Every image is decoded once, to RGB, and kept at stored_side = round(image_size * 256 / 224)
 * (see Dataset). mean/std: the ImageNet constants. An empty class folder, a corrupt image or a missing folder
 * fails naming it. */
int imagefolder_load(DataSplits *out, const char *root, int image_size, char err[ERR_LEN]);
/* The class names of an image folder (its train subfolders, sorted) without decoding anything: *names is
 * malloc'd [*classes]. */
int imagefolder_classes(const char *root, char (**names)[64], int *classes, char err[ERR_LEN]);
/* data_describe for an image folder. */
int imagefolder_describe(Dataset *out, const char *root, int image_size, char err[ERR_LEN]);
/* stored_side for an input side (256 for 224). */
int imagefolder_stored_side(int image_size);
/* Stores decoded RGB img as image i of an image-folder dataset d (stored_side and source_size allocated):
 * the whole image resized to stored_side x stored_side, its original size in source_size[i]. img may be
 * shrunk in place. */
int imagefolder_store(Dataset *d, int i, Image *img, char err[ERR_LEN]);
/* Learnable synthetic classes: each class a smooth random prototype; images are prototype + noise.
 * Depends on seed only; mean/std are the training set's statistics; label names "class0", "class1", ... */
void synthetic_make(Dataset *train, Dataset *test, int channels, int height, int width, int classes, int n_train,
                    int n_test, uint64_t seed);

typedef struct {
    int crop_pad;   /* random crop after zero-padding this many pixels on each side (0 = none) */
    int hflip;      /* random horizontal flip with probability 1/2 */
    /* image folders: random resized crop (scale 0.08..1, aspect 3/4..4/3, as torchvision) + flip, drawn from an
     * Rng seeded by (seed, epoch, image index) alone, so a crop never depends on batch order or threads */
    int resized_crop;
    uint64_t seed;
    int epoch;
} Augment;

/* Gathers images indices[0..B) into x, layout [C][B][H][W] (the engine's spatial layout), normalised;
 * labels[b] = label of indices[b]. aug may be NULL (no augmentation); rng is used only by augmentation.
 * Per image, in order: crop offsets top then left, each rng_below(rng, 2*crop_pad+1) into the zero-padded
 * image (when crop_pad > 0; padding pixels are raw 0 before normalisation), then flip if
 * rng_uniform(rng) < 0.5 (when hflip). */
/* The random resized crop of image `index` (original size w x h) in epoch `epoch` of a run seeded `seed`: box
 * left, top, cw x ch in original pixels, and whether it is flipped (when augmenting with hflip). */
void data_resized_crop_box(uint64_t seed, int epoch, int index, int w, int h, int *left, int *top, int *cw, int *ch,
                           int *flip);
/* Image folders (stored_side > 0) instead: with aug->resized_crop, the random resized crop and flip above
 * (rng unused); without, resize the shorter side to stored_side and take the centre height x width. */
void data_fill_batch(const Dataset *d, const int32_t *indices, int B, real *x, int32_t *labels, const Augment *aug,
                     Rng *rng);

#endif
