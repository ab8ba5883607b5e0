/*
 * Virtual memory maps: the address space of a task or of the kernel.
 *
 * Layouts are X15's on x86_64: struct vm_map_entry is 80 bytes and struct
 * vm_map 112. Functions return 0 or an X15 error code; preconditions are
 * checked with assertions.
 */

#ifndef _VM_VM_MAP_H
#define _VM_VM_MAP_H

#include <kern/list.h>
#include <kern/mutex.h>
#include <kern/rbtree.h>
#include <kern/stdint.h>
#include <machine/pmap.h>
#include <vm/vm_object.h>

/*
 * Mapping flags. NOMERGE is also stored in entries; FIXED never is.
 */
#define VM_MAP_NOMERGE 0x10000
#define VM_MAP_FIXED   0x20000

/*
 * Pack protection, maximum protection, inheritance, advice and mapping flags.
 */
#define VM_MAP_FLAGS(prot, maxprot, inherit, advice, mapflags) \
    ((prot) | ((maxprot) << 4) | ((inherit) << 8) | ((advice) << 12) | (mapflags))

#define VM_MAP_ENTRY_MASK (VM_MAP_NOMERGE | 0xffff)

#define VM_MAP_PROT(flags)    ((flags) & 0xf)
#define VM_MAP_MAXPROT(flags) (((flags) & 0xf0) >> 4)
#define VM_MAP_INHERIT(flags) (((flags) & 0xf00) >> 8)
#define VM_MAP_ADVICE(flags)  (((flags) & 0xf000) >> 12)

/*
 * A mapping: [start, end) of the map, backed by object from offset (or a
 * null mapping when object is NULL).
 */
struct vm_map_entry {
    struct list list_node;
    struct rbtree_node tree_node;
    unsigned long start;
    unsigned long end;
    struct vm_object *object;
    uint64_t offset;
    int flags;
};

/*
 * An address space: entries both in a sorted list and in a tree, the lookup
 * and find caches, and the physical map.
 */
struct vm_map {
    struct mutex lock;
    struct list entry_list;
    struct rbtree entry_tree;
    unsigned int nr_entries;
    unsigned long start;
    unsigned long end;
    size_t size;
    struct vm_map_entry *lookup_cache;
    unsigned long find_cache;
    size_t find_cache_threshold;
    struct pmap *pmap;
};

int vm_map_enter(struct vm_map *map, struct vm_object *object, uint64_t offset,
                 unsigned long *startp, size_t size, size_t align, int flags);
void vm_map_remove(struct vm_map *map, unsigned long start, unsigned long end);
int vm_map_fault(struct vm_map *map, unsigned long addr, int access);
void vm_map_setup(void);
int vm_map_create(struct vm_map **mapp);
void vm_map_info(struct vm_map *map);

#endif /* _VM_VM_MAP_H */
