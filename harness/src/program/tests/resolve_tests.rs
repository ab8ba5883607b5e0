//! Resolution: selectors against a fake state, repairs of raw operands,
//! skips, kernel-map removes, the validity of every resolved valid
//! operation, and how resolved operations print.

use super::*;

/// an object.
struct FakeMap {
    bounds: (u64, u64),
    entries: Vec<(u64, u64)>,
    has_object: Vec<bool>,
}

/// A fake state: map 0 is the kernel map, the others user maps.
struct FakeView {
    maps: Vec<FakeMap>,
    objects: u32,
    /// The kernel-map ranges the program entered.
    kernel_ranges_of_program: Vec<(u64, u64)>,
}

impl StateView for FakeView {
    fn user_map_count(&self) -> u32 {
        self.maps.len() as u32 - 1
    }

    fn object_count(&self) -> u32 {
        self.objects
    }

    fn map_bounds(&self, map: MapRef) -> (u64, u64) {
        self.maps[map.0 as usize].bounds
    }

    fn entries(&self, map: MapRef) -> &[(u64, u64)] {
        &self.maps[map.0 as usize].entries
    }

    fn entry_has_object(&self, map: MapRef, index: usize) -> bool {
        self.maps[map.0 as usize].has_object[index]
    }

    fn kernel_ranges_of_program(&self) -> &[(u64, u64)] {
        &self.kernel_ranges_of_program
    }
}

fn fake_map(bounds: (u64, u64), entries: &[(u64, u64, bool)]) -> FakeMap {
    FakeMap {
        bounds,
        entries: entries
            .iter()
            .map(|&(start, end, _)| (start, end))
            .collect(),
        has_object: entries.iter().map(|&(_, _, object)| object).collect(),
    }
}

/// Kernel map [0x100000, 0x200000) with one entry; user map 1 in
/// [0x1000, 0x10000) with entries 0x2000-0x4000 (object), 0x4000-0x5000
/// (null), 0x8000-0xa000 (object), hence gaps 0x1000-0x2000, 0x5000-0x8000
/// and 0xa000-0x10000; user map 2 in [0, 0x8000), empty; two objects.
fn small_view() -> FakeView {
    FakeView {
        maps: vec![
            fake_map((0x10_0000, 0x20_0000), &[(0x10_0000, 0x10_4000, false)]),
            fake_map(
                (0x1000, 0x1_0000),
                &[
                    (0x2000, 0x4000, true),
                    (0x4000, 0x5000, false),
                    (0x8000, 0xa000, true),
                ],
            ),
            fake_map((0, 0x8000), &[]),
        ],
        objects: 2,
        kernel_ranges_of_program: Vec::new(),
    }
}

fn resolve_text(line: &str, view: &FakeView) -> ResolvedOp {
    let program = Program::parse_text(line).unwrap_or_else(|error| panic!("{line}: {error}"));
    program.ops[0].resolve(view)
}

fn enter(
    map: u32,
    object: Option<u32>,
    start: u64,
    size: u64,
    align: u64,
    flags: i32,
) -> ResolvedOp {
    ResolvedOp::Enter(EnterRequest {
        map: MapRef(map),
        object,
        offset: 0,
        start,
        size,
        align,
        flags,
    })
}

fn remove(map: u32, start: u64, end: u64) -> ResolvedOp {
    ResolvedOp::Remove {
        map: MapRef(map),
        start,
        end,
    }
}

fn fault(map: u32, addr: u64, access: i32) -> ResolvedOp {
    ResolvedOp::Fault {
        map: MapRef(map),
        addr,
        access,
    }
}

fn skip(kind: OpKind, reason: SkipReason) -> ResolvedOp {
    ResolvedOp::Skip { kind, reason }
}

const RWX: i32 = 0x77;

