//! User strings in Markdown: the one place that escapes them.
//!
//! Tag values, product names, indicator names, scenario and target names are free text. Written
//! into Markdown as they are, `|` breaks a table, `*`/`_` start emphasis, `[x](url)` makes a
//! link and `<script>` is raw HTML that a Markdown viewer may pass through. Every renderer of
//! Markdown (reports, scenario results, target lists) sends user text through [`escape`] and
//! code spans through [`code_span`]; nothing else escapes Markdown.

/// The characters [`escape`] puts a backslash before: every ASCII punctuation that can start
/// Markdown syntax inline (CommonMark lets any ASCII punctuation be escaped this way).
const SPECIAL: &[char] = &[
    '\\', '`', '*', '_', '[', ']', '<', '>', '|', '&', '#', '~', '!',
];

/// `s` as literal Markdown text: `` \ ` * _ [ ] < > | & # ~ ! `` backslash-escaped, line breaks
/// (`\n`, `\r`) and other control characters turned into spaces, so the text stays on its line
/// (a table row, a list item) and shows exactly as given.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if SPECIAL.contains(&c) {
            out.push('\\');
            out.push(c);
        } else if c.is_control() {
            out.push(' ');
        } else {
            out.push(c);
        }
    }
    out
}

/// `s` as a code span, delimiters included: a run of backticks longer than any inside `s`
/// (padded with spaces where `s` starts or ends with one), line breaks and control characters
/// as spaces. In a table cell (`in_table`), `|` is escaped as GitHub-flavoured Markdown asks,
/// even inside code.
pub fn code_span(s: &str, in_table: bool) -> String {
    let mut body: String = s
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    if in_table {
        body = body.replace('|', "\\|");
    }
    let longest = body.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest + 1);
    let pad = if body.starts_with('`') || body.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{fence}{pad}{body}{pad}{fence}")
}

/// `text` as a fenced code block in `lang`: the fence is longer than any run of backticks in
/// the text, so no line of it can close the block early.
pub fn code_block(lang: &str, text: &str) -> String {
    let longest = text.split(|c| c != '`').map(str::len).max().unwrap_or(0);
    let fence = "`".repeat(longest.max(2) + 1);
    let lang: String = lang.chars().filter(char::is_ascii_alphanumeric).collect();
    let nl = if text.ends_with('\n') || text.is_empty() {
        ""
    } else {
        "\n"
    };
    format!("{fence}{lang}\n{text}{nl}{fence}\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_syntax_in_user_text_is_escaped() {
        assert_eq!(
            escape("<script>alert(1)</script>"),
            "\\<script\\>alert(1)\\</script\\>"
        );
        assert_eq!(escape("a|b"), "a\\|b");
        assert_eq!(
            escape("*x* _y_ [z](u) `c`"),
            "\\*x\\* \\_y\\_ \\[z\\](u) \\`c\\`"
        );
        assert_eq!(escape("two\nlines\r\n"), "two lines  ");
        assert_eq!(escape("plain text, 1.5 %"), "plain text, 1.5 %");
        assert_eq!(escape("\\"), "\\\\");
    }

    #[test]
    fn code_spans_outlast_the_backticks_inside() {
        assert_eq!(code_span("abc", false), "`abc`");
        assert_eq!(code_span("a`b", false), "``a`b``");
        assert_eq!(code_span("`x", false), "`` `x ``");
        assert_eq!(code_span("a|b\nc", true), "`a\\|b c`");
        assert_eq!(code_span("a|b", false), "`a|b`");
    }

    #[test]
    fn code_blocks_cannot_be_closed_from_inside() {
        assert_eq!(code_block("yaml", "a: 1\n"), "```yaml\na: 1\n```\n");
        assert_eq!(
            code_block("mermaid", "x\n```\n<script>"),
            "````mermaid\nx\n```\n<script>\n````\n"
        );
    }
}
