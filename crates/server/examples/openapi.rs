//! Prints the server's OpenAPI document (what `GET /openapi.json` answers), for
//! `scripts/check-openapi.sh` to validate against the OpenAPI 3.1 specification.
//!
//! `cargo run -p sustain-server --example openapi > openapi.json`

fn main() {
    println!(
        "{}",
        serde_json::to_string_pretty(&sustain_server::openapi::document())
            .expect("a JSON value serializes")
    );
}
