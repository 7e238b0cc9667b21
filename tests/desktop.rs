//! The desktop app, end to end: the real `account-settings` window under Xvfb, driven
//! through tauri-driver and WebKitWebDriver, against the real `account-server` binary
//! with the demo organization. Native notifications and the tray are read on the
//! session bus. See `tests/support/desktop.rs` for the harness.
//!
//! Each journey takes a screenshot: into `docs/screenshots/<journey>.png` with
//! `UPDATE_SCREENSHOTS=1` (the README's pictures, renewed on purpose), else into the
//! target's tmp folder, so a test run leaves the clone as it was. On failure the
//! message carries the app's log and a screenshot in the target's tmp folder.
//!
//! Needs (all in `make deps`): the app built (`cargo build -p account-desktop`), Xvfb,
//! dbus (dbus-run-session, dbus-monitor, dbus-send), keyutils, webkit2gtk-driver,
//! tauri-driver, ImageMagick. The journeys run one at a time (each window is a WebKit
//! of ~250 MB on a 2-core machine).

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use account_model::i18n::Message;
use account_model::{Currency, Language};
use account_server::seed::{DEMO_BALANCE_MINOR, DEMO_PASSWORD, DEMO_THRESHOLD_MINOR};
use account_settings_e2e::api::Api;
use account_settings_e2e::desktop::sign_in;
use account_settings_e2e::desktop::{
    AxeRule, Desktop, Theme, UI_TIMEOUT, app_binary, descendants, parse_menu_labels,
    parse_notify_calls, png_rgba, start_xvfb, wait_exit,
};
use account_settings_e2e::{Server, latest_code};
use anyhow::{Context as _, bail, ensure};
use serde_json::{Value, json};

/// One journey at a time.
static TURN: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

const OWNER: &str = "owner@demo.example";
const BILLING: &str = "billing@demo.example";
const MEMBER: &str = "member@demo.example";

fn screenshot_path(name: &str) -> PathBuf {
    let folder = if std::env::var("UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("docs/screenshots")
    } else {
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("screenshots")
    };
    folder.join(format!("{name}.png"))
}

/// A server with the demo organization and the app pointed at it, each with its own
/// data folder.
struct Journey {
    name: &'static str,
    started: Instant,
    server: Option<Server>,
    server_data: tempfile::TempDir,
    /// The app's data folder, kept for the journey's whole life (restarts reuse it).
    app_data: tempfile::TempDir,
    desktop: Desktop,
    api: Api,
}

impl Journey {
    async fn start(name: &'static str) -> anyhow::Result<Self> {
        let started = Instant::now();
        let server_data = tempfile::tempdir()?;
        let server = Server::start(server_data.path()).context("the server starts")?;
        let app_data = tempfile::tempdir()?;
        let mut desktop = Desktop::start(app_data.path(), &server.base).await?;
        desktop.open_app().await?;
        Ok(Self {
            name,
            started,
            api: Api::new(&server.base),
            server: Some(server),
            server_data,
            app_data,
            desktop,
        })
    }

    fn server(&self) -> anyhow::Result<&Server> {
        self.server.as_ref().context("the server is stopped")
    }

    /// Ends everything; on failure panics with the error, the app's log, the bus
    /// capture and a screenshot.
    async fn finish(self, outcome: anyhow::Result<()>) {
        let elapsed = self.started.elapsed();
        match outcome {
            Ok(()) => {
                let closed = self.desktop.shutdown().await;
                eprintln!("journey {}: passed in {elapsed:.1?}", self.name);
                if let Err(e) = closed {
                    panic!(
                        "journey {} passed but did not end cleanly: {e:#}",
                        self.name
                    );
                }
            }
            Err(e) => {
                let shot = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
                    .join(format!("desktop-{}-failure.png", self.name));
                let shot_note = match self.desktop.screenshot(&shot).await {
                    Ok(()) => format!("screenshot: {}", shot.display()),
                    Err(e) => format!("no screenshot: {e:#}"),
                };
                let log = self.desktop.log_tail(60);
                let bus = self.desktop.notification_capture();
                let server_printed = self
                    .server
                    .as_ref()
                    .map(|s| s.printed.join("\n"))
                    .unwrap_or_default();
                // End the processes before the panic unwinds through the test.
                drop(self.desktop);
                panic!(
                    "journey {} failed after {elapsed:.1?}: {e:#}\n{shot_note}\n\
                     --- app / tauri-driver log (last lines) ---\n{log}\n\
                     --- notifications bus capture ---\n{}\n\
                     --- server output read so far ---\n{server_printed}",
                    self.name,
                    bus.chars().take(4000).collect::<String>()
                );
            }
        }
    }
}

async fn run<F>(name: &'static str, body: F)
where
    F: AsyncFnOnce(&mut Journey) -> anyhow::Result<()>,
{
    let _turn = TURN.lock().await;
    let mut journey = match Journey::start(name).await {
        Ok(j) => j,
        Err(e) => panic!("journey {name} could not start: {e:#}"),
    };
    let outcome = body(&mut journey).await;
    journey.finish(outcome).await;
}

// ---------------------------------------------------------------------- steps

/// A sign-in waiting on a server that never answers holds no lock the other commands
/// need: `app_state` answers at once meanwhile (it used to wait for the sign-in's
/// network call). The silent server then hangs up, and the sign-in fails as offline.
async fn other_commands_answer_while_a_sign_in_waits_on_its_server(
    d: &Desktop,
) -> anyhow::Result<()> {
    let silent = std::net::TcpListener::bind("127.0.0.1:0")?;
    let address = format!("http://{}", silent.local_addr()?);
    let (accepted_tx, accepted) = std::sync::mpsc::channel();
    let (hang_up, hung_up) = std::sync::mpsc::channel::<()>();
    let holder = std::thread::spawn(move || {
        // Accept and hold the connection without a word, until told to hang up.
        if let Ok((connection, _)) = silent.accept() {
            let _ = accepted_tx.send(());
            let _ = hung_up.recv_timeout(Duration::from_secs(60));
            drop(connection);
        }
    });
    d.fill("#signin-server", &address).await?;
    d.fill("#signin-email", OWNER).await?;
    d.fill("#signin-password", DEMO_PASSWORD).await?;
    d.click("#signin-submit").await?;
    accepted
        .recv_timeout(Duration::from_secs(10))
        .context("the sign-in reached the silent server")?;
    let waited_ms = d
        .client()?
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const started = performance.now();
             window.__TAURI__.core.invoke('app_state')
               .then(() => done(performance.now() - started), () => done(-1));",
            vec![],
        )
        .await
        .context("app_state during the sign-in")?
        .as_f64()
        .unwrap_or(-1.0);
    ensure!(
        (0.0..2_000.0).contains(&waited_ms),
        "app_state took {waited_ms} ms while a sign-in waited on its server"
    );
    let _ = hang_up.send(());
    let _ = holder.join();
    d.wait_js(
        "the sign-in to the silent server to give up",
        "return document.getElementById('signin-submit').getAttribute('aria-busy') !== 'true' \
         && document.getElementById('signin-error').dataset.state === 'error'",
        Duration::from_secs(30),
    )
    .await?;
    Ok(())
}

