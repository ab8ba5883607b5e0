//! Unit tests of the simulated machine: each checks one documented policy
//! against values worked out by hand from X15's rules.

use vm_rs::env::{Environment, NoPageForPageTable};
use vm_rs::Error;

use crate::paging::entry_hash;
use crate::slab::{slab_geometry, SlabGeometry};
use crate::*;

const MIB: u64 = 1 << 20;
const GIB: u64 = 1 << 30;
/// Kernel intermediate entries: RW | P.
const KERNEL_TABLE_FLAGS: u64 = 0x3;
/// User intermediate entries: RW | P | US.
const USER_TABLE_FLAGS: u64 = 0x7;

fn normal() -> Machine {
    Machine::new(MachineConfig::normal())
}

fn with_plan(config: MachineConfig, plan: FaultPlan) -> Machine {
    let mut machine = Machine::new(config);
    machine.reset(plan);
    machine
}

fn pa(frame: u64) -> PhysAddr {
    PhysAddr(frame * PAGE_SIZE)
}

/// Takes frames until none is left and returns how many were handed out.
fn exhaust(machine: &mut Machine) -> usize {
    let mut count = 0;
    while machine.phys_alloc(0).is_some() {
        count += 1;
    }
    count
}

/// The digest recomputed from the full entry list.
fn digest_by_walk(machine: &Machine, pmap: PmapId) -> u64 {
    machine
        .page_table_entries(pmap)
        .iter()
        .fold(0u64, |sum, e| {
            sum.wrapping_add(entry_hash(e.level, e.va, e.raw))
        })
}

fn kinds(machine: &Machine) -> Vec<ViolationKind> {
    machine
        .violations()
        .iter()
        .map(|v| v.kind.clone())
        .collect()
}

#[test]
fn slab_geometry_follows_x15_rule() {
    // (object size, align, flags) -> (buf size, slab size, buffers per slab)
    let cases: &[(usize, usize, u32, usize, usize, usize)] = &[
        (80, 0, 0x3, 80, 4096, 50),   // kentry cache: NOCPUPOOL | NOOFFSLAB
        (80, 0, 0, 80, 4096, 50),     // map entry cache: small, header inside
        (112, 0, 0, 112, 4096, 36),   // C's struct vm_map
        (1000, 0, 0, 1000, 4096, 4),  // off-slab allowed, header fits the waste
        (2048, 0, 0, 2048, 16384, 8), // off-slab, no waste: ties go larger
        (3000, 0, 0, 3000, 12288, 4), // least waste at three pages
        (100, 64, 0, 128, 4096, 31),  // alignment rounds the buffer up
        (20, 4, 0, 24, 4096, 169),    // alignment below 8 becomes 8
    ];
    for &(obj, align, flags, buf, slab, buffers) in cases {
        let expected = SlabGeometry {
            buf_size_bytes: buf,
            slab_size_bytes: slab,
            buffers_per_slab: buffers,
        };
        assert_eq!(
            slab_geometry(obj, align, flags),
            expected,
            "object {obj}, align {align}"
        );
    }
}

#[test]
fn kmem_cache_slab_size_reports_the_rule() {
    let mut machine = normal();
    let kentry = machine.kmem_cache_init("vm_map_kentry", 80, 0, 0x3, SlabBackEnd::Kentry);
    let map = machine.kmem_cache_init("vm_map", 112, 0, 0, SlabBackEnd::Default);
    assert_eq!((kentry, map), (CacheId(0), CacheId(1)));
    assert_eq!(machine.kmem_cache_slab_size(kentry), 4096);
    assert_eq!(machine.kmem_cache_slab_size(map), 4096);
    machine.kmem_cache_grow(kentry, KERNEL_START);
    let objects: Vec<_> = (0..51).map(|_| machine.kmem_cache_take(kentry)).collect();
    assert_eq!(objects[0], SlabTake::Object(KERNEL_START));
    assert_eq!(objects[49], SlabTake::Object(KERNEL_START + 49 * 80));
    assert_eq!(
        objects[50],
        SlabTake::NeedSlab {
            slab_size_bytes: 4096
        }
    );
}

