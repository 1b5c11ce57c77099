//! Review evidence in the history: which commits last touched an artifact, and whether each
//! was reviewed (a review trailer naming someone other than its author, or a merged
//! pull/merge request that brought it in).
//!
//! The walk follows first parents from HEAD, newest first. A commit on that line "touches"
//! the artifact when its tree differs from its first parent's inside the artifact's scope.
//! A touching merge whose message matches a merge pattern is a merged pull/merge request:
//! everything it brought in was reviewed there, and the walk stops (older changes were in
//! place when it was reviewed). Other touching commits need a trailer; for a merge that is
//! not a pull request, each commit of its merged side that touches the artifact does.

use std::collections::HashSet;

use git2::{Commit, Oid, Sort};
use regex::Regex;

use super::{GitRepo, Scope, short};
use crate::detection::identity;

/// What counts as review evidence in commits.
pub struct Settings<'a> {
    /// Trailer keys naming a reviewer (`Reviewed-by`), compared case-insensitively.
    pub trailers: &'a [String],
    /// Regexes a merge commit's message matches when it merged a pull/merge request.
    pub merge_patterns: &'a [Regex],
    /// How many first-parent commits to examine at most.
    pub max_commits: usize,
}

/// How a commit was reviewed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Coverage {
    /// Trailers name these reviewers (none of them the author).
    Trailers(Vec<String>),
    /// A merged pull/merge request (the merge commit itself).
    Merged {
        /// The part of the message that matched.
        matched: String,
        /// Commits of the merged side that touched the artifact, with their authors.
        merged: Vec<(Oid, String)>,
    },
    /// No review evidence; the trailers found named only the author, if any.
    Unreviewed {
        /// Trailers found that named the author themself.
        self_trailers: Vec<String>,
    },
}

/// A commit that touched the artifact.
#[derive(Debug, Clone)]
pub struct Touch {
    /// Its id.
    pub id: Oid,
    /// `Name <email>` of its author.
    pub author: String,
    /// First line of its message.
    pub summary: String,
    /// Its review evidence.
    pub coverage: Coverage,
}

/// Why the walk ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stop {
    /// At a merged pull/merge request that touched the artifact.
    PullRequest,
    /// At the first commit of the history.
    Root,
    /// At the boundary of a shallow clone: older history is missing.
    Shallow,
    /// After `max_commits` commits.
    Window,
}

/// The result of walking the history.
#[derive(Debug, Clone)]
pub struct Walk {
    /// Touching commits, newest first (including a merged pull request that ended the walk).
    pub touches: Vec<Touch>,
    /// Why the walk ended.
    pub stop: Stop,
    /// How many first-parent commits were examined.
    pub examined: usize,
}

impl Walk {
    /// Authors of the touching commits (and of the commits merged pull requests brought in).
    pub fn authors(&self) -> Vec<String> {
        let mut seen = Vec::new();
        for t in &self.touches {
            // Whoever pressed "merge" did not write the changes; the merged side's authors did.
            let authors: Vec<&String> = match &t.coverage {
                Coverage::Merged { merged, .. } => merged.iter().map(|(_, a)| a).collect(),
                _ => vec![&t.author],
            };
            for a in authors {
                if !seen.contains(a) {
                    seen.push(a.clone());
                }
            }
        }
        seen
    }
}

fn signature(c: &Commit<'_>) -> String {
    let a = c.author();
    let name = String::from_utf8_lossy(a.name_bytes()).into_owned();
    let email = String::from_utf8_lossy(a.email_bytes()).into_owned();
    format!("{name} <{email}>")
}

/// Whether the trailer value `who` names the same person as the author `Name <email>`.
fn same_person(who: &str, author: &str) -> bool {
    let id = identity(who);
    if id.is_empty() {
        return true;
    }
    if id == identity(author) {
        return true;
    }
    // A trailer giving only a name is the author when the names agree.
    let name = |s: &str| {
        s.split('<')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
    };
    !who.contains('<') && !who.contains('@') && name(who) == name(author)
}

