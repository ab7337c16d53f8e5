/* SPDX-License-Identifier: MIT */
/* libxsave's version: compile time (these macros) and run time (xs_version()). */
#ifndef XSAVE_VERSION_H
#define XSAVE_VERSION_H

#include <xsave/export.h>

/* The one place the version is written: the Makefile (the .so name, libxsave.pc) reads it here. */
#define XS_VERSION_MAJOR 0
#define XS_VERSION_MINOR 4
#define XS_VERSION_PATCH 0
#define XS_VERSION_STR_(n) #n
#define XS_VERSION_STR(n) XS_VERSION_STR_(n)
/* "MAJOR.MINOR.PATCH" */
#define XS_VERSION XS_VERSION_STR(XS_VERSION_MAJOR) "." XS_VERSION_STR(XS_VERSION_MINOR) "." \
	XS_VERSION_STR(XS_VERSION_PATCH)
/* For #if: XS_VERSION_NUM >= XS_VERSION_AT(0, 1, 0). */
#define XS_VERSION_AT(major, minor, patch) ((major) * 10000 + (minor) * 100 + (patch))
#define XS_VERSION_NUM XS_VERSION_AT(XS_VERSION_MAJOR, XS_VERSION_MINOR, XS_VERSION_PATCH)

XS_BEGIN_DECLS

/* The version of the library linked at run time (its XS_VERSION). */
const char *xs_version(void);

XS_END_DECLS

#endif
