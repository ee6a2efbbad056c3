//! Knowledge stores: the facts a response is checked against.

use std::fmt;
use std::sync::Arc;

use super::words::{WordSet, Words, fingerprint};

/// One fact: a key phrase (`"sky color"`) and its value (`"blue"`).
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
pub struct Fact {
    /// What the fact is about; its words decide which queries it answers.
    /// Empty for a store that returns bare context.
    pub key: String,
    /// What is true about it.
    pub value: String,
}

impl Fact {
    /// A fact from its key and value.
    pub fn new(key: impl Into<String>, value: impl Into<String>) -> Self {
        Fact { key: key.into(), value: value.into() }
    }
}

/// A source of ground truth for the factual divergence.
pub trait KnowledgeStore: Send + Sync {
    /// Context for `query` as text, or `None` if nothing is known.
    fn retrieve_context(&self, query: &str) -> Option<String>;

    /// The facts relevant to `query`. By default the context as one fact
    /// with an empty key (so only its value words count as evidence).
    fn retrieve_facts(&self, query: &str) -> Vec<Fact> {
        self.retrieve_context(query).map(|value| vec![Fact { key: String::new(), value }]).unwrap_or_default()
    }
}

impl<T: KnowledgeStore + ?Sized> KnowledgeStore for Box<T> {
    fn retrieve_context(&self, query: &str) -> Option<String> {
        (**self).retrieve_context(query)
    }
    fn retrieve_facts(&self, query: &str) -> Vec<Fact> {
        (**self).retrieve_facts(query)
    }
}

impl<T: KnowledgeStore + ?Sized> KnowledgeStore for Arc<T> {
    fn retrieve_context(&self, query: &str) -> Option<String> {
        (**self).retrieve_context(query)
    }
    fn retrieve_facts(&self, query: &str) -> Vec<Fact> {
        (**self).retrieve_facts(query)
    }
}

/// The built-in facts, in order. The pure-Python fallback keeps a copy
/// (`director_ai.scorer.DEFAULT_FACTS`); a pytest checks both backends know
/// the same facts.
pub const DEFAULT_FACTS: [(&str, &str); 8] = [
    ("sky color", "blue"),
    ("scpn layers", "16"),
    ("system layers", "16"),
    ("layer 1", "quantum biological"),
    ("layer 16", "director"),
    ("sec metric", "sustainable ethical coherence"),
    ("backfire limit", "entropy threshold"),
    ("vibrana symmetry", "13-fold"),
];

/// An ordered in-memory fact store.
///
/// A fact answers a query iff one word of its key equals one word of the
/// query (words are lowercased `\w+` runs: `"sec"` does not match
/// `"second"`). Results keep insertion order, so contexts are
/// deterministic.
///
/// ```
/// use backfire_std::scorer::{InMemoryKnowledge, KnowledgeStore};
/// let store = InMemoryKnowledge::default();
/// assert_eq!(store.retrieve_context("What color is the sky?").as_deref(), Some("sky color is blue"));
/// assert_eq!(
///     store.retrieve_context("How many SCPN layers?").as_deref(),
///     Some("scpn layers is 16; system layers is 16")
/// );
/// assert_eq!(store.retrieve_context("second thoughts"), None);
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct InMemoryKnowledge {
    facts: Vec<StoredFact>,
}

#[derive(Clone, Debug, PartialEq)]
struct StoredFact {
    fact: Fact,
    /// Lowercased words of the key with their fingerprints, computed once.
    key_words: Vec<(u64, String)>,
}

impl StoredFact {
    fn new(fact: Fact) -> Self {
        let words = Words::of(&fact.key);
        let key_words = words.iter().map(|w| (fingerprint(w), w.to_owned())).collect();
        StoredFact { fact, key_words }
    }

    fn answers(&self, query: &WordSet<'_>) -> bool {
        self.key_words.iter().any(|(f, w)| query.contains_fingerprinted(*f, w))
    }
}

impl Default for InMemoryKnowledge {
    /// The store with [`DEFAULT_FACTS`].
    fn default() -> Self {
        Self::with_facts(DEFAULT_FACTS)
    }
}

impl InMemoryKnowledge {
    /// A store with no facts.
    pub fn empty() -> Self {
        InMemoryKnowledge { facts: Vec::new() }
    }

    /// A store with exactly `facts`, in order (a repeated key keeps its first
    /// position and its last value).
    pub fn with_facts<K: Into<String>, V: Into<String>>(facts: impl IntoIterator<Item = (K, V)>) -> Self {
        let mut store = Self::empty();
        for (key, value) in facts {
            store.add_fact(key, value);
        }
        store
    }

    /// Adds a fact at the end, or replaces the value of an existing key in
    /// place.
    pub fn add_fact(&mut self, key: impl Into<String>, value: impl Into<String>) {
        let (key, value) = (key.into(), value.into());
        match self.facts.iter_mut().find(|f| f.fact.key == key) {
            Some(existing) => existing.fact.value = value,
            None => self.facts.push(StoredFact::new(Fact { key, value })),
        }
    }

    /// Every fact, in order.
    pub fn facts(&self) -> impl ExactSizeIterator<Item = &Fact> {
        self.facts.iter().map(|f| &f.fact)
    }

