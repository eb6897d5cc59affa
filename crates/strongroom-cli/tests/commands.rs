//! Every command of the `strongroom` binary, run as a process: output, exit codes, errors.

mod common;

use common::*;
use serde_json::{Value, json};

#[test]
fn help_for_every_command() {
    let cli = Cli::empty();
    let commands: &[&[&str]] = &[
        &[],
        &["init"],
        &["demo"],
        &["profile"],
        &["profile", "create"],
        &["profile", "list"],
        &["api-key", "create"],
        &["api-key", "list"],
        &["api-key", "revoke"],
        &["customer", "create"],
        &["customer", "get"],
        &["customer", "update"],
        &["customer", "delete"],
        &["customer", "list"],
        &["pm", "create"],
        &["pm", "get"],
        &["pm", "update"],
        &["pm", "delete"],
        &["pm", "list"],
        &["pm", "reveal"],
        &["stats"],
        &["verify"],
        &["rotate"],
        &["purge-expired"],
        &["backup"],
        &["audit", "list"],
        &["audit", "verify"],
        &["import"],
        &["export"],
        &["transfer-key"],
    ];
    for args in commands {
        let mut args = args.to_vec();
        args.push("--help");
        let run = cli.run(&args);
        assert_eq!(run.code, 0, "{args:?}: {}", run.stderr);
        assert!(run.stdout.contains("Usage: strongroom"), "{args:?}: {}", run.stdout);
    }
    let run = cli.run(&["no-such-command"]);
    assert_eq!(run.code, 2);
}

#[test]
fn init_generates_a_key_shown_once() {
    let cli = Cli::empty();
    let run = cli.run_env(&["init", "--generate-key"], &[("STRONGROOM_MASTER_KEY", "")]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("WARNING") && run.stderr.contains("shown once"), "{}", run.stderr);
    let line = run.stdout.lines().find(|l| l.starts_with("STRONGROOM_MASTER_KEY=")).expect("the key is printed");
    let key = line.trim_start_matches("STRONGROOM_MASTER_KEY=");
    assert_eq!(key.len(), 64);
    // The vault opens with the printed key, and with no other.
    let cli = Cli { key: key.to_owned(), ..cli };
    assert_eq!(cli.run(&["profile", "list"]).json(), Value::Array(vec![]));
    cli.run_env(&["profile", "list"], &[("STRONGROOM_MASTER_KEY", KEY_A)]).fails(9, "wrong master key");
    // Never twice on one directory.
    cli.run(&["init"]).fails(2, "already a vault");
}

#[test]
fn master_key_sources_and_mistakes() {
    let cli = Cli::new();
    // A key file, as base64 of the same 32 bytes, works like the environment variable.
    let bytes: Vec<u8> = (0..32).map(|i| u8::from_str_radix(&KEY_A[i * 2..i * 2 + 2], 16).unwrap()).collect();
    let b64 = base64_encode(&bytes);
    let file = cli.write("master.key", &format!("{b64}\n"));
    let listed = cli
        .run_env(&["profile", "list", "--master-key-file", file.to_str().unwrap()], &[("STRONGROOM_MASTER_KEY", "")])
        .json();
    assert_eq!(listed[0]["id"], "pro_a");

    let wrong = cli.run_env(&["stats"], &[("STRONGROOM_MASTER_KEY", KEY_B)]);
    wrong.fails(9, "HE_00").fails(9, "wrong master key");
    assert!(!wrong.all().contains(KEY_B), "the key never appears in output");
    // Not a key at all, the base64 of too few bytes, 64 characters that are not hex.
    for malformed in ["not-a-key", "abcd", &"z".repeat(64)] {
        let bad = cli.run_env(&["stats"], &[("STRONGROOM_MASTER_KEY", malformed)]);
        assert_eq!(bad.code, 2, "{malformed}: {}", bad.stderr);
        assert!(bad.stderr.contains("64 hex digits") && !bad.stderr.contains(malformed));
    }
    let mut command = cli.command(&["stats"]);
    command.env_remove("STRONGROOM_MASTER_KEY");
    let none = command.output().unwrap();
    assert_eq!(none.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&none.stderr).contains("no master key"));
    // A directory that is not a vault.
    cli.run_env(&["stats"], &[("STRONGROOM_VAULT", cli.path("nothing").to_str().unwrap())]).fails(2, "not a vault");
}

