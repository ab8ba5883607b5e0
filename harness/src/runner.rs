//! The runner: plays one [`Program`] on both sides in lockstep and applies
//! the oracles after setup and after every operation.
//!
//! Operands are resolved against the C side's state (the reference). The
//! first mismatch ends the run: either a registered known divergence of the
//! C original ([`crate::known`]), after which the program is no longer
//! compared and passes, or a [`Divergence`] to report. The runner itself
//! never panics; the fuzz target panics on a [`Verdict::Divergence`].

use crate::invariants::{self, Invariant};
use crate::known::{self, CEvidence, KnownDivergence};
use crate::map_reads::{
    same_since_agreed, Change, MapReads, Reread, Version, Versions, SELF_CHECKS,
};
use crate::mismatch::{Mismatch, SideName};
use crate::observe::Outcome;
use crate::oracle;
use crate::program::{MachinePreset, MapRef, Op, OpKind, PortMode, Program, ResolvedOp, StateView};
use crate::side::Side;
use crate::spec_oracle::{SideStep, SpecFinding, SpecOracle};
use sim::{Event, FaultPlan, MachineConfig};
use vm_rs::{EntryState, KentryState, MapState};

/// The kentry table buffers [`Runner::release_buffers`] keeps, in
/// descriptors: the normal machine's table (8 MiB of kentry area in slabs
/// of 4 KiB).
const KENTRY_SLOTS_KEPT: usize = 2048;
/// The kernel-map entry buffers it keeps, in entries.
const KERNEL_ENTRIES_KEPT: usize = 64;
/// The per-map buffers it keeps, in maps (a program with fifteen user
/// maps; `MapReads` keeps as many).
const MAPS_KEPT: usize = 16;
/// The capacity of each entry-range buffer it keeps.
const RANGES_KEPT: usize = 256;

/// How a program ended.
#[derive(Debug)]
pub enum Verdict {
    /// Both sides did the same thing throughout.
    Equivalent,
    /// A registered bug of the C original showed; comparison stopped there.
    Known {
        /// The registry entry.
        divergence: &'static KnownDivergence,
        /// The operation it showed at (`None`: setup).
        op_index: Option<usize>,
    },
    /// Fixed mode: the C showed this registered bug at this operation, the
    /// fixed port kept every promise there, and from there on the port
    /// alone passed every oracle that does not need the C.
    Fixed {
        /// The registry entry the C showed.
        divergence: &'static KnownDivergence,
        /// The operation at which the C was retired.
        op_index: Option<usize>,
    },
    /// A finding.
    Divergence(Box<Divergence>),
}

/// Everything a report needs about a finding.
#[derive(Debug, Clone)]
pub struct Divergence {
    /// The program that diverged.
    pub program: Program,
    /// The operation at which it did (`None`: setup).
    pub op_index: Option<usize>,
    /// That operation with its concrete arguments.
    pub op: Option<ResolvedOp>,
    /// The C's outcome.
    pub c_outcome: Outcome,
    /// The port's outcome.
    pub rust_outcome: Outcome,
    /// What differs.
    pub mismatch: Mismatch,
    /// The C's maps at that point (kernel map first).
    pub c_maps: Vec<MapState>,
    /// The port's maps at that point.
    pub rust_maps: Vec<MapState>,
    /// In fixed mode, the bug of the C at which the C was retired before
    /// this finding, and its operation (the port then ran alone).
    pub retired_at: Option<(&'static KnownDivergence, Option<usize>)>,
}

/// Counters over the runs of one [`Runner`], for the fuzzer's status line.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RunStats {
    /// Programs run.
    pub programs: u64,
    /// Operations run (both sides count once).
    pub ops: u64,
    /// Operations of each kind, in `OpKind` order.
    pub ops_by_kind: [u64; OpKind::COUNT],
    /// Operations that succeeded.
    pub successes: u64,
    /// Operations that returned an error code.
    pub errors: u64,
    /// Operations that ended in a C panic or assertion (the same on both sides).
    pub panics: u64,
    /// Programs stopped by a known divergence.
    pub known_divergences: u64,
    /// Fixed-mode programs that went on after a registered bug of the C
    /// (the port alone) and passed to their end.
    pub continued_after_c_bug: u64,
    /// For each registered bug seen so far, in registry order: its id, the
    /// number of the program (from 1) that first showed it, and how many
    /// programs showed it.
    pub known_first_seen: Vec<KnownSighting>,
    /// Programs with a finding.
    pub divergences: u64,
}

/// A registered bug of the C as the runs have met it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownSighting {
    /// The registry id.
    pub id: &'static str,
    /// The number of the program (from 1) that first showed it.
    pub first_program: u64,
    /// How many programs showed it.
    pub programs: u64,
}

impl RunStats {
    fn record_sighting(&mut self, id: &'static str) {
        match self.known_first_seen.iter_mut().find(|seen| seen.id == id) {
            Some(seen) => seen.programs += 1,
            None => self.known_first_seen.push(KnownSighting {
                id,
                first_program: self.programs,
                programs: 1,
            }),
        }
    }
}

