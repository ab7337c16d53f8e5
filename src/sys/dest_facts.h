/* SPDX-License-Identifier: MIT */
/*
 * What a destination does with an incoming state beyond what its CPU holds:
 * its kernel's KVM_SET_XSAVE rule (the probe's class) and its QEMU (what a
 * refused load costs there).  Gathered live, from a probe record, or from a
 * version 2 profile; saved in profiles by `host --save-profile`.
 */
#ifndef XSAVECTL_DEST_FACTS_H
#define XSAVECTL_DEST_FACTS_H

#include <stdbool.h>

#include <xsave/rules.h>

struct dest_facts {
	enum xs_dest_kernel kernel;
	char release[65];		/* uname -r there, "" unknown */
	char kernel_from[160];		/* how the class was learned, or why it was not */
	unsigned qemu_version;		/* XS_QEMU_VERSION(); 0 unknown */
	char qemu_from[160];
};

/*
 * This machine: uname, the probe on /dev/kvm (with @kvm), and the version
 * `qemu-system-x86_64 --version` prints (QEMU from $PATH).  Never fails:
 * what cannot be learned stays unknown and kernel_from/qemu_from say why.
 */
void dest_live(bool kvm, struct dest_facts *f);

/* A probe record (`probe --record`) for the kernel half; 0 or an exit code (why: fail.h). */
struct fail;
int dest_from_record(const char *path, struct dest_facts *f, struct fail *why);

/* A QEMU version given by hand ("7.2.19"); 0 or EXIT_USAGE (why). */
int dest_set_qemu(const char *version, struct dest_facts *f, struct fail *why);

#endif
