//! Operations and their operand selectors, as the fuzzer writes them.
//!
//! Selectors are relative to the state the operation runs in; `resolve.rs`
//! turns them into numbers. Every selector field has bounds (the `MAX_*`
//! constants) that the byte encoding can carry; [`Op::check_bounds`] reports
//! a value outside them as a static message.

/// The largest user-map number a [`MapSel`] names (they count from 1).
pub const MAX_MAP_NUMBER: u8 = 32;
/// The largest entry, gap or object index a selector holds; indices are
/// taken modulo the number of entries, gaps or objects that exist.
pub const MAX_INDEX: u8 = 31;
/// The largest page count of a [`SizeSel::Pages`] or [`ValueSel::Pages`].
pub const MAX_PAGES: u8 = 127;
/// The largest alignment, as a power of two of pages ([`AlignSel::PageShift`]).
pub const MAX_ALIGN_SHIFT: u8 = 22;
/// `VM_PROT_ALL`: read, write and execute; the largest protection value.
pub const PROT_ALL: u8 = 7;
/// The largest inheritance value a program holds (X15 names 0 to 2).
pub const MAX_INHERIT: u8 = 3;
/// The largest advice value a program holds (X15 names 0 to 4).
pub const MAX_ADVICE: u8 = 7;
/// The largest count of a `repeat N <op>` ([`Op::Repeat`]): enough for
/// several kentry slabs (51 kernel-map entries a slab) in one operation.
pub const MAX_REPEAT: u16 = 256;
/// The most operations one program runs, every iteration of a repeat
/// counted: [`crate::program::Program::steps`] stops there, which bounds a
/// program's time (and so the fuzzer's timeout).
pub const MAX_STEPS: usize = 1024;

/// The kinds of operation, in swarm-mask bit order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OpKind {
    /// `vm_map_create`.
    CreateMap,
    /// Create an anonymous memory object.
    CreateObject,
    /// `vm_map_enter`.
    Enter,
    /// `vm_map_remove`.
    Remove,
    /// `vm_map_fault`.
    Fault,
    /// Hand every empty slab back to its back end.
    Reap,
    /// `vm_map_info`.
    Info,
}

impl OpKind {
    /// The number of kinds.
    pub const COUNT: usize = 7;
    /// Every kind, in bit order.
    pub const ALL: [OpKind; OpKind::COUNT] = [
        OpKind::CreateMap,
        OpKind::CreateObject,
        OpKind::Enter,
        OpKind::Remove,
        OpKind::Fault,
        OpKind::Reap,
        OpKind::Info,
    ];

    /// This kind's bit in a [`crate::program::KindMask`].
    pub fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The kind's keyword in the text form.
    pub fn name(self) -> &'static str {
        match self {
            OpKind::CreateMap => "create-map",
            OpKind::CreateObject => "create-object",
            OpKind::Enter => "enter",
            OpKind::Remove => "remove",
            OpKind::Fault => "fault",
            OpKind::Reap => "reap",
            OpKind::Info => "info",
        }
    }

    /// The kind a text keyword names.
    pub fn from_name(name: &str) -> Option<OpKind> {
        OpKind::ALL.into_iter().find(|kind| kind.name() == name)
    }
}

/// Which map an operation works on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MapSel {
    /// The kernel map.
    Kernel,
    /// User map number `n` (from 1, up to [`MAX_MAP_NUMBER`]), taken modulo
    /// the number of user maps that exist.
    User(u8),
}

/// Which memory object an enter maps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ObjectSel {
    /// A null mapping (no object).
    None,
    /// Object number `i` (from 0) modulo the number of objects; a null
    /// mapping when there are none.
    Nth(u8),
}

/// A place in a map's current layout. Entry and gap indices count in address
/// order from 0 and are taken modulo the number of entries or non-empty gaps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Anchor {
    /// The first address of entry `i`.
    EntryStart(u8),
    /// The address just past entry `i`.
    EntryEnd(u8),
    /// The first address of non-empty gap `i` (free space between entries
    /// or the map's edges).
    GapStart(u8),
    /// The address just past non-empty gap `i`.
    GapEnd(u8),
    /// The map's first address.
    MapStart,
    /// The address just past the map.
    MapEnd,
}

/// An address operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AddrSel {
    /// Address 0: for an enter, "no hint".
    Zero,
    /// Exactly at an anchor.
    At(Anchor),
    /// An anchor moved by a signed number of pages.
    Near(Anchor, i8),
    /// A raw number, possibly unaligned.
    Raw(u64),
}

/// A size operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SizeSel {
    /// This many pages (up to [`MAX_PAGES`]).
    Pages(u8),
    /// Exactly the size of non-empty gap `i`, so that it fills the gap.
    GapSize(u8),
    /// Exactly the size of entry `i`.
    EntrySize(u8),
    /// A raw number of bytes, possibly unaligned or huge.
    Raw(u64),
}

