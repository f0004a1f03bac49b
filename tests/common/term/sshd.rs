//! A private sshd on a loopback port, for the tests over ssh.

use super::*;

/// A private sshd on a free loopback port with its own host key, config
/// and authorized key, plus the client key to log in with. Stopped on drop.
pub struct Sshd {
    child: Child,
    pub port: u16,
    pub user: String,
    pub client_key: PathBuf,
    log: PathBuf,
}

/// Why there is no sshd to test with.
#[derive(Debug)]
pub struct NoSshd(pub String);

impl Sshd {
    /// Starts one under `dir`, or says why it cannot.
    pub fn start(dir: &Path) -> Result<Sshd, NoSshd> {
        let sshd = ["/usr/sbin/sshd", "/usr/bin/sshd", "/usr/local/sbin/sshd"]
            .into_iter()
            .map(PathBuf::from)
            .find(|p| p.is_file())
            .ok_or_else(|| {
                NoSshd("sshd is not installed (apt-get install openssh-server)".into())
            })?;
        for tool in ["ssh", "ssh-keygen"] {
            // Only whether it runs at all: not every tool knows -V.
            if Command::new(tool).arg("-V").output().is_err() {
                return Err(NoSshd(format!("{tool} is not installed")));
            }
        }
        let user = String::from_utf8_lossy(&Command::new("id").arg("-un").output().unwrap().stdout)
            .trim()
            .to_owned();
        // Privilege separation wants this directory (root only).
        if !Path::new("/run/sshd").is_dir() && std::fs::create_dir_all("/run/sshd").is_err() {
            return Err(NoSshd(
                "/run/sshd is missing and cannot be created (not root)".into(),
            ));
        }
        let keygen = |path: &Path| {
            let out = Command::new("ssh-keygen")
                .args(["-q", "-t", "ed25519", "-N", "", "-f"])
                .arg(path)
                .output()
                .unwrap();
            if out.status.success() {
                Ok(())
            } else {
                Err(NoSshd(format!(
                    "ssh-keygen failed: {}",
                    String::from_utf8_lossy(&out.stderr)
                )))
            }
        };
        let host_key = dir.join("host_ed25519");
        let client_key = dir.join("client_ed25519");
        keygen(&host_key)?;
        keygen(&client_key)?;
        let authorized = dir.join("authorized_keys");
        std::fs::copy(dir.join("client_ed25519.pub"), &authorized).unwrap();
        let port = crate::common::free_port();
        let config = dir.join("sshd_config");
        std::fs::write(
            &config,
            format!(
                "ListenAddress 127.0.0.1\n\
                 Port {port}\n\
                 HostKey {host}\n\
                 PidFile {pid}\n\
                 AuthorizedKeysFile {auth}\n\
                 StrictModes no\n\
                 UsePAM no\n\
                 PubkeyAuthentication yes\n\
                 PasswordAuthentication no\n\
                 KbdInteractiveAuthentication no\n\
                 PermitRootLogin prohibit-password\n\
                 AllowUsers {user}\n\
                 PrintMotd no\n\
                 PrintLastLog no\n\
                 X11Forwarding no\n\
                 LogLevel VERBOSE\n",
                host = host_key.display(),
                pid = dir.join("sshd.pid").display(),
                auth = authorized.display(),
            ),
        )
        .unwrap();
        let log = dir.join("sshd.log");
        let child = Command::new(&sshd)
            .arg("-f")
            .arg(&config)
            .args(["-D", "-e", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).unwrap())
            .spawn()
            .map_err(|e| NoSshd(format!("could not run {}: {e}", sshd.display())))?;
        let mut s = Sshd {
            child,
            port,
            user,
            client_key,
            log,
        };
        let deadline = Instant::now() + Duration::from_secs(10);
        loop {
            if TcpStream::connect(("127.0.0.1", port)).is_ok() {
                return Ok(s);
            }
            if let Ok(Some(status)) = s.child.try_wait() {
                return Err(NoSshd(format!("sshd exited ({status}): {}", s.log_text())));
            }
            if Instant::now() > deadline {
                return Err(NoSshd(format!(
                    "sshd did not listen within 10 s: {}",
                    s.log_text()
                )));
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    pub fn log_text(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// The ssh command line (for a shell script) that runs `remote` on it
    /// in a pty, with no config file, no agent and nothing forwarded.
    pub fn ssh_command(&self, remote: &str) -> String {
        format!(
            "ssh -F /dev/null -p {port} -i {key} -t \
             -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null \
             -o BatchMode=yes -o IdentitiesOnly=yes -o LogLevel=ERROR \
             {user}@127.0.0.1 {remote}",
            port = self.port,
            key = shell_quote(&self.client_key.display().to_string()),
            user = self.user,
            remote = shell_quote(remote),
        )
    }
}

impl Drop for Sshd {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// `s` as one word for `sh`.
pub fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}
