// SPDX-License-Identifier: MIT
/* Keeping a replaced file's owner, mode and extended attributes: see attrs.h. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/xattr.h>

#include "exitcodes.h"
#include "fail.h"
#include "sys/attrs.h"
#include "util.h"

/* Extended attributes are small (a label, an ACL); a list or value past this is refused. */
#define XATTR_MAX (64u << 10)

/* Copy attribute @name of @path to @fd.  0, or EXIT_CANTCREAT with why. */
static int copy_one(const char *path, const char *name, int fd, struct fail *fail)
{
	uint8_t *v = xmalloc(XATTR_MAX);
	ssize_t n = getxattr(path, name, v, XATTR_MAX);
	int rc = 0;

	if (n < 0 && errno != ENODATA)
		rc = fail_msg(fail, EXIT_CANTCREAT, path, "cannot read its extended attribute "
			      "'%s' to keep it: %s; not rewritten", name, strerror(errno));
	else if (n >= 0 && fsetxattr(fd, name, v, (size_t)n, 0))
		rc = fail_msg(fail, EXIT_CANTCREAT, path, "cannot keep its extended attribute "
			      "'%s' on the rewritten file: %s; not rewritten", name, strerror(errno));
	free(v);
	return rc;
}

static int copy_xattrs(const char *path, int fd, struct fail *fail)
{
	char *list = xmalloc(XATTR_MAX);
	ssize_t n = listxattr(path, list, XATTR_MAX);
	int rc = 0;

	if (n < 0 && errno != ENOTSUP)
		rc = fail_msg(fail, EXIT_CANTCREAT, path, "cannot list its extended attributes to "
			      "keep them: %s; not rewritten", strerror(errno));
	for (ssize_t i = 0; !rc && n > 0 && i < n; i += (ssize_t)strlen(list + i) + 1)
		rc = copy_one(path, list + i, fd, fail);
	free(list);
	return rc;
}

int attrs_keep(const char *path, const struct stat *st, int fd, struct fail *fail)
{
	struct stat now;

	if (fstat(fd, &now))
		return fail_msg(fail, EXIT_CANTCREAT, path, "cannot stat the rewritten file: %s",
				strerror(errno));
	if ((now.st_uid != st->st_uid || now.st_gid != st->st_gid) &&
	    fchown(fd, st->st_uid, st->st_gid))
		return fail_msg(fail, EXIT_CANTCREAT, path, "cannot keep its owner and group "
				"(%u:%u) on the rewritten file: %s; not rewritten",
				(unsigned)st->st_uid, (unsigned)st->st_gid, strerror(errno));
	/* after fchown, which clears set-user-ID and set-group-ID */
	if (fchmod(fd, st->st_mode & 07777))
		return fail_msg(fail, EXIT_CANTCREAT, path, "cannot keep its mode %04o on the "
				"rewritten file: %s; not rewritten", (unsigned)(st->st_mode & 07777),
				strerror(errno));
	return copy_xattrs(path, fd, fail);
}
