//! Turning a placed request into an entry (`vm_map_insert`): merging with
//! the neighbours (`vm_map_try_merge*`), or a new entry from the map's entry
//! cache, then the size accounting and the kernel's page-table growth.
//! Also `vm_map_entry_create` / `_destroy`.
//!
//! Failures are the C's: a precondition (NOMERGE through `vm_map_enter`) or
//! a fatal outcome (no entry object, no page to grow the kernel tables).

use crate::entry::SlotId;
use crate::env::{CacheId, Environment};
use crate::failure::Failure;
use crate::fatal::Fatal;
use crate::map_flags::{VM_MAP_ENTRY_MASK, VM_MAP_NOMERGE};
use crate::precondition::Precondition;
use crate::search::Request;
use crate::vm::{Vm, KERNEL_MAP};

impl Vm {
    /// `vm_map_entry_select_cache`: the kentry cache for the kernel map.
    pub(crate) fn entry_cache(&self, map: usize) -> CacheId {
        if map == KERNEL_MAP {
            self.caches.kentry
        } else {
            self.caches.entry
        }
    }

    /// `vm_map_entry_create`: a blank entry from the map's entry cache.
    pub(crate) fn entry_create<E: Environment>(
        &mut self,
        env: &mut E,
        map: usize,
    ) -> Result<SlotId, Failure> {
        match self.kmem_cache_alloc(env, self.entry_cache(map))? {
            Some(va) => Ok(self.arena.allocate(va)),
            None => Err(Fatal::CantCreateMapEntry.into()),
        }
    }

    /// `vm_map_entry_destroy`: the entry's address back to the map's cache.
    pub(crate) fn entry_destroy<E: Environment>(&mut self, env: &mut E, slot: SlotId, map: usize) {
        env.kmem_cache_free(self.entry_cache(map), self.arena[slot].storage.address());
        self.arena.release(slot);
    }

    /// `vm_map_insert`: `entry` is a static entry, or `None` to merge or
    /// allocate one.
    pub(crate) fn insert<E: Environment>(
        &mut self,
        env: &mut E,
        map: usize,
        entry: Option<SlotId>,
        request: &Request,
    ) -> Result<(), Failure> {
        let (slot, merged) = match entry {
            Some(slot) => (self.fill_and_link(map, slot, request)?, false),
            None => match self.try_merge(env, map, request)? {
                Some(merged) => (merged, true),
                None => {
                    let slot = self.entry_create(env, map)?;
                    self.refuse_undefined_attributes(env, map, slot, request)?;
                    (self.fill_and_link(map, slot, request)?, false)
                }
            },
        };
        // The canary (feature `canary`, never in a real build): a planted
        // bug that forgets the size of a request merged into a neighbour,
        // which the harness must catch (`scripts/canary`).
        let planted_bug = cfg!(feature = "canary") && merged;
        if !planted_bug {
            let target = &mut self.maps[map];
            target.size = target.size.wrapping_add(request.size);
        }
        if map == KERNEL_MAP {
            let end = self.arena[slot].end;
            if env.pmap_klimit() < end {
                env.pmap_kgrow(end).map_err(|_| Fatal::KernelGrowNoPage)?;
            }
        }
        Ok(())
    }

    /// The fixed port's refusal of undefined attributes (registered bug
    /// `enter-accepts-undefined-attributes`), once the C has its new entry
    /// and links it, the first thing it does with the request: wherever the
    /// C refuses or fails the request first (its checks, the merges' own
    /// assertions, no memory for the entry), the fixed port does too. The
    /// new entry goes back to its cache. A request with undefined
    /// attributes never merges in the fixed port: no entry it made has
    /// them, and merging needs the same flags.
    fn refuse_undefined_attributes<E: Environment>(
        &mut self,
        env: &mut E,
        map: usize,
        slot: SlotId,
        request: &Request,
    ) -> Result<(), Precondition> {
        if self.bugs.enter_accepts_undefined_attributes {
            return Ok(());
        }
        request.check_attributes_defined().inspect_err(|_| {
            self.entry_destroy(env, slot, map);
        })
    }

