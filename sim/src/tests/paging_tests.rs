//! Page tables: boot tables, kgrow, kenter and kremove, pmap_enter's flags and failures, the leaves of a range, and the digest.

use super::*;

/// (end, new tables in allocation order as (level of the entry, va), klimit after)
type KgrowCase = (u64, Vec<(u8, u64)>, u64);

#[test]
fn boot_builds_kernel_tables_over_the_boot_space() {
    let machine = normal();
    let expected = vec![
        table_entry(4, KERNEL_START, pa(2).0 | KERNEL_TABLE_FLAGS),
        table_entry(3, KERNEL_START, pa(3).0 | KERNEL_TABLE_FLAGS),
        table_entry(2, KERNEL_START, pa(4).0 | KERNEL_TABLE_FLAGS),
    ];
    assert_eq!(machine.page_table_entries(PmapId::KERNEL), expected);
    assert_eq!(machine.pmaps(), vec![PmapId::KERNEL]);
    assert!(machine.trace().is_empty() && machine.violations().is_empty());
    assert!((1..=4).all(|frame| machine.frame_is_allocated(pa(frame))));
    assert!(!machine.frame_is_allocated(pa(5)));
}

#[test]
fn kgrow_allocates_tables_level_by_level() {
    // (end, new tables in allocation order as (level of the entry, va), klimit after)
    let start = KERNEL_START;
    let cases: Vec<KgrowCase> = vec![
        (start + MIB, vec![], start + 2 * MIB),
        (start + 2 * MIB - 1, vec![], start + 2 * MIB),
        (start + 2 * MIB, vec![(2, start + 2 * MIB)], start + 4 * MIB),
        (
            start + 8 * MIB + 16 * 1024 + MIB,
            vec![
                (2, start + 2 * MIB),
                (2, start + 4 * MIB),
                (2, start + 6 * MIB),
                (2, start + 8 * MIB),
            ],
            start + 10 * MIB,
        ),
    ];
    for (end, tables, klimit) in cases {
        let mut machine = normal();
        assert_eq!(machine.pmap_kgrow(end), Ok(()));
        assert_eq!(machine.pmap_klimit(), klimit);
        let trace = machine.trace();
        assert_eq!(
            trace[0],
            Event::PmapKgrow {
                end,
                result: Ok(())
            }
        );
        assert_eq!(
            trace.len(),
            tables.len() + 2,
            "kgrow, its allocations, klimit"
        );
        let entries = machine.page_table_entries(PmapId::KERNEL);
        for (i, &(level, va)) in tables.iter().enumerate() {
            let frame = pa(5 + i as u64);
            assert_eq!(
                trace[1 + i],
                Event::PhysAlloc {
                    order: 0,
                    result: Some(frame)
                }
            );
            assert!(
                entries.contains(&TableEntry {
                    level,
                    va,
                    raw: frame.0 | KERNEL_TABLE_FLAGS
                }),
                "{va:#x}"
            );
        }
    }
}

#[test]
fn kgrow_across_a_gigabyte_allocates_the_upper_level_first() {
    let mut machine = normal();
    assert_eq!(machine.pmap_kgrow(KERNEL_START + GIB), Ok(()));
    let entries = machine.page_table_entries(PmapId::KERNEL);
    assert!(entries.contains(&table_entry(
        3,
        KERNEL_START + GIB,
        pa(5).0 | KERNEL_TABLE_FLAGS
    )));
    assert!(entries.contains(&table_entry(
        2,
        KERNEL_START + 2 * MIB,
        pa(6).0 | KERNEL_TABLE_FLAGS
    )));
    let level2 = entries.iter().filter(|e| e.level == 2).count();
    assert_eq!(
        level2, 513,
        "512 level-1 tables in the first GiB, one in the second"
    );
    assert_eq!(machine.pmap_klimit(), KERNEL_START + GIB + 2 * MIB);
}

#[test]
fn kgrow_without_pages_fails_and_keeps_the_limit() {
    let mut machine = with_plan(MachineConfig::tiny(), failing(&[2], &[]));
    let end = KERNEL_START + 5 * MIB;
    assert_eq!(machine.pmap_kgrow(end), Err(NoPageForPageTable));
    assert_eq!(
        machine.trace()[0],
        Event::PmapKgrow {
            end,
            result: Err(NoPageForPageTable)
        }
    );
    assert_eq!(machine.pmap_klimit(), KERNEL_START + 2 * MIB);
    assert!(
        machine.frame_is_allocated(pa(5)),
        "the table already taken stays"
    );
    assert_eq!(
        machine.pmap_kgrow(end),
        Ok(()),
        "a retry finds the first table in place"
    );
    assert!(!machine.frame_is_allocated(pa(7)));
    assert_eq!(machine.pmap_klimit(), KERNEL_START + 6 * MIB);
}

