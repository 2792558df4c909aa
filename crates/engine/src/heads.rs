//! One pass over a record's top-level members, instead of one hash lookup per field.
//!
//! Nearly every binding is a singular path from a top-level member (`$.WorkZone.Id`).
//! Looking each up in the record's own map costs a few cache misses apiece, because
//! records held for a preview are scattered over the heap; in a re-preview of 10,000
//! records that dominated the time. So the mapping lists the distinct top-level names its
//! paths start from, and `resolve` walks the record's members once, in memory order,
//! matching them against that small table, which stays in cache.

use crate::path::Selector;
use serde_json::Value;

/// The top-level member names a mapping reads, with a small open-addressing index.
#[derive(Debug, Clone, Default)]
pub(crate) struct Heads {
    names: Vec<String>,
    /// `(hash, index into names)`; empty slots hold `usize::MAX`.
    slots: Vec<(u64, usize)>,
    /// Bit `n` set when some name is `n` bytes long (bit 63: 63 or longer). A record's
    /// members are mostly not read, and most of those are turned away by their length
    /// alone, before any hashing (a filter's narrowed mapping reads two or three).
    lengths: u64,
}

/// A name's bit in [`Heads::lengths`].
fn length_bit(name: &str) -> u64 {
    1 << name.len().min(63)
}

/// Length and three bytes, mixed: constant time whatever the name's length, which is
/// what a per-member pass needs. Collisions only cost a probe; equality decides.
fn hash(text: &str) -> u64 {
    let b = text.as_bytes();
    let Some(&last) = b.last() else { return 0 };
    let raw = (b.len() as u64)
        | u64::from(b[0]) << 16
        | u64::from(b[b.len() / 2]) << 24
        | u64::from(last) << 32;
    raw.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 17
}

impl Heads {
    /// The index of `name`, adding it if new.
    pub fn intern(&mut self, name: &str) -> usize {
        if let Some(found) = self.find(name) {
            return found;
        }
        self.names.push(name.to_string());
        self.rebuild();
        self.names.len() - 1
    }

    /// A table of `names` built once (for a set looked up per member of every record).
    pub fn of<'a>(names: impl IntoIterator<Item = &'a str>) -> Heads {
        let mut heads = Heads::default();
        for name in names {
            if !heads.names.iter().any(|n| n == name) {
                heads.names.push(name.to_string());
            }
        }
        heads.rebuild();
        heads
    }

    pub fn contains(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    fn rebuild(&mut self) {
        self.lengths = self
            .names
            .iter()
            .fold(0, |bits, name| bits | length_bit(name));
        let size = (self.names.len() * 4).next_power_of_two();
        self.slots = vec![(0, usize::MAX); size];
        for (index, name) in self.names.iter().enumerate() {
            let h = hash(name);
            let mut at = h as usize & (size - 1);
            while self.slots[at].1 != usize::MAX {
                at = (at + 1) & (size - 1);
            }
            self.slots[at] = (h, index);
        }
    }

    pub fn find(&self, name: &str) -> Option<usize> {
        if self.lengths & length_bit(name) == 0 {
            return None;
        }
        let h = hash(name);
        let mask = self.slots.len() - 1;
        let mut at = h as usize & mask;
        loop {
            let (slot_hash, index) = self.slots[at];
            if index == usize::MAX {
                return None;
            }
            if slot_hash == h && self.names[index] == name {
                return Some(index);
            }
            at = (at + 1) & mask;
        }
    }

    pub fn names(&self) -> impl Iterator<Item = &str> {
        self.names.iter().map(String::as_str)
    }

    pub fn len(&self) -> usize {
        self.names.len()
    }

    /// The record's value for each name (`None` where absent or not an object).
    pub fn resolve<'a>(&self, record: &'a Value, out: &mut Vec<Option<&'a Value>>) {
        out.clear();
        out.resize(self.names.len(), None);
        self.resolve_into(record, out);
    }

    /// `resolve` into a slice of exactly `len()` slots (a caller's stack buffer).
    pub fn resolve_into<'a>(&self, record: &'a Value, out: &mut [Option<&'a Value>]) {
        out.fill(None);
        if let Value::Object(map) = record {
            for (key, value) in map {
                if let Some(index) = self.find(key) {
                    out[index] = Some(value);
                }
            }
        }
    }
}

/// The record a mapping reads: the whole value, or only its top-level members, one slot
/// per head (a record read by `input::read_members`, with no object built for it).
/// In the second form every selector read is singular and starts at a head (the
/// mapping's `member_table` exists only then).
#[derive(Debug, Clone, Copy)]
pub(crate) enum RecordRef<'a> {
    Whole(&'a Value),
    Members {
        heads: &'a Heads,
        top: &'a [Option<&'a Value>],
        /// The slots as read: a head a query reads below is inside an object of its own.
        slots: &'a [Option<Value>],
    },
}

impl<'a> RecordRef<'a> {
    /// What a singular selector points at (`Selector::get`).
    pub fn get(self, selector: &Selector) -> Option<&'a Value> {
        match self {
            RecordRef::Whole(record) => selector.get(record),
            RecordRef::Members { heads, top, .. } => {
                let slot = heads.find(selector.head()?)?;
                top.get(slot)
                    .copied()
                    .flatten()
                    .and_then(|head| selector.get_below_head(head))
            }
        }
    }

    /// Every match (`Selector::query`). From members, a query runs on its head's own
    /// object (`compile::MemberTable::wrapped`).
    pub fn query(self, selector: &Selector) -> Vec<&'a Value> {
        match self {
            RecordRef::Whole(record) => selector.query(record),
            RecordRef::Members { .. } if selector.is_singular() => {
                self.get(selector).into_iter().collect()
            }
            RecordRef::Members { heads, slots, .. } => selector
                .only_below_head()
                .and_then(|name| heads.find(name))
                .and_then(|slot| slots.get(slot)?.as_ref())
                .map(|root| selector.query(root))
                .unwrap_or_default(),
        }
    }

    /// A path's value as a field's source reads it (`apply::read`).
    pub fn read(self, selector: &Selector) -> Option<std::borrow::Cow<'a, Value>> {
        match self {
            RecordRef::Whole(record) => crate::apply::read(selector, record),
            RecordRef::Members { .. } if selector.is_singular() => {
                self.get(selector).map(std::borrow::Cow::Borrowed)
            }
            RecordRef::Members { .. } => {
                let found = self.query(selector);
                (!found.is_empty()).then(|| {
                    std::borrow::Cow::Owned(Value::Array(found.into_iter().cloned().collect()))
                })
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn resolves_every_interned_name_in_one_pass() {
        let mut heads = Heads::default();
        let names = ["Id", "WorkZone", "Missing", "DueDateUtc", "Id"];
        let indexes: Vec<usize> = names.iter().map(|n| heads.intern(n)).collect();
        assert_eq!(indexes, [0, 1, 2, 3, 0]);
        assert_eq!(heads.len(), 4);
        let record = json!({"Id": 1, "WorkZone": {"Id": 6}, "DueDateUtc": "x", "Other": true});
        let mut out = Vec::new();
        heads.resolve(&record, &mut out);
        assert_eq!(
            out,
            vec![
                Some(&json!(1)),
                Some(&json!({"Id": 6})),
                None,
                Some(&json!("x"))
            ]
        );
        let not_an_object = json!([1]);
        heads.resolve(&not_an_object, &mut out);
        assert_eq!(out, vec![None; 4]);
    }
}
