//! One side's maps as the runner last read them, with a version for each
//! map's contents, so that the checks whose verdict is a function of a
//! map's contents alone (the invariants of one map, the comparison of the
//! two sides' maps, the specification's map check) look again only at the
//! maps whose contents changed.
//!
//! Most operations change one map or none, while the kernel map, read
//! after every operation, can hold hundreds of entries: without versions,
//! every check walked it again at every step. Nothing here judges; a
//! wrong version can only make a check run again, or skip a map whose
//! contents are the same as when it was last checked.

use crate::invariants::{self, Invariant, MapWindow};
use crate::program::MapRef;
use crate::side::Side;
use sim::PAGE_SIZE;
use vm_rs::{EntryState, MapState};

/// A version of one map's contents: two reads with the same version read
/// the same contents. Versions are unique across maps and sides (one
/// counter, [`Versions`], hands them all out), and 0 is never a read's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct Version(u64);

impl Version {
    /// Whether this is a read's version (not the default, which stands for
    /// contents nobody versioned).
    pub fn is_known(self) -> bool {
        self != Version::default()
    }
}

/// Hands out versions: one counter for both sides, so that a version never
/// stands for two different contents.
#[derive(Debug, Default)]
pub struct Versions {
    last: u64,
}

impl Versions {
    fn next(&mut self) -> Version {
        self.last += 1;
        Version(self.last)
    }
}

/// One side's maps, the kernel map first, and their versions.
#[derive(Debug, Default)]
pub struct MapReads {
    /// Each map as last read.
    maps: Vec<MapState>,
    /// Each map as it was at its version before the current one (the
    /// contents `changes` starts from).
    before: Vec<MapState>,
    /// The buffer each read fills (the three buffers of a map that changed
    /// go round, so that no read allocates once they have grown).
    read: MapState,
    /// The version of each map's contents in `maps`.
    versions: Vec<Version>,
    /// For each map, how its last read differs from the contents of the
    /// version before it.
    changes: Vec<Change>,
    /// For each map, the version of the contents that last kept the
    /// invariants.
    invariants_held: Vec<Version>,
    /// For each map in `maps`, whether its read found the list to be the
    /// entries themselves ([`Side::fill_map_seeing_list`]), so that
    /// `list == entries` without a comparison.
    lists_are_entries: Vec<bool>,
}

impl MapReads {
    /// Every map as last read (those outside the last reads' scopes may be
    /// older).
    pub fn maps(&self) -> &[MapState] {
        &self.maps
    }

    /// The version of map `index`'s contents (the default when unread).
    pub fn version(&self, index: usize) -> Version {
        self.versions.get(index).copied().unwrap_or_default()
    }

    /// How map `index`'s contents differ from those of an earlier version
    /// `since`: `None` when they may differ anywhere (or the map is
    /// unknown), an empty change when they are the same.
    pub fn change_since(&self, index: usize, since: Version) -> Option<Change> {
        let version = *self.versions.get(index)?;
        if !since.is_known() {
            return None;
        }
        if since == version {
            return Some(Change::default());
        }
        let change = self.changes[index];
        (change.from == since).then_some(change)
    }

    /// Every map's version, in the order of [`MapReads::maps`].
    pub fn versions(&self) -> &[Version] {
        &self.versions
    }

    /// Oracle 5 on this side ([`invariants::check`]): the invariants of the
    /// maps whose contents changed since they last kept them, the side's
    /// use of the machine, and with `deep` the kentry table and the page
    /// tables ([`invariants::check_deep`]).
    pub fn check_invariants(&mut self, side: &dyn Side, deep: bool) -> Option<(Invariant, String)> {
        self.invariants_held
            .resize(self.versions.len(), Version::default());
        let held = &self.invariants_held;
        let broken = invariants::check_where(side, &self.maps, |index| {
            let (version, held) = (self.versions[index], held[index]);
            if version.is_known() && version == held {
                return None;
            }
            let map = &self.maps[index];
            let mut window = match self.change_since(index, held) {
                Some(change) if !change.bounds => {
                    window_since_held(&self.before[index], map, change, deep)
                }
                _ => MapWindow::whole(map),
            };
            // A list read as the entries themselves is the entries: the
            // list-order invariant holds without a comparison (except in
            // the deep checks, which compare anyway).
            if self.lists_are_entries[index] && !deep {
                window.list_may_differ_in = None;
            }
            Some(window)
        })
        .or_else(|| deep.then(|| invariants::check_deep(side)).flatten());
        if broken.is_none() {
            self.invariants_held.copy_from_slice(&self.versions);
        }
        broken
    }

