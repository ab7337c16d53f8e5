# xsavectl: non-recursive Makefile.
#   make deps      install the build dependencies (Debian/Ubuntu, needs root or sudo), with
#                  the codec libraries and libvirt for tests/live/libvirt.sh
#   make           build ./xsavectl
#   make check     the whole suite (make check-asan: under ASan/UBSan; check-valgrind: memcheck;
#                  check-verify: on the walk, as --verify reads: compressed streams whole)
#   make check-ansible  the Ansible role of contrib/ansible on local stand-in hosts (in make check)
#   make check-NAME  one suite: check-unit, check-cli [CASES=GLOB], check-malformed [ONLY=ERE],
#                  check-live-qemu, check-live-libvirt, check-live-relay, check-cores, ... (CHECK_SUITES below)
#   make fuzz      replay the fuzz regressions, then fuzz each reader (FUZZ_TIME=60 s each)
#   make install   PREFIX=/usr/local (also the kernel and QEMU patch series, share/xsavectl/{kernel,qemu})
#   make kernel-check  the kernel patch series against Debian's linux-source-6.1 (make kernel-deps)
#   make qemu-check    the QEMU patch series: Debian's qemu 7.2 built with it, loads through KVM (make qemu-deps)
#   make nested-check  the probe against real KVM builds in a TCG-booted Debian kernel
#   make bench     speed and memory on a multi-GiB real QEMU stream (minutes)
#   make bench-libvirt  real libvirt save images: check against each decompressor and virsh restore (root)
#   make check-abi libxsave's ABI against lib/libxsave.abi (abidiff; make update-abi at a release)
#   make deb       the Debian packages in DEB_OUT=/tmp/xsavectl-deb, linted; check-deb installs
#                  them and runs their smoke test (debian/tests/smoke)

PREFIX ?= /usr/local
BUILD ?= build
CC ?= cc
PKGS = zlib libcpuid libelf jansson libxml-2.0
# The codecs of libvirt's save images, each used when its library is installed (make deps
# installs all); WITHOUT="zstd lzop" builds without those, to test the refusals.
WITHOUT ?=
have_pkg = $(if $(filter $(1),$(WITHOUT)),,$(shell pkg-config --exists $(2) && echo $(2)))
CODEC_PKGS := $(call have_pkg,xz,liblzma) $(call have_pkg,zstd,libzstd) $(call have_pkg,lzop,lzo2)
HAVE_BZIP2 := $(if $(filter bzip2,$(WITHOUT)),,$(shell printf '\043include <bzlib.h>\n' | \
	$(CC) -E -x c - >/dev/null 2>&1 && echo 1))
# gzip inflate through ISA-L (libisal-dev) where the build finds it, zlib's otherwise.
HAVE_ISAL := $(if $(filter isal,$(WITHOUT)),,$(shell pkg-config --exists libisal && echo 1))
CODEC_DEFS = $(if $(filter liblzma,$(CODEC_PKGS)),-DHAVE_LZMA) $(if $(HAVE_ISAL),-DHAVE_ISAL) \
	     $(if $(filter libzstd,$(CODEC_PKGS)),-DHAVE_ZSTD) \
	     $(if $(filter lzo2,$(CODEC_PKGS)),-DHAVE_LZO) $(if $(HAVE_BZIP2),-DHAVE_BZIP2)
WARN = -Wall -Wextra -Wshadow -Wformat=2 -Wvla -Wstrict-prototypes -Wmissing-prototypes
CFLAGS ?= -O2 -g
XCFLAGS = -std=gnu11 -D_GNU_SOURCE -Iinclude -Ilib/internal -Isrc $(WARN) $(shell pkg-config --cflags $(PKGS)) $(CODEC_DEFS)
# Where probe says the installed patch series are (src/cmd_probe.c only).
KERNEL_DIR ?= $(PREFIX)/share/xsavectl/kernel
SHARE_DEFS = -DXSAVECTL_KERNEL_DIR='"$(KERNEL_DIR)"'
LIBS = $(shell pkg-config --libs $(PKGS) $(CODEC_PKGS) $(if $(HAVE_ISAL),libisal)) $(if $(HAVE_BZIP2),-lbz2) -pthread

LIB_SRC = lib/layout.c lib/area.c lib/recognise.c lib/regs.c lib/rules.c lib/relocate.c lib/diff.c lib/hostinfo.c \
	  lib/qemu_stream.c lib/qemu_cursor.c lib/qemu_ram.c lib/qemu_cpu.c lib/qemu_vmdesc.c \
	  lib/kprobe.c lib/profile.c lib/version.c lib/precheck.c
