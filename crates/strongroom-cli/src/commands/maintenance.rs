//! `stats`, `verify`, `rotate`, `purge-expired`, `backup`, `audit`.

use std::ops::ControlFlow;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde_json::json;
use strongroom_core::{MasterKeyId, MasterKeyRing, ProfileId, ReencryptOptions, ReencryptProgress};

use crate::cli::{AuditCommand, Global, RotateArgs};
use crate::context::{self, Context};
use crate::error::{CliError, Result};
use crate::progress::Progress;
use crate::{json, keys};

pub fn stats(global: &Global) -> Result<()> {
    let ctx = Context::open(global)?;
    json::print(&json::stats(&ctx.vault.stats()?))?;
    Ok(())
}

pub fn verify(global: &Global) -> Result<()> {
    let ctx = Context::open(global)?;
    let totals = ctx.vault.stats()?.total;
    let records = totals.customers
        + totals.redacted_customers
        + totals.payment_methods
        + totals.stored_cvcs
        + totals.unreadable_records;
    let mut progress = Progress::new("verify", records);
    let report = ctx.vault.verify(&mut |p| {
        progress.set(p.records_checked, &format!("profiles {}/{}", p.profiles_done, p.profiles_total))
    })?;
    progress.finish(report.records_checked, &format!("{} problems", report.problems.len()));
    json::print(&json::verify_report(&report))?;
    if report.problems.is_empty() {
        Ok(())
    } else {
        Err(CliError::Vault(strongroom_core::Error::Internal(strongroom_core::InternalError::Integrity {
            what: "verify found problems",
        })))
    }
}

/// A progress callback for re-encryption that stops on Ctrl-C (or the test hook).
fn reencrypt_progress<'a>(
    progress: &'a mut Progress,
    interrupted: &'a AtomicBool,
    hooks: &'a RotateArgs,
) -> impl FnMut(&ReencryptProgress) -> ControlFlow<()> + 'a {
    let (stop_after, mut pause_after) = (hooks.stop_after_records, hooks.pause_after_records);
    // A report's `scanned` counts the records of its profile so far, over all its phases:
    // the profiles before it are added in.
    let mut base = 0u64;
    let mut last_profile: Option<ProfileId> = None;
    let mut last_scanned = 0u64;
    move |p| {
        if last_profile.as_ref() != Some(&p.profile_id) {
            base += last_scanned;
            last_scanned = 0;
            last_profile = Some(p.profile_id.clone());
        }
        last_scanned = p.scanned;
        let done = base + p.scanned;
        progress.set(done, &format!("{} {}", p.profile_id.as_str(), p.phase));
        if pause_after.is_some_and(|n| done >= n) {
            pause_after = None;
            eprintln!("rotate: paused at {done} records until Ctrl-C (test hook)");
            while !interrupted.load(Ordering::Relaxed) {
                std::thread::sleep(std::time::Duration::from_millis(5));
            }
        }
        if interrupted.load(Ordering::Relaxed) || stop_after.is_some_and(|n| done >= n) {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    }
}

pub(crate) fn on_ctrl_c() -> Arc<AtomicBool> {
    let flag = Arc::new(AtomicBool::new(false));
    // If the handler cannot be installed, Ctrl-C just kills the process, which the vault
    // survives too (every batch is atomic); the next `rotate` resumes either way.
    if signal_hook::flag::register(signal_hook::consts::SIGINT, flag.clone()).is_err() {
        tracing::warn!("could not install a Ctrl-C handler");
    }
    flag
}

fn interrupted() -> CliError {
    CliError::Interrupted("interrupted: the vault is consistent; run the same `rotate` again to resume".into())
}

