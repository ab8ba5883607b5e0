//! The promises of the map interface, one [`Rule`] each, and [`Broken`], the
//! report that a side broke one.
//!
//! A rule's [`Rule::name`] is stable: reports cite it as `spec:<name>` and
//! saved expectations match on it, so names are never reused or changed.

use alloc::format;
use alloc::string::String;
use core::fmt;

use crate::invalid::Invalid;

/// One promise of the map interface.
///
/// Every variant's documentation says what is promised; where X15's
/// contract is silent it also says what the model decided and why.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    /// A request that breaks no precondition is not refused.
    ///
    /// Preconditions are what [`crate::Invalid`] lists; refusing anything
    /// else rejects a legitimate caller.
    ValidRequestAccepted,
    /// A request that breaks a precondition does not succeed.
    ///
    /// Decision: X15 asserts its preconditions, so the only acceptable
    /// answers are a refusal, an error code or a stop; a success would act
    /// on a meaningless request.
    InvalidRequestRefused,
    /// `vm_map_create` makes a user map with bounds
    /// `[0, 0x8000_0000_0000)` and no mappings, or fails with
    /// `ERROR_NOMEM` and makes nothing.
    CreateMap,
    /// `vm_map_enter` with an object in the kernel map fails with
    /// `ERROR_INVAL` and changes nothing: managed mappings are not allowed
    /// in the kernel map.
    EnterKernelObject,
    /// A fixed enter whose range lies inside the map with no page of it
    /// mapped succeeds.
    ///
    /// Decision: it may not fail with `ERROR_NOMEM` for lack of resources,
    /// because X15 panics (a stop) when it cannot allocate a map entry.
    EnterFixedRoom,
    /// A fixed enter that succeeds does so exactly at the requested start.
    EnterFixedAddress,
    /// A fixed enter whose range leaves the map or meets a mapped page
    /// fails with `ERROR_NOMEM` and changes nothing.
    ///
    /// Decision: `ERROR_NOMEM` ("no room there") is the one failure code,
    /// as for an enter without `VM_MAP_FIXED`.
    EnterFixedNoRoom,
    /// The range a non-fixed enter chooses lies inside the map.
    EnterInMap,
    /// The range a non-fixed enter chooses was entirely unmapped.
    EnterUnmapped,
    /// The start a non-fixed enter chooses is page-aligned and a multiple of
    /// the requested alignment.
    EnterAligned,
    /// A non-fixed enter whose non-zero start (the hint) names an aligned,
    /// unmapped range inside the map is placed exactly there.
    ///
    /// Decision: X15 says "if there is a hint, try there"; a try that can
    /// only succeed must succeed.
    EnterHint,
    /// A non-fixed enter fails with `ERROR_NOMEM` only when no aligned,
    /// unmapped range of its size lies inside the map.
    EnterNomemWithRoom,
    /// A non-fixed enter answers with the start it chose or with
    /// `ERROR_NOMEM`.
    EnterAnswer,
    /// `vm_map_remove` of a valid range succeeds (answers done), whether or
    /// not its pages were mapped.
    RemoveDone,
    /// A fault on a page no mapping contains fails with `ERROR_FAULT`.
    FaultUnmapped,
    /// A fault whose access the page's protection does not allow fails with
    /// `ERROR_ACCES`.
    FaultDenied,
    /// A fault on a mapped page whose protection allows the access
    /// succeeds, or fails with `ERROR_NOMEM` and changes nothing.
    ///
    /// Decision: `ERROR_NOMEM` here is physical memory exhaustion, the one
    /// failure a correct fault can meet.
    FaultAllowed,
    /// An observed kernel allocation is a non-empty, page-aligned range
    /// inside the kernel map that was unmapped, reported as done.
    KernelAllocation,
    /// An observed kernel release names exactly one live kernel allocation
    /// and is reported as done.
    KernelRelease,
    /// The kernel map's static entries (boot entry, kentry area) stay
    /// mapped exactly as given at boot.
    KernelStaticEntry,
    /// Live kernel allocations stay mapped in the kernel map.
    KernelAllocationMapped,
    /// An observed map is a list of non-empty, page-aligned entries in
    /// increasing address order without overlap.
    MapEntriesWellFormed,
    /// An observed map maps exactly the pages the model expects, with the
    /// expected attributes and object offsets (however split into entries).
    MapContents,
    /// Only maps that exist are observed.
    MapExists,
    /// Every present page-table leaf lies on a mapped page of its map.
    PmapLeafUnmapped,
    /// No present leaf lies on a page whose protection is `VM_PROT_NONE`.
    ///
    /// Decision: an x86_64 leaf without NX always allows read and execute,
    /// so any leaf grants access; a page that allows none must have none.
    PmapLeafNoAccess,
    /// A present leaf grants write only on a page whose protection has
    /// `VM_PROT_WRITE`.
    PmapLeafTooWide,
    /// A page that must be present (faulted, or a kernel allocation) grants
    /// write when its protection has `VM_PROT_WRITE`.
    ///
    /// Decision: the fault makes the page present "with the mapping's
    /// protection"; a read-only leaf on a writable page would fault again
    /// on every write.
    PmapLeafTooNarrow,
    /// Every page that must be present is: successfully faulted pages that
    /// are still mapped, and every page of a live kernel allocation.
    PmapNotPresent,
}

