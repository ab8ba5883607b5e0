//! Resolution: turning an operation's selectors into the concrete arguments
//! both sides receive, against the state the operation runs in.
//!
//! Unless an operation is marked `invalid`, resolution repairs its operands
//! so that they meet every precondition the C original asserts (page-aligned
//! offsets, starts and sizes, no wrap-around, power-of-two alignments, prot
//! within maxprot, no `VM_MAP_NOMERGE` through enter, removes inside the map
//! with `start < end`, removes on the kernel map inside ranges the program
//! itself entered there, faults on user maps and object entries only,
//! inheritance and advice values X15 defines), and repairs values already
//! valid into themselves. Where no repair makes sense (no user map exists, a
//! remove on the kernel map away from the program's own ranges, a fault on
//! the kernel map or a null entry) the operation resolves to
//! [`ResolvedOp::Skip`], which runs on neither side. An `invalid` operation's operands pass through unchanged.
//! Resolution never fails; [`ResolvedOp::violation`] names the precondition
//! a resolved operation breaks, if any.

use super::ops::{
    AddrSel, AlignSel, Anchor, EnterArgs, FaultArgs, MapSel, ObjectSel, Op, OpKind, RemoveArgs,
    SizeSel, ValueSel, PROT_ALL,
};
use super::PAGE_SIZE;
use vm_rs::{Advice, Inheritance, MapFlags, Protection};

const PAGE_MASK: u64 = PAGE_SIZE - 1;
/// `VM_PROT_READ`.
const PROT_READ: u8 = 1;
/// The highest start a valid mapping can have: one page below the last, so
/// that a page fits after it without wrapping to 0.
const HIGHEST_START: u64 = 0u64.wrapping_sub(2 * PAGE_SIZE);

/// A map as both sides number it: 0 is the kernel map, `n` the `n`th user
/// map created (from 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MapRef(pub u32);

impl MapRef {
    /// The kernel map.
    pub const KERNEL: MapRef = MapRef(0);

    /// Whether this is the kernel map.
    pub fn is_kernel(self) -> bool {
        self == MapRef::KERNEL
    }
}

/// What resolution needs to know about the current state (implemented by
/// the runner over one side's maps).
pub trait StateView {
    /// How many user maps exist.
    fn user_map_count(&self) -> u32;
    /// How many memory objects exist.
    fn object_count(&self) -> u32;
    /// The map's `(start, end)`.
    fn map_bounds(&self, map: MapRef) -> (u64, u64);
    /// The map's entries as `(start, end)`, in address order.
    fn entries(&self, map: MapRef) -> &[(u64, u64)];
    /// Whether entry `index` (in address order) of the map has an object;
    /// a fault on a null entry is a precondition breach in the C.
    fn entry_has_object(&self, map: MapRef, index: usize) -> bool;
    /// The kernel-map ranges the program itself entered and has not removed
    /// since, disjoint and in address order. Everything else mapped in the
    /// kernel map belongs to the kernel (the boot and kentry entries, slab
    /// memory), and a caller that removes it breaks a precondition.
    fn kernel_ranges_of_program(&self) -> &[(u64, u64)];
}

/// Why an operation resolved to nothing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SkipReason {
    /// It needs a user map and none exists.
    NoUserMap,
    /// A valid remove on the kernel map stays inside a range the program
    /// entered there; this one meets none.
    KernelMapRemove,
    /// `vm_map_fault` asserts that the map is not the kernel map.
    KernelMapFault,
    /// `vm_map_fault` asserts that the entry has an object.
    NullEntryFault,
}

impl SkipReason {
    /// A short explanation for reports.
    pub fn describe(self) -> &'static str {
        match self {
            SkipReason::NoUserMap => "no user map exists",
            SkipReason::KernelMapRemove => {
                "a valid kernel-map remove needs a range the program entered"
            }
            SkipReason::KernelMapFault => "a valid fault is never on the kernel map",
            SkipReason::NullEntryFault => "a valid fault is never on a null entry",
        }
    }
}

