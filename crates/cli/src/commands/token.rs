//! `sustain token create/list/revoke`: the API tokens of `sustain serve`.

use anyhow::Result;
use chrono::Utc;
use comfy_table::Table;
use sustain_ledger::Tokens;

use crate::args::TokenCommand;
use sustain_meter::Settings;

use super::{open_ledger, out};

/// Who makes a change, for the audit log: `cli:` and the login name.
fn actor() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".into());
    format!("cli:{user}")
}

/// `sustain token ...`
pub fn token(cmd: TokenCommand, settings: &Settings) -> Result<()> {
    match cmd {
        TokenCommand::Create(a) => {
            let role = a.role;
            let name = a
                .name
                .unwrap_or_else(|| format!("{role}-{}", Utc::now().format("%Y%m%d-%H%M%S")));
            let ledger = open_ledger(settings)?;
            let new = ledger.create_token(&name, role, &actor())?;
            if a.json {
                let mut v = serde_json::to_value(&new.info)?;
                v["token"] = serde_json::json!(new.token);
                return out(&format!("{}\n", serde_json::to_string_pretty(&v)?));
            }
            eprintln!(
                "sustain: token {} created: name {}, role {}. It is shown once, below; the ledger keeps only its SHA-256.",
                new.info.id, new.info.name, new.info.role
            );
            out(&format!("{}\n", new.token))
        }
        TokenCommand::List(a) => {
            let ledger = open_ledger(settings)?;
            let list = ledger.tokens()?;
            if a.json {
                return out(&format!("{}\n", serde_json::to_string_pretty(&list)?));
            }
            if list.is_empty() {
                return out(
                    "No tokens. Create one with `sustain token create --role viewer|editor|admin`.\n",
                );
            }
            let mut t = Table::new();
            t.load_preset("     ─             ");
            t.set_header(vec!["ID", "NAME", "ROLE", "CREATED (UTC)", "BY", "STATUS"]);
            for k in &list {
                t.add_row(vec![
                    k.id.clone(),
                    k.name.clone(),
                    k.role.to_string(),
                    k.created_at.format("%Y-%m-%d %H:%M").to_string(),
                    k.created_by.clone(),
                    k.revoked_at.map_or("active".to_string(), |r| {
                        format!("revoked {}", r.format("%Y-%m-%d %H:%M"))
                    }),
                ]);
            }
            out(&format!("{t}\n"))
        }
        TokenCommand::Revoke(a) => {
            let ledger = open_ledger(settings)?;
            let t = ledger.revoke_token(&a.token, &actor())?;
            if a.json {
                return out(&format!("{}\n", serde_json::to_string_pretty(&t)?));
            }
            out(&format!(
                "token {} ({}, {}) revoked: it is refused from now on\n",
                t.id, t.name, t.role
            ))
        }
    }
}
