//! Tests of the range set: coalescing, splitting, overlap and room search.

use super::*;
use crate::attributes::test_attributes;
use alloc::vec::Vec;

const PAGE: u64 = 0x1000;
const USER_END: u64 = 0x8000_0000_0000;

fn placement(object: Option<u32>, offset: u64) -> Placement {
    Placement {
        offset,
        attributes: test_attributes(object),
    }
}

fn spans(map: &RangeMap<Placement>) -> Vec<SpanRow> {
    map.iter()
        .map(|s| (s.start, s.end, s.value.offset))
        .collect()
}

/// One change to a range set in a table of cases.
enum Change {
    /// `set(start, end, placement(object, offset))`.
    Set(u64, u64, Option<u32>, u64),
    /// `clear(start, end)`.
    Clear(u64, u64),
}

/// A span as the tests compare it: `(start, end, offset)`.
type SpanRow = (u64, u64, u64);

/// What sets and clears leave, case by case: the changes in order and the
/// spans `(start, end, offset)` expected after them.
#[test]
fn changes_leave_the_expected_spans() {
    use Change::{Clear, Set};
    let table: [(&str, &[Change], &[SpanRow]); 4] = [
        (
            "set merges continuous neighbours on both sides",
            &[
                Set(0x1000, 0x2000, Some(1), 0x10_000),
                Set(0x3000, 0x4000, Some(1), 0x12_000),
                Set(0x2000, 0x3000, Some(1), 0x11_000),
            ],
            &[(0x1000, 0x4000, 0x10_000)],
        ),
        (
            "clear splits a range and advances the tail offset",
            &[
                Set(0x1000, 0x5000, Some(1), 0x10_000),
                Clear(0x2000, 0x3000),
            ],
            &[(0x1000, 0x2000, 0x10_000), (0x3000, 0x5000, 0x12_000)],
        ),
        (
            "clear removes covered ranges and trims both ends",
            &[
                Set(0x1000, 0x3000, Some(1), 0),
                Set(0x4000, 0x5000, Some(2), 0),
                Set(0x6000, 0x8000, Some(3), 0),
                Clear(0x2000, 0x7000),
            ],
            &[(0x1000, 0x2000, 0), (0x7000, 0x8000, 0x1000)],
        ),
        (
            "clearing an unmapped range changes nothing",
            &[
                Set(0x1000, 0x2000, Some(1), 0),
                Clear(0x5000, 0x9000),
                Clear(0x9000, 0x5000),
            ],
            &[(0x1000, 0x2000, 0)],
        ),
    ];
    for (name, changes, expected) in table {
        let mut map = RangeMap::new();
        for change in changes {
            match *change {
                Set(start, end, object, offset) => map.set(start, end, placement(object, offset)),
                Clear(start, end) => map.clear(start, end),
            }
        }
        assert_eq!(spans(&map), expected, "{name}");
    }
}

#[test]
fn set_keeps_discontinuous_neighbours_apart() {
    let table = [
        placement(Some(1), 0x99_000), // offset jump
        placement(Some(2), 0x11_000), // other object
        placement(None, 0),           // null next to an object
    ];
    for middle in table {
        let mut map = RangeMap::new();
        map.set(0x1000, 0x2000, placement(Some(1), 0x10_000));
        map.set(0x2000, 0x3000, middle);
        assert_eq!(map.len(), 2, "{middle:?}");
    }
}

#[test]
fn overlaps_and_containing_see_only_real_overlap() {
    let mut map: RangeMap<()> = RangeMap::new();
    map.set(0x2000, 0x4000, ());
    let table = [
        (0x1000, 0x2000, false),
        (0x1000, 0x3000, true),
        (0x3000, 0x9000, true),
        (0x4000, 0x5000, false),
        (0x5000, 0x1000, false),
    ];
    for (start, end, overlaps) in table {
        assert_eq!(map.overlaps(start, end), overlaps, "{start:#x}-{end:#x}");
    }
    assert!(map.containing(0x3fff).is_some());
    assert!(map.containing(0x4000).is_none());
    assert!(map.containing(0x1fff).is_none());
}

#[test]
fn find_room_searches_gaps_with_alignment() {
    let mut map: RangeMap<()> = RangeMap::new();
    map.set(0x1000, 0x3000, ());
    map.set(0x5000, 0x10_000, ());
    let table = [
        // (low, high, size, align, room)
        (0, 0x10_000, PAGE, PAGE, true),              // [0, 0x1000)
        (0x1000, 0x10_000, 0x2000, PAGE, true),       // [0x3000, 0x5000)
        (0x1000, 0x10_000, 0x3000, PAGE, false),      // no gap of 3 pages
        (0x1000, 0x10_000, 0x2000, 0x4000, false),    // 0x4000 leaves one page
        (0x1000, 0x20_000, 0x10_000, 0x10_000, true), // [0x10000, 0x20000)
        (0x1000, 0x1f_000, 0x10_000, 0x10_000, false),
    ];
    for (low, high, size, align, room) in table {
        assert_eq!(
            map.find_room(low, high, size, align).is_some(),
            room,
            "{low:#x} {high:#x} {size:#x} {align:#x}"
        );
    }
}

