//! Builds the npm package: wasm (release, LTO, SIMD) → wasm-bindgen (web target) → wasm-opt -Oz →
//! the hand-written JavaScript and types from `wasm/js/` → `pkg/package.json` from `pkg.json`.

use std::fs;
use std::path::Path;

use crate::run;
use crate::setup::Tools;

const OUT: &str = "pkg";

pub fn build(tools: &Tools) -> Result<(), String> {
    run::status(
        "cargo",
        &["build", "--quiet", "-p", "sealbase-wasm", "--target", "wasm32-unknown-unknown", "--profile", "wasm-release"],
        &[],
    )?;
    let _ = fs::remove_dir_all(OUT);
    run::status(
        &tools.wasm_bindgen,
        &[
            "target/wasm32-unknown-unknown/wasm-release/sealbase_wasm.wasm",
            "--target",
            "web",
            "--out-dir",
            OUT,
            "--out-name",
            "sealbase_wasm",
            "--no-typescript",
        ],
        &[],
    )?;
    let wasm = format!("{OUT}/sealbase_wasm_bg.wasm");
    // Exactly the features rustc emits for this target (+simd128); `--all-features` would let wasm-opt
    // introduce proposals (stringref, …) that browsers and Node reject.
    let features = [
        "--enable-simd",
        "--enable-bulk-memory",
        "--enable-sign-ext",
        "--enable-mutable-globals",
        "--enable-nontrapping-float-to-int",
        "--enable-reference-types",
        "--enable-multivalue",
    ];
    let args = [&["-Oz"][..], &features, &["--strip-debug", "--strip-producers", &wasm, "-o", &wasm]].concat();
    run::status(&tools.bin("wasm-opt"), &args, &[])?;
    for file in ["api.js", "index.js", "node.js", "index.d.ts"] {
        fs::copy(Path::new("wasm/js").join(file), Path::new(OUT).join(file))
            .map_err(|e| format!("copy {file}: {e}"))?;
    }
    fs::copy("pkg.json", Path::new(OUT).join("package.json")).map_err(|e| format!("package.json: {e}"))?;
    for file in ["sealbase_wasm_bg.wasm", "sealbase_wasm.js", "api.js", "index.js"] {
        let bytes = fs::read(Path::new(OUT).join(file)).map_err(|e| format!("{file}: {e}"))?;
        eprintln!("xtask: pkg/{file}: {} bytes", bytes.len());
    }
    Ok(())
}
