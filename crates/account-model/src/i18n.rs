//! Catalogs of the messages the backend sends, in every supported language.
//!
//! A message is chosen as a typed [`Message`] and rendered for the recipient's
//! [`Language`]; there is no lookup by string key, so a missing translation is a compile
//! error, not a blank email. Codes and counts are inserted as plain text; nothing from
//! the user (names, addresses) is ever put into a subject.

use crate::locale::Language;
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
        ]
    }

    #[test]
    fn every_message_renders_in_every_language_and_differs_between_them() {
        for message in samples() {
            let mut bodies = std::collections::HashSet::new();
            for lang in Language::ALL {
                let r = message.render(lang);
                assert!(!r.body.is_empty(), "{message:?} {lang}");
                let is_sms = matches!(message, Message::PhoneChangeCode { .. });
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
