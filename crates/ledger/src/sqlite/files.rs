//! The ledger's files on disk: a new ledger and the directories made for it are readable by
//! their owner only (0600 and 0700: a ledger holds the company's costs, revenue and token
//! hashes), and SQLite gives its `-wal` and `-shm` files the mode of the ledger file. A
//! ledger the user may not write is opened read-only, through SQLite's `immutable` URI when it
//! has no `-wal` file, so nothing is created beside it.

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

/// Makes the directories of `path` (0700) and, when it does not exist, the empty ledger file
/// (0600), before SQLite opens it. Existing directories and files keep their modes.
pub(super) fn prepare(path: &Path) -> Result<(), String> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if parent.exists() && !parent.is_dir() {
            return Err(format!("{} is not a directory", parent.display()));
        }
        if !parent.exists() {
            let mut b = std::fs::DirBuilder::new();
            b.recursive(true);
            #[cfg(unix)]
            std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
            b.create(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
    }
    if !path.exists() {
        let mut o = std::fs::OpenOptions::new();
        o.write(true).create_new(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut o, 0o600);
        match o.open(path) {
            Ok(_) => {}
            // Another process created it first: SQLite opens theirs.
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {}
            Err(e) => return Err(format!("cannot create {}: {e}", path.display())),
        }
    }
    Ok(())
}

/// The directory holding `path`.
fn dir_of(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// Whether this process may not write `p`: no write permission bit at all (an auditor's
/// 0444 copy, even for root), or the system refuses write access (permissions, a read-only
/// mount).
fn unwritable(p: &Path) -> bool {
    let Ok(meta) = std::fs::metadata(p) else {
        return false;
    };
    if meta.permissions().readonly() {
        return true;
    }
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        if let Ok(c) = std::ffi::CString::new(p.as_os_str().as_bytes()) {
            // SAFETY: `c` is a valid NUL-terminated path; access() only reads it.
            return unsafe { libc::access(c.as_ptr(), libc::W_OK) } != 0;
        }
    }
    false
}

/// Whether the ledger at `path` exists and may not be written (it, or its directory, where
/// SQLite keeps its `-wal` and `-shm` files).
pub(super) fn is_read_only(path: &Path) -> bool {
    path.is_file() && (unwritable(path) || unwritable(&dir_of(path)))
}

/// `path` as an SQLite URI path: every byte but unreserved ones and `/` percent-encoded.
fn uri_path(path: &Path) -> String {
    let text = path.to_string_lossy();
    let mut out = String::with_capacity(text.len());
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'.' | b'_' | b'~') {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Opens `path` read-only. Without a `-wal` file beside it the file is opened `immutable`: no
/// lock, no `-shm` file, nothing written. With one (a copy taken while a writer was active),
/// SQLite must read it, which needs a `-shm` file; if that cannot be made, the ledger is read
/// without the `-wal` file's transactions, and a warning says so.
pub(super) fn open_read_only(path: &Path) -> rusqlite::Result<Connection> {
    let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let uri = uri_path(path);
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    let has_wal = std::fs::metadata(&wal).is_ok_and(|m| m.len() > 0);
    if has_wal {
        let conn = Connection::open_with_flags(format!("file:{uri}?mode=ro"), flags)?;
        match conn.query_row("SELECT count(*) FROM sqlite_master", [], |r| {
            r.get::<_, i64>(0)
        }) {
            Ok(_) => return Ok(conn),
            Err(e) => tracing::warn!(
                "ledger {}: its -wal file cannot be read without writing beside it ({e}); reading the ledger without the transactions in it",
                path.display()
            ),
        }
    }
    Connection::open_with_flags(format!("file:{uri}?mode=ro&immutable=1"), flags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uri_paths_escape_what_sqlite_would_read_as_query() {
        assert_eq!(
            uri_path(Path::new("/a b/l?x#y%.sqlite")),
            "/a%20b/l%3Fx%23y%25.sqlite"
        );
    }
}
