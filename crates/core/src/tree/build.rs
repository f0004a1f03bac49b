//! Building the tree: adding turns, settling pending ones (complete,
//! refuse, fail, cancel, interrupt), and recording received pictures.

use time::OffsetDateTime;

use super::*;

impl Conversation {
    fn insert(
        &mut self,
        parent: Option<NodeId>,
        role: Role,
        parts: Vec<Part>,
        turn: Option<Turn>,
        now: OffsetDateTime,
    ) -> Result<NodeId, TreeError> {
        if let Some(p) = parent {
            self.node(p)?;
        }
        let id = NodeId(self.next_id);
        // A loaded file may set `next_id` anywhere: never wrap and reuse ids.
        self.next_id = self.next_id.checked_add(1).ok_or(TreeError::OutOfIds)?;
        self.nodes.insert(
            id,
            Node {
                id,
                parent,
                children: Vec::new(),
                role,
                parts,
                created_at: now,
                label: None,
                starred: false,
                last_child: None,
                turn,
            },
        );
        match parent {
            Some(p) => self.node_mut(p)?.children.push(id),
            None => self.roots.push(id),
        }
        Ok(id)
    }

    /// A system or user turn with some text or an image, selected.
    fn add_turn(
        &mut self,
        parent: Option<NodeId>,
        role: Role,
        parts: Vec<Part>,
        now: OffsetDateTime,
    ) -> Result<NodeId, TreeError> {
        let has_content = parts.iter().any(|p| match p {
            Part::Text { text } => !text.trim().is_empty(),
            Part::Image { .. } => true,
        });
        if !has_content {
            return Err(TreeError::EmptyTurn);
        }
        let id = self.insert(parent, role, parts, None, now)?;
        self.select(id)?;
        Ok(id)
    }

    /// A system turn at the top; the conversation's first turns go under it.
    pub fn add_system(&mut self, text: String, now: OffsetDateTime) -> Result<NodeId, TreeError> {
        self.add_turn(None, Role::System, vec![Part::Text { text }], now)
    }

    /// A user turn under `parent` (`None`: a new root), selected.
    /// Replying under the selected leaf and refining from an assistant turn
    /// are both this with the right parent.
    pub fn add_user(
        &mut self,
        parent: Option<NodeId>,
        parts: Vec<Part>,
        now: OffsetDateTime,
    ) -> Result<NodeId, TreeError> {
        self.add_turn(parent, Role::User, parts, now)
    }

    /// A new user turn under the selected node.
    pub fn reply(&mut self, parts: Vec<Part>, now: OffsetDateTime) -> Result<NodeId, TreeError> {
        self.add_user(self.selected, parts, now)
    }

    /// A new user child of an assistant turn: refine what it made.
    pub fn refine(
        &mut self,
        assistant: NodeId,
        parts: Vec<Part>,
        now: OffsetDateTime,
    ) -> Result<NodeId, TreeError> {
        self.expect_role(assistant, Role::Assistant)?;
        self.add_user(Some(assistant), parts, now)
    }

    /// Edit a user turn: a new sibling with the new parts; the original stays.
    pub fn edit_user(
        &mut self,
        user: NodeId,
        parts: Vec<Part>,
        now: OffsetDateTime,
    ) -> Result<NodeId, TreeError> {
        self.expect_role(user, Role::User)?;
        let parent = self.node(user)?.parent;
        self.add_user(parent, parts, now)
    }

    /// `n` pending assistant turns (variants) under a user turn; the first is
    /// selected. Each is a separate request.
    pub fn add_pending(
        &mut self,
        user: NodeId,
        request: &RequestParams,
        n: usize,
        now: OffsetDateTime,
    ) -> Result<Vec<NodeId>, TreeError> {
        if n == 0 || n > MAX_VARIANTS {
            return Err(TreeError::BadVariantCount { max: MAX_VARIANTS });
        }
        self.add_pending_each(user, &vec![request.clone(); n], now)
    }

