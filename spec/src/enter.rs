//! Judging `vm_map_enter`: the fixed, non-fixed and kernel-object cases.
//!
//! The request has already passed [`crate::Model::classify`], so its
//! flags are defined, its start and size page-aligned and `start + size`
//! fits in 64 bits. A broken promise is returned as `Err(Broken)`.

use crate::attributes::EnterFlags;
use crate::model::MapState;
use crate::model::Model;
use crate::ranges::Placement;
use crate::request::{Answer, MapIndex, Request};
use crate::rule::{Broken, Rule};
use crate::x15::{ERROR_INVAL, ERROR_NOMEM, PAGE_SIZE};

/// An enter request taken apart, its flags decoded: what classifying it
/// ([`crate::Model::classify`]) and judging it read.
pub(crate) struct Enter {
    pub(crate) map: MapIndex,
    pub(crate) start: u64,
    pub(crate) size_bytes: u64,
    /// The alignment as requested: 0 for none.
    pub(crate) requested_align: u64,
    pub(crate) object: Option<u32>,
    /// The object offset as requested (an offset without an object breaks
    /// a precondition).
    pub(crate) offset: u64,
    pub(crate) flags: EnterFlags,
}

impl Enter {
    /// Takes `request` apart; `None` when it is not an enter.
    pub(crate) fn from_request(request: &Request) -> Option<Enter> {
        let Request::Enter {
            map,
            object,
            offset,
            start,
            size: size_bytes,
            align: requested_align,
            flags: raw_flags,
        } = *request
        else {
            return None;
        };
        Some(Enter {
            map,
            start,
            size_bytes,
            requested_align,
            object,
            offset,
            flags: EnterFlags::decode(raw_flags),
        })
    }

    /// The alignment of the chosen start: at least a page.
    fn align(&self) -> u64 {
        self.requested_align.max(PAGE_SIZE)
    }

    /// What the request maps: its object's pages from the offset (none for
    /// a null mapping) with the flags' attributes.
    fn placement(&self) -> Placement {
        Placement {
            offset: if self.object.is_some() {
                self.offset
            } else {
                0
            },
            attributes: self.flags.attributes(self.object),
        }
    }

    /// The range the request names, `[start, start + size)`.
    fn requested_range(&self) -> Option<(u64, u64)> {
        Some((self.start, self.start.checked_add(self.size_bytes)?))
    }
}

impl Model {
    /// Judges and applies a valid enter that was answered neither
    /// `Refused` nor `Stopped`.
    pub(crate) fn step_enter(&mut self, request: &Request, answer: &Answer) -> Result<(), Broken> {
        let Some(enter) = Enter::from_request(request) else {
            return Ok(());
        };
        let Some(state) = self.map_mut(enter.map) else {
            return Ok(());
        };
        if enter.map.is_kernel() && enter.object.is_some() {
            return match answer {
                Answer::Error(ERROR_INVAL) => Ok(()),
                other => Err(Broken::new(Rule::EnterKernelObject, "ERROR_INVAL", other)),
            };
        }
        let start = if enter.flags.fixed {
            judge_fixed(state, &enter, answer)?
        } else {
            judge_anywhere(state, &enter, answer)?
        };
        if let Some(start) = start {
            let end = start.saturating_add(enter.size_bytes);
            state.pages.set(start, end, enter.placement());
        }
        Ok(())
    }
}

/// Judges a fixed enter; the start to map at when it succeeded.
fn judge_fixed(state: &MapState, enter: &Enter, answer: &Answer) -> Result<Option<u64>, Broken> {
    let Some((start, end)) = enter.requested_range() else {
        return Ok(None);
    };
    let room = state.bounds_contain(start, end) && !state.pages.overlaps(start, end);
    let expected = format_args!("entered at {start:#x}");
    match (room, *answer) {
        (true, Answer::Entered { start: chosen }) if chosen == start => Ok(Some(start)),
        (true, Answer::Entered { .. }) => {
            Err(Broken::new(Rule::EnterFixedAddress, expected, answer))
        }
        (true, _) => Err(Broken::new(Rule::EnterFixedRoom, expected, answer)),
        (false, Answer::Error(ERROR_NOMEM)) => Ok(None),
        (false, _) => {
            let expected = format_args!(
                "ERROR_NOMEM ([{start:#x}, {end:#x}) leaves the map or meets a mapping)"
            );
            Err(Broken::new(Rule::EnterFixedNoRoom, expected, answer))
        }
    }
}

/// Judges an enter without `VM_MAP_FIXED`; the start to map at when it
/// succeeded.
fn judge_anywhere(state: &MapState, enter: &Enter, answer: &Answer) -> Result<Option<u64>, Broken> {
    match *answer {
        Answer::Entered { start } => judge_chosen_start(state, enter, start).map(Some),
        Answer::Error(ERROR_NOMEM) => {
            match state
                .pages
                .find_room(state.start, state.end, enter.size_bytes, enter.align())
            {
                Some(room) => {
                    let expected = format_args!(
                        "a start (room for {:#x} bytes aligned to {:#x} at {room:#x})",
                        enter.size_bytes,
                        enter.align()
                    );
                    Err(Broken::new(Rule::EnterNomemWithRoom, expected, answer))
                }
                None => Ok(None),
            }
        }
        _ => Err(Broken::new(
            Rule::EnterAnswer,
            "a start or ERROR_NOMEM",
            answer,
        )),
    }
}

/// Checks the start a non-fixed enter chose, in the order: inside the
/// map, aligned, unmapped, at the hint.
fn judge_chosen_start(state: &MapState, enter: &Enter, chosen: u64) -> Result<u64, Broken> {
    let observed = format_args!("entered at {chosen:#x}");
    let end = chosen.checked_add(enter.size_bytes);
    if !end.is_some_and(|end| state.bounds_contain(chosen, end)) {
        let expected = format_args!(
            "a start in [{:#x}, {:#x}) for {:#x} bytes",
            state.start, state.end, enter.size_bytes
        );
        return Err(Broken::new(Rule::EnterInMap, expected, observed));
    }
    let end = end.unwrap_or(chosen);
    if chosen % enter.align() != 0 {
        let expected = format_args!("a start aligned to {:#x}", enter.align());
        return Err(Broken::new(Rule::EnterAligned, expected, observed));
    }
    if state.pages.overlaps(chosen, end) {
        let expected = format_args!("an unmapped range of {:#x} bytes", enter.size_bytes);
        let observed =
            format_args!("entered at {chosen:#x} over mapped pages in [{chosen:#x}, {end:#x})");
        return Err(Broken::new(Rule::EnterUnmapped, expected, observed));
    }
    if hint_usable(state, enter) && chosen != enter.start {
        let expected = format_args!("entered at the hint {:#x}", enter.start);
        return Err(Broken::new(Rule::EnterHint, expected, observed));
    }
    Ok(chosen)
}

/// Whether the request's start is a hint naming an aligned, unmapped range
/// inside the map.
fn hint_usable(state: &MapState, enter: &Enter) -> bool {
    let Some((start, end)) = enter.requested_range() else {
        return false;
    };
    start != 0
        && start % enter.align() == 0
        && state.bounds_contain(start, end)
        && !state.pages.overlaps(start, end)
}
