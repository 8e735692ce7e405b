/* getrandom: lengths, non-repetition, flags and errnos. */
#include "harness.h"

#include <sys/random.h>

static int all_zero(const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (p[i])
			return 0;
	return 1;
}

static void getrandom_fills_requested_length(void)
{
	unsigned char a[64] = { 0 }, b[64] = { 0 };

	CHECK_EQ(getrandom(a, sizeof(a), 0), 64);
	CHECK_EQ(getrandom(b, sizeof(b), GRND_NONBLOCK), 64);
	CHECK(!all_zero(a, sizeof(a)));
	CHECK(memcmp(a, b, sizeof(a)) != 0);
}

static void getrandom_small_and_zero_lengths(void)
{
	unsigned char c[1];

	CHECK_EQ(getrandom(c, 1, 0), 1);
	CHECK_EQ(getrandom(c, 0, 0), 0);
}

static void getrandom_large_request_returns_bytes(void)
{
	static unsigned char big[1 << 20];
	ssize_t n = getrandom(big, sizeof(big), 0);

	/* Linux may return fewer bytes for large requests, but never none. */
	CHECK(n > 256);
	CHECK(n <= (ssize_t)sizeof(big));
}

static void getrandom_errors(void)
{
	unsigned char c[8];

	CHECK_ERR(syscall(SYS_getrandom, c, sizeof(c), 0x100), EINVAL);
	CHECK_ERR(syscall(SYS_getrandom, 1L, 8L, 0), EFAULT);
}

int main(void)
{
	h_begin();
	RUN(getrandom_fills_requested_length);
	RUN(getrandom_small_and_zero_lengths);
	RUN(getrandom_large_request_returns_bytes);
	RUN(getrandom_errors);
	return h_end();
}
