//! `/api/auth/*`: registration, login, refresh, logout, the account itself, password change and
//! TOTP. The paths, shapes, statuses and codes are a fixed contract.

use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use commands::identity::password::ChangePassword;
use commands::identity::{self as identity, IdentityError, LoginRequest as LoginCommand, Session};
use commands::{Actor, CommandContext};
use domain::user::{Email, Role, User};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, OpenApi, ToSchema};
use utoipa_axum::{router::OpenApiRouter, routes};
use uuid::Uuid;

use crate::auth::cookie::{clear_cookie, read_cookie, require_same_origin, set_cookie};
use crate::auth::errors::throttled;
use crate::auth::{Authenticated, ClientInfo};
use crate::consistency::ConsistencyToken;
use crate::error::{ApiError, ApiResult};
use crate::extract::ApiQuery;
use crate::json::ApiJson;
use crate::state::AppState;

#[derive(OpenApi)]
#[openapi(
    modifiers(&BearerScheme),
    tags((name = "auth", description = "Accounts, sessions, passwords and two-factor authentication"))
)]
struct AuthDoc;

/// Declares the `bearer` security scheme the protected routes refer to.
pub struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .bearer_format("JWT")
                    .description(Some(
                        "Access token from /api/auth/login or /api/auth/refresh (15 minutes).",
                    ))
                    .build(),
            ),
        );
    }
}

pub fn router() -> OpenApiRouter<AppState> {
    OpenApiRouter::with_openapi(AuthDoc::openapi())
        .routes(routes!(register))
        .routes(routes!(login))
        .routes(routes!(refresh))
        .routes(routes!(logout))
        .routes(routes!(me))
        .routes(routes!(change_password))
        .routes(routes!(totp_enroll))
        .routes(routes!(totp_confirm))
        .routes(routes!(totp_disable))
}

/// A command context for this request.
pub(crate) fn command_ctx(state: &AppState, client: &ClientInfo, actor: Actor) -> CommandContext {
    let mut ctx =
        CommandContext::system(state.store.clone(), state.clock.clone()).with_actor(actor);
    ctx.client_ip = client.ip.map(|ip| ip.to_string());
    ctx.user_agent = client.user_agent.clone();
    ctx.request_id = client.request_id.clone();
    ctx
}

/// A role as it appears in the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum RoleDto {
    User,
    Admin,
    Auditor,
}

impl From<Role> for RoleDto {
    fn from(r: Role) -> Self {
        match r {
            Role::User => RoleDto::User,
            Role::Admin => RoleDto::Admin,
            Role::Auditor => RoleDto::Auditor,
        }
    }
}

