//! The sixth oracle: the specification (`spec`), a third side that knows
//! what a map must do, checked against each side on its own.
//!
//! The oracle keeps one [`spec::Model`] per side. After set-up it learns
//! the kernel's boot layout; after every operation it feeds each model the
//! kernel's own allocations and releases seen in that side's trace, then the
//! operation and that side's answer, then the side's maps and page tables.
//! The first promise a side breaks is reported as a [`SpecFinding`]; the
//! same rule broken by both sides is a bug of the C that the port
//! inherited. The oracle never panics.
//!
//! Lockstep: while the differential oracles find both sides equal in
//! everything a model reads (the outcome, the trace, the maps in scope, every
//! page table), the two models are fed the same inputs and are the same
//! model, so one model (the C's) judges for both and its verdict is each
//! side's. At the first step where the sides differ, the port gets a copy of
//! the C's model as it was before that step, and from then on each side is
//! judged by its own model. This halves the model's cost without changing
//! any verdict: the skipped judgement is the same function of the same
//! inputs.

pub mod translate;

use crate::map_reads::{Change, MapReads, Version};
use crate::observe::Outcome;
use crate::program::{MapRef, ResolvedOp};
use sim::{Event, Machine, MachineConfig, PmapId, TableEntry};
use spec::{
    Answer, Attributes, Broken, KernelLayout, Leaf, MapIndex, Mapping, Model, Request, Rule,
};
use vm_rs::{EntryState, MapState};

/// `VM_MAP_KENTRY_SIZE` plus the slab table at its end: 2048 slabs of one
/// page (the kentry cache's slab size for an 80-byte entry) need 2048
/// eight-byte descriptors, four pages.
const KENTRY_AREA_BYTES: u64 = 0x80_0000 + 4 * 4096;

/// The attributes of the kernel's static entries: every right, not
/// inherited, default advice, no object.
const KERNEL_STATIC_ATTRIBUTES: Attributes = Attributes {
    object: None,
    prot: 7,
    maxprot: 7,
    inherit: 0,
    advice: 0,
};

/// What one side did in one step, as the oracle reads it.
pub struct SideStep<'a> {
    /// The side's machine (its page tables).
    pub machine: &'a Machine,
    /// The side's maps after the step, kernel map first (those outside the
    /// step's scope may be stale and are not read).
    pub maps: &'a [MapState],
    /// The versions of `maps` and how they changed (see
    /// [`crate::map_reads`]): a map is checked again only where its
    /// contents changed since they last passed. `None`: unknown, and every
    /// map in scope is checked whole after each step.
    pub reads: Option<&'a MapReads>,
    /// Whether every map's entry list is known to be its entries in address
    /// order (oracle 5 found so at this step), so that the list needs no
    /// check of its own.
    pub lists_in_order: bool,
    /// The side's trace events of the step.
    pub events: &'a [Event],
    /// The side's outcome.
    pub outcome: &'a Outcome,
}

/// A promise broken by one side or both.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SpecFinding {
    /// What the C broke, if anything.
    pub c: Option<Broken>,
    /// What the port broke, if anything.
    pub rust: Option<Broken>,
}

impl SpecFinding {
    /// The rule reported: the C's when it broke one, else the port's.
    pub fn rule(&self) -> Rule {
        self.c
            .as_ref()
            .or(self.rust.as_ref())
            .map_or(Rule::MapContents, |broken| broken.rule)
    }

    /// Whether both sides broke the same rule: the port inherited a bug of
    /// the C.
    pub fn inherited(&self) -> bool {
        match (&self.c, &self.rust) {
            (Some(c), Some(rust)) => c.rule == rust.rule,
            _ => false,
        }
    }
}

/// The models of both sides and the buffers their checks reuse.
#[derive(Default)]
pub struct SpecOracle {
    c: SideModel,
    rust: SideModel,
    /// Whether the C's model judges for both sides (see the module docs):
    /// the port's model is then not kept.
    lockstep: bool,
}