/// The machine configuration of a preset.
pub fn machine_config(preset: MachinePreset) -> MachineConfig {
    match preset {
        MachinePreset::Tiny => MachineConfig::tiny(),
        MachinePreset::Scarce => MachineConfig::scarce(),
        MachinePreset::Normal => MachineConfig::normal(),
    }
}

/// Which oracles judge a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Oracles {
    /// The five differential oracles of DESIGN.md (outcome, trace, maps,
    /// page tables, invariants).
    pub differential: bool,
    /// The sixth: the specification, on each side alone.
    pub specification: bool,
}

impl Oracles {
    /// Every oracle: what the fuzzer and the tests use.
    pub const ALL: Oracles = Oracles {
        differential: true,
        specification: true,
    };
    /// The differential oracles alone (for measuring the model's cost).
    pub const DIFFERENTIAL: Oracles = Oracles {
        differential: true,
        specification: false,
    };
    /// The specification alone: the model against each side, no comparison
    /// between them.
    pub const SPECIFICATION: Oracles = Oracles {
        differential: false,
        specification: true,
    };
}

impl Default for Oracles {
    fn default() -> Oracles {
        Oracles::ALL
    }
}

/// Two sides and the buffers the oracles reuse between operations.
pub struct Runner<C: Side, R: Side> {
    /// The reference side (operands resolve against it).
    pub c: C,
    /// The side under test.
    pub rust: R,
    /// Both sides' maps as last read, with their versions.
    c_reads: MapReads,
    rust_reads: MapReads,
    /// The versions both sides' maps get.
    versions: Versions,
    /// For each map, the versions (C, port) of the contents the map oracle
    /// last found equal: the same contents need no second comparison.
    maps_agreed: Vec<(Version, Version)>,
    /// Both sides' kentry allocators (C, port), re-read when a step could
    /// change them.
    kentry: (KentryState, KentryState),
    /// Whether `kentry` was read at this step (else the kentry oracle
    /// skips it).
    kentry_read: bool,
    ranges: Vec<Vec<(u64, u64)>>,
    /// The reference side's version of each map `ranges` was built from.
    ranges_versions: Vec<Version>,
    /// The kernel-map ranges the program entered and has not removed, by
    /// the C's answers (operand resolution lets valid removes take only these).
    kernel_ranges_of_program: Vec<(u64, u64)>,
    /// Where [`track_kernel_ranges`] writes the next ranges, so that a
    /// kernel enter or remove does not allocate.
    kernel_ranges_scratch: Vec<(u64, u64)>,
    /// The sixth oracle's models of both sides.
    spec: SpecOracle,
    /// The machine configuration of the program being run.
    config: MachineConfig,
    /// Which oracles judge programs.
    pub oracles: Oracles,
    /// In fixed mode, once the C showed a registered bug: the entry and its
    /// operation; the C is then retired for the rest of the program.
    retired: Option<(&'static KnownDivergence, Option<usize>)>,
    /// Which sides gave a terminal outcome earlier in the program.
    deaths: Deaths,
    /// Whether the specification walks whole page tables after every
    /// operation (set while a finding is re-run step by step).
    whole_tables: bool,
    /// Counters over every run.
    pub stats: RunStats,
    /// When set, every step of the next runs is recorded here (for
    /// `vm-diff replay --verbose` and the renderer).
    pub log: Option<Vec<StepRecord>>,
}

/// One step as both sides ran it, for verbose replays and pictures.
#[derive(Debug, Clone)]
pub struct StepRecord {
    /// The operation's index (`None`: setup).
    pub op_index: Option<usize>,
    /// The operation with its concrete arguments.
    pub op: Option<ResolvedOp>,
    /// The C's outcome.
    pub c_outcome: Outcome,
    /// The port's outcome.
    pub rust_outcome: Outcome,
    /// Both sides' maps after the step (kernel map first).
    pub c_maps: Vec<MapState>,
    /// The port's maps after the step.
    pub rust_maps: Vec<MapState>,
    /// What the specification expects of each map after the step (the C
    /// side's model, else the port's; empty when neither judged it).
    pub expected: Vec<Vec<spec::Mapping>>,
}

/// The outcome of one step (setup or an operation) on both sides.
struct Step<'a> {
    program: &'a Program,
    op_index: Option<usize>,
    op: Option<ResolvedOp>,
    c_outcome: Outcome,
    rust_outcome: Outcome,
    c_trace_start: usize,
    rust_trace_start: usize,
}

/// Which sides gave a terminal outcome (a panic, a failed assertion, a
/// refusal, a hang) at an earlier step of the program. A dead instance runs
/// nothing, so from then on such a side must answer every operation it is
/// asked with [`Outcome::Dead`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Deaths {
    /// The C's outcome was terminal.
    c: bool,
    /// The port's outcome was terminal.
    rust: bool,
}

