/* FNV-1a (64-bit): tiny, dependency-free and fully specified, so trial keys computed today match those
 * computed by any later build or another implementation. It is not cryptographic; keys only need to
 * tell the trials of one project's sweeps apart. */
#include <inttypes.h>
#include <stdio.h>

#include "sweep_internal.h"

#define FNV64_OFFSET_BASIS 14695981039346656037ULL
#define FNV64_PRIME 1099511628211ULL

uint64_t sweep_hash64(const char *text) {
    uint64_t h = FNV64_OFFSET_BASIS;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        h ^= *p;
        h *= FNV64_PRIME;
    }
    return h;
}

void sweep_hash_hex(const char *text, char out[17]) {
    snprintf(out, 17, "%016" PRIx64, sweep_hash64(text));
}
