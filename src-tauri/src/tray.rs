//! The tray icon: the organization's balance where the person can always see it, and
//! the app's three actions.
//!
//! The menu's first item is the balance (disabled: it is a label). On Linux the
//! indicator also shows it as the icon's label (`set_title`); elsewhere the tooltip
//! carries it. The labels follow the signed-in user's language; before sign-in they
//! follow the OS language.

use account_model::i18n::format_money;
use account_model::{Currency, Language};
use tauri::menu::{Menu, MenuItem, PredefinedMenuItem};
use tauri::tray::{TrayIcon, TrayIconBuilder};
use tauri::{AppHandle, Runtime};

pub const OPEN: &str = "open";
pub const REFRESH: &str = "refresh";
pub const QUIT: &str = "quit";
const BALANCE: &str = "balance";

/// What the tray shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TrayView {
    pub language: Language,
    /// The balance in minor units and its currency; `None` before sign-in.
    pub balance: Option<(i64, Currency)>,
    /// True when the balance is below the user's low-balance threshold.
    pub low: bool,
}

struct Labels {
    balance: &'static str,
    signed_out: &'static str,
    low: &'static str,
    open: &'static str,
    refresh: &'static str,
    quit: &'static str,
}

fn labels(lang: Language) -> Labels {
    match lang {
        Language::En => Labels {
            balance: "Balance: {}",
            signed_out: "Not signed in",
            low: "low",
            open: "Open settings",
            refresh: "Refresh",
            quit: "Quit",
        },
        Language::Es => Labels {
            balance: "Saldo: {}",
            signed_out: "Sin sesión iniciada",
            low: "bajo",
            open: "Abrir configuración",
            refresh: "Actualizar",
            quit: "Salir",
        },
        Language::Fr => Labels {
            balance: "Solde : {}",
            signed_out: "Non connecté",
            low: "bas",
            open: "Ouvrir les paramètres",
            refresh: "Actualiser",
            quit: "Quitter",
        },
        Language::De => Labels {
            balance: "Guthaben: {}",
            signed_out: "Nicht angemeldet",
            low: "niedrig",
            open: "Einstellungen öffnen",
            refresh: "Aktualisieren",
            quit: "Beenden",
        },
        Language::It => Labels {
            balance: "Saldo: {}",
            signed_out: "Accesso non effettuato",
            low: "basso",
            open: "Apri impostazioni",
            refresh: "Aggiorna",
            quit: "Esci",
        },
        Language::Pt => Labels {
            balance: "Saldo: {}",
            signed_out: "Sessão não iniciada",
            low: "baixo",
            open: "Abrir definições",
            refresh: "Atualizar",
            quit: "Sair",
        },
    }
}

impl TrayView {
    /// The balance line of the menu, e.g. `Balance: €60.00`.
    pub fn balance_line(&self) -> String {
        let l = labels(self.language);
        match &self.balance {
            Some((minor, currency)) => {
                let money = format_money(*minor, currency, self.language);
                let line = l.balance.replace("{}", &money);
                if self.low {
                    format!("{line} ({})", l.low)
                } else {
                    line
                }
            }
            None => l.signed_out.to_owned(),
        }
    }

    /// The short label beside the icon (Linux) / the tooltip.
    pub fn title(&self) -> Option<String> {
        self.balance
            .as_ref()
            .map(|(minor, currency)| format_money(*minor, currency, self.language))
    }
}

const ICON: &[u8] = include_bytes!("../../icons/tray.png");
const ICON_LOW: &[u8] = include_bytes!("../../icons/tray-low.png");

fn icon_for(low: bool) -> tauri::Result<tauri::image::Image<'static>> {
    tauri::image::Image::from_bytes(if low { ICON_LOW } else { ICON })
}

/// The tray and the menu items whose text changes.
pub struct Tray<R: Runtime> {
    icon: TrayIcon<R>,
    /// Whether the icon shown is the low-balance one.
    shows_low: std::sync::atomic::AtomicBool,
    balance: MenuItem<R>,
    open: MenuItem<R>,
    refresh: MenuItem<R>,
    quit: MenuItem<R>,
}

