//! Reading a map over its last read ([`MapRewrite`]): for each pair of
//! reads, the state written over becomes the fresh read, what it replaced
//! is displaced (the old scalars, and the old entries and list from where
//! each first differs), and [`ReadDifference`] says where the reads part.
//! Each case runs as a whole read replayed and as a joint walk, with and
//! without the promise that the last read's list is its entries.

extern crate std;

use std::vec::Vec;

use super::*;
use crate::{MapRewrite, MapState, ReadDifference};

/// An entry of one page at page `page`, its flags `flags`.
const fn entry(page: u64, flags: u32) -> EntryState {
    EntryState {
        start: page * 0x1000,
        end: (page + 1) * 0x1000,
        object: Some(ObjectId(0)),
        offset: 0,
        flags,
    }
}

const A: EntryState = entry(1, 0x273);
const B: EntryState = entry(2, 0x273);
const C: EntryState = entry(3, 0x273);
const D: EntryState = entry(4, 0x273);
/// `B` with other flags: the same range, a different entry.
const B2: EntryState = entry(2, 0x77);

/// A map whose list is its entries.
fn map(entries: &[EntryState]) -> MapState {
    MapState {
        start: 0x1000,
        end: 0x10_0000,
        size: entries.len() as u64 * 0x1000,
        nr_entries: entries.len() as u32,
        find_cache: 0,
        find_cache_threshold: u64::MAX,
        entries: entries.to_vec(),
        list: entries.to_vec(),
    }
}

/// A map whose list differs from its entries.
fn map_listed(entries: &[EntryState], list: &[EntryState]) -> MapState {
    MapState {
        list: list.to_vec(),
        ..map(entries)
    }
}

/// (what, last read, fresh read, entries_from, list_from, differs)
type Case = (
    &'static str,
    MapState,
    MapState,
    Option<usize>,
    Option<usize>,
    bool,
);

fn cases() -> Vec<Case> {
    let abc = map(&[A, B, C]);
    std::vec![
        ("the same", abc.clone(), abc.clone(), None, None, false),
        (
            "one changed in the middle",
            abc.clone(),
            map(&[A, B2, C]),
            Some(1),
            Some(1),
            true
        ),
        (
            "one appended",
            abc.clone(),
            map(&[A, B, C, D]),
            Some(3),
            Some(3),
            true
        ),
        (
            "the last removed",
            abc.clone(),
            map(&[A, B]),
            Some(2),
            Some(2),
            true
        ),
        (
            "the first removed",
            abc.clone(),
            map(&[B, C]),
            Some(0),
            Some(0),
            true
        ),
        ("from none", map(&[]), abc.clone(), Some(0), Some(0), true),
        ("to none", abc.clone(), map(&[]), Some(0), Some(0), true),
        (
            "a scalar alone",
            abc.clone(),
            MapState {
                find_cache: 0x2000,
                ..abc.clone()
            },
            None,
            None,
            true
        ),
        (
            "the list alone",
            abc.clone(),
            map_listed(&[A, B, C], &[B, C, A]),
            None,
            Some(0),
            true
        ),
        (
            "the list back in order",
            map_listed(&[A, B, C], &[A, C, B]),
            abc.clone(),
            None,
            Some(1),
            true
        ),
    ]
}

/// Writes `fresh` over `state` as a side's walk gives it ([`give_from`]),
/// after keeping what it compares with the last read first when
/// `compare_first` ([`keep_compared_beginning`]).
fn walk(
    (state, displaced): (&mut MapState, &mut MapState),
    fresh: &MapState,
    list_was_entries: bool,
    compare_first: bool,
) -> ReadDifference {
    // What a side comparing first must be given: the last read's entries
    // when its list is known to be them, else nothing.
    let expected_last = match list_was_entries {
        true => state.entries.clone(),
        false => Vec::new(),
    };
    let mut rewrite = MapRewrite::new(state, displaced, list_was_entries);
    rewrite.scalars_mut().copy_scalars_from(fresh);
    let kept = match compare_first {
        true => keep_compared_beginning(&mut rewrite, fresh, &expected_last),
        false => 0,
    };
    give_from(&mut rewrite, fresh, kept);
    // The counts bound the sides' walks of a corrupted list or tree.
    assert_eq!(
        (rewrite.entries_read(), rewrite.list_read()),
        (fresh.entries.len(), fresh.list.len()),
        "the rewrite counts every entry it was given"
    );
    rewrite.finish(fresh.list == fresh.entries)
}

