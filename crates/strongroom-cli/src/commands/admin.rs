//! `init`, `profile`, `api-key`, `customer`, `pm`.

use std::io::BufRead;
use std::time::Duration;

use serde_json::json;
use strongroom_core::{
    ApiKeyCreate, ApiKeyId, CardInput, CustomerCreate, CustomerId, CustomerUpdate, MasterKey, MerchantId, PageRequest,
    PaymentMethodCreate, PaymentMethodId, PaymentMethodSubtype, PaymentMethodUpdate, ProfileCreate, ProfileId,
    ProfileSettings, Scopes, SecretString, StorageType, Vault,
};

use crate::cli::{ApiKeyCommand, CustomerCommand, CustomerFields, Global, PmCommand, ProfileCommand};
use crate::context::{self, Context};
use crate::error::{CliError, Result};
use crate::json;

pub fn init(global: &Global, generate_key: bool) -> Result<()> {
    let dir = context::vault_dir(global)?;
    if dir.join("CURRENT").exists() {
        return Err(CliError::usage(format!("{} is already a vault", dir.display())));
    }
    let generated = if generate_key { Some(MasterKey::generate()?) } else { None };
    let options = match &generated {
        Some(key) => context::options_with_key(global, key.clone())?,
        None => context::options(global)?,
    };
    Vault::open(dir, options)?.close();
    let shown = json::print(&json!({"vault": dir.display().to_string(), "key_id": global.key_id})).and_then(|()| {
        let Some(key) = generated else { return Ok(()) };
        eprintln!(
            "\nWARNING: this is the vault's master key. It is shown once and stored nowhere.\n\
             Without it the vault cannot be opened: put it in your secret manager now.\n"
        );
        json::print_line(format_args!("STRONGROOM_MASTER_KEY={}", key.to_hex().as_str()))
    });
    shown.map_err(|e| {
        CliError::Io(format!(
            "{e}; the vault at {} was created but this output was lost: delete it and run init again",
            dir.display()
        ))
    })
}

pub fn profile(global: &Global, command: ProfileCommand) -> Result<()> {
    let ctx = Context::open(global)?;
    match command {
        ProfileCommand::Create { profile_id, merchant_id, cvc_ttl_seconds, volatile_ttl_seconds } => {
            let mut settings = ProfileSettings::default();
            if let Some(s) = cvc_ttl_seconds {
                settings.cvc_ttl = Duration::from_secs(s);
            }
            if let Some(s) = volatile_ttl_seconds {
                settings.volatile_ttl = Duration::from_secs(s);
            }
            let profile = ctx
                .vault
                .create_profile(ProfileCreate {
                    profile_id: ProfileId::parse(&profile_id)?,
                    merchant_id: MerchantId::parse(&merchant_id)?,
                    settings,
                })
                .map_err(ProfileSettings::named_in_seconds)?;
            json::print(&json::profile(&profile))?;
        }
        ProfileCommand::List => {
            let profiles = ctx.vault.list_profiles()?;
            json::print(&json!(profiles.iter().map(json::profile).collect::<Vec<_>>()))?;
        }
    }
    Ok(())
}

fn scopes(names: &[String]) -> Result<Scopes> {
    let mut scopes = Scopes { read: false, write: false, reveal: false };
    for name in names {
        match name.trim() {
            "read" => scopes.read = true,
            "write" => scopes.write = true,
            "reveal" => scopes.reveal = true,
            other => return Err(CliError::usage(format!("unknown scope `{other}` (read, write, reveal)"))),
        }
    }
    Ok(scopes)
}

pub fn api_key(global: &Global, command: ApiKeyCommand) -> Result<()> {
    let ctx = Context::open(global)?;
    match command {
        ApiKeyCommand::Create { profile, name, scopes: names } => {
            let created = ctx.vault.create_api_key(
                &ProfileId::parse(&profile)?,
                ApiKeyCreate { name, scopes: scopes(&names)?, expires_at: None },
            )?;
            let mut out = json::api_key(&created.key);
            out["api_key"] = json!(created.secret.expose());
            json::print(&out)?;
            eprintln!("The api_key is shown once: the vault keeps only a digest of it.");
        }
        ApiKeyCommand::List { profile } => {
            let keys = ctx.vault.list_api_keys(&ProfileId::parse(&profile)?)?;
            json::print(&json!(keys.iter().map(json::api_key).collect::<Vec<_>>()))?;
        }
        ApiKeyCommand::Revoke { profile, api_key_id } => {
            let key = ctx.vault.revoke_api_key(&ProfileId::parse(&profile)?, &ApiKeyId::parse(&api_key_id)?)?;
            json::print(&json::api_key(&key))?;
        }
    }
    Ok(())
}

