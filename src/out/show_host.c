// SPDX-License-Identifier: MIT
/* Emitting host facts and the targets of check and filter. */
#include <xsave/hostinfo.h>

#include "cmd.h"

void show_fact(struct out *o, const char *key, const struct xs_fact *f)
{
	if (f->have)
		out_u64(o, key, f->v);
	else
		out_null(o, key);
}


void show_target(struct out *o, const char *key, const struct xs_targetopt *t)
{
	out_obj(o, key);
	if (!key)
		out_str(o, "name", t->name);
	out_mask(o, "xcr0", t->t.xcr0);
	out_str(o, "from", t->from);
	if (t->profile_arg || !key) {
		out_str(o, "host", t->host[0] ? t->host : "-");
		if (t->t.have_mxcsr_mask)
			out_strf(o, "mxcsr_mask", "0x%08x", t->t.mxcsr_mask);
		else
			out_null(o, "mxcsr_mask");
	}
	out_end(o);
}
