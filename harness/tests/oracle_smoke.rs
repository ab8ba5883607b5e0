//! Smoke tests of the oracles: each one fires on a constructed difference
//! (naming what differs) and stays quiet on equal input. Also: a runner over
//! two copies of the port never reports a divergence, and every entry of the
//! known-divergence registry has its regression files (bug for bug and
//! fixed).
//!
//! No C is involved: the sides are `RustSide`s or a fake side built around a
//! bare `sim::Machine`, so these tests run anywhere the workspace builds.

use std::path::Path;

use harness::corpus::{self, Expectation};
use harness::invariants::{self, Invariant};
use harness::known;
use harness::map_reads::{self, MapReads, Reread, Versions};
use harness::mismatch::{Mismatch, SideName};
use harness::observe::Outcome;
use harness::oracle;
use harness::program::{MapRef, PortMode, Program, ResolvedOp};
use harness::runner::{Runner, Verdict};
use harness::side::{self, rust::RustSide, Side};
use sim::{Event, FaultPlan, Machine, MachineConfig, PhysAddr, KERNEL_START, PAGE_SIZE};
use vm_rs::env::{Environment, ObjectId};
use vm_rs::{
    EntryState, KentryLink, KentrySlot, KentryState, MapRewrite, MapState, ReadDifference,
};

// ---------------------------------------------------------------- outcomes

#[test]
fn compare_outcomes_is_quiet_on_equal_outcomes() {
    let equal = [
        Outcome::Ok(None),
        Outcome::Ok(Some(0x1000)),
        Outcome::Error(1),
        Outcome::Precondition("start < end".to_string()),
        Outcome::Fatal("vm_map: out of memory".to_string()),
        Outcome::Undefined("wrap".to_string()),
        Outcome::Dead,
    ];
    for outcome in &equal {
        assert_eq!(oracle::compare_outcomes(outcome, &outcome.clone()), None);
    }
}

#[test]
fn compare_outcomes_fires_on_each_kind_of_difference() {
    let cases = [
        (Outcome::Ok(None), Outcome::Ok(Some(0))),
        (Outcome::Ok(Some(0x1000)), Outcome::Ok(Some(0x2000))),
        (Outcome::Error(1), Outcome::Error(3)),
        (Outcome::Ok(None), Outcome::Error(1)),
        (
            Outcome::Precondition("a".to_string()),
            Outcome::Precondition("b".to_string()),
        ),
        (
            Outcome::Precondition("a".to_string()),
            Outcome::Fatal("a".to_string()),
        ),
        (Outcome::Fatal("x".to_string()), Outcome::Dead),
        (Outcome::Undefined("x".to_string()), Outcome::Error(3)),
    ];
    for (c, rust) in cases {
        let mismatch = oracle::compare_outcomes(&c, &rust);
        let expected = Mismatch::Outcome {
            c: c.clone(),
            rust: rust.clone(),
        };
        assert_eq!(mismatch, Some(expected), "{c} vs {rust}");
        // The oracle is symmetric in what it notices.
        assert!(oracle::compare_outcomes(&rust, &c).is_some());
    }
}

// ------------------------------------------------------------------ traces

fn events() -> Vec<Event> {
    vec![
        Event::PmapKlimit { result: 0x4000 },
        Event::PhysAlloc {
            order: 0,
            result: Some(PhysAddr(0x5000)),
        },
        Event::PmapKenter {
            va: KERNEL_START,
            pa: PhysAddr(0x5000),
            prot: 3,
        },
        Event::Console {
            text: "map info".to_string(),
        },
    ]
}

#[test]
fn compare_traces_is_quiet_on_equal_traces() {
    assert_eq!(oracle::compare_traces(&[], &[]), None);
    assert_eq!(oracle::compare_traces(&events(), &events()), None);
}

