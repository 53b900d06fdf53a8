package einsatzraum

import (
	"context"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/einsatzraum/einsatzraum/chat"
)

// Retention sets how long content lives: members see messages, files,
// POIs and tracks for Visible; auditors read them until Audit; then they
// are deleted for good, files included.
type Retention struct {
	Visible time.Duration // default 7 days
	Audit   time.Duration // default 90 days; at least Visible
	// Batch is how many rows of each kind one purge step deletes, so that
	// no step holds the store for long. Default 500.
	Batch int
	// Every is how often the purge runs. Default 10 minutes.
	Every time.Duration
}

func (r *Retention) defaults() {
	if r.Visible <= 0 {
		r.Visible = 7 * 24 * time.Hour
	}
	if r.Audit <= 0 {
		r.Audit = 90 * 24 * time.Hour
	}
	r.Audit = max(r.Audit, r.Visible)
	if r.Batch <= 0 {
		r.Batch = 500
	}
	if r.Every <= 0 {
		r.Every = 10 * time.Minute
	}
}

// Purged counts what one purge step deleted.
type Purged struct {
	Messages, Acks, Events, POIs, Drawings, Positions, Alarms int
	// AttachmentIDs are the blobs of the purged attachments (a broadcast's
	// shared blob may appear more than once; deleting is idempotent).
	AttachmentIDs []string
}

func (p Purged) total() int {
	return p.Messages + p.Acks + p.Events + p.POIs + p.Drawings + p.Positions + p.Alarms + len(p.AttachmentIDs)
}

func (p *Purged) add(q Purged) {
	p.Messages += q.Messages
	p.Acks += q.Acks
	p.Events += q.Events
	p.POIs += q.POIs
	p.Drawings += q.Drawings
	p.Positions += q.Positions
	p.Alarms += q.Alarms
	p.AttachmentIDs = append(p.AttachmentIDs, q.AttachmentIDs...)
}

// deleteFiles deletes the purged attachments' bytes and thumbnails.
func (s *Service) deleteFiles(ctx context.Context, attachmentIDs []string) {
	if s.cfg.Files.Blobs == nil {
		return
	}
	for _, id := range attachmentIDs {
		for _, blob := range []string{id, chat.ThumbnailID(id)} {
			if err := s.cfg.Files.Blobs.Delete(ctx, blob); err != nil {
				s.log.Error("purge: delete file", "attachment", id, "err", err)
			}
		}
	}
}

// VisibleSince is the oldest time whose content members still see.
func (s *Service) VisibleSince() time.Time { return s.Now().Add(-s.cfg.Retention.Visible) }

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Purge deletes everything past the audit retention, in steps of at most
// Batch rows per kind, files included, until nothing is left; it returns
// the totals. The clock is the service's, so tests move it.
func (s *Service) Purge(ctx context.Context) (Purged, error) {
	cutoff := s.Now().Add(-s.cfg.Retention.Audit)
	var all Purged
	for ctx.Err() == nil {
		var p Purged
		err := s.update(ctx, "purge", func(w *write) (err error) {
			p, err = w.PurgeBefore(ctx, cutoff, s.cfg.Retention.Batch)
			return err
		})
		if err != nil {
			return all, fmt.Errorf("purge content before %s: %w", cutoff.Format(time.RFC3339), err)
		}
		s.deleteFiles(ctx, p.AttachmentIDs)
		all.add(p)
		if p.total() == 0 {
			break
		}
	}
	if all.total() > 0 {
		s.log.Info("retention: deleted content past the audit retention", "before", cutoff, "messages", all.Messages,
			"events", all.Events, "pois", all.POIs, "track_points", all.Positions, "files", len(all.AttachmentIDs))
	}
	return all, ctx.Err()
}