    /// A fan-out: one pending sibling under `user` per entry of
    /// `requests` (a grid's cells, each with its own size and model), in
    /// that order; all or none. The first is selected.
    pub fn add_pending_each(
        &mut self,
        user: NodeId,
        requests: &[RequestParams],
        now: OffsetDateTime,
    ) -> Result<Vec<NodeId>, TreeError> {
        self.expect_role(user, Role::User)?;
        let n = requests.len();
        if n == 0 || n > MAX_FAN_OUT {
            return Err(TreeError::BadCellCount { max: MAX_FAN_OUT });
        }
        // All or none: ids for every sibling, so none is left half-added.
        if u32::try_from(n)
            .ok()
            .and_then(|n| self.next_id.checked_add(n))
            .is_none()
        {
            return Err(TreeError::OutOfIds);
        }
        let mut ids = Vec::with_capacity(n);
        for request in requests {
            let turn = Turn {
                request: request.clone(),
                status: Status::Pending,
                error: None,
                request_id: None,
                latency_ms: None,
                cost_micro_usd: 0,
                attempts: 0,
                received: None,
            };
            ids.push(self.insert(Some(user), Role::Assistant, Vec::new(), Some(turn), now)?);
        }
        self.select(ids[0])?;
        Ok(ids)
    }

    /// Regenerate: a new pending sibling under the same user turn, with the
    /// same request (or `request` when given).
    pub fn regenerate(
        &mut self,
        assistant: NodeId,
        request: Option<RequestParams>,
        now: OffsetDateTime,
    ) -> Result<NodeId, TreeError> {
        let node = self.expect_role(assistant, Role::Assistant)?;
        let params = match request {
            Some(r) => r,
            None => node
                .turn
                .as_ref()
                .map(|t| t.request.clone())
                .ok_or(TreeError::NoSuchNode(assistant))?,
        };
        let user = node.parent.ok_or(TreeError::NoSuchNode(assistant))?;
        Ok(self.add_pending(user, &params, 1, now)?[0])
    }

    /// Retry a failed, cancelled or interrupted turn in place (optionally
    /// with other parameters, e.g. one tier down after a 4K failure).
    pub fn retry(
        &mut self,
        assistant: NodeId,
        request: Option<RequestParams>,
    ) -> Result<(), TreeError> {
        self.expect_role(assistant, Role::Assistant)?;
        let node = self.node_mut(assistant)?;
        let turn = node.turn.as_mut().ok_or(TreeError::NoSuchNode(assistant))?;
        if !turn.status.is_retryable() {
            return Err(TreeError::NotRetryable(assistant, turn.status));
        }
        turn.status = Status::Pending;
        turn.error = None;
        turn.received = None;
        if let Some(r) = request {
            turn.request = r;
        }
        node.parts.clear();
        Ok(())
    }

    fn expect_role(&self, id: NodeId, wanted: Role) -> Result<&Node, TreeError> {
        let n = self.node(id)?;
        if n.role == wanted {
            Ok(n)
        } else {
            Err(TreeError::WrongRole {
                id,
                wanted,
                actual: n.role,
            })
        }
    }

    fn pending_turn(&mut self, id: NodeId) -> Result<&mut Node, TreeError> {
        let node = self.node_mut(id)?;
        match node.turn.as_ref().map(|t| t.status) {
            Some(Status::Pending) => Ok(node),
            Some(s) => Err(TreeError::NotPending(id, s)),
            None => Err(TreeError::WrongRole {
                id,
                wanted: Role::Assistant,
                actual: node.role,
            }),
        }
    }

    fn settle(node: &mut Node, status: Status, outcome: Outcome) {
        if let Some(t) = node.turn.as_mut() {
            // `received` lives only while a paid picture is not stored: a
            // stored one keeps its link as the image's `remote`.
            if status != Status::Unstored {
                t.received = None;
            }
            t.status = status;
            t.request_id = outcome.request_id.or(t.request_id.take());
            t.latency_ms = outcome.latency_ms;
            t.cost_micro_usd = t.cost_micro_usd.saturating_add(outcome.cost_micro_usd);
            t.attempts = t.attempts.saturating_add(outcome.attempts);
        }
    }

    /// The result image arrived and is stored.
    pub fn complete(
        &mut self,
        id: NodeId,
        image: ImageRef,
        outcome: Outcome,
    ) -> Result<(), TreeError> {
        let node = self.pending_turn(id)?;
        node.parts = vec![Part::Image { image }];
        Self::settle(node, Status::Done, outcome);
        Ok(())
    }

    /// The model answered with text instead of an image.
    pub fn refuse(&mut self, id: NodeId, text: String, outcome: Outcome) -> Result<(), TreeError> {
        let node = self.pending_turn(id)?;
        node.parts = vec![Part::Text { text }];
        Self::settle(node, Status::Refused, outcome);
        Ok(())
    }

    pub fn fail(
        &mut self,
        id: NodeId,
        error: TurnError,
        outcome: Outcome,
    ) -> Result<(), TreeError> {
        self.settle_with_error(id, Status::Failed, error, None, outcome)
    }

