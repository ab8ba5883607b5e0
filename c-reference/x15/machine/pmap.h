/*
 * Physical maps (page tables) of X15 on x86_64.
 *
 * The page tables live in the simulated machine; a struct pmap here only
 * holds the machine's id for it (0 is the kernel pmap). pmap_kgrow() panics
 * when no page is left for a page table; pmap_enter() and pmap_create()
 * return ERROR_NOMEM instead.
 */

#ifndef _X86_PMAP_H
#define _X86_PMAP_H

#include <kern/stdint.h>
#include <machine/types.h>

struct pmap {
    uint32_t id;
};

extern struct pmap *kernel_pmap;

/*
 * Kernel mappings: a leaf for va, cleared leaves over [start, end), page
 * tables up to past end, and the end of the range page tables cover.
 */
void pmap_kenter(unsigned long va, phys_addr_t pa, int prot);
void pmap_kremove(unsigned long start, unsigned long end);
void pmap_kgrow(unsigned long end);
unsigned long pmap_klimit(void);

int pmap_enter(struct pmap *pmap, unsigned long va, phys_addr_t pa, int prot);

/*
 * The physical address mapped at va, or 0 when there is none.
 */
phys_addr_t pmap_extract(struct pmap *pmap, unsigned long va);

void pmap_update(struct pmap *pmap, unsigned long start, unsigned long end);
int pmap_create(struct pmap **pmapp);

#endif /* _X86_PMAP_H */
