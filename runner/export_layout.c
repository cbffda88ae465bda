#include "export_layout.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const ExportModelNames *export_names_for(const char *model, int aux) {
    for (int i = 0; i < EXPORT_MODEL_NAME_COUNT; i++) {
        const ExportModelNames *e = &EXPORT_MODEL_NAMES[i];
        if (!strcmp(e->model, model) && (e->aux < 0 || e->aux == (aux == 1))) return e;
    }
    return NULL;
}

/* The layer that owns the parameter tensor at params[offset], and whether it is that layer's weight. */
static const Layer *owner_of(const Model *m, size_t offset, int *is_weight) {
    for (int l = 0; l < m->layer_count; l++) {
        const Layer *L = &m->layers[l];
        if (L->weight == offset || L->bias == offset) {
            *is_weight = L->weight == offset;
            return L;
        }
    }
    return NULL;
}

/* plain, grouped and depthwise convolutions: weights [OC][C/groups][KH][KW] alike */
static int is_conv(const Layer *L) { return L->kind == LAYER_CONV || L->kind == LAYER_GROUPED_CONV; }

/* PyTorch's shape of Cohort's parameter tensor t, which must have `dims` dimensions there: convolution weights
 * [OC][C/groups][KH][KW] (Cohort stores them so), linear weights [OUT][IN], everything else [n]. Non-zero when
 * Cohort's layer does not have that form. */
static int torch_shape(const Model *m, const ParamTensor *t, int dims, int64_t shape[4]) {
    int is_weight = 0;
    const Layer *L = owner_of(m, t->offset, &is_weight);
    if (!L) return -1;
    const int64_t n = (int64_t)t->count;
    if (dims == 1) {
        shape[0] = n;
        return is_weight && (is_conv(L) || L->kind == LAYER_LINEAR) ? -1 : 0;
    }
    if (!is_weight) return -1;
    if (dims == 4 && is_conv(L)) {
        const int64_t oc = m->slots[L->out].C, kh = L->kernel_h, kw = L->kernel_w;
        if (oc <= 0 || kh <= 0 || kw <= 0 || n % (oc * kh * kw)) return -1;
        shape[0] = oc, shape[1] = n / (oc * kh * kw), shape[2] = kh, shape[3] = kw;
        return 0;
    }
    /* a linear layer is [OUT][IN]; where torchvision has a 1x1 convolution on pooled features instead (MobileNet
     * V3's squeeze-and-excitation fc1/fc2) the same values are [OUT][IN][1][1] */
    if ((dims == 2 || dims == 4) && L->kind == LAYER_LINEAR) {
        const TensorSlot *in = &m->slots[L->in];
        const int64_t features = in->flat ? (int64_t)in->C : 0; /* flat slots hold C features per token */
        if (features <= 0 || n % features) return -1;
        shape[0] = n / features, shape[1] = features;
        if (dims == 4) shape[2] = shape[3] = 1;
        return 0;
    }
    return -1;
}

int export_layout(const Model *model, const ExportModelNames *names, long steps, SafeTensor **tensors_out, int *count,
                  char err[ERR_LEN]) {
    *tensors_out = NULL;
    *count = 0;
    int bn_layers = 0;
    for (int l = 0; l < model->layer_count; l++) bn_layers += model->layers[l].kind == LAYER_BATCHNORM;
    if (model->tensor_count != names->tensor_count || bn_layers != names->batchnorm_count)
        return err_set(err,
                       "model %s as configured has %d parameter tensors and %d batch norms, torchvision's %d and %d: "
                       "not torchvision's layout (VGG: train with stem imagenet)",
                       model->name, model->tensor_count, bn_layers, names->tensor_count, names->batchnorm_count);
    const int total = names->tensor_count + 3 * names->batchnorm_count;
    SafeTensor *tensors = calloc((size_t)total + 1, sizeof *tensors);
    if (!tensors) return err_set(err, "out of memory");
    for (int t = 0; t < names->tensor_count; t++) {
        SafeTensor *s = &tensors[t];
        snprintf(s->name, sizeof s->name, "%s", names->tensors[t].name);
        s->dims = names->tensors[t].dims;
        s->f32 = model->params + model->tensors[t].offset;
        if (torch_shape(model, &model->tensors[t], s->dims, s->shape)) {
            free(tensors);
            return err_set(err, "model %s as configured: parameter tensor %d (%s) does not have torchvision's layout",
                           model->name, t, names->tensors[t].name);
        }
    }
    /* each batch norm's running mean and variance (Cohort's buffers, in layer order) and its step count */
    for (int l = 0, b = 0; l < model->layer_count; l++) {
        const Layer *L = &model->layers[l];
        if (L->kind != LAYER_BATCHNORM) continue;
        const int64_t c = (int64_t)L->weight_count;
        SafeTensor *s = &tensors[names->tensor_count + 3 * b];
        snprintf(s[0].name, sizeof s[0].name, "%s.running_mean", names->batchnorms[b]);
        snprintf(s[1].name, sizeof s[1].name, "%s.running_var", names->batchnorms[b]);
        snprintf(s[2].name, sizeof s[2].name, "%s.num_batches_tracked", names->batchnorms[b]);
        s[0].dims = s[1].dims = 1;
        s[0].shape[0] = s[1].shape[0] = c;
        s[0].f32 = model->buffers + L->buffer;
        s[1].f32 = model->buffers + L->buffer + c;
        s[2].dims = 0;
        s[2].i64 = steps;
        b++;
    }
    *tensors_out = tensors;
    *count = total;
    return 0;
}
