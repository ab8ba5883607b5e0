//! Reading the C instance's state into the observed-state vocabulary of
//! `vm_rs::state`: a map as a [`MapState`] (entries in list order and in
//! tree order, and scalars), the seed's kentry slab table as a
//! [`KentryState`], and a map's pmap for tests.
//!
//! They read the C's memory directly, between operations, through the
//! bindgen structures. Walks are bounded, so a corrupted list or tree gives
//! a short or odd state (which the invariant oracle reports), never a hang.
//! A kentry table whose location makes no sense is reported as `false`.
//! Under ASan, the walks check every node before reading it and stop the
//! run with ASan's report at one in a freed object ([`check_not_freed`]).

use core::mem::offset_of;

use bindings::{
    list, rbtree_node, vm_map, vm_map_entry, RBTREE_LEFT, RBTREE_RIGHT, VM_MAP_KENTRY_SIZE,
};
use sim::{ObjectId, PmapId};
use vm_rs::{
    EntryState, EntryStorage, KentrySlot, KentryState, MapRewrite, MapState, ReadDifference,
};

use crate::freed_check::check_not_freed;
use crate::host_memory;

/// No walk visits more nodes than this.
const MAX_WALK_NODES: usize = 1 << 20;

/// Fills `state` from the C map at `map`, reusing its vectors, and says
/// whether its list is its entries themselves: the list and the tree
/// walks met the same entries in the same order and ended together, so
/// that `state.list == state.entries`.
///
/// # Safety
/// `map` must point to a `struct vm_map` of the C instance, and no C
/// operation may run during the call.
pub(crate) unsafe fn read_map(map: *const vm_map, state: &mut MapState) -> bool {
    state.clear();
    let mut nothing_displaced = MapState::default();
    let rewrite = MapRewrite::new(state, &mut nothing_displaced, false);
    // SAFETY: the caller's guarantee.
    unsafe { rewrite_map(map, rewrite) }.list_is_entries
}

/// Reads the C map at `map` through `rewrite`, over the map's last read,
/// writing only from where the two first differ ([`MapRewrite`]).
///
/// # Safety
/// As for [`read_map`].
pub(crate) unsafe fn rewrite_map(
    map: *const vm_map,
    mut rewrite: MapRewrite<'_>,
) -> ReadDifference {
    check_not_freed(map);
    // SAFETY: the caller guarantees map is a live C map, not being changed.
    let map = unsafe { &*map };
    let scalars = rewrite.scalars_mut();
    scalars.start = map.start;
    scalars.end = map.end;
    scalars.size = map.size as u64;
    scalars.nr_entries = map.nr_entries;
    scalars.find_cache = map.find_cache;
    scalars.find_cache_threshold = map.find_cache_threshold as u64;
    let bound = (map.nr_entries as usize)
        .saturating_add(1)
        .min(MAX_WALK_NODES);
    // SAFETY: the list and tree nodes belong to the map's entries, which are
    // live C entries while no operation runs.
    let list_is_entries = unsafe { walk_list_and_tree(map, bound, &mut rewrite) };
    rewrite.finish(list_is_entries)
}

/// The pmap of the C map at `map`, `None` if its pointer is null.
///
/// # Safety
/// As for [`read_map`].
pub(crate) unsafe fn read_pmap(map: *const vm_map) -> Option<PmapId> {
    // SAFETY: the caller guarantees map is a live C map, and a map's pmap
    // pointer is null or points into the C pmap table.
    unsafe { (*map).pmap.as_ref() }.map(|pmap| PmapId(pmap.id))
}

/// # Safety
/// As for [`read_map`].
unsafe fn entry_state(entry: *const vm_map_entry) -> EntryState {
    // SAFETY: entry is a live C entry (caller's guarantee), and its object
    // pointer is null or points into the entry layer's object table.
    unsafe {
        let entry = &*entry;
        EntryState {
            start: entry.start,
            end: entry.end,
            object: entry.object.as_ref().map(|object| ObjectId(object.id)),
            offset: entry.offset,
            flags: entry.flags as u32,
        }
    }
}