#[test]
fn presets_have_documented_bounds() {
    let normal = MachineConfig::normal();
    let tiny = MachineConfig::tiny();
    assert_eq!(normal.kernel_end(), KERNEL_START + 32 * MIB);
    assert_eq!(normal.boot_space(), (KERNEL_START, KERNEL_START + MIB));
    assert_eq!(normal.initial_klimit(), KERNEL_START + 2 * MIB);
    assert_eq!(tiny.initial_klimit(), KERNEL_START + 2 * MIB);
    assert_eq!(tiny.kernel_size_bytes % PAGE_SIZE, 0);
    assert!(
        tiny.kernel_size_bytes <= MAX_KERNEL_SIZE_BYTES
            && normal.kernel_size_bytes <= MAX_KERNEL_SIZE_BYTES
    );
    let exact = MachineConfig {
        boot_size_bytes: 2 * MIB,
        ..normal.clone()
    };
    assert_eq!(
        exact.initial_klimit(),
        KERNEL_START + 4 * MIB,
        "strictly above the boot end"
    );
    let mut machine = Machine::new(tiny.clone());
    assert_eq!(
        machine.kernel_map_bounds(),
        (KERNEL_START, tiny.kernel_end())
    );
    assert_eq!(machine.boot_space(), tiny.boot_space());
    assert_eq!(machine.pmap_klimit(), tiny.initial_klimit());
}

#[test]
fn boot_builds_kernel_tables_over_the_boot_space() {
    let machine = normal();
    let expected = vec![
        TableEntry {
            level: 4,
            va: KERNEL_START,
            raw: pa(2).0 | KERNEL_TABLE_FLAGS,
        },
        TableEntry {
            level: 3,
            va: KERNEL_START,
            raw: pa(3).0 | KERNEL_TABLE_FLAGS,
        },
        TableEntry {
            level: 2,
            va: KERNEL_START,
            raw: pa(4).0 | KERNEL_TABLE_FLAGS,
        },
    ];
    assert_eq!(machine.page_table_entries(PmapId::KERNEL), expected);
    assert_eq!(machine.pmaps(), vec![PmapId::KERNEL]);
    assert!(machine.trace().is_empty() && machine.violations().is_empty());
    assert!((1..=4).all(|frame| machine.frame_is_allocated(pa(frame))));
    assert!(!machine.frame_is_allocated(pa(5)));
}

#[test]
fn allocation_prefers_recently_freed_then_lowest_unused() {
    let mut machine = normal();
    let mut taken = Vec::new();
    let script: &[(bool, u64)] = &[
        (true, 5),
        (true, 6),
        (true, 7),
        (false, 5),
        (false, 7),
        (true, 7),
        (true, 5),
        (true, 8),
    ];
    for &(allocate, frame) in script {
        if allocate {
            taken.push(machine.phys_alloc(0));
            assert_eq!(*taken.last().unwrap(), Some(pa(frame)));
        } else {
            machine.phys_free(pa(frame), 0);
        }
    }
    assert_eq!(machine.phys_alloc(1), None, "only order 0 is supported");
    assert!(machine.violations().is_empty());
}

#[test]
fn frame_zero_is_never_handed_out_and_memory_runs_out() {
    let mut machine = Machine::new(MachineConfig::tiny());
    let mut seen = Vec::new();
    while let Some(page) = machine.phys_alloc(0) {
        seen.push(page);
    }
    assert_eq!(
        seen.len(),
        MachineConfig::tiny().frames as usize - 5,
        "frame 0 and four boot tables"
    );
    assert!(!seen.contains(&PhysAddr(0)));
    assert_eq!(machine.phys_alloc(0), None);
}

