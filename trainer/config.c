#include "config.h"

#include "data.h"
#include "fnv.h"
#include "model.h"

#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One row per key: its name, type, where it lives in TrainConfig, and a line of help. */
typedef struct {
    const char *name;
    char type;       /* 'i' int, 'u' uint64 seed, 'f' double, 'b' bool (int), 's' string, 'a' auto-bool (int, -1),
                      * 'n' int or auto (-1), 'g' double or auto (-1): auto = the model's own default */
    size_t offset;
    size_t size;     /* for strings: buffer size */
    double min, max; /* numeric range, inclusive */
    const char *help;
} KeySpec;

#define FIELD(f) offsetof(TrainConfig, f), sizeof(((TrainConfig *)0)->f)

static const KeySpec KEYS[] = {
    {"model", 's', FIELD(model), 0, 0, "architecture (see `cohort models`)"},
    {"hidden", 's', FIELD(hidden), 0, 0, "mlp hidden widths, comma separated"},
    {"dataset", 's', FIELD(dataset), 0, 0, "fashion-mnist | mnist | synthetic | cifar10 | cifar100 | imagefolder"},
    {"data_dir", 's', FIELD(data_dir), 0, 0,
     "directory of the dataset files (default: the dataset's own); cifar10/cifar100 also the official .tar.gz"},
    {"image_size", 'n', FIELD(image_size), 8, 1024,
     "imagefolder: side of the square model input in pixels; auto = 224 (images kept at image_size*256/224)"},
    {"pad", 'b', FIELD(pad), 0, 1, "zero-pad 28x28 IDX images to 32x32"},
    {"coarse_labels", 'b', FIELD(coarse_labels), 0, 1, "cifar100: 20 coarse labels instead of 100 fine ones"},
    {"augment", 'a', FIELD(augment), 0, 1,
     "CIFAR: random crop (4 px) + horizontal flip; imagefolder: random resized crop + flip; default on for CIFAR "
     "and imagefolder only"},
    {"val_split", 'f', FIELD(val_split), 0, 0.9, "fraction of the training set held out for validation"},
    {"train_limit", 'i', FIELD(train_limit), 0, 1e9, "use only the first N training images (0 = all)"},
    {"test_limit", 'i', FIELD(test_limit), 0, 1e9, "use only the first N test images (0 = all)"},
    {"input_shape", 's', FIELD(input_shape), 0, 0, "synthetic images' shape CxHxW"},
    {"classes", 'i', FIELD(classes), 2, 100000, "synthetic class count"},
    {"synthetic_train", 'i', FIELD(synthetic_train), 1, 1e8, "synthetic training images"},
    {"synthetic_test", 'i', FIELD(synthetic_test), 1, 1e8, "synthetic test images"},
    {"shortcut", 's', FIELD(shortcut), 0, 0, "CIFAR ResNet shortcut: B (1x1 conv + BN) or A (zero-padded identity)"},
    {"dropout", 'g', FIELD(dropout), 0, 0.99,
     "dropout probability; auto = the model's paper value (0.5 in AlexNet's, VGG's and SqueezeNet's classifiers, "
     "0.2 GoogLeNet, 0.5 Inception-v3, 0.5 NIN, 0 elsewhere)"},
    {"width", 'f', FIELD(width), 0.01, 64, "channel width multiplier (VGG, ResNet-18..152, AlexNet); 1 = standard"},
    {"stem", 's', FIELD(stem), 0, 0,
     "ResNet-18..152 and VGG: imagenet (7x7 stem + max pool; VGG's 4096-4096 classifier), cifar (3x3 stem, no max "
     "pool; VGG's one linear head) or auto (cifar for inputs under 64 pixels)"},
    {"bn", 'a', FIELD(bn), 0, 1, "batch norm: VGG (auto = by name, vgg16_bn has it), LeNet (auto = none)"},
    {"deploy", 'a', FIELD(deploy), 0, 1, "RepVGG: the deploy form, one 3x3 conv with bias a block (auto = training form)"},
    {"se", 'a', FIELD(se), 0, 1, "squeeze-and-excitation (reduction 16) in every ResNet block (auto = off)"},
    {"aux", 'a', FIELD(aux), 0, 1,
     "GoogLeNet / Inception-v3 auxiliary classifiers (trained with the papers' loss weights, ignored at evaluation); "
     "auto = off"},
    {"growth", 'n', FIELD(growth), 1, 1024, "densenet_bc growth rate k; auto = 12"},
    {"dim", 'i', FIELD(dim), 1, 65536, "ViT/Mixer embedding width"},
    {"depth", 'n', FIELD(depth), 1, 10000,
     "blocks of ViT/Mixer (auto = 6); layers of resnet_cifar (6n+2, auto = 20) and densenet_bc (6n+4, auto = 100)"},
    {"heads", 'i', FIELD(heads), 1, 1024, "ViT attention heads"},
    {"mlp_dim", 'i', FIELD(mlp_dim), 1, 1 << 20, "ViT MLP hidden width"},
    {"patch", 'i', FIELD(patch), 1, 1024, "ViT/Mixer patch size (pixels)"},
    {"pool", 's', FIELD(pool), 0, 0, "ViT pooling: cls | mean"},
    {"attn_dropout", 'f', FIELD(attn_dropout), 0, 0.99, "ViT attention dropout"},
    {"gelu", 's', FIELD(gelu), 0, 0, "GELU form: erf (exact) | tanh"},
    {"token_mlp_dim", 'i', FIELD(token_mlp_dim), 1, 1 << 20, "Mixer token-mixing MLP width"},
    {"channel_mlp_dim", 'i', FIELD(channel_mlp_dim), 1, 1 << 20, "Mixer channel-mixing MLP width"},
    {"optimizer", 's', FIELD(optimizer), 0, 0, "sgd | adamw"},
    {"beta1", 'f', FIELD(beta1), 0, 0.999999, "AdamW beta1"},
    {"beta2", 'f', FIELD(beta2), 0, 0.999999999, "AdamW beta2"},
    {"adam_eps", 'f', FIELD(adam_eps), 1e-12, 1, "AdamW epsilon"},
    {"grad_clip", 'f', FIELD(grad_clip), 0, 1e9, "clip gradients to this global L2 norm (0 = off)"},
    {"wd_norm_bias", 'b', FIELD(wd_norm_bias), 0, 1, "weight decay also on norm parameters and biases"},
    {"milestones", 's', FIELD(milestones), 0, 0, "multistep schedule: epochs where lr *= gamma, e.g. 100,150"},
    {"epochs", 'i', FIELD(epochs), 1, 1e6, "training epochs"},
    {"batch_size", 'i', FIELD(batch_size), 1, 65536, "mini-batch size"},
    {"micro_batch", 'i', FIELD(micro_batch), 0, 65536,
     "data parallel: images per shard; results depend on it, not on ranks_per_trial (0 = one pass per batch)"},
    {"ranks_per_trial", 'i', FIELD(ranks_per_trial), 1, 4096, "ranks that train one trial together (needs micro_batch)"},
    {"lr", 'f', FIELD(lr), 0, 1e6, "peak learning rate"},
    {"momentum", 'f', FIELD(momentum), 0, 0.999999, "SGD momentum"},
    {"nesterov", 'b', FIELD(nesterov), 0, 1, "Nesterov momentum"},
    {"weight_decay", 'f', FIELD(weight_decay), 0, 1, "L2 weight decay"},
    {"label_smoothing", 'f', FIELD(label_smoothing), 0, 0.999, "label smoothing of the cross-entropy target"},
    {"schedule", 's', FIELD(schedule), 0, 0, "learning-rate schedule: constant | step | multistep | cosine | onecycle"},
    {"step_size", 'i', FIELD(step_size), 1, 1e6, "step schedule: epochs between decays"},
    {"gamma", 'f', FIELD(gamma), 0, 1, "step schedule: decay factor"},
    {"warmup_epochs", 'f', FIELD(warmup_epochs), 0, 1e6, "linear warmup length in epochs"},
    {"seed", 'u', FIELD(seed), 0, 0, "random seed (initialisation, shuffling, augmentation)"},
    {"threads", 'i', FIELD(threads), 0, 1024, "OpenBLAS threads; 0 = cores / ranks on the node"},
    {"recompute", 's', FIELD(recompute), 0, 0,
     "activations backward recomputes instead of keeping them from forward (same results: less memory, more time): "
     "none, norm (batch norm outputs: one elementwise pass) or pointwise (also 1x1 stride-1 convolution "
     "outputs: their multiply-adds again; the default)"},
};
#define KEY_COUNT ((int)(sizeof KEYS / sizeof KEYS[0]))

