//! The search: delta-debugging drops, configuration resets and operand
//! simplifications to a fixpoint, within a [`Budget`]. It fails only with
//! [`NotInteresting`], when the predicate does not hold for the input.

use std::collections::HashSet;
use std::fmt;
use std::time::{Duration, Instant};

use super::candidates::{config_candidates, op_variants};
use crate::program::{Op, Program};

/// When to stop searching, whatever is left to try: after a number of
/// evaluations of the predicate (deterministic: what tests use), or after a
/// time from the start of the search (`vm-diff shrink --budget-seconds`, a
/// convenience that depends on the machine's speed), whichever comes first.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Budget {
    /// Stop once this much time has passed since the search started.
    pub time: Option<Duration>,
    /// Stop after this many evaluations of the predicate.
    pub max_tests: Option<u64>,
}

impl Budget {
    /// No limit: search to a local minimum.
    pub fn unlimited() -> Budget {
        Budget::default()
    }

    /// Stop `duration` after the search starts.
    pub fn time(duration: Duration) -> Budget {
        Budget {
            time: Some(duration),
            max_tests: None,
        }
    }

    /// Stop after `count` evaluations of the predicate.
    pub fn tests(count: u64) -> Budget {
        Budget {
            time: None,
            max_tests: Some(count),
        }
    }
}

impl fmt::Display for Budget {
    /// "30 s", "5000 runs", "30 s or 5000 runs", "no limit".
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match (self.time, self.max_tests) {
            (None, None) => f.write_str("no limit"),
            (Some(time), None) => write!(f, "{} s", time.as_secs_f64()),
            (None, Some(tests)) => write!(f, "{tests} runs"),
            (Some(time), Some(tests)) => write!(f, "{} s or {tests} runs", time.as_secs_f64()),
        }
    }
}

/// A [`Budget`] being spent: the clock starts with the search.
#[derive(Debug, Clone, Copy)]
struct Spending {
    deadline: Option<Instant>,
    max_tests: Option<u64>,
}

impl Spending {
    fn start(budget: Budget) -> Spending {
        Spending {
            deadline: budget
                .time
                .and_then(|time| Instant::now().checked_add(time)),
            max_tests: budget.max_tests,
        }
    }

    fn is_spent(&self, tests_run: u64) -> bool {
        self.max_tests.is_some_and(|max| tests_run >= max)
            || self
                .deadline
                .is_some_and(|deadline| Instant::now() >= deadline)
    }
}

/// The predicate does not hold for the program given to [`shrink`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NotInteresting;

impl fmt::Display for NotInteresting {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("the program does not have the property to keep; nothing to shrink")
    }
}

impl std::error::Error for NotInteresting {}

/// What a search found.
#[derive(Debug, Clone)]
pub struct ShrinkResult {
    /// The smallest program found for which the predicate holds.
    pub program: Program,
    /// Every accepted step, in order, as one line each.
    pub steps: Vec<String>,
    /// How many times the predicate ran (the input's check included).
    pub tests: u64,
    /// Whether the budget ran out before a local minimum was reached.
    pub cut_short: bool,
}

/// Minimises `program` while `predicate` holds, calling `on_step` with each
/// accepted step ("dropped op 7 (41 -> 40 ops)").
pub fn shrink<P>(
    program: &Program,
    predicate: P,
    budget: Budget,
    on_step: &mut dyn FnMut(&str),
) -> Result<ShrinkResult, NotInteresting>
where
    P: FnMut(&Program) -> bool,
{
    let mut shrinker = Shrinker {
        best: program.clone(),
        predicate,
        budget: Spending::start(budget),
        tests: 0,
        cut_short: false,
        tried: HashSet::new(),
        steps: Vec::new(),
        on_step,
    };
    shrinker.tests += 1;
    if !(shrinker.predicate)(program) {
        return Err(NotInteresting);
    }
    shrinker.tried.insert(program.clone());
    while !shrinker.cut_short {
        let dropped = shrinker.drop_ops();
        let configured = shrinker.simplify_config();
        let simplified = shrinker.simplify_operands();
        if !(dropped || configured || simplified) {
            break;
        }
    }
    Ok(ShrinkResult {
        program: shrinker.best,
        steps: shrinker.steps,
        tests: shrinker.tests,
        cut_short: shrinker.cut_short,
    })
}

/// The search state: the best program so far and what has been tried.
struct Shrinker<'a, P> {
    best: Program,
    predicate: P,
    budget: Spending,
    tests: u64,
    cut_short: bool,
    tried: HashSet<Program>,
    steps: Vec<String>,
    on_step: &'a mut dyn FnMut(&str),
}

