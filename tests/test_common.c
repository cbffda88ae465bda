/* cohort_common: the string map (lookups, replacement, growth through many keys, copies of the keys),
 * FNV-1a against published vectors and in pieces, and the metric table. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "fnv.h"
#include "metrics.h"
#include "str_map.h"

static void test_str_map(void) {
    StrMap m = {0};
    CHECK(str_map_get(&m, "a") == -1); /* a zeroed map is empty */
    CHECK(str_map_put(&m, "a", 7) == 0);
    CHECK(str_map_get(&m, "a") == 7);
    CHECK(str_map_get(&m, "b") == -1);
    CHECK(str_map_put(&m, "a", 9) == 0); /* replaces, does not add */
    CHECK(str_map_get(&m, "a") == 9);
    CHECK(m.count == 1);
    CHECK(str_map_put(&m, "", 3) == 0); /* the empty string is a key like any other */
    CHECK(str_map_get(&m, "") == 3);

    /* 20,000 keys through many doublings; each found with its own value; the map holds copies */
    enum { N = 20000 };
    char key[32];
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "k%05d", i);
        CHECK(str_map_put(&m, key, i) == 0);
    }
    memset(key, 'x', sizeof key - 1); /* the caller's buffer changes; the stored keys must not */
    CHECK(m.count == N + 2);
    CHECK(2 * m.count <= m.cap); /* at most half full */
    CHECK((m.cap & (m.cap - 1)) == 0);
    int wrong = 0;
    for (int i = 0; i < N; i++) {
        snprintf(key, sizeof key, "k%05d", i);
        wrong += str_map_get(&m, key) != i;
    }
    CHECK_MSG(wrong == 0, "%d of %d keys not found with their value", wrong, N);
    CHECK(str_map_get(&m, "k20000") == -1);
    CHECK(str_map_get(&m, "k0000") == -1); /* a prefix of a key is not the key */
    CHECK(str_map_get(&m, "a") == 9);
    str_map_free(&m);
    CHECK(m.count == 0 && m.cap == 0 && str_map_get(&m, "a") == -1);
    CHECK(str_map_put(&m, "again", 1) == 0 && str_map_get(&m, "again") == 1); /* usable after free */
    str_map_free(&m);
}

static void test_fnv(void) {
    /* published FNV-1a 64 test vectors */
    CHECK(fnv64("") == 0xcbf29ce484222325ull);
    CHECK(fnv64("a") == 0xaf63dc4c8601ec8cull);
    CHECK(fnv64("foobar") == 0x85944171f73967e8ull);
    /* in pieces, bytes or text, it is the hash of the whole */
    CHECK(fnv64_text(fnv64_text(FNV64_OFFSET_BASIS, "foo"), "bar") == fnv64("foobar"));
    CHECK(fnv64_bytes(FNV64_OFFSET_BASIS, "foobar", 6) == fnv64("foobar"));
}

static void test_metrics(void) {
    EpochMetrics e = {.epoch = 3, .train_loss = 1, .train_top1 = 2, .val_loss = 3, .val_top1 = 4,
                      .test_loss = 5, .test_top1 = 6, .test_top5 = 7};
    const struct {
        const char *name;
        double value;
        int minimise;
    } want[] = {{"train_loss", 1, 1}, {"train_top1", 2, 0}, {"val_loss", 3, 1}, {"val_top1", 4, 0},
                {"test_loss", 5, 1},  {"test_top1", 6, 0},  {"test_top5", 7, 0}};
    CHECK(MET_COUNT == (int)(sizeof want / sizeof want[0]));
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int m = metric_find(want[i].name);
        CHECK_MSG(m >= 0, "%s not in the table", want[i].name);
        if (m < 0) continue;
        CHECK(!strcmp(metric_name((MetricId)m), want[i].name));
        CHECK(metric_value(&e, (MetricId)m) == want[i].value);
        CHECK(metric_minimise((MetricId)m) == want[i].minimise);
        CHECK(metric_decimals((MetricId)m) == (want[i].minimise ? 4 : 2));
    }
    CHECK(metric_find("value") == -1); /* objective sweeps' metric is theirs, not the table's */
    CHECK(metric_find("test_top") == -1);
    CHECK(!strcmp(metric_label(MET_VAL_TOP1), "validation top-1 (%)"));
    CHECK(metric_better(MET_TEST_LOSS, 0.5, 0.6) && !metric_better(MET_TEST_LOSS, 0.6, 0.5));
    CHECK(metric_better(MET_TEST_TOP1, 60, 50) && !metric_better(MET_TEST_TOP1, 50, 60));
    CHECK(!metric_better(MET_TEST_TOP1, NAN, 50) && metric_better(MET_TEST_TOP1, 50, NAN));
}

int main(void) {
    test_str_map();
    test_fnv();
    test_metrics();
    return check_report("test_common");
}
