//! Printing: programs, their operations and header lines, and resolved
//! operations, as text. Printing cannot fail (beyond the writer's own
//! errors).

use std::fmt::{self, Display, Formatter};

use super::{ADVICE_NAMES, INHERIT_NAMES};
use crate::program::ops::{
    AddrSel, AlignSel, Anchor, EnterArgs, FaultArgs, MapSel, ObjectSel, Op, OpKind, RemoveArgs,
    SizeSel, ValueSel, PROT_ALL,
};
use crate::program::resolve::{MapRef, ResolvedOp};
use crate::program::{KindMask, MachinePreset, PortMode, Program, TEXT_VERSION};

/// Protection bits as letters (`r`, `w`, `x`) or `none`.
struct ProtText(u8);

impl Display for ProtText {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.0 == 0 {
            return f.write_str("none");
        }
        if self.0 > PROT_ALL {
            return write!(f, "{}", self.0);
        }
        for (bit, letter) in [(1, "r"), (2, "w"), (4, "x")] {
            if self.0 & bit != 0 {
                f.write_str(letter)?;
            }
        }
        Ok(())
    }
}

/// A value by name when it has one, by number otherwise.
struct NamedText(u8, &'static [&'static str]);

impl Display for NamedText {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self.1.get(usize::from(self.0)) {
            Some(name) => f.write_str(name),
            None => write!(f, "{}", self.0),
        }
    }
}

impl Display for MapSel {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            MapSel::Kernel => f.write_str("kernel"),
            MapSel::User(number) => write!(f, "{number}"),
        }
    }
}

impl Display for MapRef {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        if self.is_kernel() {
            f.write_str("kernel")
        } else {
            write!(f, "{}", self.0)
        }
    }
}

impl Display for ObjectSel {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            ObjectSel::None => f.write_str("none"),
            ObjectSel::Nth(index) => write!(f, "{index}"),
        }
    }
}

impl Display for Anchor {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Anchor::EntryStart(index) => write!(f, "entry-start({index})"),
            Anchor::EntryEnd(index) => write!(f, "entry-end({index})"),
            Anchor::GapStart(index) => write!(f, "gap-start({index})"),
            Anchor::GapEnd(index) => write!(f, "gap-end({index})"),
            Anchor::MapStart => f.write_str("map-start"),
            Anchor::MapEnd => f.write_str("map-end"),
        }
    }
}

impl Display for AddrSel {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            AddrSel::Zero => f.write_str("none"),
            AddrSel::At(anchor) => write!(f, "{anchor}"),
            AddrSel::Near(anchor, delta) => write!(f, "near({anchor},{delta:+})"),
            AddrSel::Raw(value) => write!(f, "raw({value:#x})"),
        }
    }
}

impl Display for SizeSel {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            SizeSel::Pages(pages) => write!(f, "pages({pages})"),
            SizeSel::GapSize(index) => write!(f, "gap-size({index})"),
            SizeSel::EntrySize(index) => write!(f, "entry-size({index})"),
            SizeSel::Raw(value) => write!(f, "raw({value:#x})"),
        }
    }
}

impl Display for AlignSel {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            AlignSel::None => f.write_str("none"),
            AlignSel::PageShift(shift) => write!(f, "pages({})", 1u64 << shift.min(&63)),
            AlignSel::Raw(value) => write!(f, "raw({value:#x})"),
        }
    }
}

impl Display for ValueSel {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            ValueSel::Pages(pages) => write!(f, "pages({pages})"),
            ValueSel::Raw(value) => write!(f, "raw({value:#x})"),
        }
    }
}

fn write_flag(f: &mut Formatter<'_>, set: bool, word: &str) -> fmt::Result {
    if set {
        write!(f, " {word}")?;
    }
    Ok(())
}

impl Display for EnterArgs {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "enter map={} object={} offset={} start={} size={} align={} prot={} maxprot={} inherit={} advice={}",
            self.map,
            self.object,
            self.offset,
            self.start,
            self.size,
            self.align,
            ProtText(self.prot),
            ProtText(self.maxprot),
            NamedText(self.inherit, &INHERIT_NAMES),
            NamedText(self.advice, &ADVICE_NAMES),
        )?;
        write_flag(f, self.fixed, "fixed")?;
        write_flag(f, self.nomerge, "nomerge")?;
        write_flag(f, self.invalid, "invalid")
    }
}

impl Display for RemoveArgs {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let RemoveArgs {
            map, start, end, ..
        } = self;
        write!(f, "remove map={map} start={start} end={end}")?;
        write_flag(f, self.invalid, "invalid")
    }
}

impl Display for FaultArgs {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let access = ProtText(self.access);
        write!(
            f,
            "fault map={} addr={} access={access}",
            self.map, self.addr
        )?;
        write_flag(f, self.invalid, "invalid")
    }
}

