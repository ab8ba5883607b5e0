//! [`Model::check_page_table`]: whether a side's page-table leaves are
//! ones the map allows and include every page that must be present.
//!
//! Leaves and the model's ranges are walked together in address order in
//! one pass; only leaves given out of order are copied to be sorted. The
//! first problem by address is returned as `Err(Broken)`.

use alloc::borrow::Cow;
use alloc::vec::Vec;
use core::iter::Peekable;

use crate::model::{MapState, Model};
use crate::ranges::{Placement, Span};
use crate::request::MapIndex;
use crate::rule::{Broken, Rule};
use crate::x15::{PAGE_SIZE, PROT_NONE, PROT_WRITE};

/// One present page-table leaf.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Leaf {
    /// The virtual address it maps (page-aligned; a lower part is ignored).
    pub va: u64,
    /// Whether the leaf has the RW bit. Presence alone grants read and
    /// execute on x86_64 without NX.
    pub writable: bool,
}

impl Leaf {
    /// The page the leaf maps.
    fn page(&self) -> u64 {
        self.va & !(PAGE_SIZE - 1)
    }
}

impl Model {
    /// Checks every present leaf of `map`'s page table, in any order
    /// (address order avoids a copy).
    pub fn check_page_table(&self, map: MapIndex, present: &[Leaf]) -> Result<(), Broken> {
        let shown = format_args!(
            "a page table of map {} with {} leaves",
            map.0,
            present.len()
        );
        let state = self.observed_map(map, shown)?;
        check_leaves(state, &in_page_order(present))
    }

    /// Checks the part of `map`'s page table in `[start, end)`: `present`
    /// holds the leaves there in address order (leaves outside the range
    /// are ignored). The same rules as [`Model::check_page_table`] apply to
    /// the pages of the range, so that a caller who knows which pages an
    /// operation can have changed need not walk the whole table.
    pub fn check_page_table_in(
        &self,
        map: MapIndex,
        start: u64,
        end: u64,
        present: &[Leaf],
    ) -> Result<(), Broken> {
        let state = self.observed_map(map, format_args!("a page table of map {}", map.0))?;
        check_leaves_in(state, start, end, &in_page_order(present))
    }
}

/// The leaves sorted by page: as given when they already are, which
/// saves the copy.
fn in_page_order(present: &[Leaf]) -> Cow<'_, [Leaf]> {
    if present
        .windows(2)
        .all(|pair| pair[0].page() <= pair[1].page())
    {
        return Cow::Borrowed(present);
    }
    let mut sorted: Vec<Leaf> = present.to_vec();
    sorted.sort_unstable_by_key(Leaf::page);
    Cow::Owned(sorted)
}

/// Walks leaves sorted by page against the mapped and must-be-present
/// ranges.
fn check_leaves(state: &MapState, leaves: &[Leaf]) -> Result<(), Broken> {
    check_leaves_in(state, 0, u64::MAX, leaves)
}

/// Like [`check_leaves`] for the pages of `[start, end)` only: leaves
/// outside it are ignored, and only pages inside it must be present.
fn check_leaves_in(state: &MapState, start: u64, end: u64, leaves: &[Leaf]) -> Result<(), Broken> {
    let mut mapped = state.pages.iter_from(start).peekable();
    let required_spans = state
        .present
        .iter_from(start)
        .take_while(|span| span.start < end)
        .map(|span| (span.start.max(start), span.end.min(end)));
    let mut required = RequiredPages::new(required_spans);
    for leaf in leaves {
        let page = leaf.page();
        if page < start || page >= end {
            continue;
        }
        if let Some(missing) = required.next_page().filter(|&missing| missing < page) {
            return Err(not_present(missing));
        }
        let must_be_present = required.next_page() == Some(page);
        check_leaf(span_containing(&mut mapped, page), *leaf, must_be_present)?;
        if must_be_present {
            required.pass(page);
        }
    }
    match required.next_page() {
        Some(missing) => Err(not_present(missing)),
        None => Ok(()),
    }
}

/// The mapped span containing `page`, advancing past spans that end
/// before it.
fn span_containing<I>(mapped: &mut Peekable<I>, page: u64) -> Option<Span<Placement>>
where
    I: Iterator<Item = Span<Placement>>,
{
    while mapped.next_if(|span| span.end <= page).is_some() {}
    mapped.peek().copied().filter(|span| span.start <= page)
}

/// Checks one leaf's rights against the page's mapping.
fn check_leaf(
    span: Option<Span<Placement>>,
    leaf: Leaf,
    must_be_present: bool,
) -> Result<(), Broken> {
    let page = leaf.page();
    let observed = format_args!(
        "a {} leaf at {page:#x}",
        if leaf.writable {
            "writable"
        } else {
            "read-only"
        }
    );
    let Some(span) = span else {
        let expected = format_args!("no leaf at {page:#x} (unmapped)");
        return Err(Broken::new(Rule::PmapLeafUnmapped, expected, observed).about_page(page));
    };
    let prot = span.value.attributes.prot;
    if prot == PROT_NONE {
        let expected = format_args!("no leaf at {page:#x} (prot none)");
        return Err(Broken::new(Rule::PmapLeafNoAccess, expected, observed).about_page(page));
    }
    let prot_writes = prot & PROT_WRITE != 0;
    if leaf.writable && !prot_writes {
        let expected = format_args!("a read-only leaf at {page:#x} (prot without write)");
        return Err(Broken::new(Rule::PmapLeafTooWide, expected, observed).about_page(page));
    }
    if must_be_present && prot_writes && !leaf.writable {
        let expected =
            format_args!("a writable leaf at {page:#x} (faulted or allocated, prot with write)");
        return Err(Broken::new(Rule::PmapLeafTooNarrow, expected, observed).about_page(page));
    }
    Ok(())
}

/// The report of a page that must be present but is not.
fn not_present(page: u64) -> Broken {
    let expected = format_args!("a leaf at {page:#x} (faulted or allocated)");
    let observed = format_args!("no leaf at {page:#x}");
    Broken::new(Rule::PmapNotPresent, expected, observed).about_page(page)
}

/// The pages of a sequence of ranges, one at a time, without expanding
/// them.
struct RequiredPages<I> {
    ranges: I,
    /// The next required page and the end of its range.
    current: Option<(u64, u64)>,
}

impl<I: Iterator<Item = (u64, u64)>> RequiredPages<I> {
    fn new(ranges: I) -> RequiredPages<I> {
        RequiredPages {
            ranges,
            current: None,
        }
    }

    /// The lowest required page not yet passed.
    fn next_page(&mut self) -> Option<u64> {
        loop {
            match self.current {
                Some((page, end)) if page < end => return Some(page),
                _ => self.current = Some(self.ranges.next()?),
            }
        }
    }

    /// Marks `page`, the lowest required page, as seen.
    fn pass(&mut self, page: u64) {
        if let Some((next, _)) = self.current.as_mut().filter(|(next, _)| *next == page) {
            *next = next.saturating_add(PAGE_SIZE);
        }
    }
}
