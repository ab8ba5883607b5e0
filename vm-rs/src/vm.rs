//! The port's state and public operations: [`Vm`] holds what `vm_map.c`
//! keeps in globals and heap objects (the kernel map, the user maps, the
//! entries, the kentry table, the three caches) and offers one method per
//! public C function, plus the harness's reap and state getters.
//!
//! Every operation returns a [`Failure`] where the C returns an error,
//! asserts or panics; see [`Failure`] for when the port is dead afterwards.

use alloc::collections::BTreeMap;
use alloc::string::String;

use crate::arith::page_aligned;
use crate::c_bugs::CBugs;
use crate::entry::{Arena, BOOT_SLOT};
use crate::env::{CacheId, CacheSpec, Environment, ObjectId, PmapId, SlabBackEnd};
use crate::error::Error;
use crate::failure::Failure;
use crate::fatal::Fatal;
use crate::footprint::{Identity, Maps};
use crate::kentry::KentryTable;
use crate::map::{Map, MapInternals};
use crate::map_flags::{MapFlags, KERNEL_MAPPING_FLAGS, VM_MAP_FIXED, VM_MAP_NOMERGE};
use crate::precondition::Precondition;
use crate::protection::Protection;
use crate::rewrite::{MapRewrite, ReadDifference};
use crate::search::Request;
use crate::state::{KentryState, MapState};
use crate::{ENTRY_SIZE_BYTES, MAP_SIZE_BYTES, VM_MAX_ADDRESS, VM_MIN_ADDRESS};

/// The index of the kernel map in [`Vm`]'s maps.
pub(crate) const KERNEL_MAP: usize = 0;

/// A cache id for caches `vm_map_setup` has not created yet.
const UNSET_CACHE: CacheId = CacheId(u32::MAX);

/// A map: `MapId(0)` is the kernel map, `MapId(n)` the nth user map that
/// [`Vm::create_map`] created (1-based), as on the C side.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MapId(pub u32);

impl MapId {
    /// The kernel map.
    pub const KERNEL: MapId = MapId(0);
}

/// The three slab caches `vm_map_setup` creates, in creation order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Caches {
    /// `vm_map_kentry_cache`: kernel map entries, kentry back end.
    pub kentry: CacheId,
    /// `vm_map_entry_cache`: user map entries, default back end.
    pub entry: CacheId,
    /// `vm_map_cache`: `struct vm_map`s, default back end.
    pub map: CacheId,
}

/// The port of `vm_map.c`: all its state, one instance per kernel.
#[derive(Debug, Clone)]
pub struct Vm {
    pub(crate) maps: Maps,
    /// Which instance this is, for the footprints of its map reads.
    pub(crate) identity: Identity,
    pub(crate) arena: Arena,
    pub(crate) kentry: KentryTable,
    pub(crate) caches: Caches,
    /// Which bugs of the C this port reproduces.
    pub(crate) bugs: CBugs,
    /// The kernel allocator's live ranges (`vm_kmem_alloc` that succeeded
    /// and no `vm_kmem_free` yet), start to end; disjoint.
    pub(crate) kernel_allocations: BTreeMap<u64, u64>,
    /// Set by a terminal failure; see [`Failure`].
    dead: bool,
    /// The most loop steps one operation may take ([`Vm::set_loop_budget`]);
    /// `None`, the default, is no limit.
    loop_budget: Option<u64>,
    /// The loop steps the operation in progress has taken.
    loop_steps: u64,
    /// A reused buffer for console text.
    pub(crate) text: String,
}

impl Vm {
    /// `vm_map_setup` for the fixed port ([`CBugs::FIXED`]); see
    /// [`Vm::setup_with`].
    pub fn setup<E: Environment>(env: &mut E) -> Result<Vm, Failure> {
        Vm::setup_with(env, CBugs::FIXED)
    }

