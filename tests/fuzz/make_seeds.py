#!/usr/bin/env python3
"""Writes the fuzz harnesses' seed corpora into tests/fuzz/corpus/<target>/: small valid and near-valid
inputs in each harness's input layout (see the comment at the top of each fuzz_*.c).

    tests/fuzz/make_seeds.py [FUZZ_CHECKPOINT_BINARY]

With the fuzz_checkpoint binary (build-fuzz/tests/fuzz/fuzz_checkpoint) the checkpoint seeds are written
from a checkpoint the engine itself saves (checkpoint_save); without it they are left as they are.
Files written before are replaced; inputs the fuzzer found and saved here (regressions) are kept."""
import gzip
import os
import struct
import subprocess
import sys
import tempfile
import zlib

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(HERE, "corpus")


def put(target, name, data):
    os.makedirs(os.path.join(CORPUS, target), exist_ok=True)
    with open(os.path.join(CORPUS, target, name), "wb") as f:
        f.write(data.encode() if isinstance(data, str) else data)


def pixels(n):
    return bytes((i * 37 + 11) % 256 for i in range(n))


# ---- sweep files: the examples and the sweep tests' files, valid and refused ----------------------------
def sweeps():
    for folder in (os.path.join(ROOT, "examples"), os.path.join(ROOT, "tests", "data", "sweeps")):
        for name in sorted(os.listdir(folder)):
            if name.endswith(".yaml"):
                with open(os.path.join(folder, name), "rb") as f:
                    put("fuzz_sweep", name, f.read())
    put("fuzz_sweep", "inline_random.yaml",
        "name: r\nmethod: random\nrun_cap: 3\nseeds: [1, 2]\nparameters:\n  model: {value: mlp}\n"
        "  dataset: {value: synthetic}\n  lr: {distribution: log_uniform_values, min: 0.001, max: 0.1}\n"
        "  batch_size: {values: [16, 32], probabilities: [0.25, 0.75]}\n"
        "early_terminate: {type: asha, min_epochs: 1, eta: 2, max_epochs: 8}\n")
    put("fuzz_sweep", "inline_bayes_objective.yaml",
        "name: b\nmethod: bayes\nrun_cap: 4\nparameters:\n  model: {value: objective}\n"
        "  function: {value: branin}\n  x1: {min: -5.0, max: 10.0}\n  x2: {min: 0.0, max: 15.0}\n"
        "early_terminate: {type: median, warmup_epochs: 1, min_trials: 2}\n")


# ---- IDX: flags, 2-byte images length, images file, labels file ----------------------------------------
def idx_images(count, rows, cols, magic=0x803):
    return struct.pack(">IIII", magic, count, rows, cols) + pixels(count * rows * cols)


def idx_labels(labels, magic=0x801, count=None):
    return struct.pack(">II", magic, len(labels) if count is None else count) + bytes(labels)


def idx_input(flags, images, labels):
    return bytes([flags]) + struct.pack("<H", len(images)) + images + labels


def idx():
    img, lab = idx_images(3, 4, 4), idx_labels([0, 9, 5])
    put("fuzz_idx", "plain_3x4x4", idx_input(0, img, lab))
    put("fuzz_idx", "plain_padded_32", idx_input(1 << 2, idx_images(2, 28, 28), idx_labels([1, 2])))
    put("fuzz_idx", "gzip_both_by_harness", idx_input(3, img, lab))
    put("fuzz_idx", "gzip_streams_in_input", idx_input(0, gzip.compress(img, mtime=0), gzip.compress(lab, mtime=0)))
    put("fuzz_idx", "pad_1", idx_input(2 << 2, img, lab))
    put("fuzz_idx", "pad_64", idx_input(3 << 2, idx_images(1, 5, 7), idx_labels([3])))
    put("fuzz_idx", "empty_sets", idx_input(0, idx_images(0, 4, 4), idx_labels([])))
    put("fuzz_idx", "truncated_images", idx_input(0, img[:-5], lab))
    put("fuzz_idx", "truncated_gzip", idx_input(0, gzip.compress(img, mtime=0)[:-9], lab))
    put("fuzz_idx", "extra_byte", idx_input(0, img + b"\0", lab))
    put("fuzz_idx", "label_out_of_range", idx_input(0, img, idx_labels([0, 10, 1])))
    put("fuzz_idx", "count_mismatch", idx_input(0, img, idx_labels([0, 1])))
    put("fuzz_idx", "swapped_magics", idx_input(0, lab, img))
    put("fuzz_idx", "huge_header", idx_input(0, struct.pack(">IIII", 0x803, 0x7fffffff, 4096, 4096), lab))


# ---- CIFAR: flags, 2-byte names length, names file, records ---------------------------------------------
def cifar_input(flags, names, records):
    names = names.encode()
    return bytes([flags]) + struct.pack("<H", len(names)) + names + records