    /// Number of facts.
    pub fn len(&self) -> usize {
        self.facts.len()
    }

    /// `true` if the store holds no fact.
    pub fn is_empty(&self) -> bool {
        self.facts.is_empty()
    }

    /// The facts answering `query`, in order.
    fn matching(&self, query: &str) -> Vec<&Fact> {
        let words = Words::of(query);
        let query = words.set();
        self.facts.iter().filter(|f| f.answers(&query)).map(|f| &f.fact).collect()
    }
}

impl KnowledgeStore for InMemoryKnowledge {
    /// `"{key} is {value}"` of every matching fact, joined with `"; "`.
    fn retrieve_context(&self, query: &str) -> Option<String> {
        let parts: Vec<String> =
            self.matching(query).iter().map(|f| format!("{} is {}", f.key, f.value)).collect();
        (!parts.is_empty()).then(|| parts.join("; "))
    }

    fn retrieve_facts(&self, query: &str) -> Vec<Fact> {
        self.matching(query).into_iter().cloned().collect()
    }
}

/// A knowledge store from a closure returning context text.
///
/// ```
/// use backfire_std::scorer::{ExternalKnowledge, KnowledgeStore};
/// let store = ExternalKnowledge::new(|q: &str| q.contains("sky").then(|| "blue".to_owned()));
/// assert_eq!(store.retrieve_context("the sky").as_deref(), Some("blue"));
/// assert_eq!(store.retrieve_context("the sea"), None);
/// ```
#[derive(Clone, Copy)]
pub struct ExternalKnowledge<F>(F);

impl<F: Fn(&str) -> Option<String> + Send + Sync> ExternalKnowledge<F> {
    /// Wraps `retrieve(query)`.
    pub fn new(retrieve: F) -> Self {
        ExternalKnowledge(retrieve)
    }
}

impl<F: Fn(&str) -> Option<String> + Send + Sync> KnowledgeStore for ExternalKnowledge<F> {
    fn retrieve_context(&self, query: &str) -> Option<String> {
        (self.0)(query)
    }
}

impl<F> fmt::Debug for ExternalKnowledge<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ExternalKnowledge(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn context(store: &InMemoryKnowledge, q: &str) -> Option<String> {
        store.retrieve_context(q)
    }

    #[test]
    fn reference_lookups() {
        let s = InMemoryKnowledge::default();
        assert!(context(&s, "What color is the sky?").unwrap().contains("blue"));
        assert!(context(&s, "How many system layers?").unwrap().contains("16"));
        assert_eq!(context(&s, "xyzzy plugh"), None);
        assert_eq!(context(&s, "test prompt"), None);
        assert_eq!(context(&s, ""), None);
        assert_eq!(context(&s, "LIMIT").as_deref(), Some("backfire limit is entropy threshold"));
    }

    #[test]
    fn words_match_not_substrings() {
        let s = InMemoryKnowledge::default();
        // Reference: "sec" ⊂ "second" matched, "1" matched any number with a 1.
        assert_eq!(context(&s, "second thoughts"), None);
        assert_eq!(context(&s, "room 101"), None);
        assert_eq!(context(&s, "section 1").as_deref(), Some("layer 1 is quantum biological"));
    }

    #[test]
    fn order_is_insertion_order() {
        let s = InMemoryKnowledge::default();
        assert_eq!(
            context(&s, "layer 16 of the system").as_deref(),
            Some("system layers is 16; layer 1 is quantum biological; layer 16 is director")
        );
        let keys: Vec<&str> = s.facts().map(|f| f.key.as_str()).collect();
        assert_eq!(keys, DEFAULT_FACTS.map(|(k, _)| k));
    }

    #[test]
    fn custom_and_added_facts() {
        let s = InMemoryKnowledge::with_facts([("test key", "test value")]);
        assert!(context(&s, "test query with key").unwrap().contains("test value"));
        let mut s = InMemoryKnowledge::empty();
        assert!(s.is_empty());
        s.add_fact("capital", "Paris");
        assert!(context(&s, "What is the capital?").unwrap().contains("Paris"));
        let mut s = InMemoryKnowledge::default();
        s.add_fact("sky color", "green");
        let ctx = context(&s, "What color is the sky?").unwrap();
        assert!(ctx.contains("green") && !ctx.contains("blue"));
        assert_eq!(s.len(), DEFAULT_FACTS.len());
        assert_eq!(s.facts().next().unwrap(), &Fact::new("sky color", "green"));
    }

    #[test]
    fn key_words_are_lowercased() {
        let s = InMemoryKnowledge::with_facts([("Eiffel Tower", "Paris")]);
        assert_eq!(s.retrieve_facts("where is the eiffel tower"), [Fact::new("Eiffel Tower", "Paris")]);
    }

    #[test]
    fn external_store_wraps_its_context_as_one_fact() {
        let s = ExternalKnowledge::new(|q: &str| q.contains("sky").then(|| "blue".to_owned()));
        assert_eq!(s.retrieve_facts("sky?"), [Fact::new("", "blue")]);
        assert!(s.retrieve_facts("sea?").is_empty());
    }
}
