//! A small recording environment: every call becomes an [`Event`], with
//! simple deterministic models (frames handed out upwards from frame 1, a
//! kernel page table as a map, slab caches of one-page slabs) and switches
//! that make individual calls fail.

extern crate std;

use std::collections::{BTreeMap, BTreeSet};
use std::string::String;
use std::vec::Vec;

use crate::env::{
    CacheId, CacheSpec, EmptySlab, Environment, NoPageForPageTable, ObjectId, PhysAddr, PmapId,
    SlabBackEnd, SlabTake,
};
use crate::error::Error;

/// The kernel map's start, as the simulated machine chooses it.
pub(crate) const KERNEL_START: u64 = 0x2000_0000_0000;
/// The kernel map's size in the fake.
pub(crate) const KERNEL_SIZE: u64 = 0x4000_0000;
/// The boot space's size in the fake.
pub(crate) const BOOT_SIZE: u64 = 0x40_0000;
/// The slab size of every fake cache.
pub(crate) const SLAB_SIZE: usize = 4096;
/// Bytes of a slab that hold its header.
const SLAB_HEADER_BYTES: usize = 40;

/// One environment call and what it answered.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) enum Event {
    BootSpace,
    PhysAlloc(Option<u64>),
    PhysFree(u64),
    PhysLookup(u64),
    Kenter(u64, u64, u32),
    Kremove(u64, u64),
    Kgrow(u64),
    Klimit(u64),
    PmapEnter(u32, u64, u64, u32),
    Extract(u64),
    PmapRemove(u32, u64, u64),
    Update(u32, u64, u64),
    PmapCreate,
    CacheInit(String, usize, usize, u32, SlabBackEnd),
    SlabSize(u32),
    Take(u32, SlabTake),
    Grow(u32, u64),
    Free(u32, u64),
    ReapNext(Option<EmptySlab>),
    Populate(u64, usize),
    Depopulate(u64, usize),
    ObjectGet(u32, u64),
    PagerGet(u32, u64),
    Console(String),
}

/// A slab of a fake cache.
#[derive(Debug, Clone)]
struct Slab {
    va: u64,
    free: BTreeSet<u64>,
    capacity: usize,
}

/// A fake slab cache.
#[derive(Debug, Clone)]
struct Cache {
    obj_size: usize,
    back_end: SlabBackEnd,
    slabs: Vec<Slab>,
}

/// The fake environment.
#[derive(Debug, Clone)]
pub(crate) struct FakeEnv {
    pub(crate) events: Vec<Event>,
    pub(crate) kernel_bounds: (u64, u64),
    pub(crate) boot: (u64, u64),
    pub(crate) slab_size: usize,
    /// The next frame number phys_alloc hands out.
    next_frame: u64,
    /// How many more phys_alloc calls succeed (`None`: unlimited).
    pub(crate) phys_budget: Option<u32>,
    pub(crate) kernel_pages: BTreeMap<u64, u64>,
    pub(crate) klimit: u64,
    pub(crate) kgrow_fails: bool,
    pub(crate) pmap_enter_fails: bool,
    pub(crate) pmap_create_fails: bool,
    next_pmap: u32,
    caches: Vec<Cache>,
    /// Cache ids whose next take answers `Failed`.
    pub(crate) failing_takes: BTreeSet<u32>,
    pub(crate) populate_fails: bool,
    pub(crate) object_pages: BTreeMap<(u32, u64), u64>,
    pub(crate) pager_fails: bool,
    /// Objects per slab instead of the size-derived number.
    pub(crate) capacity: Option<usize>,
    /// The slab size `NeedSlab` asks for instead of `slab_size`.
    pub(crate) need_slab_size: Option<usize>,
    /// Whether `phys_lookup` finds no descriptor.
    pub(crate) lookup_fails: bool,
    /// Slabs a reap hands out before the real empty ones.
    pub(crate) injected_reaps: Vec<EmptySlab>,
}

impl FakeEnv {
    /// The default machine.
    pub(crate) fn new() -> FakeEnv {
        FakeEnv {
            events: Vec::new(),
            kernel_bounds: (KERNEL_START, KERNEL_START + KERNEL_SIZE),
            boot: (KERNEL_START, KERNEL_START + BOOT_SIZE),
            slab_size: SLAB_SIZE,
            next_frame: 1,
            phys_budget: None,
            kernel_pages: BTreeMap::new(),
            klimit: KERNEL_START + 0x200_0000,
            kgrow_fails: false,
            pmap_enter_fails: false,
            pmap_create_fails: false,
            next_pmap: 1,
            caches: Vec::new(),
            failing_takes: BTreeSet::new(),
            populate_fails: false,
            object_pages: BTreeMap::new(),
            pager_fails: false,
            capacity: None,
            need_slab_size: None,
            lookup_fails: false,
            injected_reaps: Vec::new(),
        }
    }

