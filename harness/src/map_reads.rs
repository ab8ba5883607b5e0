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
use vm_rs::{EntryState, MapRewrite, MapState, ReadDifference, ReadFootprint};

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
    /// What the read that gave each map's current version displaced
    /// ([`vm_rs::MapRewrite`]): the scalars of the version before it, and
    /// its entries and list from where they first differ (the contents
    /// `changes` starts from).
    before: Vec<MapState>,
    /// What each read displaces, until the read turns out to differ (the
    /// buffer and a map's `before` then go round, so that no read
    /// allocates once they have grown).
    displaced: MapState,
    /// The version of each map's contents in `maps`.
    versions: Vec<Version>,
    /// For each map, how its last read differs from the contents of the
    /// version before it.
    changes: Vec<Change>,
    /// For each map, the version of the contents that last kept the
    /// invariants.
    invariants_held: Vec<Version>,
    /// For each map in `maps`, whether its read found the list to be the
    /// entries themselves ([`Side::rewrite_map`]), so that
    /// `list == entries` without a comparison.
    lists_are_entries: Vec<bool>,
    /// For each map in `maps`, the footprint of the read that wrote it
    /// (`vm_rs::ReadFootprint`: what the port's next read may keep without
    /// walking it; the C's reads leave none).
    footprints: Vec<ReadFootprint>,
    /// Empty map states that `maps` and `before` take their new members
    /// from (then allocating nothing up to [`ENTRIES_KEPT`] entries):
    /// what [`MapReads::release`] keeps of the buffers.
    spares: Vec<MapState>,
}

/// How many empty map states [`MapReads::release`] keeps: two for each
/// map (its read and what the read displaced) of a program with fifteen
/// user maps (the saved corpus's programs make up to about twenty).
const SPARE_MAP_STATES: usize = 32;
/// The entry and list capacity of every map state kept: the saved
/// corpus's maps hold about 100 entries, up to about 200.
const ENTRIES_KEPT: usize = 256;

/// Empties `state` and gives its entries and list exactly
/// [`ENTRIES_KEPT`] capacity.
fn reset_map_state(state: &mut MapState) {
    state.clear();
    sim::reset_buffer(&mut state.entries, ENTRIES_KEPT);
    sim::reset_buffer(&mut state.list, ENTRIES_KEPT);
}