#[test]
fn selectors_resolve_against_the_current_layout() {
    let view = small_view();
    let cases: &[(&str, ResolvedOp)] = &[
        // An exact gap fill: start and size are the gap's.
        (
            "enter map=1 object=0 start=gap-start(1) size=gap-size(1) fixed",
            enter(1, Some(0), 0x5000, 0x3000, 0, RWX | FLAG_FIXED),
        ),
        // Indices are taken modulo the number of gaps, entries, maps and objects.
        (
            "enter map=3 object=3 start=gap-start(4) size=gap-size(4)",
            enter(1, Some(1), 0x5000, 0x3000, 0, RWX),
        ),
        (
            "enter map=1 start=entry-start(4) size=entry-size(4)",
            enter(1, None, 0x4000, 0x1000, 0, RWX),
        ),
        (
            "enter map=1 start=entry-end(2) size=pages(3)",
            enter(1, None, 0xa000, 0x3000, 0, RWX),
        ),
        (
            "enter map=1 start=gap-end(0) size=pages(1)",
            enter(1, None, 0x2000, 0x1000, 0, RWX),
        ),
        (
            "enter map=1 start=near(entry-end(0),+2) size=pages(1)",
            enter(1, None, 0x6000, 0x1000, 0, RWX),
        ),
        (
            "enter map=1 start=near(map-end,-3) size=pages(1)",
            enter(1, None, 0xd000, 0x1000, 0, RWX),
        ),
        (
            "enter map=2 start=map-end size=pages(1)",
            enter(2, None, 0x8000, 0x1000, 0, RWX),
        ),
        // An empty map: entries fall back to the map start, its one gap is the map.
        (
            "enter map=2 start=entry-start(3) size=gap-size(0)",
            enter(2, None, 0, 0x8000, 0, RWX),
        ),
        (
            "enter map=2 start=gap-end(7) size=entry-size(0)",
            enter(2, None, 0x8000, 0x1000, 0, RWX),
        ),
        // Alignment in pages, and a fixed start moved up to it.
        (
            "enter map=1 start=entry-end(1) size=pages(1) align=pages(4) fixed",
            enter(1, None, 0x8000, 0x1000, 0x4000, RWX | FLAG_FIXED),
        ),
        (
            "enter map=1 start=entry-end(1) size=pages(1) align=pages(4)",
            enter(1, None, 0x5000, 0x1000, 0x4000, RWX),
        ),
        // Objects stay out of the kernel map.
        (
            "enter map=kernel object=1 start=map-start size=pages(2)",
            enter(0, None, 0x10_0000, 0x2000, 0, RWX),
        ),
        (
            "remove map=2 start=map-start end=map-end",
            remove(2, 0, 0x8000),
        ),
        (
            "remove map=1 start=entry-end(1) end=entry-start(0)",
            remove(1, 0x2000, 0x5000),
        ),
        (
            "remove map=1 start=near(map-start,-1) end=near(map-end,+1)",
            remove(1, 0x1000, 0x1_0000),
        ),
        (
            "remove map=1 start=entry-end(0) end=entry-end(0)",
            remove(1, 0x4000, 0x5000),
        ),
        (
            "remove map=1 start=map-end end=map-end",
            remove(1, 0xf000, 0x1_0000),
        ),
        (
            "remove map=1 start=raw(0x2345) end=raw(0x3001)",
            remove(1, 0x2000, 0x4000),
        ),
        (
            "remove map=kernel start=map-start end=map-end",
            skip(OpKind::Remove, SkipReason::KernelMapRemove),
        ),
        (
            "fault map=1 addr=raw(0x2fff) access=rw",
            fault(1, 0x2fff, 3),
        ),
        (
            "fault map=1 addr=gap-start(2) access=r",
            fault(1, 0xa000, 1),
        ),
        (
            "fault map=1 addr=gap-start(2) access=none",
            fault(1, 0xa000, 1),
        ),
        (
            "fault map=1 addr=gap-start(2) access=none invalid",
            fault(1, 0xa000, 0),
        ),
        (
            "fault map=1 addr=entry-start(1) access=r",
            skip(OpKind::Fault, SkipReason::NullEntryFault),
        ),
        (
            "fault map=kernel addr=map-start access=r",
            skip(OpKind::Fault, SkipReason::KernelMapFault),
        ),
        (
            "fault map=kernel addr=map-start access=r invalid",
            fault(0, 0x10_0000, 1),
        ),
        (
            "fault map=1 addr=entry-start(1) access=w invalid",
            fault(1, 0x4000, 2),
        ),
        ("info map=4", ResolvedOp::Info { map: MapRef(2) }),
    ];
    for (line, expected) in cases {
        assert_eq!(&resolve_text(line, &view), expected, "{line}");
    }
}

