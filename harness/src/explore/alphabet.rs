//! The explorer's alphabet: the finite set of operations tried in a state,
//! written with the language's state-relative selectors (each entry's and
//! gap's edges, the map's edges, a page beside each), so that the same
//! alphabet means "every edge of this layout" in every state.
//!
//! [`Alphabet::operations`] lists the candidates for a state's layout in a
//! fixed order, resolves each against that layout, and keeps the first
//! operation of each distinct resolved operation: two selectors that name
//! the same address are one transition, not two. Operations that resolve
//! to nothing ([`ResolvedOp::Skip`]) are dropped, since they run on neither
//! side. Nothing here fails.

use std::collections::HashSet;

use crate::program::{
    AddrSel, AlignSel, Anchor, EnterArgs, FaultArgs, MapRef, MapSel, ObjectSel, Op, RemoveArgs,
    ResolvedOp, SizeSel, StateView, MAX_INDEX, PROT_ALL,
};
use crate::runner::{MapsView, Runner};
use crate::side::Side;
use vm_rs::MapState;

/// What the explorer tries in every state. Every list is in the order the
/// operations are tried, which is the order findings of equal length are
/// met in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Alphabet {
    /// `create-map` is offered while fewer user maps exist.
    pub max_user_maps: u32,
    /// `create-object` is offered while fewer objects exist.
    pub max_objects: u32,
    /// Whether enters and removes on the kernel map are offered (removes
    /// take back only what the program entered there).
    pub kernel_map: bool,
    /// Sizes in pages of the placement enters (gap-filling sizes come in
    /// addition).
    pub sizes_in_pages: Vec<u8>,
    /// Page offsets around each anchor tried as enter starts (0: the
    /// anchor itself).
    pub page_offsets: Vec<i8>,
    /// Alignments (powers of two of pages) of non-fixed one-page enters.
    pub align_shifts: Vec<u8>,
    /// Protections (with maxprot rwx) of one-page enters placed first-fit
    /// and just past each entry, besides rwx.
    pub prots: Vec<u8>,
    /// Accesses of faults on each entry's first and last page.
    pub accesses: Vec<u8>,
    /// Whether `reap` is offered.
    pub reap: bool,
    /// Whether `info` is offered on each map.
    pub info: bool,
}

impl Alphabet {
    /// The alphabet of `vm-diff explore`: up to two user maps and one
    /// object; enters of one and two pages at every edge, fixed or as a
    /// hint, gap-filling enters, two alignments, each protection, the
    /// object; removes over each entry and gap, clipping either end or
    /// both; faults with each access on each entry's first and last page
    /// and on a free page; reap and info.
    pub fn standard() -> Alphabet {
        Alphabet {
            max_user_maps: 2,
            max_objects: 1,
            kernel_map: true,
            sizes_in_pages: vec![1, 2],
            page_offsets: vec![0, -1, 1],
            align_shifts: vec![1, 4],
            prots: (0..PROT_ALL).collect(),
            accesses: (1..=PROT_ALL).collect(),
            reap: true,
            info: true,
        }
    }

    /// A small alphabet for tests: one user map, no object, one-page
    /// enters at the edges themselves, read faults.
    pub fn small() -> Alphabet {
        Alphabet {
            max_user_maps: 1,
            max_objects: 0,
            kernel_map: true,
            sizes_in_pages: vec![1],
            page_offsets: vec![0],
            align_shifts: Vec::new(),
            prots: vec![1],
            accesses: vec![1],
            reap: false,
            info: false,
        }
    }

    /// The operations tried in the state `layout` describes, each with a
    /// distinct resolved operation, in the alphabet's order.
    pub fn operations(&self, layout: &Layout) -> Vec<Op> {
        let mut resolved_seen = HashSet::new();
        self.candidates(layout)
            .into_iter()
            .filter(|op| {
                let resolved = op.resolve(&layout.view());
                !matches!(resolved, ResolvedOp::Skip { .. }) && resolved_seen.insert(resolved)
            })
            .collect()
    }