void train_config_defaults(TrainConfig *cfg) {
    memset(cfg, 0, sizeof *cfg);
    strcpy(cfg->model, "lenet");
    strcpy(cfg->hidden, "256,128");
    strcpy(cfg->dataset, "fashion-mnist");
    cfg->pad = 1;
    cfg->augment = -1;
    cfg->image_size = -1;
    strcpy(cfg->input_shape, "1x32x32");
    cfg->classes = 10;
    cfg->synthetic_train = 2048;
    cfg->synthetic_test = 512;
    cfg->epochs = 10;
    cfg->batch_size = 128;
    cfg->ranks_per_trial = 1;
    cfg->lr = 0.05;
    cfg->momentum = 0.9;
    cfg->weight_decay = 5e-4;
    strcpy(cfg->schedule, "cosine");
    strcpy(cfg->shortcut, "B");
    strcpy(cfg->recompute, "pointwise");
    cfg->dropout = -1;
    cfg->width = 1.0;
    strcpy(cfg->stem, "auto");
    cfg->bn = -1;
    cfg->aux = -1;
    cfg->se = -1;
    cfg->deploy = -1;
    cfg->growth = -1;
    cfg->dim = 192;
    cfg->depth = -1;
    cfg->heads = 3;
    cfg->mlp_dim = 384;
    cfg->patch = 4;
    strcpy(cfg->pool, "cls");
    strcpy(cfg->gelu, "erf");
    cfg->token_mlp_dim = 256;
    cfg->channel_mlp_dim = 512;
    strcpy(cfg->optimizer, "sgd");
    cfg->beta1 = 0.9;
    cfg->beta2 = 0.999;
    cfg->adam_eps = 1e-8;
    cfg->wd_norm_bias = 1;
    cfg->step_size = 30;
    cfg->gamma = 0.1;
    cfg->seed = 0;
}

