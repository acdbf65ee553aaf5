//! API tokens of `sustain serve`: who may read, write and administer the ledger over HTTP.
//!
//! A token is `sst_<id>_<secret>`: `id` is 12 hex digits that name it in lists and logs, and
//! `secret` 64 hex digits (32 random bytes from the operating system). The ledger keeps the
//! SHA-256 of the whole text, never the text: whoever reads the ledger file cannot use its
//! tokens. Checking a token looks its id up and compares the hashes in constant time.
//!
//! Tokens are append-only like every record: revoking one appends a revocation, and creating
//! or revoking one appends an entry to the audit log (without the secret or its hash).

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use rusqlite::params;
use serde::Serialize;
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use crate::error::{LedgerError, Result};
use crate::sqlite::{SqliteLedger, audit_in, parse_ts, ts};

/// What a token may do. Each role may do what the roles below it may.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, utoipa::ToSchema)]
#[cfg_attr(feature = "clap", derive(clap::ValueEnum))]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read everything: runs, accounts, reports, metrics.
    Viewer,
    /// Also write: products, usage, cost lines, targets, pushed runs.
    Editor,
    /// Also create, list and revoke tokens.
    Admin,
}

impl Role {
    /// The stable lower-case name.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Editor => "editor",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Role {
    type Err = LedgerError;
    fn from_str(s: &str) -> Result<Self> {
        match s.trim() {
            "viewer" => Ok(Role::Viewer),
            "editor" => Ok(Role::Editor),
            "admin" => Ok(Role::Admin),
            other => Err(LedgerError::Invalid(format!(
                "unknown role {other:?}: expected viewer, editor or admin"
            ))),
        }
    }
}

/// A token as lists show it: never its secret.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TokenInfo {
    /// Public id (12 hex digits), the `<id>` of `sst_<id>_<secret>`.
    pub id: String,
    /// A name for people: who or what uses it (`ci`, `alice`).
    pub name: String,
    /// Its role.
    pub role: Role,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Who created it (the audit actor).
    pub created_by: String,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl TokenInfo {
    /// Whether it is still valid.
    pub fn active(&self) -> bool {
        self.revoked_at.is_none()
    }
}

/// A token just created: the only time its text exists.
#[derive(Debug, Clone)]
pub struct NewToken {
    /// The token's record.
    pub info: TokenInfo,
    /// The whole token text, `sst_<id>_<secret>`, to give to its user once.
    pub token: String,
}

/// Tokens of the ledger.
pub trait Tokens {
    /// Creates a token with a fresh random secret. Names are 1 to 64 letters, digits, `-`, `_`,
    /// `.`, `@` or `:`, unique among active tokens.
    fn create_token(&self, name: &str, role: Role, actor: &str) -> Result<NewToken>;
    /// Every token, active or revoked, oldest first.
    fn tokens(&self) -> Result<Vec<TokenInfo>>;
    /// Revokes a token by id or by the name of an active token; returns it.
    fn revoke_token(&self, id_or_name: &str, actor: &str) -> Result<TokenInfo>;
    /// The active token whose text this is; `None` for unknown, malformed or revoked tokens.
    fn authenticate(&self, token: &str) -> Result<Option<TokenInfo>>;
}

const PREFIX: &str = "sst_";
const ID_BYTES: usize = 6;
const SECRET_BYTES: usize = 32;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn sha256(text: &str) -> [u8; 32] {
    Sha256::digest(text.as_bytes()).into()
}

fn random_hex(n: usize) -> Result<String> {
    let mut buf = vec![0u8; n];
    getrandom::fill(&mut buf)
        .map_err(|e| LedgerError::Invalid(format!("no random numbers from the system: {e}")))?;
    Ok(hex(&buf))
}

/// The id of a well-formed token text.
fn token_id(token: &str) -> Option<&str> {
    let rest = token.strip_prefix(PREFIX)?;
    let (id, secret) = rest.split_once('_')?;
    let is_hex = |s: &str, n: usize| s.len() == 2 * n && s.bytes().all(|b| b.is_ascii_hexdigit());
    (is_hex(id, ID_BYTES) && is_hex(secret, SECRET_BYTES)).then_some(id)
}

