//! The red-black tree written for the X15 headers (`x15/kern/rbtree.c`),
//! driven directly through the bindings: after every insertion and removal
//! the tree must hold the expected keys in order, keep the red-black
//! properties and consistent parent links, and answer nearest-node queries
//! the way `rbtree_lookup_nearest` needs.

use std::collections::BTreeSet;
use std::ptr;

use bindings::{rbtree, rbtree_node, RBTREE_LEFT, RBTREE_RIGHT};
// The tree's C code is in c-reference's native library.
use c_reference as _;

const BLACK: u64 = 1;

#[repr(C)]
struct Item {
    node: rbtree_node,
    key: u64,
}

/// A tree over a fixed array of items (so that node addresses stay put).
struct Tree {
    tree: rbtree,
    items: Box<[Item]>,
}

fn key_of(node: *const rbtree_node) -> u64 {
    // SAFETY: every node of the tree is the first field of an Item.
    unsafe { (*node.cast::<Item>()).key }
}

fn parent_of(node: *const rbtree_node) -> *mut rbtree_node {
    // SAFETY: node is a live tree node.
    unsafe { ((*node).parent & !1) as *mut rbtree_node }
}

impl Tree {
    fn new(capacity: u64) -> Tree {
        let items = (0..capacity)
            .map(|key| Item {
                node: rbtree_node::default(),
                key,
            })
            .collect();
        Tree {
            tree: rbtree {
                root: ptr::null_mut(),
            },
            items,
        }
    }

    fn node(&mut self, key: u64) -> *mut rbtree_node {
        &mut self.items[key as usize].node
    }

    /// What the rbtree_insert macro does: descend, then rebalance.
    fn insert(&mut self, key: u64) {
        let (parent, index) = self.descend(key);
        let node = self.node(key);
        // SAFETY: node is not in the tree; parent/index is its free slot.
        unsafe { bindings::rbtree_insert_rebalance(&mut self.tree, parent, index, node) };
    }

    fn remove(&mut self, key: u64) {
        let node = self.node(key);
        // SAFETY: node is in the tree.
        unsafe { bindings::rbtree_remove(&mut self.tree, node) };
    }

    /// The last node visited searching for `key` and the side it went to.
    fn descend(&self, key: u64) -> (*mut rbtree_node, i32) {
        let (mut parent, mut index) = (ptr::null_mut(), RBTREE_LEFT as i32);
        let mut cursor = self.tree.root;
        while !cursor.is_null() {
            parent = cursor;
            index = if key > key_of(cursor) {
                RBTREE_RIGHT
            } else {
                RBTREE_LEFT
            } as i32;
            // SAFETY: cursor is a live tree node.
            cursor = unsafe { (*cursor).children[index as usize] };
        }
        (parent, index)
    }

    /// `rbtree_lookup_nearest(tree, key, cmp, RBTREE_RIGHT)` for a key not
    /// in the tree.
    fn nearest_above(&self, key: u64) -> Option<u64> {
        let (parent, index) = self.descend(key);
        // SAFETY: parent is null or a live tree node.
        let node = unsafe { bindings::rbtree_nearest(parent, index, RBTREE_RIGHT as i32) };
        (!node.is_null()).then(|| key_of(node))
    }

    fn walk(&self, direction: u32) -> Vec<u64> {
        let mut keys = Vec::new();
        // SAFETY: the tree functions only read live nodes.
        let mut node = unsafe {
            if direction == RBTREE_RIGHT {
                bindings::rbtree_first(&self.tree)
            } else {
                bindings::rbtree_last(&self.tree)
            }
        };
        while !node.is_null() {
            keys.push(key_of(node));
            // SAFETY: as above.
            node = unsafe { bindings::rbtree_walk(node, direction as i32) };
        }
        keys
    }

    /// Checks the red-black properties below `node`; returns its black height.
    fn check(&self, node: *const rbtree_node, parent: *const rbtree_node) -> u32 {
        if node.is_null() {
            return 1;
        }
        assert_eq!(
            parent_of(node).cast_const(),
            parent,
            "parent link of {}",
            key_of(node)
        );
        // SAFETY: node is a live tree node.
        let (word, children) = unsafe { ((*node).parent, (*node).children) };
        let red = word & 1 != BLACK;
        for child in children {
            // SAFETY: children are null or live tree nodes.
            let child_red = !child.is_null() && unsafe { (*child).parent } & 1 != BLACK;
            assert!(
                !(red && child_red),
                "red node {} has a red child",
                key_of(node)
            );
        }
        let left = self.check(children[0], node);
        let right = self.check(children[1], node);
        assert_eq!(left, right, "black heights differ below {}", key_of(node));
        left + u32::from(!red)
    }

    fn verify(&self, expected: &BTreeSet<u64>) {
        let in_order: Vec<u64> = expected.iter().copied().collect();
        assert_eq!(self.walk(RBTREE_RIGHT), in_order);
        assert_eq!(
            self.walk(RBTREE_LEFT),
            in_order.iter().rev().copied().collect::<Vec<_>>()
        );
        if !self.tree.root.is_null() {
            // SAFETY: the root is a live tree node.
            assert_eq!(
                unsafe { (*self.tree.root).parent } & 1,
                BLACK,
                "the root is black"
            );
        }
        self.check(self.tree.root, ptr::null());
    }
}

#[test]
fn sequential_insertions_and_removals_stay_balanced() {
    let orders: [(&str, Vec<u64>); 3] = [
        ("ascending", (0..200).collect()),
        ("descending", (0..200).rev().collect()),
        ("interleaved", (0..100).flat_map(|i| [i, 199 - i]).collect()),
    ];
    for (name, order) in orders {
        let mut tree = Tree::new(200);
        let mut expected = BTreeSet::new();
        for &key in &order {
            tree.insert(key);
            expected.insert(key);
            tree.verify(&expected);
        }
        for &key in order.iter().rev() {
            tree.remove(key);
            expected.remove(&key);
            tree.verify(&expected);
        }
        assert!(tree.tree.root.is_null(), "{name}: empty at the end");
    }
}

#[test]
fn random_insertions_and_removals_stay_balanced() {
    // Even keys live in the tree; odd keys probe the nearest lookup.
    let mut tree = Tree::new(512);
    let mut expected = BTreeSet::new();
    // fastrand's generator with a fixed seed: the same order every run.
    let mut random = fastrand::Rng::with_seed(2024);
    for _ in 0..3000 {
        let key = random.u64(..256) * 2;
        if expected.insert(key) {
            tree.insert(key);
        } else {
            expected.remove(&key);
            tree.remove(key);
        }
        tree.verify(&expected);
        let probe = random.u64(..256) * 2 + 1;
        assert_eq!(
            tree.nearest_above(probe),
            expected.range(probe..).next().copied()
        );
    }
}
