//! The shrinker on fake predicates (no C needed): it keeps the property,
//! reaches a local minimum, is deterministic, simplifies the configuration
//! and operands toward their defaults, and stops on its budget (in runs; a
//! zero time budget is the only clock a test uses).

mod common;

use std::time::Duration;

use harness::program::{MapSel, Op, PortMode, Program, SizeSel, PAGE_SIZE};
use harness::shrink::{self, neighbours, program_cost, Budget, NotInteresting, ShrinkResult};

/// A program with noise around the interesting part: an enter of more
/// than three pages after a create-map.
const NOISY: &str = "\
machine tiny
fail phys 5
fail cache 2
swarm create-map create-object enter remove fault reap
create-object
enter map=3 object=2 offset=pages(9) start=near(gap-end(4),-3) size=raw(0x3123) align=pages(16) prot=r maxprot=rw inherit=share advice=random fixed
reap
create-map
fault map=2 addr=raw(0x7000) access=r invalid
enter map=7 object=5 offset=raw(0x5000) start=entry-end(3) size=pages(100) align=raw(0x30000) prot=w maxprot=w inherit=copy advice=dontneed fixed nomerge invalid
remove map=1 start=map-start end=near(entry-end(2),+1)
create-object
enter map=1 object=0 start=raw(0x10000) size=pages(2)
reap
";

/// The size of an enter in bytes when the selector says it outright.
fn fixed_size_bytes(size: SizeSel) -> Option<u64> {
    match size {
        SizeSel::Pages(pages) => Some(u64::from(pages) * PAGE_SIZE),
        SizeSel::Raw(bytes) => Some(bytes),
        SizeSel::GapSize(_) | SizeSel::EntrySize(_) => None,
    }
}

/// "Contains an enter of more than three pages after a create-map."
fn big_enter_after_create_map(program: &Program) -> bool {
    let Some(first_create) = program.ops.iter().position(|op| *op == Op::CreateMap) else {
        return false;
    };
    program.ops[first_create..].iter().any(|op| match op {
        Op::Enter(args) => fixed_size_bytes(args.size).is_some_and(|size| size > 3 * PAGE_SIZE),
        _ => false,
    })
}

fn shrink_quietly(
    program: &Program,
    predicate: impl FnMut(&Program) -> bool,
    budget: Budget,
) -> Result<ShrinkResult, NotInteresting> {
    shrink::shrink(program, predicate, budget, &mut |_| {})
}

#[test]
fn reaches_the_expected_minimum() {
    let noisy = Program::parse_text(NOISY).unwrap();
    assert!(big_enter_after_create_map(&noisy));
    let result = shrink_quietly(&noisy, big_enter_after_create_map, Budget::unlimited()).unwrap();
    let expected = Program::parse_text("create-map\nenter map=kernel size=pages(4)\n").unwrap();
    assert_eq!(result.program, expected, "got:\n{}", result.program);
    assert!(!result.cut_short);
}

#[test]
fn the_result_keeps_the_property_and_is_a_local_minimum() {
    let noisy = Program::parse_text(NOISY).unwrap();
    let result = shrink_quietly(&noisy, big_enter_after_create_map, Budget::unlimited()).unwrap();
    assert!(big_enter_after_create_map(&result.program));
    let candidates = neighbours(&result.program);
    assert!(!candidates.is_empty());
    for candidate in candidates {
        assert!(
            !big_enter_after_create_map(&candidate),
            "a simpler program keeps the property:\n{candidate}"
        );
    }
}

#[test]
fn the_mode_of_a_finding_is_kept() {
    // A finding belongs to its mode: no candidate may switch it, even when
    // the property would still hold in the other mode.
    for mode in PortMode::ALL {
        let noisy = Program {
            mode,
            ..Program::parse_text(NOISY).unwrap()
        };
        let result =
            shrink_quietly(&noisy, big_enter_after_create_map, Budget::unlimited()).unwrap();
        assert_eq!(result.program.mode, mode);
        assert!(neighbours(&result.program)
            .iter()
            .all(|candidate| candidate.mode == mode));
    }
}

