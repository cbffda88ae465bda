/* Standard output's final check, shared by every subcommand: main() passes each command's exit code
 * through cli_close_stdout, so a write that failed at any point (a full disk, /dev/full, a closed
 * descriptor) is reported instead of passing as success. */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

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
