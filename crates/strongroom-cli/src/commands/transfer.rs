//! `import` and `export` of payment methods as JSON lines, for moving cards between
//! vaults, and `transfer-key`. Full card numbers only ever leave the vault inside a sealed
//! export (see [`crate::sealed_file`]).

use std::collections::HashMap;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use serde::Deserialize;
use serde_json::json;
use strongroom_core::{
    CardInput, Customer, CustomerCreate, CustomerId, Metadata, PageRequest, PaymentMethod, PaymentMethodCreate,
    ProfileScope,
};
use zeroize::Zeroizing;

use crate::cli::{ExportArgs, Global, ImportArgs};
use crate::commands::maintenance;
use crate::context::Context;
use crate::error::{CliError, Result};
use crate::json;
use crate::progress::Progress;
use crate::sealed_file::{self, Identity, Recipient, SealedWriter};

/// One line of an import file.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ImportLine {
    #[serde(default)]
    customer_id: Option<String>,
    #[serde(default)]
    customer_reference: Option<String>,
    card_number: String,
    card_exp_month: String,
    card_exp_year: String,
    #[serde(default)]
    card_holder_name: Option<String>,
    #[serde(default)]
    nick_name: Option<String>,
    #[serde(default)]
    metadata: Option<std::collections::BTreeMap<String, String>>,
}

impl Drop for ImportLine {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.card_number);
    }
}

/// A new file of mode 0600 that must not exist yet.
fn create_private_file(path: &Path) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map_err(|e| CliError::io(&path.display().to_string(), e))
}

pub fn transfer_key(file: &Path) -> Result<()> {
    let identity = Identity::generate();
    let mut out = create_private_file(file)?;
    // An identity whose recipient was never shown is of no use: it goes on any failure, so
    // that the same command can run again.
    let written = out
        .write_all(identity.to_text().as_bytes())
        .and_then(|()| out.sync_all())
        .map_err(|e| CliError::io(&file.display().to_string(), e))
        .and_then(|()| {
            json::print(
                &json!({"identity_file": file.display().to_string(), "recipient": identity.recipient().to_text()}),
            )
        });
    if let Err(e) = written {
        let _ = std::fs::remove_file(file);
        return Err(e);
    }
    eprintln!("Keep the identity file secret: it opens every export sealed to this recipient.");
    Ok(())
}

/// Reads the whole input, opening it when it is a sealed export.
fn read_input(args: &ImportArgs) -> Result<Zeroizing<Vec<u8>>> {
    let raw = if args.file.as_os_str() == "-" {
        sealed_file::read_to_end_zeroizing(std::io::stdin().lock()).map_err(|e| CliError::io("stdin", e))?
    } else {
        std::fs::File::open(&args.file)
            .and_then(sealed_file::read_to_end_zeroizing)
            .map_err(|e| CliError::io(&args.file.display().to_string(), e))?
    };
    match (&args.identity, sealed_file::is_sealed(&raw)) {
        (None, false) => Ok(raw),
        (None, true) => Err(CliError::usage("this is a sealed export: pass --identity FILE to open it")),
        (Some(_), false) => Err(CliError::usage("--identity given, but the file is not a sealed export")),
        (Some(path), true) => {
            let text = Zeroizing::new(
                std::fs::read_to_string(path).map_err(|e| CliError::io(&path.display().to_string(), e))?,
            );
            let identity = Identity::parse(&text).map_err(|e| CliError::usage(e.to_string()))?;
            sealed_file::open(&raw, &identity).map_err(|e| CliError::io(&args.file.display().to_string(), e))
        }
    }
}

#[derive(Default)]
struct ImportCounts {
    imported: u64,
    duplicates: u64,
    customers_created: u64,
}

