/* The registry: every op's descriptor (layer.h) by its LayerKind, from the one list in ops/op_list.h. */
#include "layer.h"

#define OP(name) extern const OpDescriptor OP_##name;
#include "ops/op_list.h"
#undef OP

static const OpDescriptor *const REGISTRY[LAYER_KIND_COUNT] = {
#define OP(name) [LAYER_##name] = &OP_##name,
#include "ops/op_list.h"
#undef OP
};

const OpDescriptor *op_descriptor(LayerKind kind) { return REGISTRY[kind]; }

const char *layer_kind_name(LayerKind kind) {
    return kind < LAYER_KIND_COUNT && REGISTRY[kind] ? REGISTRY[kind]->name : "?";
}
