//! [`Machine`]: one simulated X15 machine, its inspection API for the
//! harness, and its implementation of [`Environment`].
//!
//! Every service call records one trace [`Event`]; misuse records a
//! [`Violation`] and carries on with the documented fallback (never a panic,
//! since the C side calls these methods through FFI). The policies are
//! described in the crate documentation.

use std::collections::BTreeMap;
use std::hash::{Hash, Hasher};
use vm_rs::env::{
    CacheId, CacheSpec, EmptySlab, Environment, NoPageForPageTable, ObjectId, PhysAddr, PmapId,
    SlabBackEnd, SlabTake,
};
use vm_rs::Error;

use crate::event::{Event, Violation, ViolationKind};
use crate::frames::{FrameAllocator, FreeError};
use crate::paging::{
    entry_hash, entry_span_bytes, slot, PageTableMemory, TableEntry, Walk, CANONICAL_LOWER_END,
    PTE_ADDRESS_MASK, PTE_GLOBAL, PTE_PRESENT, PTE_USER, PTE_WRITE,
};
use crate::slab::{slab_geometry, Cache};
use crate::{kgrow_limit, FaultPlan, MachineConfig, VmPage, KERNEL_START, PAGE_SIZE};

/// How many console lines a program prints without allocating (the saved
/// corpus's programs print about 17 a side on average, but an `info` of
/// a long map prints a line an entry).
const CONSOLE_LINES_KEPT: usize = 512;
/// The bytes each of those lines holds without allocating (a line of
/// `vm_map_info` is about 70).
const CONSOLE_LINE_BYTES: usize = 128;
/// `VM_PROT_READ | VM_PROT_WRITE`, the protection of kmem pages.
const PROT_READ_WRITE: u32 = 0x3;
/// `VM_PROT_WRITE`.
const PROT_WRITE: u32 = 0x2;

/// One slab as the invariant oracle sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SlabInfo {
    /// The cache it belongs to.
    pub cache: CacheId,
    /// Its kernel virtual address.
    pub va: u64,
    /// Its size in bytes.
    pub size_bytes: usize,
    /// Objects currently handed out from it.
    pub objects_in_use: usize,
    /// The back end the slab came from (and must return to).
    pub back_end: SlabBackEnd,
}

/// A physical map: its root table, a running digest of its entries, and
/// an index of its present leaves.
#[derive(Debug, Clone)]
struct Pmap {
    /// The frame of the level-4 table.
    root: u32,
    /// Wrapping sum of `entry_hash` over every present entry.
    digest: u64,
    /// Every present leaf by virtual address (its raw entry), kept with
    /// the tables so that the leaves of a range are found without a walk.
    leaves: BTreeMap<u64, u64>,
}

impl Pmap {
    fn new(root: u32) -> Pmap {
        Pmap {
            root,
            digest: 0,
            leaves: BTreeMap::new(),
        }
    }
}

/// An anonymous object's page cache: (offset, page) pairs in insertion order.
#[derive(Debug, Default)]
struct Object {
    pages: Vec<(u64, PhysAddr)>,
}

/// The simulated machine. See the crate documentation for its policies.
pub struct Machine {
    config: MachineConfig,
    plan: FaultPlan,
    /// Page descriptors, allocated once so that C pointers stay valid.
    descriptors: Box<[VmPage]>,
    frames: FrameAllocator,
    memory: PageTableMemory,
    pmaps: Vec<Pmap>,
    klimit: u64,
    caches: Vec<Cache>,
    objects: Vec<Object>,
    trace: Vec<Event>,
    console: String,
    /// Empty strings that console events take their text from (each line
    /// allocates nothing up to [`CONSOLE_LINE_BYTES`]); `reset` takes the
    /// events' strings back.
    console_lines: Vec<String>,
    violations: Vec<Violation>,
    /// `phys_alloc` calls since reset (after boot).
    phys_alloc_count: u32,
    /// Slab allocations (first takes) since reset.
    cache_alloc_count: u32,
    /// Pages taken by a `kmem_populate` in progress, kept to reuse its capacity.
    populate_pages: Vec<PhysAddr>,
}

impl Machine {
    /// A machine in its boot state, as after `reset(FaultPlan::default())`.
    pub fn new(config: MachineConfig) -> Machine {
        let frames = config.frames.max(2);
        let descriptors = (0..u64::from(frames))
            .map(|frame| VmPage {
                phys_addr: frame * PAGE_SIZE,
            })
            .collect();
        let mut machine = Machine {
            config,
            plan: FaultPlan::default(),
            descriptors,
            frames: FrameAllocator::new(frames),
            memory: PageTableMemory::new(frames),
            pmaps: Vec::new(),
            klimit: KERNEL_START,
            caches: Vec::new(),
            objects: Vec::new(),
            trace: Vec::new(),
            console: String::new(),
            console_lines: Vec::new(),
            violations: Vec::new(),
            phys_alloc_count: 0,
            cache_alloc_count: 0,
            populate_pages: Vec::new(),
        };
        machine.reset(FaultPlan::default());
        machine
    }