/// Walks the entry list and the tree in order into `rewrite`, each
/// stopping where it would alone (the list at its head, a null link or
/// `bound` entries, the tree at its end or `bound` entries). While both
/// walks are at the same entry it is read once. Returns whether they were
/// at the same entry all the way and ended together (then the read's
/// `list == entries`).
///
/// # Safety
/// As for [`read_map`].
unsafe fn walk_list_and_tree(map: &vm_map, bound: usize, rewrite: &mut MapRewrite<'_>) -> bool {
    let head: *const list = &map.entry_list;
    let mut list_node = map.entry_list.next.cast_const();
    // SAFETY: the C tree functions only read the tree's nodes.
    let mut tree_node: *const rbtree_node = unsafe { bindings::rbtree_first(&map.entry_tree) };
    let list_goes_on =
        |node: *const list, read: usize| node != head && !node.is_null() && read < bound;
    let tree_goes_on = |node: *const rbtree_node, read: usize| !node.is_null() && read < bound;
    // SAFETY: the caller's guarantee, passed on.
    let same = unsafe {
        same_beginning(
            (&mut list_node, &mut tree_node),
            head,
            rewrite.last_entries_in_step(),
            bound,
        )
    };
    rewrite.keep(same);
    while list_goes_on(list_node, rewrite.list_read())
        && tree_goes_on(tree_node, rewrite.entries_read())
    {
        // SAFETY: a list node other than the head is the list_node member
        // of a live entry, and a tree node the tree_node member of one.
        unsafe {
            let listed = list_node
                .byte_sub(offset_of!(vm_map_entry, list_node))
                .cast::<vm_map_entry>();
            let treed = tree_node
                .byte_sub(offset_of!(vm_map_entry, tree_node))
                .cast::<vm_map_entry>();
            if listed != treed {
                break;
            }
            check_not_freed(treed);
            rewrite.both(entry_state(treed));
            list_node = (*list_node).next;
            tree_node = next_in_order(tree_node);
        }
    }
    let list_is_entries = !list_goes_on(list_node, rewrite.list_read())
        && !tree_goes_on(tree_node, rewrite.entries_read());
    // Where the walks part, each goes on alone.
    while list_goes_on(list_node, rewrite.list_read()) {
        // SAFETY: as above.
        unsafe {
            let entry = list_node.byte_sub(offset_of!(vm_map_entry, list_node));
            check_not_freed(entry);
            rewrite.list_only(entry_state(entry.cast::<vm_map_entry>()));
            list_node = (*list_node).next;
        }
    }
    while tree_goes_on(tree_node, rewrite.entries_read()) {
        // SAFETY: as above.
        unsafe {
            let entry = tree_node.byte_sub(offset_of!(vm_map_entry, tree_node));
            check_not_freed(entry);
            rewrite.tree_only(entry_state(entry.cast::<vm_map_entry>()));
            tree_node = next_in_order(tree_node);
        }
    }
    list_is_entries
}

/// How many of the map's first entries are `last`'s, each met by the
/// list and the tree walk at once (at most `bound`), walking both walks'
/// nodes past them. This is the common case of a map read again (an
/// operation changes few entries, mostly late in the map), so it is a
/// tight loop over the last read, without the general walk's bookkeeping.
///
/// # Safety
/// As for [`read_map`]; the nodes are the walks' first nodes.
unsafe fn same_beginning(
    (list_at, tree_at): (&mut *const list, &mut *const rbtree_node),
    head: *const list,
    last: &[EntryState],
    bound: usize,
) -> usize {
    let (mut list_node, mut tree_node) = (*list_at, *tree_at);
    let mut same = 0;
    for was in &last[..last.len().min(bound)] {
        if list_node == head || list_node.is_null() || tree_node.is_null() {
            break;
        }
        // SAFETY: as in `walk_list_and_tree`: a list node other than the
        // head is the list_node member of a live entry, and a tree node
        // the tree_node member of one.
        unsafe {
            let treed = tree_node
                .byte_sub(offset_of!(vm_map_entry, tree_node))
                .cast::<vm_map_entry>();
            let listed = list_node.byte_sub(offset_of!(vm_map_entry, list_node));
            if listed.cast::<vm_map_entry>() != treed {
                break;
            }
            check_not_freed(treed);
            if !was.same_as(&entry_state(treed)) {
                break;
            }
            list_node = (*list_node).next;
            tree_node = next_in_order(tree_node);
        }
        same += 1;
    }
    (*list_at, *tree_at) = (list_node, tree_node);
    same
}

/// `rbtree_parent`'s mask: the low bit of a node's parent word is its
/// colour (`kern/rbtree.c`).
const RBTREE_COLOR_MASK: u64 = 1;

/// The node after `node` in order: `rbtree_walk(node, RBTREE_RIGHT)` of
/// `kern/rbtree.c`, step for step (the same nodes for any tree, well
/// formed or not), written here so that a read does not cross into C
/// once a node.
///
/// # Safety
/// `node` must be a node of a live C tree that no operation is changing.
unsafe fn next_in_order(node: *const rbtree_node) -> *const rbtree_node {
    const LEFT: usize = RBTREE_LEFT as usize;
    const RIGHT: usize = RBTREE_RIGHT as usize;
    // SAFETY: the caller's guarantee; children and parents of a live
    // tree's node are its nodes or null.
    unsafe {
        let mut node = node;
        check_not_freed(node);
        let right = (*node).children[RIGHT].cast_const();
        if !right.is_null() {
            let mut outermost = right;
            check_not_freed(outermost);
            while !(*outermost).children[LEFT].is_null() {
                outermost = (*outermost).children[LEFT];
                check_not_freed(outermost);
            }
            return outermost;
        }
        loop {
            let parent = ((*node).parent & !RBTREE_COLOR_MASK) as *const rbtree_node;
            if parent.is_null() {
                return parent;
            }
            check_not_freed(parent);
            if (*parent).children[LEFT].cast_const() == node {
                return parent;
            }
            node = parent;
        }
    }
}