fn base64_encode(bytes: &[u8]) -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::new();
    for chunk in bytes.chunks(3) {
        let n = chunk.iter().enumerate().fold(0u32, |acc, (i, &b)| acc | u32::from(b) << (16 - 8 * i));
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(ALPHABET[(n >> (18 - 6 * i) & 63) as usize]));
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[test]
fn profiles_and_api_keys() {
    let cli = Cli::new();
    cli.run(&["profile", "create", "pro_b", "--merchant-id", "m_b", "--cvc-ttl-seconds", "60"]).json();
    let listed = cli.run(&["profile", "list"]).json();
    let ids: Vec<&str> = listed.as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, ["pro_a", "pro_b"]);
    assert_eq!(listed[1]["cvc_ttl_seconds"], 60);
    cli.run(&["profile", "create", "pro_c", "--merchant-id", "m_c", "--cvc-ttl-seconds", "90000"])
        .fails(3, "IR_05")
        .fails(3, "cvc_ttl_seconds");
    cli.run(&["profile", "create", "pro_b", "--merchant-id", "m_b"]).fails(5, "HE_01");
    cli.run(&["profile", "create", "bad id!", "--merchant-id", "m"]).fails(3, "IR_05");

    let created =
        cli.run(&["api-key", "create", "--profile", "pro_a", "--name", "server", "--scopes", "read,write"]).json();
    let secret = created["api_key"].as_str().unwrap();
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["scopes"], serde_json::json!({"read": true, "write": true, "reveal": false}));
    let listed = cli.run(&["api-key", "list", "--profile", "pro_a"]).json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    assert!(!listed.to_string().contains(secret), "list never shows the secret");
    cli.run(&["api-key", "create", "--profile", "pro_a", "--name", "x", "--scopes", "admin"]).fails(2, "unknown scope");

    // The key acts with its scopes only, and in its own profile only.
    cli.run(&["customer", "list", "--profile", "pro_a", "--api-key", secret]).json();
    cli.run(&["customer", "list", "--profile", "pro_b", "--api-key", secret]).fails(6, "IR_01");
    cli.run(&["customer", "list", "--profile", "pro_a", "--api-key", "sk_wrong"]).fails(6, "IR_01");
    let revoked = cli.run(&["api-key", "revoke", "--profile", "pro_a", id]).json();
    assert!(revoked["revoked_at"].is_string());
    cli.run(&["customer", "list", "--profile", "pro_a", "--api-key", secret]).fails(6, "IR_01");
    cli.run(&["api-key", "revoke", "--profile", "pro_a", "key_00000000000000000000000000000000"]).fails(4, "HE_02");
}

#[test]
fn customers() {
    let cli = Cli::new();
    let created = cli
        .run(&[
            "customer",
            "create",
            "--profile",
            "pro_a",
            "--merchant-reference-id",
            "crm-1",
            "--name",
            "John Doe",
            "--email",
            "guest@example.com",
        ])
        .json();
    let id = created["id"].as_str().unwrap();
    assert_eq!(created["name"], "John Doe");
    assert_eq!(cli.run(&["customer", "get", "--profile", "pro_a", id]).json(), created);
    let updated = cli.run(&["customer", "update", "--profile", "pro_a", id, "--email", "new@example.com"]).json();
    assert_eq!((updated["email"].as_str(), updated["name"].as_str()), (Some("new@example.com"), Some("John Doe")));
    cli.run(&["customer", "create", "--profile", "pro_a", "--merchant-reference-id", "crm-1"]).fails(5, "IR_12");
    cli.run(&["customer", "create", "--profile", "pro_a", "--email", "not-an-email"])
        .fails(3, "IR_05")
        .fails(3, "email");

    let second = cli.customer("pro_a");
    let page = cli.run(&["customer", "list", "--profile", "pro_a", "--limit", "1"]).json();
    assert_eq!(page["customers"][0]["id"], id);
    let next = page["next_starting_after"].as_str().unwrap();
    let page = cli.run(&["customer", "list", "--profile", "pro_a", "--limit", "1", "--starting-after", next]).json();
    assert_eq!(page["customers"][0]["id"].as_str(), Some(second.as_str()));
    assert!(page["next_starting_after"].is_null());

    let pm = cli.card("pro_a", id, &visa(1));
    let deleted = cli.run(&["customer", "delete", "--profile", "pro_a", id]).json();
    assert_eq!(
        (deleted["customer_deleted"].as_bool(), deleted["payment_methods_deleted"].as_u64()),
        (Some(true), Some(1))
    );
    cli.run(&["customer", "get", "--profile", "pro_a", id]).fails(7, "IR_11");
    cli.run(&["pm", "get", "--profile", "pro_a", pm["payment_method_id"].as_str().unwrap()]).fails(4, "HE_02");
    cli.run(&["customer", "get", "--profile", "pro_a", "cus_00000000000000000000000000000000"]).fails(4, "HE_02");
    cli.run(&["customer", "get", "--profile", "pro_a", "nope"]).fails(3, "IR_05");
}

