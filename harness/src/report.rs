//! The divergence report: short, exact and deterministic. It shows the
//! program as readable text with the first differing operation marked, the
//! operation's concrete arguments, both outcomes, the first differing trace
//! event, both entry tables side by side and the page-table differences.
//!
//! Writing a report cannot fail except through the formatter.

use std::fmt::{self, Display, Formatter, Write as _};

use crate::mismatch::Mismatch;
use crate::observe::{EntryView, MapView};
use crate::runner::Divergence;

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
        if let Some(op) = &self.op {
            writeln!(f, "resolved:  {op}")?;
        }
        writeln!(f, "C    -> {}", self.c_outcome)?;
        writeln!(f, "Rust -> {}", self.rust_outcome)?;
        writeln!(f)?;
        write_mismatch(f, &self.mismatch)?;
        self.write_maps(f)
    }
}

impl Divergence {
    fn write_program(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let text = self.program.to_string();
        let mut op_number = 0;
        for line in text.lines() {
            let is_op = !line.starts_with('#') && !is_config_line(line);
            let marker = if is_op && Some(op_number) == self.op_index {
                ">>"
            } else {
                "  "
            };
            if is_op {
                writeln!(f, "{marker} {op_number:3}  {line}")?;
                op_number += 1;
            } else {
                writeln!(f, "         {line}")?;
            }
        }
        writeln!(f)
    }

    fn write_maps(&self, f: &mut Formatter<'_>) -> fmt::Result {
        let count = self.c_maps.len().max(self.rust_maps.len());
        for index in 0..count {
            let empty = MapView::default();
            let c = self.c_maps.get(index).unwrap_or(&empty);
            let rust = self.rust_maps.get(index).unwrap_or(&empty);
            writeln!(f)?;
            write_map_pair(f, index, c, rust)?;
        }
        Ok(())
    }
}

/// The configuration lines of the text form (they come before operations).
fn is_config_line(line: &str) -> bool {
    ["machine ", "fail ", "swarm "]
        .iter()
        .any(|prefix| line.starts_with(prefix))
}

fn write_mismatch(f: &mut Formatter<'_>, mismatch: &Mismatch) -> fmt::Result {
    match mismatch {
        Mismatch::Outcome { .. } => writeln!(f, "the outcomes differ"),
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
            writeln!(f, "  Rust  {}", show(rust))
        }
        Mismatch::MapCount { c, rust } => writeln!(f, "user maps: C has {c}, Rust has {rust}"),
        Mismatch::Map { map, field, .. } => {
            writeln!(f, "map {map}: `{field}` differs (tables below)")
        }
        Mismatch::PmapList { c, rust } => writeln!(f, "pmaps: C {c:?}, Rust {rust:?}"),
        Mismatch::PageTable {
            pmap,
            c_only,
            rust_only,
        } => {
            writeln!(f, "page table of pmap {} differs:", pmap.0)?;
            for (side, entries) in [("C   ", c_only), ("Rust", rust_only)] {
                for entry in entries {
                    writeln!(
                        f,
                        "  {side} only: level {} va {:#014x} entry {:#018x}",
                        entry.level, entry.va, entry.raw
                    )?;
                }
            }
            Ok(())
        }
        Mismatch::Invariant { side, name, detail } => {
            writeln!(f, "invariant `{name}` broken on the {side} side: {detail}")
        }
    }
}

fn write_map_pair(f: &mut Formatter<'_>, index: usize, c: &MapView, rust: &MapView) -> fmt::Result {
    let name = if index == 0 {
        "kernel map".to_string()
    } else {
        format!("map {index}")
    };
    writeln!(f, "{name}: {:#x}-{:#x}", c.start, c.end)?;
    let scalars = |map: &MapView| {
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

fn cell(entry: Option<&EntryView>) -> String {
    entry.map_or(String::new(), ToString::to_string)
}