/// What a side that compares the map's beginning with the last read
/// itself does first (the C's, in c-reference's snapshot.rs): it keeps the
/// entries both walks meet that are the last read's
/// ([`MapRewrite::last_entries_in_step`], [`MapRewrite::keep`]), and says
/// how many.
fn keep_compared_beginning(
    rewrite: &mut MapRewrite<'_>,
    fresh: &MapState,
    expected_last: &[EntryState],
) -> usize {
    let last = rewrite.last_entries_in_step();
    assert_eq!(
        last, expected_last,
        "the last read's entries, while in step"
    );
    let same = fresh
        .entries
        .iter()
        .zip(&fresh.list)
        .zip(last)
        .take_while(|((treed, listed), was)| treed == listed && treed == was)
        .count();
    assert_eq!(rewrite.keep(same), same, "what was compared is kept");
    assert!(
        same == 0 || rewrite.last_entries_in_step().is_empty(),
        "nothing to compare once something was kept"
    );
    same
}

/// Gives `fresh`'s entries from place `from` on as a side's walk does:
/// those both walks meet at the same place, then each walk's alone.
fn give_from(rewrite: &mut MapRewrite<'_>, fresh: &MapState, from: usize) {
    let joint = fresh
        .entries
        .iter()
        .zip(&fresh.list)
        .take_while(|(treed, listed)| treed == listed)
        .count()
        .max(from);
    fresh.entries[from..joint]
        .iter()
        .for_each(|&entry| rewrite.both(entry));
    fresh.entries[joint..]
        .iter()
        .for_each(|&entry| rewrite.tree_only(entry));
    fresh.list[joint..]
        .iter()
        .for_each(|&entry| rewrite.list_only(entry));
}

#[test]
fn a_rewrite_becomes_the_fresh_read_and_displaces_what_it_replaced() {
    for (what, last, fresh, entries_from, list_from, differs) in cases() {
        let list_was_entries = last.list == last.entries;
        for (how, promise) in [
            ("replayed", false),
            ("walked", false),
            ("walked", list_was_entries),
            ("compared first", false),
            ("compared first", list_was_entries),
        ] {
            let (mut state, mut displaced) = (last.clone(), MapState::default());
            let difference = match how {
                "replayed" => MapRewrite::new(&mut state, &mut displaced, false)
                    .replay(&fresh, fresh.list == fresh.entries),
                how => walk(
                    (&mut state, &mut displaced),
                    &fresh,
                    promise,
                    how == "compared first",
                ),
            };
            let context = std::format!("{what}, {how}, promise {promise}");
            assert_eq!(difference.entries_from, entries_from, "{context}");
            assert_eq!(difference.list_from, list_from, "{context}");
            assert_eq!(difference.differs, differs, "{context}");
            assert_eq!(
                difference.list_is_entries,
                fresh.list == fresh.entries,
                "{context}"
            );
            assert_eq!(state, fresh, "{context}: the state is the fresh read");
            assert_eq!(
                (displaced.size, displaced.find_cache),
                (last.size, last.find_cache),
                "{context}: the old scalars are displaced"
            );
            let tail = |sequence: &[EntryState], from: Option<usize>| {
                from.map_or(Vec::new(), |from| sequence[from..].to_vec())
            };
            assert_eq!(
                displaced.entries,
                tail(&last.entries, entries_from),
                "{context}"
            );
            assert_eq!(displaced.list, tail(&last.list, list_from), "{context}");
        }
    }
}

#[test]
fn a_whole_read_is_a_rewrite_over_a_cleared_state() {
    let (vm, _env) = boot();
    let mut whole = MapState::default();
    assert!(vm.map_state_into(MapId(0), &mut whole));
    let (mut state, mut displaced) = (MapState::default(), MapState::default());
    let rewrite = MapRewrite::new(&mut state, &mut displaced, false);
    let difference = vm.map_state_rewrite(MapId(0), rewrite);
    assert_eq!(state, whole);
    assert_eq!(
        (difference.differs, difference.entries_from),
        (true, Some(0))
    );
    // Read again over itself, nothing differs and nothing is displaced.
    let rewrite = MapRewrite::new(&mut state, &mut displaced, true);
    let again = vm.map_state_rewrite(MapId(0), rewrite);
    let nothing = ReadDifference {
        differs: false,
        entries_from: None,
        list_from: None,
        list_is_entries: true,
    };
    assert_eq!(again, nothing);
    assert_eq!(state, whole);
    assert!(displaced.entries.is_empty() && displaced.list.is_empty());
    // A map that does not exist reads as the default state.
    let rewrite = MapRewrite::new(&mut state, &mut displaced, true);
    assert!(vm.map_state_rewrite(MapId(9), rewrite).differs);
    assert_eq!(state, MapState::default());
}