    /// Returns to the boot state with a new fault plan, in time proportional
    /// to what was touched since the last reset.
    pub fn reset(&mut self, plan: FaultPlan) {
        self.frames.reset();
        self.memory.reset();
        crate::reset_buffer(&mut self.pmaps, 8);
        crate::reset_buffer(&mut self.caches, 8);
        crate::reset_buffer(&mut self.objects, 64);
        crate::reset_buffer(&mut self.populate_pages, 64);
        self.plan = FaultPlan::default();
        self.klimit = KERNEL_START;
        self.boot();
        self.take_back_console_lines();
        crate::reset_buffer(&mut self.trace, 4096);
        self.console.clear();
        self.console.shrink_to(4096);
        self.console.reserve_exact(4096);
        crate::reset_buffer(&mut self.violations, 8);
        self.phys_alloc_count = 0;
        self.cache_alloc_count = 0;
        self.plan = plan;
    }

    /// Takes the console events' strings back from the trace, and leaves
    /// exactly [`CONSOLE_LINES_KEPT`] empty strings of exactly
    /// [`CONSOLE_LINE_BYTES`] for the next program's lines, whatever the
    /// last program printed: its lines then allocate (and grow strings)
    /// as they would after any other program, and most allocate nothing.
    /// Only the lines the program printed are looked at (the others are
    /// still empty and of that capacity): one of that capacity comes back
    /// cleared, one that grew is dropped, and a fresh one takes its place.
    fn take_back_console_lines(&mut self) {
        let lines = &mut self.console_lines;
        for event in self.trace.drain(..) {
            if let Event::Console { mut text } = event {
                if lines.len() < CONSOLE_LINES_KEPT && text.capacity() == CONSOLE_LINE_BYTES {
                    text.clear();
                    lines.push(text);
                }
            }
        }
        while lines.len() < CONSOLE_LINES_KEPT {
            lines.push(String::with_capacity(CONSOLE_LINE_BYTES));
        }
    }

    /// The capacities of the spare console lines, for the tests of
    /// [`Machine::reset`].
    #[cfg(test)]
    pub(crate) fn console_line_capacities(&self) -> Vec<usize> {
        self.console_lines.iter().map(String::capacity).collect()
    }

    /// Builds the kernel pmap and its boot tables, as X15's boot code left them.
    fn boot(&mut self) {
        let root = self.phys_alloc(0).map(|pa| self.take_table_frame(pa));
        // Presets always have room for the boot tables; a configuration that
        // does not simply boots with fewer tables (kenter then violates).
        let root = root.unwrap_or(0);
        self.pmaps.push(Pmap::new(root));
        let boot_end = self.config.boot_space().1;
        let _ = self.grow_kernel_tables(kgrow_limit(boot_end));
    }

    /// Makes `self` a machine of `config`: nothing when it already is one;
    /// otherwise it trades places with a machine of that configuration from
    /// `spares` (or a new one), and the old machine joins the spares. Callers
    /// that alternate presets keep one machine per preset this way instead of
    /// building (and zeroing) a machine at every switch. Reset it afterwards.
    ///
    /// The spares stay in one order, by configuration, whatever the order
    /// of the switches before: finding one then takes the same steps for
    /// the same set of machines (a fuzzer in persistent mode sees those
    /// steps as coverage).
    pub fn switch_config(&mut self, config: &MachineConfig, spares: &mut Vec<Machine>) {
        if self.config == *config {
            return;
        }
        let spare = spares.iter().position(|machine| machine.config == *config);
        let next = match spare {
            Some(index) => spares.remove(index),
            None => Machine::new(config.clone()),
        };
        let previous = std::mem::replace(self, next);
        let key = previous.config.order_key();
        let at = spares.partition_point(|machine| machine.config.order_key() < key);
        spares.insert(at, previous);
    }

    /// How many page-table leaves, of every pmap, point at frames that are
    /// not handed out (freed, or never allocated). Kept up to date as leaves
    /// are written and frames change hands: O(1).
    pub fn stray_leaf_count(&self) -> u32 {
        self.frames.stray_leaves()
    }

    /// The configuration the machine was built with.
    pub fn config(&self) -> &MachineConfig {
        &self.config
    }

    /// Every service call since reset, in order.
    pub fn trace(&self) -> &[Event] {
        &self.trace
    }

