//! Words as the heuristics see them: lowercased runs of word characters —
//! letters, marks, numbers and connector punctuation such as `_` (Unicode
//! general categories L*, M*, N*, Pc; the `\w` of Unicode regular
//! expressions, UTS #18). Punctuation separates words, so `"sky?"` and
//! `"sky"` are the same word; marks stay inside theirs, so a Devanagari
//! word is not cut at its vowel signs. The pure-Python fallback applies
//! the same rule (`director_ai/_text.py`).

use std::borrow::Cow;

use unicode_general_category::get_general_category;

/// A text lowercased once; its words are slices of it.
pub(crate) struct Words<'a> {
    lower: Cow<'a, str>,
}

impl<'a> Words<'a> {
    /// Lowercases `text`, borrowing it when it is already lowercase ASCII
    /// (fact keys and values usually are), so no copy is made.
    pub(crate) fn of(text: &'a str) -> Self {
        let lower = if !text.is_ascii() {
            Cow::Owned(text.to_lowercase())
        } else if text.bytes().any(|b| b.is_ascii_uppercase()) {
            Cow::Owned(text.to_ascii_lowercase())
        } else {
            Cow::Borrowed(text)
        };
        Words { lower }
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

/// A letter, mark, number or connector punctuation (see the module docs).
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        return c.is_ascii_alphanumeric() || c == '_';
    }
    let category = get_general_category(c).abbreviation();
    category.starts_with(['L', 'M', 'N']) || category == "Pc"
}

/// A 64-bit FNV-1a fingerprint of a word: set operations compare these
/// integers and look at the text only when two fingerprints are equal.
pub(crate) fn fingerprint(word: &str) -> u64 {
    word.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// A set of words without repeats, sorted by fingerprint (texts are
/// short, so a sorted vector beats a hash set).
#[derive(Debug, PartialEq, Eq)]
pub(crate) struct WordSet<'a>(Vec<(u64, &'a str)>);

impl<'a> WordSet<'a> {
    pub(crate) fn new(words: impl Iterator<Item = &'a str>) -> Self {
        let mut v: Vec<(u64, &str)> = words.map(|w| (fingerprint(w), w)).collect();
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
        self.contains_fingerprinted(fingerprint(word), word)
    }

    /// [`contains`](Self::contains) for a word whose fingerprint is known.
    pub(crate) fn contains_fingerprinted(&self, fingerprint: u64, word: &str) -> bool {
        self.0.binary_search_by(|&(f, w)| f.cmp(&fingerprint).then_with(|| w.cmp(word))).is_ok()
    }

    /// `|self ∩ other|`.
    pub(crate) fn common(&self, other: &WordSet<'_>) -> usize {
        self.0.iter().filter(|&&(f, w)| other.contains_fingerprinted(f, w)).count()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(text: &str) -> Vec<String> {
        Words::of(text).iter().map(str::to_owned).collect()
    }

    #[test]
    fn colliding_fingerprints_still_compare_the_text() {
        let set = WordSet::new(["sky", "blue"].into_iter());
        assert!(!set.contains_fingerprinted(fingerprint("sky"), "skz"));
        assert!(set.contains_fingerprinted(fingerprint("sky"), "sky"));
        assert_ne!(fingerprint("sky"), fingerprint("ksy"));
    }

    #[test]
    fn lowercase_ascii_is_borrowed() {
        assert!(matches!(Words::of("sky color").lower, Cow::Borrowed(_)));
        assert!(matches!(Words::of("Sky").lower, Cow::Owned(_)));
        assert_eq!(Words::of("ÄRGER").text(), "ärger");
    }

    #[test]
    fn punctuation_separates_and_case_folds() {
        assert_eq!(words("What color is the SKY?"), ["what", "color", "is", "the", "sky"]);
        assert_eq!(words("13-fold, snake_case;x"), ["13", "fold", "snake_case", "x"]);
        assert_eq!(words("  ?!  "), Vec::<String>::new());
        assert_eq!(words("Grüße, Ölfeld"), ["grüße", "ölfeld"]);
    }

    #[test]
    fn marks_stay_inside_their_words() {
        // Devanagari vowel signs (Mc/Mn), a decomposed é (e + U+0301), Thai.
        assert_eq!(words("क्या आकाश नीला है?"), ["क्या", "आकाश", "नीला", "है"]);
        assert_eq!(words("cafe\u{301} au lait"), ["cafe\u{301}", "au", "lait"]);
        assert_eq!(words("ท้องฟ้า สีฟ้า"), ["ท้องฟ้า", "สีฟ้า"]);
        // Connector punctuation joins, other punctuation and symbols split.
        assert_eq!(words("a\u{203F}b c€d ½x"), ["a\u{203F}b", "c", "d", "½x"]);
    }

    #[test]
    fn sets_deduplicate_and_compare() {
        let a = Words::of("the sky, the SKY is blue");
        let a = a.set();
        assert_eq!(a.len(), 4);
        let b = Words::of("sky blue");
        let b = b.set();
        assert_eq!(a.common(&b), 2);
        assert_eq!(b.common(&a), 2);
        assert!(a.contains("the") && !a.contains("green"));
        let none = Words::of("...");
        assert!(none.set().is_empty());
        assert_eq!(none.set().common(&a), 0);
    }
}
