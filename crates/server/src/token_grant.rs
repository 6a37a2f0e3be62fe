//! Tokens with a kind and scopes (`serve --token NAME:TOKEN:KIND:SCOPES`), so that a client
//! can be tried against Graph's permission checks: a delegated token may cancel a print job
//! but not abort it, a token with `Tasks.Read` may not attach files, and so on.

use std::fmt;

/// How a token was granted, which decides the column of a reference page's Permissions table
/// that applies.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenKind {
    /// On behalf of a signed-in user (Graph's "Delegated (work or school account)").
    Delegated,
    /// To an application acting as itself (Graph's "Application").
    Application,
}

impl TokenKind {
    /// `delegated` or `application`, as written on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenKind::Delegated => "delegated",
            TokenKind::Application => "application",
        }
    }
}

/// A bearer token the emulator accepts with only the permissions it was granted.
///
/// The all-powerful token of [`ServerConfig::token`](crate::ServerConfig::token) needs none of
/// this; these are extra tokens ([`ServerConfig::tokens`](crate::ServerConfig::tokens)).
#[derive(Clone, PartialEq, Eq)]
pub struct TokenGrant {
    /// A name for logs and error messages (never the token).
    pub name: String,
    /// The bearer token itself.
    pub token: String,
    /// Delegated or application.
    pub kind: TokenKind,
    /// Granted scopes, such as `PrintJob.ReadWrite` or `Tasks.ReadWrite.All`.
    pub scopes: Vec<String>,
}

impl TokenGrant {
    /// A token named `name` of `kind` with `scopes`.
    pub fn new(
        name: impl Into<String>,
        token: impl Into<String>,
        kind: TokenKind,
        scopes: impl IntoIterator<Item = impl Into<String>>,
    ) -> Self {
        TokenGrant {
            name: name.into(),
            token: token.into(),
            kind,
            scopes: scopes.into_iter().map(Into::into).collect(),
        }
    }

    /// Parses `NAME:TOKEN:KIND:SCOPES` (KIND `delegated` or `application`, SCOPES
    /// comma-separated and possibly empty). The error never repeats the token.
    pub fn parse(spec: &str) -> Result<Self, String> {
        let parts: Vec<&str> = spec.split(':').collect();
        let [name, token, kind, scopes] = parts.as_slice() else {
            return Err(format!(
                "a scoped token is NAME:TOKEN:KIND:SCOPES (4 fields separated by `:`), not {} field(s)",
                parts.len()
            ));
        };
        if name.is_empty() || token.is_empty() {
            return Err("a scoped token needs a non-empty NAME and TOKEN".into());
        }
        let kind = match kind.to_ascii_lowercase().as_str() {
            "delegated" => TokenKind::Delegated,
            "application" => TokenKind::Application,
            other => {
                return Err(format!(
                    "token {name:?}: KIND {other:?} is neither `delegated` nor `application`"
                ));
            }
        };
        let scopes = scopes
            .split(',')
            .map(str::trim)
            .filter(|scope| !scope.is_empty());
        Ok(TokenGrant::new(*name, *token, kind, scopes))
    }

    /// Whether one of `wanted` was granted (scope names compare without case, as Entra's do).
    pub fn has_any(&self, wanted: &[&str]) -> bool {
        self.scopes
            .iter()
            .any(|scope| wanted.iter().any(|w| w.eq_ignore_ascii_case(scope)))
    }
}

/// Everything but the token, which is a credential.
impl fmt::Debug for TokenGrant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TokenGrant")
            .field("name", &self.name)
            .field("token", &"<redacted>")
            .field("kind", &self.kind)
            .field("scopes", &self.scopes)
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_four_fields() {
        let grant =
            TokenGrant::parse("app:s3cret:application:PrintJob.ReadWrite.All, Tasks.Read.All")
                .unwrap();
        assert_eq!(grant.name, "app");
        assert_eq!(grant.token, "s3cret");
        assert_eq!(grant.kind, TokenKind::Application);
        assert_eq!(grant.scopes, ["PrintJob.ReadWrite.All", "Tasks.Read.All"]);
        assert!(grant.has_any(&["tasks.read.all"]));
        assert!(!grant.has_any(&["Tasks.ReadWrite.All"]));
        let none = TokenGrant::parse("u:t:Delegated:").unwrap();
        assert_eq!(none.kind, TokenKind::Delegated);
        assert!(none.scopes.is_empty());
    }

    #[test]
    fn refuses_malformed_specs_without_echoing_the_token() {
        for bad in [
            "plain",
            "a:b:c",
            "a:s3cret:user:X",
            ":s3cret:delegated:X",
            "a::delegated:X",
            "a:s3cret:delegated:X:Y",
        ] {
            let error = TokenGrant::parse(bad).unwrap_err();
            assert!(!error.contains("s3cret"), "{bad}: {error}");
        }
        let shown = format!("{:?}", TokenGrant::parse("a:s3cret:delegated:X").unwrap());
        assert!(!shown.contains("s3cret"), "{shown}");
    }
}