impl Rule {
    /// Every rule, in declaration order.
    pub const ALL: [Rule; 29] = [
        Rule::ValidRequestAccepted,
        Rule::InvalidRequestRefused,
        Rule::CreateMap,
        Rule::EnterKernelObject,
        Rule::EnterFixedRoom,
        Rule::EnterFixedAddress,
        Rule::EnterFixedNoRoom,
        Rule::EnterInMap,
        Rule::EnterUnmapped,
        Rule::EnterAligned,
        Rule::EnterHint,
        Rule::EnterNomemWithRoom,
        Rule::EnterAnswer,
        Rule::RemoveDone,
        Rule::FaultUnmapped,
        Rule::FaultDenied,
        Rule::FaultAllowed,
        Rule::KernelAllocation,
        Rule::KernelRelease,
        Rule::KernelStaticEntry,
        Rule::KernelAllocationMapped,
        Rule::MapEntriesWellFormed,
        Rule::MapContents,
        Rule::MapExists,
        Rule::PmapLeafUnmapped,
        Rule::PmapLeafNoAccess,
        Rule::PmapLeafTooWide,
        Rule::PmapLeafTooNarrow,
        Rule::PmapNotPresent,
    ];

    /// The stable kebab-case name, cited as `spec:<name>`.
    pub fn name(self) -> &'static str {
        match self {
            Rule::ValidRequestAccepted => "valid-request-accepted",
            Rule::InvalidRequestRefused => "invalid-request-refused",
            Rule::CreateMap => "create-map",
            Rule::EnterKernelObject => "enter-kernel-object",
            Rule::EnterFixedRoom => "enter-fixed-room",
            Rule::EnterFixedAddress => "enter-fixed-address",
            Rule::EnterFixedNoRoom => "enter-fixed-no-room",
            Rule::EnterInMap => "enter-in-map",
            Rule::EnterUnmapped => "enter-unmapped",
            Rule::EnterAligned => "enter-aligned",
            Rule::EnterHint => "enter-hint",
            Rule::EnterNomemWithRoom => "enter-nomem-with-room",
            Rule::EnterAnswer => "enter-answer",
            Rule::RemoveDone => "remove-done",
            Rule::FaultUnmapped => "fault-unmapped",
            Rule::FaultDenied => "fault-denied",
            Rule::FaultAllowed => "fault-allowed",
            Rule::KernelAllocation => "kernel-allocation",
            Rule::KernelRelease => "kernel-release",
            Rule::KernelStaticEntry => "kernel-static-entry",
            Rule::KernelAllocationMapped => "kernel-allocation-mapped",
            Rule::MapEntriesWellFormed => "map-entries-well-formed",
            Rule::MapContents => "map-contents",
            Rule::MapExists => "map-exists",
            Rule::PmapLeafUnmapped => "pmap-leaf-unmapped",
            Rule::PmapLeafNoAccess => "pmap-leaf-no-access",
            Rule::PmapLeafTooWide => "pmap-leaf-too-wide",
            Rule::PmapLeafTooNarrow => "pmap-leaf-too-narrow",
            Rule::PmapNotPresent => "pmap-not-present",
        }
    }

    /// The promise in one sentence.
    pub fn describe(self) -> &'static str {
        match self {
            Rule::ValidRequestAccepted => "a request that breaks no precondition is not refused",
            Rule::InvalidRequestRefused => "a request that breaks a precondition does not succeed",
            Rule::CreateMap => "a new user map is empty with bounds [0, 0x800000000000), or creation fails with ERROR_NOMEM",
            Rule::EnterKernelObject => "entering an object in the kernel map fails with ERROR_INVAL",
            Rule::EnterFixedRoom => "a fixed enter of an unmapped in-map range succeeds",
            Rule::EnterFixedAddress => "a fixed enter succeeds exactly at its start",
            Rule::EnterFixedNoRoom => "a fixed enter of a range that leaves the map or meets a mapping fails with ERROR_NOMEM",
            Rule::EnterInMap => "a non-fixed enter chooses a range inside the map",
            Rule::EnterUnmapped => "a non-fixed enter chooses an unmapped range",
            Rule::EnterAligned => "a non-fixed enter chooses a start that is a multiple of the page size and of the alignment",
            Rule::EnterHint => "a non-fixed enter whose hint is an aligned unmapped in-map range is placed at the hint",
            Rule::EnterNomemWithRoom => "a non-fixed enter fails with ERROR_NOMEM only when no aligned unmapped range fits",
            Rule::EnterAnswer => "a non-fixed enter answers with its start or ERROR_NOMEM",
            Rule::RemoveDone => "removing a valid range succeeds",
            Rule::FaultUnmapped => "a fault on an unmapped page fails with ERROR_FAULT",
            Rule::FaultDenied => "a fault the protection forbids fails with ERROR_ACCES",
            Rule::FaultAllowed => "a fault the protection allows succeeds or fails with ERROR_NOMEM",
            Rule::KernelAllocation => "a kernel allocation is an aligned unmapped range inside the kernel map",
            Rule::KernelRelease => "a kernel release frees exactly one live kernel allocation",
            Rule::KernelStaticEntry => "the kernel map's static entries stay mapped as given at boot",
            Rule::KernelAllocationMapped => "live kernel allocations stay mapped",
            Rule::MapEntriesWellFormed => "a map's entries are non-empty, page-aligned, ordered and disjoint",
            Rule::MapContents => "a map maps exactly the expected pages with the expected attributes and offsets",
            Rule::MapExists => "only maps that exist are observed",
            Rule::PmapLeafUnmapped => "every present page-table leaf lies on a mapped page",
            Rule::PmapLeafNoAccess => "no present leaf lies on a page with no access",
            Rule::PmapLeafTooWide => "a present leaf is writable only if the page's protection has write",
            Rule::PmapLeafTooNarrow => "a faulted or allocated page is writable when its protection has write",
            Rule::PmapNotPresent => "every faulted page still mapped and every kernel allocation page is present",
        }
    }
}

