//! What is generated from the error table (`sealbase::Error`, src/error.rs): the TypeScript union of
//! error names in `wasm/js/index.d.ts`. Written by every package build; the test
//! `tests/typescript_errors.rs` fails when the checked-in file lags behind the table.

use std::fs;

const TYPES: &str = "wasm/js/index.d.ts";
const UNION_START: &str = "export type SealbaseErrorName =";

/// Rewrites the `SealbaseErrorName` union from the table; leaves the file alone when it is current.
pub fn error_names() -> Result<(), String> {
    let types = fs::read_to_string(TYPES).map_err(|e| format!("{TYPES}: {e}"))?;
    let start = types.find(UNION_START).ok_or_else(|| format!("{TYPES}: no `{UNION_START}`"))?;
    let end = start + types[start..].find(';').ok_or_else(|| format!("{TYPES}: the union has no end"))?;
    let updated = format!("{}{}{}", &types[..start], union(sealbase::Error::NAMES), &types[end..]);
    if updated != types {
        fs::write(TYPES, updated).map_err(|e| format!("{TYPES}: {e}"))?;
        eprintln!("xtask: {TYPES}: error names regenerated from the error table");
    }
    Ok(())
}

/// `export type SealbaseErrorName =` and the names, a line of them at a time (without the `;`).
fn union(names: &[&str]) -> String {
    let mut text = UNION_START.to_owned();
    let mut line = String::new();
    for name in names {
        let item = format!(" | '{name}'");
        if !line.is_empty() && line.len() + item.len() > 110 {
            text.push_str(&format!("\n {line}"));
            line.clear();
        }
        line.push_str(&item);
    }
    text.push_str(&format!("\n {line}"));
    text
}