fn secret(value: Option<String>) -> Option<SecretString> {
    value.map(SecretString::from)
}

pub fn customer(global: &Global, command: CustomerCommand) -> Result<()> {
    let ctx = Context::open(global)?;
    match command {
        CustomerCommand::Create { profile, merchant_reference_id, fields } => {
            let CustomerFields { name, email, phone, phone_country_code, description } = fields;
            let created = ctx.scope(&profile)?.create_customer(CustomerCreate {
                merchant_reference_id,
                name: secret(name),
                email: secret(email),
                phone: secret(phone),
                phone_country_code,
                description,
                ..Default::default()
            })?;
            json::print(&json::customer(&created))?;
        }
        CustomerCommand::Get { profile, customer_id } => {
            json::print(&json::customer(&ctx.scope(&profile)?.retrieve_customer(&CustomerId::parse(&customer_id)?)?))?;
        }
        CustomerCommand::Update { profile, customer_id, fields } => {
            let CustomerFields { name, email, phone, phone_country_code, description } = fields;
            let update = CustomerUpdate {
                name: secret(name),
                email: secret(email),
                phone: secret(phone),
                phone_country_code,
                description,
                ..Default::default()
            };
            let updated = ctx.scope(&profile)?.update_customer(&CustomerId::parse(&customer_id)?, update)?;
            json::print(&json::customer(&updated))?;
        }
        CustomerCommand::Delete { profile, customer_id } => {
            let deleted = ctx.scope(&profile)?.delete_customer(&CustomerId::parse(&customer_id)?)?;
            json::print(&json::customer_deleted(&deleted))?;
        }
        CustomerCommand::List { profile, limit, starting_after } => {
            let page =
                PageRequest { limit, starting_after: starting_after.as_deref().map(CustomerId::parse).transpose()? };
            json::print(&json::customer_page(&ctx.scope(&profile)?.list_customers(&page)?))?;
        }
    }
    Ok(())
}

/// The next line of stdin, trimmed (a secret: kept out of argv).
fn stdin_line() -> Result<SecretString> {
    let mut line = zeroize::Zeroizing::new(String::new());
    std::io::stdin().lock().read_line(&mut line).map_err(|e| CliError::io("stdin", e))?;
    Ok(line.trim().into())
}

/// What `pm create` and `pm update` take from stdin (card number, CVC), read before the
/// vault is opened, so that a writer slow to send them holds no lock on the vault.
#[derive(Default)]
struct Piped {
    card_number: Option<SecretString>,
    cvc: Option<SecretString>,
}

impl Piped {
    fn read(command: &PmCommand) -> Result<Self> {
        let (number, cvc) = match command {
            PmCommand::Create { card_number, cvc_stdin, .. } => (card_number.is_none(), *cvc_stdin),
            PmCommand::Update { cvc_stdin, .. } => (false, *cvc_stdin),
            _ => (false, false),
        };
        if !number && !cvc {
            return Ok(Self::default());
        }
        let card_number = if number { Some(stdin_line()?) } else { None };
        let cvc = if cvc { Some(stdin_line()?) } else { None };
        nothing_more_on_stdin(number)?;
        Ok(Self { card_number, cvc })
    }
}

/// How long piped input past the lines read may take to show up, or its end to.
const STDIN_SETTLE: std::time::Duration = std::time::Duration::from_millis(500);

/// Refuses input past the lines a command read from stdin: a CVC piped after the card
/// number without `--cvc-stdin` would otherwise be dropped, and the card stored without
/// it. Only called once a command has read stdin (a script's loop may feed stdin to
/// commands that do not), and never on a terminal, where the end of input would have to
/// be typed. A writer that keeps its end open sends nothing more within `STDIN_SETTLE`:
/// the command then goes on (what it would send later is not looked at).
fn nothing_more_on_stdin(read_card_number: bool) -> Result<()> {
    use std::io::IsTerminal;
    if std::io::stdin().is_terminal() {
        return Ok(());
    }
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let _ = sender.send(rest_of_stdin_is_blank());
    });
    let blank = match receiver.recv_timeout(STDIN_SETTLE) {
        Ok(blank) => blank.map_err(|e| CliError::io("stdin", e))?,
        Err(_) => return Ok(()),
    };
    match (blank, read_card_number) {
        (true, _) => Ok(()),
        (false, true) => Err(CliError::usage(
            "stdin holds more lines than this command reads (the card number, then the CVC with \
             --cvc-stdin); nothing was stored",
        )),
        (false, false) => Err(CliError::usage(
            "stdin holds more lines than this command reads (the CVC, one line, with --cvc-stdin); \
             nothing was stored",
        )),
    }
}