impl SpecOracle {
    /// Starts both models from the kernel's boot layout and checks set-up.
    /// `sides_agree` says that the differential oracles found both sides
    /// equal in everything the models read; one model then judges both.
    pub fn setup(
        &mut self,
        config: &MachineConfig,
        c: &SideStep<'_>,
        rust: &SideStep<'_>,
        sides_agree: bool,
    ) -> Option<SpecFinding> {
        self.lockstep = sides_agree;
        let c_broken = self.c.setup(config, c).err();
        if self.lockstep {
            self.rust.park();
            return finding(c_broken.clone(), c_broken);
        }
        let rust_broken = self.rust.setup(config, rust).err();
        finding(c_broken, rust_broken)
    }

    /// Judges one operation on both sides. `scope` limits the map checks
    /// to the kernel map and that map (`None`: every map). Page tables are
    /// checked where the step wrote them or gave their pages a new meaning
    /// (every leaf changes through a traced `pmap_enter`, `pmap_kenter`,
    /// `pmap_kremove` or `pmap_remove`, so this sees every change), or
    /// whole when `whole_tables` is set. `sides_agree` is as for
    /// [`SpecOracle::setup`].
    pub fn check(
        &mut self,
        op: &ResolvedOp,
        scope: Option<MapRef>,
        whole_tables: bool,
        sides: (&SideStep<'_>, &SideStep<'_>),
        sides_agree: bool,
    ) -> Option<SpecFinding> {
        let (c, rust) = sides;
        if self.lockstep && !sides_agree {
            // The sides part here: the port's model starts as the C's was.
            self.lockstep = false;
            self.rust.adopt(self.c.model.as_ref());
            self.rust.passed.clone_from(&self.c.passed);
        }
        let c_broken = self.c.check(op, scope, whole_tables, c).err();
        if self.lockstep {
            return finding(c_broken.clone(), c_broken);
        }
        let rust_broken = self.rust.check(op, scope, whole_tables, rust).err();
        finding(c_broken, rust_broken)
    }

    /// Forgets both models and brings the checks' buffers, and those of
    /// the models kept for reuse, back to fixed capacities (what the fuzz
    /// entry does after each input, so that the next input grows them the
    /// same way whatever ran before, without allocating them afresh).
    pub fn release_buffers(&mut self) {
        self.lockstep = false;
        self.c.release_buffers();
        self.rust.release_buffers();
    }

    /// What the C side's model expects of `map` (the port's model once the
    /// C's has stopped), for pictures; empty when neither judges any more.
    pub fn expected_mappings(&self, map: MapRef) -> Vec<Mapping> {
        self.c
            .model
            .as_ref()
            .or(self.rust.model.as_ref())
            .map_or_else(Vec::new, |model| {
                model.expected_mappings(translate::map_index(map))
            })
    }
}

fn finding(c: Option<Broken>, rust: Option<Broken>) -> Option<SpecFinding> {
    (c.is_some() || rust.is_some()).then_some(SpecFinding { c, rust })
}

/// One side's model, and the buffers its checks reuse.
#[derive(Default)]
struct SideModel {
    /// The model judging the side, while one does.
    model: Option<Model>,
    /// A model that judges no more, kept for its buffers: the next set-up
    /// resets it (`Model::reset`) instead of allocating a new one.
    spare: Option<Model>,
    /// The static entries of the kernel layout, kept for their buffer.
    fixed: Vec<Mapping>,
    /// The page-table ranges of this step to check, as `(map, start, end)`.
    dirty: Vec<(usize, u64, u64)>,
    mappings: Vec<Mapping>,
    entries: Vec<TableEntry>,
    leaves: Vec<Leaf>,
    /// For each map, the entries that last passed `check_map`, and
    /// whether the model's map is still as it was then: the same entries
    /// against the same model need no second look.
    passed: Vec<PassedMap>,
}

/// The capacity each of a side's buffers keeps between inputs: what a
/// typical program needs (maps, entries of a map, page-table ranges of a
/// step).
const BUFFER_CAPACITY: usize = 64;

/// How many maps' passing entries are kept between inputs.
const PASSED_MAPS_KEPT: usize = 8;

impl SideModel {
    fn release_buffers(&mut self) {
        self.park();
        // A spare model always, so that the next input finds the same
        // buffers whether or not this side had a model before.
        let spare = self.spare.get_or_insert_with(|| Model::new(empty_layout()));
        spare.release_buffers(PASSED_MAPS_KEPT, BUFFER_CAPACITY);
        trim(&mut self.fixed);
        trim(&mut self.dirty);
        trim(&mut self.mappings);
        trim(&mut self.entries);
        trim(&mut self.leaves);
        self.passed
            .resize_with(PASSED_MAPS_KEPT, PassedMap::default);
        self.passed.shrink_to(PASSED_MAPS_KEPT);
        for passed in &mut self.passed {
            passed.forget();
        }
    }