pub fn rotate(global: &Global, args: RotateArgs) -> Result<()> {
    let flag = on_ctrl_c();
    if let Some(new_key_file) = &args.new_master_key_file {
        let old = context::master_key(global)?;
        let new = keys::load(Some(new_key_file), None)?;
        let new_id = MasterKeyId::parse(args.new_key_id.as_deref().unwrap_or("rotated"))?;
        let ring = MasterKeyRing::new(
            vec![(MasterKeyId::parse(&global.key_id)?, old), (new_id.clone(), new)],
            new_id.clone(),
        )?;
        let ctx = Context::open_at(context::vault_dir(global)?, context::options_with_ring(global, ring), None)?;
        let total = ctx.vault.stats()?.total;
        let mut progress = Progress::new("rotate", records(&total));
        let reports =
            ctx.vault.rotate_master_key(&mut reencrypt_progress(&mut progress, &flag, &args)).inspect_err(|_| {
                eprintln!(
                    "rotate: stopped; profiles not yet moved need both master keys: open the vault with \
                 --master-key-file NEW --key-id {new_id} --previous-master-key-file OLD --previous-key-id {} \
                 to find and fix what stopped it (verify), then run this rotate again",
                    global.key_id
                );
            })?;
        if reports.iter().any(|r| !r.complete) {
            progress.finish(reports.iter().map(|r| r.scanned).sum(), "interrupted");
            return Err(interrupted());
        }
        progress.finish(reports.iter().map(|r| r.scanned).sum(), "master key rotated");
        json::print(&json!({
            "rotated_profiles": reports.iter().map(|r| json!({"profile_id": r.profile_id.as_str(), "reencrypted": r.reencrypted, "retired_versions": r.retired_versions})).collect::<Vec<_>>(),
            "note": format!("the vault now opens with the new master key alone, under the id `{new_id}` (--key-id)"),
        }))?;
        return Ok(());
    }
    let Some(profile) = args.profile.as_deref() else {
        return Err(CliError::usage("rotate needs --profile ID or --new-master-key-file FILE"));
    };
    let ctx = Context::open(global)?;
    let id = ProfileId::parse(profile)?;
    let stats = ctx.vault.stats()?;
    let Some(profile_stats) = stats.per_profile.iter().find(|s| s.profile_id.as_ref() == Some(&id)) else {
        return Err(strongroom_core::Error::NotFound {
            object: strongroom_core::ObjectKind::Profile,
            field: "profile_id".into(),
        }
        .into());
    };
    // Resuming while values remain on older versions, or while those versions are not yet
    // retired (a run stopped after its last batch): a new rotation would add yet another.
    let view = ctx.vault.get_profile(&id)?;
    let resuming = view.readable_key_versions.len() > 1
        || profile_stats.sealed_values_by_key_version.keys().any(|v| *v != view.active_key_version);
    let profile_view = if resuming {
        tracing::info!(profile = id.as_str(), "values remain on older key versions: resuming re-encryption");
        ctx.vault.get_profile(&id)?
    } else {
        ctx.vault.rotate_profile_key(&id)?
    };
    let mut progress = Progress::new("rotate", records(profile_stats));
    let report = ctx.vault.reencrypt_profile(
        &id,
        ReencryptOptions::default(),
        &mut reencrypt_progress(&mut progress, &flag, &args),
    )?;
    if !report.complete {
        progress.finish(report.scanned, "interrupted");
        return Err(interrupted());
    }
    progress.finish(report.scanned, "re-encrypted");
    json::print(&json!({
        "profile_id": id.as_str(),
        "active_key_version": profile_view.active_key_version,
        "resumed": resuming,
        "scanned": report.scanned,
        "reencrypted": report.reencrypted,
        "retired_versions": report.retired_versions,
    }))?;
    Ok(())
}

fn records(s: &strongroom_core::ProfileStats) -> u64 {
    s.customers
        + s.redacted_customers
        + s.payment_methods
        + s.stored_cvcs
        + s.api_keys
        + s.audit_events
        + s.unreadable_records
}

pub fn purge_expired(global: &Global) -> Result<()> {
    let ctx = Context::open(global)?;
    let progress = Progress::spinner("purge-expired");
    let report = ctx.vault.purge_expired()?;
    let purged = report.payment_methods + report.cvcs;
    progress.finish(purged, &format!("{} payment methods, {} CVCs deleted", report.payment_methods, report.cvcs));
    json::print(
        &json!({"payment_methods": report.payment_methods, "cvcs": report.cvcs, "unreadable": report.unreadable}),
    )?;
    Ok(())
}

pub fn backup(global: &Global, dir: &Path) -> Result<()> {
    let ctx = Context::open(global)?;
    check_backup_parent(dir)?;
    let progress = Progress::spinner("backup");
    ctx.vault.checkpoint(dir)?;
    progress.finish(0, "checkpoint written");
    json::print(&json!({"backup": dir.display().to_string(), "note": "open it with the same master key"}))?;
    Ok(())
}

/// A backup whose directory could not be made is a file problem (exit 11), like every
/// other file the command is given, not the vault's internal error: the parent must be a
/// directory this process can write in (checked with a file made and removed there).
fn check_backup_parent(dir: &Path) -> Result<()> {
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let what = format!("backup directory {}", dir.display());
    match tempfile::Builder::new().prefix(".strongroom-backup-check").tempfile_in(parent) {
        Ok(_probe) => Ok(()),
        Err(e) => Err(CliError::io(&what, format!("cannot write in {}: {e}", parent.display()))),
    }
}

pub fn audit(global: &Global, command: AuditCommand) -> Result<()> {
    let ctx = Context::open(global)?;
    match command {
        AuditCommand::List { profile, from, limit } => {
            let events = ctx.vault.list_audit(&ProfileId::parse(&profile)?, from, limit)?;
            json::print(&json!(events.iter().map(json::audit_event).collect::<Vec<_>>()))?;
        }
        AuditCommand::Verify { profile } => {
            let v = ctx.vault.verify_audit(&ProfileId::parse(&profile)?)?;
            json::print(&json!({"events": v.events, "first_bad": v.first_bad, "problem": v.problem}))?;
            if v.first_bad.is_some() {
                return Err(CliError::Vault(strongroom_core::Error::Internal(
                    strongroom_core::InternalError::Integrity { what: "audit chain" },
                )));
            }
        }
    }
    Ok(())
}
