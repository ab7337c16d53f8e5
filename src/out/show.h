/* SPDX-License-Identifier: MIT */
/* Showing states, host facts and targets: the output every command shares. */
#ifndef XSAVECTL_SHOW_H
#define XSAVECTL_SHOW_H

#include <xsave/area.h>

#include "out/out.h"

struct input_state;
struct xs_check;
struct xs_fact;
struct xs_hostinfo;
struct xs_targetopt;

/* Emit the inspect fields of one state into the open object; see show_state.c. */
void show_state(struct out *o, const struct xs_state *st, const char *source);
/*
 * The open record's line (--brief) for state @st named @name: "NAME: xstate_bv
 * 0x7 (x87 sse avx), guest_xcr0 0x7, layout intel, 832 bytes".
 */
void show_state_line(struct out *o, const char *name, const struct xs_state *st);
void show_components(struct out *o, const struct xs_state *st, const struct xs_check *c);
void show_registers(struct out *o, const struct xs_state *st);
/* Emit the label of one state ("thread": TID, "offset"): its format's show_label(). */
void show_label(struct out *o, const struct input_state *s);

/* Emit a host fact's value, or null when it was not learned. */
void show_fact(struct out *o, const char *key, const struct xs_fact *f);
/*
 * The host's facts, from @source ("live", "cpuid-file"; @source_file or
 * NULL), its kernel's rule and QEMU (@dest), and @record, the CPU facts'
 * text form (the host command, and its profiles).
 */
struct dest_facts;
void show_host(struct out *o, const struct xs_hostinfo *h, const struct dest_facts *dest,
	       const char *source, const char *source_file, const char *record);
/* The target as an object under @key (NULL: an array element, with its name). */
void show_target(struct out *o, const char *key, const struct xs_targetopt *t);

#endif
