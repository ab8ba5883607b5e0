/*
 * General purpose macros of the X15 kernel, as vm_map.c and the reference
 * services use them.
 *
 * Written for vm-diff from the documented X15 semantics. The power-of-two
 * helpers work on unsigned values with wrap-around arithmetic, which the seed
 * relies on (P2ROUND wraps to 0 past the top of the address space).
 */

#ifndef _KERN_MACROS_H
#define _KERN_MACROS_H

#include <kern/stddef.h>

/*
 * A statement expression: a block whose last statement is its value.
 */
#define MACRO_BEGIN ({
#define MACRO_END })

#define XQUOTE(x) #x
#define QUOTE(x) XQUOTE(x)

#define ARRAY_SIZE(array) (sizeof(array) / sizeof((array)[0]))

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/*
 * Power-of-two arithmetic. The alignment a must be a power of two.
 */
#define P2ALIGNED(x, a) (((x) & ((a) - 1)) == 0)
#define ISP2(x)         P2ALIGNED(x, x)
#define P2ALIGN(x, a)   ((x) & -(a))
#define P2ROUND(x, a)   (-(-(x) & -(a)))
#define P2END(x, a)     (-(~(x) & -(a)))

/*
 * The address of the structure of the given type that embeds the member
 * ptr points to.
 */
#define structof(ptr, type, member) \
    ((type *)((char *)(ptr) - offsetof(type, member)))

#define likely(expr)   __builtin_expect(!!(expr), 1)
#define unlikely(expr) __builtin_expect(!!(expr), 0)

#define __noreturn             __attribute__((noreturn))
#define __aligned(x)           __attribute__((aligned(x)))
#define __format_printf(f, a)  __attribute__((format(printf, f, a)))

#endif /* _KERN_MACROS_H */