impl Display for Op {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Op::Enter(args) => write!(f, "{args}"),
            Op::Remove(args) => write!(f, "{args}"),
            Op::Fault(args) => write!(f, "{args}"),
            Op::Info { map } => write!(f, "info map={map}"),
            Op::Repeat { count, body } => write!(f, "repeat {count} {}", body.op()),
            Op::CreateMap | Op::CreateObject | Op::Reap => f.write_str(self.kind().name()),
        }
    }
}

/// A line of a program's text before its operations: the format line,
/// then the configuration (only what differs from the defaults).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HeaderLine {
    /// `# vm-diff program v1`.
    Format,
    /// `machine tiny`.
    Machine(MachinePreset),
    /// `mode fixed`: the port's mode.
    Mode(PortMode),
    /// `fail phys N`.
    FailPhys(u32),
    /// `fail cache N`.
    FailCache(u32),
    /// `swarm create-map enter ...`, the enabled kinds.
    Swarm(KindMask),
}

impl Display for HeaderLine {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match *self {
            HeaderLine::Format => write!(f, "# vm-diff program v{TEXT_VERSION}"),
            HeaderLine::Machine(preset) => {
                write!(f, "machine {}", preset.name())
            }
            HeaderLine::Mode(mode) => write!(f, "mode {}", mode.name()),
            HeaderLine::FailPhys(number) => write!(f, "fail phys {number}"),
            HeaderLine::FailCache(number) => write!(f, "fail cache {number}"),
            HeaderLine::Swarm(mask) => {
                f.write_str("swarm")?;
                for kind in OpKind::ALL.into_iter().filter(|&kind| mask.contains(kind)) {
                    write!(f, " {}", kind.name())?;
                }
                Ok(())
            }
        }
    }
}

impl Program {
    /// The lines of the text form before the operations, in order.
    pub fn header_lines(&self) -> Vec<HeaderLine> {
        let mut lines = vec![
            HeaderLine::Format,
            HeaderLine::Machine(self.machine),
            HeaderLine::Mode(self.mode),
        ];
        let plan = &self.fault_plan;
        lines.extend(
            plan.failing_phys_allocs
                .iter()
                .map(|&n| HeaderLine::FailPhys(n)),
        );
        lines.extend(
            plan.failing_cache_allocs
                .iter()
                .map(|&n| HeaderLine::FailCache(n)),
        );
        if self.swarm != KindMask::ALL {
            lines.push(HeaderLine::Swarm(self.swarm));
        }
        lines
    }
}

impl Display for Program {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for line in self.header_lines() {
            writeln!(f, "{line}")?;
        }
        for op in &self.ops {
            writeln!(f, "{op}")?;
        }
        Ok(())
    }
}

impl Display for ResolvedOp {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match *self {
            ResolvedOp::Enter(ref request) => {
                write!(f, "enter map={} object=", request.map)?;
                match request.object {
                    Some(index) => write!(f, "{index}")?,
                    None => f.write_str("none")?,
                }
                write!(
                    f,
                    " offset={:#x} start={:#x} size={:#x} align={:#x} flags={:#x}",
                    request.offset, request.start, request.size, request.align, request.flags
                )?;
                let fields = request.map_flags();
                // Each field comes out of its own nibble, so it fits a byte.
                let nibble = |raw: u32| raw as u8;
                write!(
                    f,
                    " (prot={} maxprot={} inherit={} advice={}",
                    ProtText(nibble(fields.protection.raw())),
                    ProtText(nibble(fields.max_protection.raw())),
                    NamedText(nibble(fields.inheritance.raw()), &INHERIT_NAMES),
                    NamedText(nibble(fields.advice.raw()), &ADVICE_NAMES),
                )?;
                write_flag(f, fields.fixed, "fixed")?;
                write_flag(f, fields.no_merge, "nomerge")?;
                f.write_str(")")
            }
            ResolvedOp::Remove { map, start, end } => {
                write!(f, "remove map={map} start={start:#x} end={end:#x}")
            }
            ResolvedOp::Fault { map, addr, access } => {
                let access_text =
                    u8::try_from(access).map_or(access.to_string(), |a| ProtText(a).to_string());
                write!(f, "fault map={map} addr={addr:#x} access={access_text}")
            }
            ResolvedOp::Info { map } => write!(f, "info map={map}"),
            ResolvedOp::Skip { kind, reason } => {
                write!(f, "skip {}: {}", kind.name(), reason.describe())
            }
            ResolvedOp::CreateMap | ResolvedOp::CreateObject | ResolvedOp::Reap => {
                f.write_str(self.kind().name())
            }
        }
    }
}
