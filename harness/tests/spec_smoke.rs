//! Smoke tests of the sixth oracle, the specification, through the
//! harness's adapter: it fires on constructed violations (one row per
//! rule the adapter feeds), naming the rule and the side, and it is quiet
//! on every seed program. The model's own rules have their tables in the
//! `spec` crate; these tests check what the harness gives it.
//!
//! No C is involved: the sides are `RustSide`s or a bare `sim::Machine`.

use harness::corpus;
use harness::observe::Outcome;
use harness::program::{EnterRequest, MapRef, Program, ResolvedOp};
use harness::runner::{Oracles, Runner, Verdict};
use harness::side::rust::RustSide;
use harness::spec_oracle::{SideStep, SpecFinding, SpecOracle};
use sim::{Event, FaultPlan, Machine, MachineConfig, KERNEL_START};
use vm_rs::env::{Environment, ObjectId};
use vm_rs::{EntryState, MapState};

/// The kentry area with its slab table: 8 MiB and four pages.
const KENTRY_AREA_BYTES: u64 = 0x80_0000 + 0x4000;
/// A page.
const PAGE: u64 = 0x1000;
/// Every right, not inherited, default advice, plus `VM_MAP_NOMERGE`.
const STATIC_FLAGS: u32 = 0x10077;

fn entry(start: u64, end: u64, object: Option<u32>, flags: u32) -> EntryState {
    EntryState {
        start,
        end,
        object: object.map(ObjectId),
        offset: 0,
        flags,
    }
}

fn map(start: u64, end: u64, entries: Vec<EntryState>) -> MapState {
    MapState {
        start,
        end,
        size: entries.iter().map(|e| e.end - e.start).sum(),
        nr_entries: entries.len() as u32,
        list: entries.clone(),
        entries,
        ..MapState::default()
    }
}

/// The kernel map as the normal machine boots it.
fn kernel_map(config: &MachineConfig) -> MapState {
    let (boot_start, boot_end) = config.boot_space();
    let kentry = entry(boot_end, boot_end + KENTRY_AREA_BYTES, None, STATIC_FLAGS);
    let boot = entry(boot_start, boot_end, None, STATIC_FLAGS);
    map(KERNEL_START, config.kernel_end(), vec![boot, kentry])
}

/// One constructed step after set-up: the operation, what the side
/// answered, the maps it shows, its trace events, and whether a page of
/// user map 1 is present at 0x10000.
struct Case {
    name: &'static str,
    op: ResolvedOp,
    outcome: Outcome,
    user_entries: Vec<EntryState>,
    events: Vec<Event>,
    leaf_at_0x10000: bool,
    rule: &'static str,
}

fn enter_fixed(start: u64) -> ResolvedOp {
    ResolvedOp::Enter(EnterRequest {
        map: MapRef(1),
        object: Some(0),
        offset: 0,
        start,
        size: PAGE,
        align: 0,
        flags: 0x20077,
    })
}