    /// Settles a pending turn that produced no stored image.
    fn settle_with_error(
        &mut self,
        id: NodeId,
        status: Status,
        error: TurnError,
        received: Option<Received>,
        outcome: Outcome,
    ) -> Result<(), TreeError> {
        let node = self.pending_turn(id)?;
        Self::settle(node, status, outcome);
        if let Some(t) = node.turn.as_mut() {
            t.error = Some(error);
            if received.is_some() {
                t.received = received;
            }
        }
        Ok(())
    }

    /// The gateway answered with a picture: where it is and the request id
    /// are recorded at once (saved before the download and the store), so
    /// a crash from here on leaves an `unstored` turn, not a lost one.
    pub fn note_received(
        &mut self,
        id: NodeId,
        received: Received,
        request_id: Option<String>,
    ) -> Result<(), TreeError> {
        let node = self.pending_turn(id)?;
        if let Some(t) = node.turn.as_mut() {
            t.received = Some(received);
            t.request_id = request_id.or(t.request_id.take());
        }
        Ok(())
    }

    /// The picture arrived (billed) but could not be stored: `why` says
    /// what happened and what to do.
    pub fn hold(
        &mut self,
        id: NodeId,
        received: Received,
        why: TurnError,
        outcome: Outcome,
    ) -> Result<(), TreeError> {
        self.settle_with_error(id, Status::Unstored, why, Some(received), outcome)
    }

    /// An `unstored` turn's picture is now durable in the store.
    pub fn store_received(&mut self, id: NodeId, image: ImageRef) -> Result<(), TreeError> {
        let node = self.node_mut(id)?;
        match node.turn.as_mut() {
            Some(t) if t.status == Status::Unstored => {
                t.status = Status::Done;
                t.error = None;
                t.received = None;
            }
            Some(t) => return Err(TreeError::NotUnstored(id, t.status)),
            None => return Err(TreeError::NotUnstored(id, Status::Done)),
        }
        node.parts = vec![Part::Image { image }];
        Ok(())
    }

    /// What is known about an `unstored` turn's picture has grown (its
    /// hash, a spare copy).
    pub fn update_received(&mut self, id: NodeId, received: Received) -> Result<(), TreeError> {
        match self.node_mut(id)?.turn.as_mut() {
            Some(t) if t.status == Status::Unstored => {
                t.received = Some(received);
                Ok(())
            }
            Some(t) => Err(TreeError::NotUnstored(id, t.status)),
            None => Err(TreeError::NotUnstored(id, Status::Done)),
        }
    }

    /// Turns holding a paid picture that is not in the store yet.
    pub fn unstored(&self) -> Vec<NodeId> {
        self.nodes
            .values()
            .filter(|n| n.status() == Some(Status::Unstored))
            .map(|n| n.id)
            .collect()
    }

    pub fn cancel(&mut self, id: NodeId) -> Result<(), TreeError> {
        let node = self.pending_turn(id)?;
        Self::settle(node, Status::Cancelled, Outcome::default());
        Ok(())
    }

    /// After a load: whatever was pending when the app stopped is
    /// `interrupted`, or `unstored` when its picture had already arrived.
    /// Returns the ids it changed.
    pub fn interrupt_pending(&mut self) -> Vec<NodeId> {
        let mut changed = Vec::new();
        for node in self.nodes.values_mut() {
            if let Some(t) = node.turn.as_mut()
                && t.status == Status::Pending
            {
                // A picture had arrived: it was paid for, so the turn says
                // where it is rather than offering to send (and pay) again.
                if t.received.is_some() {
                    t.status = Status::Unstored;
                    t.error = Some(TurnError {
                        message: "pixloom stopped after the picture arrived, before it was stored. The call was billed.".to_owned(),
                        ..TurnError::default()
                    });
                } else {
                    t.status = Status::Interrupted;
                }
                changed.push(node.id);
            }
        }
        changed
    }

    /// Records the prepared upload copy of an image once it has been made,
    /// so it is not made again; `seal` proves who prepared it.
    pub fn set_upload_copy(&mut self, original_sha256: &str, upload: &Blob, seal: &str) {
        for node in self.nodes.values_mut() {
            for part in &mut node.parts {
                if let Part::Image { image } = part
                    && image.original.sha256 == original_sha256
                    && image.upload.is_none()
                {
                    image.upload = Some(upload.clone());
                    image.upload_seal = Some(seal.to_owned());
                }
            }
        }
    }
}
