/*
 * Run-time assertions, always active in the reference.
 *
 * A failed assertion is a panic whose message is exactly
 * "assertion failed: " followed by the expression as written in the source
 * (stringified, macros unexpanded), so that the harness can tell which
 * assertion fired.
 */

#ifndef _KERN_ASSERT_H
#define _KERN_ASSERT_H

#ifdef NDEBUG
#error "the reference must be built with assertions on (NDEBUG is defined)"
#endif

#include <kern/macros.h>
#include <kern/panic.h>

#define assert(expression)                                      \
    do {                                                        \
        if (unlikely(!(expression)))                            \
            panic("assertion failed: %s", #expression);         \
    } while (0)

#endif /* _KERN_ASSERT_H */