#[test]
fn kenter_extract_kremove_round_trip() {
    // (protection, expected leaf flags)
    for (prot, flags) in [(1u32, 0x101u64), (3, 0x103), (7, 0x103), (4, 0x101)] {
        let mut machine = normal();
        let page = machine.phys_alloc(0).unwrap();
        let va = KERNEL_START + 0x1000;
        machine.pmap_kenter(va, page, prot);
        assert_eq!(machine.pmap_extract(PmapId::KERNEL, va), page);
        assert_eq!(
            machine.pmap_extract(PmapId::KERNEL, va + PAGE_SIZE),
            PhysAddr(0)
        );
        let leaf = TableEntry {
            level: 1,
            va,
            raw: page.0 | flags,
        };
        assert!(
            machine.page_table_entries(PmapId::KERNEL).contains(&leaf),
            "prot {prot}"
        );
        machine.pmap_kremove(KERNEL_START, KERNEL_START + 3 * GIB);
        assert_eq!(machine.pmap_extract(PmapId::KERNEL, va), PhysAddr(0));
        assert_eq!(
            machine.page_table_entries(PmapId::KERNEL).len(),
            3,
            "tables are never freed"
        );
        assert!(machine.violations().is_empty());
    }
}

#[test]
fn kenter_without_tables_is_a_violation() {
    let mut machine = normal();
    let va = KERNEL_START + 4 * MIB;
    machine.pmap_kenter(va, pa(5), 3);
    assert_eq!(
        kinds(&machine),
        vec![ViolationKind::KenterWithoutTable { va }]
    );
    assert_eq!(machine.pmap_extract(PmapId::KERNEL, va), PhysAddr(0));
    machine.pmap_kenter(KERNEL_START + 1, pa(5), 3);
    assert_eq!(
        machine.violations()[1].kind,
        ViolationKind::MisalignedAddress {
            addr: KERNEL_START + 1
        }
    );
}

#[test]
fn pmap_enter_flags_for_kernel_and_user_pmaps() {
    let mut machine = normal();
    let user = machine.pmap_create().unwrap();
    assert_eq!(user, PmapId(1));
    assert_eq!(machine.pmaps(), vec![PmapId::KERNEL, user]);
    assert_eq!(
        machine.page_table_entries(user),
        vec![],
        "the kernel's entries are not copied"
    );
    // (pmap, va, prot, expected entries from level 4 down to the leaf, pa last)
    let user_va = 0x40_0000u64;
    let kernel_va = KERNEL_START + 4 * MIB;
    assert_eq!(machine.pmap_enter(user, user_va, pa(100), 3), Ok(()));
    assert_eq!(
        machine.pmap_enter(user, user_va + PAGE_SIZE, pa(101), 1),
        Ok(())
    );
    assert_eq!(
        machine.pmap_enter(PmapId::KERNEL, kernel_va, pa(102), 3),
        Ok(())
    );
    let user_entries = machine.page_table_entries(user);
    let expected_user = vec![
        table_entry(4, 0, pa(6).0 | USER_TABLE_FLAGS),
        table_entry(3, 0, pa(7).0 | USER_TABLE_FLAGS),
        table_entry(2, user_va, pa(8).0 | USER_TABLE_FLAGS),
        table_entry(1, user_va, pa(100).0 | 0x7),
        table_entry(1, user_va + PAGE_SIZE, pa(101).0 | 0x5),
    ];
    assert_eq!(user_entries, expected_user);
    let kernel_entries = machine.page_table_entries(PmapId::KERNEL);
    assert!(kernel_entries.contains(&table_entry(2, kernel_va, pa(9).0 | KERNEL_TABLE_FLAGS)));
    assert!(kernel_entries.contains(&table_entry(1, kernel_va, pa(102).0 | 0x103)));
    assert_eq!(machine.pmap_extract(user, user_va + PAGE_SIZE), pa(101));
    assert_eq!(
        machine.pmap_extract(PmapId::KERNEL, user_va),
        PhysAddr(0),
        "pmaps are separate"
    );
}

