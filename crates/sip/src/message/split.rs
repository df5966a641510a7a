//! Splitting header text on a separator that stands outside quoted strings: the one scanner
//! behind list headers (`,`), parameters (`;`) and digest challenges (`,`).

/// Splits `text` on `separator` where it stands outside quoted strings (RFC 3261 §25.1, with
/// backslash escapes) and, when `angle_aware`, outside `<…>` (a URI may hold commas). The parts
/// are returned untrimmed; an unterminated quoted string is an error.
pub(crate) fn split_outside_quotes(
    text: &str,
    separator: char,
    angle_aware: bool,
) -> Result<Vec<&str>, &'static str> {
    let mut parts = Vec::new();
    let (mut start, mut in_quotes, mut in_angle, mut escaped) = (0, false, false, false);
    for (i, c) in text.char_indices() {
        if escaped {
            escaped = false;
            continue;
        }
        match c {
            '\\' if in_quotes => escaped = true,
            '"' => in_quotes = !in_quotes,
            '<' if angle_aware && !in_quotes => in_angle = true,
            '>' if angle_aware && !in_quotes => in_angle = false,
            c if c == separator && !in_quotes && !in_angle => {
                parts.push(text.get(start..i).unwrap_or_default());
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    if in_quotes {
        return Err("unterminated quoted string");
    }
    parts.push(text.get(start..).unwrap_or_default());
    Ok(parts)
}

#[cfg(test)]
mod tests {
    use super::split_outside_quotes;

    #[test]
    fn separators_inside_quotes_and_angles_do_not_split() {
        let parts = split_outside_quotes(r#"a, "b, \"c\"", <sip:d;x=1,2>, e"#, ',', true)
            .expect("balanced");
        assert_eq!(parts, ["a", r#" "b, \"c\"""#, " <sip:d;x=1,2>", " e"]);
        assert_eq!(
            split_outside_quotes("x;y=\"1;2\";z", ';', false).expect("balanced"),
            ["x", "y=\"1;2\"", "z"]
        );
        assert!(split_outside_quotes("a, \"open", ',', true).is_err());
    }
}
