/* The model registry: every architecture `cohort models` lists and a run can name. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model_builder.h"

typedef int (*BuildFn)(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes);

typedef struct {
    const char *name;   /* listed name; families also accept other members (see `accepts`) */
    BuildFn build;
    const char *help;
    bool (*accepts)(const char *name); /* NULL: the exact name only */
} ModelEntry;

static const ModelEntry MODELS[] = {
    {"mlp", build_mlp, "multi-layer perceptron, ReLU; widths from `hidden`", NULL},
    {"lenet", build_lenet, "LeNet-5 (ReLU, max pool): conv5-6, conv5-16, fc120, fc84; `bn` (d2l's BN LeNet)", NULL},
    {"alexnet", build_alexnet, "AlexNet (torchvision: no LRN, 64-192-384-256-256, fc 4096-4096); `width`", NULL},
    {"nin", build_nin, "Network in Network, the paper's CIFAR-10 net: 3 mlpconv blocks, global average pool", NULL},
    {"vgg11", build_vgg, "VGG-11 (torchvision; CIFAR form: with BN, one linear); `stem`, `bn`, `width`, `dropout`",
     NULL},
    {"vgg13", build_vgg, "VGG-13 (torchvision; CIFAR form: with BN, one linear); `stem`, `bn`, `width`, `dropout`",
     NULL},
    {"vgg16", build_vgg, "VGG-16 (torchvision; CIFAR form: with BN, one linear); `stem`, `bn`, `width`, `dropout`",
     NULL},
    {"vgg19", build_vgg, "VGG-19 (torchvision; CIFAR form: with BN, one linear); `stem`, `bn`, `width`, `dropout`",
     NULL},
    {"vgg11_bn", build_vgg, "VGG-11 with batch norm (torchvision vgg11_bn)", NULL},
    {"vgg13_bn", build_vgg, "VGG-13 with batch norm (torchvision vgg13_bn)", NULL},
    {"vgg16_bn", build_vgg, "VGG-16 with batch norm (torchvision vgg16_bn)", NULL},
    {"vgg19_bn", build_vgg, "VGG-19 with batch norm (torchvision vgg19_bn)", NULL},
    {"resnet_cifar", build_resnet_cifar, "CIFAR ResNet of `depth` 6n+2 (He et al.; auto 20); `shortcut` A or B",
     NULL},
    {"resnet20", build_resnet_cifar, "CIFAR ResNet-20 (any other resnet<6n+2> too); `shortcut` A or B",
     cifar_resnet_accepts},
    {"resnet32", build_resnet_cifar, "CIFAR ResNet-32, 3 stages x 5 basic blocks (16/32/64 channels)", NULL},
    {"resnet44", build_resnet_cifar, "CIFAR ResNet-44, 3 stages x 7 basic blocks (16/32/64 channels)", NULL},
    {"resnet56", build_resnet_cifar, "CIFAR ResNet-56, 3 stages x 9 basic blocks (16/32/64 channels)", NULL},
    {"resnet110", build_resnet_cifar, "CIFAR ResNet-110, 3 stages x 18 basic blocks (16/32/64 channels)", NULL},
    {"resnet1202", build_resnet_cifar, "CIFAR ResNet-1202, 3 stages x 200 basic blocks (16/32/64 channels)", NULL},
    {"resnet18", build_resnet_imagenet_style, "torchvision ResNet-18 (basic blocks 2-2-2-2); `stem`, `width`", NULL},
    {"resnet34", build_resnet_imagenet_style, "torchvision ResNet-34 (basic blocks 3-4-6-3); `stem`, `width`", NULL},
    {"resnet50", build_resnet_imagenet_style, "torchvision ResNet-50 (bottlenecks 3-4-6-3); `stem`, `width`", NULL},
    {"resnet101", build_resnet_imagenet_style, "torchvision ResNet-101 (bottlenecks 3-4-23-3); `stem`, `width`",
     NULL},
    {"resnet152", build_resnet_imagenet_style, "torchvision ResNet-152 (bottlenecks 3-8-36-3); `stem`, `width`",
     NULL},
    {"resnext50_32x4d", build_resnet_imagenet_style,
     "torchvision ResNeXt-50 32x4d (grouped bottlenecks 3-4-6-3); `stem`, `width`", NULL},
    {"resnext101_32x8d", build_resnet_imagenet_style,
     "torchvision ResNeXt-101 32x8d (grouped bottlenecks 3-4-23-3); `stem`, `width`", NULL},
    {"resnext29", build_resnext29, "CIFAR ResNeXt-29 8x64d (Xie et al.); resnext29_<C>x<d>d for others, e.g. 2x64d",
     resnext29_accepts},
    {"mobilenet_v1", build_mobilenet, "MobileNet V1 (Howard et al.): 13 depthwise-separable blocks; `width` alpha, `stem`",
     NULL},
    {"mobilenet_v2", build_mobilenet, "MobileNet V2 (torchvision): inverted residuals, ReLU6; `width`, `stem`", NULL},
    {"mobilenet_v3_large", build_mobilenet,
     "MobileNet V3-Large (torchvision): hard swish, squeeze-and-excitation; `width`, `stem`", NULL},
    {"mobilenet_v3_small", build_mobilenet,
     "MobileNet V3-Small (torchvision): hard swish, squeeze-and-excitation; `width`, `stem`", NULL},
    {"shufflenet_v2_x0_5", build_shufflenet_v2, "ShuffleNet V2 0.5x (torchvision): channel split and shuffle; `stem`",
     NULL},
    {"shufflenet_v2_x1_0", build_shufflenet_v2, "ShuffleNet V2 1.0x (torchvision): channel split and shuffle; `stem`",
     NULL},
    {"shufflenet_v2_x1_5", build_shufflenet_v2, "ShuffleNet V2 1.5x (torchvision); `stem`", NULL},
    {"shufflenet_v2_x2_0", build_shufflenet_v2, "ShuffleNet V2 2.0x (torchvision); `stem`", NULL},
    {"xception", build_xception, "Xception (Chollet): separable-convolution residual blocks, 8 middle blocks; `stem`",
     NULL},
    {"repvgg_a0", build_repvgg, "RepVGG-A0 (Ding et al.), training-time 3x3 + 1x1 + identity branches; `stem`", NULL},
    {"repvgg_a1", build_repvgg, "RepVGG-A1 (Ding et al.), training-time branches; `stem`", NULL},
    {"repvgg_b0", build_repvgg, "RepVGG-B0 (Ding et al.), training-time branches; `stem`", NULL},
    {"googlenet", build_googlenet, "GoogLeNet / Inception v1 (torchvision, batch norm): 9 inception blocks", NULL},
    {"inception_v3", build_inception_v3, "Inception-v3 (torchvision): factorised 7x7 and 3x3, for 299x299", NULL},
    {"densenet121", build_densenet, "DenseNet-121 (torchvision: 7x7 stem, max pool, growth 32)", NULL},
    {"densenet169", build_densenet, "DenseNet-169 (torchvision: 7x7 stem, max pool, growth 32)", NULL},
    {"densenet201", build_densenet, "DenseNet-201 (torchvision: 7x7 stem, max pool, growth 32)", NULL},
    {"densenet_bc", build_densenet, "CIFAR DenseNet-BC (Huang et al.); `depth` 6n+4 (auto 100), `growth` (auto 12)",
     NULL},
    {"squeezenet1_0", build_squeezenet, "SqueezeNet 1.0 (torchvision): 8 Fire modules, 7x7 stem", NULL},
    {"squeezenet1_1", build_squeezenet, "SqueezeNet 1.1 (torchvision): 8 Fire modules, 3x3 stem, earlier pools",
     NULL},
    {"vit", build_vit, "Vision Transformer (pre-norm); `dim` `depth` `heads` `mlp_dim` `patch` `pool`", NULL},
    {"mixer", build_mixer, "MLP-Mixer; `dim` `depth` `patch` `token_mlp_dim` `channel_mlp_dim`", NULL},
};
#define MODEL_COUNT ((int)(sizeof MODELS / sizeof MODELS[0]))

