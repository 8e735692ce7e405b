/* uaddr.h: a typed application (guest) address, so host pointers and app addresses never mix. */
#ifndef RUNSC_SENTRY_ABI_UADDR_H
#define RUNSC_SENTRY_ABI_UADDR_H

#include <stdint.h>

typedef struct {
	uint64_t v;
} uaddr_t;

static inline uaddr_t uaddr(uint64_t v)
{
	return (uaddr_t){v};
}
static inline uaddr_t uaddr_add(uaddr_t a, uint64_t off)
{
	return (uaddr_t){a.v + off};
}
static inline int uaddr_is_null(uaddr_t a)
{
	return a.v == 0;
}

#endif
