//! A real `redis-server` for a test: on a free loopback port, nothing persisted, logs read from
//! its stdout (readiness is its "Ready to accept connections" line, never a sleep), and the
//! faults the revocation tests need: stop, restart empty, pause and resume, commands sent from
//! a connection of the test's own.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// How long a server may take to say it is ready.
const READY_WITHIN: Duration = Duration::from_secs(10);
/// Attempts at a free port (another process may take the one picked before Redis binds it).
const PORT_ATTEMPTS: usize = 5;

/// A running `redis-server`; killed when dropped.
#[derive(Debug)]
pub struct RedisServer {
    port: u16,
    child: Option<Child>,
}

impl RedisServer {
    /// Starts a server on a free loopback port.
    pub fn start() -> RedisServer {
        let mut last = None;
        for _ in 0..PORT_ATTEMPTS {
            let port = free_port();
            match spawn(port) {
                Ok(child) => return RedisServer { port, child: Some(child) },
                Err(e) => last = Some(e),
            }
        }
        panic!("redis-server did not start: {}", last.unwrap_or_default());
    }

    /// Starts a server on `port` (one a test picked, e.g. with [`free_port`], and used before).
    pub fn start_on(port: u16) -> RedisServer {
        let child = spawn(port).unwrap_or_else(|e| panic!("redis-server on port {port} did not start: {e}"));
        RedisServer { port, child: Some(child) }
    }

    /// `redis://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        url_for(self.port)
    }

    /// The port it listens on (kept across [`RedisServer::restart`]).
    pub fn port(&self) -> u16 {
        self.port
    }

    /// Kills the server and waits for it to end: connections drop, the data is lost.
    pub fn stop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// Stops the server, then starts an empty one on the same port.
    pub fn restart(&mut self) {
        self.stop();
        self.child = Some(spawn(self.port).expect("redis-server restarted on its port"));
    }

    /// Stops the process (SIGSTOP): connections stay open, nothing is answered.
    pub fn pause(&self) {
        self.signal("-STOP");
    }

    /// Resumes a paused process (SIGCONT).
    pub fn resume(&self) {
        self.signal("-CONT");
    }

    fn signal(&self, signal: &str) {
        let child = self.child.as_ref().expect("a running server");
        let status =
            Command::new("kill").arg(signal).arg(child.id().to_string()).status().expect("kill runs");
        assert!(status.success(), "kill {signal} failed");
    }

    /// Sends one command from a connection of its own (e.g. `["CLIENT", "KILL", "TYPE",
    /// "pubsub"]`), waiting as long as the server takes to answer.
    pub async fn command(&self, args: &[&str]) -> redis::RedisResult<redis::Value> {
        command(&self.url(), args).await
    }
}

/// Sends one command to the server at `url` from a connection of its own, waiting as long as
/// the server takes to answer (e.g. `DEBUG SLEEP 3` from a spawned task).
pub async fn command(url: &str, args: &[&str]) -> redis::RedisResult<redis::Value> {
    let client = redis::Client::open(url)?;
    let config = redis::AsyncConnectionConfig::new().set_response_timeout(None);
    let mut connection = client.get_multiplexed_async_connection_with_config(&config).await?;
    let mut cmd = redis::cmd(args[0]);
    for arg in &args[1..] {
        cmd.arg(*arg);
    }
    cmd.query_async(&mut connection).await
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        self.stop();
    }
}

/// `redis://127.0.0.1:PORT`.
pub fn url_for(port: u16) -> String {
    format!("redis://127.0.0.1:{port}")
}

/// A loopback port nothing listens on now: bound, read, released.
pub fn free_port() -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("a free port");
    listener.local_addr().expect("its address").port()
}

/// Spawns `redis-server` on `port` and reads its stdout until it is ready; a thread keeps
/// reading it afterwards, so that a full pipe never blocks the server.
fn spawn(port: u16) -> Result<Child, String> {
    let mut child = Command::new("redis-server")
        .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
        .args(["--enable-debug-command", "yes", "--logfile", ""])
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .expect("redis-server is installed (bash .ci/run installs it)");
    let stdout = child.stdout.take().expect("piped stdout");
    let (ready_tx, ready_rx) = mpsc::channel();
    std::thread::spawn(move || {
        let mut ready = Some(ready_tx);
        for line in BufReader::new(stdout).lines() {
            let Ok(line) = line else { break };
            if let Some(tx) = &ready {
                let is_ready = line.contains("Ready to accept connections");
                let _ = tx.send(Some(line));
                if is_ready {
                    ready = None;
                }
            }
        }
        if let Some(tx) = ready {
            let _ = tx.send(None);
        }
    });
    let deadline = Instant::now() + READY_WITHIN;
    let mut log = Vec::new();
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match ready_rx.recv_timeout(left) {
            Ok(Some(line)) => {
                let is_ready = line.contains("Ready to accept connections");
                log.push(line);
                if is_ready {
                    return Ok(child);
                }
            }
            Ok(None) | Err(mpsc::RecvTimeoutError::Disconnected) => {
                let _ = child.wait();
                return Err(format!("exited before it was ready: {}", log.join("\n")));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                let _ = child.kill();
                let _ = child.wait();
                return Err(format!("not ready within {READY_WITHIN:?}: {}", log.join("\n")));
            }
        }
    }
}
