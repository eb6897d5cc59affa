//! How the command fails: the vault's error (with its stable code) or a problem of the
//! command line itself; each kind has its own exit code.

use std::process::ExitCode;

use strongroom_core::Error as VaultError;

#[derive(Debug, thiserror::Error)]
pub enum CliError {
    #[error("{code}: {inner}", code = .0.code(), inner = .0)]
    Vault(#[from] VaultError),
    /// Bad arguments or files (not the vault's business).
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Io(String),
    /// Some input lines were refused (the others were taken).
    #[error("{0}")]
    Rejected(String),
    /// Stopped by Ctrl-C (or the test hook) with a resumable state.
    #[error("{0}")]
    Interrupted(String),
}

impl CliError {
    pub fn usage(message: impl Into<String>) -> Self {
        Self::Usage(message.into())
    }

    pub fn io(what: &str, e: impl std::fmt::Display) -> Self {
        Self::Io(format!("{what}: {e}"))
    }

    /// Exit codes: 2 usage, 3 invalid input, 4 not found, 5 conflict, 6 not allowed,
    /// 7 redacted, 8 network token provider, 9 wrong or missing master key, 10 internal,
    /// 11 file or I/O problem, 130 interrupted (resumable).
    pub fn exit_code(&self) -> ExitCode {
        ExitCode::from(match self {
            Self::Usage(_) => 2,
            Self::Io(_) => 11,
            Self::Rejected(_) => 3,
            Self::Interrupted(_) => 130,
            Self::Vault(e) => match e.code() {
                "IR_04" | "IR_05" | "CE_05" => 3,
                "HE_02" => 4,
                "HE_01" | "IR_12" => 5,
                "IR_01" | "IR_06" => 6,
                "IR_11" => 7,
                "NT_01" => 8,
                _ if matches!(e.internal_kind(), Some("wrong_master_key" | "missing_master_key")) => 9,
                _ => 10,
            },
        })
    }
}

pub type Result<T> = std::result::Result<T, CliError>;
