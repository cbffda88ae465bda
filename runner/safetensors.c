#include "safetensors.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>

static int64_t elements(const SafeTensor *t) {
    int64_t n = 1;
    for (int d = 0; d < t->dims; d++) n *= t->shape[d];
    return n;
}

static int64_t byte_size(const SafeTensor *t) { return t->f32 ? elements(t) * 4 : 8; }

/* Little-endian bytes of one value: this code runs on little-endian x86-64 and arm64, where they are the
 * memory bytes; the test reads them back with an explicit little-endian reader. */
static int write_all(FILE *f, const void *data, size_t bytes) { return fwrite(data, 1, bytes, f) == bytes; }

int safetensors_write(const char *path, const SafeTensor *tensors, int count, const char *const *meta, int meta_count,
                      char err[ERR_LEN]) {
    cJSON *header = cJSON_CreateObject();
    int64_t offset = 0;
    for (int i = 0; header && i < count; i++) {
        const SafeTensor *t = &tensors[i];
        cJSON *entry = cJSON_AddObjectToObject(header, t->name);
        cJSON *shape = entry ? cJSON_AddArrayToObject(entry, "shape") : NULL;
        cJSON *range = entry ? cJSON_AddArrayToObject(entry, "data_offsets") : NULL;
        if (!shape || !range || !cJSON_AddStringToObject(entry, "dtype", t->f32 ? "F32" : "I64")) {
            cJSON_Delete(header);
            return err_set(err, "%s: out of memory building the header", path);
        }
        for (int d = 0; d < t->dims; d++) cJSON_AddItemToArray(shape, cJSON_CreateNumber((double)t->shape[d]));
        cJSON_AddItemToArray(range, cJSON_CreateNumber((double)offset));
        offset += byte_size(t);
        cJSON_AddItemToArray(range, cJSON_CreateNumber((double)offset));
    }
    if (meta_count > 0) {
        cJSON *m = cJSON_AddObjectToObject(header, "__metadata__");
        for (int k = 0; m && k + 1 < 2 * meta_count; k += 2) cJSON_AddStringToObject(m, meta[k], meta[k + 1]);
    }
    char *text = header ? cJSON_PrintUnformatted(header) : NULL;
    cJSON_Delete(header);
    if (!text) return err_set(err, "%s: out of memory building the header", path);
    const size_t json_len = strlen(text), padded = (json_len + 7) / 8 * 8;
    char tmp[4200];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *f = fopen(tmp, "wb");
    if (!f) {
        cJSON_free(text);
        return err_set(err, "%s: cannot create: %s", tmp, strerror(errno));
    }
    const uint64_t n = padded;
    int ok = write_all(f, &n, 8) && write_all(f, text, json_len);
    for (size_t i = json_len; ok && i < padded; i++) ok = fputc(' ', f) != EOF;
    cJSON_free(text);
    for (int i = 0; ok && i < count; i++) {
        const SafeTensor *t = &tensors[i];
        ok = t->f32 ? write_all(f, t->f32, (size_t)elements(t) * 4) : write_all(f, &t->i64, 8);
    }
    const int e = errno;
    if (fclose(f) != 0) ok = 0;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return err_set(err, "%s: writing failed: %s", path, strerror(e ? e : errno));
    }
    return 0;
}