#[test]
fn shrinking_is_deterministic() {
    let noisy = Program::parse_text(NOISY).unwrap();
    let first = shrink_quietly(&noisy, big_enter_after_create_map, Budget::unlimited()).unwrap();
    let second = shrink_quietly(&noisy, big_enter_after_create_map, Budget::unlimited()).unwrap();
    assert_eq!(first.program, second.program);
    assert_eq!(first.steps, second.steps);
    assert_eq!(first.tests, second.tests);
}

#[test]
fn every_step_is_reported_once_and_in_order() {
    let noisy = Program::parse_text(NOISY).unwrap();
    let mut printed = Vec::new();
    let result = shrink::shrink(
        &noisy,
        big_enter_after_create_map,
        Budget::unlimited(),
        &mut |step| printed.push(step.to_string()),
    )
    .unwrap();
    assert_eq!(printed, result.steps);
    assert!(
        printed[0].starts_with("dropped op"),
        "the first step is {:?}",
        printed[0]
    );
    let expected = [
        "machine tiny -> normal",
        "dropped `fail phys 5`",
        "swarm mask reset",
    ];
    common::assert_lines_start_with(&printed, &expected);
}

#[test]
fn every_neighbour_is_strictly_simpler() {
    let mut programs = vec![Program::parse_text(NOISY).unwrap()];
    // Programs of every shape the fuzzer can write, from fixed bytes.
    for seed in 0u32..200 {
        let bytes: Vec<u8> = (0..64u32)
            .map(|index| (seed.wrapping_mul(2_654_435_761) ^ index.wrapping_mul(40_503)) as u8)
            .collect();
        programs.push(Program::decode(&bytes));
    }
    for program in &programs {
        let cost = program_cost(program);
        for candidate in neighbours(program) {
            assert!(
                program_cost(&candidate) < cost,
                "not simpler:\n{candidate}\nthan:\n{program}"
            );
        }
    }
}

#[test]
fn the_configuration_goes_back_to_its_defaults() {
    let noisy = Program::parse_text(NOISY).unwrap();
    let result = shrink_quietly(&noisy, big_enter_after_create_map, Budget::unlimited()).unwrap();
    let defaults = Program::new();
    assert_eq!(result.program.machine, defaults.machine);
    assert_eq!(result.program.fault_plan, defaults.fault_plan);
    assert_eq!(result.program.swarm, defaults.swarm);
}

#[test]
fn what_the_predicate_needs_is_kept() {
    // The property needs the tiny machine and an invalid, fixed enter of
    // exactly 0x3123 bytes; the shrinker must leave those alone.
    let needs = |program: &Program| {
        program.machine == harness::program::MachinePreset::Tiny
            && program.ops.iter().any(|op| {
                matches!(op, Op::Enter(args) if args.invalid && args.fixed && args.size == SizeSel::Raw(0x3123))
            })
    };
    let mut noisy = Program::parse_text(NOISY).unwrap();
    if let Op::Enter(args) = &mut noisy.ops[1] {
        args.invalid = true;
    }
    let result = shrink_quietly(&noisy, needs, Budget::unlimited()).unwrap();
    let expected =
        Program::parse_text("machine tiny\nenter map=kernel size=raw(0x3123) fixed invalid\n")
            .unwrap();
    assert_eq!(result.program, expected, "got:\n{}", result.program);
}

#[test]
fn an_input_without_the_property_is_refused() {
    let program = Program::parse_text("create-map\nreap\n").unwrap();
    let result = shrink_quietly(&program, big_enter_after_create_map, Budget::unlimited());
    assert_eq!(result.err(), Some(NotInteresting));
}

/// Shrinks `noisy` for a big enter after a create-map within `budget`;
/// the result and how often the property ran.
fn shrink_noisy_counting(noisy: &Program, budget: Budget) -> (ShrinkResult, u64) {
    let mut calls = 0u64;
    let counting = |program: &Program| {
        calls += 1;
        big_enter_after_create_map(program)
    };
    let result = shrink_quietly(noisy, counting, budget).unwrap();
    (result, calls)
}

#[test]
fn a_test_budget_cuts_the_search_short() {
    let noisy = Program::parse_text(NOISY).unwrap();
    let (result, calls) = shrink_noisy_counting(&noisy, Budget::tests(5));
    assert!(result.cut_short);
    assert_eq!(result.tests, 5);
    assert_eq!(calls, 5);
    assert!(big_enter_after_create_map(&result.program));
}