#[test]
fn compare_traces_names_the_first_differing_event() {
    for index in 0..events().len() {
        let mut rust = events();
        rust[index] = Event::PhysFree {
            pa: PhysAddr(0x9000),
            order: 0,
        };
        // A later difference must not hide the first one.
        if index + 1 < rust.len() {
            rust[index + 1] = Event::PmapKlimit { result: 1 };
        }
        let expected = Mismatch::Trace {
            index,
            c: Some(events()[index].clone()),
            rust: Some(rust[index].clone()),
        };
        assert_eq!(oracle::compare_traces(&events(), &rust), Some(expected));
    }
}

#[test]
fn compare_traces_fires_on_a_length_difference() {
    let all = events();
    for length in 0..all.len() {
        let short = &all[..length];
        let c_longer = Mismatch::Trace {
            index: length,
            c: Some(all[length].clone()),
            rust: None,
        };
        assert_eq!(oracle::compare_traces(&all, short), Some(c_longer));
        let rust_longer = Mismatch::Trace {
            index: length,
            c: None,
            rust: Some(all[length].clone()),
        };
        assert_eq!(oracle::compare_traces(short, &all), Some(rust_longer));
    }
}

// -------------------------------------------------------------------- maps

const MAP_START: u64 = 0x1000_0000;
const MAP_END: u64 = 0x2000_0000;

fn entry(start: u64, end: u64) -> EntryState {
    EntryState {
        start,
        end,
        object: None,
        offset: 0,
        flags: 0x37,
    }
}

/// A map that keeps every invariant: two entries with a gap between them.
fn valid_map() -> MapState {
    let entries = vec![
        entry(MAP_START, MAP_START + 2 * PAGE_SIZE),
        entry(MAP_START + 4 * PAGE_SIZE, MAP_START + 5 * PAGE_SIZE),
    ];
    MapState {
        start: MAP_START,
        end: MAP_END,
        size: 3 * PAGE_SIZE,
        nr_entries: 2,
        find_cache: MAP_START,
        find_cache_threshold: 0x10,
        list: entries.clone(),
        entries,
    }
}

type MapChange = fn(&mut MapState);

/// Each field `compare_maps` compares, and a change of that field alone.
const FIELD_CHANGES: &[(&str, MapChange)] = &[
    ("entries", |map| map.entries[1].object = Some(ObjectId(0))),
    ("list", |map| map.list[0].flags ^= 1),
    ("size", |map| map.size += PAGE_SIZE),
    ("nr_entries", |map| map.nr_entries += 1),
    ("find_cache", |map| map.find_cache = 0),
    ("find_cache_threshold", |map| map.find_cache_threshold += 1),
    ("start", |map| map.start -= PAGE_SIZE),
    ("end", |map| map.end += PAGE_SIZE),
];

#[test]
fn compare_maps_is_quiet_on_equal_maps() {
    assert_eq!(
        oracle::compare_maps(MapRef(0), &valid_map(), &valid_map()),
        None
    );
    let empty = MapState::default();
    assert_eq!(oracle::compare_maps(MapRef(3), &empty, &empty), None);
}

#[test]
fn compare_maps_names_each_differing_field() {
    for (field, change) in FIELD_CHANGES {
        let mut rust = valid_map();
        change(&mut rust);
        let mismatch = oracle::compare_maps(MapRef(2), &valid_map(), &rust);
        let Some(Mismatch::Map {
            map,
            field: named,
            c,
            rust: shown,
        }) = mismatch
        else {
            panic!("changing {field} went unnoticed: {mismatch:?}");
        };
        assert_eq!((map, named.name()), (MapRef(2), *field));
        assert_eq!((*c, *shown), (valid_map(), rust));
    }
}

#[test]
fn compare_maps_names_the_first_field_in_oracle_order() {
    // Every field differs; the report names the first in the oracle's order.
    let mut rust = valid_map();
    for (_, change) in FIELD_CHANGES {
        change(&mut rust);
    }
    let mismatch = oracle::compare_maps(MapRef(0), &valid_map(), &rust);
    assert_eq!(
        mismatch.map(|m| m.signature().to_string()),
        Some("map:entries".into())
    );
}

