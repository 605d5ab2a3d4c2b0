//! Given/when/then tests of the user aggregate's decisions: given past events, when a command is
//! decided, then these events (or this error).

use chrono::{DateTime, Duration, TimeZone, Utc};
use uuid::Uuid;

use crate::aggregate::Aggregate;
use crate::ids::UserId;
use crate::personal::Personal;

use super::decide::{self, *};
use super::*;

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 28, 10, 0, 0).unwrap()
}

/// The state after `events`.
fn given(events: &[UserEvent]) -> User {
    events.iter().fold(User::default(), |s, e| s.evolve(e))
}

fn registered(id: UserId) -> UserEvent {
    UserEvent::UserRegistered {
        user_id: id,
        email: Personal::new("ann@example.org".into()),
        handle: "ann".into(),
        role: Role::User,
        password_hash: Personal::new("$argon2id$…".into()),
        registered_at: t0(),
    }
}

fn issued(family: Uuid, hash: &str) -> UserEvent {
    UserEvent::RefreshTokenIssued {
        family_id: family,
        token_hash: hash.into(),
        issued_at: t0(),
        expires_at: t0() + Duration::days(30),
    }
}

fn totp_on(step: u64) -> [UserEvent; 2] {
    [
        UserEvent::TotpEnrolled {
            secret: Personal::new("JBSWY3DPEHPK3PXP".into()),
        },
        UserEvent::TotpEnabled {
            step,
            recovery_code_hashes: vec!["rc0".into(), "rc1".into()],
        },
    ]
}

fn session(family: Uuid, hash: &str) -> NewSession {
    NewSession {
        family_id: family,
        token_hash: hash.into(),
        issued_at: t0(),
        expires_at: t0() + Duration::days(30),
    }
}

fn login_with(password_ok: bool, second_factor: SecondFactor, family: Uuid) -> Login {
    Login {
        password_ok,
        second_factor,
        session: session(family, "h1"),
    }
}

#[test]
fn registers_once() {
    let id = UserId::new();
    let cmd = || Register {
        user_id: id,
        email: Email::parse("Ann@Example.org").unwrap(),
        handle: Handle::parse("ann").unwrap(),
        role: Role::User,
        password_hash: "$argon2id$…".into(),
        at: t0(),
    };
    assert_eq!(
        decide::register(&given(&[]), cmd()),
        Ok(vec![registered(id)])
    );
    assert_eq!(
        decide::register(&given(&[registered(id)]), cmd()),
        Err(UserError::AlreadyRegistered)
    );
}

#[test]
fn a_wrong_password_is_recorded_and_hides_everything_else() {
    let id = UserId::new();
    let mut history = vec![registered(id)];
    history.extend(totp_on(100));
    history.push(UserEvent::UserDeactivated { not_before: t0() });
    let (events, outcome) = decide::login(
        &given(&history),
        login_with(false, SecondFactor::Absent, Uuid::now_v7()),
    )
    .unwrap();
    assert_eq!(
        events,
        vec![UserEvent::LoginFailed {
            reason: LoginFailure::BadPassword
        }]
    );
    assert_eq!(outcome, LoginOutcome::Failed(LoginFailure::BadPassword));
}

#[test]
fn a_deactivated_user_cannot_log_in() {
    let id = UserId::new();
    let state = given(&[
        registered(id),
        UserEvent::UserDeactivated { not_before: t0() },
    ]);
    let (_, outcome) = decide::login(
        &state,
        login_with(true, SecondFactor::Absent, Uuid::now_v7()),
    )
    .unwrap();
    assert_eq!(outcome, LoginOutcome::Failed(LoginFailure::Deactivated));
}

#[test]
fn a_password_login_opens_a_refresh_family() {
    let id = UserId::new();
    let family = Uuid::now_v7();
    let (events, outcome) = decide::login(
        &given(&[registered(id)]),
        login_with(true, SecondFactor::Absent, family),
    )
    .unwrap();
    assert_eq!(outcome, LoginOutcome::Succeeded { family_id: family });
    assert_eq!(
        events,
        vec![
            UserEvent::LoginSucceeded {
                method: LoginMethod::Password,
                totp_step: None
            },
            issued(family, "h1"),
        ]
    );
}

