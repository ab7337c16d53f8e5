// SPDX-License-Identifier: MIT
/*
 * The vmdesc JSON QEMU appends to a stream (migration/vmstate.c): every
 * device section's fields with the bytes written for each, which sizes
 * sections we do not decode and cross-checks the cpu section we do.
 *
 * The only file of the stream reader that knows jansson: the rest sees
 * struct xsp_vmdesc and struct xsp_vdev (qemu_priv.h).  Neither is defined;
 * a vmdesc handle is its "devices" array (holding its own reference), a
 * device handle one object of that array, borrowed from it.
 */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "qemu_priv.h"

_Static_assert(XSP_VMDESC_WHY_LEN >= JSON_ERROR_TEXT_LENGTH, "room for jansson's error text");

#define SIZE_CAP (1LL << 40)
/* Deepest subsection nesting whose sizes are added up. */
#define MAX_VMSD_DEPTH 8
/* A subsection's header: 0x05, name length, name, be32 version. */
#define SUB_HDR_LEN 6

static const json_t *jdev(const struct xsp_vdev *dev)
{
	return (const json_t *)dev;
}

static const json_t *jdevs(const struct xsp_vmdesc *v)
{
	return (const json_t *)v;
}

struct xsp_vmdesc *xsp_vmdesc_parse(const char *json, size_t len, char *why, size_t whylen,
				    uint64_t *at)
{
	json_error_t jerr;
	json_t *root = json_loadb(json, len, 0, &jerr);
	json_t *devs = json_object_get(root, "devices");

	if (!root || !json_is_array(devs)) {
		if (why)
			snprintf(why, whylen, "%s", root ? "no \"devices\" array" : jerr.text);
		if (at)
			*at = (uint64_t)jerr.position;
		json_decref(root);
		return NULL;
	}
	json_incref(devs);
	json_decref(root);
	return (struct xsp_vmdesc *)devs;
}

void xsp_vmdesc_free(struct xsp_vmdesc *v)
{
	json_decref((json_t *)v);
}

size_t xsp_vmdesc_count(const struct xsp_vmdesc *v)
{
	return json_array_size(jdevs(v));
}

const struct xsp_vdev *xsp_vmdesc_dev(const struct xsp_vmdesc *v, size_t i)
{
	return (const struct xsp_vdev *)json_array_get(jdevs(v), i);
}

const char *xsp_vdev_name(const struct xsp_vdev *dev)
{
	return json_string_value(json_object_get(jdev(dev), "name"));
}

bool xsp_vdev_instance(const struct xsp_vdev *dev, int64_t *id)
{
	const json_t *v = json_object_get(jdev(dev), "instance_id");

	if (id)
		*id = json_integer_value(v);
	return json_is_integer(v);
}

bool xsp_vdev_is(const struct xsp_vdev *dev, const char *name, uint32_t inst)
{
	int64_t id;

	xsp_vdev_instance(dev, &id);
	return !strcmp(xsp_vdev_name(dev) ?: "", name) && id == inst;
}

static int64_t field_size(const json_t *f)
{
	const json_t *n = json_object_get(f, "array_len");
	json_int_t size = json_integer_value(json_object_get(f, "size"));
	json_int_t count = n ? json_integer_value(n) : 1;

	if (!json_is_integer(json_object_get(f, "size")) || size < 0 || count < 0 ||
	    size > SIZE_CAP || count > SIZE_CAP || (count && size > SIZE_CAP / count))
		return -1;
	return (int64_t)(size * count);
}