// ------------------------------------------------------------- page tables

/// A kernel address inside the boot space, whose page tables exist at boot.
const BOOT_VA: u64 = KERNEL_START + 0x10 * PAGE_SIZE;

/// A machine that has allocated one page and, if `enter`, mapped it.
fn machine_with_page(enter: bool) -> (Machine, PhysAddr) {
    let mut machine = Machine::new(MachineConfig::normal());
    let pa = machine
        .phys_alloc(0)
        .expect("a fresh machine has free pages");
    if enter {
        machine.pmap_kenter(BOOT_VA, pa, 3);
    }
    (machine, pa)
}

#[test]
fn compare_page_tables_is_quiet_on_equal_machines() {
    let (c, _) = machine_with_page(true);
    let (rust, _) = machine_with_page(true);
    assert_eq!(oracle::compare_page_tables(&c, &rust), None);
    let fresh = Machine::new(MachineConfig::normal());
    assert_eq!(oracle::compare_page_tables(&fresh, &fresh), None);
}

#[test]
fn compare_page_tables_finds_one_kenter_more() {
    let (c, pa) = machine_with_page(true);
    let (rust, _) = machine_with_page(false);
    let Some(Mismatch::PageTable {
        pmap,
        c_only,
        rust_only,
    }) = oracle::compare_page_tables(&c, &rust)
    else {
        panic!("one mapping more went unnoticed");
    };
    assert_eq!(pmap, sim::PmapId::KERNEL);
    assert!(rust_only.is_empty(), "{rust_only:?}");
    assert_eq!(c_only.len(), 1, "{c_only:?}");
    let leaf = c_only[0];
    assert_eq!((leaf.level, leaf.va), (1, BOOT_VA));
    assert_eq!(leaf.raw & 0x000f_ffff_ffff_f000, pa.0);
    // And the other way round.
    let swapped = oracle::compare_page_tables(&rust, &c);
    assert!(
        matches!(swapped, Some(Mismatch::PageTable { c_only, rust_only, .. })
        if c_only.is_empty() && rust_only == [leaf])
    );
}

#[test]
fn compare_page_tables_finds_the_same_address_mapped_differently() {
    let (c, _) = machine_with_page(true);
    let mut rust = Machine::new(MachineConfig::normal());
    let _first = rust.phys_alloc(0);
    let other = rust.phys_alloc(0).expect("a second page");
    rust.pmap_kenter(BOOT_VA, other, 3);
    let mismatch = oracle::compare_page_tables(&c, &rust);
    assert!(
        matches!(&mismatch, Some(Mismatch::PageTable { c_only, rust_only, .. })
            if c_only.len() == 1 && rust_only.len() == 1 && c_only[0].va == rust_only[0].va),
        "{mismatch:?}"
    );
}

#[test]
fn compare_page_tables_finds_an_extra_pmap() {
    let c = Machine::new(MachineConfig::normal());
    let mut rust = Machine::new(MachineConfig::normal());
    let created = rust
        .pmap_create()
        .expect("a fresh machine can create a pmap");
    let mismatch = oracle::compare_page_tables(&c, &rust);
    assert!(
        matches!(&mismatch, Some(Mismatch::PmapList { c: c_pmaps, rust: rust_pmaps })
            if c_pmaps.len() + 1 == rust_pmaps.len() && rust_pmaps.contains(&created)),
        "{mismatch:?}"
    );
}

// -------------------------------------------------------------- invariants

/// A side around a bare machine, with a kentry table and maps (the kernel
/// map first) the test chooses.
struct FakeSide {
    machine: Machine,
    kentry: KentryState,
    maps: Vec<MapState>,
    /// Whether its reads say when a list is the entries, as both real
    /// sides' do (`Side::rewrite_map`).
    sees_lists: bool,
}

impl FakeSide {
    fn new() -> FakeSide {
        FakeSide {
            machine: Machine::new(MachineConfig::normal()),
            kentry: KentryState::default(),
            maps: Vec::new(),
            sees_lists: false,
        }
    }