fn summary_of(c: &Commit<'_>) -> String {
    String::from_utf8_lossy(c.message_bytes())
        .lines()
        .next()
        .unwrap_or("")
        .to_string()
}

fn trailers(c: &Commit<'_>, keys: &[String]) -> Vec<String> {
    let msg = String::from_utf8_lossy(c.message_bytes()).into_owned();
    let Ok(found) = git2::message_trailers_strs(&msg) else {
        return Vec::new();
    };
    found
        .iter()
        .filter(|(k, _)| keys.iter().any(|want| want.eq_ignore_ascii_case(k.trim())))
        .map(|(_, v)| v.trim().to_string())
        .collect()
}

fn trailer_coverage(c: &Commit<'_>, keys: &[String]) -> Coverage {
    let author = signature(c);
    let (others, own): (Vec<String>, Vec<String>) = trailers(c, keys)
        .into_iter()
        .partition(|v| !same_person(v, &author));
    if others.is_empty() {
        Coverage::Unreviewed { self_trailers: own }
    } else {
        Coverage::Trailers(others)
    }
}

impl GitRepo {
    fn shallow_boundary(&self) -> HashSet<Oid> {
        if !self.is_shallow() {
            return HashSet::new();
        }
        std::fs::read_to_string(self.raw().path().join("shallow"))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| Oid::from_str(l.trim()).ok())
            .collect()
    }

    /// Whether `commit` changed anything in `scope` relative to `parent` (or to nothing).
    fn touches(
        &self,
        commit: &Commit<'_>,
        parent: Option<&Commit<'_>>,
        scope: &Scope,
    ) -> Result<bool, String> {
        let tree = commit.tree().map_err(|e| {
            format!(
                "cannot read the tree of {}: {}",
                short(commit.id()),
                e.message()
            )
        })?;
        let parent_tree = match parent {
            Some(p) => Some(p.tree().map_err(|e| {
                format!("cannot read the tree of {}: {}", short(p.id()), e.message())
            })?),
            None => None,
        };
        // Fast path: the artifact's folder is the same subtree in both.
        if scope.only.is_none()
            && !scope.prefix.is_empty()
            && let Some(pt) = &parent_tree
        {
            let here = tree.get_path(std::path::Path::new(&scope.prefix)).ok();
            let there = pt.get_path(std::path::Path::new(&scope.prefix)).ok();
            match (here, there) {
                (None, None) => return Ok(false),
                (Some(a), Some(b)) if a.id() == b.id() => return Ok(false),
                _ => {}
            }
        }
        let mut opts = git2::DiffOptions::new();
        opts.ignore_submodules(true);
        let diff = self
            .raw()
            .diff_tree_to_tree(parent_tree.as_ref(), Some(&tree), Some(&mut opts))
            .map_err(|e| format!("cannot diff {}: {}", short(commit.id()), e.message()))?;
        Ok(diff.deltas().any(|d| {
            [d.new_file().path(), d.old_file().path()]
                .into_iter()
                .flatten()
                .any(|p| {
                    let s = p
                        .components()
                        .map(|c| c.as_os_str().to_string_lossy().into_owned())
                        .collect::<Vec<_>>()
                        .join("/");
                    scope.contains(&s)
                })
        }))
    }

    /// The commit `id` when it is not a merge and touches `scope`.
    fn single_parent_touching(&self, id: Oid, scope: &Scope) -> Result<Option<Commit<'_>>, String> {
        let c = self
            .raw()
            .find_commit(id)
            .map_err(|e| format!("cannot read commit {}: {}", short(id), e.message()))?;
        if c.parent_count() > 1 {
            return Ok(None);
        }
        let parent = match c.parent_count() {
            0 => None,
            _ => Some(c.parent(0).map_err(|e| {
                format!("cannot read the parent of {}: {}", short(id), e.message())
            })?),
        };
        Ok(self.touches(&c, parent.as_ref(), scope)?.then_some(c))
    }

    /// Commits of a merge's merged side (reachable from its other parents, not its first),
    /// newest first, at most `max`.
    fn merged_side(&self, merge: &Commit<'_>, max: usize) -> Result<Vec<Oid>, String> {
        let mut walk = self
            .raw()
            .revwalk()
            .map_err(|e| format!("cannot walk history: {}", e.message()))?;
        walk.set_sorting(Sort::TOPOLOGICAL | Sort::TIME)
            .map_err(|e| e.message().to_string())?;
        for p in merge.parent_ids().skip(1) {
            walk.push(p).map_err(|e| e.message().to_string())?;
        }
        if let Some(first) = merge.parent_ids().next() {
            walk.hide(first).map_err(|e| e.message().to_string())?;
        }
        let mut out = Vec::new();
        for id in walk.take(max) {
            out.push(id.map_err(|e| format!("cannot walk history: {}", e.message()))?);
        }
        Ok(out)
    }

    /// Walks the first-parent history from HEAD and reports the commits that last touched
    /// `scope` with their review evidence. `Ok(None)` when the repository has no commits.
    pub fn review_walk(&self, scope: &Scope, s: &Settings<'_>) -> Result<Option<Walk>, String> {
        let Some(head) = self.head()? else {
            return Ok(None);
        };
        let boundary = self.shallow_boundary();
        let mut touches = Vec::new();
        let mut current = head;
        let mut examined = 0;
        let stop = loop {
            if examined >= s.max_commits {
                break Stop::Window;
            }
            examined += 1;
            let id = current.id();
            if boundary.contains(&id) {
                break Stop::Shallow;
            }
            let parent = match current.parent_count() {
                0 => None,
                _ => Some(current.parent(0).map_err(|e| {
                    format!("cannot read the parent of {}: {}", short(id), e.message())
                })?),
            };
            if self.touches(&current, parent.as_ref(), scope)? {
                let msg = String::from_utf8_lossy(current.message_bytes()).into_owned();
                let matched = s
                    .merge_patterns
                    .iter()
                    .find_map(|re| re.find(&msg).map(|m| m.as_str().to_string()));
                let summary = msg.lines().next().unwrap_or("").to_string();
                if current.parent_count() > 1 {
                    let side = self.merged_side(&current, s.max_commits)?;
                    let mut touched = Vec::new();
                    for m in side {
                        if let Some(c) = self.single_parent_touching(m, scope)? {
                            touched.push(c);
                        }
                    }
                    if let Some(matched) = matched {
                        let merged = touched.iter().map(|c| (c.id(), signature(c))).collect();
                        touches.push(Touch {
                            id,
                            author: signature(&current),
                            summary,
                            coverage: Coverage::Merged { matched, merged },
                        });
                        break Stop::PullRequest;
                    }
                    // A merge that is not a pull request: its merged-side commits need review.
                    for c in touched {
                        touches.push(Touch {
                            id: c.id(),
                            author: signature(&c),
                            summary: summary_of(&c),
                            coverage: trailer_coverage(&c, s.trailers),
                        });
                    }
                } else {
                    touches.push(Touch {
                        id,
                        author: signature(&current),
                        summary,
                        coverage: trailer_coverage(&current, s.trailers),
                    });
                }
            }
            match parent {
                Some(p) => current = p,
                None => break Stop::Root,
            }
        };
        Ok(Some(Walk {
            touches,
            stop,
            examined,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trailer_names_compare_by_email_or_name() {
        let author = "Alice Doe <alice@corp.example>";
        assert!(same_person("Alice Doe <ALICE@corp.example>", author));
        assert!(same_person("alice@corp.example", author));
        assert!(same_person("alice doe", author));
        assert!(same_person("", author));
        assert!(!same_person("Bob <bob@corp.example>", author));
        assert!(!same_person("Bob", author));
    }
}
