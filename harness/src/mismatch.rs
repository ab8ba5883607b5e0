//! What an oracle reports when the two sides differ, or when one side breaks
//! an invariant on its own: a [`Mismatch`], and its kind as a typed
//! [`Signature`] that the shrinker keeps stable while it minimises. Parsing
//! a signature's text fails with [`UnknownSignature`]; nothing else here
//! fails.

use std::fmt;
use std::str::FromStr;

use crate::invariants::Invariant;
use crate::observe::Outcome;
use crate::program::MapRef;
use crate::spec_oracle::SpecFinding;
use sim::{Event, EventKind, PmapId, TableEntry};
use vm_rs::{KentryState, MapState};

/// Which side an invariant failed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SideName {
    /// The C original.
    C,
    /// The Rust port.
    Rust,
}

impl SideName {
    /// Both sides, the reference first.
    pub const ALL: [SideName; 2] = [SideName::C, SideName::Rust];

    /// "C" or "Rust", as reports and signatures write it.
    pub const fn name(self) -> &'static str {
        match self {
            SideName::C => "C",
            SideName::Rust => "Rust",
        }
    }
}

display_as_name!(SideName);

/// The first thing found to differ, in the oracles' order.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mismatch {
    /// Oracle 1: the operations ended differently.
    Outcome {
        /// The C's outcome.
        c: Outcome,
        /// The port's outcome.
        rust: Outcome,
    },
    /// Oracle 2: the environment traces differ; `index` counts from the
    /// start of the operation's events.
    Trace {
        /// Position of the first differing event within the operation.
        index: usize,
        /// The C's event there (`None`: the C made fewer calls).
        c: Option<Event>,
        /// The port's event there.
        rust: Option<Event>,
    },
    /// Oracle 3: the sides have different numbers of user maps.
    MapCount {
        /// The C's count.
        c: u32,
        /// The port's count.
        rust: u32,
    },
    /// Oracle 3: a map's entries or scalars differ.
    Map {
        /// The map.
        map: MapRef,
        /// The first field that differs.
        field: MapField,
        /// The C's map.
        c: Box<MapState>,
        /// The port's map.
        rust: Box<MapState>,
    },
    /// Oracle 3: the kentry allocators differ (their tables, free lists,
    /// or where the kernel map's entries live).
    Kentry {
        /// The first part that differs.
        field: KentryField,
        /// The C's allocator.
        c: Box<KentryState>,
        /// The port's allocator.
        rust: Box<KentryState>,
    },
    /// Oracle 4: the sides have different pmaps.
    PmapList {
        /// The C's pmaps.
        c: Vec<PmapId>,
        /// The port's pmaps.
        rust: Vec<PmapId>,
    },
    /// Oracle 4: a page table differs; the entries present on one side only
    /// or with different values (at most a screenful).
    PageTable {
        /// The pmap.
        pmap: PmapId,
        /// Entries of the C's table that the port's lacks or has otherwise.
        c_only: Vec<TableEntry>,
        /// Entries of the port's table that the C's lacks or has otherwise.
        rust_only: Vec<TableEntry>,
    },
    /// Oracle 5: one side broke an invariant on its own.
    Invariant {
        /// The side.
        side: SideName,
        /// The invariant.
        name: Invariant,
        /// What exactly is wrong.
        detail: String,
    },
    /// Oracle 6: one side or both broke a promise of the specification.
    Spec(Box<SpecFinding>),
}

impl Mismatch {
    /// A short, stable description of the kind of difference: the shrinker
    /// keeps it while it minimises.
    pub fn signature(&self) -> Signature {
        match self {
            Mismatch::Outcome { c, rust } => match (c, rust) {
                (Outcome::Unfinished, _) => Signature::Hang(SideName::C),
                (_, Outcome::Unfinished) => Signature::Hang(SideName::Rust),
                _ => Signature::Outcome,
            },
            Mismatch::Trace { c, rust, .. } => {
                Signature::Trace(c.as_ref().or(rust.as_ref()).map(Event::kind))
            }
            Mismatch::MapCount { .. } => Signature::MapCount,
            Mismatch::Map { field, .. } => Signature::Map(*field),
            Mismatch::Kentry { field, .. } => Signature::Kentry(*field),
            Mismatch::PmapList { .. } => Signature::PmapList,
            Mismatch::PageTable { .. } => Signature::PageTable,
            Mismatch::Invariant { side, name, .. } => Signature::Invariant(*side, *name),
            Mismatch::Spec(finding) => Signature::Spec(finding.rule()),
        }
    }
}

/// A field of a map that the map oracle compares, in the order it compares
/// them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MapField {
    /// The entries in address order.
    Entries,
    /// The entries in list order.
    List,
    /// `size`.
    Size,
    /// `nr_entries`.
    NrEntries,
    /// `find_cache`.
    FindCache,
    /// `find_cache_threshold`.
    FindCacheThreshold,
    /// `start`.
    Start,
    /// `end`.
    End,
}