#[test]
fn totp_is_required_and_each_step_is_accepted_once() {
    let id = UserId::new();
    let mut history = vec![registered(id)];
    history.extend(totp_on(100));
    let state = given(&history);
    let family = Uuid::now_v7();

    let (_, outcome) =
        decide::login(&state, login_with(true, SecondFactor::Absent, family)).unwrap();
    assert_eq!(outcome, LoginOutcome::Failed(LoginFailure::TotpRequired));

    let wrong = SecondFactor::Totp { matched_step: None };
    let (_, outcome) = decide::login(&state, login_with(true, wrong, family)).unwrap();
    assert_eq!(outcome, LoginOutcome::Failed(LoginFailure::TotpInvalid));

    // The confirmation used step 100: that code is spent.
    let replay = SecondFactor::Totp {
        matched_step: Some(100),
    };
    let (events, outcome) = decide::login(&state, login_with(true, replay, family)).unwrap();
    assert_eq!(outcome, LoginOutcome::Failed(LoginFailure::TotpReplayed));
    assert_eq!(
        events,
        vec![UserEvent::LoginFailed {
            reason: LoginFailure::TotpReplayed
        }]
    );

    let fresh = SecondFactor::Totp {
        matched_step: Some(101),
    };
    let (events, outcome) = decide::login(&state, login_with(true, fresh, family)).unwrap();
    assert_eq!(outcome, LoginOutcome::Succeeded { family_id: family });
    assert_eq!(
        events[0],
        UserEvent::LoginSucceeded {
            method: LoginMethod::PasswordAndTotp,
            totp_step: Some(101)
        }
    );

    // Once 101 is recorded, 101 and anything older are refused.
    let after = state.evolve(&events[0]);
    let (_, outcome) = decide::login(&after, login_with(true, fresh, family)).unwrap();
    assert_eq!(outcome, LoginOutcome::Failed(LoginFailure::TotpReplayed));
}

#[test]
fn concurrent_use_of_one_code_lets_exactly_one_through() {
    // Both requests decide on the same version; the store accepts the first append, the second
    // is decided again on the new state and is refused.
    let id = UserId::new();
    let mut history = vec![registered(id)];
    history.extend(totp_on(100));
    let state = given(&history);
    let code = SecondFactor::Totp {
        matched_step: Some(102),
    };
    let (first, _) = decide::login(&state, login_with(true, code, Uuid::now_v7())).unwrap();
    let state = first.iter().fold(state, |s, e| s.evolve(e));
    let (_, second) = decide::login(&state, login_with(true, code, Uuid::now_v7())).unwrap();
    assert_eq!(second, LoginOutcome::Failed(LoginFailure::TotpReplayed));
}

#[test]
fn a_recovery_code_works_once() {
    let id = UserId::new();
    let mut history = vec![registered(id)];
    history.extend(totp_on(100));
    let state = given(&history);
    let code = SecondFactor::RecoveryCode { index: Some(1) };
    let (events, outcome) = decide::login(&state, login_with(true, code, Uuid::now_v7())).unwrap();
    assert!(matches!(outcome, LoginOutcome::Succeeded { .. }));
    assert_eq!(events[0], UserEvent::RecoveryCodeUsed { index: 1 });
    let state = events.iter().fold(state, |s, e| s.evolve(e));
    assert_eq!(state.totp.unused_recovery_code("rc1"), None);
    assert_eq!(state.totp.unused_recovery_code("rc0"), Some(0));
    let (_, outcome) = decide::login(&state, login_with(true, code, Uuid::now_v7())).unwrap();
    assert_eq!(outcome, LoginOutcome::Failed(LoginFailure::TotpInvalid));
}

fn refresh_cmd(presented: &str, new: &str, now: DateTime<Utc>) -> Refresh {
    Refresh {
        presented_hash: presented.into(),
        new_hash: new.into(),
        now,
    }
}