impl Deaths {
    /// These deaths and those of `step`, for the steps after it.
    fn after(self, step: &Step<'_>) -> Deaths {
        Deaths {
            c: self.c || step.c_outcome.is_terminal(),
            rust: self.rust || step.rust_outcome.is_terminal(),
        }
    }
}

/// The finding when `side`, dead since an earlier step, answered `outcome`
/// instead of [`Outcome::Dead`]: an invariant of that side alone
/// (`invariant:<side>:dead-stays-dead`).
fn revived(side: SideName, outcome: &Outcome) -> Option<Mismatch> {
    (*outcome != Outcome::Dead).then(|| Mismatch::Invariant {
        side,
        name: Invariant::DeadStaysDead,
        detail: format!("answered `{outcome}` after a terminal outcome at an earlier step"),
    })
}

/// What the model reads of one side at a step: its machine, its maps as
/// last read (with their versions), its trace from the step's start and its
/// outcome (`step`), and whether its entry lists are known to be in order.
fn side_step<'a, S: Side>(
    side: &'a S,
    reads: &'a MapReads,
    (trace_start, outcome): (usize, &'a Outcome),
    lists_in_order: bool,
) -> SideStep<'a> {
    SideStep {
        machine: side.machine(),
        maps: reads.maps(),
        reads: Some(reads),
        lists_in_order,
        events: &side.machine().trace()[trace_start..],
        outcome,
    }
}

impl<C: Side, R: Side> Runner<C, R> {
    /// A runner over two sides.
    pub fn new(c: C, rust: R) -> Self {
        Runner {
            c,
            rust,
            c_reads: MapReads::default(),
            rust_reads: MapReads::default(),
            versions: Versions::default(),
            maps_agreed: Vec::new(),
            kentry: Default::default(),
            kentry_read: false,
            ranges: Vec::new(),
            ranges_versions: Vec::new(),
            kernel_ranges_of_program: Vec::new(),
            kernel_ranges_scratch: Vec::new(),
            spec: SpecOracle::default(),
            config: MachineConfig::normal(),
            oracles: Oracles::ALL,
            retired: None,
            deaths: Deaths::default(),
            whole_tables: false,
            stats: RunStats::default(),
            log: None,
        }
    }

    /// The kernel-map ranges the program last run entered and had not
    /// removed at its end (operand resolution depends on them, so the
    /// explorer counts them in a state's identity).
    pub fn kernel_ranges_of_program(&self) -> &[(u64, u64)] {
        &self.kernel_ranges_of_program
    }

    /// Empties the buffers the runner reuses between operations and
    /// programs, bringing each back to a fixed capacity, so that the next
    /// program grows them the same way whatever ran before: its
    /// allocations (code paths to a coverage-guided fuzzer) then do not
    /// depend on what earlier programs needed, and most programs allocate
    /// none of them again. The fuzz entry
    /// calls it after each input (`harness::fuzz`).
    pub fn release_buffers(&mut self) {
        self.c_reads.release();
        self.rust_reads.release();
        // The rest keep buffers of fixed sizes, emptied, so that the next
        // program allocates (and grows vectors) as in a fresh process.
        sim::reset_buffer(&mut self.maps_agreed, MAPS_KEPT);
        sim::reset_buffer(&mut self.ranges_versions, MAPS_KEPT);
        self.ranges.truncate(MAPS_KEPT);
        self.ranges.resize_with(MAPS_KEPT, Vec::new);
        self.ranges.shrink_to(MAPS_KEPT);
        for ranges in &mut self.ranges {
            sim::reset_buffer(ranges, RANGES_KEPT);
        }
        sim::reset_buffer(&mut self.kernel_ranges_of_program, RANGES_KEPT);
        sim::reset_buffer(&mut self.kernel_ranges_scratch, RANGES_KEPT);
        // The kentry tables too: a read decodes only the descriptors that
        // changed since the last, which would otherwise be the last
        // program's. Their buffers stay, at the normal machine's size.
        self.kentry
            .0
            .clear_to_capacity(KENTRY_SLOTS_KEPT, KERNEL_ENTRIES_KEPT);
        self.kentry
            .1
            .clear_to_capacity(KENTRY_SLOTS_KEPT, KERNEL_ENTRIES_KEPT);
        self.kentry_read = false;
        self.spec.release_buffers();
    }

    /// Whether the runner holds nothing that [`Runner::release_buffers`]
    /// drops: no map read, no kentry table, no version a check remembers.
    /// What a program's checks find, and the path they take, then depends
    /// on that program alone.
    pub fn carries_nothing(&self) -> bool {
        self.c_reads.maps().is_empty()
            && self.rust_reads.maps().is_empty()
            && self.maps_agreed.is_empty()
            && self.ranges.iter().all(Vec::is_empty)
            && self.ranges_versions.is_empty()
            && self.kernel_ranges_of_program.is_empty()
            && self.kentry == <(KentryState, KentryState)>::default()
            && !self.kentry_read
    }

