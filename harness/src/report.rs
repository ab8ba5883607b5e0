//! The divergence report: short, exact and deterministic. It shows the
//! program as readable text with the first differing operation marked, the
//! operation's concrete arguments, both outcomes, the first differing trace
//! event, both entry tables side by side and the page-table differences.
//!
//! Writing a report cannot fail except through the formatter.

use std::fmt::{self, Display, Formatter, Write as _};

use crate::mismatch::{KentryField, Mismatch};
use crate::observe::Outcome;
use crate::runner::Divergence;
use crate::spec_oracle::SpecFinding;
use vm_rs::{EntryState, EntryStorage, KentryLink, KentrySlot, KentryState, MapState};

/// The width of one column of the side-by-side entry table.
const COLUMN_WIDTH: usize = 44;

impl Display for Divergence {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let place = match self.op_index {
            Some(index) => format!("operation {index}"),
            None => "setup".to_string(),
        };
        writeln!(
            f,
            "vm-diff: divergence at {place} ({})",
            self.mismatch.signature()
        )?;
        writeln!(f)?;
        self.write_program(f)?;
        if let Some((known, op_index)) = self.retired_at {
            let place = op_index.map_or("setup".to_string(), |index| format!("operation {index}"));
            writeln!(
                f,
                "fixed mode: the C showed the known bug {} at {place} and was retired; \
                 from there the fixed port ran alone, judged by its invariants and the specification",
                known.id
            )?;
        }
        self.write_outcomes(f)?;
        writeln!(f)?;
        match &self.mismatch {
            Mismatch::Map { .. } => writeln!(f, "{} (tables below)", self.mismatch)?,
            mismatch => writeln!(f, "{mismatch}")?,
        }
        self.write_maps(f)
    }
}

impl Divergence {
    /// The program from its typed form: the header lines indented, then
    /// each operation numbered, the differing one marked `>>`.
    fn write_program(&self, f: &mut Formatter<'_>) -> fmt::Result {
        for line in self.program.header_lines() {
            writeln!(f, "         {line}")?;
        }
        for (index, op) in self.program.ops.iter().enumerate() {
            let marker = if Some(index) == self.op_index {
                ">>"
            } else {
                "  "
            };
            writeln!(f, "{marker} {index:3}  {op}")?;
        }
        writeln!(f)
    }

    /// The differing operation as run (when it is not the set-up) and both
    /// outcomes, one line each.
    pub fn write_outcomes(&self, f: &mut dyn fmt::Write) -> fmt::Result {
        if let Some(op) = &self.op {
            writeln!(f, "resolved:  {op}")?;
        }
        writeln!(f, "C    -> {}", self.c_outcome)?;
        writeln!(f, "Rust -> {}", self.rust_outcome)
    }

    fn write_maps(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let count = self.c_maps.len().max(self.rust_maps.len());
        for index in 0..count {
            let empty = MapState::default();
            let c = self.c_maps.get(index).unwrap_or(&empty);
            let rust = self.rust_maps.get(index).unwrap_or(&empty);
            writeln!(f)?;
            write_map_pair(f, index, c, rust)?;
        }
        Ok(())
    }
}

