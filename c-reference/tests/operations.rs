//! Operations on the C instance: enter, remove, fault, reap, info, the
//! entry layer's refusals, panics and assertions as outcomes, determinism,
//! and the lock that keeps parallel tests apart.

mod common;

use c_reference::{CReference, MapHandle, Outcome, Refusal};
use common::*;
use sim::{Event, FaultPlan, MachineConfig, ObjectId, PhysAddr, PmapId};
use vm_rs::{KentryLink, KentrySlot};

/// End of the kentry area (boot space 1 MiB on `normal`).
const KENTRY_END: u64 = kva((1 << 20) + KENTRY_AREA_BYTES + KENTRY_TABLE_BYTES);

/// One kernel-map operation and the kernel map's entries after it beyond
/// the boot and kentry entries.
struct KernelStep {
    what: &'static str,
    op: KernelOp,
    outcome: Outcome<u64>,
    after: Vec<(u64, u64, i32)>,
}

/// What a [`KernelStep`] does: exactly one enter or one remove.
enum KernelOp {
    /// A null mapping: hint, size and flags.
    Enter(u64, u64, i32),
    /// A remove of `[start, end)`.
    Remove(u64, u64),
}

const RO_KERNEL: i32 = flags(PROT_READ, PROT_ALL, INHERIT_NONE, 0);

#[test]
fn kernel_null_mappings_are_first_fit_and_merge() {
    let k = KENTRY_END;
    let steps = [
        KernelStep {
            what: "first fit after the kentry area (NOMERGE there: no merge)",
            op: KernelOp::Enter(0, 2 * PAGE, KERNEL_NULL),
            outcome: Outcome::Ok(k),
            after: vec![(k, k + 2 * PAGE, KERNEL_NULL)],
        },
        KernelStep {
            what: "adjacent with the same flags: merged",
            op: KernelOp::Enter(0, PAGE, KERNEL_NULL),
            outcome: Outcome::Ok(k + 2 * PAGE),
            after: vec![(k, k + 3 * PAGE, KERNEL_NULL)],
        },
        KernelStep {
            what: "adjacent with other flags: a new entry",
            op: KernelOp::Enter(0, PAGE, RO_KERNEL),
            outcome: Outcome::Ok(k + 3 * PAGE),
            after: vec![
                (k, k + 3 * PAGE, KERNEL_NULL),
                (k + 3 * PAGE, k + 4 * PAGE, RO_KERNEL),
            ],
        },
        KernelStep {
            what: "a hole at the front (removal resets the find cache)",
            op: KernelOp::Remove(k, k + PAGE),
            outcome: Outcome::Ok(0),
            after: vec![
                (k + PAGE, k + 3 * PAGE, KERNEL_NULL),
                (k + 3 * PAGE, k + 4 * PAGE, RO_KERNEL),
            ],
        },
        KernelStep {
            what: "first fit fills the hole and merges with the next entry",
            op: KernelOp::Enter(0, PAGE, KERNEL_NULL),
            outcome: Outcome::Ok(k),
            after: vec![
                (k, k + 3 * PAGE, KERNEL_NULL),
                (k + 3 * PAGE, k + 4 * PAGE, RO_KERNEL),
            ],
        },
        KernelStep {
            what: "a hint inside the map is tried first",
            op: KernelOp::Enter(k + 8 * PAGE, PAGE, KERNEL_NULL),
            outcome: Outcome::Ok(k + 8 * PAGE),
            after: vec![
                (k, k + 3 * PAGE, KERNEL_NULL),
                (k + 3 * PAGE, k + 4 * PAGE, RO_KERNEL),
                (k + 8 * PAGE, k + 9 * PAGE, KERNEL_NULL),
            ],
        },
        KernelStep {
            what: "a fixed mapping over an entry fails",
            op: KernelOp::Enter(k, PAGE, KERNEL_NULL | FIXED),
            outcome: Outcome::Error(ERROR_NOMEM),
            after: vec![
                (k, k + 3 * PAGE, KERNEL_NULL),
                (k + 3 * PAGE, k + 4 * PAGE, RO_KERNEL),
                (k + 8 * PAGE, k + 9 * PAGE, KERNEL_NULL),
            ],
        },
    ];
    let mut reference = set_up(MachineConfig::normal());
    for step in steps {
        let outcome = match step.op {
            KernelOp::Enter(hint, size, flags) => {
                reference.enter(MapHandle::KERNEL, None, 0, hint, size, 0, flags)
            }
            KernelOp::Remove(start, end) => {
                reference.remove(MapHandle::KERNEL, start, end).map(|()| 0)
            }
        };
        assert_eq!(outcome, step.outcome, "{}", step.what);
        let kernel = snapshot(&reference, MapHandle::KERNEL);
        check_consistent(&kernel);
        assert_eq!(&layout(&kernel)[2..], step.after, "{}", step.what);
    }
}

