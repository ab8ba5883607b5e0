//! The registry of known divergences: bugs of the C original that the
//! harness recognises, so that a program showing one stops being compared
//! from that operation on and passes.
//!
//! Each entry has an id, an explanation, what each side does, the predicate
//! that recognises it, and a regression input in `corpus/regressions/`
//! (named after the id) that a test replays to prove the predicate still
//! fires. Anything not recognised here is a finding.

use crate::invariants::Invariant;
use crate::mismatch::{Mismatch, SideName};
use crate::observe::Outcome;
use crate::program::ResolvedOp;

/// A registered bug of the C original.
#[derive(Debug)]
pub struct KnownDivergence {
    /// A stable id; the regression file is `corpus/regressions/<id>.ops`.
    pub id: &'static str,
    /// Why the C is wrong.
    pub explanation: &'static str,
    /// What the C does.
    pub c_behaviour: &'static str,
    /// What the port does.
    pub rust_behaviour: &'static str,
    /// Whether a mismatch at an operation is this bug.
    pub recognise:
        fn(op: &Option<ResolvedOp>, c: &Outcome, rust: &Outcome, mismatch: &Mismatch) -> bool,
}

/// Every registered divergence.
pub static REGISTRY: &[KnownDivergence] = &[
    KnownDivergence {
        id: "find-avail-align-past-end",
        explanation: "vm_map_find_avail rounds the candidate start up to the alignment \
            after its only bound check (`assert(start <= map->end)`); when the rounding \
            passes map->end, `map->end - start` wraps to a huge value, the request \
            'fits', and the map gets an entry outside its own bounds.",
        c_behaviour: "returns success with a start beyond map->end and links the entry",
        rust_behaviour: "reproduces the C exactly (same address, same entry)",
        recognise: |op, _, _, mismatch| {
            matches!(op, Some(ResolvedOp::Enter { align, .. }) if *align != 0)
                && invariant_is(mismatch, Invariant::EntryInsideMap)
        },
    },
    KnownDivergence {
        id: "clip-end-relinks-first-entry-at-tail",
        explanation: "vm_map_clip_end unlinks the entry and relinks it with \
            vm_map_link(map, entry, prev, NULL); when the entry is the first of the \
            map, prev is NULL too and vm_map_link inserts it at the tail of the list. \
            The entry list then disagrees with the tree, and every later list walk \
            (the first-fit search, vm_map_remove, vm_map_info) sees entries out of \
            order, so the search can hand out ranges that overlap existing entries.",
        c_behaviour: "the upper part of the clipped entry ends up last in the list",
        rust_behaviour: "reproduces the C's list order exactly",
        recognise: |op, _, _, mismatch| {
            matches!(op, Some(ResolvedOp::Remove { .. }))
                && invariant_is(mismatch, Invariant::ListOrder)
        },
    },
    KnownDivergence {
        id: "remove-unaligned-end",
        explanation: "vm_map_remove asserts that the range is inside the map and not \
            empty, and vm_map_lookup_nearest asserts that the start is page-aligned, \
            but nothing checks the end: an unaligned end clips an entry at a \
            non-page boundary, leaving an entry (and a map size) that is not a \
            whole number of pages.",
        c_behaviour: "clips at the unaligned end and keeps the unaligned remainder",
        rust_behaviour: "reproduces the C exactly",
        recognise: |op, _, _, mismatch| {
            matches!(op, Some(ResolvedOp::Remove { end, .. }) if end % 4096 != 0)
                && invariant_is(mismatch, Invariant::EntryPageAligned)
        },
    },
];

/// Whether `mismatch` is the C side breaking `invariant`.
fn invariant_is(mismatch: &Mismatch, invariant: Invariant) -> bool {
    matches!(mismatch, Mismatch::Invariant { side: SideName::C, name, .. } if *name == invariant)
}

/// The registered divergence a mismatch shows, if any.
pub fn recognise(
    op: &Option<ResolvedOp>,
    c: &Outcome,
    rust: &Outcome,
    mismatch: &Mismatch,
) -> Option<&'static KnownDivergence> {
    REGISTRY
        .iter()
        .find(|known| (known.recognise)(op, c, rust, mismatch))
}
