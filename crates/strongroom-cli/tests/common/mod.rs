//! Running the `strongroom` binary on a vault in a temporary directory.

#![allow(dead_code)]

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use serde_json::Value;

pub const KEY_A: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
pub const KEY_B: &str = "ffeeddccbbaa99887766554433221100ffeeddccbbaa99887766554433221100";

pub fn binary() -> &'static str {
    env!("CARGO_BIN_EXE_strongroom")
}

/// A finished run: exit code, stdout, stderr.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn from(output: Output) -> Self {
        Self {
            code: output.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&output.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&output.stderr).into_owned(),
        }
    }

    /// Succeeded; its stdout as JSON.
    #[track_caller]
    pub fn json(&self) -> Value {
        assert_eq!(self.code, 0, "stdout: {}\nstderr: {}", self.stdout, self.stderr);
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.stdout))
    }

    /// Failed with this exit code, and stderr names this vault error code.
    #[track_caller]
    pub fn fails(&self, exit: i32, code: &str) -> &Self {
        assert_eq!(self.code, exit, "stdout: {}\nstderr: {}", self.stdout, self.stderr);
        assert!(self.stderr.contains(code), "stderr lacks {code}: {}", self.stderr);
        self
    }

    pub fn all(&self) -> String {
        format!("{}{}", self.stdout, self.stderr)
    }
}

/// A vault directory and the environment the binary runs with.
pub struct Cli {
    pub temp: tempfile::TempDir,
    pub key: String,
}

impl Cli {
    /// A fresh, initialised vault with one profile `pro_a`.
    pub fn new() -> Self {
        let cli = Self::empty();
        cli.run(&["init"]).json();
        cli.run(&["profile", "create", "pro_a", "--merchant-id", "merchant_a"]).json();
        cli
    }

    /// A directory with no vault yet.
    pub fn empty() -> Self {
        Self { temp: tempfile::tempdir().unwrap(), key: KEY_A.to_owned() }
    }

    pub fn vault(&self) -> PathBuf {
        self.temp.path().join("vault")
    }

    pub fn path(&self, name: &str) -> PathBuf {
        self.temp.path().join(name)
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(binary());
        command
            .args(args)
            .arg("--no-sync")
            .env_clear()
            .env("STRONGROOM_VAULT", self.vault())
            .env("STRONGROOM_MASTER_KEY", &self.key)
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .current_dir(self.temp.path());
        command
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_with_stdin(args, "")
    }

    pub fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Run {
        let mut child =
            self.command(args).stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
        // A command may exit without reading its input (a usage error): a closed pipe then
        // is not the test's failure; what the command did is in its output and exit code.
        match child.stdin.take().unwrap().write_all(stdin.as_bytes()) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            written => written.unwrap(),
        }
        Run::from(child.wait_with_output().unwrap())
    }

    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut command = self.command(args);
        for (k, v) in env {
            command.env(k, v);
        }
        Run::from(command.stdin(Stdio::null()).output().unwrap())
    }

    pub fn customer(&self, profile: &str) -> String {
        let created = self.run(&["customer", "create", "--profile", profile, "--name", "Jane Roe"]).json();
        created["id"].as_str().unwrap().to_owned()
    }

    /// Saves a card (number on stdin); returns the payment method's JSON.
    pub fn card(&self, profile: &str, customer: &str, number: &str) -> Value {
        self.run_with_stdin(
            &["pm", "create", "--profile", profile, "--customer", customer, "--exp-month", "03", "--exp-year", "2031"],
            &format!("{number}\n"),
        )
        .json()
    }

    pub fn api_key(&self, profile: &str, scopes: &str) -> String {
        let created = self.run(&["api-key", "create", "--profile", profile, "--name", "k", "--scopes", scopes]).json();
        created["api_key"].as_str().unwrap().to_owned()
    }

    pub fn write(&self, name: &str, text: &str) -> PathBuf {
        let path = self.path(name);
        std::fs::write(&path, text).unwrap();
        path
    }
}

/// A valid (Luhn) 16-digit Visa number for `n`.
pub fn visa(n: u64) -> String {
    let body = format!("4{:014}", n);
    let digits: Vec<u32> = body.chars().map(|c| c.to_digit(10).unwrap()).collect();
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| if i % 2 == 0 { if d * 2 > 9 { d * 2 - 9 } else { d * 2 } } else { d })
        .sum();
    format!("{body}{}", (10 - sum % 10) % 10)
}

/// JSON lines importing `count` cards for customer references `ref-0`… (`per_customer` each).
pub fn import_lines(count: u64, per_customer: u64, first: u64) -> String {
    (first..first + count)
        .map(|i| {
            format!(
                "{{\"customer_reference\":\"ref-{}\",\"card_number\":\"{}\",\"card_exp_month\":\"04\",\"card_exp_year\":\"2032\"}}\n",
                i / per_customer,
                visa(i)
            )
        })
        .collect()
}

pub fn contains(haystack: &Path, needle: &[u8]) -> bool {
    let bytes = std::fs::read(haystack).unwrap();
    bytes.windows(needle.len()).any(|w| w == needle)
}
