//! The kernel map's own bookkeeping: static entries and the allocations
//! `vm_kmem_alloc` makes and `vm_kmem_free` releases.
//!
//! Allocations and releases are observations, not requests a caller makes;
//! a wrong one is a broken [`Rule::KernelAllocation`] or
//! [`Rule::KernelRelease`], returned as `Err(Broken)`.

use alloc::format;
use alloc::string::String;

use crate::attributes::KERNEL_ALLOCATION_ATTRIBUTES;
use crate::model::Model;
use crate::ranges::Placement;
use crate::request::{Answer, MapIndex};
use crate::rule::{Broken, Rule};
use crate::x15::PAGE_SIZE;

impl Model {
    /// Whether `[start, end)` meets a static entry or a live allocation of
    /// the kernel map.
    pub(crate) fn kernel_owns(&self, start: u64, end: u64) -> bool {
        let in_static_entry = self
            .static_entries
            .iter()
            .any(|entry| entry.start < end && start < entry.end);
        in_static_entry || self.allocation_overlapping(start, end).is_some()
    }

    /// A live allocation that meets `[start, end)`, as `(start, end)`.
    pub(crate) fn allocation_overlapping(&self, start: u64, end: u64) -> Option<(u64, u64)> {
        // The last allocation starting before `end` is the only candidate:
        // live allocations are disjoint.
        let before_end = self.allocations.partition_point(|&(first, _)| first < end);
        let (first, last) = *self.allocations.get(before_end.checked_sub(1)?)?;
        (last > start).then_some((first, last))
    }

    /// Where the live allocation that starts at `start` is among them
    /// (`Err`: where it would go).
    fn allocation_index(&self, start: u64) -> Result<usize, usize> {
        self.allocations
            .binary_search_by_key(&start, |&(first, _)| first)
    }

    /// Judges and applies an observed `vm_kmem_alloc` of `[start, start +
    /// size)`: the range becomes a mapped, present kernel allocation.
    pub(crate) fn step_kernel_allocate(
        &mut self,
        start: u64,
        size: u64,
        answer: &Answer,
    ) -> Result<(), Broken> {
        let requested = format_args!("an allocation at {start:#x} of {size:#x} bytes");
        if *answer != Answer::Done {
            return Err(Broken::new(Rule::KernelAllocation, "done", answer));
        }
        let end = start.checked_add(size).unwrap_or(0);
        let Some(kernel) = self.map_mut(MapIndex::KERNEL) else {
            return Ok(());
        };
        let problem = if start % PAGE_SIZE != 0 || size % PAGE_SIZE != 0 {
            Some("a page-aligned range")
        } else if !kernel.bounds_contain(start, end) {
            Some("a non-empty range inside the kernel map")
        } else if kernel.pages.overlaps(start, end) {
            Some("an unmapped range")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(Broken::new(Rule::KernelAllocation, problem, requested));
        }
        let placement = Placement {
            offset: 0,
            attributes: KERNEL_ALLOCATION_ATTRIBUTES,
        };
        kernel.pages.set(start, end, placement);
        kernel.present.set(start, end, ());
        match self.allocation_index(start) {
            Ok(index) => self.allocations[index].1 = end,
            Err(index) => self.allocations.insert(index, (start, end)),
        }
        Ok(())
    }

    /// Judges and applies an observed `vm_kmem_free` of `[start, start +
    /// size)`: the allocation's range becomes unmapped and not present.
    pub(crate) fn step_kernel_release(
        &mut self,
        start: u64,
        size: u64,
        answer: &Answer,
    ) -> Result<(), Broken> {
        if *answer != Answer::Done {
            return Err(Broken::new(Rule::KernelRelease, "done", answer));
        }
        let end = start.checked_add(size);
        let live_end = self
            .allocation_index(start)
            .ok()
            .map(|index| self.allocations[index].1);
        let live = end.is_some() && live_end == end;
        let Some(end) = end.filter(|_| live) else {
            let expected =
                match self.allocation_overlapping(start, start.saturating_add(size.max(1))) {
                    Some((first, last)) => format!("the live allocation [{first:#x}, {last:#x})"),
                    None => String::from("a live allocation"),
                };
            let observed = format_args!("a release at {start:#x} of {size:#x} bytes");
            return Err(Broken::new(Rule::KernelRelease, expected, observed));
        };
        if let Ok(index) = self.allocation_index(start) {
            self.allocations.remove(index);
        }
        if let Some(kernel) = self.map_mut(MapIndex::KERNEL) {
            kernel.pages.clear(start, end);
            kernel.present.clear(start, end);
        }
        Ok(())
    }
}
