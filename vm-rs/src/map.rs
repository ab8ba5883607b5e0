//! A map (`struct vm_map`): its bounds, size and counters, its entry list,
//! its entry tree, and the primitives the C builds everything from
//! (`vm_map_link`, `vm_map_unlink`, `vm_map_prev`/`next`,
//! `vm_map_lookup_nearest`, `vm_map_reset_find_cache`).
//!
//! The list and the tree are kept apart on purpose. The C keeps the list in
//! address order only as long as `vm_map_clip_end` never relinks the first
//! entry of a map (it then appends it at the tail), and the searches, merges,
//! removals and `vm_map_info` follow the list, so the port models the list
//! exactly. The tree is a vector sorted by start address, which answers
//! lookups as the C's red-black tree does while entries are disjoint.
//! Only `lookup_nearest` fails, with a precondition.

use alloc::collections::BTreeSet;
use alloc::vec::Vec;

use crate::arith::page_aligned;
use crate::entry::{EntryStorage, SlotId};
use crate::env::PmapId;
use crate::footprint::ReadFootprint;
use crate::precondition::Precondition;
use crate::rewrite::{MapRewrite, ReadDifference};
use crate::state::MapState;
use crate::vm::Vm;
use crate::PAGE_SIZE;

/// `VM_MAP_NO_FIND_CACHE`: the threshold that disables the find cache.
pub const VM_MAP_NO_FIND_CACHE: u64 = u64::MAX;

/// A map of the port.
#[derive(Debug, Clone)]
pub(crate) struct Map {
    pub(crate) start: u64,
    pub(crate) end: u64,
    pub(crate) size: u64,
    pub(crate) nr_entries: u32,
    first: Option<SlotId>,
    last: Option<SlotId>,
    /// Linked entries sorted by (start, slot).
    tree: Vec<(u64, SlotId)>,
    lookup_cache: Option<SlotId>,
    pub(crate) find_cache: u64,
    pub(crate) find_cache_threshold: u64,
    pub(crate) pmap: PmapId,
    /// Where the C's `struct vm_map` lives: `None` for the static kernel map.
    pub(crate) address: Option<u64>,
    /// The pages the port's fault path entered with `pmap_enter` and no
    /// remove has taken out since: what the fixed port's remove must take
    /// out of the page table (the C has no such set).
    entered_pages: BTreeSet<u64>,
}

impl Map {
    /// `vm_map_init` after its assertions: an empty map.
    pub(crate) fn new(pmap: PmapId, start: u64, end: u64, address: Option<u64>) -> Map {
        Map {
            start,
            end,
            size: 0,
            nr_entries: 0,
            first: None,
            last: None,
            tree: Vec::new(),
            lookup_cache: None,
            find_cache: 0,
            find_cache_threshold: VM_MAP_NO_FIND_CACHE,
            pmap,
            address,
            entered_pages: BTreeSet::new(),
        }
    }

    /// Remembers that the fault path entered `page` in this map's pmap.
    pub(crate) fn record_entered_page(&mut self, page: u64) {
        self.entered_pages.insert(page);
    }

    /// Takes the first run of consecutive entered pages inside `[start,
    /// end)` out of the set and returns it as a range, `None` when there
    /// is none left.
    pub(crate) fn take_entered_run(&mut self, start: u64, end: u64) -> Option<(u64, u64)> {
        let first = *self.entered_pages.range(start..end).next()?;
        let mut run_end = first;
        while run_end < end && self.entered_pages.remove(&run_end) {
            run_end = run_end.wrapping_add(PAGE_SIZE);
        }
        Some((first, run_end))
    }

    /// `list_last(&map->entry_list)`, `None` when the list is empty.
    pub(crate) fn last(&self) -> Option<SlotId> {
        self.last
    }

    /// The first entry of the list.
    pub(crate) fn first(&self) -> Option<SlotId> {
        self.first
    }
}

/// What the port keeps about a map besides its [`MapState`]: things the
/// oracles do not compare, for the port's own tests and for debugging
/// ([`Vm::map_internals`](crate::Vm::map_internals)).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapInternals {
    /// `map->pmap`.
    pub pmap: PmapId,
    /// Where the C's `struct vm_map` lives: `None` for the static kernel map.
    pub address: Option<u64>,
    /// Where each entry lives, in address order (as [`MapState::entries`]).
    pub entry_storage: Vec<EntryStorage>,
}

impl Vm {
    /// The list neighbour before `slot` (`vm_map_prev`).
    pub(crate) fn prev(&self, slot: SlotId) -> Option<SlotId> {
        self.arena[slot].prev
    }

    /// The list neighbour after `slot` (`vm_map_next`, `list_next`).
    pub(crate) fn next(&self, slot: SlotId) -> Option<SlotId> {
        self.arena[slot].next
    }

