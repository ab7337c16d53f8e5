#!/bin/sh
# make kernel-check: prove the series in kernel/6.1.y against real kernel source.
#
# Debian's linux-source-6.1 (6.1.192) already contains the upstream fix, so:
#   1. reverse-apply the series (last patch first) to recreate the affected
#      code of 6.1.0-6.1.59, and check that it is really there;
#   2. compile the touched objects (arch/x86/kvm/x86.o, cpuid.o,
#      arch/x86/kernel/fpu/core.o, xstate.o) with a KVM-enabled config;
#   3. forward-apply the series one patch at a time with `git am` in a
#      repository of the touched files and with `git apply` in the tree,
#      compiling after each patch (the series must build at every step);
#   4. check that the result is the original 6.1.192 source again.
# The series carries 6.1.59's context.  Where 6.1.192 has since changed a
# context line, the hunk is applied with less context and the check says so.
#
# usage: sh kernel/check.sh [WORKDIR]    (KERNEL_SRC=tarball, JOBS=N)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
series=$here/6.1.y
work=${1:-build-kernel}
tarball=${KERNEL_SRC:-/usr/src/linux-source-6.1.tar.xz}
jobs=${JOBS:-$(nproc)}
objs="arch/x86/kvm/x86.o arch/x86/kvm/cpuid.o arch/x86/kernel/fpu/core.o arch/x86/kernel/fpu/xstate.o"
files="arch/x86/include/asm/fpu/api.h arch/x86/kernel/fpu/core.c arch/x86/kernel/fpu/xstate.c
arch/x86/kernel/fpu/xstate.h arch/x86/kvm/cpuid.c arch/x86/kvm/x86.c"

say() { printf '%s\n' "kernel-check: $*"; }
die() { say "FAILED: $*"; exit 1; }

[ -r "$tarball" ] || die "$tarball not found: install Debian's linux-source-6.1 (make kernel-deps)"
mkdir -p "$work"
work=$(cd "$work" && pwd)
# The work directory may sit inside xsavectl's own git checkout: git apply must
# not take that repository for the kernel tree's (it would skip every path).
GIT_CEILING_DIRECTORIES=$work
export GIT_CEILING_DIRECTORIES
rm -rf "$work/src" "$work/orig" "$work/am"
mkdir -p "$work/src"
say "extracting $(basename "$tarball")"
tar -C "$work/src" --strip-components=1 -xf "$tarball"
tree=$work/src
mkdir -p "$work/orig"
(cd "$tree" && tar cf - $files) | tar -C "$work/orig" -xf -
version=$(make -s -C "$tree" kernelversion)
say "source is Linux $version"

# Apply (or with -R reverse-apply) one patch: full context first, then less,
# naming on stderr the hunks that needed less.  Prints the context used.
apply() {
	dir=$1 patch=$2
	shift 2
	for ctx in 3 2 1; do
		if (cd "$dir" && git apply --check -C$ctx "$@" "$patch") 2>"$work/apply.err"; then
			(cd "$dir" && git apply -C$ctx "$@" "$patch") 2>/dev/null
			[ $ctx = 3 ] || sed -n "s/^error: patch failed: \(.*\)/kernel-check:   \1: \
a context line there differs from 6.1.59; applied with $ctx lines of context/p" \
				"$work/apply.log" >&2
			echo $ctx
			return 0
		fi
		[ $ctx != 3 ] || cp "$work/apply.err" "$work/apply.log"
	done
	cat "$work/apply.err" >&2
	return 1
}

build() {
	say "compiling $objs ($1)"
	if ! make -s -C "$tree" -j"$jobs" $objs >"$work/build.log" 2>&1; then
		tail -40 "$work/build.log"
		die "compile failed ($1)"
	fi
	warnings=$(grep -c 'warning:' "$work/build.log" || true)
	[ "$warnings" = 0 ] || { grep 'warning:' "$work/build.log"; die "$warnings compiler warnings ($1)"; }
	for o in $objs; do
		[ -s "$tree/$o" ] || die "$o was not built ($1)"
	done
}

patches=$(ls "$series"/*.patch)
reversed=$(ls "$series"/*.patch | sort -r)
for p in $reversed; do
	ctx=$(apply "$tree" "$p" -R) || die "cannot reverse-apply $(basename "$p") to $version"
	say "reverse-applied $(basename "$p") (context $ctx lines)"
done

# The affected code is back: KVM_SET_CPUID2 narrows user_xfeatures, the copy has no mask.
grep -q 'fpstate->user_xfeatures = vcpu->arch.guest_supported_xcr0' "$tree/arch/x86/kvm/cpuid.c" ||
	die "the reverse-applied cpuid.c does not narrow user_xfeatures"
grep -q 'unsigned int size, u32 pkru);' "$tree/arch/x86/include/asm/fpu/api.h" ||
	die "the reverse-applied api.h still has the xfeatures parameter"
# (xstate.c has another "if (!guest_fpu)" in __xfd_enable_feature(): look for the guarded line.)
grep -A1 'if (!guest_fpu)$' "$tree/arch/x86/kernel/fpu/xstate.c" |
	grep -q 'newfps->user_xfeatures = curfps->user_xfeatures | xfeatures;' ||
	die "the reverse-applied fpstate_realloc() lacks the guest_fpu guard"
say "affected code recreated (6.1.0-6.1.59 behaviour: KVM_SET_CPUID2 narrows user_xfeatures)"

say "configuring x86_64 defconfig + KVM, KVM_INTEL, KVM_AMD"
make -s -C "$tree" x86_64_defconfig >/dev/null
"$tree/scripts/config" --file "$tree/.config" -e VIRTUALIZATION -e KVM -e KVM_INTEL -e KVM_AMD
make -s -C "$tree" olddefconfig >/dev/null
grep -q '^CONFIG_KVM=y' "$tree/.config" || die "KVM is not enabled in the config"
build "affected"

# git am in a repository of the touched files, as a user would on 6.1.59.
mkdir -p "$work/am"
(cd "$tree" && tar cf - $files) | tar -C "$work/am" -xf -
(
	cd "$work/am"
	git init -q
	git -c user.name=check -c user.email=check@invalid add -A
	git -c user.name=check -c user.email=check@invalid commit -qm affected
)

n=0
for p in $patches; do
	n=$((n + 1))
	ctx=$(apply "$tree" "$p") || die "cannot apply $(basename "$p")"
	(cd "$work/am" && git -c user.name=check -c user.email=check@invalid am -q -C"$ctx" "$p") \
		2>"$work/am.log" || { cat "$work/am.log"; die "git am -C$ctx refused $(basename "$p")"; }
	say "applied $(basename "$p") (context $ctx lines; git am too)"
	build "after patch $n"
done
for f in $files; do
	cmp -s "$work/orig/$f" "$tree/$f" || die "$f differs from $version after the series"
	cmp -s "$work/orig/$f" "$work/am/$f" || die "$f (git am) differs from $version after the series"
done
subjects=$(cd "$work/am" && git log --format=%s HEAD~$n.. | sed 's/^/    /')
say "git am made the commits:"
printf '%s\n' "$subjects"
say "ok: the series reverse-applies to $version, compiles before and after each patch, and gives $version back"