impl From<RoleDto> for Role {
    fn from(r: RoleDto) -> Self {
        match r {
            RoleDto::User => Role::User,
            RoleDto::Admin => Role::Admin,
            RoleDto::Auditor => Role::Auditor,
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct RegisterRequest {
    #[schema(example = "ann@example.org")]
    pub email: String,
    /// 3–32 characters of `a-z`, `0-9`, `_` (case-insensitive; stored lower-case).
    #[schema(example = "ann")]
    pub handle: String,
    /// 12–1024 characters; not a common password; must not contain the handle or email.
    pub password: String,
}

#[derive(Serialize, ToSchema)]
pub struct UserSummary {
    pub id: Uuid,
    pub email: String,
    pub handle: String,
    pub role: RoleDto,
}

impl From<&identity::Registered> for UserSummary {
    fn from(r: &identity::Registered) -> Self {
        Self {
            id: r.user_id.0,
            email: r.email.as_str().to_owned(),
            handle: r.handle.as_str().to_owned(),
            role: r.role.into(),
        }
    }
}

/// Create an account (role `user`).
#[utoipa::path(post, path = "/api/auth/register", tag = "auth",
    request_body = RegisterRequest,
    responses(
        (status = 201, body = UserSummary, description = "Registered"),
        (status = 409, description = "`email_taken` or `handle_taken`"),
        (status = 422, description = "`invalid_email`, `invalid_handle`, `password_too_short`, `password_too_long`, `password_too_common`, `password_breached`, `password_contains_handle`, `password_contains_email`"),
        (status = 503, description = "`overloaded`: retry after `Retry-After` seconds"),
    ))]
async fn register(
    State(state): State<AppState>,
    client: ClientInfo,
    ApiJson(req): ApiJson<RegisterRequest>,
) -> ApiResult<impl IntoResponse> {
    let ctx = command_ctx(&state, &client, Actor::Anonymous);
    let done = identity::register(
        &ctx,
        &state.identity.deps,
        identity::RegisterUser {
            email: req.email,
            handle: req.handle,
            password: req.password,
            role: Role::User,
        },
    )
    .await?;
    Ok((
        StatusCode::CREATED,
        ConsistencyToken(done.position),
        Json(UserSummary::from(&done)),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
    /// The current TOTP code, or one of the recovery codes, when the account has TOTP enabled.
    #[serde(default)]
    pub totp_code: Option<String>,
}

/// `?cookie=true`: deliver the refresh token as an `HttpOnly; Secure; SameSite=Strict` cookie
/// scoped to `/api/auth` instead of in the body. Refresh and logout then read it from the cookie
/// (and require a same-origin `Origin` header).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct CookieMode {
    #[serde(default)]
    pub cookie: bool,
}

#[derive(Serialize, ToSchema)]
pub struct TokenResponse {
    pub access_token: String,
    #[schema(example = "Bearer")]
    pub token_type: &'static str,
    /// Seconds until the access token expires.
    #[schema(example = 900)]
    pub expires_in: i64,
    /// Absent in cookie mode.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

fn session_response(state: &AppState, session: Session, cookie: bool) -> Response {
    let access_token = state
        .identity
        .jwt
        .issue(session.user_id.0, session.role, session.issued_at);
    let mut headers = HeaderMap::new();
    let refresh_token = if cookie {
        headers.insert(
            header::SET_COOKIE,
            set_cookie(
                &session.refresh_token,
                session.refresh_expires_at,
                state.clock.now(),
            ),
        );
        None
    } else {
        Some(session.refresh_token)
    };
    headers.insert(header::CACHE_CONTROL, "no-store".parse().expect("static"));
    (
        headers,
        ConsistencyToken(session.position),
        Json(TokenResponse {
            access_token,
            token_type: "Bearer",
            expires_in: crate::auth::jwt::ACCESS_TOKEN_SECONDS,
            refresh_token,
        }),
    )
        .into_response()
}

/// Sign in. Unknown email and wrong password answer identically (`invalid_credentials`).
#[utoipa::path(post, path = "/api/auth/login", tag = "auth",
    params(CookieMode),
    request_body = LoginRequest,
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "`invalid_credentials`, `totp_required` or `totp_invalid`"),
        (status = 403, description = "`account_deactivated`"),
        (status = 429, description = "`too_many_attempts`: wait `Retry-After` seconds"),
        (status = 503, description = "`overloaded`"),
    ))]
async fn login(
    State(state): State<AppState>,
    ApiQuery(mode): ApiQuery<CookieMode>,
    client: ClientInfo,
    ApiJson(req): ApiJson<LoginRequest>,
) -> ApiResult<Response> {
    let id = &state.identity;
    // The throttle's account key is the keyed hash of the email: the same for existing and
    // unknown accounts, so throttling reveals nothing either.
    let account = Email::parse(&req.email)
        .ok()
        .map(|e| id.deps.index.email(&e));
    id.throttle
        .check(state.clock.now(), account, client.ip)
        .map_err(throttled)?;
    let ctx = command_ctx(&state, &client, Actor::Anonymous);
    let outcome = identity::login(
        &ctx,
        &id.deps,
        LoginCommand {
            email: req.email,
            password: req.password,
            totp_code: req.totp_code,
        },
    )
    .await?;
    match outcome {
        Ok(session) => {
            id.throttle.succeeded(account, client.ip);
            Ok(session_response(&state, session, mode.cookie))
        }
        Err(failed) => {
            if matches!(
                failed.error,
                IdentityError::InvalidCredentials | IdentityError::TotpInvalid
            ) {
                id.throttle.failed(state.clock.now(), account, client.ip);
            }
            Err(failed.error.into())
        }
    }
}