    /// All console text since reset.
    pub fn console_text(&self) -> &str {
        &self.console
    }

    /// Every misuse seen since reset.
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }

    /// The descriptor of frame `pa` (which must be page aligned), or null
    /// when `pa` is not a frame. The pointer stays valid for the machine's
    /// life.
    pub fn page_descriptor(&mut self, pa: PhysAddr) -> *mut VmPage {
        if pa.0 % PAGE_SIZE != 0 {
            return core::ptr::null_mut();
        }
        match usize::try_from(pa.0 / PAGE_SIZE)
            .ok()
            .and_then(|frame| self.descriptors.get_mut(frame))
        {
            Some(descriptor) => descriptor,
            None => core::ptr::null_mut(),
        }
    }

    /// How many objects were created since the last reset: the harness
    /// counts a side's objects here rather than each side on its own.
    pub fn object_count(&self) -> u32 {
        self.objects.len() as u32
    }

    /// Creates a new anonymous object (recorded in the trace).
    pub fn object_create(&mut self) -> ObjectId {
        let object = ObjectId(self.objects.len() as u32);
        self.objects.push(Object::default());
        self.record(Event::ObjectCreate { result: object });
        object
    }

    /// Every pmap: the kernel's first, then in creation order.
    pub fn pmaps(&self) -> Vec<PmapId> {
        self.pmap_ids().collect()
    }

    /// Every pmap, as [`Machine::pmaps`], without allocating (the oracles
    /// ask after every operation).
    pub fn pmap_ids(&self) -> impl Iterator<Item = PmapId> {
        (0..self.pmaps.len() as u32).map(PmapId)
    }

    /// Every present entry of `pmap`'s tables at every level, in address
    /// order (each table entry before the entries of the table below it).
    /// Empty for an unknown pmap.
    pub fn page_table_entries(&self, pmap: PmapId) -> Vec<TableEntry> {
        let mut entries = Vec::new();
        if let Some(pmap) = self.pmaps.get(pmap.0 as usize) {
            self.memory
                .visit(pmap.root, 4, 0, &mut |entry| entries.push(entry));
        }
        entries
    }

    /// Replaces `out` with the present leaves of `pmap` whose page lies in
    /// `[start, end)`, in address order, from the pmap's index of leaves
    /// (kept with every write, so this costs the leaves found, not a walk).
    /// Empty for an unknown pmap or an empty range.
    pub fn leaves_in(&self, pmap: PmapId, start: u64, end: u64, out: &mut Vec<TableEntry>) {
        out.clear();
        let Some(pmap) = self.pmaps.get(pmap.0 as usize) else {
            return;
        };
        if start < end {
            out.extend(pmap.leaves.range(start..end).map(|(&va, &raw)| TableEntry {
                level: 1,
                va,
                raw,
            }));
        }
    }

    /// A digest of the same entries as [`Machine::page_table_entries`],
    /// kept up to date on every write, so this costs nothing. 0 for a pmap
    /// without entries or an unknown pmap.
    pub fn page_table_digest(&self, pmap: PmapId) -> u64 {
        self.pmaps
            .get(pmap.0 as usize)
            .map_or(0, |pmap| pmap.digest)
    }

    /// Feeds `state` everything that decides what the machine does next,
    /// for the explorer's state identity (two machines that feed the same
    /// values behave alike from here on): the frame allocator's order, every
    /// pmap's tables (root, digest and leaves), the kernel's table limit,
    /// every slab with its free objects in order, every object's page
    /// cache, the number of violations, and the fault plan with its
    /// counters when it has failures to come. The trace and the console
    /// are left out: they only grow, and nothing reads them back.
    pub fn hash_future<H: Hasher>(&self, state: &mut H) {
        self.frames.hash_future(state);
        (self.pmaps.len(), self.caches.len(), self.objects.len()).hash(state);
        for pmap in &self.pmaps {
            (pmap.root, pmap.digest).hash(state);
            pmap.leaves.hash(state);
        }
        self.klimit.hash(state);
        for cache in &self.caches {
            (cache.back_end, cache.just_grown, cache.slabs.len()).hash(state);
            for slab in &cache.slabs {
                slab.hash_future(state);
            }
        }
        for object in &self.objects {
            object.pages.hash(state);
        }
        self.violations.len().hash(state);
        // Without planned failures the counters decide nothing; with them,
        // they say which allocation fails next.
        if !self.plan.failing_phys_allocs.is_empty() || !self.plan.failing_cache_allocs.is_empty() {
            self.plan.failing_phys_allocs.hash(state);
            self.plan.failing_cache_allocs.hash(state);
            (self.phys_alloc_count, self.cache_alloc_count).hash(state);
        }
    }

    /// Whether `pa` is a frame currently handed out (page tables included).
    pub fn frame_is_allocated(&self, pa: PhysAddr) -> bool {
        pa.0 % PAGE_SIZE == 0 && self.frames.is_allocated(pa.0 / PAGE_SIZE)
    }

    /// Every slab of every cache, by cache id then address.
    pub fn slabs(&self) -> Vec<SlabInfo> {
        self.slab_infos().collect()
    }

    /// How many slabs the caches with this back end hold (without building
    /// [`SlabInfo`]s: the invariant oracle asks after every program).
    pub fn slab_count(&self, back_end: SlabBackEnd) -> usize {
        self.caches
            .iter()
            .filter(|cache| cache.back_end == back_end)
            .map(|cache| cache.slabs.len())
            .sum()
    }

    fn slab_infos(&self) -> impl Iterator<Item = SlabInfo> + '_ {
        self.caches.iter().enumerate().flat_map(|(id, cache)| {
            cache.slabs.iter().map(move |slab| SlabInfo {
                cache: CacheId(id as u32),
                va: slab.va,
                size_bytes: cache.geometry.slab_size_bytes,
                objects_in_use: slab.in_use(),
                back_end: cache.back_end,
            })
        })
    }

    /// Appends an event and returns its index.
    fn record(&mut self, event: Event) -> usize {
        self.trace.push(event);
        self.trace.len() - 1
    }

    /// Records a misuse during the latest event.
    fn violation(&mut self, kind: ViolationKind) {
        let event_index = self.trace.len().saturating_sub(1);
        self.violations.push(Violation { event_index, kind });
    }

    /// Turns a just-allocated frame into an empty page table.
    fn take_table_frame(&mut self, pa: PhysAddr) -> u32 {
        let frame = (pa.0 / PAGE_SIZE) as u32;
        // The frame is already zero: see `PageTableMemory`'s invariant.
        self.frames.mark_table(frame);
        frame
    }

    /// Writes one entry of `pmap`'s tables and keeps its digest current.
    fn write_entry(&mut self, pmap: usize, table: u32, level: u8, va: u64, raw: u64) {
        let index = slot(va, level);
        let entry_va = va & !(entry_span_bytes(level) - 1);
        let old = self.memory.read(table, index);
        let digest = &mut self.pmaps[pmap].digest;
        if old & PTE_PRESENT != 0 {
            *digest = digest.wrapping_sub(entry_hash(level, entry_va, old));
        }
        if raw & PTE_PRESENT != 0 {
            *digest = digest.wrapping_add(entry_hash(level, entry_va, raw));
        }
        if level == 1 {
            if old & PTE_PRESENT != 0 {
                self.frames
                    .leaf_removed((old & PTE_ADDRESS_MASK) / PAGE_SIZE);
                self.pmaps[pmap].leaves.remove(&entry_va);
            }
            if raw & PTE_PRESENT != 0 {
                self.frames.leaf_added((raw & PTE_ADDRESS_MASK) / PAGE_SIZE);
                self.pmaps[pmap].leaves.insert(entry_va, raw);
            }
        }
        self.memory.write(table, index, raw);
    }

    /// Allocates a table (a traced `phys_alloc(0)`) and links it under the
    /// `level` entry of `table` for `va`; `None` when no frame is left.
    fn install_table(
        &mut self,
        pmap: usize,
        table: u32,
        level: u8,
        va: u64,
        flags: u64,
    ) -> Option<u32> {
        let pa = self.phys_alloc(0)?;
        let frame = self.take_table_frame(pa);
        self.write_entry(pmap, table, level, va, pa.0 | flags);
        Some(frame)
    }

    /// `pmap_kgrow`'s walk: tables for every kernel entry covering
    /// `[klimit, limit)`, level by level, in address order.
    fn grow_kernel_tables(&mut self, limit: u64) -> Result<(), NoPageForPageTable> {
        if limit <= self.klimit {
            return Ok(());
        }
        let root = self.pmaps[0].root;
        for level in (2..=4).rev() {
            let span = entry_span_bytes(level);
            let mut va = self.klimit & !(span - 1);
            while va < limit {
                // The level above was completed first, so this table exists.
                let table = self
                    .memory
                    .table_at(root, va, level)
                    .ok_or(NoPageForPageTable)?;
                if self
                    .memory
                    .child(self.memory.read(table, slot(va, level)))
                    .is_none()
                {
                    self.install_table(0, table, level, va, PTE_WRITE | PTE_PRESENT)
                        .ok_or(NoPageForPageTable)?;
                }
                va += span;
            }
        }
        self.klimit = limit;
        Ok(())
    }

    /// Checks a virtual address used for a mapping; records why not.
    fn valid_va(&mut self, va: u64) -> bool {
        self.valid_page_address(va, va < CANONICAL_LOWER_END)
    }

    /// Checks the end of a range to unmap: page aligned and at most the end
    /// of the lower canonical half; records why not.
    fn valid_range_end(&mut self, end: u64) -> bool {
        self.valid_page_address(end, end <= CANONICAL_LOWER_END)
    }

    /// Whether `addr` is `canonical` (as its caller defines it) and page
    /// aligned; records the first reason it is not.
    fn valid_page_address(&mut self, addr: u64, canonical: bool) -> bool {
        let violation = if !canonical {
            ViolationKind::NonCanonicalAddress { va: addr }
        } else if addr % PAGE_SIZE != 0 {
            ViolationKind::MisalignedAddress { addr }
        } else {
            return true;
        };
        self.violation(violation);
        false
    }

    /// Clears every present leaf of pmap `index` in `[start, end)`, found
    /// through the pmap's leaf index rather than a walk of the range; the
    /// tables stay, as X15's pmap keeps them.
    fn clear_leaves(&mut self, index: usize, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let root = self.pmaps[index].root;
        let mut va = start;
        while let Some((&leaf_va, _)) = self.pmaps[index].leaves.range(va..end).next() {
            // A leaf in the index always has its tables.
            if let Walk::Leaf { table, .. } = self.memory.walk(root, leaf_va) {
                self.write_entry(index, table, 1, leaf_va, 0);
            }
            va = leaf_va + PAGE_SIZE;
        }
    }

    /// Checks a physical address to be mapped; records why not.
    fn valid_pa(&mut self, pa: PhysAddr) -> bool {
        let valid = pa.0 & !PTE_ADDRESS_MASK == 0;
        if !valid {
            self.violation(ViolationKind::MisalignedAddress { addr: pa.0 });
        }
        valid
    }

    /// The index of a known pmap; records a violation for an unknown one.
    fn pmap_index(&mut self, pmap: PmapId) -> Option<usize> {
        let known = self.pmaps.len();
        self.known_index(pmap.0, known, || ViolationKind::UnknownPmap { pmap })
    }

    /// The index of a known cache; records a violation for an unknown one.
    fn cache_index(&mut self, cache: CacheId) -> Option<usize> {
        let known = self.caches.len();
        self.known_index(cache.0, known, || ViolationKind::UnknownCache { cache })
    }

    /// The index of a known object; records a violation for an unknown one.
    fn object_index(&mut self, object: ObjectId) -> Option<usize> {
        let known = self.objects.len();
        self.known_index(object.0, known, || ViolationKind::UnknownObject { object })
    }

    /// Ids count from 0 in creation order, so an id is its index when it is
    /// below the number created; otherwise `unknown` names the misuse.
    fn known_index(
        &mut self,
        id: u32,
        known: usize,
        unknown: impl FnOnce() -> ViolationKind,
    ) -> Option<usize> {
        let index = id as usize;
        if index < known {
            Some(index)
        } else {
            self.violation(unknown());
            None
        }
    }

    /// The work of `pmap_enter` once its event is recorded.
    fn enter_mapping(
        &mut self,
        pmap: PmapId,
        va: u64,
        pa: PhysAddr,
        prot: u32,
    ) -> Result<(), Error> {
        let Some(index) = self.pmap_index(pmap) else {
            return Err(Error::Inval);
        };
        if !self.valid_va(va) || !self.valid_pa(pa) {
            return Err(Error::Inval);
        }
        let (intermediate, leaf_extra) = if index == 0 {
            (PTE_WRITE | PTE_PRESENT, PTE_GLOBAL)
        } else {
            (PTE_WRITE | PTE_PRESENT | PTE_USER, PTE_USER)
        };
        let mut table = self.pmaps[index].root;
        for level in (2..=4).rev() {
            table = match self.memory.child(self.memory.read(table, slot(va, level))) {
                Some(next) => next,
                None => self
                    .install_table(index, table, level, va, intermediate)
                    .ok_or(Error::NoMem)?,
            };
        }
        let raw = pa.0 | PTE_PRESENT | write_bit(prot) | leaf_extra;
        self.write_entry(index, table, 1, va, raw);
        Ok(())
    }

    /// The work of `kmem_populate` once its event is recorded.
    fn populate(&mut self, va: u64, size_bytes: usize) -> bool {
        let mut taken = core::mem::take(&mut self.populate_pages);
        taken.clear();
        let end = va.wrapping_add(size_bytes as u64);
        let mut complete = true;
        for page_va in (va..end).step_by(PAGE_SIZE as usize) {
            let Some(pa) = self.phys_alloc(0) else {
                complete = false;
                break;
            };
            taken.push(pa);
            self.pmap_kenter(page_va, pa, PROT_READ_WRITE);
        }
        if complete {
            self.pmap_update(PmapId::KERNEL, va, end);
        } else {
            for &pa in &taken {
                self.phys_free(pa, 0);
            }
            self.pmap_kremove(va, end);
        }
        self.populate_pages = taken;
        complete
    }

    /// The work of `pager_get` once its event is recorded.
    fn pager_fill(&mut self, object: ObjectId, offset: u64) -> Result<PhysAddr, Error> {
        let Some(index) = self.object_index(object) else {
            return Err(Error::Inval);
        };
        let pa = self.phys_alloc(0).ok_or(Error::NoMem)?;
        let pages = &mut self.objects[index].pages;
        match pages.iter_mut().find(|(cached, _)| *cached == offset) {
            Some(slot) => {
                slot.1 = pa;
                self.violation(ViolationKind::PagerGetOfCachedPage { object, offset });
            }
            None => pages.push((offset, pa)),
        }
        Ok(pa)
    }

    /// Whether `[va, va + size)` overlaps a slab of any cache.
    fn overlaps_any_slab(&self, va: u64, size_bytes: u64) -> bool {
        self.caches
            .iter()
            .any(|cache| cache.overlaps(va, size_bytes))
    }
}

