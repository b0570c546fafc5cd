//! Where a JSON pointer lands in a JSON text: the line and column CI tools need to put an
//! annotation on the right place of a file.
//!
//! The schema and payload parsers keep no spans, so this walks the text itself, just far
//! enough to follow the pointer. An object member is located at its key (the keyword a schema
//! finding is about), an array element at its first character.

use percent_encoding::percent_decode_str;

/// A 1-based line and column. Columns count Unicode code points (SARIF `unicodeCodePoints`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LineCol {
    /// 1-based line.
    pub line: usize,
    /// 1-based column, in code points.
    pub column: usize,
}

/// Locates `pointer` in the JSON `text`.
///
/// `pointer` is an RFC 6901 pointer (`/properties/a~1b/items/0`) or its URI-fragment form
/// (`#/properties/a%20b`). When part of the pointer does not exist in `text` (a removed
/// property, say), this is the place of its deepest ancestor that does. `None` when `text` is
/// not JSON that far.
pub fn locate(text: &str, pointer: &str) -> Option<LineCol> {
    let segments = segments(pointer);
    let bytes = text.as_bytes();
    let mut pos = skip_ws(bytes, 0);
    bytes.get(pos)?;
    let mut found = pos;
    let mut next = 0;
    while next < segments.len() {
        match bytes.get(pos) {
            // A name holding `/` may reach us unescaped (`oil/filter` for `oil~1filter`): when
            // a segment names no member, try it joined with the segments after it.
            Some(b'{') => match (next + 1..=segments.len())
                .find_map(|end| member(text, pos, &segments[next..end].join("/")).map(|m| (m, end)))
            {
                Some(((key, value), end)) => {
                    found = key;
                    pos = value;
                    next = end;
                }
                None => break,
            },
            Some(b'[') => match segments[next]
                .parse::<usize>()
                .ok()
                .and_then(|i| element(bytes, pos, i))
            {
                Some(at) => {
                    found = at;
                    pos = at;
                    next += 1;
                }
                None => break,
            },
            _ => break,
        }
    }
    Some(line_col(text, found))
}

/// The unescaped reference tokens of `pointer`.
fn segments(pointer: &str) -> Vec<String> {
    let pointer = match pointer.strip_prefix('#') {
        Some(fragment) => percent_decode_str(fragment)
            .decode_utf8_lossy()
            .into_owned(),
        None => pointer.to_string(),
    };
    if pointer.is_empty() {
        return Vec::new();
    }
    pointer
        .strip_prefix('/')
        .unwrap_or(&pointer)
        .split('/')
        .map(|s| s.replace("~1", "/").replace("~0", "~"))
        .collect()
}

/// The 1-based line and column of byte `offset`.
fn line_col(text: &str, offset: usize) -> LineCol {
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let start = before.rfind('\n').map_or(0, |i| i + 1);
    LineCol {
        line,
        column: before[start..].chars().count() + 1,
    }
}

fn skip_ws(bytes: &[u8], mut pos: usize) -> usize {
    while bytes.get(pos).is_some_and(|b| b.is_ascii_whitespace()) {
        pos += 1;
    }
    pos
}

/// The end (exclusive) of the string starting at `pos` (its opening quote).
fn string_end(bytes: &[u8], pos: usize) -> Option<usize> {
    let mut i = pos + 1;
    loop {
        match bytes.get(i)? {
            b'\\' => i += 2,
            b'"' => return Some(i + 1),
            _ => i += 1,
        }
    }
}

/// The end (exclusive) of the value starting at `pos`.
fn value_end(bytes: &[u8], pos: usize) -> Option<usize> {
    match bytes.get(pos)? {
        b'"' => string_end(bytes, pos),
        b'{' | b'[' => {
            let mut depth = 0usize;
            let mut i = pos;
            loop {
                match bytes.get(i)? {
                    b'"' => {
                        i = string_end(bytes, i)?;
                        continue;
                    }
                    b'{' | b'[' => depth += 1,
                    b'}' | b']' => {
                        depth -= 1;
                        if depth == 0 {
                            return Some(i + 1);
                        }
                    }
                    _ => {}
                }
                i += 1;
            }
        }
        _ => {
            let mut i = pos;
            while bytes
                .get(i)
                .is_some_and(|b| !matches!(b, b',' | b'}' | b']') && !b.is_ascii_whitespace())
            {
                i += 1;
            }
            Some(i)
        }
    }
}

