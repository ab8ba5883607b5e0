//! Exhaustive small-scope exploration: every state both sides can reach
//! from set-up in at most K operations of a finite [`Alphabet`], each
//! transition judged by all the runner's oracles, breadth first.
//!
//! A state is identified by [`state::state_id`] (a hash of both sides'
//! maps, page tables, kentry table and machine state), so a state reached
//! by several paths is expanded once. States are rebuilt by replaying their
//! path from set-up: the runner resets the machines for every program, so
//! running the path followed by one more operation is one transition.
//! Breadth first, the first finding is on a shortest program.
//!
//! Bounds are counted, never timed: the depth, the number of distinct
//! states and the number of transitions. The search is deterministic (the
//! alphabet's order, a fixed hasher), so two runs give the same counts.
//!
//! Failure reporting: a finding ends the search as [`End::Finding`] with
//! the runner's [`Divergence`]; a transition where a registered bug of the
//! C shows is counted and not expanded (the runner stops comparing there),
//! and so is one where both sides panic (nothing runs after a panic).
//! Nothing here panics.

pub mod alphabet;
pub mod state;

use std::collections::HashSet;
use std::fmt;
use std::hash::BuildHasherDefault;

pub use alphabet::{Alphabet, Layout};

use crate::program::{MachinePreset, Op, Program, MAX_OPS};
use crate::runner::{Divergence, Runner, Verdict};
use crate::side::Side;
use vm_rs::MapState;

/// What the search may spend; every bound is a count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Bounds {
    /// The longest program tried (at most [`MAX_OPS`]).
    pub depth: usize,
    /// Stop once this many distinct states are known.
    pub max_states: u64,
    /// Stop once this many transitions have run.
    pub max_transitions: u64,
}

/// Where and on what the search runs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    /// The machine both sides start from.
    pub machine: MachinePreset,
    /// The operations tried in every state.
    pub alphabet: Alphabet,
}

/// The counts of one depth: the states first reached by programs of that
/// many operations, and the transitions that led out of the depth before.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DepthCount {
    /// Distinct new states at this depth.
    pub states: u64,
    /// Transitions run from the states of the depth before (0 at depth 0).
    pub transitions: u64,
    /// Transitions that showed a registered bug of the C (not expanded).
    pub known: u64,
    /// Transitions after which both sides had panicked (not expanded).
    pub terminal: u64,
}

/// A registered bug of the C met during the search.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KnownMet {
    /// The registry id.
    pub id: &'static str,
    /// How many transitions showed it.
    pub transitions: u64,
    /// The first (so a shortest) program that showed it.
    pub first: Program,
}

/// Why the search ended.
#[derive(Debug)]
pub enum End {
    /// Every state within `depth` operations was explored: the bound is
    /// proven.
    Proven {
        /// The depth proven.
        depth: usize,
    },
    /// A bound on states or transitions stopped the search inside a depth;
    /// every depth before it is complete.
    Cut {
        /// The deepest complete depth.
        complete_depth: usize,
        /// Which bound: "states" or "transitions".
        bound: &'static str,
    },
    /// A finding, on a shortest program.
    Finding(Box<Divergence>),
}

/// The result of a search.
#[derive(Debug)]
pub struct Exploration {
    /// The machine explored.
    pub machine: MachinePreset,
    /// The counts per depth, from depth 0 (the state after set-up).
    pub depths: Vec<DepthCount>,
    /// The registered bugs of the C met, in the order first met.
    pub known: Vec<KnownMet>,
    /// Why it ended.
    pub end: End,
}

impl Exploration {
    /// Distinct states over every depth.
    pub fn states(&self) -> u64 {
        self.depths.iter().map(|depth| depth.states).sum()
    }

    /// Transitions over every depth.
    pub fn transitions(&self) -> u64 {
        self.depths.iter().map(|depth| depth.transitions).sum()
    }
}

/// Where the search is, for a progress line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The depth being reached.
    pub depth: usize,
    /// States of the depth before expanded so far.
    pub expanded: usize,
    /// How many states the depth before has.
    pub frontier: usize,
    /// Distinct states so far.
    pub states: u64,
    /// Transitions so far.
    pub transitions: u64,
}

/// Identities are already hashes: the set keeps them as they are.
#[derive(Default)]
struct IdentityHasher(u64);

