//! `sustain serve` and `sustain token`.

use clap::{Args, Subcommand};
use sustain_ledger::Role;

use super::{Choice, JsonArg};

pub(super) const SERVE_HELP: &str = "\
Examples:
  sustain token create --role admin --name me     make a token first (shown once)
  sustain serve                                   http://127.0.0.1:8080: pages, /api/v1, /metrics
  sustain serve --addr 0.0.0.0:8080 -v            every address, with a log line per request
  curl -H \"Authorization: Bearer $TOKEN\" http://127.0.0.1:8080/api/v1/overview

Every page and API route that shows data needs a token: reads a viewer's, writes an editor's,
token administration an admin's. Browsers log in with a token at /login (an HttpOnly,
SameSite=Strict cookie); scripts send `Authorization: Bearer <token>`. The API is described at
/openapi.json; /metrics is in the Prometheus text format. Runs are pushed by
`sustain run --remote URL --token T -- CMD`. Serve plain HTTP on loopback, or put a TLS proxy in
front: tokens travel in every request. Ctrl-C (SIGINT) or SIGTERM stops the server. See
docs/serve.md.";

/// Options of `sustain serve`.
#[derive(Debug, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(
        long,
        env = "SUSTAIN_ADDR",
        default_value = "127.0.0.1:8080",
        value_name = "HOST:PORT"
    )]
    pub addr: String,
}

pub(super) const TOKEN_HELP: &str = "\
Examples:
  sustain token create --role viewer --name dashboard
  TOKEN=$(sustain token create --role editor --name ci)      the secret alone on stdout
  sustain token create --role admin --json
  sustain token list
  sustain token revoke ci                                     by name or id

Roles: viewer (read everything), editor (also write products, usage, cost lines, targets and push
runs), admin (also manage tokens over the API). A token is printed once; the ledger keeps only
its SHA-256. Creating and revoking tokens is written to the audit log (`sustain audit`).";

/// `sustain token ...`
#[derive(Debug, Subcommand)]
pub enum TokenCommand {
    /// Create a token and print its secret (once).
    #[command(
        after_help = "Examples:\n  sustain token create --role viewer --name dashboard\n  TOKEN=$(sustain token create --role editor --name ci)\n  sustain token create --role admin --json\n\nThe secret goes alone to stdout (the rest to stderr); it is never shown again: the ledger\nkeeps only its SHA-256."
    )]
    Create(TokenCreateArgs),
    /// List tokens (never their secrets).
    #[command(after_help = "Examples:\n  sustain token list\n  sustain token list --json")]
    List(JsonArg),
    /// Revoke a token by id or name.
    #[command(
        after_help = "Examples:\n  sustain token revoke ci\n  sustain token revoke 3f2a9c1e0b4d --json\n\nA revoked token is refused from the next request on; the revocation is in the audit log."
    )]
    Revoke(TokenRevokeArgs),
}

/// Options of `sustain token create`.
#[derive(Debug, Args)]
pub struct TokenCreateArgs {
    /// Role.
    #[arg(long, value_name = "ROLE", value_parser = Choice::<Role>::new())]
    pub role: Role,
    /// A name for who or what uses it (default: ROLE-DATE-TIME).
    #[arg(long, value_name = "NAME")]
    pub name: Option<String>,
    /// JSON on stdout (with the secret).
    #[arg(long)]
    pub json: bool,
}

/// Options of `sustain token revoke`.
#[derive(Debug, Args)]
pub struct TokenRevokeArgs {
    /// The token's id or the name of an active token.
    #[arg(value_name = "ID|NAME")]
    pub token: String,
    /// JSON on stdout.
    #[arg(long)]
    pub json: bool,
}