    /// Plays `program` on both sides and judges it.
    ///
    /// For speed, after each operation only the maps it can touch (its own,
    /// and the kernel map when the step went through the kernel's own
    /// allocations or the operation is on it) are re-read, and of those
    /// only the ones whose contents changed are checked again
    /// ([`crate::map_reads`]); every map, and the deep invariants (a walk of
    /// the kentry table and of every page table), are checked after set-up
    /// and after the last operation. A finding
    /// makes the program run again with everything checked after every
    /// operation, so that the report names the first operation at fault.
    pub fn run(&mut self, program: &Program) -> Verdict {
        self.stats.programs += 1;
        let mut verdict = self.run_inner(program, false);
        if let Verdict::Divergence(_) = &verdict {
            verdict = self.run_inner(program, true);
        }
        match verdict {
            Verdict::Known { divergence, .. } => {
                self.stats.known_divergences += 1;
                self.stats.record_sighting(divergence.id);
            }
            Verdict::Fixed { divergence, .. } => {
                self.stats.continued_after_c_bug += 1;
                self.stats.record_sighting(divergence.id);
            }
            Verdict::Divergence(_) => self.stats.divergences += 1,
            Verdict::Equivalent => {}
        }
        verdict
    }

    fn run_inner(&mut self, program: &Program, deep_every_step: bool) -> Verdict {
        if let Some(log) = self.log.as_mut() {
            log.clear();
        }
        let config = machine_config(program.machine);
        self.config = config.clone();
        self.whole_tables = deep_every_step;
        self.retired = None;
        self.deaths = Deaths::default();
        let plan = FaultPlan {
            failing_phys_allocs: program.fault_plan.failing_phys_allocs.as_slice().to_vec(),
            failing_cache_allocs: program.fault_plan.failing_cache_allocs.as_slice().to_vec(),
        };
        self.kernel_ranges_of_program.clear();
        self.c.choose_port_bugs(program.mode.bugs());
        self.rust.choose_port_bugs(program.mode.bugs());
        let c_outcome = self.c.setup(&config, plan.clone());
        let rust_outcome = self.rust.setup(&config, plan);
        let step = Step {
            program,
            op_index: None,
            op: None,
            c_outcome,
            rust_outcome,
            c_trace_start: 0,
            rust_trace_start: 0,
        };
        let setup_failed = step.c_outcome.is_terminal() && step.rust_outcome.is_terminal();
        let deep = deep_every_step || program.ops.is_empty();
        let deaths = self.deaths.after(&step);
        if let Judgement::Verdict(verdict) = self.judge(step, deep) {
            return verdict;
        }
        self.deaths = deaths;
        if setup_failed {
            return Verdict::Equivalent;
        }
        let step_count = program.step_count();
        for (step_number, (index, op)) in program.steps().enumerate() {
            let step = self.play(program, index, &op, deep_every_step);
            let terminal = match self.retired {
                Some(_) => step.rust_outcome.is_terminal(),
                None => step.c_outcome.is_terminal() && step.rust_outcome.is_terminal(),
            };
            let deep = deep_every_step || step_number + 1 == step_count;
            let deaths = self.deaths.after(&step);
            let judgement = self.judge(step, deep);
            self.deaths = deaths;
            match judgement {
                Judgement::Pass => {}
                Judgement::Retire(divergence) => {
                    self.retired = Some((divergence, Some(index)));
                    // From here operands resolve against the port: read its
                    // whole state now, not the C's of this step.
                    self.refresh_maps(Reread {
                        fresh: false,
                        ..Reread::EVERY_MAP_AFRESH
                    });
                }
                Judgement::Verdict(verdict) => return verdict,
            }
            if terminal {
                break;
            }
        }
        match self.retired {
            Some((divergence, op_index)) => Verdict::Fixed {
                divergence,
                op_index,
            },
            None => Verdict::Equivalent,
        }
    }