impl core::fmt::Debug for Machine {
    /// A summary: simulated memory is too large to print, and the trace has
    /// its own accessor.
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.debug_struct("Machine")
            .field("config", &self.config)
            .field("plan", &self.plan)
            .field("pmaps", &self.pmaps.len())
            .field("klimit", &format_args!("{:#x}", self.klimit))
            .field("caches", &self.caches.len())
            .field("objects", &self.objects.len())
            .field("events", &self.trace.len())
            .field("violations", &self.violations.len())
            .finish()
    }
}

/// The RW bit for a `VM_PROT_*` protection.
fn write_bit(prot: u32) -> u64 {
    if prot & PROT_WRITE != 0 {
        PTE_WRITE
    } else {
        0
    }
}

/// Replaces the result of the composite event at `index`.
macro_rules! set_result {
    ($machine:expr, $index:expr, $variant:ident, $value:expr) => {
        if let Event::$variant { result, .. } = &mut $machine.trace[$index] {
            *result = $value;
        }
    };
}

impl Environment for Machine {
    fn kernel_map_bounds(&self) -> (u64, u64) {
        (KERNEL_START, self.config.kernel_end())
    }

    fn boot_space(&mut self) -> (u64, u64) {
        let (start, end) = self.config.boot_space();
        self.record(Event::BootSpace { start, end });
        (start, end)
    }

