// SPDX-License-Identifier: MIT
/*
 * This host's XSAVE facts for the commands: from a CPUID file or profile, from
 * XSAVECTL_HOST_CPUID, or gathered live once per run (sys/host_live.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <xsave/hostinfo.h>

#include "sys/host_facts.h"
#include "sys/io.h"
#include "exitcodes.h"
#include "fail.h"
#include "sys/host_live.h"
#include "sys/profile_file.h"
#include "util.h"

/* This machine's facts, gathered once per run (again only to add /dev/kvm). */
static int this_host(bool kvm, struct xs_hostinfo *h, const char **source, struct fail *why)
{
	static struct xs_hostinfo cache;
	static const char *cache_source;
	static bool have, have_kvm;
	const char *file = getenv("XSAVECTL_HOST_CPUID");
	int rc;

	if (!have || (kvm && !have_kvm)) {
		if (file && *file) {
			rc = host_facts(file, kvm, &cache, &cache_source, why);
			have_kvm = true;	/* a file holds every fact it will ever hold */
		} else {
			cache_source = "live";
			rc = host_live_gather(&cache, kvm) ?
				fail_msg(why, EXIT_UNAVAILABLE, NULL, "this CPU has no CPUID "
					 "instruction") : 0;
			have_kvm = kvm;
		}
		if (rc)
			return rc;
		have = true;
	}
	*h = cache;
	if (source)
		*source = cache_source;
	return 0;
}

int host_facts(const char *file, bool kvm, struct xs_hostinfo *h, const char **source,
	       struct fail *why)
{
	struct profile p = { 0 };
	struct io_file f;
	struct xs_diag d = { 0 };
	const char *text;
	size_t len;
	int rc;

	if (!file)
		return this_host(kvm, h, source, why);
	if (source)
		*source = "cpuid-file";
	rc = io_read(file, 1 << 20, &f, why);
	if (rc)
		return rc;
	text = (const char *)f.buf;
	len = f.len;
	if (profile_is_json(f.buf, f.len)) {
		rc = profile_parse(file, f.buf, f.len, &p, why);
		if (!rc && !p.record)
			rc = fail_msg(why, EXIT_DATAERR, file, "the profile has no \"record\" of the "
				      "host's facts");
		text = p.record;
		len = text ? strlen(text) : 0;
	}
	if (!rc && xs_hostinfo_parse(text, len, h, &d))
		rc = fail_diag(why, EXIT_DATAERR, file, &d);
	profile_free(&p);
	io_free(&f);
	return rc;
}
