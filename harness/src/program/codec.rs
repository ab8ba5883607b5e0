//! The byte encoding of programs (version 3): a total decoder and its mirror.
//!
//! Every byte string decodes; reading past the end yields zero bytes, and
//! operations are read until the input runs out or [`MAX_OPS`] are read. Most
//! fields take one byte whose ranges choose a variant, weighted so that
//! useful values are common (defaults for flags, page-sized operands, small
//! indices); raw numbers follow as LEB128 varints. The encoder writes, for
//! each value, one byte string the decoder maps back to it, so any program
//! within [`Program::check_bounds`] survives `decode(encode(p))`. Neither
//! direction fails; an out-of-bounds value encodes as some in-bounds one.
//!
//! Layout: version, machine, swarm mask, fault-plan counts, fault-plan
//! numbers, the port's mode (from version 2 on), then per operation a kind
//! byte and the kind's operands.
//!
//! Version 2 added the mode byte (half of all inputs run the fixed port);
//! version 1 inputs read as bug for bug.
//!
//! Versions. The encoder writes [`CURRENT_VERSION`] as the first byte, but
//! the decoder does not obey that byte: libFuzzer mutates every byte, and
//! every byte string must decode the current way, so the saved corpus's
//! version is recorded beside it (`corpus/fuzz.digest`) and named to
//! `vm-diff migrate`. [`Program::decode_version`] reads any version from
//! [`OLDEST_READABLE_VERSION`] on. To add a configuration field (such as
//! the port's mode): bump [`CURRENT_VERSION`], read the field after the
//! fault plan only when the layout's version is at least the new one (older
//! versions get the field's default), write it in [`Program::encode`], add
//! its line to the text form with the same default (the text version stays),
//! then run `vm-diff migrate OLD corpus/fuzz` and commit the corpus and its
//! digest.
//!
//! What version 3 adds to version 2 (whose decoding is unchanged): the
//! machine byte's value 2 is the `scarce` preset (version 1 reads it as
//! `normal`), and the kind table gains [`REPEAT_SLOTS`] slots for `repeat N
//! <op>` (a count byte, the body's kind, enter or remove, and its
//! operands), present whenever the swarm mask enables enter or remove.

use super::ops::{
    AddrSel, AlignSel, Anchor, EnterArgs, FaultArgs, MapSel, ObjectSel, Op, OpKind, RemoveArgs,
    Repeated, SizeSel, ValueSel, MAX_REPEAT,
};
use super::{
    FailureList, FaultPlanSpec, KindMask, MachinePreset, PortMode, Program, CURRENT_VERSION,
    MAX_OPS, OLDEST_READABLE_VERSION,
};

/// How often each kind is chosen, out of 32, before the swarm mask removes
/// disabled kinds: entering, removing and faulting are the interesting work.
const KIND_WEIGHTS: [(OpKind, usize); OpKind::COUNT] = [
    (OpKind::CreateMap, 3),
    (OpKind::CreateObject, 3),
    (OpKind::Enter, 10),
    (OpKind::Remove, 7),
    (OpKind::Fault, 6),
    (OpKind::Reap, 2),
    (OpKind::Info, 1),
];
const KIND_SLOTS: usize = 32;

/// The slots of the kind table that mean `repeat` (version 3 on), out of
/// the 32 of the kinds: about one operation in seventeen repeats.
const REPEAT_SLOTS: usize = 2;

/// The first encoding version with repeats and the scarce machine.
const REPEAT_VERSION: u8 = 3;

/// The number of failing allocations for each value of a 4-bit field: most
/// programs have no fault plan, since a failure often ends the C instance.
const PLAN_COUNTS: [u8; 16] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 4];

/// Reads bytes, yielding zeros past the end so that decoding never fails.
struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl Reader<'_> {
    fn is_empty(&self) -> bool {
        self.position >= self.bytes.len()
    }

    fn remaining(&self) -> usize {
        self.bytes.len().saturating_sub(self.position)
    }

    fn byte(&mut self) -> u8 {
        let byte = self.bytes.get(self.position).copied().unwrap_or(0);
        self.position = self.position.saturating_add(1);
        byte
    }

    /// An unsigned LEB128 number of at most ten bytes; bits beyond 64 drop.
    fn varint(&mut self) -> u64 {
        let mut value = 0u64;
        for shift in (0..70).step_by(7) {
            let byte = self.byte();
            value |= u64::from(byte & 0x7f).checked_shl(shift).unwrap_or(0);
            if byte & 0x80 == 0 {
                break;
            }
        }
        value
    }
}

