//! The program language: what the fuzzer's bytes mean.
//!
//! A [`Program`] is a machine preset, the port's mode ([`PortMode`]), a
//! lockstep fault plan, a swarm mask and
//! up to [`MAX_OPS`] operations on the maps of one simulated machine. Its
//! operands are selectors ([`AddrSel`], [`SizeSel`], ...) that name places
//! relative to the current state (an entry's edge, a gap, the map's end, a
//! nearby page), so that exact fits, adjacency, merges and clips are common.
//! The runner turns each [`Op`] into concrete numbers with [`Op::resolve`]
//! against a [`StateView`] just before running it on both sides.
//!
//! There are three forms of a program, and each converts to the others:
//!
//! - bytes: [`Program::decode`] never fails and never panics, whatever the
//!   input, so the fuzzer wastes no executions; [`Program::encode`] writes
//!   bytes that decode to the same program;
//! - text, one operation per line ([`Program::parse_text`] and `Display`),
//!   for regression files and reports; it does not depend on the byte layout;
//! - resolved operations ([`ResolvedOp`]), what actually runs.
//!
//! Failure reporting: decoding and resolution have no failure; parsing text
//! returns a [`ParseError`] with the line and column of the problem; values
//! outside the language's bounds are reported by [`Program::check_bounds`].

mod codec;
mod mode;
mod ops;
mod resolve;
mod text;

#[cfg(test)]
mod tests;

pub use mode::PortMode;
pub use ops::{
    AddrSel, AlignSel, Anchor, EnterArgs, FaultArgs, MapSel, ObjectSel, Op, OpKind, RemoveArgs,
    Repeated, SizeSel, ValueSel, MAX_ADVICE, MAX_ALIGN_SHIFT, MAX_INDEX, MAX_INHERIT,
    MAX_MAP_NUMBER, MAX_PAGES, MAX_REPEAT, MAX_STEPS, PROT_ALL,
};
pub use resolve::{EnterRequest, MapRef, ResolvedOp, SkipReason, StateView, Violation};
pub use text::{HeaderLine, ParseError};

/// The version of the byte encoding this code writes (as the first byte)
/// and reads. Change it whenever a byte string would decode to another
/// program than before: `corpus/fuzz.digest` records the version its inputs
/// were saved in, and `vm-diff migrate` rewrites them from an older one (see
/// `codec.rs` on how a version adds a field).
pub const CURRENT_VERSION: u8 = 3;

/// The oldest byte-encoding version [`Program::decode_version`] still
/// reads, for `vm-diff migrate`.
pub const OLDEST_READABLE_VERSION: u8 = 1;

/// The version of the text form (`# vm-diff program v1`), apart from the
/// byte encoding's: a configuration setting added with a default (a line
/// that may be left out) keeps the text version, so regression files stay
/// valid; only a change of meaning of existing text bumps it.
pub const TEXT_VERSION: u8 = 1;

/// The largest number of operations in one program.
pub const MAX_OPS: usize = 64;

/// The largest number of failing allocations of each kind in a fault plan.
pub const MAX_PLANNED_FAILURES: usize = 4;

/// The largest allocation number a fault plan can name (numbers start at 1).
pub const MAX_FAILING_ALLOC: u32 = 64;

/// The size of a page in bytes (X15's `PAGE_SIZE` on x86_64, as the port
/// states it).
pub use vm_rs::PAGE_SIZE;

/// A machine configuration both sides start from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum MachinePreset {
    /// Very little physical memory, so that exhaustion paths run.
    Tiny,
    /// The normal kernel map with little physical memory, so that growing
    /// the kentry cache, the entry caches and the page tables runs out of
    /// pages within a few dozen operations (encoding version 3 on).
    Scarce,
    /// Enough memory that only the fault plan makes allocations fail.
    #[default]
    Normal,
}

impl MachinePreset {
    /// Every preset, in the text form's order.
    pub const ALL: [MachinePreset; 3] = [
        MachinePreset::Tiny,
        MachinePreset::Scarce,
        MachinePreset::Normal,
    ];

    /// The preset's name in the text form (`machine tiny`).
    pub const fn name(self) -> &'static str {
        match self {
            MachinePreset::Tiny => "tiny",
            MachinePreset::Scarce => "scarce",
            MachinePreset::Normal => "normal",
        }
    }
}

/// The allocation numbers (1-based, in the order the side makes them) that a
/// fault plan makes fail: at most [`MAX_PLANNED_FAILURES`], stored inline so
/// that decoding allocates nothing but the operation list.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FailureList {
    len: u8,
    numbers: [u32; MAX_PLANNED_FAILURES],
}

impl FailureList {
    /// An empty list.
    pub const EMPTY: FailureList = FailureList {
        len: 0,
        numbers: [0; MAX_PLANNED_FAILURES],
    };

    /// Appends `number`; returns `false` (and changes nothing) when full.
    pub fn push(&mut self, number: u32) -> bool {
        let index = usize::from(self.len);
        if index == MAX_PLANNED_FAILURES {
            return false;
        }
        self.numbers[index] = number;
        self.len += 1;
        true
    }

    /// The allocation numbers in the order they were given.
    pub fn as_slice(&self) -> &[u32] {
        &self.numbers[..usize::from(self.len)]
    }
}

impl std::ops::Deref for FailureList {
    type Target = [u32];

    fn deref(&self) -> &[u32] {
        self.as_slice()
    }
}

impl std::fmt::Debug for FailureList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.as_slice()).finish()
    }
}

/// Lockstep fault injection: both sides fail the same numbered allocations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub struct FaultPlanSpec {
    /// Physical page allocations (`vm_phys_alloc`) that fail.
    pub failing_phys_allocs: FailureList,
    /// Slab cache allocations (`kmem_cache_alloc`) that fail.
    pub failing_cache_allocs: FailureList,
}

