// SPDX-License-Identifier: MIT
/* Reading target profiles (jansson); writing is the host command's JSON document. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "exitcodes.h"
#include "io.h"
#include "profile.h"
#include "util.h"

#define PROFILE_MAX (1u << 20)

bool profile_is_json(const uint8_t *buf, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		if (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\n' || buf[i] == '\r')
			continue;
		return buf[i] == '{';
	}
	return false;
}

static int bad(const struct profile *p, const char *what)
{
	msg_err("'%s': not an xsavectl profile: %s", p->path, what);
	return EXIT_DATAERR;
}

static int hex_u64(const json_t *v, uint64_t *out)
{
	const char *s = json_string_value(v);
	char *end;

	if (!s || strncmp(s, "0x", 2) || !s[2])
		return -1;
	errno = 0;
	*out = strtoull(s + 2, &end, 16);
	return errno || *end ? -1 : 0;
}

static void copy_str(char *dst, size_t cap, const json_t *v)
{
	const char *s = json_string_value(v);

	snprintf(dst, cap, "%s", s ? s : "");
}

int profile_parse(const char *path, const uint8_t *buf, size_t len, struct profile *p)
{
	json_error_t err;
	json_t *root, *v;
	uint64_t x;
	int rc = 0;

	memset(p, 0, sizeof(*p));
	p->path = path;
	root = json_loadb((const char *)buf, len, JSON_REJECT_DUPLICATES, &err);
	if (!root) {
		msg_err("'%s': offset 0x%x: JSON error: %s", path, err.position, err.text);
		return EXIT_DATAERR;
	}
	if (!json_is_object(root)) {
		rc = bad(p, "the top level is not an object");
		goto out;
	}
	v = json_object_get(root, "profile_version");
	if (!json_is_integer(v)) {
		rc = bad(p, "no \"profile_version\" (write one with `xsavectl host --save-profile`)");
		goto out;
	}
	if (json_integer_value(v) != PROFILE_VERSION) {
		msg_err("'%s': profile_version %lld; this xsavectl reads version %d", path,
			(long long)json_integer_value(v), PROFILE_VERSION);
		rc = EXIT_DATAERR;
		goto out;
	}
	v = json_object_get(json_object_get(root, "target"), "mask");
	if (hex_u64(v, &p->target)) {
		rc = bad(p, "\"target\".\"mask\" is not a \"0x...\" string");
		goto out;
	}
	v = json_object_get(root, "mxcsr_mask");
	if (v && !json_is_null(v)) {
		if (hex_u64(v, &x) || x > UINT32_MAX) {
			rc = bad(p, "\"mxcsr_mask\" is not a 32-bit \"0x...\" string");
			goto out;
		}
		p->have_mxcsr_mask = true;
		p->mxcsr_mask = (uint32_t)x;
	}
	copy_str(p->hostname, sizeof(p->hostname), json_object_get(root, "hostname"));
	v = json_object_get(root, "record");
	if (json_is_string(v))
		p->record = xstrdup(json_string_value(v));
out:
	json_decref(root);
	return rc;
}

int profile_load(const char *path, struct profile *p)
{
	struct io_file f;
	int rc;

	/* *p is valid for profile_free() on every path, failures included. */
	memset(p, 0, sizeof(*p));
	p->path = path;
	rc = io_read(path, PROFILE_MAX, &f);

	if (rc)
		return rc;
	rc = profile_parse(path, f.buf, f.len, p);
	io_free(&f);
	return rc;
}

void profile_free(struct profile *p)
{
	free(p->record);
	p->record = NULL;
}
