/* Fuzzes the checkpoint reader (trainer/checkpoint.c): the input is a checkpoint file, read by
 * checkpoint_verify and by checkpoint_load into a small MLP (1x2x2 input, hidden 4, 3 classes, SGD with
 * momentum: 35 parameters, 35 optimiser reals). Each input is tried as it is and, when it is long enough,
 * once more with its last 4 bytes replaced by the CRC-32 of the rest, so mutations reach the checks that
 * come after the checksum.
 *
 * Properties checked besides memory safety and leaks:
 *   - checkpoint_load accepts only what checkpoint_verify accepts;
 *   - a refused file leaves the model's parameters and buffers and the optimiser's state and step as they were;
 *   - a refusal names the file.
 *
 * With COHORT_FUZZ_SEED_DIR set, the harness first writes a valid checkpoint of this model there
 * (engine.ckpt, by checkpoint_save), so the corpus always holds one of the current format. */
#include <zlib.h>

#include "checkpoint.h"
#include "config.h"
#include "fuzz_common.h"
#include "model.h"
#include "optim.h"

#define FINGERPRINT 0x0123456789abcdefull

static char ckpt_path[512];
static Model *model;
static Optimizer opt;
static real *saved_params, *saved_buffers, *saved_state;

static void write_seed(const char *dir) {
    TrainState st = {0};
    EpochMetrics history[2] = {{.epoch = 1, .train_loss = 1.1, .test_top1 = 40}, {.epoch = 2, .train_loss = 0.9, .test_top1 = 55}};
    st.next_epoch = 3;
    st.position = 0;
    st.step = 8;
    st.epochs_done = 2;
    st.history = history;
    rng_seed(&st.shuffle_at_epoch_start, 1);
    rng_seed(&st.augment, 2);
    rng_seed(&st.dropout, 3);
    opt.step = 8;
    for (size_t i = 0; i < opt.state_count; i++) opt.state[i] = (real)i / 64;
    char path[512], err[ERR_LEN];
    snprintf(path, sizeof path, "%s/engine.ckpt", dir);
    if (checkpoint_save(path, model, &opt, &st, FINGERPRINT, err)) {
        fprintf(stderr, "%s\n", err);
        abort();
    }
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc, (void)argv;
    fuzz_scratch_dir("checkpoint");
    fuzz_path(ckpt_path, sizeof ckpt_path, "run.ckpt");
    TrainConfig cfg;
    train_config_defaults(&cfg);
    char err[ERR_LEN];
    if (train_config_set(&cfg, "model", "mlp", err) || train_config_set(&cfg, "hidden", "4", err) ||
        train_config_set(&cfg, "momentum", "0.9", err) || model_create(&model, "mlp", &cfg, 1, 2, 2, 3, 2, 7, err) ||
        optimizer_init(&opt, &cfg, model, err)) {
        fprintf(stderr, "fuzz_checkpoint: %s\n", err);
        abort();
    }
    const char *seed_dir = getenv("COHORT_FUZZ_SEED_DIR");
    if (seed_dir && *seed_dir) write_seed(seed_dir);
    saved_params = malloc(model->param_count * sizeof(real) + 1);
    saved_buffers = malloc(model->buffer_count * sizeof(real) + 1);
    saved_state = malloc(opt.state_count * sizeof(real) + 1);
    if (!saved_params || !saved_buffers || !saved_state) abort();
    return 0;
}

static void try_file(const uint8_t *data, size_t size) {
    fuzz_write_file(ckpt_path, data, size);
    char err_verify[ERR_LEN] = "", err_load[ERR_LEN] = "";
    int verified = checkpoint_verify(ckpt_path, FINGERPRINT, err_verify) == 0;
    if (!verified)
        FUZZ_REQUIRE(!strncmp(err_verify, ckpt_path, strlen(ckpt_path)), "error does not name the file: %s", err_verify);

    memcpy(saved_params, model->params, model->param_count * sizeof(real));
    memcpy(saved_buffers, model->buffers, model->buffer_count * sizeof(real));
    memcpy(saved_state, opt.state, opt.state_count * sizeof(real));
    const long saved_step = opt.step;
    TrainState st = {0};
    if (checkpoint_load(ckpt_path, model, &opt, &st, FINGERPRINT, err_load) == 0) {
        FUZZ_REQUIRE(verified, "checkpoint_load accepted a file checkpoint_verify refuses: %s", err_verify);
        FUZZ_REQUIRE(st.epochs_done >= 0 && st.next_epoch >= 1 && st.position >= 0 && (st.history || !st.epochs_done),
                     "loaded state: %d epochs done, next epoch %d, position %d", st.epochs_done, st.next_epoch,
                     st.position);
        free(st.history);
        return;
    }
    FUZZ_REQUIRE(!strncmp(err_load, ckpt_path, strlen(ckpt_path)), "error does not name the file: %s", err_load);
    FUZZ_REQUIRE(!memcmp(saved_params, model->params, model->param_count * sizeof(real)) &&
                     !memcmp(saved_buffers, model->buffers, model->buffer_count * sizeof(real)) &&
                     !memcmp(saved_state, opt.state, opt.state_count * sizeof(real)) && opt.step == saved_step,
                 "a refused checkpoint changed the model or optimiser (%s)", err_load);
    FUZZ_REQUIRE(st.history == NULL, "a refused checkpoint returned a history");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    try_file(data, size);
    if (size < 8) return 0;
    /* The same bytes with a correct checksum (little-endian, as checkpoint_save writes it on this machine). */
    uint8_t *fixed = malloc(size);
    if (!fixed) return 0;
    memcpy(fixed, data, size);
    uint32_t crc = (uint32_t)crc32_z(crc32_z(0, NULL, 0), fixed, size - 4);
    memcpy(fixed + size - 4, &crc, sizeof crc);
    if (memcmp(fixed, data, size) != 0) try_file(fixed, size);
    free(fixed);
    return 0;
}