#[test]
fn an_object_on_the_kernel_map_is_invalid() {
    let mut reference = set_up(MachineConfig::normal());
    let object = reference.create_object().ok().expect("an object");
    let outcome = reference.enter(MapHandle::KERNEL, Some(object), 0, 0, PAGE, 0, KERNEL_NULL);
    assert_eq!(outcome, Outcome::Error(ERROR_INVAL));
    assert_eq!(snapshot(&reference, MapHandle::KERNEL).nr_entries, 2);
}

/// Failed assertions come back with the expression as written (macros
/// unexpanded, line breaks folded), and kill the instance.
#[test]
fn failed_assertions_name_the_expression() {
    type Operation = fn(&mut CReference, MapHandle) -> Outcome<()>;
    let cases: [(&str, Operation); 6] = [
        ("!(request->flags & VM_MAP_NOMERGE)", |r, _| {
            r.enter(MapHandle::KERNEL, None, 0, 0, PAGE, 0, KERNEL_NULL | NOMERGE).map(drop)
        }),
        ("request->size > 0", |r, map| r.enter(map, None, 0, 0, 0, 0, USER_RW).map(drop)),
        ("vm_page_aligned(request->size)", |r, map| {
            r.enter(map, None, 0, 0, 100, 0, USER_RW).map(drop)
        }),
        (
            "(VM_MAP_PROT(request->flags) & VM_MAP_MAXPROT(request->flags)) == VM_MAP_PROT(request->flags)",
            |r, map| r.enter(map, None, 0, 0, PAGE, 0, flags(PROT_ALL, PROT_READ, 0, 0)).map(drop),
        ),
        ("start < end", |r, map| r.remove(map, PAGE, PAGE)),
        ("map != kernel_map", |r, _| r.fault(MapHandle::KERNEL, kva(0), PROT_READ)),
    ];
    let mut reference = set_up(MachineConfig::normal());
    for (expression, operation) in cases {
        let setup = reference.reset(&MachineConfig::normal(), FaultPlan::default());
        assert_eq!(setup, Outcome::Ok(()));
        let map = reference.create_map().ok().expect("a user map");
        let outcome = operation(&mut reference, map);
        assert_eq!(
            outcome,
            Outcome::Panicked(format!("assertion failed: {expression}"))
        );
        assert!(reference.is_dead());
    }
}

/// Makes the instance panic: `vm_map_enter` asserts that no enter asks
/// for no merging.
fn panic_the_instance(reference: &mut CReference) {
    let panicked = reference.enter(
        MapHandle::KERNEL,
        None,
        0,
        0,
        PAGE,
        0,
        KERNEL_NULL | NOMERGE,
    );
    assert!(matches!(panicked, Outcome::Panicked(_)), "{panicked:?}");
}

