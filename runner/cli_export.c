/* cohort export: a checkpoint's weights as a safetensors file with the tensor names and layouts of the matching
 * torchvision module's state_dict, so that `model.load_state_dict(safetensors.torch.load_file(F))` works. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checkpoint_model.h"
#include "cli.h"
#include "config.h"
#include "data.h"
#include "export_names.h"
#include "safetensors.h"
#include "store.h"
#include "trial.h"

static void print_help(void) {
    printf("usage: cohort export --checkpoint FILE --out MODEL.safetensors [--db PATH --run ID] [--KEY VALUE ...]\n\n"
           "Writes the checkpoint's parameters and batch-norm statistics in the safetensors format, named and laid out\n"
           "as the matching torchvision module's state_dict (float32; num_batches_tracked int64: the run's optimiser\n"
           "steps). Models with a torchvision counterpart:");
    for (int i = 0; i < EXPORT_MODEL_NAME_COUNT; i++)
        if (i == 0 || strcmp(EXPORT_MODEL_NAMES[i].model, EXPORT_MODEL_NAMES[i - 1].model))
            printf("%s %s", i ? "," : "", EXPORT_MODEL_NAMES[i].model);
    printf(".\nThe file holds the model as Cohort trained it: a ResNet with the CIFAR stem has a 3x3 conv1 and no max\n"
           "pool, so torchvision's module needs the same change (bench/export_check.py shows how); VGG's CIFAR form\n"
           "(one linear layer) has no torchvision layout and is refused, as are models without a counterpart.\n"
           "  --checkpoint FILE   the checkpoint; its model is the header's unless --model or --db says otherwise\n"
           "  --db PATH --run ID  the run's settings (and its kept best checkpoint when --checkpoint is not given)\n"
           "  --KEY VALUE         trainer settings the model was trained with (cohort train --help): width, stem,\n"
           "                      aux, input_shape, classes, dataset (for the input shape and class count)\n"
           "Bad input (a corrupt checkpoint, one of another model, a model without a torchvision layout): a message\n"
           "naming the file, exit code 2, nothing written.\n");
}

static const ExportModelNames *names_for(const TrainConfig *cfg) {
    const int aux = cfg->aux == 1;
    for (int i = 0; i < EXPORT_MODEL_NAME_COUNT; i++) {
        const ExportModelNames *e = &EXPORT_MODEL_NAMES[i];
        if (!strcmp(e->model, cfg->model) && (e->aux < 0 || e->aux == aux)) return e;
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

/* PyTorch's shape of Cohort's parameter tensor t, which must have `dims` dimensions there: convolution weights
 * [OC][C/groups][KH][KW], linear weights [OUT][IN], everything else [n]. Non-zero when Cohort's layer does not
 * have that form (the model is not torchvision's). */
static int torch_shape(const Model *m, const ParamTensor *t, int dims, int64_t shape[4]) {
    int is_weight = 0;
    const Layer *L = owner_of(m, t->offset, &is_weight);
    if (!L) return -1;
    const int64_t n = (int64_t)t->count;
    if (dims == 1) {
        shape[0] = n;
        return is_weight && (L->kind == LAYER_CONV || L->kind == LAYER_LINEAR) ? -1 : 0;
    }
    if (!is_weight) return -1;
    if (dims == 4 && L->kind == LAYER_CONV) {
        const int64_t oc = m->slots[L->out].C, kh = L->kernel_h, kw = L->kernel_w;
        if (oc <= 0 || kh <= 0 || kw <= 0 || n % (oc * kh * kw)) return -1;
        shape[0] = oc, shape[1] = n / (oc * kh * kw), shape[2] = kh, shape[3] = kw;
        return 0;
    }
    if (dims == 2 && L->kind == LAYER_LINEAR) {
        const TensorSlot *in = &m->slots[L->in];
        const int64_t features = in->flat ? (int64_t)in->C : 0; /* flat slots hold C features per token */
        if (features <= 0 || n % features) return -1;
        shape[0] = n / features, shape[1] = features;
        return 0;
    }
    return -1;
}

