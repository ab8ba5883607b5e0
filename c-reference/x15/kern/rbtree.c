/*
 * Red-black trees: the out-of-line half of kern/rbtree.h.
 *
 * Written for vm-diff. The tree keeps the usual properties: the root is
 * black, a red node has no red child, and every path from a node down to a
 * missing child crosses the same number of black nodes. A node's colour is
 * the lowest bit of its parent word. Nothing here can fail.
 */

#include <kern/macros.h>
#include <kern/rbtree.h>
#include <kern/stddef.h>

#define RBTREE_RED        0UL
#define RBTREE_BLACK      1UL
#define RBTREE_COLOR_MASK 1UL

static inline int
rbtree_opposite(int direction)
{
    return 1 - direction;
}

static inline struct rbtree_node *
rbtree_parent(const struct rbtree_node *node)
{
    return (struct rbtree_node *)(node->parent & ~RBTREE_COLOR_MASK);
}

static inline unsigned long
rbtree_color(const struct rbtree_node *node)
{
    return node->parent & RBTREE_COLOR_MASK;
}

/*
 * Missing children count as black, which is what the properties require.
 */
static inline int
rbtree_is_red(const struct rbtree_node *node)
{
    return (node != NULL) && (rbtree_color(node) == RBTREE_RED);
}

static inline int
rbtree_is_black(const struct rbtree_node *node)
{
    return !rbtree_is_red(node);
}

static inline void
rbtree_set_parent(struct rbtree_node *node, struct rbtree_node *parent)
{
    node->parent = (unsigned long)parent | rbtree_color(node);
}

static inline void
rbtree_set_color(struct rbtree_node *node, unsigned long color)
{
    node->parent = (node->parent & ~RBTREE_COLOR_MASK) | color;
}

/*
 * The index of node among its parent's children.
 */
static inline int
rbtree_index_in(const struct rbtree_node *node,
                const struct rbtree_node *parent)
{
    return (parent->children[RBTREE_RIGHT] == node) ? RBTREE_RIGHT
                                                     : RBTREE_LEFT;
}

/*
 * Make replacement take old's place under parent (or as the root).
 */
static void
rbtree_replace_child(struct rbtree *tree, struct rbtree_node *parent,
                     struct rbtree_node *old, struct rbtree_node *replacement)
{
    if (parent == NULL)
        tree->root = replacement;
    else
        parent->children[rbtree_index_in(old, parent)] = replacement;
}

/*
 * Rotate around node so that node moves down in the given direction and its
 * child on the opposite side takes its place. Colours are left as they are.
 */
static void
rbtree_rotate(struct rbtree *tree, struct rbtree_node *node, int direction)
{
    int opposite = rbtree_opposite(direction);
    struct rbtree_node *rising = node->children[opposite];
    struct rbtree_node *parent = rbtree_parent(node);
    struct rbtree_node *moved = rising->children[direction];

    node->children[opposite] = moved;

    if (moved != NULL)
        rbtree_set_parent(moved, node);

    rbtree_set_parent(rising, parent);
    rbtree_replace_child(tree, parent, node, rising);
    rising->children[direction] = node;
    rbtree_set_parent(node, rising);
}

void
rbtree_insert_rebalance(struct rbtree *tree, struct rbtree_node *parent,
                        int index, struct rbtree_node *node)
{
    struct rbtree_node *grandparent, *uncle;
    int side;

    node->parent = (unsigned long)parent | RBTREE_RED;
    node->children[RBTREE_LEFT] = NULL;
    node->children[RBTREE_RIGHT] = NULL;

    if (parent == NULL)
        tree->root = node;
    else
        parent->children[index] = node;

    /*
     * Climb while node and its parent are both red. A red parent is never
     * the root, so the grandparent exists.
     */
    for (;;) {
        parent = rbtree_parent(node);

        if (parent == NULL) {
            rbtree_set_color(node, RBTREE_BLACK);
            return;
        }

        if (rbtree_is_black(parent))
            return;

        grandparent = rbtree_parent(parent);
        side = rbtree_index_in(parent, grandparent);
        uncle = grandparent->children[rbtree_opposite(side)];

        if (!rbtree_is_red(uncle))
            break;

        /*
         * A red uncle: push the grandparent's blackness down one level and
         * continue from the grandparent, which is now red.
         */
        rbtree_set_color(parent, RBTREE_BLACK);
        rbtree_set_color(uncle, RBTREE_BLACK);
        rbtree_set_color(grandparent, RBTREE_RED);
        node = grandparent;
    }

    /*
     * A black uncle: first turn an inner grandchild into an outer one, then
     * rotate the grandparent away from the red pair and swap colours.
     */
    if (node == parent->children[rbtree_opposite(side)]) {
        rbtree_rotate(tree, parent, side);
        node = parent;
        parent = rbtree_parent(node);
    }

    rbtree_rotate(tree, grandparent, rbtree_opposite(side));
    rbtree_set_color(parent, RBTREE_BLACK);
    rbtree_set_color(grandparent, RBTREE_RED);
}

/*
 * Restore the properties after a black node was removed from under parent:
 * the path through child (which may be NULL) is one black node short.
 */
static void
rbtree_remove_rebalance(struct rbtree *tree, struct rbtree_node *child,
                        struct rbtree_node *parent)
{
    struct rbtree_node *sibling;
    int side, opposite;