impl std::hash::Hasher for IdentityHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 = self.0.rotate_left(8) ^ u64::from(byte);
        }
    }

    fn write_u64(&mut self, value: u64) {
        self.0 = value;
    }
}

type StateSet = HashSet<u64, BuildHasherDefault<IdentityHasher>>;

/// How one transition ended.
enum Step {
    /// A state to keep if new.
    State(u64),
    /// Not expanded: a registered bug showed, or both sides panicked.
    Stopped,
    /// A finding.
    Finding(Box<Divergence>),
}

/// The search's working state.
struct Search<'a, C: Side, R: Side> {
    runner: &'a mut Runner<C, R>,
    scope: &'a Scope,
    bounds: Bounds,
    seen: StateSet,
    depths: Vec<DepthCount>,
    known: Vec<KnownMet>,
    /// The states of each depth from 1 on, in the order found: a path is
    /// rebuilt by following parents, so a state costs one operation.
    levels: Vec<Vec<Node>>,
    buffer: MapState,
}

/// A state by the operation that first reached it from its parent, the
/// parent's index in the depth before (depth 0 is the one state after
/// set-up).
struct Node {
    parent: u32,
    op: Op,
}

/// Explores every state within `bounds` from set-up on `scope`'s machine,
/// calling `progress` before each state is expanded and every 4096
/// transitions.
pub fn explore<C: Side, R: Side>(
    runner: &mut Runner<C, R>,
    scope: &Scope,
    bounds: Bounds,
    progress: &mut dyn FnMut(Progress),
) -> Exploration {
    let bounds = Bounds {
        depth: bounds.depth.min(MAX_OPS),
        ..bounds
    };
    let mut search = Search {
        runner,
        scope,
        bounds,
        seen: StateSet::default(),
        depths: Vec::new(),
        known: Vec::new(),
        levels: Vec::new(),
        buffer: MapState::default(),
    };
    let end = search.run(progress);
    Exploration {
        machine: scope.machine,
        depths: search.depths,
        known: search.known,
        end,
    }
}