# libxsave's internals (headers in lib/internal/xsave/): the byte readers, the text forms,
# the journal record.  An archive of their own, linked into the shared object and the CLI
# (through libxsave.a, which carries them), never exported.
LIB_INTERNAL_SRC = lib/rd.c lib/text.c lib/journal.c
# The CLI: commands and their shared options in src/, input formats in src/fmt/,
# output and showing in src/out/, I/O and the live host and KVM in src/sys/, the
# compressions in src/codec/.
CLI_SRC = src/main.c src/exitcodes.c src/util.c src/fail.c src/options.c src/targets.c src/batch.c \
	  src/cmd_inspect.c src/cmd_check.c src/cmd_filter.c src/cmd_diff.c \
	  src/cmd_extract.c src/cmd_host.c src/cmd_probe.c src/cmd_precheck.c src/cmd_relay.c \
	  src/fmt/input.c src/fmt/image.c src/fmt/elf_core.c src/fmt/elf_extent.c src/fmt/qemu_stream.c src/fmt/stream_pipe.c src/sys/journal.c \
	  src/fmt/libvirt.c src/fmt/qcow2.c src/fmt/criu.c src/fmt/pb.c \
	  src/codec/codec.c src/codec/gzip.c src/codec/bzip2.c src/codec/xz.c src/codec/lzop.c \
	  src/codec/zstd.c \
	  src/out/out.c src/out/text.c src/out/json.c src/out/lines.c src/out/document.c src/out/show_state.c \
	  src/out/show_host.c src/out/verdict.c \
	  src/sys/io.c src/sys/patchcopy.c src/sys/progress.c src/sys/host_facts.c \
	  src/sys/host_live.c src/sys/kvm_probe.c src/sys/profile_file.c src/sys/dest_facts.c src/sys/attrs.c src/sys/net.c \
	  src/guest_cpu.c

UNIT_SRC = $(wildcard tests/unit/test_*.c)

LIB_OBJ = $(LIB_SRC:%.c=$(BUILD)/%.o)
LIB_INTERNAL_OBJ = $(LIB_INTERNAL_SRC:%.c=$(BUILD)/%.o)
CLI_OBJ = $(CLI_SRC:%.c=$(BUILD)/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
GEN_BIN = $(BUILD)/tests/mkxsave $(BUILD)/tests/mkstream
COREPAT = $(BUILD)/tests/corepat $(BUILD)/tests/criu-regs
GUEST = $(BUILD)/tests/guest.bin

.PHONY: FORCE all lib deps check-ansible check-symbols check-abi update-abi abi-lib deb check-deb uninstall kernel-deps kernel-check qemu-deps qemu-check nested-check check check-verify check-zlib check-asan check-valgrind update-golden install clean lint bench bench-libvirt bench-matrix mutants fuzz fuzz-build

all: xsavectl lib

xsavectl: $(BUILD)/xsavectl
	cp $< $@

$(BUILD)/xsavectl: $(CLI_OBJ) $(BUILD)/libxsave.a
	$(CC) $(CFLAGS) $(LDFLAGS) -o $@ $^ $(LIBS)

# probe names the installed kernel series: rebuild it when PREFIX changes.
$(BUILD)/prefix: FORCE
	@mkdir -p $(BUILD)
	@echo '$(KERNEL_DIR)' | cmp -s - $@ || echo '$(KERNEL_DIR)' >$@
$(BUILD)/src/cmd_probe.o: $(BUILD)/prefix
$(BUILD)/src/cmd_probe.o: XCFLAGS += $(SHARE_DEFS)
FORCE:

# libxsave: exports exactly the symbols lib/libxsave.sym lists (make check-symbols), each
# declared in a public header (include/xsave/export.h).  0.3 broke the ABI of 0.2 (opaque
# stream and probe record, masks as functions, byte readers internal): soname libxsave.so.1.
# Its version's one source is include/xsave/version.h.
LIB_VERSION := $(shell sed -n 's/^\#define XS_VERSION_\(MAJOR\|MINOR\|PATCH\) \([0-9]*\)$$/\2/p' \
	include/xsave/version.h | paste -sd. -)
LIB_SOVERSION = 1
LIB_SONAME = libxsave.so.$(LIB_SOVERSION)
LIB_REAL = libxsave.so.$(LIB_SOVERSION).0.0
LIBDIR ?= $(PREFIX)/lib
LIB_PIC_OBJ = $(LIB_SRC:%.c=$(BUILD)/pic/%.o)
LIB_INTERNAL_PIC_OBJ = $(LIB_INTERNAL_SRC:%.c=$(BUILD)/pic/%.o)
$(LIB_OBJ) $(LIB_PIC_OBJ) $(LIB_INTERNAL_OBJ) $(LIB_INTERNAL_PIC_OBJ): XCFLAGS += -fvisibility=hidden

$(BUILD)/libxsave-internal.a: $(LIB_INTERNAL_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

$(BUILD)/pic/libxsave-internal.a: $(LIB_INTERNAL_PIC_OBJ)
	rm -f $@
	$(AR) rcs $@ $^

# The static library as installed: the public modules and the internal archive's members.
$(BUILD)/libxsave.a: $(LIB_OBJ) $(BUILD)/libxsave-internal.a
	rm -f $@
	$(AR) rcs $@ $(LIB_OBJ) $(LIB_INTERNAL_OBJ)

$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) $(CPPFLAGS) $(CFLAGS) -fPIC -MMD -MP -c -o $@ $<

$(BUILD)/$(LIB_REAL): $(LIB_PIC_OBJ) $(BUILD)/pic/libxsave-internal.a lib/libxsave.sym
	$(CC) $(CFLAGS) $(LDFLAGS) -shared -Wl,-soname,$(LIB_SONAME) -Wl,-z,defs \
		-Wl,--version-script=lib/libxsave.sym -o $@ $(LIB_PIC_OBJ) \
		$(BUILD)/pic/libxsave-internal.a $(shell pkg-config --libs jansson)

$(BUILD)/libxsave.pc: lib/libxsave.pc.in FORCE
	@sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@LIBDIR@|$(LIBDIR)|' -e 's|@VERSION@|$(LIB_VERSION)|' \
		-e 's|@SOVERSION@|$(LIB_SOVERSION)|' \
		$< >$@.tmp && (cmp -s $@.tmp $@ || mv $@.tmp $@) && rm -f $@.tmp

lib: $(BUILD)/libxsave.a $(BUILD)/$(LIB_REAL) $(BUILD)/libxsave.pc

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) $(CPPFLAGS) $(CFLAGS) -MMD -MP -c -o $@ $<

