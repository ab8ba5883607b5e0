/*
 * Machine-dependent types of X15 on x86_64.
 */

#ifndef _X86_TYPES_H
#define _X86_TYPES_H

typedef unsigned long phys_addr_t;

#endif /* _X86_TYPES_H */
