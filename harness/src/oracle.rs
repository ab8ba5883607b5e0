//! The five oracles of DESIGN.md, in order: outcome, environment trace,
//! maps, page tables, invariants. Each returns the first [`Mismatch`] it
//! finds, or `None`; none of them panics.

use crate::invariants;
use crate::mismatch::{MapField, Mismatch, SideName};
use crate::observe::Outcome;
use crate::program::MapRef;
use crate::side::Side;
use sim::{Event, Machine, PmapId, TableEntry};
use vm_rs::MapState;

/// The most differing page-table entries a report carries per side.
const MAX_TABLE_DIFF_LINES: usize = 16;

/// Oracle 1: the outcomes must be equal.
pub fn compare_outcomes(c: &Outcome, rust: &Outcome) -> Option<Mismatch> {
    (c != rust).then(|| Mismatch::Outcome {
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

/// Oracle 4: every pmap's tables, digest first, a full diff when digests
/// differ.
pub fn compare_page_tables(c: &Machine, rust: &Machine) -> Option<Mismatch> {
    let (c_pmaps, rust_pmaps) = (c.pmaps(), rust.pmaps());
    if c_pmaps != rust_pmaps {
        return Some(Mismatch::PmapList {
            c: c_pmaps,
            rust: rust_pmaps,
        });
    }
    let pmap = c_pmaps
        .into_iter()
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
    let sides = [(SideName::C, c, c_maps), (SideName::Rust, rust, rust_maps)];
    sides.into_iter().find_map(|(name, side, maps)| {
        let broken = invariants::check(side, maps)
            .or_else(|| deep.then(|| invariants::check_deep(side)).flatten());
        broken.map(|(invariant, detail)| Mismatch::Invariant {
            side: name,
            name: invariant,
            detail,
        })
    })
}
