//! A private PostgreSQL cluster for the test and benchmark runs: Debian's `postgresql` (installed if
//! missing), `initdb` into a temporary directory, a free loopback port, TLS with a certificate made for
//! the run, stopped and deleted when dropped. `initdb` refuses to run as root, so as root the cluster
//! belongs to the `postgres` user the package creates.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::run;

/// A running cluster.
pub struct Cluster {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    as_postgres: bool,
}

/// How the cluster trades durability for speed.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Durability {
    /// fsync off: the test suites, where a crash loses nothing of value.
    Tests,
    /// PostgreSQL's defaults (every commit flushed to disk before it is acknowledged).
    Default,
    /// What the embedded SQLite store promises (WAL with `synchronous = NORMAL`: a crash of the process
    /// loses nothing, a power cut may lose the last commits): `synchronous_commit = off`, so the
    /// benchmarks compare the two backends at the same durability.
    LikeSqlite,
}

impl Cluster {
    /// Installs PostgreSQL if needed and starts a fresh cluster.
    pub fn start(durability: Durability) -> Result<Self, String> {
        let bin = install()?;
        let as_postgres = is_root()?;
        let dir = std::env::temp_dir().join(format!("sealbase-pg-{}-{}", std::process::id(), free_port()?));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data")).map_err(|e| format!("{}: {e}", dir.display()))?;
        let port = free_port()?;
        let cluster = Self { bin, dir, port, as_postgres };
        cluster.make_certificate()?;
        if as_postgres {
            run::status("chown", &["-R", "postgres:postgres", &cluster.dir.display().to_string()], &[])?;
        }
        let data = cluster.data().display().to_string();
        cluster.pg("initdb", &["-D", &data, "-A", "trust", "-U", "postgres", "--no-sync", "-E", "UTF8"])?;
        let mut options = format!(
            "-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={dir} -c max_connections=400 \
             -c ssl=on -c ssl_cert_file={dir}/server.crt -c ssl_key_file={dir}/server.key",
            dir = cluster.dir.display()
        );
        match durability {
            Durability::Tests => options.push_str(" -c fsync=off -c synchronous_commit=off -c full_page_writes=off"),
            Durability::LikeSqlite => options.push_str(" -c synchronous_commit=off"),
            Durability::Default => {}
        }
        let log = cluster.dir.join("postgres.log").display().to_string();
        cluster.pg("pg_ctl", &["-D", &data, "-o", &options, "-l", &log, "-w", "-t", "60", "start"])?;
        Ok(cluster)
    }

    /// The superuser's URL for the cluster's `postgres` database.
    pub fn admin_url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// The certificate that signed the server's (for `sslrootcert`); the server's is valid for
    /// `localhost` and `127.0.0.1`.
    pub fn ca_file(&self) -> PathBuf {
        self.dir.join("ca.crt")
    }

    /// A key-encryption key file for servers on this cluster, in its directory (deleted with it).
    pub fn key_encryption_key_file(&self) -> Result<PathBuf, String> {
        use base64::Engine;
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let mut key = [0u8; 32];
        std::fs::File::open("/dev/urandom")
            .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut key))
            .map_err(|e| e.to_string())?;
        let file = self.dir.join("kek");
        let mut out = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o600)
            .open(&file)
            .map_err(|e| e.to_string())?;
        writeln!(out, "{}", base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(key)).map_err(|e| e.to_string())?;
        Ok(file)
    }

    /// The cluster's `psql`.
    pub fn psql_path(&self) -> PathBuf {
        self.bin.join("psql")
    }

    /// `psql` on the cluster.
    pub fn psql(&self, database: &str, sql: &str) -> Result<(), String> {
        let port = self.port.to_string();
        run::status(
            &self.psql_path().display().to_string(),
            &[
                "-q",
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                "postgres",
                "-d",
                database,
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                sql,
            ],
            &[],
        )
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    /// Runs one of the cluster's programs, as `postgres` when we are root.
    fn pg(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let program = self.bin.join(program).display().to_string();
        if self.as_postgres {
            run::status("runuser", &[&["-u", "postgres", "--", &program][..], args].concat(), &[])
        } else {
            run::status(&program, args, &[])
        }
    }

    /// A CA and a server certificate signed by it (`openssl`), so tests can connect with verify-full.
    fn make_certificate(&self) -> Result<(), String> {
        if !Path::new("/usr/bin/openssl").exists() {
            apt_install(&["openssl"])?;
        }
        let in_dir = |name: &str| self.dir.join(name).display().to_string();
        let (ca_key, ca_crt, key, csr, crt, ext) = (
            in_dir("ca.key"),
            in_dir("ca.crt"),
            in_dir("server.key"),
            in_dir("server.csr"),
            in_dir("server.crt"),
            in_dir("san.ext"),
        );
        std::fs::write(&ext, "subjectAltName=DNS:localhost,IP:127.0.0.1\n").map_err(|e| e.to_string())?;
        let openssl = |args: &[&str]| run::status("openssl", args, &[]);
        openssl(&[
            "req",
            "-x509",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-days",
            "2",
            "-subj",
            "/CN=sealbase test CA",
            "-keyout",
            &ca_key,
            "-out",
            &ca_crt,
        ])?;
        openssl(&[
            "req",
            "-newkey",
            "ec",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-nodes",
            "-subj",
            "/CN=localhost",
            "-keyout",
            &key,
            "-out",
            &csr,
        ])?;
        openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &ca_crt,
            "-CAkey",
            &ca_key,
            "-CAcreateserial",
            "-days",
            "2",
            "-extfile",
            &ext,
            "-out",
            &crt,
        ])?;
        // The server refuses a key others can read.
        run::status("chmod", &["0600", &key], &[])
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        let data = self.data().display().to_string();
        if let Err(error) = self.pg("pg_ctl", &["-D", &data, "-m", "immediate", "-w", "stop"]) {
            eprintln!("xtask: stopping PostgreSQL: {error}");
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The directory of Debian's PostgreSQL programs, installing the package when there is none.
fn install() -> Result<PathBuf, String> {
    if let Some(bin) = installed() {
        return Ok(bin);
    }
    apt_install(&["postgresql"])?;
    installed().ok_or_else(|| "postgresql installed, but no /usr/lib/postgresql/*/bin/initdb".into())
}

fn installed() -> Option<PathBuf> {
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| Some(entry.ok()?.path().join("bin")))
        .filter(|bin| bin.join("initdb").exists())
        .collect();
    versions.sort();
    versions.pop()
}

fn apt_install(packages: &[&str]) -> Result<(), String> {
    let env = [("DEBIAN_FRONTEND", "noninteractive")];
    run::status("apt-get", &["update"], &env)?;
    run::status("apt-get", &[&["install", "-y"][..], packages].concat(), &env)
}

fn is_root() -> Result<bool, String> {
    let output = Command::new("id").arg("-u").output().map_err(|e| format!("id: {e}"))?;
    Ok(String::from_utf8_lossy(&output.stdout).trim() == "0")
}

/// The cluster URL with another database (the URL's path).
pub fn with_database(cluster_url: &str, database: &str) -> String {
    match cluster_url.rsplit_once('/') {
        Some((base, _)) => format!("{base}/{database}"),
        None => cluster_url.to_owned(),
    }
}

/// A loopback port nothing listens on right now.
pub fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| e.to_string())?;
    Ok(listener.local_addr().map_err(|e| e.to_string())?.port())
}