def cifar():
    names10 = "".join("class%d\n" % i for i in range(10)) + "\n"
    rec10 = lambda label: bytes([label]) + pixels(3072)
    rec100 = lambda coarse, fine: bytes([coarse, fine]) + pixels(3072)
    put("fuzz_cifar", "c10_one_file_names", cifar_input(4, names10, rec10(0) + rec10(9)))
    put("fuzz_cifar", "c10_two_files", cifar_input(1, "", rec10(3) + rec10(4)))
    put("fuzz_cifar", "c100_fine_names", cifar_input(2 | 4, "".join("fine %d\n" % i for i in range(100)), rec100(19, 99)))
    put("fuzz_cifar", "c100_coarse_names", cifar_input(3 | 4, "".join("c%d\r\n" % i for i in range(20)), rec100(0, 0)))
    put("fuzz_cifar", "c10_label_10", cifar_input(0, "", rec10(10)))
    put("fuzz_cifar", "c10_short_record", cifar_input(0, "", rec10(1)[:-1]))
    put("fuzz_cifar", "c10_nine_names", cifar_input(4, "".join("n%d\n" % i for i in range(9)), rec10(2)))
    put("fuzz_cifar", "c10_long_name", cifar_input(4, "x" * 64 + "\n" + "".join("n\n" for _ in range(9)), rec10(2)))
    put("fuzz_cifar", "c100_fine_out_of_range", cifar_input(2, "", rec100(1, 100)))
    put("fuzz_cifar", "empty", cifar_input(0, "", b""))


# ---- checkpoints: the engine's own file and near-valid edits of it --------------------------------------
HEADER = struct.Struct("<8sIIQ32sQQQqiiiiqqdd4Q4Q4Q")  # trainer/checkpoint.c: CheckpointHeader


def with_crc(body):
    return body + struct.pack("<I", zlib.crc32(body))


def checkpoint(binary):
    with tempfile.TemporaryDirectory() as tmp:
        env = dict(os.environ, COHORT_FUZZ_SEED_DIR=tmp)
        subprocess.run([binary, "-runs=0"], env=env, check=True, capture_output=True)
        with open(os.path.join(tmp, "engine.ckpt"), "rb") as f:
            good = f.read()
    put("fuzz_checkpoint", "engine.ckpt", good)
    body = good[:-4]
    fields = list(HEADER.unpack_from(body))

    def edited(index, value):
        f = list(fields)
        f[index] = value
        return with_crc(HEADER.pack(*f) + body[HEADER.size:])

    put("fuzz_checkpoint", "truncated.ckpt", good[:-10])
    put("fuzz_checkpoint", "extra_byte.ckpt", good + b"\0")
    put("fuzz_checkpoint", "bad_crc.ckpt", body + b"\0\0\0\0")
    put("fuzz_checkpoint", "header_only.ckpt", good[:HEADER.size])
    put("fuzz_checkpoint", "version_2.ckpt", edited(1, 2))
    put("fuzz_checkpoint", "double_reals.ckpt", edited(2, 8))
    put("fuzz_checkpoint", "other_settings.ckpt", edited(3, 1))
    put("fuzz_checkpoint", "other_model.ckpt", edited(4, b"lenet"))
    put("fuzz_checkpoint", "more_params.ckpt", edited(5, fields[5] + 1))
    put("fuzz_checkpoint", "many_epochs.ckpt", edited(11, 10000000))
    put("fuzz_checkpoint", "negative_epochs.ckpt", edited(11, -1))


# ---- SQL for `cohort query` and `--where` ---------------------------------------------------------------
def sql():
    statements = [
        "SELECT run_id, model, lr FROM run_overview WHERE lr = 0.01 ORDER BY run_id;",
        "SELECT model, lr, count(*) AS n, avg(final_test_top1) FROM run_overview WHERE status = 'finished' GROUP BY config",
        "PRAGMA table_info(runs)", "PRAGMA user_version", "EXPLAIN SELECT 1", "EXPLAIN QUERY PLAN SELECT * FROM epochs",
        "WITH x AS (SELECT 1 AS a) SELECT a FROM x", "SELECT 1 -- a comment", "SELECT 1; /* c */",
        "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT x FROM c",
        "SELECT json_extract(config_json, '$.lr') FROM runs", "SELECT name FROM sqlite_master",
        "lr > 0.01 AND model = 'mlp'", "status IN ('finished', 'pruned')", "final_test_top1 > (SELECT 50)",
        "lr > 0.01; DELETE FROM runs", "INSERT INTO sweeps (name, created_at) VALUES ('x', 'y')",
        "UPDATE runs SET status = 'failed'", "DELETE FROM epochs", "DROP VIEW run_summary", "CREATE TEMP TABLE t (x)",
        "ALTER TABLE runs ADD COLUMN z", "ATTACH DATABASE ':memory:' AS m", "DETACH DATABASE main",
        "PRAGMA user_version = 99", "PRAGMA query_only = 0", "PRAGMA wal_checkpoint", "PRAGMA optimize",
        "VACUUM INTO '/tmp/cohort_fuzz_vacuum.db'", "VACUUM", "REINDEX", "ANALYZE", "BEGIN", "SAVEPOINT a",
        "SELECT 1; SELECT 2", "SELECT randomblob(100000000)", "", ";",
    ]
    for i, s in enumerate(statements):
        put("fuzz_query_check", "sql_%02d" % i, s)


if __name__ == "__main__":
    sweeps()
    idx()
    cifar()
    sql()
    if len(sys.argv) > 1:
        checkpoint(sys.argv[1])
