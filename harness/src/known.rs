//! The registry of known divergences: bugs of the C original that the
//! harness recognises, so that a program showing one stops being compared
//! from that operation on and passes.
//!
//! Each entry has an id, the port's switch for it (a field of
//! [`vm_rs::CBugs`] named by the same id), an explanation, what each side
//! does and what the fixed port does instead, the predicate that recognises
//! it, and a regression input in `corpus/regressions/` (named after the id)
//! that a test replays to prove the predicate still fires. Anything not
//! recognised here is a finding.
//!
//! A predicate checks the exact behaviour of both sides, not only the kind
//! of operation: the C's outcome, the port's outcome (the C's own, since
//! the harness runs the port bug for bug) and what exactly the oracle saw
//! (the invariant, or the rule of the specification both sides broke, with
//! the precondition or the page it names). A mismatch that only looks like
//! a registered bug stays a finding.

use crate::invariants::Invariant;
use crate::mismatch::{Mismatch, SideName};
use crate::observe::Outcome;
use crate::program::ResolvedOp;
use spec::{Broken, Invalid, Rule};

/// A page, in bytes.
const PAGE_SIZE_BYTES: u64 = 4096;

/// A registered bug of the C original.
#[derive(Debug)]
pub struct KnownDivergence {
    /// A stable id; the regression file is `corpus/regressions/<id>.ops`.
    pub id: &'static str,
    /// The port's switch for this bug, a [`vm_rs::CBugs::ids`] id (the
    /// field of the same name in snake case): on, the port reproduces the
    /// bug; off, it is fixed.
    pub switch: &'static str,
    /// Why the C is wrong.
    pub explanation: &'static str,
    /// What the C does.
    pub c_behaviour: &'static str,
    /// What the port does bug for bug ([`vm_rs::CBugs::BUG_FOR_BUG`]).
    pub rust_behaviour: &'static str,
    /// What the fixed port does instead ([`vm_rs::CBugs::FIXED`]).
    pub fixed_behaviour: &'static str,
    /// Whether a mismatch at an operation is this bug.
    pub recognise:
        fn(op: &Option<ResolvedOp>, c: &Outcome, rust: &Outcome, mismatch: &Mismatch) -> bool,
}

