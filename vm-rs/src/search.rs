//! Mapping requests and the search for room (`vm_map_prepare`,
//! `vm_map_request_assert_valid`, `vm_map_find_fixed`, `vm_map_find_avail`).
//!
//! The search is the C's first fit, step for step: the hint through the fixed
//! path, the find cache and its threshold, alignment rounding that wraps, the
//! walk along the entry list, the retry from the map start. It fails with
//! `ERROR_NOMEM` when there is no room ([`Failure::Error`]) or with the
//! precondition of the first failing assertion.
//!
//! Two bugs of the C live here, each behind its [`crate::CBugs`] switch:
//! the alignment rounding that passes the map's end and the hint that
//! ignores the alignment; the check of the attributes the C never looks at
//! is here too, made by `vm_map_enter` just before it would act.

use crate::arith::{is_p2, p2_aligned, p2_round, page_aligned};
use crate::entry::SlotId;
use crate::env::ObjectId;
use crate::error::Error;
use crate::failure::Failure;
use crate::map_flags::{MapFlags, VM_MAP_FIXED};
use crate::precondition::Precondition;
use crate::vm::Vm;
use crate::PAGE_SIZE;

/// `VM_INHERIT_COPY`, the largest inheritance X15 defines.
const LAST_DEFINED_INHERITANCE: u32 = 2;
/// `VM_ADV_DONTNEED`, the largest advice X15 defines.
const LAST_DEFINED_ADVICE: u32 = 4;

/// `struct vm_map_request`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Request {
    pub(crate) object: Option<ObjectId>,
    pub(crate) offset: u64,
    pub(crate) start: u64,
    pub(crate) size: u64,
    pub(crate) align: u64,
    pub(crate) flags: u32,
    /// The entry the new mapping goes before, `None` for the list's end.
    pub(crate) next: Option<SlotId>,
}

impl Request {
    /// The first lines of `vm_map_prepare`: a request from the arguments.
    pub(crate) const fn new(
        object: Option<ObjectId>,
        offset: u64,
        start: u64,
        size: u64,
        align: u64,
        flags: u32,
    ) -> Request {
        Request {
            object,
            offset,
            start,
            size,
            align,
            flags,
            next: None,
        }
    }

    /// `vm_map_request_assert_valid`: the first failing check, in C order.
    fn check(&self) -> Result<(), Precondition> {
        self.check_as_the_c_does()
    }

    /// The fixed port's check of the attributes the C never looks at
    /// ([`crate::CBugs::enter_accepts_undefined_attributes`]). The insert of
    /// `vm_map_enter` makes it once the C's own checks passed (the last is
    /// `vm_map_try_merge`'s assertion) and a place was found, just before
    /// the C would act on the request: wherever the C refuses or fails the
    /// request, the fixed port does the same.
    pub(crate) fn check_attributes_defined(&self) -> Result<(), Precondition> {
        let flags = MapFlags::from_raw(self.flags);
        let (inheritance, advice) = (flags.inheritance.raw(), flags.advice.raw());
        if inheritance > LAST_DEFINED_INHERITANCE {
            return Err(Precondition::RequestInheritanceDefined);
        }
        if advice > LAST_DEFINED_ADVICE {
            return Err(Precondition::RequestAdviceDefined);
        }
        Ok(())
    }

    /// The C's own checks, in its order.
    fn check_as_the_c_does(&self) -> Result<(), Precondition> {
        let flags = MapFlags::from_raw(self.flags);
        let (prot, max_prot) = (flags.protection, flags.max_protection);
        let checks = [
            (
                self.object.is_some() || self.offset == 0,
                Precondition::RequestOffsetWithoutObject,
            ),
            (
                page_aligned(self.offset),
                Precondition::RequestOffsetAligned,
            ),
            (page_aligned(self.start), Precondition::RequestStartAligned),
            (self.size > 0, Precondition::RequestSizeNonZero),
            (page_aligned(self.size), Precondition::RequestSizeAligned),
            (
                self.start.wrapping_add(self.size) > self.start,
                Precondition::RequestNoWrap,
            ),
            (
                self.align == 0 || self.align >= PAGE_SIZE,
                Precondition::RequestAlignAtLeastPage,
            ),
            (is_p2(self.align), Precondition::RequestAlignPowerOfTwo),
            (max_prot.contains(prot), Precondition::RequestProtWithinMax),
            (
                self.flags & VM_MAP_FIXED == 0
                    || self.align == 0
                    || p2_aligned(self.start, self.align),
                Precondition::RequestFixedStartAligned,
            ),
        ];
        match checks.iter().find(|(holds, _)| !holds) {
            Some(&(_, precondition)) => Err(precondition),
            None => Ok(()),
        }
    }
}

