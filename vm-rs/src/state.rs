//! The observed-state vocabulary: a map ([`MapState`]), one of its entries
//! ([`EntryState`]) and the kentry allocator ([`KentryState`]) as both the C
//! original and the port describe them.
//!
//! These are the only types either side produces for the oracles: the port
//! fills them from its own structures ([`crate::Vm::map_state`],
//! [`crate::Vm::kentry_state`]) and c-reference fills the same types from
//! the C's memory, so that comparison is plain equality. They hold exactly
//! what the oracles compare; what only the port's own tests need about a
//! map (its pmap, where it and its entries live) is in
//! [`crate::map::MapInternals`]. Nothing here fails: a corrupted free list
//! is described, not rejected.

use alloc::vec::Vec;
use core::fmt;

use crate::entry::EntryStorage;
use crate::env::ObjectId;
use crate::kentry::VM_MAP_KENTRY_ALLOCATED;

/// One map entry: its range, its backing and its flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EntryState {
    /// First address of the entry.
    pub start: u64,
    /// First address past the entry.
    pub end: u64,
    /// The mapped object, or `None` for a null mapping.
    pub object: Option<ObjectId>,
    /// Offset of `start` in the object.
    pub offset: u64,
    /// The packed flags the entry keeps (`flags & VM_MAP_ENTRY_MASK`).
    pub flags: u32,
}

impl EntryState {
    /// `self == other`, in fewer instructions than the derived comparison
    /// (which branches at every field): the harness compares every entry
    /// of a map it reads again with the last read's. The pattern names
    /// every field, so that a field added here must be added to it.
    #[inline]
    pub fn same_as(&self, other: &EntryState) -> bool {
        let EntryState {
            start,
            end,
            object,
            offset,
            flags,
        } = *self;
        let words = (start ^ other.start)
            | (end ^ other.end)
            | (offset ^ other.offset)
            | u64::from(flags ^ other.flags);
        words == 0 && object == other.object
    }

    /// What backs the entry, for display: `obj0+0x2000` or `null`.
    pub const fn backing(&self) -> Backing {
        Backing {
            object: self.object,
            offset: self.offset,
        }
    }
}

impl fmt::Display for EntryState {
    /// One fixed-width line for reports: `0x000000001000-0x000000002000
    /// obj0+0x0 0x00273` (`null` instead of the object for a null mapping).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:#014x}-{:#014x} {} {:#07x}",
            self.start,
            self.end,
            self.backing(),
            self.flags
        )
    }
}

/// An entry's object and offset, displayed as `obj<id>+<offset>`, or `null`
/// for a null mapping ([`EntryState::backing`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backing {
    object: Option<ObjectId>,
    offset: u64,
}

impl fmt::Display for Backing {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.object {
            Some(object) => write!(f, "obj{}+{:#x}", object.0, self.offset),
            None => f.write_str("null"),
        }
    }
}

/// One map (`struct vm_map`): its bounds, counters and find cache, and its
/// entries walked both ways.
///
/// The default value has every field zero and no entries. It is not a map
/// either side could have (a fresh map's threshold is
/// [`crate::map::VM_MAP_NO_FIND_CACHE`]); it serves as a buffer to fill and
/// as "no such map" in reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct MapState {
    /// `map->start`.
    pub start: u64,
    /// `map->end`.
    pub end: u64,
    /// `map->size`: the bytes the entries cover, as the map counts them.
    pub size: u64,
    /// `map->nr_entries`.
    pub nr_entries: u32,
    /// `map->find_cache`: where the next first-fit search starts.
    pub find_cache: u64,
    /// `map->find_cache_threshold` ([`crate::map::VM_MAP_NO_FIND_CACHE`]
    /// when unused).
    pub find_cache_threshold: u64,
    /// The entries in address order (the in-order walk of the C's tree).
    pub entries: Vec<EntryState>,
    /// The entries in the order of the entry list (`vm_map_info`'s order),
    /// which differs from address order after the C's `vm_map_clip_end`
    /// relinked a map's first entry at the tail.
    pub list: Vec<EntryState>,
}

impl MapState {
    /// Sets every field but the entries and the list (the scalars) to
    /// `other`'s. The pattern names every field, so that a field added
    /// here must be added to it.
    pub fn copy_scalars_from(&mut self, other: &MapState) {
        let MapState {
            start,
            end,
            size,
            nr_entries,
            find_cache,
            find_cache_threshold,
            entries: _,
            list: _,
        } = *other;
        (self.start, self.end, self.size) = (start, end, size);
        (self.nr_entries, self.find_cache) = (nr_entries, find_cache);
        self.find_cache_threshold = find_cache_threshold;
    }

