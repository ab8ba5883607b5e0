//! [`CReference`]: the one C instance of this process, set up on a
//! simulated machine, driven operation by operation.
//!
//! vm_map.c keeps global state, so there is one C instance per process. A
//! `CReference` owns it, holding a process-wide lock for its whole life:
//! tests running in parallel threads wait for each other in
//! [`CReference::new`]. Operations report what happened as an [`Outcome`].

use std::sync::{Mutex, MutexGuard};

use bindings::cref_outcome;
use sim::{
    FaultPlan, Machine, MachineConfig, ObjectId, PmapId, KERNEL_START, MAX_KERNEL_SIZE_BYTES,
};
use vm_rs::env::Environment;
use vm_rs::{KentryState, MapRewrite, MapState, ReadDifference};

use crate::host_memory;
use crate::outcome::{self, Outcome};
use crate::services::{self, InstalledMachine};
use crate::snapshot;

/// Serialises every use of the C instance in this process.
static INSTANCE_LOCK: Mutex<()> = Mutex::new(());

/// A map of the C instance: 0 is the kernel map, then user maps in creation
/// order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct MapHandle(pub u32);

impl MapHandle {
    /// The kernel map.
    pub const KERNEL: MapHandle = MapHandle(0);
}

/// The C instance of vm_map.c and the simulated machine it runs on.
pub struct CReference {
    machine: Box<Machine>,
    /// Machines of other configurations, kept so that alternating presets
    /// does not rebuild (and re-zero) a machine on every reset. Nothing of
    /// the C points into them: set-up starts the C over.
    spare_machines: Vec<Machine>,
    /// Filled by every C operation; kept to avoid a fresh one per call.
    outcome: Box<cref_outcome>,
    /// Held for the instance's whole life (see the module documentation).
    _instance: MutexGuard<'static, ()>,
}

impl CReference {
    /// Waits for the process's C instance, builds a machine of `config`
    /// with fault `plan` and runs `vm_map_setup` on it. The outcome says
    /// whether the set-up worked (it panics the C way on machines too small
    /// for it); the instance is usable only if it is `Ok`.
    ///
    /// # Panics
    /// When the kernel map's host memory cannot be reserved, or `config`'s
    /// kernel map does not fit in it: nothing can run then. Calling this on
    /// a thread that already holds a `CReference` deadlocks.
    pub fn new(config: MachineConfig, plan: FaultPlan) -> (CReference, Outcome<()>) {
        if let Err(error) = host_memory::ensure_reserved() {
            panic!("c-reference: {error}");
        }
        check_fits(&config);
        crate::freed_check::check_shadow_mapping();
        let instance = INSTANCE_LOCK
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let mut reference = CReference {
            machine: Box::new(Machine::new(config)),
            spare_machines: Vec::new(),
            outcome: Box::default(),
            _instance: instance,
        };
        let setup = reference.set_up(plan);
        (reference, setup)
    }

    /// Starts over: the machine returns to its boot state with `plan` (a new
    /// machine is built only when `config` differs), and `vm_map_setup`
    /// runs again. Everything the previous instance had is forgotten.
    ///
    /// # Panics
    /// When `config`'s kernel map does not fit in the host memory.
    pub fn reset(&mut self, config: &MachineConfig, plan: FaultPlan) -> Outcome<()> {
        check_fits(config);
        self.machine.switch_config(config, &mut self.spare_machines);
        self.set_up(plan)
    }

    fn set_up(&mut self, plan: FaultPlan) -> Outcome<()> {
        // A machine failure is always reported by the operation it ended;
        // drop any note left over so it cannot leak into this instance.
        let _ = services::take_host_failure();
        self.machine.reset(plan);
        let (kernel_min, kernel_max) = self.machine.kernel_map_bounds();
        self.run(|outcome| {
            // SAFETY: cref_setup may be called at any time; the outcome
            // pointer is valid for the call.
            unsafe { bindings::cref_setup(outcome, kernel_min, kernel_max) }
        });
        self.outcome_of(|_| ())
    }

    /// Runs one C operation with the machine installed for the services.
    fn run(&mut self, operation: impl FnOnce(*mut cref_outcome)) {
        let outcome: *mut cref_outcome = &mut *self.outcome;
        let _installed = InstalledMachine::install(&mut self.machine);
        operation(outcome);
    }

