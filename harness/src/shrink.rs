//! The shrinker: minimises a program on its own structure while a predicate
//! keeps holding (for `vm-diff shrink`, "still diverges with the same
//! signature").
//!
//! It repeats three passes until none of them changes anything: drop
//! operations (halves, quarters, ... down to single operations, from the
//! end, in the manner of delta debugging), simplify the configuration (the
//! normal machine, no planned failures, every operation kind enabled), and
//! simplify each operation one field at a time (selectors toward simpler
//! ones, raw numbers toward small and page-aligned ones, flags and
//! protections toward their defaults) or replace it with the simplest
//! operation of a lighter kind (which can make other operations droppable).
//! Every candidate is strictly simpler
//! by a fixed measure ([`program_cost`]), so the search ends; it uses no
//! randomness and no clock except to stop early, so with the budget left
//! unspent, or a budget in runs only ([`Budget::tests`], what tests use),
//! the result depends only on the input and the predicate.
//!
//! Failure reporting: [`shrink`] returns [`NotInteresting`] when the
//! predicate does not hold for the input; a search cut short by its
//! [`Budget`] is not a failure, [`ShrinkResult::cut_short`] says so.

use std::collections::HashSet;
use std::fmt;
use std::time::{Duration, Instant};

use crate::program::{
    AddrSel, AlignSel, Anchor, EnterArgs, FailureList, KindMask, MachinePreset, MapSel, ObjectSel,
    Op, OpKind, Program, SizeSel, ValueSel, MAX_ALIGN_SHIFT, MAX_PAGES, PAGE_SIZE, PROT_ALL,
};

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

/// Each simpler configuration with its step description.
fn config_candidates(program: &Program) -> Vec<(Program, String)> {
    let mut candidates = Vec::new();
    if program.machine != MachinePreset::Normal {
        let mut candidate = program.clone();
        candidate.machine = MachinePreset::Normal;
        candidates.push((candidate, "machine tiny -> normal".to_string()));
    }
    if program.swarm != KindMask::ALL {
        let mut candidate = program.clone();
        candidate.swarm = KindMask::ALL;
        candidates.push((candidate, "swarm mask reset to every kind".to_string()));
    }
    let plan = &program.fault_plan;
    for (index, &number) in plan.failing_phys_allocs.iter().enumerate() {
        let mut candidate = program.clone();
        candidate.fault_plan.failing_phys_allocs = without(&plan.failing_phys_allocs, index);
        candidates.push((candidate, format!("dropped `fail phys {number}`")));
    }
    for (index, &number) in plan.failing_cache_allocs.iter().enumerate() {
        let mut candidate = program.clone();
        candidate.fault_plan.failing_cache_allocs = without(&plan.failing_cache_allocs, index);
        candidates.push((candidate, format!("dropped `fail cache {number}`")));
    }
    candidates
}

fn without(list: &FailureList, skipped: usize) -> FailureList {
    let mut kept = FailureList::EMPTY;
    for (index, &number) in list.iter().enumerate() {
        if index != skipped {
            kept.push(number);
        }
    }
    kept
}

// ------------------------------------------------------------ the measure

/// How complicated a program is: the sum of its parts' costs. Every
/// candidate the shrinker tries costs strictly less than the program it
/// came from, which is why the search ends.
pub fn program_cost(program: &Program) -> u64 {
    let config = u64::from(program.machine != MachinePreset::Normal)
        + u64::from(program.swarm != KindMask::ALL)
        + program.fault_plan.failing_phys_allocs.len() as u64
        + program.fault_plan.failing_cache_allocs.len() as u64;
    // An operation outweighs any simplification of operands or kind.
    let per_op = 1 << 20;
    config
        + program
            .ops
            .iter()
            .map(|op| per_op + op_cost(op))
            .sum::<u64>()
}

/// How much an operation's kind weighs, simplest first: the kinds that
/// need nothing (reap, info, create-object), then enter, create-map, and
/// the two that need a user map. Replacing an operation by one of a
/// lighter kind can unlock drops that no single drop reaches (the 37th
/// create-map whose slab merges can become one enter).
const KIND_WEIGHT: u64 = 1 << 14;

fn kind_rank(kind: OpKind) -> u64 {
    match kind {
        OpKind::Reap => 0,
        OpKind::Info => 1,
        OpKind::CreateObject => 2,
        OpKind::Enter => 3,
        OpKind::CreateMap => 4,
        OpKind::Remove => 5,
        OpKind::Fault => 6,
    }
}

/// An operation's cost: its kind's weight plus the sum of its fields'
/// costs (0 at the defaults).
pub fn op_cost(op: &Op) -> u64 {
    KIND_WEIGHT * kind_rank(op.kind()) + field_cost(op)
}

