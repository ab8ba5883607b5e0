//! A mutation check of the oracles' strength: the port is wrapped in sides
//! that each misbehave in one small way (a wrong address, a repeated call, a
//! wrong size, a reordered list, ...), and the runner must report each one,
//! under the signature of the oracle meant to catch it, on a short program.
//! The unmutated wrapper must stay equivalent, so that a finding is the
//! mutation's doing.
//!
//! No C is involved: the reference side is the port itself.

use harness::explore::{self, Alphabet, Bounds, End, Scope};
use harness::mismatch::Mismatch;
use harness::observe::Outcome;
use harness::program::{MachinePreset, MapRef, Program, ResolvedOp};
use harness::runner::{Oracles, Runner, Verdict};
use harness::side::{rust::RustSide, Side};
use sim::{FaultPlan, Machine, MachineConfig, PAGE_SIZE};
use vm_rs::{EntryStorage, KentryLink, KentrySlot, KentryState, MapState};

/// One way of misbehaving.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Mutation {
    /// None: the wrapper is the port.
    Identity,
    /// An enter reports the page after the start it chose.
    EnterAddressOffByAPage,
    /// An enter that the port refused with an error reports success.
    EnterErrorSwallowed,
    /// `info` runs twice, so its console output appears twice.
    InfoRepeated,
    /// A fault runs twice.
    FaultRepeated,
    /// A map with entries reports one page more in `size`.
    SizeOffByAPage,
    /// A map with entries reports one entry more in `nr_entries`.
    EntryCountOffByOne,
    /// The last entry of a map is missing from the address-ordered view.
    LastEntryDropped,
    /// The first entry's flags lose their lowest bit.
    FlagBitLost,
    /// The entry list is reversed when it has two entries or more.
    ListReversed,
    /// The find cache is reported as empty.
    FindCacheForgotten,
    /// The map's end is one page short.
    MapEndShort,
    /// A fault reports success without running.
    FaultSkipped,
    /// A remove reports success without running.
    RemoveIgnored,
    /// A fault on an unmapped page fails with `ERROR_ACCES` instead of
    /// `ERROR_FAULT`.
    FaultUnmappedDenied,
    /// Kernel-map entries live one entry further into their slab (the port
    /// handed out another kentry object).
    KentryObjectMisplaced,
    /// Once a kentry slab is in use, the first two free slabs trade places
    /// in the free list (the port linked it in another order).
    KentryFreeListReordered,
}

/// `ERROR_FAULT` and `ERROR_ACCES`.
const ERROR_FAULT: i32 = 5;
const ERROR_ACCES: i32 = 6;

/// The port, misbehaving as `mutation` says.
struct Mutant {
    port: RustSide,
    mutation: Mutation,
}

impl Mutant {
    fn new(mutation: Mutation) -> Mutant {
        Mutant {
            port: RustSide::new(&MachineConfig::normal()),
            mutation,
        }
    }

    /// Distorts user maps only: the kernel map has entries from set-up on,
    /// and the mutations should show at the operations that cause them.
    fn distort_map(&self, out: &mut MapState) {
        let has_entries = !out.entries.is_empty();
        match self.mutation {
            Mutation::SizeOffByAPage if has_entries => out.size += PAGE_SIZE,
            Mutation::EntryCountOffByOne if has_entries => out.nr_entries += 1,
            Mutation::LastEntryDropped => {
                out.entries.pop();
            }
            Mutation::FlagBitLost if has_entries => {
                out.entries[0].flags &= !1;
                out.list[0].flags &= !1;
            }
            Mutation::ListReversed if out.list.len() >= 2 => out.list.reverse(),
            Mutation::FindCacheForgotten => out.find_cache = 0,
            Mutation::MapEndShort => out.end -= PAGE_SIZE,
            _ => {}
        }
    }