#[test]
fn without_user_maps_only_faults_and_removes_skip() {
    let view = FakeView {
        maps: vec![fake_map((0x10_0000, 0x20_0000), &[])],
        objects: 0,
        kernel_ranges_of_program: Vec::new(),
    };
    let cases: &[(&str, ResolvedOp)] = &[
        (
            "enter map=3 object=1 size=pages(2)",
            enter(0, None, 0, 0x2000, 0, RWX),
        ),
        (
            "info map=1",
            ResolvedOp::Info {
                map: MapRef::KERNEL,
            },
        ),
        (
            "remove map=1 start=map-start end=map-end",
            skip(OpKind::Remove, SkipReason::NoUserMap),
        ),
        (
            "fault map=1 addr=map-start access=r",
            skip(OpKind::Fault, SkipReason::NoUserMap),
        ),
        (
            "fault map=1 addr=map-start access=r invalid",
            fault(0, 0x10_0000, 1),
        ),
        (
            "remove map=1 start=map-start end=map-end invalid",
            skip(OpKind::Remove, SkipReason::NoUserMap),
        ),
        (
            "remove map=kernel start=map-start end=map-end invalid",
            remove(0, 0x10_0000, 0x20_0000),
        ),
    ];
    for (line, expected) in cases {
        assert_eq!(&resolve_text(line, &view), expected, "{line}");
    }
}

#[test]
fn repairs_make_raw_operands_valid_and_invalid_ops_keep_them() {
    let view = small_view();
    let top = 0u64.wrapping_sub(0x1000);
    let cases: &[(&str, ResolvedOp)] = &[
        ("enter map=1 start=raw(0x1234) size=raw(0x1001) align=raw(0x3000)", enter(1, None, 0x1000, 0x2000, 0x2000, RWX)),
        ("enter map=1 size=pages(0) align=raw(0x10)", enter(1, None, 0, 0x1000, 0x1000, RWX)),
        ("enter map=1 start=raw(0xffffffffffffffff) size=pages(4)", enter(1, None, top - 0x1000, 0x1000, 0, RWX)),
        ("enter map=1 start=raw(0x10000) size=raw(0xffffffffffffffff)", enter(1, None, 0x1_0000, top - 0x1_0000, 0, RWX)),
        ("enter map=1 size=pages(1) prot=rwx maxprot=r nomerge", enter(1, None, 0, 0x1000, 0, 0x11)),
        (
            "enter map=1 start=raw(0x1234) size=pages(0) prot=rwx maxprot=r nomerge invalid",
            enter(1, None, 0x1234, 0, 0, 0x17 | FLAG_NOMERGE),
        ),
        (
            "enter map=1 start=raw(0x5000) size=pages(1) align=pages(4) fixed inherit=share advice=dontneed",
            enter(1, None, 0x8000, 0x1000, 0x4000, RWX | 0x4100 | FLAG_FIXED),
        ),
    ];
    for (line, expected) in cases {
        let resolved = resolve_text(line, &view);
        assert_eq!(&resolved, expected, "{line}");
        let invalid = line.ends_with("invalid");
        assert_eq!(
            resolved.violation(&view).is_some(),
            invalid,
            "{line}: {:?}",
            resolved.violation(&view)
        );
    }
    let offset_line = "enter map=1 object=1 offset=raw(0x1fff) size=pages(1)";
    let ResolvedOp::Enter(EnterRequest { offset, .. }) = resolve_text(offset_line, &view) else {
        unreachable!()
    };
    assert_eq!(offset, 0x1000);
    let null_line = "enter map=1 object=none offset=pages(3) size=pages(1)";
    let ResolvedOp::Enter(EnterRequest { offset, .. }) = resolve_text(null_line, &view) else {
        unreachable!()
    };
    assert_eq!(offset, 0, "a null mapping has offset 0");
}

#[test]
fn valid_kernel_removes_take_only_what_the_program_entered() {
    let mut view = small_view();
    view.maps[0].entries = vec![(0x10_0000, 0x10_4000), (0x10_4000, 0x10_8000)];
    view.maps[0].has_object = vec![false, false];
    view.kernel_ranges_of_program = vec![(0x10_2000, 0x10_4000), (0x10_6000, 0x10_7000)];
    let cases: &[(&str, ResolvedOp)] = &[
        (
            "remove map=kernel start=map-start end=map-end",
            remove(0, 0x10_2000, 0x10_4000),
        ),
        (
            "remove map=kernel start=entry-start(1) end=map-end",
            remove(0, 0x10_6000, 0x10_7000),
        ),
        (
            "remove map=kernel start=entry-end(1) end=map-end",
            skip(OpKind::Remove, SkipReason::KernelMapRemove),
        ),
        (
            "remove map=kernel start=map-start end=entry-end(0) invalid",
            remove(0, 0x10_0000, 0x10_4000),
        ),
    ];
    for (line, expected) in cases {
        let resolved = resolve_text(line, &view);
        assert_eq!(&resolved, expected, "{line}");
        let expected_violation = line
            .ends_with("invalid")
            .then_some(Violation::KernelMapRemove);
        assert_eq!(resolved.violation(&view), expected_violation, "{line}");
    }
}