fn write_varint(out: &mut Vec<u8>, mut value: u64) {
    while value >= 0x80 {
        out.push((value as u8 & 0x7f) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

/// What a slot of the kind table stands for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Slot {
    /// One operation of this kind.
    Kind(OpKind),
    /// `repeat N <op>` (version 3 on).
    Repeat,
}

/// The kinds the swarm mask leaves, repeated by weight, and from version 3
/// on the repeat slots: a kind byte picks one slot modulo the number of
/// slots.
struct KindTable {
    slots: [Slot; KIND_SLOTS + REPEAT_SLOTS],
    len: usize,
}

impl KindTable {
    fn new(mask: KindMask, version: u8) -> KindTable {
        let mut table = KindTable {
            slots: [Slot::Kind(OpKind::Enter); KIND_SLOTS + REPEAT_SLOTS],
            len: 0,
        };
        for (kind, weight) in KIND_WEIGHTS {
            if mask.contains(kind) {
                table.push(Slot::Kind(kind), weight);
            }
        }
        let repeatable = mask.contains(OpKind::Enter) || mask.contains(OpKind::Remove);
        if version >= REPEAT_VERSION && repeatable {
            table.push(Slot::Repeat, REPEAT_SLOTS);
        }
        table
    }

    fn push(&mut self, slot: Slot, weight: usize) {
        for _ in 0..weight {
            self.slots[self.len] = slot;
            self.len += 1;
        }
    }

    fn decode(&self, byte: u8) -> Slot {
        self.slots[usize::from(byte) % self.len]
    }

    fn encode(&self, slot: Slot) -> u8 {
        let index = self.slots[..self.len].iter().position(|&s| s == slot);
        index.unwrap_or(0) as u8
    }
}

impl Program {
    /// Decodes any byte string into a program; never fails, never panics.
    /// The empty input is the empty program on the normal machine.
    pub fn decode(bytes: &[u8]) -> Program {
        decode_layout(bytes, CURRENT_VERSION)
    }

    /// Decodes bytes saved with the layout of encoding `version`, or `None`
    /// when this build cannot read that version (older than
    /// [`OLDEST_READABLE_VERSION`], or newer than [`CURRENT_VERSION`]). The
    /// program is that version's meaning; its text form carries it to the
    /// current encoding (`vm-diff migrate`).
    pub fn decode_version(bytes: &[u8], version: u8) -> Option<Program> {
        (OLDEST_READABLE_VERSION..=CURRENT_VERSION)
            .contains(&version)
            .then(|| decode_layout(bytes, version))
    }

    /// Writes bytes that [`Program::decode`] turns back into this program
    /// (for any program within [`Program::check_bounds`]).
    pub fn encode(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(8 + self.ops.len() * 12);
        out.push(CURRENT_VERSION);
        out.push(encode_machine(self.machine));
        out.push(encode_swarm(self.swarm));
        encode_fault_plan(&mut out, &self.fault_plan);
        out.push(encode_mode(self.mode));
        let kinds = KindTable::new(self.swarm, CURRENT_VERSION);
        for op in self.ops.iter().take(MAX_OPS) {
            match *op {
                Op::Repeat { count, body } => {
                    out.push(kinds.encode(Slot::Repeat));
                    encode_repeat(&mut out, count, body);
                }
                _ => out.push(kinds.encode(Slot::Kind(op.kind()))),
            }
            encode_op(&mut out, &op.once());
        }
        out
    }
}

/// Decodes with the layout of `version` (every version reads the same
/// fields today; a later one reads its new fields only from its own version
/// on). The first byte is skipped: see the module documentation.
fn decode_layout(bytes: &[u8], version: u8) -> Program {
    let mut reader = Reader { bytes, position: 0 };
    let _written_version = reader.byte();
    let machine = decode_machine(reader.byte(), version);
    let swarm = decode_swarm(reader.byte());
    let fault_plan = decode_fault_plan(&mut reader);
    let mode = if version >= MODE_VERSION {
        decode_mode(reader.byte())
    } else {
        PortMode::BugForBug
    };
    let kinds = KindTable::new(swarm, version);
    let mut ops = Vec::with_capacity(reader.remaining().min(MAX_OPS));
    while !reader.is_empty() && ops.len() < MAX_OPS {
        let op = match kinds.decode(reader.byte()) {
            Slot::Kind(kind) => decode_op(kind, &mut reader),
            Slot::Repeat => decode_repeat(swarm, &mut reader),
        };
        ops.push(op);
    }
    Program {
        version,
        machine,
        mode,
        fault_plan,
        swarm,
        ops,
    }
}

/// The first encoding version with a mode byte.
const MODE_VERSION: u8 = 2;

/// Half of all inputs run each mode.
fn decode_mode(byte: u8) -> PortMode {
    if byte & 1 == 1 {
        PortMode::Fixed
    } else {
        PortMode::BugForBug
    }
}

fn encode_mode(mode: PortMode) -> u8 {
    match mode {
        PortMode::BugForBug => 0,
        PortMode::Fixed => 1,
    }
}

/// One machine in four is tiny; from version 3 on, one in four is scarce
/// (version 1 read those as normal).
fn decode_machine(byte: u8, version: u8) -> MachinePreset {
    match byte & 3 {
        3 => MachinePreset::Tiny,
        2 if version >= REPEAT_VERSION => MachinePreset::Scarce,
        _ => MachinePreset::Normal,
    }
}

fn encode_machine(machine: MachinePreset) -> u8 {
    match machine {
        MachinePreset::Tiny => 3,
        MachinePreset::Scarce => 2,
        MachinePreset::Normal => 0,
    }
}

/// A repeat's count (one byte for 1 to 128, two for 129 to
/// [`MAX_REPEAT`]) and body kind byte, then the body's operands. The body
/// is an enter unless the swarm mask leaves only removes, or the byte's low
/// bit asks for a remove that the mask allows.
fn decode_repeat(swarm: KindMask, reader: &mut Reader) -> Op {
    let first = reader.byte();
    let count = if first < 0x80 {
        u16::from(first) + 1
    } else {
        129 + u16::from(reader.byte() % 128)
    };
    let wants_remove = reader.byte() & 1 == 1;
    let remove = (wants_remove && swarm.contains(OpKind::Remove)) || !swarm.contains(OpKind::Enter);
    let kind = if remove {
        OpKind::Remove
    } else {
        OpKind::Enter
    };
    let body =
        Repeated::of(decode_op(kind, reader)).unwrap_or(Repeated::Enter(EnterArgs::default()));
    Op::Repeat { count, body }
}

fn encode_repeat(out: &mut Vec<u8>, count: u16, body: Repeated) {
    match count.clamp(1, MAX_REPEAT) {
        small @ 1..=128 => out.push((small - 1) as u8),
        large => out.extend([0x80, (large - 129) as u8]),
    }
    out.push(u8::from(matches!(body, Repeated::Remove(_))));
}

/// Half of all inputs enable every kind; the other half a random subset.
fn decode_swarm(byte: u8) -> KindMask {
    if byte < 0x80 {
        return KindMask::ALL;
    }
    KindMask::from_bits(byte & KindMask::ALL.bits()).unwrap_or(KindMask::ALL)
}

fn encode_swarm(mask: KindMask) -> u8 {
    if mask == KindMask::ALL {
        0
    } else {
        0x80 | mask.bits()
    }
}

fn decode_fault_plan(reader: &mut Reader) -> FaultPlanSpec {
    let counts = reader.byte();
    let mut plan = FaultPlanSpec::default();
    for _ in 0..PLAN_COUNTS[usize::from(counts & 15)] {
        plan.failing_phys_allocs
            .push(decode_alloc_number(reader.byte()));
    }
    for _ in 0..PLAN_COUNTS[usize::from(counts >> 4)] {
        plan.failing_cache_allocs
            .push(decode_alloc_number(reader.byte()));
    }
    plan
}

fn decode_alloc_number(byte: u8) -> u32 {
    u32::from(byte % 64) + 1
}

fn encode_fault_plan(out: &mut Vec<u8>, plan: &FaultPlanSpec) {
    let count_code = |list: &FailureList| match list.len() {
        0 => 0u8,
        count => 11 + count as u8,
    };
    out.push(count_code(&plan.failing_phys_allocs) | count_code(&plan.failing_cache_allocs) << 4);
    for &number in plan
        .failing_phys_allocs
        .iter()
        .chain(plan.failing_cache_allocs.iter())
    {
        out.push((number.wrapping_sub(1) % 64) as u8);
    }
}

fn decode_op(kind: OpKind, reader: &mut Reader) -> Op {
    match kind {
        OpKind::CreateMap => Op::CreateMap,
        OpKind::CreateObject => Op::CreateObject,
        OpKind::Enter => Op::Enter(decode_enter(reader)),
        // A struct expression evaluates its fields in the order written,
        // which here is the order of the bytes.
        OpKind::Remove => Op::Remove(RemoveArgs {
            invalid: decode_invalid(reader.byte()),
            map: decode_rare_kernel_map(reader.byte()),
            start: decode_addr(reader),
            end: decode_addr(reader),
        }),
        OpKind::Fault => {
            let map = decode_rare_kernel_map(reader.byte());
            let addr = decode_addr(reader);
            let access_byte = reader.byte();
            Op::Fault(FaultArgs {
                map,
                addr,
                access: access_byte & 7,
                invalid: access_byte >> 3 == 31,
            })
        }
        OpKind::Reap => Op::Reap,
        OpKind::Info => Op::Info {
            map: decode_map(reader.byte()),
        },
    }
}

fn encode_op(out: &mut Vec<u8>, op: &Op) {
    match *op {
        Op::CreateMap | Op::CreateObject | Op::Reap => {}
        Op::Enter(ref args) => encode_enter(out, args),
        Op::Remove(args) => {
            out.push(encode_invalid(args.invalid));
            out.push(encode_rare_kernel_map(args.map));
            encode_addr(out, args.start);
            encode_addr(out, args.end);
        }
        Op::Fault(args) => {
            out.push(encode_rare_kernel_map(args.map));
            encode_addr(out, args.addr);
            out.push((args.access & 7) | if args.invalid { 0xf8 } else { 0 });
        }
        Op::Info { map } => out.push(encode_map(map)),
        // The caller writes a repeat's count and then its body as an op.
        Op::Repeat { body, .. } => encode_op(out, &body.op()),
    }
}

/// One operation in 32 passes its operands through unrepaired.
fn decode_invalid(byte: u8) -> bool {
    byte & 31 == 31
}

fn encode_invalid(invalid: bool) -> u8 {
    if invalid {
        31
    } else {
        0
    }
}

fn decode_enter(reader: &mut Reader) -> EnterArgs {
    let mode = reader.byte();
    // A struct expression evaluates its fields in the order written, which
    // here is the order of the bytes.
    let operands = EnterArgs {
        map: decode_map(reader.byte()),
        object: decode_object(reader.byte()),
        offset: decode_offset(reader),
        start: decode_addr(reader),
        size: decode_size(reader),
        align: decode_align(reader),
        ..EnterArgs::default()
    };
    let (prot, maxprot) = decode_prot(reader.byte());
    let (inherit, advice) = decode_inherit_advice(reader.byte());
    // The top three bits of the mode byte: odd values are fixed, the two
    // largest ask for no merging (which only an invalid enter passes on).
    let variant = mode >> 5;
    EnterArgs {
        prot,
        maxprot,
        inherit,
        advice,
        fixed: variant & 1 == 1,
        nomerge: variant >= 6,
        invalid: decode_invalid(mode),
        ..operands
    }
}

fn encode_enter(out: &mut Vec<u8>, args: &EnterArgs) {
    let variant = u8::from(args.fixed) | if args.nomerge { 6 } else { 0 };
    out.push(variant << 5 | encode_invalid(args.invalid));
    out.push(encode_map(args.map));
    out.push(encode_object(args.object));
    encode_offset(out, args.offset);
    encode_addr(out, args.start);
    encode_size(out, args.size);
    encode_align(out, args.align);
    out.push(encode_prot(args.prot, args.maxprot));
    out.push(encode_inherit_advice(args.inherit, args.advice));
}

/// One map selector in four is the kernel map.
fn decode_map(byte: u8) -> MapSel {
    if byte & 3 == 0 {
        MapSel::Kernel
    } else {
        decode_user_map(byte)
    }
}

/// The user map of a byte's bits 2 to 6.
fn decode_user_map(byte: u8) -> MapSel {
    MapSel::User(((byte >> 2) & 31) + 1)
}

fn encode_map(map: MapSel) -> u8 {
    match map {
        MapSel::Kernel => 0,
        MapSel::User(number) => (number.wrapping_sub(1) & 31) << 2 | 1,
    }
}

/// For removes and faults, where the kernel map is a precondition breach
/// (or a skip): one selector in 256 is the kernel map.
fn decode_rare_kernel_map(byte: u8) -> MapSel {
    if byte == 0xff {
        MapSel::Kernel
    } else {
        decode_user_map(byte)
    }
}

fn encode_rare_kernel_map(map: MapSel) -> u8 {
    match map {
        MapSel::Kernel => 0xff,
        user => encode_map(user),
    }
}

fn decode_object(byte: u8) -> ObjectSel {
    if byte & 3 == 0 {
        ObjectSel::None
    } else {
        ObjectSel::Nth((byte >> 2) & 31)
    }
}

fn encode_object(object: ObjectSel) -> u8 {
    match object {
        ObjectSel::None => 0,
        ObjectSel::Nth(index) => (index & 31) << 2 | 1,
    }
}

fn decode_offset(reader: &mut Reader) -> ValueSel {
    match reader.byte() {
        0xff => ValueSel::Raw(reader.varint()),
        byte => ValueSel::Pages(byte & 0x7f),
    }
}

fn encode_offset(out: &mut Vec<u8>, offset: ValueSel) {
    match offset {
        ValueSel::Pages(pages) => out.push(pages & 0x7f),
        ValueSel::Raw(value) => {
            out.push(0xff);
            write_varint(out, value);
        }
    }
}

fn decode_anchor(byte: u8) -> Anchor {
    let index = byte & 31;
    match (byte >> 5) % 5 {
        0 => Anchor::EntryStart(index),
        1 => Anchor::EntryEnd(index),
        2 => Anchor::GapStart(index),
        3 => Anchor::GapEnd(index),
        _ if index & 1 == 0 => Anchor::MapStart,
        _ => Anchor::MapEnd,
    }
}

fn encode_anchor(anchor: Anchor) -> u8 {
    match anchor {
        Anchor::EntryStart(index) => index & 31,
        Anchor::EntryEnd(index) => 0x20 | (index & 31),
        Anchor::GapStart(index) => 0x40 | (index & 31),
        Anchor::GapEnd(index) => 0x60 | (index & 31),
        Anchor::MapStart => 0x80,
        Anchor::MapEnd => 0x81,
    }
}

/// Small page deltas get small bytes (zigzag: 0, -1, +1, -2, ...).
fn decode_delta(byte: u8) -> i8 {
    ((byte >> 1) as i8) ^ -((byte & 1) as i8)
}

fn encode_delta(delta: i8) -> u8 {
    ((delta << 1) ^ (delta >> 7)) as u8
}

fn decode_addr(reader: &mut Reader) -> AddrSel {
    let byte = reader.byte();
    match byte >> 5 {
        0..=4 => AddrSel::At(decode_anchor(byte)),
        5 => {
            let anchor = decode_anchor(reader.byte());
            AddrSel::Near(anchor, decode_delta(reader.byte()))
        }
        6 => AddrSel::Zero,
        _ => AddrSel::Raw(reader.varint()),
    }
}

fn encode_addr(out: &mut Vec<u8>, addr: AddrSel) {
    match addr {
        AddrSel::At(anchor) => out.push(encode_anchor(anchor)),
        AddrSel::Near(anchor, delta) => {
            out.extend_from_slice(&[0xa0, encode_anchor(anchor), encode_delta(delta)]);
        }
        AddrSel::Zero => out.push(0xc0),
        AddrSel::Raw(value) => {
            out.push(0xe0);
            write_varint(out, value);
        }
    }
}

fn decode_size(reader: &mut Reader) -> SizeSel {
    let byte = reader.byte();
    match byte {
        0x00..=0x7f => SizeSel::Pages(byte),
        0x80..=0xbf => SizeSel::GapSize(byte & 31),
        0xc0..=0xdf => SizeSel::EntrySize(byte & 31),
        _ => SizeSel::Raw(reader.varint()),
    }
}

fn encode_size(out: &mut Vec<u8>, size: SizeSel) {
    match size {
        SizeSel::Pages(pages) => out.push(pages & 0x7f),
        SizeSel::GapSize(index) => out.push(0x80 | (index & 31)),
        SizeSel::EntrySize(index) => out.push(0xc0 | (index & 31)),
        SizeSel::Raw(value) => {
            out.push(0xe0);
            write_varint(out, value);
        }
    }
}

/// Three enters in four ask for no alignment; small shifts are likelier.
fn decode_align(reader: &mut Reader) -> AlignSel {
    match reader.byte() {
        0x00..=0xbf => AlignSel::None,
        0xff => AlignSel::Raw(reader.varint()),
        byte => AlignSel::PageShift((byte - 0xc0) % (super::ops::MAX_ALIGN_SHIFT + 1)),
    }
}

fn encode_align(out: &mut Vec<u8>, align: AlignSel) {
    match align {
        AlignSel::None => out.push(0),
        AlignSel::PageShift(shift) => out.push(0xc0 + shift % (super::ops::MAX_ALIGN_SHIFT + 1)),
        AlignSel::Raw(value) => {
            out.push(0xff);
            write_varint(out, value);
        }
    }
}

/// A quarter of enters are read-write-execute under a full maximum (the
/// flags of the kernel's own mappings, so they merge); a quarter vary the
/// protection; half vary both.
fn decode_prot(byte: u8) -> (u8, u8) {
    match byte {
        0x00..=0x3f => (7, 7),
        0x40..=0x7f => (byte & 7, 7),
        _ => (byte & 7, (byte >> 3) & 7),
    }
}

fn encode_prot(prot: u8, maxprot: u8) -> u8 {
    match (prot & 7, maxprot & 7) {
        (7, 7) => 0,
        (prot, 7) => 0x40 | prot,
        (prot, maxprot) => 0x80 | maxprot << 3 | prot,
    }
}

/// Half of all enters use inheritance and advice 0, as the kernel's own
/// mappings do, so that merges stay common.
fn decode_inherit_advice(byte: u8) -> (u8, u8) {
    if byte < 0x80 {
        (0, 0)
    } else {
        (byte & 3, (byte >> 2) & 7)
    }
}

fn encode_inherit_advice(inherit: u8, advice: u8) -> u8 {
    match (inherit & 3, advice & 7) {
        (0, 0) => 0,
        (inherit, advice) => 0x80 | advice << 2 | inherit,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn varints_round_trip_at_every_length() {
        for value in [
            0,
            1,
            0x7f,
            0x80,
            0x3fff,
            0x4000,
            1 << 35,
            u64::MAX - 1,
            u64::MAX,
        ] {
            let mut out = Vec::new();
            write_varint(&mut out, value);
            let mut reader = Reader {
                bytes: &out,
                position: 0,
            };
            assert_eq!(reader.varint(), value, "{value:#x} via {out:02x?}");
            assert!(reader.is_empty());
        }
    }

    #[test]
    fn a_varint_cut_short_reads_zeros() {
        let mut reader = Reader {
            bytes: &[0x81],
            position: 0,
        };
        assert_eq!(reader.varint(), 1);
        let endless = [0xffu8; 40];
        let mut reader = Reader {
            bytes: &endless,
            position: 0,
        };
        assert_eq!(reader.varint(), u64::MAX);
        assert_eq!(reader.position, 10, "a varint stops after ten bytes");
    }

    #[test]
    fn zigzag_deltas_cover_every_byte() {
        for byte in 0..=255u8 {
            assert_eq!(encode_delta(decode_delta(byte)), byte);
        }
        assert_eq!(decode_delta(0), 0);
        assert_eq!(decode_delta(1), -1);
        assert_eq!(decode_delta(2), 1);
    }

    #[test]
    fn every_one_byte_field_is_its_encoders_inverse() {
        for byte in 0..=255u8 {
            let (prot, maxprot) = decode_prot(byte);
            assert_eq!(decode_prot(encode_prot(prot, maxprot)), (prot, maxprot));
            let (inherit, advice) = decode_inherit_advice(byte);
            assert_eq!(
                decode_inherit_advice(encode_inherit_advice(inherit, advice)),
                (inherit, advice)
            );
            assert_eq!(decode_map(encode_map(decode_map(byte))), decode_map(byte));
            let rare = decode_rare_kernel_map(byte);
            assert_eq!(decode_rare_kernel_map(encode_rare_kernel_map(rare)), rare);
            assert_eq!(
                decode_object(encode_object(decode_object(byte))),
                decode_object(byte)
            );
            assert_eq!(
                decode_anchor(encode_anchor(decode_anchor(byte))),
                decode_anchor(byte)
            );
            assert_eq!(
                decode_swarm(encode_swarm(decode_swarm(byte))),
                decode_swarm(byte)
            );
        }
    }

    #[test]
    fn weights_fill_the_kind_table_exactly() {
        let total: usize = KIND_WEIGHTS.iter().map(|(_, weight)| weight).sum();
        assert_eq!(total, KIND_SLOTS);
        for version in [1, CURRENT_VERSION] {
            let only_reap =
                KindTable::new(KindMask::from_bits(OpKind::Reap.bit()).unwrap(), version);
            assert!((0..=255).all(|byte| only_reap.decode(byte) == Slot::Kind(OpKind::Reap)));
        }
    }

    #[test]
    fn versions_before_3_have_no_repeat_slots_and_version_3_has_them_with_enter_or_remove() {
        let cases = [
            (1, KindMask::ALL, false),
            (2, KindMask::ALL, false),
            (3, KindMask::ALL, true),
            (3, KindMask::from_bits(OpKind::Remove.bit()).unwrap(), true),
            (3, KindMask::from_bits(OpKind::Fault.bit()).unwrap(), false),
        ];
        for (version, mask, has_repeat) in cases {
            let table = KindTable::new(mask, version);
            let found = (0..=255).any(|byte| table.decode(byte) == Slot::Repeat);
            assert_eq!(found, has_repeat, "version {version}, mask {mask:?}");
        }
    }

    #[test]
    fn the_machine_byte_means_scarce_only_from_version_3() {
        let cases = [
            (0, 1, MachinePreset::Normal),
            (2, 1, MachinePreset::Normal),
            (3, 1, MachinePreset::Tiny),
            (2, 2, MachinePreset::Normal),
            (2, 3, MachinePreset::Scarce),
            (6, 3, MachinePreset::Scarce),
            (3, 3, MachinePreset::Tiny),
            (1, 3, MachinePreset::Normal),
        ];
        for (byte, version, machine) in cases {
            assert_eq!(
                decode_machine(byte, version),
                machine,
                "byte {byte} v{version}"
            );
        }
    }

    #[test]
    fn repeat_counts_survive_encoding() {
        let body = Repeated::Enter(EnterArgs::default());
        for count in [1, 2, 127, 128, 129, 200, 255, 256] {
            let mut out = Vec::new();
            encode_repeat(&mut out, count, body);
            encode_op(&mut out, &body.op());
            let mut reader = Reader {
                bytes: &out,
                position: 0,
            };
            let decoded = decode_repeat(KindMask::ALL, &mut reader);
            let Op::Repeat { count: read, .. } = decoded else {
                panic!("{decoded:?}");
            };
            assert_eq!(read, count);
        }
    }
}
