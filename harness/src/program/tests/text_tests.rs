//! The text form: it round-trips, prints the brief's example canonically,
//! has its defaults, points parse errors at the offending word, accepts the
//! current header and a byte-order mark, and never panics on mangled text.

use super::*;

#[test]
fn text_round_trips_through_print_and_parse() {
    for (bytes, program) in random_programs(0x5eed_0004) {
        let text = program.to_string();
        let parsed = Program::parse_text(&text)
            .unwrap_or_else(|error| panic!("{error} in\n{text}\nfrom {bytes:02x?}"));
        assert_eq!(parsed, program, "text:\n{text}");
    }
}

#[test]
fn the_brief_example_parses_and_prints_canonically() {
    let text = "\
# vm-diff program v1
machine tiny
fail phys 7
fail cache 3
create-map
create-object   # a trailing comment

enter map=1 object=0 offset=pages(0) start=entry-end(0) size=pages(4) align=none prot=rw maxprot=rwx inherit=copy advice=normal fixed nomerge
remove map=1 start=map-start end=near(entry-end(2),+1)
fault map=1 addr=raw(0x7000) access=r
reap
info map=kernel
";
    let program = Program::parse_text(text).unwrap();
    assert_eq!(program.machine, MachinePreset::Tiny);
    assert_eq!(program.fault_plan.failing_phys_allocs.as_slice(), &[7]);
    assert_eq!(program.fault_plan.failing_cache_allocs.as_slice(), &[3]);
    let kinds: Vec<_> = program.ops.iter().map(Op::kind).collect();
    use OpKind::*;
    assert_eq!(
        kinds,
        [CreateMap, CreateObject, Enter, Remove, Fault, Reap, Info]
    );
    let Op::Enter(enter) = program.ops[2] else {
        unreachable!()
    };
    assert_eq!(
        (
            enter.prot,
            enter.maxprot,
            enter.inherit,
            enter.fixed,
            enter.nomerge
        ),
        (3, 7, 2, true, true)
    );
    let expected_lines = [
        "enter map=1 object=0 offset=pages(0) start=entry-end(0) size=pages(4) align=none prot=rw maxprot=rwx inherit=copy advice=normal fixed nomerge",
        "remove map=1 start=map-start end=near(entry-end(2),+1)",
        "fault map=1 addr=raw(0x7000) access=r",
    ];
    let printed = program.to_string();
    for line in expected_lines {
        assert!(
            printed.lines().any(|printed_line| printed_line == line),
            "{line}\nnot in\n{printed}"
        );
    }
}

#[test]
fn repeats_and_the_scarce_machine_read_and_print_back() {
    let text = "machine scarce\nrepeat 256 enter map=kernel size=pages(1) align=pages(2)\n\
                repeat 7 remove map=1 start=entry-start(0) end=entry-end(0)\n";
    let program = Program::parse_text(text).unwrap();
    assert_eq!(program.machine, MachinePreset::Scarce);
    assert_eq!(
        program.ops.iter().map(Op::count).collect::<Vec<_>>(),
        [256, 7]
    );
    assert_eq!(program.step_count(), 263);
    assert!(program.steps().all(|(_, op)| op.count() == 1));
    assert_eq!(Program::parse_text(&program.to_string()).unwrap(), program);
    assert_eq!(Program::decode(&program.encode()), program);

    let longest = "repeat 256 enter map=kernel size=pages(1)\n".repeat(MAX_OPS);
    let longest = Program::parse_text(&longest).unwrap();
    assert_eq!(longest.step_count(), MAX_STEPS);
    assert_eq!(longest.steps().count(), MAX_STEPS);
}

#[test]
fn enter_fields_have_defaults_in_text() {
    let program = Program::parse_text("enter map=kernel size=raw(0x1_0000)").unwrap();
    let [Op::Enter(args)] = program.ops[..] else {
        panic!("one enter expected: {:?}", program.ops);
    };
    // Each default is stated here again, apart from EnterArgs::default, so
    // that a change to the text form's defaults shows.
    let where_and_what = (args.map, args.object, args.offset, args.start, args.size);
    let expected = (
        MapSel::Kernel,
        ObjectSel::None,
        ValueSel::Pages(0),
        AddrSel::Zero,
        SizeSel::Raw(0x10000),
    );
    assert_eq!(where_and_what, expected);
    let how = (
        args.align,
        args.prot,
        args.maxprot,
        args.inherit,
        args.advice,
    );
    assert_eq!(how, (AlignSel::None, PROT_ALL, PROT_ALL, 0, 0));
    assert_eq!(
        (args.fixed, args.nomerge, args.invalid),
        (false, false, false)
    );
}

