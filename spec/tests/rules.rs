//! One table per rule: each rule fires on a constructed violation and stays
//! quiet on correct behaviour. A case plays its set-up (which must be
//! accepted), then one check, and names the rule it expects to fire (or
//! none).

mod common;

use std::collections::BTreeSet;

use common::*;
use spec::x15::{ERROR_ACCES, ERROR_FAULT, ERROR_INVAL, ERROR_NOMEM, MAP_FIXED};
use spec::{
    Answer, Broken, Leaf, MapIndex, Mapping, Request, Rule, KERNEL_ALLOCATION_ATTRIBUTES as KA,
};

/// The last thing a case does.
enum Check {
    Step(Request, Answer),
    Map(MapIndex, Vec<Mapping>),
    PageTable(MapIndex, Vec<Leaf>),
}

struct Case {
    name: &'static str,
    setup: Vec<(Request, Answer)>,
    check: Check,
    fires: Option<Rule>,
}

fn case(
    name: &'static str,
    setup: Vec<(Request, Answer)>,
    check: Check,
    fires: Option<Rule>,
) -> Case {
    Case {
        name,
        setup,
        check,
        fires,
    }
}

fn step(request: Request, answer: Answer) -> Check {
    Check::Step(request, answer)
}

/// Plays a case and returns what its check reported.
fn play(case: &Case) -> Result<(), Broken> {
    let mut model = model();
    for (request, answer) in &case.setup {
        if let Err(broken) = model.step(request, answer) {
            panic!("{}: set-up {request:?} broke {broken}", case.name);
        }
    }
    match &case.check {
        Check::Step(request, answer) => model.step(request, answer),
        Check::Map(map, observed) => model.check_map(*map, observed),
        Check::PageTable(map, leaves) => model.check_page_table(*map, leaves),
    }
}

/// Plays every case of a table and checks the rule each names.
fn run(table: &[Case]) {
    for case in table {
        let result = play(case);
        let fired = result.as_ref().err().map(|broken| broken.rule);
        assert_eq!(fired, case.fires, "{}: {result:?}", case.name);
        if let Err(broken) = result {
            assert!(
                !broken.expected.contains('\n') && !broken.observed.contains('\n'),
                "{}",
                case.name
            );
            assert!(
                !broken.expected.is_empty() && !broken.observed.is_empty(),
                "{}",
                case.name
            );
        }
    }
}

const A: u64 = 0x10_0000;
const R: u8 = 1;
const RW: u8 = 3;

/// Object 1 mapped read-write at `[A, A + 2 pages)`.
fn mapped_rw() -> Vec<(Request, Answer)> {
    vec![(fixed(Some(1), 0x8000, A, 2 * PAGE, RW), entered(A))]
}

/// Object 1 mapped read-only at `[A, A + 1 page)`.
fn mapped_r() -> Vec<(Request, Answer)> {
    vec![(fixed(Some(1), 0, A, PAGE, R), entered(A))]
}

fn valid_request_accepted() -> Vec<Case> {
    vec![
        case(
            "refused create",
            vec![],
            step(Request::CreateMap, Answer::Refused),
            Some(Rule::ValidRequestAccepted),
        ),
        case(
            "refused enter",
            vec![],
            step(anywhere(0, PAGE, 0), Answer::Refused),
            Some(Rule::ValidRequestAccepted),
        ),
        case(
            "stopped enter",
            vec![],
            step(anywhere(0, PAGE, 0), Answer::Stopped),
            None,
        ),
        case(
            "accepted enter",
            vec![],
            step(anywhere(0, PAGE, 0), entered(0)),
            None,
        ),
    ]
}

fn invalid_request_refused() -> Vec<Case> {
    let empty = anywhere(0, 0, 0);
    vec![
        case(
            "served size 0",
            vec![],
            step(empty, entered(0)),
            Some(Rule::InvalidRequestRefused),
        ),
        case(
            "done on missing map",
            vec![],
            step(remove_in(MapIndex(9)), Answer::Done),
            Some(Rule::InvalidRequestRefused),
        ),
        case("refused size 0", vec![], step(empty, Answer::Refused), None),
        case(
            "error on size 0",
            vec![],
            step(empty, Answer::Error(ERROR_INVAL)),
            None,
        ),
        case(
            "stopped on size 0",
            vec![],
            step(empty, Answer::Stopped),
            None,
        ),
    ]
}

