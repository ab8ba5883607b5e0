/*
 * Intrusive circular doubly linked lists with a head node.
 *
 * A list is a head node whose neighbours are the first and last elements;
 * an empty list's head points to itself. Elements embed a struct list and
 * are recovered with list_entry(). Nothing here can fail.
 */

#ifndef _KERN_LIST_H
#define _KERN_LIST_H

#include <kern/macros.h>
#include <kern/stddef.h>

/*
 * Instrumentation of this header (vm-diff's, not X15's and not the seed's):
 * every list_next() of an operation counts one step, and past the budget
 * the harness sets, the entry layer panics through its usual path (see
 * cref_list_step in csrc/entry.c), so that a walk that never ends, such as
 * a search over a list corrupted into a cycle, becomes an outcome instead
 * of a hang. Below the budget nothing changes.
 */
void cref_list_step(void);

struct list {
    struct list *prev;
    struct list *next;
};

/*
 * The structure of the given type that embeds the list node.
 */
#define list_entry(node, type, member) structof(node, type, member)

static inline void
list_init(struct list *list)
{
    list->prev = list;
    list->next = list;
}

static inline struct list *
list_first(const struct list *list)
{
    return list->next;
}

static inline struct list *
list_last(const struct list *list)
{
    return list->prev;
}

static inline struct list *
list_next(const struct list *node)
{
    cref_list_step();
    return node->next;
}

static inline struct list *
list_prev(const struct list *node)
{
    return node->prev;
}

/*
 * True when node is the list's head, i.e. a walk has gone past either end.
 */
static inline int
list_end(const struct list *list, const struct list *node)
{
    return list == node;
}

static inline int
list_empty(const struct list *list)
{
    return list == list->next;
}

/*
 * Link node between two adjacent nodes.
 */
static inline void
list_link_between(struct list *prev, struct list *node, struct list *next)
{
    node->prev = prev;
    node->next = next;
    prev->next = node;
    next->prev = node;
}

static inline void
list_insert_head(struct list *list, struct list *node)
{
    list_link_between(list, node, list->next);
}

static inline void
list_insert_tail(struct list *list, struct list *node)
{
    list_link_between(list->prev, node, list);
}

/*
 * Insert node right before next.
 */
static inline void
list_insert_before(struct list *next, struct list *node)
{
    list_link_between(next->prev, node, next);
}

/*
 * Insert node right after prev.
 */
static inline void
list_insert_after(struct list *prev, struct list *node)
{
    list_link_between(prev, node, prev->next);
}

static inline void
list_remove(struct list *node)
{
    node->prev->next = node->next;
    node->next->prev = node->prev;
}

/*
 * Walk the list's nodes in order; node must not be removed during the walk.
 */
#define list_for_each(list, node)                                       \
    for (node = list_first(list); !list_end(list, node);               \
         node = list_next(node))

/*
 * Walk the structures embedding the list's nodes in order.
 */
#define list_for_each_entry(list, entry, member)                        \
    for (entry = list_entry(list_first(list), __typeof__(*entry), member); \
         !list_end(list, &entry->member);                              \
         entry = list_entry(list_next(&entry->member),                 \
                            __typeof__(*entry), member))

#endif /* _KERN_LIST_H */