#[test]
fn a_dead_instance_refuses_everything_until_reset() {
    let mut reference = set_up(MachineConfig::normal());
    panic_the_instance(&mut reference);
    let dead = Outcome::Refused(Refusal::Dead);
    assert_eq!(reference.create_map(), dead.clone().map(|()| MapHandle(0)));
    assert_eq!(
        reference.create_object(),
        dead.clone().map(|()| ObjectId(0))
    );
    assert_eq!(
        reference.enter(MapHandle::KERNEL, None, 0, 0, PAGE, 0, KERNEL_NULL),
        dead.clone().map(|()| 0)
    );
    assert_eq!(
        reference.remove(MapHandle::KERNEL, KENTRY_END, KENTRY_END + PAGE),
        dead
    );
    assert_eq!(reference.info(MapHandle::KERNEL), dead);
    assert_eq!(reference.reap(), dead);
    // The state can still be looked at.
    assert_eq!(snapshot(&reference, MapHandle::KERNEL).nr_entries, 2);

    assert_eq!(
        reference.reset(&MachineConfig::normal(), FaultPlan::default()),
        Outcome::Ok(())
    );
    assert!(!reference.is_dead());
    let entered = reference.enter(MapHandle::KERNEL, None, 0, 0, PAGE, 0, KERNEL_NULL);
    assert_eq!(entered, Outcome::Ok(KENTRY_END));
}

#[test]
fn the_next_instance_after_a_panic_runs_normally() {
    {
        let mut reference = set_up(MachineConfig::normal());
        panic_the_instance(&mut reference);
    }
    let mut reference = set_up(MachineConfig::normal());
    assert_eq!(reference.create_map(), Outcome::Ok(MapHandle(1)));
}

#[test]
fn removing_the_middle_of_an_entry_keeps_object_offsets() {
    let mut reference = set_up(MachineConfig::normal());
    let map = reference.create_map().ok().expect("a user map");
    let object = reference.create_object().ok().expect("an object");
    let start = 0x10_0000;
    let entered = reference.enter(map, Some(object), 0x1_0000, start, 0x1_0000, 0, USER_RW);
    assert_eq!(entered, Outcome::Ok(start));
    assert_eq!(
        reference.remove(map, start + 0x4000, start + 0x8000),
        Outcome::Ok(())
    );
    let user = snapshot(&reference, map);
    check_consistent(&user);
    let entries: Vec<_> = user
        .list
        .iter()
        .map(|e| (e.start, e.end, e.object, e.offset))
        .collect();
    assert_eq!(
        entries,
        [
            (start, start + 0x4000, Some(object), 0x1_0000),
            (start + 0x8000, start + 0x1_0000, Some(object), 0x1_8000),
        ]
    );
    assert_eq!(user.size, 0xc000);
}

/// The leaf mapping `va` in `pmap`, if any.
fn leaf(reference: &CReference, pmap: PmapId, va: u64) -> Option<u64> {
    let entries = reference.machine().page_table_entries(pmap);
    entries
        .iter()
        .find(|e| e.level == 1 && e.va == va)
        .map(|e| e.raw)
}

