// SPDX-License-Identifier: MIT
/* The exit codes in words, for `xsavectl --help` (tests/docsync.sh checks the man page and README list them). */
#include "exitcodes.h"

const struct exit_code exit_codes[] = {
	{ EXIT_OK, "ok" },
	{ EXIT_NO, "no (incompatible, differs, refused, needs the kernel patch)" },
	{ EXIT_FIXABLE, "fixable (probe: leaks)" },
	{ EXIT_INCONCLUSIVE, "probe inconclusive" },
	{ EXIT_USAGE, "usage" },
	{ EXIT_DATAERR, "bad input" },
	{ EXIT_NOINPUT, "cannot open or read input" },
	{ EXIT_UNAVAILABLE, "host lacks XSAVE or KVM" },
	{ EXIT_SOFTWARE, "internal" },
	{ EXIT_CANTCREAT, "cannot create output" },
	{ EXIT_IOERR, "write error" },
	{ EXIT_NOPERM, "no permission for /dev/kvm" },
};
const unsigned n_exit_codes = sizeof(exit_codes) / sizeof(exit_codes[0]);

/*
 * The ranking of a batch's statuses, best first (exit_worst()): an input that could not be read
 * outranks every verdict.  --list-exit-codes prints it worst first, and tests/docsync.sh holds
 * the README, the man page and util.h to that order.
 */
const int exit_rank[] = { EXIT_OK,	  EXIT_FIXABLE,	    EXIT_INCONCLUSIVE, EXIT_NO,
			  EXIT_DATAERR,	  EXIT_NOINPUT,	    EXIT_NOPERM,       EXIT_UNAVAILABLE,
			  EXIT_CANTCREAT, EXIT_IOERR,	    EXIT_SOFTWARE,     EXIT_USAGE };
_Static_assert(sizeof(exit_rank) / sizeof(exit_rank[0]) == sizeof(exit_codes) / sizeof(exit_codes[0]),
	       "every exit code has its rank");
