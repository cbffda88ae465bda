/* Standard output, shared by every subcommand: main() passes each command's exit code through
 * cli_close_stdout, so a write that failed at any point (a full disk, /dev/full, a closed descriptor) is
 * reported instead of passing as success; and text from sweep files and databases is printed through
 * text_for_terminal. */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"
#include "text_escape.h"

void cli_vfprintf_safe(FILE *out, int keep_newlines, const char *fmt, va_list ap) {
    va_list again;
    va_copy(again, ap);
    int n = vsnprintf(NULL, 0, fmt, ap);
    char *text = n >= 0 ? malloc((size_t)n + 1) : NULL;
    if (text) vsnprintf(text, (size_t)n + 1, fmt, again);
    va_end(again);
    char *safe = text ? text_for_terminal(text, keep_newlines) : NULL;
    fputs(safe ? safe : "(out of memory)\n", out);
    free(safe);
    free(text);
}

void cli_printf_safe(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    cli_vfprintf_safe(stdout, 1, fmt, ap);
    va_end(ap);
}

int cli_stdout_failed(void) { return ferror(stdout) != 0; }

int cli_close_stdout(const char *command, int status) {
    errno = 0;
    int failed = fflush(stdout) != 0;
    int flush_errno = errno;
    failed |= ferror(stdout) != 0;
    errno = 0;
    if (fclose(stdout) != 0) {
        failed = 1;
        if (!flush_errno) flush_errno = errno;
    }
    if (!failed) return status;
    /* stdio keeps only the error flag of an earlier failed write, not its errno */
    if (flush_errno) fprintf(stderr, "cohort%s%s: error writing standard output: %s\n", command ? " " : "",
                             command ? command : "", strerror(flush_errno));
    else fprintf(stderr, "cohort%s%s: error writing standard output\n", command ? " " : "", command ? command : "");
    return status ? status : EXIT_RUNTIME;
}
