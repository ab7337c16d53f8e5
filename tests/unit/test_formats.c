// SPDX-License-Identifier: MIT
/*
 * The input formats through their API (src/fmt/input.h), without a command:
 * real captures from tests/data read with exact states, offsets and facts,
 * and failures returned as values (src/fail.h) with their exact exit code,
 * file, offset and message.  Nothing here may print: a format that did would
 * show in this test's output as a line that is no TAP line.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xsave/layout.h>

#include "check.h"
#include "exitcodes.h"
#include "fail.h"
#include "fmt/format.h"
#include "fmt/input.h"
#include "fmt/pb.h"

#define LV_HEADER_LEN 92
#define LV_OFF_VERSION 0x10

static char data_dir[256];

static const char *data(const char *name)
{
	static char path[512];

	snprintf(path, sizeof(path), "%s/%s", data_dir, name);
	return path;
}

/* The options of a command given no option, on a Zen 3 host's layout. */
static struct fmt_opts opts(void)
{
	struct fmt_opts o = { .thread = -1, .vcpu = -1, .progress = 0 };

	xs_layout_builtin(XS_VENDOR_AMD, &o.host);
	o.have_host = true;
	return o;
}

/* A temporary file holding @len bytes of @buf (its path in @path). */
static void temp_file(char *path, size_t cap, const void *buf, size_t len)
{
	const char *dir = getenv("TMPDIR");
	int fd;

	snprintf(path, cap, "%s/test_formats-XXXXXX", dir && *dir ? dir : "/tmp");
	fd = mkstemp(path);
	if (fd < 0 || write(fd, buf, len) != (ssize_t)len) {
		printf("Bail out! cannot write a temporary file\n");
		exit(2);
	}
	close(fd);
}

/* The first @n bytes of the data file @name into a temporary file. */
static void temp_prefix(char *path, size_t cap, const char *name, size_t n)
{
	FILE *f = fopen(data(name), "rb");
	unsigned char *buf = malloc(n);
	size_t got = f ? fread(buf, 1, n, f) : 0;

	if (f)
		fclose(f);
	if (got != n) {
		printf("Bail out! %s is shorter than %zu bytes\n", name, n);
		exit(2);
	}
	temp_file(path, cap, buf, n);
	free(buf);
}

static void image(void)
{
	struct fmt_opts o = opts();
	struct fail why = { 0 };
	struct input in;
	int rc = input_load(&o, data("hw-xsave.bin"), &in, &why);

	CHECK(rc == 0 && why.code == 0, "hw-xsave.bin reads (rc %d)", rc);
	if (rc)
		return;
	CHECK(in.fmt == &image_format, "hw-xsave.bin: the raw image format");
	CHECK_U64(in.nstates, 1, "hw-xsave.bin: states");
	CHECK(!strcmp(state_source(&in.s[0]), "image"), "hw-xsave.bin: source image");
	CHECK_U64(in.s[0].id, (uint64_t)-1, "hw-xsave.bin: no id");
	CHECK_U64(in.s[0].offset, 0, "hw-xsave.bin: offset");
	CHECK_U64(in.s[0].st.size, 832, "hw-xsave.bin: size");
	CHECK_U64(in.s[0].st.xstate_bv, 0x7, "hw-xsave.bin: XSTATE_BV");
	CHECK(!in.s[0].st.compacted, "hw-xsave.bin: standard format");
	input_free(&in);
}

