//! `sealbase-bench`: the measurements of `cargo xtask bench` (run that, not this, so the package, the
//! browser numbers and the release server exist first).
//!
//! Usage: `sealbase-bench --server-bin PATH --kdf-json PATH [--baseline-server-bin PATH] [--postgres URL]
//! [--scale N]` writes BENCHMARKS.md and docs/benchmarks/kdf.png; with `--server-only` it prints the
//! server's load phases alone (on SQLite, the baseline's SQLite and PostgreSQL when given).
#![forbid(unsafe_code)]

mod floor;
mod load;
mod native;
mod report;
mod server;
mod stats;

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::Context;
use stats::{SignedSummary, Summary};

/// The measurements of `cargo xtask bench`.
#[derive(clap::Parser)]
struct Args {
    /// The release `sealbase-server` binary to run and load.
    #[arg(long)]
    server_bin: PathBuf,
    /// The KDF samples `bench/kdf.mjs` printed (Node and Chromium).
    #[arg(long, required_unless_present = "server_only")]
    kdf_json: Option<PathBuf>,
    /// Sign-ups in the load test; the other phases (sign-in, resume, token check) run twice as many.
    #[arg(long, default_value_t = 5000)]
    scale: usize,
    /// Run only the server load phases and print them, leaving BENCHMARKS.md alone.
    #[arg(long)]
    server_only: bool,
    /// The server as built before the storage seam, measured in the same run on SQLite.
    #[arg(long, requires = "baseline_commit")]
    baseline_server_bin: Option<PathBuf>,
    /// The commit the baseline server was built from.
    #[arg(long)]
    baseline_commit: Option<String>,
    /// A PostgreSQL cluster (superuser URL): the server is also measured on it, with 1 and 2 replicas.
    #[arg(long)]
    postgres: Option<String>,
}

/// The previous build beside this one on SQLite: its load phases, then sign-in runs of both in turn.
pub struct Baseline {
    pub phases: Vec<load::Phase>,
    /// The median of the interleaved sign-in runs: this build's, then the previous build's.
    pub sign_ins: (load::Phase, load::Phase),
}

/// How many sign-in runs of each build the interleaved comparison takes.
const INTERLEAVED_ROUNDS: usize = 6;

/// The configurations measured beside SQLite with this build.
pub struct Others {
    pub baseline: Option<Baseline>,
    /// Load phases on PostgreSQL, by number of servers.
    pub postgres: Vec<(usize, Vec<load::Phase>)>,
    /// The median of interleaved sign-in runs: SQLite with this build, then PostgreSQL with two servers.
    pub postgres_sign_ins: Option<(load::Phase, load::Phase)>,
}

/// Load phases of the other configurations, measured after the SQLite server of this build.
async fn other_configurations(
    baseline: Option<&Path>,
    postgres: Option<&str>,
    server_bin: &Path,
    scale: usize,
) -> anyhow::Result<Others> {
    let baseline = match baseline {
        Some(bin) => {
            eprintln!("bench: server load, previous build on SQLite");
            let deployment = server::Deployment::sqlite(bin)?;
            let phases = load::server_phases(&deployment, scale, load::Phases::Throughput).await?.0;
            drop(deployment);
            eprintln!("bench: sign-ins, this build and the previous one in turn");
            let (this, previous) = (server::Deployment::sqlite(server_bin)?, server::Deployment::sqlite(bin)?);
            let sign_ins = load::interleaved_sign_ins(&this, &previous, scale, INTERLEAVED_ROUNDS).await?;
            Some(Baseline { phases, sign_ins })
        }
        None => None,
    };
    let (mut on_postgres, mut postgres_sign_ins) = (Vec::new(), None);
    if let Some(cluster) = postgres {
        for replicas in [1, 2] {
            eprintln!("bench: server load, PostgreSQL with {replicas} replica(s)");
            let deployment = server::Deployment::postgres(server_bin, cluster, replicas).await?;
            on_postgres.push((replicas, load::server_phases(&deployment, scale, load::Phases::Throughput).await?.0));
        }
        eprintln!("bench: sign-ins, SQLite and PostgreSQL with two servers in turn");
        let sqlite = server::Deployment::sqlite(server_bin)?;
        let postgres = server::Deployment::postgres(server_bin, cluster, 2).await?;
        postgres_sign_ins = Some(load::interleaved_sign_ins(&sqlite, &postgres, scale, INTERLEAVED_ROUNDS).await?);
    }
    Ok(Others { baseline, postgres: on_postgres, postgres_sign_ins })
}

