//! Read-only views of the C instance's state: a map's entries (in list
//! order and in tree order) and scalars, and the seed's kentry slab table.
//!
//! They read the C's memory directly, between operations, through the
//! bindgen structures. Walks are bounded, so a corrupted list or tree gives
//! a short or odd snapshot (which the invariant oracle reports), never a
//! hang.

use core::mem::offset_of;

use bindings::{list, rbtree_node, vm_map, vm_map_entry, RBTREE_RIGHT, VM_MAP_KENTRY_SIZE};
use sim::{ObjectId, PmapId};

use crate::host_memory;

/// No walk visits more nodes than this.
const MAX_WALK_NODES: usize = 1 << 20;

/// The kentry descriptor of a slab in use (`VM_MAP_KENTRY_ALLOCATED`).
pub const KENTRY_ALLOCATED_MARKER: u64 = 0xa110_c8ed;

/// One map entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EntrySnapshot {
    /// First address.
    pub start: u64,
    /// First address past the entry.
    pub end: u64,
    /// The backing object, `None` for a null mapping.
    pub object: Option<ObjectId>,
    /// Offset into the object.
    pub offset: u64,
    /// The stored flags (`VM_MAP_ENTRY_MASK` bits).
    pub flags: i32,
}

/// One map: its scalars and its entries, walked both ways.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MapSnapshot {
    /// The map's first address.
    pub start: u64,
    /// The map's end.
    pub end: u64,
    /// `size`: bytes mapped.
    pub size_bytes: u64,
    /// `nr_entries`.
    pub nr_entries: u32,
    /// `find_cache`: where the next first-fit search starts.
    pub find_cache: u64,
    /// `find_cache_threshold`.
    pub find_cache_threshold: u64,
    /// The map's physical map, `None` if its pointer is null.
    pub pmap: Option<PmapId>,
    /// Entries following the entry list.
    pub list: Vec<EntrySnapshot>,
    /// Entries in the tree's in-order walk.
    pub tree: Vec<EntrySnapshot>,
}

/// Where a kentry free-list link points.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum KentryLink {
    /// NULL: the end of the free list.
    #[default]
    End,
    /// The descriptor of this slab (its index in the table).
    Slab(u32),
    /// Anything else: an address outside the table or misaligned.
    Outside(u64),
}

/// One descriptor of the kentry slab table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KentrySlot {
    /// The slab is in use (the descriptor holds the 0xa110c8ed marker).
    Allocated,
    /// The slab is free; the descriptor links to the next free one.
    Free(KentryLink),
}

/// The seed's kentry slab table, read from host memory.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct KentryTable {
    /// Where the table starts: the kentry area's start + 8 MiB.
    pub table_va: u64,
    /// The kentry cache's slab size.
    pub slab_size_bytes: u64,
    /// The free list's head (`vm_map_kentry_free_slabs`).
    pub free_head: KentryLink,
    /// One descriptor per slab of the kentry area, by slab index.
    pub slots: Vec<KentrySlot>,
}

impl KentryTable {
    /// The free list in order, following links from the head; stops at the
    /// end, at a link that leaves the table, at an allocated slot, or after
    /// as many steps as there are slots (a cycle).
    pub fn free_list(&self) -> Vec<u32> {
        let mut order = Vec::new();
        let mut link = self.free_head;
        while let KentryLink::Slab(index) = link {
            if order.len() >= self.slots.len() {
                break;
            }
            order.push(index);
            link = match self.slots.get(index as usize) {
                Some(KentrySlot::Free(next)) => *next,
                _ => break,
            };
        }
        order
    }

    /// Indexes of the slabs marked allocated, in increasing order.
    pub fn allocated(&self) -> impl Iterator<Item = u32> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, slot)| **slot == KentrySlot::Allocated)
            .map(|(index, _)| index as u32)
    }
}

