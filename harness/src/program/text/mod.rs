//! The readable text form of programs, one operation per line, and the
//! readable form of resolved operations.
//!
//! ```text
//! # vm-diff program v1
//! machine tiny
//! mode fixed
//! fail phys 7
//! fail cache 3
//! swarm create-map enter remove fault
//! create-map
//! enter map=1 object=none offset=pages(0) start=entry-end(0) size=pages(4) align=none prot=rw maxprot=rwx inherit=copy advice=normal fixed
//! remove map=1 start=map-start end=near(entry-end(2),+1)
//! fault map=1 addr=raw(0x7000) access=r invalid
//! ```
//!
//! The grammar (words are separated by blanks; a value has no blanks):
//!
//! ```text
//! header   = "# vm-diff program v" N         (optional; the first line; N must be 1)
//! line     = setting | op                      ('#' to the end of a line is a comment)
//! setting  = "machine" ("tiny" | "scarce" | "normal")   (default normal)
//!          | "mode" ("bug-for-bug" | "fixed")  (the port's mode; default bug-for-bug)
//!          | "fail" ("phys" | "cache") N       (N in 1..=64; at most 4 of each)
//!          | "swarm" kind+                     (the enabled kinds; default all)
//! op       = "create-map" | "create-object" | "reap" | "info" "map=" map
//!          | "enter" field* ["fixed"] ["nomerge"] ["invalid"]
//!          | "remove" "map=" map "start=" addr "end=" addr ["invalid"]
//!          | "fault" "map=" map "addr=" addr "access=" prot ["invalid"]
//!          | "repeat" R (enter | remove)       (R in 1..=256: R times, each
//!                                              resolved against the state then)
//! field    = "map=" map | "size=" size          (required)
//!          | "object=" ("none" | I)             (default none)
//!          | "offset=" ("pages(" P ")" | raw)   (default pages(0))
//!          | "start=" addr                      (default none: no hint)
//!          | "align=" ("none" | "pages(" 2^k ")" | raw)   (k <= 22; default none)
//!          | "prot=" prot | "maxprot=" prot     (default rwx)
//!          | "inherit=" ("none" | "share" | "copy" | 0..=3)            (default none)
//!          | "advice=" ("normal" | "random" | "sequential" | "willneed"
//!                       | "dontneed" | 0..=7)  (default normal)
//! map      = "kernel" | 1..=32                 (user maps count from 1)
//! addr     = "none" | anchor | "near(" anchor "," ("+" | "-") D ")" | raw
//! anchor   = ("entry-start" | "entry-end" | "gap-start" | "gap-end") "(" I ")"
//!          | "map-start" | "map-end"
//! size     = "pages(" P ")" | "gap-size(" I ")" | "entry-size(" I ")" | raw
//! raw      = "raw(" number ")"                 (decimal, or 0x hexadecimal; _ allowed)
//! prot     = "none" | letters from "rwx", each at most once
//! kind     = "create-map" | "create-object" | "enter" | "remove" | "fault" | "reap" | "info"
//! ```
//!
//! with I an index in 0..=31, P a page count in 0..=127 and D a page delta
//! in -128..=127. Fields may come in any order; settings come before the
//! operations; at most 64 operations, each of a kind the swarm line enables.
//! A header naming another version than this build's is rejected (the text
//! of a later format may mean something else); a UTF-8 byte-order mark at
//! the start is ignored.
//!
//! The form does not depend on the byte layout, so regression files stay
//! valid when the encoding changes. Printing always writes every field and
//! parses back to the same program. Parsing reports failure as a
//! [`ParseError`] with the line and column (both from 1) of the offending
//! word or character.
//!
//! `print.rs` writes programs and resolved operations, `parse.rs` reads
//! programs back.

use std::fmt::{self, Display, Formatter};

mod parse;
mod print;

pub use print::HeaderLine;

/// Names of `VM_INHERIT_*` values 0 to 2.
pub(super) const INHERIT_NAMES: [&str; 3] = ["none", "share", "copy"];
/// Names of `VM_ADV_*` values 0 to 4.
pub(super) const ADVICE_NAMES: [&str; 5] =
    ["normal", "random", "sequential", "willneed", "dontneed"];

/// Why a text program did not parse, and where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParseError {
    /// The line, from 1.
    pub line: usize,
    /// The column of the offending word or character, from 1.
    pub column: usize,
    /// What is wrong.
    pub message: String,
}

impl Display for ParseError {
    fn fmt(&self, f: &mut Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "line {}, column {}: {}",
            self.line, self.column, self.message
        )
    }
}

impl std::error::Error for ParseError {}
