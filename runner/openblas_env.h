/* Debian's OpenBLAS 0.3.21 does not recognise recent AVX-512 CPUs and falls back to AVX2 (Haswell)
 * kernels, about half the sgemm speed. OPENBLAS_CORETYPE is read when the library loads, before main(),
 * so cohort sets it and re-executes itself once; a value the user set is never overridden. */
#ifndef COHORT_OPENBLAS_ENV_H
#define COHORT_OPENBLAS_ENV_H

/* Call first thing in main(). May not return (execv). */
void openblas_select_core(char **argv);
/* One line for --verbose: the core OpenBLAS runs and why. */
const char *openblas_core_note(void);

#endif
