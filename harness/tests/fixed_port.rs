//! The proof that the fixed port is right where the C is wrong, by the
//! specification model alone (no C): on every registered bug's regression
//! program the fixed port ([`CBugs::FIXED`]) breaks no promise of the
//! model, and the fixed port with that one bug's switch turned back on (a
//! mutant that re-breaks the fix) is caught by the model, on the port
//! alone, under the rule the bug breaks. Then the same against the C, in
//! fixed mode: the C is retired at its bug with the fixed port, and a
//! re-broken fix is a finding. Also checks that the registry and the port's
//! switches name each other one to one, and that a port still alive after
//! its terminal refusal (asked again once the C is retired) is a finding.
//!
//! The reference side of each run is a fixed port too, so that operands
//! resolve against a correct state and any finding is the mutant's doing.

use harness::corpus;
use harness::known::{self, REGISTRY};
use harness::mismatch::Mismatch;
use harness::observe::Outcome;
use harness::program::{MapRef, Program, ResolvedOp};
use harness::runner::{Oracles, Runner, Verdict};
use harness::side::{c::CSide, rust::RustSide, Side};
use sim::{FaultPlan, Machine, MachineConfig};
use vm_rs::{CBugs, KentryState, MapState};

/// Each registered bug, the rule of the specification its mutant breaks,
/// and the operation (0-based) of its regression program where the model
/// must catch it.
const CAUGHT: &[(&str, &str, usize)] = &[
    ("find-avail-align-past-end", "spec:enter-in-map", 0),
    (
        "clip-end-relinks-first-entry-at-tail",
        "spec:map-entries-well-formed",
        4,
    ),
    ("remove-unaligned-end", "spec:invalid-request-refused", 2),
    ("enter-hint-ignores-alignment", "spec:enter-aligned", 2),
    ("remove-leaves-pages-present", "spec:pmap-leaf-unmapped", 4),
    ("fault-access-none", "spec:invalid-request-refused", 3),
    (
        "enter-accepts-undefined-attributes",
        "spec:invalid-request-refused",
        1,
    ),
    (
        "remove-takes-kernel-memory",
        "spec:invalid-request-refused",
        1,
    ),
];

/// The regression program of bug `id`.
fn regression(id: &str) -> Program {
    regression_file(&format!("{id}.ops"))
}

/// The program of `corpus/regressions/<name>`.
fn regression_file(name: &str) -> Program {
    let path = corpus::default_root().join("regressions").join(name);
    corpus::load_file(&path)
        .unwrap_or_else(|error| panic!("{error}"))
        .program
}

/// Runs `program` with a fixed port as reference and a port with `bugs`
/// under test, judged by the specification alone.
fn judge_by_the_model(bugs: CBugs, program: &Program) -> Verdict {
    let config = MachineConfig::normal();
    let mut runner = Runner::new(
        RustSide::with_bugs(&config, CBugs::FIXED),
        RustSide::with_bugs(&config, bugs),
    );
    runner.oracles = Oracles::SPECIFICATION;
    runner.run(program)
}

#[test]
fn every_switch_names_exactly_one_registered_bug_and_back() {
    let switches: Vec<&str> = CBugs::ids().collect();
    let registered: Vec<&str> = REGISTRY.iter().map(|known| known.switch).collect();
    assert_eq!(
        registered, switches,
        "one entry per switch, in the same order"
    );
    for known in REGISTRY {
        assert_eq!(known.switch, known.id, "a switch is named after its bug");
        let found = known::by_switch(known.switch).map(|found| found.id);
        assert_eq!(found, Some(known.id));
        assert!(!known.fixed_behaviour.is_empty(), "{}", known.id);
    }
    assert!(known::by_switch("no-such-bug").is_none());
}

#[test]
fn every_registered_bug_has_a_row_here() {
    let rows: Vec<&str> = CAUGHT.iter().map(|(id, _, _)| *id).collect();
    let ids: Vec<&str> = REGISTRY.iter().map(|known| known.id).collect();
    assert_eq!(rows, ids);
}

