#include "yaml_tree.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

/* Sweep files are a few dozen lines; the caps only stop a wrong path (a dataset, /dev/zero) or a
 * hostile file from eating memory, and keep ytree_free's recursion shallow. */
#define YTREE_MAX_BYTES (16u << 20)
#define YTREE_MAX_DEPTH 64

typedef struct {
    YNode *node;
    char *path; /* dotted path of this container; "" for the root */
} Frame;

typedef struct {
    const char *name; /* the file, for messages */
    const char *data; /* the whole input, to turn a reader error's byte offset into line:column */
    size_t len;
    Frame stack[YTREE_MAX_DEPTH];
    int depth;
    YNode *root;
    int documents;
    char *err;
} Builder;

static int tree_error(Builder *b, int line, int column, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

static int tree_error(Builder *b, int line, int column, const char *key, const char *fmt, ...) {
    char msg[ERR_LEN];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    return err_set(b->err, "%s:%d:%d: %s: %s", b->name, line, column, key && *key ? key : "yaml", msg);
}

void ytree_free(YNode *node) {
    if (!node) return;
    /* Every slot up to capacity is either a node or NULL (growth zero-fills), so a mapping abandoned
     * between a key and its value still frees that key. */
    for (int i = 0; i < node->capacity; i++) ytree_free(node->items[i]);
    free(node->items);
    free(node->text);
    free(node);
}

int ytree_map_find(const YNode *map, const char *key) {
    if (!map || map->kind != YNODE_MAPPING) return -1;
    for (int i = 0; i < map->count; i++)
        if (strcmp(ytree_map_key(map, i)->text, key) == 0) return i;
    return -1;
}

int ytree_is_null(const YNode *node) {
    if (!node || node->kind != YNODE_SCALAR || !node->plain) return 0;
    const char *t = node->text;
    return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") || !strcmp(t, "NULL");
}

const char *ytree_kind_name(const YNode *node) {
    switch (node->kind) {
    case YNODE_SCALAR: return "a scalar";
    case YNODE_SEQUENCE: return "a list";
    case YNODE_MAPPING: return "a mapping";
    }
    return "a node";
}

/* "parent.key", or just "key" at the top level. */
static char *join_key(const char *parent, const char *key) {
    size_t n = strlen(parent) + strlen(key) + 2;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s%s%s", parent, *parent ? "." : "", key);
    return s;
}

static char *join_index(const char *parent, int index) {
    size_t n = strlen(parent) + 16;
    char *s = malloc(n);
    if (s) snprintf(s, n, "%s[%d]", parent, index);
    return s;
}

/* Whether the top container is a mapping waiting for a key (as opposed to the key's value). */
static int expecting_key(const YNode *map) {
    return map->kind == YNODE_MAPPING &&
           !(map->capacity > 2 * map->count && map->items[2 * map->count] != NULL);
}

static int push_item(YNode *parent, YNode *child) {
    int used = parent->kind == YNODE_SEQUENCE ? parent->count : 2 * parent->count + !expecting_key(parent);
    if (used == parent->capacity) {
        int cap = parent->capacity ? 2 * parent->capacity : 8;
        YNode **items = realloc(parent->items, (size_t)cap * sizeof *items);
        if (!items) return -1;
        memset(items + parent->capacity, 0, (size_t)(cap - parent->capacity) * sizeof *items);
        parent->items = items;
        parent->capacity = cap;
    }
    parent->items[used] = child;
    return 0;
}

/* The dotted path a new child of the top container gets. key_text is the child's own text when it is
 * a mapping key. Returns a malloc'd string ("" at the root). */
static char *child_path(const Builder *b, const char *key_text) {
    if (b->depth == 0) return strdup("");
    const Frame *top = &b->stack[b->depth - 1];
    const YNode *parent = top->node;
    if (parent->kind == YNODE_SEQUENCE) return join_index(top->path, parent->count);
    if (expecting_key(parent)) return join_key(top->path, key_text ? key_text : "");
    return join_key(top->path, parent->items[2 * parent->count]->text);
}

/* Handles a scalar, sequence-start or mapping-start event: checks it, makes the node and hangs it in
 * the tree (pushing containers onto the stack). */
static int add_node(Builder *b, const yaml_event_t *ev) {
    int line = (int)ev->start_mark.line + 1, column = (int)ev->start_mark.column + 1;
    const char *anchor = NULL, *tag = NULL;
    YNodeKind kind;
    const char *text = NULL;
    size_t text_len = 0;
    int plain = 0;
    switch (ev->type) {
    case YAML_SCALAR_EVENT:
        kind = YNODE_SCALAR;
        anchor = (const char *)ev->data.scalar.anchor;
        tag = (const char *)ev->data.scalar.tag;
        text = (const char *)ev->data.scalar.value;
        text_len = ev->data.scalar.length;
        plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
        break;
    case YAML_SEQUENCE_START_EVENT:
        kind = YNODE_SEQUENCE;
        anchor = (const char *)ev->data.sequence_start.anchor;
        tag = (const char *)ev->data.sequence_start.tag;
        break;
    default:
        kind = YNODE_MAPPING;
        anchor = (const char *)ev->data.mapping_start.anchor;
        tag = (const char *)ev->data.mapping_start.tag;
        break;
    }

    YNode *parent = b->depth ? b->stack[b->depth - 1].node : NULL;
    int is_key = parent && expecting_key(parent);
    if (!parent && b->root) /* cannot happen with one document, but never leak or overwrite */
        return tree_error(b, line, column, "yaml", "unexpected second top-level node");
    if (is_key && kind != YNODE_SCALAR)
        return tree_error(b, line, column, b->stack[b->depth - 1].path, "mapping keys must be plain text, not %s",
                          kind == YNODE_SEQUENCE ? "a list" : "a mapping");

    char *path = child_path(b, is_key ? text : NULL);
    if (!path) return tree_error(b, line, column, "yaml", "out of memory");
    int rc = -1;
    YNode *node = NULL;
    if (anchor) {
        tree_error(b, line, column, path, "anchors (&%s) are not supported", anchor);
        goto done;
    }
    if (tag) {
        tree_error(b, line, column, path, "tags (%s) are not supported", tag);
        goto done;
    }
    if (kind == YNODE_SCALAR && strlen(text) != text_len) {
        tree_error(b, line, column, path, "text contains a NUL character");
        goto done;
    }
    if (is_key) {
        int first = ytree_map_find(parent, text);
        if (first >= 0) {
            const YNode *k = ytree_map_key(parent, first);
            tree_error(b, line, column, path, "duplicate key '%s' (first at line %d, column %d)", text, k->line,
                       k->column);
            goto done;
        }
    }
    if (kind != YNODE_SCALAR && b->depth == YTREE_MAX_DEPTH) {
        tree_error(b, line, column, path, "nested deeper than %d levels", YTREE_MAX_DEPTH);
        goto done;
    }

    node = calloc(1, sizeof *node);
    if (!node || (kind == YNODE_SCALAR && !(node->text = strdup(text)))) {
        tree_error(b, line, column, path, "out of memory");
        goto done;
    }
    node->kind = kind;
    node->line = line;
    node->column = column;
    node->plain = plain;

    if (!parent) {
        b->root = node;
    } else {
        if (push_item(parent, node)) {
            tree_error(b, line, column, path, "out of memory");
            goto done;
        }
        /* a mapping's pair is complete once its value arrives; a sequence counts every item */
        if (parent->kind == YNODE_SEQUENCE || !is_key) parent->count++;
    }
    YNode *attached = node;
    node = NULL; /* owned by the tree now */
    if (kind != YNODE_SCALAR) {
        b->stack[b->depth].node = attached;
        b->stack[b->depth].path = path;
        b->depth++;
        path = NULL; /* owned by the frame */
    }
    rc = 0;
done:
    ytree_free(node);
    free(path);
    return rc;
}

/* libyaml reader errors carry a byte offset, not a mark; count lines up to it (columns in bytes). */
static void offset_to_mark(const Builder *b, size_t offset, int *line, int *column) {
    *line = 1;
    *column = 1;
    for (size_t i = 0; i < offset && i < b->len; i++) {
        if (b->data[i] == '\n') {
            (*line)++;
            *column = 1;
        } else {
            (*column)++;
        }
    }
}

static int parser_error(Builder *b, const yaml_parser_t *p) {
    if (p->error == YAML_MEMORY_ERROR) return tree_error(b, 1, 1, "yaml", "out of memory");
    if (p->error == YAML_READER_ERROR) {
        int line, column;
        offset_to_mark(b, p->problem_offset, &line, &column);
        if (p->problem_value != -1)
            return tree_error(b, line, column, "yaml", "%s (byte 0x%02x)", p->problem, (unsigned)p->problem_value);
        return tree_error(b, line, column, "yaml", "%s", p->problem ? p->problem : "cannot read the input");
    }
    int line = (int)p->problem_mark.line + 1, column = (int)p->problem_mark.column + 1;
    const char *problem = p->problem ? p->problem : "syntax error";
    if (p->context)
        return tree_error(b, line, column, "yaml", "%s (%s at line %d, column %d)", problem, p->context,
                          (int)p->context_mark.line + 1, (int)p->context_mark.column + 1);
    return tree_error(b, line, column, "yaml", "%s", problem);
}

int ytree_load_buffer(const char *name, const char *data, size_t len, YNode **root, char err[ERR_LEN]) {
    *root = NULL;
    Builder b = {.name = name, .data = data, .len = len, .err = err};
    yaml_parser_t parser;
    if (!yaml_parser_initialize(&parser)) return err_set(err, "%s:1:1: yaml: out of memory", name);
    yaml_parser_set_input_string(&parser, (const unsigned char *)data, len);

    int rc = 0, done = 0;
    while (!done && rc == 0) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&parser, &ev)) {
            rc = parser_error(&b, &parser);
            break;
        }
        int line = (int)ev.start_mark.line + 1, column = (int)ev.start_mark.column + 1;
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = 1;
            break;
        case YAML_DOCUMENT_START_EVENT:
            /* A second document would be silently ignored by a reader that takes the first; refuse it. */
            if (++b.documents > 1)
                rc = tree_error(&b, line, column, "yaml", "expected one YAML document, found a second");
            break;
        case YAML_SCALAR_EVENT:
        case YAML_SEQUENCE_START_EVENT:
        case YAML_MAPPING_START_EVENT:
            rc = add_node(&b, &ev);
            break;
        case YAML_SEQUENCE_END_EVENT:
        case YAML_MAPPING_END_EVENT:
            b.depth--;
            free(b.stack[b.depth].path);
            break;
        case YAML_ALIAS_EVENT: {
            char *path = child_path(&b, NULL);
            rc = tree_error(&b, line, column, path && *path ? path : "yaml", "aliases (*%s) are not supported",
                            (const char *)ev.data.alias.anchor);
            free(path);
            break;
        }
        default: /* stream start, document end: nothing to record */
            break;
        }
        yaml_event_delete(&ev);
    }
    yaml_parser_delete(&parser);
    while (b.depth > 0) free(b.stack[--b.depth].path);
    if (rc) {
        ytree_free(b.root);
        return rc;
    }
    *root = b.root;
    return 0;
}

int ytree_load_file(const char *path, YNode **root, char err[ERR_LEN]) {
    *root = NULL;
    FILE *f = fopen(path, "rb");
    if (!f) return err_set(err, "%s:1:1: file: cannot open: %s", path, strerror(errno));
    char *data = NULL;
    size_t len = 0, cap = 0;
    int rc = 0;
    for (;;) {
        if (len == cap) {
            if (cap >= YTREE_MAX_BYTES) {
                rc = err_set(err, "%s:1:1: file: larger than %u MiB; not a sweep file?", path, YTREE_MAX_BYTES >> 20);
                break;
            }
            cap = cap ? 2 * cap : 4096;
            char *grown = realloc(data, cap + 1);
            if (!grown) {
                rc = err_set(err, "%s:1:1: file: out of memory", path);
                break;
            }
            data = grown;
        }
        size_t n = fread(data + len, 1, cap - len, f);
        len += n;
        if (n == 0) {
            if (ferror(f)) rc = err_set(err, "%s:1:1: file: cannot read: %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (rc == 0) rc = ytree_load_buffer(path, data ? data : "", len, root, err);
    free(data);
    return rc;
}
