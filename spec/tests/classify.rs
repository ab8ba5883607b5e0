//! The preconditions: one row per precondition firing, plus valid requests
//! that must classify as valid.

mod common;

use std::collections::BTreeSet;

use common::*;
use spec::x15::{MAP_FIXED, MAP_NOMERGE};
use spec::{Answer, Invalid, MapIndex, Request};

/// An enter into the user map: the object, then the offset, start, size
/// and alignment (in `vm_map_enter`'s order), then the flags word.
fn enter(object: Option<u32>, placement: [u64; 4], flags: u32) -> Request {
    enter_in(USER, object, placement, flags)
}

/// prot rw, maxprot all, inherit copy, advice normal.
const RW: u32 = 0x3 | 0x7 << 4 | 0x2 << 8;
const A: u64 = 0x10_0000;

fn table() -> Vec<(&'static str, Request, Result<(), Invalid>)> {
    use Invalid::*;
    let remove_kernel = |start, end| Request::Remove {
        map: KERNEL,
        start,
        end,
    };
    vec![
        (
            "enter valid",
            enter(Some(1), [0x2000, A, PAGE, 0x1000], RW | MAP_FIXED),
            Ok(()),
        ),
        ("enter null valid", enter(None, [0, 0, PAGE, 0], RW), Ok(())),
        (
            "enter missing map",
            enter_in(MapIndex(2), None, [0, 0, PAGE, 0], RW),
            Err(MapMissing),
        ),
        (
            "enter huge map index",
            enter_in(MapIndex(u32::MAX), None, [0, 0, PAGE, 0], RW),
            Err(MapMissing),
        ),
        (
            "offset without object",
            enter(None, [PAGE, 0, PAGE, 0], RW),
            Err(EnterOffsetWithoutObject),
        ),
        (
            "offset unaligned",
            enter(Some(1), [0x10, 0, PAGE, 0], RW),
            Err(EnterOffsetUnaligned),
        ),
        (
            "start unaligned",
            enter(Some(1), [0, A + 1, PAGE, 0], RW),
            Err(EnterStartUnaligned),
        ),
        (
            "size zero",
            enter(Some(1), [0, A, 0, 0], RW),
            Err(EnterSizeInvalid),
        ),
        (
            "size unaligned",
            enter(Some(1), [0, A, PAGE + 1, 0], RW),
            Err(EnterSizeInvalid),
        ),
        (
            "range wraps",
            enter(Some(1), [0, u64::MAX - PAGE + 1, PAGE, 0], RW),
            Err(EnterRangeWraps),
        ),
        (
            "range reaches the top",
            enter(Some(1), [0, u64::MAX - 2 * PAGE + 1, PAGE, 0], RW),
            Ok(()),
        ),
        (
            "align below a page",
            enter(Some(1), [0, A, PAGE, 0x800], RW),
            Err(EnterAlignInvalid),
        ),
        (
            "align not a power",
            enter(Some(1), [0, A, PAGE, 0x3000], RW),
            Err(EnterAlignInvalid),
        ),
        (
            "align top bit",
            enter(Some(1), [0, 0, PAGE, 1 << 63], RW),
            Ok(()),
        ),
        (
            "prot above 7",
            enter(Some(1), [0, A, PAGE, 0], 0x8 | 0xf << 4),
            Err(EnterProtUndefined),
        ),
        (
            "maxprot above 7",
            enter(Some(1), [0, A, PAGE, 0], 0x1 | 0x9 << 4),
            Err(EnterProtUndefined),
        ),
        (
            "prot above maxprot",
            enter(Some(1), [0, A, PAGE, 0], 0x3 | 0x1 << 4),
            Err(EnterProtAboveMax),
        ),
        (
            "inherit undefined",
            enter(Some(1), [0, A, PAGE, 0], 0x3 | 0x7 << 4 | 0x3 << 8),
            Err(EnterInheritUndefined),
        ),
        (
            "advice undefined",
            enter(Some(1), [0, A, PAGE, 0], RW | 0x5 << 12),
            Err(EnterAdviceUndefined),
        ),
        (
            "advice dontneed",
            enter(Some(1), [0, A, PAGE, 0], RW | 0x4 << 12),
            Ok(()),
        ),
        (
            "unknown flag",
            enter(Some(1), [0, A, PAGE, 0], RW | 0x4_0000),
            Err(EnterUnknownFlags),
        ),
        (
            "top flag bit",
            enter(Some(1), [0, A, PAGE, 0], RW | 0x8000_0000),
            Err(EnterUnknownFlags),
        ),
        (
            "nomerge",
            enter(Some(1), [0, A, PAGE, 0], RW | MAP_NOMERGE),
            Err(EnterNoMerge),
        ),
        (
            "fixed misaligned",
            enter(Some(1), [0, A + PAGE, PAGE, 0x10_000], RW | MAP_FIXED),
            Err(EnterFixedMisaligned),
        ),
        (
            "hint misaligned is fine",
            enter(Some(1), [0, A + PAGE, PAGE, 0x10_000], RW),
            Ok(()),
        ),
        ("remove valid", remove(0, USER_END), Ok(())),
        (
            "remove unaligned start",
            remove(1, PAGE),
            Err(RemoveUnaligned),
        ),
        (
            "remove unaligned end",
            remove(0, PAGE + 1),
            Err(RemoveUnaligned),
        ),
        ("remove empty", remove(PAGE, PAGE), Err(RemoveEmpty)),
        ("remove reversed", remove(2 * PAGE, PAGE), Err(RemoveEmpty)),
        (
            "remove outside",
            remove(USER_END - PAGE, USER_END + PAGE),
            Err(RemoveOutsideMap),
        ),
        (
            "remove missing map",
            Request::Remove {
                map: MapIndex(3),
                start: 0,
                end: PAGE,
            },
            Err(MapMissing),
        ),
        (
            "remove boot entry",
            remove_kernel(BOOT_END - PAGE, BOOT_END + PAGE),
            Err(RemoveKernelOwned),
        ),
        (
            "remove kentry area",
            remove_kernel(KENTRY_END - PAGE, KENTRY_END),
            Err(RemoveKernelOwned),
        ),
        (
            "remove free kernel range",
            remove_kernel(KENTRY_END, KENTRY_END + PAGE),
            Ok(()),
        ),
        (
            "remove below the kernel map",
            remove_kernel(0, PAGE),
            Err(RemoveOutsideMap),
        ),
        ("fault valid", fault(A + 7, 1), Ok(())),
        ("fault any address", fault(u64::MAX, 7), Ok(())),
        (
            "fault kernel",
            Request::Fault {
                map: KERNEL,
                addr: KENTRY_END,
                access: 1,
            },
            Err(FaultKernelMap),
        ),
        ("fault access 0", fault(A, 0), Err(FaultAccessInvalid)),
        ("fault access 8", fault(A, 8), Err(FaultAccessInvalid)),
        (
            "fault missing map",
            Request::Fault {
                map: MapIndex(4),
                addr: 0,
                access: 1,
            },
            Err(MapMissing),
        ),
        ("create", Request::CreateMap, Ok(())),
        (
            "kernel allocate anything",
            Request::KernelAllocate { start: 1, size: 3 },
            Ok(()),
        ),
        (
            "kernel release anything",
            Request::KernelRelease { start: 1, size: 3 },
            Ok(()),
        ),
    ]
}

