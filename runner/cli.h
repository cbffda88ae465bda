/* The `cohort` subcommands. Each returns the process exit code:
 * 0 success, 1 runtime failure, 2 bad usage or bad input, 3 preempted (checkpointed; run again to resume). */
#ifndef COHORT_CLI_H
#define COHORT_CLI_H

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_BAD_INPUT = 2, EXIT_PREEMPTED = 3 };

int cli_train(int argc, char **argv);
int cli_sweep(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_query(int argc, char **argv);
int cli_models(int argc, char **argv);
int cli_bench(int argc, char **argv);

/* True when argv[i] is --help or -h. */
int is_help(const char *arg);

#endif
