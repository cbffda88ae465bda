/* Runs a piece of a test in a child process that may map at most `extra` bytes of data memory beyond what
 * it already has (RLIMIT_DATA over the current VmData, which also holds under ASan), so that a loader that
 * allocates what a corrupt header claims fails the test on any machine instead of merely being slow. */
#ifndef COHORT_TEST_MEMORY_CAP_H
#define COHORT_TEST_MEMORY_CAP_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

/* The process's data size in bytes (VmData of /proc/self/status), 0 when unknown. */
static inline unsigned long long memory_cap_vm_data(void) {
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    unsigned long long kb = 0;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmData: %llu kB", &kb) == 1) break;
    if (f) fclose(f);
    return kb * 1024;
}

/* fn(arg) in a child limited to `extra` more bytes of data memory. Returns fn's result (0 = pass), or -1
 * when the child could not run or died (e.g. the sanitizer's allocator aborting on the refused mapping). */
static inline int run_with_memory_cap(unsigned long long extra, int (*fn)(void *), void *arg) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0) return -1;
    if (pid == 0) {
        unsigned long long now = memory_cap_vm_data();
        struct rlimit cap = {(rlim_t)(now + extra), (rlim_t)(now + extra)};
        if (!now || setrlimit(RLIMIT_DATA, &cap) != 0) _exit(99);
        int rc = fn(arg);
        fflush(NULL);
        _exit(rc ? 1 : 0);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid) return -1;
    return WIFEXITED(status) && WEXITSTATUS(status) != 99 ? WEXITSTATUS(status) : -1;
}

#endif
