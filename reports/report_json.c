/* The JSON report: the whole analysis as one object, streamed (no DOM, so 10,000 runs x 200 epochs stay
 * cheap). Numbers read back exactly; missing values are null.
 *
 * { "title", "generated_at", "metric": {"name", "minimise"}, "filters": {"sweep", "where", "group_by": [...]},
 *   "counts": {"runs", "finished", "did_not_finish", "configurations", "groups"},
 *   "groups": [{"values": {key: value}, "configurations", "runs", "best_configuration": index | null}],
 *   "configurations": [{"index", "model", "group", "config": {...}, "key_params", "runs": [ids], "n",
 *                       "metric"|"test_top1"|"test_top5"|"train_seconds": {"mean", "std", "n"},
 *                       "epochs": [min, max], "best_run", "param_count", "pareto", "flops_per_image",
 *                       "images_per_sec": {"mean", "std", "n"}, "pareto_flops", "pareto_speed"}],
 *   "pareto_front": [configuration indices, fewest parameters first],
 *   "pareto_front_flops": [..., fewest FLOPs first], "pareto_front_speed": [..., most images/s first],
 *   "importance": {"method", "runs", "within_configuration", "hyperparameters": [{"key", "kind",
 *                  "levels": [...], "eta_squared", "spearman", "binned", "best_value"}]},
 *   "runs": [{"id", "sweep", "trial_key", "model", "dataset", "seed", "status", "error", "param_count",
 *             "flops_per_image", "images_per_sec", "kept_checkpoints": {"best", "last": [epoch, bytes] | null,
 *             "epochs": count},
 *             "config": {...}, "configuration", "group", "epochs_done", "best_test_top1", "best_epoch",
 *             "final": {epoch metrics}, "train_seconds", "epochs": [...] (options.epochs only)}] } */
#include <cjson/cJSON.h>
#include <math.h>
#include <string.h>

#include "report_internal.h"
#include "text_escape.h"

static void jstr(FILE *out, const char *s) {
    if (s) json_string(out, s);
    else fputs("null", out);
}

static void jnum(FILE *out, double v) {
    if (!isfinite(v)) {
        fputs("null", out);
        return;
    }
    char buf[32];
    report_format_exact(v, buf);
    fputs(buf, out);
}

static void jkey(FILE *out, const char *key, int *first) {
    if (!*first) fputc(',', out);
    *first = 0;
    jstr(out, key);
    fputc(':', out);
}

static void jstat(FILE *out, Stat s) {
    fputs("{\"mean\":", out);
    jnum(out, s.mean);
    fputs(",\"std\":", out);
    jnum(out, s.std);
    fprintf(out, ",\"n\":%d}", s.n);
}

/* The stored config JSON re-emitted compactly (it is cJSON's own output, but a damaged value must not
 * break the document). */
static void jconfig(FILE *out, const char *json) {
    cJSON *parsed = cJSON_Parse(json ? json : "");
    char *text = parsed ? cJSON_PrintUnformatted(parsed) : NULL;
    fputs(text ? text : "null", out);
    cJSON_free(text);
    cJSON_Delete(parsed);
}

static void jepoch(FILE *out, const EpochMetrics *m) {
    fprintf(out, "{\"epoch\":%d,\"train_loss\":", m->epoch);
    jnum(out, m->train_loss);
    fputs(",\"train_top1\":", out);
    jnum(out, m->train_top1);
    fputs(",\"val_loss\":", out);
    jnum(out, m->val_loss);
    fputs(",\"val_top1\":", out);
    jnum(out, m->val_top1);
    fputs(",\"test_loss\":", out);
    jnum(out, m->test_loss);
    fputs(",\"test_top1\":", out);
    jnum(out, m->test_top1);
    fputs(",\"test_top5\":", out);
    jnum(out, m->test_top5);
    fputs(",\"lr\":", out);
    jnum(out, m->lr);
    fputs(",\"wall_seconds\":", out);
    jnum(out, m->wall_seconds);
    fputs(",\"images_per_sec\":", out);
    jnum(out, m->images_per_sec);
    fputc('}', out);
}

static void jrun_ref(FILE *out, const ReportData *d, int r) {
    if (r < 0) fputs("null", out);
    else fprintf(out, "%lld", (long long)d->runs[r].id);
}

