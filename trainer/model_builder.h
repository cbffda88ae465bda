/* Building a model: architectures (the files of trainer/models/) describe their layers through these calls,
 * which return tensor slot indices; builder_finish() then plans the fused steps, sizes and allocates the arenas
 * once and initialises the parameters. Internal to the trainer. */
#ifndef COHORT_MODEL_BUILDER_H
#define COHORT_MODEL_BUILDER_H

#include "model.h"

/* What a training step recomputes in backward instead of keeping from forward (the `recompute` setting,
 * act_plan.c); the results are the same bits. Each level adds to the one before it. */
typedef enum {
    RECOMPUTE_NONE,      /* every value some backward reads is kept */
    RECOMPUTE_NORM,      /* batch norm (+ ReLU) outputs, from their inputs and saved statistics: one pass */
    RECOMPUTE_POINTWISE, /* 1x1 stride-1 convolution outputs too: their multiply-adds again */
    RECOMPUTE_NEVER      /* a descriptor's answer for a layer not worth recomputing at any level */
} Recompute;

/* The level a `recompute` setting names: none, norm, or else pointwise (train_config_validate accepts only
 * these three names). */
Recompute recompute_level(const char *name);

typedef struct {
    Model *model;
    Recompute recompute; /* RECOMPUTE_POINTWISE unless the model's settings say otherwise */
    int layer_capacity, slot_capacity, tensor_capacity;
    char err[ERR_LEN];
    bool failed;
    char form[64]; /* which form of the architecture was built, e.g. "ImageNet stem"; "" when it has one */
} ModelBuilder;

/* Settings whose "auto" (-1) means the model's own default. */
static inline double model_dropout(const TrainConfig *cfg, double model_default) {
    return cfg->dropout < 0 ? model_default : cfg->dropout;
}
static inline int model_depth(const TrainConfig *cfg, int model_default) {
    return cfg->depth < 0 ? model_default : cfg->depth;
}
/* The stem rule of the torchvision families that also have a CIFAR form (ResNet-18..152, VGG): `stem` when
 * given, else the CIFAR form for inputs under 64 pixels on either side, where the ImageNet stem's downsampling
 * by 4 (VGG: the 7x7 classifier input) would leave too little of the image. */
bool builder_cifar_form(const ModelBuilder *mb, const TrainConfig *cfg);

void builder_start(ModelBuilder *mb, Model *model, int C, int H, int W);
/* For the builder functions of the op files: a new tensor slot, a new layer of `kind` reading slot `in` (one
 * input; set inputs/input_count for more), and a build error (returns 0; the first error is kept). */
int builder_new_slot(ModelBuilder *mb, int C, int H, int W, bool flat);
Layer *builder_new_layer(ModelBuilder *mb, LayerKind kind, int in);
int builder_fail(ModelBuilder *mb, const char *what);
int builder_input(const ModelBuilder *mb);
/* Convolution KxK; bias only when not followed by batch norm. Kaiming-normal (fan_out) weights. */
int builder_conv(ModelBuilder *mb, int x, int out_channels, int kernel, int stride, int pad, bool bias);
/* Convolution kernel_h x kernel_w with padding pad_h rows (top and bottom) and pad_w columns (left and right),
 * the same stride both ways: nn.Conv2d(C, OC, (kernel_h, kernel_w), stride, (pad_h, pad_w)), e.g. Inception-v3's
 * 1x7 with padding (0, 3). Weight [OC][C][kernel_h][kernel_w]; initialised as builder_conv's. */
int builder_conv_rect(ModelBuilder *mb, int x, int out_channels, int kernel_h, int kernel_w, int stride, int pad_h,
                      int pad_w, bool bias);
int builder_batchnorm(ModelBuilder *mb, int x); /* PyTorch's default eps 1e-5 */
int builder_batchnorm_eps(ModelBuilder *mb, int x, double eps);
/* ... and the running statistics' momentum (PyTorch's `momentum`; 0.1 in the two above) */
int builder_batchnorm_momentum(ModelBuilder *mb, int x, double eps, double momentum);
int builder_relu(ModelBuilder *mb, int x);
int builder_maxpool(ModelBuilder *mb, int x, int kernel, int stride, int pad);
int builder_avgpool(ModelBuilder *mb, int x, int kernel, int stride, int pad);
/* The same with PyTorch's ceil_mode=True (nn.MaxPool2d(kernel, stride, pad, ceil_mode=True)): output sizes
 * rounded up as pool_output_size says; windows past the input cover only its elements inside it. */