/// Resizes `states` to `count`, taking each new member from `spares`
/// (empty states) while they last.
fn resize_from_spares(states: &mut Vec<MapState>, count: usize, spares: &mut Vec<MapState>) {
    if states.len() == count {
        return;
    }
    states.truncate(count);
    while states.len() < count {
        states.push(spares.pop().unwrap_or_default());
    }
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
        self.check_invariants_except(side, deep, |_, _| false)
    }

    /// [`MapReads::check_invariants`], taking it as known that the maps
    /// for which `known_to_hold` (given a map's index and current version)
    /// says so keep them: the caller knows that
    /// they are, whole, the same as maps found to keep them (the other
    /// side's, after the differential oracles found the two equal).
    pub fn check_invariants_except(
        &mut self,
        side: &dyn Side,
        deep: bool,
        known_to_hold: impl Fn(usize, Version) -> bool,
    ) -> Option<(Invariant, String)> {
        self.invariants_held
            .resize(self.versions.len(), Version::default());
        let held = &self.invariants_held;
        let broken = invariants::check_where(side, &self.maps, |index| {
            let (version, held) = (self.versions[index], held[index]);
            if version.is_known() && (version == held || known_to_hold(index, version)) {
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

    /// Forgets every read (see `Runner::release_buffers`), keeping
    /// [`SPARE_MAP_STATES`] empty map states of [`ENTRIES_KEPT`] entries,
    /// whatever the last program grew: the next program's reads then
    /// allocate (and take the paths of growing vectors) exactly as they
    /// would in a fresh process with the same spares, and most allocate
    /// nothing. Under AddressSanitizer an allocation costs far more than
    /// here: freed blocks wait in its quarantine, and fresh ones are cold.
    pub fn release(&mut self) {
        let mut spares = core::mem::take(&mut self.spares);
        spares.append(&mut self.maps);
        spares.append(&mut self.before);
        // The states whose buffers are already of the capacity kept go
        // first, so that what the truncation drops is what would have been
        // reallocated.
        spares.sort_unstable_by_key(|state| {
            let misfit = |buffer: &Vec<EntryState>| buffer.capacity() != ENTRIES_KEPT;
            usize::from(misfit(&state.entries)) + usize::from(misfit(&state.list))
        });
        spares.truncate(SPARE_MAP_STATES);
        spares.resize_with(SPARE_MAP_STATES, MapState::default);
        spares.iter_mut().for_each(reset_map_state);
        self.spares = spares;
        reset_map_state(&mut self.displaced);
        let maps_kept = SPARE_MAP_STATES / 2;
        sim::reset_buffer(&mut self.maps, maps_kept);
        sim::reset_buffer(&mut self.before, maps_kept);
        sim::reset_buffer(&mut self.versions, maps_kept);
        sim::reset_buffer(&mut self.changes, maps_kept);
        sim::reset_buffer(&mut self.invariants_held, maps_kept);
        sim::reset_buffer(&mut self.lists_are_entries, maps_kept);
        self.footprints.truncate(maps_kept);
        self.footprints
            .resize_with(maps_kept, ReadFootprint::default);
        self.footprints.shrink_to(maps_kept);
        for footprint in &mut self.footprints {
            footprint.forget_keeping(ENTRIES_KEPT);
        }
    }

    /// The capacities of the buffers [`MapReads::release`] keeps: each
    /// spare state's entries and list, the displaced state's, then the
    /// per-map vectors'. For tests that what a release keeps does not
    /// depend on what was read.
    pub fn kept_capacities(&self) -> Vec<usize> {
        let states = self.spares.iter().chain([&self.displaced]);
        let buffers = states.flat_map(|state| [state.entries.capacity(), state.list.capacity()]);
        let per_map = [
            self.maps.capacity(),
            self.before.capacity(),
            self.versions.capacity(),
            self.changes.capacity(),
            self.invariants_held.capacity(),
            self.lists_are_entries.capacity(),
            self.footprints.capacity(),
        ];
        buffers.chain(per_map).collect()
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
        resize_from_spares(&mut self.maps, count, &mut self.spares);
        resize_from_spares(&mut self.before, count, &mut self.spares);
        self.versions.resize(count, Version::default());
        self.changes.resize(count, Change::default());
        self.lists_are_entries.resize(count, false);
        // Footprints past the maps are forgotten ones, kept for their
        // buffers (`release`).
        if self.footprints.len() < count {
            self.footprints.resize_with(count, ReadFootprint::default);
        }
        for index in 0..count {
            if !in_scope(index, scope, known_maps) || (index == 0 && !kernel && scope.is_some()) {
                continue;
            }
            let map_ref = MapRef(index as u32);
            // The promise a read is given, checked wherever tests replay.
            assert!(
                !SELF_CHECKS
                    || !self.lists_are_entries[index]
                    || self.maps[index].list == self.maps[index].entries
            );
            let rewrite = MapRewrite::new(
                &mut self.maps[index],
                &mut self.displaced,
                self.lists_are_entries[index],
            )
            .with_footprint(&mut self.footprints[index]);
            let read = side.rewrite_map(map_ref, rewrite);
            debug_assert_read(side, map_ref, &self.maps[index], read.list_is_entries);
            let new_contents = fresh || index >= known_maps;
            if !read.differs {
                // The same contents: `before` goes on holding what the
                // version before this one was, which `changes` starts from;
                // both reads say what the one list is.
                if new_contents {
                    self.lists_are_entries[index] = read.list_is_entries;
                    self.versions[index] = versions.next();
                    self.changes[index] = Change::default();
                } else {
                    self.lists_are_entries[index] |= read.list_is_entries;
                }
                continue;
            }
            let change = if new_contents {
                Change::default()
            } else {
                let lists = (self.lists_are_entries[index], read.list_is_entries);
                Change {
                    from: self.versions[index],
                    ..difference(&self.displaced, &self.maps[index], read, lists)
                }
            };
            core::mem::swap(&mut self.displaced, &mut self.before[index]);
            self.lists_are_entries[index] = read.list_is_entries;
            self.versions[index] = versions.next();
            self.changes[index] = change;
        }
    }
}

/// Whether the map reads check their own promises ([`debug_assert_read`]):
/// in the tests' builds, which have debug assertions, but not in fuzzing
/// builds (`--cfg fuzzing`, which cargo-fuzz and cargo-afl pass), which
/// have them too (cargo-fuzz's default) and where a second, whole read of
/// every map read would cost as much as the reads themselves.
pub(crate) const SELF_CHECKS: bool = cfg!(debug_assertions) && !cfg!(fuzzing);

/// The sides' promises about a read, checked wherever the tests replay
/// programs ([`SELF_CHECKS`]): `state` is what a whole read of the map
/// gives, and its list is its entries when the read said so.
fn debug_assert_read(side: &dyn Side, map: MapRef, state: &MapState, list_is_entries: bool) {
    if SELF_CHECKS {
        let mut whole = MapState::default();
        side.fill_map(map, &mut whole);
        assert_eq!(
            &whole, state,
            "a re-read of map {} differs from a whole read",
            map.0
        );
        assert!(!list_is_entries || state.list == state.entries);
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

/// How `now` differs from the read it was written over (`from` left
/// unknown), given what that read displaced (`displaced`: its scalars, and
/// its entries and list from where they first differ) and where (`read`;
/// something differs). `lists_are_entries` says, for the two reads,
/// whether they found the list to be the entries themselves: when both
/// did, the list changed exactly where the entries did, and is not
/// compared.
fn difference(
    displaced: &MapState,
    now: &MapState,
    read: ReadDifference,
    lists_are_entries: (bool, bool),
) -> Change {
    let entries = read
        .entries_from
        .map(|common_start| Window::between(&displaced.entries, &now.entries, common_start));
    let pages = entries.and_then(|window| {
        window
            .then(&displaced.entries)
            .iter()
            .chain(&now.entries[window.now.0..window.now.1])
            .map(|entry| pages_of(entry.start, entry.end))
            .reduce(|(first, last), (other_first, other_last)| {
                (first.min(other_first), last.max(other_last))
            })
    });
    let entries_window = entries.map(|window| window.now);
    let list_positions = match lists_are_entries {
        (true, true) => entries_window,
        _ => read
            .list_from
            .map(|common_start| Window::between(&displaced.list, &now.list, common_start).now),
    };
    // When the entries differ, the list may differ from them even where it
    // did not change itself: `list` says so to the invariants' whole-list
    // check, while the windowed checks use both windows.
    Change {
        from: Version::default(),
        entries: entries_window,
        entries_before: entries.map(|window| window.then),
        list: entries_window.is_some() || list_positions.is_some(),
        list_positions,
        pages,
        bounds: (displaced.start, displaced.end) != (now.start, now.end),
    }
}

/// Where a sequence (entries or list) differs between two reads: the
/// positions between the longest common beginning and end, now and then.
#[derive(Debug, Clone, Copy)]
struct Window {
    now: (usize, usize),
    then: (usize, usize),
}

impl Window {
    /// The window of `now` against the last read, given what the read
    /// displaced of it (`displaced`: the last read from `common_start` on,
    /// the length of their common beginning).
    fn between(displaced: &[EntryState], now: &[EntryState], common_start: usize) -> Window {
        let common_end = displaced
            .iter()
            .rev()
            .zip(now[common_start..].iter().rev())
            .position(|(a, b)| !a.same_as(b))
            .unwrap_or_else(|| displaced.len().min(now.len() - common_start));
        Window {
            now: (common_start, now.len() - common_end),
            then: (common_start, common_start + displaced.len() - common_end),
        }
    }

    /// The entries of the window then, in `displaced` (which starts at the
    /// window's start).
    fn then<'a>(&self, displaced: &'a [EntryState]) -> &'a [EntryState] {
        &displaced[..self.then.1 - self.then.0]
    }
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
    if !c.same_scalars(rust)
        || c.entries.len() != rust.entries.len()
        || c.list.len() != rust.list.len()
    {
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

/// The pages `[start, end)` touches, at least one: rounded out to page
/// boundaries, an empty or reversed range counting as its first page.
pub fn pages_of(start: u64, end: u64) -> (u64, u64) {
    let first = start & !(PAGE_SIZE - 1);
    let last = end.max(start).saturating_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
    (first, last.max(first.saturating_add(PAGE_SIZE)))
}

/// What of `now` may break an invariant, given that the version before it
/// kept them all and `change` leads from it to `now` (`before`: what the
/// read of `now` displaced of it, [`MapReads::before`]): the entries that differ, the bytes
/// the others cover, and where the list may differ from the entries.
/// With `deep` (the runner's deep checks) the list is compared with the
/// entries whole whenever either changed, so that a slip in the windows
/// is still caught there.
fn window_since_held(before: &MapState, now: &MapState, change: Change, deep: bool) -> MapWindow {
    let (first, end) = change.entries.unwrap_or((0, 0));
    let (first_before, end_before) = change.entries_before.unwrap_or((0, 0));
    // `before` kept the size invariant: its size is what its entries cover.
    // It holds its entries from the first that differs on.
    let covered_before: u64 =
        invariants::covered_bytes(&before.entries[..end_before - first_before]);
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