int model_registry_count(void) { return MODEL_COUNT; }
const char *model_registry_name(int index) { return MODELS[index].name; }
const char *model_registry_help(int index) { return MODELS[index].help; }

static const ModelEntry *find_model(const char *name) {
    for (int i = 0; i < MODEL_COUNT; i++)
        if (!strcmp(MODELS[i].name, name)) return &MODELS[i];
    for (int i = 0; i < MODEL_COUNT; i++)
        if (MODELS[i].accepts && MODELS[i].accepts(name)) return &MODELS[i];
    return NULL;
}

bool model_is_known(const char *name) { return find_model(name) != NULL; }

/* Describes the model's layers without allocating its arenas. */
static Model *describe(const char *name, const TrainConfig *cfg, int C, int H, int W, int classes, ModelBuilder *mb,
                       int *output, char err[ERR_LEN]) {
    const ModelEntry *entry = find_model(name);
    if (!entry) {
        err_set(err, "model: unknown model '%s' (see `cohort models`)", name);
        return NULL;
    }
    Model *m = calloc(1, sizeof *m);
    if (!m) {
        err_set(err, "out of memory");
        return NULL;
    }
    snprintf(m->name, sizeof m->name, "%s", name);
    builder_start(mb, m, C, H, W);
    mb->recompute = recompute_level(cfg->recompute);
    *output = entry->build(mb, name, cfg, classes);
    return m;
}

int model_summarise(const char *name, const TrainConfig *cfg, int C, int H, int W, int classes, ModelSummary *out,
                    char err[ERR_LEN]) {
    memset(out, 0, sizeof *out);
    ModelBuilder mb;
    int output;
    Model *m = describe(name, cfg, C, H, W, classes, &mb, &output, err);
    if (!m) return -1;
    int rc = 0;
    if (mb.failed) rc = err_set(err, "%s", mb.err);
    out->params = m->param_count;
    out->forward_flops = rc ? 0 : model_forward_flops(m, 1);
    snprintf(out->form, sizeof out->form, "%s", mb.form);
    model_free(m);
    return rc;
}

int model_count_parameters(const char *name, const TrainConfig *cfg, int C, int H, int W, int classes, size_t *count,
                           char err[ERR_LEN]) {
    ModelSummary summary;
    int rc = model_summarise(name, cfg, C, H, W, classes, &summary, err);
    *count = summary.params;
    return rc;
}

int model_create(Model **out, const char *name, const TrainConfig *cfg, int C, int H, int W, int classes,
                 int max_batch, uint64_t seed, char err[ERR_LEN]) {
    *out = NULL;
    ModelBuilder mb;
    int output;
    Model *m = describe(name, cfg, C, H, W, classes, &mb, &output, err);
    if (!m) return -1;
    if (builder_finish(&mb, output, max_batch, seed, err)) {
        model_free(m);
        return -1;
    }
    *out = m;
    return 0;
}