    /// Drops the buffers (see `Runner::release_buffers`).
    pub fn release(&mut self) {
        *self = MapReads::default();
    }

    /// Re-reads the side's maps that `reread` names. A map whose contents
    /// differ from its last read gets a new version; so does every map
    /// read afresh.
    pub fn refresh(&mut self, side: &dyn Side, reread: Reread, versions: &mut Versions) {
        let Reread {
            scope,
            kernel,
            fresh,
        } = reread;
        let known_maps = self.maps.len();
        let count = side.user_map_count() as usize + 1;
        self.maps.resize_with(count, MapState::default);
        self.before.resize_with(count, MapState::default);
        self.versions.resize(count, Version::default());
        self.changes.resize(count, Change::default());
        self.lists_are_entries.resize(count, false);
        for index in 0..count {
            if !in_scope(index, scope, known_maps) || (index == 0 && !kernel && scope.is_some()) {
                continue;
            }
            let list_is_entries = side.fill_map_seeing_list(MapRef(index as u32), &mut self.read);
            // The sides' promise, checked wherever the tests replay programs.
            debug_assert!(!list_is_entries || self.read.list == self.read.entries);
            let map = &mut self.maps[index];
            let change = if fresh || index >= known_maps {
                Change::default()
            } else {
                let lists = (self.lists_are_entries[index], list_is_entries);
                match difference(map, &self.read, lists) {
                    // The same contents: `before` goes on holding those of
                    // the version before this one, which `changes` starts
                    // from; both reads say what the one list is.
                    None => {
                        self.lists_are_entries[index] |= list_is_entries;
                        continue;
                    }
                    Some(window) => Change {
                        from: self.versions[index],
                        ..window
                    },
                }
            };
            // The buffers go round: the read becomes the map, the map what
            // it was before, and the oldest buffer the next read's.
            core::mem::swap(map, &mut self.read);
            core::mem::swap(&mut self.read, &mut self.before[index]);
            self.lists_are_entries[index] = list_is_entries;
            self.versions[index] = versions.next();
            self.changes[index] = change;
        }
    }
}

/// Which maps [`MapReads::refresh`] re-reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Reread {
    /// Every map (`None`), or this map and the maps not read before.
    pub scope: Option<MapRef>,
    /// With a scope: whether the kernel map is re-read too.
    pub kernel: bool,
    /// Whether every map read gets a new version whatever it holds (at
    /// set-up, where nothing checked before may be trusted to belong to
    /// this program).
    pub fresh: bool,
}

impl Reread {
    /// Every map, afresh.
    pub const EVERY_MAP_AFRESH: Reread = Reread {
        scope: None,
        kernel: true,
        fresh: true,
    };

    /// `map` and the kernel map (not afresh).
    pub const fn map_and_kernel(map: MapRef) -> Reread {
        Reread {
            scope: Some(map),
            kernel: true,
            fresh: false,
        }
    }
}

/// Whether map `index` is re-read: always with no scope; otherwise the
/// kernel map, the scope's map, and maps new since the last read.
pub fn in_scope(index: usize, scope: Option<MapRef>, known_maps: usize) -> bool {
    match scope {
        None => true,
        Some(map) => index == 0 || index == map.0 as usize || index >= known_maps,
    }
}

/// How a map's contents differ from an earlier read's.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Change {
    /// The version of the earlier read (the default: an unknown one).
    pub from: Version,
    /// The entries (indexes now, from the first to one past the last)
    /// between the longest common beginning and the longest common end of
    /// the entries then and now; `None` when the entries are the same.
    pub entries: Option<(usize, usize)>,
    /// The same entries' places then.
    pub entries_before: Option<(usize, usize)>,
    /// Whether the entry list may differ.
    pub list: bool,
    /// Like `entries`, for the entry list: the list's positions now
    /// between its longest common beginning and end with the list then;
    /// `None` when the list is the same.
    pub list_positions: Option<(usize, usize)>,
    /// The pages of the entries that differ, then and now (each rounded
    /// out to whole pages, so that a malformed entry is still inside).
    pub pages: Option<(u64, u64)>,
    /// Whether the map's bounds differ.
    pub bounds: bool,
}