/// In the object at `pos`, the offsets of the key `name` and of its value.
fn member(text: &str, pos: usize, name: &str) -> Option<(usize, usize)> {
    let bytes = text.as_bytes();
    let mut i = skip_ws(bytes, pos + 1);
    while bytes.get(i)? == &b'"' {
        let key_end = string_end(bytes, i)?;
        let key: String = serde_json::from_str(text.get(i..key_end)?).ok()?;
        let colon = skip_ws(bytes, key_end);
        if bytes.get(colon)? != &b':' {
            return None;
        }
        let value = skip_ws(bytes, colon + 1);
        if key == name {
            return Some((i, value));
        }
        i = skip_ws(bytes, value_end(bytes, value)?);
        if bytes.get(i)? != &b',' {
            return None;
        }
        i = skip_ws(bytes, i + 1);
    }
    None
}

/// In the array at `pos`, the offset of element `index`.
fn element(bytes: &[u8], pos: usize, index: usize) -> Option<usize> {
    let mut i = skip_ws(bytes, pos + 1);
    if bytes.get(i)? == &b']' {
        return None;
    }
    for _ in 0..index {
        i = skip_ws(bytes, value_end(bytes, i)?);
        if bytes.get(i)? != &b',' {
            return None;
        }
        i = skip_ws(bytes, i + 1);
    }
    Some(i)
}

#[cfg(test)]
mod tests {
    use super::*;

    const SCHEMA: &str = r#"{
  "$schema": "http://json-schema.org/draft-07/schema#",
  "type": "object",
  "properties": {
    "a/b": { "type": "string" },
    "t~n": { "description": "tilde \"quoted\" é", "type": "number" },
    "readings": {
      "type": "array",
      "items": [
        { "type": "string" },
        {
          "type": "object",
          "properties": {
            "fuel": {
              "type": "number",
              "maximum": 100
            }
          }
        }
      ]
    }
  }
}
"#;

    fn at(pointer: &str) -> (usize, usize) {
        let l = locate(SCHEMA, pointer).expect("located");
        (l.line, l.column)
    }

    #[test]
    fn deep_pointer_through_arrays_lands_on_the_keyword() {
        assert_eq!(
            at("/properties/readings/items/1/properties/fuel/maximum"),
            (16, 15)
        );
        assert_eq!(at("/properties/readings/items/1"), (11, 9));
        assert_eq!(at("/properties/readings/items/0/type"), (10, 11));
    }

    #[test]
    fn escaped_segments_are_unescaped() {
        assert_eq!(at("/properties/a~1b/type"), (5, 14));
        assert_eq!(at("/properties/t~0n/type"), (6, 51));
    }

    #[test]
    fn unescaped_slashes_in_names_are_tolerated() {
        assert_eq!(at("/properties/a/b/type"), at("/properties/a~1b/type"));
    }

    #[test]
    fn uri_fragments_are_percent_decoded() {
        assert_eq!(at("#/properties/a~1b"), (5, 5));
        assert_eq!(at("#/properties/t~0n/type"), at("/properties/t~0n/type"));
        assert_eq!(
            locate(r#"{"a b": 1}"#, "#/a%20b"),
            Some(LineCol { line: 1, column: 2 })
        );
    }

    #[test]
    fn missing_parts_fall_back_to_the_deepest_ancestor() {
        assert_eq!(
            at("/properties/readings/items/1/properties/gone/type"),
            (13, 11)
        );
        assert_eq!(at("/properties/readings/items/7"), (9, 7));
        assert_eq!(at(""), (1, 1));
        assert_eq!(at("#"), (1, 1));
    }

    #[test]
    fn payload_lines_locate_their_members() {
        let line = r#"{"id": "g3", "fuel": "64", "tags": [1, {"x": null}]}"#;
        assert_eq!(
            locate(line, "/fuel"),
            Some(LineCol {
                line: 1,
                column: 14
            })
        );
        assert_eq!(
            locate(line, "/tags/1/x"),
            Some(LineCol {
                line: 1,
                column: 41
            })
        );
        assert_eq!(locate("", "/a"), None);
    }
}
