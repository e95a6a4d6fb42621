//! The npm package's TypeScript union of error names is the error table's list, name for name: `cargo
//! xtask pkg` generates it (xtask/src/codegen.rs); this fails when the checked-in file lags behind.

#[test]
fn the_typescript_union_names_every_error_of_the_table() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("wasm/js/index.d.ts");
    let types = std::fs::read_to_string(path).expect("index.d.ts");
    let union = types.split("export type SealbaseErrorName =").nth(1).expect("the union").split(';').next().unwrap();
    let mut declared: Vec<&str> =
        union.split('|').map(|name| name.trim().trim_matches('\'')).filter(|n| !n.is_empty()).collect();
    let mut table = sealbase::Error::NAMES.to_vec();
    declared.sort_unstable();
    table.sort_unstable();
    assert_eq!(declared, table);
}