    /// Resolves and runs one operation: on both sides, or on the port alone
    /// once the C is retired (operands then resolve against the port).
    fn play<'p>(
        &mut self,
        program: &'p Program,
        index: usize,
        op: &Op,
        deep_every_step: bool,
    ) -> Step<'p> {
        let resolved = op.resolve(&self.view());
        let c_trace_start = self.c.machine().trace().len();
        let rust_trace_start = self.rust.machine().trace().len();
        let c_outcome = match self.retired {
            Some(_) => Outcome::Retired,
            None => self.c.apply(&resolved),
        };
        let rust_outcome = self.rust.apply(&resolved);
        let reference = match self.retired {
            Some(_) => &rust_outcome,
            None => &c_outcome,
        };
        track_kernel_ranges(
            &mut self.kernel_ranges_of_program,
            &mut self.kernel_ranges_scratch,
            &resolved,
            reference,
        );
        if !deep_every_step {
            let reference = reference.clone();
            self.count(&resolved, &reference);
        }
        Step {
            program,
            op_index: Some(index),
            op: Some(resolved),
            c_outcome,
            rust_outcome,
            c_trace_start,
            rust_trace_start,
        }
    }

    fn count(&mut self, op: &ResolvedOp, outcome: &Outcome) {
        self.stats.ops += 1;
        self.stats.ops_by_kind[op.kind() as usize] += 1;
        match outcome {
            Outcome::Ok(_) => self.stats.successes += 1,
            Outcome::Error(_) => self.stats.errors += 1,
            Outcome::Precondition(_) | Outcome::Fatal(_) => self.stats.panics += 1,
            Outcome::Undefined(_) | Outcome::Dead | Outcome::Retired | Outcome::Unfinished => {}
        }
    }

    /// Applies the oracles in order and decides what the step means.
    fn judge(&mut self, step: Step<'_>, deep: bool) -> Judgement {
        let (differential, spec) = self.mismatches(&step, deep);
        if let Some(log) = self.log.as_mut() {
            log.push(StepRecord {
                op_index: step.op_index,
                op: step.op,
                c_outcome: step.c_outcome.clone(),
                rust_outcome: step.rust_outcome.clone(),
                c_maps: self.c_reads.maps().to_vec(),
                rust_maps: self.rust_reads.maps().to_vec(),
                expected: (0..self.c_reads.maps().len().max(self.rust_reads.maps().len()))
                    .map(|map| self.spec.expected_mappings(MapRef(map as u32)))
                    .collect(),
            });
        }
        let Some(mismatch) = differential.or_else(|| spec.clone().map(Mismatch::Spec)) else {
            return Judgement::Pass;
        };
        if self.retired.is_none() {
            match step.program.mode {
                PortMode::BugForBug => {
                    let known =
                        known::recognise(&step.op, &step.c_outcome, &step.rust_outcome, &mismatch);
                    if let Some(divergence) = known {
                        return Judgement::Verdict(Verdict::Known {
                            divergence,
                            op_index: step.op_index,
                        });
                    }
                }
                PortMode::Fixed => {
                    if let Some(divergence) = self.intended_fix(&step, spec.as_deref()) {
                        return Judgement::Retire(divergence);
                    }
                }
            }
        }
        Judgement::Verdict(Verdict::Divergence(Box::new(Divergence {
            program: step.program.clone(),
            op_index: step.op_index,
            op: step.op,
            c_outcome: step.c_outcome,
            rust_outcome: step.rust_outcome,
            mismatch,
            c_maps: self.c_reads.maps().to_vec(),
            rust_maps: self.rust_reads.maps().to_vec(),
            retired_at: self.retired,
        })))
    }

    /// Fixed mode: the registered bug the C shows at this step, when the
    /// port kept every promise there (its intended fix), else `None`. The C
    /// shows a bug by what it alone broke: an invariant of its own state or
    /// a promise of the specification.
    fn intended_fix(
        &self,
        step: &Step<'_>,
        spec: Option<&SpecFinding>,
    ) -> Option<&'static KnownDivergence> {
        let c_invariant = invariants::check(&self.c, self.c_reads.maps()).map(|(name, _)| name);
        let map = step.op.as_ref().and_then(ResolvedOp::map);
        let evidence = CEvidence {
            invariant: c_invariant,
            spec: spec.and_then(|finding| finding.c.as_ref()),
            map: map.and_then(|map| self.c_reads.maps().get(map.0 as usize)),
        };
        let divergence = known::recognise_on_c(&step.op, &step.c_outcome, &evidence)?;
        let port_broke_a_promise = spec.is_some_and(|finding| finding.rust.is_some());
        let port_broke_an_invariant =
            invariants::check(&self.rust, self.rust_reads.maps()).is_some();
        (!port_broke_a_promise && !port_broke_an_invariant).then_some(divergence)
    }

    /// What the oracles find at a step: the first differential mismatch
    /// (oracles 1 to 5, or, once the C is retired, the port's own
    /// invariants) and the specification's finding. The specification runs
    /// at every step, so that its models follow every operation.
    fn mismatches(
        &mut self,
        step: &Step<'_>,
        deep: bool,
    ) -> (Option<Mismatch>, Option<Box<SpecFinding>>) {
        let scope = if deep {
            None
        } else {
            step.op.as_ref().map(|op| self.touched_map(op))
        };
        self.refresh_maps(Reread {
            scope,
            kernel: step.op.is_none() || self.kernel_map_touched(step),
            fresh: step.op.is_none(),
        });
        self.refresh_kentry(step, deep);
        let differential = match (self.oracles.differential, self.retired) {
            (false, _) => None,
            (true, None) => self
                .revived_side(step)
                .or_else(|| self.differential_mismatch(step, scope, deep)),
            (true, Some(_)) => self
                .revived_side(step)
                .or_else(|| self.port_invariants(step, deep)),
        };
        // The differential oracles compared everything a model reads only
        // while both sides run and the C is not retired.
        let sides_agree =
            self.oracles.differential && self.retired.is_none() && differential.is_none();
        let spec = self.spec_finding(step, scope, sides_agree).map(Box::new);
        (differential, spec)
    }

    /// Oracle 5 across steps: a side that gave a terminal outcome at an
    /// earlier step and answered this one with anything but
    /// [`Outcome::Dead`] (the C only while it is asked, before it is
    /// retired; a skipped operation asks neither side). In fixed mode the port that refused what the C accepted is
    /// asked again once the C is retired; this is what judges its answer.
    fn revived_side(&self, step: &Step<'_>) -> Option<Mismatch> {
        // A skipped operation runs on neither side, dead or alive.
        if let Some(ResolvedOp::Skip { .. }) = step.op {
            return None;
        }
        let c_asked = self.retired.is_none();
        let c = (self.deaths.c && c_asked)
            .then(|| revived(SideName::C, &step.c_outcome))
            .flatten();
        c.or_else(|| {
            self.deaths
                .rust
                .then(|| revived(SideName::Rust, &step.rust_outcome))
                .flatten()
        })
    }

    /// Once the C is retired: the port's own invariants (oracle 5 on the
    /// port alone).
    fn port_invariants(&mut self, step: &Step<'_>, deep: bool) -> Option<Mismatch> {
        if step.rust_outcome.is_terminal() {
            return None;
        }
        let broken = self.rust_reads.check_invariants(&self.rust, deep);
        broken.map(|(name, detail)| Mismatch::Invariant {
            side: SideName::Rust,
            name,
            detail,
        })
    }

    /// Oracles 1 to 5, in order.
    fn differential_mismatch(
        &mut self,
        step: &Step<'_>,
        scope: Option<MapRef>,
        deep: bool,
    ) -> Option<Mismatch> {
        if let Some(mismatch) = oracle::compare_outcomes(&step.c_outcome, &step.rust_outcome) {
            return Some(mismatch);
        }
        let c_events = &self.c.machine().trace()[step.c_trace_start..];
        let rust_events = &self.rust.machine().trace()[step.rust_trace_start..];
        if let Some(mismatch) = oracle::compare_traces(c_events, rust_events) {
            return Some(mismatch);
        }
        // A panic leaves the kernel half-way through an operation: the
        // state is still compared, but invariants no longer hold by design.
        let panicked = step.c_outcome.is_terminal();
        self.compare_maps(scope, deep)
            .or_else(|| {
                let (c, rust) = self.kentry_read.then_some(&self.kentry)?;
                oracle::compare_kentry(c, rust, step.op.is_none())
            })
            .or_else(|| oracle::compare_page_tables(self.c.machine(), self.rust.machine()))
            .or_else(|| {
                if panicked {
                    return None;
                }
                let c = self.c_reads.check_invariants(&self.c, deep);
                oracle::invariant_mismatch(c, || self.port_invariants_beside_c(deep))
            })
    }

    /// The port's invariants, asked once the C's held: a map the
    /// differential oracles found equal to the C's at both sides' current
    /// versions keeps them as the C's does (a map's invariants are a
    /// function of its state alone), so only the others are checked. With
    /// `deep`, the C's maps were read afresh, compared whole and checked
    /// whole, so the same holds; the port's machine, kentry table and page
    /// tables are checked as always.
    fn port_invariants_beside_c(&mut self, deep: bool) -> Option<(Invariant, String)> {
        let (c_reads, agreed) = (&self.c_reads, &self.maps_agreed);
        let same_as_c = |index: usize, version: Version| {
            let versions = (c_reads.version(index), version);
            versions.0.is_known() && agreed.get(index) == Some(&versions)
        };
        self.rust_reads
            .check_invariants_except(&self.rust, deep, same_as_c)
    }

    /// Oracle 6: the specification, on each side alone (the C not at all
    /// once it is retired). `sides_agree`: the differential oracles found
    /// the sides equal at this step, so one model may judge both.
    fn spec_finding(
        &mut self,
        step: &Step<'_>,
        scope: Option<MapRef>,
        sides_agree: bool,
    ) -> Option<SpecFinding> {
        if !self.oracles.specification {
            return None;
        }
        let c_trace = (step.c_trace_start, &step.c_outcome);
        let c = side_step(&self.c, &self.c_reads, c_trace, sides_agree);
        let rust_trace = (step.rust_trace_start, &step.rust_outcome);
        let rust = side_step(&self.rust, &self.rust_reads, rust_trace, sides_agree);
        match &step.op {
            None => self.spec.setup(&self.config, &c, &rust, sides_agree),
            Some(op) => self
                .spec
                .check(op, scope, self.whole_tables, (&c, &rust), sides_agree),
        }
    }

    /// The user map an operation can change besides the kernel map (the
    /// kernel map itself when there is none).
    fn touched_map(&self, op: &ResolvedOp) -> MapRef {
        match (op.map(), op) {
            (Some(map), _) => map,
            (None, ResolvedOp::CreateMap) => MapRef(self.reference_user_map_count()),
            (None, _) => MapRef::KERNEL,
        }
    }

    /// The user maps of the side operands resolve against: the C, or the
    /// port once the C is retired.
    fn reference_user_map_count(&self) -> u32 {
        match self.retired {
            Some(_) => self.rust.user_map_count(),
            None => self.c.user_map_count(),
        }
    }

    /// Compares the map count, then every map (`scope` `None`) or the
    /// kernel map and the one in `scope`, each only when either side's
    /// contents changed since the two last agreed, and then only where
    /// they changed ([`same_since_agreed`]); with `deep`, whole.
    fn compare_maps(&mut self, scope: Option<MapRef>, deep: bool) -> Option<Mismatch> {
        let (c_count, rust_count) = (self.c.user_map_count(), self.rust.user_map_count());
        if c_count != rust_count {
            return Some(Mismatch::MapCount {
                c: c_count,
                rust: rust_count,
            });
        }
        let count = self.c_reads.maps().len().min(self.rust_reads.maps().len());
        if self.maps_agreed.len() < count {
            self.maps_agreed.resize(count, Default::default());
        }
        let in_scope = |index: usize| scope.is_none_or(|map| index == 0 || index == map.0 as usize);
        for index in (0..count).filter(|&index| in_scope(index)) {
            let versions = (self.c_reads.version(index), self.rust_reads.version(index));
            let agreed = self.maps_agreed[index];
            if agreed == versions {
                continue;
            }
            let reads = (&self.c_reads, &self.rust_reads);
            let known_same = !deep && same_since_agreed(reads, index, agreed) == Some(true);
            let (c, rust) = (&self.c_reads.maps()[index], &self.rust_reads.maps()[index]);
            if !known_same {
                if let Some(mismatch) = oracle::compare_maps(MapRef(index as u32), c, rust) {
                    return Some(mismatch);
                }
            }
            self.maps_agreed[index] = versions;
        }
        None
    }

    /// Re-reads both kentry allocators when the step could have changed
    /// them (set-up, a deep check, or a call on the kentry cache on either
    /// side); otherwise, and when either side has no table to read, the
    /// kentry oracle skips the step (and once the C is retired).
    fn refresh_kentry(&mut self, step: &Step<'_>, deep: bool) {
        let touched = step.op.is_none()
            || deep
            || oracle::touches_kentry(&self.c.machine().trace()[step.c_trace_start..])
            || oracle::touches_kentry(&self.rust.machine().trace()[step.rust_trace_start..]);
        self.kentry_read = touched
            && self.retired.is_none()
            && self.c.fill_kentry(&mut self.kentry.0)
            && self.rust.fill_kentry(&mut self.kentry.1);
    }

    /// Re-reads the maps `reread` names into the reused buffers, the C's
    /// only while it is not retired. The entry
    /// ranges operands resolve against come from the reference side (the C,
    /// else the port), rebuilt for the maps whose version changed.
    fn refresh_maps(&mut self, reread: Reread) {
        if self.retired.is_none() {
            self.c_reads.refresh(&self.c, reread, &mut self.versions);
        }
        self.rust_reads
            .refresh(&self.rust, reread, &mut self.versions);
        let reference = match self.retired {
            Some(_) => &self.rust_reads,
            None => &self.c_reads,
        };
        let count = reference.maps().len();
        // Ranges past the maps are kept for their buffers (`MapsView`
        // shows none).
        if self.ranges.len() < count {
            self.ranges.resize_with(count, Vec::new);
        }
        self.ranges_versions.resize(count, Version::default());
        for (index, map) in reference.maps().iter().enumerate() {
            let (version, had) = (reference.version(index), self.ranges_versions[index]);
            if version == had && version.is_known() {
                continue;
            }
            let range = |entry: &EntryState| (entry.start, entry.end);
            let ranges = &mut self.ranges[index];
            match reference.change_since(index, had) {
                // The entries between the common beginning and end changed:
                // only those ranges are written again.
                Some(Change {
                    entries: Some((first, last)),
                    entries_before: Some((first_before, last_before)),
                    ..
                }) if first == first_before && last_before <= ranges.len() => {
                    let fresh = map.entries[first..last].iter().map(range);
                    ranges.splice(first_before..last_before, fresh);
                }
                Some(Change { entries: None, .. }) => {}
                _ => {
                    ranges.clear();
                    ranges.extend(map.entries.iter().map(range));
                }
            }
            // A walk of the map: in the test builds' self-checks only
            // (fuzz builds keep debug assertions for O(1) checks).
            assert!(!SELF_CHECKS || ranges.iter().copied().eq(map.entries.iter().map(range)));
            self.ranges_versions[index] = version;
        }
    }

    /// Whether the step can have changed the kernel map on either side: an
    /// operation on it, or any call through which a side's kernel changes
    /// its own map (a kernel-map entry taken or freed, a kentry slab, a
    /// reap, kernel memory populated or depopulated: every `vm_kmem_alloc`
    /// and `vm_kmem_free` of the glue, whoever caused it, makes one). Other
    /// steps leave the kernel map alone, so it is not re-read after them; a
    /// side that changed it anyway is found at the next deep check (the
    /// last operation's), which re-reads every map, and the finding's
    /// re-run, deep at every step, names the operation.
    fn kernel_map_touched(&self, step: &Step<'_>) -> bool {
        let on_kernel = step
            .op
            .as_ref()
            .is_some_and(|op| op.map().is_some_and(MapRef::is_kernel));
        let changes_kernel = |events: &[Event]| {
            oracle::touches_kentry(events)
                || events.iter().any(|event| {
                    matches!(
                        event,
                        Event::KmemPopulate { .. } | Event::KmemDepopulate { .. }
                    )
                })
        };
        on_kernel
            || changes_kernel(&self.c.machine().trace()[step.c_trace_start..])
            || changes_kernel(&self.rust.machine().trace()[step.rust_trace_start..])
    }

    fn view(&self) -> MapsView<'_> {
        let (maps, user_maps, objects) = match self.retired {
            Some(_) => (
                self.rust_reads.maps(),
                self.rust.user_map_count(),
                self.rust.object_count(),
            ),
            None => (
                self.c_reads.maps(),
                self.c.user_map_count(),
                self.c.object_count(),
            ),
        };
        MapsView {
            maps,
            ranges: &self.ranges,
            kernel_ranges_of_program: &self.kernel_ranges_of_program,
            user_maps,
            objects,
        }
    }
}

