//! The registered bugs of the C original, one switch each: [`CBugs`].
//!
//! The port exists twice over in one code base. With every switch on
//! ([`CBugs::BUG_FOR_BUG`]) it reproduces the C exactly, bugs included,
//! which is what proves the translation: the harness compares it with the C
//! call for call. With every switch off ([`CBugs::FIXED`], the default) it
//! is the port a kernel would ship: each bug is replaced by the smallest
//! change that makes it keep the promise the specification model (`spec/`)
//! says the C breaks. A switch's documentation says what the C does, what
//! the fixed port does instead, and why.
//!
//! Switches are named after the harness's registry ids
//! (`harness/src/known.rs`), in snake case here and in kebab case in
//! [`CBugs::ids`]. Nothing here fails: an unknown id is reported as `None`
//! or `false`, never a panic.

/// One switch per registered bug of the C: `true` reproduces the bug,
/// `false` fixes it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct CBugs {
    /// `find-avail-align-past-end`. The C rounds the search's candidate
    /// start up to the alignment after its only bound check, so a rounding
    /// past the map's end (or past the top of the address space, to 0)
    /// makes `map->end - start` wrap, the request "fits", and the map gets
    /// an entry outside its bounds (or the link asserts on a wrapped entry).
    /// The fixed port treats a rounding that passes the end or wraps as the
    /// end of the search from there: it retries from the map's start as the
    /// search does at the end of the map, and answers `ERROR_NOMEM` only
    /// when no aligned range fits. Why: an enter must choose a range inside
    /// the map (`spec:enter-in-map`) and must not refuse a valid request.
    pub find_avail_align_past_end: bool,
    /// `clip-end-relinks-first-entry-at-tail`. `vm_map_clip_end` relinks
    /// the clipped entry after its list predecessor, and with none (the
    /// map's first entry) `vm_map_link` appends it at the list's tail: list
    /// and tree disagree, and later list walks (search, remove, info) see
    /// entries out of order and can hand out overlapping ranges. The fixed
    /// port relinks the lower part in its place, before its old successor.
    /// Why: the entry list must stay in address order.
    pub clip_end_relinks_first_entry_at_tail: bool,
    /// `remove-unaligned-end`. `vm_map_remove` checks that the range lies
    /// in the map and is not empty, and the lookup checks that the start is
    /// page-aligned, but nothing checks the end: an unaligned end clips an
    /// entry inside a page. The fixed port refuses it with
    /// [`Precondition::RemoveEndAligned`](crate::Precondition::RemoveEndAligned),
    /// after the C's own checks (so an unaligned start still fails the C's
    /// assertion). Why: a remove's end must be page-aligned
    /// (`spec:invalid-request-refused`, `remove-unaligned`).
    pub remove_unaligned_end: bool,
    /// `enter-hint-ignores-alignment`. `vm_map_find_avail` tries a non-zero
    /// start (the hint) with `vm_map_find_fixed`, which checks that the
    /// range is free and in the map but not that it is aligned, so an
    /// unaligned free hint is returned although the caller asked for an
    /// aligned start. The fixed port uses the hint only when it is a
    /// multiple of the alignment and searches otherwise. Why: a non-fixed
    /// enter's start must be a multiple of its alignment
    /// (`spec:enter-aligned`).
    pub enter_hint_ignores_alignment: bool,
    /// `remove-leaves-pages-present`. `vm_map_remove` never takes the
    /// range's pages out of the page table (X15 had no `pmap_remove` yet),
    /// so a faulted page stays present through a mapping that no longer
    /// exists. The fixed port remembers, per map, the pages its own fault
    /// path entered with `pmap_enter`, and on a remove calls
    /// [`Environment::pmap_remove`](crate::env::Environment::pmap_remove)
    /// (then `pmap_update`) for each run of those pages inside the range.
    /// It makes no call when there is no such page, so its trace is the C's
    /// wherever the C is right. Why: no present leaf may lie on an unmapped
    /// page (`spec:pmap-leaf-unmapped`).
    pub remove_leaves_pages_present: bool,
    /// `fault-access-none`. `vm_map_fault` checks the access with
    /// `(access & prot) != access`, which an access of none always passes:
    /// a fault asking for nothing succeeds and maps the page, even under
    /// `VM_PROT_NONE`. The fixed port refuses an access of none with
    /// [`Precondition::FaultAccessValid`](crate::Precondition::FaultAccessValid)
    /// where the C would act (after the lookup, the protection check and the
    /// null-entry assertion), so that wherever the C fails the fault first
    /// the fixed port does the same; bits above `VM_PROT_EXECUTE` already
    /// fail the protection check. Why: nothing faults
    /// without touching the page (`spec:invalid-request-refused`,
    /// `fault-access-invalid`).
    pub fault_access_none: bool,
    /// `enter-accepts-undefined-attributes`. `vm_map_enter` never looks at
    /// the inheritance and advice nibbles of the flags, so values X15 does
    /// not define are stored in the entry. The fixed port refuses an
    /// inheritance above `VM_INHERIT_COPY` (2) with
    /// [`Precondition::RequestInheritanceDefined`](crate::Precondition::RequestInheritanceDefined)
    /// and an advice above `VM_ADV_DONTNEED` (4) with
    /// [`Precondition::RequestAdviceDefined`](crate::Precondition::RequestAdviceDefined)
    /// once the C's checks passed (the last is `vm_map_try_merge`'s
    /// assertion that `VM_MAP_NOMERGE` is clear), a place was found and
    /// the new entry exists, just before the C links it (where the C
    /// refuses or fails the request, even for want of memory for the entry,
    /// the fixed port does the same; the entry goes back to its cache). Why: an enter's attributes must be
    /// defined values (`spec:invalid-request-refused`).
    pub enter_accepts_undefined_attributes: bool,
    /// `remove-takes-kernel-memory`. `vm_map_remove` on the kernel map
    /// removes whatever it is given, including the static boot and kentry
    /// entries (whose storage is then freed into a slab cache) and ranges
    /// the kernel's allocator (`vm_kmem_alloc`) still holds. The fixed port
    /// refuses a kernel-map remove whose range meets a static entry or a
    /// live kernel allocation with
    /// [`Precondition::RemoveKernelOwned`](crate::Precondition::RemoveKernelOwned),
    /// after the C's range checks; its own kernel glue frees an allocation
    /// by forgetting it first. Why: those ranges are the kernel's own
    /// bookkeeping (`spec:invalid-request-refused`, `remove-kernel-owned`).
    pub remove_takes_kernel_memory: bool,
}