#[test]
fn faults_go_through_the_pager_then_the_cache() {
    let mut reference = set_up(MachineConfig::normal());
    let map = reference.create_map().ok().expect("a user map");
    let pmap = reference.map_pmap(map).expect("a pmap");
    let object = reference.create_object().ok().expect("an object");
    assert_eq!(
        reference.enter(map, Some(object), 0, 0x1_0000, 0x4000, 0, USER_RW),
        Outcome::Ok(0x1_0000)
    );
    assert_eq!(
        reference.enter(map, Some(object), 0x4000, 0x2_0000, PAGE, 0, USER_RO),
        Outcome::Ok(0x2_0000)
    );

    assert_eq!(reference.fault(map, 0x1_1123, PROT_READ), Outcome::Ok(()));
    let paged = reference
        .machine()
        .trace()
        .iter()
        .find_map(|event| match event {
            Event::PagerGet {
                object: o,
                offset: 0x1000,
                result: Ok(pa),
            } if *o == object => Some(*pa),
            _ => None,
        });
    let page = paged.expect("the pager allocated the page");
    assert_eq!(
        reference.machine().console_text(),
        "vm_map: fault: cache miss\n"
    );
    assert_eq!(
        leaf(&reference, pmap, 0x1_1000),
        Some(page.0 | 0x7),
        "P|RW|US"
    );

    assert_eq!(reference.fault(map, 0x1_1000, PROT_WRITE), Outcome::Ok(()));
    let console = "vm_map: fault: cache miss\nvm_map: fault: cache hit\n";
    assert_eq!(reference.machine().console_text(), console);

    let cases = [
        (0x3_0000, PROT_READ, Outcome::Error(ERROR_FAULT)),
        (0x1_4000, PROT_READ, Outcome::Error(ERROR_FAULT)),
        (0x2_0000, PROT_WRITE, Outcome::Error(ERROR_ACCES)),
        (0x2_0000, PROT_READ, Outcome::Ok(())),
    ];
    for (addr, access, expected) in cases {
        assert_eq!(
            reference.fault(map, addr, access),
            expected,
            "fault at {addr:#x}"
        );
    }
    let read_only = leaf(&reference, pmap, 0x2_0000).expect("mapped");
    assert_eq!(read_only & 0xfff, 0x5, "P|US");
    assert!(reference
        .machine()
        .frame_is_allocated(PhysAddr(read_only & !0xfff)));
}

#[test]
fn tiny_machine_exhaustion_panics_with_the_seeds_message() {
    let mut reference = set_up(MachineConfig::tiny());
    let map = reference.create_map().ok().expect("a user map");
    let object = reference.create_object().ok().expect("an object");
    assert_eq!(
        reference.enter(map, Some(object), 0, 0, 0x10_0000, 0, USER_RW),
        Outcome::Ok(0)
    );
    // Use up physical memory: the anonymous pager reports ERROR_NOMEM.
    let exhausted = (0..256)
        .map(|page| reference.fault(map, page * PAGE, PROT_READ))
        .find(|outcome| !outcome.is_ok());
    assert_eq!(exhausted, Some(Outcome::Error(ERROR_NOMEM)));
    // Kernel entries that cannot merge fill kentry slab 0; the next slab
    // needs a page.
    let alternating = [KERNEL_NULL, RO_KERNEL];
    let outcome = (0..64)
        .map(|i| reference.enter(MapHandle::KERNEL, None, 0, 0, PAGE, 0, alternating[i % 2]))
        .find(|outcome| !outcome.is_ok());
    assert_eq!(
        outcome,
        Some(Outcome::Panicked(
            "vm_map: no physical page for kentry cache".to_owned()
        ))
    );
    assert!(reference.is_dead());
}

#[test]
fn failing_cache_allocations_follow_the_seeds_paths() {
    let cases = [
        // vm_map_create's own allocation fails: ERROR_NOMEM.
        (1, Outcome::Error(ERROR_NOMEM)),
        // The kernel map entry for the new vm_map slab cannot be allocated.
        (
            2,
            Outcome::Panicked("vm_map: can't create map entry".to_owned()),
        ),
    ];
    for (failing, expected) in cases {
        let plan = FaultPlan {
            failing_cache_allocs: vec![failing],
            ..FaultPlan::default()
        };
        let (mut reference, setup) = CReference::new(MachineConfig::normal(), plan);
        assert_eq!(setup, Outcome::Ok(()));
        assert_eq!(
            reference.create_map(),
            expected,
            "cache allocation {failing}"
        );
    }
}

