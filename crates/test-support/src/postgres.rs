//! A throwaway PostgreSQL cluster for tests: `initdb` + `pg_ctl` in a temporary directory,
//! listening on a free loopback port only, with trust authentication for one role. No
//! system service is needed. `initdb` refuses to run as root, so under root (CI) the
//! cluster runs as the `postgres` user the Debian package creates, through `runuser`.
//!
//! A cluster is stopped when its handle drops, and also by a small watchdog process when
//! the test process dies without dropping it (a panic in a static, a kill), so a test run
//! never leaves a postmaster behind.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::OnceLock;

/// The role tests connect as (a superuser of the throwaway cluster).
pub const ROLE: &str = "unifield";

/// On a cluster serving TLS, a role that must log in with a password (SCRAM-SHA-256) and
/// over TLS only; a test creates it with the password it wants (`CREATE ROLE … PASSWORD`).
pub const SCRAM_ROLE: &str = "unifield_scram";

/// A running throwaway cluster. Dropping it stops the postmaster and removes its files.
pub struct PgCluster {
    dir: tempfile::TempDir,
    bin: PathBuf,
    port: u16,
    run_as_postgres: bool,
    databases: AtomicU32,
}

impl std::fmt::Debug for PgCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgCluster")
            .field("dir", &self.dir.path())
            .field("port", &self.port)
            .finish()
    }
}

/// Where PostgreSQL's server programs are: `initdb` on PATH, else Debian's
/// /usr/lib/postgresql/<version>/bin (highest version).
fn server_bin() -> Option<PathBuf> {
    if let Ok(path) = std::env::var("PATH") {
        for dir in std::env::split_paths(&path) {
            if dir.join("initdb").is_file() && dir.join("pg_ctl").is_file() {
                return Some(dir);
            }
        }
    }
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .filter_map(|entry| {
            let version = entry.file_name().to_str()?.parse::<u32>().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").is_file().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
        .unwrap_or(false)
}

fn free_loopback_port() -> std::io::Result<u16> {
    Ok(TcpListener::bind("127.0.0.1:0")?.local_addr()?.port())
}

/// A server certificate and its private key (PEM) a cluster serves TLS with.
#[derive(Clone)]
pub struct ServerTls {
    /// The certificate, followed by any intermediates.
    pub certificate_pem: String,
    pub key_pem: String,
}

impl std::fmt::Debug for ServerTls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerTls").finish_non_exhaustive()
    }
}

/// Certificates made for a test: a CA, a server certificate it issued for one DNS name
/// (and no address), and another CA that issued nothing the server shows.
pub struct TestCertificates {
    pub ca_pem: String,
    pub other_ca_pem: String,
    pub server: ServerTls,
}

impl TestCertificates {
    /// A new CA and a certificate for `name` (server authentication) signed by it.
    pub fn issue(name: &str) -> TestCertificates {
        TestCertificates::issue_valid(name, false)
    }

    /// Writes the CA and the other CA as PEM files `ca.pem` and `other-ca.pem` in `dir` (for
    /// `sslrootcert` or `SSL_CERT_FILE`): their paths, in that order.
    pub fn write_ca_files(&self, dir: &Path) -> (PathBuf, PathBuf) {
        let ca = dir.join("ca.pem");
        std::fs::write(&ca, &self.ca_pem).unwrap();
        let other_ca = dir.join("other-ca.pem");
        std::fs::write(&other_ca, &self.other_ca_pem).unwrap();
        (ca, other_ca)
    }

    /// [`TestCertificates::issue`], the server's certificate valid in 2020 only (expired).
    pub fn issue_expired(name: &str) -> TestCertificates {
        TestCertificates::issue_valid(name, true)
    }

    fn issue_valid(name: &str, expired: bool) -> TestCertificates {
        let ca = certificate_authority("Unifield test CA");
        let other_ca = certificate_authority("Some other CA");
        let server_key = rcgen::KeyPair::generate().expect("a key pair");
        let mut params = rcgen::CertificateParams::new(vec![name.to_string()]).expect("a DNS name");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::ServerAuth];
        if expired {
            params.not_before = rcgen::date_time_ymd(2020, 1, 1);
            params.not_after = rcgen::date_time_ymd(2021, 1, 1);
        }
        let certificate = params
            .signed_by(&server_key, &ca)
            .expect("the CA signs the certificate");
        TestCertificates {
            ca_pem: ca.pem(),
            other_ca_pem: other_ca.pem(),
            server: ServerTls {
                certificate_pem: certificate.pem(),
                key_pem: server_key.serialize_pem(),
            },
        }
    }
}