async fn sign_out(d: &Desktop) -> anyhow::Result<()> {
    d.click("#signout").await?;
    d.el("#signin-email")
        .await
        .context("the sign-in screen after signing out")?;
    ensure!(
        !d.is_shown("#settings").await?,
        "the settings are still shown"
    );
    Ok(())
}

/// A catalog of `ui/i18n/<lang>.js` (`export default { …JSON… };`).
fn catalog(lang: &str) -> anyhow::Result<serde_json::Map<String, Value>> {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("ui/i18n/{lang}.js"));
    let text = std::fs::read_to_string(&path).with_context(|| path.display().to_string())?;
    let json = text
        .trim()
        .strip_prefix("export default ")
        .and_then(|t| t.strip_suffix(';'))
        .with_context(|| format!("{} is not `export default {{…}};`", path.display()))?;
    serde_json::from_str(json).with_context(|| format!("{} is not JSON", path.display()))
}

fn catalog_text(lang: &str, key: &str) -> anyhow::Result<String> {
    catalog(lang)?
        .get(key)
        .and_then(Value::as_str)
        .map(str::to_owned)
        .with_context(|| format!("no {key} in the {lang} catalog"))
}

fn channels(v: &Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

/// Requests an email or phone change (`kind` names the form's ids), then checks that a
/// wrong code is refused with the catalog's words and marks the field invalid, and
/// confirms with the code the server sent to `target`.
async fn change_with_code(
    d: &Desktop,
    server: &Server,
    kind: &str,
    target_field: &str,
    target: &str,
    password: &str,
) -> anyhow::Result<()> {
    let status_id = format!("#{kind}-status");
    d.fill(target_field, target).await?;
    d.fill(&format!("#{kind}-password"), password).await?;
    let status = d.submit(&format!("#{kind}-submit"), &status_id).await?;
    ensure!(status.state == "ok", "{kind} change request: {status:?}");
    let code_field = format!("#{kind}-code");
    d.el(&code_field).await?;
    let code = latest_code(&server.cli(&["outbox", "--to", target])?)
        .with_context(|| format!("no code in the outbox for {target}"))?;
    let wrong = if code == "000000" { "111111" } else { "000000" };
    d.fill(&code_field, wrong).await?;
    let submit_code = format!("#{kind}-code-submit");
    let status = d.submit(&submit_code, &status_id).await?;
    ensure!(
        status.state == "error"
            && status
                .text
                .starts_with(&catalog_text("en", "error.code_invalid")?),
        "a wrong {kind} code must be refused: {status:?}"
    );
    ensure!(
        d.js(&format!(
            "return document.getElementById('{kind}-code').getAttribute('aria-invalid')"
        ))
        .await?
            == "true",
        "the {kind} code field is marked invalid"
    );
    d.fill(&code_field, &code).await?;
    let status = d.submit(&submit_code, &status_id).await?;
    ensure!(status.state == "ok", "{kind} code: {status:?}");
    Ok(())
}

/// Polls the server's view of the owner's account until `pred` holds.
async fn wait_server_account(
    api: &Api,
    email: &str,
    password: &str,
    what: &str,
    timeout: Duration,
    pred: impl Fn(&Value) -> bool,
) -> anyhow::Result<Value> {
    let deadline = Instant::now() + timeout;
    let mut token: Option<String> = None;
    let mut last = String::new();
    loop {
        if token.is_none() {
            match api.sign_in(email, password).await {
                Ok(t) => token = Some(t),
                Err(e) => last = format!("{e:#}"),
            }
        }
        if let Some(t) = &token {
            match api.account(t).await {
                Ok(account) if pred(&account) => return Ok(account),
                Ok(account) => last = account.to_string(),
                Err(e) => last = format!("{e:#}"),
            }
        }
        if Instant::now() >= deadline {
            bail!("waited {timeout:?} for the server to have {what}; last: {last}");
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
}

// ---------------------------------------------------------------------- journeys

/// Sign in; change the password (the old one stops working); change the email and the
/// phone with the codes the server sent, after a wrong code is refused.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn account_password_email_and_phone() {
    run("account", async |j: &mut Journey| {
        let d = &j.desktop;
        let server = j.server()?;
        ensure!(
            d.value("#signin-server").await? == server.base,
            "the sign-in screen offers ACCOUNT_SETTINGS_SERVER"
        );
        other_commands_answer_while_a_sign_in_waits_on_its_server(d).await?;
        d.fill("#signin-server", &server.base).await?;
        sign_in(d, OWNER, DEMO_PASSWORD).await?;
        d.wait_text("#page-title", "show the English title", |t| {
            t == catalog_text("en", "app.title").unwrap_or_default()
        })
        .await?;
        ensure!(d.text("#user-name").await? == "Olivia Ortega");
        ensure!(d.text("#balance").await? == "€60.00", "the demo balance");

        // Password: strong words around her own surname score high yet are refused,
        // and the meter names the reason while she types.
        d.fill("#pw-new", "Ortega juniper falcon orbit lantern")
            .await?;
        let personal = catalog_text("en", "error.password_contains_personal_info")?;
        d.wait_text("#pw-strength-text", "name the personal-info reason", |t| {
            t.ends_with(&personal)
        })
        .await?;
        ensure!(
            d.js("return document.querySelector('[data-rule=personal]').dataset.state")
                .await?
                == "unmet",
            "the personal-info rule is marked unmet"
        );
        let new_password = "Juniper falcon orbit 7261";
        d.fill("#pw-current", DEMO_PASSWORD).await?;
        d.fill("#pw-new", new_password).await?;
        d.fill("#pw-repeat", new_password).await?;
        let status = d.submit("#pw-submit", "#pw-status").await?;
        ensure!(status.state == "ok", "password change: {status:?}");

        sign_out(d).await?;
        d.fill("#signin-email", OWNER).await?;
        d.fill("#signin-password", DEMO_PASSWORD).await?;
        let refused = d.submit("#signin-submit", "#signin-error").await?;
        ensure!(
            refused.state == "error"
                && refused.text == catalog_text("en", "error.invalid_credentials")?,
            "the old password must be refused with the catalog's words: {refused:?}"
        );
        ensure!(!d.is_shown("#settings").await?);
        sign_in(d, OWNER, new_password).await?;

        // Email: a wrong code is refused, the one sent to the new address confirms.
        let new_email = "olivia.ortega@demo.example";
        change_with_code(d, server, "email", "#email-new", new_email, new_password).await?;
        d.wait_text("#user-email", "show the new address", |t| t == new_email)
            .await?;
        let token = j.api.sign_in(new_email, new_password).await?;
        ensure!(j.api.account(&token).await?["email"] == new_email);

        // Phone: same, with the SMS code.
        let new_phone = "+34612345678";
        change_with_code(d, server, "phone", "#phone-number", new_phone, new_password).await?;
        d.wait_text("#user-phone", "show the new number", |t| {
            t.chars().filter(char::is_ascii_digit).collect::<String>() == "34612345678"
        })
        .await?;
        ensure!(j.api.account(&token).await?["phone"] == new_phone);

        d.scroll_to(Some("#email-section")).await?;
        d.screenshot(&screenshot_path("account")).await
    })
    .await;
}

/// Switching to Spanish re-renders the page; country and time zone are saved and
/// shown again after the app restarts.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn language_and_region_survive_a_restart() {
    run("language-region", async |j: &mut Journey| {
        let (en_title, es_title) = (
            catalog_text("en", "app.title")?,
            catalog_text("es", "app.title")?,
        );
        ensure!(en_title != es_title);
        sign_in(&j.desktop, OWNER, DEMO_PASSWORD).await?;
        let d = &j.desktop;
        ensure!(d.text("#page-title").await? == en_title);

        d.choose("#pref-language", "es").await?;
        ensure!(
            d.text("#page-title").await? == en_title,
            "choosing a language must not re-render before saving"
        );
        d.click("#region-save").await?;
        d.wait_text("#page-title", "show the Spanish title", |t| t == es_title)
            .await?;
        ensure!(d.js("return document.documentElement.lang").await? == "es");

        d.choose("#pref-country", "PT").await?;
        d.fill("#pref-timezone-search", "Lisbon").await?;
        ensure!(
            d.value("#pref-timezone").await? == "Europe/Lisbon",
            "the time-zone search picks its match"
        );
        let status = d.submit("#region-save", "#region-status").await?;
        ensure!(status.state == "ok", "saving the region: {status:?}");
        ensure!(
            status.text.contains(&catalog_text("es", "common.saved")?),
            "the status is in Spanish: {status:?}"
        );
        wait_server_account(
            &j.api,
            OWNER,
            DEMO_PASSWORD,
            "language es, country PT, Europe/Lisbon",
            Duration::from_secs(10),
            |a| a["language"] == "es" && a["country"] == "PT" && a["timeZone"] == "Europe/Lisbon",
        )
        .await?;

        let embedded = |d: &Desktop| {
            d.log_tail(usize::MAX)
                .matches("starting data embedded in the page")
                .count()
        };
        let embedded_before = embedded(&j.desktop);
        j.desktop.restart_app().await?;
        let d = &j.desktop;
        d.el("#settings")
            .await
            .context("signed in from the keyring after a restart")?;
        d.wait_text("#page-title", "stay Spanish after a restart", |t| {
            t == es_title
        })
        .await?;
        // That first render came from the data served inside the page (src-tauri's
        // boot.rs), which the page takes and removes; not from two IPC calls.
        ensure!(
            embedded(d) > embedded_before,
            "the restarted app embeds the starting data in the page"
        );
        ensure!(
            d.js("return document.getElementById('boot-state') === null")
                .await?
                == true,
            "the page takes the embedded data (and removes its element)"
        );
        // Nor does the page start by asking the notification plugin over IPC: its
        // script (which replaces window.Notification) is kept out (src-tauri rust_only.rs).
        ensure!(
            d.js("return typeof window.Notification !== 'function' || /\\[native code\\]/.test(String(window.Notification))")
                .await?
                == true,
            "the notification plugin's page script is not injected"
        );
        // The text is set in the bundled face (ui/fonts), all three weights read from
        // the app by the time the first screen shows: no system font lookups.
        let fonts = d
            .js("return [...document.fonts].filter((f) => f.family.replace(/[\"']/g, '') === 'Inter').map((f) => f.weight + ':' + f.status).sort().join(' ')")
            .await?;
        ensure!(
            fonts == "400:loaded 600:loaded 700:loaded",
            "the bundled Inter faces are loaded: {fonts}"
        );
        ensure!(
            d.js("return getComputedStyle(document.getElementById('page-title')).fontFamily")
                .await?
                .as_str()
                .is_some_and(|f| f.trim_start_matches(['"', '\'']).starts_with("Inter")),
            "the page title is set in Inter"
        );
        // What the first screen needs is fetched before it is on screen (the Spanish
        // catalog too: the account's language); the sections below it and the other
        // catalogs after (ui/app.js, js/i18n.js). The app logs each file the page
        // requests and the page's word that its first frame is shown.
        let log = d.log_tail(usize::MAX);
        let since_restart = &log[log
            .rfind("starting data embedded in the page")
            .context("the restart's page request is in the log")?..];
        let shown = since_restart
            .find("first frame on screen")
            .context("the restarted page reports its first frame")?;
        let requested = |part: &str| -> Vec<String> {
            part.lines()
                .filter(|l| l.contains("page file requested"))
                .filter_map(|l| l.split("path=").nth(1))
                .map(|p| p.split_whitespace().next().unwrap_or("").trim_matches('"').to_owned())
                .collect()
        };
        let (before, after) = (
            requested(&since_restart[..shown]),
            requested(&since_restart[shown..]),
        );
        for file in ["/js/user.js", "/js/password.js", "/i18n/en.js", "/i18n/es.js"] {
            ensure!(
                before.iter().any(|p| p == file),
                "{file} is fetched before the first frame: {before:?}"
            );
        }
        for file in ["/js/email.js", "/js/codestep.js", "/js/region.js", "/js/sessions.js", "/i18n/fr.js"] {
            ensure!(
                !before.iter().any(|p| p == file) && after.iter().any(|p| p == file),
                "{file} is fetched after the first frame: before {before:?}, after {after:?}"
            );
        }
        // The sections below the first screen are rendered a frame after it.
        d.el("#region-section").await?;
        ensure!(d.value("#pref-language").await? == "es");
        ensure!(d.value("#pref-country").await? == "PT");
        ensure!(d.value("#pref-timezone").await? == "Europe/Lisbon");

        d.scroll_to(Some("#region-section")).await?;
        d.screenshot(&screenshot_path("language-region")).await
    })
    .await;
}

/// Notification preferences reach the server and survive a restart; the billing
/// section follows the billing permission; an owner changes a member's role.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn notifications_billing_section_and_roles() {
    run("notifications-roles", async |j: &mut Journey| {
        let d = &j.desktop;
        // A member has no billing section and no organization section.
        sign_in(d, MEMBER, DEMO_PASSWORD).await?;
        d.el("#notif-contacts-email").await?;
        ensure!(
            d.count("#billing-section").await? == 0,
            "a member must not get #billing-section"
        );
        ensure!(
            !d.is_shown("#org-section").await?,
            "#org-section for a member"
        );
        sign_out(d).await?;

        // The billing user has it, with the demo threshold.
        sign_in(d, BILLING, DEMO_PASSWORD).await?;
        d.el("#billing-section")
            .await
            .context("the billing user's billing section")?;
        let threshold = d.value("#lowbal-threshold").await?;
        ensure!(
            threshold.replace(',', ".").parse::<f64>().ok() == Some(50.0),
            "the demo threshold 50 shown as {threshold:?}"
        );
        sign_out(d).await?;

        // The owner changes notification preferences.
        sign_in(d, OWNER, DEMO_PASSWORD).await?;
        d.el("#billing-section").await?;
        // Every notification checkbox shows its focus ring when reached by the keyboard
        // (WCAG 2.4.7; WebKitGTK paints no box-shadow on a native checkbox).
        for id in [
            "notif-contacts-email",
            "notif-contacts-sms",
            "notif-billing-email",
            "notif-billing-sms",
            "lowbal-enabled",
            "lowbal-email",
            "lowbal-sms",
            "lowbal-desktop",
        ] {
            let ring = d.tab_to(&format!("#{id}")).await?;
            ensure!(
                ring.id == id && ring.is_visible(),
                "#{id} reached by Tab shows no focus ring: {ring:?}"
            );
        }
        let contacts_sms = !d.is_checked("#notif-contacts-sms").await?;
        let billing_sms = !d.is_checked("#notif-billing-sms").await?;
        d.set_checked("#notif-contacts-sms", contacts_sms).await?;
        d.set_checked("#notif-billing-sms", billing_sms).await?;
        d.fill("#lowbal-threshold", "25").await?;
        let status = d.submit("#notif-save", "#notif-status").await?;
        ensure!(
            status.state == "ok" && status.kind.is_empty(),
            "saving notifications: {status:?}"
        );
        let account = wait_server_account(
            &j.api,
            OWNER,
            DEMO_PASSWORD,
            "the new notification preferences",
            Duration::from_secs(10),
            |a| {
                let n = &a["notifications"];
                channels(&n["contactImports"]).contains(&"sms".to_owned()) == contacts_sms
                    && channels(&n["billing"]).contains(&"sms".to_owned()) == billing_sms
                    && n["lowBalance"]["thresholdMinor"] == 2500
            },
        )
        .await?;
        ensure!(account["notifications"]["lowBalance"]["enabled"] == true);

        // The owner makes the member an admin.
        let token = j.api.sign_in(OWNER, DEMO_PASSWORD).await?;
        let members = j.api.members(&token).await?;
        let member = members
            .iter()
            .find(|m| m["email"] == MEMBER)
            .with_context(|| format!("{MEMBER} in {members:?}"))?;
        ensure!(member["role"] == "member");
        let row = format!("tr[data-user-id=\"{}\"]", member["userId"]);
        d.choose(&format!("{row} select.role-select"), "admin")
            .await?;
        let status = d
            .submit(&format!("{row} button.role-save"), "#org-status")
            .await?;
        ensure!(status.state == "ok", "changing the role: {status:?}");
        ensure!(
            d.value(&format!("{row} select.role-select")).await? == "admin",
            "the row shows the new role"
        );
        let members = j.api.members(&token).await?;
        ensure!(
            members
                .iter()
                .any(|m| m["email"] == MEMBER && m["role"] == "admin"),
            "the server has the new role: {members:?}"
        );

        // After a restart the window shows what was saved.
        j.desktop.restart_app().await?;
        let d = &j.desktop;
        d.el("#billing-section").await?;
        ensure!(d.is_checked("#notif-contacts-sms").await? == contacts_sms);
        ensure!(d.is_checked("#notif-billing-sms").await? == billing_sms);
        let threshold = d.value("#lowbal-threshold").await?;
        ensure!(
            threshold.replace(',', ".").parse::<f64>().ok() == Some(25.0),
            "threshold after restart: {threshold:?}"
        );
        d.wait_js_with(
            "the member's row to show admin after the restart",
            "const s = document.querySelector(arguments[0]); return s && s.value === 'admin';",
            vec![json!(format!("{row} select.role-select"))],
            Duration::from_secs(15),
        )
        .await?;

        d.scroll_to(Some("#org-section")).await?;
        d.screenshot(&screenshot_path("notifications-roles")).await
    })
    .await;
}