#[test]
fn find_room_does_not_overflow_at_the_top_of_the_address_space() {
    let map: RangeMap<()> = RangeMap::new();
    assert!(map
        .find_room(u64::MAX - 0xfff, u64::MAX, PAGE, PAGE)
        .is_none());
    assert!(map.find_room(1, u64::MAX, 1 << 62, 1 << 63).is_some());
    assert!(map.find_room(1, u64::MAX, u64::MAX, 1 << 63).is_none());
    assert!(map.find_room(0, u64::MAX, 1 << 62, 1 << 63).is_some());
    assert_eq!(round_up(u64::MAX, PAGE), None);
}

#[test]
fn find_room_returns_the_lowest_aligned_start() {
    let mut map: RangeMap<()> = RangeMap::new();
    map.set(0, 0x3000, ());
    assert_eq!(map.find_room(0, 0x100_000, PAGE, PAGE), Some(0x3000));
    assert_eq!(map.find_room(0, 0x100_000, PAGE, 0x10_000), Some(0x10_000));
}

#[test]
fn a_whole_user_map_costs_ranges_not_pages() {
    // 2^35 pages: any per-page loop would not finish.
    let mut map = RangeMap::new();
    map.set(0, USER_END, placement(Some(1), 0));
    map.clear(0x4000_0000_0000, 0x4000_0000_1000);
    assert_eq!(map.len(), 2);
    assert!(map.find_room(0, USER_END, PAGE, PAGE).is_some());
    assert!(map.find_room(0, USER_END, 2 * PAGE, PAGE).is_none());
    map.set(
        0x4000_0000_0000,
        0x4000_0000_1000,
        placement(Some(1), 0x4000_0000_0000),
    );
    assert_eq!(spans(&map), [(0, USER_END, 0)]);
    map.clear(0, USER_END);
    assert_eq!(map.len(), 0);
    assert!(map.find_room(0, USER_END, USER_END, USER_END).is_some());
}

/// A tiny deterministic generator (xorshift64*), so that the random test
/// below needs no dependency and replays the same cases every run.
struct Random(u64);

impl Random {
    fn below(&mut self, bound: u64) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) % bound
    }
}

/// The set as pages: what each of the first `PAGES` pages carries (its
/// object and its own offset), the reference the ranges are checked
/// against.
const PAGES: usize = 24;

fn pages_of(map: &RangeMap<Placement>) -> [Option<Placement>; PAGES] {
    let mut pages = [None; PAGES];
    for span in map.iter() {
        for page in span.start / PAGE..span.end / PAGE {
            pages[page as usize] = Some(span.value.advanced((page * PAGE) - span.start));
        }
    }
    pages
}

/// Random sets and clears agree page by page with a plain page array, and
/// leave the ranges sorted, disjoint, non-empty and coalesced.
#[test]
fn random_changes_agree_with_a_page_array() {
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    for _ in 0..200 {
        let mut map = RangeMap::new();
        let mut reference: [Option<Placement>; PAGES] = [None; PAGES];
        for _ in 0..40 {
            let first = random.below(PAGES as u64);
            let past = first + 1 + random.below(PAGES as u64 - first);
            if random.below(3) == 0 {
                map.clear(first * PAGE, past * PAGE);
                reference[first as usize..past as usize].fill(None);
            } else {
                let object = [None, Some(1), Some(2)][random.below(3) as usize];
                let value = placement(object, random.below(4) * PAGE);
                map.set(first * PAGE, past * PAGE, value);
                for page in first..past {
                    reference[page as usize] = Some(value.advanced((page - first) * PAGE));
                }
            }
            assert_eq!(pages_of(&map), reference);
            let all: Vec<Span<Placement>> = map.iter().collect();
            for pair in all.windows(2) {
                let (a, b) = (pair[0], pair[1]);
                assert!(a.start < a.end && a.end <= b.start, "{all:?}");
                let continuous = a.end == b.start && a.value.advanced(a.end - a.start) == b.value;
                assert!(!continuous, "not coalesced: {all:?}");
            }
            for page in 0..PAGES as u64 {
                let mapped = reference[page as usize].is_some();
                assert_eq!(map.containing(page * PAGE + 1).is_some(), mapped);
                assert_eq!(map.overlaps(page * PAGE, (page + 1) * PAGE), mapped);
                let from = map.iter_from(page * PAGE + 1).next();
                let expected = all.iter().find(|span| span.end > page * PAGE + 1).copied();
                assert_eq!(from, expected);
            }
        }
    }
}