    /// Stops judging: the model is kept aside for its buffers.
    fn park(&mut self) {
        if let Some(model) = self.model.take() {
            self.spare = Some(model);
        }
    }

    /// Judges from now on with a copy of `source` (made in the spare
    /// model's buffers), or not at all when `source` is `None`.
    fn adopt(&mut self, source: Option<&Model>) {
        self.park();
        let Some(source) = source else {
            return;
        };
        self.model = Some(match self.spare.take() {
            Some(mut model) => {
                model.clone_from(source);
                model
            }
            None => source.clone(),
        });
    }

    fn setup(&mut self, config: &MachineConfig, side: &SideStep<'_>) -> Result<(), Broken> {
        self.park();
        if side.outcome.is_terminal() {
            return Ok(());
        }
        let fixed = std::mem::take(&mut self.fixed);
        let layout = kernel_layout(config, side.maps.first(), fixed);
        let mut model = self
            .spare
            .take()
            .unwrap_or_else(|| Model::new(empty_layout()));
        model.reset(&layout);
        self.fixed = layout.fixed;
        self.model = Some(model);
        for passed in &mut self.passed {
            passed.forget();
        }
        self.check_maps(None, side)?;
        // The machine boots with no leaf: set-up's own writes are all there is.
        self.dirty.clear();
        self.dirty.extend(translate::written_ranges(side.events));
        self.check_dirty_tables(side)
    }

    fn check(
        &mut self,
        op: &ResolvedOp,
        scope: Option<MapRef>,
        whole_tables: bool,
        side: &SideStep<'_>,
    ) -> Result<(), Broken> {
        let Some(model) = self.model.as_mut() else {
            return Ok(());
        };
        self.dirty.clear();
        for request in translate::kernel_requests(side.events) {
            model.step(&request, &Answer::Done)?;
            let range = translate::request_range(&request, &Answer::Done);
            model_changed(&mut self.passed, 0, range);
            self.dirty.extend(range);
        }
        let request = translate::request_of(op);
        if let (Some(request), Some(answer)) = (request, translate::answer_of(side.outcome)) {
            model.step(&request, &answer)?;
            let range = translate::request_range(&request, &answer);
            // A fault changes which pages must be present, not the map, and
            // a refusal or an error changes nothing.
            let changes_map = answer.is_success() && !matches!(request, Request::Fault { .. });
            if let (Some(map), true) = (request.map(), changes_map) {
                model_changed(&mut self.passed, map.0 as usize, range);
            }
            self.dirty.extend(range);
            if request == Request::CreateMap && answer == Answer::Done {
                // A new map's page table is checked whole (it is one root).
                self.dirty
                    .push((side.maps.len().saturating_sub(1), 0, u64::MAX));
            }
        }
        // A panic or a refused precondition leaves the kernel where it
        // stopped: the program ends there and its state is not judged.
        if side.outcome.is_terminal() {
            self.park();
            return Ok(());
        }
        self.dirty.extend(translate::written_ranges(side.events));
        self.check_maps(scope, side)?;
        if whole_tables {
            self.check_every_table(side)
        } else {
            self.check_dirty_tables(side)
        }
    }

