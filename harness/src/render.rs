//! Pictures of a run: both sides' address spaces, operation by operation,
//! as an SVG document (`vm-diff render`).
//!
//! One row per step (setup, then each operation that ran) shows the map the
//! step worked on, the C's entries as bars above the port's, null entries
//! grey and object entries coloured by object, each entry that the other
//! side lacks outlined, and the map's scalars beside each bar. Under them a
//! thin "spec" track shows the pages the specification model expects
//! mapped, in dashed outline, so that a page both sides map wrongly stands
//! out against it. The row of
//! the first difference has a red band (orange for a known divergence).
//!
//! Address spaces span up to 2^47 bytes while entries are a few pages, so
//! each map's axis covers only its used extent (the lowest entry start to
//! the highest entry end over all rows showing it), cut at every entry edge;
//! each stretch between two edges gets a width that grows with the
//! logarithm of its size, so that a page next to a gigabyte stays visible.
//! Addresses outside the extent are clamped to it.
//!
//! Rendering cannot fail: the output is a string, the same for the same
//! steps (no clock, no host pointers).

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::program::{Program, ResolvedOp};
use crate::runner::StepRecord;
use vm_rs::{EntryState, MapState};

/// The picture's width in pixels.
const WIDTH: f64 = 1500.0;
/// Where the address axis starts and ends.
const AXIS_LEFT: f64 = 64.0;
const AXIS_RIGHT: f64 = 1060.0;
/// Where the column of scalars and marks starts.
const COLUMN_LEFT: f64 = 1080.0;
const HEADER_HEIGHT: f64 = 96.0;
/// A row's lines of text above its panels.
const ROW_TEXT_HEIGHT: f64 = 52.0;
/// One map's panel: its name, two tracks, the model's track and the edge
/// labels.
const PANEL_HEIGHT: f64 = 96.0;
/// The height of the model's track.
const SPEC_TRACK_HEIGHT: f64 = 8.0;
/// The outline of the pages the model expects mapped.
const SPEC_COLOUR: &str = "#2b6cb0";
const ROW_GAP: f64 = 6.0;
const TRACK_HEIGHT: f64 = 18.0;
/// Approximate advance of one monospace character per pixel of font size.
const CHAR_WIDTH_PER_PX: f64 = 0.6;
/// The narrowest bar drawn, so that a tiny entry stays visible.
const MIN_BAR_WIDTH: f64 = 2.0;

const NULL_COLOUR: &str = "#aab2bd";
const OBJECT_COLOURS: [&str; 8] = [
    "#4e79a7", "#59a14f", "#e1a43b", "#b07aa1", "#76b7b2", "#e15759", "#9c755f", "#8cb369",
];
const DIFF_OUTLINE: &str = "#7a0019";
const MARK_COLOUR: &str = "#d62728";
const KNOWN_COLOUR: &str = "#e67e22";

/// The step the picture marks as the first difference.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Mark {
    /// The operation (`None`: setup).
    pub op_index: Option<usize>,
    /// What differs ("map:size", or "known divergence <id>").
    pub text: String,
    /// Whether it is a registered known divergence rather than a finding.
    pub known: bool,
    /// The map the difference is in, when it is one map's (drawn in the
    /// marked row even if the operation worked on another).
    pub map: Option<usize>,
}