    /// Distorts the kentry allocator as the kentry mutations say.
    fn distort_kentry(&self, state: &mut KentryState) {
        match self.mutation {
            Mutation::KentryObjectMisplaced => {
                for storage in &mut state.entry_storage {
                    if let EntryStorage::CacheObject(address) = storage {
                        *address += ENTRY_SIZE_BYTES;
                    }
                }
            }
            Mutation::KentryFreeListReordered if state.allocated().count() > 0 => {
                if let [first, second, ..] = state.free_list()[..] {
                    let mut slots = state.slots().to_vec();
                    let after_second = slots[second as usize];
                    slots[second as usize] = KentrySlot::Free(KentryLink::Slab(first));
                    slots[first as usize] = after_second;
                    state.rewrite(KentryLink::Slab(second), &slots);
                }
            }
            _ => {}
        }
    }
}

/// The size of a map entry, in a kentry slab.
const ENTRY_SIZE_BYTES: u64 = vm_rs::ENTRY_SIZE_BYTES as u64;

impl Side for Mutant {
    fn setup(&mut self, config: &MachineConfig, plan: FaultPlan) -> Outcome {
        self.port.setup(config, plan)
    }

    fn apply(&mut self, op: &ResolvedOp) -> Outcome {
        match (self.mutation, op) {
            (Mutation::FaultSkipped, ResolvedOp::Fault { .. })
            | (Mutation::RemoveIgnored, ResolvedOp::Remove { .. }) => return Outcome::Ok(None),
            _ => {}
        }
        let outcome = self.port.apply(op);
        match (self.mutation, op, outcome) {
            (Mutation::EnterAddressOffByAPage, ResolvedOp::Enter { .. }, Outcome::Ok(Some(at))) => {
                Outcome::Ok(Some(at + PAGE_SIZE))
            }
            (Mutation::EnterErrorSwallowed, ResolvedOp::Enter { .. }, Outcome::Error(_)) => {
                Outcome::Ok(Some(0))
            }
            (
                Mutation::FaultUnmappedDenied,
                ResolvedOp::Fault { .. },
                Outcome::Error(ERROR_FAULT),
            ) => Outcome::Error(ERROR_ACCES),
            (Mutation::InfoRepeated, ResolvedOp::Info { .. }, _)
            | (Mutation::FaultRepeated, ResolvedOp::Fault { .. }, _) => self.port.apply(op),
            (_, _, outcome) => outcome,
        }
    }

    fn machine(&self) -> &Machine {
        self.port.machine()
    }

    fn map_count(&self) -> u32 {
        self.port.map_count()
    }

    fn fill_map(&self, map: MapRef, out: &mut MapState) -> bool {
        let exists = self.port.fill_map(map, out);
        if exists && !map.is_kernel() {
            self.distort_map(out);
        }
        exists
    }

    fn kentry(&self) -> KentryState {
        let mut state = self.port.kentry();
        self.distort_kentry(&mut state);
        state
    }
}

/// A short program that enters (merging and not), fails an enter, lets the
/// map choose a place (which sets the find cache), faults, prints a map and
/// removes, in a user map.
const PROGRAM: &str = "\
create-map
create-object
enter map=1 object=0 start=raw(0x10000) size=pages(2) fixed
enter map=1 object=none start=raw(0x20000) size=pages(1) fixed
enter map=1 object=none start=raw(0x21000) size=pages(1) fixed
enter map=1 object=none start=raw(0x20000) size=pages(1) fixed
enter map=1 object=none start=none size=pages(1)
fault map=1 addr=raw(0x10000) access=r
info map=1
remove map=1 start=raw(0x20000) end=raw(0x21000)
fault map=1 addr=raw(0x30000) access=r
";

