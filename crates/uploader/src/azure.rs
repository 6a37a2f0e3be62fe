//! Tokens for real Microsoft Graph from Azure Identity (feature `azure`): an adapter from
//! `azure_identity`'s `TokenCredential` to the uploader's [`TokenProvider`], asking for
//! Graph's `.default` scope and caching the token until shortly before it expires. The
//! uploader asks its provider before every request that carries the token; without the cache
//! an upload through the Azure CLI would start `az` once per fragment.

use crate::credential::{AccessToken, CredentialError, TokenProvider};
use async_trait::async_trait;
use azure_core::credentials::{Secret, TokenCredential};
use azure_identity::{
    AzureCliCredential, AzureCliCredentialOptions, ClientSecretCredential,
    ManagedIdentityCredential, ManagedIdentityCredentialOptions, UserAssignedId,
    WorkloadIdentityCredential,
};
use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime};
use tokio::sync::Mutex;

/// The scope of a token for Microsoft Graph: the permissions granted to the application (or
/// consented for the user), as Graph's `.default` scope names them.
pub const GRAPH_SCOPE: &str = "https://graph.microsoft.com/.default";

/// How long before its expiry a cached token is replaced: a request that starts with a token
/// must not reach Graph after it expired, and a slow fragment can take minutes.
pub const REFRESH_MARGIN: Duration = Duration::from_secs(5 * 60);

/// Wall time, as the token's `expires_on` is: injectable so tests need not wait for hours.
type WallClock = Arc<dyn Fn() -> SystemTime + Send + Sync>;

/// A [`TokenProvider`] over any Azure Identity credential (feature `azure`).
///
/// Tokens are asked for [`GRAPH_SCOPE`] and kept until [`REFRESH_MARGIN`] before they expire;
/// concurrent requests that find no valid token wait for one request to the credential
/// instead of each asking. A failure is a [`CredentialError`] whose message says which
/// source failed and why (Azure's own message, on one line) and whose source is the Azure
/// error. Neither the token nor a client secret is ever part of `Debug` or an error.
///
/// ```no_run
/// use graph_upload::{AzureCredential, Uploader};
///
/// # fn f() -> Result<(), Box<dyn std::error::Error>> {
/// let uploader = Uploader::builder("https://graph.microsoft.com/v1.0")
///     .token_provider(AzureCredential::azure_cli(None)?)
///     .build()?;
/// # Ok(()) }
/// ```
///
/// # Using real Microsoft Graph
///
/// `graph-upload upload` takes `--auth MODE`; the library has one constructor per mode.
///
/// | `--auth` | constructor | reads | for |
/// | --- | --- | --- | --- |
/// | `token` (default) | `Uploader::builder(..).token(..)` | `--token` / `GRAPH_UPLOAD_TOKEN` | a token you got elsewhere, the emulator |
/// | `azure-cli` | [`AzureCredential::azure_cli`] | the account of `az login` (`--tenant-id` / `AZURE_TENANT_ID` picks the tenant) | a person at a terminal (delegated) |
/// | `client-secret` | [`AzureCredential::client_secret`] | `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_CLIENT_SECRET` (or `--tenant-id`, `--client-id`, `--client-secret`) | a daemon or CI job (application) |
/// | `managed-identity` | [`AzureCredential::managed_identity`] | App Service's `IDENTITY_ENDPOINT`/`IDENTITY_HEADER`, else the VM's IMDS; `AZURE_CLIENT_ID` picks a user-assigned identity | code running in Azure (application) |
/// | — | [`AzureCredential::workload_identity`] | `AZURE_TENANT_ID`, `AZURE_CLIENT_ID`, `AZURE_FEDERATED_TOKEN_FILE` | AKS workload identity (application) |
///
/// `AZURE_AUTHORITY_HOST` (https only) selects another cloud's Microsoft Entra endpoint.
/// Every mode asks for `https://graph.microsoft.com/.default`: the token carries the
/// permissions granted to the app registration (or consented for the signed-in user) under
/// *API permissions → Microsoft Graph* in Microsoft Entra ID. What Graph documents for each
/// call of the two flows:
///
/// | flow | delegated: a user's token (`token`, `azure-cli`) | application: no user (`client-secret`, `managed-identity`, workload identity) |
/// | --- | --- | --- |
/// | `upload print --share` / `--printer` (create the job, upload, start) | `PrintJob.ReadWriteBasic` to create the job, `PrintJob.Create` to upload and start it (or `PrintJob.ReadWrite` for all), and a permission to read the share or printer (`PrinterShare.ReadBasic.All`, `Printer.Read.All`); `--printer` also needs a Printer Administrator | not supported: Graph creates and starts print jobs only for a user |
/// | `upload print --job --document --no-start` (an existing job) | `PrintJob.Create` | `PrintJob.ReadWrite.All`, and only while a print task of the app's own task trigger processes the job (pull printing) |
/// | `upload todo` (To Do attachment) | `Tasks.ReadWrite` | not supported: To Do attachments are delegated only |
///
/// So the application modes fit pull-printing services; people and scripts acting for a
/// person need a delegated token. Application permissions need an administrator's consent, and
/// a managed identity's are granted to its service principal (app role assignments), not on
/// the portal's API permissions page. The Azure CLI's token carries the scopes Microsoft
/// pre-authorised for the Azure CLI's own app, which may not include Universal Print's or
/// To Do's: when Graph answers `403`, get a token for an app registration of your own and pass
/// it with `--token`.
pub struct AzureCredential {
    credential: Arc<dyn TokenCredential>,
    /// Who is asked, for error messages: "the Azure CLI", "Microsoft Entra (client secret)".
    source: &'static str,
    scope: String,
    margin: Duration,
    /// The token in use; the lock is held while a new one is asked for.
    cache: Mutex<Option<AccessToken>>,
    now: WallClock,
}