#[test]
fn parse_errors_point_at_the_offending_word() {
    let sixty_five_ops = "reap\n".repeat(65);
    let cases: &[(&str, usize, usize, &str)] = &[
        ("create-map\nfrobnicate", 2, 1, "unknown operation"),
        ("enter map=1 size=pages(200)", 1, 24, "larger than 127"),
        ("machine big", 1, 9, "unknown machine"),
        ("machine tiny\nmachine tiny", 2, 1, "twice"),
        ("repeat", 1, 1, "needs a count"),
        ("repeat 3", 1, 1, "needs a count"),
        ("repeat 0 enter map=1 size=pages(1)", 1, 8, "not in 1..=256"),
        (
            "repeat 257 enter map=1 size=pages(1)",
            1,
            8,
            "not in 1..=256",
        ),
        ("repeat 2 reap", 1, 10, "cannot be repeated"),
        ("repeat 2 enter map=1", 1, 10, "needs `size=`"),
        (
            "\n\nfault map=1 addr=entry-start(0)",
            3,
            1,
            "needs `access=`",
        ),
        (
            "remove map=0 start=map-start end=map-end",
            1,
            12,
            "numbered from 1",
        ),
        ("  info map=kernel extra", 1, 19, "unexpected `extra`"),
        ("create-map\nswarm enter", 2, 1, "before the operations"),
        ("swarm enter\ncreate-map", 2, 1, "not enabled"),
        ("swarm enter bogus", 1, 13, "unknown operation kind"),
        (
            "fail phys 1\nfail phys 2\nfail phys 3\nfail phys 4\nfail phys 5",
            5,
            1,
            "at most 4",
        ),
        ("fail phys 65", 1, 11, "1..=64"),
        ("fail memory 3", 1, 6, "phys or cache"),
        (
            "enter map=1 size=pages(1) start=near(entry-end(0),+200)",
            1,
            52,
            "-128..=127",
        ),
        (
            "enter map=1 size=pages(1) start=near(middle(0),+2)",
            1,
            38,
            "unknown address",
        ),
        (
            "enter map=1 size=pages(1) start=entry-end(0",
            1,
            44,
            "expected `)`",
        ),
        ("enter map=1 size=pages(1) prot=rwr", 1, 34, "`r` twice"),
        ("enter map=1 map=2 size=pages(1)", 1, 13, "given twice"),
        (
            "enter map=1 size=pages(1) align=pages(3)",
            1,
            39,
            "power of two",
        ),
        (
            "enter map=1 size=pages(1) colour=red",
            1,
            27,
            "no field `colour`",
        ),
        (
            "enter map=1 size=pages(1) quickly",
            1,
            27,
            "unexpected `quickly`",
        ),
        (
            "fault map=1 addr=raw(0xzz) access=r",
            1,
            22,
            "expected a number",
        ),
        (
            "fault map=1 addr=raw(1) access=r fixed",
            1,
            34,
            "unexpected `fixed`",
        ),
        ("info map=kernel # fine\nreap now", 2, 6, "unexpected `now`"),
        (
            "enter map=1 size=pages(1) inherit=sometimes",
            1,
            35,
            "unknown inheritance",
        ),
        (&sixty_five_ops, 65, 1, "more than 64"),
        (
            "# vm-diff program v2\ncreate-map",
            1,
            1,
            "`v2` is not supported",
        ),
        (
            "reap\n  # vm-diff program vX",
            2,
            3,
            "`vX` is not supported",
        ),
    ];
    for &(text, line, column, fragment) in cases {
        let error = Program::parse_text(text).expect_err(text);
        assert_eq!(
            (error.line, error.column),
            (line, column),
            "{text:?}: {error}"
        );
        assert!(error.message.contains(fragment), "{text:?}: {error}");
    }
}

#[test]
fn the_current_header_and_a_byte_order_mark_are_accepted() {
    let plain = Program::parse_text("# vm-diff program v1\ncreate-map\nreap\n").unwrap();
    assert_eq!(plain.ops, vec![Op::CreateMap, Op::Reap]);
    let with_bom = Program::parse_text("\u{feff}# vm-diff program v1\ncreate-map\nreap\n");
    assert_eq!(with_bom.unwrap(), plain);
    let bom_then_op = Program::parse_text("\u{feff}create-map\nreap\n");
    assert_eq!(bom_then_op.unwrap(), plain);
    // Printing writes the header the parser accepts.
    assert_eq!(Program::parse_text(&plain.to_string()).unwrap(), plain);
}

#[test]
fn parsing_mangled_text_never_panics() {
    let mut rng = Random::new(0x5eed_000b);
    let alphabet: Vec<char> = "()=,+-#_ \n0x19afrwzü-entry-gap-size".chars().collect();
    let mut rejected = 0;
    for (_, program) in random_programs(0x5eed_000c).take(500) {
        let mut text: Vec<char> = program.to_string().chars().collect();
        for _ in 0..1 + rng.below(4) {
            let position = rng.below(text.len() as u64 + 1) as usize;
            match rng.below(3) {
                0 if position < text.len() => {
                    text.remove(position);
                }
                _ => text.insert(
                    position,
                    alphabet[rng.below(alphabet.len() as u64) as usize],
                ),
            }
        }
        let mangled: String = text.into_iter().collect();
        match Program::parse_text(&mangled) {
            Ok(parsed) => assert!(parsed.check_bounds().is_ok(), "{mangled}"),
            Err(error) => {
                assert!(
                    error.line >= 1 && error.line <= mangled.lines().count(),
                    "{error}"
                );
                rejected += 1;
            }
        }
    }
    assert!(
        rejected > 100,
        "only {rejected} mangled texts were rejected"
    );
}