fn cases() -> Vec<Case> {
    let object_entry = entry(0x10000, 0x11000, Some(0), 0x77);
    let fault = ResolvedOp::Fault {
        map: MapRef(1),
        addr: 0x10000,
        access: 1,
    };
    vec![
        Case {
            name: "a fixed enter that lands elsewhere",
            op: enter_fixed(0x10000),
            outcome: Outcome::Ok(Some(0x20000)),
            user_entries: vec![entry(0x20000, 0x21000, Some(0), 0x77)],
            events: vec![],
            leaf_at_0x10000: false,
            rule: "spec:enter-fixed-address",
        },
        Case {
            name: "an enter that maps more than it was asked",
            op: enter_fixed(0x10000),
            outcome: Outcome::Ok(Some(0x10000)),
            user_entries: vec![entry(0x10000, 0x12000, Some(0), 0x77)],
            events: vec![],
            leaf_at_0x10000: false,
            rule: "spec:map-contents",
        },
        Case {
            name: "a fault on an unmapped page that succeeds",
            op: fault,
            outcome: Outcome::Ok(None),
            user_entries: vec![],
            events: vec![],
            leaf_at_0x10000: true,
            rule: "spec:fault-unmapped",
        },
        Case {
            name: "a leaf on a page no mapping covers",
            op: ResolvedOp::Info { map: MapRef(1) },
            outcome: Outcome::Ok(None),
            user_entries: vec![],
            events: vec![],
            leaf_at_0x10000: true,
            rule: "spec:pmap-leaf-unmapped",
        },
        Case {
            name: "a remove that fails",
            op: ResolvedOp::Remove {
                map: MapRef(1),
                start: 0x10000,
                end: 0x11000,
            },
            outcome: Outcome::Error(1),
            user_entries: vec![],
            events: vec![],
            leaf_at_0x10000: false,
            rule: "spec:remove-done",
        },
        Case {
            name: "a kernel allocation over the boot entry",
            op: ResolvedOp::Reap,
            outcome: Outcome::Ok(None),
            user_entries: vec![],
            events: vec![Event::KmemPopulate {
                va: KERNEL_START,
                size_bytes: PAGE as usize,
                result: true,
            }],
            leaf_at_0x10000: false,
            rule: "spec:kernel-allocation",
        },
        Case {
            name: "a mapping whose object entry was entered by nobody",
            op: ResolvedOp::Info { map: MapRef(1) },
            outcome: Outcome::Ok(None),
            user_entries: vec![object_entry],
            events: vec![],
            leaf_at_0x10000: false,
            rule: "spec:map-contents",
        },
    ]
}

/// A machine with a user pmap (id 1), and a present leaf at 0x10000 if asked.
fn machine_for(case: &Case) -> Machine {
    let mut machine = Machine::new(MachineConfig::normal());
    machine.reset(FaultPlan::default());
    let pmap = machine.pmap_create().expect("a user pmap");
    if case.leaf_at_0x10000 {
        let frame = machine.phys_alloc(0).expect("a frame");
        machine
            .pmap_enter(pmap, 0x10000, frame, 1)
            .expect("a leaf at 0x10000");
    }
    machine
}

/// Runs set-up and one case on the C side only (the Rust side is dead by
/// then), and returns the oracle's finding.
fn finding_for(case: &Case, whole_tables: bool) -> Option<SpecFinding> {
    finding_with(case, whole_tables, BrokenBy::COnly)
}

/// Which sides a constructed step breaks, and whether the differential
/// oracles would have found them equal.
#[derive(Clone, Copy)]
enum BrokenBy {
    /// The C breaks the case; the port has stopped before it.
    COnly,
    /// Both sides break it the same way; `sides_agree` as the runner would
    /// say (true: one model judges both).
    Both { sides_agree: bool },
}

/// Runs set-up, a map creation (both sides equal, so the models run in
/// lockstep) and one case, broken as `broken` says.
fn finding_with(case: &Case, whole_tables: bool, broken: BrokenBy) -> Option<SpecFinding> {
    let config = MachineConfig::normal();
    let machine = machine_for(case);
    let quiet = Machine::new(config.clone());
    let boot_maps = [kernel_map(&config)];
    let ok = Outcome::Ok(None);
    let step = |machine, maps, events, outcome| SideStep {
        machine,
        maps,
        reads: None,
        lists_in_order: false,
        events,
        outcome,
    };
    let mut oracle = SpecOracle::default();
    let boot = step(&quiet, &boot_maps, &[], &ok);
    let setup = oracle.setup(&config, &boot, &boot, true);
    assert_eq!(setup, None, "set-up is clean");
    let create = ResolvedOp::CreateMap;
    let empty_user = [kernel_map(&config), map(0, 1 << 47, vec![])];
    let created = step(&quiet, &empty_user, &[], &ok);
    let sides = (&created, &created);
    assert_eq!(oracle.check(&create, None, false, sides, true), None);
    let user = map(0, 1 << 47, case.user_entries.clone());
    let broken_maps = [kernel_map(&config), user];
    // The step's trace: the machine's own calls (the leaf it entered), then
    // the case's.
    let mut events = machine.trace().to_vec();
    events.extend(case.events.iter().cloned());
    let broken_step = step(&machine, &broken_maps, &events, &case.outcome);
    // The Rust side has stopped before this step: nothing of it is judged.
    let stopped = step(&quiet, &empty_user, &[], &Outcome::Dead);
    match broken {
        BrokenBy::COnly => oracle.check(
            &case.op,
            None,
            whole_tables,
            (&broken_step, &stopped),
            false,
        ),
        BrokenBy::Both { sides_agree } => oracle.check(
            &case.op,
            None,
            whole_tables,
            (&broken_step, &broken_step),
            sides_agree,
        ),
    }
}

