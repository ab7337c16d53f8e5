// SPDX-License-Identifier: MIT
/* JSON back-end: one document, two-space indentation, RFC 8259 string escaping. */
#include "out/out.h"

/*
 * Length of the well-formed UTF-8 sequence at @p (RFC 3629: no overlongs, no
 * surrogates, at most U+10FFFF), or 0.
 */
static size_t utf8_len(const unsigned char *p)
{
	size_t n;
	unsigned cp;

	if (*p < 0xc2 || *p > 0xf4)
		return 0;
	n = *p >= 0xf0 ? 4 : *p >= 0xe0 ? 3 : 2;
	cp = *p & (0x3f >> (n - 1));
	for (size_t i = 1; i < n; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (p[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/*
 * A JSON string is UTF-8 (RFC 8259 8.1), file and host names need not be:
 * a byte that starts no well-formed sequence becomes U+FFFD.
 */
static void json_string(const char *s, FILE *f)
{
	fputc('"', f);
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if (*p >= 0x80) {
			size_t n = utf8_len(p);

			if (!n) {
				fputs("\\ufffd", f);
				continue;
			}
			fwrite(p, 1, n, f);
			p += n - 1;
			continue;
		}
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