$(BUILD)/tests/%: tests/unit/%.c tests/unit/check.h $(BUILD)/libxsave.a
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -Itests/unit $(CFLAGS) -o $@ $< $(BUILD)/libxsave.a $(LIBS)

# The formats' own test links the CLI's lower rooms (src/fmt, src/sys, src/codec, the output
# tree), no command.
FMT_TEST_OBJ = $(filter $(BUILD)/src/fmt/% $(BUILD)/src/sys/% $(BUILD)/src/codec/% \
	$(BUILD)/src/out/out.o $(BUILD)/src/out/text.o $(BUILD)/src/out/json.o $(BUILD)/src/out/lines.o \
	$(BUILD)/src/fail.o \
	$(BUILD)/src/util.o $(BUILD)/src/exitcodes.o,$(CLI_OBJ))
$(BUILD)/tests/test_formats: tests/unit/test_formats.c tests/unit/check.h $(FMT_TEST_OBJ) $(BUILD)/libxsave.a
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -Itests/unit $(CFLAGS) -o $@ $< $(FMT_TEST_OBJ) $(BUILD)/libxsave.a $(LIBS)
# The output layer's unit test links the document and its back-ends.
OUT_TEST_OBJ = $(addprefix $(BUILD)/src/,out/out.o out/text.o out/json.o out/lines.o util.o exitcodes.o)
$(BUILD)/tests/test_out: tests/unit/test_out.c tests/unit/check.h $(OUT_TEST_OBJ) $(BUILD)/libxsave.a
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -Itests/unit $(CFLAGS) -o $@ $< $(OUT_TEST_OBJ) $(BUILD)/libxsave.a $(LIBS)
# The codec layer's unit test links the layer itself (src/codec/ and util.c's allocation).
CODEC_OBJ = $(filter $(BUILD)/src/codec/%,$(CLI_OBJ))
$(BUILD)/tests/test_codec: tests/unit/test_codec.c tests/unit/check.h $(CODEC_OBJ) \
		$(BUILD)/src/util.o $(BUILD)/src/exitcodes.o $(BUILD)/libxsave.a
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) -Itests/unit $(CFLAGS) -o $@ $< $(CODEC_OBJ) $(BUILD)/src/util.o \
		$(BUILD)/src/exitcodes.o $(BUILD)/libxsave.a $(LIBS)

$(BUILD)/tests/mkxsave: tests/gen/mkxsave.c
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) $(CFLAGS) -o $@ $<

$(BUILD)/tests/mkstream: tests/gen/mkstream.c
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) $(CFLAGS) -o $@ $< -lz

# The QEMU test guest: a flat multiboot kernel (tests/guest/guest.S).
$(GUEST): tests/guest/guest.S tests/guest/guest.ld
	@mkdir -p $(dir $@)
	$(AS) --64 -o $(BUILD)/tests/guest.o tests/guest/guest.S
	$(LD) -m elf_x86_64 -T tests/guest/guest.ld -o $@ $(BUILD)/tests/guest.o

