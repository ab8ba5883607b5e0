//! Invariants that one side must keep on its own, whatever the other does.
//! They catch bugs in the C original as well as in the port.
//!
//! [`check`] returns the first broken [`Invariant`] and a detail line; it
//! never panics.

use std::ops::Range;

use crate::side::Side;
use sim::{SlabBackEnd, TableEntry, PAGE_SIZE};
use vm_rs::{EntryState, MapState};

/// An invariant one side must keep on its own. Its [`Invariant::name`] is
/// stable: divergence signatures (`invariant:C:list-order`) and regression
/// files carry it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Invariant {
    /// Every entry ends after it starts.
    EntryNonempty,
    /// Every entry lies inside its map's bounds.
    EntryInsideMap,
    /// Every entry starts and ends on a page boundary.
    EntryPageAligned,
    /// Entries in address order do not overlap.
    EntriesDisjoint,
    /// The map's size is the bytes its entries cover.
    Size,
    /// The map's entry count is the number of its entries.
    NrEntries,
    /// The entry list is in address order (it agrees with the tree).
    ListOrder,
    /// The side used the machine as documented (no violation recorded).
    MachineUse,
    /// As many kentry descriptors are marked allocated as kentry slabs are
    /// in use.
    KentryDescriptors,
    /// No page-table leaf maps a free frame.
    LeafFrameAllocated,
    /// A side that gave a terminal outcome answers every later operation
    /// with `Outcome::Dead`. The runner checks it across steps (a function
    /// of the outcomes, not of the state), [`check`] never reports it.
    DeadStaysDead,
}

impl Invariant {
    /// Every invariant, in the order they are checked (the runner checks
    /// the last, [`Invariant::DeadStaysDead`], before the others).
    pub const ALL: [Invariant; 11] = [
        Invariant::EntryNonempty,
        Invariant::EntryInsideMap,
        Invariant::EntryPageAligned,
        Invariant::EntriesDisjoint,
        Invariant::Size,
        Invariant::NrEntries,
        Invariant::ListOrder,
        Invariant::MachineUse,
        Invariant::KentryDescriptors,
        Invariant::LeafFrameAllocated,
        Invariant::DeadStaysDead,
    ];

    /// The stable name (`list-order`).
    pub const fn name(self) -> &'static str {
        match self {
            Invariant::EntryNonempty => "entry-nonempty",
            Invariant::EntryInsideMap => "entry-inside-map",
            Invariant::EntryPageAligned => "entry-page-aligned",
            Invariant::EntriesDisjoint => "entries-disjoint",
            Invariant::Size => "size",
            Invariant::NrEntries => "nr-entries",
            Invariant::ListOrder => "list-order",
            Invariant::MachineUse => "machine-use",
            Invariant::KentryDescriptors => "kentry-descriptors",
            Invariant::LeafFrameAllocated => "leaf-frame-allocated",
            Invariant::DeadStaysDead => "dead-stays-dead",
        }
    }

    /// The invariant with this [`Invariant::name`], if any.
    pub fn from_name(name: &str) -> Option<Invariant> {
        Invariant::ALL
            .into_iter()
            .find(|invariant| invariant.name() == name)
    }
}

display_as_name!(Invariant);

/// The first invariant `side` breaks in its maps (index 0 is the kernel map,
/// then the user maps in creation order) or in its use of the machine. Cheap
/// enough to run after every operation.
pub fn check(side: &dyn Side, maps: &[MapState]) -> Option<(Invariant, String)> {
    check_where(side, maps, |index| Some(MapWindow::whole(&maps[index])))
}

/// Like [`check`], with `to_check` saying what of map `index` may break an
/// invariant: nothing (`None`: its contents are those of a read that kept
/// them), or a [`MapWindow`].
pub fn check_where(
    side: &dyn Side,
    maps: &[MapState],
    to_check: impl Fn(usize) -> Option<MapWindow>,
) -> Option<(Invariant, String)> {
    maps.iter()
        .enumerate()
        .find_map(|(index, map)| {
            let window = to_check(index)?;
            check_map(map, window).map(|(name, detail)| (name, format!("map {index}: {detail}")))
        })
        .or_else(|| {
            let violation = side.machine().violations().first()?;
            Some((Invariant::MachineUse, violation.to_string()))
        })
}

/// What of a map may break an invariant when the rest of it is as it was
/// at a read that kept them all; the whole map's invariants (size, count,
/// list order) are checked with it, from what it says of the rest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MapWindow {
    /// The entries whose own invariants to check (with the entry after
    /// them, whose predecessor may be new).
    pub entries: Range<usize>,
    /// The bytes the entries outside `entries` cover, when known (else
    /// every entry is summed).
    pub covered_bytes_outside: Option<u64>,
    /// Where the list may differ from the entries, besides in length:
    /// `None` nowhere (neither changed since a read whose list was its
    /// entries), else the positions to compare (cut to the entries').
    pub list_may_differ_in: Option<Range<usize>>,
}

