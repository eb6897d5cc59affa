//! Progress of long work: a bar on a terminal (run under a pseudo-terminal with `script`),
//! plain lines when stderr is a pipe.

mod common;

use std::process::{Command, Stdio};

use common::*;

/// `count` payment methods, imported through the CLI.
fn vault_with(count: u64) -> Cli {
    let cli = Cli::new();
    cli.write("cards.jsonl", &import_lines(count, 50, 0));
    let summary = cli.run(&["import", "--profile", "pro_a", "cards.jsonl"]).json();
    assert_eq!(summary["imported"].as_u64(), Some(count));
    cli
}

fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', r"'\''"))
}

#[test]
fn verify_of_20000_payment_methods_draws_a_bar_on_a_terminal_and_lines_otherwise() {
    let count = 20_000;
    let cli = vault_with(count);
    let total_records = {
        let stats = cli.run(&["stats"]).json();
        let t = &stats["total"];
        ["customers", "redacted_customers", "payment_methods", "stored_cvcs"]
            .iter()
            .map(|k| t[k].as_u64().unwrap())
            .sum::<u64>()
    };

    // On a terminal: `script` gives the command a pty for stdin, stdout and stderr.
    let inner = format!("{} verify --no-sync", shell_quote(binary()));
    let mut script = Command::new("script");
    script
        .args(["-qfec", &inner, "/dev/null"])
        .env_clear()
        .env("STRONGROOM_VAULT", cli.vault())
        .env("STRONGROOM_MASTER_KEY", &cli.key)
        .env("TERM", "xterm")
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .stdin(Stdio::null());
    let on_tty = script.output().expect("`script` (util-linux) runs the command on a pseudo-terminal");
    let screen = String::from_utf8_lossy(&on_tty.stdout);
    assert!(on_tty.status.success(), "{screen}");
    let bar = format!("] {total_records}/{total_records}");
    assert!(screen.contains("verify [========================================]"), "no full bar drawn: {screen:?}");
    assert!(screen.contains(&bar), "no bar position {bar}: {screen:?}");
    assert!(screen.contains('\r') || screen.contains("\x1b["), "the bar redraws in place: {screen:?}");
    assert!(!screen.contains("verify: "), "no plain lines on a terminal");
    assert!(screen.contains("\"problems\": []"), "the report follows the bar");

    // Piped: plain lines, no escape codes, no carriage returns.
    let piped =
        cli.command(&["verify"]).stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).output().unwrap();
    assert!(piped.status.success());
    let stderr = String::from_utf8_lossy(&piped.stderr);
    assert!(!stderr.contains('\x1b') && !stderr.contains('\r'), "{stderr:?}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert!(!lines.is_empty() && lines.iter().all(|l| l.starts_with("verify: ")), "{stderr}");
    assert_eq!(*lines.last().unwrap(), format!("verify: {total_records}/{total_records} 0 problems"));
}
