#include "openblas_env.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

/* Set for the re-executed process: the kernels OpenBLAS had detected before. */
#define REEXEC_MARK "COHORT_OPENBLAS_CORETYPE_SELECTED"

/* OpenBLAS 0.3.21's kernel families for AVX-512 CPUs. Compared without case: openblas_get_corename()
 * says "Cooperlake" where the build targets say COOPERLAKE. */
static const char *const AVX512_CORES[] = {"SkylakeX", "Cooperlake", "SapphireRapids"};

int openblas_core_is_avx512(const char *core) {
    if (!core) return 0;
    for (size_t i = 0; i < sizeof AVX512_CORES / sizeof AVX512_CORES[0]; i++)
        if (!strcasecmp(core, AVX512_CORES[i])) return 1;
    return 0;
}

CoreDecision openblas_core_decide(const char *coretype_env, int cpu_has_avx512, const char *detected_core) {
    if (coretype_env) return CORE_KEEP_USERS;
    if (!cpu_has_avx512 || openblas_core_is_avx512(detected_core)) return CORE_KEEP_DETECTED;
    return CORE_SELECT_AVX512;
}

static int cpu_has_avx512(void) {
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx512f");
}

void openblas_select_core(char **argv) {
    const char *detected = openblas_get_corename();
    if (openblas_core_decide(getenv("OPENBLAS_CORETYPE"), cpu_has_avx512(), detected) != CORE_SELECT_AVX512) return;
    setenv("OPENBLAS_CORETYPE", OPENBLAS_AVX512_FALLBACK_CORE, 1);
    setenv(REEXEC_MARK, detected, 1);
    execv("/proc/self/exe", argv);
    /* exec failed: carry on with the slower kernels rather than not at all */
    unsetenv("OPENBLAS_CORETYPE");
    unsetenv(REEXEC_MARK);
}

void openblas_core_describe(char *out, size_t size, const char *running_core, int cpu_has_avx512,
                            const char *users_coretype, const char *reexec_from) {
    char who[192];
    if (reexec_from)
        snprintf(who, sizeof who,
                 "core type selected by cohort (OPENBLAS_CORETYPE=%s; OpenBLAS had detected %s), re-executed",
                 OPENBLAS_AVX512_FALLBACK_CORE, reexec_from);
    else if (users_coretype)
        snprintf(who, sizeof who, "core type set by the user (OPENBLAS_CORETYPE=%s), kept", users_coretype);
    else
        snprintf(who, sizeof who, "core type detected by OpenBLAS");
    snprintf(out, size, "OpenBLAS: %s kernels (AVX-512: %s) on a CPU %s AVX-512; %s", running_core,
             openblas_core_is_avx512(running_core) ? "yes" : "no", cpu_has_avx512 ? "with" : "without", who);
}

const char *openblas_core_note(void) {
    static char note[512];
    const char *coretype = getenv("OPENBLAS_CORETYPE"), *reexec_from = getenv(REEXEC_MARK);
    /* The mark only counts while the core type is still the one cohort set with it. */
    if (reexec_from && !(coretype && !strcmp(coretype, OPENBLAS_AVX512_FALLBACK_CORE))) reexec_from = NULL;
    openblas_core_describe(note, sizeof note, openblas_get_corename(), cpu_has_avx512(),
                           reexec_from ? NULL : coretype, reexec_from);
    return note;
}
