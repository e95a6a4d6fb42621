//! Builds the npm package: wasm (release, LTO, SIMD) → wasm-bindgen (web target) → wasm-opt -Oz →
//! the hand-written JavaScript and types from `wasm/js/` → `pkg/package.json` from `pkg.json`.

use std::fs;
use std::path::Path;

use crate::run;
use crate::setup::Tools;

const OUT: &str = "pkg";
/// The test build of the main module, with the test and benchmark hooks; never published.
pub const HOOKS_OUT: &str = "target/pkg-hooks";

/// The main module, and the second one a pending account's first sign-in loads (legacy hashes).
const MODULES: [(&str, &str); 2] = [("sealbase-wasm", "sealbase_wasm"), ("sealbase-wasm-legacy", "sealbase_legacy")];

pub fn build(tools: &Tools) -> Result<(), String> {
    crate::codegen::error_names()?;
    let _ = fs::remove_dir_all(OUT);
    for (package, out_name) in MODULES {
        module(tools, package, out_name, OUT, &[])?;
    }
    for file in ["api.js", "index.js", "node.js", "worker.js"] {
        ship_js(file, OUT)?;
    }
    fs::copy("wasm/js/index.d.ts", Path::new(OUT).join("index.d.ts")).map_err(|e| format!("index.d.ts: {e}"))?;
    fs::copy("pkg.json", Path::new(OUT).join("package.json")).map_err(|e| format!("package.json: {e}"))?;
    for file in [
        "sealbase_wasm_bg.wasm",
        "sealbase_wasm.js",
        "api.js",
        "index.js",
        "worker.js",
        "sealbase_legacy_bg.wasm",
        "sealbase_legacy.js",
    ] {
        let bytes = fs::read(Path::new(OUT).join(file)).map_err(|e| format!("{file}: {e}"))?;
        eprintln!("xtask: pkg/{file}: {} bytes", bytes.len());
    }
    Ok(())
}

/// The main module with `--features test-hooks` and the API over it, in [`HOOKS_OUT`], optimised as the
/// published one is so the benchmark measures the same code.
pub fn build_with_hooks(tools: &Tools) -> Result<(), String> {
    let _ = fs::remove_dir_all(HOOKS_OUT);
    module(tools, "sealbase-wasm", "sealbase_wasm", HOOKS_OUT, &["--features", "test-hooks"])?;
    for file in ["api.js", "index.js", "worker.js"] {
        ship_js(file, HOOKS_OUT)?;
    }
    Ok(())
}

/// Copies a hand-written module from `wasm/js/` without its whole-line `//` comments, which every page
/// would otherwise download (about 2 KB gzipped). They are for readers of the source; no line of these
/// files is inside a multi-line string, so a line that starts with `//` is always a comment.
fn ship_js(file: &str, out_dir: &str) -> Result<(), String> {
    let source = fs::read_to_string(Path::new("wasm/js").join(file)).map_err(|e| format!("{file}: {e}"))?;
    let shipped: String =
        source.lines().filter(|line| !line.trim_start().starts_with("//")).flat_map(|line| [line, "\n"]).collect();
    fs::write(Path::new(out_dir).join(file), shipped).map_err(|e| format!("write {file}: {e}"))
}

/// One wasm module: cargo, wasm-bindgen (web target), wasm-opt.
fn module(tools: &Tools, package: &str, out_name: &str, out_dir: &str, features: &[&str]) -> Result<(), String> {
    // One package per build: built together, cargo would unify the `sealbase` features of both and
    // put the legacy hashes into the main module.
    let build = ["build", "--quiet", "-p", package, "--target", "wasm32-unknown-unknown", "--profile", "wasm-release"];
    run::status("cargo", &[&build[..], features].concat(), &[])?;
    let built = format!("target/wasm32-unknown-unknown/wasm-release/{}.wasm", package.replace('-', "_"));
    run::status(
        &tools.wasm_bindgen,
        &[&built, "--target", "web", "--out-dir", out_dir, "--out-name", out_name, "--no-typescript"],
        &[],
    )?;
    optimize(tools, &format!("{out_dir}/{out_name}_bg.wasm"))
}

fn optimize(tools: &Tools, wasm: &str) -> Result<(), String> {
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
    // `--converge` repeats the passes while they still shrink the module (about 0.5 KB gzipped more).
    let args =
        [&["-Oz", "--converge"][..], &features, &["--strip-debug", "--strip-producers", wasm, "-o", wasm]].concat();
    run::status(&tools.bin("wasm-opt"), &args, &[])
}
