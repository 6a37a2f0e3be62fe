//! `--auth`: where `upload` gets its bearer token. `token` (the default) is a token given on
//! the command line or in `GRAPH_UPLOAD_TOKEN`, as before; the other modes ask Azure Identity
//! (the uploader's `azure` feature) and read the variables Azure's own tools read.

use clap::{Args, ValueEnum};
use graph_upload::{AzureCredential, StaticToken, TokenProvider};
use std::fmt;
use std::sync::Arc;

/// Where the bearer token comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum AuthMode {
    /// A bearer token: --token or GRAPH_UPLOAD_TOKEN (the emulator's, or one got elsewhere).
    Token,
    /// The account signed in to the Azure CLI (`az login`): a user's token.
    AzureCli,
    /// An app registration's client secret: AZURE_TENANT_ID, AZURE_CLIENT_ID,
    /// AZURE_CLIENT_SECRET.
    ClientSecret,
    /// The managed identity of the Azure resource this runs on (App Service, Functions, VMs).
    ManagedIdentity,
}

/// The token options of `upload`. Its `Debug` leaves out the token and the client secret.
#[derive(Args)]
pub struct AuthArgs {
    /// Where the bearer token comes from.
    #[arg(long, value_enum, default_value_t = AuthMode::Token)]
    auth: AuthMode,
    /// Bearer token, for --auth token (also GRAPH_UPLOAD_TOKEN).
    #[arg(long, env = "GRAPH_UPLOAD_TOKEN", hide_env_values = true)]
    token: Option<String>,
    /// Directory (tenant) id: required by --auth client-secret; with azure-cli, the tenant
    /// to get the token in.
    #[arg(long, env = "AZURE_TENANT_ID")]
    tenant_id: Option<String>,
    /// Application (client) id: required by --auth client-secret; with managed-identity, the
    /// user-assigned identity to use.
    #[arg(long, env = "AZURE_CLIENT_ID")]
    client_id: Option<String>,
    /// Client secret, for --auth client-secret (prefer the variable AZURE_CLIENT_SECRET: a
    /// flag shows in the process list).
    #[arg(long, env = "AZURE_CLIENT_SECRET", hide_env_values = true)]
    client_secret: Option<String>,
}

impl fmt::Debug for AuthArgs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |value: &Option<String>| value.as_ref().map(|_| "<redacted>");
        f.debug_struct("AuthArgs")
            .field("auth", &self.auth)
            .field("token", &redacted(&self.token))
            .field("tenant_id", &self.tenant_id)
            .field("client_id", &self.client_id)
            .field("client_secret", &redacted(&self.client_secret))
            .finish()
    }
}

impl AuthArgs {
    /// The provider for the chosen mode, shared by the uploader and the CLI's own requests
    /// (so Azure is asked once). A missing setting is one line naming the flag and the
    /// variable.
    pub fn provider(&self) -> Result<Arc<dyn TokenProvider>, String> {
        match self.auth {
            AuthMode::Token => {
                let token = given(&self.token).ok_or(
                    "--auth token needs a bearer token: give --token or set GRAPH_UPLOAD_TOKEN \
                     (or choose another --auth: azure-cli, client-secret, managed-identity)",
                )?;
                Ok(Arc::new(StaticToken::new(token)))
            }
            AuthMode::AzureCli => azure(AzureCredential::azure_cli(given(&self.tenant_id))),
            AuthMode::ClientSecret => {
                let settings = [
                    ("--tenant-id", "AZURE_TENANT_ID", given(&self.tenant_id)),
                    ("--client-id", "AZURE_CLIENT_ID", given(&self.client_id)),
                    (
                        "--client-secret",
                        "AZURE_CLIENT_SECRET",
                        given(&self.client_secret),
                    ),
                ];
                match settings {
                    [
                        (_, _, Some(tenant)),
                        (_, _, Some(client)),
                        (_, _, Some(secret)),
                    ] => azure(AzureCredential::client_secret(tenant, client, secret)),
                    _ => {
                        let missing: Vec<String> = settings
                            .iter()
                            .filter(|(_, _, value)| value.is_none())
                            .map(|(flag, variable, _)| format!("{variable} (or {flag})"))
                            .collect();
                        Err(format!(
                            "--auth client-secret needs the app registration's tenant, client id \
                             and secret; set {}",
                            missing.join(", ")
                        ))
                    }
                }
            }
            AuthMode::ManagedIdentity => {
                azure(AzureCredential::managed_identity(given(&self.client_id)))
            }
        }
    }
}

