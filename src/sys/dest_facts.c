// SPDX-License-Identifier: MIT
/* The destination's kernel and QEMU: see dest_facts.h. */
#include <errno.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <fcntl.h>
#include <unistd.h>

#include <xsave/kprobe.h>
#include <xsave/profile.h>

#include "exitcodes.h"
#include "fail.h"
#include "sys/dest_facts.h"
#include "sys/io.h"
#include "sys/kvm_probe.h"
#include "util.h"

#define QEMU_PROGRAM "qemu-system-x86_64"
#define QEMU_BANNER "QEMU emulator version "
#define RECORD_MAX (1u << 20)

extern char **environ;

static void kernel_from_record(const struct xs_kp_record *r, struct dest_facts *f)
{
	struct xs_kp_verdict v;

	enum xs_kp_class hint;
	char label[32];

	const char *release = xs_kp_record_text(r, XS_KP_RELEASE);

	xs_kp_judge(r, &v);
	f->kernel = xs_kp_dest_kernel(v.cls);
	/* "6.1.55" from Debian's uname -v reads better than its "6.1.0-13-amd64" */
	if (xs_kp_class_for_version(release, xs_kp_record_text(r, XS_KP_KVERSION), &hint, label))
		snprintf(f->release, sizeof(f->release), "%s", label);
	else
		snprintf(f->release, sizeof(f->release), "%s", release);
}

static void live_kernel(bool kvm, struct dest_facts *f)
{
	struct xs_kp_record *r;
	int rc;

	if (!kvm) {
		snprintf(f->kernel_from, sizeof(f->kernel_from), "not probed (--no-kvm)");
		return;
	}
	r = xs_kp_record_new();
	rc = r ? probe_live("/dev/kvm", r) : -ENOMEM;
	if (rc) {
		snprintf(f->kernel_from, sizeof(f->kernel_from), "not probed: /dev/kvm: %s",
			 strerror(-rc));
		xs_kp_record_free(r);
		return;
	}
	kernel_from_record(r, f);
	xs_kp_record_free(r);
	snprintf(f->kernel_from, sizeof(f->kernel_from), "probe of /dev/kvm");
}

/* Read what @fd gives (at most @len - 1 bytes), NUL-terminated. */
static void read_all(int fd, char *buf, size_t len)
{
	size_t n = 0;
	ssize_t r;

	while (n + 1 < len && ((r = read(fd, buf + n, len - 1 - n)) > 0 || (r < 0 && errno == EINTR)))
		n += r > 0 ? (size_t)r : 0;
	buf[n] = 0;
}

/* `qemu-system-x86_64 --version`'s first line, or "" (why in f->qemu_from). */
static void qemu_banner(char *out, size_t len, struct dest_facts *f)
{
	posix_spawn_file_actions_t fa;
	char *argv[] = { QEMU_PROGRAM, "--version", NULL };
	int p[2], status;
	pid_t pid;

	out[0] = 0;
	if (pipe2(p, O_CLOEXEC)) {
		snprintf(f->qemu_from, sizeof(f->qemu_from), "not found: pipe: %s", strerror(errno));
		return;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_adddup2(&fa, p[1], STDOUT_FILENO);
	posix_spawn_file_actions_addopen(&fa, STDERR_FILENO, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
	errno = posix_spawnp(&pid, QEMU_PROGRAM, &fa, NULL, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	close(p[1]);
	if (errno) {
		snprintf(f->qemu_from, sizeof(f->qemu_from), "not found: %s: %s", QEMU_PROGRAM,
			 strerror(errno));
		close(p[0]);
		return;
	}
	read_all(p[0], out, len);
	close(p[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
}

static void live_qemu(struct dest_facts *f)
{
	char banner[512], ver[24];
	const char *s;
	size_t n;

	qemu_banner(banner, sizeof(banner), f);
	if (f->qemu_from[0])
		return;
	s = strstr(banner, QEMU_BANNER);
	n = s ? strspn(s + strlen(QEMU_BANNER), "0123456789.") : 0;
	if (!n || n >= sizeof(ver)) {
		snprintf(f->qemu_from, sizeof(f->qemu_from), "%s --version: no version in its output",
			 QEMU_PROGRAM);
		return;
	}
	memcpy(ver, s + strlen(QEMU_BANNER), n);
	ver[n] = 0;
	if (!xs_qemu_version_parse(ver, &f->qemu_version)) {
		snprintf(f->qemu_from, sizeof(f->qemu_from), "%s --version: \"%s\" is not a version",
			 QEMU_PROGRAM, ver);
		return;
	}
	snprintf(f->qemu_from, sizeof(f->qemu_from), "%s --version", QEMU_PROGRAM);
}

void dest_live(bool kvm, struct dest_facts *f)
{
	struct utsname u;
	enum xs_kp_class hint;
	char label[32];

	memset(f, 0, sizeof(*f));
	if (!uname(&u))
		snprintf(f->release, sizeof(f->release), "%s",
			 xs_kp_class_for_version(u.release, u.version, &hint, label) ? label
										  : u.release);
	live_kernel(kvm, f);
	live_qemu(f);
}

int dest_from_record(const char *path, struct dest_facts *f, struct fail *why)
{
	struct xs_kp_record *r;
	struct xs_diag d = { 0 };
	struct io_file file;
	int rc = io_read(path, RECORD_MAX, &file, why);

	if (rc)
		return rc;
	r = xs_kp_record_new();
	if (!r) {
		io_free(&file);
		return fail_msg(why, EXIT_SOFTWARE, NULL, "out of memory");
	}
	rc = xs_kp_parse((const char *)file.buf, file.len, r, &d);
	io_free(&file);
	if (!rc)
		kernel_from_record(r, f);
	xs_kp_record_free(r);
	if (rc)
		return fail_diag(why, EXIT_DATAERR, path, &d);
	snprintf(f->kernel_from, sizeof(f->kernel_from), "probe record %s", path);
	return 0;
}

int dest_set_qemu(const char *version, struct dest_facts *f, struct fail *why)
{
	if (!xs_qemu_version_parse(version, &f->qemu_version))
		return fail_msg(why, EXIT_USAGE, NULL, "--qemu-version: \"%s\" is not a QEMU "
				"version such as 7.2 or 10.0.2", version);
	snprintf(f->qemu_from, sizeof(f->qemu_from), "--qemu-version");
	return 0;
}
