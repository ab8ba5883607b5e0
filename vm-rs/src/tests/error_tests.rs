//! X15's error codes (`kern/error.h`): each code the header defines reads
//! back as the error of that name, and no other value is an error.

extern crate std;

use std::vec::Vec;

use crate::Error;

/// The header the codes come from, vendored with the seed.
const ERROR_H: &str = include_str!("../../../c-reference/x15/kern/error.h");

/// Each `#define ERROR_<NAME> <code>` of the header, as its name and code.
fn defined_codes() -> Vec<(&'static str, i32)> {
    ERROR_H
        .lines()
        .filter_map(|line| {
            let mut words = line.split_whitespace();
            let define = words.next()? == "#define";
            let name = words.next().filter(|name| name.starts_with("ERROR_"))?;
            let code = words.next()?.parse().ok()?;
            define.then_some((name, code))
        })
        .collect()
}

#[test]
fn each_code_of_the_header_is_the_error_of_its_name() {
    let codes = defined_codes();
    assert_eq!(codes.len(), 6, "{codes:?}");
    for (name, code) in codes {
        let error = Error::from_code(code).unwrap_or_else(|| panic!("{name} = {code}"));
        assert_eq!(error.name(), name);
        assert_eq!(error.code(), code);
    }
}

#[test]
fn no_other_value_is_an_error() {
    let defined: Vec<i32> = defined_codes().iter().map(|&(_, code)| code).collect();
    for code in [i32::MIN, -1, 0, 7, 8, 100, i32::MAX] {
        assert!(!defined.contains(&code));
        assert_eq!(Error::from_code(code), None, "{code}");
    }
}
