//! Parsing: the text form back into a program, reporting the first
//! problem as a [`ParseError`] with its line and column.

use super::{ParseError, ADVICE_NAMES, INHERIT_NAMES};
use crate::program::ops::{
    AddrSel, AlignSel, Anchor, EnterArgs, FaultArgs, MapSel, ObjectSel, Op, OpKind, RemoveArgs,
    SizeSel, ValueSel, MAX_ADVICE, MAX_ALIGN_SHIFT, MAX_INDEX, MAX_INHERIT, MAX_MAP_NUMBER,
    MAX_PAGES,
};
use crate::program::{
    FaultPlanSpec, KindMask, MachinePreset, PortMode, Program, Repeated, MAX_FAILING_ALLOC,
    MAX_OPS, MAX_PLANNED_FAILURES, MAX_REPEAT, TEXT_VERSION,
};

/// A reader over one value (the part after `key=`), which knows where it
/// sits on its line so that errors point at the right column.
struct ValueReader<'a> {
    text: &'a str,
    position: usize,
    line: usize,
    column: usize,
}

type ParseResult<T> = Result<T, ParseError>;

impl<'a> ValueReader<'a> {
    fn error<T>(&self, message: impl Into<String>) -> ParseResult<T> {
        self.error_at(self.position, message)
    }

    /// An error that points at `position` (where the faulty word or number
    /// began) rather than at where reading it stopped.
    fn error_at<T>(&self, position: usize, message: impl Into<String>) -> ParseResult<T> {
        Err(ParseError {
            line: self.line,
            column: self.column + self.text[..position].chars().count(),
            message: message.into(),
        })
    }

    fn rest(&self) -> &'a str {
        &self.text[self.position..]
    }

    fn eat(&mut self, expected: &str) -> bool {
        let found = self.rest().starts_with(expected);
        if found {
            self.position += expected.len();
        }
        found
    }

    fn expect(&mut self, expected: &str) -> ParseResult<()> {
        if self.eat(expected) {
            return Ok(());
        }
        self.error(format!("expected `{expected}`"))
    }

    /// A word of lower-case letters and dashes.
    fn word(&mut self) -> &'a str {
        let rest = self.rest();
        let length = rest
            .find(|c: char| !(c.is_ascii_lowercase() || c == '-'))
            .unwrap_or(rest.len());
        self.position += length;
        &rest[..length]
    }

    /// A decimal or `0x` hexadecimal number; `_` may separate digits.
    fn number(&mut self) -> ParseResult<u64> {
        let rest = self.rest();
        let (radix, digits_start) = if rest.starts_with("0x") {
            (16, 2)
        } else {
            (10, 0)
        };
        let digits_length = rest[digits_start..]
            .find(|c: char| !(c.is_digit(radix) || c == '_'))
            .unwrap_or(rest.len() - digits_start);
        let digits: String = rest[digits_start..digits_start + digits_length]
            .chars()
            .filter(|&c| c != '_')
            .collect();
        match u64::from_str_radix(&digits, radix) {
            Ok(value) => {
                self.position += digits_start + digits_length;
                Ok(value)
            }
            Err(_) => self.error("expected a number (decimal, or hexadecimal after 0x) below 2^64"),
        }
    }

    /// A number no larger than `max`.
    fn small(&mut self, max: u8, what: &str) -> ParseResult<u8> {
        let start = self.position;
        let value = self.number()?;
        match u8::try_from(value) {
            Ok(small) if small <= max => Ok(small),
            _ => self.error_at(start, format!("{what} {value} is larger than {max}")),
        }
    }

    /// What `inner` reads between `(` and `)`.
    fn parenthesised<T>(
        &mut self,
        inner: impl FnOnce(&mut Self) -> ParseResult<T>,
    ) -> ParseResult<T> {
        self.expect("(")?;
        let value = inner(self)?;
        self.expect(")")?;
        Ok(value)
    }

    fn parenthesised_small(&mut self, max: u8, what: &str) -> ParseResult<u8> {
        self.parenthesised(|reader| reader.small(max, what))
    }

    fn parenthesised_number(&mut self) -> ParseResult<u64> {
        self.parenthesised(Self::number)
    }

    fn finish<T>(&self, value: T) -> ParseResult<T> {
        if self.position == self.text.len() {
            Ok(value)
        } else {
            self.error("unexpected text")
        }
    }
}

