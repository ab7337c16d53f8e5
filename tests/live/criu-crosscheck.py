#!/usr/bin/env python3
# SPDX-License-Identifier: MIT
"""Every register xsavectl reads from a CRIU core image against CRIU's own view of it.

usage: criu-crosscheck.py CRIT_JSON XSAVECTL_JSON TID

CRIT_JSON is `crit show core-TID.img` (CRIU's decoder of its own images),
XSAVECTL_JSON `xsavectl inspect -r --json --thread TID DIR`.  Prints one line
per field checked and exits 1 on the first difference.
"""
import json
import sys


def words(ws, width):
    """The little-endian number a run of array elements of @width bits spells."""
    v = 0
    for i, w in enumerate(ws):
        v |= int(w) << (width * i)
    return v


def main():
    crit = json.load(open(sys.argv[1]))
    doc = json.load(open(sys.argv[2]))
    tid = int(sys.argv[3])
    states = [s for i in doc["inputs"] for s in i["states"] if s.get("thread") == tid]
    if len(states) != 1:
        sys.exit("thread %d: %d states in xsavectl's output" % (tid, len(states)))
    st = states[0]
    r = st["registers"]
    fp = crit["entries"][0]["thread_info"]["fpregs"]
    xs = fp.get("xsave", {})
    n = 0

    def same(name, want, got):
        nonlocal n
        if want != got:
            sys.exit("thread %d: %s: crit 0x%x, xsavectl 0x%x" % (tid, name, want, got))
        n += 1

    num = lambda s: int(s, 16) if isinstance(s, str) else int(s)
    same("fcw/cwd", fp["cwd"], num(r["fcw"]))
    same("fsw/swd", fp["swd"], num(r["fsw"]))
    same("fop", fp["fop"], num(r["fop"]))
    same("fip/rip", fp["rip"], num(r["fip"]))
    same("fdp/rdp", fp["rdp"], num(r["fdp"]))
    same("mxcsr", fp["mxcsr"], num(r["mxcsr"]))
    same("mxcsr_mask", fp["mxcsr_mask"], num(st["mxcsr_mask"]))
    # the full tag word: a register is empty (11) exactly where the abridged bit is clear
    for i in range(8):
        same("ftw reg %d empty" % i, 0 if fp["twd"] >> i & 1 else 3,
             3 if (num(r["ftw"]) >> (2 * i) & 3) == 3 else 0)
    for i in range(8):
        same("st%d" % i, words(fp["st_space"][4 * i:4 * i + 4], 32) & ((1 << 80) - 1),
             num(r["st%d" % i]))
    for i in range(16):
        same("xmm%d" % i, words(fp["xmm_space"][4 * i:4 * i + 4], 32), num(r["xmm%d" % i]))
    if not xs:
        print("ok thread %d: %d fields (no xsave entry)" % (tid, n))
        return
    same("xstate_bv", xs["xstate_bv"], num(st["xstate_bv"]))
    if "ymmh_space" in xs:
        for i in range(16):
            hi = words(xs["ymmh_space"][4 * i:4 * i + 4], 32)
            same("ymm%d" % i, hi << 128 | words(fp["xmm_space"][4 * i:4 * i + 4], 32),
                 num(r["ymm%d" % i]))
    if "opmask_reg" in xs:
        for i in range(8):
            same("k%d" % i, int(xs["opmask_reg"][i]), num(r["k%d" % i]))
    if "zmm_upper" in xs:
        for i in range(16):
            lo = num(r["ymm%d" % i])
            same("zmm%d" % i, words(xs["zmm_upper"][4 * i:4 * i + 4], 64) << 256 | lo,
                 num(r["zmm%d" % i]))
    if "hi16_zmm" in xs:
        for i in range(16):
            same("zmm%d" % (16 + i), words(xs["hi16_zmm"][8 * i:8 * i + 8], 64),
                 num(r["zmm%d" % (16 + i)]))
    if "pkru" in xs and "pkru" in r:
        same("pkru", int(xs["pkru"][0]), num(r["pkru"]))
    print("ok thread %d: %d fields agree with crit" % (tid, n))


main()
