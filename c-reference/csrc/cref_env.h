/*
 * The simulated machine as the C services reach it: functions defined in
 * Rust (c-reference/src/services.rs), one per Environment method, each
 * making exactly one call into the machine.
 *
 * They never unwind into C. If the machine itself panics, the Rust side
 * records it, sets cref_host_failure and returns a harmless value; the C
 * service that made the call then panics, which ends the operation.
 */

#ifndef _CREF_ENV_H
#define _CREF_ENV_H

#include <kern/stddef.h>
#include <kern/stdint.h>
#include <vm/vm_page.h>

/*
 * Answers of cref_env_kmem_cache_take().
 */
enum cref_take_kind {
    CREF_TAKE_OBJECT = 0,
    CREF_TAKE_NEED_SLAB = 1,
    CREF_TAKE_FAILED = 2,
};

/*
 * The back end that supplies a cache's slabs, as the machine names it in
 * its answers: the cache's own slab functions (vm_map.c's kentry allocator)
 * or the default one, vm_kmem_alloc() and vm_kmem_free(). The kernel glue
 * follows the machine's answer, as the port's glue does, instead of
 * deciding by itself which back end a cache has.
 */
enum cref_back_end {
    CREF_BACK_END_KENTRY = 0,
    CREF_BACK_END_DEFAULT = 1,
};

/*
 * An empty slab detached by a reap, to be returned to its back end.
 */
struct cref_empty_slab {
    uint32_t cache;
    unsigned long va;
    size_t size;
    enum cref_back_end back_end;
};

/*
 * Set by the Rust side when the machine panicked during a call; cleared by
 * cref_setup().
 */
extern int cref_host_failure;

void cref_env_boot_space(unsigned long *start, unsigned long *end);

struct vm_page * cref_env_phys_alloc(unsigned int order);
void cref_env_phys_free(uint64_t pa, unsigned int order);
struct vm_page * cref_env_phys_lookup(uint64_t pa);

void cref_env_pmap_kenter(unsigned long va, uint64_t pa, int prot);
void cref_env_pmap_kremove(unsigned long start, unsigned long end);

/*
 * Returns 0 when no page was left for a page table, 1 otherwise.
 */
int cref_env_pmap_kgrow(unsigned long end);
unsigned long cref_env_pmap_klimit(void);

/*
 * Returns 0 or an X15 error code.
 */
int cref_env_pmap_enter(uint32_t pmap, unsigned long va, uint64_t pa,
                        int prot);
uint64_t cref_env_pmap_extract(uint32_t pmap, unsigned long va);
void cref_env_pmap_update(uint32_t pmap, unsigned long start,
                          unsigned long end);

/*
 * Returns 0 and the new pmap's id, or an X15 error code.
 */
int cref_env_pmap_create(uint32_t *pmap);

/*
 * Returns the new cache's id. The machine remembers the cache's back end and
 * names it whenever the cache needs a slab or gives one back.
 */
uint32_t cref_env_kmem_cache_init(const char *name, size_t obj_size,
                                  size_t align, int flags,
                                  enum cref_back_end back_end);
size_t cref_env_kmem_cache_slab_size(uint32_t cache);

/*
 * One step of kmem_cache_alloc(): *value is the object's address for
 * CREF_TAKE_OBJECT and the slab size for CREF_TAKE_NEED_SLAB, when
 * *back_end also names the back end to ask for that slab.
 */
enum cref_take_kind cref_env_kmem_cache_take(uint32_t cache,
                                             unsigned long *value,
                                             enum cref_back_end *back_end);
void cref_env_kmem_cache_grow(uint32_t cache, unsigned long slab_va);
void cref_env_kmem_cache_free(uint32_t cache, unsigned long object_va);

/*
 * Returns 1 and the next empty slab, or 0 when there is none.
 */
int cref_env_kmem_reap_next(struct cref_empty_slab *slab);

/*
 * Returns 1 when every page of [va, va + size) got a page, 0 otherwise.
 */
int cref_env_kmem_populate(unsigned long va, size_t size);
void cref_env_kmem_depopulate(unsigned long va, size_t size);

uint32_t cref_env_object_create(void);
struct vm_page * cref_env_object_get(uint32_t object, uint64_t offset);

/*
 * Returns 0 and the page, or an X15 error code.
 */
int cref_env_pager_get(uint32_t object, uint64_t offset,
                       struct vm_page **pagep);

void cref_env_console(const char *text, size_t length);

#endif /* _CREF_ENV_H */
