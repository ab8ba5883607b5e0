/*
 * Fixed-width integer types, as X15 defined them for x86_64 (LP64).
 *
 * X15 defined the 64-bit types as long long, and vm_map.c prints an
 * uint64_t with "%llx", so these are X15's own definitions rather than the
 * C library's (which use long). A translation unit that includes this header
 * must therefore not also include the C library's <stdint.h> or
 * <sys/types.h>.
 */

#ifndef _KERN_STDINT_H
#define _KERN_STDINT_H

typedef signed char int8_t;
typedef unsigned char uint8_t;
typedef signed short int16_t;
typedef unsigned short uint16_t;
typedef signed int int32_t;
typedef unsigned int uint32_t;
typedef signed long long int64_t;
typedef unsigned long long uint64_t;

#endif /* _KERN_STDINT_H */
