/* A run's settings. One key table serves `cohort train --key value`, the JSON trial configs that
 * sweeps produce, and the database: train_config_set() is the only way a key gets a value, so a key
 * means the same thing everywhere and unknown keys or malformed values are caught in one place. */
#ifndef COHORT_CONFIG_H
#define COHORT_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

typedef struct {
    /* what to train */
    char model[32];         /* mlp | lenet | ... (see `cohort models`) */
    char hidden[64];        /* mlp hidden widths, comma separated, e.g. "256,128" */
    char dataset[32];       /* fashion-mnist | mnist | synthetic | cifar10 | cifar100 | imagefolder */
    char data_dir[512];     /* "" = the dataset's default directory; cifar10/100 also a .tar.gz */
    int image_size;         /* imagefolder: side of the square model input in pixels; -1 auto (224) */
    int pad;                /* 28x28 IDX images zero-padded to 32x32 (1) or kept (0) */
    int coarse_labels;      /* cifar100: the 20 coarse labels instead of the 100 fine ones */
    int augment;            /* -1 = the dataset's default (on for CIFAR), 0 off, 1 crop+flip */
    double val_split;       /* fraction of the training set held out for validation (0 = none) */
    int train_limit;        /* use only the first N training images (0 = all); for quick runs */
    int test_limit;         /* use only the first N test images (0 = all) */
    /* the synthetic dataset */
    char input_shape[32];   /* "CxHxW", e.g. "1x32x32" */
    int classes;            /* synthetic class count */
    int synthetic_train;    /* images */
    int synthetic_test;
    /* architecture options (model-specific; ignored by models that do not use them) */
    char shortcut[4];       /* CIFAR ResNets: "B" 1x1 conv + BN projection (default) | "A" zero-padded identity */
    double dropout;         /* dropout probability; -1 = auto, the model's own default (model_dropout) */
    double width;           /* channel width multiplier of VGG, ResNet-18..152, AlexNet (1 = the standard widths) */
    char stem[12];          /* ResNet-18..152, VGG: "imagenet" | "cifar" | "auto" (cifar under 64 pixels) */
    int bn;                 /* batch norm in VGG and LeNet: -1 auto (by name), 0, 1 */
    int aux;                /* GoogLeNet / Inception-v3 auxiliary classifiers: -1 auto (off), 0, 1 */
    int se;                 /* squeeze-and-excitation in the ResNet families' blocks: -1 auto (off), 0, 1 */
    int deploy;             /* RepVGG's deploy form (one 3x3 conv with bias a block): -1 auto (off), 0, 1 */
    int growth;             /* densenet_bc growth rate; -1 auto */
    int dim, heads, mlp_dim, patch; /* ViT and Mixer shape */
    int depth;              /* ViT/Mixer blocks, resnet_cifar and densenet_bc layers; -1 auto (model_depth) */
    char pool[8];           /* ViT: "cls" | "mean" */
    double attn_dropout;    /* ViT attention dropout */
    char gelu[8];           /* "erf" (exact) | "tanh" */
    int token_mlp_dim, channel_mlp_dim;    /* Mixer */
    /* recipe */
    char optimizer[8];      /* sgd | adamw */
    double beta1, beta2, adam_eps;         /* AdamW */
    double grad_clip;       /* clip gradients to this global L2 norm (0 = off) */
    int wd_norm_bias;       /* weight decay also on normalisation parameters and biases (PyTorch's default) */
    char milestones[64];    /* multistep schedule: epochs at which lr *= gamma, e.g. "100,150" */
    int epochs;
    int batch_size;
    int micro_batch;        /* images per shard of a data-parallel step (0 = the whole batch in one pass) */
    int ranks_per_trial;    /* ranks that train one trial together (data parallel; needs micro_batch when > 1) */
    double lr;
    double momentum;
    int nesterov;
    double weight_decay;
    double label_smoothing;
    char schedule[16];      /* constant | step | multistep | cosine | onecycle */
    int step_size;          /* step schedule: epochs between decays */
    double gamma;           /* step schedule: decay factor */
    double warmup_epochs;   /* linear warmup from 0 (fractional epochs allowed) */
    uint64_t seed;
    int threads;            /* OpenBLAS threads for this run; 0 = cores / ranks on the node */
    char recompute[12];     /* what backward recomputes instead of keeping: none | norm | pointwise (default) */
} TrainConfig;

void train_config_defaults(TrainConfig *cfg);
/* Sets `key` from its text form ("0.1", "true", "lenet"). Non-zero with err "key: expected ..." on an
 * unknown key or a value of the wrong type or range. */
int train_config_set(TrainConfig *cfg, const char *key, const char *value, char err[ERR_LEN]);
/* Checks the combination (e.g. a known model and dataset, batch_size > 0). */
int train_config_validate(const TrainConfig *cfg, char err[ERR_LEN]);
/* The text form of a key's value (what train_config_set would accept). Non-zero for an unknown key. */
int train_config_format(const TrainConfig *cfg, const char *key, char *out, size_t size);
/* Every key as "key=value" lines (what checkpoints store); the text fits in TRAIN_CONFIG_TEXT_MAX bytes.
 * Returns the length written. */
#define TRAIN_CONFIG_TEXT_MAX 16384
size_t train_config_to_text(const TrainConfig *cfg, char *out, size_t size);
/* Defaults, then each "key=value" line of text (size bytes) through train_config_set. A key this build does
 * not know fails (err "line N: ..."). */
int train_config_from_text(TrainConfig *cfg, const char *text, size_t size, char err[ERR_LEN]);
/* A hash of every setting that affects a run's results (all keys but threads, ranks_per_trial and recompute), to
 * match checkpoints. */
uint64_t train_config_fingerprint(const TrainConfig *cfg);
/* Number of known keys and their names, for --help and for sweeps' validation. */
int train_config_key_count(void);
const char *train_config_key_name(int index);
const char *train_config_key_help(int index);
/* The kind of value a key takes: 'i' integer, 'f' number, 'b' boolean, 's' string. */
char train_config_key_type(const char *key);

#endif
