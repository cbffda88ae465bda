/* Models: a list of layers over tensor slots, with every parameter, gradient, activation and scratch
 * buffer living in arenas allocated once when the model is built for a maximum batch size.
 *
 *   params  [P]  all weights and biases, flat, in layer order (conv/linear weight then bias; BN gamma then beta)
 *   grads   [P]  lines up with params element for element
 *   buffers [Q]  non-trained state (BN running mean and variance), saved in checkpoints
 *   acts         tensor slots' values for max_batch images: kept from forward for backward where a backward
 *                reads them, else reused once their last forward reader has run (act_plan.c)
 *   act_grads    activation gradients; slots whose gradients are never alive at once share a region
 *                (grad_plan.c), so this is far smaller than acts
 *   saved        per-layer state for backward (BN batch mean / inverse std / scale, LN per-token mean / inverse std,
 *                dropout masks, max-pool window positions, attention probabilities and attention-dropout masks)
 *   workspace    shared scratch (im2col, the patch matrix of a patch embedding, attention's [T][T] blocks),
 *                sized for the largest layer
 * A training step therefore allocates nothing. */
#ifndef COHORT_MODEL_H
#define COHORT_MODEL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "errors.h"
#include "ops.h"
#include "real.h"
#include "rng.h"

/* The most inputs one layer takes (a DenseNet block's concatenation: every earlier layer of the block). */
#define LAYER_MAX_INPUTS 64

typedef enum {
#define OP(name) LAYER_##name,
#include "ops/op_list.h"
#undef OP
    LAYER_KIND_COUNT
} LayerKind;

/* How a layer's parameters are initialised (builder_finish). */
typedef enum {
    INIT_TORCH_DEFAULT,  /* PyTorch's nn.Linear/Conv2d default: weight and bias uniform in +-1/sqrt(fan_in) */
    INIT_TORCH_ZERO_BIAS, /* weight as INIT_TORCH_DEFAULT, bias 0 (nn.MultiheadAttention's out_proj) */
    INIT_TRUNC_NORMAL,   /* weight normal(0, init_std) truncated to +-2 init_std; bias 0 (timm's ViT linears) */
    INIT_XAVIER_UNIFORM, /* weight uniform in +-sqrt(6 / (fan_in + fan_out)); bias 0 (nn.MultiheadAttention's
                          * in_proj, timm's MLP-Mixer linears) */
    INIT_KAIMING_FAN_OUT, /* weight normal(0, sqrt(2 / fan_out)), bias as PyTorch's default: builder_conv's */
    INIT_KAIMING_FAN_OUT_ZERO_BIAS, /* the same with bias 0 (torchvision's VGG convolutions) */
    INIT_KAIMING_FAN_IN, /* weight normal(0, sqrt(2 / fan_in)), bias 0 (torchvision's DenseNet) */
    INIT_KAIMING_UNIFORM_FAN_IN, /* weight uniform in +-sqrt(6 / fan_in), bias 0 (torchvision's SqueezeNet) */
    INIT_NORMAL,         /* weight normal(0, init_std), bias 0 (torchvision's VGG/AlexNet-style classifiers at
                          * 0.01; GoogLeNet's and Inception-v3's truncated normals, whose +-2 bounds lie 20 and
                          * more standard deviations out) */
    INIT_NORMAL_TORCH_BIAS, /* weight normal(0, init_std), bias as PyTorch's default (GoogLeNet's, Inception-v3's fc) */
} ParamInit;

/* A tensor slot: per-image shape and where its values and gradients live. Spatial slots are stored
 * [C][B][H][W]. Flat slots have W = 1 and hold H tokens of C features per image, stored [B][H][C] row-major,
 * i.e. B*H rows of C: plain feature vectors and logits are the H = 1 case ([B][C]); ViT and MLP-Mixer
 * activations are token tensors [B][T][D] (C = D features, H = T tokens). A linear layer over a flat slot
 * applies to every token (one GEMM over B*H rows), like PyTorch's nn.Linear on a [B, T, D] tensor. */
typedef struct {
    int C, H, W;
    bool flat;
    size_t offset;       /* into acts (slots of an in-place ReLU share one; over time, slots no backward reads) */
    size_t grad_offset;  /* into act_grads (shared over time, see grad_plan.c); SIZE_MAX for the input image */
    /* the slot whose region this one shares by design, whatever the time: itself, the root of its in-place ReLU
     * chain, or a fused linear layer's add output (builder_finish). Slots whose regions merely follow one another
     * in time share an offset but not this. */
    int region_of;
} TensorSlot;

