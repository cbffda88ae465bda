#include "openblas_env.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define REEXEC_MARK "COHORT_OPENBLAS_CORETYPE_SELECTED"

/* Kernels OpenBLAS 0.3.21 has for AVX-512 machines. */
static int is_avx512_core(const char *core) {
    return core && (!strcasecmp(core, "SkylakeX") || !strcasecmp(core, "CooperLake") ||
                    !strcasecmp(core, "SapphireRapids"));
}

void openblas_select_core(char **argv) {
    if (getenv("OPENBLAS_CORETYPE")) return; /* the user's choice, or ours after the re-exec */
    __builtin_cpu_init();
    if (!__builtin_cpu_supports("avx512f")) return;
    if (is_avx512_core(openblas_get_corename())) return; /* recognised: nothing to do */
    setenv("OPENBLAS_CORETYPE", "SkylakeX", 1);
    setenv(REEXEC_MARK, openblas_get_corename(), 1);
    execv("/proc/self/exe", argv);
    /* exec failed: carry on with the slower kernels rather than not at all */
}

const char *openblas_core_note(void) {
    static char note[256];
    const char *was = getenv(REEXEC_MARK);
    if (was)
        snprintf(note, sizeof note,
                 "OpenBLAS: this AVX-512 CPU was not recognised (detected as %s); selected OPENBLAS_CORETYPE=SkylakeX, "
                 "now running %s kernels",
                 was, openblas_get_corename());
    else if (getenv("OPENBLAS_CORETYPE"))
        snprintf(note, sizeof note, "OpenBLAS: OPENBLAS_CORETYPE=%s set by the user; running %s kernels",
                 getenv("OPENBLAS_CORETYPE"), openblas_get_corename());
    else
        snprintf(note, sizeof note, "OpenBLAS: running %s kernels", openblas_get_corename());
    return note;
}
