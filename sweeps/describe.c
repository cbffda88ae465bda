/* `cohort sweep FILE --dry-run`: what a sweep would run, as text. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sweep_internal.h"

typedef struct {
    char *text;
    size_t len, cap;
    int failed;
} Buf;

static void put(Buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(Buf *b, const char *fmt, ...) {
    if (b->failed) return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0) return;
    if (b->len + (size_t)n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 1024;
        while (cap < b->len + (size_t)n + 1) cap *= 2;
        char *grown = realloc(b->text, cap);
        if (!grown) {
            b->failed = 1;
            return;
        }
        b->text = grown;
        b->cap = cap;
    }
    va_start(ap, fmt);
    vsnprintf(b->text + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

static void put_json(Buf *b, const cJSON *v) {
    if (cJSON_IsString(v)) {
        put(b, "%s", v->valuestring);
        return;
    }
    char *t = cJSON_PrintUnformatted(v);
    put(b, "%s", t ? t : "?");
    cJSON_free(t);
}

static void put_param(Buf *b, const SweepParam *p, int indent) {
    put(b, "%*s%-16s %-20s ", indent, "", p->key, SWEEP_DIST_NAMES[p->dist]);
    switch (p->dist) {
    case DIST_CONSTANT: put_json(b, p->values[0].json); break;
    case DIST_CATEGORICAL:
        put(b, "[");
        for (int i = 0; i < p->count; i++) {
            put(b, "%s", i ? ", " : "");
            put_json(b, p->values[i].json);
            if (p->probs) put(b, " (p=%g)", p->probs[i]);
        }
        put(b, "]");
        break;
    case DIST_NORMAL:
    case DIST_LOG_NORMAL: put(b, "mu %g, sigma %g", p->mu, p->sigma); break;
    case DIST_Q_UNIFORM:
    case DIST_Q_LOG_UNIFORM_VALUES: put(b, "[%g, %g] step %g", p->min, p->max, p->q); break;
    case DIST_LOG_UNIFORM: put(b, "exp([%g, %g])", p->min, p->max); break;
    default: put(b, "[%g, %g]", p->min, p->max); break;
    }
    put(b, "\n");
}

static void put_scope(Buf *b, const SweepSpace *s, int block, int indent) {
    for (int i = 0; i < s->count; i++)
        if (s->params[i].block == block) put_param(b, &s->params[i], indent);
    for (int k = 0; k < s->block_count; k++) {
        const SweepBlock *blk = &s->blocks[k];
        if (blk->parent != block) continue;
        put(b, "%*s%s: when ", indent, "", blk->name);
        for (int c = 0; c < blk->cond_count; c++) {
            put(b, "%s%s in [", c ? " and " : "", s->params[blk->conds[c].param].key);
            for (int v = 0; v < blk->conds[c].count; v++) {
                put(b, "%s", v ? ", " : "");
                put_json(b, blk->conds[c].values[v]);
            }
            put(b, "]");
        }
        put(b, "\n");
        put_scope(b, s, k, indent + 2);
    }
}

char *sweep_describe(const Sweep *sweep) {
    Buf b = {0};
    int grid = !strcmp(sweep->method, "grid");
    put(&b, "sweep %s: method %s%s, ", sweep->name, sweep->method, !strcmp(sweep->method, "bayes") ? " (TPE)" : "");
    if (grid) put(&b, "%d trial%s", sweep->trial_count, sweep->trial_count == 1 ? "" : "s");
    else put(&b, "budget %d run%s (run_cap)", sweep->run_cap, sweep->run_cap == 1 ? "" : "s");
    put(&b, ", metric %s (%s)\n", sweep->metric, sweep->maximize ? "maximize" : "minimize");
    if (sweep->description) put(&b, "  %s\n", sweep->description);
    if (sweep->seed_count) {
        put(&b, "seeds:");
        for (int i = 0; i < sweep->seed_count; i++) put(&b, " %llu", (unsigned long long)sweep->seeds[i]);
        put(&b, " (every configuration runs once per seed)\n");
    }
    const SweepEarlyTerminate *et = &sweep->early_terminate;
    if (et->type == SWEEP_STOP_ASHA) {
        put(&b, "early_terminate: asha, eta %d, rungs at epochs", et->eta);
        for (int i = 0; i < et->rung_count; i++) put(&b, "%s%d", i ? ", " : " ", et->rungs[i]);
        put(&b, " (a trial goes on past a rung only in the top 1/%d there)\n", et->eta);
    } else if (et->type == SWEEP_STOP_MEDIAN) {
        put(&b, "early_terminate: median, after epoch %d, once %d other trials reached the epoch\n", et->warmup_epochs,
            et->min_trials);
    }
    if (sweep->threads >= 0) put(&b, "resources: %d threads per run\n", sweep->threads);
    if (sweep->max_retries >= 0) put(&b, "max_retries: %d\n", sweep->max_retries);
    if (sweep->keep_checkpoints >= 0) {
        char keep[32];
        put(&b, "keep_checkpoints: %s\n", sweep_keep_text(sweep->keep_checkpoints, keep));
    }
    for (int i = 0; i < sweep->warning_count; i++) put(&b, "warning: %s\n", sweep->warnings[i]);
    if (grid) {
        put(&b, "%6s  %-16s  %s\n", "trial", "key", "config");
        for (int i = 0; i < sweep->trial_count; i++) {
            const SweepTrial *t = &sweep->trials[i];
            put(&b, "%6d  %-16s  ", t->index, t->key);
            const cJSON *item;
            int first = 1;
            cJSON_ArrayForEach(item, t->config) {
                put(&b, "%s%s=", first ? "" : " ", item->string);
                put_json(&b, item);
                first = 0;
            }
            put(&b, "\n");
        }
    } else if (sweep->space) {
        put(&b, "parameters:\n");
        put_scope(&b, sweep->space, -1, 2);
    }
    if (b.failed) {
        free(b.text);
        return NULL;
    }
    if (!b.text) b.text = calloc(1, 1);
    return b.text;
}

const char *sweep_keep_text(int mask, char out[32]) {
    if (mask == SWEEP_KEEP_ALL) return strcpy(out, "all");
    if (mask == 0) return strcpy(out, "none");
    if (mask == (SWEEP_KEEP_BEST | SWEEP_KEEP_LAST)) return strcpy(out, "best, last");
    return strcpy(out, mask & SWEEP_KEEP_BEST ? "best" : "last");
}
