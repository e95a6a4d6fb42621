//! An SMTP sink for the test runs: aiosmtpd (PyPI, in the test venv) on a free loopback port, storing
//! every message in a Maildir the suites read. Stopped and deleted when dropped.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A running sink.
pub struct Sink {
    child: Child,
    maildir: PathBuf,
    port: u16,
}

impl Sink {
    /// Starts the sink with the venv's Python and waits (bounded) until it accepts connections.
    pub fn start(python: &str) -> Result<Self, String> {
        let port = crate::postgres::free_port()?;
        let maildir = std::env::temp_dir().join(format!("sealbase-mail-{}-{port}", std::process::id()));
        let _ = std::fs::remove_dir_all(&maildir);
        let listen = format!("127.0.0.1:{port}");
        eprintln!("xtask: {python} -m aiosmtpd -n -l {listen} -c aiosmtpd.handlers.Mailbox {}", maildir.display());
        let child = Command::new(python)
            .args(["-m", "aiosmtpd", "-n", "-l", &listen, "-c", "aiosmtpd.handlers.Mailbox"])
            .arg(&maildir)
            .stdout(Stdio::null())
            .spawn()
            .map_err(|e| format!("cannot start aiosmtpd: {e}"))?;
        let sink = Self { child, maildir, port };
        for _ in 0..100 {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(sink);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        Err(format!("aiosmtpd did not listen on {listen} within 10 s"))
    }

    /// The URL a server sends to it with.
    pub fn url(&self) -> String {
        format!("smtp://127.0.0.1:{}", self.port)
    }

    /// The Maildir holding what it received (`new/` has one file per message).
    pub fn maildir(&self) -> String {
        self.maildir.display().to_string()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.maildir);
    }
}