    /// Checks the maps in scope: the kernel map and `scope`'s, or every map
    /// whole when `scope` is `None` (the deep checks after set-up and the
    /// last operation, and every step of a finding's re-run). In scope, a
    /// map that passed before is checked only over the pages where its
    /// entries or its model changed since, and not at all when neither did.
    fn check_maps(&mut self, scope: Option<MapRef>, side: &SideStep<'_>) -> Result<(), Broken> {
        let Some(model) = self.model.as_ref() else {
            return Ok(());
        };
        if self.passed.len() < side.maps.len() {
            self.passed.resize_with(side.maps.len(), PassedMap::default);
        }
        for (index, map) in side.maps.iter().enumerate() {
            let in_scope = scope.is_none_or(|scope| index == 0 || index == scope.0 as usize);
            if !in_scope {
                continue;
            }
            let map_index = MapIndex(index as u32);
            let version = side
                .reads
                .map_or_else(Version::default, |reads| reads.version(index));
            let passed = &self.passed[index];
            let same_contents = passed.version.is_known() && passed.version == version;
            let change = side
                .reads
                .and_then(|reads| reads.change_since(index, passed.version));
            let changed = passed.changed(change);
            // The same contents passed against the same model.
            if scope.is_some() && same_contents && changed == Changed::Nothing {
                continue;
            }
            // The entry list is what every walk of the map follows (search,
            // remove, info): when it is not the address-ordered entries, it
            // is judged as the map too, and is then out of order or wrong.
            let list_checked = side.lists_in_order || (scope.is_some() && same_contents);
            if !list_checked && map.list != map.entries {
                self.mappings.clear();
                self.mappings
                    .extend(map.list.iter().map(translate::mapping_of));
                model.check_map(map_index, &self.mappings)?;
            }
            let (start, end) = match (scope, changed) {
                (None, _) | (_, Changed::Unknown) => (0, u64::MAX),
                (Some(_), Changed::Nothing) => (0, 0),
                (Some(_), Changed::Pages(start, end)) => (start, end),
            };
            if start < end {
                self.mappings.clear();
                self.mappings.extend(
                    entries_near(map, (start, end), side.lists_in_order)
                        .iter()
                        .filter(|entry| entry.start < end && entry.end > start)
                        .map(translate::mapping_of),
                );
                model.check_map_in(map_index, start, end, &self.mappings)?;
            }
            self.passed[index].passed(version);
        }
        Ok(())
    }

    /// Checks every page table whole.
    fn check_every_table(&mut self, side: &SideStep<'_>) -> Result<(), Broken> {
        let Some(model) = self.model.as_ref() else {
            return Ok(());
        };
        for index in 0..side.maps.len() {
            side.machine
                .leaves_in(PmapId(index as u32), 0, u64::MAX, &mut self.entries);
            self.leaves.clear();
            translate::leaves_of(&self.entries, &mut self.leaves);
            model.check_page_table(MapIndex(index as u32), &self.leaves)?;
        }
        Ok(())
    }

    /// Checks the page-table ranges this step wrote or gave a new meaning:
    /// the rest of every table is as it was when last checked, and so are
    /// the pages it may hold.
    fn check_dirty_tables(&mut self, side: &SideStep<'_>) -> Result<(), Broken> {
        let Some(model) = self.model.as_ref() else {
            return Ok(());
        };
        merge_ranges(&mut self.dirty);
        for &(index, start, end) in &self.dirty {
            if index >= side.maps.len() {
                continue;
            }
            side.machine
                .leaves_in(PmapId(index as u32), start, end, &mut self.entries);
            self.leaves.clear();
            translate::leaves_of(&self.entries, &mut self.leaves);
            model.check_page_table_in(MapIndex(index as u32), start, end, &self.leaves)?;
        }
        Ok(())
    }
}

/// Empties `buffer` and gives it exactly [`BUFFER_CAPACITY`] (when it had
/// more, or at least that when it had less).
fn trim<T>(buffer: &mut Vec<T>) {
    buffer.clear();
    buffer.shrink_to(BUFFER_CAPACITY);
    buffer.reserve_exact(BUFFER_CAPACITY);
}

/// Records that the model of map `index` changed over `range` (`None`:
/// anywhere, so the map is checked whole next time).
fn model_changed(passed: &mut [PassedMap], index: usize, range: Option<(usize, u64, u64)>) {
    if let Some(slot) = passed.get_mut(index) {
        match range {
            Some((_, start, end)) => {
                slot.model_changed = Some(hull(slot.model_changed, start, end))
            }
            None => slot.forget(),
        }
    }
}

/// The smallest range holding `range` (if any) and `[start, end)`.
fn hull(range: Option<(u64, u64)>, start: u64, end: u64) -> (u64, u64) {
    range.map_or((start, end), |(low, high)| (low.min(start), high.max(end)))
}

/// What changed in a map since its entries last passed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Changed {
    /// Nothing: neither its entries nor its model.
    Nothing,
    /// At most the pages of `[start, end)`.
    Pages(u64, u64),
    /// Unknown: it never passed, or its model changed in an unknown place.
    Unknown,
}

