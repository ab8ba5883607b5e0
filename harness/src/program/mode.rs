//! The port's mode, part of a program's configuration: bug for bug (the
//! port reproduces every registered bug of the C, which proves the
//! translation) or fixed (the port a kernel would ship, which differs from
//! the C exactly where the registry says). Nothing here fails.

use vm_rs::CBugs;

/// Which port runs against the C.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum PortMode {
    /// Every switch of [`CBugs`] on: the port does what the C does, bugs
    /// included; comparison stops where a registered bug shows.
    #[default]
    BugForBug,
    /// Every switch off: where the C shows a registered bug the port does
    /// what the specification says, the C is retired and the port goes on
    /// against the specification alone.
    Fixed,
}

impl PortMode {
    /// Both modes, in encoding order.
    pub const ALL: [PortMode; 2] = [PortMode::BugForBug, PortMode::Fixed];

    /// The mode's word in the text form (`mode fixed`).
    pub fn name(self) -> &'static str {
        match self {
            PortMode::BugForBug => "bug-for-bug",
            PortMode::Fixed => "fixed",
        }
    }

    /// The mode a text word names.
    pub fn from_name(name: &str) -> Option<PortMode> {
        PortMode::ALL.into_iter().find(|mode| mode.name() == name)
    }

    /// The port's switches in this mode.
    pub fn bugs(self) -> CBugs {
        match self {
            PortMode::BugForBug => CBugs::BUG_FOR_BUG,
            PortMode::Fixed => CBugs::FIXED,
        }
    }
}