    /// Whether the two agree on every field but the entries and the list.
    pub fn same_scalars(&self, other: &MapState) -> bool {
        // Copies without vectors, which allocate nothing.
        let scalars = |map: &MapState| {
            let mut only = MapState::default();
            only.copy_scalars_from(map);
            only
        };
        scalars(self) == scalars(other)
    }

    /// Resets every field to the default, keeping the vectors' buffers.
    pub fn clear(&mut self) {
        let (mut entries, mut list) = (
            core::mem::take(&mut self.entries),
            core::mem::take(&mut self.list),
        );
        entries.clear();
        list.clear();
        *self = MapState {
            entries,
            list,
            ..MapState::default()
        };
    }
}

/// Where a link of the kentry free list points (the head, or the contents
/// of a free slab's descriptor).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum KentryLink {
    /// NULL: the end of the free list.
    #[default]
    End,
    /// The descriptor of this slab (its index in the table).
    Slab(u32),
    /// Anything else: an address outside the table or between descriptors.
    Outside(u64),
}

impl KentryLink {
    /// Decodes a descriptor pointer `raw` against a table of `slot_count`
    /// descriptors of 8 bytes starting at `table_va`.
    pub fn decode(raw: u64, table_va: u64, slot_count: usize) -> KentryLink {
        const DESCRIPTOR_BYTES: u64 = 8;
        let offset = raw.wrapping_sub(table_va);
        if raw == 0 {
            KentryLink::End
        } else if offset % DESCRIPTOR_BYTES == 0 && offset / DESCRIPTOR_BYTES < slot_count as u64 {
            KentryLink::Slab((offset / DESCRIPTOR_BYTES) as u32)
        } else {
            KentryLink::Outside(raw)
        }
    }

    /// The raw pointer that decodes to this link for a table at `table_va`.
    pub fn encode(self, table_va: u64) -> u64 {
        const DESCRIPTOR_BYTES: u64 = 8;
        match self {
            KentryLink::End => 0,
            KentryLink::Slab(index) => table_va + u64::from(index) * DESCRIPTOR_BYTES,
            KentryLink::Outside(raw) => raw,
        }
    }
}

/// One descriptor of the kentry slab table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KentrySlot {
    /// The slab is in use (the descriptor holds `VM_MAP_KENTRY_ALLOCATED`).
    Allocated,
    /// The slab is free; the descriptor links to the next free one.
    Free(KentryLink),
}

impl KentrySlot {
    /// Decodes a descriptor's raw value `raw` against a table of
    /// `slot_count` descriptors starting at `table_va`.
    pub fn decode(raw: u64, table_va: u64, slot_count: usize) -> KentrySlot {
        if raw == VM_MAP_KENTRY_ALLOCATED {
            KentrySlot::Allocated
        } else {
            KentrySlot::Free(KentryLink::decode(raw, table_va, slot_count))
        }
    }

    /// The raw value that decodes to this slot for a table at `table_va`.
    pub fn encode(self, table_va: u64) -> u64 {
        match self {
            KentrySlot::Allocated => VM_MAP_KENTRY_ALLOCATED,
            KentrySlot::Free(link) => link.encode(table_va),
        }
    }
}

/// The kentry allocator (`vm_map_kentry_*`): its descriptor table, slot by
/// slot, the head of its free list, and where each kernel-map entry lives
/// (which kentry slab objects the kernel map occupies).
///
/// Both sides fill it from raw descriptor values with
/// [`KentryState::fill_from_descriptors`], so that they decode the table
/// the same way, and fill [`KentryState::entry_storage`] from their own
/// kernel map. The raw values are kept beside the decoded slots: decoding
/// is a one-to-one function of them and of the table's place, so two
/// states compare (and hash) by their raw values, a plain memory
/// comparison, and a refill decodes only the descriptors that changed.
#[derive(Debug, Clone, Default)]
pub struct KentryState {
    /// Where the descriptor table starts (the kentry area's start +
    /// `VM_MAP_KENTRY_SIZE`).
    pub table_va: u64,
    /// The kentry cache's slab size in bytes (`vm_map_kentry_slab_size`).
    pub slab_size_bytes: u64,
    /// The free list's head (`vm_map_kentry_free_slabs`).
    free_head: KentryLink,
    /// The free list's head as the raw pointer the side holds.
    raw_head: u64,
    /// One descriptor per slab of the kentry area, by slab index.
    slots: Vec<KentrySlot>,
    /// The descriptors as the raw values the side holds.
    raw_slots: Vec<u64>,
    /// Where each entry of the kernel map lives, in address order: a
    /// static entry or a slab object (a kentry slot, for every entry the
    /// kernel map allocated itself).
    pub entry_storage: Vec<EntryStorage>,
}