/* A gzip'ed kernel core: one thread, its NT_X86_XSTATE at @off, @size bytes, XSTATE_BV @bv. */
static void core(const char *name, long tid, uint64_t off, uint64_t size, uint64_t bv)
{
	struct fmt_opts o = opts();
	struct fail why = { 0 };
	struct input in;
	int rc = input_load(&o, data(name), &in, &why);

	CHECK(rc == 0 && why.code == 0, "%s reads (rc %d)", name, rc);
	if (rc)
		return;
	CHECK(in.fmt == &elf_core_format, "%s: the ELF core format", name);
	CHECK_U64(in.nstates, 1, "core: states");
	CHECK(!strcmp(state_source(&in.s[0]), "thread"), "%s: source thread", name);
	CHECK(in.s[0].fmt == &elf_core_format, "%s: the state knows its format", name);
	CHECK_U64(in.s[0].id, tid, "core: thread id");
	CHECK_U64(in.s[0].offset, off, "core: NT_X86_XSTATE offset");
	CHECK_U64(in.s[0].st.size, size, "core: size");
	CHECK_U64(in.s[0].st.xstate_bv, bv, "core: XSTATE_BV");
	input_free(&in);

	/* --thread picks one; another thread is a failure with its message. */
	o.thread = tid + 1;
	memset(&why, 0, sizeof(why));
	rc = input_load(&o, data(name), &in, &why);
	CHECK(rc == EXIT_DATAERR && why.code == EXIT_DATAERR, "%s --thread %ld: exit 65 (rc %d)",
	      name, tid + 1, rc);
	CHECK(!strcmp(why.file, data(name)) && !why.has_off, "--thread absent: the file, no offset");
	{
		char want[64];

		snprintf(want, sizeof(want), "no thread %ld in this core", tid + 1);
		CHECK(!strcmp(why.msg, want), "--thread absent: message '%s'", why.msg);
	}
}

/* Store the @n low bytes of @v at @buf + @off, big-endian (as qcow2 holds its numbers). */
static void put_be(uint8_t *buf, size_t off, uint64_t v, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		buf[off + i] = (uint8_t)(v >> (8 * (n - 1 - i)));
}

/*
 * QEMU 7.2's savevm s1 and s2 (and a disk-only snapshot) in a qcow2 image: every vCPU of
 * both snapshots with VM state, at the file offsets of their cpu sections (the clusters
 * the snapshots' L1/L2 tables map the vm state to); --snapshot picks one.
 */
static void qcow2(void)
{
	static const struct {
		long id;
		uint64_t off;
	} want[] = { { 0, 0xde5cb }, { 1, 0xdef26 }, { 0, 0x1be5a7 }, { 1, 0x1bef02 } };
	struct fmt_opts o = opts();
	struct fail why = { 0 };
	struct input in;
	char path[512];
	uint8_t hdr[128] = "QFI\xfb";
	int rc = input_load(&o, data("qcow2/qemu-7.2-savevm.qcow2.gz"), &in, &why);

	CHECK(rc == 0 && in.fmt == &qcow2_format && in.nstates == 4,
	      "qcow2: 4 states (rc %d: %s)", rc, why.msg);
	for (unsigned i = 0; !rc && i < in.nstates && i < 4; i++) {
		CHECK(in.s[i].id == want[i].id && in.s[i].offset == want[i].off,
		      "qcow2 state %u: vcpu %ld at 0x%llx", i, in.s[i].id,
		      (unsigned long long)in.s[i].offset);
		CHECK(in.s[i].st.guest_known && in.s[i].st.guest_xcr0 == 0x7 &&
		      in.s[i].st.xstate_bv == 0, "qcow2 state %u: guest XCR0 0x7, XSTATE_BV 0", i);
	}
	if (!rc)
		input_free(&in);
	o.snapshot = "2";
	rc = input_load(&o, data("qcow2/qemu-7.2-savevm.qcow2.gz"), &in, &why);
	CHECK(rc == 0 && in.nstates == 2 && in.s[0].offset == 0x1be5a7 && in.s[1].id == 1,
	      "qcow2 --snapshot 2: s2's two vCPUs (rc %d)", rc);
	if (!rc)
		input_free(&in);
	o.snapshot = "disk0";
	memset(&why, 0, sizeof(why));
	rc = input_load(&o, data("qcow2/qemu-7.2-savevm.qcow2.gz"), &in, &why);
	CHECK(rc == EXIT_DATAERR && why.has_off && why.off == 0x210090,
	      "qcow2 --snapshot disk0: exit 65 at 0x210090 (rc %d, 0x%llx)", rc,
	      (unsigned long long)why.off);
	CHECK(!strcmp(why.msg, "snapshot 'disk0' (id 3) holds no VM state (a disk-only snapshot)"),
	      "qcow2 --snapshot disk0: message '%s'", why.msg);
	o.snapshot = NULL;
	/* A header of version 4, and one without snapshots (nothing to judge). */
	put_be(hdr, 4, 4, 4);
	temp_file(path, sizeof(path), hdr, sizeof(hdr));
	memset(&why, 0, sizeof(why));
	rc = input_load(&o, path, &in, &why);
	CHECK(rc == EXIT_DATAERR && why.has_off && why.off == 4 &&
	      !strcmp(why.msg, "qcow2 version 4 (known: 2 and 3)"),
	      "qcow2 version 4: exit 65 at 0x4 (rc %d: '%s')", rc, why.msg);
	unlink(path);
	put_be(hdr, 4, 3, 4);
	temp_file(path, sizeof(path), hdr, sizeof(hdr));
	memset(&why, 0, sizeof(why));
	rc = input_load(&o, path, &in, &why);
	CHECK(rc == EXIT_DATAERR && why.unrecognised && why.off == 0x3c,
	      "qcow2 without snapshots: unrecognised at 0x3c (rc %d: '%s')", rc, why.msg);
	unlink(path);
	/* --snapshot on another format: a usage error. */
	o.snapshot = "s1";
	rc = input_load(&o, data("hw-xsave.bin"), &in, &why);
	CHECK(rc == EXIT_USAGE, "--snapshot on an image: exit 64 (rc %d)", rc);
}

