//! Scopes of an account: the whole company, a product, a model, a team, a site, a run kind, or
//! any tag. Runs belong to a product, model or team through their tags (`--tag product=chat`).

use serde::Serialize;

use crate::error::{ReportError, Result};

/// What an account covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", content = "name", rename_all = "lowercase")]
pub enum Scope {
    /// Everything in the ledger.
    Company,
    /// Runs tagged `product=NAME`, that product's usage and cost lines.
    Product(String),
    /// Runs tagged `model=NAME`.
    Model(String),
    /// Runs tagged `team=NAME`.
    Team(String),
    /// Runs at a site.
    Site(String),
    /// Runs of a kind (`train`, `infer`, ...).
    Kind(String),
    /// Runs with a tag value.
    Tag(String, String),
}

const EXPECTED: &str =
    "company, product:NAME, model:NAME, team:NAME, site:ID, kind:KIND or tag:KEY=VALUE";

impl Scope {
    /// Parses `company`, `product:chat`, `tag:env=prod`, ...
    pub fn parse(s: &str) -> Result<Self> {
        let bad = || ReportError::Invalid {
            what: "--scope".into(),
            value: s.into(),
            expected: EXPECTED.into(),
        };
        let t = s.trim();
        if t == "company" {
            return Ok(Scope::Company);
        }
        let (kind, name) = t.split_once(':').ok_or_else(bad)?;
        if name.is_empty() {
            return Err(bad());
        }
        let name = name.to_string();
        Ok(match kind {
            "product" => Scope::Product(name),
            "model" => Scope::Model(name),
            "team" => Scope::Team(name),
            "site" => Scope::Site(name),
            "kind" => Scope::Kind(name),
            "tag" => {
                let (k, v) = name.split_once('=').ok_or_else(bad)?;
                if k.is_empty() {
                    return Err(bad());
                }
                Scope::Tag(k.into(), v.into())
            }
            _ => return Err(bad()),
        })
    }

    /// As written.
    pub fn label(&self) -> String {
        match self {
            Scope::Company => "company".into(),
            Scope::Product(n) => format!("product:{n}"),
            Scope::Model(n) => format!("model:{n}"),
            Scope::Team(n) => format!("team:{n}"),
            Scope::Site(n) => format!("site:{n}"),
            Scope::Kind(n) => format!("kind:{n}"),
            Scope::Tag(k, v) => format!("tag:{k}={v}"),
        }
    }

    /// The tag a run needs to be in this scope.
    pub fn tag(&self) -> Option<(String, String)> {
        match self {
            Scope::Product(n) => Some(("product".into(), n.clone())),
            Scope::Model(n) => Some(("model".into(), n.clone())),
            Scope::Team(n) => Some(("team".into(), n.clone())),
            Scope::Tag(k, v) => Some((k.clone(), v.clone())),
            _ => None,
        }
    }

    /// Whether a cost line booked on `scope` belongs to this account.
    pub fn covers_cost_scope(&self, scope: &str) -> bool {
        match self {
            Scope::Company => true,
            other => other.label() == scope,
        }
    }

    /// Whether usage of `product` belongs to this account (revenue is booked on products).
    pub fn covers_product(&self, product: &str) -> bool {
        match self {
            Scope::Company => true,
            Scope::Product(p) => p == product,
            _ => false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scopes_parse_and_map_to_tags() {
        assert_eq!(Scope::parse("company").unwrap(), Scope::Company);
        let p = Scope::parse("product:chat").unwrap();
        assert_eq!(p.tag(), Some(("product".into(), "chat".into())));
        assert!(p.covers_cost_scope("product:chat") && !p.covers_cost_scope("product:search"));
        assert!(p.covers_product("chat") && !p.covers_product("search"));
        assert_eq!(
            Scope::parse("tag:env=prod").unwrap(),
            Scope::Tag("env".into(), "prod".into())
        );
        assert!(!Scope::parse("team:ml").unwrap().covers_product("chat"));
        for bad in ["products:chat", "product:", "chat", "tag:env", "tag:=x"] {
            let e = Scope::parse(bad).unwrap_err().to_string();
            assert!(e.contains("product:NAME"), "{bad}: {e}");
        }
    }
}