impl<R: Runtime> std::fmt::Debug for Tray<R> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Tray").finish_non_exhaustive()
    }
}

impl<R: Runtime> Tray<R> {
    /// Builds the tray; `on_menu` receives the clicked item's id.
    pub fn build(
        app: &AppHandle<R>,
        view: &TrayView,
        on_menu: impl Fn(&AppHandle<R>, &str) + Send + Sync + 'static,
    ) -> tauri::Result<Self> {
        let l = labels(view.language);
        let balance = MenuItem::with_id(app, BALANCE, view.balance_line(), false, None::<&str>)?;
        let open = MenuItem::with_id(app, OPEN, l.open, true, None::<&str>)?;
        let refresh = MenuItem::with_id(app, REFRESH, l.refresh, true, None::<&str>)?;
        let quit = MenuItem::with_id(app, QUIT, l.quit, true, None::<&str>)?;
        let menu = Menu::with_items(
            app,
            &[
                &balance,
                &PredefinedMenuItem::separator(app)?,
                &open,
                &refresh,
                &PredefinedMenuItem::separator(app)?,
                &quit,
            ],
        )?;
        let icon = TrayIconBuilder::with_id("account-settings")
            .icon(icon_for(view.low)?)
            .menu(&menu)
            .show_menu_on_left_click(true)
            .tooltip(
                view.title()
                    .unwrap_or_else(|| "Account Settings".to_owned()),
            )
            .on_menu_event(move |app, event| on_menu(app, event.id().as_ref()))
            .build(app)?;
        let tray = Self {
            icon,
            shows_low: std::sync::atomic::AtomicBool::new(view.low),
            balance,
            open,
            refresh,
            quit,
        };
        tray.icon.set_title(view.title())?;
        Ok(tray)
    }

    pub fn show(&self, view: &TrayView) -> tauri::Result<()> {
        let l = labels(view.language);
        self.balance.set_text(view.balance_line())?;
        self.open.set_text(l.open)?;
        self.refresh.set_text(l.refresh)?;
        self.quit.set_text(l.quit)?;
        use std::sync::atomic::Ordering;
        if self.shows_low.load(Ordering::SeqCst) != view.low {
            self.icon.set_icon(Some(icon_for(view.low)?))?;
            self.shows_low.store(view.low, Ordering::SeqCst);
        }
        let title = view.title();
        self.icon.set_title(title.clone())?;
        self.icon
            .set_tooltip(Some(title.unwrap_or_else(|| "Account Settings".to_owned())))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn eur() -> Currency {
        Currency::parse("EUR").expect("EUR")
    }

    #[test]
    fn the_low_balance_icon_is_the_icon_with_a_badge() {
        let (plain, low) = (
            icon_for(false).expect("icon"),
            icon_for(true).expect("icon"),
        );
        assert_eq!((plain.width(), plain.height()), (low.width(), low.height()));
        let differing = plain
            .rgba()
            .chunks(4)
            .zip(low.rgba().chunks(4))
            .filter(|(a, b)| a != b)
            .count();
        let pixels = (plain.width() * plain.height()) as usize;
        // A badge: a corner of the icon, not a different icon.
        assert!(
            differing > pixels / 20 && differing < pixels / 3,
            "{differing} of {pixels} pixels differ"
        );
    }

    #[test]
    fn the_balance_line_is_in_the_users_language_and_says_when_it_is_low() {
        let view = TrayView {
            language: Language::En,
            balance: Some((6000, eur())),
            low: false,
        };
        assert_eq!(view.balance_line(), "Balance: €60.00");
        assert_eq!(view.title().as_deref(), Some("€60.00"));
        let es = TrayView {
            language: Language::Es,
            balance: Some((4500, eur())),
            low: true,
        };
        assert_eq!(es.balance_line(), "Saldo: 45,00\u{a0}€ (bajo)");
        let none = TrayView {
            language: Language::De,
            balance: None,
            low: false,
        };
        assert_eq!(none.balance_line(), "Nicht angemeldet");
        assert_eq!(none.title(), None);
    }
}