impl<P: FnMut(&Program) -> bool> Shrinker<'_, P> {
    /// Tests `candidate`; when the predicate holds it becomes the best and
    /// the step is recorded. Candidates out of the language's bounds, or
    /// already tried, are rejected without running the predicate.
    fn attempt(&mut self, candidate: Program, describe: impl FnOnce(&Program) -> String) -> bool {
        if self.cut_short || candidate.check_bounds().is_err() || self.tried.contains(&candidate) {
            return false;
        }
        if self.budget.is_spent(self.tests) {
            self.cut_short = true;
            return false;
        }
        self.tests += 1;
        let holds = (self.predicate)(&candidate);
        self.tried.insert(candidate.clone());
        if holds {
            let step = describe(&self.best);
            (self.on_step)(&step);
            self.steps.push(step);
            self.best = candidate;
        }
        holds
    }

    /// Drops windows of operations, from half the program down to one
    /// operation, from the end backwards.
    fn drop_ops(&mut self) -> bool {
        let mut changed = false;
        let mut window = (self.best.ops.len() / 2).max(1);
        loop {
            let mut end = self.best.ops.len();
            while end > 0 && !self.cut_short {
                let start = end.saturating_sub(window);
                let mut candidate = self.best.clone();
                candidate.ops.drain(start..end);
                changed |= self.attempt(candidate, |before| {
                    describe_drop(start, end, before.ops.len())
                });
                end = start.min(self.best.ops.len());
            }
            if window == 1 || self.cut_short {
                return changed;
            }
            window /= 2;
        }
    }

    /// The normal machine, no planned failures, every kind enabled.
    fn simplify_config(&mut self) -> bool {
        let mut changed = false;
        while self.simplify_config_once() {
            changed = true;
        }
        changed
    }

    /// Tries the simpler configurations of the best program in turn; true
    /// when one was accepted (the others are then built again from it).
    fn simplify_config_once(&mut self) -> bool {
        for (candidate, step) in config_candidates(&self.best) {
            if self.attempt(candidate, |_| step) {
                return true;
            }
        }
        false
    }

    /// Simplifies each operation's operands until none is accepted.
    fn simplify_operands(&mut self) -> bool {
        let mut changed = false;
        for index in 0..self.best.ops.len() {
            loop {
                match self.simplify_op_once(index) {
                    Simplified::Nothing => break,
                    Simplified::Operand => changed = true,
                    // A new kind often makes other operations droppable:
                    // back to the drop pass first.
                    Simplified::Kind => return true,
                }
            }
        }
        changed
    }

    /// Tries the simpler variants of operation `index`, simplest first.
    fn simplify_op_once(&mut self, index: usize) -> Simplified {
        let Some(&op) = self.best.ops.get(index) else {
            return Simplified::Nothing;
        };
        // Identical operations often only matter together (two enters
        // that merge must keep equal flags): each variant is tried on all
        // of them at once first.
        let twins: Vec<usize> = (0..self.best.ops.len())
            .filter(|&other| self.best.ops[other] == op)
            .collect();
        for variant in op_variants(&op) {
            let groups: &[&[usize]] = if twins.len() > 1 {
                &[&twins, &[index]]
            } else {
                &[&[index]]
            };
            for &group in groups {
                let mut candidate = self.best.clone();
                for &member in group {
                    candidate.ops[member] = variant;
                }
                if self.attempt(candidate, |_| describe_change(group, &op, &variant)) {
                    return if variant.kind() == op.kind() {
                        Simplified::Operand
                    } else {
                        Simplified::Kind
                    };
                }
            }
        }
        Simplified::Nothing
    }
}

/// What one attempt to simplify an operation did.
enum Simplified {
    /// No simpler variant keeps the property.
    Nothing,
    /// One operand was simplified.
    Operand,
    /// The operation was replaced by one of a lighter kind.
    Kind,
}

/// Every program one step simpler than `program` that a search tries: one
/// operation dropped, one configuration setting reset, or one operation
/// simplified (one operand, or replaced by the simplest operation of a
/// lighter kind). A result of [`shrink`] that was not cut short
/// has no neighbour for which its predicate holds (a local minimum).
pub fn neighbours(program: &Program) -> Vec<Program> {
    let mut candidates = Vec::new();
    for index in 0..program.ops.len() {
        let mut candidate = program.clone();
        candidate.ops.remove(index);
        candidates.push(candidate);
    }
    candidates.extend(
        config_candidates(program)
            .into_iter()
            .map(|(candidate, _)| candidate),
    );
    for (index, op) in program.ops.iter().enumerate() {
        for variant in op_variants(op) {
            let mut candidate = program.clone();
            candidate.ops[index] = variant;
            candidates.push(candidate);
        }
    }
    candidates.retain(|candidate| candidate.check_bounds().is_ok());
    candidates
}

fn describe_drop(start: usize, end: usize, before: usize) -> String {
    let after = before - (end - start);
    if end - start == 1 {
        format!(
            "dropped op {start} ({before} -> {})",
            crate::commands::count(after, "op")
        )
    } else {
        format!(
            "dropped ops {start}-{} ({before} -> {})",
            end - 1,
            crate::commands::count(after, "op")
        )
    }
}

/// "op 3: size=pages(12) -> size=pages(6)": the operations changed and
/// the words of their text form that changed.
fn describe_change(indices: &[usize], old: &Op, new: &Op) -> String {
    let numbers: Vec<String> = indices.iter().map(ToString::to_string).collect();
    let ops = if indices.len() == 1 { "op" } else { "ops" };
    format!("{ops} {}: {}", numbers.join(","), describe_words(old, new))
}

fn describe_words(old: &Op, new: &Op) -> String {
    let (old_text, new_text) = (old.to_string(), new.to_string());
    let old_words: Vec<&str> = old_text.split(' ').collect();
    let new_words: Vec<&str> = new_text.split(' ').collect();
    let removed: Vec<&str> = old_words
        .iter()
        .copied()
        .filter(|word| !new_words.contains(word))
        .collect();
    let added: Vec<&str> = new_words
        .iter()
        .copied()
        .filter(|word| !old_words.contains(word))
        .collect();
    if old.kind() != new.kind() {
        format!("{} -> {new}", old.kind().name())
    } else if added.is_empty() {
        format!("dropped {}", removed.join(" "))
    } else {
        format!("{} -> {}", removed.join(" "), added.join(" "))
    }
}
