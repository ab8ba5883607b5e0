//! The trace's events: one readable line each, beginning with a distinct kind name that parses back.

use super::*;

#[test]
fn events_display_as_one_readable_line() {
    let mut machine = normal();
    machine.phys_alloc(0);
    let object = machine.object_create();
    machine.pager_get(object, 0x2000).unwrap();
    machine.console("vm_map: fault: cache miss\n");
    let cache = machine.kmem_cache_init(CacheSpec::new("vm_map", 112, 0, 0, SlabBackEnd::Default));
    machine.kmem_cache_take(cache);
    let lines: Vec<String> = machine.trace().iter().map(ToString::to_string).collect();
    let expected = [
        "phys_alloc(order=0) -> 0x5000",
        "object_create() -> object=0",
        "pager_get(object=0, 0x2000) -> 0x6000",
        "phys_alloc(order=0) -> 0x6000",
        "console(\"vm_map: fault: cache miss\\n\")",
        "kmem_cache_init(\"vm_map\", size=112, align=0, flags=0x0, Default) -> cache=0",
        "kmem_cache_take(cache=0) -> need slab of 0x1000 bytes",
    ];
    assert_eq!(lines, expected);
    machine.phys_free(pa(5), 0);
    machine.phys_free(pa(5), 0);
    assert_eq!(
        machine.violations()[0].to_string(),
        "at event 8: free of a free frame 0x5000"
    );
}

#[test]
fn event_text_begins_with_the_kind_name() {
    let cases = [
        (
            Event::BootSpace {
                start: 0x1000,
                end: 0x2000,
            },
            "boot_space() -> 0x1000-0x2000",
        ),
        (
            Event::PhysAlloc {
                order: 0,
                result: None,
            },
            "phys_alloc(order=0) -> NULL",
        ),
        (
            Event::PmapKgrow {
                end: 0x3000,
                result: Err(NoPageForPageTable),
            },
            "pmap_kgrow(0x3000) -> no page for page table",
        ),
        (
            Event::PmapCreate {
                result: Err(Error::NoMem),
            },
            "pmap_create() -> ERROR_NOMEM",
        ),
        (
            Event::KmemReapNext { result: None },
            "kmem_reap_next() -> none",
        ),
        (
            Event::PagerGet {
                object: ObjectId(2),
                offset: 0x4000,
                result: Err(Error::Fault),
            },
            "pager_get(object=2, 0x4000) -> ERROR_FAULT",
        ),
        (
            Event::Console {
                text: "hi\n".to_string(),
            },
            "console(\"hi\\n\")",
        ),
    ];
    for (event, text) in cases {
        assert_eq!(event.to_string(), text);
        assert!(text.starts_with(&format!("{}(", event.kind().name())));
    }
}

#[test]
fn event_kind_names_are_distinct_and_parse_back() {
    for kind in EventKind::ALL {
        assert_eq!(EventKind::from_name(kind.name()), Some(kind));
    }
    assert_eq!(EventKind::from_name("phys"), None);
}