    fn phys_alloc(&mut self, order: u32) -> Option<PhysAddr> {
        self.phys_alloc_count += 1;
        let planned_failure = self
            .plan
            .failing_phys_allocs
            .contains(&self.phys_alloc_count);
        let result = if planned_failure || order != 0 {
            None
        } else {
            self.frames
                .allocate()
                .map(|frame| PhysAddr(u64::from(frame) * PAGE_SIZE))
        };
        self.record(Event::PhysAlloc { order, result });
        result
    }

    fn phys_free(&mut self, pa: PhysAddr, order: u32) {
        self.record(Event::PhysFree { pa, order });
        if order != 0 {
            self.violation(ViolationKind::FreeWithUnsupportedOrder { pa, order });
            return;
        }
        if pa.0 % PAGE_SIZE != 0 {
            self.violation(ViolationKind::FreeOfNonFrame { pa });
            return;
        }
        let frame = u32::try_from(pa.0 / PAGE_SIZE).unwrap_or(u32::MAX);
        match self.frames.free(frame) {
            Ok(()) => {}
            Err(FreeError::NotAFrame) => self.violation(ViolationKind::FreeOfNonFrame { pa }),
            Err(FreeError::AlreadyFree) => self.violation(ViolationKind::FreeOfFreeFrame { pa }),
            Err(FreeError::HoldsPageTable) => self.violation(ViolationKind::FreeOfPageTable { pa }),
        }
    }

