/* SPDX-License-Identifier: MIT */
/* The probe's ioctls against a KVM device (src/sys/kvm_probe.c). */
#ifndef XSAVECTL_PROBE_LIVE_H
#define XSAVECTL_PROBE_LIVE_H

#include <xsave/kprobe.h>

/*
 * Ask @dev (normally /dev/kvm) every question and record the answers in @r
 * (from xs_kp_record_new()).
 * 0, or -errno when @dev cannot be opened, or -ENOTTY when it is not a KVM
 * device.  A KVM that answers with errors still gives 0: the errors are the
 * record.
 */
int probe_live(const char *dev, struct xs_kp_record *r);

#endif
