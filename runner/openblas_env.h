/* Debian's OpenBLAS 0.3.21 does not recognise recent AVX-512 CPUs and falls back to AVX2 (Haswell)
 * kernels, about half the sgemm speed. OPENBLAS_CORETYPE is read when the library loads, before main(),
 * so cohort sets it and re-executes itself once; a value the user set is never overridden. */
#ifndef COHORT_OPENBLAS_ENV_H
#define COHORT_OPENBLAS_ENV_H

#include <stddef.h>

/* The core type cohort selects on an AVX-512 CPU that OpenBLAS did not recognise. */
#define OPENBLAS_AVX512_FALLBACK_CORE "SkylakeX"

typedef enum {
    CORE_KEEP_USERS,       /* OPENBLAS_CORETYPE was set (by the user, or by cohort before its re-exec) */
    CORE_KEEP_DETECTED,    /* OpenBLAS's own choice is right for this CPU */
    CORE_SELECT_AVX512,    /* AVX-512 CPU, non-AVX-512 kernels: set the fallback core and re-execute */
} CoreDecision;

/* Whether OpenBLAS kernel family `core` (as openblas_get_corename() names it, any case) uses AVX-512. */
int openblas_core_is_avx512(const char *core);
/* The decision, from the environment's OPENBLAS_CORETYPE (NULL when unset), whether the CPU has
 * AVX-512F and the kernels OpenBLAS picked. */
CoreDecision openblas_core_decide(const char *coretype_env, int cpu_has_avx512, const char *detected_core);
/* The --verbose line: kernels running, whether they and the CPU have AVX-512, and who chose the core type.
 * users_coretype: the user's OPENBLAS_CORETYPE or NULL; reexec_from: the kernels OpenBLAS had detected
 * before cohort re-executed itself, or NULL when it did not. */
void openblas_core_describe(char *out, size_t size, const char *running_core, int cpu_has_avx512,
                            const char *users_coretype, const char *reexec_from);

/* Call first thing in main(). May not return (execv). */
void openblas_select_core(char **argv);
/* One line for --verbose: the core OpenBLAS runs and why (openblas_core_describe for this process). */
const char *openblas_core_note(void);

#endif
