/* A small YAML document tree built from libyaml's event stream.
 *
 * libyaml's own document API keeps no per-node source positions in an easy form and silently accepts
 * duplicate mapping keys; sweep files need both (every error names line:column, and a repeated key is
 * almost always a copy-paste mistake whose second value would otherwise win unnoticed). So the tree is
 * built here, with these rules:
 *   - exactly one document; an empty stream gives a NULL root;
 *   - anchors, aliases and explicit tags are refused: sweep files are short, and an alias would let one
 *     node appear twice in the tree (and open the door to exponential "billion laughs" expansion);
 *   - mapping keys must be scalars and unique;
 *   - scalars keep their text untyped; the reader of the tree decides how to interpret it.
 * Errors use the project format "FILE:LINE:COL: KEY: message" (KEY is the dotted path of the node, or
 * "yaml" / "file" when the problem is not tied to a key). */
#ifndef COHORT_SWEEPS_YAML_TREE_H
#define COHORT_SWEEPS_YAML_TREE_H

#include <stddef.h>

#include "errors.h"

typedef enum { YNODE_SCALAR, YNODE_SEQUENCE, YNODE_MAPPING } YNodeKind;

typedef struct YNode YNode;
struct YNode {
    YNodeKind kind;
    int line, column; /* 1-based position of the node's first character */
    /* scalar */
    char *text;       /* NUL-terminated (scalars holding a NUL character are refused) */
    int plain;        /* 1 if written without quotes or block style, so it may be a YAML null/bool/number */
    /* sequence: items[0..count); mapping: keys and values interleaved, items[2i] key, items[2i+1] value */
    int count;        /* number of sequence items or mapping pairs */
    int capacity;     /* allocated slots in items */
    YNode **items;
};

/* Reads and parses the file at path (also the FILE used in error messages). *root is NULL for a file
 * with no document (empty or comments only). Non-zero with err set on I/O or YAML errors. */
int ytree_load_file(const char *path, YNode **root, char err[ERR_LEN]);
/* Same, from a buffer of len bytes; `name` stands for the file in error messages. */
int ytree_load_buffer(const char *name, const char *data, size_t len, YNode **root, char err[ERR_LEN]);
void ytree_free(YNode *node);

/* Mapping helpers. */
static inline YNode *ytree_map_key(const YNode *map, int i) { return map->items[2 * i]; }
static inline YNode *ytree_map_value(const YNode *map, int i) { return map->items[2 * i + 1]; }
/* Index of the pair whose key is `key`, or -1. */
int ytree_map_find(const YNode *map, const char *key);

/* A plain scalar that YAML reads as null: empty, "~", "null", "Null", "NULL". */
int ytree_is_null(const YNode *node);
/* "a scalar", "a list", "a mapping" — for messages. */
const char *ytree_kind_name(const YNode *node);

#endif