fn remove_in(map: MapIndex) -> Request {
    Request::Remove {
        map,
        start: 0,
        end: PAGE,
    }
}

fn create_map() -> Vec<Case> {
    vec![
        case(
            "create answered entered",
            vec![],
            step(Request::CreateMap, entered(0)),
            Some(Rule::CreateMap),
        ),
        case(
            "create answered INVAL",
            vec![],
            step(Request::CreateMap, Answer::Error(ERROR_INVAL)),
            Some(Rule::CreateMap),
        ),
        case(
            "create done",
            vec![],
            step(Request::CreateMap, Answer::Done),
            None,
        ),
        case(
            "create NOMEM",
            vec![],
            step(Request::CreateMap, Answer::Error(ERROR_NOMEM)),
            None,
        ),
        case(
            "new map empty",
            vec![(Request::CreateMap, Answer::Done)],
            Check::Map(MapIndex(2), vec![]),
            None,
        ),
        case(
            "new map bounds",
            vec![(Request::CreateMap, Answer::Done)],
            step(
                fixed_in(MapIndex(2), USER_END - PAGE),
                entered(USER_END - PAGE),
            ),
            None,
        ),
    ]
}

/// A fixed one-page enter of object 1 into `map` at `start`, read-write.
fn fixed_in(map: MapIndex, start: u64) -> Request {
    let flags = flags_of(attributes(Some(1), RW), MAP_FIXED);
    enter_in(map, Some(1), [0, start, PAGE, 0], flags)
}

fn enter_kernel_object() -> Vec<Case> {
    let managed = fixed_in(KERNEL, KENTRY_END);
    vec![
        case(
            "kernel object entered",
            vec![],
            step(managed, entered(KENTRY_END)),
            Some(Rule::EnterKernelObject),
        ),
        case(
            "kernel object NOMEM",
            vec![],
            step(managed, Answer::Error(ERROR_NOMEM)),
            Some(Rule::EnterKernelObject),
        ),
        case(
            "kernel object INVAL",
            vec![],
            step(managed, Answer::Error(ERROR_INVAL)),
            None,
        ),
    ]
}

fn enter_fixed() -> Vec<Case> {
    let request = fixed(Some(1), 0, A, PAGE, RW);
    let overlap = fixed(Some(2), 0, A + PAGE, 2 * PAGE, RW);
    let outside = fixed(Some(2), 0, USER_END - PAGE, 2 * PAGE, RW);
    vec![
        case(
            "room but NOMEM",
            vec![],
            step(request, Answer::Error(ERROR_NOMEM)),
            Some(Rule::EnterFixedRoom),
        ),
        case(
            "room but done",
            vec![],
            step(request, Answer::Done),
            Some(Rule::EnterFixedRoom),
        ),
        case("room entered", vec![], step(request, entered(A)), None),
        case(
            "entered elsewhere",
            vec![],
            step(request, entered(A + PAGE)),
            Some(Rule::EnterFixedAddress),
        ),
        case(
            "overlap entered",
            mapped_rw(),
            step(overlap, entered(A + PAGE)),
            Some(Rule::EnterFixedNoRoom),
        ),
        case(
            "overlap INVAL",
            mapped_rw(),
            step(overlap, Answer::Error(ERROR_INVAL)),
            Some(Rule::EnterFixedNoRoom),
        ),
        case(
            "outside entered",
            vec![],
            step(outside, entered(USER_END - PAGE)),
            Some(Rule::EnterFixedNoRoom),
        ),
        case(
            "overlap NOMEM",
            mapped_rw(),
            step(overlap, Answer::Error(ERROR_NOMEM)),
            None,
        ),
        case(
            "outside NOMEM",
            vec![],
            step(outside, Answer::Error(ERROR_NOMEM)),
            None,
        ),
        case(
            "fixed result in map",
            vec![(request, entered(A))],
            Check::Map(USER, vec![mapping(A, A + PAGE, 0, attributes(Some(1), RW))]),
            None,
        ),
    ]
}