/// An alignment operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum AlignSel {
    /// No alignment constraint (0).
    None,
    /// `2^k` pages (k up to [`MAX_ALIGN_SHIFT`]).
    PageShift(u8),
    /// A raw number of bytes, possibly not a power of two.
    Raw(u64),
}

/// An object offset operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ValueSel {
    /// This many pages (up to [`MAX_PAGES`]).
    Pages(u8),
    /// A raw number of bytes.
    Raw(u64),
}

/// The operands of an enter (`vm_map_enter`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EnterArgs {
    /// The map to enter into.
    pub map: MapSel,
    /// The object to map, or none for a null mapping.
    pub object: ObjectSel,
    /// The offset into the object.
    pub offset: ValueSel,
    /// The fixed start, or the hint (0 is no hint).
    pub start: AddrSel,
    /// The mapping's size.
    pub size: SizeSel,
    /// The alignment of the start.
    pub align: AlignSel,
    /// `VM_PROT_*` bits the mapping allows now (0 to 7).
    pub prot: u8,
    /// `VM_PROT_*` bits the mapping may ever allow (0 to 7).
    pub maxprot: u8,
    /// `VM_INHERIT_*` (0 to [`MAX_INHERIT`]).
    pub inherit: u8,
    /// `VM_ADV_*` (0 to [`MAX_ADVICE`]).
    pub advice: u8,
    /// `VM_MAP_FIXED`: map exactly at `start` or fail.
    pub fixed: bool,
    /// `VM_MAP_NOMERGE`; only passed on when `invalid` is set, since
    /// `vm_map_enter` asserts it is clear.
    pub nomerge: bool,
    /// Pass operands through unrepaired, even when they break a
    /// precondition of the C original.
    pub invalid: bool,
}

impl Default for EnterArgs {
    /// The simplest enter: one page, no object, no hint, no alignment, every
    /// access, inheritance and advice 0, no map flags, in the kernel map.
    /// The text form's defaults for omitted fields are these (map and size
    /// are required there).
    fn default() -> EnterArgs {
        EnterArgs {
            map: MapSel::Kernel,
            object: ObjectSel::None,
            offset: ValueSel::Pages(0),
            start: AddrSel::Zero,
            size: SizeSel::Pages(1),
            align: AlignSel::None,
            prot: PROT_ALL,
            maxprot: PROT_ALL,
            inherit: 0,
            advice: 0,
            fixed: false,
            nomerge: false,
            invalid: false,
        }
    }
}

/// The operands of a remove (`vm_map_remove`) of `[start, end)`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RemoveArgs {
    /// The map.
    pub map: MapSel,
    /// The first address removed.
    pub start: AddrSel,
    /// The address just past the range.
    pub end: AddrSel,
    /// Pass operands through unrepaired.
    pub invalid: bool,
}

/// The operands of a fault (`vm_map_fault`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct FaultArgs {
    /// The map (a user map unless `invalid`).
    pub map: MapSel,
    /// The faulting address (need not be aligned).
    pub addr: AddrSel,
    /// The `VM_PROT_*` bits of the access (0 to 7).
    pub access: u8,
    /// Pass operands through unrepaired.
    pub invalid: bool,
}

/// What a `repeat` runs again and again: deep allocator states need
/// hundreds of entries made or taken away, more than a program has
/// operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Repeated {
    /// An enter, its selectors resolved afresh at each iteration.
    Enter(EnterArgs),
    /// A remove, its selectors resolved afresh at each iteration.
    Remove(RemoveArgs),
}

impl Repeated {
    /// The operation one iteration runs.
    pub fn op(self) -> Op {
        match self {
            Repeated::Enter(args) => Op::Enter(args),
            Repeated::Remove(args) => Op::Remove(args),
        }
    }

    /// The repeatable form of `op`, if it has one.
    pub fn of(op: Op) -> Option<Repeated> {
        match op {
            Op::Enter(args) => Some(Repeated::Enter(args)),
            Op::Remove(args) => Some(Repeated::Remove(args)),
            _ => None,
        }
    }
}

/// One operation of a program.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Op {
    /// Create a user map.
    CreateMap,
    /// Create an anonymous memory object.
    CreateObject,
    /// Enter a mapping.
    Enter(EnterArgs),
    /// Remove the range `[start, end)` from a map.
    Remove(RemoveArgs),
    /// Fault an address of a map with an access type.
    Fault(FaultArgs),
    /// Hand every empty slab back to its back end.
    Reap,
    /// Print a map's entries on the console.
    Info {
        /// The map.
        map: MapSel,
    },
    /// Run `body` `count` times (1 to [`MAX_REPEAT`]), each time resolved
    /// against the state the previous iteration left; the iterations stop
    /// at the first panic. Each iteration is judged as an operation of its
    /// own; its kind is the body's.
    Repeat {
        /// How many times.
        count: u16,
        /// What runs.
        body: Repeated,
    },
}