/// Reads the kentry table of a set-up instance into `state`; false (and
/// `state` untouched) when the table's location makes no sense.
///
/// # Safety
/// The C instance must have completed its set-up, and no C operation may run
/// during the call.
pub(crate) unsafe fn read_kentry_state(state: &mut KentryState) -> bool {
    // SAFETY: the caller's guarantees are this function's.
    let Some(table) = (unsafe { kentry_table() }) else {
        return false;
    };
    state.fill_from_descriptors(table.va, table.slab_size, table.head, table.descriptors);
    // SAFETY: the set-up completed, so handle 0 is the live kernel map.
    unsafe { read_kernel_entry_storage(bindings::cref_map(0), &mut state.entry_storage) };
    true
}

/// How many descriptors of the kentry table hold the allocated marker (what
/// [`read_kentry_state`] would list as allocated, without decoding the
/// rest of the table); `None` when the table's location makes no sense.
///
/// # Safety
/// As for [`read_kentry_state`].
pub(crate) unsafe fn read_kentry_allocated_count() -> Option<usize> {
    // SAFETY: the caller's guarantees are this function's.
    let table = unsafe { kentry_table() }?;
    let slot_count = table.descriptors.len();
    let allocated =
        |raw: &&u64| KentrySlot::decode(**raw, table.va, slot_count) == KentrySlot::Allocated;
    Some(table.descriptors.iter().filter(allocated).count())
}

/// The seed's kentry slab table as it lies in memory.
struct KentryTable {
    /// Where it starts.
    va: u64,
    /// The kentry slabs' size.
    slab_size: u64,
    /// The free list's head, raw.
    head: u64,
    /// Its descriptors, raw, in slab order.
    descriptors: &'static [u64],
}

/// The kentry table of a set-up instance; `None` when its location makes
/// no sense.
///
/// # Safety
/// As for [`read_kentry_state`]; the descriptors may be read only while no
/// C operation runs.
unsafe fn kentry_table() -> Option<KentryTable> {
    // SAFETY: after set-up, the kentry entry and slab size are the seed's
    // initialised statics; the free head is a plain value.
    let (area_start, slab_size, head) = unsafe {
        (
            (*bindings::cref_kentry_entry()).start,
            bindings::cref_kentry_slab_size() as u64,
            bindings::cref_kentry_free_head(),
        )
    };
    if slab_size == 0 {
        return None;
    }
    let area_bytes = u64::from(VM_MAP_KENTRY_SIZE);
    let slots = area_bytes / slab_size;
    let table_va = area_start.wrapping_add(area_bytes);
    let descriptor_bytes = size_of::<u64>() as u64;
    // A remove over the kentry entry can move its start (a registered bug
    // of the C); a table that is then not even aligned is not read.
    if !host_memory::contains(table_va, slots * descriptor_bytes)
        || table_va % descriptor_bytes != 0
    {
        return None;
    }
    // SAFETY: the table lies inside the host reservation, which is mapped
    // read/write for the whole process, and is aligned for u64 (both
    // checked above); the C instance is behind its lock and does not run
    // while the caller reads.
    let descriptors =
        unsafe { core::slice::from_raw_parts(table_va as *const u64, slots as usize) };
    Some(KentryTable {
        va: table_va,
        slab_size,
        head,
        descriptors,
    })
}

/// Where each entry of the kernel map at `map` lives, in address order: the
/// seed's two static entries by name, any other entry by its address (a
/// kentry slab object: the kernel map's addresses are the same numbers on
/// both sides).
///
/// # Safety
/// As for [`read_map`].
unsafe fn read_kernel_entry_storage(map: *const vm_map, storage: &mut Vec<EntryStorage>) {
    storage.clear();
    if map.is_null() {
        return;
    }
    // SAFETY: the caller guarantees map is a live C map, not being changed;
    // the accessors return the seed's statics.
    let (map, kentry_entry, boot_entry) = unsafe {
        (
            &*map,
            bindings::cref_kentry_entry(),
            bindings::cref_kernel_boot_entry(),
        )
    };
    let bound = (map.nr_entries as usize)
        .saturating_add(1)
        .min(MAX_WALK_NODES);
    // SAFETY: the C tree functions only read the tree's nodes.
    let mut node: *const rbtree_node = unsafe { bindings::rbtree_first(&map.entry_tree) };
    while !node.is_null() && storage.len() < bound {
        // SAFETY: a tree node is the tree_node member of a live entry.
        let entry =
            unsafe { node.byte_sub(offset_of!(vm_map_entry, tree_node)) }.cast::<vm_map_entry>();
        storage.push(if entry == kentry_entry {
            EntryStorage::KentryStatic
        } else if entry == boot_entry {
            EntryStorage::KernelBootStatic
        } else {
            EntryStorage::CacheObject(entry as u64)
        });
        // SAFETY: as above.
        node = unsafe { next_in_order(node) };
    }
}