/* Bytes a device (or subsection) entry says were written; -1 when malformed. */
static int64_t vmsd_size(const json_t *vmsd, int depth)
{
	const json_t *fields = json_object_get(vmsd, "fields"), *subs, *v;
	int64_t total = 0;
	size_t i;

	if (depth > MAX_VMSD_DEPTH || !json_is_array(fields))
		return -1;
	json_array_foreach(fields, i, v) {
		int64_t n = field_size(v);

		if (n < 0 || (total += n) > SIZE_CAP)
			return -1;
	}
	subs = json_object_get(vmsd, "subsections");
	json_array_foreach(subs, i, v) {
		const char *name = json_string_value(json_object_get(v, "vmsd_name"));
		int64_t n = vmsd_size(v, depth + 1);

		if (!name || n < 0 ||
		    (total += SUB_HDR_LEN + (int64_t)strlen(name) + n) > SIZE_CAP)
			return -1;
	}
	return total;
}

int64_t xsp_vdev_size(const struct xsp_vdev *dev)
{
	return vmsd_size(jdev(dev), 0);
}

int64_t xsp_vdev_sub_size(const struct xsp_vdev *dev, const char *name)
{
	const json_t *v;
	size_t i;

	json_array_foreach(json_object_get(jdev(dev), "subsections"), i, v) {
		const char *n = json_string_value(json_object_get(v, "vmsd_name"));

		if (n && !strcmp(n, name))
			return vmsd_size(v, 1);
	}
	return -1;
}

/* Fields whose place the decoder relies on (version 12 offsets). */
static const struct {
	const char *name;
	uint32_t off, size;
} cpu_fields[] = {
	{ "env.fpuc", QCPU_FPUC, 2 },
	{ "env.fpus_vmstate", QCPU_FPUS, 2 },
	{ "env.fptag_vmstate", QCPU_FPTAG, 2 },
	{ "env.fpregs_format_vmstate", QCPU_FPFMT, 2 },
	{ "env.mxcsr", QCPU_MXCSR, 4 },
	{ "env.xmm_regs[0]", QCPU_XMM, 256 },
	{ "env.xcr0", QCPU_XCR0, 8 },
	{ "env.xstate_bv", QCPU_XSTATE_BV, 8 },
	{ "env.xmm_regs[1]", QCPU_YMMH, 256 },
};

bool xsp_vdev_check_cpu(const struct xsp_vdev *vdev, const struct xs_qcpu *c, char *out,
			size_t len)
{
	const json_t *dev = jdev(vdev), *fields = json_object_get(dev, "fields"), *f;
	uint32_t want = c->version == 12 ? QCPU_V12_LEN : QCPU_V11_LEN;
	int64_t off = 0, total = vmsd_size(dev, 0);
	unsigned seen = 0, nsub = 0;
	size_t i;

	if (json_integer_value(json_object_get(dev, "version")) != c->version) {
		snprintf(out, len, "section version %u, vmdesc says %lld", c->version,
			 (long long)json_integer_value(json_object_get(dev, "version")));
		return false;
	}
	json_array_foreach(fields, i, f) {
		const char *name = json_string_value(json_object_get(f, "name"));
		int64_t n = field_size(f);

		for (size_t k = 0; name && k < sizeof(cpu_fields) / sizeof(cpu_fields[0]); k++) {
			if (strcmp(name, cpu_fields[k].name))
				continue;
			if (off != cpu_fields[k].off || n != cpu_fields[k].size) {
				snprintf(out, len, "%s at %lld (%lld bytes), expected %u (%u)", name,
					 (long long)off, (long long)n, cpu_fields[k].off,
					 cpu_fields[k].size);
				return false;
			}
			seen++;
		}
		off += n < 0 ? 0 : n;
	}
	if (off != want || (c->version == 12 && seen != sizeof(cpu_fields) / sizeof(cpu_fields[0]))) {
		snprintf(out, len, "fields take %lld bytes, expected %u", (long long)off, want);
		return false;
	}
	json_array_foreach(json_object_get(dev, "subsections"), i, f)
		nsub++;
	if (total != c->body_len || nsub > c->nsubs) {
		snprintf(out, len, "section is %u bytes with %u subsections, vmdesc says %lld with %u",
			 c->body_len, c->nsubs, (long long)total, nsub);
		return false;
	}
	snprintf(out, len, "agrees");
	return true;
}
