/* Text from a results database written into each output format without changing its meaning there: one
 * function per format, shared by the reports and the command line (cohort query, sweep progress).
 *
 * Stored text is whatever a sweep file, a trainer error or another program put into the database: it may
 * hold control characters (ESC starts terminal escape sequences), bytes that are not UTF-8, or text a
 * spreadsheet would run as a formula. */
#ifndef COHORT_TEXT_ESCAPE_H
#define COHORT_TEXT_ESCAPE_H

#include <stdio.h>

/* Bytes of the well-formed UTF-8 sequence at the start of s (1 to 4), or 0 when s does not start one: a
 * stray continuation byte, an overlong form, a surrogate, a code point beyond U+10FFFF or a cut sequence.
 * *code_point (may be NULL) receives its code point. Not called at the terminating NUL. */
int utf8_sequence(const char *s, unsigned *code_point);

/* The UTF-8 encoding of U+FFFD, the replacement character. */
#define TEXT_REPLACEMENT "\xEF\xBF\xBD"

/* For a terminal: a copy of text (malloc'd, NULL when out of memory) in which every C0 and C1 control
 * character, DEL and every byte that is not part of well-formed UTF-8 is U+FFFD, so nothing reaches the
 * terminal as a command. Tabs, and line breaks unless keep_newlines, become spaces. */
char *text_for_terminal(const char *text, int keep_newlines);

/* One CSV field (RFC 4180): quoted, with its quotes doubled, when it holds a comma, a double quote or a
 * line break. With formula_safe, a field starting with = + - @, a tab or a carriage return, which a
 * spreadsheet would evaluate as a formula, gets a leading ' unless it is a plain decimal number (-0.5,
 * 1e-3). NULL writes an empty field. */
void csv_field(FILE *out, const char *text, int formula_safe);
/* Whether text starts like a spreadsheet formula (and is not a plain number). */
int csv_formula_like(const char *text);

/* A JSON string with its quotes: " and \ escaped, control characters as \n, \r, \t or \u00XX, and each
 * byte that is not part of well-formed UTF-8 as \ufffd, so the document stays valid JSON. */
void json_string(FILE *out, const char *text);

#endif