$(BUILD)/tests/maxrss: tests/gen/maxrss.c
	@mkdir -p $(dir $@)
	$(CC) $(XCFLAGS) $(CFLAGS) -o $@ $<

# Speed and memory on a multi-GiB real stream (needs qemu-system-x86 and bc; minutes).
bench: $(BUILD)/xsavectl $(GUEST) $(BUILD)/tests/maxrss $(BUILD)/tests/mkstream bench-matrix
	@XSAVECTL=$(abspath $(BUILD)/xsavectl) GUEST=$(abspath $(GUEST)) \
		MAXRSS=$(abspath $(BUILD)/tests/maxrss) MKSTREAM=$(abspath $(BUILD)/tests/mkstream) \
		sh tests/bench/bench.sh

# Real libvirt save images (libvirt 9.0 and the trixie chroot's 11.3), check against each
# format's decompressor and virsh restore (root; minutes to hours: BENCH_LIBVIRT_MIB, _FORMATS).
bench-libvirt: $(BUILD)/xsavectl $(GUEST) $(BUILD)/tests/maxrss
	@XSAVECTL=$(abspath $(BUILD)/xsavectl) GUEST=$(abspath $(GUEST)) \
		MAXRSS=$(abspath $(BUILD)/tests/maxrss) sh tests/bench/libvirt.sh

# The fleet matrix alone: 1,000 states x 100 profiles (seconds).
bench-matrix: $(BUILD)/xsavectl $(BUILD)/tests/mkstream
	@XSAVECTL=$(abspath $(BUILD)/xsavectl) MKSTREAM=$(abspath $(BUILD)/tests/mkstream) \
		DATA=$(abspath tests/data) sh tests/bench/matrix.sh

# libFuzzer targets (clang with libclang-rt): one per reader and one for the rules.
# make fuzz replays tests/fuzz/regress/TARGET/* (every crash ever found), then fuzzes
# each target for FUZZ_TIME seconds from tests/fuzz/seeds plus inputs built from
# tests/data and mkstream.  New crashes land in $(FUZZ_BUILD)/crashes/TARGET/.
FUZZ_CC ?= clang
FUZZ_TIME ?= 60
FUZZ_BUILD = build-fuzz
FUZZ_FLAGS = -g -O1 -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=all
FUZZ_CODECS = gzipc bzip2 xz lzop zstd
FUZZ_TARGETS = image rules qstream cpuid profile kprobe core gzip stream qcow2 guestcpu criu journal \
	$(FUZZ_CODECS)
FUZZ_LIB_OBJ = $(LIB_SRC:%.c=$(FUZZ_BUILD)/%.o) $(LIB_INTERNAL_SRC:%.c=$(FUZZ_BUILD)/%.o)
FUZZ_CLI_OBJ = $(filter-out $(FUZZ_BUILD)/src/main.o,$(CLI_SRC:%.c=$(FUZZ_BUILD)/%.o))
FUZZ_BIN = $(FUZZ_TARGETS:%=$(FUZZ_BUILD)/fuzz_%)

$(FUZZ_BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(XCFLAGS) -Wno-unused-command-line-argument $(FUZZ_FLAGS) -MMD -MP -c -o $@ $<

$(FUZZ_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJ) $(FUZZ_CLI_OBJ)
	$(FUZZ_CC) $(XCFLAGS) -Wno-unused-command-line-argument -g -O1 \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $< \
		$(FUZZ_CLI_OBJ) $(FUZZ_LIB_OBJ) $(LIBS)

.SECONDARY: $(FUZZ_LIB_OBJ) $(FUZZ_CLI_OBJ)

# The CLI's file readers, one campaign each (tests/fuzz/fuzz_files.c).
$(FUZZ_BUILD)/fuzz_core $(FUZZ_BUILD)/fuzz_gzip $(FUZZ_BUILD)/fuzz_stream $(FUZZ_BUILD)/fuzz_qcow2 \
		$(FUZZ_BUILD)/fuzz_criu: \
		tests/fuzz/fuzz_files.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJ) $(FUZZ_CLI_OBJ)
	$(FUZZ_CC) $(XCFLAGS) -Wno-unused-command-line-argument -g -O1 \
		-DFUZZ_READER=READ_$(shell echo $(@:$(FUZZ_BUILD)/fuzz_%=%) | tr a-z A-Z) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $< \
		$(FUZZ_CLI_OBJ) $(FUZZ_LIB_OBJ) $(LIBS)

