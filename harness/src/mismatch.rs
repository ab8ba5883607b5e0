//! What an oracle reports when the two sides differ, or when one side breaks
//! an invariant on its own: a [`Mismatch`], with a short signature that the
//! shrinker keeps stable while it minimises.

use std::fmt;

use crate::observe::Outcome;
use crate::program::MapRef;
use crate::spec_oracle::SpecFinding;
use sim::{Event, PmapId, TableEntry};
use vm_rs::MapState;

/// Which side an invariant failed on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SideName {
    /// The C original.
    C,
    /// The Rust port.
    Rust,
}

impl fmt::Display for SideName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            SideName::C => "C",
            SideName::Rust => "Rust",
        })
    }
}

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
        field: &'static str,
        /// The C's map.
        c: Box<MapState>,
        /// The port's map.
        rust: Box<MapState>,
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
        /// A stable name of the invariant.
        name: &'static str,
        /// What exactly is wrong.
        detail: String,
    },
    /// Oracle 6: one side or both broke a promise of the specification.
    Spec(Box<SpecFinding>),
}

impl Mismatch {
    /// A short, stable description of the kind of difference: the shrinker
    /// keeps it while it minimises ("outcome", "trace:phys_alloc",
    /// "invariant:C:list-order", ...).
    pub fn signature(&self) -> String {
        match self {
            Mismatch::Outcome { .. } => "outcome".to_string(),
            Mismatch::Trace { c, rust, .. } => {
                let name = c
                    .as_ref()
                    .or(rust.as_ref())
                    .map_or("none".to_string(), event_name);
                format!("trace:{name}")
            }
            Mismatch::MapCount { .. } => "map-count".to_string(),
            Mismatch::Map { field, .. } => format!("map:{field}"),
            Mismatch::PmapList { .. } => "pmap-list".to_string(),
            Mismatch::PageTable { .. } => "page-table".to_string(),
            Mismatch::Invariant { side, name, .. } => format!("invariant:{side}:{name}"),
            Mismatch::Spec(finding) => finding.rule().to_string(),
        }
    }
}

/// The name of an event's call, without arguments ("phys_alloc").
pub fn event_name(event: &Event) -> String {
    let text = event.to_string();
    text.split('(').next().unwrap_or("").to_string()
}
