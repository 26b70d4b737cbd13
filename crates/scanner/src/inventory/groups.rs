//! The group tree every format builds, and the order in which group settings apply.
//!
//! As in Ansible: `all` is the root (depth 0); a group with no parent is a child of `all`; a
//! group's depth is its longest path from `all`; a host that belongs to no group but `all` is
//! put in `ungrouped`. Settings apply from shallow to deep groups (so a child group overrides
//! its parents), groups of equal depth by `priority` and then by name, and host settings last.

use std::collections::HashMap;

pub(crate) const ALL: &str = "all";
pub(crate) const UNGROUPED: &str = "ungrouped";

#[derive(Debug, Default)]
pub(crate) struct GroupTree {
    names: Vec<String>,
    index: HashMap<String, usize>,
    children: Vec<Vec<usize>>,
    parents: Vec<Vec<usize>>,
    priority: Vec<i64>,
}

impl GroupTree {
    pub fn new() -> Self {
        let mut t = GroupTree::default();
        t.add(ALL);
        t.add(UNGROUPED);
        t
    }

    /// The id of group `name`, created if needed.
    pub fn add(&mut self, name: &str) -> usize {
        if let Some(&i) = self.index.get(name) {
            return i;
        }
        let i = self.names.len();
        self.names.push(name.to_string());
        self.index.insert(name.to_string(), i);
        self.children.push(Vec::new());
        self.parents.push(Vec::new());
        self.priority.push(1);
        i
    }

    /// The id of group `name`, if it exists.
    pub fn find(&self, name: &str) -> Option<usize> {
        self.index.get(name).copied()
    }

    pub fn name(&self, id: usize) -> &str {
        &self.names[id]
    }

    pub fn set_priority(&mut self, id: usize, priority: i64) {
        self.priority[id] = priority;
    }

    pub fn add_child(&mut self, parent: usize, child: usize) {
        if !self.children[parent].contains(&child) {
            self.children[parent].push(child);
            self.parents[child].push(parent);
        }
    }

    /// Links parentless groups under `all` and computes depths. Returns the depth of each group,
    /// or the names along a cycle.
    pub fn finish(&mut self) -> Result<Depths, Vec<String>> {
        let all = self.add(ALL);
        for g in 0..self.names.len() {
            if g != all && self.parents[g].is_empty() {
                self.add_child(all, g);
            }
        }
        // Longest path from `all`, by depth-first search with cycle detection.
        let n = self.names.len();
        let mut depth: Vec<Option<usize>> = vec![None; n];
        let mut on_path = vec![false; n];
        fn visit(
            t: &GroupTree,
            g: usize,
            depth: &mut [Option<usize>],
            on_path: &mut [bool],
            path: &mut Vec<usize>,
        ) -> Result<usize, Vec<usize>> {
            if let Some(d) = depth[g] {
                return Ok(d);
            }
            if on_path[g] {
                let start = path.iter().position(|&p| p == g).unwrap_or(0);
                let mut cycle = path[start..].to_vec();
                cycle.push(g);
                return Err(cycle);
            }
            on_path[g] = true;
            path.push(g);
            let mut d = 0;
            for &p in &t.parents[g] {
                d = d.max(visit(t, p, depth, on_path, path)? + 1);
            }
            path.pop();
            on_path[g] = false;
            depth[g] = Some(d);
            Ok(d)
        }
        let mut path = Vec::new();
        for g in 0..n {
            visit(self, g, &mut depth, &mut on_path, &mut path).map_err(|c| {
                c.into_iter()
                    .map(|i| self.names[i].clone())
                    .collect::<Vec<_>>()
            })?;
        }
        Ok(Depths(depth.into_iter().map(|d| d.unwrap_or(0)).collect()))
    }

    /// `direct` plus every ancestor, `all` included, in the order their settings apply.
    pub fn apply_order(&self, direct: &[usize], depths: &Depths) -> Vec<usize> {
        let mut seen = vec![false; self.names.len()];
        let mut stack: Vec<usize> = direct.to_vec();
        let mut out = Vec::new();
        while let Some(g) = stack.pop() {
            if !std::mem::replace(&mut seen[g], true) {
                out.push(g);
                stack.extend(self.parents[g].iter().copied());
            }
        }
        out.sort_by(|&a, &b| {
            (depths.0[a], self.priority[a], &self.names[a]).cmp(&(
                depths.0[b],
                self.priority[b],
                &self.names[b],
            ))
        });
        out
    }

    /// The names of `groups` for [`Target::groups`](super::Target::groups): sorted, `all` left
    /// out.
    pub fn member_names(&self, groups: &[usize]) -> Vec<String> {
        let mut names: Vec<String> = groups
            .iter()
            .map(|&g| self.names[g].clone())
            .filter(|n| n != ALL)
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// Every group name except `all`, sorted.
    pub fn names(&self) -> Vec<String> {
        self.member_names(&(0..self.names.len()).collect::<Vec<_>>())
    }
}

/// Depth of each group (by id).
#[derive(Debug)]
pub(crate) struct Depths(Vec<usize>);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn children_apply_after_parents_and_ties_go_by_name() {
        let mut t = GroupTree::new();
        let web = t.add("web");
        let eu = t.add("web_eu");
        let zed = t.add("zed");
        let prod = t.add("prod");
        t.add_child(web, eu);
        let d = t.finish().unwrap();
        let order: Vec<&str> = t
            .apply_order(&[eu, zed, prod], &d)
            .into_iter()
            .map(|g| t.name(g))
            .collect();
        assert_eq!(order, ["all", "prod", "web", "zed", "web_eu"]);
    }

    #[test]
    fn cycle_is_reported() {
        let mut t = GroupTree::new();
        let a = t.add("a");
        let b = t.add("b");
        t.add_child(a, b);
        t.add_child(b, a);
        let all = t.add(ALL);
        t.add_child(all, a);
        let cycle = t.finish().unwrap_err();
        assert!(cycle.contains(&"a".to_string()) && cycle.contains(&"b".to_string()));
    }
}