impl fmt::Display for Rule {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "spec:{}", self.name())
    }
}

/// A broken promise: which rule, what the model expected and what the side
/// did, each on one line, deterministic, addresses in hex.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    /// The promise that was broken.
    pub rule: Rule,
    /// What the model expected.
    pub expected: String,
    /// What the side answered or showed.
    pub observed: String,
    /// The precondition the request broke, when the rule is
    /// [`Rule::InvalidRequestRefused`]: what a caller (the harness's
    /// registry of known bugs) can match on without reading the text.
    pub invalid: Option<Invalid>,
    /// The page the report is about, when it is about one page-table leaf
    /// (the `Pmap*` rules).
    pub page: Option<u64>,
}

impl Broken {
    /// A report of `rule` with both lines formatted.
    pub(crate) fn new(
        rule: Rule,
        expected: impl fmt::Display,
        observed: impl fmt::Display,
    ) -> Broken {
        Broken {
            rule,
            expected: format!("{expected}"),
            observed: format!("{observed}"),
            invalid: None,
            page: None,
        }
    }

    /// This report, naming the precondition the request broke.
    pub(crate) fn breaking(mut self, invalid: Invalid) -> Broken {
        self.invalid = Some(invalid);
        self
    }

    /// This report, naming the page of the leaf it is about.
    pub(crate) fn about_page(mut self, page: u64) -> Broken {
        self.page = Some(page);
        self
    }
}

impl fmt::Display for Broken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: expected {}; observed {}",
            self.rule, self.expected, self.observed
        )
    }
}