    /// `vm_map_link`: into the list at the tail (no neighbour given), before
    /// `next` (no `prev`) or after `prev`; into the tree by start; counted.
    ///
    /// The tree insertion asserts, as `rbtree_insert` does, that the new
    /// entry compares unequal to every node on its path, that is (while
    /// entries are disjoint) that no entry contains its start. The entry is
    /// then in the list but neither in the tree nor counted, as in the C.
    pub(crate) fn link(
        &mut self,
        map: usize,
        slot: SlotId,
        prev: Option<SlotId>,
        next: Option<SlotId>,
    ) -> Result<(), Precondition> {
        if self.arena[slot].start >= self.arena[slot].end {
            return Err(Precondition::LinkStartBelowEnd);
        }
        let (before, after) = match (prev, next) {
            (None, None) => (self.maps[map].last, None),
            (None, Some(next)) => (self.arena[next].prev, Some(next)),
            (Some(prev), _) => (Some(prev), self.arena[prev].next),
        };
        self.arena[slot].prev = before;
        self.arena[slot].next = after;
        match before {
            Some(before) => self.arena[before].next = Some(slot),
            None => self.maps[map].first = Some(slot),
        }
        match after {
            Some(after) => self.arena[after].prev = Some(slot),
            None => self.maps[map].last = Some(slot),
        }
        let start = self.arena[slot].start;
        if self.tree_containing(map, start).is_some() {
            return Err(Precondition::TreeInsertUnequal);
        }
        let key = (start, slot);
        let tree = &mut self.maps[map].tree;
        let position = tree.partition_point(|probe| *probe < key);
        tree.insert(position, key);
        self.maps[map].nr_entries = self.maps[map].nr_entries.wrapping_add(1);
        Ok(())
    }

    /// `vm_map_unlink`: out of the lookup cache, the list and the tree.
    pub(crate) fn unlink(&mut self, map: usize, slot: SlotId) {
        let (prev, next) = (self.arena[slot].prev, self.arena[slot].next);
        let target = &mut self.maps[map];
        if target.lookup_cache == Some(slot) {
            target.lookup_cache = None;
        }
        match prev {
            Some(prev) => self.arena[prev].next = next,
            None => target.first = next,
        }
        match next {
            Some(next) => self.arena[next].prev = prev,
            None => target.last = prev,
        }
        let key = (self.arena[slot].start, slot);
        if let Ok(position) = target.tree.binary_search(&key) {
            target.tree.remove(position);
        }
        target.nr_entries = target.nr_entries.wrapping_sub(1);
    }

    /// `vm_map_lookup_nearest`: the entry containing `addr`, else the first
    /// one above it, else `None`; the tree's answer is cached.
    pub(crate) fn lookup_nearest(
        &mut self,
        map: usize,
        addr: u64,
    ) -> Result<Option<SlotId>, Precondition> {
        if !page_aligned(addr) {
            return Err(Precondition::LookupAddrAligned);
        }
        if let Some(cached) = self.maps[map].lookup_cache {
            let entry = &self.arena[cached];
            if addr >= entry.start && addr < entry.end {
                return Ok(Some(cached));
            }
        }
        let found = self.tree_lookup_nearest(map, addr);
        if found.is_some() {
            self.maps[map].lookup_cache = found;
        }
        Ok(found)
    }

    /// The red-black tree's `rbtree_lookup_nearest(..., RBTREE_RIGHT)` with
    /// `vm_map_entry_cmp_lookup`, for disjoint entries.
    fn tree_lookup_nearest(&self, map: usize, addr: u64) -> Option<SlotId> {
        self.tree_containing(map, addr).or_else(|| {
            let tree = &self.maps[map].tree;
            let above = tree.partition_point(|(start, _)| *start <= addr);
            tree.get(above).map(|&(_, slot)| slot)
        })
    }

    /// The entry of the tree containing `addr`: the one with the largest
    /// start at or below it, if it ends above it.
    fn tree_containing(&self, map: usize, addr: u64) -> Option<SlotId> {
        let tree = &self.maps[map].tree;
        let above = tree.partition_point(|(start, _)| *start <= addr);
        let &(_, slot) = tree.get(above.checked_sub(1)?)?;
        (addr < self.arena[slot].end).then_some(slot)
    }

    /// `vm_map_reset_find_cache`.
    pub(crate) fn reset_find_cache(&mut self, map: usize) {
        self.maps[map].find_cache = 0;
        self.maps[map].find_cache_threshold = VM_MAP_NO_FIND_CACHE;
    }

    /// Fills `out` with map `map`'s state (its vectors are reused) and
    /// says whether its list is its entries themselves (the same entries
    /// in the same order, so that `out.list == out.entries`).
    pub(crate) fn fill_map_state(&self, map: usize, out: &mut MapState) -> bool {
        out.clear();
        let mut nothing_displaced = MapState::default();
        let rewrite = MapRewrite::new(out, &mut nothing_displaced, false);
        self.rewrite_map_state(map, rewrite).list_is_entries
    }