    /// `vm_map_setup`: the kernel map with its boot entry, the kentry area
    /// and its cache, then the entry and map caches, for a port that
    /// reproduces the bugs of the C that `bugs` switches on.
    pub fn setup_with<E: Environment>(env: &mut E, bugs: CBugs) -> Result<Vm, Failure> {
        Vm::setup_with_loop_budget(env, bugs, None)
    }

    /// [`Vm::setup_with`] under a loop budget ([`Vm::set_loop_budget`])
    /// from the set-up's own searches on.
    pub fn setup_with_loop_budget<E: Environment>(
        env: &mut E,
        bugs: CBugs,
        loop_budget: Option<u64>,
    ) -> Result<Vm, Failure> {
        let (start, end) = env.kernel_map_bounds();
        if !page_aligned(start) {
            return Err(Precondition::MapInitStartAligned.into());
        }
        if !page_aligned(end) {
            return Err(Precondition::MapInitEndAligned.into());
        }
        let mut vm = Vm {
            maps: Maps::default(),
            identity: Identity::fresh(),
            arena: Arena::new(),
            kentry: KentryTable::default(),
            caches: Caches {
                kentry: UNSET_CACHE,
                entry: UNSET_CACHE,
                map: UNSET_CACHE,
            },
            bugs,
            kernel_allocations: BTreeMap::new(),
            dead: false,
            loop_budget,
            loop_steps: 0,
            text: String::with_capacity(128),
        };
        vm.maps.push(Map::new(PmapId::KERNEL, start, end, None));
        let (boot_start, boot_end) = env.boot_space();
        let flags = KERNEL_MAPPING_FLAGS | VM_MAP_NOMERGE | VM_MAP_FIXED;
        let boot_size = boot_end.wrapping_sub(boot_start);
        let mut request = Request::new(None, 0, boot_start, boot_size, 0, flags);
        match vm.prepare(KERNEL_MAP, &mut request) {
            Ok(()) => {}
            Err(Failure::Error(_)) => return Err(Fatal::InitialKernelMappingFailed.into()),
            Err(failure) => return Err(failure),
        }
        vm.insert(env, KERNEL_MAP, Some(BOOT_SLOT), &request)?;
        vm.kentry_setup(env)?;
        let default_cache = |name, size| CacheSpec::new(name, size, 0, 0, SlabBackEnd::Default);
        vm.caches.entry = env.kmem_cache_init(default_cache("vm_map_entry", ENTRY_SIZE_BYTES));
        vm.caches.map = env.kmem_cache_init(default_cache("vm_map", MAP_SIZE_BYTES));
        // The first operation's loops count from zero, as every later one's.
        vm.loop_steps = 0;
        Ok(vm)
    }

    /// `vm_map_create`: a user map covering `[VM_MIN_ADDRESS,
    /// VM_MAX_ADDRESS)` with a new pmap. `ERROR_NOMEM` when the map cache
    /// has no object; the pmap's error (after freeing the object) otherwise.
    pub fn create_map<E: Environment>(&mut self, env: &mut E) -> Result<MapId, Failure> {
        self.check_alive()?;
        let result = self.create_map_inner(env);
        self.settle(result)
    }

    /// `vm_map_enter`: maps `size` bytes of `object` (or a null mapping) at
    /// `offset`, at `start` (a hint, or the address with `flags.fixed`),
    /// aligned to `align` (0 for none). Returns the chosen start.
    #[allow(clippy::too_many_arguments)] // The C's signature, argument for argument.
    pub fn enter<E: Environment>(
        &mut self,
        env: &mut E,
        map: MapId,
        object: Option<ObjectId>,
        offset: u64,
        start: u64,
        size: u64,
        align: u64,
        flags: MapFlags,
    ) -> Result<u64, Failure> {
        let request = Request::new(object, offset, start, size, align, flags.to_raw());
        self.on_map(map, |vm, map| vm.enter_request(env, map, request))
    }

