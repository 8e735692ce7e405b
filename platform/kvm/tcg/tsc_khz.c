/* tsc_khz.c: the host's TSC rate in kHz, for the TCG guest's tsc_early_khz= (run.sh).
 * Under TCG the guest's TSC is the host's, but the guest kernel calibrates it against an
 * emulated PIT, and on a loaded host that can be off by 10x ("PIT calibration deviates
 * from HPET: 269968 2596093"): the guest's clock then ran ~10x fast, and the ring-0
 * proof's in-guest time limits with it. Measured over 200 ms against CLOCK_MONOTONIC,
 * each end the tightest of a few bracketed readings. */
#include <stdint.h>
#include <stdio.h>
#include <time.h>
#include <x86intrin.h>

static void sample(uint64_t *tsc, int64_t *ns)
{
	uint64_t best = UINT64_MAX;

	for (int i = 0; i < 16; i++) {
		struct timespec ts;
		uint64_t a = __rdtsc();

		clock_gettime(CLOCK_MONOTONIC, &ts);
		uint64_t b = __rdtsc();
		if (b - a < best) {
			best = b - a;
			*tsc = a + (b - a) / 2;
			*ns = ts.tv_sec * 1000000000LL + ts.tv_nsec;
		}
	}
}

int main(void)
{
	struct timespec pause = { .tv_nsec = 200000000 };
	uint64_t t0, t1;
	int64_t n0, n1;

	sample(&t0, &n0);
	nanosleep(&pause, NULL);
	sample(&t1, &n1);
	if (n1 <= n0 || t1 <= t0)
		return 1;
	printf("%llu\n", (unsigned long long)((t1 - t0) * 1000000 / (uint64_t)(n1 - n0)));
	return 0;
}