impl MapField {
    /// Every field, in the oracle's order.
    pub const ALL: [MapField; 8] = [
        MapField::Entries,
        MapField::List,
        MapField::Size,
        MapField::NrEntries,
        MapField::FindCache,
        MapField::FindCacheThreshold,
        MapField::Start,
        MapField::End,
    ];

    /// The field's name as `vm_rs::MapState` spells it (`nr_entries`).
    pub const fn name(self) -> &'static str {
        match self {
            MapField::Entries => "entries",
            MapField::List => "list",
            MapField::Size => "size",
            MapField::NrEntries => "nr_entries",
            MapField::FindCache => "find_cache",
            MapField::FindCacheThreshold => "find_cache_threshold",
            MapField::Start => "start",
            MapField::End => "end",
        }
    }

    /// Whether the two maps agree on this field.
    pub fn agrees(self, c: &MapState, rust: &MapState) -> bool {
        match self {
            MapField::Entries => c.entries == rust.entries,
            MapField::List => c.list == rust.list,
            MapField::Size => c.size == rust.size,
            MapField::NrEntries => c.nr_entries == rust.nr_entries,
            MapField::FindCache => c.find_cache == rust.find_cache,
            MapField::FindCacheThreshold => c.find_cache_threshold == rust.find_cache_threshold,
            MapField::Start => c.start == rust.start,
            MapField::End => c.end == rust.end,
        }
    }
}

display_as_name!(MapField);

/// A part of the kentry allocator that the kentry oracle compares, in the
/// order it compares them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KentryField {
    /// The kentry cache's slab size.
    SlabSize,
    /// Where the descriptor table lies (compared at set-up only: see
    /// `oracle::compare_kentry`).
    TableVa,
    /// Each slot's state: allocated, or free with its link.
    Slots,
    /// The free list's head.
    FreeHead,
    /// Where each kernel-map entry lives (static, or which slab object).
    EntryStorage,
}

impl KentryField {
    /// Every part, in the oracle's order.
    pub const ALL: [KentryField; 5] = [
        KentryField::SlabSize,
        KentryField::TableVa,
        KentryField::Slots,
        KentryField::FreeHead,
        KentryField::EntryStorage,
    ];

    /// The part's name as `vm_rs::KentryState` spells it (`free_head`).
    pub const fn name(self) -> &'static str {
        match self {
            KentryField::SlabSize => "slab_size",
            KentryField::TableVa => "table_va",
            KentryField::Slots => "slots",
            KentryField::FreeHead => "free_head",
            KentryField::EntryStorage => "entry_storage",
        }
    }

    /// Whether the two allocators agree on this part.
    pub fn agrees(self, c: &KentryState, rust: &KentryState) -> bool {
        match self {
            KentryField::SlabSize => c.slab_size_bytes == rust.slab_size_bytes,
            KentryField::TableVa => c.table_va == rust.table_va,
            KentryField::Slots => c.same_slots(rust),
            KentryField::FreeHead => c.same_free_head(rust),
            KentryField::EntryStorage => c.entry_storage == rust.entry_storage,
        }
    }
}

display_as_name!(KentryField);

/// The kind of a [`Mismatch`], which the shrinker keeps while it minimises
/// and `vm-diff shrink`/`export` compare.
///
/// Its text (`Display`, parsed back by `FromStr`) is stable: `outcome`,
/// `hang:Rust`,
/// `trace:phys_alloc` (`trace:none` when neither side made a call there),
/// `map-count`, `map:size`, `kentry:slots`, `pmap-list`, `page-table`,
/// `invariant:C:list-order`. A new oracle adds a variant here (a
/// specification oracle, for example, would add one naming its rule).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Signature {
    /// Oracle 1: the outcomes differ.
    Outcome,
    /// Oracle 1: this side did not finish its operation within the loop
    /// budget (the C named when both did not).
    Hang(SideName),
    /// Oracle 2: the traces differ at a call of this kind (the C's, else
    /// the port's); `None` when neither made one.
    Trace(Option<EventKind>),
    /// Oracle 3: the numbers of user maps differ.
    MapCount,
    /// Oracle 3: a map's field differs.
    Map(MapField),
    /// Oracle 3: a part of the kentry allocator differs.
    Kentry(KentryField),
    /// Oracle 4: the pmaps differ.
    PmapList,
    /// Oracle 4: a page table differs.
    PageTable,
    /// Oracle 5: a side broke an invariant.
    Invariant(SideName, Invariant),
    /// Oracle 6: a side (or both) broke a promise of the specification.
    Spec(spec::Rule),
}

impl fmt::Display for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Signature::Outcome => f.write_str("outcome"),
            Signature::Hang(side) => write!(f, "hang:{side}"),
            Signature::Trace(Some(kind)) => write!(f, "trace:{kind}"),
            Signature::Trace(None) => f.write_str("trace:none"),
            Signature::MapCount => f.write_str("map-count"),
            Signature::Map(field) => write!(f, "map:{field}"),
            Signature::Kentry(field) => write!(f, "kentry:{field}"),
            Signature::PmapList => f.write_str("pmap-list"),
            Signature::PageTable => f.write_str("page-table"),
            Signature::Invariant(side, invariant) => write!(f, "invariant:{side}:{invariant}"),
            // The rule's own Display is `spec:<name>`.
            Signature::Spec(rule) => write!(f, "{rule}"),
        }
    }
}

