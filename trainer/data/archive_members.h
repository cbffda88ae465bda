/* Named members of a tar archive (gzipped or not), read into memory with libarchive: the official dataset
 * tarballs are read as distributed, with no extraction step. */
#ifndef COHORT_ARCHIVE_MEMBERS_H
#define COHORT_ARCHIVE_MEMBERS_H

#include <stddef.h>
#include <stdint.h>

#include "errors.h"

typedef struct {
    uint8_t *data; /* malloc'd, size bytes (the caller frees) */
    size_t size;
} ArchiveMember;

/* Reads the regular-file members names[0..count) (exact member paths) of the archive at path into got[].
 * Fails (err names the archive and, where there is one, the member) when the file is missing, not an archive,
 * truncated or corrupt, when a member is missing, not a regular file, larger than max_size or shorter than its
 * header says. When a member's path starts with forbidden[k] (a NULL-terminated list, may be NULL), reading
 * stops with *forbidden_hit = k and an error. On failure nothing stays allocated. */
int archive_read_members(const char *path, const char *const *names, int count, const char *const *forbidden,
                         ArchiveMember *got, int *forbidden_hit, size_t max_size, char err[ERR_LEN]);

#endif