impl Display for Mismatch {
    /// What differs, in one or more lines (no final line break).
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        match self {
            Mismatch::Outcome { c, rust } => match (c, rust) {
                (Outcome::Unfinished, Outcome::Unfinished) => {
                    write!(
                        f,
                        "neither side finished the operation: both loop without end"
                    )
                }
                (Outcome::Unfinished, _) => {
                    write!(
                        f,
                        "the C did not finish the operation: it loops without end"
                    )
                }
                (_, Outcome::Unfinished) => {
                    write!(
                        f,
                        "the port did not finish the operation: it loops without end"
                    )
                }
                _ => write!(f, "the outcomes differ"),
            },
            Mismatch::Trace { index, c, rust } => {
                writeln!(
                    f,
                    "first differing call into the kernel (call {index} of the operation):"
                )?;
                let show = |event: &Option<sim::Event>| {
                    event
                        .as_ref()
                        .map_or("(no call)".to_string(), ToString::to_string)
                };
                writeln!(f, "  C     {}", show(c))?;
                write!(f, "  Rust  {}", show(rust))
            }
            Mismatch::MapCount { c, rust } => write!(f, "user maps: C has {c}, Rust has {rust}"),
            Mismatch::Map { map, field, .. } => write!(f, "map {map}: `{field}` differs"),
            Mismatch::Kentry { field, c, rust } => write_kentry_pair(f, *field, c, rust),
            Mismatch::PmapList { c, rust } => write!(f, "pmaps: C {c:?}, Rust {rust:?}"),
            Mismatch::PageTable {
                pmap,
                c_only,
                rust_only,
            } => {
                write!(f, "page table of pmap {} differs:", pmap.0)?;
                for (side, entries) in [("C   ", c_only), ("Rust", rust_only)] {
                    for entry in entries {
                        write!(
                            f,
                            "\n  {side} only: level {} va {:#014x} entry {:#018x}",
                            entry.level, entry.va, entry.raw
                        )?;
                    }
                }
                Ok(())
            }
            Mismatch::Invariant { side, name, detail } => {
                write!(f, "invariant `{name}` broken on the {side} side: {detail}")
            }
            Mismatch::Spec(finding) => write_spec_finding(f, finding),
        }
    }
}

/// The most slots, free-list links or kernel-map entries a kentry section
/// lists per side.
const MAX_KENTRY_LINES: usize = 16;

/// The kentry section: what differs, then both allocators as lists the
/// reader can compare line by line (free list in order, allocated slots,
/// the first differing slots, the first differing entry storage). No final
/// line break.
fn write_kentry_pair(
    f: &mut Formatter<'_>,
    field: KentryField,
    c: &KentryState,
    rust: &KentryState,
) -> fmt::Result {
    write!(f, "kentry allocator: `{field}` differs")?;
    for (side, state) in [("C   ", c), ("Rust", rust)] {
        let allocated: Vec<u32> = state.allocated().collect();
        write!(
            f,
            "\n  {side} slab size {:#x}, table {:#x}, {} slots, head {}, free list {}, allocated {}",
            state.slab_size_bytes,
            state.table_va,
            state.slots().len(),
            link(state.free_head()),
            indices(&state.free_list()),
            indices(&allocated),
        )?;
        if state.free_list_is_corrupt() {
            write!(
                f,
                " (the free list leaves the table, meets an allocated slot or loops)"
            )?;
        }
    }
    let differing_slots = (0..c.slots().len().max(rust.slots().len()))
        .filter(|&index| c.slots().get(index) != rust.slots().get(index))
        .take(MAX_KENTRY_LINES);
    for index in differing_slots {
        let show = |state: &KentryState| state.slots().get(index).map_or("(none)".into(), slot);
        write!(f, "\n  slot {index}: C {}, Rust {}", show(c), show(rust))?;
    }
    let differing_entries = (0..c.entry_storage.len().max(rust.entry_storage.len()))
        .filter(|&index| c.entry_storage.get(index) != rust.entry_storage.get(index))
        .take(MAX_KENTRY_LINES);
    for index in differing_entries {
        let show = |state: &KentryState| {
            state
                .entry_storage
                .get(index)
                .map_or("(none)".into(), |storage| storage_text(*storage, state))
        };
        write!(
            f,
            "\n  kernel-map entry {index} lives: C {}, Rust {}",
            show(c),
            show(rust)
        )?;
    }
    Ok(())
}

/// `[3, 4, 5]`, or the first [`MAX_KENTRY_LINES`] and a count of the rest.
fn indices(list: &[u32]) -> String {
    let shown: Vec<String> = list
        .iter()
        .take(MAX_KENTRY_LINES)
        .map(u32::to_string)
        .collect();
    match list.len().saturating_sub(MAX_KENTRY_LINES) {
        0 => format!("[{}]", shown.join(", ")),
        rest => format!("[{}, ... {rest} more]", shown.join(", ")),
    }
}

