//! [`Model::classify`]: which precondition a request breaks, if any.
//!
//! The checks run in a fixed order (the map, then the flags, then the
//! addresses) so that a request breaking several preconditions is always
//! named by the same one.

use crate::attributes::EnterFlags;
use crate::invalid::Invalid;
use crate::model::{MapState, Model};
use crate::request::{MapIndex, Request};
use crate::x15::{ADVICE_MAX, INHERIT_MAX, PAGE_SIZE, PROT_ALL};

impl Model {
    /// The first precondition `request` breaks, or `Ok` for a request every
    /// side must handle.
    ///
    /// Kernel allocations and releases are the kernel's own bookkeeping, not
    /// a caller's request: they never break a precondition, and mistakes in
    /// them are broken rules ([`crate::Rule::KernelAllocation`],
    /// [`crate::Rule::KernelRelease`]) found by [`Model::step`].
    pub fn classify(&self, request: &Request) -> Result<(), Invalid> {
        match *request {
            Request::CreateMap | Request::KernelAllocate { .. } | Request::KernelRelease { .. } => {
                Ok(())
            }
            Request::Enter {
                map,
                object,
                offset,
                start,
                size,
                align,
                flags,
            } => {
                self.existing(map)?;
                let flags = EnterFlags::decode(flags);
                classify_flags(&flags)?;
                classify_offset(object, offset)?;
                classify_placement(start, size, align, flags.fixed)
            }
            Request::Remove { map, start, end } => {
                let state = self.existing(map)?;
                classify_remove_range(state, start, end)?;
                if map.is_kernel() && self.kernel_owns(start, end) {
                    return Err(Invalid::RemoveKernelOwned);
                }
                Ok(())
            }
            Request::Fault { map, addr, access } => {
                let state = self.existing(map)?;
                if map.is_kernel() {
                    return Err(Invalid::FaultKernelMap);
                }
                if access == 0 || access > u32::from(PROT_ALL) {
                    return Err(Invalid::FaultAccessInvalid);
                }
                let page = addr & !(PAGE_SIZE - 1);
                match state.pages.containing(page) {
                    Some(span) if span.value.attributes.object.is_none() => {
                        Err(Invalid::FaultNullMapping)
                    }
                    _ => Ok(()),
                }
            }
        }
    }

    /// The state of `map`, or the precondition that it must exist.
    fn existing(&self, map: MapIndex) -> Result<&MapState, Invalid> {
        self.map(map).ok_or(Invalid::MapMissing)
    }
}

/// The preconditions on an enter's flags word.
fn classify_flags(flags: &EnterFlags) -> Result<(), Invalid> {
    if flags.unknown_bits != 0 {
        return Err(Invalid::EnterUnknownFlags);
    }
    if flags.nomerge {
        return Err(Invalid::EnterNoMerge);
    }
    if flags.prot > PROT_ALL || flags.maxprot > PROT_ALL {
        return Err(Invalid::EnterProtUndefined);
    }
    if flags.prot & !flags.maxprot != 0 {
        return Err(Invalid::EnterProtAboveMax);
    }
    if flags.inherit > INHERIT_MAX {
        return Err(Invalid::EnterInheritUndefined);
    }
    if flags.advice > ADVICE_MAX {
        return Err(Invalid::EnterAdviceUndefined);
    }
    Ok(())
}

/// The preconditions on an enter's object offset.
fn classify_offset(object: Option<u32>, offset: u64) -> Result<(), Invalid> {
    if object.is_none() && offset != 0 {
        return Err(Invalid::EnterOffsetWithoutObject);
    }
    if offset % PAGE_SIZE != 0 {
        return Err(Invalid::EnterOffsetUnaligned);
    }
    Ok(())
}

/// The preconditions on an enter's start, size and alignment.
fn classify_placement(start: u64, size: u64, align: u64, fixed: bool) -> Result<(), Invalid> {
    if start % PAGE_SIZE != 0 {
        return Err(Invalid::EnterStartUnaligned);
    }
    if size == 0 || size % PAGE_SIZE != 0 {
        return Err(Invalid::EnterSizeInvalid);
    }
    if start.checked_add(size).is_none() {
        return Err(Invalid::EnterRangeWraps);
    }
    if align != 0 && (align < PAGE_SIZE || !align.is_power_of_two()) {
        return Err(Invalid::EnterAlignInvalid);
    }
    if fixed && align != 0 && start % align != 0 {
        return Err(Invalid::EnterFixedMisaligned);
    }
    Ok(())
}

/// The preconditions on a remove's range, the kernel's ownership aside.
fn classify_remove_range(state: &MapState, start: u64, end: u64) -> Result<(), Invalid> {
    if start % PAGE_SIZE != 0 || end % PAGE_SIZE != 0 {
        return Err(Invalid::RemoveUnaligned);
    }
    if start >= end {
        return Err(Invalid::RemoveEmpty);
    }
    if !state.bounds_contain(start, end) {
        return Err(Invalid::RemoveOutsideMap);
    }
    Ok(())
}