#[test]
fn bad_frees_are_violations() {
    let cases: &[(PhysAddr, u32, ViolationKind)] = &[
        (pa(9), 0, ViolationKind::FreeOfFreeFrame { pa: pa(9) }),
        (
            PhysAddr(0),
            0,
            ViolationKind::FreeOfNonFrame { pa: PhysAddr(0) },
        ),
        (
            PhysAddr(0x5008),
            0,
            ViolationKind::FreeOfNonFrame {
                pa: PhysAddr(0x5008),
            },
        ),
        (pa(5000), 0, ViolationKind::FreeOfNonFrame { pa: pa(5000) }),
        (pa(1), 0, ViolationKind::FreeOfPageTable { pa: pa(1) }),
        (
            pa(5),
            1,
            ViolationKind::FreeWithUnsupportedOrder {
                pa: pa(5),
                order: 1,
            },
        ),
    ];
    for (free_pa, order, kind) in cases {
        let mut machine = normal();
        assert_eq!(machine.phys_alloc(0), Some(pa(5)));
        machine.phys_free(*free_pa, *order);
        assert_eq!(
            kinds(&machine),
            vec![kind.clone()],
            "free of {:#x}",
            free_pa.0
        );
        assert_eq!(machine.violations()[0].event_index, 1);
    }
    let mut machine = normal();
    let page = machine.phys_alloc(0).unwrap();
    machine.phys_free(page, 0);
    assert!(machine.violations().is_empty());
    machine.phys_free(page, 0);
    assert_eq!(
        kinds(&machine),
        vec![ViolationKind::FreeOfFreeFrame { pa: page }]
    );
}

/// (end, new tables in allocation order as (level of the entry, va), klimit after)
type KgrowCase = (u64, Vec<(u8, u64)>, u64);

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
    assert!(entries.contains(&TableEntry {
        level: 3,
        va: KERNEL_START + GIB,
        raw: pa(5).0 | KERNEL_TABLE_FLAGS
    }));
    assert!(entries.contains(&TableEntry {
        level: 2,
        va: KERNEL_START + 2 * MIB,
        raw: pa(6).0 | KERNEL_TABLE_FLAGS
    }));
    let level2 = entries.iter().filter(|e| e.level == 2).count();
    assert_eq!(
        level2, 513,
        "512 level-1 tables in the first GiB, one in the second"
    );
    assert_eq!(machine.pmap_klimit(), KERNEL_START + GIB + 2 * MIB);
}

#[test]
fn kgrow_without_pages_fails_and_keeps_the_limit() {
    let plan = FaultPlan {
        failing_phys_allocs: vec![2],
        ..FaultPlan::default()
    };
    let mut machine = with_plan(MachineConfig::tiny(), plan);
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
        TableEntry {
            level: 4,
            va: 0,
            raw: pa(6).0 | USER_TABLE_FLAGS,
        },
        TableEntry {
            level: 3,
            va: 0,
            raw: pa(7).0 | USER_TABLE_FLAGS,
        },
        TableEntry {
            level: 2,
            va: user_va,
            raw: pa(8).0 | USER_TABLE_FLAGS,
        },
        TableEntry {
            level: 1,
            va: user_va,
            raw: pa(100).0 | 0x7,
        },
        TableEntry {
            level: 1,
            va: user_va + PAGE_SIZE,
            raw: pa(101).0 | 0x5,
        },
    ];
    assert_eq!(user_entries, expected_user);
    let kernel_entries = machine.page_table_entries(PmapId::KERNEL);
    assert!(kernel_entries.contains(&TableEntry {
        level: 2,
        va: kernel_va,
        raw: pa(9).0 | KERNEL_TABLE_FLAGS
    }));
    assert!(kernel_entries.contains(&TableEntry {
        level: 1,
        va: kernel_va,
        raw: pa(102).0 | 0x103
    }));
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
fn fault_plan_fails_the_nth_phys_alloc_including_inner_ones() {
    let plan = FaultPlan {
        failing_phys_allocs: vec![2, 4],
        ..FaultPlan::default()
    };
    let mut machine = with_plan(MachineConfig::normal(), plan);
    assert_eq!(machine.phys_alloc(0), Some(pa(5)));
    assert_eq!(
        machine.pmap_create(),
        Err(Error::NoMem),
        "its root is allocation 2"
    );
    assert_eq!(machine.pmap_create(), Ok(PmapId(1)), "allocation 3");
    let object = machine.object_create();
    assert_eq!(
        machine.pager_get(object, 0),
        Err(Error::NoMem),
        "allocation 4"
    );
    assert_eq!(machine.pager_get(object, 0), Ok(pa(7)));
    assert_eq!(machine.object_get(object, 0), Some(pa(7)));
    assert_eq!(machine.object_get(object, PAGE_SIZE), None);
}