impl PartialEq for KentryState {
    fn eq(&self, other: &KentryState) -> bool {
        self.table_va == other.table_va
            && self.slab_size_bytes == other.slab_size_bytes
            && self.same_free_head(other)
            && self.same_slots(other)
            && self.entry_storage == other.entry_storage
    }
}

impl Eq for KentryState {}

impl core::hash::Hash for KentryState {
    fn hash<H: core::hash::Hasher>(&self, state: &mut H) {
        self.table_va.hash(state);
        self.slab_size_bytes.hash(state);
        self.raw_head.hash(state);
        self.raw_slots.hash(state);
        self.entry_storage.hash(state);
    }
}

impl KentryState {
    /// Empties the state, so that it equals the default one and the next
    /// fill decodes every descriptor, keeping buffers of exactly `slots`
    /// descriptors and `entries` kernel-map entries whatever they held
    /// (the harness's fuzz entry does this between inputs, so that an
    /// input's reads allocate the same whatever ran before it).
    pub fn clear_to_capacity(&mut self, slots: usize, entries: usize) {
        let mut emptied = KentryState {
            slots: core::mem::take(&mut self.slots),
            raw_slots: core::mem::take(&mut self.raw_slots),
            entry_storage: core::mem::take(&mut self.entry_storage),
            ..KentryState::default()
        };
        exact_capacity(&mut emptied.slots, slots);
        exact_capacity(&mut emptied.raw_slots, slots);
        exact_capacity(&mut emptied.entry_storage, entries);
        *self = emptied;
    }

    /// Refills the state from a table at `table_va` whose descriptors hold
    /// the raw pointer values `descriptors` (in slab order) and whose free
    /// list starts at the raw pointer `head`. The vectors are reused, and
    /// when the table is where it was, only the descriptors whose raw value
    /// changed are decoded again.
    pub fn fill_from_descriptors(
        &mut self,
        table_va: u64,
        slab_size_bytes: u64,
        head: u64,
        descriptors: &[u64],
    ) {
        let slot_count = descriptors.len();
        let same_table = self.table_va == table_va && self.raw_slots.len() == slot_count;
        self.table_va = table_va;
        self.slab_size_bytes = slab_size_bytes;
        self.raw_head = head;
        self.free_head = KentryLink::decode(head, table_va, slot_count);
        if !same_table {
            self.raw_slots.clear();
            self.raw_slots.extend_from_slice(descriptors);
            self.slots.clear();
            self.slots.extend(
                descriptors
                    .iter()
                    .map(|&raw| KentrySlot::decode(raw, table_va, slot_count)),
            );
            return;
        }
        // Whole chunks compare as memory; most of a table is unchanged
        // from one step to the next.
        const CHUNK: usize = 64;
        let chunks = self
            .raw_slots
            .chunks_mut(CHUNK)
            .zip(descriptors.chunks(CHUNK));
        for (chunk_index, (old, new)) in chunks.enumerate() {
            if same_words(old, new) {
                continue;
            }
            for (offset, (old, &new)) in old.iter_mut().zip(new).enumerate() {
                if *old != new {
                    *old = new;
                    self.slots[chunk_index * CHUNK + offset] =
                        KentrySlot::decode(new, table_va, slot_count);
                }
            }
        }
    }

    /// The free list's head (`vm_map_kentry_free_slabs`), decoded.
    pub fn free_head(&self) -> KentryLink {
        self.free_head
    }

    /// One descriptor per slab of the kentry area, by slab index, decoded.
    pub fn slots(&self) -> &[KentrySlot] {
        &self.slots
    }