/// Offline: the banner and the cached data; an edit is kept as pending and reaches the
/// server once it is back on the same address.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_edit_is_sent_when_the_server_is_back() {
    run("offline", async |j: &mut Journey| {
        sign_in(&j.desktop, OWNER, DEMO_PASSWORD).await?;
        let d = &j.desktop;
        d.wait_js(
            "the live event stream to connect",
            "return document.getElementById('sync-status').dataset.live === 'true'",
            Duration::from_secs(15),
        )
        .await?;
        ensure!(!d.is_shown("#offline-banner").await?);

        let server = j.server.take().context("server")?;
        let addr = server.addr().to_owned();
        ensure!(server.stop()?.success(), "the server stops cleanly");

        d.wait_js(
            "#offline-banner to show",
            "return !document.getElementById('offline-banner').hidden",
            Duration::from_secs(15),
        )
        .await?;
        ensure!(!d.text("#offline-banner-text").await?.is_empty());
        ensure!(
            d.text("#user-email").await? == OWNER,
            "cached account shown"
        );
        ensure!(
            d.text("#balance").await? == "€60.00",
            "cached balance shown"
        );

        let sms = !d.is_checked("#notif-contacts-sms").await?;
        d.set_checked("#notif-contacts-sms", sms).await?;
        let status = d.submit("#notif-save", "#notif-status").await?;
        ensure!(status.state == "ok", "saving offline: {status:?}");
        ensure!(
            status
                .text
                .contains(&catalog_text("en", "common.savedOffline")?),
            "saved on this device only: {status:?}"
        );
        d.wait_js(
            "the edit to be marked pending",
            "const c = document.getElementById('pending-count');
             const b = document.querySelector('[data-pending-badge=\"contactImports\"]');
             return !c.hidden && c.dataset.count === '1' && b && !b.hidden
               && document.getElementById('notif-contacts-sms').classList.contains('pending');",
            Duration::from_secs(5),
        )
        .await?;
        d.scroll_to(None).await?;
        d.screenshot(&screenshot_path("offline")).await?;

        let server = Server::start_on(j.server_data.path(), &addr)
            .context("the server starts again on the same port")?;
        j.server = Some(server);
        wait_server_account(
            &j.api,
            OWNER,
            DEMO_PASSWORD,
            "the edit made offline",
            Duration::from_secs(45),
            |a| channels(&a["notifications"]["contactImports"]).contains(&"sms".to_owned()) == sms,
        )
        .await?;
        d.wait_js(
            "the pending mark to go and the banner to hide",
            "const c = document.getElementById('pending-count');
             const b = document.querySelector('[data-pending-badge=\"contactImports\"]');
             return c.hidden && c.dataset.count === '0' && b.hidden
               && !document.getElementById('notif-contacts-sms').classList.contains('pending')
               && document.getElementById('offline-banner').hidden;",
            Duration::from_secs(15),
        )
        .await?;
        ensure!(d.is_checked("#notif-contacts-sms").await? == sms);
        Ok(())
    })
    .await;
}

