// SPDX-License-Identifier: MIT
/* JSON back-end: one document, two-space indentation, RFC 8259 string escaping. */
#include "out.h"

static void json_string(const char *s, FILE *f)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		switch (*p) {
		case '"':
			fputs("\\\"", f);
			break;
		case '\\':
			fputs("\\\\", f);
			break;
		case '\n':
			fputs("\\n", f);
			break;
		case '\t':
			fputs("\\t", f);
			break;
		default:
			if (*p < 0x20)
				fprintf(f, "\\u%04x", *p);
			else
				fputc(*p, f);
		}
	}
	fputc('"', f);
}

static void render(const struct out_node *n, int indent, FILE *f)
{
	const struct out_node *c;

	if (n->key) {
		json_string(n->key, f);
		fputs(": ", f);
	}
	switch (n->type) {
	case OUT_T_STR:
		json_string(n->val, f);
		return;
	case OUT_T_RAW:
		fputs(n->val, f);
		return;
	case OUT_T_OBJ:
	case OUT_T_ARR:
		break;
	}
	fputc(n->type == OUT_T_OBJ ? '{' : '[', f);
	for (c = n->child; c; c = c->next) {
		fprintf(f, "\n%*s", indent + 2, "");
		render(c, indent + 2, f);
		if (c->next)
			fputc(',', f);
	}
	if (n->child)
		fprintf(f, "\n%*s", indent, "");
	fputc(n->type == OUT_T_OBJ ? '}' : ']', f);
}

void out_render_json(const struct out_node *root, FILE *f)
{
	render(root, 0, f);
	fputc('\n', f);
}
