//! The port's behaviours of issue 3, each run side by side with the C on a
//! readable seed program of `corpus/seeds/`: the runner proves results,
//! traces, entry layouts and page tables equal, and each case also checks
//! the specific behaviour it is about, with values worked out from the
//! seed's source (so that both sides being wrong the same way fails too).

use harness::corpus;
use harness::runner::{Runner, StepRecord, Verdict};
use harness::side::{c::CSide, rust::RustSide, Side};
use sim::MachineConfig;
use vm_rs::{EntryState, MapState};

/// Runs a seed; returns its recorded steps and the C's trace as text lines.
fn run_seed(name: &str) -> (Vec<StepRecord>, Vec<String>, String) {
    let path = corpus::default_root().join("seeds").join(name);
    let entry = corpus::load_file(&path).unwrap_or_else(|error| panic!("{error}"));
    let mut runner = Runner::new(CSide::new(), RustSide::new(&MachineConfig::normal()));
    runner.log = Some(Vec::new());
    let verdict = runner.run(&entry.program);
    assert!(
        matches!(verdict, Verdict::Equivalent),
        "{name}: {verdict:?}"
    );
    let trace = runner
        .c
        .machine()
        .trace()
        .iter()
        .map(ToString::to_string)
        .collect();
    let console = runner.c.machine().console_text().to_string();
    (runner.log.take().unwrap_or_default(), trace, console)
}

/// The outcome of operation `index`, as the report prints it.
fn outcome(steps: &[StepRecord], index: usize) -> String {
    let step = steps
        .iter()
        .find(|step| step.op_index == Some(index))
        .expect("the operation ran");
    step.c_outcome.to_string()
}

/// The C's map `map` after the last step.
fn final_map(steps: &[StepRecord], map: usize) -> MapState {
    steps.last().expect("a step").c_maps[map].clone()
}

fn ranges(map: &MapState) -> Vec<(u64, u64, u64)> {
    map.entries
        .iter()
        .map(|e: &EntryState| (e.start, e.end, e.offset))
        .collect()
}

#[test]
fn outcomes_of_the_search_cases() {
    let cases: &[(&str, usize, &str)] = &[
        // Entries at 0x1000, 0x4000 and 0x8000 leave gaps 0-0x1000,
        // 0x2000-0x4000, ...; a request the size of the second (0x2000)
        // skips the first, too small, and fills the second exactly.
        ("02-exact-gap-fill.ops", 5, "ok start=0x2000"),
        // A hint inside an entry falls back to the first fit at 0.
        ("03-hint-does-not-fit.ops", 3, "ok start=0x0"),
        // The same request FIXED there fails.
        ("03-hint-does-not-fit.ops", 4, "error 1 (ERROR_NOMEM)"),
        // 64 KiB alignment skips the misaligned gap 0x1000-0x5000 and the
        // entry up to 0x19000.
        ("04-alignment-skips-gap.ops", 4, "ok start=0x20000"),
        // A fault with no page cached: success; then ERROR_FAULT outside any
        // entry, ERROR_ACCES for a write to a read-only entry.
        ("08-faults.ops", 3, "ok"),
        ("08-faults.ops", 5, "error 5 (ERROR_FAULT)"),
        ("08-faults.ops", 6, "error 6 (ERROR_ACCES)"),
        (
            "13-precondition.ops",
            1,
            "assertion failed: vm_page_aligned(request->size)",
        ),
    ];
    for (seed, index, expected) in cases {
        let (steps, _, _) = run_seed(seed);
        assert_eq!(
            outcome(&steps, *index),
            *expected,
            "{seed} operation {index}"
        );
    }
}

#[test]
fn merging_on_both_sides_leaves_one_entry() {
    let (steps, trace, _) = run_seed("05-merge-both-sides.ops");
    let merged: Vec<_> = ranges(&final_map(&steps, 0))
        .into_iter()
        .filter(|r| r.0 >= 0x2000_0100_0000)
        .collect();
    assert_eq!(merged, vec![(0x2000_0100_0000, 0x2000_0100_6000, 0)]);
    // Merging with both neighbours destroys the second entry's object.
    assert!(
        trace
            .iter()
            .any(|line| line.starts_with("kmem_cache_free(cache=0")),
        "{trace:#?}"
    );
}

#[test]
fn removes_clip_and_span() {
    let (steps, _, _) = run_seed("06-remove-spanning-from-gap.ops");
    assert_eq!(
        ranges(&final_map(&steps, 1)),
        vec![(0x2000, 0x3000, 0), (0xa000, 0xc000, 0x2000)]
    );
    let (steps, _, _) = run_seed("07-remove-clips-in-three.ops");
    let expected = vec![
        (0x1000, 0x2000, 0),
        (0x10000, 0x12000, 0x3000),
        (0x14000, 0x18000, 0x7000),
    ];
    assert_eq!(ranges(&final_map(&steps, 1)), expected);
}

#[test]
fn faults_print_miss_then_hit() {
    let (_, _, console) = run_seed("08-faults.ops");
    let faults: Vec<&str> = console
        .lines()
        .filter(|line| line.starts_with("vm_map: fault"))
        .collect();
    assert_eq!(
        faults,
        ["vm_map: fault: cache miss", "vm_map: fault: cache hit"]
    );
}

#[test]
fn kernel_growth_and_kentry_slabs() {
    let (_, trace, _) = run_seed("09-kernel-growth.ops");
    assert!(
        trace.iter().any(|line| line.starts_with("pmap_kgrow(")),
        "no kgrow in {trace:#?}"
    );
    let (_, trace, _) = run_seed("10-kentry-slab-fill-and-reap.ops");
    let kentry_slabs = trace
        .iter()
        .filter(|line| line.starts_with("kmem_cache_grow(cache=0"))
        .count();
    assert!(kentry_slabs >= 2, "{kentry_slabs} kentry slabs");
    assert!(
        trace.iter().any(|line| line.starts_with("kmem_reap_next")),
        "no reap"
    );
}

#[test]
fn tiny_machine_panics_on_the_fault_that_finds_no_page() {
    let (steps, _, _) = run_seed("11-tiny-exhaustion.ops");
    let last = steps.last().expect("a step");
    assert_eq!(
        last.c_outcome.to_string(),
        "panic: vm_map: unable to create physical mapping"
    );
    assert_eq!(last.c_outcome, last.rust_outcome);
}
