// SPDX-License-Identifier: MIT
/* Probe records (probe --record text): parse, judge, the version hint, and format round trip. */
#include <assert.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/kprobe.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xs_kp_record *r = xs_kp_record_new(), *again = xs_kp_record_new();
	struct xs_kp_verdict v, v2;
	struct xs_diag d;
	enum xs_kp_class c;
	char label[32], finding[XS_KP_FINDING_LEN];
	char *text = NULL;

	if (!r || !again || xs_kp_parse((const char *)data, size, r, &d))
		goto out;
	xs_kp_judge(r, &v);
	for (unsigned i = 0; i < xs_kp_nsteps(); i++)
		xs_kp_finding(r, i, finding, sizeof(finding));
	(void)xs_kp_class_for_version(xs_kp_record_text(r, XS_KP_RELEASE),
				      xs_kp_record_text(r, XS_KP_KVERSION), &c, label);
	text = xs_kp_format(r);
	if (!text)
		goto out;
	/* What probe --record writes, probe --from reads back to the same verdict. */
	assert(xs_kp_parse(text, strlen(text), again, &d) == 0);
	xs_kp_judge(again, &v2);
	assert(v.cls == v2.cls && !strcmp(v.reason, v2.reason));
out:
	free(text);
	xs_kp_record_free(r);
	xs_kp_record_free(again);
	return 0;
}