#[test]
fn leaves_in_a_range_are_the_walks_leaves_there() {
    let mut machine = normal();
    let user = machine.pmap_create().unwrap();
    let kernel_va = KERNEL_START + 4 * MIB;
    assert!(machine.pmap_kgrow(kernel_va + 4 * PAGE_SIZE).is_ok());
    for (index, va) in [0x40_0000u64, 0x40_1000, 0x80_0000, 0x7fff_ffff_f000]
        .into_iter()
        .enumerate()
    {
        assert_eq!(
            machine.pmap_enter(user, va, pa(100 + index as u64), 3),
            Ok(())
        );
    }
    for page in 0..4 {
        machine.pmap_kenter(kernel_va + page * PAGE_SIZE, pa(200 + page), 3);
    }
    machine.pmap_kremove(kernel_va + PAGE_SIZE, kernel_va + 2 * PAGE_SIZE);
    let mut found = Vec::new();
    // (pmap, start, end) ranges, from everything to one page and nothing.
    let ranges = [
        (user, 0, u64::MAX),
        (user, 0x40_1000, 0x80_0001),
        (user, 0x40_1000, 0x40_1000),
        (PmapId::KERNEL, 0, u64::MAX),
        (
            PmapId::KERNEL,
            kernel_va + PAGE_SIZE,
            kernel_va + 3 * PAGE_SIZE,
        ),
    ];
    for (pmap, start, end) in ranges {
        machine.leaves_in(pmap, start, end, &mut found);
        let walked: Vec<TableEntry> = machine
            .page_table_entries(pmap)
            .into_iter()
            .filter(|entry| entry.level == 1 && start <= entry.va && entry.va < end)
            .collect();
        assert_eq!(found, walked, "pmap {} [{start:#x}, {end:#x})", pmap.0);
    }
    machine.leaves_in(user, 0, u64::MAX, &mut found);
    assert_eq!(found.len(), 4);
}

#[test]
fn pmap_enter_without_frames_is_nomem_and_keeps_tables() {
    let mut machine = Machine::new(MachineConfig::tiny());
    let user = machine.pmap_create().unwrap();
    let left = exhaust(&mut machine);
    // Give back two frames: enough for two of the three tables.
    let (first, second) = (pa(6), pa(7));
    machine.phys_free(first, 0);
    machine.phys_free(second, 0);
    assert!(left > 2);
    assert_eq!(
        machine.pmap_enter(user, 0x1000, pa(20), 3),
        Err(Error::NoMem)
    );
    assert!(machine.frame_is_allocated(first) && machine.frame_is_allocated(second));
    assert_eq!(machine.page_table_entries(user).len(), 2);
    let enter = machine
        .trace()
        .iter()
        .rev()
        .find(|e| matches!(e, Event::PmapEnter { .. }))
        .unwrap();
    assert_eq!(
        enter,
        &Event::PmapEnter {
            pmap: user,
            va: 0x1000,
            pa: pa(20),
            prot: 3,
            result: Err(Error::NoMem)
        }
    );
    assert_eq!(machine.pmap_create(), Err(Error::NoMem));
}

#[test]
fn digest_tracks_every_entry_change() {
    let mut machine = normal();
    let boot_digest = machine.page_table_digest(PmapId::KERNEL);
    assert_ne!(boot_digest, 0);
    assert_eq!(boot_digest, digest_by_walk(&machine, PmapId::KERNEL));
    let va = KERNEL_START + 0x5000;
    machine.pmap_kenter(va, pa(9), 3);
    let mapped = machine.page_table_digest(PmapId::KERNEL);
    machine.pmap_kenter(va, pa(9), 1);
    let read_only = machine.page_table_digest(PmapId::KERNEL);
    machine.pmap_kenter(va, pa(10), 1);
    let other_page = machine.page_table_digest(PmapId::KERNEL);
    let digests = [boot_digest, mapped, read_only, other_page];
    for (i, a) in digests.iter().enumerate() {
        for b in &digests[i + 1..] {
            assert_ne!(a, b);
        }
    }
    assert_eq!(other_page, digest_by_walk(&machine, PmapId::KERNEL));
    machine.pmap_kremove(va, va + PAGE_SIZE);
    assert_eq!(machine.page_table_digest(PmapId::KERNEL), boot_digest);
    let user = machine.pmap_create().unwrap();
    assert_eq!(machine.page_table_digest(user), 0);
    machine.pmap_enter(user, 0x1000, pa(11), 3).unwrap();
    assert_eq!(
        machine.page_table_digest(user),
        digest_by_walk(&machine, user)
    );
    assert_ne!(machine.page_table_digest(user), 0);
}