/// The SVG picture of `steps` (a runner's log of `program`), titled
/// `title`, with `mark`'s row highlighted.
pub fn render_svg(
    title: &str,
    program: &Program,
    steps: &[StepRecord],
    mark: Option<&Mark>,
) -> String {
    let steps = &last_iteration_of_each_op(steps);
    let rows: Vec<Vec<usize>> = (0..steps.len())
        .map(|row| panels(steps, row, mark))
        .collect();
    let scales = scales_by_map(steps, &rows);
    let not_run = (program.ops.len() + 1).saturating_sub(steps.len());
    let rows_height: f64 = rows.iter().map(|panels| row_height(panels.len())).sum();
    let footer = if not_run > 0 { 28.0 } else { 0.0 };
    let height = HEADER_HEIGHT + rows_height + footer + 8.0;
    let mut svg = String::new();
    let _ = writeln!(
        svg,
        r#"<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" font-family="DejaVu Sans Mono, monospace" xml:space="preserve">"#
    );
    let _ = writeln!(
        svg,
        r#"<rect width="{WIDTH}" height="{height}" fill="white"/>"#
    );
    write_header(&mut svg, title, mark);
    let mut top = HEADER_HEIGHT;
    for (step, maps) in steps.iter().zip(&rows) {
        let marked = mark.filter(|mark| mark.op_index == step.op_index);
        write_row(&mut svg, top, step, program, maps, &scales, marked);
        top += row_height(maps.len());
    }
    if not_run > 0 {
        let first = steps.len().saturating_sub(1);
        let _ = writeln!(
            svg,
            r##"<text x="12" y="{}" font-size="11" fill="#555">{not_run} more operation(s) from op {first} on did not run: the comparison stops at the first difference.</text>"##,
            top + 18.0
        );
    }
    svg.push_str("</svg>\n");
    svg
}

/// One record per program operation: a `repeat` logs every iteration, and
/// its row shows the state after the last one that ran (the row's text is
/// the repeat itself).
fn last_iteration_of_each_op(steps: &[StepRecord]) -> Vec<StepRecord> {
    let mut kept: Vec<StepRecord> = Vec::with_capacity(steps.len());
    for step in steps {
        match kept.last_mut() {
            Some(last) if last.op_index.is_some() && last.op_index == step.op_index => {
                *last = step.clone();
            }
            _ => kept.push(step.clone()),
        }
    }
    kept
}

fn row_height(panel_count: usize) -> f64 {
    ROW_TEXT_HEIGHT + PANEL_HEIGHT * panel_count as f64 + ROW_GAP
}

/// The map an operation names; the kernel map for the others (a
/// create-map, create-object or reap shows up there as slab memory).
fn op_map(op: Option<&ResolvedOp>) -> usize {
    op.and_then(ResolvedOp::map).map_or(0, |map| map.0 as usize)
}

/// The maps a row draws: the operation's, the kernel map too when the step
/// changed it, and the map the marked difference is in.
fn panels(steps: &[StepRecord], row: usize, mark: Option<&Mark>) -> Vec<usize> {
    let step = &steps[row];
    let mut maps = vec![op_map(step.op.as_ref())];
    let kernel_changed = row > 0 && {
        let previous = &steps[row - 1];
        previous.c_maps.first() != step.c_maps.first()
            || previous.rust_maps.first() != step.rust_maps.first()
    };
    if kernel_changed {
        maps.push(0);
    }
    if let Some(map) = mark
        .filter(|mark| mark.op_index == step.op_index)
        .and_then(|mark| mark.map)
    {
        maps.push(map);
    }
    let mut seen = BTreeSet::new();
    maps.retain(|map| seen.insert(*map));
    maps
}

fn map_name(map: usize) -> String {
    if map == 0 {
        "kernel map".to_string()
    } else {
        format!("map {map}")
    }
}

/// Escapes text for XML content and attribute values.
fn escape(text: &str) -> String {
    let mut escaped = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => escaped.push_str("&amp;"),
            '<' => escaped.push_str("&lt;"),
            '>' => escaped.push_str("&gt;"),
            '"' => escaped.push_str("&quot;"),
            '\'' => escaped.push_str("&apos;"),
            _ => escaped.push(character),
        }
    }
    escaped
}

/// At most `limit` characters, the last an ellipsis when cut.
fn clip(text: &str, limit: usize) -> String {
    if text.chars().count() <= limit {
        return text.to_string();
    }
    let mut clipped: String = text.chars().take(limit.saturating_sub(1)).collect();
    clipped.push('…');
    clipped
}

