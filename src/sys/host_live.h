/* SPDX-License-Identifier: MIT */
/* This machine's XSAVE facts, gathered live (CPUID, XGETBV, arch_prctl, /dev/kvm). */
#ifndef XSAVECTL_HOST_LIVE_H
#define XSAVECTL_HOST_LIVE_H

#include <stdbool.h>

#include <xsave/hostinfo.h>

/*
 * Fill @h from the running CPU and kernel; with @kvm, also ask /dev/kvm (its
 * absence is recorded, not an error).  -1 when the CPU has no CPUID.
 */
int host_live_gather(struct xs_hostinfo *h, bool kvm);

/*
 * KVM_GET_SUPPORTED_CPUID on an open /dev/kvm, the list grown until it fits:
 * malloc'ed, or NULL with errno set.
 */
struct kvm_cpuid2;
struct kvm_cpuid2 *host_kvm_supported_cpuid(int kvm_fd);

#endif
