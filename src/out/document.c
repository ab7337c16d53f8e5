// SPDX-License-Identifier: MIT
/*
 * A command's output document: its schema header, and the end of the run
 * (render, then close stdout checking for errors; EPIPE is no error).
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "exitcodes.h"
#include "out/document.h"
#include "util.h"
#include "version.h"

/*
 * The JSON schema version.  2: states carry "host_xcr0" (was "xcr0"), "verdict"
 * first, findings without the components kept, components without
 * action/reason in check; check with several targets has "targets" and
 * "verdicts"; unreadable inputs are {"file", "error"} entries.  3: a verdict's
 * "state" is an object ({"file", "vcpu"|"thread"}, was one string), the error
 * entries of several targets are in "errors" (not among "verdicts"), error
 * entries carry "unrecognised" (no form of XSAVE state) and "ignored"
 * (--ignore-unrecognised), and a sweep of several inputs ends with "summary".
 */
#define XSAVECTL_SCHEMA 3

struct out *common_out(enum out_mode mode)
{
	struct out *o = out_new(mode);

	out_u64(o, "schema", XSAVECTL_SCHEMA);
	out_text_hide(o);
	out_str(o, "xsavectl_version", XSAVECTL_VERSION);
	out_text_hide(o);
	return o;
}

/*
 * Close stdout after a write that returned @rc (0 or -1): 0 or EXIT_IOERR
 * (message printed).  A reader that closed the pipe early (`| head`) wanted
 * no more: that is no error, and the command keeps the status it has.
 */
static int close_stdout(int rc)
{
	if (rc || fclose(stdout)) {
		if (errno == EPIPE)
			return EXIT_OK;
		msg_err("write error on standard output: %s", strerror(errno));
		return EXIT_IOERR;
	}
	return EXIT_OK;
}

int common_finish(struct out *o)
{
	int rc = out_write(o, stdout);

	out_free(o);
	return close_stdout(rc);
}

int common_end(struct out *o, bool render)
{
	if (render)
		return common_finish(o);
	out_free(o);
	return common_print("");
}

int common_print(const char *text)
{
	return close_stdout(fputs(text, stdout) < 0 ? -1 : 0);
}