#[test]
fn a_spent_time_budget_cuts_the_search_short() {
    // A zero time budget is spent as soon as the search starts: only the
    // input's own check runs. (No clock in the assertion: a zero deadline
    // has passed whatever the machine's speed.)
    let noisy = Program::parse_text(NOISY).unwrap();
    let (result, calls) = shrink_noisy_counting(&noisy, Budget::time(Duration::ZERO));
    assert!(result.cut_short);
    assert_eq!((result.tests, calls), (1, 1));
    assert_eq!(result.program, noisy);
}

#[test]
fn budgets_say_what_they_are() {
    assert_eq!(Budget::unlimited().to_string(), "no limit");
    assert_eq!(Budget::tests(500).to_string(), "500 runs");
    assert_eq!(Budget::time(Duration::from_secs(30)).to_string(), "30 s");
    let both = Budget {
        max_tests: Some(7),
        ..Budget::time(Duration::from_secs(2))
    };
    assert_eq!(both.to_string(), "2 s or 7 runs");
}

/// Like the canary: shows when an enter is directly followed by an enter or
/// a create-map (a merge), or once there are six create-maps (a new slab).
fn merge_or_many_maps(program: &Program) -> bool {
    let merges = program.ops.windows(2).any(|pair| {
        matches!(pair[0], Op::Enter(_)) && matches!(pair[1], Op::Enter(_) | Op::CreateMap)
    });
    merges
        || program
            .ops
            .iter()
            .filter(|op| **op == Op::CreateMap)
            .count()
            >= 6
}

/// Asserts that a shrink ended at two one-page kernel-map enters, and that
/// one of its steps is `the_step`.
fn assert_two_plain_enters(result: &ShrinkResult, the_step: impl Fn(&str) -> bool) {
    let expected =
        Program::parse_text("enter map=kernel size=pages(1)\n".repeat(2).as_str()).unwrap();
    assert_eq!(result.program, expected, "got:\n{}", result.program);
    assert!(
        result.steps.iter().any(|step| the_step(step)),
        "{:?}",
        result.steps
    );
}

#[test]
fn replacing_an_operation_by_a_lighter_kind_unlocks_drops() {
    let maps = Program::parse_text(&"create-map\n".repeat(8)).unwrap();
    let result = shrink_quietly(&maps, merge_or_many_maps, Budget::unlimited()).unwrap();
    assert_two_plain_enters(&result, |step| step.contains(": create-map -> enter"));
}

#[test]
fn identical_operations_are_simplified_together() {
    // Two enters only count while they are identical (as two entries only
    // merge with equal flags).
    let identical_enters = |program: &Program| {
        let enters: Vec<&Op> = program
            .ops
            .iter()
            .filter(|op| matches!(op, Op::Enter(_)))
            .collect();
        enters.len() >= 2 && enters.iter().all(|enter| *enter == enters[0])
    };
    let twin = "enter map=kernel size=pages(3) prot=r maxprot=rx inherit=copy advice=random\n";
    let program = Program::parse_text(&format!("{twin}reap\n{twin}")).unwrap();
    let result = shrink_quietly(&program, identical_enters, Budget::unlimited()).unwrap();
    assert_two_plain_enters(&result, |step| step.starts_with("ops 0,1: "));
}

#[test]
fn repeats_shrink_to_the_fewest_iterations_the_property_needs() {
    // The property needs at least 60 kernel-map enters in all (more than a
    // kentry slab holds), however they are written.
    let enters = |program: &Program| {
        program
            .steps()
            .filter(|(_, op)| matches!(op, Op::Enter(args) if args.map == MapSel::Kernel))
            .count()
    };
    let noisy = Program::parse_text(
        "machine scarce\n\
         create-map\n\
         repeat 200 enter map=kernel object=none start=none size=pages(3) align=pages(2) prot=r\n\
         repeat 9 remove map=1 start=entry-start(0) end=entry-end(0)\n\
         reap\n",
    )
    .unwrap();
    let result =
        shrink_quietly(&noisy, |program| enters(program) >= 60, Budget::unlimited()).unwrap();
    let expected = Program::parse_text("repeat 60 enter map=kernel size=pages(1)\n").unwrap();
    assert_eq!(result.program, expected, "got:\n{}", result.program);
}
