//! Slabs: X15's slab-size rule, the take order, the fault plan's slab allocations, populate, reap, and misuse.

use super::*;

#[test]
fn slab_geometry_follows_x15_rule() {
    // (object size, align, flags) -> (buf size, slab size, buffers per slab)
    let cases: &[(usize, usize, u32, usize, usize, usize)] = &[
        (80, 0, 0x3, 80, 4096, 50),   // kentry cache: NOCPUPOOL | NOOFFSLAB
        (80, 0, 0, 80, 4096, 50),     // map entry cache: small, header inside
        (112, 0, 0, 112, 4096, 36),   // C's struct vm_map
        (1000, 0, 0, 1000, 4096, 4),  // off-slab allowed, header fits the waste
        (2048, 0, 0, 2048, 16384, 8), // off-slab, no waste: ties go larger
        (3000, 0, 0, 3000, 12288, 4), // least waste at three pages
        (100, 64, 0, 128, 4096, 31),  // alignment rounds the buffer up
        (20, 4, 0, 24, 4096, 169),    // alignment below 8 becomes 8
    ];
    for &(obj, align, flags, buf, slab, buffers) in cases {
        let expected = SlabGeometry {
            buf_size_bytes: buf,
            slab_size_bytes: slab,
            buffers_per_slab: buffers,
        };
        assert_eq!(
            slab_geometry(obj, align, flags),
            expected,
            "object {obj}, align {align}"
        );
    }
}

#[test]
fn kmem_cache_slab_size_reports_the_rule() {
    let mut machine = normal();
    let kentry = machine.kmem_cache_init(CacheSpec::new(
        "vm_map_kentry",
        80,
        0,
        0x3,
        SlabBackEnd::Kentry,
    ));
    let map = machine.kmem_cache_init(CacheSpec::new("vm_map", 112, 0, 0, SlabBackEnd::Default));
    assert_eq!((kentry, map), (CacheId(0), CacheId(1)));
    assert_eq!(machine.kmem_cache_slab_size(kentry), 4096);
    assert_eq!(machine.kmem_cache_slab_size(map), 4096);
    machine.kmem_cache_grow(kentry, KERNEL_START);
    let objects: Vec<_> = (0..51).map(|_| machine.kmem_cache_take(kentry)).collect();
    assert_eq!(objects[0], SlabTake::Object(KERNEL_START));
    assert_eq!(objects[49], SlabTake::Object(KERNEL_START + 49 * 80));
    assert_eq!(
        objects[50],
        SlabTake::NeedSlab {
            slab_size_bytes: 4096,
            back_end: SlabBackEnd::Kentry,
        }
    );
}

#[test]
fn fault_plan_fails_the_nth_slab_allocation_not_its_retry() {
    let mut machine = with_plan(MachineConfig::normal(), failing(&[], &[2]));
    let cache = machine.kmem_cache_init(CacheSpec::new(
        "vm_map_entry",
        80,
        0,
        0,
        SlabBackEnd::Default,
    ));
    let slab_va = KERNEL_START + 0x10000;
    assert_eq!(
        machine.kmem_cache_take(cache),
        SlabTake::NeedSlab {
            slab_size_bytes: 4096,
            back_end: SlabBackEnd::Default,
        }
    );
    machine.kmem_cache_grow(cache, slab_va);
    assert_eq!(
        machine.kmem_cache_take(cache),
        SlabTake::Object(slab_va),
        "the retry of allocation 1"
    );
    assert_eq!(
        machine.kmem_cache_take(cache),
        SlabTake::Failed,
        "allocation 2"
    );
    assert_eq!(
        machine.kmem_cache_take(cache),
        SlabTake::Object(slab_va + 80),
        "allocation 3"
    );
}

#[test]
fn populate_maps_pages_and_undoes_on_a_missing_page() {
    let va = KERNEL_START + MIB;
    let size = 3 * PAGE_SIZE as usize;
    let mut machine = with_plan(MachineConfig::normal(), failing(&[3], &[]));
    let digest_before = machine.page_table_digest(PmapId::KERNEL);
    assert!(!machine.kmem_populate(va, size));
    let expected = vec![
        Event::KmemPopulate {
            va,
            size_bytes: size,
            result: false,
        },
        Event::PhysAlloc {
            order: 0,
            result: Some(pa(5)),
        },
        Event::PmapKenter {
            va,
            pa: pa(5),
            prot: 3,
        },
        Event::PhysAlloc {
            order: 0,
            result: Some(pa(6)),
        },
        Event::PmapKenter {
            va: va + PAGE_SIZE,
            pa: pa(6),
            prot: 3,
        },
        Event::PhysAlloc {
            order: 0,
            result: None,
        },
        Event::PhysFree {
            pa: pa(5),
            order: 0,
        },
        Event::PhysFree {
            pa: pa(6),
            order: 0,
        },
        Event::PmapKremove {
            start: va,
            end: va + size as u64,
        },
    ];
    assert_eq!(machine.trace(), expected.as_slice());
    assert_eq!(machine.page_table_digest(PmapId::KERNEL), digest_before);
    assert!(!machine.frame_is_allocated(pa(5)) && !machine.frame_is_allocated(pa(6)));

    assert!(machine.kmem_populate(va, size));
    assert_eq!(
        machine.trace().last(),
        Some(&Event::PmapUpdate {
            pmap: PmapId::KERNEL,
            start: va,
            end: va + size as u64
        })
    );
    assert_eq!(
        machine.pmap_extract(PmapId::KERNEL, va + 2 * PAGE_SIZE),
        pa(7)
    );
    let mark = machine.trace().len();
    machine.pmap_kremove(va + PAGE_SIZE, va + 2 * PAGE_SIZE);
    machine.kmem_depopulate(va, size);
    let depopulate: Vec<String> = machine.trace()[mark + 1..]
        .iter()
        .map(ToString::to_string)
        .collect();
    let expected = [
        "kmem_depopulate(0x200000100000, 0x3000)",
        "pmap_extract(pmap=0, 0x200000100000) -> 0x6000",
        "phys_lookup(0x6000) -> 0x6000",
        "phys_free(0x6000, order=0)",
        "pmap_extract(pmap=0, 0x200000101000) -> 0x0",
        "pmap_extract(pmap=0, 0x200000102000) -> 0x7000",
        "phys_lookup(0x7000) -> 0x7000",
        "phys_free(0x7000, order=0)",
        "pmap_kremove(0x200000100000, 0x200000103000)",
        "pmap_update(pmap=0, 0x200000100000, 0x200000103000)",
    ];
    assert_eq!(depopulate, expected);
    assert_eq!(machine.page_table_digest(PmapId::KERNEL), digest_before);
    assert!(
        machine.frame_is_allocated(pa(5)),
        "the page unmapped before depopulate is not freed"
    );
    assert!(machine.violations().is_empty());
}