fn parse_map(reader: &mut ValueReader) -> ParseResult<MapSel> {
    if reader.eat("kernel") {
        return Ok(MapSel::Kernel);
    }
    let start = reader.position;
    match reader.small(MAX_MAP_NUMBER, "user map number")? {
        0 => reader.error_at(start, "user maps are numbered from 1"),
        number => Ok(MapSel::User(number)),
    }
}

fn parse_object(reader: &mut ValueReader) -> ParseResult<ObjectSel> {
    if reader.eat("none") {
        return Ok(ObjectSel::None);
    }
    Ok(ObjectSel::Nth(reader.small(MAX_INDEX, "object index")?))
}

/// An anchor whose name (which began at `name_start`) was just read.
fn parse_anchor_named(
    name: &str,
    name_start: usize,
    reader: &mut ValueReader,
) -> ParseResult<Anchor> {
    let index = |reader: &mut ValueReader| reader.parenthesised_small(MAX_INDEX, "index");
    match name {
        "entry-start" => Ok(Anchor::EntryStart(index(reader)?)),
        "entry-end" => Ok(Anchor::EntryEnd(index(reader)?)),
        "gap-start" => Ok(Anchor::GapStart(index(reader)?)),
        "gap-end" => Ok(Anchor::GapEnd(index(reader)?)),
        "map-start" => Ok(Anchor::MapStart),
        "map-end" => Ok(Anchor::MapEnd),
        _ => reader.error_at(name_start, format!("unknown address `{name}`")),
    }
}

fn parse_delta(reader: &mut ValueReader) -> ParseResult<i8> {
    let negative = if reader.eat("-") {
        true
    } else {
        reader.expect("+")?;
        false
    };
    let start = reader.position;
    let magnitude = i64::try_from(reader.number()?).unwrap_or(i64::MAX);
    let delta = if negative { -magnitude } else { magnitude };
    i8::try_from(delta).or_else(|_| reader.error_at(start, "a page delta lies in -128..=127"))
}

fn parse_addr(reader: &mut ValueReader) -> ParseResult<AddrSel> {
    let word_start = reader.position;
    match reader.word() {
        "none" => Ok(AddrSel::Zero),
        "raw" => Ok(AddrSel::Raw(reader.parenthesised_number()?)),
        "near" => reader.parenthesised(parse_near),
        name => Ok(AddrSel::At(parse_anchor_named(name, word_start, reader)?)),
    }
}

/// The inside of `near(ANCHOR, DELTA)`.
fn parse_near(reader: &mut ValueReader) -> ParseResult<AddrSel> {
    let name_start = reader.position;
    let name = reader.word();
    let anchor = parse_anchor_named(name, name_start, reader)?;
    reader.expect(",")?;
    Ok(AddrSel::Near(anchor, parse_delta(reader)?))
}

fn parse_size(reader: &mut ValueReader) -> ParseResult<SizeSel> {
    let word_start = reader.position;
    match reader.word() {
        "pages" => Ok(SizeSel::Pages(
            reader.parenthesised_small(MAX_PAGES, "page count")?,
        )),
        "gap-size" => Ok(SizeSel::GapSize(
            reader.parenthesised_small(MAX_INDEX, "index")?,
        )),
        "entry-size" => Ok(SizeSel::EntrySize(
            reader.parenthesised_small(MAX_INDEX, "index")?,
        )),
        "raw" => Ok(SizeSel::Raw(reader.parenthesised_number()?)),
        name => reader.error_at(word_start, format!("unknown size `{name}`")),
    }
}

fn parse_align(reader: &mut ValueReader) -> ParseResult<AlignSel> {
    let word_start = reader.position;
    match reader.word() {
        "pages" => reader.parenthesised(parse_align_pages),
        "none" => Ok(AlignSel::None),
        "raw" => Ok(AlignSel::Raw(reader.parenthesised_number()?)),
        name => reader.error_at(word_start, format!("unknown alignment `{name}`")),
    }
}

