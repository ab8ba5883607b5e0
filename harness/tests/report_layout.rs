//! The divergence report's side-by-side tables: the `|` between the C and
//! the Rust column is in the same place on every row, the scalar row
//! (`size ... n ... cache ... thr ...`) included, however wide the cells.

use harness::mismatch::Mismatch;
use harness::observe::Outcome;
use harness::program::{Program, ResolvedOp};
use harness::runner::Divergence;
use vm_rs::{EntryState, MapState};

fn kernel_like_map(size: u64) -> MapState {
    let entry = EntryState {
        start: 0xffff_8000_0000_0000,
        end: 0xffff_8000_0040_0000,
        object: None,
        offset: 0,
        flags: 0x1_0077,
    };
    MapState {
        start: 0xffff_8000_0000_0000,
        end: 0xffff_ffff_ffff_f000,
        size,
        nr_entries: 1,
        find_cache: 0xffff_8000_0040_0000,
        find_cache_threshold: 0x7fff_ffbf_f000,
        entries: vec![entry],
        list: vec![entry],
    }
}

#[test]
fn the_column_separator_lines_up_on_every_table_row() {
    let program = Program::parse_text("create-map\n").unwrap();
    let divergence = Divergence {
        program,
        op_index: Some(0),
        op: Some(ResolvedOp::CreateMap),
        c_outcome: Outcome::Ok(None),
        rust_outcome: Outcome::Ok(None),
        mismatch: Mismatch::Outcome {
            c: Outcome::Ok(None),
            rust: Outcome::Ok(None),
        },
        c_maps: vec![kernel_like_map(0x40_0000)],
        rust_maps: vec![kernel_like_map(0x40_1000)],
        retired_at: None,
    };
    let report = divergence.to_string();
    let table: Vec<&str> = report
        .lines()
        .skip_while(|line| !line.starts_with("kernel map:"))
        .skip(1)
        .take_while(|line| !line.is_empty())
        .collect();
    assert!(table.len() >= 3, "no table in:\n{report}");
    assert!(
        table.iter().any(|line| line.starts_with("* size ")),
        "the differing size row is marked:\n{report}"
    );
    let columns: Vec<Option<usize>> = table.iter().map(|line| line.find(" | ")).collect();
    assert!(
        columns
            .iter()
            .all(|column| column.is_some() && *column == columns[0]),
        "`|` is not in one column:\n{}",
        table.join("\n")
    );
}