impl AzureCredential {
    /// Tokens for Graph from any Azure Identity credential (for example one built with
    /// options: another authority host, a custom HTTP client).
    pub fn new(credential: Arc<dyn TokenCredential>) -> Self {
        AzureCredential::named(credential, "the Azure credential")
    }

    /// An application's client secret (`AZURE_TENANT_ID`, `AZURE_CLIENT_ID`,
    /// `AZURE_CLIENT_SECRET` in Azure's tools), exchanged at Microsoft Entra's token endpoint
    /// (`AZURE_AUTHORITY_HOST`, default `https://login.microsoftonline.com`).
    pub fn client_secret(
        tenant_id: &str,
        client_id: &str,
        client_secret: &str,
    ) -> Result<Self, CredentialError> {
        const SOURCE: &str = "Microsoft Entra (client secret)";
        let credential = ClientSecretCredential::new(
            tenant_id,
            client_id.to_owned(),
            Secret::new(client_secret.to_owned()),
            None,
        )
        .map_err(|error| failed(SOURCE, error))?;
        Ok(AzureCredential::named(credential, SOURCE))
    }

    /// The account signed in to the Azure CLI (`az login`), through
    /// `az account get-access-token`; in `tenant_id` when given.
    pub fn azure_cli(tenant_id: Option<&str>) -> Result<Self, CredentialError> {
        const SOURCE: &str = "the Azure CLI";
        let options = AzureCliCredentialOptions {
            tenant_id: tenant_id.map(str::to_owned),
            ..AzureCliCredentialOptions::default()
        };
        let credential =
            AzureCliCredential::new(Some(options)).map_err(|error| failed(SOURCE, error))?;
        Ok(AzureCredential::named(credential, SOURCE))
    }

    /// The managed identity of the Azure resource this runs on (App Service and Functions
    /// through `IDENTITY_ENDPOINT`/`IDENTITY_HEADER`, virtual machines through IMDS): the
    /// system-assigned one, or the user-assigned one with this client id.
    pub fn managed_identity(
        user_assigned_client_id: Option<&str>,
    ) -> Result<Self, CredentialError> {
        const SOURCE: &str = "the managed identity endpoint";
        let options = ManagedIdentityCredentialOptions {
            user_assigned_id: user_assigned_client_id
                .map(|id| UserAssignedId::ClientId(id.to_owned())),
            ..ManagedIdentityCredentialOptions::default()
        };
        let credential =
            ManagedIdentityCredential::new(Some(options)).map_err(|error| failed(SOURCE, error))?;
        Ok(AzureCredential::named(credential, SOURCE))
    }

    /// Microsoft Entra Workload ID on Kubernetes: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and
    /// `AZURE_FEDERATED_TOKEN_FILE`, as the workload identity webhook sets them.
    pub fn workload_identity() -> Result<Self, CredentialError> {
        const SOURCE: &str = "Microsoft Entra (workload identity)";
        let credential =
            WorkloadIdentityCredential::new(None).map_err(|error| failed(SOURCE, error))?;
        Ok(AzureCredential::named(credential, SOURCE))
    }

    /// Another scope than [`GRAPH_SCOPE`] (for example a national cloud's Graph,
    /// `https://graph.microsoft.us/.default`).
    pub fn with_scope(mut self, scope: impl Into<String>) -> Self {
        self.scope = scope.into();
        self
    }

