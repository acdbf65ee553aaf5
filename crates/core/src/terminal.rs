//! User-supplied text printed on a terminal: control characters (escape sequences that could
//! recolour, move the cursor or retitle the terminal, carriage returns that overwrite a line)
//! are shown as `\u{..}` escapes instead of being sent to the terminal.

use std::borrow::Cow;

/// `text` with every control character but tab escaped; unchanged (borrowed) when it has none.
pub fn safe(text: &str) -> Cow<'_, str> {
    if !text.chars().any(|c| c.is_control() && c != '\t') {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() && c != '\t' {
            out.extend(c.escape_unicode());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_text_is_kept() {
        assert!(matches!(safe("chat-v3 é 模型"), Cow::Borrowed(_)));
        assert_eq!(safe("a\u{1b}[31mred"), "a\\u{1b}[31mred");
        assert_eq!(safe("line\rover\nnext"), "line\\u{d}over\\u{a}next");
        assert_eq!(safe("tab\there"), "tab\there");
    }
}
