//! Names the engines accept, made from job ids that may hold anything.
//!
//! A job id is the user's text. Where an engine needs a name of a restricted form (a
//! Kubernetes object name, a Slurm job name, a file name), the id is *sanitized*: characters
//! outside the allowed set become a separator, runs of separators collapse, separators at the
//! ends go, and the result is cut to the length allowed. Whenever that changed anything, the
//! name ends in `-` and eight hex digits of the id's FNV-1a hash, so two ids that sanitize
//! alike (`Train A`, `train-a`) still get two names, and the same id always gets the same name.
//! An id already in the allowed form is used as it is. The original id travels beside the name
//! (an annotation, an exported variable), never inside a place a shell or YAML parses.

/// The longest Kubernetes name this writes: a DNS-1123 label (a Job's name becomes the
/// `job-name` label of its pods, so it is held to a label's 63 characters).
pub const DNS1123_LABEL_MAX: usize = 63;

/// The longest Slurm job name (and script file stem) this writes.
pub const SLURM_NAME_MAX: usize = 64;

/// FNV-1a, 32 bits: stable across Rust versions and platforms, unlike `DefaultHasher`.
fn fnv1a32(text: &str) -> u32 {
    text.bytes().fold(0x811c_9dc5_u32, |h, b| {
        (h ^ u32::from(b)).wrapping_mul(0x0100_0193)
    })
}

/// `id` kept where `keep` maps each character, else sanitized and suffixed with its hash, in
/// at most `max` characters (`max` ≥ 9).
fn sanitize(id: &str, keep: impl Fn(char) -> Option<char>, max: usize) -> String {
    let mut base = String::new();
    for c in id.chars() {
        match keep(c) {
            Some(k) if k != '-' => base.push(k),
            _ => {
                if !base.is_empty() && !base.ends_with('-') {
                    base.push('-');
                }
            }
        }
    }
    let base = base.trim_matches(|c| c == '-' || c == '.').to_string();
    if !base.is_empty() && base == id && base.chars().count() <= max {
        return base;
    }
    let hash = format!("{:08x}", fnv1a32(id));
    let room = max - hash.len() - 1;
    let cut: String = base.chars().take(room).collect();
    let cut = cut.trim_end_matches(['-', '.']);
    if cut.is_empty() {
        hash
    } else {
        format!("{cut}-{hash}")
    }
}

/// A Kubernetes object name for job `id`: `prefix` (already a valid start of a label, see
/// [`is_name_prefix`]) followed by the id sanitized to lowercase letters, digits and `-`.
pub fn dns1123_label(prefix: &str, id: &str) -> String {
    let max = DNS1123_LABEL_MAX - prefix.len();
    let keep = |c: char| {
        let c = c.to_ascii_lowercase();
        (c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-').then_some(c)
    };
    // Lowercasing changes the id, so `Train` and `train` differ by their hashes.
    format!("{prefix}{}", sanitize(id, keep, max))
}

/// A Slurm job name (also the stem of its script's file name) for job `id`: letters, digits,
/// `_`, `.` and `-`, not starting with `.` or `-`.
pub fn slurm_name(id: &str) -> String {
    let keep =
        |c: char| (c.is_ascii_alphanumeric() || c == '_' || c == '.' || c == '-').then_some(c);
    sanitize(id, keep, SLURM_NAME_MAX)
}

/// Whether `s` is a DNS-1123 label: 1 to 63 lowercase letters, digits and `-`, starting and
/// ending with a letter or digit.
pub fn is_dns1123_label(s: &str) -> bool {
    let b = s.as_bytes();
    (1..=DNS1123_LABEL_MAX).contains(&b.len())
        && b.iter()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == b'-')
        && b[0] != b'-'
        && b[b.len() - 1] != b'-'
}

/// Whether `s` may start a Kubernetes name: empty, or up to 30 lowercase letters, digits and
/// `-`, starting with a letter or digit.
pub fn is_name_prefix(s: &str) -> bool {
    s.is_empty()
        || (s.len() <= 30
            && s.bytes()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == b'-')
            && !s.starts_with('-'))
}

/// Whether `s` is a Kubernetes label value: empty, or up to 63 letters, digits, `-`, `_` and
/// `.`, starting and ending with a letter or digit.
pub fn is_label_value(s: &str) -> bool {
    let b = s.as_bytes();
    b.is_empty()
        || (b.len() <= 63
            && b.iter()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'-' | b'_' | b'.'))
            && b[0].is_ascii_alphanumeric()
            && b[b.len() - 1].is_ascii_alphanumeric())
}

/// Whether `s` is a Kubernetes label (or annotation) key: an optional DNS subdomain prefix
/// (at most 253 characters) and `/`, then a name that is a non-empty label value.
pub fn is_label_key(s: &str) -> bool {
    let (prefix, name) = match s.rsplit_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, s),
    };
    let subdomain = |p: &str| {
        (1..=253).contains(&p.len()) && p.split('.').all(is_dns1123_label) && !p.contains("..")
    };
    !name.is_empty() && is_label_value(name) && prefix.is_none_or(subdomain)
}

/// Whether `s` can stand unquoted as the value of an `#SBATCH` option (a partition name):
/// 1 to 64 letters, digits, `_`, `.` and `-`, not starting with `-`.
pub fn is_slurm_token(s: &str) -> bool {
    (1..=64).contains(&s.len())
        && s.bytes()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-'))
        && !s.starts_with('-')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn valid_ids_are_kept_and_others_get_a_stable_hash() {
        assert_eq!(dns1123_label("sustain-", "train-1"), "sustain-train-1");
        assert_eq!(slurm_name("Train_A.1"), "Train_A.1");
        let a = dns1123_label("", "Train A");
        let b = dns1123_label("", "train-a");
        assert_ne!(a, b);
        assert!(
            a.starts_with("train-a-") && a.len() == "train-a-".len() + 8,
            "{a}"
        );
        assert_eq!(a, dns1123_label("", "Train A"));
        // The example of docs/methods/scheduling-executors.md.
        assert_eq!(
            dns1123_label("sustain-", "Train A"),
            "sustain-train-a-56d056fe"
        );
        assert_eq!(b, "train-a");
    }

    #[test]
    fn hostile_ids_give_valid_names() {
        let long = "x".repeat(300);
        for id in [
            "",
            "-",
            "---",
            "..",
            "../../etc/passwd",
            "a\nb: c",
            "x\"; rm -rf / #",
            "$(reboot)",
            "日本語",
            "ÄÖÜ job",
            "UPPER",
            "trailing-",
            "-leading",
            long.as_str(),
        ] {
            for prefix in ["", "sustain-"] {
                let n = dns1123_label(prefix, id);
                assert!(is_dns1123_label(&n), "{id:?} -> {n:?}");
            }
            let s = slurm_name(id);
            assert!(is_slurm_token(&s) && !s.starts_with('.'), "{id:?} -> {s:?}");
        }
    }

    #[test]
    fn label_keys_and_values_follow_kubernetes() {
        assert!(is_label_key("topology.kubernetes.io/region"));
        assert!(is_label_key("region"));
        assert!(!is_label_key("Topology..io/region"));
        assert!(!is_label_key("a/b/"));
        assert!(!is_label_key("bad key"));
        assert!(is_label_value("eu-west-1"));
        assert!(!is_label_value("-x"));
        assert!(!is_label_value("a b"));
        assert!(is_name_prefix("sustain-"));
        assert!(!is_name_prefix("Sustain"));
        assert!(is_slurm_token("gpu.a100"));
        assert!(!is_slurm_token("gb --qos=high"));
        assert!(!is_slurm_token("-x"));
    }
}