    /// Its buffers' capacities and addresses: decoded slots, raw slots,
    /// entry storage (for the tests of [`KentryState::clear_to_capacity`]).
    #[cfg(test)]
    pub(crate) fn buffers(&self) -> [(usize, usize); 3] {
        let KentryState {
            slots,
            raw_slots,
            entry_storage,
            ..
        } = self;
        [
            (slots.capacity(), slots.as_ptr() as usize),
            (raw_slots.capacity(), raw_slots.as_ptr() as usize),
            (entry_storage.capacity(), entry_storage.as_ptr() as usize),
        ]
    }

    /// Whether both heads decode the same (for tables in the same place:
    /// the same raw pointer).
    pub fn same_free_head(&self, other: &KentryState) -> bool {
        if self.table_va == other.table_va && self.slots.len() == other.slots.len() {
            self.raw_head == other.raw_head
        } else {
            self.free_head == other.free_head
        }
    }

    /// Whether both tables' descriptors decode the same (for tables in the
    /// same place: the same raw values, compared as memory).
    pub fn same_slots(&self, other: &KentryState) -> bool {
        if self.table_va == other.table_va {
            self.raw_slots == other.raw_slots
        } else {
            self.slots == other.slots
        }
    }

    /// Rewrites the head and the descriptors as `slots` and `free_head`
    /// describe them, encoding each back to the raw value a side would hold
    /// (for tests that distort a side's table).
    pub fn rewrite(&mut self, free_head: KentryLink, slots: &[KentrySlot]) {
        let raw: Vec<u64> = slots
            .iter()
            .map(|slot| slot.encode(self.table_va))
            .collect();
        let head = free_head.encode(self.table_va);
        let (table_va, slab_size_bytes) = (self.table_va, self.slab_size_bytes);
        self.raw_slots.clear();
        self.fill_from_descriptors(table_va, slab_size_bytes, head, &raw);
    }

    /// The free list as slab indices, head first. The walk stops at the
    /// end of the list, at a link that leaves the table, at an allocated
    /// slot, or after as many steps as there are slots (a cycle).
    pub fn free_list(&self) -> Vec<u32> {
        self.walk_free_list().0
    }

    /// Whether the free list does not end with NULL: it leaves the table,
    /// reaches an allocated slot or loops (only after a remove moved the
    /// kentry entry). [`KentryState::free_list`] then stops there.
    pub fn free_list_is_corrupt(&self) -> bool {
        self.walk_free_list().1 != KentryLink::End
    }

    /// The slabs whose descriptor holds the allocated marker, in index order.
    pub fn allocated(&self) -> impl Iterator<Item = u32> + '_ {
        self.slots
            .iter()
            .enumerate()
            .filter(|(_, slot)| **slot == KentrySlot::Allocated)
            .map(|(index, _)| index as u32)
    }

    /// The free list's walk and the link it stopped at (`End` when the list
    /// is well formed).
    fn walk_free_list(&self) -> (Vec<u32>, KentryLink) {
        let mut order = Vec::new();
        let mut link = self.free_head;
        while let KentryLink::Slab(index) = link {
            if order.len() >= self.slots.len() {
                break;
            }
            order.push(index);
            match self.slots.get(index as usize) {
                Some(KentrySlot::Free(next)) => link = *next,
                _ => break,
            }
        }
        (order, link)
    }
}

/// Empties `buffer` and gives it exactly `capacity`.
pub(crate) fn exact_capacity<T>(buffer: &mut Vec<T>, capacity: usize) {
    buffer.clear();
    buffer.shrink_to(capacity);
    buffer.reserve_exact(capacity);
}

/// Whether two runs of words are equal: in fuzzing builds by
/// [`same_words_by_loop`], elsewhere by `==` on the slices (`bcmp`, which
/// is faster there).
fn same_words(old: &[u64], new: &[u64]) -> bool {
    if cfg!(fuzzing) {
        same_words_by_loop(old, new)
    } else {
        old == new
    }
}

/// Whether two runs of words are equal, by a plain loop the compiler
/// vectorises. In fuzzing builds `==` on slices calls `bcmp`, which goes
/// through interceptors (ASan's, which checks both ranges' shadow first,
/// and libFuzzer's, which files the compared values for its mutations, as
/// though the kentry table were input) that cost more than the comparison.
pub(crate) fn same_words_by_loop(old: &[u64], new: &[u64]) -> bool {
    old.len() == new.len()
        && old
            .iter()
            .zip(new)
            .fold(0, |differ, (a, b)| differ | (a ^ b))
            == 0
}
