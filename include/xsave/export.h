/* SPDX-License-Identifier: MIT */
/*
 * What libxsave exports: the functions declared between XS_BEGIN_DECLS and
 * XS_END_DECLS in its public headers.  The library is compiled with
 * -fvisibility=hidden and linked with lib/libxsave.sym (version
 * LIBXSAVE_0.1), so nothing else leaves it; C++ sees C linkage.
 */
#ifndef XSAVE_EXPORT_H
#define XSAVE_EXPORT_H

#if defined(__GNUC__) || defined(__clang__)
#define XS_EXPORT __attribute__((visibility("default")))
#define XS_PRAGMA_(x) _Pragma(#x)
#define XS_VISIBLE_BEGIN XS_PRAGMA_(GCC visibility push(default))
#define XS_VISIBLE_END XS_PRAGMA_(GCC visibility pop)
#else
#define XS_EXPORT
#define XS_VISIBLE_BEGIN
#define XS_VISIBLE_END
#endif

#ifdef __cplusplus
#define XS_BEGIN_DECLS extern "C" { XS_VISIBLE_BEGIN
#define XS_END_DECLS XS_VISIBLE_END }
#else
#define XS_BEGIN_DECLS XS_VISIBLE_BEGIN
#define XS_END_DECLS XS_VISIBLE_END
#endif

#endif
