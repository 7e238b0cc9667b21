//! Catalogs of the messages the backend sends, in every supported language.
//!
//! A message is chosen as a typed [`Message`] and rendered for the recipient's
//! [`Language`]; there is no lookup by string key, so a missing translation is a compile
//! error, not a blank email. Codes and counts are inserted as plain text; nothing from
//! the user (names, addresses) is ever put into a subject.

use chrono::{DateTime, NaiveDate};
use chrono_tz::Tz;

use crate::locale::Language;
use crate::prefs::Currency;
use crate::role::Role;

/// What to tell the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Message {
    /// To the NEW address: the code that confirms an email change.
    EmailChangeCode { code: String, minutes: i64 },
    /// To the NEW number, by SMS: the code that confirms a phone change.
    PhoneChangeCode { code: String, minutes: i64 },
    /// To the OLD address, after an email change was confirmed.
    EmailChanged { new_email_masked: String },
    /// To the account's address, after a phone change was confirmed.
    PhoneChanged { new_phone_masked: String },
    /// After a password change; other sessions were signed out.
    PasswordChanged,
    /// After an owner changed this user's role.
    RoleChanged { role: Role },
    /// A contact import finished.
    ContactImportFinished {
        list: String,
        imported: i64,
        rejected: i64,
        finished_at: DateTime<Tz>,
    },
    /// A payment was received.
    PaymentReceived {
        amount_minor: i64,
        currency: Currency,
        at: DateTime<Tz>,
    },
    /// An invoice was issued.
    InvoiceIssued {
        number: String,
        amount_minor: i64,
        currency: Currency,
        due: NaiveDate,
    },
    /// The balance went below the user's alert threshold.
    LowBalance {
        balance_minor: i64,
        threshold_minor: i64,
        currency: Currency,
    },
}

/// `amount_minor` of `currency`, written the way readers of `lang` write money:
/// `€1,234.50` in English, `1.234,50 €` in Spanish, German and Italian, `1 234,50 €` in
/// French and Portuguese (narrow no-break space).
pub fn format_money(amount_minor: i64, currency: &Currency, lang: Language) -> String {
    let decimals = currency.decimals();
    let scale = 10_i64.pow(decimals);
    let abs = amount_minor.unsigned_abs();
    let (major, minor) = (abs / scale as u64, abs % scale as u64);
    let (group, point) = match lang {
        Language::En => (",", "."),
        Language::Es | Language::De | Language::It => (".", ","),
        Language::Fr | Language::Pt => ("\u{202f}", ","),
    };
    let digits = major.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push_str(group);
        }
        grouped.push(c);
    }
    let number = if decimals == 0 {
        grouped
    } else {
        format!("{grouped}{point}{minor:0width$}", width = decimals as usize)
    };
    let sign = if amount_minor < 0 { "-" } else { "" };
    let symbol = match currency.as_str() {
        "EUR" => Some("€"),
        "USD" => Some("$"),
        "GBP" => Some("£"),
        _ => None,
    };
    match (lang, symbol) {
        (Language::En, Some(sym)) => format!("{sign}{sym}{number}"),
        (Language::En, None) => format!("{sign}{} {number}", currency.as_str()),
        (_, Some(sym)) => format!("{sign}{number}\u{a0}{sym}"),
        (_, None) => format!("{sign}{number}\u{a0}{}", currency.as_str()),
    }
}

/// A moment in the reader's time zone: `Nov 28, 2026 14:05 CET` / `28/11/2026 14:05 CET`.
pub fn format_time(at: &DateTime<Tz>, lang: Language) -> String {
    let pattern = match lang {
        Language::En => "%b %-d, %Y %H:%M %Z",
        Language::De => "%d.%m.%Y %H:%M %Z",
        _ => "%d/%m/%Y %H:%M %Z",
    };
    at.format(pattern).to_string()
}

/// A calendar date: `Dec 31, 2026` / `31/12/2026` / `31.12.2026`.
pub fn format_date(date: &NaiveDate, lang: Language) -> String {
    let pattern = match lang {
        Language::En => "%b %-d, %Y",
        Language::De => "%d.%m.%Y",
        _ => "%d/%m/%Y",
    };
    date.format(pattern).to_string()
}

/// A message ready for the outbox. `subject` is empty for SMS.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: String,
    pub body: String,
}