pub fn import(global: &Global, args: ImportArgs) -> Result<()> {
    let ctx = Context::open(global)?;
    let scope = ctx.scope(&args.profile)?;
    let input = read_input(&args)?;
    // Line numbers count every line of the file, blank ones included.
    let lines: Vec<(usize, &[u8])> = input
        .split(|b| *b == b'\n')
        .enumerate()
        .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
        .map(|(i, l)| (i + 1, l))
        .collect();
    let mut progress = Progress::new("import", lines.len() as u64);
    let mut counts = ImportCounts::default();
    let mut customers = CustomerResolver::default();
    let mut rejected = Vec::new();
    for (done, (number, line)) in lines.iter().enumerate() {
        match import_line(&scope, &mut customers, line) {
            Ok(true) => counts.duplicates += 1,
            Ok(false) => counts.imported += 1,
            Err(LineError::Stop(e)) => {
                progress.finish(done as u64, "stopped");
                eprintln!("import: stopped at line {number}; the {} lines before it were imported", counts.imported);
                return Err(e.into());
            }
            Err(LineError::Rejected(code, field, reason)) => {
                eprintln!(
                    "line {number}: {code}{}: {reason}",
                    field.as_deref().map(|f| format!(" ({f})")).unwrap_or_default()
                );
                rejected.push(json!({"line": number, "code": code, "field": field, "reason": reason}));
            }
        }
        progress.set(done as u64 + 1, "");
    }
    counts.customers_created = customers.created;
    let count = rejected.len();
    progress.finish(
        lines.len() as u64,
        &format!("{} imported, {} already there, {count} rejected", counts.imported, counts.duplicates),
    );
    json::print(&json!({
        "imported": counts.imported,
        "duplicates": counts.duplicates,
        "customers_created": counts.customers_created,
        "rejected": count,
        "errors": rejected,
    }))?;
    if count > 0 {
        return Err(CliError::Rejected(format!("{count} lines rejected (the others were imported)")));
    }
    Ok(())
}

/// Finds each line's customer once per run: by id in this profile, else by merchant
/// reference, creating the customer when no one holds the reference yet.
#[derive(Default)]
struct CustomerResolver {
    known: HashMap<(Option<String>, Option<String>), CustomerId>,
    created: u64,
}

impl CustomerResolver {
    fn resolve(
        &mut self,
        scope: &ProfileScope,
        id: Option<&str>,
        reference: Option<&str>,
    ) -> strongroom_core::Result<CustomerId> {
        let key = (id.map(str::to_owned), reference.map(str::to_owned));
        if let Some(found) = self.known.get(&key) {
            return Ok(found.clone());
        }
        let found = self.lookup(scope, id, reference)?;
        self.known.insert(key, found.clone());
        Ok(found)
    }

    fn lookup(
        &mut self,
        scope: &ProfileScope,
        id: Option<&str>,
        reference: Option<&str>,
    ) -> strongroom_core::Result<CustomerId> {
        if let Some(id) = id {
            let parsed = CustomerId::parse(id);
            match (parsed.and_then(|id| scope.retrieve_customer(&id)), reference) {
                (Ok(customer), _) => return Ok(customer.id),
                // The id of another vault: the reference decides.
                (Err(e), Some(_)) if e.code() == "HE_02" || e.code() == "IR_05" => {}
                (Err(e), _) => return Err(e),
            }
        }
        let Some(reference) = reference else {
            return Err(strongroom_core::Error::MissingField { field: "customer_id".into() });
        };
        match scope.find_customer_by_reference(reference) {
            Ok(customer) => Ok(customer.id),
            Err(e) if e.code() == "HE_02" => {
                let created: Customer = scope.create_customer(CustomerCreate {
                    merchant_reference_id: Some(reference.to_owned()),
                    ..Default::default()
                })?;
                self.created += 1;
                Ok(created.id)
            }
            Err(e) => Err(e),
        }
    }
}

