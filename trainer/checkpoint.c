#include "checkpoint.h"

#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

static const char MAGIC[8] = {'C', 'O', 'H', 'O', 'R', 'T', 'C', 'K'};

typedef struct {
    char magic[8];
    uint32_t version;
    uint32_t real_size;        /* 4 (float) or 8 (double) */
    uint64_t config_fingerprint;
    char model[32];
    uint64_t param_count, buffer_count, state_count;
    int64_t optimizer_step;
    int32_t next_epoch, position, epochs_done, config_bytes; /* config_bytes: version 3 */
    int64_t step, epoch_correct;
    double epoch_loss_sum, epoch_train_seconds, epoch_objective_sum;
    uint64_t shuffle[4], augment[4], dropout[4];
} CheckpointHeader;

/* A growing CRC over what we write or read. */
typedef struct {
    FILE *f;
    uLong crc;
    int failed;
} Stream;

static void put(Stream *s, const void *data, size_t bytes) {
    if (!bytes || s->failed) return;
    if (fwrite(data, 1, bytes, s->f) != bytes) s->failed = 1;
    s->crc = crc32_z(s->crc, data, bytes);
}

static void get(Stream *s, void *data, size_t bytes) {
    if (!bytes || s->failed) return;
    if (fread(data, 1, bytes, s->f) != bytes) s->failed = 1;
    else s->crc = crc32_z(s->crc, data, bytes);
}