    fn candidates(&self, layout: &Layout) -> Vec<Op> {
        let mut ops = Vec::new();
        if layout.user_maps < self.max_user_maps {
            ops.push(Op::CreateMap);
        }
        if layout.objects < self.max_objects {
            ops.push(Op::CreateObject);
        }
        let kernel = self.kernel_map.then_some((MapSel::Kernel, MapRef::KERNEL));
        let users = (1..=layout.user_maps.min(u32::from(MAX_INDEX))).map(|number| {
            let number = u8::try_from(number).unwrap_or(MAX_INDEX);
            (MapSel::User(number), MapRef(u32::from(number)))
        });
        for (selector, map) in kernel.into_iter().chain(users) {
            let shape = layout.shape(map);
            self.enters(selector, shape, layout.objects, &mut ops);
            removes(selector, shape, &mut ops);
            if !map.is_kernel() {
                self.faults(selector, shape, &mut ops);
            }
            if self.info {
                ops.push(Op::Info { map: selector });
            }
        }
        if self.reap {
            ops.push(Op::Reap);
        }
        ops
    }

    fn enters(&self, map: MapSel, shape: Shape, objects: u32, ops: &mut Vec<Op>) {
        let base = EnterArgs {
            map,
            ..EnterArgs::default()
        };
        for &pages in &self.sizes_in_pages {
            let size = SizeSel::Pages(pages);
            ops.push(Op::Enter(EnterArgs { size, ..base }));
            for start in shape.anchors().flat_map(|anchor| self.near(anchor)) {
                for fixed in [true, false] {
                    ops.push(Op::Enter(EnterArgs {
                        start,
                        size,
                        fixed,
                        ..base
                    }));
                }
            }
        }
        for gap in shape.gap_indices() {
            let size = SizeSel::GapSize(gap);
            ops.push(Op::Enter(EnterArgs { size, ..base }));
            let start = AddrSel::At(Anchor::GapStart(gap));
            ops.push(Op::Enter(EnterArgs {
                start,
                size,
                fixed: true,
                ..base
            }));
        }
        for &shift in &self.align_shifts {
            let align = AlignSel::PageShift(shift);
            ops.push(Op::Enter(EnterArgs { align, ..base }));
        }
        // Attributes are varied at two places: first fit, and fixed just
        // past each entry, where a null mapping may merge with it.
        let places = std::iter::once((AddrSel::Zero, false)).chain(
            shape
                .entry_indices()
                .map(|entry| (AddrSel::At(Anchor::EntryEnd(entry)), true)),
        );
        for (start, fixed) in places {
            let at = EnterArgs {
                start,
                fixed,
                ..base
            };
            for &prot in &self.prots {
                ops.push(Op::Enter(EnterArgs { prot, ..at }));
            }
            for object in 0..objects.min(u32::from(MAX_INDEX) + 1) {
                let object = ObjectSel::Nth(object as u8);
                ops.push(Op::Enter(EnterArgs { object, ..at }));
            }
        }
    }

    fn near(&self, anchor: Anchor) -> impl Iterator<Item = AddrSel> + '_ {
        self.page_offsets.iter().map(move |&offset| match offset {
            0 => AddrSel::At(anchor),
            _ => AddrSel::Near(anchor, offset),
        })
    }

    fn faults(&self, map: MapSel, shape: Shape, ops: &mut Vec<Op>) {
        let pages = shape.entry_indices().flat_map(|entry| {
            [
                AddrSel::At(Anchor::EntryStart(entry)),
                AddrSel::Near(Anchor::EntryEnd(entry), -1),
            ]
        });
        for addr in pages {
            for &access in &self.accesses {
                ops.push(Op::Fault(FaultArgs {
                    map,
                    addr,
                    access,
                    invalid: false,
                }));
            }
        }
        // A fault on a free page: the unmapped case.
        if let Some(gap) = shape.gap_indices().next() {
            ops.push(Op::Fault(FaultArgs {
                map,
                addr: AddrSel::At(Anchor::GapStart(gap)),
                access: 1,
                invalid: false,
            }));
        }
    }
}