/// Fills `snapshot` from the C map at `map`, reusing its vectors.
///
/// # Safety
/// `map` must point to a `struct vm_map` of the C instance, and no C
/// operation may run during the call.
pub(crate) unsafe fn read_map(map: *const vm_map, snapshot: &mut MapSnapshot) {
    // SAFETY: the caller guarantees map is a live C map, not being changed.
    let map = unsafe { &*map };
    snapshot.start = map.start;
    snapshot.end = map.end;
    snapshot.size_bytes = map.size as u64;
    snapshot.nr_entries = map.nr_entries;
    snapshot.find_cache = map.find_cache;
    snapshot.find_cache_threshold = map.find_cache_threshold as u64;
    // SAFETY: a map's pmap pointer is null or points into the C pmap table.
    snapshot.pmap = unsafe { map.pmap.as_ref() }.map(|pmap| PmapId(pmap.id));
    let bound = (map.nr_entries as usize)
        .saturating_add(1)
        .min(MAX_WALK_NODES);
    snapshot.list.clear();
    snapshot.tree.clear();
    // SAFETY: the list and tree nodes belong to the map's entries, which are
    // live C entries while no operation runs.
    unsafe {
        walk_list(map, bound, &mut snapshot.list);
        walk_tree(map, bound, &mut snapshot.tree);
    }
}

/// # Safety
/// As for [`read_map`].
unsafe fn entry_snapshot(entry: *const vm_map_entry) -> EntrySnapshot {
    // SAFETY: entry is a live C entry (caller's guarantee), and its object
    // pointer is null or points into the entry layer's object table.
    unsafe {
        let entry = &*entry;
        EntrySnapshot {
            start: entry.start,
            end: entry.end,
            object: entry.object.as_ref().map(|object| ObjectId(object.id)),
            offset: entry.offset,
            flags: entry.flags,
        }
    }
}

/// # Safety
/// As for [`read_map`].
unsafe fn walk_list(map: &vm_map, bound: usize, entries: &mut Vec<EntrySnapshot>) {
    let head: *const list = &map.entry_list;
    let mut node = map.entry_list.next.cast_const();
    while node != head && !node.is_null() && entries.len() < bound {
        // SAFETY: a list node other than the head is the list_node member
        // of a live entry.
        unsafe {
            let entry = node
                .byte_sub(offset_of!(vm_map_entry, list_node))
                .cast::<vm_map_entry>();
            entries.push(entry_snapshot(entry));
            node = (*node).next;
        }
    }
}

/// # Safety
/// As for [`read_map`].
unsafe fn walk_tree(map: &vm_map, bound: usize, entries: &mut Vec<EntrySnapshot>) {
    // SAFETY: the C tree functions only read the tree's nodes.
    let mut node: *mut rbtree_node = unsafe { bindings::rbtree_first(&map.entry_tree) };
    while !node.is_null() && entries.len() < bound {
        // SAFETY: a tree node is the tree_node member of a live entry.
        unsafe {
            let entry = node
                .byte_sub(offset_of!(vm_map_entry, tree_node))
                .cast::<vm_map_entry>();
            entries.push(entry_snapshot(entry));
            node = bindings::rbtree_walk(node, RBTREE_RIGHT as i32);
        }
    }
}

/// Reads the kentry table of a set-up instance into `table`; false (and
/// `table` untouched) when the table's location makes no sense.
///
/// # Safety
/// The C instance must have completed its set-up, and no C operation may run
/// during the call.
pub(crate) unsafe fn read_kentry_table(table: &mut KentryTable) -> bool {
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
        return false;
    }
    let area_bytes = u64::from(VM_MAP_KENTRY_SIZE);
    let slots = area_bytes / slab_size;
    let table_va = area_start.wrapping_add(area_bytes);
    let descriptor_bytes = size_of::<u64>() as u64;
    if !host_memory::contains(table_va, slots * descriptor_bytes) {
        return false;
    }
    let decode = |raw: u64| -> KentryLink {
        let offset = raw.wrapping_sub(table_va);
        if raw == 0 {
            KentryLink::End
        } else if offset < slots * descriptor_bytes && offset % descriptor_bytes == 0 {
            KentryLink::Slab((offset / descriptor_bytes) as u32)
        } else {
            KentryLink::Outside(raw)
        }
    };
    table.table_va = table_va;
    table.slab_size_bytes = slab_size;
    table.free_head = decode(head);
    table.slots.clear();
    table.slots.extend((0..slots).map(|index| {
        let address = table_va + index * descriptor_bytes;
        // SAFETY: the address lies inside the host reservation (checked
        // above), which is mapped read/write for the whole process.
        let raw = unsafe { (address as *const u64).read() };
        if raw == KENTRY_ALLOCATED_MARKER {
            KentrySlot::Allocated
        } else {
            KentrySlot::Free(decode(raw))
        }
    }));
    true
}