#[test]
fn the_fixed_port_obeys_the_model_on_every_regression() {
    let mut broken = Vec::new();
    for known in REGISTRY {
        let verdict = judge_by_the_model(CBugs::FIXED, &regression(known.id));
        if !matches!(verdict, Verdict::Equivalent) {
            broken.push(format!("{}: {verdict:?}", known.id));
        }
    }
    assert!(broken.is_empty(), "{}", broken.join("\n"));
}

#[test]
fn each_switch_alone_reverts_its_fix_and_the_model_catches_it() {
    let mut escaped = Vec::new();
    for &(id, rule, op_index) in CAUGHT {
        let mutant = CBugs::FIXED.with(id, true).expect("a switch of CBugs");
        match judge_by_the_model(mutant, &regression(id)) {
            Verdict::Divergence(divergence) => {
                let found = divergence.mismatch.signature().to_string();
                let on_the_mutant_alone = matches!(
                    &divergence.mismatch,
                    Mismatch::Spec(finding) if finding.c.is_none() && finding.rust.is_some()
                );
                if found != rule || divergence.op_index != Some(op_index) || !on_the_mutant_alone {
                    escaped.push(format!(
                        "{id}: expected {rule} at operation {op_index} on the mutant alone, \
                         got {found} at {:?}: {:?}",
                        divergence.op_index, divergence.mismatch
                    ));
                }
            }
            other => escaped.push(format!("{id}: not caught ({other:?})")),
        }
    }
    assert!(escaped.is_empty(), "{}", escaped.join("\n"));
}

/// The fixed-mode regression program of bug `id` (`<id>.fixed.ops`).
fn fixed_regression(id: &str) -> Program {
    regression_file(&format!("{id}.fixed.ops"))
}

#[test]
fn in_fixed_mode_against_the_c_each_fix_is_recognised_and_each_re_break_is_a_finding() {
    // The whole runner, C against port, in fixed mode: with the fixed port
    // the C is retired at its bug and the rest passes; with that bug's
    // switch back on, the port does what the C does, breaks the same
    // promise, and that is a finding, not a known divergence.
    let config = MachineConfig::normal();
    for known in REGISTRY {
        let program = fixed_regression(known.id);
        let mut fixed = Runner::new(CSide::new(), RustSide::new(&config));
        match fixed.run(&program) {
            Verdict::Fixed { divergence, .. } => assert_eq!(divergence.id, known.id),
            other => panic!("{}: the fixed port: {other:?}", known.id),
        }
        drop(fixed);
        let mutant = CBugs::FIXED
            .with(known.switch, true)
            .unwrap_or_else(|| panic!("{}: no switch", known.id));
        let mut rebroken = Runner::new(CSide::new(), RustSide::with_bugs(&config, mutant));
        match rebroken.run(&program) {
            Verdict::Divergence(_) => {}
            other => panic!(
                "{}: the re-broken fix was not a finding: {other:?}",
                known.id
            ),
        }
    }
}

#[test]
fn a_finding_after_the_c_was_retired_says_so_and_judges_the_port_alone() {
    // The C shows the hint bug at operation 2 and is retired; the port
    // under test (fixed but for remove-leaves-pages-present) then leaves a
    // faulted page present after its remove, which only the specification,
    // on the port alone, can see.
    let text = "mode fixed\ncreate-map\ncreate-object\n\
                enter map=1 object=0 start=raw(0x1000) size=pages(1) align=pages(2)\n\
                fault map=1 addr=entry-start(0) access=rw\n\
                remove map=1 start=entry-start(0) end=entry-end(0)\n";
    let program = Program::parse_text(text).expect("the program parses");
    let bugs = CBugs::FIXED
        .with("remove-leaves-pages-present", true)
        .expect("the switch exists");
    let config = MachineConfig::normal();
    let mut runner = Runner::new(CSide::new(), RustSide::with_bugs(&config, bugs));
    let Verdict::Divergence(divergence) = runner.run(&program) else {
        panic!("the re-broken fix after the C's retirement was not a finding");
    };
    assert_eq!(divergence.op_index, Some(4));
    assert_eq!(
        divergence.mismatch.signature().to_string(),
        "spec:pmap-leaf-unmapped"
    );
    let (known, retired_at) = divergence.retired_at.expect("the C was retired");
    assert_eq!(
        (known.id, retired_at),
        ("enter-hint-ignores-alignment", Some(2))
    );
    let report = divergence.to_string();
    assert!(
        report.contains("the C showed the known bug enter-hint-ignores-alignment at operation 2"),
        "{report}"
    );
    assert!(report.contains("C    -> retired"), "{report}");
}

