/* cohort models: every model with its parameter count for an input shape and class count. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "model.h"

static const char HELP[] =
    "usage: cohort models [--input CxHxW] [--classes N] [--plan MODEL] [--KEY VALUE ...]\n"
    "\n"
    "Lists every model with its trainable parameter count, forward GFLOP per image (a multiply-add counts 2)\n"
    "and the form its settings chose (e.g. ResNet's ImageNet or CIFAR stem) for the given input shape\n"
    "(default 1x32x32) and class count (default 10). Model options (e.g. --stem imagenet) are trainer settings.\n"
    "--plan MODEL prints the steps the engine runs for MODEL instead: each layer, or fused pair of layers\n"
    "(batchnorm+relu, add+relu, linear+add), with its output shape, parameters and forward MFLOP per image.\n";

/* 61706 -> "61,706" */
static const char *thousands(size_t n, char out[32]) {
    char digits[32];
    int len = snprintf(digits, sizeof digits, "%zu", n), o = 0;
    for (int i = 0; i < len; i++) {
        if (i > 0 && (len - i) % 3 == 0) out[o++] = ',';
        out[o++] = digits[i];
    }
    out[o] = '\0';
    return out;
}

int cli_models(int argc, char **argv) {
    int C = 1, H = 32, W = 32, classes = 10;
    TrainConfig cfg;
    train_config_defaults(&cfg);
    char err[ERR_LEN];
    const char *plan = NULL;
    for (int i = 1; i < argc; i++) {
        if (is_help(argv[i])) {
            fputs(HELP, stdout);
            return EXIT_OK;
        }
        if (i + 1 >= argc || strncmp(argv[i], "--", 2) != 0) {
            fprintf(stderr, "cohort models: expected --KEY VALUE, got '%s'\n\n%s", argv[i], HELP);
            return EXIT_BAD_INPUT;
        }
        const char *key = argv[i] + 2, *value = argv[++i];
        char tail;
        if (!strcmp(key, "input")) {
            if (sscanf(value, "%dx%dx%d%c", &C, &H, &W, &tail) != 3 || C < 1 || H < 1 || W < 1) {
                fprintf(stderr, "cohort models: --input: expected CxHxW, got '%s'\n", value);
                return EXIT_BAD_INPUT;
            }
        } else if (!strcmp(key, "classes")) {
            if (sscanf(value, "%d%c", &classes, &tail) != 1 || classes < 1) {
                fprintf(stderr, "cohort models: --classes: expected a positive integer, got '%s'\n", value);
                return EXIT_BAD_INPUT;
            }
        } else if (!strcmp(key, "plan")) {
            if (!model_is_known(value)) {
                fprintf(stderr, "cohort models: --plan: unknown model '%s' (see `cohort models`)\n", value);
                return EXIT_BAD_INPUT;
            }
            plan = value;
        } else if (train_config_set(&cfg, key, value, err)) {
            fprintf(stderr, "cohort models: --%s\n", err);
            return EXIT_BAD_INPUT;
        }
    }
    if (plan) {
        Model *m;
        if (model_create(&m, plan, &cfg, C, H, W, classes, 1, 0, err)) {
            fprintf(stderr, "cohort models: --plan %s: %s\n", plan, err);
            return EXIT_BAD_INPUT;
        }
        printf("%s for %dx%dx%d input, %d classes\n", plan, C, H, W, classes);
        model_plan_print(m, stdout);
        model_free(m);
        return EXIT_OK;
    }
    printf("counted for %dx%dx%d input, %d classes\n", C, H, W, classes);
    printf("%-18s %14s %10s  %-16s %s\n", "model", "parameters", "GFLOP/img", "form", "description");
    for (int i = 0; i < model_registry_count(); i++) {
        ModelSummary summary;
        if (model_summarise(model_registry_name(i), &cfg, C, H, W, classes, &summary, err)) {
            printf("%-18s %14s %10s  %-16s %s (%s)\n", model_registry_name(i), "-", "-", "-", model_registry_help(i),
                   err);
            continue;
        }
        char text[32];
        printf("%-18s %14s %10.3f  %-16s %s\n", model_registry_name(i), thousands(summary.params, text),
               summary.forward_flops / 1e9, summary.form[0] ? summary.form : "-", model_registry_help(i));
    }
    return EXIT_OK;
}
