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

/* Flushes and closes standard output. On a write error (now or earlier) says so on standard error and
 * returns EXIT_RUNTIME, or status when that is already a failure; otherwise status. */
int cli_close_stdout(const char *command, int status);
/* Whether a write to standard output has failed so far (commands printing long output stop early). */
int cli_stdout_failed(void);

/* True when argv[i] is --help or -h. */
int is_help(const char *arg);

#endif
