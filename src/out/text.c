// SPDX-License-Identifier: MIT
/*
 * Text back-end: "key:  value" lines aligned per object, nested objects
 * indented, arrays of flat objects as tables with upper-case headings,
 * arrays of scalars on one line, other arrays as "key[i]:" blocks, and an
 * array marked as a matrix (out_text_matrix()) pivoted into a table.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "out/out.h"
#include "util.h"

static const char *shown(const struct out_node *n)
{
	return n->show ? n->show : n->val;
}

static bool is_scalar(const struct out_node *n)
{
	return n->type == OUT_T_STR || n->type == OUT_T_RAW;
}

static bool is_flat_obj(const struct out_node *n)
{
	if (n->type != OUT_T_OBJ)
		return false;
	for (const struct out_node *c = n->child; c; c = c->next)
		if (!is_scalar(c))
			return false;
	return true;
}

static bool all(const struct out_node *arr, bool (*pred)(const struct out_node *))
{
	for (const struct out_node *c = arr->child; c; c = c->next)
		if (!c->text_hidden && !pred(c))
			return false;
	return true;
}

static const struct out_node *first_shown(const struct out_node *arr)
{
	const struct out_node *c = arr->child;

	while (c && c->text_hidden)
		c = c->next;
	return c;
}

static const struct out_node *child(const struct out_node *obj, const char *key)
{
	for (const struct out_node *c = obj->child; c; c = c->next)
		if (c->key && !strcmp(c->key, key))
			return c;
	return NULL;
}

static void print_value(const struct out_node *n, FILE *f)
{
	fputs(shown(n), f);
	if (n->note)
		fprintf(f, "  %s", n->note);
}

#define MAX_COLS 16

static void render_table(const struct out_node *arr, int indent, FILE *f)
{
	const char *cols[MAX_COLS];
	size_t width[MAX_COLS], ncols = 0;

	for (const struct out_node *row = arr->child; row; row = row->next)
		for (const struct out_node *c = row->text_hidden ? NULL : row->child; c; c = c->next) {
			size_t i;

			if (c->text_hidden)
				continue;
			for (i = 0; i < ncols && strcmp(cols[i], c->key); i++)
				;
			if (i == ncols && ncols < MAX_COLS) {
				cols[ncols] = c->key;
				width[ncols++] = strlen(c->key);
			}
			if (i < ncols && strlen(shown(c)) > width[i])
				width[i] = strlen(shown(c));
		}
	fprintf(f, "%*s", indent, "");
	for (size_t i = 0; i < ncols; i++) {
		for (const char *p = cols[i]; *p; p++)
			fputc(*p == '_' ? ' ' : toupper((unsigned char)*p), f);
		if (i + 1 < ncols)
			fprintf(f, "%*s", (int)(width[i] - strlen(cols[i]) + 2), "");
	}
	fputc('\n', f);
	for (const struct out_node *row = arr->child; row; row = row->next) {
		const struct out_node *last = NULL;

		if (row->text_hidden)
			continue;
		fprintf(f, "%*s", indent, "");
		for (size_t i = 0; i < ncols; i++) {
			const struct out_node *c = row->child;
			const char *v;

			while (c && (c->text_hidden || strcmp(c->key, cols[i])))
				c = c->next;
			v = c ? shown(c) : "-";
			fputs(v, f);
			if (c && c->note)
				last = c;
			if (i + 1 < ncols)
				fprintf(f, "%*s", (int)(width[i] - strlen(v) + 2), "");
		}
		if (last)
			fprintf(f, "  %s", last->note);
		fputc('\n', f);
	}
}

/* A new node of type @t under @parent (the matrix's own tree, freed by free_tree()). */
static struct out_node *node(struct out_node *parent, enum out_type t, const char *key,
			     const char *val)
{
	struct out_node *n = xcalloc(1, sizeof(*n));

	n->type = t;
	n->key = (char *)key;
	n->val = (char *)val;
	if (parent->last)
		parent->last->next = n;
	else
		parent->child = n;
	parent->last = n;
	return n;
}