fn enter_anywhere() -> Vec<Case> {
    let one = anywhere(0, PAGE, 0);
    let two = anywhere(0, 2 * PAGE, 0);
    let aligned = anywhere(0, PAGE, 0x10_000);
    let hint = anywhere(0x40_000, PAGE, 0);
    vec![
        case(
            "outside the map",
            vec![],
            step(one, entered(USER_END)),
            Some(Rule::EnterInMap),
        ),
        case(
            "past the map end",
            vec![],
            step(two, entered(USER_END - PAGE)),
            Some(Rule::EnterInMap),
        ),
        case(
            "at the top of u64",
            vec![],
            step(two, entered(u64::MAX - PAGE + 1)),
            Some(Rule::EnterInMap),
        ),
        case(
            "last page",
            vec![],
            step(one, entered(USER_END - PAGE)),
            None,
        ),
        case(
            "over a mapping",
            mapped_rw(),
            step(one, entered(A + PAGE)),
            Some(Rule::EnterUnmapped),
        ),
        case(
            "into a mapping",
            mapped_rw(),
            step(two, entered(A - PAGE)),
            Some(Rule::EnterUnmapped),
        ),
        case(
            "next to a mapping",
            mapped_rw(),
            step(two, entered(A + 2 * PAGE)),
            None,
        ),
        case(
            "misaligned",
            vec![],
            step(aligned, entered(0x11_000)),
            Some(Rule::EnterAligned),
        ),
        case(
            "unaligned to a page",
            vec![],
            step(one, entered(0x800)),
            Some(Rule::EnterAligned),
        ),
        case("aligned", vec![], step(aligned, entered(0x20_000)), None),
        case(
            "hint ignored",
            vec![],
            step(hint, entered(0)),
            Some(Rule::EnterHint),
        ),
        case("hint used", vec![], step(hint, entered(0x40_000)), None),
        case(
            "mapped hint moved",
            mapped_rw(),
            step(anywhere(A, PAGE, 0), entered(0)),
            None,
        ),
        case(
            "misaligned hint moved",
            vec![],
            step(anywhere(0x41_000, PAGE, 0x10_000), entered(0x50_000)),
            None,
        ),
        case(
            "hint outside moved",
            vec![],
            step(anywhere(USER_END, PAGE, 0), entered(0)),
            None,
        ),
        case(
            "NOMEM with room",
            vec![],
            step(one, Answer::Error(ERROR_NOMEM)),
            Some(Rule::EnterNomemWithRoom),
        ),
        case(
            "NOMEM with a one-page hole",
            almost_full(),
            step(one, Answer::Error(ERROR_NOMEM)),
            Some(Rule::EnterNomemWithRoom),
        ),
        case(
            "NOMEM, hole too small",
            almost_full(),
            step(two, Answer::Error(ERROR_NOMEM)),
            None,
        ),
        case(
            "NOMEM, hole misaligned",
            almost_full(),
            step(aligned, Answer::Error(ERROR_NOMEM)),
            None,
        ),
        case(
            "hole found",
            almost_full(),
            step(one, entered(0x5000)),
            None,
        ),
        case(
            "answered done",
            vec![],
            step(one, Answer::Done),
            Some(Rule::EnterAnswer),
        ),
        case(
            "answered INVAL",
            vec![],
            step(one, Answer::Error(ERROR_INVAL)),
            Some(Rule::EnterAnswer),
        ),
        case(
            "adopted address",
            vec![(one, entered(0x7000))],
            Check::Map(
                USER,
                vec![mapping(0x7000, 0x8000, 0, attributes(Some(1), RW))],
            ),
            None,
        ),
    ]
}

/// The user map full but for the page at 0x5000.
fn almost_full() -> Vec<(Request, Answer)> {
    vec![
        (fixed(Some(1), 0, 0, 0x5000, RW), entered(0)),
        (
            fixed(Some(1), 0, 0x6000, USER_END - 0x6000, RW),
            entered(0x6000),
        ),
    ]
}

fn remove_done() -> Vec<Case> {
    vec![
        case(
            "remove NOMEM",
            mapped_rw(),
            step(remove(A, A + PAGE), Answer::Error(ERROR_NOMEM)),
            Some(Rule::RemoveDone),
        ),
        case(
            "remove entered",
            vec![],
            step(remove(A, A + PAGE), entered(A)),
            Some(Rule::RemoveDone),
        ),
        case(
            "remove unmapped",
            vec![],
            step(remove(A, A + PAGE), Answer::Done),
            None,
        ),
        case(
            "remove splits",
            vec![mapped_rw()[0], (remove(A, A + PAGE), Answer::Done)],
            Check::Map(
                USER,
                vec![mapping(
                    A + PAGE,
                    A + 2 * PAGE,
                    0x9000,
                    attributes(Some(1), RW),
                )],
            ),
            None,
        ),
        case(
            "removed range still shown",
            vec![mapped_rw()[0], (remove(A, A + PAGE), Answer::Done)],
            Check::Map(
                USER,
                vec![mapping(A, A + 2 * PAGE, 0x8000, attributes(Some(1), RW))],
            ),
            Some(Rule::MapContents),
        ),
    ]
}

