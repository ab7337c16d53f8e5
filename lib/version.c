// SPDX-License-Identifier: MIT
#include <xsave/version.h>

const char *xs_version(void)
{
	return XS_VERSION;
}
