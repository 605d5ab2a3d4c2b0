//! The router (API + OpenAPI + SPA) and the server lifecycle: build binds the listener, `port()`
//! exposes it, `run_until_stopped` serves until the shutdown future resolves, then drains.

use std::future::Future;
use std::net::SocketAddr;
use std::path::Path;

use axum::extract::Request;
use axum::http::{header, HeaderValue};
use axum::middleware::{self, Next};
use axum::response::Response;
use axum::routing::{any, get};
use axum::Router;
use tower_http::request_id::{MakeRequestUuid, PropagateRequestIdLayer, SetRequestIdLayer};
use tower_http::services::{ServeDir, ServeFile};
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;
use utoipa::OpenApi;
use utoipa_axum::router::OpenApiRouter;
use utoipa_scalar::{Scalar, Servable};

use crate::error::{ApiError, InternalErrorContext};
use crate::routes;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    info(title = "DocuVault", description = "Self-hostable, multi-user, event-sourced document vault."),
    tags(
        (name = "operations", description = "Health, readiness, metrics"),
        (name = "documents", description = "Uploads, listing, trash and downloads"),
        (name = "folders", description = "The caller's folder tree"),
        (name = "shares", description = "Sharing documents with other users"),
        (name = "quota", description = "Storage quotas"),
        (name = "topics", description = "Topics, document topics and reclassification"),
        (name = "search", description = "Full-text search"),
    )
)]
struct ApiDoc;

/// All `/api` routes plus the generated OpenAPI document.
pub fn api_router() -> (Router<AppState>, utoipa::openapi::OpenApi) {
    OpenApiRouter::with_openapi(ApiDoc::openapi())
        .merge(routes::health::router())
        .merge(routes::auth::router())
        .merge(routes::admin_users::router())
        .merge(routes::admin_erase::router())
        .merge(routes::admin_projections::router())
        .merge(routes::audit::router())
        .merge(routes::blobs::router())
        .merge(routes::documents::router())
        .merge(routes::folders::router())
        .merge(routes::shares::router())
        .merge(routes::storage::router())
        .merge(routes::trash::router())
        .merge(routes::quota::router())
        .merge(routes::topics::router())
        .merge(routes::document_topics::router())
        .merge(routes::search::router())
        .merge(routes::ai_settings::router())
        .split_for_parts()
}

/// The whole application router for a given state.
pub fn router(state: AppState) -> Router {
    let (api, openapi) = api_router();
    let openapi_json = serde_json::to_string(&openapi).expect("openapi serializes");
    let api = api
        .route(
            "/api/openapi.json",
            get(move || async move {
                (
                    [(header::CONTENT_TYPE, "application/json")],
                    openapi_json.clone(),
                )
            }),
        )
        .merge(Scalar::with_url("/api/docs", openapi))
        .route("/metrics", get(routes::health::metrics))
        .route("/api/{*rest}", any(api_not_found))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            crate::consistency::wait_for_token,
        ));
    let web_dir = state.config.web_dir.clone();
    Router::new()
        .merge(api)
        .fallback_service(spa_service(&web_dir))
        .with_state(state)
        .layer(middleware::from_fn(observe_requests))
        .layer(PropagateRequestIdLayer::x_request_id())
        .layer(TraceLayer::new_for_http())
        .layer(SetRequestIdLayer::x_request_id(MakeRequestUuid))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("no-referrer"),
        ))
}

/// Unknown `/api` paths answer problem+json, not the SPA's `index.html`.
async fn api_not_found() -> ApiError {
    ApiError::not_found()
}

/// Serves `web/dist`: hashed assets long-cached, every other path falls back to `index.html`
/// so deep links work.
fn spa_service(dir: &Path) -> Router<()> {
    let index = dir.join("index.html");
    let assets = ServeDir::new(dir.join("assets"));
    let files = ServeDir::new(dir).fallback(ServeFile::new(index));
    Router::new()
        .nest_service(
            "/assets",
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("public, max-age=31536000, immutable"),
                ))
                .service(assets),
        )
        .fallback_service(
            tower::ServiceBuilder::new()
                .layer(SetResponseHeaderLayer::overriding(
                    header::CACHE_CONTROL,
                    HeaderValue::from_static("no-cache"),
                ))
                .service(files),
        )
}

/// Counts requests by method and status, times them, and logs the internal context of 5xx
/// responses (`IntoResponse` itself has no side effects).
async fn observe_requests(req: Request, next: Next) -> Response {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let started = std::time::Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    metrics::counter!("docuvault_http_requests_total", "method" => method.to_string(), "status" => status)
        .increment(1);
    metrics::histogram!("docuvault_http_request_duration_seconds", "method" => method.to_string())
        .record(started.elapsed().as_secs_f64());
    if res.status().is_server_error() {
        let ctx = res
            .extensions()
            .get::<InternalErrorContext>()
            .map(|c| c.0.as_str())
            .unwrap_or("-");
        tracing::error!(%method, %path, status = res.status().as_u16(), error = ctx, "request failed");
    }
    res
}

/// A bound server, not yet serving.
pub struct Application {
    listener: tokio::net::TcpListener,
    router: Router,
}

impl Application {
    /// Binds first, so tests can read the port before anything is spawned.
    pub async fn build(state: AppState, bind: SocketAddr) -> anyhow::Result<Self> {
        let listener = tokio::net::TcpListener::bind(bind).await?;
        Ok(Self {
            listener,
            router: router(state),
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("bound listener has an address")
    }

    pub fn port(&self) -> u16 {
        self.local_addr().port()
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish.
    pub async fn run_until_stopped(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        axum::serve(
            self.listener,
            self.router
                .into_make_service_with_connect_info::<SocketAddr>(),
        )
        .with_graceful_shutdown(shutdown)
        .await
    }
}
