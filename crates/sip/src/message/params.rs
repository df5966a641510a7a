//! `;name=value` parameter lists (URI, Via, From/To, Contact parameters).

use std::fmt;

/// An ordered list of parameters; names compare case-insensitively, values are kept as written
/// (quoted values keep their quotes).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Params {
    list: Vec<(String, Option<String>)>,
}

impl Params {
    /// Parses `;a=1;b;c="x;y"` (the leading `;` optional, LWS around `;` and `=` allowed).
    /// Empty parameters (`;;`), empty values (`a=`) and unterminated quoted values are errors:
    /// RFC 3261 has no production for them (RFC 4475 §3.1.2.1).
    pub fn parse(text: &str) -> Result<Params, &'static str> {
        let mut params = Params::default();
        let text = text.trim();
        let text = text.strip_prefix(';').unwrap_or(text);
        if text.trim().is_empty() {
            return Ok(params);
        }
        for part in split_params(text)? {
            let part = part.trim();
            if part.is_empty() {
                return Err("empty parameter");
            }
            let (name, value) = match part.split_once('=') {
                Some((n, v)) => (n.trim(), Some(v.trim())),
                None => (part, None),
            };
            if name.is_empty() || !name.chars().all(is_param_char) {
                return Err("malformed parameter name");
            }
            if let Some(value) = value {
                if value.is_empty() {
                    return Err("parameter with '=' but no value");
                }
                if value.starts_with('"') && !is_quoted_string(value) {
                    return Err("malformed quoted parameter value");
                }
                if !value.starts_with('"') && value.chars().any(|c| c.is_whitespace() || c == '"') {
                    return Err("whitespace or quote inside a parameter value");
                }
            }
            params
                .list
                .push((name.to_owned(), value.map(str::to_owned)));
        }
        Ok(params)
    }

    /// `Some(Some(v))` for `name=v`, `Some(None)` for a bare `name`, `None` when absent.
    pub fn get(&self, name: &str) -> Option<Option<&str>> {
        self.list
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_deref())
    }

    /// The value of `name=value`, if present with a value.
    pub fn value(&self, name: &str) -> Option<&str> {
        self.get(name).flatten()
    }

    pub fn contains(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    /// Sets (or adds) a parameter.
    pub fn set(&mut self, name: &str, value: Option<&str>) {
        let value = value.map(str::to_owned);
        match self
            .list
            .iter_mut()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
        {
            Some(entry) => entry.1 = value,
            None => self.list.push((name.to_owned(), value)),
        }
    }

    pub fn remove(&mut self, name: &str) {
        self.list.retain(|(n, _)| !n.eq_ignore_ascii_case(name));
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, Option<&str>)> {
        self.list.iter().map(|(n, v)| (n.as_str(), v.as_deref()))
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }
}

impl fmt::Display for Params {
    /// Writes `;a=1;b`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (name, value) in &self.list {
            match value {
                Some(v) => write!(f, ";{name}={v}")?,
                None => write!(f, ";{name}")?,
            }
        }
        Ok(())
    }
}

/// Characters allowed in a parameter name (RFC 3261 `token` plus the URI `paramchar` set).
fn is_param_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || "-.!%*_+`'~[]/:&$".contains(c)
}

/// Splits on `;` outside quoted strings; an unterminated quoted string is an error.
fn split_params(text: &str) -> Result<Vec<&str>, &'static str> {
    super::split::split_outside_quotes(text, ';', false)
}

/// True when `text` is exactly one RFC 3261 quoted-string (quotes at both ends, escapes paired).
pub(crate) fn is_quoted_string(text: &str) -> bool {
    let Some(inner) = text.strip_prefix('"') else {
        return false;
    };
    let mut escaped = false;
    for (i, c) in inner.char_indices() {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return i + 1 == inner.len(),
            _ => {}
        }
    }
    false
}
