//! Removing a range from a map (`vm_map_remove`) and the clipping it needs
//! (`vm_map_clip_start`, `vm_map_clip_end`, `vm_map_split_entries`).
//!
//! Like the C, clipping copies the entry into a new cache object: at the
//! start the new object takes the lower part, at the end the upper part.
//! And like the C, `vm_map_clip_end` relinks an entry that had no list
//! predecessor at the tail of the list. Failures: the range preconditions,
//! the lookup's alignment precondition, and the fatal outcomes of entry
//! creation.

use crate::entry::SlotId;
use crate::env::Environment;
use crate::failure::Failure;
use crate::precondition::Precondition;
use crate::vm::Vm;

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

    /// A new entry from the map's cache holding a copy of `slot`'s fields
    /// (`new_entry = vm_map_entry_create(map); *new_entry = *entry`).
    fn copy_entry<E: Environment>(
        &mut self,
        env: &mut E,
        map: usize,
        slot: SlotId,
    ) -> Result<SlotId, Failure> {
        let copy = self.entry_create(env, map)?;
        let storage = self.arena[copy].storage;
        self.arena[copy] = self.arena[slot];
        self.arena[copy].storage = storage;
        Ok(copy)
    }

    /// `vm_map_clip_start`: a new entry takes the part below `start`.
    fn clip_start<E: Environment>(
        &mut self,
        env: &mut E,
        map: usize,
        slot: SlotId,
        start: u64,
    ) -> Result<(), Failure> {
        if start <= self.arena[slot].start || start >= self.arena[slot].end {
            return Ok(());
        }
        let next = self.next(slot);
        self.unlink(map, slot);
        let lower = self.copy_entry(env, map, slot)?;
        self.split_entries(lower, slot, start);
        self.link(map, slot, None, next)?;
        self.link(map, lower, None, Some(slot))?;
        Ok(())
    }

    /// `vm_map_clip_end`: a new entry takes the part from `end` on.
    fn clip_end<E: Environment>(
        &mut self,
        env: &mut E,
        map: usize,
        slot: SlotId,
        end: u64,
    ) -> Result<(), Failure> {
        if end <= self.arena[slot].start || end >= self.arena[slot].end {
            return Ok(());
        }
        let prev = self.prev(slot);
        self.unlink(map, slot);
        let upper = self.copy_entry(env, map, slot)?;
        self.split_entries(slot, upper, end);
        // With no predecessor this appends at the list's tail, as the C does.
        self.link(map, slot, prev, None)?;
        self.link(map, upper, Some(slot), None)?;
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
        let Some(mut slot) = self.lookup_nearest(map, start)? else {
            return Ok(());
        };
        self.clip_start(env, map, slot, start)?;
        while self.arena[slot].start < end {
            self.clip_end(env, map, slot, end)?;
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
        self.reset_find_cache(map);
        Ok(())
    }
}