# Each compressor's reader and writer on raw bytes (tests/fuzz/fuzz_codec.c; gzipc: the gzip codec).
codec_macro = CODEC_$(shell echo $(1) | sed 's/gzipc/gzip/' | tr a-z A-Z)
$(FUZZ_CODECS:%=$(FUZZ_BUILD)/fuzz_%): tests/fuzz/fuzz_codec.c tests/fuzz/fuzz.h $(FUZZ_LIB_OBJ) \
		$(FUZZ_CLI_OBJ)
	$(FUZZ_CC) $(XCFLAGS) -Wno-unused-command-line-argument -g -O1 \
		-DFUZZ_CODEC=$(call codec_macro,$(@:$(FUZZ_BUILD)/fuzz_%=%)) \
		-fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all -o $@ $< \
		$(FUZZ_CLI_OBJ) $(FUZZ_LIB_OBJ) $(LIBS)

fuzz-build: $(FUZZ_BIN) $(BUILD)/tests/mkstream $(BUILD)/xsavectl

fuzz: fuzz-build
	@FUZZ_TIME=$(FUZZ_TIME) FUZZ_BUILD=$(FUZZ_BUILD) MKSTREAM=$(abspath $(BUILD)/tests/mkstream) \
		XSAVECTL=$(abspath $(BUILD)/xsavectl) sh tests/fuzz/run.sh $(FUZZ_TARGETS)

# Real-core test program: never sanitized (it must die of SIGSEGV with its registers intact).
$(BUILD)/tests/corepat: tests/gen/corepat.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g -Wall -Wextra -pthread -o $@ $<

# The CRIU test program: static, never sanitized (it runs in the trixie chroot, holds its
# registers in asm across criu dump and restore).
$(BUILD)/tests/criu-regs: tests/gen/criu-regs.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -Wall -Wextra -static -pthread -o $@ $<

deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -q && $$SUDO apt-get install -y -q build-essential pkg-config \
		libelf-dev zlib1g-dev libcpuid-dev libjansson-dev libxml2-dev mandoc gdb qemu-system-x86 strace \
		valgrind clang libclang-rt-14-dev libbz2-dev liblzma-dev liblzo2-dev libzstd-dev \
		bzip2 xz-utils lzop zstd abigail-tools debhelper lintian dpkg-dev && \
	$$SUDO apt-get install -y -q --no-install-recommends libvirt-daemon-system libvirt-clients \
		libvirt-daemon-driver-qemu debootstrap libisal-dev isal ansible

# The kernel patch series (kernel/6.1.y) against Debian's linux-source-6.1: reverse-apply,
# compile the touched objects, forward-apply patch by patch (git am too), compare.
kernel-deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -q && $$SUDO apt-get install -y -q linux-source-6.1 bc bison flex \
		libssl-dev libelf-dev git xz-utils cpio qemu-system-x86

kernel-check:
	@sh kernel/check.sh build-kernel

# The QEMU patch series (qemu/7.2) against Debian 12's qemu source: applied with quilt and
# git am, qemu-system-x86_64 built (KVM only, cached in build-qemu/), and streams loaded
# through /dev/kvm by Debian's QEMU and the patched one.  qemu-deps also adds deb-src
# lines for the mirror apt uses when none are configured (apt-get source needs them).
qemu-deps:
	@if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	if ! grep -rqs '^Types:.*deb-src\|^deb-src ' /etc/apt/sources.list /etc/apt/sources.list.d/; then \
		if [ -f /etc/apt/sources.list.d/debian.sources ]; then \
			sed -n 's/^Types: *deb$$/Types: deb-src/; /^Types:\|^URIs:\|^Suites:\|^Components:\|^Signed-By:\|^$$/p' \
				/etc/apt/sources.list.d/debian.sources | \
				$$SUDO tee /etc/apt/sources.list.d/xsavectl-deb-src.sources >/dev/null; \
		else \
			sed -n 's/^deb \(.*\)/deb-src \1/p' /etc/apt/sources.list | \
				$$SUDO tee /etc/apt/sources.list.d/xsavectl-deb-src.list >/dev/null; \
		fi; \
	fi; \
	$$SUDO apt-get update -q && $$SUDO apt-get install -y -q --no-install-recommends build-essential \
		pkg-config python3 ninja-build meson libglib2.0-dev libpixman-1-dev libfdt-dev zlib1g-dev \
		dpkg-dev quilt git xz-utils qemu-system-x86 gdb

qemu-check: $(BUILD)/xsavectl $(BUILD)/tests/mkstream
	@XSAVECTL=$(abspath $(BUILD)/xsavectl) MKSTREAM=$(abspath $(BUILD)/tests/mkstream) \
		sh qemu/check.sh build-qemu

# The probe against real KVM code: Debian's kernel booted under QEMU (TCG, nested SVM) with its
# own kvm modules and three rebuilt variants (needs kernel-deps, qemu-system-x86, network).
nested-check: $(BUILD)/xsavectl
	@XSAVECTL=$(abspath $(BUILD)/xsavectl) sh tests/nested/run.sh build-nested

check: $(BUILD)/xsavectl $(UNIT_BIN) $(GEN_BIN) $(COREPAT) $(GUEST)
	@sh tests/run.sh $(BUILD)
	@$(MAKE) -s lint