fn faults() -> Vec<Case> {
    let read = fault(A + 0x123, 1);
    let write = fault(A, 2);
    let none_mapped = vec![(fixed(Some(1), 0, A, PAGE, 0), entered(A))];
    vec![
        case(
            "unmapped done",
            vec![],
            step(read, Answer::Done),
            Some(Rule::FaultUnmapped),
        ),
        case(
            "unmapped ACCES",
            vec![],
            step(read, Answer::Error(ERROR_ACCES)),
            Some(Rule::FaultUnmapped),
        ),
        case(
            "unmapped FAULT",
            vec![],
            step(read, Answer::Error(ERROR_FAULT)),
            None,
        ),
        case(
            "past the user map",
            vec![],
            step(fault(u64::MAX, 1), Answer::Error(ERROR_FAULT)),
            None,
        ),
        case(
            "write on read-only done",
            mapped_r(),
            step(write, Answer::Done),
            Some(Rule::FaultDenied),
        ),
        case(
            "write on read-only FAULT",
            mapped_r(),
            step(write, Answer::Error(ERROR_FAULT)),
            Some(Rule::FaultDenied),
        ),
        case(
            "write on read-only ACCES",
            mapped_r(),
            step(write, Answer::Error(ERROR_ACCES)),
            None,
        ),
        case(
            "read on prot none ACCES",
            none_mapped,
            step(read, Answer::Error(ERROR_ACCES)),
            None,
        ),
        case(
            "allowed FAULT",
            mapped_r(),
            step(read, Answer::Error(ERROR_FAULT)),
            Some(Rule::FaultAllowed),
        ),
        case(
            "allowed ACCES",
            mapped_rw(),
            step(write, Answer::Error(ERROR_ACCES)),
            Some(Rule::FaultAllowed),
        ),
        case("allowed done", mapped_r(), step(read, Answer::Done), None),
        case(
            "allowed NOMEM",
            mapped_rw(),
            step(write, Answer::Error(ERROR_NOMEM)),
            None,
        ),
    ]
}

fn kernel_allocate(start: u64, size: u64) -> Request {
    Request::KernelAllocate { start, size }
}

fn kernel_release(start: u64, size: u64) -> Request {
    Request::KernelRelease { start, size }
}