/// The inside of `pages(N)` as an alignment: a power of two, as a shift.
fn parse_align_pages(reader: &mut ValueReader) -> ParseResult<AlignSel> {
    let value_start = reader.position;
    let pages = reader.number()?;
    if !pages.is_power_of_two() || pages.trailing_zeros() > u32::from(MAX_ALIGN_SHIFT) {
        return reader.error_at(
            value_start,
            format!("an alignment in pages is a power of two up to 2^{MAX_ALIGN_SHIFT}"),
        );
    }
    Ok(AlignSel::PageShift(pages.trailing_zeros() as u8))
}

fn parse_offset(reader: &mut ValueReader) -> ParseResult<ValueSel> {
    let word_start = reader.position;
    match reader.word() {
        "pages" => Ok(ValueSel::Pages(
            reader.parenthesised_small(MAX_PAGES, "page count")?,
        )),
        "raw" => Ok(ValueSel::Raw(reader.parenthesised_number()?)),
        name => reader.error_at(word_start, format!("unknown offset `{name}`")),
    }
}

fn parse_prot(reader: &mut ValueReader) -> ParseResult<u8> {
    if reader.eat("none") {
        return Ok(0);
    }
    let mut bits = 0;
    while let Some(letter) = reader.rest().chars().next() {
        let bit = match letter {
            'r' => 1,
            'w' => 2,
            'x' => 4,
            _ => break,
        };
        if bits & bit != 0 {
            return reader.error(format!("`{letter}` twice"));
        }
        bits |= bit;
        reader.position += 1;
    }
    if bits == 0 {
        return reader.error("expected `none` or letters from `rwx`");
    }
    Ok(bits)
}

fn parse_named(reader: &mut ValueReader, names: &[&str], max: u8, what: &str) -> ParseResult<u8> {
    if reader.rest().starts_with(|c: char| c.is_ascii_digit()) {
        return reader.small(max, what);
    }
    let word_start = reader.position;
    let word = reader.word();
    match names.iter().position(|&name| name == word) {
        Some(index) => Ok(index as u8),
        None => reader.error_at(
            word_start,
            format!(
                "unknown {what} `{word}` (one of {}, or a number)",
                names.join(", ")
            ),
        ),
    }
}

/// One word of a line, with its column (from 1).
#[derive(Clone, Copy)]
struct Word<'a> {
    text: &'a str,
    column: usize,
}

fn split_words(line: &str) -> Vec<Word<'_>> {
    let mut words = Vec::new();
    let mut start = None;
    for (column, (offset, c)) in line.char_indices().enumerate() {
        match (c.is_whitespace(), start) {
            (false, None) => start = Some((offset, column + 1)),
            (true, Some((word_start, word_column))) => {
                words.push(Word {
                    text: &line[word_start..offset],
                    column: word_column,
                });
                start = None;
            }
            _ => {}
        }
    }
    if let Some((word_start, word_column)) = start {
        words.push(Word {
            text: &line[word_start..],
            column: word_column,
        });
    }
    words
}

/// The `key=value` fields and bare flag words of an operation line.
struct Fields<'a> {
    line: usize,
    keyword: Word<'a>,
    pairs: Vec<(&'a str, Word<'a>)>,
    flags: Vec<Word<'a>>,
}

