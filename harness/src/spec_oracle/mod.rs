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

pub mod translate;

use crate::observe::Outcome;
use crate::program::{MapRef, ResolvedOp};
use sim::{Event, Machine, MachineConfig, PmapId};
use spec::{Answer, Attributes, Broken, KernelLayout, Leaf, MapIndex, Mapping, Model, Rule};
use vm_rs::MapState;

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
}

/// One side's model, and what was last checked of its page tables.
#[derive(Default)]
struct SideModel {
    model: Option<Model>,
    /// The page-table digest of each map's pmap when last checked.
    checked_digests: Vec<u64>,
    mappings: Vec<Mapping>,
    leaves: Vec<Leaf>,
}

impl SpecOracle {
    /// Starts both models from the kernel's boot layout and checks set-up.
    pub fn setup(
        &mut self,
        config: &MachineConfig,
        c: &SideStep<'_>,
        rust: &SideStep<'_>,
    ) -> Option<SpecFinding> {
        let c_broken = self.c.setup(config, c).err();
        let rust_broken = self.rust.setup(config, rust).err();
        finding(c_broken, rust_broken)
    }

    /// Judges one operation on both sides. `scope` limits the map checks
    /// to the kernel map and that map (`None`: every map, every table).
    pub fn check(
        &mut self,
        op: &ResolvedOp,
        scope: Option<MapRef>,
        c: &SideStep<'_>,
        rust: &SideStep<'_>,
    ) -> Option<SpecFinding> {
        let c_broken = self.c.check(op, scope, c).err();
        let rust_broken = self.rust.check(op, scope, rust).err();
        finding(c_broken, rust_broken)
    }

    /// What the C side's model expects of `map`, for reports and pictures.
    pub fn expected_mappings(&self, map: MapRef) -> Vec<Mapping> {
        self.c.model.as_ref().map_or_else(Vec::new, |model| {
            model.expected_mappings(translate::map_index(map))
        })
    }
}

fn finding(c: Option<Broken>, rust: Option<Broken>) -> Option<SpecFinding> {
    (c.is_some() || rust.is_some()).then_some(SpecFinding { c, rust })
}

impl SideModel {
    fn setup(&mut self, config: &MachineConfig, side: &SideStep<'_>) -> Result<(), Broken> {
        self.checked_digests.clear();
        self.model = None;
        if side.outcome.is_terminal() {
            return Ok(());
        }
        let layout = kernel_layout(config, side.maps.first());
        self.model = Some(Model::new(layout));
        self.check_state(None, None, side)
    }

    fn check(
        &mut self,
        op: &ResolvedOp,
        scope: Option<MapRef>,
        side: &SideStep<'_>,
    ) -> Result<(), Broken> {
        let Some(model) = self.model.as_mut() else {
            return Ok(());
        };
        for request in translate::kernel_requests(side.events) {
            model.step(&request, &Answer::Done)?;
        }
        let request = translate::request_of(op);
        if let (Some(request), Some(answer)) = (request, translate::answer_of(side.outcome)) {
            model.step(&request, &answer)?;
        }
        // A panic or a refused precondition leaves the kernel where it
        // stopped: the program ends there and its state is not judged.
        if side.outcome.is_terminal() {
            self.model = None;
            return Ok(());
        }
        self.check_state(Some(op), scope, side)
    }

    /// Checks the maps in scope and the page tables that may have changed.
    fn check_state(
        &mut self,
        op: Option<&ResolvedOp>,
        scope: Option<MapRef>,
        side: &SideStep<'_>,
    ) -> Result<(), Broken> {
        let Some(model) = self.model.as_mut() else {
            return Ok(());
        };
        self.checked_digests.resize(side.maps.len(), 0);
        for (index, map) in side.maps.iter().enumerate() {
            let in_scope = scope.is_none_or(|scope| index == 0 || index == scope.0 as usize);
            if !in_scope {
                continue;
            }
            let map_index = MapIndex(index as u32);
            self.mappings.clear();
            self.mappings
                .extend(map.entries.iter().map(translate::mapping_of));
            model.check_map(map_index, &self.mappings)?;
            let pmap = PmapId(index as u32);
            let digest = side.machine.page_table_digest(pmap);
            let touched = op.is_none_or(|op| touches(op, index)) || scope.is_none();
            if touched || digest != self.checked_digests[index] {
                translate::leaves_of(&side.machine.page_table_entries(pmap), &mut self.leaves);
                model.check_page_table(map_index, &self.leaves)?;
                self.checked_digests[index] = digest;
            }
        }
        Ok(())
    }
}

/// Whether `op` names map `index` (its page table must be re-checked even
/// if the table did not change: a remove changes which leaves are allowed).
fn touches(op: &ResolvedOp, index: usize) -> bool {
    match *op {
        ResolvedOp::Enter { map, .. }
        | ResolvedOp::Remove { map, .. }
        | ResolvedOp::Fault { map, .. } => map.0 as usize == index,
        ResolvedOp::CreateMap => true,
        _ => false,
    }
}

/// The kernel map at boot: its bounds, the boot space (from the machine's
/// configuration) and the kentry area, whose place the implementation
/// chooses (the first entry after the boot space, as the side shows it)
/// and whose size is X15's.
fn kernel_layout(config: &MachineConfig, kernel_map: Option<&MapState>) -> KernelLayout {
    let (boot_start, boot_end) = config.boot_space();
    let kentry_start = kernel_map
        .and_then(|map| map.entries.iter().find(|entry| entry.start != boot_start))
        .map_or(boot_end, |entry| entry.start);
    let fixed = |start: u64, end: u64| Mapping {
        start,
        end,
        offset: 0,
        attributes: KERNEL_STATIC_ATTRIBUTES,
    };
    KernelLayout {
        start: sim::KERNEL_START,
        end: config.kernel_end(),
        fixed: vec![
            fixed(boot_start, boot_end),
            fixed(kentry_start, kentry_start.wrapping_add(KENTRY_AREA_BYTES)),
        ],
    }
}
