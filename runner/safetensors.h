/* The safetensors format (as Hugging Face's safetensors library reads it): an 8-byte little-endian header
 * length N, N bytes of JSON {"NAME": {"dtype": "F32" | "I64", "shape": [...], "data_offsets": [BEGIN, END]},
 * ..., "__metadata__": {"KEY": "TEXT", ...}} (padded with spaces to a multiple of 8), then the tensors' bytes,
 * each at [BEGIN, END) counted from the end of the header, little-endian, row-major. */
#ifndef COHORT_SAFETENSORS_H
#define COHORT_SAFETENSORS_H

#include <stdint.h>

#include "errors.h"

typedef struct {
    char name[128];
    int dims;
    int64_t shape[4];
    const float *f32;    /* F32 data, or NULL */
    int64_t i64;         /* I64 scalar (dims 0) when f32 is NULL */
} SafeTensor;

/* Writes the tensors (in the given order) and the metadata pairs (meta[2k] key, meta[2k+1] value) to path,
 * through path.tmp renamed over it: on failure nothing is left at path. Non-zero with err naming the file. */
int safetensors_write(const char *path, const SafeTensor *tensors, int count, const char *const *meta, int meta_count,
                      char err[ERR_LEN]);

#endif
