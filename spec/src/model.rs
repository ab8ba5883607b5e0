//! The model: what every map must contain after the operations so far, and
//! [`Model::step`], which judges one answer and then applies it.
//!
//! Judging reports a broken promise as `Err(Broken)`; after that the
//! harness stops, so the state after an error does not matter. Nothing here
//! panics, whatever the input.

use alloc::vec::Vec;
use core::fmt;

use crate::invalid::Invalid;
use crate::mapping::Mapping;
use crate::ranges::{Placement, RangeMap};
use crate::request::{Answer, KernelLayout, MapIndex, Request};
use crate::rule::{Broken, Rule};
use crate::x15::{ERROR_NOMEM, USER_MAP_END, USER_MAP_START};

/// One map as the model expects it.
#[derive(Debug)]
pub(crate) struct MapState {
    /// The first address of the map.
    pub start: u64,
    /// The address just past the map.
    pub end: u64,
    /// The mapped pages with their attributes and object offsets.
    pub pages: RangeMap<Placement>,
    /// The pages its page table must have present.
    pub present: RangeMap<()>,
}

/// Cloning into an existing map reuses its buffers.
impl Clone for MapState {
    fn clone(&self) -> Self {
        MapState {
            start: self.start,
            end: self.end,
            pages: self.pages.clone(),
            present: self.present.clone(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        self.start = source.start;
        self.end = source.end;
        self.pages.clone_from(&source.pages);
        self.present.clone_from(&source.present);
    }
}

impl MapState {
    /// An empty map with bounds `[start, end)`.
    fn new(start: u64, end: u64) -> MapState {
        MapState {
            start,
            end,
            pages: RangeMap::new(),
            present: RangeMap::new(),
        }
    }

    /// Whether `[start, end)` lies inside the map's bounds.
    pub fn bounds_contain(&self, start: u64, end: u64) -> bool {
        self.start <= start && start < end && end <= self.end
    }
}

/// The executable specification: one per side, fed every request, the
/// side's answer and the side's observed state.
#[derive(Debug)]
pub struct Model {
    /// Index 0 is the kernel map, then user maps in creation order.
    pub(crate) maps: Vec<MapState>,
    /// The kernel map's static entries as given at boot (well-formed ones).
    pub(crate) static_entries: Vec<Mapping>,
    /// Live kernel allocations as `(start, end)`, sorted by start (a
    /// vector for the reasons the range sets are one, see `ranges`).
    pub(crate) allocations: Vec<(u64, u64)>,
    /// Emptied user maps kept for their buffers: [`Model::reset`] puts the
    /// user maps here and a map created later takes one back, so that a
    /// model reused from program to program stops allocating. Not part of
    /// what the model expects, and not cloned.
    spare_maps: Vec<MapState>,
}

/// Cloning into an existing model reuses its buffers: the harness copies
/// one side's model into the other's when the sides part.
impl Clone for Model {
    fn clone(&self) -> Self {
        Model {
            maps: self.maps.clone(),
            static_entries: self.static_entries.clone(),
            allocations: self.allocations.clone(),
            spare_maps: Vec::new(),
        }
    }

    fn clone_from(&mut self, source: &Self) {
        self.maps.clone_from(&source.maps);
        self.static_entries.clone_from(&source.static_entries);
        self.allocations.clone_from(&source.allocations);
    }
}

impl Model {
    /// A model of a freshly booted kernel: the kernel map with its static
    /// entries and no user map.
    ///
    /// Static entries that are empty or not page-aligned cannot be mapped
    /// and are left out; a later entry replaces an earlier one where they
    /// overlap. Neither happens with a real layout.
    pub fn new(kernel: KernelLayout) -> Model {
        let mut model = Model {
            maps: Vec::new(),
            static_entries: Vec::with_capacity(kernel.fixed.len()),
            allocations: Vec::new(),
            spare_maps: Vec::new(),
        };
        model.reset(&kernel);
        model
    }

    /// Makes this model the one [`Model::new`] makes from `kernel`, keeping
    /// its buffers (and its user maps' buffers, for the maps created
    /// later): the harness starts every program from a fresh model, and a
    /// reused one then allocates nothing once its buffers have grown.
    pub fn reset(&mut self, kernel: &KernelLayout) {
        self.forget();
        if self.maps.is_empty() {
            self.maps.push(MapState::new(0, 0));
        }
        let kernel_map = &mut self.maps[0];
        (kernel_map.start, kernel_map.end) = (kernel.start, kernel.end);
        for entry in &kernel.fixed {
            let aligned = entry.start % crate::PAGE_SIZE == 0 && entry.end % crate::PAGE_SIZE == 0;
            if !aligned || entry.start >= entry.end {
                continue;
            }
            let entry = entry.normalised();
            kernel_map
                .pages
                .set(entry.start, entry.end, placement_of(&entry));
            self.static_entries.push(entry);
        }
    }

    /// Forgets everything and brings the buffers the model keeps to fixed
    /// capacities: `maps` spare maps, and room for `ranges` items in each
    /// of its range sets and lists, whatever earlier programs grew them to.
    /// What the next program allocates then does not depend on them (the
    /// fuzz entry's rule for every buffer it reuses). The model expects
    /// nothing afterwards (an empty kernel map): [`Model::reset`] it before
    /// it judges again.
    pub fn release_buffers(&mut self, maps: usize, ranges: usize) {
        self.forget();
        self.spare_maps.truncate(maps);
        self.spare_maps.resize_with(maps, || MapState::new(0, 0));
        for map in self.maps.iter_mut().chain(&mut self.spare_maps) {
            map.pages.release_buffer(ranges);
            map.present.release_buffer(ranges);
        }
        trim(&mut self.maps, maps);
        trim(&mut self.spare_maps, maps);
        trim(&mut self.static_entries, ranges);
        trim(&mut self.allocations, ranges);
    }

    /// Empties every map, moves the user maps to the spares, and forgets the
    /// static entries and allocations; buffers are kept.
    fn forget(&mut self) {
        for map in &mut self.maps {
            map.pages.clear_all();
            map.present.clear_all();
        }
        // Spare maps are empty already.
        if self.maps.len() > 1 {
            self.spare_maps.extend(self.maps.drain(1..));
        }
        self.static_entries.clear();
        self.allocations.clear();
    }

    /// The number of maps, the kernel map included.
    pub fn map_count(&self) -> u32 {
        u32::try_from(self.maps.len()).unwrap_or(u32::MAX)
    }

    /// The expected mappings of `map`, coalesced, in address order; empty
    /// for a map that does not exist.
    pub fn expected_mappings(&self, map: MapIndex) -> Vec<Mapping> {
        match self.map(map) {
            Some(state) => state
                .pages
                .iter()
                .map(|span| mapping_of(span.start, span.end, span.value))
                .collect(),
            None => Vec::new(),
        }
    }

    /// Judges `answer` to `request`, then applies it.
    ///
    /// A request that breaks a precondition may be answered by anything but
    /// success and changes nothing. [`Answer::Stopped`] is always accepted
    /// and changes nothing: the harness stops the program. For an enter
    /// without `VM_MAP_FIXED`, the model adopts the address the side chose.
    pub fn step(&mut self, request: &Request, answer: &Answer) -> Result<(), Broken> {
        if let Err(invalid) = self.classify(request) {
            return judge_invalid(invalid, answer);
        }
        match answer {
            Answer::Stopped => return Ok(()),
            Answer::Refused => {
                return Err(Broken::new(
                    Rule::ValidRequestAccepted,
                    "an answer to a valid request",
                    "refused",
                ))
            }
            _ => {}
        }
        match *request {
            Request::CreateMap => self.step_create(answer),
            Request::Enter { .. } => self.step_enter(request, answer),
            Request::Remove { map, start, end } => self.step_remove(map, start, end, answer),
            Request::Fault { map, addr, access } => self.step_fault(map, addr, access, answer),
            Request::KernelAllocate { start, size } => {
                self.step_kernel_allocate(start, size, answer)
            }
            Request::KernelRelease { start, size } => self.step_kernel_release(start, size, answer),
        }
    }

    /// The state of `map`, if it exists.
    pub(crate) fn map(&self, map: MapIndex) -> Option<&MapState> {
        self.maps.get(usize::try_from(map.0).ok()?)
    }

    /// The state of `map`, which a side showed (`observed` says what it
    /// showed), or the broken promise that only maps that exist are
    /// observed.
    pub(crate) fn observed_map(
        &self,
        map: MapIndex,
        observed: impl fmt::Display,
    ) -> Result<&MapState, Broken> {
        self.map(map).ok_or_else(|| {
            let expected = format_args!("no map {}", map.0);
            Broken::new(Rule::MapExists, expected, observed)
        })
    }

    /// The state of `map` for changing, if it exists.
    pub(crate) fn map_mut(&mut self, map: MapIndex) -> Option<&mut MapState> {
        self.maps.get_mut(usize::try_from(map.0).ok()?)
    }

    fn step_create(&mut self, answer: &Answer) -> Result<(), Broken> {
        match answer {
            Answer::Done => {
                let mut map = self.spare_maps.pop().unwrap_or_else(|| MapState::new(0, 0));
                (map.start, map.end) = (USER_MAP_START, USER_MAP_END);
                self.maps.push(map);
                Ok(())
            }
            Answer::Error(ERROR_NOMEM) => Ok(()),
            other => Err(Broken::new(Rule::CreateMap, "done or ERROR_NOMEM", other)),
        }
    }

    fn step_remove(
        &mut self,
        map: MapIndex,
        start: u64,
        end: u64,
        answer: &Answer,
    ) -> Result<(), Broken> {
        if *answer != Answer::Done {
            let expected = format_args!("done (remove [{start:#x}, {end:#x}))");
            return Err(Broken::new(Rule::RemoveDone, expected, answer));
        }
        if let Some(state) = self.map_mut(map) {
            state.pages.clear(start, end);
            state.present.clear(start, end);
        }
        Ok(())
    }
}

/// Judges the answer to a request that breaks a precondition.
fn judge_invalid(invalid: Invalid, answer: &Answer) -> Result<(), Broken> {
    if answer.is_success() {
        let expected = format_args!(
            "refused, an error or a stop ({invalid}: {})",
            invalid.describe()
        );
        let broken = Broken::new(Rule::InvalidRequestRefused, expected, answer);
        return Err(broken.breaking(invalid));
    }
    Ok(())
}

/// Gives `buffer` room for exactly `capacity` items, or for what it holds
/// when that is more.
pub(crate) fn trim<T>(buffer: &mut Vec<T>, capacity: usize) {
    buffer.shrink_to(capacity);
    buffer.reserve_exact(capacity.saturating_sub(buffer.len()));
}

/// What a range map stores for a mapping.
pub(crate) fn placement_of(mapping: &Mapping) -> Placement {
    Placement {
        offset: mapping.offset,
        attributes: mapping.attributes,
    }
}

/// The mapping a range map's span describes.
pub(crate) fn mapping_of(start: u64, end: u64, placement: Placement) -> Mapping {
    Mapping {
        start,
        end,
        offset: placement.offset,
        attributes: placement.attributes,
    }
}
