//! The in-memory pet store every binary serves.

use std::collections::BTreeMap;
use std::sync::{Mutex, MutexGuard, PoisonError};

use serde::{Deserialize, Serialize};

/// A pet's sale status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PetStatus {
    /// For sale.
    Available,
    /// Reserved.
    Pending,
    /// Gone to a new home.
    Sold,
}

impl PetStatus {
    /// The lowercase name, as in JSON.
    pub fn as_str(self) -> &'static str {
        match self {
            PetStatus::Available => "available",
            PetStatus::Pending => "pending",
            PetStatus::Sold => "sold",
        }
    }
}

/// A pet, as every binary renders it: `{"id", "name", "tag"?, "status"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pet {
    /// Unique id, assigned by the store.
    pub id: u64,
    /// Name.
    pub name: String,
    /// Optional free-form tag (`dog`, `cat`…).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tag: Option<String>,
    /// Sale status; new pets are `available`.
    pub status: PetStatus,
}

/// The body of `POST /pets`: `{"name", "tag"?}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewPet {
    /// Name; must not be blank.
    pub name: String,
    /// Optional tag.
    #[serde(default)]
    pub tag: Option<String>,
}

impl NewPet {
    /// Checks the input; `Err` is a message for a 400 answer.
    pub fn check(&self) -> Result<(), &'static str> {
        if self.name.trim().is_empty() { Err("`name` must not be empty") } else { Ok(()) }
    }
}

#[derive(Debug)]
struct Inner {
    pets: BTreeMap<u64, Pet>,
    next_id: u64,
}

/// The pets, in memory, ordered by id. Starts with two pets (ids 1 and 2).
#[derive(Debug)]
pub struct PetStore {
    inner: Mutex<Inner>,
}

impl Default for PetStore {
    fn default() -> Self {
        PetStore::seeded()
    }
}

impl PetStore {
    /// A store with the two seed pets: 1 `Rex` (dog), 2 `Tom` (cat).
    pub fn seeded() -> Self {
        let store = PetStore { inner: Mutex::new(Inner { pets: BTreeMap::new(), next_id: 1 }) };
        store.create(NewPet { name: "Rex".into(), tag: Some("dog".into()) });
        store.create(NewPet { name: "Tom".into(), tag: Some("cat".into()) });
        store
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        // The map is never left half-updated, so a poisoned lock is still consistent.
        self.inner.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Every pet, by id.
    pub fn list(&self) -> Vec<Pet> {
        self.lock().pets.values().cloned().collect()
    }

    /// One pet.
    pub fn get(&self, id: u64) -> Option<Pet> {
        self.lock().pets.get(&id).cloned()
    }

    /// Adds a pet (status `available`) and returns it with its new id.
    pub fn create(&self, new: NewPet) -> Pet {
        let mut inner = self.lock();
        let id = inner.next_id;
        inner.next_id += 1;
        let pet = Pet { id, name: new.name, tag: new.tag, status: PetStatus::Available };
        inner.pets.insert(id, pet.clone());
        pet
    }

    /// Removes a pet; `false` if there was none with this id.
    pub fn delete(&self, id: u64) -> bool {
        self.lock().pets.remove(&id).is_some()
    }
}

/// Parses a pet id from a path segment; anything but a decimal `u64` is "no such pet".
pub fn parse_id(raw: &str) -> Option<u64> {
    raw.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_create_get_delete() {
        let store = PetStore::seeded();
        assert_eq!(store.list().iter().map(|p| p.id).collect::<Vec<_>>(), [1, 2]);
        let pet = store.create(NewPet { name: "Nemo".into(), tag: None });
        assert_eq!(pet.id, 3);
        assert_eq!(store.get(3), Some(pet));
        assert!(store.delete(3));
        assert!(!store.delete(3));
        assert_eq!(store.get(3), None);
        // Ids are never reused.
        assert_eq!(store.create(NewPet { name: "Dory".into(), tag: None }).id, 4);
    }

    #[test]
    fn json_shape() {
        let pet = Pet { id: 1, name: "Rex".into(), tag: None, status: PetStatus::Available };
        assert_eq!(
            serde_json::to_value(&pet).unwrap(),
            serde_json::json!({"id": 1, "name": "Rex", "status": "available"})
        );
        assert!(NewPet { name: " ".into(), tag: None }.check().is_err());
        assert_eq!(parse_id("abc"), None);
    }
}
