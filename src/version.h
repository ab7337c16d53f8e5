/* SPDX-License-Identifier: MIT */
/* The program's version (--version, the output's "xsavectl_version"). */
#ifndef XSAVECTL_VERSION_H
#define XSAVECTL_VERSION_H

#define XSAVECTL_VERSION "0.2.0"

#endif