/// The version of a map's contents that last passed `check_map`, and
/// where its model changed since.
#[derive(Clone, Default)]
struct PassedMap {
    /// The version that passed (the default, unknown, when none did).
    version: Version,
    /// The range of pages whose model changed since they passed.
    model_changed: Option<(u64, u64)>,
}

impl PassedMap {
    /// Forgets the version: the map is checked whole next time.
    fn forget(&mut self) {
        *self = PassedMap::default();
    }

    /// Records that the contents of `version` passed against the model as
    /// it is now.
    fn passed(&mut self, version: Version) {
        self.version = version;
        self.model_changed = None;
    }

    /// What changed since the map passed, given `change`, how its contents
    /// differ from those that passed ([`MapReads::change_since`]; `None`
    /// when unknown): the pages of the entries that differ, with the pages
    /// whose model changed.
    fn changed(&self, change: Option<Change>) -> Changed {
        let Some(change) = change.filter(|change| !change.bounds) else {
            return Changed::Unknown;
        };
        let range = match (change.pages, self.model_changed) {
            (Some((start, end)), changed) => Some(hull(changed, start, end)),
            (None, changed) => changed,
        };
        match range {
            None => Changed::Nothing,
            Some((start, end)) => Changed::Pages(start, end),
        }
    }
}

/// The entries of `map` among which are all those that overlap `[start,
/// end)`: with `in_order` (oracle 5 found the entries nonempty, disjoint
/// and in address order at this step, so that both their starts and their
/// ends increase) the run between the first entry that ends after `start`
/// and the first that starts at `end` or later, found by binary search;
/// otherwise all of them. The caller filters them as before, so the
/// result is the same either way.
fn entries_near(map: &MapState, (start, end): (u64, u64), in_order: bool) -> &[EntryState] {
    let entries = map.entries.as_slice();
    if !in_order {
        return entries;
    }
    let first = entries.partition_point(|entry| entry.end <= start);
    let past = first + entries[first..].partition_point(|entry| entry.start < end);
    &entries[first..past]
}

/// Sorts `(map, start, end)` ranges and merges those of one map that
/// touch or overlap, so that each page is checked once.
fn merge_ranges(ranges: &mut Vec<(usize, u64, u64)>) {
    ranges.sort_unstable();
    let mut merged: usize = 0;
    for index in 0..ranges.len() {
        let (map, start, end) = ranges[index];
        match merged.checked_sub(1).map(|last| &mut ranges[last]) {
            Some(last) if last.0 == map && start <= last.2 => last.2 = last.2.max(end),
            _ => {
                ranges[merged] = (map, start, end);
                merged += 1;
            }
        }
    }
    ranges.truncate(merged);
}

/// A layout with no kernel map to speak of, for a model that is reset
/// before it judges.
fn empty_layout() -> KernelLayout {
    KernelLayout {
        start: 0,
        end: 0,
        fixed: Vec::new(),
    }
}

/// The kernel map at boot: its bounds, the boot space (from the machine's
/// configuration) and the kentry area, whose place the implementation
/// chooses (the first entry after the boot space, as the side shows it)
/// and whose size is X15's. The static entries are written into `fixed`
/// (emptied first), whose buffer the caller keeps.
fn kernel_layout(
    config: &MachineConfig,
    kernel_map: Option<&MapState>,
    mut fixed: Vec<Mapping>,
) -> KernelLayout {
    let (boot_start, boot_end) = config.boot_space();
    let kentry_start = kernel_map
        .and_then(|map| map.entries.iter().find(|entry| entry.start != boot_start))
        .map_or(boot_end, |entry| entry.start);
    let static_entry = |start: u64, end: u64| Mapping {
        start,
        end,
        offset: 0,
        attributes: KERNEL_STATIC_ATTRIBUTES,
    };
    fixed.clear();
    fixed.push(static_entry(boot_start, boot_end));
    let kentry_end = kentry_start.wrapping_add(KENTRY_AREA_BYTES);
    fixed.push(static_entry(kentry_start, kentry_end));
    KernelLayout {
        start: sim::KERNEL_START,
        end: config.kernel_end(),
        fixed,
    }
}