#[test]
fn refresh_rotates_and_keeps_the_absolute_expiry() {
    let (id, family) = (UserId::new(), Uuid::now_v7());
    let state = given(&[registered(id), issued(family, "a")]);
    let (events, outcome) = decide::refresh(&state, refresh_cmd("a", "b", t0()));
    assert_eq!(
        events,
        vec![UserEvent::RefreshTokenRotated {
            family_id: family,
            token_hash: "b".into()
        }]
    );
    assert_eq!(
        outcome,
        RefreshOutcome::Rotated {
            family_id: family,
            expires_at: t0() + Duration::days(30)
        }
    );
    let state = state.evolve(&events[0]);
    let (_, outcome) = decide::refresh(&state, refresh_cmd("b", "c", t0() + Duration::days(29)));
    assert!(matches!(outcome, RefreshOutcome::Rotated { .. }));
    let (events, outcome) =
        decide::refresh(&state, refresh_cmd("b", "c", t0() + Duration::days(30)));
    assert_eq!(outcome, RefreshOutcome::Expired);
    assert_eq!(
        events,
        vec![UserEvent::RefreshTokenRevoked {
            family_id: family,
            reason: RevocationReason::Expired
        }]
    );
}

#[test]
fn reusing_a_rotated_token_revokes_the_family() {
    let (id, family, other) = (UserId::new(), Uuid::now_v7(), Uuid::now_v7());
    let state = given(&[
        registered(id),
        issued(family, "a"),
        issued(other, "x"),
        UserEvent::RefreshTokenRotated {
            family_id: family,
            token_hash: "b".into(),
        },
    ]);
    let (events, outcome) = decide::refresh(&state, refresh_cmd("a", "c", t0()));
    assert_eq!(outcome, RefreshOutcome::Reused);
    assert_eq!(
        events,
        vec![
            UserEvent::RefreshTokenReuseDetected { family_id: family },
            UserEvent::RefreshTokenRevoked {
                family_id: family,
                reason: RevocationReason::ReuseDetected
            },
        ]
    );
    let state = events.iter().fold(state, |s, e| s.evolve(e));
    // The current token of the revoked family is dead too; the other session lives on.
    assert_eq!(
        decide::refresh(&state, refresh_cmd("b", "c", t0())).1,
        RefreshOutcome::Invalid
    );
    assert!(matches!(
        decide::refresh(&state, refresh_cmd("x", "y", t0())).1,
        RefreshOutcome::Rotated { .. }
    ));
}

#[test]
fn concurrent_refreshes_with_one_token_let_exactly_one_rotate() {
    let (id, family) = (UserId::new(), Uuid::now_v7());
    let state = given(&[registered(id), issued(family, "a")]);
    let (first, o1) = decide::refresh(&state, refresh_cmd("a", "b1", t0()));
    assert!(matches!(o1, RefreshOutcome::Rotated { .. }));
    // The loser is decided again after its append conflicted.
    let state = first.iter().fold(state, |s, e| s.evolve(e));
    let (_, o2) = decide::refresh(&state, refresh_cmd("a", "b2", t0()));
    assert_eq!(o2, RefreshOutcome::Reused);
}

#[test]
fn logout_revokes_one_family_and_is_idempotent() {
    let (id, family) = (UserId::new(), Uuid::now_v7());
    let state = given(&[registered(id), issued(family, "a")]);
    let events = decide::logout(&state, "a");
    assert_eq!(
        events,
        vec![UserEvent::RefreshTokenRevoked {
            family_id: family,
            reason: RevocationReason::Logout
        }]
    );
    let state = state.evolve(&events[0]);
    assert_eq!(decide::logout(&state, "a"), vec![]);
}