#[test]
fn fault_plan_fails_the_nth_slab_allocation_not_its_retry() {
    let plan = FaultPlan {
        failing_cache_allocs: vec![2],
        ..FaultPlan::default()
    };
    let mut machine = with_plan(MachineConfig::normal(), plan);
    let cache = machine.kmem_cache_init("vm_map_entry", 80, 0, 0, SlabBackEnd::Default);
    let slab_va = KERNEL_START + 0x10000;
    assert_eq!(
        machine.kmem_cache_take(cache),
        SlabTake::NeedSlab {
            slab_size_bytes: 4096
        }
    );
    machine.kmem_cache_grow(cache, slab_va);
    assert_eq!(
        machine.kmem_cache_take(cache),
        SlabTake::Object(slab_va),
        "the retry of allocation 1"
    );
    assert_eq!(
        machine.kmem_cache_take(cache),
        SlabTake::Failed,
        "allocation 2"
    );
    assert_eq!(
        machine.kmem_cache_take(cache),
        SlabTake::Object(slab_va + 80),
        "allocation 3"
    );
}

#[test]
fn populate_maps_pages_and_undoes_on_a_missing_page() {
    let va = KERNEL_START + MIB;
    let size = 3 * PAGE_SIZE as usize;
    let plan = FaultPlan {
        failing_phys_allocs: vec![3],
        ..FaultPlan::default()
    };
    let mut machine = with_plan(MachineConfig::normal(), plan);
    let digest_before = machine.page_table_digest(PmapId::KERNEL);
    assert!(!machine.kmem_populate(va, size));
    let expected = vec![
        Event::KmemPopulate {
            va,
            size_bytes: size,
            result: false,
        },
        Event::PhysAlloc {
            order: 0,
            result: Some(pa(5)),
        },
        Event::PmapKenter {
            va,
            pa: pa(5),
            prot: 3,
        },
        Event::PhysAlloc {
            order: 0,
            result: Some(pa(6)),
        },
        Event::PmapKenter {
            va: va + PAGE_SIZE,
            pa: pa(6),
            prot: 3,
        },
        Event::PhysAlloc {
            order: 0,
            result: None,
        },
        Event::PhysFree {
            pa: pa(5),
            order: 0,
        },
        Event::PhysFree {
            pa: pa(6),
            order: 0,
        },
        Event::PmapKremove {
            start: va,
            end: va + size as u64,
        },
    ];
    assert_eq!(machine.trace(), expected.as_slice());
    assert_eq!(machine.page_table_digest(PmapId::KERNEL), digest_before);
    assert!(!machine.frame_is_allocated(pa(5)) && !machine.frame_is_allocated(pa(6)));

    assert!(machine.kmem_populate(va, size));
    assert_eq!(
        machine.trace().last(),
        Some(&Event::PmapUpdate {
            pmap: PmapId::KERNEL,
            start: va,
            end: va + size as u64
        })
    );
    assert_eq!(
        machine.pmap_extract(PmapId::KERNEL, va + 2 * PAGE_SIZE),
        pa(7)
    );
    let mark = machine.trace().len();
    machine.pmap_kremove(va + PAGE_SIZE, va + 2 * PAGE_SIZE);
    machine.kmem_depopulate(va, size);
    let depopulate: Vec<String> = machine.trace()[mark + 1..]
        .iter()
        .map(ToString::to_string)
        .collect();
    let expected = [
        "kmem_depopulate(0x200000100000, 0x3000)",
        "pmap_extract(pmap=0, 0x200000100000) -> 0x6000",
        "phys_lookup(0x6000) -> 0x6000",
        "phys_free(0x6000, order=0)",
        "pmap_extract(pmap=0, 0x200000101000) -> 0x0",
        "pmap_extract(pmap=0, 0x200000102000) -> 0x7000",
        "phys_lookup(0x7000) -> 0x7000",
        "phys_free(0x7000, order=0)",
        "pmap_kremove(0x200000100000, 0x200000103000)",
        "pmap_update(pmap=0, 0x200000100000, 0x200000103000)",
    ];
    assert_eq!(depopulate, expected);
    assert_eq!(machine.page_table_digest(PmapId::KERNEL), digest_before);
    assert!(
        machine.frame_is_allocated(pa(5)),
        "the page unmapped before depopulate is not freed"
    );
    assert!(machine.violations().is_empty());
}

