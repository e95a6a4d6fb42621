//! A strict reader of untrusted JSON objects for the server-side API: unknown fields are refused, each
//! defect names its field's path (`profile.addresses[0].city`), `null` counts as absent.

use serde_json::{Map, Value};

use super::AdminError;

type Result<T> = std::result::Result<T, AdminError>;

/// A JSON object whose fields are all known.
pub(crate) struct Object<'a> {
    path: String,
    map: &'a Map<String, Value>,
}

/// Whether a text has control characters (newlines allowed where `multiline`).
fn has_controls(text: &str, multiline: bool) -> bool {
    text.chars().any(|c| c.is_control() && !(multiline && (c == '\n' || c == '\r')))
}

impl<'a> Object<'a> {
    /// The object at `path` (empty for the body), refusing any field not in `known`.
    pub fn new(value: &'a Value, path: &str, known: &[&str]) -> Result<Self> {
        let Some(map) = value.as_object() else {
            return Err(if path.is_empty() {
                AdminError::BodyNotValid
            } else {
                AdminError::not_valid(path, "must be an object")
            });
        };
        let object = Self { path: path.to_owned(), map };
        // Sorted, so which unknown field is named does not depend on the map's order.
        let mut unknown: Vec<&String> = map.keys().filter(|key| !known.contains(&key.as_str())).collect();
        unknown.sort();
        match unknown.first() {
            Some(key) => Err(AdminError::UnknownField { field: object.path_of(key) }),
            None => Ok(object),
        }
    }

    /// The path of one of this object's fields.
    pub fn path_of(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_owned()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    /// A present, non-null field.
    pub fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|value| !value.is_null())
    }

    /// Whether the field is given as `null` (in an update: remove the value).
    pub fn is_null(&self, name: &str) -> bool {
        self.map.get(name).is_some_and(Value::is_null)
    }

    /// A required field.
    pub fn required(&self, name: &str) -> Result<&'a Value> {
        self.get(name).ok_or_else(|| AdminError::FieldMissing { field: self.path_of(name) })
    }

    /// An optional string of 1 to `max_length` characters without control characters.
    pub fn text(&self, name: &str, max_length: usize) -> Result<Option<&'a str>> {
        self.text_with(name, max_length, false)
    }

    /// Like [`Self::text`], with line breaks allowed (street addresses).
    pub fn multiline_text(&self, name: &str, max_length: usize) -> Result<Option<&'a str>> {
        self.text_with(name, max_length, true)
    }

    fn text_with(&self, name: &str, max_length: usize, multiline: bool) -> Result<Option<&'a str>> {
        let Some(value) = self.get(name) else { return Ok(None) };
        let field = || self.path_of(name);
        let text = value.as_str().ok_or_else(|| AdminError::not_valid(field(), "must be a string"))?;
        if text.trim().is_empty() {
            return Err(AdminError::not_valid(field(), "cannot be blank"));
        }
        if text.chars().count() > max_length {
            return Err(AdminError::FieldTooLong { field: field(), max_length });
        }
        if has_controls(text, multiline) {
            return Err(AdminError::not_valid(field(), "cannot contain control characters"));
        }
        Ok(Some(text))
    }

    /// A required string (see [`Self::text`]).
    pub fn required_text(&self, name: &str, max_length: usize) -> Result<&'a str> {
        self.required(name)?;
        Ok(self.text(name, max_length)?.unwrap_or_default())
    }

    /// An optional string taken as it is (a password, a hash): only its type is checked here.
    pub fn raw_string(&self, name: &str) -> Result<Option<&'a str>> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => {
                value.as_str().map(Some).ok_or_else(|| AdminError::not_valid(self.path_of(name), "must be a string"))
            }
        }
    }

    /// An optional boolean.
    pub fn boolean(&self, name: &str) -> Result<Option<bool>> {
        match self.get(name) {
            None => Ok(None),
            Some(value) => value
                .as_bool()
                .map(Some)
                .ok_or_else(|| AdminError::not_valid(self.path_of(name), "must be true or false")),
        }
    }

    /// An optional integer in `range`.
    pub fn integer(&self, name: &str, range: core::ops::RangeInclusive<i64>) -> Result<Option<i64>> {
        let Some(value) = self.get(name) else { return Ok(None) };
        match value.as_i64().filter(|n| range.contains(n)) {
            Some(n) => Ok(Some(n)),
            None => Err(AdminError::not_valid(
                self.path_of(name),
                format!("must be an integer from {} to {}", range.start(), range.end()),
            )),
        }
    }

    /// An optional array of at most `max_items` items.
    pub fn array(&self, name: &str, max_items: usize) -> Result<&'a [Value]> {
        let Some(value) = self.get(name) else { return Ok(&[]) };
        let items = value.as_array().ok_or_else(|| AdminError::not_valid(self.path_of(name), "must be an array"))?;
        if items.len() > max_items {
            return Err(AdminError::not_valid(self.path_of(name), format!("must have at most {max_items} items")));
        }
        Ok(items)
    }
}