    /// Another margin than [`REFRESH_MARGIN`].
    pub fn with_refresh_margin(mut self, margin: Duration) -> Self {
        self.margin = margin;
        self
    }

    fn named(credential: Arc<dyn TokenCredential>, source: &'static str) -> Self {
        AzureCredential {
            credential,
            source,
            scope: GRAPH_SCOPE.to_owned(),
            margin: REFRESH_MARGIN,
            cache: Mutex::new(None),
            now: Arc::new(SystemTime::now),
        }
    }

    /// Whether `token` can still be handed out at `now`.
    fn fresh(&self, token: &AccessToken, now: SystemTime) -> bool {
        token
            .expires_on()
            .and_then(|expires| expires.checked_sub(self.margin))
            .is_some_and(|refresh_at| now < refresh_at)
    }
}

#[async_trait]
impl TokenProvider for AzureCredential {
    async fn token(&self) -> Result<AccessToken, CredentialError> {
        let mut cache = self.cache.lock().await;
        if let Some(token) = cache.as_ref().filter(|t| self.fresh(t, (self.now)())) {
            return Ok(token.clone());
        }
        let azure = self
            .credential
            .get_token(&[self.scope.as_str()], None)
            .await
            .map_err(|error| failed(self.source, error))?;
        let token = AccessToken::new(
            azure.token.secret(),
            Some(SystemTime::from(azure.expires_on)),
        );
        *cache = Some(token.clone());
        Ok(token)
    }
}

impl fmt::Debug for AzureCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The inner credential's Debug is Azure's, which leaves secrets out; the cached token
        // is ours, whose Debug redacts it.
        f.debug_struct("AzureCredential")
            .field("source", &self.source)
            .field("scope", &self.scope)
            .field("margin", &self.margin)
            .field("credential", &self.credential)
            .finish_non_exhaustive()
    }
}

/// `source` failed: Azure's message on one line (it can span several, with a troubleshooting
/// link), and the Azure error as the source.
fn failed(source: &str, error: azure_core::Error) -> CredentialError {
    let reason = error
        .to_string()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    CredentialError::with_source(format!("{source} gave no token: {reason}"), error)
}

#[cfg(test)]
mod tests {
    use super::*;
    use azure_core::credentials::TokenRequestOptions;
    use azure_core::error::ErrorKind;
    use azure_core::time::OffsetDateTime;
    use std::sync::atomic::{AtomicU32, Ordering};

    /// A credential that counts its calls and hands out `t{n}`, valid for `lifetime` from the
    /// test clock's now; or fails with a message.
    #[derive(Debug)]
    struct Counting {
        calls: AtomicU32,
        lifetime: Duration,
        now: Arc<std::sync::Mutex<SystemTime>>,
        scopes: std::sync::Mutex<Vec<String>>,
        fail: Option<&'static str>,
    }

    #[async_trait]
    impl TokenCredential for Counting {
        async fn get_token(
            &self,
            scopes: &[&str],
            _: Option<TokenRequestOptions<'_>>,
        ) -> azure_core::Result<azure_core::credentials::AccessToken> {
            let n = self.calls.fetch_add(1, Ordering::SeqCst);
            self.scopes
                .lock()
                .unwrap()
                .extend(scopes.iter().map(|s| s.to_string()));
            // Let concurrent callers pile up on the cache's lock.
            tokio::task::yield_now().await;
            if let Some(message) = self.fail {
                return Err(azure_core::Error::with_message(
                    ErrorKind::Credential,
                    message,
                ));
            }
            let expires = *self.now.lock().unwrap() + self.lifetime;
            Ok(azure_core::credentials::AccessToken::new(
                format!("t{n}"),
                OffsetDateTime::from(expires),
            ))
        }
    }

    struct Fixture {
        inner: Arc<Counting>,
        now: Arc<std::sync::Mutex<SystemTime>>,
        credential: AzureCredential,
    }

    impl Fixture {
        fn new(lifetime: Duration, fail: Option<&'static str>) -> Self {
            let now = Arc::new(std::sync::Mutex::new(
                SystemTime::UNIX_EPOCH + HOUR * 480_000,
            ));
            let inner = Arc::new(Counting {
                calls: AtomicU32::new(0),
                lifetime,
                now: Arc::clone(&now),
                scopes: std::sync::Mutex::new(Vec::new()),
                fail,
            });
            let mut credential = AzureCredential::new(inner.clone());
            let clock = Arc::clone(&now);
            credential.now = Arc::new(move || *clock.lock().unwrap());
            Fixture {
                inner,
                now,
                credential,
            }
        }