# (check-ansible: the Ansible role of contrib/ansible on local hosts standing for recorded machines.)

# One suite of tests/run.sh alone (its names); CASES=GLOB narrows check-cli and
# check-cli-verify to those golden cases, ONLY=ERE check-malformed to the checks it matches.
CHECK_SUITES = unit cli cli-verify inflate cores completion install libxsave host hook probe \
	relocate-kvm faults malformed live-qemu live-qcow2 live-libvirt live-criu live-relay ansible \
	live-libvirt-migrate
.PHONY: $(addprefix check-,$(CHECK_SUITES))
$(addprefix check-,$(CHECK_SUITES)): check-%: $(BUILD)/xsavectl $(UNIT_BIN) $(GEN_BIN) $(COREPAT) $(GUEST)
	@SUITE=$* sh tests/run.sh $(BUILD)

update-golden: $(BUILD)/xsavectl $(GEN_BIN)
	@UPDATE=1 XSAVECTL=$(abspath $(BUILD)/xsavectl) MKXSAVE=$(abspath $(BUILD)/tests/mkxsave) \
		MKSTREAM=$(abspath $(BUILD)/tests/mkstream) sh tests/cli/run.sh

# Mutants the suite must kill (tests/mutants.sh): each breaks one guarded rule.
mutants:
	@sh tests/mutants.sh

# The suite again, built with AddressSanitizer and UndefinedBehaviorSanitizer: every suite but
# libxsave (it builds its own plain library and outside program, as make check runs it),
# ansible (the role's xsavectl runs are host and precheck, which the golden cases run
# sanitized) and live-libvirt-migrate (libvirt's migrations through the relay, whose every
# path live-relay runs sanitized against bare QEMU), the live suites on QEMU 7.2 and 11.1
# (as check-valgrind) with libvirt 9.0.
ASAN_SUITES ?= $(filter-out libxsave ansible live-libvirt-migrate,$(CHECK_SUITES))
ASAN_QEMU ?= $(VALGRIND_QEMU)
ASAN_LIBVIRT ?= 9.0
check-asan:
	SUITE="$(ASAN_SUITES)" XSAVECTL_QEMU="$(ASAN_QEMU)" XSAVECTL_LIBVIRT_ONLY=$(ASAN_LIBVIRT) \
		$(MAKE) BUILD=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" check

# The suites that read streams and compressed files, on the walk: every stream read as
# --verify reads it, a compressed one decompressed whole (not from its tail), every codec
# checksum checked (XSAVECTL_VERIFY=1).  (The golden cases on the walk are make check's
# cli-verify, which is the cli suite under XSAVECTL_VERIFY=1 already; live-libvirt's images
# are the golden stream-libvirt-* cases' formats; the suites left out read no stream or only
# through these readers.)
VERIFY_SUITES ?= malformed live-qemu live-qcow2 inflate cores
check-verify: $(BUILD)/xsavectl $(UNIT_BIN) $(GEN_BIN) $(COREPAT) $(GUEST)
	@XSAVECTL_VERIFY=1 SUITE="$(VERIFY_SUITES)" sh tests/run.sh $(BUILD)

# Built without ISA-L (zlib's inflate for gzip): the golden, malformed and inflate suites.
check-zlib:
	@$(MAKE) -s BUILD=build-zlib WITHOUT="isal $(WITHOUT)" build-zlib/xsavectl \
		build-zlib/tests/mkstream build-zlib/tests/mkxsave
	@B=$(abspath build-zlib); ! ldd $$B/xsavectl | grep -q libisal || exit 1; st=0; \
	XSAVECTL=$$B/xsavectl MKXSAVE=$$B/tests/mkxsave MKSTREAM=$$B/tests/mkstream \
		sh tests/cli/run.sh >$$B/cli.log || st=1; grep -v '^ok' $$B/cli.log; \
	XSAVECTL=$$B/xsavectl MKXSAVE=$$B/tests/mkxsave MKSTREAM=$$B/tests/mkstream \
		DATA=$(abspath tests/data) sh tests/malformed/run.sh >$$B/mal.log || st=1; \
	grep -v '^ok' $$B/mal.log; exit $$st

