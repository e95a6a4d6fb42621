//! The server's sections of BENCHMARKS.md beyond the load table: the other configurations beside
//! SQLite, and the floors.

use std::fmt::Write;
use std::time::Duration;

use super::{ratio, Results};
use crate::load::Phase;

/// The same load on PostgreSQL (1 and 2 replicas) and with the previous build, each beside SQLite.
pub(super) fn configurations(out: &mut String, r: &Results) {
    let mut configurations: Vec<(String, &[Phase])> = vec![("SQLite, this build".into(), &r.phases)];
    if let Some((commit, before)) = &r.baseline {
        configurations.push((format!("SQLite, build before the storage seam (`{commit}`)"), &before.phases));
    }
    for (replicas, phases) in &r.postgres_phases {
        let servers = if *replicas == 1 { "1 server".to_owned() } else { format!("{replicas} servers") };
        configurations.push((format!("PostgreSQL, {servers}"), phases));
    }
    if configurations.len() == 1 {
        return;
    }
    let _ = writeln!(out, "## PostgreSQL and the previous build, beside SQLite (same run)\n");
    let _ = writeln!(
        out,
        "The same load (64 clients; a sign-in's pre-login and signed challenge go to different servers when \
         there are two, round robin, as a load balancer would send them) on SQLite with this build, on \
         SQLite with the build before the storage seam, and on PostgreSQL with one and two \
         servers, each on a fresh database (PostgreSQL 15 with `synchronous_commit = off`, the durability of \
         SQLite's WAL with `synchronous = NORMAL`; {} connections per server, sized to the machine's two \
         cores). CPU is from /proc: the sealbase processes, and PostgreSQL's own \
         (the postmaster and its backends); the two share the machine's two cores with the load generator. \
         Ratios are to the SQLite row of this build.\n",
        crate::server::POOL_SIZE
    );
    if let Some((_, baseline)) = &r.baseline {
        let (this, previous) = &baseline.sign_ins;
        let rates =
            |p: &Phase| p.runs_per_second.iter().map(|rate| format!("{rate:.0}")).collect::<Vec<_>>().join(", ");
        let _ = writeln!(
            out,
            "Phases run one after the other drift with the machine, so the sign-ins of the two builds are also \
             compared in turn: each server on a fresh file, {} sign-in runs of each, alternating which goes first. \
             This build: {}/s (median {:.0}/s, {} µs of CPU per sign-in); the build before the storage seam: {}/s \
             (median {:.0}/s, {} µs): {:.2}× the rate, {:.2}× the CPU.\n",
            this.runs_per_second.len(),
            rates(this),
            this.per_second(),
            this.server_cpu_per_op().as_micros(),
            rates(previous),
            previous.per_second(),
            previous.server_cpu_per_op().as_micros(),
            this.per_second() / previous.per_second(),
            ratio(this.server_cpu_per_op(), previous.server_cpu_per_op()),
        );
    }
    let _ = writeln!(
        out,
        "| phase | configuration | per second | ÷ SQLite | sealbase CPU/op | PostgreSQL CPU/op | total CPU/op | ÷ SQLite |\n\
         |---|---|---:|---:|---:|---:|---:|---:|"
    );
    for reference in &r.phases {
        if reference.name.contains("1,000") {
            continue;
        }
        for (configuration, phases) in &configurations {
            let Some(p) = phases.iter().find(|p| p.name == reference.name) else { continue };
            let _ = writeln!(
                out,
                "| {} | {configuration} | {:.0} | {:.2}× | {} µs | {} µs | {} µs | {:.2}× |",
                p.name,
                p.per_second(),
                p.per_second() / reference.per_second(),
                p.server_cpu_per_op().as_micros(),
                p.database_cpu_per_op().as_micros(),
                p.total_cpu_per_op().as_micros(),
                ratio(p.total_cpu_per_op(), reference.total_cpu_per_op()),
            );
        }
    }
    out.push('\n');
}

/// What the server spends beyond the cryptography it cannot avoid.
pub(super) fn floors(out: &mut String, r: &Results) {
    let _ = writeln!(out, "## Floors\n");
    let _ = writeln!(
        out,
        "The bare cryptography of one sign-in (pre-login and sign-in), timed alone on one thread with the \
         crates the server uses: the challenge's random nonce and HMAC-SHA256 when issued, the HMAC again \
         when checked, the login key decoded and the 159-byte challenge message's Ed25519 signature \
         checked strictly, the session secret drawn and hashed with SHA-256, and the authToken signed with \
         Ed25519: **{} µs**.\n",
        r.sign_in_crypto.as_micros()
    );
    let _ = writeln!(out, "| what | CPU per sign-in | ÷ the crypto floor |\n|---|---:|---:|");
    let mut rows: Vec<(String, &Phase)> = Vec::new();
    if let Some(p) = r.phases.iter().find(|p| p.name.starts_with("sign-in")) {
        rows.push(("SQLite server".into(), p));
    }
    for (replicas, phases) in &r.postgres_phases {
        if let Some(p) = phases.iter().find(|p| p.name.starts_with("sign-in")) {
            rows.push((format!("PostgreSQL, {replicas} server(s): sealbase and PostgreSQL together"), p));
        }
    }
    for (what, p) in rows {
        let _ = writeln!(
            out,
            "| {what} | {} µs | {:.2}× |",
            p.total_cpu_per_op().as_micros(),
            ratio(p.total_cpu_per_op(), r.sign_in_crypto)
        );
    }
    let per_verification = Duration::from_secs_f64(1.0 / r.verifications_per_second.max(1.0));
    let _ = writeln!(
        out,
        "\n`Verifier::verify_cached` (offline authToken verification) on one thread with the JWKS cached: \
         {:.0} verifications/s, {:.1} µs each; one bare strict Ed25519 verification of an authToken-sized \
         message with ed25519-dalek: {:.1} µs, so the Verifier takes {:.2}× the bare verification.\n",
        r.verifications_per_second,
        per_verification.as_secs_f64() * 1e6,
        r.token_verification.as_secs_f64() * 1e6,
        ratio(per_verification, r.token_verification)
    );
}