#[test]
fn payment_methods() {
    let cli = Cli::new();
    let customer = cli.customer("pro_a");
    let number = visa(42);
    let created = cli.card("pro_a", &customer, &number);
    let pm = created["payment_method_id"].as_str().unwrap().to_owned();
    assert_eq!(created["duplicate"], false);
    assert_eq!(created["payment_method_data"]["card"]["last4_digits"].as_str(), Some(&number[12..]));
    assert!(!created.to_string().contains(&number));
    assert_eq!(cli.card("pro_a", &customer, &number)["duplicate"], true, "saving the same card again is idempotent");

    // The number may also come as a flag; bad cards are refused with the field.
    let with_flag = cli
        .run(&[
            "pm",
            "create",
            "--profile",
            "pro_a",
            "--customer",
            &customer,
            "--card-number",
            &visa(43),
            "--exp-month",
            "12",
            "--exp-year",
            "2030",
            "--cvc",
            "123",
            "--holder-name",
            "Jane Roe",
            "--network-token",
        ])
        .json();
    assert_eq!(with_flag["network_token"]["status"], "active");
    assert_eq!(with_flag["card_cvc_token_storage"]["is_stored"], true);
    let mut bad = number.clone().into_bytes();
    bad[15] = if bad[15] == b'9' { b'0' } else { bad[15] + 1 };
    let bad = String::from_utf8(bad).unwrap();
    let refused = cli.run_with_stdin(
        &["pm", "create", "--profile", "pro_a", "--customer", &customer, "--exp-month", "03", "--exp-year", "2031"],
        &bad,
    );
    refused.fails(3, "IR_05").fails(3, "card_number");
    assert!(!refused.all().contains(&bad), "a refused card number is not echoed");
    cli.run_with_stdin(
        &["pm", "create", "--profile", "pro_a", "--customer", &customer, "--exp-month", "01", "--exp-year", "2020"],
        &visa(44),
    )
    .fails(3, "CE_05");
    cli.run_with_stdin(
        &[
            "pm",
            "create",
            "--profile",
            "pro_a",
            "--customer",
            "cus_00000000000000000000000000000000",
            "--exp-month",
            "01",
            "--exp-year",
            "2031",
        ],
        &visa(44),
    )
    .fails(4, "HE_02");

    let other = cli.customer("pro_a");
    let debit_volatile = cli
        .run_with_stdin(
            &[
                "pm",
                "create",
                "--profile",
                "pro_a",
                "--customer",
                &other,
                "--exp-month",
                "03",
                "--exp-year",
                "2031",
                "--debit",
                "--volatile",
            ],
            &visa(45),
        )
        .json();
    assert_eq!(
        (&debit_volatile["payment_method_subtype"], &debit_volatile["storage_type"]),
        (&json!("debit"), &json!("volatile"))
    );
    assert!(debit_volatile["expires_at"].is_string(), "a volatile card expires");

    assert_eq!(cli.run(&["pm", "get", "--profile", "pro_a", &pm]).json()["payment_method_id"], pm.as_str());
    let updated = cli
        .run(&[
            "pm",
            "update",
            "--profile",
            "pro_a",
            &pm,
            "--holder-name",
            "joseph",
            "--nick-name",
            "work",
            "--cvc",
            "737",
            "--exp-month",
            "11",
            "--exp-year",
            "2033",
        ])
        .json();
    let card = &updated["payment_method_data"]["card"];
    assert_eq!((card["card_holder_name"].as_str(), card["nick_name"].as_str()), (Some("joseph"), Some("work")));
    assert_eq!((card["expiry_month"].as_str(), card["expiry_year"].as_str()), (Some("11"), Some("2033")));
    cli.run(&["pm", "update", "--profile", "pro_a", &pm, "--exp-month", "13", "--exp-year", "2033"]).fails(3, "IR_05");
    cli.run(&["pm", "update", "--profile", "pro_a", &pm, "--exp-month", "10"])
        .fails(3, "IR_04")
        .fails(3, "card_exp_year");

    let listed = cli.run(&["pm", "list", "--profile", "pro_a", "--customer", &customer]).json();
    assert_eq!(listed["payment_methods"].as_array().unwrap().len(), 2);
    assert!(!listed.to_string().contains(&number));

    // Reveal: refused without the flag, and to a key without the reveal scope.
    let no_flag = cli.run(&["pm", "reveal", "--profile", "pro_a", &pm]);
    assert_eq!(no_flag.code, 2);
    assert!(no_flag.stderr.contains("--yes-show-full-card") && !no_flag.all().contains(&number));
    let reader = cli.api_key("pro_a", "read");
    cli.run(&["pm", "reveal", "--profile", "pro_a", &pm, "--yes-show-full-card", "--api-key", &reader])
        .fails(6, "IR_06");
    let revealer = cli.api_key("pro_a", "read,reveal");
    let revealed =
        cli.run(&["pm", "reveal", "--profile", "pro_a", &pm, "--yes-show-full-card", "--api-key", &revealer]).json();
    assert_eq!(revealed["card_number"].as_str(), Some(number.as_str()));
    cli.run(&["pm", "delete", "--profile", "pro_a", &pm, "--api-key", &reader]).fails(6, "IR_06");

    let deleted = cli.run(&["pm", "delete", "--profile", "pro_a", &pm]).json();
    assert_eq!(deleted["deleted"], true);
    cli.run(&["pm", "get", "--profile", "pro_a", &pm]).fails(4, "HE_02");
    cli.run(&["pm", "delete", "--profile", "pro_a", &pm]).fails(4, "HE_02");
}