/// Every registered divergence.
pub static REGISTRY: &[KnownDivergence] = &[
    KnownDivergence {
        id: "find-avail-align-past-end",
        switch: "find-avail-align-past-end",
        explanation: "vm_map_find_avail rounds the candidate start up to the alignment \
            after its only bound check (`assert(start <= map->end)`); when the rounding \
            passes map->end, `map->end - start` wraps to a huge value, the request \
            'fits', and the map gets an entry outside its own bounds.",
        c_behaviour: "returns success with a start beyond map->end and links the entry",
        rust_behaviour: "reproduces the C exactly (same address, same entry)",
        fixed_behaviour: "a rounding past the end (or a wrap) ends the search from there: it \
            retries from the map start and answers ERROR_NOMEM only when no aligned range fits",
        recognise: |op, c, rust, mismatch| {
            let Some(ResolvedOp::Enter(enter)) = *op else {
                return false;
            };
            let align = enter.align;
            if enter.is_fixed() || align == 0 || rust != c {
                return false;
            }
            // The entry lands outside the map at an aligned start, or, when
            // the wrapped range also wraps its own end, the link asserts on
            // it although the request was valid.
            let outside = matches!(c, Outcome::Ok(Some(start)) if start % align == 0)
                && invariant_is(mismatch, Invariant::EntryInsideMap);
            let wrapped_end = *c == Outcome::Precondition("entry->start < entry->end".into())
                && inherited_rule(mismatch) == Some(Rule::ValidRequestAccepted);
            outside || wrapped_end
        },
    },
    KnownDivergence {
        id: "clip-end-relinks-first-entry-at-tail",
        switch: "clip-end-relinks-first-entry-at-tail",
        explanation: "vm_map_clip_end unlinks the entry and relinks it with \
            vm_map_link(map, entry, prev, NULL); when the entry is the first of the \
            map, prev is NULL too and vm_map_link inserts it at the tail of the list. \
            The entry list then disagrees with the tree, and every later list walk \
            (the first-fit search, vm_map_remove, vm_map_info) sees entries out of \
            order, so the search can hand out ranges that overlap existing entries.",
        c_behaviour: "the upper part of the clipped entry ends up last in the list",
        rust_behaviour: "reproduces the C's list order exactly",
        fixed_behaviour: "relinks the lower part in its place, before its old successor",
        recognise: |op, c, rust, mismatch| {
            matches!(op, Some(ResolvedOp::Remove { .. }))
                && *c == Outcome::Ok(None)
                && rust == c
                && (invariant_is(mismatch, Invariant::ListOrder)
                    || inherited_rule(mismatch) == Some(Rule::MapEntriesWellFormed))
        },
    },
    KnownDivergence {
        id: "remove-unaligned-end",
        switch: "remove-unaligned-end",
        explanation: "vm_map_remove asserts that the range is inside the map and not \
            empty, and vm_map_lookup_nearest asserts that the start is page-aligned, \
            but nothing checks the end: an unaligned end clips an entry at a \
            non-page boundary, leaving an entry (and a map size) that is not a \
            whole number of pages.",
        c_behaviour: "clips at the unaligned end and keeps the unaligned remainder",
        rust_behaviour: "reproduces the C exactly",
        fixed_behaviour: "refuses the remove (Precondition::RemoveEndAligned, after the C's \
            own assertions)",
        recognise: |op, c, rust, mismatch| {
            let Some(ResolvedOp::Remove { start, end, .. }) = *op else {
                return false;
            };
            // An unaligned start fails the C's own assertion first.
            let only_the_end_unaligned = start % PAGE_SIZE_BYTES == 0 && end % PAGE_SIZE_BYTES != 0;
            only_the_end_unaligned
                && *c == Outcome::Ok(None)
                && rust == c
                && (invariant_is(mismatch, Invariant::EntryPageAligned)
                    || inherited_invalid(mismatch, &[Invalid::RemoveUnaligned]))
        },
    },
    KnownDivergence {
        id: "enter-hint-ignores-alignment",
        switch: "enter-hint-ignores-alignment",
        explanation: "vm_map_find_avail tries a non-zero start (the hint) with \
            vm_map_find_fixed, which checks that the range is inside the map and free \
            but not that it is aligned: a free hint that is not a multiple of the \
            requested alignment is returned as it is, although the caller asked for an \
            aligned start. (A fixed start is asserted aligned; a hint is not.)",
        c_behaviour: "returns the unaligned hint as the start",
        rust_behaviour: "reproduces the C exactly",
        fixed_behaviour: "uses the hint only when it is a multiple of the alignment, and \
            searches otherwise",
        recognise: |op, c, rust, mismatch| {
            let Some(ResolvedOp::Enter(enter)) = *op else {
                return false;
            };
            let (start, align) = (enter.start, enter.align);
            !enter.is_fixed()
                && align != 0
                && start % align != 0
                && *c == Outcome::Ok(Some(start))
                && rust == c
                && inherited_rule(mismatch) == Some(Rule::EnterAligned)
        },
    },
    KnownDivergence {
        id: "remove-leaves-pages-present",
        switch: "remove-leaves-pages-present",
        explanation: "vm_map_remove unlinks and frees the entries of the range but \
            never takes their pages out of the map's page table (X15 had no \
            pmap_remove yet): a page faulted in before stays present, readable and \
            possibly writable through a mapping that no longer exists, and still \
            points at the object's frame.",
        c_behaviour: "leaves the range's page-table leaves present after the remove",
        rust_behaviour: "reproduces the C exactly",
        fixed_behaviour: "takes the pages its faults entered in the range out of the page \
            table (pmap_remove, then pmap_update, per run of pages)",
        recognise: |op, c, rust, mismatch| {
            let Some(ResolvedOp::Remove { start, end, .. }) = *op else {
                return false;
            };
            // The leaf the model names lies in the range just removed.
            let leaf_in_range = inherited(mismatch).is_some_and(|broken| {
                broken.rule == Rule::PmapLeafUnmapped
                    && broken.page.is_some_and(|page| start <= page && page < end)
            });
            *c == Outcome::Ok(None) && rust == c && leaf_in_range
        },
    },
    KnownDivergence {
        id: "fault-access-none",
        switch: "fault-access-none",
        explanation: "vm_map_fault checks the access with `(access & prot) != access`, \
            which an access of none (0) always passes: a fault that asks for nothing \
            succeeds, pages the object in and makes the page present with the entry's \
            protection, even under VM_PROT_NONE (where the present leaf then grants \
            read and execute). A request for no access is meaningless and should be \
            refused.",
        c_behaviour: "succeeds and maps the page",
        rust_behaviour: "reproduces the C exactly",
        fixed_behaviour: "refuses the fault (Precondition::FaultAccessValid, also for bits \
            above execute), right after the C's kernel-map assertion",
        recognise: |op, c, rust, mismatch| {
            matches!(op, Some(ResolvedOp::Fault { access: 0, .. }))
                && *c == Outcome::Ok(None)
                && rust == c
                && inherited_invalid(mismatch, &[Invalid::FaultAccessInvalid])
        },
    },
    KnownDivergence {
        id: "enter-accepts-undefined-attributes",
        switch: "enter-accepts-undefined-attributes",
        explanation: "vm_map_enter checks that prot lies within maxprot but never \
            looks at the inheritance and advice nibbles of the flags: values X15 does \
            not define (inheritance above VM_INHERIT_COPY, advice above \
            VM_ADV_DONTNEED) are stored in the entry as they are, for later code to \
            misread.",
        c_behaviour: "enters the mapping with the undefined values in its flags",
        rust_behaviour: "reproduces the C exactly",
        fixed_behaviour: "refuses the enter (Precondition::RequestInheritanceDefined or \
            RequestAdviceDefined, after the C's request checks)",
        recognise: |op, c, rust, mismatch| {
            let Some(ResolvedOp::Enter(enter)) = *op else {
                return false;
            };
            let flags = enter.map_flags();
            let (inherit, advice) = (flags.inheritance.raw(), flags.advice.raw());
            let undefined = [
                Invalid::EnterInheritUndefined,
                Invalid::EnterAdviceUndefined,
            ];
            (inherit > 2 || advice > 4)
                && matches!(c, Outcome::Ok(Some(_)))
                && rust == c
                && inherited_invalid(mismatch, &undefined)
        },
    },
    KnownDivergence {
        id: "remove-takes-kernel-memory",
        switch: "remove-takes-kernel-memory",
        explanation: "vm_map_remove on the kernel map removes whatever range it is \
            given, including the static boot and kentry entries (whose storage is \
            then handed to the kentry cache as if it were a slab object) and ranges \
            the kernel's allocator still uses. The static entries at least are the \
            map's own and could be protected; nothing refuses the request.",
        c_behaviour: "removes the kernel's own ranges; frees static entries into a cache",
        rust_behaviour: "reproduces the C exactly (same calls, same addresses)",
        fixed_behaviour: "refuses a kernel-map remove that meets a static entry or a live \
            kernel allocation (Precondition::RemoveKernelOwned, after the C's range checks)",
        recognise: |op, c, rust, mismatch| {
            matches!(op, Some(ResolvedOp::Remove { map, .. }) if map.is_kernel())
                && *c == Outcome::Ok(None)
                && rust == c
                && (invariant_is(mismatch, Invariant::MachineUse)
                    || inherited_invalid(mismatch, &[Invalid::RemoveKernelOwned]))
        },
    },
];