#[test]
fn each_constructed_violation_is_reported_with_its_rule_on_its_side() {
    for (case, whole_tables) in cases()
        .iter()
        .flat_map(|case| [(case, false), (case, true)])
    {
        let finding = finding_for(case, whole_tables)
            .unwrap_or_else(|| panic!("{} (whole tables {whole_tables}): not caught", case.name));
        let rule = finding.rule().to_string();
        assert_eq!(rule, case.rule, "{}: {finding:?}", case.name);
        assert!(
            finding.c.is_some() && finding.rust.is_none(),
            "{}",
            case.name
        );
        assert!(!finding.inherited(), "{}", case.name);
    }
}

#[test]
fn one_model_in_lockstep_judges_both_sides_as_two_models_would() {
    for case in &cases() {
        let lockstep = finding_with(case, false, BrokenBy::Both { sides_agree: true });
        let apart = finding_with(case, false, BrokenBy::Both { sides_agree: false });
        assert_eq!(lockstep, apart, "{}", case.name);
        let finding = lockstep.unwrap_or_else(|| panic!("{}: not caught", case.name));
        assert_eq!(finding.rule().to_string(), case.rule, "{}", case.name);
        assert!(finding.inherited(), "{}: {finding:?}", case.name);
    }
}

#[test]
fn the_oracle_is_quiet_on_every_seed_program() {
    let root = corpus::default_root().join("seeds");
    let files = corpus::files_under(&root).expect("the seed directory");
    assert!(files.len() >= 10, "only {} seeds", files.len());
    let mut runner = Runner::new(
        RustSide::new(&MachineConfig::normal()),
        RustSide::new(&MachineConfig::normal()),
    );
    runner.oracles = Oracles::SPECIFICATION;
    for file in files {
        let entry = corpus::load_file(&file).expect("a seed loads");
        let verdict = runner.run(&entry.program);
        assert!(
            matches!(verdict, Verdict::Equivalent),
            "{}: {verdict:?}",
            file.display()
        );
    }
}

#[test]
fn a_bug_both_sides_share_is_reported_as_inherited() {
    // A faulted page whose mapping is removed stays present on both sides
    // (the port reproduces the C). The registry recognises the bug only
    // when both sides break the same rule, so recognising it here, with
    // the model alone and the port on both sides, shows the finding was
    // built as inherited.
    let text = "create-map\ncreate-object\nenter map=1 object=0 size=pages(1)\n\
                fault map=1 addr=entry-start(0) access=rw\n\
                remove map=1 start=entry-start(0) end=entry-end(0)\n";
    let program = Program::parse_text(text).expect("the program parses");
    let mut runner = Runner::new(
        RustSide::new(&MachineConfig::normal()),
        RustSide::new(&MachineConfig::normal()),
    );
    runner.oracles = Oracles::SPECIFICATION;
    match runner.run(&program) {
        Verdict::Known {
            divergence,
            op_index,
        } => {
            assert_eq!(divergence.id, "remove-leaves-pages-present");
            assert_eq!(op_index, Some(4));
        }
        other => panic!("expected the registered bug, got {other:?}"),
    }
}