fn kernel() -> Vec<Case> {
    let free = KENTRY_END;
    let allocated = vec![(kernel_allocate(free, 2 * PAGE), Answer::Done)];
    let with_allocation = {
        let mut entries = static_entries();
        entries.push(mapping(free, free + 2 * PAGE, 0, KA));
        entries
    };
    vec![
        case(
            "allocate over boot",
            vec![],
            step(kernel_allocate(KERNEL_START, PAGE), Answer::Done),
            Some(Rule::KernelAllocation),
        ),
        case(
            "allocate unaligned",
            vec![],
            step(kernel_allocate(free + 1, PAGE), Answer::Done),
            Some(Rule::KernelAllocation),
        ),
        case(
            "allocate empty",
            vec![],
            step(kernel_allocate(free, 0), Answer::Done),
            Some(Rule::KernelAllocation),
        ),
        case(
            "allocate outside",
            vec![],
            step(kernel_allocate(PAGE, PAGE), Answer::Done),
            Some(Rule::KernelAllocation),
        ),
        case(
            "allocate wrapping",
            vec![],
            step(
                kernel_allocate(KERNEL_END, u64::MAX - PAGE + 1),
                Answer::Done,
            ),
            Some(Rule::KernelAllocation),
        ),
        case(
            "allocate answered error",
            vec![],
            step(kernel_allocate(free, PAGE), Answer::Error(ERROR_NOMEM)),
            Some(Rule::KernelAllocation),
        ),
        case(
            "allocate twice",
            allocated.clone(),
            step(kernel_allocate(free + PAGE, PAGE), Answer::Done),
            Some(Rule::KernelAllocation),
        ),
        case(
            "allocate free",
            vec![],
            step(kernel_allocate(free, PAGE), Answer::Done),
            None,
        ),
        case(
            "release unknown",
            vec![],
            step(kernel_release(free, PAGE), Answer::Done),
            Some(Rule::KernelRelease),
        ),
        case(
            "release wrong size",
            allocated.clone(),
            step(kernel_release(free, PAGE), Answer::Done),
            Some(Rule::KernelRelease),
        ),
        case(
            "release answered error",
            allocated.clone(),
            step(kernel_release(free, 2 * PAGE), Answer::Error(ERROR_NOMEM)),
            Some(Rule::KernelRelease),
        ),
        case(
            "release live",
            allocated.clone(),
            step(kernel_release(free, 2 * PAGE), Answer::Done),
            None,
        ),
        case(
            "static entries kept",
            vec![],
            Check::Map(KERNEL, static_entries()),
            None,
        ),
        case(
            "boot entry lost",
            vec![],
            Check::Map(KERNEL, static_entries()[1..].to_vec()),
            Some(Rule::KernelStaticEntry),
        ),
        case(
            "kentry area changed",
            vec![],
            Check::Map(
                KERNEL,
                vec![
                    static_entries()[0],
                    mapping(BOOT_END, KENTRY_END, 0, attributes(None, 3)),
                ],
            ),
            Some(Rule::KernelStaticEntry),
        ),
        case(
            "allocation shown",
            allocated.clone(),
            Check::Map(KERNEL, with_allocation.clone()),
            None,
        ),
        case(
            "allocation lost",
            allocated.clone(),
            Check::Map(KERNEL, static_entries()),
            Some(Rule::KernelAllocationMapped),
        ),
        case(
            "allocation kept after release",
            vec![allocated[0], (kernel_release(free, 2 * PAGE), Answer::Done)],
            Check::Map(KERNEL, with_allocation),
            Some(Rule::MapContents),
        ),
        case(
            "allocation present",
            allocated.clone(),
            Check::PageTable(KERNEL, vec![leaf(free, true), leaf(free + PAGE, true)]),
            None,
        ),
        case(
            "allocation half present",
            allocated.clone(),
            Check::PageTable(KERNEL, vec![leaf(free, true)]),
            Some(Rule::PmapNotPresent),
        ),
        case(
            "released allocation present",
            vec![allocated[0], (kernel_release(free, 2 * PAGE), Answer::Done)],
            Check::PageTable(KERNEL, vec![leaf(free, true)]),
            Some(Rule::PmapLeafUnmapped),
        ),
        case(
            "kentry pages present",
            vec![],
            Check::PageTable(KERNEL, vec![leaf(BOOT_END, true)]),
            None,
        ),
        case(
            "kernel null entered",
            vec![],
            step(
                enter_in(KERNEL, None, [0, 0, PAGE, 0], flags_of(KA, 0)),
                entered(KENTRY_END),
            ),
            None,
        ),
    ]
}