impl<C: Side, R: Side> Search<'_, C, R> {
    fn run(&mut self, progress: &mut dyn FnMut(Progress)) -> End {
        self.depths.push(DepthCount::default());
        self.levels.push(Vec::new());
        match self.transition(&[]) {
            Step::State(id) => {
                self.seen.insert(id);
                self.depths[0].states = 1;
            }
            Step::Stopped => return End::Proven { depth: 0 },
            Step::Finding(divergence) => return End::Finding(divergence),
        }
        for depth in 1..=self.bounds.depth {
            if self.depths[depth - 1].states == 0 {
                break;
            }
            self.depths.push(DepthCount::default());
            self.levels.push(Vec::new());
            if let Err(end) = self.next_depth(depth, progress) {
                return end;
            }
        }
        End::Proven {
            depth: self.bounds.depth,
        }
    }

    /// Every transition out of the states of `depth - 1`; the new states
    /// go to `levels[depth]`.
    fn next_depth(&mut self, depth: usize, progress: &mut dyn FnMut(Progress)) -> Result<(), End> {
        let frontier = self.depths[depth - 1].states as usize;
        for expanded in 0..frontier {
            progress(self.progress(depth, expanded, frontier));
            // Replaying the path gives the layout the alphabet is read in.
            let mut child = self.path(depth - 1, expanded);
            self.runner.run(&self.program(&child));
            let layout = Layout::of(self.runner);
            for op in self.scope.alphabet.operations(&layout) {
                if let Some(bound) = self.exhausted() {
                    return Err(End::Cut {
                        complete_depth: depth - 1,
                        bound,
                    });
                }
                child.push(op);
                self.depths[depth].transitions += 1;
                match self.transition(&child) {
                    Step::State(id) => {
                        if self.seen.insert(id) {
                            self.depths[depth].states += 1;
                            self.levels[depth].push(Node {
                                parent: expanded as u32,
                                op,
                            });
                        }
                    }
                    Step::Stopped => {}
                    Step::Finding(divergence) => return Err(End::Finding(divergence)),
                }
                child.pop();
                if self.transitions() % 4096 == 0 {
                    progress(self.progress(depth, expanded, frontier));
                }
            }
        }
        Ok(())
    }

    /// The path to state `index` of `depth`, from set-up.
    fn path(&self, depth: usize, mut index: usize) -> Vec<Op> {
        let mut ops = Vec::with_capacity(depth + 1);
        for level in self.levels[1..=depth].iter().rev() {
            let node = &level[index];
            ops.push(node.op);
            index = node.parent as usize;
        }
        ops.reverse();
        ops
    }

    /// Runs one program and says where it left both sides.
    fn transition(&mut self, path: &[Op]) -> Step {
        let panics_before = self.runner.stats.panics;
        let program = self.program(path);
        match self.runner.run(&program) {
            Verdict::Equivalent if self.runner.stats.panics > panics_before => {
                // Only the last operation can have panicked: its prefix
                // reached a state that was kept.
                self.depths[path.len()].terminal += 1;
                Step::Stopped
            }
            Verdict::Equivalent => Step::State(state::state_id(self.runner, &mut self.buffer)),
            // The explorer runs bug for bug, where no C is retired; a
            // program past a bug of the C stops like one at it.
            Verdict::Known { divergence, .. } | Verdict::Fixed { divergence, .. } => {
                self.depths[path.len()].known += 1;
                match self.known.iter_mut().find(|met| met.id == divergence.id) {
                    Some(met) => met.transitions += 1,
                    None => self.known.push(KnownMet {
                        id: divergence.id,
                        transitions: 1,
                        first: self.program(path),
                    }),
                }
                Step::Stopped
            }
            Verdict::Divergence(divergence) => Step::Finding(divergence),
        }
    }

    fn program(&self, path: &[Op]) -> Program {
        Program {
            machine: self.scope.machine,
            ops: path.to_vec(),
            ..Program::new()
        }
    }

    fn transitions(&self) -> u64 {
        self.depths.iter().map(|depth| depth.transitions).sum()
    }

    fn exhausted(&self) -> Option<&'static str> {
        if self.seen.len() as u64 >= self.bounds.max_states {
            Some("states")
        } else if self.transitions() >= self.bounds.max_transitions {
            Some("transitions")
        } else {
            None
        }
    }

    fn progress(&self, depth: usize, expanded: usize, frontier: usize) -> Progress {
        Progress {
            depth,
            expanded,
            frontier,
            states: self.seen.len() as u64,
            transitions: self.transitions(),
        }
    }
}

/// A preset's name, as the text form and `--machine` write it.
pub fn preset_name(machine: MachinePreset) -> &'static str {
    match machine {
        MachinePreset::Tiny => "tiny",
        MachinePreset::Scarce => "scarce",
        MachinePreset::Normal => "normal",
    }
}

impl fmt::Display for Exploration {
    /// The per-depth table, the registered bugs of the C met, and the
    /// bound proven (or where the search stopped); a finding's report is
    /// printed by the caller.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "depth  states  transitions  known  panicked")?;
        for (depth, count) in self.depths.iter().enumerate() {
            writeln!(
                f,
                "{depth:>5}  {:>6}  {:>11}  {:>5}  {:>8}",
                count.states, count.transitions, count.known, count.terminal
            )?;
        }
        for met in &self.known {
            let ops: Vec<String> = met.first.ops.iter().map(ToString::to_string).collect();
            writeln!(
                f,
                "known bug of the C {} in {} transitions (not explored further), first by: {}",
                met.id,
                met.transitions,
                ops.join("; ")
            )?;
        }
        let preset = preset_name(self.machine);
        let (states, transitions) = (self.states(), self.transitions());
        match &self.end {
            End::Proven { depth } => write!(
                f,
                "every state reachable in <= {depth} operations over this alphabet on the {preset} preset: {states} states, {transitions} transitions, equivalent"
            ),
            End::Cut {
                complete_depth,
                bound,
            } => write!(
                f,
                "stopped by the {bound} bound inside depth {}: every state reachable in <= {complete_depth} operations over this alphabet on the {preset} preset is equivalent ({states} states, {transitions} transitions so far)",
                complete_depth + 1
            ),
            End::Finding(divergence) => write!(
                f,
                "FINDING at depth {} after {transitions} transitions ({states} states): a shortest program over this alphabet",
                divergence.program.ops.len()
            ),
        }
    }
}