impl Op {
    /// The operation's kind.
    pub fn kind(&self) -> OpKind {
        match self {
            Op::CreateMap => OpKind::CreateMap,
            Op::CreateObject => OpKind::CreateObject,
            Op::Enter(_) => OpKind::Enter,
            Op::Remove(_) => OpKind::Remove,
            Op::Fault(_) => OpKind::Fault,
            Op::Reap => OpKind::Reap,
            Op::Info { .. } => OpKind::Info,
            Op::Repeat { body, .. } => body.op().kind(),
        }
    }

    /// The operation one run of this one performs: itself, or a repeat's
    /// body.
    pub fn once(&self) -> Op {
        match self {
            Op::Repeat { body, .. } => body.op(),
            op => *op,
        }
    }

    /// How many times the operation runs (a repeat's count, else 1).
    pub fn count(&self) -> usize {
        match self {
            Op::Repeat { count, .. } => usize::from(*count),
            _ => 1,
        }
    }

    /// Whether the operation passes its operands through unrepaired.
    pub fn is_invalid(&self) -> bool {
        match self {
            Op::Enter(args) => args.invalid,
            Op::Remove(args) => args.invalid,
            Op::Fault(args) => args.invalid,
            Op::Repeat { body, .. } => body.op().is_invalid(),
            _ => false,
        }
    }

    /// Checks every operand against the `MAX_*` bounds of this module.
    pub fn check_bounds(&self) -> Result<(), &'static str> {
        match self {
            Op::CreateMap | Op::CreateObject | Op::Reap => Ok(()),
            Op::Enter(args) => args.check_bounds(),
            Op::Remove(args) => {
                check_map(args.map)?;
                check_addr(args.start)?;
                check_addr(args.end)
            }
            Op::Fault(args) => {
                check_map(args.map)?;
                check_addr(args.addr)?;
                check(args.access <= PROT_ALL, "access above rwx")
            }
            Op::Info { map } => check_map(*map),
            Op::Repeat { count, body } => {
                check(
                    (1..=MAX_REPEAT).contains(count),
                    "repeat count not in 1..=256",
                )?;
                body.op().check_bounds()
            }
        }
    }
}

impl EnterArgs {
    fn check_bounds(&self) -> Result<(), &'static str> {
        check_map(self.map)?;
        if let ObjectSel::Nth(index) = self.object {
            check(index <= MAX_INDEX, "object index too large")?;
        }
        if let ValueSel::Pages(pages) = self.offset {
            check(pages <= MAX_PAGES, "offset page count too large")?;
        }
        check_addr(self.start)?;
        check_size(self.size)?;
        if let AlignSel::PageShift(shift) = self.align {
            check(shift <= MAX_ALIGN_SHIFT, "alignment too large")?;
        }
        check(self.prot <= PROT_ALL, "prot above rwx")?;
        check(self.maxprot <= PROT_ALL, "maxprot above rwx")?;
        check(self.inherit <= MAX_INHERIT, "inherit too large")?;
        check(self.advice <= MAX_ADVICE, "advice too large")
    }
}

fn check(condition: bool, message: &'static str) -> Result<(), &'static str> {
    if condition {
        Ok(())
    } else {
        Err(message)
    }
}

fn check_map(map: MapSel) -> Result<(), &'static str> {
    match map {
        MapSel::Kernel => Ok(()),
        MapSel::User(number) => check(
            (1..=MAX_MAP_NUMBER).contains(&number),
            "user map number not in 1..=32",
        ),
    }
}

fn check_anchor(anchor: Anchor) -> Result<(), &'static str> {
    match anchor {
        Anchor::EntryStart(index)
        | Anchor::EntryEnd(index)
        | Anchor::GapStart(index)
        | Anchor::GapEnd(index) => check(index <= MAX_INDEX, "entry or gap index too large"),
        Anchor::MapStart | Anchor::MapEnd => Ok(()),
    }
}

fn check_addr(addr: AddrSel) -> Result<(), &'static str> {
    match addr {
        AddrSel::At(anchor) | AddrSel::Near(anchor, _) => check_anchor(anchor),
        AddrSel::Zero | AddrSel::Raw(_) => Ok(()),
    }
}

fn check_size(size: SizeSel) -> Result<(), &'static str> {
    match size {
        SizeSel::Pages(pages) => check(pages <= MAX_PAGES, "size page count too large"),
        SizeSel::GapSize(index) | SizeSel::EntrySize(index) => {
            check(index <= MAX_INDEX, "entry or gap index too large")
        }
        SizeSel::Raw(_) => Ok(()),
    }
}
