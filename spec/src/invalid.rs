//! The preconditions of the map interface: what a caller must never ask.
//!
//! [`crate::Model::classify`] names the first precondition a request
//! breaks. A side may answer such a request in any way but success (see
//! [`crate::Rule::InvalidRequestRefused`]), and the model's state does not
//! change.

use core::fmt;

/// One precondition a request can break.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Invalid {
    /// The request names a map that does not exist.
    MapMissing,
    /// An enter gives a non-zero offset but no object.
    ///
    /// Decision: a null mapping has no object to offset into, so an offset
    /// there can only be a caller's mistake.
    EnterOffsetWithoutObject,
    /// An enter's object offset is not page-aligned.
    EnterOffsetUnaligned,
    /// An enter's start (fixed address or hint) is not page-aligned.
    EnterStartUnaligned,
    /// An enter's size is 0 or not page-aligned.
    EnterSizeInvalid,
    /// An enter's `start + size` does not fit in 64 bits.
    EnterRangeWraps,
    /// An enter's alignment is neither 0 nor a power of two of at least a
    /// page.
    EnterAlignInvalid,
    /// An enter's prot or maxprot has bits beyond `VM_PROT_ALL`.
    EnterProtUndefined,
    /// An enter's prot has rights its maxprot does not.
    EnterProtAboveMax,
    /// An enter's inheritance is not a defined `VM_INHERIT_*` value.
    EnterInheritUndefined,
    /// An enter's advice is not a defined `VM_ADV_*` value.
    EnterAdviceUndefined,
    /// An enter's flags have bits that are neither attributes nor a known
    /// map flag.
    EnterUnknownFlags,
    /// An enter passes `VM_MAP_NOMERGE`.
    ///
    /// Decision: X15 keeps the flag for its own static kernel entries; a
    /// caller of `vm_map_enter` has no use for it.
    EnterNoMerge,
    /// A fixed enter's start is not a multiple of its alignment.
    EnterFixedMisaligned,
    /// A remove's start or end is not page-aligned.
    RemoveUnaligned,
    /// A remove's start is not below its end.
    RemoveEmpty,
    /// A remove's range leaves the map's bounds.
    RemoveOutsideMap,
    /// A remove on the kernel map meets a static entry or a live kernel
    /// allocation.
    ///
    /// Decision: those ranges belong to the kernel's own bookkeeping (boot
    /// image, kentry area, `vm_kmem_alloc`); a caller that does not own them
    /// may not unmap them.
    RemoveKernelOwned,
    /// A fault on the kernel map.
    ///
    /// Decision: X15 never faults on the kernel map; its memory is wired.
    FaultKernelMap,
    /// A fault's access is 0 or has bits beyond `VM_PROT_ALL`.
    ///
    /// Decision: an access of 0 is not a real access; nothing can fault
    /// without touching the page.
    FaultAccessInvalid,
    /// A fault on a page of a null mapping.
    ///
    /// Decision: null mappings are wired kernel memory with no object to
    /// fetch a page from; they never fault.
    FaultNullMapping,
}

impl Invalid {
    /// Every precondition, in declaration order.
    pub const ALL: [Invalid; 21] = [
        Invalid::MapMissing,
        Invalid::EnterOffsetWithoutObject,
        Invalid::EnterOffsetUnaligned,
        Invalid::EnterStartUnaligned,
        Invalid::EnterSizeInvalid,
        Invalid::EnterRangeWraps,
        Invalid::EnterAlignInvalid,
        Invalid::EnterProtUndefined,
        Invalid::EnterProtAboveMax,
        Invalid::EnterInheritUndefined,
        Invalid::EnterAdviceUndefined,
        Invalid::EnterUnknownFlags,
        Invalid::EnterNoMerge,
        Invalid::EnterFixedMisaligned,
        Invalid::RemoveUnaligned,
        Invalid::RemoveEmpty,
        Invalid::RemoveOutsideMap,
        Invalid::RemoveKernelOwned,
        Invalid::FaultKernelMap,
        Invalid::FaultAccessInvalid,
        Invalid::FaultNullMapping,
    ];

    /// The stable kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Invalid::MapMissing => "map-missing",
            Invalid::EnterOffsetWithoutObject => "enter-offset-without-object",
            Invalid::EnterOffsetUnaligned => "enter-offset-unaligned",
            Invalid::EnterStartUnaligned => "enter-start-unaligned",
            Invalid::EnterSizeInvalid => "enter-size-invalid",
            Invalid::EnterRangeWraps => "enter-range-wraps",
            Invalid::EnterAlignInvalid => "enter-align-invalid",
            Invalid::EnterProtUndefined => "enter-prot-undefined",
            Invalid::EnterProtAboveMax => "enter-prot-above-max",
            Invalid::EnterInheritUndefined => "enter-inherit-undefined",
            Invalid::EnterAdviceUndefined => "enter-advice-undefined",
            Invalid::EnterUnknownFlags => "enter-unknown-flags",
            Invalid::EnterNoMerge => "enter-nomerge",
            Invalid::EnterFixedMisaligned => "enter-fixed-misaligned",
            Invalid::RemoveUnaligned => "remove-unaligned",
            Invalid::RemoveEmpty => "remove-empty",
            Invalid::RemoveOutsideMap => "remove-outside-map",
            Invalid::RemoveKernelOwned => "remove-kernel-owned",
            Invalid::FaultKernelMap => "fault-kernel-map",
            Invalid::FaultAccessInvalid => "fault-access-invalid",
            Invalid::FaultNullMapping => "fault-null-mapping",
        }
    }

    /// The precondition in one sentence.
    pub fn describe(self) -> &'static str {
        match self {
            Invalid::MapMissing => "the map must exist",
            Invalid::EnterOffsetWithoutObject => "a null mapping must have offset 0",
            Invalid::EnterOffsetUnaligned => "the object offset must be page-aligned",
            Invalid::EnterStartUnaligned => "the start must be page-aligned",
            Invalid::EnterSizeInvalid => "the size must be non-zero and page-aligned",
            Invalid::EnterRangeWraps => "start + size must not wrap",
            Invalid::EnterAlignInvalid => {
                "the alignment must be 0 or a power of two of at least a page"
            }
            Invalid::EnterProtUndefined => "prot and maxprot must be within VM_PROT_ALL",
            Invalid::EnterProtAboveMax => "prot must be within maxprot",
            Invalid::EnterInheritUndefined => "the inheritance must be a defined value",
            Invalid::EnterAdviceUndefined => "the advice must be a defined value",
            Invalid::EnterUnknownFlags => "the flags must have no unknown bits",
            Invalid::EnterNoMerge => "VM_MAP_NOMERGE is reserved for the kernel's static entries",
            Invalid::EnterFixedMisaligned => "a fixed start must be a multiple of the alignment",
            Invalid::RemoveUnaligned => "start and end must be page-aligned",
            Invalid::RemoveEmpty => "start must be below end",
            Invalid::RemoveOutsideMap => "the range must lie inside the map",
            Invalid::RemoveKernelOwned => {
                "the range must not meet the kernel's static entries or allocations"
            }
            Invalid::FaultKernelMap => "faults never happen on the kernel map",
            Invalid::FaultAccessInvalid => "the access must be non-zero and within VM_PROT_ALL",
            Invalid::FaultNullMapping => "null mappings never fault",
        }
    }
}

impl fmt::Display for Invalid {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}