    fn phys_lookup(&mut self, pa: PhysAddr) -> Option<PhysAddr> {
        let frame = pa.0 / PAGE_SIZE;
        let result =
            (frame < u64::from(self.frames.frame_count())).then_some(PhysAddr(frame * PAGE_SIZE));
        self.record(Event::PhysLookup { pa, result });
        result
    }

    fn pmap_kenter(&mut self, va: u64, pa: PhysAddr, prot: u32) {
        self.record(Event::PmapKenter { va, pa, prot });
        if !self.valid_va(va) || !self.valid_pa(pa) {
            return;
        }
        match self.memory.walk(self.pmaps[0].root, va) {
            Walk::Leaf { table, .. } => {
                let raw = pa.0 | PTE_GLOBAL | PTE_PRESENT | write_bit(prot);
                self.write_entry(0, table, 1, va, raw);
            }
            Walk::Missing { .. } => self.violation(ViolationKind::KenterWithoutTable { va }),
        }
    }

    fn pmap_kremove(&mut self, start: u64, end: u64) {
        self.record(Event::PmapKremove { start, end });
        let root = self.pmaps[0].root;
        let end = end.min(CANONICAL_LOWER_END);
        let mut va = start & !(PAGE_SIZE - 1);
        while va < end {
            let span = match self.memory.walk(root, va) {
                Walk::Leaf { table, index } => {
                    if self.memory.read(table, index) != 0 {
                        self.write_entry(0, table, 1, va, 0);
                    }
                    PAGE_SIZE
                }
                // Skip the whole range the missing table would have covered.
                Walk::Missing { level } => entry_span_bytes(level),
            };
            va = (va & !(span - 1)) + span;
        }
    }

