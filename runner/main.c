/* cohort: the command line. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "openblas_env.h"

static const char USAGE[] =
    "usage: cohort COMMAND [options]\n"
    "\n"
    "commands:\n"
    "  train    train one run from flags (cohort train --model lenet --epochs 2 ...)\n"
    "  sweep    run a sweep file under mpirun, results into an SQLite database\n"
    "  report   render a database as a report (HTML, Markdown, LaTeX, CSV or JSON)\n"
    "  query    run a read-only SQL query against a database (table, CSV or JSON)\n"
    "  models   list the models and their parameter counts\n"
    "  bench    training throughput of one model on synthetic input\n"
    "  predict  a checkpoint's top classes for images or a dataset split\n"
    "  features a layer's feature maps for one image, as a PNG grid (and .npy)\n"
    "  eval     a checkpoint on a dataset split: accuracy, loss, per-class accuracy, confusion matrix\n"
    "  export   a checkpoint as safetensors with torchvision's state_dict names (resnet18, vgg16_bn, ...)\n"
    "\n"
    "`cohort COMMAND --help` describes each command. Exit codes: 0 success, 1 runtime failure,\n"
    "2 bad usage or bad input.\n";

int is_help(const char *arg) { return !strcmp(arg, "--help") || !strcmp(arg, "-h"); }

static int run_command(int argc, char **argv) {
    if (argc < 2) {
        fputs(USAGE, stderr);
        return EXIT_BAD_INPUT;
    }
    const char *command = argv[1];
    if (is_help(command) || !strcmp(command, "help")) {
        fputs(USAGE, stdout);
        return EXIT_OK;
    }
    if (!strcmp(command, "--version")) {
        puts("cohort " COHORT_VERSION);
        return EXIT_OK;
    }
    if (!strcmp(command, "train")) return cli_train(argc - 1, argv + 1);
    if (!strcmp(command, "sweep")) return cli_sweep(argc - 1, argv + 1);
    if (!strcmp(command, "report")) return cli_report(argc - 1, argv + 1);
    if (!strcmp(command, "query")) return cli_query(argc - 1, argv + 1);
    if (!strcmp(command, "models")) return cli_models(argc - 1, argv + 1);
    if (!strcmp(command, "bench")) return cli_bench(argc - 1, argv + 1);
    if (!strcmp(command, "predict")) return cli_predict(argc - 1, argv + 1);
    if (!strcmp(command, "features")) return cli_features(argc - 1, argv + 1);
    if (!strcmp(command, "eval")) return cli_eval(argc - 1, argv + 1);
    if (!strcmp(command, "export")) return cli_export(argc - 1, argv + 1);
    fprintf(stderr, "cohort: unknown command '%s'\n\n%s", command, USAGE);
    return EXIT_BAD_INPUT;
}

int main(int argc, char **argv) {
    openblas_select_core(argv);
    int status = run_command(argc, argv);
    return cli_close_stdout(argc >= 2 && argv[1][0] != '-' ? argv[1] : NULL, status);
}