int builder_maxpool_ceil(ModelBuilder *mb, int x, int kernel, int stride, int pad);
int builder_avgpool_ceil(ModelBuilder *mb, int x, int kernel, int stride, int pad);
int builder_global_avgpool(ModelBuilder *mb, int x);
/* nn.AdaptiveAvgPool2d((out_h, out_w)) (ops/adaptive_avgpool.c): a spatial [C][out_h][out_w] output, any size
 * (larger than the input repeats input values; equal to it is the identity). */
int builder_adaptive_avgpool(ModelBuilder *mb, int x, int out_h, int out_w);
int builder_flatten(ModelBuilder *mb, int x);
/* PyTorch's default nn.Linear initialisation: weight and bias uniform in +-1/sqrt(fan_in). */
int builder_linear(ModelBuilder *mb, int x, int out_features, bool bias);
int builder_add(ModelBuilder *mb, int a, int b);
int builder_dropout(ModelBuilder *mb, int x, double p);
int builder_shortcut_pad(ModelBuilder *mb, int x, int out_channels, int stride);
/* Marks logits [B][classes] as an auxiliary head whose loss enters the training objective times `weight`. */
void builder_aux_output(ModelBuilder *mb, int logits, double weight);
/* Sets how the layer that produced y (a convolution or linear) initialises its weights and bias. */
void builder_set_init(ModelBuilder *mb, int y, ParamInit init, double std);
/* Convenience: conv (no bias) -> batch norm -> relu. */
int builder_conv_bn_relu(ModelBuilder *mb, int x, int out_channels, int kernel, int stride, int pad);
/* Squeeze-and-excitation (Hu et al. 2018): x times a per-channel gate from x's global average pool through a
 * linear layer to `squeezed` features, ReLU, a linear layer back to x's channels (both with bias, by `init`), and
 * a sigmoid (hard sigmoid when hard_gate: MobileNet V3's). */
int builder_squeeze_excite(ModelBuilder *mb, int x, int squeezed, bool hard_gate, ParamInit init);

/* Token tensors (flat slots [B][T][D], see model.h). A linear over a token tensor applies to every token;
 * builder_linear_init chooses its initialisation (std: INIT_TRUNC_NORMAL's standard deviation). */
int builder_linear_init(ModelBuilder *mb, int x, int out_features, bool bias, ParamInit init, double std);
/* PxP stride-P patches of a spatial input -> [B][(H/P)*(W/P)][dim] tokens, with bias; weight and bias by init. */
int builder_patch_embed(ModelBuilder *mb, int x, int dim, int patch, ParamInit init, double std);
/* Prepends a learned class token and adds a learned position embedding (both normal(0, std), no decay). */
int builder_cls_pos(ModelBuilder *mb, int x, double std);
/* LayerNorm over the features of every token: gamma 1, beta 0, not decayed (as biases). */
int builder_layernorm(ModelBuilder *mb, int x, double eps);
int builder_gelu(ModelBuilder *mb, int x, bool tanh_form);
/* Multi-head self-attention core over a fused qkv [B][T][3D] (the output of a linear to 3D) -> [B][T][D]. */
int builder_attention(ModelBuilder *mb, int qkv, int heads, double attn_dropout);
/* The same with only the first `queries` tokens as queries (all tokens as keys and values) -> [B][queries][D]. */
int builder_attention_queries(ModelBuilder *mb, int qkv, int heads, double attn_dropout, int queries);
int builder_token_transpose(ModelBuilder *mb, int x);       /* [B][T][D] -> [B][D][T] */
int builder_token_mean(ModelBuilder *mb, int x, int first); /* mean of tokens first..T-1 -> [B][D] */
int builder_token_select(ModelBuilder *mb, int x, int index);

/* Graph nodes of several inputs (their op files). */
int builder_concat(ModelBuilder *mb, const int *xs, int n);    /* channels concatenated in order */
int builder_sum(ModelBuilder *mb, const int *xs, int n);       /* elementwise sum in order */
int builder_channel_gate(ModelBuilder *mb, int x, int gate);   /* x [C][H][W] times gate [C] per image */