    /// A side whose reads say when a list is the entries.
    fn seeing_lists() -> FakeSide {
        FakeSide {
            sees_lists: true,
            ..FakeSide::new()
        }
    }
}

impl Side for FakeSide {
    fn setup(&mut self, _config: &MachineConfig, _plan: FaultPlan) -> Outcome {
        Outcome::Ok(None)
    }
    fn apply(&mut self, _op: &ResolvedOp) -> Outcome {
        Outcome::Ok(None)
    }
    fn machine(&self) -> &Machine {
        &self.machine
    }
    fn map_count(&self) -> u32 {
        self.maps.len() as u32
    }
    fn fill_map(&self, map: MapRef, out: &mut MapState) -> bool {
        out.clear();
        let Some(state) = self.maps.get(map.0 as usize) else {
            return false;
        };
        out.clone_from(state);
        true
    }
    fn rewrite_map(&self, map: MapRef, rewrite: MapRewrite<'_>) -> ReadDifference {
        side::rewrite_with_whole_read(self, map, rewrite, self.sees_lists)
    }
    fn kentry(&self) -> KentryState {
        self.kentry.clone()
    }
}

/// Each map invariant, and a change that breaks it and no other.
const INVARIANT_BREAKS: &[(&str, &str, MapChange)] = &[
    ("unsorted", "entries-disjoint", |map| {
        map.entries.swap(0, 1);
        map.list.swap(0, 1);
    }),
    ("overlapping", "entries-disjoint", |map| {
        map.entries[1].start = MAP_START + PAGE_SIZE;
        map.list[1].start = MAP_START + PAGE_SIZE;
        map.size = 6 * PAGE_SIZE;
    }),
    ("unaligned end", "entry-page-aligned", |map| {
        let end = MAP_START + 4 * PAGE_SIZE + 0x800;
        map.entries[1].end = end;
        map.list[1].end = end;
        map.size = 2 * PAGE_SIZE + 0x800;
    }),
    ("outside the map", "entry-inside-map", |map| {
        let outside = entry(MAP_END, MAP_END + PAGE_SIZE);
        map.entries[1] = outside;
        map.list[1] = outside;
    }),
    ("empty entry", "entry-nonempty", |map| {
        map.entries[1].end = map.entries[1].start;
        map.list[1].end = map.list[1].start;
        map.size = 2 * PAGE_SIZE;
    }),
    ("size", "size", |map| map.size += PAGE_SIZE),
    ("nr_entries", "nr-entries", |map| map.nr_entries = 1),
    ("list order", "list-order", |map| map.list.swap(0, 1)),
];

fn invariant_mismatch(
    c_maps: &[MapState],
    rust_maps: &[MapState],
    deep: bool,
) -> Option<(SideName, &'static str)> {
    let (c, rust) = (FakeSide::new(), FakeSide::new());
    let mismatch = oracle::check_invariants(&c, c_maps, &rust, rust_maps, deep);
    mismatch.map(|mismatch| match mismatch {
        Mismatch::Invariant { side, name, .. } => (side, name.name()),
        other => panic!("check_invariants returned {other:?}"),
    })
}

/// Asserts that `mismatch` names `side`'s invariant `invariant`.
fn assert_invariant(mismatch: Option<Mismatch>, side: SideName, invariant: Invariant) {
    assert!(
        matches!(&mismatch, Some(Mismatch::Invariant { side: found, name, .. })
            if *found == side && *name == invariant),
        "{mismatch:?}"
    );
}

#[test]
fn check_invariants_is_quiet_on_valid_maps() {
    let maps = [MapState::default(), valid_map()];
    assert_eq!(invariant_mismatch(&maps, &maps, false), None);
    assert_eq!(invariant_mismatch(&maps, &maps, true), None);
}