/// The CVC can come from stdin, as the card number does, so that neither is left in shell
/// history or the process list.
#[test]
fn the_cvc_comes_from_stdin() {
    let cli = Cli::new();
    let customer = cli.customer("pro_a");
    let create =
        ["pm", "create", "--profile", "pro_a", "--customer", &customer, "--exp-month", "03", "--exp-year", "2031"];
    let with_cvc = [&create[..], &["--cvc-stdin"]].concat();
    let created = cli.run_with_stdin(&with_cvc, &format!("{}\n987\n", visa(51))).json();
    assert_eq!(created["card_cvc_token_storage"]["is_stored"], true);
    let pm = created["payment_method_id"].as_str().unwrap().to_owned();
    let number = visa(52);
    let flagged = [&create[..], &["--card-number", &number, "--cvc-stdin"]].concat();
    let created = cli.run_with_stdin(&flagged, "123\n").json();
    assert_eq!(created["card_cvc_token_storage"]["is_stored"], true, "the first line when the number is a flag");
    let bad = cli.run_with_stdin(&with_cvc, &format!("{}\n98765\n", visa(53)));
    bad.fails(3, "IR_05").fails(3, "card_cvc");
    assert!(!bad.all().contains("98765"), "a refused CVC is not echoed");
    let updated = cli.run_with_stdin(&["pm", "update", "--profile", "pro_a", &pm, "--cvc-stdin"], "321\n").json();
    assert_eq!(updated["card_cvc_token_storage"]["is_stored"], true);
    let both = cli.run_with_stdin(&["pm", "update", "--profile", "pro_a", &pm, "--cvc", "1", "--cvc-stdin"], "321\n");
    assert_eq!(both.code, 2, "the flag and stdin together are a usage error: {}", both.stderr);

    // A CVC piped without --cvc-stdin is not dropped: the create is refused, nothing stored.
    let listed =
        || cli.run(&["pm", "list", "--profile", "pro_a", "--customer", &customer]).json()["payment_methods"].clone();
    let before = listed();
    let extra = cli.run_with_stdin(&create, &format!("{}\n654\n", visa(54)));
    assert_eq!(extra.code, 2, "{}", extra.stderr);
    assert!(extra.stderr.contains("--cvc-stdin") && !extra.all().contains("654"), "{}", extra.stderr);
    let extra = cli.run_with_stdin(&with_cvc, &format!("{}\n654\n655\n", visa(54)));
    assert_eq!(extra.code, 2, "{}", extra.stderr);
    let update = ["pm", "update", "--profile", "pro_a", &pm, "--cvc-stdin"];
    assert_eq!(cli.run_with_stdin(&update, "321\n322\n").code, 2);
    assert_eq!(listed(), before);
    // Blank lines after the last one read are not input.
    let created = cli.run_with_stdin(&with_cvc, &format!("{}\n987\n\n  \n", visa(55))).json();
    assert_eq!(created["card_cvc_token_storage"]["is_stored"], true);

    // A writer that sends its lines and keeps its end open is not waited for.
    let mut child = cli
        .command(&with_cvc)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut writer = child.stdin.take().unwrap();
    std::io::Write::write_all(&mut writer, format!("{}\n987\n", visa(56)).as_bytes()).unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        assert!(std::time::Instant::now() < deadline, "the command waited for stdin to close");
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    let created = Run::from(child.wait_with_output().unwrap()).json();
    assert_eq!(created["card_cvc_token_storage"]["is_stored"], true);
    drop(writer);
}

/// `verify` on a vault whose files were edited by someone holding no key (a card given other
/// last four digits, its checksum computed again): it names the card that no longer opens,
/// fails with the integrity error's exit code and prints no card data; once that card is
/// deleted, the vault verifies clean.
#[test]
fn verify_names_a_card_edited_in_the_files() {
    use strongroom_core::internals::{ClearFieldEdit, column_families, edit_payment_method_record};
    let cli = Cli::new();
    let customer = cli.customer("pro_a");
    let edited = cli.card("pro_a", &customer, &visa(61))["payment_method_id"].as_str().unwrap().to_owned();
    let kept = cli.card("pro_a", &customer, &visa(62))["payment_method_id"].as_str().unwrap().to_owned();
    {
        let db = rocksdb::DB::open_cf(&rocksdb::Options::default(), cli.vault(), column_families()).unwrap();
        let pms = db.cf_handle("payment_methods").unwrap();
        let key = [b"pro_a\0".as_slice(), edited.as_bytes()].concat();
        let stored = db.get_cf(pms, &key).unwrap().unwrap();
        db.put_cf(pms, &key, edit_payment_method_record(&stored, ClearFieldEdit::Last4("0000".into())).unwrap())
            .unwrap();
    }
    let run = cli.run(&["verify"]);
    assert_eq!(run.code, 10, "stdout: {}\nstderr: {}", run.stdout, run.stderr);
    assert!(run.stderr.contains("HE_00"), "{}", run.stderr);
    let report: Value = serde_json::from_str(&run.stdout).unwrap();
    let problems = report["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1, "{report}");
    assert_eq!(problems[0]["location"], format!("payment_methods/{edited}"));
    assert!(problems[0]["detail"].as_str().unwrap().starts_with("card details do not open"), "{report}");
    assert!(!run.all().contains(&visa(61)), "no card number in the output");
    cli.run(&["pm", "get", "--profile", "pro_a", &edited]).fails(10, "HE_00");
    assert_eq!(cli.run(&["pm", "get", "--profile", "pro_a", &kept]).json()["payment_method_id"], kept.as_str());
    cli.run(&["pm", "delete", "--profile", "pro_a", &edited]).json();
    assert_eq!(cli.run(&["verify"]).json()["problems"], json!([]));
}

/// Output shown once (an API key's secret) that cannot be written is an error, not a
/// silent success.
#[test]
fn lost_output_is_an_error() {
    let cli = Cli::new();
    cli.customer("pro_a");
    let full = std::fs::OpenOptions::new().write(true).open("/dev/full").unwrap();
    let run = cli
        .command(&["api-key", "create", "--profile", "pro_a", "--name", "lost", "--scopes", "read"])
        .stdin(std::process::Stdio::null())
        .stdout(full)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(11), "{stderr}");
    assert!(stderr.contains("stdout"), "{stderr}");
}

#[test]
fn logs_never_hold_card_data() {
    let cli = Cli::new();
    let customer = cli.customer("pro_a");
    let number = visa(7);
    let run = cli.run_with_stdin(
        &[
            "-vv",
            "pm",
            "create",
            "--profile",
            "pro_a",
            "--customer",
            &customer,
            "--exp-month",
            "03",
            "--exp-year",
            "2031",
            "--cvc",
            "987",
        ],
        &number,
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stderr.contains("opening vault"), "debug logs are on: {}", run.stderr);
    for secret in [number.as_str(), &number[..8]] {
        assert!(!run.stderr.contains(secret), "log holds {secret}: {}", run.stderr);
    }
}

