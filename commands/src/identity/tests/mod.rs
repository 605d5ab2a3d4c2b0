//! Handler tests over the in-memory store and fake ports: the whole command path (load, decide,
//! append with the expected version, retry) without a database.

pub(crate) mod fakes;

use std::sync::Arc;

use chrono::{Duration, TimeZone, Utc};
use domain::ids::UserId;
use domain::ports::{Clock, ManualClock};
use domain::user::Role;
use uuid::Uuid;

use super::admin::{self, PatchUser};
use super::password::{change_password, ChangePassword};
use super::secrets::{IndexKey, LOGIN_ATTEMPTS_KEY_SUBJECT};
use super::*;
use crate::context::{Actor, CommandContext};
use crate::error::CommandError;
use crate::testing::MemoryStore;
use fakes::{code_at, FakeHasher, FakeScreen, FakeTotp};

const PASSWORD: &str = "correct horse battery staple";

struct World {
    store: Arc<MemoryStore>,
    clock: Arc<ManualClock>,
    deps: IdentityDeps,
}

impl World {
    fn new() -> Self {
        Self {
            store: Arc::new(MemoryStore::default()),
            clock: Arc::new(ManualClock::new(
                Utc.with_ymd_and_hms(2026, 11, 28, 12, 0, 0).unwrap(),
            )),
            deps: IdentityDeps {
                hasher: Arc::new(FakeHasher),
                screen: Arc::new(FakeScreen),
                totp: Arc::new(FakeTotp),
                index: IndexKey::new([7; 32]),
                refresh_lifetime: Duration::days(30),
            },
        }
    }

    fn ctx(&self) -> CommandContext {
        let mut ctx = CommandContext::system(self.store.clone(), self.clock.clone())
            .with_actor(Actor::Anonymous);
        ctx.client_ip = Some("203.0.113.5".into());
        ctx.user_agent = Some("test-agent".into());
        ctx
    }

    fn as_user(&self, id: UserId, role: Role) -> CommandContext {
        self.ctx().with_actor(Actor::User { id: id.0, role })
    }

    async fn register(&self, email: &str, handle: &str) -> IdentityResult<Registered> {
        register(
            &self.ctx(),
            &self.deps,
            RegisterUser {
                email: email.into(),
                handle: handle.into(),
                password: PASSWORD.into(),
                role: Role::User,
            },
        )
        .await
    }

    async fn login(
        &self,
        email: &str,
        password: &str,
        code: Option<&str>,
    ) -> Result<Session, IdentityError> {
        let r = login(
            &self.ctx(),
            &self.deps,
            LoginRequest {
                email: email.into(),
                password: password.into(),
                totp_code: code.map(str::to_owned),
            },
        )
        .await
        .expect("no infrastructure failure");
        r.map_err(|f| f.error)
    }
}

fn domain_err<T: std::fmt::Debug>(r: IdentityResult<T>) -> IdentityError {
    match r {
        Err(CommandError::Domain(e)) => e,
        other => panic!("expected a domain error, got {other:?}"),
    }
}

#[tokio::test]
async fn registration_claims_email_and_handle_case_insensitively() {
    let w = World::new();
    let ann = w.register("Ann@Example.org", "Ann").await.unwrap();
    assert_eq!(ann.handle.as_str(), "ann");
    assert_eq!(ann.email.as_str(), "ann@example.org");
    assert_eq!(
        domain_err(w.register("ann@EXAMPLE.org", "other").await),
        IdentityError::EmailTaken
    );
    // A taken handle gives the email back: it can be registered with another handle.
    assert_eq!(
        domain_err(w.register("bob@example.org", "ANN").await),
        IdentityError::HandleTaken
    );
    assert!(w.register("bob@example.org", "bob").await.is_ok());
    assert!(matches!(
        domain_err(w.register("carol@example.org", "x").await),
        IdentityError::InvalidValue(_)
    ));
}