fn map_checks() -> Vec<Case> {
    let rw = attributes(Some(1), RW);
    let split = vec![
        mapping(A, A + PAGE, 0x8000, rw),
        mapping(A + PAGE, A + 2 * PAGE, 0x9000, rw),
    ];
    vec![
        case(
            "split entries",
            mapped_rw(),
            Check::Map(USER, split.clone()),
            None,
        ),
        case(
            "whole entry",
            mapped_rw(),
            Check::Map(USER, vec![mapping(A, A + 2 * PAGE, 0x8000, rw)]),
            None,
        ),
        case(
            "missing",
            mapped_rw(),
            Check::Map(USER, vec![]),
            Some(Rule::MapContents),
        ),
        case(
            "half missing",
            mapped_rw(),
            Check::Map(USER, split[..1].to_vec()),
            Some(Rule::MapContents),
        ),
        case(
            "extra",
            vec![],
            Check::Map(USER, split[..1].to_vec()),
            Some(Rule::MapContents),
        ),
        case(
            "wrong prot",
            mapped_rw(),
            Check::Map(
                USER,
                vec![mapping(A, A + 2 * PAGE, 0x8000, attributes(Some(1), R))],
            ),
            Some(Rule::MapContents),
        ),
        case(
            "wrong offset",
            mapped_rw(),
            Check::Map(
                USER,
                vec![
                    mapping(A, A + PAGE, 0x8000, rw),
                    mapping(A + PAGE, A + 2 * PAGE, 0xa000, rw),
                ],
            ),
            Some(Rule::MapContents),
        ),
        case(
            "kernel extra",
            vec![],
            Check::Map(
                KERNEL,
                [
                    static_entries(),
                    vec![mapping(KENTRY_END, KENTRY_END + PAGE, 0, KA)],
                ]
                .concat(),
            ),
            Some(Rule::MapContents),
        ),
        case(
            "unordered",
            mapped_rw(),
            Check::Map(USER, vec![split[1], split[0]]),
            Some(Rule::MapEntriesWellFormed),
        ),
        case(
            "unordered later",
            mapped_rw(),
            Check::Map(USER, vec![split[0], split[1], split[0]]),
            Some(Rule::MapEntriesWellFormed),
        ),
        case(
            "overlapping",
            mapped_rw(),
            Check::Map(USER, vec![split[0], split[0]]),
            Some(Rule::MapEntriesWellFormed),
        ),
        case(
            "empty entry",
            vec![],
            Check::Map(USER, vec![mapping(A, A, 0, rw)]),
            Some(Rule::MapEntriesWellFormed),
        ),
        case(
            "unaligned entry",
            vec![],
            Check::Map(USER, vec![mapping(A, A + 1, 0, rw)]),
            Some(Rule::MapEntriesWellFormed),
        ),
        case(
            "missing map",
            vec![],
            Check::Map(MapIndex(7), vec![]),
            Some(Rule::MapExists),
        ),
        case(
            "missing page table",
            vec![],
            Check::PageTable(MapIndex(7), vec![]),
            Some(Rule::MapExists),
        ),
    ]
}

fn page_tables() -> Vec<Case> {
    let faulted_rw = vec![mapped_rw()[0], (fault(A + PAGE, 1), Answer::Done)];
    let faulted_then_removed = vec![
        faulted_rw[0],
        faulted_rw[1],
        (remove(A, A + 2 * PAGE), Answer::Done),
    ];
    let none_mapped = vec![(fixed(Some(1), 0, A, PAGE, 0), entered(A))];
    vec![
        case(
            "leaf on unmapped page",
            vec![],
            Check::PageTable(USER, vec![leaf(A, false)]),
            Some(Rule::PmapLeafUnmapped),
        ),
        case(
            "leaf after remove",
            faulted_then_removed.clone(),
            Check::PageTable(USER, vec![leaf(A + PAGE, true)]),
            Some(Rule::PmapLeafUnmapped),
        ),
        case(
            "no leaf after remove",
            faulted_then_removed,
            Check::PageTable(USER, vec![]),
            None,
        ),
        case(
            "leaf on prot none",
            none_mapped,
            Check::PageTable(USER, vec![leaf(A, false)]),
            Some(Rule::PmapLeafNoAccess),
        ),
        case(
            "writable on read-only",
            mapped_r(),
            Check::PageTable(USER, vec![leaf(A, true)]),
            Some(Rule::PmapLeafTooWide),
        ),
        case(
            "read-only on read-only",
            mapped_r(),
            Check::PageTable(USER, vec![leaf(A, false)]),
            None,
        ),
        case(
            "read-only after fault on rw",
            faulted_rw.clone(),
            Check::PageTable(USER, vec![leaf(A + PAGE, false)]),
            Some(Rule::PmapLeafTooNarrow),
        ),
        case(
            "read-only unfaulted rw",
            mapped_rw(),
            Check::PageTable(USER, vec![leaf(A, false)]),
            None,
        ),
        case(
            "faulted page absent",
            faulted_rw.clone(),
            Check::PageTable(USER, vec![]),
            Some(Rule::PmapNotPresent),
        ),
        case(
            "other page present",
            faulted_rw.clone(),
            Check::PageTable(USER, vec![leaf(A, true)]),
            Some(Rule::PmapNotPresent),
        ),
        case(
            "faulted page present",
            faulted_rw.clone(),
            Check::PageTable(USER, vec![leaf(A + PAGE, true)]),
            None,
        ),
        case(
            "both present, any order",
            faulted_rw.clone(),
            Check::PageTable(USER, vec![leaf(A + PAGE, true), leaf(A, true)]),
            None,
        ),
        case(
            "unaligned leaf address",
            faulted_rw,
            Check::PageTable(USER, vec![leaf(A + PAGE + 0x10, true)]),
            None,
        ),
        case(
            "NOMEM fault not required",
            vec![mapped_rw()[0], (fault(A, 1), Answer::Error(ERROR_NOMEM))],
            Check::PageTable(USER, vec![]),
            None,
        ),
    ]
}

