//! The command line: global options and every subcommand.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

#[derive(Parser)]
#[command(name = "strongroom", version, about = "An embedded multi-tenant card vault: demo and administration")]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Args)]
pub struct Global {
    /// The vault directory.
    #[arg(long, global = true, env = "STRONGROOM_VAULT")]
    pub vault: Option<PathBuf>,
    /// A file holding the master key (64 hex digits or base64); else STRONGROOM_MASTER_KEY.
    #[arg(long, global = true)]
    pub master_key_file: Option<PathBuf>,
    /// The master key's id.
    #[arg(long, global = true, env = "STRONGROOM_MASTER_KEY_ID", default_value = "default")]
    pub key_id: String,
    /// A second master key to open the vault with (a file like --master-key-file): a
    /// master key rotation that stopped half-way leaves profiles that need both keys.
    #[arg(long, global = true)]
    pub previous_master_key_file: Option<PathBuf>,
    /// The id of --previous-master-key-file's key.
    #[arg(long, global = true, env = "STRONGROOM_PREVIOUS_MASTER_KEY_ID", default_value = "default")]
    pub previous_key_id: String,
    /// Act as this API key (limited to its scopes) instead of with every right.
    #[arg(long, global = true, env = "STRONGROOM_API_KEY", hide_env_values = true)]
    pub api_key: Option<String>,
    /// Do not fsync each write (bulk loads, tests). The default is fsync on.
    #[arg(long, global = true)]
    pub no_sync: bool,
    /// Log more (-v info, -vv debug). Logs go to stderr and never hold card data.
    #[arg(short, long, global = true, action = clap::ArgAction::Count)]
    pub verbose: u8,
}

#[derive(Subcommand)]
pub enum Command {
    /// Create a vault directory (and, with --generate-key, a master key shown once).
    Init {
        #[arg(long)]
        generate_key: bool,
    },
    /// Run the seed's server-to-server flow end to end, printing each request and response.
    Demo,
    /// Profiles (tenants): create, list.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// API keys with scopes (read, write, reveal): create, list, revoke.
    #[command(subcommand, name = "api-key")]
    ApiKey(ApiKeyCommand),
    /// Customers: create, get, update, delete (redaction), list.
    #[command(subcommand)]
    Customer(CustomerCommand),
    /// Card payment methods.
    #[command(subcommand)]
    Pm(PmCommand),
    /// Counts per profile and key version.
    Stats,
    /// Read everything, check every value opens and every index agrees.
    Verify,
    /// Rotate a profile's key (or, with --new-master-key-file, the master key) and re-encrypt.
    Rotate(RotateArgs),
    /// Delete expired volatile payment methods and CVCs.
    PurgeExpired,
    /// A consistent copy of the vault in DIR (which must not exist).
    Backup { dir: PathBuf },
    /// The profile's audit chain: list events, verify the chain.
    #[command(subcommand)]
    Audit(AuditCommand),
    /// Import payment methods from JSON lines (see README); bad lines are reported, good ones imported.
    Import(ImportArgs),
    /// Export a profile's payment methods as JSON lines (masked unless --include-card-data).
    Export(ExportArgs),
    /// Create a key pair for receiving sealed exports: the identity (secret) goes to FILE,
    /// mode 0600; the recipient (public) is printed, to give to the exporting side.
    TransferKey { file: PathBuf },
}

#[derive(Subcommand)]
pub enum ProfileCommand {
    /// Create a profile (a tenant with its own keys).
    Create {
        profile_id: String,
        #[arg(long)]
        merchant_id: String,
        #[arg(long)]
        cvc_ttl_seconds: Option<u64>,
        #[arg(long)]
        volatile_ttl_seconds: Option<u64>,
    },
    /// List the profiles.
    List,
}

#[derive(Subcommand)]
pub enum ApiKeyCommand {
    /// Create an API key; its secret is printed once.
    Create {
        #[arg(long)]
        profile: String,
        #[arg(long)]
        name: String,
        /// Comma-separated: read, write, reveal.
        #[arg(long, value_delimiter = ',', required = true)]
        scopes: Vec<String>,
    },
    /// List a profile's API keys (never their secrets).
    List {
        #[arg(long)]
        profile: String,
    },
    /// Revoke an API key.
    Revoke {
        #[arg(long)]
        profile: String,
        api_key_id: String,
    },
}

#[derive(Args)]
pub struct CustomerFields {
    #[arg(long)]
    pub name: Option<String>,
    #[arg(long)]
    pub email: Option<String>,
    #[arg(long)]
    pub phone: Option<String>,
    #[arg(long)]
    pub phone_country_code: Option<String>,
    #[arg(long)]
    pub description: Option<String>,
}