#[test]
fn stats_verify_purge_backup_audit() {
    let cli = Cli::new();
    let customer = cli.customer("pro_a");
    for i in 0..3 {
        cli.card("pro_a", &customer, &visa(i));
    }
    let stats = cli.run(&["stats"]).json();
    assert_eq!(stats["profiles"], 1);
    assert_eq!(stats["total"]["payment_methods"], 3);
    assert_eq!(stats["total"]["customers"], 1);

    let report = cli.run(&["verify"]).json();
    assert_eq!(report["problems"], Value::Array(vec![]));
    assert!(report["values_opened"].as_u64().unwrap() >= 4);

    let purged = cli.run(&["purge-expired"]).json();
    assert_eq!((purged["payment_methods"].as_u64(), purged["cvcs"].as_u64()), (Some(0), Some(0)));

    let backup = cli.path("backup");
    cli.run(&["backup", backup.to_str().unwrap()]).json();
    let from_backup = cli.run_env(&["stats"], &[("STRONGROOM_VAULT", backup.to_str().unwrap())]).json();
    assert_eq!(from_backup["total"]["payment_methods"], 3);
    cli.run(&["backup", backup.to_str().unwrap()]).fails(3, "IR_05");
    let nowhere = cli.path("no-such-dir").join("backup");
    cli.run(&["backup", nowhere.to_str().unwrap()]).fails(11, "cannot write in");

    let events = cli.run(&["audit", "list", "--profile", "pro_a"]).json();
    let actions: Vec<&str> = events.as_array().unwrap().iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"customer_created") && actions.contains(&"payment_method_created"), "{actions:?}");
    let checked = cli.run(&["audit", "verify", "--profile", "pro_a"]).json();
    assert!(checked["first_bad"].is_null());
    assert_eq!(checked["events"].as_u64(), Some(events.as_array().unwrap().len() as u64));
    cli.run(&["audit", "verify", "--profile", "pro_zz"]).fails(4, "HE_02");
}

#[test]
fn rotate_profile_key_resumes_after_an_interruption() {
    let cli = Cli::new();
    let lines = import_lines(300, 10, 0);
    let file = cli.write("cards.jsonl", &lines);
    cli.run(&["import", "--profile", "pro_a", file.to_str().unwrap()]).json();

    let stopped = cli.run(&["rotate", "--profile", "pro_a", "--stop-after-records", "50"]);
    stopped.fails(130, "run the same `rotate` again to resume");
    let versions = &cli.run(&["stats"]).json()["per_profile"][0]["sealed_values_by_key_version"];
    assert_eq!(versions.as_object().unwrap().len(), 2, "half-way: two key versions in use {versions}");
    cli.run(&["verify"]).json();

    let resumed = cli.run(&["rotate", "--profile", "pro_a"]).json();
    assert_eq!((resumed["resumed"].as_bool(), resumed["active_key_version"].as_u64()), (Some(true), Some(2)));
    let versions = &cli.run(&["stats"]).json()["per_profile"][0]["sealed_values_by_key_version"];
    assert_eq!(versions.as_object().unwrap().keys().collect::<Vec<_>>(), ["2"]);
    let again = cli.run(&["rotate", "--profile", "pro_a"]).json();
    assert_eq!((again["resumed"].as_bool(), again["active_key_version"].as_u64()), (Some(false), Some(3)));
    cli.run(&["verify"]).json();
    cli.run(&["rotate"]).fails(2, "rotate needs");
}

/// A rotation stopped after its last batch, before the old version was retired, is
/// resumed by the next `rotate` (which retires it) rather than followed by another one.
#[test]
fn a_rotation_stopped_after_its_last_batch_is_resumed_not_repeated() {
    let lines = import_lines(120, 10, 0);
    // A twin vault, rotated to the end, says how many records a full run looks at.
    let twin = Cli::new();
    twin.write("cards.jsonl", &lines);
    twin.run(&["import", "--profile", "pro_a", "cards.jsonl"]).json();
    let full = twin.run(&["rotate", "--profile", "pro_a"]);
    let last = full.stderr.lines().rev().find(|l| l.starts_with("rotate: ")).unwrap().to_owned();
    let scanned = last["rotate: ".len()..].split('/').next().unwrap().to_owned();

    let cli = Cli::new();
    cli.write("cards.jsonl", &lines);
    cli.run(&["import", "--profile", "pro_a", "cards.jsonl"]).json();
    cli.run(&["rotate", "--profile", "pro_a", "--stop-after-records", &scanned])
        .fails(130, "run the same `rotate` again to resume");
    let versions = &cli.run(&["stats"]).json()["per_profile"][0]["sealed_values_by_key_version"];
    assert_eq!(versions.as_object().unwrap().keys().collect::<Vec<_>>(), ["2"], "every value moved: {last}");
    let resumed = cli.run(&["rotate", "--profile", "pro_a"]).json();
    assert_eq!((resumed["resumed"].as_bool(), resumed["active_key_version"].as_u64()), (Some(true), Some(2)));
    assert_eq!(resumed["retired_versions"], json!([1]));
}