fn write_header(svg: &mut String, title: &str, mark: Option<&Mark>) {
    let _ = writeln!(
        svg,
        r#"<text x="12" y="24" font-size="15" font-weight="bold">{}</text>"#,
        escape(&clip(&format!("vm-diff: {title}"), 150))
    );
    let place = |mark: &Mark| {
        mark.op_index
            .map_or("setup".to_string(), |index| format!("op {index}"))
    };
    let (verdict, colour) = match mark {
        Some(mark) if mark.known => (format!("{} at {}", mark.text, place(mark)), KNOWN_COLOUR),
        Some(mark) => (
            format!("first difference at {}: {}", place(mark), mark.text),
            MARK_COLOUR,
        ),
        None => (
            "equivalent: both sides agree at every step".to_string(),
            "#2e7d32",
        ),
    };
    let _ = writeln!(
        svg,
        r#"<text x="12" y="45" font-size="12" font-weight="bold" fill="{colour}">{}</text>"#,
        escape(&verdict)
    );
    let legend_y = 58.0;
    let swatch = |svg: &mut String, x: f64, fill: &str, stroke: &str, label: &str| {
        let _ = writeln!(
            svg,
            r#"<rect x="{x}" y="{legend_y}" width="22" height="12" fill="{fill}" stroke="{stroke}" stroke-width="2"/><text x="{}" y="{}" font-size="11">{label}</text>"#,
            x + 28.0,
            legend_y + 10.0
        );
    };
    swatch(svg, 12.0, NULL_COLOUR, "white", "null entry");
    swatch(
        svg,
        132.0,
        OBJECT_COLOURS[0],
        "white",
        "object entry (colour per object)",
    );
    swatch(
        svg,
        402.0,
        NULL_COLOUR,
        DIFF_OUTLINE,
        "not on the other side",
    );
    swatch(svg, 602.0, "#fdecea", MARK_COLOUR, "first difference");
    let _ = writeln!(
        svg,
        r##"<text x="12" y="86" font-size="10" fill="#555">Each row: C above, Rust below, for the map the step worked on. Axis: that map's used extent, cut at entry edges; each stretch's width grows with log(size).</text>"##
    );
}

/// A map's axis: the entry edges and their x positions.
struct Scale {
    edges: Vec<u64>,
    xs: Vec<f64>,
}

impl Scale {
    fn new(edges: Vec<u64>) -> Scale {
        let weights: Vec<f64> = edges
            .windows(2)
            .map(|pair| 1.0 + (1.0 + (pair[1] - pair[0]) as f64 / 4096.0).log2())
            .collect();
        let total: f64 = weights.iter().sum();
        let mut xs = vec![AXIS_LEFT];
        let mut x = AXIS_LEFT;
        for weight in weights {
            x += (AXIS_RIGHT - AXIS_LEFT) * weight / total;
            xs.push(x);
        }
        Scale { edges, xs }
    }

    /// The x of an address, clamped to the extent.
    fn x(&self, address: u64) -> f64 {
        let (Some(&first), Some(&last)) = (self.edges.first(), self.edges.last()) else {
            return AXIS_LEFT;
        };
        if self.edges.len() < 2 || address <= first {
            return AXIS_LEFT;
        }
        if address >= last {
            return AXIS_RIGHT;
        }
        let segment = self.edges.partition_point(|&edge| edge <= address) - 1;
        let (low, high) = (self.edges[segment], self.edges[segment + 1]);
        let fraction = (address - low) as f64 / (high - low) as f64;
        self.xs[segment] + fraction * (self.xs[segment + 1] - self.xs[segment])
    }
}

/// One scale per map, over every row that shows it.
fn scales_by_map(steps: &[StepRecord], rows: &[Vec<usize>]) -> BTreeMap<usize, Scale> {
    let mut edges: BTreeMap<usize, BTreeSet<u64>> = BTreeMap::new();
    for (step, maps) in steps.iter().zip(rows) {
        for &map in maps {
            let set = edges.entry(map).or_default();
            let views = [step.c_maps.get(map), step.rust_maps.get(map)];
            for entry in views.into_iter().flatten().flat_map(|view| &view.entries) {
                set.insert(entry.start);
                set.insert(entry.end);
            }
            for mapping in step.expected.get(map).into_iter().flatten() {
                set.insert(mapping.start);
                set.insert(mapping.end);
            }
        }
    }
    edges
        .into_iter()
        .map(|(map, set)| (map, Scale::new(set.into_iter().collect())))
        .collect()
}

