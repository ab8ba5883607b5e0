//! Physical frames: the allocation order, frame 0, bad frees, the fault plan's physical allocations, page descriptors and stray leaves.

use super::*;

#[test]
fn allocation_prefers_recently_freed_then_lowest_unused() {
    let mut machine = normal();
    let mut taken = Vec::new();
    let script: &[(bool, u64)] = &[
        (true, 5),
        (true, 6),
        (true, 7),
        (false, 5),
        (false, 7),
        (true, 7),
        (true, 5),
        (true, 8),
    ];
    for &(allocate, frame) in script {
        if allocate {
            taken.push(machine.phys_alloc(0));
            assert_eq!(*taken.last().unwrap(), Some(pa(frame)));
        } else {
            machine.phys_free(pa(frame), 0);
        }
    }
    assert_eq!(machine.phys_alloc(1), None, "only order 0 is supported");
    assert!(machine.violations().is_empty());
}

#[test]
fn frame_zero_is_never_handed_out_and_memory_runs_out() {
    let mut machine = Machine::new(MachineConfig::tiny());
    let mut seen = Vec::new();
    while let Some(page) = machine.phys_alloc(0) {
        seen.push(page);
    }
    assert_eq!(
        seen.len(),
        MachineConfig::tiny().frames as usize - 5,
        "frame 0 and four boot tables"
    );
    assert!(!seen.contains(&PhysAddr(0)));
    assert_eq!(machine.phys_alloc(0), None);
}

#[test]
fn bad_frees_are_violations() {
    let cases: &[(PhysAddr, u32, ViolationKind)] = &[
        (pa(9), 0, ViolationKind::FreeOfFreeFrame { pa: pa(9) }),
        (
            PhysAddr(0),
            0,
            ViolationKind::FreeOfNonFrame { pa: PhysAddr(0) },
        ),
        (
            PhysAddr(0x5008),
            0,
            ViolationKind::FreeOfNonFrame {
                pa: PhysAddr(0x5008),
            },
        ),
        (pa(5000), 0, ViolationKind::FreeOfNonFrame { pa: pa(5000) }),
        (pa(1), 0, ViolationKind::FreeOfPageTable { pa: pa(1) }),
        (
            pa(5),
            1,
            ViolationKind::FreeWithUnsupportedOrder {
                pa: pa(5),
                order: 1,
            },
        ),
    ];
    for (free_pa, order, kind) in cases {
        let mut machine = normal();
        assert_eq!(machine.phys_alloc(0), Some(pa(5)));
        machine.phys_free(*free_pa, *order);
        assert_eq!(
            kinds(&machine),
            vec![kind.clone()],
            "free of {:#x}",
            free_pa.0
        );
        assert_eq!(machine.violations()[0].event_index, 1);
    }
    let mut machine = normal();
    let page = machine.phys_alloc(0).unwrap();
    machine.phys_free(page, 0);
    assert!(machine.violations().is_empty());
    machine.phys_free(page, 0);
    assert_eq!(
        kinds(&machine),
        vec![ViolationKind::FreeOfFreeFrame { pa: page }]
    );
}

#[test]
fn fault_plan_fails_the_nth_phys_alloc_including_inner_ones() {
    let mut machine = with_plan(MachineConfig::normal(), failing(&[2, 4], &[]));
    assert_eq!(machine.phys_alloc(0), Some(pa(5)));
    assert_eq!(
        machine.pmap_create(),
        Err(Error::NoMem),
        "its root is allocation 2"
    );
    assert_eq!(machine.pmap_create(), Ok(PmapId(1)), "allocation 3");
    let object = machine.object_create();
    assert_eq!(
        machine.pager_get(object, 0),
        Err(Error::NoMem),
        "allocation 4"
    );
    assert_eq!(machine.pager_get(object, 0), Ok(pa(7)));
    assert_eq!(machine.object_get(object, 0), Some(pa(7)));
    assert_eq!(machine.object_get(object, PAGE_SIZE), None);
}

#[test]
fn page_descriptors_are_stable_and_only_for_frames() {
    let mut machine = Machine::new(MachineConfig::tiny());
    let descriptor = machine.page_descriptor(pa(7));
    assert!(!descriptor.is_null());
    // SAFETY: the pointer comes from the machine, which is alive and owns
    // the descriptor slice for its whole life.
    assert_eq!(unsafe { (*descriptor).phys_addr }, pa(7).0);
    machine.reset(FaultPlan::default());
    assert_eq!(machine.page_descriptor(pa(7)), descriptor);
    for address in [PhysAddr(0x7008), pa(40), pa(1 << 40)] {
        assert!(
            machine.page_descriptor(address).is_null(),
            "{:#x}",
            address.0
        );
    }
    assert_eq!(machine.phys_lookup(PhysAddr(0x7008)), Some(pa(7)));
    assert_eq!(machine.phys_lookup(pa(40)), None);
}

#[test]
fn stray_leaves_are_counted_as_frames_change_hands() {
    let mut machine = normal();
    let va = KERNEL_START;
    let page = machine.phys_alloc(0).expect("a frame");
    // (step, expected stray leaves after it)
    type Step = fn(&mut Machine, PhysAddr);
    let steps: [(&str, Step, u32); 5] = [
        (
            "map an allocated frame",
            |m, page| m.pmap_kenter(KERNEL_START, page, 3),
            0,
        ),
        ("free it while mapped", |m, page| m.phys_free(page, 0), 1),
        (
            "hand it out again",
            |m, _| {
                let _ = m.phys_alloc(0);
            },
            0,
        ),
        ("free it again", |m, page| m.phys_free(page, 0), 1),
        (
            "remove the mapping",
            |m, _| m.pmap_kremove(KERNEL_START, KERNEL_START + PAGE_SIZE),
            0,
        ),
    ];
    for (step, action, expected) in steps {
        action(&mut machine, page);
        assert_eq!(machine.stray_leaf_count(), expected, "{step}");
    }
    // A leaf to a frame never handed out is stray at once; reset forgets it.
    machine.pmap_kenter(va, pa(900), 3);
    assert_eq!(machine.stray_leaf_count(), 1);
    machine.reset(FaultPlan::default());
    assert_eq!(machine.stray_leaf_count(), 0);
}