/// Every table, with its name.
fn tables() -> Vec<(&'static str, Vec<Case>)> {
    vec![
        ("valid-request-accepted", valid_request_accepted()),
        ("invalid-request-refused", invalid_request_refused()),
        ("create-map", create_map()),
        ("enter-kernel-object", enter_kernel_object()),
        ("enter-fixed", enter_fixed()),
        ("enter-anywhere", enter_anywhere()),
        ("remove-done", remove_done()),
        ("fault", faults()),
        ("kernel", kernel()),
        ("map", map_checks()),
        ("page-table", page_tables()),
    ]
}

#[test]
fn valid_requests_are_accepted() {
    run(&valid_request_accepted());
}

#[test]
fn invalid_requests_are_refused() {
    run(&invalid_request_refused());
}

#[test]
fn create_map_table() {
    run(&create_map());
}

#[test]
fn enter_kernel_object_table() {
    run(&enter_kernel_object());
}

#[test]
fn enter_fixed_table() {
    run(&enter_fixed());
}

#[test]
fn enter_anywhere_table() {
    run(&enter_anywhere());
}

#[test]
fn remove_table() {
    run(&remove_done());
}

#[test]
fn fault_table() {
    run(&faults());
}

#[test]
fn kernel_table() {
    run(&kernel());
}

#[test]
fn map_table() {
    run(&map_checks());
}

#[test]
fn page_table_table() {
    run(&page_tables());
}

#[test]
fn every_rule_fires_somewhere() {
    let fired: BTreeSet<Rule> = tables()
        .iter()
        .flat_map(|(_, cases)| cases.iter().filter_map(|case| case.fires))
        .collect();
    let missing = names_missing(&Rule::ALL, &fired, |rule| rule.name());
    assert!(missing.is_empty(), "rules no case fires: {missing:?}");
}

#[test]
fn rule_names_are_unique_kebab_case_and_described() {
    let names: BTreeSet<&str> = Rule::ALL.iter().map(|rule| rule.name()).collect();
    assert_eq!(names.len(), Rule::ALL.len());
    for rule in Rule::ALL {
        let name = rule.name();
        assert!(
            name.bytes().all(|b| b.is_ascii_lowercase() || b == b'-'),
            "{name}"
        );
        assert!(
            !rule.describe().is_empty() && !rule.describe().contains('\n'),
            "{name}"
        );
        assert_eq!(rule.to_string(), format!("spec:{name}"));
    }
}

#[test]
fn reports_are_deterministic() {
    for (table, cases) in tables() {
        for case in cases.iter().filter(|case| case.fires.is_some()) {
            assert_eq!(play(case), play(case), "{table}: {}", case.name);
        }
    }
}

#[test]
fn expected_mappings_are_coalesced() {
    let mut model = model();
    let rw = attributes(Some(1), RW);
    for (request, answer) in [
        (fixed(Some(1), 0x8000, A, PAGE, RW), entered(A)),
        (
            fixed(Some(1), 0x9000, A + PAGE, PAGE, RW),
            entered(A + PAGE),
        ),
    ] {
        model.step(&request, &answer).expect("enter");
    }
    assert_eq!(
        model.expected_mappings(USER),
        [mapping(A, A + 2 * PAGE, 0x8000, rw)]
    );
    assert_eq!(model.expected_mappings(MapIndex(9)), []);
    assert_eq!(model.map_count(), 2);
}

#[test]
fn an_invalid_request_changes_nothing() {
    let mut model = model();
    let before = model.expected_mappings(USER);
    let invalid = fixed(None, 0x1000, A, PAGE, RW);
    assert!(model.classify(&invalid).is_err());
    model
        .step(&invalid, &Answer::Refused)
        .expect("refusal accepted");
    assert_eq!(model.expected_mappings(USER), before);
}

#[test]
fn a_stop_changes_nothing() {
    let mut model = model();
    model
        .step(&fixed(Some(1), 0, A, PAGE, RW), &Answer::Stopped)
        .expect("stop accepted");
    assert_eq!(model.expected_mappings(USER), []);
}