#[derive(Subcommand)]
pub enum CustomerCommand {
    /// Create a customer.
    Create {
        #[arg(long)]
        profile: String,
        #[arg(long)]
        merchant_reference_id: Option<String>,
        #[command(flatten)]
        fields: CustomerFields,
    },
    /// Retrieve a customer.
    Get {
        #[arg(long)]
        profile: String,
        customer_id: String,
    },
    /// Replace the given fields of a customer.
    Update {
        #[arg(long)]
        profile: String,
        customer_id: String,
        #[command(flatten)]
        fields: CustomerFields,
    },
    /// Delete a customer: its data is redacted and its payment methods deleted.
    Delete {
        #[arg(long)]
        profile: String,
        customer_id: String,
    },
    /// List live customers, oldest first.
    List {
        #[arg(long)]
        profile: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long)]
        starting_after: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum PmCommand {
    /// Save a card. The card number is read from stdin (one line) unless --card-number is
    /// given (which leaves it in shell history: prefer stdin).
    Create {
        #[arg(long)]
        profile: String,
        #[arg(long)]
        customer: String,
        #[arg(long)]
        card_number: Option<String>,
        #[arg(long)]
        exp_month: String,
        #[arg(long)]
        exp_year: String,
        #[arg(long)]
        holder_name: Option<String>,
        /// The CVC as a flag: it stays in shell history and in the process list, which
        /// other users may read. Prefer --cvc-stdin.
        #[arg(long, conflicts_with = "cvc_stdin")]
        cvc: Option<String>,
        /// Read the CVC from stdin: the line after the card number when that comes from
        /// stdin too, else the first line. More lines on stdin are a usage error (exit 2).
        #[arg(long)]
        cvc_stdin: bool,
        #[arg(long)]
        nick_name: Option<String>,
        /// A debit card (the seed's `payment_method_subtype: debit`); credit otherwise.
        #[arg(long)]
        debit: bool,
        /// A volatile card (`storage_type: volatile`): deleted when the profile's volatile
        /// time to live is over; persistent otherwise.
        #[arg(long)]
        volatile: bool,
        /// Also provision a network token (from the built-in simulator).
        #[arg(long)]
        network_token: bool,
    },
    /// Retrieve a payment method (masked).
    Get {
        #[arg(long)]
        profile: String,
        payment_method_id: String,
    },
    /// Update holder name, nick name, CVC or expiry.
    Update {
        #[arg(long)]
        profile: String,
        payment_method_id: String,
        #[arg(long)]
        holder_name: Option<String>,
        #[arg(long)]
        nick_name: Option<String>,
        /// The CVC as a flag: it stays in shell history and in the process list. Prefer
        /// --cvc-stdin.
        #[arg(long, conflicts_with = "cvc_stdin")]
        cvc: Option<String>,
        /// Read the new CVC from stdin (one line; more are a usage error, exit 2).
        #[arg(long)]
        cvc_stdin: bool,
        #[arg(long)]
        exp_month: Option<String>,
        #[arg(long)]
        exp_year: Option<String>,
    },
    /// Delete a payment method.
    Delete {
        #[arg(long)]
        profile: String,
        payment_method_id: String,
    },
    /// List a customer's payment methods (masked).
    List {
        #[arg(long)]
        profile: String,
        #[arg(long)]
        customer: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        #[arg(long)]
        starting_after: Option<String>,
    },
    /// Print the full card. Refused without --yes-show-full-card.
    Reveal {
        #[arg(long)]
        profile: String,
        payment_method_id: String,
        #[arg(long)]
        yes_show_full_card: bool,
    },
}

#[derive(Args)]
pub struct RotateArgs {
    /// Rotate this profile's key and re-encrypt its values (resumes an interrupted run).
    #[arg(long, conflicts_with = "new_master_key_file")]
    pub profile: Option<String>,
    /// Rotate to this master key (hex or base64 in a file): every profile gets a key version
    /// under it and is re-encrypted; afterwards only the new key is needed.
    #[arg(long)]
    pub new_master_key_file: Option<PathBuf>,
    #[arg(long, requires = "new_master_key_file")]
    pub new_key_id: Option<String>,
    /// Stop as if interrupted after this many records (tests of resuming).
    #[arg(long, hide = true)]
    pub stop_after_records: Option<u64>,
    /// Wait for Ctrl-C after this many records (tests of the signal handler).
    #[arg(long, hide = true)]
    pub pause_after_records: Option<u64>,
}

#[derive(Subcommand)]
pub enum AuditCommand {
    /// List audit events from a sequence number.
    List {
        #[arg(long)]
        profile: String,
        #[arg(long, default_value_t = 0)]
        from: u64,
        #[arg(long, default_value_t = 100)]
        limit: u32,
    },
    /// Check the audit chain's links (macs, or hashes of events sealed before vault format 3) from the first event.
    Verify {
        #[arg(long)]
        profile: String,
    },
}

#[derive(Args)]
pub struct ImportArgs {
    #[arg(long)]
    pub profile: String,
    /// JSON lines, one card each: "card_number", "card_exp_month", "card_exp_year", the
    /// customer as "customer_id" (in this profile) and/or "customer_reference" (a merchant
    /// reference: found, or created), optional "card_holder_name", "nick_name", "metadata".
    /// A sealed export is opened with --identity. `-` reads stdin.
    pub file: PathBuf,
    /// The identity file (from `strongroom transfer-key`) a sealed export was sealed to.
    #[arg(long)]
    pub identity: Option<PathBuf>,
}

#[derive(Args)]
pub struct ExportArgs {
    #[arg(long)]
    pub profile: String,
    /// A new file (never overwritten), mode 0600.
    pub file: PathBuf,
    /// Include full card numbers: needs the reveal right and --recipient; the file is then
    /// sealed to the recipient (HPKE), never written in plaintext.
    #[arg(long, requires = "recipient")]
    pub include_card_data: bool,
    /// The recipient (`strongroom-recipient-1:…`, from `strongroom transfer-key`) the file is sealed to.
    #[arg(long)]
    pub recipient: Option<String>,
}
