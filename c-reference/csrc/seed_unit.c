/*
 * The seed's translation unit: vm_map.c compiled exactly as it is, followed
 * by read-only accessors to its private kentry state, which the snapshot of
 * the kentry table needs and which a separate file could not reach (they are
 * static). Nothing here changes or wraps the seed's code.
 */

#include <vm/vm_map.c>

#include "cref.h"

const struct vm_map_entry *
cref_kentry_entry(void)
{
    return &vm_map_kentry_entry;
}

const struct vm_map_entry *
cref_kernel_boot_entry(void)
{
    return &vm_map_kernel_entry;
}

unsigned long
cref_kentry_free_head(void)
{
    return (unsigned long)vm_map_kentry_free_slabs;
}

size_t
cref_kentry_slab_size(void)
{
    return vm_map_kentry_slab_size;
}
