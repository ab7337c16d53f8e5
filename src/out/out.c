// SPDX-License-Identifier: MIT
/* Document building for the output layer; rendering is in text.c, json.c and lines.c. */
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/layout.h>
#include <xsave/regs.h>

#include "out/out.h"
#include "util.h"

struct out {
	enum out_mode mode;
	struct out_node root;
	struct out_node *cur;		/* open container */
	struct out_node *last;		/* last scalar added */
};

struct out *out_new(enum out_mode mode)
{
	struct out *o = xcalloc(1, sizeof(*o));

	o->mode = mode;
	o->root.type = OUT_T_OBJ;
	o->cur = &o->root;
	return o;
}

enum out_mode out_mode(const struct out *o)
{
	return o->mode;
}

static void free_node(struct out_node *n)
{
	struct out_node *c = n->child;

	while (c) {
		struct out_node *next = c->next;

		free_node(c);
		free(c);
		c = next;
	}
	free(n->key);
	free(n->val);
	free(n->show);
	free(n->note);
	free(n->line);
	for (size_t i = 0; i < sizeof(n->matrix) / sizeof(n->matrix[0]); i++)
		free(n->matrix[i]);
}

void out_free(struct out *o)
{
	if (!o)
		return;
	free_node(&o->root);
	free(o);
}

static struct out_node *add(struct out *o, enum out_type t, const char *key)
{
	struct out_node *n = xcalloc(1, sizeof(*n));

	n->type = t;
	n->key = key ? xstrdup(key) : NULL;
	n->parent = o->cur;
	if (o->cur->last)
		o->cur->last->next = n;
	else
		o->cur->child = n;
	o->cur->last = n;
	o->last = n;
	return n;
}

void out_obj(struct out *o, const char *key)
{
	o->cur = add(o, OUT_T_OBJ, key);
}

void out_arr(struct out *o, const char *key)
{
	o->cur = add(o, OUT_T_ARR, key);
}

void out_end(struct out *o)
{
	if (!o->cur->parent)
		return;
	o->last = o->cur;	/* out_show() and out_text_hide() now apply to it */
	o->cur = o->cur->parent;
}

/*
 * What the text back-end shows of a string from the input (a domain name, a CPU
 * model, a file name): control characters as \xNN, so that no terminal escape
 * reaches a terminal.  JSON escapes them itself.
 */
static char *escaped(const char *text)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *v = (const unsigned char *)text;
	size_t bad = 0, k = 0;
	char *s;

	for (size_t i = 0; v[i]; i++)
		bad += v[i] < 0x20 || v[i] == 0x7f;
	if (!bad)
		return NULL;
	s = xmalloc(strlen(text) + 3 * bad + 1);
	for (size_t i = 0; v[i]; i++) {
		if (v[i] >= 0x20 && v[i] != 0x7f) {
			s[k++] = (char)v[i];
			continue;
		}
		s[k++] = '\\';
		s[k++] = 'x';
		s[k++] = hex[v[i] >> 4];
		s[k++] = hex[v[i] & 15];
	}
	s[k] = 0;
	return s;
}

static void text_safe(struct out_node *n)
{
	char *s = escaped(n->val);

	if (s) {
		free(n->show);
		n->show = s;
	}
}

void out_str(struct out *o, const char *key, const char *v)
{
	struct out_node *n = add(o, OUT_T_STR, key);

	n->val = xstrdup(v);
	text_safe(n);
}

void out_strf(struct out *o, const char *key, const char *fmt, ...)
{
	struct out_node *n = add(o, OUT_T_STR, key);
	va_list ap;

	va_start(ap, fmt);
	n->val = xvasprintf(fmt, ap);
	va_end(ap);
	text_safe(n);
}

void out_u64(struct out *o, const char *key, uint64_t v)
{
	add(o, OUT_T_RAW, key)->val = xasprintf("%" PRIu64, v);
}

void out_bool(struct out *o, const char *key, bool v)
{
	struct out_node *n = add(o, OUT_T_RAW, key);

	n->val = xstrdup(v ? "true" : "false");
	n->show = xstrdup(v ? "yes" : "no");
}

void out_null(struct out *o, const char *key)
{
	struct out_node *n = add(o, OUT_T_RAW, key);

	n->val = xstrdup("null");
	n->show = xstrdup("-");
}

void out_mask(struct out *o, const char *key, uint64_t mask)
{
	char names[256];

	add(o, OUT_T_STR, key)->val = xasprintf("0x%" PRIx64, mask);
	xs_mask_names(mask & ~XS_XCOMP_COMPACTED, names, sizeof(names));
	if (mask & XS_XCOMP_COMPACTED)
		out_note(o, "(compacted%s%s)", names[0] ? ": " : "", names);
	else if (names[0])
		out_note(o, "(%s)", names);
}

void out_hexle(struct out *o, const char *key, const uint8_t *le, size_t n)
{
	struct out_node *node = add(o, OUT_T_STR, key);

	node->val = xmalloc(2 * n + 3);
	xs_hex_msb(le, n, node->val, 2 * n + 3);
}

void out_show(struct out *o, const char *fmt, ...)
{
	va_list ap;
	char *show, *safe;

	if (!o->last)
		return;
	va_start(ap, fmt);
	show = xvasprintf(fmt, ap);
	va_end(ap);
	safe = escaped(show);	/* it may hold a name from the input */
	if (safe) {
		free(show);
		show = safe;
	}
	free(o->last->show);
	o->last->show = show;
}

void out_note(struct out *o, const char *fmt, ...)
{
	va_list ap;

	char *add;

	if (!o->last)
		return;
	va_start(ap, fmt);
	add = xvasprintf(fmt, ap);
	va_end(ap);
	if (o->last->note) {
		char *both = xasprintf("%s %s", o->last->note, add);

		free(add);
		add = both;
		free(o->last->note);
	}
	o->last->note = add;
}

void out_text_hide(struct out *o)
{
	if (o->last)
		o->last->text_hidden = true;
}

void out_text_table(struct out *o)
{
	o->cur->text_table = true;
}

void out_text_matrix(struct out *o, const char *key, const char *row, const char *col,
		     const char *cell)
{
	o->cur->matrix[0] = xstrdup(key);
	o->cur->matrix[1] = xstrdup(row);
	o->cur->matrix[2] = xstrdup(col);
	o->cur->matrix[3] = xstrdup(cell);
}

void out_line(struct out *o, const char *fmt, ...)
{
	va_list ap;

	free(o->cur->line);
	va_start(ap, fmt);
	o->cur->line = xvasprintf(fmt, ap);
	va_end(ap);
}

int out_write(struct out *o, FILE *f)
{
	switch (o->mode) {
	case OUT_JSON:
		out_render_json(&o->root, f);
		break;
	case OUT_LINES:
		out_render_lines(&o->root, f);
		break;
	case OUT_TEXT:
		out_render_text(&o->root, f);
		break;
	}
	return fflush(f) == 0 && !ferror(f) ? 0 : -1;
}
