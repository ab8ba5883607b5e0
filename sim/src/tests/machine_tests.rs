//! The machine as a whole: the presets' bounds, reset against a fresh machine, a set-up-like sequence on both presets, and the hash of what decides its future.

use super::*;

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

/// A mixed workload touching every part of the machine.
fn workload(machine: &mut Machine) {
    let kentry = machine.kmem_cache_init(CacheSpec::new(
        "vm_map_kentry",
        80,
        0,
        0x3,
        SlabBackEnd::Kentry,
    ));
    let entries = machine.kmem_cache_init(CacheSpec::new(
        "vm_map_entry",
        80,
        0,
        0,
        SlabBackEnd::Default,
    ));
    machine.boot_space();
    let _ = machine.pmap_kgrow(KERNEL_START + 9 * MIB);
    let slab_va = KERNEL_START + 3 * MIB;
    if let SlabTake::NeedSlab {
        slab_size_bytes, ..
    } = machine.kmem_cache_take(entries)
    {
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

/// The spare machines a side keeps stay in one order, whatever the order of
/// the switches that put them there (a persistent fuzzer sees the search
/// for a spare as coverage, which must not depend on earlier inputs).
#[test]
fn spares_stay_in_one_order_whatever_the_switches() {
    let presets = [
        MachineConfig::normal(),
        MachineConfig::tiny(),
        MachineConfig::scarce(),
    ];
    let orders: [[usize; 4]; 2] = [[1, 2, 0, 2], [2, 1, 0, 1]];
    let spare_orders: Vec<Vec<(u32, u64, u64)>> = orders
        .iter()
        .map(|switches| {
            let mut machine = Machine::new(presets[0].clone());
            let mut spares = Vec::new();
            for &preset in switches {
                machine.switch_config(&presets[preset], &mut spares);
                assert_eq!(machine.config(), &presets[preset]);
            }
            machine.switch_config(&presets[0], &mut spares);
            spares
                .iter()
                .map(|spare| spare.config().order_key())
                .collect()
        })
        .collect();
    assert_eq!(
        spare_orders[0].len(),
        2,
        "one spare a preset but the current one"
    );
    assert_eq!(spare_orders[0], spare_orders[1]);
    assert!(spare_orders[0].is_sorted(), "{:?}", spare_orders[0]);
}

/// Console events take their text from strings the machine keeps: after a
/// reset, the spares are the same whatever the last program printed (so
/// that the next program's lines allocate the same, which AFL++'s
/// stability needs), and a reused string holds only its new line.
#[test]
fn reset_keeps_the_same_console_lines_whatever_was_printed() {
    let spares_after = |lines: usize, line: &str| {
        let mut machine = normal();
        (0..lines).for_each(|_| machine.console(line));
        machine.reset(FaultPlan::default());
        machine.console_line_capacities()
    };
    let untouched = spares_after(0, "");
    assert!(untouched.len() > 1 && untouched.iter().all(|&bytes| bytes == untouched[0]));
    let long_line = "x".repeat(3 * untouched[0]);
    assert_eq!(spares_after(2 * untouched.len(), &long_line), untouched);
    assert_eq!(spares_after(3, "vm_map: short\n"), untouched);

    let mut machine = normal();
    machine.console(&long_line);
    machine.reset(FaultPlan::default());
    machine.console("second\n");
    assert_eq!(
        machine.trace().last(),
        Some(&Event::Console {
            text: "second\n".to_owned()
        })
    );
}
