//! Moving through the tree and marking it: selection (remembering each
//! parent's last child), labels, stars, deleting a subtree, and the
//! invariant check every load and every property test runs.

use super::*;

impl Conversation {
    /// Selects `id` and remembers, at every ancestor, the child on its path.
    pub fn select(&mut self, id: NodeId) -> Result<(), TreeError> {
        let path = self.path_to(id)?;
        for pair in path.windows(2) {
            self.node_mut(pair[0])?.last_child = Some(pair[1]);
        }
        self.selected = Some(id);
        Ok(())
    }

    pub fn select_parent(&mut self) -> Result<bool, TreeError> {
        let Some(cur) = self.selected else {
            return Ok(false);
        };
        match self.node(cur)?.parent {
            Some(p) => {
                self.selected = Some(p);
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Down to the remembered (else first) child.
    pub fn select_child(&mut self) -> Result<bool, TreeError> {
        let next = match self.selected {
            Some(cur) => {
                let n = self.node(cur)?;
                n.last_child.or_else(|| n.children.first().copied())
            }
            None => self.roots.first().copied(),
        };
        match next {
            Some(c) => {
                self.select(c)?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// To the previous (`-1`) or next (`+1`) sibling; stays at the ends.
    pub fn select_sibling(&mut self, step: isize) -> Result<bool, TreeError> {
        let Some(cur) = self.selected else {
            return Ok(false);
        };
        let (sibs, at) = self.sibling_index(cur)?;
        let Some(&target) = at.checked_add_signed(step).and_then(|i| sibs.get(i)) else {
            return Ok(false);
        };
        self.select(target)?;
        Ok(true)
    }

    // ----- marking ----------------------------------------------------------

    pub fn set_label(&mut self, id: NodeId, label: Option<String>) -> Result<(), TreeError> {
        self.node_mut(id)?.label = label.filter(|l| !l.trim().is_empty());
        Ok(())
    }

    pub fn toggle_star(&mut self, id: NodeId) -> Result<bool, TreeError> {
        let n = self.node_mut(id)?;
        n.starred = !n.starred;
        Ok(n.starred)
    }

    /// Deletes `id` and everything below it; returns the removed ids (the
    /// caller cancels any that were pending). The selection moves to a
    /// sibling, else the parent.
    pub fn delete_subtree(&mut self, id: NodeId) -> Result<Vec<NodeId>, TreeError> {
        let removed = self.subtree(id)?;
        let parent = self.node(id)?.parent;
        let (sibs, at) = self.sibling_index(id)?;
        let neighbour = sibs
            .get(at + 1)
            .or_else(|| at.checked_sub(1).and_then(|i| sibs.get(i)))
            .copied();
        for r in &removed {
            self.nodes.remove(r);
        }
        match parent {
            Some(p) => {
                let pn = self.node_mut(p)?;
                pn.children.retain(|&c| c != id);
                if pn.last_child == Some(id) {
                    pn.last_child = None;
                }
            }
            None => self.roots.retain(|&r| r != id),
        }
        if self.selected.is_some_and(|s| removed.contains(&s)) {
            self.selected = None;
            if let Some(n) = neighbour.or(parent) {
                self.select(n)?;
            }
        }
        Ok(removed)
    }

    /// Checks every invariant; `Err` names the first one broken. Loading a
    /// file runs this, so a hand-edited file cannot make the app loop.
    pub fn check(&self) -> Result<(), String> {
        let mut seen = std::collections::BTreeSet::new();
        let mut stack: Vec<(Option<NodeId>, NodeId)> =
            self.roots.iter().map(|&r| (None, r)).collect();
        while let Some((parent, id)) = stack.pop() {
            let node = self
                .nodes
                .get(&id)
                .ok_or_else(|| format!("{id} is listed but missing"))?;
            if node.id != id {
                return Err(format!("{id} is stored as {}", node.id));
            }
            if node.parent != parent {
                return Err(format!("{id} names the wrong parent"));
            }
            if !seen.insert(id) {
                return Err(format!(
                    "{id} is reachable twice (a cycle or a shared child)"
                ));
            }
            if id.0 >= self.next_id {
                return Err(format!("{id} is not below next_id {}", self.next_id));
            }
            if let Some(lc) = node.last_child
                && !node.children.contains(&lc)
            {
                return Err(format!("{id} remembers {lc}, which is not its child"));
            }
            if (node.role == Role::Assistant) != node.turn.is_some() {
                return Err(format!("{id}: only assistant turns carry request data"));
            }
            stack.extend(node.children.iter().map(|&c| (Some(id), c)));
        }
        if seen.len() != self.nodes.len() {
            return Err(format!(
                "{} nodes cannot be reached from a root",
                self.nodes.len() - seen.len()
            ));
        }
        if let Some(s) = self.selected
            && !self.nodes.contains_key(&s)
        {
            return Err(format!("the selected node {s} does not exist"));
        }
        Ok(())
    }
}