/// The operation's text without the fields at their defaults.
fn compact_op_text(program: &Program, op_index: Option<usize>) -> String {
    const DEFAULTS: [&str; 8] = [
        "object=none",
        "offset=pages(0)",
        "start=none",
        "align=none",
        "prot=rwx",
        "maxprot=rwx",
        "inherit=none",
        "advice=normal",
    ];
    let Some(op) = op_index.and_then(|index| program.ops.get(index)) else {
        return "setup".to_string();
    };
    op.to_string()
        .split(' ')
        .filter(|word| !DEFAULTS.contains(word))
        .collect::<Vec<_>>()
        .join(" ")
}

fn write_row(
    svg: &mut String,
    top: f64,
    step: &StepRecord,
    program: &Program,
    maps: &[usize],
    scales: &BTreeMap<usize, Scale>,
    mark: Option<&Mark>,
) {
    let step_name = step
        .op_index
        .map_or("setup".to_string(), |index| format!("op {index}"));
    let class = if mark.is_some() {
        "step marked"
    } else {
        "step"
    };
    let _ = writeln!(
        svg,
        r#"<g class="{class}" data-step="{}">"#,
        step.op_index
            .map_or("setup".to_string(), |index| index.to_string())
    );
    write_band(svg, top, row_height(maps.len()) - ROW_GAP, mark);
    let op_text = match step.op_index {
        Some(_) => compact_op_text(program, step.op_index),
        None => "vm_map_setup".to_string(),
    };
    let _ = writeln!(
        svg,
        r#"<text x="12" y="{}" font-size="12"><tspan font-weight="bold">{}</tspan>  {}</text>"#,
        top + 17.0,
        escape(&step_name),
        escape(&clip(&op_text, 140))
    );
    if let Some(op) = &step.op {
        let _ = writeln!(
            svg,
            r##"<text x="12" y="{}" font-size="9.5" fill="#555">{}</text>"##,
            top + 31.0,
            escape(&clip(&format!("resolved: {op}"), 180))
        );
    }
    write_outcomes(svg, top + 45.0, step);
    if let Some(mark) = mark {
        write_mark_label(svg, top + 17.0, mark);
    }
    for (index, &map) in maps.iter().enumerate() {
        let panel_top = top + ROW_TEXT_HEIGHT + PANEL_HEIGHT * index as f64;
        write_panel(svg, panel_top, step, map, scales.get(&map));
    }
    svg.push_str("</g>\n");
}

fn write_band(svg: &mut String, top: f64, height: f64, mark: Option<&Mark>) {
    let (fill, stroke, width) = match mark {
        Some(mark) if mark.known => ("#fdf0e3", KNOWN_COLOUR, 2.5),
        Some(_) => ("#fdecea", MARK_COLOUR, 2.5),
        None => ("#f7f7f7", "#dddddd", 1.0),
    };
    let _ = writeln!(
        svg,
        r#"<rect class="band" x="4" y="{}" width="{}" height="{}" rx="4" fill="{fill}" stroke="{stroke}" stroke-width="{width}"/>"#,
        top + 2.0,
        WIDTH - 8.0,
        height - 2.0
    );
}