impl Vm {
    /// `vm_map_prepare`: checks the request, then places it.
    pub(crate) fn prepare(&mut self, map: usize, request: &mut Request) -> Result<(), Failure> {
        request.check()?;
        if request.flags & VM_MAP_FIXED != 0 {
            self.find_fixed(map, request)
        } else {
            self.find_avail(map, request)
        }
    }

    /// `vm_map_find_fixed`: whether `[start, start + size)` is free.
    fn find_fixed(&mut self, map: usize, request: &mut Request) -> Result<(), Failure> {
        let (start, size) = (request.start, request.size);
        let (map_start, map_end) = (self.maps[map].start, self.maps[map].end);
        if start < map_start || start.wrapping_add(size) > map_end {
            return Err(Error::NoMem.into());
        }
        match self.lookup_nearest(map, start)? {
            None => {
                if map_end.wrapping_sub(start) < size {
                    return Err(Error::NoMem.into());
                }
                request.next = None;
            }
            Some(next) => {
                let next_start = self.arena[next].start;
                if start >= next_start || next_start.wrapping_sub(start) < size {
                    return Err(Error::NoMem.into());
                }
                request.next = Some(next);
            }
        }
        Ok(())
    }

    /// `vm_map_find_avail`: the hint if it fits, else the first fit from the
    /// find cache or the map start.
    fn find_avail(&mut self, map: usize, request: &mut Request) -> Result<(), Failure> {
        if request.start != 0 && self.hint_usable(request) {
            match self.find_fixed(map, request) {
                Ok(()) => return Ok(()),
                Err(Failure::Error(_)) => {}
                Err(failure) => return Err(failure),
            }
        }
        let (size, align) = (request.size, request.align);
        let mut base = if size > self.maps[map].find_cache_threshold {
            self.maps[map].find_cache
        } else {
            // A search from the map start may pick the area the threshold
            // describes, so the threshold no longer holds.
            self.maps[map].find_cache_threshold = 0;
            self.maps[map].start
        };
        loop {
            self.count_loop_step()?;
            match self.first_fit_from(map, base, size, align)? {
                Some((start, next)) => {
                    self.maps[map].find_cache = start.wrapping_add(size);
                    request.start = start;
                    request.next = next;
                    return Ok(());
                }
                None if base != self.maps[map].start => {
                    // Room may exist below the cached start: retry from the
                    // map start.
                    base = self.maps[map].start;
                    self.maps[map].find_cache_threshold = 0;
                }
                None => return Err(Error::NoMem.into()),
            }
        }
    }

    /// Whether the search tries the hint first. The C always does; the
    /// fixed port only when the hint is a multiple of the alignment, since
    /// the fixed path it goes through never checks the alignment.
    fn hint_usable(&self, request: &Request) -> bool {
        self.bugs.enter_hint_ignores_alignment
            || request.align == 0
            || p2_aligned(request.start, request.align)
    }

    /// One pass of `vm_map_find_avail` from `base` (the code after its
    /// `retry:` label): the chosen start and following entry, or `None` when
    /// the end of the map is reached. Raises the threshold on the way.
    fn first_fit_from(
        &mut self,
        map: usize,
        base: u64,
        size: u64,
        align: u64,
    ) -> Result<Option<(u64, Option<SlotId>)>, Failure> {
        let mut start = base;
        let mut next = self.lookup_nearest(map, start)?;
        let map_end = self.maps[map].end;
        loop {
            self.count_loop_step()?;
            if start > map_end {
                return Err(Precondition::FindStartWithinMap.into());
            }
            if align != 0 {
                let rounded = p2_round(start, align);
                // The C rounds past the end (or wraps to 0) and then finds
                // the wrapped distance to the end large; the fixed port
                // knows there is no aligned room left from here.
                let past_end = rounded < start || rounded > map_end;
                if past_end && !self.bugs.find_avail_align_past_end {
                    return Ok(None);
                }
                start = rounded;
            }
            if map_end.wrapping_sub(start) < size {
                return Ok(None);
            }
            let space = match next {
                None => map_end.wrapping_sub(start),
                Some(entry) if start >= self.arena[entry].start => 0,
                Some(entry) => self.arena[entry].start.wrapping_sub(start),
            };
            if space >= size {
                return Ok(Some((start, next)));
            }
            if space > self.maps[map].find_cache_threshold {
                self.maps[map].find_cache_threshold = space;
            }
            // Without a next entry the space is the rest of the map, which
            // was just found large enough; the C dereferences next here.
            let Some(entry) = next else {
                return Ok(None);
            };
            start = self.arena[entry].end;
            next = self.next(entry);
        }
    }
}
