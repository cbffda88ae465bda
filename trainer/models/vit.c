/* Vision Transformer (Dosovitskiy et al. 2021) and MLP-Mixer (Tolstikhin et al. 2021) over token tensors
 * [B][T][D] (flat slots with T tokens, see model.h). Every linear has a bias.
 *
 * vit: patch embedding (PxP conv, stride P, as one GEMM) -> prepend a class token, add a learned position
 *   embedding -> [dropout] -> depth pre-norm blocks
 *       x += Dropout(Proj(Attention(QKV(LN(x)))));  x += Dropout(FC2(Dropout(GELU(FC1(LN(x))))))
 *   -> final LN -> pool (cls: the class token; mean: the mean of the patch tokens, as timm's 'avg') -> head.
 *   The block is nn.TransformerEncoderLayer(norm_first=True, activation='gelu') with its fused in_proj: the
 *   default (dim 192, depth 6, heads 3, mlp_dim 384, patch 4) on 3x32x32 with 100 classes has 1,823,908
 *   parameters, 1,806,538 with 10.
 *   Parameter order: patch weight [D][C][P][P], patch bias; class token [D]; position embedding [T+1][D];
 *   per block LN1 (gamma, beta), qkv [3D][D] + [3D], proj [D][D] + [D], LN2, fc1 [mlp][D] + [mlp],
 *   fc2 [D][mlp] + [D]; final LN; head [classes][D] + [classes].
 *   Initialisation: PyTorch's own, as a ViT built from nn.TransformerEncoderLayer gets it -- qkv (in_proj)
 *   xavier-uniform with bias 0, proj (out_proj) uniform +-1/sqrt(D) with bias 0, fc1, fc2, head and the patch
 *   embedding nn.Linear/nn.Conv2d's default (weight and bias uniform +-1/sqrt(fan_in)), LayerNorm gamma 1,
 *   beta 0 -- and class token and position embedding standard normal (torch.randn, as the common PyTorch
 *   ViT). timm's trunc-normal(0.02) for every linear, class token and position embedding learns much more
 *   slowly in short schedules: on 30,000 Fashion-MNIST images, one one-cycle epoch (dim 128, depth 4, AdamW
 *   lr 1e-3) reached 67.8% test top-1 with it, 77.9% with PyTorch's linears and 0.02 embeddings, 82.8% with
 *   the standard-normal embeddings.
 *
 * mixer: patch embedding -> depth blocks
 *       x += (FC2(GELU(FC1(LN(x)^T))))^T   (token mixing: linears over the T tokens of each feature)
 *       x += FC2(GELU(FC1(LN(x))))          (channel mixing)
 *   -> final LN -> mean over all tokens -> head. Linears xavier-uniform with bias 0 (timm's Mixer),
 *   LayerNorm gamma 1, beta 0, patch embedding PyTorch's Conv2d default. `dropout` (if > 0) follows the GELU
 *   and the second linear of every MLP.
 *
 * LayerNorm eps is 1e-5, PyTorch's default (nn.LayerNorm, nn.TransformerEncoderLayer). */
#include <string.h>

#include "model_builder.h"

#define LN_EPS 1e-5
#define EMBEDDING_STD 1.0 /* class token and position embedding: torch.randn */

static int maybe_dropout(ModelBuilder *mb, int x, double p) { return p > 0 ? builder_dropout(mb, x, p) : x; }

/* Linear -> GELU -> [dropout] -> Linear -> [dropout], over every token. */
static int mlp(ModelBuilder *mb, int x, int hidden, int out, bool tanh_gelu, double p, ParamInit init) {
    int h = builder_linear_init(mb, x, hidden, true, init, 0);
    h = maybe_dropout(mb, builder_gelu(mb, h, tanh_gelu), p);
    h = builder_linear_init(mb, h, out, true, init, 0);
    return maybe_dropout(mb, h, p);
}

int build_vit(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    (void)name;
    const int D = cfg->dim;
    const double p = model_dropout(cfg, 0);
    const bool tanh_gelu = !strcmp(cfg->gelu, "tanh");
    int x = builder_patch_embed(mb, builder_input(mb), D, cfg->patch, INIT_TORCH_DEFAULT, 0);
    x = builder_cls_pos(mb, x, EMBEDDING_STD);
    x = maybe_dropout(mb, x, p);
    const bool class_token_pool = strcmp(cfg->pool, "mean") != 0;
    const int depth = model_depth(cfg, 6);
    for (int block = 0; block < depth; block++) {
        /* With class-token pooling only the class token's row of the last block's output reaches the loss:
         * that block attends from the class token alone (its keys and values still come from every token)
         * and runs its projection, residual adds, LayerNorm and MLP on that one row. The same function as
         * the full block, with 1/T of the work after the QKV projection (golden_vit checks it against
         * PyTorch's full nn.TransformerEncoderLayer). */
        const bool class_token_only = class_token_pool && block == depth - 1;
        int h = builder_layernorm(mb, x, LN_EPS);
        h = builder_linear_init(mb, h, 3 * D, true, INIT_XAVIER_UNIFORM, 0);
        h = class_token_only ? builder_attention_queries(mb, h, cfg->heads, cfg->attn_dropout, 1)
                             : builder_attention(mb, h, cfg->heads, cfg->attn_dropout);
        /* (selected before the projection, so that the projection and its residual add stay adjacent and run
         * as one op: model.h, add_residual) */
        if (class_token_only) x = builder_token_select(mb, x, 0);
        h = builder_linear_init(mb, h, D, true, INIT_TORCH_ZERO_BIAS, 0);
        x = builder_add(mb, x, maybe_dropout(mb, h, p));
        h = builder_layernorm(mb, x, LN_EPS);
        x = builder_add(mb, x, mlp(mb, h, cfg->mlp_dim, D, tanh_gelu, p, INIT_TORCH_DEFAULT));
    }
    x = builder_layernorm(mb, x, LN_EPS);
    /* class-token pooling: the last block already kept only the class token (or, with no blocks, select it) */
    if (!class_token_pool)
        x = builder_token_mean(mb, x, 1);
    else if (depth == 0)
        x = builder_token_select(mb, x, 0);
    return builder_linear(mb, x, classes, true);
}

int build_mixer(ModelBuilder *mb, const char *name, const TrainConfig *cfg, int classes) {
    (void)name;
    const int D = cfg->dim;
    const double p = model_dropout(cfg, 0);
    const bool tanh_gelu = !strcmp(cfg->gelu, "tanh");
    int x = builder_patch_embed(mb, builder_input(mb), D, cfg->patch, INIT_TORCH_DEFAULT, 0);
    const int T = mb->model->slots[x].H;
    for (int block = 0; block < model_depth(cfg, 6); block++) {
        int h = builder_token_transpose(mb, builder_layernorm(mb, x, LN_EPS)); /* [B][D][T] */
        h = mlp(mb, h, cfg->token_mlp_dim, T, tanh_gelu, p, INIT_XAVIER_UNIFORM);
        x = builder_add(mb, x, builder_token_transpose(mb, h));
        h = builder_layernorm(mb, x, LN_EPS);
        x = builder_add(mb, x, mlp(mb, h, cfg->channel_mlp_dim, D, tanh_gelu, p, INIT_XAVIER_UNIFORM));
    }
    x = builder_token_mean(mb, builder_layernorm(mb, x, LN_EPS), 0);
    return builder_linear_init(mb, x, classes, true, INIT_XAVIER_UNIFORM, 0);
}