/*
 * CRIU 4.1's checkpoint of criu-regs (tests/data/criu-4.1-avx512): two threads of one
 * process, each composed on AMD's layout (cpuinfo.img's vendor), 2432 bytes, XSTATE_BV
 * 0xe7 and thread 1's pattern in XMM0; one core image alone on Intel's; a cut core image
 * fails with its offset.
 */
static void criu(void)
{
	struct fmt_opts o = opts();
	struct fail why = { 0 };
	struct input in;
	char path[512];
	int rc = input_load(&o, data("criu-4.1-avx512"), &in, &why);

	CHECK(rc == 0 && why.code == 0, "criu checkpoint reads (rc %d: %s)", rc, why.msg);
	if (rc)
		return;
	CHECK(in.fmt == &criu_format, "criu: the CRIU format");
	CHECK_U64(in.nstates, 2, "criu: states");
	CHECK_U64(in.s[0].id, 30825, "criu: thread 0");
	CHECK_U64(in.s[1].id, 30826, "criu: thread 1");
	CHECK(!strcmp(state_source(&in.s[1]), "thread"), "criu: source thread");
	CHECK_U64(in.s[1].st.size, 2432, "criu: size on AMD's layout");
	CHECK_U64(in.s[1].st.xstate_bv, 0xe7, "criu: XSTATE_BV");
	CHECK(!strcmp(in.s[1].st.layout.name, "amd"), "criu: layout %s", in.s[1].st.layout.name);
	CHECK(in.s[1].st.by_field, "criu: carried by field (CRIU lays the area out itself)");
	/* thread 1 of criu-regs: XMM byte j = (29 + j * 7 + 3 + 16) mod 256 */
	CHECK_U64(in.s[1].st.img[XS_OFF_XMM0], 48, "criu: XMM0 byte 0");
	CHECK_U64(in.s[1].st.img[XS_OFF_XMM0 + 1], 55, "criu: XMM0 byte 1");
	CHECK_U64(in.s[1].st.off[XS_HI16_ZMM], 1408, "criu: Hi16_ZMM at AMD's offset");
	input_free(&in);

	memset(&why, 0, sizeof(why));
	rc = input_load(&o, data("criu-4.1-avx512/core-30826.img"), &in, &why);
	CHECK(rc == 0, "one core image reads (rc %d)", rc);
	if (!rc) {
		CHECK_U64(in.nstates, 1, "core image: states");
		CHECK_U64(in.s[0].id, 30826, "core image: its name's thread id");
		CHECK_U64(in.s[0].st.size, 2688, "core image: size on Intel's layout");
		CHECK_U64(in.s[0].st.off[XS_HI16_ZMM], 1664, "core image: Hi16_ZMM at Intel's offset");
		input_free(&in);
	}

	/* --thread of another: 65, the checkpoint named, no offset. */
	o.thread = 1;
	memset(&why, 0, sizeof(why));
	rc = input_load(&o, data("criu-4.1-avx512"), &in, &why);
	CHECK(rc == EXIT_DATAERR && !why.has_off && !strcmp(why.msg, "no thread 1 in this checkpoint"),
	      "criu --thread 1: exit 65 '%s'", why.msg);
	o.thread = -1;

	/* Cut 100 bytes into its entry: 65 at offset 8, the entry's length. */
	temp_prefix(path, sizeof(path), "criu-4.1-avx512/core-30825.img", 112);
	memset(&why, 0, sizeof(why));
	rc = input_load(&o, path, &in, &why);
	CHECK(rc == EXIT_DATAERR && why.has_off && why.off == 8, "cut core image: exit 65 at "
	      "offset 0x%llx (rc %d)", (unsigned long long)why.off, rc);
	CHECK(!strcmp(why.msg, "entry of 4387 bytes runs past the end of the image (100 bytes "
			      "after its length)"), "cut core image: message '%s'", why.msg);
	rc = input_load(&o, path, &in, NULL);
	CHECK(rc == EXIT_DATAERR, "cut core image, nobody asking why: exit 65 (rc %d)", rc);
	unlink(path);
}

