// SPDX-License-Identifier: MIT
/*
 * Lines back-end (--brief): each record's line (out_line()), in document
 * order, a container's after the lines inside it; nothing else.  As in text,
 * control characters (from a domain name, a file name) show as \xNN.
 */
#include "out/out.h"

static void put_line(const char *line, FILE *f)
{
	for (const unsigned char *p = (const unsigned char *)line; *p; p++)
		if (*p < 0x20 || *p == 0x7f)
			fprintf(f, "\\x%02x", *p);
		else
			fputc(*p, f);
	fputc('\n', f);
}

static void render(const struct out_node *n, FILE *f)
{
	for (const struct out_node *c = n->child; c; c = c->next)
		render(c, f);
	if (n->line)
		put_line(n->line, f);
}

void out_render_lines(const struct out_node *root, FILE *f)
{
	render(root, f);
}
