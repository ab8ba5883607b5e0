//! [`Model::classify`]: which precondition a request breaks, if any.
//!
//! Each kind of request has a table of its preconditions, one row each: the
//! precondition and the test that a request breaks it. The rows are
//! checked in the table's order (the map, then the flags, then the
//! addresses) so that a request breaking several preconditions is always
//! named by the same one. Classifying never fails: its answer is the
//! precondition broken, as `Err`.

use crate::enter::Enter;
use crate::invalid::Invalid;
use crate::model::{MapState, Model};
use crate::request::{MapIndex, Request};
use crate::x15::{ADVICE_MAX, INHERIT_MAX, PAGE_SIZE, PROT_ALL};

/// One precondition on a request of kind `T` and the test that the
/// request breaks it.
type Row<T> = (Invalid, fn(&T) -> bool);

/// The preconditions on an enter into an existing map: its flags word, its
/// object offset, then its start, size and alignment.
const ENTER_ROWS: [Row<Enter>; 13] = [
    (Invalid::EnterUnknownFlags, |enter| {
        enter.flags.unknown_bits != 0
    }),
    (Invalid::EnterNoMerge, |enter| enter.flags.nomerge),
    (Invalid::EnterProtUndefined, |enter| {
        enter.flags.prot > PROT_ALL || enter.flags.maxprot > PROT_ALL
    }),
    (Invalid::EnterProtAboveMax, |enter| {
        enter.flags.prot & !enter.flags.maxprot != 0
    }),
    (Invalid::EnterInheritUndefined, |enter| {
        enter.flags.inherit > INHERIT_MAX
    }),
    (Invalid::EnterAdviceUndefined, |enter| {
        enter.flags.advice > ADVICE_MAX
    }),
    (Invalid::EnterOffsetWithoutObject, |enter| {
        enter.object.is_none() && enter.offset != 0
    }),
    (Invalid::EnterOffsetUnaligned, |enter| {
        enter.offset % PAGE_SIZE != 0
    }),
    (Invalid::EnterStartUnaligned, |enter| {
        enter.start % PAGE_SIZE != 0
    }),
    (Invalid::EnterSizeInvalid, |enter| {
        enter.size_bytes == 0 || enter.size_bytes % PAGE_SIZE != 0
    }),
    (Invalid::EnterRangeWraps, |enter| {
        enter.start.checked_add(enter.size_bytes).is_none()
    }),
    (Invalid::EnterAlignInvalid, |enter| {
        let align = enter.requested_align;
        align != 0 && (align < PAGE_SIZE || !align.is_power_of_two())
    }),
    (Invalid::EnterFixedMisaligned, |enter| {
        let align = enter.requested_align;
        enter.flags.fixed && align != 0 && enter.start % align != 0
    }),
];

/// A remove from an existing map, as its preconditions see it.
struct Removal<'a> {
    model: &'a Model,
    map: MapIndex,
    state: &'a MapState,
    start: u64,
    end: u64,
}

/// The preconditions on a remove from an existing map: its range, then
/// what the kernel owns (a function rather than a constant, because a
/// removal borrows the model).
fn remove_rows<'a>() -> [Row<Removal<'a>>; 4] {
    [
        (Invalid::RemoveUnaligned, |removal| {
            removal.start % PAGE_SIZE != 0 || removal.end % PAGE_SIZE != 0
        }),
        (Invalid::RemoveEmpty, |removal| removal.start >= removal.end),
        (Invalid::RemoveOutsideMap, |removal| {
            !removal.state.bounds_contain(removal.start, removal.end)
        }),
        (Invalid::RemoveKernelOwned, |removal| {
            removal.map.is_kernel() && removal.model.kernel_owns(removal.start, removal.end)
        }),
    ]
}

/// A fault on an existing map, as its preconditions see it.
struct FaultOn<'a> {
    map: MapIndex,
    state: &'a MapState,
    addr: u64,
    access: u32,
}

/// The preconditions on a fault on an existing map: the map, the access,
/// then the page (a function, because a fault borrows the map's state).
fn fault_rows<'a>() -> [Row<FaultOn<'a>>; 3] {
    [
        (Invalid::FaultKernelMap, |fault| fault.map.is_kernel()),
        (Invalid::FaultAccessInvalid, |fault| {
            fault.access == 0 || fault.access > u32::from(PROT_ALL)
        }),
        (Invalid::FaultNullMapping, |fault| {
            let page = fault.addr & !(PAGE_SIZE - 1);
            fault
                .state
                .pages
                .containing(page)
                .is_some_and(|span| span.value.attributes.object.is_none())
        }),
    ]
}

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
            Request::Enter { map, .. } => {
                self.existing(map)?;
                match Enter::from_request(request) {
                    Some(enter) => first_broken(&ENTER_ROWS, &enter),
                    None => Ok(()),
                }
            }
            Request::Remove { map, start, end } => {
                let state = self.existing(map)?;
                let removal = Removal {
                    model: self,
                    map,
                    state,
                    start,
                    end,
                };
                first_broken(&remove_rows(), &removal)
            }
            Request::Fault { map, addr, access } => {
                let state = self.existing(map)?;
                let fault = FaultOn {
                    map,
                    state,
                    addr,
                    access,
                };
                first_broken(&fault_rows(), &fault)
            }
        }
    }

    /// The state of `map`, or the precondition that it must exist.
    fn existing(&self, map: MapIndex) -> Result<&MapState, Invalid> {
        self.map(map).ok_or(Invalid::MapMissing)
    }
}

/// The precondition of the first row `request` breaks, in the table's
/// order.
fn first_broken<T>(rows: &[Row<T>], request: &T) -> Result<(), Invalid> {
    match rows.iter().find(|(_, breaks)| breaks(request)) {
        Some(&(invalid, _)) => Err(invalid),
        None => Ok(()),
    }
}
