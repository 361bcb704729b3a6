//! The live patient sessions of a client, keyed by the whole verified identity, with the
//! look-ups that refuse a token matching a live session only in part. Every operation is
//! a hash look-up; dead entries are swept in amortised batches, never scanned per call.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, Weak};

use super::id_token::Identity;
use crate::NhsNumber;

/// (issuer, subject, actor) and (issuer, NHS number, actor): the two partial keys.
type BySubject = (String, String, Option<String>);
type ByNumber = (String, NhsNumber, Option<String>);

/// Sessions of type `T` by identity.
pub(crate) struct Registry<T: ?Sized> {
    maps: Mutex<Maps<T>>,
}

struct Maps<T: ?Sized> {
    by_subject: HashMap<BySubject, (NhsNumber, Weak<T>)>,
    by_number: HashMap<ByNumber, String>,
    /// Entries at which the next sweep of dead sessions runs.
    sweep_at: usize,
}

/// A verified identity that matches a live session only in part.
pub(crate) struct Mismatch;

impl<T: ?Sized> Default for Registry<T> {
    fn default() -> Self {
        Self { maps: Mutex::new(Maps { by_subject: HashMap::new(), by_number: HashMap::new(), sweep_at: 64 }) }
    }
}

impl<T: ?Sized> Registry<T> {
    /// The live session of exactly `id`, or a new one from `make`; refused when a live
    /// session has the same subject with another NHS number, or the same NHS number under
    /// another subject (for the same issuer and acting person).
    pub(crate) fn get_or_insert(
        &self,
        id: &Identity,
        make: impl FnOnce() -> Arc<T>,
    ) -> Result<(Arc<T>, bool), Mismatch> {
        let mut maps = self.maps.lock().unwrap_or_else(|e| e.into_inner());
        let subject_key = (id.issuer.clone(), id.subject.clone(), id.actor.clone());
        let number_key = (id.issuer.clone(), id.nhs_number.clone(), id.actor.clone());
        if let Some((number, session)) = maps.by_subject.get(&subject_key) {
            if let Some(live) = session.upgrade() {
                return if *number == id.nhs_number { Ok((live, false)) } else { Err(Mismatch) };
            }
        }
        if let Some(subject) = maps.by_number.get(&number_key) {
            let other = (id.issuer.clone(), subject.clone(), id.actor.clone());
            if maps.by_subject.get(&other).is_some_and(|(_, s)| s.strong_count() > 0) {
                return Err(Mismatch);
            }
        }
        let session = make();
        maps.by_subject.insert(subject_key, (id.nhs_number.clone(), Arc::downgrade(&session)));
        maps.by_number.insert(number_key, id.subject.clone());
        maps.sweep();
        Ok((session, true))
    }

    /// Forgets the session of `id` if it is `session`.
    pub(crate) fn remove(&self, id: &Identity, session: &Arc<T>) {
        let mut maps = self.maps.lock().unwrap_or_else(|e| e.into_inner());
        let subject_key = (id.issuer.clone(), id.subject.clone(), id.actor.clone());
        if maps
            .by_subject
            .get(&subject_key)
            .is_some_and(|(_, s)| std::ptr::eq(s.as_ptr() as *const (), Arc::as_ptr(session) as *const ()))
        {
            maps.by_subject.remove(&subject_key);
            maps.by_number.remove(&(id.issuer.clone(), id.nhs_number.clone(), id.actor.clone()));
        }
    }

    /// How many identities are held (live or not yet swept).
    #[cfg(test)]
    fn len(&self) -> usize {
        self.maps.lock().unwrap_or_else(|e| e.into_inner()).by_subject.len()
    }
}

impl<T: ?Sized> Maps<T> {
    /// Drops dead sessions once the map has doubled since the last sweep: linear work
    /// spread over as many inserts, so each call costs O(1) amortised.
    fn sweep(&mut self) {
        if self.by_subject.len() < self.sweep_at {
            return;
        }
        self.by_subject.retain(|_, (_, s)| s.strong_count() > 0);
        let by_subject = &self.by_subject;
        self.by_number.retain(|(iss, _, act), sub| by_subject.contains_key(&(iss.clone(), sub.clone(), act.clone())));
        self.sweep_at = (self.by_subject.len() * 2).max(64);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn id(sub: &str, nhs: &str, actor: Option<&str>) -> Identity {
        Identity {
            issuer: "https://auth.login.nhs.uk".into(),
            subject: sub.into(),
            nhs_number: NhsNumber::parse(nhs).unwrap(),
            actor: actor.map(str::to_owned),
        }
    }

    #[test]
    fn identities_match_whole_or_are_refused() {
        let registry = Registry::<u8>::default();
        let (a, new) = registry.get_or_insert(&id("a", "9000000009", None), || Arc::new(1)).ok().unwrap();
        assert!(new);
        let (again, new) = registry.get_or_insert(&id("a", "9000000009", None), || Arc::new(2)).ok().unwrap();
        assert!(!new && Arc::ptr_eq(&a, &again));
        // Same subject, another NHS number; same NHS number, another subject: refused.
        assert!(registry.get_or_insert(&id("a", "9690937286", None), || Arc::new(3)).is_err());
        assert!(registry.get_or_insert(&id("b", "9000000009", None), || Arc::new(4)).is_err());
        // Someone acting for the patient (proxy access) has their own session.
        let (proxy, new) = registry.get_or_insert(&id("a", "9000000009", Some("mum")), || Arc::new(5)).ok().unwrap();
        assert!(new && !Arc::ptr_eq(&a, &proxy));
        // Once the session is gone (logged out, dropped), the identity is free again.
        registry.remove(&id("a", "9000000009", None), &a);
        drop((a, again));
        assert!(registry.get_or_insert(&id("b", "9000000009", None), || Arc::new(6)).is_ok());
    }

    #[test]
    fn dead_sessions_are_swept_in_batches() {
        let registry = Registry::<u32>::default();
        for i in 0..10_000u32 {
            let nhs = format!("{:09}", 900_000_000 + i);
            let Some(n) = (0..10).map(|d| format!("{nhs}{d}")).find(|n| NhsNumber::parse(n).is_ok()) else { continue };
            let _ = registry.get_or_insert(&id(&i.to_string(), &n, None), || Arc::new(i));
        }
        assert!(registry.len() < 200, "{}", registry.len());
    }
}
