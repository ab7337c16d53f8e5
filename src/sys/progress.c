// SPDX-License-Identifier: MIT
/* Progress on stderr: see progress.h. */
#include <stdbool.h>
#include <stdio.h>
#include <time.h>
#include <unistd.h>

#include "sys/progress.h"

static struct {
	bool on;		/* this work may show progress */
	bool shown;		/* a line is on the terminal */
	const char *path, *what;
	uint64_t total, next;	/* next: the byte count at which to look at the clock again */
	double t0, last;
} P;

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void human(char *out, size_t len, double v)
{
	static const char *const unit[] = { "B", "KiB", "MiB", "GiB", "TiB" };
	unsigned u = 0;

	while (v >= 1024 && u < 4) {
		v /= 1024;
		u++;
	}
	snprintf(out, len, u ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

void progress_start(const char *path, const char *what, uint64_t total, int mode)
{
	P.on = mode > 0 || (mode < 0 && isatty(STDERR_FILENO));
	P.shown = false;
	P.path = path;
	P.what = what;
	P.total = total;
	P.next = 1u << 20;
	if (P.on)
		P.t0 = P.last = now();
}

void progress_update(uint64_t done)
{
	char d[32], t[32], r[32], left[32] = "";
	double tm, rate;

	if (!P.on || done < P.next)
		return;
	P.next = done + (1u << 20);
	tm = now();
	if (tm - P.t0 < 1.0 || tm - P.last < 0.25)
		return;
	P.last = tm;
	rate = (double)done / (tm - P.t0);
	human(d, sizeof(d), (double)done);
	human(r, sizeof(r), rate);
	if (P.total && done <= P.total) {
		human(t, sizeof(t), (double)P.total);
		if (rate > 0)
			snprintf(left, sizeof(left), ", %.0f s left",
				 (double)(P.total - done) / rate + 0.5);
		fprintf(stderr, "\r\033[K%s: %s %s of %s (%.0f%%), %s/s%s", P.path, P.what, d, t,
			100.0 * (double)done / (double)P.total, r, left);
	} else {
		fprintf(stderr, "\r\033[K%s: %s %s, %s/s", P.path, P.what, d, r);
	}
	fflush(stderr);
	P.shown = true;
}

void progress_phase(const char *what)
{
	if (!P.on)
		return;
	/* shown at once where a line is up, else once the work has run a second */
	if (P.shown || now() - P.t0 >= 1.0) {
		fprintf(stderr, "\r\033[K%s: %s", P.path, what);
		fflush(stderr);
		P.shown = true;
	}
}

void progress_end(void)
{
	if (P.shown) {
		fputs("\r\033[K", stderr);
		fflush(stderr);
	}
	P.on = P.shown = false;
}