fn check_token_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '@' | ':'));
    if ok {
        Ok(())
    } else {
        Err(LedgerError::Invalid(format!(
            "invalid token name {name:?}: expected 1 to 64 letters, digits, '-', '_', '.', '@' or ':', such as ci or alice"
        )))
    }
}

type RawToken = (String, String, String, String, String, Option<String>);

fn decode(raw: RawToken) -> Result<TokenInfo> {
    let (id, name, role, created_at, created_by, revoked_at) = raw;
    Ok(TokenInfo {
        role: role
            .parse()
            .map_err(|_| LedgerError::Corrupt(format!("token {id}: role {role:?}")))?,
        created_at: parse_ts(&created_at)?,
        revoked_at: revoked_at.as_deref().map(parse_ts).transpose()?,
        id,
        name,
        created_by,
    })
}

const SELECT: &str = "SELECT t.id, t.name, t.role, t.created_at, t.created_by,
        (SELECT min(r.revoked_at) FROM token_revocations r WHERE r.token_id = t.id)
     FROM tokens t";

fn raw_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<RawToken> {
    Ok((
        r.get(0)?,
        r.get(1)?,
        r.get(2)?,
        r.get(3)?,
        r.get(4)?,
        r.get(5)?,
    ))
}

impl Tokens for SqliteLedger {
    fn create_token(&self, name: &str, role: Role, actor: &str) -> Result<NewToken> {
        check_token_name(name)?;
        if self.tokens()?.iter().any(|t| t.active() && t.name == name) {
            return Err(LedgerError::Invalid(format!(
                "an active token is already named {name:?}: choose another name, or revoke it first with `sustain token revoke {name}`"
            )));
        }
        let id = random_hex(ID_BYTES)?;
        let token = format!("{PREFIX}{id}_{}", random_hex(SECRET_BYTES)?);
        let now = Utc::now();
        let detail = serde_json::json!({"id": id, "name": name, "role": role.as_str()});
        self.write(|tx| {
            tx.execute(
                "INSERT INTO tokens (id, name, role, hash, created_at, created_by)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    id,
                    name,
                    role.as_str(),
                    hex(&sha256(&token)),
                    ts(&now),
                    actor
                ],
            )?;
            Ok(audit_in(tx, actor, "token.create", &detail)?)
        })?;
        Ok(NewToken {
            info: TokenInfo {
                id,
                name: name.to_string(),
                role,
                created_at: parse_ts(&ts(&now))?,
                created_by: actor.to_string(),
                revoked_at: None,
            },
            token,
        })
    }

    fn tokens(&self) -> Result<Vec<TokenInfo>> {
        self.rows(
            &format!("{SELECT} ORDER BY t.created_at, t.id"),
            [],
            raw_row,
        )?
        .into_iter()
        .map(decode)
        .collect()
    }

    fn revoke_token(&self, id_or_name: &str, actor: &str) -> Result<TokenInfo> {
        let key = id_or_name.trim();
        let all = self.tokens()?;
        let by_id: Vec<&TokenInfo> = all.iter().filter(|t| t.id == key).collect();
        let by_name: Vec<&TokenInfo> = all.iter().filter(|t| t.name == key && t.active()).collect();
        let t = match (by_id.as_slice(), by_name.as_slice()) {
            ([t], _) | ([], [t]) => (*t).clone(),
            ([], []) => {
                return Err(LedgerError::Invalid(format!(
                    "no token has the id or active name {key:?}; list them with `sustain token list`"
                )));
            }
            _ => {
                return Err(LedgerError::Invalid(format!(
                    "several tokens are named {key:?}; revoke one by its id (see `sustain token list`)"
                )));
            }
        };
        if !t.active() {
            return Err(LedgerError::Invalid(format!(
                "token {} ({}) is already revoked",
                t.id, t.name
            )));
        }
        let now = Utc::now();
        let detail = serde_json::json!({"id": t.id, "name": t.name, "role": t.role.as_str()});
        self.write(|tx| {
            tx.execute(
                "INSERT INTO token_revocations (token_id, revoked_at, revoked_by) VALUES (?1, ?2, ?3)",
                params![t.id, ts(&now), actor],
            )?;
            Ok(audit_in(tx, actor, "token.revoke", &detail)?)
        })?;
        Ok(TokenInfo {
            revoked_at: Some(parse_ts(&ts(&now))?),
            ..t
        })
    }

    fn authenticate(&self, token: &str) -> Result<Option<TokenInfo>> {
        let Some(id) = token_id(token.trim()) else {
            return Ok(None);
        };
        let row = self.optional_row(
            "SELECT t.id, t.name, t.role, t.created_at, t.created_by,
                (SELECT min(r.revoked_at) FROM token_revocations r WHERE r.token_id = t.id),
                t.hash
             FROM tokens t WHERE t.id = ?1",
            [id],
            |r| Ok((raw_row(r)?, r.get::<_, String>(6)?)),
        )?;
        let Some((raw, stored)) = row else {
            return Ok(None);
        };
        let given = hex(&sha256(token.trim()));
        if !bool::from(given.as_bytes().ct_eq(stored.as_bytes())) {
            return Ok(None);
        }
        let info = decode(raw)?;
        Ok(info.active().then_some(info))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Business;

    fn ledger() -> (tempfile::TempDir, SqliteLedger) {
        let dir = tempfile::tempdir().unwrap();
        let l = SqliteLedger::open(&dir.path().join("l.sqlite")).unwrap();
        (dir, l)
    }

    #[test]
    fn a_created_token_authenticates_until_revoked() {
        let (_d, l) = ledger();
        let t = l.create_token("ci", Role::Editor, "cli:test").unwrap();
        assert!(t.token.starts_with("sst_") && t.token.len() == 4 + 12 + 1 + 64);
        let who = l.authenticate(&t.token).unwrap().expect("valid");
        assert_eq!((who.name.as_str(), who.role), ("ci", Role::Editor));
        // A wrong secret with the right id, a malformed text, an unknown id: all refused.
        let mut wrong = t.token.clone();
        let last = wrong.pop().unwrap();
        wrong.push(if last == '0' { '1' } else { '0' });
        assert!(l.authenticate(&wrong).unwrap().is_none());
        assert!(l.authenticate("sst_nothex").unwrap().is_none());
        assert!(l.authenticate("").unwrap().is_none());
        // The ledger holds the hash, not the text.
        let stored: String = l
            .conn()
            .query_row("SELECT hash FROM tokens", [], |r| r.get(0))
            .unwrap();
        assert_ne!(stored, t.token);
        assert!(!stored.contains(&t.token[17..]));
        // Names are unique among active tokens.
        assert!(l.create_token("ci", Role::Viewer, "x").is_err());
        let r = l.revoke_token("ci", "cli:test").unwrap();
        assert!(!r.active());
        assert!(l.authenticate(&t.token).unwrap().is_none());
        assert!(l.revoke_token(&t.info.id, "x").is_err(), "already revoked");
        // The name is free again; both appear in the list.
        l.create_token("ci", Role::Viewer, "cli:test").unwrap();
        let all = l.tokens().unwrap();
        assert_eq!(all.len(), 2);
        assert_eq!(all.iter().filter(|t| t.active()).count(), 1);
        // Creation and revocation are audited, without secrets, and the chain holds.
        let log = l.audit().unwrap();
        let actions: Vec<&str> = log.iter().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["token.create", "token.revoke", "token.create"]);
        assert!(
            !log.iter()
                .any(|e| e.detail.to_string().contains(&t.token[17..]))
        );
        assert_eq!(l.verify_audit().unwrap(), 3);
    }

    #[test]
    fn bad_names_roles_and_unknown_tokens_are_refused() {
        let (_d, l) = ledger();
        assert!(l.create_token("", Role::Admin, "x").is_err());
        assert!(l.create_token("a b", Role::Admin, "x").is_err());
        assert!("owner".parse::<Role>().is_err());
        assert_eq!("admin".parse::<Role>().unwrap(), Role::Admin);
        assert!(Role::Admin > Role::Editor && Role::Editor > Role::Viewer);
        let e = l.revoke_token("nobody", "x").unwrap_err().to_string();
        assert!(e.contains("sustain token list"), "{e}");
        l.create_token("kept", Role::Viewer, "x").unwrap();
        let e = l.conn().execute("DELETE FROM tokens", []).unwrap_err();
        assert!(e.to_string().contains("append-only"), "{e}");
    }
}