    fn outcome_of<T>(&self, value: impl FnOnce(u64) -> T) -> Outcome<T> {
        let host_failure =
            if self.outcome.kind == bindings::cref_outcome_kind::CREF_OUTCOME_PANICKED {
                services::take_host_failure()
            } else {
                None
            };
        outcome::from_c(&self.outcome, value, host_failure)
    }

    /// The simulated machine: trace, console, page tables, slabs.
    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    /// Whether an operation panicked since the last set-up (every further
    /// operation is then refused with [`crate::Refusal::Dead`]).
    pub fn is_dead(&self) -> bool {
        // SAFETY: a plain read of entry-layer state; no operation runs.
        unsafe { bindings::cref_is_dead() != 0 }
    }

    /// `vm_map_create`: the new map's handle.
    pub fn create_map(&mut self) -> Outcome<MapHandle> {
        // SAFETY: the outcome pointer is valid for the call.
        self.run(|outcome| unsafe { bindings::cref_create_map(outcome) });
        self.outcome_of(|handle| MapHandle(handle as u32))
    }

    /// A new anonymous object (its pager allocates pages on faults).
    pub fn create_object(&mut self) -> Outcome<ObjectId> {
        // SAFETY: the outcome pointer is valid for the call.
        self.run(|outcome| unsafe { bindings::cref_create_object(outcome) });
        self.outcome_of(|id| ObjectId(id as u32))
    }

    /// `vm_map_enter(map, object, offset, &start, size, align, flags)`, with
    /// `start` as the address hint (or the fixed address with
    /// `VM_MAP_FIXED`): the chosen start.
    #[allow(clippy::too_many_arguments)]
    pub fn enter(
        &mut self,
        map: MapHandle,
        object: Option<ObjectId>,
        offset: u64,
        start: u64,
        size_bytes: u64,
        align_bytes: u64,
        flags: i32,
    ) -> Outcome<u64> {
        let (has_object, object_id) = match object {
            Some(id) => (1, id.0),
            None => (0, 0),
        };
        self.run(|outcome| {
            // SAFETY: the outcome pointer is valid for the call; the entry
            // layer checks the handles.
            unsafe {
                bindings::cref_enter(
                    outcome,
                    map.0,
                    has_object,
                    object_id,
                    offset,
                    start,
                    size_bytes as usize,
                    align_bytes as usize,
                    flags,
                )
            }
        });
        self.outcome_of(|chosen_start| chosen_start)
    }

    /// `vm_map_remove(map, start, end)`.
    pub fn remove(&mut self, map: MapHandle, start: u64, end: u64) -> Outcome<()> {
        // SAFETY: the outcome pointer is valid for the call.
        self.run(|outcome| unsafe { bindings::cref_remove(outcome, map.0, start, end) });
        self.outcome_of(|_| ())
    }

    /// `vm_map_fault(map, addr, access)`.
    pub fn fault(&mut self, map: MapHandle, addr: u64, access: i32) -> Outcome<()> {
        // SAFETY: the outcome pointer is valid for the call.
        self.run(|outcome| unsafe { bindings::cref_fault(outcome, map.0, addr, access) });
        self.outcome_of(|_| ())
    }

    /// `vm_map_info(map)`: prints the map on the machine's console.
    pub fn info(&mut self, map: MapHandle) -> Outcome<()> {
        // SAFETY: the outcome pointer is valid for the call.
        self.run(|outcome| unsafe { bindings::cref_info(outcome, map.0) });
        self.outcome_of(|_| ())
    }

    /// Hands every empty slab back to its back end (kentry slabs through
    /// the seed's `vm_map_kentry_free`, others through `vm_kmem_free`).
    pub fn reap(&mut self) -> Outcome<()> {
        // SAFETY: the outcome pointer is valid for the call.
        self.run(|outcome| unsafe { bindings::cref_reap(outcome) });
        self.outcome_of(|_| ())
    }

    /// How many maps exist (the kernel map included); handles are
    /// `0..map_count()`. 0 when the set-up did not complete.
    pub fn map_count(&self) -> u32 {
        // SAFETY: a plain read of entry-layer state; no operation runs.
        unsafe { bindings::cref_map_count() }
    }

    /// The state of `map`, or `None` for an unknown handle.
    pub fn map_state(&self, map: MapHandle) -> Option<MapState> {
        let mut state = MapState::default();
        self.map_state_into(map, &mut state).then_some(state)
    }

