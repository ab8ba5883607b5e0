//! vm-diff's harness: the program language the fuzzer speaks, the two sides
//! it drives in lockstep, the oracles that compare them, the registry of
//! known divergences of the C original, and the reports. Each module
//! documents how it reports failure.

/// Implements `Display` for each listed type as its stable `name()`, the
/// text reports and signatures show; a macro because each is an impl of
/// its own.
macro_rules! display_as_name {
    ($($named:ty),+) => {
        $(impl std::fmt::Display for $named {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.name())
            }
        })+
    };
}

pub mod commands;
pub mod corpus;
pub mod digest;
pub mod explore;
pub mod fuzz;
pub mod invariants;
pub mod known;
pub mod map_reads;
pub mod mismatch;
pub mod observe;
pub mod oracle;
pub mod program;
pub mod render;
pub mod report;
pub mod runner;
pub mod shrink;
pub mod side;
pub mod spec_oracle;