/// A switch of [`CBugs`] by its field, for the table of ids.
type Switch = for<'a> fn(&'a mut CBugs) -> &'a mut bool;

/// Every switch with its registry id, in registry order.
const SWITCHES: [(&str, Switch); 8] = [
    ("find-avail-align-past-end", |bugs| {
        &mut bugs.find_avail_align_past_end
    }),
    ("clip-end-relinks-first-entry-at-tail", |bugs| {
        &mut bugs.clip_end_relinks_first_entry_at_tail
    }),
    ("remove-unaligned-end", |bugs| {
        &mut bugs.remove_unaligned_end
    }),
    ("enter-hint-ignores-alignment", |bugs| {
        &mut bugs.enter_hint_ignores_alignment
    }),
    ("remove-leaves-pages-present", |bugs| {
        &mut bugs.remove_leaves_pages_present
    }),
    ("fault-access-none", |bugs| &mut bugs.fault_access_none),
    ("enter-accepts-undefined-attributes", |bugs| {
        &mut bugs.enter_accepts_undefined_attributes
    }),
    ("remove-takes-kernel-memory", |bugs| {
        &mut bugs.remove_takes_kernel_memory
    }),
];

impl CBugs {
    /// Every switch on: the port reproduces the C, bugs included. This is
    /// what the harness compares with the C to prove the translation.
    pub const BUG_FOR_BUG: CBugs = CBugs::all(true);

    /// Every switch off: the port a kernel would ship ([`Default`]).
    pub const FIXED: CBugs = CBugs::all(false);

    /// Every switch set to `on`.
    const fn all(on: bool) -> CBugs {
        CBugs {
            find_avail_align_past_end: on,
            clip_end_relinks_first_entry_at_tail: on,
            remove_unaligned_end: on,
            enter_hint_ignores_alignment: on,
            remove_leaves_pages_present: on,
            fault_access_none: on,
            enter_accepts_undefined_attributes: on,
            remove_takes_kernel_memory: on,
        }
    }

    /// The registry id of every switch (kebab case), in registry order.
    pub fn ids() -> impl Iterator<Item = &'static str> {
        SWITCHES.iter().map(|(id, _)| *id)
    }

    /// Whether the bug `id` is reproduced; `None` for an unknown id.
    pub fn get(&self, id: &str) -> Option<bool> {
        let mut copy = *self;
        switch(id).map(|field| *field(&mut copy))
    }

    /// Sets the switch of bug `id` (`true` reproduces the bug); `false` for
    /// an unknown id, which changes nothing.
    pub fn set(&mut self, id: &str, on: bool) -> bool {
        match switch(id) {
            Some(field) => {
                *field(self) = on;
                true
            }
            None => false,
        }
    }

    /// These switches with bug `id` set to `on`; `None` for an unknown id.
    pub fn with(mut self, id: &str, on: bool) -> Option<CBugs> {
        self.set(id, on).then_some(self)
    }
}

impl Default for CBugs {
    /// The fixed port.
    fn default() -> CBugs {
        CBugs::FIXED
    }
}

/// The field of the switch named `id`.
fn switch(id: &str) -> Option<Switch> {
    SWITCHES
        .iter()
        .find(|(name, _)| *name == id)
        .map(|(_, field)| *field)
}