/// How `now` differs from `before` (`from` left unknown), or `None` when
/// they are the same. `lists_are_entries` says, for `before` and `now`,
/// whether their reads found the list to be the entries themselves: when
/// both did, the list changed exactly where the entries did, and is not
/// compared.
fn difference(
    before: &MapState,
    now: &MapState,
    lists_are_entries: (bool, bool),
) -> Option<Change> {
    let (old, new) = (before.entries.as_slice(), now.entries.as_slice());
    let (common_start, common_end) = common_ends(old, new);
    let differing_old = &old[common_start..old.len() - common_end];
    let differing_new = &new[common_start..new.len() - common_end];
    let pages = differing_old
        .iter()
        .chain(differing_new)
        .map(|entry| pages_of(entry.start, entry.end))
        .reduce(|(start, end), (other_start, other_end)| {
            (start.min(other_start), end.max(other_end))
        });
    let entries_differ = !differing_old.is_empty() || !differing_new.is_empty();
    let entries_window = entries_differ.then_some((common_start, new.len() - common_end));
    let list_positions = match lists_are_entries {
        (true, true) => entries_window,
        _ => differing_positions(&before.list, &now.list),
    };
    // When the entries differ, the list may differ from them even where it
    // did not change itself: `list` says so to the invariants' whole-list
    // check, while the windowed checks use both windows.
    let list_differs = entries_differ || list_positions.is_some();
    let change = Change {
        from: Version::default(),
        entries: entries_window,
        entries_before: entries_differ.then_some((common_start, old.len() - common_end)),
        list: list_differs,
        list_positions,
        pages,
        bounds: (before.start, before.end) != (now.start, now.end),
    };
    let same = !entries_differ
        && !list_differs
        && !change.bounds
        && (before.size, before.nr_entries) == (now.size, now.nr_entries)
        && (before.find_cache, before.find_cache_threshold)
            == (now.find_cache, now.find_cache_threshold);
    (!same).then_some(change)
}

/// The positions of `new` between its longest common beginning and end
/// with `old`, or `None` when the two are the same.
fn differing_positions(old: &[EntryState], new: &[EntryState]) -> Option<(usize, usize)> {
    let (common_start, common_end) = common_ends(old, new);
    let same = common_start == old.len() && old.len() == new.len();
    (!same).then_some((common_start, new.len() - common_end))
}

/// Where two sequences of one length `length` may differ, given that they
/// were equal before and that each now differs from what it was only in
/// its `windows` (positions now, as [`Change::entries`] and
/// [`Change::list_positions`] give them; `None`: unchanged). Outside the
/// range returned each position of both holds what it held before, when
/// they were equal, so comparing the range alone compares them whole.
pub fn differing_range(
    length: usize,
    windows: &[Option<(usize, usize)>],
) -> std::ops::Range<usize> {
    let common_start = windows
        .iter()
        .map(|window| window.map_or(length, |(start, _)| start))
        .min()
        .unwrap_or(length)
        .min(length);
    let common_end = windows
        .iter()
        .map(|window| window.map_or(length, |(_, end)| length.saturating_sub(end)))
        .min()
        .unwrap_or(length);
    common_start..length.saturating_sub(common_end).max(common_start)
}

/// Whether both sides' map `index` is the same, given that it was the same
/// at the versions `agreed` (C, port): `None` when that cannot be told from
/// the changes since (a side changed it more than once since, or `agreed`
/// is unknown), and the maps are to be compared whole.
///
/// Sound because each side's [`Change`] since `agreed`
/// names every position of its entries and of its list that may differ
/// from what it held then: where neither side's changed, both hold what
/// they held when they were equal. The scalars and lengths are compared
/// outright, the entries and the list over the positions either side
/// changed ([`differing_range`]). A difference found here is a real one,
/// and the whole comparison (`oracle::compare_maps`) then reports it as
/// it always did; the runner's deep checks compare whole.
pub fn same_since_agreed(
    (c_reads, rust_reads): (&MapReads, &MapReads),
    index: usize,
    (c_agreed, rust_agreed): (Version, Version),
) -> Option<bool> {
    let c_change = c_reads.change_since(index, c_agreed)?;
    let rust_change = rust_reads.change_since(index, rust_agreed)?;
    let (c, rust) = (&c_reads.maps()[index], &rust_reads.maps()[index]);
    if scalars(c) != scalars(rust) || c.list.len() != rust.list.len() {
        return Some(false);
    }
    let entries = differing_range(c.entries.len(), &[c_change.entries, rust_change.entries]);
    let list = differing_range(
        c.list.len(),
        &[c_change.list_positions, rust_change.list_positions],
    );
    Some(
        c.entries[entries.clone()] == rust.entries[entries]
            && c.list[list.clone()] == rust.list[list],
    )
}

