//! `parse_xml(xml)`: XML text as a dynamic value, converted the way Kusto
//! documents it:
//!
//! - `<e/>` → `{"e": null}`; `<e>text</e>` → `{"e": "text"}`;
//! - attributes become `@name` keys: `<e a="1">t</e>` → `{"e": {"@a": "1", "#text": "t"}}`;
//! - child elements become keys, repeated ones an array:
//!   `<e><a>x</a><a>y</a></e>` → `{"e": {"a": ["x", "y"]}}`;
//! - text beside child elements is kept under `#text`, trimmed.
//!
//! Only elements, attributes and text (CDATA included, entities resolved)
//! are kept; comments, processing instructions and the declaration are
//! skipped. Values stay strings. Malformed XML, input over 1 MB and nesting
//! deeper than [`MAX_DEPTH`] give null.

use crate::function::FunctionProperties;
use std::sync::Arc;

use indexmap::IndexMap;
use quick_xml::events::{BytesStart, Event};
use quick_xml::Reader;

use super::{arg, arity, expect, rowwise, Func};
use crate::types::DataType;
use crate::value::{Dynamic, Value};

/// Kusto's input limit: longer text gives null.
const MAX_INPUT: usize = 1 << 20;

/// Deepest element nesting converted (deeper documents give null).
pub const MAX_DEPTH: usize = 128;

pub(super) fn functions() -> Vec<Func> {
    vec![Func {
        name: "parse_xml",
        signature: |a| {
            arity(a, 1, 1)?;
            expect(a, 0, "a string", |t| {
                matches!(t, DataType::String | DataType::Dynamic)
            })?;
            Ok(DataType::Dynamic)
        },
        properties: FunctionProperties::PLAIN,
        evaluate: |a, rows, _| {
            Ok(rowwise(
                &[arg(a, 0)],
                rows,
                DataType::Dynamic,
                |v| match v.first() {
                    None | Some(Value::Null) => Value::Null,
                    Some(x) => parse_xml(&x.to_string()).map_or(Value::Null, Value::Dynamic),
                },
            ))
        },
    }]
}

/// An element being read.
struct Frame {
    name: String,
    attributes: Vec<(String, String)>,
    children: IndexMap<String, Vec<Dynamic>>,
    text: String,
}

impl Frame {
    fn open(start: &BytesStart<'_>) -> Option<Frame> {
        let name = std::str::from_utf8(start.name().as_ref()).ok()?.to_string();
        let mut attributes = Vec::new();
        for a in start.attributes() {
            let a = a.ok()?;
            let key = std::str::from_utf8(a.key.as_ref()).ok()?;
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .ok()?;
            attributes.push((format!("@{key}"), value.into_owned()));
        }
        Some(Frame {
            name,
            attributes,
            children: IndexMap::new(),
            text: String::new(),
        })
    }

    /// The element's value (its name is the key it is stored under).
    fn close(self) -> (String, Dynamic) {
        let text = self.text.trim();
        if self.attributes.is_empty() && self.children.is_empty() {
            let value = if text.is_empty() {
                Dynamic::Null
            } else {
                Dynamic::String(Arc::from(text))
            };
            return (self.name, value);
        }
        let mut bag: IndexMap<Arc<str>, Dynamic> = IndexMap::new();
        for (k, v) in self.attributes {
            bag.insert(Arc::from(k), Dynamic::String(Arc::from(v)));
        }
        if !text.is_empty() {
            bag.insert(Arc::from("#text"), Dynamic::String(Arc::from(text)));
        }
        for (k, mut values) in self.children {
            let value = if values.len() == 1 {
                values.pop().unwrap_or(Dynamic::Null)
            } else {
                Dynamic::Array(Arc::new(values))
            };
            bag.insert(Arc::from(k), value);
        }
        (self.name, Dynamic::Bag(Arc::new(bag)))
    }
}

