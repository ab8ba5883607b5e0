/*
 * size_t, NULL and offsetof for the X15 sources.
 *
 * The compiler's own freestanding <stddef.h> provides exactly X15's LP64
 * definitions (size_t is 64 bits), so this header defers to it rather than
 * repeating them, which keeps translation units that also include C library
 * headers free of conflicting definitions.
 */

#ifndef _KERN_STDDEF_H
#define _KERN_STDDEF_H

#include <stddef.h>

#endif /* _KERN_STDDEF_H */
