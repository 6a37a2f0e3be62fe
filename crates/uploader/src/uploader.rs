//! The entry point: an [`Uploader`] bound to a Graph base URL, a token provider and a
//! transport, built by [`Uploader::builder`], and the constructors of each flow.

use crate::clock::{Clock, TokioClock};
use crate::credential::{Credential, StaticToken, TokenProvider};
use crate::drive::DriveUpload;
use crate::drive_address::{DriveLocation, DriveOwner};
use crate::engine::Engine;
use crate::error::{InvalidInput, UploadError};
use crate::outlook::{OutlookItem, OutlookUpload};
use crate::print::PrintUpload;
use crate::profile::EndpointProfile;
use crate::retry::RetryPolicy;
use crate::service::{Service, Watch};
use crate::session::SessionUpload;
use crate::todo::TodoUpload;
use graph_upload_models::UploadSession;
use graph_upload_transport::Transport;
use std::sync::Arc;

/// Talks to one Graph endpoint (`https://graph.microsoft.com/v1.0`, or an emulator) with one
/// token provider over one transport. Cheap to clone.
#[derive(Debug, Clone)]
pub struct Uploader {
    service: Service,
}

/// Builds an [`Uploader`]: `Uploader::builder(base_url).token(..).build()`.
#[derive(Debug)]
#[must_use]
pub struct UploaderBuilder {
    base_url: String,
    credential: Option<Arc<dyn TokenProvider>>,
    transport: Option<Arc<dyn Transport>>,
    retry: RetryPolicy,
    clock: Arc<dyn Clock>,
}

impl Uploader {
    /// A builder for `base_url` (including the version: `.../v1.0`).
    pub fn builder(base_url: impl Into<String>) -> UploaderBuilder {
        UploaderBuilder {
            base_url: base_url.into().trim_end_matches('/').to_owned(),
            credential: None,
            transport: None,
            retry: RetryPolicy::default(),
            clock: Arc::new(TokioClock::default()),
        }
    }

    /// A Universal Print document upload to a printer share.
    pub fn print_to_share(&self, share_id: impl Into<String>) -> PrintUpload {
        PrintUpload::new(self.clone(), "shares", share_id.into())
    }

    /// A Universal Print document upload to a printer.
    pub fn print_to_printer(&self, printer_id: impl Into<String>) -> PrintUpload {
        PrintUpload::new(self.clone(), "printers", printer_id.into())
    }

    /// A To Do attachment upload for the signed-in user (`/me`).
    pub fn todo_attachment(
        &self,
        list_id: impl Into<String>,
        task_id: impl Into<String>,
    ) -> TodoUpload {
        TodoUpload::new(self.clone(), None, list_id.into(), task_id.into())
    }

    /// A To Do attachment upload for another user (`/users/{id}`).
    pub fn todo_attachment_for_user(
        &self,
        user_id: impl Into<String>,
        list_id: impl Into<String>,
        task_id: impl Into<String>,
    ) -> TodoUpload {
        TodoUpload::new(
            self.clone(),
            Some(user_id.into()),
            list_id.into(),
            task_id.into(),
        )
    }

    /// A OneDrive or SharePoint file upload into `owner`'s drive at `location`
    /// (`DriveLocation::path("/Documents/report.pdf")` or `DriveLocation::child(parent_id,
    /// name)`).
    pub fn drive_item(&self, owner: DriveOwner, location: DriveLocation) -> DriveUpload {
        DriveUpload::new(self.clone(), owner, location)
    }

    /// A file attachment on an Outlook message or event (`/me`; see
    /// [`OutlookUpload::user`]).
    pub fn outlook_attachment(&self, item: OutlookItem) -> OutlookUpload {
        OutlookUpload::new(self.clone(), item)
    }

    /// Uploads to a session created elsewhere, with the rules of `profile`.
    pub fn existing_session(
        &self,
        session: UploadSession,
        profile: EndpointProfile,
    ) -> SessionUpload {
        SessionUpload::new(self.engine(profile, Watch::default()), session)
    }

