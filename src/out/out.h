/* SPDX-License-Identifier: MIT */
/*
 * The one output layer.  Commands build a document (objects, arrays, scalars
 * under snake_case keys) without knowing the format; out_write() renders it
 * as aligned text, as JSON, or as lines (--brief: one line per answer).
 * Nothing reaches stdout before the document is complete, so on error stdout
 * holds nothing.  A command builds the same document whatever the mode.
 *
 * Text-only refinements attach to the node just added (or the container just
 * closed): out_show() replaces its displayed value (a container's: its label,
 * as a matrix row), out_note() appends to it, out_text_hide() drops it.
 * out_line() gives the record being built its line for the lines back-end.
 */
#ifndef XSAVECTL_OUT_H
#define XSAVECTL_OUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

enum out_mode { OUT_TEXT, OUT_JSON, OUT_LINES };

struct out;

struct out *out_new(enum out_mode mode);
void out_free(struct out *o);
enum out_mode out_mode(const struct out *o);

void out_obj(struct out *o, const char *key);	/* key NULL inside arrays */
void out_arr(struct out *o, const char *key);
void out_end(struct out *o);

void out_str(struct out *o, const char *key, const char *v);
void out_strf(struct out *o, const char *key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void out_u64(struct out *o, const char *key, uint64_t v);
void out_bool(struct out *o, const char *key, bool v);
void out_null(struct out *o, const char *key);
/* A 64-bit mask as "0x..."; text adds the component names. */
void out_mask(struct out *o, const char *key, uint64_t mask);
/* A little-endian value as "0x..." most significant byte first. */
void out_hexle(struct out *o, const char *key, const uint8_t *le, size_t n);

void out_show(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void out_note(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void out_text_hide(struct out *o);
/* Show the array being built as one table in text, even at the top level. */
void out_text_table(struct out *o);
/*
 * Show the array being built, in text, as a matrix under the key @key: one
 * row per distinct label (out_show) of each entry's object @row, one column
 * per distinct value of its scalar @col, the cell its scalar @cell as shown.
 * The array's entries are the cells (JSON keeps them as they are).
 */
void out_text_matrix(struct out *o, const char *key, const char *row, const char *col,
		     const char *cell);
/*
 * The line the lines back-end prints for the container being built (the
 * document's root once every container is closed): a record's one-line
 * answer.  Lines are printed in document order, a container's after those
 * inside it.
 */
void out_line(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Render to @f; 0, or -1 with errno on a write error. */
int out_write(struct out *o, FILE *f);

/* Back-ends (out_text.c, out_json.c) walk this tree. */
enum out_type { OUT_T_OBJ, OUT_T_ARR, OUT_T_STR, OUT_T_RAW };

struct out_node {
	enum out_type type;
	char *key;
	char *val;		/* scalars: JSON string contents, or raw JSON token */
	char *show;		/* text: replaces val */
	char *note;		/* text: appended */
	bool text_hidden;
	bool text_table;	/* a top-level array shown as one table */
	char *line;		/* lines: this record's line */
	char *matrix[4];	/* text: a matrix's key, row, column and cell keys */
	struct out_node *child, *last, *next, *parent;
};

void out_render_text(const struct out_node *root, FILE *f);
void out_render_json(const struct out_node *root, FILE *f);
void out_render_lines(const struct out_node *root, FILE *f);

#endif
