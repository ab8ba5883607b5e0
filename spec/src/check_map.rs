//! [`Model::check_map`]: whether a side's entries describe the map the
//! model expects.
//!
//! Both descriptions are coalesced on the fly and walked together in one
//! pass without allocating; the first difference is returned as
//! `Err(Broken)` naming the first differing address.

use crate::mapping::{Coalesced, Malformed, Mapping};
use crate::model::{mapping_of, Model};
use crate::request::MapIndex;
use crate::rule::{Broken, Rule};

impl Model {
    /// Checks a side's entries of `map`, given in address order and split
    /// in any way, against the model's expected mappings.
    pub fn check_map(&self, map: MapIndex, observed: &[Mapping]) -> Result<(), Broken> {
        self.check_map_in(map, 0, u64::MAX, observed)
    }

    /// Like [`Model::check_map`] for the pages of `[start, end)` only: the
    /// harness checks there what a step changed, when the rest of the map
    /// passed before and neither side nor model changed it since.
    /// `observed` holds the side's entries that overlap the range (others
    /// are ignored); well-formed ones are cut to the range, malformed ones
    /// are judged as they are.
    pub fn check_map_in(
        &self,
        map: MapIndex,
        start: u64,
        end: u64,
        observed: &[Mapping],
    ) -> Result<(), Broken> {
        let shown = format_args!("map {} with {} entries", map.0, observed.len());
        let state = self.observed_map(map, shown)?;
        let mut expected = Coalesced::new(
            state
                .pages
                .iter_from(start)
                .take_while(|span| span.start < end)
                .filter_map(|span| clip(mapping_of(span.start, span.end, span.value), start, end)),
        );
        let mut seen = Coalesced::new(
            observed
                .iter()
                .filter(|entry| entry.start < end && entry.end > start)
                .map(|entry| clip(*entry, start, end).unwrap_or(*entry)),
        );
        loop {
            // The model's own ranges are always well formed.
            let want = expected.next().and_then(Result::ok);
            let got = match seen.next() {
                Some(Ok(run)) => Some(run),
                Some(Err(malformed)) => return Err(malformed_report(&malformed)),
                None => None,
            };
            if let Some(malformed) = seen.malformed_ahead() {
                return Err(malformed_report(&malformed));
            }
            if want != got {
                return Err(self.difference(map, want, got));
            }
            if want.is_none() {
                return Ok(());
            }
        }
    }

    /// The report of the first difference between two maximal runs that
    /// start at or after the same address.
    fn difference(&self, map: MapIndex, want: Option<Mapping>, got: Option<Mapping>) -> Broken {
        let address = first_difference(want.as_ref(), got.as_ref());
        let rule = if !map.is_kernel() {
            Rule::MapContents
        } else if self
            .static_entries
            .iter()
            .any(|entry| entry.contains(address))
        {
            Rule::KernelStaticEntry
        } else if self
            .allocation_overlapping(address, address.saturating_add(1))
            .is_some()
        {
            Rule::KernelAllocationMapped
        } else {
            Rule::MapContents
        };
        let expected = format_args!("at {address:#x}: {}", RunText(want));
        let observed = format_args!("at {address:#x}: {}", RunText(got));
        Broken::new(rule, expected, observed)
    }
}

/// `mapping` cut to `[start, end)` (its offset moved with its start), or
/// `None` when it is malformed (empty or not page-aligned: it is then
/// judged as it is) or lies outside.
fn clip(mapping: Mapping, start: u64, end: u64) -> Option<Mapping> {
    let aligned = mapping.start % crate::PAGE_SIZE == 0 && mapping.end % crate::PAGE_SIZE == 0;
    if !aligned || mapping.start >= mapping.end {
        return None;
    }
    let (clipped_start, clipped_end) = (mapping.start.max(start), mapping.end.min(end));
    if clipped_start >= clipped_end {
        return None;
    }
    Some(Mapping {
        start: clipped_start,
        end: clipped_end,
        offset: mapping.offset.wrapping_add(clipped_start - mapping.start),
        ..mapping
    })
}

/// The lowest address at which two differing runs disagree.
fn first_difference(want: Option<&Mapping>, got: Option<&Mapping>) -> u64 {
    match (want, got) {
        (Some(want), Some(got)) => {
            if want.start != got.start {
                want.start.min(got.start)
            } else if want.offset != got.offset || want.attributes != got.attributes {
                want.start
            } else {
                want.end.min(got.end)
            }
        }
        (Some(only), None) | (None, Some(only)) => only.start,
        (None, None) => 0,
    }
}

/// A run, or the absence of any further run.
struct RunText(Option<Mapping>);

impl core::fmt::Display for RunText {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match &self.0 {
            Some(run) => write!(f, "{run}"),
            None => f.write_str("nothing more mapped"),
        }
    }
}

/// The report of an entry that cannot be part of a map description.
fn malformed_report(malformed: &Malformed) -> Broken {
    let observed = format_args!("an entry {} that {}", malformed.entry, malformed.reason);
    Broken::new(
        Rule::MapEntriesWellFormed,
        "non-empty page-aligned entries in increasing order without overlap",
        observed,
    )
}