fn certificate_authority(name: &str) -> rcgen::CertifiedIssuer<'static, rcgen::KeyPair> {
    let mut params = rcgen::CertificateParams::new(Vec::<String>::new()).expect("no names");
    params.is_ca = rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    params.key_usages = vec![
        rcgen::KeyUsagePurpose::KeyCertSign,
        rcgen::KeyUsagePurpose::CrlSign,
    ];
    rcgen::CertifiedIssuer::self_signed(params, rcgen::KeyPair::generate().expect("a key pair"))
        .expect("a self-signed CA")
}

impl PgCluster {
    /// Starts a new cluster, or says why it cannot (PostgreSQL not installed, no
    /// `postgres` user to run it as under root, initdb or start failed).
    pub fn start() -> Result<PgCluster, String> {
        PgCluster::start_with(None)
    }

    /// [`PgCluster::start`], serving TLS (`ssl=on`) with this certificate and key beside
    /// plaintext (trust authentication either way; the client's `sslmode` decides).
    pub fn start_with_tls(tls: &ServerTls) -> Result<PgCluster, String> {
        PgCluster::start_with(Some(tls))
    }

    fn start_with(tls: Option<&ServerTls>) -> Result<PgCluster, String> {
        let bin = server_bin().ok_or(
            "PostgreSQL's server programs (initdb, pg_ctl) are not installed: scripts/setup installs them",
        )?;
        let run_as_postgres = is_root();
        let dir = tempfile::Builder::new()
            .prefix("unifield-pg-")
            .tempdir()
            .map_err(|e| format!("cannot make a temporary directory: {e}"))?;
        if run_as_postgres {
            let chown = Command::new("chown")
                .arg("postgres:")
                .arg(dir.path())
                .status()
                .map_err(|e| format!("cannot run chown: {e}"))?;
            if !chown.success() {
                return Err(
                    "cannot give the cluster's directory to the `postgres` user (is there one?)"
                        .into(),
                );
            }
        }
        let port = free_loopback_port().map_err(|e| format!("no free loopback port: {e}"))?;
        let mut cluster = PgCluster {
            dir,
            bin,
            port,
            run_as_postgres,
            databases: AtomicU32::new(0),
        };
        let data = cluster.data_dir();
        cluster.run(
            "initdb",
            &[
                "-D",
                path_text(&data),
                "-U",
                ROLE,
                "--auth=trust",
                "-E",
                "UTF8",
                "--no-sync",
                "--no-instructions",
            ],
        )?;
        // Loopback TCP only; the socket in our own directory; no fsync (throwaway data).
        let mut options = format!(
            "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200",
            path_text(cluster.dir.path())
        );
        if let Some(tls) = tls {
            cluster.scram_over_tls_only()?;
            let (certificate, key) = cluster.write_server_tls(tls)?;
            options.push_str(&format!(
                " -c ssl=on -c ssl_cert_file={} -c ssl_key_file={}",
                path_text(&certificate),
                path_text(&key)
            ));
        }
        let log = cluster.dir.path().join("postgres.log");
        let started = cluster.run(
            "pg_ctl",
            &[
                "-D",
                path_text(&data),
                "-o",
                &options,
                "-l",
                path_text(&log),
                "-w",
                "-t",
                "60",
                "start",
            ],
        );
        if let Err(error) = started {
            let log = std::fs::read_to_string(&log).unwrap_or_default();
            return Err(format!("{error}\n{log}"));
        }
        cluster.watchdog();
        // The port may have been taken between choosing it and the postmaster binding it;
        // pg_ctl -w then fails above, so reaching here means it listens.
        cluster.port = port;
        Ok(cluster)
    }