/// The fixed port, except that it does not stay dead: after a terminal
/// outcome it sets up again and replays the operations before it, so that
/// it answers the next operations from the state the terminal one left (a
/// refusal changes nothing). It is what a port whose dead flag were never
/// read would look like from outside.
struct Revenant {
    port: RustSide,
    /// The last set-up's configuration and fault plan.
    setup: Option<(MachineConfig, FaultPlan)>,
    /// The operations since set-up that did not kill the port.
    survived: Vec<ResolvedOp>,
}

impl Revenant {
    fn new() -> Revenant {
        Revenant {
            port: RustSide::with_bugs(&MachineConfig::normal(), CBugs::FIXED),
            setup: None,
            survived: Vec::new(),
        }
    }

    /// Sets the port up again and replays the operations that did not
    /// kill it.
    fn come_back(&mut self) {
        let (config, plan) = self.setup.clone().expect("set up before any operation");
        self.port.setup(&config, plan);
        for op in &self.survived {
            self.port.apply(op);
        }
    }
}

impl Side for Revenant {
    fn setup(&mut self, config: &MachineConfig, plan: FaultPlan) -> Outcome {
        self.setup = Some((config.clone(), plan.clone()));
        self.survived.clear();
        self.port.setup(config, plan)
    }

    fn apply(&mut self, op: &ResolvedOp) -> Outcome {
        let outcome = self.port.apply(op);
        if outcome.is_terminal() {
            self.come_back();
        } else {
            self.survived.push(*op);
        }
        outcome
    }

    fn machine(&self) -> &Machine {
        self.port.machine()
    }

    fn map_count(&self) -> u32 {
        self.port.map_count()
    }

    fn fill_map(&self, map: MapRef, out: &mut MapState) -> bool {
        self.port.fill_map(map, out)
    }

    fn kentry(&self) -> KentryState {
        self.port.kentry()
    }
}

#[test]
fn a_port_alive_after_its_terminal_refusal_is_a_finding() {
    // The fixed port refuses the kernel-map remove (a precondition of its
    // own) where the C takes the memory; the C is retired there, and the
    // port, which must be dead after its refusal, is asked the next
    // operation. The revenant answers it as a live port.
    let program = fixed_regression("remove-takes-kernel-memory");
    let mut runner = Runner::new(CSide::new(), Revenant::new());
    let Verdict::Divergence(divergence) = runner.run(&program) else {
        panic!("a port that came back to life after its refusal was not a finding");
    };
    assert_eq!(
        divergence.mismatch.signature().to_string(),
        "invariant:Rust:dead-stays-dead"
    );
    assert_eq!(divergence.op_index, Some(2));
    assert_eq!(divergence.rust_outcome, Outcome::Ok(None));
}

#[test]
fn after_its_refusal_the_fixed_port_answers_every_operation_dead() {
    // A remove of the kernel map's boot space is the kernel's own range:
    // the fixed port refuses it and is dead from then on, for the
    // machine's own operations (an object's creation) as for the map's.
    let config = MachineConfig::normal();
    let mut port = RustSide::with_bugs(&config, CBugs::FIXED);
    assert_eq!(port.setup(&config, FaultPlan::default()), Outcome::Ok(None));
    let boot_space = ResolvedOp::Remove {
        map: MapRef::KERNEL,
        start: sim::KERNEL_START,
        end: sim::KERNEL_START + sim::PAGE_SIZE,
    };
    assert!(matches!(port.apply(&boot_space), Outcome::Precondition(_)));
    for op in [
        ResolvedOp::CreateObject,
        ResolvedOp::CreateMap,
        ResolvedOp::Reap,
    ] {
        assert_eq!(port.apply(&op), Outcome::Dead, "{op:?}");
    }
}