static void free_tree(struct out_node *n)
{
	for (struct out_node *c = n->child, *next; c; c = next) {
		next = c->next;
		free_tree(c);
		free(c);
	}
}

/*
 * A matrix: pivot the array's cells into rows (a flat object per distinct
 * row label, holding the label and a column per distinct column value) and
 * show them as a table.  The nodes only point into the document.
 */
static void render_matrix(const struct out_node *arr, int indent, FILE *f)
{
	const char *const *m = (const char *const *)arr->matrix;
	struct out_node table = { .type = OUT_T_ARR };

	for (const struct out_node *c = arr->child; c; c = c->next) {
		const struct out_node *r = child(c, m[1]), *col = child(c, m[2]),
				      *cell = child(c, m[3]);
		struct out_node *row = table.child;

		if (c->text_hidden || !r || !col || !cell)
			continue;
		while (row && strcmp(row->child->val, shown(r)))
			row = row->next;
		if (!row) {
			row = node(&table, OUT_T_OBJ, NULL, NULL);
			node(row, OUT_T_STR, m[1], (char *)shown(r));
		}
		node(row, OUT_T_STR, shown(col), (char *)shown(cell));
	}
	fprintf(f, "%*s%s:%s\n", indent, "", m[0], table.child ? "" : " -");
	if (table.child)
		render_table(&table, indent + 2, f);
	free_tree(&table);
}

static void render_obj(const struct out_node *obj, int indent, bool top, FILE *f);

static void render_arr(const struct out_node *arr, int indent, bool top, FILE *f)
{
	unsigned i = 0;

	if (arr->matrix[0]) {
		render_matrix(arr, indent, f);
		return;
	}
	if (!first_shown(arr)) {
		fprintf(f, "%*s%s: -\n", indent, "", arr->key);
		return;
	}
	if (all(arr, is_scalar)) {
		fprintf(f, "%*s%s:", indent, "", arr->key);
		for (const struct out_node *c = arr->child; c; c = c->next)
			if (!c->text_hidden)
				fprintf(f, " %s", shown(c));
		fputc('\n', f);
		return;
	}
	if (all(arr, is_flat_obj) && (!top || arr->text_table)) {
		fprintf(f, "%*s%s:\n", indent, "", arr->key);
		render_table(arr, indent + 2, f);
		return;
	}
	for (const struct out_node *c = arr->child; c; c = c->next) {
		if (c->text_hidden)
			continue;
		if (top) {
			if (c != first_shown(arr))
				fputc('\n', f);
			render_obj(c, indent, false, f);
			continue;
		}
		fprintf(f, "%*s%s[%u]:\n", indent, "", arr->key, i++);
		render_obj(c, indent + 2, false, f);
	}
}

static void render_obj(const struct out_node *obj, int indent, bool top, FILE *f)
{
	size_t kw = 0;

	for (const struct out_node *c = obj->child; c; c = c->next)
		if (is_scalar(c) && !c->text_hidden && c->key && strlen(c->key) > kw)
			kw = strlen(c->key);
	for (const struct out_node *c = obj->child; c; c = c->next) {
		if (c->text_hidden)
			continue;
		if (is_scalar(c)) {
			fprintf(f, "%*s%s:%*s", indent, "", c->key ? c->key : "",
				(int)(kw - (c->key ? strlen(c->key) : 0) + 2), "");
			print_value(c, f);
			fputc('\n', f);
		} else if (c->type == OUT_T_OBJ) {
			fprintf(f, "%*s%s:\n", indent, "", c->key ? c->key : "");
			render_obj(c, indent + 2, false, f);
		} else {
			render_arr(c, indent, top, f);
		}
	}
}

void out_render_text(const struct out_node *root, FILE *f)
{
	render_obj(root, 0, true, f);
}