/// Removes over each entry and gap, clipping each end of an entry, its
/// middle, an entry with its neighbourhood, two neighbouring entries, and
/// the whole map.
fn removes(map: MapSel, shape: Shape, ops: &mut Vec<Op>) {
    let mut range = |start, end| {
        ops.push(Op::Remove(RemoveArgs {
            map,
            start,
            end,
            invalid: false,
        }))
    };
    for entry in shape.entry_indices() {
        let (start, end) = (Anchor::EntryStart(entry), Anchor::EntryEnd(entry));
        range(AddrSel::At(start), AddrSel::At(end));
        range(AddrSel::At(start), AddrSel::Near(start, 1));
        range(AddrSel::Near(end, -1), AddrSel::At(end));
        range(AddrSel::Near(start, 1), AddrSel::Near(end, -1));
        range(AddrSel::Near(start, -1), AddrSel::Near(end, 1));
        if usize::from(entry) + 1 < shape.entries {
            range(AddrSel::At(start), AddrSel::At(Anchor::EntryEnd(entry + 1)));
        }
    }
    for gap in shape.gap_indices() {
        range(
            AddrSel::At(Anchor::GapStart(gap)),
            AddrSel::At(Anchor::GapEnd(gap)),
        );
    }
    range(AddrSel::At(Anchor::MapStart), AddrSel::At(Anchor::MapEnd));
}

/// How many entries and non-empty gaps a map has (at most
/// [`MAX_INDEX`]` + 1` of each are named).
#[derive(Debug, Clone, Copy)]
struct Shape {
    entries: usize,
    gaps: usize,
}

impl Shape {
    fn entry_indices(self) -> impl Iterator<Item = u8> {
        (0..self.entries.min(usize::from(MAX_INDEX) + 1)).map(|index| index as u8)
    }

    fn gap_indices(self) -> impl Iterator<Item = u8> {
        (0..self.gaps.min(usize::from(MAX_INDEX) + 1)).map(|index| index as u8)
    }

    /// Every anchor of the map: its edges, each entry's and each gap's.
    fn anchors(self) -> impl Iterator<Item = Anchor> {
        let entries = self
            .entry_indices()
            .flat_map(|entry| [Anchor::EntryStart(entry), Anchor::EntryEnd(entry)]);
        let gaps = self
            .gap_indices()
            .flat_map(|gap| [Anchor::GapStart(gap), Anchor::GapEnd(gap)]);
        [Anchor::MapStart, Anchor::MapEnd]
            .into_iter()
            .chain(entries)
            .chain(gaps)
    }
}

/// The reference side's state as operand resolution sees it: every map,
/// the objects, and the kernel-map ranges the program entered.
#[derive(Debug, Clone, Default)]
pub struct Layout {
    maps: Vec<MapState>,
    ranges: Vec<Vec<(u64, u64)>>,
    kernel_ranges_of_program: Vec<(u64, u64)>,
    user_maps: u32,
    objects: u32,
}

impl Layout {
    /// The layout of `runner`'s reference side now (after a run).
    pub fn of<C: Side, R: Side>(runner: &Runner<C, R>) -> Layout {
        let user_maps = runner.c.user_map_count();
        let maps: Vec<MapState> = (0..=user_maps)
            .map(|map| {
                let mut state = MapState::default();
                runner.c.fill_map(MapRef(map), &mut state);
                state
            })
            .collect();
        let ranges = maps
            .iter()
            .map(|map| map.entries.iter().map(|e| (e.start, e.end)).collect())
            .collect();
        Layout {
            maps,
            ranges,
            kernel_ranges_of_program: runner.kernel_ranges_of_program().to_vec(),
            user_maps,
            objects: runner.c.object_count(),
        }
    }

    /// The layout as operand resolution reads it, the runner's way.
    fn view(&self) -> MapsView<'_> {
        MapsView {
            maps: &self.maps,
            ranges: &self.ranges,
            kernel_ranges_of_program: &self.kernel_ranges_of_program,
            user_maps: self.user_maps,
            objects: self.objects,
        }
    }

    fn shape(&self, map: MapRef) -> Shape {
        let view = self.view();
        let entries = view.entries(map);
        let (start, end) = view.map_bounds(map);
        let mut edges = std::iter::once(start)
            .chain(entries.iter().flat_map(|&(low, high)| [low, high]))
            .chain(std::iter::once(end));
        let mut gaps = 0;
        while let (Some(low), Some(high)) = (edges.next(), edges.next()) {
            gaps += usize::from(low < high);
        }
        Shape {
            entries: entries.len(),
            gaps,
        }
    }
}
