/*
 * The physical page allocator. vm_phys_alloc() returns NULL when no page is
 * left (or the fault plan says so).
 */

#ifndef _VM_VM_PHYS_H
#define _VM_VM_PHYS_H

#include <machine/types.h>
#include <vm/vm_page.h>

struct vm_page * vm_phys_alloc(unsigned int order);
void vm_phys_free(struct vm_page *page, unsigned int order);

/*
 * The descriptor of the page at pa, or NULL when pa is not a page.
 */
struct vm_page * vm_phys_lookup_page(phys_addr_t pa);

#endif /* _VM_VM_PHYS_H */