fn field_cost(op: &Op) -> u64 {
    match op {
        Op::Enter(args) => enter_cost(args),
        Op::Remove {
            map,
            start,
            end,
            invalid,
        } => map_cost(*map) + addr_cost(*start) + addr_cost(*end) + u64::from(*invalid),
        Op::Fault {
            map, addr, invalid, ..
        } => map_cost(*map) + addr_cost(*addr) + u64::from(*invalid),
        Op::Info { map } => map_cost(*map),
        Op::CreateMap | Op::CreateObject | Op::Reap => 0,
    }
}

fn enter_cost(args: &EnterArgs) -> u64 {
    map_cost(args.map)
        + object_cost(args.object)
        + offset_cost(args.offset)
        + addr_cost(args.start)
        + size_cost(args.size)
        + align_cost(args.align)
        + prot_cost(args.prot)
        + prot_cost(args.maxprot)
        + u64::from(args.inherit)
        + u64::from(args.advice)
        + u64::from(args.fixed)
        + u64::from(args.nomerge)
        + u64::from(args.invalid)
}

/// Set bits weigh most, then the bit length: clearing a bit, truncating
/// to a page or halving all make a number cheaper.
fn raw_cost(value: u64) -> u64 {
    u64::from(value.count_ones()) * 65 + u64::from(64 - value.leading_zeros())
}

/// The kernel map is the simplest: a user-map selector with no user map
/// also resolves to it.
fn map_cost(map: MapSel) -> u64 {
    match map {
        MapSel::Kernel => 0,
        MapSel::User(number) => u64::from(number),
    }
}

fn object_cost(object: ObjectSel) -> u64 {
    match object {
        ObjectSel::None => 0,
        ObjectSel::Nth(index) => 1 + u64::from(index),
    }
}

fn offset_cost(offset: ValueSel) -> u64 {
    match offset {
        ValueSel::Pages(pages) => u64::from(pages),
        ValueSel::Raw(value) => 200 + raw_cost(value),
    }
}

fn anchor_cost(anchor: Anchor) -> u64 {
    match anchor {
        Anchor::MapStart => 0,
        Anchor::MapEnd => 1,
        Anchor::EntryStart(index) => 2 + 4 * u64::from(index),
        Anchor::EntryEnd(index) => 3 + 4 * u64::from(index),
        Anchor::GapStart(index) => 4 + 4 * u64::from(index),
        Anchor::GapEnd(index) => 5 + 4 * u64::from(index),
    }
}

fn addr_cost(addr: AddrSel) -> u64 {
    match addr {
        AddrSel::Zero => 0,
        AddrSel::At(anchor) => 1 + anchor_cost(anchor),
        AddrSel::Near(anchor, delta) => 2 + anchor_cost(anchor) + u64::from(delta.unsigned_abs()),
        AddrSel::Raw(value) => 1 + raw_cost(value),
    }
}

/// One page is the simplest size: `pages(0)` only means something to an
/// `invalid` operation (a valid one is repaired to a page).
fn size_cost(size: SizeSel) -> u64 {
    match size {
        SizeSel::Pages(1) => 0,
        SizeSel::Pages(0) => 1,
        SizeSel::Pages(pages) => u64::from(pages),
        SizeSel::GapSize(index) => 128 + u64::from(index),
        SizeSel::EntrySize(index) => 160 + u64::from(index),
        SizeSel::Raw(value) => 200 + raw_cost(value),
    }
}

fn align_cost(align: AlignSel) -> u64 {
    match align {
        AlignSel::None => 0,
        AlignSel::PageShift(shift) => 1 + u64::from(shift),
        AlignSel::Raw(value) => 30 + raw_cost(value),
    }
}

/// `rwx` is the default: each missing permission costs one.
fn prot_cost(prot: u8) -> u64 {
    u64::from(3 - (prot & PROT_ALL).count_ones().min(3)) + u64::from(prot > PROT_ALL)
}

// ------------------------------------------------------------- candidates

/// The variants of `op` with one field simplified, strictly cheaper than
/// `op`, cheapest first (ties in the order generated), without repeats.
fn op_variants(op: &Op) -> Vec<Op> {
    let mut variants = match *op {
        Op::Enter(args) => enter_variants(&args),
        Op::Remove {
            map,
            start,
            end,
            invalid,
        } => remove_variants(map, start, end, invalid),
        Op::Fault {
            map,
            addr,
            access,
            invalid,
        } => {
            let mut variants: Vec<Op> = map_variants(map)
                .map(|map| Op::Fault {
                    map,
                    addr,
                    access,
                    invalid,
                })
                .collect();
            variants.extend(addr_variants(addr).into_iter().map(|addr| Op::Fault {
                map,
                addr,
                access,
                invalid,
            }));
            if invalid {
                variants.push(Op::Fault {
                    map,
                    addr,
                    access,
                    invalid: false,
                });
            }
            variants
        }
        Op::Info { map } => map_variants(map).map(|map| Op::Info { map }).collect(),
        Op::CreateMap | Op::CreateObject | Op::Reap => Vec::new(),
    };
    variants.extend(OpKind::ALL.map(simplest_of_kind));
    let cost = op_cost(op);
    variants.retain(|variant| op_cost(variant) < cost);
    let mut seen = HashSet::new();
    variants.retain(|variant| seen.insert(*variant));
    variants.sort_by_key(op_cost);
    variants
}