    /// `vm_map_remove`: unmaps `[start, end)`, clipping entries at both ends.
    pub fn remove<E: Environment>(
        &mut self,
        env: &mut E,
        map: MapId,
        start: u64,
        end: u64,
    ) -> Result<(), Failure> {
        self.on_map(map, |vm, map| vm.remove_range(env, map, start, end))
    }

    /// `vm_map_fault`: resolves a fault at `addr` for `access` (any raw
    /// value, as the C's `int`) on a user map.
    pub fn fault<E: Environment>(
        &mut self,
        env: &mut E,
        map: MapId,
        addr: u64,
        access: Protection,
    ) -> Result<(), Failure> {
        self.on_map(map, |vm, map| vm.fault_at(env, map, addr, access))
    }

    /// `vm_map_info`: prints the map on the console exactly as the C does.
    pub fn info<E: Environment>(&mut self, env: &mut E, map: MapId) -> Result<(), Failure> {
        self.on_map(map, |vm, map| vm.print_info(env, map))
    }

    /// The reap of ARCHITECTURE.md: hands every empty slab back to the back
    /// end the machine names for it (`vm_map_kentry_free` or
    /// `vm_kmem_free`).
    pub fn reap<E: Environment>(&mut self, env: &mut E) -> Result<(), Failure> {
        self.check_alive()?;
        let result = self.reap_slabs(env);
        self.settle(result)
    }

    /// The state of a map, or `None` if there is no such map.
    pub fn map_state(&self, map: MapId) -> Option<MapState> {
        let mut state = MapState::default();
        self.map_state_into(map, &mut state).then_some(state)
    }

    /// Like [`Vm::map_state`], reusing `out`'s vectors; `false` if there is
    /// no such map (then `out` is left as it was).
    pub fn map_state_into(&self, map: MapId, out: &mut MapState) -> bool {
        self.map_state_and_list_into(map, out).is_some()
    }

    /// Like [`Vm::map_state_into`]; `None` if there is no such map, else
    /// whether the map's list is its entries themselves (the same entries
    /// in the same order, so that `out.list == out.entries`), which the
    /// harness then need not compare.
    pub fn map_state_and_list_into(&self, map: MapId, out: &mut MapState) -> Option<bool> {
        let index = self.map_index(map)?;
        Some(self.fill_map_state(index, out))
    }

    /// Reads map `map` through `rewrite`, over its last read, writing only
    /// from where the two first differ ([`crate::MapRewrite`]). A map that
    /// does not exist reads as the default state.
    pub fn map_state_rewrite(&self, map: MapId, rewrite: MapRewrite<'_>) -> ReadDifference {
        match self.map_index(map) {
            Some(index) => self.rewrite_map_state(index, rewrite),
            None => rewrite.replay(&MapState::default(), false),
        }
    }

    /// What the port keeps about a map besides its state (its pmap, where
    /// it and its entries live), or `None` if there is no such map. The
    /// oracles never compare these.
    pub fn map_internals(&self, map: MapId) -> Option<MapInternals> {
        self.map_index(map).map(|index| self.internals(index))
    }

    /// The kentry allocator's descriptor table and free list.
    pub fn kentry_state(&self) -> KentryState {
        let mut state = KentryState::default();
        self.kentry_state_into(&mut state);
        state
    }

    /// Like [`Vm::kentry_state`], reusing `state`'s vectors (the harness
    /// reads it after most operations).
    pub fn kentry_state_into(&self, state: &mut KentryState) {
        self.kentry.fill_state(state);
        state.entry_storage.clear();
        // A set-up port always has its kernel map.
        state.entry_storage.extend(self.entry_storage(KERNEL_MAP));
    }

    /// How many kentry slab descriptors hold the allocated marker (what
    /// [`Vm::kentry_state`] lists, without building the free list).
    pub fn kentry_allocated_count(&self) -> usize {
        self.kentry.allocated_count()
    }

