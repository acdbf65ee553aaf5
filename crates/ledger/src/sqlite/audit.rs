//! The audit log: every change to a business record (or a token) appends an entry in the same
//! transaction, each chained to the one before by a SHA-256 hash, so that an edit of the file
//! behind Sustain's back shows when the chain is recomputed.

use chrono::Utc;
use rusqlite::{OptionalExtension, params};
use sha2::{Digest, Sha256};
use sustain_core::business::AuditEntry;

use super::{SqliteLedger, parse_ts, ts};
use crate::error::{LedgerError, Result};

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

const SELECT: &str =
    "SELECT seq, at, actor, action, detail, prev_hash, hash FROM audit ORDER BY seq";

fn chain_hash(prev: &str, at: &str, actor: &str, action: &str, detail: &str) -> String {
    let mut h = Sha256::new();
    for part in [prev, at, actor, action, detail] {
        h.update(part.as_bytes());
        h.update(b"\n");
    }
    h.finalize().iter().map(|b| format!("{b:02x}")).collect()
}

/// Appends an audit entry in the transaction `tx` that makes the change.
pub(crate) fn audit_in(
    tx: &rusqlite::Transaction<'_>,
    actor: &str,
    action: &str,
    detail: &serde_json::Value,
) -> rusqlite::Result<()> {
    let prev: String = tx
        .query_row(
            "SELECT hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or_else(|| GENESIS.to_string());
    let at = ts(&Utc::now());
    let detail = detail.to_string();
    let hash = chain_hash(&prev, &at, actor, action, &detail);
    tx.execute(
        "INSERT INTO audit (at, actor, action, detail, prev_hash, hash) VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        params![at, actor, action, detail, prev, hash],
    )?;
    Ok(())
}

/// One stored entry: seq, at, actor, action, detail, prev_hash, hash.
type Raw = (i64, String, String, String, String, String, String);

fn raw(r: &rusqlite::Row<'_>) -> rusqlite::Result<Raw> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
        r.get(6)?,
    ))
}

impl SqliteLedger {
    /// See [`crate::Business::audit`].
    pub(super) fn audit_log(&self) -> Result<Vec<AuditEntry>> {
        self.rows(SELECT, [], raw)?
            .into_iter()
            .map(|(seq, at, actor, action, detail, prev_hash, hash)| {
                Ok(AuditEntry {
                    seq,
                    at: parse_ts(&at)?,
                    actor,
                    action,
                    detail: serde_json::from_str(&detail)
                        .map_err(|e| LedgerError::Corrupt(format!("audit {seq}: {e}")))?,
                    prev_hash,
                    hash,
                })
            })
            .collect()
    }

    /// See [`crate::Business::verify_audit`].
    pub(super) fn verify_audit_log(&self) -> Result<u64> {
        let mut prev = GENESIS.to_string();
        let mut n = 0u64;
        self.each(SELECT, [], |r| {
            let (seq, at, actor, action, detail, prev_hash, hash) = raw(r)?;
            if prev_hash != prev || chain_hash(&prev, &at, &actor, &action, &detail) != hash {
                return Err(LedgerError::Corrupt(format!(
                    "the audit log is broken at entry {seq}: its hash does not follow from the entries before it"
                ))
                .into());
            }
            prev = hash;
            n += 1;
            Ok(())
        })?;
        Ok(n)
    }
}
