/*
 * The X15 kernel services vm_map.c calls, written as thin forwarders to the
 * simulated machine (see cref_env.h): each converts its arguments, makes
 * exactly one call into the machine, and converts the answer back, so that
 * the machine's trace matches the port's call for call.
 *
 * The only logic here is X15's own small glue that calls back into vm_map.c
 * (kmem_cache_alloc, vm_kmem_alloc, vm_kmem_free, and the harness's reap),
 * written step for step as ARCHITECTURE.md gives it, and the panic of pmap_kgrow. Failures are
 * reported the X15 way: NULL, 0 or an error code, or a panic where X15
 * panicked.
 */

#include <stdarg.h>
#include <stdio.h>

#include <kern/assert.h>
#include <kern/error.h>
#include <kern/kmem.h>
#include <kern/macros.h>
#include <kern/panic.h>
#include <kern/param.h>
#include <kern/printk.h>
#include <kern/stddef.h>
#include <kern/stdint.h>
#include <machine/pmap.h>
#include <vm/vm_adv.h>
#include <vm/vm_inherit.h>
#include <vm/vm_kmem.h>
#include <vm/vm_map.h>
#include <vm/vm_object.h>
#include <vm/vm_page.h>
#include <vm/vm_phys.h>
#include <vm/vm_prot.h>

#include "cref.h"
#include "cref_env.h"
#include "cref_internal.h"

/*
 * One pmap per map at most: the kernel's and one per user map.
 */
#define CREF_MAX_PMAPS (1 + CREF_MAX_USER_MAPS)

/*
 * vm_map_setup() creates three caches; a few more slots cost nothing.
 */
#define CREF_MAX_CACHES 8

/*
 * Longest console text of one printk() call; vm_map.c's lines are far
 * shorter, and longer text is truncated.
 */
#define CREF_PRINTK_BUFFER_SIZE 512

unsigned long cref_kernel_min_address;
unsigned long cref_kernel_max_address;
int cref_host_failure;

static struct vm_map cref_kernel_map_store;
struct vm_map *kernel_map = &cref_kernel_map_store;

static struct pmap cref_pmaps[CREF_MAX_PMAPS];
struct pmap *kernel_pmap = &cref_pmaps[0];

static struct kmem_cache *cref_caches[CREF_MAX_CACHES];

/*
 * The size of each cache's objects, as kmem_cache_init() was told.
 */
static size_t cref_cache_object_sizes[CREF_MAX_CACHES];

/*
 * AddressSanitizer, when the C is built with it (the fuzz builds): an
 * object a cache takes back is poisoned until the cache hands it out
 * again, so that vm_map.c's use of an entry or a map it freed is reported
 * where it happens. Without this, a freed object keeps its old contents
 * (the machine never writes into objects), and a use after free gives the
 * values it would have given before: no oracle could see it. The static
 * entries are never poisoned (they are not the cache's to take back). The
 * poisoned range is forgotten at each set-up, so that what one program
 * freed never reports in the next.
 */
#if defined(__SANITIZE_ADDRESS__)
#define CREF_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define CREF_ASAN 1
#endif
#endif

#ifdef CREF_ASAN
void __asan_poison_memory_region(void const volatile *addr, size_t size);
void __asan_unpoison_memory_region(void const volatile *addr, size_t size);

/*
 * The lowest and highest address poisoned since the last set-up.
 */
static unsigned long cref_poisoned_low = (unsigned long)-1;
static unsigned long cref_poisoned_high;

static void
cref_poison(const void *obj, size_t size)
{
    unsigned long start = (unsigned long)obj;

    __asan_poison_memory_region(obj, size);

    if (start < cref_poisoned_low)
        cref_poisoned_low = start;

    if (start + size > cref_poisoned_high)
        cref_poisoned_high = start + size;
}

static void
cref_unpoison(const void *obj, size_t size)
{
    __asan_unpoison_memory_region(obj, size);
}

static void
cref_unpoison_all(void)
{
    if (cref_poisoned_low < cref_poisoned_high)
        __asan_unpoison_memory_region((const void *)cref_poisoned_low,
                                      cref_poisoned_high - cref_poisoned_low);

    cref_poisoned_low = (unsigned long)-1;
    cref_poisoned_high = 0;
}
#else /* CREF_ASAN */
static void
cref_poison(const void *obj, size_t size)
{
    (void)obj;
    (void)size;
}

static void
cref_unpoison(const void *obj, size_t size)
{
    (void)obj;
    (void)size;
}

static void
cref_unpoison_all(void)
{
}
#endif /* CREF_ASAN */

void
cref_services_reset(void)
{
    unsigned int i;

    cref_unpoison_all();

    for (i = 0; i < CREF_MAX_CACHES; i++) {
        cref_caches[i] = NULL;
        cref_cache_object_sizes[i] = 0;
    }

    cref_pmaps[0].id = 0;
    cref_host_failure = 0;
}

void
cref_check_host(void)
{
    if (unlikely(cref_host_failure))
        panic("cref: the simulated machine failed during a service call");
}