static const KeySpec *find_key(const char *name) {
    for (int i = 0; i < KEY_COUNT; i++)
        if (strcmp(KEYS[i].name, name) == 0) return &KEYS[i];
    return NULL;
}

static int parse_bool(const char *v, int *out) {
    if (!strcmp(v, "true") || !strcmp(v, "1") || !strcmp(v, "yes") || !strcmp(v, "on")) *out = 1;
    else if (!strcmp(v, "false") || !strcmp(v, "0") || !strcmp(v, "no") || !strcmp(v, "off")) *out = 0;
    else return -1;
    return 0;
}

int train_config_set(TrainConfig *cfg, const char *key, const char *value, char err[ERR_LEN]) {
    const KeySpec *k = find_key(key);
    if (!k) return err_set(err, "%s: unknown setting (see `cohort train --help` for the list)", key);
    char *field = (char *)cfg + k->offset;
    char *end = NULL;
    errno = 0;
    switch (k->type) {
    case 's':
        if (strlen(value) >= k->size) return err_set(err, "%s: value longer than %zu characters", key, k->size - 1);
        if (value[0] == '\0' && strcmp(key, "data_dir") != 0 &&
            strcmp(key, "milestones") != 0) return err_set(err, "%s: expected a non-empty string", key);
        strcpy(field, value);
        return 0;
    case 'b':
    case 'a': {
        int b;
        if (k->type == 'a' && !strcmp(value, "auto")) b = -1;
        else if (parse_bool(value, &b)) return err_set(err, "%s: expected true or false, got '%s'", key, value);
        *(int *)field = b;
        return 0;
    }
    case 'n':
    case 'i': {
        if (k->type == 'n' && !strcmp(value, "auto")) {
            *(int *)field = -1;
            return 0;
        }
        long v = strtol(value, &end, 10);
        if (errno || end == value || *end) return err_set(err, "%s: expected an integer, got '%s'", key, value);
        if (v < k->min || v > k->max)
            return err_set(err, "%s: %ld is out of range [%g, %g]", key, v, k->min, k->max);
        *(int *)field = (int)v;
        return 0;
    }
    case 'u': {
        if (value[0] == '-') return err_set(err, "%s: expected a non-negative integer, got '%s'", key, value);
        unsigned long long v = strtoull(value, &end, 10);
        if (errno || end == value || *end) return err_set(err, "%s: expected a non-negative integer, got '%s'", key, value);
        *(uint64_t *)field = (uint64_t)v;
        return 0;
    }
    case 'g':
    case 'f': {
        if (k->type == 'g' && !strcmp(value, "auto")) {
            *(double *)field = -1;
            return 0;
        }
        double v = strtod(value, &end);
        if (errno || end == value || *end || !isfinite(v))
            return err_set(err, "%s: expected a number, got '%s'", key, value);
        if (v < k->min || v > k->max) return err_set(err, "%s: %g is out of range [%g, %g]", key, v, k->min, k->max);
        *(double *)field = v;
        return 0;
    }
    }
    return err_set(err, "%s: internal error: unknown key type", key);
}