/// The balance drops below the owner's threshold: one native notification with the
/// server's words, the tray's balance follows, and a further drop stays quiet.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn low_balance_notifies_once_and_updates_the_tray() {
    run("low-balance", async |j: &mut Journey| {
        sign_in(&j.desktop, OWNER, DEMO_PASSWORD).await?;
        let d = &j.desktop;
        d.wait_js(
            "the live event stream to connect",
            "return document.getElementById('sync-status').dataset.live === 'true'",
            Duration::from_secs(15),
        )
        .await?;
        let token = j.api.sign_in(OWNER, DEMO_PASSWORD).await?;
        let account = j.api.account(&token).await?;
        ensure!(account["language"] == "en", "{account}");
        let low = &account["notifications"]["lowBalance"];
        ensure!(
            low["enabled"] == true
                && low["thresholdMinor"] == DEMO_THRESHOLD_MINOR
                && channels(&low["channels"]).contains(&"desktop".to_owned()),
            "the demo owner's alert: {low}"
        );
        ensure!(account["balance"]["amountMinor"] == DEMO_BALANCE_MINOR);
        let org = account["organization"]["id"]
            .as_i64()
            .context("organization id")?;

        d.wait_tray_label("showing €60.00", |l| l == "Balance: €60.00")
            .await?;
        let icons = Path::new(env!("CARGO_MANIFEST_DIR")).join("icons");
        let (plain, badged) = (
            png_rgba(&icons.join("tray.png"))?,
            png_rgba(&icons.join("tray-low.png"))?,
        );
        ensure!(plain != badged, "the two tray icons differ");
        ensure!(
            d.tray_icon_rgba()? == plain,
            "above the threshold the tray shows the plain icon"
        );
        ensure!(
            d.notifications()?.is_empty(),
            "no notification before: {:?}",
            d.notifications()?
        );

        let adjusted = j.api.adjust_balance(org, -1500, "e2e-low-1").await?;
        ensure!(
            adjusted["balanceAfterMinor"] == 4500 && adjusted["applied"] == true,
            "{adjusted}"
        );
        let expected = Message::LowBalance {
            balance_minor: 4500,
            threshold_minor: DEMO_THRESHOLD_MINOR,
            currency: Currency::parse("EUR")?,
        }
        .render(Language::En);
        let deadline = Instant::now() + Duration::from_secs(15);
        let shown = loop {
            let calls = d.notifications()?;
            if !calls.is_empty() {
                break calls;
            }
            ensure!(
                Instant::now() < deadline,
                "no Notify call on the session bus within 15 s"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        ensure!(shown.len() == 1, "exactly one notification: {shown:?}");
        ensure!(
            shown[0].summary == expected.subject,
            "summary {:?}, expected {:?}",
            shown[0].summary,
            expected.subject
        );
        ensure!(
            shown[0].body == expected.body,
            "body {:?}, expected {:?}",
            shown[0].body,
            expected.body
        );
        ensure!(shown[0].body.contains("€45.00"));

        d.wait_tray_label("showing €45.00", |l| l.contains("€45.00"))
            .await?;
        eventually(
            "below the threshold, the tray icon with its badge (icons/tray-low.png)",
            || Ok(d.tray_icon_rgba()? == badged),
        )
        .await?;
        d.wait_text("#balance", "show €45.00", |t| t == "€45.00")
            .await?;
        ensure!(
            d.is_shown("#balance-low").await?,
            "the low badge in the header"
        );
        d.scroll_to(None).await?;
        d.screenshot(&screenshot_path("low-balance")).await?;

        // Still below the threshold: the tray follows, no second notification.
        let adjusted = j.api.adjust_balance(org, -500, "e2e-low-2").await?;
        ensure!(adjusted["balanceAfterMinor"] == 4000, "{adjusted}");
        d.wait_tray_label("showing €40.00", |l| l.contains("€40.00"))
            .await?;
        d.wait_text("#balance", "show €40.00", |t| t == "€40.00")
            .await?;
        // The alert would have been raised with the balance just shown; give a late
        // one a moment to show up on the bus before counting.
        let quiet_until = Instant::now() + Duration::from_secs(2);
        while Instant::now() < quiet_until {
            let calls = d.notifications()?;
            ensure!(calls.len() == 1, "a second notification: {calls:?}");
            tokio::time::sleep(Duration::from_millis(200)).await;
        }

        // Topped up above the threshold: the badge goes.
        let adjusted = j.api.adjust_balance(org, 3000, "e2e-low-3").await?;
        ensure!(adjusted["balanceAfterMinor"] == 7000, "{adjusted}");
        d.wait_tray_label("showing €70.00", |l| l == "Balance: €70.00")
            .await?;
        eventually("back above the threshold, the plain tray icon", || {
            Ok(d.tray_icon_rgba()? == plain)
        })
        .await?;
        Ok(())
    })
    .await;
}

/// Polls `done` every 100 ms until it holds; fails after [`UI_TIMEOUT`] naming `what`.
async fn eventually(
    what: &str,
    mut done: impl FnMut() -> anyhow::Result<bool>,
) -> anyhow::Result<()> {
    let deadline = Instant::now() + UI_TIMEOUT;
    while !done()? {
        ensure!(
            Instant::now() < deadline,
            "waited {UI_TIMEOUT:?} for {what}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// The XDG autostart entry the app writes for a login start, if there is one.
fn login_entry(d: &Desktop) -> Option<String> {
    std::fs::read_to_string(d.home().join(".config/autostart/Account Settings.desktop")).ok()
}

async fn wait_login_entry(d: &Desktop, present: bool) -> anyhow::Result<Option<String>> {
    let what = if present {
        "the login start entry"
    } else {
        "the login start entry to go"
    };
    eventually(what, || Ok(login_entry(d).is_some() == present)).await?;
    Ok(login_entry(d))
}

async fn wait_checked(d: &Desktop, css: &str, on: bool) -> anyhow::Result<()> {
    let deadline = Instant::now() + UI_TIMEOUT;
    while d.is_checked(css).await? != on {
        ensure!(
            Instant::now() < deadline,
            "waited {UI_TIMEOUT:?} for {css} to be {}",
            if on { "checked" } else { "unchecked" }
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Ok(())
}

/// The first sign-in on a computer turns on starting at login: the XDG autostart entry
/// (in the session's own home) starts the app tray-only on the same data folder. Turned
/// off, the entry is gone and a later sign-in leaves it off; turned on again, it is back.
/// The entry's `Exec` line, run inside the session as the desktop would at login, starts
/// the app with no WebKit process, and its tray shows the balance.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_sign_in_starts_the_app_at_login_into_the_tray() {
    run("login-start", async |j: &mut Journey| {
        ensure!(login_entry(&j.desktop).is_none(), "no entry before sign-in");
        sign_in(&j.desktop, OWNER, DEMO_PASSWORD).await?;
        let d = &j.desktop;
        let entry = wait_login_entry(d, true).await?.unwrap_or_default();
        let exec = entry
            .lines()
            .find_map(|l| l.strip_prefix("Exec="))
            .with_context(|| format!("an Exec line in the entry:\n{entry}"))?
            .to_owned();
        let app = app_binary()?;
        let data = j.app_data.path().display().to_string();
        ensure!(
            exec == format!("{} --tray --data-dir={data}", app.display()),
            "Exec={exec}"
        );
        ensure!(entry.contains("Name=Account Settings"), "{entry}");
        d.scroll_to(Some("#device-section")).await?;
        wait_checked(d, "#device-start-at-login", true).await?;

        // Off: the entry goes, and signing in again does not bring it back.
        d.click("#device-start-at-login").await?;
        wait_login_entry(d, false).await?;
        d.wait_text("#device-status", "say it will no longer start", |t| {
            t.contains("no longer start")
        })
        .await?;
        sign_out(d).await?;
        sign_in(d, OWNER, DEMO_PASSWORD).await?;
        d.scroll_to(Some("#device-section")).await?;
        wait_checked(d, "#device-start-at-login", false).await?;
        ensure!(
            login_entry(d).is_none(),
            "a sign-in turned the login start back on"
        );

        // On again, by the person.
        d.click("#device-start-at-login").await?;
        wait_login_entry(d, true).await?;
        wait_checked(d, "#device-start-at-login", true).await?;
        d.screenshot(&screenshot_path("this-computer")).await?;

        // A login start: the entry's command, in the session, with no window open.
        j.desktop.close_app().await?;
        let d = &j.desktop;
        let pid = d.run_in_session("login", &exec).await?;
        let label = d
            .wait_tray_label("showing €60.00", |l| l == "Balance: €60.00")
            .await
            .with_context(|| format!("the login start's log:\n{}", d.session_run_log("login")))?;
        ensure!(label == "Balance: €60.00");
        let webkit: Vec<_> = descendants(pid)
            .into_iter()
            .filter(|(_, comm)| comm.starts_with("WebKit"))
            .collect();
        ensure!(
            webkit.is_empty(),
            "a tray-only start runs WebKit: {webkit:?}"
        );
        let alive = std::fs::read_to_string(format!("/proc/{pid}/comm")).unwrap_or_default();
        ensure!(
            alive.trim() == "account-setting",
            "the login start is running: {alive:?}"
        );
        // It ends as the session would end it at logout.
        d.terminate_app().await?;
        Ok(())
    })
    .await;
}

/// The window's size and position survive closing it to the tray and a new launch: the
/// state written when it closed (in the session's own config folder) is what the next
/// window opens with, not the default centred 1024×720.
/// axe-core (WCAG 2.0–2.2 A/AA and best practices) in the real window, on a light
/// desktop and on a dark one: the sign-in screen, the same with its error shown, the
/// owner's settings with every section, and an email change waiting for its code. Any
/// critical or serious violation fails the journey, named with its elements; lesser
/// ones and what axe leaves to a person are printed.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_passes_an_accessibility_audit_in_light_and_dark() {
    run("accessibility", async |j: &mut Journey| {
        // The dark desktop's app has a data folder of its own: it starts signed out.
        let dark_data = tempfile::tempdir()?;
        for theme in [Theme::Light, Theme::Dark] {
            if theme == Theme::Dark {
                let dark =
                    Desktop::start_themed(dark_data.path(), &j.server()?.base, Theme::Dark).await?;
                std::mem::replace(&mut j.desktop, dark).shutdown().await?;
                j.desktop.open_app().await?;
            }
            let d = &j.desktop;
            ensure!(
                d.prefers_dark().await? == (theme == Theme::Dark),
                "the page does not see the {theme:?} desktop (prefers-color-scheme)"
            );
            d.el("#signin-email").await.context("the sign-in screen")?;
            audit(d, theme, "the sign-in screen").await?;

            d.fill("#signin-email", OWNER).await?;
            d.fill("#signin-password", "not the password 4711").await?;
            let refused = d.submit("#signin-submit", "#signin-error").await?;
            ensure!(refused.state == "error", "a wrong password: {refused:?}");
            audit(d, theme, "the sign-in screen with its error").await?;

            sign_in(d, OWNER, DEMO_PASSWORD).await?;
            d.el("#billing-section").await?;
            d.wait_js(
                "every section rendered, the organization's members listed",
                "return !document.querySelector('#settings[data-first-frame]') \
                   && !document.getElementById('org-section').hidden \
                   && document.querySelectorAll('#org-section tbody tr').length > 1",
                UI_TIMEOUT,
            )
            .await?;
            audit(d, theme, "the owner's settings").await?;

            // A change waiting for its code: the email one on the light desktop, the
            // phone one on the dark (a second email code would wait out the cooldown).
            let (kind, field, target) = match theme {
                Theme::Light => ("email", "#email-new", "olivia.light@demo.example"),
                Theme::Dark => ("phone", "#phone-number", "+34612345678"),
            };
            d.fill(field, target).await?;
            d.fill(&format!("#{kind}-password"), DEMO_PASSWORD).await?;
            let status = d
                .submit(&format!("#{kind}-submit"), &format!("#{kind}-status"))
                .await?;
            ensure!(status.state == "ok", "{kind} change request: {status:?}");
            d.el(&format!("#{kind}-code")).await?;
            audit(d, theme, &format!("the {kind} change waiting for its code")).await?;
            d.click(&format!("#{kind}-cancel")).await?;
            sign_out(d).await?;
        }
        sign_in(&j.desktop, OWNER, DEMO_PASSWORD).await?;
        j.desktop.scroll_to(None).await?;
        j.desktop.screenshot(&screenshot_path("dark")).await
    })
    .await;
}

/// One axe-core run on what `d` shows. Fails on any violation, and on anything axe
/// leaves undecided that this cannot decide either: the one kind it can is the
/// contrast of a select, whose background image (its chevron) keeps axe from reading
/// the colour behind the text — measured here from the painted colours instead.
async fn audit(d: &Desktop, theme: Theme, screen: &str) -> anyhow::Result<()> {
    let report = d
        .audit_accessibility()
        .await
        .with_context(|| format!("auditing {screen} ({theme:?})"))?;
    let rules = |rules: &[AxeRule]| rules.iter().map(ToString::to_string).collect::<String>();
    ensure!(
        report.violations.is_empty(),
        "axe-core {} finds {} violation(s) on {screen} ({theme:?}):\n{}",
        report.version,
        report.violations.len(),
        rules(&report.violations)
    );
    // An audit that looked at nothing proves nothing: the rules that matter to these
    // screens must have run.
    for rule in [
        "color-contrast",
        "label",
        "button-name",
        "html-has-lang",
        "region",
    ] {
        ensure!(
            report.ran(rule),
            "axe-core's {rule} rule did not run on {screen} ({theme:?}): passes {:?}",
            report.passes
        );
    }
    let mut measured = Vec::new();
    let mut undecided = String::new();
    for rule in &report.incomplete {
        for node in &rule.nodes {
            if rule.id == "color-contrast" && node.summary.contains("background image") {
                let ratio = d.contrast_ratio(&node.target).await?;
                ensure!(
                    ratio >= 4.5,
                    "{} on {screen} ({theme:?}): text contrast {ratio:.2}:1, below WCAG's 4.5:1",
                    node.target
                );
                measured.push(format!("{} {ratio:.1}:1", node.target));
            } else {
                undecided.push_str(&format!("{} ({}): {}\n", rule.id, rule.impact, node.target));
                undecided.push_str(&format!("  {}\n", node.summary.replace('\n', "; ")));
            }
        }
    }
    ensure!(
        undecided.is_empty(),
        "axe-core {} cannot decide on {screen} ({theme:?}):\n{undecided}",
        report.version
    );
    eprintln!(
        "axe-core {} on {screen} ({theme:?}): 0 violations, {} rules passed; select contrast \
         measured: {}",
        report.version,
        report.passes.len(),
        if measured.is_empty() {
            "none".to_owned()
        } else {
            measured.join(", ")
        }
    );
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_window_opens_where_and_as_large_as_it_was_left() {
    run("window-state", async |j: &mut Journey| {
        let d = &j.desktop;
        d.el("#signin-email").await.context("the sign-in screen")?;
        let client = d.client()?;
        let before = client.get_window_rect().await?;
        client.set_window_rect(40, 30, 900, 640).await?;
        let left = client.get_window_rect().await?;
        ensure!(
            (left.2, left.3) != (before.2, before.3),
            "the window was resized: {before:?} → {left:?}"
        );
        // Ctrl+W: closes to the tray (the process re-executes tray-only).
        // (After the script answered: the page is gone once the window closes.)
        d.js("setTimeout(() => window.__TAURI__.core.invoke('close_window'), 100); return true")
            .await?;
        let state = d
            .home()
            .join(".config/com.example.account-settings/.window-state.json");
        let deadline = Instant::now() + UI_TIMEOUT;
        let saved: Value = loop {
            if let Ok(text) = std::fs::read_to_string(&state)
                && let Ok(v) = serde_json::from_str::<Value>(&text)
                && v["main"]["width"] == json!(left.2)
            {
                break v;
            }
            ensure!(
                Instant::now() < deadline,
                "the window's state was not written when it closed: {:?} in {}",
                std::fs::read_to_string(&state).unwrap_or_default(),
                std::fs::read_dir(d.home().join(".config"))
                    .map(|dir| dir
                        .flatten()
                        .map(|e| e.file_name().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join(", "))
                    .unwrap_or_default()
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        };
        ensure!(saved["main"]["height"] == json!(left.3), "{saved}");
        ensure!(
            saved["main"].get("visible").is_none_or(|v| v == true),
            "visibility is not remembered as hidden: {saved}"
        );

        // The tray-only image is no longer WebKitWebDriver's: end it, then launch anew.
        j.desktop.terminate_app().await?;
        j.desktop.restart_app().await?;
        let d = &j.desktop;
        d.el("#signin-email")
            .await
            .context("the sign-in screen again")?;
        let reopened = d.client()?.get_window_rect().await?;
        ensure!(
            reopened == left,
            "reopened at {reopened:?}, left at {left:?} (saved: {saved})"
        );
        Ok(())
    })
    .await;
}

/// A start that cannot go on ends the app with exit code 1 and one line saying why, never
/// a hang or a panic: a cache that cannot be read, with the window and without (`--tray`,
/// the launch that re-executes after the window closes, whose tray waits for the cache on
/// the main thread: it used to hang there), a data folder that is a file and a server
/// address that is not one (both used to end in Tauri's "Failed to setup app" panic).
#[test]
fn a_start_that_cannot_go_on_ends_the_app_with_its_reason() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let data = dir.path().join("data");
    std::fs::create_dir(&data)?;
    std::fs::write(data.join("cache.sqlite3"), [0x5a_u8; 8192])?;
    let not_a_folder = dir.path().join("a-file");
    std::fs::write(&not_a_folder, "")?;
    let fresh = dir.path().join("fresh");
    let cases: [(&[&str], &Path, &str, &str); 4] = [
        (
            &["--tray"],
            &data,
            "http://127.0.0.1:9",
            "cannot open the local cache:",
        ),
        (
            &[],
            &data,
            "http://127.0.0.1:9",
            "cannot open the local cache:",
        ),
        (
            &[],
            &not_a_folder,
            "http://127.0.0.1:9",
            "cannot create the data folder",
        ),
        (&[], &fresh, "ftp://127.0.0.1", "is not a server address"),
    ];
    let (mut xvfb, display) = start_xvfb(&dir.path().join("xvfb.log"))?;
    let outcome = (|| {
        for (args, data, server, reason) in cases {
            let log = dir.path().join("app.log");
            let mut app = std::process::Command::new("dbus-run-session")
                .arg("--")
                .arg(app_binary()?)
                .args(args)
                .env("DISPLAY", &display)
                .env("NO_AT_BRIDGE", "1")
                .env("ACCOUNT_SETTINGS_DATA_DIR", data)
                .env("ACCOUNT_SETTINGS_SERVER", server)
                .env_remove("DBUS_SESSION_BUS_ADDRESS")
                .env_remove("WAYLAND_DISPLAY")
                .env_remove("RUST_BACKTRACE")
                .stdin(std::process::Stdio::null())
                .stdout(std::process::Stdio::null())
                .stderr(std::fs::File::create(&log)?)
                .spawn()
                .context("dbus-run-session could not start")?;
            let case = format!(
                "{args:?} with data folder {} and server {server}",
                data.display()
            );
            if !wait_exit(&mut app, Duration::from_secs(30)) {
                let _ = app.kill();
                let _ = app.wait();
                bail!("the app {case} did not exit within 30 s");
            }
            let status = app.wait()?;
            let text = std::fs::read_to_string(&log)?;
            ensure!(
                status.code() == Some(1),
                "the app {case} ended with {status}, not 1; its log:\n{text}"
            );
            let said = text
                .lines()
                .find(|l| l.starts_with("Account Settings could not start: "))
                .with_context(|| format!("the app {case} did not say why; its log:\n{text}"))?;
            ensure!(
                said.contains(reason),
                "the app {case} gave another reason than {reason:?}: {said}"
            );
            ensure!(
                !text.contains("panicked"),
                "the app {case} panicked; its log:\n{text}"
            );
        }
        Ok(())
    })();
    let _ = xvfb.kill();
    let _ = xvfb.wait();
    outcome
}

/// The bus output the journeys rely on is read correctly (no desktop needed).
#[test]
fn dbus_notify_calls_and_tray_labels_are_parsed() {
    let capture = "signal time=1 sender=org.freedesktop.DBus -> destination=:1.0 serial=2 path=/org/freedesktop/DBus; interface=org.freedesktop.DBus; member=NameAcquired
   string \":1.0\"
method call time=2 sender=:1.5 -> destination=org.freedesktop.Notifications serial=7 path=/org/freedesktop/Notifications; interface=org.freedesktop.Notifications; member=Notify
   string \"Account Settings\"
   uint32 0
   string \"\"
   string \"Your balance is low\"
   string \"Your balance is €45.00.\"
   array [
   ]
   array [
      dict entry(
         string \"urgency\"
         variant             byte 1
      )
   ]
   int32 -1
";
    let calls = parse_notify_calls(capture);
    assert_eq!(calls.len(), 1);
    assert_eq!(calls[0].app_name, "Account Settings");
    assert_eq!(calls[0].summary, "Your balance is low");
    assert_eq!(calls[0].body, "Your balance is €45.00.");
    let layout = "   struct {
      array [
         variant             struct {
               int32 2
               array [
                  dict entry(
                     string \"label\"
                     variant                         string \"Balance: €60.00\"
                  )
               ]
            }
      ]
   }";
    assert_eq!(parse_menu_labels(layout), vec!["Balance: €60.00"]);
}
