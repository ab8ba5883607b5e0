//! The runner: plays one [`Program`] on both sides in lockstep and applies
//! the oracles after setup and after every operation.
//!
//! Operands are resolved against the C side's state (the reference). The
//! first mismatch ends the run: either a registered known divergence of the
//! C original ([`crate::known`]), after which the program is no longer
//! compared and passes, or a [`Divergence`] to report. The runner itself
//! never panics; the fuzz target panics on a [`Verdict::Divergence`].

use crate::known::{self, KnownDivergence};
use crate::mismatch::Mismatch;
use crate::observe::Outcome;
use crate::oracle;
use crate::program::{MachinePreset, MapRef, OpKind, Program, ResolvedOp, StateView};
use crate::side::Side;
use crate::spec_oracle::{SideStep, SpecOracle};
use sim::{FaultPlan, MachineConfig};
use vm_rs::{KentryState, MapState};

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
    c_maps: Vec<MapState>,
    rust_maps: Vec<MapState>,
    /// Both sides' kentry allocators (C, port), re-read when a step could
    /// change them.
    kentry: (KentryState, KentryState),
    /// Whether `kentry` was read at this step (else the kentry oracle
    /// skips it).
    kentry_read: bool,
    ranges: Vec<Vec<(u64, u64)>>,
    /// The kernel-map ranges the program entered and has not removed, by
    /// the C's answers (operand resolution lets valid removes take only these).
    kernel_ranges_of_program: Vec<(u64, u64)>,
    /// The sixth oracle's models of both sides.
    spec: SpecOracle,
    /// The machine configuration of the program being run.
    config: MachineConfig,
    /// Which oracles judge programs.
    pub oracles: Oracles,
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

impl<C: Side, R: Side> Runner<C, R> {
    /// A runner over two sides.
    pub fn new(c: C, rust: R) -> Self {
        Runner {
            c,
            rust,
            c_maps: Vec::new(),
            rust_maps: Vec::new(),
            kentry: Default::default(),
            kentry_read: false,
            ranges: Vec::new(),
            kernel_ranges_of_program: Vec::new(),
            spec: SpecOracle::default(),
            config: MachineConfig::normal(),
            oracles: Oracles::ALL,
            whole_tables: false,
            stats: RunStats::default(),
            log: None,
        }
    }

