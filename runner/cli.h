/* The `cohort` subcommands. Each returns the process exit code:
 * 0 success, 1 runtime failure, 2 bad usage or bad input, 3 preempted (checkpointed; run again to resume). */
#ifndef COHORT_CLI_H
#define COHORT_CLI_H

#include <stdarg.h>
#include <stdio.h>

enum { EXIT_OK = 0, EXIT_RUNTIME = 1, EXIT_BAD_INPUT = 2, EXIT_PREEMPTED = 3 };

int cli_train(int argc, char **argv);
int cli_sweep(int argc, char **argv);
int cli_report(int argc, char **argv);
int cli_query(int argc, char **argv);
int cli_models(int argc, char **argv);
int cli_bench(int argc, char **argv);
int cli_predict(int argc, char **argv);
int cli_features(int argc, char **argv);
int cli_eval(int argc, char **argv);
int cli_export(int argc, char **argv);

/* Flushes and closes standard output. On a write error (now or earlier) says so on standard error and
 * returns EXIT_RUNTIME, or status when that is already a failure; otherwise status. */
int cli_close_stdout(const char *command, int status);
/* Whether a write to standard output has failed so far (commands printing long output stop early). */
int cli_stdout_failed(void);

/* printf for text that holds stored or user-given strings (sweep names, trial labels, errors): control
 * characters and bytes that are not UTF-8 are printed as U+FFFD (see text_for_terminal); line breaks are
 * kept (cli_printf_safe, to standard output) or, unless keep_newlines, flattened to spaces. */
void cli_printf_safe(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void cli_vfprintf_safe(FILE *out, int keep_newlines, const char *fmt, va_list ap);

/* True when argv[i] is --help or -h. */
int is_help(const char *arg);

#endif