/* Efficient architectures' ops (their op files). nn.Conv2d(C, out_channels, kernel, stride, pad, groups=groups):
 * weight [out_channels][C/groups][kernel][kernel], Kaiming normal (fan_out) as builder_conv; groups 1 is
 * builder_conv itself, groups = C = out_channels a depthwise convolution. */
int builder_grouped_conv(ModelBuilder *mb, int x, int out_channels, int kernel, int stride, int pad, int groups,
                         bool bias);
int builder_channel_shuffle(ModelBuilder *mb, int x, int groups);
/* channels first .. first + count - 1 of x (torch.chunk along the channels) */
int builder_channel_slice(ModelBuilder *mb, int x, int first, int count);
int builder_relu6(ModelBuilder *mb, int x);
int builder_sigmoid(ModelBuilder *mb, int x);
int builder_hard_sigmoid(ModelBuilder *mb, int x);
int builder_hard_swish(ModelBuilder *mb, int x);
int builder_silu(ModelBuilder *mb, int x);

/* Architectures (the files of trainer/models/), registered in models/registry.c. Each returns the output slot
 * ([B][classes]); `name` is the requested model name (families like resnetN read their depth from it). */
int build_mlp(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);
int build_lenet(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);
/* models/vit.c: Vision Transformer and MLP-Mixer. */
int build_vit(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);
int build_mixer(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);
/* models/resnet.c: CIFAR ResNets of depth 6n+2 (resnet20, ..., any resnetN that cifar_resnet_accepts,
 * resnet_cifar), and torchvision's resnet18..resnet152. models/vgg.c: vgg11..vgg19 and vgg11_bn..vgg19_bn. */
int build_resnet_cifar(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);
bool cifar_resnet_accepts(const char *name);
int build_resnet_imagenet_style(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);
int build_vgg(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);
/* models/alexnet.c, nin.c, squeezenet.c (squeezenet1_0, squeezenet1_1), googlenet.c, inception_v3.c. */
int build_alexnet(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);
int build_nin(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);
int build_squeezenet(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);
int build_googlenet(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);
int build_inception_v3(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);
/* The bottleneck of torchvision's ResNet-50.. and ResNeXt (resnet.c): width floor(planes * base_width / 64)
 * times groups in the grouped 3x3 convolution, output 4x planes; with se, SE-ResNet's squeeze-and-excitation. */
int resnet_bottleneck(ModelBuilder *mb, int x, int planes, int stride, int groups, int base_width, bool se);
/* models/resnext.c: CIFAR ResNeXt-29 (resnext29, resnext29_<C>x<d>d); models/mobilenet.c: mobilenet_v1,
 * mobilenet_v2, mobilenet_v3_large, mobilenet_v3_small; models/shufflenet.c: shufflenet_v2_x0_5 .. x2_0. */
int build_resnext29(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);
bool resnext29_accepts(const char *name);
int build_mobilenet(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);
int build_shufflenet_v2(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);
/* models/xception.c: xception. */
int build_xception(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);
/* models/repvgg.c: repvgg_a0, repvgg_a1, repvgg_b0 in their training-time form. */
int build_repvgg(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);
/* models/densenet.c: densenet121/169/201 (torchvision's) and densenet_bc (CIFAR DenseNet-BC-100, growth 12). */
int build_densenet(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);

/* Allocates the arenas for max_batch and initialises parameters from seed. Non-zero on failure. */
int builder_finish(ModelBuilder *mb, int output, int max_batch, uint64_t seed, char err[ERR_LEN]);

/* Places the activation regions (act_plan.c): sets every slot's offset but those in values_unused, slots that
 * share a region (group_of) at one offset, regions whose values no backward reads reused once their last forward
 * reader has run, and the layers' replay lists. Returns the reals of acts, or SIZE_MAX when out of memory. */
size_t act_plan(Model *model, int max_batch, const int *group_of, const bool *values_unused, Recompute recompute);
/* Plans the activation-gradient regions (grad_plan.c): sets every slot's grad_offset, the layers' zeroing
 * flags and act_grad_count. group_of[s] is the slot whose activation region slot s shares (s itself, or the
 * input of the in-place ReLU chain it ends); slots of a group share one gradient. Returns -1 when out of
 * memory. */
int grad_plan(Model *model, int max_batch, const int *group_of);

#endif