/// Why a text is not a [`Signature`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnknownSignature(pub String);

impl fmt::Display for UnknownSignature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "`{}` is not a divergence signature (outcome, hang:<C|Rust>, trace:<call>, map-count, \
             map:<field>, kentry:<field>, pmap-list, page-table, invariant:<C|Rust>:<name>, spec:<rule>)",
            self.0
        )
    }
}

impl std::error::Error for UnknownSignature {}

impl FromStr for Signature {
    type Err = UnknownSignature;

    fn from_str(text: &str) -> Result<Signature, UnknownSignature> {
        let unknown = || UnknownSignature(text.to_string());
        let signature = match text.split_once(':') {
            None => match text {
                "outcome" => Signature::Outcome,
                "map-count" => Signature::MapCount,
                "pmap-list" => Signature::PmapList,
                "page-table" => Signature::PageTable,
                _ => return Err(unknown()),
            },
            Some(("hang", side)) => {
                Signature::Hang(by_name(SideName::ALL, side, SideName::name).ok_or_else(unknown)?)
            }
            Some(("trace", "none")) => Signature::Trace(None),
            Some(("trace", call)) => {
                Signature::Trace(Some(EventKind::from_name(call).ok_or_else(unknown)?))
            }
            Some(("map", field)) => {
                Signature::Map(by_name(MapField::ALL, field, MapField::name).ok_or_else(unknown)?)
            }
            Some(("kentry", field)) => Signature::Kentry(
                by_name(KentryField::ALL, field, KentryField::name).ok_or_else(unknown)?,
            ),
            Some(("spec", name)) => Signature::Spec(
                by_name(spec::Rule::ALL, name, spec::Rule::name).ok_or_else(unknown)?,
            ),
            Some(("invariant", rest)) => {
                let (side, name) = rest.split_once(':').ok_or_else(unknown)?;
                let side = by_name(SideName::ALL, side, SideName::name).ok_or_else(unknown)?;
                Signature::Invariant(side, Invariant::from_name(name).ok_or_else(unknown)?)
            }
            Some(_) => return Err(unknown()),
        };
        Ok(signature)
    }
}

/// The value among `all` whose stable name (as `name_of` gives it) is
/// `name`: how a signature's parts are read back from their text.
fn by_name<T: Copy>(
    all: impl IntoIterator<Item = T>,
    name: &str,
    name_of: impl Fn(T) -> &'static str,
) -> Option<T> {
    all.into_iter()
        .find(|&candidate| name_of(candidate) == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_read_as_before_and_parse_back() {
        let cases = [
            (Signature::Outcome, "outcome"),
            (Signature::Hang(SideName::Rust), "hang:Rust"),
            (Signature::Hang(SideName::C), "hang:C"),
            (
                Signature::Trace(Some(EventKind::PhysAlloc)),
                "trace:phys_alloc",
            ),
            (
                Signature::Trace(Some(EventKind::KmemCacheFree)),
                "trace:kmem_cache_free",
            ),
            (Signature::Trace(None), "trace:none"),
            (Signature::MapCount, "map-count"),
            (Signature::Map(MapField::Size), "map:size"),
            (
                Signature::Map(MapField::FindCacheThreshold),
                "map:find_cache_threshold",
            ),
            (Signature::Kentry(KentryField::Slots), "kentry:slots"),
            (
                Signature::Kentry(KentryField::EntryStorage),
                "kentry:entry_storage",
            ),
            (Signature::PmapList, "pmap-list"),
            (Signature::PageTable, "page-table"),
            (
                Signature::Invariant(SideName::C, Invariant::ListOrder),
                "invariant:C:list-order",
            ),
            (
                Signature::Invariant(SideName::Rust, Invariant::LeafFrameAllocated),
                "invariant:Rust:leaf-frame-allocated",
            ),
        ];
        for (signature, text) in cases {
            assert_eq!(signature.to_string(), text);
            assert_eq!(text.parse::<Signature>(), Ok(signature));
        }
        for field in MapField::ALL {
            let signature = Signature::Map(field);
            assert_eq!(signature.to_string().parse(), Ok(signature));
        }
        for field in KentryField::ALL {
            let signature = Signature::Kentry(field);
            assert_eq!(signature.to_string().parse(), Ok(signature));
        }
        for invariant in Invariant::ALL {
            let signature = Signature::Invariant(SideName::Rust, invariant);
            assert_eq!(signature.to_string().parse(), Ok(signature));
        }
    }

    #[test]
    fn unknown_signatures_are_refused() {
        for text in [
            "",
            "map",
            "map:colour",
            "kentry:colour",
            "trace:phys",
            "invariant:C",
            "invariant:Go:size",
            "outcome:x",
            "hang:Go",
        ] {
            assert!(text.parse::<Signature>().is_err(), "{text:?}");
        }
    }
}
