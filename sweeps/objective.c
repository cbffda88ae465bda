/* Analytic objectives (see objective.h). */
#include "objective.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "fnv.h"
#include "sweep_internal.h"

#define OBJECTIVE_MAX_DIM 6

static const struct {
    const char *name;
    int dim;
    double low[OBJECTIVE_MAX_DIM], high[OBJECTIVE_MAX_DIM];
    double scale; /* of the learning curve's gap */
} FUNCTIONS[] = {
    {"branin", 2, {-5, 0}, {10, 15}, 10},
    {"hartmann6", 6, {0, 0, 0, 0, 0, 0}, {1, 1, 1, 1, 1, 1}, 1},
    {"rosenbrock", 5, {-5, -5, -5, -5, -5}, {10, 10, 10, 10, 10}, 100},
};
#define FUNCTION_COUNT ((int)(sizeof FUNCTIONS / sizeof FUNCTIONS[0]))

static int find_function(const char *name) {
    for (int i = 0; i < FUNCTION_COUNT; i++)
        if (!strcmp(FUNCTIONS[i].name, name)) return i;
    return -1;
}

int objective_dimension(const char *function) {
    int f = find_function(function);
    return f < 0 ? 0 : FUNCTIONS[f].dim;
}

void objective_domain(const char *function, int i, double *low, double *high) {
    int f = find_function(function);
    *low = f < 0 ? -INFINITY : FUNCTIONS[f].low[i];
    *high = f < 0 ? INFINITY : FUNCTIONS[f].high[i];
}

static double branin(const double *x) {
    const double a = 1, b = 5.1 / (4 * M_PI * M_PI), c = 5 / M_PI, r = 6, s = 10, t = 1 / (8 * M_PI);
    double u = x[1] - b * x[0] * x[0] + c * x[0] - r;
    return a * u * u + s * (1 - t) * cos(x[0]) + s;
}

static double hartmann6(const double *x) {
    static const double alpha[4] = {1.0, 1.2, 3.0, 3.2};
    static const double A[4][6] = {{10, 3, 17, 3.5, 1.7, 8},
                                   {0.05, 10, 17, 0.1, 8, 14},
                                   {3, 3.5, 1.7, 10, 17, 8},
                                   {17, 8, 0.05, 10, 0.1, 14}};
    static const double P[4][6] = {{1312, 1696, 5569, 124, 8283, 5886},
                                   {2329, 4135, 8307, 3736, 1004, 9991},
                                   {2348, 1451, 3522, 2883, 3047, 6650},
                                   {4047, 8828, 8732, 5743, 1091, 381}};
    double sum = 0;
    for (int i = 0; i < 4; i++) {
        double inner = 0;
        for (int j = 0; j < 6; j++) {
            double d = x[j] - 1e-4 * P[i][j];
            inner += A[i][j] * d * d;
        }
        sum += alpha[i] * exp(-inner);
    }
    return -sum;
}

static double rosenbrock(const double *x) {
    double sum = 0;
    for (int i = 0; i < 4; i++) {
        double a = x[i + 1] - x[i] * x[i], b = x[i] - 1;
        sum += 100 * a * a + b * b;
    }
    return sum;
}

double objective_function(const char *function, const double *x) {
    if (!strcmp(function, "branin")) return branin(x);
    if (!strcmp(function, "hartmann6")) return hartmann6(x);
    if (!strcmp(function, "rosenbrock")) return rosenbrock(x);
    return NAN;
}

int objective_is_trial(const cJSON *config) {
    const cJSON *model = cJSON_GetObjectItemCaseSensitive(config, "model");
    return cJSON_IsString(model) && !strcmp(model->valuestring, OBJECTIVE_MODEL);
}