impl FaultPlanSpec {
    /// Whether the plan makes nothing fail.
    pub fn is_empty(&self) -> bool {
        self.failing_phys_allocs.is_empty() && self.failing_cache_allocs.is_empty()
    }
}

/// The set of operation kinds a program may contain (swarm testing): a
/// bitmask with one bit per [`OpKind`], never empty.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct KindMask(u8);

impl KindMask {
    /// Every kind enabled.
    pub const ALL: KindMask = KindMask((1 << OpKind::COUNT) - 1);

    /// The mask with these bits, or `None` when it would be empty or has
    /// bits beyond the known kinds.
    pub fn from_bits(bits: u8) -> Option<KindMask> {
        (bits != 0 && bits & !Self::ALL.0 == 0).then_some(KindMask(bits))
    }

    /// The mask's bits (bit `k` is `OpKind::ALL[k]`).
    pub fn bits(self) -> u8 {
        self.0
    }

    /// Whether `kind` is enabled.
    pub fn contains(self, kind: OpKind) -> bool {
        self.0 & kind.bit() != 0
    }

    /// The mask with `kind` enabled as well.
    pub fn with(self, kind: OpKind) -> KindMask {
        KindMask(self.0 | kind.bit())
    }
}

impl Default for KindMask {
    fn default() -> Self {
        KindMask::ALL
    }
}

/// A whole fuzz input: configuration and operations.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Default)]
pub struct Program {
    /// The encoding version; always [`CURRENT_VERSION`] once decoded or
    /// parsed (inputs of unknown versions decode with the current layout).
    pub version: u8,
    /// The machine both sides start from.
    pub machine: MachinePreset,
    /// Which port runs against the C (encoding version 2 on).
    pub mode: PortMode,
    /// Which allocations fail, on both sides alike.
    pub fault_plan: FaultPlanSpec,
    /// The operation kinds this program may contain.
    pub swarm: KindMask,
    /// The operations, at most [`MAX_OPS`], each of a kind in `swarm`.
    pub ops: Vec<Op>,
}

impl Program {
    /// Every operation the program runs, in order, with its index in
    /// `ops`: a repeat yields its body `count` times. At most
    /// [`MAX_STEPS`] in all.
    pub fn steps(&self) -> impl Iterator<Item = (usize, Op)> + '_ {
        self.ops
            .iter()
            .enumerate()
            .flat_map(|(index, op)| std::iter::repeat_n((index, op.once()), op.count()))
            .take(MAX_STEPS)
    }

    /// How many operations [`Program::steps`] yields.
    pub fn step_count(&self) -> usize {
        self.ops.iter().map(Op::count).sum::<usize>().min(MAX_STEPS)
    }
}

/// A value outside the bounds of the language (see [`Program::check_bounds`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BoundsError {
    /// The operation at fault, or `None` for the program's configuration.
    pub op_index: Option<usize>,
    /// What is out of bounds.
    pub message: String,
}

impl std::fmt::Display for BoundsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.op_index {
            Some(index) => write!(f, "operation {index}: {}", self.message),
            None => f.write_str(&self.message),
        }
    }
}

impl std::error::Error for BoundsError {}

impl Program {
    /// An empty program on the normal machine with every kind enabled.
    pub fn new() -> Program {
        Program {
            version: CURRENT_VERSION,
            ..Program::default()
        }
    }

    /// Checks that every value is one the byte encoding can carry: at most
    /// [`MAX_OPS`] operations, each of an enabled kind, a fault plan of at
    /// most [`MAX_PLANNED_FAILURES`] numbers of each kind in
    /// `1..=MAX_FAILING_ALLOC`, and operands within [`Op::check_bounds`].
    /// Decoded and parsed programs always pass; a program that passes
    /// survives `decode(encode(p))` unchanged.
    pub fn check_bounds(&self) -> Result<(), BoundsError> {
        let config_error = |message: String| BoundsError {
            op_index: None,
            message,
        };
        if self.version != CURRENT_VERSION {
            return Err(config_error(format!(
                "version {} is not {CURRENT_VERSION}",
                self.version
            )));
        }
        if self.ops.len() > MAX_OPS {
            return Err(config_error(format!(
                "{} operations, at most {MAX_OPS}",
                self.ops.len()
            )));
        }
        let plan = &self.fault_plan;
        for &number in plan
            .failing_phys_allocs
            .iter()
            .chain(plan.failing_cache_allocs.iter())
        {
            if !(1..=MAX_FAILING_ALLOC).contains(&number) {
                return Err(config_error(format!(
                    "failing allocation {number} not in 1..={MAX_FAILING_ALLOC}"
                )));
            }
        }
        for (index, op) in self.ops.iter().enumerate() {
            let op_error = |message: String| BoundsError {
                op_index: Some(index),
                message,
            };
            if !self.swarm.contains(op.kind()) {
                return Err(op_error(format!(
                    "{} is disabled by the swarm mask",
                    op.kind().name()
                )));
            }
            op.check_bounds()
                .map_err(|message| op_error(message.to_string()))?;
        }
        Ok(())
    }
}

impl<'a> arbitrary::Arbitrary<'a> for Program {
    fn arbitrary(u: &mut arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        let bytes = <&'a [u8] as arbitrary::Arbitrary<'a>>::arbitrary(u)?;
        Ok(Program::decode(bytes))
    }

    fn arbitrary_take_rest(u: arbitrary::Unstructured<'a>) -> arbitrary::Result<Self> {
        Ok(Program::decode(u.take_rest()))
    }

    fn size_hint(_depth: usize) -> (usize, Option<usize>) {
        (0, None)
    }
}
