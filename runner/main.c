/* cohort: the command line. Every command is one row of `commands`: its name, the function that runs it
 * and the line `cohort --help` shows for it. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "openblas_env.h"

typedef struct {
    const char *name;
    int (*run)(int argc, char **argv); /* argv[0] is the command's name; returns the exit code */
    const char *summary;               /* one line of the top-level help */
} Command;

static const Command commands[] = {
    {"train", cli_train, "train one run from flags (cohort train --model lenet --epochs 2 ...)"},
    {"sweep", cli_sweep, "run a sweep file under mpirun, results into an SQLite database"},
    {"report", cli_report, "render a database as a report (HTML, Markdown, LaTeX, CSV or JSON)"},
    {"query", cli_query, "run a read-only SQL query against a database (table, CSV or JSON)"},
    {"models", cli_models, "list the models and their parameter counts"},
    {"bench", cli_bench, "training throughput of one model on synthetic input"},
    {"predict", cli_predict, "a checkpoint's top classes for images or a dataset split"},
    {"features", cli_features, "a layer's feature maps for one image, as a PNG grid (and .npy)"},
    {"eval", cli_eval, "a checkpoint on a dataset split: accuracy, loss, per-class accuracy, confusion matrix"},
    {"export", cli_export, "a checkpoint as safetensors with torchvision's state_dict names (resnet18, vgg16_bn, ...)"},
};
#define COMMAND_COUNT (sizeof commands / sizeof commands[0])

/* The top-level help: usage, one line per command (names padded to the longest), exit codes. */
static void print_usage(FILE *out) {
    int width = 0;
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if ((int)strlen(commands[i].name) > width) width = (int)strlen(commands[i].name);
    fputs("usage: cohort COMMAND [options]\n\ncommands:\n", out);
    for (size_t i = 0; i < COMMAND_COUNT; i++) fprintf(out, "  %-*s %s\n", width, commands[i].name, commands[i].summary);
    fputs("\n`cohort COMMAND --help` describes each command. Exit codes: 0 success, 1 runtime failure,\n"
          "2 bad usage or bad input.\n",
          out);
}

int is_help(const char *arg) { return !strcmp(arg, "--help") || !strcmp(arg, "-h"); }

static int run_command(int argc, char **argv) {
    if (argc < 2) {
        print_usage(stderr);
        return EXIT_BAD_INPUT;
    }
    const char *command = argv[1];
    if (is_help(command) || !strcmp(command, "help")) {
        print_usage(stdout);
        return EXIT_OK;
    }
    if (!strcmp(command, "--version")) {
        puts("cohort " COHORT_VERSION);
        return EXIT_OK;
    }
    for (size_t i = 0; i < COMMAND_COUNT; i++)
        if (!strcmp(command, commands[i].name)) return commands[i].run(argc - 1, argv + 1);
    fprintf(stderr, "cohort: unknown command '%s'\n\n", command);
    print_usage(stderr);
    return EXIT_BAD_INPUT;
}

int main(int argc, char **argv) {
    openblas_select_core(argv);
    int status = run_command(argc, argv);
    return cli_close_stdout(argc >= 2 && argv[1][0] != '-' ? argv[1] : NULL, status);
}
