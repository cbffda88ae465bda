/* OpenBLAS core-type selection (runner/openblas_env.c) as a pure decision: which kernel names count as
 * AVX-512 (any case), when cohort re-executes itself (only on an AVX-512 CPU whose detected kernels are
 * not AVX-512, and never over a value in OPENBLAS_CORETYPE), and the --verbose line for each case.
 * tests/e2e/openblas_core.sh checks the real binary on the machine's own CPU. */
#include <string.h>

#include "openblas_env.h"
#include "check.h"

static void check_avx512_names(void) {
    /* openblas_get_corename()'s spellings in 0.3.21, and the build targets' upper case. */
    const char *avx512[] = {"SkylakeX", "Cooperlake", "SapphireRapids", "SKYLAKEX", "COOPERLAKE", "CooperLake",
                            "sapphirerapids"};
    const char *other[] = {"Haswell", "Sandybridge", "Zen", "Nehalem", "Prescott", "Skylake", "Cooper", "", "Unknown"};
    for (size_t i = 0; i < sizeof avx512 / sizeof *avx512; i++)
        CHECK_MSG(openblas_core_is_avx512(avx512[i]), "%s", avx512[i]);
    for (size_t i = 0; i < sizeof other / sizeof *other; i++)
        CHECK_MSG(!openblas_core_is_avx512(other[i]), "%s", other[i]);
    CHECK(!openblas_core_is_avx512(NULL));
}

static void check_decisions(void) {
    /* AVX-512 CPU: kernels OpenBLAS recognised are kept, whatever their spelling. */
    CHECK(openblas_core_decide(NULL, 1, "Cooperlake") == CORE_KEEP_DETECTED);
    CHECK(openblas_core_decide(NULL, 1, "SkylakeX") == CORE_KEEP_DETECTED);
    CHECK(openblas_core_decide(NULL, 1, "SapphireRapids") == CORE_KEEP_DETECTED);
    /* AVX-512 CPU that OpenBLAS took for an AVX2 or older one (Intel or AMD): select and re-execute. */
    CHECK(openblas_core_decide(NULL, 1, "Haswell") == CORE_SELECT_AVX512);
    CHECK(openblas_core_decide(NULL, 1, "Zen") == CORE_SELECT_AVX512);
    CHECK(openblas_core_decide(NULL, 1, "Sandybridge") == CORE_SELECT_AVX512);
    /* No AVX-512: OpenBLAS's choice stands, nothing is re-executed. */
    CHECK(openblas_core_decide(NULL, 0, "Haswell") == CORE_KEEP_DETECTED);
    CHECK(openblas_core_decide(NULL, 0, "Zen") == CORE_KEEP_DETECTED);
    CHECK(openblas_core_decide(NULL, 0, "Prescott") == CORE_KEEP_DETECTED);
    /* A value in OPENBLAS_CORETYPE is never overridden (this also ends the re-exec: cohort set it). */
    CHECK(openblas_core_decide("Haswell", 1, "Haswell") == CORE_KEEP_USERS);
    CHECK(openblas_core_decide("Sandybridge", 1, "Sandybridge") == CORE_KEEP_USERS);
    CHECK(openblas_core_decide("SkylakeX", 1, "Haswell") == CORE_KEEP_USERS);
    CHECK(openblas_core_decide("Haswell", 0, "Haswell") == CORE_KEEP_USERS);
    CHECK(openblas_core_decide("", 1, "Haswell") == CORE_KEEP_USERS);
}

static void check_description(const char *expected, const char *running, int cpu_avx512, const char *users,
                              const char *reexec_from) {
    char line[512];
    openblas_core_describe(line, sizeof line, running, cpu_avx512, users, reexec_from);
    CHECK_MSG(!strcmp(line, expected), "got '%s', expected '%s'", line, expected);
}

static void check_descriptions(void) {
    check_description("OpenBLAS: Cooperlake kernels (AVX-512: yes) on a CPU with AVX-512; "
                      "core type detected by OpenBLAS",
                      "Cooperlake", 1, NULL, NULL);
    check_description("OpenBLAS: Zen kernels (AVX-512: no) on a CPU without AVX-512; core type detected by OpenBLAS",
                      "Zen", 0, NULL, NULL);
    check_description("OpenBLAS: Haswell kernels (AVX-512: no) on a CPU with AVX-512; core type set by the user "
                      "(OPENBLAS_CORETYPE=Haswell), kept",
                      "Haswell", 1, "Haswell", NULL);
    check_description("OpenBLAS: SkylakeX kernels (AVX-512: yes) on a CPU with AVX-512; core type selected by cohort "
                      "(OPENBLAS_CORETYPE=SkylakeX; OpenBLAS had detected Haswell), re-executed",
                      "SkylakeX", 1, NULL, "Haswell");
}

int main(void) {
    check_avx512_names();
    check_decisions();
    check_descriptions();
    return check_report("test_openblas_env");
}
