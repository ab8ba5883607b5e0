//! The port on its simulated machine: a [`vm_rs::Vm`] driven on a
//! [`sim::Machine`], each of the port's operations a plain function.
//!
//! Why a crate of its own: the port's operations are generic over the
//! machine they run on, so the compiler builds them in the crate that names
//! the machine. Naming it here builds the port's code, and the machine's
//! code the port inlines, in this crate, which libFuzzer builds instrument
//! for coverage like the port and the machine themselves; the harness,
//! which only observes the two sides, is built without coverage
//! instrumentation (`fuzz/rustc-wrapper`). Nothing here decides anything:
//! each function passes its arguments to the port with the machine, and
//! reports failure as the port does, a [`Failure`].

use sim::{FaultPlan, Machine, MachineConfig, ObjectId};
use vm_rs::{CBugs, Failure, MapFlags, MapId, Protection, Vm};

/// The port, when set up, and the machine it runs on.
pub struct PortOnMachine {
    machine: Machine,
    /// Machines of other configurations, kept so that alternating presets
    /// does not rebuild a machine on every set-up.
    spare_machines: Vec<Machine>,
    vm: Option<Vm>,
}

impl PortOnMachine {
    /// A machine of the given configuration, the port not yet set up.
    pub fn new(config: &MachineConfig) -> PortOnMachine {
        PortOnMachine {
            machine: Machine::new(config.clone()),
            spare_machines: Vec::new(),
            vm: None,
        }
    }

    /// The machine.
    pub fn machine(&self) -> &Machine {
        &self.machine
    }

    /// The port, if its last set-up succeeded.
    pub fn vm(&self) -> Option<&Vm> {
        self.vm.as_ref()
    }

    /// Switches the machine to `config`, resets it with `plan` and sets the
    /// port up afresh on it (`vm_map_setup`), reproducing the C's `bugs`
    /// and giving up after `loop_budget` steps of any one loop.
    pub fn setup(
        &mut self,
        config: &MachineConfig,
        plan: FaultPlan,
        bugs: CBugs,
        loop_budget: Option<u64>,
    ) -> Result<(), Failure> {
        self.machine.switch_config(config, &mut self.spare_machines);
        self.machine.reset(plan);
        self.vm = None;
        self.vm = Some(Vm::setup_with_loop_budget(
            &mut self.machine,
            bugs,
            loop_budget,
        )?);
        Ok(())
    }

    /// The port set up, or [`Failure::Dead`] when its set-up failed.
    fn vm_mut(&mut self) -> Result<(&mut Vm, &mut Machine), Failure> {
        match self.vm.as_mut() {
            Some(vm) => Ok((vm, &mut self.machine)),
            None => Err(Failure::Dead),
        }
    }

    /// `vm_map_create`: a new user map.
    pub fn create_map(&mut self) -> Result<MapId, Failure> {
        let (vm, machine) = self.vm_mut()?;
        vm.create_map(machine)
    }

    /// A new object on the machine. The object is the machine's, but a dead
    /// instance runs nothing, as the C's entry layer refuses everything
    /// after a panic.
    pub fn create_object(&mut self) -> Result<ObjectId, Failure> {
        let (vm, machine) = self.vm_mut()?;
        if vm.is_dead() {
            return Err(Failure::Dead);
        }
        Ok(machine.object_create())
    }

    /// `vm_map_enter`, argument for argument; the start it chose.
    #[allow(clippy::too_many_arguments)] // The C's signature, argument for argument.
    pub fn enter(
        &mut self,
        map: MapId,
        object: Option<ObjectId>,
        offset: u64,
        start: u64,
        size: u64,
        align: u64,
        flags: MapFlags,
    ) -> Result<u64, Failure> {
        let (vm, machine) = self.vm_mut()?;
        vm.enter(machine, map, object, offset, start, size, align, flags)
    }

    /// `vm_map_remove`.
    pub fn remove(&mut self, map: MapId, start: u64, end: u64) -> Result<(), Failure> {
        let (vm, machine) = self.vm_mut()?;
        vm.remove(machine, map, start, end)
    }

    /// A page fault at `addr` of map `map`, for `access`.
    pub fn fault(&mut self, map: MapId, addr: u64, access: Protection) -> Result<(), Failure> {
        let (vm, machine) = self.vm_mut()?;
        vm.fault(machine, map, addr, access)
    }

    /// The reap operation: the caches give their free slabs back.
    pub fn reap(&mut self) -> Result<(), Failure> {
        let (vm, machine) = self.vm_mut()?;
        vm.reap(machine)
    }

    /// `vm_map_info`: the map printed on the machine's console.
    pub fn info(&mut self, map: MapId) -> Result<(), Failure> {
        let (vm, machine) = self.vm_mut()?;
        vm.info(machine, map)
    }
}
