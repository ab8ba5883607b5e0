//! The seed is the original, and `vm_map_setup` builds X15's kernel map on
//! the simulated machine: the boot entry, the kentry area and its table,
//! the three caches, the kentry free list.

mod common;

use c_reference::{CReference, MapHandle, Outcome};
use common::*;
use sim::{Event, FaultPlan, MachineConfig, PhysAddr, PmapId, SlabBackEnd};
use vm_rs::{KentryLink, KentrySlot};

/// git's blob id of a file: SHA-1 of "blob <length>\0" and the bytes.
fn git_blob_id(bytes: &[u8]) -> String {
    let mut hasher = sha1_smol::Sha1::new();
    hasher.update(format!("blob {}\0", bytes.len()).as_bytes());
    hasher.update(bytes);
    hasher.digest().to_string()
}

#[test]
fn blob_id_matches_git() {
    // `printf 'hello\n' | git hash-object --stdin`.
    assert_eq!(
        git_blob_id(b"hello\n"),
        "ce013625030ba8dba906f756967f9e9ca394464a"
    );
}

#[test]
fn seed_is_byte_for_byte_the_original() {
    let seed = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/x15/vm/vm_map.c"))
        .expect("the seed is readable");
    assert_eq!(
        git_blob_id(&seed),
        "6b43a985bca6d6b3df217c2b647a46d05073b4c6"
    );
}

#[test]
fn setup_builds_the_boot_and_kentry_entries() {
    let reference = set_up(MachineConfig::normal());
    let kernel = snapshot(&reference, MapHandle::KERNEL);
    let boot_end = kva(1 << 20);
    let kentry_end = boot_end + KENTRY_AREA_BYTES + KENTRY_TABLE_BYTES;
    let reserved = flags(PROT_ALL, PROT_ALL, INHERIT_NONE, NOMERGE);
    assert_eq!(
        layout(&kernel),
        [
            (kva(0), boot_end, reserved),
            (boot_end, kentry_end, reserved)
        ]
    );
    assert!(kernel
        .list
        .iter()
        .all(|entry| entry.object.is_none() && entry.offset == 0));
    assert_eq!((kernel.start, kernel.end), (kva(0), kva(32 << 20)));
    assert_eq!(kernel.size, kentry_end - kva(0));
    assert_eq!(kernel.nr_entries, 2);
    assert_eq!(
        (kernel.find_cache, kernel.find_cache_threshold),
        (kentry_end, 0)
    );
    assert_eq!(reference.map_pmap(MapHandle::KERNEL), Some(PmapId::KERNEL));
    check_consistent(&kernel);
    assert_eq!(reference.map_count(), 1);
}

#[test]
fn kentry_table_pages_are_mapped_global_read_write() {
    let reference = set_up(MachineConfig::normal());
    let table_va = kva(1 << 20) + KENTRY_AREA_BYTES;
    let leaves: Vec<_> = reference
        .machine()
        .page_table_entries(PmapId::KERNEL)
        .into_iter()
        .filter(|entry| {
            entry.level == 1 && (table_va..table_va + KENTRY_TABLE_BYTES).contains(&entry.va)
        })
        .collect();
    assert_eq!(leaves.len(), 4, "{leaves:#x?}");
    for (page, leaf) in leaves.iter().enumerate() {
        assert_eq!(leaf.va, table_va + page as u64 * PAGE);
        assert_eq!(leaf.raw & 0xfff, 0x103, "G|RW|P");
        let frame = PhysAddr(leaf.raw & 0x000f_ffff_ffff_f000);
        assert!(reference.machine().frame_is_allocated(frame));
    }
}

#[test]
fn setup_creates_the_three_caches_in_order() {
    let reference = set_up(MachineConfig::normal());
    let caches: Vec<_> = reference
        .machine()
        .trace()
        .iter()
        .filter_map(|event| match event {
            Event::KmemCacheInit {
                name,
                obj_size_bytes,
                align_bytes,
                flags,
                back_end,
                result,
            } => Some((
                name.as_str(),
                *obj_size_bytes,
                *align_bytes,
                *flags,
                *back_end,
                result.0,
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        caches,
        [
            ("vm_map_kentry", 80, 0, 0x3, SlabBackEnd::Kentry, 0),
            ("vm_map_entry", 80, 0, 0, SlabBackEnd::Default, 1),
            ("vm_map", 112, 0, 0, SlabBackEnd::Default, 2),
        ]
    );
}

#[test]
fn kentry_free_list_holds_every_slab_after_setup() {
    let reference = set_up(MachineConfig::normal());
    let table = reference.kentry_state().expect("set up");
    assert_eq!(table.table_va, kva(1 << 20) + KENTRY_AREA_BYTES);
    assert_eq!(table.slab_size_bytes, PAGE);
    assert_eq!(table.slots().len(), 2048);
    assert_eq!(table.allocated().count(), 0);
    assert_eq!(table.free_list(), (0..2048).collect::<Vec<u32>>());
}

#[test]
fn first_kernel_entry_allocation_takes_kentry_slab_zero() {
    let mut reference = set_up(MachineConfig::normal());
    // The map comes from the vm_map cache, whose slab is a vm_kmem mapping
    // in the kernel map, whose entry comes from the kentry cache.
    assert_eq!(reference.create_map(), Outcome::Ok(MapHandle(1)));
    let table = reference.kentry_state().expect("set up");
    assert_eq!(table.slots()[0], KentrySlot::Allocated);
    assert_eq!(table.allocated().collect::<Vec<_>>(), [0]);
    assert_eq!(table.free_head(), KentryLink::Slab(1));
    assert_eq!(table.free_list(), (1..2048).collect::<Vec<u32>>());
    let kernel = snapshot(&reference, MapHandle::KERNEL);
    let kentry_end = kva(1 << 20) + KENTRY_AREA_BYTES + KENTRY_TABLE_BYTES;
    assert_eq!(
        layout(&kernel)[2],
        (kentry_end, kentry_end + PAGE, KERNEL_NULL)
    );
}

#[test]
fn info_prints_the_kernel_map() {
    let mut reference = set_up(MachineConfig::normal());
    assert_eq!(reference.info(MapHandle::KERNEL), Outcome::Ok(()));
    let expected = "\
vm_map: kernel map: 0000200000000000-0000200002000000
vm_map:      start             end          size     offset   flags    type
vm_map: 0000200000000000 0000200000100000     1024k 00000000 00010077 null
vm_map: 0000200000100000 0000200000904000     8208k 00000000 00010077 null
vm_map: total: 9232k
";
    assert_eq!(reference.machine().console_text(), expected);
}

/// Failing physical allocations during set-up end in the seed's panics.
#[test]
fn setup_panics_with_the_seeds_messages() {
    let cases = [
        // The first allocations are kgrow's page tables for the kentry area.
        (1, "pmap: no page available to grow kernel space"),
        // Then the four pages of the kentry table.
        (5, "vm_map: unable to allocate page for kentry table"),
        (8, "vm_map: unable to allocate page for kentry table"),
    ];
    for (failing_alloc, message) in cases {
        let plan = FaultPlan {
            failing_phys_allocs: vec![failing_alloc],
            ..FaultPlan::default()
        };
        let (mut reference, setup) = CReference::new(MachineConfig::normal(), plan);
        assert_eq!(
            setup,
            Outcome::Panicked(message.to_owned()),
            "allocation {failing_alloc}"
        );
        assert!(reference.is_dead());
        assert_eq!(reference.kentry_state(), None);
        assert_eq!(
            reference.create_map(),
            Outcome::Refused(c_reference::Refusal::Dead)
        );
    }
}