/// Each mutation, the runner's report signature, and the operation at which
/// it must be reported (0-based).
const EXPECTED: &[(Mutation, &str, usize)] = &[
    (Mutation::EnterAddressOffByAPage, "outcome", 2),
    (Mutation::EnterErrorSwallowed, "outcome", 5),
    (Mutation::InfoRepeated, "trace:console", 8),
    (Mutation::FaultRepeated, "trace", 7),
    (Mutation::SizeOffByAPage, "map:size", 2),
    (Mutation::EntryCountOffByOne, "map:nr_entries", 2),
    (Mutation::LastEntryDropped, "map:entries", 2),
    (Mutation::FlagBitLost, "map:entries", 2),
    (Mutation::ListReversed, "map:list", 3),
    (Mutation::FindCacheForgotten, "map:find_cache", 6),
    (Mutation::MapEndShort, "map:end", 0),
    (Mutation::KentryObjectMisplaced, "kentry:entry_storage", 0),
    (Mutation::KentryFreeListReordered, "kentry:slots", 0),
];

/// Each mutation that breaks a promise of the specification, the rule, and
/// the operation at which the model alone (no comparison with the
/// reference) must report it.
const EXPECTED_BY_THE_MODEL: &[(Mutation, &str, usize)] = &[
    (
        Mutation::EnterAddressOffByAPage,
        "spec:enter-fixed-address",
        2,
    ),
    (Mutation::EnterErrorSwallowed, "spec:enter-fixed-no-room", 5),
    (Mutation::LastEntryDropped, "spec:map-contents", 2),
    (Mutation::FlagBitLost, "spec:map-contents", 2),
    (Mutation::FaultSkipped, "spec:pmap-not-present", 7),
    (Mutation::RemoveIgnored, "spec:map-contents", 9),
    (Mutation::FaultUnmappedDenied, "spec:fault-unmapped", 10),
];

fn program() -> Program {
    Program::parse_text(PROGRAM).expect("the mutation program parses")
}

/// Runs the program with the port as reference and `mutation` under test.
fn verdict_for(mutation: Mutation) -> Verdict {
    let mut runner = Runner::new(
        RustSide::new(&MachineConfig::normal()),
        Mutant::new(mutation),
    );
    runner.run(&program())
}

#[test]
fn every_mutation_that_breaks_a_promise_is_caught_by_the_model_alone() {
    let mut escaped = Vec::new();
    for &(mutation, signature, op_index) in EXPECTED_BY_THE_MODEL {
        let mut runner = Runner::new(
            RustSide::new(&MachineConfig::normal()),
            Mutant::new(mutation),
        );
        runner.oracles = Oracles::SPECIFICATION;
        match runner.run(&program()) {
            Verdict::Divergence(divergence) => {
                let found = divergence.mismatch.signature();
                let blamed_on_the_mutant_alone = matches!(
                    &divergence.mismatch,
                    Mismatch::Spec(finding) if finding.c.is_none() && finding.rust.is_some()
                );
                if found.to_string() != signature
                    || divergence.op_index != Some(op_index)
                    || !blamed_on_the_mutant_alone
                {
                    escaped.push(format!(
                        "{mutation:?}: expected {signature} at operation {op_index} on the mutant, got {found} at {:?}: {:?}",
                        divergence.op_index, divergence.mismatch
                    ));
                }
            }
            other => escaped.push(format!("{mutation:?}: not caught ({other:?})")),
        }
    }
    assert!(escaped.is_empty(), "{}", escaped.join("\n"));
}

#[test]
fn the_model_alone_is_quiet_on_the_unmutated_wrapper() {
    let mut runner = Runner::new(
        RustSide::new(&MachineConfig::normal()),
        Mutant::new(Mutation::Identity),
    );
    runner.oracles = Oracles::SPECIFICATION;
    let verdict = runner.run(&program());
    assert!(matches!(verdict, Verdict::Equivalent), "{verdict:?}");
}

#[test]
fn the_unmutated_wrapper_is_equivalent() {
    let verdict = verdict_for(Mutation::Identity);
    assert!(matches!(verdict, Verdict::Equivalent), "{verdict:?}");
}

