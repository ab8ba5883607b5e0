//! Removing a range from a map (`vm_map_remove`) and the clipping it needs
//! (`vm_map_clip_start`, `vm_map_clip_end`, `vm_map_split_entries`).
//!
//! Like the C, clipping copies the entry into a new cache object: at the
//! start the new object takes the lower part, at the end the upper part.
//! And like the C, `vm_map_clip_end` relinks an entry that had no list
//! predecessor at the tail of the list, unless the port is fixed.
//!
//! Four bugs of the C live here, each behind its [`crate::CBugs`] switch:
//! the first entry relinked at the tail, the unaligned end, the kernel's own
//! ranges taken, and the pages left present. Failures: the range
//! preconditions (the fixed port's included), the lookup's alignment
//! precondition, and the fatal outcomes of entry creation.

use crate::arith::page_aligned;
use crate::entry::{SlotId, BOOT_SLOT, KENTRY_SLOT};
use crate::env::Environment;
use crate::failure::Failure;
use crate::precondition::Precondition;
use crate::vm::{Vm, KERNEL_MAP};

/// The part of a clipped entry that stays in its slot; a new entry takes
/// the other.
#[derive(Clone, Copy)]
enum Part {
    /// The part below the clip address (`vm_map_clip_end`).
    Lower,
    /// The part from the clip address on (`vm_map_clip_start`).
    Upper,
}

impl Vm {
    /// `vm_map_split_entries`: `lower` ends and `upper` starts at `split`;
    /// the upper part's object offset moves along.
    fn split_entries(&mut self, lower: SlotId, upper: SlotId, split: u64) {
        let delta = split.wrapping_sub(self.arena[lower].start);
        self.arena[lower].end = split;
        let upper = &mut self.arena[upper];
        upper.start = split;
        if upper.object.is_some() {
            upper.offset = upper.offset.wrapping_add(delta);
        }
    }

    /// `vm_map_clip_start` (`kept` is [`Part::Upper`]: a new entry takes
    /// the part below `at`) and `vm_map_clip_end` (`kept` is
    /// [`Part::Lower`]: a new entry takes the part from `at` on). Nothing
    /// happens unless `at` lies strictly inside the entry in `slot`.
    ///
    /// Both make the new entry as the C does, from the map's cache holding
    /// a copy of the entry's fields (`new_entry = vm_map_entry_create(map);
    /// *new_entry = *entry`), and differ only in which part each keeps and
    /// where the two go back into the list.
    fn clip<E: Environment>(
        &mut self,
        env: &mut E,
        map: usize,
        slot: SlotId,
        at: u64,
        kept: Part,
    ) -> Result<(), Failure> {
        if at <= self.arena[slot].start || at >= self.arena[slot].end {
            return Ok(());
        }
        let (prev, next) = (self.prev(slot), self.next(slot));
        self.unlink(map, slot);
        let copy = self.entry_create(env, map)?;
        let storage = self.arena[copy].storage;
        self.arena[copy] = self.arena[slot];
        self.arena[copy].storage = storage;
        match kept {
            Part::Upper => {
                self.split_entries(copy, slot, at);
                self.link(map, slot, None, next)?;
                self.link(map, copy, None, Some(slot))?;
            }
            Part::Lower => {
                self.split_entries(slot, copy, at);
                // The C relinks after the predecessor alone, which for the
                // map's first entry (no predecessor) appends it at the
                // list's tail. The fixed port also names the successor, so
                // the entry goes back in its place whatever its neighbours.
                let next = if self.bugs.clip_end_relinks_first_entry_at_tail {
                    None
                } else {
                    next
                };
                self.link(map, slot, prev, next)?;
                self.link(map, copy, Some(slot), None)?;
            }
        }
        Ok(())
    }

