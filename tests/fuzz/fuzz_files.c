// SPDX-License-Identifier: MIT
/*
 * The CLI's file readers on one input, as `xsavectl inspect` and `filter`
 * use them: sniffing, gzip (inflate straight from the file), raw images, ELF
 * cores (libelf), QEMU streams in their containers (pread window, gzip,
 * libvirt), qcow2 images with internal snapshots, CRIU core images (their protobuf
 * entry), and writing the filtered copy of a core, stream, qcow2 or core image.  Built
 * once per reader (fuzz_core, fuzz_gzip, fuzz_stream, fuzz_qcow2, fuzz_criu:
 * -DFUZZ_READER=...), each keeping
 * only inputs that reader takes, so that each campaign stays on its reader.
 */
#include <stdlib.h>
#include <string.h>

#include "../../src/exitcodes.h"
#include "../../src/fmt/format.h"
#include "../../src/fmt/input.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	fuzz_quiet();
	return 0;
}

enum { READ_CORE = 1, READ_GZIP, READ_STREAM, READ_QCOW2, READ_CRIU };

/* Does the input go to this target's reader? */
static bool mine(const char *path)
{
	struct io_src src;
	bool ok;

	if (io_open(path, &src, NULL))
		return false;
	switch (FUZZ_READER) {
	case READ_CORE:
		ok = elf_core_format.sniff(&src) && src.codec == CODEC_NONE;
		break;
	case READ_GZIP:
		ok = src.codec == CODEC_GZIP;
		break;
	case READ_QCOW2:
		ok = qcow2_format.sniff(&src) && src.codec == CODEC_NONE;
	case READ_CRIU:
		ok = criu_format.sniff(&src) && src.codec == CODEC_NONE;
		break;
	default:
		ok = (qemu_stream_format.sniff(&src) || libvirt_format.sniff(&src)) && src.codec == CODEC_NONE;
	}
	io_src_close(&src);
	return ok;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fmt_opts c = { .thread = -1, .vcpu = -1 };
	char path[64];
	struct input in;
	int fd = fuzz_file(data, size, path, sizeof(path));

	if (fd < 0)
		return 0;
	if (!mine(path)) {
		close(fd);
		return 0;
	}
	xs_layout_builtin(XS_VENDOR_INTEL, &c.host);
	c.have_host = true;
	if (!input_load(&c, path, &in, NULL)) {
		/*
		 * Write the (unchanged) copy of a core or stream, as filter does, to
		 * stdout.  An input that reads must also write: EXIT_SOFTWARE is an
		 * internal error (a stream's cpu section not standing for its state).
		 */
		if (in.fmt != &image_format && in.fmt->write(&in, "-", NULL) == EXIT_SOFTWARE)
			abort();
		/* A CRIU core image also written again, as a filter to x87/SSE leaves it. */
		if (FUZZ_READER == READ_CRIU) {
			for (unsigned i = 0; i < in.nstates; i++) {
				struct input_state *s = &in.s[i];

				s->cleared = s->st.xstate_bv & ~(uint64_t)3;
				s->st.img[XS_OFF_XSTATE_BV] &= 3;
				memset(s->st.img + XS_OFF_XSTATE_BV + 1, 0, 7);
			}
			if (in.fmt->write(&in, "-", NULL) == EXIT_SOFTWARE)
				abort();
		}
		input_free(&in);
	}
	close(fd);
	return 0;
}
