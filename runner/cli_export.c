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
#include "export_layout.h"
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
           "pool, so torchvision's module needs the same change (bench/export_check.py shows how); the CIFAR forms\n"
           "of MobileNet, ShuffleNet and ResNeXt change strides as well (train with stem imagenet for torchvision's\n"
           "form at any input size); the metadata's cohort_form names the form. VGG's CIFAR form\n"
           "(one linear layer) has no torchvision layout and is refused, as are models without a counterpart.\n"
           "  --checkpoint FILE   the checkpoint; its model is the header's unless --model or --db says otherwise\n"
           "  --db PATH --run ID  the run's settings (and its kept best checkpoint when --checkpoint is not given)\n"
           "  --KEY VALUE         trainer settings the model was trained with (cohort train --help): width, stem,\n"
           "                      aux, input_shape, classes, dataset (for the input shape and class count)\n"
           "Bad input (a corrupt checkpoint, one of another model, a model without a torchvision layout): a message\n"
           "naming the file, exit code 2, nothing written.\n");
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
    const ExportModelNames *names = export_names_for(cfg.model, cfg.aux);
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
    SafeTensor *tensors = NULL;
    int total = 0, status = EXIT_BAD_INPUT;
    if (export_layout(model, names, steps, &tensors, &total, err)) {
        fprintf(stderr, "cohort export: %s: %s\n", checkpoint, err);
        goto done;
    }
    char epoch[16];
    snprintf(epoch, sizeof epoch, "%d", info.epochs_done);
    /* the form (e.g. "CIFAR stem"): what a PyTorch user must change in torchvision's module; "" = torchvision's */
    ModelSummary summary = {0};
    if (model_summarise(cfg.model, &cfg, C, H, W, classes, &summary, err)) summary.form[0] = '\0';
    const char *meta[] = {"format", "pt", "cohort_model", cfg.model, "cohort_checkpoint", checkpoint, "cohort_epoch", epoch,
                          "cohort_form", summary.form[0] ? summary.form : "torchvision"};
    if (safetensors_write(out, tensors, total, meta, 5, err)) {
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