impl<'a> Fields<'a> {
    fn new(
        line: usize,
        keyword: Word<'a>,
        words: &[Word<'a>],
        keys: &[&str],
        flags: &[&str],
    ) -> ParseResult<Self> {
        let mut fields = Fields {
            line,
            keyword,
            pairs: Vec::new(),
            flags: Vec::new(),
        };
        for &word in words {
            let error = |column: usize, message: String| {
                Err(ParseError {
                    line,
                    column,
                    message,
                })
            };
            match word.text.split_once('=') {
                Some((key, value)) => {
                    if !keys.contains(&key) {
                        return error(
                            word.column,
                            format!("{} has no field `{key}`", keyword.text),
                        );
                    }
                    if fields.pairs.iter().any(|&(seen, _)| seen == key) {
                        return error(word.column, format!("field `{key}` given twice"));
                    }
                    let value_word = Word {
                        text: value,
                        column: word.column + key.chars().count() + 1,
                    };
                    fields.pairs.push((key, value_word));
                }
                None if flags.contains(&word.text) => {
                    if fields.flags.iter().any(|seen| seen.text == word.text) {
                        return error(word.column, format!("`{}` given twice", word.text));
                    }
                    fields.flags.push(word);
                }
                None => {
                    return error(
                        word.column,
                        format!("unexpected `{}` (fields are key=value)", word.text),
                    )
                }
            }
        }
        Ok(fields)
    }

    fn flag(&self, name: &str) -> bool {
        self.flags.iter().any(|word| word.text == name)
    }

    /// The map every operation names (`map=`).
    fn map(&self) -> ParseResult<MapSel> {
        self.get("map", None, parse_map)
    }

    /// The address under `key`, which the operation requires.
    fn addr(&self, key: &str) -> ParseResult<AddrSel> {
        self.get(key, None, parse_addr)
    }

    /// Parses field `key` with `parse`, or yields `default` (an error when
    /// there is none) if the line leaves it out.
    fn get<T>(
        &self,
        key: &str,
        default: Option<T>,
        parse: fn(&mut ValueReader) -> ParseResult<T>,
    ) -> ParseResult<T> {
        let Some(&(_, word)) = self.pairs.iter().find(|&&(seen, _)| seen == key) else {
            return default.ok_or_else(|| ParseError {
                line: self.line,
                column: self.keyword.column,
                message: format!("{} needs `{key}=`", self.keyword.text),
            });
        };
        let mut reader = ValueReader {
            text: word.text,
            position: 0,
            line: self.line,
            column: word.column,
        };
        let value = parse(&mut reader)?;
        reader.finish(value)
    }
}

fn parse_enter(fields: &Fields) -> ParseResult<Op> {
    let defaults = EnterArgs::default();
    Ok(Op::Enter(EnterArgs {
        map: fields.map()?,
        object: fields.get("object", Some(defaults.object), parse_object)?,
        offset: fields.get("offset", Some(defaults.offset), parse_offset)?,
        start: fields.get("start", Some(defaults.start), parse_addr)?,
        size: fields.get("size", None, parse_size)?,
        align: fields.get("align", Some(defaults.align), parse_align)?,
        prot: fields.get("prot", Some(defaults.prot), parse_prot)?,
        maxprot: fields.get("maxprot", Some(defaults.maxprot), parse_prot)?,
        inherit: fields.get("inherit", Some(defaults.inherit), |r| {
            parse_named(r, &INHERIT_NAMES, MAX_INHERIT, "inheritance")
        })?,
        advice: fields.get("advice", Some(defaults.advice), |r| {
            parse_named(r, &ADVICE_NAMES, MAX_ADVICE, "advice")
        })?,
        fixed: fields.flag("fixed"),
        nomerge: fields.flag("nomerge"),
        invalid: fields.flag("invalid"),
    }))
}

const ENTER_KEYS: [&str; 10] = [
    "map", "object", "offset", "start", "size", "align", "prot", "maxprot", "inherit", "advice",
];

/// Parses an operation line whose first word is `keyword`: `repeat N`
/// and an enter or a remove, or a single operation.
fn parse_op(line: usize, keyword: Word, words: &[Word]) -> ParseResult<Op> {
    if keyword.text != "repeat" {
        return parse_single_op(line, keyword, words);
    }
    let error = |column: usize, message: String| ParseError {
        line,
        column,
        message,
    };
    let (Some(count_word), Some(&body_keyword)) = (words.first(), words.get(1)) else {
        return Err(error(
            keyword.column,
            "`repeat` needs a count and an enter or a remove".into(),
        ));
    };
    let count = count_word
        .text
        .parse::<u16>()
        .ok()
        .filter(|count| (1..=MAX_REPEAT).contains(count))
        .ok_or_else(|| {
            let message = format!("repeat count `{}` not in 1..={MAX_REPEAT}", count_word.text);
            error(count_word.column, message)
        })?;
    let body = parse_single_op(line, body_keyword, &words[2..])?;
    let body = Repeated::of(body).ok_or_else(|| {
        let message = format!(
            "`{}` cannot be repeated (enter or remove)",
            body_keyword.text
        );
        error(body_keyword.column, message)
    })?;
    Ok(Op::Repeat { count, body })
}

/// Parses an operation line whose first word is `keyword`.
fn parse_single_op(line: usize, keyword: Word, words: &[Word]) -> ParseResult<Op> {
    let Some(kind) = OpKind::from_name(keyword.text) else {
        return Err(ParseError {
            line,
            column: keyword.column,
            message: format!("unknown operation or setting `{}`", keyword.text),
        });
    };
    let fields = |keys: &[&str], flags: &[&str]| Fields::new(line, keyword, words, keys, flags);
    match kind {
        OpKind::CreateMap | OpKind::CreateObject | OpKind::Reap => {
            fields(&[], &[])?;
            Ok(match kind {
                OpKind::CreateMap => Op::CreateMap,
                OpKind::CreateObject => Op::CreateObject,
                _ => Op::Reap,
            })
        }
        OpKind::Enter => parse_enter(&fields(&ENTER_KEYS, &["fixed", "nomerge", "invalid"])?),
        OpKind::Remove => {
            let fields = fields(&["map", "start", "end"], &["invalid"])?;
            Ok(Op::Remove(RemoveArgs {
                map: fields.map()?,
                start: fields.addr("start")?,
                end: fields.addr("end")?,
                invalid: fields.flag("invalid"),
            }))
        }
        OpKind::Fault => {
            let fields = fields(&["map", "addr", "access"], &["invalid"])?;
            Ok(Op::Fault(FaultArgs {
                map: fields.map()?,
                addr: fields.addr("addr")?,
                access: fields.get("access", None, parse_prot)?,
                invalid: fields.flag("invalid"),
            }))
        }
        OpKind::Info => {
            let fields = fields(&["map"], &[])?;
            Ok(Op::Info { map: fields.map()? })
        }
    }
}

/// The configuration lines seen so far.
#[derive(Default)]
struct Settings {
    machine_seen: bool,
    mode_seen: bool,
    swarm_seen: bool,
}

/// Parses a configuration line (`machine`, `mode`, `fail`, `swarm`); returns
/// `Ok(false)` when the line is not one.
fn parse_setting(
    line: usize,
    words: &[Word],
    program: &mut Program,
    settings: &mut Settings,
) -> ParseResult<bool> {
    let error = |word: &Word, message: String| ParseError {
        line,
        column: word.column,
        message,
    };
    let keyword = words[0];
    let argument = |index: usize| {
        words
            .get(index)
            .copied()
            .ok_or_else(|| error(&keyword, format!("`{}` needs an argument", keyword.text)))
    };
    match keyword.text {
        "machine" => {
            let preset = argument(1)?;
            program.machine = MachinePreset::ALL
                .into_iter()
                .find(|machine| machine.name() == preset.text)
                .ok_or_else(|| {
                    let message =
                        format!("unknown machine `{}` (tiny, scarce or normal)", preset.text);
                    error(&preset, message)
                })?;
            if std::mem::replace(&mut settings.machine_seen, true) {
                return Err(error(&keyword, "machine given twice".into()));
            }
            expect_no_more(line, words, 2)?;
        }
        "mode" => {
            let mode = argument(1)?;
            program.mode = PortMode::from_name(mode.text).ok_or_else(|| {
                error(
                    &mode,
                    format!("unknown mode `{}` (bug-for-bug or fixed)", mode.text),
                )
            })?;
            if std::mem::replace(&mut settings.mode_seen, true) {
                return Err(error(&keyword, "mode given twice".into()));
            }
            expect_no_more(line, words, 2)?;
        }
        "fail" => parse_fail(line, words, &mut program.fault_plan)?,
        "swarm" => {
            argument(1)?;
            if std::mem::replace(&mut settings.swarm_seen, true) {
                return Err(error(&keyword, "swarm given twice".into()));
            }
            let mut bits = 0;
            for word in &words[1..] {
                let kind = OpKind::from_name(word.text).ok_or_else(|| {
                    error(word, format!("unknown operation kind `{}`", word.text))
                })?;
                bits |= kind.bit();
            }
            program.swarm = KindMask::from_bits(bits).unwrap_or(KindMask::ALL);
        }
        _ => return Ok(false),
    }
    Ok(true)
}

fn expect_no_more(line: usize, words: &[Word], count: usize) -> ParseResult<()> {
    match words.get(count) {
        Some(extra) => Err(ParseError {
            line,
            column: extra.column,
            message: format!("unexpected `{}`", extra.text),
        }),
        None => Ok(()),
    }
}

fn parse_fail(line: usize, words: &[Word], plan: &mut FaultPlanSpec) -> ParseResult<()> {
    let error = |column: usize, message: String| {
        Err(ParseError {
            line,
            column,
            message,
        })
    };
    let (Some(which), Some(number_word)) = (words.get(1), words.get(2)) else {
        return error(
            words[0].column,
            "expected `fail phys N` or `fail cache N`".into(),
        );
    };
    let list = match which.text {
        "phys" => &mut plan.failing_phys_allocs,
        "cache" => &mut plan.failing_cache_allocs,
        other => {
            return error(
                which.column,
                format!("unknown allocation kind `{other}` (phys or cache)"),
            )
        }
    };
    let number = match number_word.text.parse::<u32>() {
        Ok(number) if (1..=MAX_FAILING_ALLOC).contains(&number) => number,
        _ => {
            return error(
                number_word.column,
                format!("expected an allocation number in 1..={MAX_FAILING_ALLOC}"),
            )
        }
    };
    if !list.push(number) {
        return error(
            words[0].column,
            format!(
                "at most {MAX_PLANNED_FAILURES} failing {} allocations",
                which.text
            ),
        );
    }
    expect_no_more(line, words, 3)
}

/// The header line's prefix; the format version follows it.
pub const HEADER_PREFIX: &str = "# vm-diff program v";

/// Rejects a `# vm-diff program vN` header of a version this build does not
/// read.
fn check_header(line: usize, raw_line: &str) -> Result<(), ParseError> {
    let Some(version) = raw_line.trim_start().strip_prefix(HEADER_PREFIX) else {
        return Ok(());
    };
    let version = version.split_whitespace().next().unwrap_or("");
    if version == TEXT_VERSION.to_string() {
        return Ok(());
    }
    Err(ParseError {
        line,
        column: raw_line.len() - raw_line.trim_start().len() + 1,
        message: format!(
            "format version `v{version}` is not supported: this vm-diff reads `{HEADER_PREFIX}{TEXT_VERSION}`"
        ),
    })
}

impl Program {
    /// Parses the text form (see the module documentation of `text/mod.rs`).
    pub fn parse_text(text: &str) -> Result<Program, ParseError> {
        let mut program = Program::new();
        let mut settings = Settings::default();
        // Editors on some systems start UTF-8 files with a byte-order mark.
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        for (line_index, raw_line) in text.lines().enumerate() {
            let line = line_index + 1;
            check_header(line, raw_line)?;
            let content = raw_line.split('#').next().unwrap_or("");
            let words = split_words(content);
            let Some(&keyword) = words.first() else {
                continue;
            };
            let error = |message: String| ParseError {
                line,
                column: keyword.column,
                message,
            };
            if parse_setting(line, &words, &mut program, &mut settings)? {
                if !program.ops.is_empty() {
                    return Err(error("settings come before the operations".into()));
                }
                continue;
            }
            let op = parse_op(line, keyword, &words[1..])?;
            if program.ops.len() == MAX_OPS {
                return Err(error(format!("more than {MAX_OPS} operations")));
            }
            if !program.swarm.contains(op.kind()) {
                return Err(error(format!(
                    "{} is not enabled by the swarm line",
                    keyword.text
                )));
            }
            program.ops.push(op);
        }
        Ok(program)
    }
}