#[derive(Deserialize, ToSchema, Default)]
pub struct RefreshRequest {
    /// Omit in cookie mode.
    #[serde(default)]
    pub refresh_token: Option<String>,
}

/// The refresh token from the body, else from the cookie (then the request must be same-origin).
/// Returns it and whether it came from the cookie.
fn presented_refresh_token(
    state: &AppState,
    headers: &HeaderMap,
    body: Option<RefreshRequest>,
) -> ApiResult<Option<(String, bool)>> {
    if let Some(token) = body.and_then(|b| b.refresh_token).filter(|t| !t.is_empty()) {
        return Ok(Some((token, false)));
    }
    match read_cookie(headers) {
        Some(token) => {
            require_same_origin(headers, state.identity.public_origin.as_deref())?;
            Ok(Some((token, true)))
        }
        None => Ok(None),
    }
}

/// Exchange a refresh token for a new pair (rotation). Presenting an already-rotated token
/// revokes its whole family.
#[utoipa::path(post, path = "/api/auth/refresh", tag = "auth",
    params(CookieMode),
    request_body(content = RefreshRequest, description = "Optional in cookie mode"),
    responses(
        (status = 200, body = TokenResponse),
        (status = 401, description = "`invalid_refresh_token`"),
        (status = 403, description = "`origin_mismatch` (cookie mode)"),
    ))]
async fn refresh(
    State(state): State<AppState>,
    ApiQuery(mode): ApiQuery<CookieMode>,
    headers: HeaderMap,
    client: ClientInfo,
    body: Option<ApiJson<RefreshRequest>>,
) -> ApiResult<Response> {
    let Some((token, from_cookie)) =
        presented_refresh_token(&state, &headers, body.map(|ApiJson(b)| b))?
    else {
        return Err(IdentityError::InvalidRefreshToken.into());
    };
    let ctx = command_ctx(&state, &client, Actor::Anonymous);
    let session = identity::refresh(&ctx, &token).await?;
    Ok(session_response(
        &state,
        session,
        mode.cookie || from_cookie,
    ))
}

#[derive(Deserialize, ToSchema, Default)]
pub struct LogoutRequest {
    /// Omit in cookie mode.
    #[serde(default)]
    pub refresh_token: Option<String>,
    /// "Sign out everywhere": revoke every refresh family of the signed-in account (needs the
    /// bearer token), not only the presented one, and void every access token issued so far.
    #[serde(default)]
    pub all: bool,
}

/// Sign out: revokes the refresh token's family (always 204), or with `{"all": true}` and a bearer
/// token every family of the account and every access token issued before now.
#[utoipa::path(post, path = "/api/auth/logout", tag = "auth",
    request_body(content = LogoutRequest, description = "Optional in cookie mode"),
    responses(
        (status = 204, description = "Signed out (also for unknown tokens)"),
        (status = 401, description = "`all: true` without a valid bearer token"),
        (status = 403, description = "`origin_mismatch` (cookie mode)"),
    ))]
async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    client: ClientInfo,
    who: Result<Authenticated, ApiError>,
    body: Option<ApiJson<LogoutRequest>>,
) -> ApiResult<Response> {
    let req = body.map(|ApiJson(b)| b).unwrap_or_default();
    let everywhere = req.all;
    let presented = presented_refresh_token(
        &state,
        &headers,
        Some(RefreshRequest {
            refresh_token: req.refresh_token,
        }),
    )?;
    let mut position = None;
    if everywhere {
        let who = who?;
        let ctx = command_ctx(&state, &client, who.actor());
        let (auth, at) = identity::logout_everywhere(&ctx, who.id).await?;
        // This instance refuses the old access tokens from the next request on.
        state.identity.cache.put_from_command(auth, at);
        position = at;
    } else if let Some((token, _)) = &presented {
        let ctx = command_ctx(&state, &client, Actor::Anonymous);
        position = identity::logout(&ctx, token).await?;
    }
    let mut res = (StatusCode::NO_CONTENT, ConsistencyToken(position), ()).into_response();
    if read_cookie(&headers).is_some() {
        res.headers_mut().insert(header::SET_COOKIE, clear_cookie());
    }
    Ok(res)
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    pub id: Uuid,
    pub email: String,
    pub handle: String,
    pub role: RoleDto,
    pub totp_enabled: bool,
    pub created_at: DateTime<Utc>,
}

