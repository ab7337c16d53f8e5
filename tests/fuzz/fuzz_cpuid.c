// SPDX-License-Identifier: MIT
/* CPUID files (host --record text): the facts, the layout and the target derived from them. */
#include <stdlib.h>

#include <xsave/hostinfo.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct xs_hostinfo h;
	struct xs_host_target t;
	struct xs_layout l;
	struct xs_diag d;
	char *text;

	if (xs_hostinfo_parse((const char *)data, size, &h, &d))
		return 0;
	if (xs_host_has_xsave(&h))
		(void)xs_layout_from_cpuid(&h.d, "fuzz", &l, &d);
	xs_host_target(&h, &t);
	text = xs_hostinfo_format(&h);
	free(text);
	return 0;
}
