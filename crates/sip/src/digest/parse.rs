//! The challenge grammar, tolerant where real servers are sloppy and strict where it matters.
//!
//! RFC 3261 §25.1 (`challenge = ("Digest" LWS digest-cln *(COMMA digest-cln)) / other-challenge`)
//! and RFC 7235 §2.1 (`challenge = auth-scheme [ 1*SP ( token68 / #auth-param ) ]`,
//! `auth-param = token BWS "=" BWS ( token / quoted-string )`). One header field may carry several
//! challenges (RFC 7235 §4.1): a list element that starts with a token followed by whitespace and
//! no `=` begins a new challenge. Empty list elements are skipped (RFC 7230 §7).

/// One challenge as written, before any Digest meaning is given to it.
#[derive(Debug)]
pub(super) struct RawChallenge<'a> {
    pub scheme: &'a str,
    /// Parameter names as written (compare case-insensitively) and unquoted values.
    pub params: Vec<(&'a str, String)>,
    /// The first grammar problem met in this challenge's parameters, if any. Kept per challenge
    /// so that a `Basic` challenge's token68 cannot spoil the `Digest` one beside it.
    pub error: Option<&'static str>,
}

/// Splits a WWW-/Proxy-Authenticate value into its challenges.
pub(super) fn challenges(value: &str) -> Result<Vec<RawChallenge<'_>>, &'static str> {
    let mut out: Vec<RawChallenge<'_>> = Vec::new();
    for element in split_elements(value)? {
        let (token, rest) = leading_token(element);
        let after = rest.trim_start_matches(is_ws);
        if token.is_empty() {
            match out.last_mut() {
                Some(current) => {
                    current.error = current.error.or(Some("expected a parameter name"))
                }
                None => return Err("expected an authentication scheme"),
            }
        } else if let Some(value) = after.strip_prefix('=') {
            let Some(current) = out.last_mut() else {
                return Err("a parameter comes before any authentication scheme");
            };
            add_param(current, token, value);
        } else if rest.is_empty() || rest.starts_with(is_ws) {
            // A new challenge: `scheme`, or `scheme SP first-param`, or `scheme SP token68`.
            let mut challenge = RawChallenge {
                scheme: token,
                params: Vec::new(),
                error: None,
            };
            if !after.is_empty() {
                let (name, rest) = leading_token(after);
                let rest = rest.trim_start_matches(is_ws);
                match rest.strip_prefix('=') {
                    Some(value) if !name.is_empty() => add_param(&mut challenge, name, value),
                    _ => challenge.error = Some("expected name=value after the scheme"),
                }
            }
            out.push(challenge);
        } else {
            match out.last_mut() {
                Some(current) => current.error = current.error.or(Some("unexpected character")),
                None => return Err("unexpected character before the authentication scheme"),
            }
        }
    }
    if out.is_empty() {
        return Err("the header is empty");
    }
    Ok(out)
}

fn add_param<'a>(challenge: &mut RawChallenge<'a>, name: &'a str, value: &str) {
    match param_value(value.trim_start_matches(is_ws)) {
        Ok(value) => challenge.params.push((name, value)),
        Err(e) => challenge.error = challenge.error.or(Some(e)),
    }
}

/// `token / quoted-string`, the whole of `text` (trailing whitespace allowed).
fn param_value(text: &str) -> Result<String, &'static str> {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut value = String::new();
        let mut chars = quoted.char_indices();
        while let Some((i, c)) = chars.next() {
            match c {
                // quoted-pair (RFC 7230 §3.2.6): the next character stands for itself.
                '\\' => match chars.next() {
                    Some((_, escaped)) => value.push(escaped),
                    None => return Err("unterminated quoted string"),
                },
                '"' => {
                    return if quoted[i + 1..].trim_matches(is_ws).is_empty() {
                        Ok(value)
                    } else {
                        Err("text after a quoted string")
                    };
                }
                _ => value.push(c),
            }
        }
        Err("unterminated quoted string")
    } else {
        let token = text.trim_end_matches(is_ws);
        // Lenient about which characters a bare value holds (servers send nonce=abc/def=), but
        // it must be one word.
        if token.is_empty() {
            Err("a parameter has no value")
        } else if token
            .chars()
            .any(|c| is_ws(c) || c == '"' || c.is_control())
        {
            Err("an unquoted value holds spaces or quotes")
        } else {
            Ok(token.to_owned())
        }
    }
}

/// Splits on commas outside quoted strings; trims and drops empty elements.
fn split_elements(value: &str) -> Result<Vec<&str>, &'static str> {
    Ok(
        crate::message::split::split_outside_quotes(value, ',', false)?
            .into_iter()
            .map(|p| p.trim_matches(is_ws))
            .filter(|p| !p.is_empty())
            .collect(),
    )
}

fn leading_token(text: &str) -> (&str, &str) {
    let end = text.find(|c: char| !is_tchar(c)).unwrap_or(text.len());
    text.split_at(end)
}

/// RFC 7230 §3.2.6 tchar.
fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// SP / HTAB, and CR LF left over from folding.
fn is_ws(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn splits_two_challenges_in_one_header_field() {
        let raw = challenges(r#"Basic realm="a, b", Digest realm="x", nonce=n1"#).unwrap();
        assert_eq!(raw.len(), 2);
        assert_eq!(raw[0].scheme, "Basic");
        assert_eq!(raw[0].params, vec![("realm", "a, b".to_owned())]);
        assert_eq!(raw[1].scheme, "Digest");
        assert_eq!(raw[1].params.len(), 2);
    }

    #[test]
    fn a_token68_spoils_only_its_own_challenge() {
        let raw = challenges(r#"Basic dXNl/cjpwYXNz==, Digest realm="x", nonce="n""#).unwrap();
        assert_eq!(raw.len(), 2);
        assert!(raw[0].error.is_some());
        assert!(raw[1].error.is_none());
    }

    #[test]
    fn unquotes_escaped_quotes_and_backslashes() {
        let raw = challenges(r#"Digest realm="say \"hi\" \\ bye""#).unwrap();
        assert_eq!(raw[0].params[0].1, r#"say "hi" \ bye"#);
    }
}
