//! The platform names of the Tauri updater: `{os}-{arch}-{installer}`, as the app looks
//! them up in a manifest (`linux-x86_64-deb`, `windows-x86_64-nsis`, `darwin-aarch64-app`).

use serde::{Deserialize, Serialize};

macro_rules! names {
    ($(#[$doc:meta])* $name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$doc])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$(Self::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self { $(Self::$variant => $text),+ }
            }
        }

        impl std::str::FromStr for $name {
            type Err = String;

            fn from_str(s: &str) -> Result<Self, String> {
                Self::ALL.iter().copied().find(|v| v.as_str() == s).ok_or_else(|| {
                    let known: Vec<&str> = Self::ALL.iter().map(|v| v.as_str()).collect();
                    format!("\"{s}\" is not one of {}", known.join(", "))
                })
            }
        }

        /// In the OpenAPI document: exactly the names `FromStr` takes.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::schema::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some(Self::ALL.iter().map(|v| v.as_str())))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }
    };
}

names!(
    /// The OS, as the updater names it (`{{target}}` in its endpoint).
    Os { Linux => "linux", Windows => "windows", Darwin => "darwin" }
);
names!(
    /// The CPU architecture (`{{arch}}`).
    Arch { X86_64 => "x86_64", Aarch64 => "aarch64", I686 => "i686", Armv7 => "armv7" }
);
names!(
    /// The bundle kind the installed app was installed from.
    Installer {
        Deb => "deb", Rpm => "rpm", AppImage => "appimage",
        Nsis => "nsis", Msi => "msi", App => "app",
    }
);

/// One bundle's platform.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    pub os: Os,
    pub arch: Arch,
    pub installer: Installer,
}

impl std::str::FromStr for Platform {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let mut parts = s.splitn(3, '-');
        let (Some(os), Some(arch), Some(installer)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(format!(
                "\"{s}\": a platform is <os>-<arch>-<installer>, e.g. linux-x86_64-deb"
            ));
        };
        let platform = Self {
            os: os.parse().map_err(|e| format!("the OS {e}"))?,
            arch: arch.parse().map_err(|e| format!("the architecture {e}"))?,
            installer: installer
                .parse()
                .map_err(|e| format!("the installer {e}"))?,
        };
        let fits = match platform.os {
            Os::Linux => matches!(
                platform.installer,
                Installer::Deb | Installer::Rpm | Installer::AppImage
            ),
            Os::Windows => matches!(platform.installer, Installer::Nsis | Installer::Msi),
            Os::Darwin => platform.installer == Installer::App,
        };
        if !fits {
            return Err(format!(
                "\"{s}\": {} does not install a {} bundle",
                platform.os, platform.installer
            ));
        }
        Ok(platform)
    }
}

impl std::fmt::Display for Platform {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-{}-{}", self.os, self.arch, self.installer)
    }
}

impl Serialize for Platform {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Platform {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}
