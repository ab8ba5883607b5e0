/*
 * The slab allocator as vm_map.c sees it.
 *
 * The slabs themselves are modelled by the simulated machine. A struct
 * kmem_cache here only remembers the machine's id for the cache and the
 * slab functions vm_map.c gave it. kmem_cache_init() tells the machine the
 * cache's back end (its own functions, the kentry back end, or with NULL
 * functions the default one, vm_kmem), and the machine names that back end
 * whenever the cache needs a slab or a reap gives one back; the glue
 * follows the machine's answer. kmem_cache_alloc() returns NULL when the
 * back end (or the fault plan) fails.
 */

#ifndef _KERN_KMEM_H
#define _KERN_KMEM_H

#include <kern/stddef.h>
#include <kern/stdint.h>

#define KMEM_CACHE_NOCPUPOOL 0x1
#define KMEM_CACHE_NOOFFSLAB 0x2
#define KMEM_CACHE_VERIFY    0x4

typedef void (*kmem_cache_ctor_t)(void *obj);
typedef unsigned long (*kmem_slab_alloc_fn_t)(size_t slab_size);
typedef void (*kmem_slab_free_fn_t)(unsigned long va, size_t slab_size);

struct kmem_cache {
    uint32_t id;
    kmem_slab_alloc_fn_t slab_alloc_fn;
    kmem_slab_free_fn_t slab_free_fn;
};

void kmem_cache_init(struct kmem_cache *cache, const char *name,
                     size_t obj_size, size_t align, kmem_cache_ctor_t ctor,
                     kmem_slab_alloc_fn_t slab_alloc_fn,
                     kmem_slab_free_fn_t slab_free_fn, int flags);

/*
 * The size of the cache's slabs, in bytes.
 */
size_t kmem_cache_slab_size(struct kmem_cache *cache);

void * kmem_cache_alloc(struct kmem_cache *cache);
void kmem_cache_free(struct kmem_cache *cache, void *obj);

#endif /* _KERN_KMEM_H */