#[test]
fn slabs_prefer_partial_then_lowest_and_reap_in_order() {
    let mut machine = normal();
    let a = machine.kmem_cache_init(CacheSpec::new("a", 80, 0, 0, SlabBackEnd::Kentry));
    let b = machine.kmem_cache_init(CacheSpec::new("b", 112, 0, 0, SlabBackEnd::Default));
    let (low, high, other) = (
        KERNEL_START + 0x1000,
        KERNEL_START + 0x2000,
        KERNEL_START + 0x3000,
    );
    machine.kmem_cache_grow(a, high);
    machine.kmem_cache_grow(a, low);
    machine.kmem_cache_grow(b, other);
    let first = machine.kmem_cache_take(a);
    let second = machine.kmem_cache_take(a);
    assert_eq!(
        (first, second),
        (SlabTake::Object(low), SlabTake::Object(low + 80))
    );
    machine.kmem_cache_free(a, low);
    assert_eq!(
        machine.kmem_cache_take(a),
        SlabTake::Object(low),
        "free objects are LIFO"
    );
    let slabs = machine.slabs();
    let in_use: Vec<_> = slabs
        .iter()
        .map(|s| (s.cache, s.va, s.objects_in_use, s.back_end))
        .collect();
    assert_eq!(
        in_use,
        vec![
            (a, low, 2, SlabBackEnd::Kentry),
            (a, high, 0, SlabBackEnd::Kentry),
            (b, other, 0, SlabBackEnd::Default)
        ]
    );
    let reaped: Vec<_> = std::iter::from_fn(|| machine.kmem_reap_next()).collect();
    assert_eq!(
        reaped,
        vec![
            EmptySlab {
                cache: a,
                va: high,
                size_bytes: 4096,
                back_end: SlabBackEnd::Kentry,
            },
            EmptySlab {
                cache: b,
                va: other,
                size_bytes: 4096,
                back_end: SlabBackEnd::Default,
            }
        ]
    );
    machine.kmem_cache_free(a, low);
    machine.kmem_cache_free(a, low + 80);
    assert_eq!(
        machine.kmem_reap_next(),
        Some(EmptySlab {
            cache: a,
            va: low,
            size_bytes: 4096,
            back_end: SlabBackEnd::Kentry,
        })
    );
    assert_eq!(machine.kmem_reap_next(), None);
    assert!(machine.violations().is_empty());
}

#[test]
fn bad_cache_frees_and_slabs_are_violations() {
    let slab = KERNEL_START + 0x4000;
    // (address freed into cache 0) -> violation expected
    let cases: &[(u64, bool)] = &[
        (slab, false),
        (slab + 80, true),
        (slab + 8, true),
        (slab - 80, true),
        (slab + 50 * 80, true),
    ];
    for &(va, violation) in cases {
        let mut machine = normal();
        let cache = machine.kmem_cache_init(CacheSpec::new("c", 80, 0, 0, SlabBackEnd::Kentry));
        machine.kmem_cache_grow(cache, slab);
        assert_eq!(machine.kmem_cache_take(cache), SlabTake::Object(slab));
        machine.kmem_cache_free(cache, va);
        let expected = if violation {
            vec![ViolationKind::CacheFreeOfNonObject { cache, va }]
        } else {
            vec![]
        };
        assert_eq!(kinds(&machine), expected, "free of {va:#x}");
    }
    let mut machine = normal();
    let cache = machine.kmem_cache_init(CacheSpec::new("c", 80, 0, 0, SlabBackEnd::Kentry));
    machine.kmem_cache_grow(cache, slab);
    machine.kmem_cache_grow(cache, slab + 0x800);
    machine.kmem_cache_free(CacheId(7), slab);
    assert_eq!(
        kinds(&machine),
        vec![
            ViolationKind::BadSlab {
                cache,
                va: slab + 0x800
            },
            ViolationKind::UnknownCache { cache: CacheId(7) }
        ]
    );
    assert_eq!(machine.slabs().len(), 1);
}