    /// A cluster shared by every test of this process (started on first use), or why
    /// there is none. Each test takes its own database from it with [`PgCluster::database`].
    pub fn shared() -> Result<&'static PgCluster, String> {
        static SHARED: OnceLock<Result<PgCluster, String>> = OnceLock::new();
        SHARED
            .get_or_init(PgCluster::start)
            .as_ref()
            .map_err(Clone::clone)
    }

    /// Puts [`SCRAM_ROLE`]'s rules first in pg_hba.conf (the first matching line decides):
    /// SCRAM over TLS from loopback, refused otherwise. Every other role keeps trust.
    fn scram_over_tls_only(&self) -> Result<(), String> {
        let hba = self.data_dir().join("pg_hba.conf");
        let existing = std::fs::read_to_string(&hba)
            .map_err(|e| format!("cannot read {}: {e}", hba.display()))?;
        let rules = format!(
            "hostssl all {SCRAM_ROLE} 127.0.0.1/32 scram-sha-256\nhost all {SCRAM_ROLE} all reject\nlocal all {SCRAM_ROLE} reject\n"
        );
        // Written in place: the file keeps its owner (the server's user).
        std::fs::write(&hba, rules + &existing)
            .map_err(|e| format!("cannot write {}: {e}", hba.display()))
    }

    /// Serves TLS with `tls` from now on (a cluster started with
    /// [`PgCluster::start_with_tls`]): its files are rewritten in place (they keep their
    /// owner and mode) and the configuration reloaded. Connections already open keep the
    /// certificate they were made with; new ones get this one.
    pub fn replace_server_tls(&self, tls: &ServerTls) -> Result<(), String> {
        for (name, text) in [
            ("server.crt", &tls.certificate_pem),
            ("server.key", &tls.key_pem),
        ] {
            let path = self.dir.path().join(name);
            if !path.is_file() {
                return Err(format!(
                    "{} does not exist: no TLS to replace",
                    path.display()
                ));
            }
            std::fs::write(&path, text)
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        }
        self.psql(
            &[],
            &self.admin_url(),
            "SELECT pg_reload_conf()",
            "reloading the configuration failed",
        )
        .map(drop)
    }

    /// Writes the certificate and key into the cluster's directory, readable by the
    /// server's user only (PostgreSQL refuses a key others can read); their paths.
    fn write_server_tls(&self, tls: &ServerTls) -> Result<(PathBuf, PathBuf), String> {
        use std::io::Write;
        use std::os::unix::fs::OpenOptionsExt;
        let certificate = self.dir.path().join("server.crt");
        let key = self.dir.path().join("server.key");
        for (path, text) in [(&certificate, &tls.certificate_pem), (&key, &tls.key_pem)] {
            std::fs::OpenOptions::new()
                .write(true)
                .create_new(true)
                .mode(0o600)
                .open(path)
                .and_then(|mut file| file.write_all(text.as_bytes()))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
            if self.run_as_postgres {
                let chown = Command::new("chown")
                    .arg("postgres:")
                    .arg(path)
                    .status()
                    .map_err(|e| format!("cannot run chown: {e}"))?;
                if !chown.success() {
                    return Err(format!("cannot give {} to `postgres`", path.display()));
                }
            }
        }
        Ok((certificate, key))
    }

    fn data_dir(&self) -> PathBuf {
        self.dir.path().join("data")
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// The URL of the cluster's `postgres` database.
    pub fn admin_url(&self) -> String {
        format!("postgres://{ROLE}@127.0.0.1:{}/postgres", self.port)
    }

    /// A new, empty database on this cluster; its URL.
    pub fn database(&self) -> Result<String, String> {
        let name = self.database_named()?;
        Ok(format!("postgres://{ROLE}@127.0.0.1:{}/{name}", self.port))
    }

    /// A new, empty database on this cluster; its name, for a test that writes its own URL
    /// (another host name, a password, TLS settings).
    pub fn database_named(&self) -> Result<String, String> {
        let n = self.databases.fetch_add(1, Ordering::Relaxed);
        let name = format!("t{}_{n}", std::process::id());
        self.psql(
            &[],
            &self.admin_url(),
            &format!("CREATE DATABASE {name}"),
            "CREATE DATABASE failed",
        )?;
        Ok(name)
    }

    /// Runs `sql` on the database at `url` with psql; the rows unaligned, one a line, the
    /// columns separated by `|`. For tests that check what the server left in its tables.
    pub fn query(&self, url: &str, sql: &str) -> Result<String, String> {
        self.psql(&["-A", "-t", "-F", "|"], url, sql, "psql failed")
    }

    /// Runs `sql` with psql (this cluster's, else the one on PATH) on the database at
    /// `url`, with `flags` added, stopping at the first error; its output, or `failure`
    /// with psql's error text.
    fn psql(&self, flags: &[&str], url: &str, sql: &str, failure: &str) -> Result<String, String> {
        let psql = self.bin.join("psql");
        let psql = if psql.is_file() {
            psql
        } else {
            PathBuf::from("psql")
        };
        let output = Command::new(psql)
            .args(["-X", "-q"])
            .args(flags)
            .args(["-v", "ON_ERROR_STOP=1", "-d"])
            .arg(url)
            .arg("-c")
            .arg(sql)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run psql: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "{failure}: {}",
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        Ok(String::from_utf8_lossy(&output.stdout).into_owned())
    }

    /// Runs one of PostgreSQL's programs, as `postgres` under root.
    fn run(&self, program: &str, args: &[&str]) -> Result<(), String> {
        let program_path = self.bin.join(program);
        let mut command = if self.run_as_postgres {
            let mut c = Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&program_path);
            c
        } else {
            Command::new(&program_path)
        };
        let output = command
            .args(args)
            .current_dir(self.dir.path())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run {program}: {e}"))?;
        if output.status.success() {
            Ok(())
        } else {
            Err(format!(
                "{program} failed ({}): {}{}",
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ))
        }
    }

    /// Stops the postmaster when this process ends, however it ends: a detached shell
    /// polls our pid once a second (bounded by the process's life) and stops the cluster
    /// and removes its directory once we are gone.
    fn watchdog(&self) {
        let pg_ctl = self.bin.join("pg_ctl");
        let data = self.data_dir();
        let stop = if self.run_as_postgres {
            format!(
                "runuser -u postgres -- '{}' -D '{}' -m immediate stop",
                path_text(&pg_ctl),
                path_text(&data)
            )
        } else {
            format!(
                "'{}' -D '{}' -m immediate stop",
                path_text(&pg_ctl),
                path_text(&data)
            )
        };
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 1; done; if [ -d '{data}' ]; then {stop} >/dev/null 2>&1; rm -rf '{dir}'; fi",
            pid = std::process::id(),
            data = path_text(&data),
            dir = path_text(self.dir.path()),
        );
        let _ = Command::new("sh")
            .arg("-c")
            .arg(script)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
    }
}