int checkpoint_save(const char *path, const Model *model, const Optimizer *opt, const TrainState *st,
                    uint64_t config_fingerprint, char err[ERR_LEN]) {
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    CheckpointHeader h;
    memset(&h, 0, sizeof h);
    memcpy(h.magic, MAGIC, sizeof MAGIC);
    h.version = CHECKPOINT_VERSION;
    h.real_size = sizeof(real);
    h.config_fingerprint = config_fingerprint;
    snprintf(h.model, sizeof h.model, "%s", model->name);
    h.param_count = model->param_count;
    h.buffer_count = model->buffer_count;
    h.state_count = opt->state_count;
    h.optimizer_step = opt->step;
    h.next_epoch = st->next_epoch;
    h.position = st->position;
    h.epochs_done = st->epochs_done;
    h.step = st->step;
    h.epoch_correct = st->epoch_correct;
    h.epoch_loss_sum = st->epoch_loss_sum;
    h.epoch_objective_sum = st->epoch_objective_sum;
    h.epoch_train_seconds = st->epoch_train_seconds;
    memcpy(h.shuffle, st->shuffle_at_epoch_start.state, sizeof h.shuffle);
    memcpy(h.augment, st->augment.state, sizeof h.augment);
    memcpy(h.dropout, st->dropout.state, sizeof h.dropout);
    char *config_text = NULL;
    if (st->config) {
        config_text = malloc(TRAIN_CONFIG_TEXT_MAX);
        if (!config_text) return err_set(err, "%s: out of memory", path);
        h.config_bytes = (int32_t)train_config_to_text(st->config, config_text, TRAIN_CONFIG_TEXT_MAX);
    }

    Stream s = {fopen(tmp, "wb"), crc32_z(0, NULL, 0), 0};
    if (!s.f) {
        free(config_text);
        return err_set(err, "%s: cannot write checkpoint: %s", tmp, strerror(errno));
    }
    put(&s, &h, sizeof h);
    put(&s, model->params, model->param_count * sizeof(real));
    put(&s, model->buffers, model->buffer_count * sizeof(real));
    put(&s, opt->state, opt->state_count * sizeof(real));
    put(&s, st->history, (size_t)st->epochs_done * sizeof(EpochMetrics));
    put(&s, config_text, (size_t)h.config_bytes);
    free(config_text);
    uint32_t crc = (uint32_t)s.crc;
    if (!s.failed && fwrite(&crc, sizeof crc, 1, s.f) != 1) s.failed = 1;
    if (!s.failed && (fflush(s.f) != 0 || fsync(fileno(s.f)) != 0)) s.failed = 1;
    if (fclose(s.f) != 0) s.failed = 1;
    if (s.failed || rename(tmp, path) != 0) {
        int e = errno;
        unlink(tmp);
        return err_set(err, "%s: cannot write checkpoint: %s", path, strerror(e));
    }
    /* Make the rename itself durable. */
    char dir[4096];
    snprintf(dir, sizeof dir, "%s", path);
    int dfd = open(dirname(dir), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    return 0;
}

/* The header checks that need no model: magic, version, precision, config, plausible positions. */
static int check_header(const CheckpointHeader *h, const char *path, uint64_t config_fingerprint, char err[ERR_LEN]) {
    if (memcmp(h->magic, MAGIC, sizeof MAGIC) != 0) return err_set(err, "%s: not a Cohort checkpoint", path);
    if (h->version != CHECKPOINT_VERSION && h->version != 2)
        return err_set(err, "%s: checkpoint version %u, this build reads versions 2 and %d", path, h->version,
                       CHECKPOINT_VERSION);
    if (h->real_size != sizeof(real))
        return err_set(err, "%s: checkpoint holds %u-byte reals, this build uses %zu", path, h->real_size, sizeof(real));
    if (h->config_fingerprint != config_fingerprint)
        return err_set(err, "%s: checkpoint was made with different settings (config fingerprint %016llx, expected %016llx)",
                       path, (unsigned long long)h->config_fingerprint, (unsigned long long)config_fingerprint);
    if (h->epochs_done < 0 || h->epochs_done > 10000000 || h->next_epoch < 1 || h->position < 0 ||
        h->config_bytes < 0 || h->config_bytes > TRAIN_CONFIG_TEXT_MAX || (h->version == 2 && h->config_bytes))
        return err_set(err, "%s: corrupt checkpoint header", path);
    return 0;
}

int checkpoint_verify(const char *path, uint64_t config_fingerprint, char err[ERR_LEN]) {
    Stream s = {fopen(path, "rb"), crc32_z(0, NULL, 0), 0};
    if (!s.f) return err_set(err, "%s: cannot open checkpoint: %s", path, strerror(errno));
    CheckpointHeader h;
    get(&s, &h, sizeof h);
    int rc = -1;
    /* Counts above 2^40 reals cannot be a real model: treated as corruption before any size arithmetic. */
    const uint64_t most = (uint64_t)1 << 40;
    if (s.failed) err_set(err, "%s: checkpoint is truncated", path);
    else if (check_header(&h, path, config_fingerprint, err)) {
    } else if (h.param_count > most || h.buffer_count > most || h.state_count > most) {
        err_set(err, "%s: corrupt checkpoint header", path);
    } else {
        uint64_t left = (h.param_count + h.buffer_count + h.state_count) * h.real_size +
                        (uint64_t)h.epochs_done * sizeof(EpochMetrics) + (uint64_t)h.config_bytes;
        char chunk[1 << 14];
        while (left && !s.failed) {
            size_t n = left < sizeof chunk ? (size_t)left : sizeof chunk;
            get(&s, chunk, n);
            left -= n;
        }
        uint32_t stored = 0, computed = (uint32_t)s.crc;
        if (!s.failed && fread(&stored, sizeof stored, 1, s.f) != 1) s.failed = 1;
        if (s.failed) err_set(err, "%s: checkpoint is truncated", path);
        else if (stored != computed || fgetc(s.f) != EOF) err_set(err, "%s: checkpoint checksum mismatch (corrupt file)", path);
        else rc = 0;
    }
    fclose(s.f);
    return rc;
}

/* Whether the open file f holds fewer than `bytes` bytes (a file that cannot be measured is not refused here:
 * reading it will tell). */
static int file_shorter_than(FILE *f, uint64_t bytes) {
    struct stat st;
    return fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size < bytes;
}

int checkpoint_load(const char *path, Model *model, Optimizer *opt, TrainState *st, uint64_t config_fingerprint,
                    char err[ERR_LEN]) {
    Stream s = {fopen(path, "rb"), crc32_z(0, NULL, 0), 0};
    if (!s.f) return err_set(err, "%s: cannot open checkpoint: %s", path, strerror(errno));
    CheckpointHeader h;
    get(&s, &h, sizeof h);
    int rc = -1;
    EpochMetrics *history = NULL;
    if (s.failed) {
        err_set(err, "%s: not a Cohort checkpoint", path);
    } else if (memcmp(h.magic, MAGIC, sizeof MAGIC) == 0 && (h.version == CHECKPOINT_VERSION || h.version == 2) &&
               h.real_size == sizeof(real) &&
               (strncmp(h.model, model->name, sizeof h.model) != 0 || h.param_count != model->param_count ||
                h.buffer_count != model->buffer_count || h.state_count != opt->state_count)) {
        err_set(err, "%s: checkpoint is of model %.32s with %llu parameters, not %s with %zu", path, h.model,
                (unsigned long long)h.param_count, model->name, model->param_count);
    } else if (check_header(&h, path, config_fingerprint, err)) {
        /* err says why */
    } else if (file_shorter_than(s.f, sizeof h + (model->param_count + model->buffer_count + opt->state_count) *
                                                   sizeof(real) + (uint64_t)h.epochs_done * sizeof(EpochMetrics) +
                                                   (uint64_t)h.config_bytes + sizeof(uint32_t))) {
        /* Checked before allocating: a corrupt epochs_done (up to 10^7, 880 MB of history) in a short file
         * must not cost that allocation. */
        err_set(err, "%s: checkpoint is truncated", path);
    } else {
        /* Read into scratch first so a corrupt file leaves the model untouched. */
        size_t pb = model->param_count * sizeof(real), bb = model->buffer_count * sizeof(real),
               sb = opt->state_count * sizeof(real);
        char *scratch = malloc(pb + bb + sb + 1);
        history = malloc((size_t)h.epochs_done * sizeof(EpochMetrics) + 1);
        if (!scratch || !history) {
            err_set(err, "%s: out of memory reading checkpoint", path);
        } else {
            get(&s, scratch, pb + bb + sb);
            get(&s, history, (size_t)h.epochs_done * sizeof(EpochMetrics));
            char text[256];
            for (size_t left = (size_t)h.config_bytes; left > 0;) { /* checked by the CRC, not needed here */
                size_t n = left < sizeof text ? left : sizeof text;
                get(&s, text, n);
                left -= n;
            }
            uint32_t stored = 0, computed = (uint32_t)s.crc;
            int extra = 0;
            if (!s.failed && fread(&stored, sizeof stored, 1, s.f) != 1) s.failed = 1;
            if (!s.failed) extra = fgetc(s.f) != EOF;
            if (s.failed) err_set(err, "%s: checkpoint is truncated", path);
            else if (stored != computed || extra)
                err_set(err, "%s: checkpoint checksum mismatch (corrupt file)", path);
            else {
                memcpy(model->params, scratch, pb);
                memcpy(model->buffers, scratch + pb, bb);
                memcpy(opt->state, scratch + pb + bb, sb);
                opt->step = h.optimizer_step;
                st->next_epoch = h.next_epoch;
                st->position = h.position;
                st->step = h.step;
                st->epoch_loss_sum = h.epoch_loss_sum;
                st->epoch_objective_sum = h.epoch_objective_sum;
                st->epoch_correct = h.epoch_correct;
                st->epoch_train_seconds = h.epoch_train_seconds;
                memcpy(st->shuffle_at_epoch_start.state, h.shuffle, sizeof h.shuffle);
                memcpy(st->augment.state, h.augment, sizeof h.augment);
                memcpy(st->dropout.state, h.dropout, sizeof h.dropout);
                st->epochs_done = h.epochs_done;
                st->history = history;
                history = NULL;
                rc = 0;
            }
        }
        free(scratch);
    }
    free(history);
    fclose(s.f);
    return rc;
}

/* The whole file in memory, with its header, length and CRC checked (no fingerprint: the settings inside
 * are what the fingerprint is checked against). */
static int read_checked(const char *path, char **data, size_t *size, CheckpointHeader *h, char err[ERR_LEN]) {
    *data = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(err, "%s: cannot open checkpoint: %s", path, strerror(errno));
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || !S_ISREG(st.st_mode)) {
        fclose(f);
        return err_set(err, "%s: not a regular file", path);
    }
    *size = (size_t)st.st_size;
    if (*size < sizeof *h + sizeof(uint32_t)) {
        fclose(f);
        return err_set(err, "%s: not a Cohort checkpoint (too short)", path);
    }
    char *buf = malloc(*size);
    if (!buf) {
        fclose(f);
        return err_set(err, "%s: out of memory for %zu bytes", path, *size);
    }
    const size_t got = fread(buf, 1, *size, f);
    fclose(f);
    memcpy(h, buf, sizeof *h);
    const uint64_t most = (uint64_t)1 << 40;
    int rc = -1;
    if (got != *size) err_set(err, "%s: read error", path);
    else if (memcmp(h->magic, MAGIC, sizeof MAGIC) != 0) err_set(err, "%s: not a Cohort checkpoint", path);
    else if (check_header(h, path, h->config_fingerprint, err)) {
    } else if (h->param_count > most || h->buffer_count > most || h->state_count > most) {
        err_set(err, "%s: corrupt checkpoint header", path);
    } else if (sizeof *h + (h->param_count + h->buffer_count + h->state_count) * h->real_size +
                   (uint64_t)h->epochs_done * sizeof(EpochMetrics) + (uint64_t)h->config_bytes + sizeof(uint32_t) !=
               *size) {
        err_set(err, "%s: checkpoint is truncated or has trailing bytes", path);
    } else {
        uint32_t stored;
        memcpy(&stored, buf + *size - sizeof stored, sizeof stored);
        if ((uint32_t)crc32_z(crc32_z(0, NULL, 0), (const Bytef *)buf, *size - sizeof stored) != stored)
            err_set(err, "%s: checkpoint checksum mismatch (corrupt file)", path);
        else rc = 0;
    }
    if (rc) free(buf);
    else *data = buf;
    return rc;
}

