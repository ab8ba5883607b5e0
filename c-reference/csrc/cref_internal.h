/*
 * What the entry layer and the services share inside the C reference.
 */

#ifndef _CREF_INTERNAL_H
#define _CREF_INTERNAL_H

#include <kern/kmem.h>
#include <kern/stdint.h>
#include <vm/vm_object.h>

/*
 * The anonymous pager: get() asks the machine for a page for the object.
 */
extern struct vm_object_pager cref_anon_pager;

/*
 * Forget the caches and pmaps of the previous instance.
 */
void cref_services_reset(void);

/*
 * The cache the machine knows by this id, or NULL.
 */
struct kmem_cache * cref_cache_by_id(uint32_t id);

/*
 * The kernel glue of the reap: every empty slab back to its back end.
 */
void cref_reap_slabs(void);

/*
 * Panic if the machine failed during the last service call.
 */
void cref_check_host(void);

#endif /* _CREF_INTERNAL_H */