/// The simplest operation of each kind: every field at its default, a
/// remove or fault on the first entry of the first user map.
fn simplest_of_kind(kind: OpKind) -> Op {
    let first_entry_start = AddrSel::At(Anchor::EntryStart(0));
    match kind {
        OpKind::Reap => Op::Reap,
        OpKind::Info => Op::Info {
            map: MapSel::Kernel,
        },
        OpKind::CreateObject => Op::CreateObject,
        OpKind::Enter => Op::Enter(EnterArgs::default()),
        OpKind::CreateMap => Op::CreateMap,
        OpKind::Remove => Op::Remove {
            map: MapSel::User(1),
            start: first_entry_start,
            end: AddrSel::At(Anchor::EntryEnd(0)),
            invalid: false,
        },
        OpKind::Fault => Op::Fault {
            map: MapSel::User(1),
            addr: first_entry_start,
            access: 1,
            invalid: false,
        },
    }
}

fn remove_variants(map: MapSel, start: AddrSel, end: AddrSel, invalid: bool) -> Vec<Op> {
    let remove = |map, start, end, invalid| Op::Remove {
        map,
        start,
        end,
        invalid,
    };
    let mut variants: Vec<Op> = map_variants(map)
        .map(|map| remove(map, start, end, invalid))
        .collect();
    variants.extend(
        addr_variants(start)
            .into_iter()
            .map(|start| remove(map, start, end, invalid)),
    );
    variants.extend(
        addr_variants(end)
            .into_iter()
            .map(|end| remove(map, start, end, invalid)),
    );
    if invalid {
        variants.push(remove(map, start, end, false));
    }
    variants
}

fn enter_variants(args: &EnterArgs) -> Vec<Op> {
    let mut variants = Vec::new();
    let mut push = |changed: EnterArgs| variants.push(Op::Enter(changed));
    map_variants(args.map).for_each(|map| push(EnterArgs { map, ..*args }));
    for object in object_variants(args.object) {
        push(EnterArgs { object, ..*args });
    }
    for offset in offset_variants(args.offset) {
        push(EnterArgs { offset, ..*args });
    }
    for start in addr_variants(args.start) {
        push(EnterArgs { start, ..*args });
    }
    for size in size_variants(args.size) {
        push(EnterArgs { size, ..*args });
    }
    for align in align_variants(args.align) {
        push(EnterArgs { align, ..*args });
    }
    for prot in prot_variants(args.prot) {
        push(EnterArgs { prot, ..*args });
    }
    for maxprot in prot_variants(args.maxprot) {
        push(EnterArgs { maxprot, ..*args });
    }
    for inherit in toward_zero(args.inherit) {
        push(EnterArgs { inherit, ..*args });
    }
    for advice in toward_zero(args.advice) {
        push(EnterArgs { advice, ..*args });
    }
    push(EnterArgs {
        fixed: false,
        ..*args
    });
    push(EnterArgs {
        nomerge: false,
        ..*args
    });
    push(EnterArgs {
        invalid: false,
        ..*args
    });
    variants
}

fn map_variants(map: MapSel) -> impl Iterator<Item = MapSel> {
    let mut variants = vec![MapSel::Kernel];
    if let MapSel::User(number) = map {
        variants.extend([MapSel::User(1), MapSel::User(number.saturating_sub(1))]);
    }
    variants.into_iter()
}

fn object_variants(object: ObjectSel) -> Vec<ObjectSel> {
    match object {
        ObjectSel::None => Vec::new(),
        ObjectSel::Nth(index) => vec![
            ObjectSel::None,
            ObjectSel::Nth(0),
            ObjectSel::Nth(index.saturating_sub(1)),
        ],
    }
}

fn toward_zero(value: u8) -> Vec<u8> {
    vec![0, value.saturating_sub(1)]
}

/// Toward `rwx`: all of it, or one more permission.
fn prot_variants(prot: u8) -> Vec<u8> {
    let mut variants = vec![PROT_ALL];
    variants.extend([1, 2, 4].map(|bit| (prot | bit) & PROT_ALL));
    variants
}