    while ((child != tree->root) && rbtree_is_black(child)) {
        /*
         * The short path's sibling subtree holds at least one black node,
         * so the sibling exists and tells which side child is on even when
         * child is NULL.
         */
        side = (parent->children[RBTREE_LEFT] == child) ? RBTREE_LEFT
                                                       : RBTREE_RIGHT;
        opposite = rbtree_opposite(side);
        sibling = parent->children[opposite];

        if (rbtree_is_red(sibling)) {
            rbtree_set_color(sibling, RBTREE_BLACK);
            rbtree_set_color(parent, RBTREE_RED);
            rbtree_rotate(tree, parent, side);
            sibling = parent->children[opposite];
        }

        if (rbtree_is_black(sibling->children[RBTREE_LEFT])
            && rbtree_is_black(sibling->children[RBTREE_RIGHT])) {
            /*
             * Shorten the sibling's paths too and move the deficit up.
             */
            rbtree_set_color(sibling, RBTREE_RED);
            child = parent;
            parent = rbtree_parent(child);
            continue;
        }

        if (rbtree_is_black(sibling->children[opposite])) {
            /*
             * Only the near nephew is red: make it the sibling, so that the
             * far nephew is red.
             */
            rbtree_set_color(sibling->children[side], RBTREE_BLACK);
            rbtree_set_color(sibling, RBTREE_RED);
            rbtree_rotate(tree, sibling, opposite);
            sibling = parent->children[opposite];
        }

        /*
         * The far nephew is red: one rotation gives the short path the black
         * node it lacks.
         */
        rbtree_set_color(sibling, rbtree_color(parent));
        rbtree_set_color(parent, RBTREE_BLACK);
        rbtree_set_color(sibling->children[opposite], RBTREE_BLACK);
        rbtree_rotate(tree, parent, side);
        return;
    }

    if (child != NULL)
        rbtree_set_color(child, RBTREE_BLACK);
}

void
rbtree_remove(struct rbtree *tree, struct rbtree_node *node)
{
    struct rbtree_node *child, *parent, *successor;
    unsigned long removed_color;

    if (node->children[RBTREE_LEFT] == NULL)
        child = node->children[RBTREE_RIGHT];
    else if (node->children[RBTREE_RIGHT] == NULL)
        child = node->children[RBTREE_LEFT];
    else {
        /*
         * Two children: the in-order successor (which has no left child)
         * leaves its own place and takes node's place and colour, so the
         * colour that disappears from the tree is the successor's.
         */
        successor = node->children[RBTREE_RIGHT];

        while (successor->children[RBTREE_LEFT] != NULL)
            successor = successor->children[RBTREE_LEFT];

        child = successor->children[RBTREE_RIGHT];
        parent = rbtree_parent(successor);
        removed_color = rbtree_color(successor);

        if (parent == node)
            parent = successor;
        else {
            parent->children[RBTREE_LEFT] = child;

            if (child != NULL)
                rbtree_set_parent(child, parent);

            successor->children[RBTREE_RIGHT] = node->children[RBTREE_RIGHT];
            rbtree_set_parent(successor->children[RBTREE_RIGHT], successor);
        }

        successor->children[RBTREE_LEFT] = node->children[RBTREE_LEFT];
        rbtree_set_parent(successor->children[RBTREE_LEFT], successor);
        successor->parent = node->parent;
        rbtree_replace_child(tree, rbtree_parent(node), node, successor);

        if (removed_color == RBTREE_BLACK)
            rbtree_remove_rebalance(tree, child, parent);

        return;
    }

    parent = rbtree_parent(node);
    removed_color = rbtree_color(node);

    if (child != NULL)
        rbtree_set_parent(child, parent);

    rbtree_replace_child(tree, parent, node, child);

    if (removed_color == RBTREE_BLACK)
        rbtree_remove_rebalance(tree, child, parent);
}

/*
 * The outermost node of the subtree under node in the given direction.
 */
static struct rbtree_node *
rbtree_outermost(struct rbtree_node *node, int direction)
{
    while (node->children[direction] != NULL)
        node = node->children[direction];

    return node;
}

struct rbtree_node *
rbtree_walk(struct rbtree_node *node, int direction)
{
    int opposite = rbtree_opposite(direction);
    struct rbtree_node *parent;

    if (node->children[direction] != NULL)
        return rbtree_outermost(node->children[direction], opposite);

    /*
     * Climb until coming up from the opposite side: that ancestor is the
     * neighbour.
     */
    for (;;) {
        parent = rbtree_parent(node);

        if ((parent == NULL) || (parent->children[opposite] == node))
            return parent;

        node = parent;
    }
}

struct rbtree_node *
rbtree_first(const struct rbtree *tree)
{
    return (tree->root == NULL) ? NULL
                                : rbtree_outermost(tree->root, RBTREE_LEFT);
}

struct rbtree_node *
rbtree_last(const struct rbtree *tree)
{
    return (tree->root == NULL) ? NULL
                                : rbtree_outermost(tree->root, RBTREE_RIGHT);
}

struct rbtree_node *
rbtree_nearest(struct rbtree_node *parent, int index, int direction)
{
    /*
     * The search stopped at parent's empty child slot index. If that slot is
     * on the requested side, the answer lies beyond parent in that
     * direction; otherwise parent itself is the nearest node that way.
     */
    if (parent == NULL)
        return NULL;

    if (index == direction)
        return rbtree_walk(parent, direction);

    return parent;
}
