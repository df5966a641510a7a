//! Bad input to `dialtone-cli` gets a one-line reason that says what to do, and exit status 1;
//! nothing is sent anywhere.

use std::process::Command;

use dialtone_tests::{ArtifactDir, DialtoneCli, Kamailio, KamailioOptions, Netns};

fn run(dir: &ArtifactDir, args: &[&str], password: Option<&str>) -> (i32, String) {
    let profile = dir.subdir("profile").display().to_string();
    let mut command = Command::new(DialtoneCli::binary_path());
    command
        .args(["--profile", &profile])
        .args(args)
        .env_remove("DIALTONE_PASSWORD");
    if let Some(password) = password {
        command.env("DIALTONE_PASSWORD", password);
    }
    let output = command.output().expect("dialtone-cli runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn bad_account_input_gets_a_reason_that_says_what_to_do() {
    let dir = ArtifactDir::new("bad_account_input_gets_a_reason_that_says_what_to_do");
    let cases: &[(&[&str], Option<&str>, &str)] = &[
        (&["register"], Some("pw"), "--user"),
        (
            &["--user", "1000", "register"],
            Some("pw"),
            "--registrar sip:HOST",
        ),
        (
            &[
                "--user",
                "1000",
                "--registrar",
                "sip:pbx.example.com",
                "register",
            ],
            None,
            "DIALTONE_PASSWORD",
        ),
        (
            &["--user", "1000", "--registrar", "sip:bad host", "register"],
            Some("pw"),
            "sip:HOST:PORT",
        ),
        (
            &["--user", "1000", "--registrar", "sip:pbx:70000", "register"],
            Some("pw"),
            "sip:HOST:PORT",
        ),
        (
            &["--user", "1000@pbx", "--registrar", "sip:pbx", "register"],
            Some("pw"),
            "without '@'",
        ),
        (
            &[
                "--user",
                "1000",
                "--registrar",
                "sip:pbx",
                "--transport",
                "sctp",
                "register",
            ],
            Some("pw"),
            "udp, tcp, tls, ws, wss",
        ),
        (
            &[
                "--user",
                "1000",
                "--registrar",
                "sip:pbx",
                "--transport",
                "ws",
                "--ws-url",
                "wss://pbx/ws",
                "register",
            ],
            Some("pw"),
            "ws://",
        ),
        (
            &[
                "--user",
                "1000",
                "--registrar",
                "sip:pbx",
                "--transport",
                "tls",
                "--tls-pin",
                "AB:CD",
                "register",
            ],
            Some("pw"),
            "SHA-256",
        ),
    ];
    for (args, password, hint) in cases {
        let (code, stderr) = run(&dir, args, *password);
        assert_eq!(code, 1, "{args:?}: {stderr}");
        assert_eq!(stderr.lines().count(), 1, "one line: {stderr}");
        assert!(
            stderr.starts_with("dialtone-cli: ") && stderr.contains(hint),
            "{args:?} should mention {hint:?}: {stderr}"
        );
    }
}

#[test]
fn the_password_is_never_written_to_the_log() {
    let _netns = Netns::enter();
    let dir = ArtifactDir::new("the_password_is_never_written_to_the_log");
    let users = vec![("1000".to_owned(), "s3cretPa55wordNeverLogged".to_owned())];
    let _kam = Kamailio::start(
        &dir.subdir("kamailio"),
        KamailioOptions {
            users,
            ..KamailioOptions::default()
        },
    )
    .expect("kamailio starts");
    let args = [
        "--log-level",
        "trace",
        "--user",
        "1000",
        "--registrar",
        "sip:127.0.0.1",
        "register",
        "--for",
        "1",
    ];
    let (code, stderr) = run(&dir, &args, Some("s3cretPa55wordNeverLogged"));
    assert_eq!(code, 0, "registered and unregistered: {stderr}");
    let log = std::fs::read_to_string(dir.subdir("profile").join("logs").join("dialtone-cli.log"))
        .expect("a log file is written");
    assert!(log.contains("registered"), "the log says what happened");
    assert!(
        !log.contains("s3cretPa55wordNeverLogged"),
        "the password leaked into the log"
    );
}
