/* A trained model in use: rebuilt from a checkpoint alone (its stored settings), and images turned into its
 * input exactly as its dataset's evaluation images are (`cohort predict`, `cohort features`). */
#ifndef COHORT_INFERENCE_H
#define COHORT_INFERENCE_H

#include "config.h"
#include "data.h"
#include "errors.h"
#include "model.h"

typedef struct {
    TrainConfig cfg;   /* the checkpoint's settings (data_dir possibly overridden) */
    Dataset info;      /* the dataset's description (data_describe): shape, classes, normalisation, names */
    Model *model;      /* built for max_batch images, weights loaded */
    int max_batch;
    int classes;
    int inner;         /* IDX with pad: images are 28x28 inside the 32x32 input; else 0 */
} Inference;

/* Reads the checkpoint's settings, describes its dataset (data_dir replaced by data_dir_override when not
 * NULL), builds the model and loads the weights. Every failure is bad input (a missing or corrupt checkpoint,
 * a dataset that cannot be described): err names the file. */
int inference_open(Inference *inf, const char *checkpoint, const char *data_dir_override, int max_batch,
                   char err[ERR_LEN]);
void inference_close(Inference *inf);

/* Decodes an image file (PNG or JPEG) into input b of x ([C][B][H][W], B images), as the dataset's test
 * images are made: converted to the model's channels (gray or RGB); image folders resize the shorter side to
 * stored_side and crop the centre; the fixed-size datasets scale the image to cover their image size
 * (28x28 for padded IDX, then padded) and crop the centre, an image of exactly that size passing unchanged. */
int inference_image(const Inference *inf, const char *path, real *x, int b, int B, char err[ERR_LEN]);

/* Softmax of one image's logits into probs [classes]. */
void inference_softmax(const real *logits, int classes, double *probs);
/* The class name of k (the dataset's label names, else its number). */
const char *inference_class_name(const Inference *inf, int k, char *buf, size_t size);

#endif