int checkpoint_read_config(const char *path, TrainConfig *cfg, char err[ERR_LEN]) {
    char *data;
    size_t size;
    CheckpointHeader h;
    if (read_checked(path, &data, &size, &h, err)) return -1;
    int rc = -1;
    char why[ERR_LEN];
    if (h.config_bytes == 0) {
        err_set(err, "%s: checkpoint has no settings (written before version 3); resume its run once to rewrite it",
                path);
    } else {
        const size_t at = size - sizeof(uint32_t) - (size_t)h.config_bytes;
        if (train_config_from_text(cfg, data + at, (size_t)h.config_bytes, why))
            err_set(err, "%s: stored settings: %s", path, why);
        else if (train_config_fingerprint(cfg) != h.config_fingerprint)
            err_set(err, "%s: stored settings do not match the checkpoint's fingerprint (corrupt file)", path);
        else if (strncmp(cfg->model, h.model, sizeof h.model) != 0)
            err_set(err, "%s: stored settings name model %s, the checkpoint holds %.32s", path, cfg->model, h.model);
        else rc = 0;
    }
    free(data);
    return rc;
}

int checkpoint_load_weights(const char *path, Model *model, char err[ERR_LEN]) {
    char *data;
    size_t size;
    CheckpointHeader h;
    if (read_checked(path, &data, &size, &h, err)) return -1;
    int rc = -1;
    if (strncmp(h.model, model->name, sizeof h.model) != 0 || h.param_count != model->param_count ||
        h.buffer_count != model->buffer_count) {
        err_set(err, "%s: checkpoint is of model %.32s with %llu parameters, not %s with %zu", path, h.model,
                (unsigned long long)h.param_count, model->name, model->param_count);
    } else {
        memcpy(model->params, data + sizeof h, model->param_count * sizeof(real));
        memcpy(model->buffers, data + sizeof h + model->param_count * sizeof(real), model->buffer_count * sizeof(real));
        rc = 0;
    }
    free(data);
    return rc;
}

int checkpoint_info(const char *path, CheckpointInfo *info, char err[ERR_LEN]) {
    memset(info, 0, sizeof *info);
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(err, "%s: cannot open checkpoint: %s", path, strerror(errno));
    CheckpointHeader h;
    const int complete = fread(&h, sizeof h, 1, f) == 1;
    fclose(f);
    if (!complete) return err_set(err, "%s: checkpoint is truncated (shorter than its header)", path);
    /* check_header with the file's own fingerprint: every check but the settings */
    if (check_header(&h, path, h.config_fingerprint, err)) return -1;
    memcpy(info->model, h.model, sizeof info->model - 1);
    info->epochs_done = h.epochs_done;
    info->config_fingerprint = h.config_fingerprint;
    info->param_count = h.param_count;
    return 0;
}
