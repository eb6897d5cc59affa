//! Progress of long work: a bar on a terminal, plain lines otherwise (logs, CI, pipes).

use std::io::IsTerminal;
use std::time::{Duration, Instant};

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Progress {
    what: &'static str,
    bar: Option<ProgressBar>,
    /// None for work of unknown size (a spinner).
    total: Option<u64>,
    last_line: Instant,
}

impl Progress {
    /// Progress of `what` out of `total` units, on stderr.
    pub fn new(what: &'static str, total: u64) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr_with_hz(20));
            bar.set_style(
                ProgressStyle::with_template("{prefix} [{bar:40}] {pos}/{len} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_bar())
                    .progress_chars("=> "),
            );
            bar.set_prefix(what);
            bar
        });
        Self { what, bar, total: Some(total), last_line: Instant::now() - Duration::from_secs(10) }
    }

    /// Work of unknown size: a spinner with the elapsed time on a terminal, a start line
    /// otherwise; [`Progress::finish`] ends it.
    pub fn spinner(what: &'static str) -> Self {
        let bar = std::io::stderr().is_terminal().then(|| {
            let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr_with_hz(20));
            bar.set_style(
                ProgressStyle::with_template("{prefix} {spinner} {msg} ({elapsed})")
                    .unwrap_or_else(|_| ProgressStyle::default_spinner()),
            );
            bar.set_prefix(what);
            bar.enable_steady_tick(Duration::from_millis(100));
            bar
        });
        if bar.is_none() {
            eprintln!("{what}: started");
        }
        Self { what, bar, total: None, last_line: Instant::now() }
    }

    /// Sets the position; without a terminal, prints a line at most once a second.
    pub fn set(&mut self, done: u64, message: &str) {
        match &self.bar {
            Some(bar) => {
                bar.set_position(self.total.map_or(done, |t| done.min(t)));
                bar.set_message(message.to_owned());
            }
            None if self.last_line.elapsed() >= Duration::from_secs(1) => {
                match self.total {
                    Some(total) => eprintln!("{}: {done}/{total} {message}", self.what),
                    None => eprintln!("{}: {done} {message}", self.what),
                }
                self.last_line = Instant::now();
            }
            None => {}
        }
    }

    /// The last position (the total grows to it if the estimate was short).
    pub fn finish(self, done: u64, message: &str) {
        let total = self.total.map(|t| t.max(done));
        match (self.bar, total) {
            (Some(bar), total) => {
                if let Some(total) = total {
                    bar.set_length(total);
                }
                bar.set_position(done);
                bar.finish_with_message(message.to_owned());
            }
            (None, Some(total)) => eprintln!("{}: {done}/{total} {message}", self.what),
            (None, None) => eprintln!("{}: {message}", self.what),
        }
    }
}