#[test]
fn check_invariants_names_each_broken_map_invariant_and_side() {
    for (what, invariant, change) in INVARIANT_BREAKS {
        let mut broken = valid_map();
        change(&mut broken);
        let valid = [MapState::default(), valid_map()];
        let with_broken = [MapState::default(), broken];
        assert_eq!(
            invariant_mismatch(&with_broken, &valid, false),
            Some((SideName::C, *invariant)),
            "{what} on the C side"
        );
        assert_eq!(
            invariant_mismatch(&valid, &with_broken, false),
            Some((SideName::Rust, *invariant)),
            "{what} on the Rust side"
        );
    }
}

/// [`valid_map`] with three more entries after its own, so that its
/// second entry is in the middle.
fn longer_valid_map() -> MapState {
    let mut map = valid_map();
    for page in [8, 10, 12] {
        let start = MAP_START + page * PAGE_SIZE;
        map.entries.push(entry(start, start + PAGE_SIZE));
    }
    map.list.clone_from(&map.entries);
    map.size += 3 * PAGE_SIZE;
    map.nr_entries += 3;
    map
}

/// The runner checks a map's invariants again only where its contents
/// changed since they last held (`MapReads`): after every break, on a map
/// that held before, that finds what the whole check finds, and a map put
/// back as it was holds again.
#[test]
fn invariants_checked_where_a_map_changed_find_every_break() {
    for valid in [valid_map(), longer_valid_map()] {
        invariants_checked_where_changed_find_every_break_of(valid, FakeSide::new());
    }
}

/// The same, with reads that say when a list is the entries (the list is
/// then not compared with them).
#[test]
fn invariants_checked_where_a_map_changed_find_every_break_with_lists_seen() {
    for valid in [valid_map(), longer_valid_map()] {
        invariants_checked_where_changed_find_every_break_of(valid, FakeSide::seeing_lists());
    }
}

fn invariants_checked_where_changed_find_every_break_of(valid: MapState, mut side: FakeSide) {
    let mut reads = MapReads::default();
    let mut versions = Versions::default();
    side.maps = vec![MapState::default(), valid.clone()];
    reads.refresh(&side, Reread::EVERY_MAP_AFRESH, &mut versions);
    assert_eq!(reads.check_invariants(&side, false), None);
    for (what, invariant, change) in INVARIANT_BREAKS {
        change(&mut side.maps[1]);
        reads.refresh(&side, Reread::map_and_kernel(MapRef(1)), &mut versions);
        let expected = invariants::check(&side, reads.maps());
        let found = reads.check_invariants(&side, false);
        assert_eq!(found, expected, "{what}");
        assert_eq!(
            found.map(|(name, _)| name.name()),
            Some(*invariant),
            "{what}"
        );
        // Unchanged, it is still broken: nothing recorded it as held.
        reads.refresh(&side, Reread::map_and_kernel(MapRef(1)), &mut versions);
        assert_eq!(
            reads.check_invariants(&side, false),
            expected,
            "{what}, again"
        );
        side.maps[1] = valid.clone();
        reads.refresh(&side, Reread::map_and_kernel(MapRef(1)), &mut versions);
        assert_eq!(reads.check_invariants(&side, false), None, "{what}, undone");
    }
}

/// A map the caller vouches for (`MapReads::check_invariants_except`: the
/// runner does so for the port's maps found equal to the C's, whose
/// invariants held) is taken as keeping the invariants, at the version
/// vouched for only: every other map, and the same map at its next
/// version, is checked.
#[test]
fn invariants_vouched_for_are_taken_at_that_version_only() {
    let mut side = FakeSide::new();
    let (mut reads, mut versions) = (MapReads::default(), Versions::default());
    side.maps = vec![MapState::default(), valid_map()];
    reads.refresh(&side, Reread::EVERY_MAP_AFRESH, &mut versions);
    let (what, invariant, change) = &INVARIANT_BREAKS[0];
    change(&mut side.maps[1]);
    reads.refresh(&side, Reread::map_and_kernel(MapRef(1)), &mut versions);
    let vouched = reads.version(1);
    let vouched_for = |index: usize, version| index == 1 && version == vouched;
    assert_eq!(
        reads.check_invariants_except(&side, false, vouched_for),
        None,
        "{what}, vouched for"
    );
    let elsewhere = |index: usize, _| index == 0;
    let found = reads.check_invariants_except(&side, false, elsewhere);
    assert_eq!(found, None, "{what}: held at the vouched version");
    side.maps[1].entries[0].flags ^= 1;
    side.maps[1].list[0].flags ^= 1;
    reads.refresh(&side, Reread::map_and_kernel(MapRef(1)), &mut versions);
    let found = reads.check_invariants_except(&side, false, vouched_for);
    assert_eq!(
        found.map(|(name, _)| name.name()),
        Some(*invariant),
        "{what}, at the next version"
    );
}