static int one_of(const char *v, const char *const *allowed) {
    for (; *allowed; allowed++)
        if (!strcmp(v, *allowed)) return 1;
    return 0;
}

/* The model must fit the dataset's images (AlexNet needs 63 pixels, VGG 32, ...): said now, not by a failed
 * trial. Describing a model costs far more than the other checks, and a grid of thousands of trials has few
 * distinct architectures, so the last answers are kept, keyed by every setting but the recipe's. */
static int check_model_fits(const TrainConfig *cfg, char err[ERR_LEN]) {
    enum { KEPT = 16 };
    static struct {
        uint64_t key;
        int rc;
        char err[ERR_LEN];
    } kept[KEPT];
    static int kept_count, next_slot;
    TrainConfig shape;
    train_config_defaults(&shape);
    memcpy(shape.model, cfg->model, sizeof shape.model);
    memcpy(shape.hidden, cfg->hidden, sizeof shape.hidden);
    memcpy(shape.dataset, cfg->dataset, sizeof shape.dataset);
    memcpy(shape.data_dir, cfg->data_dir, sizeof shape.data_dir);
    memcpy(shape.input_shape, cfg->input_shape, sizeof shape.input_shape);
    memcpy(shape.shortcut, cfg->shortcut, sizeof shape.shortcut);
    memcpy(shape.stem, cfg->stem, sizeof shape.stem);
    memcpy(shape.pool, cfg->pool, sizeof shape.pool);
    memcpy(shape.gelu, cfg->gelu, sizeof shape.gelu);
    shape.image_size = cfg->image_size;
    shape.pad = cfg->pad, shape.coarse_labels = cfg->coarse_labels, shape.classes = cfg->classes;
    shape.dropout = cfg->dropout, shape.width = cfg->width, shape.bn = cfg->bn, shape.aux = cfg->aux;
    shape.se = cfg->se, shape.deploy = cfg->deploy;
    shape.growth = cfg->growth, shape.dim = cfg->dim, shape.heads = cfg->heads, shape.mlp_dim = cfg->mlp_dim;
    shape.patch = cfg->patch, shape.depth = cfg->depth, shape.attn_dropout = cfg->attn_dropout;
    shape.token_mlp_dim = cfg->token_mlp_dim, shape.channel_mlp_dim = cfg->channel_mlp_dim;
    /* train_config_defaults zeroes the struct first, so its padding hashes alike */
    uint64_t key = fnv64_bytes(FNV64_OFFSET_BASIS, &shape, sizeof shape);
    for (int i = 0; i < kept_count; i++)
        if (kept[i].key == key) {
            if (kept[i].rc) snprintf(err, ERR_LEN, "%s", kept[i].err);
            return kept[i].rc;
        }
    int rc = 0, C, H, W, classes;
    char message[ERR_LEN] = "";
    if (data_expected_shape(cfg, &C, &H, &W, &classes) == 0) {
        size_t count;
        char why[ERR_LEN];
        if (model_count_parameters(cfg->model, cfg, C, H, W, classes, &count, why))
            rc = err_set(message, "%s (%s images are %dx%dx%d)", why, cfg->dataset, C, H, W);
    }
    kept[next_slot].key = key;
    kept[next_slot].rc = rc;
    memcpy(kept[next_slot].err, message, ERR_LEN);
    next_slot = (next_slot + 1) % KEPT;
    if (kept_count < KEPT) kept_count++;
    if (rc) snprintf(err, ERR_LEN, "%s", message);
    return rc;
}