struct kmem_cache *
cref_cache_by_id(uint32_t id)
{
    return (id < CREF_MAX_CACHES) ? cref_caches[id] : NULL;
}

/*
 * Console.
 */

int
printk(const char *format, ...)
{
    static char buffer[CREF_PRINTK_BUFFER_SIZE];
    va_list ap;
    int length;
    size_t stored;

    va_start(ap, format);
    length = vsnprintf(buffer, sizeof(buffer), format, ap);
    va_end(ap);

    if (length < 0)
        return length;

    stored = MIN((size_t)length, sizeof(buffer) - 1);
    cref_env_console(buffer, stored);
    cref_check_host();
    return length;
}

/*
 * Physical pages.
 */

struct vm_page *
vm_phys_alloc(unsigned int order)
{
    struct vm_page *page;

    page = cref_env_phys_alloc(order);
    cref_check_host();
    return page;
}

void
vm_phys_free(struct vm_page *page, unsigned int order)
{
    cref_env_phys_free(vm_page_to_pa(page), order);
    cref_check_host();
}

struct vm_page *
vm_phys_lookup_page(phys_addr_t pa)
{
    struct vm_page *page;

    page = cref_env_phys_lookup(pa);
    cref_check_host();
    return page;
}

/*
 * Physical maps.
 */

void
pmap_kenter(unsigned long va, phys_addr_t pa, int prot)
{
    cref_env_pmap_kenter(va, pa, prot);
    cref_check_host();
}

void
pmap_kremove(unsigned long start, unsigned long end)
{
    cref_env_pmap_kremove(start, end);
    cref_check_host();
}

void
pmap_kgrow(unsigned long end)
{
    int grown;

    grown = cref_env_pmap_kgrow(end);
    cref_check_host();

    if (!grown)
        panic("pmap: no page available to grow kernel space");
}

unsigned long
pmap_klimit(void)
{
    unsigned long limit;

    limit = cref_env_pmap_klimit();
    cref_check_host();
    return limit;
}

int
pmap_enter(struct pmap *pmap, unsigned long va, phys_addr_t pa, int prot)
{
    int error;

    error = cref_env_pmap_enter(pmap->id, va, pa, prot);
    cref_check_host();
    return error;
}

phys_addr_t
pmap_extract(struct pmap *pmap, unsigned long va)
{
    phys_addr_t pa;

    pa = cref_env_pmap_extract(pmap->id, va);
    cref_check_host();
    return pa;
}

void
pmap_update(struct pmap *pmap, unsigned long start, unsigned long end)
{
    cref_env_pmap_update(pmap->id, start, end);
    cref_check_host();
}

int
pmap_create(struct pmap **pmapp)
{
    uint32_t id;
    int error;

    error = cref_env_pmap_create(&id);
    cref_check_host();

    if (error)
        return error;

    /*
     * The entry layer creates at most CREF_MAX_USER_MAPS maps, each with
     * one pmap, so a dense id past the table means the machine misbehaved.
     */
    if (id >= CREF_MAX_PMAPS)
        panic("cref: pmap id %u beyond the pmap table", id);

    cref_pmaps[id].id = id;
    *pmapp = &cref_pmaps[id];
    return 0;
}

/*
 * Slab caches.
 */

void
kmem_cache_init(struct kmem_cache *cache, const char *name, size_t obj_size,
                size_t align, kmem_cache_ctor_t ctor,
                kmem_slab_alloc_fn_t slab_alloc_fn,
                kmem_slab_free_fn_t slab_free_fn, int flags)
{
    enum cref_back_end back_end;
    uint32_t id;

    /*
     * The model has no constructors; vm_map.c never passes one.
     */
    assert(ctor == NULL);

    back_end = (slab_alloc_fn != NULL) ? CREF_BACK_END_KENTRY
                                       : CREF_BACK_END_DEFAULT;
    id = cref_env_kmem_cache_init(name, obj_size, align, flags, back_end);
    cref_check_host();

    if (id >= CREF_MAX_CACHES)
        panic("cref: cache id %u beyond the cache table", id);

    cache->id = id;
    cache->slab_alloc_fn = slab_alloc_fn;
    cache->slab_free_fn = slab_free_fn;
    cref_caches[id] = cache;
    cref_cache_object_sizes[id] = obj_size;
}

size_t
kmem_cache_slab_size(struct kmem_cache *cache)
{
    size_t size;

    size = cref_env_kmem_cache_slab_size(cache->id);
    cref_check_host();
    return size;
}

/*
 * A new slab from the back end the machine named: the cache's own slab
 * function (vm_map.c's kentry allocator, static there, so reached through
 * the pointer vm_map.c registered) or vm_kmem_alloc(); 0 when it fails.
 */
static unsigned long
cref_back_end_alloc(struct kmem_cache *cache, enum cref_back_end back_end,
                    size_t size)
{
    if (back_end == CREF_BACK_END_DEFAULT)
        return vm_kmem_alloc(size);

    if ((back_end != CREF_BACK_END_KENTRY) || (cache->slab_alloc_fn == NULL))
        panic("cref: cache %u has no back end %d", cache->id, (int)back_end);

    return cache->slab_alloc_fn(size);
}