/* The protobuf wire reader: each wire type, the varint's edges, offsets in the file's terms. */
static void wire(void)
{
	/* field 1 varint 2^63 (ten bytes), field 2 fixed64, field 3 fixed32, field 4 "ab" */
	static const uint8_t m[] = { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
				     0x01, 0x11, 1, 2, 3, 4, 5, 6, 7, 8, 0x1d, 1, 2, 3, 4,
				     0x22, 2, 'a', 'b' };
	static const uint8_t over[] = { 0x08, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80,
					0x02 };
	struct xs_rd rd = xs_rd_init(m, sizeof(m), 0x100);
	struct xs_diag d = { 0 };
	struct pb_field f;
	uint8_t buf[PB_VARINT_MAX];

	CHECK(pb_next(&rd, &f, &d) == 1 && f.num == 1 && f.wire == PB_VARINT &&
	      f.v == 1ull << 63 && f.start == 0 && f.end == 11, "pb: a ten-byte varint, 2^63");
	CHECK(pb_next(&rd, &f, &d) == 1 && f.num == 2 && f.wire == PB_I64 &&
	      f.v == 0x0807060504030201ull, "pb: fixed64, little-endian");
	CHECK(pb_next(&rd, &f, &d) == 1 && f.num == 3 && f.wire == PB_I32 && f.v == 0x04030201,
	      "pb: fixed32");
	CHECK(pb_next(&rd, &f, &d) == 1 && f.num == 4 && f.wire == PB_LEN && f.sub.len == 2 &&
	      f.sub.base == 0x100 + 27, "pb: length-delimited, its bytes at their file offset");
	CHECK(pb_next(&rd, &f, &d) == 0, "pb: the end of the message");
	rd = xs_rd_init(over, sizeof(over), 0x40);
	CHECK(pb_next(&rd, &f, &d) == -1 && d.has_off && d.off == 0x41 &&
	      !strcmp(d.msg, "varint overflows 64 bits"), "pb: bit 64 set: '%s' at 0x%llx", d.msg,
	      (unsigned long long)d.off);
	CHECK_U64(pb_put_varint(buf, 300), 2, "pb: 300 takes two bytes");
	CHECK(buf[0] == 0xac && buf[1] == 0x02, "pb: 300 is ac 02");
	CHECK_U64(pb_put_varint(buf, UINT64_MAX), PB_VARINT_MAX, "pb: 2^64-1 takes ten bytes");
}