    fn pmap_kgrow(&mut self, end: u64) -> Result<(), NoPageForPageTable> {
        let index = self.record(Event::PmapKgrow {
            end,
            result: Ok(()),
        });
        let limit = kgrow_limit(end);
        let result = if limit > CANONICAL_LOWER_END || limit == 0 {
            self.violation(ViolationKind::KgrowOutOfRange { end });
            Ok(())
        } else {
            self.grow_kernel_tables(limit)
        };
        set_result!(self, index, PmapKgrow, result);
        result
    }

    fn pmap_klimit(&mut self) -> u64 {
        let result = self.klimit;
        self.record(Event::PmapKlimit { result });
        result
    }

    fn pmap_enter(&mut self, pmap: PmapId, va: u64, pa: PhysAddr, prot: u32) -> Result<(), Error> {
        let index = self.record(Event::PmapEnter {
            pmap,
            va,
            pa,
            prot,
            result: Ok(()),
        });
        let result = self.enter_mapping(pmap, va, pa, prot);
        set_result!(self, index, PmapEnter, result);
        result
    }

    fn pmap_extract(&mut self, pmap: PmapId, va: u64) -> PhysAddr {
        let index = self.record(Event::PmapExtract {
            pmap,
            va,
            result: PhysAddr(0),
        });
        let Some(pmap_index) = self.pmap_index(pmap) else {
            return PhysAddr(0);
        };
        let result = match self.memory.walk(self.pmaps[pmap_index].root, va) {
            Walk::Leaf { table, index } if va < CANONICAL_LOWER_END => {
                let raw = self.memory.read(table, index);
                PhysAddr(if raw & PTE_PRESENT != 0 {
                    raw & PTE_ADDRESS_MASK
                } else {
                    0
                })
            }
            _ => PhysAddr(0),
        };
        set_result!(self, index, PmapExtract, result);
        result
    }

    fn pmap_remove(&mut self, pmap: PmapId, start: u64, end: u64) {
        self.record(Event::PmapRemove { pmap, start, end });
        let Some(index) = self.pmap_index(pmap) else {
            return;
        };
        if !self.valid_va(start) || !self.valid_range_end(end) {
            return;
        }
        self.clear_leaves(index, start, end);
    }

    fn pmap_update(&mut self, pmap: PmapId, start: u64, end: u64) {
        self.record(Event::PmapUpdate { pmap, start, end });
        self.pmap_index(pmap);
    }

    fn pmap_create(&mut self) -> Result<PmapId, Error> {
        let index = self.record(Event::PmapCreate {
            result: Err(Error::NoMem),
        });
        let result = match self.phys_alloc(0).map(|pa| self.take_table_frame(pa)) {
            Some(root) => {
                self.pmaps.push(Pmap::new(root));
                Ok(PmapId(self.pmaps.len() as u32 - 1))
            }
            None => Err(Error::NoMem),
        };
        set_result!(self, index, PmapCreate, result);
        result
    }

    fn kmem_cache_init(&mut self, spec: CacheSpec<'_>) -> CacheId {
        let cache = CacheId(self.caches.len() as u32);
        let geometry = slab_geometry(spec.obj_size_bytes, spec.align_bytes, spec.flags);
        self.caches.push(Cache::new(geometry, spec.back_end));
        self.record(Event::KmemCacheInit {
            name: spec.name.to_owned(),
            obj_size_bytes: spec.obj_size_bytes,
            align_bytes: spec.align_bytes,
            flags: spec.flags,
            back_end: spec.back_end,
            result: cache,
        });
        cache
    }