#[test]
fn classify_table() {
    let model = model();
    for (name, request, expected) in table() {
        assert_eq!(model.classify(&request), expected, "{name}");
    }
}

#[test]
fn fault_on_a_null_mapping_is_invalid() {
    let mut model = model();
    let null = enter(None, [0, A, PAGE, 0], RW | MAP_FIXED);
    model
        .step(&null, &Answer::Entered { start: A })
        .expect("enter");
    assert_eq!(
        model.classify(&fault(A + 5, 1)),
        Err(Invalid::FaultNullMapping)
    );
    assert_eq!(model.classify(&fault(A + PAGE, 1)), Ok(()));
}

#[test]
fn removing_a_kernel_allocation_is_invalid() {
    let mut model = model();
    let allocate = Request::KernelAllocate {
        start: KENTRY_END,
        size: PAGE,
    };
    let remove = Request::Remove {
        map: KERNEL,
        start: KENTRY_END,
        end: KENTRY_END + PAGE,
    };
    assert_eq!(model.classify(&remove), Ok(()));
    model.step(&allocate, &Answer::Done).expect("allocate");
    assert_eq!(model.classify(&remove), Err(Invalid::RemoveKernelOwned));
}

#[test]
fn a_failed_create_makes_no_map() {
    let mut model = model();
    model
        .step(&Request::CreateMap, &Answer::Error(1))
        .expect("NOMEM accepted");
    let next = Request::Remove {
        map: MapIndex(2),
        start: 0,
        end: PAGE,
    };
    assert_eq!(model.classify(&next), Err(Invalid::MapMissing));
    model
        .step(&Request::CreateMap, &Answer::Done)
        .expect("create");
    assert_eq!(model.classify(&next), Ok(()));
}

#[test]
fn every_precondition_is_in_the_table() {
    let mut named: BTreeSet<Invalid> = table()
        .into_iter()
        .filter_map(|(_, _, result)| result.err())
        .collect();
    named.insert(Invalid::FaultNullMapping); // its own test above
    let missing = names_missing(&Invalid::ALL, &named, |i| i.name());
    assert!(missing.is_empty(), "{missing:?}");
    let names: BTreeSet<&str> = Invalid::ALL.iter().map(|i| i.name()).collect();
    assert_eq!(names.len(), Invalid::ALL.len());
    assert!(Invalid::ALL.iter().all(|i| !i.describe().is_empty()));
}