impl Drop for PgCluster {
    fn drop(&mut self) {
        let data = self.data_dir();
        let _ = self.run(
            "pg_ctl",
            &["-D", path_text(&data), "-m", "immediate", "-w", "stop"],
        );
    }
}

fn path_text(path: &Path) -> &str {
    path.to_str().expect("temporary paths are UTF-8")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cluster_starts_serves_a_new_database_and_stops_on_drop() {
        let Some(cluster) = crate::or_skipped(PgCluster::start(), "no PostgreSQL cluster") else {
            return;
        };
        let url = cluster.database().unwrap();
        let output = Command::new("psql")
            .args([
                "-X",
                "-A",
                "-t",
                "-d",
                &url,
                "-c",
                "SELECT current_database()",
            ])
            .output()
            .unwrap();
        assert!(output.status.success(), "{output:?}");
        let name = String::from_utf8_lossy(&output.stdout).trim().to_string();
        assert!(url.ends_with(&name), "{url} vs {name}");
        // query: unaligned rows, columns separated by |; a failure carries psql's error.
        assert_eq!(cluster.query(&url, "SELECT 1, 'a'").unwrap(), "1|a\n");
        let failed = cluster.query(&url, "SELECT nothing_here").unwrap_err();
        assert!(
            failed.starts_with("psql failed: ") && failed.contains("nothing_here"),
            "{failed}"
        );
        let port = cluster.port();
        let dir = cluster.dir.path().to_path_buf();
        drop(cluster);
        assert!(!dir.exists(), "the cluster's directory is removed");
        assert!(
            std::net::TcpStream::connect(("127.0.0.1", port)).is_err(),
            "nothing listens on the cluster's port after drop"
        );
    }
}
