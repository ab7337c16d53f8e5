/* SPDX-License-Identifier: MIT */
/* The documented exit codes (man/xsavectl.1 EXIT STATUS, README). Nothing else is returned. */
#ifndef XSAVECTL_EXITCODES_H
#define XSAVECTL_EXITCODES_H

enum {
	EXIT_OK = 0,		/* loads as is / no differences / done */
	EXIT_NO = 1,		/* check: incompatible; diff: differ; filter: refused; probe: needs patch */
	EXIT_FIXABLE = 2,	/* check: filter makes it loadable with nothing lost; probe: leaks */
	EXIT_INCONCLUSIVE = 3,	/* probe: the answers cannot be trusted */
	EXIT_USAGE = 64,	/* EX_USAGE: bad command line */
	EXIT_DATAERR = 65,	/* EX_DATAERR: malformed or unsupported input */
	EXIT_NOINPUT = 66,	/* EX_NOINPUT: input cannot be opened or read (cut short meanwhile) */
	EXIT_UNAVAILABLE = 69,	/* EX_UNAVAILABLE: host facility missing (no XSAVE; probe: no KVM device) */
	EXIT_SOFTWARE = 70,	/* EX_SOFTWARE: internal error, out of memory */
	EXIT_CANTCREAT = 73,	/* EX_CANTCREAT: output cannot be created */
	EXIT_IOERR = 74,	/* EX_IOERR: write error (output file or stdout) */
	EXIT_NOPERM = 77,	/* EX_NOPERM: probe: the KVM device cannot be opened */
};

/* Every code with its words for --help (exitcodes.c); the man page and README say more. */
struct exit_code {
	int code;
	const char *help;
};
extern const struct exit_code exit_codes[];
extern const unsigned n_exit_codes;
/* The same codes ranked for a batch, best first (n_exit_codes of them). */
extern const int exit_rank[];

#endif