fn link(link: KentryLink) -> String {
    match link {
        KentryLink::End => "end".into(),
        KentryLink::Slab(index) => format!("slot {index}"),
        KentryLink::Outside(address) => format!("{address:#x} (outside the table)"),
    }
}

fn slot(slot: &KentrySlot) -> String {
    match slot {
        KentrySlot::Allocated => "allocated".into(),
        KentrySlot::Free(next) => format!("free, next {}", link(*next)),
    }
}

/// A static entry by name, a slab object as its kentry slot and offset
/// when it lies in the kentry area.
fn storage_text(storage: EntryStorage, state: &KentryState) -> String {
    match storage {
        EntryStorage::KernelBootStatic => "static boot entry".into(),
        EntryStorage::KentryStatic => "static kentry entry".into(),
        EntryStorage::CacheObject(address) => {
            let area_bytes = state.slots().len() as u64 * state.slab_size_bytes;
            let area_start = state.table_va.wrapping_sub(area_bytes);
            let offset = address.wrapping_sub(area_start);
            match offset.checked_div(state.slab_size_bytes) {
                Some(slot) if offset < area_bytes => format!(
                    "{address:#x} (kentry slot {slot} + {:#x})",
                    offset % state.slab_size_bytes
                ),
                _ => format!("{address:#x}"),
            }
        }
    }
}

/// The rule, the model's expectation, and what each side did (no final
/// line break).
fn write_spec_finding(f: &mut Formatter<'_>, finding: &SpecFinding) -> fmt::Result {
    let rule = finding.rule();
    write!(f, "specification: {rule} broken: {}", rule.describe())?;
    let expected = finding
        .c
        .as_ref()
        .or(finding.rust.as_ref())
        .map_or("", |broken| broken.expected.as_str());
    write!(f, "\n  model expects  {expected}")?;
    for (side, broken) in [("C", &finding.c), ("Rust", &finding.rust)] {
        match broken {
            Some(broken) if broken.rule == rule => {
                write!(f, "\n  {side:<4} did      {}", broken.observed)?
            }
            Some(broken) => write!(f, "\n  {side:<4} broke    {broken}")?,
            None => write!(f, "\n  {side:<4} keeps the promise")?,
        }
    }
    if finding.inherited() {
        write!(
            f,
            "\n  both sides break it the same way: a bug of the C that the port inherited"
        )?;
    }
    Ok(())
}

fn write_map_pair(
    f: &mut Formatter<'_>,
    index: usize,
    c: &MapState,
    rust: &MapState,
) -> fmt::Result {
    let name = if index == 0 {
        "kernel map".to_string()
    } else {
        format!("map {index}")
    };
    writeln!(f, "{name}: {:#x}-{:#x}", c.start, c.end)?;
    let scalars = |map: &MapState| {
        let mut text = String::new();
        let _ = write!(
            text,
            "size {:#x} n {} cache {:#x} thr {:#x}",
            map.size, map.nr_entries, map.find_cache, map.find_cache_threshold
        );
        text
    };
    let rows = c.entries.len().max(rust.entries.len());
    let mut lines: Vec<(String, String)> = (0..rows)
        .map(|row| (cell(c.entries.get(row)), cell(rust.entries.get(row))))
        .collect();
    lines.push((scalars(c), scalars(rust)));
    // The C column is as wide as its widest cell, so that `|` lines up.
    let width = lines
        .iter()
        .map(|(left, _)| left.chars().count())
        .max()
        .unwrap_or(0)
        .max(COLUMN_WIDTH);
    writeln!(f, "  {:<width$} | Rust", "C")?;
    for (left, right) in &lines {
        let marker = if left == right { ' ' } else { '*' };
        writeln!(f, "{marker} {left:<width$} | {right}")?;
    }
    Ok(())
}

fn cell(entry: Option<&EntryState>) -> String {
    entry.map_or(String::new(), ToString::to_string)
}
