/* See text_escape.h. */
#include "text_escape.h"

#include <stdlib.h>
#include <string.h>

int utf8_sequence(const char *s, unsigned *code_point) {
    const unsigned char *p = (const unsigned char *)s;
    unsigned c = p[0], cp;
    int n;
    if (c < 0x80) n = 1, cp = c;
    else if (c >= 0xC2 && c <= 0xDF) n = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF) n = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4) n = 4, cp = c & 0x07;
    else return 0; /* a continuation byte, C0/C1 (overlong two-byte forms), F5..FF */
    for (int i = 1; i < n; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0; /* also stops at the NUL */
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)) || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    if (code_point) *code_point = cp;
    return n;
}

char *text_for_terminal(const char *text, int keep_newlines) {
    if (!text) text = "";
    /* each input byte becomes at most the three bytes of U+FFFD */
    char *out = malloc(3 * strlen(text) + 1), *o = out;
    if (!out) return NULL;
    for (const char *p = text; *p;) {
        unsigned cp;
        int n = utf8_sequence(p, &cp);
        if (n == 0) {
            memcpy(o, TEXT_REPLACEMENT, 3), o += 3, p++;
        } else if (cp == '\n' && keep_newlines) {
            *o++ = '\n', p++;
        } else if (cp == '\t' || cp == '\n' || cp == '\r') {
            *o++ = ' ', p++;
        } else if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
            memcpy(o, TEXT_REPLACEMENT, 3), o += 3, p += n;
        } else {
            memcpy(o, p, (size_t)n), o += n, p += n;
        }
    }
    *o = '\0';
    return out;
}

/* [+-]digits[.digits][e[+-]digits] or [+-].digits[...]: what a spreadsheet reads as a number. */
static int plain_number(const char *s) {
    if (*s == '+' || *s == '-') s++;
    int digits = 0;
    while (*s >= '0' && *s <= '9') s++, digits++;
    if (*s == '.') {
        s++;
        while (*s >= '0' && *s <= '9') s++, digits++;
    }
    if (!digits) return 0;
    if (*s == 'e' || *s == 'E') {
        s++;
        if (*s == '+' || *s == '-') s++;
        if (!(*s >= '0' && *s <= '9')) return 0;
        while (*s >= '0' && *s <= '9') s++;
    }
    return *s == '\0';
}

int csv_formula_like(const char *text) {
    return text && *text && strchr("=+-@\t\r", *text) && !plain_number(text);
}

void csv_field(FILE *out, const char *text, int formula_safe) {
    if (!text) return;
    int prefix = formula_safe && csv_formula_like(text);
    if (!strpbrk(text, ",\"\r\n")) {
        if (prefix) fputc('\'', out);
        fputs(text, out);
        return;
    }
    fputc('"', out);
    if (prefix) fputc('\'', out);
    for (const char *p = text; *p; p++) {
        if (*p == '"') fputc('"', out);
        fputc(*p, out);
    }
    fputc('"', out);
}

void json_string(FILE *out, const char *text) {
    fputc('"', out);
    for (const char *p = text ? text : ""; *p;) {
        unsigned char c = (unsigned char)*p;
        int n = utf8_sequence(p, NULL);
        if (n == 0) {
            fputs("\\ufffd", out), p++;
            continue;
        }
        if (c == '"' || c == '\\') fputc('\\', out), fputc(c, out);
        else if (c == '\n') fputs("\\n", out);
        else if (c == '\r') fputs("\\r", out);
        else if (c == '\t') fputs("\\t", out);
        else if (c < 0x20) fprintf(out, "\\u%04x", c);
        else fwrite(p, 1, (size_t)n, out);
        p += n;
    }
    fputc('"', out);
}