/// A random state: a kernel map high in the address space (so that wrapping
/// repairs matter), up to four user maps of random layouts, up to three objects.
fn random_view(rng: &mut Random) -> FakeView {
    let kernel_start = 0u64.wrapping_sub(0x100_0000);
    let mut maps = vec![random_map(rng, (kernel_start, 0u64.wrapping_sub(0x1000)))];
    for _ in 0..rng.below(5) {
        maps.push(random_map(rng, (0, 0x8000_0000_0000)));
    }
    // The program owns the upper half of every other kernel entry.
    let kernel_ranges_of_program = maps[0]
        .entries
        .iter()
        .step_by(2)
        .map(|&(start, end)| (start + (end - start) / 0x2000 * 0x1000, end))
        .filter(|&(start, end)| start < end)
        .collect();
    FakeView {
        maps,
        objects: rng.below(4) as u32,
        kernel_ranges_of_program,
    }
}

fn random_map(rng: &mut Random, bounds: (u64, u64)) -> FakeMap {
    let mut entries = Vec::new();
    let mut next = bounds.0;
    for _ in 0..rng.below(8) {
        let start = next + rng.below(4) * 0x1000;
        let end = start + (1 + rng.below(8)) * 0x1000;
        entries.push((start, end, rng.below(3) != 0));
        next = end;
    }
    fake_map(bounds, &entries)
}

#[test]
fn valid_operations_resolve_within_every_precondition() {
    let mut rng = Random::new(0x5eed_0005);
    let (mut valid_count, mut invalid_count, mut invalid_violations, mut skips) = (0, 0, 0, 0);
    for (_, program) in random_programs(0x5eed_1006) {
        let view = random_view(&mut rng);
        for op in &program.ops {
            let resolved = op.resolve(&view);
            if op.is_invalid() {
                invalid_count += 1;
                invalid_violations += usize::from(resolved.violation(&view).is_some());
                continue;
            }
            valid_count += 1;
            assert_eq!(
                resolved.violation(&view),
                None,
                "{op} resolved to {resolved}"
            );
            assert_eq!(resolved.kind(), op.kind());
            match resolved {
                ResolvedOp::Enter(EnterRequest { map, object, .. }) => {
                    assert!(object.is_none() || !map.is_kernel())
                }
                ResolvedOp::Fault { map, .. } => assert!(!map.is_kernel()),
                ResolvedOp::Skip { .. } => skips += 1,
                _ => {}
            }
        }
    }
    let total = valid_count + invalid_count;
    // About one operation in 65 here: one in 32 of the enters, removes and
    // faults, fewer with the repeat slots of version 2, and none in the
    // quarter of programs made of small bytes only.
    assert!(
        invalid_count * 80 > total && invalid_count * 16 < total,
        "{invalid_count} invalid of {total}"
    );
    assert!(
        invalid_violations > 0,
        "invalid operations never broke a precondition"
    );
    assert!(
        skips * 4 < valid_count,
        "{skips} of {valid_count} valid operations skipped"
    );
}

#[test]
fn resolved_operations_print_readably() {
    let cases: &[(ResolvedOp, &str)] = &[
        (
            enter(1, Some(0), 0x7000, 0x4000, 0, 0x2_1277),
            "enter map=1 object=0 offset=0x0 start=0x7000 size=0x4000 align=0x0 flags=0x21277 \
             (prot=rwx maxprot=rwx inherit=copy advice=random fixed)",
        ),
        (enter(0, None, 0, 0x1000, 0x2000, 0x1_0010), "enter map=kernel object=none offset=0x0 start=0x0 size=0x1000 align=0x2000 flags=0x10010 (prot=none maxprot=r inherit=none advice=normal nomerge)"),
        (remove(2, 0x1000, 0x3000), "remove map=2 start=0x1000 end=0x3000"),
        (fault(1, 0x2fff, 6), "fault map=1 addr=0x2fff access=wx"),
        (skip(OpKind::Fault, SkipReason::NoUserMap), "skip fault: no user map exists"),
        (ResolvedOp::Info { map: MapRef::KERNEL }, "info map=kernel"),
        (ResolvedOp::Reap, "reap"),
    ];
    for (resolved, expected) in cases {
        assert_eq!(&resolved.to_string(), expected);
    }
}