    /// The events since the last call, which are forgotten.
    pub(crate) fn take_events(&mut self) -> Vec<Event> {
        core::mem::take(&mut self.events)
    }

    /// The console lines since the last `take_events`.
    pub(crate) fn console_text(&self) -> Vec<String> {
        self.events
            .iter()
            .filter_map(|event| match event {
                Event::Console(text) => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    /// Objects of a cache in use.
    pub(crate) fn objects_in_use(&self, cache: u32) -> usize {
        self.caches[cache as usize]
            .slabs
            .iter()
            .map(|slab| slab.capacity - slab.free.len())
            .sum()
    }

    /// Slabs a cache holds.
    pub(crate) fn slab_count(&self, cache: u32) -> usize {
        self.caches[cache as usize].slabs.len()
    }
}

impl Environment for FakeEnv {
    fn kernel_map_bounds(&self) -> (u64, u64) {
        self.kernel_bounds
    }

    fn boot_space(&mut self) -> (u64, u64) {
        self.events.push(Event::BootSpace);
        self.boot
    }

    fn phys_alloc(&mut self, _order: u32) -> Option<PhysAddr> {
        let granted = match &mut self.phys_budget {
            Some(0) => None,
            Some(budget) => {
                *budget -= 1;
                Some(())
            }
            None => Some(()),
        };
        let pa = granted.map(|()| {
            let pa = self.next_frame * 4096;
            self.next_frame += 1;
            pa
        });
        self.events.push(Event::PhysAlloc(pa));
        pa.map(PhysAddr)
    }

    fn phys_free(&mut self, pa: PhysAddr, _order: u32) {
        self.events.push(Event::PhysFree(pa.0));
    }

    fn phys_lookup(&mut self, pa: PhysAddr) -> Option<PhysAddr> {
        self.events.push(Event::PhysLookup(pa.0));
        (!self.lookup_fails).then_some(pa)
    }

    fn pmap_kenter(&mut self, va: u64, pa: PhysAddr, prot: u32) {
        self.events.push(Event::Kenter(va, pa.0, prot));
        self.kernel_pages.insert(va, pa.0);
    }

    fn pmap_kremove(&mut self, start: u64, end: u64) {
        self.events.push(Event::Kremove(start, end));
        let doomed: Vec<u64> = self
            .kernel_pages
            .range(start..end)
            .map(|(va, _)| *va)
            .collect();
        for va in doomed {
            self.kernel_pages.remove(&va);
        }
    }

    fn pmap_kgrow(&mut self, end: u64) -> Result<(), NoPageForPageTable> {
        self.events.push(Event::Kgrow(end));
        if self.kgrow_fails {
            return Err(NoPageForPageTable);
        }
        self.klimit = (end / 0x20_0000 + 1) * 0x20_0000;
        Ok(())
    }

    fn pmap_klimit(&mut self) -> u64 {
        self.events.push(Event::Klimit(self.klimit));
        self.klimit
    }

    fn pmap_enter(&mut self, pmap: PmapId, va: u64, pa: PhysAddr, prot: u32) -> Result<(), Error> {
        self.events.push(Event::PmapEnter(pmap.0, va, pa.0, prot));
        if self.pmap_enter_fails {
            Err(Error::NoMem)
        } else {
            Ok(())
        }
    }

    fn pmap_extract(&mut self, _pmap: PmapId, va: u64) -> PhysAddr {
        self.events.push(Event::Extract(va));
        PhysAddr(self.kernel_pages.get(&va).copied().unwrap_or(0))
    }

    fn pmap_remove(&mut self, pmap: PmapId, start: u64, end: u64) {
        self.events.push(Event::PmapRemove(pmap.0, start, end));
    }

    fn pmap_update(&mut self, pmap: PmapId, start: u64, end: u64) {
        self.events.push(Event::Update(pmap.0, start, end));
    }

    fn pmap_create(&mut self) -> Result<PmapId, Error> {
        self.events.push(Event::PmapCreate);
        if self.pmap_create_fails {
            return Err(Error::NoMem);
        }
        self.next_pmap += 1;
        Ok(PmapId(self.next_pmap - 1))
    }

    fn kmem_cache_init(&mut self, spec: CacheSpec<'_>) -> CacheId {
        self.events.push(Event::CacheInit(
            spec.name.into(),
            spec.obj_size_bytes,
            spec.align_bytes,
            spec.flags,
            spec.back_end,
        ));
        self.caches.push(Cache {
            obj_size: spec.obj_size_bytes,
            back_end: spec.back_end,
            slabs: Vec::new(),
        });
        CacheId(self.caches.len() as u32 - 1)
    }

    fn kmem_cache_slab_size(&mut self, cache: CacheId) -> usize {
        self.events.push(Event::SlabSize(cache.0));
        self.slab_size
    }

    fn kmem_cache_take(&mut self, cache: CacheId) -> SlabTake {
        let answer = if self.failing_takes.remove(&cache.0) {
            SlabTake::Failed
        } else {
            let back_end = self.caches[cache.0 as usize].back_end;
            let slabs = &mut self.caches[cache.0 as usize].slabs;
            let partial = slabs
                .iter()
                .position(|slab| !slab.free.is_empty() && slab.free.len() < slab.capacity);
            let any = slabs.iter().position(|slab| !slab.free.is_empty());
            match partial.or(any) {
                Some(index) => {
                    let va = *slabs[index].free.iter().next().unwrap();
                    slabs[index].free.remove(&va);
                    SlabTake::Object(va)
                }
                None => SlabTake::NeedSlab {
                    slab_size_bytes: self.need_slab_size.unwrap_or(self.slab_size),
                    back_end,
                },
            }
        };
        self.events.push(Event::Take(cache.0, answer));
        answer
    }

    fn kmem_cache_grow(&mut self, cache: CacheId, slab_va: u64) {
        self.events.push(Event::Grow(cache.0, slab_va));
        let target = &mut self.caches[cache.0 as usize];
        let capacity = self
            .capacity
            .unwrap_or((self.slab_size - SLAB_HEADER_BYTES) / target.obj_size);
        let free = (0..capacity as u64)
            .map(|index| slab_va + index * target.obj_size as u64)
            .collect();
        target.slabs.push(Slab {
            va: slab_va,
            free,
            capacity,
        });
    }

    fn kmem_cache_free(&mut self, cache: CacheId, object_va: u64) {
        self.events.push(Event::Free(cache.0, object_va));
        let slab_size = self.slab_size as u64;
        let target = &mut self.caches[cache.0 as usize];
        if let Some(slab) = target
            .slabs
            .iter_mut()
            .find(|slab| object_va >= slab.va && object_va < slab.va + slab_size)
        {
            slab.free.insert(object_va);
        }
    }

    fn kmem_reap_next(&mut self) -> Option<EmptySlab> {
        if !self.injected_reaps.is_empty() {
            let slab = self.injected_reaps.remove(0);
            self.events.push(Event::ReapNext(Some(slab)));
            return Some(slab);
        }
        let mut found = None;
        for (cache_index, cache) in self.caches.iter_mut().enumerate() {
            if let Some(index) = cache
                .slabs
                .iter()
                .position(|slab| slab.free.len() == slab.capacity)
            {
                let slab = cache.slabs.remove(index);
                found = Some(EmptySlab {
                    cache: CacheId(cache_index as u32),
                    va: slab.va,
                    size_bytes: self.slab_size,
                    back_end: cache.back_end,
                });
                break;
            }
        }
        self.events.push(Event::ReapNext(found));
        found
    }

    fn kmem_populate(&mut self, va: u64, size_bytes: usize) -> bool {
        self.events.push(Event::Populate(va, size_bytes));
        !self.populate_fails
    }

    fn kmem_depopulate(&mut self, va: u64, size_bytes: usize) {
        self.events.push(Event::Depopulate(va, size_bytes));
    }

    fn object_get(&mut self, object: ObjectId, offset: u64) -> Option<PhysAddr> {
        self.events.push(Event::ObjectGet(object.0, offset));
        self.object_pages
            .get(&(object.0, offset))
            .copied()
            .map(PhysAddr)
    }

    fn pager_get(&mut self, object: ObjectId, offset: u64) -> Result<PhysAddr, Error> {
        self.events.push(Event::PagerGet(object.0, offset));
        if self.pager_fails {
            return Err(Error::NoMem);
        }
        let pa = self.next_frame * 4096;
        self.next_frame += 1;
        self.object_pages.insert((object.0, offset), pa);
        Ok(PhysAddr(pa))
    }

    fn console(&mut self, text: &str) {
        self.events.push(Event::Console(text.into()));
    }
}