impl MapWindow {
    /// The whole of `map`.
    pub fn whole(map: &MapState) -> MapWindow {
        MapWindow {
            entries: 0..map.entries.len(),
            covered_bytes_outside: None,
            list_may_differ_in: Some(0..map.entries.len()),
        }
    }

    /// The window with its entries cut to `map`'s.
    pub fn clamped(mut self, map: &MapState) -> MapWindow {
        let length = map.entries.len();
        self.entries = self.entries.start.min(length)..self.entries.end.min(length);
        self
    }
}

/// The bytes `entries` cover, as the size invariant counts them (wrapping,
/// so that a malformed entry cannot make the count panic).
pub fn covered_bytes(entries: &[EntryState]) -> u64 {
    entries
        .iter()
        .map(|entry| entry.end.wrapping_sub(entry.start))
        .fold(0, u64::wrapping_add)
}

/// The invariants that need a walk of the kentry table and of every page
/// table: the runner checks them at the end of a program (and after every
/// operation when it looks for the first operation that broke one).
pub fn check_deep(side: &dyn Side) -> Option<(Invariant, String)> {
    check_kentry(side).or_else(|| check_leaves(side))
}

/// The invariants of `map` where `window` says it may break one.
fn check_map(map: &MapState, window: MapWindow) -> Option<(Invariant, String)> {
    let entries = &window.entries;
    let end = entries.end.saturating_add(1).min(map.entries.len());
    for index in entries.start..end {
        let entry = &map.entries[index];
        if entry.start >= entry.end {
            return Some((
                Invariant::EntryNonempty,
                format!("entry {index} is {entry}"),
            ));
        }
        if entry.start < map.start || entry.end > map.end {
            return Some((
                Invariant::EntryInsideMap,
                format!("entry {index} {entry} leaves the map"),
            ));
        }
        if entry.start % PAGE_SIZE != 0 || entry.end % PAGE_SIZE != 0 {
            return Some((
                Invariant::EntryPageAligned,
                format!("entry {index} is {entry}"),
            ));
        }
        if let Some(previous) = index.checked_sub(1).map(|i| &map.entries[i]) {
            if previous.end > entry.start {
                return Some((
                    Invariant::EntriesDisjoint,
                    format!("{previous} overlaps {entry}"),
                ));
            }
        }
    }
    let covered_bytes = match window.covered_bytes_outside {
        Some(outside) => outside.wrapping_add(covered_bytes(&map.entries[entries.clone()])),
        None => covered_bytes(&map.entries),
    };
    if covered_bytes != map.size {
        return Some((
            Invariant::Size,
            format!("size {:#x}, entries cover {covered_bytes:#x}", map.size),
        ));
    }
    if map.nr_entries as usize != map.entries.len() {
        return Some((
            Invariant::NrEntries,
            format!(
                "nr_entries {}, {} entries",
                map.nr_entries,
                map.entries.len()
            ),
        ));
    }
    if window
        .list_may_differ_in
        .is_some_and(|positions| list_differs_in(map, positions))
    {
        let index = map
            .list
            .iter()
            .zip(&map.entries)
            .position(|(a, b)| a != b)
            .unwrap_or(0);
        return Some((
            Invariant::ListOrder,
            format!("list position {index} differs from address order"),
        ));
    }
    None
}

/// Whether `map`'s list differs from its entries in length or at one of
/// `positions`.
fn list_differs_in(map: &MapState, positions: Range<usize>) -> bool {
    let length = map.entries.len();
    let positions = positions.start.min(length)..positions.end.min(length);
    map.list.len() != length || map.list[positions.clone()] != map.entries[positions]
}

fn check_kentry(side: &dyn Side) -> Option<(Invariant, String)> {
    let kentry_slabs = side.machine().slab_count(SlabBackEnd::Kentry);
    let allocated = side.kentry_allocated_count();
    (kentry_slabs != allocated).then(|| {
        let detail =
            format!("{allocated} descriptors marked allocated, {kentry_slabs} kentry slabs in use");
        (Invariant::KentryDescriptors, detail)
    })
}

/// The machine counts leaves on free frames as they appear; only when there
/// is one are the page tables walked, to name it.
fn check_leaves(side: &dyn Side) -> Option<(Invariant, String)> {
    let machine = side.machine();
    if machine.stray_leaf_count() == 0 {
        return None;
    }
    let stray = machine.pmap_ids().find_map(|pmap| {
        let entries = machine.page_table_entries(pmap);
        let entry = entries
            .into_iter()
            .filter(TableEntry::is_leaf)
            .find(|entry| !machine.frame_is_allocated(entry.frame()))?;
        Some((pmap, entry))
    });
    let detail = match stray {
        Some((pmap, entry)) => format!(
            "pmap {}: va {:#x} maps frame {:#x}, which is free",
            pmap.0,
            entry.va,
            entry.frame().0
        ),
        None => format!(
            "{} leaves map frames that are not handed out",
            machine.stray_leaf_count()
        ),
    };
    Some((Invariant::LeafFrameAllocated, detail))
}
