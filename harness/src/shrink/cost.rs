//! The measure: how complicated a program is. Every candidate the
//! shrinker tries costs strictly less than the program it came from, which
//! is why the search ends. Costs are plain numbers; nothing here fails.

use crate::program::{
    AddrSel, AlignSel, Anchor, EnterArgs, KindMask, MachinePreset, MapSel, ObjectSel, Op, OpKind,
    Program, SizeSel, ValueSel, PROT_ALL,
};

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
        Op::Remove(args) => {
            map_cost(args.map)
                + addr_cost(args.start)
                + addr_cost(args.end)
                + u64::from(args.invalid)
        }
        Op::Fault(args) => map_cost(args.map) + addr_cost(args.addr) + u64::from(args.invalid),
        Op::Info { map } => map_cost(*map),
        Op::Repeat { count, body } => {
            REPEAT_ITERATION_WEIGHT * u64::from(*count) + field_cost(&body.op())
        }
        Op::CreateMap | Op::CreateObject | Op::Reap => 0,
    }
}

/// What each iteration of a repeat adds to its body's cost: a repeat costs
/// more than its body alone and more than a shorter repeat, and the most
/// it can add (256 iterations) stays below a kind's weight times the kinds
/// and far below an operation's cost.
const REPEAT_ITERATION_WEIGHT: u64 = 1 << 8;

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
