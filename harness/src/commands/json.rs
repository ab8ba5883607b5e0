//! The small JSON writer behind `vm-diff replay --json`: one object on one
//! line, built field by field. Writing cannot fail.

use std::fmt;

/// One JSON object on one line, built field by field.
pub(super) struct JsonObject(String);

impl JsonObject {
    pub(super) fn new() -> JsonObject {
        JsonObject(String::new())
    }

    fn key(mut self, key: &str) -> JsonObject {
        self.0.push(if self.0.is_empty() { '{' } else { ',' });
        push_json_string(&mut self.0, key);
        self.0.push(':');
        self
    }

    pub(super) fn string(self, key: &str, value: &str) -> JsonObject {
        let mut object = self.key(key);
        push_json_string(&mut object.0, value);
        object
    }

    pub(super) fn optional(self, key: &str, value: Option<&str>) -> JsonObject {
        match value {
            Some(value) => self.string(key, value),
            None => {
                let mut object = self.key(key);
                object.0.push_str("null");
                object
            }
        }
    }

    pub(super) fn number(self, key: &str, value: Option<usize>) -> JsonObject {
        let mut object = self.key(key);
        match value {
            Some(value) => object.0.push_str(&value.to_string()),
            None => object.0.push_str("null"),
        }
        object
    }
}

impl fmt::Display for JsonObject {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}}}", self.0)
    }
}

/// Appends `value` as a JSON string literal.
fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    for character in value.chars() {
        match character {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            control if u32::from(control) < 0x20 => {
                out.push_str(&format!("\\u{:04x}", u32::from(control)));
            }
            other => out.push(other),
        }
    }
    out.push('"');
}
