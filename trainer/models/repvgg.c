/* RepVGG (Ding et al. 2021) in its training-time form: every block is a 3x3 conv + BN, a 1x1 conv + BN and, where
 * the shape is kept (same channels, stride 1), an identity branch that is a BN alone, summed and then ReLU; no
 * conv biases. Stage 0 is one block to min(64, 64a) channels at stride 2; stages 1-4 have widths 64a, 128a, 256a
 * (a = the first multiplier) and 512b (b = the second), their first block at stride 2; global average pool and
 * a linear layer. The paper's Table 2:
 *   repvgg_a0  blocks 1-2-4-14-1  a 0.75  b 2.5     repvgg_a1  1-2-4-14-1  a 1  b 2.5
 *   repvgg_b0  blocks 1-4-6-16-1  a 1     b 2.5
 * Counts at 3x224x224 / 1000 classes (tests/test_models.c), training-time form: repvgg_a0 9,108,968,
 * repvgg_a1 14,092,264, repvgg_b0 15,817,960; their deploy forms (one 3x3 conv with bias a block) have
 * 8,309,384, 12,789,864 and 14,339,048, the paper's 8.30M, 12.78M and 14.33M (the test computes them).
 * Parameter order as the authors' block registers its modules: the identity BN, the 3x3 branch, the 1x1 branch.
 * CIFAR form (`stem`; auto: under 64 pixels): stage 0 at stride 1, so that 32x32 inputs end at 2x2.
 * `deploy`: the deploy form, each block one 3x3 conv with bias and a ReLU, whose weights repvgg_reparameterise
 * (trainer/reparameterise.c) computes from a trained training-time model. */
#include <stdio.h>
#include <string.h>

#include "model_builder.h"

static int conv_bn(ModelBuilder *mb, int x, int channels, int kernel, int stride) {
    const int y = builder_conv(mb, x, channels, kernel, stride, kernel / 2, false);
    builder_set_init(mb, y, INIT_TORCH_DEFAULT, 0);
    return builder_batchnorm(mb, y);
}

static int block(ModelBuilder *mb, int x, int channels, int stride, bool deploy) {
    if (deploy) { /* the three branches folded into one 3x3 conv with bias (repvgg_reparameterise) */
        const int y = builder_conv(mb, x, channels, 3, stride, 1, true);
        builder_set_init(mb, y, INIT_TORCH_DEFAULT, 0);
        return builder_relu(mb, y);
    }
    const bool identity = stride == 1 && mb->model->slots[x].C == channels;
    const int id = identity ? builder_batchnorm(mb, x) : -1;
    int branches[3] = {conv_bn(mb, x, channels, 3, stride), conv_bn(mb, x, channels, 1, stride), id};
    return builder_relu(mb, builder_sum(mb, branches, identity ? 3 : 2));
}

typedef struct {
    const char *name;
    int blocks[4];
    double a, b;
} RepVGGConfig;

static const RepVGGConfig REPVGGS[] = {
    {"repvgg_a0", {2, 4, 14, 1}, 0.75, 2.5},
    {"repvgg_a1", {2, 4, 14, 1}, 1, 2.5},
    {"repvgg_b0", {4, 6, 16, 1}, 1, 2.5},
};

int build_repvgg(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    const RepVGGConfig *r = &REPVGGS[0];
    for (size_t i = 0; i < sizeof REPVGGS / sizeof REPVGGS[0]; i++)
        if (!strcmp(name, REPVGGS[i].name)) r = &REPVGGS[i];
    const bool cifar = builder_cifar_form(mb, cfg);
    const bool deploy = cfg->deploy == 1;
    snprintf(mb->form, sizeof mb->form, "%s%s", cifar ? "CIFAR stem" : "ImageNet stem", deploy ? ", deploy" : "");
    const int stem = (int)(64 * r->a) < 64 ? (int)(64 * r->a) : 64;
    int x = block(mb, builder_input(mb), stem, cifar ? 1 : 2, deploy);
    for (int stage = 0; stage < 4; stage++) {
        const int channels = (int)((64 << stage) * (stage < 3 ? r->a : r->b));
        for (int i = 0; i < r->blocks[stage]; i++) x = block(mb, x, channels, i == 0 ? 2 : 1, deploy);
    }
    x = builder_global_avgpool(mb, x);
    return builder_linear(mb, x, classes, true);
}
