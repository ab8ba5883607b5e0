/*
 * Machine parameters of X15 on x86_64 (LP64).
 *
 * The kernel map's bounds are not constants here: vm_map.c dereferences
 * kernel addresses itself, so in a user-space process they must be host
 * addresses the process can touch. The simulated machine chooses them and
 * the entry layer stores them in these two variables before vm_map_setup()
 * runs.
 */

#ifndef _KERN_PARAM_H
#define _KERN_PARAM_H

#define PAGE_SHIFT 12
#define PAGE_SIZE  (1UL << PAGE_SHIFT)
#define PAGE_MASK  (PAGE_SIZE - 1)

/*
 * User address space.
 */
#define VM_MIN_ADDRESS 0UL
#define VM_MAX_ADDRESS 0x0000800000000000UL

/*
 * Kernel address space, as chosen by the simulated machine.
 */
extern unsigned long cref_kernel_min_address;
extern unsigned long cref_kernel_max_address;

#define VM_MIN_KERNEL_ADDRESS cref_kernel_min_address
#define VM_MAX_KERNEL_ADDRESS cref_kernel_max_address

/*
 * Size of the virtual area reserved for the kernel map's own entries.
 */
#define VM_MAP_KENTRY_SIZE 0x800000UL

#endif /* _KERN_PARAM_H */
