// SPDX-License-Identifier: MIT
/* Emitting one state: header, components, registers (shared by every command). */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include <xsave/regs.h>
#include <xsave/rules.h>

#include "fmt/format.h"
#include "fmt/input.h"
#include "out/show.h"
#include "util.h"

static const char *sw_name(enum xs_sw_kind k)
{
	switch (k) {
	case XS_SW_NONE:
		return "zero";
	case XS_SW_XCR0:
		return "xcr0";
	case XS_SW_SIGFRAME:
		return "sigframe";
	case XS_SW_OTHER:
		break;
	}
	return "other";
}

static const char *sw_desc(enum xs_sw_kind k)
{
	switch (k) {
	case XS_SW_NONE:
		return "(all zero: hardware XSAVE or KVM <= 5.15)";
	case XS_SW_XCR0:
		return "(host XCR0 written by the kernel: ptrace, core, KVM >= 5.16)";
	case XS_SW_SIGFRAME:
		return "(signal frame: FP_XSTATE_MAGIC1)";
	case XS_SW_OTHER:
		break;
	}
	return "(unrecognised contents, ignored)";
}

void show_state(struct out *o, const struct xs_state *st, const char *source)
{
	out_str(o, "source", source);
	out_u64(o, "size", st->size);
	if (st->full_size) {
		char names[96];

		xs_mask_names(st->beyond, names, sizeof(names));
		out_note(o, "(%s; the host's area is %u bytes: %s beyond the buffer)",
			 st->size == XS_KVM_XSAVE_SIZE ? "struct kvm_xsave" : "a kernel buffer cut short",
			 st->full_size, names);
	} else if (st->used_size < st->size) {
		out_note(o, "(%u used, the rest is padding)", st->used_size);
	}
	out_str(o, "format", st->compacted ? "compacted" : "standard");
	out_obj(o, "layout");
	out_str(o, "name", st->layout.name);
	out_str(o, "reason", st->layout_reason);
	out_end(o);
	if (st->full_size) {
		out_obj(o, "cut_short");
		out_u64(o, "area_size", st->full_size);
		out_mask(o, "beyond", st->beyond);
		out_end(o);
	} else {
		out_null(o, "cut_short");
	}
	out_mask(o, "xstate_bv", st->xstate_bv);
	if (st->bv_unmaintained)
		out_note(o, "(not maintained by the producer: registers show stored values)");
	out_mask(o, "xcomp_bv", st->xcomp_bv);
	if (st->sw == XS_SW_XCR0)
		out_mask(o, "host_xcr0", st->sw_xcr0);
	else
		out_null(o, "host_xcr0");
	/* A stream's image is our reconstruction: its bytes 464..511 say nothing. */
	if (strcmp(source, "vcpu")) {
		out_str(o, "sw_bytes", sw_name(st->sw));
		out_note(o, "%s", sw_desc(st->sw));
	} else {
		out_null(o, "sw_bytes");
		out_text_hide(o);
	}
	if (st->sw == XS_SW_SIGFRAME) {
		out_mask(o, "sigframe_xfeatures", st->sw_xcr0);
		out_u64(o, "sigframe_xstate_size", st->sw_xstate_size);
	}
	if (st->guest_known)
		out_mask(o, "guest_xcr0", st->guest_xcr0);
	else
		out_null(o, "guest_xcr0");
	out_strf(o, "mxcsr_mask", "0x%08x", st->mxcsr_mask_raw);
	if (!st->mxcsr_mask_raw)
		out_note(o, "(0: not recorded by the producer; judged as 0x%04x)",
			 XS_MXCSR_MASK_UNRECORDED);
	out_arr(o, "problems");
	for (unsigned p = 1; p < 1u << XS_PROB_COUNT; p <<= 1) {
		if (!(st->problems & p))
			continue;
		out_obj(o, NULL);
		out_str(o, "name", xs_problem_name(p));
		out_str(o, "description", xs_problem_desc(p));
		out_end(o);
	}
	out_end(o);
}

