// SPDX-License-Identifier: MIT
/*
 * Target profiles (host --save-profile JSON, jansson), and the CPUID facts
 * inside them.  Messages are silenced by run.sh (-close_fd_mask=2).
 */
#include <string.h>

#include <xsave/hostinfo.h>

#include "../../src/sys/profile_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct profile p;
	struct xs_hostinfo h;
	struct xs_diag d;

	if (!profile_is_json(data, size))
		return 0;
	if (profile_parse("fuzz.json", data, size, &p, NULL))
		return 0;
	if (p.record)
		(void)xs_hostinfo_parse(p.record, strlen(p.record), &h, &d);
	profile_free(&p);
	return 0;
}
