//! The one eviction rule of the picture caches (thumbnails, sixel text):
//! at most `capacity` entries, the least recently used dropped first.

use std::collections::HashMap;
use std::hash::Hash;

/// A map keeping at most `capacity` entries; [`get`](Lru::get) does not
/// count as a use, [`touch`](Lru::touch) and [`insert`](Lru::insert) do.
#[derive(Debug, Clone)]
pub(crate) struct Lru<K, V> {
    capacity: usize,
    entries: HashMap<K, (V, u64)>,
    uses: u64,
}

impl<K: Hash + Eq + Clone, V> Lru<K, V> {
    pub(crate) fn new(capacity: usize) -> Self {
        Lru {
            capacity: capacity.max(1),
            entries: HashMap::new(),
            uses: 0,
        }
    }

    pub(crate) fn get(&self, key: &K) -> Option<&V> {
        self.entries.get(key).map(|(v, _)| v)
    }

    /// Notes a use of `key`; whether it is there.
    pub(crate) fn touch(&mut self, key: &K) -> bool {
        self.uses += 1;
        match self.entries.get_mut(key) {
            Some(entry) => {
                entry.1 = self.uses;
                true
            }
            None => false,
        }
    }

    /// Keeps `value` as the newest; drops the oldest beyond the capacity.
    pub(crate) fn insert(&mut self, key: K, value: V) {
        self.uses += 1;
        self.entries.insert(key, (value, self.uses));
        while self.entries.len() > self.capacity {
            let oldest = self
                .entries
                .iter()
                .min_by_key(|(_, (_, used))| *used)
                .map(|(k, _)| k.clone());
            match oldest {
                Some(k) => self.entries.remove(&k),
                None => break,
            };
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }

    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub(crate) fn clear(&mut self) {
        self.entries.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::Lru;

    #[test]
    fn the_least_recently_used_goes_first() {
        let mut lru = Lru::new(2);
        lru.insert("a", 1);
        lru.insert("b", 2);
        assert!(lru.touch(&"a"), "a used again");
        assert!(!lru.touch(&"z"));
        lru.insert("c", 3);
        assert_eq!(
            (lru.get(&"a"), lru.get(&"b"), lru.get(&"c")),
            (Some(&1), None, Some(&3))
        );
        assert_eq!(lru.len(), 2);
        lru.clear();
        assert!(lru.is_empty());
    }
}