fn gzip_len(bytes: &[u8]) -> anyhow::Result<u64> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(bytes)?;
    Ok(encoder.finish()?.len() as u64)
}

fn samples(value: &serde_json::Value) -> Summary {
    Summary::of_millis(
        &value
            .as_array()
            .map(|a| a.iter().filter_map(serde_json::Value::as_f64).collect::<Vec<_>>())
            .unwrap_or_default(),
    )
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let Args { server_bin, kdf_json, scale, server_only: only_server, baseline_server_bin, baseline_commit, postgres } =
        clap::Parser::parse();
    if only_server {
        return server_only(&server_bin, baseline_server_bin.as_deref(), postgres.as_deref(), scale).await;
    }
    let kdf_json = kdf_json.context("--kdf-json")?;
    let kdf_json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(&kdf_json).with_context(|| format!("reading {}", kdf_json.display()))?,
    )?;
    rlimit::increase_nofile_limit(65_536).context("raising the open-files limit for 1,000 clients")?;

    eprintln!("bench: native scrypt");
    let kdf_native = Summary::of(&native::kdf(15));
    let server = server::Deployment::sqlite(&server_bin)?;
    eprintln!("bench: signUp/signIn end to end");
    let end_to_end = native::end_to_end(&server, 50).await?;
    eprintln!("bench: offline verification");
    let verifications_per_second = native::verifications_per_second(&server, &end_to_end.token).await?;
    eprintln!("bench: crypto floors");
    let sign_in_crypto = floor::sign_in_crypto();
    let token_verification = floor::token_verification();
    eprintln!("bench: server load");
    let (phases, peak_rss) = load::server_phases(&server, scale, load::Phases::All).await?;
    drop(server);
    let others = other_configurations(baseline_server_bin.as_deref(), postgres.as_deref(), &server_bin, scale).await?;

    let mut sizes = Vec::new();
    for file in [
        "sealbase_wasm_bg.wasm",
        "sealbase_wasm.js",
        "api.js",
        "index.js",
        "worker.js",
        "node.js",
        "sealbase_legacy_bg.wasm",
        "sealbase_legacy.js",
    ] {
        let bytes = std::fs::read(Path::new("pkg").join(file)).with_context(|| format!("pkg/{file}"))?;
        sizes.push((file.to_owned(), bytes.len() as u64, gzip_len(&bytes)?));
    }
    let date = time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339)?;
    let rustc = std::process::Command::new("rustc")
        .arg("--version")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())?;
    let results = report::Results {
        date,
        versions: format!(
            "{rustc}; Node {}; Chromium {}; sealbase {}",
            kdf_json["versions"]["node"].as_str().unwrap_or("?"),
            kdf_json["versions"]["chromium"].as_str().unwrap_or("?"),
            env!("CARGO_PKG_VERSION")
        ),
        kdf_native,
        kdf_wasm_node: samples(&kdf_json["node"]["sealbaseWasm15"]),
        kdf_wasm_chromium: samples(&kdf_json["chromium"]["sealbaseWasm15"]),
        scrypt_js_15: samples(&kdf_json["chromium"]["scryptJs15"]),
        scrypt_js_14: samples(&kdf_json["chromium"]["scryptJs14"]),
        scrypt_js_userbase_14: samples(&kdf_json["chromium"]["scryptJsUserbase14"]),
        kdf_beside_operations: Summary::of(&end_to_end.kdf),
        sign_up: Summary::of(&end_to_end.sign_up),
        sign_in: Summary::of(&end_to_end.sign_in),
        sign_up_overhead: SignedSummary::of(&end_to_end.sign_up_overhead_ms),
        sign_in_overhead: SignedSummary::of(&end_to_end.sign_in_overhead_ms),
        phases,
        baseline: baseline_commit.zip(others.baseline),
        postgres_phases: others.postgres,
        postgres_sign_ins: others.postgres_sign_ins,
        sign_in_crypto,
        token_verification,
        peak_rss,
        verifications_per_second,
        sizes,
        cold_page: report::ColdPage {
            init: samples(&kdf_json["coldPage"]["initMs"]),
            first_sign_up: samples(&kdf_json["coldPage"]["firstSignUpMs"]),
            second_sign_up: samples(&kdf_json["coldPage"]["secondSignUpMs"]),
            longest_task: samples(&kdf_json["coldPage"]["longestTaskInSignUpMs"]),
            warm_kdf: samples(&kdf_json["coldPage"]["warmKdfMs"]),
        },
    };
    std::fs::create_dir_all("docs/benchmarks")?;
    report::chart(&results, Path::new("docs/benchmarks/kdf.png"))?;
    let notes = std::fs::read_to_string("bench/NOTES.md").unwrap_or_default();
    std::fs::write("BENCHMARKS.md", report::markdown(&results, "docs/benchmarks/kdf.png", &notes))?;
    eprintln!("bench: wrote BENCHMARKS.md and docs/benchmarks/kdf.png");
    Ok(())
}

