/* The op registry: one line per op, OP(NAME) for the op whose descriptor OP_NAME ends its file in trainer/ops/.
 * Included with OP defined by model.h (the LayerKind LAYER_NAME) and op_registry.c (the descriptor table), so
 * an op is its file plus its line here. No include guard: it is read once per definition of OP. */
OP(CONV)
OP(BATCHNORM)
OP(RELU)
OP(MAXPOOL)
OP(AVGPOOL)
OP(GLOBAL_AVGPOOL)
OP(FLATTEN)
OP(LINEAR)
OP(ADD)
OP(DROPOUT)
OP(SHORTCUT_PAD)
/* token tensors (ViT, MLP-Mixer); see TensorSlot in model.h */
OP(PATCH_EMBED)     /* spatial [C][B][H][W] -> tokens [B][T][D]; weight [D][C][P][P], bias [D] */
OP(CLS_POS)         /* [B][T][D] -> [B][T+1][D]; weight = class token [D], bias = position embedding [T+1][D] */
OP(LAYERNORM)       /* over the features of every token; weight = gamma [D], bias = beta [D] */
OP(GELU)
OP(ATTENTION)       /* fused qkv [B][T][3D] -> context [B][T][D]; no parameters (the projections are linears) */
OP(TOKEN_TRANSPOSE) /* [B][T][D] -> [B][D][T] */
OP(TOKEN_MEAN)      /* [B][T][D] -> [B][D], mean of tokens `token`..T-1 */
OP(TOKEN_SELECT)    /* [B][T][D] -> [B][D], token `token` */
/* graph nodes over several inputs (Layer.inputs) */
OP(CONCAT)          /* channels of inputs[0..n) concatenated */
OP(SUM)             /* inputs[0] + inputs[1] + ... */
OP(CHANNEL_GATE)    /* inputs[0] [C][B][H][W] times inputs[1] [B][C] per channel */
OP(ADAPTIVE_AVGPOOL) /* [C][B][H][W] -> [C][B][OH][OW] (the output slot's size), nn.AdaptiveAvgPool2d */
/* efficient architectures (MobileNet, ShuffleNet, ResNeXt) */
OP(GROUPED_CONV)    /* weight [OC][C/groups][KH][KW]; direct kernel when depthwise (groups = C = OC) */
OP(CHANNEL_SHUFFLE) /* [C][B][H][W], channel j*groups + i <- i*(C/groups) + j */
OP(CHANNEL_SLICE)   /* [C][B][H][W] -> [OC][B][H][W], channels `token` .. `token` + OC - 1 */
OP(RELU6)
OP(SIGMOID)
OP(HARD_SIGMOID)
OP(HARD_SWISH)
OP(SILU)