    pub(crate) fn service(&self) -> &Service {
        &self.service
    }

    /// The PUT loop for `profile`, reporting to `watch`; it sends the token to the upload URL
    /// only when the profile says so (print's URL is pre-authenticated).
    pub(crate) fn engine(&self, profile: EndpointProfile, watch: Watch) -> Engine {
        Engine {
            transport: Arc::clone(&self.service.transport),
            credential: profile
                .auth_on_upload_url
                .then(|| self.service.credential.clone()),
            profile,
            retry: self.service.retry.clone(),
            clock: Arc::clone(&self.service.clock),
            watch,
            delete_on_cancel: true,
        }
    }
}

impl UploaderBuilder {
    /// A fixed bearer token.
    pub fn token(self, token: impl Into<String>) -> Self {
        self.token_provider(StaticToken::new(token))
    }

    /// Where tokens come from; asked before each request that carries one.
    pub fn token_provider(mut self, provider: impl TokenProvider + 'static) -> Self {
        self.credential = Some(Arc::new(provider));
        self
    }

    /// The HTTP stack (default: the enabled backend, `reqwest` before `hyper`, with
    /// [`TransportConfig::default`](graph_upload_transport::TransportConfig)).
    pub fn transport(mut self, transport: Arc<dyn Transport>) -> Self {
        self.transport = Some(transport);
        self
    }

    /// The retry budget (default [`RetryPolicy::default`]).
    pub fn retry(mut self, retry: RetryPolicy) -> Self {
        self.retry = retry;
        self
    }

    /// The clock and sleep (tests inject one that does not wait).
    pub fn clock(mut self, clock: Arc<dyn Clock>) -> Self {
        self.clock = clock;
        self
    }

    /// The uploader. Fails without a token, and when the default transport cannot be built.
    pub fn build(self) -> Result<Uploader, UploadError> {
        let credential = self.credential.ok_or(InvalidInput::Unsupported(
            "an uploader needs a token: call .token(...) or .token_provider(...)",
        ))?;
        let transport = match self.transport {
            Some(transport) => transport,
            None => default_transport()?,
        };
        Ok(Uploader {
            service: Service {
                base_url: self.base_url,
                credential: Credential(credential),
                transport,
                retry: self.retry,
                clock: self.clock,
            },
        })
    }
}

#[cfg(feature = "reqwest")]
fn default_transport() -> Result<Arc<dyn Transport>, UploadError> {
    let config = graph_upload_transport::TransportConfig::default();
    Ok(Arc::new(
        graph_upload_transport::ReqwestTransport::new(config).map_err(InvalidInput::Client)?,
    ))
}

#[cfg(all(feature = "hyper", not(feature = "reqwest")))]
fn default_transport() -> Result<Arc<dyn Transport>, UploadError> {
    let config = graph_upload_transport::TransportConfig::default();
    Ok(Arc::new(
        graph_upload_transport::HyperTransport::new(config).map_err(InvalidInput::Client)?,
    ))
}

#[cfg(not(any(feature = "reqwest", feature = "hyper")))]
fn default_transport() -> Result<Arc<dyn Transport>, UploadError> {
    Err(InvalidInput::Unsupported(
        "no transport: enable the `reqwest` or `hyper` feature, or pass .transport(...)",
    )
    .into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_uploader_needs_a_token_and_gets_the_enabled_transport_by_default() {
        let error = Uploader::builder("http://127.0.0.1:9/v1.0")
            .build()
            .unwrap_err();
        assert!(
            matches!(error, UploadError::Invalid(InvalidInput::Unsupported(_))),
            "{error:?}"
        );
        let uploader = Uploader::builder("http://127.0.0.1:9/v1.0/")
            .token("t")
            .build();
        #[cfg(any(feature = "reqwest", feature = "hyper"))]
        assert_eq!(
            uploader.unwrap().service().base_url,
            "http://127.0.0.1:9/v1.0"
        );
        #[cfg(not(any(feature = "reqwest", feature = "hyper")))]
        assert!(uploader.is_err());
    }
}