/// `--server-only`: the server load phases alone, printed rather than written to BENCHMARKS.md (for
/// iterating on the server).
async fn server_only(
    server_bin: &Path,
    baseline: Option<&Path>,
    postgres: Option<&str>,
    scale: usize,
) -> anyhow::Result<()> {
    rlimit::increase_nofile_limit(65_536).context("raising the open-files limit for 1,000 clients")?;
    let server = server::Deployment::sqlite(server_bin)?;
    let (phases, peak_rss) = load::server_phases(&server, scale, load::Phases::All).await?;
    drop(server);
    print_phases("SQLite, this build", &phases);
    println!("peak RSS {:.1} MB", peak_rss as f64 / 1e6);
    let others = other_configurations(baseline, postgres, server_bin, scale).await?;
    if let Some(baseline) = others.baseline {
        print_phases("SQLite, previous build", &baseline.phases);
        print_phases(
            "SQLite, interleaved sign-ins: this build, then the previous one",
            &[baseline.sign_ins.0, baseline.sign_ins.1],
        );
    }
    for (replicas, phases) in others.postgres {
        print_phases(&format!("PostgreSQL, {replicas} replica(s)"), &phases);
    }
    if let Some((sqlite, postgres)) = others.postgres_sign_ins {
        print_phases("interleaved sign-ins: SQLite, then PostgreSQL with two servers", &[sqlite, postgres]);
    }
    let floor = floor::sign_in_crypto();
    println!("sign-in crypto floor {} µs", floor.as_micros());
    Ok(())
}

fn print_phases(configuration: &str, phases: &[load::Phase]) {
    println!("{configuration}:");
    for phase in phases {
        println!(
            "  {:<45} {:>6} ok {:>4} failed {:>7.0}/s  p50 {:>7} ms  p99 {:>7} ms  CPU/op server {:>4} µs database {:>4} µs",
            phase.name,
            phase.completed,
            phase.failed,
            phase.per_second(),
            stats::ms(phase.latency.median),
            stats::ms(phase.latency.p99),
            phase.server_cpu_per_op().as_micros(),
            phase.database_cpu_per_op().as_micros(),
        );
    }
}