// runRetention purges every Retention.Every until ctx ends.
func (s *Service) runRetention(ctx context.Context) {
	t := s.cfg.Clock.NewTicker(s.cfg.Retention.Every)
	defer t.Stop()
	for {
		if _, err := s.Purge(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("retention purge", "err", err)
		}
		if err := s.loadAllFences(ctx); err != nil && ctx.Err() == nil {
			s.log.Error("retention: reload geofences", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C():
		}
	}
}

// requireAuditor allows auditors only (403 not_auditor).
func requireAuditor(a *Actor) error {
	if a == nil || !a.User.HasRole(RoleAuditor) {
		return Errorf(KindForbidden, "not_auditor", "only auditors may read the audit records")
	}
	return nil
}

// AuditQuery selects retained messages for an audit.
type AuditQuery struct {
	// Case is the case reference (Aktenzeichen) the audit is done for;
	// required, and recorded with the query.
	Case     string
	Room     string
	From, To time.Time // default: the whole audit retention up to now
	Text     string    // case-insensitive substring of the text; "" for all
	AfterSeq int64     // paging: messages with a higher seq
	Limit    int
}

// AuditMessages returns the messages of a room an auditor asked for, the
// visible and the retained ones, and writes the query to the audit log
// first: no read without its record.
func (s *Service) AuditMessages(ctx context.Context, a *Actor, q AuditQuery) ([]chat.Message, error) {
	if err := requireAuditor(a); err != nil {
		return nil, err
	}
	if q.Room == "" {
		return nil, Errorf(KindInvalid, "room_required", "an audit names its room")
	}
	now := s.Now()
	if q.To.IsZero() {
		q.To = now.Add(time.Microsecond)
	}
	if q.From.IsZero() {
		q.From = now.Add(-s.cfg.Retention.Audit)
	}
	if !q.From.Before(q.To) {
		return nil, Errorf(KindInvalid, "invalid_time_range", "from must be before to")
	}
	if len(q.Text) > 200 {
		return nil, Errorf(KindInvalid, "invalid_q", "q is at most 200 bytes")
	}
	caseRef, err := checkCase(q.Case)
	if err != nil {
		return nil, err
	}
	limit := clampLimit(q.Limit)
	detail := fmt.Sprintf("case %q: messages from %s to %s", caseRef, q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	if q.Text != "" {
		detail += fmt.Sprintf(", text %q", q.Text)
	}
	// The query is recorded first, in a short write: no read without its
	// record. The search itself runs in a read transaction, beside the
	// single writer: a slow scan of a large room never holds up posts and
	// logins elsewhere.
	err = s.update(ctx, "audit_messages_record", func(w *write) error {
		return w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: a.User.ID, Action: "audit_read_messages", Target: q.Room, Detail: detail})
	})
	if err != nil {
		return nil, err
	}
	out := []chat.Message{}
	err = s.view(ctx, "audit_messages", func(tx Tx) error {
		if _, err := tx.RoomByID(ctx, q.Room); err != nil {
			return notFound(err, "room_not_found", "no such room")
		}
		needle := strings.ToLower(q.Text)
		after := q.AfterSeq
		for len(out) < limit {
			page, err := tx.RoomMessages(ctx, q.Room, q.From, q.To, after, limit)
			if err != nil {
				return err
			}
			for _, m := range page {
				if len(out) < limit && (needle == "" || matches(m, needle)) {
					out = append(out, m)
				}
			}
			if len(page) < limit {
				break
			}
			after = page[len(page)-1].Seq
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// matches reports whether a message's text, or one of its earlier
// versions (edited, deleted), contains needle (lower case).
func matches(m chat.Message, needle string) bool {
	if strings.Contains(strings.ToLower(m.Text), needle) {
		return true
	}
	for _, v := range m.Versions {
		if strings.Contains(strings.ToLower(v.Text), needle) {
			return true
		}
	}
	return false
}

// checkCase validates a case reference: 3 to 100 characters, one line.
func checkCase(ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if n := utf8.RuneCountInString(ref); n < 3 || n > 100 || strings.ContainsAny(ref, "\r\n") || !utf8.ValidString(ref) {
		return "", Errorf(KindInvalid, "case_required", "an audit names the case it is done for (case, 3 to 100 characters)")
	}
	return ref, nil
}

// AuditLog lists the audit log for an auditor, oldest first after afterID,
// for the case caseRef. Reading the log is itself recorded. Other
// auditors' queries show who asked when and for which case, not which room
// or text: an auditor learns nothing of other audits' content from the log.
func (s *Service) AuditLog(ctx context.Context, a *Actor, caseRef string, afterID int64, limit int) ([]AuditEntry, error) {
	if err := requireAuditor(a); err != nil {
		return nil, err
	}
	caseRef, err := checkCase(caseRef)
	if err != nil {
		return nil, err
	}
	var out []AuditEntry
	err = s.update(ctx, "audit_log", func(w *write) (err error) {
		if err := w.AppendAudit(ctx, &AuditEntry{At: w.now, Actor: a.User.ID, Action: "audit_read_log", Target: "audit_log",
			Detail: fmt.Sprintf("case %q: after %d", caseRef, afterID)}); err != nil {
			return err
		}
		out, err = w.AuditLog(ctx, afterID, clampLimit(limit))
		return err
	})
	for i := range out {
		e := &out[i]
		if e.Action == "audit_read_messages" && e.Actor != a.User.ID {
			e.Target = "(another auditor's room)"
			if c, _, ok := strings.Cut(e.Detail, ":"); ok {
				e.Detail = c // the case reference only
			}
		}
	}
	return out, err
}
