//! What the oracles compare, in one vocabulary for both sides: the outcome
//! of an operation, and a map's state as a [`MapView`].
//!
//! Each side converts its own results into these types (the C's outcomes and
//! snapshots, the port's `Result` and `MapState`), so that comparison is
//! plain equality. Conversions never fail: anything a side cannot express is
//! carried as text.

use std::fmt;

/// How one operation ended, normalised so that equal means equivalent.
///
/// A failed C assertion and the port's matching precondition error both
/// become [`Outcome::Precondition`] with the C's expression text: the port's
/// assertion table (`vm_rs::PRECONDITIONS`) is the only source of this
/// equivalence.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Outcome {
    /// Success; `Some(address)` for an enter (the chosen start).
    Ok(Option<u64>),
    /// An X15 error code.
    Error(i32),
    /// `assertion failed: <expression>`; the instance is dead afterwards.
    Precondition(String),
    /// `panic(<message>)`; the instance is dead afterwards.
    Fatal(String),
    /// Behaviour the port declares undefined in the C (never the C's own
    /// outcome); the text says which.
    Undefined(String),
    /// An earlier operation killed this instance; nothing ran.
    Dead,
}

impl Outcome {
    /// Whether the instance is dead after this outcome.
    pub fn is_terminal(&self) -> bool {
        matches!(
            self,
            Outcome::Precondition(_) | Outcome::Fatal(_) | Outcome::Undefined(_) | Outcome::Dead
        )
    }

    /// Classifies a C panic message: assertions become preconditions.
    pub fn from_c_panic(message: &str) -> Outcome {
        match message.strip_prefix("assertion failed: ") {
            Some(expression) => Outcome::Precondition(expression.to_string()),
            None => Outcome::Fatal(message.to_string()),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Ok(None) => write!(f, "ok"),
            Outcome::Ok(Some(address)) => write!(f, "ok start={address:#x}"),
            Outcome::Error(code) => write!(f, "error {code} ({})", error_name(*code)),
            Outcome::Precondition(expression) => write!(f, "assertion failed: {expression}"),
            Outcome::Fatal(message) => write!(f, "panic: {message}"),
            Outcome::Undefined(what) => write!(f, "undefined in C: {what}"),
            Outcome::Dead => write!(f, "dead (an earlier operation panicked)"),
        }
    }
}

/// The name of an X15 error code, for reports.
pub fn error_name(code: i32) -> &'static str {
    match code {
        1 => "ERROR_NOMEM",
        2 => "ERROR_AGAIN",
        3 => "ERROR_INVAL",
        4 => "ERROR_BUSY",
        5 => "ERROR_FAULT",
        6 => "ERROR_ACCES",
        _ => "unknown",
    }
}

/// One map entry as both sides describe it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EntryView {
    /// First address.
    pub start: u64,
    /// First address past the entry.
    pub end: u64,
    /// The object's id, `None` for a null mapping.
    pub object: Option<u32>,
    /// Offset of `start` in the object.
    pub offset: u64,
    /// The flags the entry keeps (`flags & VM_MAP_ENTRY_MASK`).
    pub flags: u32,
}

impl fmt::Display for EntryView {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#014x}-{:#014x} ", self.start, self.end)?;
        match self.object {
            Some(object) => write!(f, "obj{object}+{:#x}", self.offset)?,
            None => write!(f, "null")?,
        }
        write!(f, " {:#07x}", self.flags)
    }
}

/// A map's state: entries in address order and in list order, and scalars.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct MapView {
    /// `map->start`.
    pub start: u64,
    /// `map->end`.
    pub end: u64,
    /// `map->size`.
    pub size: u64,
    /// `map->nr_entries`.
    pub nr_entries: u32,
    /// `map->find_cache`.
    pub find_cache: u64,
    /// `map->find_cache_threshold`.
    pub find_cache_threshold: u64,
    /// Entries in address order (tree order).
    pub entries: Vec<EntryView>,
    /// Entries in the order of the entry list.
    pub list: Vec<EntryView>,
}

impl MapView {
    /// Empties the view, keeping its buffers.
    pub fn clear(&mut self) {
        *self = MapView {
            entries: std::mem::take(&mut self.entries),
            list: std::mem::take(&mut self.list),
            ..MapView::default()
        };
        self.entries.clear();
        self.list.clear();
    }
}

/// The kentry allocator's table as both sides describe it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct KentryView {
    /// The free list as slab indices, head first.
    pub free_list: Vec<u32>,
    /// The slabs whose descriptor holds the allocated marker.
    pub allocated: Vec<u32>,
}
