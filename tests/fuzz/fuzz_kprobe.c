// SPDX-License-Identifier: MIT
/* Probe records (probe --record text): parse, judge, the version hint, and format round trip. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/kprobe.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xs_kp_record r, again;
	struct xs_kp_verdict v, v2;
	struct xs_diag d;
	enum xs_kp_class c;
	char label[32];
	char *text;

	if (xs_kp_parse((const char *)data, size, &r, &d))
		return 0;
	xs_kp_judge(&r, &v);
	(void)xs_kp_class_for_version(r.release, r.version, &c, label);
	text = xs_kp_format(&r);
	if (!text)
		return 0;
	/* What probe --record writes, probe --from reads back to the same verdict. */
	assert(xs_kp_parse(text, strlen(text), &again, &d) == 0);
	xs_kp_judge(&again, &v2);
	assert(v.cls == v2.cls && !strcmp(v.reason, v2.reason));
	free(text);
	return 0;
}