/// An operation with concrete arguments, exactly as both sides run it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ResolvedOp {
    /// `vm_map_create`.
    CreateMap,
    /// Create an anonymous object.
    CreateObject,
    /// `vm_map_enter(map, object, offset, &start, size, align, flags)`.
    Enter(EnterRequest),
    /// `vm_map_remove(map, start, end)`.
    Remove {
        /// The map.
        map: MapRef,
        /// The first address removed.
        start: u64,
        /// The address just past the range.
        end: u64,
    },
    /// `vm_map_fault(map, addr, access)`.
    Fault {
        /// The map.
        map: MapRef,
        /// The faulting address.
        addr: u64,
        /// The access type (`VM_PROT_*` bits).
        access: i32,
    },
    /// Hand every empty slab back to its back end.
    Reap,
    /// `vm_map_info(map)`.
    Info {
        /// The map.
        map: MapRef,
    },
    /// Nothing runs on either side.
    Skip {
        /// The kind of the operation skipped.
        kind: OpKind,
        /// Why.
        reason: SkipReason,
    },
}

/// The concrete arguments of `vm_map_enter(map, object, offset, &start,
/// size, align, flags)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnterRequest {
    /// The map.
    pub map: MapRef,
    /// The object's index in creation order, or `None` for a null mapping.
    pub object: Option<u32>,
    /// The offset into the object.
    pub offset: u64,
    /// The fixed start or the hint (0: none).
    pub start: u64,
    /// The size in bytes.
    pub size: u64,
    /// The alignment in bytes (0: none).
    pub align: u64,
    /// `VM_MAP_FLAGS(prot, maxprot, inherit, advice, mapflags)`, as the C's
    /// `int`.
    pub flags: i32,
}

impl EnterRequest {
    /// The flags, field by field.
    pub fn map_flags(&self) -> MapFlags {
        MapFlags::from_i32(self.flags)
    }

    /// Whether the start is fixed rather than a hint (`VM_MAP_FIXED`).
    pub fn is_fixed(&self) -> bool {
        self.map_flags().fixed
    }
}

/// A precondition of the C original (or of the harness) that a resolved
/// operation breaks; only `invalid` operations resolve to these.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Violation {
    /// Enter: an offset without an object.
    OffsetWithoutObject,
    /// Enter: the offset is not page-aligned.
    UnalignedOffset,
    /// Enter: the start is not page-aligned.
    UnalignedStart,
    /// Enter: the size is 0 or not page-aligned.
    BadSize,
    /// Enter: `start + size` wraps around.
    RangeWraps,
    /// Enter: the alignment is neither 0 nor a power of two of at least a page.
    BadAlignment,
    /// Enter: prot allows what maxprot does not.
    ProtAboveMaxprot,
    /// Enter: a fixed start not aligned to the alignment.
    FixedStartUnaligned,
    /// Enter: `VM_MAP_NOMERGE` (the C asserts it is clear when merging).
    NoMergeThroughEnter,
    /// Enter: an inheritance or advice value X15 does not define.
    UndefinedInheritOrAdvice,
    /// Enter: an object in the kernel map (the C returns `ERROR_INVAL`; the
    /// harness keeps objects in user maps).
    ObjectInKernelMap,
    /// Remove: outside the map, empty or reversed.
    BadRemoveRange,
    /// Remove: a start or end not page-aligned.
    UnalignedRemove,
    /// Remove: kernel-map pages the program did not enter (the boot and
    /// kentry entries, slab memory).
    KernelMapRemove,
    /// Fault: the kernel map.
    KernelMapFault,
    /// Fault: an access of none, or with bits beyond read, write and
    /// execute.
    FaultWithoutRealAccess,
    /// Fault: an address in a null entry (the C asserts when the access is
    /// allowed).
    NullEntryFault,
}

/// A map's bounds and entries, with the selector arithmetic over them.
struct Layout<'a> {
    start: u64,
    end: u64,
    entries: &'a [(u64, u64)],
}

