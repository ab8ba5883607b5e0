//! The SVG renderer on hand-made step logs (no C needed): well-formed XML,
//! one row per step in order, the mark on the right row, coordinates
//! inside the picture even for address spaces of 2^47 bytes, and the same
//! bytes every time.

use harness::observe::Outcome;
use harness::program::{EnterRequest, MapRef, Program, ResolvedOp};
use harness::render::{render_svg, Mark};
use harness::runner::StepRecord;
use vm_rs::env::ObjectId;
use vm_rs::{EntryState, MapState};

const KERNEL_START: u64 = 0x2000_0000_0000;
const USER_END: u64 = 1 << 47;

fn entry(start: u64, end: u64, object: Option<u32>) -> EntryState {
    EntryState {
        start,
        end,
        object: object.map(ObjectId),
        offset: 0,
        flags: 0x77,
    }
}

fn map(start: u64, end: u64, entries: Vec<EntryState>) -> MapState {
    let size = entries.iter().map(|entry| entry.end - entry.start).sum();
    MapState {
        start,
        end,
        size,
        nr_entries: entries.len() as u32,
        list: entries.clone(),
        entries,
        ..MapState::default()
    }
}

fn kernel(extra_pages: u64) -> MapState {
    let mut entries = vec![
        entry(KERNEL_START, KERNEL_START + 0x10_0000, None),
        entry(KERNEL_START + 0x10_0000, KERNEL_START + 0x90_4000, None),
    ];
    if extra_pages > 0 {
        let start = KERNEL_START + 0x90_4000;
        entries.push(entry(start, start + extra_pages * 0x1000, None));
    }
    map(KERNEL_START, KERNEL_START + 0x200_0000, entries)
}

fn step(op_index: Option<usize>, op: Option<ResolvedOp>, maps: Vec<MapState>) -> StepRecord {
    StepRecord {
        op_index,
        op,
        c_outcome: Outcome::Ok(None),
        rust_outcome: Outcome::Ok(None),
        c_maps: maps.clone(),
        rust_maps: maps,
        expected: Vec::new(),
    }
}

/// A program of three operations and its log: a create-map, an enter near
/// the bottom of the user map and one near its top (2^47), where the
/// port's map differs from the C's.
fn fixture() -> (Program, Vec<StepRecord>) {
    let program = Program::parse_text(
        "create-map\nenter map=1 start=raw(0x1000) size=pages(1) fixed\n\
         enter map=1 start=raw(0x7ffffffff000) size=pages(1) fixed\n",
    )
    .unwrap();
    let empty_user = map(0, USER_END, Vec::new());
    let low = entry(0x1000, 0x2000, Some(0));
    let high = entry(USER_END - 0x1000, USER_END, None);
    let enter = |start| {
        ResolvedOp::Enter(EnterRequest {
            map: MapRef(1),
            object: None,
            offset: 0,
            start,
            size: 0x1000,
            align: 0,
            flags: 0x20077,
        })
    };
    let mut last = step(
        Some(2),
        Some(enter(USER_END - 0x1000)),
        vec![kernel(1), map(0, USER_END, vec![low, high])],
    );
    last.rust_maps[1].entries[1].end -= 0x800;
    last.rust_maps[1].size -= 0x800;
    let steps = vec![
        step(None, None, vec![kernel(0)]),
        step(
            Some(0),
            Some(ResolvedOp::CreateMap),
            vec![kernel(1), empty_user.clone()],
        ),
        step(
            Some(1),
            Some(enter(0x1000)),
            vec![kernel(1), map(0, USER_END, vec![low])],
        ),
        last,
    ];
    (program, steps)
}

fn mark_at(op_index: Option<usize>) -> Mark {
    Mark {
        op_index,
        text: "map:entries".to_string(),
        known: false,
        map: Some(1),
    }
}

/// Checks that `text` is one well-formed XML element: tags nest and match,
/// attribute values are quoted, and `&` only starts an entity.
fn assert_well_formed(text: &str) {
    let mut stack: Vec<&str> = Vec::new();
    let mut roots = 0;
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        assert_entities(&rest[..open]);
        let close = rest[open..].find('>').expect("an unclosed tag") + open;
        let tag = &rest[open + 1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name.trim()), "mismatched </{name}>");
            continue;
        }
        let self_closing = tag.ends_with('/');
        let body = tag.trim_end_matches('/');
        let name = body.split_whitespace().next().expect("a tag name");
        assert_attributes(&body[name.len()..]);
        if stack.is_empty() {
            roots += 1;
        }
        if !self_closing {
            stack.push(name);
        }
    }
    assert_entities(rest);
    assert!(stack.is_empty(), "unclosed elements: {stack:?}");
    assert_eq!(roots, 1, "exactly one root element");
}

fn assert_entities(text: &str) {
    for (position, _) in text.match_indices('&') {
        let after = &text[position..];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;"]
                .iter()
                .any(|entity| after.starts_with(entity)),
            "a bare & in {text:?}"
        );
    }
}

fn assert_attributes(mut attributes: &str) {
    loop {
        attributes = attributes.trim_start();
        if attributes.is_empty() {
            return;
        }
        let equals = attributes.find("=\"").expect("name=\"value\"");
        let name = &attributes[..equals];
        assert!(
            !name.is_empty()
                && name
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || "-:_".contains(c)),
            "bad attribute name {name:?}"
        );
        let value_start = equals + 2;
        let value_end = attributes[value_start..]
            .find('"')
            .expect("a closing quote")
            + value_start;
        let value = &attributes[value_start..value_end];
        assert!(!value.contains('<'), "a < in attribute {name}");
        assert_entities(value);
        attributes = &attributes[value_end + 1..];
    }
}