fn role_name(lang: Language, role: Role) -> &'static str {
    use Language::*;
    use Role::*;
    match (lang, role) {
        (En, Owner) => "Owner",
        (En, Admin) => "Administrator",
        (En, Billing) => "Billing",
        (En, Member) => "Member",
        (Es, Owner) => "Propietario",
        (Es, Admin) => "Administrador",
        (Es, Billing) => "Facturación",
        (Es, Member) => "Miembro",
        (Fr, Owner) => "Propriétaire",
        (Fr, Admin) => "Administrateur",
        (Fr, Billing) => "Facturation",
        (Fr, Member) => "Membre",
        (De, Owner) => "Inhaber",
        (De, Admin) => "Administrator",
        (De, Billing) => "Abrechnung",
        (De, Member) => "Mitglied",
        (It, Owner) => "Proprietario",
        (It, Admin) => "Amministratore",
        (It, Billing) => "Fatturazione",
        (It, Member) => "Membro",
        (Pt, Owner) => "Proprietário",
        (Pt, Admin) => "Administrador",
        (Pt, Billing) => "Faturação",
        (Pt, Member) => "Membro",
    }
}

impl Message {
    /// A short name for logs and the outbox listing; never contains a code.
    pub fn kind(&self) -> &'static str {
        match self {
            Self::EmailChangeCode { .. } => "email_change_code",
            Self::PhoneChangeCode { .. } => "phone_change_code",
            Self::EmailChanged { .. } => "email_changed",
            Self::PhoneChanged { .. } => "phone_changed",
            Self::PasswordChanged => "password_changed",
            Self::RoleChanged { .. } => "role_changed",
            Self::ContactImportFinished { .. } => "contact_import_finished",
            Self::PaymentReceived { .. } => "payment_received",
            Self::InvoiceIssued { .. } => "invoice_issued",
            Self::LowBalance { .. } => "low_balance",
        }
    }

    pub fn render(&self, lang: Language) -> Rendered {
        use Language::*;
        let (subject, body) = match self {
            Self::EmailChangeCode { code, minutes } => match lang {
                En => (
                    "Confirm your new email address".to_owned(),
                    format!("Your confirmation code is {code}. It expires in {minutes} minutes. If you did not ask to change your email, ignore this message."),
                ),
                Es => (
                    "Confirma tu nueva dirección de email".to_owned(),
                    format!("Tu código de confirmación es {code}. Caduca en {minutes} minutos. Si no has pedido cambiar tu email, ignora este mensaje."),
                ),
                Fr => (
                    "Confirmez votre nouvelle adresse e-mail".to_owned(),
                    format!("Votre code de confirmation est {code}. Il expire dans {minutes} minutes. Si vous n'avez pas demandé à changer d'adresse, ignorez ce message."),
                ),
                De => (
                    "Bestätigen Sie Ihre neue E-Mail-Adresse".to_owned(),
                    format!("Ihr Bestätigungscode lautet {code}. Er läuft in {minutes} Minuten ab. Wenn Sie keine Änderung Ihrer E-Mail-Adresse angefordert haben, ignorieren Sie diese Nachricht."),
                ),
                It => (
                    "Conferma il tuo nuovo indirizzo email".to_owned(),
                    format!("Il tuo codice di conferma è {code}. Scade tra {minutes} minuti. Se non hai chiesto di cambiare email, ignora questo messaggio."),
                ),
                Pt => (
                    "Confirme o seu novo endereço de email".to_owned(),
                    format!("O seu código de confirmação é {code}. Expira em {minutes} minutos. Se não pediu para alterar o email, ignore esta mensagem."),
                ),
            },
            Self::PhoneChangeCode { code, minutes } => (
                String::new(),
                match lang {
                    En => format!("{code} is your code to confirm your new phone number. It expires in {minutes} min."),
                    Es => format!("{code} es tu código para confirmar tu nuevo teléfono. Caduca en {minutes} min."),
                    Fr => format!("{code} est votre code pour confirmer votre nouveau numéro. Il expire dans {minutes} min."),
                    De => format!("{code} ist Ihr Code zur Bestätigung Ihrer neuen Telefonnummer. Gültig für {minutes} Min."),
                    It => format!("{code} è il tuo codice per confermare il nuovo numero. Scade tra {minutes} min."),
                    Pt => format!("{code} é o seu código para confirmar o novo número. Expira em {minutes} min."),
                },
            ),
            Self::EmailChanged { new_email_masked: new } => match lang {
                En => ("Your email address was changed".to_owned(), format!("The email address of your account was changed to {new}. If this was not you, contact your organization's owner right away.")),
                Es => ("Se ha cambiado tu dirección de email".to_owned(), format!("El email de tu cuenta se ha cambiado a {new}. Si no has sido tú, contacta de inmediato con el propietario de tu organización.")),
                Fr => ("Votre adresse e-mail a été modifiée".to_owned(), format!("L'adresse e-mail de votre compte a été remplacée par {new}. Si ce n'était pas vous, contactez immédiatement le propriétaire de votre organisation.")),
                De => ("Ihre E-Mail-Adresse wurde geändert".to_owned(), format!("Die E-Mail-Adresse Ihres Kontos wurde in {new} geändert. Falls Sie das nicht waren, wenden Sie sich sofort an den Inhaber Ihrer Organisation.")),
                It => ("Il tuo indirizzo email è stato cambiato".to_owned(), format!("L'email del tuo account è stata cambiata in {new}. Se non sei stato tu, contatta subito il proprietario della tua organizzazione.")),
                Pt => ("O seu endereço de email foi alterado".to_owned(), format!("O email da sua conta foi alterado para {new}. Se não foi você, contacte de imediato o proprietário da sua organização.")),
            },
            Self::PhoneChanged { new_phone_masked: new } => match lang {
                En => ("Your phone number was changed".to_owned(), format!("The phone number of your account was changed to one ending in {new}. If this was not you, change your password and contact your organization's owner.")),
                Es => ("Se ha cambiado tu número de teléfono".to_owned(), format!("El teléfono de tu cuenta se ha cambiado a uno que termina en {new}. Si no has sido tú, cambia tu contraseña y contacta con el propietario de tu organización.")),
                Fr => ("Votre numéro de téléphone a été modifié".to_owned(), format!("Le numéro de votre compte a été remplacé par un numéro se terminant par {new}. Si ce n'était pas vous, changez votre mot de passe et contactez le propriétaire de votre organisation.")),
                De => ("Ihre Telefonnummer wurde geändert".to_owned(), format!("Die Telefonnummer Ihres Kontos wurde in eine Nummer mit der Endung {new} geändert. Falls Sie das nicht waren, ändern Sie Ihr Passwort und wenden Sie sich an den Inhaber Ihrer Organisation.")),
                It => ("Il tuo numero di telefono è stato cambiato".to_owned(), format!("Il numero del tuo account è stato cambiato in uno che termina con {new}. Se non sei stato tu, cambia la password e contatta il proprietario della tua organizzazione.")),
                Pt => ("O seu número de telefone foi alterado".to_owned(), format!("O número da sua conta foi alterado para um terminado em {new}. Se não foi você, altere a palavra-passe e contacte o proprietário da sua organização.")),
            },
            Self::PasswordChanged => match lang {
                En => ("Your password was changed".to_owned(), "The password of your account was changed and your other sessions were signed out. If this was not you, contact your organization's owner right away.".to_owned()),
                Es => ("Se ha cambiado tu contraseña".to_owned(), "La contraseña de tu cuenta se ha cambiado y se han cerrado tus otras sesiones. Si no has sido tú, contacta de inmediato con el propietario de tu organización.".to_owned()),
                Fr => ("Votre mot de passe a été modifié".to_owned(), "Le mot de passe de votre compte a été modifié et vos autres sessions ont été fermées. Si ce n'était pas vous, contactez immédiatement le propriétaire de votre organisation.".to_owned()),
                De => ("Ihr Passwort wurde geändert".to_owned(), "Das Passwort Ihres Kontos wurde geändert und Ihre anderen Sitzungen wurden abgemeldet. Falls Sie das nicht waren, wenden Sie sich sofort an den Inhaber Ihrer Organisation.".to_owned()),
                It => ("La tua password è stata cambiata".to_owned(), "La password del tuo account è stata cambiata e le altre sessioni sono state chiuse. Se non sei stato tu, contatta subito il proprietario della tua organizzazione.".to_owned()),
                Pt => ("A sua palavra-passe foi alterada".to_owned(), "A palavra-passe da sua conta foi alterada e as outras sessões foram terminadas. Se não foi você, contacte de imediato o proprietário da sua organização.".to_owned()),
            },
            Self::RoleChanged { role } => {
                let name = role_name(lang, *role);
                match lang {
                    En => ("Your role was changed".to_owned(), format!("Your role in your organization is now: {name}.")),
                    Es => ("Se ha cambiado tu rol".to_owned(), format!("Tu rol en la organización ahora es: {name}.")),
                    Fr => ("Votre rôle a été modifié".to_owned(), format!("Votre rôle dans l'organisation est désormais : {name}.")),
                    De => ("Ihre Rolle wurde geändert".to_owned(), format!("Ihre Rolle in der Organisation ist jetzt: {name}.")),
                    It => ("Il tuo ruolo è stato cambiato".to_owned(), format!("Il tuo ruolo nell'organizzazione ora è: {name}.")),
                    Pt => ("A sua função foi alterada".to_owned(), format!("A sua função na organização é agora: {name}.")),
                }
            }
            Self::ContactImportFinished { list, imported, rejected, finished_at } => {
                let at = format_time(finished_at, lang);
                match lang {
                    En => (format!("Contact import finished: {list}"), format!("The import into \"{list}\" finished at {at}: {imported} contacts imported, {rejected} rejected.")),
                    Es => (format!("Importación de contactos terminada: {list}"), format!("La importación a \"{list}\" terminó el {at}: {imported} contactos importados, {rejected} rechazados.")),
                    Fr => (format!("Import de contacts terminé : {list}"), format!("L'import dans « {list} » s'est terminé le {at} : {imported} contacts importés, {rejected} rejetés.")),
                    De => (format!("Kontaktimport abgeschlossen: {list}"), format!("Der Import in „{list}“ wurde am {at} abgeschlossen: {imported} Kontakte importiert, {rejected} abgelehnt.")),
                    It => (format!("Importazione contatti completata: {list}"), format!("L'importazione in \"{list}\" è terminata il {at}: {imported} contatti importati, {rejected} rifiutati.")),
                    Pt => (format!("Importação de contactos concluída: {list}"), format!("A importação para \"{list}\" terminou em {at}: {imported} contactos importados, {rejected} rejeitados.")),
                }
            }
            Self::PaymentReceived { amount_minor, currency, at } => {
                let (amount, at) = (format_money(*amount_minor, currency, lang), format_time(at, lang));
                match lang {
                    En => ("Payment received".to_owned(), format!("We received your payment of {amount} on {at}. Thank you!")),
                    Es => ("Pago recibido".to_owned(), format!("Hemos recibido tu pago de {amount} el {at}. ¡Gracias!")),
                    Fr => ("Paiement reçu".to_owned(), format!("Nous avons reçu votre paiement de {amount} le {at}. Merci !")),
                    De => ("Zahlung eingegangen".to_owned(), format!("Wir haben Ihre Zahlung über {amount} am {at} erhalten. Vielen Dank!")),
                    It => ("Pagamento ricevuto".to_owned(), format!("Abbiamo ricevuto il tuo pagamento di {amount} il {at}. Grazie!")),
                    Pt => ("Pagamento recebido".to_owned(), format!("Recebemos o seu pagamento de {amount} em {at}. Obrigado!")),
                }
            }
            Self::InvoiceIssued { number, amount_minor, currency, due } => {
                let (amount, due) = (format_money(*amount_minor, currency, lang), format_date(due, lang));
                match lang {
                    En => (format!("New invoice {number}"), format!("Invoice {number} for {amount} was issued; it is due on {due}.")),
                    Es => (format!("Nueva factura {number}"), format!("Se ha emitido la factura {number} por {amount}; vence el {due}.")),
                    Fr => (format!("Nouvelle facture {number}"), format!("La facture {number} de {amount} a été émise ; elle est à régler avant le {due}.")),
                    De => (format!("Neue Rechnung {number}"), format!("Die Rechnung {number} über {amount} wurde ausgestellt; sie ist am {due} fällig.")),
                    It => (format!("Nuova fattura {number}"), format!("È stata emessa la fattura {number} di {amount}; scade il {due}.")),
                    Pt => (format!("Nova fatura {number}"), format!("Foi emitida a fatura {number} de {amount}; vence a {due}.")),
                }
            }
            Self::LowBalance { balance_minor, threshold_minor, currency } => {
                let (balance, threshold) = (format_money(*balance_minor, currency, lang), format_money(*threshold_minor, currency, lang));
                match lang {
                    En => ("Your balance is low".to_owned(), format!("Your balance is {balance}, below your alert threshold of {threshold}. Top up to keep sending.")),
                    Es => ("Tu saldo es bajo".to_owned(), format!("Tu saldo es de {balance}, por debajo de tu umbral de alerta de {threshold}. Recarga para seguir enviando.")),
                    Fr => ("Votre solde est bas".to_owned(), format!("Votre solde est de {balance}, sous votre seuil d'alerte de {threshold}. Rechargez pour continuer à envoyer.")),
                    De => ("Ihr Guthaben ist niedrig".to_owned(), format!("Ihr Guthaben beträgt {balance} und liegt unter Ihrer Warnschwelle von {threshold}. Laden Sie auf, um weiter zu senden.")),
                    It => ("Il tuo saldo è basso".to_owned(), format!("Il tuo saldo è {balance}, sotto la soglia di avviso di {threshold}. Ricarica per continuare a inviare.")),
                    Pt => ("O seu saldo está baixo".to_owned(), format!("O seu saldo é de {balance}, abaixo do seu limite de alerta de {threshold}. Carregue para continuar a enviar.")),
                }
            }
        };
        Rendered { subject, body }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn samples() -> Vec<Message> {
        vec![
            Message::EmailChangeCode {
                code: "123456".into(),
                minutes: 10,
            },
            Message::PhoneChangeCode {
                code: "654321".into(),
                minutes: 10,
            },
            Message::EmailChanged {
                new_email_masked: "n***@example.com".into(),
            },
            Message::PhoneChanged {
                new_phone_masked: "••• 456".into(),
            },
            Message::PasswordChanged,
            Message::RoleChanged {
                role: Role::Billing,
            },
            Message::ContactImportFinished {
                list: "Newsletter".into(),
                imported: 1200,
                rejected: 3,
                finished_at: madrid(),
            },
            Message::PaymentReceived {
                amount_minor: 123_450,
                currency: eur(),
                at: madrid(),
            },
            Message::InvoiceIssued {
                number: "INV-7".into(),
                amount_minor: 5000,
                currency: eur(),
                due: NaiveDate::from_ymd_opt(2026, 12, 31).expect("date"),
            },
            Message::LowBalance {
                balance_minor: 4_990,
                threshold_minor: 5_000,
                currency: eur(),
            },
        ]
    }

    fn eur() -> Currency {
        Currency::parse("EUR").expect("EUR")
    }

    fn madrid() -> DateTime<Tz> {
        use chrono::TimeZone as _;
        chrono::Utc
            .with_ymd_and_hms(2026, 11, 28, 13, 5, 0)
            .single()
            .expect("instant")
            .with_timezone(&chrono_tz::Europe::Madrid)
    }

    #[test]
    fn money_is_written_the_way_each_language_writes_it() {
        let eur = eur();
        assert_eq!(format_money(123_450, &eur, Language::En), "€1,234.50");
        assert_eq!(format_money(123_450, &eur, Language::Es), "1.234,50\u{a0}€");
        assert_eq!(format_money(123_450, &eur, Language::De), "1.234,50\u{a0}€");
        assert_eq!(
            format_money(123_450, &eur, Language::Fr),
            "1\u{202f}234,50\u{a0}€"
        );
        assert_eq!(format_money(-500, &eur, Language::En), "-€5.00");
        assert_eq!(format_money(5, &eur, Language::It), "0,05\u{a0}€");
        let jpy = Currency::parse("JPY").expect("JPY");
        assert_eq!(format_money(1_234_567, &jpy, Language::En), "JPY 1,234,567");
        assert_eq!(
            format_money(100_000_000, &eur, Language::Pt),
            "1\u{202f}000\u{202f}000,00\u{a0}€"
        );
    }

    #[test]
    fn times_are_shown_in_the_readers_zone() {
        let at = madrid();
        assert_eq!(format_time(&at, Language::En), "Nov 28, 2026 14:05 CET");
        assert_eq!(format_time(&at, Language::De), "28.11.2026 14:05 CET");
        assert_eq!(format_time(&at, Language::Es), "28/11/2026 14:05 CET");
    }

    #[test]
    fn every_message_renders_in_every_language_and_differs_between_them() {
        for message in samples() {
            let mut bodies = std::collections::HashSet::new();
            for lang in Language::ALL {
                let r = message.render(lang);
                assert!(!r.body.is_empty(), "{message:?} {lang}");
                let is_sms = matches!(message, Message::PhoneChangeCode { .. });
                assert!(
                    r.body.chars().count() <= 300,
                    "{message:?} {lang}: short enough for SMS"
                );
                assert_eq!(r.subject.is_empty(), is_sms, "{message:?} {lang}");
                assert!(
                    bodies.insert(r.body),
                    "{message:?} {lang} repeats another language"
                );
            }
        }
    }

    #[test]
    fn codes_and_values_are_in_the_body() {
        let r = Message::EmailChangeCode {
            code: "123456".into(),
            minutes: 10,
        }
        .render(Language::Es);
        assert!(
            r.body.contains("123456") && r.body.contains("10 minutos"),
            "{}",
            r.body
        );
        let r = Message::RoleChanged {
            role: Role::Billing,
        }
        .render(Language::De);
        assert!(r.body.contains("Abrechnung"));
        let sms = Message::PhoneChangeCode {
            code: "654321".into(),
            minutes: 10,
        }
        .render(Language::En);
        assert!(sms.body.chars().count() <= 160, "one SMS segment");
    }
}