    /// The part of `vm_map_insert` for an entry of its own: the request's
    /// fields, then linked before the request's next entry.
    fn fill_and_link(
        &mut self,
        map: usize,
        slot: SlotId,
        request: &Request,
    ) -> Result<SlotId, Precondition> {
        let fields = &mut self.arena[slot];
        fields.start = request.start;
        fields.end = request.start.wrapping_add(request.size);
        fields.object = request.object;
        fields.offset = request.offset;
        fields.flags = request.flags & VM_MAP_ENTRY_MASK;
        self.link(map, slot, None, request.next)?;
        Ok(slot)
    }

    /// `vm_map_try_merge`: merges the request into a neighbour if it can.
    fn try_merge<E: Environment>(
        &mut self,
        env: &mut E,
        map: usize,
        request: &Request,
    ) -> Result<Option<SlotId>, Failure> {
        // Statically allocated entries must not be merged.
        if request.flags & VM_MAP_NOMERGE != 0 {
            return Err(Precondition::MergeWithNoMerge.into());
        }
        let merged = match request.next {
            None => match self.maps[map].last() {
                None => None,
                Some(last) => self.try_merge_prev(map, request, last)?,
            },
            Some(next) => match self.prev(next) {
                None => self.try_merge_next(map, request, next)?,
                Some(prev) => self.try_merge_near(env, map, request, prev, next)?,
            },
        };
        Ok(merged)
    }

    /// `vm_map_try_merge_compatible`: only null mappings with the same
    /// entry flags merge.
    fn merge_compatible(&self, request: &Request, slot: SlotId) -> bool {
        let entry = &self.arena[slot];
        request.object.is_none()
            && entry.object.is_none()
            && request.flags & VM_MAP_ENTRY_MASK == entry.flags & VM_MAP_ENTRY_MASK
    }

    /// `vm_map_try_merge_prev`: extends `slot` upwards over the request.
    fn try_merge_prev(
        &mut self,
        map: usize,
        request: &Request,
        slot: SlotId,
    ) -> Result<Option<SlotId>, Precondition> {
        if !self.merge_compatible(request, slot) || self.arena[slot].end != request.start {
            return Ok(None);
        }
        let (prev, next) = (self.prev(slot), self.next(slot));
        self.unlink(map, slot);
        let entry = &mut self.arena[slot];
        entry.end = entry.end.wrapping_add(request.size);
        self.link(map, slot, prev, next)?;
        Ok(Some(slot))
    }

    /// `vm_map_try_merge_next`: extends `slot` downwards over the request.
    fn try_merge_next(
        &mut self,
        map: usize,
        request: &Request,
        slot: SlotId,
    ) -> Result<Option<SlotId>, Precondition> {
        if !self.merge_compatible(request, slot)
            || request.start.wrapping_add(request.size) != self.arena[slot].start
        {
            return Ok(None);
        }
        let (prev, next) = (self.prev(slot), self.next(slot));
        self.unlink(map, slot);
        self.arena[slot].start = request.start;
        self.link(map, slot, prev, next)?;
        Ok(Some(slot))
    }

    /// `vm_map_try_merge_near`: joins `first`, the request and `second` into
    /// `first` (destroying `second`), else tries each side alone.
    fn try_merge_near<E: Environment>(
        &mut self,
        env: &mut E,
        map: usize,
        request: &Request,
        first: SlotId,
        second: SlotId,
    ) -> Result<Option<SlotId>, Precondition> {
        if self.arena[first].end == request.start
            && request.start.wrapping_add(request.size) == self.arena[second].start
            && self.merge_compatible(request, first)
            && self.merge_compatible(request, second)
        {
            let (prev, next) = (self.prev(first), self.next(second));
            self.unlink(map, first);
            self.unlink(map, second);
            self.arena[first].end = self.arena[second].end;
            self.entry_destroy(env, second, map);
            self.link(map, first, prev, next)?;
            return Ok(Some(first));
        }
        match self.try_merge_prev(map, request, first)? {
            Some(merged) => Ok(Some(merged)),
            None => self.try_merge_next(map, request, second),
        }
    }
}