/// Converts an XML document; `None` when it is malformed or too large.
pub(crate) fn parse_xml(text: &str) -> Option<Dynamic> {
    if text.len() > MAX_INPUT {
        return None;
    }
    let mut reader = Reader::from_str(text);
    let mut stack: Vec<Frame> = Vec::new();
    let mut root: Option<(String, Dynamic)> = None;
    loop {
        let event = reader.read_event().ok()?;
        match event {
            Event::Start(e) => {
                if stack.len() >= MAX_DEPTH || root.is_some() {
                    return None;
                }
                stack.push(Frame::open(&e)?);
            }
            Event::Empty(e) => {
                if root.is_some() {
                    return None;
                }
                let done = Frame::open(&e)?.close();
                finish(&mut stack, &mut root, done);
            }
            Event::End(_) => {
                let done = stack.pop()?.close();
                finish(&mut stack, &mut root, done);
            }
            Event::Text(t) => {
                let s = t.decode().ok()?;
                push_text(&mut stack, &s)?;
            }
            Event::CData(t) => {
                let s = t.decode().ok()?;
                push_text(&mut stack, &s)?;
            }
            Event::GeneralRef(r) => {
                let resolved = if r.is_char_ref() {
                    r.resolve_char_ref().ok()??.to_string()
                } else {
                    let name = r.decode().ok()?;
                    quick_xml::escape::resolve_predefined_entity(&name)?.to_string()
                };
                push_text(&mut stack, &resolved)?;
            }
            Event::Comment(_) | Event::Decl(_) | Event::PI(_) | Event::DocType(_) => {}
            Event::Eof => break,
        }
    }
    if !stack.is_empty() {
        return None;
    }
    let (name, value) = root?;
    let mut bag: IndexMap<Arc<str>, Dynamic> = IndexMap::with_capacity(1);
    bag.insert(Arc::from(name), value);
    Some(Dynamic::Bag(Arc::new(bag)))
}

/// Appends text to the open element; text outside the root element must be
/// blank.
fn push_text(stack: &mut [Frame], text: &str) -> Option<()> {
    match stack.last_mut() {
        Some(top) => top.text.push_str(text),
        None if text.trim().is_empty() => {}
        None => return None,
    }
    Some(())
}

/// Stores a closed element in its parent, or as the root.
fn finish(stack: &mut [Frame], root: &mut Option<(String, Dynamic)>, done: (String, Dynamic)) {
    match stack.last_mut() {
        Some(parent) => parent.children.entry(done.0).or_default().push(done.1),
        None => *root = Some(done),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn xml(text: &str) -> Option<serde_json::Value> {
        parse_xml(text).map(|d| d.to_json())
    }

    #[test]
    fn the_documented_conversions_hold() {
        use serde_json::json;
        assert_eq!(xml("<e/>"), Some(json!({"e": null})));
        assert_eq!(xml("<e>text</e>"), Some(json!({"e": "text"})));
        assert_eq!(
            xml(r#"<e name="value" />"#),
            Some(json!({"e": {"@name": "value"}}))
        );
        assert_eq!(
            xml(r#"<e name="value">text</e>"#),
            Some(json!({"e": {"@name": "value", "#text": "text"}}))
        );
        assert_eq!(
            xml("<e> <a>text</a> <b>text</b> </e>"),
            Some(json!({"e": {"a": "text", "b": "text"}}))
        );
        assert_eq!(
            xml("<e> <a>text</a> <a>text</a> </e>"),
            Some(json!({"e": {"a": ["text", "text"]}}))
        );
        assert_eq!(
            xml("<e> text <a>text</a> </e>"),
            Some(json!({"e": {"#text": "text", "a": "text"}}))
        );
    }

    #[test]
    fn windows_event_data_converts_to_named_data_items() {
        use serde_json::json;
        let text = r#"<?xml version="1.0"?>
            <DataItem type="System.XmlData"><EventData xmlns="http://schemas.microsoft.com/win/2004/08/events/event">
            <Data Name="SubjectUserName">ana</Data><Data Name="Note">a &lt;b&gt; &amp; &#65;<![CDATA[<raw>]]></Data>
            <!-- skipped --></EventData></DataItem>"#;
        assert_eq!(
            xml(text),
            Some(
                json!({"DataItem": {"@type": "System.XmlData", "EventData": {
                    "@xmlns": "http://schemas.microsoft.com/win/2004/08/events/event",
                    "Data": [
                        {"@Name": "SubjectUserName", "#text": "ana"},
                        {"@Name": "Note", "#text": "a <b> & A<raw>"}
                    ]
                }}})
            )
        );
    }

    #[test]
    fn malformed_empty_or_too_deep_xml_gives_null() {
        assert_eq!(xml(""), None);
        assert_eq!(xml("not xml"), None);
        assert_eq!(xml("<a><b></a>"), None);
        assert_eq!(xml("<a>"), None);
        assert_eq!(xml("<a/><b/>"), None);
        let deep = "<a>".repeat(MAX_DEPTH + 1) + &"</a>".repeat(MAX_DEPTH + 1);
        assert_eq!(xml(&deep), None);
        let ok = "<a>".repeat(MAX_DEPTH) + &"</a>".repeat(MAX_DEPTH);
        assert!(xml(&ok).is_some());
    }
}