#[tokio::test]
async fn new_passwords_follow_the_policy() {
    let w = World::new();
    let ctx = w.ctx();
    let attempt = |password: &'static str| {
        register(
            &ctx,
            &w.deps,
            RegisterUser {
                email: "dee@example.org".into(),
                handle: "dee".into(),
                password: password.into(),
                role: Role::User,
            },
        )
    };
    use domain::user::PasswordProblem as P;
    assert_eq!(
        domain_err(attempt("short").await),
        IdentityError::Password(P::TooShort)
    );
    assert_eq!(
        domain_err(attempt("dee is my name ok").await),
        IdentityError::Password(P::ContainsHandle)
    );
    assert_eq!(
        domain_err(attempt("mypassword is long").await),
        IdentityError::Password(P::Common)
    );
    // Nothing was reserved by the refused attempts.
    assert!(w.store.types().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_registrations_of_one_email_have_one_winner() {
    let w = Arc::new(World::new());
    let attempts: Vec<_> = (0..8)
        .map(|i| {
            let w = w.clone();
            tokio::spawn(async move { w.register("race@example.org", &format!("racer{i}")).await })
        })
        .collect();
    let mut won = 0;
    for a in attempts {
        match a.await.unwrap() {
            Ok(_) => won += 1,
            Err(e) => assert_eq!(domain_err::<()>(Err(e)), IdentityError::EmailTaken),
        }
    }
    assert_eq!(won, 1);
}

#[tokio::test]
async fn wrong_password_and_unknown_email_look_alike_and_are_both_recorded() {
    let w = World::new();
    let ann = w.register("ann@example.org", "ann").await.unwrap();
    let wrong = w.login("ann@example.org", "not the password", None).await;
    let unknown = w
        .login("nobody@example.org", "not the password", None)
        .await;
    assert_eq!(wrong.unwrap_err(), IdentityError::InvalidCredentials);
    assert_eq!(unknown.unwrap_err(), IdentityError::InvalidCredentials);
    let types = w.store.types();
    assert!(types.contains(&(format!("user-{}", ann.user_id), "LoginFailed".into())));
    let attempt_stream = types
        .iter()
        .find(|(s, _)| s.starts_with("loginattempts-"))
        .expect("unknown-account attempt recorded");
    assert!(!attempt_stream.0.contains("nobody"));
    // Both failures carry the client's IP as personal data under a key.
    assert!(w.store.dump().matches("203.0.113.5").count() >= 2);
    let keys: Vec<_> = w
        .store
        .events
        .lock()
        .unwrap()
        .iter()
        .filter(|s| s.event.event_type == "LoginFailed")
        .map(|s| s.event.data_key)
        .collect();
    assert_eq!(
        keys,
        vec![Some(ann.user_id.0), Some(LOGIN_ATTEMPTS_KEY_SUBJECT)]
    );
}

#[tokio::test]
async fn refresh_rotates_and_reuse_revokes_the_family() {
    let w = World::new();
    w.register("ann@example.org", "ann").await.unwrap();
    let s1 = w.login("ann@example.org", PASSWORD, None).await.unwrap();
    let s2 = refresh(&w.ctx(), &s1.refresh_token).await.unwrap();
    assert_eq!(s2.family_id, s1.family_id);
    assert_eq!(
        s2.refresh_expires_at, s1.refresh_expires_at,
        "absolute lifetime"
    );
    // s1's token again: reuse. The family dies, s2's token with it.
    assert_eq!(
        domain_err(refresh(&w.ctx(), &s1.refresh_token).await),
        IdentityError::InvalidRefreshToken
    );
    assert!(w
        .store
        .types()
        .iter()
        .any(|(_, t)| t == "RefreshTokenReuseDetected"));
    assert_eq!(
        domain_err(refresh(&w.ctx(), &s2.refresh_token).await),
        IdentityError::InvalidRefreshToken
    );
    // Tokens and their digests never reach the log in the clear.
    let dump = w.store.dump();
    assert!(!dump.contains(&s1.refresh_token) && !dump.contains(&s2.refresh_token));
    assert!(!dump.contains(PASSWORD));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_refreshes_with_one_token_have_one_winner() {
    let w = Arc::new(World::new());
    w.register("ann@example.org", "ann").await.unwrap();
    let s = w.login("ann@example.org", PASSWORD, None).await.unwrap();
    let tries: Vec<_> = (0..6)
        .map(|_| {
            let (w, token) = (w.clone(), s.refresh_token.clone());
            tokio::spawn(async move { refresh(&w.ctx(), &token).await })
        })
        .collect();
    let mut won = 0;
    for t in tries {
        if t.await.unwrap().is_ok() {
            won += 1;
        }
    }
    assert_eq!(won, 1);
    let rotated = w
        .store
        .types()
        .iter()
        .filter(|(_, t)| t == "RefreshTokenRotated")
        .count();
    assert_eq!(rotated, 1);
}

#[tokio::test]
async fn refresh_families_expire_after_thirty_days() {
    let w = World::new();
    w.register("ann@example.org", "ann").await.unwrap();
    let s = w.login("ann@example.org", PASSWORD, None).await.unwrap();
    w.clock.advance(Duration::days(29));
    let s = refresh(&w.ctx(), &s.refresh_token).await.unwrap();
    w.clock.advance(Duration::days(1));
    assert_eq!(
        domain_err(refresh(&w.ctx(), &s.refresh_token).await),
        IdentityError::InvalidRefreshToken
    );
}

async fn enable_totp(w: &World, user: UserId) -> (String, Vec<String>) {
    let enrolment = totp::enroll(&w.as_user(user, Role::User), &w.deps, user)
        .await
        .unwrap();
    let code = code_at(&enrolment.secret, w.clock.now());
    let (codes, _) = totp::confirm(&w.as_user(user, Role::User), &w.deps, user, &code)
        .await
        .unwrap();
    (enrolment.secret, codes)
}

#[tokio::test]
async fn totp_codes_are_single_use_and_recovery_codes_work_once() {
    let w = World::new();
    let ann = w.register("ann@example.org", "ann").await.unwrap();
    let (secret, recovery) = enable_totp(&w, ann.user_id).await;
    assert_eq!(recovery.len(), 10);
    let e = |r: Result<Session, IdentityError>| r.err();
    assert_eq!(
        e(w.login("ann@example.org", PASSWORD, None).await),
        Some(IdentityError::TotpRequired)
    );
    // The confirming code's step is spent.
    let spent = code_at(&secret, w.clock.now());
    assert_eq!(
        e(w.login("ann@example.org", PASSWORD, Some(&spent)).await),
        Some(IdentityError::TotpInvalid)
    );
    w.clock.advance(Duration::seconds(30));
    let fresh = code_at(&secret, w.clock.now());
    assert!(w
        .login("ann@example.org", PASSWORD, Some(&fresh))
        .await
        .is_ok());
    assert_eq!(
        e(w.login("ann@example.org", PASSWORD, Some(&fresh)).await),
        Some(IdentityError::TotpInvalid)
    );
    assert!(w
        .login(
            "ann@example.org",
            PASSWORD,
            Some(&recovery[3].to_uppercase())
        )
        .await
        .is_ok());
    assert_eq!(
        e(w.login("ann@example.org", PASSWORD, Some(&recovery[3]))
            .await),
        Some(IdentityError::TotpInvalid)
    );
    // Neither the secret nor any code is in the log in the clear (the secret is `$pii`, which
    // the real store encrypts).
    let dump = w.store.dump();
    assert!(!dump.contains(&format!("\"{fresh}\"")));
    assert!(recovery.iter().all(|c| !dump.contains(c.as_str())));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_logins_with_one_totp_code_have_one_winner() {
    let w = Arc::new(World::new());
    let ann = w.register("ann@example.org", "ann").await.unwrap();
    let (secret, _) = enable_totp(&w, ann.user_id).await;
    w.clock.advance(Duration::seconds(30));
    let code = code_at(&secret, w.clock.now());
    let tries: Vec<_> = (0..6)
        .map(|_| {
            let (w, code) = (w.clone(), code.clone());
            tokio::spawn(async move { w.login("ann@example.org", PASSWORD, Some(&code)).await })
        })
        .collect();
    let mut won = 0;
    for t in tries {
        match t.await.unwrap() {
            Ok(_) => won += 1,
            Err(e) => assert_eq!(e, IdentityError::TotpInvalid),
        }
    }
    assert_eq!(won, 1);
}

#[tokio::test]
async fn a_password_change_revokes_every_session() {
    let w = World::new();
    let ann = w.register("ann@example.org", "ann").await.unwrap();
    let s1 = w.login("ann@example.org", PASSWORD, None).await.unwrap();
    let s2 = w.login("ann@example.org", PASSWORD, None).await.unwrap();
    let ctx = w.as_user(ann.user_id, Role::User);
    let change = |current: &str, new: &str| ChangePassword {
        current_password: current.into(),
        new_password: new.into(),
    };
    assert_eq!(
        domain_err(
            change_password(
                &ctx,
                &w.deps,
                ann.user_id,
                change("wrong one here", "a brand new secret")
            )
            .await
        ),
        IdentityError::WrongPassword
    );
    let (auth, _) = change_password(
        &ctx,
        &w.deps,
        ann.user_id,
        change(PASSWORD, "a brand new secret"),
    )
    .await
    .unwrap();
    assert!(!auth.accepts_token_issued_at(s1.issued_at));
    for s in [s1, s2] {
        assert!(refresh(&w.ctx(), &s.refresh_token).await.is_err());
    }
    assert!(w.login("ann@example.org", PASSWORD, None).await.is_err());
    let s3 = w
        .login("ann@example.org", "a brand new secret", None)
        .await
        .unwrap();
    assert!(auth.accepts_token_issued_at(s3.issued_at));
}

#[tokio::test]
async fn only_admins_manage_users_and_never_lock_themselves_out() {
    let w = World::new();
    let ann = w.register("ann@example.org", "ann").await.unwrap();
    let boss = admin::create_user(
        &w.ctx().with_actor(Actor::System),
        &w.deps,
        RegisterUser {
            email: "boss@example.org".into(),
            handle: "boss".into(),
            password: PASSWORD.into(),
            role: Role::Admin,
        },
    )
    .await
    .unwrap();
    let deactivate = PatchUser {
        role: None,
        is_active: Some(false),
    };
    assert!(matches!(
        admin::patch_user(
            &w.as_user(ann.user_id, Role::User),
            boss.user_id,
            deactivate.clone()
        )
        .await,
        Err(CommandError::Forbidden)
    ));
    assert_eq!(
        domain_err(
            admin::patch_user(
                &w.as_user(boss.user_id, Role::Admin),
                boss.user_id,
                deactivate.clone()
            )
            .await
        ),
        IdentityError::CannotModifySelf
    );
    assert!(matches!(
        admin::patch_user(
            &w.as_user(boss.user_id, Role::Admin),
            UserId(Uuid::now_v7()),
            deactivate.clone()
        )
        .await,
        Err(CommandError::NotFound)
    ));
    let session = w.login("ann@example.org", PASSWORD, None).await.unwrap();
    let (user, _) = admin::patch_user(
        &w.as_user(boss.user_id, Role::Admin),
        ann.user_id,
        deactivate,
    )
    .await
    .unwrap();
    assert!(!user.active);
    assert!(refresh(&w.ctx(), &session.refresh_token).await.is_err());
    assert_eq!(
        w.login("ann@example.org", PASSWORD, None).await.err(),
        Some(IdentityError::Deactivated)
    );
    // The acting admin is in the metadata of the deactivation.
    let events = w.store.events.lock().unwrap();
    let deactivated = events
        .iter()
        .find(|s| s.event.event_type == "UserDeactivated")
        .unwrap();
    assert_eq!(deactivated.event.metadata.actor_id, Some(boss.user_id.0));
}