static void failures(void)
{
	struct fmt_opts o = opts();
	struct fail why = { 0 };
	struct input in;
	char path[512];
	uint8_t lv[LV_HEADER_LEN + 16] = "LibvirtQemudSave";
	int rc;

	/* No such file: 66, no offset. */
	rc = input_load(&o, data("no-such-file"), &in, &why);
	CHECK(rc == EXIT_NOINPUT && why.code == EXIT_NOINPUT, "missing file: exit 66 (rc %d)", rc);
	CHECK(!why.has_off && !strcmp(why.msg, "cannot open: No such file or directory"),
	      "missing file: message '%s'", why.msg);

	/* A libvirt header of version 3: 65 at offset 0x10. */
	t_put_le(lv, LV_OFF_VERSION, 3, 4);
	temp_file(path, sizeof(path), lv, sizeof(lv));
	memset(&why, 0, sizeof(why));
	rc = input_load(&o, path, &in, &why);
	CHECK(rc == EXIT_DATAERR, "libvirt version 3: exit 65 (rc %d)", rc);
	CHECK(why.has_off && why.off == LV_OFF_VERSION, "libvirt version 3: offset 0x%llx",
	      (unsigned long long)why.off);
	CHECK(!strcmp(why.file, path), "libvirt version 3: names the file");
	CHECK(!strcmp(why.msg, "libvirt save image version 3 (expected 2)"),
	      "libvirt version 3: message '%s'", why.msg);
	unlink(path);

	/*
	 * A gzip'ed core cut at 100 bytes: 65 at offset 0 of the decompressed stream (nothing
	 * came out yet), the file's offset 100 said after it.
	 */
	temp_prefix(path, sizeof(path), "core.gz", 100);
	memset(&why, 0, sizeof(why));
	rc = input_load(&o, path, &in, &why);
	CHECK(rc == EXIT_DATAERR, "core.gz cut at 100: exit 65 (rc %d)", rc);
	CHECK(why.has_off && why.off == 0 &&
	      !strcmp(why.off_what, " in the decompressed stream (0x64 in the file)"),
	      "core.gz cut at 100: offset 0x%llx%s", (unsigned long long)why.off, why.off_what);
	CHECK(!strcmp(why.msg, "gzip data ends early: the file is truncated"),
	      "core.gz cut: message '%s'", why.msg);
	unlink(path);

	/* --vcpu on an image: a usage error, before anything is read. */
	o.vcpu = 0;
	memset(&why, 0, sizeof(why));
	rc = input_load(&o, data("hw-xsave.bin"), &in, &why);
	CHECK(rc == EXIT_USAGE, "--vcpu on an image: exit 64 (rc %d)", rc);
	CHECK(!strcmp(why.msg, "--vcpu selects a vCPU of a QEMU migration stream; this is an "
			      "XSAVE image"), "--vcpu on an image: message '%s'", why.msg);

	/* Nobody asking why: the same exit code, nothing recorded anywhere. */
	rc = input_load(&o, data("hw-xsave.bin"), &in, NULL);
	CHECK(rc == EXIT_USAGE, "no struct fail: the exit code alone (rc %d)", rc);

	/* The first failure stays. */
	memset(&why, 0, sizeof(why));
	fail_at(&why, EXIT_DATAERR, "a", 16, "first");
	fail_msg(&why, EXIT_IOERR, "b", "second");
	CHECK(why.code == EXIT_DATAERR && !strcmp(why.file, "a") && !strcmp(why.msg, "first"),
	      "a failure is not replaced by what follows from it");
}

int main(void)
{
	const char *dir = getenv("TEST_DATA");

	snprintf(data_dir, sizeof(data_dir), "%s", dir ? dir : "tests/data");
	image();
	core("core.gz", 12625, 0xab0, 832, 0x7);
	core("amd-zen4/core.gz", 18153, 0xa68, 2432, 0xa7);
	qcow2();
	wire();
	criu();
	failures();
	return t_done("test_formats");
}