# The whole suite again with every xsavectl run under valgrind's memcheck, but cli-verify:
# the golden cases once more, compressed ones decoded whole, which check and check-asan run
# and which under valgrind cost CI about 5 minutes for no code path the other suites miss
# (inflate, malformed and the live suites decode whole streams under valgrind too); and
# libxsave, ansible and live-libvirt-migrate, as check-asan leaves them out; and
# live-libvirt (6 minutes of lane time under valgrind, each run paying valgrind's 0.6 s
# start): the libvirt images' readers, tail reads and in-place rewrites run under valgrind
# in the golden cases, the malformed sweeps and the hook suite, and check and check-asan run
# live-libvirt itself.  The live suites run the oldest and the newest QEMU (7.2 and 11.1:
# 10.0 writes what 11.1 does, less the CET subsections): check and check-asan run every one.
VALGRIND_SUITES ?= $(filter-out cli-verify libxsave ansible live-libvirt live-libvirt-migrate,$(CHECK_SUITES))
VALGRIND_QEMU ?= 7.2 11.1
check-valgrind: $(BUILD)/xsavectl $(UNIT_BIN) $(GEN_BIN) $(COREPAT) $(GUEST)
	@VALGRIND=1 SUITE="$(VALGRIND_SUITES)" XSAVECTL_QEMU="$(VALGRIND_QEMU)" \
		sh tests/run.sh $(BUILD)

# The ABI as recorded in lib/libxsave.abi (abidw of the released shared object): abidiff
# of the one built now against it fails on any change, compatible or not (abigail-tools).
# At a release that changes the ABI on purpose: add the release's node to lib/libxsave.sym
# (or bump LIB_SOVERSION for a break), then make update-abi and commit lib/libxsave.abi.
ABI_DUMP = lib/libxsave.abi
ABIDW_FLAGS = --no-corpus-path --no-comp-dir-path --no-show-locs --drop-private-types \
	--headers-dir include/xsave --headers-dir include
# Built in build-abi/ with fixed flags (abidw reads the DWARF: -g, whatever CFLAGS says).
ABI_BUILD = build-abi
ABI_SO = $(ABI_BUILD)/$(LIB_REAL)
abi-lib:
	@$(MAKE) -s BUILD=$(ABI_BUILD) CFLAGS="-O2 -g" $(ABI_SO)

check-abi: abi-lib
	@abidw $(ABIDW_FLAGS) --out-file $(ABI_BUILD)/libxsave.abi $(ABI_SO)
	@if abidiff $(ABI_DUMP) $(ABI_BUILD)/libxsave.abi >$(ABI_BUILD)/abidiff.txt; then \
		echo "check-abi: $(LIB_REAL) has the ABI recorded in $(ABI_DUMP)"; \
	else \
		cat $(ABI_BUILD)/abidiff.txt; \
		echo "check-abi: the ABI differs from $(ABI_DUMP) (above); a change on purpose: see update-abi"; \
		exit 1; \
	fi

update-abi: abi-lib
	abidw $(ABIDW_FLAGS) --out-file $(ABI_DUMP) $(ABI_SO)