    fn kmem_cache_slab_size(&mut self, cache: CacheId) -> usize {
        let index = self.record(Event::KmemCacheSlabSize { cache, result: 0 });
        let result = self
            .cache_index(cache)
            .map_or(0, |cache| self.caches[cache].geometry.slab_size_bytes);
        set_result!(self, index, KmemCacheSlabSize, result);
        result
    }

    fn kmem_cache_take(&mut self, cache: CacheId) -> SlabTake {
        let index = self.record(Event::KmemCacheTake {
            cache,
            result: SlabTake::Failed,
        });
        let Some(cache_index) = self.cache_index(cache) else {
            return SlabTake::Failed;
        };
        let retry = core::mem::replace(&mut self.caches[cache_index].just_grown, false);
        if !retry {
            self.cache_alloc_count += 1;
        }
        let result = if !retry
            && self
                .plan
                .failing_cache_allocs
                .contains(&self.cache_alloc_count)
        {
            SlabTake::Failed
        } else {
            let cache = &mut self.caches[cache_index];
            match cache.take() {
                Some(va) => SlabTake::Object(va),
                None => SlabTake::NeedSlab {
                    slab_size_bytes: cache.geometry.slab_size_bytes,
                    back_end: cache.back_end,
                },
            }
        };
        set_result!(self, index, KmemCacheTake, result);
        result
    }

    fn kmem_cache_grow(&mut self, cache: CacheId, slab_va: u64) {
        self.record(Event::KmemCacheGrow { cache, slab_va });
        let Some(index) = self.cache_index(cache) else {
            return;
        };
        self.caches[index].just_grown = true;
        let size_bytes = self.caches[index].geometry.slab_size_bytes as u64;
        if slab_va % PAGE_SIZE != 0 || slab_va == 0 || self.overlaps_any_slab(slab_va, size_bytes) {
            self.violation(ViolationKind::BadSlab { cache, va: slab_va });
            return;
        }
        self.caches[index].grow(slab_va);
    }

    fn kmem_cache_free(&mut self, cache: CacheId, object_va: u64) {
        self.record(Event::KmemCacheFree { cache, object_va });
        let Some(index) = self.cache_index(cache) else {
            return;
        };
        self.caches[index].just_grown = false;
        if !self.caches[index].free(object_va) {
            self.violation(ViolationKind::CacheFreeOfNonObject {
                cache,
                va: object_va,
            });
        }
    }

    fn kmem_reap_next(&mut self) -> Option<EmptySlab> {
        let result = self.caches.iter_mut().enumerate().find_map(|(id, cache)| {
            let va = cache.detach_empty()?;
            Some(EmptySlab {
                cache: CacheId(id as u32),
                va,
                size_bytes: cache.geometry.slab_size_bytes,
                back_end: cache.back_end,
            })
        });
        self.record(Event::KmemReapNext { result });
        result
    }

    fn kmem_populate(&mut self, va: u64, size_bytes: usize) -> bool {
        let index = self.record(Event::KmemPopulate {
            va,
            size_bytes,
            result: false,
        });
        let result = self.populate(va, size_bytes);
        set_result!(self, index, KmemPopulate, result);
        result
    }

    fn kmem_depopulate(&mut self, va: u64, size_bytes: usize) {
        self.record(Event::KmemDepopulate { va, size_bytes });
        let end = va.wrapping_add(size_bytes as u64);
        for page_va in (va..end).step_by(PAGE_SIZE as usize) {
            let pa = self.pmap_extract(PmapId::KERNEL, page_va);
            if pa.0 == 0 {
                continue;
            }
            if let Some(page) = self.phys_lookup(pa) {
                self.phys_free(page, 0);
            }
        }
        self.pmap_kremove(va, end);
        self.pmap_update(PmapId::KERNEL, va, end);
    }

    fn object_get(&mut self, object: ObjectId, offset: u64) -> Option<PhysAddr> {
        let index = self.record(Event::ObjectGet {
            object,
            offset,
            result: None,
        });
        let object_index = self.object_index(object)?;
        let result = self.objects[object_index]
            .pages
            .iter()
            .find(|(cached, _)| *cached == offset)
            .map(|&(_, pa)| pa);
        set_result!(self, index, ObjectGet, result);
        result
    }

    fn pager_get(&mut self, object: ObjectId, offset: u64) -> Result<PhysAddr, Error> {
        let index = self.record(Event::PagerGet {
            object,
            offset,
            result: Err(Error::NoMem),
        });
        let result = self.pager_fill(object, offset);
        set_result!(self, index, PagerGet, result);
        result
    }

    fn console(&mut self, text: &str) {
        self.console.push_str(text);
        let mut line = self.console_lines.pop().unwrap_or_default();
        line.push_str(text);
        self.record(Event::Console { text: line });
    }
}
