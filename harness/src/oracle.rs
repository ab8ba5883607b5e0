//! The five oracles of DESIGN.md, in order: outcome, environment trace,
//! maps (with the kentry allocator), page tables, invariants. Each returns
//! the first [`Mismatch`] it finds, or `None`; none of them panics.

use crate::invariants::{self, Invariant};
use crate::mismatch::{KentryField, MapField, Mismatch, SideName};
use crate::observe::Outcome;
use crate::program::MapRef;
use crate::side::Side;
use sim::{CacheId, Event, Machine, PmapId, TableEntry};
use vm_rs::{KentryState, MapState};

/// The most differing page-table entries a report carries per side.
const MAX_TABLE_DIFF_LINES: usize = 16;

/// Oracle 1: the outcomes must be equal, and neither side may have run
/// out of its loop budget (both doing so is a hang of the C, which the
/// port copied).
pub fn compare_outcomes(c: &Outcome, rust: &Outcome) -> Option<Mismatch> {
    (c != rust || *c == Outcome::Unfinished).then(|| Mismatch::Outcome {
        c: c.clone(),
        rust: rust.clone(),
    })
}

/// Oracle 2: the events each side recorded since the operation began.
pub fn compare_traces(c: &[Event], rust: &[Event]) -> Option<Mismatch> {
    let length = c.len().max(rust.len());
    let index = (0..length).find(|&i| c.get(i) != rust.get(i))?;
    Some(Mismatch::Trace {
        index,
        c: c.get(index).cloned(),
        rust: rust.get(index).cloned(),
    })
}

/// Oracle 3, for one map: the first differing field, if any.
pub fn compare_maps(map: MapRef, c: &MapState, rust: &MapState) -> Option<Mismatch> {
    let field = first_differing_field(c, rust)?;
    Some(Mismatch::Map {
        map,
        field,
        c: Box::new(c.clone()),
        rust: Box::new(rust.clone()),
    })
}

fn first_differing_field(c: &MapState, rust: &MapState) -> Option<MapField> {
    MapField::ALL
        .into_iter()
        .find(|field| !field.agrees(c, rust))
}

/// Oracle 3, for the kentry allocator: the first differing part, if any.
///
/// `at_setup` says whether the step is the set-up. The table's place is
/// compared there only: afterwards a kernel-map remove over the kentry
/// entry (the registered bug `remove-takes-kernel-memory`) moves the
/// entry's start, from which the C computes its table's address while the
/// port keeps the table it set up. The sides then read different memory
/// by design, so nothing of the table is compared; the registry sees that
/// remove through the oracles after this one.
pub fn compare_kentry(c: &KentryState, rust: &KentryState, at_setup: bool) -> Option<Mismatch> {
    if !at_setup && c.table_va != rust.table_va {
        return None;
    }
    let field = KentryField::ALL
        .into_iter()
        .find(|field| !field.agrees(c, rust))?;
    Some(Mismatch::Kentry {
        field,
        c: Box::new(c.clone()),
        rust: Box::new(rust.clone()),
    })
}

/// Whether a step's events can have changed the kentry allocator: a call
/// on the kentry cache (taking or freeing a kernel-map entry, growing the
/// cache by a kentry slab) or a reap (which hands empty kentry slabs back).
/// Nothing else reaches `vm_map_kentry_alloc`/`free` or the kernel map's
/// entry storage.
pub fn touches_kentry(events: &[Event]) -> bool {
    events.iter().any(|event| match event {
        Event::KmemCacheTake { cache, .. }
        | Event::KmemCacheGrow { cache, .. }
        | Event::KmemCacheFree { cache, .. } => *cache == KENTRY_CACHE,
        Event::KmemReapNext { .. } => true,
        _ => false,
    })
}

/// The kentry cache's id: `vm_map_setup` creates it first (ARCHITECTURE.md,
/// invariant 3).
const KENTRY_CACHE: CacheId = CacheId(0);

/// Oracle 4: every pmap's tables, digest first, a full diff when digests
/// differ.
pub fn compare_page_tables(c: &Machine, rust: &Machine) -> Option<Mismatch> {
    if !c.pmap_ids().eq(rust.pmap_ids()) {
        return Some(Mismatch::PmapList {
            c: c.pmaps(),
            rust: rust.pmaps(),
        });
    }
    let pmap = c
        .pmap_ids()
        .find(|&pmap| c.page_table_digest(pmap) != rust.page_table_digest(pmap))?;
    Some(page_table_diff(
        pmap,
        &c.page_table_entries(pmap),
        &rust.page_table_entries(pmap),
    ))
}

fn page_table_diff(pmap: PmapId, c: &[TableEntry], rust: &[TableEntry]) -> Mismatch {
    let only = |left: &[TableEntry], right: &[TableEntry]| -> Vec<TableEntry> {
        left.iter()
            .filter(|entry| !right.contains(entry))
            .take(MAX_TABLE_DIFF_LINES)
            .copied()
            .collect()
    };
    Mismatch::PageTable {
        pmap,
        c_only: only(c, rust),
        rust_only: only(rust, c),
    }
}

/// Oracle 5: invariants of each side alone, C first; `deep` adds the ones
/// that walk the kentry table and every page table.
pub fn check_invariants(
    c: &dyn Side,
    c_maps: &[MapState],
    rust: &dyn Side,
    rust_maps: &[MapState],
    deep: bool,
) -> Option<Mismatch> {
    let side_check = |side: &dyn Side, maps: &[MapState]| {
        invariants::check(side, maps)
            .or_else(|| deep.then(|| invariants::check_deep(side)).flatten())
    };
    invariant_mismatch(side_check(c, c_maps), || side_check(rust, rust_maps))
}

/// Oracle 5 from each side's first broken invariant: the C's if it broke
/// one, else the port's (asked only then).
pub fn invariant_mismatch(
    c: Option<(Invariant, String)>,
    rust: impl FnOnce() -> Option<(Invariant, String)>,
) -> Option<Mismatch> {
    let (side, (name, detail)) = match c {
        Some(broken) => (SideName::C, broken),
        None => (SideName::Rust, rust()?),
    };
    Some(Mismatch::Invariant { side, name, detail })
}
