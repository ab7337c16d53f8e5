// SPDX-License-Identifier: MIT
/* Reading target profiles (parsed by libxsave); writing is the host command's JSON document. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/profile.h>

#include "exitcodes.h"
#include "fail.h"
#include "sys/io.h"
#include "sys/profile_file.h"
#include "util.h"

#define PROFILE_MAX (1u << 20)

bool profile_is_json(const uint8_t *buf, size_t len)
{
	return xs_profile_is_json(buf, len);
}

int profile_parse(const char *path, const uint8_t *buf, size_t len, struct profile *p,
		  struct fail *why)
{
	struct xs_profile xp;
	struct xs_diag d = { 0 };
	int rc = xs_profile_parse(buf, len, &xp, &d);

	memset(p, 0, sizeof(*p));
	p->path = path;
	if (rc)
		return fail_diag(why, exit_for_err(rc), path, &d);
	p->target = xp.target;
	p->have_mxcsr_mask = xp.have_mxcsr_mask;
	p->mxcsr_mask = xp.mxcsr_mask;
	snprintf(p->hostname, sizeof(p->hostname), "%s", xp.hostname);
	p->record = xp.record;	/* taken over: profile_free() frees it */
	p->kernel = xp.kernel;
	memcpy(p->kernel_release, xp.kernel_release, sizeof(p->kernel_release));
	memcpy(p->kernel_from, xp.kernel_from, sizeof(p->kernel_from));
	p->qemu_version = xp.qemu_version;
	return 0;
}

int profile_load(const char *path, struct profile *p, struct fail *why)
{
	struct io_file f;
	int rc;

	/* *p is valid for profile_free() on every path, failures included. */
	memset(p, 0, sizeof(*p));
	p->path = path;
	rc = io_read(path, PROFILE_MAX, &f, why);

	if (rc)
		return rc;
	rc = profile_parse(path, f.buf, f.len, p, why);
	io_free(&f);
	return rc;
}

void profile_free(struct profile *p)
{
	free(p->record);
	p->record = NULL;
}