/// A master key rotation that stopped half-way leaves profiles needing both keys: the
/// vault opens with the new key and the previous one (to verify and fix), not with the
/// new one alone; the same `rotate` then finishes, and the new key alone opens it.
#[test]
fn a_half_done_master_key_rotation_opens_with_both_keys() {
    let cli = Cli::new();
    cli.run(&["profile", "create", "pro_b", "--merchant-id", "m"]).json();
    cli.write("a.jsonl", &import_lines(60, 10, 0));
    cli.write("b.jsonl", &import_lines(60, 10, 100));
    cli.run(&["import", "--profile", "pro_a", "a.jsonl"]).json();
    cli.run(&["import", "--profile", "pro_b", "b.jsonl"]).json();
    let new_key = cli.write("new.key", KEY_B);
    let old_key = cli.write("old.key", KEY_A);
    let rotate = ["rotate", "--new-master-key-file", new_key.to_str().unwrap(), "--new-key-id", "k2"];
    let stopped = cli.run(&[rotate.as_slice(), &["--stop-after-records", "20"]].concat());
    stopped.fails(130, "run the same `rotate` again to resume");

    let with_new = [("STRONGROOM_MASTER_KEY", KEY_B), ("STRONGROOM_MASTER_KEY_ID", "k2")];
    assert_eq!(cli.run_env(&["stats"], &with_new).code, 9, "the new key alone does not open it yet");
    let both = cli.run_env(&["verify", "--previous-master-key-file", old_key.to_str().unwrap()], &with_new);
    assert_eq!(both.code, 0, "{}", both.stderr);

    let done = cli.run(&rotate).json();
    assert!(done["note"].as_str().unwrap().contains("`k2`"), "{done}");
    assert_eq!(cli.run_env(&["stats"], &with_new).json()["total"]["payment_methods"], 120);
}

#[test]
fn ctrl_c_during_rotation_leaves_a_resumable_vault() {
    use std::io::BufRead;
    let cli = Cli::new();
    cli.write("cards.jsonl", &import_lines(400, 20, 0));
    cli.run(&["import", "--profile", "pro_a", "cards.jsonl"]).json();
    let mut child = cli
        .command(&["rotate", "--profile", "pro_a", "--pause-after-records", "100"])
        .stdin(std::process::Stdio::null())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let mut stderr = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut seen = String::new();
    loop {
        let mut line = String::new();
        assert!(stderr.read_line(&mut line).unwrap() > 0, "ended before pausing: {seen}");
        seen.push_str(&line);
        if line.contains("paused at") {
            break;
        }
    }
    // A real SIGINT, as Ctrl-C sends it.
    let killed = std::process::Command::new("kill").args(["-INT", &child.id().to_string()]).status().unwrap();
    assert!(killed.success());
    let mut rest = String::new();
    std::io::Read::read_to_string(&mut stderr, &mut rest).unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(130), "{seen}{rest}");
    assert!(rest.contains("run the same `rotate` again to resume"), "{rest}");

    cli.run(&["verify"]).json();
    let resumed = cli.run(&["rotate", "--profile", "pro_a"]).json();
    assert_eq!((resumed["resumed"].as_bool(), resumed["active_key_version"].as_u64()), (Some(true), Some(2)));
    let versions = &cli.run(&["stats"]).json()["per_profile"][0]["sealed_values_by_key_version"];
    assert_eq!(versions.as_object().unwrap().keys().collect::<Vec<_>>(), ["2"]);
}

#[test]
fn rotate_master_key() {
    let cli = Cli::new();
    let customer = cli.customer("pro_a");
    let number = visa(9);
    let pm = cli.card("pro_a", &customer, &number)["payment_method_id"].as_str().unwrap().to_owned();
    let new_key = cli.write("new.key", KEY_B);
    let rotated = cli.run(&["rotate", "--new-master-key-file", new_key.to_str().unwrap(), "--new-key-id", "k2"]).json();
    assert_eq!(rotated["rotated_profiles"][0]["profile_id"], "pro_a");

    let with_b = [("STRONGROOM_MASTER_KEY", KEY_B), ("STRONGROOM_MASTER_KEY_ID", "k2")];
    let revealed = cli.run_env(&["pm", "reveal", "--profile", "pro_a", &pm, "--yes-show-full-card"], &with_b).json();
    assert_eq!(revealed["card_number"].as_str(), Some(number.as_str()));
    cli.run_env(&["verify"], &with_b).json();
    assert_eq!(cli.run(&["stats"]).code, 9, "the old key alone no longer opens the vault");
}

