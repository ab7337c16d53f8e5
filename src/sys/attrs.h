/* SPDX-License-Identifier: MIT */
/*
 * What an in-place rewrite by rename must keep of the file it replaces: its
 * owner, group, mode and extended attributes (SELinux label, ACLs, user.*),
 * set on the new file before it takes the old one's name.
 */
#ifndef XSAVECTL_ATTRS_H
#define XSAVECTL_ATTRS_H

#include <sys/stat.h>

struct fail;

/*
 * Give @fd (the new file) the owner, group and mode of @st and every extended
 * attribute of @path (the file it replaces).  0, or EXIT_CANTCREAT naming
 * what cannot be kept (in @fail, about @path).
 */
int attrs_keep(const char *path, const struct stat *st, int fd, struct fail *fail);

#endif
