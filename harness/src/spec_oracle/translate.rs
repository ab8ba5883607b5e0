//! Translation between the harness's vocabulary and the specification's:
//! operations become [`spec::Request`]s, outcomes [`spec::Answer`]s, a
//! side's entries [`spec::Mapping`]s, its page-table leaves [`spec::Leaf`]s,
//! and the kernel's own allocations (seen in the trace) requests of their
//! own. Nothing here judges; nothing here fails.

use crate::observe::Outcome;
use crate::program::{MapRef, ResolvedOp};
use sim::{Event, TableEntry, PAGE_SIZE};
use spec::{Answer, Attributes, Leaf, MapIndex, Mapping, Request};
use vm_rs::{EntryState, MapFlags};

/// The request an operation makes of the map interface; `None` for the
/// operations the specification says nothing about (object creation,
/// printing, reaping, skips).
pub fn request_of(op: &ResolvedOp) -> Option<Request> {
    match *op {
        ResolvedOp::CreateMap => Some(Request::CreateMap),
        ResolvedOp::Enter(request) => Some(Request::Enter {
            map: map_index(request.map),
            object: request.object,
            offset: request.offset,
            start: request.start,
            size: request.size,
            align: request.align,
            flags: request.flags as u32,
        }),
        ResolvedOp::Remove { map, start, end } => Some(Request::Remove {
            map: map_index(map),
            start,
            end,
        }),
        ResolvedOp::Fault { map, addr, access } => Some(Request::Fault {
            map: map_index(map),
            addr,
            access: access as u32,
        }),
        ResolvedOp::CreateObject
        | ResolvedOp::Reap
        | ResolvedOp::Info { .. }
        | ResolvedOp::Skip { .. } => None,
    }
}

/// The specification's name for a map.
pub fn map_index(map: MapRef) -> MapIndex {
    MapIndex(map.0)
}

/// A side's outcome as an answer; `None` when nothing ran (the side was
/// already dead).
pub fn answer_of(outcome: &Outcome) -> Option<Answer> {
    Some(match outcome {
        Outcome::Ok(Some(start)) => Answer::Entered { start: *start },
        Outcome::Ok(None) => Answer::Done,
        Outcome::Error(code) => Answer::Error(*code),
        // The port's "undefined in C" is its refusal of what the C leaves
        // undefined; the outcome oracle already compares it with the C.
        Outcome::Precondition(_) | Outcome::Undefined(_) => Answer::Refused,
        // A side that did not finish is stopped like a panic; the outcome
        // oracle reports it first.
        Outcome::Fatal(_) | Outcome::Unfinished => Answer::Stopped,
        Outcome::Dead | Outcome::Retired => return None,
    })
}

/// The kernel's own allocations and releases among `events` (one
/// operation's trace), in order: a `vm_kmem_alloc` whose pages were all
/// found, and every `vm_kmem_free`.
pub fn kernel_requests(events: &[Event]) -> impl Iterator<Item = Request> + '_ {
    events.iter().filter_map(|event| match *event {
        Event::KmemPopulate {
            va,
            size_bytes,
            result: true,
        } => Some(Request::KernelAllocate {
            start: va,
            size: size_bytes as u64,
        }),
        Event::KmemDepopulate { va, size_bytes } => Some(Request::KernelRelease {
            start: va,
            size: size_bytes as u64,
        }),
        _ => None,
    })
}

/// The page-table ranges `events` (one operation's trace) wrote, as
/// `(map, start, end)`: map 0's pmap is the kernel's, map `n`'s is pmap
/// `n` (a user map and its pmap are created together).
pub fn written_ranges(events: &[Event]) -> impl Iterator<Item = (usize, u64, u64)> + '_ {
    events.iter().filter_map(|event| match *event {
        Event::PmapEnter { pmap, va, .. } => {
            Some((pmap.0 as usize, va, va.saturating_add(PAGE_SIZE)))
        }
        Event::PmapKenter { va, .. } => Some((0, va, va.saturating_add(PAGE_SIZE))),
        Event::PmapKremove { start, end } => Some((0, start, end)),
        Event::PmapRemove { pmap, start, end } => Some((pmap.0 as usize, start, end)),
        _ => None,
    })
}

/// The range of map pages a request (answered `answer`) changes the
/// meaning of, as `(map, start, end)`: leaves there must be checked again
/// even if the page table itself did not change.
pub fn request_range(request: &Request, answer: &Answer) -> Option<(usize, u64, u64)> {
    let page = |addr: u64| addr & !(PAGE_SIZE - 1);
    match (*request, *answer) {
        (Request::Enter { map, size, .. }, Answer::Entered { start }) => {
            Some((map.0 as usize, start, start.saturating_add(size)))
        }
        (Request::Remove { map, start, end }, _) => Some((map.0 as usize, start, end)),
        (Request::Fault { map, addr, .. }, _) => Some((
            map.0 as usize,
            page(addr),
            page(addr).saturating_add(PAGE_SIZE),
        )),
        (Request::KernelAllocate { start, size } | Request::KernelRelease { start, size }, _) => {
            Some((0, start, start.saturating_add(size)))
        }
        _ => None,
    }
}

/// One entry as a mapping: the attributes are the four nibbles of the
/// entry's flags (the mapping flags above them are not page attributes).
pub fn mapping_of(entry: &EntryState) -> Mapping {
    let flags = MapFlags::from_raw(entry.flags);
    // Each field comes out of its own nibble, so it fits a byte.
    let nibble = |raw: u32| raw as u8;
    Mapping {
        start: entry.start,
        end: entry.end,
        offset: entry.offset,
        attributes: Attributes {
            object: entry.object.map(|object| object.0),
            prot: nibble(flags.protection.raw()),
            maxprot: nibble(flags.max_protection.raw()),
            inherit: nibble(flags.inheritance.raw()),
            advice: nibble(flags.advice.raw()),
        },
    }
}

/// Appends the present leaves among a page table's entries, in address
/// order.
pub fn leaves_of(entries: &[TableEntry], out: &mut Vec<Leaf>) {
    out.extend(
        entries
            .iter()
            .filter(|entry| entry.is_leaf())
            .map(|entry| Leaf {
                va: entry.va,
                writable: entry.is_writable(),
            }),
    );
}
