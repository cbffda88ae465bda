#include "model_builder.h"
#include "layer.h"
#include "threads.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/* The model's one arena, in 2 MiB-aligned memory that the kernel may back with transparent huge pages
 * (Debian's default THP mode is "madvise": only regions that ask get them). */
static void *arena_alloc(size_t bytes) {
    const size_t huge = (size_t)2 << 20;
    bytes = (bytes + huge - 1) & ~(huge - 1);
    void *arena = aligned_alloc(huge, bytes);
#ifdef MADV_HUGEPAGE
    if (arena) madvise(arena, bytes, MADV_HUGEPAGE); /* advice only: without THP the arena works as before */
#endif
    return arena;
}

static void *grow(void *array, int *capacity, int needed, size_t item) {
    if (needed <= *capacity) return array;
    int cap = *capacity ? *capacity * 2 : 16;
    while (cap < needed) cap *= 2;
    void *p = realloc(array, (size_t)cap * item);
    if (!p) abort(); /* building happens once, before training; out of memory here is fatal */
    *capacity = cap;
    return p;
}

int builder_new_slot(ModelBuilder *mb, int C, int H, int W, bool flat) {
    Model *m = mb->model;
    m->slots = grow(m->slots, &mb->slot_capacity, m->slot_count + 1, sizeof(TensorSlot));
    TensorSlot *s = &m->slots[m->slot_count];
    s->C = C;
    s->H = H;
    s->W = W;
    s->flat = flat;
    s->offset = 0; /* assigned in builder_finish, once max_batch is known */
    return m->slot_count++;
}

Layer *builder_new_layer(ModelBuilder *mb, LayerKind kind, int in) {
    Model *m = mb->model;
    m->layers = grow(m->layers, &mb->layer_capacity, m->layer_count + 1, sizeof(Layer));
    Layer *l = &m->layers[m->layer_count++];
    memset(l, 0, sizeof *l);
    l->kind = kind;
    l->in = in;
    l->inputs[0] = in;
    l->input_count = 1;
    l->add_residual = l->add_output = -1;
    l->weight = l->bias = SIZE_MAX;
    return l;
}

static size_t new_params(ModelBuilder *mb, size_t count, bool decay) {
    Model *m = mb->model;
    m->tensors = grow(m->tensors, &mb->tensor_capacity, m->tensor_count + 1, sizeof(ParamTensor));
    m->tensors[m->tensor_count++] = (ParamTensor){.offset = m->param_count, .count = count, .decay = decay};
    size_t offset = m->param_count;
    m->param_count += count;
    return offset;
}

int builder_fail(ModelBuilder *mb, const char *what) {
    if (!mb->failed) err_set(mb->err, "model %s: %s", mb->model->name, what);
    mb->failed = true;
    return 0;
}

void builder_start(ModelBuilder *mb, Model *model, int C, int H, int W) {
    memset(mb, 0, sizeof *mb);
    mb->model = model;
    mb->recompute = RECOMPUTE_POINTWISE;
    model->input_slot = builder_new_slot(mb, C, H, W, false);
}

int builder_input(const ModelBuilder *mb) { return mb->model->input_slot; }

void builder_set_init(ModelBuilder *mb, int y, ParamInit init, double std) {
    for (int i = mb->model->layer_count - 1; i >= 0; i--) {
        Layer *l = &mb->model->layers[i];
        if (l->out == y) {
            if (l->weight_count == 0) break;
            l->init = init;
            l->init_std = (real)std;
            return;
        }
    }
    builder_fail(mb, "builder_set_init: the tensor is not the output of a layer with weights");
}

void builder_aux_output(ModelBuilder *mb, int logits, double weight) {
    Model *m = mb->model;
    if (m->aux_count == MODEL_MAX_AUX) {
        builder_fail(mb, "too many auxiliary heads");
        return;
    }
    m->aux_slots[m->aux_count] = logits;
    m->aux_weights[m->aux_count++] = weight;
}

bool builder_cifar_form(const ModelBuilder *mb, const TrainConfig *cfg) {
    if (!strcmp(cfg->stem, "cifar")) return true;
    if (!strcmp(cfg->stem, "imagenet")) return false;
    const TensorSlot *in = &mb->model->slots[mb->model->input_slot];
    return in->H < 64 || in->W < 64;
}

static const TensorSlot *slot(ModelBuilder *mb, int x) { return &mb->model->slots[x]; }

int builder_conv(ModelBuilder *mb, int x, int out_channels, int kernel, int stride, int pad, bool bias) {
    return builder_conv_rect(mb, x, out_channels, kernel, kernel, stride, pad, pad, bias);
}

int builder_conv_rect(ModelBuilder *mb, int x, int out_channels, int kernel_h, int kernel_w, int stride, int pad_h,
                      int pad_w, bool bias) {
    TensorSlot in = *slot(mb, x);
    if (in.flat) return builder_fail(mb, "convolution over a flat tensor");
    if (kernel_h < 1 || kernel_w < 1 || stride < 1 || pad_h < 0 || pad_w < 0)
        return builder_fail(mb, "bad convolution kernel, stride or padding");
    /* (H + 2 pad - k) / stride rounds toward zero, so check the window fits first. */
    if (in.H + 2 * pad_h < kernel_h || in.W + 2 * pad_w < kernel_w)
        return builder_fail(mb, "input too small for a convolution");
    int OH = (in.H + 2 * pad_h - kernel_h) / stride + 1, OW = (in.W + 2 * pad_w - kernel_w) / stride + 1;
    int out = builder_new_slot(mb, out_channels, OH, OW, false);
    Layer *l = builder_new_layer(mb, LAYER_CONV, x);
    l->out = out;
    l->init = INIT_KAIMING_FAN_OUT;
    l->kernel_h = kernel_h;
    l->kernel_w = kernel_w;
    l->pad_h = pad_h;
    l->pad_w = pad_w;
    /* kernel and pad describe a square convolution only (0 otherwise): the descriptor reads the four above */
    l->kernel = kernel_h == kernel_w ? kernel_h : 0;
    l->pad = pad_h == pad_w ? pad_h : 0;
    l->stride = stride;
    l->weight_count = (size_t)out_channels * in.C * kernel_h * kernel_w;
    l->weight = new_params(mb, l->weight_count, true);
    if (bias) {
        l->bias_count = (size_t)out_channels;
        l->bias = new_params(mb, l->bias_count, false);
    }
    return out;
}

int builder_batchnorm(ModelBuilder *mb, int x) { return builder_batchnorm_eps(mb, x, 1e-5); }

/* per channel of a spatial tensor (BatchNorm2d), or per feature of a flat [B][F] one (BatchNorm1d); a token
 * tensor [B][T][F] has no batch-norm form here (PyTorch's BatchNorm1d on (N, C, L) normalises over a different
 * axis than this layout's rows) */
int builder_batchnorm_eps(ModelBuilder *mb, int x, double eps) { return builder_batchnorm_momentum(mb, x, eps, 0.1); }

int builder_batchnorm_momentum(ModelBuilder *mb, int x, double eps, double momentum) {
    TensorSlot in = *slot(mb, x);
    if (in.flat && (in.H != 1 || in.W != 1)) return builder_fail(mb, "batch norm over a token tensor is not supported");
    int out = builder_new_slot(mb, in.C, in.H, in.W, in.flat);
    Layer *l = builder_new_layer(mb, LAYER_BATCHNORM, x);
    l->out = out;
    l->eps = (real)eps;
    l->momentum = (real)momentum;
    l->weight_count = l->bias_count = (size_t)in.C;
    l->weight = new_params(mb, (size_t)in.C, false);
    l->bias = new_params(mb, (size_t)in.C, false);
    l->buffer = mb->model->buffer_count;
    mb->model->buffer_count += 2 * (size_t)in.C; /* running mean, running var */
    return out;
}

static int same_shape_layer(ModelBuilder *mb, LayerKind kind, int x) {
    TensorSlot in = *slot(mb, x);
    int out = builder_new_slot(mb, in.C, in.H, in.W, in.flat);
    Layer *l = builder_new_layer(mb, kind, x);
    l->out = out;
    return out;
}

int builder_relu(ModelBuilder *mb, int x) { return same_shape_layer(mb, LAYER_RELU, x); }

int builder_dropout(ModelBuilder *mb, int x, double p) {
    int out = same_shape_layer(mb, LAYER_DROPOUT, x);
    mb->model->layers[mb->model->layer_count - 1].dropout_p = (real)p;
    return out;
}

static int pool_layer(ModelBuilder *mb, LayerKind kind, int x, int kernel, int stride, int pad, bool ceil_mode) {
    TensorSlot in = *slot(mb, x);
    if (in.flat) return builder_fail(mb, "pooling over a flat tensor");
    if (kernel < 1 || stride < 1 || pad < 0) return builder_fail(mb, "bad pooling kernel, stride or padding");
    /* PyTorch refuses more padding than half the window; beyond it a ceil-mode window could be all padding */
    if (ceil_mode && 2 * pad > kernel) return builder_fail(mb, "pooling padding larger than half the window");
    if (in.H + 2 * pad < kernel || in.W + 2 * pad < kernel) return builder_fail(mb, "input too small for pooling");
    const int OH = pool_output_size(in.H, kernel, stride, pad, ceil_mode);
    const int OW = pool_output_size(in.W, kernel, stride, pad, ceil_mode);
    int out = builder_new_slot(mb, in.C, OH, OW, false);
    Layer *l = builder_new_layer(mb, kind, x);
    l->out = out;
    l->kernel = kernel;
    l->stride = stride;
    l->pad = pad;
    l->ceil_mode = ceil_mode;
    return out;
}

int builder_maxpool(ModelBuilder *mb, int x, int kernel, int stride, int pad) {
    if (kernel > MAXPOOL_MAX_KERNEL) return builder_fail(mb, "max pooling window wider than 15");
    return pool_layer(mb, LAYER_MAXPOOL, x, kernel, stride, pad, false);
}

int builder_avgpool(ModelBuilder *mb, int x, int kernel, int stride, int pad) {
    return pool_layer(mb, LAYER_AVGPOOL, x, kernel, stride, pad, false);
}

int builder_maxpool_ceil(ModelBuilder *mb, int x, int kernel, int stride, int pad) {
    if (kernel > MAXPOOL_MAX_KERNEL) return builder_fail(mb, "max pooling window wider than 15");
    return pool_layer(mb, LAYER_MAXPOOL, x, kernel, stride, pad, true);
}

int builder_avgpool_ceil(ModelBuilder *mb, int x, int kernel, int stride, int pad) {
    return pool_layer(mb, LAYER_AVGPOOL, x, kernel, stride, pad, true);
}

int builder_global_avgpool(ModelBuilder *mb, int x) {
    TensorSlot in = *slot(mb, x);
    if (in.flat) return builder_fail(mb, "global average pool over a flat tensor");
    int out = builder_new_slot(mb, in.C, 1, 1, true);
    builder_new_layer(mb, LAYER_GLOBAL_AVGPOOL, x)->out = out;
    return out;
}

int builder_flatten(ModelBuilder *mb, int x) {
    TensorSlot in = *slot(mb, x);
    if (in.flat && in.H > 1) return builder_fail(mb, "flatten of a token tensor (pool the tokens first)");
    if (in.flat) return x;
    int out = builder_new_slot(mb, in.C * in.H * in.W, 1, 1, true);
    builder_new_layer(mb, LAYER_FLATTEN, x)->out = out;
    return out;
}

int builder_linear(ModelBuilder *mb, int x, int out_features, bool bias) {
    return builder_linear_init(mb, x, out_features, bias, INIT_TORCH_DEFAULT, 0);
}

int builder_linear_init(ModelBuilder *mb, int x, int out_features, bool bias, ParamInit init, double std) {
    TensorSlot in = *slot(mb, x);
    if (!in.flat) return builder_fail(mb, "linear layer over a spatial tensor (flatten first)");
    int out = builder_new_slot(mb, out_features, in.H, 1, true); /* per token: [B][H][IN] -> [B][H][OUT] */
    Layer *l = builder_new_layer(mb, LAYER_LINEAR, x);
    l->out = out;
    l->init = init;
    l->init_std = (real)std;
    l->weight_count = (size_t)out_features * in.C;
    l->weight = new_params(mb, l->weight_count, true);
    if (bias) {
        l->bias_count = (size_t)out_features;
        l->bias = new_params(mb, l->bias_count, false);
    }
    return out;
}

int builder_add(ModelBuilder *mb, int a, int b) {
    TensorSlot sa = *slot(mb, a), sb = *slot(mb, b);
    if (sa.C != sb.C || sa.H != sb.H || sa.W != sb.W || sa.flat != sb.flat)
        return builder_fail(mb, "residual add of tensors with different shapes");
    int out = builder_new_slot(mb, sa.C, sa.H, sa.W, sa.flat);
    Layer *l = builder_new_layer(mb, LAYER_ADD, a);
    l->inputs[1] = b;
    l->input_count = 2;
    l->out = out;
    return out;
}

int builder_shortcut_pad(ModelBuilder *mb, int x, int out_channels, int stride) {
    TensorSlot in = *slot(mb, x);
    if (in.flat || out_channels < in.C) return builder_fail(mb, "bad option-A shortcut");
    int out = builder_new_slot(mb, out_channels, (in.H + stride - 1) / stride, (in.W + stride - 1) / stride, false);
    Layer *l = builder_new_layer(mb, LAYER_SHORTCUT_PAD, x);
    l->out = out;
    l->stride = stride;
    return out;
}

int builder_conv_bn_relu(ModelBuilder *mb, int x, int out_channels, int kernel, int stride, int pad) {
    return builder_relu(mb, builder_batchnorm(mb, builder_conv(mb, x, out_channels, kernel, stride, pad, false)));
}

int builder_squeeze_excite(ModelBuilder *mb, int x, int squeezed, bool hard_gate, ParamInit init) {
    const int C = slot(mb, x)->C;
    int gate = builder_linear_init(mb, builder_global_avgpool(mb, x), squeezed, true, init, 0);
    gate = builder_linear_init(mb, builder_relu(mb, gate), C, true, init, 0);
    gate = hard_gate ? builder_hard_sigmoid(mb, gate) : builder_sigmoid(mb, gate);
    return builder_channel_gate(mb, x, gate);
}

/* ---- token tensors ---- */

int builder_patch_embed(ModelBuilder *mb, int x, int dim, int patch, ParamInit init, double std) {
    TensorSlot in = *slot(mb, x);
    if (in.flat) return builder_fail(mb, "patch embedding of a flat tensor");
    if (patch < 1 || in.H / patch < 1 || in.W / patch < 1) return builder_fail(mb, "patch larger than the image");
    int out = builder_new_slot(mb, dim, (in.H / patch) * (in.W / patch), 1, true);
    Layer *l = builder_new_layer(mb, LAYER_PATCH_EMBED, x);
    l->out = out;
    l->kernel = l->stride = patch;
    l->init = init;
    l->init_std = (real)std;
    l->weight_count = (size_t)dim * in.C * patch * patch;
    l->weight = new_params(mb, l->weight_count, true);
    l->bias_count = (size_t)dim;
    l->bias = new_params(mb, l->bias_count, false);
    return out;
}

int builder_cls_pos(ModelBuilder *mb, int x, double std) {
    TensorSlot in = *slot(mb, x);
    if (!in.flat) return builder_fail(mb, "class token and position embedding need a token tensor");
    int out = builder_new_slot(mb, in.C, in.H + 1, 1, true);
    Layer *l = builder_new_layer(mb, LAYER_CLS_POS, x);
    l->out = out;
    l->init_std = (real)std;
    /* Neither is weight-decayed by timm (no_weight_decay: cls_token, pos_embed). */
    l->weight_count = (size_t)in.C;
    l->weight = new_params(mb, l->weight_count, false);
    l->bias_count = (size_t)(in.H + 1) * in.C;
    l->bias = new_params(mb, l->bias_count, false);
    return out;
}

int builder_layernorm(ModelBuilder *mb, int x, double eps) {
    TensorSlot in = *slot(mb, x);
    if (!in.flat) return builder_fail(mb, "layer norm over a spatial tensor");
    int out = builder_new_slot(mb, in.C, in.H, 1, true);
    Layer *l = builder_new_layer(mb, LAYER_LAYERNORM, x);
    l->out = out;
    l->eps = (real)eps;
    l->weight_count = l->bias_count = (size_t)in.C;
    l->weight = new_params(mb, (size_t)in.C, false);
    l->bias = new_params(mb, (size_t)in.C, false);
    return out;
}

int builder_gelu(ModelBuilder *mb, int x, bool tanh_form) {
    int out = same_shape_layer(mb, LAYER_GELU, x);
    mb->model->layers[mb->model->layer_count - 1].gelu_tanh = tanh_form;
    return out;
}

int builder_attention_queries(ModelBuilder *mb, int qkv, int heads, double attn_dropout, int queries) {
    TensorSlot in = *slot(mb, qkv);
    if (!in.flat || in.C % 3 != 0) return builder_fail(mb, "attention needs a fused [B][T][3D] qkv token tensor");
    const int D = in.C / 3;
    if (heads < 1 || D % heads != 0) return builder_fail(mb, "attention: the width must be a multiple of the heads");
    if (queries < 1 || queries > in.H) return builder_fail(mb, "attention: queries must be 1 to the token count");
    int out = builder_new_slot(mb, D, queries, 1, true);
    Layer *l = builder_new_layer(mb, LAYER_ATTENTION, qkv);
    l->out = out;
    l->heads = heads;
    l->dropout_p = (real)attn_dropout;
    return out;
}

int builder_attention(ModelBuilder *mb, int qkv, int heads, double attn_dropout) {
    return builder_attention_queries(mb, qkv, heads, attn_dropout, slot(mb, qkv)->H);
}

int builder_token_transpose(ModelBuilder *mb, int x) {
    TensorSlot in = *slot(mb, x);
    if (!in.flat) return builder_fail(mb, "token transpose of a spatial tensor");
    int out = builder_new_slot(mb, in.H, in.C, 1, true);
    builder_new_layer(mb, LAYER_TOKEN_TRANSPOSE, x)->out = out;
    return out;
}

static int token_pool(ModelBuilder *mb, LayerKind kind, int x, int token) {
    TensorSlot in = *slot(mb, x);
    if (!in.flat || token < 0 || token >= in.H) return builder_fail(mb, "token pooling needs a token tensor");
    int out = builder_new_slot(mb, in.C, 1, 1, true);
    Layer *l = builder_new_layer(mb, kind, x);
    l->out = out;
    l->token = token;
    return out;
}

int builder_token_mean(ModelBuilder *mb, int x, int first) { return token_pool(mb, LAYER_TOKEN_MEAN, x, first); }

int builder_token_select(ModelBuilder *mb, int x, int index) { return token_pool(mb, LAYER_TOKEN_SELECT, x, index); }


/* Every layer's parameters from the run's initialisation stream, in layer order (op descriptors). */
static void init_parameters(Model *m, uint64_t seed) {
    Rng rng;
    rng_seed_stream(&rng, seed, 1);
    for (int i = 0; i < m->layer_count; i++) {
        const Layer *l = &m->layers[i];
        const OpDescriptor *op = op_descriptor(l->kind);
        if (op->init) op->init(m, l, &rng);
    }
    rng_seed_stream(&m->dropout_rng, seed, 4);
}

int builder_finish(ModelBuilder *mb, int output, int max_batch, uint64_t seed, char err[ERR_LEN]) {
    Model *m = mb->model;
    if (mb->failed) {
        strcpy(err, mb->err);
        return -1;
    }
    m->output_slot = output;
    m->max_batch = max_batch;
    m->thread_slots = engine_threads();
    if (!m->slots[output].flat) return err_set(err, "model %s: output is not a flat [B][classes] tensor", m->name);
    for (int k = 0; k < m->aux_count; k++) {
        const TensorSlot *aux = &m->slots[m->aux_slots[k]];
        if (!aux->flat || aux->C != m->slots[output].C || aux->H != 1)
            return err_set(err, "model %s: auxiliary head %d is not a [B][classes] tensor", m->name, k + 1);
    }
    /* the layers the main head does not need feed only auxiliary heads: evaluation skips them */
    bool *needed = calloc((size_t)m->slot_count, sizeof(bool));
    if (!needed) return err_set(err, "model %s: out of memory", m->name);
    needed[output] = true;
    for (int i = m->layer_count - 1; i >= 0; i--) {
        Layer *l = &m->layers[i];
        l->aux_only = !needed[l->out] && m->aux_count > 0;
        if (needed[l->out])
            for (int k = 0; k < l->input_count; k++) needed[l->inputs[k]] = true;
    }
    free(needed);
    /* Slot regions (placed by act_plan.c over time): the output of a ReLU or ReLU6 (runs_in_place) whose
     * input feeds nothing else (BN -> ReLU, add -> ReLU) shares its input's region: the op runs in place, its
     * values and gradient sharing its input's. Safe when the input's producer does not read its output in
     * backward (BN and add use their inputs, not their outputs; checked by descriptor), and the op's own
     * backward needs only its output, then masks the shared gradient in place. It saves an activation and a
     * gradient per such pair. */
    int *consumers = calloc((size_t)m->slot_count, sizeof(int));
    int *group_of = malloc((size_t)m->slot_count * sizeof(int)); /* the slot whose region each slot shares */
    if (!consumers || !group_of) {
        free(consumers), free(group_of);
        return err_set(err, "model %s: out of memory", m->name);
    }
    for (int i = 0; i < m->layer_count; i++) {
        for (int k = 0; k < m->layers[i].input_count; k++) consumers[m->layers[i].inputs[k]]++;
    }
    consumers[output]++;
    for (int k = 0; k < m->aux_count; k++) consumers[m->aux_slots[k]]++;
    for (int s = 0; s < m->slot_count; s++) group_of[s] = s;
    for (int i = 0; i < m->layer_count; i++) { /* layers in order, so a chain's root is already resolved */
        const Layer *l = &m->layers[i];
        if (!op_descriptor(l->kind)->runs_in_place || l->in == m->input_slot || consumers[l->in] != 1) continue;
        bool producer_reads_output = false;
        for (int p = 0; p < i; p++)
            if (m->layers[p].out == l->in)
                producer_reads_output = !op_descriptor(m->layers[p].kind)->backward_skips_output;
        if (!producer_reads_output) group_of[l->out] = group_of[l->in];
    }
    /* a batch norm or a residual add and the in-place ReLU right after it run as one op (one pass over the
     * data each way) */
    for (int i = 0; i + 1 < m->layer_count; i++) {
        Layer *first = &m->layers[i], *relu = &m->layers[i + 1];
        if ((first->kind == LAYER_BATCHNORM || first->kind == LAYER_ADD) && relu->kind == LAYER_RELU &&
            relu->in == first->out && group_of[relu->out] == group_of[relu->in]) {
            first->relu_after = true;
            relu->skip_forward = relu->skip_backward = true;
        }
    }
    /* a linear layer and the residual add that is the only consumer of its output: one pass (model.h) */
    for (int i = 0; i + 1 < m->layer_count; i++) {
        Layer *linear = &m->layers[i], *add = &m->layers[i + 1];
        if (linear->kind == LAYER_LINEAR && add->kind == LAYER_ADD && !add->relu_after &&
            consumers[linear->out] == 1 && (add->in == linear->out || add->inputs[1] == linear->out)) {
            linear->add_residual = add->in == linear->out ? add->inputs[1] : add->in;
            linear->add_output = add->out;
            add->skip_forward = true;
        }
    }
    /* Attention from the first token alone (one query of T > 1 tokens) reads no other token's query: a linear
     * layer whose output only that attention reads computes the queries (its first D outputs) for the first
     * token only (model.h). */
    for (int i = 0; i + 1 < m->layer_count; i++) {
        Layer *linear = &m->layers[i];
        const Layer *attention = &m->layers[i + 1];
        if (linear->kind == LAYER_LINEAR && attention->kind == LAYER_ATTENTION && attention->in == linear->out &&
            consumers[linear->out] == 1 && m->slots[attention->out].H == 1 && m->slots[linear->out].H > 1)
            linear->first_token_outputs = m->slots[attention->out].C;
    }
    /* A linear layer fused with its add never writes its own output's values (nothing reads them either: the add's
     * backward does not), so that slot takes no region of its own: it points at the add's output. Its gradient
     * is still its own (grad_plan). */
    bool *values_unused = calloc((size_t)m->slot_count, sizeof(bool));
    if (!values_unused) {
        free(consumers), free(group_of);
        return err_set(err, "model %s: out of memory", m->name);
    }
    for (int i = 0; i < m->layer_count; i++)
        if (m->layers[i].add_output >= 0) values_unused[m->layers[i].out] = true;
    m->act_count = act_plan(m, max_batch, group_of, values_unused, mb->recompute);
    if (m->act_count == SIZE_MAX) {
        free(values_unused), free(consumers), free(group_of);
        return err_set(err, "model %s: out of memory", m->name);
    }
    for (int s = 0; s < m->slot_count; s++) m->slots[s].region_of = group_of[s];
    for (int i = 0; i < m->layer_count; i++)
        if (m->layers[i].add_output >= 0) {
            m->slots[m->layers[i].out].offset = m->slots[m->layers[i].add_output].offset;
            m->slots[m->layers[i].out].region_of = group_of[m->layers[i].add_output];
        }
    free(values_unused);
    int planned = grad_plan(m, max_batch, group_of);
    free(consumers);
    free(group_of);
    if (planned) return err_set(err, "model %s: out of memory", m->name);
    m->saved_count = 0;
    m->workspace_count = 0;
    for (int i = 0; i < m->layer_count; i++) {
        Layer *l = &m->layers[i];
        const OpDescriptor *op = op_descriptor(l->kind);
        l->saved = m->saved_count;
        if (op->saved_reals) m->saved_count += op->saved_reals(m, l, max_batch);
        const size_t ws = op->workspace_reals ? op->workspace_reals(m, l, max_batch) : 0;
        if (ws > m->workspace_count) m->workspace_count = ws;
    }
    size_t total =
        2 * m->param_count + m->buffer_count + m->act_count + m->act_grad_count + m->saved_count + m->workspace_count;
    real *arena = arena_alloc(total * sizeof(real));
    if (!arena) return err_set(err, "model %s: out of memory for %zu MB of arenas", m->name, total * sizeof(real) >> 20);
    memset(arena, 0, total * sizeof(real));
    m->params = arena;
    m->grads = m->params + m->param_count;
    m->buffers = m->grads + m->param_count;
    m->acts = m->buffers + m->buffer_count;
    m->act_grads = m->acts + m->act_count;
    m->saved = m->act_grads + m->act_grad_count;
    m->workspace = m->saved + m->saved_count;
    if (m->aux_count > 0) {
        m->aux_probs = malloc(sizeof(real) * (size_t)m->aux_count * max_batch * m->slots[output].C);
        if (!m->aux_probs) return err_set(err, "model %s: out of memory", m->name);
    }
    init_parameters(m, seed);
    return 0;
}