int train_config_validate(const TrainConfig *cfg, char err[ERR_LEN]) {
    static const char *const datasets[] = {"fashion-mnist", "mnist", "synthetic", "cifar10", "cifar100", "imagefolder",
                                           NULL};
    static const char *const schedules[] = {"constant", "step", "multistep", "cosine", "onecycle", NULL};
    static const char *const optimizers[] = {"sgd", "adamw", NULL};
    static const char *const shortcuts[] = {"A", "B", NULL};
    static const char *const pools[] = {"cls", "mean", NULL};
    static const char *const gelus[] = {"erf", "tanh", NULL};
    static const char *const stems[] = {"auto", "imagenet", "cifar", NULL};
    static const char *const recomputes[] = {"none", "norm", "pointwise", NULL};
    if (!one_of(cfg->optimizer, optimizers)) return err_set(err, "optimizer: unknown optimizer '%s' (sgd, adamw)", cfg->optimizer);
    if (!one_of(cfg->shortcut, shortcuts)) return err_set(err, "shortcut: expected A or B, got '%s'", cfg->shortcut);
    if (!one_of(cfg->pool, pools)) return err_set(err, "pool: expected cls or mean, got '%s'", cfg->pool);
    if (!one_of(cfg->stem, stems)) return err_set(err, "stem: expected auto, imagenet or cifar, got '%s'", cfg->stem);
    if (!one_of(cfg->gelu, gelus)) return err_set(err, "gelu: expected erf or tanh, got '%s'", cfg->gelu);
    if (!one_of(cfg->recompute, recomputes))
        return err_set(err, "recompute: expected none, norm or pointwise, got '%s'", cfg->recompute);
    if (!one_of(cfg->dataset, datasets))
        return err_set(err,
                       "dataset: unknown dataset '%s' (fashion-mnist, mnist, synthetic, cifar10, cifar100, imagefolder)",
                       cfg->dataset);
    if (!model_is_known(cfg->model)) return err_set(err, "model: unknown model '%s' (see `cohort models`)", cfg->model);
    if (!one_of(cfg->schedule, schedules))
        return err_set(err, "schedule: unknown schedule '%s' (constant, step, multistep, cosine, onecycle)", cfg->schedule);
    int c, h, w;
    char tail;
    if (sscanf(cfg->input_shape, "%dx%dx%d%c", &c, &h, &w, &tail) != 3 || c < 1 || c > 3 || h < 1 || w < 1)
        return err_set(err, "input_shape: expected CxHxW with 1..3 channels, got '%s'", cfg->input_shape);
    if (cfg->ranks_per_trial > 1 && cfg->micro_batch == 0)
        return err_set(err, "ranks_per_trial: %d ranks need micro_batch (the images per shard, e.g. micro_batch: %d); "
                       "a trial's results depend on micro_batch, never on the number of ranks",
                       cfg->ranks_per_trial, cfg->batch_size / cfg->ranks_per_trial > 0 ? cfg->batch_size / cfg->ranks_per_trial : 1);
    if (cfg->micro_batch > cfg->batch_size)
        return err_set(err, "micro_batch: %d is more than batch_size %d", cfg->micro_batch, cfg->batch_size);
    if (cfg->micro_batch > 0 && (cfg->batch_size + cfg->micro_batch - 1) / cfg->micro_batch < cfg->ranks_per_trial)
        return err_set(err, "ranks_per_trial: %d ranks but a batch of %d has only %d micro-batches of %d; some ranks "
                       "would have nothing to do", cfg->ranks_per_trial, cfg->batch_size,
                       (cfg->batch_size + cfg->micro_batch - 1) / cfg->micro_batch, cfg->micro_batch);
    /* hidden: comma-separated positive integers */
    const char *p = cfg->hidden;
    while (*p) {
        char *end;
        long v = strtol(p, &end, 10);
        if (end == p || v < 1 || v > 1 << 20 || (*end && *end != ','))
            return err_set(err, "hidden: expected comma-separated positive widths, got '%s'", cfg->hidden);
        p = *end ? end + 1 : end;
    }
    /* the model must fit the dataset's images (AlexNet needs 63 pixels, VGG 32, ...): said now, not by a
     * failed trial */
    return check_model_fits(cfg, err);
}