impl<'a> Layout<'a> {
    fn of(view: &'a dyn StateView, map: MapRef) -> Layout<'a> {
        let (start, end) = view.map_bounds(map);
        Layout {
            start,
            end,
            entries: view.entries(map),
        }
    }

    fn entry(&self, index: u8) -> Option<(u64, u64)> {
        let count = self.entries.len();
        (count > 0).then(|| self.entries[usize::from(index) % count])
    }

    /// How many non-empty free ranges the map has: one before each entry
    /// that does not start where the last ended (or at the map's start),
    /// and one after the last entry if it ends before the map does. A
    /// plain loop: operands name gaps at most steps, in maps of hundreds
    /// of entries.
    fn gap_count(&self) -> usize {
        let mut low = self.start;
        let mut count = 0;
        for &(entry_start, entry_end) in self.entries {
            count += usize::from(low < entry_start);
            low = entry_end;
        }
        count + usize::from(low < self.end)
    }

    /// The non-empty free range `index` names (modulo their count), in
    /// address order.
    fn gap(&self, index: u8) -> Option<(u64, u64)> {
        let count = self.gap_count();
        let mut wanted = usize::from(index).checked_rem(count)?;
        let mut low = self.start;
        for &(entry_start, entry_end) in self.entries {
            if low < entry_start {
                if wanted == 0 {
                    return Some((low, entry_start));
                }
                wanted -= 1;
            }
            low = entry_end;
        }
        // The count says that the last free range is the one wanted.
        debug_assert!(wanted == 0 && low < self.end);
        Some((low, self.end))
    }

    fn anchor(&self, anchor: Anchor) -> u64 {
        match anchor {
            Anchor::EntryStart(index) => self.entry(index).map_or(self.start, |e| e.0),
            Anchor::EntryEnd(index) => self.entry(index).map_or(self.start, |e| e.1),
            Anchor::GapStart(index) => self.gap(index).map_or(self.start, |g| g.0),
            Anchor::GapEnd(index) => self.gap(index).map_or(self.end, |g| g.1),
            Anchor::MapStart => self.start,
            Anchor::MapEnd => self.end,
        }
    }

    fn addr(&self, addr: AddrSel) -> u64 {
        match addr {
            AddrSel::Zero => 0,
            AddrSel::At(anchor) => self.anchor(anchor),
            AddrSel::Near(anchor, delta_pages) => self
                .anchor(anchor)
                .wrapping_add_signed(i64::from(delta_pages) * PAGE_SIZE as i64),
            AddrSel::Raw(value) => value,
        }
    }

    fn size(&self, size: SizeSel) -> u64 {
        match size {
            SizeSel::Pages(pages) => u64::from(pages) * PAGE_SIZE,
            SizeSel::GapSize(index) => self.gap(index).map_or(0, |g| g.1 - g.0),
            SizeSel::EntrySize(index) => self.entry(index).map_or(0, |e| e.1.wrapping_sub(e.0)),
            SizeSel::Raw(value) => value,
        }
    }

    /// The index of the entry containing `addr`, if any.
    fn entry_containing(&self, addr: u64) -> Option<usize> {
        let index = self.entries.partition_point(|&(_, end)| end <= addr);
        let &(start, _) = self.entries.get(index)?;
        (start <= addr).then_some(index)
    }
}

fn page_trunc(value: u64) -> u64 {
    value & !PAGE_MASK
}

/// Rounds up to a page, or down when rounding up would wrap.
fn page_round_or_trunc(value: u64) -> u64 {
    value
        .checked_add(PAGE_MASK)
        .map_or(page_trunc(value), page_trunc)
}

/// The map a selector names, or `None` when it wants a user map and there
/// is none.
fn resolve_map(map: MapSel, view: &dyn StateView) -> Option<MapRef> {
    match map {
        MapSel::Kernel => Some(MapRef::KERNEL),
        MapSel::User(number) => {
            let count = view.user_map_count();
            (count > 0).then(|| MapRef(1 + (u32::from(number.max(1)) - 1) % count))
        }
    }
}

impl Op {
    /// Resolves the operation against the current state; see the module
    /// documentation for what is repaired and when it is skipped.
    pub fn resolve(&self, view: &dyn StateView) -> ResolvedOp {
        match *self {
            // One iteration: the runner resolves each against its own state.
            Op::Repeat { body, .. } => body.op().resolve(view),
            Op::CreateMap => ResolvedOp::CreateMap,
            Op::CreateObject => ResolvedOp::CreateObject,
            Op::Enter(ref args) => resolve_enter(args, view),
            Op::Remove(ref args) => resolve_remove(args, view),
            Op::Fault(ref args) => resolve_fault(args, view),
            Op::Reap => ResolvedOp::Reap,
            Op::Info { map } => ResolvedOp::Info {
                map: resolve_map(map, view).unwrap_or(MapRef::KERNEL),
            },
        }
    }
}

fn resolve_enter(args: &EnterArgs, view: &dyn StateView) -> ResolvedOp {
    let map = resolve_map(args.map, view).unwrap_or(MapRef::KERNEL);
    let layout = Layout::of(view, map);
    let object_count = view.object_count();
    let mut request = EnterRequest {
        map,
        object: match args.object {
            ObjectSel::Nth(index) if object_count > 0 => Some(u32::from(index) % object_count),
            _ => None,
        },
        offset: match args.offset {
            ValueSel::Pages(pages) => u64::from(pages) * PAGE_SIZE,
            ValueSel::Raw(value) => value,
        },
        start: layout.addr(args.start),
        size: layout.size(args.size),
        align: match args.align {
            AlignSel::None => 0,
            AlignSel::PageShift(shift) => PAGE_SIZE << shift.min(51),
            AlignSel::Raw(value) => value,
        },
        flags: 0,
    };
    // The flag fields are repaired on a copy: the program keeps its own.
    let mut flag_args = *args;
    if !args.invalid {
        repair_enter(&mut request, &mut flag_args);
    }
    request.flags = enter_flags(&flag_args).to_i32();
    ResolvedOp::Enter(request)
}

/// Makes an enter meet `vm_map_enter`'s preconditions, each operand after
/// those it depends on: no object in the kernel map, an offset only with an
/// object, then the alignment, the start it aligns and the size that fits
/// after the start; the protection within the maximum, no `nomerge`, and
/// defined inheritance and advice.
fn repair_enter(request: &mut EnterRequest, args: &mut EnterArgs) {
    if request.map.is_kernel() {
        request.object = None;
    }
    request.offset = if request.object.is_some() {
        page_trunc(request.offset)
    } else {
        0
    };
    request.align = repair_align(request.align);
    request.start = repair_start(request.start, request.align, args.fixed);
    request.size = repair_size(request.size, request.start);
    args.prot &= args.maxprot;
    args.nomerge = false;
    args.inherit %= MAX_DEFINED_INHERIT + 1;
    args.advice %= MAX_DEFINED_ADVICE + 1;
}

/// `VM_MAP_FLAGS` of an enter's fields, with its map flags.
fn enter_flags(args: &EnterArgs) -> MapFlags {
    MapFlags {
        no_merge: args.nomerge,
        fixed: args.fixed,
        ..pack_flags(args.prot, args.maxprot, args.inherit, args.advice)
    }
}

/// The largest inheritance value X15 defines (`VM_INHERIT_COPY`).
const MAX_DEFINED_INHERIT: u8 = 2;
/// The largest advice value X15 defines (`VM_ADV_DONTNEED`).
const MAX_DEFINED_ADVICE: u8 = 4;

/// `VM_MAP_FLAGS` without the map flags; each field keeps to its nibble
/// (`MapFlags::to_raw` cuts it).
fn pack_flags(prot: u8, maxprot: u8, inherit: u8, advice: u8) -> MapFlags {
    MapFlags::new(
        Protection::from_raw(u32::from(prot)),
        Protection::from_raw(u32::from(maxprot)),
        Inheritance::from_raw(u32::from(inherit)),
        Advice::from_raw(u32::from(advice)),
    )
}

/// 0, or a power of two of at least a page (the largest not above `align`).
fn repair_align(align: u64) -> u64 {
    match align {
        0 => 0,
        _ if align < PAGE_SIZE => PAGE_SIZE,
        _ => 1 << (63 - align.leading_zeros()),
    }
}

/// A page-aligned start with room for a page above it; a fixed start is
/// moved up to its alignment (down when up would not fit).
fn repair_start(start: u64, align: u64, fixed: bool) -> u64 {
    let start = page_trunc(start).min(HIGHEST_START);
    if !fixed || align == 0 || start & (align - 1) == 0 {
        return start;
    }
    let down = start & !(align - 1);
    match start.checked_add(align - 1) {
        Some(up) if up & !(align - 1) <= HIGHEST_START => up & !(align - 1),
        _ => down,
    }
}

/// A non-zero, page-aligned size that does not wrap past the top.
fn repair_size(size: u64, start: u64) -> u64 {
    let size = match page_round_or_trunc(size) {
        0 => PAGE_SIZE,
        rounded => rounded,
    };
    if start.checked_add(size).is_none() {
        // `start` is at most HIGHEST_START, so at least a page is left.
        return 0u64.wrapping_sub(start) - PAGE_SIZE;
    }
    size
}

fn resolve_remove(args: &RemoveArgs, view: &dyn StateView) -> ResolvedOp {
    let skip = |reason| ResolvedOp::skipped(OpKind::Remove, reason);
    let Some(map) = resolve_map(args.map, view) else {
        return skip(SkipReason::NoUserMap);
    };
    let invalid = args.invalid;
    let layout = Layout::of(view, map);
    let (mut start, mut end) = (layout.addr(args.start), layout.addr(args.end));
    if !invalid {
        (start, end) = repair_range(start, end, layout.start, layout.end);
        if map.is_kernel() {
            match clip_to_program_range(start, end, view.kernel_ranges_of_program()) {
                Some(range) => (start, end) = range,
                None => return skip(SkipReason::KernelMapRemove),
            }
        }
    }
    ResolvedOp::Remove { map, start, end }
}

/// The part of `[start, end)` inside the first of `ranges` it meets, or
/// `None` when it meets none: a valid kernel-map remove only takes back what
/// the program itself entered.
fn clip_to_program_range(start: u64, end: u64, ranges: &[(u64, u64)]) -> Option<(u64, u64)> {
    ranges
        .iter()
        .find(|&&(low, high)| low < end && start < high)
        .map(|&(low, high)| (start.max(low), end.min(high)))
}

/// A non-empty, page-aligned range inside the map: reversed ends swap, an
/// empty range grows by a page.
fn repair_range(start: u64, end: u64, map_start: u64, map_end: u64) -> (u64, u64) {
    let (mut start, mut end) = (page_trunc(start), page_round_or_trunc(end));
    if end < start {
        (start, end) = (end, start);
    }
    start = start.max(map_start).min(map_end);
    end = end.max(map_start).min(map_end);
    if start == end {
        if map_end.saturating_sub(end) >= PAGE_SIZE {
            end += PAGE_SIZE;
        } else if start.saturating_sub(map_start) >= PAGE_SIZE {
            start -= PAGE_SIZE;
        }
    }
    (start, end)
}

fn resolve_fault(args: &FaultArgs, view: &dyn StateView) -> ResolvedOp {
    let skip = |reason| ResolvedOp::skipped(OpKind::Fault, reason);
    let invalid = args.invalid;
    let map = match resolve_map(args.map, view) {
        Some(map) => map,
        None if invalid => MapRef::KERNEL,
        None => return skip(SkipReason::NoUserMap),
    };
    if map.is_kernel() && !invalid {
        return skip(SkipReason::KernelMapFault);
    }
    let layout = Layout::of(view, map);
    let addr = layout.addr(args.addr);
    if !invalid {
        if let Some(index) = layout.entry_containing(page_trunc(addr)) {
            if !view.entry_has_object(map, index) {
                return skip(SkipReason::NullEntryFault);
            }
        }
    }
    let access = i32::from(if invalid {
        args.access
    } else {
        repair_access(args.access)
    });
    ResolvedOp::Fault { map, addr, access }
}

/// A real access: read, write or execute bits, at least one of them (an
/// access of none asks for nothing, so a valid fault reads instead).
fn repair_access(access: u8) -> u8 {
    match access & PROT_ALL {
        0 => PROT_READ,
        access => access,
    }
}

impl ResolvedOp {
    /// An operation of `kind` that runs on neither side, and why.
    pub fn skipped(kind: OpKind, reason: SkipReason) -> ResolvedOp {
        ResolvedOp::Skip { kind, reason }
    }