typedef struct {
    LayerKind kind;
    int in, out;         /* slot indices: the first input, the output */
    int inputs[LAYER_MAX_INPUTS]; /* every input, inputs[0] == in (a residual add has 2, a concatenation any) */
    int input_count;
    size_t weight, bias; /* offsets into params/grads, SIZE_MAX when absent */
    size_t weight_count, bias_count;
    size_t buffer;       /* offset into buffers (BN running mean, then running var) */
    size_t saved;        /* offset into saved (reals; max-pool window positions stored as bytes in the same space) */
    int kernel, stride, pad;   /* pooling (square); kernel is also the patch size of LAYER_PATCH_EMBED; a square
                                * convolution's kernel and padding */
    int kernel_h, kernel_w, pad_h, pad_w; /* LAYER_CONV: kernel rows x columns, padding of rows and of columns */
    int groups;                /* LAYER_GROUPED_CONV: channel groups (> 1); LAYER_CHANNEL_SHUFFLE: its groups */
    bool ceil_mode;            /* LAYER_MAXPOOL, LAYER_AVGPOOL: PyTorch's ceil_mode output sizes */
    real dropout_p;            /* LAYER_DROPOUT; attention dropout of LAYER_ATTENTION */
    int heads;                 /* LAYER_ATTENTION */
    int token;                 /* LAYER_TOKEN_SELECT: the token; LAYER_TOKEN_MEAN: the first token averaged;
                                * LAYER_CHANNEL_SLICE: the first channel */
    bool gelu_tanh;            /* LAYER_GELU: tanh approximation instead of the exact erf form */
    real eps;                  /* LAYER_LAYERNORM, LAYER_BATCHNORM */
    real momentum;             /* LAYER_BATCHNORM: of the running statistics (PyTorch's, 0.1 by default) */
    ParamInit init;            /* LAYER_LINEAR, LAYER_PATCH_EMBED */
    /* gradient regions that become live at this layer's backward (zeroed there): bit k for inputs[k] */
    uint64_t zero_input_grads;
    bool zero_out_grad;
    bool write_in_grad; /* the input's region becomes live here too, and the backward writes it (GRAD_WRITE) */
    /* The fusion plan, set by builder_finish; each step reads only its own layer:
     * - a batch norm or residual add whose output feeds only an in-place ReLU runs both (batchnorm_relu_*,
     *   add_relu_*): relu_after on it, and the ReLU skips its forward and backward;
     * - a linear layer whose output feeds only the residual add after it writes that add's output itself
     *   (linear_add_forward): add_residual and add_output name the add's other input and its output (else -1),
     *   and the add skips its forward (its backward, which passes the gradient through, runs as usual). */
    bool relu_after;
    int add_residual, add_output;
    bool skip_forward, skip_backward; /* done by the step before */
    /* LAYER_LINEAR over tokens: its first first_token_outputs outputs are computed (and their gradients taken)
     * for each sample's first token only (linear_first_token_*): the queries of a ViT's last-block QKV
     * projection feeding attention from the class token alone. 0: every output for every token. */
    int first_token_outputs;
    real init_std;             /* INIT_TRUNC_NORMAL; LAYER_CLS_POS: class token and position embedding normal(0, std) */
    bool aux_only;             /* feeds only auxiliary heads: skipped by evaluation-mode forwards */
    /* Replayed outputs (act_plan.c): the layers whose outputs model_backward recomputes right before this layer's
     * backward, as a list: replay_first (-1: none), then each such layer's replay_next. */
    int replay_first, replay_next;
} Layer;

/* Auxiliary classifiers (GoogLeNet's, Inception-v3's): heads whose losses, weighted, are added to the main
 * head's in training, and which evaluation ignores. */
#define MODEL_MAX_AUX 4

/* One trainable tensor, for the optimiser: weight decay applies to `decay` tensors. */
typedef struct {
    size_t offset, count;
    bool decay;          /* false for biases and normalisation parameters */
} ParamTensor;

typedef struct Model {
    char name[32];
    int max_batch;
    int thread_slots;    /* threads that may use the workspace at once: engine_threads() when built */
    int input_slot, output_slot;
    int aux_count;
    int aux_slots[MODEL_MAX_AUX];      /* each head's logits [B][classes] */
    double aux_weights[MODEL_MAX_AUX]; /* its loss weight in the training objective */
    real *aux_probs;                   /* [aux_count][max_batch][classes], the heads' softmax for backward */
    int layer_count, slot_count, tensor_count;
    Layer *layers;
    TensorSlot *slots;
    ParamTensor *tensors;
    size_t param_count, buffer_count, act_count, act_grad_count, saved_count, workspace_count;
    real *params, *grads, *buffers, *acts, *act_grads, *saved, *workspace;
    /* Optional per-op-kind timing (`cohort bench`): seconds in forward [kind][0] and backward [kind][1]. */
    bool profiling;
    double profile_seconds[LAYER_KIND_COUNT][2];
    Rng dropout_rng;     /* seeded with the run, advanced by training-mode dropout */
} Model;