int train_config_format(const TrainConfig *cfg, const char *key, char *out, size_t size) {
    const KeySpec *k = find_key(key);
    if (!k) return -1;
    const char *field = (const char *)cfg + k->offset;
    switch (k->type) {
    case 's': snprintf(out, size, "%s", field); break;
    case 'b': snprintf(out, size, "%s", *(const int *)field ? "true" : "false"); break;
    case 'a': snprintf(out, size, "%s", *(const int *)field < 0 ? "auto" : *(const int *)field ? "true" : "false"); break;
    case 'i': snprintf(out, size, "%d", *(const int *)field); break;
    case 'n':
        if (*(const int *)field < 0) snprintf(out, size, "auto");
        else snprintf(out, size, "%d", *(const int *)field);
        break;
    case 'g':
        if (*(const double *)field < 0) snprintf(out, size, "auto");
        else snprintf(out, size, "%.17g", *(const double *)field);
        break;
    case 'u': snprintf(out, size, "%llu", (unsigned long long)*(const uint64_t *)field); break;
    case 'f': snprintf(out, size, "%.17g", *(const double *)field); break;
    }
    return 0;
}

uint64_t train_config_fingerprint(const TrainConfig *cfg) {
    /* FNV-1a over "key=value;" of every key but threads, ranks_per_trial and recompute */
    uint64_t h = FNV64_OFFSET_BASIS;
    char value[600];
    for (int i = 0; i < KEY_COUNT; i++) {
        /* results depend on neither the thread count, nor the number of ranks training the trial, nor what
         * backward recomputes (the same bits) */
        if (!strcmp(KEYS[i].name, "threads") || !strcmp(KEYS[i].name, "ranks_per_trial") ||
            !strcmp(KEYS[i].name, "recompute"))
            continue;
        /* a key added later hashes only when set, so checkpoints written before it existed still match */
        if (!strcmp(KEYS[i].name, "micro_batch") && cfg->micro_batch == 0) continue;
        if (!strcmp(KEYS[i].name, "image_size") && cfg->image_size < 0) continue;
        train_config_format(cfg, KEYS[i].name, value, sizeof value);
        for (const char *parts[] = {KEYS[i].name, "=", value, ";"}, **p = parts; p < parts + 4; p++)
            h = fnv64_text(h, *p);
    }
    return h;
}

size_t train_config_to_text(const TrainConfig *cfg, char *out, size_t size) {
    size_t at = 0;
    char value[600];
    out[0] = '\0';
    for (int i = 0; i < KEY_COUNT; i++) {
        train_config_format(cfg, KEYS[i].name, value, sizeof value);
        int n = snprintf(out + at, size - at, "%s=%s\n", KEYS[i].name, value);
        if (n < 0 || (size_t)n >= size - at) break;
        at += (size_t)n;
    }
    return at;
}

int train_config_from_text(TrainConfig *cfg, const char *text, size_t size, char err[ERR_LEN]) {
    train_config_defaults(cfg);
    size_t at = 0;
    int line = 0;
    char buf[700], why[ERR_LEN];
    while (at < size) {
        line++;
        size_t end = at;
        while (end < size && text[end] != '\n') end++;
        const size_t len = end - at;
        if (len >= sizeof buf) return err_set(err, "line %d: longer than %zu characters", line, sizeof buf - 1);
        memcpy(buf, text + at, len);
        buf[len] = '\0';
        at = end + 1;
        if (!len) continue;
        char *eq = strchr(buf, '=');
        if (!eq) return err_set(err, "line %d: expected key=value", line);
        *eq = '\0';
        /* empty strings are how unset strings (data_dir, milestones) are written */
        if (train_config_set(cfg, buf, eq + 1, why)) return err_set(err, "line %d: %s", line, why);
    }
    return 0;
}

int train_config_key_count(void) { return KEY_COUNT; }
const char *train_config_key_name(int index) { return KEYS[index].name; }
const char *train_config_key_help(int index) { return KEYS[index].help; }

char train_config_key_type(const char *key) {
    const KeySpec *k = find_key(key);
    if (!k) return 0;
    switch (k->type) {
    case 'u': return 'i';
    case 'n': return 'i';
    case 'g': return 'f';
    case 'a': return 'b';
    default: return k->type;
    }
}