/// The C's report when `mismatch` is a promise of the specification that
/// both sides broke the same way (the port inherited the C's behaviour).
fn inherited(mismatch: &Mismatch) -> Option<&Broken> {
    match mismatch {
        Mismatch::Spec(finding) if finding.inherited() => finding.c.as_ref(),
        _ => None,
    }
}

/// The rule of the specification both sides broke, if `mismatch` is one.
fn inherited_rule(mismatch: &Mismatch) -> Option<Rule> {
    inherited(mismatch).map(|broken| broken.rule)
}

/// Whether both sides accepted a request that breaks one of `invalid`.
fn inherited_invalid(mismatch: &Mismatch, invalid: &[Invalid]) -> bool {
    inherited(mismatch).is_some_and(|broken| {
        broken.rule == Rule::InvalidRequestRefused
            && broken.invalid.is_some_and(|named| invalid.contains(&named))
    })
}

/// Whether `mismatch` is the C side breaking the named invariant.
fn invariant_is(mismatch: &Mismatch, invariant: Invariant) -> bool {
    matches!(mismatch, Mismatch::Invariant { side: SideName::C, name, .. } if *name == invariant)
}

/// The registered divergence whose port switch is `switch` (a
/// [`vm_rs::CBugs::ids`] id), if any.
pub fn by_switch(switch: &str) -> Option<&'static KnownDivergence> {
    REGISTRY.iter().find(|known| known.switch == switch)
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
