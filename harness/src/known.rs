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
use vm_rs::MapState;

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
    /// Whether the C shows this bug at an operation: the operation, the
    /// C's outcome and what the C alone broke ([`CEvidence`]). The port's
    /// part is judged by the mode: bug for bug it must do the same
    /// ([`recognise`]), fixed it must keep every promise ([`recognise_on_c`]).
    pub shows: fn(op: &Option<ResolvedOp>, c: &Outcome, evidence: &CEvidence<'_>) -> bool,
}

/// What the C alone broke at a step: an invariant of its own state, or a
/// promise of the specification.
#[derive(Debug, Clone, Copy, Default)]
pub struct CEvidence<'a> {
    /// The invariant the C's state broke, if any.
    pub invariant: Option<Invariant>,
    /// The promise the C broke, with the model's details, if any.
    pub spec: Option<&'a Broken>,
    /// The C's state of the map the operation worked on, when the C
    /// stopped half-way (a panic, where no invariant or promise is judged):
    /// what it had done by then. Only the fixed mode gives it.
    pub map: Option<&'a MapState>,
}

impl<'a> CEvidence<'a> {
    /// What a bug-for-bug mismatch says of the C: an invariant the C broke,
    /// or a promise both sides broke the same way; `None` otherwise (a
    /// difference between the sides is never a bug of the C alone).
    pub fn shared_in(mismatch: &'a Mismatch) -> Option<CEvidence<'a>> {
        match mismatch {
            Mismatch::Invariant {
                side: SideName::C,
                name,
                ..
            } => Some(CEvidence {
                invariant: Some(*name),
                ..CEvidence::default()
            }),
            Mismatch::Spec(finding) if finding.inherited() => Some(CEvidence {
                spec: finding.c.as_ref(),
                ..CEvidence::default()
            }),
            _ => None,
        }
    }

    /// The rule the C broke, if any.
    fn rule(&self) -> Option<Rule> {
        self.spec.map(|broken| broken.rule)
    }

    /// Whether the C accepted a request that breaks one of `invalid`.
    fn accepted_one_of(&self, invalid: &[Invalid]) -> bool {
        self.spec.is_some_and(|broken| {
            broken.rule == Rule::InvalidRequestRefused
                && broken.invalid.is_some_and(|named| invalid.contains(&named))
        })
    }
}

/// The panic of `pmap_kgrow` when no page is left for a table.
const KGROW_PANIC: &str = "pmap: no page available to grow kernel space";

/// The panics of creating a map entry: its cache has no object, or (in the
/// kernel map) the kentry cache's new slab finds no page or no room.
const ENTRY_PANICS: [&str; 3] = [
    "vm_map: can't create map entry",
    "vm_map: no physical page for kentry cache",
    "vm_map: kentry area exhausted",
];

/// Whether the C stopped while creating a map entry (acting on the request).
fn stopped_creating_an_entry(c: &Outcome) -> bool {
    matches!(c, Outcome::Fatal(message) if ENTRY_PANICS.contains(&message.as_str()))
}

/// The assertion `vm_map_try_merge` makes on every request it sees: only
/// the map's own static entries (never a caller's enter) may ask not to be
/// merged. The C reaches it once it has placed the mapping.
const NOMERGE_ASSERTION: &str = "!(request->flags & VM_MAP_NOMERGE)";

/// Whether the C stopped after placing a mapping: while creating its entry,
/// or at the merge's assertion on a request that asked not to be merged.
fn stopped_after_placing(c: &Outcome) -> bool {
    stopped_creating_an_entry(c) || *c == Outcome::Precondition(NOMERGE_ASSERTION.into())
}

/// The panic of `vm_map_fault` when `pmap_enter` fails.
const PMAP_ENTER_PANIC: &str = "vm_map: unable to create physical mapping";

/// Whether a fault got past its access check and began to map the page:
/// it succeeded, the pager found no memory for the page, or `pmap_enter`
/// failed (a panic).
fn fault_acted(c: &Outcome) -> bool {
    let out_of_memory = vm_rs::Error::NoMem.code();
    matches!(c, Outcome::Ok(None))
        || *c == Outcome::Error(out_of_memory)
        || *c == Outcome::Fatal(PMAP_ENTER_PANIC.into())
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
        shows: |op, c, evidence| {
            let Some(ResolvedOp::Enter(enter)) = *op else {
                return false;
            };
            let align = enter.align;
            if enter.is_fixed() || align == 0 {
                return false;
            }
            // The entry lands outside the map at an aligned start (in the
            // kernel map, growing the page tables up to its end then runs
            // out of pages and panics, with the entry already linked), or,
            // when the wrapped range also wraps its own end, the link
            // asserts on it although the request was valid.
            let placed = matches!(c, Outcome::Ok(Some(start)) if start % align == 0)
                || (enter.map.is_kernel() && *c == Outcome::Fatal(KGROW_PANIC.into()));
            let outside = placed && evidence.invariant == Some(Invariant::EntryInsideMap);
            // Or the C found its wrapped "room" and stopped creating the
            // entry (an allocation the fault plan failed): only the fixed
            // mode asks, and only when the fixed port, on the same state,
            // answered otherwise and kept every promise. An unaligned hint
            // is the hint's bug instead.
            let hint_is_aligned = enter.start % align == 0;
            let stopped = hint_is_aligned && stopped_after_placing(c);
            // The request's own end cannot wrap (vm_map_request_assert_valid
            // asserts it), so a wrapped entry end comes from the start the
            // search chose. Bug for bug the model names the refused valid
            // request; in fixed mode the request may also break another
            // precondition (an undefined attribute), where a stop breaks no
            // promise and the fixed port's answer alone is judged.
            let wrapped_end = *c == Outcome::Precondition("entry->start < entry->end".into())
                && matches!(evidence.rule(), Some(Rule::ValidRequestAccepted) | None);
            outside || wrapped_end || stopped
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
        shows: |op, c, evidence| {
            matches!(op, Some(ResolvedOp::Remove { .. }))
                && *c == Outcome::Ok(None)
                && (evidence.invariant == Some(Invariant::ListOrder)
                    || evidence.rule() == Some(Rule::MapEntriesWellFormed))
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
        shows: |op, c, evidence| {
            let Some(ResolvedOp::Remove { start, end, .. }) = *op else {
                return false;
            };
            // An unaligned start fails the C's own assertion first.
            let only_the_end_unaligned = start % PAGE_SIZE_BYTES == 0 && end % PAGE_SIZE_BYTES != 0;
            only_the_end_unaligned
                && *c == Outcome::Ok(None)
                && (evidence.invariant == Some(Invariant::EntryPageAligned)
                    || evidence.accepted_one_of(&[Invalid::RemoveUnaligned]))
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
        shows: |op, c, evidence| {
            let Some(ResolvedOp::Enter(enter)) = *op else {
                return false;
            };
            let (start, align) = (enter.start, enter.align);
            let unaligned_hint = !enter.is_fixed() && align != 0 && start % align != 0;
            // The C returns the hint; or, in the kernel map, it links the
            // entry at the hint and then panics growing the page tables for
            // it (out of pages), a stop that no promise judges.
            let returned =
                *c == Outcome::Ok(Some(start)) && evidence.rule() == Some(Rule::EnterAligned);
            let linked_then_stopped = enter.map.is_kernel()
                && *c == Outcome::Fatal(KGROW_PANIC.into())
                && evidence.map.is_some_and(|map| {
                    map.entries.iter().any(|entry| {
                        entry.start <= start
                            && start < entry.end
                            && entry.end >= start.wrapping_add(enter.size)
                    })
                });
            // Or the C took the hint and stopped after placing it (the
            // entry could not be created, or the request asked not to be
            // merged): only the fixed mode asks, where the fixed port
            // searched instead and kept every promise.
            let stopped_after = stopped_after_placing(c);
            unaligned_hint && (returned || linked_then_stopped || stopped_after)
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
        shows: |op, c, evidence| {
            let Some(ResolvedOp::Remove { start, end, .. }) = *op else {
                return false;
            };
            // The leaf the model names lies in the range just removed.
            let leaf_in_range = evidence.spec.is_some_and(|broken| {
                broken.rule == Rule::PmapLeafUnmapped
                    && broken.page.is_some_and(|page| start <= page && page < end)
            });
            *c == Outcome::Ok(None) && leaf_in_range
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
        shows: |op, c, evidence| {
            let access_none = matches!(op, Some(ResolvedOp::Fault { access: 0, .. }));
            let accepted =
                *c == Outcome::Ok(None) && evidence.accepted_one_of(&[Invalid::FaultAccessInvalid]);
            // Or the C began to map the page and ran out of memory (the
            // pager's error, or pmap_enter's panic): only the fixed mode
            // asks, where the fixed port refused at the access check.
            let began = *c != Outcome::Ok(None) && fault_acted(c);
            access_none && (accepted || began)
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
        shows: |op, c, evidence| {
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
                && evidence.accepted_one_of(&undefined)
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
        shows: |op, c, evidence| {
            let kernel_remove =
                matches!(op, Some(ResolvedOp::Remove { map, .. }) if map.is_kernel());
            let took_it = *c == Outcome::Ok(None)
                && (evidence.invariant == Some(Invariant::MachineUse)
                    || evidence.accepted_one_of(&[Invalid::RemoveKernelOwned]));
            // Or the C began to take it (a clip) and stopped creating the
            // entry the clip needs: only the fixed mode asks, and there a
            // fixed port that clips the same way would have stopped alike,
            // so it refused the range as the kernel's own.
            kernel_remove && (took_it || stopped_creating_an_entry(c))
        },
    },
];

/// The registered divergence whose port switch is `switch` (a
/// [`vm_rs::CBugs::ids`] id), if any.
pub fn by_switch(switch: &str) -> Option<&'static KnownDivergence> {
    REGISTRY.iter().find(|known| known.switch == switch)
}

/// The registered divergence a bug-for-bug mismatch shows, if any: the C
/// shows the bug, and the port did exactly what the C did.
pub fn recognise(
    op: &Option<ResolvedOp>,
    c: &Outcome,
    rust: &Outcome,
    mismatch: &Mismatch,
) -> Option<&'static KnownDivergence> {
    let evidence = CEvidence::shared_in(mismatch)?;
    if rust != c {
        return None;
    }
    recognise_on_c(op, c, &evidence)
}

/// The registered divergence the C alone shows at an operation, if any
/// (what the fixed mode asks before it judges the port's part).
pub fn recognise_on_c(
    op: &Option<ResolvedOp>,
    c: &Outcome,
    evidence: &CEvidence<'_>,
) -> Option<&'static KnownDivergence> {
    REGISTRY.iter().find(|known| (known.shows)(op, c, evidence))
}