    /// Plays `program` on both sides and judges it.
    ///
    /// For speed, after each operation only the maps it can touch (the
    /// kernel map and its own) are re-read and compared; every map, and the
    /// deep invariants (a walk of the kentry table and of every page table),
    /// are checked after set-up and after the last operation. A finding
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
        let plan = FaultPlan {
            failing_phys_allocs: program.fault_plan.failing_phys_allocs.as_slice().to_vec(),
            failing_cache_allocs: program.fault_plan.failing_cache_allocs.as_slice().to_vec(),
        };
        self.kernel_ranges_of_program.clear();
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
        if let Some(verdict) = self.judge(step, deep) {
            return verdict;
        }
        if setup_failed {
            return Verdict::Equivalent;
        }
        let step_count = program.step_count();
        for (step_number, (index, op)) in program.steps().enumerate() {
            let resolved = op.resolve(&self.view());
            let c_trace_start = self.c.machine().trace().len();
            let rust_trace_start = self.rust.machine().trace().len();
            let c_outcome = self.c.apply(&resolved);
            let rust_outcome = self.rust.apply(&resolved);
            track_kernel_ranges(&mut self.kernel_ranges_of_program, &resolved, &c_outcome);
            if !deep_every_step {
                self.count(&resolved, &c_outcome);
            }
            let terminal = c_outcome.is_terminal() && rust_outcome.is_terminal();
            let step = Step {
                program,
                op_index: Some(index),
                op: Some(resolved),
                c_outcome,
                rust_outcome,
                c_trace_start,
                rust_trace_start,
            };
            let deep = deep_every_step || step_number + 1 == step_count;
            if let Some(verdict) = self.judge(step, deep) {
                return verdict;
            }
            if terminal {
                break;
            }
        }
        Verdict::Equivalent
    }

    fn count(&mut self, op: &ResolvedOp, outcome: &Outcome) {
        self.stats.ops += 1;
        self.stats.ops_by_kind[op.kind() as usize] += 1;
        match outcome {
            Outcome::Ok(_) => self.stats.successes += 1,
            Outcome::Error(_) => self.stats.errors += 1,
            Outcome::Precondition(_) | Outcome::Fatal(_) => self.stats.panics += 1,
            Outcome::Undefined(_) | Outcome::Dead | Outcome::Unfinished => {}
        }
    }

    /// Applies the oracles in order; `None` when the step is equivalent.
    fn judge(&mut self, step: Step<'_>, deep: bool) -> Option<Verdict> {
        let mismatch = self.first_mismatch(&step, deep);
        if let Some(log) = self.log.as_mut() {
            log.push(StepRecord {
                op_index: step.op_index,
                op: step.op,
                c_outcome: step.c_outcome.clone(),
                rust_outcome: step.rust_outcome.clone(),
                c_maps: self.c_maps.clone(),
                rust_maps: self.rust_maps.clone(),
                expected: (0..self.c_maps.len().max(self.rust_maps.len()))
                    .map(|map| self.spec.expected_mappings(MapRef(map as u32)))
                    .collect(),
            });
        }
        let mismatch = mismatch?;
        if let Some(divergence) =
            known::recognise(&step.op, &step.c_outcome, &step.rust_outcome, &mismatch)
        {
            return Some(Verdict::Known {
                divergence,
                op_index: step.op_index,
            });
        }
        Some(Verdict::Divergence(Box::new(Divergence {
            program: step.program.clone(),
            op_index: step.op_index,
            op: step.op,
            c_outcome: step.c_outcome,
            rust_outcome: step.rust_outcome,
            mismatch,
            c_maps: self.c_maps.clone(),
            rust_maps: self.rust_maps.clone(),
        })))
    }

    fn first_mismatch(&mut self, step: &Step<'_>, deep: bool) -> Option<Mismatch> {
        let scope = if deep {
            None
        } else {
            step.op.as_ref().map(|op| self.touched_map(op))
        };
        self.refresh_maps(scope);
        self.refresh_kentry(step, deep);
        let differential = if self.oracles.differential {
            self.differential_mismatch(step, scope, deep)
        } else {
            None
        };
        differential.or_else(|| self.spec_mismatch(step, scope))
    }

    /// Oracles 1 to 5, in order.
    fn differential_mismatch(
        &self,
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
        self.compare_maps(scope)
            .or_else(|| {
                let (c, rust) = self.kentry_read.then_some(&self.kentry)?;
                oracle::compare_kentry(c, rust, step.op.is_none())
            })
            .or_else(|| oracle::compare_page_tables(self.c.machine(), self.rust.machine()))
            .or_else(|| {
                if panicked {
                    return None;
                }
                oracle::check_invariants(&self.c, &self.c_maps, &self.rust, &self.rust_maps, deep)
            })
    }

    /// Oracle 6: the specification, on each side alone.
    fn spec_mismatch(&mut self, step: &Step<'_>, scope: Option<MapRef>) -> Option<Mismatch> {
        if !self.oracles.specification {
            return None;
        }
        let c = SideStep {
            machine: self.c.machine(),
            maps: &self.c_maps,
            events: &self.c.machine().trace()[step.c_trace_start..],
            outcome: &step.c_outcome,
        };
        let rust = SideStep {
            machine: self.rust.machine(),
            maps: &self.rust_maps,
            events: &self.rust.machine().trace()[step.rust_trace_start..],
            outcome: &step.rust_outcome,
        };
        let finding = match &step.op {
            None => self.spec.setup(&self.config, &c, &rust),
            Some(op) => self.spec.check(op, scope, self.whole_tables, &c, &rust),
        }?;
        Some(Mismatch::Spec(Box::new(finding)))
    }

    /// The user map an operation can change besides the kernel map (the
    /// kernel map itself when there is none).
    fn touched_map(&self, op: &ResolvedOp) -> MapRef {
        match (op.map(), op) {
            (Some(map), _) => map,
            (None, ResolvedOp::CreateMap) => MapRef(self.c.user_map_count()),
            (None, _) => MapRef::KERNEL,
        }
    }

    /// Compares the map count, then every map (`scope` `None`) or the
    /// kernel map and the one in `scope`.
    fn compare_maps(&self, scope: Option<MapRef>) -> Option<Mismatch> {
        let (c_count, rust_count) = (self.c.user_map_count(), self.rust.user_map_count());
        if c_count != rust_count {
            return Some(Mismatch::MapCount {
                c: c_count,
                rust: rust_count,
            });
        }
        let compare = |index: usize| {
            let (c, rust) = (self.c_maps.get(index)?, self.rust_maps.get(index)?);
            oracle::compare_maps(MapRef(index as u32), c, rust)
        };
        match scope {
            None => (0..self.c_maps.len()).find_map(compare),
            Some(map) => compare(0).or_else(|| compare(map.0 as usize)),
        }
    }

    /// Re-reads both kentry allocators when the step could have changed
    /// them (set-up, a deep check, or a call on the kentry cache on either
    /// side); otherwise, and when either side has no table to read, the
    /// kentry oracle skips the step.
    fn refresh_kentry(&mut self, step: &Step<'_>, deep: bool) {
        let touched = step.op.is_none()
            || deep
            || oracle::touches_kentry(&self.c.machine().trace()[step.c_trace_start..])
            || oracle::touches_kentry(&self.rust.machine().trace()[step.rust_trace_start..]);
        self.kentry_read = touched
            && self.c.fill_kentry(&mut self.kentry.0)
            && self.rust.fill_kentry(&mut self.kentry.1);
    }

    /// Re-reads maps of both sides into the reused buffers: every map
    /// (`scope` `None`), or the kernel map, the one in `scope` and any map
    /// not read before.
    fn refresh_maps(&mut self, scope: Option<MapRef>) {
        let known_maps = self.c_maps.len();
        fill(&self.c, &mut self.c_maps, scope);
        fill(&self.rust, &mut self.rust_maps, scope);
        self.ranges.resize_with(self.c_maps.len(), Vec::new);
        for (index, (ranges, map)) in self.ranges.iter_mut().zip(&self.c_maps).enumerate() {
            if in_scope(index, scope, known_maps) {
                ranges.clear();
                ranges.extend(map.entries.iter().map(|entry| (entry.start, entry.end)));
            }
        }
    }

    fn view(&self) -> MapsView<'_> {
        MapsView {
            maps: &self.c_maps,
            ranges: &self.ranges,
            kernel_ranges_of_program: &self.kernel_ranges_of_program,
            user_maps: self.c.user_map_count(),
            objects: self.c.object_count(),
        }
    }
}