int cli_export(int argc, char **argv) {
    const char *checkpoint_arg = NULL, *out = NULL, *db = NULL;
    long long run = -1;
    int model_given = 0;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            print_help();
            return EXIT_OK;
        }
    }
    for (int i = 1; i < argc; i++) {
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!v || strncmp(argv[i], "--", 2) != 0) {
            fprintf(stderr, "cohort export: expected --KEY VALUE, got '%s' (see cohort export --help)\n", argv[i]);
            return EXIT_BAD_INPUT;
        }
        if (!strcmp(argv[i], "--checkpoint")) checkpoint_arg = v;
        else if (!strcmp(argv[i], "--out")) out = v;
        else if (!strcmp(argv[i], "--db")) db = v;
        else if (!strcmp(argv[i], "--run")) {
            char *end;
            run = strtoll(v, &end, 10);
            if (*end || end == v || run < 1) {
                fprintf(stderr, "cohort export: --run: expected a run id (a positive integer), got '%s'\n", v);
                return EXIT_BAD_INPUT;
            }
        } else model_given |= !strcmp(argv[i], "--model");
        i++;
    }
    if (!out || (!checkpoint_arg && !db) || (!db != (run < 0))) {
        fprintf(stderr, "cohort export: give --out FILE and --checkpoint FILE (or --db PATH --run ID); see --help\n");
        return EXIT_BAD_INPUT;
    }
    char err[ERR_LEN] = "", checkpoint[4096] = "";
    TrainConfig cfg;
    train_config_defaults(&cfg);
    if (checkpoint_arg) snprintf(checkpoint, sizeof checkpoint, "%s", checkpoint_arg);
    if (db) {
        Store *store = NULL;
        char *config = NULL;
        KeptCheckpoint best = {0};
        int bad = access(db, F_OK) != 0;
        if (bad) err_set(err, "%s: no such results database", db);
        else
            bad = store_open_readonly(&store, db, err) || store_run_config(store, run, &config, err) ||
                  trial_config_from_text(config, &cfg, err) ||
                  (!checkpoint_arg && store_run_checkpoint(store, run, "best", &best, err));
        if (!bad && !checkpoint_arg && best.epoch == 0) {
            err_set(err, "%s: run %lld has no kept best checkpoint; name one with --checkpoint", db, run);
            bad = 1;
        }
        if (!bad && !checkpoint_arg) snprintf(checkpoint, sizeof checkpoint, "%s", best.path);
        free(config);
        if (store) store_close(store);
        if (bad) {
            fprintf(stderr, "cohort export: %s\n", err);
            return EXIT_BAD_INPUT;
        }
    }
    CheckpointInfo info;
    if (checkpoint_info(checkpoint, &info, err)) {
        fprintf(stderr, "cohort export: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    if (!db && !model_given) snprintf(cfg.model, sizeof cfg.model, "%s", info.model);
    for (int i = 1; i + 1 < argc; i += 2) {
        const char *k = argv[i];
        if (!strcmp(k, "--checkpoint") || !strcmp(k, "--out") || !strcmp(k, "--db") || !strcmp(k, "--run")) continue;
        if (train_config_set(&cfg, k + 2, argv[i + 1], err)) {
            fprintf(stderr, "cohort export: --%s\n", err);
            return EXIT_BAD_INPUT;
        }
    }
    if (train_config_validate(&cfg, err)) {
        fprintf(stderr, "cohort export: --%s\n", err);
        return EXIT_BAD_INPUT;
    }
    const ExportModelNames *names = names_for(&cfg);
    if (!names) {
        fprintf(stderr, "cohort export: %s: model %s has no torchvision counterpart to export to (see cohort export "
                        "--help for those that have)\n",
                checkpoint, cfg.model);
        return EXIT_BAD_INPUT;
    }
    int C, H, W, classes;
    if (data_expected_shape(&cfg, &C, &H, &W, &classes)) {
        fprintf(stderr, "cohort export: the input shape of dataset %s is not known without its files; give "
                        "--dataset synthetic --input_shape CxHxW --classes K\n",
                cfg.dataset);
        return EXIT_BAD_INPUT;
    }
    Model *model = NULL;
    long steps = 0;
    if (checkpoint_model_load(checkpoint, &cfg, C, H, W, classes, 1, &model, &info, &steps, err)) {
        fprintf(stderr, "cohort export: %s\n", err);
        return EXIT_BAD_INPUT;
    }
    int bn_layers = 0;
    for (int l = 0; l < model->layer_count; l++) bn_layers += model->layers[l].kind == LAYER_BATCHNORM;
    const int total = names->tensor_count + 3 * names->batchnorm_count;
    SafeTensor *tensors = calloc((size_t)total + 1, sizeof *tensors);
    int status = EXIT_BAD_INPUT;
    if (!tensors) {
        fprintf(stderr, "cohort export: out of memory\n");
        status = EXIT_RUNTIME;
        goto done;
    }
    if (model->tensor_count != names->tensor_count || bn_layers != names->batchnorm_count) {
        fprintf(stderr, "cohort export: %s: model %s as configured has %d parameter tensors and %d batch norms, "
                        "torchvision's %d and %d: not torchvision's layout (VGG: train with stem imagenet)\n",
                checkpoint, cfg.model, model->tensor_count, bn_layers, names->tensor_count, names->batchnorm_count);
        goto done;
    }
    for (int t = 0; t < names->tensor_count; t++) {
        SafeTensor *s = &tensors[t];
        snprintf(s->name, sizeof s->name, "%s", names->tensors[t].name);
        s->dims = names->tensors[t].dims;
        s->f32 = model->params + model->tensors[t].offset;
        if (torch_shape(model, &model->tensors[t], s->dims, s->shape)) {
            fprintf(stderr, "cohort export: %s: model %s as configured: parameter tensor %d (%s) does not have "
                            "torchvision's layout\n",
                    checkpoint, cfg.model, t, s->name);
            goto done;
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
    char epoch[16];
    snprintf(epoch, sizeof epoch, "%d", info.epochs_done);
    const char *meta[] = {"format", "pt", "cohort_model", cfg.model, "cohort_checkpoint", checkpoint, "cohort_epoch", epoch};
    if (safetensors_write(out, tensors, total, meta, 4, err)) {
        fprintf(stderr, "cohort export: %s\n", err);
        status = EXIT_RUNTIME;
        goto done;
    }
    cli_printf_safe("wrote %s: %s, %d tensors (%d parameter tensors, %d batch norms), epoch %d\n", out, cfg.model,
                    total, names->tensor_count, names->batchnorm_count, info.epochs_done);
    status = EXIT_OK;
done:
    free(tensors);
    model_free(model);
    return status;
}