    /// Like [`CReference::map_state`], reusing `state`'s vectors; false
    /// (and `state` untouched) for an unknown handle.
    pub fn map_state_into(&self, map: MapHandle, state: &mut MapState) -> bool {
        self.map_state_and_list_into(map, state).is_some()
    }

    /// Like [`CReference::map_state_into`]; `None` for an unknown handle,
    /// else whether the read found the list to be the entries themselves
    /// (the same C entries in the same order, so that `state.list ==
    /// state.entries`).
    pub fn map_state_and_list_into(&self, map: MapHandle, state: &mut MapState) -> Option<bool> {
        let map = self.map_pointer(map)?;
        // SAFETY: map_pointer returns live maps of the instance, and holding
        // &self (with the instance lock) means no operation runs.
        Some(unsafe { snapshot::read_map(map, state) })
    }

    /// Reads `map` through `rewrite`, over its last read, writing only
    /// from where the two first differ ([`vm_rs::MapRewrite`]). An unknown
    /// handle reads as the default state.
    pub fn map_state_rewrite(&self, map: MapHandle, rewrite: MapRewrite<'_>) -> ReadDifference {
        match self.map_pointer(map) {
            // SAFETY: as in map_state_and_list_into.
            Some(map) => unsafe { snapshot::rewrite_map(map, rewrite) },
            None => rewrite.replay(&MapState::default(), false),
        }
    }

    /// The pmap of `map`, or `None` for an unknown handle or a null pmap
    /// pointer. The oracles never compare it; it is here for tests.
    pub fn map_pmap(&self, map: MapHandle) -> Option<PmapId> {
        let map = self.map_pointer(map)?;
        // SAFETY: as in map_state_into.
        unsafe { snapshot::read_pmap(map) }
    }

    /// The C map of a handle, `None` when unknown.
    fn map_pointer(&self, map: MapHandle) -> Option<*const bindings::vm_map> {
        // SAFETY: a plain read of entry-layer state; no operation runs.
        let map = unsafe { bindings::cref_map(map.0) };
        (!map.is_null()).then_some(map)
    }

    /// The seed's kentry slab table, or `None` when the set-up did not
    /// complete.
    pub fn kentry_state(&self) -> Option<KentryState> {
        let mut state = KentryState::default();
        self.kentry_state_into(&mut state).then_some(state)
    }

    /// Sets the most list steps (`list_next` calls of our `kern/list.h`,
    /// which the seed's searches and walks use) one operation may take;
    /// past it the operation panics with [`crate::LIST_BUDGET_MESSAGE`].
    /// `None` (the default) is no limit. It holds across set-ups.
    pub fn set_list_step_budget(&mut self, budget: Option<u64>) {
        // SAFETY: a plain write of entry-layer state; no operation runs.
        unsafe { bindings::cref_set_list_step_budget(budget.unwrap_or(0)) }
    }

    /// How many kentry slab descriptors are marked allocated (what
    /// [`CReference::kentry_state`] lists as allocated, without building
    /// the rest of it); `None` when it would be `None`.
    pub fn kentry_allocated_count(&self) -> Option<usize> {
        // SAFETY: a plain read of entry-layer state; no operation runs.
        if unsafe { bindings::cref_is_set_up() } == 0 {
            return None;
        }
        // SAFETY: the set-up completed, and holding &self (with the
        // instance lock) means no operation runs.
        unsafe { snapshot::read_kentry_allocated_count() }
    }

    /// Like [`CReference::kentry_state`], reusing `state`'s vector.
    pub fn kentry_state_into(&self, state: &mut KentryState) -> bool {
        // SAFETY: a plain read of entry-layer state; no operation runs.
        if unsafe { bindings::cref_is_set_up() } == 0 {
            return false;
        }
        // SAFETY: the set-up completed, and holding &self (with the
        // instance lock) means no operation runs.
        unsafe { snapshot::read_kentry_state(state) }
    }
}

/// Panics unless `config`'s kernel map lies inside the host reservation.
fn check_fits(config: &MachineConfig) {
    assert!(
        config.kernel_size_bytes <= MAX_KERNEL_SIZE_BYTES,
        "c-reference: a {} byte kernel map does not fit the {} bytes reserved at {:#x}",
        config.kernel_size_bytes,
        MAX_KERNEL_SIZE_BYTES,
        KERNEL_START
    );
}
