/*
 * Kernel virtual memory: the kernel map, the boot space, and the default
 * slab back end.
 *
 * vm_kmem_alloc() returns 0 when the kernel map has no room or a page is
 * missing (having undone its work).
 */

#ifndef _VM_VM_KMEM_H
#define _VM_VM_KMEM_H

#include <kern/stddef.h>

extern struct vm_map *kernel_map;

/*
 * The kernel range used before the VM system started, never empty.
 */
void vm_kmem_boot_space(unsigned long *start, unsigned long *end);

unsigned long vm_kmem_alloc(size_t size);
void vm_kmem_free(unsigned long addr, size_t size);

#endif /* _VM_VM_KMEM_H */
