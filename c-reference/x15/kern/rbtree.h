/*
 * Intrusive red-black trees with X15's interface.
 *
 * A node embeds no key: callers pass comparison functions. The parent word
 * of a node holds the parent's address with the node's colour in its lowest
 * bit (nodes are at least 2-byte aligned), so a node takes 24 bytes.
 *
 * Comparison functions return a negative value, 0 or a positive value, as
 * strcmp does. rbtree_insert() asserts that the new node compares unequal to
 * every node on its path (X15 behaviour); nothing else can fail.
 */

#ifndef _KERN_RBTREE_H
#define _KERN_RBTREE_H

#include <kern/assert.h>
#include <kern/macros.h>
#include <kern/stddef.h>

/*
 * Directions, also used as indexes of a node's children.
 */
#define RBTREE_LEFT  0
#define RBTREE_RIGHT 1

struct rbtree_node {
    unsigned long parent;
    struct rbtree_node *children[2];
};

struct rbtree {
    struct rbtree_node *root;
};

#define RBTREE_INITIALIZER { NULL }

/*
 * The structure of the given type that embeds the tree node.
 */
#define rbtree_entry(node, type, member) structof(node, type, member)

static inline void
rbtree_init(struct rbtree *tree)
{
    tree->root = NULL;
}

static inline int
rbtree_empty(const struct rbtree *tree)
{
    return tree->root == NULL;
}

/*
 * The child index to descend into for a non-zero comparison result.
 */
static inline int
rbtree_direction_of(int diff)
{
    return diff > 0 ? RBTREE_RIGHT : RBTREE_LEFT;
}

/*
 * Link node as child index of parent (or as the root when parent is NULL)
 * and restore the red-black properties. Used by rbtree_insert().
 */
void rbtree_insert_rebalance(struct rbtree *tree, struct rbtree_node *parent,
                             int index, struct rbtree_node *node);

/*
 * Unlink node from the tree and restore the red-black properties.
 */
void rbtree_remove(struct rbtree *tree, struct rbtree_node *node);

/*
 * The in-order neighbour of node in the given direction, or NULL.
 */
struct rbtree_node *rbtree_walk(struct rbtree_node *node, int direction);

/*
 * The leftmost (first) or rightmost (last) node, or NULL for an empty tree.
 */
struct rbtree_node *rbtree_first(const struct rbtree *tree);
struct rbtree_node *rbtree_last(const struct rbtree *tree);

/*
 * The result of a search that ended below parent, where the key would have
 * been at child index of parent: the nearest node in the given direction.
 * Used by rbtree_lookup_nearest().
 */
struct rbtree_node *rbtree_nearest(struct rbtree_node *parent, int index,
                                   int direction);

#define rbtree_next(node) rbtree_walk(node, RBTREE_RIGHT)
#define rbtree_prev(node) rbtree_walk(node, RBTREE_LEFT)

/*
 * The descent both macros below make, as statements declaring their cursor:
 * from the root, compare key with each node by cmp_fn(key, node) and go
 * down the side the comparison names, until a node compares equal or the
 * descent falls off a leaf. rbtree_cursor_ is then the equal node or NULL;
 * rbtree_parent_ and rbtree_index_ say where key would be linked, and
 * rbtree_diff_ is 0 exactly when an equal node stopped it.
 */
#define rbtree_descend_(tree, key, cmp_fn)                                  \
    struct rbtree_node *rbtree_parent_ = NULL;                              \
    struct rbtree_node *rbtree_cursor_ = (tree)->root;                      \
    int rbtree_index_ = RBTREE_LEFT;                                        \
    int rbtree_diff_ = 1;                                                   \
                                                                            \
    while (rbtree_cursor_ != NULL) {                                        \
        rbtree_diff_ = cmp_fn(key, rbtree_cursor_);                         \
                                                                            \
        if (rbtree_diff_ == 0)                                              \
            break;                                                          \
                                                                            \
        rbtree_parent_ = rbtree_cursor_;                                    \
        rbtree_index_ = rbtree_direction_of(rbtree_diff_);                  \
        rbtree_cursor_ = rbtree_cursor_->children[rbtree_index_];           \
    }

/*
 * Insert node, placing it with cmp_fn(node, other). Equal nodes are not
 * allowed (the assertion's text is what vm-rs's precondition
 * TreeInsertUnequal reproduces).
 */
#define rbtree_insert(tree, node, cmp_fn)                                   \
MACRO_BEGIN                                                                 \
    rbtree_descend_(tree, node, cmp_fn)                                     \
    assert(rbtree_diff_ != 0);                                              \
    rbtree_insert_rebalance(tree, rbtree_parent_, rbtree_index_, node);     \
MACRO_END

/*
 * Look up key, descending with cmp_fn(key, node). Return the node comparing
 * equal to key; when there is none, return the nearest node in the given
 * direction from where key would be (RBTREE_RIGHT: the smallest node greater
 * than key), or NULL.
 */
#define rbtree_lookup_nearest(tree, key, cmp_fn, direction)                 \
MACRO_BEGIN                                                                 \
    rbtree_descend_(tree, key, cmp_fn)                                      \
                                                                            \
    if (rbtree_cursor_ == NULL)                                             \
        rbtree_cursor_ = rbtree_nearest(rbtree_parent_, rbtree_index_,      \
                                        direction);                         \
                                                                            \
    rbtree_cursor_;                                                         \
MACRO_END

#endif /* _KERN_RBTREE_H */
