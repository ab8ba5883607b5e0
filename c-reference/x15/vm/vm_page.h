/*
 * Physical page descriptors.
 *
 * The descriptors belong to the simulated machine, which hands out stable
 * pointers to them; their layout matches its #[repr(C)] VmPage.
 */

#ifndef _VM_VM_PAGE_H
#define _VM_VM_PAGE_H

#include <kern/macros.h>
#include <kern/param.h>
#include <machine/types.h>

#define vm_page_trunc(addr)   P2ALIGN(addr, PAGE_SIZE)
#define vm_page_round(addr)   P2ROUND(addr, PAGE_SIZE)
#define vm_page_aligned(addr) P2ALIGNED(addr, PAGE_SIZE)

struct vm_page {
    phys_addr_t phys_addr;
};

static inline phys_addr_t
vm_page_to_pa(const struct vm_page *page)
{
    return page->phys_addr;
}

#endif /* _VM_VM_PAGE_H */