# Debian packages (debian/): built with dpkg-buildpackage from a clean copy of the tracked
# files in $(DEB_OUT) (outside the tree), without the test suite; lintian on the result.
# check-deb installs them (dpkg -i, as root or with sudo), runs debian/tests/smoke, and
# removes them again (KEEP_DEB=1 leaves them installed).
DEB_OUT ?= /tmp/xsavectl-deb
deb:
	@rm -rf $(DEB_OUT) && mkdir -p $(DEB_OUT)/src
	@git ls-files -z | tar --null -T - -cf - | tar -xf - -C $(DEB_OUT)/src
	cd $(DEB_OUT)/src && DEB_BUILD_OPTIONS="nocheck parallel=2" dpkg-buildpackage -us -uc -b
	lintian --fail-on error,warning $(DEB_OUT)/*.changes
	@ls $(DEB_OUT)/*.deb

check-deb: deb
	@DEB_OUT=$(DEB_OUT) sh tests/deb.sh

# The shared object exports exactly what lib/libxsave.sym lists (tests/symbols.sh).
check-symbols: $(BUILD)/$(LIB_REAL)
	@sh tests/symbols.sh $(BUILD)/$(LIB_REAL)

# Man pages must be clean for mandoc; every long option must be documented; the exports.
lint: $(BUILD)/xsavectl check-symbols
	@# every mandoc message, STYLE included (only the system's stale mandoc.db is not ours)
	@if command -v mandoc >/dev/null; then \
		out=$$(mandoc -Tlint man/*.1 2>&1 | grep -v 'outdated mandoc.db'); \
		if [ -n "$$out" ]; then echo "$$out"; exit 1; fi; fi
	@sh tests/docsync.sh $(BUILD)/xsavectl
	@sh tests/includes.sh

# make install links its own binary for PREFIX (only cmd_probe.o differs) and leaves the
# in-tree ./xsavectl as it was built; make uninstall removes exactly what install wrote.
INST = $(BUILD)/install
LIB_HEADERS = $(wildcard include/xsave/*.h)
INSTALLED = bin/xsavectl include/xsave.h $(addprefix include/xsave/,$(notdir $(LIB_HEADERS))) \
	$(patsubst $(PREFIX)/%,%,$(LIBDIR))/libxsave.a $(patsubst $(PREFIX)/%,%,$(LIBDIR))/$(LIB_REAL) \
	$(patsubst $(PREFIX)/%,%,$(LIBDIR))/$(LIB_SONAME) $(patsubst $(PREFIX)/%,%,$(LIBDIR))/libxsave.so \
	$(patsubst $(PREFIX)/%,%,$(LIBDIR))/pkgconfig/libxsave.pc share/man/man1/xsavectl.1 share/bash-completion/completions/xsavectl \
	share/xsavectl/kernel/README.md $(addprefix share/xsavectl/kernel/6.1.y/,$(notdir $(wildcard kernel/6.1.y/*.patch))) \
	share/xsavectl/hooks/qemu share/xsavectl/qemu/README.md $(addprefix share/xsavectl/qemu/7.2/,$(notdir $(wildcard qemu/7.2/*.patch)))

install: $(filter-out $(BUILD)/src/cmd_probe.o,$(CLI_OBJ)) lib
	@mkdir -p $(INST)
	$(CC) $(XCFLAGS) $(SHARE_DEFS) $(CPPFLAGS) $(CFLAGS) -c -o $(INST)/cmd_probe.o src/cmd_probe.c
	$(CC) $(CFLAGS) $(LDFLAGS) -o $(INST)/xsavectl $(filter-out $(BUILD)/src/cmd_probe.o,$(CLI_OBJ)) \
		$(INST)/cmd_probe.o $(BUILD)/libxsave.a $(LIBS)
	install -D -m 0755 $(INST)/xsavectl $(DESTDIR)$(PREFIX)/bin/xsavectl
	install -D -m 0644 $(BUILD)/libxsave.a $(DESTDIR)$(LIBDIR)/libxsave.a
	install -D -m 0755 $(BUILD)/$(LIB_REAL) $(DESTDIR)$(LIBDIR)/$(LIB_REAL)
	ln -sf $(LIB_REAL) $(DESTDIR)$(LIBDIR)/$(LIB_SONAME)
	ln -sf $(LIB_SONAME) $(DESTDIR)$(LIBDIR)/libxsave.so
	install -D -m 0644 $(BUILD)/libxsave.pc $(DESTDIR)$(LIBDIR)/pkgconfig/libxsave.pc
	install -D -m 0644 include/xsave.h $(DESTDIR)$(PREFIX)/include/xsave.h
	install -d $(DESTDIR)$(PREFIX)/include/xsave
	install -m 0644 $(LIB_HEADERS) $(DESTDIR)$(PREFIX)/include/xsave/
	install -d $(DESTDIR)$(PREFIX)/share/man/man1
	install -m 0644 man/*.1 $(DESTDIR)$(PREFIX)/share/man/man1/
	install -D -m 0644 completions/xsavectl.bash \
		$(DESTDIR)$(PREFIX)/share/bash-completion/completions/xsavectl
	install -d $(DESTDIR)$(PREFIX)/share/xsavectl/kernel/6.1.y
	install -m 0644 kernel/README.md $(DESTDIR)$(PREFIX)/share/xsavectl/kernel/
	install -m 0644 kernel/6.1.y/*.patch $(DESTDIR)$(PREFIX)/share/xsavectl/kernel/6.1.y/
	install -D -m 0755 hooks/qemu $(DESTDIR)$(PREFIX)/share/xsavectl/hooks/qemu
	install -d $(DESTDIR)$(PREFIX)/share/xsavectl/qemu/7.2
	install -m 0644 qemu/README.md $(DESTDIR)$(PREFIX)/share/xsavectl/qemu/
	install -m 0644 qemu/7.2/*.patch $(DESTDIR)$(PREFIX)/share/xsavectl/qemu/7.2/

uninstall:
	rm -f $(addprefix $(DESTDIR)$(PREFIX)/,$(INSTALLED))
	@# our own directories only; bin/, man1/ and completions/ are the system's
	-rmdir $(DESTDIR)$(PREFIX)/include/xsave 2>/dev/null
	-rmdir $(DESTDIR)$(PREFIX)/share/xsavectl/kernel/6.1.y $(DESTDIR)$(PREFIX)/share/xsavectl/kernel \
		$(DESTDIR)$(PREFIX)/share/xsavectl/qemu/7.2 $(DESTDIR)$(PREFIX)/share/xsavectl/qemu \
		$(DESTDIR)$(PREFIX)/share/xsavectl/hooks \
		$(DESTDIR)$(PREFIX)/share/xsavectl 2>/dev/null

clean:
	rm -rf build build-asan build-fuzz build-kernel build-qemu build-nested build-nocodec build-abi xsavectl

-include $(shell find $(BUILD) $(FUZZ_BUILD) -name '*.d' 2>/dev/null)