/// Reads stdin to its end or to its first non-blank byte. What it reads is zeroized: it may
/// be a secret.
fn rest_of_stdin_is_blank() -> std::io::Result<bool> {
    use std::io::Read;
    let mut chunk = zeroize::Zeroizing::new([0u8; 256]);
    let mut lock = std::io::stdin().lock();
    loop {
        match lock.read(&mut chunk[..]) {
            Ok(0) => return Ok(true),
            Ok(read) if chunk[..read].iter().all(u8::is_ascii_whitespace) => {}
            Ok(_) => return Ok(false),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
}

pub fn payment_method(global: &Global, command: PmCommand) -> Result<()> {
    let mut piped = Piped::read(&command)?;
    let ctx = Context::open(global)?;
    match command {
        PmCommand::Create {
            profile,
            customer,
            card_number: number,
            exp_month,
            exp_year,
            holder_name,
            cvc: cvc_flag,
            cvc_stdin,
            nick_name,
            debit,
            volatile,
            network_token,
        } => {
            let card_number = match number {
                Some(number) => number.into(),
                None => piped.card_number.take().unwrap_or_else(|| "".into()),
            };
            let card_cvc = if cvc_stdin { piped.cvc.take() } else { secret(cvc_flag) };
            let mut request = PaymentMethodCreate::card(
                CustomerId::parse(&customer)?,
                CardInput {
                    card_number,
                    card_exp_month: exp_month,
                    card_exp_year: exp_year,
                    card_holder_name: secret(holder_name),
                    card_cvc,
                    nick_name,
                    ..Default::default()
                },
            );
            if debit {
                request.payment_method_subtype = PaymentMethodSubtype::Debit;
            }
            if volatile {
                request.storage_type = StorageType::Volatile;
            }
            request.network_tokenization = network_token;
            let created = ctx.scope(&profile)?.create_payment_method(request)?;
            let mut out = json::payment_method(&created.payment_method);
            out["duplicate"] = json!(created.duplicate);
            json::print(&out)?;
        }
        PmCommand::Get { profile, payment_method_id } => {
            let pm = ctx.scope(&profile)?.retrieve_payment_method(&PaymentMethodId::parse(&payment_method_id)?)?;
            json::print(&json::payment_method(&pm))?;
        }
        PmCommand::Update {
            profile,
            payment_method_id,
            holder_name,
            nick_name,
            cvc: cvc_flag,
            cvc_stdin,
            exp_month,
            exp_year,
        } => {
            let card_cvc = if cvc_stdin { piped.cvc.take() } else { secret(cvc_flag) };
            let update = PaymentMethodUpdate {
                card_holder_name: secret(holder_name),
                nick_name,
                card_cvc,
                card_exp_month: exp_month,
                card_exp_year: exp_year,
            };
            let pm =
                ctx.scope(&profile)?.update_payment_method(&PaymentMethodId::parse(&payment_method_id)?, update)?;
            json::print(&json::payment_method(&pm))?;
        }
        PmCommand::Delete { profile, payment_method_id } => {
            let deleted = ctx.scope(&profile)?.delete_payment_method(&PaymentMethodId::parse(&payment_method_id)?)?;
            json::print(&json!({"payment_method_id": deleted.id.as_str(), "deleted": true}))?;
        }
        PmCommand::List { profile, customer, limit, starting_after } => {
            let page = PageRequest {
                limit,
                starting_after: starting_after.as_deref().map(PaymentMethodId::parse).transpose()?,
            };
            let listed = ctx.scope(&profile)?.list_payment_methods(&CustomerId::parse(&customer)?, &page)?;
            json::print(&json::payment_method_page(&listed))?;
        }
        PmCommand::Reveal { profile, payment_method_id, yes_show_full_card } => {
            if !yes_show_full_card {
                return Err(CliError::usage(
                    "reveal prints the full card number: pass --yes-show-full-card to confirm",
                ));
            }
            let revealed = ctx.scope(&profile)?.reveal_payment_method(&PaymentMethodId::parse(&payment_method_id)?)?;
            json::print(&json::revealed(&revealed))?;
        }
    }
    Ok(())
}