#[test]
fn slabs_prefer_partial_then_lowest_and_reap_in_order() {
    let mut machine = normal();
    let a = machine.kmem_cache_init("a", 80, 0, 0, SlabBackEnd::Kentry);
    let b = machine.kmem_cache_init("b", 112, 0, 0, SlabBackEnd::Default);
    let (low, high, other) = (
        KERNEL_START + 0x1000,
        KERNEL_START + 0x2000,
        KERNEL_START + 0x3000,
    );
    machine.kmem_cache_grow(a, high);
    machine.kmem_cache_grow(a, low);
    machine.kmem_cache_grow(b, other);
    let first = machine.kmem_cache_take(a);
    let second = machine.kmem_cache_take(a);
    assert_eq!(
        (first, second),
        (SlabTake::Object(low), SlabTake::Object(low + 80))
    );
    machine.kmem_cache_free(a, low);
    assert_eq!(
        machine.kmem_cache_take(a),
        SlabTake::Object(low),
        "free objects are LIFO"
    );
    let slabs = machine.slabs();
    let in_use: Vec<_> = slabs
        .iter()
        .map(|s| (s.cache, s.va, s.objects_in_use, s.back_end))
        .collect();
    assert_eq!(
        in_use,
        vec![
            (a, low, 2, SlabBackEnd::Kentry),
            (a, high, 0, SlabBackEnd::Kentry),
            (b, other, 0, SlabBackEnd::Default)
        ]
    );
    let reaped: Vec<_> = std::iter::from_fn(|| machine.kmem_reap_next()).collect();
    assert_eq!(
        reaped,
        vec![
            EmptySlab {
                cache: a,
                va: high,
                size_bytes: 4096
            },
            EmptySlab {
                cache: b,
                va: other,
                size_bytes: 4096
            }
        ]
    );
    machine.kmem_cache_free(a, low);
    machine.kmem_cache_free(a, low + 80);
    assert_eq!(
        machine.kmem_reap_next(),
        Some(EmptySlab {
            cache: a,
            va: low,
            size_bytes: 4096
        })
    );
    assert_eq!(machine.kmem_reap_next(), None);
    assert!(machine.violations().is_empty());
}

