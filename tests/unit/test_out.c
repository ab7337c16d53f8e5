// SPDX-License-Identifier: MIT
/*
 * The output layer's three back-ends on one document: text (tables, hidden
 * records, the matrix pivot, escaped labels), JSON (everything, values as
 * given) and lines (each record's line, in document order, a container's
 * after those inside it).
 */
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "out/out.h"

/* A sweep's answer: two verdict records of one state, an unreadable input, a closing line. */
static struct out *doc(enum out_mode mode)
{
	struct out *o = out_new(mode);
	const char *targets[2] = { "hostA", "host_b" };

	out_arr(o, "verdicts");
	out_text_matrix(o, "matrix", "state", "target", "verdict");
	for (int s = 0; s < 2; s++)
		for (int t = 0; t < 2; t++) {
			out_obj(o, NULL);
			out_obj(o, "state");
			out_str(o, "file", s ? "b\033.mig" : "a.mig");
			out_end(o);
			out_show(o, "%s vcpu0", s ? "b\033.mig" : "a.mig");
			out_str(o, "target", targets[t]);
			out_str(o, "verdict", t ? "incompatible" : "ok");
			out_show(o, "%s", t ? "incompatible (lose pkru)" : "ok");
			out_line(o, "%s vcpu0 on %s: %s", s ? "b\033.mig" : "a.mig", targets[t],
				 t ? "incompatible" : "ok");
			out_end(o);
		}
	out_obj(o, NULL);
	out_str(o, "file", "bad.bin");
	out_line(o, "bad.bin: error: cut");
	out_end(o);
	out_text_hide(o);
	out_end(o);
	out_line(o, "done");
	return o;
}

static char *render(enum out_mode mode)
{
	struct out *o = doc(mode);
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);

	if (!f || out_write(o, f))
		abort();
	fclose(f);
	out_free(o);
	return buf;
}

int main(void)
{
	char *text = render(OUT_TEXT), *lines = render(OUT_LINES), *json = render(OUT_JSON);

	CHECK(!strcmp(text, "matrix:\n"
			    "  STATE            HOSTA  HOST B\n"
			    "  a.mig vcpu0      ok     incompatible (lose pkru)\n"
			    "  b\\x1b.mig vcpu0  ok     incompatible (lose pkru)\n"),
	      "text: the verdicts pivoted into a matrix, the hidden record left out, labels escaped");
	CHECK(!strcmp(lines, "a.mig vcpu0 on hostA: ok\n"
			     "a.mig vcpu0 on host_b: incompatible\n"
			     "b\\x1b.mig vcpu0 on hostA: ok\n"
			     "b\\x1b.mig vcpu0 on host_b: incompatible\n"
			     "bad.bin: error: cut\n"
			     "done\n"),
	      "lines: every record's line in order, the root's last, escaped");
	CHECK(strstr(json, "\"verdict\": \"incompatible\"") && strstr(json, "\"file\": \"bad.bin\"") &&
		      !strstr(json, "lose pkru") && !strstr(json, "error: cut") &&
		      !strstr(json, "matrix"),
	      "json: the values as given, the hidden record kept, no text refinement or line");
	if (t_failed)
		printf("# text:\n%s# lines:\n%s# json:\n%s", text, lines, json);
	free(text);
	free(lines);
	free(json);
	return t_done("out");
}
