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
use spec::Rule;
use vm_rs::PAGE_SIZE;

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
    /// Whether a mismatch at an operation (`None`: set-up) is this bug,
    /// given what the C returned there. Every registered bug shows on the
    /// C's side; the port's outcome is the C's or the mismatch says how not.
    pub recognise: fn(op: &Option<ResolvedOp>, c: &Outcome, mismatch: &Mismatch) -> bool,
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
        recognise: |op, c, mismatch| {
            let aligned_enter =
                matches!(op, Some(ResolvedOp::Enter(request)) if request.align != 0);
            // The entry lands outside the map, or, when the wrapped range
            // also wraps its own end, the link asserts on it.
            let wrapped_end = *c == Outcome::Precondition("entry->start < entry->end".into())
                && spec_rule_is(mismatch, Rule::ValidRequestAccepted);
            aligned_enter && (invariant_is(mismatch, Invariant::EntryInsideMap) || wrapped_end)
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
        recognise: |op, _, mismatch| {
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
        recognise: |op, c, mismatch| {
            matches!(op, Some(ResolvedOp::Remove { end, .. }) if end % PAGE_SIZE != 0)
                && (invariant_is(mismatch, Invariant::EntryPageAligned)
                    || (*c == Outcome::Ok(None)
                        && spec_rule_is(mismatch, Rule::InvalidRequestRefused)))
        },
    },
    KnownDivergence {
        id: "enter-hint-ignores-alignment",
        explanation: "vm_map_find_avail tries a non-zero start (the hint) with \
            vm_map_find_fixed, which checks that the range is inside the map and free \
            but not that it is aligned: a free hint that is not a multiple of the \
            requested alignment is returned as it is, although the caller asked for an \
            aligned start. (A fixed start is asserted aligned; a hint is not.)",
        c_behaviour: "returns the unaligned hint as the start",
        rust_behaviour: "reproduces the C exactly",
        recognise: |op, c, mismatch| {
            let Some(ResolvedOp::Enter(request)) = *op else {
                return false;
            };
            !request.is_fixed()
                && request.align != 0
                && request.start % request.align != 0
                && *c == Outcome::Ok(Some(request.start))
                && spec_rule_is(mismatch, Rule::EnterAligned)
        },
    },
    KnownDivergence {
        id: "remove-leaves-pages-present",
        explanation: "vm_map_remove unlinks and frees the entries of the range but \
            never takes their pages out of the map's page table (X15 had no \
            pmap_remove yet): a page faulted in before stays present, readable and \
            possibly writable through a mapping that no longer exists, and still \
            points at the object's frame.",
        c_behaviour: "leaves the range's page-table leaves present after the remove",
        rust_behaviour: "reproduces the C exactly",
        recognise: |op, c, mismatch| {
            matches!(op, Some(ResolvedOp::Remove { .. }))
                && *c == Outcome::Ok(None)
                && spec_rule_is(mismatch, Rule::PmapLeafUnmapped)
        },
    },
    KnownDivergence {
        id: "fault-access-none",
        explanation: "vm_map_fault checks the access with `(access & prot) != access`, \
            which an access of none (0) always passes: a fault that asks for nothing \
            succeeds, pages the object in and makes the page present with the entry's \
            protection, even under VM_PROT_NONE (where the present leaf then grants \
            read and execute). A request for no access is meaningless and should be \
            refused.",
        c_behaviour: "succeeds and maps the page",
        rust_behaviour: "reproduces the C exactly",
        recognise: |op, c, mismatch| {
            matches!(op, Some(ResolvedOp::Fault { access: 0, .. }))
                && *c == Outcome::Ok(None)
                && spec_rule_is(mismatch, Rule::InvalidRequestRefused)
        },
    },
    KnownDivergence {
        id: "enter-accepts-undefined-attributes",
        explanation: "vm_map_enter checks that prot lies within maxprot but never \
            looks at the inheritance and advice nibbles of the flags: values X15 does \
            not define (inheritance above VM_INHERIT_COPY, advice above \
            VM_ADV_DONTNEED) are stored in the entry as they are, for later code to \
            misread.",
        c_behaviour: "enters the mapping with the undefined values in its flags",
        rust_behaviour: "reproduces the C exactly",
        recognise: |op, c, mismatch| {
            let Some(ResolvedOp::Enter(request)) = *op else {
                return false;
            };
            let flags = request.map_flags();
            (flags.inheritance.raw() > 2 || flags.advice.raw() > 4)
                && matches!(c, Outcome::Ok(Some(_)))
                && spec_rule_is(mismatch, Rule::InvalidRequestRefused)
        },
    },
    KnownDivergence {
        id: "remove-takes-kernel-memory",
        explanation: "vm_map_remove on the kernel map removes whatever range it is \
            given, including the static boot and kentry entries (whose storage is \
            then handed to the kentry cache as if it were a slab object) and ranges \
            the kernel's allocator still uses. The static entries at least are the \
            map's own and could be protected; nothing refuses the request.",
        c_behaviour: "removes the kernel's own ranges; frees static entries into a cache",
        rust_behaviour: "reproduces the C exactly (same calls, same addresses)",
        recognise: |op, c, mismatch| {
            matches!(op, Some(ResolvedOp::Remove { map, .. }) if map.is_kernel())
                && *c == Outcome::Ok(None)
                && (invariant_is(mismatch, Invariant::MachineUse)
                    || spec_rule_is(mismatch, Rule::InvalidRequestRefused))
        },
    },
];

/// Whether `mismatch` is a promise of the specification that both sides
/// broke the same way (the port inherited the C's behaviour).
fn spec_rule_is(mismatch: &Mismatch, rule: Rule) -> bool {
    matches!(mismatch, Mismatch::Spec(finding) if finding.inherited() && finding.rule() == rule)
}

/// Whether `mismatch` is the C side breaking the named invariant.
fn invariant_is(mismatch: &Mismatch, invariant: Invariant) -> bool {
    matches!(mismatch, Mismatch::Invariant { side: SideName::C, name, .. } if *name == invariant)
}

/// The registered divergence a mismatch shows, if any.
pub fn recognise(
    op: &Option<ResolvedOp>,
    c: &Outcome,
    mismatch: &Mismatch,
) -> Option<&'static KnownDivergence> {
    REGISTRY
        .iter()
        .find(|known| (known.recognise)(op, c, mismatch))
}