#[test]
fn bad_cache_frees_and_slabs_are_violations() {
    let slab = KERNEL_START + 0x4000;
    // (address freed into cache 0) -> violation expected
    let cases: &[(u64, bool)] = &[
        (slab, false),
        (slab + 80, true),
        (slab + 8, true),
        (slab - 80, true),
        (slab + 50 * 80, true),
    ];
    for &(va, violation) in cases {
        let mut machine = normal();
        let cache = machine.kmem_cache_init("c", 80, 0, 0, SlabBackEnd::Kentry);
        machine.kmem_cache_grow(cache, slab);
        assert_eq!(machine.kmem_cache_take(cache), SlabTake::Object(slab));
        machine.kmem_cache_free(cache, va);
        let expected = if violation {
            vec![ViolationKind::CacheFreeOfNonObject { cache, va }]
        } else {
            vec![]
        };
        assert_eq!(kinds(&machine), expected, "free of {va:#x}");
    }
    let mut machine = normal();
    let cache = machine.kmem_cache_init("c", 80, 0, 0, SlabBackEnd::Kentry);
    machine.kmem_cache_grow(cache, slab);
    machine.kmem_cache_grow(cache, slab + 0x800);
    machine.kmem_cache_free(CacheId(7), slab);
    assert_eq!(
        kinds(&machine),
        vec![
            ViolationKind::BadSlab {
                cache,
                va: slab + 0x800
            },
            ViolationKind::UnknownCache { cache: CacheId(7) }
        ]
    );
    assert_eq!(machine.slabs().len(), 1);
}

/// A mixed workload touching every part of the machine.
fn workload(machine: &mut Machine) {
    let kentry = machine.kmem_cache_init("vm_map_kentry", 80, 0, 0x3, SlabBackEnd::Kentry);
    let entries = machine.kmem_cache_init("vm_map_entry", 80, 0, 0, SlabBackEnd::Default);
    machine.boot_space();
    let _ = machine.pmap_kgrow(KERNEL_START + 9 * MIB);
    let slab_va = KERNEL_START + 3 * MIB;
    if let SlabTake::NeedSlab { slab_size_bytes } = machine.kmem_cache_take(entries) {
        if machine.kmem_populate(slab_va, slab_size_bytes) {
            machine.kmem_cache_grow(entries, slab_va);
            machine.kmem_cache_take(entries);
        }
    }
    machine.kmem_cache_take(kentry);
    let user = machine.pmap_create().unwrap_or(PmapId(1));
    let object = machine.object_create();
    for offset in [0, PAGE_SIZE, 0] {
        if machine.object_get(object, offset).is_none() {
            machine.console("vm_map: fault: cache miss\n");
            if let Ok(page) = machine.pager_get(object, offset) {
                let _ = machine.pmap_enter(user, 0x10_0000 + offset, page, 3);
            }
        } else {
            machine.console("vm_map: fault: cache hit\n");
        }
    }
    machine.phys_free(PhysAddr(0), 0);
    while machine.kmem_reap_next().is_some() {}
    machine.kmem_depopulate(slab_va, 4096);
}

/// Everything an oracle can see of a machine, plus its next allocations.
#[derive(Debug, PartialEq)]
struct Observation {
    trace: Vec<Event>,
    console: String,
    violations: Vec<Violation>,
    tables: Vec<(u64, Vec<TableEntry>)>,
    slabs: Vec<SlabInfo>,
    next_allocations: Vec<Option<PhysAddr>>,
}

fn observe(machine: &mut Machine) -> Observation {
    let tables = machine
        .pmaps()
        .into_iter()
        .map(|pmap| {
            (
                machine.page_table_digest(pmap),
                machine.page_table_entries(pmap),
            )
        })
        .collect();
    Observation {
        trace: machine.trace().to_vec(),
        console: machine.console_text().to_owned(),
        violations: machine.violations().to_vec(),
        tables,
        slabs: machine.slabs(),
        next_allocations: (0..4).map(|_| machine.phys_alloc(0)).collect(),
    }
}