    /// `vm_map_remove`.
    pub(crate) fn remove_range<E: Environment>(
        &mut self,
        env: &mut E,
        map: usize,
        start: u64,
        end: u64,
    ) -> Result<(), Failure> {
        if start < self.maps[map].start {
            return Err(Precondition::RemoveStartInMap.into());
        }
        if end > self.maps[map].end {
            return Err(Precondition::RemoveEndInMap.into());
        }
        if start >= end {
            return Err(Precondition::RemoveNonEmpty.into());
        }
        let nearest = self.lookup_nearest(map, start)?;
        // The fixed port's own checks come after the C's assertions (the
        // lookup's asserts the start's alignment), so that a request the C
        // refuses is refused with the C's precondition.
        if !self.bugs.remove_unaligned_end && !page_aligned(end) {
            return Err(Precondition::RemoveEndAligned.into());
        }
        if map == KERNEL_MAP && !self.bugs.remove_takes_kernel_memory {
            self.check_not_kernel_owned(start, end)?;
        }
        let Some(slot) = nearest else {
            self.take_out_entered_pages(env, map, start, end);
            return Ok(());
        };
        self.remove_entries(env, map, slot, start, end)?;
        self.take_out_entered_pages(env, map, start, end);
        self.reset_find_cache(map);
        Ok(())
    }

    /// The loop of `vm_map_remove`: clips at both ends and frees every
    /// entry of `[start, end)`, from `slot` (the lookup's answer) on.
    fn remove_entries<E: Environment>(
        &mut self,
        env: &mut E,
        map: usize,
        mut slot: SlotId,
        start: u64,
        end: u64,
    ) -> Result<(), Failure> {
        self.clip(env, map, slot, start, Part::Upper)?;
        while self.arena[slot].start < end {
            self.count_loop_step()?;
            self.clip(env, map, slot, end, Part::Lower)?;
            let entry = &self.arena[slot];
            let entry_size = entry.end.wrapping_sub(entry.start);
            let target = &mut self.maps[map];
            target.size = target.size.wrapping_sub(entry_size);
            let next = self.next(slot);
            self.unlink(map, slot);
            self.entry_destroy(env, slot, map);
            match next {
                Some(next) => slot = next,
                None => break,
            }
        }
        Ok(())
    }

    /// The fixed port's refusal of a kernel-map remove that meets the
    /// static boot or kentry entry or a live kernel allocation.
    fn check_not_kernel_owned(&self, start: u64, end: u64) -> Result<(), Precondition> {
        let meets = |(owned_start, owned_end): (u64, u64)| owned_start < end && start < owned_end;
        let static_entry = |slot: SlotId| (self.arena[slot].start, self.arena[slot].end);
        // Allocations are disjoint, so only the last one starting below
        // `end` can reach into the range.
        let allocation = self
            .kernel_allocations
            .range(..end)
            .next_back()
            .map(|(&owned_start, &owned_end)| (owned_start, owned_end));
        let owned = [static_entry(BOOT_SLOT), static_entry(KENTRY_SLOT)]
            .into_iter()
            .chain(allocation);
        for range in owned {
            if meets(range) {
                return Err(Precondition::RemoveKernelOwned);
            }
        }
        Ok(())
    }

    /// The fixed port's `pmap_remove` of the pages its faults entered in
    /// `[start, end)`, one call (and one `pmap_update`) per run of
    /// consecutive pages; the C leaves them present. No call is made when
    /// there is no such page, so the trace is the C's wherever the C is
    /// right.
    fn take_out_entered_pages<E: Environment>(
        &mut self,
        env: &mut E,
        map: usize,
        start: u64,
        end: u64,
    ) {
        if self.bugs.remove_leaves_pages_present {
            return;
        }
        let pmap = self.maps[map].pmap;
        while let Some((run_start, run_end)) = self.maps[map].take_entered_run(start, end) {
            env.pmap_remove(pmap, run_start, run_end);
            env.pmap_update(pmap, run_start, run_end);
        }
    }
}