#[test]
fn reap_returns_an_empty_kentry_slab_through_the_seed() {
    let mut reference = set_up(MachineConfig::normal());
    let entered = reference.enter(MapHandle::KERNEL, None, 0, 0, PAGE, 0, RO_KERNEL);
    assert_eq!(entered, Outcome::Ok(KENTRY_END));
    let slab_va = kva(1 << 20);
    let slab_leaf = leaf(&reference, PmapId::KERNEL, slab_va).expect("slab 0 is mapped");
    let slab_frame = PhysAddr(slab_leaf & 0x000f_ffff_ffff_f000);
    assert_eq!(
        reference.kentry_state().expect("set up").slots()[0],
        KentrySlot::Allocated
    );

    assert_eq!(
        reference.remove(MapHandle::KERNEL, KENTRY_END, KENTRY_END + PAGE),
        Outcome::Ok(())
    );
    let before_reap = reference.machine().trace().len();
    assert_eq!(reference.reap(), Outcome::Ok(()));

    assert!(!reference.machine().frame_is_allocated(slab_frame));
    assert_eq!(leaf(&reference, PmapId::KERNEL, slab_va), None);
    let table = reference.kentry_state().expect("set up");
    assert_eq!(table.free_head(), KentryLink::Slab(0));
    assert_eq!(table.allocated().count(), 0);
    assert_eq!(table.free_list().len(), 2048);
    // vm_map_kentry_free's own calls, in its order.
    let reaped = &reference.machine().trace()[before_reap..];
    assert!(matches!(
        reaped.first(),
        Some(Event::KmemReapNext { result: Some(_) })
    ));
    assert!(reaped
        .iter()
        .any(|e| matches!(e, Event::PhysFree { pa, .. } if *pa == slab_frame)));
    assert!(matches!(
        reaped.last(),
        Some(Event::KmemReapNext { result: None })
    ));
}

#[test]
fn refusals_keep_the_tables_bounded() {
    let mut reference = set_up(MachineConfig::normal());
    for handle in 1..=c_reference::MAX_USER_MAPS {
        assert_eq!(reference.create_map(), Outcome::Ok(MapHandle(handle)));
    }
    assert_eq!(
        reference.create_map(),
        Outcome::Refused(Refusal::TooManyMaps)
    );
    for id in 0..c_reference::MAX_OBJECTS {
        assert_eq!(reference.create_object(), Outcome::Ok(ObjectId(id)));
    }
    assert_eq!(
        reference.create_object(),
        Outcome::Refused(Refusal::TooManyObjects)
    );
    let unknown_map = MapHandle(c_reference::MAX_USER_MAPS + 1);
    assert_eq!(
        reference.info(unknown_map),
        Outcome::Refused(Refusal::UnknownMap)
    );
    assert_eq!(reference.map_state(unknown_map), None);
    let unknown_object = Some(ObjectId(c_reference::MAX_OBJECTS));
    let outcome = reference.enter(MapHandle(1), unknown_object, 0, 0, PAGE, 0, USER_RW);
    assert_eq!(outcome, Outcome::Refused(Refusal::UnknownObject));
    assert!(!reference.is_dead());
    assert_eq!(reference.map_count(), c_reference::MAX_USER_MAPS + 1);
}

/// Everything observable after running a mixed program.
#[derive(Debug, PartialEq)]
struct Observation {
    outcomes: Vec<Outcome<u64>>,
    trace: Vec<Event>,
    console: String,
    maps: Vec<vm_rs::MapState>,
    kentry: Option<vm_rs::KentryState>,
    /// The most entries any map had after an operation.
    most_entries: u32,
}

