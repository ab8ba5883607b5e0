//! `vm_map_info`'s console text, call for call.

extern crate std;

use std::string::String;
use std::vec;
use std::vec::Vec;

use super::fake_env::Event;
use super::*;

/// The console calls of one `info`.
fn info_lines(vm: &mut Vm, map: MapId) -> Vec<String> {
    let mut env = FakeEnv::new();
    vm.info(&mut env, map).unwrap();
    assert!(env
        .events
        .iter()
        .all(|event| matches!(event, Event::Console(_))));
    env.console_text()
}

const HEADER_COLUMNS: &str =
    "vm_map:      start             end          size     offset   flags    type\n";

#[test]
fn the_header_columns_are_the_seeds() {
    // The seed splits the literal in two; compare the pieces.
    assert!(SEED.contains("\"vm_map:      start             end          \""));
    assert!(SEED.contains("\"size     offset   flags    type\\n\""));
    assert_eq!(
        HEADER_COLUMNS,
        std::format!(
            "{}{}",
            "vm_map:      start             end          ",
            "size     offset   flags    type\n"
        )
    );
}

#[test]
fn the_kernel_map_prints_its_static_entries() {
    let (mut vm, _env) = boot();
    let expected = vec![
        std::format!("vm_map: kernel map: 0000200000000000-0000200040000000\n{HEADER_COLUMNS}"),
        "vm_map: 0000200000000000 0000200000400000     4096k 00000000 00010077 null\n".into(),
        "vm_map: 0000200000400000 0000200000c04000     8208k 00000000 00010077 null\n".into(),
        "vm_map: total: 12304k\n".into(),
    ];
    assert_eq!(info_lines(&mut vm, MapId::KERNEL), expected);
}

#[test]
fn a_user_map_prints_in_list_order() {
    let (mut vm, mut env, map) = boot_user();
    let flags = rw().with_fixed();
    vm.enter(
        &mut env,
        map,
        OBJECT,
        0x1_2345_6000,
        0x1000,
        0x3000,
        0,
        flags,
    )
    .unwrap();
    vm.enter(&mut env, map, None, 0, 0x7fff_ffff_0000, 0x10000, 0, flags)
        .unwrap();
    // An unaligned end clips the first entry: it moves to the list's tail.
    vm.remove(&mut env, map, 0x1000, 0x1a00).unwrap();
    let expected = vec![
        std::format!("vm_map: map: 0000000000000000-0000800000000000\n{HEADER_COLUMNS}"),
        "vm_map: 00007fffffff0000 0000800000000000       64k 00000000 00000273 null\n".into(),
        "vm_map: 0000000000001a00 0000000000004000        9k 123456a00 00000273 object\n".into(),
        "vm_map: total: 73k\n".into(),
    ];
    assert_eq!(info_lines(&mut vm, map), expected);
}

#[test]
fn an_empty_map_prints_header_and_total() {
    let (mut vm, _env, map) = boot_user();
    let lines = info_lines(&mut vm, map);
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[1], "vm_map: total: 0k\n");
}