#[test]
fn logout_everywhere_revokes_every_live_family() {
    let (id, f1, f2) = (UserId::new(), Uuid::now_v7(), Uuid::now_v7());
    let state = given(&[registered(id), issued(f1, "a"), issued(f2, "b")]);
    let events = decide::logout_everywhere(&state);
    let revoked: Vec<_> = events
        .iter()
        .map(|e| match e {
            UserEvent::RefreshTokenRevoked { family_id, reason } => {
                assert_eq!(*reason, RevocationReason::Logout);
                *family_id
            }
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    assert_eq!(revoked.len(), 2);
    assert!(revoked.contains(&f1) && revoked.contains(&f2));
    let state = events.iter().fold(state, |s, e| s.evolve(e));
    assert_eq!(decide::logout_everywhere(&state), vec![]);
}

#[test]
fn a_password_change_ends_every_session() {
    let (id, f1, f2) = (UserId::new(), Uuid::now_v7(), Uuid::now_v7());
    let state = given(&[registered(id), issued(f1, "a"), issued(f2, "b")]);
    let now = t0() + Duration::milliseconds(400);
    let cmd = |ok| ChangePassword {
        current_ok: ok,
        new_hash: "$argon2id$new".into(),
        now,
    };
    assert_eq!(
        decide::change_password(&state, cmd(false)),
        Err(UserError::WrongPassword)
    );
    let events = decide::change_password(&state, cmd(true)).unwrap();
    assert_eq!(events.len(), 3);
    let state = events.iter().fold(state, |s, e| s.evolve(e));
    assert!(state.families.is_empty());
    // Every token issued up to `now` (iat = t0) is now before `not_before`; a token issued right
    // after the change carries an iat that is not.
    let not_before = state.not_before.unwrap();
    assert_eq!(not_before, t0() + Duration::seconds(1));
    assert!(t0().timestamp() < not_before.timestamp());
    assert_eq!(state.token_issued_at(now), not_before.timestamp());
    assert_eq!(
        state.token_issued_at(now + Duration::seconds(5)),
        (now + Duration::seconds(5)).timestamp()
    );
}

#[test]
fn totp_enrolment_needs_a_fresh_confirming_code() {
    let id = UserId::new();
    let state = given(&[registered(id)]);
    assert_eq!(
        decide::confirm_totp(&state, Some(5), vec![]),
        Err(UserError::TotpNotEnrolled)
    );
    let events = decide::enroll_totp(&state, "SECRET".into()).unwrap();
    let state = state.evolve(&events[0]);
    assert!(!state.totp.enabled());
    assert_eq!(
        decide::confirm_totp(&state, None, vec![]),
        Err(UserError::TotpInvalid)
    );
    let events = decide::confirm_totp(&state, Some(7), vec!["rc".into()]).unwrap();
    let state = state.evolve(&events[0]);
    assert!(state.totp.enabled());
    assert_eq!(
        decide::enroll_totp(&state, "OTHER".into()),
        Err(UserError::TotpAlreadyEnabled)
    );
}

#[test]
fn disabling_totp_needs_password_and_a_fresh_code() {
    let id = UserId::new();
    let mut history = vec![registered(id)];
    history.extend(totp_on(100));
    let state = given(&history);
    let fresh = SecondFactor::Totp {
        matched_step: Some(101),
    };
    assert_eq!(
        decide::disable_totp(&state, false, fresh),
        Err(UserError::WrongPassword)
    );
    assert_eq!(
        decide::disable_totp(
            &state,
            true,
            SecondFactor::Totp {
                matched_step: Some(100)
            }
        ),
        Err(UserError::TotpInvalid)
    );
    let events = decide::disable_totp(&state, true, fresh).unwrap();
    let state = state.evolve(&events[0]);
    assert!(!state.totp.enabled());
    // The spent step stays spent across a re-enrolment.
    assert!(!state.totp.step_is_fresh(101));
    assert_eq!(
        decide::disable_totp(&state, true, fresh),
        Err(UserError::TotpNotEnabled)
    );
}

#[test]
fn deactivation_ends_sessions_and_reactivation_restores_login() {
    let (id, family) = (UserId::new(), Uuid::now_v7());
    let state = given(&[registered(id), issued(family, "a")]);
    let events = decide::set_active(&state, false, t0()).unwrap();
    assert_eq!(
        events[1],
        UserEvent::RefreshTokenRevoked {
            family_id: family,
            reason: RevocationReason::Deactivated
        }
    );
    let state = events.iter().fold(state, |s, e| s.evolve(e));
    assert!(!state.active && state.families.is_empty());
    assert_eq!(decide::set_active(&state, false, t0()), Ok(vec![]));
    assert_eq!(
        decide::change_password(
            &state,
            ChangePassword {
                current_ok: true,
                new_hash: "x".into(),
                now: t0()
            }
        ),
        Err(UserError::Deactivated)
    );
    let events = decide::set_active(&state, true, t0()).unwrap();
    assert_eq!(events, vec![UserEvent::UserReactivated {}]);
    assert!(state.evolve(&events[0]).active);
}

#[test]
fn role_changes_record_both_sides() {
    let id = UserId::new();
    let state = given(&[registered(id)]);
    assert_eq!(decide::change_role(&state, Role::User), Ok(vec![]));
    assert_eq!(
        decide::change_role(&state, Role::Auditor),
        Ok(vec![UserEvent::RoleChanged {
            from: Role::User,
            to: Role::Auditor
        }])
    );
    assert_eq!(
        decide::change_role(&User::default(), Role::Admin),
        Err(UserError::NotRegistered)
    );
}

#[test]
fn secrets_in_events_are_personal_data() {
    // The password hash and the TOTP secret are wrapped in `$pii`, which the store encrypts.
    let (_, data) = crate::event::encode_event(&registered(UserId::new()));
    assert!(data["password_hash"].get("$pii").is_some());
    assert!(data["email"].get("$pii").is_some());
    let (_, data) = crate::event::encode_event(&totp_on(1)[0]);
    assert!(data["secret"].get("$pii").is_some());
}

#[test]
fn every_event_round_trips_through_its_stored_form() {
    let id = UserId::new();
    let family = Uuid::now_v7();
    let mut events = vec![
        registered(id),
        UserEvent::LoginSucceeded {
            method: LoginMethod::PasswordAndTotp,
            totp_step: Some(3),
        },
        UserEvent::LoginFailed {
            reason: LoginFailure::TotpReplayed,
        },
        issued(family, "a"),
        UserEvent::RefreshTokenRotated {
            family_id: family,
            token_hash: "b".into(),
        },
        UserEvent::RefreshTokenReuseDetected { family_id: family },
        UserEvent::RefreshTokenRevoked {
            family_id: family,
            reason: RevocationReason::ReuseDetected,
        },
        UserEvent::RecoveryCodeUsed { index: 0 },
        UserEvent::TotpDisabled { step: None },
        UserEvent::PasswordChanged {
            password_hash: Personal::new("h".into()),
            not_before: t0(),
        },
        UserEvent::RoleChanged {
            from: Role::User,
            to: Role::Admin,
        },
        UserEvent::UserDeactivated { not_before: t0() },
        UserEvent::UserReactivated {},
    ];
    events.extend(totp_on(9));
    for e in events {
        let (ty, data) = crate::event::encode_event(&e);
        let back: UserEvent = crate::event::decode_event(&ty, 1, &data).unwrap();
        assert_eq!(back, e, "{ty}");
    }
}

#[test]
fn erasure_is_final_and_happens_once() {
    let id = UserId(Uuid::now_v7());
    let erased = decide::erase(&given(&[registered(id)]), "ticket 42", t0()).unwrap();
    assert!(
        matches!(erased.as_slice(), [UserEvent::UserErased { reason, .. }] if reason == "ticket 42")
    );
    let mut history = vec![registered(id)];
    history.extend(erased);
    let state = given(&history);
    assert!(state.erased && !state.active);
    assert_eq!(state.email, Some(Personal::Erased));
    assert_eq!(decide::erase(&state, "again", t0()).unwrap(), vec![]);
    assert_eq!(decide::set_active(&state, true, t0()).unwrap(), vec![]);
    assert!(matches!(
        decide::erase(&given(&[]), "x", t0()),
        Err(UserError::NotRegistered)
    ));
}