/* The config's function and inputs, checked. */
static int read_config(const cJSON *config, int *f, double x[OBJECTIVE_MAX_DIM], int *epochs, char err[ERR_LEN]) {
    if (!cJSON_IsObject(config)) return err_set(err, "objective: the config is not an object");
    if (!objective_is_trial(config)) return err_set(err, "model: expected " OBJECTIVE_MODEL);
    const cJSON *fn = cJSON_GetObjectItemCaseSensitive(config, "function");
    if (!cJSON_IsString(fn)) return err_set(err, "function: required (branin, hartmann6, rosenbrock)");
    *f = find_function(fn->valuestring);
    if (*f < 0) return err_set(err, "function: unknown function '%s' (branin, hartmann6, rosenbrock)", fn->valuestring);
    int dim = FUNCTIONS[*f].dim;
    int seen[OBJECTIVE_MAX_DIM] = {0};
    *epochs = 1;
    const cJSON *item;
    cJSON_ArrayForEach(item, config) {
        const char *k = item->string;
        if (!strcmp(k, "model") || !strcmp(k, "function")) continue;
        if (!strcmp(k, "seed")) {
            if (!cJSON_IsNumber(item) || item->valuedouble < 0 || item->valuedouble != floor(item->valuedouble))
                return err_set(err, "seed: expected a non-negative integer");
            continue;
        }
        if (!strcmp(k, "curve_epochs")) {
            if (!cJSON_IsNumber(item) || item->valuedouble < 1 || item->valuedouble > 1000000 ||
                item->valuedouble != floor(item->valuedouble))
                return err_set(err, "curve_epochs: expected an integer in [1, 1000000]");
            *epochs = (int)item->valuedouble;
            continue;
        }
        int i = 0;
        if (k[0] == 'x' && sscanf(k + 1, "%d", &i) == 1 && i >= 1) {
            char canonical[16];
            snprintf(canonical, sizeof canonical, "x%d", i);
            if (strcmp(canonical, k)) i = 0;
        }
        if (i < 1) return err_set(err, "%s: not an objective setting (model, function, x1..xN, curve_epochs, seed)", k);
        if (i > dim) return err_set(err, "%s: %s has only x1..x%d", k, FUNCTIONS[*f].name, dim);
        if (!cJSON_IsNumber(item) || !isfinite(item->valuedouble)) return err_set(err, "%s: expected a number", k);
        double v = item->valuedouble;
        if (v < FUNCTIONS[*f].low[i - 1] || v > FUNCTIONS[*f].high[i - 1])
            return err_set(err, "%s: %g is outside %s's domain [%g, %g]", k, v, FUNCTIONS[*f].name,
                           FUNCTIONS[*f].low[i - 1], FUNCTIONS[*f].high[i - 1]);
        x[i - 1] = v;
        seen[i - 1] = 1;
    }
    for (int i = 0; i < dim; i++)
        if (!seen[i]) return err_set(err, "x%d: required by %s (x1..x%d)", i + 1, FUNCTIONS[*f].name, dim);
    return 0;
}

int objective_check(const cJSON *config, char err[ERR_LEN]) {
    int f, epochs;
    double x[OBJECTIVE_MAX_DIM];
    return read_config(config, &f, x, &epochs, err);
}

int objective_epochs(const cJSON *config) {
    const cJSON *e = cJSON_GetObjectItemCaseSensitive(config, "curve_epochs");
    return cJSON_IsNumber(e) && e->valuedouble >= 1 ? (int)e->valuedouble : 1;
}

/* u in [0, 1): a hash of the config without curve_epochs (the curve's shape depends on x and seed). */
static double curve_hash(const cJSON *config) {
    cJSON *copy = cJSON_Duplicate(config, 1);
    if (!copy) return 0.5;
    cJSON_DeleteItemFromObjectCaseSensitive(copy, "curve_epochs");
    char *text = cJSON_PrintUnformatted(copy);
    cJSON_Delete(copy);
    if (!text) return 0.5;
    uint64_t h = fnv64(text);
    cJSON_free(text);
    /* FNV's low bits mix poorly for short inputs; finish with splitmix64's mixer */
    h ^= h >> 30;
    h *= 0xBF58476D1CE4E5B9ull;
    h ^= h >> 27;
    h *= 0x94D049BB133111EBull;
    h ^= h >> 31;
    return (double)(h >> 11) * 0x1.0p-53;
}

int objective_evaluate(const cJSON *config, int epoch, double *value, char err[ERR_LEN]) {
    int f, epochs;
    double x[OBJECTIVE_MAX_DIM];
    if (read_config(config, &f, x, &epochs, err)) return -1;
    if (epoch < 1 || epoch > epochs) return err_set(err, "objective: epoch %d is outside 1..%d", epoch, epochs);
    double v = objective_function(FUNCTIONS[f].name, x);
    if (epochs > 1) {
        double u = curve_hash(config);
        v += FUNCTIONS[f].scale * (0.5 + u) * ((double)epochs / epoch - 1) / (epochs - 1);
    }
    *value = v;
    return 0;
}

void objective_epoch_metrics(int epoch, double value, EpochMetrics *out) {
    out->epoch = epoch;
    out->train_loss = value;
    out->test_loss = value;
    out->train_top1 = out->val_loss = out->val_top1 = out->test_top1 = out->test_top5 = NAN;
    out->lr = NAN;
    out->wall_seconds = 0;
    out->images_per_sec = NAN;
    out->train_objective = NAN;
}
