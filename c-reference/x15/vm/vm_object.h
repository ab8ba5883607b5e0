/*
 * Memory objects and their pagers.
 *
 * An object's page cache lives in the simulated machine; a struct vm_object
 * here holds its pager and the machine's id for it. A pager's get() returns
 * 0 and the page, or an error code (ERROR_NOMEM when no page is left).
 */

#ifndef _VM_VM_OBJECT_H
#define _VM_VM_OBJECT_H

#include <kern/stdint.h>
#include <vm/vm_page.h>

struct vm_object;

struct vm_object_pager {
    void (*ref)(struct vm_object *object);
    void (*unref)(struct vm_object *object);
    int (*get)(struct vm_object *object, uint64_t offset,
               struct vm_page **pagep);
};

struct vm_object {
    struct vm_object_pager *pager;
    uint32_t id;
};

/*
 * The page cached at offset, or NULL.
 */
struct vm_page * vm_object_get(const struct vm_object *object,
                               uint64_t offset);

#endif /* _VM_VM_OBJECT_H */