/* Builds `name` for input CxHxW and `classes` outputs, with its options taken from cfg (hidden widths, ...).
 * Arenas are sized for max_batch images. Parameters are initialised from seed. */
int model_create(Model **out, const char *name, const TrainConfig *cfg, int C, int H, int W, int classes,
                 int max_batch, uint64_t seed, char err[ERR_LEN]);
void model_free(Model *model);
/* The trainable parameter count of a model without building its arenas (cheap even for ResNet-50). */
/* What `cohort models` lists of a model without building its arenas: parameters, forward FLOPs per image and
 * which form of the architecture the settings and input chose (e.g. "ImageNet stem"; "" when it has one). */
typedef struct {
    size_t params;
    double forward_flops;
    char form[64];
} ModelSummary;
int model_summarise(const char *name, const TrainConfig *cfg, int C, int H, int W, int classes, ModelSummary *out,
                    char err[ERR_LEN]);
int model_count_parameters(const char *name, const TrainConfig *cfg, int C, int H, int W, int classes, size_t *count,
                           char err[ERR_LEN]);
/* Trainable parameter count (as PyTorch's sum of numel over parameters()). */
size_t model_parameter_count(const Model *model);

/* x: [C][B][H][W] input for B <= max_batch images. Returns the logits [B][classes] (inside acts). */
const real *model_forward(Model *model, const real *x, int B, bool training);
/* Zeroes the parameter and activation gradients. */
void model_zero_grads(Model *model);
/* The gradient of the logits ([B][classes], to be filled by the loss), then model_backward. */
real *model_logits_grad(Model *model);
void model_backward(Model *model, int B);
/* One training step's loss after a training-mode forward: the main head's softmax cross-entropy (mean over the
 * batch; probs [B][classes] receives its softmax) is returned, and *objective gets the loss training minimises:
 * the main one plus each auxiliary head's, times its weight (the main one alone without auxiliary heads). */
double model_loss(Model *model, real *probs, const int32_t *labels, int B, real smoothing, double *objective);
/* Zeroes the gradients, sets the logits' gradients of the objective (probs from model_loss) and runs backward. */
void model_loss_backward(Model *model, const real *probs, const int32_t *labels, int B, real smoothing);

/* Profiling for `cohort bench` (model_profile.c): turn timing on and zero it; the multiply-add FLOPs of one
 * forward pass (convolutions, linear layers, attention; x2 per multiply-add); a table of time per op kind. */
void model_profile_reset(Model *model);
double model_forward_flops(const Model *model, int B);
void model_profile_print(const Model *model, FILE *out);
/* The steps the model runs (fused pairs named, e.g. batchnorm+relu, linear+add), each with its output shape,
 * parameters and forward FLOPs per image: `cohort models --plan`. */
void model_plan_print(const Model *model, FILE *out);
/* Layer names, as the plan's last column shows them: the op's name and its count among the model's layers of
 * that op, from 1 (conv1, relu1, maxpool1, conv2, ...). model_find_layer: the layer's index, or -1. */
void model_layer_name(const Model *model, int layer, char *out, size_t size);
int model_find_layer(const Model *model, const char *name);
/* The slot holding a layer's result after a forward pass: its output, or the residual add's output that a
 * fused linear+add writes instead. */
int model_layer_result_slot(const Model *model, int layer);
/* An evaluation-mode forward pass that stops after layer `last`; returns that layer's result slot values
 * (a ReLU fused into the layer, batchnorm+relu or add+relu, is applied; an in-place ReLU after it is not). */
const real *model_forward_to(Model *model, const real *x, int B, int last);
const char *layer_kind_name(LayerKind kind);

/* RepVGG's re-parameterisation (reparameterise.c): sets the parameters of `deploy` (a repvgg_* built with
 * `deploy`, same name and input) from the trained training-time model `train`, so that deploy's outputs equal
 * train's in evaluation mode (its batch norms' running statistics folded in). Non-zero, with err, when the two do
 * not correspond block for block. */
int repvgg_reparameterise(const Model *train, Model *deploy, char err[ERR_LEN]);

/* The registry, for `cohort models` and validation. */
int model_registry_count(void);
const char *model_registry_name(int index);
const char *model_registry_help(int index);
bool model_is_known(const char *name);

#endif