    /// The kind of operation this resolved from.
    pub fn kind(&self) -> OpKind {
        match self {
            ResolvedOp::CreateMap => OpKind::CreateMap,
            ResolvedOp::CreateObject => OpKind::CreateObject,
            ResolvedOp::Enter(_) => OpKind::Enter,
            ResolvedOp::Remove { .. } => OpKind::Remove,
            ResolvedOp::Fault { .. } => OpKind::Fault,
            ResolvedOp::Reap => OpKind::Reap,
            ResolvedOp::Info { .. } => OpKind::Info,
            ResolvedOp::Skip { kind, .. } => *kind,
        }
    }

    /// The map the operation names, if it names one.
    pub fn map(&self) -> Option<MapRef> {
        match *self {
            ResolvedOp::Enter(EnterRequest { map, .. })
            | ResolvedOp::Remove { map, .. }
            | ResolvedOp::Fault { map, .. }
            | ResolvedOp::Info { map } => Some(map),
            ResolvedOp::CreateMap
            | ResolvedOp::CreateObject
            | ResolvedOp::Reap
            | ResolvedOp::Skip { .. } => None,
        }
    }

    /// The first precondition this operation breaks in the given state, if
    /// any. Operations resolved without the `invalid` bit break none.
    pub fn violation(&self, view: &dyn StateView) -> Option<Violation> {
        match *self {
            ResolvedOp::Enter(ref request) => enter_violation(request),
            ResolvedOp::Remove { map, start, end } => remove_violation(map, start, end, view),
            ResolvedOp::Fault { map, addr, access } => {
                if map.is_kernel() {
                    return Some(Violation::KernelMapFault);
                }
                if !(1..=i32::from(PROT_ALL)).contains(&access) {
                    return Some(Violation::FaultWithoutRealAccess);
                }
                let layout = Layout::of(view, map);
                let index = layout.entry_containing(page_trunc(addr))?;
                (!view.entry_has_object(map, index)).then_some(Violation::NullEntryFault)
            }
            _ => None,
        }
    }
}

fn enter_violation(request: &EnterRequest) -> Option<Violation> {
    let (map, object, offset) = (request.map, request.object, request.offset);
    let (start, size, align) = (request.start, request.size, request.align);
    let flags = request.map_flags();
    let (prot, maxprot) = (flags.protection, flags.max_protection);
    let checks = [
        (
            object.is_none() && offset != 0,
            Violation::OffsetWithoutObject,
        ),
        (offset & PAGE_MASK != 0, Violation::UnalignedOffset),
        (start & PAGE_MASK != 0, Violation::UnalignedStart),
        (size == 0 || size & PAGE_MASK != 0, Violation::BadSize),
        (start.checked_add(size).is_none(), Violation::RangeWraps),
        (
            align != 0 && (align < PAGE_SIZE || !align.is_power_of_two()),
            Violation::BadAlignment,
        ),
        (!maxprot.contains(prot), Violation::ProtAboveMaxprot),
        (
            flags.fixed && align != 0 && start & align.wrapping_sub(1) != 0,
            Violation::FixedStartUnaligned,
        ),
        (flags.no_merge, Violation::NoMergeThroughEnter),
        (
            flags.inheritance.raw() > u32::from(MAX_DEFINED_INHERIT)
                || flags.advice.raw() > u32::from(MAX_DEFINED_ADVICE),
            Violation::UndefinedInheritOrAdvice,
        ),
        (
            map.is_kernel() && object.is_some(),
            Violation::ObjectInKernelMap,
        ),
    ];
    checks
        .into_iter()
        .find_map(|(broken, violation)| broken.then_some(violation))
}

fn remove_violation(map: MapRef, start: u64, end: u64, view: &dyn StateView) -> Option<Violation> {
    let (map_start, map_end) = view.map_bounds(map);
    if start < map_start || end > map_end || start >= end {
        return Some(Violation::BadRemoveRange);
    }
    if (start | end) & PAGE_MASK != 0 {
        return Some(Violation::UnalignedRemove);
    }
    let takes_kernel_memory = map.is_kernel()
        && view.entries(map).iter().any(|&(low, high)| {
            let (low, high) = (low.max(start), high.min(end));
            low < high && !covers(view.kernel_ranges_of_program(), low, high)
        });
    takes_kernel_memory.then_some(Violation::KernelMapRemove)
}

/// Whether the disjoint, sorted `ranges` cover `[low, high)` entirely.
fn covers(ranges: &[(u64, u64)], mut low: u64, high: u64) -> bool {
    for &(start, end) in ranges {
        if start <= low && low < end {
            low = end;
        }
        if low >= high {
            return true;
        }
    }
    low >= high
}