    /// Sets the most loop steps (entries visited by a search, a remove or a
    /// printout, and a search's retries) one operation may take before it
    /// fails with [`Failure::OverBudget`]; `None` is no limit. A harness
    /// sets one so that a port that would loop forever reports it.
    pub fn set_loop_budget(&mut self, budget: Option<u64>) {
        self.loop_budget = budget;
    }

    /// The number of maps, the kernel map included.
    pub fn map_count(&self) -> u32 {
        self.maps.len() as u32
    }

    /// The caches `vm_map_setup` created.
    pub fn caches(&self) -> Caches {
        self.caches
    }

    /// Whether a terminal failure killed the port.
    pub fn is_dead(&self) -> bool {
        self.dead
    }

    /// `vm_map_enter` on a request built from its arguments.
    pub(crate) fn enter_request<E: Environment>(
        &mut self,
        env: &mut E,
        map: usize,
        mut request: Request,
    ) -> Result<u64, Failure> {
        // For now the C forbids managed mappings in the kernel map.
        if map == KERNEL_MAP && request.object.is_some() {
            return Err(Error::Inval.into());
        }
        match self.prepare(map, &mut request) {
            Ok(()) => {}
            Err(Failure::Error(error)) => {
                self.reset_find_cache(map);
                return Err(error.into());
            }
            Err(failure) => return Err(failure),
        }
        self.insert(env, map, None, &request)?;
        Ok(request.start)
    }

    /// The body of [`Vm::create_map`].
    fn create_map_inner<E: Environment>(&mut self, env: &mut E) -> Result<MapId, Failure> {
        let Some(address) = self.kmem_cache_alloc(env, self.caches.map)? else {
            return Err(Error::NoMem.into());
        };
        match env.pmap_create() {
            Ok(pmap) => {
                let id = MapId(self.maps.len() as u32);
                self.maps.push(Map::new(
                    pmap,
                    VM_MIN_ADDRESS,
                    VM_MAX_ADDRESS,
                    Some(address),
                ));
                Ok(id)
            }
            Err(error) => {
                env.kmem_cache_free(self.caches.map, address);
                Err(error.into())
            }
        }
    }

    /// The index of a map, if it exists.
    fn map_index(&self, map: MapId) -> Option<usize> {
        let index = usize::try_from(map.0).ok()?;
        (index < self.maps.len()).then_some(index)
    }

    /// Refuses every operation once the port is dead.
    fn check_alive(&self) -> Result<(), Failure> {
        if self.dead {
            Err(Failure::Dead)
        } else {
            Ok(())
        }
    }

    /// The index of a live port's map.
    fn check_map(&self, map: MapId) -> Result<usize, Failure> {
        self.check_alive()?;
        self.map_index(map).ok_or(Failure::NoSuchMap(map))
    }

    /// Runs an operation on an existing map of a live port (given the map's
    /// index) and settles its result, as every operation on a map starts
    /// and ends the same way.
    fn on_map<T>(
        &mut self,
        map: MapId,
        operation: impl FnOnce(&mut Vm, usize) -> Result<T, Failure>,
    ) -> Result<T, Failure> {
        let map = self.check_map(map)?;
        let result = operation(self, map);
        self.settle(result)
    }

    /// Counts one step of a loop that only the map's structure ends (a
    /// search's walk and retries, a remove's walk, a printout); past the
    /// budget the operation fails with [`Failure::OverBudget`].
    pub(crate) fn count_loop_step(&mut self) -> Result<(), Failure> {
        self.loop_steps += 1;
        match self.loop_budget {
            Some(budget) if self.loop_steps > budget => Err(Failure::OverBudget),
            _ => Ok(()),
        }
    }

    /// Marks the port dead on a terminal failure, and starts the next
    /// operation's loop count afresh.
    fn settle<T>(&mut self, result: Result<T, Failure>) -> Result<T, Failure> {
        self.loop_steps = 0;
        if let Err(failure) = &result {
            if failure.is_terminal() {
                self.dead = true;
            }
        }
        result
    }
}