int report_write_json(FILE *out, const ReportData *d) {
    const ReportOptions *o = d->options;
    fputs("{\"title\":", out);
    jstr(out, d->title);
    fputs(",\"generated_at\":", out);
    jstr(out, d->generated_at);
    fputs(",\"metric\":{\"name\":", out);
    jstr(out, metric_name(d->metric));
    fprintf(out, ",\"value\":\"final epoch\",\"minimise\":%s}", metric_minimise(d->metric) ? "true" : "false");
    fputs(",\"filters\":{\"sweep\":", out);
    jstr(out, o->sweep_name);
    fputs(",\"where\":", out);
    jstr(out, o->where);
    fputs(",\"group_by\":[", out);
    for (int k = 0; k < d->group_key_count; k++) fputs(k ? "," : "", out), jstr(out, d->group_keys[k]);
    fprintf(out, "]},\"counts\":{\"runs\":%d,\"finished\":%d,\"did_not_finish\":%d,\"configurations\":%d,\"groups\":%d}",
            d->count, d->finished, d->problems, d->config_count, d->group_count);

    fputs(",\n\"groups\":[", out);
    for (int g = 0; g < d->group_count; g++) {
        const GroupSummary *gs = &d->groups[g];
        fputs(g ? ",\n{\"values\":{" : "\n{\"values\":{", out);
        int first = 1;
        for (int k = 0; k < d->group_key_count; k++) jkey(out, d->group_keys[k], &first), jstr(out, gs->values[k]);
        fprintf(out, "},\"label\":");
        jstr(out, gs->label);
        fprintf(out, ",\"configurations\":%d,\"runs\":%d,\"finished\":%d,\"best_configuration\":", gs->config_count,
                gs->run_count, gs->finished);
        if (gs->best_config < 0) fputs("null", out);
        else fprintf(out, "%d", gs->best_config);
        fputc('}', out);
    }
    fputs("],\n\"configurations\":[", out);
    for (int c = 0; c < d->config_count; c++) {
        const ConfigSummary *cs = &d->configs[c];
        fprintf(out, "%s{\"index\":%d,\"model\":", c ? ",\n" : "\n", c);
        jstr(out, d->models[cs->model_index]);
        fprintf(out, ",\"group\":%d,\"config\":", cs->group_index);
        jconfig(out, cs->json);
        fputs(",\"key_params\":", out);
        jstr(out, cs->key_params);
        fputs(",\"runs\":[", out);
        for (int i = 0; i < cs->run_count; i++) fprintf(out, "%s%lld", i ? "," : "", (long long)d->runs[cs->runs[i]].id);
        fprintf(out, "],\"n\":%d,\"metric\":", cs->n);
        jstat(out, cs->metric);
        fputs(",\"test_top1\":", out);
        jstat(out, cs->top1);
        fputs(",\"test_top5\":", out);
        jstat(out, cs->top5);
        fputs(",\"train_seconds\":", out);
        jstat(out, cs->seconds);
        fprintf(out, ",\"epochs\":[%d,%d],\"best_run\":", cs->epochs_min, cs->epochs_max);
        jrun_ref(out, d, cs->best_run);
        fputs(",\"param_count\":", out);
        if (cs->params > 0) fprintf(out, "%lld", (long long)cs->params);
        else fputs("null", out);
        fprintf(out, ",\"pareto\":%s,\"flops_per_image\":", cs->pareto ? "true" : "false");
        jnum(out, cs->flops);
        fputs(",\"images_per_sec\":", out);
        jstat(out, cs->images_per_sec);
        fprintf(out, ",\"pareto_flops\":%s,\"pareto_speed\":%s}", cs->pareto_flops ? "true" : "false",
                cs->pareto_speed ? "true" : "false");
    }
    fputs("],\n\"pareto_front\":[", out);
    for (int k = 0; k < d->pareto_count; k++) fprintf(out, "%s%d", k ? "," : "", d->pareto[k]);
    fputs("],\n\"pareto_front_flops\":[", out);
    for (int k = 0; k < d->pareto_flops_count; k++) fprintf(out, "%s%d", k ? "," : "", d->pareto_flops[k]);
    fputs("],\n\"pareto_front_speed\":[", out);
    for (int k = 0; k < d->pareto_speed_count; k++) fprintf(out, "%s%d", k ? "," : "", d->pareto_speed[k]);
    fputs("],\n\"importance\":{\"method\":", out);
    jstr(out, REPORT_IMPORTANCE_METHOD);
    fprintf(out, ",\"runs\":%d,\"within_configuration\":", d->importance_runs);
    jnum(out, d->within_config);
    fputs(",\"hyperparameters\":[", out);
    for (int i = 0; i < d->hp_count; i++) {
        const HyperParam *h = &d->hps[d->importance_order[i]];
        fputs(i ? ",\n{\"key\":" : "\n{\"key\":", out);
        jstr(out, h->key);
        fprintf(out, ",\"kind\":\"%s\",\"log_scale\":%s,\"binned\":%s,\"levels\":[", h->numeric ? "numeric" : "categorical",
                h->log_scale ? "true" : "false", h->bins ? "true" : "false");
        for (int l = 0; l < h->level_count; l++) fputs(l ? "," : "", out), jstr(out, h->levels[l]);
        fputs("],\"eta_squared\":", out);
        jnum(out, h->eta2);
        fputs(",\"spearman\":", out);
        jnum(out, h->spearman);
        fputs(",\"best_value\":", out);
        jstr(out, h->best_level >= 0 ? h->levels[h->best_level] : NULL);
        fputs(",\"best_value_metric\":", out);
        if (h->best_level >= 0) jstat(out, h->level_stat[h->best_level]);
        else fputs("null", out);
        fputc('}', out);
    }
    fputs("]},\n\"runs\":[", out);
    for (int r = 0; r < d->count; r++) {
        const RunRecord *run = &d->runs[r];
        const RunSummary *s = &d->sums[r];
        fprintf(out, "%s{\"id\":%lld,\"sweep\":", r ? ",\n" : "\n", (long long)run->id);
        jstr(out, run->sweep_name);
        fputs(",\"trial_key\":", out);
        jstr(out, run->trial_key);
        fputs(",\"model\":", out);
        jstr(out, run->model);
        fputs(",\"dataset\":", out);
        jstr(out, run->dataset);
        fprintf(out, ",\"seed\":%llu,\"status\":", (unsigned long long)run->seed);
        jstr(out, run->status);
        fputs(",\"error\":", out);
        jstr(out, run->error);
        fputs(",\"param_count\":", out);
        if (run->param_count > 0) fprintf(out, "%lld", (long long)run->param_count);
        else fputs("null", out);
        fputs(",\"flops_per_image\":", out);
        jnum(out, run->flops_per_image);
        fputs(",\"images_per_sec\":", out);
        jnum(out, run->images_per_sec);
        fputs(",\"kept_checkpoints\":{\"best\":", out);
        if (run->best_checkpoint_epoch > 0)
            fprintf(out, "[%d,%lld]", run->best_checkpoint_epoch, (long long)run->best_checkpoint_bytes);
        else fputs("null", out);
        fputs(",\"last\":", out);
        if (run->last_checkpoint_epoch > 0)
            fprintf(out, "[%d,%lld]", run->last_checkpoint_epoch, (long long)run->last_checkpoint_bytes);
        else fputs("null", out);
        fprintf(out, ",\"epochs\":%d}", run->epoch_checkpoints);
        fputs(",\"config\":", out);
        jconfig(out, run->config_json);
        fprintf(out, ",\"configuration\":%d,\"group\":%d,\"epochs_done\":%d,\"best_test_top1\":", s->config_index,
                s->group_index, run->epoch_count);
        jnum(out, s->best_top1);
        fputs(",\"best_epoch\":", out);
        if (s->best_epoch) fprintf(out, "%d", s->best_epoch);
        else fputs("null", out);
        fputs(",\"final\":", out);
        if (run->epoch_count) jepoch(out, &run->epochs[run->epoch_count - 1]);
        else fputs("null", out);
        fputs(",\"train_seconds\":", out);
        jnum(out, run->epoch_count ? s->seconds : NAN);
        if (o->epochs) {
            fputs(",\"epochs\":[", out);
            for (int e = 0; e < run->epoch_count; e++) fputs(e ? "," : "", out), jepoch(out, &run->epochs[e]);
            fputc(']', out);
        }
        fputc('}', out);
    }
    fputs("]}\n", out);
    return 0;
}