impl Me {
    /// From the user's folded stream (when the read model does not have them yet).
    fn from_state(user: &User) -> Option<Self> {
        Some(Self {
            id: user.id?.0,
            email: user.email.as_ref().map(|e| e.display()).unwrap_or_default(),
            handle: user.handle.clone(),
            role: user.role?.into(),
            totp_enabled: user.totp.enabled(),
            created_at: user.registered_at?,
        })
    }
}

/// The signed-in account.
#[utoipa::path(get, path = "/api/auth/me", tag = "auth",
    security(("bearer" = [])),
    responses((status = 200, body = Me), (status = 401, description = "Not signed in")))]
async fn me(State(state): State<AppState>, who: Authenticated) -> ApiResult<Json<Me>> {
    if let Some(row) = state.users.user(who.id.0).await? {
        let role: Role = row.role.parse().map_err(ApiError::internal)?;
        return Ok(Json(Me {
            id: row.id,
            email: row.email.unwrap_or_else(|| "[erased]".into()),
            handle: row.handle,
            role: role.into(),
            totp_enabled: row.totp_enabled,
            created_at: row.created_at,
        }));
    }
    let ctx = CommandContext::system(state.store.clone(), state.clock.clone());
    let loaded = commands::load::<User>(&ctx, who.id.0).await?;
    Me::from_state(&loaded.state)
        .map(Json)
        .ok_or_else(ApiError::not_found)
}

#[derive(Deserialize, ToSchema)]
pub struct ChangePasswordRequest {
    pub current_password: String,
    pub new_password: String,
}

/// Change the password. Every refresh family is revoked and existing access tokens stop working.
#[utoipa::path(post, path = "/api/auth/password", tag = "auth",
    security(("bearer" = [])),
    request_body = ChangePasswordRequest,
    responses(
        (status = 204, description = "Changed; sign in again"),
        (status = 403, description = "`wrong_password`"),
        (status = 422, description = "The new password breaks the policy (`password_*` codes)"),
    ))]
async fn change_password(
    State(state): State<AppState>,
    who: Authenticated,
    client: ClientInfo,
    ApiJson(req): ApiJson<ChangePasswordRequest>,
) -> ApiResult<impl IntoResponse> {
    let ctx = command_ctx(&state, &client, who.actor());
    let (auth, position) = identity::password::change_password(
        &ctx,
        &state.identity.deps,
        who.id,
        ChangePassword {
            current_password: req.current_password,
            new_password: req.new_password,
        },
    )
    .await?;
    state.identity.cache.put_from_command(auth, position);
    Ok((StatusCode::NO_CONTENT, ConsistencyToken(position), ()))
}

#[derive(Serialize, ToSchema)]
pub struct TotpEnrollment {
    /// Base32 secret, for apps that cannot scan.
    pub secret: String,
    pub otpauth_uri: String,
    /// The otpauth URI as an SVG QR code.
    pub qr_svg: String,
}

/// Start TOTP enrolment: a new secret (TOTP is enabled only once a code is confirmed).
#[utoipa::path(post, path = "/api/auth/totp/enroll", tag = "auth",
    security(("bearer" = [])),
    responses(
        (status = 200, body = TotpEnrollment),
        (status = 409, description = "`totp_already_enabled`"),
    ))]
