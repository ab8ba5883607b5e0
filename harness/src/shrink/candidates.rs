//! The candidates: every configuration and every operation one step
//! simpler than a given one, strictly cheaper by `cost.rs`'s measure.
//! Generating candidates cannot fail.

use std::collections::HashSet;

use super::cost::op_cost;
use crate::program::{
    AddrSel, AlignSel, Anchor, EnterArgs, FailureList, FaultArgs, KindMask, MachinePreset, MapSel,
    ObjectSel, Op, OpKind, Program, RemoveArgs, Repeated, SizeSel, ValueSel, MAX_ALIGN_SHIFT,
    MAX_PAGES, PAGE_SIZE, PROT_ALL,
};

/// Each simpler configuration with its step description.
pub(super) fn config_candidates(program: &Program) -> Vec<(Program, String)> {
    let mut candidates = Vec::new();
    if program.machine != MachinePreset::Normal {
        let mut candidate = program.clone();
        candidate.machine = MachinePreset::Normal;
        let from = program.machine.name();
        candidates.push((candidate, format!("machine {from} -> normal")));
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

/// The variants of `op` with one field simplified, strictly cheaper than
/// `op`, cheapest first (ties in the order generated), without repeats.
pub(super) fn op_variants(op: &Op) -> Vec<Op> {
    let mut variants = match *op {
        Op::Enter(args) => enter_variants(&args),
        Op::Remove(args) => remove_variants(&args),
        Op::Fault(args) => fault_variants(&args),
        Op::Info { map } => map_variants(map).map(|map| Op::Info { map }).collect(),
        Op::Repeat { count, body } => repeat_variants(count, body),
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

/// A repeat's simpler forms: its body once, half and one fewer
/// iterations, and the body's own variants repeated as often.
fn repeat_variants(count: u16, body: Repeated) -> Vec<Op> {
    let mut variants = vec![body.op()];
    for fewer in [count / 2, count.saturating_sub(1)] {
        if fewer >= 2 {
            variants.push(Op::Repeat { count: fewer, body });
        }
    }
    let repeated_body_variants = op_variants(&body.op())
        .into_iter()
        .filter_map(Repeated::of)
        .map(|body| Op::Repeat { count, body });
    variants.extend(repeated_body_variants);
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
        OpKind::Remove => Op::Remove(RemoveArgs {
            map: MapSel::User(1),
            start: first_entry_start,
            end: AddrSel::At(Anchor::EntryEnd(0)),
            invalid: false,
        }),
        OpKind::Fault => Op::Fault(FaultArgs {
            map: MapSel::User(1),
            addr: first_entry_start,
            access: 1,
            invalid: false,
        }),
    }
}

/// The variants of one operation's arguments, each with one field changed,
/// as operations in the order they were added.
struct Variants<A> {
    args: A,
    wrap: fn(A) -> Op,
    ops: Vec<Op>,
}

impl<A: Copy> Variants<A> {
    fn of(args: A, wrap: fn(A) -> Op) -> Variants<A> {
        Variants {
            args,
            wrap,
            ops: Vec::new(),
        }
    }

    /// One variant per value, which `set` writes into a copy of the
    /// arguments.
    fn each<V>(mut self, values: impl IntoIterator<Item = V>, set: fn(&mut A, V)) -> Self {
        for value in values {
            let mut changed = self.args;
            set(&mut changed, value);
            self.ops.push((self.wrap)(changed));
        }
        self
    }
}

/// The simpler validity of an operation marked invalid: valid (none for
/// one that already is).
fn made_valid(invalid: bool) -> Option<bool> {
    invalid.then_some(false)
}

/// A remove's simpler forms: map, start, end, then valid.
fn remove_variants(args: &RemoveArgs) -> Vec<Op> {
    Variants::of(*args, Op::Remove)
        .each(map_variants(args.map), |a, map| a.map = map)
        .each(addr_variants(args.start), |a, start| a.start = start)
        .each(addr_variants(args.end), |a, end| a.end = end)
        .each(made_valid(args.invalid), |a, invalid| a.invalid = invalid)
        .ops
}

/// A fault's simpler forms: map, address, then valid.
fn fault_variants(args: &FaultArgs) -> Vec<Op> {
    Variants::of(*args, Op::Fault)
        .each(map_variants(args.map), |a, map| a.map = map)
        .each(addr_variants(args.addr), |a, addr| a.addr = addr)
        .each(made_valid(args.invalid), |a, invalid| a.invalid = invalid)
        .ops
}

/// An enter's simpler forms, field by field in the order of `EnterArgs`
/// (the flags cleared even when clear: the cost filter drops those).
fn enter_variants(args: &EnterArgs) -> Vec<Op> {
    Variants::of(*args, Op::Enter)
        .each(map_variants(args.map), |a, map| a.map = map)
        .each(object_variants(args.object), |a, object| a.object = object)
        .each(offset_variants(args.offset), |a, offset| a.offset = offset)
        .each(addr_variants(args.start), |a, start| a.start = start)
        .each(size_variants(args.size), |a, size| a.size = size)
        .each(align_variants(args.align), |a, align| a.align = align)
        .each(prot_variants(args.prot), |a, prot| a.prot = prot)
        .each(prot_variants(args.maxprot), |a, prot| a.maxprot = prot)
        .each(toward_zero(args.inherit), |a, inherit| a.inherit = inherit)
        .each(toward_zero(args.advice), |a, advice| a.advice = advice)
        .each([false], |a, fixed| a.fixed = fixed)
        .each([false], |a, nomerge| a.nomerge = nomerge)
        .each([false], |a, invalid| a.invalid = invalid)
        .ops
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
