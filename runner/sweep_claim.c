#include "sweep_claim.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* Opens and write-locks `path`. Returns the descriptor, or -1 with err: *held = 1 when another process
 * holds the lock (err then quotes the holder's text), 0 on other errors. *created says whether this
 * call created the file. */
static int lock_file(const char *path, const char *what, int *held, int *created, char err[ERR_LEN]) {
    *held = 0;
    *created = 0;
    for (int attempt = 0; attempt < 100; attempt++) {
        int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
        if (fd >= 0) *created = 1;
        else if (errno == EEXIST) fd = open(path, O_RDWR | O_CLOEXEC);
        if (fd < 0) {
            if (errno == ENOENT) continue; /* removed between the two opens: try again */
            return err_set(err, "%s: cannot create the lock file: %s", path, strerror(errno));
        }
        struct flock lock = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
        if (fcntl(fd, F_SETLK, &lock) != 0) {
            int e = errno;
            if (e == EACCES || e == EAGAIN) {
                char holder[512] = "";
                ssize_t n = pread(fd, holder, sizeof holder - 1, 0);
                holder[n > 0 ? n : 0] = '\0';
                holder[strcspn(holder, "\n")] = '\0';
                close(fd);
                *held = 1;
                return err_set(err, "%s is in use by another sweep (%s; lock %s); wait for it to end or stop it first",
                               what, holder[0] ? holder : "holder not recorded yet", path);
            }
            close(fd);
            if (*created) unlink(path);
            return err_set(err, "%s: cannot lock: %s", path, strerror(e));
        }
        /* A process that held the lock may have removed the file after we opened it (a failed claim removes
         * the files it created): then our lock is on a file nobody else will ever open. Try again. */
        struct stat by_fd, by_path;
        if (fstat(fd, &by_fd) == 0 && stat(path, &by_path) == 0 && by_fd.st_dev == by_path.st_dev &&
            by_fd.st_ino == by_path.st_ino)
            return fd;
        close(fd);
        *created = 0;
    }
    return err_set(err, "%s: the lock file keeps being replaced", path);
}

/* Replaces the file's text with the holder's description (one line). */
static void write_holder(int fd, const char *holder) {
    if (ftruncate(fd, 0) != 0) return;
    size_t len = strlen(holder);
    if (pwrite(fd, holder, len, 0) != (ssize_t)len) return; /* the text is informative only */
}

static void release_fd(int *fd, const char *path_to_remove) {
    if (*fd < 0) return;
    if (path_to_remove) unlink(path_to_remove); /* before the unlock, so no one locks the removed file */
    close(*fd); /* closing releases the POSIX lock */
    *fd = -1;
}

ClaimResult sweep_claim(SweepClaim *claim, const char *db_path, const char *checkpoint_dir, char err[ERR_LEN]) {
    claim->db_fd = claim->dir_fd = -1;
    char db_lock[4096], dir_lock[4096], what[4200];
    snprintf(db_lock, sizeof db_lock, "%s.lock", db_path);
    snprintf(dir_lock, sizeof dir_lock, "%s/cohort.lock", checkpoint_dir);
    int held = 0, db_created = 0, dir_created = 0, made_dir = 0;
    snprintf(what, sizeof what, "database %s", db_path);
    claim->db_fd = lock_file(db_lock, what, &held, &db_created, err);
    if (claim->db_fd < 0) return held ? CLAIM_HELD_BY_OTHER : CLAIM_ERROR;
    if (mkdir(checkpoint_dir, 0777) == 0) made_dir = 1;
    else if (errno != EEXIST) {
        err_set(err, "%s: cannot create the checkpoint directory: %s", checkpoint_dir, strerror(errno));
        release_fd(&claim->db_fd, db_created ? db_lock : NULL);
        return CLAIM_ERROR;
    }
    snprintf(what, sizeof what, "checkpoint directory %s", checkpoint_dir);
    claim->dir_fd = lock_file(dir_lock, what, &held, &dir_created, err);
    if (claim->dir_fd < 0) {
        release_fd(&claim->db_fd, db_created ? db_lock : NULL);
        if (made_dir) rmdir(checkpoint_dir);
        return held ? CLAIM_HELD_BY_OTHER : CLAIM_ERROR;
    }
    char host[256] = "", since[32] = "", holder[4800];
    gethostname(host, sizeof host - 1);
    time_t t = time(NULL);
    struct tm utc;
    gmtime_r(&t, &utc);
    strftime(since, sizeof since, "%Y-%m-%dT%H:%M:%SZ", &utc);
    snprintf(holder, sizeof holder, "host %s, pid %ld, since %s, database %s\n", host, (long)getpid(), since, db_path);
    write_holder(claim->db_fd, holder);
    write_holder(claim->dir_fd, holder);
    return CLAIM_TAKEN;
}

void sweep_claim_release(SweepClaim *claim) {
    release_fd(&claim->dir_fd, NULL);
    release_fd(&claim->db_fd, NULL);
}