/// Between fuzzer inputs the fuzz entry releases the runner's map reads
/// (`MapReads::release`). What a release keeps must not depend on what
/// was read before it: otherwise the next input grows vectors, or not,
/// depending on the input before it, and AFL++ sees unstable paths. After
/// a program of many long maps changed twice, after a small one, and
/// after nothing, the same buffers are kept.
#[test]
fn released_map_reads_keep_the_same_buffers_whatever_they_read() {
    let kept_after = |mut maps: Vec<MapState>| {
        let mut side = FakeSide::new();
        let (mut reads, mut versions) = (MapReads::default(), Versions::default());
        for _ in 0..2 {
            side.maps.clone_from(&maps);
            reads.refresh(&side, Reread::EVERY_MAP_AFRESH, &mut versions);
            maps.iter_mut().for_each(|map| map.entries.truncate(1));
        }
        reads.release();
        assert!(reads.maps().is_empty());
        reads.kept_capacities()
    };
    let long_map = {
        let mut map = valid_map();
        map.entries = (0..600)
            .map(|page| {
                entry(
                    MAP_START + page * PAGE_SIZE,
                    MAP_START + (page + 1) * PAGE_SIZE,
                )
            })
            .collect();
        map.list.clone_from(&map.entries);
        map
    };
    let after_many = kept_after(vec![long_map; 40]);
    assert!(after_many.iter().all(|&capacity| capacity > 0));
    assert_eq!(
        after_many,
        kept_after(vec![MapState::default(), valid_map()])
    );
    let mut untouched = MapReads::default();
    untouched.release();
    assert_eq!(after_many, untouched.kept_capacities());
}

/// The runner compares two sides' maps that agreed before only where
/// either changed since (`map_reads::same_since_agreed`): after any one
/// field changes on one side, that finds the difference the whole
/// comparison finds, and after the same change on the other side too, it
/// finds them equal again. Also after an entry inserted in the middle.
#[test]
fn maps_compared_where_they_changed_find_every_difference() {
    let insert_in_the_middle: (&str, MapChange) = ("inserted entry", |map| {
        let start = MAP_START + 6 * PAGE_SIZE;
        map.entries.insert(2, entry(start, start + PAGE_SIZE));
        map.list.clone_from(&map.entries);
    });
    let changes = FIELD_CHANGES.iter().chain([&insert_in_the_middle]);
    for (what, change) in changes {
        for valid in [valid_map(), longer_valid_map()] {
            for make_side in [FakeSide::new, FakeSide::seeing_lists] {
                maps_compared_where_changed_find(what, *change, &valid, make_side);
            }
        }
    }
}