/// The values of every `name="..."` attribute in `svg`.
fn attribute_values<'a>(svg: &'a str, name: &str) -> Vec<&'a str> {
    let pattern = format!(" {name}=\"");
    svg.match_indices(&pattern)
        .map(|(position, _)| {
            let start = position + pattern.len();
            let end = svg[start..].find('"').unwrap() + start;
            &svg[start..end]
        })
        .collect()
}

#[test]
fn the_picture_is_well_formed() {
    let (program, steps) = fixture();
    for mark in [None, Some(mark_at(Some(2))), Some(mark_at(None))] {
        assert_well_formed(&render_svg(
            "test <&> \"title\"",
            &program,
            &steps,
            mark.as_ref(),
        ));
    }
}

#[test]
fn there_is_one_row_per_step_in_order() {
    let (program, steps) = fixture();
    let svg = render_svg("rows", &program, &steps, Some(&mark_at(Some(2))));
    let rows: Vec<&str> = svg
        .match_indices("<g class=\"step")
        .map(|(position, _)| {
            let rest = &svg[position..];
            let start = rest.find("data-step=\"").unwrap() + "data-step=\"".len();
            let end = rest[start..].find('"').unwrap() + start;
            &rest[start..end]
        })
        .collect();
    assert_eq!(rows, ["setup", "0", "1", "2"]);
    // Fewer steps than operations (a run that stopped early): fewer rows.
    let svg = render_svg("rows", &program, &steps[..2], None);
    assert_eq!(svg.matches("<g class=\"step").count(), 2);
    assert!(svg.contains("did not run"));
}

#[test]
fn the_mark_is_on_the_right_row() {
    let (program, steps) = fixture();
    for (op_index, label) in [(Some(1), "1"), (Some(2), "2"), (None, "setup")] {
        let svg = render_svg("mark", &program, &steps, Some(&mark_at(op_index)));
        let marked: Vec<&str> = svg
            .match_indices("class=\"step marked\"")
            .map(|(p, _)| &svg[p..])
            .collect();
        assert_eq!(marked.len(), 1, "one marked row for {label}");
        assert!(
            marked[0].starts_with(&format!("class=\"step marked\" data-step=\"{label}\"")),
            "the marked row is not {label}"
        );
        assert_eq!(svg.matches("class=\"mark\"").count(), 1);
        assert!(svg.contains("first difference: map:entries"));
    }
    let unmarked = render_svg("none", &program, &steps, None);
    assert!(!unmarked.contains("marked"));
}

#[test]
fn huge_address_spaces_stay_inside_the_picture() {
    let (program, steps) = fixture();
    let svg = render_svg("huge", &program, &steps, Some(&mark_at(Some(2))));
    let width: f64 = attribute_values(&svg, "width")[0].parse().unwrap();
    for name in ["x", "x1", "x2", "width"] {
        for value in attribute_values(&svg, name) {
            let number: f64 = value.parse().unwrap_or_else(|_| panic!("{name}={value:?}"));
            assert!(
                number.is_finite() && (0.0..=width).contains(&number),
                "{name}={value}"
            );
        }
    }
    // Every entry is a bar at least two pixels wide, even a page next to
    // 2^47 bytes.
    let bars: Vec<&str> = svg.split("<rect class=\"entry\"").skip(1).collect();
    assert!(bars.len() >= 10, "only {} bars", bars.len());
    for bar in bars {
        let width: f64 = attribute_values(bar, "width")[0].parse().unwrap();
        assert!(width >= 2.0, "a bar {width} wide");
    }
}

#[test]
fn differing_entries_and_scalars_are_marked() {
    let (program, steps) = fixture();
    let svg = render_svg("diff", &program, &steps, Some(&mark_at(Some(2))));
    // The C's high entry and the port's shorter one are each outlined.
    assert_eq!(
        svg.matches("stroke=\"#7a0019\" stroke-width=\"2.5\"><title>")
            .count(),
        2
    );
    assert!(svg.contains("0x7ffffffff000-0x800000000000"));
    assert!(svg.contains("0x7ffffffff000-0x7ffffffff800"));
    let identical = render_svg("same", &program, &steps[..3], None);
    assert_eq!(
        identical
            .matches("stroke=\"#7a0019\" stroke-width=\"2.5\"><title>")
            .count(),
        0
    );
}

#[test]
fn the_models_expected_pages_are_drawn_in_their_row() {
    let (program, mut steps) = fixture();
    let svg = render_svg("no model", &program, &steps, None);
    assert!(
        !svg.contains(r#"class="expected""#),
        "no expectation, no outline"
    );
    // The model expects one page at 0x1000 in map 1 after the last step.
    let attributes = spec::Attributes {
        object: None,
        prot: 7,
        maxprot: 7,
        inherit: 0,
        advice: 0,
    };
    let page = spec::Mapping {
        start: 0x1000,
        end: 0x2000,
        offset: 0,
        attributes,
    };
    let last = steps.len() - 1;
    steps[last].expected = vec![Vec::new(), vec![page]];
    let svg = render_svg("model", &program, &steps, Some(&mark_at(Some(2))));
    assert_eq!(svg.matches(r#"class="expected""#).count(), 1, "{svg}");
    assert!(svg.contains(&escape_title(&page.to_string())), "{svg}");
}

/// A text as the picture's `<title>` holds it.
fn escape_title(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

#[test]
fn rendering_is_deterministic() {
    let (program, steps) = fixture();
    let mark = mark_at(Some(2));
    assert_eq!(
        render_svg("same", &program, &steps, Some(&mark)),
        render_svg("same", &program, &steps, Some(&mark))
    );
}
