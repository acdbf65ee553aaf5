//! A [`Doc`] as Markdown (GitHub-flavoured tables). Text and code go through
//! `sustain_core::markdown`, the one escape of user text in Markdown.

use sustain_core::markdown::{code_block, code_span, escape};

use super::doc::{Align, Block, Doc, Line, Span};

/// `doc` as Markdown: blocks separated by a blank line.
pub fn markdown(doc: &Doc) -> String {
    let mut o = String::new();
    for (i, b) in doc.blocks.iter().enumerate() {
        if i > 0 {
            o.push('\n');
        }
        block(&mut o, b);
    }
    o
}

fn line(o: &mut String, l: &Line, in_table: bool) {
    for s in l {
        match s {
            Span::Lit(t) => o.push_str(t),
            Span::Text(t) => o.push_str(&escape(t)),
            Span::Strong(t) => {
                o.push_str("**");
                o.push_str(&escape(t));
                o.push_str("**");
            }
            Span::Code(t) => o.push_str(&code_span(t, in_table)),
        }
    }
}

fn row(o: &mut String, cells: &[Line]) {
    for c in cells {
        let mut cell = String::new();
        line(&mut cell, c, true);
        o.push_str("| ");
        if !cell.is_empty() {
            o.push_str(&cell);
            o.push(' ');
        }
    }
    o.push_str("|\n");
}

fn block(o: &mut String, b: &Block) {
    match b {
        Block::Heading(level, l) => {
            o.push_str(&"#".repeat(usize::from((*level).clamp(1, 6))));
            o.push(' ');
            line(o, l, false);
            o.push('\n');
        }
        Block::Para(l) => {
            line(o, l, false);
            o.push('\n');
        }
        Block::List(items) => {
            for l in items {
                o.push_str("- ");
                line(o, l, false);
                o.push('\n');
            }
        }
        Block::Table(t) => {
            row(o, &t.head);
            for a in &t.align {
                o.push_str(match a {
                    Align::Left => "| --- ",
                    Align::Right => "| ---: ",
                });
            }
            o.push_str("|\n");
            for r in &t.rows {
                row(o, r);
            }
        }
        Block::Code { lang, text } => o.push_str(&code_block(lang, text)),
    }
}