fn maps_compared_where_changed_find(
    what: &str,
    change: MapChange,
    valid: &MapState,
    make_side: fn() -> FakeSide,
) {
    let (mut c, mut rust) = (make_side(), make_side());
    let (mut c_reads, mut rust_reads) = (MapReads::default(), MapReads::default());
    let mut versions = Versions::default();
    c.maps = vec![MapState::default(), valid.clone()];
    rust.maps = c.maps.clone();
    c_reads.refresh(&c, Reread::EVERY_MAP_AFRESH, &mut versions);
    rust_reads.refresh(&rust, Reread::EVERY_MAP_AFRESH, &mut versions);
    let agreed = (c_reads.version(1), rust_reads.version(1));
    change(&mut rust.maps[1]);
    refresh_map_1((&c, &rust), (&mut c_reads, &mut rust_reads), &mut versions);
    let whole = oracle::compare_maps(MapRef(1), &c_reads.maps()[1], &rust_reads.maps()[1]);
    assert!(whole.is_some(), "{what}");
    let reads = (&c_reads, &rust_reads);
    assert_eq!(
        map_reads::same_since_agreed(reads, 1, agreed),
        Some(false),
        "{what}"
    );
    change(&mut c.maps[1]);
    refresh_map_1((&c, &rust), (&mut c_reads, &mut rust_reads), &mut versions);
    let whole = oracle::compare_maps(MapRef(1), &c_reads.maps()[1], &rust_reads.maps()[1]);
    assert_eq!(whole, None, "{what}, on both");
    let reads = (&c_reads, &rust_reads);
    assert_eq!(
        map_reads::same_since_agreed(reads, 1, agreed),
        Some(true),
        "{what}, on both"
    );
}

/// Both sides' reads of map 1 (and the kernel map) again.
fn refresh_map_1(
    (c, rust): (&FakeSide, &FakeSide),
    (c_reads, rust_reads): (&mut MapReads, &mut MapReads),
    versions: &mut Versions,
) {
    c_reads.refresh(c, Reread::map_and_kernel(MapRef(1)), versions);
    rust_reads.refresh(rust, Reread::map_and_kernel(MapRef(1)), versions);
}

#[test]
fn check_invariants_reports_misuse_of_the_machine() {
    let c = FakeSide::new();
    let mut rust = FakeSide::new();
    // Freeing a frame twice is a misuse the machine records.
    let pa = rust.machine.phys_alloc(0).expect("a free page");
    rust.machine.phys_free(pa, 0);
    rust.machine.phys_free(pa, 0);
    let mismatch = oracle::check_invariants(&c, &[], &rust, &[], false);
    assert_invariant(mismatch, SideName::Rust, Invariant::MachineUse);
}

#[test]
fn deep_invariants_find_a_leaf_on_a_free_frame() {
    let c = FakeSide::new();
    let mut rust = FakeSide::new();
    let pa = rust.machine.phys_alloc(0).expect("a free page");
    rust.machine.pmap_kenter(BOOT_VA, pa, 3);
    assert_eq!(oracle::check_invariants(&c, &[], &rust, &[], true), None);
    rust.machine.phys_free(pa, 0);
    // Only the deep check walks the page tables.
    assert_eq!(oracle::check_invariants(&c, &[], &rust, &[], false), None);
    let mismatch = oracle::check_invariants(&c, &[], &rust, &[], true);
    assert_invariant(mismatch, SideName::Rust, Invariant::LeafFrameAllocated);
}

#[test]
fn deep_invariants_find_a_kentry_descriptor_without_its_slab() {
    let mut c = FakeSide::new();
    c.kentry.rewrite(KentryLink::End, &[KentrySlot::Allocated]);
    let rust = FakeSide::new();
    assert_eq!(oracle::check_invariants(&c, &[], &rust, &[], false), None);
    let mismatch = oracle::check_invariants(&c, &[], &rust, &[], true);
    assert_invariant(mismatch, SideName::C, Invariant::KentryDescriptors);
}

// ------------------------------------------------------------------ runner

/// The port against itself. The reference stands in for the C, so it
/// reproduces the C bug for bug whatever a program's mode; the side under
/// test follows each program's mode (in fixed mode it is the fixed port).
fn rust_runner() -> Runner<RustSide, RustSide> {
    let config = MachineConfig::normal();
    let reference = RustSide::with_bugs(&config, vm_rs::CBugs::BUG_FOR_BUG);
    Runner::new(reference, RustSide::new(&config))
}