#[test]
fn import_reports_bad_lines_and_is_idempotent() {
    let cli = Cli::new();
    let existing = cli.customer("pro_a");
    let hidden = visa(77);
    let good = [
        format!(
            "{{\"customer_id\":\"{existing}\",\"card_number\":\"{}\",\"card_exp_month\":\"01\",\"card_exp_year\":\"2031\",\"card_holder_name\":\"Ann\",\"nick_name\":\"n\",\"metadata\":{{\"k\":\"v\"}}}}",
            visa(1)
        ),
        format!(
            "{{\"customer_reference\":\"crm-7\",\"card_number\":\"{}\",\"card_exp_month\":\"02\",\"card_exp_year\":\"2032\"}}",
            visa(2)
        ),
        format!(
            "{{\"customer_reference\":\"crm-7\",\"card_number\":\"{}\",\"card_exp_month\":\"02\",\"card_exp_year\":\"2032\"}}",
            visa(3)
        ),
    ];
    let bad = [
        "this is not json".to_owned(),
        format!(
            "{{\"customer_id\":\"{existing}\",\"card_number\":\"4111111111111112\",\"card_exp_month\":\"01\",\"card_exp_year\":\"2031\"}}"
        ),
        format!(
            "{{\"customer_id\":\"{existing}\",\"card_number\":\"{}\",\"card_exp_month\":\"01\",\"card_exp_year\":\"2019\"}}",
            visa(4)
        ),
        format!("{{\"card_number\":\"{}\",\"card_exp_month\":\"01\",\"card_exp_year\":\"2031\"}}", visa(5)),
        format!(
            "{{\"customer_id\":\"cus_00000000000000000000000000000000\",\"card_number\":\"{}\",\"card_exp_month\":\"01\",\"card_exp_year\":\"2031\"}}",
            visa(6)
        ),
        format!(
            "{{\"customer_id\":\"{existing}\",\"card_number\":\"{}\",\"card_exp_month\":\"01\",\"card_exp_year\":\"2031\",\"pan\":\"{hidden}\"}}",
            visa(8)
        ),
        // A new customer's reference with a card the vault refuses: no customer is made.
        format!(
            "{{\"customer_reference\":\"crm-refused\",\"card_number\":\"{}\",\"card_exp_month\":\"13\",\"card_exp_year\":\"2031\"}}",
            visa(9)
        ),
        // The card number as the new customer's reference, which is kept in clear: refused,
        // and no customer is made.
        format!(
            "{{\"customer_reference\":\"crm-{}\",\"card_number\":\"{}\",\"card_exp_month\":\"01\",\"card_exp_year\":\"2031\"}}",
            visa(10),
            visa(10)
        ),
    ];
    // good, blank, bad, good, bad…: line numbers count blank lines.
    let text = format!(
        "{}\n\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n{}\n",
        good[0], bad[0], bad[1], good[1], bad[2], bad[3], good[2], bad[4], bad[5], bad[6], bad[7]
    );
    let file = cli.write("in.jsonl", &text);
    let run = cli.run(&["import", "--profile", "pro_a", file.to_str().unwrap()]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    let summary: Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!((summary["imported"].as_u64(), summary["rejected"].as_u64()), (Some(3), Some(8)));
    assert_eq!(summary["customers_created"], 1, "only crm-7's");
    let errors: Vec<(u64, &str, Option<&str>)> = summary["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["line"].as_u64().unwrap(), e["code"].as_str().unwrap(), e["field"].as_str()))
        .collect();
    assert_eq!(
        errors,
        [
            (3, "IR_05", None),
            (4, "IR_05", Some("card_number")),
            (6, "CE_05", Some("card_exp_year")),
            (7, "IR_04", Some("customer_id")),
            (9, "HE_02", Some("customer_id")),
            (10, "IR_05", None),
            (11, "IR_05", Some("card_exp_month")),
            (12, "IR_05", Some("customer_reference")),
        ]
    );
    assert!(run.stderr.contains("line 4: IR_05 (card_number)"), "{}", run.stderr);
    for number in ["4111111111111112", hidden.as_str(), &visa(1), &visa(4), &visa(10)] {
        assert!(!run.all().contains(number), "output echoes a card number");
    }

    // Again: nothing new, the good lines are recognised.
    let again = cli.run(&["import", "--profile", "pro_a", file.to_str().unwrap()]);
    let summary: Value = serde_json::from_str(&again.stdout).unwrap();
    assert_eq!((summary["imported"].as_u64(), summary["duplicates"].as_u64()), (Some(0), Some(3)));
    assert_eq!(summary["customers_created"], 0);
    assert_eq!(cli.run(&["stats"]).json()["total"]["payment_methods"], 3);

    // A key that may not write stops the import at its first line, with that error's exit
    // code (not as a rejected line each).
    let reader = cli.api_key("pro_a", "read");
    let forbidden =
        cli.run_with_stdin(&["import", "--profile", "pro_a", "--api-key", &reader, "-"], &import_lines(3, 3, 200));
    forbidden.fails(6, "IR_06").fails(6, "stopped at line 1");

    // From stdin, all good: exit 0.
    let ok = cli.run_with_stdin(&["import", "--profile", "pro_a", "-"], &import_lines(5, 5, 100)).json();
    assert_eq!(ok["imported"], 5);
    cli.run(&["import", "--profile", "pro_a", cli.path("missing.jsonl").to_str().unwrap()]).fails(11, "missing.jsonl");
}

/// A masked export is the masked view without the holder name, which is card data and
/// leaves the vault only sealed.
#[test]
fn a_masked_export_leaves_the_holder_name_out() {
    let cli = Cli::new();
    let line = format!(
        "{{\"customer_reference\":\"ref-h\",\"card_number\":\"{}\",\"card_exp_month\":\"04\",\"card_exp_year\":\"2032\",\"card_holder_name\":\"Ada Lovelace\",\"nick_name\":\"travel\"}}\n",
        visa(3)
    );
    cli.write("one.jsonl", &line);
    assert_eq!(cli.run(&["import", "--profile", "pro_a", "one.jsonl"]).json()["imported"], 1);
    cli.run(&["export", "--profile", "pro_a", "masked.jsonl"]).json();
    let text = std::fs::read_to_string(cli.path("masked.jsonl")).unwrap();
    assert!(!text.contains("Ada Lovelace"), "{text}");
    let exported: Value = serde_json::from_str(text.trim()).unwrap();
    let card = &exported["payment_method_data"]["card"];
    assert_eq!((card["nick_name"].as_str(), card.get("card_holder_name")), (Some("travel"), None));
}

#[test]
fn export_masked_or_sealed_and_import_elsewhere() {
    let source = Cli::new();
    let count = 25;
    source.write("cards.jsonl", &import_lines(count, 5, 0));
    source.run(&["import", "--profile", "pro_a", "cards.jsonl"]).json();

    // Masked: no card numbers.
    let masked = source.run(&["export", "--profile", "pro_a", "masked.jsonl"]).json();
    assert_eq!((masked["exported"].as_u64(), masked["card_data"].as_str()), (Some(count), Some("masked")));
    let text = std::fs::read_to_string(source.path("masked.jsonl")).unwrap();
    assert_eq!(text.lines().count() as u64, count);
    for i in 0..count {
        assert!(!text.contains(&visa(i)));
    }
    assert_eq!(source.run(&["export", "--profile", "pro_a", "masked.jsonl"]).code, 11, "never overwrites");

    // The receiving side makes a key pair; the identity file is private.
    let target = Cli::new();
    let made = target.run(&["transfer-key", "id.key"]).json();
    let recipient = made["recipient"].as_str().unwrap().to_owned();
    let identity = target.path("id.key");
    use std::os::unix::fs::PermissionsExt;
    assert_eq!(std::fs::metadata(&identity).unwrap().permissions().mode() & 0o777, 0o600);

    // Card data needs a recipient and the reveal right.
    assert_eq!(source.run(&["export", "--profile", "pro_a", "x.sealed", "--include-card-data"]).code, 2);
    let reader = source.api_key("pro_a", "read");
    source
        .run(&[
            "export",
            "--profile",
            "pro_a",
            "y.sealed",
            "--include-card-data",
            "--recipient",
            &recipient,
            "--api-key",
            &reader,
        ])
        .fails(6, "IR_06");
    assert!(!source.path("y.sealed").exists(), "no file when refused");
    source
        .run(&["export", "--profile", "pro_a", "z.sealed", "--include-card-data", "--recipient", "age1abc"])
        .fails(2, "recipient");

    let sealed = source
        .run(&["export", "--profile", "pro_a", "cards.sealed", "--include-card-data", "--recipient", &recipient])
        .json();
    assert_eq!(sealed["exported"].as_u64(), Some(count));
    let sealed_path = source.path("cards.sealed");
    for i in 0..count {
        assert!(!contains(&sealed_path, visa(i).as_bytes()), "a card number in the sealed file");
    }
    assert!(!contains(&sealed_path, b"ref-0"));

    // Into another vault: customers come back by reference, cards reveal the same.
    let sealed_arg = sealed_path.to_str().unwrap();
    target.run(&["import", "--profile", "pro_a", sealed_arg]).fails(2, "--identity");
    let stranger = Cli::new();
    stranger.run(&["transfer-key", "other.key"]).json();
    stranger.run(&["import", "--profile", "pro_a", sealed_arg, "--identity", "other.key"]).fails(11, "does not open");
    let imported = target.run(&["import", "--profile", "pro_a", sealed_arg, "--identity", "id.key"]).json();
    assert_eq!((imported["imported"].as_u64(), imported["customers_created"].as_u64()), (Some(count), Some(5)));
    let customers = target.run(&["customer", "list", "--profile", "pro_a", "--limit", "100"]).json();
    let refs: Vec<&str> = customers["customers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["merchant_reference_id"].as_str().unwrap())
        .collect();
    assert_eq!(refs, ["ref-0", "ref-1", "ref-2", "ref-3", "ref-4"]);
    let first = customers["customers"][0]["id"].as_str().unwrap();
    let listed = target.run(&["pm", "list", "--profile", "pro_a", "--customer", first]).json();
    let pm = listed["payment_methods"][0]["payment_method_id"].as_str().unwrap();
    let revealed = target.run(&["pm", "reveal", "--profile", "pro_a", pm, "--yes-show-full-card"]).json();
    assert!((0..5).map(visa).any(|n| revealed["card_number"].as_str() == Some(n.as_str())));
    let again = target.run(&["import", "--profile", "pro_a", sealed_arg, "--identity", "id.key"]).json();
    assert_eq!(again["duplicates"].as_u64(), Some(count));
}

#[test]
fn demo_runs_the_seed_flow() {
    let cli = Cli::empty();
    let mut command = cli.command(&["demo"]);
    command.env_remove("STRONGROOM_VAULT").env_remove("STRONGROOM_MASTER_KEY");
    let output = command.output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(output.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&output.stderr));
    for step in [
        "== 1. create profile",
        "== 3. create customer",
        "== 4. create card payment method with a network token",
        "== 5. retrieve (masked)",
        "== 6. update holder name, nick name, CVC",
        "== 7. list",
        "== 8. reveal",
        "== 9. delete",
    ] {
        assert!(stdout.contains(step), "missing {step}");
    }
    assert!(stdout.contains("\"error_code\": \"IR_06\""), "the merchant's key may not reveal");
    assert!(stdout.contains("\"error_code\": \"HE_02\""), "gone after delete");
    // The full test number appears once: in the reveal by the processor's key.
    assert_eq!(stdout.matches("4111111111111111").count(), 1, "{stdout}");
    // And on a vault directory of the user's.
    let run = cli.run(&["demo"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(cli.run(&["stats"]).json()["total"]["audit_events"].as_u64().unwrap() > 0);
}