/// Everything of a map but its entries and its list, with their lengths
/// (a field added to `MapState` must be added here: the pattern names
/// them all).
fn scalars(map: &MapState) -> (u64, u64, u64, u32, u64, u64, usize) {
    let MapState {
        start,
        end,
        size,
        nr_entries,
        find_cache,
        find_cache_threshold,
        entries,
        list: _,
    } = map;
    (
        *start,
        *end,
        *size,
        *nr_entries,
        *find_cache,
        *find_cache_threshold,
        entries.len(),
    )
}

/// The lengths of the longest common beginning and of the longest common
/// end (not overlapping it) of `old` and `new`.
fn common_ends(old: &[EntryState], new: &[EntryState]) -> (usize, usize) {
    let shorter = old.len().min(new.len());
    let common_start = old[..shorter]
        .iter()
        .zip(&new[..shorter])
        .position(|(a, b)| !same_entry(a, b))
        .unwrap_or(shorter);
    let rest = shorter - common_start;
    let common_end = old[old.len() - rest..]
        .iter()
        .rev()
        .zip(new[new.len() - rest..].iter().rev())
        .position(|(a, b)| !same_entry(a, b))
        .unwrap_or(rest);
    (common_start, common_end)
}

/// `a == b`, in fewer instructions than the derived comparison (which
/// stops at the first differing field): every read of a map compares its
/// entries with the last read's. The pattern names every field, so that
/// a field added to `EntryState` must be added here.
#[inline]
fn same_entry(a: &EntryState, b: &EntryState) -> bool {
    let EntryState {
        start,
        end,
        object,
        offset,
        flags,
    } = *a;
    let words =
        (start ^ b.start) | (end ^ b.end) | (offset ^ b.offset) | u64::from(flags ^ b.flags);
    words == 0 && object == b.object
}

/// The pages `[start, end)` touches, at least one: rounded out to page
/// boundaries, an empty or reversed range counting as its first page.
pub fn pages_of(start: u64, end: u64) -> (u64, u64) {
    let first = start & !(PAGE_SIZE - 1);
    let last = end.max(start).saturating_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
    (first, last.max(first.saturating_add(PAGE_SIZE)))
}

/// What of `now` may break an invariant, given that `before` kept them all
/// and `change` leads from it to `now`: the entries that differ, the bytes
/// the others cover, and where the list may differ from the entries.
/// With `deep` (the runner's deep checks) the list is compared with the
/// entries whole whenever either changed, so that a slip in the windows
/// is still caught there.
fn window_since_held(before: &MapState, now: &MapState, change: Change, deep: bool) -> MapWindow {
    let (first, end) = change.entries.unwrap_or((0, 0));
    let (first_before, end_before) = change.entries_before.unwrap_or((0, 0));
    // `before` kept the size invariant: its size is what its entries cover.
    let covered_before: u64 = invariants::covered_bytes(&before.entries[first_before..end_before]);
    // `before`'s list was its entries: when neither changed, so is `now`'s;
    // otherwise the two can differ (at equal lengths) only where one of
    // them changed (`differing_range`).
    let length = now.entries.len();
    let list_may_differ_in = match (change.list, deep) {
        (false, _) => None,
        (true, true) => Some(0..length),
        (true, false) => Some(differing_range(
            length,
            &[change.entries, change.list_positions],
        )),
    };
    MapWindow {
        entries: first..end,
        covered_bytes_outside: Some(before.size.wrapping_sub(covered_before)),
        list_may_differ_in,
    }
    .clamped(now)
}
