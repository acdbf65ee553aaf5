//! Manifests as JSON that every YAML reader reads the same way.
//!
//! Kubernetes takes JSON wherever it takes YAML (`kubectl apply -f` reads `.json` files), and
//! JSON is a subset of YAML 1.2, so a manifest written as JSON needs no YAML serializer: no
//! YAML crate is maintained as serde_yaml was (it is archived), and a JSON encoder cannot emit
//! a YAML tag, anchor, document break or unquoted scalar, whatever the strings hold. Every
//! character outside printable ASCII is written as a `\uXXXX` escape, so readers of YAML 1.1
//! (PyYAML, used by kubernetes-validate, refuses DEL and C1 controls even inside quotes) read
//! the file too, and the file is plain ASCII.

use serde::Serialize;

/// `value` as indented JSON, plain printable ASCII (plus newlines between lines).
pub(crate) fn ascii_pretty<T: Serialize>(value: &T) -> serde_json::Result<String> {
    let text = serde_json::to_string_pretty(value)?;
    let mut out = String::with_capacity(text.len());
    // serde_json writes non-ASCII characters (and DEL) only inside strings, where a \u escape
    // means the same character.
    for c in text.chars() {
        if c.is_ascii() && c != '\u{7f}' {
            out.push(c);
        } else {
            let mut units = [0u16; 2];
            for u in c.encode_utf16(&mut units) {
                out.push_str(&format!("\\u{u:04x}"));
            }
        }
    }
    out.push('\n');
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_character_round_trips_as_ascii() {
        let s = "é 日本 \u{7f} \u{85} \u{2028} 🦀 \"q\" \\ \n\t";
        let text = ascii_pretty(&serde_json::json!({ "k": s, "ü": 1 })).unwrap();
        assert!(
            text.bytes()
                .all(|b| b == b'\n' || (0x20..0x7f).contains(&b)),
            "{text}"
        );
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(back["k"], s);
        assert_eq!(back["ü"], 1);
    }
}