fn describe(verdict: &Verdict) -> String {
    match verdict {
        Verdict::Divergence(divergence) => divergence.to_string(),
        other => format!("{other:?}"),
    }
}

/// The port reproduces the C's registered bugs, which the invariant oracle
/// sees on both sides alike; against itself it must never diverge, and every
/// program ends equivalent or at a known divergence.
#[test]
fn the_port_against_itself_never_diverges_on_pseudo_random_programs() {
    const PROGRAMS: usize = 2000;
    // Fixed pseudo-random inputs: fastrand's generator with a fixed seed.
    let mut random = fastrand::Rng::with_seed(0x9e37_79b9_7f4a_7c15);
    let mut runner = rust_runner();
    for number in 0..PROGRAMS {
        let length = 8 + (random.u64(..) % 150) as usize;
        let bytes: Vec<u8> = (0..length).map(|_| random.u64(..) as u8).collect();
        let program = Program::decode(&bytes);
        let verdict = runner.run(&program);
        assert!(
            !matches!(verdict, Verdict::Divergence(_)),
            "program {number}:\n{program}\n{}",
            describe(&verdict)
        );
    }
    let stats = &runner.stats;
    assert_eq!((stats.programs, stats.divergences), (PROGRAMS as u64, 0));
    // Most programs run to the end, and they do real work, or the test
    // would mean little.
    assert!(stats.known_divergences < PROGRAMS as u64 / 10, "{stats:?}");
    assert!(stats.ops > 10 * PROGRAMS as u64, "{stats:?}");
    assert!(stats.successes > stats.ops / 4, "{stats:?}");
    assert!(stats.errors > 0 && stats.panics > 0, "{stats:?}");
}

#[test]
fn the_port_against_itself_meets_the_readable_corpus_expectations() {
    let root = corpus::default_root();
    let files = corpus::files_under(&root).expect("corpus/ is readable");
    let mut runner = rust_runner();
    let mut readable = 0;
    for path in files
        .iter()
        .filter(|path| path.extension().is_some_and(|e| e == "ops"))
    {
        let entry = corpus::load_file(path).unwrap_or_else(|error| panic!("{error}"));
        let verdict = runner.run(&entry.program);
        assert!(
            entry.expectation.is_met_by(&verdict),
            "{}: expected {}, got:\n{}",
            path.display(),
            entry.expectation,
            describe(&verdict)
        );
        readable += 1;
    }
    assert!(readable >= 10, "only {readable} readable programs");
}

// ---------------------------------------------------------------- registry

/// The saved program at `path`, which must say `# expect: <expected>`.
fn load_expecting(path: &Path, expected: Expectation) -> corpus::CorpusEntry {
    let entry = corpus::load_file(path).unwrap_or_else(|error| panic!("{error}"));
    assert_eq!(
        entry.expectation,
        expected,
        "{} must say `# expect: {expected}`",
        path.display()
    );
    entry
}

#[test]
fn every_known_divergence_has_its_regression_file() {
    let root = corpus::default_root().join("regressions");
    let mut ids: Vec<&str> = known::REGISTRY.iter().map(|known| known.id).collect();
    assert!(!ids.is_empty());
    for known in known::REGISTRY {
        assert!(!known.explanation.is_empty(), "{}", known.id);
        let path = root.join(format!("{}.ops", known.id));
        let entry = load_expecting(&path, Expectation::Known(known.id.to_string()));
        assert!(!entry.program.ops.is_empty(), "{}", path.display());
        assert_eq!(
            entry.program.mode,
            PortMode::BugForBug,
            "{}",
            path.display()
        );
        // Its fixed-mode twin: the C shows the bug, the port its fix.
        let path = root.join(format!("{}.fixed.ops", known.id));
        let entry = load_expecting(&path, Expectation::Fixed(known.id.to_string()));
        assert_eq!(entry.program.mode, PortMode::Fixed, "{}", path.display());
    }
    ids.sort_unstable();
    ids.dedup();
    assert_eq!(ids.len(), known::REGISTRY.len(), "duplicate ids");
}