#[test]
fn every_mutation_is_caught_by_its_oracle_at_its_operation() {
    let mut escaped = Vec::new();
    for &(mutation, signature, op_index) in EXPECTED {
        match verdict_for(mutation) {
            Verdict::Divergence(divergence) => {
                let found = divergence.mismatch.signature().to_string();
                if !found.starts_with(signature) || divergence.op_index != Some(op_index) {
                    escaped.push(format!(
                        "{mutation:?}: expected {signature} at operation {op_index}, got {found} at {:?}",
                        divergence.op_index
                    ));
                }
            }
            other => escaped.push(format!("{mutation:?}: not caught ({other:?})")),
        }
    }
    assert!(escaped.is_empty(), "{}", escaped.join("\n"));
}

#[test]
fn a_mutation_on_both_sides_is_caught_by_the_invariants() {
    // Both sides reverse their lists alike, so no comparison differs; only
    // the invariant oracle (list order equals address order) can see it,
    // and it names the reference side first.
    let mut runner = Runner::new(
        Mutant::new(Mutation::ListReversed),
        Mutant::new(Mutation::ListReversed),
    );
    match runner.run(&program()) {
        Verdict::Divergence(divergence) => {
            assert_eq!(
                divergence.mismatch.signature().to_string(),
                "invariant:C:list-order"
            );
            assert_eq!(divergence.op_index, Some(3));
        }
        other => panic!("not caught: {other:?}"),
    }
}

/// Every mutation, the signature exploration reports it under and the
/// length of the shortest program it finds, over [`exploration_alphabet`].
/// `vm-diff explore`'s standard alphabet finds each at the same depth,
/// within the CI depth of 4 (the README says so).
const FOUND_BY_EXPLORATION: &[(Mutation, &str, usize)] = &[
    (Mutation::EnterAddressOffByAPage, "outcome", 1),
    (Mutation::EnterErrorSwallowed, "outcome", 1),
    (Mutation::InfoRepeated, "trace:console", 1),
    (Mutation::FaultRepeated, "trace:object_get", 4),
    (Mutation::SizeOffByAPage, "map:size", 2),
    (Mutation::EntryCountOffByOne, "map:nr_entries", 2),
    (Mutation::LastEntryDropped, "map:entries", 2),
    (Mutation::FlagBitLost, "map:entries", 2),
    (Mutation::ListReversed, "map:list", 3),
    (Mutation::FindCacheForgotten, "map:find_cache", 2),
    (Mutation::MapEndShort, "map:end", 1),
    (Mutation::FaultSkipped, "outcome", 2),
    (Mutation::RemoveIgnored, "trace:kmem_cache_free", 2),
    (Mutation::FaultUnmappedDenied, "outcome", 2),
];

/// A small alphabet that still has an object, faults of two accesses and
/// info: what the mutations need, cheap enough for a debug build.
fn exploration_alphabet() -> Alphabet {
    Alphabet {
        max_objects: 1,
        accesses: vec![1, 2],
        info: true,
        ..Alphabet::small()
    }
}

#[test]
fn every_mutation_is_found_by_exploration_on_a_shortest_program() {
    let scope = Scope {
        machine: MachinePreset::Tiny,
        alphabet: exploration_alphabet(),
    };
    let bounds = Bounds {
        depth: 4,
        max_states: u64::MAX,
        max_transitions: u64::MAX,
    };
    let mut escaped = Vec::new();
    for &(mutation, signature, depth) in FOUND_BY_EXPLORATION {
        let mut runner = Runner::new(
            RustSide::new(&MachineConfig::normal()),
            Mutant::new(mutation),
        );
        let exploration = explore::explore(&mut runner, &scope, bounds, &mut |_| {});
        match &exploration.end {
            End::Finding(divergence) => {
                let found = divergence.mismatch.signature().to_string();
                let length = divergence.program.ops.len();
                if !found.starts_with(signature) || length != depth {
                    escaped.push(format!(
                        "{mutation:?}: expected {signature} at depth {depth}, got {found} at depth {length}:\n{}",
                        divergence.program
                    ));
                }
            }
            _ => escaped.push(format!("{mutation:?}: not found:\n{exploration}")),
        }
    }
    assert!(escaped.is_empty(), "{}", escaped.join("\n"));
}