        fn advance(&self, by: Duration) {
            *self.now.lock().unwrap() += by;
        }

        fn calls(&self) -> u32 {
            self.inner.calls.load(Ordering::SeqCst)
        }

        async fn secret(&self) -> String {
            self.credential.token().await.unwrap().secret().to_owned()
        }
    }

    const HOUR: Duration = Duration::from_secs(3600);
    const MINUTE: Duration = Duration::from_secs(60);

    #[tokio::test]
    async fn a_token_is_reused_until_the_margin_before_its_expiry_then_asked_again() {
        let fixture = Fixture::new(HOUR, None);
        assert_eq!(fixture.secret().await, "t0");
        let first = fixture.credential.token().await.unwrap();
        assert_eq!(
            first.expires_on(),
            Some(*fixture.now.lock().unwrap() + HOUR),
            "the expiry is Azure's"
        );
        // 54 minutes in: still 6 minutes left, more than the 5-minute margin.
        fixture.advance(54 * MINUTE);
        assert_eq!(fixture.secret().await, "t0");
        assert_eq!(fixture.calls(), 1, "asked again within the validity");
        // 55 minutes in: exactly the margin left, so a new token.
        fixture.advance(MINUTE);
        assert_eq!(fixture.secret().await, "t1");
        assert_eq!(fixture.calls(), 2);
        assert_eq!(fixture.secret().await, "t1");
        assert_eq!(fixture.calls(), 2);
        assert_eq!(
            *fixture.inner.scopes.lock().unwrap(),
            [GRAPH_SCOPE, GRAPH_SCOPE]
        );
    }

    #[tokio::test]
    async fn a_token_shorter_lived_than_the_margin_is_asked_for_each_time() {
        let fixture = Fixture::new(4 * MINUTE, None);
        assert_eq!(fixture.secret().await, "t0");
        assert_eq!(fixture.secret().await, "t1");
        let mut fixture = Fixture::new(4 * MINUTE, None);
        fixture.credential = fixture.credential.with_refresh_margin(MINUTE);
        assert_eq!(fixture.secret().await, "t0");
        assert_eq!(fixture.secret().await, "t0");
        assert_eq!(fixture.calls(), 1);
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_requests_without_a_token_ask_the_credential_once() {
        let fixture = Arc::new(Fixture::new(HOUR, None));
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let fixture = Arc::clone(&fixture);
                tokio::spawn(async move { fixture.secret().await })
            })
            .collect();
        for task in tasks {
            assert_eq!(task.await.unwrap(), "t0");
        }
        assert_eq!(fixture.calls(), 1);
    }

    #[tokio::test]
    async fn a_failure_names_the_source_keeps_azures_error_and_is_not_cached() {
        let fixture = Fixture::new(
            HOUR,
            Some("Please run 'az login'\nTo troubleshoot, visit x"),
        );
        let error = fixture.credential.token().await.unwrap_err();
        assert_eq!(
            error.to_string(),
            "the Azure credential gave no token: Please run 'az login' To troubleshoot, visit x"
        );
        let source = std::error::Error::source(&error).expect("the Azure error is the source");
        assert!(
            source.downcast_ref::<azure_core::Error>().is_some(),
            "{source:?}"
        );
        assert!(fixture.credential.token().await.is_err());
        assert_eq!(fixture.calls(), 2, "a failure is not cached");
        assert_eq!(
            fixture.credential.with_scope("s").scope,
            "s",
            "the scope can be changed"
        );
    }

    #[tokio::test]
    async fn neither_the_token_nor_a_client_secret_prints() {
        let fixture = Fixture::new(HOUR, None);
        let token = fixture.credential.token().await.unwrap();
        assert_eq!(token.secret(), "t0");
        let debug = format!("{:?} {token:?}", fixture.credential);
        assert!(!debug.contains("t0"), "{debug}");

        let secret = "CLIENT-SECRET-value~0123456789";
        let credential = AzureCredential::client_secret("tenant-id", "client-id", secret).unwrap();
        let debug = format!("{credential:?}");
        assert!(!debug.contains(secret), "{debug}");
        // A bad tenant is refused when built, without the secret in the error.
        let error = AzureCredential::client_secret("bad tenant/", "client-id", secret).unwrap_err();
        let shown = format!("{error} {error:?}");
        assert!(shown.contains("invalid tenant ID"), "{shown}");
        assert!(!shown.contains(secret), "{shown}");
    }
}
