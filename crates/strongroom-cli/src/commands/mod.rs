//! One function per command; `run` dispatches.

mod admin;
mod demo;
mod maintenance;
mod transfer;

use crate::cli::{Cli, Command};
use crate::error::Result;

pub fn run(cli: Cli) -> Result<()> {
    let global = &cli.global;
    match cli.command {
        Command::Init { generate_key } => admin::init(global, generate_key),
        Command::Demo => demo::run(global),
        Command::Profile(c) => admin::profile(global, c),
        Command::ApiKey(c) => admin::api_key(global, c),
        Command::Customer(c) => admin::customer(global, c),
        Command::Pm(c) => admin::payment_method(global, c),
        Command::Stats => maintenance::stats(global),
        Command::Verify => maintenance::verify(global),
        Command::Rotate(args) => maintenance::rotate(global, args),
        Command::PurgeExpired => maintenance::purge_expired(global),
        Command::Backup { dir } => maintenance::backup(global, &dir),
        Command::Audit(c) => maintenance::audit(global, c),
        Command::Import(args) => transfer::import(global, args),
        Command::Export(args) => transfer::export(global, args),
        Command::TransferKey { file } => transfer::transfer_key(&file),
    }
}
