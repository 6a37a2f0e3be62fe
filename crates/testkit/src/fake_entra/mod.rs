//! Fake sources of Azure tokens, for the tests of the `--auth` modes and of the uploader's
//! `AzureCredential`, all offline on loopback:
//!
//! - [`FakeEntra`]: Microsoft Entra's token endpoint (`POST /{tenant}/oauth2/v2.0/token`,
//!   client credentials), over https with a test certificate authority ([`TestCa`]), since
//!   `azure_identity` refuses an authority host that is not https;
//! - [`FakeManagedIdentity`]: App Service's managed identity endpoint (`IDENTITY_ENDPOINT`,
//!   checked with the `X-IDENTITY-HEADER` secret), over http as Azure's own is;
//! - [`fake_az`]: a fake `az` to put first on a child's `PATH`, printing what
//!   `az account get-access-token -o json` prints.
//!
//! Each hands out the token it was given (the emulator's, so an upload goes through) and
//! records what it was asked, so a test can check the scope, the client id and the secret
//! that reached it.

#[cfg(unix)]
pub mod fake_az;
mod recorded;
mod server;
mod tls;

pub use recorded::Recorded;
pub use tls::TestCa;

use server::{Reply, TokenServer};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

/// Seconds since the epoch, an hour from now: the expiry fake sources hand out.
fn in_an_hour() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("the clock is past 1970")
        .as_secs()
        + 3600
}

/// A fake Microsoft Entra token endpoint over https: answers the client-credentials grant of
/// `client_id` with `client_secret` by `token`, anything else with Entra's `invalid_client`.
pub struct FakeEntra {
    server: TokenServer,
    ca: TestCa,
}

impl FakeEntra {
    /// Starts it on `127.0.0.1:0`, with a certificate from a new [`TestCa`].
    pub async fn start(token: &str, client_id: &str, client_secret: &str) -> FakeEntra {
        let ca = TestCa::new();
        let (token, client_id, client_secret) = (
            token.to_owned(),
            client_id.to_owned(),
            client_secret.to_owned(),
        );
        let answer = move |request: &Recorded| {
            let path_ok = request.method == "POST"
                && request.path.ends_with("/oauth2/v2.0/token")
                && request.path.split('/').count() == 5;
            if !path_ok {
                return Reply::json(404, serde_json::json!({"error": "not_found"}));
            }
            if request.form("grant_type") != Some("client_credentials")
                || request.form("client_id") != Some(&client_id)
                || request.form("client_secret") != Some(&client_secret)
            {
                return Reply::json(
                    401,
                    serde_json::json!({
                        "error": "invalid_client",
                        "error_description": "AADSTS7000215: Invalid client secret provided. \
                            Ensure the secret being sent in the request is the client secret value.",
                        "error_codes": [7000215],
                    }),
                );
            }
            Reply::json(
                200,
                serde_json::json!({
                    "token_type": "Bearer",
                    "expires_in": 3599,
                    "ext_expires_in": 3599,
                    "access_token": token,
                }),
            )
        };
        let server = TokenServer::start(Some(ca.server_config()), Arc::new(answer)).await;
        FakeEntra { server, ca }
    }

    /// The authority host to give Azure Identity (`AZURE_AUTHORITY_HOST`):
    /// `https://127.0.0.1:PORT`.
    pub fn authority_host(&self) -> String {
        format!("https://{}", self.server.addr())
    }

    /// The certificate authority a client must trust to reach it.
    pub fn ca(&self) -> &TestCa {
        &self.ca
    }

    /// Every request it answered so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }
}

/// A fake App Service managed identity endpoint over http: answers `GET /msi/token` with
/// `X-IDENTITY-HEADER: identity_header` by `token`, anything else with `401`.
pub struct FakeManagedIdentity {
    server: TokenServer,
}

impl FakeManagedIdentity {
    /// Starts it on `127.0.0.1:0`.
    pub async fn start(token: &str, identity_header: &str) -> FakeManagedIdentity {
        let (token, identity_header) = (token.to_owned(), identity_header.to_owned());
        let answer = move |request: &Recorded| {
            if request.method != "GET" || request.path != "/msi/token" {
                return Reply::json(404, serde_json::json!({"error": "not_found"}));
            }
            if request.header("x-identity-header") != Some(&identity_header) {
                return Reply::json(
                    401,
                    serde_json::json!({"error": "unauthorized", "error_description": "bad identity header"}),
                );
            }
            Reply::json(
                200,
                serde_json::json!({
                    "access_token": token,
                    // App Service's expires_on is a string of epoch seconds.
                    "expires_on": in_an_hour().to_string(),
                    "resource": request.query("resource").unwrap_or_default(),
                    "token_type": "Bearer",
                }),
            )
        };
        FakeManagedIdentity {
            server: TokenServer::start(None, Arc::new(answer)).await,
        }
    }

    /// The value for `IDENTITY_ENDPOINT`: `http://127.0.0.1:PORT/msi/token`.
    pub fn endpoint(&self) -> String {
        format!("http://{}/msi/token", self.server.addr())
    }

    /// Every request it answered so far.
    pub fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }
}