/// Why a line was not imported: its own fault (the line is reported and the import goes on),
/// or one no later line would escape (no right to write, a storage failure, a closed
/// vault), which stops the import with that error's exit code.
enum LineError {
    Rejected(String, Option<String>, String),
    Stop(strongroom_core::Error),
}

fn line_error(e: strongroom_core::Error) -> LineError {
    if matches!(e.code(), "IR_01" | "IR_06" | "HE_00") {
        return LineError::Stop(e);
    }
    LineError::Rejected(e.code().to_owned(), e.field().map(str::to_owned), e.to_string())
}

/// Imports one line; `Ok(true)` when the customer already had the card.
fn import_line(
    scope: &ProfileScope,
    customers: &mut CustomerResolver,
    line: &[u8],
) -> std::result::Result<bool, LineError> {
    // serde's messages quote unexpected values, which could be card digits: keep only the
    // position and the kind of problem.
    let parsed: ImportLine = serde_json::from_slice(line).map_err(|e| {
        let reason = match e.classify() {
            serde_json::error::Category::Data => "a field is missing, unknown or of the wrong type".to_owned(),
            _ => format!("not a JSON object (column {})", e.column()),
        };
        LineError::Rejected("IR_05".to_owned(), None, reason)
    })?;
    let vault_error = line_error;
    let card = CardInput {
        card_number: parsed.card_number.as_str().into(),
        card_exp_month: parsed.card_exp_month.clone(),
        card_exp_year: parsed.card_exp_year.clone(),
        card_holder_name: parsed.card_holder_name.as_deref().map(Into::into),
        nick_name: parsed.nick_name.clone(),
        ..Default::default()
    };
    let metadata = parsed.metadata.clone().map(Metadata);
    // A line the vault would refuse creates nothing, not even its customer.
    scope.check_card(&card, None, metadata.as_ref()).map_err(vault_error)?;
    // A new customer's reference is kept in clear (and is an index key): not the number.
    if let Some(reference) = parsed.customer_reference.as_deref() {
        let (number, _) = strongroom_core::card::number::parse(parsed.card_number.as_str()).map_err(vault_error)?;
        strongroom_core::card::refuse_number("customer_reference", Some(reference), &number).map_err(vault_error)?;
    }
    let customer = customers
        .resolve(scope, parsed.customer_id.as_deref(), parsed.customer_reference.as_deref())
        .map_err(vault_error)?;
    let mut request = PaymentMethodCreate::card(customer, card);
    request.metadata = metadata;
    scope.create_payment_method(request).map(|c| c.duplicate).map_err(vault_error)
}

/// Every payment method of the profile, customer by customer.
fn for_each_payment_method(
    scope: &ProfileScope,
    mut each: impl FnMut(&Customer, &PaymentMethod) -> Result<()>,
) -> Result<()> {
    let mut customers = PageRequest::first(100);
    loop {
        let page = scope.list_customers(&customers)?;
        for customer in &page.customers {
            let mut methods = PageRequest::first(100);
            loop {
                let listed = scope.list_payment_methods(&customer.id, &methods)?;
                for pm in &listed.payment_methods {
                    each(customer, pm)?;
                }
                match listed.next_starting_after {
                    Some(next) => methods.starting_after = Some(next),
                    None => break,
                }
            }
        }
        match page.next_starting_after {
            Some(next) => customers.starting_after = Some(next),
            None => return Ok(()),
        }
    }
}

/// The customer as an importing vault finds it again: its merchant reference, or else its
/// id here (the importing vault then creates one customer per source customer).
fn customer_reference(customer: &Customer) -> &str {
    customer.merchant_reference_id.as_deref().unwrap_or(customer.id.as_str())
}

/// One line of a card-data export, in the import format. Borrowed fields: the card number
/// is copied only into the line itself, which is zeroized once written.
#[derive(serde::Serialize)]
struct CardLine<'a> {
    customer_id: &'a str,
    customer_reference: &'a str,
    card_number: &'a str,
    card_exp_month: String,
    card_exp_year: String,
    card_holder_name: Option<&'a str>,
    nick_name: Option<&'a str>,
    metadata: Option<&'a std::collections::BTreeMap<String, String>>,
}