async fn totp_enroll(
    State(state): State<AppState>,
    who: Authenticated,
    client: ClientInfo,
) -> ApiResult<impl IntoResponse> {
    let ctx = command_ctx(&state, &client, who.actor());
    let enrolment = identity::totp::enroll(&ctx, &state.identity.deps, who.id).await?;
    let qr_svg = crate::auth::qr::qr_svg(&enrolment.otpauth_uri);
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        ConsistencyToken(enrolment.position),
        Json(TotpEnrollment {
            secret: enrolment.secret,
            otpauth_uri: enrolment.otpauth_uri,
            qr_svg,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct TotpConfirmRequest {
    #[schema(example = "123456")]
    pub code: String,
}

#[derive(Serialize, ToSchema)]
pub struct RecoveryCodes {
    /// Ten single-use codes, each accepted once in place of a TOTP code. Shown only now.
    pub recovery_codes: Vec<String>,
}

/// A wrong code on an authenticated route: the caller is signed in, so it is not a 401 (which
/// clients take as "refresh your token").
fn totp_code_rejected(e: IdentityError) -> ApiError {
    match e {
        IdentityError::TotpInvalid => ApiError::new(
            StatusCode::UNPROCESSABLE_ENTITY,
            "totp_invalid",
            "The code is wrong or was already used.",
        ),
        other => other.into(),
    }
}

/// The throttle (account key: the user id) around a TOTP check on an authenticated route.
async fn throttled_totp<T>(
    state: &AppState,
    who: &Authenticated,
    client: &ClientInfo,
    run: impl std::future::Future<Output = commands::identity::IdentityResult<T>>,
) -> ApiResult<T> {
    let throttle = &state.identity.throttle;
    let account = Some(who.id.0);
    throttle
        .check(state.clock.now(), account, client.ip)
        .map_err(throttled)?;
    match run.await {
        Ok(v) => Ok(v),
        Err(commands::CommandError::Domain(e)) => {
            if matches!(e, IdentityError::TotpInvalid | IdentityError::WrongPassword) {
                throttle.failed(state.clock.now(), account, client.ip);
            }
            Err(totp_code_rejected(e))
        }
        Err(other) => Err(other.into()),
    }
}

/// Confirm enrolment with a code from the app; turns TOTP on and returns the recovery codes.
#[utoipa::path(post, path = "/api/auth/totp/confirm", tag = "auth",
    security(("bearer" = [])),
    request_body = TotpConfirmRequest,
    responses(
        (status = 200, body = RecoveryCodes),
        (status = 409, description = "`totp_not_enrolled` or `totp_already_enabled`"),
        (status = 422, description = "`totp_invalid`"),
        (status = 429, description = "`too_many_attempts`"),
    ))]
async fn totp_confirm(
    State(state): State<AppState>,
    who: Authenticated,
    client: ClientInfo,
    ApiJson(req): ApiJson<TotpConfirmRequest>,
) -> ApiResult<impl IntoResponse> {
    let ctx = command_ctx(&state, &client, who.actor());
    let (codes, position) = throttled_totp(
        &state,
        &who,
        &client,
        identity::totp::confirm(&ctx, &state.identity.deps, who.id, &req.code),
    )
    .await?;
    Ok((
        [(header::CACHE_CONTROL, "no-store")],
        ConsistencyToken(position),
        Json(RecoveryCodes {
            recovery_codes: codes,
        }),
    ))
}

#[derive(Deserialize, ToSchema)]
pub struct TotpDisableRequest {
    pub password: String,
    /// A current TOTP code or an unused recovery code.
    pub code: String,
}

/// Turn TOTP off (needs the password and a code).
#[utoipa::path(post, path = "/api/auth/totp/disable", tag = "auth",
    security(("bearer" = [])),
    request_body = TotpDisableRequest,
    responses(
        (status = 204, description = "Disabled"),
        (status = 403, description = "`wrong_password`"),
        (status = 409, description = "`totp_not_enabled`"),
        (status = 422, description = "`totp_invalid`"),
        (status = 429, description = "`too_many_attempts`"),
    ))]
async fn totp_disable(
    State(state): State<AppState>,
    who: Authenticated,
    client: ClientInfo,
    ApiJson(req): ApiJson<TotpDisableRequest>,
) -> ApiResult<impl IntoResponse> {
    let ctx = command_ctx(&state, &client, who.actor());
    let position = throttled_totp(
        &state,
        &who,
        &client,
        identity::totp::disable(&ctx, &state.identity.deps, who.id, &req.password, &req.code),
    )
    .await?;
    Ok((StatusCode::NO_CONTENT, ConsistencyToken(position), ()))
}
