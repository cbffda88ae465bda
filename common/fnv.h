/* FNV-1a (64-bit): tiny, dependency-free and fully specified, so keys computed today (trial keys, spec
 * hashes, config fingerprints in checkpoints) match those computed by any later build or another
 * implementation. Not cryptographic. The one implementation of the project: hash tables, sweep keys and
 * the trainer's fingerprints all call it. */
#ifndef COHORT_FNV_H
#define COHORT_FNV_H

#include <stddef.h>
#include <stdint.h>

#define FNV64_OFFSET_BASIS 14695981039346656037ULL
#define FNV64_PRIME 1099511628211ULL

/* h extended by n bytes: start from FNV64_OFFSET_BASIS, feed any number of pieces in order. */
static inline uint64_t fnv64_bytes(uint64_t h, const void *bytes, size_t n) {
    const unsigned char *p = bytes;
    for (size_t i = 0; i < n; i++) h = (h ^ p[i]) * FNV64_PRIME;
    return h;
}

/* h extended by the bytes of a NUL-terminated string (not the NUL). */
static inline uint64_t fnv64_text(uint64_t h, const char *text) {
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) h = (h ^ *p) * FNV64_PRIME;
    return h;
}

/* The FNV-1a hash of a string. */
static inline uint64_t fnv64(const char *text) { return fnv64_text(FNV64_OFFSET_BASIS, text); }

#endif
