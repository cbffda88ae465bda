/* See archive_members.h. The whole archive is read through once, in order: tar has no index, and a gzipped
 * stream cannot seek, so each wanted member is copied out as it passes. */
#include "archive_members.h"

#include <archive.h>
#include <archive_entry.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static void free_members(ArchiveMember *got, int count) {
    for (int k = 0; k < count; k++) {
        free(got[k].data);
        got[k].data = NULL;
        got[k].size = 0;
    }
}

int archive_read_members(const char *path, const char *const *names, int count, const char *const *forbidden,
                         ArchiveMember *got, int *forbidden_hit, size_t max_size, char err[ERR_LEN]) {
    memset(got, 0, sizeof *got * (size_t)count);
    *forbidden_hit = -1;
    struct stat st;
    if (stat(path, &st) != 0)
        return err_set(err, "%s: %s", path, errno == ENOENT ? "missing file" : strerror(errno));
    struct archive *a = archive_read_new();
    if (!a) return err_set(err, "%s: out of memory", path);
    archive_read_support_filter_all(a);
    archive_read_support_format_tar(a);
    archive_read_support_format_gnutar(a);
    int found = 0, rc = -1;
    char *seen = calloc((size_t)count, 1);
    if (!seen) {
        err_set(err, "%s: out of memory", path);
        goto done;
    }
    if (archive_read_open_filename(a, path, 1 << 16) != ARCHIVE_OK) {
        err_set(err, "%s: cannot read as a tar archive: %s", path, archive_error_string(a));
        goto done;
    }
    struct archive_entry *entry;
    for (;;) {
        int r = archive_read_next_header(a, &entry);
        if (r == ARCHIVE_EOF) break;
        if (r != ARCHIVE_OK && r != ARCHIVE_WARN) {
            err_set(err, "%s: truncated or corrupt archive: %s", path, archive_error_string(a));
            goto done;
        }
        const char *member = archive_entry_pathname(entry);
        if (!member) continue;
        if (member[0] == '.' && member[1] == '/') member += 2; /* "./x" as some tar writers spell it */
        for (int k = 0; forbidden && forbidden[k]; k++)
            if (!strncmp(member, forbidden[k], strlen(forbidden[k]))) {
                *forbidden_hit = k;
                err_set(err, "%s: holds %s", path, member);
                goto done;
            }
        int want = -1;
        for (int k = 0; k < count; k++)
            if (!strcmp(member, names[k])) want = k;
        if (want < 0) continue;
        if (seen[want]) {
            err_set(err, "%s: %s: member appears twice", path, member);
            goto done;
        }
        if (archive_entry_filetype(entry) != AE_IFREG) {
            err_set(err, "%s: %s: not a regular file", path, member);
            goto done;
        }
        const la_int64_t size = archive_entry_size(entry);
        if (size < 0 || (unsigned long long)size > max_size) {
            err_set(err, "%s: %s: implausible size %lld bytes", path, member, (long long)size);
            goto done;
        }
        got[want].data = malloc(size ? (size_t)size : 1);
        if (!got[want].data) {
            err_set(err, "%s: %s: out of memory for %lld bytes", path, member, (long long)size);
            goto done;
        }
        size_t at = 0;
        while (at < (size_t)size) {
            la_ssize_t n = archive_read_data(a, got[want].data + at, (size_t)size - at);
            if (n < 0) {
                err_set(err, "%s: %s: truncated or corrupt after %zu of %lld bytes: %s", path, member, at,
                        (long long)size, archive_error_string(a));
                goto done;
            }
            if (n == 0) {
                err_set(err, "%s: %s: truncated: %zu of %lld bytes", path, member, at, (long long)size);
                goto done;
            }
            at += (size_t)n;
        }
        got[want].size = (size_t)size;
        seen[want] = 1;
        if (++found == count) break; /* the rest of the archive is not needed */
    }
    if (found < count)
        for (int k = 0; k < count; k++)
            if (!seen[k]) {
                err_set(err, "%s: no member %s (not the expected archive?)", path, names[k]);
                goto done;
            }
    rc = 0;

done:
    free(seen);
    archive_read_free(a);
    if (rc) free_members(got, count);
    return rc;
}