    /// Reads map `map` through `rewrite` (over the map's last read): the
    /// list and the tree walked side by side, each entry they meet at the
    /// same place read once. With the last read's footprint
    /// ([`MapRewrite::with_footprint`]), the walk starts where the first
    /// entry that anything wrote since may be ([`Vm::unwritten_prefix`]),
    /// and records this read's footprint.
    pub(crate) fn rewrite_map_state(
        &self,
        map: usize,
        mut rewrite: MapRewrite<'_>,
    ) -> ReadDifference {
        let target = &self.maps[map];
        let scalars = rewrite.scalars_mut();
        scalars.start = target.start;
        scalars.end = target.end;
        scalars.size = target.size;
        scalars.nr_entries = target.nr_entries;
        scalars.find_cache = target.find_cache;
        scalars.find_cache_threshold = target.find_cache_threshold;
        let mut footprint = rewrite.take_footprint();
        let unwritten = footprint
            .as_deref()
            .map_or(0, |footprint| self.unwritten_prefix(map, footprint));
        let kept = rewrite.keep(unwritten);
        let mut cursor = match kept {
            0 => target.first,
            _ => self.arena[target.tree[kept - 1].1].next,
        };
        if let Some(footprint) = footprint.as_deref_mut() {
            footprint.begin(&self.identity, map, kept);
        }
        let mut position = kept;
        while let (Some(slot), Some(&(_, treed))) = (cursor, target.tree.get(position)) {
            if treed != slot {
                break;
            }
            rewrite.both(self.arena[slot].state());
            if let Some(footprint) = footprint.as_deref_mut() {
                footprint.slots.push(slot.0);
            }
            position += 1;
            cursor = self.arena[slot].next;
        }
        let list_is_entries = cursor.is_none() && position == target.tree.len();
        if let Some(footprint) = footprint {
            self.end_footprint(footprint, list_is_entries);
        }
        for &(_, slot) in &target.tree[position..] {
            rewrite.tree_only(self.arena[slot].state());
        }
        // The list is finite and acyclic; the bound only guards the getter.
        while let Some(slot) = cursor {
            if rewrite.list_read() > target.tree.len() {
                break;
            }
            rewrite.list_only(self.arena[slot].state());
            cursor = self.arena[slot].next;
        }
        rewrite.finish(list_is_entries)
    }

    /// How many of the first entries of map `map`'s last read (`footprint`)
    /// nothing has written since: for each of them, the same slot is at the
    /// same place of the list and of the tree, with the same contents.
    ///
    /// Why: the last read's list was its tree order, so its slots in order
    /// are both. A slot that nothing wrote holds the same entry and the
    /// same link to the next; a map that nothing wrote has the same first
    /// entry and tree. So the list meets the same slots, in the same
    /// order, up to the first slot written since (whose contents may
    /// differ), and so does the tree up to where it may have changed.
    pub(crate) fn unwritten_prefix(&self, map: usize, footprint: &ReadFootprint) -> usize {
        if !footprint.is_of(&self.identity, map) {
            return 0;
        }
        let slots = &footprint.slots;
        let written = self.arena.written();
        let mut unwritten = slots
            .iter()
            .position(|&slot| written.written_since(slot as usize, footprint.slots_epoch))
            .unwrap_or(slots.len());
        if self.maps.written().written_since(map, footprint.maps_epoch) {
            let target = &self.maps[map];
            if target.first.map(|slot| slot.0) != slots.first().copied() {
                return 0;
            }
            let same_tree = target
                .tree
                .iter()
                .zip(slots)
                .take_while(|((_, treed), &slot)| treed.0 == slot)
                .count();
            unwritten = unwritten.min(same_tree);
        }
        unwritten
    }

    /// Ends the footprint of a read: it stands for the read when the list
    /// was the entries all the way, and for nothing otherwise.
    fn end_footprint(&self, footprint: &mut ReadFootprint, list_is_entries: bool) {
        if !list_is_entries {
            footprint.forget();
            return;
        }
        footprint.maps_epoch = self.maps.written().tick();
        footprint.slots_epoch = self.arena.written().tick();
    }

    /// Where each entry of `map` lives, in address order.
    pub(crate) fn entry_storage(&self, map: usize) -> impl Iterator<Item = EntryStorage> + '_ {
        self.maps[map]
            .tree
            .iter()
            .map(|&(_, slot)| self.arena[slot].storage)
    }

    pub(crate) fn internals(&self, map: usize) -> MapInternals {
        let target = &self.maps[map];
        MapInternals {
            pmap: target.pmap,
            address: target.address,
            entry_storage: target
                .tree
                .iter()
                .map(|&(_, slot)| self.arena[slot].storage)
                .collect(),
        }
    }
}