/// What a step means for the run.
enum Judgement {
    /// Nothing found: go on.
    Pass,
    /// Fixed mode: the C showed this registered bug and the port did what
    /// the specification says; go on with the port alone.
    Retire(&'static KnownDivergence),
    /// The run ends with this verdict.
    Verdict(Verdict),
}

/// Follows the kernel-map ranges the program owns: a successful enter on
/// the kernel map adds its range, a successful remove there takes its range
/// away. `ranges` stays disjoint and sorted. The new ranges are written to
/// `scratch`, which then trades places with `ranges`.
fn track_kernel_ranges(
    ranges: &mut Vec<(u64, u64)>,
    scratch: &mut Vec<(u64, u64)>,
    op: &ResolvedOp,
    c_outcome: &Outcome,
) {
    let (low, high, entered) = match (*op, c_outcome) {
        (ResolvedOp::Enter(request), Outcome::Ok(Some(start))) if request.map.is_kernel() => {
            (*start, start.wrapping_add(request.size), true)
        }
        (ResolvedOp::Remove { map, start, end }, Outcome::Ok(_)) if map.is_kernel() => {
            (start, end, false)
        }
        _ => return,
    };
    let kept = scratch;
    kept.clear();
    for &(start, end) in ranges.iter() {
        if start < low.min(end) {
            kept.push((start, end.min(low)));
        }
        if high.max(start) < end {
            kept.push((high.max(start), end));
        }
    }
    if entered && low < high {
        let position = kept.partition_point(|&(start, _)| start < low);
        kept.insert(position, (low, high));
    }
    core::mem::swap(ranges, kept);
}

/// The reference side's state, as operand resolution sees it (the runner's
/// at each step, the explorer's for a state's alphabet).
pub(crate) struct MapsView<'a> {
    /// Every map, the kernel map first.
    pub(crate) maps: &'a [MapState],
    /// Each map's entries as `(start, end)` ranges, in address order.
    pub(crate) ranges: &'a [Vec<(u64, u64)>],
    /// The kernel-map ranges the program itself entered.
    pub(crate) kernel_ranges_of_program: &'a [(u64, u64)],
    /// How many user maps exist.
    pub(crate) user_maps: u32,
    /// How many objects exist.
    pub(crate) objects: u32,
}

impl StateView for MapsView<'_> {
    fn user_map_count(&self) -> u32 {
        self.user_maps
    }

    fn object_count(&self) -> u32 {
        self.objects
    }

    fn map_bounds(&self, map: MapRef) -> (u64, u64) {
        self.maps
            .get(map.0 as usize)
            .map_or((0, 0), |view| (view.start, view.end))
    }

    fn entries(&self, map: MapRef) -> &[(u64, u64)] {
        let index = map.0 as usize;
        match index < self.maps.len() {
            true => self.ranges.get(index).map_or(&[], Vec::as_slice),
            false => &[],
        }
    }

    fn kernel_ranges_of_program(&self) -> &[(u64, u64)] {
        self.kernel_ranges_of_program
    }

    fn entry_has_object(&self, map: MapRef, index: usize) -> bool {
        self.maps
            .get(map.0 as usize)
            .and_then(|view| view.entries.get(index))
            .is_some_and(|entry| entry.object.is_some())
    }
}
