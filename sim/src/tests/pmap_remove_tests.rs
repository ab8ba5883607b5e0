//! `pmap_remove`, the fixed port's service (X15 had none): it clears the
//! leaves of a range in any pmap, keeps the tables, and records misuse.
//! Failures are assertion messages.

use super::*;

/// A machine with a user pmap whose leaves sit at `pages`, and its pmap.
fn user_pmap_with_leaves(pages: &[u64]) -> (Machine, PmapId) {
    let mut machine = normal();
    let pmap = machine.pmap_create().expect("a user pmap");
    for &va in pages {
        let frame = machine.phys_alloc(0).expect("a frame");
        machine.pmap_enter(pmap, va, frame, 3).expect("a leaf");
    }
    (machine, pmap)
}

/// The virtual addresses of `pmap`'s present leaves.
fn leaf_addresses(machine: &Machine, pmap: PmapId) -> Vec<u64> {
    let mut leaves = Vec::new();
    machine.leaves_in(pmap, 0, CANONICAL_END, &mut leaves);
    leaves.iter().map(|leaf| leaf.va).collect()
}

/// The end of the lower canonical half.
const CANONICAL_END: u64 = 1 << 47;

#[test]
fn pmap_remove_clears_the_leaves_of_its_range_and_keeps_the_tables() {
    // Two leaves in one level-1 table, one in another 2 MiB further.
    let pages = [0x10000, 0x11000, 0x21_0000];
    // (range removed, leaves left)
    let cases: [((u64, u64), Vec<u64>); 4] = [
        ((0x10000, 0x12000), vec![0x21_0000]),
        ((0x11000, 0x21_1000), vec![0x10000]),
        ((0x12000, 0x21_0000), pages.to_vec()),
        ((0, CANONICAL_END), vec![]),
    ];
    for ((start, end), left) in cases {
        let (mut machine, pmap) = user_pmap_with_leaves(&pages);
        let tables = machine.page_table_entries(pmap).len() - pages.len();
        let events = machine.trace().len();
        machine.pmap_remove(pmap, start, end);
        let range = format!("[{start:#x}, {end:#x})");
        assert_eq!(leaf_addresses(&machine, pmap), left, "{range}");
        for &va in &pages {
            let present = machine.pmap_extract(pmap, va) != PhysAddr(0);
            assert_eq!(present, left.contains(&va), "{range} at {va:#x}");
        }
        assert_eq!(
            machine.page_table_entries(pmap).len(),
            tables + left.len(),
            "{range}: tables are never freed"
        );
        assert_eq!(
            machine.page_table_digest(pmap),
            digest_by_walk(&machine, pmap)
        );
        assert_eq!(
            machine.trace()[events],
            Event::PmapRemove { pmap, start, end }
        );
        assert_eq!(machine.stray_leaf_count(), 0);
        assert!(machine.violations().is_empty(), "{range}");
    }
}

#[test]
fn pmap_remove_works_on_the_kernel_pmap_too() {
    let mut machine = normal();
    let page = machine.phys_alloc(0).unwrap();
    machine.pmap_kenter(KERNEL_START, page, 3);
    machine.pmap_remove(PmapId::KERNEL, KERNEL_START, KERNEL_START + PAGE_SIZE);
    assert_eq!(
        machine.pmap_extract(PmapId::KERNEL, KERNEL_START),
        PhysAddr(0)
    );
    assert_eq!(
        machine.page_table_digest(PmapId::KERNEL),
        digest_by_walk(&machine, PmapId::KERNEL)
    );
    assert!(machine.violations().is_empty());
}

#[test]
fn pmap_remove_misuse_is_a_violation_and_removes_nothing() {
    let leaf = 0x10000;
    // (pmap, start, end, the violation)
    let cases = [
        (
            PmapId(9),
            leaf,
            leaf + PAGE_SIZE,
            ViolationKind::UnknownPmap { pmap: PmapId(9) },
        ),
        (
            PmapId(1),
            leaf + 1,
            leaf + PAGE_SIZE,
            ViolationKind::MisalignedAddress { addr: leaf + 1 },
        ),
        (
            PmapId(1),
            leaf,
            leaf + 1,
            ViolationKind::MisalignedAddress { addr: leaf + 1 },
        ),
        (
            PmapId(1),
            leaf,
            CANONICAL_END + PAGE_SIZE,
            ViolationKind::NonCanonicalAddress {
                va: CANONICAL_END + PAGE_SIZE,
            },
        ),
        (
            PmapId(1),
            CANONICAL_END,
            CANONICAL_END + PAGE_SIZE,
            ViolationKind::NonCanonicalAddress { va: CANONICAL_END },
        ),
    ];
    for (pmap, start, end, violation) in cases {
        let (mut machine, user) = user_pmap_with_leaves(&[leaf]);
        assert_eq!(user, PmapId(1));
        machine.pmap_remove(pmap, start, end);
        assert_eq!(kinds(&machine), vec![violation], "[{start:#x}, {end:#x})");
        assert_eq!(leaf_addresses(&machine, user), vec![leaf]);
    }
}

#[test]
fn pmap_remove_reads_like_the_other_pmap_calls() {
    let event = Event::PmapRemove {
        pmap: PmapId(1),
        start: 0x10000,
        end: 0x12000,
    };
    assert_eq!(event.to_string(), "pmap_remove(pmap=1, 0x10000, 0x12000)");
    assert_eq!(event.kind(), EventKind::PmapRemove);
}