/// A setting that was given and is not blank (an empty variable counts as unset, as in
/// Azure's tools).
fn given(value: &Option<String>) -> Option<&str> {
    value.as_deref().filter(|value| !value.trim().is_empty())
}

fn azure(
    credential: Result<AzureCredential, graph_upload::CredentialError>,
) -> Result<Arc<dyn TokenProvider>, String> {
    credential
        .map(|credential| Arc::new(credential) as Arc<dyn TokenProvider>)
        .map_err(|error| error.to_string())
}

#[cfg(test)]
#[allow(clippy::unwrap_used)] // The binary denies it for its own code, not for its tests.
mod tests {
    use super::*;
    use clap::Parser;

    #[derive(Parser)]
    struct Cli {
        #[command(flatten)]
        auth: AuthArgs,
    }

    /// Parses `args` with none of the variables set.
    fn parse(args: &[&str]) -> AuthArgs {
        let command =
            <Cli as clap::CommandFactory>::command().mut_args(|arg| arg.env(None::<&str>));
        let matches = command
            .try_get_matches_from(std::iter::once("cli").chain(args.iter().copied()))
            .unwrap();
        <Cli as clap::FromArgMatches>::from_arg_matches(&matches)
            .unwrap()
            .auth
    }

    #[test]
    fn token_is_the_default_mode_and_needs_a_token() {
        let args = parse(&["--token", "t"]);
        assert_eq!(args.auth, AuthMode::Token);
        assert!(args.provider().is_ok());
        let error = parse(&[]).provider().unwrap_err();
        assert!(
            error.starts_with(
                "--auth token needs a bearer token: give --token or set GRAPH_UPLOAD_TOKEN"
            ),
            "{error}"
        );
        assert!(
            parse(&["--token", " "]).provider().is_err(),
            "a blank token"
        );
    }

    #[test]
    fn client_secret_names_every_missing_setting_and_never_the_secret() {
        let error = parse(&["--auth", "client-secret", "--client-id", "c"])
            .provider()
            .unwrap_err();
        assert_eq!(
            error,
            "--auth client-secret needs the app registration's tenant, client id and secret; \
             set AZURE_TENANT_ID (or --tenant-id), AZURE_CLIENT_SECRET (or --client-secret)"
        );
        let args = parse(&[
            "--auth",
            "client-secret",
            "--tenant-id",
            "t",
            "--client-id",
            "c",
            "--client-secret",
            "SECRET-0123",
        ]);
        let provider = args.provider().unwrap();
        let shown = format!("{args:?} {provider:?}");
        assert!(!shown.contains("SECRET-0123"), "{shown}");
        let shown = format!("{:?}", parse(&["--token", "TOKEN-0123"]));
        assert!(!shown.contains("TOKEN-0123"), "{shown}");
        let error = parse(&[
            "--auth",
            "client-secret",
            "--tenant-id",
            "not a tenant",
            "--client-id",
            "c",
            "--client-secret",
            "SECRET-0123",
        ])
        .provider()
        .unwrap_err();
        assert!(error.contains("invalid tenant ID"), "{error}");
        assert!(!error.contains("SECRET-0123"), "{error}");
    }

    #[test]
    fn azure_cli_and_managed_identity_need_no_setting() {
        for mode in ["azure-cli", "managed-identity"] {
            assert!(parse(&["--auth", mode]).provider().is_ok(), "{mode}");
        }
    }
}