/// Smaller numbers with fewer set bits: zero, page-truncated or -rounded,
/// the lowest set bit cleared, only the top bit or the top half of the
/// bits kept, halved.
fn raw_variants(value: u64) -> Vec<u64> {
    let page_mask = PAGE_SIZE - 1;
    let mut variants = vec![0, value & !page_mask];
    if let Some(rounded) = value.checked_add(page_mask) {
        variants.push(rounded & !page_mask);
    }
    if value != 0 {
        let bit_length = 64 - value.leading_zeros();
        let top_half_mask = u64::MAX << (bit_length / 2);
        variants.extend([
            value & (value - 1),
            1 << (bit_length - 1),
            value & top_half_mask,
            value >> 1,
        ]);
    }
    variants
}

/// Page counts toward one page.
fn pages_variants(pages: u8) -> [u8; 3] {
    [1, pages / 2, pages.saturating_sub(1)]
}

/// A raw byte count as whole pages, when it is one the selector can hold.
fn as_pages(value: u64) -> Option<u8> {
    let pages = value / PAGE_SIZE;
    (value % PAGE_SIZE == 0 && pages <= u64::from(MAX_PAGES)).then_some(pages as u8)
}

fn size_variants(size: SizeSel) -> Vec<SizeSel> {
    let mut variants = vec![SizeSel::Pages(1)];
    match size {
        SizeSel::Pages(pages) => variants.extend(pages_variants(pages).map(SizeSel::Pages)),
        SizeSel::GapSize(index) => variants.extend([
            SizeSel::GapSize(0),
            SizeSel::GapSize(index.saturating_sub(1)),
        ]),
        SizeSel::EntrySize(index) => variants.extend([
            SizeSel::EntrySize(0),
            SizeSel::EntrySize(index.saturating_sub(1)),
        ]),
        SizeSel::Raw(value) => {
            variants.extend(as_pages(value).map(SizeSel::Pages));
            variants.extend(raw_variants(value).into_iter().map(SizeSel::Raw));
        }
    }
    variants
}

fn offset_variants(offset: ValueSel) -> Vec<ValueSel> {
    let mut variants = vec![ValueSel::Pages(0)];
    match offset {
        ValueSel::Pages(pages) => {
            variants.extend([pages / 2, pages.saturating_sub(1)].map(ValueSel::Pages))
        }
        ValueSel::Raw(value) => {
            variants.extend(as_pages(value).map(ValueSel::Pages));
            variants.extend(raw_variants(value).into_iter().map(ValueSel::Raw));
        }
    }
    variants
}

fn align_variants(align: AlignSel) -> Vec<AlignSel> {
    let mut variants = vec![AlignSel::None, AlignSel::PageShift(0)];
    match align {
        AlignSel::None => {}
        AlignSel::PageShift(shift) => {
            variants.extend([shift / 2, shift.saturating_sub(1)].map(AlignSel::PageShift))
        }
        AlignSel::Raw(value) => {
            let is_page_power = value.is_power_of_two() && value >= PAGE_SIZE;
            let shift = value.trailing_zeros().saturating_sub(12);
            if is_page_power && shift <= u32::from(MAX_ALIGN_SHIFT) {
                variants.push(AlignSel::PageShift(shift as u8));
            }
            variants.extend(raw_variants(value).into_iter().map(AlignSel::Raw));
        }
    }
    variants
}

fn anchor_variants(anchor: Anchor) -> Vec<Anchor> {
    let mut variants = vec![Anchor::MapStart, Anchor::MapEnd];
    let lower = |index: u8| [0, index.saturating_sub(1)];
    match anchor {
        Anchor::EntryStart(index) => variants.extend(lower(index).map(Anchor::EntryStart)),
        Anchor::EntryEnd(index) => {
            variants.extend(lower(index).map(Anchor::EntryEnd));
            variants.push(Anchor::EntryStart(index));
        }
        Anchor::GapStart(index) => variants.extend(lower(index).map(Anchor::GapStart)),
        Anchor::GapEnd(index) => {
            variants.extend(lower(index).map(Anchor::GapEnd));
            variants.push(Anchor::GapStart(index));
        }
        Anchor::MapStart | Anchor::MapEnd => {}
    }
    variants
}

fn addr_variants(addr: AddrSel) -> Vec<AddrSel> {
    let mut variants = vec![AddrSel::Zero];
    match addr {
        AddrSel::Zero => {}
        AddrSel::At(anchor) => {
            variants.extend(anchor_variants(anchor).into_iter().map(AddrSel::At))
        }
        AddrSel::Near(anchor, delta) => {
            variants.push(AddrSel::At(anchor));
            variants.push(AddrSel::Near(anchor, delta / 2));
            variants.push(AddrSel::Near(anchor, delta - delta.signum()));
            variants.extend(
                anchor_variants(anchor)
                    .into_iter()
                    .map(|simpler| AddrSel::Near(simpler, delta)),
            );
        }
        AddrSel::Raw(value) => variants.extend(raw_variants(value).into_iter().map(AddrSel::Raw)),
    }
    variants
}