void show_components(struct out *o, const struct xs_state *st, const struct xs_check *c)
{
	uint64_t comps = xs_state_components(st);

	out_arr(o, "components");
	for (unsigned i = 0; i < XS_NCOMP; i++) {
		if (!(comps & XS_BIT(i)))
			continue;
		out_obj(o, NULL);
		out_u64(o, "bit", i);
		out_str(o, "name", xs_comp_info(i)->name);
		out_bool(o, "in_xstate_bv", st->xstate_bv & XS_BIT(i));
		if (st->compacted)
			out_bool(o, "in_xcomp_bv", (st->xcomp_bv | XS_MASK_FPSSE) & XS_BIT(i));
		if (st->located & XS_BIT(i)) {
			out_bool(o, "init", st->init & XS_BIT(i));
			out_u64(o, "offset", st->off[i]);
			out_u64(o, "size", st->len[i]);
		} else {
			out_null(o, "init");
			out_null(o, "offset");
			out_null(o, "size");
		}
		for (unsigned k = 0; c && k < c->nbits; k++) {
			if (c->bits[k].bit != i)
				continue;
			out_str(o, "action", xs_action_name(c->bits[k].action));
			out_str(o, "reason", c->bits[k].reason);
		}
		out_end(o);
	}
	out_end(o);
}

static void pkru_note(struct out *o, uint32_t v)
{
	static const char *const acc[] = { "rw", "ad", "wd", "ad+wd" };
	char buf[160];
	size_t n = 0;

	for (unsigned k = 0; k < 16; k++)
		n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%s%u:%s", k ? " " : "", k,
				      acc[(v >> (2 * k)) & 3]);
	out_note(o, "(%s)", buf);
}

/* TILECFG (SDM Vol. 1 18.2): palette, start_row, colsb[16] (u16) at 16, rows[16] at 48. */
static void tilecfg_note(struct out *o, const uint8_t *v)
{
	char buf[400];
	size_t n = (size_t)snprintf(buf, sizeof(buf), "palette %u, start_row %u", v[0], v[1]);

	for (unsigned t = 0; t < 8 && n < sizeof(buf); t++) {
		unsigned colsb = v[16 + 2 * t] | (unsigned)v[17 + 2 * t] << 8, rows = v[48 + t];

		if (!rows && !colsb)
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, ", tmm%u unused", t);
		else
			n += (size_t)snprintf(buf + n, sizeof(buf) - n, ", tmm%u %u rows of %u bytes",
					      t, rows, colsb);
	}
	out_note(o, "(%s)", buf);
}

static void reg_notes(struct out *o, const struct xs_reg *r)
{
	char buf[128];

	if (r->kind == XS_REG_X87) {
		xs_x87_decimal(r->v, buf, sizeof(buf));
		out_note(o, "%s", buf);
	} else if (!strcmp(r->name, "mxcsr")) {
		xs_mxcsr_describe((uint32_t)xs_reg_u64(r), buf, sizeof(buf));
		out_note(o, "(%s)", buf);
	} else if (!strcmp(r->name, "pkru")) {
		pkru_note(o, (uint32_t)xs_reg_u64(r));
	} else if (r->kind == XS_REG_TILECFG) {
		tilecfg_note(o, r->v);
	} else if (r->kind == XS_REG_TILE) {
		unsigned nz = 0;

		for (unsigned i = 0; i < r->width; i++)
			nz += r->v[i] != 0;
		out_show(o, "%u bytes, %u non-zero", r->width, nz);
	}
	if (!r->stored)
		out_note(o, "(init)");
}

void show_registers(struct out *o, const struct xs_state *st)
{
	struct xs_regset set;

	if (xs_regs_decode(st, &set)) {
		msg_err("out of memory");
		return;
	}
	out_obj(o, "registers");
	for (size_t i = 0; i < set.n; i++) {
		out_hexle(o, set.r[i].name, set.r[i].v, set.r[i].width);
		reg_notes(o, &set.r[i]);
	}
	out_end(o);
	xs_regset_free(&set);
}

void show_label(struct out *o, const struct input_state *s)
{
	if (s->fmt->show_label)
		s->fmt->show_label(o, s);
}

void show_state_line(struct out *o, const char *name, const struct xs_state *st)
{
	char bv[160], guest[160] = "-";

	xs_mask_names(st->xstate_bv, bv, sizeof(bv));
	if (st->guest_known)
		snprintf(guest, sizeof(guest), "0x%llx", (unsigned long long)st->guest_xcr0);
	out_line(o, "%s: xstate_bv 0x%llx (%s)%s, guest_xcr0 %s, layout %s, %zu bytes%s", name,
		 (unsigned long long)st->xstate_bv, bv[0] ? bv : "none",
		 st->bv_unmaintained ? " not maintained (tcg)" : "", guest, st->layout.name,
		 st->size, st->full_size ? " (a kernel buffer cut short)" : "");
}