/// Runs a mixed program of `length` operations from `seed`, checking after
/// each one that every map's list and tree agree.
fn run_mixed_program(reference: &mut CReference, seed: u64, length: usize) -> Observation {
    // fastrand's generator: the same operations for the same seed.
    let mut random = fastrand::Rng::with_seed(seed);
    let mut outcomes = Vec::new();
    let map = reference.create_map().ok().expect("a user map");
    let objects = [(); 3].map(|()| reference.create_object().ok().expect("an object"));
    let maps = [MapHandle::KERNEL, map];
    let mut most_entries = 0;
    for _ in 0..length {
        let target = maps[random.u64(..2) as usize];
        let base = if target == MapHandle::KERNEL {
            KENTRY_END
        } else {
            0x10_0000
        };
        let start = base + random.u64(..64) * PAGE;
        let size = (1 + random.u64(..8)) * PAGE;
        let outcome = match random.u64(..5) {
            0 | 1 if target == MapHandle::KERNEL => {
                let prot = [KERNEL_NULL, RO_KERNEL][random.u64(..2) as usize];
                let hint = if random.u64(..2) == 0 { 0 } else { start };
                reference.enter(target, None, 0, hint, size, 0, prot)
            }
            0 | 1 => {
                // User mappings always have an object: null mappings are
                // the kernel's (faulting one is a failed assertion).
                let object = objects[random.u64(..3) as usize];
                let prot = [USER_RW, USER_RO][random.u64(..2) as usize];
                let hint = if random.u64(..2) == 0 { 0 } else { start };
                reference.enter(
                    target,
                    Some(object),
                    random.u64(..4) * PAGE,
                    hint,
                    size,
                    0,
                    prot,
                )
            }
            2 => reference.remove(target, start, start + size).map(|()| 0),
            3 if target != MapHandle::KERNEL => {
                reference.fault(target, start, PROT_READ).map(|()| 0)
            }
            3 => reference.reap().map(|()| 0),
            _ => reference.info(target).map(|()| 0),
        };
        outcomes.push(outcome);
        for handle in maps {
            let map = snapshot(reference, handle);
            check_consistent(&map);
            most_entries = most_entries.max(map.nr_entries);
        }
    }
    Observation {
        outcomes,
        trace: reference.machine().trace().to_vec(),
        console: reference.machine().console_text().to_owned(),
        maps: maps
            .iter()
            .map(|&handle| snapshot(reference, handle))
            .collect(),
        kentry: reference.kentry_state(),
        most_entries,
    }
}

#[test]
fn list_order_and_tree_order_agree_through_mixed_programs() {
    let mut reference = set_up(MachineConfig::normal());
    for seed in 1..=8 {
        reference.reset(&MachineConfig::normal(), FaultPlan::default());
        let observation = run_mixed_program(&mut reference, seed, 120);
        assert!(
            observation.outcomes.iter().any(|o| o.is_ok()),
            "seed {seed} did something"
        );
        let panicked = observation
            .outcomes
            .iter()
            .find(|o| matches!(o, Outcome::Panicked(_)));
        assert_eq!(panicked, None, "seed {seed}");
        assert!(
            observation.most_entries >= 12,
            "seed {seed} built a real tree"
        );
    }
}

#[test]
fn the_same_program_gives_the_same_observation() {
    // Seed 44's program faults four times (the console says so below).
    const SEED: u64 = 44;
    let mut reference = set_up(MachineConfig::normal());
    let first = run_mixed_program(&mut reference, SEED, 60);
    reference.reset(&MachineConfig::normal(), FaultPlan::default());
    let second = run_mixed_program(&mut reference, SEED, 60);
    assert_eq!(first, second);
    assert!(
        first.console.contains("vm_map: fault:"),
        "the program faulted"
    );
    drop(reference);
    let mut fresh = set_up(MachineConfig::normal());
    assert_eq!(run_mixed_program(&mut fresh, SEED, 60), first);
}

#[test]
fn parallel_threads_take_turns() {
    let expected = {
        let mut reference = set_up(MachineConfig::normal());
        run_mixed_program(&mut reference, 7, 40)
    };
    let threads: Vec<_> = (0..4)
        .map(|_| {
            std::thread::spawn(|| {
                let mut reference = set_up(MachineConfig::normal());
                run_mixed_program(&mut reference, 7, 40)
            })
        })
        .collect();
    for thread in threads {
        assert_eq!(thread.join().expect("the thread ran"), expected);
    }
}