#[test]
fn reset_is_equivalent_to_a_fresh_machine() {
    for config in [MachineConfig::normal(), MachineConfig::tiny()] {
        let plan = FaultPlan {
            failing_phys_allocs: vec![3],
            failing_cache_allocs: vec![2],
        };
        let mut fresh = with_plan(config.clone(), plan.clone());
        workload(&mut fresh);
        let expected = observe(&mut fresh);
        assert!(!expected.trace.is_empty() && !expected.console.is_empty());
        assert!(!expected.violations.is_empty() && !expected.slabs.is_empty());

        let mut reused = Machine::new(config.clone());
        workload(&mut reused);
        exhaust(&mut reused);
        reused.reset(plan);
        workload(&mut reused);
        assert_eq!(observe(&mut reused), expected, "{config:?}");
    }
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

#[test]
fn page_descriptors_are_stable_and_only_for_frames() {
    let mut machine = Machine::new(MachineConfig::tiny());
    let descriptor = machine.page_descriptor(pa(7));
    assert!(!descriptor.is_null());
    // SAFETY: the pointer comes from the machine, which is alive and owns
    // the descriptor slice for its whole life.
    assert_eq!(unsafe { (*descriptor).phys_addr }, pa(7).0);
    machine.reset(FaultPlan::default());
    assert_eq!(machine.page_descriptor(pa(7)), descriptor);
    for address in [PhysAddr(0x7008), pa(40), pa(1 << 40)] {
        assert!(
            machine.page_descriptor(address).is_null(),
            "{:#x}",
            address.0
        );
    }
    assert_eq!(machine.phys_lookup(PhysAddr(0x7008)), Some(pa(7)));
    assert_eq!(machine.phys_lookup(pa(40)), None);
}

#[test]
fn events_display_as_one_readable_line() {
    let mut machine = normal();
    machine.phys_alloc(0);
    let object = machine.object_create();
    machine.pager_get(object, 0x2000).unwrap();
    machine.console("vm_map: fault: cache miss\n");
    let cache = machine.kmem_cache_init("vm_map", 112, 0, 0, SlabBackEnd::Default);
    machine.kmem_cache_take(cache);
    let lines: Vec<String> = machine.trace().iter().map(ToString::to_string).collect();
    let expected = [
        "phys_alloc(order=0) -> 0x5000",
        "object_create() -> object=0",
        "pager_get(object=0, 0x2000) -> 0x6000",
        "phys_alloc(order=0) -> 0x6000",
        "console(\"vm_map: fault: cache miss\\n\")",
        "kmem_cache_init(\"vm_map\", size=112, align=0, flags=0x0, Default) -> cache=0",
        "kmem_cache_take(cache=0) -> need slab of 0x1000 bytes",
    ];
    assert_eq!(lines, expected);
    machine.phys_free(pa(5), 0);
    machine.phys_free(pa(5), 0);
    assert_eq!(
        machine.violations()[0].to_string(),
        "at event 8: free of a free frame 0x5000"
    );
}

#[test]
fn both_presets_survive_a_setup_like_sequence() {
    // Roughly what a C-side setup takes: kgrow over the kentry area, four
    // table pages, one kentry slab, two default slabs and a user pmap.
    for config in [MachineConfig::normal(), MachineConfig::tiny()] {
        let mut machine = Machine::new(config.clone());
        let (_, boot_end) = machine.boot_space();
        let kentry_end = boot_end + 8 * MIB + 16 * 1024;
        assert_eq!(machine.pmap_kgrow(kentry_end), Ok(()));
        assert!(machine.kmem_populate(kentry_end - 16 * 1024, 16 * 1024));
        assert!(machine.kmem_populate(boot_end, 4096));
        assert!(machine.kmem_populate(kentry_end, 4096));
        assert!(machine.kmem_populate(kentry_end + 4096, 4096));
        assert!(kentry_end + 8192 <= config.kernel_end());
        assert!(machine.pmap_create().is_ok());
        assert!(
            machine.violations().is_empty(),
            "{:?}",
            machine.violations()
        );
        let left = exhaust(&mut machine);
        assert!(left >= 15, "{config:?} leaves {left} frames");
    }
}

#[test]
fn stray_leaves_are_counted_as_frames_change_hands() {
    let mut machine = normal();
    let va = KERNEL_START;
    let page = machine.phys_alloc(0).expect("a frame");
    // (step, expected stray leaves after it)
    type Step = fn(&mut Machine, PhysAddr);
    let steps: [(&str, Step, u32); 5] = [
        (
            "map an allocated frame",
            |m, page| m.pmap_kenter(KERNEL_START, page, 3),
            0,
        ),
        ("free it while mapped", |m, page| m.phys_free(page, 0), 1),
        (
            "hand it out again",
            |m, _| {
                let _ = m.phys_alloc(0);
            },
            0,
        ),
        ("free it again", |m, page| m.phys_free(page, 0), 1),
        (
            "remove the mapping",
            |m, _| m.pmap_kremove(KERNEL_START, KERNEL_START + PAGE_SIZE),
            0,
        ),
    ];
    for (step, action, expected) in steps {
        action(&mut machine, page);
        assert_eq!(machine.stray_leaf_count(), expected, "{step}");
    }
    // A leaf to a frame never handed out is stray at once; reset forgets it.
    machine.pmap_kenter(va, pa(900), 3);
    assert_eq!(machine.stray_leaf_count(), 1);
    machine.reset(FaultPlan::default());
    assert_eq!(machine.stray_leaf_count(), 0);
}

#[test]
fn event_text_begins_with_the_kind_name() {
    let cases = [
        (
            Event::BootSpace {
                start: 0x1000,
                end: 0x2000,
            },
            "boot_space() -> 0x1000-0x2000",
        ),
        (
            Event::PhysAlloc {
                order: 0,
                result: None,
            },
            "phys_alloc(order=0) -> NULL",
        ),
        (
            Event::PmapKgrow {
                end: 0x3000,
                result: Err(NoPageForPageTable),
            },
            "pmap_kgrow(0x3000) -> no page for page table",
        ),
        (
            Event::PmapCreate {
                result: Err(Error::NoMem),
            },
            "pmap_create() -> ERROR_NOMEM",
        ),
        (
            Event::KmemReapNext { result: None },
            "kmem_reap_next() -> none",
        ),
        (
            Event::PagerGet {
                object: ObjectId(2),
                offset: 0x4000,
                result: Err(Error::Fault),
            },
            "pager_get(object=2, 0x4000) -> ERROR_FAULT",
        ),
        (
            Event::Console {
                text: "hi\n".to_string(),
            },
            "console(\"hi\\n\")",
        ),
    ];
    for (event, text) in cases {
        assert_eq!(event.to_string(), text);
        assert!(text.starts_with(&format!("{}(", event.kind().name())));
    }
}

#[test]
fn event_kind_names_are_distinct_and_parse_back() {
    for kind in EventKind::ALL {
        assert_eq!(EventKind::from_name(kind.name()), Some(kind));
    }
    assert_eq!(EventKind::from_name("phys"), None);
}

fn future_hash(machine: &Machine) -> u64 {
    let mut hasher = std::hash::DefaultHasher::new();
    machine.hash_future(&mut hasher);
    std::hash::Hasher::finish(&hasher)
}

/// Takes two frames and frees them in the given order (`true`: the first
/// one taken is freed first); optionally prints on the console.
fn take_two_and_free(first_taken_first: bool, print: bool) -> Machine {
    let mut machine = normal();
    let (a, b) = (
        machine.phys_alloc(0).unwrap(),
        machine.phys_alloc(0).unwrap(),
    );
    let order = if first_taken_first { [a, b] } else { [b, a] };
    for frame in order {
        machine.phys_free(frame, 0);
    }
    if print {
        machine.console("hello\n");
    }
    machine
}

#[test]
fn the_future_hash_tells_machines_apart_exactly_when_they_behave_differently() {
    // (first machine, second machine, same future)
    let cases = [
        // the order freed frames come back in decides the next frames
        (
            take_two_and_free(true, false),
            take_two_and_free(false, false),
            false,
        ),
        // the console only grows: nothing reads it back
        (
            take_two_and_free(true, false),
            take_two_and_free(true, true),
            true,
        ),
        (take_two_and_free(true, false), normal(), false),
        (normal(), normal(), true),
    ];
    for (index, (first, second, same)) in cases.iter().enumerate() {
        assert_eq!(
            future_hash(first) == future_hash(second),
            *same,
            "case {index}"
        );
    }
}