/*
 * Ask the machine for an object; when the cache needs a slab, get one from
 * the back end the machine names, hand it over and ask again.
 */
void *
kmem_cache_alloc(struct kmem_cache *cache)
{
    enum cref_back_end back_end;
    enum cref_take_kind kind;
    unsigned long value, va;

    for (;;) {
        kind = cref_env_kmem_cache_take(cache->id, &value, &back_end);
        cref_check_host();

        if (kind == CREF_TAKE_OBJECT) {
            cref_unpoison((void *)value, cref_cache_object_sizes[cache->id]);
            return (void *)value;
        }

        if (kind == CREF_TAKE_FAILED)
            return NULL;

        va = cref_back_end_alloc(cache, back_end, value);

        if (va == 0)
            return NULL;

        cref_env_kmem_cache_grow(cache->id, va);
        cref_check_host();
    }
}

/*
 * An empty slab back to the back end the machine named, the way
 * cref_back_end_alloc() got it.
 */
static void
cref_back_end_free(const struct cref_empty_slab *slab)
{
    struct kmem_cache *cache;

    if (slab->back_end == CREF_BACK_END_DEFAULT) {
        vm_kmem_free(slab->va, slab->size);
        return;
    }

    cache = cref_cache_by_id(slab->cache);

    if ((slab->back_end != CREF_BACK_END_KENTRY) || (cache == NULL)
        || (cache->slab_free_fn == NULL))
        panic("cref: reap returned a slab of cache %u without back end %d",
              slab->cache, (int)slab->back_end);

    cache->slab_free_fn(slab->va, slab->size);
}

/*
 * The harness's reap (X15 had none): detach empty slabs one by one and
 * return each to the back end the machine names.
 */
void
cref_reap_slabs(void)
{
    struct cref_empty_slab slab;
    int found;

    for (;;) {
        found = cref_env_kmem_reap_next(&slab);
        cref_check_host();

        if (!found)
            return;

        cref_back_end_free(&slab);
    }
}

/*
 * The seed's two static kernel entries live in host memory whose address
 * depends on where the process was loaded; a remove over them hands that
 * address to a cache. The machine and the port name them by the fixed
 * values below instead, so that traces and reports are the same on every
 * run (vm-rs's KERNEL_BOOT_ENTRY_ADDRESS and KENTRY_ENTRY_ADDRESS).
 */
#define CREF_KERNEL_BOOT_ENTRY_ADDRESS 0x1UL
#define CREF_KENTRY_ENTRY_ADDRESS      0x2UL

static unsigned long
cref_object_address(const void *obj)
{
    if (obj == (const void *)cref_kernel_boot_entry())
        return CREF_KERNEL_BOOT_ENTRY_ADDRESS;

    if (obj == (const void *)cref_kentry_entry())
        return CREF_KENTRY_ENTRY_ADDRESS;

    return (unsigned long)obj;
}

void
kmem_cache_free(struct kmem_cache *cache, void *obj)
{
    unsigned long address = cref_object_address(obj);

    cref_env_kmem_cache_free(cache->id, address);
    cref_check_host();

    if (address == (unsigned long)obj)
        cref_poison(obj, cref_cache_object_sizes[cache->id]);
}

/*
 * Kernel virtual memory.
 */

void
vm_kmem_boot_space(unsigned long *start, unsigned long *end)
{
    cref_env_boot_space(start, end);
    cref_check_host();
}

unsigned long
vm_kmem_alloc(size_t size)
{
    unsigned long va;
    int error, populated;

    size = vm_page_round(size);
    va = 0;
    error = vm_map_enter(kernel_map, NULL, 0, &va, size, 0,
                         VM_MAP_FLAGS(VM_PROT_ALL, VM_PROT_ALL,
                                      VM_INHERIT_NONE, VM_ADV_DEFAULT, 0));

    if (error)
        return 0;

    populated = cref_env_kmem_populate(va, size);
    cref_check_host();

    if (!populated) {
        vm_map_remove(kernel_map, va, va + size);
        return 0;
    }

    return va;
}

void
vm_kmem_free(unsigned long addr, size_t size)
{
    size = vm_page_round(size);
    cref_env_kmem_depopulate(addr, size);
    cref_check_host();
    vm_map_remove(kernel_map, addr, addr + size);
}

/*
 * Objects and the anonymous pager.
 */

struct vm_page *
vm_object_get(const struct vm_object *object, uint64_t offset)
{
    struct vm_page *page;

    page = cref_env_object_get(object->id, offset);
    cref_check_host();
    return page;
}

static void
cref_anon_ref(struct vm_object *object)
{
    (void)object;
}

static void
cref_anon_unref(struct vm_object *object)
{
    (void)object;
}

static int
cref_anon_get(struct vm_object *object, uint64_t offset,
              struct vm_page **pagep)
{
    int error;

    error = cref_env_pager_get(object->id, offset, pagep);
    cref_check_host();
    return error;
}

struct vm_object_pager cref_anon_pager = {
    .ref = cref_anon_ref,
    .unref = cref_anon_unref,
    .get = cref_anon_get,
};
