//! Words as the heuristics see them: runs of alphanumerics and `_` (the
//! `\w+` of a regex), lowercased. Punctuation separates words, so `"sky?"`
//! and `"sky"` are the same word.

/// A text lowercased once; its words are slices of it.
pub(crate) struct Words {
    lower: String,
}

impl Words {
    /// Lowercases `text`.
    pub(crate) fn of(text: &str) -> Self {
        Words { lower: text.to_lowercase() }
    }

    /// The lowercased text.
    pub(crate) fn text(&self) -> &str {
        &self.lower
    }

    /// The words, in order, with repeats.
    pub(crate) fn iter(&self) -> impl Iterator<Item = &str> {
        self.lower.split(|c: char| !is_word_char(c)).filter(|w| !w.is_empty())
    }

    /// The distinct words.
    pub(crate) fn set(&self) -> WordSet<'_> {
        WordSet::new(self.iter())
    }
}

/// `\w`: a letter, digit or underscore (Unicode-aware).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// A set of words, sorted and without repeats (texts are short, so a sorted
/// vector beats a hash set).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct WordSet<'a>(Vec<&'a str>);

impl<'a> WordSet<'a> {
    pub(crate) fn new(words: impl Iterator<Item = &'a str>) -> Self {
        let mut v: Vec<&str> = words.collect();
        v.sort_unstable();
        v.dedup();
        WordSet(v)
    }

    pub(crate) fn len(&self) -> usize {
        self.0.len()
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub(crate) fn contains(&self, word: &str) -> bool {
        self.0.binary_search(&word).is_ok()
    }

    /// `|self ∩ other|`.
    pub(crate) fn common(&self, other: &WordSet<'_>) -> usize {
        self.0.iter().filter(|w| other.contains(w)).count()
    }

    /// `self ⊆ other`.
    pub(crate) fn is_subset_of(&self, other: &WordSet<'_>) -> bool {
        self.0.iter().all(|w| other.contains(w))
    }

    /// `self ∩ other ≠ ∅`.
    pub(crate) fn intersects(&self, other: &WordSet<'_>) -> bool {
        self.0.iter().any(|w| other.contains(w))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        Words::of(text).iter().map(str::to_owned).collect()
    }

    #[test]
    fn punctuation_separates_and_case_folds() {
        assert_eq!(words("What color is the SKY?"), ["what", "color", "is", "the", "sky"]);
        assert_eq!(words("13-fold, snake_case;x"), ["13", "fold", "snake_case", "x"]);
        assert_eq!(words("  ?!  "), Vec::<String>::new());
        assert_eq!(words("Grüße, Ölfeld"), ["grüße", "ölfeld"]);
    }

    #[test]
    fn sets_deduplicate_and_compare() {
        let a = Words::of("the sky, the SKY is blue");
        let a = a.set();
        assert_eq!(a.len(), 4);
        let b = Words::of("sky blue");
        let b = b.set();
        assert!(b.is_subset_of(&a));
        assert!(!a.is_subset_of(&b));
        assert_eq!(a.common(&b), 2);
        assert!(a.intersects(&b));
        let none = Words::of("...");
        assert!(none.set().is_empty());
        assert!(!none.set().intersects(&a));
    }
}