/// Both outcomes on one line, in red when they differ.
fn write_outcomes(svg: &mut String, y: f64, step: &StepRecord) {
    let style = if step.c_outcome == step.rust_outcome {
        r##"fill="#333""##.to_string()
    } else {
        format!(r#"fill="{MARK_COLOUR}" font-weight="bold""#)
    };
    let _ = writeln!(
        svg,
        r#"<text x="12" y="{y}" font-size="9.5" {style}>C -&gt; {}    Rust -&gt; {}</text>"#,
        escape(&clip(&step.c_outcome.to_string(), 110)),
        escape(&clip(&step.rust_outcome.to_string(), 110))
    );
}

fn write_mark_label(svg: &mut String, y: f64, mark: &Mark) {
    let (colour, label) = if mark.known {
        (KNOWN_COLOUR, mark.text.clone())
    } else {
        (MARK_COLOUR, format!("first difference: {}", mark.text))
    };
    let _ = writeln!(
        svg,
        r#"<text class="mark" x="{COLUMN_LEFT}" y="{y}" font-size="12" font-weight="bold" fill="{colour}">&lt;&lt; {}</text>"#,
        escape(&clip(&label, 54))
    );
}

/// One map: its name, the C's bars above the port's, the edge labels.
fn write_panel(svg: &mut String, top: f64, step: &StepRecord, map: usize, scale: Option<&Scale>) {
    let _ = writeln!(
        svg,
        r##"<text x="{AXIS_LEFT}" y="{}" font-size="10" font-weight="bold" fill="#333">{}</text>"##,
        top + 10.0,
        map_name(map)
    );
    let empty = MapState::default();
    let c = step.c_maps.get(map);
    let rust = step.rust_maps.get(map);
    let tracks = [
        ("C", c, rust.unwrap_or(&empty), top + 14.0),
        ("Rust", rust, c.unwrap_or(&empty), top + 36.0),
    ];
    for (side, view, other, y) in tracks {
        write_track(svg, side, view, other, scale, y);
        write_scalars(svg, view, other, y);
    }
    let expected = step.expected.get(map).map_or(&[][..], Vec::as_slice);
    write_spec_track(svg, expected, scale, top + 58.0);
    write_ticks(svg, c, rust, scale, top + 82.0);
}

/// The pages the model expects mapped, as dashed outlines on a thin track.
fn write_spec_track(svg: &mut String, expected: &[spec::Mapping], scale: Option<&Scale>, y: f64) {
    let _ = writeln!(
        svg,
        r##"<text x="12" y="{}" font-size="9" fill="{SPEC_COLOUR}">spec</text>"##,
        y + 7.0
    );
    let Some(scale) = scale else {
        return;
    };
    for mapping in expected {
        let (a, b) = (scale.x(mapping.start), scale.x(mapping.end));
        let x = a.min(b);
        let width = (a - b).abs().max(MIN_BAR_WIDTH);
        let _ = writeln!(
            svg,
            r##"<rect class="expected" x="{x:.1}" y="{y}" width="{width:.1}" height="{SPEC_TRACK_HEIGHT}" fill="#ebf4ff" stroke="{SPEC_COLOUR}" stroke-width="1" stroke-dasharray="3,2"><title>{}</title></rect>"##,
            escape(&mapping.to_string())
        );
    }
}

/// One side's entries of the map as bars; entries the other side lacks are
/// outlined.
fn write_track(
    svg: &mut String,
    side: &str,
    view: Option<&MapState>,
    other: &MapState,
    scale: Option<&Scale>,
    y: f64,
) {
    let _ = writeln!(
        svg,
        r##"<text x="12" y="{}" font-size="11" font-weight="bold">{side}</text><rect x="{AXIS_LEFT}" y="{y}" width="{}" height="{TRACK_HEIGHT}" fill="white" stroke="#cccccc" stroke-width="0.5"/>"##,
        y + 13.0,
        AXIS_RIGHT - AXIS_LEFT
    );
    let Some(view) = view else {
        write_note(svg, y, "(no such map)");
        return;
    };
    if view.entries.is_empty() {
        write_note(svg, y, "(no entries)");
    }
    let Some(scale) = scale else {
        return;
    };
    for entry in &view.entries {
        write_bar(svg, entry, !other.entries.contains(entry), scale, y);
    }
}

fn write_note(svg: &mut String, y: f64, text: &str) {
    let _ = writeln!(
        svg,
        r##"<text x="{}" y="{}" font-size="10" fill="#777">{text}</text>"##,
        AXIS_LEFT + 6.0,
        y + 13.0
    );
}

fn write_bar(svg: &mut String, entry: &EntryState, differs: bool, scale: &Scale, y: f64) {
    let (a, b) = (scale.x(entry.start), scale.x(entry.end));
    let x = a.min(b);
    let width = (a - b).abs().max(MIN_BAR_WIDTH);
    let fill = entry.object.map_or(NULL_COLOUR, |object| {
        OBJECT_COLOURS[object.0 as usize % OBJECT_COLOURS.len()]
    });
    let (stroke, stroke_width) = if differs {
        (DIFF_OUTLINE, 2.5)
    } else {
        ("white", 1.0)
    };
    let _ = writeln!(
        svg,
        r#"<rect class="entry" x="{x:.1}" y="{y}" width="{width:.1}" height="{TRACK_HEIGHT}" fill="{fill}" stroke="{stroke}" stroke-width="{stroke_width}"><title>{}</title></rect>"#,
        escape(&entry.to_string())
    );
    let label = entry.backing().to_string();
    let font_size = 10.0;
    if (label.len() as f64) * font_size * CHAR_WIDTH_PER_PX + 6.0 <= width {
        let _ = writeln!(
            svg,
            r#"<text x="{:.1}" y="{}" font-size="{font_size}" fill="white">{label}</text>"#,
            x + 3.0,
            y + 13.0
        );
    }
}

/// The map's scalars beside a track, in red where the sides differ.
fn write_scalars(svg: &mut String, view: Option<&MapState>, other: &MapState, y: f64) {
    let Some(map) = view else {
        return;
    };
    let mut text = format!("size {:#x}, {} entries", map.size, map.nr_entries);
    let cache = (map.find_cache, map.find_cache_threshold);
    let other_cache = (other.find_cache, other.find_cache_threshold);
    if cache != other_cache {
        let _ = write!(text, ", cache {:#x} thr {:#x}", cache.0, cache.1);
    }
    let differs = (map.size, map.nr_entries, cache) != (other.size, other.nr_entries, other_cache);
    let style = if differs {
        format!(r#"fill="{MARK_COLOUR}" font-weight="bold""#)
    } else {
        r##"fill="#333""##.to_string()
    };
    let _ = writeln!(
        svg,
        r#"<text x="{COLUMN_LEFT}" y="{}" font-size="10" {style}>{}</text>"#,
        y + 13.0,
        escape(&text)
    );
}

/// Edge addresses under the bars, left to right, on two staggered lines;
/// a label that fits on neither is left out (its tick stays).
fn write_ticks(
    svg: &mut String,
    c: Option<&MapState>,
    rust: Option<&MapState>,
    scale: Option<&Scale>,
    y: f64,
) {
    let Some(scale) = scale else {
        return;
    };
    let mut edges = BTreeSet::new();
    for entry in [c, rust]
        .into_iter()
        .flatten()
        .flat_map(|view| &view.entries)
    {
        edges.insert(entry.start);
        edges.insert(entry.end);
    }
    let font_size = 9.0;
    let mut free_from = [f64::MIN; 2];
    for edge in edges {
        let x = scale.x(edge);
        let label = format!("{edge:#x}");
        let width = label.len() as f64 * font_size * CHAR_WIDTH_PER_PX;
        let anchor_end = x + width > WIDTH - 8.0;
        let left = if anchor_end { x - width } else { x };
        let _ = writeln!(
            svg,
            r##"<line x1="{x:.1}" y1="{}" x2="{x:.1}" y2="{}" stroke="#999" stroke-width="0.7"/>"##,
            y - 14.0,
            y - 9.0
        );
        let Some(lane) = (0..2).find(|&lane| left >= free_from[lane]) else {
            continue;
        };
        let anchor = if anchor_end { "end" } else { "start" };
        let _ = writeln!(
            svg,
            r##"<text x="{x:.1}" y="{}" font-size="{font_size}" fill="#444" text-anchor="{anchor}">{label}</text>"##,
            y + 10.0 * lane as f64
        );
        free_from[lane] = left + width + 6.0;
    }
}