/// Follows the kernel-map ranges the program owns: a successful enter on
/// the kernel map adds its range, a successful remove there takes its range
/// away. `ranges` stays disjoint and sorted.
fn track_kernel_ranges(ranges: &mut Vec<(u64, u64)>, op: &ResolvedOp, c_outcome: &Outcome) {
    let (low, high, entered) = match (*op, c_outcome) {
        (ResolvedOp::Enter(request), Outcome::Ok(Some(start))) if request.map.is_kernel() => {
            (*start, start.wrapping_add(request.size), true)
        }
        (ResolvedOp::Remove { map, start, end }, Outcome::Ok(_)) if map.is_kernel() => {
            (start, end, false)
        }
        _ => return,
    };
    let mut kept: Vec<(u64, u64)> = Vec::with_capacity(ranges.len() + 2);
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
    *ranges = kept;
}

/// Whether map `index` is re-read: always with no scope; otherwise the
/// kernel map, the scope's map, and maps new since the last read.
fn in_scope(index: usize, scope: Option<MapRef>, known_maps: usize) -> bool {
    match scope {
        None => true,
        Some(map) => index == 0 || index == map.0 as usize || index >= known_maps,
    }
}

/// Fills `maps` with the side's kernel map and user maps (those in scope).
fn fill(side: &dyn Side, maps: &mut Vec<MapState>, scope: Option<MapRef>) {
    let known_maps = maps.len();
    let count = side.user_map_count() as usize + 1;
    maps.resize_with(count, MapState::default);
    for (index, map) in maps.iter_mut().enumerate() {
        if in_scope(index, scope, known_maps) {
            side.fill_map(MapRef(index as u32), map);
        }
    }
}

/// The reference side's state, as operand resolution sees it.
struct MapsView<'a> {
    maps: &'a [MapState],
    ranges: &'a [Vec<(u64, u64)>],
    kernel_ranges_of_program: &'a [(u64, u64)],
    user_maps: u32,
    objects: u32,
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
        self.ranges.get(map.0 as usize).map_or(&[], Vec::as_slice)
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
