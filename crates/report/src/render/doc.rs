//! The report as a document: headings, paragraphs, lists, tables and code blocks whose text is
//! typed spans. The sections are written once, as a [`Doc`]; the Markdown and HTML writers
//! (`markdown`, `html`) turn the same document into each format, so both always carry the same
//! sections and figures, and each escapes text for its format in one place. User text can only
//! be a [`Span::Text`], [`Span::Strong`] or [`Span::Code`] (all escaped); [`Span::Lit`] takes a
//! `&'static str`, the report's own words.

/// A piece of text.
#[derive(Debug, Clone, PartialEq)]
pub enum Span {
    /// The report's own words (compiled in: no user text can be one), written as they are in
    /// Markdown and escaped in HTML.
    Lit(&'static str),
    /// Text: figures and user strings, escaped in every format.
    Text(String),
    /// Bold text, escaped.
    Strong(String),
    /// Code (an id, a command, a formula), escaped.
    Code(String),
}

/// A line of spans: a paragraph, a heading, a list item, a table cell.
pub type Line = Vec<Span>;

/// Our own words.
pub fn lit(s: &'static str) -> Span {
    Span::Lit(s)
}

/// Text (escaped).
pub fn text(s: impl Into<String>) -> Span {
    Span::Text(s.into())
}

/// Bold text (escaped).
pub fn strong(s: impl Into<String>) -> Span {
    Span::Strong(s.into())
}

/// Code (escaped).
pub fn code(s: impl Into<String>) -> Span {
    Span::Code(s.into())
}

/// How a table column is aligned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Text.
    Left,
    /// Figures.
    Right,
}

/// A table: a head row, the alignment of each column, and rows of cells.
#[derive(Debug, Clone, PartialEq)]
pub struct Table {
    /// Column headings.
    pub head: Vec<Line>,
    /// Alignment per column.
    pub align: Vec<Align>,
    /// Rows of cells.
    pub rows: Vec<Vec<Line>>,
}

impl Table {
    /// A table with these column headings (our own words) and alignments.
    pub fn new(columns: &[(&'static str, Align)]) -> Self {
        Table {
            head: columns
                .iter()
                .map(|(h, _)| if h.is_empty() { vec![] } else { vec![lit(h)] })
                .collect(),
            align: columns.iter().map(|(_, a)| *a).collect(),
            rows: Vec::new(),
        }
    }

    /// A table whose headings are lines (some of them figures or user text).
    pub fn with_head(head: Vec<Line>, align: Vec<Align>) -> Self {
        Table {
            head,
            align,
            rows: Vec::new(),
        }
    }

    /// Adds a row of one-span cells.
    pub fn row(&mut self, cells: impl IntoIterator<Item = Span>) {
        self.rows.push(cells.into_iter().map(|s| vec![s]).collect());
    }

    /// Adds a row of cells of several spans.
    pub fn row_lines(&mut self, cells: Vec<Line>) {
        self.rows.push(cells);
    }
}

/// A block of a document.
#[derive(Debug, Clone, PartialEq)]
pub enum Block {
    /// A heading of level 1 to 4.
    Heading(u8, Line),
    /// A paragraph.
    Para(Line),
    /// A bulleted list.
    List(Vec<Line>),
    /// A table.
    Table(Table),
    /// A block of code or data in a language (`mermaid`, `yaml`).
    Code {
        /// The language.
        lang: &'static str,
        /// The text, as it is.
        text: String,
    },
}

/// A document: blocks in order.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Doc {
    /// The blocks.
    pub blocks: Vec<Block>,
}

impl Doc {
    /// Adds a heading.
    pub fn heading(&mut self, level: u8, line: Line) {
        self.blocks.push(Block::Heading(level, line));
    }

    /// Adds a paragraph.
    pub fn para(&mut self, line: Line) {
        self.blocks.push(Block::Para(line));
    }

    /// Adds a list (nothing when empty).
    pub fn list(&mut self, items: Vec<Line>) {
        if !items.is_empty() {
            self.blocks.push(Block::List(items));
        }
    }

    /// Adds a table.
    pub fn table(&mut self, t: Table) {
        self.blocks.push(Block::Table(t));
    }

    /// Adds a code block.
    pub fn code(&mut self, lang: &'static str, text: String) {
        self.blocks.push(Block::Code { lang, text });
    }

    /// Adds the blocks of `other`.
    pub fn append(&mut self, other: Doc) {
        self.blocks.extend(other.blocks);
    }
}