fn card_line(scope: &ProfileScope, customer: &Customer, pm: &PaymentMethod) -> Result<Zeroizing<String>> {
    let revealed = scope.reveal_payment_method(&pm.id)?;
    let line = CardLine {
        customer_id: pm.customer_id.as_str(),
        customer_reference: customer_reference(customer),
        card_number: revealed.card_number.expose(),
        card_exp_month: format!("{:02}", revealed.expiry_month),
        card_exp_year: revealed.expiry_year.to_string(),
        card_holder_name: revealed.card_holder_name.as_ref().map(|n| n.expose()),
        nick_name: pm.card.nick_name.as_deref(),
        metadata: pm.metadata.as_ref().map(|m| &m.0),
    };
    serde_json::to_string(&line).map(Zeroizing::new).map_err(|e| CliError::io("export", e))
}

pub fn export(global: &Global, args: ExportArgs) -> Result<()> {
    let ctx = Context::open(global)?;
    let scope = ctx.scope(&args.profile)?;
    let recipient = match (&args.recipient, args.include_card_data) {
        (Some(text), true) => Some(Recipient::parse(text).map_err(|e| CliError::usage(e.to_string()))?),
        (Some(_), false) => return Err(CliError::usage("--recipient is for --include-card-data exports")),
        _ => None,
    };
    if recipient.is_some() && !scope.scopes().reveal {
        // Refused before any file exists; the vault would refuse each reveal anyway.
        return Err(strongroom_core::Error::Forbidden { scope: "reveal" }.into());
    }
    let file = create_private_file(&args.file)?;
    // Ctrl-C stops at the next card, and the file goes like any failed export's: the same
    // command then runs again from the start.
    let ctrl_c = maintenance::on_ctrl_c();
    let stop_on_ctrl_c = || {
        if ctrl_c.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(CliError::Interrupted("interrupted: nothing was exported; run the same `export` again".into()));
        }
        Ok(())
    };
    let mut count = 0u64;
    let written = match &recipient {
        Some(recipient) => SealedWriter::new(std::io::BufWriter::new(file), recipient)
            .map_err(|e| CliError::io("export", e))
            .and_then(|mut out| {
                for_each_payment_method(&scope, |customer, pm| {
                    stop_on_ctrl_c()?;
                    let line = card_line(&scope, customer, pm)?;
                    out.write_all(line.as_bytes())
                        .and_then(|()| out.write_all(b"\n"))
                        .map_err(|e| CliError::io("export", e))?;
                    count += 1;
                    Ok(())
                })
                .and_then(|()| out.finish().map(drop).map_err(|e| CliError::io("export", e)))
            }),
        None => {
            let mut out = std::io::BufWriter::new(file);
            for_each_payment_method(&scope, |customer, pm| {
                stop_on_ctrl_c()?;
                let mut line = json::payment_method(pm);
                // The holder name is cardholder data, which a file keeps longer than a read
                // of the masked view shows it: it is exported only sealed (above).
                if let Some(card) = line["payment_method_data"]["card"].as_object_mut() {
                    card.remove("card_holder_name");
                }
                line["customer_reference"] = json!(customer_reference(customer));
                writeln!(out, "{line}").map_err(|e| CliError::io("export", e))?;
                count += 1;
                Ok(())
            })
            .and_then(|()| out.flush().map_err(|e| CliError::io("export", e)))
        }
    };
    if let Err(e) = written {
        let _ = std::fs::remove_file(&args.file);
        return Err(e);
    }
    json::print(&json!({
        "exported": count,
        "file": args.file.display().to_string(),
        "card_data": if recipient.is_some() { "included, sealed to the recipient" } else { "masked" },
    }))?;
    Ok(())
}
